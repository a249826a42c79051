/*
 * physmem.h - the inside of struct phys_mem (private to memory/).
 *
 * The PC physical address map modelled here (i440FX-class board):
 *   0x00000000-0x0009FFFF  RAM
 *   0x000A0000-0x000BFFFF  legacy VGA window: unassigned unless a device maps MMIO
 *   0x000C0000-0x000FFFFF  option ROMs / BIOS, or shadow RAM, chosen per 16 KiB
 *                          chunk by the i440FX PAM registers (datasheet 3.2.18)
 *   0x00100000-...         RAM up to min(ram_size, 0xE0000000)
 *   0xE0000000-0xFFFFFFFF  PCI hole: MMIO and the BIOS ROM just below 4 GiB
 *   0x100000000-...        the RAM that did not fit below the hole
 * All RAM is one host mmap; RAM above 4 GiB follows the low part in it.
 */
#ifndef SOFTVM_MEMORY_PHYSMEM_H
#define SOFTVM_MEMORY_PHYSMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "memory/memory.h"

#define PHYS_PAGE_SIZE   4096u
#define PHYS_PAGE_MASK   (~(uint64_t)(PHYS_PAGE_SIZE - 1))

#define PCI_HOLE_START   0xE0000000ull
#define HIGH_RAM_START   0x100000000ull
#define VGA_WINDOW_START 0xA0000u
#define PAM_START        0xC0000u
#define PAM_END          0x100000u
#define PAM_CHUNK        0x4000u                          /* 16 KiB */
#define PAM_CHUNKS       ((PAM_END - PAM_START) / PAM_CHUNK) /* 16 */

#define PHYS_MAX_ROMS  16
#define PHYS_MAX_MMIO  64
#define PHYS_MAX_TLBS  4
#define PHYS_MAX_DEVRAM 4

/* Device RAM (memory.h, phys_mem_add_devram): host memory a device owns,
 * decoded at a guest address the device moves (a PCI BAR), with one dirty
 * bit per 4 KiB page. A clean page's TLB write entries are slow, so the
 * first store sets its bit; a dirty page is written at RAM speed. */
struct devram_region {
    uint8_t *host;
    uint64_t len;              /* whole pages */
    uint64_t base;             /* guest address while mapped */
    bool mapped;
    uint8_t *dirty;            /* one bit per page, set by writes */
};

struct rom_region {
    uint64_t base;
    size_t len;
    uint8_t *data;
};

struct mmio_region {
    uint64_t base, len;
    const struct mmio_ops *ops;
    void *opaque;
};

struct tlb;

struct phys_mem {
    uint8_t *ram;              /* host mmap of ram_size bytes */
    uint64_t ram_size;
    uint64_t ram_low;          /* bytes of RAM mapped from physical 0 (below the PCI hole) */

    struct rom_region roms[PHYS_MAX_ROMS];
    int nroms;
    struct mmio_region mmio[PHYS_MAX_MMIO];
    int nmmio;
    bool mmio_over_ram;        /* some MMIO region overlaps RAM: no RAM shortcut */

    struct devram_region devram[PHYS_MAX_DEVRAM];
    int ndevram;
    bool devram_mapped;        /* some region is mapped: resolve looks at them */

    uint8_t pam[PAM_CHUNKS];   /* PAM_READ_RAM | PAM_WRITE_RAM per 16 KiB chunk */
    uint64_t a20_mask;         /* ~0 or ~(1 << 20): applied to CPU accesses */

    uint8_t *code_bitmap;      /* one bit per RAM page (host offset / 4096) */
    void (*code_hook)(void *opaque, uint64_t page_addr);
    void *code_hook_opaque;

    /* TLBs that cache translations into this map: flushed when the map
     * changes (PAM, MMIO, ROM, A20) or a page becomes a code page. */
    struct tlb *tlbs[PHYS_MAX_TLBS];
    int ntlbs;
};

/* How one physical page looks for one kind of access. */
enum phys_kind {
    PHYS_UNASSIGNED,   /* nothing: reads all-ones, writes ignored */
    PHYS_RAM,          /* plain RAM: host pointer valid */
    PHYS_ROM,          /* readable host bytes, writes ignored */
    PHYS_MMIO,         /* callbacks */
    PHYS_DEVRAM,       /* device RAM: host pointer valid, writes set dirty bits */
};

struct phys_target {
    enum phys_kind kind;
    uint8_t *host;             /* RAM/ROM: host byte for addr */
    size_t avail;              /* RAM/ROM: bytes valid from host onward in this region */
    const struct mmio_region *mmio;
    struct devram_region *devram;   /* PHYS_DEVRAM: the region */
};

/* Classify addr for a read (write=false) or write. */
void phys_resolve(struct phys_mem *pm, uint64_t addr, bool write, struct phys_target *t);

/* Host offset of RAM at addr, or -1 if addr isn't RAM (ignores PAM). */
int64_t phys_ram_offset(const struct phys_mem *pm, uint64_t addr);

/* Is this RAM page (host offset) marked as holding translated code? */
static inline bool phys_code_marked(const struct phys_mem *pm, uint64_t ram_off)
{
    uint64_t pg = ram_off / PHYS_PAGE_SIZE;
    return (pm->code_bitmap[pg >> 3] >> (pg & 7)) & 1;
}

/* A write is about to hit the RAM page at host offset ram_off: if it holds
 * translated code, clear the mark and tell the translation cache. */
void phys_note_code_write(struct phys_mem *pm, uint64_t ram_off);

/* Is the device-RAM page holding host byte host (PHYS_DEVRAM target) dirty? */
static inline bool phys_devram_page_dirty(const struct devram_region *r, const uint8_t *host)
{
    uint64_t pg = (uint64_t)(host - r->host) / PHYS_PAGE_SIZE;
    return (r->dirty[pg >> 3] >> (pg & 7)) & 1;
}

/* Sized physical access (size 1, 2, 4 or 8) for the MMU slow path. */
uint64_t phys_read_n(struct phys_mem *pm, uint64_t addr, unsigned size);
void phys_write_n(struct phys_mem *pm, uint64_t addr, uint64_t v, unsigned size);

/* Remember a TLB to flush when the map changes (memory/mmu.c registers a
 * CPU's TLB at its first miss; mmu_detach forgets it). */
void phys_register_tlb(struct phys_mem *pm, struct tlb *tlb);
void phys_unregister_tlb(struct phys_mem *pm, struct tlb *tlb);

#endif
