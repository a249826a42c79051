; mode_ring3.asm - to ring 3 by IRET, privileged instructions and a denied
; I/O port faulting there, back to ring 0 through a call gate (with a
; parameter and the stack switch), an interrupt gate, and SYSENTER/SYSEXIT.
; Checked by test_cpu_modes.c (modes::ring3).
%include "mode_common.inc"

bits 32
pm_main:
    mov eax, int30_handler          ; INT 30h: DPL 3 interrupt gate
    mov ebx, 0x30
    mov edx, 0xEE00
    call set_gate
    mov eax, leave_ring3            ; INT 31h: DPL 3, never returns
    mov ebx, 0x31
    call set_gate
    mov ecx, 0x174                  ; SYSENTER_CS/ESP/EIP
    mov eax, CODE0
    xor edx, edx
    wrmsr
    mov ecx, 0x175
    mov eax, RING0_STACK
    wrmsr
    mov ecx, 0x176
    mov eax, sysenter_target
    wrmsr
    mov [saved_esp], esp

    push dword DATA3                ; IRET to ring 3 (IF=1, IOPL 0)
    push dword RING3_STACK
    push dword 0x202
    push dword CODE3
    push dword ring3_code
    iret

ring3_code:
    mov eax, ds                     ; DS (DPL 0) was nulled by the return to ring 3
    REPORT_EAX
    mov ax, DATA3
    mov ds, ax
    mov es, ax
    mov eax, cs
    and eax, 3
    REPORT_EAX                      ; CPL 3
    mov eax, ss
    REPORT_EAX
    mov eax, esp
    REPORT_EAX

    RESUME_AT .r1
    cli                             ; #GP(0): CPL > IOPL
.r1:
    RESUME_AT .r2
    out 0x80, al                    ; #GP(0): denied by the TSS I/O bitmap
.r2:
    RESUME_AT .r3
    hlt                             ; #GP(0)
.r3:
    RESUME_AT .r4
    mov eax, cr0                    ; #GP(0)
.r4:
    RESUME_AT .r5
    mov ax, DATA0                   ; #GP(0x10): DPL 0 data
    mov fs, ax
.r5:
    RESUME_AT .r6
    int 0x20                        ; #GP(0x20*8+2): gate DPL 0 < CPL 3
.r6:
    xor eax, eax                    ; SMSW is allowed at CPL 3 (CR4.UMIP clear)
    smsw ax
    REPORT_EAX
    mov word [smsw_word], 0xffff
    smsw [smsw_word]
    movzx eax, word [smsw_word]
    REPORT_EAX

    push dword 0xABCD1234           ; far call through the call gate
    call CGATE:0
    mov eax, esp
    REPORT_EAX                      ; RETF 4 released the parameter
    mov eax, cs
    and eax, 3
    REPORT_EAX

    int 0x30
    REPORT 0x00003030

    mov ecx, esp                    ; SYSENTER, and SYSEXIT back here
    mov edx, .after_sysexit
    sysenter
.after_sysexit:
    mov eax, cs
    REPORT_EAX
    mov eax, ss
    REPORT_EAX
    mov eax, esp
    REPORT_EAX

    int 0x31

; [esp] EIP, [esp+4] CS, [esp+8] EFLAGS, [esp+12] ESP, [esp+16] SS
int30_handler:
    push eax
    mov eax, cs
    and eax, 3
    REPORT_EAX
    mov eax, [esp + 8]
    REPORT_EAX
    mov eax, [esp + 12]
    and eax, 0x200
    REPORT_EAX                      ; IF was set in ring 3
    pushfd
    pop eax
    and eax, 0x200
    REPORT_EAX                      ; interrupt gate cleared IF
    mov eax, [esp + 16]
    REPORT_EAX
    mov eax, [esp + 20]
    REPORT_EAX
    mov eax, esp
    REPORT_EAX
    pop eax
    iret

sysenter_target:
    mov eax, cs
    REPORT_EAX
    mov eax, esp
    REPORT_EAX
    sysexit

leave_ring3:
    mov ax, DATA0
    mov ds, ax
    mov es, ax
    mov esp, [saved_esp]
    REPORT 0x0000BACC
    ret

align 4
saved_esp: dd 0
smsw_word: dw 0
