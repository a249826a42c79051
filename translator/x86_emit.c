/*
 * x86_emit.c - the x86-64 encoder (see x86_emit.h). Every instruction is
 * assembled in a small local buffer (legacy prefix, REX, opcode, ModRM,
 * SIB, displacement, immediate: SDM Vol. 2A 2.1) and then copied out, so a
 * full buffer never holds half an instruction.
 */
#include <string.h>

#include "translator/x86_emit.h"

struct enc {
    uint8_t b[16];
    int n;
};

static inline void put8(struct enc *c, uint8_t v) { c->b[c->n++] = v; }
static inline void put32(struct enc *c, uint32_t v)
{
    memcpy(&c->b[c->n], &v, 4);
    c->n += 4;
}

static void commit(struct x86_emit *e, const struct enc *c)
{
    if (e->overflow || e->len + (size_t)c->n > e->cap) {
        e->overflow = true;
        return;
    }
    memcpy(e->buf + e->len, c->b, (size_t)c->n);
    e->len += (size_t)c->n;
}

static inline bool fits8(int64_t v) { return v >= -128 && v <= 127; }
static inline bool fits32(int64_t v) { return v >= INT32_MIN && v <= INT32_MAX; }

/*
 * One instruction with a ModRM byte. reg is the ModRM.reg field (a register
 * or an opcode extension /digit); the r/m operand is the register rm when m
 * is NULL, else the memory operand *m. byte_reg / byte_rm say whether those
 * registers are 8-bit operands (registers 4-7 then need a REX prefix to mean
 * SPL..DIL). size 2 adds the 66 prefix, size 8 REX.W (when `w`).
 */
struct operands {
    int size;
    bool w;                 /* size 8 sets REX.W */
    int reg;
    bool byte_reg;
    int rm;                 /* register r/m when mem == NULL */
    bool byte_rm;
    const struct x86_mem *mem;
};

static void modrm_insn(struct x86_emit *e, const struct operands *o, const uint8_t *op, int oplen,
                       int imm_size, int64_t imm)
{
    struct enc c = { .n = 0 };
    if (o->size == 2)
        put8(&c, 0x66);
    unsigned rex = 0;
    if (o->size == 8 && o->w)
        rex |= 8;
    if (o->reg & 8)
        rex |= 4;
    bool force = o->byte_reg && o->reg >= 4 && o->reg < 8;
    const struct x86_mem *m = o->mem;
    if (m) {
        if (m->index != X86_NOREG && (m->index & 8))
            rex |= 2;
        if (m->base != X86_NOREG && (m->base & 8))
            rex |= 1;
    } else {
        if (o->rm & 8)
            rex |= 1;
        if (o->byte_rm && o->rm >= 4 && o->rm < 8)
            force = true;
    }
    if (rex || force)
        put8(&c, (uint8_t)(0x40 | rex));
    for (int i = 0; i < oplen; i++)
        put8(&c, op[i]);
    uint8_t regf = (uint8_t)((o->reg & 7) << 3);
    if (!m) {
        put8(&c, (uint8_t)(0xc0 | regf | (o->rm & 7)));
    } else if (m->base == X86_NOREG) {
        /* no base: SIB with base = 101 and mod = 00 means disp32 alone
         * (the ModRM rm = 101 form would be RIP-relative in 64-bit mode) */
        put8(&c, (uint8_t)(0x04 | regf));
        int idx = m->index == X86_NOREG ? 4 : (m->index & 7);
        int ss = m->scale == 8 ? 3 : m->scale == 4 ? 2 : m->scale == 2 ? 1 : 0;
        put8(&c, (uint8_t)((ss << 6) | (idx << 3) | 5));
        put32(&c, (uint32_t)m->disp);
    } else {
        int mod = (m->disp == 0 && (m->base & 7) != 5) ? 0 : fits8(m->disp) ? 1 : 2;
        bool sib = m->index != X86_NOREG || (m->base & 7) == 4;
        put8(&c, (uint8_t)((mod << 6) | regf | (sib ? 4 : (m->base & 7))));
        if (sib) {
            int idx = m->index == X86_NOREG ? 4 : (m->index & 7);
            int ss = m->scale == 8 ? 3 : m->scale == 4 ? 2 : m->scale == 2 ? 1 : 0;
            put8(&c, (uint8_t)((ss << 6) | (idx << 3) | (m->base & 7)));
        }
        if (mod == 1)
            put8(&c, (uint8_t)m->disp);
        else if (mod == 2)
            put32(&c, (uint32_t)m->disp);
    }
    if (imm_size == 1) {
        put8(&c, (uint8_t)imm);
    } else if (imm_size == 2) {
        put8(&c, (uint8_t)imm);
        put8(&c, (uint8_t)(imm >> 8));
    } else if (imm_size == 4) {
        put32(&c, (uint32_t)imm);
    }
    commit(e, &c);
}

