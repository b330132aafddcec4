#!/bin/sh
# snippets.sh — every ```c block of the given Markdown files compiles, links and runs against
# the static library, as a reader would paste it. A block with its own main() is a program; any
# other is pasted into a function that main() calls inside an open segment. A line that is only
# "..." (the reader's own code) is left out. Prints "N passed, N failed".
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
passed=0 failed=0
for doc in "$@"; do
    awk -v dir="$TMP" '
        /^```c[ \t]*$/ { n++; f = dir "/block" n ".c"; inside = 1; next }
        /^```/ { inside = 0; next }
        inside && $0 !~ /^[ \t]*\.\.\.[ \t]*$/ { print > f }
    ' "$ROOT/$doc"
    for b in "$TMP"/block*.c; do
        [ -e "$b" ] || continue
        src=$TMP/prog.c
        if grep -q 'main(' "$b"; then
            { echo '#include <xray_capture.h>'; cat "$b"; } > "$src"
        else
            { echo '#include <stdio.h>'; echo '#include <xray_capture.h>'
              echo 'static void snippet(void) {'; cat "$b"; echo '}'
              echo 'int main(void) { xray_begin_segment("snippet"); snippet(); xray_end_segment(); return 0; }'
            } > "$src"
        fi
        name="$doc $(basename "$b" .c)"
        if gcc -std=c11 -Wall -Wextra -Werror -Wno-unused-variable -I"$ROOT/include" "$src" \
               "$ROOT/build/libxraycap.a" -lcjson -lcurl -lsqlite3 -ldw -lpthread -lm -ldl \
               -o "$TMP/prog" 2>"$TMP/err" &&
           AWS_XRAY_EMITTER=none "$TMP/prog" >/dev/null 2>"$TMP/err"; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            echo "FAILED: $name"; sed 's/^/    /' "$TMP/err" | head -10; sed 's/^/    | /' "$b"
        fi
        rm -f "$b"
    done
done
echo "snippets: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
