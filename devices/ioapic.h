/*
 * ioapic.h - the I/O APIC of the PC board at 0xFEC00000: 24 input pins,
 * each with a redirection entry (vector, delivery mode, destination,
 * polarity, edge/level trigger with remote IRR, mask) that turns a pin
 * change into an interrupt message to the local APIC.
 *
 * Pins as on QEMU's pc machine, beside the 8259 pair: ISA IRQ n drives pin
 * n, except IRQ0 (the PIT), which drives pin 2 (the MADT's interrupt-source
 * override says so); pins 16-23 are free. Level-triggered entries keep
 * remote IRR set from delivery until the local APIC broadcasts an EOI for
 * their vector; a pin still asserted then is delivered again. Edges that
 * arrive while an entry is masked are held and delivered when it is
 * unmasked (as QEMU does). Polarity is stored but, as in QEMU, a line's
 * asserted state is what counts.
 *
 * Spec: Intel 82093AA I/O APIC datasheet (IOREGSEL/IOWIN, ID, version,
 * arbitration, redirection table); the EOI register at 0x40 of version 0x20
 * parts (ICH), which QEMU's model also reports.
 */
#ifndef SOFTVM_DEVICES_IOAPIC_H
#define SOFTVM_DEVICES_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

struct phys_mem;
struct lapic;

#define IOAPIC_BASE    0xfec00000ull
#define IOAPIC_PINS    24
#define IOAPIC_VERSION 0x20

struct ioapic {
    uint8_t regsel;                 /* IOREGSEL */
    uint32_t id;                    /* ID register (ID in bits 27:24) */
    uint64_t redir[IOAPIC_PINS];
    uint32_t level;                 /* pin levels (bit n = pin n asserted) */
    uint32_t pending;               /* edges waiting for their entry to be unmasked */
    struct lapic *lapic;            /* where messages go */
};

int ioapic_init(struct ioapic *io, struct phys_mem *mem, struct lapic *lapic);
void ioapic_reset(struct ioapic *io);
/* A pin changed level (GSI numbering: pin = GSI). */
void ioapic_set_pin(struct ioapic *io, int pin, bool level);
/* ISA IRQ 0-15 to its pin (IRQ0 -> pin 2). */
int ioapic_isa_pin(int isa_irq);
/* The local APIC's EOI broadcast for a level-triggered vector. */
void ioapic_eoi(void *opaque, int vector);

/* IOREGSEL / IOWIN (tests and the MMIO handlers). */
uint32_t ioapic_reg_read(struct ioapic *io, uint8_t reg);
void ioapic_reg_write(struct ioapic *io, uint8_t reg, uint32_t value);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc ioapic_vmstate;

#endif
