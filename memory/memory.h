/*
 * memory.h - the guest physical address map: RAM, ROM, MMIO regions, the
 * A20 gate, code-page tracking and bounds-checked DMA helpers.
 *
 * Physical accesses that are not RAM or ROM go to MMIO callbacks; addresses
 * nobody claims read as all-ones and ignore writes (as on a PC bus).
 * Nothing here lets a guest-chosen address or length reach host memory
 * outside the RAM and ROM allocations.
 */
#ifndef SOFTVM_MEMORY_MEMORY_H
#define SOFTVM_MEMORY_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* MMIO callbacks: size is 1, 2, 4 or 8; addr is the offset into the region. */
struct mmio_ops {
    uint64_t (*read)(void *opaque, uint64_t addr, unsigned size);
    void (*write)(void *opaque, uint64_t addr, uint64_t value, unsigned size);
};

struct phys_mem;   /* defined in memory/physmem.h (private to memory/) */

/* Create the map with ram_size bytes of RAM (below the PCI hole at 0xE0000000,
 * the rest above 4 GiB). Returns NULL with errno set if RAM can't be had. */
struct phys_mem *phys_mem_create(uint64_t ram_size);
void phys_mem_destroy(struct phys_mem *pm);
uint64_t phys_mem_ram_size(const struct phys_mem *pm);

/* Map read-only bytes (copied) at [base, base+len): BIOS, option ROMs. */
int phys_mem_add_rom(struct phys_mem *pm, uint64_t base, const void *data, size_t len);
/* Map an MMIO region; later registrations take priority over RAM. */
int phys_mem_add_mmio(struct phys_mem *pm, uint64_t base, uint64_t len,
                      const struct mmio_ops *ops, void *opaque);

/* Move the MMIO region registered with (ops, opaque) to [base, base+len);
 * len 0 unmaps it (accesses fall through to what lies below). For regions
 * whose address the guest programs (the local APIC base). Returns -1 if no
 * such region exists or the range wraps. */
int phys_mem_move_mmio(struct phys_mem *pm, const struct mmio_ops *ops, void *opaque,
                       uint64_t base, uint64_t len);

/*
 * Device RAM: len bytes (whole pages) of host memory at host, owned by a
 * device (a framebuffer), that the guest reads and writes at RAM speed where
 * it is mapped. Returns a region id >= 0 (unmapped at first), or -1.
 * A mapped region is decoded only where there is no RAM (as a host bridge
 * sends addresses below the top of memory to DRAM, never to PCI) and wins
 * over MMIO regions (the PCI memory window) in that range.
 */
int phys_mem_add_devram(struct phys_mem *pm, uint8_t *host, uint64_t len);
/* Map region id at [base, base + len) or, with mapped false, unmap it (a BAR
 * moved or its decoding was switched off). Cached translations of the old
 * and the new range are dropped from every TLB (the JIT reads the same TLB).
 * A range that would wrap the 64-bit space leaves it unmapped. */
void phys_mem_map_devram(struct phys_mem *pm, int id, uint64_t base, bool mapped);
/* Dirty tracking by 4 KiB page of the region (offsets into it). Guest
 * writes, DMA and phys_devram_set_dirty set the bits; the display takes them
 * with phys_devram_take_dirty, which reports whether any page of
 * [off, off + len) was dirty, clears them and arms the tracking again. */
void phys_devram_set_dirty(struct phys_mem *pm, int id, uint64_t off, uint64_t len);
bool phys_devram_take_dirty(struct phys_mem *pm, int id, uint64_t off, uint64_t len);
/* Copy the dirty bits of the region's pages into out (one bit per page,
 * bit p of byte p/8) and clear them, as phys_devram_take_dirty does.
 * out holds (len / 4096 + 7) / 8 bytes. */
void phys_devram_take_dirty_map(struct phys_mem *pm, int id, uint8_t *out);

/* The A20 gate (port 0x92 and the 8042 output port): when disabled, CPU
 * accesses have physical address bit 20 forced to 0 (wrap at 1 MiB).
 * Enabled at creation. Device DMA is not affected (A20M# is a CPU pin). */
void phys_mem_set_a20(struct phys_mem *pm, bool enabled);
bool phys_mem_a20(const struct phys_mem *pm);

