# deploy/deploy.mk: the portable package, the SAM build target, the connector
# stand-in, `make demo`, and their tests and benchmark.
#
#   make package                      build/function.zip (static bootstrap + model)
#   make build-IrisScoringFunction ARTIFACTS_DIR=dir   what `sam build` runs
#   make demo                         the whole pipeline on local stand-ins
#
# The packaged bootstrap is linked from the same sources as build/bootstrap
# (BOOTSTRAP_SRCS, from lambda/lambda.mk) against static libcurl/cJSON/OpenSSL
# that deploy/static-deps.sh builds once into a cache outside the tree.

PKG := $(BUILD)/package
PKG_PREFIX_FILE := $(PKG)/static-prefix
# Read when a recipe runs, after $(PKG_PREFIX_FILE) is up to date.
STATIC_PREFIX = $(shell cat $(PKG_PREFIX_FILE) 2>/dev/null)
PKG_CPPFLAGS = -D_GNU_SOURCE -I. -I$(STATIC_PREFIX)/include
PKG_CFLAGS := $(STD_FLAGS) -O2 -ffunction-sections -fdata-sections
PKG_LIBS = -L$(STATIC_PREFIX)/lib -lcurl -lcjson -lssl -lcrypto -lm -pthread
pkg_obj = $(patsubst %.c,$(PKG)/obj/%.o,$(1))
MODEL_ARTIFACT := model/iris-model.json

.PHONY: package build-IrisScoringFunction deploy-always

# The cache prefix, rewritten only when it changes (new library versions), so
# the objects rebuild exactly then.  static-deps.sh returns at once when cached.
$(PKG_PREFIX_FILE): deploy/static-deps.sh deploy-always
	@mkdir -p $(@D)
	@p=$$(deploy/static-deps.sh) && [ -n "$$p" ] && \
	  { [ "$$(cat $@ 2>/dev/null)" = "$$p" ] || echo "$$p" > $@; }

$(PKG)/obj/%.o: %.c $(PKG_PREFIX_FILE)
	@mkdir -p $(@D)
	@echo "  CC  $@ (static deps)"
	@$(CC) $(PKG_CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

# One static, stripped ELF.  glibc's notes about getaddrinfo/dlopen in static
# programs are filtered (deploy/static-warnings.awk says why); the full linker
# output is shown if the link fails.
$(PKG)/bootstrap: $(call pkg_obj,$(BOOTSTRAP_SRCS)) deploy/static-warnings.awk
	@test -n "$(BOOTSTRAP_SRCS)" || { echo "deploy.mk: BOOTSTRAP_SRCS is empty (lambda/lambda.mk)" >&2; exit 1; }
	@$(CC) -static -Wl,--gc-sections -s -o $@ $(filter %.o,$^) $(PKG_LIBS) >$@.ld.log 2>&1 || \
	  { cat $@.ld.log >&2; rm -f $@.ld.log; exit 1; }
	@awk -f deploy/static-warnings.awk $@.ld.log >&2; rm -f $@.ld.log
	@echo "  LD  $@ (static, stripped, $$(stat -c %s $@) bytes)"

# Fixed modes and times (and TZ) so the same inputs give the same zip.
$(BUILD)/function.zip: $(PKG)/bootstrap $(MODEL_ARTIFACT)
	@rm -rf $(PKG)/root $@ && mkdir -p $(PKG)/root/model
	@install -m 755 $(PKG)/bootstrap $(PKG)/root/bootstrap
	@install -m 644 $(MODEL_ARTIFACT) $(PKG)/root/model/iris-model.json
	@TZ=UTC touch -d '2020-01-01 00:00:00' $(PKG)/root/bootstrap $(PKG)/root/model \
	  $(PKG)/root/model/iris-model.json
	@cd $(PKG)/root && TZ=UTC zip -X -9 -q $(abspath $@) bootstrap model/iris-model.json
	@echo "  ZIP $@ ($$(stat -c %s $@) bytes: bootstrap, model/iris-model.json)"

package: $(BUILD)/function.zip

# sam build (BuildMethod: makefile) runs this with ARTIFACTS_DIR set.
build-IrisScoringFunction: $(PKG)/bootstrap $(MODEL_ARTIFACT)
	@test -n "$(ARTIFACTS_DIR)" || \
	  { echo "build-IrisScoringFunction: ARTIFACTS_DIR is not set (sam build sets it)" >&2; exit 1; }
	mkdir -p "$(ARTIFACTS_DIR)/model"
	install -m 755 $(PKG)/bootstrap "$(ARTIFACTS_DIR)/bootstrap"
	install -m 644 $(MODEL_ARTIFACT) "$(ARTIFACTS_DIR)/model/iris-model.json"

.PHONY: test-template
test-template:
	$(RUN_SUITE) template $(PY) tests/integration/test_template.py

# The stand-in's contract (payload shape, retries, no commit past a failure),
# on the ASan+UBSan build.
.PHONY: test-connector
test-connector: $(ASAN)/sink-connector $(BUILD)/kafka-local
	CONNECTOR=$(ASAN)/sink-connector $(RUN_SUITE) connector $(PY) tests/integration/connector_retry_test.py

TESTS += test-connector

TESTS += test-template

# The zip in an otherwise empty chroot against the Runtime API emulator.
.PHONY: test-package
test-package: $(BUILD)/function.zip
	$(RUN_SUITE) package $(PY) tests/integration/package_chroot_test.py

TESTS += test-package

# make demo: the whole pipeline on local stand-ins (deploy/demo.py --help for
# options, e.g. make demo DEMO_ARGS="--records 5000 --bootstrap build/package/bootstrap").
DEMO_BINS := $(BUILD)/bootstrap $(BUILD)/kafka-local $(BUILD)/producer $(BUILD)/sink-connector
.PHONY: demo test-demo
demo: $(DEMO_BINS)
	@$(PY) deploy/demo.py $(DEMO_ARGS)

test-demo: $(DEMO_BINS)
	$(RUN_SUITE) demo $(PY) tests/integration/demo_test.py

TESTS += test-demo

# make bench (deploy part): cold start of the packaged bootstrap beside
# build/bootstrap and a static connect-and-GET probe (the measurement's floor),
# and the zip's size.
$(BUILD)/package-probe: tests/bench/package_probe.c
	$(CC) $(CPPFLAGS) $(STD_FLAGS) -O2 -static -o $@ $<

.PHONY: bench-deploy
bench-deploy: $(BUILD)/function.zip $(BUILD)/bootstrap $(BUILD)/package-probe
	$(PY) tests/bench/package_bench.py

BENCHES += bench-deploy
