/*
 * vga.c - the VGA register file, the legacy memory window through the
 * graphics controller, Bochs VBE, and the stdvga PCI function. See vga.h.
 *
 * Memory access semantics follow the IBM VGA Technical Reference,
 * "Graphics Controller Registers" (read/write modes, set/reset, rotate,
 * function select, bit mask) and "Sequencer Registers" (map mask, memory
 * mode: chain-4, odd/even).
 */
#include "devices/vga.h"
#include "devices/vmstate.h"

#include <stdlib.h>
#include <string.h>
#include "devices/iobus.h"
#include "memory/memory.h"

/* Each byte of a 32-bit value holding one byte per plane. */
static inline uint32_t per_plane(uint8_t b) { return b * 0x01010101u; }
/* 0xFF in the bytes of the planes whose bit is set in mask (4 bits). */
static inline uint32_t plane_bytes(unsigned mask)
{
    return ((mask & 1) ? 0xffu : 0) | ((mask & 2) ? 0xff00u : 0) |
           ((mask & 4) ? 0xff0000u : 0) | ((mask & 8) ? 0xff000000u : 0);
}

static inline uint32_t vram_load32(const struct vga *v, uint32_t off)
{
    uint32_t x;
    memcpy(&x, v->vram + off, 4);
    return x;
}

static void note_dirty(struct vga *v, uint32_t off, uint32_t len)
{
    if (v->mem && v->vram_id >= 0)
        phys_devram_set_dirty(v->mem, v->vram_id, off, len);
}

/* --- the legacy window ---------------------------------------------------- */

/* Window offset -> address on the planes' side, or -1 outside the map the
 * graphics controller selects (GC 6 bits 3:2). In the 64 KiB map the VBE
 * bank moves the window through VRAM. */
static int64_t window_address(const struct vga *v, uint64_t addr)
{
    switch ((v->gc[6] >> 2) & 3) {
    case 0: return (int64_t)addr;                           /* A0000, 128 KiB */
    case 1:                                                 /* A0000, 64 KiB */
        if (addr >= 0x10000)
            return -1;
        return (int64_t)(addr + (uint64_t)v->vbe[VBE_BANK] * 0x10000);
    case 2:                                                 /* B0000, 32 KiB */
        return addr >= 0x10000 && addr < 0x18000 ? (int64_t)(addr - 0x10000) : -1;
    default:                                                /* B8000, 32 KiB */
        return addr >= 0x18000 ? (int64_t)(addr - 0x18000) : -1;
    }
}

static uint8_t window_read(struct vga *v, uint64_t addr)
{
    int64_t a = window_address(v, addr);
    if (a < 0)
        return 0xff;
    if (v->seq[4] & 0x08) {                                  /* chain-4: byte address */
        return (uint64_t)a < VGA_VRAM_SIZE ? v->vram[a] : 0xff;
    }
    if (v->gc[5] & 0x10) {                                   /* odd/even reads */
        unsigned plane = (v->gc[4] & 2) | (unsigned)(a & 1);
        uint64_t off = (((uint64_t)a & ~1ull) << 1) | plane;
        return off < VGA_VRAM_SIZE ? v->vram[off] : 0xff;
    }
    uint64_t pa = (uint64_t)a;
    if (pa * 4 >= VGA_VRAM_SIZE)
        return 0xff;
    v->latch = vram_load32(v, (uint32_t)pa * 4);
    if (!(v->gc[5] & 0x08))                                 /* read mode 0 */
        return (uint8_t)(v->latch >> (8 * (v->gc[4] & 3)));
    /* Read mode 1: colour compare against GC 2 on the planes GC 7 selects. */
    uint32_t diff = (v->latch ^ plane_bytes(v->gc[2] & 0xf)) & plane_bytes(v->gc[7] & 0xf);
    diff |= diff >> 16;
    diff |= diff >> 8;
    return (uint8_t)~diff;
}

