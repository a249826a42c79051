/*
 * jit_insn.c - per-instruction code of a compiled block (see jit_insn.h).
 *
 * Two kinds of instruction:
 *  - handler calls: every instruction not listed below calls its
 *    interpreter handler with exactly the bookkeeping cpu/exec.c's block
 *    fast path does around it: the precise-state metadata (EIP, and ESP,
 *    EFLAGS, lazy flags when insn.ckpt), EIP set to the next instruction,
 *    sw_int/inhibit_db cleared, the call, icount + 1, then the stop tests
 *    (the interrupt-request word cpu->req, EIP not the next instruction's);
 *  - inline: register-only MOV, ALU (not ADC/SBB), TEST, INC/DEC, LEA, NOP,
 *    and Jcc/JMP rel at the end of the block. They cannot fault and touch
 *    no memory or device, so they need no checkpoint, no EIP store and no
 *    stop test; their icount increments are added up and stored before the
 *    next handler call or exit (where icount can be observed). They record
 *    the same lazy flags (cpu/flags.h) as their handlers, except where a
 *    later inline instruction of the block overwrites them all before
 *    anything can read them (flag liveness). A Jcc after an inline flag
 *    setter re-creates the host flags from the lazy-flag fields and
 *    branches on them (SUB/CMP -> CMP, ADD -> ADD, logic -> TEST,
 *    INC/DEC -> INC/DEC for conditions that do not read CF).
 * Struct fields are addressed by offsetof and sized by sizeof, so the code
 * follows the state layout. Host registers: RAX/RCX/RDX scratch.
 */
#include <stddef.h>

#include "translator/jit_insn.h"
#include "translator/tb.h"
#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/ops.h"
#include "cpu/optable.h"

/* A field of struct cpu as (offset, size) for the emitters below. */
#define CPUF(f) (int32_t)offsetof(struct cpu, f), (int)sizeof(((struct cpu *)0)->f)
#define OFF(f) ((int32_t)offsetof(struct cpu, f))
#define SZ(f) ((int)sizeof(((struct cpu *)0)->f))
#define CPUM(off) x86_mem_at(X86_RBX, (off))

/* field = constant */
static void st_imm(struct x86_emit *e, int32_t off, int size, uint64_t v)
{
    if (size < 8 || (int64_t)v == (int32_t)v) {
        x86_store_imm(e, size, CPUM(off), (int32_t)v);
    } else {
        x86_mov_ri(e, 8, X86_RAX, v);
        x86_store(e, 8, CPUM(off), X86_RAX);
    }
}

/* dst field = src field */
static void copy(struct x86_emit *e, int32_t dst, int dsize, int32_t src, int ssize)
{
    int size = dsize < ssize ? dsize : ssize;
    x86_load(e, size, X86_RAX, CPUM(src));
    x86_store(e, dsize, CPUM(dst), X86_RAX);
}

/* n bytes from src to dst, 8 at a time (n a multiple of 4) */
static void copy_bytes(struct x86_emit *e, int32_t dst, int32_t src, int n)
{
    for (int i = 0; i < n;) {
        int s = n - i >= 8 ? 8 : 4;
        x86_load(e, s, X86_RAX, CPUM(src + i));
        x86_store(e, s, CPUM(dst + i), X86_RAX);
        i += s;
    }
}

/* A field of up to 8 bytes = a host register holding a zero-extended value. */
static void st_reg(struct x86_emit *e, int32_t off, int size, int hreg)
{
    x86_store(e, size, CPUM(off), hreg);
}

void jit_emit_cmp_eip(struct x86_emit *e, uint32_t value)
{
    if (SZ(rip) == 4 || value <= 0x7fffffffu) {
        x86_alu_mi(e, X86_CMP, SZ(rip), CPUM(OFF(rip)), (int32_t)value);
    } else {
        x86_mov_ri(e, 4, X86_RAX, value);               /* zero-extended */
        x86_alu_rm(e, X86_CMP, SZ(rip), X86_RAX, CPUM(OFF(rip)));
    }
}

/* --- guest registers ---------------------------------------------------------- */

static inline int32_t reg_off(int r) { return OFF(regs) + r * (int32_t)sizeof(((struct cpu *)0)->regs[0]); }
#define REG_SIZE ((int)sizeof(((struct cpu *)0)->regs[0]))

/* hreg = guest register r of `size` bytes, zero-extended (8-bit: AL..BH). */
static void load_greg(struct x86_emit *e, int hreg, int r, int size)
{
    if (size == 1)
        x86_load(e, 1, hreg, CPUM(r < 4 ? reg_off(r) : reg_off(r - 4) + 1));
    else
        x86_load(e, size, hreg, CPUM(reg_off(r)));
}

/* Guest register r of `size` bytes = hreg (zero-extended in the host
 * register). A 32-bit write fills the whole register field (upper half
 * zero, as cpu_set_reg32 does); 16- and 8-bit writes keep the rest. */
static void store_greg(struct x86_emit *e, int r, int size, int hreg)
{
    if (size == 1)
        x86_store(e, 1, CPUM(r < 4 ? reg_off(r) : reg_off(r - 4) + 1), hreg);
    else if (size == 2)
        x86_store(e, 2, CPUM(reg_off(r)), hreg);
    else
        x86_store(e, REG_SIZE, CPUM(reg_off(r)), hreg);
}

/* Truncate hreg to `size` bytes (zero-extended). */
static void mask_to(struct x86_emit *e, int hreg, int size)
{
    if (size < 4)
        x86_movzx_rr(e, size, hreg, hreg);
}

/* The lazy-flag record flags_lazy() makes: lf_op, then the three values. */
static void store_lazy(struct x86_emit *e, enum lazy_kind kind, int size, int dst, int src, int res)
{
    st_imm(e, CPUF(priv.lf_op), ((uint32_t)kind << 2) | lf_size_code(size));
    st_reg(e, CPUF(priv.lf_dst), dst);
    st_reg(e, CPUF(priv.lf_src), src);
    st_reg(e, CPUF(priv.lf_res), res);
}

/* --- classification ------------------------------------------------------------- */

enum form {
    F_HELPER,
    F_MOV_RR, F_MOV_RI, F_ALU_RR, F_ALU_RI, F_TEST_RR, F_TEST_RI, F_INCDEC, F_LEA, F_NOP,
    F_JCC, F_JMP, F_SHIFT, F_IMUL, F_NOT, F_NEG, F_SETCC, F_CMOV, F_ADC, F_SHIFT_CL,
    /* with a memory operand (inline TLB hit, else the handler) */
    F_LOAD, F_STORE, F_STORE_IMM, F_ALU_LOAD, F_ALU_RMW, F_ALU_RMW_IMM, F_TEST_M, F_MOVX,
    F_PUSH, F_POP, F_CALL, F_RET, F_PUSH_IMM, F_JMP_R, F_CALL_R, F_SHIFT_M, F_IMUL_M,
    F_UNARY_M,      /* INC, DEC, NOT, NEG of memory */
    F_CMOV_M,
};

/* What the instruction does to the flags, for liveness: nothing, writes
 * all six arithmetic flags (and cannot fault), needs them all, or writes
 * some and keeps the rest (ROL/ROR: when its own flags are dead it need
 * not touch them at all). */
enum flag_use { FU_NONE, FU_WRITE_ALL, FU_READ, FU_PARTIAL };

/* Shifts and rotates inline: ROL, ROR, SHL, SHR, SAL, SAR (RCL/RCR read CF:
 * the handler) by 1 or an immediate. The masked count must be below the
 * operand width for the shifts (8/16-bit shifts by more take the handler). */
enum { SH_ROL = 0, SH_ROR = 1, SH_SHL = 4, SH_SHR = 5, SH_SAL = 6, SH_SAR = 7 };
static int shift_count(const struct insn *in)
{
    return in->desc->fn == op_shift_rm_1 ? 1 : (int)(in->imm & 0x1f);
}
static bool shift_inline_ok(const struct insn *in)
{
    if (in->desc->fn != op_shift_rm_1 && in->desc->fn != op_shift_rm_imm)
        return false;
    int op = in->reg, c = shift_count(in);
    if (in->size > 4 || op == 2 || op == 3)
        return false;
    if (op == SH_ROL || op == SH_ROR)
        return true;
    return c < in->size * 8;
}
static bool is_rotate(const struct insn *in) { return in->reg == SH_ROL || in->reg == SH_ROR; }

