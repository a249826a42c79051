/*
 * tlb.h - the softMMU translation cache embedded in struct cpu.
 * Owned by memory/ (see mmu.h for how it is used).
 */
#ifndef SOFTVM_MEMORY_TLB_H
#define SOFTVM_MEMORY_TLB_H

#include <stdint.h>

#define TLB_BITS 8
#define TLB_SIZE (1u << TLB_BITS)

struct tlb_entry {
    uint32_t tag;       /* linear page number | flags; invalid when it can never match */
    uintptr_t addend;   /* host pointer = linear address + addend (fast path) */
};

struct tlb {
    struct tlb_entry read[TLB_SIZE], write[TLB_SIZE], exec[TLB_SIZE];
};

#endif