static void window_write(struct vga *v, uint64_t addr, uint8_t val)
{
    int64_t a = window_address(v, addr);
    if (a < 0)
        return;
    unsigned map_mask = v->seq[2] & 0xf;
    if (v->seq[4] & 0x08) {                                  /* chain-4 */
        if ((uint64_t)a < VGA_VRAM_SIZE && (map_mask & (1u << (a & 3)))) {
            v->vram[a] = val;
            note_dirty(v, (uint32_t)a, 1);
        }
        return;
    }
    if (!(v->seq[4] & 0x04)) {                               /* odd/even writes */
        unsigned plane = (v->gc[4] & 2) | (unsigned)(a & 1);
        uint64_t off = (((uint64_t)a & ~1ull) << 1) | plane;
        if (off < VGA_VRAM_SIZE && (map_mask & (1u << plane))) {
            v->vram[off] = val;
            note_dirty(v, (uint32_t)off, 1);
        }
        return;
    }
    uint64_t pa = (uint64_t)a;
    if (pa * 4 >= VGA_VRAM_SIZE)
        return;
    unsigned rot = v->gc[3] & 7;
    uint8_t rotated = (uint8_t)((val >> rot) | (val << ((8 - rot) & 7)));
    uint8_t bit_mask = v->gc[8];
    uint32_t data;
    switch (v->gc[5] & 3) {
    case 0:
        data = per_plane(rotated);
        {   /* enable set/reset replaces the planes GC 1 selects with GC 0 */
            uint32_t sr = plane_bytes(v->gc[1] & 0xf);
            data = (data & ~sr) | (plane_bytes(v->gc[0] & 0xf) & sr);
        }
        break;
    case 1:                                                 /* the latches, as read */
        data = v->latch;
        goto store;
    case 2:
        data = plane_bytes(val & 0xf);
        break;
    default:                                                /* 3 */
        data = plane_bytes(v->gc[0] & 0xf);
        bit_mask &= rotated;
        break;
    }
    switch ((v->gc[3] >> 3) & 3) {
    case 1: data &= v->latch; break;
    case 2: data |= v->latch; break;
    case 3: data ^= v->latch; break;
    default: break;
    }
    {
        uint32_t bm = per_plane(bit_mask);
        data = (data & bm) | (v->latch & ~bm);
    }
store:;
    uint32_t off = (uint32_t)pa * 4;
    uint32_t wm = plane_bytes(map_mask);
    uint32_t old = vram_load32(v, off);
    uint32_t nv = (old & ~wm) | (data & wm);
    memcpy(v->vram + off, &nv, 4);
    note_dirty(v, off, 4);
}

static uint64_t vga_mem_read(void *opaque, uint64_t addr, unsigned size)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < size; i++)
        r |= (uint64_t)window_read(opaque, addr + i) << (8 * i);
    return r;
}

static void vga_mem_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    for (unsigned i = 0; i < size; i++)
        window_write(opaque, addr + i, (uint8_t)(value >> (8 * i)));
}

static const struct mmio_ops vga_mmio_ops = { vga_mem_read, vga_mem_write };

/* --- text helpers ----------------------------------------------------------- */

static uint32_t text_cell_offset(const struct vga *v, int row, int col)
{
    unsigned start = (unsigned)v->crtc[0x0c] << 8 | v->crtc[0x0d];
    unsigned pitch = v->crtc[0x13] * 2u;
    unsigned a = (start + (unsigned)row * pitch + (unsigned)col) & (VGA_PLANE_SIZE - 1);
    return 4 * a;
}

uint8_t vga_text_char(const struct vga *v, int row, int col)
{
    return v->vram[text_cell_offset(v, row, col)];
}

uint8_t vga_text_attr(const struct vga *v, int row, int col)
{
    return v->vram[text_cell_offset(v, row, col) + 1];
}

/* --- Bochs VBE ---------------------------------------------------------------- */

static unsigned vbe_bytes_pp(unsigned bpp) { return (bpp + 7) / 8; }

