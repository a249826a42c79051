/*
 * sys_internal.h - helpers shared by the system half of the CPU (seg.c,
 * transfer.c, interrupt.c, task.c): raw descriptors, descriptor-table
 * lookups and stack pushes/pops with an explicit stack segment (so a far
 * call or an interrupt can build a frame on a new stack before committing
 * any register).
 *
 * Spec: Intel SDM Vol. 3A 3.4.5 (segment descriptors), 3.5 (system
 * descriptor types), 5.8 (gates), 6.12 (interrupt stack frames).
 */
#ifndef SOFTVM_CPU_SYS_INTERNAL_H
#define SOFTVM_CPU_SYS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "cpu/system.h"
#include "memory/mmu.h"

/* A raw 8-byte descriptor as it sits in the GDT/LDT/IDT. */
struct desc {
    uint32_t lo, hi;
};

static inline uint32_t desc_base(struct desc d)
{
    return (d.lo >> 16) | ((d.hi & 0xff) << 16) | (d.hi & 0xff000000u);
}
/* Byte-granular limit (G=1 scales by 4 KiB and fills the low 12 bits). */
static inline uint32_t desc_limit(struct desc d)
{
    uint32_t l = (d.lo & 0xffff) | (d.hi & 0xf0000);
    return (d.hi & 0x00800000u) ? (l << 12) | 0xfff : l;
}
/* The struct segment flags layout: high dword bits 8..23 minus the limit nibble. */
static inline uint32_t desc_flags(struct desc d) { return (d.hi >> 8) & 0xf0ff; }
static inline unsigned desc_type(struct desc d) { return (d.hi >> 8) & 0xf; }
static inline unsigned desc_dpl(struct desc d) { return (d.hi >> 13) & 3; }
static inline bool desc_present(struct desc d) { return d.hi & 0x8000; }
static inline bool desc_is_seg(struct desc d) { return d.hi & 0x1000; }        /* S=1 */
static inline bool desc_is_code(struct desc d) { return desc_is_seg(d) && (d.hi & 0x800); }
static inline bool desc_is_data(struct desc d) { return desc_is_seg(d) && !(d.hi & 0x800); }
static inline bool desc_conforming(struct desc d) { return desc_is_code(d) && (d.hi & 0x400); }
static inline bool desc_readable(struct desc d) { return desc_is_data(d) || (d.hi & 0x200); }
static inline bool desc_writable_data(struct desc d) { return desc_is_data(d) && (d.hi & 0x200); }
/* Gates: selector and offset (16-bit gates only use the low 16 bits). */
static inline uint16_t gate_sel(struct desc d) { return d.lo >> 16; }
static inline uint32_t gate_offset(struct desc d)
{
    uint32_t off = d.lo & 0xffff;
    if (desc_type(d) & 8)
        off |= d.hi & 0xffff0000u;
    return off;
}

/* System descriptor types (S=0), SDM Vol. 3A table 3-2. */
enum {
    SYS_TSS16_AVAIL = 1, SYS_LDT = 2, SYS_TSS16_BUSY = 3, SYS_CALLGATE16 = 4,
    SYS_TASKGATE = 5, SYS_INTGATE16 = 6, SYS_TRAPGATE16 = 7,
    SYS_TSS32_AVAIL = 9, SYS_TSS32_BUSY = 11, SYS_CALLGATE32 = 12,
    SYS_INTGATE32 = 14, SYS_TRAPGATE32 = 15,
};

/* Linear address of sel's descriptor, or false when it lies outside the
 * GDT/LDT limit (or TI=1 with no LDT). Null selectors are the caller's job. */
