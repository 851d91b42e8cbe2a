/* test_replay_obs.c - the observer's light endpoints against the full model:
 * whole random connections through tcpsim__rp_obs_* twice, once as replay
 * runs it (cfg.observer endpoints: no timers, no segments built; endpoints
 * copied from templates, a LISTEN template for the server and its accept in
 * one step, the client made by its SYN's step; header prediction through
 * tcpsim__rp_obs_predict, as process_tcp calls it, the SYN-ACK's arrival, the
 * pure-ACK path, the first FIN's step and the close in one step) and once on
 * full endpoints without any
 * shortcut (tcpsim__rp_obs_full_model). Everything the replayer reads must
 * agree after every segment: events, retro records, states and their history,
 * and the endpoint variables the observer itself reads.
 * Read first: src/replay/observer.c, RFC 9293 §3.5 (opening, figure 8
 * simultaneous open), §3.6 (closing, half-close, simultaneous close). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay/replay.h"
#include "testutil.h"

/* observer.c: full endpoints (no cfg.observer) and no shortcuts */
void tcpsim__rp_obs_full_model(bool on);

#define MAXSEG 96

/* One captured segment: its direction (0 client to server) and length on the
 * wire (more than payload_len when the snap length cut it). */
struct cap {
    int dir;
    uint32_t seglen;
    struct tcpsim_segment s;
};

struct gen {
    struct rng r;
    uint32_t nxt[2]; /* next sequence number of each side */
    uint32_t tsv[2]; /* each side's timestamp clock */
    bool ts, ws;
    struct cap c[MAXSEG];
    size_t n;
};

static void put(struct gen *g, int dir, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, uint32_t len)
{
    if (g->n == MAXSEG)
        return;
    struct cap *k = &g->c[g->n++];
    memset(k, 0, sizeof *k);
    struct tcpsim_segment *s = &k->s;
    k->dir = dir;
    s->src_port = dir ? 80 : 40000;
    s->dst_port = dir ? 40000 : 80;
    s->seq = seq;
    s->ack = (flags & TCPSIM_ACK) ? ack : 0;
    s->flags = flags;
    s->window = win;
    s->data_offset = 5;
    s->payload_len = len;
    k->seglen = len;
    if (len > 8 && below(&g->r, 40) == 0)
        s->payload_len = len / 2; /* snapped */
    struct tcpsim_tcp_opts *o = &s->opts;
    if (flags & TCPSIM_SYN) {
        o->present |= TCPSIM_HAS_MSS | TCPSIM_HAS_SACK_PERM;
        o->mss = below(&g->r, 8) == 0 ? (uint16_t)(below(&g->r, 200)) : 1460;
        if (g->ws || below(&g->r, 10) == 0) {
            o->present |= TCPSIM_HAS_WSCALE;
            o->wscale = (uint8_t)below(&g->r, 16);
        }
    }
    if (g->ts && !(flags & TCPSIM_RST)) {
        o->present |= TCPSIM_HAS_TS;
        g->tsv[dir] += below(&g->r, 3);
        o->ts_val = below(&g->r, 40) == 0 ? g->tsv[dir] - 1000 : g->tsv[dir]; /* now and then too old (PAWS) */
        o->ts_ecr = (flags & TCPSIM_ACK) ? g->tsv[!dir] : 0;
    }
}

static uint16_t win(struct gen *g)
{
    return below(&g->r, 12) == 0 ? 0 : (uint16_t)(500 + below(&g->r, 65000));
}

/* A loss the peer reports with duplicate ACKs (RFC 5681 §2): side d sends
 * 2-4 segments, the peer acknowledges the first and repeats that ACK three or
 * four times with the same window (fast retransmit, NewReno recovery: RFC
 * 5681 §3.2, RFC 6582), then the rest, in one ACK or with a partial ACK first. */
