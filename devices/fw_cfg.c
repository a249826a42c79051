/*
 * fw_cfg.c - the firmware configuration device.  See fw_cfg.h.
 */
#include "devices/fw_cfg.h"
#include "devices/vmstate.h"

#include <stdlib.h>
#include <string.h>
#include "devices/iobus.h"
#include "memory/memory.h"

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int set_item(struct fw_cfg_item *it, const void *data, size_t len)
{
    if (len > UINT32_MAX)
        return -1;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -1;
    if (len)
        memcpy(copy, data, len);
    free(it->data);
    it->data = copy;
    it->len = (uint32_t)len;
    return 0;
}

/* The item a selector names, or NULL. */
static struct fw_cfg_item *lookup(struct fw_cfg *fw, uint16_t key)
{
    key &= 0xbfff;                      /* bit 14 is the (ignored) write flag */
    if (key < FW_CFG_FILE_FIRST) {
        if (key == FW_CFG_FILE_DIR)
            return NULL;                /* served from fw->dir */
        return &fw->fixed[key];
    }
    if (key < FW_CFG_FILE_FIRST + FW_CFG_MAX_FILES)
        return key - FW_CFG_FILE_FIRST < fw->file_count ? &fw->file[key - FW_CFG_FILE_FIRST] : NULL;
    if (key >= 0x8000 && key < 0x8008)
        return &fw->arch[key - 0x8000];
    return NULL;
}

/* Current item's bytes (the directory is special). */
static const uint8_t *item_data(struct fw_cfg *fw, uint32_t *len)
{
    if ((fw->selector & 0xbfff) == FW_CFG_FILE_DIR) {
        *len = fw->dir_len;
        return fw->dir;
    }
    struct fw_cfg_item *it = lookup(fw, fw->selector);
    if (!it || !it->data) {
        *len = 0;
        return NULL;
    }
    *len = it->len;
    return it->data;
}

int fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data, size_t len)
{
    if (key == FW_CFG_FILE_DIR || (key >= FW_CFG_FILE_FIRST && key < 0x8000))
        return -1;
    struct fw_cfg_item *it = lookup(fw, key);
    return it ? set_item(it, data, len) : -1;
}

int fw_cfg_add_i16(struct fw_cfg *fw, uint16_t key, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    return fw_cfg_add_bytes(fw, key, b, 2);
}

int fw_cfg_add_i32(struct fw_cfg *fw, uint16_t key, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add_bytes(fw, key, b, 4);
}

int fw_cfg_add_i64(struct fw_cfg *fw, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add_bytes(fw, key, b, 8);
}

/* Directory: be32 count, then per file be32 size, be16 select, be16 0, name[56]. */
static int rebuild_dir(struct fw_cfg *fw)
{
    uint32_t len = 4 + 64u * (uint32_t)fw->file_count;
    uint8_t *d = calloc(1, len);
    if (!d)
        return -1;
    put_be32(d, (uint32_t)fw->file_count);
    for (int i = 0; i < fw->file_count; i++) {
        uint8_t *e = d + 4 + 64 * i;
        put_be32(e, fw->file[i].len);
        uint16_t sel = (uint16_t)(FW_CFG_FILE_FIRST + i);
        e[4] = (uint8_t)(sel >> 8);
        e[5] = (uint8_t)sel;
        memcpy(e + 8, fw->file_name[i], FW_CFG_NAME_LEN);
    }
    free(fw->dir);
    fw->dir = d;
    fw->dir_len = len;
    return 0;
}

