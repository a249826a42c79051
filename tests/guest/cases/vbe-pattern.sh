#!/usr/bin/env bash
# A Bochs VBE mode set by the project's own test program
# (tests/asm/multiboot_vbe.asm, booted directly as a Multiboot kernel): it
# maps the stdvga's BAR 0, sets 800x600x32 and draws a pattern defined by
# arithmetic; softvm's -screendump at exit must show exactly that pattern,
# every pixel (tests/guest/check_vbe_pattern.py). Runs once per accelerator
# in $SOFTVM_ACCELS. The picture is kept as docs/screenshots/vbe-pattern.png
# (made at test time, never committed: docs/DISPLAY.md shows it).
set -uo pipefail

[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
kernel=${MULTIBOOT_VBE:-$(dirname "$SOFTVM")/tests/asm/multiboot_vbe.bin}
if [[ ! -f $kernel ]]; then
    kernel=$work/multiboot_vbe.bin
    nasm -f bin -I tests/asm/ -o "$kernel" tests/asm/multiboot_vbe.asm ||
        { echo "cannot assemble tests/asm/multiboot_vbe.asm"; exit 1; }
fi

status=0
for accel in ${SOFTVM_ACCELS:-interp}; do
    echo "accel $accel:"
    rm -f "$work/vbe.png"
    python3 "$HARNESS" --timeout 60 --exit-status 85 -- \
        "$SOFTVM" -accel "$accel" -m 32 -kernel "$kernel" -nographic \
        -screendump "$work/vbe.png" || { status=1; continue; }
    python3 tests/guest/check_vbe_pattern.py "$work/vbe.png" || status=1
    mkdir -p docs/screenshots && cp "$work/vbe.png" docs/screenshots/vbe-pattern.png
done
exit $status
