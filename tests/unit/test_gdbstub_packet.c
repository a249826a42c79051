/*
 * test_gdbstub_packet.c - the GDB stub without a socket: the packet parser
 * against good, bad, oversized and random input; framing with escapes; and
 * every packet the stub handles, with malformed arguments, huge lengths and
 * random garbage (run it under ASan: nothing may read or write out of
 * bounds, every reply must be NUL-terminated inside its buffer).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/cmdline.h"
#include "frontend/gdbstub.h"
#include "frontend/host.h"
#include "frontend/trace.h"

static uint8_t checksum(const char *s, size_t n)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + (uint8_t)s[i]);
    return sum;
}

/* Feed a string; return the last non-NONE event (or NONE). */
static enum gdb_rx_event feed(struct gdb_rx *rx, const char *s, size_t n)
{
    enum gdb_rx_event last = GDB_RX_NONE;
    for (size_t i = 0; i < n; i++) {
        enum gdb_rx_event e = gdb_rx_byte(rx, (uint8_t)s[i]);
        if (e != GDB_RX_NONE)
            last = e;
    }
    return last;
}

static enum gdb_rx_event feed_packet(struct gdb_rx *rx, const char *payload)
{
    char buf[256];
    int n = snprintf(buf, sizeof(buf), "$%s#%02x", payload,
                     checksum(payload, strlen(payload)));
    return feed(rx, buf, (size_t)n);
}

Test(gdb_rx, good_packet_acks_and_interrupt)
{
    struct gdb_rx rx;
    gdb_rx_init(&rx);
    cr_assert_eq(feed_packet(&rx, "m1000,4"), GDB_RX_PACKET);
    cr_assert_str_eq((char *)rx.buf, "m1000,4");
    cr_assert_eq(rx.len, 7);
    cr_assert_eq(gdb_rx_byte(&rx, '+'), GDB_RX_ACK);
    cr_assert_eq(gdb_rx_byte(&rx, '-'), GDB_RX_NAK);
    cr_assert_eq(gdb_rx_byte(&rx, 0x03), GDB_RX_INTERRUPT);
    cr_assert_eq(gdb_rx_byte(&rx, 'x'), GDB_RX_NONE);     /* noise is ignored */
    /* 0x03 inside a packet is data, not an interrupt */
    char pkt[] = "$a\x03#00";
    pkt[4] = "0123456789abcdef"[checksum("a\x03", 2) >> 4];
    pkt[5] = "0123456789abcdef"[checksum("a\x03", 2) & 15];
    cr_assert_eq(feed(&rx, pkt, 6), GDB_RX_PACKET);
    cr_assert_eq(rx.len, 2);
    cr_assert_eq(rx.buf[1], 0x03);
}

Test(gdb_rx, bad_checksums)
{
    struct gdb_rx rx;
    gdb_rx_init(&rx);
    char buf[64];
    snprintf(buf, sizeof(buf), "$g#%02x", (checksum("g", 1) + 1) & 0xff);
    cr_assert_eq(feed(&rx, buf, strlen(buf)), GDB_RX_BADSUM);
    cr_assert_eq(feed(&rx, "$g#zz", 5), GDB_RX_BADSUM);          /* not hex */
    cr_assert_eq(feed(&rx, "$g#6", 4), GDB_RX_NONE);             /* incomplete... */
    cr_assert_eq(gdb_rx_byte(&rx, 'Q'), GDB_RX_BADSUM);          /* ...then garbage */
    cr_assert_eq(feed_packet(&rx, "g"), GDB_RX_PACKET);          /* and it recovers */
    cr_assert_str_eq((char *)rx.buf, "g");
}

Test(gdb_rx, oversized_packet_is_refused_then_recovers)
{
    struct gdb_rx rx;
    gdb_rx_init(&rx);
    size_t n = GDB_PACKET_MAX * 3;
    char *big = malloc(n + 8);
    big[0] = '$';
    memset(big + 1, 'A', n);
    uint8_t sum = (uint8_t)('A' * n);
    snprintf(big + 1 + n, 8, "#%02x", sum);     /* a correct checksum: still too long */
    cr_assert_eq(feed(&rx, big, n + 4), GDB_RX_BADSUM);
    cr_assert_leq(rx.len, GDB_PACKET_MAX);
    free(big);
    cr_assert_eq(feed_packet(&rx, "?"), GDB_RX_PACKET);
    /* exactly the maximum is fine */
    char *max = malloc(GDB_PACKET_MAX + 8);
    max[0] = '$';
    memset(max + 1, 'B', GDB_PACKET_MAX);
    snprintf(max + 1 + GDB_PACKET_MAX, 8, "#%02x", (uint8_t)('B' * GDB_PACKET_MAX));
    cr_assert_eq(feed(&rx, max, GDB_PACKET_MAX + 4), GDB_RX_PACKET);
    cr_assert_eq(rx.len, GDB_PACKET_MAX);
    free(max);
}

