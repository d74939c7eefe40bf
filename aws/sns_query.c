/* sns_query.c: the SNS Query API wire format: the Publish form body, the
 * checks SNS makes before accepting one, the signed request, and the
 * response XML (every field taken from it scrubbed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "aws/scrub.h"
#include "aws/sigv4.h"
#include "aws/sns_internal.h"

static void form_param(buf *body, const char *key, const char *value, size_t len)
{
    buf_putc(body, '&');
    buf_puts(body, key);
    buf_putc(body, '=');
    sigv4_uri_encode(body, value, len, 0);
}

int sns_form_publish(buf *body, const sns_message *m)
{
    char key[80];
    buf_puts(body, "Action=Publish&Version=2010-03-31");
    form_param(body, "TopicArn", m->topic_arn, strlen(m->topic_arn));
    if (m->subject != NULL)
        form_param(body, "Subject", m->subject, strlen(m->subject));
    form_param(body, "Message", m->message, m->message_len);
    for (size_t i = 0; i < m->nattributes; i++) {
        const sns_attribute *a = &m->attributes[i];
        snprintf(key, sizeof key, "MessageAttributes.entry.%zu.Name", i + 1);
        form_param(body, key, a->name, strlen(a->name));
        snprintf(key, sizeof key, "MessageAttributes.entry.%zu.Value.DataType", i + 1);
        form_param(body, key, a->data_type, strlen(a->data_type));
        snprintf(key, sizeof key, "MessageAttributes.entry.%zu.Value.StringValue", i + 1);
        form_param(body, key, a->value, strlen(a->value));
    }
    if (m->message_group_id != NULL)
        form_param(body, "MessageGroupId", m->message_group_id, strlen(m->message_group_id));
    if (m->message_deduplication_id != NULL)
        form_param(body, "MessageDeduplicationId", m->message_deduplication_id,
                   strlen(m->message_deduplication_id));
    return body->failed ? -1 : 0;
}

int sns_valid_fifo_id(const char *id)
{
    size_t n = id != NULL ? strlen(id) : 0;
    if (n == 0 || n > SNS_MAX_FIFO_ID_CHARS)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (id[i] < 0x21 || id[i] > 0x7e) /* letters, digits and punctuation */
            return 0;
    return 1;
}

int sns_is_fifo_topic(const char *topic_arn)
{
    size_t n = topic_arn != NULL ? strlen(topic_arn) : 0;
    return n > 5 && strcmp(topic_arn + n - 5, ".fifo") == 0;
}

int sns_fifo_id(const char *key, char out[SNS_MAX_FIFO_ID_CHARS + 1])
{
    static const char hex[] = "0123456789abcdef";
    if (sns_valid_fifo_id(key)) {
        snprintf(out, SNS_MAX_FIFO_ID_CHARS + 1, "%s", key);
        return 0;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (key == NULL || EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha256(), NULL) != 1) {
        out[0] = '\0';
        return -1;
    }
    for (unsigned int i = 0; i < mdlen; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * mdlen] = '\0';
    return 0;
}

/* What SNS refuses about the subject, the attributes' size and the FIFO ids. */
static const char *message_problem(const sns_message *m)
{
    if (m->subject != NULL) {
        size_t n = strlen(m->subject);
        if (n == 0 || n > SNS_MAX_SUBJECT_CHARS)
            return "Subject must have 1 to 99 characters";
        for (size_t i = 0; i < n; i++)
            if (m->subject[i] < 0x20 || m->subject[i] > 0x7e)
                return "Subject must be printable ASCII without line breaks";
    }
    size_t total = m->message_len;
    for (size_t i = 0; i < m->nattributes; i++) {
        const sns_attribute *a = &m->attributes[i];
        if (a->name == NULL || a->data_type == NULL || a->value == NULL || !*a->name ||
            !*a->data_type || !*a->value)
            return "a message attribute has an empty name, type or value";
        total += strlen(a->name) + strlen(a->data_type) + strlen(a->value);
    }
    if (total > SNS_MAX_MESSAGE_BYTES)
        return "Message and attributes exceed SNS's 262144-byte limit";
    int fifo = sns_is_fifo_topic(m->topic_arn);
    if (fifo && m->message_group_id == NULL)
        return "a FIFO topic needs a MessageGroupId";
    if (!fifo && m->message_deduplication_id != NULL)
        return "MessageDeduplicationId is only for FIFO topics";
    if ((m->message_group_id != NULL && !sns_valid_fifo_id(m->message_group_id)) ||
        (m->message_deduplication_id != NULL && !sns_valid_fifo_id(m->message_deduplication_id)))
        return "MessageGroupId and MessageDeduplicationId must be 1 to 128 letters, digits or "
               "punctuation";
    return NULL;
}

int sns_validate_message(const sns_message *m, sns_result *res)
{
    const char *why = NULL;
    if (m->topic_arn == NULL || *m->topic_arn == '\0')
        why = "no TopicArn";
    else if (m->message == NULL || m->message_len == 0)
        why = "empty Message (SNS requires one)";
    else if (m->nattributes > 0 && m->attributes == NULL)
        why = "attributes missing";
    else
        why = message_problem(m);
    if (why == NULL)
        return 0;
    snprintf(res->error_code, sizeof res->error_code, "InvalidMessage");
    snprintf(res->error_message, sizeof res->error_message, "%s", why);
    return -1;
}

void sns_request_free(sns_request *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nheaders; i++)
        free(r->headers[i]);
    free(r->headers);
    free(r->url);
    buf_free(&r->body);
    memset(r, 0, sizeof *r);
}