static inline void rr(struct x86_emit *e, int size, uint8_t op, int reg, int rm, int imm_size, int64_t imm)
{
    struct operands o = { size, true, reg, size == 1, rm, size == 1, NULL };
    modrm_insn(e, &o, &op, 1, imm_size, imm);
}
static inline void rmem(struct x86_emit *e, int size, uint8_t op, int reg, struct x86_mem m, int imm_size,
                        int64_t imm)
{
    struct operands o = { size, true, reg, size == 1, 0, false, &m };
    modrm_insn(e, &o, &op, 1, imm_size, imm);
}
/* An opcode-extension form (/digit): the reg field is not a register. */
static inline void digit_r(struct x86_emit *e, int size, uint8_t op, int digit, int rm, int imm_size,
                           int64_t imm)
{
    struct operands o = { size, true, digit, false, rm, size == 1, NULL };
    modrm_insn(e, &o, &op, 1, imm_size, imm);
}
static inline void digit_m(struct x86_emit *e, int size, uint8_t op, int digit, struct x86_mem m,
                           int imm_size, int64_t imm)
{
    struct operands o = { size, true, digit, false, 0, false, &m };
    modrm_insn(e, &o, &op, 1, imm_size, imm);
}

/* A register encoded in the low opcode bits (B8+r, 50+r, C8+r). */
static void opreg_insn(struct x86_emit *e, int size, bool w, bool byte_reg, uint8_t op, int r,
                       int imm_size, uint64_t imm)
{
    struct enc c = { .n = 0 };
    if (size == 2)
        put8(&c, 0x66);
    unsigned rex = (size == 8 && w ? 8 : 0) | (r & 8 ? 1 : 0);
    if (rex || (byte_reg && r >= 4 && r < 8))
        put8(&c, (uint8_t)(0x40 | rex));
    put8(&c, (uint8_t)(op + (r & 7)));
    for (int i = 0; i < imm_size; i++)
        put8(&c, (uint8_t)(imm >> (8 * i)));
    commit(e, &c);
}

static void bytes(struct x86_emit *e, const uint8_t *b, int n)
{
    struct enc c = { .n = n };
    memcpy(c.b, b, (size_t)n);
    commit(e, &c);
}

static inline int imm_bytes(int size) { return size == 1 ? 1 : size == 2 ? 2 : 4; }

/* --- moves ------------------------------------------------------------------ */

void x86_mov_rr(struct x86_emit *e, int size, int dst, int src)
{
    rr(e, size, size == 1 ? 0x88 : 0x89, src, dst, 0, 0);
}

void x86_mov_ri(struct x86_emit *e, int size, int dst, uint64_t imm)
{
    switch (size) {
    case 1: opreg_insn(e, 1, false, true, 0xb0, dst, 1, imm); break;
    case 2: opreg_insn(e, 2, false, false, 0xb8, dst, 2, imm); break;
    case 4: opreg_insn(e, 4, false, false, 0xb8, dst, 4, imm); break;
    default:
        if (imm <= 0xffffffffu)
            opreg_insn(e, 4, false, false, 0xb8, dst, 4, imm);     /* zero-extends */
        else if (fits32((int64_t)imm))
            digit_r(e, 8, 0xc7, 0, dst, 4, (int64_t)imm);          /* sign-extends */
        else
            opreg_insn(e, 8, true, false, 0xb8, dst, 8, imm);      /* movabs */
        break;
    }
}

