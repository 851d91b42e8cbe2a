/* observer.c - the passive observer: each side of a captured connection is one
 * RFC 9293 endpoint (src/tcp). A captured segment is first its sender's own
 * action (tcpsim_tcp_observe_sent), then SEGMENT ARRIVES at the peer, so both
 * endpoints' states are known after every segment.
 * Read first: RFC 9293 §3.3.2 (state diagram), §3.10.7 (SEGMENT ARRIVES),
 * §3.5 (establishing a connection), §3.6 (closing). */
#include "replay/replay.h"

#include <string.h>

/* The server has not spoken yet: LISTEN and a closed port look alike until
 * its first segment (a SYN-ACK means it listened, an RST that it did not).
 * Until then its state is unknown (JSON null, tcpsim__rp_obs_known) and the
 * client's latest SYN is kept in c->pend (replay.h); its first segment decides
 * the whole history: ["LISTEN","SYN_RECEIVED",...] or ["CLOSED"]. */
static struct tcpsim_rp_pending *pend(struct tcpsim_rp_conn *c)
{
    return &c->pend;
}

static tcpsim_time_t usec(tcpsim_ns_t ns)
{
    return ns / 1000u;
}

static void push_state(struct tcpsim_rp_conn *c, int side, enum tcpsim_tcp_state s)
{
    unsigned n = c->nstates[side];
    if (n > 0 && c->states[side][n - 1] == s)
        return;
    if (n < TCPSIM_RP_MAX_STATES) {
        c->states[side][n] = s;
        c->nstates[side] = (uint8_t)(n + 1);
    } else {
        c->states_overflow[side] = true;
    }
}

/* Transitions tr[0..nt) of one endpoint step (the from == to ones are not
 * changes) as events, up to `cap` of them, and each new state on the side's
 * history. Inline in its few callers: a call per endpoint step cost more than
 * the copying. */
__attribute__((always_inline)) static inline size_t take_range(struct tcpsim_rp_conn *c, int side,
                                                               const struct tcpsim_tcp_transition *tr, size_t nt,
                                                               struct tcpsim_rp_event *ev, size_t n, size_t cap)
{
    for (size_t i = 0; i < nt; i++) {
        const struct tcpsim_tcp_transition *t = &tr[i];
        const enum tcpsim_tcp_state to = t->to;
        if (t->from == to)
            continue;
        if (n < cap) {
            struct tcpsim_rp_event *e = &ev[n++];
            e->endpoint = side ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT;
            e->from = t->from;
            e->to = to;
            e->why = t->why;
        }
        push_state(c, side, to);
    }
    return n;
}

/* The endpoint's transitions (all of `out`'s) as events. Most calls have
 * nothing to take (the sender's side of a segment). */
static inline size_t take_trans(struct tcpsim_rp_conn *c, int side, const struct tcpsim_tcp_out *out,
                                struct tcpsim_rp_event *ev, size_t n, size_t cap)
{
    return out->ntrans == 0 ? n : take_range(c, side, out->trans, out->ntrans, ev, n, cap);
}

bool tcpsim__rp_obs_known(const struct tcpsim_rp_conn *c, int side)
{
    return !(side == TCPSIM_SIDE_SERVER && c->obs_ok && c->pend_active);
}

/* Per thread (two replayers may run at once in a program): the scratch
 * output, big, and the templates below. */
static _Thread_local struct tcpsim_tcp_out scratch_out;

/* tcpsim_tcp_out_reset, inline: the scratch output is reset before every
 * endpoint step (several per segment of the handshake and the close). */
static inline void out_reset(struct tcpsim_tcp_out *out)
{
    out->nseg = out->ntrans = out->ndeliv = out->nerr = out->nnote = 0;
    out->dropped_notes = out->dropped_segs = 0;
}

/* Endpoints are made by copying a prepared one (tcpsim_tcp_init_copy) rather
 * than set up field by field: every connection starts both with the same
 * configuration, and the server redone by server_reinit takes the client's
 * (its SYN's options, tcpsim__record_our_syn), which is the same on most connections
 * of a capture. One cached template for each, rebuilt when the configuration
 * differs from the one it was made with. */
struct obs_tmpl {
    bool ok;
    struct tcpsim_tcp_config key; /* the configuration it was made with, as given */
    struct tcpsim_tcp_endpoint ep;
};
/* fresh: CLOSED with obs_cfg; reinit: CLOSED with the client's; listen: the
 * same after a passive OPEN (the server that answered with a SYN-ACK, or the
 * one assumed LISTEN), which tcpsim_tcp_init_copy copies as it stands. */
static _Thread_local struct obs_tmpl fresh_tmpl, reinit_tmpl, listen_tmpl;

/* The template for `cfg` (with `listen` after tcpsim_tcp_open(ep, false)),
 * made or remade when needed; NULL when none can be made (the caller then
 * builds the endpoint itself). */
