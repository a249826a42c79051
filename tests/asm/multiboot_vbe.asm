; multiboot_vbe.asm - a Multiboot v1 test kernel that draws a test pattern
; in a Bochs VBE mode through the stdvga's linear framebuffer.
;
; It finds the PCI function 1234:1111 on bus 0 (configuration mechanism #1),
; puts its BAR 0 at LFB_BASE and turns memory decoding on (no firmware ran
; to do it), programs the dispi registers (ports 0x1CE/0x1CF) for
; 800x600x32 with the linear framebuffer, checks the ID and the registers
; read back, and fills the screen with pixel(x, y) = R: x mod 256,
; G: y mod 256, B: (x xor y) mod 256 (32-bit pixels are B, G, R, unused).
; Then it writes 0x2A to the debug-exit port 0xF4: softvm exits with 85 --
; unless its command line (-append) ends in "hold": then it spins with the
; picture on screen until it is stopped (the SDL window test looks at it).
; Failures exit with (code << 1) | 1: 0x11 bad magic (35), 0x12 no stdvga
; (37), 0x13 a dispi register did not read back (39).
; Spec: Bochs vbe.h (dispi registers), PCI Local Bus 3.0 section 3.2.2.3.2.

bits 32
org 0x100000

%include "multiboot_common.inc"
LFB_BASE equ 0xFD000000
XRES     equ 800
YRES     equ 600

MULTIBOOT_ELF_HEADER

; dispi register %1 := %2
%macro dispi_out 2
    mov dx, 0x1CE
    mov ax, %1
    out dx, ax
    mov dx, 0x1CF
    mov ax, %2
    out dx, ax
%endmacro

; fail with code %1 unless dispi register %1 reads %2
%macro dispi_check 2
    mov dx, 0x1CE
    mov ax, %1
    out dx, ax
    mov dx, 0x1CF
    in ax, dx
    cmp ax, %2
    jne bad_dispi
%endmacro

start:
    mov esp, stack_top
    cmp eax, 0x2BADB002
    jne bad_magic
    mov [mbi], ebx

    xor ebx, ebx                  ; device number on bus 0
.scan:
    mov eax, ebx
    shl eax, 11
    or eax, 0x80000000            ; enable bit, bus 0, function 0, register 0
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFC
    in eax, dx
    cmp eax, 0x11111234           ; device 1111, vendor 1234
    je .found
    inc ebx
    cmp ebx, 32
    jb .scan
    mov al, 0x12
    out 0xF4, al
    jmp hang
.found:
    shl ebx, 11
    or ebx, 0x80000000
    lea eax, [ebx + 0x10]         ; BAR 0
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFC
    mov eax, LFB_BASE
    out dx, eax
    lea eax, [ebx + 0x04]         ; command: memory space
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFC
    mov ax, 0x0002
    out dx, ax

    dispi_check 0, 0xB0C5         ; ID
    dispi_out 4, 0                ; disable while the mode changes
    dispi_out 1, XRES
    dispi_out 2, YRES
    dispi_out 3, 32
    dispi_out 4, 0x41             ; enable, linear framebuffer
    dispi_check 1, XRES
    dispi_check 2, YRES
    dispi_check 3, 32
    dispi_check 6, XRES           ; virtual width follows the mode

    mov edi, LFB_BASE
    xor ecx, ecx                  ; y
.row:
    xor esi, esi                  ; x
.pixel:
    mov eax, esi
    and eax, 0xFF
    shl eax, 16                   ; R = x
    mov edx, ecx
    and edx, 0xFF
    shl edx, 8                    ; G = y
    or eax, edx
    mov edx, esi
    xor edx, ecx
    and edx, 0xFF                 ; B = x xor y
    or eax, edx
    mov [edi], eax
    add edi, 4
    inc esi
    cmp esi, XRES
    jb .pixel
    inc ecx
    cmp ecx, YRES
    jb .row

    mov esi, [mbi]                ; Multiboot info: flags bit 2, cmdline at +16
    test byte [esi], 4
    jz .exit
    mov esi, [esi + 16]
.eol:
    cmp byte [esi], 0
    je .last4
    inc esi
    jmp .eol
.last4:
    cmp dword [esi - 4], 'hold'   ; "<kernel> hold": never empty before it
    jne .exit
.spin:
    pause
    jmp .spin
.exit:
    mov al, 0x2A
    out 0xF4, al
hang:
    cli
    hlt
    jmp hang

bad_magic:
    mov al, 0x11
    out 0xF4, al
    jmp hang

bad_dispi:
    mov al, 0x13
    out 0xF4, al
    jmp hang

mbi: dd 0

file_end:
; The stack is ELF bss after the file's bytes (p_memsz > p_filesz).
stack_top equ $$ + ((file_end - $$ + 15) & ~15) + 4096
bss_end   equ stack_top
