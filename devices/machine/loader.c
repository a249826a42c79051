/*
 * loader.c - shared boot-loader helpers. See loader.h.
 *
 * Segment caches follow SDM Vol. 3A 3.4.5 (descriptor fields); struct
 * segment's flags hold the descriptor's high dword bits 8..23.
 */
#include "devices/machine/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/machine/machine.h"
#include "memory/memory.h"

/* Open for reading without blocking (a FIFO or a terminal named as an image
 * would block fopen until someone writes) and refuse anything but a regular
 * file before reading a byte. */
static FILE *open_regular(const char *what, const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        /* QEMU's wording for the kernel, which test runners look for. */
        fprintf(stderr, "softvm: %s '%s': %s%s\n", what, path,
                strcmp(what, "-kernel") ? "" : "could not open kernel file: ", strerror(errno));
        return NULL;
    }
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        fprintf(stderr, "softvm: %s '%s': not a regular file\n", what, path);
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        fprintf(stderr, "softvm: %s '%s': %s\n", what, path, strerror(errno));
        close(fd);
    }
    return f;
}

int loader_file_size(const char *what, const char *path, uint64_t *size)
{
    struct stat st;
    FILE *f = open_regular(what, path, &st);
    if (!f)
        return -1;
    fclose(f);
    *size = (uint64_t)st.st_size;
    return 0;
}

int loader_read_file(const char *what, const char *path, size_t max_len,
                     uint8_t **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    struct stat st;
    FILE *f = open_regular(what, path, &st);
    if (!f)
        return -1;
    if (st.st_size == 0) {
        fprintf(stderr, "softvm: %s '%s': the file is empty\n", what, path);
        fclose(f);
        return -1;
    }
    if ((uint64_t)st.st_size > max_len) {
        fprintf(stderr, "softvm: %s '%s': too large (%lld bytes; at most %zu fit)\n",
                what, path, (long long)st.st_size, max_len);
        fclose(f);
        return -1;
    }
    size_t n = (size_t)st.st_size;
    uint8_t *buf = malloc(n);
    if (!buf) {
        fprintf(stderr, "softvm: %s '%s': out of memory\n", what, path);
        fclose(f);
        return -1;
    }
    if (fread(buf, 1, n, f) != n) {
        fprintf(stderr, "softvm: %s '%s': read error\n", what, path);
        free(buf);
        fclose(f);
        return -1;
    }
    fclose(f);
    *data = buf;
    *len = n;
    return 0;
}

int loader_copy_to_ram(struct phys_mem *pm, uint64_t addr, const void *src, size_t len)
{
    if (len == 0)
        return 0;
    void *dst = phys_ram_ptr(pm, addr, len);
    if (!dst)
        return -1;
    memcpy(dst, src, len);
    return 0;
}

int loader_zero_ram(struct phys_mem *pm, uint64_t addr, size_t len)
{
    if (len == 0)
        return 0;
    void *dst = phys_ram_ptr(pm, addr, len);
    if (!dst)
        return -1;
    memset(dst, 0, len);
    return 0;
}

/* A descriptor's high-dword bits 8..23 (struct segment flags): type, S, DPL,
 * P, limit 19:16, AVL, L, D/B, G. */
#define FLAT_CODE_FLAGS 0xCF9Bu   /* G, D, limit 0xF, P, DPL 0, S, execute/read accessed */
#define FLAT_DATA_FLAGS 0xCF93u   /* G, B, limit 0xF, P, DPL 0, S, read/write accessed */

static uint64_t descriptor(uint32_t flags)
{
    /* base 0, limit 0xFFFFF (x4K with G = 4 GiB) */
    return 0xFFFFull | ((uint64_t)flags << 40);
}

static void load_flat(struct segment *s, uint16_t sel, uint32_t flags)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xFFFFFFFFu;
    s->flags = flags;
}

int loader_enter_flat32(struct machine *m, uint32_t gdt_addr, uint32_t entry)
{
    uint64_t gdt[LOADER_GDT_SIZE / 8] = {
        0, 0, descriptor(FLAT_CODE_FLAGS), descriptor(FLAT_DATA_FLAGS)
    };
    uint8_t bytes[LOADER_GDT_SIZE];
    for (int i = 0; i < LOADER_GDT_SIZE / 8; i++)
        for (int b = 0; b < 8; b++)
            bytes[i * 8 + b] = (uint8_t)(gdt[i] >> (8 * b));
    if (loader_copy_to_ram(m->mem, gdt_addr, bytes, sizeof(bytes)) != 0)
        return -1;

    struct cpu *cpu = &m->cpu;
    memset(cpu->regs, 0, sizeof(cpu->regs));
    cpu->gdtr.base = gdt_addr;
    cpu->gdtr.limit = LOADER_GDT_SIZE - 1;
    cpu->cr0 = CR0_PE | CR0_ET;          /* protected mode, paging and caches as after INIT+PE */
    cpu->cpl = 0;
    cpu_set_eflags(cpu, EFLAGS_FIXED1);   /* IF = 0 */
    load_flat(&cpu->seg[SEG_CS], LOADER_CS, FLAT_CODE_FLAGS);
    for (int s = 0; s < SEG_COUNT; s++)
        if (s != SEG_CS)
            load_flat(&cpu->seg[s], LOADER_DS, FLAT_DATA_FLAGS);
    cpu->rip = entry;
    phys_mem_set_a20(m->mem, true);
    return 0;
}
