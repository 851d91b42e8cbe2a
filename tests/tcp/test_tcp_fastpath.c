/* test_tcp_fastpath.c - header prediction (tcpsim_tcp_fast_path, and the
 * observer's entry tcpsim_tcp_fast_path_obs) and the observer's other
 * shortcuts (pure ACKs, connect, accept, the SYN-ACK's arrival, the close)
 * against the full path: random valid segment streams, handshakes and closes
 * between two observing endpoints, each segment run through both, the
 * endpoints compared byte for byte.
 * Read first: RFC 1323 appendix A (header prediction), RFC 9293 §3.10.7.4,
 * src/tcp/fastpath.c and src/replay/observer.c (the caller). */
#include <string.h>

#include "tcp_test.h"
#include "testutil.h"

/* Two endpoints as the replayer sets them up (src/replay/observer.c). */
struct pair {
    struct tcpsim_tcp_endpoint ep[2]; /* 0 client, 1 server */
    uint32_t tsv[2];                  /* each side's timestamp clock */
    bool ts;                          /* timestamps on the SYNs */
};

static struct tcpsim_tcp_out pair_out;

static void obs_cfg(struct tcpsim_tcp_config *cfg)
{
    tcpsim_tcp_config_default(cfg, TCPSIM_PROFILE_RFC);
    cfg->store_data = false;
    cfg->challenge_ack = true;
}

/* The full path for one captured segment: the sender sent it, then it arrives. */
static void full_path(struct tcpsim_tcp_endpoint *snd, struct tcpsim_tcp_endpoint *rcv, const struct tcpsim_segment *s,
                      tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    tcpsim_tcp_out_reset(out);
    assert_int_equal(tcpsim_tcp_observe_sent(snd, s, now, out), TCPSIM_OK);
    assert_int_equal(tcpsim_tcp_segment_arrives(rcv, s, now, out), TCPSIM_OK);
}

static struct tcpsim_segment mk(int dir, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, size_t len)
{
    struct tcpsim_segment s;
    memset(&s, 0, sizeof s);
    s.src_port = dir ? 80 : 40000;
    s.dst_port = dir ? 40000 : 80;
    s.flags = flags;
    s.seq = seq;
    s.ack = ack;
    s.window = win;
    s.data_offset = 5;
    s.payload_len = len;
    return s;
}

/* A real handshake, options chosen at random (or a mid-stream start); with
 * `last_ack` false it stops before the handshake's last ACK (the client
 * ESTABLISHED, the server SYN_RECEIVED). */
static void pair_open_to(struct pair *p, struct rng *r, tcpsim_time_t now, bool last_ack)
{
    struct tcpsim_tcp_config cfg;
    obs_cfg(&cfg);
    assert_int_equal(tcpsim_tcp_init(&p->ep[0], &cfg, 40000, 80), TCPSIM_OK);
    assert_int_equal(tcpsim_tcp_init(&p->ep[1], &cfg, 80, 40000), TCPSIM_OK);
    uint32_t ic = rnd(r), is = rnd(r);
    p->ts = below(r, 2) == 0;
    p->tsv[0] = rnd(r);
    p->tsv[1] = rnd(r);
    if (below(r, 6) == 0) {
        /* mid-stream: both forced ESTABLISHED, the window scale unknown */
        struct tcpsim_tcp_sync a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        a.state = b.state = TCPSIM_TCP_ESTABLISHED;
        a.iss = ic;
        a.irs = is;
        b.iss = is;
        b.irs = ic;
        b.passive = true;
        assert_int_equal(tcpsim_tcp_force_state(&p->ep[0], &a, now), TCPSIM_OK);
        assert_int_equal(tcpsim_tcp_force_state(&p->ep[1], &b, now), TCPSIM_OK);
        p->ts = false;
        return;
    }
    bool ws = below(r, 2) == 0;
    struct tcpsim_tcp_out *out = &pair_out;
    tcpsim_tcp_out_reset(out);
    assert_int_equal(tcpsim_tcp_open(&p->ep[1], false, now, out), TCPSIM_OK);
    struct tcpsim_segment syn = mk(0, TCPSIM_SYN, ic, 0, 64240, 0);
    syn.opts.present = TCPSIM_HAS_MSS;
    syn.opts.mss = 1460;
    if (ws) {
        syn.opts.present |= TCPSIM_HAS_WSCALE;
        syn.opts.wscale = (uint8_t)below(r, 9);
    }
    if (p->ts) {
        syn.opts.present |= TCPSIM_HAS_TS;
        syn.opts.ts_val = p->tsv[0];
    }
    full_path(&p->ep[0], &p->ep[1], &syn, now, out);
    struct tcpsim_segment sa = mk(1, TCPSIM_SYN | TCPSIM_ACK, is, ic + 1, 65160, 0);
    sa.opts = syn.opts;
    if (ws)
        sa.opts.wscale = (uint8_t)below(r, 9);
    if (p->ts) {
        sa.opts.ts_val = p->tsv[1];
        sa.opts.ts_ecr = p->tsv[0];
    }
    full_path(&p->ep[1], &p->ep[0], &sa, now, out);
    if (!last_ack)
        return;
    struct tcpsim_segment ack = mk(0, TCPSIM_ACK, ic + 1, is + 1, 502, 0);
    if (p->ts) {
        ack.opts.present = TCPSIM_HAS_TS;
        ack.opts.ts_val = ++p->tsv[0];
        ack.opts.ts_ecr = p->tsv[1];
    }
    full_path(&p->ep[0], &p->ep[1], &ack, now, out);
    assert_int_equal(p->ep[0].state, TCPSIM_TCP_ESTABLISHED);
    assert_int_equal(p->ep[1].state, TCPSIM_TCP_ESTABLISHED);
}

static void pair_open(struct pair *p, struct rng *r, tcpsim_time_t now)
{
    pair_open_to(p, r, now, true);
}

/* A segment from `dir`: mostly the common case, sometimes not (a hole, a
 * retransmission, an old or future ACK, a shrunk window, an old timestamp,
 * another flag). */
static struct tcpsim_segment pair_next(struct pair *p, struct rng *r, int dir)
{
    const struct tcpsim_tcp_endpoint *s = &p->ep[dir];
    uint32_t seq = s->snd_nxt, ack = s->rcv_nxt;
    uint8_t flags = TCPSIM_ACK;
    size_t len = below(r, 3) == 0 ? 0 : 1 + below(r, 1460);
    /* the usual window: unchanged or simply updated; ~64 KB however it is scaled */
    uint16_t base = (uint16_t)(s->ws_ok && s->rcv_wscale > 0 ? 65535u >> s->rcv_wscale : 64000u);
    uint16_t win = (uint16_t)(below(r, 8) == 0 ? below(r, 65536) : base - 16 * below(r, 3));
    switch (below(r, 64)) {
    case 0:
        seq += 1 + below(r, 3000); /* a hole before it */
        break;
    case 1:
        seq -= below(r, 3000); /* a retransmission */
        break;
    case 2:
        ack -= below(r, 3000); /* an old ACK */
        break;
    case 3:
        ack += 1 + below(r, 3000); /* acknowledges what we did not see */
        break;
    case 4:
        win = (uint16_t)below(r, 4); /* (almost) shut */
        break;
    case 5:
        len = 0; /* a pure ACK again: maybe a duplicate */
        break;
    case 6:
        flags |= TCPSIM_URG;
        break;
    case 7:
        if (below(r, 8) == 0)
            flags |= TCPSIM_FIN; /* ends the common case for this pair */
        break;
    default:
        if (len > 0 && below(r, 2) == 0)
            flags |= TCPSIM_PSH;
        break;
    }
    struct tcpsim_segment g = mk(dir, flags, seq, ack, win, len);
    if (p->ts) {
        g.opts.present = TCPSIM_HAS_TS;
        p->tsv[dir] += below(r, 3);
        g.opts.ts_val = below(r, 30) == 0 ? p->tsv[dir] - 1000 : p->tsv[dir];
        g.opts.ts_ecr = p->tsv[!dir];
    }
    return g;
}