Test(gdb_rx, dollar_restarts_and_escapes)
{
    struct gdb_rx rx;
    gdb_rx_init(&rx);
    /* a cut packet followed by a whole one */
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "$m12$c#%02x", checksum("c", 1));
    cr_assert_eq(feed(&rx, buf, (size_t)n), GDB_RX_PACKET);
    cr_assert_str_eq((char *)rx.buf, "c");
    /* "}" escapes the next byte: '}' 0x03 -> '#' ; the checksum covers the raw bytes */
    const char raw[] = "X}\x03Y";
    n = snprintf(buf, sizeof(buf), "$%s#%02x", raw, checksum(raw, 4));
    cr_assert_eq(feed(&rx, buf, (size_t)n), GDB_RX_PACKET);
    cr_assert_eq(rx.len, 3);
    cr_assert(!memcmp(rx.buf, "X#Y", 3));
}

Test(gdb_rx, frame_round_trip)
{
    const uint8_t payload[] = { 'a', '$', '#', '}', '*', 0, 0xff, 'z' };
    char out[64];
    size_t n = gdb_frame(payload, sizeof(payload), out, sizeof(out));
    cr_assert_gt(n, sizeof(payload) + 4);
    cr_assert_eq(out[0], '$');
    cr_assert_eq(out[n - 3], '#');
    /* no unescaped framing characters inside */
    for (size_t i = 1; i < n - 3; i++)
        cr_assert(out[i] != '$' && out[i] != '#');
    struct gdb_rx rx;
    gdb_rx_init(&rx);
    cr_assert_eq(feed(&rx, out, n), GDB_RX_PACKET);
    cr_assert_eq(rx.len, sizeof(payload));
    cr_assert(!memcmp(rx.buf, payload, sizeof(payload)));
    cr_assert_eq(gdb_frame(payload, sizeof(payload), out, 8), 0);   /* too small: refused */
}

Test(gdb_rx, random_bytes_never_break_it)
{
    struct gdb_rx rx;
    gdb_rx_init(&rx);
    srand(12345);
    for (int i = 0; i < 200000; i++) {
        gdb_rx_byte(&rx, (uint8_t)rand());
        cr_assert_leq(rx.len, GDB_PACKET_MAX);
    }
    cr_assert_eq(feed_packet(&rx, "qSupported"), GDB_RX_PACKET);
    cr_assert_str_eq((char *)rx.buf, "qSupported");
}

/* ---- packets against a machine (no socket) ---- */

static struct machine *m;
static struct gdbstub g;

static void setup(void)
{
    struct vm_options opt;
    options_default(&opt);
    opt.ram_size = 2u << 20;
    opt.clock = VM_CLOCK_DETERMINISTIC;
    opt.bios = SOFTVM_ASM_DIR "/gdb_target.bin";
    opt.serial[0].kind = VM_CHARDEV_NULL;
    opt.debugcon.kind = VM_CHARDEV_NONE;
    opt.stats = true;                  /* so that m->trace exists */
    m = calloc(1, sizeof(*m));
    cr_assert_eq(host_machine_init(m, &opt), 0);
    memset(&g, 0, sizeof(g));
    g.m = m;
    g.fd = g.listen_fd = -1;
    m->trace->gdb = &g;
}

static void teardown(void)
{
    m->trace->gdb = NULL;
    machine_destroy(m);
    free(m);
}

static char reply[2 * GDB_PACKET_MAX + 2];

static const char *ask(const char *pkt)
{
    memset(reply, 'X', sizeof(reply));
    bool answered = gdbstub_handle_packet(&g, pkt, strlen(pkt), reply, sizeof(reply));
    cr_assert(answered, "'%s' got no reply", pkt);
    cr_assert(memchr(reply, '\0', sizeof(reply)), "reply to '%s' not terminated", pkt);
    return reply;
}

