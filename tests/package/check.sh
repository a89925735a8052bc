#!/usr/bin/env bash
# The package test, as a user would try it. Installs this build into a
# temporary prefix and, against it:
#  - builds the consumer (every reduction on every element type) with g++ and
#    with clang++, -Wall -Wextra -Werror, through find_package, and runs both;
#  - runs the README's pkg-config line exactly as written, and compiles and
#    links every C++ block of the README with it (the MPI example through
#    find_package(switchyard COMPONENTS mpi), run on two ranks);
#  - when the install has the GPU backend, with the CUDA toolkit hidden (a
#    mount namespace over /usr/local/cuda), configures, builds and runs the
#    consumer; and checks that a CPU-only program carries no CUDA runtime.
# With OTHER_KIND=1 it also builds the library the other way (shared if this
# build is static), in Debug with clang++, without liburing or precompiled
# headers, as a unity build with one SIMD target, and runs the same
# consumers against it (with clang++ alone), two steps at a time; of the
# shared library it checks the SONAME and that only the public API is
# exported.
# usage: check.sh BUILD_DIR SOURCE_DIR CXX "CXX_FLAGS" SHARED(0|1) OTHER_KIND(0|1)
set -euo pipefail
build=$1 src=$2 cxx=$3 flags=$4 shared=$5 other=$6
work=$(mktemp -d)
other_build=
# A failure stops the background build (its own process group) before its folder goes.
trap '[[ -z $other_build ]] || kill -- -"$other_build" 2>/dev/null; wait; rm -rf "$work"' EXIT
step() { echo "== $*"; }

# Runs two steps at once, each into a log of its own, then prints both logs
# in order; fails if either step failed. Each step is one compiler at a time,
# so two at once keep two cores busy once the other kind's build is done.
side_by_side() {  # STEP ARG... -- STEP ARG...
  local first=() rest=("$@") log_a log_b a b status=0
  while [[ ${rest[0]} != -- ]]; do first+=("${rest[0]}"); rest=("${rest[@]:1}"); done
  rest=("${rest[@]:1}")
  log_a=$(mktemp -p "$work") log_b=$(mktemp -p "$work")
  "${first[@]}" >"$log_a" 2>&1 &
  a=$!
  "${rest[@]}" >"$log_b" 2>&1 &
  b=$!
  wait "$a" || status=1
  wait "$b" || status=1
  cat "$log_a" "$log_b"
  return "$status"
}

find_package_consumers() {  # PREFIX LABEL COMPILER...
  local prefix=$1 label=$2
  for compiler in "${@:3}"; do
    step "$label: the consumer with $compiler, through find_package"
    cmake -S "$src/tests/package/consumer" -B "$work/$label-$compiler" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_CXX_COMPILER="$compiler" -DCMAKE_CXX_FLAGS="$flags" >/dev/null
    cmake --build "$work/$label-$compiler" >/dev/null
    "$work/$label-$compiler/consumer"
  done

  step "$label: find_package(switchyard COMPONENTS cuda) as the install has it or not"
  mkdir -p "$work/$label-component"
  printf 'cmake_minimum_required(VERSION 3.25)\nproject(c LANGUAGES CXX)\nfind_package(switchyard REQUIRED COMPONENTS cuda)\n' \
    > "$work/$label-component/CMakeLists.txt"
  local found=0
  cmake -S "$work/$label-component" -B "$work/$label-component/build" -DCMAKE_PREFIX_PATH="$prefix" \
    >/dev/null 2>&1 && found=1
  if grep -q "define SWITCHYARD_HAS_CUDA 1" "$prefix/include/switchyard/config.h"; then
    (( found )) || { echo "the cuda component was not found in an install that has it" >&2; exit 1; }
    [[ -n $(find "$prefix" -name 'libswitchyard_cuda.so.*') ]] || { echo "no cuda module installed" >&2; exit 1; }
  else
    (( ! found )) || { echo "the cuda component was found in an install without it" >&2; exit 1; }
  fi
  echo "   cuda component found: $found"
}

