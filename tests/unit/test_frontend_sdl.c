/*
 * test_frontend_sdl.c - the window's host-independent parts: SDL scancodes
 * to PS/2 set-2 bytes (values from the IBM PS/2 Hardware Interface
 * Technical Reference's scan code table) and the fallback without a display.
 */
#include <criterion/criterion.h>
#include <SDL.h>
#include <stdlib.h>
#include <string.h>
#include "frontend/sdl.h"

static void check(int sc, bool down, const uint8_t *want, unsigned n)
{
    uint8_t out[8];
    unsigned got = sdl_key_to_set2(sc, down, out);
    cr_assert_eq(got, n, "scancode %d: %u bytes, want %u", sc, got, n);
    cr_assert_arr_eq(out, want, n, "scancode %d", sc);
}

Test(sdl, set2_scancodes)
{
    check(SDL_SCANCODE_A, true, (const uint8_t[]){ 0x1c }, 1);
    check(SDL_SCANCODE_A, false, (const uint8_t[]){ 0xf0, 0x1c }, 2);
    check(SDL_SCANCODE_Z, true, (const uint8_t[]){ 0x1a }, 1);
    check(SDL_SCANCODE_1, true, (const uint8_t[]){ 0x16 }, 1);
    check(SDL_SCANCODE_0, true, (const uint8_t[]){ 0x45 }, 1);
    check(SDL_SCANCODE_RETURN, true, (const uint8_t[]){ 0x5a }, 1);
    check(SDL_SCANCODE_F7, true, (const uint8_t[]){ 0x83 }, 1);
    check(SDL_SCANCODE_F12, false, (const uint8_t[]){ 0xf0, 0x07 }, 2);
    check(SDL_SCANCODE_LSHIFT, true, (const uint8_t[]){ 0x12 }, 1);
    check(SDL_SCANCODE_RCTRL, true, (const uint8_t[]){ 0xe0, 0x14 }, 2);
    check(SDL_SCANCODE_UP, true, (const uint8_t[]){ 0xe0, 0x75 }, 2);
    check(SDL_SCANCODE_UP, false, (const uint8_t[]){ 0xe0, 0xf0, 0x75 }, 3);
    check(SDL_SCANCODE_KP_ENTER, true, (const uint8_t[]){ 0xe0, 0x5a }, 2);
    check(SDL_SCANCODE_KP_7, true, (const uint8_t[]){ 0x6c }, 1);
    uint8_t out[8];
    cr_assert_eq(sdl_key_to_set2(SDL_SCANCODE_F24, true, out), 0, "no such PS/2 key");
}

Test(sdl, no_display_falls_back)
{
    unsetenv("DISPLAY");
    unsetenv("WAYLAND_DISPLAY");
    char buf[256] = {0};
    FILE *err = fmemopen(buf, sizeof(buf), "w");
    cr_assert_null(sdl_display_open(NULL, err));
    fclose(err);
    cr_assert(strstr(buf, "no display") && strstr(buf, "-display none"), "said: %s", buf);
    cr_assert_eq(SDL_WasInit(SDL_INIT_VIDEO), 0, "SDL's video was not even started");
}
