# producer/producer.mk: build/producer, build/kafka-local (the embedded Kafka
# test double under tests/), their unit and integration tests, and the
# producer benchmark.

PRODUCER_SRCS := producer/console.c producer/dataset.c producer/drift.c producer/options.c \
	producer/props.c producer/record.c producer/rng.c producer/sampler.c producer/sender.c \
	producer/stream.c
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
