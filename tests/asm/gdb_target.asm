; gdb_target.asm - a tiny flat 64 KiB firmware image for the tracer, --stats
; and GDB-stub tests (tests/unit/test_trace_*.c, test_gdbstub*.c).
;
; Run it with: softvm -bios build/tests/asm/gdb_target.bin -serial none
; The image sits at 0xF0000 (and at the top of 4 GiB); the reset vector
; jumps to start16, which enters flat 32-bit protected mode, runs a loop
; LOOPS times that stores a running sum to `counter` (RAM 0x1000), prints
; "ok\n" on COM1 and exits through the isa-debug-exit port with status
; (0x21 << 1) | 1 = 67.
;
; The tests read this file's nasm listing to find addresses (labels) and to
; count instructions: keep one instruction per source line, and keep the
; markers: everything between `count_begin` and `count_end` except the loop
; body runs once, the loop body (loop_top .. loop_end) runs LOOPS times.

%define LOOPS 5
%define ROM_BASE 0xF0000
%define COUNTER 0x1000
%define COM1 0x3F8

bits 16
org 0

start16:
count_begin:
    cli
    xor ax, ax
    mov ds, ax
    lgdt [cs:gdt_desc]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:(ROM_BASE + pm32)

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x8000
    mov dword [COUNTER], 0
    mov ecx, LOOPS
    xor eax, eax
loop_top:
    add eax, ecx
    mov [COUNTER], eax
    dec ecx
    jnz loop_top
loop_end:
after_loop:
    mov dx, COM1
    mov al, 'o'
    out dx, al
    mov al, 'k'
    out dx, al
    mov al, 10
    out dx, al
    mov al, 0x21
done:
    out 0xf4, al
count_end:
    hlt

gdt:
    dq 0
    dq 0x00CF9B000000FFFF       ; 0x08: flat 32-bit code, base 0, 4 GiB
    dq 0x00CF93000000FFFF       ; 0x10: flat data
gdt_desc:
    dw gdt_desc - gdt - 1
    dd ROM_BASE + gdt

    times 0xFFF0 - ($ - $$) db 0xF4
bits 16
reset_vector:
    jmp 0xF000:start16
    times 0x10000 - ($ - $$) db 0xF4