void x86_load(struct x86_emit *e, int size, int dst, struct x86_mem m)
{
    static const uint8_t movzx8[2] = { 0x0f, 0xb6 }, movzx16[2] = { 0x0f, 0xb7 };
    struct operands o = { 4, true, dst, false, 0, false, &m };
    if (size == 1) {
        modrm_insn(e, &o, movzx8, 2, 0, 0);
    } else if (size == 2) {
        modrm_insn(e, &o, movzx16, 2, 0, 0);
    } else {
        o.size = size;
        uint8_t op = 0x8b;
        modrm_insn(e, &o, &op, 1, 0, 0);
    }
}

void x86_load_sx(struct x86_emit *e, int size, int dst_size, int dst, struct x86_mem m)
{
    static const uint8_t movsx8[2] = { 0x0f, 0xbe }, movsx16[2] = { 0x0f, 0xbf };
    struct operands o = { dst_size, true, dst, false, 0, false, &m };
    if (size == 1) {
        modrm_insn(e, &o, movsx8, 2, 0, 0);
    } else if (size == 2) {
        modrm_insn(e, &o, movsx16, 2, 0, 0);
    } else {
        uint8_t op = 0x63;      /* MOVSXD r64, r/m32 */
        o.size = 8;
        modrm_insn(e, &o, &op, 1, 0, 0);
    }
}

void x86_store(struct x86_emit *e, int size, struct x86_mem m, int src)
{
    rmem(e, size, size == 1 ? 0x88 : 0x89, src, m, 0, 0);
}

void x86_store_imm(struct x86_emit *e, int size, struct x86_mem m, int32_t imm)
{
    digit_m(e, size, size == 1 ? 0xc6 : 0xc7, 0, m, imm_bytes(size), imm);
}

void x86_movzx_rr(struct x86_emit *e, int src_size, int dst, int src)
{
    uint8_t op[2] = { 0x0f, (uint8_t)(src_size == 1 ? 0xb6 : 0xb7) };
    struct operands o = { 4, true, dst, false, src, src_size == 1, NULL };
    modrm_insn(e, &o, op, 2, 0, 0);
}

void x86_movsx_rr(struct x86_emit *e, int src_size, int dst_size, int dst, int src)
{
    struct operands o = { dst_size, true, dst, false, src, src_size == 1, NULL };
    if (src_size == 4) {
        uint8_t op = 0x63;
        o.size = 8;
        modrm_insn(e, &o, &op, 1, 0, 0);
        return;
    }
    uint8_t op[2] = { 0x0f, (uint8_t)(src_size == 1 ? 0xbe : 0xbf) };
    modrm_insn(e, &o, op, 2, 0, 0);
}

void x86_lea(struct x86_emit *e, int size, int dst, struct x86_mem m)
{
    struct operands o = { size, true, dst, false, 0, false, &m };
    uint8_t op = 0x8d;
    modrm_insn(e, &o, &op, 1, 0, 0);
}

/* --- arithmetic ------------------------------------------------------------ */

void x86_alu_rr(struct x86_emit *e, enum x86_alu op, int size, int dst, int src)
{
    rr(e, size, (uint8_t)(op * 8 + (size == 1 ? 0 : 1)), src, dst, 0, 0);
}

void x86_alu_ri(struct x86_emit *e, enum x86_alu op, int size, int dst, int32_t imm)
{
    if (size == 1)
        digit_r(e, 1, 0x80, op, dst, 1, imm);
    else if (fits8(imm))
        digit_r(e, size, 0x83, op, dst, 1, imm);
    else
        digit_r(e, size, 0x81, op, dst, imm_bytes(size), imm);
}

void x86_alu_rm(struct x86_emit *e, enum x86_alu op, int size, int dst, struct x86_mem m)
{
    rmem(e, size, (uint8_t)(op * 8 + (size == 1 ? 2 : 3)), dst, m, 0, 0);
}

void x86_alu_mr(struct x86_emit *e, enum x86_alu op, int size, struct x86_mem m, int src)
{
    rmem(e, size, (uint8_t)(op * 8 + (size == 1 ? 0 : 1)), src, m, 0, 0);
}

void x86_alu_mi(struct x86_emit *e, enum x86_alu op, int size, struct x86_mem m, int32_t imm)
{
    if (size == 1)
        digit_m(e, 1, 0x80, op, m, 1, imm);
    else if (fits8(imm))
        digit_m(e, size, 0x83, op, m, 1, imm);
    else
        digit_m(e, size, 0x81, op, m, imm_bytes(size), imm);
}

