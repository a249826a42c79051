#!/usr/bin/env bash
# softvm's benchmark entry point: softvm against QEMU TCG on the same guests.
#
#   bash bench/run.sh [--parts boot,loops,extra] [--boot-timeout S] [...]
#
# Installs what is missing (qemu-system-x86 and GNU time, with apt-get),
# builds softvm in Release in build-bench/ (or uses $SOFTVM), assembles the
# loop kernels (bench/loop_kernel.asm), then runs bench/bench.py, which
# prints the tables; its options (bench/bench.py --help) can be given here.
# Needs the guest images (bash tests/guests/build.sh) for the boot part.
# Not a test: nothing here passes or fails, and CI does not run it.
# bench/README.md explains how to read the output.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
say() { echo "[bench] $*" >&2; }

# --- packages ---------------------------------------------------------------
need=()
command -v qemu-system-i386 >/dev/null || need+=(qemu-system-x86)
[[ -x /usr/bin/time ]] || need+=(time)
command -v nasm >/dev/null || need+=(nasm)
if [[ ${#need[@]} -gt 0 ]]; then
    say "installing ${need[*]}"
    SUDO=()
    [[ $(id -u) -eq 0 ]] || SUDO=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${need[@]}" ||
        { "${SUDO[@]}" apt-get update -q && "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${need[@]}"; }
fi

# --- softvm -----------------------------------------------------------------
BUILD=${BENCH_BUILD_DIR:-$ROOT/build-bench}
if [[ -z ${SOFTVM:-} ]]; then
    say "building softvm (Release) in $BUILD"
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    # Only the program: unit tests are not needed to benchmark.
    cmake --build "$BUILD" --target softvm -j "$(nproc)" >/dev/null
    SOFTVM=$BUILD/softvm
fi
[[ -x $SOFTVM ]] || { say "no softvm at $SOFTVM"; exit 1; }

# --- loop kernels -----------------------------------------------------------
mkdir -p "$BUILD/bench"
for w in 1 2 3 4 5; do
    nasm -f bin -Itests/asm/ -DWORKLOAD=$w -o "$BUILD/bench/loop$w.bin" bench/loop_kernel.asm
done

# --- guests -----------------------------------------------------------------
CACHE=${SOFTVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/softvm}
if [[ ! -f $CACHE/vmlinuz || ! -f $CACHE/test-initramfs.cpio.gz ]]; then
    say "no guest images in $CACHE: building them (tests/guests/build.sh)"
    bash tests/guests/build.sh
fi

say "softvm: $SOFTVM ($("$SOFTVM" -version 2>&1 | head -n 1)); qemu: $(qemu-system-i386 --version | head -n 1)"
exec python3 bench/bench.py --softvm "$SOFTVM" --qemu "$(command -v qemu-system-i386)" \
    --accels "${SOFTVM_ACCELS:-interp jit}" --cache "$CACHE" \
    --expected-marks tests/guests/expected-marks --loop-dir "$BUILD/bench" \
    --build-dir "$BUILD" "$@"
