/*
 * acpi_tables.c - ACPI table builder.  See acpi_tables.h.
 */
#include "devices/acpi_tables.h"

#include <assert.h>
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

/* --- AML (ACPI 20.2), built into a byte buffer ------------------------------ */

struct aml {
    uint8_t *p;
    uint32_t len, cap;
    bool overflow;
};

static void aml_byte(struct aml *a, uint8_t v)
{
    if (a->len < a->cap)
        a->p[a->len++] = v;
    else
        a->overflow = true;
}

static void aml_bytes(struct aml *a, const void *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        aml_byte(a, ((const uint8_t *)v)[i]);
}

/* A 4-character NameSeg (20.2.2). */
static void aml_nameseg(struct aml *a, const char *seg) { aml_bytes(a, seg, 4); }

/* The smallest integer encoding: ZeroOp, OneOp, Byte/Word/DWordPrefix (20.2.3). */
static void aml_int(struct aml *a, uint32_t v)
{
    if (v <= 1) {
        aml_byte(a, (uint8_t)v);
        return;
    }
    int n = v <= 0xff ? 1 : v <= 0xffff ? 2 : 4;
    aml_byte(a, n == 1 ? 0x0a : n == 2 ? 0x0b : 0x0c);
    for (int i = 0; i < n; i++)
        aml_byte(a, (uint8_t)(v >> (8 * i)));
}

/* A PkgLength-prefixed block: begin() notes where its body starts; end()
 * moves the body up to make room for the PkgLength (20.2.4), which counts
 * itself and the body. */
static uint32_t aml_begin(struct aml *a) { return a->len; }

