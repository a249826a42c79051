/*
 * fw_cfg.h - QEMU's firmware configuration device, the channel SeaBIOS
 * reads its machine description through: selector port 0x510 (16-bit),
 * data port 0x511, DMA address registers 0x514 (high) / 0x518 (low, write
 * starts the transfer), both big-endian.
 *
 * Spec: QEMU docs/specs/fw_cfg.rst (item keys, file directory layout,
 * FWCfgDmaAccess).  Items are byte blobs owned by the device (copied in).
 */
#ifndef SOFTVM_DEVICES_FW_CFG_H
#define SOFTVM_DEVICES_FW_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct io_bus;
struct phys_mem;

/* Fixed item keys. */
enum {
    FW_CFG_SIGNATURE = 0x00, FW_CFG_ID = 0x01, FW_CFG_UUID = 0x02, FW_CFG_RAM_SIZE = 0x03,
    FW_CFG_NOGRAPHIC = 0x04, FW_CFG_NB_CPUS = 0x05, FW_CFG_MACHINE_ID = 0x06,
    FW_CFG_KERNEL_ADDR = 0x07, FW_CFG_KERNEL_SIZE = 0x08, FW_CFG_KERNEL_CMDLINE = 0x09,
    FW_CFG_INITRD_ADDR = 0x0a, FW_CFG_INITRD_SIZE = 0x0b, FW_CFG_BOOT_DEVICE = 0x0c,
    FW_CFG_NUMA = 0x0d, FW_CFG_BOOT_MENU = 0x0e, FW_CFG_MAX_CPUS = 0x0f,
    FW_CFG_KERNEL_ENTRY = 0x10, FW_CFG_KERNEL_DATA = 0x11, FW_CFG_INITRD_DATA = 0x12,
    FW_CFG_CMDLINE_ADDR = 0x13, FW_CFG_CMDLINE_SIZE = 0x14, FW_CFG_CMDLINE_DATA = 0x15,
    FW_CFG_SETUP_ADDR = 0x16, FW_CFG_SETUP_SIZE = 0x17, FW_CFG_SETUP_DATA = 0x18,
    FW_CFG_FILE_DIR = 0x19,
    FW_CFG_FILE_FIRST = 0x20,
    FW_CFG_IRQ0_OVERRIDE = 0x8002,
};

#define FW_CFG_MAX_FILES 32
#define FW_CFG_NAME_LEN 56
#define FW_CFG_NUM_FIXED 0x20

/* FWCfgDmaAccess.control bits. */
#define FW_CFG_DMA_ERROR  0x01
#define FW_CFG_DMA_READ   0x02
#define FW_CFG_DMA_SKIP   0x04
#define FW_CFG_DMA_SELECT 0x08
#define FW_CFG_DMA_WRITE  0x10

struct fw_cfg_item {
    uint8_t *data;              /* malloc'ed copy, NULL = absent */
    uint32_t len;
};

struct fw_cfg {
    struct fw_cfg_item fixed[FW_CFG_NUM_FIXED];
    struct fw_cfg_item arch[8];                   /* keys 0x8000.. */
    struct fw_cfg_item file[FW_CFG_MAX_FILES];    /* keys 0x20.. */
    char file_name[FW_CFG_MAX_FILES][FW_CFG_NAME_LEN];
    int file_count;
    uint8_t *dir;                                 /* the FILE_DIR blob, rebuilt on add */
    uint32_t dir_len;

    uint16_t selector;
    uint32_t offset;            /* read position in the selected item */
    uint32_t dma_high;
    struct phys_mem *mem;
};

int fw_cfg_init(struct fw_cfg *fw, struct io_bus *bus, struct phys_mem *mem);
void fw_cfg_destroy(struct fw_cfg *fw);
void fw_cfg_reset(struct fw_cfg *fw);
/* Set a fixed item (replaces any previous content). Returns 0 or -1. */
int fw_cfg_add_bytes(struct fw_cfg *fw, uint16_t key, const void *data, size_t len);
int fw_cfg_add_i16(struct fw_cfg *fw, uint16_t key, uint16_t v);   /* little-endian */
int fw_cfg_add_i32(struct fw_cfg *fw, uint16_t key, uint32_t v);
int fw_cfg_add_i64(struct fw_cfg *fw, uint16_t key, uint64_t v);
/* Add (or replace) a named file; it appears in the directory in name order. */
int fw_cfg_add_file(struct fw_cfg *fw, const char *name, const void *data, size_t len);
/* The standard PC items: RAM size, CPUs, etc/e820, boot menu settings. */
int fw_cfg_add_pc_defaults(struct fw_cfg *fw, uint64_t ram_below_4g, uint64_t ram_above_4g,
                           int ncpus);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc fw_cfg_vmstate;

#endif
