; mode_long.asm - real -> protected -> IA-32e mode and back: 4-level paging
; (2 MiB and 1 GiB pages), EFER.LME/LMA, the far jump into 64-bit code, REX
; and 64-bit operands, RIP-relative addressing, 64-bit IDT gates (#GP for a
; non-canonical address, #SS through RBP, #PF, #UD for an opcode 64-bit mode
; removed, INT n with the 16-byte frame alignment, an IST stack),
; CMPXCHG16B, SWAPGS with the GS base MSRs, SYSRET to ring 3 and SYSCALL
; back, then RETFQ to compatibility mode (where 40 is INC again) and paging
; off, which leaves IA-32e mode. Checked by test_cpu_modes.c (modes::long_mode);
; the expected values come from the SDM (Vol. 3A 9.8.5, 6.14, 5.8.8).
%include "mode_common.inc"

PML4     equ 0x40000
PDPT     equ 0x41000
PD       equ 0x42000
PDPT_HI  equ 0x43000
NEWGDT   equ 0x44000
IDT64    equ 0x45000
TSS64    equ 0x46000
RSP0_64  equ 0x4C000
IST1_TOP equ 0x50000
STACK64  equ 0x3F000
USTACK   equ 0x3E000
HIGH_ALIAS equ 0xFFFFFFFF80000000   ; PML4 511, PDPT 510: a 1 GiB page at physical 0

; Selectors after the common ones (0x00-0x60).
KCODE64 equ 0x68
KDATA   equ 0x70
UCODE32 equ 0x78 | 3
UDATA   equ 0x80 | 3
UCODE64 equ 0x88 | 3
TSS64S  equ 0x90

%macro REPORT64 1
    push rax
    mov eax, %1
    out PORT_LOG, eax
    pop rax
%endmacro

bits 32
pm_main:
    mov edi, PML4                   ; four zeroed tables
    xor eax, eax
    mov ecx, 4 * 1024
    rep stosd
    mov dword [PML4], PDPT | 7
    mov dword [PML4 + 511 * 8], PDPT_HI | 7
    mov dword [PDPT], PD | 7
    mov dword [PD], 0x000000 | 0x87          ; 2 MiB pages, user, writable
    mov dword [PD + 8], 0x200000 | 0x87
    mov dword [PD + 16], 0x400000 | 0x87
    mov dword [PD + 24], 0x600000 | 0x87
    mov dword [PDPT_HI + 510 * 8], 0x87      ; 1 GiB page

    mov esi, gdt                    ; the common GDT, then the 64-bit descriptors
    mov edi, NEWGDT
    mov ecx, 0x68 / 4
    rep movsd
    mov esi, gdt64_extra
    mov ecx, (gdt64_extra_end - gdt64_extra) / 4
    rep movsd
    lgdt [newgdt_desc]

    mov eax, stub6
    mov ebx, 6
    mov edx, 0x8E00
    call set_gate64
    mov eax, stub12
    mov ebx, 12
    call set_gate64
    mov eax, stub13
    mov ebx, 13
    call set_gate64
    mov eax, stub14
    mov ebx, 14
    call set_gate64
    mov eax, int40
    mov ebx, 0x40
    call set_gate64
    mov eax, int41
    mov ebx, 0x41
    mov edx, 0x8E01                 ; IST 1
    call set_gate64
    lidt [idt64_desc]
    mov dword [TSS64 + 4], RSP0_64
    mov dword [TSS64 + 0x24], IST1_TOP
    mov word [TSS64 + 0x66], 0x68   ; I/O map base past the limit: no bitmap

    mov eax, cr4
    or eax, 0x20                    ; PAE
    mov cr4, eax
    mov eax, PML4
    mov cr3, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, 0x101                   ; LME, SCE
    wrmsr
    mov eax, cr0
    or eax, 0x80000000              ; PG: IA-32e mode, compatibility submode
    mov cr0, eax
    mov ecx, 0xC0000080
    rdmsr
    REPORT_EAX                      ; LMA | LME | SCE = 0x501
    jmp KCODE64:long_entry

