/*
 * test_dev_vga.c - the VGA adapter: registers, the legacy window through the
 * graphics controller (every read and write mode, from the IBM VGA
 * Technical Reference's definitions), chain-4, Bochs VBE with malformed
 * programming, the stdvga PCI BAR as device RAM, and the renderer (expected
 * pixels computed from the palette and bit layouts, not from the renderer).
 */
#include <criterion/criterion.h>
#include <string.h>
#include "dev_harness.h"
#include "devices/pci.h"
#include "devices/vga.h"
#include "devices/vga_render.h"
#include "memory/memory.h"

struct vga_fixture {
    struct harness *h;
    struct phys_mem *mem;
    struct pci_bus pci;
    struct vga *v;
    uint32_t *px;
};

static struct vga_fixture *setup(void)
{
    struct vga_fixture *f = calloc(1, sizeof(*f));
    f->h = harness_new();
    f->mem = phys_mem_create(4ull << 20);
    cr_assert_eq(pci_bus_init(&f->pci, &f->h->bus), 0);
    cr_assert_eq(pci_bus_attach_memory(&f->pci, f->mem), 0);
    f->v = calloc(1, sizeof(*f->v));
    cr_assert_eq(vga_init(f->v, &f->h->bus, f->mem, &f->pci, PCI_DEVFN(2, 0)), 0);
    f->px = calloc((size_t)VGA_MAX_WIDTH * VGA_MAX_HEIGHT, sizeof(uint32_t));
    return f;
}

static void teardown(struct vga_fixture *f)
{
    vga_destroy(f->v);
    phys_mem_destroy(f->mem);
    free(f->v);
    free(f->h);
    free(f->px);
    free(f);
}

static void seq(struct harness *h, uint8_t i, uint8_t v) { outb(h, 0x3c4, i); outb(h, 0x3c5, v); }
static void gc(struct harness *h, uint8_t i, uint8_t v) { outb(h, 0x3ce, i); outb(h, 0x3cf, v); }
static void vbe(struct harness *h, uint16_t i, uint16_t v) { outw(h, 0x1ce, i); outw(h, 0x1cf, v); }
static uint16_t vbe_get(struct harness *h, uint16_t i) { outw(h, 0x1ce, i); return inw(h, 0x1cf); }

/* The EGA-compatible colour of DAC index i after reset, as 8-bit RGB
 * (0x2a and 0x15 six-bit steps widened by bit replication). */
static uint32_t ega_rgb(unsigned i)
{
    unsigned r = ((i >> 2) & 1) * 0x2a + ((i >> 5) & 1) * 0x15;
    unsigned g = ((i >> 1) & 1) * 0x2a + ((i >> 4) & 1) * 0x15;
    unsigned b = (i & 1) * 0x2a + ((i >> 3) & 1) * 0x15;
    r = (r << 2) | (r >> 4); g = (g << 2) | (g >> 4); b = (b << 2) | (b >> 4);
    return r << 16 | g << 8 | b;
}

Test(vga, text_memory_at_b8000)
{
    struct vga_fixture *f = setup();
    phys_write16(f->mem, 0xb8000 + 2 * (80 * 1 + 2), 0x0741);   /* 'A', grey on black */
    cr_assert_eq(vga_text_char(f->v, 1, 2), 'A');
    cr_assert_eq(vga_text_attr(f->v, 1, 2), 0x07);
    cr_assert_eq(phys_read16(f->mem, 0xb8000 + 2 * 82), 0x0741);
    cr_assert_eq(f->v->vram[4 * 82], 'A', "odd/even: characters in plane 0");
    cr_assert_eq(f->v->vram[4 * 82 + 1], 0x07, "attributes in plane 1");
    cr_assert_eq(phys_read8(f->mem, 0xa0000), 0xff, "mode 3 maps only B8000-BFFFF");
    teardown(f);
}

