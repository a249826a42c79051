/*
 * vga.h - just enough of a VGA for a headless boot: the legacy memory
 * window 0xA0000-0xBFFFF (text mode characters at 0xB8000 land in it and
 * read back), the VGA register file at 0x3B0-0x3DF (sequencer, CRTC,
 * graphics controller, attribute controller, DAC, misc output, input
 * status with a toggling retrace bit), and the Bochs VBE "dispi"
 * registers at 0x1CE/0x1CF so SeaBIOS's vgabios-stdvga.bin initialises.
 *
 * The memory window is stored flat (no planes, no chain-4): a display
 * model comes in a later issue.
 *
 * Spec: IBM VGA Technical Reference (register map); Bochs vbe.h (dispi).
 */
#ifndef SOFTVM_DEVICES_VGA_H
#define SOFTVM_DEVICES_VGA_H

#include <stdbool.h>
#include <stdint.h>

struct io_bus;
struct phys_mem;

#define VGA_WINDOW_BASE 0xa0000
#define VGA_WINDOW_SIZE 0x20000

struct vga {
    uint8_t window[VGA_WINDOW_SIZE];    /* what the guest wrote at 0xA0000-0xBFFFF */
    uint8_t misc_output;
    uint8_t seq_index, seq[8];
    uint8_t crtc_index, crtc[0x40];
    uint8_t gc_index, gc[16];
    uint8_t attr_index, attr[0x20];
    bool attr_flipflop;                 /* false: next 0x3C0 write is an index */
    uint8_t dac_mask, dac_read_index, dac_write_index, dac_component;
    bool dac_reading;
    uint8_t dac[256][3];
    uint8_t feature_control;
    unsigned status_reads;              /* drives the retrace toggle */
    uint16_t vbe_index;
    uint16_t vbe[16];
};

int vga_init(struct vga *v, struct io_bus *bus, struct phys_mem *mem);
void vga_reset(struct vga *v);
/* Text mode helper for tests and a future console: the character at
 * (row, col) of an 80-column screen at 0xB8000. */
uint8_t vga_text_char(const struct vga *v, int row, int col);

#endif
