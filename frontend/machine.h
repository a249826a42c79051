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
#include "frontend/chardev.h"    /* host backends of the serial ports and debug console */
#include "frontend/console.h"
#include "frontend/options.h"    /* struct vm_options: the parsed command line */

struct trace;

/* How the machine starts (chosen by machine_init from the options). */
enum boot_kind {
    BOOT_FIRMWARE,               /* BIOS at the reset vector (SeaBIOS) */
    BOOT_LINUX,                  /* bzImage, entered at its 32-bit entry point */
    BOOT_MULTIBOOT,              /* Multiboot v1 ELF, entered in flat protected mode */
};

/* Cheap input polling: look at stdin after this many retired instructions. */
#define MACHINE_POLL_INSNS 200000u
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

    enum boot_kind boot;
    struct console console;      /* the host terminal (stdio backends) */
    bool console_used;           /* some backend is VM_CHARDEV_STDIO */
    struct chardev serial[PC_NUM_UARTS];   /* COM1..COM4 host sides */
    struct chardev debugcon;     /* port 0x402 host side */
    uint64_t last_poll_icount;   /* icount when stdin was last polled */
    uint64_t resets;             /* machine resets so far (--stats) */
    uint64_t host_start_ns;      /* CLOCK_MONOTONIC at machine_run start (--stats) */
    struct trace *trace;         /* -d, --stats, gdb stub (frontend/trace.h), or NULL */
};

/* Build a PC from options: memory, devices, firmware or kernel. Returns 0, or
 * prints a clear error and returns nonzero (bad kernel, missing BIOS, ...). */
int machine_init(struct machine *m, const struct vm_options *opt);
void machine_destroy(struct machine *m);
/* Run until the guest powers off, asks to exit, or fails; returns exit status. */
int machine_run(struct machine *m);
void machine_request_reset(struct machine *m);
void machine_request_stop(struct machine *m, int exit_status);

/* Run at most `slices` clock slices (tests): returns true if the machine
 * stopped (m->exit_status holds the status). */
bool machine_run_slices(struct machine *m, uint64_t slices);

/* Default firmware search: $XDG_CACHE_HOME/softvm (or ~/.cache/softvm),
 * then /usr/share/seabios. Writes the path found into buf; false if none. */
bool machine_find_firmware(const char *name, char *buf, size_t size);

#endif
