/*
 * vga.c - minimal VGA registers and memory window.  See vga.h.
 */
#include "devices/vga.h"

#include <string.h>
#include "devices/iobus.h"
#include "memory/memory.h"

/* Bochs dispi registers. */
enum {
    VBE_ID = 0, VBE_XRES, VBE_YRES, VBE_BPP, VBE_ENABLE, VBE_BANK, VBE_VIRT_WIDTH,
    VBE_VIRT_HEIGHT, VBE_X_OFFSET, VBE_Y_OFFSET, VBE_VIDEO_MEMORY_64K, VBE_NUM
};
#define VBE_ID5            0xb0c5
#define VBE_ENABLED        0x01
#define VBE_GETCAPS        0x02
#define VBE_MAX_XRES       1920
#define VBE_MAX_YRES       1200
#define VBE_MAX_BPP        32
#define VBE_MEMORY_MB      16

/* --- memory window ------------------------------------------------------------- */

static uint64_t vga_mem_read(void *opaque, uint64_t addr, unsigned size)
{
    struct vga *v = opaque;
    uint64_t r = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t a = addr + i;
        uint8_t b = a < VGA_WINDOW_SIZE ? v->window[a] : 0xff;
        r |= (uint64_t)b << (8 * i);
    }
    return r;
}

static void vga_mem_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    struct vga *v = opaque;
    for (unsigned i = 0; i < size; i++)
        if (addr + i < VGA_WINDOW_SIZE)
            v->window[addr + i] = (uint8_t)(value >> (8 * i));
}

static const struct mmio_ops vga_mmio_ops = { vga_mem_read, vga_mem_write };

uint8_t vga_text_char(const struct vga *v, int row, int col)
{
    unsigned off = 0x18000u + 2u * (unsigned)(row * 80 + col);
    return off < VGA_WINDOW_SIZE ? v->window[off] : 0;
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

static uint32_t vga_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct vga *v = opaque;
    if (size == 2 && port != 0x1ce && port != 0x1cf) {
        /* Word reads of index/data pairs: low byte from port, high from port+1. */
        return vga_io_read(opaque, port, 1) | vga_io_read(opaque, (uint16_t)(port + 1), 1) << 8;
    }
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
    case 0x1ce: return v->vbe_index;
    case 0x1cf: {
        unsigned i = v->vbe_index;
        if (i >= VBE_NUM)
            return 0;
        if ((v->vbe[VBE_ENABLE] & VBE_GETCAPS) && i >= VBE_XRES && i <= VBE_BPP) {
            static const uint16_t caps[4] = { 0, VBE_MAX_XRES, VBE_MAX_YRES, VBE_MAX_BPP };
            return caps[i];
        }
        return v->vbe[i];
    }
    default:
        return 0xff;
    }
}

static void vga_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct vga *v = opaque;
    if (size == 2 && port != 0x1ce && port != 0x1cf) {
        /* outw(index | data << 8) to an index port: the usual fast path. */
        vga_io_write(opaque, port, value & 0xff, 1);
        vga_io_write(opaque, (uint16_t)(port + 1), (value >> 8) & 0xff, 1);
        return;
    }
    if (!port_active(v, port))
        return;
    uint8_t b = (uint8_t)value;
    switch (port) {
    case 0x3c0:
        if (!v->attr_flipflop)
            v->attr_index = b & 0x3f;
        else
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
        v->dac[v->dac_write_index][v->dac_component] = b & 0x3f;
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
    case 0x1ce: v->vbe_index = (uint16_t)value; break;
    case 0x1cf: {
        unsigned i = v->vbe_index;
        uint16_t w = (uint16_t)value;
        if (i >= VBE_NUM || i == VBE_VIDEO_MEMORY_64K)
            break;
        if (i == VBE_ID) {
            if (w >= 0xb0c0 && w <= VBE_ID5)
                v->vbe[VBE_ID] = w;
            break;
        }
        if (i == VBE_BPP && w == 0)
            w = 8;
        v->vbe[i] = w;
        break;
    }
    default:
        break;
    }
}

void vga_reset(struct vga *v)
{
    v->misc_output = 0x01;              /* color addressing (0x3Dx) */
    memset(v->seq, 0, sizeof(v->seq));
    memset(v->crtc, 0, sizeof(v->crtc));
    memset(v->gc, 0, sizeof(v->gc));
    memset(v->attr, 0, sizeof(v->attr));
    v->seq_index = v->crtc_index = v->gc_index = v->attr_index = 0;
    v->attr_flipflop = false;
    v->dac_mask = 0xff;
    v->dac_read_index = v->dac_write_index = v->dac_component = 0;
    v->dac_reading = false;
    memset(v->vbe, 0, sizeof(v->vbe));
    v->vbe_index = 0;
    v->vbe[VBE_ID] = VBE_ID5;
    v->vbe[VBE_BPP] = 8;
    v->vbe[VBE_VIDEO_MEMORY_64K] = VBE_MEMORY_MB * 16;
}

int vga_init(struct vga *v, struct io_bus *bus, struct phys_mem *mem)
{
    memset(v, 0, sizeof(*v));
    vga_reset(v);
    if (io_register(bus, 0x3b4, 2, vga_io_read, vga_io_write, v) ||
        io_register(bus, 0x3ba, 1, vga_io_read, vga_io_write, v) ||
        io_register(bus, 0x3c0, 0x10, vga_io_read, vga_io_write, v) ||
        io_register(bus, 0x3d4, 2, vga_io_read, vga_io_write, v) ||
        io_register(bus, 0x3da, 1, vga_io_read, vga_io_write, v) ||
        io_register(bus, 0x1ce, 2, vga_io_read, vga_io_write, v))
        return -1;
    if (mem && phys_mem_add_mmio(mem, VGA_WINDOW_BASE, VGA_WINDOW_SIZE, &vga_mmio_ops, v))
        return -1;
    return 0;
}