static const struct tcpsim_tcp_endpoint *tmpl_for(struct obs_tmpl *t, const struct tcpsim_tcp_config *cfg, bool listen)
{
    /* (the observer's own configuration, obs_cfg, never changes once made:
     * its template is compared only the first time) */
    if (!t->ok || (t != &fresh_tmpl && memcmp(&t->key, cfg, sizeof *cfg) != 0)) {
        if (t->ok)
            tcpsim_tcp_free(&t->ep);
        t->ok = false;
        if (cfg->store_data || tcpsim_tcp_init(&t->ep, cfg, 0, 0) != TCPSIM_OK ||
            (listen && tcpsim_tcp_open(&t->ep, false, 0, &scratch_out) != TCPSIM_OK))
            return NULL;
        memcpy(&t->key, cfg, sizeof *cfg);
        t->ok = true;
    }
    return &t->ep;
}

/* A fresh endpoint, or with `listen` one after tcpsim_tcp_open(ep, false):
 * what init (and OPEN) would make, copied from the template. */
static enum tcpsim_err ep_init(struct tcpsim_tcp_endpoint *ep, struct obs_tmpl *t, const struct tcpsim_tcp_config *cfg,
                               uint16_t local_port, uint16_t remote_port, bool listen)
{
    const struct tcpsim_tcp_endpoint *te = tmpl_for(t, cfg, listen);
    if (te == NULL) {
        enum tcpsim_err e = tcpsim_tcp_init(ep, cfg, local_port, remote_port);
        if (e == TCPSIM_OK && listen)
            e = tcpsim_tcp_open(ep, false, 0, &scratch_out);
        return e;
    }
    return tcpsim_tcp_init_copy(ep, te, local_port, remote_port);
}

/* For tests/replay/test_replay_obs.c: the observer on full endpoints (no
 * cfg.observer) and without the fast paths, the long way every shortcut
 * must agree with. Set between connections (it rebuilds the templates). */
void tcpsim__rp_obs_full_model(bool on);
static bool full_model; /* (read on every segment: not thread-local, set only by tests) */
static _Thread_local bool cfg_made;

static const struct tcpsim_tcp_config *obs_cfg(void)
{
    static _Thread_local struct tcpsim_tcp_config cfg;
    if (!cfg_made) {
        tcpsim_tcp_config_default(&cfg, TCPSIM_PROFILE_RFC);
        cfg.store_data = false;
        cfg.challenge_ack = true;
        /* no timers, no segments built: only what the observer reports */
        cfg.observer = !full_model;
        cfg_made = true;
    }
    return &cfg;
}

void tcpsim__rp_obs_full_model(bool on)
{
    full_model = on;
    cfg_made = false;
    if (fresh_tmpl.ok)
        tcpsim_tcp_free(&fresh_tmpl.ep);
    fresh_tmpl.ok = false; /* (the others compare their configuration) */
}

