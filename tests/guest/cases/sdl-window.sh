#!/usr/bin/env bash
# The SDL window under Xvfb (Debian's xvfb; keys typed with xdotool):
#  1. headless runs (-nographic, -display none) with $DISPLAY set create no
#     window, and -display sdl without $DISPLAY says so and runs headless;
#  2. -display sdl opens a window titled "softvm - <state> - <N> MIPS",
#     sized to SeaBIOS's 720x400 text mode;
#  3. Debian's kernel through SeaBIOS with its console on tty0 (vga=normal,
#     the interactive initramfs's shell on the VGA text console): keys typed
#     into the window reach the shell (the command writes its answer to
#     ttyS0, which is softvm's stdout), and the screen, read back from the
#     PNG with the VGA BIOS ROM's font (tests/guest/screen_text.py), shows
#     the init's greeting line and the typed command.
# Skips without Xvfb/xdotool; part 3 honours SOFTVM_GUEST_LINUX=0.
# suite: once
# One Linux boot, on the last engine of $SOFTVM_ACCELS (the JIT when
# there is one): the display does not depend on the engine (vbe-pattern and
# seabios-screen run on every engine).
set -uo pipefail
accels=${SOFTVM_ACCELS:-${SOFTVM_ACCEL:-interp}}
accel=${accels##* }
echo "accel $accel"

[[ -x $SOFTVM ]] || { echo "skip: no $SOFTVM (build first)"; exit 77; }
command -v Xvfb >/dev/null && command -v xdotool >/dev/null ||
    { echo "skip: needs Xvfb and xdotool (bash tests/install-deps.sh)"; exit 77; }
[[ -f $FIRMWARE_BIOS && -f $FIRMWARE_VGABIOS ]] ||
    { echo "missing firmware: bash roms/fetch-firmware.sh"; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# A free X display number.
for n in $(seq 90 140); do
    [[ -e /tmp/.X$n-lock || -e /tmp/.X11-unix/X$n ]] || break
done
Xvfb ":$n" -screen 0 1280x1024x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=":$n"
for _ in $(seq 50); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.1; done
xdotool getdisplaygeometry >/dev/null 2>&1 || { echo "FAIL: Xvfb did not start"; cat "$work/xvfb.log"; exit 1; }

wait_for() {   # FILE TEXT SECONDS
    for _ in $(seq $(( $3 * 10 ))); do
        grep -q -F -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
status=0

# 1. Headless: no window, with a display available.
for mode in "-nographic" "-display none"; do
    # shellcheck disable=SC2086
    "$SOFTVM" -accel "$accel" -m 64 -bios "$FIRMWARE_BIOS" -debugcon stdio $mode -no-reboot \
        </dev/null >"$work/headless.log" 2>&1 &
    p=$!
    wait_for "$work/headless.log" "No bootable device" 30 || { echo "FAIL: $mode: no SeaBIOS output"; status=1; }
    if xdotool search --name '^softvm' >/dev/null 2>&1; then
        echo "FAIL: $mode created a window"; status=1
    else
        echo "ok: $mode: no window"
    fi
    kill "$p"; wait "$p" 2>/dev/null
done
DISPLAY= "$SOFTVM" -accel "$accel" -m 64 -kernel "$(dirname "$SOFTVM")/tests/asm/multiboot_vbe.bin" -display sdl \
    -serial none >"$work/nodisplay.log" 2>&1
rc=$?
if [[ $rc == 85 ]] && grep -q 'no display' "$work/nodisplay.log"; then
    echo "ok: no \$DISPLAY: falls back to -display none"
else
    echo "FAIL: without \$DISPLAY: status $rc, said: $(cat "$work/nodisplay.log")"; status=1
fi

# 2. The window.
"$SOFTVM" -accel "$accel" -m 64 -bios "$FIRMWARE_BIOS" -debugcon stdio -display sdl -no-reboot \
    </dev/null >"$work/sdl.log" 2>&1 &
p=$!
wait_for "$work/sdl.log" "No bootable device" 30 || { echo "FAIL: -display sdl: no SeaBIOS output"; status=1; }
sleep 1.5                                   # a title update (once a second)
win=$(xdotool search --name '^softvm' 2>/dev/null | head -n1)
if [[ -z $win ]]; then
    echo "FAIL: -display sdl: no window"; status=1
else
    title=$(xdotool getwindowname "$win")
    geom=$(xdotool getwindowgeometry "$win" | grep -o 'Geometry: .*')
    echo "window: '$title', $geom"
    [[ $title =~ ^softvm\ -\ (running|idle)\ -\ [0-9.]+\ MIPS ]] || { echo "FAIL: title '$title'"; status=1; }
    [[ $geom == "Geometry: 720x400" ]] || { echo "FAIL: window is not 720x400"; status=1; }
fi
kill "$p"; wait "$p" 2>/dev/null

# 3. Keys through the window into a shell on tty0.
if [[ ${SOFTVM_GUEST_LINUX:-1} == 0 ]]; then
    echo "skip part 3: SOFTVM_GUEST_LINUX=0"
    exit $status
fi
[[ -f $GUEST_KERNEL && -f $GUEST_INTERACTIVE_INITRD ]] ||
    { echo "missing guest images: bash tests/guests/build.sh"; exit 1; }
"$SOFTVM" -accel "$accel" -m 256 -bios "$FIRMWARE_BIOS" -kernel "$GUEST_KERNEL" -initrd "$GUEST_INTERACTIVE_INITRD" \
    -append "console=ttyS0 console=tty0 vga=normal" -display sdl -no-reboot \
    -screendump "$work/tty0.png" </dev/null >"$work/linux.log" 2>&1 &
p=$!
if ! wait_for "$work/linux.log" "Run /init as init process" 600; then
    echo "FAIL: Linux did not reach /init"; tail -n 20 "$work/linux.log"; exit 1
fi
win=$(xdotool search --sync --name '^softvm' 2>/dev/null | head -n1)
sleep 5                                     # the shell prompt on tty0
xdotool windowfocus --sync "$win" 2>/dev/null || xdotool windowfocus "$win"
xdotool type --delay 40 'echo typed-$((6*7))-ok > /dev/ttyS0'
xdotool key Return
if wait_for "$work/linux.log" "typed-42-ok" 120; then
    echo "ok: keys typed into the window reached the shell"
else
    echo "FAIL: the typed command did not run"; tail -n 20 "$work/linux.log"; status=1
fi
sleep 1
kill -TERM "$p"; wait "$p" 2>/dev/null
python3 tests/guest/screen_text.py --rom "$FIRMWARE_VGABIOS" "$work/tty0.png" \
    --expect-text "Type 'exit' to power off. 'softvm-workloads' runs the test workloads." \
    --expect-text 'echo typed-$((6*7))-ok > /dev/ttyS0' || status=1
mkdir -p docs/screenshots && cp "$work/tty0.png" docs/screenshots/linux-tty0.png 2>/dev/null
exit $status
