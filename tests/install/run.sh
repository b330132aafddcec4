#!/bin/sh
# run.sh — installs xraycap into a temporary prefix and uses it as a user would: every header
# and the tool are there, and a program marked with XRAY_CAPTURE builds and sends its
# subsegment through pkg-config (GCC and Clang) and through find_package(xraycap) in CMake.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PREFIX=$TMP/prefix
passed=0 failed=0
ok() { echo "  ok: $1"; passed=$((passed + 1)); }
bad() { echo "  FAILED: $1"; failed=$((failed + 1)); }

make -C "$ROOT" --no-print-directory -s install PREFIX="$PREFIX" >"$TMP/install.log" 2>&1 \
  || { cat "$TMP/install.log"; echo "0 passed, 1 failed"; exit 1; }

for f in include/xray_capture.h include/xray_capture/curl.h include/xray_capture/sqlite3.h \
         include/xray_capture/lambda.h include/xray_capture/patched.h include/xray_capture/version.h \
         include/xray_capture/pq.h include/xray_capture/mysql.h include/xray_capture/redis.h \
         lib/libxraycap.a lib/libxraycap.so.0 lib/libxraycap.so lib/libxraycap-patch.so lib/pkgconfig/xraycap.pc \
         lib/xraycap/xraycap.so lib/xraycap/xraycap-clang.so bin/xraycap \
         lib/cmake/xraycap/xraycapConfig.cmake lib/cmake/xraycap/xraycapConfigVersion.cmake; do
    if [ -e "$PREFIX/$f" ]; then ok "installed $f"; else bad "not installed: $f"; fi
done

version=$(sed -n 's/^#define XRAYCAP_VERSION_\(MAJOR\|MINOR\|PATCH\) //p' "$ROOT/include/xray_capture/version.h" | paste -sd.)
if [ "$("$PREFIX/bin/xraycap" --version)" = "xraycap $version" ]; then ok "xraycap --version says $version"
else bad "xraycap --version: '$("$PREFIX/bin/xraycap" --version 2>&1)'"; fi

# Runs a built program with the file emitter and checks the captured call arrived.
check_app() { # name program
    out=$TMP/$(echo "$1" | tr -c "a-zA-Z0-9\n" _).jsonl
    rm -f "$out"
    if ! AWS_XRAY_EMITTER="file:$out" XRAYCAP_SAMPLING=false "$2" >"$out.txt" 2>&1; then
        bad "$1: the program failed: $(cat "$out.txt")"
    elif ! grep -q "\"name\":\"installed_capture\"" "$out" 2>/dev/null; then
        bad "$1: no 'installed_capture' subsegment in what it sent"
    elif [ "$(cat "$out.txt")" != "$version 42" ]; then
        bad "$1: printed '$(cat "$out.txt")'"
    else
        ok "$1 traces its captured function"
    fi
}

export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
if gcc $(pkg-config --variable=gcc_flags xraycap) $(pkg-config --cflags xraycap) "$ROOT/tests/install/app.c" \
       $(pkg-config --libs xraycap) -Wl,-rpath,"$PREFIX/lib" -o "$TMP/app_gcc" 2>"$TMP/gcc.log"; then
    check_app "pkg-config with gcc" "$TMP/app_gcc"
else bad "pkg-config with gcc does not build: $(cat "$TMP/gcc.log")"; fi
if clang-14 $(pkg-config --variable=clang_flags xraycap) $(pkg-config --cflags xraycap) "$ROOT/tests/install/app.c" \
       $(pkg-config --libs xraycap) -Wl,-rpath,"$PREFIX/lib" -o "$TMP/app_clang" 2>"$TMP/clang.log"; then
    check_app "pkg-config with clang" "$TMP/app_clang"
else bad "pkg-config with clang does not build: $(cat "$TMP/clang.log")"; fi

