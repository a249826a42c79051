; mode_triple.asm - INT3 with an empty IDT: #GP, then #GP during its
; delivery (-> #DF), then a fault delivering #DF: triple fault, shutdown.
; Checked by test_cpu_modes.c (modes::triple_fault).
%include "mode_common.inc"

bits 32
pm_main:
    REPORT 0x00007001
    lidt [null_idt]
    int3
    REPORT 0x0000DEAD               ; never reached
    ret

null_idt:
    dw 0
    dd 0
