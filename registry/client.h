/* client: a Confluent Schema Registry REST client over libcurl.
 * registry_register uses one reused handle (one thread at a time);
 * registry_schema may run on several threads at once (the cache behind a
 * lock, each fetch on a handle of its own, outside the lock).  It registers a value
 * schema under a subject (POST /subjects/{subject}/versions, which answers
 * the existing id when the schema is already there) and fetches schemas by
 * id (GET /schemas/ids/{id}), each id fetched once and cached.
 *
 * Error messages name the registry (its URL without credentials), the
 * subject or id, the HTTP status and the registry's own message and
 * error_code; they never hold the credentials. */
#ifndef REGISTRY_CLIENT_H
#define REGISTRY_CLIENT_H

#include <stddef.h>
#include <stdint.h>

/* The schema types the registry knows (its "schemaType"). */
enum registry_format { REGISTRY_AVRO, REGISTRY_JSON, REGISTRY_PROTOBUF };

/* "AVRO", "JSON" or "PROTOBUF". */
const char *registry_format_name(enum registry_format f);

struct registry;

/* Where the registry is and how to sign in, as Confluent's clients take it:
 * schema.registry.url, basic.auth.credentials.source (USER_INFO, or URL:
 * the URL's own userinfo, the clients' default) and basic.auth.user.info
 * ("KEY:SECRET").  Strings are borrowed for the call only. */
struct registry_config {
    const char *url;
    const char *credentials_source; /* NULL: URL */
    const char *user_info;          /* with USER_INFO */
    long timeout_ms;                /* per request; 0: 10 s */
};

/* A client, or NULL with the reason in err (no URL, USER_INFO without a
 * user info, an unknown credentials source).  Free with registry_free(). */
struct registry *registry_new(const struct registry_config *cfg, char *err, size_t errlen);

/* Frees the client and its cache; accepts NULL. */
void registry_free(struct registry *r);

/* The URL without credentials, for messages (owned by r). */
const char *registry_shown_url(const struct registry *r);

/* Registers schema (text) of type f under subject, or finds it there.
 * Returns 0 with *id, or -1 with err: "schema registry URL: subject S:
 * HTTP 409: <message> (error_code 409)", or "...: cannot reach the
 * registry: <reason>" when it does not answer. */
int registry_register(struct registry *r, const char *subject, enum registry_format f,
                      const char *schema, int32_t *id, char *err, size_t errlen);

/* The schema with this id: its type and text (owned by r, valid until
 * registry_free).  Fetched once, then served from the cache.  Returns 0, or
 * -1 with err. */
int registry_schema(struct registry *r, int32_t id, enum registry_format *f, const char **schema,
                    char *err, size_t errlen);

#endif
