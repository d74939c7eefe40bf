/* scrub.h: makes text that came from a peer (an AWS error Code or Message, a
 * RequestId, a MessageId) safe to put in a log line or an error message.
 *
 * A misbehaving or hostile endpoint may echo the request's credentials back,
 * whole or in pieces, raw or escaped.  scrub_peer_text():
 *   - redacts every run of at least SCRUB_MIN_PIECE characters that also
 *     occurs in one of the secrets, looking through percent-encoding
 *     (%2B, %2b, %252B), XML character references (&#43; &#x2B; &amp;...)
 *     and JSON/C backslash escapes (\u002B, \/), each replaced by
 *     "[redacted]";
 *   - keeps only printable ASCII: tabs and line breaks become spaces, every
 *     other byte becomes '?';
 *   - bounds the result to cap - 1 characters (always NUL-terminated).
 * Secrets shorter than SCRUB_MIN_PIECE are redacted only whole.
 */
#ifndef IRIS_SCRUB_H
#define IRIS_SCRUB_H

#include <stddef.h>

#define SCRUB_MIN_PIECE 6
#define SCRUB_MARK "[redacted]"
/* Input beyond this many bytes is dropped before scrubbing. */
#define SCRUB_MAX_INPUT 8192

/* Writes the scrubbed form of in[0..len) into out (cap > 0 bytes).  secrets
 * holds nsecrets strings; NULL or "" entries are skipped.  Never fails: on
 * allocation failure out is "[unavailable]". */
void scrub_peer_text(char *out, size_t cap, const char *in, size_t len, const char *const *secrets,
                     size_t nsecrets);

#endif