# The link-time way: an object built without the plugin, its libcurl calls wrapped at link time
# against the installed static library and the system's shared libraries.
cat >"$TMP/vendor.c" <<'EOF'
#include <curl/curl.h>
int fetch(const char *url);
int fetch(const char *url)
{
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    return rc == CURLE_OK ? 0 : -1;
}
EOF
cat >"$TMP/fetcher.c" <<'EOF'
#include <xray_capture.h>
int fetch(const char *url);
int main(void)
{
    xray_begin_segment("fetcher");
    int rc = fetch("http://127.0.0.1:9/");
    xray_end_segment();
    return rc == -1 ? 0 : 1;
}
EOF
if gcc -c "$TMP/vendor.c" -o "$TMP/vendor.o" 2>"$TMP/wrap.log" &&
   gcc $(pkg-config --cflags xraycap) "$TMP/fetcher.c" "$TMP/vendor.o" $(pkg-config --variable=patch_ldflags xraycap) \
       $(pkg-config --variable=static_libs xraycap) -lcurl -o "$TMP/fetcher" 2>>"$TMP/wrap.log"; then
    rm -f "$TMP/wrap.jsonl"
    if AWS_XRAY_EMITTER="file:$TMP/wrap.jsonl" XRAYCAP_SAMPLING=false "$TMP/fetcher" &&
       grep -q '"name":"127.0.0.1".*"fault":true' "$TMP/wrap.jsonl"; then
        ok "--wrap with static_libs traces a libcurl call made by an object built without the plugin"
    else bad "--wrap: no fault subsegment for 127.0.0.1 in $(cat "$TMP/wrap.jsonl" 2>/dev/null)"; fi
else bad "--wrap with static_libs does not build: $(cat "$TMP/wrap.log")"; fi

# The public header in a C++ program built with every warning as an error.
cat >"$TMP/strict.cc" <<'EOF'
#include <xray_capture.h>
int main()
{
    xray_config c = XRAY_CONFIG_INIT;
    c.log_level = XRAY_LOG_ERROR;
    xray_recorder_configure(&c);
    return 0;
}
EOF
if g++ -std=c++17 -Wall -Wextra -Werror $(pkg-config --cflags xraycap) -c "$TMP/strict.cc" -o "$TMP/strict.o" 2>"$TMP/strict.log"; then
    ok "xray_capture.h and XRAY_CONFIG_INIT compile as C++ with -Wall -Wextra -Werror"
else bad "C++ with -Wextra -Werror: $(head -5 "$TMP/strict.log")"; fi

# The core library's footprint: it needs libc and libcJSON only; the libraries it traces are
# the program's own (docs/design.md, "Link shape").
lib=$PREFIX/lib/libxraycap.so.0
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
extra=$(echo "$needed" | tr ' ' '\n' | grep -v -E '^(libc|libm|libpthread|libdl|libcjson)\.so\.[0-9]+$|^ld-linux-x86-64\.so\.2$|^$')
if [ -z "$extra" ]; then ok "libxraycap.so.0 needs only $needed"
else bad "libxraycap.so.0 needs $extra (all: $needed)"; fi
# (and __cxa_throw, the C++ runtime's, counted and passed on: rt/core/cxa_throw.c)
internal=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v -E '^(xray_|__xraycap_|__cxa_throw$)' | head -5)
if [ -z "$internal" ]; then ok "libxraycap.so.0 exports only xray_*, __xraycap_* and __cxa_throw ($(nm -D --defined-only "$lib" | wc -l) symbols)"
else bad "libxraycap.so.0 exports internal symbols: $internal"; fi

