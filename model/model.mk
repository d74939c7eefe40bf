# model/model.mk: the model artifact's loader and scorer: exactly what a
# program that scores links (the bootstrap); no trainer code, no librdkafka.

MODEL_SCORER_SRCS := model/model.c model/model_load.c model/model_check.c model/model_json.c model/numeric.c \
	model/baseline.c model/schema.c
MODEL_SCORER_LIBS = $(call libs,libcjson) -lm

UNIT_SRCS_model := tests/unit/test_model.c $(MODEL_SCORER_SRCS)
C_UNITS += model
UNIT_LIBS_model = $(MODEL_SCORER_LIBS)

# make fuzz-model: libFuzzer (clang, ASan+UBSan) on the loader and scorer:
# every artifact that loads gives finite, normalised probabilities.  Seeded
# with the shipped artifact, one artifact of each family fitted by build/train
# and a 13-feature wine model (written into the fuzzer's corpus under build/).
# Not part of make test.
FUZZERS += model
FUZZ_model_SRCS := tests/fuzz/fuzz_model.c $(MODEL_SCORER_SRCS)
FUZZ_model_LIBS = $(MODEL_SCORER_LIBS)
FUZZ_model_MAX_LEN := 65536
FUZZ_model_SEEDS := model/iris-model.json
FUZZ_model_DEPS := $(BUILD)/train
FUZZ_MODEL_FAMILIES := glm lda qda gnb knn gbm
FUZZ_model_SEED_CMD = for f in $(FUZZ_MODEL_FAMILIES); do \
	  test -s $(BUILD)/fuzz-corpus-model/$$f.json || \
	  $(BUILD)/train -f $$f -r 1 -o $(BUILD)/fuzz-corpus-model/$$f.json >/dev/null || exit 1; done; \
	  test -s $(BUILD)/fuzz-corpus-model/wine.json || $(BUILD)/train -d tests/data/wine/wine.csv \
	  --label class -f qda -r 1 -o $(BUILD)/fuzz-corpus-model/wine.json >/dev/null

# The artifact's monitoring statistics (model/baseline.c), read back.
UNIT_SRCS_baseline := tests/unit/test_baseline.c tests/lib/testfile.c $(MODEL_SCORER_SRCS)
C_UNITS += baseline
UNIT_LIBS_baseline = $(MODEL_SCORER_LIBS)

# The artifact's monitoring statistics and leader rule, recomputed independently in Python.
.PHONY: test-monitoring-artifact
test-monitoring-artifact:
	$(RUN_SUITE) monitoring-artifact $(PY) tests/integration/monitoring_artifact_test.py
TESTS += test-monitoring-artifact

UNIT_SRCS_schema := tests/unit/test_schema.c model/schema.c
C_UNITS += schema
UNIT_LIBS_schema :=

# Which models the real sanitised bootstrap serves (init errors, class names).
.PHONY: test-model-serving
test-model-serving: $(ASAN)/bootstrap $(BUILD)/train
	BOOTSTRAP=$(ASAN)/bootstrap $(RUN_SUITE) model-serving $(PY) tests/integration/test_model_serving.py
TESTS += test-model-serving

# The batch parser reading the layout of the model it serves (lambda/batch/layout.c).
UNIT_SRCS_layout = tests/unit/test_layout.c $(BATCH_SRCS) common/buf.c common/bigmem.c $(MODEL_SCORER_SRCS)
C_UNITS += layout
UNIT_LIBS_layout = $(call libs,libcjson) -lm
