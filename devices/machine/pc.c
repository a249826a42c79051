/*
 * pc.c - builds the PC board: creates each device and connects it to the
 * machine only through the I/O bus, the IRQ lines and small callbacks.
 *
 * ISA IRQ map: 0 PIT, 1 keyboard, 2 cascade, 3 COM2/COM4, 4 COM1/COM3,
 * 8 RTC, 9 ACPI SCI, 12 PS/2 mouse, 14/15 IDE; PCI PIRQ A-D -> 10, 10, 11, 11 (as
 * SeaBIOS programs them).
 *
 * Interrupts as on QEMU's pc machine: each ISA IRQ goes to the 8259 pair and
 * to the I/O APIC (IRQ0 to pin 2); the 8259's INTR goes to LINT0 of the local
 * APIC, which drives the CPU's INTR pin. The MADT describes this, with
 * level-triggered overrides for the PCI/SCI IRQs 5, 9, 10, 11.
 *
 * PCI: 00:00.0 i440FX host bridge, 00:01.0 PIIX3 ISA bridge, 00:01.1 PIIX3
 * IDE, 00:01.3 PIIX4
 * ACPI PM (the layout of QEMU's "pc" machine, which SeaBIOS expects);
 * network cards at 00:03.0, 00:04.0, 00:09.0, 00:0a.0 (PC_NIC_SLOT), virtio-blk
 * disks from 00:05.0.
 */
#include "devices/machine/pc.h"

#include <time.h>

#define PC_ACPI_TABLES_ADDR 0xf0100u    /* direct boot: after the RSDP at 0xF0000 */

/* The ISA IRQ of PIRQ A-D, as SeaBIOS programs the PIIX3 (direct boot does
 * the same); the DSDT's _PRT describes this routing. */
static const uint8_t pc_pirq_irq[4] = { 10, 10, 11, 11 };

#include "cpu/cpu.h"
#include "devices/machine/machine.h"
#include "memory/memory.h"

static void pc_cpu_intr(void *opaque, bool level)
{
    struct machine *m = opaque;
    cpu_set_intr(&m->cpu, level);
}

static void pc_cpu_nmi(void *opaque)
{
    struct machine *m = opaque;
    cpu_raise_nmi(&m->cpu);
}

/* The 8259's INTR output: LINT0 of the local APIC. */
static void pc_pic_intr(void *opaque, bool level)
{
    struct machine *m = opaque;
    lapic_set_extint(&m->dev.lapic, level);
}

/* ISA IRQ n reaches the 8259 pair and I/O APIC pin n (IRQ0: pin 2);
 * lines 16-23 reach only the I/O APIC. While the board sleeps (S3) the
 * RTC's IRQ8 is also the PIIX4's RTC wake input. */
static void pc_irq(void *opaque, int line, bool level)
{
    struct machine *m = opaque;
    struct pc_devices *d = &m->dev;
    if (line < 16)
        pic_set_irq(&d->pic, line, level);
    if (d->has_apic)
        ioapic_set_pin(&d->ioapic, line < 16 ? ioapic_isa_pin(line) : line, level);
    if (line == 8 && level && d->asleep && acpi_pm_rtc_wake(&d->pm))
        machine_request_resume(m);
}

static void pc_suspend(void *opaque)
{
    struct machine *m = opaque;
    m->dev.asleep = true;
    cpu_request_exit(&m->cpu);
}

static uint64_t apic_read_base(void *apic) { return lapic_read_base(apic); }
static bool apic_write_base(void *apic, uint64_t v) { return lapic_write_base(apic, v); }
static bool apic_rdmsr(void *apic, uint32_t i, uint64_t *v) { return lapic_rdmsr(apic, i, v); }
static bool apic_wrmsr(void *apic, uint32_t i, uint64_t v) { return lapic_wrmsr(apic, i, v); }
static uint32_t apic_cpuid_ecx(void *apic) { return lapic_cpuid_ecx(apic); }
static uint8_t apic_read_tpr(void *apic) { return (uint8_t)lapic_reg_read(apic, 0x80); }
static void apic_write_tpr(void *apic, uint8_t tpr) { lapic_reg_write(apic, 0x80, tpr); }
static uint64_t apic_read_deadline(void *apic) { return lapic_read_tsc_deadline(apic); }
static void apic_write_deadline(void *apic, uint64_t v, uint64_t ns)
{
    lapic_write_tsc_deadline(apic, v, ns);
}

