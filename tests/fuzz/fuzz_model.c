/* fuzz_model.c: libFuzzer target for the model loader and scorer.  Any input
 * is an artifact candidate; for every one that loads, the scorer must give
 * finite probabilities in [0, 1] summing to 1 and a prediction among the most
 * probable classes at fixed points and at points taken from the input's last
 * bytes, with as many features as the model has; each class name and
 * feature name must find its own index.
 * Nothing may crash or leak (ASan, UBSan).  Run: make fuzz-model */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_point(const model *m, const double *x)
{
    double p[MODEL_MAX_CLASSES], sum = 0;
    size_t k = model_num_classes(m);
    int best = model_predict(m, x, p);
    if (best < 0 || (size_t)best >= k) {
        fprintf(stderr, "prediction %d outside [0, %zu)\n", best, k);
        abort();
    }
    for (size_t c = 0; c < k; c++) {
        if (!(p[c] >= 0 && p[c] <= 1)) {
            fprintf(stderr, "class %zu: probability %g\n", c, p[c]);
            abort();
        }
        if (p[c] > p[best]) {
            fprintf(stderr, "predicted %d (p %g) but class %zu has p %g\n", best, p[best], c, p[c]);
            abort();
        }
        sum += p[c];
    }
    if (!(fabs(sum - 1) <= 1e-9)) {
        fprintf(stderr, "probabilities sum to %.17g\n", sum);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const double values[] = {5.1, 3.5, 1.4, 0.2, 0, 100, 6.7, 7.7, 2.3, 1065};
    char err[512];
    model *m = model_from_json((const char *)data, size, err, sizeof err);
    if (!m)
        return 0;
    size_t nf = model_num_features(m);
    double x[MODEL_MAX_FEATURES];
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
        for (size_t j = 0; j < nf; j++)
            x[j] = values[(v + j) % (sizeof values / sizeof values[0])];
        check_point(m, x);
    }
    if (size >= 2 * nf) {
        /* Features in [0, 100] from the input's last bytes. */
        for (size_t j = 0; j < nf; j++) {
            uint16_t u;
            memcpy(&u, data + size - 2 * nf + 2 * j, 2);
            x[j] = u / 655.35;
        }
        check_point(m, x);
    }
    for (size_t j = 0; j < nf; j++) {
        const char *name = model_feature_name(m, j);
        if (model_feature_index(m, name, strlen(name)) != (int)j) {
            fprintf(stderr, "feature %zu \"%s\" finds index %d\n", j, name,
                    model_feature_index(m, name, strlen(name)));
            abort();
        }
    }
    for (size_t c = 0; c < model_num_classes(m); c++)
        if (model_class_index(m, model_class_name(m, c)) != (int)c) {
            fprintf(stderr, "class %zu \"%s\" finds index %d\n", c, model_class_name(m, c),
                    model_class_index(m, model_class_name(m, c)));
            abort();
        }
    model_free(m);
    return 0;
}
