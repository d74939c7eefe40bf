/* decode: Avro (avro-c), JSON Schema and Protobuf values to JSON objects. */
#include "registry/decode.h"

#include <avro.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER 5
#define MAX_PROTO_FIELDS 64

int decode_header(const void *value, size_t len, int32_t *id)
{
    const unsigned char *b = value;
    if (len < HEADER || b[0] != 0)
        return -1;
    *id = (int32_t)((uint32_t)b[1] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 8 | b[4]);
    return 0;
}

/* --- Avro --------------------------------------------------------------- */

static cJSON *avro_to_json(avro_value_t *v, const char *name, char *err, size_t errlen)
{
    switch (avro_value_get_type(v)) {
    case AVRO_NULL:
        return cJSON_CreateNull();
    case AVRO_BOOLEAN: {
        int b = 0;
        avro_value_get_boolean(v, &b);
        return cJSON_CreateBool(b);
    }
    case AVRO_INT32: {
        int32_t i = 0;
        avro_value_get_int(v, &i);
        return cJSON_CreateNumber(i);
    }
    case AVRO_INT64: {
        int64_t i = 0;
        avro_value_get_long(v, &i);
        return cJSON_CreateNumber((double)i);
    }
    case AVRO_FLOAT: {
        float f = 0;
        avro_value_get_float(v, &f);
        return cJSON_CreateNumber(f);
    }
    case AVRO_DOUBLE: {
        double d = 0;
        avro_value_get_double(v, &d);
        return cJSON_CreateNumber(d);
    }
    case AVRO_STRING: {
        const char *s = NULL;
        size_t n = 0;
        avro_value_get_string(v, &s, &n);
        return cJSON_CreateString(s ? s : "");
    }
    case AVRO_ENUM: {
        int e = 0;
        avro_value_get_enum(v, &e);
        const char *sym = avro_schema_enum_get(avro_value_get_schema(v), e);
        return sym ? cJSON_CreateString(sym) : NULL;
    }
    case AVRO_UNION: {
        avro_value_t branch;
        if (avro_value_get_current_branch(v, &branch) != 0)
            return NULL;
        return avro_to_json(&branch, name, err, errlen);
    }
    default:
        snprintf(err, errlen, "field \"%s\": Avro %s values are not read here", name,
                 avro_schema_type_name(avro_value_get_schema(v)));
        return NULL;
    }
}

static int read_varint(const unsigned char *b, size_t len, size_t *at, uint64_t *out);
static int64_t zigzag(uint64_t v);

/* Walks one value of schema t in the Avro binary encoding (the spec's
 * "Binary Encoding": zigzag varints for int, long, enum indexes, union
 * branches and lengths; 4 and 8 bytes for float and double).  Returns 0
 * with *at past it, -1 when the bytes end first, -2 for a type the reader
 * does not take.  Checked before avro-c reads a value: avro-c leaks the
 * buffer of a string whose bytes are cut short. */
static int avro_walk(avro_schema_t t, const unsigned char *b, size_t len, size_t *at)
{
    uint64_t v;
    switch (avro_typeof(t)) {
    case AVRO_NULL:
        return 0;
    case AVRO_BOOLEAN:
        return *at < len ? (++*at, 0) : -1;
    case AVRO_INT32:
    case AVRO_INT64:
    case AVRO_ENUM:
        return read_varint(b, len, at, &v);
    case AVRO_FLOAT:
    case AVRO_DOUBLE: {
        size_t n = avro_typeof(t) == AVRO_FLOAT ? 4 : 8;
        return len - *at < n ? -1 : (*at += n, 0);
    }
    case AVRO_STRING:
    case AVRO_BYTES: {
        if (read_varint(b, len, at, &v) != 0 || zigzag(v) < 0 || len - *at < (uint64_t)zigzag(v))
            return -1;
        *at += (size_t)zigzag(v);
        return 0;
    }
    case AVRO_UNION: {
        if (read_varint(b, len, at, &v) != 0)
            return -1;
        avro_schema_t branch = avro_schema_union_branch(t, (int)zigzag(v));
        return branch && zigzag(v) >= 0 ? avro_walk(branch, b, len, at) : -1;
    }
    case AVRO_RECORD:
        for (size_t i = 0; i < avro_schema_record_size(t); i++) {
            int rc = avro_walk(avro_schema_record_field_get_by_index(t, (int)i), b, len, at);
            if (rc != 0)
                return rc;
        }
        return 0;
    default:
        return -2;
    }
}

