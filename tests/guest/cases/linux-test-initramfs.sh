#!/usr/bin/env bash
# Boot Debian's stock i686 kernel with the test initramfs: every workload MARK
# must appear in order with its expected value, and softvm must exit 0 after
# the guest powers off. Runs once per accelerator in $SOFTVM_ACCELS, on the
# deterministic clock from a fixed RTC start: the whole console (MARK uptimes
# included) is $CONSOLE_DIR/full.log, which suite.sh compares across engines.
# This is the one case where the interpreter runs every workload (the other
# long Linux cases stop it at MARK boot-ok).
#
# SOFTVM_GUEST_LINUX=0 skips it (for quick local runs).
set -uo pipefail

if [[ ${SOFTVM_GUEST_LINUX:-1} == 0 ]]; then
    echo "skip: Linux guest cases switched off (SOFTVM_GUEST_LINUX=0)"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $GUEST_KERNEL && -f $GUEST_TEST_INITRD ]] ||
    { echo "missing guest images: bash tests/guests/build.sh"; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel:"
    python3 "$HARNESS" --timeout 900 --fail-on "Kernel panic" \
        --expect-file "$GUEST_EXPECTED_MARKS" --log "$log" -- \
        "$SOFTVM" -accel "$accel" -m 256 -kernel "$GUEST_KERNEL" -initrd "$GUEST_TEST_INITRD" \
        -append "console=ttyS0 quiet" -rtc base=2026-01-01T00:00:00 -clock deterministic \
        -nographic -no-reboot || { status=1; continue; }
    [[ -z ${CONSOLE_DIR:-} ]] || cp "$log" "$CONSOLE_DIR/full.log"
done
exit $status