# A program using only the core runs where no traced library (libcurl, SQLite, libpq, MariaDB,
# hiredis, libmicrohttpd, CivetWeb, libdw) is installed: a scratch root holding the program and
# exactly the libraries ldd names for it. Needs root (chroot).
cat >"$TMP/core.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <xray_capture.h>
/* "libdw" when the process has mapped elfutils' libdw (it symbolized a stack). */
static const char *dw_mapped(void)
{
    char line[512];
    FILE *f = fopen("/proc/self/maps", "r");
    const char *found = "no libdw";
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, "libdw"))
            found = "libdw";
    if (f)
        fclose(f);
    return found;
}
int main(int argc, char **argv)
{
    xray_begin_segment("core-only");
    xray_entity *sub = xray_begin_subsegment("work");
    xray_put_annotation_number(sub, "n", 42);
    xray_add_exception(sub, "demo", "an error, its stack symbolized without libdw", false);
    xray_end_subsegment();
    xray_end_segment();
    xray_recorder_shutdown();
    puts(argc > 1 ? dw_mapped() : "core ok");
    (void)argv;
    return 0;
}
EOF
if gcc $(pkg-config --cflags xraycap) "$TMP/core.c" $(pkg-config --libs xraycap) -Wl,-rpath,"$PREFIX/lib" \
       -o "$TMP/core" 2>"$TMP/core.log"; then
    loaded=$(ldd "$TMP/core" | grep -c '=>\|ld-linux')
    traced=$(ldd "$TMP/core" | grep -E 'libcurl|libsqlite3|libpq|libmariadb|libhiredis|libmicrohttpd|libcivetweb|libdw' || true)
    if [ -z "$traced" ]; then ok "a core-only program loads $loaded libraries, none of the traced ones"
    else bad "a core-only program loads $traced"; fi
    # Nothing is serialized with the emitter "none": the error's stack is never symbolized, so
    # libdw is never opened; with an emitter it is (on the emission thread).
    none=$(AWS_XRAY_EMITTER=none XRAYCAP_SAMPLING=false "$TMP/core" maps 2>&1)
    file=$(AWS_XRAY_EMITTER="file:$TMP/maps.jsonl" XRAYCAP_SAMPLING=false "$TMP/core" maps 2>&1)
    if [ "$none" = "no libdw" ] && [ "$file" = "libdw" ]; then
        ok "emitter none serializes nothing (no stack symbolized, libdw never opened); a file emitter does"
    else bad "libdw with emitter none: '$none', with a file: '$file'"; fi
    if [ "$(id -u)" = 0 ] && command -v chroot >/dev/null; then
        jail=$TMP/jail
        mkdir -p "$jail/tmp"
        # (and libgcc_s, part of every system's base as libc is: glibc's backtrace loads it)
        for f in "$TMP/core" $(ldd "$TMP/core" | grep -o '/[^ ]*') $(gcc -print-file-name=libgcc_s.so.1); do
            mkdir -p "$jail$(dirname "$f")" && cp -L "$f" "$jail$f"
        done
        if [ -n "$(find "$jail" -name 'libcurl*' -o -name 'libpq*' -o -name 'libdw*' -o -name 'libsqlite3*')" ]; then
            bad "the scratch root holds a traced library"
        elif out=$(AWS_XRAY_EMITTER=file:/tmp/core.jsonl XRAYCAP_SAMPLING=false chroot "$jail" "$TMP/core" 2>&1) &&
             [ "$out" = "core ok" ] && grep -q '"annotations":{"n":42}' "$jail/tmp/core.jsonl" &&
             grep -q '"exceptions":\[{.*"stack":\[{' "$jail/tmp/core.jsonl"; then
            ok "a core-only program runs and sends in a root with no traced library installed"
        else bad "core-only program in a scratch root: '$out' $(cat "$jail/tmp/core.jsonl" 2>/dev/null)"; fi
    else
        echo "  (not root: the scratch-root run is left out)"
    fi
else bad "a core-only program does not build: $(cat "$TMP/core.log")"; fi

for cc in gcc clang-14; do
    b=$TMP/cmake-$cc
    if cmake -S "$ROOT/tests/install" -B "$b" -DCMAKE_C_COMPILER=$cc -DCMAKE_PREFIX_PATH="$PREFIX" \
             >"$b.log" 2>&1 && cmake --build "$b" >>"$b.log" 2>&1; then
        check_app "CMake find_package, $cc, shared" "$b/app_shared"
        check_app "CMake find_package, $cc, static" "$b/app_static"
    else
        bad "CMake with $cc: $(tail -20 "$b.log")"
    fi
done

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
