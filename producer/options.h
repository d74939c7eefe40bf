/* options: the producer's command line. */
#ifndef PRODUCER_OPTIONS_H
#define PRODUCER_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "producer/drift.h"

#define OPTIONS_MAX_LIST 64

enum options_key { KEY_NONE, KEY_SPECIES, KEY_UUID };

enum options_result {
    OPTIONS_ERROR = -1,
    OPTIONS_RUN = 0,
    OPTIONS_HELP = 1,
    OPTIONS_VERSION = 2,
};

struct options {
    const char *brokers; /* NULL: bootstrap.servers from the properties */
    const char *topic;
    const char *config_files[OPTIONS_MAX_LIST]; /* -F, in order */
    size_t n_config_files;
    const char *overrides[OPTIONS_MAX_LIST]; /* -X key=value, in order */
    size_t n_overrides;
    uint64_t count; /* 0 with has_count unset: until stopped */
    int has_count;
    double rate; /* messages/s; 0: unlimited */
    uint64_t seed;
    int has_seed;
    struct drift drift;
    int has_drift;
    const char *data; /* NULL: model/iris.csv */
    enum options_key key;
    int seq_header;
    int dry_run;
    int verbose; /* -1 with -q */
    double progress_s;
    double flush_timeout_s;
    const char *format;          /* --format: json (default), avro, json_sr, protobuf */
    const char *schema_registry; /* --schema-registry URL; NULL: schema.registry.url */
    const char *schema_file;     /* --schema FILE; NULL: the shipped schema */
};

/* Parses argv (argv strings are borrowed, not copied).  Returns an
 * options_result; on OPTIONS_ERROR err holds the reason. */
enum options_result options_parse(int argc, char **argv, struct options *o, char *err,
                                  size_t errlen);

/* The --help text. */
extern const char options_usage[];

#endif
