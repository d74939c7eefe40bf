/* record.c: a batch's records: their storage, their errors, and the
 * checks of a measurement that both parse paths (and javamap.c) apply. */
#include "lambda/batch/batch.h"
#include "lambda/batch/batch_internal.h"
#include "lambda/batch/jscan.h"
#include "common/bigmem.h"
#include "common/buf.h"
#include "model/schema.h"

#include <ctype.h>
#include <stddef.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_MAX 320
#define FEATURE_MAX_CM 100.0

void batch_record_init(batch_record *rec)
{
    memset(rec, 0, sizeof *rec);
    rec->partition = -1;
    rec->offset = -1;
    rec->timestamp_ms = BATCH_NO_TIMESTAMP;
    rec->label = -1;
    rec->predicted = -1;
}

void batch_record_clear(batch_record *rec)
{
    batch_error_release(rec->error);
    free(rec->key);
    free(rec->wide);
    batch_record_init(rec);
}

void batch_free(batch *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->count && b->records != NULL; i++) {
        batch_error_release(b->records[i].error);
        free(b->records[i].key);
        free(b->records[i].wide);
    }
    bigmem_release(b->records, b->records_cap);
    batch_topics_free(b);
    memset(b, 0, sizeof *b);
}

/* A record's error text, shared by the records of one parse that failed
 * alike one after another: a count of holders in front of the text.  A
 * batch of 60,000 records failing the same way holds one string rather
 * than 60,000 (about 6 MB of heap, each page faulted in at about 16 us on a
 * Firecracker VM: make test-limits' bad-record shapes cost up to 3x an
 * ordinary batch before). */
typedef struct error_text {
    size_t holders;
    char text[];
} error_text;

/* While this thread parses an event: the last error text made, which holds
 * a reference of its own.  Sharing stays within one parse, so a batch's
 * strings are never shared with another batch (or another thread). */
static __thread error_text *recent;
static __thread int parsing;

static error_text *error_of(char *text)
{
    return (error_text *)(text - offsetof(error_text, text));
}

void batch_error_release(char *text)
{
    if (text == NULL)
        return;
    error_text *e = error_of(text);
    if (--e->holders == 0)
        free(e);
}

void batch_errors_begin(void)
{
    parsing = 1;
}

void batch_errors_end(void)
{
    parsing = 0;
    if (recent != NULL)
        batch_error_release(recent->text);
    recent = NULL;
}

int batch_record_fail(batch_record *rec, const char *msg)
{
    error_text *e;
    if (parsing && recent != NULL && strcmp(recent->text, msg) == 0) {
        e = recent;
    } else {
        size_t n = strlen(msg);
        if ((e = malloc(sizeof *e + n + 1)) == NULL)
            return -1;
        e->holders = 0;
        memcpy(e->text, msg, n + 1);
        if (parsing) {
            if (recent != NULL)
                batch_error_release(recent->text);
            recent = e;
            e->holders++;
        }
    }
    e->holders++;
    batch_error_release(rec->error);
    rec->error = e->text;
    return 0;
}

void batch_record_failf(batch_record *rec, const char *fmt, ...)
{
    char msg[ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* On allocation failure rec->error stays NULL: batch_parse sees that. */
    (void)batch_record_fail(rec, msg);
}

void batch_quote_for_error(const char *s, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    if (outlen < 8)
        return;
    out[o++] = '"';
    for (size_t i = 0; i < len && o + 5 < outlen; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = (c >= 0x20 && c < 0x7f && c != '"') ? (char)c : '?';
        if (i == 40 && i + 1 < len) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
}

int batch_set_key(batch_record *rec, buf *k)
{
    if (!k->failed && k->replaced > BATCH_KEY_NOT_UTF8_MAX) {
        rec->key_not_utf8 = k->replaced > UINT32_MAX ? UINT32_MAX : (uint32_t)k->replaced;
        buf_free(k);
        return 0;
    }
    return (rec->key = batch_detach_text(k)) == NULL ? BATCH_ERR_NOMEM : 0;
}

char *batch_detach_text(buf *b)
{
    size_t len;
    char *text = buf_detach(b, &len);
    if (text == NULL)
        return NULL;
    char *fit = realloc(text, len + 1); /* a buf holds at least 256 bytes */
    return fit != NULL ? fit : text;
}

/* A model with more features than the iris layout's: all of them in rec->wide. */
__attribute__((noinline)) static int set_wide_feature(batch_record *rec, int j, double x,
                                                      const char *key, size_t klen)
{
    if (!isfinite(x)) {
        batch_record_failf(rec, "value.%.*s: expected a finite number", (int)klen, key);
        return -1;
    }
    if (j < MODEL_NFEATURES)
        rec->features[j] = x;
    if (batch_num_features() <= MODEL_NFEATURES)
        return 0;
    if (rec->wide == NULL &&
        (rec->wide = calloc(batch_num_features(), sizeof *rec->wide)) == NULL) {
        batch_record_failf(rec, "out of memory for %zu features", batch_num_features());
        return -1;
    }
    rec->wide[j] = x;
    return 0;
}

int batch_set_feature(batch_record *rec, int j, double x, const char *key, size_t klen)
{
    if (batch_iris_layout && x >= 0 && x <= FEATURE_MAX_CM) {
        rec->features[j] = x;
        return 0;
    }
    if (!batch_iris_layout)
        return set_wide_feature(rec, j, x, key, klen);
    batch_record_failf(rec, "value.%.*s: %g is out of range (a length in cm, 0 to %g)", (int)klen,
                       key, x, FEATURE_MAX_CM);
    return -1;
}

int batch_set_feature_text(batch_record *rec, int j, const char *s, size_t n, const char *what,
                           const char *key, size_t klen)
{
    char q[64], small[64], *text = small;
    double x;
    const char *cur = s;
    if (!jscan_is_number(s, n)) {
        batch_quote_for_error(s, n, q, sizeof q);
        batch_record_failf(rec, "value.%.*s: expected a number, got %s%s", (int)klen, key, what, q);
        return -1;
    }
    if (jscan_number(&cur, s + n, &x) != 0 || cur != s + n) {
        /* More digits than jscan_number reads exactly: strtod of the same
         * text, which the grammar check above keeps to JSON's numbers. */
        if (n >= sizeof small && (text = malloc(n + 1)) == NULL) {
            batch_record_failf(rec, "value.%.*s: out of memory reading a %zu-digit number",
                               (int)klen, key, n);
            return -1;
        }
        memcpy(text, s, n);
        text[n] = '\0';
        x = strtod(text, NULL);
        if (text != small)
            free(text);
    }
    if (!isfinite(x)) {
        batch_quote_for_error(s, n, q, sizeof q);
        batch_record_failf(rec, "value.%.*s: %s%s is beyond the range of a double (about 1.8e308)",
                           (int)klen, key, what, q);
        return -1;
    }
    return batch_set_feature(rec, j, x, key, klen);
}

int batch_fail_missing_feature(batch_record *rec, int j)
{
    /* The field's other spellings (model/schema.h): snake_case, upper case. */
    const char *name = batch_feature_name((size_t)j), *snake = batch_feature_snake((size_t)j);
    char upper[SCHEMA_NAME_MAX + 1];
    size_t i = 0;
    for (; snake[i] != '\0'; i++)
        upper[i] = (char)toupper((unsigned char)snake[i]);
    upper[i] = '\0';
    batch_record_failf(rec, "value: missing field %s (also accepted: %s style, %s style)", name,
                       snake, upper);
    return -1;
}
