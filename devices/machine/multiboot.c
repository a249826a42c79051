/*
 * multiboot.c - Multiboot v1 loader. See multiboot.h.
 *
 * Spec: The Multiboot Specification 0.6.96: 3.1 (OS image format and the
 * header), 3.2 (machine state), 3.3 (boot information format). ELF images
 * are read with libelf; the header's address fields (the "a.out kludge",
 * flag bit 16) take priority over the ELF headers, as the spec says.
 */
#include "devices/machine/multiboot.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/machine/loader.h"
#include "devices/machine/machine.h"
#include "memory/memory.h"

#define PCI_HOLE_START 0xE0000000ull
#define MB_MAX_SEGS 32

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

long multiboot_find_header(const uint8_t *image, size_t len)
{
    size_t end = len < MULTIBOOT_SEARCH ? len : MULTIBOOT_SEARCH;
    for (size_t off = 0; off + 12 <= end; off += 4) {   /* 32-bit aligned (3.1.1) */
        uint32_t magic = get32(image + off), flags = get32(image + off + 4);
        if (magic == MULTIBOOT_HEADER_MAGIC && magic + flags + get32(image + off + 8) == 0)
            return (long)off;
    }
    return -1;
}

/* State shared by the loading steps. */
struct mb_load {
    struct machine *m;
    uint64_t ram_low;      /* RAM below 4 GiB */
    uint64_t image_end;    /* first byte after everything the kernel occupies */
    uint32_t entry;
    uint64_t seg_start[MB_MAX_SEGS], seg_end[MB_MAX_SEGS];   /* the kernel's segments */
    int nsegs;
    uint32_t area;         /* base of the loader's own structures (MB_GDT_ADDR by default) */
    char msg[256];
};

/* Addresses of the loader's structures, relative to the area it chose. */
#define AT(l, addr) ((l)->area + ((addr) - MB_GDT_ADDR))

static int fail(struct mb_load *l, const char *why)
{
    fprintf(stderr, "softvm: -kernel '%s': %s\n", l->m->opt.kernel, why);
    return -1;
}

/* Place [addr, addr+memsz) with filesz bytes from src, the rest zeroed. */
static int place(struct mb_load *l, uint64_t addr, const uint8_t *src, uint64_t filesz,
                 uint64_t memsz)
{
    if (memsz < filesz)
        memsz = filesz;
    if (addr + memsz > l->ram_low || addr + memsz < addr) {
        snprintf(l->msg, sizeof(l->msg), "segment at 0x%llx (%llu bytes) does not fit in "
                 "RAM (%llu MiB; -m)", (unsigned long long)addr, (unsigned long long)memsz,
                 (unsigned long long)(l->ram_low >> 20));
        return fail(l, l->msg);
    }
    if (l->nsegs == MB_MAX_SEGS)
        return fail(l, "more than 32 loadable segments");
    if (loader_copy_to_ram(l->m->mem, addr, src, (size_t)filesz) ||
        loader_zero_ram(l->m->mem, addr + filesz, (size_t)(memsz - filesz))) {
        snprintf(l->msg, sizeof(l->msg), "segment at 0x%llx is not in RAM",
                 (unsigned long long)addr);
        return fail(l, l->msg);
    }
    l->seg_start[l->nsegs] = addr;
    l->seg_end[l->nsegs++] = addr + memsz;
    if (addr + memsz > l->image_end)
        l->image_end = addr + memsz;
    return 0;
}

/* Is [start, start+size) free of the kernel, in RAM, and clear of the
 * 640K-1M hole (EBDA, VGA, BIOS)? */
static bool area_free(const struct mb_load *l, uint64_t start, uint64_t size)
{
    uint64_t end = start + size;
    if (end > l->ram_low || (start < 0x100000 && end > 0x9fc00))
        return false;
    for (int i = 0; i < l->nsegs; i++)
        if (start < l->seg_end[i] && end > l->seg_start[i])
            return false;
    return true;
}

/* Choose where the GDT, the information, the memory map, the module list
 * and the strings go: the default area if the kernel left it free, else
 * the first page after the kernel, else the first free MiB above 1 MiB. */