static enum form classify(const struct insn *in, bool no_inline)
{
    if (no_inline)
        return F_HELPER;
    op_handler fn = in->desc->fn;
    bool reg = in->mod == 3;
    /* memory forms: LOCK and segment-relative 16-bit stacks go to the handler */
    bool mem_ok = !(in->prefixes & PFX_LOCK);
    if (fn == op_mov_rm_r)
        return reg ? F_MOV_RR : mem_ok ? F_STORE : F_HELPER;
    if (fn == op_mov_r_rm)
        return reg ? F_MOV_RR : F_LOAD;
    if (fn == op_mov_r_imm)
        return F_MOV_RI;
    if (fn == op_mov_rm_imm)
        return reg ? F_MOV_RI : F_STORE_IMM;
    if (fn == op_movzx || fn == op_movsx)
        return F_MOVX;
    if (fn == op_alu_rm_r || fn == op_alu_r_rm || fn == op_alu_acc_imm || fn == op_alu_rm_imm) {
        int op = fn == op_alu_rm_imm ? in->reg : (in->opcode >> 3) & 7;
        if (op == 2 || op == 3)         /* ADC/SBB read CF */
            return reg || fn == op_alu_acc_imm ? (in->size <= 4 ? F_ADC : F_HELPER) : F_HELPER;
        if (fn == op_alu_acc_imm)
            return F_ALU_RI;
        if (!reg) {
            if (!mem_ok)
                return F_HELPER;
            if (fn == op_alu_r_rm)
                return F_ALU_LOAD;
            return fn == op_alu_rm_r ? F_ALU_RMW : F_ALU_RMW_IMM;   /* CMP: load only */
        }
        return fn == op_alu_rm_imm ? F_ALU_RI : F_ALU_RR;
    }
    if (fn == op_test_rm_r)
        return reg ? F_TEST_RR : F_TEST_M;
    if (fn == op_test_acc_imm)
        return F_TEST_RI;
    if (fn == op_test_rm_imm)
        return reg ? F_TEST_RI : F_TEST_M;
    if (fn == op_push_r)
        return F_PUSH;
    if (fn == op_push_imm)
        return F_PUSH_IMM;
    if (fn == op_mov_acc_moffs)
        return F_LOAD;
    if (fn == op_mov_moffs_acc)
        return F_STORE;
    if (fn == op_jmp_rm)
        return reg ? F_JMP_R : F_HELPER;
    if (fn == op_call_rm)
        return reg ? F_CALL_R : F_HELPER;
    if (fn == op_pop_r)
        return F_POP;
    if (fn == op_call_rel)
        return F_CALL;
    if (fn == op_ret)
        return F_RET;
    if (fn == op_inc_r || fn == op_dec_r)
        return F_INCDEC;
    if (fn == op_inc_rm || fn == op_dec_rm)
        return reg ? F_INCDEC : mem_ok && in->size <= 4 ? F_UNARY_M : F_HELPER;
    if (fn == op_not_rm || fn == op_neg_rm) {
        if (in->size > 4)
            return F_HELPER;
        return reg ? (fn == op_not_rm ? F_NOT : F_NEG) : mem_ok ? F_UNARY_M : F_HELPER;
    }
    if ((fn == op_imul_r_rm || fn == op_imul_r_rm_imm) && (in->opsize == 2 || in->opsize == 4))
        return reg ? F_IMUL : F_IMUL_M;
    if (fn == op_lea)
        return F_LEA;
    if (fn == op_nop)
        return F_NOP;
    if (fn == op_setcc)
        return reg ? F_SETCC : F_HELPER;
    if (fn == op_cmovcc && (in->opsize == 2 || in->opsize == 4))
        return reg ? F_CMOV : F_CMOV_M;
    if (fn == op_shift_rm_cl && reg && in->size == 4 && in->reg != 2 && in->reg != 3)
        return F_SHIFT_CL;              /* (a count of 0 at run time changes nothing) */
    if (fn == op_shift_rm_1 || fn == op_shift_rm_imm) {
        if (!shift_inline_ok(in))
            return F_HELPER;
        if (reg)
            return shift_count(in) == 0 ? F_NOP : F_SHIFT;     /* count 0: no effect at all */
        return mem_ok && shift_count(in) != 0 ? F_SHIFT_M : F_HELPER;
    }
    if (fn == op_jcc)
        return F_JCC;
    if (fn == op_jmp_rel)
        return F_JMP;
    return F_HELPER;
}

static enum flag_use flag_use(const struct insn *in, enum form f)
{
    switch (f) {
    case F_MOV_RR: case F_MOV_RI: case F_LEA: case F_NOP: case F_NOT:
        return FU_NONE;
    case F_ALU_RR: case F_ALU_RI: case F_TEST_RR: case F_TEST_RI: case F_IMUL: case F_NEG:
        return FU_WRITE_ALL;
    case F_SHIFT:
        return is_rotate(in) ? FU_PARTIAL : FU_WRITE_ALL;
    case F_SHIFT_CL:
        return FU_PARTIAL;
    default:
        /* INC/DEC (CF), Jcc, handlers, block ends, and memory forms: their
         * slow path may fault, and a fault saves the flags as they are */
        return FU_READ;
    }
}

/* The lazy-flag state known at translation time after an inline setter. */
struct known_flags {
    bool known;
    enum lazy_kind kind;
    int size;
};

/* --- the translator state for one block ------------------------------------------ */

struct state {
    struct jit_ctx *c;
    struct x86_emit *e;
    unsigned pending;           /* retired inline instructions not yet in icount */
    bool helper_ran;            /* a handler ran earlier in the block */
    struct known_flags kf;
};

static void flush_icount(struct state *s, unsigned extra)
{
    unsigned n = s->pending + extra;
    if (n)
        x86_alu_mi(s->e, X86_ADD, 8, CPUM(OFF(icount)), (int32_t)n);
    s->pending = 0;
}

/* What cpu/exec.c's insn_start() saves, for the instruction in: its EIP
 * and, only when its metadata says so (insn.ckpt), ESP, EFLAGS and the lazy
 * flags. */
static void emit_checkpoint(struct x86_emit *e, const struct insn *in)
{
    st_imm(e, CPUF(priv.insn_rip), in->rip);
    st_imm(e, CPUF(priv.ckpt_valid), in->ckpt);
    if (!in->ckpt)
        return;
    copy(e, CPUF(priv.insn_rsp), CPUF(regs[R_ESP]));
    copy(e, CPUF(priv.saved_rflags), CPUF(rflags));
    copy_bytes(e, OFF(priv.saved_lf), OFF(priv.lf_op), SZ(priv.saved_lf));
}

/* The stop tests after an instruction that may have touched memory, I/O
 * or control state. */
static void emit_stop_tests(struct state *s, const struct insn *next)
{
    struct x86_emit *e = s->e;
    /* the interrupt-request word (cpu->req): any bit leaves the block */
    _Static_assert(sizeof(((struct cpu *)0)->req) == 4, "req is one 32-bit word");
    x86_alu_mi(e, X86_CMP, 4, CPUM(OFF(req)), 0);
    x86_jcc_rel32(e, X86_CC_NE, s->c->exit_generic);
    if (next) {
        jit_emit_cmp_eip(e, next->rip);
        x86_jcc_rel32(e, X86_CC_NE, s->c->exit_generic);
    }
}

/* The instruction through its interpreter handler (icount must be flushed). */
static void emit_call(struct state *s, const struct insn *in, uint32_t next_eip)
{
    struct x86_emit *e = s->e;
    emit_checkpoint(e, in);
    st_imm(e, CPUF(rip), next_eip);
    x86_store_imm(e, 1, CPUM(OFF(priv.sw_int)), 0);
    x86_store_imm(e, 1, CPUM(OFF(priv.inhibit_db)), 0);
    x86_mov_rr(e, 8, X86_RDI, X86_RBX);
    x86_mov_ri(e, 8, X86_RSI, (uintptr_t)in);
    x86_call_abs(e, (const void *)in->desc->fn);
}

static void emit_helper(struct state *s, const struct insn *in, uint32_t next_eip, const struct insn *next)
{
    flush_icount(s, 0);
    emit_call(s, in, next_eip);
    x86_alu_mi(s->e, X86_ADD, 8, CPUM(OFF(icount)), 1);
    x86_inc_m(s->e, 8, x86_mem_at(X86_R12, s->c->helper_calls_off));
    emit_stop_tests(s, next);
    s->helper_ran = true;
    s->kf.known = false;
}

/* rel32 branches to a slow path, patched when it is placed */
struct fixups {
    size_t at[16];
    int n;
};
static void to_slow(struct x86_emit *e, enum x86_cc cc, struct fixups *f)
{
    size_t at = x86_jcc_rel32(e, cc, NULL);
    if (at == (size_t)-1 || f->n >= 16)
        e->overflow = true;
    else
        f->at[f->n++] = at;
}
/* An unconditional jump to the same place. */
static void jmp_fix(struct x86_emit *e, struct fixups *f)
{
    size_t at = x86_jmp_rel32(e, NULL);
    if (at == (size_t)-1 || f->n >= 16)
        e->overflow = true;
    else
        f->at[f->n++] = at;
}
static void place_slow(struct x86_emit *e, struct fixups *f)
{
    for (int i = 0; i < f->n; i++)
        x86_patch_rel32(e, f->at[i], (void *)x86_here(e));
    f->n = 0;
}

/* CF into EFLAGS before INC/DEC (flags_lazy_incdec): from what is known of
 * the lazy flags, else through flags_cf_only in C. */
static void jit_fold_cf(struct cpu *cpu)
{
    cpu->rflags = (cpu->rflags & ~EFLAGS_CF) | flags_cf_only(cpu);
}

