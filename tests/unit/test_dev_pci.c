/* test_dev_pci.c - PCI mechanism #1, BAR sizing, PIIX3 PIRQ routing and the
 * PIIX4 ACPI PM function, all driven through I/O ports. */
#include <criterion/criterion.h>
#include "dev_harness.h"
#include "devices/pci.h"
#include "devices/i440fx.h"
#include "devices/piix3.h"
#include "devices/acpi_pm.h"

struct pci_fixture {
    struct harness *h;
    struct pci_bus bus;
    struct i440fx host;
    struct piix3 isa;
    struct acpi_pm pm;
    struct pci_function nic;     /* a dummy device with BARs, at 00:03.0 */
};

static struct pci_fixture *setup(void)
{
    struct pci_fixture *f = calloc(1, sizeof(*f));
    f->h = harness_new();
    cr_assert_eq(pci_bus_init(&f->bus, &f->h->bus), 0);
    cr_assert_eq(i440fx_init(&f->host, &f->bus, NULL), 0);
    cr_assert_eq(piix3_init(&f->isa, &f->bus), 0);
    cr_assert_eq(acpi_pm_init(&f->pm, &f->bus, &f->h->bus, &f->h->clock, harness_stop, f->h), 0);
    pci_function_init(&f->nic, 0x10ec, 0x8139, 0x020000, 0x20);
    pci_set_bar(&f->nic, 0, 0x100, PCI_BAR_IO);
    pci_set_bar(&f->nic, 1, 0x1000, 0);
    f->nic.config[PCI_INTERRUPT_PIN] = 1;
    cr_assert_eq(pci_register(&f->bus, &f->nic, PCI_DEVFN(3, 0)), 0);
    return f;
}

static void teardown(struct pci_fixture *f) { free(f->h); free(f); }

static uint32_t cfg_read(struct harness *h, int dev, int fn, int reg, unsigned size)
{
    outl(h, 0xcf8, 0x80000000u | dev << 11 | fn << 8 | (reg & 0xfc));
    return io_read(&h->bus, (uint16_t)(0xcfc + (reg & 3)), size);
}

static void cfg_write(struct harness *h, int dev, int fn, int reg, uint32_t v, unsigned size)
{
    outl(h, 0xcf8, 0x80000000u | dev << 11 | fn << 8 | (reg & 0xfc));
    io_write(&h->bus, (uint16_t)(0xcfc + (reg & 3)), v, size);
}

Test(pci, vendor_device_ids)
{
    struct pci_fixture *f = setup();
    struct harness *h = f->h;
    cr_assert_eq(cfg_read(h, 0, 0, 0, 4), 0x12378086);
    cr_assert_eq(cfg_read(h, 1, 0, 0, 4), 0x70008086);
    cr_assert_eq(cfg_read(h, 1, 3, 0, 4), 0x71138086);
    cr_assert_eq(cfg_read(h, 1, 3, 2, 2), 0x7113, "word read at offset 2");
    cr_assert_eq(cfg_read(h, 0, 0, 0x0b, 1), 0x06, "host bridge class");
    cr_assert_eq(cfg_read(h, 1, 0, 0x0e, 1) & 0x80, 0x80, "PIIX is multi-function");
    cr_assert_eq(cfg_read(h, 5, 0, 0, 4), 0xffffffffu, "empty slot");
    cr_assert_eq(inl(h, 0xcf8), 0x80000000u | 5 << 11);
    outl(h, 0xcf8, 0x00000000u);                 /* enable bit clear */
    cr_assert_eq(inl(h, 0xcfc), 0xffffffffu);
    teardown(f);
}

Test(pci, bar_sizing)
{
    struct pci_fixture *f = setup();
    struct harness *h = f->h;
    cfg_write(h, 3, 0, 0x10, 0xffffffffu, 4);
    cr_assert_eq(cfg_read(h, 3, 0, 0x10, 4), 0xffffff01u, "256-byte I/O BAR");
    cfg_write(h, 3, 0, 0x14, 0xffffffffu, 4);
    cr_assert_eq(cfg_read(h, 3, 0, 0x14, 4), 0xfffff000u, "4 KiB memory BAR");
    cfg_write(h, 3, 0, 0x18, 0xffffffffu, 4);
    cr_assert_eq(cfg_read(h, 3, 0, 0x18, 4), 0, "no BAR 2");
    cfg_write(h, 3, 0, 0x10, 0xc100, 4);
    cfg_write(h, 3, 0, 0x14, 0xfebf0000u, 4);
    cr_assert_eq(pci_bar_address(&f->nic, 0), PCI_BAR_UNMAPPED, "decoding off");
    cfg_write(h, 3, 0, 0x04, 0x0003, 2);
    cr_assert_eq(pci_bar_address(&f->nic, 0), 0xc100);
    cr_assert_eq(pci_bar_address(&f->nic, 1), 0xfebf0000u);
    cfg_write(h, 3, 0, 0x00, 0, 4);
    cr_assert_eq(cfg_read(h, 3, 0, 0x00, 4), 0x813910ec, "IDs are read-only");
    teardown(f);
}

