#!/usr/bin/env bash
# The QMP monitor over real sockets (tests/guest/test_qmp.py with the client
# tests/guest/qmp_client.py): greeting and negotiation, every command, QEMU's
# error classes for malformed JSON, unknown commands and wrong arguments,
# events, two sessions, 1,000 commands, hostile clients, TCP, -S, quit,
# screendump, -monitor stdio from a pipe and Ctrl-A c on a pty, and stop/cont
# exactness (SeaBIOS to a -snapshot-at instruction count, with and without
# pauses: the same machine state and log byte for byte). The
# Multiboot test kernel (tests/asm/multiboot_actions.asm, word "echo") keeps
# the VM running. Every reply is compared with Debian's qemu-system-i386
# running the same kernel (errors and memory dumps exactly, returns by
# shape); without qemu-system-i386 the case fails unless
# SOFTVM_QMP_NO_QEMU=1 (then only softvm's own checks run). It does not
# depend on the engine:
# suite: once
set -uo pipefail
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kernel=${MULTIBOOT_ACTIONS:-$(dirname "$SOFTVM")/tests/asm/multiboot_actions.bin}
if [[ ! -f $kernel ]]; then
    kernel=$work/multiboot_actions.bin
    nasm -f bin -o "$kernel" tests/asm/multiboot_actions.asm ||
        { echo "cannot assemble tests/asm/multiboot_actions.asm"; exit 1; }
fi
qemu=()
if command -v qemu-system-i386 >/dev/null; then
    qemu=(--qemu "$(command -v qemu-system-i386)")
elif [[ ${SOFTVM_QMP_NO_QEMU:-0} != 1 ]]; then
    echo "FAIL: qemu-system-i386 (Debian's qemu-system-x86) is needed to compare replies"
    exit 1
fi
timeout 600 python3 tests/guest/test_qmp.py --softvm "$SOFTVM" --kernel "$kernel" "${qemu[@]}"
