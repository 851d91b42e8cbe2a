/* fastpath.c - header prediction for the passive observer: the common
 * segment between two ESTABLISHED endpoints, the pure ACKs that end the
 * handshake and the close, the handshake's steps (the client's connect, the
 * SYN-ACK arriving, the server's accept) and the close's (the first FIN sent,
 * the FIN / FIN-ACK exchange in one step), handled in a few lines each; exact
 * shortcuts of the full path (endpoint.c, observe.c), which they must agree
 * with.
 * Read first: RFC 1323 appendix A ("header prediction", after Van Jacobson;
 * BSD tcp_input, Linux tcp_rcv_established), RFC 9293 §3.10.7.4 (the checks
 * the full path makes), §3.5 and §3.6 (opening, closing), RFC 7323 §4.3
 * (TS.Recent). */
#include <string.h>

#include "tcp/tcp_priv.h"

/* The receiver's side of a predicted segment: every check of §3.10.7.4 that
 * could do something other than "accept, take the ACK, take the text" is
 * decided up front; if any could, nothing is changed and false is returned. */
__attribute__((always_inline)) static inline bool rcv_predicted(const struct tcpsim_tcp_endpoint *ep,
                                                                const struct tcpsim_segment *seg, uint32_t len)
{
    const struct tcpsim_tcp_priv *p = &ep->priv;
    uint32_t ack = seg->ack;
    /* (priv.observer: set by its first tcpsim_tcp_observe_sent) */
    if (ep->state != TCPSIM_TCP_ESTABLISHED || !p->observer || p->nooo != 0 || ep->fin_sent || ep->in_recovery ||
        ep->user_closed)
        return false;
    /* first step: exactly at RCV.NXT and inside the window (no trimming) */
    if (seg->seq != ep->rcv_nxt || ep->snd_nxt != ep->snd_max)
        return false;
    /* PAWS (RFC 7323 §5.3 R1) would drop it */
    if (ep->ts_ok && (seg->opts.present & TCPSIM_HAS_TS) && tcpsim_seq_lt(seg->opts.ts_val, ep->ts_recent) &&
        ep->cfg.paws)
        return false;
    /* fifth step: SND.UNA <= SEG.ACK <= SND.NXT (nothing to catch up, not too old) */
    if (!tcpsim_seq_leq(ep->snd_una, ack) || !tcpsim_seq_leq(ack, ep->snd_nxt))
        return false;
    if (tcpsim_seq_lt(ack, ep->snd_una - p->max_snd_wnd) && ep->cfg.challenge_ack) /* RFC 5961 §5.2 */
        return false;
    /* RFC 5681 §2 duplicate ACK: counted and noted by the full path */
    if (ack == ep->snd_una && len == 0 && tcpsim_seq_lt(ep->snd_una, ep->snd_max) &&
        ((uint32_t)seg->window << ep->snd_wscale) == ep->snd_wnd)
        return false;
    return true;
}

/* The whole prediction, once the caller knows both are live endpoints
 * without buffers and the flags are ACK or PSH|ACK (inline in its two
 * callers: the general entry checks that, tcpsim_tcp_fast_path_obs's caller
 * guarantees the endpoints). */
