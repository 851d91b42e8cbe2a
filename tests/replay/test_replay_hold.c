/* test_replay_hold.c - the output FIFO's storage (src/replay/replay.c, B1):
 * a held record keeps its segment packed (every field a view may read comes
 * back), and the blocks that hold the records are reused, so that the memory
 * follows the records waiting at once, not the length of the capture; what
 * the observer learns late reaches the held records as the walk did.
 * Read first: src/replay/replay_priv.h (struct held), RFC 9293 §3.1 (the
 * header fields), §3.5 (a SYN waits for its SYN-ACK: its record is held). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bundled.h"
#include "pcapgen.h"
#include "replay/replay_priv.h"
#include "testutil.h"

#ifndef TCPSIM_CAPTURES_DIR
#error "TCPSIM_CAPTURES_DIR: the bundled captures (tests/replay/CMakeLists.txt)"
#endif

static struct rng rng = {0x2545f4914f6cdd1du};

/* Every field of a segment a view may read (wire.h: entries past sack_count,
 * layout_len and unknown_len are unspecified, the payload is not kept). */
static void expect_same_segment(const struct tcpsim_segment *got, const struct tcpsim_segment *want)
{
    assert_int_equal(got->src_port, want->src_port);
    assert_int_equal(got->dst_port, want->dst_port);
    assert_int_equal(got->seq, want->seq);
    assert_int_equal(got->ack, want->ack);
    assert_int_equal(got->flags, want->flags);
    assert_int_equal(got->data_offset, want->data_offset);
    assert_int_equal(got->reserved, want->reserved);
    assert_int_equal(got->window, want->window);
    assert_int_equal(got->checksum, want->checksum);
    assert_int_equal(got->urg_ptr, want->urg_ptr);
    const struct tcpsim_tcp_opts *a = &got->opts, *b = &want->opts;
    assert_int_equal(a->present, b->present);
    assert_int_equal(a->mss, b->mss);
    assert_int_equal(a->wscale, b->wscale);
    assert_int_equal(a->ts_val, b->ts_val);
    assert_int_equal(a->ts_ecr, b->ts_ecr);
    assert_int_equal(a->sack_count, b->sack_count);
    for (size_t i = 0; i < b->sack_count && i < TCPSIM_MAX_SACK_BLOCKS; i++) {
        assert_int_equal(a->sack[i].left, b->sack[i].left);
        assert_int_equal(a->sack[i].right, b->sack[i].right);
    }
    assert_int_equal(a->layout_len, b->layout_len);
    assert_memory_equal(a->layout, b->layout, b->layout_len);
    assert_int_equal(a->unknown_len, b->unknown_len);
    assert_memory_equal(a->unknown, b->unknown, b->unknown_len);
    assert_int_equal(got->payload_len, want->payload_len);
}

/* Random segments, every option count and length: packed and unpacked, each
 * comes back whole (both forms: short when there is no unknown option and a
 * short layout, else whole), from no more than HOLD_SEG_MAX bytes at any
 * alignment, without a payload pointer. */
static void test_hold_segment_random_round_trip_same_fields(void **st)
{
    (void)st;
    static unsigned char buf[HOLD_SEG_MAX + 32];
    size_t sizes[2] = {0, 0};
    for (int r = 0; r < 20000; r++) {
        struct tcpsim_segment s, u;
        unsigned char *p = (unsigned char *)&s;
        for (size_t i = 0; i < sizeof s; i++)
            p[i] = (unsigned char)rnd(&rng);
        s.opts.sack_count = (uint8_t)(rnd(&rng) % (TCPSIM_MAX_SACK_BLOCKS + 1));
        s.opts.layout_len = (uint8_t)(r < 41 ? (uint32_t)r : rnd(&rng) % (TCPSIM_TCP_OPT_SPACE + 1));
        s.opts.unknown_len = (uint8_t)(r % 2    ? 0
                                       : r < 41 ? (uint32_t)(40 - r)
                                                : rnd(&rng) % (TCPSIM_TCP_OPT_SPACE + 1));
        s.payload = buf; /* not kept */
        s.payload_len = r % 3 ? rnd(&rng) % 65536 : (size_t)rnd(&rng) << 20;
        size_t at = (size_t)r % 16;
        memset(buf, 0xa5, sizeof buf);
        size_t n = tcpsim__rp_hold_seg_pack(buf + at, &s);
        assert_true(n <= HOLD_SEG_MAX);
        sizes[n == sizeof s]++;
        for (size_t i = at + n; i < sizeof buf; i++)
            assert_int_equal(buf[i], 0xa5);
        memset(&u, 0x5a, sizeof u);
        tcpsim__rp_hold_seg_unpack(&u, buf + at, n);
        expect_same_segment(&u, &s);
        assert_null(u.payload);
    }
    assert_true(sizes[0] > 1000 && sizes[1] > 1000); /* both forms */
}

