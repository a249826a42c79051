/*
 * i8042.c - keyboard controller, PS/2 keyboard and mouse.  See i8042.h.
 */
#include "devices/i8042.h"
#include "devices/vmstate.h"

#include <string.h>
#include "devices/iobus.h"

#define ST_OBF      0x01    /* output buffer full */
#define ST_IBF      0x02    /* input buffer full (never: we act at once) */
#define ST_SYS      0x04    /* system flag: set after a passed self-test */
#define ST_CMD      0x08    /* last write went to port 0x64 */
#define ST_UNLOCKED 0x10    /* keyboard not inhibited by the key lock */
#define ST_AUX_OBF  0x20    /* the output buffer holds a mouse byte */

#define CB_KBD_INT   0x01
#define CB_AUX_INT   0x02
#define CB_SYS       0x04
#define CB_KBD_OFF   0x10
#define CB_AUX_OFF   0x20
#define CB_XLATE     0x40

#define OP_RESET 0x01       /* output port bit 0: 0 resets the CPU */
#define OP_A20   0x02

#define ACK 0xfa

/*
 * The 8042's fixed scancode translation, set 2 -> set 1 (IBM PC/AT
 * Technical Reference). Entry i is the set 1 code for set 2 code i; codes
 * 0x80 and above pass through unchanged except 0x83 (F7).
 */
