/*
 * machine.h - one emulated PC: the CPU, the physical memory map, the I/O
 * bus, the devices and the virtual clock. All mutable emulator state lives
 * in a struct machine, so several machines can exist in one process (tests).
 */
#ifndef SOFTVM_FRONTEND_MACHINE_H
#define SOFTVM_FRONTEND_MACHINE_H

#include <stdint.h>
#include "cpu/cpu.h"
#include "devices/iobus.h"
#include "devices/vclock.h"
#include "devices/pc.h"          /* struct pc_devices: every device of the board */
#include "frontend/options.h"    /* struct vm_options: the parsed command line */

struct machine {
    struct cpu cpu;
    struct phys_mem *mem;
    struct io_bus io;
    struct vclock clock;
    struct pc_devices dev;
    struct vm_options opt;

    int exit_status;             /* set by poweroff / debug-exit / errors */
    int stop;                    /* nonzero: leave machine_run */
    int reset_request;           /* nonzero: reset at the next slice boundary */
};

/* Build a PC from options: memory, devices, firmware or kernel. Returns 0, or
 * prints a clear error and returns nonzero (bad kernel, missing BIOS, ...). */
int machine_init(struct machine *m, const struct vm_options *opt);
void machine_destroy(struct machine *m);
/* Run until the guest powers off, asks to exit, or fails; returns exit status. */
int machine_run(struct machine *m);
void machine_request_reset(struct machine *m);
void machine_request_stop(struct machine *m, int exit_status);

#endif
