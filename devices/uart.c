/*
 * uart.c - the 16550A UART.  See uart.h.
 */
#include "devices/uart.h"
#include "devices/vmstate.h"

#include <string.h>
#include "devices/iobus.h"
#include "devices/vclock.h"

/* Register offsets. */
enum { REG_RBR_THR = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3,
       REG_MCR = 4, REG_LSR = 5, REG_MSR = 6, REG_SCR = 7 };

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_PE   0x04
#define LSR_FE   0x08
#define LSR_BI   0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_ERRS (LSR_OE | LSR_PE | LSR_FE | LSR_BI)

#define IER_RDA  0x01
#define IER_THRE 0x02
#define IER_RLS  0x04
#define IER_MS   0x08

#define MCR_LOOP 0x10
#define LCR_DLAB 0x80
#define FCR_ENABLE 0x01

#define UART_CLOCK_HZ 1843200u

static bool fifo_on(const struct uart *u) { return u->fcr & FCR_ENABLE; }

static unsigned rx_trigger(const struct uart *u)
{
    static const unsigned level[4] = { 1, 4, 8, 14 };
    return fifo_on(u) ? level[u->fcr >> 6] : 1;
}

/* The highest-priority pending interrupt, as IIR bits 0-3 (datasheet
 * table "Interrupt Control Functions"). */
static uint8_t pending_iir(const struct uart *u)
{
    if ((u->ier & IER_RLS) && (u->lsr & LSR_ERRS))
        return 0x06;
    if ((u->ier & IER_RDA) && u->rx_count >= rx_trigger(u))
        return 0x04;
    if ((u->ier & IER_RDA) && u->timeout_pending && u->rx_count)
        return 0x0c;
    if ((u->ier & IER_THRE) && u->thre_pending)
        return 0x02;
    if ((u->ier & IER_MS) && (u->msr & 0x0f))
        return 0x00;
    return 0x01;
}

static void update_irq(struct uart *u)
{
    bool level = !(pending_iir(u) & 0x01);
    if (level != u->irq_level) {
        u->irq_level = level;
        irq_set(u->bus, u->irq, level);
    }
}

/* Four character times at the programmed rate: the FIFO timeout. */
static uint64_t char_timeout_ns(const struct uart *u)
{
    unsigned bits = 1 + (5 + (u->lcr & 3)) + ((u->lcr & 0x08) ? 1 : 0) + ((u->lcr & 0x04) ? 2 : 1);
    uint64_t div = u->divisor ? u->divisor : 0x10000;
    return 4ull * bits * div * 16 * 1000000000ull / UART_CLOCK_HZ;
}

static void restart_timeout(struct uart *u)
{
    u->timeout_pending = false;
    if (fifo_on(u) && u->rx_count)
        vclock_timer_arm(u->clock, u->timeout_timer, vclock_now(u->clock) + char_timeout_ns(u));
    else
        vclock_timer_disarm(u->clock, u->timeout_timer);
}

static void timeout_fire(void *opaque)
{
    struct uart *u = opaque;
    if (u->rx_count) {
        u->timeout_pending = true;
        update_irq(u);
    }
}

static void rx_push(struct uart *u, uint8_t byte)
{
    unsigned cap = fifo_on(u) ? UART_FIFO_SIZE : 1;
    if (u->rx_count >= cap) {
        u->lsr |= LSR_OE;               /* the new character is lost */
    } else {
        u->rx_fifo[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
        u->rx_count++;
        u->lsr |= LSR_DR;
    }
    restart_timeout(u);
    update_irq(u);
}

static uint8_t rx_pop(struct uart *u)
{
    if (!u->rx_count)
        return 0;
    uint8_t b = u->rx_fifo[u->rx_head];
    u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
    u->rx_count--;
    if (!u->rx_count)
        u->lsr &= ~LSR_DR;
    restart_timeout(u);
    return b;
}

static void rx_clear(struct uart *u)
{
    u->rx_head = u->rx_count = 0;
    u->lsr &= ~LSR_DR;
    restart_timeout(u);
}

/* MSR status bits as the wires show them now. In loopback the modem
 * outputs feed the inputs: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD.
 * Otherwise the host side is a connected, ready terminal. */
static uint8_t modem_inputs(const struct uart *u)
{
    if (u->mcr & MCR_LOOP) {
        uint8_t m = u->mcr;
        return (uint8_t)(((m & 0x02) ? 0x10 : 0) | ((m & 0x01) ? 0x20 : 0) |
                         ((m & 0x04) ? 0x40 : 0) | ((m & 0x08) ? 0x80 : 0));
    }
    return 0xb0;                        /* DCD, DSR, CTS */
}

static void update_msr(struct uart *u)
{
    uint8_t now = modem_inputs(u), old = u->msr & 0xf0;
    uint8_t delta = 0;
    if ((now ^ old) & 0x10) delta |= 0x01;          /* DCTS */
    if ((now ^ old) & 0x20) delta |= 0x02;          /* DDSR */
    if ((old & 0x40) && !(now & 0x40)) delta |= 0x04;   /* TERI: RI trailing edge */
    if ((now ^ old) & 0x80) delta |= 0x08;          /* DDCD */
    u->msr = (uint8_t)(now | (u->msr & 0x0f) | delta);
}

static void transmit(struct uart *u, uint8_t byte)
{
    if (u->mcr & MCR_LOOP)
        rx_push(u, byte);
    else if (u->sink)
        u->sink(u->sink_opaque, byte);
    /* The shift register empties immediately: THR and TEMT are empty again. */
    u->lsr |= LSR_THRE | LSR_TEMT;
    u->thre_pending = true;
}

static uint32_t uart_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct uart *u = opaque;
    uint8_t v = 0;
    switch (port - u->base) {
    case REG_RBR_THR:
        if (u->lcr & LCR_DLAB)
            return u->divisor & 0xff;
        v = rx_pop(u);
        break;
    case REG_IER:
        if (u->lcr & LCR_DLAB)
            return u->divisor >> 8;
        return u->ier;
    case REG_IIR_FCR:
        v = pending_iir(u);
        /* Reading IIR when it reports THRE clears that source. */
        if (v == 0x02)
            u->thre_pending = false;
        if (fifo_on(u))
            v |= 0xc0;
        break;
    case REG_LCR:
        return u->lcr;
    case REG_MCR:
        return u->mcr;
    case REG_LSR:
        v = u->lsr;
        /* Bit 7: an error in the FIFO (we keep no per-byte errors). */
        u->lsr &= ~LSR_ERRS;
        break;
    case REG_MSR:
        update_msr(u);
        v = u->msr;
        u->msr &= 0xf0;                 /* reading clears the deltas */
        break;
    case REG_SCR:
        return u->scr;
    }
    update_irq(u);
    return v;
}

