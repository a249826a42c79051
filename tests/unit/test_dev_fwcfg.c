/* test_dev_fwcfg.c - fw_cfg through its ports and DMA, and the ACPI tables
 * (installed directly and published for SeaBIOS's table loader). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dev_harness.h"
#include "devices/fw_cfg.h"
#include "devices/acpi_tables.h"
#include "memory/memory.h"

struct fw_fixture { struct harness *h; struct phys_mem *mem; struct fw_cfg fw; };

static struct fw_fixture *setup(void)
{
    struct fw_fixture *f = calloc(1, sizeof(*f));
    f->h = harness_new();
    f->mem = phys_mem_create(16ull << 20);
    cr_assert_not_null(f->mem);
    cr_assert_eq(fw_cfg_init(&f->fw, &f->h->bus, f->mem), 0);
    return f;
}

static void teardown(struct fw_fixture *f)
{
    fw_cfg_destroy(&f->fw);
    phys_mem_destroy(f->mem);
    free(f->h);
    free(f);
}

static void read_item(struct harness *h, uint16_t key, uint8_t *buf, unsigned n)
{
    outw(h, 0x510, key);
    for (unsigned i = 0; i < n; i++)
        buf[i] = inb(h, 0x511);
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

/* Find a file's selector and size in the directory, as SeaBIOS does. */
static int find_file(struct harness *h, const char *name, uint32_t *size)
{
    uint8_t cnt[4];
    read_item(h, FW_CFG_FILE_DIR, cnt, 4);
    for (uint32_t i = 0; i < be32(cnt); i++) {
        uint8_t e[64];
        for (int j = 0; j < 64; j++)
            e[j] = inb(h, 0x511);
        if (!strcmp((char *)e + 8, name)) {
            *size = be32(e);
            return e[4] << 8 | e[5];
        }
    }
    return -1;
}

/* Write an FWCfgDmaAccess at desc and kick it off, big-endian as SeaBIOS does. */
static void dma(struct fw_fixture *f, uint64_t desc, uint32_t control, uint32_t len, uint64_t addr)
{
    uint8_t d[16];
    uint32_t w[4] = { control, len, (uint32_t)(addr >> 32), (uint32_t)addr };
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 4; b++)
            d[4 * i + b] = (uint8_t)(w[i] >> (24 - 8 * b));
    dma_write(f->mem, desc, d, 16);
    outl(f->h, 0x514, __builtin_bswap32((uint32_t)(desc >> 32)));
    outl(f->h, 0x518, __builtin_bswap32((uint32_t)desc));
}

Test(fw_cfg, signature_and_id)
{
    struct fw_fixture *f = setup();
    uint8_t sig[5] = { 0 }, id[4];
    read_item(f->h, FW_CFG_SIGNATURE, sig, 4);
    cr_assert_str_eq((char *)sig, "QEMU");
    read_item(f->h, FW_CFG_ID, id, 4);
    cr_assert_eq(id[0], 0x03, "traditional + DMA");
    cr_assert_eq(inb(f->h, 0x511), 0x00, "past the end reads 0");
    teardown(f);
}

Test(fw_cfg, file_directory_and_contents)
{
    struct fw_fixture *f = setup();
    struct harness *h = f->h;
    cr_assert_eq(fw_cfg_add_pc_defaults(&f->fw, 16ull << 20, 0, 1), 0);
    cr_assert_eq(fw_cfg_add_file(&f->fw, "bootorder", "/rom@genroms/linuxboot_dma.bin\n", 31), 0);
    uint32_t size;
    int sel = find_file(h, "etc/e820", &size);
    cr_assert_geq(sel, 0x20);
    cr_assert_eq(size, 20);
    uint8_t e[20];
    read_item(h, (uint16_t)sel, e, 20);
    uint64_t len = 0;
    for (int i = 0; i < 8; i++)
        len |= (uint64_t)e[8 + i] << (8 * i);
    cr_assert_eq(len, 16ull << 20);
    cr_assert_eq(e[16], 1, "RAM");
    sel = find_file(h, "bootorder", &size);
    cr_assert_eq(size, 31);
    char bo[32] = { 0 };
    read_item(h, (uint16_t)sel, (uint8_t *)bo, 31);
    cr_assert_str_eq(bo, "/rom@genroms/linuxboot_dma.bin\n");
    cr_assert_eq(find_file(h, "etc/boot-fail-wait", &size) >= 0, true);
    cr_assert_eq(find_file(h, "no/such/file", &size), -1);
    uint8_t cpus[2];
    read_item(h, FW_CFG_NB_CPUS, cpus, 2);
    cr_assert_eq(cpus[0], 1);
    teardown(f);
}

