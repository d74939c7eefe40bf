/* alert_text.c: the pieces of an alert's Subject and Message that the
 * per-batch alerts (alert.c) and the sequential tests' alerts
 * (alert_episode.c) both write. */
#include "lambda/alert_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "45%", "66.6%": truncated (not rounded) to 0.1, so a value just below a
 * threshold never prints equal to it. */
void alert_format_percent(double v, char *out, size_t outlen)
{
    double x = floor(v * 1000.0 + 1e-6) / 10.0;
    if (x == floor(x))
        snprintf(out, outlen, "%.0f%%", x);
    else
        snprintf(out, outlen, "%.1f%%", x);
}

static int cmp_range_records(const void *a, const void *b)
{
    const batch_record *x = *(const batch_record *const *)a, *y = *(const batch_record *const *)b;
    int c = strcmp(x->topic, y->topic);
    if (c != 0)
        return c;
    if (x->partition != y->partition)
        return x->partition < y->partition ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Offset ranges per (topic, partition), sorted; *out is malloc'd. */
int alert_offset_ranges(const batch *b, alert_range **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    const batch_record **recs = malloc((b->count ? b->count : 1) * sizeof *recs);
    alert_range *r = malloc((b->count ? b->count : 1) * sizeof *r);
    if (recs == NULL || r == NULL) {
        free(recs);
        free(r);
        return -1;
    }
    size_t m = 0;
    for (size_t i = 0; i < b->count; i++) {
        const batch_record *rec = &b->records[i];
        if (rec->topic != NULL && rec->partition >= 0 && rec->offset >= 0)
            recs[m++] = rec;
    }
    qsort(recs, m, sizeof *recs, cmp_range_records);
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        if (k > 0 && strcmp(r[k - 1].topic, recs[i]->topic) == 0 &&
            r[k - 1].partition == recs[i]->partition) {
            r[k - 1].last = recs[i]->offset;
            r[k - 1].records++;
            continue;
        }
        r[k++] =
            (alert_range){recs[i]->topic, recs[i]->partition, recs[i]->offset, recs[i]->offset, 1};
    }
    free(recs);
    *out = r;
    *n = k;
    return 0;
}

void alert_range_text(buf *t, const alert_range *r)
{
    buf_printf(t, "%s/%d %lld", r->topic, (int)r->partition, (long long)r->first);
    if (r->last != r->first)
        buf_printf(t, "-%lld", (long long)r->last);
}

void alert_printable(char *s)
{
    for (char *c = s; *c; c++)
        if (*c < 0x20 || *c > 0x7e)
            *c = '?';
}

const char *alert_class_name(const alert_context *ctx, int k, char *tmp, size_t tmplen)
{
    if (k >= 0 && (size_t)k < ctx->nclasses && ctx->class_names[k] != NULL)
        return ctx->class_names[k];
    snprintf(tmp, tmplen, "class%d", k);
    return tmp;
}

void alert_json_key(buf *m, const char *key)
{
    buf_json_cstr(m, key);
    buf_putc(m, ':');
}

/* null when BATCH_NO_TIMESTAMP */
static void json_timestamp(buf *m, int64_t ms)
{
    if (ms != BATCH_NO_TIMESTAMP)
        buf_json_int(m, ms);
    else
        buf_puts(m, "null");
}

/* null when negative */
static void json_opt_int(buf *m, int64_t v)
{
    if (v < 0)
        buf_puts(m, "null");
    else
        buf_json_int(m, v);
}

void alert_write_head(buf *m, const alert_context *ctx, const char *what, const char *kind,
                      const char *severity)
{
    buf_putc(m, '{');
    alert_json_key(m, "alert");
    buf_json_cstr(m, what);
    buf_putc(m, ',');
    alert_json_key(m, "kind");
    buf_json_cstr(m, kind);
    buf_putc(m, ',');
    alert_json_key(m, "severity");
    buf_json_cstr(m, severity);
    buf_putc(m, ',');
    alert_json_key(m, "functionName");
    buf_json_cstr(m, ctx->function_name ? ctx->function_name : "");
    buf_putc(m, ',');
    alert_json_key(m, "requestId");
    buf_json_cstr(m, ctx->request_id ? ctx->request_id : "");
}

