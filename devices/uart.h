/*
 * uart.h - a National Semiconductor 16550A UART (one COM port).
 *
 * Spec: NS PC16550D datasheet (registers, FIFO trigger levels, interrupt
 * priorities in the IIR table, loopback wiring).
 *
 * Transmission is instantaneous: a byte written to THR goes straight to the
 * sink callback (or, in loopback, into the receive FIFO), and THR is empty
 * again at once.  Input enters only through uart_receive_byte(), which the
 * frontend calls at slice boundaries, so a run is reproducible.  The
 * character-timeout interrupt runs on the virtual clock.
 */
#ifndef SOFTVM_DEVICES_UART_H
#define SOFTVM_DEVICES_UART_H

#include <stdbool.h>
#include <stdint.h>

#define UART_FIFO_SIZE 16

struct io_bus;
struct vclock;

struct uart {
    uint16_t base;
    int irq;
    struct io_bus *bus;
    struct vclock *clock;
    int timeout_timer;

    uint8_t rx_fifo[UART_FIFO_SIZE];
    unsigned rx_head, rx_count;

    uint8_t ier, lcr, mcr, lsr, msr, scr, fcr;
    uint16_t divisor;
    bool thre_pending;      /* THR-empty interrupt waiting to be seen */
    bool timeout_pending;   /* character timeout indication (FIFO mode) */
    bool irq_level;

    void (*sink)(void *opaque, uint8_t byte);   /* the transmit wire */
    void *sink_opaque;
};

/* Attach a UART at base (8 ports) on ISA IRQ irq. */
int uart_init(struct uart *u, struct io_bus *bus, struct vclock *clock,
              uint16_t base, int irq);
void uart_reset(struct uart *u);
void uart_set_sink(struct uart *u, void (*sink)(void *opaque, uint8_t byte), void *opaque);
/* Host input: true if a byte offered now would be accepted without overrun. */
bool uart_can_receive(const struct uart *u);
/* A byte arrives on the receive wire. */
void uart_receive_byte(struct uart *u, uint8_t byte);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc uart_vmstate;

#endif