Test(fw_cfg, dma_read_select_and_skip)
{
    struct fw_fixture *f = setup();
    uint8_t kernel[300];
    for (int i = 0; i < 300; i++)
        kernel[i] = (uint8_t)(i * 7);
    cr_assert_eq(fw_cfg_add_bytes(&f->fw, FW_CFG_KERNEL_DATA, kernel, sizeof(kernel)), 0);
    dma(f, 0x1000, (FW_CFG_KERNEL_DATA << 16) | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 100, 0x20000);
    uint8_t out[300];
    dma_read(f->mem, 0x20000, out, 100);
    cr_assert(memcmp(out, kernel, 100) == 0);
    uint8_t status[4];
    dma_read(f->mem, 0x1000, status, 4);
    cr_assert_eq(be32(status), 0, "control cleared on success");
    dma(f, 0x1000, FW_CFG_DMA_SKIP, 50, 0);
    dma(f, 0x1000, FW_CFG_DMA_READ, 200, 0x30000);   /* 150 left, then zeros */
    dma_read(f->mem, 0x30000, out, 200);
    cr_assert(memcmp(out, kernel + 150, 150) == 0);
    for (int i = 150; i < 200; i++)
        cr_assert_eq(out[i], 0);
    teardown(f);
}

Test(fw_cfg, dma_outside_ram_is_harmless)
{
    struct fw_fixture *f = setup();
    /* Target buffer beyond RAM: error status, no crash. */
    dma(f, 0x1000, (FW_CFG_SIGNATURE << 16) | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 4,
        0xfffffff0ull);
    uint8_t status[4];
    dma_read(f->mem, 0x1000, status, 4);
    cr_assert_eq(be32(status), FW_CFG_DMA_ERROR);
    /* A huge length straddling the end of RAM. */
    dma(f, 0x1000, (FW_CFG_SIGNATURE << 16) | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 0x7fffffff,
        (16ull << 20) - 2);
    /* Descriptor itself outside RAM: ignored. */
    outl(f->h, 0x514, 0);
    outl(f->h, 0x518, __builtin_bswap32(0xfee00000u));
    outl(f->h, 0x514, __builtin_bswap32(0xffffffffu));
    outl(f->h, 0x518, __builtin_bswap32(0xfffffff8u));
    uint8_t sig[4];
    read_item(f->h, FW_CFG_SIGNATURE, sig, 4);
    cr_assert(memcmp(sig, "QEMU", 4) == 0);
    teardown(f);
}

/* A READ whose buffer runs past the top of the 64-bit space stops there
 * (a bus transfer does not wrap): nothing lands at address 0, and the
 * status says the buffer was not all memory. The zero-fill past the end of
 * the item is the part that used to wrap, piece by piece. */