Test(pci, pirq_routing)
{
    struct pci_fixture *f = setup();
    struct harness *h = f->h;
    /* Slot 3 INTA -> PIRQ (3 + 0) & 3 = D. */
    cfg_write(h, 1, 0, 0x63, 11, 1);
    cr_assert_eq(cfg_read(h, 1, 0, 0x60, 4), 0x0b808080u);
    pci_set_irq(&f->nic, true);
    cr_assert(h->line[11]);
    pci_set_irq(&f->nic, false);
    cr_assert(!h->line[11]);
    pci_set_irq(&f->nic, true);
    cfg_write(h, 1, 0, 0x63, 0x80 | 11, 1);     /* disable routing */
    cr_assert(!h->line[11]);
    teardown(f);
}

/* Two PIRQs steered to one ISA IRQ (SeaBIOS: A and B -> 10): the line is
 * the OR of both, whichever PIRQ changes last (PIIX3 2.2.11: several PIRQx#
 * may share an IRQ; their outputs are wired-OR). Found in a guest: the NE2000
 * (slot 4, PIRQ A) lost its interrupt to virtio-net (slot 9, PIRQ B). */
Test(pci, pirqs_sharing_an_irq_are_ored)
{
    struct pci_fixture *f = setup();
    struct harness *h = f->h;
    static struct pci_function other;             /* slot 4 INTA -> PIRQ A */
    pci_function_init(&other, 0x10ec, 0x8029, 0x020000, 0);
    other.config[PCI_INTERRUPT_PIN] = 1;
    cr_assert_eq(pci_register(&f->bus, &other, PCI_DEVFN(4, 0)), 0);
    cfg_write(h, 1, 0, 0x60, 10, 1);              /* PIRQ A -> 10 */
    cfg_write(h, 1, 0, 0x63, 10, 1);              /* PIRQ D -> 10 (the dummy NIC, slot 3) */
    pci_set_irq(&other, true);
    cr_assert(h->line[10]);
    pci_set_irq(&f->nic, true);
    pci_set_irq(&f->nic, false);                  /* D drops: A still holds the line */
    cr_assert(h->line[10]);
    pci_set_irq(&f->nic, true);
    pci_set_irq(&other, false);
    cr_assert(h->line[10], "D still asserted");
    pci_set_irq(&f->nic, false);
    cr_assert(!h->line[10]);
    /* moving A to 11 while it is asserted: 10 follows D alone, 11 follows A */
    pci_set_irq(&other, true);
    cfg_write(h, 1, 0, 0x60, 11, 1);
    cr_assert(!h->line[10]);
    cr_assert(h->line[11]);
    teardown(f);
}

Test(acpi_pm, s5_poweroff_requests_stop_with_0)
{
    struct pci_fixture *f = setup();
    struct harness *h = f->h;
    /* What SeaBIOS does: PMBA = 0x600 | 1, PMREGMISC = 1. */
    cfg_write(h, 1, 3, 0x40, 0x601, 4);
    cr_assert_eq(inw(h, 0x604), 0xffff, "not decoding before PMREGMISC");
    cfg_write(h, 1, 3, 0x80, 0x01, 1);
    cr_assert_eq(inw(h, 0x604), 0x0000);
    /* OSPM enables ACPI through the SMI command port, then sleeps to S5. */
    outb(h, 0xb2, 0xf1);
    cr_assert_eq(inw(h, 0x604) & 1, 1, "SCI_EN");
    outw(h, 0x604, 0x0001 | (5 << 10));         /* SLP_TYP 5 without SLP_EN: nothing */
    cr_assert_eq(h->stop_status, -1);
    outw(h, 0x604, 0x0001 | (0 << 10) | 0x2000);
    cr_assert_eq(h->stop_status, 0);
    cr_assert_eq(inw(h, 0x604) & 0x2000, 0, "SLP_EN reads 0");
    cr_assert_eq(cfg_read(h, 1, 3, 0x58, 4) & (1u << 25), 1u << 25, "APMC_EN preset");
    teardown(f);
}

Test(acpi_pm, pm_timer_counts_at_3_58_mhz)
{
    struct pci_fixture *f = setup();
    struct harness *h = f->h;
    acpi_pm_set_base(&f->pm, 0x600);
    cr_assert_eq(inl(h, 0x608), 0);
    h->icount = 1000000000ull;                  /* one virtual second */
    cr_assert_eq(inl(h, 0x608), 3579545 & 0xffffff);
    h->icount = 5000000000ull;
    cr_assert_eq(inl(h, 0x608), (5ull * 3579545) & 0xffffff, "24-bit wrap");
    /* Moving the base moves the registers. */
    cfg_write(h, 1, 3, 0x40, 0xb001, 4);
    cr_assert_eq(inl(h, 0x608), 0xffffffffu);
    cr_assert_eq(inl(h, 0xb008), (5ull * 3579545) & 0xffffff);
    teardown(f);
}

Test(acpi_pm, sci_on_irq9)
{
    struct pci_fixture *f = setup();
    struct harness *h = f->h;
    acpi_pm_set_base(&f->pm, 0x600);
    outw(h, 0x602, 0x0001);                     /* TMR_EN */
    harness_advance_to(h, 2400000000ull);       /* 2^23 ticks = 2.34 s */
    cr_assert(h->line[9]);
    cr_assert_eq(inw(h, 0x600) & 1, 1);
    outw(h, 0x600, 0x0001);                     /* write-1-to-clear */
    cr_assert(!h->line[9]);
    outw(h, 0xafe2, 0x0001);                    /* GPE0 enable, no status: no SCI */
    cr_assert(!h->line[9]);
    teardown(f);
}
