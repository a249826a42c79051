/*
 * pic.c - the cascaded 8259A pair.  See pic.h.
 *
 * Priorities: IR(lowest+1) is highest, IR(lowest) is lowest; after reset
 * lowest = 7, so IR0 wins.  Rotation commands just move `lowest`.
 * Edge-triggered inputs latch IRR on a rising edge; level-triggered inputs
 * (ELCR or ICW1.LTIM) keep IRR equal to the pin.  The slave's INT output
 * is wired to the master's IR2 input.
 */
#include "devices/pic.h"
#include "devices/vmstate.h"

#include <string.h>
#include "devices/iobus.h"

/* Priority rank (0 = highest) of the best request in mask, 8 if none. */
static int best_rank(const struct pic_chip *c, uint8_t mask)
{
    if (!mask)
        return 8;
    for (int rank = 0; rank < 8; rank++)
        if (mask & (1u << ((rank + c->lowest + 1) & 7)))
            return rank;
    return 8;
}

static int rank_to_irq(const struct pic_chip *c, int rank)
{
    return (rank + c->lowest + 1) & 7;
}

/* The IR this chip would present on INTA, or -1. */
static int chip_pending_irq(const struct pic_chip *c)
{
    int req = best_rank(c, c->irr & ~c->imr);
    if (req == 8)
        return -1;
    uint8_t in_service = c->isr;
    /* Special mask mode: masked in-service levels don't block others. */
    if (c->special_mask)
        in_service &= ~c->imr;
    /* Special fully nested mode: the slave may interrupt its own in-service
     * cascade level, so IR2's ISR bit does not block it. */
    if (c->special_nested && c->is_master)
        in_service &= ~(1u << 2);
    int cur = best_rank(c, in_service);
    return req < cur ? rank_to_irq(c, req) : -1;
}

static bool is_level(const struct pic_chip *c, int irq)
{
    return c->ltim || (c->elcr & (1u << irq));
}

/* Feed a pin level into a chip's IRR. */
static void chip_set_input(struct pic_chip *c, int irq, bool level)
{
    uint8_t bit = 1u << irq;
    if (level)
        c->line |= bit;
    else
        c->line &= ~bit;
    if (is_level(c, irq)) {
        if (level)
            c->irr |= bit;
        else
            c->irr &= ~bit;
    } else if (level) {
        if (!(c->edge_seen & bit))
            c->irr |= bit;
        c->edge_seen |= bit;
    } else {
        c->edge_seen &= ~bit;
    }
}

/* Recompute the cascade and the CPU's INTR pin. */
static void pic_update(struct pic *p)
{
    chip_set_input(&p->chip[0], 2, chip_pending_irq(&p->chip[1]) >= 0);
    bool level = chip_pending_irq(&p->chip[0]) >= 0;
    p->intr = level;
    if (p->set_intr)
        p->set_intr(p->intr_opaque, level);
}

bool pic_pending(const struct pic *p)
{
    return chip_pending_irq(&p->chip[0]) >= 0;
}

void pic_set_irq(void *opaque, int line, bool level)
{
    struct pic *p = opaque;
    if (line < 0 || line > 15)
        return;
    chip_set_input(&p->chip[line >> 3], line & 7, level);
    pic_update(p);
}

/* INTA on one chip for a given IR: move the request into service. */
static void chip_ack(struct pic_chip *c, int irq)
{
    uint8_t bit = 1u << irq;
    if (c->auto_eoi) {
        if (c->rotate_on_aeoi)
            c->lowest = irq;
    } else {
        c->isr |= bit;
    }
    /* An edge request is consumed; a level request stays while the pin is high. */
    if (!is_level(c, irq))
        c->irr &= ~bit;
}