__attribute__((always_inline)) static inline bool predict(struct tcpsim_tcp_endpoint *snd,
                                                          struct tcpsim_tcp_endpoint *rcv,
                                                          const struct tcpsim_segment *seg, tcpsim_time_t now)
{
    uint32_t len = (uint32_t)seg->payload_len;
    struct tcpsim_tcp_priv *sp = &snd->priv, *rp = &rcv->priv;
    /* the sender: an observer in ESTABLISHED sending the next new bytes (or
     * a pure ACK at SND.NXT), acknowledging nothing past its RCV.NXT */
    if (snd->state != TCPSIM_TCP_ESTABLISHED || !sp->observer || seg->seq != snd->snd_nxt ||
        snd->snd_nxt != snd->snd_max || tcpsim_seq_gt(seg->ack, snd->rcv_nxt))
        return false;
    if (!rcv_predicted(rcv, seg, len))
        return false;
    /* The full path starts the receiver the same way (tcpsim__rcv_auto_consume,
     * then RCV.WND recomputed before the first step), so doing it here before
     * a possible fall-back changes nothing it would not change itself. */
    rp->rcv_q = 0;
    tcpsim__rcv_update_wnd_inline(rcv);
    if (len > rcv->rcv_wnd) /* would be trimmed at the right edge (or dropped at a zero window) */
        return false;

    /* ---- the sender: tcpsim_tcp_observe_sent, ESTABLISHED, ACK ---- */
    sp->rcv_q = 0; /* tcpsim__rcv_auto_consume: the observer's user read it all */
    sp->obs_edge = seg->ack + ((uint32_t)seg->window << (snd->ws_ok ? snd->rcv_wscale : 0));
    sp->obs_edge_set = true;
    tcpsim__rcv_update_wnd_inline(snd);
    if (len > 0)
        snd->snd_nxt = snd->snd_max = seg->seq + len;
    /* tcpsim__timers_update for an observer outside TIME_WAIT / FIN_WAIT_2 */
    snd->t_time_wait = TCPSIM_TIME_NEVER;
    sp->t_fin_wait2 = TCPSIM_TIME_NEVER;
    snd->t_rtx = snd->t_persist = snd->t_keepalive = TCPSIM_TIME_NEVER;

    /* ---- the receiver: SEGMENT ARRIVES, §3.10.7.4 in ESTABLISHED ---- */
    uint32_t ack = seg->ack, seq = seg->seq;
    /* RFC 7323 §4.3 (R3) */
    if (rcv->ts_ok && (seg->opts.present & TCPSIM_HAS_TS) && tcpsim_seq_geq(seg->opts.ts_val, rcv->ts_recent) &&
        tcpsim_seq_leq(seq, rp->last_ack_sent))
        rcv->ts_recent = seg->opts.ts_val;
    rp->ka_sent = 0;
    if (tcpsim_seq_lt(rcv->snd_una, ack)) {
        uint32_t acked = ack - rcv->snd_una;
        tcpsim__ack_advance(rcv, ack, now);
        tcpsim__cc_on_ack(rcv, acked, ack, now, NULL); /* not in recovery: no segment, no output */
    }
    /* SND.WL1/WL2 rule (SND.UNA <= SEG.ACK holds) */
    if (tcpsim_seq_lt(rcv->snd_wl1, seq) || (rcv->snd_wl1 == seq && tcpsim_seq_leq(rcv->snd_wl2, ack))) {
        uint32_t w = (uint32_t)seg->window << rcv->snd_wscale;
        rcv->snd_wnd = w;
        rcv->snd_wl1 = seq;
        rcv->snd_wl2 = ack;
        if (w > rp->max_snd_wnd)
            rp->max_snd_wnd = w;
    }
    if (len > 0) {
        /* seventh step, in order (tcpsim__rcv_data without a buffer) */
        rp->rcv_q = (uint64_t)rp->rcv_q + len > rp->rcv_cap ? rp->rcv_cap : rp->rcv_q + len;
        rcv->rcv_nxt += len;
        tcpsim__rcv_update_wnd_inline(rcv);
        tcpsim__want_ack(rcv, TCPSIM_WHY_DATA_RECEIVED);
    }
    if (rp->ack_pending) {
        /* tcpsim__output: an observer's ACK counts as sent (tcpsim__emit),
         * the window field as tcpsim__win_field makes it (RCV.WND again,
         * unchanged when the text above just set it) */
        if (len == 0)
            tcpsim__rcv_update_wnd_inline(rcv);
        rp->ack_pending = false;
        tcpsim__observer_ack_sent(rcv);
    }
    rcv->t_time_wait = TCPSIM_TIME_NEVER;
    rp->t_fin_wait2 = TCPSIM_TIME_NEVER;
    rcv->t_rtx = rcv->t_persist = rcv->t_keepalive = TCPSIM_TIME_NEVER;
    return true;
}

bool tcpsim_tcp_fast_path(struct tcpsim_tcp_endpoint *snd, struct tcpsim_tcp_endpoint *rcv,
                          const struct tcpsim_segment *seg, tcpsim_time_t now)
{
    if (snd == NULL || rcv == NULL || seg == NULL || !snd->priv.live || !rcv->priv.live)
        return false;
    /* ACK, optionally PSH; nothing else (no SYN, FIN, RST, URG, ECE/CWR) */
    if ((seg->flags & (uint8_t)~TCPSIM_PSH) != TCPSIM_ACK)
        return false;
    const struct tcpsim_tcp_priv *sp = &snd->priv, *rp = &rcv->priv;
    if (sp->rbuf != NULL || sp->sbuf != NULL || rp->rbuf != NULL)
        return false;
    return predict(snd, rcv, seg, now);
}

