#!/usr/bin/env bash
# Direct boot of the project's Multiboot test kernel (tests/asm/multiboot_hello.asm):
# it checks the loader's hand-off, prints its greeting, the command line and
# the first module (given with -initrd) over COM1, then writes 0x2A to the
# debug-exit port 0xF4, so softvm must exit with status (0x2A << 1) | 1 = 85.
# Runs once per accelerator in $SOFTVM_ACCELS, on the deterministic clock;
# the console (with the temporary directory's name replaced) is
# $CONSOLE_DIR/console.log, which suite.sh compares across engines.
#
# The kernel image is the one built next to $SOFTVM (BUILD/tests/asm/
# multiboot_hello.bin), or $MULTIBOOT_HELLO; failing both, it is assembled
# here with nasm (so a stand-in such as bench/qemu-as-softvm.sh works too).
# SOFTVM_SKIP_MULTIBOOT=1 skips it.
set -uo pipefail

if [[ ${SOFTVM_SKIP_MULTIBOOT:-0} == 1 ]]; then
    echo "skip: SOFTVM_SKIP_MULTIBOOT=1"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

kernel=${MULTIBOOT_HELLO:-$(dirname "$SOFTVM")/tests/asm/multiboot_hello.bin}
if [[ ! -f $kernel ]]; then
    kernel=$work/multiboot_hello.bin
    nasm -f bin -Itests/asm/ -o "$kernel" tests/asm/multiboot_hello.asm ||
        { echo "cannot assemble tests/asm/multiboot_hello.asm"; exit 1; }
fi
# The module: its first four bytes are printed back.
printf 'MODULE-BYTES' > "$work/module.bin"

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel:"
    # The command line starts with the kernel's file name (as QEMU does), so
    # only its end is checked: the line right after it is mem_upper's.
    python3 "$HARNESS" --timeout 30 --exit-status 85 \
        --expect-text 'Hello from multiboot' \
        --expect-text 'cmdline: ' --expect-text $'hello from the host\nmem_upper: ' \
        --expect-text "module: $work/module.bin MODU" --log "$work/console" -- \
        "$SOFTVM" -accel "$accel" -m 64 -kernel "$kernel" -append 'hello from the host' \
        -initrd "$work/module.bin" -rtc base=2026-01-01T00:00:00 -clock deterministic -nographic -no-reboot ||
        { status=1; continue; }
    [[ -z ${CONSOLE_DIR:-} ]] || sed "s|$work|WORK|g" "$work/console" > "$CONSOLE_DIR/console.log"
done
exit $status
