# producer/producer.mk: build/producer, build/kafka-local (the embedded Kafka
# test double under tests/), their unit and integration tests, and the
# producer benchmark.

PRODUCER_SRCS := producer/console.c producer/dataset.c producer/drift.c producer/options.c \
	producer/props.c producer/record.c producer/rng.c producer/sampler.c \
	producer/sender.c producer/stream.c
KAFKA_LOCAL_SRCS := tests/kafka_local.c tests/kafka_local_control.c

BINS += $(BUILD)/producer $(BUILD)/kafka-local

$(BUILD)/producer: $(call obj,$(PRODUCER_SRCS) producer/main.c)
	$(CC) $(CFLAGS) -o $@ $^ $(call libs,rdkafka libcjson) -lm

$(BUILD)/kafka-local: $(call obj,$(KAFKA_LOCAL_SRCS))
	$(CC) $(CFLAGS) -o $@ $^ $(call libs,rdkafka)

# The same binaries built with ASan+UBSan, for the integration tests.
$(ASAN)/producer: $(call asan_obj,$(PRODUCER_SRCS) producer/main.c)
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(call libs,rdkafka libcjson) -lm

$(ASAN)/kafka-local: $(call asan_obj,$(KAFKA_LOCAL_SRCS))
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(call libs,rdkafka)

# Integration tests: the real binaries (sanitizer builds) over TCP on
# 127.0.0.1, read back with kcat.
PRODUCER_IT_BINS := $(ASAN)/producer $(ASAN)/kafka-local
PRODUCER_IT_ENV := PRODUCER_BIN=$(ASAN)/producer KAFKA_LOCAL_BIN=$(ASAN)/kafka-local
TESTS += test-producer-integration
.PHONY: test-producer-integration
test-producer-integration: $(PRODUCER_IT_BINS)
	@$(PRODUCER_IT_ENV) tests/run-suite.sh producer-integration $(PY) tests/producer_integration.py

# Unit tests (cmocka), built and run with ASan+UBSan.
PRODUCER_UNIT_SRCS := producer/console.c producer/dataset.c producer/drift.c producer/options.c \
	producer/props.c producer/record.c producer/rng.c producer/sampler.c
PRODUCER_UNIT_TESTS := $(patsubst tests/%.c,$(ASAN)/%,$(wildcard tests/test_producer_*.c))

$(ASAN)/test_producer_%: $(call asan_obj,tests/test_producer_%.c $(PRODUCER_UNIT_SRCS))
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(call libs,cmocka libcjson) -lm

TESTS += test-producer-unit
.PHONY: test-producer-unit
test-producer-unit: $(PRODUCER_UNIT_TESTS)
	@tests/run-suite.sh producer-unit bash -c \
	  's=0; for t in $(PRODUCER_UNIT_TESTS); do $$t || s=1; done; exit $$s'

TESTS += test-producer-kafka-local test-producer-errors test-producer-faults
.PHONY: test-producer-kafka-local test-producer-errors test-producer-faults
test-producer-kafka-local: $(PRODUCER_IT_BINS)
	@$(PRODUCER_IT_ENV) tests/run-suite.sh producer-kafka-local $(PY) tests/producer_kafka_local.py
test-producer-errors: $(PRODUCER_IT_BINS)
	@$(PRODUCER_IT_ENV) tests/run-suite.sh producer-errors $(PY) tests/producer_errors.py
test-producer-faults: $(PRODUCER_IT_BINS)
	@$(PRODUCER_IT_ENV) tests/run-suite.sh producer-faults $(PY) tests/producer_faults.py

.SECONDARY: $(call asan_obj,$(PRODUCER_SRCS) producer/main.c $(KAFKA_LOCAL_SRCS) \
	$(wildcard tests/test_producer_*.c))

# Benchmark: 1,000,000 iris messages into kafka-local (release builds),
# producer against kcat, 5 alternating rounds.
BENCHES += bench-producer
.PHONY: bench-producer
bench-producer: $(BUILD)/producer $(BUILD)/kafka-local
	@$(PY) tests/producer_bench.py 1000000 5
