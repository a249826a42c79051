/* test_dev_vga.c - the minimal VGA: memory window, registers, Bochs dispi. */
#include <criterion/criterion.h>
#include "dev_harness.h"
#include "devices/vga.h"
#include "memory/memory.h"

struct vga_fixture { struct harness *h; struct phys_mem *mem; struct vga *v; };

static struct vga_fixture *setup(void)
{
    struct vga_fixture *f = calloc(1, sizeof(*f));
    f->h = harness_new();
    f->mem = phys_mem_create(4ull << 20);
    f->v = calloc(1, sizeof(*f->v));
    cr_assert_eq(vga_init(f->v, &f->h->bus, f->mem), 0);
    return f;
}

static void teardown(struct vga_fixture *f)
{
    phys_mem_destroy(f->mem);
    free(f->v);
    free(f->h);
    free(f);
}

Test(vga, text_memory_at_b8000)
{
    struct vga_fixture *f = setup();
    phys_write16(f->mem, 0xb8000 + 2 * (80 * 1 + 2), 0x0741);   /* 'A', grey on black */
    cr_assert_eq(vga_text_char(f->v, 1, 2), 'A');
    cr_assert_eq(phys_read16(f->mem, 0xb8000 + 2 * 82), 0x0741);
    phys_write8(f->mem, 0xa0000, 0x5a);
    cr_assert_eq(phys_read8(f->mem, 0xa0000), 0x5a);
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
    outb(h, 0x3c2, 0x00);                       /* mono addressing: 0x3Dx go dark */
    cr_assert_eq(inb(h, 0x3d5), 0xff);
    outb(h, 0x3b4, 0x0e);
    cr_assert_eq(inb(h, 0x3b5), 0x12);
    teardown(f);
}

Test(vga, bochs_dispi)
{
    struct vga_fixture *f = setup();
    struct harness *h = f->h;
    outw(h, 0x1ce, 0);
    cr_assert_eq(inw(h, 0x1cf), 0xb0c5);
    outw(h, 0x1cf, 0xb0c0);
    cr_assert_eq(inw(h, 0x1cf), 0xb0c0);
    outw(h, 0x1cf, 0x1234);
    cr_assert_eq(inw(h, 0x1cf), 0xb0c0, "bad IDs ignored");
    outw(h, 0x1ce, 4);
    outw(h, 0x1cf, 0x02);                       /* GETCAPS */
    outw(h, 0x1ce, 1);
    cr_assert_eq(inw(h, 0x1cf), 1920);
    outw(h, 0x1ce, 4);
    outw(h, 0x1cf, 0x00);
    outw(h, 0x1ce, 1);
    outw(h, 0x1cf, 800);
    cr_assert_eq(inw(h, 0x1cf), 800);
    outw(h, 0x1ce, 0x0a);
    cr_assert_eq(inw(h, 0x1cf), 16 * 16, "16 MiB in 64 KiB units");
    teardown(f);
}