/* ---- a capture where every SYN waits for its SYN-ACK behind others ---- */

#define KMAX   200u   /* connections open at once: SYN-ACK K steps after the SYN */
#define NMAX   4000u  /* connections in the long run */
#define FRAMES 40000u /* NMAX * 8 packets, and spare */

struct run {
    struct tcpsim_segment want[FRAMES + 1]; /* by frame: the segment as decoded from the bytes sent */
    uint64_t frames, records, held_seen;
};

static void on_segment(void *ctx, const struct tcpsim_rp_conn *c, const struct tcpsim_rp_segment *s)
{
    struct run *r = ctx;
    (void)c;
    assert_true(s->frame >= 1 && s->frame <= r->frames);
    expect_same_segment(s->seg, &r->want[s->frame]);
    r->records++;
}

struct step {
    bool to_client;
    uint8_t flags;
    uint16_t len;
    uint32_t seq, ack; /* relative to the ISNs (1000 + i, 7000 + i) */
    bool opts;
};

static void packet(struct tcpsim_replay *rp, struct run *r, uint32_t i, int step, tcpsim_ns_t t)
{
    static const struct step steps[9] = {
        {false, PG_S, 0, 0, 0, true},          {true, PG_S | PG_A, 0, 0, 1, true},
        {false, PG_A, 0, 1, 1, false},         {false, PG_P | PG_A, 120, 1, 1, false},
        {true, PG_A, 0, 1, 121, false},        {false, PG_F | PG_A, 0, 121, 1, false},
        {true, PG_F | PG_A, 0, 1, 122, false}, {false, PG_A, 0, 122, 2, false},
        {true, PG_R | PG_A, 0, 1, 1, false}, /* (not in the exchange: a reset, for the random ones) */
    };
    char cl[32];
    snprintf(cl, sizeof cl, "10.%u.%u.%u", 1 + i / 62500, i / 250 % 250, 1 + i % 250);
    struct pg_opts o = {(int)(i % 15), 536 + (int)(i % 1000)};
    uint8_t buf[256];
    size_t n;
    const struct step *x = &steps[step];
    uint16_t cport = (uint16_t)(20000 + i % 40000);
    if (x->to_client)
        n = pg_build(DLT_EN10MB, buf, sizeof buf, "10.200.0.1", 443, cl, cport, x->flags, 7000u + i + x->seq,
                     1000u + i + x->ack, (uint16_t)(1000 + i), x->len, x->opts ? &o : NULL, (uint16_t)i);
    else
        n = pg_build(DLT_EN10MB, buf, sizeof buf, cl, cport, "10.200.0.1", 443, x->flags, 1000u + i + x->seq,
                     x->ack ? 7000u + i + x->ack : 0, (uint16_t)(2000 + i), x->len, x->opts ? &o : NULL, (uint16_t)i);
    assert_true(n > 34 && r->frames < FRAMES);
    uint64_t frame = ++r->frames;
    assert_int_equal(tcpsim_tcp_decode(buf + 34, n - 34, &r->want[frame]), TCPSIM_OK); /* Ethernet + IPv4 */
    tcpsim_replay_packet(rp, frame, t, DLT_EN10MB, buf, n, n);
}

/* N connections, K open at once, each a complete exchange (handshake with
 * MSS and window scale, data, a client-first close), interleaved: the SYN of
 * connection j waits for its SYN-ACK K steps later, with everything sent in
 * between held behind it. */
static void run_conns(struct run *r, uint32_t n, uint32_t k, size_t *blocks, size_t *most)
{
    memset(r, 0, sizeof *r);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    cfg.threads = 1;
    cfg.h.segment = on_segment;
    cfg.h.ctx = r;
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    assert_non_null(rp);
    tcpsim_ns_t t = 1000000000u;
    for (uint32_t s = 0; s < n + k; s++) {
        if (s < n)
            packet(rp, r, s, 0, t += 1000000u);
        if (s >= k)
            for (int step = 1; step < 8; step++)
                packet(rp, r, s - k, step, t += 1000000u);
    }
    tcpsim_replay_finish(rp);
    tcpsim__rp_hold_stats(rp, blocks, most);
    tcpsim_replay_free(rp);
    assert_int_equal(r->records, r->frames); /* every record written once */
}