TestSuite(gdb_packets, .init = setup, .fini = teardown);

Test(gdb_packets, registers)
{
    m->cpu.regs[R_EAX] = 0x12345678;
    m->cpu.rip = 0xabcd;
    cr_assert_str_eq(ask("p0"), "78563412");
    cr_assert_str_eq(ask("p8"), "cdab0000");
    cr_assert_str_eq(ask("P1=efbeadde"), "OK");
    cr_assert_eq(m->cpu.regs[R_ECX], 0xdeadbeef);
    cr_assert_str_eq(ask("P1=efbead"), "E01");              /* too short */
    cr_assert_str_eq(ask("P1=efbeaddeff"), "E01");          /* too long */
    cr_assert_str_eq(ask("P1=zzzzzzzz"), "E01");
    cr_assert_str_eq(ask("P20=00000000"), "E01");           /* cr0 is read-only here */
    cr_assert_str_eq(ask("pffff"), "E01");
    cr_assert_str_eq(ask("p"), "E01");
    cr_assert_str_eq(ask("p11111111111111111"), "E01");     /* 17 digits */
    /* g: every register of the description, in order, little-endian */
    const char *all = ask("g");
    cr_assert(!strncmp(all, "78563412efbeadde", 16), "%s", all);
    size_t want = 0;
    const char *xml = gdbstub_target_xml(false);
    for (const char *p = xml; (p = strstr(p, "bitsize=\"")); p += 9)
        want += (size_t)strtoul(p + 9, NULL, 10) / 4;     /* hex digits per register */
    cr_assert_eq(strlen(all), want);
    /* G sets the general registers, EIP and EFLAGS */
    char gpkt[1 + 8 * 10 + 1] = "G";
    for (int i = 0; i < 10; i++)
        snprintf(gpkt + 1 + 8 * i, 9, "%02x000000", i + 1);
    cr_assert_str_eq(ask(gpkt), "OK");
    cr_assert_eq(m->cpu.regs[R_EDI], 8u);
    cr_assert_eq(m->cpu.rip, 9u);
    cr_assert_str_eq(ask("G1234"), "E01");
}

Test(gdb_packets, memory)
{
    cr_assert_str_eq(ask("M1000,4:11223344"), "OK");
    cr_assert_str_eq(ask("m1000,4"), "11223344");
    cr_assert_str_eq(ask("M1000,4:1122"), "E01");           /* data shorter than the length */
    cr_assert_str_eq(ask("M1000,2:11223344"), "E01");       /* longer */
    cr_assert_str_eq(ask("M1000,ffffffffffff:00"), "E01");  /* huge length */
    cr_assert_str_eq(ask("M1000,1:zz"), "E01");
    cr_assert_str_eq(ask("m1000"), "E01");
    cr_assert_str_eq(ask("m,4"), "E01");
    cr_assert_str_eq(ask("m100000000,4"), "E01");           /* beyond 32 bits */
    cr_assert_str_eq(ask("m80000000,4"), "E0e");            /* no memory there */
    cr_assert_str_eq(ask("M80000000,1:00"), "E0e");
    cr_assert_str_eq(ask("Mffff0,1:00"), "E0e");            /* ROM is not writable */
    /* the ROM reads back as the image (the reset vector's far JMP) */
    cr_assert_str_eq(ask("mffff0,1"), "ea");
    /* a huge read is cut to what fits, never overflows */
    const char *r = ask("m0,ffffffffffff");
    cr_assert_eq(strlen(r), sizeof(reply) - 2);
    /* a read running off the end of RAM returns the part that exists */
    r = ask("m1ffffe,4");
    cr_assert_eq(strlen(r), 4);
}

