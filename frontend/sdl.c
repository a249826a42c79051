/*
 * sdl.c - the SDL2 window (-display sdl): see sdl.h.
 *
 * Keys are translated from SDL scancodes (USB HID usages) to PS/2 scancode
 * set 2 (IBM PS/2 Hardware Interface Technical Reference, keyboard scan
 * codes; make code, F0 + make code to break, E0 prefix for the extended
 * keys). The i8042 translates to set 1 when the guest asks for it.
 */
#include "frontend/sdl.h"

#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/machine/machine.h"
#include "devices/vga_render.h"
#include "frontend/host.h"

#define SDL_REFRESH_NS 16000000ull        /* redraw at most ~60 times a second */
#define SDL_TITLE_NS   1000000000ull      /* MIPS over one second */
#define SDL_INPUT_QUEUE 256

/* One input event for the guest, queued between slices. */
struct sdl_input {
    bool mouse;
    uint8_t n, bytes[8];                  /* key: set-2 bytes */
    int dx, dy, dz;                       /* mouse */
    uint8_t buttons;
};

struct sdl_display {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    unsigned tex_w, tex_h;
    struct vga_display vd;
    bool grabbed;
    uint8_t buttons;
    uint64_t last_refresh_ns, last_title_ns, last_title_icount;
    double mips;
    struct sdl_input q[SDL_INPUT_QUEUE];
    unsigned q_head, q_len;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* --- keys --------------------------------------------------------------------- */

/* Set-2 make code of an SDL scancode; 0x100 bit: E0-prefixed. 0: no key. */
static uint16_t set2_code(SDL_Scancode sc)
{
    static const uint8_t letters[26] = {
        0x1c, 0x32, 0x21, 0x23, 0x24, 0x2b, 0x34, 0x33, 0x43, 0x3b, 0x42, 0x4b, 0x3a,
        0x31, 0x44, 0x4d, 0x15, 0x2d, 0x1b, 0x2c, 0x3c, 0x2a, 0x1d, 0x22, 0x35, 0x1a,
    };
    static const uint8_t digits[10] = { 0x16, 0x1e, 0x26, 0x25, 0x2e, 0x36, 0x3d, 0x3e, 0x46, 0x45 };
    static const uint8_t fkeys[12] = { 0x05, 0x06, 0x04, 0x0c, 0x03, 0x0b, 0x83, 0x0a, 0x01, 0x09, 0x78, 0x07 };
    static const uint8_t keypad[10] = { 0x69, 0x72, 0x7a, 0x6b, 0x73, 0x74, 0x6c, 0x75, 0x7d, 0x70 };  /* KP 1..9, 0 */
    if (sc >= SDL_SCANCODE_A && sc <= SDL_SCANCODE_Z)
        return letters[sc - SDL_SCANCODE_A];
    if (sc >= SDL_SCANCODE_1 && sc <= SDL_SCANCODE_0)
        return digits[sc - SDL_SCANCODE_1];
    if (sc >= SDL_SCANCODE_F1 && sc <= SDL_SCANCODE_F12)
        return fkeys[sc - SDL_SCANCODE_F1];
    if (sc >= SDL_SCANCODE_KP_1 && sc <= SDL_SCANCODE_KP_0)
        return keypad[sc - SDL_SCANCODE_KP_1];
    switch (sc) {
    case SDL_SCANCODE_RETURN: return 0x5a;
    case SDL_SCANCODE_ESCAPE: return 0x76;
    case SDL_SCANCODE_BACKSPACE: return 0x66;
    case SDL_SCANCODE_TAB: return 0x0d;
    case SDL_SCANCODE_SPACE: return 0x29;
    case SDL_SCANCODE_MINUS: return 0x4e;
    case SDL_SCANCODE_EQUALS: return 0x55;
    case SDL_SCANCODE_LEFTBRACKET: return 0x54;
    case SDL_SCANCODE_RIGHTBRACKET: return 0x5b;
    case SDL_SCANCODE_BACKSLASH: return 0x5d;
    case SDL_SCANCODE_NONUSHASH: return 0x5d;
    case SDL_SCANCODE_SEMICOLON: return 0x4c;
    case SDL_SCANCODE_APOSTROPHE: return 0x52;
    case SDL_SCANCODE_GRAVE: return 0x0e;
    case SDL_SCANCODE_COMMA: return 0x41;
    case SDL_SCANCODE_PERIOD: return 0x49;
    case SDL_SCANCODE_SLASH: return 0x4a;
    case SDL_SCANCODE_NONUSBACKSLASH: return 0x61;
    case SDL_SCANCODE_CAPSLOCK: return 0x58;
    case SDL_SCANCODE_SCROLLLOCK: return 0x7e;
    case SDL_SCANCODE_NUMLOCKCLEAR: return 0x77;
    case SDL_SCANCODE_KP_MULTIPLY: return 0x7c;
    case SDL_SCANCODE_KP_MINUS: return 0x7b;
    case SDL_SCANCODE_KP_PLUS: return 0x79;
    case SDL_SCANCODE_KP_PERIOD: return 0x71;
    case SDL_SCANCODE_KP_DIVIDE: return 0x14a;
    case SDL_SCANCODE_KP_ENTER: return 0x15a;
    case SDL_SCANCODE_LCTRL: return 0x14;
    case SDL_SCANCODE_LSHIFT: return 0x12;
    case SDL_SCANCODE_LALT: return 0x11;
    case SDL_SCANCODE_LGUI: return 0x11f;
    case SDL_SCANCODE_RCTRL: return 0x114;
    case SDL_SCANCODE_RSHIFT: return 0x59;
    case SDL_SCANCODE_RALT: return 0x111;
    case SDL_SCANCODE_RGUI: return 0x127;
    case SDL_SCANCODE_APPLICATION: return 0x12f;
    case SDL_SCANCODE_INSERT: return 0x170;
    case SDL_SCANCODE_DELETE: return 0x171;
    case SDL_SCANCODE_HOME: return 0x16c;
    case SDL_SCANCODE_END: return 0x169;
    case SDL_SCANCODE_PAGEUP: return 0x17d;
    case SDL_SCANCODE_PAGEDOWN: return 0x17a;
    case SDL_SCANCODE_UP: return 0x175;
    case SDL_SCANCODE_DOWN: return 0x172;
    case SDL_SCANCODE_LEFT: return 0x16b;
    case SDL_SCANCODE_RIGHT: return 0x174;
    default: return 0;
    }
}

unsigned sdl_key_to_set2(int sdl_scancode, bool down, uint8_t out[8])
{
    uint16_t c = set2_code((SDL_Scancode)sdl_scancode);
    if (!c)
        return 0;
    unsigned n = 0;
    if (c & 0x100)
        out[n++] = 0xe0;
    if (!down)
        out[n++] = 0xf0;
    out[n++] = (uint8_t)c;
    return n;
}

/* --- the one input path -------------------------------------------------------- */

/*
 * Every event from the window enters the guest here, queued while SDL is
 * polled and delivered by sdl_display_feed from host_feed at a slice
 * boundary, as typed console bytes are, and shown to the input log there
 * (record/replay).
 */
static void queue_input(struct sdl_display *d, const struct sdl_input *ev)
{
    if (d->q_len == SDL_INPUT_QUEUE)
        return;                          /* the guest is not reading: drop */
    d->q[(d->q_head + d->q_len) % SDL_INPUT_QUEUE] = *ev;
    d->q_len++;
}

static void put_le16(uint8_t *p, int v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)((unsigned)v >> 8);
}

