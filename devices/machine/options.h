/*
 * options.h - struct vm_options: everything one run of softvm is built from
 * (QEMU-style options). The machine (devices/machine/) reads it; the command
 * line parser that fills it (frontend/cmdline.h) and the host side
 * (frontend/host.h) sit above.
 *
 * The strings in the struct point into argv (or into the fixed storage
 * inside the struct), so argv must outlive the options.
 */
#ifndef SOFTVM_DEVICES_MACHINE_OPTIONS_H
#define SOFTVM_DEVICES_MACHINE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "devices/net/user.h"
#include "devices/net/socket.h"

#define VM_RAM_MIN   (1ull << 20)          /* 1 MiB: the BIOS needs at least this */
#define VM_RAM_MAX   (3584ull << 20)       /* 3.5 GiB: below the PCI hole, no PAE yet */
#define VM_RAM_DEFAULT (128ull << 20)

#define VM_MAX_DRIVES   8
#define VM_MAX_SERIAL   4
#define VM_MAX_NETDEV   4
#define VM_DEFAULT_GDB_PORT 1234
#define VM_MAX_QMP      4

/* What main() should do after parsing. */
enum vm_action { VM_ACTION_RUN, VM_ACTION_HELP, VM_ACTION_VERSION, VM_ACTION_LOG_HELP,
                 VM_ACTION_DEVICE_HELP };

enum vm_accel { VM_ACCEL_INTERP, VM_ACCEL_JIT };

/* A host-side character backend (-serial, -debugcon). */
enum vm_chardev_kind {
    VM_CHARDEV_DEFAULT,   /* not given on the command line */
    VM_CHARDEV_NONE,      /* the device is absent */
    VM_CHARDEV_NULL,      /* present, output discarded, no input */
    VM_CHARDEV_STDIO,     /* the host terminal */
    VM_CHARDEV_FILE,      /* output written to a file (truncated), no input */
    VM_CHARDEV_CALLBACK,  /* not on the command line: tests capture output */
};
struct vm_chardev {
    enum vm_chardev_kind kind;
    const char *path;     /* VM_CHARDEV_FILE */
    void (*write)(void *opaque, uint8_t byte);   /* VM_CHARDEV_CALLBACK */
    void *opaque;
};

enum vm_display { VM_DISPLAY_DEFAULT, VM_DISPLAY_NONE, VM_DISPLAY_SDL, VM_DISPLAY_CURSES };

enum vm_drive_if { VM_IF_IDE, VM_IF_VIRTIO, VM_IF_NONE };
enum vm_drive_media { VM_MEDIA_DISK, VM_MEDIA_CDROM };
enum vm_drive_format { VM_FORMAT_AUTO, VM_FORMAT_RAW, VM_FORMAT_QCOW2 };
enum vm_drive_cache { VM_CACHE_WRITEBACK, VM_CACHE_NONE, VM_CACHE_WRITETHROUGH, VM_CACHE_UNSAFE,
                          VM_CACHE_DIRECTSYNC };

#define VM_PATH_MAX 1024

struct vm_drive {
    const char *origin;   /* the option that made it: "-hda", "-drive", ... */
    char file[VM_PATH_MAX];   /* "": empty (CD-ROM tray with no disc); a copy,
                                 because -drive's file= is not NUL-terminated */
    enum vm_drive_if interface;
    enum vm_drive_media media;
    enum vm_drive_format format;   /* AUTO: probed (qcow2 magic, else raw) */
    enum vm_drive_cache cache;
    char id[32];          /* id=, for -device ...,drive=ID */
    int index;            /* IDE position 0..3 (primary master .. secondary slave) */
    bool readonly;
    bool snapshot;        /* writes go to a temporary overlay */
};

/* -device DRIVER,prop=value,...: for now only virtio-blk-pci,drive=ID[,serial=S]. */
#define VM_MAX_DEVICES 8
struct vm_device {
    char driver[32];
    char drive[32];       /* the -drive id= it uses */
    char serial[21];
};

/* A network card (-nic, -device e1000|ne2k_pci|virtio-net-pci). */
#define VM_MAX_NICS 4
enum vm_nic_model { VM_NIC_E1000, VM_NIC_NE2K_PCI, VM_NIC_VIRTIO_NET };
struct vm_nic {
    enum vm_nic_model model;
    uint8_t mac[6];
    bool mac_set;         /* else 52:54:00:12:34:56 + the card's index, as QEMU */
    char netdev[32];      /* the -netdev id= it is cabled to; "": unplugged */
};

/* A network backend (-netdev, or the one a -nic makes). */
enum vm_netdev_kind { VM_NETDEV_USER, VM_NETDEV_SOCKET };
struct vm_netdev {
    enum vm_netdev_kind kind;
    bool kind_given;      /* (parsing) the leading user|socket was seen */
    char id[32];
    struct net_user_config user;
    struct net_socket_config socket;
};

