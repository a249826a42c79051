/*
 * physmem.c - the guest physical address map: RAM, ROM, MMIO, the A20 gate,
 * i440FX PAM shadowing of 0xC0000-0xFFFFF, code-page tracking and DMA.
 *
 * See physmem.h for the map. Every access is resolved against the map and
 * bounds-checked, so no guest-chosen address or length reaches host memory
 * outside the RAM and ROM allocations.
 */
#include "memory/physmem.h"
#include "memory/tlb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* --- creation ------------------------------------------------------------- */

struct phys_mem *phys_mem_create(uint64_t ram_size)
{
    /* Whole pages only; the limit keeps 36-bit physical addresses (PAE). */
    if (ram_size == 0 || (ram_size & (PHYS_PAGE_SIZE - 1)) ||
        ram_size > (1ull << 36) - HIGH_RAM_START + PCI_HOLE_START) {
        errno = EINVAL;
        return NULL;
    }
    struct phys_mem *pm = calloc(1, sizeof(*pm));
    if (!pm)
        return NULL;
    /* MAP_NORESERVE: untouched guest RAM costs no host memory. */
    void *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (ram == MAP_FAILED) {
        int e = errno;
        free(pm);
        errno = e;
        return NULL;
    }
    pm->code_bitmap = calloc((ram_size / PHYS_PAGE_SIZE + 7) / 8, 1);
    if (!pm->code_bitmap) {
        munmap(ram, ram_size);
        free(pm);
        errno = ENOMEM;
        return NULL;
    }
    pm->ram = ram;
    pm->ram_size = ram_size;
    pm->ram_low = ram_size < PCI_HOLE_START ? ram_size : PCI_HOLE_START;
    pm->a20_mask = ~0ull;
    return pm;
}

void phys_mem_destroy(struct phys_mem *pm)
{
    if (!pm)
        return;
    for (int i = 0; i < pm->nroms; i++)
        free(pm->roms[i].data);
    for (int i = 0; i < pm->ndevram; i++)
        free(pm->devram[i].dirty);
    free(pm->code_bitmap);
    munmap(pm->ram, pm->ram_size);
    free(pm);
}

uint64_t phys_mem_ram_size(const struct phys_mem *pm)
{
    return pm->ram_size;
}

static void code_range_changed(struct phys_mem *pm, uint64_t base, uint64_t len);

/* The map changed: cached translations may point at the wrong thing. */
static void map_changed(struct phys_mem *pm)
{
    for (int i = 0; i < pm->ntlbs; i++)
        tlb_invalidate(pm->tlbs[i]);
}

void phys_register_tlb(struct phys_mem *pm, struct tlb *tlb)
{
    for (int i = 0; i < pm->ntlbs; i++)
        if (pm->tlbs[i] == tlb)
            return;
    if (pm->ntlbs < PHYS_MAX_TLBS)
        pm->tlbs[pm->ntlbs++] = tlb;
    else
        pm->tlbs[PHYS_MAX_TLBS - 1] = tlb;  /* more CPUs than slots: the newest wins */
}

void phys_unregister_tlb(struct phys_mem *pm, struct tlb *tlb)
{
    for (int i = 0; i < pm->ntlbs; i++)
        if (pm->tlbs[i] == tlb) {
            pm->tlbs[i] = pm->tlbs[--pm->ntlbs];
            return;
        }
}

int phys_mem_add_rom(struct phys_mem *pm, uint64_t base, const void *data, size_t len)
{
    if (pm->nroms >= PHYS_MAX_ROMS || len == 0 || base + len < base) {
        errno = EINVAL;
        return -1;
    }
    uint8_t *copy = malloc(len);
    if (!copy)
        return -1;
    memcpy(copy, data, len);
    pm->roms[pm->nroms++] = (struct rom_region){ .base = base, .len = len, .data = copy };
    map_changed(pm);
    return 0;
}

static void mmio_placed(struct phys_mem *pm, uint64_t base, uint64_t len);

