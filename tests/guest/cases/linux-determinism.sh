#!/usr/bin/env bash
# Determinism: with a fixed RTC start and the deterministic clock (virtual
# time counts retired instructions), two boots of the same kernel and test
# initramfs must print byte-identical consoles -- including the printk
# timestamps (`printk.time=1`, and no `quiet`, so the whole boot log is
# shown), and the uptimes in the MARK lines.
#
# Each run stops at MARK $DETERMINISM_UNTIL (default boot-ok: the whole
# kernel boot and the start of /init; `done` runs every workload) and the
# consoles are compared up to and including that line (what comes after it
# depends on when the host stopped the run). Runs once per accelerator in
# $SOFTVM_ACCELS. The first run's console is $CONSOLE_DIR/boot.log, so
# suite.sh also checks that every engine prints the very same bytes (the
# JIT retires exactly the interpreter's instructions).
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

until_mark=${DETERMINISM_UNTIL:-boot-ok}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# boot LOG: one run; the console goes to LOG, cut after MARK $until_mark.
boot() {
    local log=$1
    python3 "$HARNESS" --timeout 900 --fail-on "Kernel panic" \
        --expect "$until_mark" --stop-when-done --log "$log.full" -- \
        "$SOFTVM" -accel "$accel" -m 256 -kernel "$GUEST_KERNEL" -initrd "$GUEST_TEST_INITRD" \
        -append "console=ttyS0 printk.time=1" -rtc base=2026-01-01T00:00:00 -clock deterministic \
        -nographic -no-reboot || return 1
    # Keep everything up to the end of the first "MARK <until_mark>" line.
    awk -v m="MARK $until_mark " '{ print } index($0, m) { exit }' "$log.full" > "$log"
}

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel: run 1"
    boot "$work/run1-$accel" || { status=1; continue; }
    echo "accel $accel: run 2"
    boot "$work/run2-$accel" || { status=1; continue; }
    if cmp -s "$work/run1-$accel" "$work/run2-$accel"; then
        echo "accel $accel: identical consoles ($(wc -l < "$work/run1-$accel") lines," \
             "$(wc -c < "$work/run1-$accel") bytes, up to MARK $until_mark)"
        [[ -z ${CONSOLE_DIR:-} ]] || cp "$work/run1-$accel" "$CONSOLE_DIR/boot.log"
    else
        echo "FAIL: accel $accel: the two consoles differ (first differences):"
        diff "$work/run1-$accel" "$work/run2-$accel" | head -n 20
        status=1
    fi
done
exit $status
