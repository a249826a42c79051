/*
 * options.c - QEMU-style command-line parsing into struct vm_options.
 *
 * The option names and argument syntax follow qemu-system-i386 where softvm
 * has the same feature, so existing command lines work. Parsing is a pure
 * function of argv: nothing is opened or checked on disk here (machine_init
 * does that and reports bad files with status 1).
 */
#include "frontend/cmdline.h"
#include "frontend/qmp.h"
#include "frontend/trace.h"
#include "translator/jit.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifndef SOFTVM_VERSION
#define SOFTVM_VERSION "0.0.0"
#endif

/* The default engine: the JIT where it is built (x86-64 Linux hosts), else
 * the interpreter. QEMU's `tcg` (its one software engine) means the same. */
static enum vm_accel accel_default(void)
{
    return jit_supported() ? VM_ACCEL_JIT : VM_ACCEL_INTERP;
}

void options_default(struct vm_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->action = VM_ACTION_RUN;
    opt->ram_size = VM_RAM_DEFAULT;
    strcpy(opt->boot_order, "cad");  /* QEMU's default: floppy, disk, CD */
    opt->display = VM_DISPLAY_DEFAULT;
    opt->accel = accel_default();
    opt->gdb_port = VM_DEFAULT_GDB_PORT;
    opt->clock = VM_CLOCK_AUTO;
    opt->ns_per_insn = 1;
    opt->snapshot_at = UINT64_MAX;
    opt->rtc_base = VM_RTC_UTC;
}

/* One "softvm: ..." line on err; always returns 2 so callers can `return fail(...)`. */
static int fail(FILE *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("softvm: ", err);
    vfprintf(err, fmt, ap);
    fputc('\n', err);
    va_end(ap);
    return 2;
}

bool options_parse_size(const char *s, uint64_t *bytes)
{
    if (!s || !isdigit((unsigned char)*s))
        return false;
    errno = 0;
    char *end;
    unsigned long long n = strtoull(s, &end, 10);
    if (errno)
        return false;
    unsigned shift;
    switch (toupper((unsigned char)*end)) {
    case '\0': shift = 20; break;           /* a bare number is MiB, as in QEMU */
    case 'K': shift = 10; end++; break;
    case 'M': shift = 20; end++; break;
    case 'G': shift = 30; end++; break;
    case 'T': shift = 40; end++; break;
    default: return false;
    }
    if (toupper((unsigned char)*end) == 'B' && shift != 0)   /* "256MB" */
        end++;
    if (*end != '\0' || n > (UINT64_MAX >> shift))
        return false;
    *bytes = (uint64_t)n << shift;
    return true;
}

/* Parse a whole decimal number in [lo, hi]. */
static bool parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return false;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* on/off switches in -drive and friends. */
static bool parse_onoff(const char *s, bool *out)
{
    if (!strcmp(s, "on") || !strcmp(s, "yes") || !strcmp(s, "true")) { *out = true; return true; }
    if (!strcmp(s, "off") || !strcmp(s, "no") || !strcmp(s, "false")) { *out = false; return true; }
    return false;
}

/*
 * Walk a "key=value,key=value" list. Calls fn for each pair with key and
 * value copied into small NUL-terminated buffers. A leading bare word (no '=')
 * is passed with key "" (for "-boot dc" style). fn returns 0 or 2.
 */
typedef int (*kv_fn)(struct vm_options *opt, const char *optname, const char *key,
                     const char *value, FILE *err);

static int parse_kv_list(struct vm_options *opt, const char *optname, const char *list,
                         kv_fn fn, FILE *err)
{
    if (*list == '\0')
        return fail(err, "%s: empty argument", optname);
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0)
            return fail(err, "%s: empty parameter in '%s'", optname, list);
        char item[VM_PATH_MAX + 32];
        if (len >= sizeof(item))
            return fail(err, "%s: parameter too long", optname);
        memcpy(item, p, len);
        item[len] = '\0';
        char *eq = strchr(item, '=');
        int rc;
        if (eq) {
            *eq = '\0';
            rc = fn(opt, optname, item, eq + 1, err);
        } else {
            rc = fn(opt, optname, "", item, err);
        }
        if (rc)
            return rc;
        p += len;
        if (*p == ',')
            p++;
        if (comma && *p == '\0')
            return fail(err, "%s: trailing comma in '%s'", optname, list);
    }
    return 0;
}

/* ---- -boot ---------------------------------------------------------------- */

static int set_boot_order(struct vm_options *opt, const char *optname, const char *order,
                          FILE *err)
{
    size_t n = strlen(order);
    if (n == 0 || n >= sizeof(opt->boot_order))
        return fail(err, "%s: boot order '%s' must be 1 to %zu devices",
                    optname, order, sizeof(opt->boot_order) - 1);
    for (size_t i = 0; i < n; i++) {
        /* a,b floppy; c first hard disk; d first CD-ROM; n network (QEMU letters) */
        if (!strchr("abcdn", order[i]))
            return fail(err, "%s: invalid boot device '%c' (use a, b, c, d or n)",
                        optname, order[i]);
        if (memchr(order, order[i], i))
            return fail(err, "%s: boot device '%c' given twice", optname, order[i]);
    }
    memcpy(opt->boot_order, order, n + 1);
    return 0;
}

static int boot_kv(struct vm_options *opt, const char *optname, const char *key,
                   const char *value, FILE *err)
{
    bool b;
    if (!*key || !strcmp(key, "order") || !strcmp(key, "once"))
        return set_boot_order(opt, optname, value, err);
    if (!strcmp(key, "menu") || !strcmp(key, "strict")) {
        if (!parse_onoff(value, &b))
            return fail(err, "%s: %s= wants on or off, not '%s'", optname, key, value);
        return 0;   /* accepted; SeaBIOS's defaults are fine */
    }
    return fail(err, "%s: unknown parameter '%s' (use order=, once=, menu=, strict=)",
                optname, key);
}

/* ---- drives ----------------------------------------------------------------- */

static int used_drive_index(const struct vm_options *opt, int index)
{
    for (int i = 0; i < opt->drive_count; i++)
        if (opt->drive[i].interface == VM_IF_IDE && opt->drive[i].index == index)
            return 1;
    return 0;
}

static struct vm_drive *new_drive(struct vm_options *opt, const char *optname, FILE *err)
{
    if (opt->drive_count >= VM_MAX_DRIVES) {
        fail(err, "%s: too many drives (at most %d)", optname, VM_MAX_DRIVES);
        return NULL;
    }
    struct vm_drive *d = &opt->drive[opt->drive_count++];
    memset(d, 0, sizeof(*d));
    d->origin = optname;
    d->interface = VM_IF_IDE;
    d->media = VM_MEDIA_DISK;
    d->format = VM_FORMAT_AUTO;
    d->cache = VM_CACHE_WRITEBACK;
    d->index = -1;
    return d;
}

static int set_drive_file(struct vm_drive *d, const char *optname, const char *file, FILE *err)
{
    size_t n = strlen(file);
    if (n == 0)
        return fail(err, "%s: empty file name", optname);
    if (n >= sizeof(d->file))
        return fail(err, "%s: file name too long", optname);
    memcpy(d->file, file, n + 1);
    return 0;
}

/* -hda, -hdb, -cdrom: fixed IDE positions, as in QEMU. */
static int add_simple_drive(struct vm_options *opt, const char *optname, const char *file,
                            int index, enum vm_drive_media media, FILE *err)
{
    if (used_drive_index(opt, index))
        return fail(err, "%s: IDE position %d is already used", optname, index);
    struct vm_drive *d = new_drive(opt, optname, err);
    if (!d)
        return 2;
    d->index = index;
    d->media = media;
    d->readonly = media == VM_MEDIA_CDROM;
    return set_drive_file(d, optname, file, err);
}