void alert_write_ranges(buf *m, const alert_range *r, size_t nr, size_t max_ranges)
{
    buf_puts(m, "\"offsetRanges\":[");
    size_t shown = nr < max_ranges ? nr : max_ranges;
    for (size_t i = 0; i < shown; i++) {
        buf_puts(m, i ? ",{\"topic\":" : "{\"topic\":");
        buf_json_cstr(m, r[i].topic);
        buf_printf(m, ",\"partition\":%d,\"firstOffset\":%lld,\"lastOffset\":%lld,\"records\":%zu}",
                   (int)r[i].partition, (long long)r[i].first, (long long)r[i].last, r[i].records);
    }
    buf_putc(m, ']');
    if (shown < nr)
        buf_printf(m, ",\"offsetRangesOmitted\":%zu", nr - shown);
}

void alert_write_position(buf *m, const char *topic, int64_t partition, int64_t offset,
                          int64_t timestamp_ms)
{
    buf_puts(m, "{\"topic\":");
    buf_json_cstr(m, topic);
    buf_puts(m, ",\"partition\":");
    json_opt_int(m, partition);
    buf_puts(m, ",\"offset\":");
    json_opt_int(m, offset);
    buf_puts(m, ",\"timestamp\":");
    json_timestamp(m, timestamp_ms);
}

void alert_write_record(buf *m, const alert_context *ctx, const batch_record *rec)
{
    char t1[32], t2[32];
    alert_write_position(m, rec->topic, rec->partition, rec->offset, rec->timestamp_ms);
    const double *x = batch_record_features(rec);
    for (size_t f = 0; f < batch_num_features(); f++) {
        buf_putc(m, ',');
        alert_json_key(m, batch_feature_name(f));
        buf_json_double(m, x[f]);
    }
    buf_putc(m, ',');
    alert_json_key(m, batch_label_name());
    if (rec->label >= 0)
        buf_json_cstr(m, alert_class_name(ctx, rec->label, t1, sizeof t1));
    else
        buf_puts(m, "null");
    buf_putc(m, ',');
    alert_json_key(m, batch_predicted_name());
    buf_json_cstr(m, alert_class_name(ctx, rec->predicted, t2, sizeof t2));
    buf_puts(m, ",\"probability\":");
    buf_json_double(m, rec->predicted < MODEL_MAX_CLASSES ? rec->probs[rec->predicted] : NAN);
}

int alert_write_example(buf *m, const alert_context *ctx, const batch_record *rec, size_t *total,
                        size_t *written, size_t max_examples)
{
    ++*total;
    if (*written >= max_examples)
        return 0;
    if ((*written)++)
        buf_putc(m, ',');
    alert_write_record(m, ctx, rec);
    return 1;
}

size_t alert_write_misclassified(buf *m, const alert_context *ctx, const batch *b,
                                 size_t max_examples)
{
    buf_puts(m, "\"misclassified\":[");
    size_t total = 0, written = 0;
    for (size_t i = 0; i < b->count; i++) {
        const batch_record *rec = &b->records[i];
        if (rec->error != NULL || rec->label < 0 || rec->predicted < 0 ||
            rec->label == rec->predicted)
            continue;
        if (alert_write_example(m, ctx, rec, &total, &written, max_examples))
            buf_putc(m, '}');
    }
    buf_printf(m, "],\"misclassifiedTotal\":%zu", total);
    return written;
}

int alert_fit(alert *out, const batch *b, size_t max_message_bytes, alert_writer write,
              const void *ctx)
{
    alert_range *r = NULL;
    size_t nr = 0;
    buf m = BUF_INIT;
    int rc = -1;
    if (alert_offset_ranges(b, &r, &nr) != 0)
        goto cleanup;
    /* Largest first; drop examples, then offset ranges, until it fits. */
    alert_shape shape = {r, nr, nr, ALERT_MAX_EXAMPLES, 0};
    size_t written = 0;
    for (;;) {
        shape.truncated = shape.max_examples < ALERT_MAX_EXAMPLES || shape.max_ranges < nr;
        buf_reset(&m);
        written = write(&m, ctx, &shape);
        if (m.failed)
            goto cleanup;
        if (m.len <= max_message_bytes) {
            out->truncated = shape.truncated;
            break;
        }
        if (shape.max_examples > 0)
            shape.max_examples--;
        else if (shape.max_ranges > 0)
            shape.max_ranges /= 2;
        else
            goto cleanup;
    }
    out->examples = written;
    out->message = buf_detach(&m, &out->message_len);
    rc = out->message != NULL ? 0 : -1;
cleanup:
    buf_free(&m);
    free(r);
    return rc;
}