Test(gdb_packets, breakpoints_and_watchpoints)
{
    cr_assert_str_eq(ask("Z0,f003b,1"), "OK");
    cr_assert_eq(g.n_bp, 1);
    cr_assert(m->cpu.trace_flags & TRACE_HOOK_INSN);
    cr_assert_str_eq(ask("Z0,f003b,1"), "OK");              /* idempotent */
    cr_assert_eq(g.n_bp, 1);
    cr_assert_str_eq(ask("z0,f003b,1"), "OK");
    cr_assert_eq(g.n_bp, 0);
    cr_assert_not(m->cpu.trace_flags & TRACE_HOOK_INSN);
    cr_assert_str_eq(ask("z0,f003b,1"), "E22");             /* not there */
    cr_assert_str_eq(ask("Z2,1000,4"), "OK");
    cr_assert(m->cpu.tlb.force_slow);
    cr_assert(m->cpu.trace_flags & TRACE_HOOK_MEM);
    cr_assert_str_eq(ask("Z3,1000,0"), "E22");              /* zero length */
    cr_assert_str_eq(ask("z2,1000,4"), "OK");
    cr_assert_not(m->cpu.tlb.force_slow);
    cr_assert_str_eq(ask("Z5,1000,4"), "E01");
    cr_assert_str_eq(ask("Z0,zz,1"), "E01");
    cr_assert_str_eq(ask("Z0"), "E01");
    for (int i = 0; i < GDB_MAX_BREAKPOINTS; i++) {
        char pkt[32];
        snprintf(pkt, sizeof(pkt), "Z1,%x,1", 0x100 + i);
        cr_assert_str_eq(ask(pkt), "OK");
    }
    cr_assert_str_eq(ask("Z1,5000,1"), "E22");              /* table full */
}

Test(gdb_packets, breakpoint_stops_the_cpu_before_the_instruction)
{
    cr_assert_str_eq(ask("Z0,f003b,1"), "OK");
    cr_assert_eq(cpu_exec(&m->cpu, 1000), CPU_EXIT_REQUEST);
    cr_assert_eq(m->cpu.seg[SEG_CS].base + m->cpu.rip, 0xf003bu);
    cr_assert_eq(g.stop_reason, GDB_STOP_BREAK);
    cr_assert_str_eq(ask("?"), "T05hwbreak:;thread:01;");
    /* resuming there runs it, and the loop comes back to it */
    uint64_t before = m->cpu.icount;
    cr_assert_not(gdbstub_handle_packet(&g, "c", 1, reply, sizeof(reply)));
    cr_assert_eq(cpu_exec(&m->cpu, 1000), CPU_EXIT_REQUEST);
    cr_assert_eq(m->cpu.seg[SEG_CS].base + m->cpu.rip, 0xf003bu);
    cr_assert_eq(m->cpu.icount - before, 4, "one pass of the 4-instruction loop");
}

Test(gdb_packets, watchpoint_stops_after_the_write)
{
    cr_assert_str_eq(ask("Z2,1000,4"), "OK");
    cr_assert_eq(cpu_exec(&m->cpu, 1000), CPU_EXIT_REQUEST);
    cr_assert_eq(g.stop_reason, GDB_STOP_WATCH);
    cr_assert_str_eq(ask("?"), "T05watch:00001000;thread:01;");
    cr_assert_str_eq(ask("m1000,4"), "00000000");           /* mov dword [COUNTER], 0 ran */
    cr_assert_not(gdbstub_handle_packet(&g, "c", 1, reply, sizeof(reply)));
    cr_assert_eq(cpu_exec(&m->cpu, 1000), CPU_EXIT_REQUEST);
    cr_assert_str_eq(ask("m1000,4"), "05000000");           /* the first sum: LOOPS */
    cr_assert_str_eq(ask("z2,1000,4"), "OK");
    cr_assert_str_eq(ask("Z3,1000,4"), "OK");               /* reads: none in the program */
    cr_assert_not(gdbstub_handle_packet(&g, "c", 1, reply, sizeof(reply)));
    cpu_exec(&m->cpu, 1000);
    cr_assert_eq(g.stop_reason, GDB_STOP_NONE, "no read of 0x1000: no stop");
    cr_assert(m->stop, "the program ran to its exit port");
}

