# deploy/deploy.mk: the portable package, the SAM build target, the connector
# stand-in, `make demo`, and their tests and benchmark.
#
#   make package [ARCH=arm64]         build/function.zip, build/arm64/function.zip
#                                     (static bootstrap + model)
#   make build-IrisScoringFunction ARTIFACTS_DIR=dir   what `sam build` runs
#   make demo                         the whole pipeline on local stand-ins
#
# The packaged bootstrap is linked from the same sources as build/bootstrap
# (BOOTSTRAP_SRCS, from lambda/lambda.mk) against static libcurl/cJSON/OpenSSL
# that deploy/static-deps.sh builds once into a cache outside the tree.

# ARCH selects the Lambda architecture of `make package`: x86_64 (default) or
# arm64 (Graviton, cross-compiled with Debian's aarch64-linux-gnu-gcc).  Each
# architecture has its own objects, static libraries and zip:
#   x86_64: build/package/, build/function.zip
#   arm64:  build/arm64/package/, build/arm64/function.zip
PKG_ARCHES := x86_64 arm64
ARCH ?= x86_64
PKG_CC_x86_64 := $(CC)
PKG_CC_arm64 := aarch64-linux-gnu-gcc
PKG_DIR_x86_64 := $(BUILD)/package
PKG_DIR_arm64 := $(BUILD)/arm64/package
PKG_ZIP_x86_64 := $(BUILD)/function.zip
PKG_ZIP_arm64 := $(BUILD)/arm64/function.zip
PKG := $(PKG_DIR_x86_64)
PKG_CFLAGS := $(STD_FLAGS) -O2 -ffunction-sections -fdata-sections
MODEL_ARTIFACT := model/iris-model.json

.PHONY: package deploy-always

# pkg_rules(arch): the static bootstrap and the zip of one architecture.
define pkg_rules
# The cache prefix, rewritten only when it changes (new library versions), so
# the objects rebuild exactly then.  static-deps.sh returns at once when cached.
$(PKG_DIR_$(1))/static-prefix: deploy/static-deps.sh deploy-always
	@mkdir -p $$(@D)
	@p=$$$$(ARCH=$(1) deploy/static-deps.sh) && [ -n "$$$$p" ] && \
	  { [ "$$$$(cat $$@ 2>/dev/null)" = "$$$$p" ] || echo "$$$$p" > $$@; }

$(PKG_DIR_$(1))/obj/%.o: %.c $(PKG_DIR_$(1))/static-prefix
	@mkdir -p $$(@D)
	@echo "  CC  $$@ (static deps, $(1))"
	@$(PKG_CC_$(1)) -D_GNU_SOURCE -I. -I$$$$(cat $(PKG_DIR_$(1))/static-prefix)/include \
	  $(PKG_CFLAGS) -MMD -MP -c $$< -o $$@

# One static, stripped ELF.  glibc's notes about getaddrinfo/dlopen in static
# programs are filtered (deploy/static-warnings.awk says why); the full linker
# output is shown if the link fails.
$(PKG_DIR_$(1))/bootstrap: $(patsubst %.c,$(PKG_DIR_$(1))/obj/%.o,$(BOOTSTRAP_SRCS)) \
                           deploy/static-warnings.awk
	@test -n "$(BOOTSTRAP_SRCS)" || { echo "deploy.mk: BOOTSTRAP_SRCS is empty (lambda/lambda.mk)" >&2; exit 1; }
	@$(PKG_CC_$(1)) -static -Wl,--gc-sections -s -o $$@ $$(filter %.o,$$^) \
	  -L$$$$(cat $(PKG_DIR_$(1))/static-prefix)/lib -lcurl -lcjson -lssl -lcrypto -lm -pthread \
	  >$$@.ld.log 2>&1 || { cat $$@.ld.log >&2; rm -f $$@.ld.log; exit 1; }
	@awk -f deploy/static-warnings.awk $$@.ld.log >&2; rm -f $$@.ld.log
	@echo "  LD  $$@ (static, stripped, $(1), $$$$(stat -c %s $$@) bytes)"

