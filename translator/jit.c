/*
 * jit.c - the x86-64 backend (see jit.h): block compilation, the entry
 * trampoline, chaining and its undoing.
 *
 * Register use in generated code: RBX = struct cpu *, R12 = struct jit *
 * (both callee-saved, so helper calls keep them); RAX, RCX, RDX, RSI, RDI
 * are scratch. The stack stays 16-byte aligned at every helper call.
 * Guest state is always in struct cpu (no guest register lives in a host
 * register across an instruction), so a helper or a fault sees it whole.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "translator/jit.h"
#include "translator/code_cache.h"
#include "translator/jit_insn.h"
#include "translator/tb.h"
#include "translator/x86_emit.h"
#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/optable.h"

struct jit_block;

#define JIT_MAX_EXITS 4

/* A block exit that can be chained: the jump at patch_at (offset of its
 * rel32 field in the code cache) goes to its own bail-out code until
 * chained, then to the successor's chain entry. */
struct jit_exit {
    uint32_t patch_at;
    uint32_t target_eip;
    struct jit_block *from;
    struct jit_block *to;           /* chained to, or NULL */
    struct jit_exit *next_in;       /* next in to->incoming */
};

struct jit_block {
    void *entry;            /* run from cpu_exec (NULL: not compiled) */
    void *chain_entry;      /* reached by a chained jump: re-checks budget and CS limit */
    struct tb *tb;
    struct jit_exit exits[JIT_MAX_EXITS];
    unsigned n_exits;
    struct jit_exit *incoming;
    int cpl;                /* compiled for this CPL (the inline TLB lookups' privilege) */
};

struct jit {
    /* read and written by generated code through R12 */
    uint64_t end;                   /* the budget ends at this icount */
    struct jit_exit *last_exit;     /* the chainable exit the last run left by, or NULL */
    struct jit_stats stats;

    struct code_cache cc;
    struct jit_options opt;
    struct jit_ind ind[JIT_IND_SIZE];       /* the indirect-branch cache */
    void (*enter)(struct cpu *cpu, struct jit *j, void *code);
    void *exit_stub;                /* restores the C frame and returns */
    void *exit_generic;             /* last_exit = NULL, then exit_stub */
    size_t reserved;                /* bytes of shared stubs at the cache start */
    struct jit_block blocks[TB_POOL_SIZE];
};

#define J_OFF(f) ((int32_t)offsetof(struct jit, f))

static inline struct jit *jit_of(const struct cpu *cpu)
{
    return cpu->priv.tbs ? cpu->priv.tbs->jit : NULL;
}

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --- shared stubs ----------------------------------------------------------- */

/* enter(cpu, jit, code): save the callee-saved registers the blocks use,
 * load RBX/R12 and jump into the block; exit_stub undoes it. Three pushes
 * after the return address leave RSP 16-byte aligned. */
static bool emit_stubs(struct jit *j)
{
    struct x86_emit e;
    x86_emit_init(&e, j->cc.rw, (uintptr_t)j->cc.rx, 256);
    x86_push(&e, X86_RBX);
    x86_push(&e, X86_R12);
    x86_push(&e, X86_RBP);
    x86_mov_rr(&e, 8, X86_RBX, X86_RDI);
    x86_mov_rr(&e, 8, X86_R12, X86_RSI);
    x86_jmp_r(&e, X86_RDX);
    size_t exit_at = e.len;
    x86_pop(&e, X86_RBP);
    x86_pop(&e, X86_R12);
    x86_pop(&e, X86_RBX);
    x86_ret(&e);
    size_t generic_at = e.len;
    x86_store_imm(&e, 8, x86_mem_at(X86_R12, J_OFF(last_exit)), 0);
    x86_jmp_rel32(&e, j->cc.rx + exit_at);
    if (e.overflow)
        return false;
    j->enter = (void (*)(struct cpu *, struct jit *, void *))(void *)j->cc.rx;
    j->exit_stub = j->cc.rx + exit_at;
    j->exit_generic = j->cc.rx + generic_at;
    j->reserved = (e.len + 63) & ~(size_t)63;
    j->cc.used = j->reserved;
    return true;
}

