; mode_exc.asm - real mode -> protected mode -> paging, then one of each
; exception at CPL 0, reported as (vector, error code) by the stubs of
; mode_common.inc, and a #DF. Checked by test_cpu_modes.c (modes::exceptions).
%include "mode_common.inc"

bits 32
pm_main:
    mov eax, cr0
    REPORT_EAX                      ; PE set

    ; Identity-map the first 4 MiB with 4 KiB pages, except 0x300000.
    mov edi, PAGE_TABLE
    mov eax, 0x007                  ; P | RW | US
    mov ecx, 1024
.map:
    stosd
    add eax, 0x1000
    loop .map
    mov dword [PAGE_TABLE + 0x300 * 4], 0
    mov dword [PAGE_DIR], PAGE_TABLE | 0x007
    mov eax, PAGE_DIR
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp .paged                      ; (a jump after enabling paging, as the SDM asks)
.paged:
    REPORT 0x00002222

    RESUME_AT .de                   ; #DE
    xor ecx, ecx
    div ecx
.de:
    RESUME_AT .ud                   ; #UD
    ud2
.ud:
    RESUME_AT .gp                   ; #GP(selector) outside the GDT
    mov ax, 0x0ff8
    mov ds, ax
.gp:
    RESUME_AT .np                   ; #NP(selector)
    mov ax, NPDATA
    mov es, ax
.np:
    RESUME_AT .ss                   ; #SS(selector): not-present stack segment
    mov ax, NPDATA
    mov ss, ax
.ss:
    RESUME_AT .ts                   ; #TS(selector): TSS limit below 0x67
    jmp BADTSS:0
.ts:
    RESUME_AT .br                   ; #BR
    mov eax, 5
    bound eax, [bounds]
.br:
    RESUME_AT .of                   ; #OF (a trap)
    mov al, 0x7f
    add al, 1
    into
.of:
    RESUME_AT .bp                   ; #BP (a trap)
    int3
.bp:
    RESUME_AT .pf_read              ; #PF read of a not-present page
    mov eax, [0x300010]
.pf_read:
    mov eax, cr2
    REPORT_EAX
    RESUME_AT .pf_write             ; #PF write
    mov dword [0x300ffc], 1
.pf_write:
    mov eax, cr2
    REPORT_EAX
    ; #GP(0) from a write to a read-only data segment is not tested here.

    ; #GP whose gate is not present -> #NP during delivery -> #DF(0).
    and byte [IDT_BASE + 13 * 8 + 5], 0x7f
    RESUME_AT .df
    mov ax, 0x0ff8
    mov ds, ax
.df:
    or byte [IDT_BASE + 13 * 8 + 5], 0x80
    mov ax, DATA0
    mov ds, ax
    REPORT 0x00003333
    ret

align 4
bounds: dd 0, 3
