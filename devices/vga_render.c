/*
 * vga_render.c - VGA state + VRAM -> RGB pixels, and the incremental
 * display copy. See vga_render.h.
 */
#include "devices/vga_render.h"

#include <stdlib.h>
#include <string.h>
#include "memory/memory.h"

#define VGA_LEGACY_VRAM (4 * VGA_PLANE_SIZE)   /* what the CRTC addresses: 256 KiB */

static unsigned vde_lines(const struct vga *v)
{
    unsigned vde = v->crtc[0x12] | ((v->crtc[7] & 0x02u) << 7) | ((v->crtc[7] & 0x40u) << 3);
    return vde + 1;
}

static unsigned clampu(unsigned x, unsigned lo, unsigned hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

void vga_screen_get(const struct vga *v, struct vga_screen *s)
{
    memset(s, 0, sizeof(*s));
    if (v->vbe[VBE_ENABLE] & VBE_ENABLED) {
        s->kind = VGA_SCREEN_VBE;
        s->width = v->vbe[VBE_XRES];
        s->height = v->vbe[VBE_YRES];
        s->bpp = v->vbe[VBE_BPP];
        return;
    }
    unsigned lines = vde_lines(v);
    if (v->gc[6] & 1) {
        unsigned dots = (v->crtc[1] + 1u) * 8;
        unsigned scan = (v->crtc[9] & 0x1fu) + 1;
        if (v->crtc[9] & 0x80)
            scan *= 2;
        s->height = clampu(lines / scan, 1, VGA_MAX_HEIGHT);
        if (v->gc[5] & 0x40) {
            s->kind = VGA_SCREEN_256;
            s->width = clampu(dots / 2, 1, VGA_MAX_WIDTH);
        } else {
            s->kind = VGA_SCREEN_PLANAR;
            s->width = clampu((v->seq[1] & 8) ? dots / 2 : dots, 1, VGA_MAX_WIDTH);
        }
    } else {
        s->kind = VGA_SCREEN_TEXT;
        s->cell_w = (v->seq[1] & 1) ? 8 : 9;
        s->cell_h = (v->crtc[9] & 0x1fu) + 1;
        if (v->crtc[9] & 0x80)
            lines /= 2;
        s->cols = clampu(v->crtc[1] + 1u, 1, VGA_MAX_WIDTH / 9);
        s->rows = clampu(lines / s->cell_h, 1, VGA_MAX_HEIGHT / s->cell_h);
        s->width = s->cols * s->cell_w;
        s->height = s->rows * s->cell_h;
    }
    /* Screen off (SR1 bit 5) or the attribute controller not showing the
     * palette (index bit 5 clear, as while it is programmed): black. */
    if ((v->seq[1] & 0x20) || !(v->attr_index & 0x20))
        s->kind = VGA_SCREEN_BLANK;
}

/* --- colours ---------------------------------------------------------------- */

static uint32_t dac_rgb(const struct vga *v, unsigned idx)
{
    const uint8_t *c = v->dac[idx & v->dac_mask];
    if (v->vbe[VBE_ENABLE] & VBE_8BIT_DAC)
        return (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
    uint32_t r = c[0] & 0x3f, g = c[1] & 0x3f, b = c[2] & 0x3f;
    r = (r << 2) | (r >> 4);
    g = (g << 2) | (g >> 4);
    b = (b << 2) | (b >> 4);
    return r << 16 | g << 8 | b;
}

/* The 16 colours of text and planar modes: attribute palette, then the
 * colour select register (AC 0x14) for DAC index bits 7:6 (and 5:4 when
 * AC 0x10 bit 7 says so). */
static void palette16(const struct vga *v, uint32_t pal[16])
{
    for (unsigned c = 0; c < 16; c++) {
        unsigned idx = v->attr[c] & 0x3f;
        if (v->attr[0x10] & 0x80)
            idx = (idx & 0x0f) | ((v->attr[0x14] & 3u) << 4);
        idx |= (v->attr[0x14] & 0x0cu) << 4;
        pal[c] = dac_rgb(v, idx);
    }
}

/* --- the screen kinds -------------------------------------------------------- */

static unsigned crtc_start(const struct vga *v)
{
    return (unsigned)v->crtc[0x0c] << 8 | v->crtc[0x0d];
}

static void text_line(const struct vga *v, const struct vga_screen *s, const uint32_t pal[16],
                      uint32_t *out, unsigned y)
{
    unsigned row = y / s->cell_h, line = y % s->cell_h;
    unsigned pitch = v->crtc[0x13] * 2u;
    unsigned s3 = v->seq[3];
    unsigned map_a = ((s3 >> 5) & 1) | (((s3 >> 2) & 3) << 1);
    unsigned map_b = ((s3 >> 4) & 1) | ((s3 & 3) << 1);
    unsigned cursor = ((unsigned)v->crtc[0x0e] << 8 | v->crtc[0x0f]) & (VGA_PLANE_SIZE - 1);
    unsigned cur_lo = v->crtc[0x0a] & 0x1fu, cur_hi = v->crtc[0x0b] & 0x1fu;
    bool cursor_on = !(v->crtc[0x0a] & 0x20) && line >= cur_lo && line <= cur_hi;
    bool blink = v->attr[0x10] & 0x08;
    bool line_gfx = v->attr[0x10] & 0x04;
    unsigned base = crtc_start(v) + row * pitch;
    for (unsigned col = 0; col < s->cols; col++) {
        unsigned a = (base + col) & (VGA_PLANE_SIZE - 1);
        uint8_t ch = v->vram[4 * a], at = v->vram[4 * a + 1];
        unsigned map = (at & 8) ? map_a : map_b;
        unsigned fa = (map * 0x2000u + ch * 32u + line) & (VGA_PLANE_SIZE - 1);
        uint8_t glyph = line < 32 ? v->vram[4 * fa + 2] : 0;
        if (cursor_on && a == cursor)
            glyph = 0xff;
        uint32_t fg = pal[at & 0xf], bg = pal[blink ? (at >> 4) & 7 : at >> 4];
        uint32_t *p = out + col * s->cell_w;
        for (unsigned i = 0; i < 8; i++)
            p[i] = (glyph & (0x80 >> i)) ? fg : bg;
        if (s->cell_w == 9)
            p[8] = (line_gfx && ch >= 0xc0 && ch <= 0xdf && (glyph & 1)) ? fg : bg;
    }
}

static void planar_line(const struct vga *v, const struct vga_screen *s, const uint32_t pal[16],
                        uint32_t *out, unsigned y)
{
    unsigned base = crtc_start(v) + y * (v->crtc[0x13] * 2u);
    unsigned enable = v->attr[0x12] & 0xf;
    for (unsigned x = 0; x < s->width; x++) {
        unsigned a = (base + x / 8) & (VGA_PLANE_SIZE - 1);
        unsigned bit = 7 - (x & 7), c = 0;
        for (unsigned p = 0; p < 4; p++)
            c |= ((v->vram[4 * a + p] >> bit) & 1u) << p;
        out[x] = pal[c & enable];
    }
}

static void line256(const struct vga *v, const struct vga_screen *s, uint32_t *out, unsigned y)
{
    unsigned base = crtc_start(v) * 4 + y * (v->crtc[0x13] * 8u);
    for (unsigned x = 0; x < s->width; x++)
        out[x] = dac_rgb(v, v->vram[(base + x) & (VGA_LEGACY_VRAM - 1)]);
}

static uint32_t widen5(uint32_t x) { return (x << 3) | (x >> 2); }
static uint32_t widen6(uint32_t x) { return (x << 2) | (x >> 4); }

static void vbe_line(const struct vga *v, const struct vga_screen *s, uint32_t *out, unsigned y)
{
    unsigned bpp = (s->bpp + 7) / 8;
    uint64_t off = v->vbe_start + (uint64_t)y * v->vbe_line;
    /* vga_vbe_fixup keeps the picture inside VRAM; never trust it here. */
    if (off + (uint64_t)s->width * bpp > VGA_VRAM_SIZE) {
        memset(out, 0, s->width * sizeof(*out));
        return;
    }
    const uint8_t *p = v->vram + off;
    for (unsigned x = 0; x < s->width; x++, p += bpp) {
        uint32_t w = (uint32_t)p[0] | (bpp > 1 ? (uint32_t)p[1] << 8 : 0);
        switch (s->bpp) {
        case 8:  out[x] = dac_rgb(v, p[0]); break;
        case 15: out[x] = widen5((w >> 10) & 31) << 16 | widen5((w >> 5) & 31) << 8 | widen5(w & 31); break;
        case 16: out[x] = widen5((w >> 11) & 31) << 16 | widen6((w >> 5) & 63) << 8 | widen5(w & 31); break;
        default: out[x] = (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0]; break;  /* 24, 32: B, G, R */
        }
    }
}

void vga_render_lines(const struct vga *v, const struct vga_screen *s,
                      uint32_t *px, unsigned pitch, unsigned y0, unsigned y1)
{
    uint32_t pal[16];
    if (s->kind == VGA_SCREEN_TEXT || s->kind == VGA_SCREEN_PLANAR)
        palette16(v, pal);
    if (y1 > s->height)
        y1 = s->height;
    for (unsigned y = y0; y < y1; y++) {
        uint32_t *out = px + (size_t)y * pitch;
        switch (s->kind) {
        case VGA_SCREEN_BLANK:  memset(out, 0, s->width * sizeof(*out)); break;
        case VGA_SCREEN_TEXT:   text_line(v, s, pal, out, y); break;
        case VGA_SCREEN_PLANAR: planar_line(v, s, pal, out, y); break;
        case VGA_SCREEN_256:    line256(v, s, out, y); break;
        case VGA_SCREEN_VBE:    vbe_line(v, s, out, y); break;
        }
    }
}

void vga_render(const struct vga *v, struct vga_screen *s, uint32_t *px)
{
    vga_screen_get(v, s);
    vga_render_lines(v, s, px, s->width, 0, s->height);
}

/* --- the incremental display copy --------------------------------------------- */

int vga_display_init(struct vga_display *d)
{
    memset(d, 0, sizeof(*d));
    d->px = calloc((size_t)VGA_MAX_WIDTH * VGA_MAX_HEIGHT, sizeof(*d->px));
    return d->px ? 0 : -1;
}

void vga_display_destroy(struct vga_display *d)
{
    free(d->px);
    d->px = NULL;
}

/* Everything the pixels depend on apart from VRAM, in one byte string. */
static unsigned reg_key(const struct vga *v, uint8_t *k)
{
    unsigned n = 0;
#define PUT(src, len) do { memcpy(k + n, (src), (len)); n += (len); } while (0)
    PUT(&v->misc_output, 1);
    PUT(v->seq, sizeof(v->seq));
    PUT(v->crtc, sizeof(v->crtc));
    PUT(v->gc, sizeof(v->gc));
    PUT(v->attr, sizeof(v->attr));
    uint8_t pas = v->attr_index & 0x20;
    PUT(&pas, 1);
    PUT(&v->dac_mask, 1);
    PUT(v->dac, sizeof(v->dac));
    PUT(v->vbe, sizeof(v->vbe));
    PUT(&v->vbe_start, sizeof(v->vbe_start));
    PUT(&v->vbe_line, sizeof(v->vbe_line));
#undef PUT
    return n;
}

static bool pages_dirty(const uint8_t *map, uint64_t off, uint64_t len)
{
    if (len == 0)
        return false;
    uint64_t last = (off + len - 1) / 4096;
    if (last >= VGA_VRAM_SIZE / 4096)
        last = VGA_VRAM_SIZE / 4096 - 1;
    for (uint64_t pg = off / 4096; pg <= last; pg++)
        if (map[pg >> 3] & (1u << (pg & 7)))
            return true;
    return false;
}

/* The VRAM bytes line y of a graphics screen reads (may wrap: then all). */
static void line_span(const struct vga *v, const struct vga_screen *s, unsigned y,
                      uint64_t *off, uint64_t *len)
{
    switch (s->kind) {
    case VGA_SCREEN_VBE:
        *off = v->vbe_start + (uint64_t)y * v->vbe_line;
        *len = (uint64_t)s->width * ((s->bpp + 7) / 8);
        return;
    case VGA_SCREEN_256:
        *off = (crtc_start(v) * 4 + y * (v->crtc[0x13] * 8u)) & (VGA_LEGACY_VRAM - 1);
        *len = s->width;
        break;
    default:                                            /* planar */
        *off = 4 * ((crtc_start(v) + y * (v->crtc[0x13] * 2u)) & (VGA_PLANE_SIZE - 1));
        *len = 4 * ((s->width + 7) / 8);
        break;
    }
    if (*off + *len > VGA_LEGACY_VRAM) {
        *off = 0;
        *len = VGA_LEGACY_VRAM;
    }
}

bool vga_display_update(struct vga *v, struct vga_display *d)
{
    struct vga_screen s;
    vga_screen_get(v, &s);
    uint8_t key[sizeof(d->regs)];
    unsigned nkey = reg_key(v, key);
    if (v->mem && v->vram_id >= 0)
        phys_devram_take_dirty_map(v->mem, v->vram_id, d->dirty);
    else
        memset(d->dirty, 0xff, sizeof(d->dirty));
    d->frames++;
    bool full = !d->valid || memcmp(&s, &d->screen, sizeof(s)) != 0 ||
                nkey != d->nregs || memcmp(key, d->regs, nkey) != 0;
    if (!full && (s.kind == VGA_SCREEN_TEXT || s.kind == VGA_SCREEN_BLANK))
        full = s.kind == VGA_SCREEN_TEXT && pages_dirty(d->dirty, 0, VGA_LEGACY_VRAM);
    if (full) {
        d->screen = s;
        memcpy(d->regs, key, nkey);
        d->nregs = nkey;
        d->valid = true;
        vga_render_lines(v, &s, d->px, s.width, 0, s.height);
        d->lines_drawn += s.height;
        return true;
    }
    if (s.kind == VGA_SCREEN_TEXT || s.kind == VGA_SCREEN_BLANK)
        return false;
    bool any = false;
    for (unsigned y = 0; y < s.height; y++) {
        uint64_t off, len;
        line_span(v, &s, y, &off, &len);
        if (pages_dirty(d->dirty, off, len)) {
            vga_render_lines(v, &s, d->px, s.width, y, y + 1);
            d->lines_drawn++;
            any = true;
        }
    }
    return any;
}
