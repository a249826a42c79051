; multiboot_ioapic.asm - a Multiboot test kernel for the APICs, the way an OS
; sets them up on a PC (SDM Vol. 3A ch. 11, 82093AA datasheet, MADT):
;   1. mask both 8259s, software-enable the local APIC (SVR 0x1FF), mask
;      LINT0 (no more ExtINT), route I/O APIC pin 2 (ISA IRQ0, the PIT, per
;      the MADT override) to vector 0x40, edge, physical destination 0;
;   2. PIT channel 0 in mode 2 with a count of 11932 (100 Hz); five ticks
;      through the I/O APIC; each handler checks ISR bit 0x40 and EOIs;
;      prints "pit via ioapic: 5 ticks, isr ok, 40 ms" (ticks 1 to 5 are 4
;      periods: 4 * 11932 / 1193182 Hz = 40.0003 ms, on the 1 GHz TSC);
;   3. the LAPIC timer one-shot (vector 0x41, divide by 1, 1000000 counts
;      at 1 GHz) with the PIT masked at the I/O APIC; prints
;      "lapic timer: 1 ms"; then a self-IPI (vector 0x42) through the ICR
;      shorthand, taken at once: "self ipi ok";
; then exits through port 0xF4 with 0x2A (status 85). A wrong value exits
; with 0x11 + the step number.
; Checked by test_frontend_boot.c (boot::multiboot_ioapic_routes_the_pit).

bits 32
org 0x100000

%include "multiboot_common.inc"
LAPIC    equ 0xFEE00000
IOAPIC   equ 0xFEC00000

MULTIBOOT_ELF_HEADER

%macro SET_GATE 2                 ; vector, handler
    mov eax, %2
    mov [idt + %1 * 8], ax
    mov word [idt + %1 * 8 + 2], 0x10
    mov word [idt + %1 * 8 + 4], 0x8E00
    shr eax, 16
    mov [idt + %1 * 8 + 6], ax
%endmacro

%macro FAIL_IF_NE 1               ; step: exit 0x11 + step unless ZF
    je %%ok
    mov al, 0x11 + %1
    out 0xF4, al
%%ok:
%endmacro

start:
    mov esp, stack_top
    SET_GATE 0x40, pit_isr
    SET_GATE 0x41, lapic_timer_isr
    SET_GATE 0x42, ipi_isr
    SET_GATE 0xFF, spurious_isr
    lidt [idt_desc]

    ; 1. the 8259s masked, the APICs programmed
    mov al, 0xFF
    out 0x21, al
    out 0xA1, al
    mov dword [LAPIC + 0xF0], 0x1FF          ; SVR: enabled, spurious 0xFF
    mov dword [LAPIC + 0x350], 0x10700       ; LINT0 masked
    mov dword [IOAPIC], 0x10 + 2 * 2         ; pin 2 low dword
    mov dword [IOAPIC + 0x10], 0x40          ; vector 0x40, fixed, edge, unmasked
    mov dword [IOAPIC], 0x11 + 2 * 2
    mov dword [IOAPIC + 0x10], 0             ; destination APIC ID 0

    ; 2. the PIT at 100 Hz
    mov al, 0x34                             ; channel 0, lo/hi, mode 2
    out 0x43, al
    mov ax, 11932
    out 0x40, al
    mov al, ah
    out 0x40, al
    sti
.wait_ticks:
    hlt
    cmp dword [ticks], 5
    jb .wait_ticks
    cli
    cmp dword [isr_bad], 0
    FAIL_IF_NE 1
    mov esi, msg_pit
    call puts
    ; milliseconds between tick 1 and tick 5
    mov eax, [tsc5]
    mov edx, [tsc5 + 4]
    sub eax, [tsc1]
    sbb edx, [tsc1 + 4]
    mov ecx, 1000000
    div ecx
    call putdec
    mov esi, msg_ms
    call puts

    ; 3. the LAPIC timer, PIT masked at the I/O APIC
    mov dword [IOAPIC], 0x10 + 2 * 2
    mov dword [IOAPIC + 0x10], 0x10040
    mov dword [LAPIC + 0x3E0], 0xB           ; divide by 1
    mov dword [LAPIC + 0x320], 0x41          ; one-shot, vector 0x41
    rdtsc
    mov [tsc1], eax
    mov [tsc1 + 4], edx
    mov dword [LAPIC + 0x380], 1000000       ; initial count
    sti
.wait_timer:
    hlt
    cmp dword [timer_done], 0
    je .wait_timer
    cli
    mov eax, [tsc5]                          ; the handler's TSC
    mov edx, [tsc5 + 4]
    sub eax, [tsc1]
    sbb edx, [tsc1 + 4]
    mov ecx, 1000000
    div ecx
    push eax
    mov esi, msg_lapic
    call puts
    pop eax
    call putdec
    mov esi, msg_ms
    call puts
    mov eax, [LAPIC + 0x390]                 ; current count: 0 after one shot
    test eax, eax
    FAIL_IF_NE 2

    ; a self-IPI through the shorthand, with IF = 1: taken after the write
    sti
    mov dword [LAPIC + 0x300], 0x40042
    nop
    cli
    cmp dword [ipi_done], 1
    FAIL_IF_NE 3
    test dword [LAPIC + 0x300], 0x1000       ; delivery status: idle
    FAIL_IF_NE 4
    mov esi, msg_ipi
    call puts

    mov al, 0x2A
    out 0xF4, al
.hang:
    cli
    hlt
    jmp .hang

pit_isr:
    push eax
    push edx
    test dword [LAPIC + 0x120], 1            ; ISR bit 0x40 (word 2, bit 0)
    jnz .isr_ok
    mov dword [isr_bad], 1
.isr_ok:
    inc dword [ticks]
    cmp dword [ticks], 1
    jne .not1
    rdtsc
    mov [tsc1], eax
    mov [tsc1 + 4], edx
.not1:
    cmp dword [ticks], 5
    jne .not5
    rdtsc
    mov [tsc5], eax
    mov [tsc5 + 4], edx
.not5:
    mov dword [LAPIC + 0xB0], 0              ; EOI
    pop edx
    pop eax
    iret

lapic_timer_isr:
    push eax
    push edx
    rdtsc
    mov [tsc5], eax
    mov [tsc5 + 4], edx
    mov dword [timer_done], 1
    mov dword [LAPIC + 0xB0], 0
    pop edx
    pop eax
    iret

ipi_isr:
    mov dword [ipi_done], 1
    mov dword [LAPIC + 0xB0], 0
    iret

spurious_isr:
    mov al, 0x10                             ; a spurious interrupt: exit 0x10
    out 0xF4, al
    iret

; ---- COM1 output (multiboot_common.inc) ----------------------------------
MULTIBOOT_COM1_OUTPUT

msg_pit:   db "pit via ioapic: 5 ticks, isr ok, ", 0
msg_ms:    db " ms", 10, 0
msg_lapic: db "lapic timer: ", 0
msg_ipi:   db "self ipi ok", 10, 0

align 8
idt_desc:
    dw 256 * 8 - 1
    dd idt
ticks:      dd 0
isr_bad:    dd 0
timer_done: dd 0
ipi_done:   dd 0
tsc1:       dq 0
tsc5:       dq 0

file_end:
idt       equ $$ + ((file_end - $$ + 15) & ~15)
stack_top equ idt + 256 * 8 + 4096
bss_end   equ stack_top
