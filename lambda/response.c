/* response.c: the response document, whole or streamed. */
#include "lambda/response.h"

#include <math.h>
#include <string.h>

#define CHUNK_BYTES 16384

/* Room a record may need besides its topic, key, field names, class names
 * and error: the literals (under 240 bytes, a key not echoed's count
 * included) and three numbers besides its features. */
#define RECORD_FIXED_ROOM (256 + 3 * BUF_NUMBER_MAX)

/* The writers below write straight into memory the caller has made room
 * for (record_room()) and return the end of what they wrote. */
static char *put(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}
#define PUT_LIT(o, lit) put((o), "" lit, sizeof(lit) - 1)

static char *put_opt_int(char *o, int64_t v, int present)
{
    return present ? o + buf_format_int(o, v) : PUT_LIT(o, "null");
}

/* Probabilities to 6 decimals, trailing zeros dropped ("0.973214", "1",
 * "0"); half a millionth rounds away from zero, as llround() does. */
static char *put_prob(char *o, double p)
{
    if (!(p > 0))
        return PUT_LIT(o, "0");
    double x = p * 1e6;
    if (!(x < 1e6))
        return PUT_LIT(o, "1");
    long micro = (long)x; /* x < 1e6: the truncation and x - micro are exact */
    if (x - (double)micro >= 0.5)
        micro++;
    if (micro >= 1000000)
        return PUT_LIT(o, "1");
    static const char pairs[] = "00010203040506070809101112131415161718192021222324"
                                "25262728293031323334353637383940414243444546474849"
                                "50515253545556575859606162636465666768697071727374"
                                "75767778798081828384858687888990919293949596979899";
    char s[8] = {'0', '.'};
    memcpy(s + 2, pairs + 2 * (micro / 10000), 2);
    memcpy(s + 4, pairs + 2 * (micro / 100 % 100), 2);
    memcpy(s + 6, pairs + 2 * (micro % 100), 2);
    int n = 8;
    while (s[n - 1] == '0')
        n--;
    if (s[n - 1] == '.')
        n--;
    return put(o, s, (size_t)n);
}

/* The topic as a JSON string, kept for the records that follow (topics
 * are interned: one pointer per name). */
static int topic_json(response_stream *s, const char *topic)
{
    if (s->topic_set && topic == s->topic)
        return 0;
    buf_reset(&s->topic_json);
    buf_json_cstr(&s->topic_json, topic);
    s->topic = topic;
    s->topic_set = !s->topic_json.failed;
    return s->topic_json.failed ? -1 : 0;
}

/* Bytes put_head() and put_scores() may write for a record with a key of
 * keylen bytes (after topic_json() for its topic). */
static size_t record_room(const response_stream *s, size_t keylen)
{
    return s->fixed_room + s->topic_json.len + keylen + s->names_room;
}

static char *put_head(char *o, const response_stream *s, const batch_record *rec, size_t keylen)
{
    o = PUT_LIT(o, "{\"payload\":{\"topic\":");
    o = put(o, s->topic_json.data, s->topic_json.len);
    o = PUT_LIT(o, ",\"partition\":");
    o = put_opt_int(o, rec->partition, rec->partition >= 0);
    o = PUT_LIT(o, ",\"offset\":");
    o = put_opt_int(o, rec->offset, rec->offset >= 0);
    o = PUT_LIT(o, ",\"timestamp\":");
    /* negative timestamps are echoed */
    o = put_opt_int(o, rec->timestamp_ms, rec->timestamp_ms != BATCH_NO_TIMESTAMP);
    if (rec->key != NULL) {
        o = PUT_LIT(o, ",\"key\":");
        o = put(o, rec->key, keylen);
    } else if (rec->key_not_utf8 > 0) { /* batch.h: BATCH_KEY_NOT_UTF8_MAX */
        o = PUT_LIT(o, ",\"keyNotUtf8Bytes\":");
        o += buf_format_int(o, rec->key_not_utf8);
    }
    return o;
}

/* A feature's value as buf_format_double() writes it.  Measurements repeat
 * (iris: to a tenth of a centimetre, a few dozen values each), so each is formatted
 * once per stream and then copied: a small direct-mapped cache keyed by
 * the double's bits. */
static char *put_measurement(char *o, response_stream *s, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    response_number *e = &s->measurements[(bits * 0x9e3779b97f4a7c15u) >> 58];
    if (!e->len || e->bits != bits) {
        e->bits = bits;
        e->len = (unsigned char)buf_format_double(e->text, v);
    }
    memcpy(o, e->text, sizeof e->text); /* a constant size: the room is there */
    return o + e->len;
}

/* The label's value, or null when the record was unlabelled. */
static char *put_label(char *o, const response_stream *s, const batch_record *rec)
{
    if (rec->label >= 0)
        return put(o, s->names[rec->label].data, s->names[rec->label].len);
    return PUT_LIT(o, "null");
}

/* The predicted class's value, the probabilities and "correct". */
static char *put_prediction(char *o, const response_stream *s, const batch_record *rec)
{
    const buf *names = s->names;
    o = put(o, names[rec->predicted].data, names[rec->predicted].len);
    o = PUT_LIT(o, ",\"probabilities\":{");
    for (size_t k = 0; k < s->nclasses; k++) {
        if (k > 0)
            *o++ = ',';
        o = put(o, names[k].data, names[k].len);
        *o++ = ':';
        o = put_prob(o, rec->probs[k]);
    }
    o = PUT_LIT(o, "},\"correct\":");
    if (rec->label < 0)
        o = PUT_LIT(o, "null");
    else if (rec->label == rec->predicted)
        o = PUT_LIT(o, "true");
    else
        o = PUT_LIT(o, "false");
    return PUT_LIT(o, "}}");
}

