/* batch.c: the public API of the batch parser (batch.h): an event in,
 * records out.  The reading itself is batch_event.c's. */
#include "lambda/batch/batch.h"
#include "lambda/batch/batch_internal.h"

const char *batch_strerror(int status)
{
    switch (status) {
    case BATCH_OK:
        return "ok";
    case BATCH_ERR_NOT_JSON:
        return "the event is not valid JSON";
    case BATCH_ERR_SHAPE:
        return "the event is not a batch of iris records";
    case BATCH_ERR_NOMEM:
        return "out of memory";
    case BATCH_ERR_LIMIT:
        return "the event exceeds a limit of the function";
    default:
        return "unknown batch error";
    }
}

int batch_parse(const char *json, size_t len, batch *out, char *err, size_t errlen)
{
    return batch_read_event(json, len, out, err, errlen, 1, NULL);
}

int batch_parse_releasing(const char *json, size_t len, batch *out, char *err, size_t errlen,
                          void (*release)(void *ctx, size_t n), void *ctx)
{
    batch_release r = {release, ctx};
    return batch_read_event(json, len, out, err, errlen, 1, release != NULL ? &r : NULL);
}

int batch_parse_cjson(const char *json, size_t len, batch *out, char *err, size_t errlen)
{
    return batch_read_event(json, len, out, err, errlen, 0, NULL);
}

int batch_parse_fast(const char *json, size_t len, batch *out)
{
    char err[320];
    return batch_read_event(json, len, out, err, sizeof err, 1, NULL);
}