static void emit_fold_cf(struct state *s)
{
    struct x86_emit *e = s->e;
    const struct known_flags *k = &s->kf;
    if (k->known && (k->kind == LF_INC || k->kind == LF_DEC || k->kind == LF_NONE))
        return;                                     /* CF is in EFLAGS already */
    if (k->known && k->kind == LF_LOGIC) {
        x86_alu_mi(e, X86_AND, SZ(rflags), CPUM(OFF(rflags)), (int32_t)~EFLAGS_CF);
        return;
    }
    if (k->known && (k->kind == LF_ADD || k->kind == LF_SUB)) {
        /* ADD: CF = res < dst; SUB: CF = dst < src (stored values are masked) */
        if (k->kind == LF_ADD) {
            x86_load(e, 4, X86_RDX, CPUM(OFF(priv.lf_res)));
            x86_alu_rm(e, X86_CMP, 4, X86_RDX, CPUM(OFF(priv.lf_dst)));
        } else {
            x86_load(e, 4, X86_RDX, CPUM(OFF(priv.lf_dst)));
            x86_alu_rm(e, X86_CMP, 4, X86_RDX, CPUM(OFF(priv.lf_src)));
        }
        x86_setcc(e, X86_CC_B, X86_RDX);
        x86_movzx_rr(e, 1, X86_RDX, X86_RDX);
        x86_alu_mi(e, X86_AND, SZ(rflags), CPUM(OFF(rflags)), (int32_t)~EFLAGS_CF);
        x86_alu_mr(e, X86_OR, 4, CPUM(OFF(rflags)), X86_RDX);
        return;
    }
    /* not known here: dispatch at run time on lf_op; the 32-bit ADD/SUB
     * records and the kinds that need nothing inline, the rest in C */
    struct fixups set = { .n = 0 }, done = { .n = 0 };
    x86_load(e, 4, X86_RAX, CPUM(OFF(priv.lf_op)));
    x86_alu_ri(e, X86_CMP, 4, X86_RAX, (LF_SUB << 2) | 2);
    size_t not_sub = x86_jcc_rel8(e, X86_CC_NE);
    x86_load(e, 4, X86_RDX, CPUM(OFF(priv.lf_dst)));        /* CF = dst < src */
    x86_alu_rm(e, X86_CMP, 4, X86_RDX, CPUM(OFF(priv.lf_src)));
    jmp_fix(e, &set);
    if (!x86_patch_rel8_here(e, not_sub))
        e->overflow = true;
    x86_alu_ri(e, X86_CMP, 4, X86_RAX, (LF_ADD << 2) | 2);
    size_t not_add = x86_jcc_rel8(e, X86_CC_NE);
    x86_load(e, 4, X86_RDX, CPUM(OFF(priv.lf_res)));        /* CF = res < dst */
    x86_alu_rm(e, X86_CMP, 4, X86_RDX, CPUM(OFF(priv.lf_dst)));
    jmp_fix(e, &set);
    if (!x86_patch_rel8_here(e, not_add))
        e->overflow = true;
    x86_shift_ri(e, X86_SHR, 4, X86_RAX, 2);                /* the kind */
    x86_alu_ri(e, X86_CMP, 4, X86_RAX, LF_LOGIC);
    size_t not_logic = x86_jcc_rel8(e, X86_CC_NE);
    x86_alu_mi(e, X86_AND, SZ(rflags), CPUM(OFF(rflags)), (int32_t)~EFLAGS_CF);
    jmp_fix(e, &done);
    if (!x86_patch_rel8_here(e, not_logic))
        e->overflow = true;
    _Static_assert(LF_NONE == 0 && LF_INC > LF_LOGIC && LF_DEC > LF_LOGIC, "the kinds tested");
    x86_test_rr(e, 4, X86_RAX, X86_RAX);
    to_slow(e, X86_CC_E, &done);                            /* LF_NONE: CF in EFLAGS */
    x86_alu_ri(e, X86_CMP, 4, X86_RAX, LF_INC);
    to_slow(e, X86_CC_AE, &done);                           /* INC/DEC: likewise */
    x86_mov_rr(e, 8, X86_RDI, X86_RBX);
    x86_call_abs(e, (const void *)jit_fold_cf);
    jmp_fix(e, &done);
    place_slow(e, &set);
    x86_setcc(e, X86_CC_B, X86_RDX);
    x86_movzx_rr(e, 1, X86_RDX, X86_RDX);
    x86_alu_mi(e, X86_AND, SZ(rflags), CPUM(OFF(rflags)), (int32_t)~EFLAGS_CF);
    x86_alu_mr(e, X86_OR, 4, CPUM(OFF(rflags)), X86_RDX);
    place_slow(e, &done);
}

/* --- inline instructions ---------------------------------------------------------- */

static const enum x86_alu host_alu[8] = { X86_ADD, X86_OR, X86_ADC, X86_SBB, X86_AND, X86_SUB, X86_XOR, X86_CMP };

/* dst = dst op src on zero-extended values in RAX (dst) and RCX (src);
 * result in RDX. */
static void emit_alu(struct state *s, int op, int size, int dst_reg, bool live)
{
    struct x86_emit *e = s->e;
    x86_mov_rr(e, 4, X86_RDX, X86_RAX);
    x86_alu_rr(e, op == 7 ? X86_SUB : host_alu[op], 4, X86_RDX, X86_RCX);
    if (op == 0 || op == 5 || op == 7)
        mask_to(e, X86_RDX, size);      /* ADD/SUB can carry out of the size */
    if (op != 7)
        store_greg(e, dst_reg, size, X86_RDX);
    enum lazy_kind kind = (op == 0) ? LF_ADD : (op == 5 || op == 7) ? LF_SUB : LF_LOGIC;
    if (live)
        store_lazy(e, kind, size, X86_RAX, X86_RCX, X86_RDX);
    s->kf = (struct known_flags){ true, kind, size };
}

/* flags_materialize, before ROL/ROR (they keep four of the flags). */
static void jit_materialize(struct cpu *cpu)
{
    flags_materialize(cpu);
}

/* EFLAGS holds all six arithmetic flags (lf_op = LF_NONE) after this. */
static void emit_materialize(struct state *s)
{
    struct x86_emit *e = s->e;
    if (s->kf.known && s->kf.kind == LF_NONE)
        return;
    x86_alu_mi(e, X86_CMP, SZ(priv.lf_op), CPUM(OFF(priv.lf_op)), LF_NONE);
    size_t skip = x86_jcc_rel8(e, X86_CC_E);
    x86_mov_rr(e, 8, X86_RDI, X86_RBX);
    x86_call_abs(e, (const void *)jit_materialize);
    if (!x86_patch_rel8_here(e, skip))
        e->overflow = true;
}

/* EFLAGS' six arithmetic flags = ECX (eager, as flags_set(EFLAGS_ARITH)). */
static void emit_set_arith(struct state *s, int size)
{
    struct x86_emit *e = s->e;
    x86_alu_mi(e, X86_AND, SZ(rflags), CPUM(OFF(rflags)), (int32_t)~EFLAGS_ARITH);
    x86_alu_mr(e, X86_OR, 4, CPUM(OFF(rflags)), X86_RCX);
    st_imm(e, CPUF(priv.lf_op), LF_NONE);
    s->kf = (struct known_flags){ true, LF_NONE, size };
}

/* After a rotate left RAX: CF and OF into EFLAGS as the handler sets them
 * (ROL: CF = bit 0, OF = MSB ^ CF; ROR: CF = MSB, OF = MSB ^ the bit
 * below), the other flags kept (materialized before). */
static void emit_rotate_flags(struct state *s, int op, int bits)
{
    struct x86_emit *e = s->e;
    x86_mov_rr(e, 4, X86_RCX, X86_RAX);
    x86_mov_rr(e, 4, X86_RDX, X86_RAX);
    if (op == SH_ROL) {
        x86_alu_ri(e, X86_AND, 4, X86_RCX, 1);
        x86_shift_ri(e, X86_SHR, 4, X86_RDX, (uint8_t)(bits - 1));
    } else {
        x86_shift_ri(e, X86_SHR, 4, X86_RCX, (uint8_t)(bits - 1));
        x86_shift_ri(e, X86_SHR, 4, X86_RDX, (uint8_t)(bits - 2));
        x86_alu_ri(e, X86_AND, 4, X86_RDX, 1);
    }
    x86_alu_rr(e, X86_XOR, 4, X86_RDX, X86_RCX);
    x86_shift_ri(e, X86_SHL, 4, X86_RDX, 11);       /* OF */
    x86_alu_rr(e, X86_OR, 4, X86_RCX, X86_RDX);
    x86_alu_mi(e, X86_AND, SZ(rflags), CPUM(OFF(rflags)), (int32_t)~(EFLAGS_CF | EFLAGS_OF));
    x86_alu_mr(e, X86_OR, 4, CPUM(OFF(rflags)), X86_RCX);
    s->kf = (struct known_flags){ true, LF_NONE, bits / 8 };
}

/* Right after the host SHL/SHR/SAR that left RAX (count below the width):
 * ECX = its CF, PF, ZF, SF, and for SHL OF = MSB(res) ^ CF (the caller
 * adds SHR's OF; SAR's is 0; AF stays 0). Clobbers RDX only for SHL. */
static void emit_shift_flags_begin(struct state *s, int op, int bits)
{
    struct x86_emit *e = s->e;
    x86_pushfq(e);
    x86_pop(e, X86_RCX);
    x86_alu_ri(e, X86_AND, 4, X86_RCX, (int32_t)(EFLAGS_CF | EFLAGS_PF | EFLAGS_ZF | EFLAGS_SF));
    if (op == SH_SHL || op == SH_SAL) {
        x86_mov_rr(e, 4, X86_RDX, X86_RAX);
        x86_shift_ri(e, X86_SHR, 4, X86_RDX, (uint8_t)(bits - 1));
        x86_alu_rr(e, X86_XOR, 4, X86_RDX, X86_RCX);
        x86_alu_ri(e, X86_AND, 4, X86_RDX, 1);
        x86_shift_ri(e, X86_SHL, 4, X86_RDX, 11);
        x86_alu_rr(e, X86_OR, 4, X86_RCX, X86_RDX);
    }
}

/* RAX = the zero-extended operand shifted or rotated by in's count (not 0);
 * with live flags, EFLAGS as cpu/ops_shift.c leaves them (the caller has
 * materialized the lazy flags before a rotate). The host instruction gives
 * the result and, for the shifts, CF, ZF, SF and PF (counts below the
 * width); OF follows the handler's formulas (the host's is undefined for
 * counts above 1) and AF is cleared. Clobbers RCX, RDX. */
