#!/usr/bin/env python3
"""Read the text on a text-mode screenshot (PNG or PPM) the way a person
would: cut it into character cells and look every cell up in the 8x16 font
of the VGA BIOS ROM (SeaVGABIOS's vgabios-stdvga.bin from Debian's seabios),
so the oracle for what a glyph looks like is the ROM, not softvm.

  screen_text.py --rom vgabios-stdvga.bin shot.png        print the text
  screen_text.py --rom R shot.png --expect-line 0 TEXT     check a line
  screen_text.py --rom R shot.png --same-as dump.txt      compare with a text dump
  screen_text.py [--rom R] SHOT --compare EXPECTED [--from-line TEXT]
                                          compare with an expected screen

SHOT is a PNG, a binary PPM (QEMU's screendump) or a text dump (a name
ending in .txt: softvm's -screendump FILE.txt, one line per row). EXPECTED
is a text file holding a whole screen, one line per row, trailing blanks
dropped (tests/guest/expected/). The two must have the same number of
rows. --compare checks every row; with --from-line only the region from
the first row that starts with TEXT down to the bottom, in each screen (for
screens whose upper rows legitimately differ, such as a kernel log), and
with --skip-kernel-messages also without the Linux kernel messages
("[  1.234567] ...") in that region, which the kernel prints when its clock
says so and so between different rows on different machines.

A cell is 9x16 pixels (the 9th column is ignored); a pixel is "ink" if it
differs from the cell's background (the colour of its top-left pixel, which
every glyph of the IBM font leaves blank). A cell no glyph matches is tried
again without its completely inked scan lines (the text cursor is drawn as
such lines over the glyph); the lowest character code that then matches is
taken (a blank cell with the cursor reads as a space). Cells still not
explained read '?'. Exit status 0 if every check passed, else 1.
"""
import argparse
import re
import struct
import sys
import zlib


def read_ppm(data, path):
    """Binary PPM (P6, maxval 255) -> (width, height, rows of (r,g,b))."""
    fields, pos = [], 2
    while len(fields) < 3:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(int(data[pos:end]))
        pos = end
    w, h, maxval = fields
    if maxval != 255:
        raise SystemExit(f"{path}: only 8-bit PPMs")
    pos += 1
    rows = []
    for y in range(h):
        line = data[pos + y * w * 3:pos + (y + 1) * w * 3]
        rows.append([tuple(line[3 * x:3 * x + 3]) for x in range(w)])
    return w, h, rows


def read_image(path):
    """A PNG or a binary PPM -> (width, height, rows of (r,g,b))."""
    with open(path, "rb") as f:
        head = f.read(2)
    if head == b"P6":
        with open(path, "rb") as f:
            return read_ppm(f.read(), path)
    return read_png(path)


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
        return [bytes(g(c)) for c in range(256)]
    raise SystemExit("no 8x16 font found in the ROM")


def glyph_char(font, table, glyph):
    """The character code a cell's 16 ink rows show, or None."""
    ch = table.get(glyph)
    if ch is not None:
        return ch
    keep = [y for y in range(16) if glyph[y] != 0xff]
    if len(keep) == 16:
        return None
    for c in range(256):                        # without the cursor's lines
        if all(font[c][y] == glyph[y] for y in keep):
            return c
    return None


def screen_text(png_path, rom_path):
    font = rom_font16(open(rom_path, "rb").read())
    table = {}
    for c in range(256):
        table.setdefault(font[c], c)   # first of equal glyphs (blank -> 0 -> ' ')
    w, h, rows = read_image(png_path)
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
            ch = glyph_char(font, table, glyph)
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


def read_text_dump(path):
    """A screen as text, one line per row, trailing blanks dropped (the
    newline after the last row does not make another row)."""
    text = open(path, encoding="ascii", errors="replace").read()
    if text.endswith("\n"):
        text = text[:-1]
    return [l.rstrip() for l in text.split("\n")]