int phys_mem_add_mmio(struct phys_mem *pm, uint64_t base, uint64_t len,
                      const struct mmio_ops *ops, void *opaque)
{
    if (pm->nmmio >= PHYS_MAX_MMIO || len == 0 || base + len < base || !ops) {
        errno = EINVAL;
        return -1;
    }
    pm->mmio[pm->nmmio++] = (struct mmio_region){
        .base = base, .len = len, .ops = ops, .opaque = opaque };
    mmio_placed(pm, base, len);
    return 0;
}

int phys_mem_move_mmio(struct phys_mem *pm, const struct mmio_ops *ops, void *opaque,
                       uint64_t base, uint64_t len)
{
    if (base + len < base) {
        errno = EINVAL;
        return -1;
    }
    for (int i = 0; i < pm->nmmio; i++) {
        struct mmio_region *r = &pm->mmio[i];
        if (r->ops != ops || r->opaque != opaque)
            continue;
        if (r->base == base && r->len == len)
            return 0;
        uint64_t old_base = r->base, old_len = r->len;
        r->base = base;
        r->len = len;
        if (old_len)
            code_range_changed(pm, old_base, old_len);
        if (len)
            mmio_placed(pm, base, len);
        else
            map_changed(pm);
        return 0;
    }
    errno = ENOENT;
    return -1;
}

/* A region now covers [base, base+len): RAM shortcuts and cached
 * translations of that range are no longer valid. */
static void mmio_placed(struct phys_mem *pm, uint64_t base, uint64_t len)
{
    uint64_t high_end = HIGH_RAM_START + (pm->ram_size - pm->ram_low);
    bool over_low = base < pm->ram_low && !(base >= VGA_WINDOW_START && base + len <= PAM_END);
    bool over_high = base < high_end && base + len > HIGH_RAM_START && high_end > HIGH_RAM_START;
    if (over_low || over_high)
        pm->mmio_over_ram = true;
    code_range_changed(pm, base, len);   /* it may cover RAM holding code */
    map_changed(pm);
}

/* --- device RAM ------------------------------------------------------------ */

int phys_mem_add_devram(struct phys_mem *pm, uint8_t *host, uint64_t len)
{
    if (pm->ndevram >= PHYS_MAX_DEVRAM || !host || len == 0 || (len & (PHYS_PAGE_SIZE - 1))) {
        errno = EINVAL;
        return -1;
    }
    uint8_t *dirty = calloc((len / PHYS_PAGE_SIZE + 7) / 8, 1);
    if (!dirty)
        return -1;
    int id = pm->ndevram++;
    pm->devram[id] = (struct devram_region){ .host = host, .len = len, .dirty = dirty };
    return id;
}

static void flush_phys_range(struct phys_mem *pm, uint64_t lo, uint64_t len)
{
    uint64_t hi = lo + len < lo ? ~0ull : lo + len;
    for (int i = 0; i < pm->ntlbs; i++)
        tlb_flush_phys_range(pm->tlbs[i], lo, hi);
}

void phys_mem_map_devram(struct phys_mem *pm, int id, uint64_t base, bool mapped)
{
    if (id < 0 || id >= pm->ndevram)
        return;
    struct devram_region *r = &pm->devram[id];
    base &= PHYS_PAGE_MASK;
    if (mapped && base + r->len < base)
        mapped = false;                 /* would wrap: decodes nothing */
    if (r->mapped == mapped && (!mapped || r->base == base))
        return;
    if (r->mapped)
        flush_phys_range(pm, r->base, r->len);
    r->mapped = mapped;
    r->base = base;
    if (mapped)
        flush_phys_range(pm, base, r->len);
    pm->devram_mapped = false;
    for (int i = 0; i < pm->ndevram; i++)
        pm->devram_mapped |= pm->devram[i].mapped;
}

/* Set the dirty bits of the pages holding [off, off + len) of region r
 * (both already within it). */
static void devram_mark(struct devram_region *r, uint64_t off, uint64_t len)
{
    if (len == 0)
        return;
    for (uint64_t pg = off / PHYS_PAGE_SIZE; pg <= (off + len - 1) / PHYS_PAGE_SIZE; pg++)
        r->dirty[pg >> 3] |= (uint8_t)(1u << (pg & 7));
}

