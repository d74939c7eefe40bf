# registry/registry.mk: the Schema Registry client and the wire-format
# decoder (linked by the producer, the trainer and the connector stand-in,
# whose fragments list them), their fuzzer and their test on many threads.

REGISTRY_SRCS := registry/client.c registry/decode.c
REGISTRY_LIBS = $(call libs,libcjson libcurl avro-c) -pthread

# make fuzz-registry-decode: registry/decode.c (Avro, JSON Schema and Protobuf
# values in the Schema Registry wire format) on any bytes, with the shipped
# schemas.
FUZZERS += registry_decode
FUZZ_registry_decode_SRCS := tests/fuzz/fuzz_registry_decode.c $(REGISTRY_SRCS) \
	$(BUILD)/gen/producer/schemas_text.c
FUZZ_registry_decode_LIBS = $(REGISTRY_LIBS)

# The schema cache from 8 threads against the Schema Registry double
# (ASan+UBSan, and ThreadSanitizer under make test-tsan).
UNIT_SRCS_registry_threads := tests/unit/test_registry_threads.c $(REGISTRY_SRCS)
UNIT_LIBS_registry_threads = $(REGISTRY_LIBS)
C_UNITS += registry_threads
TSAN_SRCS_registry_threads := $(UNIT_SRCS_registry_threads)
TSAN_LIBS_registry_threads = $(REGISTRY_LIBS)
TSAN_UNITS += registry_threads
