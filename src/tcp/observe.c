/* observe.c - passive replay: the endpoint is told what it sent (a segment
 * from a capture) and applies the user-call rules that must have produced it.
 * Read first: RFC 9293 §3.10.1 (OPEN: SYN), §3.10.4 (CLOSE: FIN), §3.10.5
 * (ABORT: RST), §3.10.7.2 (SYN-ACK from LISTEN). Captures are messy: nothing
 * here fails on odd input; it leaves the state and adds a note. */
#include "tcp/tcp_priv.h"

static void observe_syn(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, tcpsim_time_t now,
                        struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    switch (ep->state) {
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
        /* active OPEN with ISS = SEG.SEQ */
        tcpsim__reset_conn(ep);
        tcpsim__record_our_syn(ep, seg);
        tcpsim__set_iss(ep, seg->seq, now);
        p->obs_edge_set = false;
        p->ws_unknown = false;
        tcpsim__transition(ep, TCPSIM_TCP_SYN_SENT, TCPSIM_WHY_OPEN_ACTIVE, now, out);
        return;
    case TCPSIM_TCP_SYN_SENT:
        if (seg->seq == ep->iss) {
            tcpsim__note(out, TCPSIM_WHY_OBSERVE_RTX, now);
        } else {
            /* a fresh attempt with another ISS */
            tcpsim__record_our_syn(ep, seg);
            tcpsim__set_iss(ep, seg->seq, now);
            tcpsim__note(out, TCPSIM_WHY_OBSERVE_ODD, now);
        }
        return;
    case TCPSIM_TCP_SYN_RECEIVED:
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        tcpsim__note(out, seg->seq == ep->iss ? TCPSIM_WHY_OBSERVE_RTX : TCPSIM_WHY_OBSERVE_ODD, now);
        return;
    }
}

static void observe_synack(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, tcpsim_time_t now,
                           struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    switch (ep->state) {
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN: {
        /* the peer's SYN was not captured (or not given to us): infer it. Our
         * SYN-ACK mirrors its offer, so its options are ours. */
        bool was_listen = ep->state == TCPSIM_TCP_LISTEN;
        tcpsim__reset_conn(ep);
        p->ws_unknown = false;
        ep->passive = was_listen;
        ep->irs = seg->ack - 1;
        ep->rcv_nxt = seg->ack;
        const struct tcpsim_tcp_opts *o = &seg->opts;
        p->peer_mss_set = false;
        p->peer_ws = (o->present & TCPSIM_HAS_WSCALE) != 0;
        p->peer_wscale = 0;
        p->peer_sack = (o->present & TCPSIM_HAS_SACK_PERM) != 0;
        p->peer_ts = (o->present & TCPSIM_HAS_TS) != 0;
        if (p->peer_ts)
            ep->ts_recent = o->ts_ecr;
        tcpsim__record_our_syn(ep, seg);
        tcpsim__negotiate(ep, now, out);
        tcpsim__set_iss(ep, seg->seq, now);
        tcpsim__note(out, TCPSIM_WHY_OBSERVE_CATCHUP, now);
        tcpsim__transition(ep, TCPSIM_TCP_SYN_RECEIVED, TCPSIM_WHY_SYN_IN_LISTEN, now, out);
        break;
    }
    case TCPSIM_TCP_SYN_RECEIVED:
        if (seg->seq == ep->iss && ep->snd_nxt == ep->iss + 1 && ep->snd_una == ep->iss) {
            /* our SYN-ACK as built, or sent again (the first one fixes the options) */
            tcpsim__record_our_syn(ep, seg);
            tcpsim__negotiate(ep, now, out);
        } else if (tcpsim_seq_leq(ep->snd_una, ep->iss)) {
            /* the real ISS is the one on the wire */
            tcpsim__record_our_syn(ep, seg);
            tcpsim__negotiate(ep, now, out);
            tcpsim__set_iss(ep, seg->seq, now);
        } else {
            tcpsim__note(out, TCPSIM_WHY_OBSERVE_ODD, now);
        }
        break;
    case TCPSIM_TCP_SYN_SENT:
        /* we sent a SYN-ACK without having been told of the peer's SYN: odd */
        tcpsim__note(out, TCPSIM_WHY_OBSERVE_ODD, now);
        return;
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        /* our handshake ACK was lost and the SYN-ACK repeated */
        tcpsim__note(out, seg->seq == ep->iss ? TCPSIM_WHY_OBSERVE_RTX : TCPSIM_WHY_OBSERVE_ODD, now);
        return;
    }
    /* the window of a SYN-ACK is not scaled (RFC 7323 §2.2) */
    p->obs_edge = seg->ack + seg->window;
    p->obs_edge_set = true;
    tcpsim__rcv_update_wnd(ep);
}

