/*
 * test_trace_log.c - the -d log: in_asm disassembly of tests/asm/gdb_target
 * checked against its own nasm listing (addresses, bytes, mnemonics), in
 * translated blocks (RAM) and untranslated instructions (ROM); exec lines and
 * --stats counting exactly the instructions the listing says run; -dfilter
 * and -dicount windows; -d int lines for software interrupts and faults;
 * the register dump; the option parsers for the filters.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/cmdline.h"
#include "cpu/system.h"
#include "frontend/host.h"
#include "frontend/trace.h"
#include "support_cpu.h"
#include "trace_listing.h"
#include "translator/tb.h"

#define ROM_BASE 0xF0000u

/* ---- reading our log back ---- */

struct logged_insn {
    uint32_t addr;
    uint8_t bytes[16];
    int n;
    char mnem[16];
    int block;                   /* which IN: block it was in */
};

struct parsed_log {
    struct logged_insn insn[4096];
    int n, blocks, traces;
    uint32_t trace_pc[4096];
};

static void parse_log(const char *text, struct parsed_log *p)
{
    memset(p, 0, sizeof(*p));
    const char *line = text;
    while (*line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[256];
        snprintf(buf, sizeof(buf), "%.*s", (int)(len < 255 ? len : 255), line);
        unsigned addr;
        if (!strncmp(buf, "IN:", 3)) {
            p->blocks++;
        } else if (!strncmp(buf, "Trace 0:", 8)) {
            unsigned base, pc;
            const char *br = strchr(buf, '[');
            cr_assert(br && sscanf(br, "[%x/%x/", &base, &pc) == 2, "bad Trace line '%s'", buf);
            if (p->traces < 4096)
                p->trace_pc[p->traces] = pc;
            p->traces++;
        } else if (sscanf(buf, "0x%8x:", &addr) == 1 && strlen(buf) > 13) {
            bool cont = strlen(buf) < 38;       /* bytes of a long instruction, continued */
            struct logged_insn *in = cont ? &p->insn[p->n - 1] : &p->insn[p->n++];
            cr_assert(p->n > 0 && p->n < 4096);
            if (!cont) {
                in->addr = addr;
                in->block = p->blocks;
                sscanf(buf + 38, "%15s", in->mnem);
            }
            for (const char *h = buf + 13; h < buf + (cont ? strlen(buf) : 37); h += 3) {
                if (h[0] == ' ' || h[0] == '\0')
                    break;
                cr_assert(in->n < 16);
                in->bytes[in->n++] = (uint8_t)strtoul((char[3]){ h[0], h[1], 0 }, NULL, 16);
            }
        }
        line += len + (nl ? 1 : 0);
    }
}

/* Does Capstone's AT&T mnemonic name nasm's Intel one? (movw/mov, ljmpl/jmp, jne/jnz) */
static bool same_mnemonic(const char *att, const char *intel)
{
    if (!strcmp(intel, "jnz"))
        intel = "jne";
    if (!strcmp(intel, "jz"))
        intel = "je";
    size_t n = strlen(intel);
    return !strncmp(att, intel, n) || (att[0] == 'l' && !strncmp(att + 1, intel, n));
}

/* Every logged instruction in [lo, hi) matches the listing, and every listing
 * instruction there was logged. */
static void check_against_listing(const struct parsed_log *p, const struct listing *l,
                                   uint32_t base, uint32_t lo, uint32_t hi)
{
    int seen[LST_MAX_INSNS] = {0};
    int checked = 0;
    for (int i = 0; i < p->n; i++) {
        const struct logged_insn *g = &p->insn[i];
        if (g->addr < base + lo || g->addr >= base + hi)
            continue;
        int k;
        for (k = 0; k < l->n; k++)
            if (base + l->insn[k].off == g->addr)
                break;
        cr_assert(k < l->n, "logged 0x%08x is not an instruction of the listing", g->addr);
        const struct lst_insn *want = &l->insn[k];
        cr_assert_eq(g->n, want->n, "0x%08x: %d bytes logged, listing line %d has %d",
                     g->addr, g->n, want->line, want->n);
        cr_assert(!memcmp(g->bytes, want->bytes, (size_t)want->n),
                  "0x%08x: bytes differ from listing line %d", g->addr, want->line);
        cr_assert(same_mnemonic(g->mnem, want->mnem), "0x%08x: '%s' for nasm's '%s' (line %d)",
                  g->addr, g->mnem, want->mnem, want->line);
        seen[k]++;
        checked++;
    }
    for (int k = 0; k < l->n; k++)
        if (l->insn[k].off >= lo && l->insn[k].off < hi)
            cr_assert(seen[k], "listing line %d (0x%x) never disassembled", l->insn[k].line,
                      l->insn[k].off);
    cr_assert_gt(checked, 10);
}