bool tcpsim_tcp_fast_path_obs(struct tcpsim_tcp_endpoint ep[2], int dir, const struct tcpsim_segment *seg,
                              tcpsim_time_t now)
{
    /* (the caller guarantees both are live observers without buffers) */
    if ((seg->flags & (uint8_t)~TCPSIM_PSH) != TCPSIM_ACK)
        return false;
    return predict(&ep[dir], &ep[!dir], seg, now);
}

/* ---- pure ACKs that may move the receiver's state ---- */

static bool fin_acked(const struct tcpsim_tcp_endpoint *ep)
{
    return ep->fin_sent && tcpsim_seq_gt(ep->snd_una, ep->fin_seq);
}

static bool observer_without_buffers(const struct tcpsim_tcp_endpoint *ep)
{
    const struct tcpsim_tcp_priv *p = &ep->priv;
    return p->live && p->observer && p->sbuf == NULL && p->rbuf == NULL;
}

/* RCV.WND as SEGMENT ARRIVES computes it before its first step: an
 * observer's readable bytes consumed (tcpsim__rcv_auto_consume), then
 * tcpsim__rcv_update_wnd_inline with no readable bytes, without changing `ep`. */
static uint32_t observer_wnd(const struct tcpsim_tcp_endpoint *ep)
{
    const struct tcpsim_tcp_priv *p = &ep->priv;
    if (p->ws_unknown)
        return 1u << 30;
    if (p->obs_edge_set)
        return tcpsim_seq_gt(p->obs_edge, ep->rcv_nxt) ? p->obs_edge - ep->rcv_nxt : 0;
    uint32_t w = p->rcv_cap, maxw = 65535u << (ep->ws_ok ? ep->rcv_wscale : 0);
    return w > maxw ? maxw : w;
}

/* Would SEGMENT ARRIVES (§3.10.7.4, on_synchronized in endpoint.c) take this
 * pure ACK at RCV.NXT, or with `fin` this FIN (no text) at RCV.NXT, and
 * report nothing but transitions? Each test names the step of the full path
 * it stands for. */
__attribute__((always_inline)) static inline bool arrives_ok(const struct tcpsim_tcp_endpoint *ep,
                                                             const struct tcpsim_segment *seg, bool fin)
{
    uint32_t ack = seg->ack;
    switch (ep->state) {
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
        break;
    case TCPSIM_TCP_SYN_RECEIVED:
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
        /* a FIN here: from SYN_RECEIVED it is processed after the fifth
         * step's move; after the peer's FIN it is not new (eighth step) */
        if (fin)
            return false;
        break;
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
    case TCPSIM_TCP_SYN_SENT:
    case TCPSIM_TCP_TIME_WAIT: /* its own rules (restart, Linux's tcp_timewait_state_process) */
        return false;
    }
    if (seg->seq != ep->rcv_nxt) /* first step: acceptable, nothing to trim */
        return false;
    /* A FIN takes a sequence number: acceptable only in an open window (the
     * first step's fourth case; a zero window keeps the ACK, drops the FIN),
     * and in order with nothing queued (seventh step: tcpsim__rcv_data finds
     * it in order at once, pulls nothing, and says so: fin_now). */
    if (fin && (observer_wnd(ep) == 0 || ep->priv.nooo != 0))
        return false;
    /* the observer's resync when the ACK passes SND.NXT (observer.c), and the catch-up note */
    if (tcpsim_seq_gt(ack, ep->snd_nxt) || tcpsim_seq_gt(ack, ep->snd_max))
        return false;
    /* PAWS (RFC 7323 §5.3 R1) */
    if (ep->ts_ok && (seg->opts.present & TCPSIM_HAS_TS) && tcpsim_seq_lt(seg->opts.ts_val, ep->ts_recent) &&
        ep->cfg.paws)
        return false;
    bool syn_rcvd = ep->state == TCPSIM_TCP_SYN_RECEIVED;
    uint32_t una = ep->snd_una, wnd = ep->snd_wnd, max_wnd = ep->priv.max_snd_wnd;
    if (syn_rcvd) {
        /* fifth step in SYN_RECEIVED: SND.UNA < SEG.ACK =< SND.NXT, else RST */
        if (!tcpsim_seq_lt(una, ack))
            return false;
        /* as it will be after tcpsim__ack_advance and tcpsim__set_snd_wnd */
        una = ack;
        wnd = (uint32_t)seg->window << ep->snd_wscale;
        if (wnd > max_wnd)
            max_wnd = wnd;
    }
    if (tcpsim_seq_lt(ack, una - max_wnd) && ep->cfg.challenge_ack) /* RFC 5961 §5.2 */
        return false;
    if (tcpsim_seq_lt(una, ack)) {
        if (ep->in_recovery) /* NewReno partial ACK: a retransmission */
            return false;
    } else if (!fin && ack == una && tcpsim_seq_lt(una, ep->snd_max) &&
               ((uint32_t)seg->window << ep->snd_wscale) == wnd) {
        return false; /* RFC 5681 §2 duplicate ACK (never one with a FIN): counted and noted */
    }
    return true;
}

