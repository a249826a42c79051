/*
 * sysctl.c - ports 0x92 and 0xCF9.  See sysctl.h.
 */
#include "devices/sysctl.h"
#include "devices/vmstate.h"

#include <string.h>
#include "devices/iobus.h"

static uint32_t sysctl_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct sys_ctrl *s = opaque;
    if (port == 0x92)
        return s->port92;
    return s->reset_control;
}

static void sysctl_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct sys_ctrl *s = opaque;
    uint8_t v = (uint8_t)value;
    if (port == 0x92) {
        bool old_a20 = s->port92 & 0x02;
        s->port92 = v & 0x03;
        if (s->set_a20 && (bool)(v & 0x02) != old_a20)
            s->set_a20(s->a20_opaque, v & 0x02);
        /* Bit 0 written 1 pulses INIT; it reads back 0 afterwards. */
        if ((v & 0x01) && s->reset) {
            s->port92 &= ~0x01;
            s->reset(s->reset_opaque);
        }
        return;
    }
    /* 0xCF9 accepts bytes only; wider accesses at 0xCF8 go to PCI. */
    if (size != 1)
        return;
    bool trigger = (v & 0x04) && !(s->reset_control & 0x04);
    s->reset_control = v & 0x0a;       /* bit 2 is self-clearing */
    if (trigger && s->reset)
        s->reset(s->reset_opaque);
}

void sys_ctrl_reset(struct sys_ctrl *s)
{
    s->port92 = 0;
    s->reset_control = 0;
}

int sys_ctrl_init(struct sys_ctrl *s, struct io_bus *bus,
                  void (*set_a20)(void *opaque, bool enabled), void *a20_opaque,
                  void (*reset)(void *opaque), void *reset_opaque)
{
    memset(s, 0, sizeof(*s));
    s->set_a20 = set_a20;
    s->a20_opaque = a20_opaque;
    s->reset = reset;
    s->reset_opaque = reset_opaque;
    if (io_register(bus, 0x92, 1, sysctl_io_read, sysctl_io_write, s) ||
        io_register(bus, 0xcf9, 1, sysctl_io_read, sysctl_io_write, s))
        return -1;
    return 0;
}

/* --- saved state (devices/vmstate.h) --- */

#define S struct sys_ctrl
static const struct vms_field sys_ctrl_fields[] = {
    VMS(S, port92), VMS(S, reset_control), VMS_W(S, set_a20), VMS_W(S, a20_opaque),
    VMS_W(S, reset), VMS_W(S, reset_opaque),
};
#undef S
const struct vms_desc sys_ctrl_vmstate = { VMS_DESC(struct sys_ctrl, "sys_ctrl", 1, sys_ctrl_fields) };
