#!/bin/sh
# check_layers.sh — the runtime's folders form layers, and includes only point down the list:
# a file may include headers of its own folder or of a folder listed after its own. An
# include pointing up is a dependency loop waiting to happen; this makes it a test failure.
cd "$(dirname "$0")/../.." || exit 2
LAYERS="interpose lambda lib core sampling emit model base"
rank() { i=0; for l in $LAYERS; do [ "$l" = "$1" ] && { echo $i; return; }; i=$((i + 1)); done; echo -1; }
bad=0 n=0
for f in rt/*/*.[ch]; do
    dir=$(basename "$(dirname "$f")")
    mine=$(rank "$dir")
    if [ "$mine" -lt 0 ]; then echo "$f: folder '$dir' is not one of: $LAYERS"; bad=$((bad + 1)); continue; fi
    for inc in $(sed -n 's/^#include "\([a-z_]*\)\/[a-z_0-9]*\.h".*/\1/p' "$f"); do
        [ "$inc" = xray_capture ] && continue
        n=$((n + 1))
        theirs=$(rank "$inc")
        if [ "$theirs" -lt "$mine" ]; then
            echo "$f includes $inc/: '$dir' may only include folders below it ($LAYERS)"
            bad=$((bad + 1))
        fi
    done
done
echo "layers: $n includes checked, $bad pointing up"
[ "$bad" -eq 0 ]
