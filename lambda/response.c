/* response.c: the response document, whole or streamed. */
#include "lambda/response.h"

#include <math.h>
#include <string.h>

#define CHUNK_BYTES 16384

static const char *const feature_out[MODEL_NFEATURES] = {
    ",\"sepalLength\":", ",\"sepalWidth\":", ",\"petalLength\":", ",\"petalWidth\":"};
static const size_t feature_len[MODEL_NFEATURES] = {15, 14, 15, 14};

/* Probabilities to 6 decimals, trailing zeros dropped ("0.973214", "1", "0"). */
static void write_prob(buf *out, double p)
{
    if (!(p > 0)) {
        buf_putc(out, '0');
        return;
    }
    long long micro = llround(p * 1e6);
    if (micro >= 1000000) {
        buf_putc(out, '1');
        return;
    }
    char s[16];
    int n = 0;
    s[n++] = '0';
    s[n++] = '.';
    long long div = 100000;
    for (int i = 0; i < 6; i++, div /= 10)
        s[n++] = (char)('0' + (micro / div) % 10);
    while (s[n - 1] == '0')
        n--;
    if (s[n - 1] == '.')
        n--;
    buf_append(out, s, (size_t)n);
}

static void write_opt_int(buf *out, int64_t v)
{
    if (v >= 0)
        buf_json_int(out, v);
    else
        BUF_LIT(out, "null");
}

static void write_record(buf *out, const batch_record *rec, const buf *names, size_t nclasses)
{
    BUF_LIT(out, "{\"payload\":{\"topic\":");
    buf_json_cstr(out, rec->topic);
    BUF_LIT(out, ",\"partition\":");
    write_opt_int(out, rec->partition);
    BUF_LIT(out, ",\"offset\":");
    write_opt_int(out, rec->offset);
    BUF_LIT(out, ",\"timestamp\":");
    if (rec->timestamp_ms != BATCH_NO_TIMESTAMP) /* negative timestamps are echoed */
        buf_json_int(out, rec->timestamp_ms);
    else
        BUF_LIT(out, "null");
    if (rec->key != NULL) {
        BUF_LIT(out, ",\"key\":");
        buf_puts(out, rec->key);
    }
    /* The connector keeps only what is inside the element: the error too. */
    if (rec->error != NULL) {
        BUF_LIT(out, ",\"error\":");
        buf_json_cstr(out, rec->error);
        BUF_LIT(out, "}}");
        return;
    }
    for (int j = 0; j < MODEL_NFEATURES; j++) {
        buf_append(out, feature_out[j], feature_len[j]);
        buf_json_double(out, rec->features[j]);
    }
    BUF_LIT(out, ",\"species\":");
    if (rec->label >= 0)
        buf_append(out, names[rec->label].data, names[rec->label].len);
    else
        BUF_LIT(out, "null");
    BUF_LIT(out, ",\"predictedSpecies\":");
    buf_append(out, names[rec->predicted].data, names[rec->predicted].len);
    BUF_LIT(out, ",\"probabilities\":{");
    for (size_t k = 0; k < nclasses; k++) {
        if (k > 0)
            buf_putc(out, ',');
        buf_append(out, names[k].data, names[k].len);
        buf_putc(out, ':');
        write_prob(out, rec->probs[k]);
    }
    BUF_LIT(out, "},\"correct\":");
    buf_puts(out, rec->label < 0 ? "null" : rec->label == rec->predicted ? "true" : "false");
    BUF_LIT(out, "}}");
}

int response_stream_init(response_stream *s, const batch *b, const model *m)
{
    memset(s, 0, sizeof *s);
    s->b = b;
    s->m = m;
    s->nclasses = model_num_classes(m);
    int failed = 0;
    for (size_t k = 0; k < s->nclasses; k++) {
        buf_json_cstr(&s->names[k], model_class_name(m, k));
        failed |= s->names[k].failed;
    }
    failed |= buf_reserve(&s->chunk, CHUNK_BYTES + 1024) != 0;
    if (failed) {
        response_stream_free(s);
        return -1;
    }
    return 0;
}

void response_stream_free(response_stream *s)
{
    if (s == NULL)
        return;
    for (size_t k = 0; k < MODEL_MAX_CLASSES; k++)
        buf_free(&s->names[k]);
    buf_free(&s->chunk);
}

static void rewind_stream(response_stream *s)
{
    s->next = 0;
    s->done = 0;
    buf_reset(&s->chunk);
    s->chunk_off = 0;
}

/* Formats the next piece: "[" and the first records, then ",record"s, then
 * "]".  Returns 1 with a piece in chunk, 0 at the end, -1 out of memory. */
static int refill(response_stream *s)
{
    buf_reset(&s->chunk);
    s->chunk_off = 0;
    if (s->done)
        return 0;
    if (s->next == 0)
        buf_putc(&s->chunk, '[');
    while (s->next < s->b->count && s->chunk.len < CHUNK_BYTES) {
        if (s->next > 0)
            buf_putc(&s->chunk, ',');
        write_record(&s->chunk, &s->b->records[s->next++], s->names, s->nclasses);
    }
    if (s->next == s->b->count) {
        buf_putc(&s->chunk, ']');
        s->done = 1;
    }
    return s->chunk.failed ? -1 : 1;
}

long long response_stream_size(response_stream *s)
{
    long long total = 0;
    int r;
    rewind_stream(s);
    while ((r = refill(s)) == 1)
        total += (long long)s->chunk.len;
    rewind_stream(s);
    return r < 0 ? -1 : total;
}

size_t response_stream_fill(void *ctx, char *dst, size_t cap)
{
    response_stream *s = ctx;
    size_t n = 0;
    while (n < cap) {
        if (s->chunk_off == s->chunk.len && refill(s) != 1)
            break;
        size_t take = s->chunk.len - s->chunk_off;
        if (take > cap - n)
            take = cap - n;
        memcpy(dst + n, s->chunk.data + s->chunk_off, take);
        s->chunk_off += take;
        n += take;
    }
    return n;
}

int response_write(buf *out, const batch *b, const model *m)
{
    response_stream s;
    if (response_stream_init(&s, b, m) != 0)
        return -1;
    int r;
    while ((r = refill(&s)) == 1)
        buf_append(out, s.chunk.data, s.chunk.len);
    response_stream_free(&s);
    return r < 0 || out->failed ? -1 : 0;
}