static int choose_area(struct mb_load *l)
{
    uint64_t after = (l->image_end + 0xfff) & ~0xfffull;
    const uint64_t candidates[] = { MB_GDT_ADDR, after, after < 0x100000 ? 0x100000 : after };
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
        if (candidates[i] < 0x100000000ull - MB_AREA_SIZE &&
            area_free(l, candidates[i], MB_AREA_SIZE)) {
            l->area = (uint32_t)candidates[i];
            if (l->area + MB_AREA_SIZE > l->image_end)
                l->image_end = l->area + MB_AREA_SIZE;   /* modules go after it */
            return 0;
        }
    }
    return fail(l, "no free RAM for the multiboot information next to the kernel (-m)");
}

/* Flag bit 16: the header says where to load the file. */
static int load_kludge(struct mb_load *l, const uint8_t *image, size_t len, long hoff)
{
    const uint8_t *h = image + hoff;
    if ((size_t)hoff + 32 > len)
        return fail(l, "truncated multiboot header");
    uint32_t header_addr = get32(h + 12), load_addr = get32(h + 16);
    uint32_t load_end = get32(h + 20), bss_end = get32(h + 24);
    if (header_addr < load_addr || header_addr - load_addr > (uint32_t)hoff)
        return fail(l, "multiboot header: header_addr below load_addr or outside the file");
    uint64_t file_off = (uint64_t)hoff - (header_addr - load_addr);
    uint64_t size = load_end ? (uint64_t)load_end - load_addr : len - file_off;
    if (load_end && load_end < load_addr)
        return fail(l, "multiboot header: load_end_addr below load_addr");
    if (file_off + size > len)
        return fail(l, "truncated (the header's load range runs past the end of the file)");
    uint64_t memsz = bss_end ? (uint64_t)bss_end - load_addr : size;
    if (bss_end && memsz < size)
        return fail(l, "multiboot header: bss_end_addr below load_end_addr");
    l->entry = get32(h + 28);
    return place(l, load_addr, image + file_off, size, memsz);
}

static int load_elf(struct mb_load *l, const uint8_t *image, size_t len)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return fail(l, "libelf is unusable");
    if (len < 4 || memcmp(image, ELFMAG, SELFMAG) != 0)
        return fail(l, "multiboot image is neither ELF nor has load addresses (flag bit 16)");
    /* elf_memory does not write to the image in ELF_C_READ mode. */
    Elf *elf = elf_memory((char *)image, len);
    if (!elf)
        return fail(l, "not a valid ELF file");
    int rc = -1;
    GElf_Ehdr eh;
    size_t phnum = 0;
    if (!gelf_getehdr(elf, &eh) || gelf_getclass(elf) != ELFCLASS32 || eh.e_machine != EM_386) {
        fail(l, "not a 32-bit x86 ELF file");
        goto out;
    }
    if (eh.e_type != ET_EXEC) {
        fail(l, "ELF file is not an executable");
        goto out;
    }
    if (elf_getphdrnum(elf, &phnum) != 0 || phnum == 0) {
        fail(l, "ELF file has no program headers");
        goto out;
    }
    int loaded = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph)) {
            fail(l, "truncated ELF program header table");
            goto out;
        }
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset) {
            fail(l, "truncated (a segment runs past the end of the file)");
            goto out;
        }
        if (ph.p_filesz > ph.p_memsz) {
            fail(l, "ELF segment larger in the file than in memory");
            goto out;
        }
        /* Multiboot loads at physical addresses (p_paddr). */
        if (place(l, ph.p_paddr, image + ph.p_offset, ph.p_filesz, ph.p_memsz))
            goto out;
        loaded++;
    }
    if (!loaded) {
        fail(l, "ELF file has no loadable segments");
        goto out;
    }
    l->entry = (uint32_t)eh.e_entry;
    rc = 0;
out:
    elf_end(elf);
    return rc;
}

/* Append a NUL-terminated string to the strings area; returns its address or 0. */
static uint32_t add_string(struct mb_load *l, uint32_t *next, const char *s)
{
    size_t n = strlen(s) + 1;
    if (*next + n > AT(l, MB_STRINGS_END))
        return 0;
    uint32_t addr = *next;
    if (loader_copy_to_ram(l->m->mem, addr, s, n))
        return 0;
    *next += (uint32_t)n;
    return addr;
}