static char *decode_avro(const char *schema_text, const unsigned char *b, size_t len, char *err,
                         size_t errlen)
{
    char *out = NULL;
    cJSON *obj = NULL;
    avro_schema_t schema = NULL;
    avro_value_iface_t *iface = NULL;
    avro_value_t rec;
    int has_rec = 0;
    avro_reader_t reader = NULL;
    if (avro_schema_from_json_length(schema_text, strlen(schema_text), &schema) != 0) {
        snprintf(err, errlen, "the writer's Avro schema: %s", avro_strerror());
        goto cleanup;
    }
    if (avro_typeof(schema) != AVRO_RECORD) {
        snprintf(err, errlen, "the writer's Avro schema is a %s, not a record",
                 avro_schema_type_name(schema));
        goto cleanup;
    }
    if (!(iface = avro_generic_class_from_schema(schema)) ||
        avro_generic_value_new(iface, &rec) != 0) {
        snprintf(err, errlen, "the writer's Avro schema: %s", avro_strerror());
        goto cleanup;
    }
    has_rec = 1;
    size_t end = 0;
    int walked = avro_walk(schema, b, len, &end);
    if (walked != 0) {
        snprintf(err, errlen,
                 walked == -1 ? "the Avro value is cut short (%zu bytes after the "
                                "header for the writer's schema)"
                              : "the writer's Avro schema has a field of a type "
                                "not read here (%zu bytes)",
                 len);
        goto cleanup;
    }
    reader = avro_reader_memory((const char *)b, (int64_t)len);
    if (!reader || avro_value_read(reader, &rec) != 0) {
        snprintf(err, errlen,
                 "not an Avro record of the writer's schema (%zu bytes after the "
                 "header)",
                 len);
        goto cleanup;
    }
    size_t count = 0;
    avro_value_get_size(&rec, &count);
    if (!(obj = cJSON_CreateObject()))
        goto cleanup;
    for (size_t i = 0; i < count; i++) {
        avro_value_t field;
        const char *name = NULL;
        avro_value_get_by_index(&rec, i, &field, &name);
        cJSON *v = avro_to_json(&field, name, err, errlen);
        if (!v || !cJSON_AddItemToObject(obj, name, v)) {
            cJSON_Delete(v);
            if (!*err)
                snprintf(err, errlen, "field \"%s\": cannot be read", name);
            goto cleanup;
        }
    }
    out = cJSON_PrintUnformatted(obj);
cleanup:
    cJSON_Delete(obj);
    if (reader)
        avro_reader_free(reader);
    if (has_rec)
        avro_value_decref(&rec);
    if (iface)
        avro_value_iface_decref(iface);
    if (schema)
        avro_schema_decref(schema);
    return out;
}

/* --- JSON Schema ---------------------------------------------------------- */

static char *decode_json(const unsigned char *b, size_t len, char *err, size_t errlen)
{
    cJSON *j = cJSON_ParseWithLength((const char *)b, len);
    char *out = cJSON_IsObject(j) ? cJSON_PrintUnformatted(j) : NULL;
    if (!out)
        snprintf(err, errlen, "the JSON Schema value is not a JSON object");
    cJSON_Delete(j);
    return out;
}

/* --- Protobuf ------------------------------------------------------------- */

struct proto_field {
    char name[64];
    char type[32];
    uint32_t number;
};

struct proto_message {
    struct proto_field fields[MAX_PROTO_FIELDS];
    size_t n;
};

/* The next token of a .proto text: an identifier or number, a quoted
 * string, or one punctuation byte; comments skipped.  Returns its length
 * (0 at the end). */
