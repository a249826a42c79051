/*
 * multiboot.h - Multiboot v1 kernels (ELF, or flat with the a.out kludge):
 * the loader finds the header in the first 8 KiB, loads the segments, builds
 * the multiboot information and enters the kernel in flat protected mode
 * with EAX = 0x2BADB002, EBX = the information's address.
 *
 * Spec: The Multiboot Specification version 0.6.96, sections 3.1-3.3.
 */
#ifndef SOFTVM_DEVICES_MACHINE_MULTIBOOT_H
#define SOFTVM_DEVICES_MACHINE_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

#define MULTIBOOT_HEADER_MAGIC   0x1BADB002u
#define MULTIBOOT_LOADER_MAGIC   0x2BADB002u
#define MULTIBOOT_SEARCH         8192

/* Header flags (bits 0-15 are requirements the loader must meet). */
#define MB_FLAG_PAGE_ALIGN       0x00000001u   /* modules on 4 KiB boundaries */
#define MB_FLAG_MEMORY_INFO      0x00000002u   /* mem_* and mmap_* wanted */
#define MB_FLAG_VIDEO_MODE       0x00000004u   /* a graphics mode wanted */
#define MB_FLAG_AOUT_KLUDGE      0x00010000u   /* load addresses are in the header */

/* Information flags (what the loader filled in). */
#define MBI_MEMORY               0x00000001u
#define MBI_CMDLINE              0x00000004u
#define MBI_MODS                 0x00000008u
#define MBI_MMAP                 0x00000040u
#define MBI_LOADER_NAME          0x00000200u

/* Where the loader puts its own structures in guest RAM: one area, by default
 * at MB_GDT_ADDR (below 640K); when the kernel's segments cover any of it,
 * the whole area moves to the first free page after the kernel (as QEMU
 * puts its information after the image). The MB_* addresses below are the
 * default placement; the offsets inside the area never change. */
#define MB_GDT_ADDR              0x5000u
#define MB_INFO_ADDR             0x9000u   /* struct multiboot_info (88 bytes) */
#define MB_MMAP_ADDR             0x9100u
#define MB_MODS_ADDR             0x9400u   /* module list: 16 bytes each */
#define MB_MAX_MODS              32
#define MB_STRINGS_ADDR          0xA000u   /* command line, module strings, loader name */
#define MB_STRINGS_END           0x20000u
#define MB_AREA_SIZE             (MB_STRINGS_END - MB_GDT_ADDR)

/* Offset of a valid multiboot header in the first 8 KiB, or -1. */
long multiboot_find_header(const uint8_t *image, size_t len);

/* Load it (modules from m->opt.initrd, comma-separated "path args"; command
 * line m->opt.append). Prints a clear error and returns -1 on a bad image. */
int multiboot_load(struct machine *m, const uint8_t *image, size_t len);

#endif
