/*
 * test_frontend_boot.c - the boot paths: Multiboot and Linux direct boot
 * loaders (CPU registers and guest memory after loading), the firmware
 * mapping, the clear errors for bad -kernel/-initrd/-bios files, and a
 * Multiboot test kernel (tests/asm/multiboot_hello.asm) run to completion.
 */
#include <sys/stat.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/cmdline.h"
#include "frontend/host.h"
#include "devices/fw_cfg.h"
#include "devices/iobus.h"
#include "devices/machine/linux_boot.h"
#include "devices/machine/machine.h"
#include "devices/machine/multiboot.h"
#include "cpu/system.h"
#include "memory/memory.h"

#define MB_HELLO SOFTVM_ASM_DIR "/multiboot_hello.bin"

/* ---- helpers ---- */

struct capture {
    char buf[4096];
    size_t len;
};

static void capture_byte(void *opaque, uint8_t byte)
{
    struct capture *c = opaque;
    if (c->len + 1 < sizeof(c->buf))
        c->buf[c->len++] = (char)byte;
}

static void base_options(struct vm_options *opt, struct capture *serial)
{
    options_default(opt);
    opt->ram_size = 16u << 20;
    opt->clock = VM_CLOCK_DETERMINISTIC;
    opt->no_reboot = true;
    opt->debugcon.kind = VM_CHARDEV_NONE;
    if (serial) {
        opt->serial[0].kind = VM_CHARDEV_CALLBACK;
        opt->serial[0].write = capture_byte;
        opt->serial[0].opaque = serial;
    } else {
        opt->serial[0].kind = VM_CHARDEV_NULL;
    }
}

