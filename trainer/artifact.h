/* artifact.h: writes a trained model as a model artifact (model/README.md). */
#ifndef IRIS_ARTIFACT_H
#define IRIS_ARTIFACT_H

#include "trainer/trainset.h"
#include "trainer/leaderboard.h"
#include "trainer/learner.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* How the model was chosen; lb and leader may be NULL.  The artifact keeps a
 * short provenance under "training" (data, the leader's cross-validated mean
 * per-class error); the training report keeps all of it (data, seed, cv,
 * leaderboard).  data also gives the artifact its feature and class names. */
typedef struct {
    const trainset *data;
    uint64_t seed;
    const leaderboard *lb;
    const leaderboard_row *leader; /* the cross-validated scores of m's spec, or NULL */
} artifact_training;

/* The artifact of m (trained on t->data) as JSON; NULL when out of memory.
 * Free with cJSON_Delete. */
cJSON *artifact_json(const learner_model *m, const artifact_training *t);

/* The training report of m as JSON: {"format", "model_id", "training"}; NULL
 * when out of memory.  Free with cJSON_Delete. */
cJSON *artifact_report_json(const learner_model *m, const artifact_training *t);

/* The artifact text (compact JSON, no indentation, and a final newline: the
 * bootstrap parses it at start-up); NULL when out of memory.  Free with
 * free(). */
char *artifact_text(const learner_model *m, const artifact_training *t);

/* The training report text (indented JSON and a final newline); NULL when out
 * of memory.  Free with free(). */
char *artifact_report_text(const learner_model *m, const artifact_training *t);

/* Writes the artifact to path atomically (a temporary file renamed over it);
 * path "-" writes to standard output.  Returns 0 or -1 with err. */
int artifact_write(const char *path, const learner_model *m, const artifact_training *t, char *err,
                   size_t errlen);

/* Writes the training report to path as artifact_write does. */
int artifact_report_write(const char *path, const learner_model *m, const artifact_training *t,
                          char *err, size_t errlen);

#endif