/* i440FX PAM registers (datasheet 3.2.18): for 0xC0000-0xFFFFF, in 16 KiB
 * chunks, whether reads come from RAM (else ROM/bus) and whether writes go
 * to RAM (else they go to the bus: ROM ignores them). mode is the PAM
 * nibble's low two bits: PAM_READ_RAM (RE) | PAM_WRITE_RAM (WE). At creation
 * every chunk is 0: reads from ROM, writes ignored. The host bridge calls,
 * e.g. for PAM0 (0x59) bits 5:4: phys_mem_set_pam(pm, 0xF0000, 0x10000, v >> 4). */
#define PAM_READ_RAM  1u
#define PAM_WRITE_RAM 2u
void phys_mem_set_pam(struct phys_mem *pm, uint32_t base, uint32_t len, unsigned mode);
unsigned phys_mem_pam(const struct phys_mem *pm, uint32_t addr);

/* Plain physical accesses (devices, loaders, page walker). */
uint8_t  phys_read8(struct phys_mem *pm, uint64_t addr);
uint16_t phys_read16(struct phys_mem *pm, uint64_t addr);
uint32_t phys_read32(struct phys_mem *pm, uint64_t addr);
uint64_t phys_read64(struct phys_mem *pm, uint64_t addr);
void phys_write8(struct phys_mem *pm, uint64_t addr, uint8_t v);
void phys_write16(struct phys_mem *pm, uint64_t addr, uint16_t v);
void phys_write32(struct phys_mem *pm, uint64_t addr, uint32_t v);
void phys_write64(struct phys_mem *pm, uint64_t addr, uint64_t v);

/* DMA: copy between guest physical memory and a host buffer. Parts of the
 * range outside RAM behave as the bus does (reads give 0xff, writes dropped).
 * A transfer ends at the top of the 64-bit space: it never wraps to 0.
 * Writes invalidate translated code on the pages they touch.
 * Returns the number of bytes that hit RAM. One transfer is one call: a
 * device that splits a guest-given range into pieces must bound the whole
 * range first (dma_span), or a piece after the top lands at address 0. */
size_t dma_read(struct phys_mem *pm, uint64_t addr, void *buf, size_t len);
size_t dma_write(struct phys_mem *pm, uint64_t addr, const void *buf, size_t len);
/* Like dma_write with len copies of one byte (zero-fill, memset). */
size_t dma_fill(struct phys_mem *pm, uint64_t addr, uint8_t byte, uint64_t len);

/* How much of [addr, addr + len) lies below 2^64: the part a bus transfer
 * of len bytes at addr can reach. */
static inline uint64_t dma_span(uint64_t addr, uint64_t len)
{
    uint64_t room = 0 - addr;           /* bytes up to the top; 0 means all 2^64 */
    return (room == 0 || len <= room) ? len : room;
}

/* Host pointer to len bytes of RAM at addr, or NULL if any of it is not RAM
 * (for loaders and fast paths; never for guest-chosen ranges without a check). */
void *phys_ram_ptr(struct phys_mem *pm, uint64_t addr, size_t len);

/* Host pointer for READING len bytes at addr: RAM or ROM as reads see it now
 * (PAM applied), or NULL if any of it is MMIO/unassigned or the bytes are not
 * contiguous in one host block. For the translator decoding code that runs
 * from ROM or read-only shadow RAM; never write through it. */
const void *phys_read_ptr(struct phys_mem *pm, uint64_t addr, size_t len);

/* Code-page tracking for the translation cache: when a page marked as holding
 * translated code is written (by the CPU or DMA), the hook is called with its
 * physical page address and the mark is cleared. */
void phys_mark_code_page(struct phys_mem *pm, uint64_t page_addr);
void phys_set_code_write_hook(struct phys_mem *pm,
                              void (*hook)(void *opaque, uint64_t page_addr), void *opaque);

/* Saving the machine (devices/vmstate.h): the map's saved state (PAM, A20),
 * the whole RAM block (ram_size bytes: below the PCI hole, then above 4 GiB)
 * for the snapshot stream to save and load, and a hash of the ROM contents
 * (built from the options; a snapshot checks it is restored under the same). */
struct vms_desc;
extern const struct vms_desc phys_mem_vmstate;
uint8_t *phys_mem_ram(struct phys_mem *pm, uint64_t *size);
uint64_t phys_mem_rom_hash(const struct phys_mem *pm);

#endif
