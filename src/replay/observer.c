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

static bool tcpsim_state_has_ack(const struct tcpsim_tcp_endpoint *ep)
{
    return tcpsim_tcp_state_synchronized(ep->state);
}

static tcpsim_time_t usec(tcpsim_ns_t ns)
{
    return ns / 1000u;
}

static void push_state(struct tcpsim_rp_conn *c, int side, enum tcpsim_tcp_state s)
{
    if (c->nstates[side] > 0 && c->states[side][c->nstates[side] - 1] == s)
        return;
    if (c->nstates[side] < TCPSIM_RP_MAX_STATES)
        c->states[side][c->nstates[side]++] = s;
    else
        c->states_overflow[side] = true;
}

static size_t take_trans(struct tcpsim_rp_conn *c, int side, const struct tcpsim_tcp_out *out,
                         struct tcpsim_rp_event *ev, size_t n, size_t cap)
{
    for (size_t i = 0; i < out->ntrans; i++) {
        const struct tcpsim_tcp_transition *t = &out->trans[i];
        if (t->from == t->to)
            continue;
        if (n < cap) {
            ev[n].endpoint = side ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT;
            ev[n].from = t->from;
            ev[n].to = t->to;
            ev[n].why = t->why;
            n++;
        }
        push_state(c, side, t->to);
    }
    return n;
}

enum tcpsim_tcp_state tcpsim__rp_obs_state(const struct tcpsim_rp_conn *c, int side)
{
    if (!c->obs_ok)
        return c->nstates[side] ? c->states[side][c->nstates[side] - 1] : TCPSIM_TCP_CLOSED;
    if (side == TCPSIM_SIDE_SERVER && c->pend.active)
        return TCPSIM_TCP_LISTEN;
    return c->ep[side].state;
}

bool tcpsim__rp_obs_known(const struct tcpsim_rp_conn *c, int side)
{
    return !(side == TCPSIM_SIDE_SERVER && c->obs_ok && c->pend.active);
}

static struct tcpsim_tcp_out scratch_out; /* big; the replayer is single-threaded */