int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data, size_t len)
{
    if (!name || strlen(name) >= FW_CFG_NAME_LEN)
        return -1;
    for (int i = 0; i < fw->file_count; i++)
        if (!strcmp(fw->file_name[i], name))
            return set_item(&fw->file[i], data, len) || rebuild_dir(fw);
    if (fw->file_count >= FW_CFG_MAX_FILES)
        return -1;
    /* Keep the directory sorted (QEMU does; selectors follow the order). */
    int pos = fw->file_count;
    while (pos > 0 && strcmp(fw->file_name[pos - 1], name) > 0)
        pos--;
    struct fw_cfg_item item = { NULL, 0 };
    if (set_item(&item, data, len))
        return -1;
    memmove(&fw->file[pos + 1], &fw->file[pos], sizeof(fw->file[0]) * (size_t)(fw->file_count - pos));
    memmove(fw->file_name[pos + 1], fw->file_name[pos], FW_CFG_NAME_LEN * (size_t)(fw->file_count - pos));
    fw->file[pos] = item;
    memset(fw->file_name[pos], 0, FW_CFG_NAME_LEN);
    strcpy(fw->file_name[pos], name);
    fw->file_count++;
    return rebuild_dir(fw);
}

/* --- DMA ---------------------------------------------------------------------- */

static void dma_transfer(struct fw_cfg *fw, uint64_t addr)
{
    uint8_t desc[16];
    if (!fw->mem || dma_read(fw->mem, addr, desc, sizeof(desc)) != sizeof(desc))
        return;                         /* descriptor not in RAM: nothing to answer to */
    uint32_t control = get_be32(desc);
    uint32_t length = get_be32(desc + 4);
    uint64_t target = (uint64_t)get_be32(desc + 8) << 32 | get_be32(desc + 12);

    if (control & FW_CFG_DMA_SELECT) {
        fw->selector = (uint16_t)(control >> 16);
        fw->offset = 0;
    }
    bool error = false;
    if (control & (FW_CFG_DMA_READ | FW_CFG_DMA_SKIP | FW_CFG_DMA_WRITE)) {
        uint32_t len;
        const uint8_t *data = item_data(fw, &len);
        if (control & FW_CFG_DMA_WRITE) {
            error = true;               /* items are read-only here */
        } else {
            /* The whole buffer is bounded once: a transfer stops at the
             * top of the address space, it does not wrap to 0. */
            bool read = control & FW_CFG_DMA_READ;
            uint32_t span = read ? (uint32_t)dma_span(target, length) : length;
            uint32_t avail = fw->offset < len ? len - fw->offset : 0;
            uint32_t n = span < avail ? span : avail;
            if (read) {
                if (span < length)
                    error = true;       /* runs past the top of the space */
                if (n && dma_write(fw->mem, target, data + fw->offset, n) != n)
                    error = true;       /* part of the buffer is not RAM */
                /* Past the end of the item a read yields zeros. */
                if (span > n && dma_fill(fw->mem, target + n, 0, span - n) != span - n)
                    error = true;
            }
            fw->offset += n;
        }
    }
    uint8_t status[4];
    put_be32(status, error ? FW_CFG_DMA_ERROR : 0);
    dma_write(fw->mem, addr, status, 4);
}

/* --- ports ---------------------------------------------------------------------- */

static uint32_t fw_cfg_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct fw_cfg *fw = opaque;
    if (port == 0x511) {
        uint32_t len, v = 0;
        const uint8_t *data = item_data(fw, &len);
        for (unsigned i = 0; i < size; i++) {
            uint8_t b = (data && fw->offset < len) ? data[fw->offset++] : 0;
            v |= (uint32_t)b << (8 * i);
        }
        return v;
    }
    if (port == 0x510)
        return fw->selector;
    return 0;                           /* DMA address registers read as 0 */
}

static uint32_t bswap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

static void fw_cfg_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct fw_cfg *fw = opaque;
    switch (port) {
    case 0x510:
        fw->selector = (uint16_t)value;
        fw->offset = 0;
        break;
    case 0x514:
        if (size == 4)
            fw->dma_high = bswap32(value);
        break;
    case 0x518:
        if (size == 4) {
            uint64_t addr = (uint64_t)fw->dma_high << 32 | bswap32(value);
            fw->dma_high = 0;
            dma_transfer(fw, addr);
        }
        break;
    default:
        break;                          /* data port writes: unsupported, ignored */
    }
}

/* --- setup ------------------------------------------------------------------------ */

