/* test_replay_hot.c - the replayer's per-packet bookkeeping around the model:
 * the connections still held at the end of the input leave in order of their
 * number (tcp.stream), whatever slots they were given (tcpsim_replay_finish's
 * radix sort), on thousands of connections whose numbers need more than one
 * pass of the sort; the endpoint labels written by hand against printf, on
 * every port number; a connection's output the same whatever its slot held
 * before (tcpsim__flow_alloc leaves the observer's saved segments uncleared).
 * Read first: src/replay/replay.c (tcpsim_replay_finish,
 * endpoint_label), RFC 9293 §3.5 (a RST ends a connection). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pcapgen.h"
#include "replay/replay_priv.h"
#include "replayrun.h"

#define NFIRST  5000u /* connections opened first (numbers 0..4999) */
#define NSECOND 3000u /* opened after a third of the first have left */

struct seen {
    uint32_t n;
    uint32_t id[NFIRST + NSECOND];
    enum tcpsim_rp_leave why[NFIRST + NSECOND];
};

static void on_conn(void *ctx, const struct tcpsim_rp_conn *c, enum tcpsim_rp_leave why)
{
    struct seen *s = ctx;
    assert_true(s->n < NFIRST + NSECOND);
    s->id[s->n] = c->id;
    s->why[s->n] = why;
    s->n++;
}

static uint64_t frame_no;

/* One Ethernet/IPv4/TCP packet from client i to the server, or back. */
static void packet(struct tcpsim_replay *rp, tcpsim_ns_t t, uint32_t i, uint8_t flags, bool to_client)
{
    char cl[32];
    snprintf(cl, sizeof cl, "10.%u.%u.%u", 1 + i / 62500, i / 250 % 250, 1 + i % 250);
    uint8_t buf[256];
    size_t n = to_client ? pg_build(DLT_EN10MB, buf, sizeof buf, "10.200.0.1", 80, cl, (uint16_t)(20000 + i % 40000),
                                    flags, 7000u + i, 1001u + i, 65535, 0, NULL, (uint16_t)i)
                         : pg_build(DLT_EN10MB, buf, sizeof buf, cl, (uint16_t)(20000 + i % 40000), "10.200.0.1", 80,
                                    flags, 1000u + i, (flags & PG_A) ? 7001u + i : 0, 65535, 0, NULL, (uint16_t)i);
    assert_true(n > 0);
    tcpsim_replay_packet(rp, ++frame_no, t, DLT_EN10MB, buf, n, n);
}

/* Open connections, reset a scattered third so that they leave (10 s, the
 * conntrack CLOSE timeout) and free their slots, open more (which take the
 * freed slots, last freed first), then end the input: every connection held
 * must come out once, in increasing number, after those that left before. */
static void test_finish_scattered_slots_expect_conns_in_id_order(void **st)
{
    (void)st;
    struct seen *s = calloc(1, sizeof *s);
    assert_non_null(s);
    frame_no = 0;
    struct tcpsim_replay *rp = rr_new_conns(on_conn, s);
    const tcpsim_ns_t ms = 1000000u;
    tcpsim_ns_t t = 0;
    for (uint32_t i = 0; i < NFIRST; i++) {
        packet(rp, t += ms, i, PG_S, false);
        packet(rp, t += ms, i, PG_S | PG_A, true);
    }
    /* a third, in a scattered order (7919 is prime to 5000) */
    uint32_t reset = 0;
    for (uint32_t k = 0; k < NFIRST; k++) {
        uint32_t i = (uint32_t)((uint64_t)k * 7919u % NFIRST);
        if (i % 3 == 0) {
            packet(rp, t += ms, i, PG_R, false);
            reset++;
        }
    }
    t += 30 * 1000 * ms; /* past the CLOSE timeout: the reset ones leave at the next packet */
    for (uint32_t i = NFIRST; i < NFIRST + NSECOND; i++)
        packet(rp, t += ms, i, PG_S, false);
    assert_int_equal(s->n, reset);
    for (uint32_t k = 0; k < s->n; k++)
        assert_int_equal(s->why[k], TCPSIM_RP_LEAVE_CLOSED);
    /* not trivially sorted already: the slots are not in order of number */
    uint32_t inversions = 0, prev = 0;
    bool first = true;
    for (uint32_t slot = 0; slot < rp->ft.used_hw; slot++) {
        const struct tcpsim_rp_conn *c = tcpsim__flow_conn(&rp->ft, slot);
        if (!c->in_use)
            continue;
        if (!first && c->id < prev)
            inversions++;
        prev = c->id;
        first = false;
    }
    assert_true(inversions > 100);
    uint32_t held = (uint32_t)tcpsim_replay_open_conns(rp);
    assert_int_equal(held, NFIRST - reset + NSECOND);
    tcpsim_replay_finish(rp);
    assert_int_equal(s->n, reset + held);
    for (uint32_t k = reset; k < s->n; k++) {
        assert_int_equal(s->why[k], TCPSIM_RP_LEAVE_END);
        if (k > reset && s->id[k] <= s->id[k - 1])
            fail_msg("conn record %u: number %u after %u (the end of the input writes them in order)", k, s->id[k],
                     s->id[k - 1]);
    }
    assert_int_equal(s->id[reset], 1);                       /* 0 was reset */
    assert_int_equal(s->id[s->n - 1], NFIRST + NSECOND - 1); /* the last one opened */
    tcpsim_replay_free(rp);
    free(s);
}