/* --- block compilation ------------------------------------------------------ */

static void *exec_addr(const struct x86_emit *e, size_t at) { return (void *)(e->exec + at); }

struct compile_owner {
    struct jit *j;
    struct jit_block *b;
};

/* A chainable exit: jmp rel32 to its own bail-out until chained. */
static void chain_exit(struct jit_ctx *c, uint32_t eip)
{
    struct compile_owner *o = c->owner;
    struct jit *j = o->j;
    struct jit_block *b = o->b;
    struct x86_emit *e = c->e;
    if (j->opt.no_chain || b->n_exits >= JIT_MAX_EXITS) {
        x86_jmp_rel32(e, j->exit_generic);
        return;
    }
    size_t field = x86_jmp_rel32(e, NULL);
    if (field != (size_t)-1)
        x86_patch_rel32(e, field, exec_addr(e, e->len));   /* unchained: to the bail below */
    struct jit_exit *x = &b->exits[b->n_exits++];
    x86_mov_ri(e, 8, X86_RAX, (uintptr_t)x);
    x86_store(e, 8, x86_mem_at(X86_R12, J_OFF(last_exit)), X86_RAX);
    x86_jmp_rel32(e, j->exit_stub);
    *x = (struct jit_exit){ .patch_at = (uint32_t)(j->cc.used + field), .target_eip = eip, .from = b };
}

static bool compile(struct cpu *cpu, struct jit *j, struct tb *tb, struct jit_block *b)
{
    struct x86_emit e;
    x86_emit_init(&e, code_cache_rw_here(&j->cc), (uintptr_t)code_cache_rx_here(&j->cc),
                  code_cache_room(&j->cc));
    struct compile_owner owner = { j, b };
    struct jit_ctx ctx = { .e = &e, .cpu = cpu, .tb = tb, .exit_generic = j->exit_generic,
                           .stats = &j->stats, .no_inline = j->opt.no_inline,
                           .helper_calls_off = J_OFF(stats.helper_calls),
                           .chain_exit = chain_exit, .owner = &owner, .cpl = cpu->cpl,
                           .ind = j->opt.no_chain ? NULL : j->ind,
                           .running_page = &cpu->priv.tbs->running_page,
                           .indirect_hits_off = J_OFF(stats.indirect_hits) };
    b->n_exits = 0;

    /* chain entry: what cpu_exec checks before it runs a block fast */
    size_t chain_at = e.len;
    x86_load(&e, 8, X86_RAX, x86_mem_at(X86_RBX, (int32_t)offsetof(struct cpu, icount)));
    x86_alu_ri(&e, X86_ADD, 8, X86_RAX, tb->n_insns);
    x86_alu_rm(&e, X86_CMP, 8, X86_RAX, x86_mem_at(X86_R12, J_OFF(end)));
    x86_jcc_rel32(&e, X86_CC_A, j->exit_generic);
    x86_mov_ri(&e, 4, X86_RAX, (uint32_t)(tb->end_rip - 1));
    x86_alu_rm(&e, X86_CMP, 4, X86_RAX,
               x86_mem_at(X86_RBX, (int32_t)offsetof(struct cpu, seg[SEG_CS].limit)));
    x86_jcc_rel32(&e, X86_CC_A, j->exit_generic);        /* end_eip - 1 > limit */
    x86_alu_mi(&e, X86_CMP, 4, x86_mem_at(X86_RBX, (int32_t)offsetof(struct cpu, cpl)), cpu->cpl);
    x86_jcc_rel32(&e, X86_CC_NE, j->exit_generic);
    x86_inc_m(&e, 8, x86_mem_at(X86_R12, J_OFF(stats.chain_hits)));
    size_t entry_at = e.len;

    jit_translate_insns(&ctx);

    if (e.overflow)
        return false;
    b->tb = tb;
    b->cpl = cpu->cpl;
    b->entry = exec_addr(&e, entry_at);
    b->chain_entry = exec_addr(&e, chain_at);
    b->incoming = NULL;
    code_cache_written(&j->cc, code_cache_rx_here(&j->cc), e.len);
    code_cache_commit(&j->cc, e.len);
    j->stats.blocks_translated++;
    j->stats.code_bytes = j->cc.used;
    return true;
}

