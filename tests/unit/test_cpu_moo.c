/*
 * test_cpu_moo.c - the SingleStepTests per-instruction vectors (MOO format,
 * see ../shared/testdata/singlestep-80286/README.md): captured from a real
 * 80286 (and a 386EX sample), each vector is run in 16-bit real mode with
 * 16 MB of RAM and A20 on, and the final registers and changed RAM bytes are
 * compared, undefined flags masked with metadata.json's flags-mask.
 *
 * softvm models an i686, so a few 286 results differ by design; each such
 * class is counted separately and justified where it is detected (search
 * for "DIFF_"). Everything else must pass. The two #UD classes come from an
 * explicit list of encodings (ia32_ud_reason, with the SDM reference of
 * each), not from softvm's decoder: those vectors still run and must raise
 * #UD, and a vector outside the list that softvm rejects fails. The classes:
 *   LOCK #UD         LOCK on a non-lockable form (SDM Vol. 2A "LOCK")
 *   undefined form   group rows / register forms IA-32 makes #UD (Vol. 2D A.4)
 *   64K wrap         operand crossing offset 0xFFFF: #GP/#SS on IA-32, precise
 *   286 #UD          FS/GS forms the 286 lacks (Vol. 1 3.4.2)
 *   286 length       10-byte limit on the 286, 15 on IA-32 (Vol. 2A 2.3.11)
 *   286 #DE          IDIV overflow the 286 misses; AAM 0 flag side effects
 *   capture error    one INTO vector whose pushed CS is the SS value
 * Masked everywhere (not counted): FLAGS bits 12-15 (IOPL/NT are real bits
 * in IA-32 real mode, Vol. 1 3.4.3.3) and metadata.json's undefined flags.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <criterion/criterion.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/optable.h"
#include "memory/memory.h"
#include "tests/unit/support_cpu.h"

/* --- a tiny JSON navigator (enough for metadata.json) ---------------------- */

static const char *js_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == ',' || *p == ':')
        p++;
    return p;
}

static const char *js_skip(const char *p)
{
    p = js_ws(p);
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++)
            if (*p == '\\' && p[1])
                p++;
        return *p ? p + 1 : p;
    }
    if (*p == '{' || *p == '[') {
        int depth = 0;
        do {
            if (*p == '"') {
                p = js_skip(p);
                continue;
            }
            if (*p == '{' || *p == '[')
                depth++;
            else if (*p == '}' || *p == ']')
                depth--;
            p++;
        } while (*p && depth > 0);
        return p;
    }
    while (*p && *p != ',' && *p != '}' && *p != ']')
        p++;
    return p;
}

/* obj points at '{': the value of member key, or NULL. */
static const char *js_get(const char *obj, const char *key)
{
    if (!obj)
        return NULL;
    obj = js_ws(obj);
    if (*obj != '{')
        return NULL;
    const char *p = obj + 1;
    size_t klen = strlen(key);
    for (;;) {
        p = js_ws(p);
        if (*p != '"')
            return NULL;
        const char *k = p + 1;
        p = js_skip(p);
        bool match = (size_t)(p - 1 - k) == klen && memcmp(k, key, klen) == 0;
        p = js_ws(p);
        if (match)
            return p;
        p = js_skip(p);
    }
}

static bool js_streq(const char *v, const char *s)
{
    if (!v || *v != '"')
        return false;
    size_t n = strlen(s);
    return strncmp(v + 1, s, n) == 0 && v[1 + n] == '"';
}

/* --- MOO parsing -------------------------------------------------------------- */

/* Canonical register slots: 0-7 EAX..EDI (ModRM order), 8-13 ES CS SS DS FS GS,
 * 14 EIP, 15 EFLAGS. */
enum { RS_EIP = 14, RS_EFLAGS = 15, RS_COUNT = 16 };

struct moo_state {
    uint32_t reg[RS_COUNT];
    uint32_t have;              /* bit per slot */
    const uint8_t *ram;         /* count x (u32 addr, u8 value) */
    uint32_t ram_count;
};