void tcpsim__rp_obs_init(struct tcpsim_rp_conn *c, int first_dir, const struct tcpsim_segment *first)
{
    const struct tcpsim_tcp_config *cfg = obs_cfg();
    const uint8_t f = first->flags;
    const bool syn_first = (f & (TCPSIM_SYN | TCPSIM_ACK)) == TCPSIM_SYN;
    c->obs_ok = false;
    /* After a SYN the client is made by the SYN's step (client_connect: the
     * copy and its active OPEN at once), which comes next: until then only
     * its state is read (CLOSED), and priv.live false says it is not made
     * yet (client_make). */
    if (syn_first && !full_model) {
        c->ep[0].priv.live = false;
        c->ep[0].state = TCPSIM_TCP_CLOSED;
    } else if (ep_init(&c->ep[0], &fresh_tmpl, cfg, c->port[0], c->port[1], false) != TCPSIM_OK) {
        return;
    }
    /* After a SYN the server is made by server_reinit once it speaks (or is
     * assumed LISTEN); until then nothing reads it (tcpsim__rp_obs_state
     * answers LISTEN), so it is not made twice. */
    if (syn_first) {
        c->ep[1].state = TCPSIM_TCP_CLOSED;
    } else if (ep_init(&c->ep[1], &fresh_tmpl, cfg, c->port[1], c->port[0], false) != TCPSIM_OK) {
        tcpsim_tcp_free(&c->ep[0]);
        return;
    }
    c->obs_ok = true;
    struct tcpsim_rp_pending *p = pend(c);
    p->have_syn = false; /* (p->syn is read only when have_syn) */
    p->syn_frame = 0;
    p->syn_at = 0;
    c->pend_active = c->pend_assumed = false;
    if (syn_first) {
        /* Client CLOSED -> SYN_SENT on its SYN; server decided on its reply. */
        push_state(c, TCPSIM_SIDE_CLIENT, TCPSIM_TCP_CLOSED);
        c->pend_active = true;
        return;
    }
    if ((f & (TCPSIM_SYN | TCPSIM_ACK)) == (TCPSIM_SYN | TCPSIM_ACK)) {
        /* The SYN was not captured: replay the SYN the SYN-ACK answers. */
        tcpsim_time_t now = 0;
        struct tcpsim_segment syn;
        memset(&syn, 0, sizeof syn);
        syn.src_port = c->port[0];
        syn.dst_port = c->port[1];
        syn.seq = first->ack - 1;
        syn.flags = TCPSIM_SYN;
        syn.window = 65535;
        syn.data_offset = 5;
        push_state(c, TCPSIM_SIDE_CLIENT, TCPSIM_TCP_CLOSED);
        push_state(c, TCPSIM_SIDE_SERVER, TCPSIM_TCP_LISTEN);
        struct tcpsim_tcp_out *out = &scratch_out;
        out_reset(out);
        (void)tcpsim_tcp_open(&c->ep[1], false, now, out);
        out_reset(out);
        (void)tcpsim_tcp_observe_sent(&c->ep[0], &syn, now, out);
        take_trans(c, 0, out, NULL, 0, 0);
        out_reset(out);
        (void)tcpsim_tcp_segment_arrives(&c->ep[1], &syn, now, out);
        take_trans(c, 1, out, NULL, 0, 0);
        c->inferred = true;
        return;
    }
    /* Mid-stream: both sides synchronized, numbers taken from this segment. */
    struct tcpsim_tcp_sync snd, rcv;
    memset(&snd, 0, sizeof snd);
    memset(&rcv, 0, sizeof rcv);
    snd.state = rcv.state = TCPSIM_TCP_ESTABLISHED;
    snd.iss = first->seq - 1;
    snd.irs = (f & TCPSIM_ACK) ? first->ack - 1 : 0;
    rcv.iss = snd.irs;
    rcv.irs = snd.iss;
    rcv.passive = first_dir == TCPSIM_SIDE_CLIENT;
    snd.passive = !rcv.passive;
    int s = first_dir, r = !first_dir;
    if (tcpsim_tcp_force_state(&c->ep[s], &snd, 0) != TCPSIM_OK ||
        tcpsim_tcp_force_state(&c->ep[r], &rcv, 0) != TCPSIM_OK) {
        tcpsim__rp_obs_free(c);
        return;
    }
    push_state(c, 0, TCPSIM_TCP_ESTABLISHED);
    push_state(c, 1, TCPSIM_TCP_ESTABLISHED);
    c->inferred = true;
}

/* Bring an endpoint over a hole in the capture: segments it must have sent or
 * received were not captured, so its sequence variables are moved on (the
 * state is kept). Only for states without a FIN of its own in flight. */
static void resync(struct tcpsim_tcp_endpoint *ep, uint32_t snd_nxt, uint32_t rcv_nxt, tcpsim_time_t now)
{
    if (ep->state != TCPSIM_TCP_ESTABLISHED && ep->state != TCPSIM_TCP_CLOSE_WAIT && ep->state != TCPSIM_TCP_FIN_WAIT_2)
        return;
    struct tcpsim_tcp_sync sy;
    memset(&sy, 0, sizeof sy);
    sy.state = ep->state;
    sy.iss = ep->iss;
    sy.irs = ep->irs;
    sy.snd_nxt = snd_nxt;
    sy.rcv_nxt = rcv_nxt;
    sy.snd_wnd = ep->snd_wnd;
    sy.rcv_wnd = ep->rcv_wnd;
    sy.passive = ep->passive;
    if (tcpsim_tcp_force_state(ep, &sy, now) != TCPSIM_OK)
        return; /* the endpoint keeps its numbers; it will ACK-and-drop */
}

/* Redo the server as a fresh endpoint (its first segment decides what it
 * was), with `listen` as after its passive OPEN. The old one holds no buffers
 * (tcpsim__rp_obs_free), and after a SYN first it was never made. */
static bool server_reinit(struct tcpsim_rp_conn *c, bool listen)
{
    struct tcpsim_tcp_endpoint *ep = &c->ep[TCPSIM_SIDE_SERVER];
    if (ep_init(ep, listen ? &listen_tmpl : &reinit_tmpl, &c->ep[0].cfg, c->port[1], c->port[0], listen) != TCPSIM_OK) {
        c->obs_ok = false;
        tcpsim_tcp_free(&c->ep[0]);
        return false;
    }
    c->nstates[1] = 0;
    return true;
}

/* The server that listened, at its SYN-ACK: server_reinit(c, true), the
 * client's SYN arriving (p->syn at p->syn_at) and the SYN-ACK's
 * tcpsim_tcp_observe_sent in one step (tcpsim_tcp_accept_observed: without
 * redoing what the copy already is, the first negotiation and ISS that the
 * SYN-ACK's replace). The transition is left in scratch_out. False, nothing
 * changed, when it does not apply: the caller takes the three steps. */