; eax = handler, ebx = vector, dx = type/attributes << 8 | IST
set_gate64:
    mov edi, ebx
    shl edi, 4
    add edi, IDT64
    mov [edi], ax
    mov word [edi + 2], KCODE64
    mov [edi + 4], dx
    shr eax, 16
    mov [edi + 6], ax
    mov dword [edi + 8], 0
    mov dword [edi + 12], 0
    ret

bits 64
long_entry:
    mov ax, KDATA
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov rsp, STACK64
    mov ax, TSS64S
    ltr ax
    REPORT64 0x6464

    ; REX registers and 64-bit arithmetic
    mov rax, 0x123456789ABCDEF0
    mov r9, rax
    shr r9, 32
    mov eax, r9d
    out PORT_LOG, eax               ; 0x12345678
    mov rax, -1
    mov rbx, 3
    mul rbx                         ; rdx:rax = 3 * (2^64 - 1)
    out PORT_LOG, eax               ; 0xFFFFFFFD
    mov eax, edx
    out PORT_LOG, eax               ; 2
    mov rax, -1
    mov eax, 5                      ; a 32-bit write zero-extends
    shr rax, 32
    out PORT_LOG, eax               ; 0
    mov ecx, 0x80000000
    movsxd rax, ecx
    shr rax, 32
    out PORT_LOG, eax               ; 0xFFFFFFFF
    push -2                         ; 64-bit push of a sign-extended imm8
    pop rax
    shr rax, 32
    out PORT_LOG, eax               ; 0xFFFFFFFF
    mov r12b, 0x5A                  ; REX byte registers
    mov sil, r12b
    movzx eax, sil
    out PORT_LOG, eax               ; 0x5A

    ; RIP-relative, and the 1 GiB page alias of the same bytes
    lea rax, [rel marker]
    mov edx, marker
    sub eax, edx
    out PORT_LOG, eax               ; 0: RIP-relative = absolute
    mov eax, [rel marker]
    out PORT_LOG, eax               ; 0xC0DE64
    mov rax, HIGH_ALIAS + marker
    mov eax, [rax]
    out PORT_LOG, eax               ; 0xC0DE64 again

    ; faults through 64-bit gates
    RESUME_AT .r1
    mov rax, 0x0000800000000000
    mov eax, [rax]                  ; non-canonical: #GP(0)
.r1:
    RESUME_AT .r2
    mov rbp, 0x0000800000000000
    mov eax, [rbp]                  ; non-canonical through RBP: #SS(0)
.r2:
    RESUME_AT .r3
    mov rax, 0x0000100000000000
    mov eax, [rax]                  ; PML4 entry 32 not present: #PF(0)
.r3:
    RESUME_AT .r4
    db 0x60                         ; PUSHA does not exist in 64-bit mode: #UD
.r4:
    mov rsp, STACK64 - 8            ; 8 mod 16: the frame is aligned down first
    int 0x40
    mov rax, rsp
    out PORT_LOG, eax               ; STACK64 - 8 again after IRETQ
    int 0x41                        ; through IST1

    ; CMPXCHG16B
    mov rax, 1
    mov rdx, 2
    mov rbx, 3
    mov rcx, 4
    lock cmpxchg16b [rel cx16]
    setz al
    movzx eax, al
    out PORT_LOG, eax               ; 1
    mov eax, [rel cx16]
    out PORT_LOG, eax               ; 3
    mov eax, [rel cx16 + 8]
    out PORT_LOG, eax               ; 4
    xor eax, eax
    xor edx, edx
    cmpxchg16b [rel cx16]           ; differs: RDX:RAX = the memory
    setz bl
    out PORT_LOG, eax               ; 3
    mov eax, edx
    out PORT_LOG, eax               ; 4
    movzx eax, bl
    out PORT_LOG, eax               ; 0

    ; SWAPGS: GS.base <-> IA32_KERNEL_GS_BASE
    mov ecx, 0xC0000101
    mov eax, 0x5000
    xor edx, edx
    wrmsr
    mov ecx, 0xC0000102
    mov eax, 0x6000
    wrmsr
    swapgs
    mov dword [gs:8], 0xABCD        ; at 0x6008
    mov eax, [0x6008]
    out PORT_LOG, eax               ; 0xABCD
    mov ecx, 0xC0000102
    rdmsr
    out PORT_LOG, eax               ; 0x5000

    ; SYSRET to ring 3, SYSCALL back
    mov ecx, 0xC0000081             ; STAR: SYSCALL CS 0x68, SYSRET base 0x78
    xor eax, eax
    mov edx, (0x78 << 16) | KCODE64
    wrmsr
    mov ecx, 0xC0000082             ; LSTAR
    mov eax, syscall_entry
    xor edx, edx
    wrmsr
    mov ecx, 0xC0000084             ; FMASK: DF
    mov eax, 0x400
    wrmsr
    mov rcx, user64
    mov r11, 0x3002                 ; IOPL 3: ring 3 may report
    mov rsp, USTACK
    o64 sysret

