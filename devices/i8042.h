/*
 * i8042.h - the PC keyboard controller (data port 0x60, status/command port
 * 0x64) with the PS/2 keyboard on its first port and the PS/2 mouse on its
 * auxiliary port.  IRQ1 for keyboard bytes, IRQ12 for mouse bytes.
 *
 * Spec: IBM PC/AT Technical Reference (8042 commands, output port with the
 * A20 gate and reset line, scancode translation); IBM PS/2 Hardware
 * Interface Technical Reference (keyboard and mouse commands).
 *
 * The keyboard speaks scancode set 2; with translation on (command byte
 * bit 6) the controller turns it into set 1, as on every PC.
 */
#ifndef SOFTVM_DEVICES_I8042_H
#define SOFTVM_DEVICES_I8042_H

#include <stdbool.h>
#include <stdint.h>

struct io_bus;

#define PS2_QUEUE_SIZE 64

struct ps2_queue {
    uint8_t data[PS2_QUEUE_SIZE];
    unsigned head, count;
};

struct i8042 {
    /* Controller. */
    uint8_t status;
    uint8_t command_byte;       /* "RAM byte 0": interrupts, disables, translation */
    uint8_t output_port;        /* bit 0 = not-reset, bit 1 = A20 gate */
    uint8_t pending_cmd;        /* controller command waiting for its data byte, 0 if none */
    struct ps2_queue ctrl_out;  /* controller replies (self-test etc.) */
    bool out_is_aux;            /* the byte in the output buffer came from the mouse */
    uint8_t out_byte;
    bool translate_break;       /* translation saw an F0 prefix */

    /* Keyboard. */
    struct ps2_queue kbd_out;
    uint8_t kbd_pending_cmd;    /* command waiting for its argument */
    bool kbd_scanning;
    uint8_t kbd_scancode_set;
    uint8_t kbd_leds;

    /* Mouse. */
    struct ps2_queue aux_out;
    uint8_t aux_pending_cmd;
    bool aux_reporting;
    bool aux_remote;
    uint8_t aux_rate, aux_resolution, aux_scaling21;
    uint8_t aux_id;             /* 0 = standard, 3 = IntelliMouse wheel */
    uint8_t aux_rate_hist[3];   /* last three sample rates: the 200,100,80 knock */
    uint8_t aux_buttons;

    struct io_bus *bus;
    bool irq1, irq12;
    void (*set_a20)(void *opaque, bool enabled);
    void *a20_opaque;
    void (*reset)(void *opaque);
    void *reset_opaque;
};

int i8042_init(struct i8042 *k, struct io_bus *bus,
               void (*set_a20)(void *opaque, bool enabled), void *a20_opaque,
               void (*reset)(void *opaque), void *reset_opaque);
void i8042_reset(struct i8042 *k);
/* Host input: scancode set 2 bytes for a key event (e.g. 0x1c, or 0xf0 0x1c
 * for its release). Dropped while the keyboard is not scanning. */
void i8042_key_event(struct i8042 *k, const uint8_t *set2_bytes, unsigned n);
/* Whether the keyboard has handed the controller every byte of the keys
 * before (its queue is empty): a real keyboard sends only as fast as the
 * host reads, so the host side holds back new keys until then. */
bool i8042_key_ready(const struct i8042 *k);
/* Host input: relative mouse motion (dy > 0 = up) and buttons (bit 0 left,
 * 1 right, 2 middle). */
void i8042_mouse_event(struct i8042 *k, int dx, int dy, int dz, uint8_t buttons);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc i8042_vmstate;

#endif
