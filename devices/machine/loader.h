/*
 * loader.h - helpers shared by the boot paths (firmware, Linux, Multiboot):
 * reading an image file with clear errors, and putting the CPU straight into
 * flat 32-bit protected mode, as a boot loader leaves it.
 */
#ifndef SOFTVM_DEVICES_MACHINE_LOADER_H
#define SOFTVM_DEVICES_MACHINE_LOADER_H

#include <stddef.h>
#include <stdint.h>

struct machine;
struct cpu;
struct phys_mem;

/*
 * Read the whole file. `what` is the option it came from ("-kernel"), used
 * in the error: "softvm: -kernel 'vmlinuz': No such file or directory".
 * Only regular files are read ("not a regular file", checked without
 * blocking, so a FIFO is refused rather than waited on). Files larger than
 * max_len are refused ("too large ..."). Empty files too.
 * On success *data is malloc'ed (caller frees). Returns 0 or -1.
 */
int loader_read_file(const char *what, const char *path, size_t max_len,
                     uint8_t **data, size_t *len);
/* The size of a regular file, with loader_read_file's checks and messages
 * (a FIFO, directory or device is "not a regular file"; nothing blocks). */
int loader_file_size(const char *what, const char *path, uint64_t *size);

/* Copy bytes into guest RAM; fails (returns -1) if any of it is not RAM. */
int loader_copy_to_ram(struct phys_mem *pm, uint64_t addr, const void *src, size_t len);
/* Zero guest RAM; same check. */
int loader_zero_ram(struct phys_mem *pm, uint64_t addr, size_t len);

/* Selectors of the flat GDT the loaders install (the Linux 32-bit boot
 * protocol requires exactly these: __BOOT_CS and __BOOT_DS). */
#define LOADER_CS 0x10
#define LOADER_DS 0x18
#define LOADER_GDT_SIZE 32     /* four 8-byte descriptors */

/*
 * Write a GDT with a flat 4 GiB ring-0 code segment (0x10) and data segment
 * (0x18) at gdt_addr in RAM, load GDTR with it, and set the CPU to 32-bit
 * protected mode (CR0.PE, paging off) with CS = 0x10, DS/ES/FS/GS/SS = 0x18,
 * interrupts off, EIP = entry, every general register 0.
 */
int loader_enter_flat32(struct machine *m, uint32_t gdt_addr, uint32_t entry);

#endif