/* Modules from -initrd: "path args,path args,..." (as QEMU). */
static int load_modules(struct mb_load *l, uint32_t *strings, uint32_t *count)
{
    *count = 0;
    const char *spec = l->m->opt.initrd;
    if (!spec)
        return 0;
    char *copy = strdup(spec);
    if (!copy)
        return fail(l, "out of memory");
    int rc = -1;
    uint64_t next = (l->image_end + 0xfff) & ~0xfffull;
    char *save = NULL;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (*count >= MB_MAX_MODS) {
            fprintf(stderr, "softvm: -initrd: at most %d multiboot modules\n", MB_MAX_MODS);
            goto out;
        }
        char path[VM_PATH_MAX];
        size_t plen = strcspn(item, " ");
        if (plen == 0 || plen >= sizeof(path)) {
            fprintf(stderr, "softvm: -initrd: bad module '%s'\n", item);
            goto out;
        }
        memcpy(path, item, plen);
        path[plen] = '\0';
        uint64_t size;
        if (loader_file_size("-initrd", path, &size))
            goto out;
        /* Below 1 MiB a module must end before the EBDA/VGA/BIOS hole
         * (0x9FC00-0xFFFFF); if it does not, it goes above the hole. */
        if (next < 0x100000 && next + size > 0x9fc00)
            next = 0x100000;
        if (next + size > l->ram_low) {
            uint64_t need = next + size;
            fprintf(stderr, "softvm: -initrd '%s': too large for RAM: the module of %llu "
                    "bytes at 0x%llx needs at least %llu MiB (-m %lluM), the machine has "
                    "%llu %s\n", path, (unsigned long long)size, (unsigned long long)next,
                    (unsigned long long)((need + 0xfffff) >> 20),
                    (unsigned long long)((need + 0xfffff) >> 20),
                    (unsigned long long)(l->ram_low % (1u << 20) ? l->ram_low >> 10
                                                                 : l->ram_low >> 20),
                    l->ram_low % (1u << 20) ? "KiB" : "MiB");
            goto out;
        }
        uint8_t *data;
        size_t len;
        if (loader_read_file("-initrd", path, (size_t)size, &data, &len))
            goto out;
        int crc = loader_copy_to_ram(l->m->mem, next, data, len);
        free(data);
        if (crc) {
            fprintf(stderr, "softvm: -initrd '%s': cannot place the module at 0x%llx: "
                    "not RAM\n", path, (unsigned long long)next);
            goto out;
        }
        uint32_t str = add_string(l, strings, item);
        if (!str) {
            fprintf(stderr, "softvm: -initrd: the module strings (paths and arguments) are "
                    "longer than the %u bytes the multiboot information keeps for them "
                    "(with the kernel command line)\n",
                    (unsigned)(MB_STRINGS_END - MB_STRINGS_ADDR));
            goto out;
        }
        uint8_t ent[16] = {0};
        put32(ent, (uint32_t)next);
        put32(ent + 4, (uint32_t)(next + len));
        put32(ent + 8, str);
        if (loader_copy_to_ram(l->m->mem, AT(l, MB_MODS_ADDR) + 16 * *count, ent, sizeof(ent)))
            goto out;
        (*count)++;
        next = (next + len + 0xfff) & ~0xfffull;
    }
    rc = 0;
out:
    free(copy);
    return rc;
}