static const struct cpu_apic_ops pc_apic_ops = {
    .read_base = apic_read_base, .write_base = apic_write_base,
    .read_tsc_deadline = apic_read_deadline, .write_tsc_deadline = apic_write_deadline,
    .rdmsr = apic_rdmsr, .wrmsr = apic_wrmsr, .cpuid_ecx = apic_cpuid_ecx,
    .read_tpr = apic_read_tpr, .write_tpr = apic_write_tpr,
};

/* The local APIC between the 8259 and the CPU, the I/O APIC beside the 8259. */
static int pc_apic_init(struct pc_devices *d, struct machine *m)
{
    const struct lapic_wiring w = {
        .set_intr = pc_cpu_intr, .nmi = pc_cpu_nmi, .cpu = m,
        .pic_ack = pic_intr_ack, .pic = &d->pic,
        .eoi = ioapic_eoi, .eoi_opaque = &d->ioapic, .x2apic = m->opt.x2apic,
    };
    if (lapic_init(&d->lapic, m->mem, &m->clock, &w) ||
        ioapic_init(&d->ioapic, m->mem, &d->lapic))
        return -1;
    m->cpu.intr_ack = lapic_intr_ack;
    m->cpu.intr_opaque = &d->lapic;
    m->cpu.apic_ops = &pc_apic_ops;
    m->cpu.apic = &d->lapic;
    return 0;
}

static void pc_stop(void *opaque, int status)
{
    machine_request_stop(opaque, status);
}

static void pc_reset_request(void *opaque)
{
    machine_request_reset(opaque);
}

static void pc_set_a20(void *opaque, bool enabled)
{
    struct machine *m = opaque;
    if (m->mem)
        phys_mem_set_a20(m->mem, enabled);
}

/* The RTC's starting reading: the one host input the guest can see (-rtc base=). */
static int64_t rtc_base(const struct vm_options *opt)
{
    time_t now = time(NULL);
    switch (opt->rtc_base) {
    case VM_RTC_FIXED:
        return opt->rtc_start;
    case VM_RTC_LOCALTIME: {
        struct tm tm;
        localtime_r(&now, &tm);
        return (int64_t)now + tm.tm_gmtoff;
    }
    default:
        return (int64_t)now;
    }
}