static int drive_kv(struct vm_options *opt, const char *optname, const char *key,
                    const char *value, FILE *err)
{
    struct vm_drive *d = &opt->drive[opt->drive_count - 1];
    unsigned long n;
    if (!*key)
        return fail(err, "%s: '%s' is not key=value", optname, value);
    if (!strcmp(key, "file"))
        return set_drive_file(d, optname, value, err);
    if (!strcmp(key, "if")) {
        if (!strcmp(value, "ide")) d->interface = VM_IF_IDE;
        else if (!strcmp(value, "virtio")) d->interface = VM_IF_VIRTIO;
        else if (!strcmp(value, "none")) d->interface = VM_IF_NONE;
        else return fail(err, "%s: unsupported interface if=%s (use ide, virtio or none)",
                         optname, value);
        return 0;
    }
    if (!strcmp(key, "media")) {
        if (!strcmp(value, "disk")) d->media = VM_MEDIA_DISK;
        else if (!strcmp(value, "cdrom")) { d->media = VM_MEDIA_CDROM; d->readonly = true; }
        else return fail(err, "%s: media=%s: use disk or cdrom", optname, value);
        return 0;
    }
    if (!strcmp(key, "format")) {
        if (!strcmp(value, "raw")) d->format = VM_FORMAT_RAW;
        else if (!strcmp(value, "qcow2")) d->format = VM_FORMAT_QCOW2;
        else return fail(err, "%s: format=%s: use raw or qcow2", optname, value);
        return 0;
    }
    if (!strcmp(key, "cache")) {
        if (!strcmp(value, "writeback")) d->cache = VM_CACHE_WRITEBACK;
        else if (!strcmp(value, "none")) d->cache = VM_CACHE_NONE;
        else if (!strcmp(value, "writethrough")) d->cache = VM_CACHE_WRITETHROUGH;
        else if (!strcmp(value, "directsync")) d->cache = VM_CACHE_DIRECTSYNC;
        else if (!strcmp(value, "unsafe")) d->cache = VM_CACHE_UNSAFE;
        else return fail(err, "%s: cache=%s: use writeback, none, writethrough, directsync "
                         "or unsafe", optname, value);
        return 0;
    }
    if (!strcmp(key, "id")) {
        if (!*value || strlen(value) >= sizeof(d->id))
            return fail(err, "%s: id=%s: must be 1 to %zu characters", optname, value,
                        sizeof(d->id) - 1);
        for (int i = 0; i < opt->drive_count - 1; i++)
            if (!strcmp(opt->drive[i].id, value))
                return fail(err, "%s: id=%s is used twice", optname, value);
        strcpy(d->id, value);
        return 0;
    }
    if (!strcmp(key, "index")) {
        if (!parse_uint(value, 0, 3, &n))
            return fail(err, "%s: index=%s: must be 0 to 3", optname, value);
        d->index = (int)n;
        return 0;
    }
    if (!strcmp(key, "readonly") || !strcmp(key, "snapshot")) {
        bool b;
        if (!parse_onoff(value, &b))
            return fail(err, "%s: %s= wants on or off, not '%s'", optname, key, value);
        if (key[0] == 'r') d->readonly = b; else d->snapshot = b;
        return 0;
    }
    return fail(err, "%s: unknown parameter '%s' (use file, if, media, format, index, "
                "readonly, snapshot, cache, id)", optname, key);
}

static int add_drive(struct vm_options *opt, const char *optname, const char *spec, FILE *err)
{
    struct vm_drive *d = new_drive(opt, optname, err);
    if (!d)
        return 2;
    int rc = parse_kv_list(opt, optname, spec, drive_kv, err);
    if (rc)
        return rc;
    if (!d->file[0] && d->media != VM_MEDIA_CDROM)
        return fail(err, "%s: a disk needs file=", optname);
    if (d->interface == VM_IF_IDE) {
        if (d->index < 0) {                 /* first free IDE position */
            opt->drive_count--;             /* don't count itself */
            for (int i = 0; i < 4 && d->index < 0; i++)
                if (!used_drive_index(opt, i))
                    d->index = i;
            opt->drive_count++;
            if (d->index < 0)
                return fail(err, "%s: all four IDE positions are used", optname);
        } else {
            opt->drive_count--;
            int used = used_drive_index(opt, d->index);
            opt->drive_count++;
            if (used)
                return fail(err, "%s: IDE position %d is already used", optname, d->index);
        }
    }
    return 0;
}

/* ---- -device --------------------------------------------------------------------- */

static int device_kv(struct vm_options *opt, const char *optname, const char *key,
                     const char *value, FILE *err)
{
    struct vm_device *d = &opt->device[opt->device_count - 1];
    if (!*key) {                          /* the leading driver name */
        if (d->driver[0])
            return fail(err, "%s: '%s' is not key=value", optname, value);
        if (strcmp(value, "virtio-blk-pci") && strcmp(value, "virtio-blk"))
            return fail(err, "%s: device '%s' is not supported (softvm has virtio-blk-pci)",
                        optname, value);
        strcpy(d->driver, "virtio-blk-pci");
        return 0;
    }
    if (!d->driver[0])
        return fail(err, "%s: the device name comes first", optname);
    if (!strcmp(key, "drive")) {
        if (!*value || strlen(value) >= sizeof(d->drive))
            return fail(err, "%s: drive=%s: not a drive id", optname, value);
        strcpy(d->drive, value);
        return 0;
    }
    if (!strcmp(key, "serial")) {
        if (strlen(value) >= sizeof(d->serial))
            return fail(err, "%s: serial=%s: at most %zu characters", optname, value,
                        sizeof(d->serial) - 1);
        strcpy(d->serial, value);
        return 0;
    }
    return fail(err, "%s: unknown property '%s' (use drive=, serial=)", optname, key);
}

static int add_device(struct vm_options *opt, const char *optname, const char *spec, FILE *err)
{
    if (opt->device_count >= VM_MAX_DEVICES)
        return fail(err, "%s: at most %d devices", optname, VM_MAX_DEVICES);
    memset(&opt->device[opt->device_count++], 0, sizeof(opt->device[0]));
    int rc = parse_kv_list(opt, optname, spec, device_kv, err);
    if (rc)
        return rc;
    if (!opt->device[opt->device_count - 1].drive[0])
        return fail(err, "%s: virtio-blk-pci needs drive=ID", optname);
    return 0;
}

/* Every -device drive=ID names an if=none drive, used once. */
static int check_devices(const struct vm_options *opt, FILE *err)
{
    for (int i = 0; i < opt->device_count; i++) {
        const struct vm_device *d = &opt->device[i];
        int found = -1;
        for (int j = 0; j < opt->drive_count; j++)
            if (!strcmp(opt->drive[j].id, d->drive))
                found = j;
        if (found < 0)
            return fail(err, "-device: drive=%s: no -drive with id=%s", d->drive, d->drive);
        if (opt->drive[found].interface != VM_IF_NONE)
            return fail(err, "-device: drive=%s is already on an interface (give it if=none)",
                        d->drive);
        for (int k = 0; k < i; k++)
            if (!strcmp(opt->device[k].drive, d->drive))
                return fail(err, "-device: drive=%s is used twice", d->drive);
    }
    return 0;
}

/* ---- networks: -netdev, -nic, -device e1000|ne2k_pci|virtio-net-pci ---------------- */

static const struct { const char *name; enum vm_nic_model model; } nic_models[] = {
    { "e1000", VM_NIC_E1000 }, { "e1000-82540em", VM_NIC_E1000 },
    { "ne2k_pci", VM_NIC_NE2K_PCI },
    { "virtio-net-pci", VM_NIC_VIRTIO_NET }, { "virtio-net", VM_NIC_VIRTIO_NET },
};

static bool nic_model_named(const char *name, enum vm_nic_model *model)
{
    for (size_t i = 0; i < sizeof(nic_models) / sizeof(nic_models[0]); i++)
        if (!strcmp(name, nic_models[i].name)) {
            *model = nic_models[i].model;
            return true;
        }
    return false;
}