Test(vga, registers_and_dac)
{
    struct vga_fixture *f = setup();
    struct harness *h = f->h;
    outw(h, 0x3c4, 0x0f02);                     /* sequencer map mask = 0x0f */
    outb(h, 0x3c4, 0x02);
    cr_assert_eq(inb(h, 0x3c5), 0x0f);
    outb(h, 0x3d4, 0x0e);
    outb(h, 0x3d5, 0x12);
    cr_assert_eq(inb(h, 0x3d5), 0x12);
    outb(h, 0x3c8, 5);
    outb(h, 0x3c9, 0x3f); outb(h, 0x3c9, 0x20); outb(h, 0x3c9, 0x7f);
    outb(h, 0x3c7, 5);
    cr_assert_eq(inb(h, 0x3c9), 0x3f);
    cr_assert_eq(inb(h, 0x3c9), 0x20);
    cr_assert_eq(inb(h, 0x3c9), 0x3f, "DAC entries are 6 bits");
    inb(h, 0x3da);                              /* reset the flip-flop */
    outb(h, 0x3c0, 0x10);
    outb(h, 0x3c0, 0x0c);
    outb(h, 0x3c0, 0x10);
    cr_assert_eq(inb(h, 0x3c1), 0x0c);
    uint8_t a = inb(h, 0x3da) & 0x08, b = inb(h, 0x3da) & 0x08;
    cr_assert_neq(a, b, "retrace bit toggles");
    outb(h, 0x3d4, 0x11);                       /* CRTC 0-7 write-protected */
    outb(h, 0x3d5, 0x8e);
    outb(h, 0x3d4, 0x01);
    outb(h, 0x3d5, 0x27);
    cr_assert_eq(inb(h, 0x3d5), 0x4f);
    outb(h, 0x3c2, 0x00);                       /* mono addressing: 0x3Dx go dark */
    cr_assert_eq(inb(h, 0x3d5), 0xff);
    outb(h, 0x3b4, 0x0e);
    cr_assert_eq(inb(h, 0x3b5), 0x12);
    teardown(f);
}

/* Planar mode (as mode 12h sets it): the four write modes and two read modes. */
Test(vga, planar_read_and_write_modes)
{
    struct vga_fixture *f = setup();
    struct harness *h = f->h;
    struct phys_mem *m = f->mem;
    uint8_t *vram = f->v->vram;
    seq(h, 4, 0x06);            /* planar, no odd/even */
    gc(h, 5, 0x00);
    gc(h, 6, 0x05);             /* graphics, A0000 64 KiB */
    seq(h, 2, 0x0f);

    /* Write mode 0, plain: the byte to every enabled plane. */
    gc(h, 1, 0x00); gc(h, 3, 0x00); gc(h, 8, 0xff);
    phys_write8(m, 0xa0010, 0xa5);
    for (int p = 0; p < 4; p++)
        cr_assert_eq(vram[4 * 0x10 + p], 0xa5);
    /* Map mask: planes 1 and 3 only. */
    seq(h, 2, 0x0a);
    phys_write8(m, 0xa0010, 0x3c);
    cr_assert_eq(vram[0x40], 0xa5); cr_assert_eq(vram[0x41], 0x3c);
    cr_assert_eq(vram[0x42], 0xa5); cr_assert_eq(vram[0x43], 0x3c);
    seq(h, 2, 0x0f);

    /* Set/reset on planes 0 and 2 with value 0b0100, rotate by 4. */
    gc(h, 0, 0x04); gc(h, 1, 0x05); gc(h, 3, 0x04);
    phys_write8(m, 0xa0020, 0x12);                  /* rotated: 0x21 */
    cr_assert_eq(vram[0x80], 0x00); cr_assert_eq(vram[0x81], 0x21);
    cr_assert_eq(vram[0x82], 0xff); cr_assert_eq(vram[0x83], 0x21);
    gc(h, 1, 0x00); gc(h, 3, 0x00);

    /* Read mode 0 loads the latches and returns the GC 4 plane. */
    gc(h, 4, 2);
    cr_assert_eq(phys_read8(m, 0xa0020), 0xff);
    /* Write mode 1 copies the latches: address 0x30 becomes address 0x20. */
    gc(h, 5, 0x01);
    phys_write8(m, 0xa0030, 0x99);
    cr_assert_eq(memcmp(vram + 0xc0, vram + 0x80, 4), 0);

    /* Write mode 2: colour 0b1010 expanded, bit mask 0xf0, function XOR
     * with the latches (from 0x20: 00 21 ff 21). */
    gc(h, 5, 0x02); gc(h, 8, 0xf0); gc(h, 3, 0x18);
    phys_read8(m, 0xa0020);
    phys_write8(m, 0xa0040, 0x0a);
    cr_assert_eq(vram[0x100], 0x00);                 /* (00^00)&f0 | 00&0f */
    cr_assert_eq(vram[0x101], 0xd1);                 /* (21^ff)&f0 | 21&0f */
    cr_assert_eq(vram[0x102], 0xff);                 /* (ff^00)&f0 | ff&0f */
    cr_assert_eq(vram[0x103], 0xd1);
    gc(h, 3, 0x00);

    /* Write mode 3: set/reset colour 0b0011 through bit mask 0xcc & data 0x0f. */
    gc(h, 5, 0x03); gc(h, 0, 0x03); gc(h, 8, 0xcc);
    memset(vram + 0x140, 0x00, 4);
    phys_read8(m, 0xa0050);
    phys_write8(m, 0xa0050, 0x0f);
    cr_assert_eq(vram[0x140], 0x0c); cr_assert_eq(vram[0x141], 0x0c);
    cr_assert_eq(vram[0x142], 0x00); cr_assert_eq(vram[0x143], 0x00);

    /* Read mode 1: bits where the planes GC 7 cares about equal GC 2. */
    gc(h, 5, 0x08);
    vram[0x180] = 0xf0; vram[0x181] = 0xcc; vram[0x182] = 0xaa; vram[0x183] = 0x00;
    gc(h, 2, 0x03); gc(h, 7, 0x0f);
    cr_assert_eq(phys_read8(m, 0xa0060), (uint8_t)(0xf0 & 0xcc & ~0xaa & 0xff));
    gc(h, 7, 0x01);
    cr_assert_eq(phys_read8(m, 0xa0060), 0xf0);
    teardown(f);
}

