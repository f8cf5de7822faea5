# traderd build.
#
#   make                 build traderd, traderctl and the tools (optimised, tcmalloc)
#   make test            install deps, build with ASan+UBSan, run the Criterion suites
#   make demo            install deps, build, import the sample data, run a replay
#   make bench           optimised build, print the benchmark figures
#   make fuzz            clang libFuzzer builds of tests/fuzz, FUZZ_TIME s each (60)
#   make report-check [REPORT=DIR]  the page in headless Chromium, 390 and 1400 px
#   make bench-ab BASE=REV   the same results and sma_cross speed as revision REV?
#   make install [PREFIX=/usr/local] [DESTDIR=]   and make uninstall
#   make SANITIZE=address,undefined   any target, with sanitizers (build/san/)
#
# Objects go to build/ (or build/san/ when SANITIZE is set) so a sanitized
# test build never mixes with the optimised one.

CC       ?= cc
SANITIZE ?=
BUILD    := build$(if $(SANITIZE),/san)

PKGS     := libuv yaml-0.1 libcjson libwebsockets openssl libsystemd
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
CPPFLAGS += -D_GNU_SOURCE -Iinclude -Idaemon -MMD -MP
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -fno-strict-aliasing \
            $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -llmdb -llinear -lm -ldl

ifneq ($(SANITIZE),)
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
else
# tcmalloc replaces malloc; it cannot be combined with ASan's allocator.
# Nothing names a tcmalloc symbol, so with Debian's default --as-needed
# (and LTO, whose objects only appear after the libraries are scanned) the
# linker would drop it and malloc would silently be glibc's: keep it
# needed, and check traderd's link says so.
LDLIBS   += -Wl,--push-state,--no-as-needed -ltcmalloc -Wl,--pop-state
CHECK_ALLOC = @readelf -d $@ | grep -q 'NEEDED.*libtcmalloc' || \
	      { echo "$@: not linked with tcmalloc" >&2; rm -f $@; exit 1; }
# Link-time optimisation: the per-bar path crosses files (engine, replay,
# trading, report, portfolio); inlining across them is worth 2-5% on the
# sma_cross replay (BENCHMARKS.md).  LTO=0 turns it off.
LTO      ?= 1
ifeq ($(LTO),1)
CFLAGS   += -flto=auto
LDFLAGS  += -flto=auto
AR       := gcc-ar
endif
endif

DAEMON_SRC := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
# llhttp 8.1 from Debian's node-llhttp: C sources, compiled here.  Only
# daemon/http_parse.c includes its header (it clashes with
# libwebsockets.h).
LLHTTP_DIR := /usr/share/llhttp
LLHTTP_INC := /usr/share/include/llhttp
LLHTTP_SRC := llhttp.c api.c http.c
LLHTTP_OBJ := $(LLHTTP_SRC:%.c=$(BUILD)/llhttp/%.o)
LIB_OBJ    := $(DAEMON_SRC:%.c=$(BUILD)/%.o) $(LLHTTP_OBJ)
LIB        := $(BUILD)/libtrd.a

