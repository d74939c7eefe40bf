/* text: finding the first byte of an input file that is not text. */
#include "producer/text.h"

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0: no
 * overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0], cp, min;
    size_t len;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len)
        return 0;
    cp = c & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    return cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ? 0 : len;
}

int text_first_bad(const char *text, size_t n, size_t *at, const char **what)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t k = 1;
        *what = NULL;
        if (c == 0)
            *what = "a NUL byte";
        else if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != '\f') || c == 0x7F)
            *what = "a control byte";
        else if ((k = utf8_len(s + i, n - i)) == 0)
            *what = "a byte that is not UTF-8";
        if (*what) {
            *at = i;
            return -1;
        }
        i += k;
    }
    return 0;
}