Test(fw_cfg, dma_does_not_wrap_to_zero)
{
    struct fw_fixture *f = setup();
    static const uint32_t lengths[] = { 0x1000, 0x100, 0x101, 0xffffffffu };
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        uint8_t low[0x1000];
        memset(low, 0xaa, sizeof(low));
        dma_write(f->mem, 0, low, sizeof(low));
        dma(f, 0x2000, (FW_CFG_SIGNATURE << 16) | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ,
            lengths[i], 0xffffffffffffff00ull);
        dma_read(f->mem, 0, low, sizeof(low));
        for (size_t j = 0; j < sizeof(low); j++)
            cr_assert_eq(low[j], 0xaa, "length %#x: byte %#zx changed to %#x",
                         lengths[i], j, low[j]);
        uint8_t status[4];
        dma_read(f->mem, 0x2000, status, 4);
        cr_assert_eq(be32(status), FW_CFG_DMA_ERROR, "length %#x", lengths[i]);
    }
    /* The same fill inside RAM zeroes exactly the bytes asked for. */
    uint8_t buf[0x300];
    memset(buf, 0xaa, sizeof(buf));
    dma_write(f->mem, 0x10000, buf, sizeof(buf));
    dma(f, 0x2000, (FW_CFG_SIGNATURE << 16) | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ, 0x200, 0x10000);
    dma_read(f->mem, 0x10000, buf, sizeof(buf));
    cr_assert(memcmp(buf, "QEMU", 4) == 0);
    for (int j = 4; j < 0x200; j++)
        cr_assert_eq(buf[j], 0, "byte %#x", j);
    for (int j = 0x200; j < 0x300; j++)
        cr_assert_eq(buf[j], 0xaa, "byte %#x past the buffer", j);
    uint8_t status[4];
    dma_read(f->mem, 0x2000, status, 4);
    cr_assert_eq(be32(status), 0);
    teardown(f);
}

/* dma_span: the part of a transfer below 2^64. */
Test(fw_cfg, dma_span_bounds)
{
    cr_assert_eq(dma_span(0, 0x1000), 0x1000);
    cr_assert_eq(dma_span(0xffffffffffffff00ull, 0x1000), 0x100);
    cr_assert_eq(dma_span(0xffffffffffffff00ull, 0x100), 0x100);
    cr_assert_eq(dma_span(0xffffffffffffffffull, 2), 1);
    cr_assert_eq(dma_span(0x1000, UINT64_MAX), 0 - 0x1000ull);
    uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    struct phys_mem *pm = phys_mem_create(1 << 20);
    cr_assert(pm);
    cr_assert_eq(dma_fill(pm, 0xfffffffffffffff0ull, 0, 0x20), 0);
    cr_assert_eq(dma_fill(pm, 0x100, 0x5a, 8), 8);
    dma_read(pm, 0x100, b, 8);
    for (int i = 0; i < 8; i++)
        cr_assert_eq(b[i], 0x5a);
    phys_mem_destroy(pm);
}

static const struct acpi_config cfg = {
    .pm_base = 0x600, .gpe0_base = 0xafe0, .sci_irq = 9, .pirq_irq = { 10, 10, 11, 11 },
    .pci_mem_base = 0xe0000000u, .pci_mem_end = 0xfec00000u,
};

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

