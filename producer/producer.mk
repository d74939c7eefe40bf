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

# Integration tests: the real binaries over TCP, consumed with kcat.
TESTS += test-producer-integration
.PHONY: test-producer-integration
test-producer-integration: $(BUILD)/producer $(BUILD)/kafka-local
	@tests/run-suite.sh producer-integration $(PY) tests/producer_integration.py

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
test-producer-kafka-local: $(BUILD)/kafka-local
	@tests/run-suite.sh producer-kafka-local $(PY) tests/producer_kafka_local.py
test-producer-errors: $(BUILD)/producer $(BUILD)/kafka-local
	@tests/run-suite.sh producer-errors $(PY) tests/producer_errors.py
test-producer-faults: $(BUILD)/producer $(BUILD)/kafka-local
	@tests/run-suite.sh producer-faults $(PY) tests/producer_faults.py
.SECONDARY: $(call asan_obj,$(PRODUCER_UNIT_SRCS) $(wildcard tests/test_producer_*.c))

# Benchmark: 1,000,000 iris messages into kafka-local, producer against kcat.
BENCHES += bench-producer
.PHONY: bench-producer
bench-producer: $(BUILD)/producer $(BUILD)/kafka-local
	@$(PY) tests/producer_bench.py 1000000 3