/* What tcpsim_tcp_segment_arrives does with a segment arrives_ok took (a
 * pure ACK, or with `fin` a FIN without text), to an observer without
 * buffers: shared by tcpsim_tcp_arrives_fast and the close step. */
__attribute__((always_inline)) static inline void arrives_commit(struct tcpsim_tcp_endpoint *ep,
                                                                 const struct tcpsim_segment *seg, bool fin,
                                                                 tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    const uint32_t seq = seg->seq, ack = seg->ack;
    /* tcpsim_tcp_segment_arrives first consumes the readable bytes
     * (tcpsim__rcv_auto_consume: an observer without a buffer keeps none);
     * RCV.WND, recomputed then and before the first step, is set once at the
     * end instead: nothing here reads it before, and of what it is made of
     * only RCV.NXT changes, by the FIN, after which the full path computes it
     * again too */
    p->rcv_q = 0;
    /* (first step: acceptable, no data at SEG.SEQ = RCV.NXT, nothing to trim) RFC 7323 §4.3 (R3) */
    if (ep->ts_ok && (seg->opts.present & TCPSIM_HAS_TS) && tcpsim_seq_geq(seg->opts.ts_val, ep->ts_recent) &&
        tcpsim_seq_leq(seq, p->last_ack_sent))
        ep->ts_recent = seg->opts.ts_val;
    p->ka_sent = 0;
    ep->t_keepalive = TCPSIM_TIME_NEVER;
    /* fifth step */
    if (ep->state == TCPSIM_TCP_SYN_RECEIVED) {
        tcpsim__ack_advance(ep, ack, now);
        tcpsim__set_snd_wnd(ep, seg, seq);
        tcpsim__enter_established(ep, TCPSIM_WHY_ACK_OF_SYNACK, now, out);
    }
    const bool was_fin_acked = fin_acked(ep);
    if (tcpsim_seq_lt(ep->snd_una, ack)) {
        uint32_t acked = ack - ep->snd_una;
        tcpsim__ack_advance(ep, ack, now);
        tcpsim__cc_on_ack(ep, acked, ack, now, out); /* not in recovery: no segment, no note */
    }
    if (tcpsim_seq_leq(ep->snd_una, ack) &&
        (tcpsim_seq_lt(ep->snd_wl1, seq) || (ep->snd_wl1 == seq && tcpsim_seq_leq(ep->snd_wl2, ack))))
        tcpsim__set_snd_wnd(ep, seg, seq);
    /* (the full path returns after these two moves; neither state takes a
     * FIN here, nor is FIN_WAIT_1: what follows does nothing in them) */
    switch (ep->state) {
    case TCPSIM_TCP_CLOSING:
        if (fin_acked(ep))
            tcpsim__enter_time_wait(ep, TCPSIM_WHY_FIN_ACKED, now, out);
        break;
    case TCPSIM_TCP_LAST_ACK:
        if (fin_acked(ep))
            tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_FIN_ACKED, now, out);
        break;
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
    case TCPSIM_TCP_SYN_SENT:
    case TCPSIM_TCP_SYN_RECEIVED:
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_TIME_WAIT:
        break;
    }
    /* (no URG, no text: the sixth and seventh steps do nothing) */
    if (fin) {
        /* seventh step: tcpsim__rcv_data takes the FIN in order; eighth
         * step: ESTABLISHED -> CLOSE_WAIT, FIN_WAIT_1 -> CLOSING or
         * TIME_WAIT, FIN_WAIT_2 -> TIME_WAIT */
        tcpsim__peer_fin(ep, !was_fin_acked && fin_acked(ep), now, out);
    }
    if (ep->state == TCPSIM_TCP_FIN_WAIT_1 && fin_acked(ep))
        tcpsim__transition(ep, TCPSIM_TCP_FIN_WAIT_2, TCPSIM_WHY_FIN_ACKED, now, out);
    /* RCV.WND (above; tcpsim__peer_fin set it after the FIN), then
     * tcpsim__output: the ACK owed counted as sent */
    if (!fin)
        tcpsim__rcv_update_wnd_inline(ep);
    if (p->ack_pending) {
        p->ack_pending = false;
        if (tcpsim__can_ack(ep->state))
            tcpsim__observer_ack_sent(ep);
    }
    tcpsim__timers_update(ep, now);
}

