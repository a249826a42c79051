#!/usr/bin/env python3
"""same_picture.py GOT.png WANT.png: the two PNGs show the same picture,
pixel for pixel (their encodings may differ). Prints the first differences;
exit 0 if they match, else 1."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from screen_text import read_png  # noqa: E402


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    got, want = read_png(sys.argv[1]), read_png(sys.argv[2])
    if got[:2] != want[:2]:
        print(f"FAIL: {sys.argv[1]} is {got[0]}x{got[1]}, {sys.argv[2]} {want[0]}x{want[1]}")
        return 1
    w, h = got[:2]
    bad = [(x, y) for y in range(h) for x in range(w) if got[2][y][x] != want[2][y][x]]
    for x, y in bad[:5]:
        print(f"FAIL: pixel ({x},{y}) is {got[2][y][x]} in {sys.argv[1]}, {want[2][y][x]} in {sys.argv[2]}")
    if bad:
        print(f"FAIL: {len(bad)} of {w * h} pixels differ")
        return 1
    print(f"ok: {sys.argv[1]} and {sys.argv[2]}: all {w * h} pixels the same")
    return 0


if __name__ == "__main__":
    sys.exit(main())