static void assert_same_ep(const struct tcpsim_tcp_endpoint *a, const struct tcpsim_tcp_endpoint *b, unsigned step)
{
    if (memcmp(a, b, sizeof *a) != 0) {
        print_error("step %u: state %d/%d snd_nxt %u/%u snd_una %u/%u rcv_nxt %u/%u rcv_wnd %u/%u snd_wnd %u/%u "
                    "ts_recent %u/%u cwnd %u/%u last_ack_sent %u/%u rcv_adv %u/%u rcv_q %u/%u\n",
                    step, a->state, b->state, a->snd_nxt, b->snd_nxt, a->snd_una, b->snd_una, a->rcv_nxt, b->rcv_nxt,
                    a->rcv_wnd, b->rcv_wnd, a->snd_wnd, b->snd_wnd, a->ts_recent, b->ts_recent, a->cwnd, b->cwnd,
                    a->priv.last_ack_sent, b->priv.last_ack_sent, a->priv.rcv_adv, b->priv.rcv_adv, a->priv.rcv_q,
                    b->priv.rcv_q);
        fail_msg("endpoints differ after step %u", step);
    }
}

static void test_fastpath_random_streams_match_full_path(void **st)
{
    (void)st;
    struct rng r = {0x9E3779B97F4A7C15ULL};
    static struct pair fast, full, obs;
    static struct tcpsim_tcp_out out;
    unsigned hits = 0, misses = 0, with_data = 0, with_ack = 0, steps = 0;
    for (unsigned conn = 0; conn < 300; conn++) {
        tcpsim_time_t now = TCPSIM_SEC(1) + conn * TCPSIM_MSEC(7);
        pair_open(&full, &r, now);
        for (unsigned i = 0; i < 60; i++, steps++) {
            int dir = (int)below(&r, 2);
            now += below(&r, 50000);
            struct tcpsim_segment g = pair_next(&full, &r, dir);
            fast = full;
            obs = full;
            uint32_t una_before = fast.ep[!dir].snd_una;
            bool hit = tcpsim_tcp_fast_path(&fast.ep[dir], &fast.ep[!dir], &g, now);
            /* the observer's entry (no buffers: store_data is off) takes the
             * same segments and leaves the same endpoints */
            assert_int_equal(tcpsim_tcp_fast_path_obs(obs.ep, dir, &g, now), hit);
            assert_same_ep(&obs.ep[0], &fast.ep[0], steps);
            assert_same_ep(&obs.ep[1], &fast.ep[1], steps);
            full_path(&full.ep[dir], &full.ep[!dir], &g, now, &out);
            if (hit) {
                hits++;
                /* the full path saw nothing worth reporting */
                assert_int_equal(out.ntrans, 0);
                assert_int_equal(out.nnote, 0);
                assert_int_equal(out.nerr, 0);
                assert_int_equal(out.nseg, 0);
                with_data += g.payload_len > 0;
                with_ack += full.ep[!dir].snd_una != una_before;
            } else {
                misses++;
                /* what the fast path may have done before giving up is
                 * what the full path does first: the result is the same */
                full_path(&fast.ep[dir], &fast.ep[!dir], &g, now, &out);
            }
            assert_same_ep(&fast.ep[0], &full.ep[0], steps);
            assert_same_ep(&fast.ep[1], &full.ep[1], steps);
        }
        tcpsim_tcp_free(&full.ep[0]);
        tcpsim_tcp_free(&full.ep[1]);
    }
    print_message("fast path: %u of %u segments (%u with data, %u advancing SND.UNA), %u fell back\n", hits, steps,
                  with_data, with_ack, misses);
    /* both branches were really exercised */
    assert_true(hits > steps / 3);
    assert_true(misses > steps / 20);
    assert_true(with_data > hits / 3);
    assert_true(with_ack > hits / 10);
}

/* One captured segment as the observer runs it (tcpsim_tcp_fast_path, then
 * tcpsim_tcp_fast_path_out, then the full path) on `fast`, and through the
 * full path alone on `full`: both pairs must end byte for byte equal, and
 * where a fast path took it the full path must have reported exactly its
 * transitions (same from, to, reason and time) and nothing else. Returns 0
 * (full path), 1 or 2 (which fast path). */
static int step_both(struct pair *fast, struct pair *full, int dir, const struct tcpsim_segment *g, tcpsim_time_t now,
                     unsigned step)
{
    static struct tcpsim_tcp_out fo, so;
    *fast = *full;
    full_path(&full->ep[dir], &full->ep[!dir], g, now, &so);
    int how = 0;
    if (tcpsim_tcp_fast_path(&fast->ep[dir], &fast->ep[!dir], g, now)) {
        how = 1;
        assert_int_equal(so.ntrans, 0);
    } else {
        tcpsim_tcp_out_reset(&fo);
        if (tcpsim_tcp_fast_path_out(&fast->ep[dir], &fast->ep[!dir], g, now, &fo)) {
            how = 2;
            assert_int_equal(fo.nnote + fo.nerr + fo.nseg + fo.ndeliv, 0);
            assert_int_equal(so.ntrans, fo.ntrans);
            for (size_t i = 0; i < so.ntrans; i++) {
                assert_int_equal(so.trans[i].from, fo.trans[i].from);
                assert_int_equal(so.trans[i].to, fo.trans[i].to);
                assert_int_equal(so.trans[i].why, fo.trans[i].why);
                assert_int_equal(so.trans[i].at, fo.trans[i].at);
            }
        } else {
            /* the untaken fast paths changed nothing the full path would not */
            full_path(&fast->ep[dir], &fast->ep[!dir], g, now, &fo);
        }
    }
    if (how != 0) {
        assert_int_equal(so.nnote, 0);
        assert_int_equal(so.nerr, 0);
        assert_int_equal(so.nseg, 0);
    }
    assert_same_ep(&fast->ep[0], &full->ep[0], step);
    assert_same_ep(&fast->ep[1], &full->ep[1], step);
    return how;
}

/* The receiver alone: the sender's side by the full path on both copies,
 * then tcpsim_tcp_arrives_fast (or, when it declines, the full path) on one
 * and tcpsim_tcp_segment_arrives on the other; same checks as step_both.
 * Returns whether the shortcut took it. */
