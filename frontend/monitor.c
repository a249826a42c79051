/*
 * monitor.c - the human monitor: command parsing, QEMU's output formats
 * (monitor/hmp-cmds.c, monitor/misc.c memory_dump, target/i386/monitor.c
 * for info tlb), and the terminal line editor. See monitor.h.
 */
#define _GNU_SOURCE               /* open_memstream */
#include "frontend/monitor.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/machine/machine.h"
#include "frontend/host.h"
#include "frontend/snapshot.h"
#include "frontend/trace.h"
#include "memory/memory.h"
#include "memory/mmu.h"

/* Append text, turning each "\n" into "\r\n" as QEMU's monitor_puts does. */
static void put_text(struct strbuf *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            strbuf_add(out, "\r\n", 2);
        else
            strbuf_add(out, &s[i], 1);
    }
}

static void mprintf(struct strbuf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void mprintf(struct strbuf *out, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > 0)
        put_text(out, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* Run fn(arg, FILE *) and add what it wrote. */
static void capture(struct strbuf *out, void (*fn)(void *arg, FILE *f), void *arg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        mprintf(out, "out of memory\n");
        return;
    }
    fn(arg, f);
    fclose(f);
    put_text(out, text, len);
    free(text);
}

/* ---- guest memory, read without side effects ------------------------------------------ */

/* One byte of guest physical memory: RAM or ROM, else 0xff (MMIO is not
 * read: a read could change device state). */
static bool read_phys(struct machine *m, uint64_t pa, uint8_t *b)
{
    const uint8_t *p = phys_read_ptr(m->mem, pa, 1);
    *b = p ? *p : 0xff;
    return p != NULL;
}

/* Bytes at a linear address through the guest's page tables; false at the
 * first unmapped page. */
static bool read_linear(struct machine *m, uint64_t lin, uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int64_t pa = mmu_translate_debug(&m->cpu, (lin + i) & 0xffffffffu);
        if (pa < 0)
            return false;
        read_phys(m, (uint64_t)pa, &buf[i]);
    }
    return true;
}

/* ---- expressions --------------------------------------------------------------------- */

static const struct { const char *name; int reg; } reg_names[] = {
    { "eax", R_EAX }, { "ecx", R_ECX }, { "edx", R_EDX }, { "ebx", R_EBX },
    { "esp", R_ESP }, { "ebp", R_EBP }, { "esi", R_ESI }, { "edi", R_EDI },
};

static bool parse_term(struct machine *m, const char **pp, uint64_t *v, struct strbuf *out)
{
    const char *p = *pp;
    while (*p == ' ')
        p++;
    if (*p == '$') {
        p++;
        char name[16];
        size_t n = 0;
        while (isalnum((unsigned char)p[n]) && n < sizeof(name) - 1) {
            name[n] = (char)tolower((unsigned char)p[n]);
            n++;
        }
        name[n] = '\0';
        p += n;
        struct cpu *cpu = &m->cpu;
        if (!strcmp(name, "pc"))           /* QEMU's $pc on i386: CS base + EIP */
            *v = (cpu->seg[SEG_CS].base + cpu->rip) & 0xffffffffu;
        else if (!strcmp(name, "eip"))
            *v = cpu->rip & 0xffffffffu;
        else if (!strcmp(name, "eflags"))
            *v = cpu_get_eflags(cpu);
        else if (!strcmp(name, "cr0")) *v = cpu->cr0;
        else if (!strcmp(name, "cr2")) *v = cpu->cr2;
        else if (!strcmp(name, "cr3")) *v = cpu->cr3;
        else if (!strcmp(name, "cr4")) *v = cpu->cr4;
        else {
            size_t i;
            for (i = 0; i < sizeof(reg_names) / sizeof(reg_names[0]); i++)
                if (!strcmp(name, reg_names[i].name))
                    break;
            if (i == sizeof(reg_names) / sizeof(reg_names[0])) {
                mprintf(out, "unknown register\n");
                return false;
            }
            *v = cpu_reg32(cpu, reg_names[i].reg);
        }
    } else if (isdigit((unsigned char)*p)) {
        char *end;
        *v = strtoull(p, &end, 0);
        p = end;
    } else {
        mprintf(out, *p ? "invalid char '%c' in expression\n" : "unexpected end of expression\n",
                *p);
        return false;
    }
    *pp = p;
    return true;
}