struct labels {
    uint32_t n, bad;
};

static void on_conn_label(void *ctx, const struct tcpsim_rp_conn *c, enum tcpsim_rp_leave why)
{
    (void)why;
    struct labels *l = ctx;
    for (int side = 0; side < 2; side++) {
        const uint8_t *a = c->addr[side].a;
        char want[64];
        snprintf(want, sizeof want, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3], c->port[side]);
        if (strcmp(want, c->label[side]) != 0 && l->bad++ < 5)
            print_message("label %s, printf %s\n", c->label[side], want);
    }
    l->n++;
}

/* Every client port from 0 to 65535, from addresses whose octets cross every
 * digit count (0, 9, 10, 99, 100, 255): each connection's two labels must be
 * what printf writes. A small --max-conns makes them leave as they come. */
static void test_label_every_port_expect_printf_text(void **st)
{
    (void)st;
    static const uint8_t oct[] = {0, 1, 9, 10, 42, 99, 100, 199, 200, 255};
    struct labels l = {0, 0};
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    cfg.max_conns = 64;
    cfg.observe = false;
    cfg.h.conn = on_conn_label;
    cfg.h.ctx = &l;
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    assert_non_null(rp);
    uint8_t buf[256];
    for (uint32_t port = 0; port < 65536; port++) {
        char cl[32], sv[32];
        snprintf(cl, sizeof cl, "%u.%u.%u.%u", oct[port % 10], oct[port / 10 % 10], oct[port / 100 % 10],
                 oct[port / 1000 % 10]);
        snprintf(sv, sizeof sv, "%u.%u.%u.%u", oct[(port + 3) % 10], oct[port / 7 % 10], 7, oct[port / 13 % 10]);
        size_t n = pg_build(DLT_EN10MB, buf, sizeof buf, cl, (uint16_t)port, sv, (uint16_t)(65535 - port), PG_S, 1000u,
                            0, 65535, 0, NULL, (uint16_t)port);
        tcpsim_replay_packet(rp, port + 1, (tcpsim_ns_t)(port + 1) * 1000u, DLT_EN10MB, buf, n, n);
    }
    tcpsim_replay_finish(rp);
    tcpsim_replay_free(rp);
    assert_int_equal(l.n, 65536);
    assert_int_equal(l.bad, 0);
}

struct dirs {
    uint64_t pk[2];
    unsigned n;
};

static void on_conn_dirs(void *ctx, const struct tcpsim_rp_conn *c, enum tcpsim_rp_leave why)
{
    (void)why;
    struct dirs *d = ctx;
    d[d->n < 2 ? d->n : 1].pk[0] = c->d[0].packets;
    d[d->n < 2 ? d->n : 1].pk[1] = c->d[1].packets;
    d[0].n++;
}

/* The flow table tells the direction of a found segment (tcpsim__flow_find):
 * a connection from an endpoint to itself matches both ways and counts every
 * segment on the first side, as the rule "port[0] and addr[0] are the
 * sender's" does; an ordinary one counts each side's own. */
