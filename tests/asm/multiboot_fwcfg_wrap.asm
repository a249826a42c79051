; multiboot_fwcfg_wrap.asm - a Multiboot test kernel that asks fw_cfg for a
; DMA read whose buffer runs past the top of the 64-bit physical space
; (QEMU docs/specs/fw_cfg.rst, "FWCfgDmaAccess"): a bus transfer stops at
; the top, so nothing may land at physical address 0.
; For each length in `lengths` it fills 0x0-0xFFF with 0xAA, DMA-reads that
; many bytes of selector 0 (the signature, 4 bytes, then zeros) to
; 0xFFFFFFFF_FFFFFF00, and prints on COM1
;     len XXXXXXXX changed XXXXXXXX status XXXXXXXX
; (how many of the 4096 low bytes are no longer 0xAA, and the control word
; fw_cfg wrote back, byte-swapped to a number). Then exits with status 3
; through port 0xF4. Same hand-written ELF32 layout as multiboot_hello.asm.

bits 32
org 0x100000

%include "multiboot_common.inc"
DESC     equ 0x2000               ; the DMA descriptor (outside the low page)

MULTIBOOT_ELF_HEADER

start:
    mov esp, stack_top
    cld
    xor ebp, ebp                  ; index into lengths
.next:
    mov eax, [lengths + ebp * 4]
    test eax, eax
    jz .done
    mov [cur_len], eax
    ; the low page: 0xAA everywhere
    xor edi, edi
    mov ecx, 0x1000
    mov al, 0xAA
    rep stosb
    ; FWCfgDmaAccess, every field big-endian
    mov dword [DESC], 0x0A000000          ; control: select 0 | SELECT | READ
    mov eax, [cur_len]
    bswap eax
    mov [DESC + 4], eax                   ; length
    mov dword [DESC + 8], 0xFFFFFFFF      ; address, high
    mov dword [DESC + 12], 0x00FFFFFF     ; address, low: 0xFFFFFF00
    ; the descriptor's address, high then low (the low write starts it)
    mov dx, 0x514
    xor eax, eax
    out dx, eax
    mov dx, 0x518
    mov eax, DESC
    bswap eax
    out dx, eax
    ; count the low bytes that changed
    xor esi, esi
    xor ebx, ebx
.count:
    cmp byte [esi], 0xAA
    je .same
    inc ebx
.same:
    inc esi
    cmp esi, 0x1000
    jne .count
    ; report
    mov esi, msg_len
    call puts
    mov eax, [cur_len]
    call puthex
    mov esi, msg_changed
    call puts
    mov eax, ebx
    call puthex
    mov esi, msg_status
    call puts
    mov eax, [DESC]
    bswap eax
    call puthex
    mov esi, msg_nl
    call puts
    inc ebp
    jmp .next
.done:
    mov al, 3
    out 0xF4, al

; ---- COM1 output (multiboot_common.inc) ----------------------------------
MULTIBOOT_COM1_OUTPUT

align 4
lengths:     dd 0x1000, 0xFFFFFFFF, 0
msg_len:     db "len ", 0
msg_changed: db " changed ", 0
msg_status:  db " status ", 0
msg_nl:      db 10, 0

file_end:
; bss (zeroed by the loader)
cur_len   equ $$ + ((file_end - $$ + 15) & ~15)
char_buf  equ cur_len + 4
stack_top equ char_buf + 16 + 4096
bss_end   equ stack_top
