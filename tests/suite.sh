#!/bin/sh
# suite.sh — one suite of `make check`: keeps its output in build/check/NAME.log, prints one
# line with its counts, and records them for the closing totals line (tests/totals.sh).
#   tests/suite.sh NAME CMD [ARGS...]   run CMD; on failure print the end of its log
#   tests/suite.sh NAME --passed N      record N checks a make recipe ran and passed
# Counts: CUnit's run summary ("tests TOTAL RAN PASSED FAILED INACTIVE"), else the last line
# saying "N passed, N failed", else the suite is one check; a suite that only says "SKIPPED
# ..." (its tool is not installed) is shown so and counts nothing. The negative tests' expected error
# messages stay in the log, where they cannot be taken for failures.
DIR=build/check
mkdir -p "$DIR"
name=$1
shift
if [ "$1" = --passed ]; then
    echo "$2 0" >"$DIR/$name.count"
    printf '  %-28s %s passed, 0 failed\n' "$name" "$2"
    exit 0
fi
log=$DIR/$name.log
start=$(date +%s)
"$@" >"$log" 2>&1
rc=$?
secs=$(($(date +%s) - start))
counts=$(awk '$1 == "tests" && NF == 6 && $2 ~ /^[0-9]+$/ { p += $4; f += $5; n++ }
              END { if (n) print p, f }' "$log")
[ -n "$counts" ] || counts=$(grep -oE '[0-9]+ passed, [0-9]+ failed' "$log" | tail -1 | awk '{ print $1, $3 }')
skipped=$(grep -m1 '^SKIPPED' "$log")
if [ -z "$counts" ] && [ -n "$skipped" ] && [ $rc -eq 0 ]; then
    # a suite that could not run here says so, and counts as nothing passed
    echo "0 0" >"$DIR/$name.count"
    printf '  %-28s %s\n' "$name" "$skipped"
    exit 0
fi
[ -n "$counts" ] || counts="$([ $rc -eq 0 ] && echo 1 0 || echo 0 1)"
set -- $counts
passed=$1 failed=$2
[ $rc -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed $failed" >"$DIR/$name.count"
printf '  %-28s %s passed, %s failed  (%ss, %s)\n' "$name" "$passed" "$failed" "$secs" "$log"
if [ $rc -ne 0 ]; then
    echo "---- $name failed (status $rc); the end of $log:"
    tail -60 "$log"
    exit 1
fi