/* A FIN (FIN|ACK, optionally PSH) without text? */
static inline bool bare_fin(const struct tcpsim_segment *seg)
{
    return (seg->flags & (uint8_t)~TCPSIM_PSH) == (TCPSIM_ACK | TCPSIM_FIN) && seg->payload_len == 0;
}

bool tcpsim_tcp_arrives_fast(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, tcpsim_time_t now,
                             struct tcpsim_tcp_out *out)
{
    if (ep == NULL || seg == NULL || out == NULL || !observer_without_buffers(ep))
        return false;
    const uint8_t flags = seg->flags & (uint8_t)~TCPSIM_PSH;
    const bool fin = flags == (TCPSIM_ACK | TCPSIM_FIN);
    if ((flags != TCPSIM_ACK && !fin) || seg->payload_len != 0 || !arrives_ok(ep, seg, fin))
        return false;
    arrives_commit(ep, seg, fin, now, out);
    return true;
}

/* ---- the client's side of the handshake: the SYN-ACK arriving ---- */

bool tcpsim_tcp_synack_arrives_fast(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, tcpsim_time_t now,
                                    struct tcpsim_tcp_out *out)
{
    if (ep == NULL || seg == NULL || out == NULL || !observer_without_buffers(ep) || ep->state != TCPSIM_TCP_SYN_SENT)
        return false;
    /* on_syn_sent (RFC 9293 §3.10.7.3): a SYN-ACK without RST, FIN or text
     * (nothing for the sixth step), its ACK acceptable (ISS < SEG.ACK =<
     * SND.NXT: SND.UNA = ISS in SYN_SENT, so it acknowledges our SYN) */
    if ((seg->flags & (TCPSIM_SYN | TCPSIM_ACK | TCPSIM_RST | TCPSIM_FIN)) != (TCPSIM_SYN | TCPSIM_ACK) ||
        seg->payload_len != 0 || tcpsim_seq_leq(seg->ack, ep->iss) || tcpsim_seq_gt(seg->ack, ep->snd_nxt) ||
        !tcpsim_seq_lt(ep->snd_una, seg->ack))
        return false;
    /* tcpsim__negotiate would add a note: an MSS option of 0 or below
     * cfg.min_snd_mss, a window shift above 14 (RFC 7323 §2.3) */
    const struct tcpsim_tcp_opts *o = &seg->opts;
    if (((o->present & TCPSIM_HAS_MSS) && (o->mss == 0 || o->mss < ep->cfg.min_snd_mss)) ||
        (ep->cfg.opt_wscale && (o->present & TCPSIM_HAS_WSCALE) && o->wscale > 14))
        return false;
    /* tcpsim_tcp_segment_arrives: the readable bytes consumed, on_syn_sent's
     * fourth step (the SYN-ACK acknowledges our SYN: ESTABLISHED, an ACK
     * owed), then the owed ACK counted as sent and the timers (none) */
    tcpsim__rcv_auto_consume(ep);
    ep->irs = seg->seq;
    ep->rcv_nxt = seg->seq + 1;
    tcpsim__record_peer_syn(ep, seg);
    tcpsim__negotiate(ep, now, out);
    tcpsim__ack_advance(ep, seg->ack, now);
    tcpsim__set_snd_wnd(ep, seg, seg->seq);
    tcpsim__enter_established(ep, TCPSIM_WHY_SYNACK_ACKS_SYN, now, out);
    tcpsim__want_ack(ep, TCPSIM_WHY_SYNACK_ACKS_SYN);
    tcpsim__output(ep, now, out);
    tcpsim__timers_update(ep, now);
    return true;
}

