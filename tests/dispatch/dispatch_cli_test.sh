#!/bin/sh
# `switchyard calibrate` and `switchyard explain` as a user runs them: two
# calibrations at once leave one valid profile and no temporary file behind;
# explain prints the model's table, says when it runs on defaults, and
# takes a type by its C++ name too, and refuses a bad option with a message
# that names it.
set -eu
cli="$1"
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
export XDG_CACHE_HOME="$cache"
fail() { echo "FAIL: $*" >&2; exit 1; }

"$cli" calibrate --quick >"$cache/a.out" 2>&1 &
a=$!
"$cli" calibrate --quick >"$cache/b.out" 2>&1 &
b=$!
wait $a || fail "first calibrate: $(cat "$cache/a.out")"
wait $b || fail "second calibrate: $(cat "$cache/b.out")"
grep -q "crossovers" "$cache/a.out" || fail "calibrate printed no crossovers: $(cat "$cache/a.out")"
profiles=$(ls "$cache/switchyard" | grep -c '^profile-.*\.json$' || true)
[ "$profiles" = 1 ] || fail "expected one profile, found: $(ls "$cache/switchyard")"
leftovers=$(ls "$cache/switchyard" | grep -c '\.tmp\.' || true)
[ "$leftovers" = 0 ] || fail "temporary files left: $(ls "$cache/switchyard")"
python3 -c "import json,sys; p=json.load(open(sys.argv[1])); assert p['format_version']==1, p" \
  "$cache"/switchyard/profile-*.json || fail "the profile is not valid JSON of format 1"

out=$("$cli" explain --op sum --type f32 --n 100000000)
echo "$out" | grep -q "decided by model" || fail "explain: $out"
echo "$out" | grep -q "predicted ns" || fail "explain has no table: $out"
echo "$out" | grep -q "<- chosen" || fail "explain marks no choice: $out"
echo "$out" | grep -q "$cache/switchyard/profile-" || fail "explain does not name the profile: $out"
echo "$out" | grep -q "threads: at most [1-9][0-9]* of the [1-9][0-9]* cores" || fail "explain does not say the threads: $out"

out=$("$cli" explain --op argmin --type u8 --n 1000 --location shared --deterministic)
echo "$out" | grep -q "decided by" || fail "explain --location shared: $out"

out=$(SWITCHYARD_CALIBRATE=0 XDG_CACHE_HOME="$cache/elsewhere" "$cli" explain --op dot --type f64 --n 5000)
echo "$out" | grep -q "(defaults)" || fail "SWITCHYARD_CALIBRATE=0 does not say defaults: $out"

# On the built-in defaults, so that no calibration between the calls moves
# the numbers: the same call, the same table.
defaults() { SWITCHYARD_CALIBRATE=0 XDG_CACHE_HOME="$cache/elsewhere" "$cli" explain --op dot --n 300000 --type "$1"; }
[ "$(defaults f64)" = "$(defaults double)" ] || fail "--type double explains another call than f64: $(defaults double)"
[ "$(defaults f32)" != "$(defaults double)" ] || fail "f32 and double explain alike: the comparison proves nothing"

if "$cli" explain --op sum --type f16 --n 10 >"$cache/bad.out" 2>&1; then fail "--type f16 was accepted"; fi
grep -q "f16 is not one of" "$cache/bad.out" || fail "bad --type message: $(cat "$cache/bad.out")"

if "$cli" explain --op sum --n -5 >"$cache/bad.out" 2>&1; then fail "--n -5 was accepted: $(cat "$cache/bad.out")"; fi
grep -q -- "--n: a count is 0 or more, not -5" "$cache/bad.out" || fail "bad --n message: $(cat "$cache/bad.out")"
if "$cli" explain --op sum --n 10 --max-threads -1 >"$cache/bad.out" 2>&1; then
  fail "--max-threads -1 was accepted: $(cat "$cache/bad.out")"
fi
grep -q -- "--max-threads: a count is 0 or more, not -1" "$cache/bad.out" || fail "bad --max-threads message: $(cat "$cache/bad.out")"

echo "dispatch CLI: calibrate (twice at once) and explain as expected"