# Fixed modes and times (and TZ) so the same inputs give the same zip.
$(PKG_ZIP_$(1)): $(PKG_DIR_$(1))/bootstrap $(MODEL_ARTIFACT)
	@rm -rf $(PKG_DIR_$(1))/root $$@ && mkdir -p $(PKG_DIR_$(1))/root/model $$(@D)
	@install -m 755 $(PKG_DIR_$(1))/bootstrap $(PKG_DIR_$(1))/root/bootstrap
	@install -m 644 $(MODEL_ARTIFACT) $(PKG_DIR_$(1))/root/model/iris-model.json
	@TZ=UTC touch -d '2020-01-01 00:00:00' $(PKG_DIR_$(1))/root/bootstrap \
	  $(PKG_DIR_$(1))/root/model $(PKG_DIR_$(1))/root/model/iris-model.json
	@cd $(PKG_DIR_$(1))/root && TZ=UTC zip -X -9 -q $$(abspath $$@) bootstrap model/iris-model.json
	@echo "  ZIP $$@ ($$$$(stat -c %s $$@) bytes: bootstrap ($(1)), model/iris-model.json)"
endef
$(foreach a,$(PKG_ARCHES),$(eval $(call pkg_rules,$(a))))

ifneq ($(filter package sam-artifacts,$(MAKECMDGOALS)),)
ifeq ($(filter $(ARCH),$(PKG_ARCHES)),)
$(error ARCH=$(ARCH): expected x86_64 or arm64)
endif
endif

package: $(PKG_ZIP_$(ARCH))

# sam build (BuildMethod: makefile) runs this with ARTIFACTS_DIR set and
# nothing else: SAM does not tell a makefile build the function's
# architecture (aws-lambda-builders' custom_make action passes only
# ARTIFACTS_DIR; aws/aws-sam-cli#3349).  deploy/sam_arch.py takes it from ARCH
# (environment or command line), else samconfig.toml's parameter_overrides,
# else the template's default (deploy/README.md, "Graviton").
# SAM_CONFIG: the samconfig file to read (sam build --config-file FILE: pass
# SAM_CONFIG=FILE in the environment too).
ARCH_GIVEN := $(if $(filter environment command line,$(origin ARCH)),$(ARCH))
# The template's two shapes of the function (classic, Managed Instances) are
# the same artifact: sam build runs build-<logical id> for each.
SAM_CONFIG ?= samconfig.toml
.PHONY: build-IrisScoringFunction build-IrisScoringManagedFunction
build-IrisScoringFunction build-IrisScoringManagedFunction:
	@test -n "$(ARTIFACTS_DIR)" || \
	  { echo "$@: ARTIFACTS_DIR is not set (sam build sets it)" >&2; exit 1; }
	@arch=$$($(PY) deploy/sam_arch.py --arch "$(ARCH_GIVEN)" --samconfig "$(SAM_CONFIG)") && \
	  $(MAKE) --no-print-directory sam-artifacts ARCH=$$arch

.PHONY: sam-artifacts
sam-artifacts: $(PKG_DIR_$(ARCH))/bootstrap $(MODEL_ARTIFACT)
	mkdir -p "$(ARTIFACTS_DIR)/model"
	install -m 755 $(PKG_DIR_$(ARCH))/bootstrap "$(ARTIFACTS_DIR)/bootstrap"
	install -m 644 $(MODEL_ARTIFACT) "$(ARTIFACTS_DIR)/model/iris-model.json"

# The suite runs make build-IrisScoringFunction for both architectures; with
# both bootstraps built first, those inner makes only copy (no race with
# test-package under -j2).
.PHONY: test-template
test-template: $(PKG_DIR_x86_64)/bootstrap $(PKG_DIR_arm64)/bootstrap
	$(RUN_SUITE) template $(PY) tests/integration/test_template.py