void vga_vbe_fixup(struct vga *v)
{
    uint16_t *r = v->vbe;
    switch (r[VBE_BPP]) {
    case 8: case 15: case 16: case 24: case 32: break;
    default: r[VBE_BPP] = 8; break;
    }
    if (r[VBE_XRES] > VBE_MAX_XRES)
        r[VBE_XRES] = VBE_MAX_XRES;
    r[VBE_XRES] &= (uint16_t)~7u;
    if (r[VBE_XRES] == 0)
        r[VBE_XRES] = 8;
    if (r[VBE_YRES] > VBE_MAX_YRES)
        r[VBE_YRES] = VBE_MAX_YRES;
    if (r[VBE_YRES] == 0)
        r[VBE_YRES] = 1;
    unsigned bpp = vbe_bytes_pp(r[VBE_BPP]);
    /* The widest virtual line that still leaves yres lines in VRAM. */
    unsigned max_vw = VGA_VRAM_SIZE / (bpp * r[VBE_YRES]);
    if (max_vw > 0xffff)
        max_vw = 0xffff;
    if (r[VBE_VIRT_WIDTH] < r[VBE_XRES])
        r[VBE_VIRT_WIDTH] = r[VBE_XRES];
    if (r[VBE_VIRT_WIDTH] > max_vw)
        r[VBE_VIRT_WIDTH] = (uint16_t)max_vw;
    uint32_t line = (uint32_t)r[VBE_VIRT_WIDTH] * bpp;
    uint32_t vh = VGA_VRAM_SIZE / line;
    r[VBE_VIRT_HEIGHT] = (uint16_t)(vh > 0xffff ? 0xffff : vh);
    if (r[VBE_X_OFFSET] > r[VBE_VIRT_WIDTH] - r[VBE_XRES])
        r[VBE_X_OFFSET] = (uint16_t)(r[VBE_VIRT_WIDTH] - r[VBE_XRES]);
    if (r[VBE_Y_OFFSET] > r[VBE_VIRT_HEIGHT] - r[VBE_YRES])
        r[VBE_Y_OFFSET] = (uint16_t)(r[VBE_VIRT_HEIGHT] - r[VBE_YRES]);
    r[VBE_BANK] &= (uint16_t)(VGA_VRAM_SIZE / 0x10000 - 1);
    r[VBE_ENABLE] &= VBE_ENABLED | VBE_GETCAPS | VBE_8BIT_DAC | VBE_LFB_ENABLED | VBE_NOCLEARMEM;
    r[VBE_VIDEO_MEMORY_64K] = VGA_VRAM_SIZE / 0x10000;
    v->vbe_line = line;
    v->vbe_start = r[VBE_Y_OFFSET] * line + r[VBE_X_OFFSET] * bpp;
}

static uint16_t vbe_read(struct vga *v, unsigned i)
{
    if (i >= VBE_NUM)
        return 0;
    if ((v->vbe[VBE_ENABLE] & VBE_GETCAPS) && i >= VBE_XRES && i <= VBE_BPP) {
        static const uint16_t caps[4] = { 0, VBE_MAX_XRES, VBE_MAX_YRES, VBE_MAX_BPP };
        return caps[i];
    }
    return v->vbe[i];
}

