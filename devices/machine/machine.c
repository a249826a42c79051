/*
 * machine.c - builds one PC from the options and runs it.
 *
 * The run loop is the heart of determinism (docs/ARCHITECTURE.md): the CPU
 * runs in slices that end exactly at the next timer deadline on the virtual
 * clock, timers fire between slices, and a halted CPU skips virtual time to
 * the next deadline. Host input (the terminal) enters only at slice
 * boundaries, through the host side's hooks (struct machine_host_ops). In
 * -clock realtime mode a halted CPU instead waits for the host clock to
 * reach the deadline (or for input), for interactive use.
 */
#include "devices/machine/machine.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices/block/block.h"
#include "devices/machine/linux_boot.h"
#include "devices/machine/loader.h"
#include "devices/machine/multiboot.h"
#include "cpu/trace_hooks.h"
#include "memory/memory.h"
#include "translator/tb.h"
#include "translator/jit.h"
#include "devices/machine/lockstep.h"

#define FOUR_GIB          0x100000000ull
#define BIOS_MAX_SIZE     (16u << 20)        /* 16 MiB: the top-of-4G flash window */
#define BIOS_ISA_WINDOW   (128u << 10)       /* its last 128 KiB also at 0xE0000 */
#define KERNEL_MAX_SIZE   (256u << 20)

static uint64_t host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The host clock at a few ms resolution, cheap enough to read every slice. */
static uint64_t host_coarse_ns(void)
{
    struct timespec ts;
#ifdef CLOCK_MONOTONIC_COARSE
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0)
#endif
        clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- requests from devices ----------------------------------------------------- */

void machine_request_reset(struct machine *m)
{
    m->reset_request = 1;
    cpu_request_exit(&m->cpu);
}

void machine_request_resume(struct machine *m)
{
    m->resume_request = 1;
    cpu_request_exit(&m->cpu);
}

void machine_request_stop(struct machine *m, int exit_status)
{
    if (!m->stop)                     /* the first reason to stop wins */
        m->exit_status = exit_status;
    m->stop = 1;
    cpu_request_exit(&m->cpu);
}

/* ---- firmware ---------------------------------------------------------------- */

bool machine_find_firmware(const char *name, char *buf, size_t size)
{
    char dir[PATH_MAX];
    const char *own = getenv("SOFTVM_CACHE");
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    const char *dirs[4];
    int n = 0;
    if (own && *own) {
        snprintf(dir, sizeof(dir), "%s", own);
        dirs[n++] = dir;
    } else if (xdg && *xdg) {
        snprintf(dir, sizeof(dir), "%s/softvm", xdg);
        dirs[n++] = dir;
    } else if (home && *home) {
        snprintf(dir, sizeof(dir), "%s/.cache/softvm", home);
        dirs[n++] = dir;
    }
    dirs[n++] = "/usr/share/seabios";
    for (int i = 0; i < n; i++) {
        /* the cache may keep firmware at its top or under firmware/ */
        static const char *const sub[] = { "", "/firmware" };
        for (int s = 0; s < 2; s++) {
            int len = snprintf(buf, size, "%s%s/%s", dirs[i], sub[s], name);
            if (len > 0 && (size_t)len < size && access(buf, R_OK) == 0)
                return true;
        }
    }
    return false;
}

/*
 * Map the BIOS image at the top of the 4 GiB space (where the CPU's reset
 * vector F000:FFF0 = physical 0xFFFFFFF0 lands) and its last 128 KiB also at
 * 0xE0000-0xFFFFF, where real-mode code sees it (PAM shadowing, i440FX).
 */