static void test_hold_long_capture_same_blocks_as_short(void **st)
{
    (void)st;
    struct run *r = malloc(sizeof *r);
    assert_non_null(r);
    size_t b_short, m_short, b_long, m_long;
    run_conns(r, 2 * KMAX, KMAX, &b_short, &m_short);
    run_conns(r, NMAX, KMAX, &b_long, &m_long);
    /* the records really waited: K connections' packets behind each SYN,
     * more than one block of them */
    assert_true(m_short >= 7u * (KMAX - 1));
    assert_true(b_short > 2);
    /* ten times the connections, as many at once (give or take the last
     * connection's packets): the same memory */
    assert_true(m_long >= m_short - 8 && m_long <= m_short + 8);
    assert_true(b_long <= b_short + 1);
    print_message("held at once %zu / %zu records, blocks %zu / %zu\n", m_short, m_long, b_short, b_long);
    /* and the blocks are what the records need (under 400 bytes each here) */
    assert_true(b_short <= m_short * 400 / HOLD_BLOCK + 2);
    free(r);
}

/* ---- the record built in its hold slot against the record copied ----
 *
 * seg_record builds a record that must wait in its hold slot; a record with
 * TLS items, or with nothing to wait for, is built on the stack and goes
 * through emit_or_hold (copied). fifo.copy_all sends every record the second
 * way: both must hand the view the same records in the same order, field by
 * field, and so must a view that asks for the segment's head only. */

struct rec {
    uint64_t frame, time, capture_start;
    uint32_t conn, len, rel_seq, rel_ack, analysis, tls_dropped;
    enum tcpsim_side dir;
    char src[56], dst[56];
    struct tcpsim_ip_addr src_ip, dst_ip;
    uint16_t src_port, dst_port;
    unsigned char seg[TCPSIM_RP_SEG_HEAD];
    bool rel_seq_known, rel_ack_known;
    uint64_t win;
    enum tcpsim_tcp_state client_state, server_state;
    size_t nevents, ntls, tls_json_len, tls_errors_len;
    struct tcpsim_rp_event ev[TCPSIM_RP_MAX_EVENTS];
};

#define RECS_MAX 8000u

struct recrun {
    struct run r; /* first: packet() takes it */
    struct rec *recs;
    size_t n;
    bool whole; /* the view wants the whole segment: compare it with the bytes sent */
    /* Corrections (apply_retro): walked to their records at once
     * (fifo.retro_now), or waiting for them with at most rmax entries (0:
     * as tcpsim_replay_new sets). */
    bool retro_now;
    size_t rmax;
    size_t cap;       /* records room (0: RECS_MAX) */
    size_t max_conns; /* cfg.max_conns (0: the default): the oldest evicted past it */
    bool conns;       /* conn records too, in order among the segments (frame 0, the id) */
    size_t nconn;
    bool gaps; /* run_random: 30 s of silence every 50 connections (HOLD_NS passes) */
};

static void on_segment_rec(void *ctx, const struct tcpsim_rp_conn *c, const struct tcpsim_rp_segment *s)
{
    struct recrun *rr = ctx;
    if (rr->whole && rr->r.frames)
        on_segment(&rr->r, c, s);
    assert_true(rr->n < (rr->cap ? rr->cap : RECS_MAX));
    struct rec *x = &rr->recs[rr->n++];
    memset(x, 0, sizeof *x);
    x->frame = s->frame;
    x->time = s->time;
    x->capture_start = s->capture_start;
    x->conn = s->conn;
    x->len = s->len;
    x->rel_seq = s->rel_seq;
    x->rel_ack = s->rel_ack;
    x->analysis = s->analysis;
    x->tls_dropped = s->tls_dropped;
    x->dir = s->dir;
    snprintf(x->src, sizeof x->src, "%s", s->src);
    snprintf(x->dst, sizeof x->dst, "%s", s->dst);
    x->src_ip = s->src_ip;
    x->dst_ip = s->dst_ip;
    x->src_port = s->src_port;
    x->dst_port = s->dst_port;
    memcpy(x->seg, s->seg, sizeof x->seg);
    /* (the padding after `reserved` is no field: not always the same) */
    memset(x->seg + offsetof(struct tcpsim_segment, reserved) + 1, 0,
           offsetof(struct tcpsim_segment, window) - offsetof(struct tcpsim_segment, reserved) - 1);
    x->rel_seq_known = s->rel_seq_known;
    x->rel_ack_known = s->rel_ack_known;
    x->win = s->win;
    x->client_state = s->client_state;
    x->server_state = s->server_state;
    x->nevents = s->nevents;
    x->ntls = s->ntls;
    x->tls_json_len = s->tls_json_len;
    x->tls_errors_len = s->tls_errors_len;
    assert_true(s->nevents <= TCPSIM_RP_MAX_EVENTS);
    for (size_t e = 0; e < s->nevents; e++)
        x->ev[e] = s->events[e];
}

