/*
 * jit_insn.c - per-instruction code of a compiled block (see jit_insn.h).
 *
 * Every instruction not emitted inline becomes a call of its interpreter
 * handler with exactly the bookkeeping cpu/exec.c's block fast path does
 * around it: the fault checkpoint (EIP, ESP, EFLAGS, lazy flags), EIP set
 * to the next instruction, sw_int/inhibit_db cleared, the call, icount + 1,
 * then the stop tests (tb_stop, INTR, NMI, exit_request, EIP not the next
 * instruction's). Struct fields are addressed by offsetof and sized by
 * sizeof, so the code follows the state layout.
 */
#include <stddef.h>

#include "translator/jit_insn.h"
#include "translator/tb.h"
#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/optable.h"

/* A field of struct cpu as (offset, size) for the emitters below. */
#define CPUF(f) (int32_t)offsetof(struct cpu, f), (int)sizeof(((struct cpu *)0)->f)
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

/* dst field = src field (same size) */
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

void jit_emit_cmp_eip(struct x86_emit *e, uint32_t value)
{
    int32_t off = (int32_t)offsetof(struct cpu, eip);
    int size = (int)sizeof(((struct cpu *)0)->eip);
    if (size == 4 || value <= 0x7fffffffu) {
        x86_alu_mi(e, X86_CMP, size, CPUM(off), (int32_t)value);
    } else {
        x86_mov_ri(e, 4, X86_RAX, value);               /* zero-extended */
        x86_alu_rm(e, X86_CMP, size, X86_RAX, CPUM(off));
    }
}

/* What cpu/exec.c's checkpoint() saves, for the instruction at eip. */
static void emit_checkpoint(struct x86_emit *e, uint32_t eip)
{
    st_imm(e, CPUF(priv.insn_eip), eip);
    copy(e, CPUF(priv.insn_esp), CPUF(regs[R_ESP]));
    copy(e, CPUF(priv.saved_eflags), CPUF(eflags));
    copy_bytes(e, (int32_t)offsetof(struct cpu, priv.saved_lf), (int32_t)offsetof(struct cpu, priv.lf_op),
               (int)sizeof(((struct cpu *)0)->priv.saved_lf));
}

/* The stop tests after an instruction that may have touched memory, I/O
 * or control state. */
static void emit_stop_tests(struct jit_ctx *c, const struct insn *next)
{
    struct x86_emit *e = c->e;
    x86_load(e, 1, X86_RAX, CPUM((int32_t)offsetof(struct cpu, priv.tb_stop)));
    x86_alu_rm(e, X86_OR, 1, X86_RAX, CPUM((int32_t)offsetof(struct cpu, intr)));
    x86_alu_rm(e, X86_OR, 1, X86_RAX, CPUM((int32_t)offsetof(struct cpu, nmi_pending)));
    x86_alu_rm(e, X86_OR, 4, X86_RAX, CPUM((int32_t)offsetof(struct cpu, exit_request)));
    x86_jcc_rel32(e, X86_CC_NE, c->exit_generic);
    if (next) {
        jit_emit_cmp_eip(e, next->eip);
        x86_jcc_rel32(e, X86_CC_NE, c->exit_generic);
    }
}

/* The instruction through its interpreter handler. */
static void emit_helper(struct jit_ctx *c, const struct insn *in, uint32_t next_eip, const struct insn *next)
{
    struct x86_emit *e = c->e;
    emit_checkpoint(e, in->eip);
    st_imm(e, CPUF(eip), next_eip);
    x86_store_imm(e, 1, CPUM((int32_t)offsetof(struct cpu, priv.sw_int)), 0);
    x86_store_imm(e, 1, CPUM((int32_t)offsetof(struct cpu, priv.inhibit_db)), 0);
    x86_mov_rr(e, 8, X86_RDI, X86_RBX);
    x86_mov_ri(e, 8, X86_RSI, (uintptr_t)in);
    x86_call_abs(e, (const void *)in->desc->fn);
    x86_alu_mi(e, X86_ADD, 8, CPUM((int32_t)offsetof(struct cpu, icount)), 1);
    x86_inc_m(e, 8, x86_mem_at(X86_R12, c->helper_calls_off));
    emit_stop_tests(c, next);
}

void jit_translate_insns(struct jit_ctx *c)
{
    const struct tb *tb = c->tb;
    uint32_t ip_mask = (tb->mode & DECODE_CODE32) ? 0xffffffffu : 0xffffu;
    for (unsigned i = 0; i < tb->n_insns; i++) {
        const struct insn *in = &tb->insns[i];
        const struct insn *next = i + 1 < tb->n_insns ? &tb->insns[i + 1] : NULL;
        uint32_t next_eip = (in->eip + in->len) & ip_mask;
        emit_helper(c, in, next_eip, next);
    }
}
