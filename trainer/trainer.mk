# trainer/trainer.mk: build/train (data, folds, learners, leaderboard, the
# artifact writer and the Kafka source), its tests, `make model` and the
# scorer benchmark.  The only part besides the producer that links librdkafka.

TRAINER_SRCS := trainer/trainset.c trainer/trainset_csv.c trainer/csv.c trainer/trainer_rng.c trainer/cv.c trainer/learner.c trainer/glm.c \
	trainer/discriminant.c trainer/knn.c trainer/gbm.c trainer/leaderboard.c trainer/artifact.c \
	trainer/baseline_fit.c trainer/file_write.c \
	trainer/kafka_source.c trainer/kafka_record.c common/secrets.c common/opts.c registry/client.c \
	registry/decode.c
# The leaderboard chart written beside --report.
TRAINER_SRCS += trainer/leaderboard_svg.c
TRAINER_LIBS = $(call libs,libcjson libcrypto rdkafka libcurl avro-c) -lpthread -lm

BINS += $(BUILD)/train

$(BUILD)/train: $(call obj,trainer/main.c $(TRAINER_SRCS) $(MODEL_SCORER_SRCS))
	$(CC) $(CFLAGS) -o $@ $^ $(TRAINER_LIBS)

UNIT_SRCS_train := tests/unit/test_train.c tests/lib/testfile.c $(TRAINER_SRCS) $(MODEL_SCORER_SRCS)
C_UNITS += train
UNIT_LIBS_train = $(TRAINER_LIBS)
# The leaderboard's noise and leader rules on given per-repeat scores.
UNIT_SRCS_leaderboard := tests/unit/test_leaderboard.c $(TRAINER_SRCS) $(MODEL_SCORER_SRCS)
C_UNITS += leaderboard
UNIT_LIBS_leaderboard = $(TRAINER_LIBS)
# test_train also runs the release build/train (command line, artifact bytes).
test-train: $(BUILD)/train

# train --from-kafka against the real kafka-local and producer.
.PHONY: test-train-kafka
test-train-kafka: $(BUILD)/train $(BUILD)/producer $(BUILD)/kafka-local tests/doubles/schema_registry.py
	$(RUN_SUITE) train-kafka $(PY) tests/integration/test_train_kafka.py
TESTS += test-train-kafka

# The scorer's speed (not part of make test).
BENCHES += bench-model
.PHONY: bench-model model
$(BUILD)/bench-model: $(call obj,trainer/bench_main.c $(TRAINER_SRCS) $(MODEL_SCORER_SRCS))
	$(CC) $(CFLAGS) -o $@ $^ $(TRAINER_LIBS)

bench-model: $(BUILD)/bench-model
	$(BUILD)/bench-model model/iris-model.json

# Rerun the leaderboard (10 x 5-fold CV) and rewrite the shipped artifact,
# its training report and the leaderboard chart model/README.md shows.
model: $(BUILD)/train
	$(BUILD)/train -d model/iris.csv -o model/iris-model.json --report model/iris-training.json \
	  --leaderboard-svg model/iris-leaderboard.svg

# The leaderboard chart: its unit test (ASan+UBSan), and the chart build/train
# writes read back as XML against its training report, the shipped one too.
UNIT_SRCS_leaderboard_svg := tests/unit/test_leaderboard_svg.c \
	$(TRAINER_SRCS) $(MODEL_SCORER_SRCS)
C_UNITS += leaderboard_svg
UNIT_LIBS_leaderboard_svg = $(TRAINER_LIBS)
.PHONY: test-leaderboard-chart
test-leaderboard-chart: $(BUILD)/train
	$(RUN_SUITE) leaderboard-chart $(PY) tests/integration/leaderboard_chart_test.py
TESTS += test-leaderboard-chart

# The exact CSV reader and the training set it loads.
UNIT_SRCS_csv := tests/unit/test_csv.c trainer/csv.c trainer/trainset.c trainer/trainset_csv.c \
	model/schema.c
C_UNITS += csv
UNIT_LIBS_csv = $(call libs,libcrypto) -lm

# Fuzzer (tests/tests.mk builds it): make fuzz-trainer-csv, the exact CSV
# reader (positions, quoting round trip) and its number reader.
FUZZERS += trainer_csv
FUZZ_trainer_csv_SRCS := tests/fuzz/fuzz_trainer_csv.c trainer/csv.c
FUZZ_trainer_csv_LIBS := -lm
FUZZ_trainer_csv_SEEDS := model/iris.csv tests/data/wine/wine.csv
FUZZ_trainer_csv_MAX_LEN := 16384
# make fuzz-trainer-kafka: the Kafka source's record parser, trainer/kafka_record.c (no broker).
FUZZERS += trainer_kafka
FUZZ_trainer_kafka_SRCS := tests/fuzz/fuzz_trainer_kafka.c trainer/kafka_record.c trainer/trainset.c \
	trainer/csv.c common/secrets.c registry/client.c registry/decode.c \
	$(MODEL_SCORER_SRCS)
FUZZ_trainer_kafka_LIBS = $(TRAINER_LIBS)
FUZZ_trainer_kafka_MAX_LEN := 8192
# The Kafka source's record parser and properties file reader without a broker.
UNIT_SRCS_kafka_record := tests/unit/test_kafka_record.c trainer/kafka_source.c trainer/kafka_record.c \
	trainer/trainset.c trainer/csv.c common/secrets.c registry/client.c registry/decode.c \
	$(MODEL_SCORER_SRCS)
C_UNITS += kafka_record
UNIT_LIBS_kafka_record = $(TRAINER_LIBS)
# make fuzz-trainer-props: the Kafka source's properties file reader.
FUZZERS += trainer_props
FUZZ_trainer_props_SRCS := $(FUZZ_trainer_kafka_SRCS:tests/fuzz/fuzz_trainer_kafka.c=tests/fuzz/fuzz_trainer_props.c) \
	trainer/kafka_source.c
FUZZ_trainer_props_LIBS = $(TRAINER_LIBS)
FUZZ_trainer_props_SEEDS := $(wildcard tests/fuzz/corpus/producer-props/*)
FUZZ_trainer_props_MAX_LEN := 12000

# make bench-train [TRAIN_BENCH_ARGS=--rows N]: build/train on 1,000,000
# synthetic rows beside scikit-learn fitting the same families on the same
# folds (tests/bench/train_bench.py; needs python3-sklearn).  Not part of make test.
$(BUILD)/bench/train_folds: $(call obj,tests/bench/train_folds.c $(TRAINER_SRCS) $(MODEL_SCORER_SRCS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $^ $(TRAINER_LIBS)
.PHONY: bench-train
bench-train: $(BUILD)/train $(BUILD)/bench/train_folds
	$(PY) tests/bench/train_bench.py --train $(BUILD)/train --folds-tool $(BUILD)/bench/train_folds \
	  $(TRAIN_BENCH_ARGS)
BENCHES += bench-train
# The steps that used to grow with the square of the rows, against their definitions.
UNIT_SRCS_train_scale := tests/unit/test_train_scale.c $(TRAINER_SRCS) $(MODEL_SCORER_SRCS)
C_UNITS += train_scale
UNIT_LIBS_train_scale = $(TRAINER_LIBS)
