# policyctl — one Makefile for the whole tree.
#
# Sources are found by folder, so adding a module means adding name.c + name.h and nothing
# here. Objects go to $(BUILD); `make SANITIZE=1` builds into build-asan/ with ASan+UBSan.

PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := $(shell cat VERSION)

ifeq ($(SANITIZE),1)
BUILD   ?= build-asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD   ?= build
SANFLAGS :=
endif

PKGS     := libcurl jansson inih libcrypto sqlite3 libmicrohttpd
CC       ?= cc
WARN     := -Wall -Wextra -Wstrict-prototypes -Wshadow -Werror
CFLAGS   ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) $(CFLAGS) $(SANFLAGS) \
	-I. -DPOLICYCTL_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS)) -MMD -MP
LDLIBS   := $(shell pkg-config --libs $(PKGS)) -lm -lpthread
TEST_LDLIBS := $(shell pkg-config --libs cmocka)

LIB_SRC    := $(wildcard lib/*.c)
GEN_SRC    := $(wildcard generator/*.c)
ORCH_SRC   := $(wildcard orchestrator/*.c)
IAC_SRC    := $(wildcard iac/*.c)
CLI_SRC    := $(wildcard cli/*.c)
ARMSIM_SRC := $(filter-out armsim/main.c,$(wildcard armsim/*.c))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
TOOL_SRC   := $(wildcard tests/tools/*.c)
# templates/*.json are compiled into the binary (generator/json_template.h).
TEMPLATES  := $(sort $(wildcard templates/*.json))
TEMPLATE_C := $(BUILD)/gen/templates.c

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

CORE_LIB   := $(BUILD)/libpolicyctl.a
CLI_LIB    := $(BUILD)/libpolicyctl-cli.a
ARMSIM_LIB := $(BUILD)/libarmsim.a
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
TOOL_BINS  := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(TOOL_SRC))

.SECONDARY:
.PHONY: all check asan demo deps install clean bench render-policies check-policies docs live-check fuzz fuzz-build
# armsim/main.c arrives with the armsim issue; until then `all` is policyctl alone.
ARMSIM_BIN := $(if $(wildcard armsim/main.c),$(BUILD)/armsim)
all: $(BUILD)/policyctl $(ARMSIM_BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(TEMPLATE_C): $(TEMPLATES) generator/embed-templates.sh
	@mkdir -p $(dir $@)
	sh generator/embed-templates.sh $(TEMPLATES) >$@.tmp && mv $@.tmp $@

$(CORE_LIB): $(call obj,$(LIB_SRC) $(GEN_SRC) $(ORCH_SRC) $(IAC_SRC) $(TEMPLATE_C))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(ARMSIM_LIB): $(call obj,$(ARMSIM_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# cli/ but main.c, so unit tests can call the option parser
$(CLI_LIB): $(call obj,$(filter-out cli/main.c,$(CLI_SRC)))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/policyctl: $(call obj,cli/main.c) $(CLI_LIB) $(CORE_LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/armsim: $(call obj,armsim/main.c) $(ARMSIM_LIB) $(CORE_LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# A unit test links the archives, so it pulls in only the modules it calls.
$(BUILD)/tests/%: $(call obj,tests/unit/%.c) $(CLI_LIB) $(ARMSIM_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) $(TEST_LDLIBS)

# libcurl failing (test_http_curl_failures): the test switches these calls to fail.
$(BUILD)/tests/test_http_curl_failures: TEST_LDLIBS += -Wl,--wrap=curl_easy_init \
	-Wl,--wrap=curl_multi_add_handle -Wl,--wrap=curl_multi_socket_action

# Test drivers (tests/tools/*.c): small programs the e2e scripts and benchmarks run.
$(BUILD)/tests/tools/%: $(call obj,tests/tools/%.c) $(ARMSIM_LIB) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS)

# CI runs the suite twice: plain, then under ASan+UBSan.
check: all $(UNIT_BINS) $(TOOL_BINS)
	BUILD=$(BUILD) tests/run.sh
ifeq ($(CI),true)
ifneq ($(SANITIZE),1)
	$(MAKE) SANITIZE=1 check
endif
endif

asan:
	$(MAKE) SANITIZE=1 check

bench: all $(TOOL_BINS)
	@for b in bench/*.sh; do echo "== $$b"; BUILD=$(BUILD) sh $$b || exit 1; done

deps:
	sh scripts/install-deps.sh

demo: all
	BUILD=$(BUILD) sh examples/demo.sh

# A read-only look at the tenant LIVE_CONFIG names (doctor, plan): skips with a notice where
# no credential is present; t9040 runs it against armsim as a custom cloud.
LIVE_CONFIG ?= policyctl.ini
live-check: all
	BUILD=$(BUILD) LIVE_CONFIG=$(LIVE_CONFIG) sh scripts/live-check.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/policyctl $(ARMSIM_BIN) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 docs/policyctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/

# policies/ holds the rendered output of the default config, committed; the e2e test
# t0130-render-policies-current fails `make check` when a fresh render differs.
POLICIES_CONFIG := examples/management-group.ini
render-policies: $(BUILD)/policyctl
	rm -rf policies/rest policies/arm-template policies/epac policies/terraform policies/alz
	for f in rest arm-template epac terraform alz; do \
		$(BUILD)/policyctl -q -c $(POLICIES_CONFIG) render --format $$f --out policies/$$f || exit 1; \
	done

# The config-key lists of the man page and README come from lib/config.def (through
# `policyctl help config`); t0160 fails when they are stale.
docs: $(BUILD)/policyctl
	for f in docs/policyctl.1:roff README.md:markdown; do \
		$(BUILD)/policyctl help config | sh docs/config-keys.sh $${f#*:} $${f%%:*} >$${f%%:*}.new && \
		mv $${f%%:*}.new $${f%%:*} || exit 1; \
	done

check-policies: all
	BUILD=$(BUILD) tests/run.sh render-policies-current

# libFuzzer targets (fuzz/README.md): every fuzz/fuzz_NAME.c is built with clang into
# build-fuzz/fuzz_NAME from the sources fuzz/targets.mk names for it (lib/*.c by default),
# and `make fuzz` runs each for FUZZ_SECONDS on its corpus. t9500 runs a short smoke.
FUZZ_BUILD   ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -O1 -g \
	-fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -Wno-unused-parameter \
	-I. -DPOLICYCTL_VERSION='"$(VERSION)"' $(shell pkg-config --cflags $(PKGS)) -MMD -MP
include fuzz/targets.mk
fuzz_sources = $(or $(FUZZ_SRC_$(1)),$(LIB_SRC))
fuzz_obj = $(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$(1))

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

.SECONDEXPANSION:
$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/obj/fuzz/fuzz_%.o $$(call fuzz_obj,$$(call fuzz_sources,$$*))
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ $(LDLIBS)

fuzz-build: $(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_TARGETS))

fuzz: fuzz-build
	FUZZ_BUILD=$(FUZZ_BUILD) sh fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf build build-asan build-fuzz

-include $(shell find $(BUILD)/obj $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
