#!/usr/bin/env bash
# Linux's bochs-drm on the stdvga: Debian's kernel (direct boot) loads the
# bochs module from the test image; it must find the dispi interface
# ("Found bochs VGA, ID 0xb0c5"), bind 00:02.0, and its fbdev emulation must
# set the driver's default mode, 1024x768 at 32 bpp (as read back from
# sysfs), which the screendump at exit must have too.
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
# Images built before bochs joined tests/guests/build.sh's MODULES lack it.
manifest=${SOFTVM_CACHE:-}/guests.manifest
if [[ -f $manifest ]] && ! grep -q '^modules .* bochs ' "$manifest"; then
    echo "skip: the guest images have no bochs module (rebuild: bash tests/guests/build.sh)"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$HARNESS" --timeout 900 --fail-on "Kernel panic" \
    --send 'softvm:~# ' 'modprobe bochs && echo "mode=$(cat /sys/class/graphics/fb0/virtual_size)x$(cat /sys/class/graphics/fb0/bits_per_pixel)"\n' \
    --expect-text 'Found bochs VGA, ID 0xb0c5' --expect-text 'for 0000:00:02.0 on minor 0' \
    --expect-text 'mode=1024,768x32' \
    --send 'mode=1024,768x32' 'exit\n' --expect-text 'powering off' -- \
    "$SOFTVM" -accel "$accel" -m 256 -kernel "$GUEST_KERNEL" -initrd "$GUEST_INTERACTIVE_INITRD" \
    -append "console=ttyS0" -nographic -no-reboot -screendump "$work/drm.png" || exit 1
python3 - "$work/drm.png" <<'PY' || exit 1
import os, sys
sys.path.insert(0, os.path.join("tests", "guest"))
from screen_text import read_png
w, h, rows = read_png(sys.argv[1])
print(f"screendump: {w}x{h}")
if (w, h) != (1024, 768):
    print("FAIL: the screen is not in bochs-drm's 1024x768 mode")
    sys.exit(1)
PY
