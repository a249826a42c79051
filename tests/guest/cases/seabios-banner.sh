#!/usr/bin/env bash
# SeaBIOS starts from the reset vector: with -bios and no kernel or disk, its
# banner "SeaBIOS (version ...)" must reach the debug console (port 0x402,
# here shared with the serial console on stdout). It must also find fw_cfg
# ("Found QEMU fw_cfg"), which it reads the RAM size and boot order from.
# Nothing to boot afterwards, so the run is stopped once both lines appeared.
# Runs once per accelerator in $SOFTVM_ACCELS, on the deterministic clock;
# the console up to the fw_cfg line is $CONSOLE_DIR/banner.log, which
# suite.sh compares across engines.
#
# SOFTVM_SKIP_SEABIOS=1 skips it (for a softvm that cannot run SeaBIOS).
set -uo pipefail

if [[ ${SOFTVM_SKIP_SEABIOS:-0} == 1 ]]; then
    echo "skip: SOFTVM_SKIP_SEABIOS=1"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $FIRMWARE_BIOS ]] || { echo "missing firmware: bash roms/fetch-firmware.sh"; exit 1; }

log=$(mktemp)
trap 'rm -f "$log"' EXIT

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel:"
    python3 "$HARNESS" --timeout 30 --stop-when-done \
        --expect-text 'SeaBIOS (version' --expect-text 'Found QEMU fw_cfg' --log "$log" -- \
        "$SOFTVM" -accel "$accel" -m 64 -bios "$FIRMWARE_BIOS" -debugcon stdio \
        -rtc base=2026-01-01T00:00:00 -clock deterministic -nographic -no-reboot || { status=1; continue; }
    [[ -z ${CONSOLE_DIR:-} ]] ||
        awk '{ print } /Found QEMU fw_cfg/ { exit }' "$log" > "$CONSOLE_DIR/banner.log"
done
exit $status
