; multiboot_nic_rings.asm - a Multiboot test kernel that programs malformed
; descriptor rings and DMA ranges into each network card, as a hostile
; driver would: softvm must go on running (the test runs it under ASan too)
; and each card must show its defined behaviour. Expects, as the machine is
; built by the test (tests/unit/test_frontend_machine.c): an e1000 at
; 00:03.0, an NE2000 (RTL8029) at 00:04.0 and a virtio-net at 00:09.0, with
; 16 MiB of RAM and a backend that sends every frame straight back.
;
; e1000 (8254x SDM 3.2, 3.3, 13.4.27-39): transmit from buffers past the end
; of RAM and across it, a TSO context with hdrlen 255 and mss 0, a frame of
; 0xFFFF-byte pieces longer than any packet; a ring that straddles the end
; of RAM; a ring above 4 GiB; then TDLEN not a multiple of 128 (the engine
; stays idle: TDH does not move). Receive rings outside RAM, and buffers
; outside it. Prints TDH after each, and "e1000 ok".
; NE2000 (DP8390D): PSTART above PSTOP, CURR outside the ring, a transmit
; from page 0xFF of 0xFFFF bytes, remote DMA across the 64 KiB wrap. Prints
; "ne2k ok".
; virtio-net (virtio 1.0 2.4, 4.1): a buffer wrapping the 64-bit space, an
; available index jumping ahead, a descriptor loop: each gives
; DEVICE_NEEDS_RESET (status 4f); a buffer longer than RAM is returned
; unsent (status stays 0f); a receive buffer outside RAM (the frame is
; lost, 0f), one wrapping the 64-bit space (4f). Prints the status after
; each. Then exits with status 3 through port 0xF4.
; Same hand-written ELF32 layout as multiboot_hello.asm.

bits 32
org 0x100000

MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00000003
COM1     equ 0x3F8
E1K      equ 0xFEB00000           ; e1000 BAR0 (registers)
NE       equ 0xC100               ; NE2000 BAR0 (I/O)
VN       equ 0xC200               ; virtio-net BAR0 (I/O)
RAM_END  equ 0x01000000
TXR      equ 0x200000             ; e1000 transmit ring
RXR      equ 0x210000             ; e1000 receive ring
VQ0      equ 0x300000             ; virtio receiveq: desc, avail +0x1000, used +0x2000
VQ1      equ 0x310000             ; virtio transmitq
FRAME    equ 0x220000             ; a good 60-byte frame
ZHDR     equ 0x228000             ; a virtio_net_hdr asking for nothing (zeros)

ehdr:
    db 0x7F, "ELF", 1, 1, 1, 0
    times 8 db 0
    dw 2, 3                       ; ET_EXEC, EM_386
    dd 1, start, phdr - $$, 0, 0
    dw ehdr_end - ehdr, phdr_end - phdr, 1, 0, 0, 0
ehdr_end:
phdr:
    dd 1, 0, $$, $$, file_end - $$, bss_end - $$, 7, 0x1000
phdr_end:

align 4
    dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

; PCI configuration write: devfn, offset, value (dword)
%macro pciw 3
    mov eax, 0x80000000 | (%1 << 8) | %2
    mov dx, 0xCF8
    out dx, eax
    mov eax, %3
    mov dx, 0xCFC
    out dx, eax
%endmacro
; e1000 register write / read
%macro ew 2
    mov dword [E1K + %1], %2
%endmacro
%macro er 1
    mov eax, [E1K + %1]
%endmacro
; e1000 legacy transmit descriptor n of the ring at TXR: addr (64), length, cmd
%macro txd 5
    mov dword [TXR + 16 * %1], %2
    mov dword [TXR + 16 * %1 + 4], %3
    mov dword [TXR + 16 * %1 + 8], (%5 << 24) | %4
    mov dword [TXR + 16 * %1 + 12], 0
%endmacro
; NE2000 register write
%macro nw 2
    mov dx, NE + %1
    mov al, %2
    out dx, al
%endmacro
; virtio descriptor: table, index, addr lo, addr hi, len, flags | next << 16
%macro vqd 6
    mov dword [%1 + 16 * %2], %3
    mov dword [%1 + 16 * %2 + 4], %4
    mov dword [%1 + 16 * %2 + 8], %5
    mov dword [%1 + 16 * %2 + 12], %6
