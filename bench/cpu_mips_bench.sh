#!/bin/sh
# Build softvm_core optimised and print the interpreter's guest MIPS on a
# tight register loop and a memory-heavy loop (no devices, no firmware).
#   bench/cpu_mips_bench.sh [build-dir] [millions of instructions] [interp|jit]
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build-bench}
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" --target softvm_core -j2 >/dev/null
cc -std=gnu17 -O2 -I"$src" -o "$build/cpu_mips_bench" "$src/bench/cpu_mips_bench.c" \
   "$build/libsoftvm_core.a" $(pkg-config --libs capstone libelf sdl2 slirp zlib libpng libzstd libseccomp) -lm
"$build/cpu_mips_bench" ${2:-100} ${3:-}