/* Clip [off, off + len) to the region; false if nothing is left. */
static bool devram_clip(const struct devram_region *r, uint64_t *off, uint64_t *len)
{
    if (*off >= r->len || *len == 0)
        return false;
    if (*len > r->len - *off)
        *len = r->len - *off;
    return true;
}

void phys_devram_set_dirty(struct phys_mem *pm, int id, uint64_t off, uint64_t len)
{
    if (id < 0 || id >= pm->ndevram || !devram_clip(&pm->devram[id], &off, &len))
        return;
    devram_mark(&pm->devram[id], off, len);
}

/* Pages [first, last] of r turned clean: their fast write entries go slow. */
static void devram_rearm(struct phys_mem *pm, struct devram_region *r, uint64_t first, uint64_t last)
{
    if (!r->mapped)
        return;                         /* no TLB entry can point at it */
    for (int i = 0; i < pm->ntlbs; i++)
        tlb_slow_down_writes_range(pm->tlbs[i], r->base + first * PHYS_PAGE_SIZE,
                                   r->base + (last + 1) * PHYS_PAGE_SIZE);
}

bool phys_devram_take_dirty(struct phys_mem *pm, int id, uint64_t off, uint64_t len)
{
    if (id < 0 || id >= pm->ndevram)
        return false;
    struct devram_region *r = &pm->devram[id];
    if (!devram_clip(r, &off, &len))
        return false;
    uint64_t first = off / PHYS_PAGE_SIZE, last = (off + len - 1) / PHYS_PAGE_SIZE;
    bool any = false;
    for (uint64_t pg = first; pg <= last; pg++) {
        uint8_t bit = (uint8_t)(1u << (pg & 7));
        if (r->dirty[pg >> 3] & bit) {
            any = true;
            r->dirty[pg >> 3] &= (uint8_t)~bit;
        }
    }
    if (any)
        devram_rearm(pm, r, first, last);
    return any;
}

void phys_devram_take_dirty_map(struct phys_mem *pm, int id, uint8_t *out)
{
    if (id < 0 || id >= pm->ndevram)
        return;
    struct devram_region *r = &pm->devram[id];
    size_t n = (r->len / PHYS_PAGE_SIZE + 7) / 8;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        out[i] = r->dirty[i];
        any |= r->dirty[i] != 0;
    }
    if (!any)
        return;
    memset(r->dirty, 0, n);
    devram_rearm(pm, r, 0, r->len / PHYS_PAGE_SIZE - 1);
}

/* A mapped device RAM region holding addr (which is not RAM). */
static bool resolve_devram(struct phys_mem *pm, uint64_t addr, struct phys_target *t)
{
    for (int i = 0; i < pm->ndevram; i++) {
        struct devram_region *r = &pm->devram[i];
        if (r->mapped && addr >= r->base && addr - r->base < r->len) {
            t->kind = PHYS_DEVRAM;
            t->host = r->host + (addr - r->base);
            t->avail = (size_t)(r->len - (addr - r->base));
            t->devram = r;
            return true;
        }
    }
    return false;
}

/* A store of size bytes is about to hit device RAM at t (avail >= size). */
static void devram_note_write(const struct phys_target *t, unsigned size)
{
    devram_mark(t->devram, (uint64_t)(t->host - t->devram->host), size);
}

void phys_mem_set_a20(struct phys_mem *pm, bool enabled)
{
    uint64_t mask = enabled ? ~0ull : ~(1ull << 20);
    if (mask != pm->a20_mask) {
        pm->a20_mask = mask;
        map_changed(pm);
    }
}

bool phys_mem_a20(const struct phys_mem *pm)
{
    return pm->a20_mask == ~0ull;
}

/* What [base, base+len) shows changed (PAM switch, MMIO overlay): translated
 * code from those pages is stale, so treat it like a write to each page. */