# Strategy plugins: plugins/NAME.c -> $(BUILD)/plugins/NAME.so.  Test
# plugins (tests/plugins/*.c: deliberately broken ones) go beside them.
PLUGIN_SRC := $(wildcard plugins/*.c)
PLUGINS    := $(PLUGIN_SRC:plugins/%.c=$(BUILD)/plugins/%.so)
TPLUGIN_SRC := $(wildcard tests/plugins/*.c)
TPLUGINS   := $(TPLUGIN_SRC:tests/plugins/%.c=$(BUILD)/tests/plugins/%.so) \
              $(BUILD)/tests/plugins/swapper2.so

TRADERD    := $(BUILD)/traderd
TRADERCTL  := $(BUILD)/traderctl
GEN_BARS   := $(BUILD)/gen_bars
BENCH_FEAT := $(BUILD)/bench_features
BENCH_ML   := $(BUILD)/bench_ml
RETRAIN    := $(BUILD)/traderd-retrain
EXSIM      := $(BUILD)/exsim
BENCH_FEED := $(BUILD)/bench_feed
BENCH_LAT  := $(BUILD)/bench_latency
BENCH_IMPF := $(BUILD)/bench_import_floor
GEN_MAN    := $(BUILD)/gen_man
BINS       := $(TRADERD) $(TRADERCTL) $(GEN_BARS) $(BENCH_FEAT) $(BENCH_ML) $(RETRAIN) $(EXSIM) \
              $(BENCH_FEED) $(BENCH_LAT) $(BENCH_IMPF) $(GEN_MAN)
# Man pages: traderd.yaml.5 is made from the config schema (gen_man).
MAN_PAGES  := $(BUILD)/man/man8/traderd.8 $(BUILD)/man/man8/traderctl.8 \
              $(BUILD)/man/man5/traderd.yaml.5

TEST_SRC   := $(wildcard tests/test_*.c)
TEST_BINS  := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)

# Fuzz harnesses (tests/fuzz/fuzz_*.c): make test links each with a plain
# driver and replays its corpus; make fuzz links them with libFuzzer.
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz-replay/%)
FUZZ_DIR   := build/fuzz
FUZZ_BINS  := $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_DIR)/%)
FUZZ_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
FUZZ_TIME  ?= 60
# ASan's allocator, never tcmalloc (the plain build's LDLIBS adds it).
FUZZ_LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -llmdb -llinear -lm -ldl

.PHONY: all deps test-deps test check install uninstall demo bench bench-ab fuzz report-check clean \
        format-check FORCE
# Keep test objects: they are intermediates make would delete and rebuild.
.SECONDARY:
all: $(BINS) $(PLUGINS) $(MAN_PAGES)

deps:
	@tools/install-deps

# What only the tests need: promtool (prometheus) checks the metrics page
# and the alert rules, systemd-analyze the units, man-db the man pages.
TEST_PKGS := prometheus systemd man-db parallel
test-deps:
	@tools/install-deps $(TEST_PKGS)

# Before the first compile in a build directory (and after the package
# list changes): every package there, or a message naming the missing
# ones and the command that installs them, not a compiler error.
$(BUILD)/.deps-ok: tools/install-deps
	@tools/install-deps --check
	@mkdir -p $(@D) && touch $@

$(BUILD)/%.o: %.c | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Third-party code: its own warnings are not ours to fix.  Its sources
# come with node-llhttp: until the package check has passed, make must
# not stop at "No rule to make target" (make -j on a fresh machine).
$(addprefix $(LLHTTP_DIR)/,$(LLHTTP_SRC)): | $(BUILD)/.deps-ok
	@test -f $@ || { echo "make: $@ is missing: apt-get install -y node-llhttp" >&2; exit 1; }
$(BUILD)/llhttp/%.o: $(LLHTTP_DIR)/%.c | $(BUILD)/.deps-ok
	@mkdir -p $(@D)
	$(CC) -I$(LLHTTP_INC) $(filter-out -W%,$(CFLAGS)) -w -c -o $@ $<
$(BUILD)/daemon/http_parse.o: CPPFLAGS += -I$(LLHTTP_INC)
$(FUZZ_DIR)/daemon/http_parse.o: CPPFLAGS += -I$(LLHTTP_INC)
$(FUZZ_DIR)/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(@D)
	clang -I$(LLHTTP_INC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -w -c -o $@ $<

# Plugins see only include/ (the ABI), never daemon internals.
$(BUILD)/plugins/%.so: plugins/%.c include/traderd/plugin.h include/traderd/types.h
	@mkdir -p $(@D)
	$(CC) -D_GNU_SOURCE -Iinclude $(CFLAGS) -fPIC -shared $(LDFLAGS) -o $@ $<

# The hot-swap test's second build: a new version, another default.
$(BUILD)/tests/plugins/swapper2.so: tests/plugins/swapper.c include/traderd/plugin.h
	@mkdir -p $(@D)
	$(CC) -D_GNU_SOURCE -DSWAPPER_VERSION=2 -Iinclude $(CFLAGS) -fPIC -shared $(LDFLAGS) -o $@ $<

$(BUILD)/tests/plugins/%.so: tests/plugins/%.c include/traderd/plugin.h
	@mkdir -p $(@D)
	$(CC) -D_GNU_SOURCE -Iinclude $(CFLAGS) -fPIC -shared $(LDFLAGS) -o $@ $<

# The source revision, for --version and the report: rewritten only when
# it changes, so an unchanged tree does not rebuild.
$(BUILD)/build_id.h: FORCE
	@mkdir -p $(@D)
	@id=$$(git describe --always --dirty 2>/dev/null || echo unknown); \
	 echo "#define TRD_BUILD_ID \"$$id\"" > $@.tmp; \
	 cmp -s $@.tmp $@ 2>/dev/null && rm -f $@.tmp || mv $@.tmp $@
$(BUILD)/daemon/version.o: CPPFLAGS += -I$(BUILD)
$(BUILD)/daemon/version.o: $(BUILD)/build_id.h
$(FUZZ_DIR)/daemon/version.o: CPPFLAGS += -I$(BUILD)
$(FUZZ_DIR)/daemon/version.o: $(BUILD)/build_id.h
FORCE:

$(LIB): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(TRADERD): $(BUILD)/daemon/main.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
	$(CHECK_ALLOC)

$(TRADERCTL): $(BUILD)/tools/traderctl.o $(BUILD)/tools/report_diff.o \
              $(BUILD)/tools/traderctl_client.o $(BUILD)/tools/traderctl_ml.o \
              $(BUILD)/tools/traderctl_sweep.o \
              $(BUILD)/tools/traderctl_models.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -ledit

$(BENCH_FEAT): $(BUILD)/tools/bench_features.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BENCH_ML): $(BUILD)/tools/bench_ml.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# A script, beside the binaries it runs (the units name it there).
$(RETRAIN): tools/traderd-retrain
	@mkdir -p $(@D)
	install -m 0755 $< $@

$(BENCH_LAT): $(BUILD)/tools/bench_latency.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BENCH_FEED): $(BUILD)/tools/bench_feed.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(EXSIM): $(BUILD)/tools/exsim.o $(BUILD)/tools/exsim_rest.o $(BUILD)/tools/exsim_alpaca.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(GEN_MAN): $(BUILD)/tools/gen_man.o $(LIB)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/man/man5/traderd.yaml.5: $(GEN_MAN)
	@mkdir -p $(@D)
	$(GEN_MAN) > $@.tmp && mv $@.tmp $@
$(BUILD)/man/man8/%.8: man/%.8
	@mkdir -p $(@D)
	cp $< $@

$(GEN_BARS): $(BUILD)/tools/gen_bars.o
	$(CC) $(LDFLAGS) -o $@ $^ -lm

$(BENCH_IMPF): $(BUILD)/tools/bench_import_floor.o
	$(CC) $(LDFLAGS) -o $@ $^

# The feature suites share their references (tests/feature_ref.c).
$(BUILD)/tests/test_features $(BUILD)/tests/test_feature_props: $(BUILD)/tests/feature_ref.o
$(BUILD)/tests/%: $(BUILD)/tests/%.o $(BUILD)/tests/helpers.o $(BUILD)/tests/rig.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

$(BUILD)/fuzz-replay/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/fuzz.o $(BUILD)/tests/fuzz/driver.o $(LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The libFuzzer build: clang, every object instrumented for coverage.
$(FUZZ_DIR)/%.o: %.c
	@mkdir -p $(@D)
	clang $(CPPFLAGS) -std=c11 $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link \
	  $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -c -o $@ $<

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/tests/fuzz/fuzz_%.o $(FUZZ_DIR)/tests/fuzz/fuzz.o $(DAEMON_SRC:%.c=$(FUZZ_DIR)/%.o) $(LLHTTP_SRC:%.c=$(FUZZ_DIR)/llhttp/%.o)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LDLIBS)

fuzz:
	@tools/install-deps clang libclang-rt-14-dev
	@$(MAKE) --no-print-directory $(FUZZ_BINS)
	@tools/fuzz.sh run $(FUZZ_DIR) $(FUZZ_TIME)

# `make test` always runs the suites under ASan+UBSan (what CI runs).
ifeq ($(SANITIZE),)
test: test-deps
	@$(MAKE) --no-print-directory SANITIZE=address,undefined check
else
test: test-deps check
endif

# Run the layout rules (no include cycle between daemon modules, no
# daemon file over 1500 lines), then every suite; the integration tests
# find the binaries through TRD_BIN_DIR.  The closing line sums the
# suites' results.
check: $(BINS) $(PLUGINS) $(TPLUGINS) $(TEST_BINS) $(FUZZ_REPLAY) $(MAN_PAGES)
	@tools/check-layout daemon
	@ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	 tools/fuzz.sh replay $(BUILD)/fuzz-replay
	@TRD_BIN_DIR=$(abspath $(BUILD)) \
	 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	 tools/run-tests.sh $(TEST_BINS)

DEMO_CONF := conf/demo.yaml
demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo.sh $(BUILD) $(DEMO_CONF)

bench: deps
	@$(MAKE) --no-print-directory SANITIZE= all
	@tools/bench.sh build

# Chromium from Debian; playwright-core from npm into PW_DIR, outside the
# repository (a tool to drive the browser, not a dependency of traderd).
PW_DIR ?= /var/tmp/traderd-pw
REPORT ?= var/report
report-check:
	@tools/install-deps chromium
	@command -v node > /dev/null || { echo "report-check needs node (and npm)" >&2; exit 1; }
	@test -d $(PW_DIR)/node_modules/playwright-core || \
	 { mkdir -p $(PW_DIR) && cd $(PW_DIR) && \
	   npm install --no-audit --no-fund playwright-core@1 > /dev/null; }
	@PW_DIR=$(PW_DIR) node tools/check-report.mjs $(REPORT)

# REV is built in a temporary git worktree, compared, and removed.
bench-ab: deps
	@test -n "$(BASE)" || { echo "usage: make bench-ab BASE=REV (a git revision)" >&2; exit 2; }
	@$(MAKE) --no-print-directory SANITIZE= all
	@d=$$(mktemp -d /tmp/traderd-base.XXXXXX); \
	 git worktree add -q --detach $$d/src $(BASE) && \
	 { echo "building $(BASE) in $$d/src ..."; \
	   $(MAKE) --no-print-directory -C $$d/src SANITIZE= all > $$d/build.log 2>&1 || \
	   { tail -20 $$d/build.log; false; }; } && \
	 tools/bench-ab.sh $$d/src/build build; rc=$$?; \
	 git worktree remove --force $$d/src; rm -rf $$d; exit $$rc

format-check:
	clang-format --dry-run --Werror daemon/*.[ch] include/traderd/*.h tools/*.c tests/*.[ch]

# make install [PREFIX=/usr/local] [DESTDIR=]: binaries, plugins, the
# plugin header, man pages, example configs in /etc/traderd (the service's
# traderd.yaml only if there is none), Grafana dashboard and alert rules,
# systemd units and the traderd user (sysusers.d).  make uninstall removes
# them, but not /etc/traderd/traderd.yaml (the operator's).
PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      := $(PREFIX)/bin
PLUGINDIR   := $(PREFIX)/lib/traderd/plugins
INCDIR      := $(PREFIX)/include/traderd
MANDIR      := $(PREFIX)/share/man
SYSCONFDIR  ?= /etc
UNITDIR     ?= $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
SYSUSERSDIR ?= $(shell pkg-config --variable=sysusersdir systemd 2>/dev/null || echo /usr/lib/sysusers.d)
ETC         := $(DESTDIR)$(SYSCONFDIR)/traderd
EXAMPLES    := backtest.yaml bollinger.yaml demo.yaml paper.yaml risk.yaml

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(INCDIR) \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(ETC)/examples \
	  $(ETC)/grafana $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(TRADERD) $(TRADERCTL) $(EXSIM) $(RETRAIN) \
	  $(DESTDIR)$(BINDIR)
	install -m 0644 $(PLUGINS) $(DESTDIR)$(PLUGINDIR)
	install -m 0644 include/traderd/plugin.h include/traderd/types.h \
	  $(DESTDIR)$(INCDIR)
	install -m 0644 $(BUILD)/man/man8/traderd.8 $(BUILD)/man/man8/traderctl.8 \
	  $(DESTDIR)$(MANDIR)/man8
	install -m 0644 $(BUILD)/man/man5/traderd.yaml.5 $(DESTDIR)$(MANDIR)/man5
	for f in $(EXAMPLES); do install -m 0644 conf/$$f $(ETC)/examples; done
	sed 's#@PLUGINDIR@#$(PLUGINDIR)#' conf/traderd.yaml.in > $(ETC)/examples/traderd.yaml
	[ -e $(ETC)/traderd.yaml ] || install -m 0640 $(ETC)/examples/traderd.yaml $(ETC)/traderd.yaml
	install -m 0644 conf/alerts.yml $(ETC)/alerts.yml
	install -m 0644 conf/grafana/traderd.json conf/grafana/provisioning.yaml $(ETC)/grafana
	for u in traderd.service traderd@.service traderd-retrain@.service; do \
	  sed 's#@BINDIR@#$(BINDIR)#' systemd/$$u.in > $(DESTDIR)$(UNITDIR)/$$u; \
	  chmod 0644 $(DESTDIR)$(UNITDIR)/$$u; done
	install -m 0644 systemd/traderd-retrain@.timer $(DESTDIR)$(UNITDIR)
	install -m 0644 systemd/traderd.sysusers $(DESTDIR)$(SYSUSERSDIR)/traderd.conf
	@if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
	  systemd-sysusers $(SYSUSERSDIR)/traderd.conf; fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/traderd $(DESTDIR)$(BINDIR)/traderctl \
	  $(DESTDIR)$(BINDIR)/exsim $(DESTDIR)$(BINDIR)/traderd-retrain
	rm -f $(PLUGINS:$(BUILD)/plugins/%=$(DESTDIR)$(PLUGINDIR)/%)
	rm -f $(DESTDIR)$(INCDIR)/plugin.h $(DESTDIR)$(INCDIR)/types.h
	rm -f $(DESTDIR)$(MANDIR)/man8/traderd.8 $(DESTDIR)$(MANDIR)/man8/traderctl.8 \
	  $(DESTDIR)$(MANDIR)/man5/traderd.yaml.5
	rm -f $(EXAMPLES:%=$(ETC)/examples/%) $(ETC)/examples/traderd.yaml \
	  $(ETC)/alerts.yml $(ETC)/grafana/traderd.json $(ETC)/grafana/provisioning.yaml
	rm -f $(DESTDIR)$(UNITDIR)/traderd.service $(DESTDIR)$(UNITDIR)/traderd@.service \
	  $(DESTDIR)$(UNITDIR)/traderd-retrain@.service \
	  $(DESTDIR)$(UNITDIR)/traderd-retrain@.timer \
	  $(DESTDIR)$(SYSUSERSDIR)/traderd.conf
	-rmdir $(DESTDIR)$(PLUGINDIR) $(DESTDIR)$(PREFIX)/lib/traderd $(DESTDIR)$(INCDIR) \
	  $(ETC)/examples $(ETC)/grafana 2>/dev/null

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
