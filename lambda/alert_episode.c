/* alert_episode.c: the alerts of the sequential policy: an accuracy drop or
 * input drift found by lambda/monitor, and the notice that it ended. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lambda/alert_episode.h"
#include "lambda/alert_text.h"

static const char *kind_of(const monitor_event *ev)
{
    if (ev->test == MONITOR_ACCURACY)
        return ev->recovery ? "accuracy-recovered" : "accuracy-drop";
    return ev->recovery ? "input-drift-over" : "input-drift";
}

static const char *what_of(const monitor_event *ev)
{
    if (ev->test == MONITOR_ACCURACY)
        return ev->recovery ? "iris model accuracy back to normal" : "iris model accuracy drop";
    return ev->recovery ? "iris input drift over" : "iris input drift";
}

static const char *severity_of_event(const monitor_event *ev)
{
    if (ev->recovery)
        return "info";
    return ev->test == MONITOR_ACCURACY ? "critical" : "warning";
}

static double rate_of(const monitor_event *ev)
{
    return ev->records ? (double)ev->events / (double)ev->records : NAN;
}

static void position_text(char *out, size_t outlen, const monitor_position *p)
{
    if (p->known)
        snprintf(out, outlen, "%s/%d %lld", p->topic, (int)p->partition, (long long)p->offset);
    else
        snprintf(out, outlen, "a direct invoke");
}

static void build_subject(const monitor_event *ev, char *out)
{
    char rate[16], expected[16], where[MONITOR_TOPIC_MAX + 48], text[320];
    double r = rate_of(ev);
    position_text(where, sizeof where, &ev->since);
    if (ev->test == MONITOR_ACCURACY) {
        alert_format_percent(1 - r, rate, sizeof rate);
        alert_format_percent(1 - ev->p0, expected, sizeof expected);
        if (ev->recovery)
            snprintf(text, sizeof text, "iris accuracy back to %s on %llu records since %s", rate,
                     (unsigned long long)ev->records, where);
        else
            snprintf(text, sizeof text,
                     "iris accuracy drop: %s on %llu records (expected %s) since %s", rate,
                     (unsigned long long)ev->records, expected, where);
    } else {
        alert_format_percent(r, rate, sizeof rate);
        alert_format_percent(ev->p0, expected, sizeof expected);
        if (ev->recovery)
            snprintf(text, sizeof text,
                     "iris input drift over: %s atypical of %llu records since %s", rate,
                     (unsigned long long)ev->records, where);
        else
            snprintf(text, sizeof text,
                     "iris input drift: %s atypical of %llu records (expected %s) since %s", rate,
                     (unsigned long long)ev->records, expected, where);
    }
    size_t len = strlen(text);
    if (len > ALERT_SUBJECT_MAX) { /* a long topic name: cut and say so */
        len = ALERT_SUBJECT_MAX;
        memcpy(text + len - 3, "...", 3);
    }
    memcpy(out, text, len);
    out[len] = '\0';
    alert_printable(out);
}

static void write_position(buf *m, const char *key, const monitor_position *p)
{
    buf_putc(m, ',');
    alert_json_key(m, key);
    if (p->known)
        alert_write_position(m, p->topic, p->partition, p->offset, p->timestamp_ms);
    else
        alert_write_position(m, NULL, -1, -1, p->timestamp_ms);
    buf_putc(m, '}');
}

static void write_number(buf *m, const char *key, double v)
{
    buf_putc(m, ',');
    alert_json_key(m, key);
    buf_json_double(m, v);
}

static void write_test(buf *m, const monitor_verdict *v, const monitor_event *ev)
{
    buf_puts(m, ",\"policy\":{\"mode\":\"sequential\",\"falseAlarmRatePerRecord\":");
    buf_json_double(m, v->config ? v->config->false_alarm_rate : NAN);
    write_number(m, "minDrop", v->config ? v->config->min_drop : NAN);
    buf_puts(m, "},\"test\":{\"name\":");
    buf_json_cstr(m, monitor_test_name(ev->test));
    buf_puts(m, ",\"method\":\"Bernoulli CUSUM\"");
    write_number(m, "inControlRate", ev->p0);
    write_number(m, "tunedForRate", ev->p1);
    write_number(m, "threshold", ev->threshold);
    const baseline *bl = v->baseline;
    if (ev->test == MONITOR_ACCURACY && bl && bl->present) {
        write_number(m, "trainingErrorRate", bl->error_rate);
        write_number(m, "trainingErrorRateSe", bl->error_rate_se);
    } else if (ev->test == MONITOR_INPUTS && bl && bl->present) {
        write_number(m, "atypicalDistance2", bl->atypical_d2);
        write_number(m, "trainingAtypicalRateSe", bl->atypical_rate_se);
    }
    buf_puts(m, "},\"evidence\":{\"logLikelihoodRatio\":");
    buf_json_double(m, ev->llr);
    write_number(m, "likelihoodRatio", exp(ev->llr));
    if (!ev->recovery) {
        /* Ville's inequality: on a clean stream the chance that the
         * likelihood ratio ever reaches this value is at most its inverse. */
        write_number(m, "chanceOnCleanStreamAtMost", exp(-ev->llr));
        write_number(m, "binomialPValue", ev->p_value);
    }
    buf_putc(m, '}');
    write_position(m, "since", &ev->since);
    write_position(m, "decidedAt", &ev->at);
    if (ev->recovery)
        write_position(m, "alertAt", &ev->alert_at);
    buf_printf(m, ",\"records\":%llu,\"%s\":%llu", (unsigned long long)ev->records,
               ev->test == MONITOR_ACCURACY ? "wrong" : "atypical", (unsigned long long)ev->events);
    write_number(m, "rate", rate_of(ev));
    write_number(m, "expectedRate", ev->p0);
}

