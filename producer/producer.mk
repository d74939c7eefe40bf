# producer/producer.mk: build/producer, its unit and integration tests and the
# producer benchmark (build/kafka-local, the embedded Kafka it is tested
# against, is a test double: tests/tests.mk).

PRODUCER_SRCS := producer/encode.c registry/client.c producer/console.c producer/rowset.c producer/drift.c producer/options.c \
	producer/props.c producer/record.c producer/prng.c producer/sampler.c producer/text.c \
	producer/sender.c producer/stream.c common/secrets.c common/opts.c

BINS += $(BUILD)/producer
PRODUCER_LIBS = $(call libs,rdkafka libcjson libcurl avro-c libprotobuf-c) -lm

# The shipped schemas (producer/schemas/), compiled in: the Protobuf
# message's code from protoc-c, and the three schema texts as C strings.
GEN := $(BUILD)/gen
$(GEN)/producer/schemas/iris.pb-c.c $(GEN)/producer/schemas/iris.pb-c.h: producer/schemas/iris.proto
	@mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) $<
$(GEN)/producer/schemas_text.c: producer/schemas/iris.avsc producer/schemas/iris.schema.json \
		producer/schemas/iris.proto scripts/c_string.sh
	@mkdir -p $(dir $@)
	{ sh scripts/c_string.sh encode_schema_avsc producer/schemas/iris.avsc; \
	  sh scripts/c_string.sh encode_schema_json producer/schemas/iris.schema.json; \
	  sh scripts/c_string.sh encode_schema_proto producer/schemas/iris.proto; } > $@.tmp && mv $@.tmp $@
PRODUCER_GEN_OBJS = $(BUILD)/obj/gen/iris.pb-c.o $(BUILD)/obj/gen/schemas_text.o
PRODUCER_GEN_ASAN_OBJS = $(ASAN)/obj/gen/iris.pb-c.o $(ASAN)/obj/gen/schemas_text.o
$(BUILD)/obj/gen/iris.pb-c.o: $(GEN)/producer/schemas/iris.pb-c.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -I$(GEN) $(CFLAGS) -c $< -o $@
$(ASAN)/obj/gen/iris.pb-c.o: $(GEN)/producer/schemas/iris.pb-c.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -I$(GEN) $(CFLAGS_SAN) -c $< -o $@
$(BUILD)/obj/gen/schemas_text.o: $(GEN)/producer/schemas_text.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@
$(ASAN)/obj/gen/schemas_text.o: $(GEN)/producer/schemas_text.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_SAN) -c $< -o $@
# encode.c includes the generated header.
$(BUILD)/obj/producer/encode.o $(ASAN)/obj/producer/encode.o: $(GEN)/producer/schemas/iris.pb-c.h
$(BUILD)/obj/producer/encode.o $(ASAN)/obj/producer/encode.o: CPPFLAGS += -I$(GEN)

$(BUILD)/producer: $(call obj,$(PRODUCER_SRCS) producer/main.c) $(PRODUCER_GEN_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(PRODUCER_LIBS)

# The same binary built with ASan+UBSan, for the integration tests.
$(ASAN)/producer: $(call asan_obj,$(PRODUCER_SRCS) producer/main.c) $(PRODUCER_GEN_ASAN_OBJS)
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(PRODUCER_LIBS)

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
UNIT_SRCS_producer_options := tests/unit/test_producer_options.c producer/options.c producer/drift.c \
	common/opts.c
UNIT_SRCS_producer_props := tests/unit/test_producer_props.c producer/props.c producer/text.c
UNIT_SRCS_producer_rowset := tests/unit/test_producer_rowset.c producer/rowset.c producer/text.c
UNIT_SRCS_producer_sampler := tests/unit/test_producer_sampler.c producer/sampler.c \
	producer/rowset.c producer/text.c producer/drift.c producer/record.c producer/prng.c
PRODUCER_UNITS := producer_console producer_options producer_props producer_rowset producer_sampler
$(foreach u,$(PRODUCER_UNITS),$(eval UNIT_LIBS_$(u) = $(call libs,libcjson) -lm))
C_UNITS += $(PRODUCER_UNITS)

# The Schema Registry formats, checked with Confluent's own deserializers
# (tests/node/, installed by scripts/deps.sh).
TESTS += test-producer-schema-registry
.PHONY: test-producer-schema-registry
test-producer-schema-registry: $(PRODUCER_IT_BINS)
	@$(PRODUCER_IT_ENV) $(RUN_SUITE) producer-schema-registry $(PY) tests/integration/producer_schema_registry.py

# The connector stand-in decoding those formats through the registry.
TESTS += test-connector-schema-registry
.PHONY: test-connector-schema-registry
test-connector-schema-registry: $(PRODUCER_IT_BINS) $(ASAN)/sink-connector
	@$(PRODUCER_IT_ENV) $(RUN_SUITE) connector-schema-registry $(PY) tests/integration/connector_schema_registry.py

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