static void test_flow_find_self_connection_expect_first_side(void **st)
{
    (void)st;
    struct dirs d[2];
    memset(d, 0, sizeof d);
    struct tcpsim_replay *rp = rr_new_conns(on_conn_dirs, d);
    uint8_t buf[256];
    static const struct {
        const char *src;
        uint16_t sport;
        const char *dst;
        uint16_t dport;
        uint8_t flags;
        uint32_t seq, ack;
    } pk[] = {
        {"10.0.0.1", 5000, "10.0.0.1", 5000, PG_S, 100, 0},
        {"10.0.0.9", 4000, "10.0.0.8", 80, PG_S, 700, 0},
        {"10.0.0.1", 5000, "10.0.0.1", 5000, PG_S | PG_A, 100, 101},
        {"10.0.0.8", 80, "10.0.0.9", 4000, PG_S | PG_A, 900, 701},
        {"10.0.0.1", 5000, "10.0.0.1", 5000, PG_A, 101, 101},
        {"10.0.0.9", 4000, "10.0.0.8", 80, PG_A, 701, 901},
        {"10.0.0.8", 80, "10.0.0.9", 4000, PG_A, 901, 701},
    };
    for (size_t i = 0; i < sizeof pk / sizeof pk[0]; i++) {
        size_t n = pg_build(DLT_EN10MB, buf, sizeof buf, pk[i].src, pk[i].sport, pk[i].dst, pk[i].dport, pk[i].flags,
                            pk[i].seq, pk[i].ack, 65535, 0, NULL, (uint16_t)i);
        tcpsim_replay_packet(rp, i + 1, (tcpsim_ns_t)(i + 1) * 1000u, DLT_EN10MB, buf, n, n);
    }
    tcpsim_replay_finish(rp);
    tcpsim_replay_free(rp);
    assert_int_equal(d[0].n, 2);
    assert_int_equal(d[0].pk[0], 3); /* the self-connection (number 0) */
    assert_int_equal(d[0].pk[1], 0);
    assert_int_equal(d[1].pk[0], 2); /* client 10.0.0.9 */
    assert_int_equal(d[1].pk[1], 2);
}

/* The segments of connection i of a batch, one step at a time: a handshake
 * with data and a close from both sides (a FIN in flight), an unanswered SYN,
 * a SYN sent twice before the answer, a refused SYN, a simultaneous open, and
 * two that the observer starts without a SYN (its other ways to make the
 * endpoints): a SYN-ACK first (its SYN not captured), and data first (picked
 * up mid-stream), each ended by a RST so that it leaves. */
static bool conn_step(struct tcpsim_replay *rp, uint64_t *frame, tcpsim_ns_t t, unsigned batch, unsigned i,
                      unsigned step)
{
    static const struct {
        uint8_t n;
        struct {
            bool srv;
            uint8_t fl;
            uint32_t seq, ack;
            uint16_t len;
        } s[9];
    } shapes[7] = {
        {9,
         {{0, PG_S, 100, 0, 0},
          {1, PG_S | PG_A, 900, 101, 0},
          {0, PG_A, 101, 901, 0},
          {0, PG_A | PG_P, 101, 901, 50},
          {1, PG_A, 901, 151, 0},
          {0, PG_F | PG_A, 151, 901, 0},
          {1, PG_A, 901, 152, 0},
          {1, PG_F | PG_A, 901, 152, 0},
          {0, PG_A, 152, 902, 0}}},
        {1, {{0, PG_S, 100, 0, 0}}},
        {4, {{0, PG_S, 100, 0, 0}, {0, PG_S, 100, 0, 0}, {1, PG_S | PG_A, 900, 101, 0}, {0, PG_A, 101, 901, 0}}},
        {2, {{0, PG_S, 100, 0, 0}, {1, PG_R | PG_A, 0, 101, 0}}},
        {4, {{0, PG_S, 100, 0, 0}, {1, PG_S, 900, 0, 0}, {1, PG_S | PG_A, 900, 101, 0}, {0, PG_S | PG_A, 100, 901, 0}}},
        {4,
         {{1, PG_S | PG_A, 900, 101, 0},
          {0, PG_A, 101, 901, 0},
          {0, PG_A | PG_P, 101, 901, 20},
          {0, PG_R | PG_A, 121, 901, 0}}},
        {4,
         {{0, PG_A | PG_P, 5000, 7000, 30},
          {1, PG_A, 7000, 5030, 0},
          {1, PG_A | PG_P, 7000, 5030, 40},
          {1, PG_R | PG_A, 7040, 5030, 0}}},
    };
    unsigned k = i % 7;
    if (step >= shapes[k].n)
        return false;
    char cl[32];
    snprintf(cl, sizeof cl, "10.7.%u.%u", batch, 1 + i);
    uint16_t cp = (uint16_t)(20000 + i);
    uint8_t buf[256];
    size_t n = shapes[k].s[step].srv
                   ? pg_build(DLT_EN10MB, buf, sizeof buf, "10.6.0.1", 80, cl, cp, shapes[k].s[step].fl,
                              shapes[k].s[step].seq, shapes[k].s[step].ack, 65535, shapes[k].s[step].len, NULL, 1)
                   : pg_build(DLT_EN10MB, buf, sizeof buf, cl, cp, "10.6.0.1", 80, shapes[k].s[step].fl,
                              shapes[k].s[step].seq, shapes[k].s[step].ack, 65535, shapes[k].s[step].len, NULL, 1);
    tcpsim_replay_packet(rp, ++*frame, t, DLT_EN10MB, buf, n, n);
    return true;
}

