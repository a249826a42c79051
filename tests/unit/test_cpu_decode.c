/*
 * test_cpu_decode.c - the table-driven decoder (cpu/decode.c) against
 * Capstone in 16-, 32- and 64-bit modes: random byte strings and every
 * opcode with every prefix combination (REX ones in 64-bit mode) must agree
 * on the instruction length and on the ModRM memory operand (base, index,
 * scale, displacement, segment, RIP-relative).
 *
 * Where the two disagree on whether an encoding is valid at all, softvm's
 * answer is the processor's: does executing it raise #UD (raises_ud: some
 * rows leave validity to their handler). Every such disagreement must fall
 * in one of the listed classes (enum disagreement, each with its reason:
 * softvm models an i686 and rejects later extensions Capstone decodes;
 * Capstone 4 accepts LOCK on anything and ignores some mandatory-prefix
 * rules; it rejects a few hint and prefix forms processors run). Any other
 * disagreement fails the test.
 *
 * Intentional differences where both accept (skipped by is_known_difference):
 * - 66 with F2/F3 on CALL/JMP rel (E8/E9): Capstone 4 takes F2 as an MPX
 *   BND prefix and drops the 66, decoding rel32; the processor applies 66
 *   (rel16), as SDM Vol. 2A 2.1.1 says prefixes of different groups combine.
 * - 64-bit mode, 66 on a near branch (Jcc, JMP/CALL rel, RET, JMP/CALL r/m,
 *   LOOP/JrCXZ): Intel processors ignore it (64-bit operand size, rel32),
 *   which softvm models (SDM Vol. 2A 2.2.1.7 and each instruction's
 *   64-bit notes); Capstone 4 decodes AMD's 16-bit form.
 * - 64-bit mode, RET/RETF imm16 with 67 and REX.W: Capstone 4 gives a length
 *   two bytes longer than the C2/CA iw encoding has; CALL/JMP rel32 (E8/E9)
 *   with 67 and REX.W: it decodes rel16; PUSH imm (68) with 66 and F2/F3:
 *   it drops the 66 as on E8/E9 in 32-bit mode.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <capstone/capstone.h>
#include <criterion/criterion.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/optable.h"
#include "tests/unit/support_cpu.h"

/* The listed validity disagreements, each with its reason. */
enum disagreement {
    /* Capstone valid, softvm #UD */
    D_CS_LOCK, D_CS_PREFIX, D_EXTENSION, D_UD_BY_DEFINITION, D_RSM, D_RESERVED_CR, D_LONG_MODE, D_MOV_CS,
    D_CR8, D_CS_REX_ADSZ,
    /* softvm valid, Capstone rejects */
    D_HINT_NOP, D_CS_SSE_PREFIXES, D_CS_REP_MOFFS, D_FENCE_RM, D_LDDQU_REG,
    D_COUNT
};
static const char *const disagreement_reason[D_COUNT] = {
    [D_CS_LOCK] = "LOCK outside the lockable list or without a memory destination: #UD "
                  "(SDM Vol. 2A LOCK); Capstone 4 accepts LOCK on anything",
    [D_CS_PREFIX] = "66/F2/F3 on an SSE/MMX/FXSAVE-group form that has no such prefixed form: "
                    "#UD or another instruction (SDM Vol. 2A 3.1.1.1 'NP', 2.1.2 mandatory "
                    "prefixes); Capstone 4 ignores the prefix",
    [D_EXTENSION] = "an extension the i686 model lacks (CPUID as built, docs/ARCHITECTURE.md): "
                    "SSE3 beyond softvm's register forms, SSSE3, SSE4, AVX/VEX, 3DNow!, VMX/SVM, "
                    "SMX, RTM, XSAVE, POPCNT, RDRAND/RDSEED, CLFLUSHOPT, SMAP, VIA PadLock, ...",
    [D_UD_BY_DEFINITION] = "UD0/UD1/UD2: defined to raise #UD (SDM Vol. 2B UD)",
    [D_RSM] = "RSM outside SMM: #UD (SDM Vol. 2B RSM); softvm has no SMM",
    [D_RESERVED_CR] = "MOV to/from CR1, CR5-CR7: #UD (SDM Vol. 2B MOV-Move to/from Control Registers)",
    [D_LONG_MODE] = "SYSCALL/SYSRET/SWAPGS: #UD outside 64-bit mode on Intel (SDM Vol. 2B)",
    [D_MOV_CS] = "MOV CS, r/m (8E /1): #UD (SDM Vol. 2B MOV: loading CS with MOV)",
    [D_CS_REX_ADSZ] = "64-bit mode: an MMX/SSE form with 67 and REX: Capstone 4 takes the 67 for a 66 "
                      "(67 4F 0F 6D is PUNPCKHQDQ xmm15 to it, 67 4F 0F 75 PCMPEQW xmm13; the processor "
                      "has no NP 0F 6D, and 0F 75 names mm registers)",
    [D_CR8] = "64-bit mode: MOV to/from CR9-CR15 and DR8-DR15 (CR8 is the TPR) "
              "(#UD, SDM Vol. 2B MOV CR/DR)",
    [D_HINT_NOP] = "0F 0D and 0F 18-0F 1F: prefetch hints and the reserved-NOP space, run as NOPs "
                   "(SDM Vol. 2D table A-3, Vol. 2B NOP); Capstone 4 takes 0F 1A/1B as MPX and "
                   "rejects forms of the others",
    [D_CS_SSE_PREFIXES] = "an SSE form with its mandatory 66/F2/F3 in 16-bit code, or with other "
                          "prefixes (67, segment, a repeated F2) around it: Capstone 4 rejects what "
                          "it accepts with the mandatory prefix alone in 32-bit mode",
    [D_CS_REP_MOFFS] = "F2/F3 with 66 on MOV moffs (A0-A3): REP on a non-string instruction is "
                       "ignored (SDM Vol. 2A 2.1.1); Capstone 4 rejects it",
    [D_FENCE_RM] = "0F AE /5 /6 /7 with mod = 3 and rm != 0 are LFENCE/MFENCE/SFENCE (processors "
                   "ignore rm, as QEMU does); Capstone 4 accepts rm = 0 only",
    [D_LDDQU_REG] = "F2 0F F0 with a register source: softvm runs it; the SDM defines only "
                    "LDDQU xmm, m128 (a softvm deviation, see /work/notes/hygiene.md)",
};

