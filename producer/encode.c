/* encode: Avro (avro-c), JSON Schema (cJSON) and Protobuf (protobuf-c)
 * values in Confluent's wire format. */
#include "producer/encode.h"

#include "producer/schemas/iris.pb-c.h"

#include <avro.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER 5

/* The shipped schemas, producer/schemas/ compiled in (producer.mk). */
extern const char encode_schema_avsc[], encode_schema_json[], encode_schema_proto[];

struct encoder {
    enum encode_format format;
    int32_t id;
    char subject[512];
    cJSON *json_schema; /* JSON_SR */
    avro_schema_t avro; /* AVRO */
    avro_value_iface_t *iface;
    avro_value_t value;
    int has_value;
    unsigned char *buf;
    size_t cap;
};

int encode_format_parse(const char *name, enum encode_format *out)
{
    static const struct {
        const char *name;
        enum encode_format f;
    } names[] = {{"json", ENCODE_JSON},
                 {"avro", ENCODE_AVRO},
                 {"json_sr", ENCODE_JSON_SR},
                 {"protobuf", ENCODE_PROTOBUF}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    return -1;
}

const char *encode_shipped_schema(enum encode_format f)
{
    return f == ENCODE_AVRO       ? encode_schema_avsc
           : f == ENCODE_JSON_SR  ? encode_schema_json
           : f == ENCODE_PROTOBUF ? encode_schema_proto
                                  : NULL;
}

static enum registry_format registry_format_of(enum encode_format f)
{
    return f == ENCODE_AVRO      ? REGISTRY_AVRO
           : f == ENCODE_JSON_SR ? REGISTRY_JSON
                                 : REGISTRY_PROTOBUF;
}

/* Room for n bytes after the header. */
static int reserve(struct encoder *e, size_t n)
{
    if (HEADER + n + 1 <= e->cap)
        return 0;
    size_t cap = (HEADER + n + 1) * 2;
    unsigned char *grown = realloc(e->buf, cap);
    if (!grown)
        return -1;
    e->buf = grown;
    e->cap = cap;
    return 0;
}

/* Checks the schema locally before it is registered: a schema avro-c
 * cannot read, or JSON that is not JSON, fails here with the file's words. */
static int prepare(struct encoder *e, const char *text, char *err, size_t errlen)
{
    if (e->format == ENCODE_AVRO) {
        if (avro_schema_from_json_length(text, strlen(text), &e->avro) != 0) {
            snprintf(err, errlen, "the Avro schema: %s", avro_strerror());
            return -1;
        }
        if (avro_typeof(e->avro) != AVRO_RECORD) {
            snprintf(err, errlen, "the Avro schema: a record schema is needed, got %s",
                     avro_schema_type_name(e->avro));
            return -1;
        }
        if (!(e->iface = avro_generic_class_from_schema(e->avro)) ||
            avro_generic_value_new(e->iface, &e->value) != 0) {
            snprintf(err, errlen, "the Avro schema: %s", avro_strerror());
            return -1;
        }
        e->has_value = 1;
    } else if (e->format == ENCODE_JSON_SR) {
        e->json_schema = cJSON_Parse(text);
        if (!cJSON_IsObject(e->json_schema)) {
            snprintf(err, errlen, "the JSON schema is not a JSON object");
            return -1;
        }
    }
    return 0;
}

struct encoder *encoder_new(enum encode_format f, struct registry *reg, const char *topic,
                            const char *schema_text, char *err, size_t errlen)
{
    struct encoder *e = calloc(1, sizeof(*e)), *result = NULL;
    const char *text = schema_text ? schema_text : encode_shipped_schema(f);
    if (!e || !text) {
        snprintf(err, errlen, e ? "--format json has no schema" : "out of memory");
        goto cleanup;
    }
    e->format = f;
    snprintf(e->subject, sizeof(e->subject), "%s-value", topic);
    if (prepare(e, text, err, errlen) != 0)
        goto cleanup;
    if (registry_register(reg, e->subject, registry_format_of(f), text, &e->id, err, errlen) != 0)
        goto cleanup;
    result = e;
    e = NULL;
cleanup:
    encoder_free(e);
    return result;
}

int32_t encoder_schema_id(const struct encoder *e)
{
    return e->id;
}

const char *encoder_subject(const struct encoder *e)
{
    return e->subject;
}

/* --- Avro: each field of the record schema from the row's field of that name */

static int avro_field(avro_value_t *field, avro_schema_t fs, const char *name, const cJSON *v,
                      char *err, size_t errlen)
{
    int rc = -1;
    switch (avro_value_get_type(field)) {
    case AVRO_DOUBLE:
        if (cJSON_IsNumber(v))
            rc = avro_value_set_double(field, v->valuedouble);
        break;
    case AVRO_FLOAT:
        if (cJSON_IsNumber(v))
            rc = avro_value_set_float(field, (float)v->valuedouble);
        break;
    case AVRO_STRING:
        if (cJSON_IsString(v))
            rc = avro_value_set_string(field, v->valuestring);
        break;
    case AVRO_ENUM:
        if (cJSON_IsString(v)) {
            int symbol = avro_schema_enum_get_by_name(fs, v->valuestring);
            if (symbol < 0) {
                snprintf(err, errlen, "field \"%s\": \"%s\" is not a symbol of the enum %s", name,
                         v->valuestring, avro_schema_name(fs));
                return -1;
            }
            rc = avro_value_set_enum(field, symbol);
        }
        break;
    default:
        snprintf(err, errlen, "field \"%s\": the producer writes no Avro %s", name,
                 avro_schema_type_name(fs));
        return -1;
    }
    if (rc != 0)
        snprintf(err, errlen, "field \"%s\": a %s in the row does not fit the schema's %s", name,
                 cJSON_IsNumber(v) ? "number" : "string", avro_schema_type_name(fs));
    return rc == 0 ? 0 : -1;
}

static int encode_avro(struct encoder *e, const cJSON *row, size_t *n, char *err, size_t errlen)
{
    size_t count = 0, size = 0;
    avro_value_reset(&e->value);
    avro_value_get_size(&e->value, &count);
    for (size_t i = 0; i < count; i++) {
        avro_value_t field;
        const char *name = NULL;
        avro_value_get_by_index(&e->value, i, &field, &name);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, name);
        if (!v) {
            snprintf(err, errlen, "field \"%s\": the schema needs it and the row has none", name);
            return -1;
        }
        avro_schema_t fs = avro_schema_record_field_get_by_index(e->avro, (int)i);
        if (avro_field(&field, fs, name, v, err, errlen) != 0)
            return -1;
    }
    if (avro_value_sizeof(&e->value, &size) != 0 || reserve(e, size) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    avro_writer_t w = avro_writer_memory((const char *)e->buf + HEADER, (int64_t)size);
    int rc = w ? avro_value_write(w, &e->value) : -1;
    if (w)
        avro_writer_free(w);
    if (rc != 0) {
        snprintf(err, errlen, "Avro encoding failed: %s", avro_strerror());
        return -1;
    }
    *n = HEADER + size;
    return 0;
}

/* --- JSON Schema: the subset a flat record uses (type object, properties
 * with type number/integer/string and enum, required, additionalProperties
 * false), checked before the row is written as it is. */

static int json_type_ok(const cJSON *type, const cJSON *v)
{
    if (!cJSON_IsString(type))
        return 1;
    const char *t = type->valuestring;
    if (strcmp(t, "number") == 0)
        return cJSON_IsNumber(v);
    if (strcmp(t, "integer") == 0)
        return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble);
    if (strcmp(t, "string") == 0)
        return cJSON_IsString(v);
    if (strcmp(t, "boolean") == 0)
        return cJSON_IsBool(v);
    if (strcmp(t, "null") == 0)
        return cJSON_IsNull(v);
    if (strcmp(t, "object") == 0)
        return cJSON_IsObject(v);
    return 1;
}

