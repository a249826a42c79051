; loop_kernel.asm - a Multiboot v1 micro-benchmark kernel: one tight loop of
; known instructions, so the same program can be timed under softvm and
; under QEMU (bench/run.sh) and the guest instruction rate compared.
;
; Assembled once per workload (nasm -f bin -DWORKLOAD=N):
;   1 alu    register arithmetic, 7 instructions per iteration
;   2 mem    load / add / store over a 64 KiB buffer, paging off, 7
;   3 call   call + ret of a tiny function, 5
;   4 pmem   as mem, with 32-bit paging on (every access a TLB hit), 7
;   5 ptlb   paging on, one load and one read-modify-write per 4 KiB page
;            over 32 MiB (8192 pages: more than a TLB holds), 6
; The last word of the command line is the iteration count in millions
; (-append 100). On COM1 it prints
;   MARK workload <name> <instructions per iteration> <millions>
;   MARK loop-start
;   MARK loop-end
; and exits through the debug-exit port 0xF4 with 0x2A (status 85).
; Same hand-written ELF32 layout as tests/asm/multiboot_hello.asm.

bits 32
org 0x100000

%ifndef WORKLOAD
%define WORKLOAD 1
%endif

%include "multiboot_common.inc"
BUFFER   equ 0x800000             ; 8 MiB: the mem/pmem buffer
PAGE_DIR equ 0x300000             ; page directory, then 16 page tables
TLB_AREA equ 0x1000000            ; 16 MiB: the 32 MiB ptlb walks over

MULTIBOOT_ELF_HEADER

start:
    mov esp, stack_top
    ; the iteration count: the last word of the command line, in millions
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
    xor eax, eax
.digit:
    movzx edx, byte [edi]
    sub edx, '0'
    cmp edx, 9
    ja .parsed                    ; not a digit (or the NUL)
    imul eax, eax, 10
    add eax, edx
    inc edi
    jmp .digit
.parsed:
    mov [millions], eax
    imul eax, eax, 1000000
    mov [iterations], eax

    mov esi, msg_workload
    call puts
    mov esi, workload_name
    call puts
    mov al, ' '
    call putc
    mov eax, INSNS_PER_ITER
    call putdec
    mov al, ' '
    call putc
    mov eax, [millions]
    call putdec
    call newline

%if WORKLOAD >= 4
    call paging_on
%endif

    mov esi, msg_start
    call puts
    mov ecx, [iterations]
    test ecx, ecx
    jz .done
    xor eax, eax
    mov ebx, 0x12345
    xor edx, edx
    xor esi, esi
    xor edi, edi
    call the_loop
.done:
    mov esi, msg_end
    call puts
    mov al, 0x2A
    out 0xF4, al
.hang:
    cli
    hlt
    jmp .hang

; ---- the workloads: ECX iterations each ----------------------------------
align 16
%if WORKLOAD == 1
%define WORKLOAD_NAME "alu"
INSNS_PER_ITER equ 7
the_loop:
.l: add eax, ebx
    xor edx, eax
    rol eax, 3
    sub ebx, edx
    inc esi
    dec ecx
    jnz .l
    ret
%elif WORKLOAD == 2 || WORKLOAD == 4
%if WORKLOAD == 2
%define WORKLOAD_NAME "mem"
%else
%define WORKLOAD_NAME "pmem"
%endif
INSNS_PER_ITER equ 7
the_loop:
.l: mov eax, [edi + BUFFER]
    add eax, ecx
    mov [edi + BUFFER], eax
    add edi, 4
    and edi, 0xFFFC
    dec ecx
    jnz .l
    ret
%elif WORKLOAD == 3
%define WORKLOAD_NAME "call"
INSNS_PER_ITER equ 5
the_loop:
.l: call .fn
    dec ecx
    jnz .l
    ret
.fn:
    add eax, ecx
    ret
%elif WORKLOAD == 5
%define WORKLOAD_NAME "ptlb"
INSNS_PER_ITER equ 6
the_loop:
.l: mov eax, [edi + TLB_AREA]
    add [edi + TLB_AREA + 4], eax
    add edi, 0x1004               ; next page, 4 bytes further in
    and edi, 0x1FFFFFF            ; wrap within 32 MiB
    dec ecx
    jnz .l
    ret
%else
%error "WORKLOAD must be 1..5"
%endif

%if WORKLOAD >= 4
; Identity-map the first 64 MiB with 4 KiB pages and turn paging on
; (Intel SDM vol. 3A, 4.3: 32-bit paging).
paging_on:
    mov edi, PAGE_DIR + 0x1000    ; the page tables: 16 x 1024 entries
    mov eax, 0x003                ; present, writable, frame 0
    mov ecx, 16 * 1024
.pte:
    stosd
    add eax, 0x1000
    loop .pte
    mov edi, PAGE_DIR
    mov eax, PAGE_DIR + 0x1000 + 0x003
    mov ecx, 16
.pde:
    stosd
    add eax, 0x1000
    loop .pde
    mov ecx, 1024 - 16            ; the rest of the directory: not present
    xor eax, eax
    rep stosd
    mov eax, PAGE_DIR
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000            ; CR0.PG
    mov cr0, eax
    jmp .flush                    ; paging is on from the next instruction
.flush:
    ret
%endif

; ---- COM1 output (multiboot_common.inc) ----------------------------------
MULTIBOOT_COM1_OUTPUT

msg_workload:  db "MARK workload ", 0
workload_name: db WORKLOAD_NAME, 0
msg_start:     db "MARK loop-start", 10, 0
msg_end:       db "MARK loop-end", 10, 0

align 4
millions:   dd 0
iterations: dd 0

file_end:
stack_top equ $$ + ((file_end - $$ + 15) & ~15) + 4096
bss_end   equ stack_top