static bool arrive_both(const struct pair *from, int dir, const struct tcpsim_segment *g, tcpsim_time_t now,
                        unsigned step)
{
    static struct pair x, y;
    static struct tcpsim_tcp_out fo, so;
    x = *from;
    y = *from;
    tcpsim_tcp_out_reset(&fo);
    tcpsim_tcp_out_reset(&so);
    assert_int_equal(tcpsim_tcp_observe_sent(&x.ep[dir], g, now, &fo), TCPSIM_OK);
    assert_int_equal(tcpsim_tcp_observe_sent(&y.ep[dir], g, now, &so), TCPSIM_OK);
    tcpsim_tcp_out_reset(&fo);
    tcpsim_tcp_out_reset(&so);
    assert_int_equal(tcpsim_tcp_segment_arrives(&y.ep[!dir], g, now, &so), TCPSIM_OK);
    static struct tcpsim_tcp_endpoint before;
    before = x.ep[!dir];
    bool hit = tcpsim_tcp_arrives_fast(&x.ep[!dir], g, now, &fo);
    if (hit) {
        assert_int_equal(fo.nnote + fo.nerr + fo.nseg + fo.ndeliv, 0);
        assert_int_equal(so.nnote + so.nerr + so.nseg + so.ndeliv, 0);
        assert_int_equal(so.ntrans, fo.ntrans);
        for (size_t i = 0; i < so.ntrans; i++) {
            assert_int_equal(so.trans[i].from, fo.trans[i].from);
            assert_int_equal(so.trans[i].to, fo.trans[i].to);
            assert_int_equal(so.trans[i].why, fo.trans[i].why);
            assert_int_equal(so.trans[i].at, fo.trans[i].at);
        }
    } else {
        /* declined: nothing reported, nothing changed */
        assert_int_equal(fo.ntrans + fo.nnote + fo.nerr + fo.nseg + fo.ndeliv, 0);
        assert_memory_equal(&x.ep[!dir], &before, sizeof before);
        assert_int_equal(tcpsim_tcp_segment_arrives(&x.ep[!dir], g, now, &fo), TCPSIM_OK);
    }
    assert_same_ep(&x.ep[0], &y.ep[0], step);
    assert_same_ep(&x.ep[1], &y.ep[1], step);
    return hit;
}

/* Whole connections from the handshake's last ACK to the close, both sides
 * closing at random moments (client or server first, or both at once), with
 * the perturbations of pair_next; pure ACKs are common, so the segments that
 * move a state (SYN_RECEIVED -> ESTABLISHED, FIN_WAIT_1 -> FIN_WAIT_2,
 * CLOSING -> TIME_WAIT, LAST_ACK -> CLOSED) come up in every kind of
 * surrounding, taken or not. */
static void test_fastpath_out_random_lifecycles_match_full_path(void **st)
{
    (void)st;
    struct rng r = {0xC0FFEE1234567ULL};
    static struct pair fast, full;
    unsigned steps = 0, hits1 = 0, hits2 = 0, misses = 0, arrived = 0, fin_arrived = 0;
    unsigned moved[TCPSIM_TCP_NSTATES] = {0}; /* fast_path_out hits by the receiver's state before */
    for (unsigned conn = 0; conn < 400; conn++) {
        tcpsim_time_t now = TCPSIM_SEC(2) + conn * TCPSIM_MSEC(11);
        pair_open_to(&full, &r, now, false);
        for (unsigned i = 0; i < 40; i++, steps++) {
            /* the client speaks first most of the time while the server is in SYN_RECEIVED */
            int dir = full.ep[1].state == TCPSIM_TCP_SYN_RECEIVED && below(&r, 4) != 0 ? 0 : (int)below(&r, 2);
            now += below(&r, 50000);
            struct tcpsim_segment g = pair_next(&full, &r, dir);
            if (below(&r, 2) == 0) {
                g.payload_len = 0;
                g.flags = (uint8_t)(g.flags & ~TCPSIM_PSH);
            }
            if (below(&r, 8) == 0 && !full.ep[dir].fin_sent) {
                g.flags |= TCPSIM_FIN;
                /* sent before the peer's FIN arrived: both FINs cross (CLOSING) */
                if (full.ep[dir].priv.peer_fin && below(&r, 2) == 0)
                    g.ack = full.ep[dir].rcv_nxt - 1;
            }
            enum tcpsim_tcp_state before = full.ep[!dir].state;
            bool hit = arrive_both(&full, dir, &g, now, steps);
            arrived += hit;
            fin_arrived += hit && (g.flags & TCPSIM_FIN);
            int how = step_both(&fast, &full, dir, &g, now, steps);
            hits1 += how == 1;
            hits2 += how == 2;
            misses += how == 0;
            if (how == 2 && full.ep[!dir].state != before)
                moved[before]++;
        }
        tcpsim_tcp_free(&full.ep[0]);
        tcpsim_tcp_free(&full.ep[1]);
    }
    print_message("lifecycles: %u segments, %u header prediction, %u pure-ACK path (moved from SYN_RECEIVED %u, "
                  "FIN_WAIT_1 %u, CLOSING %u, LAST_ACK %u), %u full path\n",
                  steps, hits1, hits2, moved[TCPSIM_TCP_SYN_RECEIVED], moved[TCPSIM_TCP_FIN_WAIT_1],
                  moved[TCPSIM_TCP_CLOSING], moved[TCPSIM_TCP_LAST_ACK], misses);
    print_message("receiver alone: %u taken by tcpsim_tcp_arrives_fast (%u FINs)\n", arrived, fin_arrived);
    assert_true(arrived > hits2);
    /* the FINs of the close too (ESTABLISHED -> CLOSE_WAIT, FIN_WAIT_1 -> CLOSING
     * or TIME_WAIT, FIN_WAIT_2 -> TIME_WAIT), each held to the full path */
    assert_true(fin_arrived > 50);
    /* every kind of move was taken by the fast path, and the full path still ran often */
    assert_true(moved[TCPSIM_TCP_SYN_RECEIVED] > 50);
    assert_true(moved[TCPSIM_TCP_FIN_WAIT_1] > 20);
    assert_true(moved[TCPSIM_TCP_LAST_ACK] > 20);
    assert_true(moved[TCPSIM_TCP_CLOSING] > 0);
    assert_true(hits2 > steps / 20);
    assert_true(misses > steps / 5);
}