/*
 * A key waits until the guest has read the bytes of the one before (a
 * PS/2 keyboard sends only as fast as the controller takes them): events
 * that arrive together on a busy host would otherwise overflow the
 * keyboard's queue and lose bytes (a lost break code is a stuck key).
 * Events after a waiting key wait too, so the order stays.
 */
void sdl_display_feed(struct sdl_display *d, struct machine *m, sdl_input_log_fn log)
{
    while (d->q_len) {
        const struct sdl_input *ev = &d->q[d->q_head];
        if (!ev->mouse && !i8042_key_ready(&m->dev.kbc))
            break;
        if (ev->mouse) {
            int dx = ev->dx < -32768 ? -32768 : ev->dx > 32767 ? 32767 : ev->dx;
            int dy = ev->dy < -32768 ? -32768 : ev->dy > 32767 ? 32767 : ev->dy;
            int dz = ev->dz < -32768 ? -32768 : ev->dz > 32767 ? 32767 : ev->dz;
            uint8_t rec[7];
            put_le16(rec, dx);
            put_le16(rec + 2, dy);
            put_le16(rec + 4, dz);
            rec[6] = ev->buttons;
            if (log)
                log(m, HOST_INPUT_MOUSE, rec, sizeof(rec));
            i8042_mouse_event(&m->dev.kbc, dx, dy, dz, ev->buttons);
        } else {
            if (log)
                log(m, HOST_INPUT_KEY, ev->bytes, ev->n);
            i8042_key_event(&m->dev.kbc, ev->bytes, ev->n);
        }
        d->q_head = (d->q_head + 1) % SDL_INPUT_QUEUE;
        d->q_len--;
    }
}

