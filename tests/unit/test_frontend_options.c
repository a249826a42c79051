/*
 * test_frontend_options.c - the command line: every option, good and bad.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/cmdline.h"
#include "translator/jit.h"

/* The result of one command line; the error text lands in err. */
struct parsed {
    struct vm_options opt;
    int rc;
    char err[1024];
};

typedef int (*parser_fn)(struct vm_options *opt, int argc, char **argv, FILE *err);

/* Run fn (options_parse, or options_parse_syntax: options that are not
 * implemented still parse) on "softvm" + the NULL-terminated args. */
static struct parsed run_parser(parser_fn fn, const char *const *args)
{
    struct parsed p;
    char *argv[64];
    int argc = 0;
    argv[argc++] = "softvm";
    for (; *args && argc < 63; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    memset(p.err, 0, sizeof(p.err));
    FILE *err = fmemopen(p.err, sizeof(p.err) - 1, "w");
    p.rc = fn(&p.opt, argc, argv, err);
    fclose(err);
    return p;
}

static struct parsed run_va(parser_fn fn, const char *first, va_list ap)
{
    const char *args[64];
    int n = 0;
    for (const char *a = first; a && n < 63; a = va_arg(ap, const char *))
        args[n++] = a;
    args[n] = NULL;
    return run_parser(fn, args);
}

static struct parsed parse(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    struct parsed p = run_va(options_parse, first, ap);
    va_end(ap);
    return p;
}

static struct parsed syntax(const char *first, ...)
{
    va_list ap;
    va_start(ap, first);
    struct parsed p = run_va(options_parse_syntax, first, ap);
    va_end(ap);
    return p;
}

/* A command line that must fail (status 2) with text in its message. */
struct bad_case {
    const char *args[24];     /* NULL-terminated */
    const char *text;
};

static void check_bad(parser_fn fn, const struct bad_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char line[512] = "";
        for (const char *const *a = c[i].args; *a; a++)
            snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s", *a);
        struct parsed p = run_parser(fn, c[i].args);
        cr_assert_eq(p.rc, 2, "softvm%s: expected failure, rc %d", line, p.rc);
        cr_assert(strstr(p.err, c[i].text) != NULL, "softvm%s: stderr '%s' lacks '%s'", line, p.err,
                  c[i].text);
        cr_assert(strncmp(p.err, "softvm: ", 8) == 0, "softvm%s: stderr '%s'", line, p.err);
    }
}
#define CHECK_BAD(fn, cases) check_bad(fn, cases, sizeof(cases) / sizeof(cases[0]))

#define OK(p) cr_assert_eq((p).rc, 0, "rc %d, stderr: %s", (p).rc, (p).err)
#define BAD(p, text) do { \
        cr_assert_eq((p).rc, 2, "expected failure, rc %d", (p).rc); \
        cr_assert(strstr((p).err, (text)) != NULL, "stderr '%s' lacks '%s'", (p).err, (text)); \
        cr_assert(strncmp((p).err, "softvm: ", 8) == 0, "stderr '%s'", (p).err); \
    } while (0)

/* ---- defaults, help, version ---- */

Test(options, defaults)
{
    struct parsed p = parse(NULL);
    OK(p);
    cr_assert_eq(p.opt.action, VM_ACTION_RUN);
    cr_assert_eq(p.opt.ram_size, VM_RAM_DEFAULT);
    cr_assert_null(p.opt.kernel);
    cr_assert_null(p.opt.bios);
    /* the JIT where it is built (x86-64 Linux), else the interpreter */
    cr_assert_eq(p.opt.accel, jit_supported() ? VM_ACCEL_JIT : VM_ACCEL_INTERP);
    cr_assert_eq(p.opt.clock, VM_CLOCK_AUTO);
    cr_assert_eq(p.opt.ns_per_insn, 1);
    cr_assert_eq(p.opt.serial[0].kind, VM_CHARDEV_STDIO);
    cr_assert_eq(p.opt.serial[1].kind, VM_CHARDEV_DEFAULT);
    cr_assert_eq(p.opt.debugcon.kind, VM_CHARDEV_NONE);
    cr_assert_eq(p.opt.display, VM_DISPLAY_NONE);
    cr_assert_str_eq(p.opt.boot_order, "cad");
    cr_assert_eq(p.opt.rtc_base, VM_RTC_UTC);
    cr_assert_not(p.opt.no_reboot);
    cr_assert_not(p.opt.stats);
    cr_assert_eq(p.err[0], '\0');
}

Test(options, help_and_version)
{
    struct parsed p = parse("--help", NULL);
    OK(p);
    cr_assert_eq(p.opt.action, VM_ACTION_HELP);
    p = parse("-h", NULL);
    cr_assert_eq(p.opt.action, VM_ACTION_HELP);
    p = parse("--version", NULL);
    OK(p);
    cr_assert_eq(p.opt.action, VM_ACTION_VERSION);
    p = parse("-version", NULL);
    cr_assert_eq(p.opt.action, VM_ACTION_VERSION);
    /* --help wins even before a bad option: the rest is not looked at */
    p = parse("--help", "-bogus", NULL);
    OK(p);
    cr_assert_eq(p.opt.action, VM_ACTION_HELP);
}

