/*
 * gdbstub.c - the GDB remote serial protocol server (see gdbstub.h):
 * breakpoints and watchpoints as checks in the CPU's hooks, and the
 * machine-loop side (stop, step, continue).
 *
 * Spec: GDB manual, appendix E "GDB Remote Serial Protocol" (packets, stop
 * replies, Z/z, qSupported, qXfer:features:read) and appendix G "Target
 * Descriptions"; register numbering of GDB's i386 target (32bit-core.xml,
 * 32bit-sse.xml order is not used: we describe our own registers).
 */
#include "frontend/gdbstub.h"

#include <string.h>

#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "frontend/trace.h"

/* ---- hot-path checks ------------------------------------------------------- */

uint32_t gdbstub_hook_flags(const struct gdbstub *g)
{
    uint32_t f = 0;
    if (g->n_bp > 0 || g->stepping)
        f |= TRACE_HOOK_INSN;
    if (g->n_wp > 0)
        f |= TRACE_HOOK_MEM;
    return f;
}

bool gdbstub_check_insn(struct gdbstub *g, struct cpu *cpu, const struct insn *in)
{
    uint32_t lin = cpu->seg[SEG_CS].base + in->eip;
    if (g->resumed && cpu->icount == g->resume_icount && lin == g->resume_pc)
        return false;       /* the instruction we continue from: run it */
    for (int i = 0; i < g->n_bp; i++) {
        if (g->bp[i].addr == lin) {
            g->stop_reason = GDB_STOP_BREAK;
            cpu->eip = in->eip;
            cpu_request_exit(cpu);
            return true;
        }
    }
    return false;
}

void gdbstub_check_access(struct gdbstub *g, struct cpu *cpu, uint32_t lin, unsigned size,
                          bool write)
{
    for (int i = 0; i < g->n_wp; i++) {
        const struct gdb_breakpoint *w = &g->wp[i];
        bool kind_ok = w->type == GDB_WP_ACCESS || (w->type == GDB_WP_WRITE) == write;
        /* overlap of [lin, lin+size) and [addr, addr+len) */
        if (kind_ok && lin < w->addr + w->len && w->addr < lin + size) {
            g->stop_reason = GDB_STOP_WATCH;
            g->watch_hit_addr = w->addr;
            g->watch_hit_type = w->type;
            cpu_request_exit(cpu);    /* stop after this instruction: a trap */
            return;
        }
    }
}

/* ---- the machine loop's side (socket server: being written) ------------------- */

int gdbstub_open(struct gdbstub *g, struct machine *m, const char *host, uint16_t port,
                 bool wait_for_debugger)
{
    (void)g; (void)m; (void)host; (void)port; (void)wait_for_debugger;
    return -1;
}

void gdbstub_close(struct gdbstub *g, int exit_status)
{
    (void)g; (void)exit_status;
}

uint64_t gdbstub_before_slice(struct gdbstub *g, uint64_t budget)
{
    (void)g;
    return budget;
}

void gdbstub_after_slice(struct gdbstub *g)
{
    (void)g;
}