struct moo_test {
    const char *name;
    uint32_t name_len;
    const uint8_t *bytes;
    uint32_t nbytes;
    struct moo_state init, fina;
    bool has_exc;
    uint8_t exc;
    uint32_t exc_flags_addr;
};

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return p[0] | p[1] << 8; }

static const int regs286_slot[14] = { R_EAX, R_EBX, R_ECX, R_EDX, 8 + SEG_CS, 8 + SEG_SS, 8 + SEG_DS,
                                      8 + SEG_ES, R_ESP, R_EBP, R_ESI, R_EDI, RS_EIP, RS_EFLAGS };
static const int regs386_slot[20] = { -1, -1, R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI, R_EBP, R_ESP,
                                      8 + SEG_CS, 8 + SEG_DS, 8 + SEG_ES, 8 + SEG_FS, 8 + SEG_GS,
                                      8 + SEG_SS, RS_EIP, RS_EFLAGS, -1, -1 };

static void parse_state(const uint8_t *p, const uint8_t *end, struct moo_state *s)
{
    memset(s, 0, sizeof(*s));
    while (p + 8 <= end) {
        uint32_t len = rd32(p + 4);
        const uint8_t *d = p + 8;
        if (d + len > end)
            break;
        if (!memcmp(p, "REGS", 4)) {
            uint16_t mask = rd16(d);
            const uint8_t *q = d + 2;
            for (int i = 0; i < 14; i++)
                if (mask & (1u << i)) {
                    s->reg[regs286_slot[i]] = rd16(q);
                    s->have |= 1u << regs286_slot[i];
                    q += 2;
                }
        } else if (!memcmp(p, "RG32", 4)) {
            uint32_t mask = rd32(d);
            const uint8_t *q = d + 4;
            for (int i = 0; i < 20; i++)
                if (mask & (1u << i)) {
                    if (regs386_slot[i] >= 0) {
                        s->reg[regs386_slot[i]] = rd32(q);
                        s->have |= 1u << regs386_slot[i];
                    }
                    q += 4;
                }
        } else if (!memcmp(p, "RAM ", 4)) {
            s->ram_count = rd32(d);
            s->ram = d + 4;
        }
        p = d + len;
    }
}

/* Parse one TEST chunk payload. */
static void parse_test(const uint8_t *p, const uint8_t *end, struct moo_test *t)
{
    memset(t, 0, sizeof(*t));
    p += 4;   /* test index */
    while (p + 8 <= end) {
        uint32_t len = rd32(p + 4);
        const uint8_t *d = p + 8;
        if (d + len > end)
            break;
        if (!memcmp(p, "NAME", 4)) {
            t->name_len = rd32(d);
            t->name = (const char *)d + 4;
        } else if (!memcmp(p, "BYTS", 4)) {
            t->nbytes = rd32(d);
            t->bytes = d + 4;
        } else if (!memcmp(p, "INIT", 4)) {
            parse_state(d, d + len, &t->init);
        } else if (!memcmp(p, "FINA", 4)) {
            parse_state(d, d + len, &t->fina);
        } else if (!memcmp(p, "EXCP", 4)) {
            t->has_exc = true;
            t->exc = d[0];
            t->exc_flags_addr = rd32(d + 1);
        }
        p = d + len;
    }
}

static uint8_t *read_gz(const char *path, size_t *len)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", path);
    FILE *f = popen(cmd, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    pclose(f);
    *len = n;
    return buf;
}

/* --- running one vector -------------------------------------------------------- */

enum outcome {
    PASS,
    FAIL,
    /* DIFF_LOCK: the 286 ignores LOCK on any instruction; an IA-32 processor
     * raises #UD for LOCK on an instruction outside the lockable list or
     * without a memory destination (SDM Vol. 2A "LOCK", Vol. 3A 8.1.2.2). */
    DIFF_LOCK,
    /* DIFF_UD386: encodings the 286 executes as aliases (undefined ModRM.reg
     * rows of 8F/C6/C7/FE/FF, MOV to CS, ...) that IA-32 defines as #UD
     * (SDM Vol. 2D appendix A, table A-6 opcode groups). */
    DIFF_UD386,
    DIFF_SEGWRAP,
    DIFF_286_UD,
    DIFF_286_LEN,
    DIFF_286_DE,
    CAPTURE_ERROR,
    OUTCOME_COUNT
};

