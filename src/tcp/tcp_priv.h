/* tcp_priv.h - internals of the RFC 9293 endpoint shared by the src/tcp sources.
 * Read first: RFC 9293 §3.3.1 (TCB), §3.10 (event processing), RFC 6298. */
#ifndef TCPSIM_TCP_PRIV_H
#define TCPSIM_TCP_PRIV_H

#include <stdint.h>

#include "tcpsim/tcp.h"

/* The RFC profile's floor for the peer's MSS (cfg.min_snd_mss): RFC 9293 §3.7.1
 * names no minimum; 88 is the value Linux used as TCP_MIN_MSS before
 * tcp_min_snd_mss (60 + 60 + 8 - 20 - 20: full IP and TCP options plus 8 data octets). */
#define TCPSIM_TCP_MIN_SND_MSS_RFC 88u
/* RFC 9293 §3.7.1: the MSS to assume when the peer sends no MSS option (IPv4). */
#define TCPSIM_TCP_DEFAULT_MSS 536u
/* RFC 6298 §2: clock granularity G. */
#define TCPSIM_TCP_CLOCK_G TCPSIM_MSEC(1)

/* The private part (struct tcpsim_tcp_priv) lives inside the endpoint
 * (ep->priv); its definition is in include/tcpsim/tcp.h for that reason. */

/* ---- out helpers (output.c) ---- */
void tcpsim__note(struct tcpsim_tcp_out *out, enum tcpsim_tcp_why why, tcpsim_time_t now);
void tcpsim__err(struct tcpsim_tcp_out *out, enum tcpsim_err err);
/* tcpsim__transition: inline, at the end of this file */

/* ---- segments (output.c) ---- */
/* Emit one segment built from the TCB. flags decide the option layout (SYN
 * options on SYN). seq is given explicitly; ack = RCV.NXT when ACK is set. */
struct tcpsim_tcp_tx *tcpsim__emit(struct tcpsim_tcp_endpoint *ep, uint8_t flags, uint32_t seq, uint32_t ack,
                                   const uint8_t *payload, uint32_t len, enum tcpsim_tcp_why why, bool rtx,
                                   tcpsim_time_t now, struct tcpsim_tcp_out *out);
/* A reset answering `seg` (RFC 9293 §3.10.7.1 rules: <SEQ=SEG.ACK><CTL=RST>
 * when it has ACK, else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>). */
void tcpsim__reply_rst(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, enum tcpsim_tcp_why why,
                       tcpsim_time_t now, struct tcpsim_tcp_out *out);
void tcpsim__send_syn(struct tcpsim_tcp_endpoint *ep, bool with_ack, bool rtx, enum tcpsim_tcp_why why,
                      tcpsim_time_t now, struct tcpsim_tcp_out *out);
/* Send queued data / FIN as the windows allow (at most max_segs segments;
 * retransmitted ones carry rtx_why), then a pure ACK if one is still owed. */
void tcpsim__output_n(struct tcpsim_tcp_endpoint *ep, size_t max_segs, enum tcpsim_tcp_why rtx_why, tcpsim_time_t now,
                      struct tcpsim_tcp_out *out);
static inline void tcpsim__observer_ack(struct tcpsim_tcp_endpoint *ep); /* below */
/* tcpsim__output_n with no limit. Inline: most calls (two at the end of every
 * arriving segment) have nothing to do, which this decides without the call:
 * no ACK owed, and the send loop would stop at once (an observer runs none;
 * else nothing past SND.NXT is queued and no FIN: its first pass finds n = 0
 * and no FIN). tcpsim__output_n would then only clear the (clear) ACK flag. */
static inline void tcpsim__output(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    if (p->observer) {
        /* An observer runs no send loop; the ACK it owes is tcpsim__output_n's
         * last step, done here without the calls (tcpsim__observer_ack). */
        if (p->ack_pending)
            tcpsim__observer_ack(ep);
        return;
    }
    if (p->ack_pending || ep->fin_queued || tcpsim_seq_gt(p->snd_base + p->snd_q, ep->snd_nxt))
        tcpsim__output_n(ep, SIZE_MAX, TCPSIM_WHY_SEND_DATA, now, out);
}
/* RFC 5681: window at connection start, and the reactions to loss. */
/* tcpsim__cc_init and tcpsim__cc_on_ack: inline at the end of this file
 * (a passive observer keeps no window: nothing to call), else these: */