/* Mode 13h's chain-4: byte address = VRAM offset, and the renderer shows
 * it through the DAC at 320x200. */
Test(vga, chain4_mode13_renders_through_dac)
{
    struct vga_fixture *f = setup();
    struct harness *h = f->h;
    /* The mode 13h registers (IBM reference, video parameter table). */
    outb(h, 0x3c2, 0x63);
    static const uint8_t s13[5] = { 0x03, 0x01, 0x0f, 0x00, 0x0e };
    for (int i = 0; i < 5; i++) seq(h, (uint8_t)i, s13[i]);
    outb(h, 0x3d4, 0x11); outb(h, 0x3d5, 0x0e);
    static const uint8_t c13[25] = { 0x5f, 0x4f, 0x50, 0x82, 0x54, 0x80, 0xbf, 0x1f, 0x00, 0x41,
        0, 0, 0, 0, 0, 0, 0x9c, 0x8e, 0x8f, 0x28, 0x40, 0x96, 0xb9, 0xa3, 0xff };
    for (int i = 0; i < 25; i++) { outb(h, 0x3d4, (uint8_t)i); outb(h, 0x3d5, c13[i]); }
    static const uint8_t g13[9] = { 0, 0, 0, 0, 0, 0x40, 0x05, 0x0f, 0xff };
    for (int i = 0; i < 9; i++) gc(h, (uint8_t)i, g13[i]);
    inb(h, 0x3da);
    for (int i = 0; i < 16; i++) { outb(h, 0x3c0, (uint8_t)i); outb(h, 0x3c0, (uint8_t)i); }
    outb(h, 0x3c0, 0x10); outb(h, 0x3c0, 0x41);
    outb(h, 0x3c0, 0x20);                               /* palette source on */
    outb(h, 0x3c8, 200);
    outb(h, 0x3c9, 0x3f); outb(h, 0x3c9, 0x00); outb(h, 0x3c9, 0x10);

    phys_write8(f->mem, 0xa0000 + 320 * 7 + 11, 200);
    phys_write8(f->mem, 0xa0000 + 320 * 199 + 319, 9);
    cr_assert_eq(f->v->vram[320 * 7 + 11], 200);
    cr_assert_eq(phys_read8(f->mem, 0xa0000 + 320 * 7 + 11), 200);

    struct vga_screen s;
    vga_render(f->v, &s, f->px);
    cr_assert_eq(s.kind, VGA_SCREEN_256);
    cr_assert_eq(s.width, 320);
    cr_assert_eq(s.height, 200);
    cr_assert_eq(f->px[320 * 7 + 11], 0xff0041u);       /* 3f->ff, 00, 10->41 */
    cr_assert_eq(f->px[320 * 199 + 319], ega_rgb(9));
    cr_assert_eq(f->px[0], ega_rgb(0));
    teardown(f);
}

