/*
 * decode.c - prefixes, opcode, ModRM/SIB/displacement and immediates
 * (SDM Vol. 2A 2.1-2.2, tables 2-1..2-3), driven by cpu/optable.c.
 *
 * Prefix rules: segment overrides and F2/F3 are "last one wins" (what Intel
 * processors do with repeated prefixes of one group); 66 and 67 toggle the
 * default size once however often they appear.
 */
#include "cpu/decode.h"
#include "cpu/cpu.h"
#include "cpu/optable.h"
#include "memory/mmu.h"

struct reader {
    const uint8_t *buf;
    unsigned avail, pos;
};

/* false when the buffer has run out */
static inline bool rd_u8(struct reader *r, uint32_t *v)
{
    if (r->pos >= r->avail)
        return false;
    *v = r->buf[r->pos++];
    return true;
}

static inline bool rd_n(struct reader *r, int n, uint64_t *v)
{
    if (r->pos + n > r->avail)
        return false;
    uint64_t x = 0;
    for (int i = 0; i < n; i++)
        x |= (uint64_t)r->buf[r->pos + i] << (8 * i);
    r->pos += n;
    *v = x;
    return true;
}

/* 16-bit addressing forms (SDM Vol. 2A table 2-1): base, index. */
static const int8_t modrm16_base[8] = { R_EBX, R_EBX, R_EBP, R_EBP, R_ESI, R_EDI, R_EBP, R_EBX };
static const int8_t modrm16_index[8] = { R_ESI, R_EDI, R_ESI, R_EDI, -1, -1, -1, -1 };

/* ModRM, SIB and displacement. reg and rm are the raw 3-bit fields here
 * (the caller extends them by REX once it knows the row); base and index
 * are extended by REX.B/REX.X (SDM Vol. 2A 2.2.1.2). */
static bool decode_modrm(struct reader *r, struct insn *in, int *default_seg, bool code64)
{
    uint32_t m;
    if (!rd_u8(r, &m))
        return false;
    in->has_modrm = true;
    in->modrm = m;
    in->mod = m >> 6;
    in->reg = (m >> 3) & 7;
    in->rm = m & 7;
    in->base = in->index = -1;
    in->scale = 0;
    in->disp = 0;
    *default_seg = SEG_DS;
    if (in->mod == 3)
        return true;

    uint64_t d;
    if (in->addrsize == 2) {
        if (in->mod == 0 && in->rm == 6) {
            if (!rd_n(r, 2, &d))
                return false;
            in->disp = (int16_t)d;
            return true;
        }
        in->base = modrm16_base[in->rm];
        in->index = modrm16_index[in->rm];
        if (in->base == R_EBP)
            *default_seg = SEG_SS;
        if (in->mod == 1) {
            if (!rd_n(r, 1, &d))
                return false;
            in->disp = (int8_t)d;
        } else if (in->mod == 2) {
            if (!rd_n(r, 2, &d))
                return false;
            in->disp = (int16_t)d;
        }
        return true;
    }

    /* 32/64-bit addressing (table 2-2, 2-3; 2-7 for RIP-relative). */
    int rex_b = (in->rex & REX_B) ? 8 : 0;
    bool disp32 = in->mod == 2;
    if (in->rm == 4) {
        uint32_t sib;
        if (!rd_u8(r, &sib))
            return false;
        in->scale = sib >> 6;
        int idx = ((sib >> 3) & 7) | ((in->rex & REX_X) ? 8 : 0), base = sib & 7;
        in->index = idx == 4 ? -1 : idx;
        if (base == 5 && in->mod == 0) {
            disp32 = true;
        } else {
            in->base = base | rex_b;
        }
    } else if (in->rm == 5 && in->mod == 0) {
        disp32 = true;
        if (code64)
            in->base = INSN_BASE_RIP;
    } else {
        in->base = in->rm | rex_b;
    }
    if (in->base == R_ESP || in->base == R_EBP)
        *default_seg = SEG_SS;
    if (in->mod == 1) {
        if (!rd_n(r, 1, &d))
            return false;
        in->disp = (int8_t)d;
    } else if (disp32) {
        if (!rd_n(r, 4, &d))
            return false;
        in->disp = (int32_t)d;
    }
    return true;
}