/* An IPv4 address in dotted form; "" is `dflt`. */
static bool parse_ip4(const char *s, size_t len, uint32_t dflt, uint32_t *out)
{
    if (len == 0) {
        *out = dflt;
        return true;
    }
    char buf[16];
    if (len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    unsigned a[4];
    char tail;
    if (sscanf(buf, "%u.%u.%u.%u%c", &a[0], &a[1], &a[2], &a[3], &tail) != 4 ||
        a[0] > 255 || a[1] > 255 || a[2] > 255 || a[3] > 255)
        return false;
    *out = a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
    return true;
}

/* hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (QEMU's form). */
static int parse_hostfwd(struct net_user_config *u, const char *on, const char *v, FILE *err)
{
    if (u->nfwd >= NET_USER_MAX_FWD)
        return fail(err, "%s: at most %d hostfwd rules", on, NET_USER_MAX_FWD);
    struct net_user_fwd f = { 0 };
    const char *p = v;
    if (!strncmp(p, "tcp:", 4)) {
        p += 4;
    } else if (!strncmp(p, "udp:", 4)) {
        f.udp = true;
        p += 4;
    } else if (*p == ':') {
        p++;
    }
    const char *colon = strchr(p, ':'), *dash = colon ? strchr(colon, '-') : NULL;
    const char *colon2 = dash ? strchr(dash, ':') : NULL;
    unsigned long hport, gport;
    char num[8];
    size_t hlen = dash ? (size_t)(dash - colon - 1) : 0;
    if (!colon || !dash || !colon2 || hlen == 0 || hlen >= sizeof(num) ||
        !parse_ip4(p, (size_t)(colon - p), 0x7f000001u, &f.host_addr) ||
        !parse_ip4(dash + 1, (size_t)(colon2 - dash - 1), 0, &f.guest_addr))
        goto bad;
    memcpy(num, colon + 1, hlen);
    num[hlen] = '\0';
    if (!parse_uint(num, 1, 65535, &hport) || !parse_uint(colon2 + 1, 1, 65535, &gport))
        goto bad;
    f.host_port = (uint16_t)hport;
    f.guest_port = (uint16_t)gport;
    u->fwd[u->nfwd++] = f;
    return 0;
bad:
    return fail(err, "%s: hostfwd=%s: use [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT",
                on, v);
}

/* A backend's key=value (the current -netdev, or the one a -nic makes). */
static int netdev_prop(struct vm_netdev *n, const char *on, const char *key, const char *value,
                       FILE *err)
{
    if (!strcmp(key, "id")) {
        if (!*value || strlen(value) >= sizeof(n->id))
            return fail(err, "%s: id=%s: 1 to %zu characters", on, value, sizeof(n->id) - 1);
        strcpy(n->id, value);
        return 0;
    }
    if (n->kind == VM_NETDEV_USER) {
        bool b;
        if (!strcmp(key, "hostfwd"))
            return parse_hostfwd(&n->user, on, value, err);
        if (!strcmp(key, "restrict") || !strcmp(key, "dns")) {
            if (!parse_onoff(value, &b))
                return fail(err, "%s: %s=%s: use on or off", on, key, value);
            *(!strcmp(key, "dns") ? &n->user.dns : &n->user.restrict_on) = b;
            return 0;
        }
        return fail(err, "%s: user: unknown property '%s' (use id=, hostfwd=, restrict=, dns=)",
                    on, key);
    }
    if (!strcmp(key, "listen") || !strcmp(key, "connect")) {
        if (n->socket.address[0])
            return fail(err, "%s: socket: give one of listen= and connect=", on);
        n->socket.listen = !strcmp(key, "listen");
        const char *a = value;
        if (!strncmp(a, "unix:", 5)) {
            n->socket.unix_path = true;
            a += 5;
        } else {
            const char *c = strrchr(a, ':');
            unsigned long port;
            if (!c || !parse_uint(c + 1, 1, 65535, &port) || (c == a && !n->socket.listen))
                return fail(err, "%s: %s=%s: use [HOST]:PORT or unix:PATH", on, key, value);
        }
        if (!*a || strlen(a) >= sizeof(n->socket.address))
            return fail(err, "%s: %s=%s: bad address", on, key, value);
        strcpy(n->socket.address, a);
        return 0;
    }
    return fail(err, "%s: socket: unknown property '%s' (use id=, listen=, connect=)", on, key);
}

static int netdev_kind(struct vm_netdev *n, const char *on, const char *kind, FILE *err)
{
    if (!strcmp(kind, "user"))
        n->kind = VM_NETDEV_USER;
    else if (!strcmp(kind, "socket"))
        n->kind = VM_NETDEV_SOCKET;
    else
        return fail(err, "%s: backend '%s' is not supported (use user or socket)", on, kind);
    return 0;
}

static int netdev_kv(struct vm_options *opt, const char *on, const char *key, const char *value,
                     FILE *err)
{
    struct vm_netdev *n = &opt->netdev[opt->netdev_count - 1];
    if (!*key) {
        if (n->kind_given)
            return fail(err, "%s: '%s' is not key=value", on, value);
        n->kind_given = true;
        return netdev_kind(n, on, value, err);
    }
    return netdev_prop(n, on, key, value, err);
}

static int set_mac(struct vm_nic *c, const char *on, const char *value, FILE *err)
{
    if (!net_parse_mac(value, c->mac))
        return fail(err, "%s: mac=%s: use six hex bytes, 52:54:00:12:34:56", on, value);
    if (c->mac[0] & 1)
        return fail(err, "%s: mac=%s is a multicast address", on, value);
    c->mac_set = true;
    return 0;
}

/* -device e1000|ne2k_pci|virtio-net-pci,netdev=ID,mac=MAC */
static int nic_device_kv(struct vm_options *opt, const char *on, const char *key,
                         const char *value, FILE *err)
{
    struct vm_nic *c = &opt->nic[opt->nic_count - 1];
    if (!*key)
        return nic_model_named(value, &c->model) ? 0 :
               fail(err, "%s: '%s' is not key=value", on, value);
    if (!strcmp(key, "mac"))
        return set_mac(c, on, value, err);
    if (!strcmp(key, "netdev")) {
        if (!*value || strlen(value) >= sizeof(c->netdev))
            return fail(err, "%s: netdev=%s: not a netdev id", on, value);
        strcpy(c->netdev, value);
        return 0;
    }
    return fail(err, "%s: unknown property '%s' (use netdev=, mac=)", on, key);
}

/* -nic user|socket,model=M,mac=MAC,<backend properties>: a card and its backend. */
static int nic_kv(struct vm_options *opt, const char *on, const char *key, const char *value,
                  FILE *err)
{
    struct vm_nic *c = &opt->nic[opt->nic_count - 1];
    struct vm_netdev *n = &opt->netdev[opt->netdev_count - 1];
    if (!*key)
        return netdev_kind(n, on, value, err);
    if (!strcmp(key, "model")) {
        if (!strcmp(value, "help") || !strcmp(value, "?"))
            return fail(err, "%s: models: e1000, ne2k_pci, virtio-net-pci", on);
        if (!nic_model_named(value, &c->model))
            return fail(err, "%s: model=%s is not supported (use e1000, ne2k_pci or "
                        "virtio-net-pci)", on, value);
        return 0;
    }
    if (!strcmp(key, "mac"))
        return set_mac(c, on, value, err);
    return netdev_prop(n, on, key, value, err);
}

static struct vm_nic *new_nic(struct vm_options *opt, const char *on, FILE *err)
{
    if (opt->nic_count >= VM_MAX_NICS) {
        fail(err, "%s: at most %d network cards", on, VM_MAX_NICS);
        return NULL;
    }
    struct vm_nic *c = &opt->nic[opt->nic_count++];
    memset(c, 0, sizeof(*c));
    c->model = VM_NIC_E1000;                    /* QEMU's default on the pc machine */
    return c;
}

static struct vm_netdev *new_netdev(struct vm_options *opt, const char *on, FILE *err)
{
    if (opt->netdev_count >= VM_MAX_NETDEV) {
        fail(err, "%s: at most %d network backends", on, VM_MAX_NETDEV);
        return NULL;
    }
    struct vm_netdev *n = &opt->netdev[opt->netdev_count++];
    memset(n, 0, sizeof(*n));
    return n;
}

static int parse_netdev(struct vm_options *opt, const char *on, const char *a, FILE *err)
{
    struct vm_netdev *n = new_netdev(opt, on, err);
    if (!n)
        return 2;
    int rc = parse_kv_list(opt, on, a, netdev_kv, err);
    if (rc)
        return rc;
    if (!n->id[0])
        return fail(err, "%s: needs id=", on);
    if (n->kind == VM_NETDEV_SOCKET && !n->socket.address[0])
        return fail(err, "%s: socket needs listen= or connect=", on);
    return 0;
}

static int parse_nic(struct vm_options *opt, const char *on, const char *a, FILE *err)
{
    if (!strcmp(a, "none"))
        return 0;                               /* no network: the default anyway */
    struct vm_nic *c = new_nic(opt, on, err);
    struct vm_netdev *n = c ? new_netdev(opt, on, err) : NULL;
    if (!n)
        return 2;
    int rc = parse_kv_list(opt, on, a, nic_kv, err);
    if (rc)
        return rc;
    if (!n->id[0])
        snprintf(n->id, sizeof(n->id), "__nic%d", opt->nic_count - 1);
    if (n->kind == VM_NETDEV_SOCKET && !n->socket.address[0])
        return fail(err, "%s: socket needs listen= or connect=", on);
    strcpy(c->netdev, n->id);
    return 0;
}

/* Netdev ids are unique; a card's netdev= names one, and no two cards share it. */
static int check_network(const struct vm_options *opt, FILE *err)
{
    for (int i = 0; i < opt->netdev_count; i++)
        for (int j = 0; j < i; j++)
            if (!strcmp(opt->netdev[i].id, opt->netdev[j].id))
                return fail(err, "-netdev: id=%s is used twice", opt->netdev[i].id);
    for (int i = 0; i < opt->nic_count; i++) {
        const struct vm_nic *c = &opt->nic[i];
        if (!c->netdev[0])
            continue;
        bool found = false;
        for (int j = 0; j < opt->netdev_count; j++)
            found |= !strcmp(opt->netdev[j].id, c->netdev);
        if (!found)
            return fail(err, "-device: netdev=%s: no -netdev with id=%s", c->netdev, c->netdev);
        for (int k = 0; k < i; k++)
            if (!strcmp(opt->nic[k].netdev, c->netdev))
                return fail(err, "-device: netdev=%s is used by two cards", c->netdev);
    }
    return 0;
}

/* ---- character backends ----------------------------------------------------- */

static int parse_chardev(struct vm_chardev *c, const char *optname, const char *spec,
                         bool allow_none, FILE *err)
{
    if (!strcmp(spec, "stdio") || !strcmp(spec, "mon:stdio")) {
        c->kind = VM_CHARDEV_STDIO;
    } else if (!strcmp(spec, "null")) {
        c->kind = VM_CHARDEV_NULL;
    } else if (allow_none && !strcmp(spec, "none")) {
        c->kind = VM_CHARDEV_NONE;
    } else if (!strncmp(spec, "file:", 5)) {
        if (spec[5] == '\0')
            return fail(err, "%s: file: needs a path", optname);
        c->kind = VM_CHARDEV_FILE;
        c->path = spec + 5;
    } else {
        return fail(err, "%s: unknown backend '%s' (use stdio, null,%s file:PATH)",
                    optname, spec, allow_none ? " none," : "");
    }
    return 0;
}

/* ---- -rtc ------------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool is_leap(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* "YYYY-MM-DDTHH:MM:SS" or "YYYY-MM-DD" (midnight), UTC. */
static bool parse_datetime(const char *s, int64_t *out)
{
    unsigned y, mo, d, h = 0, mi = 0, sec = 0;
    int n = 0;
    if (sscanf(s, "%4u-%2u-%2u%n", &y, &mo, &d, &n) != 3 || n != 10)
        return false;
    if (s[10] != '\0') {
        int n2 = 0;
        if (s[10] != 'T' || sscanf(s + 11, "%2u:%2u:%2u%n", &h, &mi, &sec, &n2) != 3 ||
            n2 != 8 || s[19] != '\0')
            return false;
    }
    static const unsigned char mdays[12] = {31,28,31,30,31,30,31,31,30,31,30,31};
    /* The CMOS holds a two-digit year with a century byte: 1970..2099 is safe. */
    if (y < 1970 || y > 2099 || mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 59)
        return false;
    unsigned maxd = mdays[mo - 1] + (mo == 2 && is_leap(y));
    if (d < 1 || d > maxd)
        return false;
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    return true;
}

static int rtc_kv(struct vm_options *opt, const char *optname, const char *key,
                  const char *value, FILE *err)
{
    if (!strcmp(key, "base")) {
        if (!strcmp(value, "utc")) opt->rtc_base = VM_RTC_UTC;
        else if (!strcmp(value, "localtime")) opt->rtc_base = VM_RTC_LOCALTIME;
        else if (parse_datetime(value, &opt->rtc_start)) opt->rtc_base = VM_RTC_FIXED;
        else return fail(err, "%s: base=%s: use utc, localtime or YYYY-MM-DDTHH:MM:SS "
                         "(years 1970-2099)", optname, value);
        return 0;
    }
    return fail(err, "%s: unknown parameter '%s' (use base=)", optname, *key ? key : value);
}

/* ---- -icount ------------------------------------------------------------------ */

/* -snapshot-at N,file=F */
static int snapshot_at_kv(struct vm_options *opt, const char *optname, const char *key,
                          const char *value, FILE *err)
{
    if (!*key || !strcmp(key, "icount")) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(value, &end, 0);
        if (!isdigit((unsigned char)*value) || *end || errno || n == UINT64_MAX)
            return fail(err, "%s: '%s': expected an instruction count", optname, value);
        opt->snapshot_at = n;
        return 0;
    }
    if (!strcmp(key, "file")) {
        if (!*value || strlen(value) >= sizeof(opt->snapshot_file))
            return fail(err, "%s: file= needs a file name (shorter than %zu bytes)", optname,
                        sizeof(opt->snapshot_file));
        strcpy(opt->snapshot_file, value);
        return 0;
    }
    return fail(err, "%s: unknown parameter '%s' (N, file=F)", optname, key);
}

