; multiboot_rep.asm - a Multiboot test kernel that spends its time inside
; one REP string instruction with a huge count, so host-side events (Ctrl-A x,
; a debugger's Ctrl-C) and timer interrupts must get in between iterations.
; The last word of the command line (-append WORD) picks what it runs:
;   movsd        rep movsd, ECX = 0x3FE00000 (4 GiB - 8 MiB of linear space),
;                again and again
;   outsb        rep outsb to port 0x80, ECX = 0xFFFFFFFF, again and again
;   movsd-timer  the same with the PIT's channel 0 as a rate generator
;   outsb-timer  (mode 2, divisor PIT_DIVISOR) on IRQ0: the handler stores
;                the ECX it interrupted; after NSAMPLES interrupts it prints
;                them to COM1 as "ecx XXXXXXXX" lines and exits (status 5)
; Before the REP starts it prints "rep go" on COM1.
; Paging with 4 MiB pages (CR4.PSE) maps linear 0-4 MiB to itself and every
; other 4 MiB of linear space to physical 4-8 MiB, so the string runs over
; the whole linear space while touching only RAM (needs -m 16 or more).
; Output goes to COM1; exits through the debug-exit port 0xF4.
; Same hand-written ELF32 layout as multiboot_hello.asm.

bits 32
org 0x100000

%include "multiboot_common.inc"
PAGE_DIR    equ 0x300000          ; 4 KiB aligned, inside the identity-mapped 4 MiB
PIT_DIVISOR equ 11932             ; 11932 / 1193182 Hz = 10.000 ms
%define NSAMPLES 5

MULTIBOOT_ELF_HEADER

start:
    mov esp, stack_top
    ; find the last word of the command line
    mov esi, [ebx + 16]
    mov edi, esi
.scan:
    lodsb
    test al, al
    jz .scanned
    cmp al, ' '
    jne .scan
    mov edi, esi                  ; just after a space
    jmp .scan
.scanned:
    mov [word_at], edi

    ; page directory: PDE 0 -> physical 0, PDE 1..1023 -> physical 4 MiB
    mov dword [PAGE_DIR], 0x00000083          ; P, RW, PS
    mov ecx, 1
.pde:
    mov dword [PAGE_DIR + ecx * 4], 0x00400083
    inc ecx
    cmp ecx, 1024
    jne .pde
    mov eax, cr4
    or eax, 0x10                  ; PSE
    mov cr4, eax
    mov eax, PAGE_DIR
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000            ; PG
    mov cr0, eax

    mov edi, [word_at]
    cmp byte [edi + 5], '-'
    jne .go
    call start_timer
.go:
    mov esi, msg_go
    call puts
    mov edi, [word_at]
    cld
    cmp byte [edi], 'o'
    je run_outsb

run_movsd:
    mov esi, 0x400000
    mov edi, 0x800000
    mov ecx, 0x3FE00000
rep_movsd:
    rep movsd
    jmp run_movsd

run_outsb:
    mov esi, 0x400000
    mov dx, 0x80
    mov ecx, 0xFFFFFFFF
rep_outsb:
    rep outsb
    jmp run_outsb

start_timer:
    ; IDT: vector 0x20 (IRQ0 after remapping) -> timer_isr
    mov eax, timer_isr
    mov [idt + 0x20 * 8], ax
    mov word [idt + 0x20 * 8 + 2], 0x10
    mov word [idt + 0x20 * 8 + 4], 0x8E00   ; present, DPL 0, 32-bit interrupt gate
    shr eax, 16
    mov [idt + 0x20 * 8 + 6], ax
    lidt [idt_desc]
    ; PIC: ICW1-4, master vectors 0x20.., slave 0x28.., only IRQ0 unmasked
    mov al, 0x11
    out 0x20, al
    out 0xA0, al
    mov al, 0x20
    out 0x21, al
    mov al, 0x28
    out 0xA1, al
    mov al, 4
    out 0x21, al
    mov al, 2
    out 0xA1, al
    mov al, 1
    out 0x21, al
    out 0xA1, al
    mov al, 0xFE
    out 0x21, al
    mov al, 0xFF
    out 0xA1, al
    ; PIT channel 0, lobyte/hibyte, mode 2 (rate generator), binary
    mov al, 0x34
    out 0x43, al
    mov al, PIT_DIVISOR & 0xFF
    out 0x40, al
    mov al, PIT_DIVISOR >> 8
    out 0x40, al
    sti
    ret

; 13 instructions from delivery to IRET when it does not report
timer_isr:
    push eax
    push ebx
    mov ebx, [nticks]
    mov [samples + ebx * 4], ecx
    inc ebx
    mov [nticks], ebx
    mov al, 0x20                  ; EOI
    out 0x20, al
    cmp ebx, NSAMPLES
    jae report
    pop ebx
    pop eax
    iret

report:
    xor ebx, ebx
.line:
    mov esi, msg_ecx
    call puts
    mov eax, [samples + ebx * 4]
    call puthex
    mov esi, msg_nl
    call puts
    inc ebx
    cmp ebx, NSAMPLES
    jne .line
    mov al, 5
    out 0xF4, al

; ---- COM1 output (multiboot_common.inc) ----------------------------------
MULTIBOOT_COM1_OUTPUT

align 8
idt_desc:
    dw 256 * 8 - 1
    dd idt

msg_go:  db "rep go", 10, 0
msg_ecx: db "ecx ", 0
msg_nl:  db 10, 0

file_end:
; bss (zeroed by the loader): the IDT, the samples and the stack
idt       equ $$ + ((file_end - $$ + 15) & ~15)
nticks    equ idt + 256 * 8
word_at   equ nticks + 4
char_buf  equ word_at + 4
samples   equ char_buf + 4
stack_top equ samples + 4 * NSAMPLES + 4096
bss_end   equ stack_top
