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
#include "lambda/alert_episode.h"
#include "lambda/alert_text.h"

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

/* What the per-batch Message is about. */
typedef struct batch_alert {
    const alert_policy *p;
    const alert_context *ctx;
    const batch *b;
    const evaluation *e;
    const char *severity;
} batch_alert;

static size_t write_message(buf *m, const void *arg, const alert_shape *s)
{
    const batch_alert *ba = arg;
    const alert_context *ctx = ba->ctx;
    char tn[MODEL_MAX_CLASSES][32];
    const char *names[MODEL_MAX_CLASSES];
    for (size_t k = 0; k < ba->e->nclasses && k < MODEL_MAX_CLASSES; k++)
        names[k] = alert_class_name(ctx, (int)k, tn[k], sizeof tn[k]);
    if (strcmp(ba->severity, "critical") == 0)
        alert_write_head(m, ctx, "iris model accuracy below threshold", "batch-threshold",
                         ba->severity);
    else if (strcmp(ba->severity, "warning") == 0)
        alert_write_head(m, ctx, "iris model accuracy below threshold on too few labelled records",
                         "batch-summary", ba->severity);
    else
        alert_write_head(m, ctx, "iris batch summary", "batch-summary", ba->severity);
    buf_puts(m, ",\"policy\":{\"mode\":");
    buf_json_cstr(m, alert_mode_name(ba->p->mode));
    buf_printf(m, ",\"minRecords\":%zu,\"accuracyThreshold\":", ba->p->min_records);
    buf_json_double(m, ba->p->accuracy_threshold);
    buf_puts(m, "},");
    evaluate_write_json(m, ba->e, names);
    buf_putc(m, ',');
    alert_write_ranges(m, s->ranges, s->nr, s->max_ranges);
    buf_putc(m, ',');
    size_t written = alert_write_misclassified(m, ctx, ba->b, s->max_examples);
    buf_printf(m, ",\"truncated\":%s}", s->truncated ? "true" : "false");
    return written;
}

int alert_build(const alert_policy *p, const alert_context *ctx, const batch *b,
                const evaluation *e, size_t max_message_bytes, alert *out)
{
    memset(out, 0, sizeof *out);
    alert_range *r = NULL;
    size_t nr = 0;
    if (alert_offset_ranges(b, &r, &nr) != 0)
        return -1;
    out->severity = severity_of(p, e);
    out->kind = strcmp(out->severity, "critical") == 0 ? "batch-threshold" : "batch-summary";
    build_subject(p, e, r, nr, out->subject);
    free(r);
    if (e->labelled > 0 && isfinite(e->accuracy))
        snprintf(out->accuracy, sizeof out->accuracy, "%.6g", e->accuracy);
    batch_alert ba = {p, ctx, b, e, out->severity};
    return alert_fit(out, b, max_message_bytes, write_message, &ba);
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
        return alert_build_event(ctx, b, e, v, &v->events[i], max_message_bytes, out);
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
