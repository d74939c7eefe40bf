/* schema.c: the naming rules of the record schema (schema.h). */
#include "model/schema.h"

#include <string.h>
#include <strings.h>

static int is_separator(char c)
{
    return c == '_' || c == '-' || c == '.' || c == ' ';
}

static int is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char to_lower(char c)
{
    return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

/* A usable name: 1 to SCHEMA_NAME_MAX bytes, no control byte. */
static int name_ok(const char *name, size_t len)
{
    if (len == 0 || len > SCHEMA_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
            return 0;
    return 1;
}

int schema_key(const char *name, size_t len, char out[SCHEMA_NAME_MAX + 1])
{
    size_t o = 0;
    if (!name_ok(name, len))
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!is_separator(name[i]))
            out[o++] = to_lower(name[i]);
    out[o] = '\0';
    return o ? (int)o : -1;
}

int schema_snake(const char *name, size_t len, char out[SCHEMA_NAME_MAX + 1])
{
    size_t o = 0;
    int word = 0; /* inside a word */
    if (!name_ok(name, len))
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (is_separator(c)) {
            word = 0;
            continue;
        }
        int boundary = i > 0 && is_upper(c) && (is_lower(name[i - 1]) || is_digit(name[i - 1]));
        if (o > 0 && (!word || boundary)) {
            if (o + 1 >= SCHEMA_NAME_MAX + 1)
                return -1;
            out[o++] = '_';
        }
        if (o + 1 >= SCHEMA_NAME_MAX + 1)
            return -1;
        out[o++] = to_lower(c);
        word = 1;
    }
    out[o] = '\0';
    return o ? (int)o : -1;
}

int schema_camel(const char *name, size_t len, char out[SCHEMA_NAME_MAX + 1])
{
    size_t o = 0;
    int up = 0;
    if (!name_ok(name, len))
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '_') {
            up = o > 0;
            continue;
        }
        out[o++] = up && is_lower(c) ? (char)(c - 'a' + 'A') : c;
        up = 0;
    }
    out[o] = '\0';
    return o ? (int)o : -1;
}

static int exact_index(const char *const *names, size_t n, const char *label, size_t len)
{
    for (size_t k = 0; k < n; k++)
        if (strlen(names[k]) == len && strncasecmp(names[k], label, len) == 0)
            return (int)k;
    return -1;
}

int schema_label_index(const char *const *names, size_t n, const char *label, size_t len)
{
    int k = exact_index(names, n, label, len);
    if (k >= 0)
        return k;
    for (size_t i = 0; i + 1 < len; i++)
        if (label[i] == '-' || label[i] == '_' || label[i] == ' ')
            return i > 0 ? exact_index(names, n, label + i + 1, len - i - 1) : -1;
    return -1;
}

const char *const schema_iris_features[SCHEMA_IRIS_NFEATURES] = {"sepal_length", "sepal_width",
                                                                 "petal_length", "petal_width"};
const char schema_iris_label[] = "species";
