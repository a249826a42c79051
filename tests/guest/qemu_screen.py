#!/usr/bin/env python3
"""Make the expected screens in tests/guest/expected/ with QEMU as the
oracle: QEMU (qemu-system-i386, TCG) runs the same firmware and guest
images as the softvm cases, on a machine set up like softvm's pc, and its
QMP screendump (a PPM that QEMU's own VGA rendered) is read back as text
with the VGA BIOS ROM's font (screen_text.py). Nothing of softvm takes part.

  qemu_screen.py seabios-banner OUT.txt   SeaBIOS with nothing to boot
  qemu_screen.py linux-tty0 OUT.txt       Debian's kernel, console on tty0,
                                          a command typed into its shell

The files are checked in; run this again only when the firmware or the
guest images change (tests/guest/expected/README.md says how). Needs the
images of tests/guests/build.sh and roms/fetch-firmware.sh in
$SOFTVM_CACHE (default ~/.cache/softvm).

The QEMU machine matches softvm's: -nodefaults (no NIC and its iPXE ROM, no
CD-ROM), the stdvga with Debian's vgabios-stdvga.bin, and no kvmvapic
option ROM (apic.vapic=off: SeaBIOS would count that legacy ROM as a boot
device and try the hard disk before the floppy).
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from screen_text import screen_text  # noqa: E402

CACHE = os.environ.get("SOFTVM_CACHE",
                       os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                                    "softvm"))
BIOS = os.path.join(CACHE, "bios.bin")
VGABIOS = os.path.join(CACHE, "vgabios-stdvga.bin")
KERNEL = os.path.join(CACHE, "vmlinuz")
INITRD = os.path.join(CACHE, "interactive-initramfs.cpio.gz")

# The command typed into the Linux shell (the same as sdl-window.sh types).
TYPED = "echo typed-$((6*7))-ok > /dev/ttyS0"

# QEMU key names (QKeyCode) of the characters typed; (name, shifted).
KEYS = {" ": ("spc", False), "-": ("minus", False), "$": ("4", True), "(": ("9", True),
        ")": ("0", True), "*": ("8", True), ">": ("dot", True), "/": ("slash", False),
        "\n": ("ret", False)}


def key_of(ch):
    if ch.isdigit() or ch.islower():
        return ch, False
    if ch.isupper():
        return ch.lower(), True
    return KEYS[ch]


class Qemu:
    def __init__(self, work, args):
        self.work = work
        self.sock = os.path.join(work, "qmp.sock")
        self.serial = os.path.join(work, "serial.log")
        self.debugcon = os.path.join(work, "debugcon.log")
        cmd = ["qemu-system-i386", "-M", "pc", "-nodefaults", "-display", "none",
               "-global", "apic.vapic=off", "-device", f"VGA,romfile={VGABIOS}",
               "-bios", BIOS, "-no-reboot",
               "-chardev", f"file,id=ser,path={self.serial}", "-serial", "chardev:ser",
               "-chardev", f"file,id=dbg,path={self.debugcon}",
               "-device", "isa-debugcon,iobase=0x402,chardev=dbg",
               "-qmp", f"unix:{self.sock},server=on,wait=off"] + args
        print("qemu:", " ".join(cmd), file=sys.stderr)
        self.proc = subprocess.Popen(cmd)
        for _ in range(200):
            if os.path.exists(self.sock):
                break
            time.sleep(0.05)
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(self.sock)
        self.f = self.s.makefile("rw")
        self.f.readline()                      # the greeting
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            r = json.loads(self.f.readline())
            if "error" in r:
                raise SystemExit(f"QMP {name}: {r['error']}")
            if "return" in r:
                return r["return"]

    def screen(self):
        path = os.path.join(self.work, "screen.ppm")
        self.cmd("screendump", filename=path)
        return screen_text(path, VGABIOS)

    def wait_log(self, path, text, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if os.path.exists(path) and text in open(path, errors="replace").read():
                return
            time.sleep(0.2)
        raise SystemExit(f"QEMU: no {text!r} in {path} after {seconds} s")

    def wait_screen(self, test, seconds, what):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            lines = self.screen()
            if test(lines):
                return lines
            time.sleep(0.5)
        raise SystemExit(f"QEMU: the screen never showed {what}:\n" + "\n".join(lines))

    def type(self, text):
        for ch in text:
            name, shift = key_of(ch)
            keys = ([{"type": "qcode", "data": "shift"}] if shift else []) + \
                   [{"type": "qcode", "data": name}]
            self.cmd("send-key", keys=keys, **{"hold-time": 50})
            time.sleep(0.08)

    def quit(self):
        try:
            self.cmd("quit")
        except (OSError, SystemExit, ValueError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def settle(q, lines, seconds=3):
    """The screen once it stopped changing for `seconds`."""
    while True:
        time.sleep(seconds)
        now = q.screen()
        if now == lines:
            return now
        lines = now


def seabios_banner(work):
    q = Qemu(work, ["-m", "64"])
    try:
        q.wait_log(q.debugcon, "No bootable device", 60)
        return settle(q, q.screen(), 1)
    finally:
        q.quit()


def linux_tty0(work):
    q = Qemu(work, ["-m", "256", "-kernel", KERNEL, "-initrd", INITRD,
                    "-append", "console=ttyS0 console=tty0 vga=normal"])
    try:
        q.wait_log(q.serial, "Run /init as init process", 600)
        q.wait_screen(lambda ls: any(l.startswith("softvm:~#") for l in ls), 120, "the prompt")
        q.type(TYPED + "\n")
        q.wait_log(q.serial, "typed-42-ok", 60)
        return settle(q, q.screen())
    finally:
        q.quit()


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("seabios-banner", "linux-tty0"):
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory() as work:
        lines = (seabios_banner if sys.argv[1] == "seabios-banner" else linux_tty0)(work)
    with open(sys.argv[2], "w", encoding="ascii") as f:
        f.write("".join(line + "\n" for line in lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
