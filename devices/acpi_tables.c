/*
 * acpi_tables.c - ACPI table builder.  See acpi_tables.h.
 */
#include "devices/acpi_tables.h"

#include <string.h>
#include "devices/fw_cfg.h"
#include "memory/memory.h"

#define HDR 36      /* the common System Description Table header */

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

uint8_t acpi_checksum(const uint8_t *p, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* Header with a zero checksum (filled in when the table is placed). */
static void header(uint8_t *h, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(h, sig, 4);
    put32(h + 4, len);
    h[8] = rev;
    h[9] = 0;
    memcpy(h + 10, "SOFTVM", 6);                /* OEM ID */
    memcpy(h + 16, "SOFTVM  ", 8);              /* OEM table ID */
    memcpy(h + 16 + 4, sig, 4);
    put32(h + 24, 1);                           /* OEM revision */
    memcpy(h + 28, "SVM ", 4);                  /* creator ID */
    put32(h + 32, 1);                           /* creator revision */
}

/* Generic Address Structure (ACPI 5.2.3.2) for an I/O port register. */
static void gas_io(uint8_t *g, uint16_t port, uint8_t bits, uint8_t access)
{
    g[0] = 1;                                   /* System I/O space */
    g[1] = bits;
    g[2] = 0;
    g[3] = access;                              /* 1 byte, 2 word, 3 dword */
    put64(g + 4, port);
}

/*
 * DSDT body, hand-encoded AML (ACPI 20.2):
 *   08              NameOp
 *   5F 53 35 5F     NameSeg "_S5_"
 *   12              PackageOp
 *   06              PkgLength: 6 bytes follow from here (itself included)
 *   04              NumElements
 *   00 00 00 00     ZeroOp x4: SLP_TYPa = 0, SLP_TYPb = 0, two reserved
 * i.e. Name (_S5, Package (4) { 0, 0, 0, 0 }): the PIIX4 encodes soft-off
 * as SLP_TYP 0 in PM1a_CNT.
 */
static const uint8_t dsdt_aml[] = {
    0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
};

#define FADT_LEN 244    /* revision 3 layout (ACPI 2.0+ fields, reset register) */

static uint32_t align_up(uint32_t v, uint32_t a) { return (v + a - 1) & ~(a - 1); }

static void add_table(struct acpi_tables *t, uint32_t off, uint32_t len)
{
    t->table_off[t->ntables] = off;
    t->table_len[t->ntables] = len;
    t->ntables++;
}

void acpi_tables_build(struct acpi_tables *t, const struct acpi_config *cfg)
{
    memset(t, 0, sizeof(*t));
    uint8_t *b = t->tables;
    uint32_t off = 0;

    /* FACS (64 bytes, 64-byte aligned: it starts the blob). No checksum. */
    t->facs_off = off;
    memcpy(b + off, "FACS", 4);
    put32(b + off + 4, 64);
    off += 64;

    /* DSDT */
    t->dsdt_off = off;
    uint32_t dsdt_len = HDR + (uint32_t)sizeof(dsdt_aml);
    header(b + off, "DSDT", dsdt_len, 1);
    memcpy(b + off + HDR, dsdt_aml, sizeof(dsdt_aml));
    add_table(t, off, dsdt_len);
    off = align_up(off + dsdt_len, 8);

    /* FADT ("FACP") */
    t->fadt_off = off;
    uint8_t *f = b + off;
    header(f, "FACP", FADT_LEN, 3);
    put32(f + 36, t->facs_off);                 /* FIRMWARE_CTRL (pointer) */
    t->ptr[t->nptr++] = off + 36;
    put32(f + 40, t->dsdt_off);                 /* DSDT (pointer) */
    t->ptr[t->nptr++] = off + 40;
    f[45] = 0;                                  /* preferred PM profile: unspecified */
    put16(f + 46, cfg->sci_irq);                /* SCI_INT */
    put32(f + 48, 0xb2);                        /* SMI_CMD: the APM command port */
    f[52] = 0xf1;                               /* ACPI_ENABLE */
    f[53] = 0xf0;                               /* ACPI_DISABLE */
    put32(f + 56, cfg->pm_base);                /* PM1a_EVT_BLK */
    put32(f + 64, cfg->pm_base + 4u);           /* PM1a_CNT_BLK */
    put32(f + 76, cfg->pm_base + 8u);           /* PM_TMR_BLK */
    put32(f + 80, cfg->gpe0_base);              /* GPE0_BLK */
    f[88] = 4;                                  /* PM1_EVT_LEN */
    f[89] = 2;                                  /* PM1_CNT_LEN */
    f[91] = 4;                                  /* PM_TMR_LEN */
    f[92] = 4;                                  /* GPE0_BLK_LEN */
    put16(f + 96, 0x0fff);                      /* P_LVL2_LAT: C2 unsupported */
    put16(f + 98, 0x0fff);                      /* P_LVL3_LAT: C3 unsupported */
    f[108] = 0x32;                              /* CENTURY: CMOS index */
    put16(f + 109, 0x0003);                     /* IAPC_BOOT_ARCH: legacy devices, 8042 */
    /* Flags: WBINVD(0) PROC_C1(2) SLP_BUTTON(5) RTC_S4(7) RESET_REG_SUP(10)
     * USE_PLATFORM_CLOCK(15). The PM timer is 24 bits (TMR_VAL_EXT clear). */
    put32(f + 112, (1u << 0) | (1u << 2) | (1u << 5) | (1u << 7) | (1u << 10) | (1u << 15));
    gas_io(f + 116, 0xcf9, 8, 1);               /* RESET_REG */
    f[128] = 0x06;                              /* RESET_VALUE: CPU reset + hard reset */
    /* X_FIRMWARE_CTRL and X_DSDT stay 0, so OSPMs follow the 32-bit
     * pointers; the X_ register blocks repeat the ports above. */
    gas_io(f + 148, cfg->pm_base, 32, 2);       /* X_PM1a_EVT_BLK */
    gas_io(f + 172, cfg->pm_base + 4, 16, 2);   /* X_PM1a_CNT_BLK */
    gas_io(f + 208, cfg->pm_base + 8, 32, 3);   /* X_PM_TMR_BLK */
    gas_io(f + 220, cfg->gpe0_base, 32, 1);     /* X_GPE0_BLK */
    add_table(t, off, FADT_LEN);
    off = align_up(off + FADT_LEN, 8);

    /* MADT ("APIC", ACPI 5.2.12): the local APIC address and PCAT_COMPAT (the
     * 8259s are there too), then the interrupt controller structures. */
    if (cfg->apic) {
        t->madt_off = off;
        uint8_t *a = b + off;
        uint32_t n = HDR;
        put32(a + n, cfg->lapic_base);
        put32(a + n + 4, 1);                    /* PCAT_COMPAT */
        n += 8;
        a[n] = 0; a[n + 1] = 8;                 /* Processor Local APIC */
        a[n + 2] = 0;                           /* ACPI processor UID */
        a[n + 3] = 0;                           /* APIC ID */
        put32(a + n + 4, 1);                    /* enabled */
        n += 8;
        a[n] = 1; a[n + 1] = 12;                /* I/O APIC */
        a[n + 2] = 0;                           /* I/O APIC ID */
        a[n + 3] = 0;
        put32(a + n + 4, cfg->ioapic_base);
        put32(a + n + 8, 0);                    /* GSI base */
        n += 12;
        /* Interrupt source overrides: bus 0 (ISA), source IRQ, GSI, flags
         * (bits 1:0 polarity, 3:2 trigger; 0 = as the bus says). */
        for (int irq = 0; irq < 16; irq++) {
            uint16_t flags;
            uint32_t gsi = (uint32_t)irq;
            if (irq == 0) {
                gsi = 2;                        /* the PIT is wired to pin 2 */
                flags = 0;
            } else if (cfg->pci_irq_mask & (1u << irq)) {
                flags = 0x000d;                 /* active high, level-triggered */
            } else {
                continue;
            }
            a[n] = 2; a[n + 1] = 10;
            a[n + 2] = 0;
            a[n + 3] = (uint8_t)irq;
            put32(a + n + 4, gsi);
            put16(a + n + 8, flags);
            n += 10;
        }
        a[n] = 4; a[n + 1] = 6;                 /* Local APIC NMI */
        a[n + 2] = 0xff;                        /* all processors */
        put16(a + n + 3, 0);                    /* flags: as the bus says */
        a[n + 5] = 1;                           /* LINT1 */
        n += 6;
        header(a, "APIC", n, 1);
        add_table(t, off, n);
        off = align_up(off + n, 8);
    }

    /* RSDT: the FADT, and the MADT when there is one. */
    t->rsdt_off = off;
    uint32_t rsdt_len = HDR + (t->madt_off ? 8 : 4);
    header(b + off, "RSDT", rsdt_len, 1);
    put32(b + off + HDR, t->fadt_off);
    t->ptr[t->nptr++] = off + HDR;
    if (t->madt_off) {
        put32(b + off + HDR + 4, t->madt_off);
        t->ptr[t->nptr++] = off + HDR + 4;
    }
    add_table(t, off, rsdt_len);
    off += rsdt_len;
    t->tables_len = off;

    /* RSDP (ACPI 1.0 form): signature, checksum, OEM ID, revision 0, RSDT. */
    memcpy(t->rsdp, "RSD PTR ", 8);
    memcpy(t->rsdp + 9, "SOFTVM", 6);
    t->rsdp[15] = 0;
    put32(t->rsdp + 16, t->rsdt_off);
}

int acpi_tables_install(struct phys_mem *pm, const struct acpi_tables *t,
                        uint64_t tables_addr, uint64_t rsdp_addr)
{
    uint8_t tables[ACPI_TABLES_MAX], rsdp[ACPI_RSDP_SIZE];
    if (tables_addr + t->tables_len > 0x100000000ull)
        return -1;
    memcpy(tables, t->tables, t->tables_len);
    memcpy(rsdp, t->rsdp, sizeof(rsdp));
    for (int i = 0; i < t->nptr; i++)
        put32(tables + t->ptr[i], get32(tables + t->ptr[i]) + (uint32_t)tables_addr);
    put32(rsdp + 16, get32(rsdp + 16) + (uint32_t)tables_addr);
    for (int i = 0; i < t->ntables; i++) {
        uint8_t *tab = tables + t->table_off[i];
        tab[9] = 0;
        tab[9] = (uint8_t)-acpi_checksum(tab, t->table_len[i]);
    }
    rsdp[8] = 0;
    rsdp[8] = (uint8_t)-acpi_checksum(rsdp, sizeof(rsdp));
    if (dma_write(pm, tables_addr, tables, t->tables_len) != t->tables_len)
        return -1;
    if (dma_write(pm, rsdp_addr, rsdp, sizeof(rsdp)) != sizeof(rsdp))
        return -1;
    return 0;
}

/* --- QEMU BIOS linker/loader script (romfile_loader in SeaBIOS) ---------------- */

#define LOADER_ALLOCATE     1
#define LOADER_ADD_POINTER  2
#define LOADER_ADD_CHECKSUM 3
#define LOADER_ZONE_HIGH    1
#define LOADER_ZONE_FSEG    2
#define LOADER_ENTRY_SIZE   128
#define LOADER_FILESZ       56

#define FILE_TABLES "etc/acpi/tables"
#define FILE_RSDP   "etc/acpi/rsdp"

static uint8_t *loader_entry(uint8_t *script, int *n, uint32_t command)
{
    uint8_t *e = script + LOADER_ENTRY_SIZE * (*n)++;
    memset(e, 0, LOADER_ENTRY_SIZE);
    put32(e, command);
    return e;
}

static void loader_allocate(uint8_t *s, int *n, const char *file, uint32_t align, uint8_t zone)
{
    uint8_t *e = loader_entry(s, n, LOADER_ALLOCATE);
    strncpy((char *)e + 4, file, LOADER_FILESZ - 1);
    put32(e + 4 + LOADER_FILESZ, align);
    e[4 + LOADER_FILESZ + 4] = zone;
}

static void loader_pointer(uint8_t *s, int *n, const char *dest, const char *src,
                           uint32_t offset, uint8_t size)
{
    uint8_t *e = loader_entry(s, n, LOADER_ADD_POINTER);
    strncpy((char *)e + 4, dest, LOADER_FILESZ - 1);
    strncpy((char *)e + 4 + LOADER_FILESZ, src, LOADER_FILESZ - 1);
    put32(e + 4 + 2 * LOADER_FILESZ, offset);
    e[4 + 2 * LOADER_FILESZ + 4] = size;
}

static void loader_checksum(uint8_t *s, int *n, const char *file, uint32_t offset,
                            uint32_t start, uint32_t length)
{
    uint8_t *e = loader_entry(s, n, LOADER_ADD_CHECKSUM);
    strncpy((char *)e + 4, file, LOADER_FILESZ - 1);
    put32(e + 4 + LOADER_FILESZ, offset);
    put32(e + 4 + LOADER_FILESZ + 4, start);
    put32(e + 4 + LOADER_FILESZ + 8, length);
}

int acpi_tables_add_fw_cfg(struct fw_cfg *fw, const struct acpi_tables *t)
{
    uint8_t script[LOADER_ENTRY_SIZE * 16];
    int n = 0;
    /* The RSDP must sit in the F segment, where OSes scan for it. */
    loader_allocate(script, &n, FILE_RSDP, 16, LOADER_ZONE_FSEG);
    loader_allocate(script, &n, FILE_TABLES, 64, LOADER_ZONE_HIGH);
    for (int i = 0; i < t->nptr; i++)
        loader_pointer(script, &n, FILE_TABLES, FILE_TABLES, t->ptr[i], 4);
    loader_pointer(script, &n, FILE_RSDP, FILE_TABLES, 16, 4);
    /* Checksums last, over the patched bytes (the fields start at 0). */
    for (int i = 0; i < t->ntables; i++)
        loader_checksum(script, &n, FILE_TABLES, t->table_off[i] + 9,
                        t->table_off[i], t->table_len[i]);
    loader_checksum(script, &n, FILE_RSDP, 8, 0, ACPI_RSDP_SIZE);
    if (fw_cfg_add_file(fw, FILE_TABLES, t->tables, t->tables_len) ||
        fw_cfg_add_file(fw, FILE_RSDP, t->rsdp, ACPI_RSDP_SIZE) ||
        fw_cfg_add_file(fw, "etc/table-loader", script, (size_t)n * LOADER_ENTRY_SIZE))
        return -1;
    return 0;
}
