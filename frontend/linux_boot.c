/*
 * linux_boot.c - direct bzImage boot through the 32-bit boot protocol.
 *
 * Spec: Linux Documentation/arch/x86/boot.rst ("The Linux/x86 Boot
 * Protocol"): the setup header at 0x1f1, "32-bit Boot Protocol", and
 * Documentation/arch/x86/zero-page.rst for the boot_params layout.
 *
 * What a boot loader does here, step by step:
 *  1. check the setup header ("HdrS", protocol >= 2.06, a bzImage loaded high);
 *  2. copy the protected-mode kernel (after the (setup_sects+1)*512-byte
 *     real-mode part) to code32_start (1 MiB);
 *  3. put the initrd as high as allowed (below initrd_addr_max and RAM end);
 *  4. copy the command line below 640K;
 *  5. build boot_params: the setup header copied in, our loader fields,
 *     and the e820 memory map (no BIOS runs to provide one);
 *  6. enter the kernel in flat 32-bit protected mode with ESI = boot_params.
 */
#include "frontend/linux_boot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/loader.h"
#include "frontend/machine.h"
#include "memory/memory.h"

#define PCI_HOLE_START   0xE0000000ull      /* RAM above this goes above 4 GiB */
#define E820_RAM         1
#define E820_RESERVED    2

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }

bool linux_boot_probe(const uint8_t *image, size_t len)
{
    return len > LH_HEADER + 4 && get32(image + LH_HEADER) == 0x53726448u;   /* "HdrS" */
}

struct e820_builder {
    uint8_t *table;     /* boot_params + BP_E820_TABLE */
    unsigned count;
};

static void e820_add(struct e820_builder *e, uint64_t addr, uint64_t size, uint32_t type)
{
    if (size == 0 || e->count >= BP_E820_MAX)
        return;
    uint8_t *ent = e->table + 20 * e->count++;
    put64(ent, addr);
    put64(ent + 8, size);
    put32(ent + 16, type);
}

static int fail(const struct machine *m, const char *why)
{
    fprintf(stderr, "softvm: -kernel '%s': %s\n", m->opt.kernel, why);
    return -1;
}

