; jit_faults.asm - a #PF on each kind of memory operand, in the middle of a
; basic block, for test_jit.c: the state the handler sees and the state
; after it resumes must be the faulting instruction's exactly (EIP, the
; registers changed by the instructions before it in the block, EFLAGS from
; lazy flags, partial progress of REP). Run on both engines.
;
; Paging identity-maps 0-4 MiB except the pages HOLE and HOLE16. Each case
; reports, from its own #PF handler: 14, the error code, EIP minus the
; faulting instruction's address (0), CR2; then after resuming: EAX, ECX,
; EDX, EDI, ESI and the arithmetic flags.
%include "mode_common.inc"

HOLE    equ 0x300000
HOLE16  equ 0x5000

; Registers before each faulting instruction: set in the same block, with
; an ADD leaving lazy flags (0x11111111 + 0xF0000000 = 0x01111111 carry out:
; CF=1, PF=1 (0x11 has two bits), ZF=SF=OF=AF=0).
%macro SETUP 0
    mov eax, 0x11111111
    mov ecx, 0x22222222
    mov edx, 0x33333333
    mov edi, 0x44444444
    mov esi, 0x55555555
    add eax, 0xF0000000
%endmacro

%macro REPORT_STATE 0
    out PORT_LOG, eax
    mov eax, ecx
    out PORT_LOG, eax
    mov eax, edx
    out PORT_LOG, eax
    mov eax, edi
    out PORT_LOG, eax
    mov eax, esi
    out PORT_LOG, eax
    pushfd
    pop eax
    and eax, 0x8D5
    out PORT_LOG, eax
%endmacro

; One case: %1 = a unique label, then the faulting instruction's text.
%macro FAULT 2+
    mov dword [expect], %1
    mov dword [resume], %%after
    SETUP
%1:
    %2
    mov eax, 0xDEAD                 ; never runs
%%after:
    REPORT_STATE
%endmacro

; The same with several instructions: BEGIN_FAULT label ... label: insn END_FAULT
%macro BEGIN_FAULT 1
    %push fault
    mov dword [expect], %1
    mov dword [resume], %$after
    SETUP
%endmacro
%macro END_FAULT 0
    mov eax, 0xDEAD
%$after:
    REPORT_STATE
    %pop
%endmacro

bits 32
pm_main:
    ; identity map with two holes
    mov edi, PAGE_TABLE
    mov eax, 0x003                  ; P | RW
    mov ecx, 1024
.map:
    stosd
    add eax, 0x1000
    loop .map
    mov dword [PAGE_TABLE + (HOLE >> 12) * 4], 0
    mov dword [PAGE_TABLE + (HOLE16 >> 12) * 4], 0
    mov dword [PAGE_DIR], PAGE_TABLE | 0x003
    mov eax, PAGE_DIR
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp .paged
.paged:
    ; our own #PF handler (vector 14)
    mov eax, pf_handler
    mov ebx, 14
    mov edx, 0x8E00
    call set_gate
    mov ebx, HOLE + 0x10
    mov [saved_ebx], ebx

    FAULT f_load, mov edx, [ebx]
    FAULT f_store, mov [ebx], edx
    FAULT f_alu_load, add edx, [ebx]
    FAULT f_rmw, add [ebx], edx
    FAULT f_inc, inc dword [ebx]
    FAULT f_movzx, movzx edx, word [ebx + 2]
    FAULT f_movsx8, movsx edx, byte [ebx + ecx - 0x22222222]
    FAULT f_sib, mov edx, [ebx + esi * 2 - 0xAAAAAAAA]
    FAULT f_store8, mov [ebx + 1], dl
    FAULT f_store16, mov [ebx + 2], dx
    FAULT f_store_imm, mov dword [ebx], 0x12345678
    FAULT f_cmp, cmp [ebx], edx
    FAULT f_test, test [ebx], edx
    FAULT f_xchg, xchg [ebx], eax
    FAULT f_cmpxchg, cmpxchg [ebx], ecx
    FAULT f_xadd, xadd [ebx], ecx
    FAULT f_bt, bts dword [ebx], 3
    FAULT f_shift, shl dword [ebx], 1
    FAULT f_rol, rol dword [ebx], 5
    FAULT f_sar8, sar byte [ebx + 3], 2
    FAULT f_imul, imul edx, [ebx]
    FAULT f_imul3, imul edx, [ebx], 100
    FAULT f_dec16, dec word [ebx + 2]
    FAULT f_not8, not byte [ebx + 1]
    FAULT f_neg, neg dword [ebx]
    FAULT f_cmovz, cmovz edx, [ebx]         ; ZF = 0 after SETUP: not moved, but read
    FAULT f_cmovc, cmovc edx, [ebx]         ; CF = 1 after SETUP
    FAULT f_push_m, push dword [ebx]
    FAULT f_pop_m, pop dword [ebx]
    FAULT f_call_m, call [ebx]
    FAULT f_jmp_m, jmp [ebx]
    FAULT f_cross, mov edx, [HOLE - 2]
    FAULT f_moffs, mov eax, [HOLE + 0x20]
    FAULT f_fld, fld dword [ebx]
    FAULT f_a16, a16 mov edx, [bx + si]   ; BX + SI = 0x0010 + 0x5555 in HOLE16
    ; string instructions; REP with elements done before the fault
    BEGIN_FAULT f_stos
    mov edi, HOLE - 8
    mov ecx, 5
f_stos:
    rep stosd
    END_FAULT
    BEGIN_FAULT f_movs
    mov esi, HOLE - 4
    mov edi, 0x100000
    mov ecx, 4
f_movs:
    rep movsd
    END_FAULT
    BEGIN_FAULT f_lods
    mov esi, HOLE
f_lods:
    lodsb
    END_FAULT
    ret

; [esp] error code, [esp+4] EIP, [esp+8] CS, [esp+12] EFLAGS
pf_handler:
    push eax
    mov eax, 14
    out PORT_LOG, eax
    mov eax, [esp + 4]
    out PORT_LOG, eax
    mov eax, [esp + 8]
    sub eax, [expect]
    out PORT_LOG, eax
    mov eax, cr2
    out PORT_LOG, eax
    mov eax, [resume]
    mov [esp + 8], eax
    mov ebx, [saved_ebx]
    pop eax
    add esp, 4
    iret

align 4
expect:    dd 0
saved_ebx: dd 0