/* A byte-register operand number: with a REX prefix, 4-7 are SPL..DIL
 * (renumbered REG8_REX + 4..7, cpu/ops.h), else AH..BH. */
static inline uint8_t byte_reg(const struct insn *in, unsigned r)
{
    return ((in->prefixes & PFX_REX) && r >= 4 && r < 8) ? (uint8_t)(r + 16) : (uint8_t)r;
}

int decode_insn(const uint8_t *buf, unsigned avail, unsigned mode, struct insn *in)
{
    struct reader r = { buf, avail > X86_MAX_INSN_LEN ? X86_MAX_INSN_LEN : avail, 0 };
    bool code64 = mode & DECODE_CODE64;
    bool code32 = mode & DECODE_CODE32;
    uint8_t pfx = 0, rep = 0, rex = 0;
    int seg_override = -1;
    uint32_t b;

    /* Prefixes. In 64-bit mode 40-4F are REX, which counts only right
     * before the opcode; a CS/SS/DS/ES override is recorded (the last
     * segment prefix wins, as in QEMU) but gives no base there (access.c). */
    for (;;) {
        if (!rd_u8(&r, &b))
            return avail >= X86_MAX_INSN_LEN ? DECODE_TOO_LONG : DECODE_NEED_MORE;
        if (code64 && (b & 0xf0) == 0x40) {
            rex = (uint8_t)(b | 0x40);
            continue;
        }
        switch (b) {
        case 0x26: seg_override = SEG_ES; rex = 0; continue;
        case 0x2e: seg_override = SEG_CS; rex = 0; continue;
        case 0x36: seg_override = SEG_SS; rex = 0; continue;
        case 0x3e: seg_override = SEG_DS; rex = 0; continue;
        case 0x64: seg_override = SEG_FS; rex = 0; continue;
        case 0x65: seg_override = SEG_GS; rex = 0; continue;
        case 0x66: pfx |= PFX_OPSZ; rex = 0; continue;
        case 0x67: pfx |= PFX_ADSZ; rex = 0; continue;
        case 0xf0: pfx |= PFX_LOCK; rex = 0; continue;
        case 0xf2: pfx |= PFX_REPNE; rep = PFX_REPNE; rex = 0; continue;
        case 0xf3: pfx |= PFX_REP; rep = PFX_REP; rex = 0; continue;
        }
        break;
    }
    uint32_t opcode = b;
    if (b == 0x0f) {
        if (!rd_u8(&r, &b))
            return avail >= X86_MAX_INSN_LEN ? DECODE_TOO_LONG : DECODE_NEED_MORE;
        opcode = 0x100 | b;
    }

    in->opcode = opcode;
    in->prefixes = pfx | (seg_override >= 0 ? PFX_SEG : 0) | (rex ? PFX_REX : 0);
    in->rex = rex & 0xf;
    in->rep = rep;
    if (code64) {
        in->opsize = (rex & REX_W) ? 8 : (pfx & PFX_OPSZ) ? 2 : 4;
        in->addrsize = (pfx & PFX_ADSZ) ? 4 : 8;
    } else {
        in->opsize = (code32 != !!(pfx & PFX_OPSZ)) ? 4 : 2;
        in->addrsize = (code32 != !!(pfx & PFX_ADSZ)) ? 4 : 2;
    }
    in->has_modrm = false;
    in->modrm = in->mod = in->reg = in->rm = 0;
    in->base = in->index = -1;
    in->scale = 0;
    in->disp = 0;
    in->imm = in->imm2 = 0;

    const struct op_desc *d = &op_table[opcode];
    if (code64 && d->alt64)
        d = d->alt64;
    /* 90 with REX.B is XCHG r8, rAX, not NOP (SDM Vol. 2B "XCHG") */
    if (opcode == 0x90 && (rex & REX_B))
        d = &op_table[0x91];
    uint32_t form = d->form;
    uint32_t x64 = d->x64;      /* a group's row adds its own to the opcode's */
    int default_seg = SEG_DS;
    bool ud = form & OPF_INVALID;
    bool grouped = false;

    if (form & OPF_MODRM_ANY) {
        /* MOV to/from CRn/DRn: the r/m field is always a register, whatever
         * mod says (SDM Vol. 2B "MOV-Move to/from Control Registers") */
        if (!rd_u8(&r, &b))
            goto short_buf;
        in->has_modrm = true;
        in->modrm = b;
        in->mod = 3;
        in->reg = (b >> 3) & 7;
        in->rm = b & 7;
    } else if (form & OPF_MODRM) {
        if (!decode_modrm(&r, in, &default_seg, code64))
            goto short_buf;
        if (form & OPF_GROUP) {
            int row = in->reg;
            if ((form & OPF_GROUP_MOD) && in->mod == 3)
                row += 8;
            d = &d->group[row];
            form = (form & ~(OPF_GROUP | OPF_GROUP_MOD)) | d->form;
            x64 |= d->x64;
            ud = ud || (d->form & OPF_INVALID);
            grouped = true;
        }
    }
    if (rex) {
        /* REX.R extends reg where it names a register (not a group's
         * opcode extension, not x87); REX.B extends a register r/m. */
        bool fpu = form & OPF_FPU;
        if ((rex & REX_R) && !grouped && !fpu)
            in->reg |= 8;
        if ((rex & REX_B) && in->mod == 3 && in->has_modrm && !fpu)
            in->rm |= 8;
        if (form & OPF_BYTE) {
            if (in->mod == 3)
                in->rm = byte_reg(in, in->rm);
            if (!grouped && !(form & OPF_RM8))
                in->reg = byte_reg(in, in->reg);
        }
    }
    if (form & OPF_OPREG) {
        unsigned rr = (opcode & 7) | ((rex & REX_B) ? 8 : 0);
        in->rm = (form & OPF_BYTE) ? byte_reg(in, rr) : (uint8_t)rr;
    }
    if (code64) {
        if (x64 & X64_F64)
            in->opsize = 8;
        else if ((x64 & X64_D64) && in->opsize == 4)
            in->opsize = 8;
        if (x64 & X64_I64)
            ud = true;
    } else if (x64 & X64_O64) {
        ud = true;
    }
    in->seg = seg_override >= 0 ? seg_override : default_seg;
    in->size = (form & OPF_BYTE) ? 1 : in->opsize;

    /* Immediates: imm32 sign-extended for 64-bit operands; REL8/RELZ
     * sign-extended to 64 bits in 64-bit mode (else to 32, zero above). */
    uint64_t v;
    if (form & (OPF_IMM8 | OPF_IMM8S | OPF_REL8)) {
        if (!rd_n(&r, 1, &v))
            goto short_buf;
        if (form & OPF_IMM8)
            in->imm = v;
        else if (in->opsize == 8 || (code64 && (form & OPF_REL8)))
            in->imm = (uint64_t)(int64_t)(int8_t)v;
        else
            in->imm = (uint32_t)(int32_t)(int8_t)v;
    } else if (form & (OPF_IMMZ | OPF_RELZ)) {
        int n = (form & OPF_BYTE) ? 1 : in->opsize;
        if (n == 8 && !(x64 & X64_IMM64))
            n = 4;
        if (!rd_n(&r, n, &v))
            goto short_buf;
        if (n == 2 && (form & OPF_RELZ))
            v = (uint32_t)(int32_t)(int16_t)v;
        else if (n == 4 && (in->opsize == 8 || (code64 && (form & OPF_RELZ))))
            v = (uint64_t)(int64_t)(int32_t)v;
        in->imm = v;
    } else if (form & OPF_IMM16) {
        if (!rd_n(&r, 2, &v))
            goto short_buf;
        in->imm = v;
    } else if (form & OPF_ENTER) {
        if (!rd_n(&r, 2, &v))
            goto short_buf;
        in->imm = v;
        if (!rd_n(&r, 1, &v))
            goto short_buf;
        in->imm2 = (uint32_t)v;
    } else if (form & OPF_FARPTR) {
        if (!rd_n(&r, in->opsize, &v))
            goto short_buf;
        in->imm = v;
        if (!rd_n(&r, 2, &v))
            goto short_buf;
        in->imm2 = (uint32_t)v;
    } else if (form & OPF_MOFFS) {
        if (!rd_n(&r, in->addrsize, &v))
            goto short_buf;
        in->disp = in->addrsize == 8 ? (int64_t)v : (int32_t)v;
    }

    /* Validity (SDM Vol. 2A 2.1.1: LOCK only on the listed read-modify-write
     * forms with a memory destination). */
    if ((pfx & PFX_LOCK) && (!(form & OPF_LOCK) || in->mod == 3 || !in->has_modrm))
        ud = true;
    if ((form & OPF_MEM) && in->mod == 3)
        ud = true;
    if ((form & OPF_PM) && !(mode & DECODE_PM))
        ud = true;
    if (!d->fn)           /* rows the table leaves empty are undefined */
        ud = true;

    in->desc = ud ? &op_desc_ud : d;
    in->len = r.pos;
    in->ckpt = ud || !((form & OPF_PRECISE)
                       || ((form & OPF_PRECISE_REG) && (!in->has_modrm || in->mod == 3)));
    return r.pos;

short_buf:
    return avail >= X86_MAX_INSN_LEN ? DECODE_TOO_LONG : DECODE_NEED_MORE;
}

