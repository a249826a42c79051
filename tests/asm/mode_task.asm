; mode_task.asm - hardware task switches: far JMP to a TSS and back, CALL
; through a task gate and IRET back over the NT back link, INT through a
; task gate, and #GP delivered through a task gate with its error code on
; the new task's stack. Checked by test_cpu_modes.c (modes::tasks).
%include "mode_common.inc"

%macro REPORT_TYPE 1                ; descriptor type of a GDT entry (9 free, 11 busy)
    movzx eax, byte [gdt + %1 + 5]
    and eax, 0xf
    REPORT_EAX
%endmacro

%macro REPORT_NT 0
    pushfd
    pop eax
    and eax, 0x4000
    REPORT_EAX
%endmacro

bits 32
pm_main:
    mov dword [TSS1_BASE + 0x20], task1
    mov dword [TSS1_BASE + 0x24], 2
    mov dword [TSS1_BASE + 0x28], 0x11111111   ; EAX
    mov dword [TSS1_BASE + 0x38], TSS1_STACK   ; ESP
    mov dword [TSS1_BASE + 0x48], DATA0        ; ES
    mov dword [TSS1_BASE + 0x4c], CODE0        ; CS
    mov dword [TSS1_BASE + 0x50], DATA0        ; SS
    mov dword [TSS1_BASE + 0x54], DATA0        ; DS
    mov dword [IDT_BASE + 0x40 * 8], TSS1 << 16  ; INT 40h: task gate
    mov dword [IDT_BASE + 0x40 * 8 + 4], 0x8500

    mov ebx, 0x22222222
    jmp TSS1:0
    REPORT 0x00000A01
    mov eax, ebx
    REPORT_EAX                      ; our EBX came back from TSS0
    str ax
    movzx eax, ax
    REPORT_EAX
    REPORT_TYPE TSS1

    call TGATE:0
    REPORT 0x00000A02
    REPORT_NT
    REPORT_TYPE TSS1

    int 0x40
    REPORT 0x00000A03

    mov dword [IDT_BASE + 13 * 8], TSS1 << 16    ; #GP: task gate
    mov dword [IDT_BASE + 13 * 8 + 4], 0x8500
    RESUME_AT .after_gp
    mov ax, 0x0ff8
    mov ds, ax
.after_gp:
    REPORT 0x00000A04
    ret

task1:                              ; first entry: by JMP
    REPORT_EAX                      ; EAX from TSS1
    REPORT 0x00000B01
    str ax
    movzx eax, ax
    REPORT_EAX
    REPORT_NT
    REPORT_TYPE TSS0
    mov ebx, 0x33333333
    jmp TSS0:0
                                    ; second entry: CALL through the task gate
    REPORT 0x00000B02
    REPORT_NT
    movzx eax, word [TSS1_BASE]
    REPORT_EAX                      ; back link
    REPORT_TYPE TSS0
    iret
                                    ; third entry: INT 40h
    REPORT 0x00000B03
    REPORT_NT
    iret
                                    ; fourth entry: #GP with its error code
    REPORT 0x00000B04
    pop eax
    REPORT_EAX
    mov eax, [resume]               ; return past the faulting instruction
    mov [TSS0_BASE + 0x20], eax
    iret
