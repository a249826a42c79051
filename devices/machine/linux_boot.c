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
#include "devices/machine/linux_boot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/machine/loader.h"
#include "devices/machine/machine.h"
#include "devices/fw_cfg.h"
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

/* A RAM size as a person would write it: "16 MiB", "1536 KiB". */
static const char *ram_text(uint64_t bytes, char *buf, size_t size)
{
    if (bytes % (1u << 20) == 0)
        snprintf(buf, size, "%llu MiB", (unsigned long long)(bytes >> 20));
    else
        snprintf(buf, size, "%llu KiB", (unsigned long long)(bytes >> 10));
    return buf;
}

static uint64_t mib_up(uint64_t bytes) { return (bytes + 0xfffff) >> 20; }

/* What a boot path keeps for itself above what the kernel needs. */
struct ram_need {
    uint64_t reserve_top;     /* bytes at the top of RAM nothing may use */
    uint64_t minimum;         /* RAM the path needs whatever the kernel */
    const char *why;          /* says what the reserve is for, or NULL */
};

static const struct ram_need direct_need = { 0, 0, NULL };
/* SeaBIOS puts its tables in the top 1 MiB (linuxboot places the initrd
 * below), and needs RAM above 1 MiB to run at all. */
static const struct ram_need firmware_need = {
    1u << 20, 2u << 20, "booting through the BIOS, which keeps the top 1 MiB"
};

/* What the setup header says about the image (step 1). */
struct bz_image {
    uint16_t version;
    size_t setup_size;        /* the real-mode part: (setup_sects + 1) * 512 */
    size_t header_end;        /* the setup header's last byte + 1 */
    size_t kernel_size;       /* the protected-mode part */
    uint64_t kernel_end;      /* first byte after what the kernel needs from 1 MiB */
};