void tcpsim__cc_init_n(struct tcpsim_tcp_endpoint *ep);
void tcpsim__cc_on_ack_n(struct tcpsim_tcp_endpoint *ep, uint32_t acked, uint32_t ack, tcpsim_time_t now,
                         struct tcpsim_tcp_out *out);
bool tcpsim__cc_on_dupack(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out);
void tcpsim__cc_on_rto(struct tcpsim_tcp_endpoint *ep);
/* Send the earliest unacknowledged segment again (RFC 6298 (5.4), RFC 5681 §3.2). */
void tcpsim__retransmit_first(struct tcpsim_tcp_endpoint *ep, enum tcpsim_tcp_why why, tcpsim_time_t now,
                              struct tcpsim_tcp_out *out);
/* Payload bytes that fit in one segment (MSS less the timestamp option). */
static inline uint32_t tcpsim__eff_mss(const struct tcpsim_tcp_endpoint *ep)
{
    /* RFC 9293 §3.7.1: Eff.snd.MSS excludes TCP options sent on every segment. */
    uint32_t mss = ep->snd_mss;
    if (ep->ts_ok && mss > 12u + 1u)
        mss -= 12u;
    return mss > 0 ? mss : 1u;
}
/* The window field we advertise now (scaled unless SYN). */
uint16_t tcpsim__win_field(struct tcpsim_tcp_endpoint *ep, bool syn);
uint32_t tcpsim__ts_now(tcpsim_time_t now);
/* States in which queued data and our FIN may be sent. */
bool tcpsim__state_sends(enum tcpsim_tcp_state s);
/* Ask for an ACK at the end of this event (tcpsim__output sends it). */
static inline void tcpsim__want_ack(struct tcpsim_tcp_endpoint *ep, enum tcpsim_tcp_why why)
{
    ep->priv.ack_pending = true;
    ep->priv.ack_why = why;
}
/* tcpsim__reset_conn, tcpsim__set_iss, tcpsim__negotiate, ...: inline, at the end of this file */

/* ---- retransmission, timers (rtx.c) ---- */
void tcpsim__rtt_sample(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t rtt);
/* Re-arm or stop the retransmission / persist / keep-alive timers after an
 * event (an observer has none: tcpsim__timers_update, inline below, returns
 * before the call). */
void tcpsim__timers_update_n(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now);
/* tcpsim__drop_tcb: inline, at the end of this file */
/* tcpsim__ack_advance: inline, at the end of this file */

/* ---- buffers (buffers.c) ---- */
uint32_t tcpsim__snd_end(const struct tcpsim_tcp_endpoint *ep); /* seq after the last queued byte */
const uint8_t *tcpsim__snd_data(const struct tcpsim_tcp_endpoint *ep, uint32_t seq);
uint32_t tcpsim__snd_append(struct tcpsim_tcp_endpoint *ep, const uint8_t *data, uint32_t len);
/* RCV.WND (tcpsim__rcv_update_wnd, below; inline: header prediction calls it
 * on every predicted segment, the observer's handshake and close a few times
 * per segment).
 * RCV.WND: free buffer space (RFC 9293 §3.8.6.2.2), or in replay what the
 * capture shows we advertised. Never more than the scaled 16-bit field holds. */