static int icount_kv(struct vm_options *opt, const char *optname, const char *key,
                     const char *value, FILE *err)
{
    unsigned long n;
    if (!*key || !strcmp(key, "shift")) {
        if (!strcmp(value, "auto"))
            return fail(err, "%s: shift=auto is not supported (softvm's clock is always "
                        "fixed-rate; give a number 0-10)", optname);
        if (!parse_uint(value, 0, 10, &n))
            return fail(err, "%s: shift=%s: must be 0 to 10 (2^N ns per instruction)",
                        optname, value);
        opt->ns_per_insn = 1ull << n;
        opt->clock = VM_CLOCK_DETERMINISTIC;
        return 0;
    }
    if (!strcmp(key, "rr")) {           /* QEMU's record/replay spelling */
        if (!strcmp(value, "record")) opt->rr_mode = VM_RR_RECORD;
        else if (!strcmp(value, "replay")) opt->rr_mode = VM_RR_REPLAY;
        else if (!strcmp(value, "off")) opt->rr_mode = VM_RR_NONE;
        else return fail(err, "%s: rr=%s: use record, replay or off", optname, value);
        opt->clock = VM_CLOCK_DETERMINISTIC;
        return 0;
    }
    if (!strcmp(key, "rrfile")) {
        if (!*value || strlen(value) >= sizeof(opt->rr_file))
            return fail(err, "%s: rrfile= needs a file name (shorter than %zu bytes)", optname,
                        sizeof(opt->rr_file));
        strcpy(opt->rr_file, value);
        return 0;
    }
    return fail(err, "%s: unknown parameter '%s' (use shift=N, rr=record|replay, rrfile=F)",
                optname, key);
}

/* ---- -accel --------------------------------------------------------------------- */

/* -accel interp|jit[,lockstep=on|off][,tb-size=MiB] (QEMU: -accel tcg,tb-size=N) */
static int accel_kv(struct vm_options *opt, const char *optname, const char *key,
                    const char *value, FILE *err)
{
    unsigned long n;
    if (!*key) {
        if (!strcmp(value, "interp")) opt->accel = VM_ACCEL_INTERP;
        else if (!strcmp(value, "jit")) opt->accel = VM_ACCEL_JIT;
        else if (!strcmp(value, "tcg")) opt->accel = accel_default();
        else return fail(err, "%s: unknown accelerator '%s' (use jit, interp, or QEMU's tcg: "
                         "the default, %s)", optname, value,
                         accel_default() == VM_ACCEL_JIT ? "jit" : "interp");
        return 0;
    }
    if (!strcmp(key, "lockstep")) {
        if (!strcmp(value, "on")) opt->accel_lockstep = true;
        else if (!strcmp(value, "off")) opt->accel_lockstep = false;
        else return fail(err, "%s: lockstep=%s: use on or off", optname, value);
        return 0;
    }
    if (!strcmp(key, "tb-size")) {
        if (!parse_uint(value, 1, 2048, &n))
            return fail(err, "%s: tb-size=%s: must be 1 to 2048 (MiB)", optname, value);
        opt->accel_tb_size = (unsigned)n;
        return 0;
    }
    return fail(err, "%s: unknown parameter '%s' (use lockstep= or tb-size=)", optname, key);
}

/* ---- -gdb ----------------------------------------------------------------------- */

static int parse_gdb(struct vm_options *opt, const char *optname, const char *spec, FILE *err)
{
    /* tcp::PORT or tcp:HOST:PORT; we listen on localhost only. */
    if (strncmp(spec, "tcp:", 4))
        return fail(err, "%s: '%s': use tcp::PORT", optname, spec);
    const char *colon = strrchr(spec + 4, ':');
    if (!colon)
        return fail(err, "%s: '%s': use tcp::PORT", optname, spec);
    unsigned long port;
    if (!parse_uint(colon + 1, 1, 65535, &port))
        return fail(err, "%s: '%s': port must be 1 to 65535", optname, spec);
    size_t host_len = (size_t)(colon - (spec + 4));
    if (host_len >= sizeof(opt->gdb_host))
        return fail(err, "%s: '%s': host name too long", optname, spec);
    memcpy(opt->gdb_host, spec + 4, host_len);
    opt->gdb_host[host_len] = '\0';
    opt->gdb = true;
    opt->gdb_port = (uint16_t)port;
    return 0;
}