static size_t proto_token(const char **p, const char **start)
{
    const char *s = *p;
    for (;;) {
        while (isspace((unsigned char)*s))
            s++;
        if (s[0] == '/' && s[1] == '/') {
            while (*s && *s != '\n')
                s++;
        } else if (s[0] == '/' && s[1] == '*') {
            const char *end = strstr(s + 2, "*/");
            s = end ? end + 2 : s + strlen(s);
        } else {
            break;
        }
    }
    *start = s;
    if (!*s)
        return 0;
    if (isalnum((unsigned char)*s) || *s == '_' || *s == '.') {
        while (isalnum((unsigned char)*s) || *s == '_' || *s == '.')
            s++;
    } else if (*s == '"' || *s == '\'') {
        char q = *s++;
        while (*s && *s != q)
            s += s[0] == '\\' && s[1] ? 2 : 1;
        if (*s)
            s++;
    } else {
        s++;
    }
    *p = s;
    return (size_t)(s - *start);
}

static int tok_is(const char *t, size_t n, const char *word)
{
    return n == strlen(word) && strncmp(t, word, n) == 0;
}

/* Skips to the brace that closes the one just read. */
static void proto_skip_block(const char **p)
{
    int depth = 1;
    const char *t;
    size_t n;
    while (depth > 0 && (n = proto_token(p, &t)) > 0)
        depth += tok_is(t, n, "{") ? 1 : tok_is(t, n, "}") ? -1 : 0;
}

/* Reads the fields of the message body after its '{' (oneof members
 * included, nested declarations skipped). */
static int proto_fields(const char **p, struct proto_message *m, char *err, size_t errlen)
{
    const char *t, *words[4];
    size_t n, lens[4], nw = 0;
    int depth = 0;
    while ((n = proto_token(p, &t)) > 0) {
        if (tok_is(t, n, "}")) {
            if (depth-- == 0)
                return 0;
            nw = 0;
        } else if (tok_is(t, n, "{")) {
            if (nw >= 2 && tok_is(words[0], lens[0], "oneof"))
                depth++;
            else
                proto_skip_block(p);
            nw = 0;
        } else if (tok_is(t, n, ";")) {
            nw = 0;
        } else if (tok_is(t, n, "=") && nw >= 2 && m->n < MAX_PROTO_FIELDS) {
            const char *num;
            size_t nn = proto_token(p, &num);
            struct proto_field *f = &m->fields[m->n];
            const char *type = words[nw - 2], *name = words[nw - 1];
            size_t tl = lens[nw - 2], nl = lens[nw - 1];
            if (nn == 0 || !isdigit((unsigned char)*num) || tl >= sizeof(f->type) ||
                nl >= sizeof(f->name)) {
                snprintf(err, errlen,
                         "the writer's .proto schema: a field this reader cannot "
                         "parse");
                return -1;
            }
            memcpy(f->type, type, tl);
            f->type[tl] = '\0';
            memcpy(f->name, name, nl);
            f->name[nl] = '\0';
            f->number = (uint32_t)strtoul(num, NULL, 10);
            if (!tok_is(words[0], lens[0], "reserved") && !tok_is(words[0], lens[0], "option"))
                m->n++;
            nw = 0;
            /* options in [...] and the ';' follow */
        } else if (nw < 4) {
            words[nw] = t;
            lens[nw++] = n;
        }
    }
    snprintf(err, errlen, "the writer's .proto schema: a message without its closing brace");
    return -1;
}

/* The index-th top-level message of a .proto text. */
static int proto_message_at(const char *text, int64_t index, struct proto_message *m, char *err,
                            size_t errlen)
{
    const char *p = text, *t;
    size_t n;
    int64_t seen = 0;
    while ((n = proto_token(&p, &t)) > 0) {
        if (tok_is(t, n, "message")) {
            proto_token(&p, &t); /* its name */
            n = proto_token(&p, &t);
            if (!tok_is(t, n, "{"))
                break;
            if (seen++ == index)
                return proto_fields(&p, m, err, errlen);
            proto_skip_block(&p);
        } else if (tok_is(t, n, "{")) {
            proto_skip_block(&p); /* enum, service, option blocks */
        }
    }
    snprintf(err, errlen, "the writer's .proto schema has no message %lld at its top level",
             (long long)index);
    return -1;
}

