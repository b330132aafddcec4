# xraycap — build, test and demo. `make help` lists the targets.
#   make            runtime (build/libxraycap.a, .so, xraycap.pc) and the GCC plugin
#   make check      every test: layering, unit tests (plain, ASan+UBSan, TSan), plugin matrix, fuzzers,
#                   compiled-out build, tool, install/CMake package, end to end, web view
#   make demo       build, then run the samples against a local listener and show the trace
#   make bench      ratios of captured-call cost against baselines measured in the same run
#   make fuzz       the libFuzzer targets in tests/fuzz, FUZZ_TIME seconds each (60)
#   make XRAY=0 …   the same sources with tracing compiled out (no plugin, no runtime)
#   make install PREFIX=/usr/local

XRAY ?= 1
PREFIX ?= /usr/local
CC ?= cc
CXX ?= g++
BUILD := build
# The version is written once, in include/xray_capture/version.h.
VERSION := $(shell sed -n 's/^\#define XRAYCAP_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' include/xray_capture/version.h | paste -sd.)

WARN := -Wall -Wextra -Werror
CWARN := $(WARN) -Wmissing-prototypes
CFLAGS ?= -O2 -g
# libpq's and MariaDB Connector/C's headers live in their own directories on Debian
# (pkg-config --cflags libpq libmariadb).
DB_CFLAGS := -I/usr/include/postgresql -I/usr/include/mariadb
RT_CFLAGS := -std=c11 -D_GNU_SOURCE $(CWARN) -fPIC -Iinclude -Irt $(DB_CFLAGS)
# The runtime's own objects: internals hidden, the public API made visible by rt/exports.h.
RT_VISIBILITY := -fvisibility=hidden -include rt/exports.h

# Link lines, each written once (docs/design.md, "Link shape"):
#   CORE_LIBS  what libxraycap itself needs: every program that links it loads these.
#   DB_LIBS    the libraries the integrations trace; a program links those it uses, as it
#              would without xraycap. libxraycap.so refers to them weakly (RT_WEAK below).
#   LIBS       both: the tests and benchmarks that exercise every integration.
CORE_LIBS := -lcjson -lpthread -lm -ldl
DB_LIBS := -lcurl -lsqlite3 -lpq -lhiredis -lmariadb -lmicrohttpd -lcivetweb
LIBS := $(CORE_LIBS) $(DB_LIBS)
TOOL_LIBS := -lcjson -lsqlite3 -lm -lpthread