static void emit_shift_op(struct state *s, const struct insn *in, bool live)
{
    struct x86_emit *e = s->e;
    int op = in->reg, size = in->size, bits = size * 8, c = shift_count(in);
    if (op == SH_ROL || op == SH_ROR) {
        int r = c & (bits - 1);
        if (r)
            x86_shift_ri(e, op == SH_ROL ? X86_ROL : X86_ROR, size, X86_RAX, (uint8_t)r);
        if (live)
            emit_rotate_flags(s, op, bits);
        return;
    }
    if (live && op == SH_SHR && c == 1)
        x86_mov_rr(e, 4, X86_RDX, X86_RAX);         /* OF = MSB of the operand */
    x86_shift_ri(e, op == SH_SAR ? X86_SAR : op == SH_SHR ? X86_SHR : X86_SHL, size, X86_RAX, (uint8_t)c);
    if (!live)
        return;
    emit_shift_flags_begin(s, op, bits);
    if (op == SH_SHR && c == 1) {
        x86_shift_ri(e, X86_SHR, 4, X86_RDX, (uint8_t)(bits - 1));
        x86_shift_ri(e, X86_SHL, 4, X86_RDX, 11);
        x86_alu_rr(e, X86_OR, 4, X86_RCX, X86_RDX);
    }                                               /* (SAR, SHR by more: OF = 0) */
    emit_set_arith(s, size);
}

/* EFLAGS after the host IMUL that produced RAX (when live). */
static void emit_imul_flags(struct state *s, int size, bool live);

/* IMUL r, r/m(, imm) with the r/m operand in RCX: the register = its
 * value (or the immediate) * RCX, signed, 2 or 4 bytes, as imul2
 * (cpu/ops_alu.c): with live flags CF = OF = the product does not fit,
 * SF/ZF/PF of the result, AF = 0. Clobbers RAX, RCX, RDX. */
static void emit_imul(struct state *s, const struct insn *in, bool live)
{
    struct x86_emit *e = s->e;
    int size = in->opsize;
    if (in->desc->fn == op_imul_r_rm)
        load_greg(e, X86_RAX, in->reg, size);
    else
        x86_mov_ri(e, 4, X86_RAX, in->imm & size_mask(size));
    x86_imul_rr(e, size, X86_RAX, X86_RCX);
    emit_imul_flags(s, size, live);
    store_greg(e, in->reg, size, X86_RAX);
}

static void emit_imul_flags(struct state *s, int size, bool live)
{
    struct x86_emit *e = s->e;
    if (!live)
        return;
    x86_setcc(e, X86_CC_B, X86_RDX);                /* CF = OF = overflow */
    x86_movzx_rr(e, 1, X86_RDX, X86_RDX);
    x86_test_rr(e, size, X86_RAX, X86_RAX);
    x86_pushfq(e);
    x86_pop(e, X86_RCX);
    x86_alu_ri(e, X86_AND, 4, X86_RCX, (int32_t)(EFLAGS_PF | EFLAGS_ZF | EFLAGS_SF));
    x86_neg_r(e, 4, X86_RDX);
    x86_alu_ri(e, X86_AND, 4, X86_RDX, (int32_t)(EFLAGS_CF | EFLAGS_OF));
    x86_alu_rr(e, X86_OR, 4, X86_RCX, X86_RDX);
    emit_set_arith(s, size);
}

static enum x86_cc emit_cond(struct state *s, int cc);

/* CMOVcc: the register = hreg when host condition hcc holds (else it is
 * not written at all, as cmovcc does). */
static void emit_cmov_store(struct state *s, const struct insn *in, enum x86_cc hcc, int hreg)
{
    struct x86_emit *e = s->e;
    size_t skip = x86_jcc_rel8(e, (enum x86_cc)(hcc ^ 1));
    store_greg(e, in->reg, in->opsize, hreg);
    if (!x86_patch_rel8_here(e, skip))
        e->overflow = true;
}

/* SHL/SHR/SAR/ROL/ROR r32, CL: the count is ECX & 31; 0 changes nothing
 * (not even flags). Otherwise as emit_shift_op, with OF of SHR depending
 * on the count being 1. The flags' origin is unknown afterwards. */
static void emit_shift_cl(struct state *s, const struct insn *in, bool live)
{
    struct x86_emit *e = s->e;
    int op = in->reg;
    bool rot = op == SH_ROL || op == SH_ROR;
    load_greg(e, X86_RCX, R_ECX, 4);
    x86_alu_ri(e, X86_AND, 4, X86_RCX, 31);
    size_t zero = x86_jcc_rel32(e, X86_CC_E, NULL);
    if (live && rot) {
        emit_materialize(s);
        load_greg(e, X86_RCX, R_ECX, 4);
        x86_alu_ri(e, X86_AND, 4, X86_RCX, 31);
    }
    x86_mov_rr(e, 4, X86_RSI, X86_RCX);             /* the count */
    load_greg(e, X86_RAX, in->rm, 4);
    x86_mov_rr(e, 4, X86_RDX, X86_RAX);             /* the operand, for SHR's OF */
    x86_shift_rcl(e, op == SH_ROL ? X86_ROL : op == SH_ROR ? X86_ROR : op == SH_SAR ? X86_SAR
                  : op == SH_SHR ? X86_SHR : X86_SHL, 4, X86_RAX);
    store_greg(e, in->rm, 4, X86_RAX);
    if (live && rot) {
        emit_rotate_flags(s, op, 32);
    } else if (live) {
        emit_shift_flags_begin(s, op, 32);
        if (op == SH_SHR) {                         /* OF = count == 1 ? MSB(operand) : 0 */
            x86_shift_ri(e, X86_SHR, 4, X86_RDX, 31);
            x86_mov_ri(e, 4, X86_RDI, 0);
            x86_alu_ri(e, X86_CMP, 4, X86_RSI, 1);
            x86_cmovcc(e, X86_CC_NE, 4, X86_RDX, X86_RDI);
            x86_shift_ri(e, X86_SHL, 4, X86_RDX, 11);
            x86_alu_rr(e, X86_OR, 4, X86_RCX, X86_RDX);
        }
        emit_set_arith(s, 4);
    }
    if (zero != (size_t)-1)
        x86_patch_rel32(e, zero, (void *)x86_here(e));
    s->kf.known = false;
}