Test(acpi_tables, direct_install_is_walkable)
{
    struct fw_fixture *f = setup();
    struct acpi_tables t;
    acpi_tables_build(&t, &cfg);
    cr_assert_eq(acpi_tables_install(f->mem, &t, 0x9000, 0x8000), 0);
    uint8_t rsdp[20];
    dma_read(f->mem, 0x8000, rsdp, 20);
    cr_assert(memcmp(rsdp, "RSD PTR ", 8) == 0);
    cr_assert_eq(acpi_checksum(rsdp, 20), 0);
    uint32_t rsdt = le32(rsdp + 16);
    uint8_t hdr[64];
    dma_read(f->mem, rsdt, hdr, 40);
    cr_assert(memcmp(hdr, "RSDT", 4) == 0);
    cr_assert_eq(le32(hdr + 4), 40);
    cr_assert_eq(acpi_checksum(hdr, 40), 0);
    uint32_t fadt_addr = le32(hdr + 36);
    uint8_t fadt[244];
    dma_read(f->mem, fadt_addr, fadt, 244);
    cr_assert(memcmp(fadt, "FACP", 4) == 0);
    cr_assert_eq(acpi_checksum(fadt, le32(fadt + 4)), 0);
    cr_assert_eq(fadt[46], 9, "SCI IRQ");
    cr_assert_eq(le32(fadt + 64), 0x604, "PM1a_CNT");
    cr_assert_eq(le32(fadt + 76), 0x608, "PM_TMR");
    cr_assert_eq(fadt[116], 1);
    cr_assert_eq(fadt[120] | fadt[121] << 8, 0xcf9, "reset register");
    cr_assert_eq(fadt[128], 0x06);
    uint8_t facs[8];
    dma_read(f->mem, le32(fadt + 36), facs, 8);
    cr_assert(memcmp(facs, "FACS", 4) == 0);
    cr_assert_eq(le32(fadt + 36) % 64, 0, "FACS 64-byte aligned");
    uint8_t dsdt[ACPI_DSDT_MAX];
    dma_read(f->mem, le32(fadt + 40), dsdt, 48);
    cr_assert(memcmp(dsdt, "DSDT", 4) == 0);
    cr_assert_leq(le32(dsdt + 4), sizeof(dsdt));
    dma_read(f->mem, le32(fadt + 40), dsdt, le32(dsdt + 4));
    cr_assert_eq(acpi_checksum(dsdt, le32(dsdt + 4)), 0);
    static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0, 0, 0, 0 };
    cr_assert(memcmp(dsdt + 36, s5, sizeof(s5)) == 0);
    teardown(f);
}

Test(acpi_tables, fw_cfg_loader_script)
{
    struct fw_fixture *f = setup();
    struct harness *h = f->h;
    struct acpi_tables t;
    acpi_tables_build(&t, &cfg);
    cr_assert_eq(acpi_tables_add_fw_cfg(&f->fw, &t), 0);
    uint32_t size;
    int sel = find_file(h, "etc/table-loader", &size);
    cr_assert_geq(sel, 0);
    cr_assert_eq(size % 128, 0);
    uint8_t *script = malloc(size);
    read_item(h, (uint16_t)sel, script, size);
    /* First command: ALLOCATE etc/acpi/rsdp in the F segment. */
    cr_assert_eq(le32(script), 1);
    cr_assert_str_eq((char *)script + 4, "etc/acpi/rsdp");
    cr_assert_eq(script[4 + 56 + 4], 2);
    /* Every command is ALLOCATE, ADD_POINTER or ADD_CHECKSUM on a file we publish. */
    int pointers = 0, checksums = 0;
    for (uint32_t o = 0; o < size; o += 128) {
        uint32_t cmd = le32(script + o);
        cr_assert(cmd >= 1 && cmd <= 3);
        const char *file = (char *)script + o + 4;
        cr_assert(!strcmp(file, "etc/acpi/rsdp") || !strcmp(file, "etc/acpi/tables"));
        pointers += cmd == 2;
        checksums += cmd == 3;
    }
    cr_assert_eq(pointers, 4, "FACS, DSDT, FADT, RSDT pointers");
    cr_assert_eq(checksums, 4, "DSDT, FADT, RSDT, RSDP");
    cr_assert_geq(find_file(h, "etc/acpi/tables", &size), 0);
    cr_assert_eq(size, t.tables_len);
    free(script);
    teardown(f);
}

/* The DSDT as ACPICA's disassembler (iasl -d, Debian's acpica-tools) reads
 * it: the oracle for the hand-built AML. Whitespace is squeezed so the
 * expected text is one line per object. */
