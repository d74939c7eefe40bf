/* javamap.c: the iris fields of a value in Java's Map.toString() form. */
#include "lambda/batch/javamap.h"

#include <stdlib.h>
#include <string.h>

#include "lambda/batch/batch_internal.h"
#include "lambda/batch/jscan.h"

#define MAX_DEPTH 32

enum kind { SCALAR, MAP, LIST };

/* One entry of the top-level map that names an iris field. */
typedef struct entry {
    const char *key, *val;
    size_t klen, vlen;
    enum kind kind;
} entry;

typedef struct reader {
    batch_record *rec;
    const char *s;
    size_t end;                          /* the closing '}' */
    entry found[MODEL_MAX_FEATURES + 1]; /* by batch_key_index() */
} reader;

int javamap_is_map_text(const char *s, size_t len)
{
    if (len < 2 || s[0] != '{')
        return 0;
    size_t i = 1;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i < len && s[i] != '"' && s[i] != '}';
}

static int syntax_error(reader *r, size_t at, const char *what, const char *key, size_t klen)
{
    char q[64];
    batch_quote_for_error(key, klen, q, sizeof q);
    batch_record_failf(r->rec, "value: Map.toString() form: %s %s at character %zu", what, q, at);
    return -1;
}

/* ", " separates entries; it cannot be escaped in this form. */
static int separator_at(const reader *r, size_t i)
{
    return i + 1 < r->end && r->s[i] == ',' && r->s[i + 1] == ' ';
}

/* A value that starts with '{' or '[': *i moves past its matching bracket. */
static int skip_nested(reader *r, size_t *i, const char *key, size_t klen)
{
    char want[MAX_DEPTH];
    int depth = 0;
    for (; *i < r->end; (*i)++) {
        char c = r->s[*i];
        if (c == '{' || c == '[') {
            if (depth == MAX_DEPTH)
                return syntax_error(r, *i, "nested deeper than 32 levels in the value of key", key,
                                    klen);
            want[depth++] = c == '{' ? '}' : ']';
        } else if (c == '}' || c == ']') {
            if (c != want[depth - 1])
                return syntax_error(r, *i, "unmatched bracket in the value of key", key, klen);
            if (--depth == 0) {
                (*i)++;
                return 0;
            }
        }
    }
    return syntax_error(r, *i, "unclosed bracket in the value of key", key, klen);
}

/* Keeps an entry that names an iris field; the same key twice means that a
 * string value held ", " and "=", which this form cannot show apart. */
static int keep_entry(reader *r, const entry *e, size_t at)
{
    int j = batch_key_index(e->key, e->klen);
    if (j < 0)
        return 0;
    entry *f = &r->found[j];
    if (f->key == NULL) {
        *f = *e;
        return 0;
    }
    if (f->klen == e->klen && memcmp(f->key, e->key, e->klen) == 0) {
        char q[64];
        batch_quote_for_error(e->key, e->klen, q, sizeof q);
        batch_record_failf(r->rec,
                           "value: Map.toString() form: key %s again at character %zu (a string "
                           "value holding \", \" and \"=\" is ambiguous in this form)",
                           q, at);
        return -1;
    }
    return 0; /* another spelling of a field already found: the first wins, as for JSON */
}

/* Splits s[1..end) into entries and keeps the iris ones in r->found. */
static int split_entries(reader *r)
{
    size_t i = 1;
    if (i == r->end)
        return 0; /* {} */
    for (;;) {
        entry e = {.key = r->s + i, .kind = SCALAR};
        size_t start = i;
        while (i < r->end && r->s[i] != '=' && !separator_at(r, i))
            i++;
        e.klen = i - start;
        if (i == r->end || r->s[i] != '=')
            return syntax_error(r, i, "expected '=' after key", e.key, e.klen);
        if (e.klen == 0) {
            batch_record_failf(r->rec,
                               "value: Map.toString() form: expected a key at character %zu", i);
            return -1;
        }
        e.val = r->s + ++i;
        if (i < r->end && (r->s[i] == '{' || r->s[i] == '[')) {
            e.kind = r->s[i] == '{' ? MAP : LIST;
            if (skip_nested(r, &i, e.key, e.klen) != 0)
                return -1;
        } else {
            while (i < r->end && !separator_at(r, i))
                i++;
        }
        e.vlen = (size_t)(r->s + i - e.val);
        if (keep_entry(r, &e, start) != 0)
            return -1;
        if (i == r->end)
            return 0;
        if (!separator_at(r, i))
            return syntax_error(r, i, "expected \", \" or '}' after the value of key", e.key,
                                e.klen);
        i += 2;
    }
}

static const char *kind_name(enum kind k)
{
    return k == MAP ? "a map" : "a list";
}

static int read_feature(reader *r, int j)
{
    const entry *e = &r->found[j];
    int kl = (int)e->klen;
    if (e->kind != SCALAR) {
        batch_record_failf(r->rec, "value.%.*s: expected a number, got %s", kl, e->key,
                           kind_name(e->kind));
        return -1;
    }
    if (e->vlen == 4 && memcmp(e->val, "null", 4) == 0) {
        batch_record_failf(r->rec, "value.%.*s: expected a number, got null", kl, e->key);
        return -1;
    }
    /* Long.toString and Double.toString write JSON numbers (or Infinity, NaN). */
    return batch_set_feature_text(r->rec, j, e->val, e->vlen, "", e->key, e->klen);
}

static int read_species(reader *r)
{
    const entry *e = &r->found[BATCH_KEY_SPECIES];
    int kl = (int)e->klen;
    if (e->key == NULL || (e->kind == SCALAR && e->vlen == 4 && memcmp(e->val, "null", 4) == 0))
        return 0; /* unlabelled */
    if (e->kind != SCALAR) {
        batch_record_failf(r->rec, "value.%.*s: expected a string or null, got %s", kl, e->key,
                           kind_name(e->kind));
        return -1;
    }
    if (batch_species_normalise(e->val, e->vlen, r->rec->species) != 0) {
        char q[64];
        batch_quote_for_error(e->val, e->vlen, q, sizeof q);
        batch_record_failf(r->rec, BATCH_MSG_NOT_SPECIES, kl, e->key, q, batch_label_name());
        r->rec->species[0] = '\0';
        return -1;
    }
    return 0;
}

int javamap_read_iris(batch_record *rec, const char *s, size_t len)
{
    reader r = {.rec = rec, .s = s, .end = len > 0 ? len - 1 : 0};
    if (len < 2 || s[0] != '{' || s[len - 1] != '}') {
        batch_record_failf(rec,
                           "value: Map.toString() form: expected '}' as the last character "
                           "(character %zu)",
                           r.end);
        return -1;
    }
    if (split_entries(&r) != 0)
        return -1;
    for (int j = 0; j < (int)batch_num_features(); j++) {
        if (r.found[j].key == NULL)
            return batch_fail_missing_feature(rec, j);
        if (read_feature(&r, j) != 0)
            return -1;
    }
    return read_species(&r);
}