# The stand-in behaves like the connector (value forms of each
# input.data.format x record.converter.class, behavior.on.error, result, error
# and dead letter topics, no retries, at-least-once), on the ASan+UBSan build.
.PHONY: test-connector
test-connector: $(ASAN)/sink-connector $(BUILD)/kafka-local
	CONNECTOR=$(ASAN)/sink-connector $(RUN_SUITE) connector $(PY) tests/integration/connector_test.py

TESTS += test-connector

# A 6-partition topic through the stand-in with tasks.max=3 into the real
# bootstrap as Lambda runs it: three classic sandboxes behind one endpoint,
# and one Managed Instances environment with AWS_LAMBDA_MAX_CONCURRENCY=3
# (tests/integration/fleet_test.py says how and why).
.PHONY: test-fleet
test-fleet: $(ASAN)/sink-connector $(ASAN)/bootstrap $(BUILD)/kafka-local
	$(RUN_SUITE) fleet $(PY) tests/integration/fleet_test.py

TESTS += test-fleet

# deploy/connector/'s configurations against the connector's documented
# properties and the stand-in's defaults (sink-connector --print-properties).
.PHONY: test-connector-config
test-connector-config: $(BUILD)/sink-connector
	CONNECTOR=$(BUILD)/sink-connector $(RUN_SUITE) connector-config $(PY) tests/integration/connector_config_test.py

TESTS += test-connector-config

# The template's CloudWatch dashboard against the EMF lines of a real run of
# build/asan/bootstrap that raises both alarms (and an alert SNS refuses).
.PHONY: test-dashboard
test-dashboard: $(ASAN)/bootstrap
	BOOTSTRAP=$(ASAN)/bootstrap $(RUN_SUITE) dashboard $(PY) tests/integration/dashboard_test.py

TESTS += test-dashboard

TESTS += test-template

# The zip in an otherwise empty chroot against the Runtime API emulator.
.PHONY: test-package test-package-arm64
test-package: $(PKG_ZIP_x86_64)
	$(RUN_SUITE) package $(PY) tests/integration/package_chroot_test.py --arch x86_64

# The arm64 zip the same way, its bootstrap run by qemu-aarch64-static (Debian's
# qemu-user-static) inside the chroot.
test-package-arm64: $(PKG_ZIP_arm64)
	$(RUN_SUITE) package-arm64 $(PY) tests/integration/package_chroot_test.py --arch arm64

TESTS += test-package test-package-arm64

# make demo [FORMAT=avro|json_sr|protobuf]: the whole pipeline on local stand-ins
# (values through the local Schema Registry with FORMAT; deploy/demo.py --help for
# options, e.g. make demo DEMO_ARGS="--records 5000 --bootstrap build/package/bootstrap").
DEMO_BINS := $(BUILD)/bootstrap $(BUILD)/kafka-local $(BUILD)/producer $(BUILD)/sink-connector
.PHONY: demo test-demo
# make demo TASKS=3: tasks.max=3 on 6 partitions into three environments that
# share their alert episodes through dynalite (one alert per drift).
demo: $(DEMO_BINS)
	@$(PY) deploy/demo.py $(if $(FORMAT),--format $(FORMAT)) $(if $(TASKS),--tasks $(TASKS)) $(DEMO_ARGS)

test-demo: $(DEMO_BINS)
	$(RUN_SUITE) demo $(PY) tests/integration/demo_test.py

TESTS += test-demo

# make bench (deploy part): cold start of the packaged bootstrap beside
# build/bootstrap and a static connect-and-GET probe (the measurement's floor),
# and the zip's size.
$(BUILD)/package-probe: tests/bench/package_probe.c
	$(CC) $(CPPFLAGS) $(STD_FLAGS) -O2 -static -o $@ $<

.PHONY: bench-deploy
bench-deploy: $(PKG_ZIP_x86_64) $(PKG_ZIP_arm64) $(BUILD)/bootstrap $(BUILD)/package-probe
	$(PY) tests/bench/package_bench.py

BENCHES += bench-deploy