static void emit_inline(struct state *s, const struct insn *in, enum form f, bool live)
{
    struct x86_emit *e = s->e;
    int size = in->size;
    uint32_t mask = size_mask(size);
    switch (f) {
    case F_MOV_RR: {
        bool to_rm = in->desc->fn == op_mov_rm_r;
        load_greg(e, X86_RAX, to_rm ? in->reg : in->rm, size);
        store_greg(e, to_rm ? in->rm : in->reg, size, X86_RAX);
        break;
    }
    case F_MOV_RI: {
        int r = in->desc->fn == op_mov_r_imm ? (in->opcode & 7) : in->rm;
        x86_mov_ri(e, 4, X86_RAX, in->imm & mask);
        store_greg(e, r, size, X86_RAX);
        break;
    }
    case F_ALU_RR: {
        int op = (in->opcode >> 3) & 7;
        bool to_rm = in->desc->fn == op_alu_rm_r;
        int dst = to_rm ? in->rm : in->reg, src = to_rm ? in->reg : in->rm;
        if (!live) {                    /* dead flags: the operation alone (CMP: nothing) */
            if (op != 7) {
                load_greg(e, X86_RAX, dst, size);
                load_greg(e, X86_RCX, src, size);
                x86_alu_rr(e, host_alu[op], 4, X86_RAX, X86_RCX);
                store_greg(e, dst, size, X86_RAX);
            }
            break;
        }
        load_greg(e, X86_RAX, dst, size);
        load_greg(e, X86_RCX, src, size);
        emit_alu(s, op, size, dst, live);
        break;
    }
    case F_ALU_RI: {
        bool acc = in->desc->fn == op_alu_acc_imm;
        int op = acc ? (in->opcode >> 3) & 7 : in->reg;
        int dst = acc ? R_EAX : in->rm;
        if (!live) {
            if (op != 7) {
                load_greg(e, X86_RAX, dst, size);
                x86_alu_ri(e, host_alu[op], 4, X86_RAX, (int32_t)(in->imm & mask));
                store_greg(e, dst, size, X86_RAX);
            }
            break;
        }
        load_greg(e, X86_RAX, dst, size);
        x86_mov_ri(e, 4, X86_RCX, in->imm & mask);
        emit_alu(s, op, size, dst, live);
        break;
    }
    case F_TEST_RR:
    case F_TEST_RI: {
        int a = f == F_TEST_RR ? in->rm : (in->desc->fn == op_test_acc_imm ? R_EAX : in->rm);
        load_greg(e, X86_RDX, a, size);
        if (f == F_TEST_RR) {
            load_greg(e, X86_RCX, in->reg, size);
            x86_alu_rr(e, X86_AND, 4, X86_RDX, X86_RCX);
        } else {
            x86_alu_ri(e, X86_AND, 4, X86_RDX, (int32_t)(in->imm & mask));
        }
        if (live) {
            x86_mov_ri(e, 4, X86_RAX, 0);       /* TEST records dst = src = 0 */
            store_lazy(e, LF_LOGIC, size, X86_RAX, X86_RAX, X86_RDX);
        }
        s->kf = (struct known_flags){ true, LF_LOGIC, size };
        break;
    }
    case F_INCDEC: {
        bool one_byte = in->desc->fn == op_inc_r || in->desc->fn == op_dec_r;
        bool inc = in->desc->fn == op_inc_r || in->desc->fn == op_inc_rm;
        int r = one_byte ? (in->opcode & 7) : in->rm;
        int sz = one_byte ? in->opsize : in->size;
        emit_fold_cf(s);
        load_greg(e, X86_RAX, r, sz);
        x86_mov_rr(e, 4, X86_RDX, X86_RAX);
        x86_alu_ri(e, inc ? X86_ADD : X86_SUB, 4, X86_RDX, 1);
        mask_to(e, X86_RDX, sz);
        store_greg(e, r, sz, X86_RDX);
        x86_mov_ri(e, 4, X86_RCX, 1);
        store_lazy(e, inc ? LF_INC : LF_DEC, sz, X86_RAX, X86_RCX, X86_RDX);
        s->kf = (struct known_flags){ true, inc ? LF_INC : LF_DEC, sz };
        break;
    }
    case F_IMUL:
        load_greg(e, X86_RCX, in->rm, in->opsize);
        emit_imul(s, in, live);
        break;
    case F_SETCC: {
        enum x86_cc hcc = emit_cond(s, in->opcode & 0xf);
        x86_setcc(e, hcc, X86_RAX);
        store_greg(e, in->rm, 1, X86_RAX);
        break;
    }
    case F_CMOV: {
        enum x86_cc hcc = emit_cond(s, in->opcode & 0xf);
        load_greg(e, X86_RCX, in->rm, in->opsize);
        emit_cmov_store(s, in, hcc, X86_RCX);
        break;
    }
    case F_ADC: {
        /* CF in, then res = dst +/- src +/- CF, recorded as LF_ADC/LF_SBB
         * when CF was set, else LF_ADD/LF_SUB (cpu/ops_alu.c) */
        bool acc = in->desc->fn == op_alu_acc_imm, imm = acc || in->desc->fn == op_alu_rm_imm;
        int op = in->desc->fn == op_alu_rm_imm ? in->reg : (in->opcode >> 3) & 7;
        bool to_rm = in->desc->fn == op_alu_rm_r;
        int dst = acc ? R_EAX : imm || to_rm ? in->rm : in->reg;
        enum x86_cc hcc = emit_cond(s, X86_CC_B);
        x86_setcc(e, hcc, X86_RSI);
        x86_movzx_rr(e, 1, X86_RSI, X86_RSI);
        load_greg(e, X86_RAX, dst, size);
        if (imm)
            x86_mov_ri(e, 4, X86_RCX, in->imm & mask);
        else
            load_greg(e, X86_RCX, to_rm ? in->reg : in->rm, size);
        x86_mov_rr(e, 4, X86_RDX, X86_RAX);
        x86_alu_rr(e, op == 2 ? X86_ADD : X86_SUB, 4, X86_RDX, X86_RCX);
        x86_alu_rr(e, op == 2 ? X86_ADD : X86_SUB, 4, X86_RDX, X86_RSI);
        mask_to(e, X86_RDX, size);
        store_greg(e, dst, size, X86_RDX);
        if (live) {
            uint32_t base = ((uint32_t)(op == 2 ? LF_ADD : LF_SUB) << 2) | lf_size_code(size);
            _Static_assert(LF_ADC == LF_ADD + 1 && LF_SBB == LF_SUB + 1, "kind + CF");
            x86_lea(e, 4, X86_RDI, x86_mem_sib(X86_NOREG, X86_RSI, 4, (int32_t)base));
            st_reg(e, CPUF(priv.lf_op), X86_RDI);
            st_reg(e, CPUF(priv.lf_dst), X86_RAX);
            st_reg(e, CPUF(priv.lf_src), X86_RCX);
            st_reg(e, CPUF(priv.lf_res), X86_RDX);
        }
        s->kf.known = false;            /* (LF_ADD or LF_ADC: known at run time only) */
        break;
    }
    case F_SHIFT_CL:
        emit_shift_cl(s, in, live);
        break;
    case F_NOT:
        load_greg(e, X86_RAX, in->rm, size);
        x86_not_r(e, 4, X86_RAX);
        store_greg(e, in->rm, size, X86_RAX);
        break;
    case F_NEG:                                     /* LF_SUB of 0 - dst */
        load_greg(e, X86_RCX, in->rm, size);
        x86_mov_rr(e, 4, X86_RDX, X86_RCX);
        x86_neg_r(e, 4, X86_RDX);
        mask_to(e, X86_RDX, size);
        store_greg(e, in->rm, size, X86_RDX);
        if (live) {
            x86_mov_ri(e, 4, X86_RAX, 0);
            store_lazy(e, LF_SUB, size, X86_RAX, X86_RCX, X86_RDX);
        }
        s->kf = (struct known_flags){ true, LF_SUB, size };
        break;
    case F_SHIFT:
        if (live && is_rotate(in))
            emit_materialize(s);
        load_greg(e, X86_RAX, in->rm, size);
        emit_shift_op(s, in, live);
        store_greg(e, in->rm, size, X86_RAX);
        break;
    case F_LEA: {
        x86_mov_ri(e, 4, X86_RAX, (uint32_t)in->disp);
        if (in->base >= 0)
            x86_alu_rm(e, X86_ADD, 4, X86_RAX, CPUM(reg_off(in->base)));
        if (in->index >= 0) {
            x86_load(e, 4, X86_RCX, CPUM(reg_off(in->index)));
            if (in->scale)
                x86_shift_ri(e, X86_SHL, 4, X86_RCX, in->scale);
            x86_alu_rr(e, X86_ADD, 4, X86_RAX, X86_RCX);
        }
        if (in->addrsize == 2)
            mask_to(e, X86_RAX, 2);
        store_greg(e, in->reg, in->opsize, X86_RAX);
        break;
    }
    default:
        break;
    }
    s->pending++;
    s->c->stats->inline_insns++;
}

static void exit_to(struct state *s, uint32_t eip);
static void exit_known(struct state *s, uint32_t eip);

/* --- memory operands: segment checks and the TLB inline ------------------------- */

/* The softMMU TLB as emitted code indexes it (memory/tlb.h). */
#define TLB_TAG_OFF(priv, kind) OFF(tlb.e[priv][0].tag[kind])
#define TLB_TAG_SIZE SZ(tlb.e[0][0].tag[0])
#define TLB_ADDEND_OFF(priv, kind) OFF(tlb.e[priv][0].addend)
_Static_assert(sizeof(struct tlb_entry) == 32, "the emitted TLB index scales by 32");
/* The physical page of a slot, in the parallel array (16 bytes a slot). */
#define TLB_PAGE_PADDR_OFF(priv) OFF(tlb.page[priv][0].paddr)
_Static_assert(sizeof(struct tlb_page) == 16, "the emitted page[] index scales by 16");
_Static_assert(sizeof(((struct tlb_entry *)0)->addend) == 8, "64-bit addend");


/* EAX = the effective offset of in's memory operand (insn_ea). */
static void emit_ea(struct x86_emit *e, const struct insn *in)
{
    x86_mov_ri(e, 4, X86_RAX, (uint32_t)in->disp);
    if (in->desc->form & OPF_MOFFS)
        return;
    if (in->base >= 0)
        x86_alu_rm(e, X86_ADD, 4, X86_RAX, CPUM(reg_off(in->base)));
    if (in->index >= 0) {
        x86_load(e, 4, X86_RCX, CPUM(reg_off(in->index)));
        if (in->scale)
            x86_shift_ri(e, X86_SHL, 4, X86_RCX, in->scale);
        x86_alu_rr(e, X86_ADD, 4, X86_RAX, X86_RCX);
    }
    if (in->addrsize == 2)
        mask_to(e, X86_RAX, 2);
}

/* RAX = host address of `size` bytes at seg:EAX when everything the
 * interpreter's fast path (cpu/ops.h mem_fast_host) checks passes: a
 * present expand-up data segment (writable for a write), the access inside
 * the limit, no #AC possible, a TLB hit inside one page. Else to the slow
 * path. Clobbers RCX, RDX. The block's state key is fixed (tb.h: every
 * instruction that changes it ends its block, and every entry compares
 * it), and so is its CPL (the TLB privilege): with TBK_FLAT, SS, DS and ES
 * are base 0, limit 4 GiB, writable expand-up data, so their checks fold
 * away (an access wrapping past 4 GiB crosses a page: the slow path); with
 * TBK_AC clear or CPL < 3 no access can raise #AC. */
static void emit_host_addr(struct state *s, int seg, int size, bool write, struct fixups *f)
{
    struct x86_emit *e = s->e;
    uint32_t key = s->c->tb->key;
    bool flat = (key & TBK_FLAT) && (seg == SEG_SS || seg == SEG_DS || seg == SEG_ES);
    if (!flat) {
        uint32_t type_mask = SEGF_P | 0xc | (write ? 0x2 : 0), type_want = SEGF_P | (write ? 0x2 : 0);
        x86_load(e, 4, X86_RDX, CPUM(OFF(seg[seg].flags)));
        x86_alu_ri(e, X86_AND, 4, X86_RDX, (int32_t)type_mask);
        x86_alu_ri(e, X86_CMP, 4, X86_RDX, (int32_t)type_want);
        to_slow(e, X86_CC_NE, f);
        x86_load(e, 4, X86_RDX, CPUM(OFF(seg[seg].limit)));
        x86_alu_rr(e, X86_SUB, 4, X86_RDX, X86_RAX);           /* limit - off */
        to_slow(e, X86_CC_B, f);
        if (size > 1) {
            x86_alu_ri(e, X86_CMP, 4, X86_RDX, size - 1);
            to_slow(e, X86_CC_B, f);
        }
        x86_alu_rm(e, X86_ADD, 4, X86_RAX, CPUM(OFF(seg[seg].base)));   /* linear, 32-bit wrap */
    }
    if (size > 1 && s->c->cpl == 3 && (key & TBK_AC)) {
        x86_test_ri(e, 4, X86_RAX, size - 1);
        to_slow(e, X86_CC_NE, f);                           /* #AC possible: the handler decides */
    }
    int priv = s->c->cpl == 3 ? TLB_USER : TLB_SUPER;
    int kind = write ? TLB_WRITE : TLB_READ;
    /* index * sizeof(struct tlb_entry) = (lin >> 12 & (TLB_SIZE - 1)) << 5 */
    x86_mov_rr(e, 4, X86_RDX, X86_RAX);
    x86_shift_ri(e, X86_SHR, 4, X86_RDX, 12 - 5);
    x86_alu_ri(e, X86_AND, 4, X86_RDX, (int32_t)((TLB_SIZE - 1) << 5));
    /* the page of the last byte | TLB_VALID against the tag: an access
     * crossing into the next page (or wrapping) misses */
    if (size > 1)
        x86_lea(e, 4, X86_RCX, x86_mem_at(X86_RAX, size - 1));
    else
        x86_mov_rr(e, 4, X86_RCX, X86_RAX);
    x86_alu_ri(e, X86_AND, 4, X86_RCX, -4096);
    x86_alu_ri(e, X86_OR, 4, X86_RCX, TLB_VALID);
    x86_alu_rm(e, X86_CMP, TLB_TAG_SIZE, X86_RCX, x86_mem_sib(X86_RBX, X86_RDX, 1, TLB_TAG_OFF(priv, kind)));
    to_slow(e, X86_CC_NE, f);
    x86_alu_rm(e, X86_ADD, 8, X86_RAX, x86_mem_sib(X86_RBX, X86_RDX, 1, TLB_ADDEND_OFF(priv, kind)));
}