struct run_ctx {
    struct support_cpu *m;
    bool is386;
    uint32_t flags_mask;
    char failmsg[512];
};

static enum outcome compare_final(struct run_ctx *c, const struct moo_test *t, enum cpu_exit ex,
                                  int first_exc);

static bool is_prefix(uint8_t b)
{
    return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 || b == 0x66 ||
           b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3;
}

/*
 * Encodings the 286 executes that an IA-32 processor rejects with #UD,
 * decided from the bytes alone (softvm's decoder is what is under test).
 * Returns DIFF_LOCK or DIFF_UD386 with *why set, or PASS if IA-32 defines
 * the encoding. 16-bit code, so no 0x67/0x66 changes which bytes are what.
 */
static enum outcome ia32_ud_reason(const uint8_t *bytes, unsigned nbytes, const char **why)
{
    unsigned i = 0;
    bool lock = false;
    for (; i < nbytes && is_prefix(bytes[i]); i++)
        lock |= bytes[i] == 0xf0;
    if (i >= nbytes)
        return PASS;
    bool two = bytes[i] == 0x0f;
    if (two && ++i >= nbytes)
        return PASS;
    uint8_t op = bytes[i];
    bool has_modrm = i + 1 < nbytes;
    uint8_t modrm = has_modrm ? bytes[i + 1] : 0;
    unsigned reg = (modrm >> 3) & 7;
    bool mem = has_modrm && (modrm >> 6) != 3;

    /* Register forms of memory-only instructions: the SDM's exception lists
     * say "#UD If the source/second operand is not a memory location". */
    if (!two && has_modrm && !mem) {
        switch (op) {
        case 0x62: *why = "BOUND r, reg (Vol. 2A BOUND, #UD: second operand not memory)"; return DIFF_UD386;
        case 0x8d: *why = "LEA r, reg (Vol. 2A LEA, #UD: source operand not memory)"; return DIFF_UD386;
        case 0xc4: *why = "LES r, reg (Vol. 2A LDS/LES, #UD: source operand not memory)"; return DIFF_UD386;
        case 0xc5: *why = "LDS r, reg (Vol. 2A LDS/LES, #UD: source operand not memory)"; return DIFF_UD386;
        case 0xff:
            if (reg == 3 || reg == 5) {   /* far CALL/JMP take m16:16 only */
                *why = "CALLF/JMPF Ep with mod = 3 (Vol. 2A CALL/JMP: m16:16 only; Vol. 2D A-6 group 5)";
                return DIFF_UD386;
            }
            break;
        }
    }
    /* Undefined rows of opcode groups (Vol. 2D table A-6). */
    if (!two && has_modrm) {
        if (op == 0x8f && reg != 0) {
            *why = "8F /1-/7 (Vol. 2D table A-6, group 1A: only /0 POP)";
            return DIFF_UD386;
        }
        if ((op == 0xc6 || op == 0xc7) && reg != 0) {
            *why = "C6/C7 /1-/7 (Vol. 2D table A-6, group 11: only /0 MOV; XBEGIN/XABORT need RTM)";
            return DIFF_UD386;
        }
        if ((op == 0x8c || op == 0x8e) && reg >= 6) {
            *why = "MOV Sreg with reg 6/7 (Vol. 2A MOV: no such segment register)";
            return DIFF_UD386;
        }
        if (op == 0x8e && reg == 1) {
            *why = "MOV CS, r/m (Vol. 2A MOV: #UD if an attempt is made to load CS)";
            return DIFF_UD386;
        }
    }
    /* LOCK (Vol. 2A "LOCK"): only ADD, ADC, AND, BTC, BTR, BTS, CMPXCHG,
     * CMPXCHG8B, DEC, INC, NEG, NOT, OR, SBB, SUB, XOR, XADD and XCHG, and
     * only with a memory destination; anything else is #UD. */
    if (lock) {
        bool lockable;
        if (!two) {
            lockable = (op <= 0x31 && (op & 7) <= 1) ||  /* ALU r/m, r */
                       ((op >= 0x80 && op <= 0x83) && reg != 7) ||                  /* group 1 but CMP */
                       op == 0x86 || op == 0x87 ||                                   /* XCHG */
                       ((op == 0xf6 || op == 0xf7) && (reg == 2 || reg == 3)) ||     /* NOT, NEG */
                       (op == 0xfe && reg <= 1) || (op == 0xff && reg <= 1);          /* INC, DEC */
        } else {
            lockable = op == 0xab || op == 0xb3 || op == 0xbb ||                    /* BTS, BTR, BTC */
                       (op == 0xba && reg >= 5) || op == 0xb0 || op == 0xb1 ||       /* BT* imm, CMPXCHG */
                       op == 0xc0 || op == 0xc1 || (op == 0xc7 && reg == 1);          /* XADD, CMPXCHG8B */
        }
        if (!lockable) {
            *why = "LOCK on an instruction outside the lockable list (Vol. 2A LOCK)";
            return DIFF_LOCK;
        }
        if (!mem) {
            *why = "LOCK with a register destination (Vol. 2A LOCK)";
            return DIFF_LOCK;
        }
    }
    return PASS;
}

