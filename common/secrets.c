/* secrets: a set of strings masked in every printed line. */
#include "common/secrets.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MASK "***"
#define MIN_CUT_ANYWHERE 8 /* a secret's first bytes, masked wherever they appear */
#define MIN_CUT_AT_END 4   /* ... and at the end of a message */

struct secrets {
    char **items;
    size_t n;
};

/* Words that make any property's value a secret, wherever they appear in its
 * name (compared ignoring case). */
static const char *const secret_words[] = {
    "password",   "secret",     "jaas",    "user.info", "userinfo", "oauthbearer", "token",
    "credential", "passphrase", "private", "api.key",   "apikey",   "api_key",
};

/* Security-related prefixes: every sasl.* and ssl.* value is masked (even
 * sasl.mechanisms: librdkafka's CONFWARN lines echo it, and a secret pasted
 * into the wrong property must not leak). */
static const char *const secret_prefixes[] = {"sasl.", "ssl.", "ssl_"};

/* Names that match a word above but hold no secret: the Schema Registry
 * clients' choice of where credentials come from (USER_INFO, URL, ...). */
static const char *const plain_keys[] = {"basic.auth.credentials.source",
                                         "bearer.auth.credentials.source"};

struct secrets *secrets_new(void)
{
    return calloc(1, sizeof(struct secrets));
}

void secrets_free(struct secrets *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i]);
    free(s->items);
    free(s);
}

int secrets_add(struct secrets *s, const char *value, size_t len)
{
    if (!value || len == 0)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->items[i]) == len && memcmp(s->items[i], value, len) == 0)
            return 0;
    char **grown = realloc(s->items, (s->n + 1) * sizeof(*grown));
    if (!grown)
        return -1;
    s->items = grown;
    if (!(s->items[s->n] = strndup(value, len)))
        return -1;
    s->n++;
    return 0;
}

int secrets_key_is_secret(const char *key)
{
    for (size_t i = 0; i < sizeof(plain_keys) / sizeof(plain_keys[0]); i++)
        if (strcasecmp(key, plain_keys[i]) == 0)
            return 0;
    for (size_t i = 0; i < sizeof(secret_prefixes) / sizeof(secret_prefixes[0]); i++)
        if (strncasecmp(key, secret_prefixes[i], strlen(secret_prefixes[i])) == 0)
            return 1;
    for (size_t i = 0; i < sizeof(secret_words) / sizeof(secret_words[0]); i++)
        if (strcasestr(key, secret_words[i]))
            return 1;
    return 0;
}

/* Reports the userinfo of every URL-like entry of a comma-separated list.
 * The userinfo ends at the entry's last '@', even past a '/': a pasted
 * secret may hold '/' (base64), which a URL parser would take for a path. */
static void userinfo_parts(const char *value, secrets_part_fn add, void *ctx)
{
    const char *entry = value;
    while (*entry) {
        size_t len = strcspn(entry, ",");
        const char *start = entry, *end = entry + len;
        while (start < end && (*start == ' ' || *start == '\t'))
            start++;
        for (const char *q = start; q + 2 < end; q++)
            if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
                start = q + 3;
                break;
            }
        const char *at = NULL;
        for (const char *q = start; q < end; q++)
            if (*q == '@')
                at = q;
        if (at != NULL && at > start) {
            add(start, (size_t)(at - start), ctx);
            const char *colon = memchr(start, ':', (size_t)(at - start));
            if (colon != NULL && colon + 1 < at)
                add(colon + 1, (size_t)(at - colon - 1), ctx);
        }
        entry = *end ? end + 1 : end;
    }
}

void secrets_property_parts(const char *key, const char *value, secrets_part_fn add, void *ctx)
{
    if (!value || !*value)
        return;
    if (secrets_key_is_secret(key)) {
        add(value, strlen(value), ctx);
        /* "user:password" (basic.auth.user.info): the password alone too */
        const char *colon = strchr(value, ':');
        if ((strcasestr(key, "user.info") || strcasestr(key, "userinfo")) && colon && colon[1])
            add(colon + 1, strlen(colon + 1), ctx);
        const char *delims = " ,;=\t'\"";
        for (const char *t = value; *t;) {
            size_t n = strcspn(t, delims);
            /* not the names of key=value pairs ("password=" in a JAAS line) */
            if (n >= 3 && n < strlen(value) && t[n] != '=')
                add(t, n, ctx);
            t += n;
            if (*t)
                t++;
        }
    }
    userinfo_parts(value, add, ctx);
}

struct adding {
    struct secrets *set;
    int failed;
};

static void add_part(const char *s, size_t len, void *ctx)
{
    struct adding *a = ctx;
    if (secrets_add(a->set, s, len) != 0)
        a->failed = 1;
}

int secrets_add_property(struct secrets *s, const char *key, const char *value)
{
    struct adding a = {.set = s};
    secrets_property_parts(key, value, add_part, &a);
    return a.failed ? -1 : 0;
}

/* The length of the longest secret, or cut-short secret, starting at text:
 * a whole secret; its first MIN_CUT_ANYWHERE bytes or more (librdkafka
 * cuts a thread name holding an address to a few dozen bytes); or its
 * first MIN_CUT_AT_END bytes or more running to the end of text (a message
 * cut short).  0 when none does. */
static size_t secret_at(const struct secrets *s, const char *text, size_t left)
{
    size_t best = 0;
    for (size_t i = 0; i < s->n; i++) {
        const char *item = s->items[i];
        size_t same = 0;
        while (same < left && item[same] && item[same] == text[same])
            same++;
        int whole = item[same] == '\0';
        if (same > best &&
            (whole || same >= MIN_CUT_ANYWHERE || (same == left && same >= MIN_CUT_AT_END)))
            best = same;
    }
    return best;
}

char *secrets_redact(const struct secrets *s, const char *text)
{
    size_t left = strlen(text), o = 0;
    /* each masked run is at least one byte and becomes 3 */
    char *out = malloc(left * 3 + 1);
    if (!out)
        return NULL;
    while (left > 0) {
        size_t len = s ? secret_at(s, text, left) : 0;
        if (len) {
            memcpy(out + o, MASK, strlen(MASK));
            o += strlen(MASK);
        } else {
            out[o++] = *text;
            len = 1;
        }
        text += len;
        left -= len;
    }
    out[o] = '\0';
    return out;
}
