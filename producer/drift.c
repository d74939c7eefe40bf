/* drift: parse --drift specs. */
#include "producer/drift.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_double(const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int drift_parse(const char *spec, struct drift *d, char *err, size_t errlen)
{
    char buf[256];
    memset(d, 0, sizeof(*d));
    if (strlen(spec) >= sizeof(buf)) {
        snprintf(err, errlen, "--drift: spec too long");
        return -1;
    }
    strcpy(buf, spec);
    char *save = NULL;
    int any = 0;
    for (char *kv = strtok_r(buf, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) {
            snprintf(err, errlen, "--drift: expected key=value, got '%s'", kv);
            return -1;
        }
        *eq = '\0';
        const char *val = eq + 1;
        if (strcmp(kv, "after") == 0) {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(val, &end, 10);
            if (errno || end == val || *end || *val == '-') {
                snprintf(err, errlen, "--drift: after: expected a record count, got '%s'", val);
                return -1;
            }
            d->after = n;
        } else if (strcmp(kv, "labels") == 0) {
            if (parse_double(val, 0.0, 1.0, &d->labels) != 0) {
                snprintf(err, errlen, "--drift: labels: expected a probability 0..1, got '%s'",
                         val);
                return -1;
            }
            any = 1;
        } else if (strcmp(kv, "features") == 0) {
            if (parse_double(val, 0.0, 1000.0, &d->features) != 0) {
                snprintf(err, errlen,
                         "--drift: features: expected a noise standard deviation >= 0, got '%s'",
                         val);
                return -1;
            }
            any = 1;
        } else {
            snprintf(err, errlen, "--drift: unknown key '%s' (expected after, labels, features)",
                     kv);
            return -1;
        }
    }
    if (!any) {
        snprintf(err, errlen,
                 "--drift: give labels=P and/or features=SD (e.g. "
                 "after=1000,labels=0.5)");
        return -1;
    }
    return 0;
}

int drift_applies(const struct drift *d, uint64_t index)
{
    return index >= d->after && (d->labels > 0.0 || d->features > 0.0);
}
