/*
 * test_vmstate.c - the state descriptions (devices/vmstate.h): the tables
 * of struct machine cover every byte (so a device added without one fails
 * here), the check catches a forgotten member, a machine saved mid-run and
 * loaded into a fresh one is equal to it and finishes the same way (output,
 * exit status, state hash), and bad blobs are refused by name: truncated,
 * another layout or version, another configuration, an impossible bool.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "devices/machine/machine.h"
#include "devices/machine/machine_state.h"
#include "frontend/cmdline.h"
#include "memory/memory.h"

#define ACTIONS SOFTVM_ASM_DIR "/multiboot_actions.bin"

Test(vmstate, machine_tables_cover_every_byte)
{
    char err[256] = "";
    cr_assert_eq(vms_check(&machine_vmstate, err, sizeof(err)), 0, "%s", err);
}

/* The check itself: a member left out of a table, in the middle or at the
 * end, is found and named by its bytes. */
struct toy {
    uint32_t a;
    uint64_t forgotten;
    uint64_t b;
};
static const struct vms_field toy_gap_fields[] = { VMS(struct toy, a), VMS(struct toy, b) };
static const struct vms_desc toy_gap = { VMS_DESC(struct toy, "toy", 1, toy_gap_fields) };
static const struct vms_field toy_tail_fields[] = { VMS(struct toy, a), VMS(struct toy, forgotten) };
static const struct vms_desc toy_tail = { VMS_DESC(struct toy, "toy", 1, toy_tail_fields) };
static const struct vms_field toy_order_fields[] = {
    VMS(struct toy, forgotten), VMS(struct toy, a), VMS(struct toy, b),
};
static const struct vms_desc toy_order = { VMS_DESC(struct toy, "toy", 1, toy_order_fields) };
/* A board that gained a device nobody described. */
struct toy_board {
    struct toy t;
    struct { uint8_t regs[12]; } new_device;
    bool flag;
};
static const struct vms_field toy_full_fields[] = {
    VMS(struct toy, a), VMS(struct toy, forgotten), VMS(struct toy, b),
};
static const struct vms_desc toy_full = { VMS_DESC(struct toy, "toy", 1, toy_full_fields) };
static const struct vms_field toy_board_fields[] = {
    VMS_S(struct toy_board, t, toy_full), VMS(struct toy_board, flag),
};
static const struct vms_desc toy_board = {
    VMS_DESC(struct toy_board, "toy_board", 1, toy_board_fields)
};

Test(vmstate, check_finds_a_forgotten_member)
{
    char err[256];
    cr_assert_eq(vms_check(&toy_gap, err, sizeof(err)), -1);
    cr_assert(strstr(err, "bytes 4..15"), "%s", err);
    cr_assert_eq(vms_check(&toy_tail, err, sizeof(err)), -1);
    cr_assert(strstr(err, "bytes 16..23"), "%s", err);
    cr_assert_eq(vms_check(&toy_order, err, sizeof(err)), -1);
    cr_assert_eq(vms_check(&toy_board, err, sizeof(err)), -1);
    cr_assert(strstr(err, "toy_board: bytes 24..35"), "%s", err);
    cr_assert_eq(vms_check(&toy_full, err, sizeof(err)), 0, "%s", err);
}

/* Versions: a v2 table with a field added in v2 loads a v1 blob (the new
 * field keeps its value); a v1 table refuses a v2 blob. Bools load 0/1 only. */
struct toyv {
    uint32_t a;
    bool on;
    uint16_t added;
};
static const struct vms_field toyv1_fields[] = { VMS(struct toyv, a), VMS(struct toyv, on), VMS_W(struct toyv, added) };
static const struct vms_desc toyv1 = { VMS_DESC(struct toyv, "toyv", 1, toyv1_fields) };
static const struct vms_field toyv2_fields[] = {
    VMS(struct toyv, a), VMS(struct toyv, on), VMS_V(struct toyv, added, 2),
};
static const struct vms_desc toyv2 = { VMS_DESC(struct toyv, "toyv", 2, toyv2_fields) };

