/* batch_event.c: an event read in bounded time and memory.
 *
 * The event is first validated whole by jscan (RFC 8259, nothing after the
 * top-level value, nesting and record count within the limits), which also
 * decides its shape and counts its records, so the record array is
 * allocated once at its exact size.  Then each element is read on its own:
 * by the fast path when it takes it, else by cJSON, whose tree is then one
 * element of at most BATCH_RECORD_MAX_VALUES values, never the whole event.
 * What cJSON cannot read (a lone surrogate escape) or would read into too
 * large a tree costs only that record, with a per-record error.
 *
 * An array event is first read in one pass without the validation pass,
 * for as long as the fast path takes its elements: what the fast path
 * accepts is already valid JSON within the depth limit, so that reading is
 * exactly the two passes' result.  At the first element it does not take,
 * the two passes read the rest of the event (validated from there on),
 * never looking back: so the caller may be told, as the one pass goes,
 * which leading bytes of the event will not be read again. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bigmem.h"
#include "lambda/batch/batch_internal.h"
#include "lambda/batch/jscan.h"

/* An element of the event: where it ends, and where it first nests past
 * the depth limit (NULL if it does not). */
typedef struct outline_element {
    const char *end, *deep;
} outline_element;

typedef struct outline {
    size_t count;          /* records */
    size_t base;           /* records before first (read by the one pass) */
    const char *first;     /* the first element outlined, or the bare object */
    outline_element *ends; /* each element from first on (malloc'd) */
    size_t cap;
} outline;