static enum outcome run_test(struct run_ctx *c, const struct moo_test *t)
{
    struct cpu *cpu = c->m->cpu;
    struct phys_mem *mem = c->m->mem;
    const struct moo_state *in = &t->init;

    struct insn di;
    decode_insn(t->bytes, t->nbytes, 0, &di);
    const char *ud_why = NULL;
    enum outcome ud_class = ia32_ud_reason(t->bytes, t->nbytes, &ud_why);

    /* Real-mode state: bases = selector * 16, limits 64K. */
    for (int r = 0; r < 8; r++)
        cpu->regs[r] = in->reg[r];
    for (int s = 0; s < SEG_COUNT; s++) {
        cpu->seg[s].sel = (uint16_t)in->reg[8 + s];
        cpu->seg[s].base = (in->reg[8 + s] & 0xffff) << 4;
        cpu->seg[s].limit = 0xffff;
        cpu->seg[s].flags = SEGF_S | SEGF_P | (s == SEG_CS ? 0xb : 0x3);
    }
    cpu->rip = in->reg[RS_EIP];
    /* A real-mode 286 cannot hold FLAGS bits 12-15 (README): clear them.
     * The 386 captures carry junk in EFLAGS bits 18-31 (no such bits on a
     * 386): keep the low 16. */
    cpu_set_eflags(cpu, (in->reg[RS_EFLAGS] & (c->is386 ? 0xffffu : 0x0fffu)) | 2);
    cpu->cr0 = CR0_ET;
    cpu->cpl = 0;
    cpu->halted = false;
    cpu->shutdown = false;
    cpu->priv.inhibit_irq = false;
    for (uint32_t i = 0; i < in->ram_count; i++) {
        const uint8_t *e = in->ram + i * 5;
        phys_write8(mem, rd32(e), e[4]);
    }

