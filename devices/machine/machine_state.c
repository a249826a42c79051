/*
 * machine_state.c - the description of struct machine and struct
 * pc_devices (devices/vmstate.h). Every member of either is listed, as
 * state, config or wiring; tests/unit/test_vmstate.c proves the tables
 * cover every byte, so a device added to the board without a description
 * fails that test instead of silently not being saved.
 */
#include "devices/machine/machine_state.h"

#include "devices/machine/machine.h"
#include "memory/memory.h"

#define D struct pc_devices
static const struct vms_field pc_devices_fields[] = {
    VMS_S(D, pic, pic_vmstate), VMS_S(D, lapic, lapic_vmstate), VMS_S(D, ioapic, ioapic_vmstate),
    VMS_C(D, has_apic), VMS(D, asleep), VMS_S(D, pit, pit_vmstate),
    VMS_SA(D, uart, uart_vmstate), VMS_S(D, debug, debug_ports_vmstate),
    VMS_S(D, sysctl, sys_ctrl_vmstate), VMS_S(D, rtc, rtc_vmstate), VMS_S(D, kbc, i8042_vmstate),
    VMS_S(D, pci, pci_bus_vmstate), VMS_S(D, host, i440fx_vmstate), VMS_S(D, isa, piix3_vmstate),
    VMS_S(D, pm, acpi_pm_vmstate), VMS_S(D, fw_cfg, fw_cfg_vmstate),
    VMS_W(D, acpi),                 /* built once from the options; placed in RAM or fw_cfg */
    VMS_S(D, vga, vga_vmstate), VMS_S(D, ide, ide_controller_vmstate),
    VMS_SA(D, vblk, virtio_blk_vmstate), VMS_C(D, nvblk), VMS_S(D, testdev, pc_testdev_vmstate),
    VMS_SA(D, e1000, e1000_vmstate), VMS_SA(D, ne2k, ne2k_pci_vmstate),
    VMS_SA(D, vnet, virtio_net_vmstate), VMS_C(D, ne1000), VMS_C(D, nne2k), VMS_C(D, nvnet),
    VMS_C(D, nnic), VMS_CA(D, nic_model),
    VMS_W(D, nic_port),             /* the cables to the host backends */
    VMS_C(D, pci_mem_attached),
};
#undef D
const struct vms_desc pc_devices_vmstate = {
    VMS_DESC(struct pc_devices, "pc_devices", 1, pc_devices_fields)
};

/* The I/O bus's port table is wiring: the devices' post_load hooks put back
 * the mappings the guest moved (PCI I/O BARs, the PM base). The options and
 * the host side are the run's, not the machine's. */
#define M struct machine
static const struct vms_field machine_fields[] = {
    VMS_S(M, cpu, cpu_vmstate), VMS_PS(M, mem, phys_mem_vmstate), VMS_W(M, io),
    VMS_S(M, clock, vclock_vmstate), VMS_S(M, dev, pc_devices_vmstate), VMS_W(M, opt),
    VMS(M, exit_status), VMS(M, stop), VMS(M, reset_request), VMS(M, resume_request),
    VMS_C(M, boot), VMS_W(M, last_poll_icount), VMS_W(M, last_poll_host_ns), VMS(M, resets),
    VMS_W(M, host_start_ns), VMS_W(M, host_ops), VMS_W(M, host), VMS_W(M, trace),
};
#undef M
const struct vms_desc machine_vmstate = { VMS_DESC(struct machine, "machine", 1, machine_fields) };

uint64_t machine_ram_hash(struct machine *m)
{
    uint64_t size;
    const uint8_t *ram = phys_mem_ram(m->mem, &size);
    return vms_hash64(size, ram, size);
}

uint64_t machine_state_hash(struct machine *m)
{
    return vms_hash(&machine_vmstate, m, machine_ram_hash(m));
}
