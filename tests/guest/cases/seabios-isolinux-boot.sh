#!/usr/bin/env bash
# SeaBIOS boots an ISO from the ATAPI CD-ROM through isolinux to the test
# workload: the ISO (xorriso, El Torito no-emulation, boot info table) holds
# Debian's isolinux.bin and ldlinux.c32 (packages isolinux, syslinux-common),
# the stock kernel and the test initramfs. isolinux reads its config, the
# kernel and the initrd with INT 13h extended reads (SeaBIOS -> softvm's
# ATAPI READ(10)); then every workload MARK must appear in order with its
# value, and softvm must exit 0 after the guest powers off.
# Runs once per accelerator in $SOFTVM_ACCELS. SOFTVM_GUEST_LINUX=0 or
# SOFTVM_SKIP_SEABIOS=1 skips it.
set -uo pipefail

if [[ ${SOFTVM_GUEST_LINUX:-1} == 0 || ${SOFTVM_SKIP_SEABIOS:-0} == 1 ]]; then
    echo "skip: Linux or SeaBIOS guest cases switched off"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $FIRMWARE_BIOS ]] || { echo "missing firmware: bash roms/fetch-firmware.sh"; exit 1; }
[[ -f $GUEST_KERNEL && -f $GUEST_TEST_INITRD ]] ||
    { echo "missing guest images: bash tests/guests/build.sh"; exit 1; }
command -v xorriso >/dev/null || { echo "missing xorriso: bash tests/install-deps.sh"; exit 1; }
ISOLINUX_BIN=/usr/lib/ISOLINUX/isolinux.bin
LDLINUX=/usr/lib/syslinux/modules/bios/ldlinux.c32
[[ -f $ISOLINUX_BIN && -f $LDLINUX ]] ||
    { echo "missing isolinux/syslinux-common: bash tests/install-deps.sh"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/cd/isolinux"
cp "$ISOLINUX_BIN" "$LDLINUX" "$work/cd/isolinux/"
cp "$GUEST_KERNEL" "$work/cd/vmlinuz"
cp "$GUEST_TEST_INITRD" "$work/cd/initrd.gz"
# SERIAL: isolinux's own messages on COM1 too; no prompt, boot at once.
cat > "$work/cd/isolinux/isolinux.cfg" <<'EOF'
SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /vmlinuz
  APPEND initrd=/initrd.gz console=ttyS0
EOF
xorriso -as mkisofs -quiet -o "$work/boot.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table "$work/cd" || exit 1

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel:"
    python3 "$HARNESS" --timeout 1500 --fail-on "Kernel panic" \
        --expect-text "ISOLINUX 6" --expect-text "Loading /vmlinuz... ok" \
        --expect-text "Loading /initrd.gz...ok" \
        --expect-file "$GUEST_EXPECTED_MARKS" -- \
        "$SOFTVM" -accel "$accel" -m 256 -bios "$FIRMWARE_BIOS" -cdrom "$work/boot.iso" \
        -boot d -nographic -no-reboot || status=1
done
exit $status
