/* schema.h: the naming rules of the record schema, in one place for every
 * reader (the trainer's CSV reader and Kafka source, the bootstrap's batch
 * parser).  The feature names and classes themselves are data: they come
 * from the model artifact (model_feature_name, model_class_name).
 *
 * Field names: sepalLength, sepal_length, SEPAL_LENGTH, SEPALLENGTH and R's
 * Sepal.Length all name the same feature: names match by their key, the name
 * with ASCII letters lower-cased and '_', '-', '.' and ' ' dropped.
 *
 * Labels: a label names a class when it equals the class name ignoring ASCII
 * case; failing that, when what follows its first '-', '_' or ' ' does (so
 * Iris-virginica and IRIS_virginica name the class virginica). */
#ifndef IRIS_SCHEMA_H
#define IRIS_SCHEMA_H

#include <stddef.h>

/* Longest field name or class name, in bytes. */
#define SCHEMA_NAME_MAX 63

/* Writes the key of name[0..len) into out (NUL-terminated) and returns its
 * length, or -1 when name is empty, longer than SCHEMA_NAME_MAX, has a
 * control byte, or has an empty key (only separators). */
int schema_key(const char *name, size_t len, char out[SCHEMA_NAME_MAX + 1]);

/* The snake_case spelling of a field name, as the trainer writes it into the
 * artifact: words split at separators and before an upper-case letter that
 * follows a lower-case one or a digit, lower-cased and joined by '_'
 * (sepalLength, Sepal.Length, SEPAL_LENGTH -> sepal_length).  Characters
 * other than the separators are kept.  Returns the length or -1 as
 * schema_key. */
int schema_snake(const char *name, size_t len, char out[SCHEMA_NAME_MAX + 1]);

/* The camelCase spelling of a snake_case name (sepal_length -> sepalLength),
 * as the bootstrap echoes features.  Returns the length or -1 as schema_key. */
int schema_camel(const char *name, size_t len, char out[SCHEMA_NAME_MAX + 1]);

/* The index of the class that label[0..len) names among names[0..n), or -1. */
int schema_label_index(const char *const *names, size_t n, const char *label, size_t len);

/* The iris schema: the shipped model's features (lengths in centimetres, in
 * this order) and its label field, snake_case as the trainer writes them.
 * What a reader assumes until it is given a model. */
#define SCHEMA_IRIS_NFEATURES 4
extern const char *const schema_iris_features[SCHEMA_IRIS_NFEATURES];
extern const char schema_iris_label[];

#endif
