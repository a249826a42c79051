/*
 * debugport.h - the debugging ports firmware and tests use:
 *   0x80   POST code (written by BIOSes during boot; kept, otherwise ignored)
 *   0x402  Bochs/QEMU debug console (SeaBIOS's log), reads back 0xE9
 *   0xE9   the same debug console under Bochs's classic port number
 *   0xF4   isa-debug-exit: writing v ends the emulator with status (v<<1)|1
 */
#ifndef SOFTVM_DEVICES_DEBUGPORT_H
#define SOFTVM_DEVICES_DEBUGPORT_H

#include <stdint.h>

struct io_bus;

struct debug_ports {
    uint8_t post_code;
    /* Where debug-console bytes go (frontend: -debugcon file or stdout). */
    void (*sink)(void *opaque, uint8_t byte);
    void *sink_opaque;
    /* Ends the run with an exit status (the machine's request_stop). */
    void (*exit)(void *opaque, int status);
    void *exit_opaque;
};

int debug_ports_init(struct debug_ports *d, struct io_bus *bus,
                     void (*exit)(void *opaque, int status), void *exit_opaque);
void debug_ports_set_sink(struct debug_ports *d,
                          void (*sink)(void *opaque, uint8_t byte), void *opaque);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc debug_ports_vmstate;

#endif