static bool server_accept(struct tcpsim_rp_conn *c, const struct tcpsim_segment *synack, tcpsim_time_t now)
{
    const struct tcpsim_tcp_endpoint *te = tmpl_for(&listen_tmpl, &c->ep[0].cfg, true);
    const struct tcpsim_rp_pending *p = pend(c);
    struct tcpsim_tcp_accept a = {&p->syn, synack, p->syn_at, now, c->port[1], c->port[0]};
    out_reset(&scratch_out);
    if (te == NULL || !tcpsim_tcp_accept_observed(&c->ep[TCPSIM_SIDE_SERVER], te, &a, &scratch_out))
        return false;
    c->nstates[1] = 0;
    push_state(c, 1, TCPSIM_TCP_LISTEN);
    return true;
}

/* The client tcpsim__rp_obs_init left to its SYN, made as it would have made
 * it (before any step reads it). False, the connection's observer off, when
 * it cannot be. */
static bool client_make(struct tcpsim_rp_conn *c)
{
    if (c->ep[0].priv.live)
        return true;
    if (ep_init(&c->ep[0], &fresh_tmpl, obs_cfg(), c->port[0], c->port[1], false) == TCPSIM_OK)
        return true;
    c->obs_ok = false;
    return false;
}

/* The client left to its SYN: made and the SYN sent in one step
 * (tcpsim_tcp_connect_observed: without redoing the reset the fresh copy
 * already is), the transition left in scratch_out; or the two steps. False,
 * the connection's observer off, when the client cannot be made. */
static bool client_connect(struct tcpsim_rp_conn *c, const struct tcpsim_segment *syn, tcpsim_time_t now)
{
    struct tcpsim_tcp_out *out = &scratch_out;
    out_reset(out);
    const struct tcpsim_tcp_endpoint *te = tmpl_for(&fresh_tmpl, obs_cfg(), false);
    struct tcpsim_tcp_connect a = {syn, now, c->port[0], c->port[1]};
    if (te != NULL && tcpsim_tcp_connect_observed(&c->ep[0], te, &a, out))
        return true;
    if (!client_make(c))
        return false;
    (void)tcpsim_tcp_observe_sent(&c->ep[0], syn, now, out);
    return true;
}

/* SEGMENT ARRIVES at endpoint `to` (RFC 9293 §3.10.7), the long way. A hole
 * before it in the capture: the peer got the bytes we did not see. */
__attribute__((noinline)) static size_t deliver_full(struct tcpsim_rp_conn *c, int to, const struct tcpsim_segment *seg,
                                                     tcpsim_time_t now, struct tcpsim_rp_event *ev, size_t n,
                                                     size_t cap)
{
    struct tcpsim_tcp_endpoint *rcv = &c->ep[to];
    struct tcpsim_tcp_out *out = &scratch_out;
    if (tcpsim_tcp_state_synchronized(rcv->state) && tcpsim_seq_gt(seg->seq, rcv->rcv_nxt) &&
        !(seg->flags & (TCPSIM_SYN | TCPSIM_RST)) && tcpsim_seq_lt(seg->seq - rcv->rcv_nxt, 1u << 30))
        resync(rcv, rcv->snd_nxt, seg->seq, now);
    /* It acknowledges data we never saw the receiver send. */
    if (tcpsim_tcp_state_synchronized(rcv->state) && (seg->flags & TCPSIM_ACK) &&
        tcpsim_seq_gt(seg->ack, rcv->snd_nxt) && tcpsim_seq_lt(seg->ack - rcv->snd_nxt, 1u << 30))
        resync(rcv, seg->ack, rcv->rcv_nxt, now);
    out_reset(out);
    (void)tcpsim_tcp_segment_arrives(rcv, seg, now, out);
    return take_trans(c, to, out, ev, n, cap);
}

/* SEGMENT ARRIVES at endpoint `to`. A pure ACK or a FIN at RCV.NXT (the FINs
 * of the close) by the shortcut (src/tcp/fastpath.c), inline in the callers:
 * it takes a segment only at RCV.NXT and acknowledging nothing past SND.NXT,
 * where neither resync of deliver_full applies, and declines changing
 * nothing; the client's SYN-ACK by its own (in SYN_SENT, not synchronized:
 * no resync either); the rest the long way. */
static inline size_t deliver(struct tcpsim_rp_conn *c, int to, const struct tcpsim_segment *seg, tcpsim_time_t now,
                             struct tcpsim_rp_event *ev, size_t n, size_t cap)
{
    struct tcpsim_tcp_out *out = &scratch_out;
    out_reset(out);
    if (!full_model &&
        ((seg->flags & (TCPSIM_SYN | TCPSIM_RST)) == 0 ? tcpsim_tcp_arrives_fast(&c->ep[to], seg, now, out)
                                                       : tcpsim_tcp_synack_arrives_fast(&c->ep[to], seg, now, out)))
        return take_trans(c, to, out, ev, n, cap);
    return deliver_full(c, to, seg, now, ev, n, cap);
}

/* The FIN in flight reaches its peer now. Its transitions go on the FIN's own
 * record when the peer has sent nothing since (a correction of a held record),
 * else on the current one. */
