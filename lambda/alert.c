/* alert.c: alert policy, Subject and JSON Message. */
#include "lambda/alert.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "lambda/alert_impl.h"

/* Room kept out of SNS's 256 KiB for the two attributes and slack. */
#define ATTRIBUTE_RESERVE 1024
#define SNS_LIMIT_BYTES 262144

void alert_policy_defaults(alert_policy *p)
{
    p->mode = ALERT_MODE_SEQUENTIAL;
    p->min_records = ALERT_DEFAULT_MIN_RECORDS;
    p->accuracy_threshold = ALERT_DEFAULT_ACCURACY_THRESHOLD;
}

size_t alert_message_budget(void)
{
    return SNS_LIMIT_BYTES - ATTRIBUTE_RESERVE;
}

const char *alert_mode_name(enum alert_mode mode)
{
    switch (mode) {
    case ALERT_MODE_OFF:
        return "off";
    case ALERT_MODE_THRESHOLD:
        return "threshold";
    case ALERT_MODE_EVERY:
        return "every";
    case ALERT_MODE_SEQUENTIAL:
        return "sequential";
    }
    return "?";
}

int alert_parse_mode(const char *value, enum alert_mode *out, char *err, size_t errlen)
{
    if (value == NULL || *value == '\0') {
        *out = ALERT_MODE_SEQUENTIAL;
        return 0;
    }
    for (int m = ALERT_MODE_OFF; m <= ALERT_MODE_SEQUENTIAL; m++)
        if (strcasecmp(value, alert_mode_name((enum alert_mode)m)) == 0) {
            *out = (enum alert_mode)m;
            return 0;
        }
    snprintf(err, errlen,
             "ALERT_MODE=\"%.64s\" is not valid: use sequential, threshold, every or off", value);
    return -1;
}

int alert_parse_min_records(const char *value, size_t *out, char *err, size_t errlen)
{
    if (value == NULL || *value == '\0') {
        *out = ALERT_DEFAULT_MIN_RECORDS;
        return 0;
    }
    int ok = 1;
    for (const char *p = value; *p; p++)
        ok &= isdigit((unsigned char)*p) != 0;
    errno = 0;
    unsigned long long v = ok ? strtoull(value, NULL, 10) : 0;
    if (!ok || errno != 0 || v < 1 || v > 1000000000ULL) {
        snprintf(err, errlen,
                 "ALERT_MIN_RECORDS=\"%.64s\" is not valid: use a whole number of labelled "
                 "records from 1 to 1000000000 (default %d)",
                 value, ALERT_DEFAULT_MIN_RECORDS);
        return -1;
    }
    *out = (size_t)v;
    return 0;
}