static int load_bios(struct machine *m)
{
    char found[PATH_MAX];
    const char *path = m->opt.bios;
    if (!path || !strcmp(path, "default")) {
        if (!machine_find_firmware("bios.bin", found, sizeof(found))) {
            fprintf(stderr, "softvm: no firmware: bios.bin is neither in the cache "
                    "(${XDG_CACHE_HOME:-~/.cache}/softvm) nor in /usr/share/seabios; "
                    "install Debian's seabios package, give -bios FILE, or boot a "
                    "kernel directly with -kernel\n");
            return -1;
        }
        path = found;
    }
    uint8_t *img;
    size_t len;
    if (loader_read_file("-bios", path, BIOS_MAX_SIZE, &img, &len))
        return -1;
    if (len % 65536 != 0) {
        fprintf(stderr, "softvm: -bios '%s': size %zu is not a multiple of 64 KiB "
                "(truncated or not a BIOS image)\n", path, len);
        free(img);
        return -1;
    }
    size_t isa = len < BIOS_ISA_WINDOW ? len : BIOS_ISA_WINDOW;
    if (phys_mem_add_rom(m->mem, FOUR_GIB - len, img, len) != 0 ||
        phys_mem_add_rom(m->mem, 0x100000 - isa, img + len - isa, isa) != 0) {
        fprintf(stderr, "softvm: -bios '%s': cannot map the image\n", path);
        free(img);
        return -1;
    }
    free(img);
    return 0;
}

/* ---- direct kernel boot ---------------------------------------------------------- */

static int load_kernel(struct machine *m)
{
    uint8_t *img;
    size_t len;
    /* Not capped by RAM: the loaders say how much RAM the kernel needs. */
    if (loader_read_file("-kernel", m->opt.kernel, KERNEL_MAX_SIZE, &img, &len))
        return -1;
    int rc;
    if (linux_boot_probe(img, len)) {
        m->boot = BOOT_LINUX;
        rc = linux_boot_load(m, img, len);
    } else if (multiboot_find_header(img, len) >= 0) {
        m->boot = BOOT_MULTIBOOT;
        rc = multiboot_load(m, img, len);
    } else {
        fprintf(stderr, "softvm: -kernel '%s': not a kernel (neither a Linux bzImage "
                "nor a Multiboot image)\n", m->opt.kernel);
        rc = -1;
    }
    free(img);
    return rc;
}

/* ---- disks ------------------------------------------------------------------------ */

/* Open one drive's image (NULL for an empty CD-ROM tray). 0, or -1 after
 * printing why. */
static int open_drive(struct machine *m, const struct vm_drive *d, struct block_dev **out)
{
    static const enum block_cache cache[] = {
        [VM_CACHE_WRITEBACK] = BLOCK_CACHE_WRITEBACK, [VM_CACHE_NONE] = BLOCK_CACHE_NONE,
        [VM_CACHE_WRITETHROUGH] = BLOCK_CACHE_WRITETHROUGH, [VM_CACHE_UNSAFE] = BLOCK_CACHE_UNSAFE,
        [VM_CACHE_DIRECTSYNC] = BLOCK_CACHE_DIRECTSYNC,
    };
    const char *origin = d->origin ? d->origin : "-drive";
    bool cdrom = d->media == VM_MEDIA_CDROM;
    *out = NULL;
    if (!d->file[0]) {
        if (cdrom && d->interface == VM_IF_IDE)
            return 0;
        fprintf(stderr, "softvm: %s: a disk needs file=\n", origin);
        return -1;
    }
    struct block_options bo = {
        .format = d->format == VM_FORMAT_RAW ? BLOCK_FORMAT_RAW :
                  d->format == VM_FORMAT_QCOW2 ? BLOCK_FORMAT_QCOW2 : BLOCK_FORMAT_AUTO,
        .readonly = d->readonly || cdrom,
        .snapshot = (d->snapshot || m->opt.snapshot) && !cdrom,
        .cache = cache[d->cache],
    };
    char err[600];
    struct block_dev *bd = block_open(d->file, &bo, err, sizeof(err));
    if (!bd) {
        fprintf(stderr, "softvm: %s '%s': %s\n", origin, d->file, err);
        return -1;
    }
    if (!cdrom && block_size(bd) < 512) {
        fprintf(stderr, "softvm: %s '%s': the image is smaller than one sector\n",
                origin, d->file);
        block_close(bd);
        return -1;
    }
    *out = bd;
    return 0;
}

static int add_virtio_disk(struct machine *m, const struct vm_drive *d, const char *serial)
{
    struct block_dev *bd;
    if (open_drive(m, d, &bd))
        return -1;
    if (pc_add_virtio_blk(&m->dev, m, bd, serial) != 0) {
        fprintf(stderr, "softvm: %s '%s': cannot add the virtio-blk device\n",
                d->origin ? d->origin : "-drive", d->file);
        block_close(bd);
        return -1;
    }
    return 0;
}

