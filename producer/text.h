/* text: what the producer's input files must be: text, valid UTF-8, no NUL
 * and no control byte but tab, CR, LF and form feed.  Shared by the
 * properties files (-F) and the data file (--data). */
#ifndef PRODUCER_TEXT_H
#define PRODUCER_TEXT_H

#include <stddef.h>

/* The first byte of s[0..n) that is not text, as its offset in *at and a
 * description ("a NUL byte", "a control byte", "a byte that is not UTF-8")
 * in *what.  Returns 0 when all of it is text, else -1. */
int text_first_bad(const char *s, size_t n, size_t *at, const char **what);

#endif