__attribute__((always_inline)) static inline void tcpsim__rcv_update_wnd_inline(struct tcpsim_tcp_endpoint *ep)
{
    const struct tcpsim_tcp_priv *p = &ep->priv;
    uint32_t w;
    if (p->observer && p->ws_unknown) {
        /* the capture began after the SYNs: any scale is possible, so do not
         * judge acceptability by a window we cannot read */
        w = 1u << 30;
    } else if (p->observer && p->obs_edge_set) {
        w = tcpsim_seq_gt(p->obs_edge, ep->rcv_nxt) ? p->obs_edge - ep->rcv_nxt : 0;
    } else {
        w = p->rcv_cap - p->rcv_q;
        uint32_t maxw = 65535u << (ep->ws_ok ? ep->rcv_wscale : 0);
        if (w > maxw)
            w = maxw;
    }
    ep->rcv_wnd = w;
}
static inline void tcpsim__rcv_update_wnd(struct tcpsim_tcp_endpoint *ep)
{
    tcpsim__rcv_update_wnd_inline(ep);
}
/* A state in which an ACK can be sent: RCV.NXT is known, from SYN-RECEIVED
 * on (RFC 9293 §3.3.2; in CLOSED, LISTEN and SYN-SENT nothing has been
 * received). Inline: the send path and the observer's owed ACK ask it. */
static inline bool tcpsim__can_ack(enum tcpsim_tcp_state s)
{
    return s == TCPSIM_TCP_SYN_RECEIVED || tcpsim_tcp_state_synchronized(s);
}

/* The observer's ACK counted as sent with RCV.WND as it stands: RFC 7323
 * §4.3 Last.ACK.sent and the advertised right edge, the window field as
 * tcpsim__win_field makes it (RFC 7323 §2.3: scaled down, capped, scaled
 * back). Inline: tcpsim__observer_ack and header prediction (fastpath.c). */
__attribute__((always_inline)) static inline void tcpsim__observer_ack_sent(struct tcpsim_tcp_endpoint *ep)
{
    uint32_t w = ep->rcv_wnd;
    if (ep->ws_ok)
        w >>= ep->rcv_wscale;
    if (w > 65535u)
        w = 65535u;
    if (ep->ws_ok)
        w <<= ep->rcv_wscale;
    ep->priv.last_ack_sent = ep->rcv_nxt;
    ep->priv.rcv_adv = ep->rcv_nxt + w;
}

/* What tcpsim__output_n does for an observer (priv.observer) that owes an
 * ACK: no send loop, and the ACK goes out in a state that can send one
 * (SYN_RECEIVED and later): tcpsim__emit builds nothing for an observer but
 * counts it as sent (RFC 7323 §4.3 Last.ACK.sent, the advertised right edge,
 * the window field as tcpsim__win_field makes it: RFC 7323 §2.3). Inline: the
 * observer's handshake and close reach it several times per connection. */
static inline void tcpsim__observer_ack(struct tcpsim_tcp_endpoint *ep)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    p->ack_pending = false;
    if (!tcpsim__can_ack(ep->state))
        return;
    tcpsim__rcv_update_wnd_inline(ep);
    tcpsim__observer_ack_sent(ep);
}
/* Accept payload at `seq` (already trimmed to the window). Returns true when
 * RCV.NXT moved (in-order data) and fills deliveries. *fin_now says a FIN
 * (given with the segment or held in the queue) is now in order. */
bool tcpsim__rcv_data(struct tcpsim_tcp_endpoint *ep, uint32_t seq, const uint8_t *data, uint32_t len, bool fin,
                      bool *fin_now, bool *queue_full, tcpsim_time_t now, struct tcpsim_tcp_out *out);
/* Observer: the capture shows we acknowledged up to `ack`: catch RCV.NXT up. */
bool tcpsim__rcv_catch_up(struct tcpsim_tcp_endpoint *ep, uint32_t ack, bool *fin_now);
/* tcpsim__rcv_auto_consume's part for an endpoint with a receive buffer */
void tcpsim__rcv_consume_buf(struct tcpsim_tcp_endpoint *ep);

/* ---- segment processing shared with observe.c (endpoint.c) ---- */
/* tcpsim__set_snd_wnd, tcpsim__enter_established, tcpsim__enter_time_wait,
 * tcpsim__reset_to: inline, at the end of this file */
/* tcpsim__peer_fin (the eighth step): inline, at the end of this file */

