/*
 * screendump.h - the guest screen as a PNG file (libpng): -screendump FILE
 * at exit, Ctrl-A p on the console, and QMP's screendump (PNG or PPM).
 */
#ifndef SOFTVM_FRONTEND_SCREENDUMP_H
#define SOFTVM_FRONTEND_SCREENDUMP_H

#include <stdint.h>
#include <stdio.h>

struct machine;

/* Write w x h 0x00RRGGBB pixels (pitch pixels per line) as an 8-bit RGB
 * PNG. Returns 0, or -1 after one line on err saying why. */
int png_write_rgb(const char *path, const uint32_t *px, unsigned w, unsigned h,
                  unsigned pitch, FILE *err);
/* Render what the machine's VGA shows now and write it to path; a path
 * ending in ".txt" gets the characters of a text mode instead (a text dump
 * of the screen memory, one line per row). */
int screendump_machine(struct machine *m, const char *path, FILE *err);
/* The same picture as a binary PPM (P6), QMP screendump's default format. */
int ppm_write_rgb(const char *path, const uint32_t *px, unsigned w, unsigned h,
                  unsigned pitch, FILE *err);
int screendump_machine_ppm(struct machine *m, const char *path, FILE *err);

#endif
