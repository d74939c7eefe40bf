/* opts.c: numbers from a command line. */
#include "common/opts.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

int opts_whole_number(const char *s, unsigned long long lo, unsigned long long hi,
                      unsigned long long *out)
{
    const char *first = s;
    while (*first == ' ' || (*first >= '\t' && *first <= '\r'))
        first++;
    if (*first == '-' || *first == '+') /* strtoull would take "-1" as 2^64 - 1 */
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int opts_number(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}