static void vbe_write(struct vga *v, unsigned i, uint16_t w)
{
    if (i >= VBE_NUM || i == VBE_VIDEO_MEMORY_64K || i == VBE_VIRT_HEIGHT)
        return;
    switch (i) {
    case VBE_ID:
        if (w >= 0xb0c0 && w <= VBE_ID5)
            v->vbe[VBE_ID] = w;
        return;
    case VBE_XRES: case VBE_YRES: case VBE_BPP:
        /* The mode is fixed while the display is on (Bochs rule). */
        if (v->vbe[VBE_ENABLE] & VBE_ENABLED)
            return;
        v->vbe[i] = w;
        break;
    case VBE_ENABLE: {
        bool was = v->vbe[VBE_ENABLE] & VBE_ENABLED;
        v->vbe[VBE_ENABLE] = w;
        if ((w & VBE_ENABLED) && !was) {
            v->vbe[VBE_VIRT_WIDTH] = v->vbe[VBE_XRES];
            v->vbe[VBE_X_OFFSET] = v->vbe[VBE_Y_OFFSET] = 0;
            v->vbe[VBE_BANK] = 0;
            vga_vbe_fixup(v);
            if (!(w & VBE_NOCLEARMEM)) {
                uint32_t n = v->vbe_line * v->vbe[VBE_YRES];
                memset(v->vram, 0, n);
                note_dirty(v, 0, n);
            }
            /* As the Bochs card does: graphics, 64 KiB chain-4 window at
             * A0000 for banked access, 256-colour shift. */
            v->gc[6] = (uint8_t)((v->gc[6] & ~0x0c) | 0x05);
            v->gc[5] = (uint8_t)((v->gc[5] & ~0x70) | 0x40);
            v->seq[4] |= 0x08;
            v->seq[2] |= 0x0f;
        } else if (!(w & VBE_ENABLED)) {
            v->vbe[VBE_BANK] = 0;
        }
        break;
    }
    default:
        v->vbe[i] = w;
        break;
    }
    vga_vbe_fixup(v);
}

/* --- VGA registers ---------------------------------------------------------------- */

/* Color (0x3Dx) or mono (0x3Bx) addressing, per misc output bit 0. */
static bool port_active(const struct vga *v, uint16_t port)
{
    if (port >= 0x3b0 && port <= 0x3bf)
        return !(v->misc_output & 1);
    if (port >= 0x3d0 && port <= 0x3df)
        return v->misc_output & 1;
    return true;
}

static uint8_t vga_reg_read(struct vga *v, uint16_t port)
{
    if (!port_active(v, port))
        return 0xff;
    switch (port) {
    case 0x3c0: return v->attr_index;
    case 0x3c1: return v->attr[v->attr_index & 0x1f];
    case 0x3c2: return 0x10;            /* input status 0: switch sense */
    case 0x3c4: return v->seq_index;
    case 0x3c5: return v->seq[v->seq_index & 7];
    case 0x3c6: return v->dac_mask;
    case 0x3c7: return v->dac_reading ? 0x03 : 0x00;
    case 0x3c8: return v->dac_write_index;
    case 0x3c9: {
        uint8_t c = v->dac[v->dac_read_index][v->dac_component];
        if (++v->dac_component == 3) {
            v->dac_component = 0;
            v->dac_read_index++;
        }
        return c;
    }
    case 0x3ca: return v->feature_control;
    case 0x3cc: return v->misc_output;
    case 0x3ce: return v->gc_index;
    case 0x3cf: return v->gc[v->gc_index & 15];
    case 0x3b4: case 0x3d4: return v->crtc_index;
    case 0x3b5: case 0x3d5: return v->crtc[v->crtc_index & 0x3f];
    case 0x3ba: case 0x3da:
        /* Input status 1: reading resets the attribute flip-flop. Bits 0
         * (display disabled) and 3 (vertical retrace) toggle on every read,
         * so firmware loops waiting for either edge finish, deterministically. */
        v->attr_flipflop = false;
        v->status_reads++;
        return (v->status_reads & 1) ? 0x09 : 0x00;
    default:
        return 0xff;
    }
}