/* Field i's member name, written as ,"name": (the features, then the label
 * and the predicted label, as the served model names them).  A short one
 * is copied as FIELD_COPY bytes (a constant size: a few moves, no call);
 * fields and the record's room have that much to spare. */
#define FIELD_COPY 32
static char *put_field(char *o, const response_stream *s, size_t i)
{
    const char *from = s->fields.data + s->field_at[i];
    size_t n = s->field_len[i];
    if (n <= FIELD_COPY) {
        memcpy(o, from, FIELD_COPY);
        return o + n;
    }
    return put(o, from, n);
}

/* The rest of a record that was read and scored. */
static char *put_scores(char *o, response_stream *s, const batch_record *rec)
{
    const double *x = batch_record_features(rec);
    for (size_t j = 0; j < s->nfeatures; j++) {
        o = put_field(o, s, j);
        o = put_measurement(o, s, x[j]);
    }
    o = put_field(o, s, s->nfeatures);
    o = put_label(o, s, rec);
    o = put_field(o, s, s->nfeatures + 1);
    return put_prediction(o, s, rec);
}

static int write_record(response_stream *s, buf *out, const batch_record *rec)
{
    if (topic_json(s, rec->topic) != 0)
        return -1;
    size_t keylen = rec->key != NULL ? strlen(rec->key) : 0;
    if (buf_reserve(out, record_room(s, keylen)) != 0)
        return -1;
    char *o = put_head(out->data + out->len, s, rec, keylen);
    if (rec->error == NULL)
        o = put_scores(o, s, rec);
    out->len = (size_t)(o - out->data);
    out->data[out->len] = '\0';
    /* The connector keeps only what is inside the element: the error too. */
    if (rec->error != NULL) {
        BUF_LIT(out, ",\"error\":");
        buf_json_cstr(out, rec->error);
        BUF_LIT(out, "}}");
    }
    return out->failed ? -1 : 0;
}

/* The member names of the served layout (batch.h), as JSON. */
static int prepare_fields(response_stream *s)
{
    s->nfeatures = batch_num_features();
    for (size_t i = 0; i < s->nfeatures + 2; i++) {
        const char *name = i < s->nfeatures    ? batch_feature_name(i)
                           : i == s->nfeatures ? batch_label_name()
                                               : batch_predicted_name();
        s->field_at[i] = s->fields.len;
        buf_putc(&s->fields, ',');
        buf_json_cstr(&s->fields, name);
        buf_putc(&s->fields, ':');
        s->field_len[i] = s->fields.len - s->field_at[i];
    }
    s->fixed_room = RECORD_FIXED_ROOM + s->nfeatures * BUF_NUMBER_MAX + s->fields.len + FIELD_COPY;
    return buf_reserve(&s->fields, FIELD_COPY) != 0 || s->fields.failed ? -1 : 0;
}

int response_stream_init(response_stream *s, const batch *b, const model *m)
{
    memset(s, 0, sizeof *s);
    s->b = b;
    s->m = m;
    s->nclasses = model_num_classes(m);
    int failed = 0;
    size_t longest = 0;
    for (size_t k = 0; k < s->nclasses; k++) {
        buf_json_cstr(&s->names[k], model_class_name(m, k));
        failed |= s->names[k].failed;
        s->names_room += s->names[k].len + 16; /* ",name:" and a probability */
        longest = s->names[k].len > longest ? s->names[k].len : longest;
    }
    s->names_room += 2 * longest; /* species and predictedSpecies */
    failed |= buf_reserve(&s->chunk, CHUNK_BYTES + 1024) != 0;
    failed |= prepare_fields(s) != 0;
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
    buf_free(&s->topic_json);
    buf_free(&s->fields);
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
        if (write_record(s, &s->chunk, &s->b->records[s->next++]) != 0)
            return -1;
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

/* Records after the first, written straight into dst while they surely
 * fit (records with an error go through refill()); returns the bytes
 * written. */
static size_t put_direct(response_stream *s, char *dst, size_t cap)
{
    size_t n = 0;
    while (s->next > 0 && s->next < s->b->count) {
        const batch_record *rec = &s->b->records[s->next];
        if (rec->error != NULL || topic_json(s, rec->topic) != 0)
            break;
        size_t keylen = rec->key != NULL ? strlen(rec->key) : 0;
        if (cap - n < 1 + record_room(s, keylen))
            break;
        dst[n] = ',';
        char *o = put_scores(put_head(dst + n + 1, s, rec, keylen), s, rec);
        n = (size_t)(o - dst);
        s->next++;
    }
    return n;
}

size_t response_stream_fill(void *ctx, char *dst, size_t cap)
{
    response_stream *s = ctx;
    size_t n = 0;
    while (n < cap) {
        if (s->chunk_off == s->chunk.len) {
            size_t direct = put_direct(s, dst + n, cap - n);
            n += direct;
            if (direct > 0)
                continue;
            if (refill(s) != 1)
                break;
        }
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