struct stats {
    uint64_t compared, ours_only, theirs_only, both_invalid, known;
    uint64_t listed[D_COUNT];
};

static uint64_t rng = 0x1234567887654321ull;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static x86_reg reg_id(int r, int addrsize)
{
    static const x86_reg r64[16] = { X86_REG_RAX, X86_REG_RCX, X86_REG_RDX, X86_REG_RBX,
                                     X86_REG_RSP, X86_REG_RBP, X86_REG_RSI, X86_REG_RDI,
                                     X86_REG_R8, X86_REG_R9, X86_REG_R10, X86_REG_R11,
                                     X86_REG_R12, X86_REG_R13, X86_REG_R14, X86_REG_R15 };
    static const x86_reg r32[16] = { X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX,
                                     X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI,
                                     X86_REG_R8D, X86_REG_R9D, X86_REG_R10D, X86_REG_R11D,
                                     X86_REG_R12D, X86_REG_R13D, X86_REG_R14D, X86_REG_R15D };
    static const x86_reg r16[8] = { X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX,
                                    X86_REG_SP, X86_REG_BP, X86_REG_SI, X86_REG_DI };
    if (r == INSN_BASE_RIP)
        return addrsize == 8 ? X86_REG_RIP : X86_REG_EIP;
    if (r < 0)
        return X86_REG_INVALID;
    return addrsize == 8 ? r64[r] : addrsize == 4 ? r32[r] : r16[r];
}

static const char *mode_name(unsigned mode)
{
    return (mode & DECODE_CODE64) ? "64" : (mode & DECODE_CODE32) ? "32" : "16";
}

static x86_reg seg_id(int s)
{
    static const x86_reg segs[6] = { X86_REG_ES, X86_REG_CS, X86_REG_SS, X86_REG_DS, X86_REG_FS, X86_REG_GS };
    return segs[s];
}

static void hexdump(char *out, size_t n, const uint8_t *b, unsigned len)
{
    out[0] = 0;
    for (unsigned i = 0; i < len && 3 * i + 3 < n; i++)
        sprintf(out + 3 * i, "%02x ", b[i]);
}

