#!/bin/sh
# cmake/source_digest.cmake, which names the build a profile is kept under:
# the same sources and settings give the same digest wherever the tree lies,
# a file's time alone changes nothing (the header is not rewritten), and a
# changed byte in a source, a new file or other settings give another.
set -eu
script="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$work/a/kernels" "$work/b/kernels"
printf 'int f() { return 1; }\n' >"$work/a/kernels/f.cpp"
printf 'int g();\n' >"$work/a/kernels/g.hpp"
cp "$work/a/kernels/"* "$work/b/kernels/"

digest() {  # digest ROOT SETTINGS FILE...
  root=$1 settings=$2
  shift 2
  { echo "$settings"; echo "$root"; for f in "$@"; do echo "$f"; done; } >"$work/list"
  cmake "-DLIST=$work/list" "-DOUT=$work/out.hpp" -P "$script"
  sed -n 's/#define SWITCHYARD_SOURCE_DIGEST "\(.*\)"/\1/p' "$work/out.hpp"
}

one=$(digest "$work/a" "GNU 12 Release -O3" kernels/f.cpp kernels/g.hpp)
[ ${#one} = 16 ] || fail "digest '$one' is not 16 characters"
[ "$(digest "$work/b" "GNU 12 Release -O3" kernels/f.cpp kernels/g.hpp)" = "$one" ] ||
  fail "the same sources in another folder give another digest"

touch -d '2020-01-01' "$work/out.hpp"
touch "$work/a/kernels/f.cpp"
[ "$(digest "$work/a" "GNU 12 Release -O3" kernels/f.cpp kernels/g.hpp)" = "$one" ] || fail "a file's time changed the digest"
[ "$(stat -c %Y "$work/out.hpp")" = "$(date -d '2020-01-01' +%s)" ] || fail "an unchanged digest rewrote the header"

[ "$(digest "$work/a" "GNU 12 Debug -O0" kernels/f.cpp kernels/g.hpp)" != "$one" ] || fail "other settings, the same digest"
[ "$(digest "$work/a" "GNU 12 Release -O3" kernels/f.cpp)" != "$one" ] || fail "a file fewer, the same digest"
printf 'int f() { return 2; }\n' >"$work/a/kernels/f.cpp"
[ "$(digest "$work/a" "GNU 12 Release -O3" kernels/f.cpp kernels/g.hpp)" != "$one" ] || fail "a changed source, the same digest"

echo "source digest: one per sources and settings, wherever the tree lies"
