/*
 * test_cpu_decode.c - the table-driven decoder (cpu/decode.c) against
 * Capstone in 16- and 32-bit modes: random byte strings and every opcode
 * with every prefix combination must agree on the instruction length and on
 * the ModRM memory operand (base, index, scale, displacement, segment).
 *
 * Only encodings both sides accept are compared: softvm models an i686 and
 * rejects (#UD) later extensions Capstone decodes (VEX, SSE3+, 3DNow!,
 * VMX, MPX, ...), and Capstone 4 accepts some encodings an i686 rejects
 * (LOCK on anything, undefined group rows). Those are counted, not compared.
 *
 * Intentional differences where both accept (skipped by is_known_difference):
 * - 66 with F2/F3 on CALL/JMP rel (E8/E9): Capstone 4 takes F2 as an MPX
 *   BND prefix and drops the 66, decoding rel32; the processor applies 66
 *   (rel16), as SDM Vol. 2A 2.1.1 says prefixes of different groups combine.
 */
#include <stdio.h>
#include <string.h>
#include <capstone/capstone.h>
#include <criterion/criterion.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/optable.h"

struct stats {
    uint64_t compared, ours_only, theirs_only, both_invalid, known;
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
    static const x86_reg r32[8] = { X86_REG_EAX, X86_REG_ECX, X86_REG_EDX, X86_REG_EBX,
                                    X86_REG_ESP, X86_REG_EBP, X86_REG_ESI, X86_REG_EDI };
    static const x86_reg r16[8] = { X86_REG_AX, X86_REG_CX, X86_REG_DX, X86_REG_BX,
                                    X86_REG_SP, X86_REG_BP, X86_REG_SI, X86_REG_DI };
    if (r < 0)
        return X86_REG_INVALID;
    return addrsize == 4 ? r32[r] : r16[r];
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
    return (mode & DECODE_CODE32) && (in->opcode == 0xe8 || in->opcode == 0xe9) && in->rep &&
           (in->prefixes & PFX_OPSZ);
}

