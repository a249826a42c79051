; multiboot_low.asm - multiboot_hello.asm linked at 0x8000, inside the
; area where the loader puts its own structures by default (0x5000-0x20000),
; as kvm-unit-tests' realmode.flat is: the loader must move them.
; Checked by test_frontend_boot.c (boot::multiboot_low_loaded_kernel).
%define MB_HELLO_ORG 0x8000
%include "multiboot_hello.asm"
