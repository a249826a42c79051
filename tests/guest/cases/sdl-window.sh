#!/usr/bin/env bash
# The SDL window under Xvfb (Debian's xvfb; keys typed with xdotool):
#  1. headless runs (-nographic, -display none) with $DISPLAY set create no
#     window, and -display sdl without $DISPLAY says so and runs headless;
#  2. -display sdl opens a window titled "softvm - <state> - <N.N> MIPS",
#     sized to SeaBIOS's 720x400 text mode; Ctrl-Alt-G grabs the mouse (the
#     title says so) and releases it; the window resizes to 800x600 when
#     the project's VBE program (tests/asm/multiboot_vbe.asm) sets that mode;
#  3. Debian's kernel through SeaBIOS with its console on tty0 (vga=normal,
#     the interactive initramfs's shell on the VGA text console): a command
#     typed into the window (tests/guest/sdl_type.py: xdotool, a few keys
#     at a time, each few once the guest echoed them) reaches the shell (it
#     writes its answer to ttyS0, softvm's stdout); then the screen, as
#     text memory and as the PNG read back with the VGA BIOS ROM's font
#     (tests/guest/screen_text.py), must show what QEMU showed for the same
#     boot and keys (tests/guest/expected/linux-tty0.txt) from the init's
#     greeting down, the kernel's timed messages left out.
# Every process it starts is stopped by its PID only while it is still a
# running child of this script; Xvfb picks its own free display.
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
# Background children, by PID. Only a child that bash still lists as
# running is signalled: a PID that exited may already belong to another
# process (other cases run beside this one), and killing it would be
# killing a stranger.
children=()
stop_child() {   # stop_child PID: SIGTERM it if it is our running child; reap it
    local p=$1
    if jobs -pr | grep -qx -- "$p"; then
        kill -TERM "$p" 2>/dev/null
    fi
    wait "$p" 2>/dev/null
}
cleanup() {
    for p in "${children[@]}"; do stop_child "$p"; done
    rm -rf "$work"
}
trap cleanup EXIT

# A display of our own: Xvfb picks a free number itself (-displayfd), so
# two runs never race for one. Its key autorepeat is pushed out to 30 s: on
# a loaded host a key may be held down long enough for X to repeat it.
Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp -ardelay 30000 -arinterval 30000 \
    3>"$work/display" >"$work/xvfb.log" 2>&1 &
children+=($!)
for _ in $(seq 100); do [[ -s $work/display ]] && break; sleep 0.1; done
[[ -s $work/display ]] || { echo "FAIL: Xvfb did not start"; cat "$work/xvfb.log"; exit 1; }
export DISPLAY=":$(head -n1 "$work/display")"
echo "Xvfb on $DISPLAY"

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
    p=$!; children+=($p)
    wait_for "$work/headless.log" "No bootable device" 30 || { echo "FAIL: $mode: no SeaBIOS output"; status=1; }
    if xdotool search --name '^softvm' >/dev/null 2>&1; then
        echo "FAIL: $mode created a window"; status=1
    else
        echo "ok: $mode: no window"
    fi
    stop_child "$p"
done
DISPLAY= "$SOFTVM" -accel "$accel" -m 64 -kernel "$(dirname "$SOFTVM")/tests/asm/multiboot_vbe.bin" -display sdl \
    -serial none >"$work/nodisplay.log" 2>&1
rc=$?
if [[ $rc == 85 ]] && grep -q 'no display' "$work/nodisplay.log"; then
    echo "ok: no \$DISPLAY: falls back to -display none"
else
    echo "FAIL: without \$DISPLAY: status $rc, said: $(cat "$work/nodisplay.log")"; status=1
fi

# 2. The window: its title (run state, guest MIPS), its size (SeaBIOS's
# 720x400 text mode) and the grab key.
"$SOFTVM" -accel "$accel" -m 64 -bios "$FIRMWARE_BIOS" -debugcon stdio -display sdl -no-reboot \
    </dev/null >"$work/sdl.log" 2>&1 &
p=$!; children+=($p)
wait_for "$work/sdl.log" "No bootable device" 30 || { echo "FAIL: -display sdl: no SeaBIOS output"; status=1; }
sleep 1.5                                   # a title update (once a second)
win=$(xdotool search --name '^softvm' 2>/dev/null | head -n1)
if [[ -z $win ]]; then
    echo "FAIL: -display sdl: no window"; status=1