/* A temporary file with the given bytes; the caller unlinks it. */
static char *temp_file(const void *data, size_t len)
{
    char *path = strdup("/tmp/softvm-boot-test-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static uint8_t *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s (built by the test_programs target)", path);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(*len);
    cr_assert_eq(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

/* The text written on stderr so far (criterion redirects it). */
static const char *stderr_text(void)
{
    static char buf[4096];
    fflush(stderr);
    FILE *f = cr_get_redirected_stderr();
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    return buf;
}

/* machine_init must fail with status 1 and this text on stderr. */
static void expect_init_error(struct vm_options *opt, const char *text)
{
    struct machine *m = calloc(1, sizeof(*m));
    int rc = machine_init(m, opt);
    cr_assert_neq(rc, 0, "machine_init accepted a bad image");
    const char *err = stderr_text();
    cr_assert(strstr(err, text), "stderr '%s' lacks '%s'", err, text);
    cr_assert(strncmp(err, "softvm: ", 8) == 0, "stderr '%s'", err);
    free(m);
}

/*
 * A minimal synthetic bzImage: one setup sector plus a boot sector, the
 * setup header of protocol `version`, then `payload` bytes of "kernel".
 */
static uint8_t *make_bzimage(size_t payload, uint16_t version, uint32_t init_size, size_t *len)
{
    size_t setup = 2 * 512;                          /* setup_sects = 1 */
    *len = setup + payload;
    uint8_t *img = calloc(1, *len);
    img[0x1f1] = 1;                                  /* setup_sects */
    put32(img + 0x1f4, (uint32_t)(payload / 16));    /* syssize */
    put16(img + 0x1fe, 0xAA55);
    img[0x200] = 0xEB;                               /* jmp short */
    img[0x201] = 0x66;                               /* header ends at 0x268 */
    memcpy(img + 0x202, "HdrS", 4);
    put16(img + 0x206, version);
    img[0x211] = 0x01;                               /* LOADED_HIGH */
    put32(img + 0x214, 0x100000);                    /* code32_start */
    put32(img + 0x22c, 0x37ffffff);                  /* initrd_addr_max */
    put32(img + 0x230, 0x1000000);                   /* kernel_alignment */
    img[0x234] = 1;                                  /* relocatable */
    put32(img + 0x238, 2048);                        /* cmdline_size */
    put32(img + 0x258, 0x100000);                    /* pref_address */
    put32(img + 0x260, init_size);
    for (size_t i = 0; i < payload; i++)
        img[setup + i] = (uint8_t)(i * 7 + 3);
    return img;
}

/* ---- Multiboot ---- */

Test(boot, multiboot_loader_state)
{
    static const char module[] = "MODXpayload";
    char *mod = temp_file(module, sizeof(module) - 1);
    char initrd[256];
    snprintf(initrd, sizeof(initrd), "%s arg1 arg2", mod);

    struct capture out = {0};
    struct vm_options opt;
    base_options(&opt, &out);
    opt.kernel = MB_HELLO;
    opt.append = "hello world";
    opt.initrd = initrd;
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    cr_assert_eq(m->boot, BOOT_MULTIBOOT);

    size_t len;
    uint8_t *img = read_all(MB_HELLO, &len);
    struct cpu *cpu = &m->cpu;
    cr_assert_eq(cpu->regs[R_EAX], 0x2BADB002);
    cr_assert_eq(cpu->regs[R_EBX], MB_INFO_ADDR);
    cr_assert_eq(cpu->rip, get32(img + 24), "EIP is the ELF entry");
    cr_assert(cpu->cr0 & CR0_PE);
    cr_assert_not(cpu->cr0 & CR0_PG);
    cr_assert_not(cpu_get_eflags(cpu) & EFLAGS_IF);
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0x10);
    cr_assert_eq(cpu->seg[SEG_CS].base, 0);
    cr_assert_eq(cpu->seg[SEG_CS].limit, 0xFFFFFFFFu);
    cr_assert(cpu->seg[SEG_CS].flags & SEGF_DB);
    for (int s = 0; s < SEG_COUNT; s++)
        if (s != SEG_CS) {
            cr_assert_eq(cpu->seg[s].sel, 0x18);
            cr_assert_eq(cpu->seg[s].limit, 0xFFFFFFFFu);
        }
    /* the GDT the selectors refer to */
    cr_assert_eq(cpu->gdtr.base, MB_GDT_ADDR);
    cr_assert_eq(phys_read32(m->mem, MB_GDT_ADDR + 0x10), 0x0000FFFF);
    cr_assert_eq(phys_read32(m->mem, MB_GDT_ADDR + 0x14), 0x00CF9B00);
    cr_assert_eq(phys_read32(m->mem, MB_GDT_ADDR + 0x1C), 0x00CF9300);

    /* the image at its p_paddr, and its bss zeroed */
    for (size_t i = 0; i < len; i++)
        cr_assert_eq(phys_read8(m->mem, 0x100000 + i), img[i], "byte %zu", i);
    uint32_t memsz = get32(img + 52 + 20);
    cr_assert_gt(memsz, len);
    cr_assert_eq(phys_read8(m->mem, 0x100000 + memsz - 1), 0);

    /* the multiboot information */
    struct phys_mem *pm = m->mem;
    uint32_t flags = phys_read32(pm, MB_INFO_ADDR);
    cr_assert_eq(flags & (MBI_MEMORY | MBI_CMDLINE | MBI_MODS | MBI_MMAP),
                 MBI_MEMORY | MBI_CMDLINE | MBI_MODS | MBI_MMAP);
    cr_assert_eq(phys_read32(pm, MB_INFO_ADDR + 4), 639);
    cr_assert_eq(phys_read32(pm, MB_INFO_ADDR + 8), 15 * 1024);
    char cl[256] = {0};
    uint32_t cl_addr = phys_read32(pm, MB_INFO_ADDR + 16);
    for (int i = 0; i < 255 && (cl[i] = (char)phys_read8(pm, cl_addr + i)); i++)
        ;
    cr_assert_str_eq(cl, MB_HELLO " hello world");
    /* one module, page aligned after the kernel, with its string */
    cr_assert_eq(phys_read32(pm, MB_INFO_ADDR + 20), 1);
    uint32_t mods = phys_read32(pm, MB_INFO_ADDR + 24);
    uint32_t mstart = phys_read32(pm, mods), mend = phys_read32(pm, mods + 4);
    cr_assert_eq(mstart & 0xfff, 0);
    cr_assert_geq(mstart, 0x100000 + memsz);
    cr_assert_eq(mend - mstart, sizeof(module) - 1);
    cr_assert_eq(phys_read32(pm, mstart), get32((const uint8_t *)"MODX"));
    char ms[256] = {0};
    uint32_t ms_addr = phys_read32(pm, mods + 8);
    for (int i = 0; i < 255 && (ms[i] = (char)phys_read8(pm, ms_addr + i)); i++)
        ;
    cr_assert_str_eq(ms, initrd);
    /* memory map: two RAM areas, 0-639K and 1M-16M */
    cr_assert_eq(phys_read32(pm, MB_INFO_ADDR + 44), 48);
    uint32_t mmap = phys_read32(pm, MB_INFO_ADDR + 48);
    cr_assert_eq(phys_read32(pm, mmap), 20);
    cr_assert_eq(phys_read32(pm, mmap + 4), 0);
    cr_assert_eq(phys_read32(pm, mmap + 12), 0x9fc00);
    cr_assert_eq(phys_read32(pm, mmap + 20), 1);
    cr_assert_eq(phys_read32(pm, mmap + 24 + 4), 0x100000);
    cr_assert_eq(phys_read32(pm, mmap + 24 + 12), 15u << 20);

    machine_destroy(m);
    free(m);
    free(img);
    unlink(mod);
    free(mod);
}

/* The whole path: the test kernel prints over COM1 and exits through 0xF4.
 * Needs the CPU core (cpu/) to execute it. */
Test(boot, multiboot_hello_runs, .timeout = 60)
{
    struct capture out = {0};
    struct vm_options opt;
    base_options(&opt, &out);
    opt.kernel = MB_HELLO;
    opt.append = "quiet=1";
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    /* bounded, so a CPU that never gets there fails instead of hanging */
    cr_assert(machine_run_slices(m, 1000), "the kernel did not exit through port 0xF4; "
              "serial so far: '%.*s'", (int)out.len, out.buf);
    int status = m->exit_status;
    out.buf[out.len] = '\0';
    cr_assert_str_eq(out.buf, "Hello from multiboot\n"
                     "cmdline: " MB_HELLO " quiet=1\n"
                     "mem_upper: 00003c00\n");
    cr_assert_eq(status, (0x2A << 1) | 1);
    machine_destroy(m);
    free(m);
}

/* A kernel linked at 0x8000 covers the loader's default area: the GDT, the
 * information and the strings move after it, and the kernel still runs
 * (kvm-unit-tests' realmode.flat is linked at 32K). */
Test(boot, multiboot_low_loaded_kernel, .timeout = 60)
{
    struct capture out = {0};
    struct vm_options opt;
    base_options(&opt, &out);
    opt.kernel = SOFTVM_ASM_DIR "/multiboot_low.bin";
    opt.append = "low";
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    struct stat st;
    cr_assert_eq(stat(opt.kernel, &st), 0);
    uint32_t kend = 0x8000 + (uint32_t)st.st_size + 4096 + 16;     /* file + bss stack, over-estimated */
    struct cpu *cpu = &m->cpu;
    uint32_t info = cpu->regs[R_EBX];
    cr_assert(info >= kend || info + 88 <= 0x8000, "info at 0x%x overlaps the kernel", info);
    cr_assert(cpu->gdtr.base >= kend || cpu->gdtr.base + 32 <= 0x8000);
    cr_assert_eq(info - cpu->gdtr.base, MB_INFO_ADDR - MB_GDT_ADDR);
    cr_assert_lt(info + 88, 0x9fc00u, "stays below the EBDA");
    cr_assert_eq(phys_read32(m->mem, 0x8000), 0x464c457f, "the kernel's own first bytes are intact");
    cr_assert(machine_run_slices(m, 1000), "serial so far: '%.*s'", (int)out.len, out.buf);
    out.buf[out.len] = '\0';
    cr_assert_str_eq(out.buf, "Hello from multiboot\n"
                     "cmdline: " SOFTVM_ASM_DIR "/multiboot_low.bin low\n"
                     "mem_upper: 00003c00\n");
    cr_assert_eq(m->exit_status, (0x2A << 1) | 1);
    machine_destroy(m);
    free(m);
}

/* The PIT through the I/O APIC to the local APIC, the LAPIC timer and a
 * self-IPI, programmed as an OS does it (tests/asm/multiboot_ioapic.asm).
 * Expected times from arithmetic: 4 PIT periods of 11932 / 1193182 Hz =
 * 40.0003 ms; 1000000 LAPIC counts at 1 GHz = 1 ms. */
static void run_ioapic_kernel(enum vm_accel accel)
{
    struct capture out = {0};
    struct vm_options opt;
    base_options(&opt, &out);
    opt.accel = accel;
    opt.kernel = SOFTVM_ASM_DIR "/multiboot_ioapic.bin";
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    cr_assert(machine_run_slices(m, 100000), "serial so far: '%.*s'", (int)out.len, out.buf);
    out.buf[out.len] = '\0';
    cr_assert_str_eq(out.buf, "pit via ioapic: 5 ticks, isr ok, 40 ms\n"
                     "lapic timer: 1 ms\n"
                     "self ipi ok\n");
    cr_assert_eq(m->exit_status, (0x2A << 1) | 1);
    machine_destroy(m);
    free(m);
}

Test(boot, multiboot_ioapic_routes_the_pit, .timeout = 60) { run_ioapic_kernel(VM_ACCEL_INTERP); }
Test(boot, multiboot_ioapic_routes_the_pit_jit, .timeout = 60) { run_ioapic_kernel(VM_ACCEL_JIT); }

/* Without the APICs (-cpu qemu32,-apic) CPUID says so and the page is absent. */
Test(boot, cpu_without_apic)
{
    struct vm_options opt;
    base_options(&opt, NULL);
    opt.kernel = MB_HELLO;
    opt.no_apic = true;
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    uint32_t r[4];
    cpu_cpuid(&m->cpu, 1, 0, r);
    cr_assert_eq(r[3] & (1u << 9), 0);
    cr_assert_eq(phys_read32(m->mem, 0xfee00030), 0xffffffffu);
    cr_assert_eq(phys_read32(m->mem, 0xfec00000), 0xffffffffu);
    machine_destroy(m);
    free(m);
    base_options(&opt, NULL);
    opt.kernel = MB_HELLO;
    opt.x2apic = true;
    m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    cpu_cpuid(&m->cpu, 1, 0, r);
    cr_assert_eq(r[3] & (1u << 9), 1u << 9, "the APIC, globally enabled after reset");
    cr_assert_eq(r[2] & (1u << 24), 1u << 24, "TSC-deadline");
    cr_assert_eq(phys_read32(m->mem, 0xfee00030), 0x00050014u);
    /* x2APIC mode through the MSR, when the model offers it (+x2apic). */
    cr_assert_eq(setjmp(m->cpu.exc_jmp), 0, "WRMSR IA32_APIC_BASE faulted");
    cpu_wrmsr(&m->cpu, 0x1b, 0xfee00c00);
    cr_assert_eq(cpu_rdmsr(&m->cpu, 0x803), 0x00050014u, "the version register as MSR 0x803");
    machine_destroy(m);
    free(m);
}


/* Parameterized cases hold arrays, not pointers: criterion may run each in a
 * freshly started process where the parent's addresses mean nothing. */

/* A Multiboot image that machine_init must refuse: multiboot_hello.bin with
 * up to two words patched (at an ELF offset, or relative to the Multiboot
 * header), or an -initrd module that is not there. */
struct mb_bad {
    struct { long off; bool in_header; uint32_t value; bool plus_len; } patch[2];
    int npatch;
    char initrd[64];             /* "" for none */
    char text[80];
};

ParameterizedTestParameters(boot, multiboot_refused)
{
    static struct mb_bad cases[] = {
        /* p_paddr far beyond 16 MiB */
        { { { 52 + 12, false, 0x7F000000, false } }, 1, "", "does not fit in RAM" },
        /* p_filesz and p_memsz past the end of the file */
        { { { 52 + 16, false, 100, true }, { 52 + 20, false, 200, true } }, 2, "", "truncated" },
        /* flags ask for a video mode (checksum kept right) */
        { { { 4, true, 0x7, false }, { 8, true, (uint32_t)-(0x1BADB002 + 0x7), false } }, 2, "",
          "video modes are not supported" },
        { { { 0 } }, 0, "/nonexistent/module.bin some args",
          "-initrd '/nonexistent/module.bin': No such file or directory" },
    };
    return cr_make_param_array(struct mb_bad, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct mb_bad *c, boot, multiboot_refused, .init = cr_redirect_stderr)
{
    size_t len;
    uint8_t *img = read_all(MB_HELLO, &len);
    long h = multiboot_find_header(img, len);
    cr_assert_geq(h, 0);
    for (int i = 0; i < c->npatch; i++)
        put32(img + c->patch[i].off + (c->patch[i].in_header ? h : 0),
              c->patch[i].value + (c->patch[i].plus_len ? (uint32_t)len : 0));
    char *path = temp_file(img, len);
    struct vm_options opt;
    base_options(&opt, NULL);
    opt.kernel = path;
    opt.initrd = c->initrd[0] ? c->initrd : NULL;
    expect_init_error(&opt, c->text);
    unlink(path);
    free(path);
    free(img);
}

/* ---- Linux ---- */

Test(boot, linux_loader_state)
{
    size_t len;
    uint8_t *img = make_bzimage(8192, 0x20f, 0x10000, &len);
    char *kpath = temp_file(img, len);
    static const char rd[] = "initrd-contents-0123456789";
    char *rpath = temp_file(rd, sizeof(rd) - 1);

    struct vm_options opt;
    base_options(&opt, NULL);
    opt.kernel = kpath;
    opt.initrd = rpath;
    opt.append = "console=ttyS0 root=/dev/ram0";
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    cr_assert_eq(m->boot, BOOT_LINUX);
    struct phys_mem *pm = m->mem;
    struct cpu *cpu = &m->cpu;

    /* 32-bit boot protocol entry state */
    cr_assert_eq(cpu->rip, 0x100000);
    cr_assert_eq(cpu->regs[R_ESI], LINUX_BOOT_PARAMS);
    cr_assert_eq(cpu->regs[R_EBP], 0);
    cr_assert_eq(cpu->regs[R_EDI], 0);
    cr_assert_eq(cpu->regs[R_EBX], 0);
    cr_assert_eq(cpu->seg[SEG_CS].sel, 0x10);
    cr_assert_eq(cpu->seg[SEG_DS].sel, 0x18);
    cr_assert_eq(cpu->seg[SEG_SS].sel, 0x18);
    cr_assert_eq(cpu->seg[SEG_ES].sel, 0x18);
    cr_assert(cpu->cr0 & CR0_PE);
    cr_assert_not(cpu_get_eflags(cpu) & EFLAGS_IF);

    /* the protected-mode kernel at 1 MiB */
    for (size_t i = 0; i < 8192; i++)
        cr_assert_eq(phys_read8(pm, 0x100000 + i), img[1024 + i], "kernel byte %zu", i);

    /* boot_params */
    uint32_t bp = LINUX_BOOT_PARAMS;
    cr_assert_eq(phys_read32(pm, bp + 0x202), get32((const uint8_t *)"HdrS"));
    cr_assert_eq(phys_read8(pm, bp + 0x1f1), 1, "setup header copied in");
    cr_assert_eq(phys_read8(pm, bp + 0x210), 0xff, "type_of_loader");
    cr_assert_eq(phys_read32(pm, bp + 0x228), LINUX_CMDLINE_ADDR);
    char cl[64] = {0};
    for (int i = 0; i < 63 && (cl[i] = (char)phys_read8(pm, LINUX_CMDLINE_ADDR + i)); i++)
        ;
    cr_assert_str_eq(cl, "console=ttyS0 root=/dev/ram0");
    uint32_t rd_addr = phys_read32(pm, bp + 0x218);
    cr_assert_eq(phys_read32(pm, bp + 0x21c), sizeof(rd) - 1);
    cr_assert_eq(rd_addr & 0xfff, 0);
    cr_assert_leq(rd_addr + sizeof(rd) - 1, 16u << 20, "initrd inside RAM");
    cr_assert_geq(rd_addr, (16u << 20) - 0x1000, "initrd as high as possible");
    for (size_t i = 0; i < sizeof(rd) - 1; i++)
        cr_assert_eq(phys_read8(pm, rd_addr + i), (uint8_t)rd[i]);

    /* e820: RAM 0-0x9fc00, reserved EBDA, reserved BIOS area, RAM 1M-16M */
    cr_assert_eq(phys_read8(pm, bp + 0x1e8), 4);
    static const uint32_t want[4][3] = {
        { 0, 0x9fc00, 1 }, { 0x9fc00, 0x400, 2 }, { 0xe0000, 0x20000, 2 },
        { 0x100000, 15u << 20, 1 },
    };
    for (int i = 0; i < 4; i++) {
        uint32_t e = bp + 0x2d0 + 20 * i;
        cr_assert_eq(phys_read32(pm, e), want[i][0], "e820[%d].addr", i);
        cr_assert_eq(phys_read32(pm, e + 4), 0);
        cr_assert_eq(phys_read32(pm, e + 8), want[i][1], "e820[%d].size", i);
        cr_assert_eq(phys_read32(pm, e + 16), want[i][2], "e820[%d].type", i);
    }

    machine_destroy(m);
    free(m);
    unlink(kpath);
    unlink(rpath);
    free(kpath);
    free(rpath);
    free(img);
}

/* A bzImage (make_bzimage) that machine_init must refuse, in 16 MiB of RAM. */
struct linux_bad {
    size_t payload;
    uint16_t version;
    uint32_t init_size;
    size_t file_len;             /* bytes of the image in the file; 0: all */
    bool zimage;                 /* LOADED_HIGH clear */
    size_t initrd_len;           /* a temporary initrd of this size, or 0 */
    char initrd[64];             /* else this -initrd path, or "" */
    size_t append_len;           /* a command line of this many 'a's, or 0 */
    char text[80];
};

ParameterizedTestParameters(boot, linux_refused)
{
    static struct linux_bad cases[] = {
        { .payload = 8192, .version = 0x20f, .file_len = 8192 + 1024 - 4096, .text = "truncated" },
        { .payload = 8192, .version = 0x20f, .file_len = 0x240, .text = "truncated" },
        { .payload = 4096, .version = 0x204, .text = "boot protocol 2.04 is too old" },
        { .payload = 4096, .version = 0x20f, .zimage = true, .text = "zImage" },
        { .payload = 4096, .version = 0x20f, .init_size = 40u << 20, .text = "too large for RAM" },
        /* the kernel needs 1M..13M: no room for 4 MiB of initrd */
        { .payload = 4096, .version = 0x20f, .init_size = 12u << 20, .initrd_len = 4u << 20,
          .text = "too large for RAM" },
        { .payload = 4096, .version = 0x20f, .initrd = "/nonexistent/initrd.gz",
          .text = "-initrd '/nonexistent/initrd.gz': No such file or directory" },
        { .payload = 4096, .version = 0x20f, .append_len = 2999, .text = "takes at most 2048" },
    };
    return cr_make_param_array(struct linux_bad, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct linux_bad *c, boot, linux_refused, .init = cr_redirect_stderr)
{
    size_t len;
    uint8_t *img = make_bzimage(c->payload, c->version, c->init_size, &len);
    if (c->zimage)
        img[0x211] = 0;
    char *path = temp_file(img, c->file_len ? c->file_len : len);
    char *rpath = NULL, *append = NULL;
    if (c->initrd_len) {
        uint8_t *rd = calloc(1, c->initrd_len);
        rpath = temp_file(rd, c->initrd_len);
        free(rd);
    }
    if (c->append_len) {
        append = malloc(c->append_len + 1);
        memset(append, 'a', c->append_len);
        append[c->append_len] = '\0';
    }
    struct vm_options opt;
    base_options(&opt, NULL);
    opt.kernel = path;
    opt.initrd = rpath ? rpath : c->initrd[0] ? c->initrd : NULL;
    opt.append = append;
    expect_init_error(&opt, c->text);
    if (rpath)
        unlink(rpath);
    unlink(path);
    free(rpath);
    free(append);
    free(path);
    free(img);
}

/* ---- bad kernels in general ---- */

/* A -kernel or -bios file that machine_init must refuse: a path as given, or
 * a temporary file of `size` bytes (`junk`: not zeros). */
struct file_bad {
    bool bios;
    char path[64];               /* "": a temporary file */
    size_t size;
    bool junk;
    char text[80];
};

ParameterizedTestParameters(boot, file_refused)
{
    static struct file_bad cases[] = {
        { false, "/nonexistent/vmlinuz", 0, false,
          "'/nonexistent/vmlinuz': could not open kernel file: No such file" },
        { false, "", 0, false, "the file is empty" },
        { false, "", 16384, true, "not a kernel" },
        { false, "/tmp", 0, false, "not a regular file" },
        { true, "/nonexistent/bios.bin", 0, false,
          "-bios '/nonexistent/bios.bin': No such file or directory" },
        { true, "", 100000, false, "not a multiple of 64 KiB" },
    };
    return cr_make_param_array(struct file_bad, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct file_bad *c, boot, file_refused, .init = cr_redirect_stderr)
{
    char *tmp = NULL;
    if (!c->path[0]) {
        uint8_t *data = calloc(1, c->size + 1);
        for (size_t i = 0; c->junk && i < c->size; i++)
            data[i] = (uint8_t)(i * 13 + 5);
        tmp = temp_file(data, c->size);
        free(data);
    }
    struct vm_options opt;
    base_options(&opt, NULL);
    if (c->bios)
        opt.bios = tmp ? tmp : c->path;
    else
        opt.kernel = tmp ? tmp : c->path;
    expect_init_error(&opt, c->text);
    if (tmp)
        unlink(tmp);
    free(tmp);
}

/* ---- firmware ---- */

Test(boot, bios_mapped_at_top_and_low)
{
    size_t len = 256u << 10;            /* a 256 KiB image: only its last 128 KiB go low */
    uint8_t *img = malloc(len);
    for (size_t i = 0; i < len; i++)
        img[i] = (uint8_t)(i ^ (i >> 8) ^ (i >> 16));
    char *path = temp_file(img, len);
    struct vm_options opt;
    base_options(&opt, NULL);
    opt.bios = path;
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    cr_assert_eq(m->boot, BOOT_FIRMWARE);
    for (size_t i = 0; i < len; i += 4093)
        cr_assert_eq(phys_read8(m->mem, 0x100000000ull - len + i), img[i], "high byte %zu", i);
    cr_assert_eq(phys_read8(m->mem, 0xFFFFFFF0u), img[len - 16], "the reset vector");
    for (size_t i = 0; i < (128u << 10); i += 1021)
        cr_assert_eq(phys_read8(m->mem, 0xE0000 + i), img[len - (128u << 10) + i],
                     "low byte %zu", i);
    /* CPU at the reset vector F000:FFF0 */
    cr_assert_eq(m->cpu.seg[SEG_CS].sel, 0xF000);
    cr_assert_eq(m->cpu.rip, 0xFFF0);
    machine_destroy(m);
    free(m);
    unlink(path);
    free(path);
    free(img);
}

/* ---- Linux through the firmware (fw_cfg + the linuxboot option ROM) ---- */

static uint32_t fw_cfg_read32(struct machine *m, uint16_t key)
{
    io_write(&m->io, 0x510, key, 2);
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (io_read(&m->io, 0x511, 1) & 0xff) << (8 * i);
    return v;
}

Test(boot, linux_via_firmware_fw_cfg_items)
{
    size_t blen = 64u << 10;
    uint8_t *bios = calloc(1, blen);
    char *bpath = temp_file(bios, blen);
    free(bios);
    size_t len;
    uint8_t *img = make_bzimage(8192, 0x20f, 0x10000, &len);
    char *kpath = temp_file(img, len);
    static const char rd[] = "RDRDRDRD";
    char *rpath = temp_file(rd, sizeof(rd) - 1);

    struct vm_options opt;
    base_options(&opt, NULL);
    opt.bios = bpath;
    opt.kernel = kpath;
    opt.initrd = rpath;
    opt.append = "console=ttyS0";
    opt.linuxboot_rom = SOFTVM_ROM_DIR "/linuxboot.bin";
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    cr_assert_eq(m->boot, BOOT_FIRMWARE);
    cr_assert_eq(m->cpu.rip, 0xFFF0, "the firmware runs first");

    cr_assert_eq(fw_cfg_read32(m, FW_CFG_SETUP_ADDR), LINUX_FW_SETUP_ADDR);
    cr_assert_eq(fw_cfg_read32(m, FW_CFG_SETUP_SIZE), 1024);
    cr_assert_eq(fw_cfg_read32(m, FW_CFG_KERNEL_ADDR), 0x100000);
    cr_assert_eq(fw_cfg_read32(m, FW_CFG_KERNEL_SIZE), 8192);
    cr_assert_eq(fw_cfg_read32(m, FW_CFG_INITRD_SIZE), sizeof(rd) - 1);
    uint32_t rd_addr = fw_cfg_read32(m, FW_CFG_INITRD_ADDR);
    cr_assert_eq(rd_addr & 0xfff, 0);
    cr_assert_leq(rd_addr, (15u << 20) - 0x1000, "below SeaBIOS's top-of-RAM tables");
    cr_assert_eq(fw_cfg_read32(m, FW_CFG_CMDLINE_ADDR), LINUX_CMDLINE_ADDR);
    cr_assert_eq(fw_cfg_read32(m, FW_CFG_CMDLINE_SIZE), sizeof("console=ttyS0"));
    /* the setup as patched for a 16-bit boot */
    io_write(&m->io, 0x510, FW_CFG_SETUP_DATA, 2);
    uint8_t setup[1024];
    for (int i = 0; i < 1024; i++)
        setup[i] = (uint8_t)io_read(&m->io, 0x511, 1);
    cr_assert_eq(setup[0x210], 0xff, "type_of_loader");
    cr_assert_eq(setup[0x211], 0x81, "LOADED_HIGH | CAN_USE_HEAP");
    cr_assert_eq(setup[0x224] | setup[0x225] << 8, LINUX_FW_HEAP_END);
    cr_assert_eq(get32(setup + 0x228), LINUX_CMDLINE_ADDR);
    cr_assert_eq(get32(setup + 0x218), rd_addr);
    cr_assert_eq(get32(setup + 0x21c), sizeof(rd) - 1);
    /* the kernel bytes */
    io_write(&m->io, 0x510, FW_CFG_KERNEL_DATA, 2);
    for (int i = 0; i < 64; i++)
        cr_assert_eq(io_read(&m->io, 0x511, 1) & 0xff, img[1024 + i]);

    machine_destroy(m);
    free(m);
    unlink(bpath);
    unlink(kpath);
    unlink(rpath);
    free(bpath);
    free(kpath);
    free(rpath);
    free(img);
}

Test(boot, linux_via_firmware_rejects_multiboot, .init = cr_redirect_stderr)
{
    size_t blen = 64u << 10;
    uint8_t *bios = calloc(1, blen);
    char *bpath = temp_file(bios, blen);
    free(bios);
    struct vm_options opt;
    base_options(&opt, NULL);
    opt.bios = bpath;
    opt.kernel = MB_HELLO;
    opt.linuxboot_rom = SOFTVM_ROM_DIR "/linuxboot.bin";
    expect_init_error(&opt, "only a Linux bzImage can boot through the firmware");
    unlink(bpath);
    free(bpath);
}

/* ---- bad inputs, one row each: what is given and what softvm must say ---- */

enum bad_kernel { K_NONE, K_SMALL_BZ, K_BIG_BZ, K_BZ_12M, K_MB_HELLO, K_FIFO };
enum bad_file { F_NONE, F_FAKE_BIOS, F_FIFO, F_DIR, F_4M, F_20M, F_LONG_ARGS };

/* A run machine_init + host_attach must refuse, and what stderr must say
 * (both texts; "%s" stands for the path of the file the row is about). */
struct bad_input {
    char name[48];
    enum bad_kernel kernel;
    uint64_t ram;
    enum bad_file bios, initrd, serial, log;
    char expect[2][160];
};

ParameterizedTestParameters(boot, bad_input_refused)
{
    static struct bad_input cases[] = {
    /* a small bzImage (1 MiB + 8 KiB) fits 1536K directly, not through the BIOS,
     * which keeps the top 1 MiB: 2 MiB + 8 KiB rounds up to 3 MiB */
    { "small bzImage, -m 1536K, -bios", K_SMALL_BZ, 1536u << 10, F_FAKE_BIOS, F_NONE, F_NONE, F_NONE,
      { "too large for RAM: needs at least 3 MiB (-m 3M; booting through the BIOS",
        "the machine has 1536 KiB" } },
    { "init_size 40M, -m 16", K_BIG_BZ, 16u << 20, F_NONE, F_NONE, F_NONE, F_NONE,
      { "too large for RAM: needs at least 41 MiB (-m 41M), the machine has 16 MiB", "" } },
    { "init_size 40M, -m 16, -bios", K_BIG_BZ, 16u << 20, F_FAKE_BIOS, F_NONE, F_NONE, F_NONE,
      { "needs at least 42 MiB (-m 42M; booting through the BIOS, which keeps the top 1 MiB)",
        "the machine has 16 MiB" } },
    { "bzImage initrd past RAM", K_BZ_12M, 16u << 20, F_NONE, F_4M, F_NONE, F_NONE,
      { "-initrd '%s': too large for RAM: 4194304 bytes above the kernel need at least 17 MiB "
        "(-m 17M), the machine has 16 MiB", "" } },
    { "bzImage initrd past RAM, -bios", K_BZ_12M, 16u << 20, F_FAKE_BIOS, F_4M, F_NONE, F_NONE,
      { "-initrd '%s': too large for RAM: 4194304 bytes above the kernel need at least 18 MiB "
        "(-m 18M; booting through the BIOS", "" } },
    { "-kernel FIFO", K_FIFO, 16u << 20, F_NONE, F_NONE, F_NONE, F_NONE,
      { "-kernel '%s': not a regular file", "" } },
    { "-initrd FIFO", K_SMALL_BZ, 16u << 20, F_NONE, F_FIFO, F_NONE, F_NONE,
      { "-initrd '%s': not a regular file", "" } },
    { "-initrd FIFO, -bios", K_SMALL_BZ, 16u << 20, F_FAKE_BIOS, F_FIFO, F_NONE, F_NONE,
      { "-initrd '%s': not a regular file", "" } },
    { "-bios FIFO", K_NONE, 16u << 20, F_FIFO, F_NONE, F_NONE, F_NONE,
      { "-bios '%s': not a regular file", "" } },
    { "multiboot module FIFO", K_MB_HELLO, 16u << 20, F_NONE, F_FIFO, F_NONE, F_NONE,
      { "-initrd '%s': not a regular file", "" } },
    { "multiboot module a directory", K_MB_HELLO, 16u << 20, F_NONE, F_DIR, F_NONE, F_NONE,
      { "-initrd '%s': not a regular file", "" } },
    { "multiboot module past RAM", K_MB_HELLO, 16u << 20, F_NONE, F_20M, F_NONE, F_NONE,
      { "-initrd '%s': too large for RAM: the module of 20971520 bytes at 0x",
        "needs at least 22 MiB (-m 22M), the machine has 16 MiB" } },
    { "multiboot module strings overflow", K_MB_HELLO, 16u << 20, F_NONE, F_LONG_ARGS, F_NONE,
      F_NONE, { "the module strings (paths and arguments) are longer than the 90112 bytes", "" } },
    { "-serial file:FIFO without a reader", K_MB_HELLO, 16u << 20, F_NONE, F_NONE, F_FIFO, F_NONE,
      { "-serial: cannot open '%s': it is a FIFO and nothing is reading it", "" } },
    { "-D FIFO without a reader", K_MB_HELLO, 16u << 20, F_NONE, F_NONE, F_NONE, F_FIFO,
      { "-D '%s': cannot open: it is a FIFO and nothing is reading it", "" } },
    };
    return cr_make_param_array(struct bad_input, cases, sizeof(cases) / sizeof(cases[0]));
}

/* A path for a file of the given kind; the caller unlinks it (not F_DIR). */
static char *bad_file_path(enum bad_file kind, char **extra)
{
    *extra = NULL;
    switch (kind) {
    case F_FAKE_BIOS: {
        uint8_t *b = calloc(1, 64u << 10);
        char *p = temp_file(b, 64u << 10);
        free(b);
        return p;
    }
    case F_FIFO: {
        char *p = strdup("/tmp/softvm-boot-fifo-XXXXXX");
        int fd = mkstemp(p);
        cr_assert(fd >= 0);
        close(fd);
        unlink(p);
        cr_assert_eq(mkfifo(p, 0600), 0);
        return p;
    }
    case F_DIR:
        return strdup("/tmp");
    case F_4M:
    case F_20M: {
        size_t n = kind == F_4M ? 4u << 20 : 20u << 20;
        uint8_t *b = calloc(1, n);
        char *p = temp_file(b, n);
        free(b);
        return p;
    }
    case F_LONG_ARGS: {
        char *p = temp_file("MOD", 3);
        size_t n = strlen(p) + 1 + 100000;
        char *spec = malloc(n + 1);
        snprintf(spec, n + 1, "%s ", p);
        memset(spec + strlen(p) + 1, 'a', 100000);
        spec[n] = '\0';
        *extra = spec;               /* the -initrd value; the path is the file */
        return p;
    }
    default:
        return NULL;
    }
}

ParameterizedTest(struct bad_input *b, boot, bad_input_refused, .init = cr_redirect_stderr,
                  .timeout = 30)
{
    struct vm_options opt;
    base_options(&opt, NULL);
    opt.ram_size = b->ram;
    opt.linuxboot_rom = SOFTVM_ROM_DIR "/linuxboot.bin";
    char *kpath = NULL, *extra = NULL, *unused = NULL;
    uint8_t *img = NULL;
    size_t len = 0;
    switch (b->kernel) {
    case K_SMALL_BZ: img = make_bzimage(8192, 0x20f, 0, &len); break;
    case K_BIG_BZ: img = make_bzimage(4096, 0x20f, 40u << 20, &len); break;
    case K_BZ_12M: img = make_bzimage(4096, 0x20f, 12u << 20, &len); break;
    case K_FIFO: kpath = bad_file_path(F_FIFO, &unused); break;
    case K_MB_HELLO: opt.kernel = MB_HELLO; break;
    default: break;
    }
    if (img) {
        kpath = temp_file(img, len);
        free(img);
    }
    if (kpath)
        opt.kernel = kpath;
    char *bpath = bad_file_path(b->bios, &unused);
    char *rpath = bad_file_path(b->initrd, &extra);
    char *spath = bad_file_path(b->serial, &unused);
    char *lpath = bad_file_path(b->log, &unused);
    opt.bios = bpath;
    opt.initrd = extra ? extra : rpath;
    if (spath) {
        opt.serial[0].kind = VM_CHARDEV_FILE;
        opt.serial[0].path = spath;
    }
    opt.log_file = lpath;
    const char *subject = b->kernel == K_FIFO ? kpath : b->bios == F_FIFO ? bpath
                        : b->initrd != F_NONE ? rpath : spath ? spath : lpath;

    struct machine *m = calloc(1, sizeof(*m));
    int rc = host_machine_init(m, &opt);
    const char *err = stderr_text();
    cr_assert_neq(rc, 0, "%s: accepted", b->name);
    cr_assert(strncmp(err, "softvm: ", 8) == 0, "%s: stderr '%s'", b->name, err);
    for (int k = 0; k < 2 && b->expect[k][0]; k++) {
        char want[512];
        snprintf(want, sizeof(want), b->expect[k], subject);
        cr_assert(strstr(err, want), "%s: stderr '%s' lacks '%s'", b->name, err, want);
    }
    free(m);
    char *paths[] = { kpath, bpath, rpath, spath, lpath };
    for (int k = 0; k < 5; k++) {
        if (paths[k] && strcmp(paths[k], "/tmp"))
            unlink(paths[k]);
        free(paths[k]);
    }
    free(extra);
}

/* A module that would cross the 0x9FC00-0xFFFFF hole after a low-loaded
 * kernel goes above the hole (at 1 MiB) instead, and the kernel's module
 * list says so. */
Test(boot, multiboot_module_placed_above_the_hole)
{
    size_t n = 600u << 10;               /* from ~0x2C000 it would run past 0x9FC00 */
    uint8_t *mod = malloc(n);
    for (size_t i = 0; i < n; i++)
        mod[i] = (uint8_t)(i * 5 + 1);
    char *path = temp_file(mod, n);
    struct vm_options opt;
    base_options(&opt, NULL);
    opt.kernel = SOFTVM_ASM_DIR "/multiboot_low.bin";
    opt.initrd = path;
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    uint32_t info = m->cpu.regs[R_EBX];
    cr_assert(phys_read32(m->mem, info) & (1u << 3), "mods_* valid");
    cr_assert_eq(phys_read32(m->mem, info + 20), 1);
    uint32_t ent = phys_read32(m->mem, info + 24);
    uint32_t start = phys_read32(m->mem, ent), end = phys_read32(m->mem, ent + 4);
    cr_assert_eq(start, 0x100000, "module at 0x%x", start);
    cr_assert_eq(end, 0x100000 + n);
    for (size_t i = 0; i < n; i += 4099)
        cr_assert_eq(phys_read8(m->mem, start + i), mod[i]);
    machine_destroy(m);
    free(m);
    unlink(path);
    free(path);
    free(mod);
}