/* The network cards (-nic, -device e1000|ne2k_pci|virtio-net-pci). Their
 * backends are host side: frontend/host.c opens them and plugs the cables. */
static int add_nics(struct machine *m)
{
    for (int i = 0; i < m->opt.nic_count; i++) {
        const struct vm_nic *c = &m->opt.nic[i];
        /* QEMU's default MAC, one more per card: 52:54:00:12:34:56, :57, ... */
        uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, (uint8_t)(0x56 + i) };
        if (c->mac_set)
            memcpy(mac, c->mac, 6);
        static const enum pc_nic_model model[] = {
            [VM_NIC_E1000] = PC_NIC_E1000, [VM_NIC_NE2K_PCI] = PC_NIC_NE2K_PCI,
            [VM_NIC_VIRTIO_NET] = PC_NIC_VIRTIO_NET,
        };
        if (pc_add_nic(&m->dev, m, model[c->model], mac)) {
            fprintf(stderr, "softvm: network card %d: this model is not built yet\n", i);
            return -1;
        }
    }
    return 0;
}

/* Open every -hda/-cdrom/-drive image and plug it in. Any problem with an
 * image is reported here, before the guest starts (exit status 1). */
static int attach_drives(struct machine *m)
{
    for (int i = 0; i < m->opt.drive_count; i++) {
        const struct vm_drive *d = &m->opt.drive[i];
        if (d->interface == VM_IF_VIRTIO) {
            if (add_virtio_disk(m, d, d->id))
                return -1;
            continue;
        }
        if (d->interface != VM_IF_IDE)
            continue;                 /* if=none: for a -device below */
        struct block_dev *bd;
        if (open_drive(m, d, &bd))
            return -1;
        if (ide_attach(&m->dev.ide, d->index, bd, d->media == VM_MEDIA_CDROM) != 0) {
            fprintf(stderr, "softvm: %s: IDE position %d is already used\n",
                    d->origin ? d->origin : "-drive", d->index);
            block_close(bd);
            return -1;
        }
    }
    for (int i = 0; i < m->opt.device_count; i++) {
        const struct vm_device *dev = &m->opt.device[i];
        for (int j = 0; j < m->opt.drive_count; j++)
            if (!strcmp(m->opt.drive[j].id, dev->drive) &&
                add_virtio_disk(m, &m->opt.drive[j], dev->serial[0] ? dev->serial : dev->drive))
                return -1;
    }
    return 0;
}

/* Put the machine in its starting state: the boot path's CPU state. */
static int machine_boot(struct machine *m)
{
    if (m->boot == BOOT_FIRMWARE)
        return 0;              /* cpu_reset already points at F000:FFF0 */
    /* No firmware will run: set the board up as SeaBIOS would have (RAM at
     * 0xE0000-0xFFFFF, PM I/O base, PCI IRQ routing, ACPI tables at
     * 0xF0000) before the loader writes the kernel and its tables. */
    if (pc_devices_setup_direct_boot(&m->dev, m) != 0) {
        fprintf(stderr, "softvm: internal error: direct-boot board setup failed\n");
        return -1;
    }
    return load_kernel(m);
}

/* SeaBIOS looks for a PCI device's option ROM as the fw_cfg file
 * "pciVVVV,DDDD.rom" (src/optionroms.c, lookup_hardcode) and runs it with
 * the device's bus/device/function in AX, which SeaVGABIOS needs to find
 * the stdvga's framebuffer BAR. The VGA BIOS is optional for a headless
 * boot, so a missing file is not an error. */
static int add_vga_bios(struct machine *m)
{
    char path[PATH_MAX];
    if (!machine_find_firmware("vgabios-stdvga.bin", path, sizeof(path)))
        return 0;
    uint8_t *rom;
    size_t len;
    if (loader_read_file("VGA BIOS", path, 256u << 10, &rom, &len))
        return -1;
    int rc = fw_cfg_add_file(&m->dev.fw_cfg, "pci1234,1111.rom", rom, len);
    free(rom);
    if (rc)
        fprintf(stderr, "softvm: VGA BIOS '%s': cannot add it to fw_cfg\n", path);
    return rc;
}