static size_t deliver_pfin(struct tcpsim_rp_conn *c, uint64_t last_frame, struct tcpsim_rp_event *ev, size_t n,
                           size_t cap, struct tcpsim_rp_retro *retro)
{
    struct tcpsim_rp_pfin *f = &c->pfin;
    int to = !f->from;
    c->pfin_active = false;
    if (f->attach_here && ev)
        return deliver(c, to, &f->seg, f->at, ev, n, cap);
    memset(retro, 0, sizeof *retro);
    retro->set = true;
    retro->side = to;
    retro->frame = f->attach_here ? last_frame : f->frame;
    retro->nev = deliver(c, to, &f->seg, f->at, retro->ev, 0, sizeof retro->ev / sizeof retro->ev[0]);
    retro->after = c->ep[to].state;
    return n;
}

static size_t obs_segment_full(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *seg0, uint32_t seglen,
                               tcpsim_time_t now, uint64_t frame, struct tcpsim_rp_event *ev, size_t evcap,
                               struct tcpsim_rp_retro *retro);

/* The latest SYN the silent server will have seen, kept (without its text)
 * for when it speaks. */
static void keep_syn(struct tcpsim_rp_pending *p, const struct tcpsim_segment *syn, tcpsim_time_t now, uint64_t frame)
{
    p->have_syn = true;
    p->syn = *syn;
    p->syn.payload = NULL;
    p->syn.payload_len = 0;
    p->syn_at = now;
    p->syn_frame = frame;
}

/* While the server has not spoken (c->pend_active, not snapped): the
 * client's SYN (its step, then kept as the one the server will have seen),
 * and the server's SYN-ACK taken by server_accept (its three steps at once,
 * the transition on the SYN's record), then arriving at the client: what
 * obs_segment_full does for them, without its other cases; the rest, and
 * a SYN-ACK server_accept declines, the full path. */
__attribute__((noinline)) static size_t obs_segment_open(struct tcpsim_rp_conn *c, int dir,
                                                         const struct tcpsim_segment *seg, uint32_t seglen,
                                                         tcpsim_time_t now, uint64_t frame, struct tcpsim_rp_event *ev,
                                                         size_t evcap, struct tcpsim_rp_retro *retro)
{
    struct tcpsim_rp_pending *p = pend(c);
    const uint8_t f = seg->flags & (TCPSIM_SYN | TCPSIM_ACK | TCPSIM_RST | TCPSIM_FIN);
    if (dir == TCPSIM_SIDE_CLIENT) {
        if (f == TCPSIM_SYN && c->nstates[dir] != 0 && !c->pfin_active) {
            struct tcpsim_tcp_out *out = &scratch_out;
            retro->set = false;
            if (c->ep[dir].priv.live) {
                out_reset(out);
                (void)tcpsim_tcp_observe_sent(&c->ep[dir], seg, now, out);
            } else if (!client_connect(c, seg, now)) {
                return 0;
            }
            size_t n = take_trans(c, dir, out, ev, 0, evcap);
            keep_syn(p, seg, now, frame);
            return n;
        }
    } else if ((f & (TCPSIM_SYN | TCPSIM_ACK)) == (TCPSIM_SYN | TCPSIM_ACK) && p->have_syn && !c->pfin_active &&
               server_accept(c, seg, now)) {
        c->pend_active = false;
        memset(retro, 0, sizeof *retro);
        retro->set = true;
        retro->patch_before = true;
        retro->side = TCPSIM_SIDE_SERVER;
        retro->frame = p->syn_frame;
        retro->before = TCPSIM_TCP_LISTEN;
        retro->after = c->ep[dir].state;
        retro->nev = take_trans(c, dir, &scratch_out, retro->ev, 0, sizeof retro->ev / sizeof retro->ev[0]);
        return deliver(c, !dir, seg, now, ev, 0, evcap);
    }
    return obs_segment_full(c, dir, seg, seglen, now, frame, ev, evcap, retro);
}

/* A FIN to a peer in ESTABLISHED is held in flight (c->pfin): whether the
 * peer closed too before it arrived shows in the peer's next segment. */
static void hold_fin(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *sg, tcpsim_time_t now,
                     uint64_t frame)
{
    struct tcpsim_rp_pfin *f = &c->pfin;
    c->pfin_active = true;
    f->attach_here = false;
    f->from = dir;
    f->seg = *sg;
    f->seg.payload = NULL;
    f->at = now;
    f->frame = frame;
}

/* A FIN without text (no open question about the server, both sides with a
 * history, not snapped): with no FIN in flight, its sender's step
 * (tcpsim_tcp_fin_observed), then as obs_segment_full goes on: held in flight
 * to a peer in ESTABLISHED (the first FIN of the close), else arriving at
 * once (deliver: the second); the peer's FIN-ACK that covers a
 * held FIN is the close in one step (tcpsim_tcp_close_observed): the held
 * FIN arriving, with its transitions where deliver_pfin puts them, the FIN-ACK
 * sent and arriving. Each the full path's result, or the full path. */