static int add_header(sns_request *r, const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *h = malloc(n);
    if (h == NULL)
        return -1;
    /* "Name:" with no value tells libcurl to drop a header it would add. */
    snprintf(h, n, *value ? "%s: %s" : "%s:%s", name, value);
    r->headers[r->nheaders++] = h;
    return 0;
}

int sns_build_publish(const sns_client *c, const sns_message *m, time_t now, sns_request *out)
{
    static const char content_type[] = "application/x-www-form-urlencoded; charset=utf-8";
    memset(out, 0, sizeof *out);
    int rc = SNS_ERR_NOMEM;
    out->url = strdup(c->aws.endpoint);
    out->headers = calloc(6, sizeof *out->headers);
    if (out->url == NULL || out->headers == NULL || sns_form_publish(&out->body, m) != 0)
        goto cleanup;

    sigv4_header signed_headers[] = {{"Host", c->aws.host}, {"Content-Type", content_type}};
    sigv4_request req = {.method = "POST",
                         .path = c->aws.path,
                         .headers = signed_headers,
                         .nheaders = 2,
                         .body = out->body.data,
                         .body_len = out->body.len};
    sigv4_credentials creds = {c->aws.access_key_id, c->aws.secret_access_key,
                               c->aws.session_token};
    sigv4_signature sig;
    int src = sigv4_sign(&req, &creds, c->aws.region, "sns", now, SIGV4_TOKEN_SIGNED, &sig, NULL);
    if (src != SIGV4_OK) {
        rc = src == SIGV4_ERR_NOMEM ? SNS_ERR_NOMEM : SNS_ERR_INVALID;
        goto cleanup;
    }
    if (add_header(out, "Host", c->aws.host) != 0 ||
        add_header(out, "Content-Type", content_type) != 0 ||
        add_header(out, "X-Amz-Date", sig.amz_date) != 0 ||
        (c->aws.session_token != NULL &&
         add_header(out, "X-Amz-Security-Token", c->aws.session_token) != 0) ||
        add_header(out, "Authorization", sig.authorization) != 0 ||
        /* no 100-continue round trip for large messages */
        add_header(out, "Expect", "") != 0)
        goto cleanup;
    rc = SNS_OK;
cleanup:
    if (rc != SNS_OK)
        sns_request_free(out);
    return rc;
}

/* The raw text of the first <tag>...</tag> in body, or NULL. */
static const char *xml_element(const char *body, size_t len, const char *tag, size_t *n)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    const char *s = memmem(body, len, open, strlen(open));
    if (s == NULL)
        return NULL;
    s += strlen(open);
    const char *e = memmem(s, len - (size_t)(s - body), close, strlen(close));
    if (e == NULL)
        return NULL;
    *n = (size_t)(e - s);
    return s;
}

/* Decodes the five XML entities and numeric references below 128 of
 * s[0..n) into out (at most cap bytes); returns the length. */
static size_t xml_decode(const char *s, size_t n, char *out, size_t cap)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
    size_t o = 0;
    for (size_t i = 0; i < n && o < cap;) {
        char c = s[i];
        size_t used = 1;
        for (size_t k = 0; c == '&' && k < sizeof ents / sizeof ents[0]; k++) {
            size_t el = strlen(ents[k].ent);
            if (i + el <= n && memcmp(s + i, ents[k].ent, el) == 0) {
                c = ents[k].c;
                used = el;
                break;
            }
        }
        if (s[i] == '&' && used == 1 && i + 1 < n && s[i + 1] == '#') {
            char num[16];
            size_t k = 0;
            while (i + 2 + k < n && k + 1 < sizeof num && s[i + 2 + k] != ';')
                num[k] = s[i + 2 + k], k++;
            num[k] = '\0';
            char *end = NULL;
            long v = num[0] == 'x' ? strtol(num + 1, &end, 16) : strtol(num, &end, 10);
            if (k > 0 && end != NULL && *end == '\0' && i + 2 + k < n && v > 0 && v < 128) {
                c = (char)v;
                used = k + 3;
            }
        }
        out[o++] = c;
        i += used;
    }
    return o;
}

/* One field of the response, decoded and scrubbed; "" when absent. */
static int peer_field(const sns_client *c, const char *body, size_t len, const char *tag, char *out,
                      size_t cap)
{
    size_t n = 0;
    const char *raw = xml_element(body, len, tag, &n);
    out[0] = '\0';
    if (raw == NULL)
        return -1;
    char *decoded = malloc(SCRUB_MAX_INPUT);
    if (decoded == NULL) {
        snprintf(out, cap, "[unavailable]");
        return 0;
    }
    size_t dn = xml_decode(raw, n, decoded, SCRUB_MAX_INPUT);
    const char *secrets[2];
    aws_client_secrets(c != NULL ? &c->aws : NULL, secrets);
    scrub_peer_text(out, cap, decoded, dn, secrets, 2);
    free(decoded);
    return 0;
}

int sns_parse_response_for(const sns_client *c, const char *body, size_t len, sns_result *res)
{
    if (body == NULL || len == 0)
        return -1;
    peer_field(c, body, len, "RequestId", res->request_id, sizeof res->request_id);
    if (peer_field(c, body, len, "MessageId", res->message_id, sizeof res->message_id) == 0 &&
        res->message_id[0] != '\0')
        return 0;
    if (peer_field(c, body, len, "Code", res->error_code, sizeof res->error_code) == 0 &&
        res->error_code[0] != '\0') {
        peer_field(c, body, len, "Message", res->error_message, sizeof res->error_message);
        return 0;
    }
    return -1;
}

int sns_parse_response(const char *body, size_t len, sns_result *res)
{
    return sns_parse_response_for(NULL, body, len, res);
}
