/*
 * screendump.c - PNG screenshots of the VGA (see screendump.h). The picture
 * is vga_render's: the same pixels the window shows.
 */
#include "frontend/screendump.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "devices/machine/machine.h"
#include "devices/vga_render.h"

int png_write_rgb(const char *path, const uint32_t *px, unsigned w, unsigned h,
                  unsigned pitch, FILE *err)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(err, "softvm: screendump '%s': %s\n", path, strerror(errno));
        return -1;
    }
    uint8_t *row = malloc((size_t)w * 3);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!row || !png || !info) {
        png_destroy_write_struct(&png, &info);
        free(row);
        fclose(f);
        fprintf(err, "softvm: screendump '%s': out of memory\n", path);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(row);
        fclose(f);
        fprintf(err, "softvm: screendump '%s': libpng could not write it\n", path);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (unsigned y = 0; y < h; y++) {
        const uint32_t *src = px + (size_t)y * pitch;
        for (unsigned x = 0; x < w; x++) {
            row[3 * x] = (uint8_t)(src[x] >> 16);
            row[3 * x + 1] = (uint8_t)(src[x] >> 8);
            row[3 * x + 2] = (uint8_t)src[x];
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    if (fclose(f) != 0) {
        fprintf(err, "softvm: screendump '%s': %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The characters of a text screen, one line per row: printable ASCII as is,
 * NUL as a space, anything else as '?'. */
static int write_text(struct machine *m, const char *path, FILE *err)
{
    const struct vga *v = &m->dev.vga;
    struct vga_screen s;
    vga_screen_get(v, &s);
    if (s.kind != VGA_SCREEN_TEXT) {
        fprintf(err, "softvm: screendump '%s': the screen is not in a text mode\n", path);
        return -1;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(err, "softvm: screendump '%s': %s\n", path, strerror(errno));
        return -1;
    }
    for (unsigned r = 0; r < s.rows; r++) {
        char line[VGA_MAX_WIDTH / 8 + 2];
        unsigned n = 0;
        for (unsigned c = 0; c < s.cols; c++) {
            uint8_t ch = vga_text_char(v, (int)r, (int)c);
            line[n++] = ch == 0 ? ' ' : (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
        }
        while (n && line[n - 1] == ' ')
            n--;
        line[n++] = '\n';
        fwrite(line, 1, n, f);
    }
    if (fclose(f) != 0) {
        fprintf(err, "softvm: screendump '%s': %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* P6 PPM (netpbm's format, what QEMU's screendump writes by default). */
int ppm_write_rgb(const char *path, const uint32_t *px, unsigned w, unsigned h,
                  unsigned pitch, FILE *err)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(err, "softvm: screendump '%s': %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "P6\n%u %u\n255\n", w, h);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            uint32_t p = px[(size_t)y * pitch + x];
            uint8_t rgb[3] = { (uint8_t)(p >> 16), (uint8_t)(p >> 8), (uint8_t)p };
            fwrite(rgb, 1, 3, f);
        }
    if (fclose(f) != 0) {
        fprintf(err, "softvm: screendump '%s': %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int render_and_write(struct machine *m, const char *path, FILE *err,
                            int (*write)(const char *, const uint32_t *, unsigned, unsigned,
                                         unsigned, FILE *))
{
    uint32_t *px = malloc((size_t)VGA_MAX_WIDTH * VGA_MAX_HEIGHT * sizeof(*px));
    if (!px) {
        fprintf(err, "softvm: screendump '%s': out of memory\n", path);
        return -1;
    }
    struct vga_screen s;
    vga_render(&m->dev.vga, &s, px);
    int rc = write(path, px, s.width, s.height, s.width, err);
    free(px);
    return rc;
}

int screendump_machine(struct machine *m, const char *path, FILE *err)
{
    size_t len = strlen(path);
    if (len > 4 && !strcmp(path + len - 4, ".txt"))
        return write_text(m, path, err);
    return render_and_write(m, path, err, png_write_rgb);
}

int screendump_machine_ppm(struct machine *m, const char *path, FILE *err)
{
    return render_and_write(m, path, err, ppm_write_rgb);
}
