#!/usr/bin/env python3
"""A stand-in for softvm in the harness self-tests: prints a scripted console.

    fake_guest.py MODE

Each MODE imitates one way a guest run can go (see MODES below).
"""

import os
import subprocess
import signal
import sys
import time

def expected_marks():
    """The MARK lines a good run prints: tests/guests/expected-marks, in order."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "..", "guests", "expected-marks")
    items = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                items.append((line[0], line[1] if len(line) > 1 else None))
    return items


GOOD = expected_marks()


def say(text, end="\n"):
    sys.stdout.write(text + end)
    sys.stdout.flush()


def marks(items, newline="\n"):
    for i, (name, value) in enumerate(items):
        say(f"[    {i}.000000] some kernel noise", end=newline)
        say(f"MARK {name} {i + 1}.25" + (f" {value}" if value else ""), end=newline)


def good():
    marks(GOOD)


def wrong_checksum():
    bad = list(GOOD)
    bad[2] = ("md5-32M", "00000000000000000000000000000000")
    marks(bad)


def hang():
    marks(GOOD[:1])
    time.sleep(3600)


def hang_with_child():
    # A child that keeps stdout open: the harness must end the whole group.
    subprocess.Popen(["sleep", "3600"])
    marks(GOOD[:1])
    time.sleep(3600)


def exit_3():
    marks(GOOD)
    sys.exit(3)


def missing_mark():
    marks(GOOD[:3])


def out_of_order():
    marks([GOOD[0], GOOD[2], GOOD[1]] + GOOD[3:])


def crlf():
    # A serial console ends lines with \r\n; and a MARK may follow other text.
    say("booting...\r")
    say("noise MARK boot-ok 0.5\r")
    marks(GOOD[1:], newline="\r\n")


def interactive():
    # A prompt without a newline; then echo one typed line back.
    say("softvm:~# ", end="")
    line = sys.stdin.readline()
    say(line.rstrip("\n"))
    say(f"got: {line.strip()}")
    say("MARK done 9.0")


def tty():
    # Say whether stdin is a terminal; in raw mode, echo the bytes of one
    # typed Ctrl-A x (as softvm's console sees them) and exit 5.
    if not os.isatty(0):
        say("stdin is not a terminal")
        sys.exit(1)
    import termios
    import tty as tty_mod
    tty_mod.setraw(0, termios.TCSANOW)
    say("raw> ")
    got = os.read(0, 2)
    say(f"got {got.hex()}")
    sys.exit(5 if got == b"\x01x" else 1)


def panic():
    marks(GOOD[:2])
    say("Kernel panic - not syncing: Attempted to kill init!")
    time.sleep(3600)


def no_exit():
    marks(GOOD)
    time.sleep(3600)


def stderr_noise():
    sys.stderr.write("softvm: warning: something on stderr\n")
    sys.stderr.flush()
    marks(GOOD)
    sys.exit(1)


# softvm's -stats report, as far as the harness's JIT check reads it.
def jit_report(blocks):
    if blocks is None:
        sys.stderr.write("  JIT                    off (-accel interp)\n")
    else:
        sys.stderr.write(f"  JIT                    {blocks} blocks translated in 0.001 s\n")
    sys.stderr.flush()


def on_jit():
    # A JIT that translates: the report at exit (-stats is on the command line).
    marks(GOOD)
    if "-stats" in sys.argv:
        jit_report(42)


def on_jit_no_exit():
    # The same, stopped by the harness: the report comes on SIGUSR1.
    signal.signal(signal.SIGUSR1, lambda *_: jit_report(42 if "-stats" in sys.argv else None))
    marks(GOOD)
    time.sleep(3600)


def jit_fallback():
    # Asked for the JIT, ran on the interpreter.
    marks(GOOD)
    if "-stats" in sys.argv:
        jit_report(None)


def jit_nothing_translated():
    marks(GOOD)
    if "-stats" in sys.argv:
        jit_report(0)


MODES = {f.__name__.replace("_", "-"): f for f in (
    good, wrong_checksum, hang, hang_with_child, exit_3, missing_mark, out_of_order,
    crlf, interactive, tty, panic, no_exit, stderr_noise, on_jit, on_jit_no_exit,
    jit_fallback, jit_nothing_translated)}

if __name__ == "__main__":
    # fake_guest.py [softvm options such as -stats -accel jit] MODE
    if len(sys.argv) < 2 or sys.argv[-1] not in MODES:
        sys.exit(f"usage: fake_guest.py [OPTION...] {{{','.join(MODES)}}}")
    MODES[sys.argv[-1]]()
