# iris-lambda: top-level Makefile.
#
# Every component owns a fragment (lambda/lambda.mk, model/model.mk, ...) that
# appends to BINS, TESTS and BENCHES.  The top level only holds the shared
# compile rules and the user-facing targets:
#
#   make          build every binary into build/
#   make test     unit + integration tests (ASan+UBSan builds)
#   make bench    benchmarks (figures and ratios against baselines)
#   make demo     the whole pipeline on local stand-ins
#   make invoke EVENT=events/<file>.json   one local invocation
#   make clean
#
# The first make checks (and installs, via apt-get) the build dependencies,
# then re-runs itself with IRIS_DEPS_OK=1 so pkg-config sees them.

.DEFAULT_GOAL := all
SHELL := /bin/bash

ifeq ($(IRIS_DEPS_OK)$(filter clean distclean format,$(MAKECMDGOALS)),)

GOALS := $(or $(MAKECMDGOALS),all)
.PHONY: $(GOALS) iris-deps
$(GOALS): iris-deps
	@$(MAKE) --no-print-directory IRIS_DEPS_OK=1 $@
iris-deps:
	@scripts/deps.sh

else

CC ?= cc
BUILD := build
ASAN := $(BUILD)/asan
PY := /usr/bin/python3

PKGS := libcurl libcjson rdkafka libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
STD_FLAGS := -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes
CPPFLAGS := -D_GNU_SOURCE -I. $(PKG_CFLAGS)
CFLAGS := $(STD_FLAGS) -O2 -g -fno-omit-frame-pointer
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS_SAN := $(STD_FLAGS) -O1 -g -fno-omit-frame-pointer $(SAN_FLAGS)

# obj/asan_obj: object files for a list of sources in the release and the
# sanitizer build.  libs: link flags for pkg-config modules.
obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
asan_obj = $(patsubst %.c,$(ASAN)/obj/%.o,$(1))
libs = $(shell pkg-config --libs $(1))

BINS :=
TESTS :=
BENCHES :=

include $(wildcard model/model.mk lambda/alerts.mk lambda/lambda.mk producer/producer.mk tests/tests.mk deploy/deploy.mk)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(ASAN)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS_SAN) -MMD -MP -c $< -o $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

.PHONY: all test bench
all: $(BINS)

# Each entry of TESTS is a phony target that runs one suite through
# tests/run-suite.sh, which records its counts; the summary adds them up.
test:
	@rm -rf $(BUILD)/test-results && mkdir -p $(BUILD)/test-results
	@status=0; for t in $(TESTS); do \
	  $(MAKE) --no-print-directory IRIS_DEPS_OK=1 $$t || status=1; \
	done; tests/summary.sh $(BUILD)/test-results; s2=$$?; \
	[ $$status -eq 0 ] && [ $$s2 -eq 0 ]

bench: $(BENCHES)

endif

.PHONY: clean format
clean:
	rm -rf build

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
