/*
 * gdbstub.c - the GDB remote serial protocol server (see gdbstub.h):
 * breakpoints and watchpoints as checks in the CPU's hooks, and the
 * machine-loop side (stop, step, continue).
 *
 * Spec: GDB manual, appendix E "GDB Remote Serial Protocol" (packets, stop
 * replies, Z/z, qSupported, qXfer:features:read) and appendix G "Target
 * Descriptions"; register numbering of GDB's i386 target (32bit-core.xml)
 * and, while the guest is in IA-32e mode, of its amd64 target
 * (64bit-core.xml); the SSE feature is not described (we describe our own
 * registers). The description is chosen when GDB reads target.xml (at
 * connection): the registers of g/G/p/P keep its layout until GDB reads it
 * again, so a mode change under a connected GDB never changes the size of a
 * 'g' reply; reconnecting after it gives the other one.
 */
#include "frontend/gdbstub.h"
#include "frontend/hostloop.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "cpu/insn.h"
#include "cpu/system.h"
#include "devices/machine/machine.h"
#include "frontend/trace.h"
#include "memory/memory.h"
#include "memory/mmu.h"

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
    uint32_t lin = cpu->seg[SEG_CS].base + in->rip;
    if (g->resumed && cpu->icount == g->resume_icount && lin == g->resume_pc)
        return false;       /* the instruction we continue from: run it */
    for (int i = 0; i < g->n_bp; i++) {
        if (g->bp[i].addr == lin) {
            g->stop_reason = GDB_STOP_BREAK;
            cpu->rip = in->rip;
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


/* ---- target description ------------------------------------------------------ */

/*
 * GDB's i386 core feature needs exactly these names (gdb/features/i386/
 * 32bit-core.xml lists them; GDB checks the names, not our text). Our own
 * feature adds the system registers a kernel developer wants to see.
 */
/* eflags, the segment selectors and the x87 registers: the same in GDB's
 * i386 and amd64 core features (after eip or rip). */
#define GDB_XML_EFLAGS_SEGS_X87 \
    "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>" \
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>" \
    "<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>" \
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>" \
    "<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>" \
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>" \
    "<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>" \
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>" \
    "<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>" \
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>" \
    "<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>" \
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>" \
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>" \
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>" \
    "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>" \
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>" \
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>" \
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>" \
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>" \
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>" \
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>" \
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>" \
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>"

static const char target_xml[] =
    "<?xml version=\"1.0\"?>"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
    "<target version=\"1.0\">"
    "<architecture>i386</architecture>"
    "<feature name=\"org.gnu.gdb.i386.core\">"
    "<flags id=\"i386_eflags\" size=\"4\">"
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
    "<field name=\"ID\" start=\"21\" end=\"21\"/>"
    "</flags>"
    "<reg name=\"eax\" bitsize=\"32\" type=\"int32\" regnum=\"0\"/>"
    "<reg name=\"ecx\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"edx\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"ebx\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"esp\" bitsize=\"32\" type=\"data_ptr\"/>"
    "<reg name=\"ebp\" bitsize=\"32\" type=\"data_ptr\"/>"
    "<reg name=\"esi\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"edi\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>"
    GDB_XML_EFLAGS_SEGS_X87
    "</feature>"
    "<feature name=\"org.softvm.i386.system\">"
    "<reg name=\"cr0\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"cr2\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"cr3\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"cr4\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"efer\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
    "<reg name=\"gdtr_base\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"gdtr_limit\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"idtr_base\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"idtr_limit\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"ldtr\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"tr\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"es_base\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"cs_base\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"ss_base\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"ds_base\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"fs_base\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"gs_base\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"cpl\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "</feature>"
    "</target>";

/* The same for GDB's amd64 target: 64bit-core.xml's names and order
 * (rax rbx rcx rdx rsi rdi rbp rsp r8-r15 rip eflags cs ss ds es fs gs, the
 * x87 registers), then our system registers, 64 bits wide where they are. */
static const char target_xml64[] =
    "<?xml version=\"1.0\"?>"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
    "<target version=\"1.0\">"
    "<architecture>i386:x86-64</architecture>"
    "<feature name=\"org.gnu.gdb.i386.core\">"
    "<flags id=\"i386_eflags\" size=\"4\">"
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
    "<field name=\"ID\" start=\"21\" end=\"21\"/>"
    "</flags>"
    "<reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\"/>"
    "<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>"
    "<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>"
    "<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>"
    GDB_XML_EFLAGS_SEGS_X87
    "</feature>"
    "<feature name=\"org.softvm.x86-64.system\">"
    "<reg name=\"cr0\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
    "<reg name=\"cr2\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
    "<reg name=\"cr3\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
    "<reg name=\"cr4\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
    "<reg name=\"efer\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
    "<reg name=\"gdtr_base\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
    "<reg name=\"gdtr_limit\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"idtr_base\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
    "<reg name=\"idtr_limit\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"ldtr\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"tr\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "<reg name=\"es_base\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
    "<reg name=\"cs_base\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
    "<reg name=\"ss_base\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
    "<reg name=\"ds_base\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
    "<reg name=\"fs_base\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
    "<reg name=\"gs_base\" bitsize=\"64\" type=\"int64\" group=\"system\"/>"
    "<reg name=\"cpl\" bitsize=\"32\" type=\"int32\" group=\"system\"/>"
    "</feature>"
    "</target>";

const char *gdbstub_target_xml(bool x86_64)
{
    return x86_64 ? target_xml64 : target_xml;
}

/* Register numbers, in the order of the XML. */
enum {
    GREG_EAX = 0, GREG_EIP = 8, GREG_EFLAGS = 9, GREG_CS = 10, GREG_GS = 15,
    GREG_ST0 = 16, GREG_FCTRL = 24, GREG_FOP = 31, GREG_CR0 = 32, GREG_CR2, GREG_CR3,
    GREG_CR4, GREG_EFER, GREG_GDTR_BASE, GREG_GDTR_LIMIT, GREG_IDTR_BASE, GREG_IDTR_LIMIT,
    GREG_LDTR, GREG_TR, GREG_SEG_BASE, GREG_CPL = GREG_SEG_BASE + 6, GREG_COUNT
};
/* GDB's order of the segment registers: cs ss ds es fs gs. */
static const int gdb_seg_order[6] = { SEG_CS, SEG_SS, SEG_DS, SEG_ES, SEG_FS, SEG_GS };
/* R8-R15 have no i386 number: ids after GREG_COUNT. */
#define GREG_R8 GREG_COUNT

/* The amd64 description's register n as an i386 id (GREG_*, or GREG_R8+i)
 * and its size in bytes; false past the end. */
#define GREG64_COUNT (GREG_COUNT + 8)
static bool reg64_of(int n, int *id, unsigned *size)
{
    static const int8_t gpr[16] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP,
                                    GREG_R8, GREG_R8 + 1, GREG_R8 + 2, GREG_R8 + 3,
                                    GREG_R8 + 4, GREG_R8 + 5, GREG_R8 + 6, GREG_R8 + 7 };
    if (n < 0 || n >= GREG64_COUNT)
        return false;
    if (n < 16) {
        *id = gpr[n];
        *size = 8;
        return true;
    }
    *id = n - 16 + GREG_EIP;            /* rip eflags cs..gs st0-7 fctrl..fop cr0... in i386 order */
    if (*id >= GREG_ST0 && *id < GREG_ST0 + 8)
        *size = 10;
    else if (*id == GREG_EIP || (*id >= GREG_CR0 && *id <= GREG_GDTR_BASE) || *id == GREG_IDTR_BASE
             || (*id >= GREG_SEG_BASE && *id < GREG_SEG_BASE + 6))
        *size = 8;
    else
        *size = 4;
    return true;
}

static unsigned reg_size(int n)
{
    if (n >= GREG_ST0 && n < GREG_ST0 + 8)
        return 10;
    return n == GREG_EFER ? 8 : 4;
}

/* The register numbered n in the description GDB has (g->desc64): its id
 * and size; false if there is none. */
static bool reg_lookup(const struct gdbstub *g, uint64_t n, int *id, unsigned *size)
{
    if (g->desc64)
        return reg64_of((int)(n > GREG64_COUNT ? GREG64_COUNT : n), id, size);
    if (n >= GREG_COUNT)
        return false;
    *id = (int)n;
    *size = reg_size((int)n);
    return true;
}

/* The little-endian bytes of register id n, `size` of them; returns size. */
static unsigned reg_read(struct cpu *cpu, int n, uint8_t *out, unsigned size)
{
    uint64_t v = 0;
    const struct fpu_state *f = &cpu->priv.fpu;
    if (n >= GREG_ST0 && n < GREG_ST0 + 8) {
        /* ST(i) is physical register (TOP + i) & 7 */
        unsigned top = (f->fsw >> 11) & 7;
        memcpy(out, f->st[(top + (unsigned)(n - GREG_ST0)) & 7], 10);
        return 10;
    }
    if (n < 8)
        v = cpu->regs[n];
    else if (n >= GREG_R8)
        v = cpu->regs[R_R8 + n - GREG_R8];
    else if (n == GREG_EIP)
        v = cpu->rip;
    else if (n == GREG_EFLAGS)
        v = cpu_get_eflags(cpu);
    else if (n >= GREG_CS && n <= GREG_GS)
        v = cpu->seg[gdb_seg_order[n - GREG_CS]].sel;
    else if (n >= GREG_FCTRL && n <= GREG_FOP) {
        switch (n - GREG_FCTRL) {
        case 0: v = f->fcw; break;
        case 1: v = f->fsw; break;
        case 2: v = f->ftw; break;
        case 3: v = f->fcs; break;
        case 4: v = f->fip; break;
        case 5: v = f->fds; break;
        case 6: v = f->fdp; break;
        default: v = f->fop; break;
        }
    } else if (n >= GREG_SEG_BASE && n < GREG_SEG_BASE + 6) {
        v = cpu->seg[n - GREG_SEG_BASE].base;     /* es cs ss ds fs gs: SEG_* order */
    } else {
        switch (n) {
        case GREG_CR0: v = cpu->cr0; break;
        case GREG_CR2: v = cpu->cr2; break;
        case GREG_CR3: v = cpu->cr3; break;
        case GREG_CR4: v = cpu->cr4; break;
        case GREG_EFER: v = cpu->efer; break;
        case GREG_GDTR_BASE: v = cpu->gdtr.base; break;
        case GREG_GDTR_LIMIT: v = cpu->gdtr.limit; break;
        case GREG_IDTR_BASE: v = cpu->idtr.base; break;
        case GREG_IDTR_LIMIT: v = cpu->idtr.limit; break;
        case GREG_LDTR: v = cpu->ldtr.sel; break;
        case GREG_TR: v = cpu->tr.sel; break;
        case GREG_CPL: v = (uint64_t)cpu->cpl; break;
        default: break;
        }
    }
    for (unsigned i = 0; i < size; i++)
        out[i] = (uint8_t)(i < 8 ? v >> (8 * i) : 0);
    return size;
}

/* Write register n; false if it cannot be written this way. Only the
 * registers whose change has no hidden side effects are writable: the
 * general registers, EIP, EFLAGS, and (in real mode) segment selectors. */
static bool reg_write(struct cpu *cpu, int n, const uint8_t *in, unsigned size)
{
    uint64_t v = 0;
    if (size > 8)
        return false;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)in[i] << (8 * i);
    if (n < 8) {
        cpu->regs[n] = v;               /* 4 bytes (i386) zero-extend */
        return true;
    }
    if (n >= GREG_R8) {
        cpu->regs[R_R8 + n - GREG_R8] = v;
        return true;
    }
    if (n == GREG_EIP) {
        cpu->rip = v;
        return true;
    }
    if (n == GREG_EFLAGS) {
        cpu_set_eflags(cpu, (uint32_t)v);
        return true;
    }
    if (n >= GREG_CS && n <= GREG_GS && !(cpu->cr0 & CR0_PE)) {
        seg_load_real(cpu, gdb_seg_order[n - GREG_CS], (uint16_t)v);
        return true;
    }
    return false;
}