    /* The instruction under test first (a fault is delivered and the
     * handler's first instruction runs), then the rest up to the HLT. */
    cpu->exc_vector = -1;
    enum cpu_exit ex = cpu_exec(cpu, 1);
    /* A REP string instruction retires one element per step and stays at
     * its own address until it is done: finish it (REP counts are below
     * 128) so first_exc covers every element. */
    for (int i = 0; i < 256 && ex == CPU_EXIT_BUDGET && cpu->exc_vector < 0 &&
                    cpu->rip == in->reg[RS_EIP] && cpu->seg[SEG_CS].sel == (uint16_t)in->reg[8 + SEG_CS]; i++)
        ex = cpu_exec(cpu, 1);
    int first_exc = cpu->exc_vector;
    /* Listed as #UD on IA-32 (the 286 ran it, so the vectors' IVT entry 6
     * leads nowhere in particular): the delivery must be exactly #UD's,
     * a fault: CS:IP from IVT[6], FLAGS, CS and the instruction's own IP
     * pushed (SDM Vol. 3A 6.5, 20.1.4). */
    if (ud_class != PASS) {
        uint16_t sp0 = (uint16_t)in->reg[R_ESP], sp = (uint16_t)(sp0 - 6);
        uint32_t ss = (in->reg[8 + SEG_SS] & 0xffff) << 4;
        uint16_t want_ip = phys_read16(mem, 6 * 4), want_cs = phys_read16(mem, 6 * 4 + 2);
        bool ok = first_exc == EXC_UD && cpu->rip == want_ip && cpu->seg[SEG_CS].sel == want_cs &&
                  (uint16_t)cpu->regs[R_ESP] == sp &&
                  phys_read16(mem, ss + sp) == (uint16_t)in->reg[RS_EIP] &&
                  phys_read16(mem, ss + (uint16_t)(sp + 2)) == (uint16_t)in->reg[8 + SEG_CS];
        if (ok)
            return ud_class;
        snprintf(c->failmsg, sizeof(c->failmsg), "%s: want #UD delivered to %04x:%04x with SP %04x, "
                 "got exception %d, %04x:%04x SP %04x (exit %d)", ud_why, want_cs, want_ip, sp,
                 first_exc, cpu->seg[SEG_CS].sel, (uint32_t)cpu->rip, (uint16_t)cpu->regs[R_ESP], ex);
        return FAIL;
    }
    if (ex == CPU_EXIT_BUDGET)
        ex = cpu_exec(cpu, 512);
    /* DIFF_SEGWRAP: an operand crossing the 64K segment limit (a word at
     * offset 0xFFFF, a push/pop/string element there). The 286 often wraps
     * it to offset 0, and where it does fault it has already advanced
     * SI/DI/SP; an IA-32 processor in real mode raises #GP(0), or #SS(0)
     * for the stack, with the state of before the instruction (SDM Vol. 2
     * "Real-Address Mode Exceptions" of each instruction, Vol. 3A 6.5 faults
     * are restartable). Counted only when our #GP/#SS made the results differ. */
    enum outcome o = compare_final(c, t, ex, first_exc);
    if (o == FAIL && (first_exc == EXC_GP || first_exc == EXC_SS))
        return DIFF_SEGWRAP;
    /* DIFF_286_UD: the 286 raised #UD for an encoding IA-32 defines
     * (MOV to/from FS/GS, 8C/8E with reg 4/5: FS and GS exist since the
     * 386, SDM Vol. 1 3.4.2). */
    if (o == FAIL && t->has_exc && t->exc == EXC_UD && first_exc < 0 &&
        (di.opcode == 0x8c || di.opcode == 0x8e) && (di.reg == 4 || di.reg == 5))
        return DIFF_286_UD;
    /* DIFF_286_LEN: the 286 raises #GP for an instruction longer than 10
     * bytes (redundant prefixes); the IA-32 limit is 15 (SDM Vol. 2A 2.3.11). */
    if (o == FAIL && t->has_exc && t->exc == EXC_GP && first_exc < 0 && t->nbytes - 1 > 10)
        return DIFF_286_LEN;
    /* DIFF_286_DE: for some dividends the 286 misses an IDIV quotient
     * overflow and returns a truncated quotient; IA-32 raises #DE whenever
     * the quotient does not fit (SDM Vol. 2A "IDIV"). */
    if (o == FAIL && first_exc == EXC_DE && !t->has_exc && (di.opcode == 0xf6 || di.opcode == 0xf7) &&
        di.reg == 7)
        return DIFF_286_DE;
    /* ... and AAM 0 on the 286 changes SF/ZF/PF before its #DE; on IA-32
     * the #DE is a fault that leaves all state as before (SDM Vol. 3A 6.5). */
    if (o == FAIL && first_exc == EXC_DE && t->has_exc && t->exc == EXC_DE && di.opcode == 0xd4)
        return DIFF_286_DE;
    /* One captured vector pushes SS (F050) where the CS of the INTO (F238)
     * belongs: no architectural rule produces that, so it is taken as a
     * capture error and excluded by its initial CS:IP. */
    if (o == FAIL && di.opcode == 0xce && in->reg[8 + SEG_CS] == 0xf238 && in->reg[RS_EIP] == 0x9c30)
        return CAPTURE_ERROR;
    return o;
}

