; disk_boot.asm - a boot sector for the disk and CD-ROM guest tests: the
; firmware (SeaBIOS) loads it at 0000:7C00 and gives the boot drive in DL.
;
; It prints over COM1 (0x3F8):
;     disk boot: drive XX
;     sum: XXXXXXXX           the 32-bit sum of the dwords of the data area
; then, on a hard disk (0x80 <= DL < 0xE0; SeaBIOS gives CDs 0xE0+), writes one
; sector at LBA WRITE_LBA (the bytes 0x00..0xFF twice) with the INT 13h
; extensions and prints "write: ok", and exits through the debug-exit port
; 0xF4 with 0x10 (softvm's status (0x10 << 1) | 1 = 33). Any BIOS error
; prints "error XX" and exits with 0x11 (status 35).
;
; The data area is DATA_SECTORS 512-byte sectors starting at LBA 1 of the
; disk, read with INT 13h AH=42h in 16-sector pieces (El Torito: 2048-byte
; blocks from block 1, CD_BLOCKS of them). The test computes the same sum on
; the host (the oracle).
; Spec: Phoenix BIOS Enhanced Disk Drive Specification 3.0 (INT 13h 41h-43h),
; El Torito 1.0 (no-emulation boot: the BIOS loads the image, DL is the CD).

bits 16
org 0x7c00

COM1         equ 0x3f8
DATA_SECTORS equ 256          ; 128 KiB
WRITE_LBA    equ 1000
BUF_SEG      equ 0x1000       ; data read to 1000:0000

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    mov [drive], dl
    mov si, msg_boot
    call puts
    mov al, dl
    call puthex8
    call crlf

    ; El Torito no-emulation boot: SeaBIOS numbers CD-ROM drives from 0xE0.
    cmp byte [drive], 0xe0
    jb .hd
    mov byte [is_cd], 1
    mov word [sector_size], 2048
    mov word [count], DATA_SECTORS / 4
    mov word [per_read], 4
.hd:
    xor ebx, ebx              ; the sum
    mov word [lba], 1
.next:
    mov ax, [per_read]
    mov [dap_count], ax
    mov ax, [lba]
    mov [dap_lba], ax
    mov word [dap_off], 0
    mov word [dap_seg], BUF_SEG
    mov ah, 0x42
    mov dl, [drive]
    mov si, dap
    int 0x13
    jc fail
    ; add up the dwords just read
    push ds
    mov ax, BUF_SEG
    mov ds, ax
    mov ax, [cs:per_read]
    mul word [cs:sector_size]
    mov cx, ax
    shr cx, 2
    xor si, si
.add:
    add ebx, [si]
    add si, 4
    loop .add
    pop ds
    mov ax, [per_read]
    add [lba], ax
    mov ax, [count]
    sub ax, [per_read]
    mov [count], ax
    jnz .next

    mov si, msg_sum
    call puts
    mov eax, ebx
    call puthex32
    call crlf

    cmp byte [is_cd], 0
    jne .done
    ; write LBA WRITE_LBA: 0x00..0xFF, twice
    push es
    mov ax, BUF_SEG
    mov es, ax
    xor di, di
    xor al, al
    mov cx, 512
.fill:
    stosb
    inc al
    loop .fill
    pop es
    mov word [dap_count], 1
    mov word [dap_lba], WRITE_LBA
    mov word [dap_off], 0
    mov word [dap_seg], BUF_SEG
    mov ax, 0x4300
    mov dl, [drive]
    mov si, dap
    int 0x13
    jc fail
    mov si, msg_write
    call puts
.done:
    mov al, 0x10
    out 0xf4, al
    hlt

fail:
    mov bl, ah
    mov si, msg_err
    call puts
    mov al, bl
    call puthex8
    call crlf
    mov al, 0x11
    out 0xf4, al
    hlt

putc:                         ; AL -> COM1
    push dx
    mov dx, COM1
    out dx, al
    pop dx
    ret
puts:                         ; DS:SI, NUL-terminated
    lodsb
    test al, al
    jz .e
    call putc
    jmp puts
.e: ret
crlf:
    mov al, 13
    call putc
    mov al, 10
    jmp putc
puthex32:
    push eax
    shr eax, 16
    call puthex16
    pop eax
puthex16:
    push ax
    mov al, ah
    call puthex8
    pop ax
puthex8:
    push ax
    shr al, 4
    call .nib
    pop ax
.nib:
    and al, 0x0f
    add al, '0'
    cmp al, '9'
    jbe .p
    add al, 7
.p: jmp putc

msg_boot:  db "disk boot: drive ", 0
msg_sum:   db "sum: ", 0
msg_write: db "write: ok", 13, 10, 0
msg_err:   db "error ", 0
drive:       db 0
is_cd:       db 0
sector_size: dw 512
count:       dw DATA_SECTORS
per_read:    dw 16
lba:         dw 0
dap:         db 16, 0
dap_count:   dw 0
dap_off:     dw 0
dap_seg:     dw 0
dap_lba:     dd 0, 0

    times 510 - ($ - $$) db 0
    dw 0xaa55
