/* fuzz_model.c: libFuzzer target for the model loader and scorer.  Any input
 * is an artifact candidate; for every one that loads, the scorer must give
 * finite probabilities in [0, 1] summing to 1 and a prediction among the most
 * probable classes, at the training centre, at iris flowers, and at points
 * taken from the input's last bytes; each class name must find its own index.
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
            fprintf(stderr, "class %zu: probability %g at (%g, %g, %g, %g)\n", c, p[c], x[0], x[1],
                    x[2], x[3]);
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
    static const double flowers[][MODEL_NFEATURES] = {{5.1, 3.5, 1.4, 0.2},
                                                      {6.7, 3.1, 4.4, 1.4},
                                                      {7.7, 2.6, 6.9, 2.3},
                                                      {0, 0, 0, 0},
                                                      {100, 100, 100, 100}};
    char err[512];
    model *m = model_from_json((const char *)data, size, err, sizeof err);
    if (!m)
        return 0;
    for (size_t i = 0; i < sizeof flowers / sizeof flowers[0]; i++)
        check_point(m, flowers[i]);
    if (size >= 4 * sizeof(uint16_t)) {
        /* Four features in [0, 100] from the input's last 8 bytes. */
        double x[MODEL_NFEATURES];
        for (size_t j = 0; j < MODEL_NFEATURES; j++) {
            uint16_t v;
            memcpy(&v, data + size - 8 + 2 * j, 2);
            x[j] = v / 655.35;
        }
        check_point(m, x);
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