/* ---- the FINs of the close: the sender's step, and the close in one step ---- */

/* Would tcpsim_tcp_observe_sent take this FIN without text as the sender's
 * CLOSE (RFC 9293 §3.10.4) and nothing else: an observer in ESTABLISHED or
 * CLOSE_WAIT that has not sent its FIN, at SND.NXT with nothing sent past it
 * (no retransmission note, no catch-up; nor the replay observer's resync),
 * acknowledging nothing past RCV.NXT (no catch-up of what it received)?
 * `rcv_nxt` is its RCV.NXT when the FIN is sent. */
static inline bool fin_sent_ok(const struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, uint32_t rcv_nxt)
{
    return (ep->state == TCPSIM_TCP_ESTABLISHED || ep->state == TCPSIM_TCP_CLOSE_WAIT) && !ep->fin_sent &&
           seg->seq == ep->snd_max && ep->snd_nxt == ep->snd_max && !tcpsim_seq_gt(seg->ack, rcv_nxt);
}

/* tcpsim_tcp_observe_sent for a FIN fin_sent_ok took: the ACK's advertised
 * window (RFC 7323 §2.3), SND.NXT past the FIN, then CLOSE: ESTABLISHED ->
 * FIN_WAIT_1, CLOSE_WAIT -> LAST_ACK (observe_fin). */
__attribute__((always_inline)) static inline void fin_sent_commit(struct tcpsim_tcp_endpoint *ep,
                                                                  const struct tcpsim_segment *seg, tcpsim_time_t now,
                                                                  struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    tcpsim__rcv_auto_consume(ep);
    p->obs_edge = seg->ack + ((uint32_t)seg->window << (ep->ws_ok ? ep->rcv_wscale : 0));
    p->obs_edge_set = true;
    tcpsim__rcv_update_wnd(ep);
    ep->snd_nxt = ep->snd_max = seg->seq + 1u;
    ep->fin_queued = ep->fin_sent = true;
    ep->fin_seq = seg->seq;
    tcpsim__transition(ep, ep->state == TCPSIM_TCP_ESTABLISHED ? TCPSIM_TCP_FIN_WAIT_1 : TCPSIM_TCP_LAST_ACK,
                       TCPSIM_WHY_CLOSE_SENDS_FIN, now, out);
    tcpsim__timers_update(ep, now);
}

bool tcpsim_tcp_fin_observed(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, tcpsim_time_t now,
                             struct tcpsim_tcp_out *out)
{
    if (ep == NULL || seg == NULL || out == NULL || !observer_without_buffers(ep) || !bare_fin(seg) ||
        !fin_sent_ok(ep, seg, ep->rcv_nxt))
        return false;
    fin_sent_commit(ep, seg, now, out);
    return true;
}

bool tcpsim_tcp_close_observed(struct tcpsim_tcp_endpoint *closer, struct tcpsim_tcp_endpoint *peer,
                               const struct tcpsim_tcp_close *a, struct tcpsim_tcp_out *out, size_t ntrans[3])
{
    if (closer == NULL || peer == NULL || a == NULL || out == NULL || ntrans == NULL || closer == peer)
        return false;
    const struct tcpsim_segment *fin = a->fin, *reply = a->reply;
    if (!observer_without_buffers(closer) || !observer_without_buffers(peer) || !bare_fin(fin) || !bare_fin(reply))
        return false;
    /* Everything is decided before anything changes. The closer's FIN
     * arrives at the peer in ESTABLISHED as tcpsim_tcp_arrives_fast takes it
     * (-> CLOSE_WAIT, RCV.NXT one past the FIN; SND.NXT and SND.MAX stay, as
     * arrives_ok takes no ACK past them; its FIN is not sent). */
    if (peer->state != TCPSIM_TCP_ESTABLISHED || !arrives_ok(peer, fin, true))
        return false;
    /* The peer's FIN-ACK as fin_sent_ok takes it from CLOSE_WAIT, then
     * arriving at the closer in FIN_WAIT_1 or FIN_WAIT_2 (which the first two
     * steps do not touch) as tcpsim_tcp_arrives_fast takes it. */
    if (!fin_sent_ok(peer, reply, fin->seq + 1u) ||
        (closer->state != TCPSIM_TCP_FIN_WAIT_1 && closer->state != TCPSIM_TCP_FIN_WAIT_2) ||
        !arrives_ok(closer, reply, true))
        return false;
    size_t n = out->ntrans;
    arrives_commit(peer, fin, true, a->fin_at, out);
    ntrans[0] = out->ntrans - n;
    n = out->ntrans;
    fin_sent_commit(peer, reply, a->now, out);
    ntrans[1] = out->ntrans - n;
    n = out->ntrans;
    arrives_commit(closer, reply, true, a->now, out);
    ntrans[2] = out->ntrans - n;
    return true;
}

