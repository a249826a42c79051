; multiboot_timer_arm.asm - a Multiboot v1 test kernel for the run loop: it
; writes port 0x99 once (where test_frontend_machine registers a device that
; arms a timer 5000 ns ahead on the virtual clock), then counts in ECX for
; ever. The test checks that the timer fired exactly 5000 instructions after
; the write (1 ns per instruction), not at the end of the running slice.
; Spec: Multiboot 0.6.96 sections 3.1-3.3.

bits 32
org 0x100000

%include "multiboot_common.inc"

MULTIBOOT_ELF_HEADER

start:
    mov esp, stack_top
    xor ecx, ecx
    mov al, 1
    out 0x99, al                  ; the test's device arms its timer here
.spin:
    inc ecx
    jmp .spin

file_end:
stack_top equ $$ + ((file_end - $$ + 15) & ~15) + 4096
bss_end   equ stack_top