static void code_range_changed(struct phys_mem *pm, uint64_t base, uint64_t len)
{
    uint64_t end = base + len < base ? ~0ull : base + len;
    /* Only the parts that are RAM can hold marks: low RAM, then high RAM. */
    const uint64_t ram[2][2] = {
        { 0, pm->ram_low },
        { HIGH_RAM_START, HIGH_RAM_START + (pm->ram_size - pm->ram_low) },
    };
    for (int r = 0; r < 2; r++) {
        uint64_t lo = base > ram[r][0] ? base : ram[r][0];
        uint64_t hi = end < ram[r][1] ? end : ram[r][1];
        for (uint64_t a = lo & PHYS_PAGE_MASK; a < hi; a += PHYS_PAGE_SIZE)
            phys_note_code_write(pm, (uint64_t)phys_ram_offset(pm, a));
    }
}

void phys_mem_set_pam(struct phys_mem *pm, uint32_t base, uint32_t len, unsigned mode)
{
    bool changed = false;
    for (uint64_t a = base; a < (uint64_t)base + len; a += PAM_CHUNK) {
        if (a < PAM_START || a >= PAM_END)
            continue;
        unsigned i = (unsigned)((a - PAM_START) / PAM_CHUNK);
        uint8_t m = mode & (PAM_READ_RAM | PAM_WRITE_RAM);
        if (pm->pam[i] != m) {
            /* Code translated from this chunk came from what reads used to
             * show (ROM or RAM): drop it if the read source changes. */
            if ((pm->pam[i] ^ m) & PAM_READ_RAM)
                code_range_changed(pm, a, PAM_CHUNK);
            pm->pam[i] = m;
            changed = true;
        }
    }
    if (changed)
        map_changed(pm);
}

unsigned phys_mem_pam(const struct phys_mem *pm, uint32_t addr)
{
    if (addr < PAM_START || addr >= PAM_END)
        return 0;
    return pm->pam[(addr - PAM_START) / PAM_CHUNK];
}

/* --- resolving an address ------------------------------------------------- */

int64_t phys_ram_offset(const struct phys_mem *pm, uint64_t addr)
{
    if (addr < pm->ram_low)
        return (int64_t)addr;
    if (addr >= HIGH_RAM_START && addr - HIGH_RAM_START < pm->ram_size - pm->ram_low)
        return (int64_t)(pm->ram_low + (addr - HIGH_RAM_START));
    return -1;
}

/* RAM and ROM under an MMIO region that starts further on: stop there. */
static void clamp_to_mmio(const struct phys_mem *pm, uint64_t addr, struct phys_target *t)
{
    for (int i = 0; i < pm->nmmio; i++) {
        uint64_t b = pm->mmio[i].base;
        if (b > addr && b - addr < t->avail)
            t->avail = (size_t)(b - addr);
    }
}

static void resolve_ram(struct phys_mem *pm, uint64_t addr, struct phys_target *t)
{
    int64_t off = phys_ram_offset(pm, addr);
    if (off < 0) {
        t->kind = PHYS_UNASSIGNED;
        return;
    }
    t->kind = PHYS_RAM;
    t->host = pm->ram + off;
    /* Up to the end of this contiguous RAM block (or the VGA window). */
    uint64_t end = addr < pm->ram_low ? pm->ram_low : pm->ram_size;
    if (addr < VGA_WINDOW_START && end > VGA_WINDOW_START)
        end = VGA_WINDOW_START;
    t->avail = (size_t)(end - (uint64_t)off);
}

static bool resolve_rom(struct phys_mem *pm, uint64_t addr, struct phys_target *t)
{
    /* Later ROMs win, like MMIO. */
    for (int i = pm->nroms - 1; i >= 0; i--) {
        const struct rom_region *r = &pm->roms[i];
        if (addr >= r->base && addr - r->base < r->len) {
            t->kind = PHYS_ROM;
            t->host = r->data + (addr - r->base);
            t->avail = r->len - (size_t)(addr - r->base);
            return true;
        }
    }
    return false;
}