/* --- chaining --------------------------------------------------------------- */

static void set_jump(struct jit *j, struct jit_exit *x, void *target)
{
    x86_write_rel32(j->cc.rw + x->patch_at, (uintptr_t)(j->cc.rx + x->patch_at), target);
    code_cache_written(&j->cc, j->cc.rx + x->patch_at, 4);
}

static void unchain(struct jit *j, struct jit_exit *x)
{
    set_jump(j, x, j->cc.rx + x->patch_at + 4);     /* back to its bail-out */
    x->to = NULL;
    j->stats.chains_undone++;
}

/* Chain exit x to block b if that is exact: the successor must be what
 * cpu_exec would look up from that exit under any mapping, so it must be
 * in the same physical page at the same offset from the exit's block, and
 * translated for the same state key. */
static void try_chain(struct jit *j, struct jit_exit *x, struct jit_block *b)
{
    struct jit_block *from = x->from;
    const struct tb *a = from->tb, *t = b->tb;
    if (x->to || !from->entry || !a || !a->valid || !t->valid || t->rip != x->target_eip
        || t->key != a->key)
        return;
    int64_t d_phys = (int64_t)(t->phys_pc - a->phys_pc);
    int64_t d_eip = (int32_t)(t->rip - a->rip);
    if ((a->phys_pc >> 12) != (t->phys_pc >> 12) || d_phys != d_eip)
        return;
    set_jump(j, x, b->chain_entry);
    x->to = b;
    x->next_in = b->incoming;
    b->incoming = x;
    j->stats.chains_made++;
}

void jit_tb_invalidated(struct cpu *cpu, struct tb *tb)
{
    struct jit *j = jit_of(cpu);
    if (!j)
        return;
    struct jit_block *b = &j->blocks[tb - cpu->priv.tbs->pool];
    if (!b->entry)
        return;
    for (struct jit_exit *x = b->incoming; x; x = x->next_in)
        unchain(j, x);
    b->incoming = NULL;
    /* its own chains: leave the successors' incoming lists */
    for (unsigned k = 0; k < b->n_exits; k++) {
        struct jit_exit *x = &b->exits[k];
        if (!x->to)
            continue;
        struct jit_exit **pp = &x->to->incoming;
        while (*pp && *pp != x)
            pp = &(*pp)->next_in;
        if (*pp)
            *pp = x->next_in;
        x->to = NULL;
    }
    struct jit_ind *ind = &j->ind[jit_ind_hash(tb->phys_pc)];
    if (ind->chain_entry == b->chain_entry)
        memset(ind, 0, sizeof(*ind));
    b->entry = NULL;
    b->tb = NULL;
    if (j->last_exit && j->last_exit->from == b)
        j->last_exit = NULL;
}

void jit_flush(struct cpu *cpu)
{
    struct jit *j = jit_of(cpu);
    if (!j)
        return;
    memset(j->blocks, 0, sizeof(j->blocks));
    memset(j->ind, 0, sizeof(j->ind));
    j->last_exit = NULL;
    j->cc.used = j->reserved;
    j->stats.code_flushes++;
    j->stats.code_bytes = j->cc.used;
}

/* --- running ---------------------------------------------------------------- */

/* Most code one block can need (32 instructions of the longest form). */
#define JIT_MAX_BLOCK_BYTES (TB_MAX_INSNS * 256 + 512)