/* ---- hex helpers ------------------------------------------------------------------ */

static const char hexdig[] = "0123456789abcdef";

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parse a hex number of at most 16 digits; *end after it. False if none. */
static bool parse_hex(const char *s, const char *limit, uint64_t *v, const char **end)
{
    uint64_t x = 0;
    int n = 0;
    while (s < limit && hexval(*s) >= 0) {
        if (++n > 16)
            return false;
        x = (x << 4) | (uint64_t)hexval(*s++);
    }
    *v = x;
    *end = s;
    return n > 0;
}

static bool decode_hex_bytes(const char *s, size_t nbytes, uint8_t *out)
{
    for (size_t i = 0; i < nbytes; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static size_t put_hex(char *out, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hexdig[b[i] >> 4];
        out[2 * i + 1] = hexdig[b[i] & 15];
    }
    return 2 * n;
}

/* ---- guest memory through the page tables ----------------------------------------- */

/* Read up to len bytes at linear address lin; returns how many could be read
 * (stops at an unmapped page or at memory that is not RAM/ROM: MMIO reads
 * could have side effects, so the debugger never does them). */
static size_t mem_read(struct cpu *cpu, uint64_t lin, uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        uint64_t a = sys_linear(cpu, lin, done);
        size_t chunk = 0x1000 - (a & 0xfff);
        if (chunk > len - done)
            chunk = len - done;
        int64_t pa = mmu_translate_debug(cpu, a);
        if (pa < 0)
            break;
        const void *p = phys_read_ptr(cpu->mem, (uint64_t)pa, chunk);
        if (!p)
            break;
        memcpy(buf + done, p, chunk);
        done += chunk;
    }
    return done;
}