static void dup_acks(struct gen *g, int d)
{
    uint32_t start = g->nxt[d], first = 0;
    for (uint32_t k = 2 + below(&g->r, 3), i = 0; i < k; i++) {
        uint32_t len = 100 + below(&g->r, 1000);
        put(g, d, TCPSIM_ACK, g->nxt[d], g->nxt[!d], 30000, len);
        if (i == 0)
            first = len;
        g->nxt[d] += len;
    }
    uint16_t w = (uint16_t)(1000 + below(&g->r, 60000));
    for (uint32_t k = 1 + 3 + below(&g->r, 2); k > 0; k--)
        put(g, !d, TCPSIM_ACK, g->nxt[!d], start + first, w, 0);
    if (below(&g->r, 2))
        put(g, !d, TCPSIM_ACK, g->nxt[!d], start + first + 1, w, 0); /* partial */
    put(g, !d, TCPSIM_ACK, g->nxt[!d], g->nxt[d], w, 0);
}

/* Data and ACKs both ways, with losses (a segment not captured), old ACKs,
 * retransmissions, zero windows, URG and duplicate ACKs. */
static void data_phase(struct gen *g, unsigned steps, int only_dir)
{
    for (unsigned i = 0; i < steps; i++) {
        if (only_dir < 0 && below(&g->r, 30) == 0) {
            dup_acks(g, (int)below(&g->r, 2));
            continue;
        }
        int d = only_dir >= 0 ? only_dir : (int)below(&g->r, 2);
        uint32_t len = below(&g->r, 3) == 0 ? 0 : 1 + below(&g->r, 1460);
        uint32_t seq = g->nxt[d], ack = g->nxt[!d];
        if (below(&g->r, 10) == 0)
            ack -= below(&g->r, 3000); /* old */
        if (below(&g->r, 25) == 0 && len > 0)
            seq -= below(&g->r, 3000); /* retransmission of older bytes */
        uint8_t f = TCPSIM_ACK | (len > 0 && below(&g->r, 2) ? TCPSIM_PSH : 0);
        if (below(&g->r, 40) == 0)
            f |= TCPSIM_URG;
        if (below(&g->r, 12) != 0)
            put(g, d, f, seq, ack, win(g), len);
        if (seq == g->nxt[d])
            g->nxt[d] += len;
    }
}

static void fin(struct gen *g, int d)
{
    put(g, d, TCPSIM_FIN | TCPSIM_ACK, g->nxt[d], g->nxt[!d], win(g), 0);
    g->nxt[d] += 1;
}

static void ack(struct gen *g, int d)
{
    put(g, d, TCPSIM_ACK, g->nxt[d], g->nxt[!d], win(g), 0);
}

/* A whole connection: a start (normal handshake with repeats, refused, silent
 * server, SYN-ACK first, mid-stream, simultaneous open), data, an end (FIN
 * then FIN, FIN with FIN-ACK, simultaneous close, half-close with data after
 * it, server closes first, RST, none), then losses, duplicates and swaps, and
 * now and then a stray segment. */
