# Warden: build, run, test.
#
#   make            build the pool (build/warden) and the CLI (build/wardenctl); installs nothing
#   make run        install the run packages, build, start FerretDB + pool + nginx on loopback
#   make test       install the run and test packages, build with sanitizers, run every suite
#   make check      the edit-compile-test loop: unit and API suites on the release
#                   build (no apt, no npm, no browser, no fuzzing, no sanitizers)
#   make test-cluster  three pool hosts behind one nginx in network namespaces, under load
#                   (as root; part of make test; skipped where namespaces cannot be made)
#   make bench      throughput and latency figures against the FastCGI and database ceilings
#   make fuzz       libFuzzer on the parsers (installs clang)
#   make deps-build, deps-run, deps-test, deps-bench, deps-fuzz
#                   install the Debian packages that target needs (apt-get, as root);
#                   make deps installs all of them. print-deps-NAME lists one set.
#   make deps-go    a Go >= 1.24 for FerretDB: the one found, or the pinned toolchain
#                   fetched into build/go with Debian's golang-go (see check-go);
#                   part of deps, deps-run, deps-test and deps-bench
#   make install    PREFIX=/usr/local DESTDIR= (builds; installs no packages)
#   make clean
#
# SANITIZE=1 builds into build/asan with -fsanitize=address,undefined.

PREFIX  ?= /usr/local
DESTDIR ?=
PORT    ?= 8080
# Go for FerretDB (see check-go): GO=/path/to/go is used as given; otherwise
# tools/go-toolchain finds a Go >= 1.24 (/usr/local/go/bin/go, go on PATH,
# build/go/bin/go), looked up once, when a recipe first needs it.
GO_GIVEN := $(filter-out undefined,$(origin GO))
ifeq ($(GO_GIVEN),)
GO     = $(eval GO := $(shell tools/go-toolchain --find))$(GO)
GO_CMD = env -u GOROOT GOTOOLCHAIN=local $(GO)
else
GO_CMD = $(GO)
endif

ifeq ($(SANITIZE),1)
BUILD    := build/asan
SANFLAGS := -fsanitize=address,undefined,float-cast-overflow -fno-omit-frame-pointer -fno-sanitize-recover=undefined,float-cast-overflow
OPT      := -O1
else
BUILD    := build/release
SANFLAGS :=
OPT      := -O2
endif

# Debian packages, by the target that needs them (README, Dependencies, has
# the same table). Each set is every package its target needs, the smaller
# sets included; `make install` on a server needs only DEB_BUILD and installs
# none of it itself (`make deps-build` does).
#   DEB_BUILD  make, make install: the compiler and the libraries' headers
#   DEB_RUN    make run: the dev stack (nginx, readiness checks, FerretDB's patches)
#   DEB_TEST   make test (and what make check expects): the suites' libraries and
#              tools, the fuzzers' clang, the browser test's Chromium (npm: e2e-deps)
#   DEB_BENCH  make bench: the load generator, Chromium for the console's first paint
#   DEB_FUZZ   make fuzz: clang with libFuzzer
DEB_BUILD := gcc make pkg-config libfcgi-dev libmongoc-dev libbson-dev libsodium-dev \
             libcurl4-openssl-dev
DEB_RUN   := $(DEB_BUILD) nginx-light curl procps patch
DEB_FUZZ  := $(DEB_BUILD) clang libclang-rt-dev
# tests/api/observe_test.c checks systemd/warden.logrotate with `logrotate -d`
# and traces the pool with strace against the unit's SystemCallFilter.
# It runs `promtool check rules|metrics` only where promtool is installed:
# Debian's `prometheus` (the only package with promtool) is ~100 MB and, on a
# host run by systemd, starts a Prometheus server, so it is not installed for
# the tests; `apt-get install prometheus` runs those checks too.
# python3 runs the README's Python examples (tests/api/readme_webhook_test.c) and, with
# python3-venv, the OpenAPI checks (tests/openapi/).
DEB_TEST  := $(DEB_RUN) libcriterion-dev clang libclang-rt-dev \
             logrotate strace chromium python3 python3-venv