/* Write through the page tables with dma_write (RAM only; it invalidates
 * translated code on the pages). False if any page is unmapped or not RAM. */
static bool mem_write(struct cpu *cpu, uint64_t lin, const uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        uint64_t a = sys_linear(cpu, lin, done);
        size_t chunk = 0x1000 - (a & 0xfff);
        if (chunk > len - done)
            chunk = len - done;
        int64_t pa = mmu_translate_debug(cpu, a);
        if (pa < 0 || !phys_ram_ptr(cpu->mem, (uint64_t)pa, chunk))
            return false;
        if (dma_write(cpu->mem, (uint64_t)pa, buf + done, chunk) != chunk)
            return false;
        done += chunk;
    }
    return true;
}

/* ---- breakpoints and watchpoints ------------------------------------------------- */

static struct cpu *stub_cpu(struct gdbstub *g)
{
    return &g->m->cpu;
}

static void hooks_changed(struct gdbstub *g)
{
    struct cpu *cpu = stub_cpu(g);
    int want_slow = g->n_wp > 0;
    if (cpu->tlb.force_slow != want_slow) {
        cpu->tlb.force_slow = want_slow;
        tlb_flush_all(cpu);      /* refill: data entries slow (or fast again) */
    }
    if (cpu->trace)
        trace_update_hooks(cpu->trace);
}