/* A conn record, where it comes among the segment records. */
static void on_conn_rec(void *ctx, const struct tcpsim_rp_conn *c, enum tcpsim_rp_leave why)
{
    struct recrun *rr = ctx;
    assert_true(rr->n < (rr->cap ? rr->cap : RECS_MAX));
    struct rec *x = &rr->recs[rr->n++];
    memset(x, 0, sizeof *x);
    x->conn = c->id;
    x->len = (uint32_t)why;
    rr->nconn++;
}

/* A one-thread replayer that records every segment into rr (head: the JSON
 * view's way, the segment's first bytes only), corrections applied as rr
 * says (at once, or waiting with at most rr->rmax waiting). */
static struct tcpsim_replay *rec_replayer(struct recrun *rr, bool head)
{
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    cfg.threads = 1;
    cfg.h.segment = on_segment_rec;
    cfg.h.ctx = rr;
    cfg.h.seg_head = head;
    cfg.max_conns = rr->max_conns;
    if (rr->conns)
        cfg.h.conn = on_conn_rec;
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    assert_non_null(rp);
    rp->fifo.retro_now = rr->retro_now;
    if (rr->rmax)
        rp->fifo.rmax = rr->rmax;
    return rp;
}

/* Empty rr for a new run, keeping its record array and its settings. */
static void recrun_reset(struct recrun *rr)
{
    struct rec *keep = rr->recs;
    bool now = rr->retro_now, gaps = rr->gaps;
    size_t rmax = rr->rmax, maxc = rr->max_conns, cap = rr->cap;
    bool conns = rr->conns;
    memset(rr, 0, sizeof *rr);
    rr->recs = keep;
    rr->retro_now = now;
    rr->rmax = rmax;
    rr->gaps = gaps;
    rr->max_conns = maxc;
    rr->cap = cap;
    rr->conns = conns;
}

/* run_conns's capture, n connections, k open at once. */
static void run_recs(struct recrun *rr, uint32_t n, uint32_t k, bool copy_all, bool head)
{
    recrun_reset(rr);
    rr->whole = !head;
    struct tcpsim_replay *rp = rec_replayer(rr, head);
    rp->fifo.copy_all = copy_all;
    tcpsim_ns_t t = 1000000000u;
    for (uint32_t s = 0; s < n + k; s++) {
        if (s < n)
            packet(rp, &rr->r, s, 0, t += 1000000u);
        if (s >= k)
            for (int step = 1; step < 8; step++)
                packet(rp, &rr->r, s - k, step, t += 1000000u);
    }
    tcpsim_replay_finish(rp);
    size_t blocks, most;
    tcpsim__rp_hold_stats(rp, &blocks, &most);
    tcpsim_replay_free(rp);
    assert_int_equal(rr->n - rr->nconn, rr->r.frames);
    assert_true(most >= 7u * (k - 1)); /* records were held: k connections behind each SYN */
}

static void expect_same_recs(const struct recrun *a, const struct recrun *b)
{
    assert_int_equal(a->n, b->n);
    size_t events = 0;
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->recs[i].frame, b->recs[i].frame);
        assert_memory_equal(&a->recs[i], &b->recs[i], sizeof a->recs[i]);
        events += a->recs[i].nevents;
    }
    assert_true(events > a->n / 4); /* transitions were reported (and patched in) */
}

