/* fastpath.c - header prediction for the passive observer: the common
 * segment between two ESTABLISHED endpoints, handled in a few lines.
 * Read first: RFC 1323 appendix A ("header prediction", after Van Jacobson;
 * BSD tcp_input, Linux tcp_rcv_established), RFC 9293 §3.10.7.4 (the checks
 * the full path makes, which this must agree with), RFC 7323 §4.3 (TS.Recent). */
#include "tcp/tcp_priv.h"

/* The receiver's side of a predicted segment: every check of §3.10.7.4 that
 * could do something other than "accept, take the ACK, take the text" is
 * decided up front; if any could, nothing is changed and false is returned. */
static bool rcv_predicted(const struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, uint32_t len)
{
    const struct tcpsim_tcp_priv *p = &ep->priv;
    uint32_t ack = seg->ack;
    if (ep->state != TCPSIM_TCP_ESTABLISHED || !p->observer || p->rbuf != NULL || p->nooo != 0 || ep->fin_sent ||
        ep->in_recovery || ep->user_closed)
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

bool tcpsim_tcp_fast_path(struct tcpsim_tcp_endpoint *snd, struct tcpsim_tcp_endpoint *rcv,
                          const struct tcpsim_segment *seg, tcpsim_time_t now)
{
    if (snd == NULL || rcv == NULL || seg == NULL || !snd->priv.live || !rcv->priv.live)
        return false;
    /* ACK, optionally PSH; nothing else (no SYN, FIN, RST, URG, ECE/CWR) */
    if ((seg->flags & (uint8_t)~TCPSIM_PSH) != TCPSIM_ACK)
        return false;
    uint32_t len = (uint32_t)seg->payload_len;
    struct tcpsim_tcp_priv *sp = &snd->priv, *rp = &rcv->priv;
    /* the sender: an observer in ESTABLISHED sending the next new bytes (or
     * a pure ACK at SND.NXT), acknowledging nothing past its RCV.NXT */
    if (snd->state != TCPSIM_TCP_ESTABLISHED || !sp->observer || sp->rbuf != NULL || sp->sbuf != NULL ||
        seg->seq != snd->snd_nxt || snd->snd_nxt != snd->snd_max || tcpsim_seq_gt(seg->ack, snd->rcv_nxt))
        return false;
    if (!rcv_predicted(rcv, seg, len))
        return false;
    /* The full path starts the receiver the same way (tcpsim__rcv_auto_consume,
     * then RCV.WND recomputed before the first step), so doing it here before
     * a possible fall-back changes nothing it would not change itself. */
    rp->rcv_q = 0;
    tcpsim__rcv_update_wnd(rcv);
    if (len > rcv->rcv_wnd) /* would be trimmed at the right edge (or dropped at a zero window) */
        return false;

    /* ---- the sender: tcpsim_tcp_observe_sent, ESTABLISHED, ACK ---- */
    sp->rcv_q = 0; /* tcpsim__rcv_auto_consume: the observer's user read it all */
    sp->obs_edge = seg->ack + ((uint32_t)seg->window << (snd->ws_ok ? snd->rcv_wscale : 0));
    sp->obs_edge_set = true;
    tcpsim__rcv_update_wnd(snd);
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
        tcpsim__rcv_update_wnd(rcv);
        tcpsim__want_ack(rcv, TCPSIM_WHY_DATA_RECEIVED);
    }
    if (rp->ack_pending) {
        /* tcpsim__output: an observer's ACK counts as sent (tcpsim__emit) */
        uint32_t w = tcpsim__win_field(rcv, false);
        if (rcv->ws_ok)
            w <<= rcv->rcv_wscale;
        rp->ack_pending = false;
        rp->last_ack_sent = rcv->rcv_nxt;
        rp->rcv_adv = rcv->rcv_nxt + w;
    }
    rcv->t_time_wait = TCPSIM_TIME_NEVER;
    rp->t_fin_wait2 = TCPSIM_TIME_NEVER;
    rcv->t_rtx = rcv->t_persist = rcv->t_keepalive = TCPSIM_TIME_NEVER;
    return true;
}
