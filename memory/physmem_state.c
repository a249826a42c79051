/*
 * physmem_state.c - what of the physical map is saved (devices/vmstate.h):
 * the PAM settings of 0xC0000-0xFFFFF (i440FX datasheet 3.2.18) and the A20
 * gate. RAM is saved by the snapshot stream itself (sparse, compressed:
 * phys_mem_ram); ROM contents and the region lists are built from the
 * options; MMIO regions and device RAM the guest moves (the local APIC
 * page, the VGA's VRAM behind BAR 0) are put back by their devices'
 * post_load hooks, and device RAM contents are saved by their devices.
 */
#include "memory/physmem.h"

#include <string.h>

#include "devices/vmstate.h"
#include "memory/tlb.h"

/* Nothing translated survives a load: every TLB of the map, every mark. */
static void phys_mem_post_load(void *obj)
{
    struct phys_mem *pm = obj;
    if (pm->a20_mask != ~(uint64_t)0)
        pm->a20_mask = ~(uint64_t)(1u << 20);
    for (unsigned i = 0; i < PAM_CHUNKS; i++)
        pm->pam[i] &= PAM_READ_RAM | PAM_WRITE_RAM;
    for (int i = 0; i < pm->ntlbs; i++)
        tlb_invalidate(pm->tlbs[i]);
    if (pm->code_bitmap)
        memset(pm->code_bitmap, 0, (pm->ram_size / PHYS_PAGE_SIZE + 7) / 8);
}

#define P struct phys_mem
static const struct vms_field phys_mem_fields[] = {
    VMS_W(P, ram), VMS_C(P, ram_size), VMS_C(P, ram_low), VMS_W(P, roms), VMS_C(P, nroms),
    VMS_W(P, mmio), VMS_C(P, nmmio), VMS_W(P, mmio_over_ram), VMS_W(P, devram),
    VMS_C(P, ndevram), VMS_W(P, devram_mapped), VMS_A(P, pam), VMS(P, a20_mask),
    VMS_W(P, code_bitmap), VMS_W(P, code_hook), VMS_W(P, code_hook_opaque), VMS_W(P, tlbs),
    VMS_W(P, ntlbs),
};
#undef P
const struct vms_desc phys_mem_vmstate = {
    VMS_DESC(struct phys_mem, "phys_mem", 1, phys_mem_fields), .post_load = phys_mem_post_load,
};

uint8_t *phys_mem_ram(struct phys_mem *pm, uint64_t *size)
{
    *size = pm->ram_size;
    return pm->ram;
}

uint64_t phys_mem_rom_hash(const struct phys_mem *pm)
{
    uint64_t h = 0;
    for (int i = 0; i < pm->nroms; i++) {
        h = vms_hash64(h, &pm->roms[i].base, sizeof(pm->roms[i].base));
        h = vms_hash64(h, pm->roms[i].data, pm->roms[i].len);
    }
    return h;
}