readme_consumers() {  # PREFIX LABEL
  local prefix=$1 label=$2 pcdir line
  pcdir=$(find "$prefix" -name switchyard.pc -printf '%h\n')
  step "$label: the README's pkg-config line, as written"
  line=$(grep -m1 -E '^g\+\+ .*pkg-config --cflags --libs switchyard' "$src/README.md")
  mkdir -p "$work/$label-pc"
  cp "$src/tests/package/consumer/main.cpp" "$work/$label-pc/app.cpp"
  (cd "$work/$label-pc" && PKG_CONFIG_PATH="$pcdir" eval "$line $flags" && LD_LIBRARY_PATH="$prefix/lib" ./app)

  step "$label: every C++ block of the README compiles and links"
  python3 - "$src/README.md" "$work/$label-pc" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for i, block in enumerate(re.findall(r"```cpp\n(.*?)```", text, re.S)):
    name = "mpi_example" if "switchyard/mpi.hpp" in block else "readme"  # MPI's needs mpi.h: built below
    name = "http_example" if "switchyard/http.hpp" in block else name  # needs the http component: built below
    open(f"{sys.argv[2]}/{name}_{i}.cpp", "w").write(block)
PY
  # Side by side: a block is one compile, and the machine has more than one core.
  local pids=() f
  for f in "$work/$label-pc"/readme_*.cpp; do
    (cd "$work/$label-pc" && PKG_CONFIG_PATH="$pcdir" eval "${line//app.cpp -o app/$(basename "$f") -o ${f%.cpp}} $flags" &&
       echo "   $(basename "$f"): ok") &
    pids+=($!)
  done
  for f in "${pids[@]}"; do wait "$f"; done
}

# The README's example for COMPONENT (extracted by readme_consumers), built
# through find_package(switchyard COMPONENTS COMPONENT) in $work/LABEL-COMPONENT.
component_example() {  # PREFIX LABEL COMPONENT
  local prefix=$1 label=$2 component=$3 dir=$work/$2-$3
  mkdir -p "$dir"
  cat "$work/$label-pc"/"$component"_example_*.cpp > "$dir/app.cpp"
  printf '%s\n' 'cmake_minimum_required(VERSION 3.25)' 'project(c LANGUAGES CXX)' \
    "find_package(switchyard REQUIRED COMPONENTS $component)" 'add_executable(app app.cpp)' \
    'target_compile_options(app PRIVATE -Wall -Wextra -Werror)' "target_link_libraries(app PRIVATE switchyard::$component)" \
    > "$dir/CMakeLists.txt"
  cmake -S "$dir" -B "$dir/build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="$flags" >/dev/null
  cmake --build "$dir/build" >/dev/null
}

http_consumer() {  # PREFIX LABEL (after readme_consumers, which extracts the example)
  local prefix=$1 label=$2
  grep -q "define SWITCHYARD_HAS_HTTP 1" "$prefix/include/switchyard/config.h" || return 0
  step "$label: the README's HTTP example through find_package(switchyard COMPONENTS http), compiled and linked"
  component_example "$prefix" "$label" http
  echo "   http example: ok"
}

mpi_consumer() {  # PREFIX LABEL (after readme_consumers, which extracts the example)
  local prefix=$1 label=$2
  if grep -q "define SWITCHYARD_HAS_MPI 1" "$prefix/include/switchyard/config.h"; then
    step "$label: the README's MPI example through find_package(switchyard COMPONENTS mpi), on 2 ranks"
    component_example "$prefix" "$label" mpi
    local out
    # Under ASan, Open MPI's own leaks at MPI_Finalize (from components it has
    # dlclosed: tests/mpi/CMakeLists.txt says more) are not the example's.
    out=$(OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none \
          ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
          mpirun -np 2 --oversubscribe "$work/$label-mpi/build/app")
    echo "   $out"
    [[ $out == "sum 1000500.0, min at 0" ]] || { echo "the MPI example printed something else" >&2; exit 1; }
  else
    mkdir -p "$work/$label-no-mpi"
    printf 'cmake_minimum_required(VERSION 3.25)\nproject(c LANGUAGES CXX)\nfind_package(switchyard REQUIRED COMPONENTS mpi)\n' \
      > "$work/$label-no-mpi/CMakeLists.txt"
    if cmake -S "$work/$label-no-mpi" -B "$work/$label-no-mpi/build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1; then
      echo "the mpi component was found in an install without it" >&2
      exit 1
    fi
    echo "   no mpi component in this install, and find_package says so"
  fi
}

consumers() {  # PREFIX LABEL COMPILER...
  side_by_side find_package_consumers "$@" -- readme_consumers "$1" "$2"
  side_by_side http_consumer "$1" "$2" -- mpi_consumer "$1" "$2"
}

