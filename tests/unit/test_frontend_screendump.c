/*
 * test_frontend_screendump.c - PNG screendumps: what png_write_rgb writes,
 * read back with libpng's own reader, and its refusals.
 */
#include <criterion/criterion.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "frontend/screendump.h"

Test(screendump, png_round_trip)
{
    enum { W = 37, H = 11, PITCH = 40 };
    static uint32_t px[PITCH * H];
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < PITCH; x++)
            px[y * PITCH + x] = (x * 7u) << 16 | (y * 23u) << 8 | ((x ^ y) * 5u & 0xff);
    char path[] = "/tmp/softvm-test-shot-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    cr_assert_eq(png_write_rgb(path, px, W, H, PITCH, stderr), 0);

    png_image img;
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    cr_assert(png_image_begin_read_from_file(&img, path));
    cr_assert_eq(img.width, W);
    cr_assert_eq(img.height, H);
    img.format = PNG_FORMAT_RGB;
    uint8_t *buf = malloc(PNG_IMAGE_SIZE(img));
    cr_assert(png_image_finish_read(&img, NULL, buf, 0, NULL));
    for (unsigned y = 0; y < H; y++)
        for (unsigned x = 0; x < W; x++) {
            const uint8_t *p = buf + 3 * (y * W + x);
            uint32_t v = px[y * PITCH + x];
            cr_assert_eq(p[0], (uint8_t)(v >> 16));
            cr_assert_eq(p[1], (uint8_t)(v >> 8));
            cr_assert_eq(p[2], (uint8_t)v);
        }
    free(buf);
    unlink(path);
}

Test(screendump, unwritable_path_says_why)
{
    static uint32_t px[4];
    char buf[256] = {0};
    FILE *err = fmemopen(buf, sizeof(buf), "w");
    cr_assert_eq(png_write_rgb("/nonexistent-dir/x.png", px, 2, 2, 2, err), -1);
    fclose(err);
    cr_assert(strstr(buf, "softvm: screendump '/nonexistent-dir/x.png': No such file"), "said: %s", buf);
}