static void gen_conn(struct gen *g)
{
    struct rng *r = &g->r;
    g->n = 0;
    g->ts = below(r, 3) != 0;
    g->ws = below(r, 3) != 0;
    g->tsv[0] = rnd(r);
    g->tsv[1] = rnd(r);
    uint32_t ci = below(r, 6) == 0 ? 0xFFFFFF00u + below(r, 250) : rnd(r); /* near the wrap now and then */
    uint32_t si = rnd(r);
    g->nxt[0] = ci + 1;
    g->nxt[1] = si + 1;
    bool open = true;
    switch (below(r, 10)) {
    case 0:
    case 1:
    case 2:
    case 3: /* handshake, with repeated SYN / SYN-ACK, another ISN, a lost last ACK */
        put(g, 0, TCPSIM_SYN, ci, 0, 65535, 0);
        for (uint32_t k = below(r, 3); k > 0; k--)
            put(g, 0, TCPSIM_SYN, ci, 0, 65535, 0);
        if (below(r, 10) == 0) {
            ci = rnd(r);
            g->nxt[0] = ci + 1;
            put(g, 0, TCPSIM_SYN, ci, 0, 65535, 0);
        }
        put(g, 1, TCPSIM_SYN | TCPSIM_ACK, si, ci + 1, 65535, 0);
        if (below(r, 6) == 0)
            put(g, 1, TCPSIM_SYN | TCPSIM_ACK, si, ci + 1, 65535, 0);
        if (below(r, 6) != 0)
            ack(g, 0);
        break;
    case 4: /* refused */
        put(g, 0, TCPSIM_SYN, ci, 0, 65535, 0);
        put(g, 1, TCPSIM_RST | TCPSIM_ACK, 0, ci + 1, 0, 0);
        if (below(r, 2))
            put(g, 0, TCPSIM_SYN, ci, 0, 65535, 0);
        open = false;
        break;
    case 5: /* a silent server, sometimes answering late */
        for (uint32_t k = 1 + below(r, 3); k > 0; k--)
            put(g, 0, TCPSIM_SYN, ci, 0, 65535, 0);
        open = below(r, 2) == 0;
        if (open) {
            put(g, 1, TCPSIM_SYN | TCPSIM_ACK, si, ci + 1, 65535, 0);
            ack(g, 0);
        }
        break;
    case 6: /* the SYN was not captured */
        put(g, 1, TCPSIM_SYN | TCPSIM_ACK, si, ci + 1, 65535, 0);
        ack(g, 0);
        break;
    case 7: /* mid-stream */
        break;
    case 8: /* simultaneous open (RFC 9293 §3.5 figure 8) */
        put(g, 0, TCPSIM_SYN, ci, 0, 65535, 0);
        put(g, 1, TCPSIM_SYN, si, 0, 65535, 0);
        put(g, 0, TCPSIM_SYN | TCPSIM_ACK, ci, si + 1, 65535, 0);
        put(g, 1, TCPSIM_SYN | TCPSIM_ACK, si, ci + 1, 65535, 0);
        if (below(r, 2))
            ack(g, 0);
        break;
    default: /* the server SYNs back without answering: a stray */
        put(g, 0, TCPSIM_SYN, ci, 0, 65535, 0);
        put(g, 1, TCPSIM_RST, si, 0, 0, 0);
        break;
    }
    if (open)
        data_phase(g, below(r, 14), -1);
    switch (open ? below(r, 8) : 7) {
    case 0: /* client FIN, ACK, server FIN, ACK */
        fin(g, 0);
        ack(g, 1);
        fin(g, 1);
        ack(g, 0);
        break;
    case 1: /* FIN, FIN-ACK, ACK */
        fin(g, 0);
        fin(g, 1);
        ack(g, 0);
        break;
    case 2: /* simultaneous close: each FIN sent before the other arrived */
        put(g, 0, TCPSIM_FIN | TCPSIM_ACK, g->nxt[0], g->nxt[1], win(g), 0);
        put(g, 1, TCPSIM_FIN | TCPSIM_ACK, g->nxt[1], g->nxt[0], win(g), 0);
        g->nxt[0]++;
        g->nxt[1]++;
        ack(g, 0);
        ack(g, 1);
        break;
    case 3: /* half-close: the server goes on sending */
        fin(g, 0);
        ack(g, 1);
        data_phase(g, 1 + below(r, 6), 1);
        ack(g, 0);
        fin(g, 1);
        ack(g, 0);
        break;
    case 4: { /* RST from either side, at its SND.NXT or elsewhere */
        int d = (int)below(r, 2);
        uint32_t seq = below(r, 3) ? g->nxt[d] : g->nxt[d] + below(r, 100000);
        put(g, d, (uint8_t)(TCPSIM_RST | (below(r, 2) ? TCPSIM_ACK : 0)), seq, g->nxt[!d], 0, 0);
        break;
    }
    case 5: /* the server closes first */
        fin(g, 1);
        ack(g, 0);
        data_phase(g, below(r, 3), 0);
        fin(g, 0);
        ack(g, 1);
        break;
    case 6: /* FIN with data on it, and it repeated */
        put(g, 0, TCPSIM_FIN | TCPSIM_ACK | TCPSIM_PSH, g->nxt[0], g->nxt[1], win(g), 100);
        g->nxt[0] += 101;
        if (below(r, 2))
            put(g, 0, TCPSIM_FIN | TCPSIM_ACK, g->nxt[0] - 101, g->nxt[1], win(g), 100);
        fin(g, 1);
        ack(g, 0);
        break;
    default: /* the capture ends here */
        break;
    }
    /* losses, duplicates, swaps, strays */
    for (size_t i = 0; i < g->n; i++) {
        uint32_t k = below(r, 40);
        if (k == 0) {
            memmove(&g->c[i], &g->c[i + 1], (g->n - i - 1) * sizeof g->c[0]);
            g->n--;
        } else if (k == 1 && g->n < MAXSEG) {
            memmove(&g->c[i + 1], &g->c[i], (g->n - i) * sizeof g->c[0]);
            g->n++;
            i++;
        } else if (k == 2 && i + 1 < g->n) {
            struct cap t = g->c[i];
            g->c[i] = g->c[i + 1];
            g->c[i + 1] = t;
            i++;
        } else if (k == 3 && g->n < MAXSEG) {
            static const uint8_t fl[] = {TCPSIM_SYN,
                                         TCPSIM_SYN | TCPSIM_ACK,
                                         TCPSIM_RST,
                                         TCPSIM_RST | TCPSIM_ACK,
                                         TCPSIM_FIN | TCPSIM_ACK,
                                         TCPSIM_ACK,
                                         TCPSIM_FIN,
                                         0};
            int d = (int)below(r, 2);
            size_t at = g->n;
            put(g, d, fl[below(r, sizeof fl)], g->nxt[d] + below(r, 3000) - 1500, g->nxt[!d] + below(r, 3000) - 1500,
                win(g), below(r, 2) ? 0 : below(r, 500));
            struct cap t = g->c[at];
            memmove(&g->c[i + 1], &g->c[i], (at - i) * sizeof g->c[0]);
            g->c[i] = t;
            i++;
        }
    }
}