void tcpsim__rp_obs_init(struct tcpsim_rp_conn *c, int first_dir, const struct tcpsim_segment *first)
{
    struct tcpsim_tcp_config cfg;
    tcpsim_tcp_config_default(&cfg, TCPSIM_PROFILE_RFC);
    cfg.store_data = false;
    cfg.challenge_ack = true;
    c->obs_ok = false;
    if (tcpsim_tcp_init(&c->ep[0], &cfg, c->port[0], c->port[1]) != TCPSIM_OK)
        return;
    if (tcpsim_tcp_init(&c->ep[1], &cfg, c->port[1], c->port[0]) != TCPSIM_OK) {
        tcpsim_tcp_free(&c->ep[0]);
        return;
    }
    c->obs_ok = true;
    struct tcpsim_rp_pending *p = pend(c);
    memset(p, 0, sizeof *p);
    const uint8_t f = first->flags;
    if ((f & (TCPSIM_SYN | TCPSIM_ACK)) == TCPSIM_SYN) {
        /* Client CLOSED -> SYN_SENT on its SYN; server decided on its reply. */
        push_state(c, TCPSIM_SIDE_CLIENT, TCPSIM_TCP_CLOSED);
        p->active = true;
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
        tcpsim_tcp_out_reset(out);
        (void)tcpsim_tcp_open(&c->ep[1], false, now, out);
        tcpsim_tcp_out_reset(out);
        (void)tcpsim_tcp_observe_sent(&c->ep[0], &syn, now, out);
        take_trans(c, 0, out, NULL, 0, 0);
        tcpsim_tcp_out_reset(out);
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

size_t tcpsim__rp_obs_segment(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *seg0, uint32_t seglen,
                              tcpsim_ns_t ts, struct tcpsim_rp_event *ev, size_t evcap)
{
    struct tcpsim_segment seg = *seg0;
    if (seglen != seg.payload_len) { /* snapped: count the bytes, we do not have them */
        seg.payload = NULL;
        seg.payload_len = seglen;
    }
    tcpsim_time_t now = usec(ts);
    struct tcpsim_tcp_out *out = &scratch_out;
    struct tcpsim_tcp_endpoint *snd = &c->ep[dir], *rcv = &c->ep[!dir];
    struct tcpsim_rp_pending *p = pend(c);
    size_t n = 0;

    if (c->nstates[dir] == 0)
        push_state(c, dir, snd->state);

    /* A hole in what we saw this side send: move it on first. */
    if (tcpsim_state_has_ack(snd) && tcpsim_seq_gt(seg.seq, snd->snd_nxt) && !(seg.flags & (TCPSIM_SYN | TCPSIM_RST)))
        resync(snd, seg.seq, snd->rcv_nxt, now);

    tcpsim_tcp_out_reset(out);
    (void)tcpsim_tcp_observe_sent(snd, &seg, now, out);
    n = take_trans(c, dir, out, ev, n, evcap);

    if (p->active && dir == TCPSIM_SIDE_CLIENT) {
        /* Server still silent: remember the latest SYN it will have seen. */
        if ((seg.flags & (TCPSIM_SYN | TCPSIM_ACK)) == TCPSIM_SYN) {
            p->have_syn = true;
            p->syn = seg;
            p->syn.payload = NULL;
            p->syn.payload_len = 0;
            p->syn_at = now;
        }
        return n;
    }
    if (p->active && dir == TCPSIM_SIDE_SERVER) {
        p->active = false;
        if ((seg.flags & (TCPSIM_SYN | TCPSIM_ACK)) == (TCPSIM_SYN | TCPSIM_ACK) && p->have_syn) {
            /* It listened: LISTEN -> SYN_RECEIVED on the client's SYN, then
             * its SYN-ACK (RFC 9293 §3.10.7.2). Redo the sender side. */
            tcpsim_tcp_free(snd);
            struct tcpsim_tcp_config cfg = c->ep[0].cfg;
            if (tcpsim_tcp_init(snd, &cfg, c->port[1], c->port[0]) != TCPSIM_OK) {
                c->obs_ok = false;
                tcpsim_tcp_free(&c->ep[0]);
                return n;
            }
            c->nstates[1] = 0;
            n = 0;
            push_state(c, 1, TCPSIM_TCP_LISTEN);
            tcpsim_tcp_out_reset(out);
            (void)tcpsim_tcp_open(snd, false, p->syn_at, out);
            tcpsim_tcp_out_reset(out);
            (void)tcpsim_tcp_segment_arrives(snd, &p->syn, p->syn_at, out);
            n = take_trans(c, 1, out, ev, n, evcap);
            tcpsim_tcp_out_reset(out);
            (void)tcpsim_tcp_observe_sent(snd, &seg, now, out);
            n = take_trans(c, 1, out, ev, n, evcap);
        } else {
            /* A closed port answers (RFC 9293 §3.10.7.1): the server never
             * leaves CLOSED; only the client hears the answer. */
            tcpsim_tcp_free(snd);
            struct tcpsim_tcp_config cfg = c->ep[0].cfg;
            if (tcpsim_tcp_init(snd, &cfg, c->port[1], c->port[0]) != TCPSIM_OK) {
                c->obs_ok = false;
                tcpsim_tcp_free(&c->ep[0]);
                return n;
            }
            c->nstates[1] = 0;
            n = 0;
            push_state(c, 1, TCPSIM_TCP_CLOSED);
        }
    }

    /* The peer receives it (RFC 9293 §3.10.7). A hole before it in the
     * capture: the peer got the missing bytes we did not see. */
    if (tcpsim_state_has_ack(rcv) && tcpsim_seq_gt(seg.seq, rcv->rcv_nxt) && !(seg.flags & (TCPSIM_SYN | TCPSIM_RST)) &&
        tcpsim_seq_lt(seg.seq - rcv->rcv_nxt, 1u << 30))
        resync(rcv, rcv->snd_nxt, seg.seq, now);
    /* It acknowledges data we never saw the receiver send. */
    if (tcpsim_state_has_ack(rcv) && (seg.flags & TCPSIM_ACK) && tcpsim_seq_gt(seg.ack, rcv->snd_nxt) &&
        tcpsim_seq_lt(seg.ack - rcv->snd_nxt, 1u << 30))
        resync(rcv, seg.ack, rcv->rcv_nxt, now);
    tcpsim_tcp_out_reset(out);
    (void)tcpsim_tcp_segment_arrives(rcv, &seg, now, out);
    n = take_trans(c, !dir, out, ev, n, evcap);
    return n;
}

void tcpsim__rp_obs_free(struct tcpsim_rp_conn *c)
{
    if (!c->obs_ok)
        return;
    tcpsim_tcp_free(&c->ep[0]);
    tcpsim_tcp_free(&c->ep[1]);
    c->obs_ok = false;
}