%endmacro

start:
    mov esp, stack_top
    cld
    ; a good frame: broadcast, then bytes
    mov edi, FRAME
    mov ecx, 60
    mov al, 0xFF
    rep stosb
    mov edi, ZHDR
    mov ecx, 12
    xor al, al
    rep stosb
    ; BARs and decoding, as firmware would
    pciw 0x18, 0x10, E1K
    pciw 0x18, 0x04, 7
    pciw 0x20, 0x10, NE
    pciw 0x20, 0x04, 5
    pciw 0x48, 0x10, VN
    pciw 0x48, 0x04, 5

; ---- e1000 ----------------------------------------------------------------
    ew 0x0000, 1 << 26            ; CTRL.RST
    ; receive: a ring outside RAM
    ew 0x2800, 0xFFFFF000         ; RDBAL
    ew 0x2804, 0
    ew 0x2808, 0x80               ; RDLEN: 8 descriptors
    ew 0x2810, 0
    ew 0x2818, 7
    ew 0x0100, (1 << 1) | (1 << 3) | (1 << 4) | (1 << 15)   ; RCTL: EN UPE MPE BAM
    ; transmit ring in RAM, with hostile buffers
    ew 0x3800, TXR
    ew 0x3804, 0
    ew 0x3808, 0x80
    ew 0x3810, 0
    ew 0x3818, 0
    ew 0x0400, 1 << 1             ; TCTL.EN
    txd 0, 0xFFFFFFF0, 0, 0x3000, 0x01          ; past RAM: reads 0xff, EOP
    txd 1, RAM_END - 0x20, 0, 0x100, 0x01       ; across the end of RAM
    ; TSO context (DEXT, DTYP 0): hdrlen 255, mss 0, paylen 0xFFFFF
    mov dword [TXR + 32], 0
    mov dword [TXR + 36], 0
    mov dword [TXR + 40], (0x24 << 24) | (0x0 << 20) | 0xFFFFF   ; TUCMD DEXT|TSE
    mov dword [TXR + 44], (0 << 16) | (255 << 8)
    ; TSE data descriptor (DEXT, DTYP 1), 64 bytes, EOP
    mov dword [TXR + 48], FRAME
    mov dword [TXR + 52], 0
    mov dword [TXR + 56], (0x25 << 24) | (1 << 20) | 64        ; DCMD DEXT|TSE|EOP
    mov dword [TXR + 60], 0
    txd 4, 0, 0, 0xFFFF, 0x00      ; 0xFFFF-byte pieces without EOP ...
    txd 5, 0, 0, 0xFFFF, 0x00
    txd 6, 0, 0, 0xFFFF, 0x01      ; ... longer than any packet: dropped at EOP
    ew 0x3818, 7                  ; TDT: go
    er 0x3810
    call put_tdh
    ; a receive ring in RAM whose buffers are outside it and across its end
    mov dword [RXR], 0xFFFFFF00
    mov dword [RXR + 4], 0xFFFFFFFF
    mov dword [RXR + 16], RAM_END - 0x10
    mov dword [RXR + 20], 0
    ew 0x2800, RXR
    ew 0x2810, 0
    ew 0x2818, 2
    txd 7, FRAME, 0, 60, 0x01
    txd 0, FRAME, 0, 60, 0x01
    ew 0x3818, 1                  ; two good frames, echoed into those buffers
    er 0x3810
    call put_tdh
    ; a transmit ring across the end of RAM, then one above 4 GiB
    ew 0x0400, 0
    ew 0x3800, RAM_END - 0x40
    ew 0x3810, 0
    ew 0x3818, 0
    ew 0x0400, 1 << 1
    ew 0x3818, 6
    er 0x3810
    call put_tdh
    ew 0x0400, 0
    ew 0x3800, 0
    ew 0x3804, 0xFFFFFFFF
    ew 0x3810, 0
    ew 0x3818, 0
    ew 0x0400, 1 << 1
    ew 0x3818, 5
    er 0x3810
    call put_tdh
    ; TDLEN not a multiple of 128, TDT past the ring: no fetch at all
    ew 0x0400, 0
    ew 0x3804, 0
    ew 0x3800, TXR
    ew 0x3808, 0x12345
    ew 0x3810, 0
    ew 0x3818, 0
    ew 0x0400, 1 << 1
    ew 0x3818, 0xFFFF
    er 0x3810
    call put_tdh
    mov esi, msg_e1k
    call puts

