/* fuzz_registry_decode: registry/decode.c on any bytes.  The first byte picks
 * the writer's schema (the shipped Avro, JSON Schema or Protobuf one, as the
 * trainer and the connector stand-in meet them); the rest is the value, the
 * wire-format header included.  A decoded value must be a JSON object; an
 * error must say why without quoting the value's bytes. */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry/decode.h"

extern const char encode_schema_avsc[], encode_schema_json[], encode_schema_proto[];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const enum registry_format formats[] = {REGISTRY_AVRO, REGISTRY_JSON, REGISTRY_PROTOBUF};
    const char *schemas[] = {encode_schema_avsc, encode_schema_json, encode_schema_proto};
    unsigned pick = data[0] % 3;
    char err[512] = "";
    char *json = decode_value(formats[pick], schemas[pick], data + 1, size - 1, err, sizeof(err));
    if (json) {
        cJSON *j = cJSON_Parse(json);
        if (!cJSON_IsObject(j))
            abort(); /* a decoded value is always a JSON object */
        cJSON_Delete(j);
        free(json);
    } else if (!*err || strlen(err) >= sizeof(err) - 1) {
        abort(); /* every failure says why */
    }
    return 0;
}
