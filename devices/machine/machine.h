/*
 * machine.h - one emulated PC: the CPU, the physical memory map, the I/O
 * bus, the devices and the virtual clock. All mutable emulator state lives
 * in a struct machine, so several machines can exist in one process (tests).
 *
 * The machine knows nothing of the host: the terminal, the other character
 * backends, the tracer and the debugger (frontend/host.h) attach through
 * struct machine_host_ops. Without them the machine runs headless; test
 * output still reaches a VM_CHARDEV_CALLBACK serial port or debug console.
 */
#ifndef SOFTVM_DEVICES_MACHINE_MACHINE_H
#define SOFTVM_DEVICES_MACHINE_MACHINE_H

#include <stdint.h>
#include "cpu/cpu.h"
#include "devices/iobus.h"
#include "devices/vclock.h"
#include "devices/machine/pc.h"          /* struct pc_devices: every device of the board */
#include "devices/machine/options.h"     /* struct vm_options: what to build */

struct machine;
struct trace;

/*
 * The host side of a machine, called by the run loop at slice boundaries
 * only (so host input enters at one deterministic place). Any hook may be
 * NULL. frontend/host.c provides the one real set.
 */
struct machine_host_ops {
    /* Read host input, waiting up to timeout_ms for some (0: just look, -1:
     * until some arrives). True if input arrived. */
    bool (*poll)(struct machine *m, int timeout_ms);
    /* Move input already read into the devices, as far as they take it. */
    void (*feed)(struct machine *m);
    /* Can any input still arrive (a terminal on a UART, not at end of file,
     * a network backend)? */
    bool (*input_possible)(const struct machine *m);
    /* Deterministic mode, CPU halted, the next timer max_ns of virtual time
     * away: the host side may wait (host time) for input, to pace a guest
     * that waits for the network. True if input arrived: the guest then
     * wakes at the current virtual time instead of skipping to the timer. */
    bool (*wait_input)(struct machine *m, uint64_t max_ns);
    void (*flush)(struct machine *m);          /* push guest output out */
    /* Around each cpu_exec slice (the debugger may shorten it). */
    uint64_t (*before_slice)(struct machine *m, uint64_t budget);
    void (*after_slice)(struct machine *m);
    void (*run_finished)(struct machine *m);   /* machine_run is returning */
    void (*detach)(struct machine *m);         /* machine_destroy: free the host side */
};

/* How the machine starts (chosen by machine_init from the options). */
enum boot_kind {
    BOOT_FIRMWARE,               /* BIOS at the reset vector (SeaBIOS) */
    BOOT_LINUX,                  /* bzImage, entered at its 32-bit entry point */
    BOOT_MULTIBOOT,              /* Multiboot v1 ELF, entered in flat protected mode */
};

/* Cheap input polling: look at stdin after this many retired instructions,
 * or after this much host time whatever the guest runs (slow instructions,
 * long slices), so Ctrl-A x and typed input never wait on the guest. */
#define MACHINE_POLL_INSNS 200000u
#define MACHINE_POLL_HOST_NS 10000000u
/* Longest slice when no timer is armed, so requests are seen promptly. */
#define MACHINE_MAX_SLICE 1000000u

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
    int resume_request;          /* nonzero: wake from S3 at the next slice boundary */

    enum boot_kind boot;
    uint64_t last_poll_icount;   /* icount when host input was last polled */
    uint64_t last_poll_host_ns;  /* coarse host clock then */
    uint64_t resets;             /* machine resets so far (--stats) */
    uint64_t host_start_ns;      /* CLOCK_MONOTONIC at machine_run start (--stats) */

    const struct machine_host_ops *host_ops;   /* NULL: headless */
    void *host;                  /* the host side's state (frontend/host.c) */
    struct trace *trace;         /* -d, --stats, gdb stub (frontend/trace.h), or NULL;
                                    the host side's, never looked into here */
};

/* Build a PC from options: memory, devices, firmware or kernel. Returns 0, or
 * prints a clear error and returns nonzero (bad kernel, missing BIOS, ...).
 * The host side (frontend/host.h) attaches afterwards. */
int machine_init(struct machine *m, const struct vm_options *opt);
void machine_destroy(struct machine *m);
/* Run until the guest powers off, asks to exit, or fails; returns exit status. */
int machine_run(struct machine *m);
void machine_request_reset(struct machine *m);
/* A wake event while the board sleeps in S3: reset the board, keep RAM, and
 * resume at the guest's FACS waking vector (direct boot) or through the
 * firmware's resume path (CMOS shutdown status 0xFE, as SeaBIOS reads it). */
void machine_request_resume(struct machine *m);
void machine_request_stop(struct machine *m, int exit_status);

/* One clock slice: cpu_exec up to the next timer deadline, then the timers. */
void machine_slice(struct machine *m);
/* Run at most `slices` clock slices (tests): returns true if the machine
 * stopped (m->exit_status holds the status). */
bool machine_run_slices(struct machine *m, uint64_t slices);

/* Default firmware search: $XDG_CACHE_HOME/softvm (or ~/.cache/softvm),
 * then /usr/share/seabios. Writes the path found into buf; false if none. */
bool machine_find_firmware(const char *name, char *buf, size_t size);

#endif