/* ---- -d ------------------------------------------------------------------------- */

static const struct { const char *name; uint32_t bit; const char *help; } log_items[] = {
    { "int",          VM_LOG_INT,          "interrupts and exceptions" },
    { "exec",         VM_LOG_EXEC,         "each translation block executed" },
    { "in_asm",       VM_LOG_IN_ASM,       "guest code, disassembled when translated" },
    { "cpu",          VM_LOG_CPU,          "CPU registers before each block" },
    { "pcall",        VM_LOG_PCALL,        "protected-mode far calls and task switches" },
    { "ioport",       VM_LOG_IOPORT,       "port I/O" },
    { "unimp",        VM_LOG_UNIMP,        "features the guest used that are not implemented" },
    { "guest_errors", VM_LOG_GUEST_ERRORS, "architecturally invalid guest actions" },
    { "reset",        VM_LOG_RESET,        "machine resets" },
    { "mmu",          VM_LOG_MMU,          "page walks that fill the TLB" },
};

void options_print_log_help(FILE *out)
{
    fprintf(out, "Log items for -d (comma-separated):\n");
    for (size_t i = 0; i < sizeof(log_items) / sizeof(log_items[0]); i++)
        fprintf(out, "  %-13s %s\n", log_items[i].name, log_items[i].help);
}

static int parse_log_list(struct vm_options *opt, const char *optname, const char *list,
                          FILE *err)
{
    if (!strcmp(list, "help")) {
        opt->action = VM_ACTION_LOG_HELP;
        return 0;
    }
    const char *p = list;
    uint32_t mask = 0;
    for (;;) {
        size_t len = strcspn(p, ",");
        size_t i, n = sizeof(log_items) / sizeof(log_items[0]);
        for (i = 0; i < n; i++)
            if (strlen(log_items[i].name) == len && !strncmp(p, log_items[i].name, len))
                break;
        if (i == n)
            return fail(err, "%s: unknown log item '%.*s' (see -d help)", optname,
                        (int)len, p);
        mask |= log_items[i].bit;
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    opt->log_mask |= mask;
    return 0;
}

/* ---- -cpu, -smp, -machine, -device, -global (QEMU's names) ------------------------ */

/* The CPU models: qemu32 (the default, a 32-bit part), qemu64 and max
 * (with long mode, as qemu-system-x86_64 offers them; max adds UMIP and
 * TSC_ADJUST), base. Features softvm has may be named with '+'; of those
 * the APIC and long mode ("lm") can be taken away. */
static const char *const cpu_models[] = { "qemu32", "qemu64", "max", "base", NULL };
static const char *const cpu_features[] = {
    "fpu", "de", "pse", "tsc", "msr", "pae", "cx8", "apic", "sep", "mtrr", "pge", "cmov",
    "pat", "pse36", "mmx", "fxsr", "sse", "sse2", "nx", "tsc-deadline", NULL,
};
/* Features softvm does not have: asking for them to be off is what we are. */
static const char *const cpu_absent_ok[] = { "vme", "pcid", "invpcid",
                                             "pku", "svm", "vmx", NULL };

static bool in_list(const char *const *list, const char *s)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(list[i], s))
            return true;
    return false;
}

static int cpu_kv(struct vm_options *opt, const char *on, const char *key, const char *value,
                  FILE *err)
{
    if (!strcmp(key, "vendor")) {
        if (strcmp(value, "GenuineIntel"))
            return fail(err, "%s: vendor=%s: not implemented (the CPU is GenuineIntel)", on, value);
        return 0;
    }
    if (*key) {
        bool b;
        if (!strcmp(key, "host-phys-bits") || !strcmp(key, "migratable"))
            return 0;
        if (!parse_onoff(value, &b))
            return fail(err, "%s: property '%s=%s' is not implemented", on, key, value);
        /* feature=on|off, as +feature / -feature */
        char flag[64];
        snprintf(flag, sizeof(flag), "%c%s", b ? '+' : '-', key);
        return cpu_kv(opt, on, "", flag, err);
    }
    if (!strcmp(value, "host-phys-bits") || !strcmp(value, "migratable"))
        return 0;   /* the physical address width stays 36 bits; nothing migrates */
    if (value[0] != '+' && value[0] != '-') {
        char flag[64];
        snprintf(flag, sizeof(flag), "+%s", value);   /* a bare feature name means on */
        return cpu_kv(opt, on, "", flag, err);
    }
    const char *f = value + 1;
    bool add = value[0] == '+';
    if (!strcmp(f, "apic")) {
        opt->no_apic = !add;
        return 0;
    }
    if (!strcmp(f, "x2apic")) {
        opt->x2apic = add;
        return 0;
    }
    if (!strcmp(f, "umip")) {
        opt->umip = add;
        return 0;
    }
    if (!strcmp(f, "lm")) {
        opt->lm = add;
        return 0;
    }
    if (!strcmp(f, "smep")) {
        opt->smep = add;
        return 0;
    }
    if (!strcmp(f, "smap")) {
        opt->smap = add;
        return 0;
    }
    if (!strcmp(f, "rdtscp")) {
        opt->rdtscp = add;
        return 0;
    }
    if (!strcmp(f, "tsc-adjust") || !strcmp(f, "tsc_adjust")) {
        opt->tsc_adjust = add;
        return 0;
    }
    if (add && in_list(cpu_features, f))
        return 0;                               /* already there */
    if (!add && in_list(cpu_absent_ok, f))
        return 0;                               /* already absent */
    if (in_list(cpu_features, f))
        return fail(err, "%s: removing '%s' is not implemented", on, f);
    return fail(err, "%s: CPU feature '%s' is not implemented", on, f);
}

static int parse_cpu(struct vm_options *opt, const char *on, const char *a, FILE *err)
{
    char model[64];
    size_t n = strcspn(a, ",");
    if (n == 0 || n >= sizeof(model))
        return fail(err, "%s: '%s': expected MODEL[,+feature|-feature...]", on, a);
    memcpy(model, a, n);
    model[n] = '\0';
    if (!strcmp(model, "help") || !strcmp(model, "?"))
        return fail(err, "%s: models: qemu32 (32-bit), qemu64 (with long mode), max "
                    "(qemu64 with UMIP, TSC_ADJUST, SMEP, SMAP, RDTSCP), base (as qemu32): GenuineIntel", on);
    if (!strcmp(model, "host"))
        return fail(err, "%s: CPU model 'host' requires KVM (softvm emulates in software)", on);
    if (!in_list(cpu_models, model))
        return fail(err, "%s: CPU model '%s' is not implemented (use qemu32)", on, model);
    if (!strcmp(model, "max"))   /* everything softvm can offer */
        opt->umip = opt->tsc_adjust = opt->smep = opt->smap = opt->rdtscp = true;
    opt->lm = !strcmp(model, "max") || !strcmp(model, "qemu64");
    return a[n] ? parse_kv_list(opt, on, a + n + 1, cpu_kv, err) : 0;
}

static int smp_kv(struct vm_options *opt, const char *on, const char *key, const char *value,
                  FILE *err)
{
    (void)opt;
    if (*key && strcmp(key, "cpus") && strcmp(key, "maxcpus") && strcmp(key, "sockets") &&
        strcmp(key, "cores") && strcmp(key, "threads") && strcmp(key, "dies"))
        return fail(err, "%s: unknown property '%s'", on, key);
    char *end;
    errno = 0;
    unsigned long n = strtoul(value, &end, 10);
    if (errno || *end || end == value || n == 0)
        return fail(err, "%s: '%s' is not a CPU count", on, value);
    if (n > 1)
        return fail(err, "%s: %s=%lu: more than one CPU is not implemented yet (use -smp 1)",
                    on, *key ? key : "cpus", n);
    return 0;
}