/* Instructions gdb_target retires in all: the listing's count. */
static uint64_t expected_icount(const struct listing *l)
{
    long loops = listing_define("LOOPS");
    cr_assert_gt(loops, 1);
    uint32_t b = listing_label(l, "count_begin"), e = listing_label(l, "count_end");
    uint32_t lt = listing_label(l, "loop_top"), le = listing_label(l, "loop_end");
    /* the reset vector's far jump + the straight line + the extra loop passes */
    return 1u + (uint64_t)listing_count(l, b, e) + (uint64_t)(loops - 1) * (uint64_t)listing_count(l, lt, le);
}

/* ---- RAM: translated blocks ---- */

static char *run_in_ram(const struct listing *l, uint32_t log_mask, bool one_insn,
                        uint64_t *icount)
{
    struct support_cpu *s = support_cpu_create(2u << 20);
    cr_assert(s);
    support_cpu_plain_low_mb(s);
    FILE *img = fopen(l->bin_path, "rb");
    cr_assert(img);
    static uint8_t rom[0x10000];
    cr_assert_eq(fread(rom, 1, sizeof(rom), img), sizeof(rom));
    fclose(img);
    support_cpu_load(s, ROM_BASE, rom, sizeof(rom));
    seg_load_real(s->cpu, SEG_CS, 0xF000);
    s->cpu->rip = listing_label(l, "start16");

    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    struct trace t;
    trace_init_simple(&t, log_mask, out);
    t.one_insn_per_tb = one_insn;
    trace_attach(&t, s->cpu);
    enum cpu_exit why = support_cpu_run(s, 100000);
    cr_assert_eq(why, CPU_EXIT_HALT);
    *icount = s->cpu->icount;
    trace_close(&t);
    cr_assert_null(s->cpu->trace);
    cr_assert_eq(s->cpu->trace_flags, 0u);
    fclose(out);
    support_cpu_destroy(s);
    return text;
}

Test(trace, in_asm_blocks_match_listing)
{
    struct listing l;
    cr_assert(listing_load(&l, "gdb_target"));
    uint64_t icount;
    char *text = run_in_ram(&l, VM_LOG_IN_ASM, false, &icount);
    struct parsed_log *p = malloc(sizeof(*p));
    parse_log(text, p);
    uint32_t b = listing_label(&l, "count_begin"), e = listing_label(&l, "count_end");
    check_against_listing(p, &l, ROM_BASE, b, e + 1);
    /* the backward jump makes a block that starts at loop_top and holds
     * exactly the loop body (it ends at the JNZ) */
    uint32_t lt = listing_label(&l, "loop_top"), le = listing_label(&l, "loop_end");
    int block = -1, in_block = 0;
    for (int i = 0; i < p->n; i++)
        if (p->insn[i].addr == ROM_BASE + lt && (i == 0 || p->insn[i - 1].block != p->insn[i].block))
            block = p->insn[i].block;
    cr_assert_geq(block, 0, "no block starts at loop_top");
    for (int i = 0; i < p->n; i++)
        if (p->insn[i].block == block) {
            cr_assert(p->insn[i].addr >= ROM_BASE + lt && p->insn[i].addr < ROM_BASE + le);
            in_block++;
        }
    cr_assert_eq(in_block, listing_count(&l, lt, le));
    cr_assert_lt(p->blocks, (int)icount, "blocks should hold several instructions");
    /* the program ran to its HLT: exactly the listing's count minus the reset jump */
    cr_assert_eq(icount, expected_icount(&l) - 1 + 1 /* hlt */);
    free(p);
    free(text);
    listing_cleanup(&l);
}

