; fpu_native.asm - host-side trampoline for the FPU/SIMD differential tests
; (tests/unit/test_fpu_*.c). This is x86-64 code the TEST loads into an
; executable page of its own process; it never runs inside softvm.
;
; void tramp(struct native_ctx *ctx)   (System V: ctx in rdi)
; Loads the FXSAVE image ctx->fx_in, EFLAGS and GPRs, points rbx and rdi at
; the test memory block (rdi = block + 32), calls the instruction under
; test (copied to offset 0x800 of the same page, followed by RET), then
; stores FXSAVE, GPRs and EFLAGS and leaves the x87/SSE state clean.
; Layout of native_ctx (keep in sync with the C side):
;   0 fx_in[512], 512 fx_out[512], 1024 mem (u64), 1032 gpr_in[8] (u32),
;   1064 gpr_out[8] (u32), 1096 eflags_in (u64), 1104 eflags_out (u64),
;   1112 scratch (u32)
bits 64
org 0
tramp:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    mov r15, rdi
    fxrstor [r15]
    push qword [r15 + 1096]
    popfq
    mov eax, [r15 + 1032]
    mov ecx, [r15 + 1036]
    mov edx, [r15 + 1040]
    mov ebp, [r15 + 1052]
    mov esi, [r15 + 1056]
    mov rbx, [r15 + 1024]
    lea rdi, [rbx + 32]
    lea r14, [rel tramp + 0x800]
    call r14
    fxsave [r15 + 512]
    mov [r15 + 1064], eax
    mov [r15 + 1068], ecx
    mov [r15 + 1072], edx
    mov [r15 + 1076], ebx
    mov [r15 + 1084], ebp
    mov [r15 + 1088], esi
    mov [r15 + 1092], edi
    pushfq
    pop qword [r15 + 1104]
    fninit
    mov dword [r15 + 1112], 0x1f80
    ldmxcsr [r15 + 1112]
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