static int machine_kv(struct vm_options *opt, const char *on, const char *key,
                      const char *value, FILE *err)
{
    if (!*key || !strcmp(key, "type")) {
        if (strcmp(value, "pc") && strncmp(value, "pc-i440fx", 9))
            return fail(err, "%s: machine '%s' is not implemented (use pc)", on, value);
        return 0;
    }
    if (!strcmp(key, "accel")) {
        /* QEMU's TCG is softvm's default engine; a list is tried in order. */
        char list[64];
        snprintf(list, sizeof(list), "%s", value);
        for (char *save = NULL, *acc = strtok_r(list, ":", &save); acc;
             acc = strtok_r(NULL, ":", &save)) {
            if (!strcmp(acc, "tcg")) {
                opt->accel = accel_default();
                return 0;
            }
            if (!strcmp(acc, "interp") || (!strcmp(acc, "jit") && jit_supported())) {
                opt->accel = !strcmp(acc, "jit") ? VM_ACCEL_JIT : VM_ACCEL_INTERP;
                return 0;
            }
        }
        return fail(err, "%s: accel=%s: only tcg (the default engine), jit and interp are "
                    "available", on, value);
    }
    return fail(err, "%s: property '%s' is not implemented", on, key);
}

static int debug_exit_kv(struct vm_options *opt, const char *on, const char *key,
                         const char *value, FILE *err)
{
    (void)opt;
    if (!*key)
        return 0;                               /* the driver name */
    char *end;
    errno = 0;
    unsigned long v = strtoul(value, &end, 0);
    if (errno || *end || end == value)
        return fail(err, "%s: isa-debug-exit: %s=%s is not a number", on, key, value);
    if (!strcmp(key, "iobase")) {
        if (v != 0xf4)
            return fail(err, "%s: isa-debug-exit: iobase=%s is not implemented (the exit "
                        "port is 0xf4)", on, value);
        return 0;
    }
    if (!strcmp(key, "iosize")) {
        if (v != 1 && v != 2 && v != 4)
            return fail(err, "%s: isa-debug-exit: iosize must be 1, 2 or 4", on);
        return 0;
    }
    return fail(err, "%s: isa-debug-exit: unknown property '%s'", on, key);
}

/* -sandbox on|off[,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny]:
 * the allow-list already denies all of QEMU's groups. */
static int sandbox_kv(struct vm_options *opt, const char *on, const char *key,
                      const char *value, FILE *err)
{
    bool b;
    if (!*key || !strcmp(key, "enable")) {
        if (!parse_onoff(value, &b))
            return fail(err, "%s: '%s': use on or off", on, value);
        opt->sandbox = b;
        return 0;
    }
    if (strcmp(key, "obsolete") && strcmp(key, "elevateprivileges") && strcmp(key, "spawn") &&
        strcmp(key, "resourcecontrol"))
        return fail(err, "%s: unknown property '%s'", on, key);
    if (strcmp(value, "deny"))
        return fail(err, "%s: %s=%s is not implemented (the filter denies them all)", on, key,
                    value);
    return 0;
}

static int no_props_kv(struct vm_options *opt, const char *on, const char *key,
                       const char *value, FILE *err)
{
    (void)opt; (void)value;
    if (!*key)
        return 0;
    return fail(err, "%s: unknown property '%s'", on, key);
}

void options_print_device_help(FILE *out)
{
    fprintf(out, "Misc devices:\n"
            "name \"isa-debug-exit\", bus ISA, desc \"exit status (value << 1) | 1 on a "
            "write to port 0xf4\"\n"
            "name \"pc-testdev\", bus ISA, desc \"QEMU's test device: ports 0xe0-0xeb, "
            "0x2000-0x2017, RAM at 0xff000000\"\n"
            "Network devices:\n"
            "name \"e1000\", bus PCI, alias \"e1000-82540em\", desc \"Intel Gigabit Ethernet "
            "(netdev=ID, mac=MAC)\"\n"
            "name \"ne2k_pci\", bus PCI, desc \"RTL8029AS NE2000 PCI (netdev=ID, mac=MAC)\"\n"
            "name \"virtio-net-pci\", bus PCI, alias \"virtio-net\", desc \"virtio network "
            "device (netdev=ID, mac=MAC)\"\n"
            "Storage devices:\n"
            "name \"virtio-blk-pci\", bus PCI, desc \"virtio block device (drive=ID)\"\n");
}

static int parse_device(struct vm_options *opt, const char *on, const char *a, FILE *err)
{
    char driver[64];
    size_t n = strcspn(a, ",");
    if (n >= sizeof(driver))
        return fail(err, "%s: '%s': unknown device", on, a);
    memcpy(driver, a, n);
    driver[n] = '\0';
    if (!strcmp(driver, "?") || !strcmp(driver, "help")) {
        opt->action = VM_ACTION_DEVICE_HELP;
        return 0;
    }
    if (!strcmp(driver, "isa-debug-exit"))
        return parse_kv_list(opt, on, a, debug_exit_kv, err);   /* always present */
    if (!strcmp(driver, "pc-testdev")) {
        opt->pc_testdev = true;
        return parse_kv_list(opt, on, a, no_props_kv, err);
    }
    enum vm_nic_model model;
    if (nic_model_named(driver, &model))
        return new_nic(opt, on, err) ? parse_kv_list(opt, on, a, nic_device_kv, err) : 2;
    return add_device(opt, on, a, err);     /* virtio-blk-pci, or a clear refusal */
}

static int parse_global(struct vm_options *opt, const char *on, const char *a, FILE *err)
{
    (void)opt;
    /* DRIVER.PROP=VALUE. Properties of KVM's in-kernel devices (kvm-pit,
     * kvm-i8259, ...) do not apply to a machine without KVM, as with QEMU's
     * TCG; anything else would change a device softvm models. */
    const char *dot = strchr(a, '.');
    if (!dot || !strchr(dot, '='))
        return fail(err, "%s: '%s': expected DRIVER.PROPERTY=VALUE", on, a);
    if (!strncmp(a, "kvm-", 4))
        return 0;
    return fail(err, "%s: '%s' is not implemented", on, a);
}

/* ---- the option table ------------------------------------------------------------ */

enum opt_id {
    O_HELP, O_VERSION, O_M, O_KERNEL, O_INITRD, O_APPEND, O_BIOS, O_HDA, O_HDB, O_HDC, O_HDD,
    O_CDROM,
    O_DRIVE, O_BOOT, O_NOGRAPHIC, O_SERIAL, O_DISPLAY, O_ACCEL, O_NO_REBOOT, O_SNAPSHOT,
    O_NIC, O_NETDEV, O_S, O_GDB, O_BIG_S, O_D, O_BIG_D, O_DEBUGCON, O_RTC, O_ICOUNT,
    O_CLOCK, O_STATS, O_DFILTER, O_DICOUNT, O_ONE_INSN, O_CPU, O_SMP, O_MACHINE,
    O_NODEFAULTS, O_DEVICE, O_GLOBAL, O_SCREENDUMP, O_SNAPSHOT_AT, O_LOADVM, O_STATE_HASH,
    O_QMP, O_MONITOR, O_NAME, O_SANDBOX,
};