# The other kind's library builds on every core while this build's
# consumers are tried: the test took 129 s on the two-core build guest with
# the build after them, 105 s this way. It is a Debug build: CI's only
# compile of that configuration (assertions on); by clang++, a second
# compiler's, in 0.6 of g++'s time (99 against 159 CPU-s on the Zen 5 build
# guest); without precompiled headers; and, since what it is for is what is
# installed and how it is found, a unity build (as the asan preset's) with
# the SIMD kernels for Highway's static target alone (every target is the
# other builds' work): 67 CPU-s against 148 on the Zen 1 guest, and the
# test 123 -> 83 s with the consumers two at a time.
if (( other )); then
  kind=$(( shared ? 0 : 1 ))
  step "build the library with BUILD_SHARED_LIBS=$kind, Debug, clang++, without liburing (in the background)"
  cmake -S "$src" -B "$work/other" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug -DBUILD_SHARED_LIBS=$kind -DCMAKE_DISABLE_PRECOMPILE_HEADERS=ON -DCMAKE_UNITY_BUILD=ON \
    -DSWITCHYARD_BUILD_TESTS=OFF -DSWITCHYARD_BUILD_BENCH=OFF -DSWITCHYARD_BUILD_EXAMPLES=OFF \
    -DSWITCHYARD_BUILD_CLI=OFF -DSWITCHYARD_ENABLE_CUDA=OFF -DCMAKE_DISABLE_FIND_PACKAGE_liburing=ON \
    -DCMAKE_CXX_FLAGS="$flags -DHWY_COMPILE_ONLY_STATIC" >"$work/other.log"
  grep -q "define SWITCHYARD_HAS_IO_URING 0" "$work/other/include/switchyard/config.h" ||
    { echo "liburing was used" >&2; exit 1; }
  grep -A3 "features have been disabled" "$work/other.log" | grep -q "io_uring" ||
    { echo "the configure summary does not say io_uring is off" >&2; exit 1; }
  setsid cmake --build "$work/other" --parallel "$(nproc)" >"$work/other-build.log" 2>&1 &
  other_build=$!
fi

step "install this build"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
consumers "$work/prefix" this g++ clang++

# A program built against an install with the GPU backend, on a machine
# without CUDA's toolkit, builds and runs and carries no CUDA runtime (the
# module is loaded when a call first needs the GPU). Without the GPU backend
# the consumer built above is that program already.
cpu_only=$work/this-g++/consumer
if grep -q "define SWITCHYARD_HAS_CUDA 1" "$work/prefix/include/switchyard/config.h"; then
  if (( EUID == 0 )) && command -v unshare >/dev/null; then
    step "the consumer with the CUDA toolkit hidden"
    unshare -m bash -euo pipefail -c '
      if [[ -d /usr/local/cuda ]]; then mount -t tmpfs none "$(readlink -f /usr/local/cuda)"; fi
      # Folders on PATH that still hold an nvcc (a wrapper in /usr/local/bin) go too.
      PATH=$(tr : "\n" <<<"$PATH" | while read -r d; do [[ -e $d/nvcc ]] || echo "$d"; done | paste -sd:)
      if command -v nvcc >/dev/null; then echo "nvcc is still visible" >&2; exit 1; fi
      cmake -S "$1/tests/package/consumer" -B "$2/no-cuda" -G Ninja -DCMAKE_PREFIX_PATH="$2/prefix" \
        -DCMAKE_CXX_FLAGS="$3" >/dev/null
      cmake --build "$2/no-cuda" >/dev/null
      "$2/no-cuda/consumer"' _ "$src" "$work" "$flags"
    cpu_only=$work/no-cuda/consumer
  else
    echo "== skipped: hiding the CUDA toolkit needs root and unshare"
  fi
fi
if nm -C "$cpu_only" | grep -E -q 'cudaMalloc|cudaLaunch|__cudaRegister'; then
  echo "the CPU-only consumer carries CUDA's runtime" >&2
  exit 1
fi
echo "   no CUDA runtime in $(basename "$(dirname "$cpu_only")")/consumer ($(stat -c %s "$cpu_only") bytes)"

check_shared() {  # PREFIX
  local so
  so=$(find "$1" -name 'libswitchyard.so.*.*.*')
  step "the shared library: SONAME and exported symbols"
  readelf -d "$so" | grep -q 'SONAME.*libswitchyard\.so\.[0-9]*\.[0-9]*\]' || { readelf -d "$so" | grep SONAME; exit 1; }
  if nm -DC --defined-only "$so" | grep -E 'switchyard::(backends|kernels)|tbb::|hwy::'; then
    echo "the shared library exports internals (above)" >&2
    exit 1
  fi
  echo "   $(nm -DC --defined-only "$so" | grep -c 'switchyard::') switchyard symbols exported, none internal"
}
if (( shared )); then check_shared "$work/prefix"; fi

if (( other )); then
  step "the library with BUILD_SHARED_LIBS=$kind: waiting for its build"
  status=0
  wait "$other_build" || status=$?
  other_build=
  (( status == 0 )) || { cat "$work/other-build.log" >&2; echo "building the library failed (above)" >&2; exit 1; }
  cmake --install "$work/other" --prefix "$work/other-prefix" >/dev/null
  # One compiler: the headers are the same; what differs is the library linked.
  consumers "$work/other-prefix" other clang++
  if (( kind )); then check_shared "$work/other-prefix"; fi
fi
echo "package: ok"