static const uint8_t xlate_set2_to_set1[128] = {
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

/* --- byte queues -------------------------------------------------------------- */

static void q_push(struct ps2_queue *q, uint8_t b)
{
    if (q->count < PS2_QUEUE_SIZE)
        q->data[(q->head + q->count++) % PS2_QUEUE_SIZE] = b;
}

static bool q_pop(struct ps2_queue *q, uint8_t *b)
{
    if (!q->count)
        return false;
    *b = q->data[q->head];
    q->head = (q->head + 1) % PS2_QUEUE_SIZE;
    q->count--;
    return true;
}

static void q_clear(struct ps2_queue *q) { q->head = q->count = 0; }

/* --- controller output buffer --------------------------------------------------- */

static void update_irqs(struct i8042 *k)
{
    bool full = k->status & ST_OBF;
    bool irq1 = full && !k->out_is_aux && (k->command_byte & CB_KBD_INT);
    bool irq12 = full && k->out_is_aux && (k->command_byte & CB_AUX_INT);
    if (irq1 != k->irq1) {
        k->irq1 = irq1;
        irq_set(k->bus, 1, irq1);
    }
    if (irq12 != k->irq12) {
        k->irq12 = irq12;
        irq_set(k->bus, 12, irq12);
    }
}

/* Translate one keyboard byte to set 1; returns false to swallow it (F0). */
static bool translate(struct i8042 *k, uint8_t *b)
{
    if (*b == 0xf0) {
        k->translate_break = true;
        return false;
    }
    uint8_t v = *b;
    if (v < 0x80)
        v = xlate_set2_to_set1[v];
    else if (v == 0x83)
        v = 0x41;
    if (k->translate_break && v != 0xe0 && v != 0xe1) {
        v |= 0x80;
        k->translate_break = false;
    }
    *b = v;
    return true;
}

/* Refill an empty output buffer: controller replies first, then keyboard,
 * then mouse (each device is held off while its port is disabled). */
static void refill(struct i8042 *k)
{
    if (k->status & ST_OBF) {
        update_irqs(k);
        return;
    }
    uint8_t b;
    bool got = false, aux = false;
    if (q_pop(&k->ctrl_out, &b)) {
        got = true;
    } else if (!(k->command_byte & CB_KBD_OFF)) {
        while (!got && q_pop(&k->kbd_out, &b))
            got = !(k->command_byte & CB_XLATE) || translate(k, &b);
    }
    if (!got && !(k->command_byte & CB_AUX_OFF) && q_pop(&k->aux_out, &b)) {
        got = true;
        aux = true;
    }
    if (got) {
        k->out_byte = b;
        k->out_is_aux = aux;
        k->status |= ST_OBF;
        if (aux)
            k->status |= ST_AUX_OBF;
        else
            k->status &= ~ST_AUX_OBF;
    }
    update_irqs(k);
}

static void ctrl_reply(struct i8042 *k, uint8_t b)
{
    q_push(&k->ctrl_out, b);
    refill(k);
}

static void write_output_port(struct i8042 *k, uint8_t v)
{
    uint8_t old = k->output_port;
    k->output_port = v;
    if (k->set_a20 && ((old ^ v) & OP_A20))
        k->set_a20(k->a20_opaque, v & OP_A20);
    if (!(v & OP_RESET) && k->reset)
        k->reset(k->reset_opaque);
}

/* --- keyboard ----------------------------------------------------------------- */

static void kbd_reply(struct i8042 *k, uint8_t b)
{
    q_push(&k->kbd_out, b);
}

static void kbd_defaults(struct i8042 *k)
{
    k->kbd_scanning = true;
    k->kbd_scancode_set = 2;
}

static void kbd_write(struct i8042 *k, uint8_t v)
{
    uint8_t cmd = k->kbd_pending_cmd;
    if (cmd) {
        k->kbd_pending_cmd = 0;
        switch (cmd) {
        case 0xed:                                  /* LED argument */
            k->kbd_leds = v & 7;
            kbd_reply(k, ACK);
            return;
        case 0xf3:                                  /* typematic argument */
            kbd_reply(k, ACK);
            return;
        case 0xf0:                                  /* scancode set argument */
            kbd_reply(k, ACK);
            if (v == 0)
                kbd_reply(k, k->kbd_scancode_set);
            else if (v <= 3)
                k->kbd_scancode_set = v;
            return;
        }
    }
    switch (v) {
    case 0xed: case 0xf3: case 0xf0:
        k->kbd_pending_cmd = v;
        kbd_reply(k, ACK);
        break;
    case 0xee:                                      /* echo */
        kbd_reply(k, 0xee);
        break;
    case 0xf2:                                      /* identify: MF2 keyboard */
        kbd_reply(k, ACK);
        kbd_reply(k, 0xab);
        kbd_reply(k, 0x83);
        break;
    case 0xf4:                                      /* enable scanning */
        k->kbd_scanning = true;
        kbd_reply(k, ACK);
        break;
    case 0xf5:                                      /* disable + defaults */
        kbd_defaults(k);
        k->kbd_scanning = false;
        kbd_reply(k, ACK);
        break;
    case 0xf6:                                      /* defaults */
        kbd_defaults(k);
        kbd_reply(k, ACK);
        break;
    case 0xff:                                      /* reset: ACK, then BAT passed */
        q_clear(&k->kbd_out);
        kbd_defaults(k);
        k->kbd_leds = 0;
        kbd_reply(k, ACK);
        kbd_reply(k, 0xaa);
        break;
    default:
        kbd_reply(k, ACK);
        break;
    }
}

bool i8042_key_ready(const struct i8042 *k)
{
    return k->kbd_out.count == 0;
}

void i8042_key_event(struct i8042 *k, const uint8_t *set2, unsigned n)
{
    if (!k->kbd_scanning)
        return;
    for (unsigned i = 0; i < n; i++)
        kbd_reply(k, set2[i]);
    refill(k);
}

/* --- mouse -------------------------------------------------------------------- */

static void aux_reply(struct i8042 *k, uint8_t b)
{
    q_push(&k->aux_out, b);
}

static void aux_defaults(struct i8042 *k)
{
    k->aux_reporting = false;
    k->aux_remote = false;
    k->aux_rate = 100;
    k->aux_resolution = 2;
    k->aux_scaling21 = 0;
}

static void aux_packet(struct i8042 *k, int dx, int dy, int dz)
{
    if (dx > 255) dx = 255;
    if (dx < -256) dx = -256;
    if (dy > 255) dy = 255;
    if (dy < -256) dy = -256;
    uint8_t b0 = 0x08 | (k->aux_buttons & 7) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0);
    aux_reply(k, b0);
    aux_reply(k, (uint8_t)dx);
    aux_reply(k, (uint8_t)dy);
    if (k->aux_id == 3) {
        if (dz > 7) dz = 7;
        if (dz < -8) dz = -8;
        aux_reply(k, (uint8_t)(dz & 0x0f));
    }
}