static const struct option_desc {
    const char *name;      /* without the leading dash */
    enum opt_id id;
    const char *arg;       /* NULL: a flag */
    const char *help;
} option_table[] = {
    { "help",      O_HELP,      NULL,   "print this help and exit" },
    { "h",         O_HELP,      NULL,   NULL },
    { "version",   O_VERSION,   NULL,   "print the version and exit" },
    { "m",         O_M,         "SIZE", "guest RAM: 256, 256M, 1G (MiB if no suffix; 2M to 3584M)" },
    { "kernel",    O_KERNEL,    "FILE", "boot a Linux bzImage or a Multiboot ELF kernel" },
    { "initrd",    O_INITRD,    "FILE", "initial ramdisk (Linux) or modules, comma-separated (Multiboot)" },
    { "append",    O_APPEND,    "CMDLINE", "kernel command line" },
    { "bios",      O_BIOS,      "FILE", "firmware image (default: SeaBIOS bios.bin from the cache or /usr/share/seabios)" },
    { "hda",       O_HDA,       "FILE", "IDE primary master disk image" },
    { "hdb",       O_HDB,       "FILE", "IDE primary slave disk image" },
    { "hdc",       O_HDC,       "FILE", "IDE secondary master disk image" },
    { "hdd",       O_HDD,       "FILE", "IDE secondary slave disk image" },
    { "cdrom",     O_CDROM,     "FILE", "IDE secondary master CD-ROM image" },
    { "drive",     O_DRIVE,     "SPEC", "file=F[,if=ide|virtio|none][,media=disk|cdrom][,format=raw|qcow2][,index=0-3][,readonly=on][,snapshot=on][,cache=writeback|none|writethrough|directsync|unsafe][,id=ID]" },
    { "boot",      O_BOOT,      "ORDER", "[order=]LETTERS (c disk, d CD-ROM, n network)[,menu=on|off]" },
    { "nographic", O_NOGRAPHIC, NULL,   "no display; COM1 on the terminal" },
    { "serial",    O_SERIAL,    "DEV",  "next COM port: stdio, null, none, file:PATH" },
    { "display",   O_DISPLAY,   "TYPE", "none or sdl (a window; falls back to none without $DISPLAY)" },
    { "screendump", O_SCREENDUMP, "FILE", "write the screen as a PNG when softvm exits (FILE.txt: the characters of a text mode; Ctrl-A p: now)" },
    { "accel",     O_ACCEL,     "TYPE", "jit[,lockstep=on][,tb-size=MiB] (default on x86-64 Linux) "
                                           "or interp; tcg: the default" },
    { "no-reboot", O_NO_REBOOT, NULL,   "exit instead of rebooting" },
    { "snapshot",  O_SNAPSHOT,  NULL,   "discard writes to disk images" },
    { "nic",       O_NIC,       "SPEC", "user|socket[,model=e1000|ne2k_pci|virtio-net-pci][,mac=MAC][,backend properties]: a card and its backend (none: no network)" },
    { "netdev",    O_NETDEV,    "SPEC", "user,id=ID[,hostfwd=tcp:[ADDR]:PORT-:PORT][,restrict=on][,dns=on] | socket,id=ID,listen=[HOST]:PORT|connect=HOST:PORT|...=unix:PATH" },
    { "s",         O_S,         NULL,   "shorthand for -gdb tcp::1234" },
    { "gdb",       O_GDB,       "tcp::PORT", "wait for a GDB connection on PORT" },
    { "S",         O_BIG_S,     NULL,   "do not start the CPU until the debugger says so" },
    { "d",         O_D,         "LIST", "log items, comma-separated (-d help lists them)" },
    { "D",         O_BIG_D,     "FILE", "write the log to FILE instead of stderr" },
    { "dfilter",   O_DFILTER,   "RANGES", "log only blocks starting in START..END, START+SIZE (comma-separated)" },
    { "dicount",   O_DICOUNT,   "FROM..TO", "log only while the instruction count is in [FROM, TO)" },
    { "one-insn-per-tb", O_ONE_INSN, NULL, "one instruction per translation block (exact -d diffs with QEMU -singlestep)" },
    { "singlestep", O_ONE_INSN, NULL,   NULL },
    { "debugcon",  O_DEBUGCON,  "DEV",  "debug console, port 0x402 (SeaBIOS log): stdio, null, none, file:PATH" },
    { "rtc",       O_RTC,       "base=B", "RTC start: utc, localtime or YYYY-MM-DDTHH:MM:SS (UTC)" },
    { "icount",    O_ICOUNT,    "shift=N[,rr=record|replay,rrfile=F]", "deterministic clock at 2^N ns per instruction (default 0); rr= records the host inputs to F or replays them from it" },
    { "clock",     O_CLOCK,     "MODE", "deterministic (idle time is skipped: same input, same run), realtime (idle time follows the host clock) or auto (default: realtime when the console is a terminal or -display sdl)" },
    { "stats",     O_STATS,     NULL,   "print instruction and time counters at exit" },
    { "cpu",       O_CPU,       "MODEL", "qemu32 (qemu64, max: the same CPU)[,+feature|-feature]; -apic: no APICs" },
    { "smp",       O_SMP,       "1",    "CPU count (only 1)" },
    { "machine",   O_MACHINE,   "pc[,accel=tcg]", "machine type and accelerator (tcg: the default engine)" },
    { "M",         O_MACHINE,   "pc",   NULL },
    { "nodefaults", O_NODEFAULTS, NULL, "no default devices: COM1 only with -serial" },
    { "device",    O_DEVICE,    "DEV",  "virtio-blk-pci,drive=ID[,serial=S] (a disk for -drive if=none,id=ID), isa-debug-exit[,iobase=0xf4,iosize=N], pc-testdev; help lists them" },
    { "global",    O_GLOBAL,    "D.P=V", "device property (kvm-* drivers: ignored, there is no KVM)" },
    { "snapshot-at", O_SNAPSHOT_AT, "N,file=F", "save a snapshot of the machine when N instructions have retired (Ctrl-A s: now, to F)" },
    { "loadvm",    O_LOADVM,    "FILE", "start from a snapshot (the other options must build the same machine)" },
    { "state-hash", O_STATE_HASH, NULL, "print a hash of the machine's state (CPU, devices, RAM) at exit" },
    { "qmp",       O_QMP,       "DEV",  "QMP monitor socket: unix:PATH,server=on,wait=off or tcp:127.0.0.1:PORT,server=on,wait=off" },
    { "monitor",   O_MONITOR,   "DEV",  "human monitor: stdio (Ctrl-A c switches to the guest) or none" },
    { "sandbox",   O_SANDBOX,   "on|off", "seccomp filter: after set-up only the system calls a running VM needs (docs/MONITOR.md)" },
    { "name",      O_NAME,      "NAME", "the VM's name (query-name, info name)[,process=...,debug-threads=...]" },
};
#define OPTION_COUNT (sizeof(option_table) / sizeof(option_table[0]))

void options_print_version(FILE *out)
{
    fprintf(out, "softvm %s - a software-only x86 PC emulator\n", SOFTVM_VERSION);
}

