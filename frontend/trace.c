/*
 * trace.c - QEMU-style -d logging and the hook dispatch behind
 * cpu->trace_flags (see trace.h).
 *
 * Formats (compare QEMU 7.2, accel/tcg/cpu-exec.c, target/i386/cpu-dump.c,
 * target/i386/tcg/seg_helper.c, disas/capstone.c):
 *   in_asm  "----------------\nIN: \n" then "0x%08x:  <bytes, 8 a line>  mnemonic operands"
 *   exec    "Trace 0: <host TB> [<CS base>/<linear pc>/<mode>/<0>] "
 *   cpu     the register dump of trace_dump_cpu, before each block
 *   int     "%6d: v=%02x e=%04x i=%d cpl=%d IP=%04x:%08x pc=%08x SP=%04x:%08x ..."
 *           QEMU logs these in protected mode only; we log real mode too.
 * Addresses are linear (CS base + EIP), as QEMU prints them.
 */
#include "frontend/trace.h"
#include "frontend/chardev.h"

#include <capstone/capstone.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "devices/iobus.h"
#include "frontend/gdbstub.h"
#include "frontend/host.h"
#include "devices/machine/machine.h"
#include "devices/machine/options.h"
#include "memory/memory.h"
#include "memory/mmu.h"
#include "translator/tb.h"

/* ---- filters ----------------------------------------------------------------- */

static bool parse_u64(const char *s, const char **end, uint64_t *v)
{
    char *e;
    if (*s < '0' || *s > '9')
        return false;
    unsigned long long x = strtoull(s, &e, 0);
    *v = x;
    *end = e;
    return true;
}

bool trace_parse_ranges(const char *s, struct trace_range *out, int *n)
{
    *n = 0;
    for (;;) {
        uint64_t a, b;
        const char *p;
        if (*n >= TRACE_MAX_RANGES || !parse_u64(s, &p, &a) || a > 0xffffffffull)
            return false;
        if (!strncmp(p, "..", 2)) {
            if (!parse_u64(p + 2, &p, &b) || b < a || b > 0xffffffffull)
                return false;
        } else if (*p == '+') {
            if (!parse_u64(p + 1, &p, &b) || b == 0 || a + b - 1 > 0xffffffffull)
                return false;
            b = a + b - 1;
        } else if (*p == '-') {
            /* START-SIZE: the SIZE bytes that end at START (QEMU's meaning) */
            if (!parse_u64(p + 1, &p, &b) || b == 0 || b - 1 > a)
                return false;
            uint64_t lo = a - (b - 1);
            b = a;
            a = lo;
        } else {
            return false;
        }
        out[*n].lo = (uint32_t)a;
        out[*n].hi = (uint32_t)b;
        (*n)++;
        if (*p == '\0')
            return true;
        if (*p != ',')
            return false;
        s = p + 1;
    }
}

bool trace_parse_window(const char *s, uint64_t *from, uint64_t *to)
{
    const char *p = s;
    *from = 0;
    *to = UINT64_MAX;
    if (strncmp(p, "..", 2) != 0) {
        if (!parse_u64(p, &p, from))
            return false;
        if (*p == '\0') {           /* just FROM: from there on */
            return true;
        }
    }
    if (strncmp(p, "..", 2) != 0)
        return false;
    p += 2;
    if (*p == '\0')
        return true;
    if (!parse_u64(p, &p, to) || *p != '\0' || *to <= *from)
        return false;
    return true;
}

bool trace_wanted(const struct trace *t, uint64_t lin, uint64_t icount)
{
    if (icount < t->win_from || icount >= t->win_to)
        return false;
    if (t->n_ranges == 0)
        return true;
    for (int i = 0; i < t->n_ranges; i++)
        if (lin >= t->range[i].lo && lin <= t->range[i].hi)
            return true;
    return false;
}

/* ---- lifecycle ------------------------------------------------------------------ */

