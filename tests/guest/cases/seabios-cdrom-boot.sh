#!/usr/bin/env bash
# SeaBIOS boots from the ATAPI CD-ROM (El Torito, through softvm's PACKET
# commands): an ISO made with xorriso whose no-emulation boot image is
# tests/asm/disk_boot.asm must report the CD drive (DL = E0h) and the dword
# sum of ISO blocks 1-64 (read with INT 13h), which the host computes from
# the file. (seabios-isolinux-boot boots an isolinux ISO to the workload.)
# Runs once per accelerator in $SOFTVM_ACCELS, on the deterministic clock;
# the console is $CONSOLE_DIR/cdrom.log, which suite.sh compares across
# engines. SOFTVM_SKIP_SEABIOS=1 skips it.
set -uo pipefail

if [[ ${SOFTVM_SKIP_SEABIOS:-0} == 1 ]]; then
    echo "skip: SOFTVM_SKIP_SEABIOS=1"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $FIRMWARE_BIOS ]] || { echo "missing firmware: bash roms/fetch-firmware.sh"; exit 1; }
command -v xorriso >/dev/null || { echo "missing xorriso: bash tests/install-deps.sh"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

boot=${DISK_BOOT_BIN:-$(dirname "$SOFTVM")/tests/asm/disk_boot.bin}
if [[ ! -f $boot ]]; then
    boot=$work/disk_boot.bin
    nasm -f bin -o "$boot" tests/asm/disk_boot.asm || { echo "cannot assemble disk_boot.asm"; exit 1; }
fi
mkdir -p "$work/cd"
cp "$boot" "$work/cd/boot.bin"
python3 -c '
import random, sys
open(sys.argv[1], "wb").write(bytes(random.Random(7).getrandbits(8) for _ in range(300000)))' \
    "$work/cd/filler.bin"
# The same ISO every time (fixed timestamps and volume id), so that the
# consoles of different runs can be compared byte for byte.
touch -d @1767225600 "$work/cd" "$work/cd"/*
SOURCE_DATE_EPOCH=1767225600 xorriso -as mkisofs -quiet -o "$work/boot.iso" -b boot.bin \
    -no-emul-boot -boot-load-size 4 "$work/cd" || exit 1
sum=$(python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()[2048:2048 + 64 * 2048]
print("%08X" % (sum(struct.unpack("<%dI" % (len(d) // 4), d)) & 0xffffffff))' "$work/boot.iso")

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel:"
    python3 "$HARNESS" --timeout 120 --exit-status 33 \
        --expect-text 'disk boot: drive E0' --expect-text "sum: $sum" --log "$work/console" -- \
        "$SOFTVM" -accel "$accel" -m 32 -bios "$FIRMWARE_BIOS" -cdrom "$work/boot.iso" \
        -boot d -rtc base=2026-01-01T00:00:00 -clock deterministic -nographic -no-reboot || { status=1; continue; }
    [[ -z ${CONSOLE_DIR:-} ]] || cp "$work/console" "$CONSOLE_DIR/cdrom.log"
done
exit $status
