/* artifact.h: writes a trained model as a model artifact (model/README.md). */
#ifndef IRIS_ARTIFACT_H
#define IRIS_ARTIFACT_H

#include "trainer/trainset.h"
#include "trainer/leaderboard.h"
#include "trainer/learner.h"

#include <cjson/cJSON.h>
#include <stdint.h>

/* How the model was chosen, recorded under "training"; lb may be NULL.  data
 * also gives the artifact its feature and class names. */
typedef struct {
    const trainset *data;
    uint64_t seed;
    const leaderboard *lb;
    const leaderboard_row *leader; /* the cross-validated scores of m's spec, or NULL */
} artifact_training;

/* The artifact of m (trained on t->data) as JSON; NULL when out of memory.
 * Free with cJSON_Delete. */
cJSON *artifact_json(const learner_model *m, const artifact_training *t);

/* The artifact text (formatted JSON and a final newline); NULL when out of
 * memory.  Free with free(). */
char *artifact_text(const learner_model *m, const artifact_training *t);

/* Writes the artifact to path atomically (a temporary file renamed over it);
 * path "-" writes to standard output.  Returns 0 or -1 with err. */
int artifact_write(const char *path, const learner_model *m, const artifact_training *t, char *err,
                   size_t errlen);

#endif