static void aux_write(struct i8042 *k, uint8_t v)
{
    uint8_t cmd = k->aux_pending_cmd;
    if (cmd) {
        k->aux_pending_cmd = 0;
        aux_reply(k, ACK);
        if (cmd == 0xf3) {
            k->aux_rate = v;
            k->aux_rate_hist[0] = k->aux_rate_hist[1];
            k->aux_rate_hist[1] = k->aux_rate_hist[2];
            k->aux_rate_hist[2] = v;
            /* The IntelliMouse knock: rates 200, 100, 80 switch on the wheel. */
            if (k->aux_rate_hist[0] == 200 && k->aux_rate_hist[1] == 100 && v == 80)
                k->aux_id = 3;
        } else if (cmd == 0xe8) {
            k->aux_resolution = v & 3;
        }
        return;
    }
    switch (v) {
    case 0xe8: case 0xf3:                          /* take an argument */
        k->aux_pending_cmd = v;
        aux_reply(k, ACK);
        break;
    case 0xe6: k->aux_scaling21 = 0; aux_reply(k, ACK); break;
    case 0xe7: k->aux_scaling21 = 1; aux_reply(k, ACK); break;
    case 0xe9:                                      /* status request */
        aux_reply(k, ACK);
        aux_reply(k, (uint8_t)((k->aux_remote ? 0x40 : 0) | (k->aux_reporting ? 0x20 : 0) |
                               (k->aux_scaling21 ? 0x10 : 0) | (k->aux_buttons & 7)));
        aux_reply(k, k->aux_resolution);
        aux_reply(k, k->aux_rate);
        break;
    case 0xea: k->aux_remote = false; aux_reply(k, ACK); break;
    case 0xf0: k->aux_remote = true; aux_reply(k, ACK); break;
    case 0xeb:                                      /* read data */
        aux_reply(k, ACK);
        aux_packet(k, 0, 0, 0);
        break;
    case 0xf2:                                      /* get device ID */
        aux_reply(k, ACK);
        aux_reply(k, k->aux_id);
        break;
    case 0xf4: k->aux_reporting = true; aux_reply(k, ACK); break;
    case 0xf5: k->aux_reporting = false; aux_reply(k, ACK); break;
    case 0xf6: aux_defaults(k); aux_reply(k, ACK); break;
    case 0xff:                                      /* reset: ACK, BAT passed, ID */
        q_clear(&k->aux_out);
        aux_defaults(k);
        k->aux_id = 0;
        aux_reply(k, ACK);
        aux_reply(k, 0xaa);
        aux_reply(k, 0x00);
        break;
    default:
        aux_reply(k, ACK);
        break;
    }
}

void i8042_mouse_event(struct i8042 *k, int dx, int dy, int dz, uint8_t buttons)
{
    k->aux_buttons = buttons & 7;
    if (!k->aux_reporting || k->aux_remote)
        return;
    if (k->aux_out.count + 4 > PS2_QUEUE_SIZE)
        return;                         /* drop motion rather than split a packet */
    aux_packet(k, dx, dy, dz);
    refill(k);
}

/* --- controller commands ---------------------------------------------------------- */

static void controller_command(struct i8042 *k, uint8_t c)
{
    if (c >= 0x20 && c <= 0x3f) {                   /* read controller RAM */
        ctrl_reply(k, c == 0x20 ? k->command_byte : 0);
        return;
    }
    if (c >= 0x60 && c <= 0x7f) {                   /* write controller RAM */
        k->pending_cmd = c;
        return;
    }
    if (c >= 0xf0) {                                /* pulse output lines low */
        if (!(c & 0x01) && k->reset)
            k->reset(k->reset_opaque);
        return;
    }
    switch (c) {
    case 0xa7: k->command_byte |= CB_AUX_OFF; break;
    case 0xa8: k->command_byte &= ~CB_AUX_OFF; break;
    case 0xa9: ctrl_reply(k, 0x00); break;          /* aux interface test: OK */
    case 0xaa:                                      /* self-test */
        k->status |= ST_SYS;
        ctrl_reply(k, 0x55);
        break;
    case 0xab: ctrl_reply(k, 0x00); break;          /* keyboard interface test: OK */
    case 0xad: k->command_byte |= CB_KBD_OFF; break;
    case 0xae: k->command_byte &= ~CB_KBD_OFF; break;
    case 0xc0: ctrl_reply(k, 0x80); break;          /* input port: keyboard not inhibited */
    case 0xd0: ctrl_reply(k, k->output_port); break;
    case 0xd1: case 0xd2: case 0xd3: case 0xd4:
        k->pending_cmd = c;
        break;
    case 0xdd: write_output_port(k, k->output_port & ~OP_A20); break;
    case 0xdf: write_output_port(k, k->output_port | OP_A20); break;
    default: break;
    }
    refill(k);
}

static void data_write(struct i8042 *k, uint8_t v)
{
    uint8_t cmd = k->pending_cmd;
    k->pending_cmd = 0;
    switch (cmd) {
    case 0x60:
        k->command_byte = v;
        if (v & CB_SYS)
            k->status |= ST_SYS;
        else
            k->status &= ~ST_SYS;
        break;
    case 0xd1:
        write_output_port(k, v);
        break;
    case 0xd2:
        kbd_reply(k, v);
        break;
    case 0xd3:
        aux_reply(k, v);
        break;
    case 0xd4:
        aux_write(k, v);
        break;
    case 0:
        /* A byte for the keyboard enables its interface. */
        k->command_byte &= ~CB_KBD_OFF;
        kbd_write(k, v);
        break;
    default:                                        /* other RAM bytes: ignored */
        break;
    }
    refill(k);
}

