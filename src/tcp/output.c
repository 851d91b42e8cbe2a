/* output.c - building the segments an endpoint sends: options layout, window
 * field, the send loop, and the records appended to tcpsim_tcp_out.
 * Read first: RFC 9293 §3.1-3.2 (header, options), §3.7.1 (MSS), §3.8.6
 * (windows), RFC 7323 §2.2-2.3 and §3 (window scale, timestamps), RFC 2018. */
#include <string.h>

#include "tcp/tcp_priv.h"

void tcpsim__note(struct tcpsim_tcp_out *out, enum tcpsim_tcp_why why, tcpsim_time_t now)
{
    if (out->nnote < TCPSIM_TCP_OUT_NOTES) {
        out->note[out->nnote].why = why;
        out->note[out->nnote].at = now;
        out->nnote++;
    } else {
        out->dropped_notes++;
    }
}

void tcpsim__err(struct tcpsim_tcp_out *out, enum tcpsim_err err)
{
    if (out->nerr < TCPSIM_TCP_OUT_ERRS)
        out->err[out->nerr++] = err;
}

uint32_t tcpsim__ts_now(tcpsim_time_t now)
{
    /* RFC 7323 §5.4: a clock between 1 ms and 1 s per tick; ours ticks in ms. */
    return (uint32_t)(now / 1000u);
}

uint16_t tcpsim__win_field(struct tcpsim_tcp_endpoint *ep, bool syn)
{
    tcpsim__rcv_update_wnd(ep);
    uint32_t w = ep->rcv_wnd;
    /* RFC 7323 §2.2: the window in a SYN or SYN-ACK is never scaled. */
    if (!syn && ep->ws_ok)
        w >>= ep->rcv_wscale;
    return (uint16_t)(w > 65535u ? 65535u : w);
}

static uint8_t opt_len(uint8_t kind, const struct tcpsim_tcp_opts *o)
{
    switch (kind) {
    case TCPSIM_OPT_EOL:
    case TCPSIM_OPT_NOP:
        return 1;
    case TCPSIM_OPT_MSS:
        return 4;
    case TCPSIM_OPT_WSCALE:
        return 3;
    case TCPSIM_OPT_SACK_PERM:
        return 2;
    case TCPSIM_OPT_TS:
        return 10;
    case TCPSIM_OPT_SACK:
        return (uint8_t)(2u + 8u * o->sack_count);
    default:
        return 0; /* (a uint8_t, not one of our enums) */
    }
}

static void lay(struct tcpsim_tcp_opts *o, uint8_t kind)
{
    o->layout[o->layout_len++] = kind;
}

/* SYN options in Linux's order, used by both profiles (packetdrill expects
 * <mss 1460,sackOK,TS val X ecr 0,nop,wscale 8> or
 * <mss 1460,nop,nop,sackOK,nop,wscale 8>). */
static void syn_options(struct tcpsim_tcp_endpoint *ep, bool with_ack, tcpsim_time_t now, struct tcpsim_tcp_opts *o)
{
    const struct tcpsim_tcp_config *c = &ep->cfg;
    struct tcpsim_tcp_priv *p = &ep->priv;
    /* A SYN offers what the config allows; a SYN-ACK only mirrors what the peer offered (RFC 7323 §1.3, RFC 2018 §2).
     */
    bool ws = with_ack ? (c->opt_wscale && p->peer_ws) : c->opt_wscale;
    bool sack = with_ack ? (c->opt_sack && p->peer_sack) : c->opt_sack;
    bool ts = with_ack ? (c->opt_ts && p->peer_ts) : c->opt_ts;
    o->present |= TCPSIM_HAS_MSS;
    o->mss = c->mss;
    lay(o, TCPSIM_OPT_MSS);
    if (sack && ts) {
        lay(o, TCPSIM_OPT_SACK_PERM);
    } else if (sack) {
        lay(o, TCPSIM_OPT_NOP);
        lay(o, TCPSIM_OPT_NOP);
        lay(o, TCPSIM_OPT_SACK_PERM);
    } else if (ts) {
        lay(o, TCPSIM_OPT_NOP);
        lay(o, TCPSIM_OPT_NOP);
    }
    if (sack)
        o->present |= TCPSIM_HAS_SACK_PERM;
    if (ts) {
        o->present |= TCPSIM_HAS_TS;
        o->ts_val = tcpsim__ts_now(now);
        o->ts_ecr = with_ack ? ep->ts_recent : 0;
        lay(o, TCPSIM_OPT_TS);
    }
    if (ws) {
        o->present |= TCPSIM_HAS_WSCALE;
        o->wscale = c->wscale > 14 ? 14 : c->wscale;
        lay(o, TCPSIM_OPT_NOP);
        lay(o, TCPSIM_OPT_WSCALE);
    }
}

