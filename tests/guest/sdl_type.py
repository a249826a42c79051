#!/usr/bin/env python3
"""Type a command into softvm's SDL window the way a person would: with
xdotool (XTEST key events under Xvfb), a few keys at a time, looking at the
screen after each few until the guest has echoed them, so a slow or loaded
host delays the typing instead of garbling it.

    sdl_type.py --qmp SOCKET --window WIN --prompt PROMPT TEXT

softvm must run with -display sdl and -qmp unix:SOCKET,server=on,wait=off.
The screen is read as softvm's text dump (QMP screendump to a .txt name);
the line the guest echoes into is the last non-blank row. First it waits for
that row to be PROMPT (the shell is ready), then types TEXT in chunks, each
once the one before shows, and presses Return. Exit status 0 when all of
TEXT showed; 1, with the screen, if a row other than a prefix of
PROMPT + TEXT showed (a garbled key) or nothing moved for --timeout seconds.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmp_client import QMP  # noqa: E402


def screen(qmp, path):
    qmp.cmd("screendump", {"filename": path, "format": "png"})   # .txt: the text dump
    with open(path, encoding="ascii", errors="replace") as f:
        return [l.rstrip() for l in f.read().split("\n")]


def last_row(lines):
    return next((l for l in reversed(lines) if l.strip()), "")


def wait_row(qmp, path, want, prefix_of, timeout):
    """Until the last row reads want; None, or the screen if it went wrong."""
    end = time.monotonic() + timeout
    while True:
        lines = screen(qmp, path)
        row = last_row(lines)
        if row == want:
            return None
        if prefix_of is not None and not prefix_of.startswith(row) and row.startswith(prefix_of[:4]):
            return lines
        if time.monotonic() > end:
            return lines
        time.sleep(0.1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--qmp", required=True)
    p.add_argument("--window", required=True)
    p.add_argument("--prompt", required=True)
    p.add_argument("--chunk", type=int, default=4, help="keys typed between looks (4)")
    p.add_argument("--timeout", type=float, default=120, help="seconds a step may take (120)")
    p.add_argument("text")
    a = p.parse_args()
    qmp = QMP(a.qmp)
    qmp.negotiate()
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "screen.txt")
        bad = wait_row(qmp, path, a.prompt.rstrip(), None, a.timeout * 3)
        if bad is not None:
            print(f"FAIL: no prompt {a.prompt!r} on the screen:\n" + "\n".join(bad).rstrip())
            return 1
        subprocess.run(["xdotool", "windowfocus", "--sync", a.window], check=False)
        full = a.prompt + a.text
        for at in range(0, len(a.text), a.chunk):
            chunk = a.text[at:at + a.chunk]
            subprocess.run(["xdotool", "type", "--delay", "30", "--", chunk], check=True)
            want = (a.prompt + a.text[:at + a.chunk]).rstrip()
            bad = wait_row(qmp, path, want, full, a.timeout)
            if bad is not None:
                print(f"FAIL: after typing {a.text[:at + a.chunk]!r} the screen shows "
                      f"{last_row(bad)!r}:\n" + "\n".join(bad).rstrip())
                return 1
        subprocess.run(["xdotool", "key", "Return"], check=True)
    print(f"typed {a.text!r}: every key showed on the screen")
    return 0


if __name__ == "__main__":
    sys.exit(main())
