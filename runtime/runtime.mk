# runtime/runtime.mk: the Lambda Runtime API client (any C handler can link it).
# Its integration suite (test-runtime) drives the real bootstrap, so it lives
# in lambda/lambda.mk.

RUNTIME_SRCS := runtime/runtime.c runtime/runtime_process.c runtime/runtime_response.c runtime/runtime_workers.c \
                runtime/runtime_headers.c runtime/runtime_http.c runtime/runtime_http_read.c runtime/runtime_text.c

UNIT_SRCS_runtime_headers := tests/unit/test_runtime_headers.c runtime/runtime_headers.c \
                             runtime/runtime_text.c common/buf.c common/bigmem.c
UNIT_LIBS_runtime_headers := -lm
UNIT_SRCS_runtime_text := tests/unit/test_runtime_text.c runtime/runtime_text.c common/buf.c common/bigmem.c
UNIT_LIBS_runtime_text := -lm
UNIT_SRCS_runtime_http := tests/unit/test_runtime_http.c runtime/runtime_http.c runtime/runtime_http_read.c common/bigmem.c
UNIT_LIBS_runtime_http :=
C_UNITS += runtime_headers runtime_text runtime_http

# Fuzzers (tests/tests.mk builds them; make fuzz-runtime-http and
# make fuzz-runtime-headers): the HTTP/1.1 response parser over a socket pair,
# and the Lambda-Runtime-* header validation with the text helpers.
FUZZERS += runtime_http runtime_headers
FUZZ_runtime_http_SRCS := tests/fuzz/fuzz_runtime_http.c runtime/runtime_http.c runtime/runtime_http_read.c common/bigmem.c
FUZZ_runtime_http_MAX_LEN := 80000
FUZZ_runtime_headers_SRCS := tests/fuzz/fuzz_runtime_headers.c runtime/runtime_headers.c \
                             runtime/runtime_text.c common/buf.c common/bigmem.c
FUZZ_runtime_headers_LIBS = $(call libs,libcjson) -lm

# The example handler of runtime/README.md, extracted from the file and built
# with the runtime alone (common/ and libcurl), then run under the emulator.
$(BUILD)/runtime_example.c: runtime/README.md
	@mkdir -p $(@D)
	sed -n '/^```c example$$/,/^```$$/{/^```/d;p}' $< > $@
$(ASAN)/runtime-example: $(BUILD)/runtime_example.c $(call asan_obj,$(RUNTIME_SRCS) $(COMMON_SRCS))
	$(CC) $(CPPFLAGS) $(CFLAGS_SAN) $^ -o $@ -lm
.PHONY: test-runtime-example
test-runtime-example: $(ASAN)/runtime-example
	RUNTIME_EXAMPLE=$< $(RUN_SUITE) runtime-example $(PY) tests/integration/runtime_example_test.py
TESTS += test-runtime-example

# make bench-startup: a fresh process's first invocation against a warm one
# on the largest answerable batch, and spawn to first response against a
# static no-op runtime (tests/bench/startup_bench.py).  The static package is
# what Lambda runs.
$(BUILD)/bench/noop_runtime: tests/bench/noop_runtime.c
	@mkdir -p $(@D)
	$(CC) $(STD_FLAGS) -D_GNU_SOURCE -O2 -static $< -o $@
.PHONY: bench-startup
bench-startup: $(BUILD)/package/bootstrap $(BUILD)/bench/noop_runtime
	$(PY) tests/bench/startup_bench.py --bootstrap $(BUILD)/package/bootstrap \
	  --noop $(BUILD)/bench/noop_runtime
BENCHES += bench-startup

# Many invocations at once (AWS_LAMBDA_MAX_CONCURRENCY): the runtime's workers
# with a small thread-safe handler (tests/integration/concurrent_handler.c)
# under the emulator's Managed Instances mode, under ASan+UBSan
# (test-runtime-workers) and ThreadSanitizer (test-tsan-runtime-workers).
CONCURRENT_HANDLER_SRCS := tests/integration/concurrent_handler.c $(RUNTIME_SRCS) $(COMMON_SRCS)
$(ASAN)/concurrent-handler: $(call asan_obj,$(CONCURRENT_HANDLER_SRCS))
	$(CC) $(CFLAGS_SAN) $^ -o $@ -lm
$(TSAN)/concurrent-handler: $(call tsan_obj,$(CONCURRENT_HANDLER_SRCS))
	$(CC) $(CFLAGS_TSAN) $^ -o $@ -lm
.PHONY: test-runtime-workers test-tsan-runtime-workers
test-runtime-workers: $(ASAN)/concurrent-handler
	WORKERS_HANDLER=$< $(RUN_SUITE) runtime-workers $(PY) tests/integration/runtime_workers_test.py
test-tsan-runtime-workers: $(TSAN)/concurrent-handler
	$(TSAN_ENV) WORKERS_HANDLER=$< WORKERS_STRESS=1 $(RUN_SUITE) tsan-runtime-workers \
	  $(PY) tests/integration/runtime_workers_test.py
TESTS += test-runtime-workers
TSAN_SUITES += test-tsan-runtime-workers