int linux_boot_load(struct machine *m, const uint8_t *image, size_t len)
{
    char msg[256];
    uint64_t ram = phys_mem_ram_size(m->mem);
    uint64_t ram_low = ram < PCI_HOLE_START ? ram : PCI_HOLE_START;   /* RAM below 4 GiB */

    /* 1. the setup header */
    if (!linux_boot_probe(image, len))
        return fail(m, "not a Linux bzImage (no \"HdrS\" setup header)");
    if (len < 0x264)
        return fail(m, "truncated (the setup header is cut off)");
    uint16_t version = get16(image + LH_VERSION);
    if (version < 0x206) {
        snprintf(msg, sizeof(msg), "boot protocol %u.%02u is too old (2.06 or newer needed)",
                 version >> 8, version & 0xff);
        return fail(m, msg);
    }
    if (get16(image + LH_BOOT_FLAG) != 0xAA55)
        return fail(m, "bad boot sector signature (not a bzImage)");
    if (!(image[LH_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
        return fail(m, "a zImage (loaded low) is not supported; use a bzImage");
    unsigned setup_sects = image[LH_SETUP_SECTS] ? image[LH_SETUP_SECTS] : 4;
    size_t setup_size = (size_t)(setup_sects + 1) * 512;
    /* The header ends at 0x202 + the jump's offset byte (boot.rst). */
    size_t header_end = 0x202 + image[0x201];
    if (header_end > setup_size || header_end > 0x1000 || len <= setup_size)
        return fail(m, "truncated or corrupt (setup header larger than the setup code)");
    size_t kernel_size = len - setup_size;
    uint32_t syssize = get32(image + 0x1f4);       /* in 16-byte paragraphs */
    if ((uint64_t)syssize * 16 > kernel_size)
        return fail(m, "truncated (the file is shorter than its header says)");

    /* 2. the protected-mode kernel at code32_start */
    /* Every bzImage runs from 1 MiB (relocatable ones then move themselves
     * to pref_address while decompressing). */
    uint32_t load = LINUX_KERNEL_ADDR;
    uint32_t init_size = version >= 0x20a ? get32(image + LH_INIT_SIZE) : 0;
    uint64_t pref = version >= 0x20a ? get32(image + LH_PREF_ADDRESS) : load;
    /* The kernel decompresses to pref_address and needs init_size there. */
    uint64_t kernel_end = load + (uint64_t)kernel_size;
    if (init_size && pref + init_size > kernel_end)
        kernel_end = pref + init_size;
    if (kernel_end > ram_low) {
        snprintf(msg, sizeof(msg), "too large for RAM: needs %llu MiB, the machine has "
                 "%llu MiB (-m)", (unsigned long long)((kernel_end + 0xfffff) >> 20),
                 (unsigned long long)(ram_low >> 20));
        return fail(m, msg);
    }
    if (loader_copy_to_ram(m->mem, load, image + setup_size, kernel_size))
        return fail(m, "cannot place the kernel in RAM");

    /* 5 (started early). boot_params: zeroed, with the setup header copied in */
    uint8_t bp[4096];
    memset(bp, 0, sizeof(bp));
    memcpy(bp + LH_SETUP_SECTS, image + LH_SETUP_SECTS, header_end - LH_SETUP_SECTS);
    bp[LH_TYPE_OF_LOADER] = 0xff;                  /* "undefined" boot loader */
    put32(bp + LH_CODE32_START, load);

    /* 3. the initrd */
    if (m->opt.initrd) {
        uint8_t *rd;
        size_t rd_len;
        if (loader_read_file("-initrd", m->opt.initrd, (size_t)ram_low, &rd, &rd_len))
            return -1;
        uint64_t max = get32(image + LH_INITRD_ADDR_MAX);   /* highest address usable */
        if (max == 0 || max > ram_low - 1)
            max = ram_low - 1;
        uint64_t addr = (max + 1 - rd_len) & ~0xfffull;
        if (rd_len > max + 1 || addr < ((kernel_end + 0xfff) & ~0xfffull)) {
            free(rd);
            fprintf(stderr, "softvm: -initrd '%s': too large for RAM (%zu bytes do not fit "
                    "between the kernel and the end of the %llu MiB of RAM)\n", m->opt.initrd,
                    rd_len, (unsigned long long)(ram_low >> 20));
            return -1;
        }
        int rc = loader_copy_to_ram(m->mem, addr, rd, rd_len);
        free(rd);
        if (rc)
            return fail(m, "cannot place the initrd in RAM");
        put32(bp + LH_RAMDISK_IMAGE, (uint32_t)addr);
        put32(bp + LH_RAMDISK_SIZE, (uint32_t)rd_len);
    }

    /* 4. the command line */
    const char *cmdline = m->opt.append ? m->opt.append : "";
    size_t cl_len = strlen(cmdline);
    uint32_t cl_max = get32(image + LH_CMDLINE_SIZE);     /* excludes the NUL */
    if (cl_max == 0 || cl_max >= LINUX_CMDLINE_MAX)
        cl_max = LINUX_CMDLINE_MAX - 1;
    if (cl_len > cl_max) {
        fprintf(stderr, "softvm: -append: the command line is %zu bytes; this kernel "
                "takes at most %u\n", cl_len, cl_max);
        return -1;
    }
    if (loader_copy_to_ram(m->mem, LINUX_CMDLINE_ADDR, cmdline, cl_len + 1))
        return fail(m, "cannot place the command line in RAM");
    put32(bp + LH_CMD_LINE_PTR, LINUX_CMDLINE_ADDR);

    /* 5. the memory map: no BIOS will report it (zero-page.rst: e820_table) */
    struct e820_builder e = { bp + BP_E820_TABLE, 0 };
    e820_add(&e, 0, 0x9fc00, E820_RAM);                 /* conventional memory */
    e820_add(&e, 0x9fc00, 0x400, E820_RESERVED);         /* where an EBDA would be */
    e820_add(&e, 0xe0000, 0x20000, E820_RESERVED);       /* BIOS area: ACPI tables live here */
    e820_add(&e, 0x100000, ram_low - 0x100000, E820_RAM);
    if (ram > PCI_HOLE_START)
        e820_add(&e, 0x100000000ull, ram - PCI_HOLE_START, E820_RAM);
    bp[BP_E820_ENTRIES] = (uint8_t)e.count;
    /* alt_mem_k: extended memory in KiB, for kernels that look there first */
    put32(bp + 0x1e0, (uint32_t)((ram_low - 0x100000) >> 10));

    if (loader_copy_to_ram(m->mem, LINUX_BOOT_PARAMS, bp, sizeof(bp)))
        return fail(m, "cannot place boot_params in RAM");

    /* 6. the CPU at the 32-bit entry: ESI = boot_params, EBP = EDI = EBX = 0 */
    if (loader_enter_flat32(m, LINUX_GDT_ADDR, load))
        return fail(m, "cannot place the boot GDT in RAM");
    m->cpu.regs[R_ESI] = LINUX_BOOT_PARAMS;
    return 0;
}