# The tool's sources, and the tool without its command line (main.c, cmd_*.c): what its
# tests and fuzzers link.
TOOL_SRC := $(wildcard tools/xraycap/*.c)
TOOL_LIB_SRC := $(filter-out tools/xraycap/main.c tools/xraycap/cmd_%.c,$(TOOL_SRC))

# rt/ is grouped by layer (docs/design.md); includes point only down: tests/layers checks it.
RT_SRC := $(filter-out rt/interpose/%,$(wildcard rt/*/*.c))
RT_OBJ := $(RT_SRC:rt/%.c=$(BUILD)/rt/%.o)
# The static library's objects use the initial-exec TLS model: it is linked into executables,
# where the thread context is then one %fs-relative load with no call, so the capture hooks'
# common case saves no register. The shared library keeps the general model (dlopen-safe).
RT_OBJ_STATIC := $(RT_SRC:rt/%.c=$(BUILD)/rt-static/%.o)
RT_HDR := rt/exports.h $(wildcard rt/*/*.h rt/*/*.def) $(wildcard include/*.h include/xray_capture/*.h)

.PHONY: all lib help check check-unit check-plugin demo bench deps install clean fuzz check-fuzz check-docs check-demo lambda-package
all: lib plugin

lib: $(BUILD)/libxraycap.a $(BUILD)/libxraycap.so.0 $(BUILD)/libxraycap.so $(BUILD)/libxraycap-patch.so $(BUILD)/xraycap.pc $(BUILD)/xraycap-uninstalled.pc

help:
	@sed -n '2,10p' Makefile

$(BUILD)/rt/%.o: rt/%.c $(RT_HDR) | $(BUILD)/rt
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(RT_CFLAGS) $(RT_VISIBILITY) -c $< -o $@
	nm -u $@ | awk '$$2 ~ /$(RT_WEAK)/ {print $$2}' > $@.weak
	if [ -s $@.weak ]; then objcopy --weaken-symbols=$@.weak $@; fi

$(BUILD)/rt $(BUILD)/tests $(BUILD)/asan $(BUILD)/tsan $(BUILD)/samples:
	mkdir -p $@

$(BUILD)/rt-static/%.o: rt/%.c $(RT_HDR) | $(BUILD)/rt
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(RT_CFLAGS) $(RT_VISIBILITY) -ftls-model=initial-exec -c $< -o $@

$(BUILD)/libxraycap.a: $(RT_OBJ_STATIC)
	rm -f $@ && ar rcs $@ $^

# The --wrap shims need __real_* symbols that exist only in a --wrap link: static library only.
WRAP_OBJ := $(filter $(BUILD)/rt/lib/wrap_%.o,$(RT_OBJ))
# libxraycap.so has no NEEDED entry for a traced library: the integrations' references to
# curl_*, sqlite3_*, PQ*, mysql_*, redis*, MHD_* and mg_* are made weak in the shared objects, so the
# dynamic linker binds them to the library where the program loads it and leaves them unbound
# where it does not (nothing calls them there: the program has no connection to pass). The
# static library keeps strong references: an archive member is linked only when used.
RT_WEAK := ^(curl_|sqlite3_|PQ|pg_|lo_|mysql_|redis|MHD_|mg_)
# The file carries its soname, as installed, so a program linked with -Lbuild -lxraycap finds
# libxraycap.so.0 at run time through its rpath or LD_LIBRARY_PATH=build. Only xray_* and
# __xraycap_* are exported (rt/exports.map).
$(BUILD)/libxraycap.so.0: $(RT_OBJ) rt/exports.map
	$(CC) -shared -Wl,-soname,libxraycap.so.0 -Wl,--version-script=rt/exports.map -Wl,--as-needed \
	  -o $@ $(filter-out $(WRAP_OBJ) rt/exports.map,$^) $(CORE_LIBS)

$(BUILD)/libxraycap.so: $(BUILD)/libxraycap.so.0
	ln -sf libxraycap.so.0 $@

# Run-time interposition (docs/libraries.md): the traced functions under their own names, in a
# library of their own that forwards to libxraycap.so and, from inside a wrapper, to the real one.
# curl_opt.c is compiled in: libxraycap.so exports nothing but the public API.
$(BUILD)/libxraycap-patch.so: rt/interpose/interpose.c rt/lib/curl_opt.c $(RT_HDR) $(BUILD)/libxraycap.so
	$(CC) $(CFLAGS) $(RT_CFLAGS) -shared -Wl,-soname,libxraycap-patch.so $< rt/lib/curl_opt.c -L$(BUILD) -lxraycap -lcurl -ldl \
	  -Wl,-rpath,'$$ORIGIN' -o $@

# The --wrap flags, from the one list of patched functions (include/xray_capture/patched.h).
PATCH_LDFLAGS := $(shell printf '\043include "xray_capture/patched.h"\n\043define W(l, s, r, n, p, a) -Wl,--wrap=n\nXRAY_PATCHED_ALL(W)\n' \
                   | $(CC) -E -P -Iinclude - | tr -s ' \n' ' ')
PC_SED = -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@CORE_LIBS@|$(CORE_LIBS)|g' -e 's|@VERSION@|$(VERSION)|g' -e 's|@PATCH_LDFLAGS@|$(strip $(PATCH_LDFLAGS))|'

$(BUILD)/xraycap.pc: xraycap.pc.in Makefile include/xray_capture/patched.h | $(BUILD)/rt
	sed $(PC_SED) $< > $@

# pkg-config prefers NAME-uninstalled.pc: PKG_CONFIG_PATH=$(BUILD) uses the build tree as it is.
$(BUILD)/xraycap-uninstalled.pc: xraycap.pc.in Makefile include/xray_capture/patched.h | $(BUILD)/rt
	sed $(PC_SED) -e 's|^prefix=.*|prefix=$(CURDIR)|' \
	    -e 's|^libdir=.*|libdir=$(CURDIR)/$(BUILD)|' -e 's|^plugin=.*|plugin=$(CURDIR)/$(BUILD)/xraycap.so|' \
	    -e 's|^clang_plugin=.*|clang_plugin=$(CURDIR)/$(BUILD)/xraycap-clang.so|' $< > $@

include mk/plugin.mk
include mk/tests.mk
include mk/samples.mk
include mk/bench.mk
include mk/fuzz.mk

# --- dependencies ---------------------------------------------------------------------------
DEB_PACKAGES := gcc g++ make pkg-config gcc-12-plugin-dev libcjson-dev libcunit1-dev \
                libcurl4-openssl-dev libsqlite3-dev python3 clang-14 llvm-14-dev libclang-14-dev \
                llvm-14-linker-tools libmicrohttpd-dev chromium python3-botocore python3-protobuf cmake libdw-dev graphviz \
                libpq-dev postgresql libhiredis-dev redis-server \
                libmariadb-dev mariadb-server libcivetweb-dev zip unzip
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "deps: all Debian packages present"; \
	elif [ "$$(id -u)" = 0 ]; then mkdir -p $(BUILD); echo "deps: installing $$missing" | tr '\n' ' '; echo; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >$(BUILD)/deps.log 2>&1 \
	  || { tail -20 $(BUILD)/deps.log; exit 1; }; \
	else echo "deps: missing packages; run as root: apt-get install -y" $$missing; exit 1; fi
	@command -v npm >/dev/null 2>&1 || echo "deps: no npm: the DynamoDB/S3 stand-ins (and the test and demo parts using them) are skipped"

install: lib plugin $(BUILD)/xraycap
	install -d $(DESTDIR)$(PREFIX)/include/xray_capture $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	  $(DESTDIR)$(PREFIX)/lib/xraycap $(DESTDIR)$(PREFIX)/lib/cmake/xraycap $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/xray_capture.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 include/xray_capture/*.h $(DESTDIR)$(PREFIX)/include/xray_capture/
	install -m 644 $(BUILD)/libxraycap.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libxraycap.so.0 $(DESTDIR)$(PREFIX)/lib/libxraycap.so.0
	ln -sf libxraycap.so.0 $(DESTDIR)$(PREFIX)/lib/libxraycap.so
	install -m 755 $(BUILD)/libxraycap-patch.so $(DESTDIR)$(PREFIX)/lib/
	sed $(PC_SED) xraycap.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/xraycap.pc
	for f in xraycapConfig xraycapConfigVersion; do sed $(PC_SED) -e 's|@VERSION_MAJOR@|$(word 1,$(subst ., ,$(VERSION)))|g' \
	  -e 's|@VERSION_MINOR@|$(word 2,$(subst ., ,$(VERSION)))|g' mk/$$f.cmake.in > $(DESTDIR)$(PREFIX)/lib/cmake/xraycap/$$f.cmake; done
	install -m 755 $(BUILD)/xraycap $(DESTDIR)$(PREFIX)/bin/
	for p in xraycap.so xraycap-clang.so; do \
	  if [ -f $(BUILD)/$$p ]; then install -m 755 $(BUILD)/$$p $(DESTDIR)$(PREFIX)/lib/xraycap/; fi; done

clean:
	rm -rf $(BUILD)