static bool is_known_difference(const struct insn *in, unsigned mode)
{
    if ((mode & DECODE_CODE64) && (in->prefixes & PFX_OPSZ) && (in->desc->x64 & X64_F64)
        && (in->desc->form & OPF_NEAR_BRANCH))
        return true;
    /* Capstone 4 takes E8/E9 with 67 and REX.W as rel16, and drops 66 on PUSH imm
     * when F2/F3 is there too (as on E8/E9 below) */
    if ((mode & DECODE_CODE64) && (in->opcode == 0xe8 || in->opcode == 0xe9) && (in->rex & REX_W)
        && (in->prefixes & PFX_ADSZ))
        return true;
    if ((mode & DECODE_CODE64) && in->opcode == 0x68 && in->rep && (in->prefixes & PFX_OPSZ))
        return true;
    /* Capstone 4 counts two bytes too many for RET/RETF imm16 with 67 and REX.W */
    if ((mode & DECODE_CODE64) && (in->opcode == 0xc2 || in->opcode == 0xca) && (in->rex & REX_W)
        && (in->prefixes & PFX_ADSZ))
        return true;
    return (mode & DECODE_CODE32) && (in->opcode == 0xe8 || in->opcode == 0xe9) && in->rep &&
           (in->prefixes & PFX_OPSZ);
}

/*
 * The decoder accepts some rows whose handler decides validity (x87 and SSE
 * forms, MOV Sreg with reg 6/7, register forms of memory-only SSE stores):
 * the processor's answer is whether executing the instruction raises #UD.
 * Run the handler once on a flat protected-mode CPU at CPL 0 with the FPU
 * and SSE enabled; any other fault (#GP, #PF, #NM...) means "defined".
 */
static struct support_cpu *probe;
static struct cpu probe_start[3];      /* the state before each probe, by mode: 16, 32, 64 */

static bool raises_ud(const struct insn *in, unsigned mode)
{
    int code32 = (mode & DECODE_CODE64) ? 2 : (mode & DECODE_CODE32) ? 1 : 0;
    if (!probe) {
        probe = support_cpu_create(1u << 20);
        cr_assert(probe);
        struct cpu *c = probe->cpu;
        support_cpu_flat32(probe);
        c->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_MP;
        c->cr4 = CR4_OSFXSR | CR4_OSXMMEXCPT;
        for (int r = 0; r < 8; r++)
            c->regs[r] = 0x1000;
        memcpy(&probe_start[1], c, offsetof(struct cpu, tlb));
        c->seg[SEG_CS].flags &= ~SEGF_DB;
        c->seg[SEG_SS].flags &= ~SEGF_DB;
        memcpy(&probe_start[0], c, offsetof(struct cpu, tlb));
        /* 64-bit mode: paging stays off here too (only validity is asked) */
        c->feat_lm = true;
        c->efer |= EFER_LME | EFER_LMA | EFER_SCE;
        c->seg[SEG_CS].flags |= SEGF_L;
        c->seg[SEG_SS].flags |= SEGF_DB;
        memcpy(&probe_start[2], c, offsetof(struct cpu, tlb));
    }
    struct cpu *c = probe->cpu;
    /* Everything before the TLB: registers, modes, FPU; paging stays off,
     * so the TLB's entries stay right (and flushing it costs too much). */
    memcpy(c, &probe_start[code32], offsetof(struct cpu, tlb));
    c->rip = in->len;
    c->exc_vector = -1;
    if (setjmp(c->exc_jmp) == 0) {
        in->desc->fn(c, in);
        return false;
    }
    return c->exc_vector == EXC_UD;
}

static bool softvm_valid(const uint8_t *buf, unsigned len, unsigned mode)
{
    struct insn in;
    int n = decode_insn(buf, len, mode, &in);
    return n > 0 && in.desc != &op_desc_ud && !raises_ud(&in, mode);
}

static bool code64_now;     /* run_mode's mode: REX bytes are prefixes */

static bool is_prefix_byte(uint8_t b)
{
    return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 || b == 0x66 ||
           b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || (code64_now && (b & 0xf0) == 0x40);
}

/* buf without the leading prefixes that drop() selects; returns the length. */
static unsigned strip(const uint8_t *buf, unsigned len, uint8_t *out, bool (*drop)(uint8_t))
{
    unsigned i = 0, n = 0;
    for (; i < len && is_prefix_byte(buf[i]); i++)
        if (!drop(buf[i]))
            out[n++] = buf[i];
    for (; i < len; i++)
        out[n++] = buf[i];
    return n;
}
static bool drop_lock(uint8_t b) { return b == 0xf0; }
static bool drop_rep(uint8_t b) { return b == 0xf2 || b == 0xf3; }
static bool drop_opsize(uint8_t b) { return b == 0x66; }
static bool drop_simd(uint8_t b) { return b == 0x66 || b == 0xf2 || b == 0xf3; }
static bool drop_adsz(uint8_t b) { return b == 0x67; }