static void same_ep(const struct tcpsim_tcp_endpoint *a, const struct tcpsim_tcp_endpoint *b)
{
    assert_int_equal(a->state, b->state);
    assert_int_equal(a->iss, b->iss);
    assert_int_equal(a->irs, b->irs);
    assert_int_equal(a->snd_una, b->snd_una);
    assert_int_equal(a->snd_nxt, b->snd_nxt);
    assert_int_equal(a->snd_max, b->snd_max);
    assert_int_equal(a->snd_wnd, b->snd_wnd);
    assert_int_equal(a->snd_wl1, b->snd_wl1);
    assert_int_equal(a->snd_wl2, b->snd_wl2);
    assert_int_equal(a->rcv_nxt, b->rcv_nxt);
    assert_int_equal(a->rcv_wnd, b->rcv_wnd);
    assert_int_equal(a->ts_recent, b->ts_recent);
    assert_int_equal(a->snd_mss, b->snd_mss);
    assert_int_equal(a->ws_ok, b->ws_ok);
    assert_int_equal(a->snd_wscale, b->snd_wscale);
    assert_int_equal(a->rcv_wscale, b->rcv_wscale);
    assert_int_equal(a->sack_ok, b->sack_ok);
    assert_int_equal(a->ts_ok, b->ts_ok);
    assert_int_equal(a->passive, b->passive);
    assert_int_equal(a->fin_queued, b->fin_queued);
    assert_int_equal(a->fin_sent, b->fin_sent);
    assert_int_equal(a->fin_seq, b->fin_seq);
    assert_int_equal(a->in_recovery, b->in_recovery);
    assert_int_equal(a->dup_acks, b->dup_acks);
    assert_int_equal(a->recover, b->recover);
    /* the light observer (a) keeps no congestion window (tcpsim__cc_init): it
     * limits nothing an observer does; the full model's (b) is not compared */
    assert_int_equal(a->cwnd, 0);
    assert_int_equal(a->ssthresh, 0);
    assert_int_equal(a->priv.observer, b->priv.observer);
    assert_int_equal(a->priv.peer_fin, b->priv.peer_fin);
    assert_int_equal(a->priv.last_ack_sent, b->priv.last_ack_sent);
    assert_int_equal(a->priv.rcv_adv, b->priv.rcv_adv);
    assert_int_equal(a->priv.obs_edge, b->priv.obs_edge);
    assert_int_equal(a->priv.obs_edge_set, b->priv.obs_edge_set);
    assert_int_equal(a->priv.max_snd_wnd, b->priv.max_snd_wnd);
    assert_int_equal(a->priv.nooo, b->priv.nooo);
    assert_int_equal(a->priv.ws_unknown, b->priv.ws_unknown);
}