/* ---- small steps of every segment, inline: the observer's handshake and
 * close call each a few times per connection, and a call cost more than the
 * work ---- */

__attribute__((always_inline)) static inline void tcpsim__transition(struct tcpsim_tcp_endpoint *ep,
                                                                     enum tcpsim_tcp_state to, enum tcpsim_tcp_why why,
                                                                     tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    if (out->ntrans < TCPSIM_TCP_OUT_TRANS) {
        struct tcpsim_tcp_transition *t = &out->trans[out->ntrans++];
        t->from = ep->state;
        t->to = to;
        t->why = why;
        t->at = now;
    }
    ep->state = to;
}

static inline void tcpsim__timers_update(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now)
{
    if (!ep->cfg.observer) /* no timers (tcpsim_tcp_config.observer) */
        tcpsim__timers_update_n(ep, now);
}

/* The acknowledged part of the send queue is gone (counts only without a buffer). */
__attribute__((always_inline)) static inline void tcpsim__snd_drop_acked(struct tcpsim_tcp_endpoint *ep, uint32_t ack)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    if (!tcpsim_seq_gt(ack, p->snd_base))
        return;
    uint32_t k = ack - p->snd_base;
    if (k > p->snd_q)
        k = p->snd_q; /* the rest is our SYN/FIN, or the sequence jumped (observer) */
    p->snd_off += k;
    p->snd_q -= k;
    p->snd_base += k;
    if (p->snd_q == 0) {
        p->snd_off = 0;
        p->snd_base = ack; /* past our FIN, or data the observer never held */
    }
}

/* Process an acknowledgment that advances SND.UNA to `ack`. */
__attribute__((always_inline)) static inline void tcpsim__ack_advance(struct tcpsim_tcp_endpoint *ep, uint32_t ack,
                                                                      tcpsim_time_t now)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    if (p->rtt_pending && tcpsim_seq_gt(ack, p->rtt_seq)) {
        p->rtt_pending = false;
        if (!ep->cfg.observer) /* the RTO serves only timers, which an observer has none of */
            tcpsim__rtt_sample(ep, now - p->rtt_sent);
    }
    ep->snd_una = ack;
    if (tcpsim_seq_lt(ep->snd_nxt, ack))
        ep->snd_nxt = ack; /* a window probe byte was accepted */
    if (tcpsim_seq_lt(ep->snd_max, ack))
        ep->snd_max = ack;
    tcpsim__snd_drop_acked(ep, ack);
    /* RFC 6298 (5.3): new data acknowledged: restart the timer (re-armed by
     * tcpsim__timers_update with the current RTO). Karn: a backed-off RTO stays
     * until a fresh sample replaces it; only the retry count starts again. */
    ep->backoff = 0;
    ep->t_rtx = TCPSIM_TIME_NEVER;
    ep->dup_acks = 0;
    p->persist_backoff = 0;
}

/* An observer's user reads everything delivered before its next event. */
static inline void tcpsim__rcv_auto_consume(struct tcpsim_tcp_endpoint *ep)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    if (!p->observer || p->rcv_q == 0)
        return;
    if (p->rbuf != NULL) {
        tcpsim__rcv_consume_buf(ep);
        return;
    }
    p->rcv_q = 0;
    tcpsim__rcv_update_wnd_inline(ep);
}

/* The send window from a segment (SND.WND, SND.WL1/WL2, MAX.SND.WND; a SYN's is not scaled). */
__attribute__((always_inline)) static inline void tcpsim__set_snd_wnd(struct tcpsim_tcp_endpoint *ep,
                                                                      const struct tcpsim_segment *seg, uint32_t seq)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    /* RFC 7323 §2.2: the window of a SYN is never scaled */
    uint32_t w = (seg->flags & TCPSIM_SYN) ? seg->window : (uint32_t)seg->window << ep->snd_wscale;
    ep->snd_wnd = w;
    ep->snd_wl1 = seq;
    ep->snd_wl2 = seg->ack;
    if (w > p->max_snd_wnd)
        p->max_snd_wnd = w;
}

