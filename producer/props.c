/* props: parse client properties files and -X arguments. */
#include "producer/props.h"

#include "producer/text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const java_only_keys[] = {
    "sasl.jaas.config",     "client.dns.lookup",
    "schema.registry.url",  "basic.auth.credentials.source",
    "basic.auth.user.info", "key.serializer",
    "value.serializer",
};

int props_is_registry(const char *key)
{
    return strncmp(key, "schema.registry.", 16) == 0 || strncmp(key, "basic.auth.", 11) == 0;
}

int props_is_java_only(const char *key)
{
    for (size_t i = 0; i < sizeof(java_only_keys) / sizeof(java_only_keys[0]); i++)
        if (strcmp(key, java_only_keys[i]) == 0)
            return 1;
    return 0;
}

int props_add(struct props *p, const char *key, const char *value, const char *origin)
{
    struct prop *grown = realloc(p->items, (p->n + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    p->items = grown;
    struct prop *e = &p->items[p->n];
    e->key = strdup(key);
    e->value = strdup(value);
    e->origin = strdup(origin);
    if (!e->key || !e->value || !e->origin) {
        free(e->key);
        free(e->value);
        free(e->origin);
        return -1;
    }
    p->n++;
    return 0;
}

const char *props_get(const struct props *p, const char *key)
{
    for (size_t i = p->n; i-- > 0;)
        if (strcmp(p->items[i].key, key) == 0)
            return p->items[i].value;
    return NULL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len &&
           (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r' || s[len - 1] == '\n'))
        s[--len] = '\0';
    return s;
}

/* Splits "key=value" in place.  Returns 0, or -1 with a reason (that never
 * quotes the text) in err. */
static int split_kv(char *text, char **key, char **value, const char *where, char *err,
                    size_t errlen)
{
    char *eq = strchr(text, '=');
    if (!eq) {
        snprintf(err, errlen, "%s: expected key=value (no '=' found)", where);
        return -1;
    }
    *eq = '\0';
    *key = trim(text);
    *value = trim(eq + 1);
    if (!**key) {
        snprintf(err, errlen, "%s: empty property name before '='", where);
        return -1;
    }
    if (strpbrk(*key, " \t")) {
        snprintf(err, errlen, "%s: property name contains blanks", where);
        return -1;
    }
    return 0;
}

/* A properties file is text: no NUL, no control bytes but tab, CR and form
 * feed, valid UTF-8.  Returns 0, or -1 with "FILE:LINE:COLUMN: reason" (the
 * byte's value, never the line's text). */
static int check_text(const char *line, size_t n, const char *where, char *err, size_t errlen)
{
    size_t at;
    const char *what;
    if (text_first_bad(line, n, &at, &what) == 0)
        return 0;
    snprintf(err, errlen,
             "%s:%zu: %s (0x%02X): this is not a text properties file (key=value lines)", where,
             at + 1, what, (unsigned char)line[at]);
    return -1;
}

int props_load(struct props *p, const char *path, char *err, size_t errlen)
{
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, status = -1;
    char where[4200];
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open properties file: %s", path, strerror(errno));
        goto cleanup;
    }
    ssize_t got;
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        snprintf(where, sizeof(where), "%s:%d", path, lineno);
        if (check_text(line, (size_t)got, where, err, errlen) != 0)
            goto cleanup;
        char *s = trim(line);
        if (!*s || *s == '#' || *s == '!')
            continue;
        if (s[strlen(s) - 1] == '\\') {
            snprintf(err, errlen,
                     "%s: line continuation with '\\' is not supported; put the "
                     "value on one line",
                     where);
            goto cleanup;
        }
        char *key, *value;
        if (split_kv(s, &key, &value, where, err, errlen) != 0)
            goto cleanup;
        if (props_add(p, key, value, where) != 0) {
            snprintf(err, errlen, "%s: out of memory", where);
            goto cleanup;
        }
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto cleanup;
    }
    status = 0;

cleanup:
    free(line);
    if (f)
        fclose(f);
    return status;
}

int props_add_arg(struct props *p, const char *arg, char *err, size_t errlen)
{
    char *copy = strdup(arg);
    char *key, *value;
    int status = -1;
    if (!copy) {
        snprintf(err, errlen, "-X: out of memory");
        return -1;
    }
    if (split_kv(copy, &key, &value, "-X", err, errlen) != 0)
        goto cleanup;
    if (props_add(p, key, value, "-X") != 0) {
        snprintf(err, errlen, "-X: out of memory");
        goto cleanup;
    }
    status = 0;

cleanup:
    free(copy);
    return status;
}

void props_free(struct props *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->items[i].key);
        free(p->items[i].value);
        free(p->items[i].origin);
    }
    free(p->items);
    p->items = NULL;
    p->n = 0;
}