; ---- NE2000 ----------------------------------------------------------------
    mov dx, NE + 0x1F
    in al, dx                     ; reset port
    nw 0x00, 0x21                 ; page 0, stop, abort DMA
    nw 0x0E, 0x49                 ; DCR: word-wide, normal, FIFO 8
    nw 0x01, 0x80                 ; PSTART above ...
    nw 0x02, 0x40                 ; ... PSTOP
    nw 0x03, 0x50                 ; BNRY
    nw 0x0C, 0x1E                 ; RCR: broadcast, multicast, promiscuous
    nw 0x0D, 0x00                 ; TCR: normal
    nw 0x07, 0xFF                 ; ISR: clear
    nw 0x00, 0x61                 ; page 1
    nw 0x07, 0xFF                 ; CURR outside everything
    nw 0x00, 0x22                 ; page 0, start
    ; transmit from page 0xFF, 0xFFFF bytes (the echo comes back into the odd ring)
    nw 0x04, 0xFF                 ; TPSR
    nw 0x05, 0xFF                 ; TBCR0
    nw 0x06, 0xFF                 ; TBCR1
    nw 0x00, 0x26                 ; start | transmit
    ; a good 60-byte frame from page 0x40
    nw 0x04, 0x40
    nw 0x05, 60
    nw 0x06, 0
    nw 0x00, 0x26
    ; remote write across the 64 KiB wrap: RSAR 0xFFF0, 0x100 bytes
    nw 0x08, 0xF0
    nw 0x09, 0xFF
    nw 0x0A, 0x00
    nw 0x0B, 0x01
    nw 0x00, 0x12                 ; remote write
    mov ecx, 0x100
    mov dx, NE + 0x10
    mov ax, 0xA55A
.nwr:
    out dx, ax
    loop .nwr
    ; remote read of 0xFFFF bytes at 0, stopped by abort after 0x200 words
    nw 0x08, 0x00
    nw 0x09, 0x00
    nw 0x0A, 0xFF
    nw 0x0B, 0xFF
    nw 0x00, 0x0A                 ; remote read
    mov ecx, 0x200
    mov dx, NE + 0x10
.nrd:
    in ax, dx
    loop .nrd
    nw 0x00, 0x22                 ; abort
    mov esi, msg_ne
    call puts

; ---- virtio-net ----------------------------------------------------------------
    mov dword [scenario], 0
.vscen:
    call vn_up
    mov eax, [scenario]
    cmp eax, 0
    jne .s1
    ; a buffer wrapping the 64-bit space
    vqd VQ1, 0, 0xFFFFFFF0, 0xFFFFFFFF, 0x40, 0
    jmp .kick
.s1:
    cmp eax, 1
    jne .s2
    mov word [VQ1 + 0x1000 + 2], 0x1234   ; avail idx far ahead
    jmp .kick2
.s2:
    cmp eax, 2
    jne .s3
    vqd VQ1, 0, FRAME, 0, 12, 1 | (1 << 16)     ; 0 -> 1 -> 0: a loop
    vqd VQ1, 1, FRAME, 0, 12, 1 | (0 << 16)
    jmp .kick
.s3:
    cmp eax, 3
    jne .s4
    vqd VQ1, 0, RAM_END - 0x100, 0, 0xFFFFFFFF, 0   ; longer than RAM
    jmp .kick
.s4:
    ; receive: the first buffer lies outside RAM (scenario 4: the frame is
    ; lost, the ring is fine) or wraps the 64-bit space (5: a ring error);
    ; a good frame is sent, and its echo goes into that buffer
    cmp eax, 4
    jne .s5
    vqd VQ0, 0, 0xF0000000, 0, 1526, 2
    jmp .s45
.s5:
    vqd VQ0, 0, 0xFFFFFF00, 0xFFFFFFFF, 1526, 2
.s45:
    vqd VQ1, 0, ZHDR, 0, 12, 1 | (1 << 16)     ; a zero header, then the frame
    vqd VQ1, 1, FRAME, 0, 60, 0