Test(trace, one_insn_per_tb)
{
    struct listing l;
    cr_assert(listing_load(&l, "gdb_target"));
    uint64_t icount;
    char *text = run_in_ram(&l, VM_LOG_IN_ASM | VM_LOG_EXEC, true, &icount);
    struct parsed_log *p = malloc(sizeof(*p));
    parse_log(text, p);
    cr_assert_eq(p->blocks, p->n, "each IN: block must hold exactly one instruction");
    /* every retired instruction was one block executed (a Trace line) */
    cr_assert_eq((uint64_t)p->traces, icount);
    uint32_t b = listing_label(&l, "count_begin"), e = listing_label(&l, "count_end");
    check_against_listing(p, &l, ROM_BASE, b, e + 1);
    free(p);
    free(text);
    listing_cleanup(&l);
}

/* ---- the whole machine from ROM, through the options ---- */

struct run {
    struct machine *m;
    char *log;
    char *stats;
    int status;
};

static struct run run_machine(const struct listing *l, const char *d, const char *dfilter,
                              const char *dicount, bool one_insn, bool stats)
{
    struct vm_options opt;
    options_default(&opt);
    opt.ram_size = 2u << 20;
    opt.clock = VM_CLOCK_DETERMINISTIC;
    opt.bios = l->bin_path;
    opt.serial[0].kind = VM_CHARDEV_NULL;
    opt.debugcon.kind = VM_CHARDEV_NONE;
    char logpath[300];
    snprintf(logpath, sizeof(logpath), "%s/trace.log", l->dir);
    if (d) {
        char *argv[] = { "softvm", "-d", (char *)d, NULL };
        struct vm_options tmp;
        cr_assert_eq(options_parse_syntax(&tmp, 3, argv, stderr), 0);
        opt.log_mask = tmp.log_mask;
        opt.log_file = logpath;
    }
    opt.log_filter = dfilter;
    opt.log_window = dicount;
    opt.one_insn_per_tb = one_insn;
    opt.stats = stats;
    struct run r = { calloc(1, sizeof(struct machine)), NULL, NULL, 0 };
    cr_assert_eq(host_machine_init(r.m, &opt), 0);
    r.status = machine_run_slices(r.m, 1000) ? r.m->exit_status : -1;
    if (stats) {
        size_t n;
        FILE *f = open_memstream(&r.stats, &n);
        stats_print(r.m, f);
        fclose(f);
    }
    machine_destroy(r.m);        /* flushes and closes the -D file */
    if (d) {
        FILE *f = fopen(logpath, "r");
        cr_assert(f);
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        rewind(f);
        r.log = calloc(1, (size_t)n + 1);
        cr_assert_eq(fread(r.log, 1, (size_t)n, f), (size_t)n);
        fclose(f);
    }
    return r;
}

static void run_done(struct run *r)
{
    free(r->m);
    free(r->log);
    free(r->stats);
}

Test(trace, rom_in_asm_exec_and_stats_count)
{
    struct listing l;
    cr_assert(listing_load(&l, "gdb_target"));
    struct run r = run_machine(&l, "in_asm,exec", NULL, NULL, true, true);
    cr_assert_eq(r.status, (0x21 << 1) | 1, "exit status %d", r.status);
    uint64_t want = expected_icount(&l);
    cr_assert_eq(r.m->cpu.icount, want, "retired %" PRIu64 ", listing says %" PRIu64,
                 r.m->cpu.icount, want);
    struct parsed_log *p = malloc(sizeof(*p));
    parse_log(r.log, p);
    cr_assert_eq((uint64_t)p->traces, want);
    uint32_t b = listing_label(&l, "count_begin"), e = listing_label(&l, "count_end");
    check_against_listing(p, &l, ROM_BASE, b, e);
    /* --stats reports the same count */
    char line[64];
    snprintf(line, sizeof(line), "instructions retired   %" PRIu64 "\n", want);
    cr_assert(strstr(r.stats, line), "stats:\n%s", r.stats);
    int ports = 0;          /* each IN/OUT of the listing runs once */
    for (int i = 0; i < l.n; i++)
        ports += !strcmp(l.insn[i].mnem, "out") || !strcmp(l.insn[i].mnem, "in");
    snprintf(line, sizeof(line), "device emulation       %d port accesses", ports);
    cr_assert(strstr(r.stats, line), "stats:\n%s", r.stats);
    free(p);
    run_done(&r);
    listing_cleanup(&l);
}

