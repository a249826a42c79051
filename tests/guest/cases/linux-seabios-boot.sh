#!/usr/bin/env bash
# Boot the same kernel and test initramfs as linux-test-initramfs.sh, but
# through the firmware: with -bios given explicitly, -kernel/-initrd/-append
# are handed to SeaBIOS over fw_cfg (devices/machine/machine.c: -kernel without
# -bios is direct boot, with -bios it is BOOT_FIRMWARE) and SeaBIOS starts
# the kernel. SeaBIOS's log (debug console, shared with COM1 on stdout)
# must show its banner, then every workload MARK must appear in order with
# its expected value, and softvm must exit 0 after the guest powers off.
# Runs once per accelerator in $SOFTVM_ACCELS, on the deterministic clock
# from a fixed RTC start; the console up to MARK boot-ok is
# $CONSOLE_DIR/boot.log, which suite.sh compares across engines.
# On the interpreter the run stops at MARK boot-ok (firmware, the fw_cfg
# hand-off and the whole kernel boot): the workloads after it are the same
# as linux-test-initramfs's, which runs them all on the interpreter, and
# take most of the time. GUEST_INTERP_FULL=1 runs them here too.
#
# Skips (exit 77) while softvm answers "not implemented yet" for -kernel with
# -bios. SOFTVM_GUEST_LINUX=0 skips it (for quick local runs).
set -uo pipefail

if [[ ${SOFTVM_GUEST_LINUX:-1} == 0 ]]; then
    echo "skip: Linux guest cases switched off (SOFTVM_GUEST_LINUX=0)"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $GUEST_KERNEL && -f $GUEST_TEST_INITRD ]] ||
    { echo "missing guest images: bash tests/guests/build.sh"; exit 1; }
[[ -f $FIRMWARE_BIOS ]] || { echo "missing firmware: bash roms/fetch-firmware.sh"; exit 1; }

out=$(mktemp)
log=$(mktemp)
trap 'rm -f "$out" "$log"' EXIT

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel:"
    if [[ $accel == interp && ${GUEST_INTERP_FULL:-0} != 1 ]]; then
        want=(--expect boot-ok --stop-when-done)
        echo "(the interpreter: up to MARK boot-ok; GUEST_INTERP_FULL=1 runs every workload)"
    else
        want=(--expect-file "$GUEST_EXPECTED_MARKS")
    fi
    python3 "$HARNESS" --timeout 900 --fail-on "Kernel panic" \
        --expect-text 'SeaBIOS (version' "${want[@]}" --log "$log" -- \
        "$SOFTVM" -accel "$accel" -m 256 -bios "$FIRMWARE_BIOS" -debugcon stdio \
        -kernel "$GUEST_KERNEL" -initrd "$GUEST_TEST_INITRD" \
        -append "console=ttyS0 quiet" -rtc base=2026-01-01T00:00:00 -clock deterministic \
        -nographic -no-reboot > "$out"
    rc=$?
    if [[ $rc -ne 0 ]] && grep -q 'with -bios: .*not implemented yet' "$out"; then
        grep 'not implemented yet' "$out"
        echo "skip: softvm cannot boot a kernel through SeaBIOS yet"
        exit 77
    fi
    cat "$out"
    [[ $rc -eq 0 ]] || { status=1; continue; }
    [[ -z ${CONSOLE_DIR:-} ]] ||
        awk '{ print } index($0, "MARK boot-ok ") { exit }' "$log" > "$CONSOLE_DIR/boot.log"
done
exit $status