int pic_intr_ack(void *opaque)
{
    struct pic *p = opaque;
    struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
    int vector;
    int irq = chip_pending_irq(m);
    if (irq < 0) {
        /* The request went away between INTR and INTA: spurious IRQ7,
         * with no ISR bit set (8259A datasheet, "Interrupt sequence"). */
        vector = m->vector_base | 7;
    } else {
        chip_ack(m, irq);
        if (irq == 2) {
            int sirq = chip_pending_irq(s);
            if (sirq >= 0) {
                chip_ack(s, sirq);
                vector = s->vector_base | sirq;
            } else {
                vector = s->vector_base | 7;   /* spurious IRQ15 */
            }
        } else {
            vector = m->vector_base | irq;
        }
    }
    pic_update(p);
    return vector;
}

static void chip_reset(struct pic_chip *c)
{
    /* ELCR belongs to the PIIX, not the 8259: an ICW1 does not clear it. */
    uint8_t elcr = c->elcr, mask = c->elcr_mask, line = c->line;
    bool master = c->is_master;
    memset(c, 0, sizeof(*c));
    c->elcr = elcr;
    c->elcr_mask = mask;
    c->line = line;
    c->is_master = master;
    c->lowest = 7;
}

/* ICW1 (datasheet: "the edge sense circuit is reset, IMR cleared, IR7 gets
 * lowest priority, special mask mode cleared, status read set to IRR"). */
static void chip_icw1(struct pic_chip *c, uint8_t v)
{
    chip_reset(c);
    c->single = v & 0x02;
    c->ltim = v & 0x08;
    c->icw4_needed = v & 0x01;
    c->init_step = 1;
    /* Level inputs that are high still request; edges must rise again. */
    c->edge_seen = c->line;
    for (int i = 0; i < 8; i++)
        if (is_level(c, i) && (c->line & (1u << i)))
            c->irr |= 1u << i;
}

static void chip_ocw2(struct pic_chip *c, uint8_t v)
{
    int cmd = v >> 5;
    int irq;
    switch (cmd) {
    case 0: c->rotate_on_aeoi = false; break;          /* clear rotate in AEOI */
    case 4: c->rotate_on_aeoi = true; break;           /* set rotate in AEOI */
    case 1:                                             /* non-specific EOI */
    case 5: {                                           /* rotate on non-specific EOI */
        int rank = best_rank(c, c->isr);
        if (rank == 8)
            break;
        irq = rank_to_irq(c, rank);
        c->isr &= ~(1u << irq);
        if (cmd == 5)
            c->lowest = irq;
        break;
    }
    case 3:                                             /* specific EOI */
        c->isr &= ~(1u << (v & 7));
        break;
    case 7:                                             /* rotate on specific EOI */
        c->isr &= ~(1u << (v & 7));
        c->lowest = v & 7;
        break;
    case 6:                                             /* set priority */
        c->lowest = v & 7;
        break;
    default:                                            /* 2: no operation */
        break;
    }
}

static void chip_write(struct pic_chip *c, unsigned reg, uint8_t v)
{
    if (reg == 0) {
        if (v & 0x10) {
            chip_icw1(c, v);
        } else if (v & 0x08) {                          /* OCW3 */
            if (v & 0x04)
                c->poll = true;
            if (v & 0x02)
                c->read_isr = v & 0x01;
            if (v & 0x40)
                c->special_mask = v & 0x20;
        } else {
            chip_ocw2(c, v);
        }
        return;
    }
    switch (c->init_step) {
    case 0:                                             /* OCW1 */
        c->imr = v;
        break;
    case 1:                                             /* ICW2 */
        c->vector_base = v & 0xf8;
        c->init_step = !c->single ? 2 : (c->icw4_needed ? 3 : 0);
        break;
    case 2:                                             /* ICW3: cascade wiring is fixed */
        c->init_step = c->icw4_needed ? 3 : 0;
        break;
    case 3:                                             /* ICW4 */
        c->auto_eoi = v & 0x02;
        c->special_nested = v & 0x10;
        c->init_step = 0;
        break;
    }
}