static bool insert_point(struct gdbstub *g, int type, uint32_t addr, uint32_t kind)
{
    if (type == GDB_BP_SW || type == GDB_BP_HW) {
        for (int i = 0; i < g->n_bp; i++)
            if (g->bp[i].addr == addr)
                return true;           /* already there: Z is idempotent */
        if (g->n_bp >= GDB_MAX_BREAKPOINTS)
            return false;
        g->bp[g->n_bp++] = (struct gdb_breakpoint){ addr, 1, (enum gdb_bp_type)type };
    } else {
        if (kind == 0 || kind > 4096 || g->n_wp >= GDB_MAX_WATCHPOINTS)
            return false;
        g->wp[g->n_wp++] = (struct gdb_breakpoint){ addr, kind, (enum gdb_bp_type)type };
    }
    hooks_changed(g);
    return true;
}

static bool remove_point(struct gdbstub *g, int type, uint32_t addr, uint32_t kind)
{
    bool found = false;
    if (type == GDB_BP_SW || type == GDB_BP_HW) {
        for (int i = 0; i < g->n_bp; i++)
            if (g->bp[i].addr == addr) {
                g->bp[i] = g->bp[--g->n_bp];
                found = true;
                break;
            }
    } else {
        for (int i = 0; i < g->n_wp; i++)
            if (g->wp[i].addr == addr && g->wp[i].len == kind && (int)g->wp[i].type == type) {
                g->wp[i] = g->wp[--g->n_wp];
                found = true;
                break;
            }
    }
    hooks_changed(g);
    return found;
}

/* ---- packets ------------------------------------------------------------------ */

static void stop_reply(struct gdbstub *g, char *reply, size_t size)
{
    switch (g->stop_reason) {
    case GDB_STOP_WATCH: {
        const char *what = g->watch_hit_type == GDB_WP_READ ? "rwatch"
                         : g->watch_hit_type == GDB_WP_ACCESS ? "awatch" : "watch";
        snprintf(reply, size, "T05%s:%08x;thread:01;", what, g->watch_hit_addr);
        break;
    }
    case GDB_STOP_BREAK:
        snprintf(reply, size, "T05hwbreak:;thread:01;");
        break;
    case GDB_STOP_INTERRUPT:
        snprintf(reply, size, "T02thread:01;");
        break;
    default:
        snprintf(reply, size, "T05thread:01;");
        break;
    }
}

