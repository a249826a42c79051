#!/usr/bin/env bash
# SeaBIOS on the VGA: with -bios and nothing to boot, SeaVGABIOS sets text
# mode 3 and SeaBIOS prints its banner and boot attempts on the screen. Two
# screendumps after "No bootable device." appeared (softvm stops on SIGTERM
# and writes them): the text memory (-screendump FILE.txt) and the rendered
# PNG, read back by tests/guest/screen_text.py with the 8x16 font from the
# VGA BIOS ROM file. Both must be, row for row, the screen QEMU showed for
# the same firmware (tests/guest/expected/seabios-banner.txt, made by
# tests/guest/qemu_screen.py), and the PNG must show the text memory.
# Runs once per accelerator in $SOFTVM_ACCELS.
# The PNG is the one docs/ shows: the run keeps it as
# build/screenshots/seabios-banner.png, and it must be, pixel for pixel,
# docs/screenshots/seabios-banner.png (the committed copy; the picture is
# deterministic: no clock on it, the cursor drawn in its visible phase).
set -uo pipefail

[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $FIRMWARE_BIOS ]] || { echo "missing firmware: bash roms/fetch-firmware.sh"; exit 1; }
[[ -f $FIRMWARE_VGABIOS ]] || { echo "missing firmware: bash roms/fetch-firmware.sh"; exit 1; }
expected=tests/guest/expected/seabios-banner.txt
# The expectation was made from this firmware (tests/guest/expected/README.md).
if ! grep -q "$(sha256sum <"$FIRMWARE_BIOS" | cut -d' ' -f1)  bios.bin" tests/guest/expected/README.md; then
    echo "NOTE: $FIRMWARE_BIOS is not the bios.bin $expected was made from:" \
         "if the banner differs, run python3 tests/guest/qemu_screen.py seabios-banner $expected"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel:"
    for shot in screen.txt screen.png; do
        python3 "$HARNESS" --timeout 60 --stop-when-done \
            --expect-text $'No bootable device.\n' -- \
            "$SOFTVM" -accel "$accel" -m 64 -bios "$FIRMWARE_BIOS" -debugcon stdio \
            -nographic -no-reboot -screendump "$work/$shot" || status=1
        [[ -s $work/$shot ]] || { echo "FAIL: no $shot written"; status=1; }
    done
    [[ $status == 0 ]] || continue
    python3 tests/guest/screen_text.py "$work/screen.txt" --compare "$expected" || status=1
    python3 tests/guest/screen_text.py --rom "$FIRMWARE_VGABIOS" "$work/screen.png" \
        --compare "$expected" --same-as "$work/screen.txt" || status=1
    python3 tests/guest/same_picture.py "$work/screen.png" docs/screenshots/seabios-banner.png || status=1
    shots=$(dirname "$SOFTVM")/screenshots
    mkdir -p "$shots" && cp "$work/screen.png" "$shots/seabios-banner.png"
done
exit $status
