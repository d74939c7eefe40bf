# aws/aws.mk: AWS request signing (SigV4), the SNS client with the SDKs'
# standard retries, and the scrubbing of peer text; nothing of iris.
# AWS_SRCS is linked into build/bootstrap by lambda/lambda.mk.

AWS_SRCS := aws/aws_client.c aws/sigv4.c aws/sns.c aws/sns_query.c aws/retry.c aws/scrub.c aws/dynamodb.c
AWS_LIBS = $(call libs,libcurl libcrypto libcjson) -lm -pthread

# Unit tests (cmocka, ASan+UBSan), each linked with only what it exercises.
# test-sigv4 replays the AWS SigV4 test suite copied into tests/data/sigv4.
UNIT_SRCS_sigv4 := tests/unit/test_sigv4.c tests/lib/testfile.c aws/sigv4.c common/buf.c common/bigmem.c
UNIT_SRCS_sns := tests/unit/test_sns.c $(AWS_SRCS) $(COMMON_SRCS)
UNIT_SRCS_retry := tests/unit/test_retry.c aws/retry.c
UNIT_SRCS_scrub := tests/unit/test_scrub.c aws/scrub.c
# test-dynamodb: the DynamoDB JSON API client (signing checked against
# botocore's, tests/integration/dynamodb_vectors.py).
UNIT_SRCS_dynamodb := tests/unit/test_dynamodb.c $(AWS_SRCS) $(COMMON_SRCS)
UNIT_LIBS_dynamodb = $(AWS_LIBS)
C_UNITS += sigv4 sns retry scrub dynamodb
UNIT_LIBS_sigv4 = $(AWS_LIBS)
UNIT_LIBS_sns = $(AWS_LIBS)
UNIT_LIBS_retry = -lm
UNIT_LIBS_scrub =

# Fuzzers (tests/tests.mk builds them): make fuzz-scrub (no piece of a secret
# survives, through three layers of escaping) and make fuzz-sns-response (the
# PublishResponse / ErrorResponse reader: bounded, printable, scrubbed fields).
FUZZERS += scrub sns_response dynamodb_response
FUZZ_scrub_SRCS := tests/fuzz/fuzz_scrub.c aws/scrub.c
FUZZ_sns_response_SRCS := tests/fuzz/fuzz_sns_response.c $(AWS_SRCS) $(COMMON_SRCS)
FUZZ_sns_response_LIBS = $(AWS_LIBS)
FUZZ_sns_response_MAX_LEN := 16384
# make fuzz-dynamodb-response: the DynamoDB answer reader (ddb_parse_answer):
# an object on 2xx, else a bounded, printable, scrubbed code and message.
FUZZ_dynamodb_response_SRCS := tests/fuzz/fuzz_dynamodb_response.c $(AWS_SRCS) $(COMMON_SRCS)
FUZZ_dynamodb_response_LIBS = $(AWS_LIBS)
FUZZ_dynamodb_response_MAX_LEN := 16384
