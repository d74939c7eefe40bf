/* fuzz_producer_rowset.c: libFuzzer target for the producer's CSV row reader
 * (producer/rowset.c) and the records it becomes (producer/record.c).  The
 * input is the CSV text.  For every input:
 *   - a refusal is "NAME:LINE: reason" (or "NAME: reason") with LINE a line
 *     of the text, and the whole message is UTF-8 without control
 *     characters, whatever bytes the file held (it is printed to a terminal);
 *   - an accepted file has rows in line order, each feature's text a number
 *     in JSON's grammar (checked here independently) whose value is finite
 *     and equals strtod's reading of the text, with its digits after the
 *     point counted; species are non-empty, distinct and indexed in range;
 *   - every row's record (record_json) is valid UTF-8 JSON that reads back
 *     the row's numbers and species, since a Kafka record the function
 *     cannot read would be lost downstream.
 * Run: make fuzz-producer-rowset FUZZ_SECONDS=60 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer/record.h"
#include "producer/rowset.h"
#include "tests/fuzz/fuzz_check.h"

#define NAME "fuzz.csv"

/* JSON's number grammar (RFC 8259 section 6); *decimals: digits after '.'. */
static int json_number(const char *s, int *decimals)
{
    const char *p = s;
    *decimals = 0;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return 0;
    if (*p == '.') {
        const char *f = ++p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == f)
            return 0;
        *decimals = (int)(p - f);
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        const char *e = p;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p == e)
            return 0;
    }
    return *p == '\0';
}

static size_t count_lines(const uint8_t *data, size_t size)
{
    size_t n = 1;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n;
}

static void check_refusal(const char *err, const uint8_t *data, size_t size)
{
    size_t n = strlen(err);
    fuzz_check_text_message("error", err);
    if (strncmp(err, NAME ":", strlen(NAME) + 1) != 0)
        fuzz_fail("error", "NAME:LINE: reason", err, n);
    const char *p = err + strlen(NAME) + 1;
    if (*p == ' ')
        return;
    char *end;
    unsigned long line = strtoul(p, &end, 10);
    if (end == p || *end != ':' || line == 0 || line > count_lines(data, size))
        fuzz_fail("error", "NAME:LINE: with a line of the text", err, n);
}

static void check_record(const struct rowset *ds, const struct rowset_row *r)
{
    const char *species = ds->species[r->species];
    char *json = record_json((const char *const *)r->text, species);
    if (json == NULL)
        abort();
    size_t n = strlen(json);
    if (!fuzz_valid_utf8((const unsigned char *)json, n))
        fuzz_fail("record", "valid UTF-8 JSON", json, n);
    cJSON *j = cJSON_Parse(json);
    const cJSON *sp = cJSON_GetObjectItemCaseSensitive(j, "species");
    if (!cJSON_IsString(sp) || strcmp(sp->valuestring, species) != 0)
        fuzz_fail("record's species", species, json, n);
    static const char *const fields[] = {"sepalLength", "sepalWidth", "petalLength", "petalWidth"};
    for (int f = 0; f < ROWSET_FEATURES; f++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, fields[f]);
        if (!cJSON_IsNumber(v) || v->valuedouble != r->value[f])
            fuzz_fail("record's number", r->text[f], json, n);
    }
    cJSON_Delete(j);
    free(json);
}

static void check_accepted(const struct rowset *ds)
{
    if (ds->n_rows == 0 || ds->n_species == 0)
        fuzz_fail("accepted file", "at least one row and one species", NULL, 0);
    for (size_t s = 0; s < ds->n_species; s++) {
        if (ds->species[s][0] == '\0')
            fuzz_fail("species", "non-empty", NULL, 0);
        for (size_t t = 0; t < s; t++)
            if (strcmp(ds->species[s], ds->species[t]) == 0)
                fuzz_fail("species", "distinct", ds->species[s], strlen(ds->species[s]));
    }
    for (size_t i = 0; i < ds->n_rows; i++) {
        const struct rowset_row *r = &ds->rows[i];
        if (r->line < 2 || (i > 0 && r->line <= ds->rows[i - 1].line))
            fuzz_fail("row lines", "after the header, increasing", NULL, 0);
        if (r->species >= ds->n_species)
            fuzz_fail("row species", "an index in range", NULL, 0);
        for (int f = 0; f < ROWSET_FEATURES; f++) {
            int decimals;
            if (!json_number(r->text[f], &decimals) || decimals != r->decimals[f])
                fuzz_fail("feature text", "a JSON number with its decimals counted", r->text[f],
                          strlen(r->text[f]));
            if (!isfinite(r->value[f]) || r->value[f] != strtod(r->text[f], NULL))
                fuzz_fail("feature value", "finite, strtod of the text", r->text[f],
                          strlen(r->text[f]));
        }
        check_record(ds, r);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "";
    struct rowset *ds = rowset_parse((const char *)data, size, NAME, err, sizeof err);
    if (ds == NULL)
        check_refusal(err, data, size);
    else
        check_accepted(ds);
    rowset_free(ds);
    return 0;
}