void x86_test_rr(struct x86_emit *e, int size, int a, int b)
{
    rr(e, size, size == 1 ? 0x84 : 0x85, b, a, 0, 0);
}

void x86_test_ri(struct x86_emit *e, int size, int a, int32_t imm)
{
    digit_r(e, size, size == 1 ? 0xf6 : 0xf7, 0, a, imm_bytes(size), imm);
}

void x86_test_mi(struct x86_emit *e, int size, struct x86_mem m, int32_t imm)
{
    digit_m(e, size, size == 1 ? 0xf6 : 0xf7, 0, m, imm_bytes(size), imm);
}

void x86_inc_r(struct x86_emit *e, int size, int r) { digit_r(e, size, size == 1 ? 0xfe : 0xff, 0, r, 0, 0); }
void x86_dec_r(struct x86_emit *e, int size, int r) { digit_r(e, size, size == 1 ? 0xfe : 0xff, 1, r, 0, 0); }
void x86_inc_m(struct x86_emit *e, int size, struct x86_mem m)
{
    digit_m(e, size, size == 1 ? 0xfe : 0xff, 0, m, 0, 0);
}
void x86_not_r(struct x86_emit *e, int size, int r) { digit_r(e, size, size == 1 ? 0xf6 : 0xf7, 2, r, 0, 0); }
void x86_neg_r(struct x86_emit *e, int size, int r) { digit_r(e, size, size == 1 ? 0xf6 : 0xf7, 3, r, 0, 0); }

void x86_shift_ri(struct x86_emit *e, enum x86_shift op, int size, int r, uint8_t count)
{
    if (count == 1)
        digit_r(e, size, size == 1 ? 0xd0 : 0xd1, op, r, 0, 0);
    else
        digit_r(e, size, size == 1 ? 0xc0 : 0xc1, op, r, 1, count);
}

void x86_shift_rcl(struct x86_emit *e, enum x86_shift op, int size, int r)
{
    digit_r(e, size, size == 1 ? 0xd2 : 0xd3, op, r, 0, 0);
}

void x86_imul_rr(struct x86_emit *e, int size, int dst, int src)
{
    static const uint8_t op[2] = { 0x0f, 0xaf };
    struct operands o = { size, true, dst, false, src, false, NULL };
    modrm_insn(e, &o, op, 2, 0, 0);
}

void x86_setcc(struct x86_emit *e, enum x86_cc cc, int r8)
{
    uint8_t op[2] = { 0x0f, (uint8_t)(0x90 + cc) };
    struct operands o = { 1, false, 0, false, r8, true, NULL };
    modrm_insn(e, &o, op, 2, 0, 0);
}

void x86_cmovcc(struct x86_emit *e, enum x86_cc cc, int size, int dst, int src)
{
    uint8_t op[2] = { 0x0f, (uint8_t)(0x40 + cc) };
    struct operands o = { size, true, dst, false, src, false, NULL };
    modrm_insn(e, &o, op, 2, 0, 0);
}

void x86_bswap(struct x86_emit *e, int size, int r)
{
    struct enc c = { .n = 0 };
    unsigned rex = (size == 8 ? 8 : 0) | (r & 8 ? 1 : 0);
    if (rex)
        put8(&c, (uint8_t)(0x40 | rex));
    put8(&c, 0x0f);
    put8(&c, (uint8_t)(0xc8 + (r & 7)));
    commit(e, &c);
}

void x86_pushfq(struct x86_emit *e) { bytes(e, (const uint8_t[]){ 0x9c }, 1); }
void x86_popfq(struct x86_emit *e) { bytes(e, (const uint8_t[]){ 0x9d }, 1); }
void x86_lahf(struct x86_emit *e) { bytes(e, (const uint8_t[]){ 0x9f }, 1); }
void x86_sahf(struct x86_emit *e) { bytes(e, (const uint8_t[]){ 0x9e }, 1); }

void x86_xchg_rr(struct x86_emit *e, int size, int a, int b)
{
    rr(e, size, size == 1 ? 0x86 : 0x87, b, a, 0, 0);
}

/* --- stack and control flow ------------------------------------------------- */