static void data_options(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_opts *o)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    if (ep->ts_ok) {
        /* RFC 7323 §3.2: once negotiated, TSopt goes on every non-RST segment. */
        o->present |= TCPSIM_HAS_TS;
        o->ts_val = tcpsim__ts_now(now);
        o->ts_ecr = ep->ts_recent;
        lay(o, TCPSIM_OPT_NOP);
        lay(o, TCPSIM_OPT_NOP);
        lay(o, TCPSIM_OPT_TS);
    }
    if (ep->sack_ok && p->nooo > 0) {
        /* RFC 2018 §4: report the blocks held beyond RCV.NXT (3 fit next to TSopt). */
        unsigned max = ep->ts_ok ? 3u : 4u;
        o->present |= TCPSIM_HAS_SACK;
        o->sack_count = 0;
        for (unsigned i = 0; i < p->nooo && o->sack_count < max; i++) {
            if (p->ooo[i].len == 0)
                continue;
            o->sack[o->sack_count].left = p->ooo[i].seq;
            o->sack[o->sack_count].right = p->ooo[i].seq + p->ooo[i].len;
            o->sack_count++;
        }
        if (o->sack_count > 0) {
            lay(o, TCPSIM_OPT_NOP);
            lay(o, TCPSIM_OPT_NOP);
            lay(o, TCPSIM_OPT_SACK);
        } else {
            o->present &= (uint8_t)~TCPSIM_HAS_SACK;
        }
    }
}

struct tcpsim_tcp_tx *tcpsim__emit(struct tcpsim_tcp_endpoint *ep, uint8_t flags, uint32_t seq, uint32_t ack,
                                   const uint8_t *payload, uint32_t len, enum tcpsim_tcp_why why, bool rtx,
                                   tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    if (p->observer || ep->cfg.observer) {
        /* An observer's own segments are in the capture: build none (the
         * output record is not touched), but an ACK it would send still
         * counts as sent (RFC 7323 §4.3 Last.ACK.sent, the advertised edge).
         * A passive observer (cfg.observer) not yet told of a segment of its
         * own is the same: what the built segment would leave (below) is
         * this, as it sends nothing but ACKs, SYN-ACKs and RSTs (the bare
         * SYN of an active OPEN or a retransmission timeout never comes). */
        if ((flags & TCPSIM_ACK) && !(flags & TCPSIM_RST)) {
            bool syn = (flags & TCPSIM_SYN) != 0;
            uint32_t w = tcpsim__win_field(ep, syn);
            if (!syn && ep->ws_ok)
                w <<= ep->rcv_wscale;
            p->ack_pending = false;
            p->last_ack_sent = ack;
            p->rcv_adv = ack + w;
        }
        return NULL;
    }
    if (out->nseg >= TCPSIM_TCP_OUT_SEGS) {
        out->dropped_segs++;
        return NULL;
    }
    struct tcpsim_tcp_tx *tx = &out->seg[out->nseg++];
    memset(tx, 0, sizeof *tx);
    struct tcpsim_segment *s = &tx->seg;
    s->src_port = ep->local_port;
    s->dst_port = ep->remote_port;
    s->seq = seq;
    s->ack = (flags & TCPSIM_ACK) ? ack : 0;
    s->flags = flags;
    if (flags & TCPSIM_RST) {
        s->window = 0; /* as Linux: a reset advertises nothing */
    } else if (flags & TCPSIM_SYN) {
        syn_options(ep, (flags & TCPSIM_ACK) != 0, now, &s->opts);
        s->window = tcpsim__win_field(ep, true);
    } else {
        data_options(ep, now, &s->opts);
        s->window = tcpsim__win_field(ep, false);
    }
    size_t olen = 0;
    for (unsigned i = 0; i < s->opts.layout_len; i++)
        olen += opt_len(s->opts.layout[i], &s->opts);
    s->data_offset = (uint8_t)(5u + (olen + 3u) / 4u);
    s->payload = payload;
    s->payload_len = len;
    tx->retransmission = rtx;
    tx->why = why;
    if ((flags & TCPSIM_ACK) && !(flags & TCPSIM_RST)) {
        p->ack_pending = false;
        p->last_ack_sent = ack;
        uint32_t w = (flags & TCPSIM_SYN) || !ep->ws_ok ? s->window : (uint32_t)s->window << ep->rcv_wscale;
        p->rcv_adv = ack + w;
    }
    return tx;
}

void tcpsim__reply_rst(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, enum tcpsim_tcp_why why,
                       tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    if (seg->flags & TCPSIM_RST)
        return; /* RFC 9293 §3.10.7.1: never answer a reset with a reset */
    if (seg->flags & TCPSIM_ACK)
        tcpsim__emit(ep, TCPSIM_RST, seg->ack, 0, NULL, 0, why, false, now, out);
    else
        tcpsim__emit(ep, TCPSIM_RST | TCPSIM_ACK, 0, seg->seq + tcpsim_seg_len(seg), NULL, 0, why, false, now, out);
}