static int json_enum_ok(const cJSON *allowed, const cJSON *v)
{
    if (!cJSON_IsArray(allowed))
        return 1;
    for (const cJSON *a = allowed->child; a; a = a->next)
        if (cJSON_Compare(a, v, 1))
            return 1;
    return 0;
}

static int check_json(const cJSON *schema, const cJSON *row, char *err, size_t errlen)
{
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    const cJSON *required = cJSON_GetObjectItemCaseSensitive(schema, "required");
    const cJSON *extra = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
    if (!json_type_ok(cJSON_GetObjectItemCaseSensitive(schema, "type"), row)) {
        snprintf(err, errlen, "the record is not of the schema's type");
        return -1;
    }
    for (const cJSON *r = cJSON_IsArray(required) ? required->child : NULL; r; r = r->next)
        if (cJSON_IsString(r) && !cJSON_GetObjectItemCaseSensitive(row, r->valuestring)) {
            snprintf(err, errlen, "field \"%s\": required by the schema, missing in the row",
                     r->valuestring);
            return -1;
        }
    for (const cJSON *v = row->child; v; v = v->next) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(props, v->string);
        if (!p) {
            if (cJSON_IsFalse(extra)) {
                snprintf(err, errlen,
                         "field \"%s\": not among the schema's properties "
                         "(additionalProperties is false)",
                         v->string);
                return -1;
            }
            continue;
        }
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "type");
        if (!json_type_ok(type, v)) {
            snprintf(err, errlen, "field \"%s\": expected a %s", v->string,
                     cJSON_IsString(type) ? type->valuestring : "value of the schema's type");
            return -1;
        }
        if (!json_enum_ok(cJSON_GetObjectItemCaseSensitive(p, "enum"), v)) {
            snprintf(err, errlen, "field \"%s\": not one of the schema's enum values", v->string);
            return -1;
        }
    }
    return 0;
}