void x86_push(struct x86_emit *e, int r) { opreg_insn(e, 4, false, false, 0x50, r, 0, 0); }
void x86_pop(struct x86_emit *e, int r) { opreg_insn(e, 4, false, false, 0x58, r, 0, 0); }
void x86_ret(struct x86_emit *e) { bytes(e, (const uint8_t[]){ 0xc3 }, 1); }
void x86_int3(struct x86_emit *e) { bytes(e, (const uint8_t[]){ 0xcc }, 1); }

void x86_call_r(struct x86_emit *e, int r)
{
    struct operands o = { 4, false, 2, false, r, false, NULL };
    uint8_t op = 0xff;
    modrm_insn(e, &o, &op, 1, 0, 0);
}

void x86_jmp_r(struct x86_emit *e, int r)
{
    struct operands o = { 4, false, 4, false, r, false, NULL };
    uint8_t op = 0xff;
    modrm_insn(e, &o, &op, 1, 0, 0);
}

void x86_jmp_m(struct x86_emit *e, struct x86_mem m)
{
    struct operands o = { 4, false, 4, false, 0, false, &m };
    uint8_t op = 0xff;
    modrm_insn(e, &o, &op, 1, 0, 0);
}

void x86_write_rel32(uint8_t *field, uintptr_t field_exec, const void *target)
{
    int64_t rel = (int64_t)((uintptr_t)target - (field_exec + 4));
    int32_t r32 = (int32_t)rel;
    memcpy(field, &r32, 4);
}

static size_t rel32_insn(struct x86_emit *e, const uint8_t *op, int oplen, const void *target)
{
    struct enc c = { .n = 0 };
    for (int i = 0; i < oplen; i++)
        put8(&c, op[i]);
    size_t field = e->len + (size_t)oplen;
    put32(&c, 0);
    commit(e, &c);
    if (e->overflow)
        return (size_t)-1;
    if (target)
        x86_patch_rel32(e, field, target);
    return field;
}

void x86_call_abs(struct x86_emit *e, const void *target)
{
    int64_t rel = (int64_t)((uintptr_t)target - (x86_here(e) + 5));
    if (fits32(rel)) {
        rel32_insn(e, (const uint8_t[]){ 0xe8 }, 1, target);
    } else {
        x86_mov_ri(e, 8, X86_RAX, (uintptr_t)target);
        x86_call_r(e, X86_RAX);
    }
}

size_t x86_jmp_rel32(struct x86_emit *e, const void *target)
{
    return rel32_insn(e, (const uint8_t[]){ 0xe9 }, 1, target);
}

size_t x86_jcc_rel32(struct x86_emit *e, enum x86_cc cc, const void *target)
{
    return rel32_insn(e, (const uint8_t[]){ 0x0f, (uint8_t)(0x80 + cc) }, 2, target);
}

void x86_patch_rel32(struct x86_emit *e, size_t at, const void *target)
{
    x86_write_rel32(e->buf + at, e->exec + at, target);
}

size_t x86_jmp_rel8(struct x86_emit *e)
{
    bytes(e, (const uint8_t[]){ 0xeb, 0 }, 2);
    return e->overflow ? (size_t)-1 : e->len - 1;
}

size_t x86_jcc_rel8(struct x86_emit *e, enum x86_cc cc)
{
    bytes(e, (const uint8_t[]){ (uint8_t)(0x70 + cc), 0 }, 2);
    return e->overflow ? (size_t)-1 : e->len - 1;
}

bool x86_patch_rel8_here(struct x86_emit *e, size_t at)
{
    if (e->overflow || at == (size_t)-1)
        return false;
    int64_t rel = (int64_t)e->len - (int64_t)(at + 1);
    if (!fits8(rel))
        return false;
    e->buf[at] = (uint8_t)rel;
    return true;
}

void x86_nop(struct x86_emit *e, int len)
{
    static const uint8_t nops[9][9] = {
        { 0x90 },
        { 0x66, 0x90 },
        { 0x0f, 0x1f, 0x00 },
        { 0x0f, 0x1f, 0x40, 0x00 },
        { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
        { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
        { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
        { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
        { 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
    };
    while (len > 0) {
        int n = len > 9 ? 9 : len;
        bytes(e, nops[n - 1], n);
        len -= n;
    }
}
