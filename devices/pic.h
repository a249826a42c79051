/*
 * pic.h - the two cascaded Intel 8259A programmable interrupt controllers of
 * a PC (master at 0x20/0x21 with the slave on its IR2, slave at 0xA0/0xA1)
 * plus the PIIX edge/level control registers ELCR1/ELCR2 at 0x4D0/0x4D1.
 *
 * Spec: Intel 8259A datasheet (ICW1-4, OCW1-3, priority, poll, special mask);
 * Intel 82371AB (PIIX4) datasheet, ELCR.
 */
#ifndef SOFTVM_DEVICES_PIC_H
#define SOFTVM_DEVICES_PIC_H

#include <stdbool.h>
#include <stdint.h>

struct io_bus;

/* One 8259A. */
struct pic_chip {
    uint8_t irr;            /* interrupt request register */
    uint8_t isr;            /* in-service register */
    uint8_t imr;            /* interrupt mask register (OCW1) */
    uint8_t line;           /* current level of the 8 input pins */
    uint8_t edge_seen;      /* inputs whose rising edge was already latched */
    uint8_t elcr;           /* 1 = level-triggered input (ELCR) */
    uint8_t elcr_mask;      /* ELCR bits that exist on this chip */
    uint8_t vector_base;    /* ICW2 & 0xf8 */
    uint8_t lowest;         /* rotation: the IR with the LOWEST priority */
    uint8_t init_step;      /* 0 = operational, 1..3 = expecting ICW2..ICW4 */
    bool icw4_needed;
    bool single;            /* ICW1 SNGL: no ICW3 */
    bool ltim;              /* ICW1 LTIM: all inputs level-triggered */
    bool auto_eoi;          /* ICW4 AEOI */
    bool rotate_on_aeoi;    /* OCW2 R=1 SL=0 EOI=0 */
    bool special_nested;    /* ICW4 SFNM */
    bool special_mask;      /* OCW3 SMM */
    bool read_isr;          /* OCW3 RIS: reads of the command port give ISR */
    bool poll;              /* OCW3 P: next command-port read is a poll */
    bool is_master;
};

struct pic {
    struct pic_chip chip[2];            /* [0] master, [1] slave */
    void (*set_intr)(void *opaque, bool level);   /* the CPU's INTR pin */
    void *intr_opaque;
    bool intr;                          /* last level driven on INTR */
};

/* Registers 0x20-0x21, 0xA0-0xA1, 0x4D0-0x4D1 on the bus. */
int pic_init(struct pic *p, struct io_bus *bus,
             void (*set_intr)(void *opaque, bool level), void *intr_opaque);
void pic_reset(struct pic *p);
/* An ISA IRQ line 0..15 changed level; matches io_bus.irq_route. */
void pic_set_irq(void *opaque, int line, bool level);
/* The CPU's interrupt acknowledge cycle: returns the vector to deliver. */
int pic_intr_ack(void *opaque);
/* True if an unmasked request is waiting (what INTR shows). */
bool pic_pending(const struct pic *p);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc pic_vmstate;

#endif