void phys_resolve(struct phys_mem *pm, uint64_t addr, bool write, struct phys_target *t)
{
    t->kind = PHYS_UNASSIGNED;
    t->host = NULL;
    t->avail = 0;
    t->mmio = NULL;
    t->devram = NULL;

    /* The common case first: plain RAM outside the legacy 640K-1M window,
     * with no MMIO laid over RAM anywhere. */
    if (!pm->mmio_over_ram && (addr < VGA_WINDOW_START || addr >= PAM_END)) {
        resolve_ram(pm, addr, t);
        if (t->kind == PHYS_RAM)
            return;
    }
    /* Device RAM where there is no RAM, before the MMIO regions. */
    if (pm->devram_mapped && phys_ram_offset(pm, addr) < 0 && resolve_devram(pm, addr, t))
        return;

    for (int i = pm->nmmio - 1; i >= 0; i--) {
        const struct mmio_region *r = &pm->mmio[i];
        if (addr >= r->base && addr - r->base < r->len) {
            t->kind = PHYS_MMIO;
            t->mmio = r;
            return;
        }
    }
    if (addr >= VGA_WINDOW_START && addr < PAM_START)
        return;                     /* VGA window with no device: the bus */
    if (addr >= PAM_START && addr < PAM_END) {
        unsigned mode = pm->pam[(addr - PAM_START) / PAM_CHUNK];
        if (mode & (write ? PAM_WRITE_RAM : PAM_READ_RAM)) {
            resolve_ram(pm, addr, t);
            if (t->kind == PHYS_RAM) {
                uint64_t chunk_end = (addr & ~(uint64_t)(PAM_CHUNK - 1)) + PAM_CHUNK;
                if (t->avail > chunk_end - addr)
                    t->avail = (size_t)(chunk_end - addr);
                clamp_to_mmio(pm, addr, t);
            }
            return;
        }
        if (!write && resolve_rom(pm, addr, t)) {
            uint64_t chunk_end = (addr & ~(uint64_t)(PAM_CHUNK - 1)) + PAM_CHUNK;
            if (t->avail > chunk_end - addr)
                t->avail = (size_t)(chunk_end - addr);
            clamp_to_mmio(pm, addr, t);
        }
        return;                     /* writes to the bus: ROM ignores them */
    }
    resolve_ram(pm, addr, t);
    if (t->kind != PHYS_RAM && resolve_rom(pm, addr, t) && write) {
        t->kind = PHYS_UNASSIGNED;  /* ROM: writes ignored */
        t->host = NULL;
        t->avail = 0;
    }
    clamp_to_mmio(pm, addr, t);
}

/* --- code-page tracking --------------------------------------------------- */

void phys_note_code_write(struct phys_mem *pm, uint64_t ram_off)
{
    if (!phys_code_marked(pm, ram_off))
        return;
    uint64_t pg = ram_off / PHYS_PAGE_SIZE;
    pm->code_bitmap[pg >> 3] &= (uint8_t)~(1u << (pg & 7));
    /* Give the hook the physical page address, not the host offset. */
    uint64_t page = pg * PHYS_PAGE_SIZE;
    if (page >= pm->ram_low)
        page = page - pm->ram_low + HIGH_RAM_START;
    if (pm->code_hook)
        pm->code_hook(pm->code_hook_opaque, page);
}

void phys_mark_code_page(struct phys_mem *pm, uint64_t page_addr)
{
    page_addr &= PHYS_PAGE_MASK;
    int64_t off = phys_ram_offset(pm, page_addr);
    if (off < 0)
        return;                     /* code in ROM: it can't be written */
    uint64_t pg = (uint64_t)off / PHYS_PAGE_SIZE;
    if (pm->code_bitmap[pg >> 3] & (1u << (pg & 7)))
        return;
    pm->code_bitmap[pg >> 3] |= (uint8_t)(1u << (pg & 7));
    /* Fast write entries to this page must now take the slow path. */
    for (int i = 0; i < pm->ntlbs; i++)
        tlb_slow_down_writes(pm->tlbs[i], page_addr);
}

void phys_set_code_write_hook(struct phys_mem *pm,
                              void (*hook)(void *opaque, uint64_t page_addr), void *opaque)
{
    pm->code_hook = hook;
    pm->code_hook_opaque = opaque;
}

/* --- plain physical accesses ---------------------------------------------- */

/* Little-endian load/store of size bytes at an unaligned host pointer. */
static uint64_t load_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;
    memcpy(&v, p, size);   /* host is little-endian (x86-64) */
    return v;
}

