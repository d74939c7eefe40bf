/* aws_fake.h: the fake credentials and clock the aws/ unit tests sign with
 * (tests/unit/test_sns.c, test_dynamodb.c).  They are the ones
 * tests/integration/sns_vectors.py and dynamodb_vectors.py give botocore, so
 * a signature the tests expect is botocore's for the same request.  For
 * cmocka tests (fail_msg). */
#ifndef IRIS_AWS_FAKE_H
#define IRIS_AWS_FAKE_H

#include <time.h>

#define AWS_FAKE_REGION "us-east-1"
#define AWS_FAKE_KEY_ID "AKIDIRISLONGTERM01"
#define AWS_FAKE_SECRET "irisFAKEsecret/LongTerm+Key0123456789NEVERLOG"
#define AWS_FAKE_TOKEN "irisFAKEsessionTOKEN//AQoDYXdzEPT+NEVERLOG/zz=="
#define AWS_FAKE_WHEN ((time_t)1767323045) /* 2026-01-02T03:04:05Z */

/* Sets client (a prefix##_client *) to a new client of the aws/ service
 * whose names start with prefix (sns, ddb: prefix##_config,
 * prefix##_config_defaults, prefix##_client_new) on the fake credentials in
 * AWS_FAKE_REGION, at endpoint (NULL: the service's default) with session
 * token (NULL: long-term credentials).  Fails the test with the client's
 * error when it cannot be made; the caller frees the client. */
#define AWS_FAKE_CLIENT(prefix, client, endpoint_, token_)                                         \
    do {                                                                                           \
        prefix##_config cfg_;                                                                      \
        prefix##_config_defaults(&cfg_);                                                           \
        cfg_.region = AWS_FAKE_REGION;                                                             \
        cfg_.endpoint = (endpoint_);                                                               \
        cfg_.access_key_id = AWS_FAKE_KEY_ID;                                                      \
        cfg_.secret_access_key = AWS_FAKE_SECRET;                                                  \
        cfg_.session_token = (token_);                                                             \
        char err_[256] = "";                                                                       \
        (client) = prefix##_client_new(&cfg_, err_, sizeof err_);                                  \
        if ((client) == NULL)                                                                      \
            fail_msg("expected a " #prefix " client for %s, got: %s",                              \
                     (endpoint_) ? (endpoint_) : "the default endpoint", err_);                    \
    } while (0)

#endif