void tcpsim__send_syn(struct tcpsim_tcp_endpoint *ep, bool with_ack, bool rtx, enum tcpsim_tcp_why why,
                      tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    if (p->observer || ep->cfg.observer) {
        /* tcpsim__emit's observer branch without the call: nothing built; a
         * SYN-ACK counts as sent (Last.ACK.sent, the advertised edge), its
         * window field never scaled (RFC 7323 §2.2: tcpsim__win_field(ep, true)) */
        if (with_ack) {
            tcpsim__rcv_update_wnd(ep);
            uint32_t w = ep->rcv_wnd > 65535u ? 65535u : ep->rcv_wnd;
            p->ack_pending = false;
            p->last_ack_sent = ep->rcv_nxt;
            p->rcv_adv = ep->rcv_nxt + w;
        }
        return;
    }
    uint8_t flags = (uint8_t)(TCPSIM_SYN | (with_ack ? TCPSIM_ACK : 0u));
    tcpsim__emit(ep, flags, ep->iss, ep->rcv_nxt, NULL, 0, why, rtx, now, out);
}

bool tcpsim__state_sends(enum tcpsim_tcp_state s)
{
    switch (s) {
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_FIN_WAIT_1: /* data queued before CLOSE, then the FIN */
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_CLOSING: /* the FIN again after a timeout */
        return true;
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
    case TCPSIM_TCP_SYN_SENT:
    case TCPSIM_TCP_SYN_RECEIVED:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_TIME_WAIT:
        return false;
    }
    return false;
}

void tcpsim__output_n(struct tcpsim_tcp_endpoint *ep, size_t max_segs, enum tcpsim_tcp_why rtx_why, tcpsim_time_t now,
                      struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    size_t sent = 0;
    if (!p->observer && tcpsim__state_sends(ep->state)) {
        while (sent < max_segs) {
            uint32_t end = tcpsim__snd_end(ep);
            uint32_t unsent = tcpsim_seq_gt(end, ep->snd_nxt) ? end - ep->snd_nxt : 0;
            /* RFC 9293 §3.8.6: usable window = SND.UNA + SND.WND - SND.NXT, and
             * RFC 5681 §3: never more than cwnd in flight */
            uint32_t wnd = ep->snd_wnd < ep->cwnd ? ep->snd_wnd : ep->cwnd;
            uint32_t edge = ep->snd_una + wnd;
            uint32_t usable = tcpsim_seq_gt(edge, ep->snd_nxt) ? edge - ep->snd_nxt : 0;
            uint32_t n = unsent;
            if (n > usable)
                n = usable;
            if (n > tcpsim__eff_mss(ep))
                n = tcpsim__eff_mss(ep);
            /* The FIN follows the last byte (RFC 9293 §3.10.4) and needs no window;
             * after a timeout rewound SND.NXT it goes again at fin_seq. */
            bool fin = ep->fin_queued && n == unsent && (!ep->fin_sent || tcpsim_seq_leq(ep->snd_nxt, ep->fin_seq));
            if (n == 0 && !fin)
                break;
            /* RFC 9293 §3.8.6.2.1 sender SWS avoidance: a short segment only if it
             * empties the queue (every SEND is pushed), is half the largest window
             * seen, or nothing is in flight to bring an ACK (the override) */
            bool in_flight = tcpsim_seq_lt(ep->snd_una, ep->snd_nxt);
            if (n > 0 && n < tcpsim__eff_mss(ep) && n < unsent && in_flight && n < p->max_snd_wnd / 2)
                break;
            uint8_t flags = TCPSIM_ACK;
            if (n > 0 && n == unsent)
                flags |= TCPSIM_PSH;
            if (fin)
                flags |= TCPSIM_FIN;
            uint32_t seq = ep->snd_nxt;
            bool rtx = tcpsim_seq_lt(seq, ep->snd_max);
            enum tcpsim_tcp_why why = rtx ? rtx_why : n > 0 ? TCPSIM_WHY_SEND_DATA : TCPSIM_WHY_CLOSE_SENDS_FIN;
            if (tcpsim__emit(ep, flags, seq, ep->rcv_nxt, tcpsim__snd_data(ep, seq), n, why, rtx, now, out) == NULL)
                break;
            sent++;
            if (!p->rtt_pending && !rtx) {
                /* RFC 6298 §3: time one segment per RTT; Karn: never a retransmitted one */
                p->rtt_pending = true;
                p->rtt_seq = seq;
                p->rtt_sent = now;
            }
            ep->snd_nxt = seq + n + (fin ? 1u : 0u);
            if (fin) {
                ep->fin_sent = true;
                ep->fin_seq = seq + n;
            }
            if (tcpsim_seq_gt(ep->snd_nxt, ep->snd_max))
                ep->snd_max = ep->snd_nxt;
            if (fin)
                break;
        }
    }
    if (p->ack_pending && tcpsim__can_ack(ep->state)) {
        tcpsim__emit(ep, TCPSIM_ACK, ep->snd_nxt, ep->rcv_nxt, NULL, 0, p->ack_why, false, now, out);
    }
    p->ack_pending = false;
}
