# tests/tests.mk: the test plumbing: every C unit suite (declared by the
# components as C_UNITS with UNIT_SRCS_<u> and UNIT_LIBS_<u>), the test
# doubles that are programs (kafka-local, the connector stand-in), the local
# SNS's own suite, make test-memory and make check-deps.
#
# Suite naming: the target test-NAME runs `$(RUN_SUITE) NAME ...`, which
# records NAME's counts; `make test` adds up exactly the suites it ran.

RUN_SUITE := tests/lib/run-suite.sh

# The connector stand-in's value forms (Map.toString(), Double.toString,
# base64); declared here because the c_unit expansion below runs before
# deploy/deploy.mk is read.  The test sits beside the double: tests/unit/ may
# not include tests/doubles/ (scripts/check-deps.sh).
C_UNITS += connector_convert
UNIT_SRCS_connector_convert := tests/unit/test_connector_convert.c \
                               tests/doubles/connector_convert.c common/buf.c common/bigmem.c \
                               registry/client.c registry/decode.c
UNIT_LIBS_connector_convert := $(call libs,libcjson libcurl avro-c) -lm -pthread

# C unit suites: build/asan/test_<u> (ASan+UBSan) for make test, and
# build/tests/test_<u> (no sanitizer) for make test-memory under valgrind.
suite_name = $(subst _,-,$(1))
define c_unit
$(ASAN)/test_$(1): $$(call asan_obj,$$(UNIT_SRCS_$(1)))
	$$(CC) $$(CFLAGS_SAN) $$^ -o $$@ $$(UNIT_LIBS_$(1)) $$(call libs,cmocka)
$(BUILD)/tests/test_$(1): $$(call obj,$$(UNIT_SRCS_$(1)))
	@mkdir -p $$(@D)
	$$(CC) $$(CFLAGS) $$^ -o $$@ $$(UNIT_LIBS_$(1)) $$(call libs,cmocka)
.PHONY: test-$(call suite_name,$(1)) memory-$(call suite_name,$(1))
test-$(call suite_name,$(1)): $(ASAN)/test_$(1)
	$$(RUN_SUITE) $(call suite_name,$(1)) $$<
memory-$(call suite_name,$(1)): $(BUILD)/tests/test_$(1)
	$$(RUN_SUITE) memory-$(call suite_name,$(1)) valgrind -q --error-exitcode=99 \
	  --leak-check=full --errors-for-leak-kinds=definite $$<
endef
$(foreach u,$(C_UNITS),$(eval $(call c_unit,$(u))))
TESTS += $(addprefix test-,$(call suite_name,$(C_UNITS)))

# make test-memory: every C unit suite, built without sanitizers, under
# valgrind (definite leaks and invalid accesses fail the run).
MEMORY_SUITES := $(addprefix memory-,$(call suite_name,$(C_UNITS)))
.PHONY: test-memory
test-memory: export IRIS_KEEP_GOING = 1
test-memory: $(MEMORY_SUITES)
	@tests/lib/summary.sh $(BUILD)/test-results $(MEMORY_SUITES)

# ThreadSanitizer (make test-tsan): everything threads share, driven hard.
# A component declares a TSan unit suite with TSAN_UNITS += x, TSAN_SRCS_x
# (the test and exactly the modules it exercises) and TSAN_LIBS_x: it becomes
# build/tsan/test_x and the suite test-tsan-x.  A suite that runs a TSan
# program instead (build/tsan/bootstrap under the emulator) adds its target
# to TSAN_SUITES.  A race makes the program exit 66 (halt_on_error), so the
# suite fails.
TSAN_ENV := TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
TSAN_SUITES += $(addprefix test-tsan-,$(call suite_name,$(TSAN_UNITS)))
define tsan_unit
$(TSAN)/test_$(1): $$(call tsan_obj,$$(TSAN_SRCS_$(1)))
	$$(CC) $$(CFLAGS_TSAN) $$^ -o $$@ $$(TSAN_LIBS_$(1)) $$(call libs,cmocka)
.PHONY: test-tsan-$(call suite_name,$(1))
test-tsan-$(call suite_name,$(1)): $(TSAN)/test_$(1)
	$$(TSAN_ENV) $$(RUN_SUITE) tsan-$(call suite_name,$(1)) $$<
endef
$(foreach u,$(TSAN_UNITS),$(eval $(call tsan_unit,$(u))))

# The bootstrap under ThreadSanitizer, for the suites that drive it.
$(TSAN)/bootstrap: $(call tsan_obj,$(BOOTSTRAP_SRCS))
	$(CC) $(CFLAGS_TSAN) $^ -o $@ $(LAMBDA_LIBS)

# The real bootstrap at N=8 (Lambda Managed Instances) under the emulator,
# mixed batches, alerts to the local SNS: under ASan+UBSan in make test, and
# under ThreadSanitizer in make test-tsan.
.PHONY: test-bootstrap-workers test-tsan-bootstrap-workers
test-bootstrap-workers: $(ASAN)/bootstrap
	WORKERS_BOOTSTRAP=$< $(RUN_SUITE) bootstrap-workers $(PY) tests/integration/runtime_workers_test.py
test-tsan-bootstrap-workers: $(TSAN)/bootstrap
	$(TSAN_ENV) WORKERS_BOOTSTRAP=$< WORKERS_STRESS=1 $(RUN_SUITE) tsan-bootstrap-workers \
	  $(PY) tests/integration/runtime_workers_test.py
TESTS += test-bootstrap-workers
TSAN_SUITES += test-tsan-bootstrap-workers

.PHONY: test-tsan
test-tsan: export IRIS_KEEP_GOING = 1
test-tsan: $(TSAN_SUITES)
	@tests/lib/summary.sh $(BUILD)/test-results $(TSAN_SUITES:test-%=%)

