/*
 * support_cpu.h - a CPU-only test machine for the interpreter tests: RAM, an
 * I/O bus with nothing on it, one CPU (no devices, no clock).
 */
#ifndef SOFTVM_TESTS_SUPPORT_CPU_H
#define SOFTVM_TESTS_SUPPORT_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cpu/cpu.h"
#include "devices/iobus.h"
#include "memory/memory.h"

struct support_cpu {
    struct phys_mem *mem;
    struct io_bus *io;
    struct cpu *cpu;
    uint8_t *vga_ram;       /* support_cpu_plain_low_mb: RAM behind 0xA0000-0xBFFFF */
};

/* SOFTVM_TEST_ACCEL=jit in the environment: support_cpu_create gives the
 * CPU the JIT (ctest runs the CPU tests once per engine). */
bool support_cpu_want_jit(void);
/* RAM of ram_size bytes, A20 on, CPU in real mode with CS=DS=ES=SS=0,
 * EIP=0, ESP=0xfffe. Returns NULL if memory can't be had. */
struct support_cpu *support_cpu_create(uint64_t ram_size);
void support_cpu_destroy(struct support_cpu *m);
/* Copy bytes into guest physical memory. */
void support_cpu_load(struct support_cpu *m, uint64_t addr, const void *data, size_t len);
/* Flat 32-bit protected mode without descriptor tables: every segment
 * cache base 0, limit 4 GiB, CPL 0 (paging off). */
void support_cpu_flat32(struct support_cpu *m);
/* The same, then 64-bit mode: long mode in the model, EFER.LME/LMA and CS.L
 * (paging stays off; enough for instructions that do not walk tables). */
void support_cpu_flat64(struct support_cpu *m);
/* Make all of the first MB plain RAM: PAM to read/write RAM for
 * 0xC0000-0xFFFFF and a RAM-like MMIO region over the VGA hole. */
void support_cpu_plain_low_mb(struct support_cpu *m);
/* Run until HLT (or budget); returns the exit reason. */
enum cpu_exit support_cpu_run(struct support_cpu *m, uint64_t budget);

#endif
