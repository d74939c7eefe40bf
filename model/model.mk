# model/model.mk: the model artifact's scorer (linked into the bootstrap), the
# trainer build/train, their tests and `make model` (retrain the artifact).

# Exactly what a program that scores needs; no trainer code.
MODEL_SCORER_SRCS := model/model.c model/model_load.c model/model_json.c model/numeric.c

# The trainer's modules (train_main.c only wires them together).
MODEL_TRAIN_SRCS := model/dataset.c model/rng.c model/cv.c model/learner.c model/glm.c \
	model/discriminant.c model/knn.c model/gbm.c model/leaderboard.c model/artifact.c \
	model/kafka_source.c
MODEL_TRAIN_LIBS = $(call libs,libcjson libcrypto rdkafka) -lpthread -lm
MODEL_SCORER_LIBS = $(call libs,libcjson) -lm

BINS += $(BUILD)/train

$(BUILD)/train: $(call obj,model/train_main.c $(MODEL_TRAIN_SRCS) $(MODEL_SCORER_SRCS))
	$(CC) $(CFLAGS) -o $@ $^ $(MODEL_TRAIN_LIBS)

# Unit tests (ASan + UBSan).
$(ASAN)/test_model: $(call asan_obj,tests/test_model.c $(MODEL_SCORER_SRCS))
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(call libs,cmocka) $(MODEL_SCORER_LIBS)

$(ASAN)/test_train: $(call asan_obj,tests/test_train.c $(MODEL_TRAIN_SRCS) $(MODEL_SCORER_SRCS))
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(call libs,cmocka) $(MODEL_TRAIN_LIBS)

.PHONY: test-model test-train test-train-kafka model
TESTS += test-model test-train test-train-kafka

test-model: $(ASAN)/test_model
	tests/run-suite.sh model $(ASAN)/test_model

# test_train also runs the release build/train (command line, artifact bytes).
test-train: $(ASAN)/test_train $(BUILD)/train
	tests/run-suite.sh train $(ASAN)/test_train

# train --from-kafka against the real kafka-local and producer (needs producer.mk).
test-train-kafka: $(BUILD)/train $(BUILD)/producer $(BUILD)/kafka-local
	tests/run-suite.sh train-kafka $(PY) tests/test_train_kafka.py

# The scorer's speed (not part of make test).
BENCHES += bench-model
.PHONY: bench-model
$(BUILD)/bench-model: $(call obj,model/bench_main.c $(MODEL_TRAIN_SRCS) $(MODEL_SCORER_SRCS))
	$(CC) $(CFLAGS) -o $@ $^ $(MODEL_TRAIN_LIBS)

bench-model: $(BUILD)/bench-model
	$(BUILD)/bench-model model/iris-model.json

# Rerun the leaderboard (10 x 5-fold CV) and rewrite the shipped artifact.
model: $(BUILD)/train
	$(BUILD)/train -d model/iris.csv -o model/iris-model.json