static void same_ev(const struct tcpsim_rp_event *a, const struct tcpsim_rp_event *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(a[i].endpoint, b[i].endpoint);
        assert_int_equal(a[i].from, b[i].from);
        assert_int_equal(a[i].to, b[i].to);
        assert_int_equal(a[i].why, b[i].why);
    }
}

static void same_retro(const struct tcpsim_rp_retro *a, const struct tcpsim_rp_retro *b)
{
    assert_int_equal(a->set, b->set);
    if (!a->set)
        return;
    assert_int_equal(a->patch_before, b->patch_before);
    assert_int_equal(a->side, b->side);
    assert_int_equal(a->frame, b->frame);
    assert_int_equal(a->before, b->before);
    assert_int_equal(a->after, b->after);
    assert_int_equal(a->nev, b->nev);
    same_ev(a->ev, b->ev, a->nev);
}

/* What the views read of a connection, and the endpoints once both exist. */
static void same_conn(const struct tcpsim_rp_conn *a, const struct tcpsim_rp_conn *b)
{
    assert_int_equal(a->obs_ok, b->obs_ok);
    assert_int_equal(a->pend_active, b->pend_active);
    assert_int_equal(a->pend_assumed, b->pend_assumed);
    assert_int_equal(a->pfin_active, b->pfin_active);
    assert_int_equal(a->inferred, b->inferred);
    assert_int_equal(a->server_inferred, b->server_inferred);
    assert_int_equal(tcpsim__rp_obs_unresolved(a), tcpsim__rp_obs_unresolved(b));
    for (int side = 0; side < 2; side++) {
        assert_int_equal(tcpsim__rp_obs_state(a, side), tcpsim__rp_obs_state(b, side));
        assert_int_equal(tcpsim__rp_obs_known(a, side), tcpsim__rp_obs_known(b, side));
        assert_int_equal(a->nstates[side], b->nstates[side]);
        assert_memory_equal(a->states[side], b->states[side], a->nstates[side] * sizeof a->states[side][0]);
        assert_int_equal(a->states_overflow[side], b->states_overflow[side]);
    }
    if (a->obs_ok) {
        /* (after a SYN first, the light client is made by the SYN's step) */
        if (a->ep[0].priv.live)
            same_ep(&a->ep[0], &b->ep[0]);
        if (!a->pend_active)
            same_ep(&a->ep[1], &b->ep[1]);
    }
}

static struct tcpsim_rp_conn *conn_new(void)
{
    struct tcpsim_rp_conn *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->port[0] = 40000;
    c->port[1] = 80;
    return c;
}

static unsigned predicted; /* steps the light observer's header prediction took */

/* One step on both: `light` as replay runs it (tcpsim__rp_obs_predict first,
 * as process_tcp calls it), `full` on the full model. */