static void open_capstone(struct trace *t)
{
    csh h16, h32, h64;
    if (cs_open(CS_ARCH_X86, CS_MODE_16, &h16) != CS_ERR_OK)
        return;
    if (cs_open(CS_ARCH_X86, CS_MODE_32, &h32) != CS_ERR_OK) {
        cs_close(&h16);
        return;
    }
    if (cs_open(CS_ARCH_X86, CS_MODE_64, &h64) != CS_ERR_OK) {
        cs_close(&h16);
        cs_close(&h32);
        return;
    }
    /* AT&T syntax, as QEMU prints x86 code; Intel if this Capstone lacks it */
    cs_option(h16, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
    cs_option(h32, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
    cs_option(h64, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
    t->cs16 = h16;
    t->cs32 = h32;
    t->cs64 = h64;
    t->cs_ok = true;
}

void trace_init_simple(struct trace *t, uint32_t log_mask, FILE *out)
{
    memset(t, 0, sizeof(*t));
    t->log_mask = log_mask;
    t->out = out ? out : stderr;
    t->win_to = UINT64_MAX;
    t->stats.signal_fd = -1;
    open_capstone(t);
}

int trace_init(struct trace *t, const struct vm_options *opt, FILE *err)
{
    trace_init_simple(t, opt->log_mask, stderr);
    if (opt->log_filter && !trace_parse_ranges(opt->log_filter, t->range, &t->n_ranges)) {
        fprintf(err, "softvm: -dfilter: '%s': use START..END, START+SIZE or START-SIZE, "
                "comma-separated (at most %d)\n", opt->log_filter, TRACE_MAX_RANGES);
        trace_close(t);
        return -1;
    }
    if (opt->log_window && !trace_parse_window(opt->log_window, &t->win_from, &t->win_to)) {
        fprintf(err, "softvm: -dicount: '%s': use FROM..TO, FROM.. or ..TO "
                "(instruction counts)\n", opt->log_window);
        trace_close(t);
        return -1;
    }
    if (opt->log_file) {
        const char *why = NULL;
        FILE *f = chardev_open_output(opt->log_file, &why);
        if (!f) {
            fprintf(err, "softvm: -D '%s': cannot open: %s\n", opt->log_file, why);
            trace_close(t);
            return -1;
        }
        setvbuf(f, NULL, _IOFBF, 1 << 16);
        t->out = f;
        t->own_out = true;
    }
    t->one_insn_per_tb = opt->one_insn_per_tb;
    t->stats_on = opt->stats;
    return 0;
}

void trace_close(struct trace *t)
{
    if (t->cs_ok) {
        csh h16 = t->cs16, h32 = t->cs32, h64 = t->cs64;
        cs_close(&h16);
        cs_close(&h32);
        cs_close(&h64);
        t->cs_ok = false;
    }
    if (t->out)
        fflush(t->out);
    if (t->own_out && t->out)
        fclose(t->out);
    t->out = NULL;
    t->own_out = false;
    if (t->cpu) {
        t->cpu->trace_flags = 0;
        t->cpu->trace = NULL;
        t->cpu = NULL;
    }
}

void trace_update_hooks(struct trace *t)
{
    if (!t->cpu)
        return;
    uint32_t f = 0, m = t->log_mask;
    if (m & (VM_LOG_EXEC | VM_LOG_CPU | VM_LOG_IN_ASM) || t->stats_on)
        f |= TRACE_HOOK_TB;        /* in_asm: instructions run without a TB */
    if (m & VM_LOG_IN_ASM)
        f |= TRACE_HOOK_NEWTB;
    if (m & VM_LOG_INT || t->stats_on)
        f |= TRACE_HOOK_INT;
    if (m & VM_LOG_MMU || t->stats_on)
        f |= TRACE_HOOK_MMU;
    if (m & (VM_LOG_IOPORT | VM_LOG_UNIMP) || t->stats_on)
        f |= TRACE_HOOK_IO;
    if (t->stats_on)
        f |= TRACE_HOOK_MEM;
    if (t->gdb)
        f |= gdbstub_hook_flags(t->gdb);
    t->cpu->trace_flags = f;
}

void trace_set_one_insn_per_tb(struct trace *t, bool on)
{
    t->one_insn_per_tb = on;
    if (t->cpu && t->cpu->priv.tbs) {
        t->cpu->priv.tbs->max_insns = on ? 1 : 0;
        tb_flush_all(t->cpu);
    }
}

void trace_attach(struct trace *t, struct cpu *cpu)
{
    t->cpu = cpu;
    cpu->trace = t;
    if (t->one_insn_per_tb)
        trace_set_one_insn_per_tb(t, true);
    trace_update_hooks(t);
}

/* ---- disassembly ------------------------------------------------------------------ */

/* One in_asm line (and continuation lines for instructions over 8 bytes). */
static void print_insn_line(FILE *out, uint64_t addr, bool wide, const uint8_t *bytes, size_t n,
                            const char *mnemonic, const char *ops)
{
    char hex[3 * 8 + 1];
    size_t first = n < 8 ? n : 8, pos = 0;
    for (size_t i = 0; i < first; i++)
        pos += (size_t)snprintf(hex + pos, sizeof(hex) - pos, i ? " %02x" : "%02x", bytes[i]);
    if (wide)
        fprintf(out, "0x%016" PRIx64 ":  %-24s %-8s %s\n", addr, hex, mnemonic, ops);
    else
        fprintf(out, "0x%08" PRIx32 ":  %-24s %-8s %s\n", (uint32_t)addr, hex, mnemonic, ops);
    for (size_t at = 8; at < n; at += 8) {
        pos = 0;
        for (size_t i = at; i < n && i < at + 8; i++)
            pos += (size_t)snprintf(hex + pos, sizeof(hex) - pos, i > at ? " %02x" : "%02x",
                                    bytes[i]);
        if (wide)
            fprintf(out, "0x%016" PRIx64 ":  %s\n", addr + at, hex);
        else
            fprintf(out, "0x%08" PRIx32 ":  %s\n", (uint32_t)(addr + at), hex);
    }
}

size_t trace_disas(struct trace *t, FILE *out, uint64_t addr, const uint8_t *code,
                   size_t len, unsigned mode, unsigned max_insns)
{
    size_t done = 0;
    bool wide = mode & DECODE_CODE64;
    if (!t->cs_ok) {
        fprintf(out, "0x%08" PRIx64 ":  (no disassembler)\n", addr);
        return 0;
    }
    csh h = wide ? (csh)t->cs64 : (mode & DECODE_CODE32) ? (csh)t->cs32 : (csh)t->cs16;
    cs_insn *insn = cs_malloc(h);
    if (!insn)
        return 0;
    const uint8_t *p = code;
    size_t left = len;
    uint64_t a = addr;
    for (unsigned i = 0; i < max_insns && left > 0; i++) {
        const uint8_t *before = p;
        uint64_t at = a;
        if (!cs_disasm_iter(h, &p, &left, &a, insn)) {
            /* Capstone does not know it: show the byte, as QEMU's "(bad)" */
            print_insn_line(out, at, wide, before, 1, "(bad)", "");
            p = before + 1;
            left--;
            a = at + 1;
            done++;
            continue;
        }
        print_insn_line(out, at, wide, insn->bytes, insn->size, insn->mnemonic, insn->op_str);
        done += insn->size;
    }
    cs_free(insn, 1);
    return done;
}

/* ---- register dump --------------------------------------------------------------- */

static void dump_seg(FILE *out, const char *name, const struct segment *s)
{
    fprintf(out, "%-3s=%04x %08x %08x %08x\n", name, s->sel, (uint32_t)s->base, s->limit,
            (s->flags << 8) & 0x00ffff00u);
}

/* IA-32e mode: qemu-system-x86_64's layout (x86_cpu_dump_state with LMA). */
static void dump_cpu64(struct cpu *cpu, FILE *out)
{
    static const char *const names[16] = { "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP",
                                           "R8 ", "R9 ", "R10", "R11", "R12", "R13", "R14", "R15" };
    static const int order[16] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP,
                                   8, 9, 10, 11, 12, 13, 14, 15 };
    static const char *const seg_names[SEG_COUNT] = { "ES", "CS", "SS", "DS", "FS", "GS" };
    for (int i = 0; i < 16; i++)
        fprintf(out, "%s=%016" PRIx64 "%c", names[i], cpu->regs[order[i]], (i & 3) == 3 ? '\n' : ' ');
    uint32_t fl = cpu_get_eflags(cpu);
    fprintf(out, "RIP=%016" PRIx64 " RFL=%08x [%c%c%c%c%c%c%c] CPL=%d II=%d A20=%d SMM=0 HLT=%d\n",
            cpu->rip, fl,
            fl & EFLAGS_DF ? 'D' : '-', fl & EFLAGS_OF ? 'O' : '-', fl & EFLAGS_SF ? 'S' : '-',
            fl & EFLAGS_ZF ? 'Z' : '-', fl & EFLAGS_AF ? 'A' : '-', fl & EFLAGS_PF ? 'P' : '-',
            fl & EFLAGS_CF ? 'C' : '-', cpu->cpl, cpu->priv.inhibit_irq ? 1 : 0,
            cpu->mem ? (phys_mem_a20(cpu->mem) ? 1 : 0) : 1, cpu->halted ? 1 : 0);
    const struct segment *segs[SEG_COUNT + 2];
    const char *snames[SEG_COUNT + 2];
    for (int i = 0; i < SEG_COUNT; i++) {
        segs[i] = &cpu->seg[i];
        snames[i] = seg_names[i];
    }
    segs[SEG_COUNT] = &cpu->ldtr;
    snames[SEG_COUNT] = "LDT";
    segs[SEG_COUNT + 1] = &cpu->tr;
    snames[SEG_COUNT + 1] = "TR";
    for (int i = 0; i < SEG_COUNT + 2; i++)
        fprintf(out, "%-3s=%04x %016" PRIx64 " %08x %08x\n", snames[i], segs[i]->sel, segs[i]->base,
                segs[i]->limit, (segs[i]->flags << 8) & 0x00ffff00u);
    fprintf(out, "GDT=     %016" PRIx64 " %08x\n", cpu->gdtr.base, cpu->gdtr.limit);
    fprintf(out, "IDT=     %016" PRIx64 " %08x\n", cpu->idtr.base, cpu->idtr.limit);
    fprintf(out, "CR0=%08x CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08x\n", (uint32_t)cpu->cr0,
            cpu->cr2, cpu->cr3, (uint32_t)cpu->cr4);
    fprintf(out, "DR0=%016" PRIx64 " DR1=%016" PRIx64 " DR2=%016" PRIx64 " DR3=%016" PRIx64 " \n",
            cpu->dr[0], cpu->dr[1], cpu->dr[2], cpu->dr[3]);
    fprintf(out, "DR6=%016" PRIx64 " DR7=%016" PRIx64 "\n", cpu->dr[6], cpu->dr[7]);
    fprintf(out, "EFER=%016" PRIx64 "\n", cpu->efer);
}

void trace_dump_cpu(struct cpu *cpu, FILE *out)
{
    static const char *const seg_names[SEG_COUNT] = { "ES", "CS", "SS", "DS", "FS", "GS" };
    if (cpu_long_mode(cpu)) {
        dump_cpu64(cpu, out);
        return;
    }
    uint32_t fl = cpu_get_eflags(cpu);
    fprintf(out, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\n"
            "ESI=%08x EDI=%08x EBP=%08x ESP=%08x\n",
            cpu_reg32(cpu, R_EAX), cpu_reg32(cpu, R_EBX), cpu_reg32(cpu, R_ECX), cpu_reg32(cpu, R_EDX),
            cpu_reg32(cpu, R_ESI), cpu_reg32(cpu, R_EDI), cpu_reg32(cpu, R_EBP), cpu_reg32(cpu, R_ESP));
    fprintf(out, "EIP=%08x EFL=%08x [%c%c%c%c%c%c%c] CPL=%d II=%d A20=%d SMM=0 HLT=%d\n",
            (uint32_t)cpu->rip, fl,
            fl & EFLAGS_DF ? 'D' : '-', fl & EFLAGS_OF ? 'O' : '-', fl & EFLAGS_SF ? 'S' : '-',
            fl & EFLAGS_ZF ? 'Z' : '-', fl & EFLAGS_AF ? 'A' : '-', fl & EFLAGS_PF ? 'P' : '-',
            fl & EFLAGS_CF ? 'C' : '-', cpu->cpl, cpu->priv.inhibit_irq ? 1 : 0,
            cpu->mem ? (phys_mem_a20(cpu->mem) ? 1 : 0) : 1, cpu->halted ? 1 : 0);
    for (int i = 0; i < SEG_COUNT; i++)
        dump_seg(out, seg_names[i], &cpu->seg[i]);
    dump_seg(out, "LDT", &cpu->ldtr);
    dump_seg(out, "TR", &cpu->tr);
    fprintf(out, "GDT=     %08x %08x\n", (uint32_t)cpu->gdtr.base, cpu->gdtr.limit);
    fprintf(out, "IDT=     %08x %08x\n", (uint32_t)cpu->idtr.base, cpu->idtr.limit);
    fprintf(out, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", (uint32_t)cpu->cr0, (uint32_t)cpu->cr2,
            (uint32_t)cpu->cr3, (uint32_t)cpu->cr4);
    fprintf(out, "DR0=%08x DR1=%08x DR2=%08x DR3=%08x \n", (uint32_t)cpu->dr[0], (uint32_t)cpu->dr[1],
            (uint32_t)cpu->dr[2], (uint32_t)cpu->dr[3]);
    fprintf(out, "DR6=%08x DR7=%08x\n", (uint32_t)cpu->dr[6], (uint32_t)cpu->dr[7]);
    fprintf(out, "EFER=%016" PRIx64 "\n", cpu->efer);
}

/* ---- hooks ----------------------------------------------------------------------- */

static uint64_t linear_pc(const struct cpu *cpu, uint64_t eip)
{
    return linear_addr(cpu, cpu->seg[SEG_CS].base, eip);
}

void trace_tb_new(struct cpu *cpu, const struct tb *tb, const uint8_t *code)
{
    struct trace *t = cpu->trace;
    if (!t || !(t->log_mask & VM_LOG_IN_ASM))
        return;
    uint64_t pc = linear_pc(cpu, tb->rip);
    if (!trace_wanted(t, pc, cpu->icount))
        return;
    fprintf(t->out, "----------------\nIN: \n");
    trace_disas(t, t->out, pc, code, tb->end_rip - tb->rip, tb->mode, tb->n_insns);
    fputc('\n', t->out);
}

/* An instruction about to run without a TB (it crosses a page, or lies
 * outside RAM): read its bytes through the page tables, one at a time. */
static void disas_untranslated(struct trace *t, struct cpu *cpu)
{
    uint8_t buf[16];
    size_t n = 0;
    for (; n < sizeof(buf); n++) {
        uint64_t lin = linear_pc(cpu, cpu->rip + n);
        int64_t pa = mmu_translate_debug(cpu, lin);
        if (pa < 0)
            break;
        buf[n] = phys_read8(cpu->mem, (uint64_t)pa);
    }
    fprintf(t->out, "----------------\nIN: \n");
    trace_disas(t, t->out, linear_pc(cpu, cpu->rip), buf, n, decode_mode(cpu), 1);
    fputc('\n', t->out);
}

void trace_tb_exec(struct cpu *cpu, const struct tb *tb)
{
    struct trace *t = cpu->trace;
    if (!t)
        return;
    if (t->stats_on) {
        if (tb)
            t->stats.tb_execs++;
        else
            t->stats.no_tb++;
    }
    uint32_t m = t->log_mask;
    if (!(m & (VM_LOG_EXEC | VM_LOG_CPU | VM_LOG_IN_ASM)))
        return;
    uint64_t pc = linear_pc(cpu, cpu->rip);
    if (!trace_wanted(t, pc, cpu->icount))
        return;
    if (!tb && (m & VM_LOG_IN_ASM) && cpu->mem)
        disas_untranslated(t, cpu);
    if (m & VM_LOG_EXEC)
        fprintf(t->out, "Trace 0: %p [%08x/%08" PRIx64 "/%08x/%08x] \n", (const void *)tb,
                (uint32_t)cpu->seg[SEG_CS].base, pc, tb ? tb->mode : decode_mode(cpu), 0u);
    if (m & VM_LOG_CPU)
        trace_dump_cpu(cpu, t->out);
}

bool trace_insn(struct cpu *cpu, const struct insn *in)
{
    struct trace *t = cpu->trace;
    if (!t || !t->gdb)
        return false;
    return gdbstub_check_insn(t->gdb, cpu, in);
}

void trace_interrupt(struct cpu *cpu, int vector, int kind, bool has_error, uint32_t error)
{
    struct trace *t = cpu->trace;
    if (!t)
        return;
    vector &= 0xff;
    if (t->stats_on && kind >= 0 && kind < STATS_KINDS)
        t->stats.events[kind][vector]++;
    /* Like QEMU, show the instruction the event interrupts: the INT n or
     * the faulting instruction itself (cpu->rip already points past an INT n). */
    uint64_t eip = cpu->priv.insn_rip;
    if (!(t->log_mask & VM_LOG_INT) || !trace_wanted(t, linear_pc(cpu, eip), cpu->icount))
        return;
    if (kind == 1 /* INT_EXTERNAL */)
        fprintf(t->out, "Servicing hardware INT=0x%02x\n", vector);
    /* 16 hex digits in IA-32e mode, as qemu-system-x86_64 prints them */
    int w = cpu_long_mode(cpu) ? 16 : 8;
    uint64_t m = w == 16 ? ~0ull : 0xffffffffull;
    fprintf(t->out, "%6" PRIu64 ": v=%02x e=%04x i=%d cpl=%d IP=%04x:%0*" PRIx64 " pc=%0*" PRIx64 " "
            "SP=%04x:%0*" PRIx64, t->n_int_logged++, vector, has_error ? error & 0xffff : 0,
            kind == 2 /* INT_SOFTWARE */ ? 1 : 0, cpu->cpl, cpu->seg[SEG_CS].sel, w, eip & m,
            w, linear_pc(cpu, eip) & m, cpu->seg[SEG_SS].sel, w, cpu->regs[R_ESP] & m);
    if (vector == EXC_PF && kind == 0)
        fprintf(t->out, " CR2=%0*" PRIx64 "\n", w, cpu->cr2 & m);
    else
        fprintf(t->out, " env->regs[R_EAX]=%0*" PRIx64 "\n", w, cpu->regs[R_EAX] & m);
    if (t->log_mask & VM_LOG_CPU)
        trace_dump_cpu(cpu, t->out);
}

void trace_mem_access(struct cpu *cpu, uint64_t lin, unsigned size, bool write)
{
    struct trace *t = cpu->trace;
    if (!t)
        return;
    if (t->stats_on)
        t->stats.slow_accesses++;
    if (t->gdb)
        gdbstub_check_access(t->gdb, cpu, lin, size, write);
}

void trace_tlb_fill(struct cpu *cpu, uint64_t lin, int kind, uint64_t paddr)
{
    struct trace *t = cpu->trace;
    if (!t)
        return;
    if (t->stats_on)
        t->stats.tlb_fills++;
    /* a fetch fill happens before the instruction starts; a data fill
     * inside it, when cpu->rip already points past it */
    uint64_t eip = kind == TLB_EXEC ? cpu->rip : cpu->priv.insn_rip;
    if ((t->log_mask & VM_LOG_MMU) && trace_wanted(t, linear_pc(cpu, eip), cpu->icount)) {
        static const char kinds[] = "rwx";
        fprintf(t->out, "mmu: fill %c lin=%08" PRIx64 " -> phys=%09" PRIx64 " cpl=%d cr3=%08" PRIx64 " "
                "at %04x:%08" PRIx64 "\n", kind >= 0 && kind < 3 ? kinds[kind] : '?', lin, paddr,
                cpu->cpl, cpu->cr3, cpu->seg[SEG_CS].sel, eip);
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static char size_suffix(unsigned size)
{
    return size == 1 ? 'b' : size == 2 ? 'w' : size == 4 ? 'l' : '?';
}

/* -d unimp: a port no device claimed (reads all-ones, writes dropped) is
 * usually a device softvm does not model yet. */
static void log_unassigned_port(struct trace *t, struct cpu *cpu, const char *dir,
                                uint16_t port, unsigned size)
{
    const struct io_handler *h = &cpu->io->port[port];
    if ((t->log_mask & VM_LOG_UNIMP) && !h->read && !h->write)
        fprintf(t->out, "unimp: %s%c unassigned port 0x%04x at %04x:%08x\n", dir,
                size_suffix(size), port, cpu->seg[SEG_CS].sel, (uint32_t)cpu->priv.insn_rip);
}

uint32_t trace_io_read(struct cpu *cpu, uint16_t port, unsigned size)
{
    struct trace *t = cpu->trace;
    if (!t)
        return io_read(cpu->io, port, size);
    uint64_t t0 = t->stats_on ? now_ns() : 0;
    uint32_t v = io_read(cpu->io, port, size);
    log_unassigned_port(t, cpu, "in", port, size);
    if (t->stats_on) {
        t->stats.io_ns += now_ns() - t0;
        t->stats.io_count++;
    }
    if ((t->log_mask & VM_LOG_IOPORT) &&
        trace_wanted(t, linear_pc(cpu, cpu->priv.insn_rip), cpu->icount))
        fprintf(t->out, "ioport: in%c  0x%04x -> 0x%0*x\n", size_suffix(size), port,
                (int)size * 2, v);
    return v;
}

void trace_io_write(struct cpu *cpu, uint16_t port, uint32_t value, unsigned size)
{
    struct trace *t = cpu->trace;
    if (!t) {
        io_write(cpu->io, port, value, size);
        return;
    }
    if ((t->log_mask & VM_LOG_IOPORT) &&
        trace_wanted(t, linear_pc(cpu, cpu->priv.insn_rip), cpu->icount))
        fprintf(t->out, "ioport: out%c 0x%04x <- 0x%0*x\n", size_suffix(size), port,
                (int)size * 2, value);
    log_unassigned_port(t, cpu, "out", port, size);
    uint64_t t0 = t->stats_on ? now_ns() : 0;
    io_write(cpu->io, port, value, size);
    if (t->stats_on) {
        t->stats.io_ns += now_ns() - t0;
        t->stats.io_count++;
    }
}

void trace_log(struct cpu *cpu, uint32_t item, const char *fmt, ...)
{
    struct trace *t = cpu ? cpu->trace : NULL;
    if (!t || !(t->log_mask & item))
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(t->out, fmt, ap);
    va_end(ap);
}

/* ---- the machine loop's side ------------------------------------------------------ */

int trace_machine_setup(struct machine *m)
{
    const struct vm_options *o = &m->opt;
    m->trace = NULL;
    if (!o->log_mask && !o->log_file && !o->stats && !o->one_insn_per_tb && !o->gdb &&
        !o->start_stopped)
        return 0;
    struct trace *t = calloc(1, sizeof(*t));
    if (!t) {
        fprintf(stderr, "softvm: out of memory\n");
        return -1;
    }
    if (trace_init(t, o, stderr)) {
        free(t);
        return -1;
    }
    if (t->stats_on)
        stats_start(&t->stats);
    m->trace = t;
    trace_attach(t, &m->cpu);
    /* -S alone waits for a debugger; with a monitor it waits for cont
     * (frontend/host.c) unless -gdb/-s asks for the debugger too. */
    bool monitor = o->qmp_count > 0 || o->monitor_stdio;
    if (o->gdb || (o->start_stopped && !monitor)) {
        struct gdbstub *g = calloc(1, sizeof(*g));
        const char *host = o->gdb_host[0] ? o->gdb_host : NULL;   /* NULL: 127.0.0.1 */
        if (!g || gdbstub_open(g, m, host, o->gdb ? o->gdb_port : VM_DEFAULT_GDB_PORT,
                               o->start_stopped && !monitor) != 0) {
            free(g);
            return -1;       /* machine_destroy frees the trace */
        }
        gdbstub_use_loop(g, host_loop(m));
        t->gdb = g;
        trace_update_hooks(t);
    }
    return 0;
}

void trace_machine_teardown(struct machine *m)
{
    struct trace *t = m->trace;
    if (!t)
        return;
    if (t->gdb) {
        gdbstub_close(t->gdb, m->exit_status);
        free(t->gdb);
        t->gdb = NULL;
    }
    stats_stop(&t->stats);
    trace_close(t);
    free(t);
    m->trace = NULL;
}

uint64_t trace_machine_before_slice(struct machine *m, uint64_t budget)
{
    struct trace *t = m->trace;
    if (t->gdb)
        budget = gdbstub_before_slice(t->gdb, budget);
    return budget;
}

void trace_machine_after_slice(struct machine *m)
{
    struct trace *t = m->trace;
    if (t->gdb)
        gdbstub_after_slice(t->gdb);
    if (t->stats_on)
        stats_poll_signal(m);
    if (t->out && t->log_mask)
        fflush(t->out);
}