/* The observer's close by hand: FIN, FIN, then the last ACK moves LAST_ACK to CLOSED. */
static void test_fastpath_out_last_ack_closes(void **st)
{
    (void)st;
    struct rng r = {7};
    static struct pair p;
    static struct tcpsim_tcp_out out;
    do {
        pair_open(&p, &r, TCPSIM_SEC(1));
        if (!p.ts && !p.ep[0].priv.ws_unknown)
            break;
        tcpsim_tcp_free(&p.ep[0]);
        tcpsim_tcp_free(&p.ep[1]);
    } while (1);
    uint32_t c = p.ep[0].snd_nxt, s = p.ep[1].snd_nxt;
    struct tcpsim_segment f1 = mk(0, TCPSIM_ACK | TCPSIM_FIN, c, s, 502, 0);
    full_path(&p.ep[0], &p.ep[1], &f1, TCPSIM_SEC(2), &out);
    struct tcpsim_segment f2 = mk(1, TCPSIM_ACK | TCPSIM_FIN, s, c + 1, 509, 0);
    full_path(&p.ep[1], &p.ep[0], &f2, TCPSIM_SEC(2), &out);
    assert_int_equal(p.ep[0].state, TCPSIM_TCP_TIME_WAIT);
    assert_int_equal(p.ep[1].state, TCPSIM_TCP_LAST_ACK);
    /* an ACK that does not cover the FIN is a duplicate ACK: not taken */
    struct tcpsim_segment a0 = mk(0, TCPSIM_ACK, c + 1, s, 502, 0);
    tcpsim_tcp_out_reset(&out);
    assert_false(tcpsim_tcp_fast_path_out(&p.ep[0], &p.ep[1], &a0, TCPSIM_SEC(3), &out));
    assert_int_equal(out.ntrans, 0);
    struct tcpsim_segment a = mk(0, TCPSIM_ACK, c + 1, s + 1, 502, 0);
    assert_true(tcpsim_tcp_fast_path_out(&p.ep[0], &p.ep[1], &a, TCPSIM_SEC(3), &out));
    assert_int_equal(p.ep[1].state, TCPSIM_TCP_CLOSED);
    assert_int_equal(out.ntrans, 1);
    assert_int_equal(out.trans[0].from, TCPSIM_TCP_LAST_ACK);
    assert_int_equal(out.trans[0].to, TCPSIM_TCP_CLOSED);
    assert_int_equal(out.trans[0].why, TCPSIM_WHY_FIN_ACKED);
    assert_int_equal(p.ep[0].state, TCPSIM_TCP_TIME_WAIT);
    /* data, a SYN or a NULL argument never */
    struct tcpsim_segment d = mk(0, TCPSIM_ACK, c + 1, s + 1, 502, 10);
    assert_false(tcpsim_tcp_fast_path_out(&p.ep[0], &p.ep[1], &d, TCPSIM_SEC(4), &out));
    assert_false(tcpsim_tcp_fast_path_out(&p.ep[0], &p.ep[1], &a, TCPSIM_SEC(4), NULL));
    tcpsim_tcp_free(&p.ep[0]);
    tcpsim_tcp_free(&p.ep[1]);
}

/* tcpsim_tcp_init_copy makes what tcpsim_tcp_init makes, and refuses what it cannot copy. */
static void test_init_copy_same_as_init(void **st)
{
    (void)st;
    static struct tcpsim_tcp_endpoint tmpl, a, b;
    struct tcpsim_tcp_config cfg;
    for (int k = 0; k < 3; k++) {
        memset(&cfg, 0, sizeof cfg);
        obs_cfg(&cfg);
        if (k == 1) {
            cfg.mss = 1200;
            cfg.wscale = 20; /* clamped to 14 by init */
            cfg.opt_ts = false;
        } else if (k == 2) {
            tcpsim_tcp_config_default(&cfg, TCPSIM_PROFILE_LINUX);
            cfg.store_data = false;
        }
        memset(&a, 0xAB, sizeof a);
        memset(&b, 0xCD, sizeof b);
        assert_int_equal(tcpsim_tcp_init(&tmpl, &cfg, 1, 2), TCPSIM_OK);
        assert_int_equal(tcpsim_tcp_init(&a, &cfg, 443, 51000), TCPSIM_OK);
        assert_int_equal(tcpsim_tcp_init_copy(&b, &tmpl, 443, 51000), TCPSIM_OK);
        assert_memory_equal(&a, &b, sizeof a);
        tcpsim_tcp_free(&a);
        tcpsim_tcp_free(&b);
    }
    /* used (observed) or holding buffers: refused */
    static struct tcpsim_tcp_out out;
    struct tcpsim_segment syn = mk(0, TCPSIM_SYN, 1000, 0, 65535, 0);
    tcpsim_tcp_out_reset(&out);
    assert_int_equal(tcpsim_tcp_observe_sent(&tmpl, &syn, 0, &out), TCPSIM_OK);
    assert_int_equal(tcpsim_tcp_init_copy(&b, &tmpl, 1, 2), TCPSIM_ERR_INVALID);
    tcpsim_tcp_free(&tmpl);
    tcpsim_tcp_config_default(&cfg, TCPSIM_PROFILE_RFC);
    assert_int_equal(tcpsim_tcp_init(&tmpl, &cfg, 1, 2), TCPSIM_OK);
    assert_int_equal(tcpsim_tcp_init_copy(&b, &tmpl, 1, 2), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_init_copy(NULL, &tmpl, 1, 2), TCPSIM_ERR_INVALID);
    tcpsim_tcp_free(&tmpl);
}

/* A template in LISTEN (init, then a passive OPEN) copies to what init and
 * the same OPEN make; an active OPEN or a LISTEN reached otherwise is refused. */
static void test_init_copy_listen_same_as_init_and_open(void **st)
{
    (void)st;
    static struct tcpsim_tcp_endpoint tmpl, a, b;
    static struct tcpsim_tcp_out out;
    struct tcpsim_tcp_config cfg;
    for (int k = 0; k < 2; k++) {
        memset(&cfg, 0, sizeof cfg);
        obs_cfg(&cfg);
        if (k == 1) {
            tcpsim_tcp_config_default(&cfg, TCPSIM_PROFILE_LINUX);
            cfg.store_data = false;
            cfg.mss = 1380;
        }
        memset(&a, 0xAB, sizeof a);
        memset(&b, 0xCD, sizeof b);
        assert_int_equal(tcpsim_tcp_init(&tmpl, &cfg, 1, 2), TCPSIM_OK);
        assert_int_equal(tcpsim_tcp_open(&tmpl, false, 5, &out), TCPSIM_OK);
        assert_int_equal(tcpsim_tcp_init(&a, &cfg, 443, 51000), TCPSIM_OK);
        assert_int_equal(tcpsim_tcp_open(&a, false, 777, &out), TCPSIM_OK);
        assert_int_equal(tcpsim_tcp_init_copy(&b, &tmpl, 443, 51000), TCPSIM_OK);
        assert_int_equal(b.state, TCPSIM_TCP_LISTEN);
        assert_memory_equal(&a, &b, sizeof a);
        /* and it answers a SYN as the one made by hand does */
        struct tcpsim_segment syn = mk(0, TCPSIM_SYN, 1000, 0, 65535, 0);
        tcpsim_tcp_out_reset(&out);
        assert_int_equal(tcpsim_tcp_segment_arrives(&a, &syn, 900, &out), TCPSIM_OK);
        tcpsim_tcp_out_reset(&out);
        assert_int_equal(tcpsim_tcp_segment_arrives(&b, &syn, 900, &out), TCPSIM_OK);
        assert_int_equal(b.state, TCPSIM_TCP_SYN_RECEIVED);
        assert_memory_equal(&a, &b, sizeof a);
        tcpsim_tcp_free(&tmpl);
    }
    /* SYN_SENT (active OPEN) is not a template */
    obs_cfg(&cfg);
    assert_int_equal(tcpsim_tcp_init(&tmpl, &cfg, 1, 2), TCPSIM_OK);
    tcpsim_tcp_out_reset(&out);
    assert_int_equal(tcpsim_tcp_open(&tmpl, true, 0, &out), TCPSIM_OK);
    assert_int_equal(tcpsim_tcp_init_copy(&b, &tmpl, 1, 2), TCPSIM_ERR_INVALID);
    tcpsim_tcp_free(&tmpl);
}

/* cfg.observer: the user calls that would queue data, close or time out are
 * refused, no timer is armed, no segment is built; a passive OPEN and SEGMENT
 * ARRIVES still work, with the same states and sequence variables as without
 * the flag. */
