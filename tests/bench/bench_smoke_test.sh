#!/usr/bin/env bash
# `switchyard bench` as a user runs it, at tiny sizes: one suite, four cases,
# two repetitions; what results.json, report.md and the plots hold; compare
# of the run with itself; a run stopped by Ctrl-C keeps what it measured;
# an unknown suite is refused.
# usage: bench_smoke_test.sh SWITCHYARD_BINARY
set -euo pipefail
cli=$1
work=$(mktemp -d)
pid=
cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "bench smoke: $*" >&2; exit 1; }

"$cli" bench --suite reduce --filter 'sweep_sum/(simd|serial)/bytes:(1024|4096)/' --repetitions 2 \
  --out "$work/run" > "$work/out.txt" 2> "$work/err.txt" || { cat "$work/err.txt"; fail "the run failed"; }
grep -q 'Fastest backend at each size' "$work/out.txt" || fail "no summary table on stdout"
grep -q "report:  $work/run/report.md" "$work/out.txt" || fail "stdout does not say where the report is"

/usr/bin/python3 - "$work/run" <<'PY'
import json, os, sys
run = sys.argv[1]
r = json.load(open(os.path.join(run, "results.json")))
assert r["format"] == "switchyard-bench-results/1", r["format"]
ctx = r["context"]
for key in ("caps", "commit", "build_type", "date", "load_before", "load_after", "mode", "repetitions"):
    assert key in ctx, f"context lacks {key}"
assert ctx["caps"]["schema"] == "switchyard-caps"
assert ctx["mode"] == "quick" and ctx["repetitions"] == 2
# Other programs' work over the run: the suites' own processes are not in it.
assert ctx["other_work"]["cpus"] >= 1 and 0 <= ctx["other_work"]["busy_cores"] <= ctx["other_work"]["cpus"], ctx["other_work"]
reduce = r["suites"]["reduce"]
assert reduce["status"] == "ran", reduce
runs = [b for b in reduce["results"]["benchmarks"] if b["run_type"] == "iteration"]
names = sorted({b["run_name"].split("/min_time")[0] for b in runs})
assert names == ["sweep_sum/serial/bytes:1024", "sweep_sum/serial/bytes:4096",
                 "sweep_sum/simd/bytes:1024", "sweep_sum/simd/bytes:4096"], names
assert len(runs) == 8, len(runs)
assert all(b["bytes_per_second"] > 0 for b in runs)
report = open(os.path.join(run, "report.md")).read()
for want in ("# switchyard bench", "**Machine:**", "**commit**", "**Other programs**", "#### sum (float), GB/s",
             "sweep_sum/simd/bytes:4096", "interquartile range", "## Goals"):
    assert want in report, f"report.md lacks {want!r}"
try:
    import matplotlib  # noqa: F401
    assert os.path.exists(os.path.join(run, "reduce_sum.png")), "matplotlib is here but no plot was drawn"
    assert "![reduce_sum.png](reduce_sum.png)" in report
except ImportError:
    assert "Not drawn" in report
PY

# The run against itself: the same numbers, so every verdict is "same".
"$cli" compare "$work/run/results.json" "$work/run/results.json" > "$work/compare.txt"
grep -q '4 cases: 0 faster, 0 slower, 4 same, 0 unclear' "$work/compare.txt" || { cat "$work/compare.txt"; fail "compare of a run with itself"; }

# Ctrl-C in the middle of a suite: the run stops, says so, and keeps the cases it finished.
"$cli" bench --suite reduce --filter 'sweep_' --repetitions 1 --out "$work/stopped" > "$work/out2.txt" 2> "$work/err2.txt" &
pid=$!
for _ in $(seq 300); do
  grep -q 'sweep_' "$work/err2.txt" 2>/dev/null || grep -Eq '[1-9][0-9]*/[0-9]+ cases' "$work/err2.txt" 2>/dev/null && break
  sleep 0.1
done
sleep 2
kill -INT "$pid"
status=0
wait "$pid" || status=$?
pid=
(( status == 130 )) || { cat "$work/err2.txt"; fail "a stopped run exited with $status, not 130"; }
/usr/bin/python3 - "$work/stopped" <<'PY'
import json, os, sys
r = json.load(open(os.path.join(sys.argv[1], "results.json")))
assert r["context"]["interrupted"] is True
reduce = r["suites"]["reduce"]
assert reduce["status"] == "interrupted", reduce["status"]
kept = [b for b in reduce.get("results", {}).get("benchmarks", []) if b["run_type"] == "iteration"]
assert kept, "a stopped run kept no case"
assert "Stopped by Ctrl-C" in open(os.path.join(sys.argv[1], "report.md")).read()
print(f"stopped run kept {len(kept)} cases")
PY

if "$cli" bench --suite nope --out "$work/x" 2> "$work/err3.txt"; then fail "an unknown suite was accepted"; fi
grep -q -- '--suite nope is not one of reduce, processes, io, http, dispatch, cuda, seed' "$work/err3.txt" || { cat "$work/err3.txt"; fail "no clear message for an unknown suite"; }
echo "bench smoke: ok"
