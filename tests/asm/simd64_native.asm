; simd64_native.asm - host-side trampoline for the 64-bit-mode SIMD
; differential tests (tests/unit/test_fpu_simd.c, "rex" tests). x86-64 code
; the TEST loads into an executable page of its own process; it never runs
; inside softvm.
;
; void tramp(struct native64_ctx *ctx)   (System V: ctx in rdi)
; Loads the FXSAVE64 image ctx->fx_in (XMM0-15), RFLAGS and the 64-bit GPRs
; rax rcx rdx rsi r8 r9 r10 r11, points rbx at the test memory block and rdi
; 32 bytes into it, calls the instruction under test (copied to offset 0x800
; of the same page, followed by RET), then stores FXSAVE64, the GPRs and
; RFLAGS and leaves the x87/SSE state clean. The instruction may use any of
; the eight GPRs above; rbx, rdi, rsp, r14 and r15 are the trampoline's.
; Layout of native64_ctx (keep in sync with the C side):
;   0 fx_in[512], 512 fx_out[512], 1024 mem (u64), 1032 gpr_in[8] (u64),
;   1096 gpr_out[8] (u64), 1160 rflags_in, 1168 rflags_out, 1176 scratch (u32)
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
    fxrstor64 [r15]
    push qword [r15 + 1160]
    popfq
    mov rax, [r15 + 1032]
    mov rcx, [r15 + 1040]
    mov rdx, [r15 + 1048]
    mov rsi, [r15 + 1056]
    mov r8, [r15 + 1064]
    mov r9, [r15 + 1072]
    mov r10, [r15 + 1080]
    mov r11, [r15 + 1088]
    mov rbx, [r15 + 1024]
    lea rdi, [rbx + 32]
    lea r14, [rel tramp + 0x800]
    call r14
    fxsave64 [r15 + 512]
    mov [r15 + 1096], rax
    mov [r15 + 1104], rcx
    mov [r15 + 1112], rdx
    mov [r15 + 1120], rsi
    mov [r15 + 1128], r8
    mov [r15 + 1136], r9
    mov [r15 + 1144], r10
    mov [r15 + 1152], r11
    pushfq
    pop qword [r15 + 1168]
    fninit
    mov dword [r15 + 1176], 0x1f80
    ldmxcsr [r15 + 1176]
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