/*
 * Jump to the block at EIP = ECX through the indirect-branch cache: the
 * execute TLB entry gives the physical address (as mmu_translate_exec),
 * the cache the block cpu_exec last entered there for this state key; its chain
 * entry checks budget, CS limit and CPL. Anything missing: to cpu_exec.
 */
static void emit_indirect(struct state *s)
{
    struct x86_emit *e = s->e;
    struct jit_ctx *c = s->c;
    if (!c->ind) {
        x86_jmp_rel32(e, c->exit_generic);
        return;
    }
    int priv = c->cpl == 3 ? TLB_USER : TLB_SUPER;
    x86_mov_rr(e, 4, X86_RAX, X86_RCX);
    x86_alu_rm(e, X86_ADD, 4, X86_RAX, CPUM(OFF(seg[SEG_CS].base)));   /* linear */
    x86_mov_rr(e, 4, X86_RDX, X86_RAX);
    x86_shift_ri(e, X86_SHR, 4, X86_RDX, 12);
    x86_alu_ri(e, X86_AND, 4, X86_RDX, TLB_SIZE - 1);
    x86_shift_ri(e, X86_SHL, 4, X86_RDX, 5);     /* * sizeof(struct tlb_entry) */
    x86_mov_rr(e, 4, X86_RSI, X86_RAX);
    x86_alu_ri(e, X86_AND, 4, X86_RSI, -4096);
    x86_alu_ri(e, X86_OR, 4, X86_RSI, TLB_VALID);
    x86_load(e, TLB_TAG_SIZE, X86_RDI, x86_mem_sib(X86_RBX, X86_RDX, 1, TLB_TAG_OFF(priv, TLB_EXEC)));
    x86_alu_ri(e, X86_AND, 4, X86_RDI, (int32_t)~TLB_SLOW);
    x86_alu_rr(e, X86_CMP, 4, X86_RDI, X86_RSI);
    x86_jcc_rel32(e, X86_CC_NE, c->exit_generic);
    x86_shift_ri(e, X86_SHR, 4, X86_RDX, 1);     /* * sizeof(struct tlb_page) */
    x86_load(e, 8, X86_RSI, x86_mem_sib(X86_RBX, X86_RDX, 1, TLB_PAGE_PADDR_OFF(priv)));
    x86_alu_ri(e, X86_AND, 4, X86_RAX, 0xfff);
    x86_alu_rr(e, X86_OR, 8, X86_RSI, X86_RAX);                /* physical */
    x86_mov_rr(e, 8, X86_RDX, X86_RSI);
    x86_shift_ri(e, X86_SHR, 8, X86_RDX, 12);
    x86_alu_rr(e, X86_XOR, 8, X86_RDX, X86_RSI);
    x86_alu_ri(e, X86_AND, 4, X86_RDX, JIT_IND_SIZE - 1);
    x86_shift_ri(e, X86_SHL, 4, X86_RDX, 5);
    x86_mov_ri(e, 8, X86_RDI, (uintptr_t)c->ind);
    struct x86_mem ent = x86_mem_sib(X86_RDI, X86_RDX, 1, 0);
    x86_alu_rm(e, X86_CMP, 8, X86_RSI, ent);
    x86_jcc_rel32(e, X86_CC_NE, c->exit_generic);
    ent.disp = (int32_t)offsetof(struct jit_ind, eip);
    x86_alu_rm(e, X86_CMP, 4, X86_RCX, ent);
    x86_jcc_rel32(e, X86_CC_NE, c->exit_generic);
    ent.disp = (int32_t)offsetof(struct jit_ind, key);
    x86_alu_mi(e, X86_CMP, 4, ent, (int32_t)c->tb->key);    /* the key now (nothing before changed it) */
    x86_jcc_rel32(e, X86_CC_NE, c->exit_generic);
    ent.disp = (int32_t)offsetof(struct jit_ind, chain_entry);
    x86_load(e, 8, X86_RCX, ent);
    x86_test_rr(e, 8, X86_RCX, X86_RCX);                    /* an empty entry (phys 0, EIP 0) */
    x86_jcc_rel32(e, X86_CC_E, c->exit_generic);
    /* the block about to run is in this physical page now (code writes into
     * it stop it: tb_invalidate_page) */
    x86_alu_ri(e, X86_AND, 8, X86_RSI, -4096);
    x86_mov_ri(e, 8, X86_RAX, (uintptr_t)c->running_page);
    x86_store(e, 8, x86_mem_at(X86_RAX, 0), X86_RSI);
    x86_inc_m(e, 8, x86_mem_at(X86_R12, c->indirect_hits_off));
    x86_jmp_r(e, X86_RCX);
}

/* Guest stack pointer checks for inline PUSH/POP: a 32-bit stack (SS.B). */
static void emit_stack32_check(struct x86_emit *e, struct fixups *f)
{
    x86_test_mi(e, 1, CPUM(OFF(seg[SEG_SS].flags) + 1), (int32_t)(SEGF_DB >> 8));
    to_slow(e, X86_CC_E, f);
}

/*
 * An instruction with a memory operand: the fast path inline, the slow path
 * (any check failing) through the handler, which then does every check and
 * raises any fault. Nothing is written before the last check, so the slow
 * path starts from the instruction's own state. Both paths leave icount
 * counted. Returns false for a block-ending form whose exits were emitted.
 */