user64:
    mov eax, cs
    out PORT_LOG, eax               ; 0x8B
    mov eax, ss
    out PORT_LOG, eax               ; 0x83
    std
    mov eax, 0x77
    syscall
user_after:
    hlt

syscall_entry:
    out PORT_LOG, eax               ; 0x77
    mov eax, ecx
    mov edx, user_after
    sub eax, edx
    out PORT_LOG, eax               ; 0: RCX = the return address
    mov eax, r11d
    and eax, 0x400
    out PORT_LOG, eax               ; 0x400: DF as it was
    pushfq
    pop rax
    and eax, 0x400
    out PORT_LOG, eax               ; 0: FMASK cleared it
    mov eax, cs
    out PORT_LOG, eax               ; 0x68
    mov eax, ss
    out PORT_LOG, eax               ; 0x70
    cld

    ; back to compatibility mode
    mov rsp, STACK64
    push qword CODE0
    push qword compat32
    o64 retf

bits 32
compat32:
    REPORT 0xC0C0
    mov eax, 1
    db 0x40                         ; INC EAX again
    out PORT_LOG, eax               ; 2
    mov eax, cr0
    and eax, 0x7FFFFFFF             ; paging off: LMA clears
    mov cr0, eax
    mov ecx, 0xC0000080
    rdmsr
    out PORT_LOG, eax               ; LME | SCE = 0x101
    out PORT_DONE, al
.stop:
    hlt
    jmp .stop

bits 64
; Exception stubs: [rsp] vector, [rsp+8] error code, [rsp+16] RIP ...
stub6:
    push qword -1
    push qword 6
    jmp common64
stub12:
    push qword 12
    jmp common64
stub13:
    push qword 13
    jmp common64
stub14:
    push qword 14
    jmp common64
common64:
    push rax
    mov eax, [rsp + 8]
    out PORT_LOG, eax
    mov eax, [rsp + 16]
    out PORT_LOG, eax
    mov eax, [resume]
    mov [rsp + 24], rax
    pop rax
    add rsp, 16
    iretq

int40:                              ; [rsp] RIP, +8 CS, +16 RFLAGS, +24 RSP, +32 SS
    mov rax, [rsp + 8]
    out PORT_LOG, eax               ; KCODE64
    mov rax, rsp
    out PORT_LOG, eax               ; (STACK64 - 16) - 40: aligned, then 5 pushes
    mov rax, [rsp + 24]
    out PORT_LOG, eax               ; the interrupted RSP
    iretq

int41:
    mov rax, rsp
    out PORT_LOG, eax               ; IST1_TOP - 40
    iretq

align 16
cx16:   dq 1, 2
marker: dd 0xC0DE64

align 8
gdt64_extra:
    DESC 0, 0xFFFFF, 0x9A, 0xA          ; KCODE64: L = 1, D = 0
    DESC 0, 0xFFFFF, 0x92, 0xC          ; KDATA
    DESC 0, 0xFFFFF, 0xFA, 0xC          ; UCODE32
    DESC 0, 0xFFFFF, 0xF2, 0xC          ; UDATA
    DESC 0, 0xFFFFF, 0xFA, 0xA          ; UCODE64
    DESC TSS64, 0x67, 0x89, 0           ; TSS64S (16 bytes: base 63:32 = 0)
    dq 0
gdt64_extra_end:

newgdt_desc:
    dw 0x68 + (gdt64_extra_end - gdt64_extra) - 1
    dd NEWGDT
idt64_desc:
    dw 256 * 16 - 1
    dd IDT64
