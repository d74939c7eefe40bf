# lambda/lambda.mk: the function: build/bootstrap (batch -> score -> evaluate
# -> alert), its unit and integration tests, fuzzers and benchmarks.
# Included after common/, runtime/, aws/ and model/, which define their *_SRCS.

BATCH_SRCS := lambda/batch/jscan.c lambda/batch/batch.c lambda/batch/batch_fast.c \
              lambda/batch/batch_cjson.c lambda/batch/record.c \
              lambda/batch/batch_key.c lambda/batch/base64.c \
              lambda/batch/batch_event.c lambda/batch/topics.c \
              lambda/batch/javamap.c lambda/batch/layout.c
FUNCTION_SRCS := $(BATCH_SRCS) lambda/evaluate.c lambda/response.c lambda/alert.c \
                 lambda/alert_episode.c lambda/alert_text.c lambda/monitor.c lambda/notify.c lambda/sequencer.c \
                 lambda/fleet.c lambda/fleet_ddb.c lambda/handler.c
# Every source of build/bootstrap (the packaging reuses this list).
BOOTSTRAP_SRCS := $(COMMON_SRCS) $(RUNTIME_SRCS) $(AWS_SRCS) $(MODEL_SCORER_SRCS) \
                  $(FUNCTION_SRCS) lambda/main.c
LAMBDA_LIBS = $(call libs,libcurl libcjson libcrypto) -lm -pthread
# What the handler's tests and benchmarks link: everything but main().
HANDLER_SRCS := $(filter-out lambda/main.c,$(BOOTSTRAP_SRCS))

BINS += $(BUILD)/bootstrap

$(BUILD)/bootstrap: $(call obj,$(BOOTSTRAP_SRCS))
	$(CC) $(CFLAGS) $^ -o $@ $(LAMBDA_LIBS)

$(ASAN)/bootstrap: $(call asan_obj,$(BOOTSTRAP_SRCS))
	$(CC) $(CFLAGS_SAN) $^ -o $@ $(LAMBDA_LIBS)

# Unit tests: tests/unit/test_<name>.c, each linked with the modules it tests
# and what those need.
UNIT_SRCS_batch := tests/unit/test_batch.c tests/lib/testfile.c $(BATCH_SRCS) common/buf.c common/bigmem.c \
                    $(MODEL_SCORER_SRCS)
UNIT_SRCS_evaluate := tests/unit/test_evaluate.c lambda/evaluate.c \
                       $(BATCH_SRCS) common/buf.c common/bigmem.c $(MODEL_SCORER_SRCS)
UNIT_SRCS_alert := tests/unit/test_alert.c lambda/alert.c lambda/alert_episode.c lambda/alert_text.c lambda/monitor.c \
                    lambda/evaluate.c \
                    $(BATCH_SRCS) common/buf.c common/bigmem.c $(MODEL_SCORER_SRCS)
UNIT_SRCS_handler := tests/unit/test_handler.c $(HANDLER_SRCS)
UNIT_SRCS_batch_limits := tests/unit/test_batch_limits.c $(BATCH_SRCS) common/buf.c common/bigmem.c \
                           lambda/evaluate.c lambda/response.c $(MODEL_SCORER_SRCS)
UNIT_LIBS_batch_limits = $(call libs,libcjson) -lm
UNIT_SRCS_monitor := tests/unit/test_monitor.c lambda/monitor.c lambda/alert.c \
                      lambda/alert_episode.c lambda/alert_text.c lambda/evaluate.c $(BATCH_SRCS) common/buf.c common/bigmem.c \
                      $(MODEL_SCORER_SRCS)
C_UNITS += batch evaluate alert handler batch_limits monitor
# handler_invoke from 8 threads at once (Managed Instances): one monitor, one
# alert per episode in order, every answer its own; also under make test-tsan.
UNIT_SRCS_handler_concurrent := tests/unit/test_handler_concurrent.c $(HANDLER_SRCS)
UNIT_LIBS_handler_concurrent = $(LAMBDA_LIBS)
C_UNITS += handler_concurrent
TSAN_UNITS += handler_concurrent
TSAN_SRCS_handler_concurrent := $(UNIT_SRCS_handler_concurrent)
TSAN_LIBS_handler_concurrent = $(LAMBDA_LIBS)
# batch_parse_releasing() reads nothing it has released.
UNIT_SRCS_batch_release := tests/unit/test_batch_release.c $(BATCH_SRCS) common/buf.c common/bigmem.c \
                           $(MODEL_SCORER_SRCS)