Test(trace, dfilter_limits_to_the_loop)
{
    struct listing l;
    cr_assert(listing_load(&l, "gdb_target"));
    uint32_t lt = listing_label(&l, "loop_top"), le = listing_label(&l, "loop_end");
    char range[64];
    snprintf(range, sizeof(range), "0x%x..0x%x", ROM_BASE + lt, ROM_BASE + le - 1);
    struct run r = run_machine(&l, "exec", range, NULL, true, false);
    struct parsed_log *p = malloc(sizeof(*p));
    parse_log(r.log, p);
    cr_assert_eq(p->traces, (int)listing_define("LOOPS") * listing_count(&l, lt, le));
    for (int i = 0; i < p->traces; i++)
        cr_assert(p->trace_pc[i] >= ROM_BASE + lt && p->trace_pc[i] < ROM_BASE + le);
    free(p);
    run_done(&r);
    listing_cleanup(&l);
}

Test(trace, dicount_window)
{
    struct listing l;
    cr_assert(listing_load(&l, "gdb_target"));
    struct run r = run_machine(&l, "exec", NULL, "10..25", true, false);
    struct parsed_log *p = malloc(sizeof(*p));
    parse_log(r.log, p);
    cr_assert_eq(p->traces, 15);
    free(p);
    run_done(&r);
    listing_cleanup(&l);
}

/* ---- -d int ---- */

Test(trace, int_lines)
{
    struct support_cpu *s = support_cpu_create(1u << 20);
    cr_assert(s);
    /* IVT: 0x21 -> 0000:0200 (IRET), 0x00 (#DE) -> 0000:0300 (HLT) */
    const uint8_t ivt21[4] = { 0x00, 0x02, 0x00, 0x00 }, ivt0[4] = { 0x00, 0x03, 0x00, 0x00 };
    support_cpu_load(s, 0x21 * 4, ivt21, 4);
    support_cpu_load(s, 0, ivt0, 4);
    const uint8_t iret = 0xcf, hlt = 0xf4;
    support_cpu_load(s, 0x200, &iret, 1);
    support_cpu_load(s, 0x300, &hlt, 1);
    /* at 0x1000: int 0x21; xor bx,bx; div bx */
    const uint8_t prog[] = { 0xcd, 0x21, 0x31, 0xdb, 0xf7, 0xf3 };
    support_cpu_load(s, 0x1000, prog, sizeof(prog));
    s->cpu->rip = 0x1000;
    s->cpu->regs[R_EAX] = 0x1234;

    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    struct trace t;
    trace_init_simple(&t, VM_LOG_INT, out);
    t.stats_on = true;
    trace_attach(&t, s->cpu);
    cr_assert_eq(support_cpu_run(s, 1000), CPU_EXIT_HALT);
    cr_assert_eq(t.stats.events[STATS_SOFTWARE][0x21], 1);
    cr_assert_eq(t.stats.events[STATS_EXCEPTION][EXC_DE], 1);
    trace_close(&t);
    fclose(out);
    /* the INT n and the faulting DIV, each at its own address */
    cr_assert(strstr(text, "     0: v=21 e=0000 i=1 cpl=0 IP=0000:00001000 pc=00001000 "
                           "SP=0000:0000fffe env->regs[R_EAX]=00001234\n"), "log:\n%s", text);
    cr_assert(strstr(text, "     1: v=00 e=0000 i=0 cpl=0 IP=0000:00001004 pc=00001004 "),
              "log:\n%s", text);
    free(text);
    support_cpu_destroy(s);
}

/* -d unimp names an undefined opcode (0F 38 00: SSSE3, not offered) at its
 * address; UD2, which is defined to raise #UD, is not reported. */