static uint32_t i8042_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct i8042 *k = opaque;
    if (port == 0x64)
        return k->status;
    uint8_t v = k->out_byte;
    if (k->status & ST_OBF) {
        /* The read empties the buffer and drops IRQ1/IRQ12 before the next
         * byte moves in, so each byte is a new edge for the edge-triggered
         * 8259 input (Linux's atkbd waits for the ID bytes after the ACK). */
        k->status &= ~(ST_OBF | ST_AUX_OBF);
        update_irqs(k);
        refill(k);
    }
    return v;
}

static void i8042_io_write(void *opaque, uint16_t port, uint32_t value, unsigned size)
{
    struct i8042 *k = opaque;
    if (port == 0x64) {
        k->status |= ST_CMD;
        controller_command(k, (uint8_t)value);
    } else {
        k->status &= ~ST_CMD;
        data_write(k, (uint8_t)value);
    }
}

void i8042_reset(struct i8042 *k)
{
    q_clear(&k->ctrl_out);
    q_clear(&k->kbd_out);
    q_clear(&k->aux_out);
    k->status = ST_UNLOCKED;
    k->command_byte = CB_KBD_INT | CB_AUX_INT | CB_XLATE;
    k->output_port = OP_RESET | OP_A20;
    k->pending_cmd = 0;
    k->out_byte = 0;
    k->out_is_aux = false;
    k->translate_break = false;
    k->kbd_pending_cmd = 0;
    k->kbd_leds = 0;
    kbd_defaults(k);
    k->aux_pending_cmd = 0;
    k->aux_id = 0;
    k->aux_buttons = 0;
    memset(k->aux_rate_hist, 0, sizeof(k->aux_rate_hist));
    aux_defaults(k);
    update_irqs(k);
}

int i8042_init(struct i8042 *k, struct io_bus *bus,
               void (*set_a20)(void *opaque, bool enabled), void *a20_opaque,
               void (*reset)(void *opaque), void *reset_opaque)
{
    memset(k, 0, sizeof(*k));
    k->bus = bus;
    k->set_a20 = set_a20;
    k->a20_opaque = a20_opaque;
    k->reset = reset;
    k->reset_opaque = reset_opaque;
    i8042_reset(k);
    if (io_register(bus, 0x60, 1, i8042_io_read, i8042_io_write, k) ||
        io_register(bus, 0x64, 1, i8042_io_read, i8042_io_write, k))
        return -1;
    return 0;
}

/* --- saved state (devices/vmstate.h) --- */

static const struct vms_field ps2_queue_fields[] = {
    VMS_A(struct ps2_queue, data), VMS(struct ps2_queue, head), VMS(struct ps2_queue, count),
};
static void ps2_queue_post_load(void *obj)
{
    struct ps2_queue *q = obj;      /* indices into data[]: keep them inside it */
    q->head %= PS2_QUEUE_SIZE;
    if (q->count > PS2_QUEUE_SIZE)
        q->count = PS2_QUEUE_SIZE;
}
static const struct vms_desc ps2_queue_vmstate = {
    VMS_DESC(struct ps2_queue, "ps2_queue", 1, ps2_queue_fields), .post_load = ps2_queue_post_load,
};
#define K struct i8042
static const struct vms_field i8042_fields[] = {
    VMS(K, status), VMS(K, command_byte), VMS(K, output_port), VMS(K, pending_cmd),
    VMS_S(K, ctrl_out, ps2_queue_vmstate), VMS(K, out_is_aux), VMS(K, out_byte),
    VMS(K, translate_break),
    VMS_S(K, kbd_out, ps2_queue_vmstate), VMS(K, kbd_pending_cmd), VMS(K, kbd_scanning),
    VMS(K, kbd_scancode_set), VMS(K, kbd_leds),
    VMS_S(K, aux_out, ps2_queue_vmstate), VMS(K, aux_pending_cmd), VMS(K, aux_reporting),
    VMS(K, aux_remote), VMS(K, aux_rate), VMS(K, aux_resolution), VMS(K, aux_scaling21),
    VMS(K, aux_id), VMS_A(K, aux_rate_hist), VMS(K, aux_buttons),
    VMS_W(K, bus), VMS(K, irq1), VMS(K, irq12), VMS_W(K, set_a20), VMS_W(K, a20_opaque),
    VMS_W(K, reset), VMS_W(K, reset_opaque),
};
#undef K
const struct vms_desc i8042_vmstate = { VMS_DESC(struct i8042, "i8042", 1, i8042_fields) };
