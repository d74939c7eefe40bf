# lambda/lambda.mk: the bootstrap (Lambda custom runtime) and its tests.
# Included after model/model.mk and lambda/alerts.mk, which define
# MODEL_SCORER_SRCS and ALERT_SRCS.

LAMBDA_CORE_SRCS := lambda/buf.c lambda/log.c lambda/runtime.c lambda/jscan.c lambda/batch.c \
                    lambda/batch_fast.c lambda/evaluate.c lambda/response.c lambda/handler.c
# Every source of build/bootstrap (the packaging reuses this list).
BOOTSTRAP_SRCS := $(LAMBDA_CORE_SRCS) lambda/main.c $(MODEL_SCORER_SRCS) $(ALERT_SRCS)
LAMBDA_LIBS = $(call libs,libcurl libcjson libcrypto) -lm
# What unit tests link: everything but main().
LAMBDA_TEST_SRCS := $(LAMBDA_CORE_SRCS) $(MODEL_SCORER_SRCS) $(ALERT_SRCS)

BINS += $(BUILD)/bootstrap

$(BUILD)/bootstrap: $(call obj,$(BOOTSTRAP_SRCS))
	$(CC) $(CFLAGS) $^ -o $@ $(LAMBDA_LIBS)

$(ASAN)/bootstrap: $(call asan_obj,$(BOOTSTRAP_SRCS))
	$(CC) $(CFLAGS_SAN) $^ -o $@ $(LAMBDA_LIBS)

# Unit tests: tests/test_<name>.c linked with the bootstrap's modules.
LAMBDA_UNITS := buf batch evaluate handler
$(foreach u,$(LAMBDA_UNITS),$(eval $(ASAN)/test_$(u): $(call asan_obj,tests/test_$(u).c $(LAMBDA_TEST_SRCS))))
$(addprefix $(ASAN)/test_,$(LAMBDA_UNITS)):
	$(CC) $(CFLAGS_SAN) $^ -o $@ $(LAMBDA_LIBS) $(call libs,cmocka)

.PHONY: $(addprefix test-,$(LAMBDA_UNITS)) test-runtime test-events
$(addprefix test-,$(LAMBDA_UNITS)): test-%: $(ASAN)/test_%
	tests/run-suite.sh $* $<

# Integration: the real (sanitised) bootstrap against the Runtime API emulator.
test-runtime: $(ASAN)/bootstrap
	BOOTSTRAP=$(ASAN)/bootstrap tests/run-suite.sh runtime $(PY) tests/rapi_test.py

TESTS += $(addprefix test-,$(LAMBDA_UNITS)) test-runtime

# make invoke EVENT=events/<file>.json: one invocation through the emulator.
EVENT ?= events/batch-correct.json
.PHONY: invoke
invoke: $(BUILD)/bootstrap
	@$(PY) tests/rapi_emulator.py --port 0 --event $(EVENT) -- $(BUILD)/bootstrap

# Benchmark: cold start, warm handler throughput, peak RSS vs a Python runtime.
$(BUILD)/bench_handler: $(call obj,tests/bench_handler.c $(LAMBDA_TEST_SRCS))
	$(CC) $(CFLAGS) $^ -o $@ $(LAMBDA_LIBS)

.PHONY: bench-lambda
bench-lambda: $(BUILD)/bootstrap $(BUILD)/bench_handler $(BUILD)/package/bootstrap
	$(PY) tests/bench_lambda.py --bootstrap $(BUILD)/bootstrap --bench-handler $(BUILD)/bench_handler \
	  --static $(BUILD)/package/bootstrap

BENCHES += bench-lambda

# make test-memory: the lambda unit tests, built without sanitizers, under
# valgrind (definite leaks and invalid accesses fail the run).
$(foreach u,$(LAMBDA_UNITS),$(eval $(BUILD)/tests/test_$(u): $(call obj,tests/test_$(u).c $(LAMBDA_TEST_SRCS))))
$(addprefix $(BUILD)/tests/test_,$(LAMBDA_UNITS)):
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $^ -o $@ $(LAMBDA_LIBS) $(call libs,cmocka)

.PHONY: test-memory
test-memory: $(addprefix $(BUILD)/tests/test_,$(LAMBDA_UNITS))
	@for t in $^; do \
	  tests/run-suite.sh memory-$$(basename $$t) valgrind -q --error-exitcode=99 \
	    --leak-check=full --errors-for-leak-kinds=definite $$t || exit 1; \
	done

# make fuzz-batch [FUZZ_SECONDS=60]: libFuzzer (clang) on the batch parser,
# checking the fast path against the cJSON reference on every input; seeded
# with events/.  Not part of make test.
FUZZ_SECONDS ?= 60
FUZZ_SRCS := tests/fuzz_batch.c lambda/buf.c lambda/jscan.c lambda/batch.c lambda/batch_fast.c
$(BUILD)/fuzz_batch: $(FUZZ_SRCS) $(wildcard lambda/*.h)
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(STD_FLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=all $(FUZZ_SRCS) -o $@ $(call libs,libcjson) -lm

# make fuzz-response: the response, streamed response and summary documents
# are valid JSON (one element per record) for every event that parses.
FUZZ_RESPONSE_SRCS := tests/fuzz_response.c lambda/buf.c lambda/jscan.c lambda/batch.c \
                      lambda/batch_fast.c lambda/evaluate.c lambda/response.c $(MODEL_SCORER_SRCS)
$(BUILD)/fuzz_response: $(FUZZ_RESPONSE_SRCS) $(wildcard lambda/*.h model/*.h)
	@mkdir -p $(@D)
	clang $(CPPFLAGS) $(STD_FLAGS) -g -O1 -fsanitize=fuzzer,address,undefined \
	  -fno-sanitize-recover=all $(FUZZ_RESPONSE_SRCS) -o $@ $(call libs,libcjson) -lm

.PHONY: fuzz-batch fuzz-response
fuzz-batch fuzz-response: fuzz-%: $(BUILD)/fuzz_%
	@mkdir -p $(BUILD)/fuzz-corpus-$* && cp events/*.json $(BUILD)/fuzz-corpus-$*/
	$(BUILD)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) -max_len=4096 $(BUILD)/fuzz-corpus-$*