int multiboot_load(struct machine *m, const uint8_t *image, size_t len)
{
    struct mb_load l = { .m = m };
    uint64_t ram = phys_mem_ram_size(m->mem);
    l.ram_low = ram < PCI_HOLE_START ? ram : PCI_HOLE_START;

    long hoff = multiboot_find_header(image, len);
    if (hoff < 0)
        return fail(&l, "no multiboot header in the first 8 KiB");
    uint32_t flags = get32(image + hoff + 4);
    /* Requirements (bits 0-15) we cannot meet must stop the load (3.1.2). */
    uint32_t known = MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO;
    if (flags & 0xffffu & ~known) {
        snprintf(l.msg, sizeof(l.msg), "multiboot header asks for features softvm does not "
                 "provide (flags 0x%x; video modes are not supported)", flags & 0xffffu & ~known);
        return fail(&l, l.msg);
    }
    int rc = (flags & MB_FLAG_AOUT_KLUDGE) ? load_kludge(&l, image, len, hoff)
                                           : load_elf(&l, image, len);
    if (rc || choose_area(&l))
        return -1;

    /* The information structure (3.3). */
    uint8_t info[88] = {0};
    uint32_t strings = AT(&l, MB_STRINGS_ADDR), mods = 0;
    uint32_t iflags = MBI_MEMORY | MBI_MMAP | MBI_CMDLINE | MBI_LOADER_NAME;
    put32(info + 4, 639);                                    /* mem_lower, KiB */
    put32(info + 8, (uint32_t)((l.ram_low - 0x100000) >> 10)); /* mem_upper, KiB from 1 MiB */

    /* Command line: "<kernel> <append>", as GRUB and QEMU give it. */
    size_t cl_len = strlen(m->opt.kernel) + 2 + (m->opt.append ? strlen(m->opt.append) : 0);
    char *cl = malloc(cl_len);
    if (!cl)
        return fail(&l, "out of memory");
    snprintf(cl, cl_len, "%s%s%s", m->opt.kernel, m->opt.append ? " " : "",
             m->opt.append ? m->opt.append : "");
    uint32_t cl_addr = add_string(&l, &strings, cl);
    free(cl);
    if (!cl_addr) {
        fprintf(stderr, "softvm: -append: command line too long\n");
        return -1;
    }
    put32(info + 16, cl_addr);

    if (load_modules(&l, &strings, &mods))
        return -1;
    if (m->opt.initrd) {
        iflags |= MBI_MODS;
        put32(info + 20, mods);
        put32(info + 24, AT(&l, MB_MODS_ADDR));
    }

    /* Memory map: entries are {size = 20, base, length, type}, 24 bytes each. */
    uint8_t mmap[3 * 24] = {0};
    static const struct { uint64_t base, len; uint32_t type; } areas[2] = {
        { 0, 0x9fc00, 1 }, { 0x100000, 0, 1 },
    };
    for (int i = 0; i < 2; i++) {
        uint8_t *e = mmap + 24 * i;
        uint64_t base = areas[i].base;
        uint64_t alen = i == 1 ? l.ram_low - 0x100000 : areas[i].len;
        put32(e, 20);
        put32(e + 4, (uint32_t)base);
        put32(e + 8, (uint32_t)(base >> 32));
        put32(e + 12, (uint32_t)alen);
        put32(e + 16, (uint32_t)(alen >> 32));
        put32(e + 20, areas[i].type);
    }
    int n = 2;
    if (ram > PCI_HOLE_START) {
        uint8_t *e = mmap + 24 * n++;
        put32(e, 20);
        put32(e + 8, 1);                                /* base 4 GiB */
        uint64_t hi = ram - PCI_HOLE_START;
        put32(e + 12, (uint32_t)hi);
        put32(e + 16, (uint32_t)(hi >> 32));
        put32(e + 20, 1);
    }
    if (loader_copy_to_ram(m->mem, AT(&l, MB_MMAP_ADDR), mmap, (size_t)(24 * n)))
        return fail(&l, "cannot place the memory map");
    put32(info + 44, (uint32_t)(24 * n));
    put32(info + 48, AT(&l, MB_MMAP_ADDR));

    uint32_t name = add_string(&l, &strings, "softvm");
    put32(info + 64, name);
    put32(info, iflags);
    if (loader_copy_to_ram(m->mem, AT(&l, MB_INFO_ADDR), info, sizeof(info)))
        return fail(&l, "cannot place the multiboot information");

    /* Machine state (3.2): EAX magic, EBX info, flat segments, IF = 0, no paging. */
    if (loader_enter_flat32(m, l.area, l.entry))
        return fail(&l, "cannot place the boot GDT");
    m->cpu.regs[R_EAX] = MULTIBOOT_LOADER_MAGIC;
    m->cpu.regs[R_EBX] = AT(&l, MB_INFO_ADDR);
    return 0;
}