static void vga_reg_write(struct vga *v, uint16_t port, uint8_t b)
{
    if (!port_active(v, port))
        return;
    switch (port) {
    case 0x3c0:
        if (!v->attr_flipflop)
            v->attr_index = b & 0x3f;
        else if ((v->attr_index & 0x1f) <= 0x14)
            v->attr[v->attr_index & 0x1f] = b;
        v->attr_flipflop = !v->attr_flipflop;
        break;
    case 0x3c2: v->misc_output = b; break;
    case 0x3c4: v->seq_index = b; break;
    case 0x3c5: v->seq[v->seq_index & 7] = b; break;
    case 0x3c6: v->dac_mask = b; break;
    case 0x3c7: v->dac_read_index = b; v->dac_component = 0; v->dac_reading = true; break;
    case 0x3c8: v->dac_write_index = b; v->dac_component = 0; v->dac_reading = false; break;
    case 0x3c9:
        v->dac[v->dac_write_index][v->dac_component] =
            (v->vbe[VBE_ENABLE] & VBE_8BIT_DAC) ? b : (b & 0x3f);
        if (++v->dac_component == 3) {
            v->dac_component = 0;
            v->dac_write_index++;
        }
        break;
    case 0x3ce: v->gc_index = b; break;
    case 0x3cf: v->gc[v->gc_index & 15] = b; break;
    case 0x3b4: case 0x3d4: v->crtc_index = b; break;
    case 0x3b5: case 0x3d5:
        /* CRTC 0-7 are write-protected by bit 7 of register 0x11 (except
         * the line-compare overflow bit 4 of register 7). */
        if ((v->crtc[0x11] & 0x80) && (v->crtc_index & 0x3f) <= 7) {
            if ((v->crtc_index & 0x3f) == 7)
                v->crtc[7] = (uint8_t)((v->crtc[7] & ~0x10) | (b & 0x10));
            break;
        }
        v->crtc[v->crtc_index & 0x3f] = b;
        break;
    case 0x3ba: case 0x3da: v->feature_control = b; break;
    default:
        break;
    }
}

static uint32_t vga_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct vga *v = opaque;
    if (port == 0x1ce || port == 0x1cf) {
        if (port == 0x1ce)
            return v->vbe_index;
        return vbe_read(v, v->vbe_index);
    }
    if (size == 2)      /* index/data pairs: low byte from port, high from port+1 */
        return vga_reg_read(v, port) | (uint32_t)vga_reg_read(v, (uint16_t)(port + 1)) << 8;
    return vga_reg_read(v, port);
}

static void vga_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct vga *v = opaque;
    if (port == 0x1ce) {
        v->vbe_index = (uint16_t)value;
        return;
    }
    if (port == 0x1cf) {
        vbe_write(v, v->vbe_index, (uint16_t)value);
        return;
    }
    vga_reg_write(v, port, (uint8_t)value);
    if (size == 2)      /* outw(index | data << 8) to an index port */
        vga_reg_write(v, (uint16_t)(port + 1), (uint8_t)(value >> 8));
}

/* --- BAR 2: the registers as MMIO (QEMU's stdvga layout) -------------------- */

static uint64_t vga_bar2_read(void *opaque, uint64_t addr, unsigned size)
{
    struct vga *v = opaque;
    uint64_t r = 0;
    if (addr >= 0x500 && addr < 0x500 + 2 * VBE_NUM) {
        for (unsigned i = 0; i < size; i += 2) {
            unsigned reg = (unsigned)(addr + i - 0x500) / 2;
            r |= (uint64_t)vbe_read(v, reg) << (8 * i);
        }
        return size == 1 ? (r >> (8 * (addr & 1))) & 0xff : r;
    }
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = addr + i;
        uint8_t b = (a >= 0x400 && a < 0x420) ? vga_reg_read(v, (uint16_t)(0x3c0 + a - 0x400)) : 0;
        r |= (uint64_t)b << (8 * i);
    }
    return r;
}

static void vga_bar2_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    struct vga *v = opaque;
    if (addr >= 0x500 && addr < 0x500 + 2 * VBE_NUM) {
        if (size >= 2 && !(addr & 1))
            vbe_write(v, (unsigned)(addr - 0x500) / 2, (uint16_t)value);
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = addr + i;
        if (a >= 0x400 && a < 0x420)
            vga_reg_write(v, (uint16_t)(0x3c0 + a - 0x400), (uint8_t)(value >> (8 * i)));
    }
}

static const struct mmio_ops vga_bar2_ops = { vga_bar2_read, vga_bar2_write };

/* BAR 0 moved or memory decoding changed: move the device RAM with it. */
static void vga_pci_write_hook(void *opaque, unsigned offset, unsigned size)
{
    struct vga *v = opaque;
    if (!v->mem || v->vram_id < 0)
        return;
    if (offset + size <= PCI_COMMAND || (offset >= PCI_COMMAND + 2 && offset + size <= PCI_BAR0) ||
        offset >= PCI_BAR0 + 4)
        return;
    uint32_t base = pci_bar_address(&v->pci, 0);
    phys_mem_map_devram(v->mem, v->vram_id, base, base != PCI_BAR_UNMAPPED);
}