Test(options, help_text_lists_every_option)
{
    char buf[8192] = {0};
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
    options_print_help(f);
    fclose(f);
    static const char *const names[] = {
        "-m ", "-kernel", "-initrd", "-append", "-bios", "-hda", "-hdb", "-cdrom", "-drive",
        "-boot", "-nographic", "-serial", "-display", "-accel", "-no-reboot", "-snapshot",
        "-nic", "-netdev", "-s ", "-gdb", "-S ", "-d ", "-D ", "-debugcon", "-rtc", "-icount",
        "-clock", "-stats", "-help", "-version", "-screendump",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        cr_assert(strstr(buf, names[i]), "help lacks %s", names[i]);
    memset(buf, 0, sizeof(buf));
    f = fmemopen(buf, sizeof(buf) - 1, "w");
    options_print_version(f);
    fclose(f);
    cr_assert(strncmp(buf, "softvm ", 7) == 0);
}

/* ---- unknown and malformed ---- */

Test(options, unknown_option)
{
    static const struct bad_case bad[] = {
        { { "-bogus" }, "-bogus: unknown option" },
        { { "--frobnicate" }, "unknown option" },
        { { "-" }, "unknown option" },
        { { "stray" }, "'stray': unexpected argument" },
    };
    CHECK_BAD(options_parse, bad);
}

Test(options, missing_argument)
{
    static const struct bad_case bad[] = {
        { { "-m" }, "-m: missing argument" },
        { { "-kernel" }, "-kernel: missing argument" },
        { { "-serial" }, "-serial: missing argument" },
        { { "-drive" }, "-drive: missing argument" },
    };
    CHECK_BAD(options_parse, bad);
}

/* ---- -m ---- */

Test(options, memory_sizes)
{
    static const struct { const char *args[5]; uint64_t bytes; } cases[] = {
        { { "-m", "256" }, 256ull << 20 },
        { { "-m", "256M" }, 256ull << 20 },
        { { "-m", "1G" }, 1ull << 30 },
        { { "-m", "1g" }, 1ull << 30 },
        { { "-m", "65536K" }, 64ull << 20 },
        { { "-m", "size=512M" }, 512ull << 20 },
        { { "--m", "32MB" }, 32ull << 20 },
        { { "-m", "3584" }, VM_RAM_MAX },
        { { "-m", "64", "-m", "96" }, 96ull << 20 },        /* the last one given wins */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct parsed p = run_parser(options_parse, cases[i].args);
        OK(p);
        cr_assert_eq(p.opt.ram_size, cases[i].bytes, "-m %s: %llu bytes", cases[i].args[1],
                     (unsigned long long)p.opt.ram_size);
    }
}

Test(options, memory_bad)
{
    static const struct bad_case bad[] = {
        { { "-m", "lots" }, "-m: 'lots' is not a size" },
        { { "-m", "256X" }, "not a size" },
        { { "-m", "-5" }, "not a size" },
        { { "-m", "" }, "not a size" },
        { { "-m", "0" }, "out of range" },
        { { "-m", "512K" }, "out of range" },
        { { "-m", "4G" }, "out of range" },
        { { "-m", "99999999999999999999" }, "not a size" },
        { { "-m", "1048577K" }, "4 KiB pages" },
    };
    CHECK_BAD(options_parse, bad);
}

Test(options, size_parser)
{
    uint64_t v;
    cr_assert(options_parse_size("2", &v));
    cr_assert_eq(v, 2ull << 20);
    cr_assert(options_parse_size("3T", &v));
    cr_assert_eq(v, 3ull << 40);
    cr_assert_not(options_parse_size("M", &v));
    cr_assert_not(options_parse_size("1MM", &v));
    cr_assert_not(options_parse_size(NULL, &v));
    cr_assert_not(options_parse_size("20000000T", &v));
}

/* ---- kernel, initrd, append, bios ---- */

Test(options, kernel_initrd_append_bios)
{
    struct parsed p = parse("-kernel", "bzImage", "-initrd", "initrd.gz", "-append",
                            "console=ttyS0 quiet", "-bios", "bios.bin", NULL);
    OK(p);
    cr_assert_str_eq(p.opt.kernel, "bzImage");
    cr_assert_str_eq(p.opt.initrd, "initrd.gz");
    cr_assert_str_eq(p.opt.append, "console=ttyS0 quiet");
    cr_assert_str_eq(p.opt.bios, "bios.bin");
}

Test(options, append_and_initrd_need_kernel)
{
    static const struct bad_case bad[] = {
        { { "-append", "quiet" }, "-append: only allowed with -kernel" },
        { { "-initrd", "x" }, "-initrd: only allowed with -kernel" },
    };
    CHECK_BAD(options_parse, bad);
}

/* ---- drives ---- */

Test(options, hda_hdb_cdrom_parse)
{
    struct parsed p = syntax("-hda", "a.img", "-hdb", "b.img", "-cdrom", "c.iso", NULL);
    OK(p);
    cr_assert_eq(p.opt.drive_count, 3);
    cr_assert_str_eq(p.opt.drive[0].file, "a.img");
    cr_assert_eq(p.opt.drive[0].index, 0);
    cr_assert_eq(p.opt.drive[0].media, VM_MEDIA_DISK);
    cr_assert_str_eq(p.opt.drive[1].file, "b.img");
    cr_assert_eq(p.opt.drive[1].index, 1);
    cr_assert_str_eq(p.opt.drive[2].file, "c.iso");
    cr_assert_eq(p.opt.drive[2].index, 2);
    cr_assert_eq(p.opt.drive[2].media, VM_MEDIA_CDROM);
    cr_assert(p.opt.drive[2].readonly);
}

Test(options, drives_accepted)
{
    /* parsing opens nothing: a missing file is machine_init's to report */
    OK(parse("-hda", "a.img", "-hdb", "b.img", "-hdc", "c.img", "-hdd", "d.img", NULL));
    OK(parse("-cdrom", "c.iso", "-drive", "file=x.img,if=ide,cache=unsafe", NULL));
    OK(parse("-drive", "file=x.img,if=virtio", NULL));
    struct parsed p = parse("-drive", "file=x.img,if=none,id=d0", "-device",
                            "virtio-blk-pci,drive=d0,serial=abc", NULL);
    OK(p);
    cr_assert_eq(p.opt.device_count, 1);
    cr_assert_str_eq(p.opt.device[0].driver, "virtio-blk-pci");
    cr_assert_str_eq(p.opt.device[0].drive, "d0");
    cr_assert_str_eq(p.opt.device[0].serial, "abc");
    static const struct bad_case bad[] = {
        { { "-device", "virtio-blk-pci,drive=nope" }, "no -drive with id=nope" },
        { { "-drive", "file=x,id=d0", "-device", "virtio-blk-pci,drive=d0" },
          "already on an interface" },
        { { "-drive", "file=x,id=d0,if=none", "-device", "virtio-blk-pci,drive=d0",
            "-device", "virtio-blk-pci,drive=d0" },
          "used twice" },
        { { "-device", "e1000000" }, "not supported" },
        { { "-device", "virtio-blk-pci" }, "needs drive=ID" },
        { { "-device", "virtio-blk-pci,bogus=1" }, "unknown property 'bogus'" },
    };
    CHECK_BAD(options_parse, bad);
}

Test(options, hdc_hdd_cache_id)
{
    struct parsed p = syntax("-hdc", "c.img", "-hdd", "d.img", "-drive",
                             "file=x.raw,if=none,id=disk0,cache=none", "-drive",
                             "file=y,cache=writethrough", "-drive", "file=z,cache=directsync,"
                             "format=raw", NULL);
    OK(p);
    cr_assert_eq(p.opt.drive[0].index, 2);
    cr_assert_eq(p.opt.drive[0].media, VM_MEDIA_DISK);
    cr_assert_eq(p.opt.drive[0].format, VM_FORMAT_AUTO);      /* probed, as QEMU */
    cr_assert_eq(p.opt.drive[1].index, 3);
    cr_assert_str_eq(p.opt.drive[2].id, "disk0");
    cr_assert_eq(p.opt.drive[2].interface, VM_IF_NONE);
    cr_assert_eq(p.opt.drive[2].cache, VM_CACHE_NONE);
    cr_assert_eq(p.opt.drive[0].cache, VM_CACHE_WRITEBACK);
    cr_assert_eq(p.opt.drive[3].cache, VM_CACHE_WRITETHROUGH);
    cr_assert_eq(p.opt.drive[3].index, 0);
    cr_assert_eq(p.opt.drive[4].cache, VM_CACHE_DIRECTSYNC);
    cr_assert_eq(p.opt.drive[4].format, VM_FORMAT_RAW);
    static const struct bad_case bad[] = {
        { { "-drive", "file=a,id=x,if=none", "-drive", "file=b,id=x,if=none" },
          "id=x is used twice" },
        { { "-drive", "file=a,id=" }, "id=" },
    };
    CHECK_BAD(options_parse_syntax, bad);
}

Test(options, drive_full_spec)
{
    struct parsed p = syntax("-drive", "file=disk.qcow2,if=ide,format=qcow2,media=disk,index=3,"
                             "readonly=on,snapshot=off", NULL);
    OK(p);
    cr_assert_eq(p.opt.drive_count, 1);
    const struct vm_drive *d = &p.opt.drive[0];
    cr_assert_str_eq(d->file, "disk.qcow2");
    cr_assert_eq(d->interface, VM_IF_IDE);
    cr_assert_eq(d->format, VM_FORMAT_QCOW2);
    cr_assert_eq(d->media, VM_MEDIA_DISK);
    cr_assert_eq(d->index, 3);
    cr_assert(d->readonly);
    cr_assert_not(d->snapshot);
}

Test(options, drive_index_allocation)
{
    struct parsed p = syntax("-hda", "a.img", "-drive", "file=b.img", "-drive",
                             "media=cdrom", NULL);
    OK(p);
    cr_assert_eq(p.opt.drive[1].index, 1);
    cr_assert_eq(p.opt.drive[2].index, 2);
    cr_assert_eq(p.opt.drive[2].media, VM_MEDIA_CDROM);
    cr_assert_str_eq(p.opt.drive[2].file, "");          /* empty tray */
}

Test(options, drive_bad)
{
    static const struct bad_case bad[] = {
        { { "-drive", "file=a,if=scsi" }, "unsupported interface if=scsi" },
        { { "-drive", "file=a,media=tape" }, "media=tape" },
        { { "-drive", "file=a,format=vmdk" }, "format=vmdk" },
        { { "-drive", "file=a,index=4" }, "index=4: must be 0 to 3" },
        { { "-drive", "file=a,index=x" }, "index=x" },
        { { "-drive", "file=a,readonly=maybe" }, "readonly= wants on or off" },
        { { "-drive", "file=a,cache=bogus" }, "cache=bogus: use writeback" },
        { { "-drive", "file=a,speed=9" }, "unknown parameter 'speed'" },
        { { "-drive", "a.img" }, "'a.img' is not key=value" },
        { { "-drive", "if=ide" }, "a disk needs file=" },
        { { "-drive", "file=" }, "empty file name" },
        { { "-drive", "file=a,,b" }, "empty parameter" },
        { { "-drive", "file=a," }, "trailing comma" },
        { { "-drive", "" }, "empty argument" },
        { { "-hda", "a", "-drive", "file=b,index=0" }, "IDE position 0 is already used" },
        { { "-hda", "a", "-hda", "b" }, "-hda: IDE position 0 is already used" },
        { { "-hda", "" }, "empty file name" },
        { { "-hda", "a", "-hdb", "b", "-cdrom", "c", "-drive", "file=d", "-drive", "file=e" },
          "all four IDE positions are used" },
    };
    CHECK_BAD(options_parse_syntax, bad);
    OK(syntax("-hda", "a", "-hdb", "b", "-cdrom", "c", "-drive", "file=d,index=3",
              "-drive", "file=e,if=none", NULL));
    BAD(syntax("-hda", "a", "-hdb", "b", "-cdrom", "c", "-hdd", "d",
               "-drive", "file=e,if=none", "-drive", "file=f,if=none", "-drive", "file=g,if=none",
               "-drive", "file=h,if=none", "-drive", "file=i,if=none", NULL), "too many drives");
}

Test(options, drive_long_path)
{
    char spec[VM_PATH_MAX + 16];
    memset(spec, 'x', sizeof(spec));
    memcpy(spec, "file=", 5);
    spec[sizeof(spec) - 1] = '\0';
    BAD(syntax("-drive", spec, NULL), "-drive");
}

/* ---- -boot ---- */

Test(options, boot_order)
{
    static const struct { const char *arg, *order; } cases[] = {
        { "d", "d" }, { "order=dcn", "dcn" }, { "order=c,menu=on", "c" }, { "once=n", "n" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct parsed p = parse("-boot", cases[i].arg, NULL);
        OK(p);
        cr_assert_str_eq(p.opt.boot_order, cases[i].order, "-boot %s", cases[i].arg);
    }
}

Test(options, boot_bad)
{
    static const struct bad_case bad[] = {
        { { "-boot", "z" }, "invalid boot device 'z'" },
        { { "-boot", "cc" }, "boot device 'c' given twice" },
        { { "-boot", "order=" }, "boot order" },
        { { "-boot", "menu=perhaps" }, "menu= wants on or off" },
        { { "-boot", "splash=x.jpg" }, "unknown parameter 'splash'" },
        { { "-boot", "abcdnab" }, "given twice" },
    };
    CHECK_BAD(options_parse, bad);
}

/* ---- display and serial ---- */

Test(options, nographic)
{
    struct parsed p = parse("-nographic", NULL);
    OK(p);
    cr_assert(p.opt.nographic);
    cr_assert_eq(p.opt.display, VM_DISPLAY_NONE);
    cr_assert_eq(p.opt.serial[0].kind, VM_CHARDEV_STDIO);
    /* -serial overrides where COM1 goes */
    p = parse("-nographic", "-serial", "file:/tmp/x.log", NULL);
    OK(p);
    cr_assert_eq(p.opt.serial[0].kind, VM_CHARDEV_FILE);
    cr_assert_str_eq(p.opt.serial[0].path, "/tmp/x.log");
    BAD(syntax("-nographic", "-display", "sdl", NULL), "conflicts with -display");
}

Test(options, serial_backends)
{
    struct parsed p = parse("-serial", "null", "-serial", "stdio", "-serial", "none",
                            "-serial", "file:com4.txt", NULL);
    OK(p);
    cr_assert_eq(p.opt.serial_count, 4);
    cr_assert_eq(p.opt.serial[0].kind, VM_CHARDEV_NULL);
    cr_assert_eq(p.opt.serial[1].kind, VM_CHARDEV_STDIO);
    cr_assert_eq(p.opt.serial[2].kind, VM_CHARDEV_NONE);
    cr_assert_eq(p.opt.serial[3].kind, VM_CHARDEV_FILE);
    cr_assert_str_eq(p.opt.serial[3].path, "com4.txt");
    p = parse("-serial", "mon:stdio", NULL);
    OK(p);
    cr_assert_eq(p.opt.serial[0].kind, VM_CHARDEV_STDIO);
}

Test(options, serial_bad)
{
    static const struct bad_case bad[] = {
        { { "-serial", "tcp::4444" }, "-serial: unknown backend 'tcp::4444'" },
        { { "-serial", "file:" }, "file: needs a path" },
        { { "-serial", "null", "-serial", "null", "-serial", "null", "-serial", "null", "-serial", "null" },
          "at most 4 serial ports" },
    };
    CHECK_BAD(options_parse, bad);
}

Test(options, display)
{
    struct parsed p = parse("-display", "none", NULL);
    OK(p);
    cr_assert_eq(p.opt.display, VM_DISPLAY_NONE);
    p = syntax("-display", "sdl", NULL);
    OK(p);
    cr_assert_eq(p.opt.display, VM_DISPLAY_SDL);
    p = syntax("-display", "curses", NULL);
    cr_assert_eq(p.opt.display, VM_DISPLAY_CURSES);
    p = parse("-display", "sdl", "-screendump", "shot.png", NULL);
    OK(p);
    cr_assert_eq(p.opt.display, VM_DISPLAY_SDL);
    cr_assert_str_eq(p.opt.screendump, "shot.png");
    BAD(parse("-screendump", NULL), "-screendump");
    cr_assert_str_eq(parse("-display", "curses", NULL).err,
                     "softvm: -display curses: not implemented yet\n");
    BAD(parse("-display", "gtk", NULL), "unknown display 'gtk'");
}

/* ---- accel ---- */

Test(options, accel)
{
    struct parsed p = parse("-accel", "interp", NULL);
    OK(p);
    cr_assert_eq(p.opt.accel, VM_ACCEL_INTERP);
    p = syntax("-accel", "jit", NULL);
    OK(p);
    cr_assert_eq(p.opt.accel, VM_ACCEL_JIT);
    p = parse("-accel", "jit,lockstep=on,tb-size=8", NULL);
    OK(p);
    cr_assert_eq(p.opt.accel, VM_ACCEL_JIT);
    cr_assert(p.opt.accel_lockstep);
    cr_assert_eq(p.opt.accel_tb_size, 8);
    p = parse("-accel", "jit,lockstep=off", NULL);
    OK(p);
    cr_assert_not(p.opt.accel_lockstep);
    static const struct bad_case bad[] = {
        { { "-accel", "kvm" }, "unknown accelerator 'kvm'" },
        { { "-accel", "jit,lockstep=maybe" }, "lockstep=maybe: use on or off" },
        { { "-accel", "jit,tb-size=0" }, "tb-size=0: must be 1 to 2048" },
        { { "-accel", "jit,fast=yes" }, "unknown parameter 'fast'" },
        { { "-accel", "interp,lockstep=on" }, "lockstep= and tb-size= need -accel jit" },
    };
    CHECK_BAD(options_parse, bad);
}

/* ---- flags ---- */

Test(options, flags)
{
    struct parsed p = parse("-no-reboot", "-snapshot", "--stats", NULL);
    OK(p);
    cr_assert(p.opt.no_reboot);
    cr_assert(p.opt.snapshot);
    cr_assert(p.opt.stats);
    p = parse("-stats", NULL);
    cr_assert(p.opt.stats);
}

/* ---- network ---- */

Test(options, network)
{
    /* -nic: a card and its own backend; QEMU's default model is e1000 */
    struct parsed p = parse("-nic", "user,hostfwd=tcp::8080-:80,hostfwd=udp:127.0.0.2:53-10.0.2.20:5353,restrict=on",
                            NULL);
    OK(p);
    cr_assert_eq(p.opt.nic_count, 1);
    cr_assert_eq(p.opt.netdev_count, 1);
    cr_assert_eq(p.opt.nic[0].model, VM_NIC_E1000);
    cr_assert_not(p.opt.nic[0].mac_set);
    cr_assert_str_eq(p.opt.nic[0].netdev, p.opt.netdev[0].id);
    const struct net_user_config *u = &p.opt.netdev[0].user;
    cr_assert_eq(p.opt.netdev[0].kind, VM_NETDEV_USER);
    cr_assert(u->restrict_on);
    cr_assert_not(u->dns);
    cr_assert_eq(u->nfwd, 2);
    cr_assert_not(u->fwd[0].udp);
    cr_assert_eq(u->fwd[0].host_addr, 0x7f000001u);    /* 127.0.0.1 when none is given */
    cr_assert_eq(u->fwd[0].host_port, 8080);
    cr_assert_eq(u->fwd[0].guest_addr, 0);             /* the first DHCP address */
    cr_assert_eq(u->fwd[0].guest_port, 80);
    cr_assert(u->fwd[1].udp);
    cr_assert_eq(u->fwd[1].host_addr, 0x7f000002u);
    cr_assert_eq(u->fwd[1].guest_addr, 0x0a000214u);
    cr_assert_eq(u->fwd[1].guest_port, 5353);

    p = parse("-nic", "user,model=ne2k_pci,mac=52:54:00:aa:bb:cc", "-nic", "user,model=virtio-net-pci",
              NULL);
    OK(p);
    cr_assert_eq(p.opt.nic_count, 2);
    cr_assert_eq(p.opt.nic[0].model, VM_NIC_NE2K_PCI);
    cr_assert(p.opt.nic[0].mac_set);
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
    cr_assert_arr_eq(p.opt.nic[0].mac, mac, 6);
    cr_assert_eq(p.opt.nic[1].model, VM_NIC_VIRTIO_NET);
    cr_assert_str_neq(p.opt.nic[0].netdev, p.opt.nic[1].netdev);

    /* -netdev + -device, the generic -device parser */
    p = parse("-netdev", "socket,id=s0,listen=:5555", "-device", "virtio-net-pci,netdev=s0,mac=02:00:00:00:00:01",
              "-netdev", "socket,id=s1,connect=127.0.0.1:5556", "-device", "e1000,netdev=s1",
              "-netdev", "socket,id=s2,listen=unix:/tmp/x.sock", "-device", "ne2k_pci,netdev=s2",
              NULL);
    OK(p);
    cr_assert_eq(p.opt.nic_count, 3);
    cr_assert_eq(p.opt.netdev[0].kind, VM_NETDEV_SOCKET);
    cr_assert(p.opt.netdev[0].socket.listen);
    cr_assert_str_eq(p.opt.netdev[0].socket.address, ":5555");
    cr_assert_not(p.opt.netdev[1].socket.listen);
    cr_assert_str_eq(p.opt.netdev[1].socket.address, "127.0.0.1:5556");
    cr_assert(p.opt.netdev[2].socket.unix_path);
    cr_assert_str_eq(p.opt.netdev[2].socket.address, "/tmp/x.sock");
    cr_assert_eq(p.opt.nic[0].model, VM_NIC_VIRTIO_NET);
    cr_assert_str_eq(p.opt.nic[1].netdev, "s1");
    cr_assert_eq(p.opt.nic[2].model, VM_NIC_NE2K_PCI);
    p = parse("-device", "e1000", NULL);     /* a card with its cable unplugged */
    OK(p);
    cr_assert_eq(p.opt.nic_count, 1);
    cr_assert_str_eq(p.opt.nic[0].netdev, "");
    p = parse("-nic", "none", NULL);
    OK(p);
    cr_assert_eq(p.opt.netdev_count, 0);
    cr_assert_eq(p.opt.nic_count, 0);

    static const struct bad_case bad[] = {
        { { "-nic", "tap", NULL }, "backend 'tap' is not supported" },
        { { "-nic", "user,model=rtl8139", NULL }, "model=rtl8139 is not supported" },
        { { "-nic", "user,mac=01:00:00:00:00:01", NULL }, "multicast" },
        { { "-nic", "user,mac=52:54:00", NULL }, "mac=52:54:00: use six hex bytes" },
        { { "-nic", "user,hostfwd=tcp::80", NULL }, "hostfwd=tcp::80: use" },
        { { "-nic", "user,hostfwd=tcp::0-:80", NULL }, "hostfwd=tcp::0-:80: use" },
        { { "-nic", "user,hostfwd=tcp:1.2.3:80-:80", NULL }, "use [tcp|udp]" },
        { { "-nic", "user,restrict=maybe", NULL }, "restrict=maybe: use on or off" },
        { { "-nic", "user,listen=:1", NULL }, "user: unknown property 'listen'" },
        { { "-nic", "socket", NULL }, "socket needs listen= or connect=" },
        { { "-netdev", "user", NULL }, "-netdev: needs id=" },
        { { "-netdev", "socket,id=a,connect=:5", NULL }, "connect=:5: use [HOST]:PORT" },
        { { "-netdev", "socket,id=a,listen=:5,connect=h:6", NULL }, "give one of" },
        { { "-netdev", "user,id=a", "-netdev", "user,id=a", NULL }, "id=a is used twice" },
        { { "-device", "e1000,netdev=x", NULL }, "netdev=x: no -netdev with id=x" },
        { { "-netdev", "user,id=a", "-device", "e1000,netdev=a", "-device",
            "ne2k_pci,netdev=a", NULL }, "netdev=a is used by two cards" },
        { { "-device", "e1000,drive=d", NULL }, "unknown property 'drive'" },
        { { "-nic", "user", "-nic", "user", "-nic", "user", "-nic", "user", "-nic",
            "user", NULL }, "at most 4 network cards" },
    };
    CHECK_BAD(options_parse, bad);
}

/* ---- debugger ---- */

Test(options, gdb)
{
    struct parsed p = syntax("-s", NULL);
    OK(p);
    cr_assert(p.opt.gdb);
    cr_assert_eq(p.opt.gdb_port, 1234);
    p = syntax("-gdb", "tcp::5555", "-S", NULL);
    OK(p);
    cr_assert_eq(p.opt.gdb_port, 5555);
    cr_assert(p.opt.start_stopped);
    p = syntax("-gdb", "tcp:localhost:4321", NULL);
    cr_assert_eq(p.opt.gdb_port, 4321);
    OK(parse("-s", NULL));                  /* implemented: frontend/gdbstub.c */
    OK(parse("-gdb", "tcp::1", NULL));
    OK(parse("-S", NULL));
    cr_assert_str_eq(syntax("-gdb", "tcp:127.0.0.2:4321", NULL).opt.gdb_host, "127.0.0.2");
    cr_assert_str_eq(syntax("-gdb", "tcp::4321", NULL).opt.gdb_host, "");
    static const struct bad_case bad[] = {
        { { "-gdb", "udp::1234" }, "use tcp::PORT" },
        { { "-gdb", "tcp::0" }, "port must be 1 to 65535" },
        { { "-gdb", "tcp::70000" }, "port must be 1 to 65535" },
        { { "-gdb", "tcp:" }, "use tcp::PORT" },
    };
    CHECK_BAD(options_parse, bad);
}

/* ---- logging ---- */

Test(options, log_items)
{
    struct parsed p = syntax("-d", "int,cpu", "-d", "in_asm", "-D", "trace.log", NULL);
    OK(p);
    cr_assert_eq(p.opt.log_mask, VM_LOG_INT | VM_LOG_CPU | VM_LOG_IN_ASM);
    cr_assert_str_eq(p.opt.log_file, "trace.log");
    p = parse("-d", "help", NULL);
    OK(p);
    cr_assert_eq(p.opt.action, VM_ACTION_LOG_HELP);
    OK(parse("-d", "int", NULL));           /* implemented: frontend/trace.c */
    OK(parse("-D", "x.log", NULL));
    static const struct bad_case bad[] = {
        { { "-d", "int,bogus" }, "unknown log item 'bogus'" },
        { { "-d", "int," }, "unknown log item ''" },
    };
    CHECK_BAD(options_parse, bad);
    char buf[2048] = {0};
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
    options_print_log_help(f);
    fclose(f);
    cr_assert(strstr(buf, "in_asm"));
}

/* ---- debug console ---- */

Test(options, debugcon)
{
    struct parsed p = parse("-debugcon", "stdio", NULL);
    OK(p);
    cr_assert_eq(p.opt.debugcon.kind, VM_CHARDEV_STDIO);
    p = parse("-debugcon", "file:seabios.log", NULL);
    OK(p);
    cr_assert_eq(p.opt.debugcon.kind, VM_CHARDEV_FILE);
    cr_assert_str_eq(p.opt.debugcon.path, "seabios.log");
    p = parse("-debugcon", "null", NULL);
    cr_assert_eq(p.opt.debugcon.kind, VM_CHARDEV_NULL);
    BAD(parse("-debugcon", "vc", NULL), "-debugcon: unknown backend 'vc'");
}

/* ---- clock ---- */

Test(options, rtc_base)
{
    struct parsed p = parse("-rtc", "base=utc", NULL);
    OK(p);
    cr_assert_eq(p.opt.rtc_base, VM_RTC_UTC);
    p = parse("-rtc", "base=localtime", NULL);
    cr_assert_eq(p.opt.rtc_base, VM_RTC_LOCALTIME);
    p = parse("-rtc", "base=2026-01-01T00:00:00", NULL);
    OK(p);
    cr_assert_eq(p.opt.rtc_base, VM_RTC_FIXED);
    cr_assert_eq(p.opt.rtc_start, 1767225600);   /* date -u -d 2026-01-01 +%s */
    p = parse("-rtc", "base=2000-02-29T12:34:56", NULL);
    OK(p);
    cr_assert_eq(p.opt.rtc_start, 951827696);
    p = parse("-rtc", "base=1970-01-01", NULL);
    OK(p);
    cr_assert_eq(p.opt.rtc_start, 0);
}

Test(options, rtc_bad)
{
    static const struct bad_case bad[] = {
        { { "-rtc", "base=yesterday" }, "base=yesterday" },
        { { "-rtc", "base=2026-13-01T00:00:00" }, "use utc, localtime" },
        { { "-rtc", "base=2025-02-29" }, "use utc" }, /* not a leap year */
        { { "-rtc", "base=2026-01-01T24:00:00" }, "use utc" },
        { { "-rtc", "base=2026-01-01 00:00:00" }, "use utc" },
        { { "-rtc", "base=1969-12-31" }, "1970-2099" },
        { { "-rtc", "driftfix=slew" }, "unknown parameter 'driftfix'" },
        { { "-rtc", "utc" }, "unknown parameter 'utc'" },
    };
    CHECK_BAD(options_parse, bad);
}

Test(options, clock_modes)
{
    struct parsed p = parse("-clock", "realtime", NULL);
    OK(p);
    cr_assert_eq(p.opt.clock, VM_CLOCK_REALTIME);
    p = parse("-clock", "deterministic", NULL);
    cr_assert_eq(p.opt.clock, VM_CLOCK_DETERMINISTIC);
    p = parse("-clock", "realtime", "-clock", "auto", NULL);
    cr_assert_eq(p.opt.clock, VM_CLOCK_AUTO);
    p = parse("-icount", "shift=3", NULL);
    OK(p);
    cr_assert_eq(p.opt.ns_per_insn, 8);
    cr_assert_eq(p.opt.clock, VM_CLOCK_DETERMINISTIC);
    p = parse("-icount", "0", NULL);
    OK(p);
    cr_assert_eq(p.opt.ns_per_insn, 1);
    static const struct bad_case bad[] = {
        { { "-icount", "shift=auto" }, "shift=auto is not supported" },
        { { "-icount", "shift=11" }, "must be 0 to 10" },
        { { "-icount", "sleep=off" }, "unknown parameter 'sleep'" },
        { { "-clock", "fast" }, "unknown clock mode 'fast'" },
    };
    CHECK_BAD(options_parse, bad);
}

/* ---- a realistic whole command line ---- */

Test(options, typical_command_line)
{
    struct parsed p = parse("-m", "256M", "-kernel", "vmlinuz", "-initrd", "initrd.img",
                            "-append", "console=ttyS0", "-nographic", "-no-reboot",
                            "-rtc", "base=2026-01-01T00:00:00", "-debugcon", "file:dbg.log",
                            NULL);
    OK(p);
    cr_assert_eq(p.opt.ram_size, 256ull << 20);
    cr_assert_eq(p.opt.serial[0].kind, VM_CHARDEV_STDIO);
    cr_assert(p.opt.no_reboot);
    cr_assert_eq(p.opt.debugcon.kind, VM_CHARDEV_FILE);
    cr_assert_eq(p.err[0], '\0');
}


/* ---- -cpu, -smp, -machine, -nodefaults, -device, -global (QEMU's names) ---- */

Test(options, cpu_models_and_features)
{
    struct parsed p = parse("-cpu", "qemu32", NULL);
    OK(p);
    cr_assert_not(p.opt.no_apic);
    cr_assert_not(p.opt.x2apic || p.opt.umip || p.opt.tsc_adjust || p.opt.lm);
    p = parse("-cpu", "qemu64,-apic", NULL);
    OK(p);
    cr_assert(p.opt.no_apic);
    cr_assert(p.opt.lm);                /* qemu64 and max have long mode */
    p = parse("-cpu", "qemu64,-lm", NULL);
    OK(p);
    cr_assert_not(p.opt.lm);
    p = parse("-cpu", "qemu32,+lm", NULL);
    OK(p);
    cr_assert(p.opt.lm);
    p = parse("-cpu", "qemu64,+x2apic,+tsc-deadline", NULL);
    OK(p);
    cr_assert(p.opt.x2apic);
    p = parse("-cpu", "qemu64,-x2apic,+umip", NULL);
    OK(p);
    cr_assert_not(p.opt.x2apic);
    cr_assert(p.opt.umip);
    p = parse("-cpu", "max,vendor=GenuineIntel,host-phys-bits", NULL);
    OK(p);
    cr_assert(p.opt.umip && p.opt.tsc_adjust && p.opt.lm);
    p = parse("-cpu", "qemu32,apic=off", NULL);
    OK(p);
    cr_assert(p.opt.no_apic);
    BAD(parse("-cpu", "host", NULL), "requires KVM");
    BAD(parse("-cpu", "Opteron_G1", NULL), "CPU model 'Opteron_G1' is not implemented");
    BAD(parse("-cpu", "qemu64,+svm", NULL), "CPU feature 'svm' is not implemented");
    BAD(parse("-cpu", "qemu64,-sse2", NULL), "removing 'sse2' is not implemented");
    BAD(parse("-cpu", "max,vendor=AuthenticAMD", NULL), "vendor=AuthenticAMD: not implemented");
}

Test(options, smp_machine_nodefaults_global)
{
    OK(parse("-smp", "1", NULL));
    OK(parse("-smp", "cpus=1,sockets=1,cores=1,threads=1", NULL));
    BAD(parse("-smp", "2", NULL), "more than one CPU is not implemented");
    BAD(parse("-smp", "cpus=4", NULL), "cpus=4: more than one CPU");
    BAD(parse("-smp", "x", NULL), "not a CPU count");
    /* QEMU's tcg, its one software engine, is softvm's default engine */
    enum vm_accel dflt = jit_supported() ? VM_ACCEL_JIT : VM_ACCEL_INTERP;
    struct parsed p = parse("-machine", "accel=tcg", NULL);
    OK(p);
    cr_assert_eq(p.opt.accel, dflt);
    p = parse("-machine", "pc,accel=interp", NULL);
    OK(p);
    cr_assert_eq(p.opt.accel, VM_ACCEL_INTERP);
    OK(parse("-M", "pc", NULL));
    p = parse("-accel", "interp", "-accel", "tcg", NULL);
    OK(p);
    cr_assert_eq(p.opt.accel, dflt);
    BAD(parse("-machine", "accel=kvm", NULL), "only tcg");
    BAD(parse("-machine", "q35", NULL), "machine 'q35' is not implemented");
    p = parse("-nodefaults", NULL);
    OK(p);
    cr_assert_eq(p.opt.serial[0].kind, VM_CHARDEV_NULL, "no COM1 on stdio");
    p = parse("-nodefaults", "-serial", "stdio", NULL);
    cr_assert_eq(p.opt.serial[0].kind, VM_CHARDEV_STDIO);
    OK(parse("-global", "kvm-pit.lost_tick_policy=discard", NULL));
    BAD(parse("-global", "ide-hd.ver=1", NULL), "is not implemented");
}

Test(options, test_devices)
{
    struct parsed p = parse("-device", "pc-testdev", "-device",
                            "isa-debug-exit,iobase=0xf4,iosize=0x4", NULL);
    OK(p);
    cr_assert(p.opt.pc_testdev);
    BAD(parse("-device", "isa-debug-exit,iobase=0x501", NULL), "iobase=0x501 is not implemented");
    BAD(parse("-device", "isa-debug-exit,iosize=3", NULL), "iosize must be 1, 2 or 4");
    BAD(parse("-device", "pc-testdev,foo=1", NULL), "unknown property 'foo'");
    p = parse("-device", "help", NULL);
    OK(p);
    cr_assert_eq(p.opt.action, VM_ACTION_DEVICE_HELP);
    char buf[1024] = {0};
    FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
    options_print_device_help(f);
    fclose(f);
    cr_assert(strstr(buf, "name \"pc-testdev\""), "kvm-unit-tests greps for this: %s", buf);
    cr_assert(strstr(buf, "name \"isa-debug-exit\""));
}