Test(trace, unimp_undefined_opcode)
{
    struct support_cpu *s = support_cpu_create(1u << 20);
    cr_assert(s);
    const uint8_t ivt6[4] = { 0x00, 0x03, 0x00, 0x00 };   /* #UD -> 0000:0300 */
    support_cpu_load(s, 6 * 4, ivt6, 4);
    /* handler: skip the 4-byte opcode once, then halt on the second #UD */
    const uint8_t handler[] = { 0xf4 };
    support_cpu_load(s, 0x300, handler, sizeof(handler));
    const uint8_t prog[] = { 0x0f, 0x0b, 0x0f, 0x38, 0x00, 0xc0 };   /* ud2 ; pshufb */
    support_cpu_load(s, 0x1000, prog, sizeof(prog));
    s->cpu->rip = 0x1000;

    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    struct trace t;
    trace_init_simple(&t, VM_LOG_UNIMP, out);
    trace_attach(&t, s->cpu);
    cr_assert_eq(support_cpu_run(s, 1000), CPU_EXIT_HALT);   /* UD2 -> handler HLT */
    s->cpu->halted = false;
    s->cpu->rip = 0x1002;
    cr_assert_eq(support_cpu_run(s, 1000), CPU_EXIT_HALT);   /* 0F 38 -> handler HLT */
    trace_close(&t);
    fclose(out);
    cr_assert_str_eq(text, "unimp: undefined or unimplemented opcode 0F 38 at 0000:00001002 (#UD)\n");
    free(text);
    support_cpu_destroy(s);
}

/* -d unimp names ports no device claimed; a claimed port is not reported. */
static uint32_t claimed_read(void *opaque, uint16_t port, unsigned size) { return 0x5a; }

Test(trace, unimp_unassigned_port)
{
    struct support_cpu *s = support_cpu_create(1u << 20);
    cr_assert(s);
    cr_assert_eq(io_register(s->cpu->io, 0x98, 1, claimed_read, NULL, NULL), 0);
    /* in al,0x99 ; out 0x99,al ; in al,0x98 ; hlt */
    const uint8_t prog[] = { 0xe4, 0x99, 0xe6, 0x99, 0xe4, 0x98, 0xf4 };
    support_cpu_load(s, 0x1000, prog, sizeof(prog));
    s->cpu->rip = 0x1000;

    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    struct trace t;
    trace_init_simple(&t, VM_LOG_UNIMP, out);
    trace_attach(&t, s->cpu);
    cr_assert_eq(support_cpu_run(s, 100), CPU_EXIT_HALT);
    cr_assert_eq(s->cpu->regs[R_EAX] & 0xff, 0x5a);
    trace_close(&t);
    fclose(out);
    cr_assert_str_eq(text, "unimp: inb unassigned port 0x0099 at 0000:00001000\n"
                           "unimp: outb unassigned port 0x0099 at 0000:00001002\n");
    free(text);
    support_cpu_destroy(s);
}

/* -d guest_errors reports a triple fault: protected mode with an empty IDT,
 * so UD2's #UD, the #GP it causes and the #DF all fail to deliver. */
Test(trace, guest_errors_triple_fault)
{
    struct support_cpu *s = support_cpu_create(1u << 20);
    cr_assert(s);
    support_cpu_flat32(s);
    s->cpu->idtr.base = 0;
    s->cpu->idtr.limit = 0;
    const uint8_t prog[] = { 0x0f, 0x0b };   /* ud2 */
    support_cpu_load(s, 0x1000, prog, sizeof(prog));
    s->cpu->rip = 0x1000;

    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    struct trace t;
    trace_init_simple(&t, VM_LOG_GUEST_ERRORS, out);
    trace_attach(&t, s->cpu);
    cr_assert_eq(support_cpu_run(s, 100), CPU_EXIT_SHUTDOWN);
    trace_close(&t);
    fclose(out);
    cr_assert_str_eq(text, "guest_errors: triple fault at 0008:00001000 "
                           "(vector 13 while delivering #DF): shutdown\n");
    free(text);
    support_cpu_destroy(s);
}

/* ---- the register dump and the parsers ---- */

Test(trace, cpu_dump_format)
{
    struct support_cpu *s = support_cpu_create(1u << 20);
    cr_assert(s);
    s->cpu->regs[R_EAX] = 0xdeadbeef;
    s->cpu->rip = 0x1234;
    cpu_set_eflags(s->cpu, 0x2 | EFLAGS_ZF | EFLAGS_CF | EFLAGS_DF);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    trace_dump_cpu(s->cpu, out);
    fclose(out);
    cr_assert(!strncmp(text, "EAX=deadbeef EBX=00000000 ECX=00000000 EDX=", 43), "%s", text);
    cr_assert(strstr(text, "\nEIP=00001234 EFL=00000443 [D--Z--C] CPL=0 II=0 A20=1 SMM=0 HLT=0\n"),
              "%s", text);
    cr_assert(strstr(text, "\nCS =0000 00000000 "), "%s", text);
    free(text);
    support_cpu_destroy(s);
}

