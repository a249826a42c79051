#!/usr/bin/env bash
# Run the test guest's checksum workloads on the host with the guest's own
# i386 busybox and compare with tests/guests/expected-marks.
#
#   bash tests/guests/verify-workloads.sh PATH/TO/i386/busybox
#
# x86-64 Linux runs i386 static binaries natively when the kernel has IA-32
# emulation; otherwise qemu-i386 (Debian package qemu-user) is used if
# installed. Exit status: 0 all match, 1 a mismatch, 77 cannot run i386 here.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
busybox=${1:?usage: verify-workloads.sh PATH/TO/busybox}

say() { echo "[verify] $*"; }

if "$busybox" true 2>/dev/null; then
    run=("$busybox")
elif command -v qemu-i386 >/dev/null && qemu-i386 "$busybox" true 2>/dev/null; then
    run=(qemu-i386 "$busybox")
else
    say "this host cannot run i386 binaries (no IA-32 emulation, no qemu-i386): skipped"
    exit 77
fi
say "running the workloads with: ${run[*]}"

expected() { sed -n "s/^$1 //p" "$HERE/expected-marks"; }

# Every applet runs as its own process: under qemu-i386 busybox cannot
# re-exec itself for applets, so no pipelines inside `busybox sh`.
md5_32m=$("${run[@]}" dd if=/dev/zero bs=1M count=32 2>/dev/null | "${run[@]}" md5sum | cut -d ' ' -f 1)
gzip_seq=$("${run[@]}" seq 1 300000 | "${run[@]}" gzip -6 | "${run[@]}" md5sum | cut -d ' ' -f 1)
fp_awk=$("${run[@]}" awk 'BEGIN { s = 0; p = 1; h = 0; for (i = 1; i <= 40; i++) { s += 1 / (i * i); p *= (1 + 1 / i) / 1.5; h += (i % 2 ? 4 : -4) / (2 * i - 1); printf "%d %.17g %.17g %.17g\n", i, s, p, h } }' | "${run[@]}" md5sum | cut -d ' ' -f 1)
loop=$("${run[@]}" sh -c 'i=0; while [ "$i" -lt 200000 ]; do i=$((i + 1)); done; echo $i')

status=0
check() {
    local name=$1 got=$2 want
    want=$(expected "$name")
    if [[ $got == "$want" ]]; then
        say "$name: $got (as expected)"
    else
        say "$name: got $got, expected $want" >&2
        status=1
    fi
}
check shell-loop "$loop"
check md5-32M "$md5_32m"
check gzip-seq "$gzip_seq"
check fp-awk "$fp_awk"
exit $status
