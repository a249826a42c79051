/*
 * host.h - the host side of one machine: the terminal and the other
 * character backends of the serial ports and the debug console, and the
 * tracer, --stats and the GDB stub (frontend/trace.h). It reaches the
 * machine only through struct machine_host_ops (devices/machine/machine.h)
 * and the devices' own sink/receive calls.
 */
#ifndef SOFTVM_FRONTEND_HOST_H
#define SOFTVM_FRONTEND_HOST_H

#include "devices/machine/machine.h"

/* Open the backends m->opt asks for and attach them (and the tracer, the
 * debugger, --stats) to a machine that machine_init built. Returns 0, or
 * prints why on stderr and returns -1; machine_destroy frees either way. */
int host_attach(struct machine *m);

/* machine_init, then host_attach: what the program does. 0 or nonzero
 * (nothing is left to destroy on failure). */
int host_machine_init(struct machine *m, const struct vm_options *opt);

#endif
