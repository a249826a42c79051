#!/usr/bin/env bash
# The stock Debian kernel runs on the APICs as under QEMU's pc machine: the
# PIT (IRQ0, pin 2 by the MADT override) and the serial port are IO-APIC
# lines in /proc/interrupts, and the local APIC timer's count (LOC) grows.
# One boot of the interactive initramfs; the shell prints normalised lines
# (computed values, so the echoed command line cannot match them).
# Runs once per accelerator in $SOFTVM_ACCELS.
#
# SOFTVM_GUEST_LINUX=0 skips it (for quick local runs).
set -uo pipefail

if [[ ${SOFTVM_GUEST_LINUX:-1} == 0 ]]; then
    echo "skip: Linux guest cases switched off (SOFTVM_GUEST_LINUX=0)"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $GUEST_KERNEL && -f $GUEST_INTERACTIVE_INITRD ]] ||
    { echo "missing guest images: bash tests/guests/build.sh"; exit 1; }

cmd='set -- $(grep LOC: /proc/interrupts); a=$2; sleep 1; '
cmd+='set -- $(grep LOC: /proc/interrupts); echo "loc-grows=$(($2 > a))"; '
cmd+='grep -E " (timer|ttyS0)" /proc/interrupts | tr -s " " | sed "s/^ *[0-9]*: [0-9]* /irq: /"; '
cmd+='exit\n'
status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel:"
    python3 "$HARNESS" --timeout 600 --fail-on "Kernel panic" \
        --send 'softvm:~# ' "$cmd" \
        --expect-text 'loc-grows=1' \
        --expect-text 'irq: IO-APIC 2-edge timer' \
        --expect-text 'irq: IO-APIC 4-edge ttyS0' \
        --expect-text 'powering off' -- \
        "$SOFTVM" -accel "$accel" -m 256 -kernel "$GUEST_KERNEL" -initrd "$GUEST_INTERACTIVE_INITRD" \
        -append "console=ttyS0 quiet" -nographic -no-reboot || status=1
done
exit $status