UNIT_LIBS_batch_release = $(call libs,libcjson) -lm
C_UNITS += batch_release
UNIT_LIBS_batch = $(call libs,libcjson) -lm
UNIT_LIBS_evaluate = $(call libs,libcjson) -lm
UNIT_LIBS_alert = $(call libs,libcjson) -lm
UNIT_LIBS_handler = $(LAMBDA_LIBS)
UNIT_LIBS_monitor = $(call libs,libcjson) -lm

# Integration: the real (sanitised) bootstrap against the Runtime API emulator.
.PHONY: test-runtime test-sns-integration test-sns-e2e
test-runtime: $(ASAN)/bootstrap
	BOOTSTRAP=$(ASAN)/bootstrap $(RUN_SUITE) runtime $(PY) tests/integration/rapi_test.py

# The notifier (alert policy + SNS client) driven over real HTTP against the
# local SNS (tests/doubles/sns_local.py).
$(ASAN)/sns_driver: $(call asan_obj,tests/integration/sns_driver.c tests/lib/testfile.c $(HANDLER_SRCS))
	$(CC) $(CFLAGS_SAN) $^ -o $@ $(LAMBDA_LIBS)

test-sns-integration: $(ASAN)/sns_driver
	SNS_DRIVER=$(ASAN)/sns_driver $(RUN_SUITE) sns-integration $(PY) tests/integration/sns_integration.py

# End to end: build/asan/bootstrap under the Runtime API emulator, alerts to the local SNS.
test-sns-e2e: $(ASAN)/bootstrap
	BOOTSTRAP=$(ASAN)/bootstrap $(RUN_SUITE) sns-e2e $(PY) tests/integration/sns_e2e.py

TESTS += test-runtime test-sns-integration test-sns-e2e

# Hostile 6 MB events of every pathological shape against the release
# bootstrap: each answered, in at most 3x the CPU time of an ordinary 6 MB
# batch measured in the same run, under 64 MB peak RSS.
.PHONY: test-limits
test-limits: $(BUILD)/bootstrap
	$(RUN_SUITE) limits $(PY) tests/integration/limits_test.py $(BUILD)/bootstrap
TESTS += test-limits

# make invoke EVENT=events/<file>.json: one invocation through the emulator.
EVENT ?= events/batch-correct.json
.PHONY: invoke
invoke: $(BUILD)/bootstrap
	@$(PY) tests/doubles/rapi_emulator.py --port 0 --event $(EVENT) -- $(BUILD)/bootstrap

# make batch-size [KEY=none|species|uuid]: the largest aws.lambda.batch.size
# the bootstrap answers within Lambda's synchronous payload limits, per value form.
KEY ?= none
.PHONY: batch-size
batch-size: $(BUILD)/bootstrap
	$(PY) scripts/batch_limits.py --bootstrap $(BUILD)/bootstrap --key $(KEY)

# Benchmark: cold start, warm handler throughput, peak RSS vs a Python runtime.
$(BUILD)/bench_handler: $(call obj,tests/bench/bench_handler.c tests/lib/testfile.c $(HANDLER_SRCS))
	$(CC) $(CFLAGS) $^ -o $@ $(LAMBDA_LIBS)

# The parse-only reference: simdjson On-Demand on the same bytes (C++, for
# the benchmark only; the bootstrap never links it).
$(BUILD)/simdjson_baseline: tests/bench/simdjson_baseline.cpp
	$(CXX) -std=c++17 -O2 -Wall -Wextra -Werror $(shell pkg-config --cflags simdjson) $< -o $@ \
	  $(call libs,simdjson)

