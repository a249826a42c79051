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

/* One entry of the indirect-branch cache: the block cpu_exec last entered
 * at this physical address, for RET, JMP/CALL r and exits to another page
 * to jump to without leaving. key is the block's state key: a jump finds
 * only a block translated for the state it runs in. */
#define JIT_IND_SIZE 4096
struct jit_ind {
    uint64_t phys;
    uint32_t eip, key;
    void *chain_entry;
    uint64_t pad;
};
_Static_assert(sizeof(struct jit_ind) == 32, "the emitted index scales by 32");
static inline unsigned jit_ind_hash(uint64_t phys)
{
    return (unsigned)((phys >> 12) ^ phys) & (JIT_IND_SIZE - 1);
}

struct jit_ctx {
    struct x86_emit *e;
    struct cpu *cpu;
    struct tb *tb;
    void *exit_generic;         /* leave the block, unchained */
    struct jit_stats *stats;
    bool no_inline;
    int cpl;                    /* the block is compiled for this CPL (TLB privilege) */
    int32_t helper_calls_off;   /* R12-relative counter of handler calls */
    /* Leave the block with cpu->rip == eip (already stored): a chainable
     * exit, or a plain one when chaining is off. */
    void (*chain_exit)(struct jit_ctx *c, uint32_t eip);
    void *owner;                /* for chain_exit */
    /* the indirect-branch cache (jit.c), or NULL: RET leaves to cpu_exec */
    const struct jit_ind *ind;
    uint64_t *running_page;     /* tb_cache.running_page: set when jumping there */
    int32_t indirect_hits_off;  /* R12-relative counter */
};

/* Emit every instruction of ctx->tb; on return cpu->rip holds where the
 * last one went and every stop test has passed. */
void jit_translate_insns(struct jit_ctx *ctx);
/* cmp cpu->rip, value (flags: equal when EIP == value). */
void jit_emit_cmp_eip(struct x86_emit *e, uint32_t value);

#endif
