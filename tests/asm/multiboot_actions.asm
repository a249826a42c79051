; multiboot_actions.asm - a Multiboot test kernel for the machine's run loop.
; The last word of the command line picks what it does (-append WORD):
;   halt     cli; hlt with no timer: softvm must notice nothing can wake it
;   triple   load an empty IDT and INT3: triple fault (shutdown)
;   reset    first boot: mark RAM and reset through port 0xCF9; second boot
;            (the loader runs again): print "second boot" and exit status 7
;   timer    PIT channel 0 one-shot + IRQ0 through the PIC, STI; HLT: the
;            halted CPU must be woken by the timer; prints "tick", exit 9
;   echo     copy COM1 input to COM1 output (polling LSR bit 0) until a
;            newline, then exit 11
; Output goes to COM1; exits through the debug-exit port 0xF4.
; Same hand-written ELF32 layout as multiboot_hello.asm.

bits 32
org 0x100000

%include "multiboot_common.inc"
MARK     equ 0x200000             ; RAM the reset test uses (outside the image)

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
    mov al, [edi]
    cmp al, 'h'
    je do_halt
    cmp al, 't'
    je do_triple_or_timer
    cmp al, 'r'
    je do_reset
    cmp al, 'e'
    je do_echo
    mov al, 0x7F                  ; unknown word
    out 0xF4, al

do_halt:
    cli
    hlt
    mov al, 0x7E                  ; must never get here
    out 0xF4, al

do_triple_or_timer:
    cmp byte [edi + 1], 'r'
    je do_triple
    jmp do_timer

do_triple:
    lidt [empty_idt]
    int3
    mov al, 0x7D
    out 0xF4, al

do_reset:
    cmp dword [MARK], 0x52534554  ; "TESR": set by the first boot
    je .second
    mov dword [MARK], 0x52534554
    mov esi, msg_first
    call puts
    mov dx, 0xCF9
    mov al, 0x02
    out dx, al
    mov al, 0x06                  ; bit 2 0->1: reset (bit 1: hard)
    out dx, al
.spin:
    jmp .spin                     ; the reset takes effect at the slice end
.second:
    mov dword [MARK], 0
    mov esi, msg_second
    call puts
    mov al, 7
    out 0xF4, al

do_timer:
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
    ; PIT channel 0, mode 0 (interrupt on terminal count), 1000 ticks (~0.84 ms)
    mov al, 0x30
    out 0x43, al
    mov al, 0xE8
    out 0x40, al
    mov al, 0x03
    out 0x40, al
    sti
.wait:
    hlt
    cmp byte [ticked], 0
    je .wait
    mov esi, msg_tick
    call puts
    mov al, 9
    out 0xF4, al

do_echo:
    mov dx, COM1 + 5
.poll:
    in al, dx
    test al, 1                    ; LSR bit 0: a byte is waiting
    jz .poll
    mov dx, COM1
    in al, dx
    mov [echo_buf], al
    mov byte [echo_buf + 1], 0
    mov esi, echo_buf
    call puts
    mov dx, COM1 + 5
    cmp byte [echo_buf], 10
    jne .poll
    mov al, 11
    out 0xF4, al

timer_isr:
    mov byte [ticked], 1
    push eax
    mov al, 0x20                  ; EOI
    out 0x20, al
    pop eax
    iret

; ---- COM1 output (multiboot_common.inc) ----------------------------------
MULTIBOOT_COM1_OUTPUT

align 8
empty_idt:
    dw 0
    dd 0
idt_desc:
    dw 256 * 8 - 1
    dd idt

msg_first:  db "first boot", 10, 0
msg_second: db "second boot", 10, 0
msg_tick:   db "tick", 10, 0

file_end:
; bss (zeroed by the loader): the IDT, a flag and the stack
idt       equ $$ + ((file_end - $$ + 15) & ~15)
ticked    equ idt + 256 * 8
echo_buf  equ ticked + 4
stack_top equ ticked + 16 + 4096
bss_end   equ stack_top
