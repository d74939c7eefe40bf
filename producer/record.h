/* record: the JSON value of one iris message, in the original demo's schema:
 * {"sepalLength":6.7,"sepalWidth":3.3,"petalLength":5.7,"petalWidth":2.5,"species":"virginica"}
 */
#ifndef PRODUCER_RECORD_H
#define PRODUCER_RECORD_H

#include "producer/rowset.h"

/* The JSON field names, in order (features then species). */
extern const char *const record_fields[ROWSET_FEATURES + 1];

/* Builds the JSON text.  features are JSON number texts, written verbatim;
 * species is escaped as a JSON string.  Returns a string the caller frees
 * with free(), or NULL when out of memory. */
char *record_json(const char *const features[ROWSET_FEATURES], const char *species);

#endif