static bool parse_expr(struct machine *m, const char **pp, uint64_t *v, struct strbuf *out)
{
    if (!parse_term(m, pp, v, out))
        return false;
    for (;;) {
        const char *p = *pp;
        while (*p == ' ')
            p++;
        if (*p != '+' && *p != '-') {
            *pp = p;
            return true;
        }
        char op = *p++;
        uint64_t t;
        *pp = p;
        if (!parse_term(m, pp, &t, out))
            return false;
        *v = op == '+' ? *v + t : *v - t;
    }
}

/* ---- x / xp -------------------------------------------------------------------------- */

struct disas_job {
    struct machine *m;
    uint64_t addr;
    unsigned count;
};

static void disas_fn(void *arg, FILE *f)
{
    struct disas_job *j = arg;
    struct trace t;
    trace_init_simple(&t, 0, f);
    bool code32 = (j->m->cpu.cr0 & 1) && (j->m->cpu.seg[SEG_CS].flags & SEGF_DB);
    uint64_t a = j->addr;
    for (unsigned i = 0; i < j->count; i++) {
        uint8_t buf[16];
        size_t n = 0;
        while (n < sizeof(buf) && read_linear(j->m, a + n, &buf[n], 1))
            n++;
        if (n == 0) {
            fprintf(f, "Cannot access memory\n");
            break;
        }
        size_t used = trace_disas(&t, f, (uint32_t)a, buf, n, code32, 1);
        if (used == 0)
            break;
        a += used;
    }
    trace_close(&t);
}

static void memory_dump(struct machine *m, const char *fmtspec, const char *rest, bool physical,
                        struct strbuf *out)
{
    unsigned long count = 1;
    char format = 'x';
    int wsize = 4;
    const char *p = fmtspec;
    if (*p == '/') {
        p++;
        if (isdigit((unsigned char)*p)) {
            char *end;
            count = strtoul(p, &end, 10);
            p = end;
        }
        for (; *p && *p != ' '; p++) {
            switch (*p) {
            case 'x': case 'd': case 'u': case 'o': case 'c': case 'i': format = *p; break;
            case 'b': wsize = 1; break;
            case 'h': wsize = 2; break;
            case 'w': wsize = 4; break;
            case 'g': wsize = 8; break;
            default:
                mprintf(out, "invalid char in format: '%c'\n", *p);
                return;
            }
        }
    }
    if (count > 4096)
        count = 4096;
    uint64_t addr;
    const char *e = rest;
    if (!parse_expr(m, &e, &addr, out)) {
        mprintf(out, "Try \"help %s\" for more information\n", physical ? "xp" : "x");
        return;
    }
    if (format == 'i') {
        if (physical) {
            mprintf(out, "xp/i is not supported: use x/i at a linear address\n");
            return;
        }
        struct disas_job j = { m, addr, (unsigned)count };
        capture(out, disas_fn, &j);
        return;
    }
    if (format == 'c')
        wsize = 1;
    int max_digits = format == 'o' ? (wsize * 8 + 2) / 3 : format == 'x' ? wsize * 2 :
                     (wsize * 8 * 10 + 32) / 33;
    uint64_t len = (uint64_t)wsize * count;
    int line_size = wsize == 1 ? 8 : 16;
    while (len > 0) {
        if (physical)
            mprintf(out, "%016" PRIx64 ":", addr);
        else
            mprintf(out, "%08" PRIx64 ":", addr & 0xffffffffu);
        int l = len > (uint64_t)line_size ? line_size : (int)len;
        uint8_t buf[16];
        bool ok = true;
        if (physical) {
            for (int i = 0; i < l; i++)
                read_phys(m, addr + (uint64_t)i, &buf[i]);
        } else {
            ok = read_linear(m, addr, buf, (size_t)l);
        }
        if (!ok) {
            mprintf(out, " Cannot access memory\n");
            return;
        }
        for (int i = 0; i < l; i += wsize) {
            uint64_t v = 0;
            for (int k = wsize - 1; k >= 0; k--)
                v = v << 8 | buf[i + k];
            mprintf(out, " ");
            switch (format) {
            case 'o': mprintf(out, "%#*" PRIo64, max_digits, v); break;
            case 'x': mprintf(out, "0x%0*" PRIx64, max_digits, v); break;
            case 'u': mprintf(out, "%*" PRIu64, max_digits, v); break;
            case 'd': {
                int64_t sv = wsize == 1 ? (int8_t)v : wsize == 2 ? (int16_t)v :
                             wsize == 4 ? (int32_t)v : (int64_t)v;
                mprintf(out, "%*" PRId64, max_digits, sv);
                break;
            }
            case 'c':                     /* QEMU's monitor_printc */
                if (v == '\'' || v == '\\')
                    mprintf(out, "'\\%c'", (int)v);
                else if (v == '\n')
                    mprintf(out, "'\\n'");
                else if (v == '\r')
                    mprintf(out, "'\\r'");
                else if (v >= 32 && v <= 126)
                    mprintf(out, "'%c'", (int)v);
                else
                    mprintf(out, "'\\x%02x'", (unsigned)v);
                break;
            }
        }
        mprintf(out, "\n");
        addr += (uint64_t)l;
        len -= (uint64_t)l;
    }
}