static void uart_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct uart *u = opaque;
    uint8_t v = (uint8_t)value;
    switch (port - u->base) {
    case REG_RBR_THR:
        if (u->lcr & LCR_DLAB) {
            u->divisor = (u->divisor & 0xff00) | v;
            return;
        }
        u->thre_pending = false;
        transmit(u, v);
        break;
    case REG_IER:
        if (u->lcr & LCR_DLAB) {
            u->divisor = (uint16_t)((u->divisor & 0x00ff) | v << 8);
            return;
        }
        /* Enabling the THRE interrupt while THR is empty raises it (the
         * 16550 behaviour drivers depend on to start transmitting). */
        if ((v & IER_THRE) && !(u->ier & IER_THRE) && (u->lsr & LSR_THRE))
            u->thre_pending = true;
        u->ier = v & 0x0f;
        break;
    case REG_IIR_FCR: {
        bool was_on = fifo_on(u);
        u->fcr = v & 0xc9;              /* enable, DMA mode, trigger level */
        if (fifo_on(u) != was_on || (v & 0x02))
            rx_clear(u);
        /* bit 2 (clear transmit FIFO): ours is always empty. */
        if (!fifo_on(u))
            u->fcr = 0;
        break;
    }
    case REG_LCR:
        u->lcr = v;
        break;
    case REG_MCR:
        u->mcr = v & 0x1f;
        update_msr(u);
        break;
    case REG_LSR:
        break;                          /* factory test only */
    case REG_MSR:
        break;
    case REG_SCR:
        u->scr = v;
        break;
    }
    update_irq(u);
}

void uart_set_sink(struct uart *u, void (*sink)(void *opaque, uint8_t byte), void *opaque)
{
    u->sink = sink;
    u->sink_opaque = opaque;
}

bool uart_can_receive(const struct uart *u)
{
    if (u->mcr & MCR_LOOP)
        return false;                   /* the receive pin is disconnected */
    return u->rx_count < (fifo_on(u) ? UART_FIFO_SIZE : 1u);
}

void uart_receive_byte(struct uart *u, uint8_t byte)
{
    if (u->mcr & MCR_LOOP)
        return;
    rx_push(u, byte);
}

void uart_reset(struct uart *u)
{
    u->rx_head = u->rx_count = 0;
    u->ier = u->lcr = u->mcr = u->scr = u->fcr = 0;
    u->lsr = LSR_THRE | LSR_TEMT;
    u->msr = 0;
    update_msr(u);
    u->msr &= 0xf0;
    u->divisor = 12;                    /* 9600 baud */
    u->thre_pending = false;
    u->timeout_pending = false;
    vclock_timer_disarm(u->clock, u->timeout_timer);
    if (u->irq_level)
        irq_set(u->bus, u->irq, false);
    u->irq_level = false;
}

int uart_init(struct uart *u, struct io_bus *bus, struct vclock *clock,
              uint16_t base, int irq)
{
    memset(u, 0, sizeof(*u));
    u->base = base;
    u->irq = irq;
    u->bus = bus;
    u->clock = clock;
    u->timeout_timer = vclock_timer_new(clock, timeout_fire, u);
    if (u->timeout_timer < 0)
        return -1;
    uart_reset(u);
    return io_register(bus, base, 8, uart_io_read, uart_io_write, u);
}

/* --- saved state (devices/vmstate.h) --- */

#define U struct uart
static const struct vms_field uart_fields[] = {
    VMS_C(U, base), VMS_C(U, irq), VMS_W(U, bus), VMS_W(U, clock), VMS_W(U, timeout_timer),
    VMS_A(U, rx_fifo), VMS(U, rx_head), VMS(U, rx_count),
    VMS(U, ier), VMS(U, lcr), VMS(U, mcr), VMS(U, lsr), VMS(U, msr), VMS(U, scr), VMS(U, fcr),
    VMS(U, divisor), VMS(U, thre_pending), VMS(U, timeout_pending), VMS(U, irq_level),
    VMS_W(U, sink), VMS_W(U, sink_opaque),
};
#undef U
/* rx_head and rx_count index rx_fifo: a load checks them (post_load clamps). */
static void uart_post_load(void *obj)
{
    struct uart *u = obj;
    u->rx_head %= UART_FIFO_SIZE;
    if (u->rx_count > UART_FIFO_SIZE)
        u->rx_count = UART_FIFO_SIZE;
}
const struct vms_desc uart_vmstate = {
    VMS_DESC(struct uart, "uart", 1, uart_fields), .post_load = uart_post_load,
};
