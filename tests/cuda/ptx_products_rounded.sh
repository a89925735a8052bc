#!/usr/bin/env bash
# ptx_products_rounded.sh PTX...: the float kernels' PTX rounds every product
# on its own (mul.rn) and holds no FMA, so dot and sum_of_squares give the
# same bits on every GPU model and under JIT, and the same as the host replay
# (cuda_grid_replay_test). Needs nvcc only, no GPU.
set -euo pipefail
files=()
for arg in "$@"; do  # ctest passes CMake's list as one argument
  IFS=';' read -r -a some <<<"$arg"
  files+=("${some[@]}")
done
for ptx in "${files[@]}"; do
  rounded=$(grep -cE 'mul\.rn\.f(32|64)' "$ptx" || true)
  loose=$(grep -cE 'fma(\.[a-z]+)*\.f(32|64)|mul\.f(32|64)' "$ptx" || true)
  echo "$(basename "$ptx"): $rounded rounded products, $loose contractible multiplies or FMAs"
  if (( rounded == 0 )); then echo "FAIL: no rounded product found: is this the kernels' PTX?"; exit 1; fi
  if (( loose != 0 )); then
    grep -nE 'fma(\.[a-z]+)*\.f(32|64)|mul\.f(32|64)' "$ptx" | head -5
    echo "FAIL: a float multiply that may be fused"
    exit 1
  fi
done
echo "PASS"
