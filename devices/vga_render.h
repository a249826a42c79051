/*
 * vga_render.h - what the VGA shows, as RGB pixels: a pure function of the
 * adapter's registers and VRAM (devices/vga.h), so it runs headless and in
 * tests the same as behind a window.
 *
 * Screens (the CRT raster reduced to logical pixels: dot-clock halving,
 * 256-colour pixel pairs and double scanning are undone):
 *  - blanked (SR1 screen off, attribute palette source off): one black 640x480;
 *  - text: cells of 8 or 9 dots (SR1 bit 0) by CRTC 9 lines, glyphs from
 *    plane 2 at the SR3 character maps (attribute bit 3 picks map A/B), the
 *    9th column repeating line-graphics characters (AC 0x10 bit 2), blink
 *    bit as blink (shown in the "on" phase) or background intensity, the
 *    CRTC cursor (always drawn: the blink is host time, not guest state);
 *  - planar 16 colours (modes 0Dh-12h): four planes through the colour plane
 *    enable and the attribute palette;
 *  - 256 colours (mode 13h, mode X): one byte per pixel through the DAC;
 *  - Bochs VBE 8 (DAC), 15, 16, 24 and 32 bpp.
 * Colours go through the attribute palette (AC 0x10 bit 7, AC 0x14), the
 * pel mask and the DAC (6 bits widened to 8, or 8 with the VBE 8-bit DAC).
 * CGA 2-bit modes (4-6) and the CRTC split screen are not modelled.
 * Spec: IBM VGA Technical Reference (CRTC, attribute controller, DAC).
 */
#ifndef SOFTVM_DEVICES_VGA_RENDER_H
#define SOFTVM_DEVICES_VGA_RENDER_H

#include <stdbool.h>
#include <stdint.h>
#include "devices/vga.h"

#define VGA_MAX_WIDTH  2048
#define VGA_MAX_HEIGHT 1536

enum vga_screen_kind {
    VGA_SCREEN_BLANK, VGA_SCREEN_TEXT, VGA_SCREEN_PLANAR, VGA_SCREEN_256, VGA_SCREEN_VBE,
};

struct vga_screen {
    enum vga_screen_kind kind;
    unsigned width, height;             /* pixels, at most VGA_MAX_* */
    unsigned cols, rows, cell_w, cell_h; /* text */
    unsigned bpp;                       /* VBE */
};

/* What the adapter shows now. */
void vga_screen_get(const struct vga *v, struct vga_screen *s);
/* Draw lines [y0, y1) of screen s (from vga_screen_get on the same state)
 * as 0x00RRGGBB pixels into px, pitch pixels per line. */
void vga_render_lines(const struct vga *v, const struct vga_screen *s,
                      uint32_t *px, unsigned pitch, unsigned y0, unsigned y1);
/* The whole screen: fills s and px (VGA_MAX_WIDTH * VGA_MAX_HEIGHT pixels
 * or s->width * s->height at pitch s->width). */
void vga_render(const struct vga *v, struct vga_screen *s, uint32_t *px);

/*
 * A display's copy of the screen, redrawn incrementally: the lines whose
 * VRAM pages are dirty (memory/ dirty tracking) in graphics and VBE modes,
 * everything when the mode, a register or the palette changed or in text
 * mode when any text page changed. Host-side: not part of the device state.
 */
struct vga_display {
    struct vga_screen screen;
    uint32_t *px;                       /* screen.width x screen.height, pitch width */
    bool valid;
    uint8_t regs[1024];                 /* the registers the last frame was drawn with */
    unsigned nregs;
    uint8_t dirty[VGA_VRAM_SIZE / 4096 / 8];
    unsigned long frames, lines_drawn;  /* statistics: what the updates redrew */
};

int vga_display_init(struct vga_display *d);
void vga_display_destroy(struct vga_display *d);
/* Bring d up to date with v. Returns true if any pixel may have changed. */
bool vga_display_update(struct vga *v, struct vga_display *d);

#endif
