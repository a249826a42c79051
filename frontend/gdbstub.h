/*
 * gdbstub.h - a GDB remote-serial-protocol server for one machine
 * (GDB manual, appendix E "GDB Remote Serial Protocol").
 *
 * The stub listens on a TCP port (127.0.0.1 unless a host is given), and
 * the machine loop asks it at every slice boundary whether the CPU may run
 * (gdbstub_before_slice). While the debugger holds the CPU stopped, nothing
 * runs: the virtual clock only advances with retired instructions and
 * skipped idle time, so it stands still and stepping never changes what the
 * guest sees.
 *
 * Breakpoints are address checks before each instruction (the guest's memory
 * is never patched); watchpoints are checks on the softMMU slow path, which
 * every data access takes while a watchpoint exists (tlb.force_slow).
 *
 * The packet layer (gdb_packet.c) is separate and pure, so it can be fed
 * hostile bytes in unit tests.
 */
#ifndef SOFTVM_FRONTEND_GDBSTUB_H
#define SOFTVM_FRONTEND_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hostloop;

struct cpu;
struct insn;
struct machine;

#define GDB_MAX_BREAKPOINTS 64
#define GDB_MAX_WATCHPOINTS 16
#define GDB_PACKET_MAX 4096          /* PacketSize we announce (payload bytes) */

/* Z types (GDB manual E.1 "Z type,addr,kind"). */
enum gdb_bp_type { GDB_BP_SW = 0, GDB_BP_HW = 1, GDB_WP_WRITE = 2, GDB_WP_READ = 3,
                   GDB_WP_ACCESS = 4 };

/* Incremental packet parser: feed bytes one at a time. */
enum gdb_rx_state { GDB_RX_IDLE, GDB_RX_DATA, GDB_RX_ESC, GDB_RX_CSUM1, GDB_RX_CSUM2 };
enum gdb_rx_event {
    GDB_RX_NONE,        /* byte consumed, nothing complete */
    GDB_RX_PACKET,      /* a packet with a good checksum: payload in rx->buf */
    GDB_RX_BADSUM,      /* a packet with a bad checksum (or too long): answer '-' */
    GDB_RX_INTERRUPT,   /* 0x03 outside a packet: Ctrl-C */
    GDB_RX_ACK,         /* '+' */
    GDB_RX_NAK,         /* '-': resend the last reply */
};
struct gdb_rx {
    enum gdb_rx_state state;
    uint8_t buf[GDB_PACKET_MAX + 1];  /* payload, unescaped, NUL-terminated */
    size_t len;
    bool overflow;
    uint8_t sum;                     /* running checksum */
    uint8_t want;                    /* checksum sent */
};
void gdb_rx_init(struct gdb_rx *rx);
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t byte);

/* Frame a payload as "$payload#cs" (escaping $ # } *): returns its length,
 * or 0 if out is too small. */
size_t gdb_frame(const uint8_t *payload, size_t len, char *out, size_t out_size);

struct gdb_breakpoint {
    uint32_t addr;                   /* linear address */
    uint32_t len;                    /* watchpoints: bytes watched */
    enum gdb_bp_type type;
};

/* Why the stub stopped the CPU (reported in the T stop reply). */
enum gdb_stop { GDB_STOP_NONE, GDB_STOP_INITIAL, GDB_STOP_BREAK, GDB_STOP_STEP,
                GDB_STOP_WATCH, GDB_STOP_INTERRUPT };

struct gdbstub {
    struct machine *m;
    int listen_fd, fd;               /* -1 when closed */
    struct gdb_rx rx;
    char last_reply[2 * GDB_PACKET_MAX + 8];   /* framed, for a '-' resend */
    size_t last_reply_len;
    bool no_ack;                     /* QStartNoAckMode */
    bool desc64;                     /* GDB read the x86-64 description (IA-32e mode then) */

    bool stopped;                    /* the debugger holds the CPU */
    bool stepping;                   /* run one instruction, then stop */
    enum gdb_stop stop_reason;
    uint32_t watch_hit_addr;
    enum gdb_bp_type watch_hit_type;
    uint64_t resume_icount;          /* don't re-hit the breakpoint we resume from */
    uint32_t resume_pc;
    bool resumed;

    struct gdb_breakpoint bp[GDB_MAX_BREAKPOINTS];
    int n_bp;
    struct gdb_breakpoint wp[GDB_MAX_WATCHPOINTS];
    int n_wp;

    bool killed;                     /* 'k': stop the machine */

    struct hostloop *loop;           /* the host event loop, or NULL: poll alone */
    int watch, watched_fd;           /* the loop's watch on listen_fd or fd */
    bool ready;                      /* the loop saw the watched socket readable */
};

/* Wait on the host event loop instead of polling the sockets alone. */
void gdbstub_use_loop(struct gdbstub *g, struct hostloop *loop);

/* --- used by trace.c (hot-path checks) ----------------------------------- */
uint32_t gdbstub_hook_flags(const struct gdbstub *g);
bool gdbstub_check_insn(struct gdbstub *g, struct cpu *cpu, const struct insn *in);
void gdbstub_check_access(struct gdbstub *g, struct cpu *cpu, uint32_t lin, unsigned size,
                          bool write);

/* --- used by the machine loop --------------------------------------------- */
/* Open the listening socket (host NULL: 127.0.0.1). Returns 0 or -1 with a message. */
int gdbstub_open(struct gdbstub *g, struct machine *m, const char *host, uint16_t port,
                 bool wait_for_debugger);
void gdbstub_close(struct gdbstub *g, int exit_status);
/* Before a slice: serve the debugger; blocks while it holds the CPU.
 * Returns the budget the slice may use (1 while single-stepping). */
uint64_t gdbstub_before_slice(struct gdbstub *g, uint64_t budget);
/* After a slice: notice breakpoints/watchpoints/steps and report the stop. */
void gdbstub_after_slice(struct gdbstub *g);

/* --- protocol core (tests call it without sockets) ------------------------- */
/* Handle one packet payload; writes the reply payload into reply (NUL-
 * terminated, "" for the empty reply). Returns false if no reply must be
 * sent now (continue/step: the stop reply comes later). */
bool gdbstub_handle_packet(struct gdbstub *g, const char *pkt, size_t len, char *reply,
                           size_t reply_size);
/* The target description XML (i386 with segment and control registers). */
/* The i386 or the x86-64 target description. */
const char *gdbstub_target_xml(bool x86_64);

#endif
