/*
 * mmu.h - the softMMU: linear-address accesses from the CPU, translated
 * through the guest page tables (SDM Vol. 3A ch. 4) and cached in the TLB.
 *
 * Linear addresses come from cpu/ after segmentation (base + offset, limit
 * checked). A failed translation raises #PF through cpu_raise_pf and does not
 * return. Accesses that cross a page are split, and check both pages before
 * writing either.
 */
#ifndef SOFTVM_MEMORY_MMU_H
#define SOFTVM_MEMORY_MMU_H

#include <stdint.h>
#include "cpu/cpu.h"

/* Data accesses with the privilege of the current CPL. */
uint8_t  mmu_read8(struct cpu *cpu, uint32_t lin);
uint16_t mmu_read16(struct cpu *cpu, uint32_t lin);
uint32_t mmu_read32(struct cpu *cpu, uint32_t lin);
uint64_t mmu_read64(struct cpu *cpu, uint32_t lin);
void mmu_write8(struct cpu *cpu, uint32_t lin, uint8_t v);
void mmu_write16(struct cpu *cpu, uint32_t lin, uint16_t v);
void mmu_write32(struct cpu *cpu, uint32_t lin, uint32_t v);
void mmu_write64(struct cpu *cpu, uint32_t lin, uint64_t v);

/* Supervisor accesses regardless of CPL: descriptor tables, TSS, IDT
 * (SDM Vol. 3A 4.6 "implicit supervisor-mode accesses"). */
uint8_t  mmu_read8_sys(struct cpu *cpu, uint32_t lin);
uint16_t mmu_read16_sys(struct cpu *cpu, uint32_t lin);
uint32_t mmu_read32_sys(struct cpu *cpu, uint32_t lin);
void mmu_write8_sys(struct cpu *cpu, uint32_t lin, uint8_t v);
void mmu_write16_sys(struct cpu *cpu, uint32_t lin, uint16_t v);
void mmu_write32_sys(struct cpu *cpu, uint32_t lin, uint32_t v);

/* Instruction fetch (execute permission, NX). */
uint8_t mmu_fetch8(struct cpu *cpu, uint32_t lin);

/* Check a write to [lin, lin+len) would succeed (raising #PF if not) without
 * writing: for instructions that must fault before changing any state. */
void mmu_probe_write(struct cpu *cpu, uint32_t lin, uint32_t len);

/* Translate for the fetcher/translator: physical address of lin for execute. */
uint64_t mmu_translate_exec(struct cpu *cpu, uint32_t lin);
/* Translate without faulting or setting A/D (debugger, tracer): -1 if unmapped. */
int64_t mmu_translate_debug(struct cpu *cpu, uint32_t lin);

/* TLB maintenance (SDM Vol. 3A 4.10.4). */
void tlb_flush_all(struct cpu *cpu);              /* CR0/CR4 paging changes */
void tlb_flush_nonglobal(struct cpu *cpu);        /* MOV to CR3 */
void tlb_flush_page(struct cpu *cpu, uint32_t lin);/* INVLPG */

#endif