/* --- reset and init ----------------------------------------------------------- */

/* BIOS mode 3 (80x25 colour text, 9x16 cells): IBM VGA Technical Reference,
 * the video parameter table entry for mode 3+. */
static const uint8_t mode3_seq[5] = { 0x03, 0x00, 0x03, 0x00, 0x02 };
static const uint8_t mode3_crtc[25] = {
    0x5f, 0x4f, 0x50, 0x82, 0x55, 0x81, 0xbf, 0x1f, 0x00, 0x4f, 0x0d, 0x0e, 0x00,
    0x00, 0x00, 0x00, 0x9c, 0x8e, 0x8f, 0x28, 0x1f, 0x96, 0xb9, 0xa3, 0xff,
};
static const uint8_t mode3_gc[9] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0e, 0x00, 0xff };
static const uint8_t mode3_attr[21] = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14, 0x07, 0x38, 0x39, 0x3a, 0x3b, 0x3c,
    0x3d, 0x3e, 0x3f, 0x0c, 0x00, 0x0f, 0x08, 0x00,
};

void vga_reset(struct vga *v)
{
    v->misc_output = 0x67;
    memset(v->seq, 0, sizeof(v->seq));
    memset(v->crtc, 0, sizeof(v->crtc));
    memset(v->gc, 0, sizeof(v->gc));
    memset(v->attr, 0, sizeof(v->attr));
    memcpy(v->seq, mode3_seq, sizeof(mode3_seq));
    memcpy(v->crtc, mode3_crtc, sizeof(mode3_crtc));
    memcpy(v->gc, mode3_gc, sizeof(mode3_gc));
    memcpy(v->attr, mode3_attr, sizeof(mode3_attr));
    v->seq_index = v->crtc_index = v->gc_index = 0;
    v->attr_index = 0x20;               /* palette address source: display on */
    v->attr_flipflop = false;
    v->latch = 0;
    v->dac_mask = 0xff;
    v->dac_read_index = v->dac_write_index = v->dac_component = 0;
    v->dac_reading = false;
    memset(v->dac, 0, sizeof(v->dac));
    /* The EGA-compatible 64 colours: bits 2/1/0 are 2/3 red/green/blue,
     * bits 5/4/3 add 1/3 of each. */
    for (unsigned i = 0; i < 64; i++) {
        v->dac[i][0] = (uint8_t)(((i >> 2) & 1) * 0x2a + ((i >> 5) & 1) * 0x15);
        v->dac[i][1] = (uint8_t)(((i >> 1) & 1) * 0x2a + ((i >> 4) & 1) * 0x15);
        v->dac[i][2] = (uint8_t)((i & 1) * 0x2a + ((i >> 3) & 1) * 0x15);
    }
    v->feature_control = 0;
    v->status_reads = 0;
    memset(v->vbe, 0, sizeof(v->vbe));
    v->vbe_index = 0;
    v->vbe[VBE_ID] = VBE_ID5;
    v->vbe[VBE_XRES] = 640;
    v->vbe[VBE_YRES] = 480;
    v->vbe[VBE_BPP] = 8;
    vga_vbe_fixup(v);
    if (v->vram) {
        memset(v->vram, 0, VGA_VRAM_SIZE);
        note_dirty(v, 0, VGA_VRAM_SIZE);
    }
    if (v->pci.bus) {
        pci_function_reset_bars(&v->pci);
        vga_pci_write_hook(v, PCI_COMMAND, 2);
    }
}

