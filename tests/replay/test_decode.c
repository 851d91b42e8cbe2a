/* test_decode.c - the reader thread's decoder (tcpsim__rp_decode in
 * src/replay/replay.c): its straight-line path for Ethernet + IPv4 + TCP
 * against the whole path (tcpsim__rp_decode_full) on every packet of every
 * bundled capture, every prefix of them, byte flips in their headers, and
 * headers made here (VLAN tags, IPv4 options, fragments, total length 0 or
 * short, other protocols, TCP option layouts, data offsets, snapped options).
 * The decoded record must be the same byte for byte, from the same bytes
 * before (the ring is reused, so fields a decoder leaves alone must be left
 * alike). Read first: RFC 791 §3.1-3.2, RFC 9293 §3.1-3.2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bundled.h"
#include "replay/replay.h"
#include "tcpsim/wire.h"

#ifndef TCPSIM_CAPTURES_DIR
#error "TCPSIM_CAPTURES_DIR must name the bundled captures directory"
#endif

/* What the inputs reached: a test that never took the straight-line path
 * (or never left it) proves nothing, so both are counted and asserted. */
struct stats {
    unsigned long inputs, tcp_eth4, other_tcp, skipped;
};

static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/* Both decoders from the same prior bytes (two fills), compared whole. */
static void same(const char *ctx, int dlt, const uint8_t *data, size_t caplen, struct stats *st)
{
    static const uint8_t fills[] = {0x00, 0xa5, 0xff};
    for (size_t f = 0; f < sizeof fills; f++) {
        struct tcpsim_rp_pkt fast, full;
        memset(&fast, fills[f], sizeof fast);
        memset(&full, fills[f], sizeof full);
        tcpsim__rp_decode(dlt, data, caplen, &fast);
        tcpsim__rp_decode_full(dlt, data, caplen, &full);
        const uint8_t *a = (const uint8_t *)&fast, *b = (const uint8_t *)&full;
        for (size_t i = 0; i < sizeof fast; i++)
            if (a[i] != b[i])
                fail_msg("%s (dlt %d, %zu bytes, fill 0x%02x): decoded record differs at byte %zu of %zu "
                         "(kind %u/%u, seglen %u/%u, hash %08x/%08x): fast 0x%02x, full 0x%02x",
                         ctx, dlt, caplen, fills[f], i, sizeof fast, fast.kind, full.kind, fast.seglen, full.seglen,
                         fast.hash, full.hash, a[i], b[i]);
        if (f == 0) {
            st->inputs++;
            if (full.kind != TCPSIM_RP_K_TCP)
                st->skipped++;
            else if (dlt == TCPSIM_DLT_EN10MB && caplen >= 14 && data[12] == 0x08 && data[13] == 0x00 &&
                     (data[14] >> 4) == 4)
                st->tcp_eth4++;
            else
                st->other_tcp++;
        }
    }
}

/* The packet, every prefix of it, and flips of single bytes in its first
 * `span` bytes (each byte gets a few different values). */
static void variants(const char *ctx, int dlt, const uint8_t *data, size_t len, size_t span, uint32_t *seed,
                     struct stats *st)
{
    same(ctx, dlt, data, len, st);
    for (size_t n = 0; n < len && n <= span; n++)
        same(ctx, dlt, data, n, st);
    uint8_t buf[2048];
    size_t n = len < sizeof buf ? len : sizeof buf;
    memcpy(buf, data, n);
    for (size_t i = 0; i < n && i < span; i++) {
        uint8_t keep = buf[i];
        for (int k = 0; k < 3; k++) {
            buf[i] = (uint8_t)(keep ^ (uint8_t)(1u + rnd(seed) % 255u));
            same(ctx, dlt, buf, n, st);
        }
        buf[i] = keep;
    }
}

struct walk {
    struct stats st;
    uint32_t seed;
};

static void one_packet(const char *name, int dlt, const uint8_t *data, size_t caplen, void *ctx)
{
    struct walk *w = ctx;
    variants(name, dlt, data, caplen, 80, &w->seed, &w->st);
    /* The same bytes under the other link types (the dispatch on dlt). */
    same(name, TCPSIM_DLT_RAW, data, caplen, &w->st);
    same(name, TCPSIM_DLT_LINUX_SLL, data, caplen, &w->st);
}

static void test_decode_captures_every_packet_expect_same_as_full(void **state)
{
    (void)state;
    struct walk w = {{0}, 0x2545f491u};
    unsigned long packets = 0;
    unsigned files = bundled_each_packet(TCPSIM_CAPTURES_DIR, one_packet, &w, &packets);
    const struct stats st = w.st;
    assert_true(files >= 19);
    assert_true(st.tcp_eth4 > 1000);
    assert_true(st.other_tcp > 100);
    assert_true(st.skipped > 1000);
}

/* Ethernet + IPv4 + TCP made here: the header fields the straight-line path
 * tests or reads, each at its edges. */
