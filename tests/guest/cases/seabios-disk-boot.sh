#!/usr/bin/env bash
# SeaBIOS boots from an IDE disk: it finds the drive on the PIIX3 IDE
# controller (IDENTIFY, PIO reads), loads the boot sector
# (tests/asm/disk_boot.asm), which reads 128 KiB with INT 13h, prints their
# dword sum, writes sector 1000 and exits with status 33. The host computes
# the sum itself and checks the written sector in the image afterwards.
# Done twice: a raw image on -hda, and a qcow2 image (made by qemu-img) on
# -drive ...,format=qcow2, which must then pass `qemu-img check`; then the
# raw image on a virtio-blk disk (-device virtio-blk-pci). Then
# -snapshot must leave the image untouched, and a missing image must give a
# clear error and exit status 1 before anything runs.
# Runs once per accelerator in $SOFTVM_ACCELS, on the deterministic clock;
# the four consoles are $CONSOLE_DIR/{ide-raw,ide-qcow2,virtio,snapshot}.log,
# which suite.sh compares across engines. SOFTVM_SKIP_SEABIOS=1 skips it.
set -uo pipefail

if [[ ${SOFTVM_SKIP_SEABIOS:-0} == 1 ]]; then
    echo "skip: SOFTVM_SKIP_SEABIOS=1"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $FIRMWARE_BIOS ]] || { echo "missing firmware: bash roms/fetch-firmware.sh"; exit 1; }
command -v qemu-img >/dev/null || { echo "missing qemu-img: bash tests/install-deps.sh"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

boot=${DISK_BOOT_BIN:-$(dirname "$SOFTVM")/tests/asm/disk_boot.bin}
if [[ ! -f $boot ]]; then
    boot=$work/disk_boot.bin
    nasm -f bin -o "$boot" tests/asm/disk_boot.asm || { echo "cannot assemble disk_boot.asm"; exit 1; }
fi
# 1 MiB: the boot sector, then pseudo-random data (a fixed seed)
python3 - "$boot" "$work/disk.raw" <<'PY' || exit 1
import random, struct, sys
boot = open(sys.argv[1], 'rb').read()
assert len(boot) == 512
rnd = random.Random(12)
data = bytes(rnd.getrandbits(8) for _ in range((1 << 20) - 512))
open(sys.argv[2], 'wb').write(boot + data)
PY
sum=$(python3 -c '
import struct, sys
d = open(sys.argv[1], "rb").read()[512:512 + 256 * 512]
print("%08X" % (sum(struct.unpack("<%dI" % (len(d) // 4), d)) & 0xffffffff))' "$work/disk.raw")
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/disk.qcow2" || exit 1
cp "$work/disk.raw" "$work/orig.raw"

written_ok() {   # IMAGE FORMAT: sector 1000 holds 0x00..0xFF twice
    qemu-img convert -f "$2" -O raw "$1" "$work/check.raw" || return 1
    python3 -c '
import sys
d = open(sys.argv[1], "rb").read()[1000 * 512:1001 * 512]
sys.exit(0 if d == bytes(range(256)) * 2 else 1)' "$work/check.raw"
}

keep() {   # keep NAME: the last run's console, for suite.sh's cross-engine comparison
    [[ -z ${CONSOLE_DIR:-} ]] || cp "$work/console" "$CONSOLE_DIR/$1.log"
}

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel:"
    cp "$work/orig.raw" "$work/disk.raw"
    python3 "$HARNESS" --timeout 120 --exit-status 33 --log "$work/console" \
        --expect-text 'disk boot: drive 80' --expect-text "sum: $sum" \
        --expect-text 'write: ok' -- \
        "$SOFTVM" -accel "$accel" -m 32 -bios "$FIRMWARE_BIOS" -hda "$work/disk.raw" \
        -boot c -rtc base=2026-01-01T00:00:00 -clock deterministic -nographic -no-reboot &&
        keep ide-raw || status=1
    written_ok "$work/disk.raw" raw || { echo "FAIL: sector 1000 of the raw image"; status=1; }

    cp "$work/disk.qcow2" "$work/run.qcow2"
    python3 "$HARNESS" --timeout 120 --exit-status 33 --log "$work/console" \
        --expect-text "sum: $sum" --expect-text 'write: ok' -- \
        "$SOFTVM" -accel "$accel" -m 32 -bios "$FIRMWARE_BIOS" \
        -drive "file=$work/run.qcow2,format=qcow2,if=ide,cache=writeback" \
        -rtc base=2026-01-01T00:00:00 -clock deterministic -nographic -no-reboot &&
        keep ide-qcow2 || status=1
    qemu-img check -q "$work/run.qcow2" || { echo "FAIL: qemu-img check"; status=1; }
    written_ok "$work/run.qcow2" qcow2 || { echo "FAIL: sector 1000 of the qcow2 image"; status=1; }

    # virtio-blk (modern virtio 1.0 PCI), through SeaBIOS's virtio driver
    cp "$work/orig.raw" "$work/disk.raw"
    python3 "$HARNESS" --timeout 120 --exit-status 33 --log "$work/console" \
        --expect-text "sum: $sum" --expect-text 'write: ok' -- \
        "$SOFTVM" -accel "$accel" -m 32 -bios "$FIRMWARE_BIOS" \
        -drive "file=$work/disk.raw,if=none,id=vd0,format=raw" -device virtio-blk-pci,drive=vd0 \
        -rtc base=2026-01-01T00:00:00 -clock deterministic -nographic -no-reboot &&
        keep virtio || status=1
    written_ok "$work/disk.raw" raw || { echo "FAIL: sector 1000 of the virtio disk"; status=1; }

    cp "$work/orig.raw" "$work/disk.raw"
    python3 "$HARNESS" --timeout 120 --exit-status 33 --log "$work/console" --expect-text 'write: ok' -- \
        "$SOFTVM" -accel "$accel" -m 32 -bios "$FIRMWARE_BIOS" -hda "$work/disk.raw" \
        -snapshot -rtc base=2026-01-01T00:00:00 -clock deterministic -nographic -no-reboot &&
        keep snapshot || status=1
    cmp -s "$work/disk.raw" "$work/orig.raw" || { echo "FAIL: -snapshot changed the image"; status=1; }
done

out=$("$SOFTVM" -m 32 -hda "$work/missing.img" -nographic 2>&1)
rc=$?
if [[ $rc -ne 1 || $out != *"-hda '$work/missing.img': cannot open: No such file or directory"* ]]; then
    echo "FAIL: a missing image gave status $rc and: $out"
    status=1
fi
head -c 300 "$work/disk.qcow2" > "$work/trunc.qcow2"
out=$("$SOFTVM" -m 32 -drive "file=$work/trunc.qcow2,format=qcow2" -nographic 2>&1)
rc=$?
if [[ $rc -ne 1 || $out != *"not inside the file (truncated?)"* ]]; then
    echo "FAIL: a truncated image gave status $rc and: $out"
    status=1
fi
exit $status