/* Where the build put the linuxboot option ROM (roms/linuxboot.asm). */
static bool find_linuxboot_rom(char *buf, size_t size)
{
    const char *dir = getenv("SOFTVM_ROM_DIR");
    if (dir && *dir) {
        int n = snprintf(buf, size, "%s/linuxboot.bin", dir);
        if (n > 0 && (size_t)n < size && access(buf, R_OK) == 0)
            return true;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0)
        return false;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return false;
    *slash = '\0';
    static const char *const sub[] = { "roms", "../roms" };
    for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
        int n = snprintf(buf, size, "%s/%s/linuxboot.bin", exe, sub[i]);
        if (n > 0 && (size_t)n < size && access(buf, R_OK) == 0)
            return true;
    }
    return false;
}

/* -kernel with -bios: SeaBIOS boots it from fw_cfg with our option ROM. */
static int kernel_via_firmware(struct machine *m)
{
    char found[PATH_MAX];
    const char *rom_path = m->opt.linuxboot_rom;
    if (!rom_path) {
        if (!find_linuxboot_rom(found, sizeof(found))) {
            fprintf(stderr, "softvm: -kernel with -bios needs the linuxboot option ROM "
                    "(linuxboot.bin, built into <build>/roms/); set SOFTVM_ROM_DIR "
                    "or drop -bios for direct boot\n");
            return -1;
        }
        rom_path = found;
    }
    uint8_t *rom, *img;
    size_t rom_len, len;
    if (loader_read_file("linuxboot ROM", rom_path, 64u << 10, &rom, &rom_len))
        return -1;
    if (rom_len % 512 || rom[0] != 0x55 || rom[1] != 0xAA) {
        fprintf(stderr, "softvm: linuxboot ROM '%s': not an option ROM\n", rom_path);
        free(rom);
        return -1;
    }
    if (loader_read_file("-kernel", m->opt.kernel, KERNEL_MAX_SIZE, &img, &len)) {
        free(rom);
        return -1;
    }
    int rc = 0;
    if (!linux_boot_probe(img, len)) {
        fprintf(stderr, "softvm: -kernel '%s': only a Linux bzImage can boot through the "
                "firmware (drop -bios for Multiboot)\n", m->opt.kernel);
        rc = -1;
    } else {
        rc = linux_boot_via_firmware(m, img, len, rom, rom_len);
    }
    free(img);
    free(rom);
    return rc;
}

/* ---- the host side --------------------------------------------------------------- */

static bool host_poll(struct machine *m, int timeout_ms)
{
    return m->host_ops && m->host_ops->poll ? m->host_ops->poll(m, timeout_ms) : false;
}

static void host_feed(struct machine *m)
{
    if (m->host_ops && m->host_ops->feed)
        m->host_ops->feed(m);
}

static bool host_input_possible(const struct machine *m)
{
    return m->host_ops && m->host_ops->input_possible && m->host_ops->input_possible(m);
}

static void host_flush(struct machine *m)
{
    if (m->host_ops && m->host_ops->flush)
        m->host_ops->flush(m);
}

/* Tests capture output with VM_CHARDEV_CALLBACK: no host side needed. */
static void connect_callbacks(struct machine *m)
{
    for (int i = 0; i < PC_NUM_UARTS; i++)
        if (m->opt.serial[i].kind == VM_CHARDEV_CALLBACK)
            uart_set_sink(&m->dev.uart[i], m->opt.serial[i].write, m->opt.serial[i].opaque);
    if (m->opt.debugcon.kind == VM_CHARDEV_CALLBACK)
        debug_ports_set_sink(&m->dev.debug, m->opt.debugcon.write, m->opt.debugcon.opaque);
}

/* ---- init / destroy ------------------------------------------------------------- */

