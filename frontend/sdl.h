/*
 * sdl.h - the SDL2 window of -display sdl: the VGA's picture (redrawn from
 * the pages that changed, at most ~60 times a second of host time), scaled
 * to the window and resized with the guest's mode; keyboard and mouse to
 * the PS/2 devices of the i8042. A click in the window grabs the mouse,
 * Ctrl-Alt-G grabs and releases it. The title shows the run state and the
 * guest's MIPS. Closing the window stops softvm (exit status 0).
 *
 * Everything the window produces for the guest is queued and delivered at
 * a slice boundary (sdl_display_feed), the one place host input enters.
 */
#ifndef SOFTVM_FRONTEND_SDL_H
#define SOFTVM_FRONTEND_SDL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct machine;
struct sdl_display;

/* Open the window, or say why not on err ($DISPLAY unset, SDL failed) and
 * return NULL: the caller runs with -display none. */
struct sdl_display *sdl_display_open(struct machine *m, FILE *err);
void sdl_display_close(struct sdl_display *d);
/* Handle window events and redraw if due; wait up to timeout_ms (0: just
 * look), but never more than 10 ms, so the caller looks at its other inputs
 * often. True if an event arrived or it returned before timeout_ms. */
bool sdl_display_poll(struct sdl_display *d, struct machine *m, int timeout_ms);
/* Deliver the queued key and mouse events to the guest (host_feed calls
 * it), showing each to log first (kind: HOST_INPUT_KEY or HOST_INPUT_MOUSE
 * of frontend/host.h, data as described there). */
typedef void (*sdl_input_log_fn)(struct machine *m, int kind, const uint8_t *data, size_t len);
void sdl_display_feed(struct sdl_display *d, struct machine *m, sdl_input_log_fn log);
bool sdl_display_has_input(const struct sdl_display *d);

/* An SDL scancode as PS/2 set-2 bytes (make, or break with down false).
 * Returns the byte count, 0 for a key the PS/2 keyboard does not have. */
unsigned sdl_key_to_set2(int sdl_scancode, bool down, uint8_t out[8]);

#endif
