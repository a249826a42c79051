/*
 * ioapic.c - the I/O APIC.  See ioapic.h.
 */
#include "devices/ioapic.h"
#include "devices/vmstate.h"

#include <string.h>
#include "devices/lapic.h"
#include "memory/memory.h"

#define RTE_VECTOR(e)   ((uint8_t)((e) & 0xff))
#define RTE_MODE(e)     ((int)(((e) >> 8) & 7))
#define RTE_LOGICAL     (1ull << 11)
#define RTE_STATUS      (1ull << 12)     /* delivery status (read-only) */
#define RTE_REMOTE_IRR  (1ull << 14)     /* read-only */
#define RTE_LEVEL       (1ull << 15)
#define RTE_MASKED      (1ull << 16)
#define RTE_DEST(e)     ((uint8_t)((e) >> 56))
/* Bits software may write: vector, mode, destination mode, polarity,
 * trigger, mask, destination. */
#define RTE_WRITABLE    0xff0000000001afffull

int ioapic_isa_pin(int isa_irq)
{
    return isa_irq == 0 ? 2 : isa_irq;
}

static void send(struct ioapic *io, int pin)
{
    uint64_t e = io->redir[pin];
    bool level = e & RTE_LEVEL;
    if (level)
        io->redir[pin] |= RTE_REMOTE_IRR;
    lapic_deliver(io->lapic, RTE_DEST(e), e & RTE_LOGICAL, RTE_MODE(e), RTE_VECTOR(e), level);
}

/* Deliver what pin n owes now: a held edge, or an asserted level whose
 * previous message was answered by an EOI. */
static void service(struct ioapic *io, int pin)
{
    uint64_t e = io->redir[pin];
    uint32_t bit = 1u << pin;
    if (e & RTE_MASKED)
        return;
    if (e & RTE_LEVEL) {
        if ((io->level & bit) && !(e & RTE_REMOTE_IRR))
            send(io, pin);
    } else if (io->pending & bit) {
        io->pending &= ~bit;
        send(io, pin);
    }
}

void ioapic_set_pin(struct ioapic *io, int pin, bool level)
{
    if (pin < 0 || pin >= IOAPIC_PINS)
        return;
    uint32_t bit = 1u << pin;
    bool was = io->level & bit;
    if (level)
        io->level |= bit;
    else
        io->level &= ~bit;
    if (!(io->redir[pin] & RTE_LEVEL) && level && !was)
        io->pending |= bit;         /* a rising edge */
    service(io, pin);
}

void ioapic_eoi(void *opaque, int vector)
{
    struct ioapic *io = opaque;
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t e = io->redir[pin];
        if ((e & RTE_LEVEL) && RTE_VECTOR(e) == vector && (e & RTE_REMOTE_IRR)) {
            io->redir[pin] &= ~RTE_REMOTE_IRR;
            service(io, pin);
        }
    }
}

uint32_t ioapic_reg_read(struct ioapic *io, uint8_t reg)
{
    if (reg == 0x00)
        return io->id;
    if (reg == 0x01)
        return ((uint32_t)(IOAPIC_PINS - 1) << 16) | IOAPIC_VERSION;
    if (reg == 0x02)
        return io->id;                          /* arbitration ID */
    if (reg >= 0x10 && reg < 0x10 + 2 * IOAPIC_PINS) {
        uint64_t e = io->redir[(reg - 0x10) / 2];
        return (reg & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
    }
    return 0;
}

void ioapic_reg_write(struct ioapic *io, uint8_t reg, uint32_t value)
{
    if (reg == 0x00) {
        io->id = value & 0x0f000000u;
        return;
    }
    if (reg < 0x10 || reg >= 0x10 + 2 * IOAPIC_PINS)
        return;                                 /* version, arbitration: read-only */
    int pin = (reg - 0x10) / 2;
    uint64_t e = io->redir[pin];
    uint64_t v = (reg & 1) ? ((uint64_t)value << 32) | (uint32_t)e
                           : (e & 0xffffffff00000000ull) | value;
    e = (e & ~RTE_WRITABLE) | (v & RTE_WRITABLE);
    if (!(e & RTE_LEVEL))
        e &= ~RTE_REMOTE_IRR;                   /* edge entries have no remote IRR */
    io->redir[pin] = e;
    service(io, pin);
}

/* IOREGSEL at 0x00, IOWIN at 0x10, the EOI register at 0x40. */
static uint64_t mmio_read(void *opaque, uint64_t addr, unsigned size)
{
    struct ioapic *io = opaque;
    (void)size;
    switch (addr & 0xff) {
    case 0x00: return io->regsel;
    case 0x10: return ioapic_reg_read(io, io->regsel);
    default: return 0;
    }
}

static void mmio_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    struct ioapic *io = opaque;
    (void)size;
    switch (addr & 0xff) {
    case 0x00: io->regsel = (uint8_t)value; break;
    case 0x10: ioapic_reg_write(io, io->regsel, (uint32_t)value); break;
    case 0x40: ioapic_eoi(io, (int)(value & 0xff)); break;
    default: break;
    }
}

static const struct mmio_ops ioapic_mmio = { .read = mmio_read, .write = mmio_write };

void ioapic_reset(struct ioapic *io)
{
    io->regsel = 0;
    io->id = 0;
    io->pending = 0;
    for (int i = 0; i < IOAPIC_PINS; i++)
        io->redir[i] = RTE_MASKED;
}

int ioapic_init(struct ioapic *io, struct phys_mem *mem, struct lapic *lapic)
{
    memset(io, 0, sizeof(*io));
    io->lapic = lapic;
    ioapic_reset(io);
    return phys_mem_add_mmio(mem, IOAPIC_BASE, 0x1000, &ioapic_mmio, io);
}

/* --- saved state (devices/vmstate.h) --- */

#define I struct ioapic
static const struct vms_field ioapic_fields[] = {
    VMS(I, regsel), VMS(I, id), VMS_A(I, redir), VMS(I, level), VMS(I, pending), VMS_W(I, lapic),
};
#undef I
const struct vms_desc ioapic_vmstate = { VMS_DESC(struct ioapic, "ioapic", 1, ioapic_fields) };