int vga_init(struct vga *v, struct io_bus *bus, struct phys_mem *mem,
             struct pci_bus *pci, int devfn)
{
    memset(v, 0, sizeof(*v));
    v->vram_id = -1;
    v->vram = calloc(1, VGA_VRAM_SIZE);
    if (!v->vram)
        return -1;
    v->mem = mem;
    vga_reset(v);
    if (io_register(bus, 0x3b4, 2, vga_io_read, vga_io_write, v) ||
        io_register(bus, 0x3ba, 1, vga_io_read, vga_io_write, v) ||
        io_register(bus, 0x3c0, 0x10, vga_io_read, vga_io_write, v) ||
        io_register(bus, 0x3d4, 2, vga_io_read, vga_io_write, v) ||
        io_register(bus, 0x3da, 1, vga_io_read, vga_io_write, v) ||
        io_register(bus, 0x1ce, 2, vga_io_read, vga_io_write, v))
        return -1;
    if (mem) {
        if (phys_mem_add_mmio(mem, VGA_WINDOW_BASE, VGA_WINDOW_SIZE, &vga_mmio_ops, v))
            return -1;
        v->vram_id = phys_mem_add_devram(mem, v->vram, VGA_VRAM_SIZE);
        if (v->vram_id < 0)
            return -1;
    }
    if (pci) {
        pci_function_init(&v->pci, VGA_PCI_VENDOR, VGA_PCI_DEVICE, 0x030000, 0x02);
        /* Subsystem as QEMU's stdvga: Red Hat / QEMU. */
        v->pci.config[PCI_SUBSYSTEM_VENDOR_ID] = 0xf4;
        v->pci.config[PCI_SUBSYSTEM_VENDOR_ID + 1] = 0x1a;
        v->pci.config[PCI_SUBSYSTEM_VENDOR_ID + 2] = 0x00;
        v->pci.config[PCI_SUBSYSTEM_VENDOR_ID + 3] = 0x11;
        pci_set_bar(&v->pci, 0, VGA_VRAM_SIZE, PCI_BAR_MEM_PREFETCH);
        pci_set_bar(&v->pci, 2, VGA_MMIO_BAR_SIZE, 0);
        pci_bar_set_mmio(&v->pci, 2, &vga_bar2_ops, v);
        v->pci.write_hook = vga_pci_write_hook;
        v->pci.opaque = v;
        if (pci_register(pci, &v->pci, devfn))
            return -1;
    }
    return 0;
}

void vga_destroy(struct vga *v)
{
    free(v->vram);
    v->vram = NULL;
}

/* --- saved state (devices/vmstate.h) --- */

/* Derived values follow the loaded registers: the VBE geometry, where BAR 0
 * puts the VRAM; the whole screen is redrawn. */
static void vga_post_load(void *obj)
{
    struct vga *v = obj;
    v->dac_component %= 3;          /* indexes dac[][3] */
    vga_vbe_fixup(v);
    if (v->mem && v->vram_id >= 0) {
        uint32_t base = pci_bar_address(&v->pci, 0);
        phys_mem_map_devram(v->mem, v->vram_id, base, base != PCI_BAR_UNMAPPED);
    }
    if (v->vram)
        note_dirty(v, 0, VGA_VRAM_SIZE);
}
#define V struct vga
static const struct vms_field vga_fields[] = {
    VMS_PB(V, vram, VGA_VRAM_SIZE), VMS(V, latch), VMS(V, misc_output), VMS(V, seq_index),
    VMS_A(V, seq), VMS(V, crtc_index), VMS_A(V, crtc), VMS(V, gc_index), VMS_A(V, gc),
    VMS(V, attr_index), VMS_A(V, attr), VMS(V, attr_flipflop), VMS(V, dac_mask),
    VMS(V, dac_read_index), VMS(V, dac_write_index), VMS(V, dac_component), VMS(V, dac_reading),
    VMS_A2(V, dac), VMS(V, feature_control), VMS(V, status_reads), VMS(V, vbe_index),
    VMS_A(V, vbe), VMS_W(V, vbe_start), VMS_W(V, vbe_line), VMS_S(V, pci, pci_function_vmstate),
    VMS_W(V, mem), VMS_W(V, vram_id),
};
#undef V
const struct vms_desc vga_vmstate = {
    VMS_DESC(struct vga, "vga", 1, vga_fields), .post_load = vga_post_load,
};