enum vm_clock_mode {
    VM_CLOCK_AUTO,           /* realtime if the console is a terminal, else deterministic */
    VM_CLOCK_DETERMINISTIC,  /* virtual time = retired instructions * ns_per_insn (default) */
    VM_CLOCK_REALTIME,       /* idle time follows the host clock (interactive use) */
};

enum vm_rr_mode { VM_RR_NONE, VM_RR_RECORD, VM_RR_REPLAY };   /* -icount rr= */
enum vm_rtc_base { VM_RTC_UTC, VM_RTC_LOCALTIME, VM_RTC_FIXED };

struct vm_options {
    enum vm_action action;

    uint64_t ram_size;                   /* bytes */
    const char *kernel, *initrd, *append, *bios;

    struct vm_drive drive[VM_MAX_DRIVES];
    int drive_count;
    char boot_order[8];                  /* "c", "dc", "n"...: first tried first */

    bool nographic;
    enum vm_display display;
    const char *screendump;              /* -screendump FILE: PNG of the screen at exit */
    struct vm_chardev serial[VM_MAX_SERIAL];   /* COM1..COM4 */
    int serial_count;                    /* how many -serial options were given */
    struct vm_chardev debugcon;          /* port 0x402 (SeaBIOS log) */

    enum vm_accel accel;
    bool accel_lockstep;                 /* -accel jit,lockstep=on: check against the interpreter */
    unsigned accel_tb_size;              /* -accel ...,tb-size=MiB of JIT code cache (0 = default) */
    bool no_apic;                        /* -cpu ...,-apic: no local APIC and no I/O APIC */
    bool x2apic;                         /* -cpu ...,+x2apic: the APIC offers x2APIC mode */
    bool umip, tsc_adjust;               /* -cpu max, +umip, +tsc-adjust: CPUID leaf 7 */
    bool smep, smap;                     /* -cpu max, +smep, +smap: CPUID leaf 7, CR4 bits 20/21 */
    bool rdtscp;                         /* -cpu max, +rdtscp: RDTSCP and IA32_TSC_AUX */
    bool lm;                             /* -cpu qemu64, max, +lm: long mode (x86-64) */
    bool nodefaults;                     /* -nodefaults: no COM1 on stdio unless -serial */
    bool pc_testdev;                     /* -device pc-testdev (QEMU's test device) */
    bool no_reboot;
    bool snapshot;

    struct vm_device device[VM_MAX_DEVICES];
    int device_count;

    struct vm_netdev netdev[VM_MAX_NETDEV];
    int netdev_count;
    struct vm_nic nic[VM_MAX_NICS];
    int nic_count;

    bool gdb;                            /* -s or -gdb */
    uint16_t gdb_port;
    char gdb_host[64];                   /* -gdb tcp:HOST:PORT; "" = 127.0.0.1 */
    bool start_stopped;                  /* -S: wait for the debugger */

    uint32_t log_mask;                   /* -d: VM_LOG_* (cpu/trace_hooks.h) */
    const char *log_file;                /* -D */
    const char *log_filter;              /* -dfilter RANGES (frontend/trace.c parses) */
    const char *log_window;              /* -dicount FROM..TO: instruction-count window */
    bool one_insn_per_tb;                /* -one-insn-per-tb: exact trace diffs with QEMU */

    enum vm_clock_mode clock;            /* -clock auto|deterministic|realtime */
    uint64_t ns_per_insn;                /* -icount shift=N: 2^N ns per instruction */
    enum vm_rtc_base rtc_base;           /* -rtc base= */
    int64_t rtc_start;                   /* VM_RTC_FIXED: seconds since 1970 (UTC) */

    bool stats;                          /* --stats: print counters at exit */

    /* Snapshots (frontend/snapshot.h). */
    uint64_t snapshot_at;                /* -snapshot-at N: save at icount N (UINT64_MAX: no) */
    char snapshot_file[VM_PATH_MAX];     /* -snapshot-at ...,file=F (Ctrl-A s too); "": none */
    const char *loadvm;                  /* -loadvm FILE: start from a snapshot */
    bool state_hash;                     /* -state-hash: print the machine's state hash at exit */
    enum vm_rr_mode rr_mode;             /* -icount rr=record|replay (frontend/replay.h) */
    char rr_file[VM_PATH_MAX];           /* -icount rrfile= */

    /* The monitors (frontend/qmp.h, frontend/monitor.h). */
    const char *qmp[VM_MAX_QMP];         /* -qmp unix:PATH,server=on,wait=off / tcp:H:P,... */
    int qmp_count;
    bool monitor_stdio;                  /* -monitor stdio: the human monitor on the terminal */
    char name[128];                      /* -name NAME: query-name, info name ("": none) */
    bool sandbox;                        /* -sandbox on: seccomp filter after set-up */

    /* Not on the command line: the assembled linuxboot option ROM for
     * -kernel with -bios (NULL: $SOFTVM_ROM_DIR, then beside the program). */
    const char *linuxboot_rom;
};

#endif