/* Text rendering: a glyph loaded the way a VGA BIOS loads fonts (plane 2
 * through the 64 KiB planar map), a character and attribute, 9-dot cells. */
Test(vga, text_renders_glyph_from_plane2)
{
    struct vga_fixture *f = setup();
    struct harness *h = f->h;
    /* Font load: plane 2 only, sequential, A0000. */
    seq(h, 2, 0x04); seq(h, 4, 0x07); gc(h, 4, 0x02); gc(h, 5, 0x00); gc(h, 6, 0x04);
    static const uint8_t glyph[16] = { 0, 0, 0x18, 0x3c, 0x66, 0xc3, 0xff, 0x81, 0x81, 0x81, 0xc3, 0, 0, 0, 0, 0 };
    for (int r = 0; r < 16; r++)
        phys_write8(f->mem, 0xa0000 + 0x41 * 32 + r, glyph[r]);
    phys_write8(f->mem, 0xa0000 + 0xc4 * 32 + 5, 0x81);   /* line-graphics char */
    /* Back to mode 3's text mapping. */
    seq(h, 2, 0x03); seq(h, 4, 0x02); gc(h, 4, 0x00); gc(h, 5, 0x10); gc(h, 6, 0x0e);
    phys_write16(f->mem, 0xb8000 + 2 * (80 * 2 + 3), 0x1e41);   /* yellow on blue 'A' */
    phys_write16(f->mem, 0xb8000 + 2 * (80 * 2 + 4), 0x07c4);
    outb(h, 0x3d4, 0x0a); outb(h, 0x3d5, 0x20);                 /* cursor off */

    struct vga_screen s;
    vga_render(f->v, &s, f->px);
    cr_assert_eq(s.kind, VGA_SCREEN_TEXT);
    cr_assert_eq(s.width, 720);
    cr_assert_eq(s.height, 400);
    uint32_t fg = ega_rgb(0x3e), bg = ega_rgb(0x01);   /* attribute palette 14 -> 3E, 1 -> 01 */
    for (int r = 0; r < 16; r++)
        for (int x = 0; x < 9; x++) {
            uint32_t want = (x < 8 && (glyph[r] & (0x80 >> x))) ? fg : bg;
            cr_assert_eq(f->px[(2 * 16 + r) * 720 + 3 * 9 + x], want, "row %d x %d", r, x);
        }
    /* 0xC4 repeats its 8th dot in the 9th column (AC 0x10 bit 2). */
    cr_assert_eq(f->px[(2 * 16 + 5) * 720 + 4 * 9 + 8], ega_rgb(0x07));
    cr_assert_eq(f->px[(2 * 16 + 5) * 720 + 4 * 9 + 7], ega_rgb(0x07));
    cr_assert_eq(f->px[(2 * 16 + 5) * 720 + 4 * 9 + 6], 0);
    teardown(f);
}

Test(vga, bochs_dispi)
{
    struct vga_fixture *f = setup();
    struct harness *h = f->h;
    cr_assert_eq(vbe_get(h, 0), 0xb0c5);
    outw(h, 0x1cf, 0xb0c0);
    cr_assert_eq(inw(h, 0x1cf), 0xb0c0);
    outw(h, 0x1cf, 0x1234);
    cr_assert_eq(inw(h, 0x1cf), 0xb0c0, "bad IDs ignored");
    vbe(h, 4, 0x02);                            /* GETCAPS */
    cr_assert_eq(vbe_get(h, 1), 1920);
    cr_assert_eq(vbe_get(h, 2), 1200);
    cr_assert_eq(vbe_get(h, 3), 32);
    vbe(h, 4, 0x00);
    vbe(h, 1, 800);
    cr_assert_eq(vbe_get(h, 1), 800);
    cr_assert_eq(vbe_get(h, 0x0a), 16 * 16, "16 MiB in 64 KiB units");
    teardown(f);
}