# A Linux kernel message on the console: "[seconds.micros] text".
KERNEL_MESSAGE = re.compile(r"^\[ *\d+\.\d{6}\] ")


def without_kernel_messages(rows, width):
    """rows less the kernel's messages (and the rows a message longer than
    the screen is wide wrapped onto)."""
    out, wrapping = [], False
    for row in rows:
        if KERNEL_MESSAGE.match(row) or wrapping:
            wrapping = len(row) >= width
            continue
        out.append(row)
    return out


def compare_screens(got, want, from_line, skip_kernel, width, got_name, want_name):
    """True if got shows want. With from_line: the rows from the first one
    starting with from_line down to the bottom, in each screen; with
    skip_kernel, less the kernel messages among them (they come when the
    guest's clock says so, so they fall between different rows on different
    machines)."""
    if len(got) != len(want):
        print(f"FAIL: {got_name} has {len(got)} rows, {want_name} {len(want)}")
        return False
    regions = []
    for name, rows in ((got_name, got), (want_name, want)):
        first = 0
        if from_line is not None:
            first = next((i for i, l in enumerate(rows) if l.startswith(from_line)), None)
            if first is None:
                print(f"FAIL: {name} has no row starting with {from_line!r}")
                return False
        region = rows[first:]
        if skip_kernel:
            region = without_kernel_messages(region, width)
        regions.append((first, region))
    (g0, g), (w0, w) = regions
    ok = True
    for i in range(max(len(g), len(w))):
        a = g[i] if i < len(g) else "<none>"
        b = w[i] if i < len(w) else "<none>"
        if a != b:
            print(f"FAIL: region row {i}: {got_name} shows {a!r}, {want_name} {b!r}")
            ok = False
    if ok:
        print(f"ok: {got_name} rows {g0}-{len(got) - 1} show {want_name} rows {w0}-{len(want) - 1}"
              + (f" ({len(w)} rows, less kernel messages)" if skip_kernel else ""))
    return ok


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rom", help="the VGA BIOS ROM whose font reads a picture")
    p.add_argument("png", metavar="SHOT", help="PNG, PPM, or a text dump (.txt)")
    p.add_argument("--expect-line", nargs=2, action="append", default=[], metavar=("N", "TEXT"))
    p.add_argument("--expect-text", action="append", default=[], help="TEXT on some line")
    p.add_argument("--same-as", help="a text dump (-screendump FILE.txt) the picture must show")
    p.add_argument("--compare", metavar="EXPECTED", help="an expected screen (text file)")
    p.add_argument("--from-line", metavar="TEXT",
                   help="with --compare: only the rows from EXPECTED's first row starting with TEXT")
    p.add_argument("--skip-kernel-messages", action="store_true",
                   help="with --from-line: leave Linux's timed messages out of the region")
    p.add_argument("--width", type=int, default=80, help="columns of the text mode (80)")
    a = p.parse_args()
    if a.png.endswith(".txt"):
        lines = read_text_dump(a.png)
    elif not a.rom:
        p.error("reading a picture needs --rom")
    else:
        lines = screen_text(a.png, a.rom)
    ok = True
    if a.compare:
        ok = compare_screens(lines, read_text_dump(a.compare), a.from_line,
                             a.skip_kernel_messages, a.width, a.png, a.compare)
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
        dump = read_text_dump(a.same_as)
        for i, (pic, mem) in enumerate(zip(lines, dump)):
            # '?' in the picture: a cell the ROM font does not explain (the cursor)
            if any(pc != mc and pc != "?" for pc, mc in zip(pic.ljust(len(mem)), mem.ljust(len(pic)))):
                print(f"FAIL: row {i}: picture {pic!r} vs text memory {mem!r}")
                ok = False
    if not ok or not (a.expect_line or a.expect_text or a.same_as or a.compare):
        print("\n".join(lines).rstrip())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