Test(vmstate, versions_and_bools)
{
    char err[256];
    struct toyv s = { .a = 0x11223344, .on = true, .added = 5 }, d = { .added = 77 };
    struct vms_buf b = { 0 };
    cr_assert_eq(vms_save(&toyv1, &s, &b, err, sizeof(err)), 0);
    cr_assert_eq(b.len, 10 + 4 + 1);               /* header, a, on */
    cr_assert_eq(b.data[10], 0x44);                 /* little-endian */
    cr_assert_eq(vms_load(&toyv2, &d, b.data, b.len, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(d.a, 0x11223344);
    cr_assert(d.on);
    cr_assert_eq(d.added, 77);
    vms_buf_free(&b);

    cr_assert_eq(vms_save(&toyv2, &s, &b, err, sizeof(err)), 0);
    cr_assert_eq(vms_load(&toyv1, &d, b.data, b.len, err, sizeof(err)), -1);
    cr_assert(strstr(err, "version 2 is not one this build reads"), "%s", err);
    b.data[14] = 2;                                 /* on = 2 */
    cr_assert_eq(vms_load(&toyv2, &d, b.data, b.len, err, sizeof(err)), -1);
    cr_assert(strstr(err, "on: saved bool is 2"), "%s", err);
    b.data[2] ^= 1;                                 /* the layout hash */
    cr_assert_eq(vms_load(&toyv2, &d, b.data, b.len, err, sizeof(err)), -1);
    cr_assert(strstr(err, "another field layout"), "%s", err);
    vms_buf_free(&b);
}

struct capture {
    char buf[1024];
    size_t len;
};

static void capture_byte(void *opaque, uint8_t byte)
{
    struct capture *c = opaque;
    if (c->len + 1 < sizeof(c->buf))
        c->buf[c->len++] = (char)byte;
}

static struct machine *action_machine(const char *word, uint64_t ram, struct capture *out)
{
    struct vm_options opt;
    options_default(&opt);
    opt.ram_size = ram;
    opt.clock = VM_CLOCK_DETERMINISTIC;
    opt.rtc_base = VM_RTC_FIXED;            /* the one host input: fixed */
    opt.rtc_start = 1700000000;
    opt.kernel = ACTIONS;
    opt.append = word;
    opt.no_reboot = true;
    opt.serial[0].kind = VM_CHARDEV_CALLBACK;
    opt.serial[0].write = capture_byte;
    opt.serial[0].opaque = out;
    struct machine *m = calloc(1, sizeof(*m));
    cr_assert_eq(machine_init(m, &opt), 0);
    return m;
}

/* Save the described state and copy the RAM: what a snapshot carries. */
static int transfer(struct machine *from, struct machine *to, char *err, size_t errlen)
{
    struct vms_buf b = { 0 };
    cr_assert_eq(vms_save(&machine_vmstate, from, &b, err, errlen), 0, "%s", err);
    int rc = vms_load(&machine_vmstate, to, b.data, b.len, err, errlen);
    if (rc == 0) {
        uint64_t n1, n2;
        uint8_t *r1 = phys_mem_ram(from->mem, &n1), *r2 = phys_mem_ram(to->mem, &n2);
        cr_assert_eq(n1, n2);
        memcpy(r2, r1, n1);
    }
    vms_buf_free(&b);
    return rc;
}

/* The timer action arms PIT channel 0 and halts; IRQ0 wakes it, it prints
 * "tick" and exits with status 19 (isa-debug-exit: 9 << 1 | 1). Saved with the timer pending, the copy wakes at the
 * same instruction and ends in the same state. */
Test(vmstate, mid_run_copy_finishes_identically)
{
    struct capture out_a = { 0 }, out_b = { 0 };
    struct machine *a = action_machine("timer", 8u << 20, &out_a);
    struct machine *b = action_machine("timer", 8u << 20, &out_b);
    /* Run A until the PIT timer is armed and the CPU is halted waiting. */
    uint64_t slices = 0;
    while (!a->stop && !a->cpu.halted && slices < 100000) {
        machine_slice(a);
        slices++;
    }
    cr_assert(!a->stop && a->cpu.halted, "the timer action did not reach its HLT");
    cr_assert(vclock_next_deadline(&a->clock) != VCLOCK_NEVER);
    size_t before = out_a.len;
    char err[256] = "", path[256] = "";
    cr_assert_eq(transfer(a, b, err, sizeof(err)), 0, "%s", err);
    cr_assert(vms_equal(&machine_vmstate, a, b, path, sizeof(path)), "differs at %s", path);
    cr_assert_eq(machine_state_hash(a), machine_state_hash(b));

    cr_assert(machine_run_slices(a, 100000));
    cr_assert(machine_run_slices(b, 100000));
    cr_assert_eq(a->exit_status, 19, "status %d, out '%.*s'", a->exit_status, (int)out_a.len, out_a.buf);
    cr_assert_eq(b->exit_status, 19);
    cr_assert_eq(out_b.len, out_a.len - before, "A: '%.*s' B: '%.*s'", (int)out_a.len,
                 out_a.buf, (int)out_b.len, out_b.buf);
    cr_assert_eq(memcmp(out_b.buf, out_a.buf + before, out_b.len), 0);
    cr_assert(strstr(out_a.buf, "tick"));
    cr_assert_eq(a->cpu.icount, b->cpu.icount);
    cr_assert(vms_equal(&machine_vmstate, a, b, path, sizeof(path)), "differs at %s", path);
    cr_assert_eq(machine_state_hash(a), machine_state_hash(b));

    /* A difference is found and named. */
    b->dev.pit.ch[2].reload ^= 1;
    cr_assert_not(vms_equal(&machine_vmstate, a, b, path, sizeof(path)));
    cr_assert_str_eq(path, "dev.pit.ch[2].reload");
    cr_assert_neq(machine_state_hash(a), machine_state_hash(b));
    machine_destroy(a);
    machine_destroy(b);
    free(a);
    free(b);
}

Test(vmstate, refuses_bad_blobs_by_name)
{
    struct capture out_a = { 0 }, out_b = { 0 };
    struct machine *a = action_machine("timer", 8u << 20, &out_a);
    struct machine *b = action_machine("timer", 16u << 20, &out_b);
    char err[256] = "";
    struct vms_buf blob = { 0 };
    cr_assert_eq(vms_save(&machine_vmstate, a, &blob, err, sizeof(err)), 0);
    uint64_t hash_b = machine_state_hash(b);

    /* Another RAM size: another machine. */
    cr_assert_eq(vms_load(&machine_vmstate, b, blob.data, blob.len, err, sizeof(err)), -1);
    cr_assert(strstr(err, "mem.ram_size: the snapshot is of a differently configured machine"),
              "%s", err);
    /* Truncated anywhere, or with bytes after it. */
    cr_assert_eq(vms_load(&machine_vmstate, a, blob.data, blob.len / 2, err, sizeof(err)), -1);
    cr_assert(strstr(err, "truncated"), "%s", err);
    uint8_t *longer = malloc(blob.len + 1);
    memcpy(longer, blob.data, blob.len);
    longer[blob.len] = 0;
    cr_assert_eq(vms_load(&machine_vmstate, a, longer, blob.len + 1, err, sizeof(err)), -1);
    cr_assert(strstr(err, "1 bytes follow"), "%s", err);
    free(longer);
    /* A version from the future at the top. */
    blob.data[0] = 0x7f;
    cr_assert_eq(vms_load(&machine_vmstate, a, blob.data, blob.len, err, sizeof(err)), -1);
    cr_assert(strstr(err, "machine state version 127"), "%s", err);
    /* Refused loads leave the target untouched. */
    cr_assert_eq(machine_state_hash(b), hash_b);
    vms_buf_free(&blob);
    machine_destroy(a);
    machine_destroy(b);
    free(a);
    free(b);
}

/* Slice boundaries are invisible (docs/DETERMINISM.md, rule 3): a run cut
 * into one-instruction slices for a stretch, and hashed (pre_save) in the
 * middle, ends in the same state as a run that never was. */
static uint64_t cut_at;
static uint64_t cut_budget(struct machine *m, uint64_t budget)
{
    if (m->cpu.icount < cut_at && budget > cut_at - m->cpu.icount)
        return cut_at - m->cpu.icount;
    if (m->cpu.icount >= cut_at && m->cpu.icount < cut_at + 50)
        return 1;
    return budget;
}
static void cut_after(struct machine *m)
{
    if (m->cpu.icount == cut_at)
        (void)machine_state_hash(m);
}
static const struct machine_host_ops cut_ops = { .before_slice = cut_budget, .after_slice = cut_after };

Test(vmstate, slice_cuts_and_hashing_are_invisible)
{
    for (cut_at = 60; cut_at < 300; cut_at += 37) {
        struct capture out_a = { 0 }, out_b = { 0 };
        struct machine *a = action_machine("timer", 8u << 20, &out_a);
        struct machine *b = action_machine("timer", 8u << 20, &out_b);
        b->host_ops = &cut_ops;
        cr_assert(machine_run_slices(a, 100000));
        cr_assert(machine_run_slices(b, 100000));
        char path[256] = "";
        cr_assert(vms_equal(&machine_vmstate, a, b, path, sizeof(path)),
                  "cut at %llu: differs at %s", (unsigned long long)cut_at, path);
        cr_assert_str_eq(out_a.buf, out_b.buf);
        cr_assert_eq(a->exit_status, 19);
        machine_destroy(a);
        machine_destroy(b);
        free(a);
        free(b);
    }
}