bool jit_run(struct cpu *cpu, struct tb *tb, uint64_t end)
{
    /* An interrupt that is due stops the fast path after the first
     * instruction (the stop tests); compiled code tests them only after
     * instructions that can change them (handler calls), so let the
     * interpreter take this block. With IF = 0 nothing is due before the
     * block's end: only its last instruction (STI, POPF, IRET) can set IF. */
    if (((cpu->req & CPU_REQ_INTR) && (cpu->rflags & EFLAGS_IF)) || (cpu->req & (CPU_REQ_NMI | CPU_REQ_EXIT)))
        return false;
    /* 64-bit code is not compiled yet (its emitters assume 16/32-bit
     * operands and EIP): the interpreter runs it */
    if (tb->mode & DECODE_CODE64) {
        cpu->priv.tbs->jit->stats.declined_code64++;
        return false;
    }
    struct tb_cache *c = cpu->priv.tbs;
    struct jit *j = c->jit;
    struct jit_block *b = &j->blocks[tb - c->pool];
    if (!b->entry) {
        uint64_t t0 = host_ns();
        if (code_cache_room(&j->cc) < JIT_MAX_BLOCK_BYTES) {
            /* full: start again (the TBs stay; only their code goes) */
            jit_flush(cpu);
            j->cc.n_flushes++;
        }
        bool ok = compile(cpu, j, tb, b);
        if (!ok) {
            jit_flush(cpu);
            ok = compile(cpu, j, tb, b);
        }
        j->stats.translate_ns += host_ns() - t0;
        if (!ok) {
            memset(b, 0, sizeof(*b));
            j->stats.blocks_failed++;
            return false;
        }
    }
    if (b->cpl != cpu->cpl) {
        /* compiled at another privilege: the same code can run at two CPLs
         * (a conforming segment, a reloaded selector): compile again */
        jit_tb_invalidated(cpu, tb);
        memset(b, 0, sizeof(*b));
        return jit_run(cpu, tb, end);
    }
    if (j->last_exit) {
        try_chain(j, j->last_exit, b);
        j->last_exit = NULL;
    }
    if (!j->opt.no_chain)
        j->ind[jit_ind_hash(tb->phys_pc)] = (struct jit_ind){ tb->phys_pc, tb->rip, tb->key,
                                                             b->chain_entry, 0 };
    j->end = end;
    j->enter(cpu, j, b->entry);
    return true;
}

/* --- lifecycle -------------------------------------------------------------- */

bool jit_enable(struct cpu *cpu, const struct jit_options *opt, const char **err)
{
    if (!jit_supported()) {
        *err = "the JIT needs an x86-64 Linux host";
        return false;
    }
    struct tb_cache *c = cpu->priv.tbs;
    if (!c) {
        *err = "no TB cache";
        return false;
    }
    if (c->jit)
        jit_disable(cpu);
    struct jit *j = calloc(1, sizeof(*j));
    if (!j) {
        *err = "out of memory for the JIT";
        return false;
    }
    if (opt)
        j->opt = *opt;
    if (!code_cache_init(&j->cc, j->opt.code_size ? j->opt.code_size : CODE_CACHE_DEFAULT_SIZE, err)) {
        free(j);
        return false;
    }
    if (!emit_stubs(j)) {
        code_cache_destroy(&j->cc);
        free(j);
        *err = "code cache too small";
        return false;
    }
    c->jit = j;
    return true;
}

void jit_disable(struct cpu *cpu)
{
    struct tb_cache *c = cpu->priv.tbs;
    if (!c || !c->jit)
        return;
    code_cache_destroy(&c->jit->cc);
    free(c->jit);
    c->jit = NULL;
}

const struct jit_stats *jit_get_stats(const struct cpu *cpu)
{
    struct jit *j = jit_of(cpu);
    return j ? &j->stats : NULL;
}