static char *squeeze(const char *in)
{
    char *out = malloc(strlen(in) + 1), *o = out;
    for (const char *p = in; *p; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\t') {
            if (o > out && o[-1] != ' ')
                *o++ = ' ';
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    return out;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

Test(acpi_tables, dsdt_pci_host_bridge_per_iasl)
{
    struct acpi_tables t;
    acpi_tables_build(&t, &cfg);
    uint8_t *d = t.tables + t.dsdt_off;
    uint32_t len = le32(d + 4);
    d[9] = (uint8_t)-acpi_checksum(d, len);
    char dir[] = "/tmp/softvm-dsdt-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128], cmd[512];
    snprintf(path, sizeof(path), "%s/dsdt.aml", dir);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(d, 1, len, f), len);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "cd %s && iasl -d dsdt.aml > iasl.log 2>&1", dir);
    cr_assert_eq(system(cmd), 0, "iasl -d failed (acpica-tools: bash tests/install-deps.sh)");
    snprintf(path, sizeof(path), "%s/dsdt.dsl", dir);
    f = fopen(path, "r");
    cr_assert_not_null(f);
    static char dsl[256 * 1024];
    size_t n = fread(dsl, 1, sizeof(dsl) - 1, f);
    dsl[n] = 0;
    fclose(f);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
    char *s = squeeze(dsl);
    cr_assert(strstr(s, "Name (_S5, Package (0x04) // _S5_: S5 System State { Zero, Zero, Zero, Zero })"));
    cr_assert(strstr(s, "Scope (\\_SB) { Device (PCI0) { Name (_HID, EisaId (\"PNP0A03\")"));
    cr_assert(strstr(s, "Name (_ADR, Zero)"));
    /* _CRS: the bus range, the config ports, the two I/O ranges around them
     * and the VGA and PCI memory windows, nothing else. */
    cr_assert(strstr(s, "WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, "
                        "0x0000, // Granularity 0x0000, // Range Minimum 0x00FF, // Range Maximum "
                        "0x0000, // Translation Offset 0x0100, // Length"));
    cr_assert(strstr(s, "IO (Decode16, 0x0CF8, // Range Minimum 0x0CF8, // Range Maximum "
                        "0x01, // Alignment 0x08, // Length"));
    cr_assert(strstr(s, "0x0000, // Range Minimum 0x0CF7, // Range Maximum 0x0000, "
                        "// Translation Offset 0x0CF8, // Length"));
    cr_assert(strstr(s, "0x0D00, // Range Minimum 0xFFFF, // Range Maximum 0x0000, "
                        "// Translation Offset 0xF300, // Length"));
    cr_assert(strstr(s, "0x000A0000, // Range Minimum 0x000BFFFF, // Range Maximum"));
    cr_assert(strstr(s, "0xE0000000, // Range Minimum 0xFEBFFFFF, // Range Maximum "
                        "0x00000000, // Translation Offset 0x1EC00000, // Length"));
    cr_assert_eq(count(s, "WordIO (ResourceProducer"), 2);
    cr_assert_eq(count(s, "DWordMemory (ResourceProducer"), 2);
    /* _PRT: 4 pins of slots 1-31, static GSIs, the PIIX swizzle
     * PIRQ (slot + pin) mod 4 onto IRQ 10, 10, 11, 11; 00:01 INTA# is the SCI. */
    cr_assert(strstr(s, "Name (_PRT, Package (0x7C) // _PRT: PCI Routing Table"));
    cr_assert_eq(count(s, "Package (0x04) {"), 124);   /* _S5 has a comment before its { */
    char want[128];
    for (int slot = 1; slot < 32; slot++) {
        for (int pin = 0; pin < 4; pin++) {
            static const char *pins[4] = { "Zero", "One", "0x02", "0x03" };
            int gsi = slot == 1 && pin == 0 ? 9 : (int)cfg.pirq_irq[(slot + pin) & 3];
            snprintf(want, sizeof(want), "Package (0x04) { 0x%04X%s, %s, Zero, 0x%02X }",
                     slot, "FFFF", pins[pin], gsi);
            cr_assert(strstr(s, want), "missing %s", want);
        }
    }
    free(s);
}