/* Poll command: the next read returns 0x80 | IR of the best request and
 * acknowledges it as INTA would (datasheet, "The Poll Command"). */
static uint8_t pic_poll(struct pic *p, int which)
{
    struct pic_chip *c = &p->chip[which];
    c->poll = false;
    int irq = chip_pending_irq(c);
    if (irq < 0)
        return 0;
    chip_ack(c, irq);
    return 0x80 | irq;
}

static uint32_t pic_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct pic *p = opaque;
    if (port == 0x4d0 || port == 0x4d1)
        return p->chip[port & 1].elcr;
    int which = (port & 0x80) ? 1 : 0;
    struct pic_chip *c = &p->chip[which];
    uint8_t v;
    if ((port & 1) == 0) {
        if (c->poll) {
            v = pic_poll(p, which);
            pic_update(p);
        } else {
            v = c->read_isr ? c->isr : c->irr;
        }
    } else {
        v = c->imr;
    }
    return v;
}

static void pic_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct pic *p = opaque;
    if (port == 0x4d0 || port == 0x4d1) {
        struct pic_chip *c = &p->chip[port & 1];
        c->elcr = value & c->elcr_mask;
        /* Re-evaluate every input under its new trigger mode. */
        uint8_t line = c->line;
        for (int i = 0; i < 8; i++) {
            if (is_level(c, i))
                c->irr = (c->irr & ~(1u << i)) | (line & (1u << i));
        }
        pic_update(p);
        return;
    }
    int which = (port & 0x80) ? 1 : 0;
    chip_write(&p->chip[which], port & 1, (uint8_t)value);
    pic_update(p);
}

void pic_reset(struct pic *p)
{
    for (int i = 0; i < 2; i++) {
        chip_reset(&p->chip[i]);
        p->chip[i].elcr = 0;
        p->chip[i].edge_seen = p->chip[i].line;
    }
    pic_update(p);
}

int pic_init(struct pic *p, struct io_bus *bus,
             void (*set_intr)(void *opaque, bool level), void *intr_opaque)
{
    memset(p, 0, sizeof(*p));
    p->set_intr = set_intr;
    p->intr_opaque = intr_opaque;
    p->chip[0].is_master = true;
    /* IRQ0, 1, 2 (and 8, 13 on the slave) are always edge on the PIIX. */
    p->chip[0].elcr_mask = 0xf8;
    p->chip[1].elcr_mask = 0xde;
    pic_reset(p);
    if (io_register(bus, 0x20, 2, pic_io_read, pic_io_write, p) ||
        io_register(bus, 0xa0, 2, pic_io_read, pic_io_write, p) ||
        io_register(bus, 0x4d0, 2, pic_io_read, pic_io_write, p))
        return -1;
    return 0;
}

/* --- saved state (devices/vmstate.h) --- */

#define C struct pic_chip
static const struct vms_field pic_chip_fields[] = {
    VMS(C, irr), VMS(C, isr), VMS(C, imr), VMS(C, line), VMS(C, edge_seen), VMS(C, elcr),
    VMS_C(C, elcr_mask), VMS(C, vector_base), VMS(C, lowest), VMS(C, init_step),
    VMS(C, icw4_needed), VMS(C, single), VMS(C, ltim), VMS(C, auto_eoi),
    VMS(C, rotate_on_aeoi), VMS(C, special_nested), VMS(C, special_mask), VMS(C, read_isr),
    VMS(C, poll), VMS_C(C, is_master),
};
#undef C
static const struct vms_desc pic_chip_vmstate = {
    VMS_DESC(struct pic_chip, "pic_chip", 1, pic_chip_fields)
};
static const struct vms_field pic_fields[] = {
    VMS_SA(struct pic, chip, pic_chip_vmstate),
    VMS_W(struct pic, set_intr), VMS_W(struct pic, intr_opaque),
    VMS(struct pic, intr),
};
const struct vms_desc pic_vmstate = { VMS_DESC(struct pic, "pic", 1, pic_fields) };
