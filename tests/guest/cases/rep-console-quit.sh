#!/usr/bin/env bash
# Ctrl-A x typed on a terminal must stop softvm promptly while the guest
# sits inside one REP string instruction with a huge count
# (tests/asm/multiboot_rep.asm: `rep movsd` over 4 GiB of linear space, and
# `rep outsb` of 4 Gi bytes to port 0x80, each repeated forever). The
# harness gives softvm a pseudo-terminal as stdin (--pty), waits for the
# kernel's "rep go", types Ctrl-A x and expects exit status 0 within the
# time limit; nothing else ends these guests.
# Runs once per accelerator in $SOFTVM_ACCELS.
#
# The kernel image is the one built next to $SOFTVM (BUILD/tests/asm/
# multiboot_rep.bin); failing that, it is assembled here with nasm.
# SOFTVM_SKIP_MULTIBOOT=1 skips it.
set -uo pipefail

if [[ ${SOFTVM_SKIP_MULTIBOOT:-0} == 1 ]]; then
    echo "skip: SOFTVM_SKIP_MULTIBOOT=1"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

kernel=$(dirname "$SOFTVM")/tests/asm/multiboot_rep.bin
if [[ ! -f $kernel ]]; then
    kernel=$work/multiboot_rep.bin
    nasm -f bin -Itests/asm/ -o "$kernel" tests/asm/multiboot_rep.asm ||
        { echo "cannot assemble tests/asm/multiboot_rep.asm"; exit 1; }
fi

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    for word in movsd outsb; do
        echo "accel $accel, rep $word:"
        # One REP of these runs for seconds; a console polled only between
        # guest instructions would see the keys only after it.
        python3 "$HARNESS" --timeout 5 --pty --send 'rep go' '\x01x' --exit-status 0 -- \
            "$SOFTVM" -accel "$accel" -m 16 -kernel "$kernel" -append "$word" \
            -nographic -no-reboot || status=1
    done
done
exit $status
