; mode_v86.asm - virtual-8086 mode: IRET into a v86 task with IOPL 0 (CLI,
; INT n and PUSHF fault with #GP(0), I/O goes by the TSS bitmap, INT3 leaves
; through a DPL 3 gate with the v86 segment registers on the ring-0 stack),
; then with IOPL 3 (PUSHF works, INT n runs a ring-0 handler that IRETs back
; into v86). Checked by test_cpu_modes.c (modes::v86).
%include "mode_common.inc"

%macro V86_RESUME_AT 1              ; DS is a v86 segment: address through CS (base 0)
    mov dword [cs:resume], %1
%endmacro

%macro ENTER_V86 2                  ; EFLAGS, entry point
    push dword 0                    ; GS
    push dword 0                    ; FS
    push dword 0x0300               ; DS
    push dword 0                    ; ES
    push dword 0x0600               ; SS
    push dword 0x0ffe               ; ESP
    push dword %1
    push dword 0                    ; CS
    push dword %2
    iret
%endmacro

bits 32
pm_main:
    mov edx, 0xEE00                 ; DPL 3 interrupt gates
    mov eax, v86_exit
    mov ebx, 3
    call set_gate
    mov eax, v86_service
    mov ebx, 0x31
    call set_gate
    mov eax, v86_exit2
    mov ebx, 0x32
    call set_gate
    mov [saved_esp], esp
    ENTER_V86 0x00020002, v86_code1   ; VM, IOPL 0

bits 16
v86_code1:
    REPORT 0x00008601
    mov word [0x10], 0xBEEF         ; DS = 0x300: linear 0x3010
    V86_RESUME_AT .r1
    cli
.r1:
    V86_RESUME_AT .r2
    int 0x31
.r2:
    V86_RESUME_AT .r3
    pushf
.r3:
    int3

bits 32
; From v86: [esp] EIP, +4 CS, +8 EFLAGS, +12 ESP, +16 SS, +20 ES, +24 DS, +28 FS, +32 GS
v86_exit:
    mov eax, [esp + 8]
    and eax, 0x20000
    REPORT_EAX
    mov eax, [esp + 24]
    REPORT_EAX
    mov eax, [esp + 16]
    REPORT_EAX
    mov eax, [esp + 12]
    REPORT_EAX
    mov eax, ds                     ; nulled on the way out of v86
    REPORT_EAX
    mov eax, cs
    REPORT_EAX
    mov ax, DATA0
    mov ds, ax
    mov es, ax
    movzx eax, word [0x3010]
    REPORT_EAX
    mov esp, [saved_esp]
    ENTER_V86 0x00023002, v86_code2   ; VM, IOPL 3

bits 16
v86_code2:
    pushf
    pop ax
    movzx eax, ax
    REPORT_EAX
    mov eax, 0x1234
    int 0x31
    REPORT_EAX                      ; the handler incremented EAX
    mov ax, ds
    movzx eax, ax
    REPORT_EAX                      ; DS back after the IRET to v86
    int 0x32

bits 32
v86_service:
    push eax
    mov eax, [esp + 8]
    REPORT_EAX                      ; CS of the v86 code
    mov eax, [esp + 12]
    and eax, 0x20000
    REPORT_EAX
    pop eax
    inc eax
    iret

v86_exit2:
    mov ax, DATA0
    mov ds, ax
    mov es, ax
    mov esp, [saved_esp]
    REPORT 0x00008699
    ret

align 4
saved_esp: dd 0
