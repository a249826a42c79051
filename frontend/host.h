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

/* The host event loop of an attached machine (to register fds and host
 * timers: frontend/hostloop.h). */
struct hostloop *host_loop(struct machine *m);

/*
 * host_feed: the one input path. Every host input the guest can see (typed
 * bytes, received frames) waits in a host-side queue until the run loop
 * calls this at a slice boundary; nothing else may hand host data to a
 * device. The input log, if set, sees each input as it is delivered, with
 * m->cpu.icount and the virtual clock at that point: what record/replay
 * writes down. unit: the UART index, or the card index.
 */
enum host_input_kind { HOST_INPUT_SERIAL, HOST_INPUT_FRAME };
typedef void (*host_input_log_fn)(void *opaque, struct machine *m, enum host_input_kind kind,
                                  int unit, const uint8_t *data, size_t len);
void host_feed(struct machine *m);
void host_set_input_log(struct machine *m, host_input_log_fn fn, void *opaque);

#endif