/* Capstone's text for buf ("" if it rejects it). */
static void cs_text(csh h, const uint8_t *buf, unsigned len, char *out, size_t n)
{
    cs_insn *ci = NULL;
    out[0] = 0;
    if (cs_disasm(h, buf, len, 0x1000, 1, &ci) == 1)
        snprintf(out, n, "%s %s", ci->mnemonic, ci->op_str);
    if (ci)
        cs_free(ci, 1);
}

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(s, *list))
            return true;
    return false;
}

/* Opcode byte after the prefixes (0x1xx for the 0F map) and the ModRM byte. */
static int opcode_of(const uint8_t *buf, unsigned len, uint8_t *modrm)
{
    unsigned i = 0;
    while (i < len && is_prefix_byte(buf[i]))
        i++;
    if (i + 1 < len && buf[i] == 0x0f) {
        *modrm = i + 2 < len ? buf[i + 2] : 0;
        return 0x100 | buf[i + 1];
    }
    *modrm = i + 1 < len ? buf[i + 1] : 0;
    return i < len ? buf[i] : -1;
}

/* Capstone valid, softvm #UD: which listed class, or -1. */
static int classify_theirs(csh h, csh h32, const uint8_t *buf, unsigned len, unsigned mode, const cs_insn *ci)
{
    static const char *const lockable[] = { "add", "adc", "and", "btc", "btr", "bts", "cmpxchg", "cmpxchg8b",
                                            "dec", "inc", "neg", "not", "or", "sbb", "sub", "xor", "xadd",
                                            "xchg", NULL };
    static const char *const ext_groups[] = { "3dnow", "aes", "adx", "avx", "avx2", "avx512", "bmi", "bmi2",
                                              "f16c", "fma", "fma4", "novlx", "vlx", "pclmul", "rtm", "sha",
                                              "sse3", "ssse3", "sse41", "sse42", "sse4a", "tbm", "vm", "xop",
                                              "hle", "fsgsbase", "sgx", "smap", "dqi", "bwi", "cdi", "eri",
                                              "pfi", "mpx", NULL };
    static const char *const ext_mnemonics[] = {
        "getsec", "popcnt", "rdseed", "rdrand", "xsave", "xsavec", "xsaves", "xsaveopt", "xrstor", "xrstors",
        "xsetbv", "xgetbv", "clflushopt", "clwb", "pcommit", "movbe", "crc32", "clac", "stac", "monitor",
        "mwait", "invpcid", "rdpid", "rdtscp", "prefetchwt1", "montmul", "xcryptcbc", "xcryptcfb",
        "xcryptctr", "xcryptecb", "xcryptofb", "xsha1", "xsha256", "xstorerng", "xabort", "xbegin",
        "xend", "xtest", "encls", "enclu", "vmfunc", "rdpkru", "wrpkru", "clzero", "lzcnt", "tzcnt",
        "femms", "ptwrite", "bndcl", "bndcu", "bndcn", "bndmov", "bndmk", "bndldx", "bndstx", NULL };
    const char *mn = ci->mnemonic;
    uint8_t tmp[16];
    char a[224], b[224];
    unsigned n;

    /* LOCK: legal only on the lockable list with a memory destination,
     * judged from Capstone's own decoding of the instruction. */
    if (!strncmp(mn, "lock", 4) || !strncmp(mn, "xrelease lock", 13) || !strncmp(mn, "xacquire lock", 13) ||
        memchr(buf, 0xf0, len)) {
        n = strip(buf, len, tmp, drop_lock);
        if (n != len) {
            cs_text(h, tmp, n, a, sizeof(a));
            char base[32] = "";
            sscanf(a, "%31s", base);
            const cs_x86 *x = &ci->detail->x86;
            bool mem_dst = x->op_count > 0 && x->operands[0].type == X86_OP_MEM;
            if (!(in_list(base, lockable) && mem_dst))
                return D_CS_LOCK;
        }
    }
    /* Capstone's 67-as-66 with REX on the SIMD maps: the form without the
     * 67 is rejected by Capstone too, or disagrees for a listed reason. */
    if ((mode & DECODE_CODE64) && memchr(buf, 0x67, len)) {
        struct insn in;
        n = strip(buf, len, tmp, drop_adsz);
        if (n != len && decode_insn(buf, len, mode, &in) > 0 && in.rex &&
            (op_table[in.opcode].form & OPF_SIMD)) {
            cs_insn *c2 = NULL;
            if (cs_disasm(h, tmp, n, 0x1000, 1, &c2) != 1)
                return D_CS_REX_ADSZ;
            int cls = classify_theirs(h, h32, tmp, n, mode, c2);
            cs_free(c2, 1);
            if (cls >= 0)
                return D_CS_REX_ADSZ;
        }
    }
    /* Capstone ignored a 66/F2/F3 that softvm treats as part of the opcode. */
    cs_text(h, buf, len, a, sizeof(a));
    bool (*const drops[])(uint8_t) = { drop_rep, drop_opsize, drop_simd };
    for (size_t d = 0; d < sizeof(drops) / sizeof(drops[0]); d++) {
        n = strip(buf, len, tmp, drops[d]);
        if (n == len)
            continue;
        cs_text(h, tmp, n, b, sizeof(b));
        if (!strcmp(a, b) && softvm_valid(tmp, n, mode))
            return D_CS_PREFIX;
    }
    for (int g = 0; g < ci->detail->groups_count; g++)
        if (in_list(cs_group_name(h, ci->detail->groups[g]), ext_groups))
            return D_EXTENSION;
    if (in_list(mn, ext_mnemonics) || !strncmp(mn, "xsave", 5) || !strncmp(mn, "xrstor", 6))
        return D_EXTENSION;
    uint8_t modrm;
    int op = opcode_of(buf, len, &modrm);
    if ((op == 0xc4 || op == 0xc5) && (modrm >> 6) == 3 && mn[0] == 'v')
        return D_EXTENSION;          /* VEX: LES/LDS with a register operand */
    if (!strcmp(mn, "ud0") || !strcmp(mn, "ud1") || !strcmp(mn, "ud2") || !strcmp(mn, "ud2b"))
        return D_UD_BY_DEFINITION;
    if (!strcmp(mn, "rsm"))
        return D_RSM;
    if (!(mode & DECODE_CODE64) && (!strcmp(mn, "syscall") || !strcmp(mn, "sysret") || !strcmp(mn, "swapgs")))
        return D_LONG_MODE;
    if (mode & DECODE_CODE64) {
        struct insn in;
        if (decode_insn(buf, len, mode, &in) > 0) {
            bool cr = in.opcode == 0x120 || in.opcode == 0x122;
            if (in.opcode >= 0x120 && in.opcode <= 0x123 && in.reg >= (cr ? 9 : 8))
                return D_CR8;
        }
    }
    unsigned cr = (modrm >> 3) & 7;
    if ((op == 0x120 || op == 0x122) && (cr == 1 || cr >= 5))
        return D_RESERVED_CR;
    if (op == 0x8e && cr == 1)
        return D_MOV_CS;
    (void)h32;
    return -1;
}