static size_t make(uint8_t *b, uint16_t ethertype, uint8_t ihl, bool total_zero, uint16_t frag, uint8_t proto,
                   const uint8_t *opts, size_t optlen, uint8_t doff_adj, size_t payload)
{
    memset(b, 0, 14);
    b[12] = (uint8_t)(ethertype >> 8);
    b[13] = (uint8_t)ethertype;
    uint8_t *ip = b + 14;
    size_t hlen = (size_t)ihl * 4;
    memset(ip, 0, hlen < 20 ? 20 : hlen);
    ip[0] = (uint8_t)(0x40 | ihl);
    size_t tcplen = 20 + optlen;
    size_t total = hlen + tcplen + payload;
    uint16_t tv = total_zero ? 0 : (uint16_t)total;
    ip[2] = (uint8_t)(tv >> 8);
    ip[3] = (uint8_t)tv;
    ip[6] = (uint8_t)(frag >> 8);
    ip[7] = (uint8_t)frag;
    ip[8] = 64;
    ip[9] = proto;
    const uint8_t a[8] = {10, 0, 0, 1, 192, 168, 7, 200};
    memcpy(ip + 12, a, 8);
    uint8_t *t = ip + (hlen < 20 ? 20 : hlen);
    memset(t, 0, 20);
    t[0] = 0xc3;
    t[1] = 0x50;
    t[2] = 0x01;
    t[3] = 0xbb;
    t[4] = 0x12;
    t[7] = 0x9a;
    t[11] = 0x07;
    t[12] = (uint8_t)(((5u + optlen / 4u - doff_adj) & 0x0fu) << 4);
    t[13] = 0x18;
    t[14] = 0xff;
    if (optlen) /* NULL with no options */
        memcpy(t + 20, opts, optlen);
    for (size_t i = 0; i < payload; i++)
        t[20 + optlen + i] = (uint8_t)(i * 7u);
    return 14 + (hlen < 20 ? 20 : hlen) + tcplen + payload;
}

static void test_decode_made_headers_expect_same_as_full(void **state)
{
    (void)state;
    struct stats st = {0};
    uint32_t seed = 0x9e3779b9u;
    static const uint8_t nop_nop_ts[] = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
    static const uint8_t linux_syn[] = {2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0, 1, 3, 3, 7};
    static const uint8_t sack[] = {1, 1, 5, 10, 0, 0, 1, 0, 0, 0, 2, 0};
    static const uint8_t odd[] = {1, 1, 99, 6, 1, 2, 3, 4, 0, 0, 0, 0};
    static const uint8_t bad[] = {2, 3, 5, 0, 1, 1, 1, 1};
    static const uint8_t eol[] = {0, 0, 0, 0};
    const struct {
        const uint8_t *p;
        size_t n;
    } optsets[] = {{NULL, 0}, {nop_nop_ts, 12}, {linux_syn, 20}, {sack, 12}, {odd, 12}, {bad, 8}, {eol, 4}};
    static const uint16_t ets[] = {0x0800, 0x86dd, 0x8100, 0x0806, 0x0801};
    static const uint8_t ihls[] = {5, 6, 15, 4, 0};
    static const uint16_t frags[] = {0, 0x4000, 0x2000, 0x0001, 0x1fff, 0x8000};
    static const uint8_t protos[] = {6, 17, 1};
    static const size_t payloads[] = {0, 1, 100};
    uint8_t b[512];
    char ctx[160];
    for (size_t e = 0; e < sizeof ets / sizeof ets[0]; e++)
        for (size_t ih = 0; ih < sizeof ihls; ih++)
            for (size_t f = 0; f < sizeof frags / sizeof frags[0]; f++)
                for (size_t pr = 0; pr < sizeof protos; pr++)
                    for (size_t o = 0; o < sizeof optsets / sizeof optsets[0]; o++)
                        for (size_t pl = 0; pl < sizeof payloads / sizeof payloads[0]; pl++)
                            for (int tv = 0; tv < 5; tv++)
                                for (uint8_t da = 0; da < 3; da++) {
                                    /* total length: exact, 0 (offload), shorter than the
                                     * headers, 40 short (payload cut), 10 long (snapped). */
                                    static const int adj[] = {0, 0, 1000, 40, -10};
                                    int a = adj[tv];
                                    size_t n = make(b, ets[e], ihls[ih], tv == 1, frags[f], protos[pr], optsets[o].p,
                                                    optsets[o].n, da, payloads[pl]);
                                    size_t hl = (size_t)(ihls[ih] < 5 ? 5 : ihls[ih]) * 4;
                                    long total = (long)(n - 14) - a;
                                    if (tv != 1) {
                                        if (total < 0)
                                            total = (long)hl - 1;
                                        b[16] = (uint8_t)((unsigned long)total >> 8);
                                        b[17] = (uint8_t)total;
                                    }
                                    snprintf(ctx, sizeof ctx,
                                             "et %04x ihl %u frag %04x proto %u opts %zu pl %zu tv %d da %u", ets[e],
                                             ihls[ih], frags[f], protos[pr], o, payloads[pl], tv, da);
                                    same(ctx, TCPSIM_DLT_EN10MB, b, n, &st);
                                    /* every cut through the headers (snapped options, A5,
                                     * among them), on IPv4 TCP in every layout */
                                    if (e == 0 && pr == 0 && f < 2)
                                        for (size_t cut = 0; cut < n && cut < 14 + hl + 44; cut++)
                                            same(ctx, TCPSIM_DLT_EN10MB, b, cut, &st);
                                }
    /* A few random headers on top. */
    for (int i = 0; i < 20000; i++) {
        size_t n = make(b, 0x0800, 5, false, 0, 6, nop_nop_ts, 12, 0, 40);
        for (int k = 0; k < 4; k++)
            b[rnd(&seed) % 80] = (uint8_t)rnd(&seed);
        snprintf(ctx, sizeof ctx, "random %d", i);
        same(ctx, TCPSIM_DLT_EN10MB, b, n, &st);
    }
    assert_true(st.tcp_eth4 > 1000);
    assert_true(st.skipped > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_captures_every_packet_expect_same_as_full),
        cmocka_unit_test(test_decode_made_headers_expect_same_as_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
