#!/usr/bin/env python3
"""Read the text on a text-mode screenshot (PNG) the way a person would:
cut it into character cells and look every cell up in the 8x16 font of the
VGA BIOS ROM (SeaVGABIOS's vgabios-stdvga.bin from Debian's seabios), so the
oracle for what a glyph looks like is the ROM, not softvm.

  screen_text.py --rom vgabios-stdvga.bin shot.png        print the text
  screen_text.py --rom R shot.png --expect-line 0 TEXT     check a line
  screen_text.py --rom R shot.png --same-as dump.txt      compare with a text dump

A cell is 9x16 pixels (the 9th column is ignored); a pixel is "ink" if it
differs from the cell's background (the colour of its top-left pixel, which
every glyph of the IBM font leaves blank). Cells no glyph matches read '?'
(the cursor cell, for one). Exit status 0 if every check passed, else 1.
"""
import argparse
import struct
import sys
import zlib


def read_png(path):
    """8-bit RGB/RGBA non-interlaced PNG -> (width, height, rows of (r,g,b))."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat, w = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        pos += 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise SystemExit(f"{path}: only 8-bit RGB(A) non-interlaced PNGs")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pr) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def rom_font16(rom):
    """The 256x16-byte font in a VGA BIOS: glyph 0 and space blank, glyph
    0xDB (full block) all rows set, 'A' (0x41) and 'H' (0x48) not blank and
    different; the first offset where all of that holds."""
    for off in range(0, len(rom) - 4096):
        g = lambda c: rom[off + 16 * c:off + 16 * c + 16]
        if g(0) != bytes(16) or g(0x20) != bytes(16) or g(0xdb) != b"\xff" * 16:
            continue
        if g(0x41) == bytes(16) or g(0x41) == g(0x48) or g(0x30) == g(0x4f):
            continue
        table = {}
        for c in range(256):
            table.setdefault(bytes(g(c)), c)   # first of equal glyphs (blank -> 0 -> ' ')
        return table
    raise SystemExit("no 8x16 font found in the ROM")


def screen_text(png_path, rom_path):
    font = rom_font16(open(rom_path, "rb").read())
    w, h, rows = read_png(png_path)
    cols, nrows = w // 9, h // 16
    lines = []
    for r in range(nrows):
        out = []
        for c in range(cols):
            x0, y0 = c * 9, r * 16
            bg = rows[y0][x0]
            glyph = bytes(
                sum(0x80 >> x for x in range(8) if rows[y0 + y][x0 + x] != bg)
                for y in range(16))
            ch = font.get(glyph)
            if ch is None:
                out.append("?")
            elif ch in (0, 0x20, 0xff):
                out.append(" ")
            elif 0x20 < ch < 0x7f:
                out.append(chr(ch))
            else:
                out.append("?")
        lines.append("".join(out).rstrip())
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rom", required=True)
    p.add_argument("png")
    p.add_argument("--expect-line", nargs=2, action="append", default=[], metavar=("N", "TEXT"))
    p.add_argument("--expect-text", action="append", default=[], help="TEXT on some line")
    p.add_argument("--same-as", help="a text dump (-screendump FILE.txt) the picture must show")
    a = p.parse_args()
    lines = screen_text(a.png, a.rom)
    ok = True
    for n, text in a.expect_line:
        got = lines[int(n)] if int(n) < len(lines) else ""
        if got != text:
            print(f"FAIL: line {n} reads {got!r}, expected {text!r}")
            ok = False
    for text in a.expect_text:
        if not any(text in l for l in lines):
            print(f"FAIL: no line shows {text!r}")
            ok = False
    if a.same_as:
        dump = [l.rstrip() for l in open(a.same_as, encoding="ascii", errors="replace").read().split("\n")]
        for i, (pic, mem) in enumerate(zip(lines, dump)):
            # '?' in the picture: a cell the ROM font does not explain (the cursor)
            if any(pc != mc and pc != "?" for pc, mc in zip(pic.ljust(len(mem)), mem.ljust(len(pic)))):
                print(f"FAIL: row {i}: picture {pic!r} vs text memory {mem!r}")
                ok = False
    if not ok or not (a.expect_line or a.expect_text or a.same_as):
        print("\n".join(lines).rstrip())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
