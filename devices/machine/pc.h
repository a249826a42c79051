/*
 * pc.h - the devices of the i440FX/PIIX3-class PC board, as one struct the
 * machine owns. Each device's state is private to its own file pair; this
 * struct only holds them so they live inside struct machine.
 *
 * Order for the frontend (machine_init): phys_mem_create, io_bus_init,
 * vclock_init, cpu_init, then pc_devices_init (it installs cpu.intr_ack and
 * the io_bus IRQ routing). Afterwards, attach host sides:
 *   uart_set_sink(&m->dev.uart[0], stdout_writer, ...)   COM1 output
 *   uart_can_receive / uart_receive_byte(&m->dev.uart[0], b)  at slice boundaries
 *   debug_ports_set_sink(&m->dev.debug, file_writer, ...)      -debugcon
 *   fw_cfg_add_file(&m->dev.fw_cfg, "bootorder", ...), fw_cfg_add_bytes(
 *       &m->dev.fw_cfg, FW_CFG_KERNEL_SIZE, ...) etc. for boots through SeaBIOS
 *   fw_cfg_add_file(&m->dev.fw_cfg, "pci1234,1111.rom", rom, len)
 *       lets SeaBIOS run the VGA BIOS as the stdvga's option ROM
 *   ide_attach(&m->dev.ide, index, block_dev, cdrom)   disks and CD-ROMs
 * Direct kernel boot: pc_devices_setup_direct_boot (below).
 * machine_destroy: pc_devices_destroy.
 * On a machine reset request: pc_devices_reset, then cpu_reset.
 */
#ifndef SOFTVM_DEVICES_MACHINE_PC_H
#define SOFTVM_DEVICES_MACHINE_PC_H

#include "devices/pic.h"
#include "devices/lapic.h"
#include "devices/ioapic.h"
#include "devices/pit.h"
#include "devices/uart.h"
#include "devices/debugport.h"
#include "devices/sysctl.h"
#include "devices/rtc.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "devices/i440fx.h"
#include "devices/piix3.h"
#include "devices/acpi_pm.h"
#include "devices/fw_cfg.h"
#include "devices/acpi_tables.h"
#include "devices/vga.h"
#include "devices/ide.h"
#include "devices/virtio_blk.h"
#include "devices/pc_testdev.h"
#include "devices/net/e1000.h"
#include "devices/net/ne2k_pci.h"
#include "devices/net/virtio_net.h"

struct machine;

#define PC_NUM_UARTS 4
#define PC_MAX_VIRTIO_BLK 4
#define PC_VGA_SLOT 2                /* the stdvga at 00:02.0, as on QEMU's pc */
#define PC_VIRTIO_BLK_SLOT 5        /* virtio-blk n at 00:(5+n).0 */
/* Network cards: n at 00:03.0, 00:04.0, then 00:09.0, 00:0a.0 (virtio-blk has 5-8). */
#define PC_MAX_NICS 4
#define PC_NIC_SLOT(n) ((n) < 2 ? 3 + (n) : 7 + (n))
enum pc_nic_model { PC_NIC_E1000, PC_NIC_NE2K_PCI, PC_NIC_VIRTIO_NET };
/* ISA IRQs PCI devices and the SCI may use: level-triggered (ELCR, MADT). */
#define PC_PCI_IRQ_MASK ((1u << 5) | (1u << 9) | (1u << 10) | (1u << 11))

struct pc_devices {
    struct pic pic;
    struct lapic lapic;                 /* the CPU's local APIC (unless has_apic is false) */
    struct ioapic ioapic;
    bool has_apic;                      /* -cpu ...,-apic leaves both out, as QEMU does */
    bool asleep;                        /* S3: the CPU is off until a wake event */
    struct pit pit;
    struct uart uart[PC_NUM_UARTS];     /* COM1..COM4 */
    struct debug_ports debug;
    struct sys_ctrl sysctl;
    struct rtc rtc;
    struct i8042 kbc;                   /* keyboard controller, PS/2 keyboard + mouse */
    struct pci_bus pci;
    struct i440fx host;                 /* 00:00.0 host bridge, PAM */
    struct piix3 isa;                   /* 00:01.0 ISA bridge, PIRQ router */
    struct acpi_pm pm;                  /* 00:01.3 ACPI power management */
    struct fw_cfg fw_cfg;
    struct acpi_tables acpi;            /* built once; placed by BIOS or direct boot */
    struct vga vga;                     /* 00:02.0 stdvga (1234:1111) */
    struct ide_controller ide;          /* 00:01.1 PIIX3 IDE, IRQ 14/15 */
    struct virtio_blk vblk[PC_MAX_VIRTIO_BLK];
    int nvblk;
    struct pc_testdev testdev;          /* only with -device pc-testdev */
    /* Network cards, in -nic/-device order; nic_port[n] is card n's cable end. */
    struct e1000 e1000[PC_MAX_NICS];
    struct ne2k_pci ne2k[PC_MAX_NICS];
    struct virtio_net vnet[PC_MAX_NICS];
    int ne1000, nne2k, nvnet;
    int nnic;
    enum pc_nic_model nic_model[PC_MAX_NICS];
    struct net_port *nic_port[PC_MAX_NICS];
    bool pci_mem_attached;              /* the PCI memory window is decoded */
};

/* Plug in network card n (the next one): model, MAC. 0, or -1 if the board
 * is full or the model is not built. */
int pc_add_nic(struct pc_devices *d, struct machine *m, enum pc_nic_model model,
               const uint8_t mac[6]);

/* Plug in a virtio-blk disk (the next slot from 00:05.0) owning bd. 0 or -1. */
int pc_add_virtio_blk(struct pc_devices *d, struct machine *m, struct block_dev *bd,
                      const char *serial);

/* Create and wire every board device. Returns 0, or -1 on a wiring error
 * (a port claimed twice, out of timers). */
int pc_devices_init(struct pc_devices *d, struct machine *m);
/* Return every device to its power-on state (machine reset). */
void pc_devices_reset(struct pc_devices *d);
/* Free what the devices allocated (fw_cfg items) and close the disk images. */
void pc_devices_destroy(struct pc_devices *d);
/*
 * Direct kernel boot (no firmware): do what SeaBIOS would have done to the
 * board: RAM-backed 0xE0000-0xFFFFF (PAM), PM registers at 0x600, PCI
 * interrupt routing, and the ACPI tables with the RSDP at 0xF0000 and the
 * tables at 0xF0100 (so the e820 map must reserve 0xF0000-0xFFFFF).
 * Returns 0 or -1.
 */
int pc_devices_setup_direct_boot(struct pc_devices *d, struct machine *m);
/* The FACS firmware waking vector the guest left in the direct-boot ACPI
 * tables (read before a resume rebuilds them). */
uint32_t pc_devices_waking_vector(struct pc_devices *d, struct machine *m);

#endif