/* A device armed a timer inside the running slice: end the slice after this
 * instruction, so that the next one stops exactly at the new deadline
 * (rather than the timer firing up to MACHINE_MAX_SLICE instructions late,
 * which made every IDE sector a millisecond). Deterministic: the exit
 * point is the arming instruction in every engine, and the deadline, a
 * function of the request, is reached exactly by the next slice. */
static void end_slice_early(void *opaque)
{
    cpu_request_exit(opaque);
}

int machine_init(struct machine *m, const struct vm_options *opt)
{
    memset(m, 0, sizeof(*m));
    m->opt = *opt;
    m->boot = opt->kernel && !opt->bios ? BOOT_LINUX : BOOT_FIRMWARE;
    if (m->opt.clock == VM_CLOCK_AUTO) {
        bool tty_console = isatty(STDIN_FILENO) &&
                           (opt->serial[0].kind == VM_CHARDEV_STDIO ||
                            opt->debugcon.kind == VM_CHARDEV_STDIO);
        /* A window is interactive too: the guest's timers follow the host clock. */
        bool interactive = tty_console || opt->display == VM_DISPLAY_SDL;
        m->opt.clock = interactive ? VM_CLOCK_REALTIME : VM_CLOCK_DETERMINISTIC;
    }

    m->mem = phys_mem_create(opt->ram_size);
    if (!m->mem) {
        fprintf(stderr, "softvm: cannot allocate %" PRIu64 " MiB of guest RAM: %s\n",
                opt->ram_size >> 20, strerror(errno));
        return 1;
    }
    io_bus_init(&m->io);
    vclock_init(&m->clock, &m->cpu.icount, opt->ns_per_insn ? opt->ns_per_insn : 1);
    cpu_init(&m->cpu, m, m->mem, &m->io);
    m->clock.earlier_deadline = end_slice_early;
    m->clock.earlier_opaque = &m->cpu;
    m->cpu.clock = &m->clock;
    /* The CPU model's optional features (-cpu max, +umip, +tsc-adjust,
     * +smep, +smap, +rdtscp). */
    m->cpu.feat7_ebx = (opt->tsc_adjust ? CPUID7_EBX_TSC_ADJUST : 0) |
                       (opt->smep ? CPUID7_EBX_SMEP : 0) | (opt->smap ? CPUID7_EBX_SMAP : 0);
    m->cpu.feat7_ecx = opt->umip ? CPUID7_ECX_UMIP : 0;
    m->cpu.feat_lm = opt->lm;
    m->cpu.feat_rdtscp = opt->rdtscp;
    if (pc_devices_init(&m->dev, m) != 0) {
        fprintf(stderr, "softvm: internal error: device wiring failed\n");
        machine_destroy(m);
        return 1;
    }

    if (attach_drives(m) || add_nics(m)) {
        machine_destroy(m);
        return 1;
    }
    if (m->boot == BOOT_FIRMWARE) {
        if (load_bios(m) || add_vga_bios(m)) {
            machine_destroy(m);
            return 1;
        }
        if (opt->kernel && kernel_via_firmware(m)) {
            machine_destroy(m);
            return 1;
        }
    }
    if (machine_boot(m)) {
        machine_destroy(m);
        return 1;
    }
    connect_callbacks(m);
    if (opt->accel == VM_ACCEL_JIT) {
        /* -d exec/cpu print every block: no chaining, so each one is seen */
        struct jit_options jo = { .code_size = (size_t)opt->accel_tb_size << 20,
                                  .no_chain = (opt->log_mask & (VM_LOG_EXEC | VM_LOG_CPU)) != 0 };
        const char *err = "";
        if (!jit_enable(&m->cpu, &jo, &err)) {
            fprintf(stderr, "softvm: -accel jit: %s\n", err);
            machine_destroy(m);
            return 1;
        }
    }
    return 0;
}

void machine_destroy(struct machine *m)
{
    if (m->host_ops && m->host_ops->detach)
        m->host_ops->detach(m);
    m->host_ops = NULL;
    if (m->mem)                       /* pc_devices_init ran (it follows phys_mem_create) */
        pc_devices_destroy(&m->dev);
    /* The CPU's only allocation is its translation cache (cpu_init made it;
     * cpu.h has no cpu_destroy yet). */
    tb_cache_destroy(&m->cpu);
    if (m->mem) {
        phys_mem_destroy(m->mem);
        m->mem = NULL;
    }
}

