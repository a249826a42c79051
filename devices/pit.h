/*
 * pit.h - the Intel 8254 programmable interval timer (ports 0x40-0x43) and
 * the PC's port 0x61 ("NMI status and control"), which carries channel 2's
 * gate and output and the DRAM refresh toggle.
 *
 * Spec: Intel 8254 datasheet (modes 0-5, counter latch, read-back);
 * Intel 82371AB (PIIX4) datasheet, port 61h.
 *
 * The counters are not stepped: each channel remembers the virtual time its
 * count was loaded, and its count and OUT are computed from the elapsed
 * 1.193182 MHz ticks.  Channel 0 arms a virtual-clock timer for its next
 * rising OUT edge and pulses IRQ0 there.
 */
#ifndef SOFTVM_DEVICES_PIT_H
#define SOFTVM_DEVICES_PIT_H

#include <stdbool.h>
#include <stdint.h>

#define PIT_HZ 1193182u

struct io_bus;
struct vclock;

struct pit_channel {
    uint32_t reload;        /* counts per period: 1..0x10000 (10000 in BCD) */
    uint64_t load_tick;     /* absolute tick the count was loaded at */
    bool counting;          /* a count was written (and mode 1/5 triggered) */
    uint8_t mode;           /* 0..5 */
    bool bcd;
    uint8_t access;         /* 1 = lsb, 2 = msb, 3 = lsb then msb */
    bool write_msb_next;    /* lohi: first byte written, waiting for msb */
    uint8_t write_lsb;
    bool read_msb_next;     /* lohi: lsb read, next read is msb */
    bool count_latched;     /* counter latch holds a value */
    uint16_t latch;
    bool latch_msb_next;
    bool status_latched;
    uint8_t status;
    bool null_count;
    bool gate;
    uint64_t frozen_elapsed;  /* ticks counted before the gate went low (modes 0/4) */
};

struct pit {
    struct pit_channel ch[3];
    struct vclock *clock;
    struct io_bus *bus;
    int timer;              /* vclock timer for channel 0's next IRQ0 edge */
    uint8_t port61;         /* bits 0 (gate 2) and 1 (speaker data enable) */
};

int pit_init(struct pit *p, struct io_bus *bus, struct vclock *clock);
void pit_reset(struct pit *p);
/* Current count and OUT level of a channel (for tests and the speaker). */
uint16_t pit_read_count(struct pit *p, int channel);
bool pit_out(struct pit *p, int channel);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc pit_vmstate;

#endif
