#!/usr/bin/env bash
# The JIT retires exactly the interpreter's instructions: the stock kernel
# with the test initramfs, booted once with -accel interp and once with
# -accel jit (fixed RTC start, deterministic clock, the whole boot log with
# printk timestamps), must print byte-identical consoles up to MARK
# $ENGINES_UNTIL (default boot-ok). Skipped where the JIT is not built
# (not an x86-64 Linux host).
#
# SOFTVM_GUEST_LINUX=0 skips it (for quick local runs).
set -uo pipefail

if [[ ${SOFTVM_GUEST_LINUX:-1} == 0 ]]; then
    echo "skip: Linux guest cases switched off (SOFTVM_GUEST_LINUX=0)"
    exit 77
fi
if [[ $(uname -m) != x86_64 || $(uname -s) != Linux ]]; then
    echo "skip: the JIT needs an x86-64 Linux host"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $GUEST_KERNEL && -f $GUEST_TEST_INITRD ]] ||
    { echo "missing guest images: bash tests/guests/build.sh"; exit 1; }

until_mark=${ENGINES_UNTIL:-boot-ok}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# boot ACCEL LOG: the console goes to LOG, cut after MARK $until_mark.
boot() {
    local accel=$1 log=$2
    python3 "$HARNESS" --timeout 900 --fail-on "Kernel panic" \
        --expect "$until_mark" --stop-when-done --log "$log.full" -- \
        "$SOFTVM" -accel "$accel" -m 256 -kernel "$GUEST_KERNEL" -initrd "$GUEST_TEST_INITRD" \
        -append "console=ttyS0 printk.time=1" -rtc base=2026-01-01T00:00:00 \
        -clock deterministic -nographic -no-reboot || return 1
    awk -v m="MARK $until_mark " '{ print } index($0, m) { exit }' "$log.full" > "$log"
}

boot interp "$work/interp.log" || { echo "FAIL: the interpreter boot"; exit 1; }
boot jit "$work/jit.log" || { echo "FAIL: the JIT boot"; exit 1; }
if ! grep -q "MARK $until_mark " "$work/interp.log"; then
    echo "FAIL: no MARK $until_mark in the interpreter's console"
    exit 1
fi
if ! cmp -s "$work/interp.log" "$work/jit.log"; then
    echo "FAIL: the consoles differ (interp vs jit):"
    diff "$work/interp.log" "$work/jit.log" | head -40
    exit 1
fi
echo "PASS: $(wc -l < "$work/interp.log") identical lines up to MARK $until_mark, timestamps included"