/* ---- info tlb (target/i386/monitor.c tlb_info_32 / tlb_info_pae32) ------------------- */

#define PTE_P 0x001u
#define PTE_W 0x002u
#define PTE_U 0x004u
#define PTE_PWT 0x008u
#define PTE_PCD 0x010u
#define PTE_A 0x020u
#define PTE_D 0x040u
#define PTE_PS 0x080u
#define PTE_G 0x100u
#define PTE_NX (1ull << 63)

static uint64_t phys_word(struct machine *m, uint64_t pa, int size)
{
    uint64_t v = 0;
    for (int k = size - 1; k >= 0; k--) {
        uint8_t b;
        read_phys(m, pa + (uint64_t)k, &b);
        v = v << 8 | b;
    }
    return v;
}

static void print_pte(struct strbuf *out, uint64_t addr, uint64_t pte, uint64_t mask)
{
    mprintf(out, "%016" PRIx64 ": %016" PRIx64 " %c%c%c%c%c%c%c%c%c\n", addr, pte & mask,
            pte & PTE_NX ? 'X' : '-', pte & PTE_G ? 'G' : '-', pte & PTE_PS ? 'P' : '-',
            pte & PTE_D ? 'D' : '-', pte & PTE_A ? 'A' : '-', pte & PTE_PCD ? 'C' : '-',
            pte & PTE_PWT ? 'T' : '-', pte & PTE_U ? 'U' : '-', pte & PTE_W ? 'W' : '-');
}

static void info_tlb(struct machine *m, struct strbuf *out)
{
    struct cpu *cpu = &m->cpu;
    if (!(cpu->cr0 & 0x80000000u)) {
        mprintf(out, "PG disabled\n");
        return;
    }
    bool pse = cpu->cr4 & 0x10;
    if (!(cpu->cr4 & 0x20)) {             /* 32-bit paging: 1024 PDEs */
        uint64_t pd = cpu->cr3 & 0xfffff000u;
        for (uint64_t i = 0; i < 1024; i++) {
            uint64_t pde = phys_word(m, pd + i * 4, 4);
            if (!(pde & PTE_P))
                continue;
            if ((pde & PTE_PS) && pse) {
                print_pte(out, i << 22, pde, ~((1ull << 21) - 1) & 0xffffffffu);
                continue;
            }
            for (uint64_t j = 0; j < 1024; j++) {
                uint64_t pte = phys_word(m, (pde & 0xfffff000u) + j * 4, 4);
                if (pte & PTE_P)
                    print_pte(out, (i << 22) | (j << 12), pte & ~(uint64_t)PTE_PS,
                              ~0xfffull & 0xffffffffu);
            }
        }
        return;
    }
    uint64_t pdpt = cpu->cr3 & 0xffffffe0u;  /* PAE: 4 PDPTEs of 512 PDEs of 512 PTEs */
    const uint64_t addr_mask = 0x000ffffffffff000ull;
    for (uint64_t l1 = 0; l1 < 4; l1++) {
        uint64_t pdpe = phys_word(m, pdpt + l1 * 8, 8);
        if (!(pdpe & PTE_P))
            continue;
        for (uint64_t l2 = 0; l2 < 512; l2++) {
            uint64_t pde = phys_word(m, (pdpe & addr_mask) + l2 * 8, 8);
            if (!(pde & PTE_P))
                continue;
            if (pde & PTE_PS) {
                print_pte(out, (l1 << 30) | (l2 << 21), pde, ~((1ull << 21) - 1) & addr_mask);
                continue;
            }
            for (uint64_t l3 = 0; l3 < 512; l3++) {
                uint64_t pte = phys_word(m, (pde & addr_mask) + l3 * 8, 8);
                if (pte & PTE_P)
                    print_pte(out, (l1 << 30) | (l2 << 21) | (l3 << 12), pte & ~(uint64_t)PTE_PS,
                              addr_mask);
            }
        }
    }
}