static int read_varint(const unsigned char *b, size_t len, size_t *at, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *at < len; shift += 7) {
        unsigned char c = b[(*at)++];
        v |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int64_t zigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* The message indexes after the header: a zigzag count (0 meaning [0]),
 * then that many zigzag indexes.  Only a top-level message is read. */
static int proto_indexes(const unsigned char *b, size_t len, size_t *at, int64_t *index, char *err,
                         size_t errlen)
{
    uint64_t raw;
    if (read_varint(b, len, at, &raw) != 0) {
        snprintf(err, errlen, "the Protobuf message indexes are cut short");
        return -1;
    }
    int64_t count = zigzag(raw);
    *index = 0;
    if (count == 0)
        return 0;
    if (count != 1 || read_varint(b, len, at, &raw) != 0 || zigzag(raw) < 0) {
        snprintf(err, errlen,
                 "Protobuf message indexes of a nested message (%lld levels) are "
                 "not read here",
                 (long long)count);
        return -1;
    }
    *index = zigzag(raw);
    return 0;
}

static const struct proto_field *field_numbered(const struct proto_message *m, uint64_t num)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->fields[i].number == num)
            return &m->fields[i];
    return NULL;
}

/* One field's value from its wire bytes, per its declared type. */
static cJSON *proto_scalar(const struct proto_field *f, int wire, uint64_t v,
                           const unsigned char *bytes, size_t n)
{
    const char *t = f->type;
    double d;
    float fl;
    if (wire == 1 && strcmp(t, "double") == 0) {
        memcpy(&v, bytes, 8);
        memcpy(&d, &v, 8);
        return cJSON_CreateNumber(d);
    }
    if (wire == 5 && strcmp(t, "float") == 0) {
        uint32_t u;
        memcpy(&u, bytes, 4);
        memcpy(&fl, &u, 4);
        return cJSON_CreateNumber(fl);
    }
    if (wire == 2 && strcmp(t, "string") == 0) {
        char *s = strndup((const char *)bytes, n);
        cJSON *j = s ? cJSON_CreateString(s) : NULL;
        free(s);
        return j;
    }
    if (wire == 0 && strcmp(t, "bool") == 0)
        return cJSON_CreateBool(v != 0);
    if (wire == 0 && (!strcmp(t, "sint32") || !strcmp(t, "sint64")))
        return cJSON_CreateNumber((double)zigzag(v));
    if (wire == 0 && (!strcmp(t, "int32") || !strcmp(t, "int64")))
        return cJSON_CreateNumber((double)(int64_t)v);
    if (wire == 0 && (!strcmp(t, "uint32") || !strcmp(t, "uint64")))
        return cJSON_CreateNumber((double)v);
    return NULL;
}

static cJSON *proto_default(const struct proto_field *f)
{
    if (strcmp(f->type, "string") == 0)
        return cJSON_CreateString("");
    if (strcmp(f->type, "bool") == 0)
        return cJSON_CreateFalse();
    return cJSON_CreateNumber(0);
}

/* One field's value after its key: a varint in *v, or n bytes at *bytes.
 * Returns 0; -1 when cut short; -2 for a wire type no field has. */
static int wire_value(const unsigned char *b, size_t len, size_t *at, int wire, uint64_t *v,
                      const unsigned char **bytes, uint64_t *n)
{
    *bytes = b + *at;
    switch (wire) {
    case 0:
        return read_varint(b, len, at, v);
    case 1:
    case 5:
        *n = wire == 1 ? 8 : 4;
        break;
    case 2:
        if (read_varint(b, len, at, n) != 0)
            return -1;
        *bytes = b + *at;
        break;
    default:
        return -2;
    }
    if (len - *at < *n)
        return -1;
    *at += *n;
    return 0;
}