/* A run's recorder with room for n records, and its release. */
static struct recrun *recrun_new(size_t n)
{
    struct recrun *r = calloc(1, sizeof *r);
    assert_non_null(r);
    r->recs = calloc(n, sizeof *r->recs);
    assert_non_null(r->recs);
    return r;
}

static void recrun_free(struct recrun *r)
{
    free(r->recs);
    free(r);
}

static void test_hold_inplace_records_same_as_copied(void **st)
{
    (void)st;
    struct recrun *a = recrun_new(RECS_MAX), *b = recrun_new(RECS_MAX);
    /* 1 and 2 packets behind: k = 1 writes some records at once; larger k
     * holds nearly all. */
    static const uint32_t ks[] = {1, 2, 37, 150};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        run_recs(a, 600, ks[i], false, false);
        run_recs(b, 600, ks[i], true, false);
        expect_same_recs(a, b);
        run_recs(a, 600, ks[i], false, true); /* the head form */
        expect_same_recs(a, b);
        run_recs(a, 600, ks[i], true, true);
        expect_same_recs(a, b);
    }
    recrun_free(a);
    recrun_free(b);
}

/* ---- corrections waiting for their records against corrections walked ----
 *
 * What the observer learns late (the server's SYN-ACK: LISTEN, then
 * SYN-RECEIVED on the SYN's record; a FIN's arrival at its peer; a silent
 * server assumed listening) waits in fifo.rent until its records are written
 * (apply_retro, retro_take), or, when the entries run out, is walked to them
 * with the others waiting (retro_flush). fifo.retro_now walks every
 * correction to the held records at once, as the replay did before: the
 * records must be the same, field by field, events included, on a capture of
 * random connections (SYNs and FINs sent again, answers missing, resets,
 * steps swapped, many open at once) and on every bundled capture. */

/* Connection i's packets (steps of packet()), perturbed at random. */
static size_t random_conn(struct rng *g, int *st)
{
    size_t n = 0;
    st[n++] = 0;
    for (uint32_t r = below(g, 3); r; r--)
        if (below(g, 3) == 0)
            st[n++] = 0; /* the SYN again */
    switch (below(g, 8)) {
    case 0: /* a silent server */
        return n;
    case 1: /* refused */
        st[n++] = 8;
        return n;
    default:
        break;
    }
    for (int k = 1; k < 8; k++) {
        uint32_t r = below(g, 16);
        if (r == 0 && k != 1)
            continue; /* lost */
        st[n++] = k;
        if (r == 1 || (r == 2 && k >= 5))
            st[n++] = k; /* sent again */
        if (r == 3 && k >= 5)
            st[n++] = 8; /* reset in the close */
    }
    if (n > 3 && below(g, 4) == 0) { /* two steps swapped (a FIN crossing, an ACK late) */
        size_t a = 1 + below(g, (uint32_t)n - 2);
        int x = st[a];
        st[a] = st[a + 1];
        st[a + 1] = x;
    }
    return n;
}

#define RCONNS 700u
#define RSTEPS 24u

static void run_random(struct recrun *rr, uint64_t seed, uint32_t k)
{
    recrun_reset(rr);
    struct tcpsim_replay *rp = rec_replayer(rr, true);
    struct rng g = {seed};
    static int st[RCONNS][RSTEPS];
    static size_t nst[RCONNS];
    for (uint32_t i = 0; i < RCONNS; i++)
        nst[i] = random_conn(&g, st[i]);
    tcpsim_ns_t t = 1000000000u;
    for (uint32_t s = 0; s < RCONNS + k; s++) {
        if (rr->gaps && s % 50 == 49)
            t += (tcpsim_ns_t)30 * 1000000000u;
        if (s < RCONNS)
            packet(rp, &rr->r, s, st[s][0], t += 1000000u);
        if (s >= k)
            for (size_t j = 1; j < nst[s - k]; j++)
                packet(rp, &rr->r, s - k, st[s - k][j], t += 1000000u);
    }
    tcpsim_replay_finish(rp);
    tcpsim_replay_free(rp);
    assert_int_equal(rr->n - rr->nconn, rr->r.frames);
}