/* Begin running again (c or s): forget the last stop, remember where we resume. */
static void resume(struct gdbstub *g, bool step)
{
    struct cpu *cpu = stub_cpu(g);
    g->stopped = false;
    g->stepping = step;
    g->stop_reason = GDB_STOP_NONE;
    g->resumed = true;
    g->resume_icount = cpu->icount;
    g->resume_pc = cpu->seg[SEG_CS].base + cpu->rip;
    hooks_changed(g);
}

static void detach(struct gdbstub *g)
{
    g->n_bp = 0;
    g->n_wp = 0;
    g->stepping = false;
    g->stopped = false;
    g->stop_reason = GDB_STOP_NONE;
    hooks_changed(g);
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH */
static void xfer_features(struct gdbstub *g, const char *args, const char *end, char *reply, size_t size)
{
    static const char annex[] = "target.xml:";
    if ((size_t)(end - args) < sizeof(annex) - 1 || strncmp(args, annex, sizeof(annex) - 1)) {
        snprintf(reply, size, "E00");
        return;
    }
    const char *p = args + sizeof(annex) - 1;
    uint64_t off, len;
    if (!parse_hex(p, end, &off, &p) || p >= end || *p != ',' ||
        !parse_hex(p + 1, end, &len, &p) || p != end) {
        snprintf(reply, size, "E00");
        return;
    }
    /* the layout of g/G/p/P follows the description GDB reads now */
    if (off == 0)
        g->desc64 = cpu_long_mode(stub_cpu(g));
    const char *xml = gdbstub_target_xml(g->desc64);
    size_t total = strlen(xml);
    if (off >= total) {
        snprintf(reply, size, "l");
        return;
    }
    size_t n = total - (size_t)off;
    if (n > len)
        n = (size_t)len;
    if (n > size - 2)
        n = size - 2;
    reply[0] = (off + n >= total) ? 'l' : 'm';
    memcpy(reply + 1, xml + off, n);
    reply[1 + n] = '\0';
}

bool gdbstub_handle_packet(struct gdbstub *g, const char *pkt, size_t len, char *reply,
                           size_t size)
{
    struct cpu *cpu = stub_cpu(g);
    const char *end = pkt + len;
    const char *p;
    uint64_t a, b;
    reply[0] = '\0';
    if (len == 0)
        return true;                   /* "" -> "" */

    switch (pkt[0]) {
    case '?':
        stop_reply(g, reply, size);
        return true;
    case 'g': {
        size_t o = 0;
        uint8_t buf[10];
        int id;
        unsigned sz;
        for (int n = 0; reg_lookup(g, (uint64_t)n, &id, &sz) && o + 21 < size; n++)
            o += put_hex(reply + o, buf, reg_read(cpu, id, buf, sz));
        reply[o] = '\0';
        return true;
    }
    case 'G': {
        /* general registers, EIP/RIP and EFLAGS; the rest must be unchanged */
        size_t o = 1;
        int id, last = g->desc64 ? 17 : GREG_EFLAGS;
        unsigned sz;
        for (int n = 0; n <= last && reg_lookup(g, (uint64_t)n, &id, &sz); n++) {
            uint8_t buf[8];
            if (o + 2 * sz > len || !decode_hex_bytes(pkt + o, sz, buf)) {
                snprintf(reply, size, "E01");
                return true;
            }
            reg_write(cpu, id, buf, sz);
            o += 2 * sz;
        }
        snprintf(reply, size, "OK");
        return true;
    }
    case 'p': {
        int id;
        unsigned sz;
        if (!parse_hex(pkt + 1, end, &a, &p) || p != end || !reg_lookup(g, a, &id, &sz)) {
            snprintf(reply, size, "E01");
            return true;
        }
        uint8_t buf[10];
        reply[put_hex(reply, buf, reg_read(cpu, id, buf, sz))] = '\0';
        return true;
    }
    case 'P': {
        uint8_t buf[10];
        int id;
        unsigned sz;
        if (!parse_hex(pkt + 1, end, &a, &p) || p >= end || *p != '=' || !reg_lookup(g, a, &id, &sz) ||
            (size_t)(end - (p + 1)) != 2 * sz ||
            !decode_hex_bytes(p + 1, sz, buf) || !reg_write(cpu, id, buf, sz)) {
            snprintf(reply, size, "E01");
            return true;
        }
        snprintf(reply, size, "OK");
        return true;
    }
    case 'm': {
        if (!parse_hex(pkt + 1, end, &a, &p) || p >= end || *p != ',' ||
            !parse_hex(p + 1, end, &b, &p) || p != end || (a > 0xffffffffull && !g->desc64)) {
            snprintf(reply, size, "E01");
            return true;
        }
        size_t max = (size - 1) / 2;
        if (b > max)
            b = max;                   /* a short read is allowed */
        uint8_t *buf = malloc(b ? (size_t)b : 1);
        if (!buf) {
            snprintf(reply, size, "E0c");
            return true;
        }
        size_t got = mem_read(cpu, a, buf, (size_t)b);
        if (got == 0 && b > 0)
            snprintf(reply, size, "E0e");
        else
            reply[put_hex(reply, buf, got)] = '\0';
        free(buf);
        return true;
    }
    case 'M': {
        if (!parse_hex(pkt + 1, end, &a, &p) || p >= end || *p != ',' ||
            !parse_hex(p + 1, end, &b, &p) || p >= end || *p != ':' || (a > 0xffffffffull && !g->desc64) ||
            b > GDB_PACKET_MAX || (size_t)(end - (p + 1)) != 2 * b) {
            snprintf(reply, size, "E01");
            return true;
        }
        uint8_t *buf = malloc(b ? (size_t)b : 1);
        if (!buf || !decode_hex_bytes(p + 1, (size_t)b, buf)) {
            free(buf);
            snprintf(reply, size, "E01");
            return true;
        }
        bool ok = mem_write(cpu, a, buf, (size_t)b);
        free(buf);
        snprintf(reply, size, ok ? "OK" : "E0e");
        return true;
    }
    case 'Z':
    case 'z': {
        uint64_t type;
        if (!parse_hex(pkt + 1, end, &type, &p) || p >= end || *p != ',' ||
            !parse_hex(p + 1, end, &a, &p) || p >= end || *p != ',' ||
            !parse_hex(p + 1, end, &b, &p) || type > GDB_WP_ACCESS || a > 0xffffffffull) {
            snprintf(reply, size, "E01");
            return true;
        }
        bool ok = pkt[0] == 'Z' ? insert_point(g, (int)type, (uint32_t)a, (uint32_t)b)
                                : remove_point(g, (int)type, (uint32_t)a, (uint32_t)b);
        snprintf(reply, size, ok ? "OK" : "E22");
        return true;
    }
    case 'c':
    case 's':
        if (len > 1) {                 /* c ADDR / s ADDR: resume at ADDR */
            if (!parse_hex(pkt + 1, end, &a, &p) || p != end) {
                snprintf(reply, size, "E01");
                return true;
            }
            cpu->rip = (uint32_t)a - cpu->seg[SEG_CS].base;
        }
        resume(g, pkt[0] == 's');
        return false;                  /* the stop reply comes when it stops */
    case 'D':
        detach(g);
        snprintf(reply, size, "OK");
        return true;
    case 'k':
        g->killed = true;
        return false;
    case 'H':
    case 'T':
        snprintf(reply, size, "OK");   /* one thread: any thread is it */
        return true;
    case 'q':
        if (!strncmp(pkt, "qSupported", 10)) {
            snprintf(reply, size, "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;"
                     "hwbreak+", GDB_PACKET_MAX);
        } else if (!strncmp(pkt, "qXfer:features:read:", 20)) {
            xfer_features(g, pkt + 20, end, reply, size);
        } else if (!strcmp(pkt, "qAttached")) {
            snprintf(reply, size, "1");
        } else if (!strcmp(pkt, "qC")) {
            snprintf(reply, size, "QC01");
        } else if (!strcmp(pkt, "qfThreadInfo")) {
            snprintf(reply, size, "m01");
        } else if (!strcmp(pkt, "qsThreadInfo")) {
            snprintf(reply, size, "l");
        }
        return true;
    case 'Q':
        if (!strcmp(pkt, "QStartNoAckMode"))
            snprintf(reply, size, "OK");   /* the caller switches after sending */
        return true;
    default:
        return true;                   /* unsupported: the empty reply */
    }
}

/* ---- the socket -------------------------------------------------------------------- */

static void send_raw(struct gdbstub *g, const char *data, size_t len)
{
    while (len > 0 && g->fd >= 0) {
        ssize_t n = send(g->fd, data, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            close(g->fd);          /* the debugger went away */
            g->fd = -1;
            detach(g);
            return;
        }
        data += n;
        len -= (size_t)n;
    }
}

static void send_packet(struct gdbstub *g, const char *payload)
{
    size_t n = gdb_frame((const uint8_t *)payload, strlen(payload), g->last_reply,
                         sizeof(g->last_reply));
    if (n == 0)
        n = gdb_frame((const uint8_t *)"E01", 3, g->last_reply, sizeof(g->last_reply));
    g->last_reply_len = n;
    send_raw(g, g->last_reply, n);
}

/* Tell the debugger the CPU stopped. */
static void report_stop(struct gdbstub *g)
{
    char reply[64];
    g->stopped = true;
    g->stepping = false;
    stop_reply(g, reply, sizeof(reply));
    send_packet(g, reply);
    hooks_changed(g);
}

/* Handle the bytes that arrived; returns false if the connection closed. */
static bool serve_bytes(struct gdbstub *g, const uint8_t *data, size_t n)
{
    char *out = malloc(2 * GDB_PACKET_MAX + 2);
    if (!out)
        return false;
    for (size_t i = 0; i < n && g->fd >= 0; i++) {
        switch (gdb_rx_byte(&g->rx, data[i])) {
        case GDB_RX_PACKET: {
            if (!g->no_ack)
                send_raw(g, "+", 1);
            bool answer = gdbstub_handle_packet(g, (const char *)g->rx.buf, g->rx.len, out,
                                                2 * GDB_PACKET_MAX + 2);
            if (answer)
                send_packet(g, out);
            if (!strcmp((const char *)g->rx.buf, "QStartNoAckMode"))
                g->no_ack = true;
            if (g->rx.buf[0] == 'D' && g->rx.len == 1) {
                close(g->fd);
                g->fd = -1;
            }
            break;
        }
        case GDB_RX_BADSUM:
            if (!g->no_ack)
                send_raw(g, "-", 1);
            break;
        case GDB_RX_NAK:
            if (g->last_reply_len)
                send_raw(g, g->last_reply, g->last_reply_len);
            break;
        case GDB_RX_INTERRUPT:
            if (!g->stopped) {
                g->stop_reason = GDB_STOP_INTERRUPT;
                report_stop(g);
            }
            break;
        case GDB_RX_ACK:
        case GDB_RX_NONE:
            break;
        }
    }
    free(out);
    return g->fd >= 0;
}

static void on_ready(void *opaque, int fd, short revents)
{
    (void)fd; (void)revents;
    ((struct gdbstub *)opaque)->ready = true;
}

/* Keep the loop's watch on the socket that matters now: the connection, or
 * the listening socket while nobody is attached. */
static void sync_watch(struct gdbstub *g)
{
    int fd = g->fd >= 0 ? g->fd : g->listen_fd;
    if (fd == g->watched_fd)
        return;
    if (g->watch >= 0)
        hostloop_unwatch(g->loop, g->watch);
    g->watch = fd >= 0 ? hostloop_watch_fd(g->loop, fd, POLLIN, on_ready, g) : -1;
    g->watched_fd = fd;
    g->ready = false;
}

/* Is fd readable? timeout_ms 0: just look, -1: wait. With the host event
 * loop, readiness comes from it, and waiting runs it (so the terminal and
 * the network are served while the debugger holds the CPU). */
static bool readable(struct gdbstub *g, int fd, int timeout_ms)
{
    if (!g->loop) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        return poll(&pfd, 1, timeout_ms) > 0;
    }
    sync_watch(g);
    if (g->watch < 0) {
        struct pollfd pfd = { fd, POLLIN, 0 };       /* the loop is full */
        return poll(&pfd, 1, timeout_ms) > 0;
    }
    if (timeout_ms != 0)
        while (!g->ready)
            hostloop_run(g->loop, -1);
    bool r = g->ready;
    g->ready = false;
    return r;
}