DEB_BENCH := $(DEB_RUN) wrk chromium
DEB_ALL   := $(sort $(DEB_TEST) $(DEB_BENCH) $(DEB_FUZZ))

PKG_CONFIG_LIBS := libmongoc-1.0 libbson-1.0 libsodium
WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wpointer-arith -Wformat=2 -Wno-format-nonliteral
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L $(CFLAGS) $(WARNINGS) $(SANFLAGS) -Iinclude \
             $(shell pkg-config --cflags $(PKG_CONFIG_LIBS) libcurl 2>/dev/null) -MMD -MP
LDLIBS_ALL = $(SANFLAGS) $(shell pkg-config --libs $(PKG_CONFIG_LIBS) 2>/dev/null) -lfcgi -lm
# libcurl: warden-relay's only (src/relay/sender.c); the pool and the CLI do not link it.
RELAY_LIBS = $(shell pkg-config --libs libcurl 2>/dev/null)

# Everything under src/ except the programs' entry points is the library
# that the programs and the test binaries link (a program takes only the
# objects it uses: only warden-relay takes src/relay/'s).
PROGRAM_SRC := src/main.c src/ctl.c src/relay_main.c
LIB_SRC  := $(filter-out $(PROGRAM_SRC),$(wildcard src/*.c src/api/*.c src/domain/*.c src/store/*.c src/relay/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
# tests/unit/*_static_test.c include the module they test whole
# (`#include "../../src/store/users.c"`, as h2o's t/00unit does) to reach its
# static functions; they link into a binary of their own (tests/unit_static)
# with the library's objects except those modules', which they define.
UNIT_STATIC_SRC := $(wildcard tests/unit/*_static_test.c)
UNIT_STATIC_MODULES := $(shell sed -n 's|^.include "\.\./\.\./\(src/[^"]*\.c\)"$$|\1|p' $(UNIT_STATIC_SRC) /dev/null)
UNIT_SRC := $(filter-out $(UNIT_STATIC_SRC),$(wildcard tests/unit/*.c))
API_SRC  := $(wildcard tests/api/*.c)
SUPPORT_SRC := $(wildcard tests/support/*.c)
TEST_CFLAGS = -Itests $(shell pkg-config --cflags criterion libcurl 2>/dev/null)
TEST_LIBS   = $(shell pkg-config --libs criterion libcurl 2>/dev/null)

WARDEN    := $(BUILD)/warden
WARDENCTL := $(BUILD)/wardenctl
RELAY     := $(BUILD)/warden-relay
FERRETDB  := build/ferretdb/ferretdb
FERRETDB_STOCK := build/ferretdb-stock/ferretdb
FERRETDB_PATCHES := $(sort $(wildcard tools/ferretdb/patches/*.patch))

.PHONY: all deps deps-go deps-build deps-run deps-test deps-bench deps-fuzz run test check test-layers test-go test-unit test-api test-cluster bench install clean ferretdb ferretdb-stock check-go

all: $(WARDEN) $(WARDENCTL) $(RELAY)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/obj/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(BUILD)/libwarden.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(WARDEN): $(BUILD)/obj/src/main.o $(BUILD)/libwarden.a
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(WARDENCTL): $(BUILD)/obj/src/ctl.o $(BUILD)/libwarden.a
	$(CC) -o $@ $^ $(LDLIBS_ALL)

$(RELAY): $(BUILD)/obj/src/relay_main.o $(BUILD)/libwarden.a
	$(CC) -o $@ $^ $(LDLIBS_ALL) $(RELAY_LIBS)

$(BUILD)/tests/unit: $(UNIT_SRC:%.c=$(BUILD)/obj/%.o) $(SUPPORT_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/libwarden.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL) $(TEST_LIBS)

$(BUILD)/tests/unit_static: $(UNIT_STATIC_SRC:%.c=$(BUILD)/obj/%.o) $(SUPPORT_SRC:%.c=$(BUILD)/obj/%.o) \
                            $(filter-out $(UNIT_STATIC_MODULES:%.c=$(BUILD)/obj/%.o),$(LIB_OBJ))
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL) $(TEST_LIBS)

$(BUILD)/tests/api: $(API_SRC:%.c=$(BUILD)/obj/%.o) $(SUPPORT_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/libwarden.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL) $(TEST_LIBS)

# --- dependencies ------------------------------------------------------------

# $(call deb_install,PACKAGES): apt-get install those of PACKAGES not yet
# installed; nothing at all (no apt-get, no root needed) when none is missing.
# It never starts, stops or disables a service: Debian's nginx package starts
# the system nginx on port 80 when it is first installed, and the dev stack
# (tools/stack) runs its own nginx beside it, with its own config, pid file
# and port (PORT, default 8080; a port already taken is one line from
# tools/stack, `port 8080 is already in use on 127.0.0.1; pick another one`).
define deb_install
	@missing=$$(for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:" $$missing; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	fi
endef

deps: deps-go ; $(call deb_install,$(DEB_ALL))
deps-build: ; $(call deb_install,$(DEB_BUILD))
deps-run:   deps-go ; $(call deb_install,$(DEB_RUN))
deps-test:  deps-go ; $(call deb_install,$(DEB_TEST))
deps-bench: deps-go ; $(call deb_install,$(DEB_BENCH))
deps-fuzz:  ; $(call deb_install,$(DEB_FUZZ))

# `make -s print-deps-run`: one set's packages, one line (tests/api/deploy_test.c).
print-deps-%:
	@echo $(sort $(DEB_$(shell echo '$*' | tr a-z A-Z)))

# A Go >= 1.24 for FerretDB. Without GO=..., tools/go-toolchain looks for one
# and, when there is none, downloads the toolchain pinned in
# tools/ferretdb/go-toolchain.txt as the module golang.org/toolchain (from the
# go command's module proxy, or GOPROXY as set; the checksum database checks
# its zip) into build/gomodcache and links it as build/go, fetching it with
# any go command at hand. deps-go (in deps, deps-run, deps-test, deps-bench)
# first installs Debian's golang-go (1.19) with apt-get when no go command
# exists; check-go (before each FerretDB build) installs nothing and, with no
# go command to fetch with, says `as root: make deps-go`.
# tests/go/toolchain_test does this with /usr/local/go hidden.
deps-go check-go:
ifeq ($(GO_GIVEN),)
	@tools/go-toolchain $(if $(filter deps-go,$@),--install) >/dev/null || { echo "Go >= 1.24 is needed to build FerretDB (tools/go-toolchain above says why it found or fetched none; GO=/path/to/go to use another)"; exit 1; }
else
	@$(GO) version >/dev/null 2>&1 || { echo "Go >= 1.24 is needed to build FerretDB (GO=$(GO) does not run)"; exit 1; }
endif

# FerretDB v1 from the Go module proxy (pinned by tools/ferretdb/go.sum). The
# module does not ship build/version/version.txt, and FerretDB's own main panics
# without it, so the module is copied, the file written, and cmd/ferretdb built
# from the copy. The binary is kept until `make clean`.
#
# build/ferretdb/ferretdb, the one `make run` and the tests use, is built with
# Warden's patches applied to the copy in order (tools/ferretdb/patches/, see
# tools/ferretdb/README.md: _id lookups, ranges and sort served by indexes); a
# changed, added or removed patch rebuilds it. build/ferretdb-stock/ferretdb is
# the same release without them, which tests/api compares it with.
ferretdb: $(FERRETDB)
ferretdb-stock: $(FERRETDB_STOCK)

# $(call ferretdb_build,DIR,PATCHES): build DIR/ferretdb from the pinned module with PATCHES applied.
define ferretdb_build
	@rm -rf $(1)/src && mkdir -p $(1)
	cd tools/ferretdb && $(GO_CMD) mod download github.com/FerretDB/FerretDB
	cp -r "$$(cd tools/ferretdb && $(GO_CMD) list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)" $(1)/src
	chmod -R u+w $(1)/src
	echo "v$$(cd tools/ferretdb && $(GO_CMD) list -m -f '{{.Version}}' github.com/FerretDB/FerretDB | tr -d v)" \
	  > $(1)/src/build/version/version.txt
	@for p in $(2); do echo "patch -p1 --no-backup-if-mismatch -d $(1)/src < $$p"; \
	  patch -p1 --no-backup-if-mismatch -d $(1)/src < $$p || exit 1; done
	cd $(1)/src && $(GO_CMD) build -tags ferretdb_no_postgresql -o ../ferretdb ./cmd/ferretdb
	rm -rf $(1)/src
endef

# check-go is order-only: it runs first (and fetches Go if needed) without
# making the binaries out of date.
$(FERRETDB): tools/ferretdb/go.mod tools/ferretdb/go.sum tools/ferretdb/patches $(FERRETDB_PATCHES) | check-go
	$(call ferretdb_build,build/ferretdb,$(FERRETDB_PATCHES))

$(FERRETDB_STOCK): tools/ferretdb/go.mod tools/ferretdb/go.sum | check-go
	$(call ferretdb_build,build/ferretdb-stock,)

# --- running -----------------------------------------------------------------

# The packages first, then the build (make -j builds in parallel, and the
# build needs them), in each target that installs packages.
run: deps-run
	@$(MAKE) --no-print-directory all ferretdb
	@tools/stack run --port $(PORT) --dir var --bin $(BUILD)

# --- tests -------------------------------------------------------------------

# Everything, the suites on the sanitizer build; the API suites run last so
# that the output ends with their Criterion summary.
test: deps-test
	@$(MAKE) --no-print-directory ferretdb ferretdb-stock
	@$(MAKE) --no-print-directory test-layers test-go
	@$(MAKE) --no-print-directory SANITIZE=1 all build/asan/tests/unit build/asan/tests/unit_static build/asan/tests/api
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SANITIZE=1 test-unit
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory test-e2e
	@$(MAKE) --no-print-directory SANITIZE=1 test-openapi
	@$(MAKE) --no-print-directory test-cluster
	@$(MAKE) --no-print-directory SANITIZE=1 test-api

# The edit-compile-test loop: the unit and API suites on the release build,
# nothing installed (no apt, no npm), no browser, no fuzzing. FerretDB is
# built from the Go module proxy only if build/ferretdb*/ are missing or out
# of date, as for make test.
check: ferretdb ferretdb-stock
	@$(MAKE) --no-print-directory test-layers
	@$(MAKE) --no-print-directory SANITIZE= all build/release/tests/unit build/release/tests/unit_static build/release/tests/api
	@$(MAKE) --no-print-directory SANITIZE= test-unit
	@$(MAKE) --no-print-directory SANITIZE= test-api

# MONGOC_DISABLE_SHM: see tools/stack. LSAN_OPTIONS: tests/lsan.supp.
# WARDEN_FERRETDB_STOCK: unpatched FerretDB, for tests/api/ferretdb_patch_test.c.
TEST_ENV = MONGOC_DISABLE_SHM=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0

# check-go without Go >= 1.24 at hand: the pinned toolchain fetched into a
# temporary directory, with /usr/local/go hidden (see the script; it skips
# with one line when the module proxy is unreachable).
test-go:
	tests/go/toolchain_test

# No include runs back up the layers (see the script and README, Architecture).
test-layers:
	tests/layers/check

test-unit: $(BUILD)/tests/unit $(BUILD)/tests/unit_static
	$(TEST_ENV) $(BUILD)/tests/unit --jobs 2
	$(TEST_ENV) $(BUILD)/tests/unit_static --jobs 2

test-api: $(BUILD)/tests/api all
	$(TEST_ENV) WARDEN_BIN_DIR=$(BUILD) WARDEN_FERRETDB=$(FERRETDB) WARDEN_FERRETDB_STOCK=$(FERRETDB_STOCK) \
	  $(BUILD)/tests/api --jobs 2

# Several pool hosts behind one nginx (nginx/warden-cluster.conf), each in a
# network namespace of its own, under load: a host killed, brought back,
# reloaded, cut off; ids drawn on every host (tests/cluster/run says what is
# asserted and what is only measured). As root; skipped with one line where
# namespaces cannot be made. The release build: 2 cores run 3 pools and nginx.
CLUSTER_TOOLS = $(BUILD)/tests/cluster_load $(BUILD)/tests/cluster_ids

$(BUILD)/tests/cluster_load: $(BUILD)/obj/tests/cluster/load.o
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(SANFLAGS) $(shell pkg-config --libs libcurl 2>/dev/null)

$(BUILD)/tests/cluster_ids: $(BUILD)/obj/tests/cluster/ids.o $(BUILD)/libwarden.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

test-cluster: ferretdb
	@$(MAKE) --no-print-directory all $(CLUSTER_TOOLS)
	WARDEN_BIN_DIR=$(BUILD) WARDEN_FERRETDB=$(FERRETDB) tests/cluster/run

# --- install -----------------------------------------------------------------

# The shipped unit and site name the default prefix (/usr/local/sbin/warden,
# /usr/local/share/warden/html); the installed copies name PREFIX instead
# (tests/api/deploy_test.c installs with PREFIX=/opt/warden into a DESTDIR and
# checks every installed file). /etc/warden, /run/warden, /var/log and the unit
# directory are where systemd, nginx and logrotate look, whatever the prefix.
INSTALL_PREFIX_SED = sed -i -e 's|/usr/local/|$(PREFIX)/|g'

# $(call install_env,EXAMPLE,FILE): FILE from EXAMPLE, once (an edited one
# stays), root:warden 0640 (secrets and the database URI are in it; the
# services, as warden, read it): group warden only where it exists (a
# DESTDIR staging install as a user need not have it), else the installer's
# 0640 and a note.
define install_env
@test -e $(2) || { \
	  echo "install -m 0640 $(1) $(2)"; \
	  install -m 0640 $(1) $(2) && \
	  $(INSTALL_PREFIX_SED) $(2) && \
	  if getent group warden >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "chown root:warden $(2)"; chown root:warden $(2); \
	  else \
	    echo "note: no group warden (or not root): $(2) left $$(id -un):$$(id -gn) 0640; chown root:warden it once the user exists"; \
	  fi; }
endef

install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/warden/html
	install -m 0755 $(WARDEN) $(DESTDIR)$(PREFIX)/sbin/warden
	install -m 0755 $(WARDENCTL) $(DESTDIR)$(PREFIX)/bin/wardenctl
	install -m 0755 $(RELAY) $(DESTDIR)$(PREFIX)/sbin/warden-relay
	install -m 0644 $$(find nginx/html -maxdepth 1 -type f) $(DESTDIR)$(PREFIX)/share/warden/html/
	install -d $(DESTDIR)$(PREFIX)/share/warden/html/admin
	install -m 0644 nginx/html/admin/* $(DESTDIR)$(PREFIX)/share/warden/html/admin/
	install -d $(DESTDIR)$(PREFIX)/share/warden/nginx
	install -m 0644 nginx/warden.conf nginx/warden-cluster.conf nginx/warden-http.conf nginx/warden-locations.conf \
	  $(DESTDIR)$(PREFIX)/share/warden/nginx/
	install -d $(DESTDIR)/lib/systemd/system $(DESTDIR)/etc/warden
	install -m 0644 systemd/warden.service systemd/warden.socket systemd/warden-relay.service \
	  $(DESTDIR)/lib/systemd/system/
	$(INSTALL_PREFIX_SED) $(DESTDIR)/lib/systemd/system/warden.service $(DESTDIR)/lib/systemd/system/warden.socket \
	  $(DESTDIR)/lib/systemd/system/warden-relay.service \
	  $(DESTDIR)$(PREFIX)/share/warden/nginx/warden.conf $(DESTDIR)$(PREFIX)/share/warden/nginx/warden-cluster.conf \
	  $(DESTDIR)$(PREFIX)/share/warden/nginx/warden-http.conf \
	  $(DESTDIR)$(PREFIX)/share/warden/nginx/warden-locations.conf
	$(call install_env,systemd/warden.env.example,$(DESTDIR)/etc/warden/warden.env)
	$(call install_env,systemd/relay.env.example,$(DESTDIR)/etc/warden/relay.env)
	install -d $(DESTDIR)/etc/logrotate.d
	install -m 0644 systemd/warden.logrotate $(DESTDIR)/etc/logrotate.d/warden
	$(INSTALL_PREFIX_SED) $(DESTDIR)/etc/logrotate.d/warden

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# --- bench: FastCGI ceiling --------------------------------------------------
# A bare libfcgi hello-world pool (tests/bench/hello.c): what Warden's own
# overhead is measured against, and a stand-in pool for the stack's plumbing.

build/bench/hello: tests/bench/hello.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -O2 $< -lfcgi -o $@

# --- fuzzing -----------------------------------------------------------------
# libFuzzer targets for the parsing surfaces (tests/fuzz/<name>_fuzz.c, see
# tests/fuzz/README.md), built with clang against the library compiled for
# coverage with ASan and UBSan (UBSan made fatal, so that every report fails).
#
#   make fuzz        each target for FUZZ_SECONDS (default 60)
#   make fuzz-smoke  each target for FUZZ_SMOKE_SECONDS (default 10)
#   make fuzz-build  only build them (build/fuzz/<name>_fuzz)
#
# FUZZ_TARGETS selects targets (default: all), FUZZ_FLAGS adds libFuzzer flags.
# Each target runs on build/fuzz/corpus-work/<name>/, a scratch corpus seeded
# from tests/fuzz/corpus/<name>/ (which only ever grows by hand); the scratch
# corpus is kept between runs, `rm -rf build/fuzz/corpus-work` starts afresh.
# A crash, leak, timeout or sanitizer report fails the run; its input is left
# in build/fuzz/artifacts/ and its log in build/fuzz/logs/.

FUZZ_CC            ?= clang
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_TIMEOUT       ?= 10
FUZZ_FLAGS         ?=
FUZZ_ALL           := $(patsubst tests/fuzz/%_fuzz.c,%,$(wildcard tests/fuzz/*_fuzz.c))
FUZZ_TARGETS       ?= $(FUZZ_ALL)
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS  = -std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 $(WARNINGS) $(FUZZ_SAN) -Iinclude \
               $(shell pkg-config --cflags $(PKG_CONFIG_LIBS) 2>/dev/null) -MMD -MP
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_BINS    := $(FUZZ_ALL:%=build/fuzz/%_fuzz)

.PHONY: fuzz fuzz-smoke fuzz-build
.SECONDARY: $(FUZZ_ALL:%=build/fuzz/obj/tests/fuzz/%_fuzz.o)

fuzz-build: $(FUZZ_BINS)

build/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

build/fuzz/libwarden.a: $(FUZZ_LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

build/fuzz/%_fuzz: build/fuzz/obj/tests/fuzz/%_fuzz.o build/fuzz/libwarden.a
	$(FUZZ_CC) -o $@ $^ -fsanitize=fuzzer $(FUZZ_SAN) \
	  $(shell pkg-config --libs $(PKG_CONFIG_LIBS) 2>/dev/null) -lfcgi -lm

fuzz: deps-fuzz
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=build/fuzz/%_fuzz)
	@tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TIMEOUT) '$(FUZZ_FLAGS)' $(FUZZ_TARGETS)

fuzz-smoke: $(FUZZ_TARGETS:%=build/fuzz/%_fuzz)
	@tests/fuzz/run $(FUZZ_SMOKE_SECONDS) $(FUZZ_TIMEOUT) '$(FUZZ_FLAGS)' $(FUZZ_TARGETS)

-include $(FUZZ_LIB_OBJ:.o=.d) $(FUZZ_ALL:%=build/fuzz/obj/tests/fuzz/%_fuzz.d)

# --- browser tests -----------------------------------------------------------
# tests/e2e/: Node scripts that drive Debian's Chromium with playwright-core
# (pinned by tests/e2e/package-lock.json) against the real stack (tools/stack);
# screenshots go to build/test-output/e2e/.
#
#   make test-e2e
#
# npm ci runs again only when package.json or package-lock.json changed, or
# tests/e2e/node_modules is gone. Node.js >= 20 with npm is needed: npm is
# installed from Debian only when no npm command exists (NodeSource's nodejs,
# as on these machines, carries its own and conflicts with Debian's npm, so
# `npm` cannot go in DEB_TEST, whose check looks for that package name).
# Chromium is in DEB_TEST.
E2E_STAMP := build/e2e/npm-ci.stamp

.PHONY: test-e2e e2e-deps e2e-node

e2e-deps: deps-test e2e-node

# npm (and Node.js >= 20) for tests/e2e: the browser tests and make bench's
# console figures (tests/e2e/admin/bench.mjs).
e2e-node:
	@command -v npm >/dev/null 2>&1 || { echo "installing: npm"; \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q --no-install-recommends npm; }
	@node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || \
	  { echo "tests/e2e needs Node.js >= 20 (found $$(node --version))"; exit 1; }

$(E2E_STAMP): tests/e2e/package.json tests/e2e/package-lock.json
	npm ci --prefix tests/e2e --no-audit --no-fund
	@mkdir -p $(dir $@) && touch $@

# The invite page's test, then the admin console's (tests/e2e/admin/run.mjs,
# one stack for all its flows; screenshots in build/test-output/e2e/e2e-screenshots/):
# both run, and either failing fails the target.
test-e2e: e2e-deps ferretdb
	@[ -d tests/e2e/node_modules ] || rm -f $(E2E_STAMP)
	@$(MAKE) --no-print-directory $(E2E_STAMP) all
	@rc=0; \
	echo "WARDEN_BIN_DIR=$(BUILD) WARDEN_FERRETDB=$(FERRETDB) node tests/e2e/invite_register.test.mjs"; \
	WARDEN_BIN_DIR=$(BUILD) WARDEN_FERRETDB=$(FERRETDB) node tests/e2e/invite_register.test.mjs || rc=1; \
	echo "WARDEN_BIN_DIR=$(BUILD) WARDEN_FERRETDB=$(FERRETDB) node tests/e2e/admin/run.mjs"; \
	WARDEN_BIN_DIR=$(BUILD) WARDEN_FERRETDB=$(FERRETDB) node tests/e2e/admin/run.mjs || rc=1; \
	exit $$rc

# --- OpenAPI -----------------------------------------------------------------
# nginx/html/openapi.json (served at /api/openapi.json) describes every route of
# both APIs. `make test-openapi` validates it with openapi-spec-validator,
# checks that it and the route table list the same (method, path) pairs
# (tests/openapi/check_routes, on the table as the library holds it:
# tests/openapi/routes.c), and runs schemathesis on every operation against the
# real stack (tests/openapi/run, a minute or two on 2 cores). Both tools come from PyPI,
# pinned with their hashes in tests/openapi/requirements.txt, installed with
# pip --require-hashes into a virtualenv of Debian's python3 (DEB_TEST has
# python3-venv); pip runs again only when the requirements change.
PYTHON3       ?= /usr/bin/python3
OPENAPI_VENV  := build/openapi-venv
OPENAPI_STAMP := $(OPENAPI_VENV)/installed.stamp

.PHONY: test-openapi

$(OPENAPI_STAMP): tests/openapi/requirements.txt
	rm -rf $(OPENAPI_VENV)
	$(PYTHON3) -m venv $(OPENAPI_VENV)
	$(OPENAPI_VENV)/bin/pip install --quiet --disable-pip-version-check --no-input \
	  --require-hashes -r tests/openapi/requirements.txt
	@touch $@

$(BUILD)/tests/openapi_routes: $(BUILD)/obj/tests/openapi/routes.o $(BUILD)/libwarden.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

test-openapi: $(OPENAPI_STAMP) $(BUILD)/tests/openapi_routes all ferretdb
	$(OPENAPI_VENV)/bin/openapi-spec-validator nginx/html/openapi.json
	$(TEST_ENV) tests/openapi/check_routes $(BUILD)/tests/openapi_routes nginx/html/openapi.json
	$(TEST_ENV) tests/openapi/run $(OPENAPI_VENV) $(BUILD)

# --- benchmark ---------------------------------------------------------------
# `make bench`: the release build and the bench tools, then tests/bench/run,
# which starts the real stack in a temporary directory under build/ and
# measures passes over one growing database (10 000 users, 100 000, and
# 1 000 000 with BENCH_HUGE=1), each seeded by build/bench/seed and each
# scenario beside its database ceiling (build/bench/db_ceiling), with what
# authentication costs one client before the passes and how fast the pool
# recovers from faults after them; it prints a Markdown report (also
# build/bench/report.md). About 10 minutes on 2 cores by default. BENCH_*
# variables (see tests/bench/run) pass through, e.g.
#   make bench BENCH_HUGE=1
#   make bench BENCH_USERS=0 BENCH_DURATION=3s BENCH_SCENARIOS="guild search_rare"
# The seeder and the database ceiling link the release library, as wardenctl does.

BENCH_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -g $(WARNINGS) -Iinclude \
               $(shell pkg-config --cflags $(PKG_CONFIG_LIBS) 2>/dev/null) -MMD -MP
BENCH_LIBS   = build/release/libwarden.a \
               $(shell pkg-config --libs $(PKG_CONFIG_LIBS) 2>/dev/null) -lfcgi -lm

bench: deps-bench e2e-node
	@[ -d tests/e2e/node_modules ] || rm -f $(E2E_STAMP)
	@$(MAKE) --no-print-directory ferretdb $(E2E_STAMP)
	@$(MAKE) --no-print-directory SANITIZE= all build/bench/hello build/bench/seed build/bench/db_ceiling build/bench/relay
	@tests/bench/run

build/bench/seed: tests/bench/seed.c build/release/libwarden.a
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(BENCH_LIBS)

build/bench/db_ceiling: tests/bench/db_ceiling.c build/release/libwarden.a
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -o $@ $< $(BENCH_LIBS)

# warden-relay's throughput and latency (tests/bench/relay.c): the tests'
# webhook receiver and HTTP client, with libcurl.
BENCH_RELAY_SRC = tests/bench/relay.c tests/support/receiver.c tests/support/http.c tests/support/wait.c
build/bench/relay: $(BENCH_RELAY_SRC) build/release/libwarden.a
	@mkdir -p $(dir $@)
	$(CC) $(BENCH_CFLAGS) -Itests $(shell pkg-config --cflags libcurl 2>/dev/null) -pthread -o $@ \
	  $(BENCH_RELAY_SRC) $(BENCH_LIBS) $(shell pkg-config --libs libcurl 2>/dev/null)

-include $(wildcard build/bench/*.d)
