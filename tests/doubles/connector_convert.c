/* connector_convert.c: Kafka record bytes -> the connector's "key"/"value". */
#include "tests/doubles/connector_convert.h"

#include "registry/decode.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const format_names[] = {"JSON", "JSON_SR", "AVRO", "PROTOBUF", "BYTES"};
static const char *const converter_names[] = {"JsonKeyValueConverter",
                                              "EscapedJsonKeyValueConverter"};

int connector_format_parse(const char *s, enum connector_format *out)
{
    for (size_t i = 0; i < sizeof format_names / sizeof *format_names; i++) {
        if (strcmp(s, format_names[i]) == 0) {
            *out = (enum connector_format)i;
            return 0;
        }
    }
    return -1;
}

int connector_converter_parse(const char *s, enum connector_converter *out)
{
    const char *dot = strrchr(s, '.');
    const char *name = dot ? dot + 1 : s;
    if (dot != NULL && strncmp(s, "io.confluent.connect.aws.lambda.", 32) != 0)
        return -1;
    for (size_t i = 0; i < sizeof converter_names / sizeof *converter_names; i++) {
        if (strcmp(name, converter_names[i]) == 0) {
            *out = (enum connector_converter)i;
            return 0;
        }
    }
    return -1;
}

const char *connector_format_name(enum connector_format f)
{
    return format_names[f];
}

const char *connector_converter_name(enum connector_converter c)
{
    return converter_names[c];
}

int connector_java_string_hash(const char *s, size_t len)
{
    uint32_t h = 0;
    size_t i = 0;
    while (i < len) {
        /* UTF-8 -> code point (invalid bytes count as themselves). */
        unsigned char c = (unsigned char)s[i];
        uint32_t cp = c;
        size_t n = 1;
        if (c >= 0xf0 && i + 3 < len) {
            cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3f) << 12) |
                 ((uint32_t)(s[i + 2] & 0x3f) << 6) | (uint32_t)(s[i + 3] & 0x3f);
            n = 4;
        } else if (c >= 0xe0 && i + 2 < len) {
            cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(s[i + 1] & 0x3f) << 6) |
                 (uint32_t)(s[i + 2] & 0x3f);
            n = 3;
        } else if (c >= 0xc0 && i + 1 < len) {
            cp = ((uint32_t)(c & 0x1f) << 6) | (uint32_t)(s[i + 1] & 0x3f);
            n = 2;
        }
        if (cp >= 0x10000) { /* a surrogate pair in UTF-16 */
            cp -= 0x10000;
            h = 31 * h + (0xd800 + (cp >> 10));
            h = 31 * h + (0xdc00 + (cp & 0x3ff));
        } else {
            h = 31 * h + cp;
        }
        i += n;
    }
    return (int)h;
}

void connector_java_double(double d, char *out, size_t outlen)
{
    if (d == 0) {
        snprintf(out, outlen, "%s", signbit(d) ? "-0.0" : "0.0");
        return;
    }
    /* Shortest %.*e of at least two digits that reads back as d (Java picks
     * among decimals of two or more digits: 4.9E-324, not 5.0E-324): its
     * digits and decimal exponent. */
    char sci[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(sci, sizeof sci, "%.*e", p, d);
        if (strtod(sci, NULL) == d)
            break;
    }
    const char *m = sci[0] == '-' ? sci + 1 : sci;
    char digits[24];
    size_t nd = 0;
    const char *e = m;
    for (; *e != 'e'; e++)
        if (*e != '.' && nd + 1 < sizeof digits)
            digits[nd++] = *e;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    int exp10 = atoi(e + 1);
    const char *sign = d < 0 ? "-" : "";
    double a = fabs(d);
    if (a >= 1e-3 && a < 1e7) {
        if (exp10 >= 0) {
            char ip[24], fp[24];
            size_t ni = (size_t)exp10 + 1;
            for (size_t i = 0; i < ni; i++)
                ip[i] = i < nd ? digits[i] : '0';
            ip[ni] = '\0';
            snprintf(fp, sizeof fp, "%s", nd > ni ? digits + ni : "0");
            snprintf(out, outlen, "%s%s.%s", sign, ip, fp);
        } else {
            snprintf(out, outlen, "%s0.%.*s%s", sign, -exp10 - 1, "000", digits);
        }
    } else {
        snprintf(out, outlen, "%s%c.%sE%d", sign, digits[0], nd > 1 ? digits + 1 : "0", exp10);
    }
}

/* Number lexemes of a JSON text in document order (cJSON keeps only doubles:
 * Jackson's Long-or-Double choice needs the text). */
struct lexemes {
    const cJSON **nodes;
    const char **text;
    size_t *len;
    size_t n;
};