/* Out-of-range modes, banks and offsets are clamped so the picture and the
 * bank window stay inside VRAM; nothing crashes, nothing lands outside. */
Test(vga, vbe_malformed_programming_stays_inside_vram)
{
    struct vga_fixture *f = setup();
    struct harness *h = f->h;
    vbe(h, 1, 5000);                            /* too wide */
    vbe(h, 2, 0xffff);                          /* too tall */
    vbe(h, 3, 7);                               /* no such depth */
    vbe(h, 4, 0x41);
    cr_assert_eq(vbe_get(h, 1), 1920);
    cr_assert_eq(vbe_get(h, 2), 1200);
    cr_assert_eq(vbe_get(h, 3), 8);
    vbe(h, 1, 640);
    cr_assert_eq(vbe_get(h, 1), 1920, "the mode is fixed while enabled");
    vbe(h, 6, 0xffff);                          /* virtual width beyond VRAM */
    vbe(h, 8, 0xffff);
    vbe(h, 9, 0xffff);
    uint16_t vw = vbe_get(h, 6), vh = vbe_get(h, 7);
    uint16_t xo = vbe_get(h, 8), yo = vbe_get(h, 9);
    cr_assert_leq((uint64_t)vw * vh, VGA_VRAM_SIZE);
    cr_assert_leq(xo + 1920u, vw);
    cr_assert_leq(yo + 1200u, vh);
    cr_assert_leq((uint64_t)(yo + 1199) * vw + xo + 1920, VGA_VRAM_SIZE);
    vbe(h, 5, 0xffff);                          /* bank beyond VRAM: masked */
    cr_assert_eq(vbe_get(h, 5), VGA_VRAM_SIZE / 0x10000 - 1);
    phys_write32(f->mem, 0xa0000 + 0xfffc, 0x11223344);
    cr_assert_eq(f->v->vram[VGA_VRAM_SIZE - 1], 0x11);
    phys_write8(f->mem, 0xa0000 + 0x10000, 0x55);  /* past the 64 KiB window */
    cr_assert_eq(phys_read8(f->mem, 0xa0000 + 0x10000), 0xff);
    struct vga_screen s;
    vga_render(f->v, &s, f->px);                /* must not read outside VRAM (ASan) */
    cr_assert_eq(s.width, 1920);
    cr_assert_eq(s.height, 1200);
    /* Every depth and a zero resolution. */
    static const uint16_t depths[] = { 0, 1, 4, 8, 15, 16, 24, 32, 33, 0xffff };
    for (unsigned i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
        vbe(h, 4, 0);
        vbe(h, 1, 0); vbe(h, 2, 0); vbe(h, 3, depths[i]);
        vbe(h, 4, 0x41);
        vbe(h, 8, 0xffff); vbe(h, 9, 0xffff);
        vga_render(f->v, &s, f->px);
        cr_assert_geq(s.width, 1);
        cr_assert_geq(s.height, 1);
    }
    /* Planar and chain-4 window offsets past 256 KiB with the largest bank. */
    vbe(h, 4, 0);
    seq(h, 4, 0x06); gc(h, 6, 0x05); gc(h, 5, 0x00); seq(h, 2, 0x0f);
    vbe(h, 5, 0xff);
    phys_write8(f->mem, 0xaffff, 0x12);         /* plane address 0xFFFFFF: beyond VRAM/4 */
    cr_assert_eq(phys_read8(f->mem, 0xaffff), 0xff);
    teardown(f);
}

/* The stdvga PCI function: 1234:1111, BAR 0 is the VRAM as device RAM at
 * whatever address the guest programs; BAR 2 holds the dispi registers. */
