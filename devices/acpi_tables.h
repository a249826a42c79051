/*
 * acpi_tables.h - builds the ACPI tables of this board: RSDP, RSDT, FADT
 * (PIIX4 PM1a event/control and PM timer ports, SCI IRQ 9, the 0xCF9 reset
 * register, the 8042 flag), a DSDT holding the \_S5 sleep package and the PCI
 * host bridge \_SB.PCI0 (PNP0A03: its bus, I/O and memory windows in _CRS,
 * the slots' interrupt routing in _PRT), FACS, and
 * with the APICs a MADT: the CPU's local APIC, the I/O APIC with GSI base 0,
 * interrupt-source overrides (IRQ0 -> GSI 2; the PCI/SCI IRQs level and
 * active high, as QEMU's pc machine gives them) and LINT1 as the NMI input.
 *
 * Spec: ACPI 6.x, 5.2.5 (RSDP), 5.2.7 (RSDT), 5.2.9 (FADT), 5.2.10 (FACS),
 * 5.2.11.1 (DSDT), 5.2.12 (MADT), 20 (AML encoding), 7.4.2 (\_Sx objects),
 * 6.1.5 (_HID), 6.2.13 (_PRT), 6.4 (resource descriptors).
 *
 * The tables are built once into two position-independent blobs ("tables"
 * holding FACS/DSDT/FADT/RSDT, and "rsdp") where every pointer holds an
 * offset into the tables blob.  Two consumers place them:
 *   - acpi_tables_install(): direct kernel boot, copies both blobs into
 *     guest RAM and turns offsets into addresses;
 *   - acpi_tables_add_fw_cfg(): SeaBIOS, as the files etc/acpi/tables,
 *     etc/acpi/rsdp plus an etc/table-loader script (QEMU's BIOS
 *     linker/loader format) telling it where to put them and what to patch.
 */
#ifndef SOFTVM_DEVICES_ACPI_TABLES_H
#define SOFTVM_DEVICES_ACPI_TABLES_H

#include <stdbool.h>
#include <stdint.h>

struct phys_mem;
struct fw_cfg;

#define ACPI_TABLES_MAX 4096
#define ACPI_DSDT_MAX 2560
#define ACPI_RSDP_SIZE 20
#define ACPI_MAX_FIXUPS 8

struct acpi_tables {
    uint8_t tables[ACPI_TABLES_MAX];
    uint32_t tables_len;
    uint8_t rsdp[ACPI_RSDP_SIZE];
    /* 32-bit fields in `tables` that hold an offset into `tables`. */
    uint32_t ptr[ACPI_MAX_FIXUPS];
    int nptr;
    /* Each table's offset and length (to recompute checksums). */
    uint32_t table_off[ACPI_MAX_FIXUPS], table_len[ACPI_MAX_FIXUPS];
    int ntables;
    uint32_t facs_off, dsdt_off, fadt_off, madt_off, rsdt_off;   /* madt_off 0: none */
};

struct acpi_config {
    uint16_t pm_base;           /* PM1a_EVT at +0, PM1a_CNT at +4, PM_TMR at +8 */
    uint16_t gpe0_base;
    uint8_t sci_irq;
    bool apic;                  /* a local APIC and an I/O APIC: add the MADT */
    uint32_t lapic_base, ioapic_base;
    uint16_t pci_irq_mask;      /* ISA IRQs that are level-triggered, active high */
    uint8_t pirq_irq[4];        /* the ISA IRQ each PIRQ A-D is steered to */
    uint32_t pci_mem_base, pci_mem_end;   /* the host bridge's memory window [base, end) */
};

void acpi_tables_build(struct acpi_tables *t, const struct acpi_config *cfg);
/* Direct boot: tables at tables_addr (64-byte aligned, in RAM), RSDP at
 * rsdp_addr (16-byte aligned, 0xE0000-0xFFFFF or the EBDA). Returns 0, or
 * -1 if the memory is not RAM. */
int acpi_tables_install(struct phys_mem *pm, const struct acpi_tables *t,
                        uint64_t tables_addr, uint64_t rsdp_addr);
/* SeaBIOS: publish the blobs and the linker/loader script. */
int acpi_tables_add_fw_cfg(struct fw_cfg *fw, const struct acpi_tables *t);

/* The byte sum of len bytes (ACPI checksums make it 0). */
uint8_t acpi_checksum(const uint8_t *p, uint32_t len);

#endif