static enum outcome compare_final(struct run_ctx *c, const struct moo_test *t, enum cpu_exit ex, int first_exc)
{
    struct cpu *cpu = c->m->cpu;
    struct phys_mem *mem = c->m->mem;
    const struct moo_state *in = &t->init;
    if (ex != CPU_EXIT_HALT) {
        snprintf(c->failmsg, sizeof(c->failmsg), "did not reach HLT (exit %d, cs:eip %x:%x, start %x:%x, exc %d)",
                 ex, cpu->seg[SEG_CS].sel, (uint32_t)cpu->rip, in->reg[8 + SEG_CS], in->reg[RS_EIP], cpu->exc_vector);
        return FAIL;
    }

    /* Registers. */
    const struct moo_state *fi = &t->fina;
    uint32_t flags_now = cpu_get_eflags(cpu);
    for (int slot = 0; slot < RS_COUNT; slot++) {
        if (!c->is386 && (slot == 8 + SEG_FS || slot == 8 + SEG_GS))
            continue;
        uint32_t want = (fi->have & (1u << slot)) ? fi->reg[slot] : in->reg[slot];
        uint32_t got;
        if (slot < 8)
            got = cpu->regs[slot];
        else if (slot < 14)
            got = cpu->seg[slot - 8].sel;
        else if (slot == RS_EIP)
            got = cpu->rip;
        else
            got = flags_now;
        uint32_t mask = c->is386 && slot != RS_EFLAGS ? 0xffffffffu : 0xffffu;
        if (slot == RS_EFLAGS) {
            /* DIFF (masked, not counted): FLAGS bits 12-15 read 0 in real
             * mode on the 286; on IA-32 IOPL and NT are ordinary bits that
             * POPF/IRET load (SDM Vol. 1 3.4.3.3). */
            mask &= c->flags_mask & ~0xf000u;
            if (!c->is386)
                want &= 0x0fff;
        }
        if ((want & mask) != (got & mask)) {
            static const char *names[RS_COUNT] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
                                                   "es", "cs", "ss", "ds", "fs", "gs", "eip", "eflags" };
            snprintf(c->failmsg, sizeof(c->failmsg), "%s: want %08x got %08x (mask %08x, first exception %d)",
                     names[slot], want & mask, got & mask, mask, first_exc);
            return FAIL;
        }
    }
    /* Changed RAM bytes; the FLAGS image an exception pushed is masked too. */
    for (uint32_t i = 0; i < fi->ram_count; i++) {
        const uint8_t *e = fi->ram + i * 5;
        uint32_t addr = rd32(e);
        uint8_t want = e[4], got = phys_read8(mem, addr), mask = 0xff;
        /* The FLAGS image is at SS:SP+4 of the final stack (the handler
         * is a lone HLT); EXCP's address is rounded down to a word. */
        if (t->has_exc) {
            uint32_t fsp = (fi->have & (1u << R_ESP)) ? fi->reg[R_ESP] : in->reg[R_ESP];
            uint32_t fss = (fi->have & (1u << (8 + SEG_SS))) ? fi->reg[8 + SEG_SS] : in->reg[8 + SEG_SS];
            uint32_t lo = ((fss & 0xffff) << 4) + ((fsp + 4) & 0xffff);
            uint32_t hi = ((fss & 0xffff) << 4) + ((fsp + 5) & 0xffff);
            uint32_t fm = c->flags_mask & ~0xf000u;
            if (addr == lo)
                mask = (uint8_t)fm;
            else if (addr == hi)
                mask = (uint8_t)(fm >> 8);
        }
        if ((want & mask) != (got & mask)) {
            snprintf(c->failmsg, sizeof(c->failmsg), "ram[%06x]: want %02x got %02x", addr, want & mask, got & mask);
            return FAIL;
        }
    }
    return PASS;
}