# kafka-local: librdkafka's mock cluster as a broker on 127.0.0.1.
KAFKA_LOCAL_SRCS := tests/doubles/kafka_local.c tests/doubles/kafka_local_control.c
BINS += $(BUILD)/kafka-local
$(BUILD)/kafka-local: $(call obj,$(KAFKA_LOCAL_SRCS))
	$(CC) $(CFLAGS) -o $@ $^ $(call libs,rdkafka)
$(ASAN)/kafka-local: $(call asan_obj,$(KAFKA_LOCAL_SRCS))
	$(CC) $(CFLAGS_SAN) -o $@ $^ $(call libs,rdkafka)

# The Confluent Lambda sink connector stand-in.
CONNECTOR_SRCS := tests/doubles/sink_connector.c tests/doubles/connector_config.c \
                  tests/doubles/connector_batch.c tests/doubles/connector_convert.c \
                  tests/doubles/connector_invoke.c tests/doubles/connector_output.c \
                  tests/doubles/connector_task.c \
                  common/buf.c common/bigmem.c common/opts.c registry/client.c registry/decode.c
BINS += $(BUILD)/sink-connector
$(BUILD)/sink-connector: $(call obj,$(CONNECTOR_SRCS))
	$(CC) $(CFLAGS) $^ -o $@ $(call libs,rdkafka libcurl libcjson avro-c) -lm -pthread
$(ASAN)/sink-connector: $(call asan_obj,$(CONNECTOR_SRCS))
	$(CC) $(CFLAGS_SAN) $^ -o $@ $(call libs,rdkafka libcurl libcjson avro-c) -lm -pthread

# The local SNS itself, checked with botocore's own client and signer.
.PHONY: test-sns-local
test-sns-local:
	$(RUN_SUITE) sns-local $(PY) tests/integration/sns_local_selftest.py
TESTS += test-sns-local

# The docs' facts against the code and scripts that compute them
# (tests/integration/docs_test.py says which).
.PHONY: test-docs
test-docs: $(BUILD)/bootstrap
	$(RUN_SUITE) docs $(PY) tests/integration/docs_test.py
TESTS += test-docs

# make check-deps: the include and cleanup-label rules of ARCHITECTURE.md.
.PHONY: check-deps test-check-deps
check-deps:
	@scripts/check-deps.sh
test-check-deps:
	$(RUN_SUITE) check-deps scripts/check-deps.sh
TESTS += test-check-deps

# Fuzzers (libFuzzer, clang, ASan+UBSan; not part of make test).  A component
# declares one with FUZZERS += <name>, FUZZ_<name>_SRCS (the target in
# tests/fuzz/ and exactly the modules it exercises), FUZZ_<name>_LIBS and
# optionally FUZZ_<name>_MAX_LEN (default 4096), FUZZ_<name>_SEEDS (files
# copied in beside tests/fuzz/corpus/<name>/, when that folder exists),
# FUZZ_<name>_DEPS (prerequisites of the run) and FUZZ_<name>_SEED_CMD (a shell
# command that adds seeds to $(BUILD)/fuzz-corpus-<name>).
# make fuzz-<name> [FUZZ_SECONDS=60] runs one: the fuzzer reads and grows its
# working corpus $(BUILD)/fuzz-corpus-<name>/ and writes crashes to
# $(BUILD)/fuzz-artifacts/<name>/, never into the source tree (the committed
# seeds are read only).  make fuzz runs every fuzzer, FUZZ_SECONDS each, one
# after another.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
define fuzzer
FUZZ_$(1)_CORPUS = $$(wildcard tests/fuzz/corpus/$(call suite_name,$(1))/*) $$(FUZZ_$(1)_SEEDS)
$(BUILD)/fuzz_$(1): $$(FUZZ_$(1)_SRCS) tests/fuzz/fuzz_check.h \
                    $$(wildcard common/*.h runtime/*.h aws/*.h producer/*.h trainer/*.h model/*.h \
                                lambda/*.h lambda/batch/*.h)
	@mkdir -p $$(@D)
	clang $$(CPPFLAGS) $$(STD_FLAGS) $$(FUZZ_FLAGS) $$(FUZZ_$(1)_SRCS) -o $$@ $$(FUZZ_$(1)_LIBS)
.PHONY: fuzz-$(call suite_name,$(1))
fuzz-$(call suite_name,$(1)): $(BUILD)/fuzz_$(1) $$(FUZZ_$(1)_DEPS)
	@mkdir -p $(BUILD)/fuzz-corpus-$(1) $(BUILD)/fuzz-artifacts/$(call suite_name,$(1))
	@$$(if $$(strip $$(FUZZ_$(1)_CORPUS)),cp $$(FUZZ_$(1)_CORPUS) $(BUILD)/fuzz-corpus-$(1)/,:)
	@$$(or $$(FUZZ_$(1)_SEED_CMD),:)
	$(BUILD)/fuzz_$(1) -max_total_time=$$(FUZZ_SECONDS) -max_len=$$(or $$(FUZZ_$(1)_MAX_LEN),4096) \
	  -artifact_prefix=$(BUILD)/fuzz-artifacts/$(call suite_name,$(1))/ $(BUILD)/fuzz-corpus-$(1)
endef
$(foreach f,$(FUZZERS),$(eval $(call fuzzer,$(f))))

.PHONY: fuzz
fuzz:
	@for f in $(call suite_name,$(FUZZERS)); do \
	  $(MAKE) --no-print-directory fuzz-$$f || exit 1; done

# make list-suites: every suite make test runs, one per line.
.PHONY: list-suites
list-suites:
	@printf '%s\n' $(TESTS)
