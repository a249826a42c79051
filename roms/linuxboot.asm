; linuxboot.asm - softvm's option ROM for booting a Linux kernel through
; SeaBIOS: softvm puts the kernel's real-mode setup, protected-mode kernel,
; initrd and command line into fw_cfg (items SETUP/KERNEL/INITRD/CMDLINE
; _ADDR, _SIZE, _DATA) and this ROM, as the fw_cfg file
; "genroms/linuxboot.bin". SeaBIOS runs it as a boot device (the PnP
; header's bootstrap entry vector); it copies each item to its address with
; fw_cfg DMA and jumps to the real-mode kernel setup at setup segment + 0x20,
; as a 16-bit boot loader does (Linux Documentation/arch/x86/boot.rst,
; "Running the kernel"). softvm already patched the setup header (loader
; type, command line pointer, initrd, heap end).
;
; Specs: PCI Firmware 3.0 / BIOS Boot Specification 1.01 (option ROM header,
; PnP expansion header, BEV); QEMU docs/specs/fw_cfg.rst (DMA interface).
; Lives in tests/asm/ for now so the build assembles it; softvm fixes the
; checksum byte (the last byte) when it loads the image.

bits 16
org 0

FW_CFG_SEL      equ 0x510
FW_CFG_DATA     equ 0x511
FW_CFG_DMA_HI   equ 0x514
FW_CFG_DMA_LO   equ 0x518
DMA_SELECT      equ 0x08
DMA_READ        equ 0x02
DMA_ERROR       equ 0x01

KERNEL_ADDR  equ 0x07
KERNEL_SIZE  equ 0x08
INITRD_ADDR  equ 0x0a
INITRD_SIZE  equ 0x0b
KERNEL_DATA  equ 0x11
INITRD_DATA  equ 0x12
CMDLINE_ADDR equ 0x13
CMDLINE_SIZE equ 0x14
CMDLINE_DATA equ 0x15
SETUP_ADDR   equ 0x16
SETUP_SIZE   equ 0x17
SETUP_DATA   equ 0x18

DMA_DESC     equ 0x7000           ; FWCfgDmaAccess scratch in low RAM
STACK_TOP    equ 0x7c00
KERNEL_SP    equ 0xe000           ; softvm sets heap_end_ptr to 0xde00

rom_start:
    db 0x55, 0xAA                 ; option ROM signature
    db rom_blocks                 ; size in 512-byte blocks
    jmp init                      ; offset 3: initialisation entry (far call)
    times 0x1a - ($ - $$) db 0
    dw pnp_header                 ; offset 0x1a: the PnP expansion header

init:
    retf                          ; nothing to set up: we only boot

align 16
pnp_header:
    db "$PnP"
    db 1                          ; structure revision
    db 2                          ; length, 16-byte units
    dw 0                          ; no next header
    db 0                          ; reserved
    db 0                          ; checksum (not checked by SeaBIOS)
    dd 0                          ; device identifier
    dw 0                          ; manufacturer string
    dw product_name               ; product name string (boot menu text)
    db 0, 0, 0                    ; device type code
    db 0x14                       ; indicators: IPL device, may be shadowed
    dw 0                          ; boot connection vector: none
    dw 0                          ; disconnect vector
    dw bev                        ; bootstrap entry vector: boot from here
    dw 0                          ; reserved
    dw 0                          ; static resource information vector

product_name: db "Linux (softvm fw_cfg)", 0

; (address key, size key, data key) of each piece to load
items:
    dw SETUP_ADDR, SETUP_SIZE, SETUP_DATA
    dw KERNEL_ADDR, KERNEL_SIZE, KERNEL_DATA
    dw INITRD_ADDR, INITRD_SIZE, INITRD_DATA
    dw CMDLINE_ADDR, CMDLINE_SIZE, CMDLINE_DATA
    dw 0

bev:
    cli
    cld
    xor ax, ax
    mov ss, ax
    mov sp, STACK_TOP
    mov ds, ax
    mov es, ax
    mov si, items
.next:
    mov ax, [cs:si]
    test ax, ax
    jz .loaded
    call fw_cfg_read32            ; its address
    mov ebx, eax
    mov ax, [cs:si + 2]
    call fw_cfg_read32            ; its size
    mov ecx, eax
    jecxz .skip                   ; no initrd: nothing to copy
    mov ax, [cs:si + 4]
    call fw_cfg_dma_read
.skip:
    add si, 6
    jmp .next

.loaded:
    mov ax, SETUP_ADDR
    call fw_cfg_read32
    shr eax, 4                    ; the setup's segment
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov sp, KERNEL_SP
    add ax, 0x20                  ; the setup code starts 512 bytes in
    push ax
    push word 0
    retf

; EAX = the 32-bit little-endian value of fw_cfg item AX
fw_cfg_read32:
    push dx
    push cx
    mov dx, FW_CFG_SEL
    out dx, ax
    mov dx, FW_CFG_DATA
    mov cx, 4
.byte:
    in al, dx
    ror eax, 8                    ; after four bytes: b3 b2 b1 b0
    loop .byte
    pop cx
    pop dx
    ret

; Copy ECX bytes of item AX to physical address EBX with one DMA transfer.
fw_cfg_dma_read:
    push dx
    movzx eax, ax
    shl eax, 16
    or eax, DMA_SELECT | DMA_READ
    bswap eax                     ; every field is big-endian
    mov [DMA_DESC], eax           ; control
    mov eax, ecx
    bswap eax
    mov [DMA_DESC + 4], eax       ; length
    mov dword [DMA_DESC + 8], 0   ; address, high half
    mov eax, ebx
    bswap eax
    mov [DMA_DESC + 12], eax      ; address, low half
    xor eax, eax
    mov dx, FW_CFG_DMA_HI
    out dx, eax
    mov eax, DMA_DESC
    bswap eax
    mov dx, FW_CFG_DMA_LO
    out dx, eax                   ; writing the low half starts the transfer
.wait:
    mov eax, [DMA_DESC]
    bswap eax
    and eax, ~DMA_ERROR
    jnz .wait                     ; control reads 0 when done
    pop dx
    ret

    db 0                          ; the checksum byte is the image's last byte
    times (512 - ($ - $$) % 512) % 512 db 0
rom_end:
rom_blocks equ (rom_end - rom_start) / 512
