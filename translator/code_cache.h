/*
 * code_cache.h - bounded host memory for JIT-generated code, W^X.
 *
 * One memfd is mapped twice: a read+write view the translator writes
 * through, and a read+execute view the CPU runs. No page is ever writable
 * and executable in the same mapping, and no mprotect flips are needed on
 * the hot path (patching a chained jump is a store through the write view).
 * docs/JIT.md explains the choice. When the cache is full the owner flushes
 * it whole (code_cache_reset) and translates again: there is no per-block
 * free.
 */
#ifndef SOFTVM_TRANSLATOR_CODE_CACHE_H
#define SOFTVM_TRANSLATOR_CODE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CODE_CACHE_DEFAULT_SIZE (32u << 20)
#define CODE_CACHE_MIN_SIZE (64u << 10)

struct code_cache {
    uint8_t *rw;            /* the writable view */
    uint8_t *rx;            /* the executable view of the same pages */
    size_t size, used;
    int fd;
    uint64_t n_flushes;
};

/* Map size bytes (rounded up to pages); false with *err set when the host
 * gives no memfd or mapping. The executable view is placed near softvm's
 * own code when the host allows, so calls to helpers fit in rel32. */
bool code_cache_init(struct code_cache *cc, size_t size, const char **err);
void code_cache_destroy(struct code_cache *cc);

/* Room left for one more block. */
static inline size_t code_cache_room(const struct code_cache *cc) { return cc->size - cc->used; }
static inline uint8_t *code_cache_rw_here(const struct code_cache *cc) { return cc->rw + cc->used; }
static inline uint8_t *code_cache_rx_here(const struct code_cache *cc) { return cc->rx + cc->used; }
/* Keep n more bytes (just written at code_cache_rw_here), 16-byte aligned. */
void code_cache_commit(struct code_cache *cc, size_t n);
/* Drop everything (the owner forgets every pointer into the cache first). */
void code_cache_reset(struct code_cache *cc);
/* n bytes at executable address rx were (re)written through the write view:
 * tell a dynamic binary instrumenter (valgrind) that its translations of
 * them are stale. It cannot see stores through the other mapping; without
 * this, cachegrind/callgrind would run patched chains and reused cache
 * space as they were. No-op natively. */
void code_cache_written(const struct code_cache *cc, const void *rx, size_t n);

/* The write-view address of an executable address inside the cache. */
static inline uint8_t *code_cache_rw_of(const struct code_cache *cc, const void *rx)
{
    return cc->rw + ((const uint8_t *)rx - cc->rx);
}
static inline bool code_cache_contains(const struct code_cache *cc, const void *rx)
{
    return (const uint8_t *)rx >= cc->rx && (const uint8_t *)rx < cc->rx + cc->size;
}

#endif
