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
void tcpsim__transition(struct tcpsim_tcp_endpoint *ep, enum tcpsim_tcp_state to, enum tcpsim_tcp_why why,
                        tcpsim_time_t now, struct tcpsim_tcp_out *out);

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
/* tcpsim__output_n with no limit. Inline: most calls (two at the end of every
 * arriving segment) have nothing to do, which this decides without the call:
 * no ACK owed, and the send loop would stop at once (an observer runs none;
 * else nothing past SND.NXT is queued and no FIN: its first pass finds n = 0
 * and no FIN). tcpsim__output_n would then only clear the (clear) ACK flag. */
static inline void tcpsim__output(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    const struct tcpsim_tcp_priv *p = &ep->priv;
    if (p->ack_pending || (!p->observer && (ep->fin_queued || tcpsim_seq_gt(p->snd_base + p->snd_q, ep->snd_nxt))))
        tcpsim__output_n(ep, SIZE_MAX, TCPSIM_WHY_SEND_DATA, now, out);
}
/* RFC 5681: window at connection start, and the reactions to loss. */
void tcpsim__cc_init(struct tcpsim_tcp_endpoint *ep);
void tcpsim__cc_on_ack(struct tcpsim_tcp_endpoint *ep, uint32_t acked, uint32_t ack, tcpsim_time_t now,
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
/* Forget everything about the previous connection (new OPEN, LISTEN again). */
void tcpsim__reset_conn(struct tcpsim_tcp_endpoint *ep);

/* ---- retransmission, timers (rtx.c) ---- */
void tcpsim__rtt_sample(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t rtt);
/* Re-arm or stop the retransmission / persist / keep-alive timers after an event. */
void tcpsim__timers_update(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now);
/* Release every resource tied to the connection, stop timers (-> CLOSED or LISTEN). */
void tcpsim__drop_tcb(struct tcpsim_tcp_endpoint *ep);
/* Process an acknowledgment that advances SND.UNA to `ack`. */
void tcpsim__ack_advance(struct tcpsim_tcp_endpoint *ep, uint32_t ack, tcpsim_time_t now);

/* ---- buffers (buffers.c) ---- */
uint32_t tcpsim__snd_end(const struct tcpsim_tcp_endpoint *ep); /* seq after the last queued byte */
const uint8_t *tcpsim__snd_data(const struct tcpsim_tcp_endpoint *ep, uint32_t seq);
uint32_t tcpsim__snd_append(struct tcpsim_tcp_endpoint *ep, const uint8_t *data, uint32_t len);
void tcpsim__snd_drop_acked(struct tcpsim_tcp_endpoint *ep, uint32_t ack);
void tcpsim__rcv_update_wnd(struct tcpsim_tcp_endpoint *ep);
/* The same, inline (header prediction calls it on every predicted segment).
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
/* Accept payload at `seq` (already trimmed to the window). Returns true when
 * RCV.NXT moved (in-order data) and fills deliveries. *fin_now says a FIN
 * (given with the segment or held in the queue) is now in order. */
bool tcpsim__rcv_data(struct tcpsim_tcp_endpoint *ep, uint32_t seq, const uint8_t *data, uint32_t len, bool fin,
                      bool *fin_now, bool *queue_full, tcpsim_time_t now, struct tcpsim_tcp_out *out);
/* Observer: the capture shows we acknowledged up to `ack`: catch RCV.NXT up. */
bool tcpsim__rcv_catch_up(struct tcpsim_tcp_endpoint *ep, uint32_t ack, bool *fin_now);
void tcpsim__rcv_auto_consume(struct tcpsim_tcp_endpoint *ep);

/* ---- segment processing shared with observe.c (endpoint.c) ---- */
void tcpsim__enter_time_wait(struct tcpsim_tcp_endpoint *ep, enum tcpsim_tcp_why why, tcpsim_time_t now,
                             struct tcpsim_tcp_out *out);
/* The send window from a segment (SND.WND, SND.WL1/WL2, MAX.SND.WND; a SYN's is not scaled). */
void tcpsim__set_snd_wnd(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, uint32_t seq);
/* -> ESTABLISHED (RFC 9293 §3.10.7.3 / §3.10.7.4 fifth step), then a CLOSE that waited. */
void tcpsim__enter_established(struct tcpsim_tcp_endpoint *ep, enum tcpsim_tcp_why why, tcpsim_time_t now,
                               struct tcpsim_tcp_out *out);
void tcpsim__negotiate(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out);
void tcpsim__record_peer_syn(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg);
uint32_t tcpsim__choose_iss(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now);
/* RFC 9293 §3.10.7.4 eighth step once the peer's FIN is in order. */
void tcpsim__peer_fin(struct tcpsim_tcp_endpoint *ep, bool fin_acked_here, tcpsim_time_t now,
                      struct tcpsim_tcp_out *out);
void tcpsim__set_iss(struct tcpsim_tcp_endpoint *ep, uint32_t iss, tcpsim_time_t now);
void tcpsim__reset_to(struct tcpsim_tcp_endpoint *ep, enum tcpsim_tcp_state to, enum tcpsim_tcp_why why,
                      tcpsim_time_t now, struct tcpsim_tcp_out *out);

#endif