static bool emit_mem(struct state *s, const struct insn *in, enum form f, uint32_t next_eip,
                     const struct insn *next, bool live)
{
    struct x86_emit *e = s->e;
    struct fixups fx = { .n = 0 };
    int size = in->size;
    /* The fast path adds to icount nothing itself: this instruction joins
     * the pending count. The slow path stores the pending count before
     * the handler (which may observe icount), and takes it back after
     * its stop tests, so both paths join with the same pending count. */
    unsigned pend = s->pending;
    struct known_flags kf_after = s->kf;
    uint32_t target = 0;
    switch (f) {
    case F_LOAD:
        emit_ea(e, in);
        emit_host_addr(s, in->seg, size, false, &fx);
        x86_load(e, size, X86_RCX, x86_mem_at(X86_RAX, 0));
        store_greg(e, in->desc->fn == op_mov_r_rm ? in->reg : R_EAX, size, X86_RCX);
        break;
    case F_STORE:
    case F_STORE_IMM:
        emit_ea(e, in);
        emit_host_addr(s, in->seg, size, true, &fx);
        if (f == F_STORE)
            load_greg(e, X86_RCX, in->desc->fn == op_mov_rm_r ? in->reg : R_EAX, size);
        else
            x86_mov_ri(e, 4, X86_RCX, in->imm & size_mask(size));
        x86_store(e, size, x86_mem_at(X86_RAX, 0), X86_RCX);
        break;
    case F_MOVX: {
        int src = (in->opcode & 1) ? 2 : 1;
        bool sx = in->desc->fn == op_movsx;
        if (in->mod == 3) {
            load_greg(e, X86_RCX, in->rm, src);
        } else {
            emit_ea(e, in);
            emit_host_addr(s, in->seg, src, false, &fx);
            x86_load(e, src, X86_RCX, x86_mem_at(X86_RAX, 0));
        }
        if (sx)
            x86_movsx_rr(e, src, 4, X86_RCX, X86_RCX);
        store_greg(e, in->reg, in->opsize, X86_RCX);
        break;
    }
    case F_ALU_LOAD:
    case F_ALU_RMW:
    case F_ALU_RMW_IMM: {
        int op = f == F_ALU_RMW_IMM ? in->reg : (in->opcode >> 3) & 7;
        bool rmw = f != F_ALU_LOAD && op != 7;
        emit_ea(e, in);
        emit_host_addr(s, in->seg, size, rmw, &fx);
        x86_mov_rr(e, 8, X86_RSI, X86_RAX);                 /* host address */
        if (f == F_ALU_LOAD) {
            load_greg(e, X86_RAX, in->reg, size);           /* dst = reg, src = [m] */
            x86_load(e, size, X86_RCX, x86_mem_at(X86_RSI, 0));
        } else {
            x86_load(e, size, X86_RAX, x86_mem_at(X86_RSI, 0));   /* dst = [m] */
            if (f == F_ALU_RMW)
                load_greg(e, X86_RCX, in->reg, size);
            else
                x86_mov_ri(e, 4, X86_RCX, in->imm & size_mask(size));
        }
        x86_mov_rr(e, 4, X86_RDX, X86_RAX);
        x86_alu_rr(e, op == 7 ? X86_SUB : host_alu[op], 4, X86_RDX, X86_RCX);
        if (op == 0 || op == 5 || op == 7)
            mask_to(e, X86_RDX, size);
        if (op != 7) {
            if (f == F_ALU_LOAD)
                store_greg(e, in->reg, size, X86_RDX);
            else
                x86_store(e, size, x86_mem_at(X86_RSI, 0), X86_RDX);
        }
        enum lazy_kind kind = (op == 0) ? LF_ADD : (op == 5 || op == 7) ? LF_SUB : LF_LOGIC;
        if (live)
            store_lazy(e, kind, size, X86_RAX, X86_RCX, X86_RDX);
        kf_after = (struct known_flags){ live, kind, size };
        break;
    }
    case F_IMUL_M:
        emit_ea(e, in);
        emit_host_addr(s, in->seg, in->opsize, false, &fx);
        x86_load(e, in->opsize, X86_RCX, x86_mem_at(X86_RAX, 0));
        emit_imul(s, in, live);
        kf_after = live ? s->kf : (struct known_flags){ .known = false };
        break;
    case F_UNARY_M: {
        op_handler fn = in->desc->fn;
        bool incdec = fn == op_inc_rm || fn == op_dec_rm;
        if (incdec)
            emit_fold_cf(s);        /* (harmless if the slow path runs: it folds the same CF) */
        emit_ea(e, in);
        emit_host_addr(s, in->seg, size, true, &fx);
        x86_mov_rr(e, 8, X86_RSI, X86_RAX);
        x86_load(e, size, X86_RAX, x86_mem_at(X86_RSI, 0));
        x86_mov_rr(e, 4, X86_RDX, X86_RAX);
        if (fn == op_inc_rm)
            x86_alu_ri(e, X86_ADD, 4, X86_RDX, 1);
        else if (fn == op_dec_rm)
            x86_alu_ri(e, X86_SUB, 4, X86_RDX, 1);
        else if (fn == op_not_rm)
            x86_not_r(e, 4, X86_RDX);
        else
            x86_neg_r(e, 4, X86_RDX);
        mask_to(e, X86_RDX, size);
        x86_store(e, size, x86_mem_at(X86_RSI, 0), X86_RDX);
        if (incdec) {
            enum lazy_kind kind = fn == op_inc_rm ? LF_INC : LF_DEC;
            x86_mov_ri(e, 4, X86_RCX, 1);
            store_lazy(e, kind, size, X86_RAX, X86_RCX, X86_RDX);
            kf_after = (struct known_flags){ true, kind, size };
        } else if (fn == op_neg_rm) {
            x86_mov_rr(e, 4, X86_RCX, X86_RAX);
            x86_mov_ri(e, 4, X86_RAX, 0);
            if (live)
                store_lazy(e, LF_SUB, size, X86_RAX, X86_RCX, X86_RDX);
            kf_after = (struct known_flags){ live, LF_SUB, size };
        }
        break;
    }
    case F_CMOV_M: {
        /* the source is read (and may fault) whatever the condition */
        emit_ea(e, in);
        emit_host_addr(s, in->seg, in->opsize, false, &fx);
        x86_load(e, in->opsize, X86_RBP, x86_mem_at(X86_RAX, 0));   /* (callee-saved) */
        enum x86_cc hcc = emit_cond(s, in->opcode & 0xf);
        emit_cmov_store(s, in, hcc, X86_RBP);
        break;
    }
    case F_SHIFT_M:
        emit_ea(e, in);
        emit_host_addr(s, in->seg, size, true, &fx);
        x86_mov_rr(e, 8, X86_RBP, X86_RAX);                 /* host address (callee-saved) */
        if (live && is_rotate(in))
            emit_materialize(s);
        x86_load(e, size, X86_RAX, x86_mem_at(X86_RBP, 0));
        emit_shift_op(s, in, live);
        x86_store(e, size, x86_mem_at(X86_RBP, 0), X86_RAX);
        kf_after = live ? s->kf : (struct known_flags){ .known = false };
        break;
    case F_TEST_M:
        emit_ea(e, in);
        emit_host_addr(s, in->seg, size, false, &fx);
        x86_load(e, size, X86_RDX, x86_mem_at(X86_RAX, 0));
        if (in->desc->fn == op_test_rm_r) {
            load_greg(e, X86_RCX, in->reg, size);
            x86_alu_rr(e, X86_AND, 4, X86_RDX, X86_RCX);
        } else {
            x86_alu_ri(e, X86_AND, 4, X86_RDX, (int32_t)(in->imm & size_mask(size)));
        }
        if (live) {
            x86_mov_ri(e, 4, X86_RAX, 0);
            store_lazy(e, LF_LOGIC, size, X86_RAX, X86_RAX, X86_RDX);
        }
        kf_after = (struct known_flags){ live, LF_LOGIC, size };
        break;
    case F_PUSH:
    case F_PUSH_IMM:
    case F_CALL_R:
    case F_CALL: {
        int sz = in->opsize;
        if (f == F_CALL_R) {
            load_greg(e, X86_RDI, in->rm, sz);              /* the target, before the push */
            x86_alu_rm(e, X86_CMP, 4, X86_RDI, CPUM(OFF(seg[SEG_CS].limit)));
            to_slow(e, X86_CC_A, &fx);
        }
        if (f == F_CALL) {
            target = next_eip + in->imm;
            if (sz == 2)
                target &= 0xffff;
            x86_mov_ri(e, 4, X86_RAX, target);               /* #GP before the push */
            x86_alu_rm(e, X86_CMP, 4, X86_RAX, CPUM(OFF(seg[SEG_CS].limit)));
            to_slow(e, X86_CC_A, &fx);
        }
        emit_stack32_check(e, &fx);
        x86_load(e, 4, X86_RSI, CPUM(reg_off(R_ESP)));
        x86_alu_ri(e, X86_SUB, 4, X86_RSI, sz);
        x86_mov_rr(e, 4, X86_RAX, X86_RSI);
        emit_host_addr(s, SEG_SS, sz, true, &fx);
        if (f == F_PUSH)
            load_greg(e, X86_RCX, in->opcode & 7, sz);      /* PUSH ESP: the old value */
        else if (f == F_PUSH_IMM)
            x86_mov_ri(e, 4, X86_RCX, in->imm & size_mask(sz));
        else
            x86_mov_ri(e, 4, X86_RCX, next_eip);
        x86_store(e, sz, x86_mem_at(X86_RAX, 0), X86_RCX);
        store_greg(e, R_ESP, 4, X86_RSI);
        if (f == F_CALL_R) {
            x86_mov_rr(e, 4, X86_RCX, X86_RDI);
            st_reg(e, CPUF(rip), X86_RCX);
        }
        break;
    }
    case F_JMP_R:
        load_greg(e, X86_RCX, in->rm, in->opsize);
        x86_alu_rm(e, X86_CMP, 4, X86_RCX, CPUM(OFF(seg[SEG_CS].limit)));
        to_slow(e, X86_CC_A, &fx);                          /* #GP(0) from the handler */
        st_reg(e, CPUF(rip), X86_RCX);
        break;
    case F_POP:
    case F_RET: {
        int sz = in->opsize;
        emit_stack32_check(e, &fx);
        x86_load(e, 4, X86_RSI, CPUM(reg_off(R_ESP)));
        x86_mov_rr(e, 4, X86_RAX, X86_RSI);
        emit_host_addr(s, SEG_SS, sz, false, &fx);
        x86_load(e, sz, X86_RCX, x86_mem_at(X86_RAX, 0));
        if (f == F_RET) {
            x86_alu_rm(e, X86_CMP, 4, X86_RCX, CPUM(OFF(seg[SEG_CS].limit)));
            to_slow(e, X86_CC_A, &fx);                      /* #GP(0) from the handler */
        }
        x86_alu_ri(e, X86_ADD, 4, X86_RSI, sz);
        store_greg(e, R_ESP, 4, X86_RSI);
        if (f == F_POP)
            store_greg(e, in->opcode & 7, sz, X86_RCX);
        else
            st_reg(e, CPUF(rip), X86_RCX);
        break;
    }
    default:
        break;
    }
    s->c->stats->inline_insns++;
    bool ends = f == F_CALL || f == F_RET || f == F_JMP_R || f == F_CALL_R;
    if (ends)
        flush_icount(s, 1);                     /* the exits need icount whole */
    if (f == F_CALL) {
        exit_to(s, target);
        place_slow(e, &fx);
        s->pending = pend;
        emit_helper(s, in, next_eip, NULL);
        jit_emit_cmp_eip(e, target);
        size_t skip = x86_jcc_rel32(e, X86_CC_NE, NULL);
        exit_known(s, target);
        if (skip != (size_t)-1)
            x86_patch_rel32(e, skip, (void *)x86_here(e));
        x86_jmp_rel32(e, s->c->exit_generic);
        return false;
    }
    if (f == F_RET || f == F_JMP_R || f == F_CALL_R) {
        if (s->helper_ran) {
            x86_store_imm(e, 1, CPUM(OFF(priv.sw_int)), 0);
            x86_store_imm(e, 1, CPUM(OFF(priv.inhibit_db)), 0);
        }
        emit_indirect(s);                       /* target in ECX, EIP stored */
        place_slow(e, &fx);
        s->pending = pend;
        emit_helper(s, in, next_eip, NULL);
        x86_jmp_rel32(e, s->c->exit_generic);
        return false;
    }
    size_t join = x86_jmp_rel32(e, NULL);
    place_slow(e, &fx);
    bool helper_ran = s->helper_ran;
    s->pending = pend;
    emit_helper(s, in, next_eip, next);
    x86_alu_mi(e, X86_SUB, 8, CPUM(OFF(icount)), (int32_t)(pend + 1));
    s->pending = pend + 1;
    s->helper_ran = helper_ran;     /* (only on the slow path) */
    if (join != (size_t)-1)
        x86_patch_rel32(e, join, (void *)x86_here(e));
    s->kf = kf_after;
    return true;
}

static bool is_mem_form(enum form f) { return f >= F_LOAD; }

/* Whether condition cc can be branched on from host flags re-created from
 * the known lazy operation (else the handler decides). */
