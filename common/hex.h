/* hex.h: the value of one hexadecimal digit, the piece that the runtime's
 * chunk sizes, the batch scanner's \u escapes (four hex digits) and the
 * signer's and scrubber's percent-escapes share.  Header-only, as
 * utf8.h: it is called per byte on hot paths. */
#ifndef COMMON_HEX_H
#define COMMON_HEX_H

/* 0 to 15 for '0'-'9', 'a'-'f' and 'A'-'F'; -1 for any other value of c (a
 * char, signed or not, or an int such as getc's EOF). */
static inline int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

#endif
