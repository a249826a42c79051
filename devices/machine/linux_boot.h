/*
 * linux_boot.h - direct boot of a Linux bzImage through the 32-bit boot
 * protocol (Linux Documentation/arch/x86/boot.rst): no BIOS runs; softvm
 * plays the boot loader and starts the CPU at the kernel's 32-bit entry.
 */
#ifndef SOFTVM_DEVICES_MACHINE_LINUX_BOOT_H
#define SOFTVM_DEVICES_MACHINE_LINUX_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

/* Where the loader puts its pieces in guest RAM. */
#define LINUX_GDT_ADDR        0x5000u     /* the flat boot GDT */
#define LINUX_BOOT_PARAMS     0x7000u     /* struct boot_params, "the zero page" (4 KiB) */
#define LINUX_CMDLINE_ADDR    0x20000u    /* command line (below 640K, after the zero page) */
#define LINUX_CMDLINE_MAX     0x10000u
#define LINUX_KERNEL_ADDR     0x100000u   /* protected-mode kernel: 1 MiB */

/* The setup-header fields we use (offsets into the image and boot_params). */
#define LH_SETUP_SECTS        0x1f1
#define LH_VID_MODE           0x1fa       /* video mode for the real-mode setup */
#define LH_BOOT_FLAG          0x1fe       /* 0xAA55 */
#define LH_HEADER             0x202       /* "HdrS" */
#define LH_VERSION            0x206
#define LH_TYPE_OF_LOADER     0x210
#define LH_LOADFLAGS          0x211
#define LH_CODE32_START       0x214
#define LH_RAMDISK_IMAGE      0x218
#define LH_RAMDISK_SIZE       0x21c
#define LH_HEAP_END_PTR       0x224
#define LH_CMD_LINE_PTR       0x228
#define LH_INITRD_ADDR_MAX    0x22c
#define LH_KERNEL_ALIGNMENT   0x230
#define LH_RELOCATABLE        0x234
#define LH_CMDLINE_SIZE       0x238
#define LH_PREF_ADDRESS       0x258
#define LH_INIT_SIZE          0x260
#define BP_EXT_RAMDISK_IMAGE  0x0c0
#define BP_EXT_RAMDISK_SIZE   0x0c4
#define BP_EXT_CMD_LINE_PTR   0x0c8
#define BP_E820_ENTRIES       0x1e8
#define BP_E820_TABLE         0x2d0
#define BP_E820_MAX           128

#define LOADFLAG_LOADED_HIGH  0x01
#define LOADFLAG_CAN_USE_HEAP 0x80

/* Through the firmware: the real-mode setup runs at 0x10000 (segment
 * 0x1000) with its heap up to 0xde00 and the stack at 0xe000. */
#define LINUX_FW_SETUP_ADDR   0x10000u
#define LINUX_FW_HEAP_END     0xde00u

/* Does this look like a bzImage ("HdrS" setup header)? */
bool linux_boot_probe(const uint8_t *image, size_t len);

/*
 * Load the bzImage (with m->opt.initrd and m->opt.append) into RAM, build
 * boot_params, and set the CPU at the 32-bit entry. On a bad image prints
 * "softvm: -kernel 'FILE': why" and returns -1.
 */
int linux_boot_load(struct machine *m, const uint8_t *image, size_t len);

/*
 * Boot through SeaBIOS instead: check the image like linux_boot_load, then
 * publish the patched setup, the kernel, the initrd and the command line
 * in fw_cfg with the linuxboot option ROM (rom, rom_len: its assembled
 * image) first in the boot order. Returns 0 or -1 with a clear error.
 */
int linux_boot_via_firmware(struct machine *m, const uint8_t *image, size_t len,
                            const uint8_t *rom, size_t rom_len);

#endif
