#!/bin/sh
# lambda_package.sh BINARY OUTDIR — what `make lambda-package` runs: OUTDIR/function.zip for a
# provided.al2023 (Amazon Linux 2023, x86_64) custom runtime, from a program built here on
# Debian 12 (a newer glibc than the function's). As the AWS Lambda C++ runtime's packager does,
# it bundles every shared library the program loads and the dynamic loader itself, and starts the
# program through that loader from the `bootstrap` script, so nothing of the function's own
# system libraries is used:
#   bootstrap         exec lib/ld-linux-x86-64.so.2 --library-path lib bin/<name>
#   bin/<name>        the program
#   lib/              its libraries (ldd; libgcc_s, which glibc loads itself; libdw and its own
#                     libraries, which xraycap loads to symbolize an error's stack) and the loader
set -eu
bin=$1 out=$2
name=$(basename "$bin")
stage=$out/stage
rm -rf "$stage" "$out/function.zip"
mkdir -p "$stage/bin" "$stage/lib"
cp "$bin" "$stage/bin/$name"
loader=
for lib in $(ldd "$bin" | awk '/=> \// { print $3 } /^\t\/.*ld-linux/ { print $1 }'); do
    cp -L "$lib" "$stage/lib/"
    case $lib in *ld-linux*) loader=$(basename "$lib") ;; esac
done
[ -n "$loader" ] || { echo "lambda_package: no dynamic loader found for $bin" >&2; exit 1; }
# glibc loads libgcc_s itself (dlopen) to unwind stacks (backtrace, thread cancellation): ldd
# does not list it, and Amazon Linux's would not match the bundled C library.
gcc_s=$(${CC:-cc} -print-file-name=libgcc_s.so.1)
[ -f "$gcc_s" ] && cp -L "$gcc_s" "$stage/lib/"
# xraycap opens libdw (elfutils) the first time it writes an error's stack: bundled with what it
# needs, or Amazon Linux's own (built for its C library) would be tried instead.
dw=$(${CC:-cc} -print-file-name=libdw.so.1)
if [ -f "$dw" ]; then
    for lib in "$dw" $(ldd "$dw" | awk '/=> \// { print $3 }'); do
        [ -e "$stage/lib/$(basename "$lib")" ] || cp -L "$lib" "$stage/lib/"
    done
fi
cat >"$stage/bootstrap" <<SCRIPT
#!/bin/sh
# Lambda runs this; the program starts through the bundled loader with the bundled libraries only.
root=\${LAMBDA_TASK_ROOT:-\$(cd "\$(dirname "\$0")" && pwd)}
exec "\$root/lib/$loader" --library-path "\$root/lib" "\$root/bin/$name" "\$@"
SCRIPT
chmod 755 "$stage/bootstrap" "$stage/bin/$name"
(cd "$stage" && zip -q -r -X ../function.zip bootstrap bin lib)
echo "lambda_package: $out/function.zip ($(ls "$stage/lib" | wc -l) libraries, loader $loader)"