int fw_cfg_add_pc_defaults(struct fw_cfg *fw, uint64_t ram_below_4g, uint64_t ram_above_4g,
                           int ncpus)
{
    uint8_t uuid[16] = { 0 };
    int err = 0;
    err |= fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, ram_below_4g + ram_above_4g);
    err |= fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, (uint16_t)ncpus);
    err |= fw_cfg_add_i16(fw, FW_CFG_MAX_CPUS, (uint16_t)ncpus);
    err |= fw_cfg_add_i16(fw, FW_CFG_NOGRAPHIC, 0);
    err |= fw_cfg_add_i16(fw, FW_CFG_BOOT_MENU, 0);
    err |= fw_cfg_add_bytes(fw, FW_CFG_UUID, uuid, sizeof(uuid));
    err |= fw_cfg_add_i32(fw, FW_CFG_IRQ0_OVERRIDE, 0);

    /* etc/e820: packed {le64 address, le64 length, le32 type}; 1 = RAM. */
    uint8_t e820[2][20];
    int n = 0;
    uint64_t ranges[2][2] = { { 0, ram_below_4g }, { 1ull << 32, ram_above_4g } };
    for (int i = 0; i < 2; i++) {
        if (!ranges[i][1])
            continue;
        for (int b = 0; b < 8; b++) {
            e820[n][b] = (uint8_t)(ranges[i][0] >> (8 * b));
            e820[n][8 + b] = (uint8_t)(ranges[i][1] >> (8 * b));
        }
        e820[n][16] = 1; e820[n][17] = e820[n][18] = e820[n][19] = 0;
        n++;
    }
    err |= fw_cfg_add_file(fw, "etc/e820", e820, (size_t)n * 20);
    /* No retry after a failed boot (-1), no boot menu. */
    uint8_t wait[4] = { 0xff, 0xff, 0xff, 0xff };
    err |= fw_cfg_add_file(fw, "etc/boot-fail-wait", wait, 4);
    uint8_t no[2] = { 0, 0 };
    err |= fw_cfg_add_file(fw, "etc/show-menu", no, 2);
    return err ? -1 : 0;
}

void fw_cfg_reset(struct fw_cfg *fw)
{
    fw->selector = 0;
    fw->offset = 0;
    fw->dma_high = 0;
}

void fw_cfg_destroy(struct fw_cfg *fw)
{
    for (int i = 0; i < FW_CFG_NUM_FIXED; i++)
        free(fw->fixed[i].data);
    for (int i = 0; i < 8; i++)
        free(fw->arch[i].data);
    for (int i = 0; i < fw->file_count; i++)
        free(fw->file[i].data);
    free(fw->dir);
    memset(fw, 0, sizeof(*fw));
}

int fw_cfg_init(struct fw_cfg *fw, struct io_bus *bus, struct phys_mem *mem)
{
    memset(fw, 0, sizeof(*fw));
    fw->mem = mem;
    /* ID: bit 0 traditional interface, bit 1 DMA. */
    if (fw_cfg_add_bytes(fw, FW_CFG_SIGNATURE, "QEMU", 4) ||
        fw_cfg_add_i32(fw, FW_CFG_ID, 0x3) || rebuild_dir(fw))
        return -1;
    if (io_register(bus, 0x510, 2, fw_cfg_io_read, fw_cfg_io_write, fw) ||
        io_register(bus, 0x514, 1, fw_cfg_io_read, fw_cfg_io_write, fw) ||
        io_register(bus, 0x518, 1, fw_cfg_io_read, fw_cfg_io_write, fw))
        return -1;
    return 0;
}

/* --- saved state (devices/vmstate.h) --- */

/* The items are built from the options (kernel, initrd, tables, files) by
 * machine_init: wiring. What the guest changes is its position in them. */
#define W struct fw_cfg
static const struct vms_field fw_cfg_fields[] = {
    VMS_W(W, fixed), VMS_W(W, arch), VMS_W(W, file), VMS_W(W, file_name), VMS_C(W, file_count),
    VMS_W(W, dir), VMS_C(W, dir_len), VMS(W, selector), VMS(W, offset), VMS(W, dma_high),
    VMS_W(W, mem),
};
#undef W
const struct vms_desc fw_cfg_vmstate = { VMS_DESC(struct fw_cfg, "fw_cfg", 1, fw_cfg_fields) };