static void test_hold_corrections_waiting_same_as_walked(void **st)
{
    (void)st;
    struct recrun *a = recrun_new(RECS_MAX), *b = recrun_new(RECS_MAX);
    static const uint32_t ks[] = {1, 3, 40, 160};
    static const size_t rmaxes[] = {0, 1, 2, 7};
    for (uint64_t seed = 1; seed <= 6; seed++)
        for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
            b->retro_now = true;
            run_random(b, seed * 0x9e3779b97f4a7c15u, ks[i]);
            for (size_t m = 0; m < sizeof rmaxes / sizeof rmaxes[0]; m++) {
                a->retro_now = false;
                a->rmax = rmaxes[m];
                run_random(a, seed * 0x9e3779b97f4a7c15u, ks[i]);
                expect_same_recs(a, b);
            }
        }
    /* and the exchange of the tests above */
    for (size_t i = 0; i < 3; i++) {
        b->retro_now = true;
        b->rmax = 0;
        run_recs(b, 600, ks[i + 1], false, true);
        a->retro_now = false;
        a->rmax = rmaxes[i];
        run_recs(a, 600, ks[i + 1], false, true);
        expect_same_recs(a, b);
    }
    recrun_free(a);
    recrun_free(b);
}

/* ---- corrections waiting against walked: the FIFO's timing ----
 *
 * When the FIFO writes a record shows in where the conn records fall among
 * the segment records (a conn record is written when its connection leaves,
 * after its own segments). The same comparison as above, with the conn
 * records in the sequence, on connections sent as bench/gen-capture.c sends
 * them, with silences that force the head out (HOLD_NS) and with
 * connections evicted while their questions are open (--max-conns). */

/* Random connections (random_conn) as bench/gen-capture.c sends them: k
 * open at once, each packet from one of them picked at random, a new one
 * opened when one has sent its last; a silence of 20 s every 300 packets
 * when rr->gaps. */
static void run_shuffled(struct recrun *rr, uint64_t seed, uint32_t k)
{
    recrun_reset(rr);
    struct tcpsim_replay *rp = rec_replayer(rr, true);
    struct rng g = {seed};
    static int st[RCONNS][RSTEPS];
    static size_t nst[RCONNS], at[RCONNS];
    uint32_t open[RCONNS], nopen = 0, next = 0;
    for (uint32_t i = 0; i < RCONNS; i++) {
        nst[i] = random_conn(&g, st[i]);
        at[i] = 0;
    }
    tcpsim_ns_t t = 1000000000u;
    for (uint64_t p = 0;; p++) {
        while (nopen < k && next < RCONNS)
            open[nopen++] = next++;
        if (!nopen)
            break;
        uint32_t j = below(&g, nopen), i = open[j];
        t += rr->gaps && p % 300 == 299 ? (tcpsim_ns_t)20 * 1000000000u : 1000000u;
        packet(rp, &rr->r, i, st[i][at[i]++], t);
        if (at[i] == nst[i])
            open[j] = open[--nopen];
    }
    tcpsim_replay_finish(rp);
    tcpsim_replay_free(rp);
    assert_int_equal(rr->n - rr->nconn, rr->r.frames);
}

/* Connection 0's SYN, sent again 10 s later, the server silent for 67 s
 * (others' exchanges every second meanwhile) and then answering: the first
 * SYN's record is forced out at 61 s, deciding the question (a server
 * assumed listening), so the second SYN's record, an open one too, follows
 * it at once. */
static void run_late_answer(struct recrun *rr)
{
    recrun_reset(rr);
    struct tcpsim_replay *rp = rec_replayer(rr, true);
    const tcpsim_ns_t s1 = 1000000000u;
    packet(rp, &rr->r, 0, 0, 1 * s1);
    packet(rp, &rr->r, 0, 0, 11 * s1);
    for (uint32_t i = 1; i <= 75; i++) {
        for (int step = 0; step < 8; step++)
            packet(rp, &rr->r, i, step, (11 + i) * s1 + (tcpsim_ns_t)step * 1000u);
        if (i == 57) /* 68 s */
            for (int step = 1; step < 8; step++)
                packet(rp, &rr->r, 0, step, 68 * s1 + (tcpsim_ns_t)step * 1000u + 500u);
    }
    tcpsim_replay_finish(rp);
    tcpsim_replay_free(rp);
    assert_int_equal(rr->n - rr->nconn, rr->r.frames);
}

