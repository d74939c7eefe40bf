/* props: librdkafka configuration from a client properties file (-F) and
 * -X key=value arguments, in the order they were given (later wins).
 *
 * File format: one key=value per line; blank lines and lines starting with
 * '#' or '!' are ignored; blanks around key and value are trimmed.  This is
 * the client.properties that Confluent Cloud hands out. */
#ifndef PRODUCER_PROPS_H
#define PRODUCER_PROPS_H

#include <stddef.h>

struct prop {
    char *key;
    char *value;
    char *origin; /* "FILE:LINE" or "-X", for error messages */
};

struct props {
    struct prop *items;
    size_t n;
};

/* Appends the properties of a file.  Returns 0, or -1 with "FILE:LINE:
 * reason" in err ("FILE:LINE:COLUMN: ..." for a NUL, control or non-UTF-8
 * byte: the file is not text).  Error messages never include a line's text,
 * since it may hold a secret.  Free the entries with props_free(). */
int props_load(struct props *p, const char *path, char *err, size_t errlen);

/* Appends one "key=value" argument (from -X). Returns 0, or -1 with err. */
int props_add_arg(struct props *p, const char *arg, char *err, size_t errlen);

/* Appends key=value with the given origin. Returns 0, or -1 (out of memory). */
int props_add(struct props *p, const char *key, const char *value, const char *origin);

/* The last value set for key, or NULL. */
const char *props_get(const struct props *p, const char *key);

/* True for the Schema Registry client's properties (schema.registry.*,
 * basic.auth.*): read by --format, never handed to librdkafka. */
int props_is_registry(const char *key);

/* True for Java-client properties that Confluent's client.properties may
 * contain but librdkafka does not know (e.g. sasl.jaas.config). */
int props_is_java_only(const char *key);

/* Frees the entries (not p itself) and empties p; accepts an empty p. */
void props_free(struct props *p);

#endif
