; multiboot_hello.asm - a Multiboot v1 test kernel, as an ELF32 executable
; written by hand (nasm -f bin): ELF header, one PT_LOAD program header
; covering the whole file at 1 MiB, and the multiboot header.
;
; It checks the loader's hand-off (EAX magic, the information's flags),
; prints over COM1 (0x3F8):
;     Hello from multiboot
;     cmdline: <the command line>
;     mem_upper: <hex KiB>
;     module: <module string> <first 4 bytes of it>      (only with -initrd)
; then writes 0x2A to the debug-exit port 0xF4, so softvm exits with status
; (0x2A << 1) | 1 = 85. A wrong EAX exits with (0x11 << 1) | 1 = 35.
; Spec: Multiboot 0.6.96 sections 3.1-3.3; System V ABI ELF32 headers.

bits 32
%ifndef MB_HELLO_ORG
%define MB_HELLO_ORG 0x100000     ; multiboot_low.asm links it at 0x8000
%endif
org MB_HELLO_ORG

%include "multiboot_common.inc"

MULTIBOOT_ELF_HEADER

start:
    mov esp, stack_top
    cmp eax, 0x2BADB002
    jne bad_magic
    mov ebp, ebx                  ; the multiboot information

    mov esi, msg_hello
    call puts

    test dword [ebp], 4           ; flags bit 2: cmdline valid
    jz .no_cmdline
    mov esi, msg_cmdline
    call puts
    mov esi, [ebp + 16]
    call puts
    call newline
.no_cmdline:

    test dword [ebp], 1           ; flags bit 0: mem_lower/mem_upper valid
    jz .no_mem
    mov esi, msg_mem
    call puts
    mov eax, [ebp + 8]
    call puthex
    call newline
.no_mem:

    test dword [ebp], 8           ; flags bit 3: modules
    jz .done
    cmp dword [ebp + 20], 0
    je .done
    mov edi, [ebp + 24]           ; first module entry
    mov esi, msg_mod
    call puts
    mov esi, [edi + 8]            ; its string
    call puts
    mov al, ' '
    call putc
    mov esi, [edi]                ; its first four bytes
    mov ecx, 4
.modbytes:
    lodsb
    call putc
    loop .modbytes
    call newline
.done:
    mov al, 0x2A
    out 0xF4, al
.hang:
    cli
    hlt
    jmp .hang

bad_magic:
    mov al, 0x11
    out 0xF4, al
    jmp start.hang

; ---- COM1 output (multiboot_common.inc) ----------------------------------
MULTIBOOT_COM1_OUTPUT

msg_hello:   db "Hello from multiboot", 10, 0
msg_cmdline: db "cmdline: ", 0
msg_mem:     db "mem_upper: ", 0
msg_mod:     db "module: ", 0

file_end:
; The stack lives after the file's bytes: p_memsz > p_filesz, so the loader
; zeroes it (ELF bss).
stack_top equ $$ + ((file_end - $$ + 15) & ~15) + 4096
bss_end   equ stack_top
