/* record: build the JSON value with cJSON (raw numbers keep the CSV text). */
#include "producer/record.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

const char *const record_fields[ROWSET_FEATURES + 1] = {
    "sepalLength", "sepalWidth", "petalLength", "petalWidth", "species",
};

char *record_json(const char *const features[ROWSET_FEATURES], const char *species)
{
    char *out = NULL;
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        goto cleanup;
    for (int f = 0; f < ROWSET_FEATURES; f++)
        if (!cJSON_AddRawToObject(obj, record_fields[f], features[f]))
            goto cleanup;
    if (!cJSON_AddStringToObject(obj, record_fields[ROWSET_FEATURES], species))
        goto cleanup;
    out = cJSON_PrintUnformatted(obj);

cleanup:
    cJSON_Delete(obj);
    return out;
}
