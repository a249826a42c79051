#!/usr/bin/env bash
# The README's main command boots this: the interactive initramfs must reach
# a shell prompt on the serial console, run a typed command, and power off
# when the shell exits. Runs once per accelerator in $SOFTVM_ACCELS.
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

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel:"
    python3 "$HARNESS" --timeout 600 --fail-on "Kernel panic" \
        --send 'softvm:~# ' 'echo answer=$((6 * 7)); tty\n' \
        --send 'answer=42' 'exit\n' \
        --expect-text 'answer=42' --expect-text '/dev/ttyS0' --expect-text 'powering off' -- \
        "$SOFTVM" -accel "$accel" -m 256 -kernel "$GUEST_KERNEL" -initrd "$GUEST_INTERACTIVE_INITRD" \
        -append "console=ttyS0 quiet" -nographic -no-reboot || status=1
done
exit $status
