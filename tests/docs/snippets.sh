#!/bin/sh
# snippets.sh — every fenced block of the given Markdown files that a reader would paste works
# pasted as it is. Blocks run in order, per page, in a scratch directory that holds the
# project's top level (build/, include/, samples/ ... as symbolic links), so relative paths in
# the docs mean what they mean to a reader in a clone:
#   ```c     a block with main() is a program: compiled (with the GCC plugin when it uses
#            XRAY_CAPTURE), linked against build/libxraycap.a and run; a block with a top-level
#            closing brace is a translation unit, compiled; any other block is pasted into a
#            function that main() calls inside an open segment. A line that is only "..." (the
#            reader's own code) is left out. A block whose first line is "/* NAME.c" is a
#            file: saved as NAME.c for the blocks after it (which build it) and compiled alone.
#   ```sh    run with sh -e; it must exit 0.
#   ```make  a Makefile: make builds its first target, which is then run.
#   ```cmake a CMakeLists.txt: configured and built against a temporary `make install`.
# The line before a fence may say <!-- snippet: status N --> (the block's expected exit status)
# or <!-- snippet: skip REASON -->. Prints "N passed, N failed".
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0 failed=0 skipped=0
LINK="$ROOT/build/libxraycap.a -lcjson -lcurl -lsqlite3 -lpthread -lm -ldl"
CFLAGS="-std=c11 -Wall -Wextra -Werror -Wno-unused-variable -Wno-unused-parameter -I$ROOT/include"

# The scratch directory a page's blocks run in.
scratch() {
    rm -rf "$TMP/s" && mkdir "$TMP/s"
    for e in "$ROOT"/*; do ln -s "$e" "$TMP/s/"; done
}

# An installed copy for the CMake blocks, made once.
installed() {
    [ -d "$TMP/prefix" ] && return 0
    make -C "$ROOT" --no-print-directory -s install PREFIX="$TMP/prefix" >"$TMP/install.log" 2>&1
}

run_c() { # block
    src=$TMP/s/.snippet.c
    name=$(sed -n '1s|^/\* *\([A-Za-z0-9_-]*\.c\).*|\1|p' "$1")
    plugin=
    grep -q 'XRAY_CAPTURE(' "$1" && plugin=-fplugin="$ROOT/build/xraycap.so"
    if [ -n "$name" ]; then
        cp "$1" "$TMP/s/$name" && gcc ${CFLAGS#-std=c11} $plugin -c "$TMP/s/$name" -o "$TMP/s/.prog.o"
    elif grep -q 'main(' "$1"; then
        { grep -q '#include <xray_capture.h>' "$1" || echo '#include <xray_capture.h>'; cat "$1"; } > "$src"
        gcc $CFLAGS $plugin "$src" $LINK -o "$TMP/s/.prog" && AWS_XRAY_EMITTER=none "$TMP/s/.prog" >/dev/null
    elif grep -q '^}' "$1"; then
        { echo '#include <stdio.h>'; echo '#include <string.h>'; echo '#include <xray_capture.h>'; cat "$1"; } > "$src"
        gcc $CFLAGS $plugin -c "$src" -o "$TMP/s/.prog.o"
    else
        { echo '#include <stdio.h>'; echo '#include <xray_capture.h>'
          echo 'static void snippet(void) {'; cat "$1"; echo '}'
          echo 'int main(void) { xray_begin_segment("snippet"); snippet(); xray_end_segment(); return 0; }'
        } > "$src"
        gcc $CFLAGS $plugin "$src" $LINK -o "$TMP/s/.prog" && AWS_XRAY_EMITTER=none "$TMP/s/.prog" >/dev/null
    fi
}

run_make() { # block
    (cd "$TMP/s" && cp "$1" .snippet.mk && target=$(sed -n 's/^\([A-Za-z0-9_-]*\):.*/\1/p' .snippet.mk | head -1) &&
     rm -f "$target" && PKG_CONFIG_PATH="$ROOT/build" make -s -f .snippet.mk &&
     AWS_XRAY_EMITTER=none "./$target" >/dev/null)
}

run_cmake() { # block
    installed || { cat "$TMP/install.log"; return 1; }
    d=$TMP/s/.cmake && rm -rf "$d" && mkdir -p "$d" && cp "$1" "$d/CMakeLists.txt" && cp "$TMP/s"/*.c "$d/" 2>/dev/null
    cmake -S "$d" -B "$d/b" -DCMAKE_PREFIX_PATH="$TMP/prefix" >"$d.log" && cmake --build "$d/b" >>"$d.log" ||
        { cat "$d.log"; return 1; }
    for p in "$d"/b/*; do
        if [ -f "$p" ] && [ -x "$p" ]; then AWS_XRAY_EMITTER=none "$p" >/dev/null || return 1; fi
    done
}

for doc in "$@"; do
    scratch
    rm -f "$TMP"/block*
    awk -v dir="$TMP" '
        /^```/ && !inside {
            lang = substr($0, 4); sub(/[ \t]+$/, "", lang)
            if (lang == "c" || lang == "sh" || lang == "make" || lang == "cmake") {
                n++; f = sprintf("%s/block%03d.%s", dir, n, lang); inside = 1; printf "" > f
                if (prev ~ /^<!-- snippet: .* -->$/) { m = prev; sub(/^<!-- snippet: /, "", m); sub(/ -->$/, "", m); print m > (f ".meta") }
            } else inside = 2
            next
        }
        /^```/ { inside = 0; next }
        inside == 1 && $0 !~ /^[ \t]*\.\.\.[ \t]*$/ { print > f }
        !inside && $0 !~ /^[ \t]*$/ { prev = $0 }
    ' "$ROOT/$doc"
    for b in "$TMP"/block*; do
        case "$b" in *.meta|*.out) continue ;; esac
        [ -e "$b" ] || continue
        meta=$(cat "$b.meta" 2>/dev/null)
        name="$doc $(basename "$b")"
        case "$meta" in skip*) skipped=$((skipped + 1)); continue ;; esac
        want=0
        case "$meta" in "status "*) want=${meta#status } ;; esac
        case "$b" in
            *.c) (cd "$TMP/s" && run_c "$b") >"$b.out" 2>&1; rc=$? ;;
            *.sh) (cd "$TMP/s" && timeout 300 sh -e "$b") >"$b.out" 2>&1; rc=$? ;;
            *.make) run_make "$b" >"$b.out" 2>&1; rc=$? ;;
            *.cmake) run_cmake "$b" >"$b.out" 2>&1; rc=$? ;;
        esac
        if [ "$rc" -eq "$want" ]; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            echo "FAILED: $name (status $rc, expected $want)"
            tail -15 "$b.out" | sed 's/^/    /'; sed 's/^/    | /' "$b"
        fi
    done
done
echo "snippets: $passed passed, $failed failed, $skipped not run (marked skip)"
[ "$failed" -eq 0 ]