/* Release every resource tied to the connection, stop timers (-> CLOSED or LISTEN). */
static inline void tcpsim__drop_tcb(struct tcpsim_tcp_endpoint *ep)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    ep->t_rtx = ep->t_time_wait = ep->t_persist = ep->t_keepalive = TCPSIM_TIME_NEVER;
    p->t_fin_wait2 = TCPSIM_TIME_NEVER;
    p->snd_q = 0;
    p->snd_off = 0;
    p->nooo = 0;
    p->rtt_pending = false;
    p->ack_pending = false;
    ep->backoff = 0;
    ep->dup_acks = 0;
}

/* RFC 5681 §3.1: the window at connection start. A passive observer
 * (cfg.observer) sends nothing, so it keeps no congestion window (cwnd and
 * ssthresh stay 0: they would limit nothing it does); fast recovery
 * (in_recovery, recover), which decides the ACKs it would send, is kept. */
static inline void tcpsim__cc_init(struct tcpsim_tcp_endpoint *ep)
{
    ep->in_recovery = false;
    ep->recover = ep->snd_una;
    if (!ep->cfg.observer)
        tcpsim__cc_init_n(ep);
}

/* RFC 5681 / RFC 6582 on an ACK of new data (`acked` octets up to `ack`);
 * an observer outside fast recovery has nothing to do. */
__attribute__((always_inline)) static inline void tcpsim__cc_on_ack(struct tcpsim_tcp_endpoint *ep, uint32_t acked,
                                                                    uint32_t ack, tcpsim_time_t now,
                                                                    struct tcpsim_tcp_out *out)
{
    if (!ep->cfg.observer || ep->in_recovery)
        tcpsim__cc_on_ack_n(ep, acked, ack, now, out);
}

/* ---- connection set-up and state changes (endpoint.c uses them, and the
 * observer's shortcuts in fastpath.c and observe.c), inline for the same reason ---- */

static inline uint32_t tcpsim__choose_iss(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now)
{
    /* RFC 9293 §3.4.1 wants a clock-driven, unpredictable ISN (RFC 6528); the
     * caller injects one, or a fixed value for deterministic runs. */
    return ep->cfg.isn_fn != NULL ? ep->cfg.isn_fn(ep->cfg.isn_ctx, now) : ep->cfg.iss;
}

/* Forget everything about the previous connection (new OPEN, LISTEN again). */
static inline void tcpsim__reset_conn(struct tcpsim_tcp_endpoint *ep)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    tcpsim__drop_tcb(ep);
    p->rcv_q = 0;
    p->peer_fin = false;
    p->peer_mss_set = p->peer_ws = p->peer_sack = p->peer_ts = false;
    p->peer_mss = 0;
    p->peer_wscale = 0;
    p->max_snd_wnd = 0;
    p->persist_backoff = 0;
    p->ka_sent = 0;
    p->last_ack_sent = 0;
    ep->passive = false;
    ep->iss = ep->snd_una = ep->snd_nxt = ep->snd_wnd = ep->snd_up = ep->snd_wl1 = ep->snd_wl2 = ep->snd_max = 0;
    ep->irs = ep->rcv_nxt = ep->rcv_up = 0;
    ep->snd_mss = ep->cfg.mss;
    ep->ws_ok = ep->sack_ok = ep->ts_ok = false;
    ep->snd_wscale = ep->rcv_wscale = 0;
    ep->ts_recent = 0;
    ep->srtt = ep->rttvar = 0;
    ep->rto = ep->cfg.rto_initial;
    ep->rtt_valid = false;
    ep->fin_queued = ep->fin_sent = ep->user_closed = false;
    ep->fin_seq = 0;
    p->syn_rtx = false;
    tcpsim__cc_init(ep);
    tcpsim__rcv_update_wnd(ep);
}

/* The options on a SYN we sent are what we offered (RFC 7323 §1.3, RFC 2018 §2).
 * Inline: observe.c's SYN steps and the accept shortcut (fastpath.c) use it. */
