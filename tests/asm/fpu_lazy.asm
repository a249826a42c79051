; fpu_lazy.asm - real-mode guest program for test_fpu_exc.c: the lazy FPU
; switch pattern (CR0.TS -> #NM -> handler does CLTS and IRET, the
; instruction runs again) and a deferred #MF (unmasked divide by zero,
; reported at the next FWAIT, handler does FNCLEX and IRET).
; Results at fixed addresses: 0x500 #NM count, 0x502 #MF count,
; 0x504 IP pushed by #MF, 0x506 address of the FWAIT, 0x508 FSW seen in
; the #MF handler, 0x50A the quotient stored after recovery (float).
bits 16
org 0x1000
start:
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x8000
    mov word [7 * 4], nm_handler
    mov word [7 * 4 + 2], 0
    mov word [16 * 4], mf_handler
    mov word [16 * 4 + 2], 0
    mov word [0x506], wait_here
    mov eax, cr0
    or eax, 0x2a                ; MP | TS | NE
    mov cr0, eax
    fninit                      ; #NM: TS is set
    fld1
    fldz
    fnstcw [cw]
    and word [cw], 0xfffb       ; unmask #Z
    fldcw [cw]
    fdiv st1, st0               ; 1 / 0: #Z pending, ST(1) unchanged
wait_here:
    fwait                       ; #MF here
    fstp st0
    fstp dword [0x50a]          ; the 1.0 that was not divided
    hlt

nm_handler:
    inc word [0x500]
    clts
    iret

mf_handler:
    inc word [0x502]
    mov bp, sp
    mov ax, [bp]
    mov [0x504], ax
    fnstsw [0x508]
    fnclex
    iret

cw: dw 0
