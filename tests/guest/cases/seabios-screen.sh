#!/usr/bin/env bash
# SeaBIOS on the VGA: with -bios and nothing to boot, SeaVGABIOS sets text
# mode 3 and SeaBIOS prints its banner on the screen. Two screendumps after
# "No bootable device." appeared (softvm stops on SIGTERM and writes them):
# the text memory (-screendump FILE.txt) and the rendered PNG, read back by
# tests/guest/screen_text.py with the 8x16 font from the VGA BIOS ROM file.
# Both must show line 0 = "SeaBIOS (version V)", V taken from the bios.bin
# image's own version string (strings(1), binutils), and the PNG must show
# the text memory.
# Runs once per accelerator in $SOFTVM_ACCELS. The PNG is kept as
# docs/screenshots/seabios-banner.png (made at test time, never committed).
set -uo pipefail

[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $FIRMWARE_BIOS ]] || { echo "missing firmware: bash roms/fetch-firmware.sh"; exit 1; }
[[ -f $FIRMWARE_VGABIOS ]] || { echo "missing firmware: bash roms/fetch-firmware.sh"; exit 1; }
# The image holds the format "SeaBIOS (version %s)" and its VERSION string
# (upstream-distribution-package, e.g. 1.16.2-debian-1.16.2-1) separately.
grep -a -q 'SeaBIOS (version %s)' "$FIRMWARE_BIOS" || { echo "no banner format in $FIRMWARE_BIOS"; exit 1; }
version=$(strings -n 6 "$FIRMWARE_BIOS" | grep -E -m1 '^[0-9]+\.[0-9]+\.[0-9]+-[A-Za-z0-9.+~-]+$')
[[ -n $version ]] || { echo "no version string in $FIRMWARE_BIOS"; exit 1; }
banner="SeaBIOS (version $version)"
echo "expected banner: $banner"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel:"
    for shot in screen.txt screen.png; do
        python3 "$HARNESS" --timeout 60 --stop-when-done \
            --expect-text 'No bootable device' -- \
            "$SOFTVM" -accel "$accel" -m 64 -bios "$FIRMWARE_BIOS" -debugcon stdio \
            -nographic -no-reboot -screendump "$work/$shot" || status=1
        [[ -s $work/$shot ]] || { echo "FAIL: no $shot written"; status=1; }
    done
    [[ $status == 0 ]] || continue
    line0=$(head -n1 "$work/screen.txt")
    if [[ $line0 != "$banner" ]]; then
        echo "FAIL: text memory line 0 is '$line0', expected '$banner'"
        status=1
    fi
    python3 tests/guest/screen_text.py --rom "$FIRMWARE_VGABIOS" "$work/screen.png" \
        --expect-line 0 "$banner" --expect-text 'No bootable device.' \
        --same-as "$work/screen.txt" || status=1
    mkdir -p docs/screenshots && cp "$work/screen.png" docs/screenshots/seabios-banner.png
done
exit $status