bool desc_addr(struct cpu *cpu, uint16_t sel, uint64_t *addr);
bool desc_fetch(struct cpu *cpu, uint16_t sel, struct desc *d);
/* Set the accessed bit of a code/data descriptor in memory (and in *d). */
void desc_set_accessed(struct cpu *cpu, uint16_t sel, struct desc *d);
/* Fill a segment register cache from a descriptor. */
void seg_set_cache(struct segment *s, uint16_t sel, struct desc d);
/* A null selector in DS/ES/FS/GS/SS: unusable until reloaded. */
void seg_set_null(struct segment *s, uint16_t sel);
/* Virtual-8086 segment: base sel*16, limit 64 KiB, DPL 3 read/write data. */
void seg_set_vm86(struct segment *s, uint16_t sel);
/* After a return to an outer level: null DS/ES/FS/GS the new CPL may not use
 * (SDM Vol. 3A 5.8.6, RET/IRET pseudocode). */
void seg_invalidate_outer(struct cpu *cpu);
/* Protected-mode SS/data segment checks against an explicit CPL, raising the
 * given vector (#GP for MOV/POP, #TS for task switches) with sel's code. */
void seg_check_load_ss(struct cpu *cpu, uint16_t sel, int cpl, int vector,
                       uint32_t ext, struct desc *out);
void seg_check_load_data(struct cpu *cpu, int sreg, uint16_t sel, int cpl,
                         int vector, uint32_t ext);

/* A stack being built or unwound before it is committed to SS:ESP. */
struct stack {
    struct segment ss;  /* the stack segment's cache */
    uint32_t esp;
    bool sys;           /* supervisor accesses (new stack of an inner level) */
    uint32_t err;       /* #SS error code when the frame does not fit */
};
void stack_current(struct cpu *cpu, struct stack *st);
void stack_push(struct cpu *cpu, struct stack *st, uint32_t v, int size);
uint32_t stack_pop(struct cpu *cpu, struct stack *st, int size);
/* Read size bytes at ESP+off without popping (call-gate parameter copy). */
uint32_t stack_peek(struct cpu *cpu, const struct stack *st, uint32_t off, int size);
/* Store st's SS:ESP back into the CPU. */
void stack_commit(struct cpu *cpu, const struct stack *st);

/* Load CS from a checked code descriptor at privilege cpl. */
void load_cs(struct cpu *cpu, uint16_t sel, struct desc d, int cpl);

/* Read the inner-level stack pointer SS:ESP for `cpl` from the current TSS. */
void tss_inner_stack(struct cpu *cpu, int cpl, uint16_t *ss, uint32_t *esp, uint32_t ext);

/* The TSS a task gate names (JMP, CALL, INT n, exceptions, interrupts):
 * an available TSS in the GDT, else #GP/#NP(sel | ext) (transfer.c). */
struct desc fetch_task_gate_tss(struct cpu *cpu, uint16_t tss_sel, uint32_t ext);

/* Far-transfer checks shared with long_mode.c (transfer.c): a code segment
 * named by JMP/CALL, and the CS a RET/IRET returns to. */
void check_direct_code(struct cpu *cpu, uint16_t sel, struct desc d);
struct desc check_return_cs(struct cpu *cpu, uint16_t cs);
/* IA-32e mode (long_mode.c): delivery through 64-bit gates, IRET, far
 * transfers from 64-bit code. */
void deliver_long(struct cpu *cpu, int vector, enum int_kind kind, bool has_error,
                  uint32_t error_code, uint64_t return_rip);
void long_iret(struct cpu *cpu, int opsize);
void long_far_ret(struct cpu *cpu, int opsize, uint16_t pop_bytes);
void long_far_transfer(struct cpu *cpu, uint16_t sel, uint64_t off, int opsize,
                       uint64_t next_rip, bool call);
/* Hardware task switch (task.c). */
enum task_reason { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT };
void task_switch(struct cpu *cpu, uint16_t sel, struct desc d, enum task_reason why,
                 uint32_t next_eip, bool has_error, uint32_t error_code, uint32_t ext);

/* A task switch passed its commit point: later faults are the new task's
 * (moves the rollback points of cpu_exec and of a delivery in progress). */
void sys_task_committed(struct cpu *cpu);

static inline uint32_t cpu_iopl(struct cpu *cpu) { return (cpu->rflags >> 12) & 3; }

#endif