static void store_le(uint8_t *p, uint64_t v, unsigned size)
{
    memcpy(p, &v, size);
}

static uint64_t size_mask(unsigned size)
{
    return size == 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static uint64_t phys_read_sized(struct phys_mem *pm, uint64_t addr, unsigned size)
{
    struct phys_target t;
    phys_resolve(pm, addr, false, &t);
    switch (t.kind) {
    case PHYS_RAM:
    case PHYS_ROM:
    case PHYS_DEVRAM:
        if (t.avail >= size)
            return load_le(t.host, size);
        break;                      /* straddles a region edge: bytewise below */
    case PHYS_MMIO:
        if (addr + size - 1 - t.mmio->base < t.mmio->len) {
            if (!t.mmio->ops->read)
                return size_mask(size);
            return t.mmio->ops->read(t.mmio->opaque, addr - t.mmio->base, size) & size_mask(size);
        }
        break;
    case PHYS_UNASSIGNED:
        if (size == 1)
            return 0xff;
        break;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= phys_read_sized(pm, addr + i, 1) << (8 * i);
    return v;
}

static void phys_write_sized(struct phys_mem *pm, uint64_t addr, uint64_t v, unsigned size)
{
    struct phys_target t;
    phys_resolve(pm, addr, true, &t);
    switch (t.kind) {
    case PHYS_RAM:
        if (t.avail >= size) {
            uint64_t off = (uint64_t)(t.host - pm->ram);
            phys_note_code_write(pm, off);
            if ((off & (PHYS_PAGE_SIZE - 1)) + size > PHYS_PAGE_SIZE)
                phys_note_code_write(pm, off + size - 1);
            store_le(t.host, v, size);
            return;
        }
        break;
    case PHYS_DEVRAM:
        if (t.avail >= size) {
            devram_note_write(&t, size);
            store_le(t.host, v, size);
            return;
        }
        break;
    case PHYS_MMIO:
        if (addr + size - 1 - t.mmio->base < t.mmio->len) {
            if (t.mmio->ops->write)
                t.mmio->ops->write(t.mmio->opaque, addr - t.mmio->base, v & size_mask(size), size);
            return;
        }
        break;
    case PHYS_ROM:
    case PHYS_UNASSIGNED:
        if (size == 1)
            return;
        break;
    }
    for (unsigned i = 0; i < size; i++)
        phys_write_sized(pm, addr + i, (v >> (8 * i)) & 0xff, 1);
}

uint8_t  phys_read8(struct phys_mem *pm, uint64_t addr)  { return (uint8_t)phys_read_sized(pm, addr, 1); }
uint16_t phys_read16(struct phys_mem *pm, uint64_t addr) { return (uint16_t)phys_read_sized(pm, addr, 2); }
uint32_t phys_read32(struct phys_mem *pm, uint64_t addr) { return (uint32_t)phys_read_sized(pm, addr, 4); }
uint64_t phys_read64(struct phys_mem *pm, uint64_t addr) { return phys_read_sized(pm, addr, 8); }
void phys_write8(struct phys_mem *pm, uint64_t addr, uint8_t v)   { phys_write_sized(pm, addr, v, 1); }
void phys_write16(struct phys_mem *pm, uint64_t addr, uint16_t v) { phys_write_sized(pm, addr, v, 2); }
void phys_write32(struct phys_mem *pm, uint64_t addr, uint32_t v) { phys_write_sized(pm, addr, v, 4); }
void phys_write64(struct phys_mem *pm, uint64_t addr, uint64_t v) { phys_write_sized(pm, addr, v, 8); }

/* Generic sized access used by the MMU slow path (size 1, 2, 4 or 8). */
uint64_t phys_read_n(struct phys_mem *pm, uint64_t addr, unsigned size)
{
    return phys_read_sized(pm, addr, size);
}

void phys_write_n(struct phys_mem *pm, uint64_t addr, uint64_t v, unsigned size)
{
    phys_write_sized(pm, addr, v, size);
}

/* --- DMA ------------------------------------------------------------------ */

/* Bytes from addr to the end of its 4 KiB page, capped at len. The caller
 * stops at the top of the 64-bit space: a bus transfer does not wrap to 0. */
static size_t page_chunk(uint64_t addr, size_t len)
{
    size_t left = PHYS_PAGE_SIZE - (size_t)(addr & (PHYS_PAGE_SIZE - 1));
    return len < left ? len : left;
}

size_t dma_read(struct phys_mem *pm, uint64_t addr, void *buf, size_t len)
{
    uint8_t *out = buf;
    size_t hit = 0;
    while (len) {
        if (addr == 0 && out != (uint8_t *)buf) {   /* wrapped past 2^64 */
            memset(out, 0xff, len);
            break;
        }
        size_t n = page_chunk(addr, len);
        struct phys_target t;
        phys_resolve(pm, addr, false, &t);
        if ((t.kind == PHYS_RAM || t.kind == PHYS_DEVRAM) && t.avail >= n) {
            memcpy(out, t.host, n);
            hit += n;
        } else {
            memset(out, 0xff, n);   /* not RAM: the bus floats high */
        }
        out += n;
        addr += n;
        len -= n;
    }
    return hit;
}

size_t dma_write(struct phys_mem *pm, uint64_t addr, const void *buf, size_t len)
{
    const uint8_t *in = buf;
    size_t hit = 0;
    while (len) {
        if (addr == 0 && in != (const uint8_t *)buf)   /* wrapped past 2^64 */
            break;
        size_t n = page_chunk(addr, len);
        struct phys_target t;
        phys_resolve(pm, addr, true, &t);
        if (t.kind == PHYS_RAM && t.avail >= n) {
            phys_note_code_write(pm, (uint64_t)(t.host - pm->ram));
            memcpy(t.host, in, n);
            hit += n;
        } else if (t.kind == PHYS_DEVRAM && t.avail >= n) {
            devram_note_write(&t, (unsigned)n);
            memcpy(t.host, in, n);
            hit += n;
        }                           /* else: dropped */
        in += n;
        addr += n;
        len -= n;
    }
    return hit;
}

size_t dma_fill(struct phys_mem *pm, uint64_t addr, uint8_t byte, uint64_t len)
{
    len = dma_span(addr, len);
    size_t hit = 0;
    while (len) {
        size_t n = page_chunk(addr, len > SIZE_MAX ? SIZE_MAX : (size_t)len);
        struct phys_target t;
        phys_resolve(pm, addr, true, &t);
        if (t.kind == PHYS_RAM && t.avail >= n) {
            phys_note_code_write(pm, (uint64_t)(t.host - pm->ram));
            memset(t.host, byte, n);
            hit += n;
        } else if (t.kind == PHYS_DEVRAM && t.avail >= n) {
            devram_note_write(&t, (unsigned)n);
            memset(t.host, byte, n);
            hit += n;
        }                           /* else: dropped */
        addr += n;
        len -= n;
    }
    return hit;
}

void *phys_ram_ptr(struct phys_mem *pm, uint64_t addr, size_t len)
{
    if (len == 0)
        len = 1;
    if (addr + len < addr)
        return NULL;
    int64_t off = phys_ram_offset(pm, addr);
    if (off < 0)
        return NULL;
    /* Every byte must be RAM for both reads and writes (PAM, MMIO overlays),
     * and contiguous in the host allocation. */
    uint64_t a = addr;
    while (a < addr + len) {
        struct phys_target r, w;
        phys_resolve(pm, a, false, &r);
        phys_resolve(pm, a, true, &w);
        if (r.kind != PHYS_RAM || w.kind != PHYS_RAM || r.host != pm->ram + off + (a - addr))
            return NULL;
        size_t n = r.avail < w.avail ? r.avail : w.avail;
        if (n == 0)
            return NULL;
        a += n;
    }
    return pm->ram + off;
}

const void *phys_read_ptr(struct phys_mem *pm, uint64_t addr, size_t len)
{
    if (len == 0)
        len = 1;
    if (addr + len < addr)
        return NULL;
    struct phys_target t;
    phys_resolve(pm, addr, false, &t);
    if ((t.kind != PHYS_RAM && t.kind != PHYS_ROM) || t.avail < len)
        return NULL;
    return t.host;
}
