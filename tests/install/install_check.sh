#!/bin/sh
# install_check.sh BUILD_DIR SRC_DIR WORK_DIR [CFLAGS] - `cmake --install` into a
# scratch prefix, then build and run a consumer with the installed pkg-config
# file, headers and library, and run the installed tcpsim binary.
set -eu
build=$1 src=$2 work=$3 extra=${4:-}
rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
for f in bin/tcpsim lib/libtcpsim.a lib/pkgconfig/tcpsim.pc include/tcpsim/tcp.h include/tcpsim/wire.h; do
    [ -e "$work/prefix/$f" ] || { echo "install_check: $f was not installed" >&2; exit 1; }
done
export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig"
# shellcheck disable=SC2046,SC2086
cc -std=c11 $extra -o "$work/consumer" "$src/tests/install/consumer.c" $(pkg-config --cflags --libs tcpsim)
"$work/consumer"
"$work/prefix/bin/tcpsim" --version
