/*
 * pc_testdev.h - QEMU's "pc-testdev", the ISA test device public test suites
 * (kvm-unit-tests) drive: a 32-bit read-back register at ports 0xE0-0xE3
 * (any width, at any byte of it) and again at 0xE8-0xEB (accessed a byte at
 * a time, same register), a page-flush port at 0xE4, one port per IRQ line
 * at 0x2000-0x2017 (a write drives line n to value != 0), and 64 KiB of
 * memory behind MMIO at 0xFF000000.
 *
 * Spec: what QEMU's hw/misc/pc-testdev.c presents to the guest. The flush
 * port asks a hypervisor to drop its mapping of a page; softvm has none
 * (every access already goes through the guest's tables), so it is a
 * no-op, as under QEMU's TCG.
 */
#ifndef SOFTVM_DEVICES_PC_TESTDEV_H
#define SOFTVM_DEVICES_PC_TESTDEV_H

#include <stdint.h>

struct io_bus;
struct phys_mem;

#define PC_TESTDEV_IOMEM_BASE 0xff000000ull
#define PC_TESTDEV_IOMEM_SIZE 0x10000u

struct pc_testdev {
    uint32_t ioport_data;
    uint8_t iomem[PC_TESTDEV_IOMEM_SIZE];
    struct io_bus *bus;
};

int pc_testdev_init(struct pc_testdev *t, struct io_bus *bus, struct phys_mem *mem);

/* What is saved of it, and what is wiring (devices/vmstate.h). */
struct vms_desc;
extern const struct vms_desc pc_testdev_vmstate;

#endif
