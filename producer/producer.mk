# producer/producer.mk: build/producer, its unit and integration tests and the
# producer benchmark (build/kafka-local, the embedded Kafka it is tested
# against, is a test double: tests/tests.mk).

PRODUCER_SRCS := producer/console.c producer/rowset.c producer/drift.c producer/options.c \
	producer/props.c producer/record.c producer/prng.c producer/sampler.c producer/text.c \
	producer/sender.c producer/stream.c common/secrets.c

BINS += $(BUILD)/producer

$(BUILD)/producer: $(call obj,$(PRODUCER_SRCS) producer/main.c)
	$(CC) $(CFLAGS) -o $@ $^ $(call libs,rdkafka libcjson) -lm

# The same binary built with ASan+UBSan, for the integration tests.
$(ASAN)/producer: $(call asan_obj,$(PRODUCER_SRCS) producer/main.c)
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(call libs,rdkafka libcjson) -lm

# Integration tests: the real binaries (sanitizer builds) over TCP on
# 127.0.0.1, read back with kcat.
PRODUCER_IT_BINS := $(ASAN)/producer $(ASAN)/kafka-local
PRODUCER_IT_ENV := PRODUCER_BIN=$(ASAN)/producer KAFKA_LOCAL_BIN=$(ASAN)/kafka-local
TESTS += test-producer-integration
.PHONY: test-producer-integration
test-producer-integration: $(PRODUCER_IT_BINS)
	@$(PRODUCER_IT_ENV) $(RUN_SUITE) producer-integration $(PY) tests/integration/producer_integration.py

# Unit tests (cmocka), built and run with ASan+UBSan: each links the
# modules it tests and what those call.
UNIT_SRCS_producer_console := tests/unit/test_producer_console.c producer/console.c \
	common/secrets.c
UNIT_SRCS_producer_options := tests/unit/test_producer_options.c producer/options.c producer/drift.c
UNIT_SRCS_producer_props := tests/unit/test_producer_props.c producer/props.c producer/text.c
UNIT_SRCS_producer_rowset := tests/unit/test_producer_rowset.c producer/rowset.c producer/text.c
UNIT_SRCS_producer_sampler := tests/unit/test_producer_sampler.c producer/sampler.c \
	producer/rowset.c producer/text.c producer/drift.c producer/record.c producer/prng.c
PRODUCER_UNITS := producer_console producer_options producer_props producer_rowset producer_sampler
$(foreach u,$(PRODUCER_UNITS),$(eval UNIT_LIBS_$(u) = $(call libs,libcjson) -lm))
C_UNITS += $(PRODUCER_UNITS)

TESTS += test-producer-kafka-local test-producer-errors test-producer-faults
.PHONY: test-producer-kafka-local test-producer-errors test-producer-faults
test-producer-kafka-local: $(PRODUCER_IT_BINS)
	@$(PRODUCER_IT_ENV) $(RUN_SUITE) producer-kafka-local $(PY) tests/integration/producer_kafka_local.py
test-producer-errors: $(PRODUCER_IT_BINS)
	@$(PRODUCER_IT_ENV) $(RUN_SUITE) producer-errors $(PY) tests/integration/producer_errors.py
test-producer-faults: $(PRODUCER_IT_BINS)
	@$(PRODUCER_IT_ENV) $(RUN_SUITE) producer-faults $(PY) tests/integration/producer_faults.py

# Benchmark: 1,000,000 iris messages into kafka-local (release builds),
# producer against kcat, 5 alternating rounds.
BENCHES += bench-producer
.PHONY: bench-producer
bench-producer: $(BUILD)/producer $(BUILD)/kafka-local
	@$(PY) tests/bench/producer_bench.py 1000000 5

# Fuzzers (tests/tests.mk builds them): make fuzz-producer-props (the -F
# client properties file) and make fuzz-producer-rowset (the CSV rows and the
# JSON records they become).
FUZZERS += producer_props producer_rowset
FUZZ_producer_props_SRCS := tests/fuzz/fuzz_producer_props.c producer/props.c producer/text.c
FUZZ_producer_rowset_SRCS := tests/fuzz/fuzz_producer_rowset.c producer/rowset.c producer/record.c \
                             producer/text.c
FUZZ_producer_rowset_LIBS = $(call libs,libcjson) -lm
FUZZ_producer_rowset_SEEDS := model/iris.csv
FUZZ_producer_rowset_MAX_LEN := 8192