static inline void tcpsim__record_our_syn(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg)
{
    const struct tcpsim_tcp_opts *o = &seg->opts;
    struct tcpsim_tcp_config *c = &ep->cfg;
    if ((o->present & TCPSIM_HAS_MSS) && o->mss != 0)
        c->mss = o->mss;
    c->opt_wscale = (o->present & TCPSIM_HAS_WSCALE) != 0;
    if (c->opt_wscale)
        c->wscale = o->wscale > 14 ? 14 : o->wscale;
    c->opt_sack = (o->present & TCPSIM_HAS_SACK_PERM) != 0;
    c->opt_ts = (o->present & TCPSIM_HAS_TS) != 0;
}

/* Start the sequence space at ISS (RFC 9293 §3.10.1): SND.UNA = ISS, SND.NXT = ISS+1. */
static inline void tcpsim__set_iss(struct tcpsim_tcp_endpoint *ep, uint32_t iss, tcpsim_time_t now)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    ep->iss = iss;
    ep->snd_una = iss;
    ep->snd_nxt = ep->snd_max = iss + 1;
    p->snd_base = iss + 1;
    /* time the SYN (RFC 6298 §2; Karn cancels this if it is retransmitted) */
    p->rtt_pending = true;
    p->rtt_seq = iss;
    p->rtt_sent = now;
}

static inline void tcpsim__record_peer_syn(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    const struct tcpsim_tcp_opts *o = &seg->opts;
    p->peer_mss_set = (o->present & TCPSIM_HAS_MSS) != 0;
    p->peer_mss = o->mss;
    p->peer_ws = (o->present & TCPSIM_HAS_WSCALE) != 0;
    p->peer_wscale = o->wscale;
    p->peer_sack = (o->present & TCPSIM_HAS_SACK_PERM) != 0;
    p->peer_ts = (o->present & TCPSIM_HAS_TS) != 0;
    if (p->peer_ts)
        ep->ts_recent = o->ts_val;
}

static inline void tcpsim__negotiate(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    /* RFC 9293 §3.7.1: no MSS option means 536; a zero MSS is meaningless and
     * ignored, a tiny one is raised to cfg.min_snd_mss so segments stay sane. */
    uint32_t m = TCPSIM_TCP_DEFAULT_MSS;
    if (p->peer_mss_set && p->peer_mss != 0) {
        m = p->peer_mss;
        if (m < ep->cfg.min_snd_mss) {
            m = ep->cfg.min_snd_mss;
            tcpsim__note(out, TCPSIM_WHY_MSS_CLAMPED, now);
        }
    } else if (p->peer_mss_set) {
        tcpsim__note(out, TCPSIM_WHY_MSS_CLAMPED, now);
    }
    ep->snd_mss = (uint16_t)(m < ep->cfg.mss ? m : ep->cfg.mss);
    /* RFC 7323 §1.3: scaling only if both sides sent the option */
    ep->ws_ok = ep->cfg.opt_wscale && p->peer_ws;
    if (ep->ws_ok) {
        ep->snd_wscale = p->peer_wscale;
        if (ep->snd_wscale > 14) { /* RFC 7323 §2.3 */
            ep->snd_wscale = 14;
            tcpsim__note(out, TCPSIM_WHY_WSCALE_CLAMPED, now);
        }
        ep->rcv_wscale = ep->cfg.wscale > 14 ? 14 : ep->cfg.wscale;
    } else {
        ep->snd_wscale = ep->rcv_wscale = 0;
    }
    ep->sack_ok = ep->cfg.opt_sack && p->peer_sack; /* RFC 2018 §2 */
    ep->ts_ok = ep->cfg.opt_ts && p->peer_ts;       /* RFC 7323 §3.2 */
    tcpsim__rcv_update_wnd(ep);
}

