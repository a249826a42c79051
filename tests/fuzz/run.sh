#!/usr/bin/env bash
# Build the qcow2 fuzz target with clang (libFuzzer + ASan + UBSan) and run it
# for a bounded time (FUZZ_SECONDS, default 60) from a seed corpus of images
# qemu-img makes. Exit status 0 if no crash was found. Needs clang, qemu-img.
#
#   bash tests/fuzz/run.sh [OUTDIR]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${1:-$ROOT/build/fuzz}
SECS=${FUZZ_SECONDS:-60}
mkdir -p "$OUT/corpus"
OUT=$(cd "$OUT" && pwd)   # absolute: the run below changes into it
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$ROOT" -o "$OUT/fuzz_qcow2" "$ROOT/tests/fuzz/fuzz_qcow2.c" \
    "$ROOT"/devices/block/*.c -lz
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c 200000 /dev/urandom > "$tmp/r.raw"
n=0
for o in "" "-o compat=0.10" "-c -o cluster_size=512" "-o cluster_size=4096,refcount_bits=1"; do
    n=$((n + 1))
    qemu-img convert -O qcow2 $o "$tmp/r.raw" "$tmp/s$n.qcow2"
    cp "$tmp/s$n.qcow2" "$OUT/corpus/seed$n"
done
qemu-img create -q -f qcow2 -o cluster_size=512 "$OUT/corpus/empty" 1M
cd "$OUT"
# stderr carries one corruption report per input; keep only the outcome.
"$OUT/fuzz_qcow2" -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=1024 \
    -print_final_stats=1 "$OUT/corpus" 2>"$OUT/fuzz.log" && rc=0 || rc=$?
grep -E '^(stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' "$OUT/fuzz.log" || true
if [[ $rc -ne 0 ]]; then
    echo "fuzz_qcow2: FAILED (see $OUT/fuzz.log and the crash-* file in $OUT)"
    tail -40 "$OUT/fuzz.log"
fi
exit $rc