bool tcpsim_tcp_fast_path_out(struct tcpsim_tcp_endpoint *snd, struct tcpsim_tcp_endpoint *rcv,
                              const struct tcpsim_segment *seg, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    if (snd == NULL || rcv == NULL || seg == NULL || out == NULL || snd == rcv)
        return false;
    if ((seg->flags & (uint8_t)~TCPSIM_PSH) != TCPSIM_ACK || seg->payload_len != 0)
        return false;
    /* the sender: an observer in a synchronized state at SND.NXT (no resync),
     * acknowledging nothing past its RCV.NXT (no catch-up) */
    if (!observer_without_buffers(snd) || !tcpsim_tcp_state_synchronized(snd->state) || seg->seq != snd->snd_nxt ||
        tcpsim_seq_gt(seg->ack, snd->rcv_nxt))
        return false;
    /* the receiver first (tcpsim_tcp_arrives_fast, an ACK): when it is not
     * taken, the sender is untouched */
    if (!observer_without_buffers(rcv) || !arrives_ok(rcv, seg, false))
        return false;
    arrives_commit(rcv, seg, false, now, out);
    /* the sender: tcpsim_tcp_observe_sent, an ACK without data */
    struct tcpsim_tcp_priv *sp = &snd->priv;
    tcpsim__rcv_auto_consume(snd);
    sp->obs_edge = seg->ack + ((uint32_t)seg->window << (snd->ws_ok ? snd->rcv_wscale : 0));
    sp->obs_edge_set = true;
    tcpsim__rcv_update_wnd(snd);
    tcpsim__timers_update(snd, now);
    return true;
}

/* ---- the client's connect: a fresh endpoint and its SYN ---- */

bool tcpsim_tcp_connect_observed(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_tcp_endpoint *tmpl,
                                 const struct tcpsim_tcp_connect *a, struct tcpsim_tcp_out *out)
{
    if (ep == NULL || tmpl == NULL || a == NULL || out == NULL || ep == tmpl)
        return false;
    const struct tcpsim_tcp_priv *tp = &tmpl->priv;
    const struct tcpsim_segment *syn = a->syn;
    /* the template: what tcpsim_tcp_init_copy copies in CLOSED, made by
     * tcpsim_tcp_init; the SYN: observe_syn's (no ACK, no RST) */
    if (!tp->live || tp->observer || tp->sbuf != NULL || tp->rbuf != NULL || tmpl->state != TCPSIM_TCP_CLOSED ||
        (syn->flags & (TCPSIM_SYN | TCPSIM_ACK | TCPSIM_RST)) != TCPSIM_SYN)
        return false;
    /* tcpsim_tcp_init_copy */
    memcpy(ep, tmpl, sizeof *ep);
    ep->local_port = a->local_port;
    ep->remote_port = a->remote_port;
    /* tcpsim_tcp_observe_sent(syn): an observer now (nothing readable),
     * observe_syn in CLOSED, the active OPEN with ISS = SEG.SEQ (RFC 9293
     * §3.10.1). Its tcpsim__reset_conn changes nothing on the fresh copy:
     * tcpsim_tcp_init ends with it, and RCV.WND, which it recomputes, is the
     * free buffer for an observer too until a window is seen
     * (obs_edge_set, ws_unknown: both false in a fresh endpoint) */
    struct tcpsim_tcp_priv *p = &ep->priv;
    p->observer = true;
    tcpsim__record_our_syn(ep, syn);
    tcpsim__set_iss(ep, syn->seq, a->now);
    p->obs_edge_set = false;
    p->ws_unknown = false;
    tcpsim__transition(ep, TCPSIM_TCP_SYN_SENT, TCPSIM_WHY_OPEN_ACTIVE, a->now, out);
    tcpsim__timers_update(ep, a->now);
    return true;
}