/* --- the window ------------------------------------------------------------------ */

static void set_title(struct sdl_display *d, struct machine *m)
{
    char title[160];
    const char *state = m->stop ? "stopped" : m->cpu.halted ? "idle" : "running";
    snprintf(title, sizeof(title), "softvm - %s - %.1f MIPS%s", state, d->mips,
             d->grabbed ? " - Ctrl-Alt-G releases the mouse" : "");
    SDL_SetWindowTitle(d->win, title);
}

static void set_grab(struct sdl_display *d, struct machine *m, bool on)
{
    d->grabbed = on;
    SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
    SDL_SetWindowGrab(d->win, on ? SDL_TRUE : SDL_FALSE);
    set_title(d, m);
}

struct sdl_display *sdl_display_open(struct machine *m, FILE *err)
{
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    if ((!x || !*x) && (!wl || !*wl)) {
        fprintf(err, "softvm: -display sdl: no display ($DISPLAY is not set); running with -display none\n");
        return NULL;
    }
    if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
        fprintf(err, "softvm: -display sdl: %s; running with -display none\n", SDL_GetError());
        return NULL;
    }
    struct sdl_display *d = calloc(1, sizeof(*d));
    if (!d || vga_display_init(&d->vd)) {
        free(d);
        SDL_QuitSubSystem(SDL_INIT_VIDEO);
        fprintf(err, "softvm: -display sdl: out of memory\n");
        return NULL;
    }
    d->win = SDL_CreateWindow("softvm", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                              720, 400, SDL_WINDOW_RESIZABLE);
    d->ren = d->win ? SDL_CreateRenderer(d->win, -1, 0) : NULL;
    if (!d->ren) {
        fprintf(err, "softvm: -display sdl: %s; running with -display none\n", SDL_GetError());
        sdl_display_close(d);
        return NULL;
    }
    d->last_title_ns = now_ns();
    d->last_title_icount = m->cpu.icount;
    set_title(d, m);
    return d;
}