/* Compare one byte string; returns false on a mismatch (message in err). */
static bool compare_one(csh h, const uint8_t *buf, unsigned len, unsigned mode, struct stats *st, char *err,
                        size_t errn)
{
    struct insn in;
    int ours = decode_insn(buf, len, mode, &in);
    bool ours_valid = ours > 0 && in.desc != &op_desc_ud;
    cs_insn *ci = NULL;
    size_t n = cs_disasm(h, buf, len, 0x1000, 1, &ci);
    bool theirs_valid = n == 1;
    if (ours_valid && is_known_difference(&in, mode)) {
        st->known++;
        if (n)
            cs_free(ci, n);
        return true;
    }
    if (!ours_valid || !theirs_valid) {
        if (ours_valid)
            st->ours_only++;
        else if (theirs_valid)
            st->theirs_only++;
        else
            st->both_invalid++;
        if (n)
            cs_free(ci, n);
        return true;
    }
    char hex[64];
    hexdump(hex, sizeof(hex), buf, ours > (int)ci->size ? (unsigned)ours : ci->size);
    bool ok = true;
    if ((int)ci->size != ours) {
        snprintf(err, errn, "%s mode: %s: length %d, capstone %u (%s %s)", mode & DECODE_CODE32 ? "32" : "16", hex,
                 ours, ci->size, ci->mnemonic, ci->op_str);
        ok = false;
    } else if (in.has_modrm && in.mod != 3) {
        /* the first memory operand Capstone reports */
        const cs_x86 *x = &ci->detail->x86;
        for (int i = 0; i < x->op_count; i++) {
            if (x->operands[i].type != X86_OP_MEM)
                continue;
            const x86_op_mem *m = &x->operands[i].mem;
            uint32_t dmask = in.addrsize == 4 ? 0xffffffffu : 0xffffu;
            bool same = m->base == reg_id(in.base, in.addrsize) && m->index == reg_id(in.index, in.addrsize) &&
                        ((uint32_t)m->disp & dmask) == ((uint32_t)in.disp & dmask) &&
                        (in.index < 0 || m->scale == (1 << in.scale));
            /* Capstone names the segment only when a prefix overrides it */
            if ((in.prefixes & PFX_SEG) && m->segment != X86_REG_INVALID && m->segment != seg_id(in.seg))
                same = false;
            if (!same) {
                snprintf(err, errn, "%s mode: %s: operand base %d index %d scale %d disp %x seg %d vs capstone %s %s",
                         mode & DECODE_CODE32 ? "32" : "16", hex, in.base, in.index, in.scale, (unsigned)in.disp,
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
    csh h;
    cr_assert_eq(cs_open(CS_ARCH_X86, cmode, &h), CS_ERR_OK);
    cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
    struct stats st = { 0 };
    char err[512];
    int failures = 0;

    /* Random byte strings, biased to start with prefixes and 0F. */
    for (int i = 0; i < 200000; i++) {
        uint8_t buf[16];
        for (int j = 0; j < 16; j++)
            buf[j] = (uint8_t)rnd();
        static const uint8_t lead[] = { 0x66, 0x67, 0x0f, 0xf3, 0xf2, 0x26, 0x64, 0x2e };
        int k = rnd() % 4;
        for (int j = 0; j < k; j++)
            buf[j] = lead[rnd() % sizeof(lead)];
        if (!compare_one(h, buf, 16, mode, &st, err, sizeof(err)) && failures++ < 20)
            cr_log_error("%s", err);
    }

    /* Every opcode of both maps with every prefix combination, a set of
     * ModRM/SIB bytes and fixed trailing bytes. */
    static const uint8_t prefix_sets[][3] = {
        { 0 }, { 1, 0x66 }, { 1, 0x67 }, { 2, 0x66, 0x67 }, { 1, 0xf3 }, { 1, 0xf2 },
        { 1, 0x26 }, { 1, 0x2e }, { 1, 0x36 }, { 1, 0x3e }, { 1, 0x64 }, { 1, 0x65 },
        { 2, 0xf3, 0x66 }, { 2, 0x3e, 0x67 },
    };
    static const uint8_t modrms[] = { 0x00, 0x04, 0x05, 0x06, 0x0c, 0x44, 0x46, 0x84, 0x86, 0x85, 0xc0, 0xd1,
                                      0xf8, 0x3c, 0x7d, 0xbc, 0x15, 0x25, 0x2d, 0xe5 };
    static const uint8_t sibs[] = { 0x00, 0x24, 0x25, 0x65, 0xe5, 0x9d };
    for (size_t p = 0; p < sizeof(prefix_sets) / sizeof(prefix_sets[0]); p++) {
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
                    if (!compare_one(h, buf, 16, mode, &st, err, sizeof(err)) && failures++ < 20)
                        cr_log_error("%s", err);
                }
            }
        }
    }
    cs_close(&h);
    printf("decoder vs capstone (%s-bit): %llu compared, %llu only softvm valid, %llu only capstone valid, "
           "%llu neither, %llu known differences; %d mismatches\n",
           mode & DECODE_CODE32 ? "32" : "16", (unsigned long long)st.compared, (unsigned long long)st.ours_only,
           (unsigned long long)st.theirs_only, (unsigned long long)st.both_invalid, (unsigned long long)st.known,
           failures);
    cr_assert_eq(failures, 0, "%d mismatches with Capstone", failures);
    cr_assert_gt(st.compared, 100000);
}

Test(cpu_decode, capstone_32bit, .timeout = 300) { run_mode(CS_MODE_32, DECODE_CODE32 | DECODE_PM); }
Test(cpu_decode, capstone_16bit, .timeout = 300) { run_mode(CS_MODE_16, DECODE_PM); }

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