void options_print_help(FILE *out)
{
    fprintf(out, "usage: softvm [options]\n\n"
            "Options (one or two leading dashes):\n");
    for (size_t i = 0; i < OPTION_COUNT; i++) {
        const struct option_desc *o = &option_table[i];
        if (!o->help)
            continue;
        char lhs[32];
        snprintf(lhs, sizeof(lhs), "-%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(out, "  %-20s %s\n", lhs, o->help);
    }
    fprintf(out, "\nConsole: Ctrl-A x quits, Ctrl-A h prints console help.\n"
            "Exit status: the guest's (poweroff 0, debug-exit port 0xf4: (value<<1)|1);\n"
            "1 for a bad kernel/initrd/BIOS file or disk image, 2 for a bad command line.\n");
}

static const struct option_desc *find_option(const char *arg)
{
    if (arg[0] != '-' || arg[1] == '\0')
        return NULL;
    const char *name = arg + 1;
    if (*name == '-')                 /* --version == -version, as in QEMU */
        name++;
    for (size_t i = 0; i < OPTION_COUNT; i++)
        if (!strcmp(option_table[i].name, name))
            return &option_table[i];
    return NULL;
}

static int apply_option(struct vm_options *opt, const struct option_desc *o, const char *on,
                        const char *a, FILE *err)
{
    unsigned long n;
    switch (o->id) {
    case O_HELP: opt->action = VM_ACTION_HELP; return 0;
    case O_VERSION: opt->action = VM_ACTION_VERSION; return 0;
    case O_M: {
        uint64_t size;
        const char *s = !strncmp(a, "size=", 5) ? a + 5 : a;
        if (!options_parse_size(s, &size))
            return fail(err, "%s: '%s' is not a size (examples: 256, 256M, 1G)", on, a);
        if (size < VM_RAM_MIN || size > VM_RAM_MAX)
            return fail(err, "%s: %s is out of range (%llu MiB to %llu MiB)", on, a,
                        (unsigned long long)(VM_RAM_MIN >> 20),
                        (unsigned long long)(VM_RAM_MAX >> 20));
        if (size & 0xfff)
            return fail(err, "%s: %s is not a whole number of 4 KiB pages", on, a);
        opt->ram_size = size;
        return 0;
    }
    case O_KERNEL: opt->kernel = a; return 0;
    case O_INITRD: opt->initrd = a; return 0;
    case O_APPEND: opt->append = a; return 0;
    case O_BIOS: opt->bios = a; return 0;
    case O_HDA: return add_simple_drive(opt, on, a, 0, VM_MEDIA_DISK, err);
    case O_HDB: return add_simple_drive(opt, on, a, 1, VM_MEDIA_DISK, err);
    case O_HDC: return add_simple_drive(opt, on, a, 2, VM_MEDIA_DISK, err);
    case O_HDD: return add_simple_drive(opt, on, a, 3, VM_MEDIA_DISK, err);
    case O_CDROM: return add_simple_drive(opt, on, a, 2, VM_MEDIA_CDROM, err);
    case O_DRIVE: return add_drive(opt, on, a, err);
    case O_BOOT: return parse_kv_list(opt, on, a, boot_kv, err);
    case O_NOGRAPHIC: opt->nographic = true; return 0;
    case O_SCREENDUMP: opt->screendump = a; return 0;
    case O_SERIAL:
        if (opt->serial_count >= VM_MAX_SERIAL)
            return fail(err, "%s: at most %d serial ports", on, VM_MAX_SERIAL);
        return parse_chardev(&opt->serial[opt->serial_count++], on, a, true, err);
    case O_DISPLAY:
        if (!strcmp(a, "none")) opt->display = VM_DISPLAY_NONE;
        else if (!strcmp(a, "sdl")) opt->display = VM_DISPLAY_SDL;
        else if (!strcmp(a, "curses")) opt->display = VM_DISPLAY_CURSES;
        else return fail(err, "%s: unknown display '%s' (use none, sdl or curses)", on, a);
        return 0;
    case O_ACCEL:
        return parse_kv_list(opt, on, a, accel_kv, err);
    case O_NO_REBOOT: opt->no_reboot = true; return 0;
    case O_SNAPSHOT: opt->snapshot = true; return 0;
    case O_NIC: return parse_nic(opt, on, a, err);
    case O_NETDEV: return parse_netdev(opt, on, a, err);
    case O_S: opt->gdb = true; opt->gdb_port = VM_DEFAULT_GDB_PORT; return 0;
    case O_GDB: return parse_gdb(opt, on, a, err);
    case O_BIG_S: opt->start_stopped = true; return 0;
    case O_D: return parse_log_list(opt, on, a, err);
    case O_BIG_D: opt->log_file = a; return 0;
    case O_DFILTER: {
        struct trace_range r[TRACE_MAX_RANGES];
        int nr;
        if (!trace_parse_ranges(a, r, &nr))
            return fail(err, "%s: '%s': use START..END, START+SIZE or START-SIZE, "
                        "comma-separated (at most %d)", on, a, TRACE_MAX_RANGES);
        opt->log_filter = a;
        return 0;
    }
    case O_DICOUNT: {
        uint64_t from, to;
        if (!trace_parse_window(a, &from, &to))
            return fail(err, "%s: '%s': use FROM..TO, FROM.. or ..TO (instruction counts)",
                        on, a);
        opt->log_window = a;
        return 0;
    }
    case O_ONE_INSN: opt->one_insn_per_tb = true; return 0;
    case O_DEBUGCON: return parse_chardev(&opt->debugcon, on, a, true, err);
    case O_RTC: return parse_kv_list(opt, on, a, rtc_kv, err);
    case O_ICOUNT: return parse_kv_list(opt, on, a, icount_kv, err);
    case O_CLOCK:
        if (!strcmp(a, "auto")) opt->clock = VM_CLOCK_AUTO;
        else if (!strcmp(a, "deterministic")) opt->clock = VM_CLOCK_DETERMINISTIC;
        else if (!strcmp(a, "realtime")) opt->clock = VM_CLOCK_REALTIME;
        else return fail(err, "%s: unknown clock mode '%s' (use auto, deterministic or realtime)", on, a);
        return 0;
    case O_STATS: opt->stats = true; return 0;
    case O_CPU: return parse_cpu(opt, on, a, err);
    case O_SMP: return parse_kv_list(opt, on, a, smp_kv, err);
    case O_MACHINE: return parse_kv_list(opt, on, a, machine_kv, err);
    case O_NODEFAULTS: opt->nodefaults = true; return 0;
    case O_DEVICE: return parse_device(opt, on, a, err);
    case O_GLOBAL: return parse_global(opt, on, a, err);
    case O_SNAPSHOT_AT: {
        int rc = parse_kv_list(opt, on, a, snapshot_at_kv, err);
        if (rc == 0 && opt->snapshot_at == UINT64_MAX)
            return fail(err, "%s: '%s': the instruction count is missing", on, a);
        if (rc == 0 && !opt->snapshot_file[0])
            return fail(err, "%s: '%s': file=F is missing", on, a);
        return rc;
    }
    case O_LOADVM: opt->loadvm = a; return 0;
    case O_STATE_HASH: opt->state_hash = true; return 0;
    case O_QMP: {
        struct qmp_spec spec;
        char why[256];
        if (opt->qmp_count >= VM_MAX_QMP)
            return fail(err, "%s: at most %d QMP sockets", on, VM_MAX_QMP);
        if (!qmp_parse_spec(a, &spec, why, sizeof(why)))
            return fail(err, "%s: %s", on, why);
        opt->qmp[opt->qmp_count++] = a;
        return 0;
    }
    case O_MONITOR:
        if (!strcmp(a, "stdio") || !strcmp(a, "mon:stdio"))
            opt->monitor_stdio = true;
        else if (!strcmp(a, "none") || !strcmp(a, "null"))
            opt->monitor_stdio = false;
        else
            return fail(err, "%s: '%s': only stdio and none are implemented (use -qmp for "
                        "sockets)", on, a);
        return 0;
    case O_SANDBOX: return parse_kv_list(opt, on, a, sandbox_kv, err);
    case O_NAME: {
        /* NAME or guest=NAME, then process=/debug-threads= (accepted, ignored). */
        const char *n = !strncmp(a, "guest=", 6) ? a + 6 : a;
        size_t len = strcspn(n, ",");
        if (len == 0 || len >= sizeof(opt->name))
            return fail(err, "%s: '%s': the name must be 1 to %zu characters", on, a,
                        sizeof(opt->name) - 1);
        memcpy(opt->name, n, len);
        opt->name[len] = '\0';
        return 0;
    }
    }
    (void)n;
    return fail(err, "%s: internal error: unhandled option", on);
}

int options_parse_syntax(struct vm_options *opt, int argc, char **argv, FILE *err)
{
    options_default(opt);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const struct option_desc *o = find_option(arg);
        if (!o) {
            if (arg[0] != '-')
                return fail(err, "'%s': unexpected argument (options start with '-'; "
                            "try --help)", arg);
            return fail(err, "%s: unknown option (try --help)", arg);
        }
        const char *value = NULL;
        if (o->arg) {
            if (i + 1 >= argc)
                return fail(err, "%s: missing argument %s", arg, o->arg);
            value = argv[++i];
        }
        int rc = apply_option(opt, o, arg, value, err);
        if (rc)
            return rc;
        if (opt->action != VM_ACTION_RUN)
            return 0;       /* --help, --version, -d help: the rest does not matter */
    }

    if (check_devices(opt, err) || check_network(opt, err))
        return 2;
    int nvirtio = opt->device_count;
    for (int i = 0; i < opt->drive_count; i++)
        nvirtio += opt->drive[i].interface == VM_IF_VIRTIO;
    if (nvirtio > 4)
        return fail(err, "-drive if=virtio/-device: at most 4 virtio disks");
    if (opt->append && !opt->kernel)
        return fail(err, "-append: only allowed with -kernel");
    if (opt->initrd && !opt->kernel)
        return fail(err, "-initrd: only allowed with -kernel");

    /* -nographic: no window; COM1 goes to the terminal unless -serial said otherwise. */
    if (opt->nographic) {
        if (opt->display == VM_DISPLAY_SDL || opt->display == VM_DISPLAY_CURSES)
            return fail(err, "-nographic: conflicts with -display");
        opt->display = VM_DISPLAY_NONE;
    }
    if (opt->serial_count == 0)   /* headless by default: COM1 on stdio */
        opt->serial[0].kind = opt->nodefaults ? VM_CHARDEV_NULL : VM_CHARDEV_STDIO;
    if (opt->debugcon.kind == VM_CHARDEV_DEFAULT)
        opt->debugcon.kind = VM_CHARDEV_NONE;
    if (opt->display == VM_DISPLAY_DEFAULT)
        opt->display = VM_DISPLAY_NONE;           /* headless unless -display sdl */
    return 0;
}

static int not_yet(FILE *err, const char *what)
{
    return fail(err, "%s: not implemented yet", what);
}

int options_check_implemented(const struct vm_options *opt, FILE *err)
{
    if (opt->display == VM_DISPLAY_CURSES)
        return not_yet(err, "-display curses");
    if (opt->accel != VM_ACCEL_JIT && (opt->accel_lockstep || opt->accel_tb_size))
        return fail(err, "-accel: lockstep= and tb-size= need -accel jit");
    if (opt->sandbox && opt->display == VM_DISPLAY_SDL)
        return not_yet(err, "-sandbox on with -display sdl");
    return 0;
}

int options_parse(struct vm_options *opt, int argc, char **argv, FILE *err)
{
    int rc = options_parse_syntax(opt, argc, argv, err);
    if (rc || opt->action != VM_ACTION_RUN)
        return rc;
    return options_check_implemented(opt, err);
}