static void write_confusion(buf *m, const alert_context *ctx, const monitor_event *ev)
{
    char t1[32], t2[32];
    int first = 1;
    buf_puts(m, ",\"confusionSinceChange\":[");
    for (size_t a = 0; a < ctx->nclasses && a < MODEL_MAX_CLASSES; a++)
        for (size_t p = 0; p < ctx->nclasses && p < MODEL_MAX_CLASSES; p++) {
            if (ev->confusion[a][p] == 0)
                continue;
            buf_puts(m, first ? "{" : ",{");
            first = 0;
            alert_json_key(m, batch_label_name());
            buf_json_cstr(m, alert_class_name(ctx, (int)a, t1, sizeof t1));
            buf_putc(m, ',');
            alert_json_key(m, batch_predicted_name());
            buf_json_cstr(m, alert_class_name(ctx, (int)p, t2, sizeof t2));
            buf_printf(m, ",\"count\":%llu}", (unsigned long long)ev->confusion[a][p]);
        }
    buf_putc(m, ']');
}

/* The features by how far their recent mean moved, in training standard
 * deviations, largest first. */
static void write_features(buf *m, const baseline *bl, const monitor_event *ev)
{
    int order[MODEL_NFEATURES];
    double shift[MODEL_NFEATURES];
    for (int f = 0; f < MODEL_NFEATURES; f++) {
        order[f] = f;
        shift[f] = (ev->feature_mean[f] - bl->feature_mean[f]) / bl->feature_sd[f];
    }
    for (int i = 1; i < MODEL_NFEATURES; i++)
        for (int j = i; j > 0 && fabs(shift[order[j]]) > fabs(shift[order[j - 1]]); j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    buf_puts(m, ",\"featuresThatMovedMost\":[");
    for (int i = 0; i < MODEL_NFEATURES; i++) {
        int f = order[i];
        buf_puts(m, i ? ",{\"feature\":" : "{\"feature\":");
        buf_json_cstr(m, batch_feature_name((size_t)f));
        write_number(m, "trainingMean", bl->feature_mean[f]);
        write_number(m, "trainingSd", bl->feature_sd[f]);
        write_number(m, "meanSinceChange", ev->feature_mean[f]);
        write_number(m, "shiftInSd", shift[f]);
        buf_putc(m, '}');
    }
    buf_putc(m, ']');
}

static size_t write_atypical(buf *m, const alert_context *ctx, const baseline *bl, const batch *b,
                             size_t max_examples)
{
    size_t total = 0, written = 0;
    buf_puts(m, "\"atypicalExamples\":[");
    for (size_t i = 0; i < b->count; i++) {
        const batch_record *rec = &b->records[i];
        if (rec->error != NULL || rec->predicted < 0)
            continue;
        double d2 = baseline_distance2(bl, rec->features);
        if (!(d2 > bl->atypical_d2))
            continue;
        if (alert_write_example(m, ctx, rec, &total, &written, max_examples)) {
            write_number(m, "distance2", d2);
            buf_putc(m, '}');
        }
    }
    buf_printf(m, "],\"atypicalTotal\":%zu", total);
    return written;
}

/* What an episode's Message is about. */
typedef struct event_alert {
    const alert_context *ctx;
    const batch *b;
    const evaluation *e;
    const monitor_verdict *v;
    const monitor_event *ev;
} event_alert;

static size_t write_event(buf *m, const void *arg, const alert_shape *s)
{
    const event_alert *ea = arg;
    const alert_context *ctx = ea->ctx;
    const monitor_verdict *v = ea->v;
    const monitor_event *ev = ea->ev;
    char tn[MODEL_MAX_CLASSES][32];
    const char *names[MODEL_MAX_CLASSES];
    for (size_t k = 0; k < ea->e->nclasses && k < MODEL_MAX_CLASSES; k++)
        names[k] = alert_class_name(ctx, (int)k, tn[k], sizeof tn[k]);
    alert_write_head(m, ctx, what_of(ev), kind_of(ev), severity_of_event(ev));
    write_test(m, v, ev);
    int drift = ev->test == MONITOR_INPUTS && v->baseline && v->baseline->present;
    if (ev->test == MONITOR_ACCURACY && !ev->recovery)
        write_confusion(m, ctx, ev);
    if (drift && !ev->recovery)
        write_features(m, v->baseline, ev);
    buf_puts(m, ",\"batch\":{");
    evaluate_write_json(m, ea->e, names);
    buf_puts(m, "},");
    alert_write_ranges(m, s->ranges, s->nr, s->max_ranges);
    buf_putc(m, ',');
    size_t written = drift ? write_atypical(m, ctx, v->baseline, ea->b, s->max_examples)
                           : alert_write_misclassified(m, ctx, ea->b, s->max_examples);
    buf_printf(m, ",\"truncated\":%s}", s->truncated ? "true" : "false");
    return written;
}

int alert_build_event(const alert_context *ctx, const batch *b, const evaluation *e,
                      const monitor_verdict *v, const monitor_event *ev, size_t max_message_bytes,
                      alert *out)
{
    memset(out, 0, sizeof *out);
    out->severity = severity_of_event(ev);
    out->kind = kind_of(ev);
    build_subject(ev, out->subject);
    double acc = ev->test == MONITOR_ACCURACY ? 1 - rate_of(ev) : e->accuracy;
    if (isfinite(acc))
        snprintf(out->accuracy, sizeof out->accuracy, "%.6g", acc);
    event_alert ea = {ctx, b, e, v, ev};
    return alert_fit(out, b, max_message_bytes, write_event, &ea);
}
