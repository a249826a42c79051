#!/usr/bin/env bash
# Linux booted with ACPI on (no acpi=off) finds the PCI bus through the
# DSDT's host bridge \_SB.PCI0 (PNP0A03) and routes PCI interrupts with its
# _PRT: the stock kernel lists every PCI function softvm has (i440FX, PIIX3
# ISA/IDE, PIIX4 PM, a virtio-blk disk at 00:05.0), virtio_blk reads the disk
# through an IO-APIC line (slot 5 INTA# -> PIRQB -> IRQ 10, the PIIX swizzle)
# and the data read equals the host's md5 of the image.
# One boot of the interactive initramfs, on the engine $SOFTVM_ACCEL names
# (suite.sh: once per engine), else the default. SOFTVM_GUEST_LINUX=0 skips it.
set -uo pipefail

if [[ ${SOFTVM_GUEST_LINUX:-1} == 0 ]]; then
    echo "skip: Linux guest cases switched off (SOFTVM_GUEST_LINUX=0)"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $GUEST_KERNEL && -f $GUEST_INTERACTIVE_INITRD ]] ||
    { echo "missing guest images: bash tests/guests/build.sh"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -c '
import random, sys
r = random.Random(13)
open(sys.argv[1], "wb").write(bytes(r.getrandbits(8) for _ in range(1 << 20)))' "$work/vda.img" || exit 1
want=$(md5sum < "$work/vda.img" | cut -d ' ' -f 1)

cmd='modprobe virtio_pci; modprobe virtio_blk; n=0; '
cmd+='while [ ! -b /dev/vda ] && [ $n -lt 20 ]; do sleep 1; n=$((n+1)); done; '
cmd+='for d in /sys/bus/pci/devices/*; do echo "pcifn ${d##*/} $(cat $d/vendor):$(cat $d/device)"; done | sed s/0x//g; '
cmd+='echo "vda-md5=$(md5sum < /dev/vda | cut -d " " -f 1)"; '
cmd+='echo "root-bridges=$(dmesg | grep -cF "PCI Root Bridge [PCI0]")"; '
cmd+='echo "no-routing=$(dmesg | grep -ciE "derive routing|no GSI")"; '
cmd+='grep virtio /proc/interrupts | tr -s " " | sed "s/^ *[0-9]*: [0-9]* /irq: /"; '
cmd+='exit\n'
python3 "$HARNESS" --timeout 900 --fail-on "Kernel panic" \
    --send 'softvm:~# ' "$cmd" \
    --expect-text 'pcifn 0000:00:00.0 8086:1237' \
    --expect-text 'pcifn 0000:00:01.0 8086:7000' \
    --expect-text 'pcifn 0000:00:01.1 8086:7010' \
    --expect-text 'pcifn 0000:00:01.3 8086:7113' \
    --expect-text 'pcifn 0000:00:05.0 1af4:1042' \
    --expect-text "vda-md5=$want" \
    --expect-text 'root-bridges=1' \
    --expect-text 'no-routing=0' \
    --expect-text 'irq: IO-APIC 10-fasteoi virtio0' \
    --expect-text 'powering off' -- \
    "$SOFTVM" ${SOFTVM_ACCEL:+-accel "$SOFTVM_ACCEL"} -m 256 -kernel "$GUEST_KERNEL" -initrd "$GUEST_INTERACTIVE_INITRD" \
    -append "console=ttyS0 quiet" -nographic -no-reboot \
    -drive "file=$work/vda.img,format=raw,if=none,id=vd" -device virtio-blk-pci,drive=vd