unsigned decode_mode(const struct cpu *cpu)
{
    unsigned m = 0;
    if (cpu->seg[SEG_CS].flags & SEGF_DB)
        m |= DECODE_CODE32;
    if (cpu_code64(cpu))
        m |= DECODE_CODE64;
    if ((cpu->cr0 & CR0_PE) && !(cpu->rflags & EFLAGS_VM))
        m |= DECODE_PM;
    return m;
}

/* Fetch byte `i` of the instruction at CS:eip: #GP(0) past the CS limit. */
static uint8_t fetch_byte(struct cpu *cpu, uint64_t eip, unsigned i)
{
    const struct segment *cs = &cpu->seg[SEG_CS];
    if (cpu_code64(cpu)) {
        uint64_t lin = eip + i;             /* 64-bit code: no limit, CS base 0 */
        if (!addr_canonical(lin))
            cpu_raise(cpu, EXC_GP, true, 0);
        return mmu_fetch8(cpu, lin);
    }
    uint32_t off = (uint32_t)(eip + i);     /* 16/32-bit code: the offset wraps */
    if (!(cs->flags & SEGF_DB))
        off &= 0xffff;
    if (off > cs->limit)
        cpu_raise(cpu, EXC_GP, true, 0);
    return mmu_fetch8(cpu, linear_addr(cpu, cs->base, off));
}

void decode_at(struct cpu *cpu, uint64_t eip, struct insn *in)
{
    uint8_t buf[X86_MAX_INSN_LEN];
    unsigned mode = decode_mode(cpu);
    unsigned n = 0;
    /* Fetch one more byte each time the decoder asks for it, so faults
     * happen only for bytes the instruction really has. */
    for (;;) {
        int len = decode_insn(buf, n, mode, in);
        if (len > 0) {
            in->rip = eip;
            return;
        }
        if (len == DECODE_TOO_LONG || n >= X86_MAX_INSN_LEN)
            cpu_raise(cpu, EXC_GP, true, 0);
        buf[n] = fetch_byte(cpu, eip, n);
        n++;
    }
}