void gdbstub_use_loop(struct gdbstub *g, struct hostloop *loop)
{
    g->loop = loop;
    g->watch = -1;
    g->watched_fd = -1;
    if (loop)
        sync_watch(g);
}

/* Read what is there (timeout_ms: 0 poll, -1 block). False on close. */
static bool serve(struct gdbstub *g, int timeout_ms)
{
    if (!readable(g, g->fd, timeout_ms))
        return true;
    uint8_t buf[4096];
    ssize_t n = recv(g->fd, buf, sizeof(buf), 0);
    if (n <= 0) {
        if (n < 0 && errno == EINTR)
            return true;
        close(g->fd);
        g->fd = -1;
        detach(g);             /* the debugger vanished: let the guest run on */
        return false;
    }
    return serve_bytes(g, buf, (size_t)n);
}

static void try_accept(struct gdbstub *g, int timeout_ms)
{
    if (!readable(g, g->listen_fd, timeout_ms))
        return;
    int fd = accept(g->listen_fd, NULL, NULL);
    if (fd < 0)
        return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    g->fd = fd;
    g->no_ack = false;
    g->desc64 = false;              /* until GDB reads target.xml */
    gdb_rx_init(&g->rx);
    /* a debugger that attaches finds the CPU stopped (it asks '?') */
    g->stopped = true;
    if (g->stop_reason == GDB_STOP_NONE)
        g->stop_reason = GDB_STOP_INTERRUPT;
    hooks_changed(g);
}