void sdl_display_close(struct sdl_display *d)
{
    if (!d)
        return;
    if (d->tex)
        SDL_DestroyTexture(d->tex);
    if (d->ren)
        SDL_DestroyRenderer(d->ren);
    if (d->win)
        SDL_DestroyWindow(d->win);
    vga_display_destroy(&d->vd);
    free(d);
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

/* Small modes (320x200) are shown twice as large. */
static unsigned scale_for(unsigned w, unsigned h)
{
    return (w < 640 && h < 480) ? 2 : 1;
}

static void refresh(struct sdl_display *d, struct machine *m, uint64_t now)
{
    if (now - d->last_title_ns >= SDL_TITLE_NS) {
        d->mips = (double)(m->cpu.icount - d->last_title_icount) * 1e3 / (double)(now - d->last_title_ns);
        d->last_title_ns = now;
        d->last_title_icount = m->cpu.icount;
        set_title(d, m);
    }
    if (now - d->last_refresh_ns < SDL_REFRESH_NS)
        return;
    d->last_refresh_ns = now;
    if (!vga_display_update(&m->dev.vga, &d->vd))
        return;
    const struct vga_screen *s = &d->vd.screen;
    if (!d->tex || d->tex_w != s->width || d->tex_h != s->height) {
        if (d->tex)
            SDL_DestroyTexture(d->tex);
        d->tex = SDL_CreateTexture(d->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING,
                                   (int)s->width, (int)s->height);
        d->tex_w = s->width;
        d->tex_h = s->height;
        unsigned k = scale_for(s->width, s->height);
        SDL_SetWindowSize(d->win, (int)(s->width * k), (int)(s->height * k));
    }
    if (!d->tex)
        return;
    SDL_UpdateTexture(d->tex, NULL, d->vd.px, (int)(s->width * sizeof(uint32_t)));
    SDL_RenderClear(d->ren);
    SDL_RenderCopy(d->ren, d->tex, NULL, NULL);
    SDL_RenderPresent(d->ren);
}

static void handle_event(struct sdl_display *d, struct machine *m, const SDL_Event *e)
{
    struct sdl_input ev = {0};
    switch (e->type) {
    case SDL_QUIT:
        machine_request_stop(m, 0);
        break;
    case SDL_KEYDOWN:
    case SDL_KEYUP: {
        SDL_Keymod mod = SDL_GetModState();
        if (e->type == SDL_KEYDOWN && e->key.keysym.scancode == SDL_SCANCODE_G &&
            (mod & KMOD_CTRL) && (mod & KMOD_ALT)) {
            set_grab(d, m, !d->grabbed);
            break;                       /* the grab key is the host's */
        }
        ev.n = (uint8_t)sdl_key_to_set2(e->key.keysym.scancode, e->type == SDL_KEYDOWN, ev.bytes);
        if (ev.n)
            queue_input(d, &ev);
        break;
    }
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: {
        if (!d->grabbed) {
            if (e->type == SDL_MOUSEBUTTONDOWN)
                set_grab(d, m, true);    /* a click in the window grabs the mouse */
            break;
        }
        uint8_t bit = e->button.button == SDL_BUTTON_LEFT ? 1 :
                      e->button.button == SDL_BUTTON_RIGHT ? 2 :
                      e->button.button == SDL_BUTTON_MIDDLE ? 4 : 0;
        if (e->type == SDL_MOUSEBUTTONDOWN)
            d->buttons |= bit;
        else
            d->buttons &= (uint8_t)~bit;
        ev.mouse = true;
        ev.buttons = d->buttons;
        queue_input(d, &ev);
        break;
    }
    case SDL_MOUSEMOTION:
        if (!d->grabbed)
            break;
        ev.mouse = true;
        ev.dx = e->motion.xrel;
        ev.dy = -e->motion.yrel;         /* PS/2: positive is up */
        ev.buttons = d->buttons;
        queue_input(d, &ev);
        break;
    case SDL_MOUSEWHEEL:
        if (!d->grabbed)
            break;
        ev.mouse = true;
        ev.dz = -e->wheel.y;
        ev.buttons = d->buttons;
        queue_input(d, &ev);
        break;
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_EXPOSED ||
            e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
            d->vd.valid = false;         /* draw it all again */
            d->last_refresh_ns = 0;
        }
        break;
    default:
        break;
    }
}

/* Handle what is waiting; true if anything was. */
static bool pump(struct sdl_display *d, struct machine *m)
{
    bool got = false;
    SDL_Event e;
    while (SDL_PollEvent(&e)) {
        handle_event(d, m, &e);
        got = true;
    }
    refresh(d, m, now_ns());
    return got;
}

bool sdl_display_poll(struct sdl_display *d, struct machine *m, int timeout_ms)
{
    bool got = pump(d, m);
    if (got || timeout_ms == 0 || m->stop)
        return got;
    /* Never wait long here: the caller's other inputs (terminal, network)
     * are only looked at between calls. Returning early counts as "input":
     * the caller then measures the time that really passed and calls again. */
    int wait = (timeout_ms < 0 || timeout_ms > 10) ? 10 : timeout_ms;
    SDL_WaitEventTimeout(NULL, wait);
    got = pump(d, m);
    return got || timeout_ms < 0 || wait < timeout_ms;
}

bool sdl_display_has_input(const struct sdl_display *d)
{
    return d->q_len != 0;
}