# The billed duration's Runtime API: serves an event over loopback TCP and
# reads the response as fast as the kernel hands it over.
$(BUILD)/bench/rapi_stub: tests/bench/rapi_stub.c
	@mkdir -p $(@D)
	$(CC) $(STD_FLAGS) -D_GNU_SOURCE -O2 $< -o $@

.PHONY: bench-lambda bench-alerts
bench-lambda: $(BUILD)/bootstrap $(BUILD)/bench_handler $(BUILD)/package/bootstrap \
              $(BUILD)/simdjson_baseline $(BUILD)/bench/rapi_stub
	$(PY) tests/bench/bench_lambda.py --bootstrap $(BUILD)/bootstrap --bench-handler $(BUILD)/bench_handler \
	  --static $(BUILD)/package/bootstrap --simdjson $(BUILD)/simdjson_baseline \
	  --stub $(BUILD)/bench/rapi_stub $(BENCH_LAMBDA_ARGS)

# Benchmark: build+sign one Publish, and the alert path's added latency.
$(BUILD)/sns_bench: $(call obj,tests/bench/sns_bench.c $(HANDLER_SRCS))
	$(CC) $(CFLAGS) $^ -o $@ $(LAMBDA_LIBS)
$(BUILD)/sns_driver: $(call obj,tests/integration/sns_driver.c tests/lib/testfile.c $(HANDLER_SRCS))
	$(CC) $(CFLAGS) $^ -o $@ $(LAMBDA_LIBS)

bench-alerts: $(BUILD)/sns_bench $(BUILD)/sns_driver $(BUILD)/bootstrap
	$(PY) tests/bench/sns_bench.py --bench $(BUILD)/sns_bench --driver $(BUILD)/sns_driver \
	  --bootstrap $(BUILD)/bootstrap

BENCHES += bench-lambda bench-alerts

# make bench-concurrency: one bootstrap with N = 1, 2, 4, 8 workers
# (AWS_LAMBDA_MAX_CONCURRENCY) on the largest answerable batch: throughput
# against one worker, invoke latency, idle and peak RSS.
$(BUILD)/concurrency_load: tests/bench/concurrency_load.c
	$(CC) $(CPPFLAGS) $(CFLAGS) $< -o $@ -pthread
.PHONY: bench-concurrency
bench-concurrency: $(BUILD)/bootstrap $(BUILD)/concurrency_load $(BUILD)/bench_handler
	$(PY) tests/bench/concurrency_bench.py --bootstrap $(BUILD)/bootstrap --load $(BUILD)/concurrency_load \
	    --bench-handler $(BUILD)/bench_handler
BENCHES += bench-concurrency