/* ---- the commands ---------------------------------------------------------------------- */

static void dump_regs_fn(void *arg, FILE *f)
{
    struct machine *m = arg;
    fprintf(f, "\nCPU#0\n");
    trace_dump_cpu(&m->cpu, f);
}

static const struct { const char *usage, *help; } help_lines[] = {
    { "cont|c", "resume emulation" },
    { "help|? [cmd]", "show the help" },
    { "info [subcommand]", "show various information about the system state" },
    { "loadvm file", "restore the machine from a snapshot file (savevm's)" },
    { "q|quit", "quit the emulator" },
    { "savevm file", "save the whole machine to a snapshot file" },
    { "stop", "stop emulation" },
    { "system_powerdown", "send system power down event" },
    { "system_reset", "reset the system" },
    { "x /fmt addr", "virtual memory dump starting at 'addr'" },
    { "xp /fmt addr", "physical memory dump starting at 'addr'" },
};

static const struct { const char *name, *help; } info_lines[] = {
    { "name", "show the current VM name" },
    { "registers", "show the cpu registers" },
    { "status", "show the current VM status (running|paused)" },
    { "tlb", "show virtual to physical memory mappings" },
    { "version", "show the version of QEMU" },
};

static void print_help(struct strbuf *out, const char *which)
{
    if (which && !strcmp(which, "info")) {
        for (size_t i = 0; i < sizeof(info_lines) / sizeof(info_lines[0]); i++)
            mprintf(out, "info %s  -- %s\n", info_lines[i].name, info_lines[i].help);
        return;
    }
    bool any = false;
    for (size_t i = 0; i < sizeof(help_lines) / sizeof(help_lines[0]); i++) {
        const char *u = help_lines[i].usage;
        bool match = !which || !*which;
        char names[32];                   /* "q|quit": either name matches */
        snprintf(names, sizeof(names), "%.*s", (int)strcspn(u, " "), u);
        for (char *save = NULL, *t = strtok_r(names, "|", &save); t && !match;
             t = strtok_r(NULL, "|", &save))
            match = !strcmp(t, which);
        if (match) {
            mprintf(out, "%s -- %s\n", u, help_lines[i].help);
            any = true;
        }
    }
    if (!any)
        mprintf(out, "unknown command: '%s'\n", which);
}

