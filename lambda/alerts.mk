# lambda/alerts.mk: SNS alerts (alert policy, SigV4 signer, SNS client and the
# notifier the handler calls), their tests and the alert benchmark.
#
# ALERT_SRCS is linked into build/bootstrap by lambda/lambda.mk.

ALERT_SRCS := lambda/sns.c lambda/sigv4.c lambda/alert.c lambda/notify.c
ALERT_LIBS = $(call libs,libcurl libcrypto libcjson) -lm
# The alert message uses the evaluation's JSON writer (lambda/evaluate.c), which
# brings the batch and the scorer along.
ALERT_BASE := lambda/buf.c lambda/log.c lambda/evaluate.c lambda/batch.c lambda/batch_fast.c \
              lambda/jscan.c $(MODEL_SCORER_SRCS)

# The AWS SigV4 suite (relative to the repo; override for another checkout).
SIGV4_SUITE_DIR ?= ../shared/testdata/sigv4

# Unit tests (cmocka, ASan+UBSan), each linked with only what it exercises.
ALERT_UNITS := sigv4 sns alert
$(ASAN)/test_sigv4: $(call asan_obj,tests/test_sigv4.c lambda/sigv4.c lambda/buf.c)
$(ASAN)/test_sns: $(call asan_obj,tests/test_sns.c lambda/sns.c lambda/sigv4.c $(ALERT_BASE))
$(ASAN)/test_alert: $(call asan_obj,tests/test_alert.c lambda/alert.c $(ALERT_BASE))
$(addprefix $(ASAN)/test_,$(ALERT_UNITS)):
	$(CC) $(CFLAGS_SAN) $^ -o $@ $(ALERT_LIBS) $(call libs,libcjson cmocka)

.PHONY: $(addprefix test-,$(ALERT_UNITS))
test-sigv4: $(ASAN)/test_sigv4
	SIGV4_SUITE_DIR=$(SIGV4_SUITE_DIR) tests/run-suite.sh sigv4 $<
$(addprefix test-,$(filter-out sigv4,$(ALERT_UNITS))): test-%: $(ASAN)/test_%
	tests/run-suite.sh $* $<

TESTS += $(addprefix test-,$(ALERT_UNITS))

# The C client driven over real HTTP against the local SNS (tests/sns_local.py).
$(ASAN)/sns_driver: $(call asan_obj,tests/sns_driver.c $(ALERT_SRCS) $(ALERT_BASE))
	$(CC) $(CFLAGS_SAN) $^ -o $@ $(ALERT_LIBS)

.PHONY: test-sns-integration
test-sns-integration: $(ASAN)/sns_driver
	SNS_DRIVER=$(ASAN)/sns_driver tests/run-suite.sh sns-integration $(PY) tests/sns_integration.py

TESTS += test-sns-integration

# The local SNS itself, checked with botocore's own client and signer.
.PHONY: test-sns-local
test-sns-local:
	tests/run-suite.sh sns-local $(PY) tests/sns_local_selftest.py

TESTS += test-sns-local

# End to end: build/asan/bootstrap under the Runtime API emulator, alerts to the local SNS.
.PHONY: test-sns-e2e
test-sns-e2e: $(ASAN)/bootstrap
	BOOTSTRAP=$(ASAN)/bootstrap tests/run-suite.sh sns-e2e $(PY) tests/sns_e2e.py

TESTS += test-sns-e2e

# Benchmark: build+sign one Publish, and the alert path's added latency.
$(BUILD)/sns_bench: $(call obj,tests/sns_bench.c $(ALERT_SRCS) $(ALERT_BASE))
	$(CC) $(CFLAGS) $^ -o $@ $(ALERT_LIBS)

.PHONY: bench-alerts
$(BUILD)/sns_driver: $(call obj,tests/sns_driver.c $(ALERT_SRCS) $(ALERT_BASE))
	$(CC) $(CFLAGS) $^ -o $@ $(ALERT_LIBS)

bench-alerts: $(BUILD)/sns_bench $(BUILD)/sns_driver $(BUILD)/bootstrap
	$(PY) tests/sns_bench.py --bench $(BUILD)/sns_bench --driver $(BUILD)/sns_driver \
	  --bootstrap $(BUILD)/bootstrap

BENCHES += bench-alerts