__attribute__((noinline)) static size_t obs_segment_fin(struct tcpsim_rp_conn *c, int dir,
                                                        const struct tcpsim_segment *seg, uint32_t seglen,
                                                        tcpsim_time_t now, uint64_t frame, struct tcpsim_rp_event *ev,
                                                        size_t evcap, struct tcpsim_rp_retro *retro)
{
    struct tcpsim_tcp_out *out = &scratch_out;
    out_reset(out);
    if (!c->pfin_active) {
        if (tcpsim_tcp_fin_observed(&c->ep[dir], seg, now, out)) {
            retro->set = false;
            size_t n = take_trans(c, dir, out, ev, 0, evcap);
            if (c->ep[!dir].state != TCPSIM_TCP_ESTABLISHED) /* (the peer's FIN came first: it arrives now) */
                return deliver(c, !dir, seg, now, ev, n, evcap);
            hold_fin(c, dir, seg, now, frame);
            return n;
        }
    } else if (c->pfin.from != dir) {
        struct tcpsim_rp_pfin *f = &c->pfin;
        const int to = dir, closer = f->from;
        struct tcpsim_tcp_close a = {&f->seg, seg, f->at, now};
        size_t k[3];
        /* (the FIN-ACK covers the held FIN: the close step takes only an
         * ACK of exactly the FIN, SEG.ACK = its SEQ + 1, as it has no text) */
        if (tcpsim_seq_geq(seg->ack, f->seg.seq + 1u) &&
            tcpsim_tcp_close_observed(&c->ep[closer], &c->ep[to], &a, out, k)) {
            const struct tcpsim_tcp_transition *t = out->trans;
            size_t n = 0;
            c->pfin_active = false;
            /* deliver_pfin: on this record when the peer sent something since, else on the FIN's own */
            if (f->attach_here) {
                retro->set = false;
                n = take_range(c, to, t, k[0], ev, 0, evcap);
            } else {
                memset(retro, 0, sizeof *retro);
                retro->set = true;
                retro->side = to;
                retro->frame = f->frame;
                retro->nev = take_range(c, to, t, k[0], retro->ev, 0, sizeof retro->ev / sizeof retro->ev[0]);
                retro->after = k[0] ? t[k[0] - 1].to : TCPSIM_TCP_ESTABLISHED; /* (the peer's state then) */
            }
            n = take_range(c, to, t + k[0], k[1], ev, n, evcap);
            return take_range(c, closer, t + k[0] + k[1], k[2], ev, n, evcap);
        }
    }
    return obs_segment_full(c, dir, seg, seglen, now, frame, ev, evcap, retro);
}

/* A pure ACK that may move the receiver (the handshake's last ACK, the ACK
 * of a FIN): the full path's transitions, nothing else; or the full path. */
__attribute__((noinline)) static size_t obs_segment_ack(struct tcpsim_rp_conn *c, int dir,
                                                        const struct tcpsim_segment *seg0, uint32_t seglen,
                                                        tcpsim_time_t now, uint64_t frame, struct tcpsim_rp_event *ev,
                                                        size_t evcap, struct tcpsim_rp_retro *retro)
{
    struct tcpsim_tcp_out *out = &scratch_out;
    out_reset(out);
    if (tcpsim_tcp_fast_path_out(&c->ep[dir], &c->ep[!dir], seg0, now, out)) {
        retro->set = false;
        return take_trans(c, !dir, out, ev, 0, evcap);
    }
    return obs_segment_full(c, dir, seg0, seglen, now, frame, ev, evcap, retro);
}

/* Header prediction (RFC 1323 appendix A): no open question about the
 * server or a FIN, and the common ESTABLISHED segment: both endpoints in a few
 * lines (src/tcp/fastpath.c), with the result of the full path, which makes
 * no transition for such a segment (nor any of the resyncs: the segment is
 * exactly where both endpoints expect it). Both sides have a state history by
 * then. It declines, changing nothing, whenever the receiver is not
 * ESTABLISHED: not tried then. Its own entry with five arguments, called
 * first by process_tcp: most segments end here, without the retro record,
 * the event array and the register saves of tcpsim__rp_obs_segment. */
bool tcpsim__rp_obs_predict(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *seg, uint32_t seglen,
                            tcpsim_ns_t ts)
{
    /* (cfg.observer endpoints without buffers, as tcpsim_tcp_fast_path_obs
     * wants, unless full_model: obs_cfg, and server_reinit's copy of it) */
    if (c->pfin_active || c->pend_active || c->pend_assumed || seglen != seg->payload_len || c->nstates[dir] == 0 ||
        c->ep[!dir].state != TCPSIM_TCP_ESTABLISHED || full_model) /* (the flags: tcpsim_tcp_fast_path_obs) */
        return false;
    return tcpsim_tcp_fast_path_obs(c->ep, dir, seg, usec(ts));
}

size_t tcpsim__rp_obs_segment(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *seg0, uint32_t seglen,
                              tcpsim_ns_t ts, uint64_t frame, struct tcpsim_rp_event *ev, size_t evcap,
                              struct tcpsim_rp_retro *retro)
{
    tcpsim_time_t now = usec(ts);

