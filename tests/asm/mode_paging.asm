; mode_paging.asm - paging with ring 3: user accesses to a supervisor page
; (#PF with U/S in the error code), then an INT from ring 3 whose ring-0
; stack page is not present: #PF while delivering, #PF again while
; delivering that (-> #DF), and #DF through a task gate into its own task,
; as Linux/i386 handles double faults. Checked by test_cpu_modes.c
; (modes::paging_double_fault).
%include "mode_common.inc"

SUPER_PAGE equ 0x100000             ; mapped supervisor-only
BAD_STACK0 equ 0x3F1000           ; top of an unmapped page: the second INT's ring-0 stack

bits 32
pm_main:
    mov edi, PAGE_TABLE             ; identity map 4 MiB, user pages
    mov eax, 0x007
    mov ecx, 1024
.map:
    stosd
    add eax, 0x1000
    loop .map
    mov dword [PAGE_TABLE + (SUPER_PAGE >> 12) * 4], SUPER_PAGE | 0x003
    mov dword [PAGE_TABLE + ((BAD_STACK0 - 0x1000) >> 12) * 4], 0
    mov dword [PAGE_DIR], PAGE_TABLE | 0x007
    mov eax, PAGE_DIR
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80010000              ; PG, WP
    mov cr0, eax

    ; #DF task: TSS1 with its own stack and our page directory.
    mov dword [TSS1_BASE + 0x1c], PAGE_DIR
    mov dword [TSS1_BASE + 0x20], df_task
    mov dword [TSS1_BASE + 0x24], 2
    mov dword [TSS1_BASE + 0x38], TSS1_STACK
    mov dword [TSS1_BASE + 0x48], DATA0
    mov dword [TSS1_BASE + 0x4c], CODE0
    mov dword [TSS1_BASE + 0x50], DATA0
    mov dword [TSS1_BASE + 0x54], DATA0
    mov dword [IDT_BASE + 8 * 8], TSS1 << 16
    mov dword [IDT_BASE + 8 * 8 + 4], 0x8500
    mov eax, int30_handler
    mov ebx, 0x30
    mov edx, 0xEE00
    call set_gate

    push dword DATA3
    push dword RING3_STACK
    push dword 0x202
    push dword CODE3
    push dword ring3_code
    iret

ring3_code:
    mov ax, DATA3
    mov ds, ax
    mov es, ax
    RESUME_AT .r1
    mov eax, [SUPER_PAGE + 8]       ; #PF: present, read, user
.r1:
    mov eax, [resume]               ; (CR2 is not readable here: report from the handler side)
    RESUME_AT .r2
    mov dword [SUPER_PAGE + 16], 1  ; #PF: present, write, user
.r2:
    int 0x30                        ; works: ring-0 stack mapped
    REPORT 0x00003030
    int 0x30                        ; TSS.ESP0 now unmapped: #PF, #PF, #DF
    REPORT 0x0000DEAD

int30_handler:
    mov eax, cr2
    REPORT_EAX                      ; CR2 of the second user fault
    mov dword [TSS0_BASE + 4], BAD_STACK0   ; the next entry from ring 3 faults
    iret

df_task:
    REPORT 0x0000DF00
    pop eax
    REPORT_EAX                      ; #DF error code: 0
    mov eax, cr2
    REPORT_EAX                      ; the ring-0 stack push that faulted
    movzx eax, word [TSS1_BASE]
    REPORT_EAX                      ; back link: the interrupted task
    mov eax, [TSS0_BASE + 0x4c]
    REPORT_EAX                      ; it was running ring-3 code
    pushfd
    pop eax
    and eax, 0x4000
    REPORT_EAX                      ; nested task
    out PORT_DONE, al
.stop:
    hlt
    jmp .stop