int pc_devices_init(struct pc_devices *d, struct machine *m)
{
    static const struct { uint16_t base; int irq; } com[PC_NUM_UARTS] = {
        { 0x3f8, 4 }, { 0x2f8, 3 }, { 0x3e8, 4 }, { 0x2e8, 3 },
    };
    struct io_bus *bus = &m->io;

    d->has_apic = !m->opt.no_apic;
    if (pic_init(&d->pic, bus, d->has_apic ? pc_pic_intr : pc_cpu_intr, m))
        return -1;
    bus->irq_route = pc_irq;
    bus->irq_opaque = m;
    m->cpu.intr_ack = pic_intr_ack;
    m->cpu.intr_opaque = &d->pic;
    if (d->has_apic && pc_apic_init(d, m))
        return -1;

    if (pit_init(&d->pit, bus, &m->clock))
        return -1;
    for (int i = 0; i < PC_NUM_UARTS; i++)
        if (uart_init(&d->uart[i], bus, &m->clock, com[i].base, com[i].irq))
            return -1;
    if (debug_ports_init(&d->debug, bus, pc_stop, m))
        return -1;
    if (sys_ctrl_init(&d->sysctl, bus, pc_set_a20, m, pc_reset_request, m))
        return -1;
    if (rtc_init(&d->rtc, bus, &m->clock, rtc_base(&m->opt)))
        return -1;
    if (i8042_init(&d->kbc, bus, pc_set_a20, m, pc_reset_request, m))
        return -1;
    uint64_t below_4g = m->opt.ram_size, above_4g = 0;
    if (below_4g > 0xe0000000ull) {
        above_4g = below_4g - 0xe0000000ull;
        below_4g = 0xe0000000ull;
    }
    rtc_set_cmos_memory(&d->rtc, below_4g, above_4g, 1, m->opt.boot_order);

    if (pci_bus_init(&d->pci, bus) ||
        pci_bus_attach_memory(&d->pci, m->mem) ||   /* memory BARs: the stdvga's BAR 2 */
        i440fx_init(&d->host, &d->pci, m->mem) ||
        piix3_init(&d->isa, &d->pci) ||
        acpi_pm_init(&d->pm, &d->pci, bus, &m->clock, pc_stop, m) ||
        ide_init(&d->ide, &d->pci, bus, m->mem, &m->clock))
        return -1;
    acpi_pm_set_suspend(&d->pm, pc_suspend, m);
    d->pci_mem_attached = true;

    if (vga_init(&d->vga, bus, m->mem, &d->pci, PCI_DEVFN(PC_VGA_SLOT, 0)))
        return -1;
    if (m->opt.pc_testdev) {
        io_unregister(bus, 0xe9, 1);    /* the Bochs 0xE9 console gives way, as in QEMU */
        if (pc_testdev_init(&d->testdev, bus, m->mem))
            return -1;
    }
    if (fw_cfg_init(&d->fw_cfg, bus, m->mem) ||
        fw_cfg_add_pc_defaults(&d->fw_cfg, below_4g, above_4g, 1))
        return -1;
    const struct acpi_config acfg = {
        .pm_base = ACPI_PM_DEFAULT_BASE, .gpe0_base = ACPI_GPE0_BASE, .sci_irq = ACPI_SCI_IRQ,
        .apic = d->has_apic, .lapic_base = LAPIC_DEFAULT_BASE, .ioapic_base = IOAPIC_BASE,
        .pci_irq_mask = PC_PCI_IRQ_MASK,
        .pirq_irq = { pc_pirq_irq[0], pc_pirq_irq[1], pc_pirq_irq[2], pc_pirq_irq[3] },
        .pci_mem_base = PCI_MEM_WINDOW_BASE, .pci_mem_end = PCI_MEM_WINDOW_END,
    };
    acpi_tables_build(&d->acpi, &acfg);
    if (acpi_tables_add_fw_cfg(&d->fw_cfg, &d->acpi))
        return -1;
    return 0;
}

int pc_add_virtio_blk(struct pc_devices *d, struct machine *m, struct block_dev *bd,
                      const char *serial)
{
    if (d->nvblk >= PC_MAX_VIRTIO_BLK)
        return -1;
    struct virtio_blk *b = &d->vblk[d->nvblk];
    if (virtio_blk_init(b, &d->pci, &m->io, m->mem, &m->clock,
                        PCI_DEVFN(PC_VIRTIO_BLK_SLOT + d->nvblk, 0), bd, serial))
        return -1;
    d->nvblk++;
    return 0;
}

int pc_add_nic(struct pc_devices *d, struct machine *m, enum pc_nic_model model,
               const uint8_t mac[6])
{
    if (d->nnic >= PC_MAX_NICS)
        return -1;
    if (!d->pci_mem_attached) {                 /* the e1000's registers are a memory BAR */
        if (pci_bus_attach_memory(&d->pci, m->mem))
            return -1;
        d->pci_mem_attached = true;
    }
    int devfn = PCI_DEVFN(PC_NIC_SLOT(d->nnic), 0);
    struct net_port *port;
    switch (model) {
    case PC_NIC_E1000:
        if (e1000_init(&d->e1000[d->ne1000], &d->pci, m->mem, devfn, mac))
            return -1;
        port = &d->e1000[d->ne1000++].port;
        break;
    case PC_NIC_NE2K_PCI:
        if (ne2k_pci_init(&d->ne2k[d->nne2k], &d->pci, devfn, mac))
            return -1;
        port = &d->ne2k[d->nne2k++].port;
        break;
    case PC_NIC_VIRTIO_NET:
        if (virtio_net_init(&d->vnet[d->nvnet], &d->pci, &m->io, m->mem, devfn, mac))
            return -1;
        port = &d->vnet[d->nvnet++].port;
        break;
    default:
        return -1;
    }
    d->nic_model[d->nnic] = model;
    d->nic_port[d->nnic++] = port;
    return 0;
}