void monitor_exec(struct machine *m, const char *line, struct strbuf *out)
{
    strbuf_add(out, "", 0);
    if (!line)
        return;
    while (*line == ' ' || *line == '\t')
        line++;
    char cmd[64];
    size_t n = strcspn(line, " \t/");
    if (n == 0)
        return;
    if (n >= sizeof(cmd)) {
        mprintf(out, "unknown command: '%.*s'\n", (int)n, line);
        return;
    }
    memcpy(cmd, line, n);
    cmd[n] = '\0';
    const char *args = line + n;
    const char *fmt = args;              /* x/FMT: the format sticks to the name */
    if (*args == '/')
        args += strcspn(args, " \t");
    while (*args == ' ' || *args == '\t')
        args++;
    char arg0[64];
    size_t an = strcspn(args, " \t");
    snprintf(arg0, sizeof(arg0), "%.*s", (int)(an < sizeof(arg0) ? an : sizeof(arg0) - 1), args);

    if (!strcmp(cmd, "help") || !strcmp(cmd, "?")) {
        print_help(out, arg0);
    } else if (!strcmp(cmd, "info")) {
        if (!*arg0) {
            print_help(out, "info");
        } else if (!strcmp(arg0, "status")) {
            enum host_vm_state st = host_vm_state(m);
            mprintf(out, "VM status: %s\n", st == HOST_VM_RUNNING ? "running" :
                    st == HOST_VM_SUSPENDED ? "paused (suspended)" :
                    st == HOST_VM_PRELAUNCH ? "paused (prelaunch)" :
                    st == HOST_VM_SHUTDOWN ? "paused (shutdown)" : "paused");
        } else if (!strcmp(arg0, "registers")) {
            capture(out, dump_regs_fn, m);
        } else if (!strcmp(arg0, "tlb")) {
            info_tlb(m, out);
        } else if (!strcmp(arg0, "version")) {
            mprintf(out, "%s (softvm %s)\n", SOFTVM_VERSION, SOFTVM_VERSION);
        } else if (!strcmp(arg0, "name")) {
            if (m->opt.name[0])
                mprintf(out, "%s\n", m->opt.name);
        } else {
            print_help(out, "info");
        }
    } else if (!strcmp(cmd, "x") || !strcmp(cmd, "xp")) {
        memory_dump(m, fmt, args, cmd[1] == 'p', out);
    } else if (!strcmp(cmd, "stop")) {
        host_vm_stop(m);
    } else if (!strcmp(cmd, "cont") || !strcmp(cmd, "c")) {
        host_vm_cont(m);
    } else if (!strcmp(cmd, "system_reset")) {
        host_vm_request(m, HOST_REQ_RESET);
    } else if (!strcmp(cmd, "system_powerdown")) {
        host_vm_request(m, HOST_REQ_POWERDOWN);
    } else if (!strcmp(cmd, "quit") || !strcmp(cmd, "q")) {
        host_vm_request(m, HOST_REQ_QUIT);
    } else if (!strcmp(cmd, "savevm") || !strcmp(cmd, "loadvm")) {
        /* softvm's snapshots are files (frontend/snapshot.h): the tag is the path.
         * We run between slices, where the state is whole. */
        char err[512];
        if (!*args)
            mprintf(out, "Error: %s needs a file name (softvm's snapshots are files)\n", cmd);
        else if (cmd[0] == 's' ? snapshot_save(m, args, err, sizeof(err))
                               : host_vm_loadvm(m, args, err, sizeof(err)))
            mprintf(out, "Error: %s\n", err);
    } else if (!strcmp(cmd, "migrate")) {
        mprintf(out, "Error: softvm does not support migrate yet\n");
    } else {
        mprintf(out, "unknown command: '%s'\n", cmd);
    }
}

/* ---- the terminal --------------------------------------------------------------------- */

static void term_write(struct monitor_term *t, const char *s, size_t n)
{
    while (n > 0 && t->out_fd >= 0) {
        ssize_t w = write(t->out_fd, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

void monitor_term_init(struct monitor_term *t, int out_fd)
{
    memset(t, 0, sizeof(*t));
    t->out_fd = out_fd;
}

void monitor_term_start(struct monitor_term *t)
{
    if (!t->started) {
        t->started = true;
        char banner[128];
        int n = snprintf(banner, sizeof(banner),
                         "softvm %s monitor - type 'help' for more information\r\n",
                         SOFTVM_VERSION);
        term_write(t, banner, (size_t)n);
    }
    term_write(t, "(qemu) ", 7);
}

void monitor_term_byte(struct monitor_term *t, struct machine *m, uint8_t b)
{
    bool after_cr = t->last_cr;
    t->last_cr = b == '\r';
    if (b == '\r' || b == '\n') {
        if (b == '\n' && after_cr)
            return;                         /* the \n of a \r\n */
        term_write(t, "\r\n", 2);
        struct strbuf out = { 0 };
        monitor_exec(m, t->line.p ? t->line.p : "", &out);
        if (out.len)
            term_write(t, out.p, out.len);
        strbuf_free(&out);
        strbuf_free(&t->line);
        monitor_term_start(t);
        return;
    }
    if (b == 0x7f || b == 0x08) {           /* backspace */
        if (t->line.len) {
            t->line.len--;
            t->line.p[t->line.len] = '\0';
            term_write(t, "\b \b", 3);
        }
        return;
    }
    if (b < 0x20 || t->line.len >= 1024)
        return;
    char c = (char)b;
    strbuf_add(&t->line, &c, 1);
    term_write(t, &c, 1);                   /* raw mode: the monitor echoes */
}

void monitor_term_free(struct monitor_term *t)
{
    strbuf_free(&t->line);
}
