#!/bin/sh
# totals.sh — the last line of `make check`: the counts every suite recorded (tests/suite.sh).
cat build/check/*.count 2>/dev/null |
    awk '{ p += $1; f += $2; n++ } END { printf "make check: %d passed, %d failed, in %d suites\n", p, f, n; exit f > 0 }'