/* --- per-file driver -------------------------------------------------------------- */

struct totals {
    uint64_t n[OUTCOME_COUNT];
};

/* Runs every test of one file; returns false if the file could not be read. */
static bool run_file(const char *path, const char *opname, const char *meta, bool is386,
                     struct totals *tot, FILE *log)
{
    size_t len;
    uint8_t *buf = read_gz(path, &len);
    if (!buf || len < 20 || memcmp(buf, "MOO ", 4)) {
        free(buf);
        return false;
    }
    /* flags-mask: opcodes["XX"] or opcodes["XX"].reg["r"] */
    char op[3] = { opname[0], opname[1], 0 };
    const char *entry = js_get(js_get(meta, "opcodes"), op);
    if (opname[2] == '.' && entry) {
        char r[2] = { opname[3], 0 };
        entry = js_get(js_get(entry, "reg"), r);
    }
    uint32_t flags_mask = 0xffffffffu;
    const char *fm = js_get(entry, "flags-mask");
    if (fm)
        flags_mask = (uint32_t)strtoul(fm, NULL, 10) | 0xffff0000u;
    /* The one file not run: the x87 escapes. The capture machine had no
     * 287, so its results are the 286's no-coprocessor behaviour; softvm is
     * an i686 with an on-chip FPU (CPUID.1:EDX.FPU), where D8-DF execute x87
     * arithmetic (SDM Vol. 1 ch. 8), tested by test_fpu_*.c. */
    const char *status = js_get(entry, "status");
    if (entry && js_streq(status, "fpu") && op[0] == 'D' && op[1] >= '8') {
        fprintf(log, "%-6s not run: x87 escape, no 287 on the capture machine\n", opname);
        free(buf);
        return true;
    }

    struct run_ctx c = { .is386 = is386, .flags_mask = flags_mask };
    c.m = support_cpu_create(16u << 20);
    cr_assert(c.m);
    phys_mem_set_a20(c.m->mem, true);
    support_cpu_plain_low_mb(c.m);

    struct totals ft = { { 0 } };
    const uint8_t *p = buf + 8 + rd32(buf + 4), *end = buf + len;
    int shown = 0;
    /* Every vector runs; SOFTVM_MOO_STRIDE=N runs every N-th (debugging). */
    const char *st = getenv("SOFTVM_MOO_STRIDE");
    unsigned stride = st && atoi(st) > 0 ? (unsigned)atoi(st) : 1, test_index = 0;
    if (is386)
        stride = 1;
    while (p + 8 <= end) {
        uint32_t clen = rd32(p + 4);
        const uint8_t *d = p + 8;
        if (d + clen > end)
            break;
        if (!memcmp(p, "TEST", 4) && (test_index++ % stride) == 0) {
            struct moo_test t;
            parse_test(d, d + clen, &t);
            enum outcome o = run_test(&c, &t);
            ft.n[o]++;
            if (o == FAIL && shown++ < 3)
                fprintf(log, "  FAIL %s [%.*s]: %s\n", opname, (int)t.name_len, t.name, c.failmsg);
        }
        p = d + clen;
    }
    uint64_t total = 0;
    for (int i = 0; i < OUTCOME_COUNT; i++)
        total += ft.n[i];
    fprintf(log, "%-6s %6llu/%-6llu pass  %5.1f%%", opname, (unsigned long long)ft.n[PASS],
            (unsigned long long)total, total ? 100.0 * ft.n[PASS] / total : 0.0);
    if (total != ft.n[PASS] + ft.n[FAIL])
        fprintf(log, "  (by design: %llu LOCK #UD, %llu undefined-form #UD, %llu 64K-wrap, %llu 286-#UD, "
                "%llu 286-length, %llu 286-#DE, %llu capture error)",
                (unsigned long long)ft.n[DIFF_LOCK], (unsigned long long)ft.n[DIFF_UD386],
                (unsigned long long)ft.n[DIFF_SEGWRAP], (unsigned long long)ft.n[DIFF_286_UD],
                (unsigned long long)ft.n[DIFF_286_LEN], (unsigned long long)ft.n[DIFF_286_DE],
                (unsigned long long)ft.n[CAPTURE_ERROR]);
    fprintf(log, "\n");
    for (int i = 0; i < OUTCOME_COUNT; i++)
        tot->n[i] += ft.n[i];
    support_cpu_destroy(c.m);
    free(buf);
    return true;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t r = fread(s, 1, (size_t)n, f);
    s[r] = 0;
    fclose(f);
    return s;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

#include <dirent.h>

Test(cpu_moo, singlestep_80286_real_mode, .timeout = 600)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/singlestep-80286/v1_real_mode", SOFTVM_TESTDATA_DIR);
    DIR *dp = opendir(dir);
    if (!dp)
        cr_skip("test data not found: %s", dir);
    char *meta_path = NULL;
    if (asprintf(&meta_path, "%s/metadata.json", dir) < 0)
        cr_assert_fail();
    char *meta = read_text(meta_path);
    free(meta_path);
    cr_assert(meta, "metadata.json missing");