static void test_observer_flag_refuses_user_calls_and_builds_nothing(void **st)
{
    (void)st;
    static struct tcpsim_tcp_endpoint lt, full;
    static struct tcpsim_tcp_out out;
    struct tcpsim_tcp_config cfg;
    obs_cfg(&cfg);
    cfg.observer = true;
    assert_int_equal(tcpsim_tcp_init(&lt, &cfg, 80, 40000), TCPSIM_OK);
    cfg.observer = false;
    assert_int_equal(tcpsim_tcp_init(&full, &cfg, 80, 40000), TCPSIM_OK);
    size_t got = 0;
    tcpsim_tcp_out_reset(&out);
    assert_int_equal(tcpsim_tcp_open(&lt, true, 0, &out), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_send(&lt, NULL, 10, &got, 0, &out), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_receive(&lt, NULL, 10, &got, 0, &out), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_close(&lt, 0, &out), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_shutdown(&lt, 0, &out), TCPSIM_ERR_INVALID);
    assert_int_equal(tcpsim_tcp_abort(&lt, 0, &out), TCPSIM_ERR_INVALID);
    assert_int_equal(lt.state, TCPSIM_TCP_CLOSED);
    assert_int_equal(out.ntrans + out.nseg, 0);
    /* a passive OPEN, then the client's SYN: SYN_RECEIVED on both, the light
     * one without its SYN-ACK built and without a retransmission timer */
    assert_int_equal(tcpsim_tcp_open(&lt, false, 0, &out), TCPSIM_OK);
    assert_int_equal(tcpsim_tcp_open(&full, false, 0, &out), TCPSIM_OK);
    struct tcpsim_segment syn = mk(0, TCPSIM_SYN, 1000, 0, 65535, 0);
    syn.opts.present = TCPSIM_HAS_MSS | TCPSIM_HAS_TS | TCPSIM_HAS_WSCALE;
    syn.opts.mss = 1400;
    syn.opts.wscale = 7;
    syn.opts.ts_val = 555;
    tcpsim_tcp_out_reset(&out);
    assert_int_equal(tcpsim_tcp_segment_arrives(&full, &syn, 1000, &out), TCPSIM_OK);
    assert_int_equal(out.nseg, 1); /* the full one built its SYN-ACK */
    tcpsim_tcp_out_reset(&out);
    assert_int_equal(tcpsim_tcp_segment_arrives(&lt, &syn, 1000, &out), TCPSIM_OK);
    assert_int_equal(out.nseg, 0);
    assert_int_equal(out.ntrans, 1);
    assert_int_equal(lt.state, TCPSIM_TCP_SYN_RECEIVED);
    assert_int_equal(tcpsim_tcp_next_timeout(&lt), TCPSIM_TIME_NEVER);
    assert_true(tcpsim_tcp_next_timeout(&full) != TCPSIM_TIME_NEVER);
    /* what the SYN-ACK would have left: the same ACK bookkeeping */
    assert_int_equal(lt.priv.last_ack_sent, full.priv.last_ack_sent);
    assert_int_equal(lt.priv.rcv_adv, full.priv.rcv_adv);
    assert_int_equal(lt.snd_nxt, full.snd_nxt);
    assert_int_equal(lt.rcv_nxt, full.rcv_nxt);
    assert_int_equal(lt.rcv_wnd, full.rcv_wnd);
    assert_int_equal(lt.snd_mss, full.snd_mss);
    /* a timeout does nothing on it, even far in the future */
    tcpsim_tcp_out_reset(&out);
    tcpsim_tcp_timeout(&lt, TCPSIM_SEC(3600), &out);
    assert_int_equal(lt.state, TCPSIM_TCP_SYN_RECEIVED);
    assert_int_equal(out.ntrans + out.nseg + out.nnote, 0);
    tcpsim_tcp_free(&lt);
    tcpsim_tcp_free(&full);
}

/* The common case by hand: data at RCV.NXT is taken, its ACK advances SND.UNA. */
/* Random SYN options for the accept test: now and then one the shortcut must
 * decline (a clamped MSS or window scale, text, a FIN, an ACK). */
static void accept_opts(struct rng *r, struct tcpsim_segment *s)
{
    struct tcpsim_tcp_opts *o = &s->opts;
    if (below(r, 4) != 0) {
        o->present |= TCPSIM_HAS_MSS;
        o->mss = below(r, 10) == 0 ? (uint16_t)below(r, 120) : (uint16_t)(500 + below(r, 9000));
    }
    if (below(r, 3) != 0) {
        o->present |= TCPSIM_HAS_WSCALE;
        o->wscale = (uint8_t)(below(r, 10) == 0 ? 15 + below(r, 3) : below(r, 15));
    }
    if (below(r, 2) != 0)
        o->present |= TCPSIM_HAS_SACK_PERM;
    if (below(r, 2) != 0) {
        o->present |= TCPSIM_HAS_TS;
        o->ts_val = rnd(r);
        o->ts_ecr = (s->flags & TCPSIM_ACK) ? rnd(r) : 0;
    }
}

/* tcpsim_tcp_accept_observed against init_copy, SEGMENT ARRIVES (SYN) and
 * observe_sent (SYN-ACK): the same endpoint byte for byte and the same
 * transitions where it is taken; untouched where it declines. */
static void test_accept_observed_random_handshakes_match_full_path(void **st)
{
    (void)st;
    struct rng r = {0xACCE97EDULL};
    static struct tcpsim_tcp_endpoint tmpl, a, b;
    static struct tcpsim_tcp_out oa, ob;
    struct tcpsim_tcp_config cfg;
    unsigned taken = 0, declined = 0;
    for (unsigned i = 0; i < 3000; i++) {
        obs_cfg(&cfg);
        cfg.observer = true;
        if (i % 3 == 1) {
            tcpsim_tcp_config_default(&cfg, TCPSIM_PROFILE_LINUX);
            cfg.store_data = false;
            cfg.observer = true;
            cfg.mss = (uint16_t)(536 + below(&r, 1000));
        }
        cfg.iss = below(&r, 50) == 0 ? 0 : rnd(&r);
        cfg.wscale = (uint8_t)below(&r, 15);
        if (below(&r, 2) != 0)
            cfg.rcv_buf = 1000 + below(&r, 1u << 20); /* below and above the 16-bit field */
        assert_int_equal(tcpsim_tcp_init(&tmpl, &cfg, 0, 0), TCPSIM_OK);
        tcpsim_tcp_out_reset(&oa);
        assert_int_equal(tcpsim_tcp_open(&tmpl, false, 0, &oa), TCPSIM_OK);

        uint8_t sf = TCPSIM_SYN;
        if (below(&r, 20) == 0)
            sf |= below(&r, 2) ? TCPSIM_FIN : TCPSIM_ACK;
        if (below(&r, 10) == 0)
            sf |= TCPSIM_ECE | TCPSIM_CWR;
        uint32_t cseq = rnd(&r);
        struct tcpsim_segment syn =
            mk(0, sf, cseq, (sf & TCPSIM_ACK) ? rnd(&r) : 0, (uint16_t)rnd(&r), below(&r, 20) == 0 ? 10 : 0);
        accept_opts(&r, &syn);
        uint32_t sseq = below(&r, 30) == 0 ? cfg.iss : rnd(&r);
        uint8_t af = TCPSIM_SYN | TCPSIM_ACK;
        if (below(&r, 30) == 0)
            af |= TCPSIM_RST;
        struct tcpsim_segment synack = mk(1, af, sseq, cseq + 1, (uint16_t)rnd(&r), 0);
        accept_opts(&r, &synack);
        tcpsim_time_t t0 = TCPSIM_SEC(1) + below(&r, 1000000), t1 = t0 + below(&r, 100000);

        memset(&a, 0x5A, sizeof a);
        memset(&b, 0x5A, sizeof b);
        assert_int_equal(tcpsim_tcp_init_copy(&a, &tmpl, 80, 40000), TCPSIM_OK);
        tcpsim_tcp_out_reset(&oa);
        assert_int_equal(tcpsim_tcp_segment_arrives(&a, &syn, t0, &oa), TCPSIM_OK);
        assert_int_equal(tcpsim_tcp_observe_sent(&a, &synack, t1, &oa), TCPSIM_OK);

        struct tcpsim_tcp_accept acc = {&syn, &synack, t0, t1, 80, 40000};
        tcpsim_tcp_out_reset(&ob);
        if (tcpsim_tcp_accept_observed(&b, &tmpl, &acc, &ob)) {
            taken++;
            assert_int_equal(oa.nnote + oa.nerr + oa.nseg, 0);
            assert_int_equal(ob.nnote + ob.nerr + ob.nseg, 0);
            assert_int_equal(ob.ntrans, oa.ntrans);
            for (size_t k = 0; k < oa.ntrans; k++) {
                assert_int_equal(ob.trans[k].from, oa.trans[k].from);
                assert_int_equal(ob.trans[k].to, oa.trans[k].to);
                assert_int_equal(ob.trans[k].why, oa.trans[k].why);
                assert_int_equal(ob.trans[k].at, oa.trans[k].at);
            }
            assert_same_ep(&b, &a, i);
        } else {
            declined++;
            assert_int_equal(ob.ntrans, 0);
            struct tcpsim_tcp_endpoint untouched;
            memset(&untouched, 0x5A, sizeof untouched);
            assert_memory_equal(&b, &untouched, sizeof b);
        }
        tcpsim_tcp_free(&tmpl);
    }
    print_message("accept shortcut: %u taken, %u declined\n", taken, declined);
    assert_true(taken > 1500);
    assert_true(declined > 200);
}