/* softvm valid, Capstone rejects: which listed class, or -1. */
static int classify_ours(csh h, csh h32, const uint8_t *buf, unsigned len, unsigned mode, const struct insn *in)
{
    uint8_t tmp[16];
    char a[224];
    unsigned n;
    if (in->opcode == 0x10d || (in->opcode >= 0x118 && in->opcode <= 0x11f))
        return D_HINT_NOP;
    if (in->opcode == 0x1ae && in->mod == 3 && in->reg >= 5)
        return D_FENCE_RM;
    if (in->opcode == 0x1f0 && in->mod == 3 && in->rep == PFX_REPNE)
        return D_LDDQU_REG;
    if (in->opcode >= 0xa0 && in->opcode <= 0xa3 && in->rep && (in->prefixes & PFX_OPSZ)) {
        n = strip(buf, len, tmp, drop_rep);
        cs_text(h, tmp, n, a, sizeof(a));
        if (a[0])
            return D_CS_REP_MOFFS;
    }
    if (in->desc->form & OPF_SIMD) {
        /* the same instruction with only its mandatory prefix, once */
        n = 0;
        if (in->prefixes & PFX_OPSZ)
            tmp[n++] = 0x66;
        if (in->rep)
            tmp[n++] = in->rep == PFX_REPNE ? 0xf2 : 0xf3;
        unsigned i = 0;
        while (i < len && is_prefix_byte(buf[i]))
            i++;
        for (; i < len; i++)
            tmp[n++] = buf[i];
        cs_text(h, tmp, n, a, sizeof(a));
        if (!a[0])
            cs_text(h32, tmp, n, a, sizeof(a));
        if (a[0])
            return D_CS_SSE_PREFIXES;
    }
    return -1;
}