int gdbstub_open(struct gdbstub *g, struct machine *m, const char *host, uint16_t port,
                 bool wait_for_debugger)
{
    memset(g, 0, sizeof(*g));
    g->m = m;
    g->fd = -1;
    g->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (g->listen_fd < 0) {
        perror("softvm: gdb stub: socket");
        return -1;
    }
    int one = 1;
    setsockopt(g->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
    if (inet_pton(AF_INET, host ? host : "127.0.0.1", &sa.sin_addr) != 1) {
        fprintf(stderr, "softvm: gdb stub: '%s' is not an IPv4 address\n", host);
        close(g->listen_fd);
        return -1;
    }
    if (bind(g->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(g->listen_fd, 1) != 0) {
        fprintf(stderr, "softvm: gdb stub: cannot listen on %s:%u: %s\n",
                host ? host : "127.0.0.1", port, strerror(errno));
        close(g->listen_fd);
        g->listen_fd = -1;
        return -1;
    }
    gdb_rx_init(&g->rx);
    if (wait_for_debugger) {
        g->stopped = true;
        g->stop_reason = GDB_STOP_INITIAL;
        fprintf(stderr, "softvm: waiting for gdb on %s:%u (target remote :%u)\n",
                host ? host : "127.0.0.1", port, port);
    }
    return 0;
}

void gdbstub_close(struct gdbstub *g, int exit_status)
{
    if (g->loop && g->watch >= 0)
        hostloop_unwatch(g->loop, g->watch);
    g->loop = NULL;
    if (g->fd >= 0) {
        char reply[16];
        snprintf(reply, sizeof(reply), "W%02x", exit_status & 0xff);
        send_packet(g, reply);
        close(g->fd);
        g->fd = -1;
    }
    if (g->listen_fd >= 0) {
        close(g->listen_fd);
        g->listen_fd = -1;
    }
    if (g->m) {
        struct cpu *cpu = stub_cpu(g);
        if (cpu->tlb.force_slow) {
            cpu->tlb.force_slow = 0;
            tlb_flush_all(cpu);
        }
    }
}

uint64_t gdbstub_before_slice(struct gdbstub *g, uint64_t budget)
{
    if (g->fd < 0 && g->listen_fd >= 0)
        try_accept(g, g->stopped ? -1 : 0);    /* -S: wait for the debugger */
    if (g->fd >= 0 && !g->stopped)
        serve(g, 0);                           /* Ctrl-C? */
    while (g->fd >= 0 && g->stopped && !g->killed)
        serve(g, -1);                          /* the debugger holds the CPU */
    if (g->killed) {
        machine_request_stop(g->m, 0);
        return 0;
    }
    if (g->fd < 0 && g->stopped && g->listen_fd >= 0)
        return 0;                              /* still waiting to be attached */
    return g->stepping ? 1 : budget;
}

void gdbstub_after_slice(struct gdbstub *g)
{
    if (g->fd < 0 || g->stopped)
        return;
    if (g->m->stop) {
        /* the guest ended the run (exit port, poweroff): tell gdb now */
        char reply[16];
        snprintf(reply, sizeof(reply), "W%02x", g->m->exit_status & 0xff);
        send_packet(g, reply);
        close(g->fd);
        g->fd = -1;
        return;
    }
    if (g->stop_reason == GDB_STOP_BREAK || g->stop_reason == GDB_STOP_WATCH) {
        report_stop(g);
    } else if (g->stepping) {
        g->stop_reason = GDB_STOP_STEP;
        report_stop(g);
    }
}