    /* (tcpsim__rp_obs_predict declined the segment, or was not asked: its
     * result would be the full path's, below.) The pure ACKs that end the
     * handshake or acknowledge a FIN: the receiver's transitions, taken as
     * the full path's deliver() takes them, in a few lines (src/tcp/fastpath.c). */
    if (c->pend_assumed || seglen != seg0->payload_len || full_model)
        return obs_segment_full(c, dir, seg0, seglen, now, frame, ev, evcap, retro);
    if (c->pend_active)
        return obs_segment_open(c, dir, seg0, seglen, now, frame, ev, evcap, retro);
    if (c->nstates[dir] == 0)
        return obs_segment_full(c, dir, seg0, seglen, now, frame, ev, evcap, retro);
    const uint8_t fl = seg0->flags & (uint8_t)~TCPSIM_PSH;
    if (fl == TCPSIM_ACK && !c->pfin_active) /* (it takes only ACK or PSH|ACK) */
        return obs_segment_ack(c, dir, seg0, seglen, now, frame, ev, evcap, retro);
    if (fl == (TCPSIM_ACK | TCPSIM_FIN) && seg0->payload_len == 0)
        return obs_segment_fin(c, dir, seg0, seglen, now, frame, ev, evcap, retro);
    return obs_segment_full(c, dir, seg0, seglen, now, frame, ev, evcap, retro);
}

/* Everything else, out of line: the short entry above saves and restores
 * fewer registers on the segments that take a shortcut. */
__attribute__((noinline)) static size_t obs_segment_full(struct tcpsim_rp_conn *c, int dir,
                                                         const struct tcpsim_segment *seg0, uint32_t seglen,
                                                         tcpsim_time_t now, uint64_t frame, struct tcpsim_rp_event *ev,
                                                         size_t evcap, struct tcpsim_rp_retro *retro)
{
    if (!client_make(c)) { /* (left to the SYN, which this is) */
        retro->set = false;
        return 0;
    }
    struct tcpsim_tcp_endpoint *snd = &c->ep[dir], *rcv = &c->ep[!dir];

    /* the segment as the endpoints see it (a copy only when snapped: the
     * bytes past the snap length are counted, we do not have them) */
    const struct tcpsim_segment *sg = seg0;
    struct tcpsim_segment snapped;
    if (seglen != seg0->payload_len) {
        snapped = *seg0;
        snapped.payload = NULL;
        snapped.payload_len = seglen;
        sg = &snapped;
    }
    struct tcpsim_tcp_out *out = &scratch_out;
    struct tcpsim_rp_pending *p = pend(c);
    size_t n = 0;
    retro->set = false; /* every path that sets it fills the whole record (replay.c reads it only then) */

    if (c->nstates[dir] == 0)
        push_state(c, dir, snd->state);

    /* A FIN is in flight. From its sender again, or from the peer with an
     * ACK that covers it: it had arrived before this segment was sent. From
     * the peer without such an ACK (its own FIN crossing ours, or data): the
     * peer sent this first (RFC 9293 §3.6 case 2), the FIN stays in flight. */
    if (c->pfin_active) {
        struct tcpsim_rp_pfin *f = &c->pfin;
        uint32_t fin_end = f->seg.seq + (uint32_t)f->seg.payload_len + 1u;
        bool covers = (sg->flags & TCPSIM_ACK) && tcpsim_seq_geq(sg->ack, fin_end);
        if (dir == f->from || covers)
            n = deliver_pfin(c, frame, ev, n, evcap, retro);
        else
            f->attach_here = true;
    }

    /* A hole in what we saw this side send: move it on first. */
    if (tcpsim_tcp_state_synchronized(snd->state) && tcpsim_seq_gt(sg->seq, snd->snd_nxt) &&
        !(sg->flags & (TCPSIM_SYN | TCPSIM_RST)))
        resync(snd, sg->seq, snd->rcv_nxt, now);

    bool server_first = c->pend_active && dir == TCPSIM_SIDE_SERVER;
    bool sent_done = false; /* the sender's step was taken with the server's accept */
    const uint8_t synack = sg->flags & (TCPSIM_SYN | TCPSIM_ACK);
    if (server_first) {
        c->pend_active = false;
        const bool listened = synack == (TCPSIM_SYN | TCPSIM_ACK) && p->have_syn;
        memset(retro, 0, sizeof *retro);
        retro->set = true;
        retro->patch_before = true;
        retro->side = TCPSIM_SIDE_SERVER;
        if (listened && !full_model)
            sent_done = server_accept(c, sg, now);
        if (sent_done) {
            /* the three steps below (the server made in LISTEN, the SYN
             * arriving, its SYN-ACK) at once: the one transition, LISTEN ->
             * SYN_RECEIVED, goes on the SYN's record as below */
            retro->frame = p->syn_frame;
            retro->before = TCPSIM_TCP_LISTEN;
            retro->after = snd->state;
            retro->nev = take_trans(c, 1, out, retro->ev, 0, sizeof retro->ev / sizeof retro->ev[0]);
        } else if (!server_reinit(c, listened)) {
            retro->set = false;
            return n;
        } else if (listened) {
            /* It listened (made in LISTEN by server_reinit: the passive OPEN
             * at p->syn_at, whose transition is the LISTEN pushed here):
             * LISTEN -> SYN_RECEIVED when the client's SYN arrived (RFC 9293
             * §3.10.7.2), on that SYN's record; then its SYN-ACK. */
            push_state(c, 1, TCPSIM_TCP_LISTEN);
            out_reset(out);
            (void)tcpsim_tcp_segment_arrives(snd, &p->syn, p->syn_at, out);
            retro->frame = p->syn_frame;
            retro->before = TCPSIM_TCP_LISTEN;
            retro->after = snd->state;
            retro->nev = take_trans(c, 1, out, retro->ev, 0, sizeof retro->ev / sizeof retro->ev[0]);
        } else {
            /* A closed port answers with RST (RFC 9293 §3.10.7.1): the server
             * never leaves CLOSED. A bare SYN is a simultaneous open (§3.5
             * figure 8): it was CLOSED and did its own active OPEN before the
             * client's SYN reached it (its SYN does not ACK the client's). */
            push_state(c, 1, TCPSIM_TCP_CLOSED);
            retro->before = retro->after = TCPSIM_TCP_CLOSED;
        }
    } else if (c->pend_assumed && dir == TCPSIM_SIDE_SERVER) {
        /* LISTEN was assumed (output already written); a late SYN-ACK shows
         * the SYN did arrive. */
        c->pend_assumed = false;
        if (synack == (TCPSIM_SYN | TCPSIM_ACK) && p->have_syn && snd->state == TCPSIM_TCP_LISTEN) {
            out_reset(out);
            (void)tcpsim_tcp_segment_arrives(snd, &p->syn, p->syn_at, out);
            n = take_trans(c, 1, out, ev, n, evcap);
        }
    }

    bool closed_port = server_first && !(synack == (TCPSIM_SYN | TCPSIM_ACK) && p->have_syn) && synack != TCPSIM_SYN;
    if (!closed_port && !sent_done) {
        out_reset(out);
        (void)tcpsim_tcp_observe_sent(snd, sg, now, out);
        n = take_trans(c, dir, out, ev, n, evcap);
    }
    if (server_first && synack == TCPSIM_SYN && p->have_syn) /* simultaneous open: the client's SYN arrives */
        n = deliver(c, TCPSIM_SIDE_SERVER, &p->syn, now, ev, n, evcap);

    if (c->pend_active && dir == TCPSIM_SIDE_CLIENT) {
        /* Server still silent: remember the latest SYN it will have seen. */
        if (synack == TCPSIM_SYN)
            keep_syn(p, sg, now, frame);
        return n;
    }

    /* A FIN to a peer that is ESTABLISHED: did the peer close too before it
     * arrived? Its next segment tells (above). */
    if ((sg->flags & TCPSIM_FIN) && !(sg->flags & TCPSIM_RST) && rcv->state == TCPSIM_TCP_ESTABLISHED &&
        !c->pfin_active) {
        hold_fin(c, dir, sg, now, frame);
        return n;
    }
    return deliver(c, !dir, sg, now, ev, n, evcap);
}

