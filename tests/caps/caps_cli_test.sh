#!/usr/bin/env bash
# The switchyard command as a user runs it: `caps --quick` writes a report
# that its schema accepts; `compare` reads it beside the stored report of the
# build machine; a file that is not a report is refused with a clear message.
# usage: caps_cli_test.sh SWITCHYARD_BINARY SOURCE_DIR
set -euo pipefail
cli=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$cli" caps --quick --json "$work/now.json" > "$work/table.txt"
grep -q '^crossovers' "$work/table.txt"
grep -q 'memory_read_1_thread' "$work/table.txt"
grep -q 'accuracy_cost_all_threads .* x ' "$work/table.txt" || { echo "the table lacks the default accuracy's cost" >&2; exit 1; }
/usr/bin/python3 "$src/tests/caps/validate_report.py" "$work/now.json" "$src/docs/schema/caps.schema.json"
/usr/bin/python3 "$src/tests/caps/validate_report.py" "$src/docs/machines/build-machine.json" \
  "$src/docs/schema/caps.schema.json"

# On x86 the CPU's family and model are in the report and the table: a
# guest's model name alone does not tell Zen 1 from Zen 5.
if grep -q '^cpu family' /proc/cpuinfo; then
  /usr/bin/python3 -c 'import json, sys; c = json.load(open(sys.argv[1]))["facts"]["cpu"]; assert c["family"] >= 1 and c["model_number"] >= 0, c' \
    "$work/now.json" || { echo "the report lacks the CPU family" >&2; exit 1; }
  grep -q '^CPU .* (family [0-9]* model [0-9]*)' "$work/table.txt" || { echo "the table does not name the CPU family" >&2; exit 1; }
fi

# The caches are known (hwloc), and still known where hwloc may not read
# sysfs and must ask the CPU (what a VM without /sys/.../cpu0/cache gives).
caches() { /usr/bin/python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(len(r["facts"]["cpu"]["caches"]))' "$1"; }
(( $(caches "$work/now.json") >= 2 )) || { echo "caps found no caches" >&2; exit 1; }
HWLOC_COMPONENTS=-linux "$cli" caps --quick --json "$work/cpuid.json" > /dev/null
(( $(caches "$work/cpuid.json") >= 2 )) || { echo "caps found no caches without sysfs" >&2; exit 1; }
grep -q "caches    L1d" "$work/table.txt" || { echo "the table does not name the caches" >&2; exit 1; }
grep -q "^tuning    stream=" "$work/table.txt" || { echo "the table does not name the kernels' tuning" >&2; exit 1; }
# Other programs' work while it measured: in the report and in the table.
/usr/bin/python3 -c 'import json, sys; o = json.load(open(sys.argv[1]))["other_work"]; assert o["cpus"] >= 1 and 0 <= o["busy_cores"] <= o["cpus"], o' \
  "$work/now.json" || { echo "the report lacks other_work" >&2; exit 1; }
grep -q "other programs kept .* CPUs busy while it measured" "$work/table.txt" ||
  { echo "the table does not say what other programs did" >&2; exit 1; }

"$cli" compare "$src/docs/machines/build-machine.json" "$work/now.json" > "$work/compare.txt"
cat "$work/compare.txt"
for want in '^memory' '^os' 'B vs A' 'threads_over_simd:' 'gpu_over_cpu: never on A, never on B'; do
  grep -q -- "$want" "$work/compare.txt" || { echo "compare output lacks '$want'" >&2; exit 1; }
done

# More reports than letters: labels go on as A27, A28, in plain ASCII.
many=()
for _ in $(seq 28); do many+=("$work/now.json"); done
"$cli" compare "${many[@]}" > "$work/many.txt"
grep -q 'A28 vs A' "$work/many.txt" || { echo "no label A28 for the 28th report" >&2; exit 1; }
LC_ALL=C grep -q -P '[^\x00-\x7F]' "$work/many.txt" && { echo "labels past Z are not ASCII" >&2; exit 1; }

# A report missing what compare reads is refused, naming the file and the key.
echo '{"schema": "switchyard-caps", "schema_version": 1}' > "$work/bare.json"
if "$cli" compare "$work/now.json" "$work/bare.json" 2> "$work/err.txt"; then
  echo "compare accepted a report without facts" >&2
  exit 1
fi
grep -q "$work/bare.json is not a complete caps report: no \"facts\" object" "$work/err.txt" || { cat "$work/err.txt"; exit 1; }

if "$cli" compare "$src/docs/schema/caps.schema.json" "$work/now.json" 2> "$work/err.txt"; then
  echo "compare accepted a file that is not a report" >&2
  exit 1
fi
grep -q 'is not a switchyard caps report' "$work/err.txt"

# An option where a file name belongs is refused, and no file is made.
if (cd "$work" && "$cli" caps --json --quick 2> "$work/err.txt"); then
  echo "caps took --quick as the JSON file's name" >&2
  exit 1
fi
grep -q 'not the option --quick' "$work/err.txt" || { cat "$work/err.txt"; exit 1; }
[[ ! -e "$work/--quick" ]] || { echo "caps wrote a file named --quick" >&2; exit 1; }
echo "caps CLI: ok"