/* Same transitions, one by one (from, to, reason, time). */
static void same_trans(const struct tcpsim_tcp_transition *a, const struct tcpsim_tcp_transition *b, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(a[k].from, b[k].from);
        assert_int_equal(a[k].to, b[k].to);
        assert_int_equal(a[k].why, b[k].why);
        assert_int_equal(a[k].at, b[k].at);
    }
}

/* A FIN|ACK from `dir` as the close sends it, now and then one the
 * shortcuts must decline: off SND.NXT, acknowledging too much or too little,
 * with text, URG or without the ACK, an old timestamp, a shut window. */
static struct tcpsim_segment close_fin(struct pair *p, struct rng *r, int dir, uint32_t ack)
{
    uint8_t f = TCPSIM_ACK | TCPSIM_FIN | (below(r, 4) == 0 ? TCPSIM_PSH : 0);
    uint32_t seq = p->ep[dir].snd_nxt;
    size_t len = 0;
    uint16_t w = (uint16_t)(500 + below(r, 60000));
    switch (below(r, 24)) {
    case 0:
        seq += 1 + below(r, 100);
        break;
    case 1:
        seq -= 1 + below(r, 100);
        break;
    case 2:
        ack += 1 + below(r, 3);
        break;
    case 3:
        ack -= 1 + below(r, 3);
        break;
    case 4:
        len = 1 + below(r, 100);
        break;
    case 5:
        f = below(r, 2) ? TCPSIM_FIN : (uint8_t)(f | TCPSIM_URG);
        break;
    case 6:
        w = 0;
        break;
    default:
        break;
    }
    struct tcpsim_segment g = mk(dir, f, seq, ack, w, len);
    if (p->ts) {
        g.opts.present = TCPSIM_HAS_TS;
        p->tsv[dir] += below(r, 3);
        g.opts.ts_val = below(r, 30) == 0 ? p->tsv[dir] - 1000 : p->tsv[dir];
        g.opts.ts_ecr = p->tsv[!dir];
    }
    return g;
}

/* The close (RFC 9293 §3.6): tcpsim_tcp_fin_observed against
 * tcpsim_tcp_observe_sent for the first FIN, and tcpsim_tcp_close_observed
 * against the three calls it stands for (the FIN arriving, the peer's FIN-ACK
 * sent, arriving), after random data, on random connections (either side
 * closing, timestamps, window scaling, mid-stream starts, a FIN_WAIT_2
 * closer): the same endpoints byte for byte and the same transitions, step
 * by step, where taken; nothing changed where declined. */