void tcpsim__rp_obs_resolve(struct tcpsim_rp_conn *c, struct tcpsim_rp_retro *retro)
{
    memset(retro, 0, sizeof *retro);
    if (!c->obs_ok)
        return;
    if (c->pend_active) {
        /* Never answered. An RFC endpoint on a CLOSED port always answers a
         * SYN with RST (RFC 9293 §3.10.7.1), so silence means a listener that
         * drops (or never got) the SYN, or one we cannot reach: LISTEN. */
        c->pend_active = false;
        c->pend_assumed = true;
        c->server_inferred = true;
        if (!client_make(c) ||
            !server_reinit(c, true)) /* its passive OPEN (at the SYN's time, which OPEN does not keep) */
            return;
        push_state(c, 1, TCPSIM_TCP_LISTEN);
        retro->set = true;
        retro->patch_before = true;
        retro->side = TCPSIM_SIDE_SERVER;
        retro->before = retro->after = TCPSIM_TCP_LISTEN;
        return;
    }
    if (c->pfin_active)
        (void)deliver_pfin(c, c->last_frame, NULL, 0, 0, retro);
}

void tcpsim__rp_obs_free(struct tcpsim_rp_conn *c)
{
    /* The observer's endpoints never hold buffers (cfg.store_data is false
     * for both: obs_cfg, and the client's copy of it in server_reinit), so
     * there is nothing to release, and tcpsim_tcp_free would only read two
     * cold lines of each endpoint, at every connection's end, to find that
     * out. The next tcpsim__rp_obs_init overwrites them whole. */
    c->obs_ok = false;
}