static size_t step(struct tcpsim_rp_conn *light, struct tcpsim_rp_conn *full, const struct cap *k, tcpsim_ns_t ts,
                   uint64_t frame, size_t *nev_full, struct tcpsim_rp_event *evl, struct tcpsim_rp_event *evf,
                   struct tcpsim_rp_retro *rl, struct tcpsim_rp_retro *rf)
{
    tcpsim__rp_obs_full_model(false);
    size_t nl = 0;
    if (tcpsim__rp_obs_predict(light, k->dir, &k->s, k->seglen, ts)) {
        predicted++;
        rl->set = false;
    } else {
        nl = tcpsim__rp_obs_segment(light, k->dir, &k->s, k->seglen, ts, frame, evl, TCPSIM_RP_MAX_EVENTS, rl);
    }
    tcpsim__rp_obs_full_model(true);
    *nev_full = tcpsim__rp_obs_segment(full, k->dir, &k->s, k->seglen, ts, frame, evf, TCPSIM_RP_MAX_EVENTS, rf);
    tcpsim__rp_obs_full_model(false);
    return nl;
}

static unsigned recovering; /* steps after which the full model was in fast recovery */

static unsigned run_conns(uint64_t seed, unsigned nconn, unsigned *transitions)
{
    struct gen *g = calloc(1, sizeof *g);
    assert_non_null(g);
    g->r.s = seed;
    unsigned segs = 0;
    for (unsigned ci = 0; ci < nconn; ci++) {
        gen_conn(g);
        if (g->n == 0)
            continue;
        struct tcpsim_rp_conn *a = conn_new(), *b = conn_new();
        tcpsim_ns_t ts = 1000000000ull + (tcpsim_ns_t)below(&g->r, 1000000) * 1000u;
        for (size_t i = 0; i < g->n; i++) {
            const struct cap *k = &g->c[i];
            ts += (tcpsim_ns_t)(1 + below(&g->r, 80000)) * 1000u;
            if (i == 0) {
                /* replay.c: a SYN-ACK seen first makes its receiver the client */
                int dir = (k->s.flags & (TCPSIM_SYN | TCPSIM_ACK)) == (TCPSIM_SYN | TCPSIM_ACK) ? 1 : 0;
                if (dir != k->dir) {
                    /* keep the generator's roles: relabel this connection */
                    for (size_t j = 0; j < g->n; j++)
                        g->c[j].dir = g->c[j].dir == k->dir ? dir : !dir;
                }
                tcpsim__rp_obs_full_model(false);
                tcpsim__rp_obs_init(a, k->dir, &k->s);
                tcpsim__rp_obs_full_model(true);
                tcpsim__rp_obs_init(b, k->dir, &k->s);
                tcpsim__rp_obs_full_model(false);
                same_conn(a, b);
            }
            if (!a->obs_ok)
                break;
            struct tcpsim_rp_event evl[TCPSIM_RP_MAX_EVENTS], evf[TCPSIM_RP_MAX_EVENTS];
            struct tcpsim_rp_retro rl, rf;
            size_t nf = 0;
            size_t nl = step(a, b, k, ts, 1000 + i, &nf, evl, evf, &rl, &rf);
            assert_int_equal(nl, nf);
            same_ev(evl, evf, nl);
            same_retro(&rl, &rf);
            same_conn(a, b);
            assert_true(!a->obs_ok || a->ep[0].priv.live); /* every step leaves the client made */
            recovering += b->obs_ok && (b->ep[0].in_recovery || (!b->pend_active && b->ep[1].in_recovery));
            *transitions += (unsigned)nl + (rl.set ? (unsigned)rl.nev : 0u);
            segs++;
            /* replay decides open questions early when its FIFO is full */
            if (below(&g->r, 15) == 0 && tcpsim__rp_obs_unresolved(a)) {
                tcpsim__rp_obs_full_model(false);
                tcpsim__rp_obs_resolve(a, &rl);
                tcpsim__rp_obs_full_model(true);
                tcpsim__rp_obs_resolve(b, &rf);
                tcpsim__rp_obs_full_model(false);
                same_retro(&rl, &rf);
                same_conn(a, b);
            }
        }
        while (a->obs_ok && tcpsim__rp_obs_unresolved(a)) {
            struct tcpsim_rp_retro rl, rf;
            tcpsim__rp_obs_full_model(false);
            tcpsim__rp_obs_resolve(a, &rl);
            tcpsim__rp_obs_full_model(true);
            tcpsim__rp_obs_resolve(b, &rf);
            tcpsim__rp_obs_full_model(false);
            same_retro(&rl, &rf);
            same_conn(a, b);
        }
        tcpsim__rp_obs_free(a);
        tcpsim__rp_obs_free(b);
        free(a);
        free(b);
    }
    free(g);
    return segs;
}

