#!/usr/bin/env bash
# Linux's vesafb on the Bochs VBE: Debian's kernel through SeaBIOS with
# vga=0x315 (VESA mode 0x115, 800x600 in 24-bit colour) asks SeaVGABIOS for
# the mode in its real-mode setup; vesafb must report that mode and the
# stdvga's framebuffer (BAR 0 as SeaBIOS placed it), the shell must still
# work on ttyS0, and the screendump at exit must be an 800x600 picture with
# the text written to /dev/tty0 drawn on it by fbcon (the blinking cursor
# alone may be in its dark phase).
#
# SOFTVM_GUEST_LINUX=0 skips it (for quick local runs).
# suite: once
# One Linux boot, on the last engine of $SOFTVM_ACCELS (the JIT when
# there is one): the display does not depend on the engine (vbe-pattern and
# seabios-screen run on every engine).
set -uo pipefail
accels=${SOFTVM_ACCELS:-${SOFTVM_ACCEL:-interp}}
accel=${accels##* }
echo "accel $accel"

if [[ ${SOFTVM_GUEST_LINUX:-1} == 0 ]]; then
    echo "skip: Linux guest cases switched off (SOFTVM_GUEST_LINUX=0)"
    exit 77
fi
[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
[[ -f $GUEST_KERNEL && -f $GUEST_INTERACTIVE_INITRD ]] ||
    { echo "missing guest images: bash tests/guests/build.sh"; exit 1; }
[[ -f $FIRMWARE_BIOS && -f $FIRMWARE_VGABIOS ]] ||
    { echo "missing firmware: bash roms/fetch-firmware.sh"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$HARNESS" --timeout 900 --fail-on "Kernel panic" \
    --expect-text 'vesafb: mode is 800x600x24' --expect-text 'vesafb: framebuffer at 0x' \
    --send 'softvm:~# ' 'echo text-for-fbcon > /dev/tty0; echo answer=$((6 * 7))\n' \
    --send 'answer=42' 'exit\n' --expect-text 'powering off' -- \
    "$SOFTVM" -accel "$accel" -m 256 -bios "$FIRMWARE_BIOS" -kernel "$GUEST_KERNEL" \
    -initrd "$GUEST_INTERACTIVE_INITRD" -append "vga=0x315 console=ttyS0" \
    -nographic -no-reboot -screendump "$work/fb.png" || exit 1
python3 - "$work/fb.png" <<'PY' || exit 1
import os, sys
sys.path.insert(0, os.path.join("tests", "guest"))
from screen_text import read_png
w, h, rows = read_png(sys.argv[1])
lit = sum(1 for r in rows for p in r if p != (0, 0, 0))
print(f"screendump: {w}x{h}, {lit} non-black pixels")
if (w, h) != (800, 600) or lit < 100:
    print("FAIL: expected an 800x600 picture with fbcon's text on it")
    sys.exit(1)
PY
