; mem_smc_alias.asm - self-modifying code through a second linear mapping,
; for test_mem_smc.c. Loaded at physical 0x1000, run flat 32-bit with paging
; on: linear 0-4 MiB is identity-mapped and linear 0x400000-0x7FFFFF maps
; the same physical 0-4 MiB again (ALIAS).
;
; The store through the alias of page B happens BEFORE page B holds any
; translated code, so the TLB gets a fast write entry for it; then page B is
; executed (and marked as code), then patched through that same alias.
; The softMMU must have slowed that write entry down when B was marked.
bits 32
org 0x1000
ALIAS equ 0x400000

start:
    mov dword [ALIAS + scratch], 0x11111111   ; fast write entry for B's alias
    jmp page_b

    times 0x1000 - ($ - $$) db 0xcc           ; page B starts at 0x2000
page_b:
    mov byte [ALIAS + patch + 1], 42          ; patch the next instruction via the alias
patch:
    mov eax, 1                                ; must run as mov eax, 42
    mov [result], eax
    hlt

align 4
result:  dd 0                                 ; read by the test
scratch: dd 0
