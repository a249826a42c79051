/*
 * multiboot.c - Multiboot v1 loader. See multiboot.h.
 */
#include "frontend/multiboot.h"

#include <stdio.h>
#include <string.h>

#include "frontend/machine.h"

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

long multiboot_find_header(const uint8_t *image, size_t len)
{
    size_t end = len < MULTIBOOT_SEARCH ? len : MULTIBOOT_SEARCH;
    for (size_t off = 0; off + 12 <= end; off += 4) {
        uint32_t magic = get32(image + off), flags = get32(image + off + 4);
        if (magic == MULTIBOOT_HEADER_MAGIC && magic + flags + get32(image + off + 8) == 0)
            return (long)off;
    }
    return -1;
}

int multiboot_load(struct machine *m, const uint8_t *image, size_t len)
{
    (void)image; (void)len;
    fprintf(stderr, "softvm: -kernel '%s': Multiboot: not implemented yet\n", m->opt.kernel);
    return -1;
}