static int collect_number_text(const char *p, size_t len, struct lexemes *lx, size_t max)
{
    int in_str = 0;
    for (size_t i = 0; i < len; i++) {
        char c = p[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            size_t j = i;
            while (j < len && strchr("+-.0123456789eE", p[j]) != NULL)
                j++;
            if (lx->n == max)
                return -1;
            lx->text[lx->n] = p + i;
            lx->len[lx->n++] = j - i;
            i = j - 1;
        }
    }
    return 0;
}

static void collect_number_nodes(const cJSON *v, struct lexemes *lx, size_t *k)
{
    if (cJSON_IsNumber(v)) {
        if (*k < lx->n)
            lx->nodes[(*k)++] = v;
        return;
    }
    for (const cJSON *c = v->child; c != NULL; c = c->next)
        collect_number_nodes(c, lx, k);
}

static int write_java(const cJSON *v, const struct lexemes *lx, int json_style, buf *out);

struct entry {
    const cJSON *item;
    int bucket;
    size_t order;
};

static int by_bucket(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* java.util.HashMap iteration order: the table has 16 buckets, doubled while
 * size > 0.75 * buckets; a key goes to bucket (h ^ (h >>> 16)) & (buckets - 1)
 * with h = String.hashCode(); iteration walks the buckets in index order and
 * each bucket in insertion order (OpenJDK java/util/HashMap.java: hash(),
 * putVal(), resize()).  A repeated key keeps its first place and takes the
 * last value (Jackson's ObjectNode).  Tree bins are not modelled. */
static int write_map(const cJSON *obj, const struct lexemes *lx, int json_style, buf *out)
{
    size_t n = 0, cap = 16;
    for (const cJSON *c = obj->child; c != NULL; c = c->next)
        n++;
    struct entry *e = calloc(n ? n : 1, sizeof *e);
    if (e == NULL)
        return -1;
    size_t m = 0;
    for (const cJSON *c = obj->child; c != NULL; c = c->next) {
        size_t k = 0;
        while (k < m && strcmp(e[k].item->string, c->string) != 0)
            k++;
        e[k].item = c;
        if (k == m)
            e[m].order = m, m++;
    }
    while (m > cap * 3 / 4)
        cap *= 2;
    for (size_t k = 0; k < m; k++) {
        uint32_t h =
            (uint32_t)connector_java_string_hash(e[k].item->string, strlen(e[k].item->string));
        e[k].bucket = (int)((h ^ (h >> 16)) & (uint32_t)(cap - 1));
    }
    qsort(e, m, sizeof *e, by_bucket);
    buf_putc(out, '{');
    int rc = 0;
    for (size_t k = 0; k < m && rc == 0; k++) {
        const char *key = e[k].item->string;
        if (k > 0)
            buf_puts(out, json_style ? "," : ", ");
        if (json_style) {
            buf_json_cstr(out, key);
            buf_putc(out, ':');
        } else {
            buf_puts(out, key);
            buf_putc(out, '=');
        }
        rc = write_java(e[k].item, lx, json_style, out);
    }
    buf_putc(out, '}');
    free(e);
    return rc;
}

static int write_number(const cJSON *v, const struct lexemes *lx, buf *out)
{
    for (size_t k = 0; k < lx->n; k++) {
        if (lx->nodes[k] != v)
            continue;
        const char *t = lx->text[k];
        size_t len = lx->len[k];
        if (strcspn(t, ".eE") >= len) { /* integral: a Long (BigInteger if longer) */
            if (len == 2 && t[0] == '-' && t[1] == '0')
                return buf_putc(out, '0');
            return buf_append(out, t, len);
        }
        break;
    }
    char d[40];
    connector_java_double(v->valuedouble, d, sizeof d);
    return buf_puts(out, d);
}

static int write_java(const cJSON *v, const struct lexemes *lx, int json_style, buf *out)
{
    if (cJSON_IsObject(v))
        return write_map(v, lx, json_style, out);
    if (cJSON_IsArray(v)) {
        int rc = buf_putc(out, '[');
        for (const cJSON *c = v->child; c != NULL && rc == 0; c = c->next) {
            if (c != v->child)
                buf_puts(out, json_style ? "," : ", ");
            rc = write_java(c, lx, json_style, out);
        }
        return rc != 0 ? rc : buf_putc(out, ']');
    }
    if (cJSON_IsString(v))
        return json_style ? buf_json_cstr(out, v->valuestring) : buf_puts(out, v->valuestring);
    if (cJSON_IsNumber(v))
        return write_number(v, lx, out);
    if (cJSON_IsBool(v))
        return buf_puts(out, cJSON_IsTrue(v) ? "true" : "false");
    return buf_puts(out, "null");
}

/* The JSON text at p as one complete value; NULL with err otherwise. */
static cJSON *parse_whole(const char *p, size_t len, char *err, size_t errlen)
{
    const char *end = NULL;
    cJSON *v = cJSON_ParseWithLengthOpts(p, len, &end, 0);
    size_t at = end ? (size_t)(end - p) : 0;
    while (v != NULL && at < len && strchr(" \t\r\n", p[at]) != NULL)
        at++;
    if (v == NULL || at != len) {
        snprintf(err, errlen,
                 "Converting byte[] to Kafka Connect data failed due to serialization error: "
                 "not JSON (at byte %zu of %zu)",
                 at, len);
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

int connector_java_string(const char *p, size_t len, int json_style, buf *out, char *err,
                          size_t errlen)
{
    int rc = -1;
    struct lexemes lx = {0};
    size_t max = len / 2 + 1, k = 0;
    cJSON *v = parse_whole(p, len, err, errlen);
    if (v == NULL)
        return -1;
    lx.nodes = calloc(max, sizeof *lx.nodes);
    lx.text = calloc(max, sizeof *lx.text);
    lx.len = calloc(max, sizeof *lx.len);
    if (lx.nodes == NULL || lx.text == NULL || lx.len == NULL ||
        collect_number_text(p, len, &lx, max) != 0) {
        snprintf(err, errlen, "out of memory");
        goto cleanup;
    }
    collect_number_nodes(v, &lx, &k);
    rc = write_java(v, &lx, json_style, out);
    if (rc != 0 || out->failed) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
cleanup:
    free(lx.nodes);
    free(lx.text);
    free(lx.len);
    cJSON_Delete(v);
    return rc;
}

static cJSON *base64_string(const unsigned char *p, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *s = malloc((len + 2) / 3 * 4 + 1);
    if (s == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t w = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            w |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            w |= p[i + 2];
        s[o++] = tab[(w >> 18) & 63];
        s[o++] = tab[(w >> 12) & 63];
        s[o++] = i + 1 < len ? tab[(w >> 6) & 63] : '=';
        s[o++] = i + 2 < len ? tab[w & 63] : '=';
    }
    s[o] = '\0';
    cJSON *j = cJSON_CreateString(s);
    free(s);
    return j;
}

/* The registry the AVRO, JSON_SR and PROTOBUF values are decoded with (set
 * once before the tasks start; registry_schema may run on several threads). */
static struct registry *value_registry;

void connector_convert_use_registry(struct registry *reg)
{
    value_registry = reg;
}

cJSON *connector_convert(enum connector_format f, enum connector_converter c, const void *p,
                         size_t len, char *err, size_t errlen)
{
    cJSON *out = NULL;
    char *decoded = NULL;
    if (errlen > 0)
        err[0] = '\0';
    if (p == NULL)
        return cJSON_CreateNull();
    if (f == CONNECTOR_FORMAT_BYTES)
        return base64_string(p, len); /* Jackson writes byte[] as base64 */
    if (f != CONNECTOR_FORMAT_JSON && len > 0 && *(const unsigned char *)p == 0) {
        /* the registry's wire format: the writer's schema by id, the value
         * as the converter's struct, written as a JSON object */
        if (value_registry == NULL) {
            snprintf(err, errlen, "a value in the Schema Registry wire format (magic byte 0) "
                                  "and no --schema-registry to read it with");
            return NULL;
        }
        char why[1024];
        decoded = decode_with_registry(value_registry, p, len, why, sizeof why);
        if (decoded == NULL) {
            snprintf(err, errlen, "%s", why);
            return NULL;
        }
        p = decoded;
        len = strlen(decoded);
    }
    cJSON *parsed = parse_whole(p, len, err, errlen);
    free(decoded);
    decoded = NULL;
    if (parsed == NULL)
        return NULL;
    if (cJSON_IsNull(parsed)) {
        out = parsed; /* a JSON null is a null value */
        parsed = NULL;
    } else if (f == CONNECTOR_FORMAT_JSON) {
        buf b = BUF_INIT;
        if (connector_java_string(p, len, c == CONNECTOR_CONVERTER_ESCAPED_JSON_KV, &b, err,
                                  errlen) == 0)
            out = cJSON_CreateString(b.data ? b.data : "");
        buf_free(&b);
    } else {
        out = parsed; /* with a schema, either converter: the struct as a JSON object */
        parsed = NULL;
    }
    if (out == NULL && err[0] == '\0')
        snprintf(err, errlen, "out of memory");
    cJSON_Delete(parsed);
    return out;
}