/* Two batches of 200 connections, interleaved step by step; between them
 * every connection of the first has left and each free slot is filled with
 * `fill` (all but what marks it free). The JSON output, returned. */
static char *two_batches(uint8_t fill, bool observe)
{
    struct rr_out o;
    struct tcpsim_rp_writer *w = rr_open(&o, TCPSIM_RP_JSON, -1);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    cfg.threads = 1;
    tcpsim_rp_writer_setup(w, &cfg);
    cfg.observe = observe;
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    assert_non_null(rp);
    uint64_t frame = 0;
    tcpsim_ns_t t = 0;
    for (unsigned batch = 0; batch < 2; batch++) {
        for (unsigned step = 0;; step++) {
            bool any = false;
            for (unsigned i = 0; i < 200; i++)
                any |= conn_step(rp, &frame, t += 1000000u, batch, i, step);
            if (!any)
                break;
        }
        if (batch == 0) {
            /* a packet of another connection five minutes on: the first batch's
             * closed and half-open connections leave */
            conn_step(rp, &frame, t += (tcpsim_ns_t)300 * 1000000000u, 9, 1, 0);
            assert_true(tcpsim_replay_open_conns(rp) < 100); /* (the established ones stay) */
            for (uint32_t slot = 0; slot < rp->ft.used_hw; slot++) {
                struct tcpsim_rp_conn *c = tcpsim__flow_conn(&rp->ft, slot);
                if (c->in_use)
                    continue;
                uint32_t next = c->lru_next;
                memset(c, fill, sizeof *c);
                c->in_use = false;
                c->lru_next = next;
            }
        }
    }
    tcpsim_replay_finish(rp);
    tcpsim_replay_free(rp);
    assert_true(rr_close(&o));
    return o.text;
}

static void test_alloc_slot_garbage_expect_same_output(void **st)
{
    (void)st;
    /* with the observer, then without (its endpoints, ep[], are then never
     * made: nothing may read them) */
    for (int observe = 1; observe >= 0; observe--) {
        char *zero = two_batches(0x00, observe), *junk = two_batches(0xA5, observe);
        if (observe) {
            assert_non_null(strstr(zero, "\"LISTEN\""));
            assert_true(strstr(zero, "\"TIME_WAIT\"") != NULL); /* (the FIN notes were used) */
        }
        if (strcmp(zero, junk) != 0) {
            size_t k = 0;
            while (zero[k] == junk[k])
                k++;
            size_t from = k > 80 ? k - 80 : 0;
            fail_msg("observe %d: the output depends on what the slots held, from byte %zu:\n%.160s\n%.160s", observe,
                     k, zero + from, junk + from);
        }
        free(zero);
        free(junk);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_finish_scattered_slots_expect_conns_in_id_order),
        cmocka_unit_test(test_label_every_port_expect_printf_text),
        cmocka_unit_test(test_flow_find_self_connection_expect_first_side),
        cmocka_unit_test(test_alloc_slot_garbage_expect_same_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
