/* opts.h: the numbers a command line gives, read strictly and checked
 * against their range; the programs (build/producer, build/train, the
 * connector stand-in) word the error, naming the option. */
#ifndef COMMON_OPTS_H
#define COMMON_OPTS_H

/* s as a whole number in [lo, hi]: decimal digits (leading white space
 * allowed, as strtoull's), no sign, nothing after them.  Returns 0 with *out
 * set, or -1 (empty, a sign, other characters, too large, or out of range). */
int opts_whole_number(const char *s, unsigned long long lo, unsigned long long hi,
                      unsigned long long *out);

/* s as a finite number in [lo, hi] (strtod's syntax, nothing after it).
 * Returns 0 with *out set, or -1. */
int opts_number(const char *s, double lo, double hi, double *out);

#endif