.kick:
    mov word [VQ1 + 0x1000 + 4], 0        ; avail ring[0] = head 0
    mov word [VQ1 + 0x1000 + 2], 1        ; avail idx = 1
.kick2:
    mov dx, VN + 0x44
    mov ax, 1
    out dx, ax                    ; notify transmitq1
    mov esi, msg_vn
    call puts
    mov eax, [scenario]
    call put_hex
    mov esi, msg_status
    call puts
    mov dx, VN + 0x14
    in al, dx
    movzx eax, al
    call put_hex
    mov esi, msg_nl
    call puts
    inc dword [scenario]
    cmp dword [scenario], 6
    jne .vscen
    mov al, 3
    out 0xF4, al

; virtio-net up (3.1.1): reset, features VERSION_1 only, two 8-entry queues
vn_up:
    ; clean rings
    mov edi, VQ0
    mov ecx, 0x20000 / 4
    xor eax, eax
    rep stosd
    mov dx, VN + 0x14
    xor al, al
    out dx, al
    mov al, 3
    out dx, al
    mov dx, VN + 0x08
    mov eax, 1
    out dx, eax                   ; driver_feature_select 1
    mov dx, VN + 0x0C
    out dx, eax                   ; VERSION_1
    mov dx, VN + 0x14
    mov al, 0x0B
    out dx, al                    ; FEATURES_OK
    xor ebx, ebx
.q:
    mov dx, VN + 0x16
    mov ax, bx
    out dx, ax
    mov dx, VN + 0x18
    mov ax, 8
    out dx, ax
    mov eax, ebx
    shl eax, 16
    add eax, VQ0
    mov dx, VN + 0x20
    out dx, eax
    add eax, 0x1000
    mov dx, VN + 0x28
    out dx, eax
    add eax, 0x1000
    mov dx, VN + 0x30
    out dx, eax
    xor eax, eax
    mov dx, VN + 0x24
    out dx, eax
    mov dx, VN + 0x2C
    out dx, eax
    mov dx, VN + 0x34
    out dx, eax
    mov dx, VN + 0x1C
    mov ax, 1
    out dx, ax                    ; queue_enable
    inc ebx
    cmp ebx, 2
    jne .q
    ; receive buffers for the echoes: 4 x 1526 bytes at 0x330000
    mov ecx, 4
    xor ebx, ebx
.rb:
    mov eax, ebx
    imul eax, 0x800
    add eax, 0x330000
    mov edi, ebx
    shl edi, 4
    mov [VQ0 + edi], eax
    mov dword [VQ0 + edi + 4], 0
    mov dword [VQ0 + edi + 8], 1526
    mov dword [VQ0 + edi + 12], 2          ; WRITE
    mov [VQ0 + 0x1000 + 4 + 2 * ebx], bx
    inc ebx
    loop .rb
    mov word [VQ0 + 0x1000 + 2], 4
    mov dx, VN + 0x14
    mov al, 0x0F
    out dx, al                    ; DRIVER_OK
    ret

put_tdh:
    push eax
    mov esi, msg_tdh
    call puts
    pop eax
    call put_hex
    mov esi, msg_nl
    call puts
    ret

; EAX as eight hex digits
put_hex:
    mov ecx, 8
.digit:
    rol eax, 4
    push eax
    and eax, 0xF
    mov al, [hexdig + eax]
    mov [char_buf], al
    mov byte [char_buf + 1], 0
    mov esi, char_buf
    call puts
    pop eax
    loop .digit
    ret

puts:
    lodsb
    test al, al
    jz .end
    push edx
    push eax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop eax
    mov dx, COM1
    out dx, al
    pop edx
    jmp puts
.end:
    ret

align 4
hexdig:      db "0123456789abcdef"
msg_tdh:     db "e1000 TDH ", 0
msg_e1k:     db "e1000 ok", 10, 0
msg_ne:      db "ne2k ok", 10, 0
msg_vn:      db "virtio-net ", 0
msg_status:  db " status ", 0
msg_nl:      db 10, 0

file_end:
; bss (zeroed by the loader)
scenario  equ $$ + ((file_end - $$ + 15) & ~15)
char_buf  equ scenario + 4
stack_top equ char_buf + 16 + 4096
bss_end   equ stack_top
