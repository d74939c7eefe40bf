# model/model.mk: the model artifact's loader and scorer: exactly what a
# program that scores links (the bootstrap); no trainer code, no librdkafka.

MODEL_SCORER_SRCS := model/model.c model/model_load.c model/model_json.c model/numeric.c
MODEL_SCORER_LIBS = $(call libs,libcjson) -lm

UNIT_SRCS_model := tests/unit/test_model.c $(MODEL_SCORER_SRCS)
C_UNITS += model
UNIT_LIBS_model = $(MODEL_SCORER_LIBS)