else
    title=$(xdotool getwindowname "$win")
    geom=$(xdotool getwindowgeometry "$win" | grep -o 'Geometry: .*')
    echo "window: '$title', $geom"
    [[ $title =~ ^softvm\ -\ (running|idle)\ -\ [0-9]+\.[0-9]\ MIPS$ ]] || { echo "FAIL: title '$title'"; status=1; }
    [[ $geom == "Geometry: 720x400" ]] || { echo "FAIL: window is not 720x400"; status=1; }
    # Ctrl-Alt-G grabs the mouse (the title says how to let go), and again releases it.
    xdotool windowfocus --sync "$win" 2>/dev/null
    grabbed= released=
    xdotool key ctrl+alt+g
    for _ in $(seq 50); do
        [[ $(xdotool getwindowname "$win") == *"Ctrl-Alt-G releases the mouse" ]] && { grabbed=1; break; }
        sleep 0.1
    done
    xdotool key ctrl+alt+g
    for _ in $(seq 50); do
        [[ $(xdotool getwindowname "$win") != *"releases the mouse"* ]] && { released=1; break; }
        sleep 0.1
    done
    if [[ $grabbed && $released ]]; then
        echo "ok: Ctrl-Alt-G grabs and releases the mouse"
    else
        echo "FAIL: grab key: grabbed=${grabbed:-no} released=${released:-no}, title '$(xdotool getwindowname "$win")'"
        status=1
    fi
fi
stop_child "$p"

# The window follows the mode: the project's VBE program sets 800x600
# ("hold": it keeps the picture up instead of exiting).
"$SOFTVM" -accel "$accel" -m 32 -kernel "$(dirname "$SOFTVM")/tests/asm/multiboot_vbe.bin" \
    -append hold -display sdl -serial none >"$work/vbe.log" 2>&1 &
p=$!; children+=($p)
win=$(xdotool search --sync --name '^softvm' 2>/dev/null | head -n1)
geom=
for _ in $(seq 100); do
    geom=$(xdotool getwindowgeometry "$win" 2>/dev/null | grep -o 'Geometry: .*')
    [[ $geom == "Geometry: 800x600" ]] && break
    sleep 0.1
done
if [[ $geom == "Geometry: 800x600" ]]; then
    echo "ok: the window resized to the 800x600 VBE mode"
else
    echo "FAIL: in the 800x600 VBE mode the window is ${geom:-gone}"; status=1
fi
stop_child "$p"

# 3. Keys through the window into a shell on tty0; the screen then, as
# text memory and as the picture, against QEMU's (tests/guest/expected/).
if [[ ${SOFTVM_GUEST_LINUX:-1} == 0 ]]; then
    echo "skip part 3: SOFTVM_GUEST_LINUX=0"
    exit $status
fi
[[ -f $GUEST_KERNEL && -f $GUEST_INTERACTIVE_INITRD ]] ||
    { echo "missing guest images: bash tests/guests/build.sh"; exit 1; }
"$SOFTVM" -accel "$accel" -m 256 -bios "$FIRMWARE_BIOS" -kernel "$GUEST_KERNEL" -initrd "$GUEST_INTERACTIVE_INITRD" \
    -append "console=ttyS0 console=tty0 vga=normal" -display sdl -no-reboot \
    -qmp "unix:$work/qmp.sock,server=on,wait=off" </dev/null >"$work/linux.log" 2>&1 &
p=$!; children+=($p)
if ! wait_for "$work/linux.log" "Run /init as init process" 600; then
    echo "FAIL: Linux did not reach /init"; tail -n 20 "$work/linux.log"; exit 1
fi
win=$(xdotool search --sync --name '^softvm' 2>/dev/null | head -n1)
typed='echo typed-$((6*7))-ok > /dev/ttyS0'   # tests/guest/qemu_screen.py types the same
if python3 tests/guest/sdl_type.py --qmp "$work/qmp.sock" --window "$win" --prompt 'softvm:~# ' "$typed" &&
   wait_for "$work/linux.log" "typed-42-ok" 120; then
    echo "ok: keys typed into the window reached the shell"
else
    echo "FAIL: the typed command did not run"; tail -n 20 "$work/linux.log"; exit 1
fi
# The screen once the new prompt is up, as text memory and as the picture.
for _ in $(seq 100); do
    python3 tests/guest/qmp_client.py "$work/qmp.sock" screendump \
        "{\"filename\": \"$work/tty0.txt\", \"format\": \"png\"}" >/dev/null
    [[ $(grep -v '^$' "$work/tty0.txt" | tail -n1) == 'softvm:~#' ]] && break
    sleep 0.1
done
for f in tty0.txt tty0.png; do
    python3 tests/guest/qmp_client.py "$work/qmp.sock" screendump \
        "{\"filename\": \"$work/$f\", \"format\": \"png\"}" >/dev/null
done
stop_child "$p"
# The rows from the init's greeting down are the same on every machine;
# the kernel's messages above them (and any it printed among them, when its
# clock said so) differ in times and hardware, and are not compared.
for shot in "$work/tty0.txt" "$work/tty0.png"; do
    python3 tests/guest/screen_text.py --rom "$FIRMWARE_VGABIOS" "$shot" \
        --compare tests/guest/expected/linux-tty0.txt \
        --from-line 'softvm guest: Linux' --skip-kernel-messages || status=1
done
python3 tests/guest/screen_text.py --rom "$FIRMWARE_VGABIOS" "$work/tty0.png" \
    --same-as "$work/tty0.txt" || status=1
shots=$(dirname "$SOFTVM")/screenshots
mkdir -p "$shots" && cp "$work/tty0.png" "$shots/linux-tty0.png"
exit $status