static char *decode_protobuf(const char *schema, const unsigned char *b, size_t len, char *err,
                             size_t errlen)
{
    struct proto_message *m = calloc(1, sizeof(*m));
    cJSON *vals[MAX_PROTO_FIELDS] = {0};
    cJSON *obj = NULL;
    char *out = NULL;
    size_t at = 0;
    int64_t index;
    if (!m || proto_indexes(b, len, &at, &index, err, errlen) != 0 ||
        proto_message_at(schema, index, m, err, errlen) != 0)
        goto cleanup;
    while (at < len) {
        uint64_t key, v = 0, n = 0;
        const unsigned char *bytes = NULL;
        size_t start = at;
        int wire = read_varint(b, len, &at, &key) == 0 ? (int)(key & 7) : -1;
        int got = wire < 0 ? -1 : wire_value(b, len, &at, wire, &v, &bytes, &n);
        if (got != 0) {
            if (got == -2)
                snprintf(err, errlen,
                         "byte %zu of the Protobuf value: wire type %d is not one "
                         "a message field has",
                         start, wire);
            else
                snprintf(err, errlen, "the Protobuf value is cut short at byte %zu of %zu", at,
                         len);
            goto cleanup;
        }
        const struct proto_field *f = field_numbered(m, key >> 3);
        if (!f)
            continue; /* an unknown field is skipped, as protobuf readers do */
        cJSON *val = proto_scalar(f, wire, v, bytes, n);
        if (!val) {
            snprintf(err, errlen, "field \"%s\": a %s with wire type %d is not read here", f->name,
                     f->type, wire);
            goto cleanup;
        }
        size_t i = (size_t)(f - m->fields);
        cJSON_Delete(vals[i]);
        vals[i] = val;
    }
    if (!(obj = cJSON_CreateObject()))
        goto cleanup;
    for (size_t i = 0; i < m->n; i++) {
        cJSON *val = vals[i] ? vals[i] : proto_default(&m->fields[i]);
        vals[i] = NULL;
        if (!val || !cJSON_AddItemToObject(obj, m->fields[i].name, val)) {
            cJSON_Delete(val);
            goto cleanup;
        }
    }
    out = cJSON_PrintUnformatted(obj);
cleanup:
    for (size_t i = 0; i < MAX_PROTO_FIELDS; i++)
        cJSON_Delete(vals[i]);
    cJSON_Delete(obj);
    free(m);
    return out;
}

char *decode_value(enum registry_format f, const char *schema, const void *value, size_t len,
                   char *err, size_t errlen)
{
    int32_t id;
    *err = '\0';
    if (decode_header(value, len, &id) != 0) {
        snprintf(err, errlen,
                 "not in the Schema Registry wire format (a magic byte 0 and a "
                 "4-byte schema id)");
        return NULL;
    }
    const unsigned char *b = (const unsigned char *)value + HEADER;
    len -= HEADER;
    char *out = f == REGISTRY_AVRO   ? decode_avro(schema, b, len, err, errlen)
                : f == REGISTRY_JSON ? decode_json(b, len, err, errlen)
                                     : decode_protobuf(schema, b, len, err, errlen);
    if (!out && !*err)
        snprintf(err, errlen, "out of memory");
    return out;
}

char *decode_with_registry(struct registry *reg, const void *value, size_t len, char *err,
                           size_t errlen)
{
    int32_t id;
    enum registry_format f;
    const char *schema;
    if (decode_header(value, len, &id) != 0) {
        snprintf(err, errlen,
                 "not in the Schema Registry wire format (a magic byte 0 and a "
                 "4-byte schema id)");
        return NULL;
    }
    if (registry_schema(reg, id, &f, &schema, err, errlen) != 0)
        return NULL;
    char why[512];
    char *out = decode_value(f, schema, value, len, why, sizeof(why));
    if (!out)
        snprintf(err, errlen, "schema id %d (%s): %s", (int)id, registry_format_name(f), why);
    return out;
}
