/*
 * code_cache.c - the JIT's code memory (see code_cache.h): a memfd mapped
 * once writable and once executable (memfd_create(2), mmap(2) MAP_SHARED).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "translator/code_cache.h"
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

#define PAGE 4096u

/* Try to put the executable view within rel32 reach of softvm's text, so
 * generated code calls helpers with a 5-byte CALL. A hint only: the kernel
 * may choose elsewhere, and then calls go through a register. */
static void *near_text_hint(size_t size)
{
    uintptr_t text = (uintptr_t)&code_cache_init;
    uintptr_t hint = (text & ~(uintptr_t)0xfffff) + (256u << 20);   /* 256 MiB past it */
    (void)size;
    return (void *)hint;
}

bool code_cache_init(struct code_cache *cc, size_t size, const char **err)
{
    memset(cc, 0, sizeof(*cc));
    cc->fd = -1;
    if (size < CODE_CACHE_MIN_SIZE)
        size = CODE_CACHE_MIN_SIZE;
    size = (size + PAGE - 1) & ~(size_t)(PAGE - 1);
    int fd = memfd_create("softvm-jit", MFD_CLOEXEC);
    if (fd < 0) {
        *err = "memfd_create failed";
        return false;
    }
    if (ftruncate(fd, (off_t)size) != 0) {
        close(fd);
        *err = "cannot size the code cache";
        return false;
    }
    void *rx = mmap(near_text_hint(size), size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
    if (rx == MAP_FAILED) {
        close(fd);
        *err = "cannot map the code cache executable";
        return false;
    }
    void *rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (rw == MAP_FAILED) {
        munmap(rx, size);
        close(fd);
        *err = "cannot map the code cache writable";
        return false;
    }
    cc->rw = rw;
    cc->rx = rx;
    cc->size = size;
    cc->fd = fd;
    return true;
}

void code_cache_destroy(struct code_cache *cc)
{
    if (cc->rw)
        munmap(cc->rw, cc->size);
    if (cc->rx)
        munmap(cc->rx, cc->size);
    if (cc->fd >= 0)
        close(cc->fd);
    memset(cc, 0, sizeof(*cc));
    cc->fd = -1;
}

void code_cache_commit(struct code_cache *cc, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    cc->used = cc->used + n > cc->size ? cc->size : cc->used + n;
}

void code_cache_reset(struct code_cache *cc)
{
    cc->used = 0;
    cc->n_flushes++;
}

void code_cache_written(const struct code_cache *cc, const void *rx, size_t n)
{
    (void)cc;
#ifdef VALGRIND_DISCARD_TRANSLATIONS
    if (RUNNING_ON_VALGRIND)
        VALGRIND_DISCARD_TRANSLATIONS(rx, n);
#else
    (void)rx;
    (void)n;
#endif
}