static void observe_fin(struct tcpsim_tcp_endpoint *ep, uint32_t fin_seq, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    if (ep->fin_sent) {
        if (fin_seq != ep->fin_seq)
            tcpsim__note(out, TCPSIM_WHY_OBSERVE_ODD, now);
        return; /* FIN sent again: the retransmission note was given */
    }
    switch (ep->state) {
    case TCPSIM_TCP_SYN_RECEIVED:
    case TCPSIM_TCP_ESTABLISHED:
        ep->fin_queued = ep->fin_sent = true;
        ep->fin_seq = fin_seq;
        tcpsim__transition(ep, TCPSIM_TCP_FIN_WAIT_1, TCPSIM_WHY_CLOSE_SENDS_FIN, now, out);
        break;
    case TCPSIM_TCP_CLOSE_WAIT:
        ep->fin_queued = ep->fin_sent = true;
        ep->fin_seq = fin_seq;
        tcpsim__transition(ep, TCPSIM_TCP_LAST_ACK, TCPSIM_WHY_CLOSE_SENDS_FIN, now, out);
        break;
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
    case TCPSIM_TCP_SYN_SENT:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        tcpsim__note(out, TCPSIM_WHY_OBSERVE_ODD, now);
        break;
    }
}

enum tcpsim_err tcpsim_tcp_observe_sent(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg,
                                        tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    if (ep == NULL || !ep->priv.live || seg == NULL || out == NULL)
        return TCPSIM_ERR_INVALID;
    struct tcpsim_tcp_priv *p = &ep->priv;
    p->observer = true;
    tcpsim__rcv_auto_consume(ep);
    uint8_t f = seg->flags;

    if (f & TCPSIM_RST) {
        /* ABORT (RFC 9293 §3.10.5); a reset sent from CLOSED or LISTEN answers a stray segment */
        switch (ep->state) {
        case TCPSIM_TCP_CLOSED:
        case TCPSIM_TCP_LISTEN:
            break;
        case TCPSIM_TCP_SYN_SENT:
        case TCPSIM_TCP_SYN_RECEIVED:
        case TCPSIM_TCP_ESTABLISHED:
        case TCPSIM_TCP_FIN_WAIT_1:
        case TCPSIM_TCP_FIN_WAIT_2:
        case TCPSIM_TCP_CLOSE_WAIT:
        case TCPSIM_TCP_CLOSING:
        case TCPSIM_TCP_LAST_ACK:
        case TCPSIM_TCP_TIME_WAIT:
            tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_ABORT, now, out);
            break;
        }
        return TCPSIM_OK;
    }
    if (f & TCPSIM_SYN) {
        if (f & TCPSIM_ACK)
            observe_synack(ep, seg, now, out);
        else
            observe_syn(ep, seg, now, out);
        tcpsim__timers_update(ep, now);
        return TCPSIM_OK;
    }
    switch (ep->state) {
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
    case TCPSIM_TCP_SYN_SENT:
        /* nothing but SYN or RST fits these states */
        tcpsim__note(out, TCPSIM_WHY_OBSERVE_ODD, now);
        return TCPSIM_OK;
    case TCPSIM_TCP_SYN_RECEIVED:
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        break;
    }
    if (f & TCPSIM_ACK) {
        /* our receive window as advertised (RFC 7323 §2.3: scaled once negotiated) */
        p->obs_edge = seg->ack + ((uint32_t)seg->window << (ep->ws_ok ? ep->rcv_wscale : 0));
        p->obs_edge_set = true;
        bool fin_now = false;
        /* (tcpsim__rcv_catch_up does nothing unless the ACK is past RCV.NXT) */
        if (tcpsim_tcp_state_synchronized(ep->state) && tcpsim_seq_gt(seg->ack, ep->rcv_nxt) &&
            tcpsim__rcv_catch_up(ep, seg->ack, &fin_now)) {
            tcpsim__note(out, TCPSIM_WHY_OBSERVE_CATCHUP, now);
            if (fin_now)
                tcpsim__peer_fin(ep, false, now, out);
        }
        tcpsim__rcv_update_wnd(ep);
    }
    uint32_t end = seg->seq + (uint32_t)seg->payload_len;
    if (seg->payload_len > 0 || (f & TCPSIM_FIN)) {
        uint32_t top = end + ((f & TCPSIM_FIN) ? 1u : 0u);
        if (tcpsim_seq_gt(top, ep->snd_max)) {
            if (tcpsim_seq_gt(seg->seq, ep->snd_max))
                tcpsim__note(out, TCPSIM_WHY_OBSERVE_CATCHUP, now); /* our earlier segment was not captured */
            ep->snd_nxt = ep->snd_max = top;
        } else {
            tcpsim__note(out, TCPSIM_WHY_OBSERVE_RTX, now);
        }
        if (tcpsim_seq_lt(ep->snd_nxt, ep->snd_max))
            ep->snd_nxt = ep->snd_max;
        if (f & TCPSIM_FIN)
            observe_fin(ep, end, now, out);
    }
    tcpsim__timers_update(ep, now);
    return TCPSIM_OK;
}
