#!/bin/sh
# Build softvm_core optimised and run the softMMU fast-path benchmark.
#   bench/mem_tlb_bench.sh [build-dir] [accesses]
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-bench}
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target softvm_core -j2 >/dev/null
cc -std=gnu17 -O2 -I"$src" -o "$build/mem_tlb_bench" "$src/bench/mem_tlb_bench.c" \
   "$build/libsoftvm_core.a" $(pkg-config --libs capstone libelf sdl2 slirp zlib libpng libzstd libseccomp) -lm
"$build/mem_tlb_bench" ${2:-}