__attribute__((always_inline)) static inline void tcpsim__enter_time_wait(struct tcpsim_tcp_endpoint *ep,
                                                                          enum tcpsim_tcp_why why, tcpsim_time_t now,
                                                                          struct tcpsim_tcp_out *out)
{
    tcpsim__transition(ep, TCPSIM_TCP_TIME_WAIT, why, now, out);
    /* RFC 9293 §3.10.7.4 / RFC 1122 §4.2.2.13: stay 2*MSL */
    ep->t_time_wait = now + 2 * ep->cfg.msl;
    ep->t_rtx = ep->t_persist = ep->t_keepalive = TCPSIM_TIME_NEVER;
}

/* Entering ESTABLISHED; a CLOSE/SHUTDOWN that waited for it now takes effect
 * (RFC 9293 §3.10.4: "queue for processing after entering ESTABLISHED"). */
static inline void tcpsim__enter_established(struct tcpsim_tcp_endpoint *ep, enum tcpsim_tcp_why why, tcpsim_time_t now,
                                             struct tcpsim_tcp_out *out)
{
    tcpsim__transition(ep, TCPSIM_TCP_ESTABLISHED, why, now, out);
    /* RFC 6298 (5.7): the SYN timed out and no RTT sample came from the
     * handshake: start data transfer with a 3 s RTO (Linux sets exactly 3 s) */
    if (ep->priv.syn_rtx && !ep->rtt_valid && (ep->rto < TCPSIM_SEC(3) || ep->cfg.profile == TCPSIM_PROFILE_LINUX))
        ep->rto = TCPSIM_SEC(3) > ep->cfg.rto_max ? ep->cfg.rto_max : TCPSIM_SEC(3);
    tcpsim__cc_init(ep);
    if (ep->fin_queued)
        tcpsim__transition(ep, TCPSIM_TCP_FIN_WAIT_1, TCPSIM_WHY_CLOSE_SENDS_FIN, now, out);
}

/* Connection reset / aborted: flush everything (RFC 9293 §3.10.7.4 second step). */
static inline void tcpsim__reset_to(struct tcpsim_tcp_endpoint *ep, enum tcpsim_tcp_state to, enum tcpsim_tcp_why why,
                                    tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    tcpsim__drop_tcb(ep);
    ep->priv.rcv_q = 0;
    tcpsim__transition(ep, to, why, now, out);
    if (to == TCPSIM_TCP_LISTEN) {
        tcpsim__reset_conn(ep);
        ep->passive = true;
    }
}

/* RFC 9293 §3.10.7.4 eighth step once the peer's FIN is in order. Inline:
 * the observer's close reaches it twice per connection. */
__attribute__((always_inline)) static inline void tcpsim__peer_fin(struct tcpsim_tcp_endpoint *ep, bool fin_acked_here,
                                                                   tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    ep->rcv_nxt += 1;
    p->peer_fin = true;
    tcpsim__rcv_update_wnd(ep);
    tcpsim__want_ack(ep, TCPSIM_WHY_FIN_RECEIVED);
    switch (ep->state) {
    case TCPSIM_TCP_ESTABLISHED:
        tcpsim__transition(ep, TCPSIM_TCP_CLOSE_WAIT, TCPSIM_WHY_FIN_RECEIVED, now, out);
        break;
    case TCPSIM_TCP_FIN_WAIT_1:
        if (ep->fin_sent && tcpsim_seq_gt(ep->snd_una, ep->fin_seq)) /* our FIN acknowledged */
            tcpsim__enter_time_wait(ep, fin_acked_here ? TCPSIM_WHY_FIN_AND_ACK : TCPSIM_WHY_FIN_RECEIVED, now, out);
        else
            tcpsim__transition(ep, TCPSIM_TCP_CLOSING, TCPSIM_WHY_SIMULTANEOUS_CLOSE, now, out);
        break;
    case TCPSIM_TCP_FIN_WAIT_2:
        tcpsim__enter_time_wait(ep, TCPSIM_WHY_FIN_RECEIVED, now, out);
        break;
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
    case TCPSIM_TCP_SYN_SENT:
    case TCPSIM_TCP_SYN_RECEIVED:
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        break;
    }
}

#endif