static void test_close_observed_random_closes_match_full_path(void **st)
{
    (void)st;
    struct rng r = {0xC105EDULL};
    static struct pair full, fast;
    static struct tcpsim_tcp_out fo, o1, o2, o3;
    static struct tcpsim_tcp_endpoint before[2];
    unsigned fin_taken = 0, fin_declined = 0, taken = 0, declined = 0, closer_fw2 = 0, crossed = 0;
    for (unsigned conn = 0; conn < 3000; conn++) {
        tcpsim_time_t now = TCPSIM_SEC(3) + conn * TCPSIM_MSEC(5);
        pair_open(&full, &r, now);
        for (unsigned i = below(&r, 6); i > 0; i--) {
            int dir = (int)below(&r, 2);
            struct tcpsim_segment g = pair_next(&full, &r, dir);
            g.flags = (uint8_t)(g.flags & ~TCPSIM_FIN);
            full_path(&full.ep[dir], &full.ep[!dir], &g, now, &fo);
        }
        /* the first FIN: its sender's step by the shortcut and the long way */
        int closer = (int)below(&r, 2), peer = !closer;
        struct tcpsim_segment fin = close_fin(&full, &r, closer, full.ep[closer].rcv_nxt);
        fast = full;
        tcpsim_tcp_out_reset(&fo);
        tcpsim_tcp_out_reset(&o1);
        assert_int_equal(tcpsim_tcp_observe_sent(&full.ep[closer], &fin, now, &o1), TCPSIM_OK);
        before[0] = fast.ep[closer];
        if (tcpsim_tcp_fin_observed(&fast.ep[closer], &fin, now, &fo)) {
            fin_taken++;
            assert_int_equal(o1.nnote + o1.nerr + o1.nseg, 0);
            assert_int_equal(fo.nnote + fo.nerr + fo.nseg, 0);
            assert_int_equal(fo.ntrans, o1.ntrans);
            same_trans(fo.trans, o1.trans, o1.ntrans);
            assert_same_ep(&fast.ep[closer], &full.ep[closer], conn);
        } else {
            fin_declined++;
            assert_int_equal(fo.ntrans, 0);
            assert_memory_equal(&fast.ep[closer], &before[0], sizeof before[0]);
        }
        /* now and then the peer acknowledged the FIN on its own first (a
         * FIN_WAIT_2 closer), with the FIN still to arrive at the peer in the
         * long way: tcpsim_tcp_close_observed must decline that peer */
        bool early_ack = below(&r, 8) == 0;
        if (early_ack) {
            struct tcpsim_segment a = mk(peer, TCPSIM_ACK, full.ep[peer].snd_nxt, fin.seq + 1, 900, 0);
            full_path(&full.ep[peer], &full.ep[closer], &a, now, &fo);
            closer_fw2 += full.ep[closer].state == TCPSIM_TCP_FIN_WAIT_2;
        }
        now += 1 + below(&r, 50000);
        tcpsim_time_t fin_at = now;
        now += below(&r, 50000);
        /* the peer's FIN-ACK, mostly acknowledging exactly the FIN */
        struct tcpsim_segment reply = close_fin(&full, &r, peer, fin.seq + (uint32_t)fin.payload_len + 1u);
        if (below(&r, 16) == 0)
            reply.flags = TCPSIM_ACK;
        fast = full;
        before[0] = fast.ep[0];
        before[1] = fast.ep[1];
        tcpsim_tcp_out_reset(&o1);
        tcpsim_tcp_out_reset(&o2);
        tcpsim_tcp_out_reset(&o3);
        assert_int_equal(tcpsim_tcp_segment_arrives(&full.ep[peer], &fin, fin_at, &o1), TCPSIM_OK);
        assert_int_equal(tcpsim_tcp_observe_sent(&full.ep[peer], &reply, now, &o2), TCPSIM_OK);
        assert_int_equal(tcpsim_tcp_segment_arrives(&full.ep[closer], &reply, now, &o3), TCPSIM_OK);
        struct tcpsim_tcp_close cl = {&fin, &reply, fin_at, now};
        size_t k[3] = {99, 99, 99};
        tcpsim_tcp_out_reset(&fo);
        if (tcpsim_tcp_close_observed(&fast.ep[closer], &fast.ep[peer], &cl, &fo, k)) {
            taken++;
            assert_false(early_ack);
            assert_int_equal(o1.nnote + o1.nerr + o1.nseg + o2.nnote + o2.nerr + o2.nseg, 0);
            assert_int_equal(o3.nnote + o3.nerr + o3.nseg, 0);
            assert_int_equal(fo.nnote + fo.nerr + fo.nseg, 0);
            assert_int_equal(k[0], o1.ntrans);
            assert_int_equal(k[1], o2.ntrans);
            assert_int_equal(k[2], o3.ntrans);
            assert_int_equal(fo.ntrans, k[0] + k[1] + k[2]);
            same_trans(fo.trans, o1.trans, k[0]);
            same_trans(fo.trans + k[0], o2.trans, k[1]);
            same_trans(fo.trans + k[0] + k[1], o3.trans, k[2]);
            assert_same_ep(&fast.ep[0], &full.ep[0], conn);
            assert_same_ep(&fast.ep[1], &full.ep[1], conn);
            /* RFC 9293 §3.6: the peer waits for its FIN's ACK; the closer in
             * TIME_WAIT when the FIN-ACK acknowledges its FIN (case 1), else
             * in CLOSING (the FINs crossed: case 2) */
            assert_int_equal(fast.ep[peer].state, TCPSIM_TCP_LAST_ACK);
            assert_int_equal(fast.ep[closer].state,
                             reply.ack == fin.seq + 1 ? TCPSIM_TCP_TIME_WAIT : TCPSIM_TCP_CLOSING);
            crossed += reply.ack != fin.seq + 1;
        } else {
            declined++;
            assert_int_equal(fo.ntrans, 0);
            assert_memory_equal(&fast.ep[0], &before[0], sizeof before[0]);
            assert_memory_equal(&fast.ep[1], &before[1], sizeof before[1]);
        }
        tcpsim_tcp_free(&full.ep[0]);
        tcpsim_tcp_free(&full.ep[1]);
    }
    print_message("first FIN: %u taken, %u declined; close step: %u taken (%u FINs crossed), %u declined (%u "
                  "FIN_WAIT_2 closers)\n",
                  fin_taken, fin_declined, taken, crossed, declined, closer_fw2);
    assert_true(fin_taken > 1500);
    assert_true(fin_declined > 300);
    assert_true(taken > 1000);
    assert_true(declined > 500);
    assert_true(closer_fw2 > 100);
    assert_true(crossed > 10);
}

/* tcpsim_tcp_synack_arrives_fast against tcpsim_tcp_segment_arrives in
 * SYN_SENT: random SYNs and SYN-ACKs (options, some the negotiation clamps,
 * ACKs that do not acknowledge the SYN, RST, FIN, text, a bare SYN). */
static void test_synack_arrives_random_handshakes_match_full_path(void **st)
{
    (void)st;
    struct rng r = {0x5A5ACC0ULL};
    static struct tcpsim_tcp_endpoint a, b, before;
    static struct tcpsim_tcp_out oa, ob;
    struct tcpsim_tcp_config cfg;
    unsigned taken = 0, declined = 0;
    for (unsigned i = 0; i < 3000; i++) {
        obs_cfg(&cfg);
        cfg.observer = below(&r, 4) != 0;
        if (i % 4 == 1) {
            tcpsim_tcp_config_default(&cfg, TCPSIM_PROFILE_LINUX);
            cfg.store_data = false;
            cfg.observer = true;
        }
        assert_int_equal(tcpsim_tcp_init(&a, &cfg, 40000, 80), TCPSIM_OK);
        uint32_t cseq = below(&r, 8) == 0 ? 0xFFFFFFFFu - below(&r, 3) : rnd(&r);
        struct tcpsim_segment syn = mk(0, TCPSIM_SYN, cseq, 0, 64240, 0);
        accept_opts(&r, &syn);
        tcpsim_time_t t0 = TCPSIM_SEC(1) + below(&r, 1000000), t1 = t0 + below(&r, 100000);
        tcpsim_tcp_out_reset(&oa);
        assert_int_equal(tcpsim_tcp_observe_sent(&a, &syn, t0, &oa), TCPSIM_OK);
        if (below(&r, 10) == 0) /* the SYN sent again */
            assert_int_equal(tcpsim_tcp_observe_sent(&a, &syn, t0, &oa), TCPSIM_OK);
        uint8_t af = TCPSIM_SYN | TCPSIM_ACK;
        uint32_t ack = cseq + 1;
        size_t len = 0;
        switch (below(&r, 20)) {
        case 0:
            af = TCPSIM_SYN;
            break;
        case 1:
            af |= TCPSIM_RST;
            break;
        case 2:
            af |= TCPSIM_FIN;
            break;
        case 3:
            len = 1 + below(&r, 50);
            break;
        case 4:
            ack = cseq;
            break;
        case 5:
            ack = cseq + 2 + below(&r, 5);
            break;
        case 6:
            af |= (uint8_t)(below(&r, 2) ? TCPSIM_PSH : TCPSIM_ECE);
            break;
        default:
            break;
        }
        struct tcpsim_segment sa = mk(1, af, rnd(&r), ack, (uint16_t)rnd(&r), len);
        accept_opts(&r, &sa);
        b = a;
        before = a;
        tcpsim_tcp_out_reset(&oa);
        tcpsim_tcp_out_reset(&ob);
        assert_int_equal(tcpsim_tcp_segment_arrives(&a, &sa, t1, &oa), TCPSIM_OK);
        if (tcpsim_tcp_synack_arrives_fast(&b, &sa, t1, &ob)) {
            taken++;
            assert_int_equal(oa.nnote + oa.nerr + oa.nseg, 0);
            assert_int_equal(ob.nnote + ob.nerr + ob.nseg, 0);
            assert_int_equal(ob.ntrans, oa.ntrans);
            same_trans(ob.trans, oa.trans, oa.ntrans);
            assert_same_ep(&b, &a, i);
            assert_int_equal(b.state, TCPSIM_TCP_ESTABLISHED);
        } else {
            declined++;
            assert_int_equal(ob.ntrans, 0);
            assert_memory_equal(&b, &before, sizeof b);
        }
        tcpsim_tcp_free(&a);
    }
    print_message("SYN-ACK shortcut: %u taken, %u declined\n", taken, declined);
    assert_true(taken > 1000);
    assert_true(declined > 500);
}

