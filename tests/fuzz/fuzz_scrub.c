/* fuzz_scrub.c: libFuzzer target for the scrubbing of peer text (aws/scrub.c).
 * The input chooses the output's capacity, two secrets (drawn from the
 * alphabet of AWS secret keys and session tokens, base64) and the text.  For
 * every input the output:
 *   - is NUL-terminated within cap, printable ASCII;
 *   - holds no run of SCRUB_MIN_PIECE characters of either secret (nor a
 *     whole shorter secret), neither as written nor after one, two or three
 *     layers of decoding of percent-encoding, XML references (the five
 *     entities, &#N; and &#xN;) and backslash escapes (\/ \\ \" \uXXXX),
 *     decoded here independently of the scrubber.  Each "[redacted]" mark
 *     counts as a byte outside the secrets' alphabet.
 * Run: make fuzz-scrub FUZZ_SECONDS=60 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/scrub.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_escapes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s1[48], s2[48];
    if (size < 1)
        return 0;
    size_t cap = 1 + (size_t)data[0] * 2;
    data++, size--;
    if (fuzz_draw_secrets(&data, &size, 0, s1, s2) != 0)
        return 0;
    const char *secrets[] = {s1, s2};
    const char *text = (const char *)data;
    size_t len = size;

    char *out = malloc(cap);
    if (out == NULL)
        abort();
    scrub_peer_text(out, cap, text, len, secrets, 2);
    size_t on = strnlen(out, cap);
    if (on == cap)
        fuzz_fail("output", "NUL-terminated within cap", out, cap);
    if (!fuzz_printable(out, on))
        fuzz_fail("output", "printable ASCII", out, on);

    fuzz_check_scrubbed("output", out, on, secrets, 2);
    free(out);
    return 0;
}