/* Compare one byte string; returns false on a mismatch (message in err). */
static bool compare_one(csh h, csh h32, const uint8_t *buf, unsigned len, unsigned mode, struct stats *st,
                        char *err, size_t errn)
{
    struct insn in;
    int ours = decode_insn(buf, len, mode, &in);
    bool ours_valid = ours > 0 && in.desc != &op_desc_ud && !raises_ud(&in, mode);
    cs_insn *ci = NULL;
    size_t n = cs_disasm(h, buf, len, 0x1000, 1, &ci);
    bool theirs_valid = n == 1;
    if (ours_valid && is_known_difference(&in, mode)) {
        st->known++;
        if (n)
            cs_free(ci, n);
        return true;
    }
    char hex[64];
    if (!ours_valid || !theirs_valid) {
        int cls = -1;
        if (ours_valid) {
            st->ours_only++;
            cls = classify_ours(h, h32, buf, len, mode, &in);
        } else if (theirs_valid) {
            st->theirs_only++;
            cls = classify_theirs(h, h32, buf, len, mode, ci);
        } else {
            st->both_invalid++;
        }
        bool ok = true;
        if (cls >= 0) {
            st->listed[cls]++;
        } else if (ours_valid || theirs_valid) {
            hexdump(hex, sizeof(hex), buf, ours_valid ? (unsigned)ours : ci->size);
            snprintf(err, errn, "%s mode: %s: valid only for %s%s%s%s (no listed reason)",
                     mode_name(mode), hex, ours_valid ? "softvm" : "capstone",
                     theirs_valid ? " (" : "", theirs_valid ? ci->mnemonic : "", theirs_valid ? ")" : "");
            ok = false;
        }
        if (n)
            cs_free(ci, n);
        return ok;
    }
    hexdump(hex, sizeof(hex), buf, ours > (int)ci->size ? (unsigned)ours : ci->size);
    bool ok = true;
    if ((int)ci->size != ours) {
        snprintf(err, errn, "%s mode: %s: length %d, capstone %u (%s %s)", mode_name(mode), hex,
                 ours, ci->size, ci->mnemonic, ci->op_str);
        ok = false;
    } else if (in.has_modrm && in.mod != 3) {
        /* the first memory operand Capstone reports */
        const cs_x86 *x = &ci->detail->x86;
        for (int i = 0; i < x->op_count; i++) {
            if (x->operands[i].type != X86_OP_MEM)
                continue;
            const x86_op_mem *m = &x->operands[i].mem;
            uint64_t dmask = in.addrsize == 8 ? ~0ull : in.addrsize == 4 ? 0xffffffffu : 0xffffu;
            bool same = m->base == reg_id(in.base, in.addrsize) && m->index == reg_id(in.index, in.addrsize) &&
                        ((uint64_t)m->disp & dmask) == ((uint64_t)in.disp & dmask) &&
                        (in.index < 0 || m->scale == (1 << in.scale));
            /* Capstone names the segment only when a prefix overrides it */
            if ((in.prefixes & PFX_SEG) && m->segment != X86_REG_INVALID && m->segment != seg_id(in.seg))
                same = false;
            if (!same) {
                snprintf(err, errn, "%s mode: %s: operand base %d index %d scale %d disp %x seg %d vs capstone %s %s",
                         mode_name(mode), hex, in.base, in.index, in.scale, (unsigned)in.disp,
                         in.seg, ci->mnemonic, ci->op_str);
                ok = false;
            }
            break;
        }
    }
    st->compared++;
    cs_free(ci, n);
    return ok;
}

