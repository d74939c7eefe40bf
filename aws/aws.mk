# aws/aws.mk: AWS request signing (SigV4) and the SNS client; nothing of iris.
# AWS_SRCS is linked into build/bootstrap by lambda/lambda.mk.

AWS_SRCS := aws/sigv4.c aws/sns.c
AWS_LIBS = $(call libs,libcurl libcrypto) -lm

# Unit tests (cmocka, ASan+UBSan), each linked with only what it exercises.
# test-sigv4 replays the AWS SigV4 test suite copied into tests/data/sigv4.
UNIT_SRCS_sigv4 := tests/unit/test_sigv4.c aws/sigv4.c common/buf.c
UNIT_SRCS_sns := tests/unit/test_sns.c $(AWS_SRCS) $(COMMON_SRCS)
C_UNITS += sigv4 sns
UNIT_LIBS_sigv4 = $(AWS_LIBS)
UNIT_LIBS_sns = $(AWS_LIBS)
