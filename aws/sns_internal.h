/* sns_internal.h: the SNS client's state, shared by aws/sns.c (the client and
 * its calls) and aws/sns_query.c (the Query API wire format).
 * Not for use outside aws/. */
#ifndef IRIS_SNS_INTERNAL_H
#define IRIS_SNS_INTERNAL_H

#include "aws/aws_client.h"
#include "aws/sns.h"

/* An SNS client: the shared AWS client core (endpoint, credentials,
 * connections, retries); first, as aws_client_new allocates the whole. */
struct sns_client {
    aws_client aws;
};

/* Fills res's code, message and request id from a response body (see
 * sns_parse_response), scrubbed of the client's secrets. */
int sns_parse_response_for(const sns_client *c, const char *body, size_t len, sns_result *res);

#endif