static void run_mode(cs_mode cmode, unsigned mode)
{
    csh h, h32;
    cr_assert_eq(cs_open(CS_ARCH_X86, cmode, &h), CS_ERR_OK);
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    cr_assert_eq(cs_open(CS_ARCH_X86, CS_MODE_32, &h32), CS_ERR_OK);
    struct stats st = { 0 };
    char err[512];
    int failures = 0;
    code64_now = mode & DECODE_CODE64;

    /* Random byte strings, biased to start with prefixes and 0F. */
    for (int i = 0; i < 200000; i++) {
        uint8_t buf[16];
        for (int j = 0; j < 16; j++)
            buf[j] = (uint8_t)rnd();
        static const uint8_t lead[] = { 0x66, 0x67, 0x0f, 0xf3, 0xf2, 0x26, 0x64, 0x2e };
        static const uint8_t rex[] = { 0x40, 0x41, 0x44, 0x48, 0x49, 0x4c, 0x4f, 0x42 };
        int k = rnd() % 4;
        for (int j = 0; j < k; j++)
            buf[j] = lead[rnd() % sizeof(lead)];
        if (code64_now && (rnd() & 1)) {
            /* a REX right before the opcode: shift the rest up */
            memmove(buf + k + 1, buf + k, 15 - k);
            buf[k] = rex[rnd() % sizeof(rex)];
        }
        if (!compare_one(h, h32, buf, 16, mode, &st, err, sizeof(err)) && failures++ < 20)
            cr_log_error("%s", err);
    }

    /* Every opcode of both maps with every prefix combination, a set of
     * ModRM/SIB bytes and fixed trailing bytes. */
    static const uint8_t prefix_sets[][3] = {
        { 0 }, { 1, 0x66 }, { 1, 0x67 }, { 2, 0x66, 0x67 }, { 1, 0xf3 }, { 1, 0xf2 },
        { 1, 0x26 }, { 1, 0x2e }, { 1, 0x36 }, { 1, 0x3e }, { 1, 0x64 }, { 1, 0x65 },
        { 2, 0xf3, 0x66 }, { 2, 0x3e, 0x67 },
        /* REX (64-bit mode only; elsewhere 40-4F are INC/DEC) */
        { 1, 0x48 }, { 1, 0x41 }, { 1, 0x44 }, { 1, 0x42 }, { 1, 0x4f }, { 1, 0x40 }, { 2, 0x66, 0x48 },
        { 2, 0x67, 0x41 },
    };
    static const uint8_t modrms[] = { 0x00, 0x04, 0x05, 0x06, 0x0c, 0x44, 0x46, 0x84, 0x86, 0x85, 0xc0, 0xd1,
                                      0xf8, 0x3c, 0x7d, 0xbc, 0x15, 0x25, 0x2d, 0xe5 };
    static const uint8_t sibs[] = { 0x00, 0x24, 0x25, 0x65, 0xe5, 0x9d };
    for (size_t p = 0; p < sizeof(prefix_sets) / sizeof(prefix_sets[0]); p++) {
        bool has_rex = false;
        for (int j = 0; j < prefix_sets[p][0]; j++)
            has_rex |= (prefix_sets[p][1 + j] & 0xf0) == 0x40;
        if (has_rex && !code64_now)
            continue;
        for (int op = 0; op < 512; op++) {
            for (size_t m = 0; m < sizeof(modrms); m++) {
                for (size_t s = 0; s < sizeof(sibs); s++) {
                    uint8_t buf[16];
                    unsigned n = 0;
                    for (int j = 0; j < prefix_sets[p][0]; j++)
                        buf[n++] = prefix_sets[p][1 + j];
                    if (op >= 0x100)
                        buf[n++] = 0x0f;
                    buf[n++] = (uint8_t)op;
                    buf[n++] = modrms[m];
                    buf[n++] = sibs[s];
                    while (n < 16)
                    { buf[n] = (uint8_t)(0x11 * n); n++; }
                    if (!compare_one(h, h32, buf, 16, mode, &st, err, sizeof(err)) && failures++ < 20)
                        cr_log_error("%s", err);
                }
            }
        }
    }
    cs_close(&h);
    cs_close(&h32);
    for (int d = 0; d < D_COUNT; d++)
        printf("  listed validity disagreement: %7llu  %s\n", (unsigned long long)st.listed[d],
               disagreement_reason[d]);
    printf("decoder vs capstone (%s-bit): %llu compared, %llu only softvm valid, %llu only capstone valid, "
           "%llu neither, %llu known differences; %d mismatches\n",
           mode_name(mode), (unsigned long long)st.compared, (unsigned long long)st.ours_only,
           (unsigned long long)st.theirs_only, (unsigned long long)st.both_invalid, (unsigned long long)st.known,
           failures);
    cr_assert_eq(failures, 0, "%d mismatches with Capstone", failures);
    cr_assert_gt(st.compared, 100000);
}