Test(trace, filter_parsers)
{
    struct trace_range r[TRACE_MAX_RANGES];
    int n;
    cr_assert(trace_parse_ranges("0x1000..0x1fff", r, &n));
    cr_assert_eq(n, 1);
    cr_assert_eq(r[0].lo, 0x1000u);
    cr_assert_eq(r[0].hi, 0x1fffu);
    cr_assert(trace_parse_ranges("0x100+0x10,4096-16", r, &n));
    cr_assert_eq(n, 2);
    cr_assert_eq(r[0].lo, 0x100u);
    cr_assert_eq(r[0].hi, 0x10fu);
    cr_assert_eq(r[1].lo, 4096u - 15);
    cr_assert_eq(r[1].hi, 4096u);
    cr_assert_not(trace_parse_ranges("", r, &n));
    cr_assert_not(trace_parse_ranges("0x2000..0x1000", r, &n));
    cr_assert_not(trace_parse_ranges("0x1000", r, &n));
    cr_assert_not(trace_parse_ranges("0xffffffff+2", r, &n));
    cr_assert_not(trace_parse_ranges("1..2,", r, &n));
    cr_assert_not(trace_parse_ranges("1..2,3..4,5..6,7..8,9..10,11..12,13..14,15..16,17..18", r, &n));
    uint64_t a, b;
    cr_assert(trace_parse_window("100..200", &a, &b));
    cr_assert_eq(a, 100);
    cr_assert_eq(b, 200);
    cr_assert(trace_parse_window("..50", &a, &b));
    cr_assert_eq(a, 0);
    cr_assert_eq(b, 50);
    cr_assert(trace_parse_window("7..", &a, &b));
    cr_assert_eq(a, 7);
    cr_assert_eq(b, UINT64_MAX);
    cr_assert_not(trace_parse_window("200..100", &a, &b));
    cr_assert_not(trace_parse_window("x", &a, &b));
    cr_assert_not(trace_parse_window("1..2..3", &a, &b));

    struct trace t;
    trace_init_simple(&t, 0, stderr);
    t.n_ranges = 1;
    t.range[0] = (struct trace_range){ 0x100, 0x1ff };
    t.win_from = 10;
    t.win_to = 20;
    cr_assert(trace_wanted(&t, 0x100, 10));
    cr_assert_not(trace_wanted(&t, 0x100, 20));
    cr_assert_not(trace_wanted(&t, 0x200, 15));
    trace_close(&t);
}

/* 64-bit code disassembles with Capstone's 64-bit mode and 16-digit
 * addresses, as qemu-system-x86_64 -d in_asm prints it; the same bytes as
 * 32-bit code are other instructions (48 is DEC EAX there). */
Test(trace, in_asm_64bit_code)
{
    static const uint8_t code[] = { 0x48, 0x89, 0xe5,                           /* mov %rsp,%rbp */
                                    0x48, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00 };  /* mov 0x10(%rip),%rax */
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    struct trace t;
    trace_init_simple(&t, VM_LOG_IN_ASM, out);
    cr_assert_eq(trace_disas(&t, out, 0xffffffff81000000ull, code, sizeof(code), DECODE_CODE64, 8),
                 sizeof(code));
    trace_disas(&t, out, 0x1000, code, 3, DECODE_CODE32, 8);
    trace_close(&t);
    fclose(out);
    cr_assert(strstr(text, "0xffffffff81000000:  48 89 e5"), "%s", text);
    cr_assert(strstr(text, "%rsp, %rbp"), "%s", text);
    cr_assert(strstr(text, "0xffffffff81000003:  48 8b 05 10 00 00 00"), "%s", text);
    cr_assert(strstr(text, "0x10(%rip), %rax"), "%s", text);
    cr_assert(strstr(text, "0x00001000:  48"), "%s", text);
    cr_assert(strstr(text, "decl"), "%s", text);
    free(text);
}