Test(gdb_packets, queries)
{
    cr_assert(strstr(ask("qSupported:multiprocess+;swbreak+"), "PacketSize=1000"));
    cr_assert(strstr(reply, "qXfer:features:read+"));
    const char *xml = gdbstub_target_xml(false);
    const char *r = ask("qXfer:features:read:target.xml:0,10");
    cr_assert_eq(r[0], 'm');
    cr_assert(!strncmp(r + 1, xml, 16));
    cr_assert_eq(strlen(r), 17);
    char pkt[64];
    snprintf(pkt, sizeof(pkt), "qXfer:features:read:target.xml:%zx,1000", strlen(xml) - 3);
    r = ask(pkt);
    cr_assert_eq(r[0], 'l');
    cr_assert_str_eq(r + 1, "et>");
    snprintf(pkt, sizeof(pkt), "qXfer:features:read:target.xml:%zx,10", strlen(xml) + 5);
    cr_assert_str_eq(ask(pkt), "l");
    cr_assert_str_eq(ask("qXfer:features:read:other.xml:0,10"), "E00");
    cr_assert_str_eq(ask("qXfer:features:read:target.xml:0"), "E00");
    cr_assert_str_eq(ask("qXfer:features:read:target.xml:,"), "E00");
    cr_assert_str_eq(ask("qAttached"), "1");
    cr_assert_str_eq(ask("vMustReplyEmpty"), "");
    cr_assert_str_eq(ask("Hg0"), "OK");
    cr_assert(strstr(xml, "<architecture>i386</architecture>"));
    cr_assert(strstr(xml, "name=\"cr3\""));
    cr_assert(strstr(xml, "name=\"cs_base\""));
}

Test(gdb_packets, random_packets_never_crash)
{
    srand(777);
    static const char letters[] = "?gGpPmMzZcsDHTqQvX";
    char pkt[600];
    for (int i = 0; i < 20000; i++) {
        size_t n = 1 + (size_t)rand() % (sizeof(pkt) - 2);
        pkt[0] = letters[rand() % (int)(sizeof(letters) - 1)];
        for (size_t k = 1; k < n; k++) {
            static const char alpha[] = "0123456789abcdefABCDEF,:=;xyz-";
            pkt[k] = alpha[rand() % (int)(sizeof(alpha) - 1)];
        }
        pkt[n] = '\0';
        if (pkt[0] == 'c' || pkt[0] == 's' || pkt[0] == 'k' || pkt[0] == 'D')
            pkt[0] = 'm';        /* keep the stub stopped and attached */
        memset(reply, 'X', sizeof(reply));
        gdbstub_handle_packet(&g, pkt, n, reply, sizeof(reply));
        cr_assert(memchr(reply, '\0', sizeof(reply)));
    }
}

/* The description GDB reads follows the mode: x86-64 in IA-32e mode, with
 * 64-bit registers in GDB's amd64 order; the g/G/p/P layout stays the one
 * GDB read, so a mode change under it never changes the 'g' size, and a
 * new read after it gives the i386 one again. */
static size_t xml_hex_digits(const char *xml)
{
    size_t want = 0;
    for (const char *p = xml; (p = strstr(p, "bitsize=\"")); p += 9)
        want += (size_t)strtoul(p + 9, NULL, 10) / 4;
    return want;
}

Test(gdb_packets, x86_64_description_in_long_mode)
{
    m->cpu.efer |= EFER_LME | EFER_LMA;
    m->cpu.regs[R_EBX] = 0x1122334455667788ull;
    m->cpu.regs[R_R8] = 0x0102030405060708ull;
    m->cpu.rip = 0xffffffff81000000ull;
    const char *r = ask("qXfer:features:read:target.xml:0,800");
    cr_assert_eq(r[0], 'm');
    cr_assert(strstr(r, "<architecture>i386:x86-64</architecture>"), "%s", r);
    cr_assert_str_eq(ask("p1"), "8877665544332211");        /* rbx is 1 in amd64 order */
    cr_assert_str_eq(ask("p8"), "0807060504030201");        /* r8 */
    cr_assert_str_eq(ask("p10"), "00000081ffffffff");       /* rip */
    cr_assert_str_eq(ask("P8=1111111111111111"), "OK");
    cr_assert_eq(m->cpu.regs[R_R8], 0x1111111111111111ull);
    size_t want64 = xml_hex_digits(gdbstub_target_xml(true));
    cr_assert_eq(strlen(ask("g")), want64);
    /* the guest leaves long mode: the layout GDB has stays */
    m->cpu.efer = 0;
    cr_assert_eq(strlen(ask("g")), want64);
    /* a new read of the description gives i386 and its layout */
    r = ask("qXfer:features:read:target.xml:0,200");
    cr_assert(strstr(r, "<architecture>i386</architecture>"), "%s", r);
    cr_assert_eq(strlen(ask("g")), xml_hex_digits(gdbstub_target_xml(false)));
    cr_assert_str_eq(ask("p8"), "00000081");                /* eip again: the low half */
}
