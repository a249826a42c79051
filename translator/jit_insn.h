/*
 * jit_insn.h - the JIT's instruction emitters (jit_insn.c): the code for
 * the instructions of one block, between the block's entry and its exits.
 * Internal to translator/jit*.c.
 */
#ifndef SOFTVM_TRANSLATOR_JIT_INSN_H
#define SOFTVM_TRANSLATOR_JIT_INSN_H

#include <stdbool.h>
#include <stdint.h>
#include "translator/jit.h"
#include "translator/x86_emit.h"

struct jit_ctx {
    struct x86_emit *e;
    struct cpu *cpu;
    struct tb *tb;
    void *exit_generic;         /* leave the block, unchained */
    struct jit_stats *stats;
    bool no_inline;
    int cpl;                    /* the block is compiled for this CPL (TLB privilege) */
    int32_t helper_calls_off;   /* R12-relative counter of handler calls */
    /* Leave the block with cpu->eip == eip (already stored): a chainable
     * exit, or a plain one when chaining is off. */
    void (*chain_exit)(struct jit_ctx *c, uint32_t eip);
    void *owner;                /* for chain_exit */
};

/* Emit every instruction of ctx->tb; on return cpu->eip holds where the
 * last one went and every stop test has passed. */
void jit_translate_insns(struct jit_ctx *ctx);
/* cmp cpu->eip, value (flags: equal when EIP == value). */
void jit_emit_cmp_eip(struct x86_emit *e, uint32_t value);

#endif