void pc_devices_reset(struct pc_devices *d)
{
    d->asleep = false;
    pic_reset(&d->pic);
    if (d->has_apic) {
        lapic_reset(&d->lapic);
        ioapic_reset(&d->ioapic);
    }
    pit_reset(&d->pit);
    for (int i = 0; i < PC_NUM_UARTS; i++)
        uart_reset(&d->uart[i]);
    sys_ctrl_reset(&d->sysctl);
    rtc_reset(&d->rtc);
    i8042_reset(&d->kbc);
    i440fx_reset(&d->host);
    piix3_reset(&d->isa);
    acpi_pm_reset(&d->pm);
    fw_cfg_reset(&d->fw_cfg);
    vga_reset(&d->vga);
    ide_reset(&d->ide);
    for (int i = 0; i < d->nvblk; i++)
        virtio_blk_reset(&d->vblk[i]);
    for (int i = 0; i < d->ne1000; i++)
        e1000_reset(&d->e1000[i]);
    for (int i = 0; i < d->nne2k; i++)
        ne2k_pci_reset(&d->ne2k[i]);
    for (int i = 0; i < d->nvnet; i++)
        virtio_net_reset(&d->vnet[i]);
}

void pc_devices_destroy(struct pc_devices *d)
{
    vga_destroy(&d->vga);
    fw_cfg_destroy(&d->fw_cfg);
    ide_destroy(&d->ide);
    for (int i = 0; i < d->nvblk; i++)
        virtio_blk_destroy(&d->vblk[i]);
}

int pc_devices_setup_direct_boot(struct pc_devices *d, struct machine *m)
{
    /* PAM: 0xE0000-0xFFFFF read/write RAM (PAM5, PAM6 and PAM0). */
    pci_config_write(&d->pci, PCI_DEVFN(0, 0), 0x59, 0x30, 1);
    pci_config_write(&d->pci, PCI_DEVFN(0, 0), 0x5e, 0x33, 1);
    pci_config_write(&d->pci, PCI_DEVFN(0, 0), 0x5f, 0x33, 1);
    /* PIRQ A-D -> IRQ 10, 10, 11, 11, level-triggered in the ELCR. */
    for (int i = 0; i < 4; i++)
        pci_config_write(&d->pci, PCI_DEVFN(1, 0), 0x60 + i, pc_pirq_irq[i], 1);
    io_write(&m->io, 0x4d1, 0x0e, 1);           /* IRQ 9 (SCI), 10, 11 level */
    /* IDE decode enable in IDETIM of both channels (PIIX3 2.4.3), as
     * SeaBIOS's piix_ide_setup does; Linux's ata_piix checks the bit. */
    pci_config_write(&d->pci, PCI_DEVFN(1, 1), 0x40, 0x8000, 2);
    pci_config_write(&d->pci, PCI_DEVFN(1, 1), 0x42, 0x8000, 2);
    /* Interrupt Line of each add-in PCI function with a pin, as SeaBIOS
     * writes it (Linux with acpi=off reads it from here; with ACPI, the
     * DSDT's _PRT says the same).
     * The chipset's own functions in slots 0-1 are left as they are. */
    for (int devfn = PCI_DEVFN(2, 0); devfn < 256; devfn++) {
        struct pci_function *f = d->pci.fn[devfn];
        int pin = f ? f->config[PCI_INTERRUPT_PIN] : 0;
        if (pin >= 1 && pin <= 4)
            f->config[PCI_INTERRUPT_LINE] = pc_pirq_irq[((devfn >> 3) + pin - 1) & 3];
    }
    acpi_pm_set_base(&d->pm, ACPI_PM_DEFAULT_BASE);
    return acpi_tables_install(m->mem, &d->acpi, PC_ACPI_TABLES_ADDR, 0xf0000);
}

uint32_t pc_devices_waking_vector(struct pc_devices *d, struct machine *m)
{
    return phys_read32(m->mem, PC_ACPI_TABLES_ADDR + d->acpi.facs_off + 12);   /* ACPI 5.2.10 */
}