# make fuzz-batch: libFuzzer (clang) on the batch parser, checking the fast
# path against the cJSON reference on every input, and that the answer is
# valid UTF-8 JSON with one element per record, in order.  make fuzz-response:
# the response, streamed response and summary documents are valid JSON (one
# element per record) for every event that parses.  Both start from the
# committed corpus tests/fuzz/corpus/batch/ and the sample events.  Not part
# of make test (tests/tests.mk declares the rules).
EVENT_SAMPLES := $(wildcard events/*.json)
FUZZERS += batch response
FUZZ_batch_SRCS := tests/fuzz/fuzz_batch.c common/buf.c common/bigmem.c $(BATCH_SRCS) lambda/evaluate.c \
                   lambda/response.c $(MODEL_SCORER_SRCS)
FUZZ_batch_LIBS = $(call libs,libcjson) -lm
FUZZ_batch_SEEDS := $(EVENT_SAMPLES)
FUZZ_response_SRCS := $(FUZZ_batch_SRCS:tests/fuzz/fuzz_batch.c=tests/fuzz/fuzz_response.c)
FUZZ_response_LIBS = $(FUZZ_batch_LIBS)
FUZZ_response_SEEDS := $(EVENT_SAMPLES) $(wildcard tests/fuzz/corpus/batch/*)

# make bench-monitor: the sequential alert policy (template defaults) beside
# the old per-batch threshold on the same simulated streams: false alerts per
# million clean records and detection delays, batches of 1, 20 and 500.
MONITOR_SIM_SRCS := tests/lib/monitor_sim.c lambda/monitor.c lambda/alert.c \
                    lambda/alert_episode.c lambda/alert_text.c lambda/evaluate.c $(BATCH_SRCS) common/buf.c common/bigmem.c \
                    $(MODEL_SCORER_SRCS)
$(BUILD)/monitor_bench: $(call obj,tests/bench/monitor_bench.c $(MONITOR_SIM_SRCS))
	$(CC) $(CFLAGS) $^ -o $@ $(call libs,libcjson) -lm
.PHONY: bench-monitor
bench-monitor: $(BUILD)/monitor_bench
	$(BUILD)/monitor_bench model/iris-model.json model/iris.csv $(MONITOR_BENCH_ARGS)
BENCHES += bench-monitor
# The policy's goals on the same simulated streams (fixed seeds; no timing).
UNIT_SRCS_monitor_sim := tests/unit/test_monitor_sim.c $(MONITOR_SIM_SRCS)
UNIT_LIBS_monitor_sim = $(call libs,libcjson) -lm
C_UNITS += monitor_sim

# The sequential policy end to end: build/asan/bootstrap, the emulator, the local SNS.
.PHONY: test-monitor-e2e
test-monitor-e2e: $(ASAN)/bootstrap
	BOOTSTRAP=$(ASAN)/bootstrap $(RUN_SUITE) monitor-e2e $(PY) tests/integration/monitor_e2e.py
TESTS += test-monitor-e2e
# Error elements keep the metadata that was read; a deeply nested record
# costs only itself (both parse paths, the exact response element).
UNIT_SRCS_batch_errors := tests/unit/test_batch_errors.c $(BATCH_SRCS) common/buf.c common/bigmem.c \
                          lambda/response.c $(MODEL_SCORER_SRCS)
UNIT_LIBS_batch_errors = $(call libs,libcjson) -lm
C_UNITS += batch_errors

# Shared episodes across environments (lambda/fleet.h): k simulated
# environments on one in-memory store, the streams of make bench-monitor.
UNIT_SRCS_fleet_state := tests/unit/test_fleet_state.c lambda/fleet.c tests/lib/fleet_memstore.c \
                   $(MONITOR_SIM_SRCS) common/log.c
UNIT_LIBS_fleet_state = $(call libs,libcjson) -lm -pthread
C_UNITS += fleet_state
# The fleet state under Managed Instances' worker threads (ASan, and TSan in make test-tsan).
UNIT_SRCS_fleet_threads := tests/unit/test_fleet_threads.c lambda/fleet.c \
                           tests/lib/fleet_memstore.c $(MONITOR_SIM_SRCS) common/log.c
UNIT_LIBS_fleet_threads = $(call libs,libcjson) -lm -pthread
C_UNITS += fleet_threads
TSAN_SRCS_fleet_threads = $(UNIT_SRCS_fleet_threads)
TSAN_LIBS_fleet_threads = $(UNIT_LIBS_fleet_threads)
TSAN_UNITS += fleet_threads

# Shared alert state end to end: three build/asan/bootstrap environments of
# one function on dynalite (tests/node), alerts to the local SNS.
.PHONY: test-fleet-dynamodb
test-fleet-dynamodb: $(ASAN)/bootstrap
	BOOTSTRAP=$(ASAN)/bootstrap $(RUN_SUITE) fleet-dynamodb $(PY) tests/integration/fleet_dynamodb_test.py
TESTS += test-fleet-dynamodb

# The batch parser and the response writer from 8 threads at once, each
# answer byte for byte the single-threaded one.
UNIT_SRCS_batch_threads := tests/unit/test_batch_threads.c tests/lib/testfile.c $(BATCH_SRCS) common/buf.c common/bigmem.c \
                           lambda/evaluate.c lambda/response.c $(MODEL_SCORER_SRCS)
UNIT_LIBS_batch_threads = $(call libs,libcjson) -lm -lpthread
C_UNITS += batch_threads
TSAN_SRCS_batch_threads = $(UNIT_SRCS_batch_threads)
TSAN_LIBS_batch_threads = $(UNIT_LIBS_batch_threads)
TSAN_UNITS += batch_threads
