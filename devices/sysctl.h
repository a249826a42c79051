/*
 * sysctl.h - the PC's system control ports:
 *   0x92   System Control Port A: bit 1 fast A20 gate, bit 0 fast reset
 *   0xCF9  PIIX Reset Control Register: bit 2 (0->1) resets, bit 1 selects hard reset
 *
 * Spec: Intel 82371AB (PIIX4) datasheet, "Port 92h" and "Reset Control Register".
 */
#ifndef SOFTVM_DEVICES_SYSCTL_H
#define SOFTVM_DEVICES_SYSCTL_H

#include <stdbool.h>
#include <stdint.h>

struct io_bus;

struct sys_ctrl {
    uint8_t port92;
    uint8_t reset_control;
    void (*set_a20)(void *opaque, bool enabled);    /* memory's A20 gate */
    void *a20_opaque;
    void (*reset)(void *opaque);                     /* machine reset request */
    void *reset_opaque;
};

int sys_ctrl_init(struct sys_ctrl *s, struct io_bus *bus,
                  void (*set_a20)(void *opaque, bool enabled), void *a20_opaque,
                  void (*reset)(void *opaque), void *reset_opaque);
void sys_ctrl_reset(struct sys_ctrl *s);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc sys_ctrl_vmstate;

#endif
