/* text: finding the first byte of an input file that is not text. */
#include "producer/text.h"

#include "common/utf8.h"

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
        else if ((k = utf8_seq_len(s + i, n - i)) == 0)
            *what = "a byte that is not UTF-8";
        if (*what) {
            *at = i;
            return -1;
        }
        i += k;
    }
    return 0;
}