static void aml_end(struct aml *a, uint32_t start)
{
    uint32_t body = a->len - start;
    int n = body + 1 < 0x40 ? 1 : body + 2 < 0x1000 ? 2 : body + 3 < 0x100000 ? 3 : 4;
    uint32_t total = body + (uint32_t)n;
    if (a->overflow || a->len + (uint32_t)n > a->cap) {
        a->overflow = true;
        return;
    }
    memmove(a->p + start + n, a->p + start, body);
    a->len += (uint32_t)n;
    if (n == 1) {
        a->p[start] = (uint8_t)total;
        return;
    }
    a->p[start] = (uint8_t)((n - 1) << 6 | (total & 0x0f));
    for (int i = 1; i < n; i++)
        a->p[start + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
}

/* Name (SEG, integer) */
static void aml_name_int(struct aml *a, const char *seg, uint32_t v)
{
    aml_byte(a, 0x08);                          /* NameOp */
    aml_nameseg(a, seg);
    aml_int(a, v);
}

/* EISA ID compression of "PNPxxxx" (ACPI 19.3.4 EISAID): three 5-bit
 * letters and four hex digits, stored big-endian in a DWord. */
static uint32_t eisa_id(const char *id)
{
    uint32_t v = (uint32_t)(id[0] - 0x40) << 26 | (uint32_t)(id[1] - 0x40) << 21 |
                 (uint32_t)(id[2] - 0x40) << 16;
    for (int i = 3; i < 7; i++) {
        char c = id[i];
        v |= (uint32_t)(c <= '9' ? c - '0' : c - 'A' + 10) << (4 * (6 - i));
    }
    return (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

/* Word/DWord Address Space Descriptors (ACPI 6.4.3.5.2/3), producer,
 * MinFixed + MaxFixed, positive decode. type: 0 memory, 1 I/O, 2 bus. */
static void res_word_addr(struct aml *a, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
    const uint8_t d[16] = {
        0x88, 13, 0, type, 0x0c, tflags, 0, 0,
        (uint8_t)min, (uint8_t)(min >> 8), (uint8_t)max, (uint8_t)(max >> 8), 0, 0,
        (uint8_t)(max - min + 1), (uint8_t)((max - min + 1) >> 8),
    };
    aml_bytes(a, d, sizeof(d));
}

static void res_dword_mem(struct aml *a, uint32_t min, uint32_t max)
{
    uint8_t d[26] = { 0x87, 23, 0, 0, 0x0c, 0x03 };    /* cacheable, read-write */
    put32(d + 10, min);
    put32(d + 14, max);
    put32(d + 22, max - min + 1);
    aml_bytes(a, d, sizeof(d));
}

/* The ISA IRQ (= GSI) that slot's INTx pin (0 = INTA#) reaches. */
static uint8_t prt_gsi(const struct acpi_config *cfg, int slot, int pin)
{
    if (slot == 1 && pin == 0)
        return cfg->sci_irq;                    /* the PIIX4 PM function's SCI */
    return cfg->pirq_irq[(slot + pin) & 3];
}

/*
 * The DSDT's AML:
 *   Name (\_S5, Package (4) { 0, 0, 0, 0 })     soft-off is SLP_TYP 0 (PIIX4)
 *   Scope (\_SB) {
 *     Device (PCI0) {                            the i440FX host bridge, bus 0
 *       Name (_HID, EisaId ("PNP0A03"))  Name (_ADR, 0)  Name (_UID, 0)
 *       Name (_CRS, ResourceTemplate () {        what the bridge decodes
 *         bus 0-255; I/O 0xCF8-0xCFF (its own); I/O 0-0xCF7 and 0xD00-0xFFFF;
 *         memory 0xA0000-0xBFFFF (VGA) and the PCI window })
 *       Name (_PRT, Package () {                 PCI interrupt routing
 *         Package () { slot << 16 | 0xFFFF, pin, 0, GSI } ... })
 *     }
 *   }
 * Linux with ACPI enumerates PCI only below a PNP0A03 device (6.1.5, 6.2.13).
 * _PRT entries name GSIs directly (static routing, 6.2.13): the PIIX3
 * steers PIRQ A-D to fixed ISA IRQs (set by the firmware, or by direct
 * boot), and slot S pin P drives PIRQ (S + P) mod 4, the PIIX3 board
 * swizzle; each ISA IRQ is also the I/O APIC pin of the same number.
 */
static uint32_t build_dsdt_aml(uint8_t *buf, uint32_t cap, const struct acpi_config *cfg)
{
    struct aml a = { .p = buf, .cap = cap };
    aml_byte(&a, 0x08);                         /* Name (_S5_, Package (4) {0,0,0,0}) */
    aml_nameseg(&a, "_S5_");
    aml_byte(&a, 0x12);
    uint32_t pkg = aml_begin(&a);
    aml_byte(&a, 4);
    for (int i = 0; i < 4; i++)
        aml_byte(&a, 0x00);
    aml_end(&a, pkg);

    aml_byte(&a, 0x10);                         /* ScopeOp */
    uint32_t scope = aml_begin(&a);
    aml_bytes(&a, "\\_SB_", 5);
    aml_byte(&a, 0x5b);                         /* DeviceOp */
    aml_byte(&a, 0x82);
    uint32_t dev = aml_begin(&a);
    aml_nameseg(&a, "PCI0");
    aml_byte(&a, 0x08);                         /* Name (_HID, EisaId ("PNP0A03")) */
    aml_nameseg(&a, "_HID");
    uint8_t hid[5] = { 0x0c };                  /* always a DWord, as iasl encodes it */
    put32(hid + 1, eisa_id("PNP0A03"));
    aml_bytes(&a, hid, sizeof(hid));
    aml_name_int(&a, "_ADR", 0);
    aml_name_int(&a, "_UID", 0);

    aml_byte(&a, 0x08);                         /* Name (_CRS, Buffer () {...}) */
    aml_nameseg(&a, "_CRS");
    aml_byte(&a, 0x11);                         /* BufferOp */
    uint32_t buffer = aml_begin(&a);
    uint32_t size_at = a.len;
    aml_bytes(&a, (uint8_t[]){ 0x0b, 0, 0 }, 3);   /* BufferSize, a Word filled in below */
    uint32_t res = a.len;
    res_word_addr(&a, 2, 0, 0, 0xff);           /* bus numbers 0-255 */
    aml_bytes(&a, (uint8_t[]){ 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 }, 8);
    res_word_addr(&a, 1, 0x03, 0x0000, 0x0cf7);   /* I/O, EntireRange */
    res_word_addr(&a, 1, 0x03, 0x0d00, 0xffff);
    res_dword_mem(&a, 0xa0000, 0xbffff);
    res_dword_mem(&a, cfg->pci_mem_base, cfg->pci_mem_end - 1);
    aml_bytes(&a, (uint8_t[]){ 0x79, 0x00 }, 2);   /* End Tag, checksum 0 = none */
    if (!a.overflow) {
        a.p[size_at + 1] = (uint8_t)(a.len - res);
        a.p[size_at + 2] = (uint8_t)((a.len - res) >> 8);
    }
    aml_end(&a, buffer);

    aml_byte(&a, 0x08);                         /* Name (_PRT, Package () {...}) */
    aml_nameseg(&a, "_PRT");
    aml_byte(&a, 0x12);
    uint32_t prt = aml_begin(&a);
    aml_byte(&a, 31 * 4);                       /* slots 1-31 (0 is the host bridge) */
    for (int slot = 1; slot < 32; slot++) {
        for (int pin = 0; pin < 4; pin++) {
            aml_byte(&a, 0x12);
            uint32_t e = aml_begin(&a);
            aml_byte(&a, 4);
            aml_int(&a, (uint32_t)slot << 16 | 0xffff);   /* any function of the slot */
            aml_int(&a, (uint32_t)pin);
            aml_int(&a, 0);                     /* Source: none, static GSI */
            aml_int(&a, prt_gsi(cfg, slot, pin));
            aml_end(&a, e);
        }
    }
    aml_end(&a, prt);
    aml_end(&a, dev);
    aml_end(&a, scope);
    return a.overflow ? 0 : a.len;
}

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
    uint32_t aml_len = build_dsdt_aml(b + off + HDR, ACPI_DSDT_MAX - HDR, cfg);
    assert(aml_len);                            /* ACPI_DSDT_MAX holds it */
    uint32_t dsdt_len = HDR + aml_len;
    header(b + off, "DSDT", dsdt_len, 1);
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
