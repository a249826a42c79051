; cpu_smc.asm - self-modifying code for test_cpu_exec.c (flat 32-bit, loaded
; at 0x1000): each store patches an instruction that is already decoded in
; the running translation block; the CPU must execute the new bytes.
bits 32
org 0x1000

start:
    mov byte [patch1 + 1], 42       ; patch the immediate of the next instruction
patch1:
    mov eax, 1                      ; runs as mov eax, 42
    mov [result1], eax

    xor esi, esi
    mov ecx, 5
again:
    mov [patch2 + 1], ecx           ; a new immediate every iteration
patch2:
    mov eax, 0
    add esi, eax
    loop again
    mov [result2], esi              ; 5+4+3+2+1 = 15

    mov byte [patch3], 0x40         ; turn the NOP into INC EAX
patch3:
    nop
    mov [result3], eax              ; eax was 1 (last patch2 value): 2
    hlt

align 4
result1: dd 0
result2: dd 0
result3: dd 0
