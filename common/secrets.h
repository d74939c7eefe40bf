/* secrets: the values a program must never print, and masking them in any
 * line it prints.  A value is a secret by what it is: the value of a secret
 * property (sasl.password, sasl.oauthbearer.client.secret,
 * basic.auth.user.info, ...), or the userinfo of any URL or broker address
 * ("user:secret@host"), whatever characters it holds (Confluent Cloud API
 * secrets are base64: letters, digits, '+' and '/').
 *
 * A set is filled once at start-up, before any thread prints, and only read
 * afterwards (secrets_redact may then run on several threads at once). */
#ifndef COMMON_SECRETS_H
#define COMMON_SECRETS_H

#include <stddef.h>

struct secrets;

/* An empty set, or NULL when out of memory.  Free with secrets_free(). */
struct secrets *secrets_new(void);

/* Frees the set and its copies of the secrets; accepts NULL. */
void secrets_free(struct secrets *s);

/* Adds the len bytes at value (copied; empty strings are ignored).
 * Returns 0, or -1 when out of memory. */
int secrets_add(struct secrets *s, const char *value, size_t len);

/* True for properties whose values are never printed: every security
 * property (sasl.*, ssl.*) and any name containing password, secret, jaas,
 * token, credential, oauthbearer, private, passphrase, user.info or an API
 * key (compared ignoring case), except basic.auth.credentials.source and
 * bearer.auth.credentials.source (which name a source, not a secret). */
int secrets_key_is_secret(const char *key);

/* Receives one secret substring (not NUL-terminated). */
typedef void (*secrets_part_fn)(const char *s, size_t len, void *ctx);

/* Reports every part of key=value that must never be printed: a secret
 * property's whole value, its part after the first ':' for a user.info
 * ("KEY:SECRET"), its tokens of 3 or more bytes (librdkafka may quote one
 * element of a list or of a JAAS line), and, in any value, the
 * userinfo of every URL or broker address of a comma-separated list: all
 * that stands between the scheme ("sasl_ssl://") and the entry's last '@',
 * and its part after the first ':' ("user:se/cr+et@host": "user:se/cr+et"
 * and "se/cr+et"). */
void secrets_property_parts(const char *key, const char *value, secrets_part_fn add, void *ctx);

/* Adds every part secrets_property_parts reports.  Returns 0 or -1. */
int secrets_add_property(struct secrets *s, const char *key, const char *value);

/* A copy of text (malloc'd, the caller frees it) with every secret
 * replaced by "***", the longest first.  A secret cut short is masked too:
 * its first 8 or more bytes anywhere (librdkafka cuts thread names that
 * hold an address), its first 4 or more at the end of text.  NULL when out
 * of memory: print nothing then. */
char *secrets_redact(const struct secrets *s, const char *text);

#endif
