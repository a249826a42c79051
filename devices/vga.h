/*
 * vga.h - the standard VGA adapter with the Bochs VBE ("dispi") extension,
 * as the PCI function QEMU calls "VGA" (1234:1111, class 0300).
 *
 * Registers (IBM VGA Technical Reference): misc output, sequencer, CRTC
 * (with the register 0x11 write protect), graphics controller, attribute
 * controller (index/data flip-flop reset by input status 1), DAC; input
 * status 1 toggles its retrace bits on every read so firmware wait loops
 * end deterministically.
 *
 * Memory: VGA_VRAM_SIZE bytes of video RAM. The four planes are interleaved:
 * byte p of plane address a is vram[4 * a + p], so the chain-4 (mode 13h)
 * byte address is the vram offset and the VBE framebuffer is vram from 0.
 * The legacy window 0xA0000-0xBFFFF is MMIO through the graphics controller
 * (memory map select, odd/even, chain-4, read modes 0-1, write modes 0-3
 * with rotate, set/reset, logical function, bit mask, map mask, latches);
 * the VBE bank shifts the 64 KiB window. The whole VRAM is also device RAM
 * behind BAR 0 (memory/, phys_mem_add_devram): guest stores there run at
 * RAM speed and set per-page dirty bits the display reads.
 *
 * Bochs VBE (Bochs vbe.h, the interface vgabios-stdvga and Linux bochs-drm
 * drive): ports 0x1CE/0x1CF and the same registers in BAR 2 at 0x500
 * (with the VGA ports at 0x400). Resolution, depth (8/15/16/24/32 bpp),
 * virtual width and x/y offset are sanitised on every write so the visible
 * picture always lies inside VRAM (vga_vbe_fixup): no value a guest writes
 * can make the renderer or the bank window reach outside it.
 *
 * Power-on state: the registers of BIOS mode 3 (80x25 colour text), so a
 * direct-boot guest that writes 0xB8000 without a VGA BIOS sees its text.
 * The font is whatever plane 2 holds: the VGA BIOS loads it.
 */
#ifndef SOFTVM_DEVICES_VGA_H
#define SOFTVM_DEVICES_VGA_H

#include <stdbool.h>
#include <stdint.h>
#include "devices/pci.h"

struct io_bus;
struct phys_mem;

#define VGA_WINDOW_BASE 0xa0000
#define VGA_WINDOW_SIZE 0x20000
#define VGA_VRAM_SIZE   (16u << 20)        /* 16 MiB: BAR 0 */
#define VGA_PLANE_SIZE  0x10000u           /* a plane address is 16 bits */
#define VGA_MMIO_BAR_SIZE 0x1000u          /* BAR 2: VGA ports at 0x400, dispi at 0x500 */
#define VGA_PCI_VENDOR  0x1234
#define VGA_PCI_DEVICE  0x1111

/* Bochs dispi registers (index at 0x1CE). */
enum {
    VBE_ID = 0, VBE_XRES, VBE_YRES, VBE_BPP, VBE_ENABLE, VBE_BANK, VBE_VIRT_WIDTH,
    VBE_VIRT_HEIGHT, VBE_X_OFFSET, VBE_Y_OFFSET, VBE_VIDEO_MEMORY_64K, VBE_NUM
};
#define VBE_ID5            0xb0c5
#define VBE_ENABLED        0x01
#define VBE_GETCAPS        0x02
#define VBE_8BIT_DAC       0x20
#define VBE_LFB_ENABLED    0x40
#define VBE_NOCLEARMEM     0x80
#define VBE_MAX_XRES       1920
#define VBE_MAX_YRES       1200
#define VBE_MAX_BPP        32

struct vga {
    uint8_t *vram;                      /* VGA_VRAM_SIZE bytes (vga_init allocates) */
    uint32_t latch;                     /* the four plane latches, plane p in byte p */
    uint8_t misc_output;
    uint8_t seq_index, seq[8];
    uint8_t crtc_index, crtc[0x40];
    uint8_t gc_index, gc[16];
    uint8_t attr_index, attr[0x20];     /* attr_index bit 5: palette address source */
    bool attr_flipflop;                 /* false: next 0x3C0 write is an index */
    uint8_t dac_mask, dac_read_index, dac_write_index, dac_component;
    bool dac_reading;
    uint8_t dac[256][3];                /* 6 bits each, 8 with VBE_8BIT_DAC */
    uint8_t feature_control;
    unsigned status_reads;              /* drives the retrace toggle */
    uint16_t vbe_index;
    uint16_t vbe[16];
    uint32_t vbe_start;                 /* derived: VRAM offset of the top-left visible pixel */
    uint32_t vbe_line;                  /* derived: bytes per line */

    /* wiring */
    struct pci_function pci;
    struct phys_mem *mem;
    int vram_id;                        /* device RAM region of vram, -1 without a map */
};

/* Allocate VRAM, register the ports, the legacy window, and (with pci) the
 * PCI function at devfn with its BARs. mem and pci may be NULL (tests).
 * Returns 0 or -1. */
int vga_init(struct vga *v, struct io_bus *bus, struct phys_mem *mem,
             struct pci_bus *pci, int devfn);
void vga_destroy(struct vga *v);
void vga_reset(struct vga *v);
/* Recompute the derived VBE geometry after any dispi change (and after a
 * state load): clamps every register into range. */
void vga_vbe_fixup(struct vga *v);

/* Text mode helper for tests and a future console: the character at
 * (row, col) of the text screen the CRTC shows (start address, line offset). */
uint8_t vga_text_char(const struct vga *v, int row, int col);
uint8_t vga_text_attr(const struct vga *v, int row, int col);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc vga_vmstate;

#endif