/* ---- the run loop ------------------------------------------------------------------ */

static void machine_reset(struct machine *m)
{
    m->reset_request = 0;
    m->resets++;
    pc_devices_reset(&m->dev);
    cpu_reset(&m->cpu);
    phys_mem_set_a20(m->mem, true);
    if (m->boot != BOOT_FIRMWARE && machine_boot(m) != 0)
        machine_request_stop(m, 1);   /* the kernel file went bad under us */
}

/* Wake from S3 (ACPI 16.3): the board resets with RAM kept; the OS resumes
 * in real mode at CS = vector >> 4, IP = vector & 0xF. Without firmware we
 * jump there ourselves; with it, SeaBIOS does on seeing shutdown status 0xFE. */
static void machine_resume(struct machine *m)
{
    uint32_t vector = m->boot != BOOT_FIRMWARE ? pc_devices_waking_vector(&m->dev, m) : 0;
    m->resume_request = 0;
    m->reset_request = 0;
    pc_devices_reset(&m->dev);
    cpu_reset(&m->cpu);
    phys_mem_set_a20(m->mem, true);
    if (m->boot == BOOT_FIRMWARE) {
        io_write(&m->io, 0x70, 0x0f, 1);
        io_write(&m->io, 0x71, 0xfe, 1);
    } else {
        if (pc_devices_setup_direct_boot(&m->dev, m) != 0) {
            machine_request_stop(m, 1);
            return;
        }
        struct segment *cs = &m->cpu.seg[SEG_CS];
        cs->sel = (uint16_t)(vector >> 4);
        cs->base = (vector >> 4) << 4;
        m->cpu.rip = vector & 0xf;
    }
    acpi_pm_set_woken(&m->dev.pm);
}

/*
 * The CPU is halted: let time pass until the next timer deadline. The
 * deterministic clock jumps there at once; the realtime clock waits for the
 * host clock (or for a key, which may wake the guest through the UART).
 * Returns false if nothing can ever wake the CPU.
 */
static bool machine_idle(struct machine *m)
{
    uint64_t deadline = vclock_next_deadline(&m->clock);
    bool input = host_input_possible(m);
    bool realtime = m->opt.clock == VM_CLOCK_REALTIME;

    if (!realtime || deadline == VCLOCK_NEVER) {
        if (deadline != VCLOCK_NEVER) {
            uint64_t now = vclock_now(&m->clock);
            if (m->host_ops && m->host_ops->wait_input && input) {
                host_flush(m);
                if (m->host_ops->wait_input(m, deadline > now ? deadline - now : 0)) {
                    host_feed(m);               /* the card's interrupt wakes the CPU now */
                    return true;
                }
            }
            vclock_skip_to_next_deadline(&m->clock);
            return true;
        }
        if (!input)
            return false;
        /* Only a key can wake the guest: wait for one (time stands still). */
        host_flush(m);
        host_poll(m, -1);
        host_feed(m);
        return true;
    }

    /* Realtime: sleep until the host clock reaches the deadline, or a key
     * arrives; virtual time advances by what really passed. Wait at most a
     * second at a time so requests and input are seen. */
    uint64_t now = vclock_now(&m->clock);
    uint64_t gap = deadline > now ? deadline - now : 0;
    uint64_t wait_ns = gap < 1000000000ull ? gap : 1000000000ull;
    host_flush(m);
    uint64_t t0 = host_ns();
    bool got = false;
    if (wait_ns >= 1000000u) {
        if (input) {
            got = host_poll(m, (int)(wait_ns / 1000000u));
        } else {
            struct timespec ts = { .tv_sec = (time_t)(wait_ns / 1000000000u),
                                   .tv_nsec = (long)(wait_ns % 1000000000u) };
            nanosleep(&ts, NULL);
        }
    }
    uint64_t slept = host_ns() - t0;
    /* Without input the whole wait passed (poll's rounding aside). */
    uint64_t advance = got ? slept : (slept > wait_ns ? slept : wait_ns);
    m->clock.idle_ns += advance < gap ? advance : gap;
    host_feed(m);
    return true;
}

