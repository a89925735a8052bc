#!/usr/bin/env bash
# rank_death_test.sh MPIEXEC PROBE RANKS: one rank of RANKS dies mid-reduction;
# the others must each report errc::timed_out within 2 s plus a 3 s margin.
# --enable-recovery keeps mpirun from killing the survivors itself.
set -uo pipefail
mpiexec=$1 probe=$2 ranks=$3
out=$(timeout 60 "$mpiexec" -np "$ranks" --oversubscribe --enable-recovery "$probe" 2>&1)
echo "$out"
survivors=$(grep -c "^survivor rank [0-9]*: timed_out after" <<<"$out")
if (( survivors != ranks - 1 )); then
  echo "FAIL: $survivors of $((ranks - 1)) surviving ranks reported timed_out"
  exit 1
fi
while read -r ms; do
  if (( ms > 5000 )); then echo "FAIL: a survivor took $ms ms"; exit 1; fi
done < <(grep -o "timed_out after [0-9]*" <<<"$out" | grep -o "[0-9]*$")
echo "PASS: every surviving rank failed with timed_out within the bound"