static int encode_json(struct encoder *e, const cJSON *row, const char *json, size_t len, size_t *n,
                       char *err, size_t errlen)
{
    if (check_json(e->json_schema, row, err, errlen) != 0)
        return -1;
    if (reserve(e, len) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(e->buf + HEADER, json, len);
    *n = HEADER + len;
    return 0;
}

/* --- Protobuf: the shipped message, first of its file: message indexes [0],
 * written as the single byte 0. */

static int encode_protobuf(struct encoder *e, const cJSON *row, size_t *n, char *err, size_t errlen)
{
    Irislambda__Iris msg = IRISLAMBDA__IRIS__INIT;
    static const char *const names[] = {"sepalLength", "sepalWidth", "petalLength", "petalWidth"};
    double *slots[] = {&msg.sepallength, &msg.sepalwidth, &msg.petallength, &msg.petalwidth};
    for (size_t i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, names[i]);
        if (!cJSON_IsNumber(v)) {
            snprintf(err, errlen, "field \"%s\": expected a number (double)", names[i]);
            return -1;
        }
        *slots[i] = v->valuedouble;
    }
    const cJSON *species = cJSON_GetObjectItemCaseSensitive(row, "species");
    if (!cJSON_IsString(species)) {
        snprintf(err, errlen, "field \"species\": expected a string");
        return -1;
    }
    msg.species = species->valuestring;
    size_t size = irislambda__iris__get_packed_size(&msg);
    if (reserve(e, size + 1) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    e->buf[HEADER] = 0;
    *n = HEADER + 1 + irislambda__iris__pack(&msg, e->buf + HEADER + 1);
    return 0;
}

int encoder_encode(struct encoder *e, const char *json, size_t len, const void **out,
                   size_t *outlen, char *err, size_t errlen)
{
    int rc = -1;
    size_t n = 0;
    cJSON *row = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsObject(row)) {
        snprintf(err, errlen, "the record is not a JSON object");
        goto cleanup;
    }
    if (e->format == ENCODE_AVRO)
        rc = encode_avro(e, row, &n, err, errlen);
    else if (e->format == ENCODE_JSON_SR)
        rc = encode_json(e, row, json, len, &n, err, errlen);
    else
        rc = encode_protobuf(e, row, &n, err, errlen);
    if (rc != 0)
        goto cleanup;
    e->buf[0] = 0;
    e->buf[1] = (unsigned char)((uint32_t)e->id >> 24);
    e->buf[2] = (unsigned char)((uint32_t)e->id >> 16);
    e->buf[3] = (unsigned char)((uint32_t)e->id >> 8);
    e->buf[4] = (unsigned char)e->id;
    *out = e->buf;
    *outlen = n;
cleanup:
    cJSON_Delete(row);
    return rc;
}

void encoder_free(struct encoder *e)
{
    if (!e)
        return;
    if (e->has_value)
        avro_value_decref(&e->value);
    if (e->iface)
        avro_value_iface_decref(e->iface);
    if (e->avro)
        avro_schema_decref(e->avro);
    cJSON_Delete(e->json_schema);
    free(e->buf);
    free(e);
}