/* tcpsim_tcp_connect_observed against tcpsim_tcp_init_copy and
 * tcpsim_tcp_observe_sent(SYN): random configurations and SYNs (options,
 * some clamped; now and then an ACK, RST, FIN or text on it): the same
 * endpoint byte for byte and transition where taken, untouched where not. */
static void test_connect_observed_random_syns_match_full_path(void **st)
{
    (void)st;
    struct rng r = {0xC0AAEC7EDULL};
    static struct tcpsim_tcp_endpoint tmpl, a, b;
    static struct tcpsim_tcp_out oa, ob;
    struct tcpsim_tcp_config cfg;
    unsigned taken = 0, declined = 0;
    for (unsigned i = 0; i < 3000; i++) {
        obs_cfg(&cfg);
        cfg.observer = below(&r, 4) != 0;
        if (i % 3 == 1) {
            tcpsim_tcp_config_default(&cfg, TCPSIM_PROFILE_LINUX);
            cfg.store_data = false;
            cfg.mss = (uint16_t)(536 + below(&r, 1000));
        }
        cfg.wscale = (uint8_t)below(&r, 15);
        if (below(&r, 2) != 0)
            cfg.rcv_buf = 1000 + below(&r, 1u << 20);
        assert_int_equal(tcpsim_tcp_init(&tmpl, &cfg, 0, 0), TCPSIM_OK);
        uint8_t sf = TCPSIM_SYN;
        if (below(&r, 12) == 0)
            sf |= (uint8_t)(below(&r, 3) == 0 ? TCPSIM_ACK : below(&r, 2) ? TCPSIM_RST : TCPSIM_FIN);
        struct tcpsim_segment syn = mk(0, sf, rnd(&r), 0, (uint16_t)rnd(&r), below(&r, 20) == 0 ? 10 : 0);
        accept_opts(&r, &syn);
        tcpsim_time_t t = TCPSIM_SEC(1) + below(&r, 1000000);
        memset(&a, 0x5A, sizeof a);
        memset(&b, 0x5A, sizeof b);
        assert_int_equal(tcpsim_tcp_init_copy(&a, &tmpl, 40000, 80), TCPSIM_OK);
        tcpsim_tcp_out_reset(&oa);
        assert_int_equal(tcpsim_tcp_observe_sent(&a, &syn, t, &oa), TCPSIM_OK);
        struct tcpsim_tcp_connect con = {&syn, t, 40000, 80};
        tcpsim_tcp_out_reset(&ob);
        if (tcpsim_tcp_connect_observed(&b, &tmpl, &con, &ob)) {
            taken++;
            assert_int_equal(oa.nnote + oa.nerr + oa.nseg, 0);
            assert_int_equal(ob.nnote + ob.nerr + ob.nseg, 0);
            assert_int_equal(ob.ntrans, oa.ntrans);
            same_trans(ob.trans, oa.trans, oa.ntrans);
            assert_same_ep(&b, &a, i);
            assert_int_equal(b.state, TCPSIM_TCP_SYN_SENT);
        } else {
            declined++;
            assert_int_equal(ob.ntrans, 0);
            struct tcpsim_tcp_endpoint untouched;
            memset(&untouched, 0x5A, sizeof untouched);
            assert_memory_equal(&b, &untouched, sizeof b);
        }
        tcpsim_tcp_free(&tmpl);
    }
    print_message("connect shortcut: %u taken, %u declined\n", taken, declined);
    assert_true(taken > 2000);
    assert_true(declined > 100);
}

static void test_fastpath_established_data_then_ack_advances(void **st)
{
    (void)st;
    struct rng r = {42};
    static struct pair p;
    do {
        pair_open(&p, &r, TCPSIM_SEC(1));
        if (!p.ts && p.ep[0].priv.ws_unknown == false)
            break;
        tcpsim_tcp_free(&p.ep[0]);
        tcpsim_tcp_free(&p.ep[1]);
    } while (1);
    uint32_t c_nxt = p.ep[0].snd_nxt, s_nxt = p.ep[1].snd_nxt;
    struct tcpsim_segment d = mk(0, TCPSIM_ACK | TCPSIM_PSH, c_nxt, s_nxt, 502, 100);
    assert_true(tcpsim_tcp_fast_path(&p.ep[0], &p.ep[1], &d, TCPSIM_SEC(2)));
    assert_int_equal(p.ep[0].snd_nxt, c_nxt + 100);
    assert_int_equal(p.ep[1].rcv_nxt, c_nxt + 100);
    assert_int_equal(p.ep[1].priv.last_ack_sent, c_nxt + 100);
    struct tcpsim_segment a = mk(1, TCPSIM_ACK, s_nxt, c_nxt + 100, 509, 0);
    assert_true(tcpsim_tcp_fast_path(&p.ep[1], &p.ep[0], &a, TCPSIM_SEC(3)));
    assert_int_equal(p.ep[0].snd_una, c_nxt + 100);
    assert_int_equal(p.ep[0].snd_wnd, 509u << p.ep[0].snd_wscale);
    /* a FIN, a hole, or a SYN_RECEIVED peer is never predicted */
    struct tcpsim_segment f = mk(0, TCPSIM_ACK | TCPSIM_FIN, c_nxt + 100, s_nxt, 502, 0);
    assert_false(tcpsim_tcp_fast_path(&p.ep[0], &p.ep[1], &f, TCPSIM_SEC(4)));
    struct tcpsim_segment h = mk(0, TCPSIM_ACK, c_nxt + 200, s_nxt, 502, 10);
    assert_false(tcpsim_tcp_fast_path(&p.ep[0], &p.ep[1], &h, TCPSIM_SEC(4)));
    assert_int_equal(p.ep[0].snd_nxt, c_nxt + 100);
    assert_false(tcpsim_tcp_fast_path(NULL, &p.ep[1], &d, TCPSIM_SEC(4)));
    tcpsim_tcp_free(&p.ep[0]);
    tcpsim_tcp_free(&p.ep[1]);
}

const struct CMUnitTest tcp_fastpath_tests[] = {
    cmocka_unit_test(test_fastpath_random_streams_match_full_path),
    cmocka_unit_test(test_fastpath_established_data_then_ack_advances),
    cmocka_unit_test(test_fastpath_out_random_lifecycles_match_full_path),
    cmocka_unit_test(test_fastpath_out_last_ack_closes),
    cmocka_unit_test(test_init_copy_same_as_init),
    cmocka_unit_test(test_accept_observed_random_handshakes_match_full_path),
    cmocka_unit_test(test_init_copy_listen_same_as_init_and_open),
    cmocka_unit_test(test_observer_flag_refuses_user_calls_and_builds_nothing),
    cmocka_unit_test(test_close_observed_random_closes_match_full_path),
    cmocka_unit_test(test_synack_arrives_random_handshakes_match_full_path),
    cmocka_unit_test(test_connect_observed_random_syns_match_full_path),
};
const size_t tcp_fastpath_tests_n = sizeof tcp_fastpath_tests / sizeof tcp_fastpath_tests[0];