    char *names[1024];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dp)) && n < 1024)
        if (strstr(de->d_name, ".MOO.gz"))
            names[n++] = strdup(de->d_name);
    closedir(dp);
    qsort(names, (size_t)n, sizeof(names[0]), cmp_str);

    struct totals tot = { { 0 } };
    FILE *log = stdout;
    fflush(log);
    /* SOFTVM_MOO_ONLY=XX runs only files whose name starts with XX (debugging) */
    const char *only = getenv("SOFTVM_MOO_ONLY");
    for (int i = 0; i < n; i++) {
        if (only && strncmp(names[i], only, strlen(only))) {
            free(names[i]);
            continue;
        }
        char path[1024], op[16];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        snprintf(op, sizeof(op), "%.*s", (int)(strstr(names[i], ".MOO") - names[i]), names[i]);
        cr_assert(run_file(path, op, meta, false, &tot, log), "unreadable %s", path);
        free(names[i]);
    }
    free(meta);
    fprintf(log, "80286 total: %llu pass, %llu fail; differences by design: %llu LOCK->#UD, "
            "%llu undefined-form->#UD, %llu 64K-wrap, %llu 286-#UD, %llu 286-length, %llu 286-#DE, "
            "%llu capture error\n",
            (unsigned long long)tot.n[PASS], (unsigned long long)tot.n[FAIL],
            (unsigned long long)tot.n[DIFF_LOCK], (unsigned long long)tot.n[DIFF_UD386],
            (unsigned long long)tot.n[DIFF_SEGWRAP], (unsigned long long)tot.n[DIFF_286_UD],
            (unsigned long long)tot.n[DIFF_286_LEN], (unsigned long long)tot.n[DIFF_286_DE],
            (unsigned long long)tot.n[CAPTURE_ERROR]);
    fflush(log);
    cr_assert_eq(tot.n[FAIL], 0, "%llu vectors failed", (unsigned long long)tot.n[FAIL]);
    uint64_t all = 0;
    for (int i = 0; i < OUTCOME_COUNT; i++)
        all += tot.n[i];
    cr_assert_gt(tot.n[PASS], all * 95 / 100, "the by-design classes grew suspiciously large");
}

Test(cpu_moo, singlestep_80386_sample, .timeout = 120)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/singlestep-80386-sample/00.MOO.gz", SOFTVM_TESTDATA_DIR);
    struct stat st;
    if (stat(path, &st) != 0)
        cr_skip("test data not found: %s", path);
    struct totals tot = { { 0 } };
    cr_assert(run_file(path, "00", "{}", true, &tot, stdout));
    cr_assert_eq(tot.n[FAIL], 0, "%llu vectors failed", (unsigned long long)tot.n[FAIL]);
    cr_assert_gt(tot.n[PASS], 0);
}
