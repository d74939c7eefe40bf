# iris-lambda: top-level Makefile.
#
# Every component owns a fragment (common/common.mk, runtime/runtime.mk,
# aws/aws.mk, model/model.mk, lambda/lambda.mk, trainer/trainer.mk,
# producer/producer.mk, tests/tests.mk, deploy/deploy.mk) that appends to
# BINS, TESTS, C_UNITS and BENCHES.  The top level only holds the shared
# compile rules and the user-facing targets:
#
#   make          build every binary into build/
#   make deps     check every build and test dependency, install the missing ones
#   make test     unit + integration tests (ASan+UBSan builds); -j2 works
#   make bench    benchmarks (figures and ratios against baselines), one at a time
#   make demo     the whole pipeline on local stand-ins
#   make invoke EVENT=events/<file>.json   one local invocation
#   make check-deps   the include and cleanup-label rules of ARCHITECTURE.md
#   make clean
#
# Every goal first runs the dependency step for exactly that goal
# (scripts/deps.sh GOAL...: fast when all is present, apt-get otherwise; make
# demo needs no cross toolchain, make package ARCH=arm64 does), then re-runs
# make with IRIS_DEPS_OK=1 so pkg-config sees what it installed.

.DEFAULT_GOAL := all
SHELL := /bin/bash

ifeq ($(IRIS_DEPS_OK)$(filter clean distclean,$(MAKECMDGOALS)),)

# One sub-make for all the goals (a sub-make per goal would let two of them
# build the same file at once under -j).
GOALS := $(or $(MAKECMDGOALS),all)
.PHONY: $(GOALS) iris-deps iris-goals
$(GOALS): iris-goals
	@:
iris-goals: iris-deps
	@$(MAKE) --no-print-directory IRIS_DEPS_OK=1 $(GOALS)
iris-deps:
	@scripts/deps.sh $(if $(ARCH),ARCH=$(ARCH)) $(GOALS)

else

CC ?= cc
BUILD := build
ASAN := $(BUILD)/asan
TSAN := $(BUILD)/tsan
PY := /usr/bin/python3

PKGS := libcurl libcjson rdkafka libcrypto
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
STD_FLAGS := -std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes
CPPFLAGS := -D_GNU_SOURCE -I. $(PKG_CFLAGS)
CFLAGS := $(STD_FLAGS) -O2 -g -fno-omit-frame-pointer
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
CFLAGS_SAN := $(STD_FLAGS) -O1 -g -fno-omit-frame-pointer $(SAN_FLAGS)
# ThreadSanitizer (make test-tsan): what threads share, under many threads.
CFLAGS_TSAN := $(STD_FLAGS) -O1 -g -fno-omit-frame-pointer -fsanitize=thread

# obj/asan_obj/tsan_obj: object files for a list of sources in the release,
# the ASan+UBSan and the TSan build.  libs: link flags for pkg-config modules.
obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))
asan_obj = $(patsubst %.c,$(ASAN)/obj/%.o,$(1))
tsan_obj = $(patsubst %.c,$(TSAN)/obj/%.o,$(1))
libs = $(shell pkg-config --libs $(1))

BINS :=
TESTS :=
C_UNITS :=
TSAN_UNITS :=
BENCHES :=

.SECONDEXPANSION:
# tests/tests.mk comes last: it turns every fragment's C_UNITS into suites.
include common/common.mk runtime/runtime.mk aws/aws.mk model/model.mk lambda/lambda.mk \
        trainer/trainer.mk producer/producer.mk registry/registry.mk deploy/deploy.mk tests/tests.mk

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(ASAN)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS_SAN) -MMD -MP -c $< -o $@

$(TSAN)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS_TSAN) -MMD -MP -c $< -o $@

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

.PHONY: all deps test bench
all: $(BINS)

# The dependency step already ran (above); nothing more to do.
deps:
	@echo "deps: all build and test dependencies are installed"

# Every suite is a prerequisite (make -j2 test runs two at a time).  Under
# make test a failing suite records its counts and lets the others run; the
# summary adds up exactly the suites in TESTS and fails if any failed or
# did not report.
test: export IRIS_KEEP_GOING = 1
test: $(TESTS)
	@tests/lib/summary.sh $(BUILD)/test-results $(TESTS:test-%=%)

# Benchmarks one after another (never concurrently, even under -j): each
# measures times that a second load would distort.
bench:
	@for b in $(BENCHES); do $(MAKE) --no-print-directory -j1 IRIS_DEPS_OK=1 $$b || exit 1; done

endif

.PHONY: clean format
clean:
	rm -rf build

format:
	clang-format -i $$(git ls-files '*.c' '*.h')