/* 3000 random connections; the generator must reach every kind of start and
 * end (so this cannot pass on an empty run). */
static void test_observer_random_connections_light_matches_full(void **st)
{
    (void)st;
    unsigned transitions = 0;
    unsigned segs = run_conns(0xB0B5EED5ULL, 3000, &transitions);
    print_message("%u segments, %u transitions compared, %u in fast recovery, %u predicted\n", segs, transitions,
                  recovering, predicted);
    assert_true(segs > 30000);
    assert_true(predicted > segs / 10); /* the header prediction is compared, not only the long way */
    assert_true(transitions > 10000);
    assert_true(recovering > 100); /* the light observer keeps fast recovery as the full model does */
}

/* The states a light observer reaches on the common connection, by hand: the
 * comparison above is only as good as the full model, so pin it once. */
static void test_observer_handshake_and_close_states(void **st)
{
    (void)st;
    struct tcpsim_rp_conn *c = conn_new();
    struct gen g;
    memset(&g, 0, sizeof g);
    g.r.s = 7;
    put(&g, 0, TCPSIM_SYN, 1000, 0, 65535, 0);
    put(&g, 1, TCPSIM_SYN | TCPSIM_ACK, 5000, 1001, 65535, 0);
    put(&g, 0, TCPSIM_ACK, 1001, 5001, 65535, 0);
    put(&g, 0, TCPSIM_FIN | TCPSIM_ACK, 1001, 5001, 65535, 0);
    put(&g, 1, TCPSIM_FIN | TCPSIM_ACK, 5001, 1002, 65535, 0);
    put(&g, 0, TCPSIM_ACK, 1002, 5002, 65535, 0);
    for (size_t i = 0; i < g.n; i++)
        g.c[i].s.opts.present = 0, g.c[i].s.payload_len = g.c[i].seglen = 0;
    tcpsim__rp_obs_full_model(false);
    tcpsim__rp_obs_init(c, 0, &g.c[0].s);
    struct tcpsim_rp_event ev[TCPSIM_RP_MAX_EVENTS];
    struct tcpsim_rp_retro rt;
    for (size_t i = 0; i < g.n; i++)
        (void)tcpsim__rp_obs_segment(c, g.c[i].dir, &g.c[i].s, 0, (tcpsim_ns_t)(i + 1) * 1000000u, i + 1, ev,
                                     TCPSIM_RP_MAX_EVENTS, &rt);
    static const enum tcpsim_tcp_state cl[] = {TCPSIM_TCP_CLOSED, TCPSIM_TCP_SYN_SENT, TCPSIM_TCP_ESTABLISHED,
                                               TCPSIM_TCP_FIN_WAIT_1, TCPSIM_TCP_TIME_WAIT};
    static const enum tcpsim_tcp_state sv[] = {TCPSIM_TCP_LISTEN,     TCPSIM_TCP_SYN_RECEIVED, TCPSIM_TCP_ESTABLISHED,
                                               TCPSIM_TCP_CLOSE_WAIT, TCPSIM_TCP_LAST_ACK,     TCPSIM_TCP_CLOSED};
    assert_int_equal(c->nstates[0], sizeof cl / sizeof cl[0]);
    assert_memory_equal(c->states[0], cl, sizeof cl);
    assert_int_equal(c->nstates[1], sizeof sv / sizeof sv[0]);
    assert_memory_equal(c->states[1], sv, sizeof sv);
    /* the light endpoints ran no timer */
    assert_true(c->ep[0].cfg.observer && c->ep[1].cfg.observer);
    assert_int_equal(tcpsim_tcp_next_timeout(&c->ep[0]), TCPSIM_TIME_NEVER);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_observer_random_connections_light_matches_full),
        cmocka_unit_test(test_observer_handshake_and_close_states),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
