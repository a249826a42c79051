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
 * writes down. unit: the UART index, or the card index (0 for the window's
 * keyboard and mouse).
 */
/* MONITOR: unit is the enum host_request; data: loadvm's path, else none.
 * KEY: PS/2 set-2 bytes of one key event for the i8042 keyboard (unit 0). MOUSE: one mouse event,
 * dx, dy, dz as little-endian int16 then the buttons byte (7 bytes;
 * i8042_mouse_event's arguments). */
enum host_input_kind { HOST_INPUT_SERIAL, HOST_INPUT_FRAME, HOST_INPUT_MONITOR,
                       HOST_INPUT_KEY, HOST_INPUT_MOUSE };
typedef void (*host_input_log_fn)(void *opaque, struct machine *m, enum host_input_kind kind,
                                  int unit, const uint8_t *data, size_t len);
void host_feed(struct machine *m);
void host_set_input_log(struct machine *m, host_input_log_fn fn, void *opaque);

/* ---- control of the VM, for the monitors (frontend/qmp.h, monitor.h) ---------- */

/* QEMU's run states (qapi RunState), as query-status names them. */
enum host_vm_state { HOST_VM_RUNNING, HOST_VM_PAUSED, HOST_VM_PRELAUNCH, HOST_VM_SUSPENDED,
                     HOST_VM_SHUTDOWN };
enum host_vm_state host_vm_state(const struct machine *m);
const char *host_vm_state_name(enum host_vm_state s);
/* stop: the CPU stays stopped from the next slice boundary until cont;
 * nothing the guest can see happens meanwhile (the virtual clock only moves
 * with retired instructions and skipped idle time), so a run stopped and
 * continued is the same run. STOP and RESUME events go to QMP. */
void host_vm_stop(struct machine *m);
void host_vm_cont(struct machine *m);

/* Host inputs that change what the guest sees. They are queued and applied
 * at the next slice boundary by the host side's feed hook, where typed
 * input enters too (the one input path record/replay will log). */
enum host_request { HOST_REQ_RESET, HOST_REQ_POWERDOWN, HOST_REQ_QUIT, HOST_REQ_LOADVM };
void host_vm_request(struct machine *m, enum host_request r);

/* loadvm: replace the whole machine state with a snapshot file's, now (the
 * monitors call it between slices). It is an input too: the input log sees
 * HOST_INPUT_MONITOR with unit HOST_REQ_LOADVM and the path as data.
 * 0, or -1 with a sentence in err (the machine is untouched then). */
int host_vm_loadvm(struct machine *m, const char *path, char *err, size_t errlen);

struct qmp_server;
/* The QMP server of the machine's host side (never NULL once attached). */
struct qmp_server *host_qmp(struct machine *m);

#endif