static bool host_flags_ok(const struct state *s, int cc)
{
    const struct known_flags *k = &s->kf;
    if (!k->known)
        return false;
    bool reads_cf = (cc >> 1) == 1 || (cc >> 1) == 3;      /* B/AE, BE/A */
    switch (k->kind) {
    case LF_SUB: case LF_ADD: case LF_LOGIC:
        return true;
    case LF_INC: case LF_DEC:
        return !reads_cf;
    default:
        return false;
    }
}

/* Host flags as the guest's after the known lazy operation. */
static void emit_host_flags(struct state *s)
{
    struct x86_emit *e = s->e;
    const struct known_flags *k = &s->kf;
    int size = k->size;
    switch (k->kind) {
    case LF_SUB:
        x86_load(e, 4, X86_RAX, CPUM(OFF(priv.lf_dst)));
        x86_load(e, 4, X86_RCX, CPUM(OFF(priv.lf_src)));
        x86_alu_rr(e, X86_CMP, size, X86_RAX, X86_RCX);
        break;
    case LF_ADD:
        x86_load(e, 4, X86_RAX, CPUM(OFF(priv.lf_dst)));
        x86_load(e, 4, X86_RCX, CPUM(OFF(priv.lf_src)));
        x86_alu_rr(e, X86_ADD, size, X86_RAX, X86_RCX);
        break;
    case LF_LOGIC:
        x86_load(e, 4, X86_RAX, CPUM(OFF(priv.lf_res)));
        x86_test_rr(e, size, X86_RAX, X86_RAX);
        break;
    default:    /* LF_INC, LF_DEC */
        x86_load(e, 4, X86_RAX, CPUM(OFF(priv.lf_dst)));
        if (k->kind == LF_INC)
            x86_inc_r(e, size, X86_RAX);
        else
            x86_dec_r(e, size, X86_RAX);
        break;
    }
}

/* cond_eval for the compiled code when the flags' origin is not known. */
static uint32_t jit_cond(struct cpu *cpu, uint32_t cc)
{
    return cond_eval(cpu, (int)cc);
}

/* Host flags on which the returned host condition is true exactly when
 * guest condition cc holds: re-created from the known lazy operation, or
 * EFLAGS itself when it holds the flags (LF_NONE: its arithmetic bits
 * through POPFQ, which leaves TF/AC/DF clear and IF alone at CPL 3), or
 * else cond_eval called (ZF clear: true). Clobbers the scratch registers. */
static enum x86_cc emit_cond(struct state *s, int cc)
{
    struct x86_emit *e = s->e;
    if (host_flags_ok(s, cc)) {
        emit_host_flags(s);
        return (enum x86_cc)cc;
    }
    if (s->kf.known && s->kf.kind == LF_NONE) {
        x86_load(e, 4, X86_RAX, CPUM(OFF(rflags)));
        x86_alu_ri(e, X86_AND, 4, X86_RAX, (int32_t)EFLAGS_ARITH);
        x86_push(e, X86_RAX);
        x86_popfq(e);
        return (enum x86_cc)cc;
    }
    x86_mov_rr(e, 8, X86_RDI, X86_RBX);
    x86_mov_ri(e, 4, X86_RSI, (uint32_t)cc);
    x86_call_abs(e, (const void *)jit_cond);
    x86_test_rr(e, 4, X86_RAX, X86_RAX);
    return X86_CC_NE;
}

/* Whether EIP eip is in another page than the block (with the block's
 * CS base: the block's linear page and eip's differ). Such an exit is
 * never chained (a chain needs the same physical page). */
static bool other_page(const struct tb *tb, uint32_t eip)
{
    int64_t at = (int64_t)(tb->phys_pc & 0xfff) + (int64_t)(int32_t)(eip - (uint32_t)tb->rip);
    return at < 0 || at >= 4096;
}

/* Leave the block with cpu->rip == eip (stored): a chainable exit, or for
 * a target in another page the indirect-branch cache's lookup (which
 * leaves to cpu_exec when it misses). */
static void exit_known(struct state *s, uint32_t eip)
{
    if (s->c->ind && other_page(s->c->tb, eip)) {
        x86_mov_ri(s->e, 4, X86_RCX, eip);
        emit_indirect(s);
    } else {
        s->c->chain_exit(s->c, eip);
    }
}

/* Leave the block at a known EIP. */
static void exit_to(struct state *s, uint32_t eip)
{
    struct x86_emit *e = s->e;
    if (s->helper_ran) {
        /* the fast path clears these before each instruction */
        x86_store_imm(e, 1, CPUM(OFF(priv.sw_int)), 0);
        x86_store_imm(e, 1, CPUM(OFF(priv.inhibit_db)), 0);
    }
    st_imm(e, CPUF(rip), eip);
    exit_known(s, eip);
}

/* A branch taken to target: the CS limit check of branch_to (#GP(0) is
 * raised by the handler, from the instruction's own state). */
static void emit_taken(struct state *s, const struct insn *in, uint32_t next_eip, uint32_t target)
{
    struct x86_emit *e = s->e;
    x86_mov_ri(e, 4, X86_RAX, target);
    x86_alu_rm(e, X86_CMP, 4, X86_RAX, CPUM(OFF(seg[SEG_CS].limit)));
    size_t gp = x86_jcc_rel32(e, X86_CC_A, NULL);
    exit_to(s, target);
    if (gp != (size_t)-1)
        x86_patch_rel32(e, gp, (void *)x86_here(e));
    /* past the limit: let the handler raise #GP(0) with icount as it was */
    x86_alu_mi(e, X86_SUB, 8, CPUM(OFF(icount)), 1);
    emit_call(s, in, next_eip);
    x86_jmp_rel32(e, s->c->exit_generic);
}

void jit_translate_insns(struct jit_ctx *c)
{
    const struct tb *tb = c->tb;
    struct x86_emit *e = c->e;
    uint32_t ip_mask = (tb->mode & DECODE_CODE32) ? 0xffffffffu : 0xffffu;
    struct state s = { .c = c, .e = e };
    bool last_inline = false;
    enum form forms[TB_MAX_INSNS];
    for (unsigned i = 0; i < tb->n_insns; i++) {
        enum form f = classify(&tb->insns[i], c->no_inline);
        if ((f == F_JCC || f == F_JMP || f == F_CALL || f == F_RET || f == F_JMP_R || f == F_CALL_R)
            && i + 1 < tb->n_insns)
            f = F_HELPER;               /* (they always end their block) */
        forms[i] = f;
    }
    /* Flag liveness, backwards: the flags an instruction writes are dead
     * when a later inline instruction of the block writes them all before
     * anything can read them (an instruction that may fault reads them: a
     * fault saves them as they are). */
    bool live_after[TB_MAX_INSNS];
    bool live_flags = true;             /* at the block's end */
    for (unsigned i = tb->n_insns; i-- > 0;) {
        live_after[i] = live_flags;
        enum flag_use u = flag_use(&tb->insns[i], forms[i]);
        if (u == FU_WRITE_ALL)
            live_flags = false;
        else if (u == FU_READ)
            live_flags = true;
    }

    for (unsigned i = 0; i < tb->n_insns; i++) {
        const struct insn *in = &tb->insns[i];
        const struct insn *next = i + 1 < tb->n_insns ? &tb->insns[i + 1] : NULL;
        uint32_t next_eip = (in->rip + in->len) & ip_mask;
        enum form f = forms[i];
        if (f == F_JMP || f == F_JCC) {
            uint32_t target = next_eip + in->imm;
            if (in->opsize == 2)
                target &= 0xffff;
            int cc = in->opcode & 0xf;
            {
                flush_icount(&s, 1);            /* (its ADD clobbers host flags) */
                if (f == F_JCC) {
                    enum x86_cc hcc = emit_cond(&s, cc);
                    size_t taken = x86_jcc_rel32(e, hcc, NULL);
                    exit_to(&s, next_eip);
                    if (taken != (size_t)-1)
                        x86_patch_rel32(e, taken, (void *)x86_here(e));
                }
                emit_taken(&s, in, next_eip, target);
                c->stats->inline_insns++;
                return;
            }
        }
        if (f == F_HELPER) {
            emit_helper(&s, in, next_eip, next);
            last_inline = false;
            continue;
        }
        bool live = live_after[i];
        if (is_mem_form(f)) {
            if (!emit_mem(&s, in, f, next_eip, next, live))
                return;                 /* CALL/RET: exits emitted */
        } else {
            emit_inline(&s, in, f, live);
            if (!live)
                s.kf.known = false;     /* the fields in memory are older */
        }
        last_inline = true;
    }

    /* the block ended: after a handler the EIP it left is compared with the
     * likely successors; after an inline instruction it is next_eip */
    const struct insn *lastin = &tb->insns[tb->n_insns - 1];
    uint32_t next_eip = (lastin->rip + lastin->len) & ip_mask;
    if (last_inline) {
        flush_icount(&s, 0);
        exit_to(&s, next_eip);
        return;
    }
    flush_icount(&s, 0);
    uint32_t cand[2];
    int n = 0;
    unsigned op = lastin->opcode;
    uint32_t target = next_eip + lastin->imm;
    if (lastin->opsize == 2)
        target &= 0xffff;
    if (!(lastin->desc->form & OPF_END_BB)) {
        cand[n++] = next_eip;
    } else if ((op >= 0x70 && op <= 0x7f) || (op >= 0x180 && op <= 0x18f) || (op >= 0xe0 && op <= 0xe3)) {
        cand[n++] = target;
        cand[n++] = next_eip;
    } else if (op == 0xe8 || op == 0xe9 || op == 0xeb) {
        cand[n++] = target;
    }
    for (int k = 0; k < n; k++) {
        jit_emit_cmp_eip(e, cand[k]);
        size_t skip = x86_jcc_rel32(e, X86_CC_NE, NULL);
        exit_known(&s, cand[k]);
        if (skip != (size_t)-1)
            x86_patch_rel32(e, skip, (void *)x86_here(e));
    }
    x86_jmp_rel32(e, c->exit_generic);
}
