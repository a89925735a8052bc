#!/usr/bin/env bash
# bench/mpi_scaling.sh [MAX_RANKS] [mpi_bench options]: switchyard::mpi on
# 1..MAX_RANKS ranks (default 4; oversubscribed beyond the cores), one table.
# Run from the repository root after ./sy test or ./sy bench.
set -euo pipefail
max=${1:-4}
shift || true
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
for np in $(seq 1 "$max"); do
  header=()
  (( np == 1 )) && header=(--header)
  # Not bound to one core each (mpirun binds up to 2 ranks by default), so a
  # rank's local threads can use the cores the ranks leave.
  mpirun -np "$np" --oversubscribe --bind-to none build/release/bin/mpi_bench "${header[@]}" "$@"
done
