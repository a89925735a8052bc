#!/usr/bin/env bash
# Installs this build into a temporary prefix, then builds and runs a consumer
# project against it twice: with find_package(switchyard) and with pkg-config.
# usage: check.sh BUILD_DIR SOURCE_DIR CXX "CXX_FLAGS"
set -euo pipefail
build=$1 src=$2 cxx=$3 flags=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/package/consumer" -B "$work/cmake-build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_CXX_FLAGS="$flags" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
"$work/cmake-build/consumer"
libdir=$(find "$work/prefix" -name switchyard.pc -printf '%h\n')
# shellcheck disable=SC2046  # pkg-config's output is meant to be split into words
"$cxx" $flags "$src/tests/package/consumer/main.cpp" -o "$work/pc-consumer" \
  $(PKG_CONFIG_PATH="$libdir" pkg-config --cflags --libs --static switchyard)
"$work/pc-consumer"