/* ---- the server's accept: LISTEN, the client's SYN, its own SYN-ACK ---- */

bool tcpsim_tcp_accept_observed(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_tcp_endpoint *tmpl,
                                const struct tcpsim_tcp_accept *a, struct tcpsim_tcp_out *out)
{
    if (ep == NULL || tmpl == NULL || a == NULL || out == NULL || ep == tmpl)
        return false;
    const struct tcpsim_segment *syn = a->syn, *sa = a->synack;
    const struct tcpsim_tcp_priv *tp = &tmpl->priv;
    /* the template: what tcpsim_tcp_init_copy copies in LISTEN, a passive
     * observer (tcpsim__send_syn builds nothing), the ISS from cfg.iss */
    if (!tp->live || tp->observer || tp->sbuf != NULL || tp->rbuf != NULL || tmpl->state != TCPSIM_TCP_LISTEN ||
        !tmpl->passive || !tmpl->cfg.observer || tmpl->cfg.isn_fn != NULL)
        return false;
    /* the SYN: on_listen's third check, accept_syn without a note (no text,
     * no FIN; tcpsim__negotiate clamps nothing) */
    const struct tcpsim_tcp_opts *o = &syn->opts;
    if ((syn->flags & (TCPSIM_SYN | TCPSIM_ACK | TCPSIM_RST | TCPSIM_FIN)) != TCPSIM_SYN || syn->payload_len != 0 ||
        ((o->present & TCPSIM_HAS_MSS) && (o->mss == 0 || o->mss < tmpl->cfg.min_snd_mss)) ||
        ((o->present & TCPSIM_HAS_WSCALE) && o->wscale > 14))
        return false;
    /* the SYN-ACK: observe_synack in SYN_RECEIVED, the ISS on the wire not
     * the one accept_syn chose (else its first branch: set_iss not redone) */
    if ((sa->flags & (TCPSIM_SYN | TCPSIM_ACK | TCPSIM_RST)) != (TCPSIM_SYN | TCPSIM_ACK) || sa->seq == tmpl->cfg.iss)
        return false;

    /* tcpsim_tcp_init_copy */
    memcpy(ep, tmpl, sizeof *ep);
    ep->local_port = a->local_port;
    ep->remote_port = a->remote_port;
    struct tcpsim_tcp_priv *p = &ep->priv;

    /* tcpsim_tcp_segment_arrives(SYN) in LISTEN at a->syn_at: accept_syn
     * (RFC 9293 §3.10.7.2). Its tcpsim__reset_conn changes nothing on a
     * fresh copy but ep->passive, set again here; its tcpsim__negotiate and
     * tcpsim__set_iss are redone below with the SYN-ACK's numbers, which
     * overwrite every field they set. */
    p->ws_unknown = false;
    ep->passive = true;
    ep->irs = syn->seq;
    ep->rcv_nxt = syn->seq + 1;
    tcpsim__record_peer_syn(ep, syn);
    tcpsim__set_snd_wnd(ep, syn, syn->seq);
    tcpsim__transition(ep, TCPSIM_TCP_SYN_RECEIVED, TCPSIM_WHY_SYN_IN_LISTEN, a->syn_at, out);
    /* tcpsim__send_syn's observer branch: the SYN-ACK counts as sent, its
     * window never above 65535 (not yet an observer: RCV.WND is the free
     * buffer, at least 65535 when scaled by any shift) */
    uint32_t w = p->rcv_cap - p->rcv_q;
    p->ack_pending = false;
    p->last_ack_sent = ep->rcv_nxt;
    p->rcv_adv = ep->rcv_nxt + (w > 65535u ? 65535u : w);
    /* (tcpsim__output: no ACK owed, nothing queued; no timers) */

    /* tcpsim_tcp_observe_sent(SYN-ACK) at a->now: observe_synack's second
     * branch (SND.UNA = ISS) */
    p->observer = true;
    tcpsim__record_our_syn(ep, sa);
    tcpsim__negotiate(ep, a->now, out);
    tcpsim__set_iss(ep, sa->seq, a->now);
    /* the window of a SYN-ACK is not scaled (RFC 7323 §2.2) */
    p->obs_edge = sa->ack + sa->window;
    p->obs_edge_set = true;
    tcpsim__rcv_update_wnd(ep);
    return true;
}
