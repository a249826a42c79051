#!/usr/bin/env python3
"""Check a screenshot of tests/asm/multiboot_vbe.asm's test pattern pixel by
pixel against its definition: 800x600, pixel (x, y) = (x mod 256, y mod 256,
(x xor y) mod 256). Prints the first mismatches; exit 0 if all match."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from screen_text import read_png  # noqa: E402


def main():
    w, h, rows = read_png(sys.argv[1])
    if (w, h) != (800, 600):
        print(f"FAIL: screenshot is {w}x{h}, the mode is 800x600")
        return 1
    bad = 0
    for y in range(h):
        for x in range(w):
            want = (x & 255, y & 255, (x ^ y) & 255)
            if rows[y][x] != want:
                if bad < 5:
                    print(f"FAIL: pixel ({x},{y}) is {rows[y][x]}, expected {want}")
                bad += 1
    if bad:
        print(f"FAIL: {bad} of {w * h} pixels differ")
        return 1
    print(f"all {w * h} pixels match the pattern")
    return 0


if __name__ == "__main__":
    sys.exit(main())
