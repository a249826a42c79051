/*
 * linux_boot.c - direct bzImage boot (32-bit boot protocol). See linux_boot.h.
 */
#include "frontend/linux_boot.h"

#include <stdio.h>
#include <string.h>

#include "frontend/machine.h"

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

bool linux_boot_probe(const uint8_t *image, size_t len)
{
    return len >= 0x260 && get32(image + LH_HEADER) == 0x53726448u;   /* "HdrS" */
}

int linux_boot_load(struct machine *m, const uint8_t *image, size_t len)
{
    (void)image; (void)len;
    fprintf(stderr, "softvm: -kernel '%s': Linux direct boot: not implemented yet\n", m->opt.kernel);
    return -1;
}