static void test_hold_corrections_waiting_same_as_walked_timing(void **st)
{
    (void)st;
    struct recrun *a = recrun_new(2 * RECS_MAX), *b = recrun_new(2 * RECS_MAX);
    a->cap = b->cap = 2 * RECS_MAX; /* and the conn records */
    a->conns = b->conns = true;     /* the FIFO's timing shows where conn records fall */
    b->retro_now = true;
    run_late_answer(b);
    a->retro_now = false;
    run_late_answer(a);
    expect_same_recs(a, b);
    static const uint32_t ks[] = {1, 3, 40, 160};
    size_t forced = 0;
    for (uint64_t seed = 1; seed <= 6; seed++)
        for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
            for (int v = 0; v < 3; v++) { /* plain; silences; evictions (connections leave early) */
                const bool gaps = v == 1;
                a->gaps = b->gaps = gaps;
                a->max_conns = b->max_conns = v == 2 ? 30 : 0;
                b->retro_now = true;
                run_random(b, seed * 0x2545f4914f6cdd1du, ks[i]);
                a->retro_now = false;
                run_random(a, seed * 0x2545f4914f6cdd1du, ks[i]);
                expect_same_recs(a, b);
                b->retro_now = true;
                run_shuffled(b, seed * 0x9e3779b97f4a7c15u, ks[i]);
                a->retro_now = false;
                run_shuffled(a, seed * 0x9e3779b97f4a7c15u, ks[i]);
                expect_same_recs(a, b);
                for (size_t r = 0; gaps && r < b->n; r++)
                    forced += b->recs[r].server_state == TCPSIM_TCP_LISTEN && b->recs[r].nevents == 1;
            }
    assert_true(forced > 0); /* SYN records of servers assumed silent (LISTEN, the client's event only) */
    a->gaps = b->gaps = false;
    a->retro_now = b->retro_now = false;
    a->max_conns = b->max_conns = 0;
    a->conns = b->conns = false;
    recrun_free(a);
    recrun_free(b);
}

/* Every bundled capture, the same way. */
#define CAP_RECS 200000u

static void read_cap(struct recrun *rr, const char *path)
{
    rr->n = 0;
    rr->whole = false;
    memset(&rr->r, 0, sizeof rr->r);
    struct tcpsim_replay *rp = rec_replayer(rr, true);
    struct tcpsim_replay_input in = {path, NULL, NULL, false};
    char err[512];
    (void)tcpsim_replay_read(rp, &in, err, sizeof err); /* (damaged ones too: the records before) */
    tcpsim_replay_free(rp);
}

struct capcmp {
    struct recrun *a, *b;
    size_t events;
};

static void same_recs_cap(const char *path, void *ctx)
{
    struct capcmp *cc = ctx;
    cc->b->retro_now = true;
    read_cap(cc->b, path);
    static const size_t rmaxes[] = {0, 1, 3};
    for (size_t m = 0; m < sizeof rmaxes / sizeof rmaxes[0]; m++) {
        cc->a->retro_now = false;
        cc->a->rmax = rmaxes[m];
        read_cap(cc->a, path);
        assert_int_equal(cc->a->n, cc->b->n);
        for (size_t i = 0; i < cc->a->n; i++)
            if (memcmp(&cc->a->recs[i], &cc->b->recs[i], sizeof cc->a->recs[i]) != 0)
                fail_msg("%s: record %zu (frame %llu) differs", path, i, (unsigned long long)cc->a->recs[i].frame);
    }
    for (size_t i = 0; i < cc->b->n; i++)
        cc->events += cc->b->recs[i].nevents;
}

static void test_hold_corrections_bundled_same_as_walked(void **st)
{
    (void)st;
    struct recrun *a = recrun_new(CAP_RECS), *b = recrun_new(CAP_RECS);
    a->cap = b->cap = CAP_RECS;
    struct capcmp cc = {a, b, 0};
    unsigned ncap = bundled_each_file(TCPSIM_CAPTURES_DIR, same_recs_cap, &cc);
    assert_true(ncap >= 10);
    assert_true(cc.events > 0);
    recrun_free(a);
    recrun_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hold_segment_random_round_trip_same_fields),
        cmocka_unit_test(test_hold_long_capture_same_blocks_as_short),
        cmocka_unit_test(test_hold_inplace_records_same_as_copied),
        cmocka_unit_test(test_hold_corrections_waiting_same_as_walked),
        cmocka_unit_test(test_hold_corrections_bundled_same_as_walked),
        cmocka_unit_test(test_hold_corrections_waiting_same_as_walked_timing),
    };
    return cmocka_run_group_tests_name("replay_hold", tests, NULL, NULL);
}