int alert_parse_threshold(const char *value, double *out, char *err, size_t errlen)
{
    if (value == NULL || *value == '\0') {
        *out = ALERT_DEFAULT_ACCURACY_THRESHOLD;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    double v = strtod(value, &end);
    if (errno != 0 || end == value || *end != '\0' || !isfinite(v) || v < 0.0 || v > 1.0 ||
        isspace((unsigned char)value[0])) {
        snprintf(err, errlen,
                 "ALERT_ACCURACY_THRESHOLD=\"%.64s\" is not valid: use a number from 0 to 1, "
                 "e.g. 0.9 for 90%%",
                 value);
        return -1;
    }
    *out = v;
    return 0;
}

int alert_due(const alert_policy *p, const evaluation *e)
{
    switch (p->mode) {
    case ALERT_MODE_OFF:
    case ALERT_MODE_SEQUENTIAL:
        return 0;
    case ALERT_MODE_EVERY:
        return 1;
    case ALERT_MODE_THRESHOLD:
        return e->labelled > 0 && e->labelled >= p->min_records &&
               e->accuracy < p->accuracy_threshold;
    }
    return 0;
}

static const char *severity_of(const alert_policy *p, const evaluation *e)
{
    if (e->labelled > 0 && e->accuracy < p->accuracy_threshold)
        return e->labelled >= p->min_records ? "critical" : "warning";
    return "info";
}

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

static void build_subject(const alert_policy *p, const evaluation *e, const alert_range *r,
                          size_t nr, char *out)
{
    char head[160], acc[16], thr[16];
    buf where = BUF_INIT;
    if (e->labelled > 0) {
        alert_format_percent(e->accuracy, acc, sizeof acc);
        alert_format_percent(p->accuracy_threshold, thr, sizeof thr);
        snprintf(head, sizeof head, "iris model accuracy %s %s %s on %zu records", acc,
                 e->accuracy < p->accuracy_threshold ? "<" : ">=", thr, e->labelled);
    } else {
        snprintf(head, sizeof head, "iris batch of %zu records, none labelled", e->records);
    }
    size_t room = strlen(head) < ALERT_SUBJECT_MAX ? ALERT_SUBJECT_MAX - strlen(head) : 0;
    if (nr == 0) {
        buf_puts(&where, " (direct invoke)");
    } else {
        buf_puts(&where, " (");
        for (size_t i = 0; i < nr; i++) {
            if (i > 0)
                buf_puts(&where, ", ");
            alert_range_text(&where, &r[i]);
        }
        buf_putc(&where, ')');
        if (!where.failed && where.len > room) {
            buf_reset(&where);
            buf_puts(&where, " (");
            alert_range_text(&where, &r[0]);
            if (nr > 1)
                buf_printf(&where, " +%zu more", nr - 1);
            buf_putc(&where, ')');
        }
        if (!where.failed && where.len > room && room >= 6) {
            /* A very long topic name: cut it and say so. */
            where.len = room - 4;
            buf_puts(&where, "...)");
        }
    }
    if (where.failed || where.len > room)
        buf_reset(&where);
    size_t hl = strlen(head), wl = where.len;
    if (hl > ALERT_SUBJECT_MAX)
        hl = ALERT_SUBJECT_MAX;
    if (hl + wl > ALERT_SUBJECT_MAX)
        wl = ALERT_SUBJECT_MAX - hl;
    memcpy(out, head, hl);
    if (wl > 0)
        memcpy(out + hl, where.data, wl);
    out[hl + wl] = '\0';
    alert_printable(out);
    buf_free(&where);
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

void alert_json_timestamp(buf *m, int64_t ms)
{
    if (ms != BATCH_NO_TIMESTAMP)
        buf_json_int(m, ms);
    else
        buf_puts(m, "null");
}

void alert_json_opt_int(buf *m, int64_t v)
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

void alert_write_record(buf *m, const alert_context *ctx, const batch_record *rec)
{
    char t1[32], t2[32];
    buf_puts(m, "{\"topic\":");
    buf_json_cstr(m, rec->topic);
    buf_puts(m, ",\"partition\":");
    alert_json_opt_int(m, rec->partition);
    buf_puts(m, ",\"offset\":");
    alert_json_opt_int(m, rec->offset);
    buf_puts(m, ",\"timestamp\":");
    alert_json_timestamp(m, rec->timestamp_ms);
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
        total++;
        if (written >= max_examples)
            continue;
        if (written++)
            buf_putc(m, ',');
        alert_write_record(m, ctx, rec);
        buf_putc(m, '}');
    }
    buf_printf(m, "],\"misclassifiedTotal\":%zu", total);
    return written;
}

static void write_message(buf *m, const alert_policy *p, const alert_context *ctx, const batch *b,
                          const evaluation *e, const alert_range *r, size_t nr, size_t max_ranges,
                          size_t max_examples, int truncated, const char *severity)
{
    char tn[MODEL_MAX_CLASSES][32];
    const char *names[MODEL_MAX_CLASSES];
    for (size_t k = 0; k < e->nclasses && k < MODEL_MAX_CLASSES; k++)
        names[k] = alert_class_name(ctx, (int)k, tn[k], sizeof tn[k]);
    if (strcmp(severity, "critical") == 0)
        alert_write_head(m, ctx, "iris model accuracy below threshold", "batch-threshold",
                         severity);
    else if (strcmp(severity, "warning") == 0)
        alert_write_head(m, ctx, "iris model accuracy below threshold on too few labelled records",
                         "batch-summary", severity);
    else
        alert_write_head(m, ctx, "iris batch summary", "batch-summary", severity);
    buf_puts(m, ",\"policy\":{\"mode\":");
    buf_json_cstr(m, alert_mode_name(p->mode));
    buf_printf(m, ",\"minRecords\":%zu,\"accuracyThreshold\":", p->min_records);
    buf_json_double(m, p->accuracy_threshold);
    buf_puts(m, "},");
    evaluate_write_json(m, e, names);
    buf_putc(m, ',');
    alert_write_ranges(m, r, nr, max_ranges);
    buf_putc(m, ',');
    alert_write_misclassified(m, ctx, b, max_examples);
    buf_printf(m, ",\"truncated\":%s}", truncated ? "true" : "false");
}

int alert_build(const alert_policy *p, const alert_context *ctx, const batch *b,
                const evaluation *e, size_t max_message_bytes, alert *out)
{
    memset(out, 0, sizeof *out);
    alert_range *r = NULL;
    size_t nr = 0;
    buf m = BUF_INIT;
    int rc = -1;
    if (alert_offset_ranges(b, &r, &nr) != 0)
        goto cleanup;
    out->severity = severity_of(p, e);
    out->kind = strcmp(out->severity, "critical") == 0 ? "batch-threshold" : "batch-summary";
    build_subject(p, e, r, nr, out->subject);
    if (e->labelled > 0 && isfinite(e->accuracy))
        snprintf(out->accuracy, sizeof out->accuracy, "%.6g", e->accuracy);

    /* Largest first; drop examples, then offset ranges, until it fits. */
    size_t examples = ALERT_MAX_EXAMPLES, ranges = nr;
    for (;;) {
        int truncated = examples < ALERT_MAX_EXAMPLES || ranges < nr;
        buf_reset(&m);
        write_message(&m, p, ctx, b, e, r, nr, ranges, examples, truncated, out->severity);
        if (m.failed)
            goto cleanup;
        if (m.len <= max_message_bytes) {
            out->truncated = truncated;
            break;
        }
        if (examples > 0)
            examples--;
        else if (ranges > 0)
            ranges /= 2;
        else
            goto cleanup;
    }
    size_t written = 0;
    for (size_t i = 0; i < b->count && written < examples; i++) {
        const batch_record *rec = &b->records[i];
        written += rec->error == NULL && rec->label >= 0 && rec->predicted >= 0 &&
                   rec->label != rec->predicted;
    }
    out->examples = written;
    out->message = buf_detach(&m, &out->message_len);
    rc = out->message != NULL ? 0 : -1;
cleanup:
    buf_free(&m);
    free(r);
    return rc;
}

size_t alert_count(const alert_policy *p, const evaluation *e, const monitor_verdict *v)
{
    if (p->mode == ALERT_MODE_SEQUENTIAL)
        return v != NULL ? v->nevents : 0;
    return (size_t)alert_due(p, e);
}

int alert_build_nth(const alert_policy *p, const alert_context *ctx, const batch *b,
                    const evaluation *e, const monitor_verdict *v, size_t i,
                    size_t max_message_bytes, alert *out)
{
    if (p->mode == ALERT_MODE_SEQUENTIAL) {
        memset(out, 0, sizeof *out);
        if (v == NULL || i >= v->nevents)
            return -1;
        return alert_build_event(p, ctx, b, e, v, &v->events[i], max_message_bytes, out);
    }
    return alert_build(p, ctx, b, e, max_message_bytes, out);
}

void alert_free(alert *a)
{
    if (a == NULL)
        return;
    free(a->message);
    a->message = NULL;
    a->message_len = 0;
}
