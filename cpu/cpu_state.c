/*
 * cpu_state.c - what of struct cpu is saved (devices/vmstate.h): the
 * architectural registers (SDM Vol. 3A ch. 2), x87/MMX/SSE (Vol. 1 ch. 8-11),
 * the MSRs, the interrupt shadow and NMI blocking, the retired-instruction
 * count. Wiring: the TLB and TB cache (caches, flushed after a load), the
 * exception jmp_buf, the owner and bus pointers, the APIC hooks, tracing.
 * Scratch of the instruction in flight (insn_rip, the fault checkpoint,
 * exc_*) is dead between slices, where snapshots are taken, and may differ
 * between the engines: wiring too, so both engines hash alike.
 */
#include "cpu/cpu.h"

#include "cpu/flags.h"
#include "devices/vmstate.h"
#include "memory/mmu.h"
#include "translator/tb.h"

static const struct vms_field segment_fields[] = {
    VMS(struct segment, base), VMS(struct segment, limit), VMS(struct segment, flags),
    VMS(struct segment, sel),
};
static const struct vms_desc segment_vmstate = {
    VMS_DESC(struct segment, "segment", 1, segment_fields)
};
static const struct vms_field dtable_fields[] = {
    VMS(struct dtable, base), VMS(struct dtable, limit),
};
static const struct vms_desc dtable_vmstate = { VMS_DESC(struct dtable, "dtable", 1, dtable_fields) };

#define F struct fpu_state
static const struct vms_field fpu_fields[] = {
    VMS(F, fcw), VMS(F, fsw), VMS(F, ftw), VMS_A2(F, st), VMS(F, mxcsr), VMS_A2(F, xmm),
    VMS(F, fip), VMS(F, fdp), VMS(F, fcs), VMS(F, fds), VMS(F, fop), VMS(F, ferr),
    VMS_W(F, ferr_hook), VMS_W(F, ferr_opaque),
};
#undef F
static const struct vms_desc fpu_vmstate = { VMS_DESC(struct fpu_state, "fpu", 2, fpu_fields) };

static const struct vms_field sys_fields[] = {
    VMS(struct cpu_sys, db_trap_pending), VMS_W(struct cpu_sys, deliver_ctx),
};
static const struct vms_desc sys_vmstate = { VMS_DESC(struct cpu_sys, "cpu_sys", 1, sys_fields) };

#define M struct cpu_msrs
static const struct vms_field msr_fields[] = {
    VMS(M, sysenter_cs), VMS(M, sysenter_esp), VMS(M, sysenter_eip), VMS(M, star), VMS(M, lstar),
    VMS(M, cstar), VMS(M, fmask), VMS(M, kernel_gs_base), VMS(M, apic_base),
    VMS(M, pat), VMS(M, misc_enable), VMS(M, tsc_offset), VMS(M, tsc_adjust),
    VMS(M, mtrr_def_type), VMS_A(M, mtrr_fixed), VMS_A(M, mtrr_var), VMS(M, tsc_aux),
};
#undef M
static const struct vms_desc msr_vmstate = { VMS_DESC(struct cpu_msrs, "cpu_msrs", 1, msr_fields) };

#define P struct cpu_private
static const struct vms_field priv_fields[] = {
    VMS(P, lf_op), VMS(P, lf_dst), VMS(P, lf_src), VMS(P, lf_res),
    VMS_S(P, fpu, fpu_vmstate), VMS_S(P, sys, sys_vmstate), VMS_S(P, msr, msr_vmstate),
    VMS_W(P, insn_rip), VMS_W(P, insn_rsp), VMS_W(P, saved_rflags), VMS_W(P, saved_lf),
    VMS_W(P, icount_end), VMS_W(P, ckpt_valid), VMS(P, inhibit_irq), VMS(P, inhibit_db),
    VMS_W(P, in_exec), VMS_W(P, sw_int), VMS(P, nmi_blocked), VMS_W(P, tbs),
};
#undef P
static const struct vms_desc priv_vmstate = {
    VMS_DESC(struct cpu_private, "cpu_private", 1, priv_fields)
};

/* Canonical form: the lazy flags folded into EFLAGS (both engines agree on
 * EFLAGS, not necessarily on how they keep it), and no exit/stop request
 * (between slices they mean nothing: the run loop looks at its own flags). */
static void cpu_pre_save(void *obj)
{
    struct cpu *cpu = obj;
    flags_materialize(cpu);
    cpu->priv.lf_dst = cpu->priv.lf_src = cpu->priv.lf_res = 0;   /* unread while LF_NONE */
    cpu_req_clear(cpu, CPU_REQ_EXIT | CPU_REQ_STOP);
}

/* Nothing cached survives a load: translations, decoded blocks. */
static void cpu_post_load(void *obj)
{
    struct cpu *cpu = obj;
    cpu->req &= CPU_REQ_INTR | CPU_REQ_NMI;
    cpu->priv.lf_op = LF_NONE;          /* always so when saved (cpu_pre_save) */
    cpu->cpl &= 3;
    tlb_flush_all(cpu);
    if (cpu->priv.tbs)
        tb_flush_all(cpu);
}

#define C struct cpu
static const struct vms_field cpu_fields[] = {
    VMS_A(C, regs), VMS(C, rip), VMS(C, rflags), VMS_SA(C, seg, segment_vmstate),
    VMS_S(C, ldtr, segment_vmstate), VMS_S(C, tr, segment_vmstate),
    VMS_S(C, gdtr, dtable_vmstate), VMS_S(C, idtr, dtable_vmstate),
    VMS(C, cr0), VMS(C, cr2), VMS(C, cr3), VMS(C, cr4), VMS_A(C, dr), VMS(C, efer), VMS(C, cpl),
    VMS(C, icount), VMS(C, req), VMS_W(C, intr_ack), VMS_W(C, intr_opaque), VMS(C, halted),
    VMS(C, shutdown), VMS_W(C, exc_vector), VMS_W(C, exc_has_error), VMS_W(C, exc_error),
    VMS_S(C, priv, priv_vmstate), VMS_W(C, tlb), VMS_W(C, exc_jmp), VMS_W(C, machine),
    VMS_W(C, mem), VMS_W(C, io), VMS_W(C, clock), VMS_C(C, feat7_ebx), VMS_C(C, feat7_ecx), VMS_C(C, feat_lm),
    VMS_C(C, feat_rdtscp),
    VMS_W(C, apic_ops), VMS_W(C, apic), VMS_W(C, trace_flags), VMS_W(C, trace),
};
#undef C
const struct vms_desc cpu_vmstate = {
    VMS_DESC(struct cpu, "cpu", 1, cpu_fields),
    .pre_save = cpu_pre_save, .post_load = cpu_post_load,
};
