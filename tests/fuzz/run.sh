#!/usr/bin/env bash
# Build the fuzz targets with clang (libFuzzer + ASan + UBSan) and run each
# for a bounded time (FUZZ_SECONDS, default 60): the qcow2 parser from a seed
# corpus of images qemu-img makes, and the QMP monitor's JSON layer
# (fuzz_json.c) from a few QMP requests. Exit status 0 if no crash was found.
# Needs clang, qemu-img.
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
clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$ROOT" -o "$OUT/fuzz_json" "$ROOT/tests/fuzz/fuzz_json.c" "$ROOT/frontend/json.c" -lm
mkdir -p "$OUT/corpus-json"
printf '{"execute": "qmp_capabilities"}\n' > "$OUT/corpus-json/caps"
printf '{"execute":"human-monitor-command","arguments":{"command-line":"x/4xw 0"},"id":[1,{"a":null}]}' \
    > "$OUT/corpus-json/hmp"
printf "['\\u00e9\\ud83d\\ude00', -1.5e-3, 9223372036854775808, true, false, {}]\xff}{" \
    > "$OUT/corpus-json/mixed"
cd "$OUT"
# run TARGET CORPUS MAX_LEN: stderr carries one report per input; keep only the outcome.
run() {
    local rc
    "$OUT/$1" -max_total_time="$SECS" -max_len="$3" -rss_limit_mb=1024 \
        -print_final_stats=1 "$OUT/$2" 2>"$OUT/$1.log" && rc=0 || rc=$?
    echo "$1:"
    grep -E '^(stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)' "$OUT/$1.log" || true
    if [[ $rc -ne 0 ]]; then
        echo "$1: FAILED (see $OUT/$1.log and the crash-* file in $OUT)"
        tail -40 "$OUT/$1.log"
    fi
    return $rc
}
status=0
run fuzz_qcow2 corpus 65536 || status=1
run fuzz_json corpus-json 16384 || status=1
exit $status
