/*
 * options.h - the parsed command line (QEMU-style options).
 */
#ifndef SOFTVM_FRONTEND_OPTIONS_H
#define SOFTVM_FRONTEND_OPTIONS_H

#include <stdint.h>

struct vm_options {
    uint64_t ram_size;
    const char *kernel, *initrd, *append, *bios;
};

#endif