Test(cpu_decode, capstone_32bit, .timeout = 300) { run_mode(CS_MODE_32, DECODE_CODE32 | DECODE_PM); }
Test(cpu_decode, capstone_16bit, .timeout = 300) { run_mode(CS_MODE_16, DECODE_PM); }
Test(cpu_decode, capstone_64bit, .timeout = 300) { run_mode(CS_MODE_64, DECODE_CODE64 | DECODE_PM); }

/* Specific decoder rules. */
Test(cpu_decode, rules)
{
    struct insn in;
    /* 15 bytes are fine, 16 are #GP */
    uint8_t b15[16] = { 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x05, 1, 2, 0, 0 };
    cr_assert_eq(decode_insn(b15, 16, DECODE_CODE32, &in), 14);
    uint8_t b16[16];
    memset(b16, 0x26, 16);
    cr_assert_eq(decode_insn(b16, 16, 0, &in), DECODE_TOO_LONG);
    /* last segment override wins; F2/F3: the last one */
    uint8_t seg[] = { 0x26, 0x64, 0x8b, 0x00 };
    cr_assert_eq(decode_insn(seg, sizeof(seg), DECODE_CODE32, &in), 4);
    cr_assert_eq(in.seg, SEG_FS);
    uint8_t rep[] = { 0xf3, 0xf2, 0xa6 };
    decode_insn(rep, sizeof(rep), DECODE_CODE32, &in);
    cr_assert_eq(in.rep, PFX_REPNE);
    /* LOCK: allowed on ADD [mem], #UD on ADD reg and on MOV */
    uint8_t lk1[] = { 0xf0, 0x01, 0x00 }, lk2[] = { 0xf0, 0x01, 0xc0 }, lk3[] = { 0xf0, 0x89, 0x00 };
    decode_insn(lk1, 3, DECODE_CODE32, &in);
    cr_assert_neq(in.desc, &op_desc_ud);
    decode_insn(lk2, 3, DECODE_CODE32, &in);
    cr_assert_eq(in.desc, &op_desc_ud);
    decode_insn(lk3, 3, DECODE_CODE32, &in);
    cr_assert_eq(in.desc, &op_desc_ud);
    /* 16-bit addressing: [bp+si+disp8] defaults to SS */
    uint8_t a16[] = { 0x8b, 0x42, 0x10 };
    decode_insn(a16, 3, 0, &in);
    cr_assert_eq(in.seg, SEG_SS);
    cr_assert_eq(in.base, R_EBP);
    cr_assert_eq(in.index, R_ESI);
    cr_assert_eq(in.disp, 0x10);
    /* SIB with EBP base and mod 0: disp32, no base, DS */
    uint8_t sib[] = { 0x8b, 0x04, 0xad, 0x78, 0x56, 0x34, 0x12 };
    cr_assert_eq(decode_insn(sib, sizeof(sib), DECODE_CODE32, &in), 7);
    cr_assert_eq(in.base, -1);
    cr_assert_eq(in.index, R_EBP);
    cr_assert_eq(in.scale, 2);
    cr_assert_eq(in.seg, SEG_DS);
    cr_assert_eq((uint32_t)in.disp, 0x12345678u);
    /* MOV CR0, EAX ignores mod: 0F 22 00 is 3 bytes */
    uint8_t mcr[] = { 0x0f, 0x22, 0x00, 0x00, 0x00, 0x00, 0x00 };
    cr_assert_eq(decode_insn(mcr, sizeof(mcr), DECODE_CODE32, &in), 3);
    /* LAR is #UD in real mode, valid in protected mode */
    uint8_t lar[] = { 0x0f, 0x02, 0xc0 };
    decode_insn(lar, 3, 0, &in);
    cr_assert_eq(in.desc, &op_desc_ud);
    decode_insn(lar, 3, DECODE_PM, &in);
    cr_assert_neq(in.desc, &op_desc_ud);
    /* truncated input asks for more */
    uint8_t part[] = { 0x66, 0x0f };
    cr_assert_eq(decode_insn(part, 2, 0, &in), DECODE_NEED_MORE);
}