/* One slice: run the CPU up to the next deadline, then fire timers. */
void machine_slice(struct machine *m)
{
    if (m->resume_request) {
        machine_resume(m);
    } else if (m->dev.asleep) {
        /* S3: the CPU is off; time passes to the next timer (the RTC alarm). */
        if (!machine_idle(m)) {
            fprintf(stderr, "softvm: the guest suspended to RAM (S3) with no wake-up "
                    "timer armed: stopping\n");
            machine_request_stop(m, 1);
        }
        vclock_run_timers(&m->clock);
        return;
    }
    if (m->reset_request) {
        if (m->opt.no_reboot) {
            machine_request_stop(m, 0);
            return;
        }
        machine_reset(m);
    }
    uint64_t budget = vclock_insns_until_deadline(&m->clock);
    if (budget > MACHINE_MAX_SLICE)
        budget = MACHINE_MAX_SLICE;
    if (TRACE_UNLIKELY(m->host_ops && m->host_ops->before_slice))
        budget = m->host_ops->before_slice(m, budget);   /* the debugger may hold the CPU */
    m->clock.slice_end_ns = vclock_now(&m->clock) + budget * m->clock.ns_per_insn;
    enum cpu_exit why = cpu_exec(&m->cpu, budget);
    m->clock.slice_end_ns = VCLOCK_NEVER;
    if (TRACE_UNLIKELY(m->host_ops && m->host_ops->after_slice))
        m->host_ops->after_slice(m);
    vclock_run_timers(&m->clock);

    switch (why) {
    case CPU_EXIT_BUDGET:
    case CPU_EXIT_REQUEST:
        break;
    case CPU_EXIT_SHUTDOWN:          /* triple fault: the board resets the CPU */
        if (m->opt.no_reboot) {
            fprintf(stderr, "softvm: triple fault (shutdown); exiting because of -no-reboot\n");
            machine_request_stop(m, 0);
        } else {
            m->reset_request = 1;
        }
        break;
    case CPU_EXIT_HALT:
        if (m->stop || m->reset_request)
            break;
        /* HLT with IF = 0: only NMI or reset can wake it (SDM Vol. 2A HLT),
         * and nothing on this board raises NMI: the guest is done. */
        if (!(cpu_get_eflags(&m->cpu) & EFLAGS_IF) && !cpu_nmi_pending(&m->cpu)) {
            fprintf(stderr, "softvm: the guest halted with interrupts disabled "
                    "(cli; hlt): stopping\n");
            machine_request_stop(m, 1);
            break;
        }
        if (!machine_idle(m)) {
            fprintf(stderr, "softvm: the guest halted with nothing left to wake it "
                    "(no timer armed, no input)\n");
            machine_request_stop(m, 1);
        }
        vclock_run_timers(&m->clock);
        break;
    }

    /* Every so often: look for typed input and push output out (files
     * too, so a log can be followed while the guest runs). Mostly by
     * instruction count; the host clock bounds the wait when the guest's
     * instructions are slow to emulate. */
    uint64_t now = host_coarse_ns();
    if (m->cpu.icount - m->last_poll_icount >= MACHINE_POLL_INSNS ||
        now - m->last_poll_host_ns >= MACHINE_POLL_HOST_NS) {
        m->last_poll_icount = m->cpu.icount;
        m->last_poll_host_ns = now;
        host_poll(m, 0);
        host_feed(m);
        host_flush(m);
    } else {
        host_feed(m);
    }
}

bool machine_run_slices(struct machine *m, uint64_t slices)
{
    for (uint64_t i = 0; i < slices && !m->stop; i++)
        machine_slice(m);
    host_flush(m);
    return m->stop != 0;
}

int machine_run(struct machine *m)
{
    m->host_start_ns = host_ns();
    if (m->opt.accel_lockstep)
        lockstep_run(m);        /* the same, checked against an interpreter twin */
    else
        while (!m->stop)
            machine_slice(m);
    host_flush(m);
    if (m->host_ops && m->host_ops->run_finished)
        m->host_ops->run_finished(m);   /* the terminal back to normal, --stats */
    return m->exit_status;
}