Test(vga, pci_bar0_linear_framebuffer)
{
    struct vga_fixture *f = setup();
    struct pci_bus *b = &f->pci;
    int devfn = PCI_DEVFN(2, 0);
    cr_assert_eq(pci_config_read(b, devfn, 0, 4), 0x11111234u);
    cr_assert_eq(pci_config_read(b, devfn, 0x08, 4) >> 8, 0x030000u);
    pci_config_write(b, devfn, 0x10, 0xffffffff, 4);
    cr_assert_eq(pci_config_read(b, devfn, 0x10, 4), ~(VGA_VRAM_SIZE - 1) | 0x8);
    pci_config_write(b, devfn, 0x10, 0xfd000000, 4);
    pci_config_write(b, devfn, 0x18, 0xfebf0000, 4);
    cr_assert_eq(phys_read8(f->mem, 0xfd000000), 0xff, "memory decoding off");
    pci_config_write(b, devfn, 0x04, PCI_COMMAND_MEMORY, 2);
    phys_write32(f->mem, 0xfd000000 + 0x1234, 0xcafebabe);
    cr_assert_eq(phys_read32(f->mem, 0xfd001234), 0xcafebabe);
    uint32_t x;
    memcpy(&x, f->v->vram + 0x1234, 4);
    cr_assert_eq(x, 0xcafebabe);
    /* dispi through BAR 2 at 0x500 + 2 * index. */
    phys_write16(f->mem, 0xfebf0500 + 2 * 1, 1024);
    cr_assert_eq(phys_read16(f->mem, 0xfebf0500 + 2 * 1), 1024);
    cr_assert_eq(f->v->vbe[1], 1024);
    /* Move the BAR; then switch decoding off. */
    pci_config_write(b, devfn, 0x10, 0xf0000000, 4);
    cr_assert_eq(phys_read32(f->mem, 0xf0001234), 0xcafebabe);
    cr_assert_eq(phys_read32(f->mem, 0xfd001234), 0xffffffff);
    pci_config_write(b, devfn, 0x04, 0, 2);
    cr_assert_eq(phys_read32(f->mem, 0xf0001234), 0xffffffff);
    teardown(f);
}

/* VBE pictures in every depth, compared with the pixel layouts' arithmetic. */
Test(vga, vbe_render_depths)
{
    struct vga_fixture *f = setup();
    struct harness *h = f->h;
    static const unsigned depths[] = { 8, 15, 16, 24, 32 };
    for (unsigned d = 0; d < 5; d++) {
        unsigned bpp = depths[d], B = (bpp + 7) / 8;
        vbe(h, 4, 0);
        vbe(h, 1, 64); vbe(h, 2, 8); vbe(h, 3, (uint16_t)bpp);
        vbe(h, 4, 0x41);
        vbe(h, 6, 80);                          /* virtual width 80, window at x 16, y 2 */
        vbe(h, 8, 16); vbe(h, 9, 2);
        for (unsigned i = 0; i < 80 * 10 * B; i++)
            f->v->vram[i] = (uint8_t)(i * 13 + 7);
        struct vga_screen s;
        vga_render(f->v, &s, f->px);
        cr_assert_eq(s.kind, VGA_SCREEN_VBE);
        cr_assert_eq(s.width, 64);
        cr_assert_eq(s.height, 8);
        for (unsigned y = 0; y < 8; y++)
            for (unsigned x = 0; x < 64; x++) {
                unsigned o = ((y + 2) * 80 + x + 16) * B;
                const uint8_t *p = f->v->vram + o;
                uint32_t w = p[0] | (B > 1 ? p[1] << 8 : 0), want;
                if (bpp == 8) {
                    want = p[0] < 64 ? ega_rgb(p[0]) : 0;
                } else if (bpp == 15) {
                    unsigned r = (w >> 10) & 31, g = (w >> 5) & 31, bl = w & 31;
                    want = ((r << 3) | (r >> 2)) << 16 | ((g << 3) | (g >> 2)) << 8 | ((bl << 3) | (bl >> 2));
                } else if (bpp == 16) {
                    unsigned r = (w >> 11) & 31, g = (w >> 5) & 63, bl = w & 31;
                    want = ((r << 3) | (r >> 2)) << 16 | ((g << 2) | (g >> 4)) << 8 | ((bl << 3) | (bl >> 2));
                } else {
                    want = (uint32_t)p[2] << 16 | p[1] << 8 | p[0];
                }
                cr_assert_eq(f->px[y * 64 + x], want, "bpp %u x %u y %u", bpp, x, y);
            }
    }
    teardown(f);
}

