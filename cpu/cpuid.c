/*
 * cpuid.c - CPUID: an honest description of the virtual CPU. Only features
 * softvm implements are reported; the x87/MMX/SSE/SSE2 bits, which the FPU
 * code owns, sit behind CPUID_FPU_SIMD_FEATURES so they can be withdrawn
 * in one place.
 *
 * Vendor "GenuineIntel", family 6 model 6 stepping 3, as QEMU's qemu32
 * model reports: guests and test suites take their well-travelled Intel
 * paths (an unknown vendor sends some of them down AMD ones), and with the
 * maximum basic leaf 1 there is no architectural PMU to drive. The APIC bit
 * follows IA32_APIC_BASE.EN of the local APIC, when the board has one;
 * TSC-deadline (leaf 1 ECX bit 24) comes with it, and x2APIC (bit 21)
 * when the APIC offers it (-cpu ...,+x2apic). With long mode in the model
 * (cpu->feat_lm: -cpu qemu64, max, +lm) leaf 0x80000001 reports LM,
 * SYSCALL and LAHF_LM, leaf 1 CX16, and leaf 0x80000008 the address widths.
 * RDTSCP (leaf 0x80000001 EDX bit 27) follows cpu->feat_rdtscp.
 *
 * Spec: Intel SDM Vol. 2A CPUID (tables 3-8 to 3-20).
 */
#include <string.h>
#include "cpu/sys_internal.h"

/* Leaf 1 EDX bits (SDM Vol. 2A table 3-11). */
#define F_FPU   (1u << 0)
#define F_DE    (1u << 2)
#define F_PSE   (1u << 3)
#define F_TSC   (1u << 4)
#define F_MSR   (1u << 5)
#define F_PAE   (1u << 6)
#define F_CX8   (1u << 8)
#define F_APIC  (1u << 9)
#define F_SEP   (1u << 11)
#define F_MTRR  (1u << 12)
#define F_PGE   (1u << 13)
#define F_CMOV  (1u << 15)
#define F_PAT   (1u << 16)
#define F_PSE36 (1u << 17)
#define F_MMX   (1u << 23)
#define F_FXSR  (1u << 24)
#define F_SSE   (1u << 25)
#define F_SSE2  (1u << 26)
#define F_NX    (1u << 20)   /* leaf 0x80000001 EDX */
#define F_SYSCALL (1u << 11) /* leaf 0x80000001 EDX: SYSCALL/SYSRET (in 64-bit mode) */
#define F_LM    (1u << 29)   /* leaf 0x80000001 EDX: IA-32e mode */
#define F_RDTSCP (1u << 27)  /* leaf 0x80000001 EDX: RDTSCP and IA32_TSC_AUX */
#define F_LAHF_LM (1u << 0)  /* leaf 0x80000001 ECX: LAHF/SAHF in 64-bit mode */
#define F_CX16  (1u << 13)   /* leaf 1 ECX: CMPXCHG16B */

/* Implemented by cpu/ (integer core, system half) and memory/ (paging: PSE,
 * PSE-36, PAE, PGE, NX all walk in memory/paging.c). */
#define CPUID_CORE_FEATURES (F_DE | F_PSE | F_TSC | F_MSR | F_PAE | F_CX8 | F_SEP | \
                             F_MTRR | F_PGE | F_CMOV | F_PAT | F_PSE36)
/* Implemented by the FPU code: clear bits here if their tests fail. */
#define CPUID_FPU_SIMD_FEATURES (F_FPU | F_MMX | F_FXSR | F_SSE | F_SSE2)

/* Family 6, model 6, stepping 3 (QEMU's qemu32). */
#define CPUID_VERSION ((6u << 8) | (6u << 4) | 3u)

static void put_string(uint32_t out[4], const char *s12_or_16, int words)
{
    memcpy(out, s12_or_16, (size_t)words * 4);
}

void cpu_cpuid(struct cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    static const char brand[48] = "softvm virtual CPU";
    out[0] = out[1] = out[2] = out[3] = 0;   /* EAX EBX ECX EDX */
    switch (leaf) {
    case 0: {
        /* Vendor string in EBX, EDX, ECX order. */
        static const char vendor[12] = { 'G','e','n','u','i','n','e','I','n','t','e','l' };
        out[0] = (cpu->feat7_ebx | cpu->feat7_ecx) ? 7 : 1;   /* leaves 2-6 read 0 */
        memcpy(&out[1], vendor, 4);
        memcpy(&out[3], vendor + 4, 4);
        memcpy(&out[2], vendor + 8, 4);
        return;
    }
    case 1: {
        uint32_t edx = CPUID_CORE_FEATURES | CPUID_FPU_SIMD_FEATURES;
        if (cpu->apic_ops) {
            out[2] |= cpu->apic_ops->cpuid_ecx(cpu->apic);   /* TSC-deadline, x2APIC */
            if (cpu->apic_ops->read_base(cpu->apic) & 0x800)
                edx |= F_APIC;
        }
        if (cpu->feat_lm)
            out[2] |= F_CX16;
        out[0] = CPUID_VERSION;
        out[1] = 1u << 16;   /* one logical processor, APIC ID 0 */
        out[3] = edx;
        return;
    }
    case 7:
        if (!(cpu->feat7_ebx | cpu->feat7_ecx) || subleaf != 0)
            return;
        out[1] = cpu->feat7_ebx;     /* TSC_ADJUST, SMEP, SMAP */
        out[2] = cpu->feat7_ecx;     /* UMIP */
        return;
    case 0x80000000u:
        out[0] = cpu->feat_lm ? 0x80000008u : 0x80000004u;
        return;
    case 0x80000001u:
        out[3] = F_NX | (cpu->feat_lm ? F_LM | F_SYSCALL : 0) | (cpu->feat_rdtscp ? F_RDTSCP : 0);
        out[2] = cpu->feat_lm ? F_LAHF_LM : 0;
        return;
    case 0x80000008u:
        /* linear and physical address widths: 48 and MAXPHYADDR */
        if (cpu->feat_lm)
            out[0] = (48u << 8) | MMU_PHYS_ADDR_BITS;
        return;
    case 0x80000002u: case 0x80000003u: case 0x80000004u:
        put_string(out, brand + 16 * (leaf - 0x80000002u), 4);
        return;
    default:
        return;   /* unknown leaves: all zero */
    }
}
