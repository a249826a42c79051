/*
 * debugport.c - POST code, debug console and debug-exit ports.  See debugport.h.
 */
#include "devices/debugport.h"
#include "devices/vmstate.h"

#include <string.h>
#include "devices/iobus.h"

static uint32_t debug_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct debug_ports *d = opaque;
    switch (port) {
    case 0x80:
        return d->post_code;
    case 0x402:
    case 0xe9:
        return 0xe9;                    /* "debug console present" (Bochs/QEMU) */
    default:
        return 0xffffffffu;
    }
}

static void debug_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct debug_ports *d = opaque;
    switch (port) {
    case 0x80:
        d->post_code = (uint8_t)value;
        break;
    case 0x402:
    case 0xe9:
        if (d->sink)
            d->sink(d->sink_opaque, (uint8_t)value);
        break;
    case 0xf4:
        /* QEMU's isa-debug-exit: status (value << 1) | 1, so a test can
         * never be mistaken for a clean exit 0. */
        if (d->exit)
            d->exit(d->exit_opaque, (int)(((value & 0xff) << 1) | 1));
        break;
    }
}

void debug_ports_set_sink(struct debug_ports *d,
                          void (*sink)(void *opaque, uint8_t byte), void *opaque)
{
    d->sink = sink;
    d->sink_opaque = opaque;
}

int debug_ports_init(struct debug_ports *d, struct io_bus *bus,
                     void (*exit)(void *opaque, int status), void *exit_opaque)
{
    memset(d, 0, sizeof(*d));
    d->exit = exit;
    d->exit_opaque = exit_opaque;
    if (io_register(bus, 0x80, 1, debug_io_read, debug_io_write, d) ||
        io_register(bus, 0x402, 1, debug_io_read, debug_io_write, d) ||
        io_register(bus, 0xe9, 1, debug_io_read, debug_io_write, d) ||
        io_register(bus, 0xf4, 1, debug_io_read, debug_io_write, d))
        return -1;
    return 0;
}

/* --- saved state (devices/vmstate.h) --- */

#define D struct debug_ports
static const struct vms_field debug_ports_fields[] = {
    VMS(D, post_code), VMS_W(D, sink), VMS_W(D, sink_opaque), VMS_W(D, exit), VMS_W(D, exit_opaque),
};
#undef D
const struct vms_desc debug_ports_vmstate = {
    VMS_DESC(struct debug_ports, "debug_ports", 1, debug_ports_fields)
};