/* The display copy redraws only lines whose pages changed. */
Test(vga, display_redraws_dirty_lines)
{
    struct vga_fixture *f = setup();
    struct harness *h = f->h;
    struct vga_display d;
    cr_assert_eq(vga_display_init(&d), 0);
    vbe(h, 1, 1024); vbe(h, 2, 768); vbe(h, 3, 32);
    vbe(h, 4, 0x41);
    pci_config_write(&f->pci, PCI_DEVFN(2, 0), 0x10, 0xfd000000, 4);
    pci_config_write(&f->pci, PCI_DEVFN(2, 0), 0x04, PCI_COMMAND_MEMORY, 2);
    cr_assert(vga_display_update(f->v, &d));
    cr_assert_eq(d.lines_drawn, 768);
    cr_assert_not(vga_display_update(f->v, &d), "nothing changed");
    cr_assert_eq(d.lines_drawn, 768);
    phys_write32(f->mem, 0xfd000000 + 4096 * 4 * 100 / 4 + 8, 0x00ff8040);  /* line 100 */
    cr_assert(vga_display_update(f->v, &d));
    cr_assert_eq(d.lines_drawn, 768 + 1, "a 4 KiB page is one 1024x32bpp line");
    cr_assert_eq(d.px[100 * 1024 + 2], 0xff8040);
    outb(h, 0x3c8, 0);                          /* a palette write: everything */
    outb(h, 0x3c9, 1); outb(h, 0x3c9, 1); outb(h, 0x3c9, 1);
    cr_assert(vga_display_update(f->v, &d));
    cr_assert_eq(d.lines_drawn, 2 * 768 + 1);
    vga_display_destroy(&d);
    teardown(f);
}

/* Random programming of every register, the window and the BARs (a fixed
 * seed, so a failure repeats), rendering after each burst: under ASan this
 * proves no register value makes the device or the renderer touch memory
 * outside VRAM; the checks prove the clamps hold throughout. */
Test(vga, random_programming_never_escapes_vram)
{
    struct vga_fixture *f = setup();
    struct harness *h = f->h;
    struct vga_display d;
    cr_assert_eq(vga_display_init(&d), 0);
    pci_config_write(&f->pci, PCI_DEVFN(2, 0), 0x10, 0xfd000000, 4);
    pci_config_write(&f->pci, PCI_DEVFN(2, 0), 0x04, PCI_COMMAND_MEMORY, 2);
    static const uint16_t ports[] = { 0x3b4, 0x3b5, 0x3ba, 0x3c0, 0x3c1, 0x3c2, 0x3c4, 0x3c5,
        0x3c6, 0x3c7, 0x3c8, 0x3c9, 0x3cc, 0x3ce, 0x3cf, 0x3d4, 0x3d5, 0x3da, 0x1ce, 0x1cf };
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int burst = 0; burst < 300; burst++) {
        for (int i = 0; i < 200; i++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            uint16_t port = ports[x % (sizeof(ports) / sizeof(ports[0]))];
            uint32_t val = (uint32_t)(x >> 20);
            switch ((x >> 8) % 8) {
            case 0: outw(h, port, (uint16_t)val); break;
            case 1: inb(h, port); break;
            case 2: phys_write32(f->mem, 0xa0000 + ((x >> 32) % 0x20000), val); break;
            case 3: phys_read16(f->mem, 0xa0000 + ((x >> 32) % 0x20000)); break;
            case 4: vbe(h, (uint16_t)((x >> 40) % 12), (uint16_t)val); break;
            case 5: phys_write8(f->mem, 0xfd000000 + ((x >> 30) % VGA_VRAM_SIZE), (uint8_t)val); break;
            default: outb(h, port, (uint8_t)val); break;
            }
        }
        const uint16_t *r = f->v->vbe;
        uint32_t B = (r[VBE_BPP] + 7u) / 8;
        cr_assert_leq(r[VBE_XRES], VBE_MAX_XRES);
        cr_assert_leq(r[VBE_YRES], VBE_MAX_YRES);
        cr_assert_leq((uint64_t)f->v->vbe_start + (uint64_t)(r[VBE_YRES] - 1) * f->v->vbe_line +
                      (uint64_t)r[VBE_XRES] * B, VGA_VRAM_SIZE);
        vga_display_update(f->v, &d);
        cr_assert_leq(d.screen.width, VGA_MAX_WIDTH);
        cr_assert_leq(d.screen.height, VGA_MAX_HEIGHT);
    }
    vga_display_destroy(&d);
    teardown(f);
}
