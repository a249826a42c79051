#!/usr/bin/env bash
# Guest tests: boot real guests under softvm and check their console.
#
#   bash tests/guest/suite.sh [CASE...]     (default: every case)
#
# Each test is one script tests/guest/cases/NAME.sh, run with bash from the
# repository root. It exits 0 (pass), 77 (skip: print why) or anything else
# (fail). Most cases run softvm under tests/guest/harness.py, which enforces
# a time limit, checks the MARK lines and prints the console on failure; see
# cases/linux-test-initramfs.sh for the pattern. A case may take at most
# $CASE_TIMEOUT seconds (default 1500) and is killed after that. Cases run in
# parallel ($SUITE_JOBS); tests/run-all.sh must finish well under 30 minutes.
#
# The environment a case gets (build the guests and firmware first:
# tests/run-all.sh does, or bash tests/guests/build.sh; bash roms/fetch-firmware.sh):
#   SOFTVM                    the binary under test (default build/softvm)
#   HARNESS                   tests/guest/harness.py (run it with python3)
#   SOFTVM_CACHE              the cache directory holding the images below
#   GUEST_KERNEL              Debian's stock i686 kernel (vmlinuz)
#   GUEST_TEST_INITRD         test-initramfs.cpio.gz: workloads, MARKs, power-off
#   GUEST_INTERACTIVE_INITRD  interactive-initramfs.cpio.gz: a shell on ttyS0
#   GUEST_EXPECTED_MARKS      tests/guests/expected-marks (harness --expect-file)
#   FIRMWARE_BIOS             SeaBIOS bios.bin
#   FIRMWARE_VGABIOS          SeaVGABIOS vgabios-stdvga.bin
#
# Every case's log starts with the guest images' kernel and busybox versions
# (guests.manifest). The last line printed is
# `guest suite: passed=N failed=N skipped=N`; the exit status is 1 if any case
# failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

export SOFTVM=${SOFTVM:-$ROOT/build/softvm}
export HARNESS=$ROOT/tests/guest/harness.py
export SOFTVM_CACHE=${SOFTVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/softvm}
export GUEST_KERNEL=$SOFTVM_CACHE/vmlinuz
export GUEST_TEST_INITRD=$SOFTVM_CACHE/test-initramfs.cpio.gz
export GUEST_INTERACTIVE_INITRD=$SOFTVM_CACHE/interactive-initramfs.cpio.gz
export GUEST_EXPECTED_MARKS=$ROOT/tests/guests/expected-marks
export FIRMWARE_BIOS=$SOFTVM_CACHE/bios.bin
export FIRMWARE_VGABIOS=$SOFTVM_CACHE/vgabios-stdvga.bin
CASE_TIMEOUT=${CASE_TIMEOUT:-1500}

if [[ $# -gt 0 ]]; then
    cases=()
    for name in "$@"; do cases+=("tests/guest/cases/${name%.sh}.sh"); done
else
    cases=(tests/guest/cases/*.sh)
    [[ -e ${cases[0]} ]] || cases=()
fi

# Cases run $SUITE_JOBS at a time (default: the number of cores, at most 4);
# each one's output is kept in a file and printed whole when it ends, in order.
max_jobs=${SUITE_JOBS:-$(nproc 2>/dev/null || echo 1)}
(( max_jobs > 4 )) && max_jobs=4
(( max_jobs < 1 )) && max_jobs=1
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

# The guest the images hold, from the builder's manifest: tests/guests/build.sh
# takes Debian's newest kernel and busybox, so every case's log names them and
# a change of guest shows as such (e.g. when the determinism case's output moves).
guest_versions() {
    local manifest=$SOFTVM_CACHE/guests.manifest kernel busybox
    if [[ ! -f $manifest ]]; then
        echo "guest images: no $manifest (not built yet)"
        return
    fi
    kernel=$(awk '$1 == "kernel-package" { print $2, $3 }' "$manifest")
    busybox=$(awk '$1 == "busybox-package" { print $2, $3 }' "$manifest")
    echo "guest images: kernel ${kernel:-unknown}, busybox ${busybox:-unknown} ($manifest)"
}
guest_line=$(guest_versions)
echo "$guest_line"

run_case() {   # run_case INDEX CASE: output to $logdir/INDEX.log, status to INDEX.rc
    local i=$1 case=$2 start=$SECONDS status
    echo "$guest_line"
    if [[ ! -f $case ]]; then
        echo "no such case: $case"
        status=1
    else
        timeout --kill-after=10 "$CASE_TIMEOUT" bash "$case" < /dev/null
        status=$?
    fi
    echo "$status $((SECONDS - start))" > "$logdir/$i.rc"
}

for i in "${!cases[@]}"; do
    while (( $(jobs -rp | wc -l) >= max_jobs )); do wait -n; done
    run_case "$i" "${cases[$i]}" > "$logdir/$i.log" 2>&1 &
done
wait

passed=0 failed=0 skipped=0
failed_names=()
for i in "${!cases[@]}"; do
    name=$(basename "${cases[$i]}" .sh)
    echo "--- case $name"
    cat "$logdir/$i.log"
    read -r status took < "$logdir/$i.rc"
    case $status in
        0)   echo "--- case $name: PASS (${took}s)"; passed=$((passed + 1)) ;;
        77)  echo "--- case $name: SKIP (${took}s)"; skipped=$((skipped + 1)) ;;
        124) echo "--- case $name: FAIL: killed after ${CASE_TIMEOUT}s (CASE_TIMEOUT)"
             failed=$((failed + 1)); failed_names+=("$name") ;;
        *)   echo "--- case $name: FAIL (exit status $status, ${took}s)"
             failed=$((failed + 1)); failed_names+=("$name") ;;
    esac
done

[[ $failed -eq 0 ]] || echo "failed cases: ${failed_names[*]}"
echo "guest suite: passed=$passed failed=$failed skipped=$skipped"
[[ $failed -eq 0 ]]