static int check_image(struct machine *m, const uint8_t *image, size_t len, uint64_t ram_low,
                       const struct ram_need *rn, struct bz_image *bz)
{
    char msg[320], have[32];
    if (!linux_boot_probe(image, len))
        return fail(m, "not a Linux bzImage (no \"HdrS\" setup header)");
    if (len < 0x264)
        return fail(m, "truncated (the setup header is cut off)");
    bz->version = get16(image + LH_VERSION);
    if (bz->version < 0x206) {
        snprintf(msg, sizeof(msg), "boot protocol %u.%02u is too old (2.06 or newer needed)",
                 bz->version >> 8, bz->version & 0xff);
        return fail(m, msg);
    }
    if (get16(image + LH_BOOT_FLAG) != 0xAA55)
        return fail(m, "bad boot sector signature (not a bzImage)");
    if (!(image[LH_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
        return fail(m, "a zImage (loaded low) is not supported; use a bzImage");
    unsigned setup_sects = image[LH_SETUP_SECTS] ? image[LH_SETUP_SECTS] : 4;
    bz->setup_size = (size_t)(setup_sects + 1) * 512;
    /* The header ends at 0x202 + the jump's offset byte (boot.rst). */
    bz->header_end = 0x202 + image[0x201];
    if (bz->header_end > bz->setup_size || bz->header_end > 0x1000 || len <= bz->setup_size)
        return fail(m, "truncated or corrupt (setup header larger than the setup code)");
    bz->kernel_size = len - bz->setup_size;
    uint32_t syssize = get32(image + 0x1f4);       /* in 16-byte paragraphs */
    if ((uint64_t)syssize * 16 > bz->kernel_size)
        return fail(m, "truncated (the file is shorter than its header says)");

    /* The kernel runs from 1 MiB and decompresses to pref_address, where it
     * needs init_size bytes. */
    uint32_t init_size = bz->version >= 0x20a ? get32(image + LH_INIT_SIZE) : 0;
    uint64_t pref = bz->version >= 0x20a ? get32(image + LH_PREF_ADDRESS) : LINUX_KERNEL_ADDR;
    bz->kernel_end = LINUX_KERNEL_ADDR + (uint64_t)bz->kernel_size;
    if (init_size && pref + init_size > bz->kernel_end)
        bz->kernel_end = pref + init_size;
    uint64_t need = bz->kernel_end + rn->reserve_top;
    if (need < rn->minimum)
        need = rn->minimum;
    if (need > ram_low) {
        snprintf(msg, sizeof(msg), "too large for RAM: needs at least %llu MiB (-m %lluM%s%s), "
                 "the machine has %s", (unsigned long long)mib_up(need),
                 (unsigned long long)mib_up(need), rn->why ? "; " : "", rn->why ? rn->why : "",
                 ram_text(ram_low, have, sizeof(have)));
        return fail(m, msg);
    }
    return 0;
}

/* Read the initrd and choose where it goes: as high as initrd_addr_max and
 * the top of usable RAM (ram_low less the path's reserve) allow, page
 * aligned, above the kernel. Returns 0 or -1. */
static int place_initrd(struct machine *m, const uint8_t *image, const struct bz_image *bz,
                        uint64_t ram_low, const struct ram_need *rn,
                        uint8_t **data, size_t *len, uint32_t *addr_out)
{
    *data = NULL;
    *len = 0;
    *addr_out = 0;
    if (!m->opt.initrd)
        return 0;
    uint64_t size;
    if (loader_file_size("-initrd", m->opt.initrd, &size))
        return -1;
    uint64_t top = ram_low - rn->reserve_top;
    uint64_t floor = (bz->kernel_end + 0xfff) & ~0xfffull;     /* above the kernel */
    uint64_t max = get32(image + LH_INITRD_ADDR_MAX);   /* highest address usable */
    bool ram_bound = max == 0 || max > top - 1;
    if (ram_bound)
        max = top - 1;
    if (size > max + 1 || ((max + 1 - size) & ~0xfffull) < floor) {
        char have[32];
        if (ram_bound) {
            uint64_t need = floor + ((size + 0xfff) & ~0xfffull) + rn->reserve_top;
            fprintf(stderr, "softvm: -initrd '%s': too large for RAM: %llu bytes above the "
                    "kernel need at least %llu MiB (-m %lluM%s%s), the machine has %s\n",
                    m->opt.initrd, (unsigned long long)size, (unsigned long long)mib_up(need),
                    (unsigned long long)mib_up(need), rn->why ? "; " : "",
                    rn->why ? rn->why : "", ram_text(ram_low, have, sizeof(have)));
        } else {
            fprintf(stderr, "softvm: -initrd '%s': too large: %llu bytes do not fit between "
                    "the kernel's end (0x%llx) and the highest address it takes an initrd at "
                    "(initrd_addr_max 0x%llx)\n", m->opt.initrd, (unsigned long long)size,
                    (unsigned long long)floor, (unsigned long long)max);
        }
        return -1;
    }
    if (loader_read_file("-initrd", m->opt.initrd, (size_t)size, data, len))
        return -1;
    *addr_out = (uint32_t)((max + 1 - *len) & ~0xfffull);
    return 0;
}

/* The command line's length, checked against the kernel's limit. */
static int check_cmdline(struct machine *m, const uint8_t *image, size_t *len)
{
    const char *cmdline = m->opt.append ? m->opt.append : "";
    *len = strlen(cmdline);
    uint32_t cl_max = get32(image + LH_CMDLINE_SIZE);     /* excludes the NUL */
    if (cl_max == 0 || cl_max >= LINUX_CMDLINE_MAX)
        cl_max = LINUX_CMDLINE_MAX - 1;
    if (*len > cl_max) {
        fprintf(stderr, "softvm: -append: the command line is %zu bytes; this kernel "
                "takes at most %u\n", *len, cl_max);
        return -1;
    }
    return 0;
}

int linux_boot_load(struct machine *m, const uint8_t *image, size_t len)
{
    uint64_t ram = phys_mem_ram_size(m->mem);
    uint64_t ram_low = ram < PCI_HOLE_START ? ram : PCI_HOLE_START;   /* RAM below 4 GiB */

    /* 1. the setup header */
    struct bz_image bz;
    if (check_image(m, image, len, ram_low, &direct_need, &bz))
        return -1;
    size_t setup_size = bz.setup_size, header_end = bz.header_end;
    size_t kernel_size = bz.kernel_size;

    /* 2. the protected-mode kernel at 1 MiB (relocatable kernels then move
     * themselves to pref_address while decompressing) */
    uint32_t load = LINUX_KERNEL_ADDR;
    if (loader_copy_to_ram(m->mem, load, image + setup_size, kernel_size))
        return fail(m, "cannot place the kernel in RAM");

    /* 5 (started early). boot_params: zeroed, with the setup header copied in */
    uint8_t bp[4096];
    memset(bp, 0, sizeof(bp));
    memcpy(bp + LH_SETUP_SECTS, image + LH_SETUP_SECTS, header_end - LH_SETUP_SECTS);
    bp[LH_TYPE_OF_LOADER] = 0xff;                  /* "undefined" boot loader */
    put32(bp + LH_CODE32_START, load);

    /* 3. the initrd */
    uint8_t *rd;
    size_t rd_len;
    uint32_t rd_addr;
    if (place_initrd(m, image, &bz, ram_low, &direct_need, &rd, &rd_len, &rd_addr))
        return -1;
    if (rd) {
        int rc = loader_copy_to_ram(m->mem, rd_addr, rd, rd_len);
        free(rd);
        if (rc)
            return fail(m, "cannot place the initrd in RAM");
        put32(bp + LH_RAMDISK_IMAGE, rd_addr);
        put32(bp + LH_RAMDISK_SIZE, (uint32_t)rd_len);
    }

    /* 4. the command line */
    size_t cl_len;
    if (check_cmdline(m, image, &cl_len))
        return -1;
    if (loader_copy_to_ram(m->mem, LINUX_CMDLINE_ADDR, m->opt.append ? m->opt.append : "",
                           cl_len + 1))
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

/*
 * Through SeaBIOS: the same checks, then everything goes into fw_cfg for the
 * linuxboot option ROM (roms/linuxboot.asm), which copies the pieces
 * to these addresses and runs the real-mode setup like a 16-bit boot loader.
 * The setup header is patched here as boot.rst asks a loader to.
 */

/* The boot loader's part of "vga=" (Documentation/admin-guide/svga.rst, as
 * QEMU and GRUB do it): the kernel's real-mode setup reads the mode from the
 * header's vid_mode, not from the command line. normal/ext/ask are 0xFFFF,
 * 0xFFFE, 0xFFFD; a number (0x315: VESA mode 0x115) is taken as written. */
static bool cmdline_vga_mode(const char *cmdline, uint16_t *mode)
{
    for (const char *p = cmdline; p && (p = strstr(p, "vga=")) != NULL; p += 4) {
        if (p != cmdline && p[-1] != ' ')
            continue;
        const char *v = p + 4;
        size_t n = strcspn(v, " ");
        if (n == 6 && !strncmp(v, "normal", 6)) { *mode = 0xffff; return true; }
        if (n == 3 && !strncmp(v, "ext", 3)) { *mode = 0xfffe; return true; }
        if (n == 3 && !strncmp(v, "ask", 3)) { *mode = 0xfffd; return true; }
        char *end;
        unsigned long x = strtoul(v, &end, 0);
        if (end == v + n && n > 0 && x <= 0xffff) { *mode = (uint16_t)x; return true; }
    }
    return false;
}

int linux_boot_via_firmware(struct machine *m, const uint8_t *image, size_t len,
                            const uint8_t *rom, size_t rom_len)
{
    uint64_t ram = phys_mem_ram_size(m->mem);
    uint64_t ram_low = ram < PCI_HOLE_START ? ram : PCI_HOLE_START;
    struct fw_cfg *fw = &m->dev.fw_cfg;

    struct bz_image bz;
    if (check_image(m, image, len, ram_low, &firmware_need, &bz))
        return -1;
    size_t cl_len;
    if (check_cmdline(m, image, &cl_len))
        return -1;
    /* SeaBIOS keeps its tables at the top of RAM: stay 1 MiB below. */
    uint8_t *rd;
    size_t rd_len;
    uint32_t rd_addr;
    if (place_initrd(m, image, &bz, ram_low, &firmware_need, &rd, &rd_len, &rd_addr))
        return -1;

    uint8_t *setup = malloc(bz.setup_size);
    if (!setup) {
        free(rd);
        return fail(m, "out of memory");
    }
    memcpy(setup, image, bz.setup_size);
    uint16_t vid_mode;
    if (cmdline_vga_mode(m->opt.append, &vid_mode))
        put16(setup + LH_VID_MODE, vid_mode);
    setup[LH_TYPE_OF_LOADER] = 0xff;
    setup[LH_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
    put16(setup + LH_HEAP_END_PTR, LINUX_FW_HEAP_END);
    put32(setup + LH_CMD_LINE_PTR, LINUX_CMDLINE_ADDR);
    put32(setup + LH_RAMDISK_IMAGE, rd_addr);
    put32(setup + LH_RAMDISK_SIZE, (uint32_t)rd_len);

    /* An option ROM's bytes must sum to 0: fix its last byte. */
    uint8_t *romcopy = malloc(rom_len);
    if (!romcopy) {
        free(setup);
        free(rd);
        return fail(m, "out of memory");
    }
    memcpy(romcopy, rom, rom_len);
    romcopy[rom_len - 1] = 0;
    uint8_t sum = 0;
    for (size_t i = 0; i < rom_len; i++)
        sum = (uint8_t)(sum + romcopy[i]);
    romcopy[rom_len - 1] = (uint8_t)-sum;

    static const char bootorder[] = "/rom@genroms/linuxboot.bin\n";
    const char *cmdline = m->opt.append ? m->opt.append : "";
    int rc = 0;
    rc |= fw_cfg_add_i32(fw, FW_CFG_SETUP_ADDR, LINUX_FW_SETUP_ADDR);
    rc |= fw_cfg_add_i32(fw, FW_CFG_SETUP_SIZE, (uint32_t)bz.setup_size);
    rc |= fw_cfg_add_bytes(fw, FW_CFG_SETUP_DATA, setup, bz.setup_size);
    rc |= fw_cfg_add_i32(fw, FW_CFG_KERNEL_ADDR, LINUX_KERNEL_ADDR);
    rc |= fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, (uint32_t)bz.kernel_size);
    rc |= fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, image + bz.setup_size, bz.kernel_size);
    rc |= fw_cfg_add_i32(fw, FW_CFG_INITRD_ADDR, rd_addr);
    rc |= fw_cfg_add_i32(fw, FW_CFG_INITRD_SIZE, (uint32_t)rd_len);
    if (rd)
        rc |= fw_cfg_add_bytes(fw, FW_CFG_INITRD_DATA, rd, rd_len);
    rc |= fw_cfg_add_i32(fw, FW_CFG_CMDLINE_ADDR, LINUX_CMDLINE_ADDR);
    rc |= fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, (uint32_t)cl_len + 1);
    rc |= fw_cfg_add_bytes(fw, FW_CFG_CMDLINE_DATA, cmdline, cl_len + 1);
    rc |= fw_cfg_add_file(fw, "genroms/linuxboot.bin", romcopy, rom_len);
    rc |= fw_cfg_add_file(fw, "bootorder", bootorder, sizeof(bootorder) - 1);
    free(romcopy);
    free(setup);
    free(rd);
    if (rc)
        return fail(m, "cannot hand the kernel to the firmware (fw_cfg full)");
    return 0;
}