static int event_fail(char *err, size_t errlen, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int event_fail(char *err, size_t errlen, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return status;
}

/* The error for a value jscan rejected at offset at of the event. */
static int invalid_json(int r, size_t at, size_t len, char *err, size_t errlen)
{
    if (r == JSCAN_ERR_DEPTH)
        return event_fail(err, errlen, BATCH_ERR_LIMIT,
                          "a record nests arrays and objects deeper than %d levels (at byte %zu "
                          "of %zu of the event); a connector record needs 3",
                          JSCAN_MAX_DEPTH, at, len);
    return event_fail(err, errlen, BATCH_ERR_NOT_JSON,
                      "the event is not valid JSON: syntax error at byte %zu of %zu", at, len);
}

/* The elements of the top-level array from the one at s (o->first) on:
 * validates them and counts them, up to BATCH_MAX_RECORDS in all.  Leaves
 * *p after the closing bracket.  An object element nested past the depth
 * limit is valid JSON all the same, and costs only its record; an array
 * nested so deep is the event's own nesting, and fails it. */
static int outline_elements(const char *json, size_t len, const char *s, const char **p, outline *o,
                            char *err, size_t errlen)
{
    const char *end = json + len;
    for (;;) {
        if (o->count == BATCH_MAX_RECORDS)
            return event_fail(err, errlen, BATCH_ERR_LIMIT,
                              "the event holds more than %d records (record %d starts at byte "
                              "%zu of %zu); the function reads at most %d per invocation: "
                              "lower the connector's aws.lambda.batch.size",
                              BATCH_MAX_RECORDS, BATCH_MAX_RECORDS + 1, (size_t)(s - json), len,
                              BATCH_MAX_RECORDS);
        jscan_info info;
        const char *start = s;
        int r = jscan_value(&s, end, JSCAN_GRAMMAR | JSCAN_DEEP, SIZE_MAX, &info);
        if (r == JSCAN_ERR_DEEP && *start != '{')
            r = JSCAN_ERR_DEPTH;
        if (r != JSCAN_OK && r != JSCAN_ERR_DEEP)
            return invalid_json(r, (size_t)(info.at - json), len, err, errlen);
        if (o->count - o->base == o->cap) {
            size_t cap = o->cap ? o->cap * 2 : 256;
            outline_element *e = realloc(o->ends, cap * sizeof *e);
            if (e == NULL)
                return event_fail(err, errlen, BATCH_ERR_NOMEM,
                                  "out of memory outlining the event");
            o->ends = e;
            o->cap = cap;
        }
        o->ends[o->count++ - o->base] = (outline_element){s, r == JSCAN_ERR_DEEP ? info.at : NULL};
        s = jscan_ws(s, end);
        if (s < end && *s == ',') {
            s = jscan_ws(s + 1, end);
            continue;
        }
        if (s < end && *s == ']') {
            *p = s + 1;
            return BATCH_OK;
        }
        return invalid_json(JSCAN_ERR_SYNTAX, (size_t)(s - json), len, err, errlen);
    }
}

/* The top-level array at *p ('['); leaves *p after its closing bracket. */
static int outline_array(const char *json, size_t len, const char **p, outline *o, char *err,
                         size_t errlen)
{
    const char *end = json + len, *s = jscan_ws(*p + 1, end);
    o->first = s;
    if (s < end && *s == ']') {
        *p = s + 1;
        return BATCH_OK;
    }
    return outline_elements(json, len, s, p, o, err, errlen);
}

static int text_after(const char *json, size_t len, const char *s, char *err, size_t errlen)
{
    return event_fail(err, errlen, BATCH_ERR_NOT_JSON,
                      "the event is not valid JSON: text after the top-level value at byte "
                      "%zu of %zu",
                      (size_t)(s - json), len);
}

/* Validates the whole event and decides its shape and record count. */
static int outline_event(const char *json, size_t len, batch *out, outline *o, char *err,
                         size_t errlen)
{
    const char *end = json + len, *s = jscan_ws(json, end);
    memset(o, 0, sizeof *o);
    if (len == 0)
        return event_fail(err, errlen, BATCH_ERR_NOT_JSON,
                          "the event is empty; expected a JSON array of connector records");
    const char *top = s;
    int r;
    if (s < end && *s == '[') {
        if ((r = outline_array(json, len, &s, o, err, errlen)) != BATCH_OK)
            return r;
    } else {
        jscan_info info;
        if ((r = jscan_value(&s, end, JSCAN_GRAMMAR, SIZE_MAX, &info)) != JSCAN_OK)
            return invalid_json(r, (size_t)(info.at - json), len, err, errlen);
        o->first = top;
        o->count = 1;
        if ((o->ends = malloc(sizeof *o->ends)) == NULL)
            return event_fail(err, errlen, BATCH_ERR_NOMEM, "out of memory outlining the event");
        o->ends[0] = (outline_element){s, NULL};
    }
    s = jscan_ws(s, end);
    if (s != end)
        return text_after(json, len, s, err, errlen);
    if (*top == '{') {
        out->shape = BATCH_SHAPE_BARE_OBJECT;
    } else if (*top != '[') {
        return event_fail(err, errlen, BATCH_ERR_SHAPE,
                          "the event is a JSON %s; expected an array of connector records "
                          "[{\"payload\":{...}}] or an iris object",
                          jscan_type_name(*top));
    } else if (o->count == 0 || (*o->first == '{' && batch_has_payload_key(o->first, end) == 1)) {
        out->shape = BATCH_SHAPE_CONNECTOR;
    } else {
        out->shape = BATCH_SHAPE_BARE_ARRAY;
    }
    return BATCH_OK;
}

/* A record's error for a record cJSON cannot read whole, then the
 * metadata of its payload that can be read (batch_read_metadata_text). */
static int record_unreadable(batch *b, batch_record *rec, const char *start, const char *end,
                             const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int record_unreadable(batch *b, batch_record *rec, const char *start, const char *end,
                             const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (batch_record_fail(rec, msg) != 0)
        return BATCH_ERR_NOMEM;
    if (b->shape == BATCH_SHAPE_CONNECTOR &&
        batch_read_metadata_text(b, rec, start, (size_t)(end - start)) == BATCH_ERR_NOMEM)
        return BATCH_ERR_NOMEM;
    return -1;
}

/* Whether text holds a \uD800-\uDFFF escape (paired or not). */
static int has_surrogate_escape(const char *text, size_t len)
{
    for (const char *p = text, *end = text + len;
         (p = memchr(p, '\\', (size_t)(end - p))) != NULL && end - p >= 4; p += 2)
        if (p[1] == 'u' && (p[2] == 'd' || p[2] == 'D') &&
            ((p[3] >= '8' && p[3] <= '9') || (p[3] >= 'a' && p[3] <= 'f') ||
             (p[3] >= 'A' && p[3] <= 'F')))
            return 1;
    return 0;
}

/* The element [start, end) through cJSON, within the limits; deep: where
 * it nests past the depth limit, or NULL. */
static int read_element_checked(batch *b, batch_record *rec, const char *start, const char *end,
                                const char *deep)
{
    size_t len = (size_t)(end - start);
    if (deep != NULL)
        return record_unreadable(b, rec, start, end,
                                 "record: arrays and objects nested deeper than %d levels (at "
                                 "byte %zu of the record); a connector record needs 3",
                                 JSCAN_MAX_DEPTH, (size_t)(deep - start));
    /* cJSON ends a string at a \u0000 escape: such a record is checked
     * below (JSCAN_NO_NUL) rather than read cut short.  A record with a
     * surrogate escape is checked first too: cJSON refuses a lone one only
     * after building the tree up to it, which made a batch of such records
     * cost 2.9x an ordinary batch (make test-limits). */
    int check_first = memmem(start, len, "\\u0000", 6) != NULL || has_surrogate_escape(start, len);
    /* n values take at least 2n - 1 bytes: a smaller element is within the
     * limit, and what cJSON rejects in it is found below. */
    if (len < 2 * BATCH_RECORD_MAX_VALUES && !check_first) {
        int r = batch_read_element_text(b, rec, start, len);
        if (r != BATCH_ERR_NOMEM)
            return r;
    }
    jscan_info info;
    const char *p = start;
    int r = jscan_value(&p, end, JSCAN_NO_LONE_SURROGATES | JSCAN_NO_NUL, BATCH_RECORD_MAX_VALUES,
                        &info);
    if (r == JSCAN_OK)
        return len < 2 * BATCH_RECORD_MAX_VALUES && !check_first
                   ? BATCH_ERR_NOMEM
                   : batch_read_element_text(b, rec, start, len);
    size_t at = (size_t)(info.at - start);
    if (r == JSCAN_ERR_NUL)
        return record_unreadable(
            b, rec, start, end,
            "record: a \\u0000 escape (a NUL character) at byte %zu of the record; "
            "text fields may not contain NUL",
            at);
    if (r == JSCAN_ERR_SURROGATE)
        return record_unreadable(
            b, rec, start, end,
            "record: a lone UTF-16 surrogate escape (\\ud800 to \\udfff without "
            "its pair) at byte %zu of the record; JSON strings must be Unicode",
            at);
    if (r == JSCAN_ERR_VALUES)
        return record_unreadable(
            b, rec, start, end,
            "record: more than %d JSON values (the most one record may hold; the "
            "%dth is at byte %zu of the record)",
            BATCH_RECORD_MAX_VALUES, BATCH_RECORD_MAX_VALUES + 1, at);
    return record_unreadable(b, rec, start, end, "record: not valid JSON at byte %zu of the record",
                             at);
}

/* A bare object without any of the served model's fields. */
static int not_a_record(char *err, size_t errlen)
{
    char names[200] = "";
    size_t n = 0;
    for (size_t j = 0; j < batch_num_features() && n < sizeof names; j++)
        n += (size_t)snprintf(names + n, sizeof names - n, "%s%s", j ? ", " : "",
                              batch_feature_name(j));
    return event_fail(err, errlen, BATCH_ERR_SHAPE,
                      "the event is a JSON object without iris fields (%s); expected a connector "
                      "batch array or an iris record",
                      names);
}

static int read_elements(batch *out, const outline *o, const char *end, int fast, char *err,
                         size_t errlen)
{
    const char *s = o->first;
    for (size_t i = o->base; i < o->count; i++) {
        batch_record *rec = &out->records[i];
        batch_record_init(rec);
        out->count = i + 1;
        const char *start = s, *el_end = o->ends[i - o->base].end,
                   *deep = o->ends[i - o->base].deep;
        int r = !fast || deep != NULL                  ? -1
                : out->shape == BATCH_SHAPE_CONNECTOR  ? batch_fast_element(out, rec, &s, end)
                : out->shape == BATCH_SHAPE_BARE_ARRAY ? batch_fast_bare_element(rec, &s, end)
                                                       : -1;
        /* n values take at least 2n - 1 bytes: a large record may hold more
         * values than the cJSON path reads; it then words the error. */
        const char *check = start;
        if (r == 0 && (size_t)(el_end - start) >= 2 * BATCH_RECORD_MAX_VALUES &&
            jscan_value(&check, end, JSCAN_GRAMMAR, BATCH_RECORD_MAX_VALUES, NULL) != JSCAN_OK)
            r = -1;
        if (r == -1) {
            batch_record_clear(rec);
            out->slow_records++;
            r = read_element_checked(out, rec, start, el_end, deep);
        }
        s = el_end;
        if (r == BATCH_ERR_SHAPE)
            return not_a_record(err, errlen);
        if (r == BATCH_ERR_NOMEM || (r != 0 && rec->error == NULL))
            return event_fail(err, errlen, BATCH_ERR_NOMEM, "out of memory reading record %zu", i);
        s = jscan_ws(s, end);
        if (s < end && *s == ',')
            s = jscan_ws(s + 1, end);
    }
    return BATCH_OK;
}

/* Room for the next record of the one pass; the array starts at one record
 * per ONE_PASS_RECORD_BYTES of event and grows by half.  A connector record
 * of the iris stream takes 193-213 bytes (docs/function.md), so the largest
 * batch needs no growth.  The estimate is kept close: the array is a
 * region of 2 MiB pages (common/bigmem.h), and with several invocations in
 * flight only the pages a batch fills are huge ones, so the part reserved
 * and never written costs nothing. */
#define ONE_PASS_RECORD_BYTES 176

/* The records array resized to hold n records (the first out->count kept);
 * a large one is a region of huge pages, kept by the process for the next
 * batch (common/bigmem.h). */
static int records_resize(batch *out, size_t n)
{
    size_t cap;
    batch_record *r = bigmem_resize(out->records, out->records_cap, n * sizeof *r, &cap);
    if (r == NULL)
        return -1;
    out->records = r;
    out->records_cap = cap;
    return 0;
}

static int one_pass_reserve(batch *out, size_t *cap, size_t len)
{
    if (out->count < *cap)
        return 0;
    size_t ncap = *cap == 0 ? len / ONE_PASS_RECORD_BYTES + 16 : *cap + *cap / 2;
    if (ncap > BATCH_MAX_RECORDS)
        ncap = BATCH_MAX_RECORDS;
    if (records_resize(out, ncap) != 0)
        return -1;
    *cap = ncap;
    return 0;
}

/* The one pass tells the caller about every RELEASE_STEP bytes it is done
 * with. */
#define RELEASE_STEP (256 * 1024)

/* An array event (connector elements or bare iris objects) read by the
 * fast path alone, in one pass: BATCH_OK, BATCH_ERR_NOMEM, or 1 when the
 * two passes must read the rest: *resume is then where the elements read
 * (out->count of them) end, or NULL if none was.  A record of 2 *
 * BATCH_RECORD_MAX_VALUES bytes or more (it might hold more values than
 * the cJSON path reads) is left to the two passes, which check it. */
static int read_one_pass(const char *json, size_t len, batch *out, const char **resume,
                         const batch_release *release)
{
    const char *end = json + len, *s = jscan_ws(json, end), *done = NULL;
    size_t released = 0;
    *resume = NULL;
    if (s >= end || *s != '[')
        return 1;
    s = jscan_ws(s + 1, end);
    if (s >= end || *s != '{')
        return 1;
    int hp = batch_has_payload_key(s, end);
    if (hp < 0)
        return 1;
    out->shape = hp ? BATCH_SHAPE_CONNECTOR : BATCH_SHAPE_BARE_ARRAY;
    size_t cap = 0;
    for (;;) {
        if (out->count == BATCH_MAX_RECORDS)
            break; /* the two passes word the limit */
        if (one_pass_reserve(out, &cap, len) != 0)
            return BATCH_ERR_NOMEM;
        batch_record *rec = &out->records[out->count++];
        batch_record_init(rec);
        const char *start = s;
        int r = hp ? batch_fast_element(out, rec, &s, end) : batch_fast_bare_element(rec, &s, end);
        if (r == BATCH_ERR_NOMEM)
            return BATCH_ERR_NOMEM;
        /* A large element is kept when it holds no more values than the
         * cJSON path reads, as read_elements() decides; otherwise the two
         * passes read it again and word the error.  (Reading it again only
         * to keep it would double the cost of a 6 MB record.) */
        const char *check = start;
        if (r == 0 && (size_t)(s - start) >= 2 * BATCH_RECORD_MAX_VALUES &&
            jscan_value(&check, end, JSCAN_GRAMMAR, BATCH_RECORD_MAX_VALUES, NULL) != JSCAN_OK)
            r = -1;
        if (r != 0) {
            batch_record_clear(rec);
            out->count--;
            break;
        }
        done = s;
        if (release != NULL && (size_t)(done - json) - released >= RELEASE_STEP) {
            released = (size_t)(done - json);
            release->fn(release->ctx, released);
        }
        s = jscan_ws(s, end);
        if (s < end && *s == ',') {
            s = jscan_ws(s + 1, end);
            continue;
        }
        if (s < end && *s == ']' && jscan_ws(s + 1, end) == end)
            return BATCH_OK;
        break;
    }
    *resume = done;
    return 1;
}

/* The two passes' reading of what follows the elements the one pass read
 * (they end at s): the rest is validated and outlined from s on, then its
 * elements are read, as batch_read_event() would; nothing before s is
 * read. */
static int read_rest(const char *json, size_t len, batch *out, const char *s, char *err,
                     size_t errlen)
{
    const char *end = json + len;
    outline o;
    memset(&o, 0, sizeof o);
    o.base = o.count = out->count;
    int rc = BATCH_OK;
    s = jscan_ws(s, end);
    if (s < end && *s == ',') {
        o.first = jscan_ws(s + 1, end);
        rc = outline_elements(json, len, o.first, &s, &o, err, errlen);
    } else if (s < end && *s == ']') {
        s++;
    } else {
        rc = invalid_json(JSCAN_ERR_SYNTAX, (size_t)(s - json), len, err, errlen);
    }
    if (rc == BATCH_OK && jscan_ws(s, end) != end)
        rc = text_after(json, len, jscan_ws(s, end), err, errlen);
    if (rc == BATCH_OK && o.count > o.base) {
        if (records_resize(out, o.count) != 0)
            rc = event_fail(err, errlen, BATCH_ERR_NOMEM, "out of memory for %zu records", o.count);
    }
    if (rc == BATCH_OK)
        rc = read_elements(out, &o, end, 1, err, errlen);
    free(o.ends);
    return rc;
}

static int read_event(const char *json, size_t len, batch *out, char *err, size_t errlen, int fast,
                      const batch_release *release);

int batch_read_event(const char *json, size_t len, batch *out, char *err, size_t errlen, int fast,
                     const batch_release *release)
{
    batch_errors_begin();
    int rc = read_event(json, len, out, err, errlen, fast, release);
    batch_errors_end();
    return rc;
}

static int read_event(const char *json, size_t len, batch *out, char *err, size_t errlen, int fast,
                      const batch_release *release)
{
    outline o;
    memset(out, 0, sizeof *out);
    if (fast) {
        const char *resume;
        int r = read_one_pass(json, len, out, &resume, release);
        if (r == 1 && resume != NULL)
            r = read_rest(json, len, out, resume, err, errlen);
        else if (r == BATCH_ERR_NOMEM)
            event_fail(err, errlen, BATCH_ERR_NOMEM, "out of memory reading the event");
        if (r != 1 || resume != NULL) {
            if (r != BATCH_OK)
                batch_free(out);
            return r;
        }
        batch_free(out); /* nothing read: the two passes from the start */
    }
    int rc = outline_event(json, len, out, &o, err, errlen);
    if (rc == BATCH_OK && o.count > 0 &&
        records_resize(out, o.count) != 0)
        rc = event_fail(err, errlen, BATCH_ERR_NOMEM, "out of memory for %zu records", o.count);
    if (rc == BATCH_OK)
        rc = read_elements(out, &o, json + len, fast, err, errlen);
    free(o.ends);
    if (rc != BATCH_OK)
        batch_free(out);
    return rc;
}
