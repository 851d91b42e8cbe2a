/* buffers.c - send and receive buffers and the bounded out-of-order queue.
 * Read first: RFC 9293 §3.4 (sequence space), §3.8.6 (windows), §3.10.7.4
 * seventh step (segment text). Nothing here allocates; with cfg.store_data off
 * only byte counts are kept. */
#include <string.h>

#include "tcp/tcp_priv.h"

uint32_t tcpsim__snd_end(const struct tcpsim_tcp_endpoint *ep)
{
    return ep->priv.snd_base + ep->priv.snd_q;
}

const uint8_t *tcpsim__snd_data(const struct tcpsim_tcp_endpoint *ep, uint32_t seq)
{
    const struct tcpsim_tcp_priv *p = &ep->priv;
    if (p->sbuf == NULL || !tcpsim_seq_between(p->snd_base, seq, p->snd_base + p->snd_q))
        return NULL;
    return p->sbuf + p->snd_off + (seq - p->snd_base);
}

uint32_t tcpsim__snd_append(struct tcpsim_tcp_endpoint *ep, const uint8_t *data, uint32_t len)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    uint32_t room = p->snd_cap - p->snd_q;
    uint32_t n = len < room ? len : room;
    if (n == 0)
        return 0;
    if (p->sbuf != NULL) {
        /* compact lazily: move the live bytes to the front only when the tail is short */
        if (p->snd_off + p->snd_q + n > p->snd_cap) {
            memmove(p->sbuf, p->sbuf + p->snd_off, p->snd_q);
            p->snd_off = 0;
        }
        if (data != NULL)
            memcpy(p->sbuf + p->snd_off + p->snd_q, data, n);
        else
            memset(p->sbuf + p->snd_off + p->snd_q, 0, n);
    }
    p->snd_q += n;
    return n;
}

void tcpsim__rcv_consume_buf(struct tcpsim_tcp_endpoint *ep)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    if (p->rcv_q < p->rcv_cap) {
        /* out-of-order bytes sit after the readable ones: keep them in place relative to RCV.NXT */
        memmove(p->rbuf, p->rbuf + p->rcv_q, p->rcv_cap - p->rcv_q);
    }
    p->rcv_q = 0;
    tcpsim__rcv_update_wnd(ep);
}

static void deliver(struct tcpsim_tcp_endpoint *ep, uint32_t len, struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    if (len == 0)
        return;
    if (out->ndeliv < TCPSIM_TCP_OUT_DELIV) {
        struct tcpsim_tcp_delivery *d = &out->deliv[out->ndeliv++];
        d->seq = ep->rcv_nxt;
        /* only bytes that were stored can be shown (an observer's window may
         * exceed the buffer: then the delivery counts bytes only) */
        d->data = p->rbuf != NULL && (uint64_t)p->rcv_q + len <= p->rcv_cap ? p->rbuf + p->rcv_q : NULL;
        d->len = len;
    } else if (out->ndeliv > 0 && out->deliv[out->ndeliv - 1].seq + out->deliv[out->ndeliv - 1].len == ep->rcv_nxt) {
        /* contiguous with the last delivery: extend it rather than lose it */
        out->deliv[out->ndeliv - 1].len += len;
    }
    /* readable bytes never exceed the buffer (only an observer could get there;
     * it discards them at its next call anyway) */
    p->rcv_q = (uint64_t)p->rcv_q + len > p->rcv_cap ? p->rcv_cap : p->rcv_q + len;
    ep->rcv_nxt += len;
}

/* Pull queued segments that are now in order (RFC 9293 §3.10.7.4 seventh step). */
static void ooo_pull(struct tcpsim_tcp_endpoint *ep, bool *fin_now, struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    while (p->nooo > 0 && tcpsim_seq_leq(p->ooo[0].seq, ep->rcv_nxt)) {
        struct tcpsim_tcp_ooo e = p->ooo[0];
        memmove(&p->ooo[0], &p->ooo[1], (p->nooo - 1) * sizeof p->ooo[0]);
        p->nooo--;
        uint32_t end = e.seq + e.len;
        if (tcpsim_seq_gt(end, ep->rcv_nxt))
            deliver(ep, end - ep->rcv_nxt, out);
        if (e.fin && end == ep->rcv_nxt)
            *fin_now = true;
    }
}

static bool ooo_insert(struct tcpsim_tcp_priv *p, uint32_t seq, uint32_t len, bool fin)
{
    uint32_t end = seq + len;
    /* merge with every overlapping or adjacent entry */
    unsigned i = 0;
    while (i < p->nooo) {
        struct tcpsim_tcp_ooo *e = &p->ooo[i];
        uint32_t eend = e->seq + e->len;
        if (tcpsim_seq_leq(e->seq, end) && tcpsim_seq_leq(seq, eend)) {
            if (tcpsim_seq_lt(e->seq, seq))
                seq = e->seq;
            if (tcpsim_seq_gt(eend, end)) {
                end = eend;
                fin = false; /* data past a FIN: the FIN was not the end after all */
            }
            if (e->fin && eend == end)
                fin = true;
            memmove(&p->ooo[i], &p->ooo[i + 1], (p->nooo - i - 1) * sizeof p->ooo[0]);
            p->nooo--;
            continue;
        }
        i++;
    }
    if (p->nooo == TCPSIM_TCP_OOO_MAX)
        return false;
    i = 0;
    while (i < p->nooo && tcpsim_seq_lt(p->ooo[i].seq, seq))
        i++;
    memmove(&p->ooo[i + 1], &p->ooo[i], (p->nooo - i) * sizeof p->ooo[0]);
    p->ooo[i].seq = seq;
    p->ooo[i].len = end - seq;
    p->ooo[i].fin = fin;
    p->nooo++;
    return true;
}

bool tcpsim__rcv_data(struct tcpsim_tcp_endpoint *ep, uint32_t seq, const uint8_t *data, uint32_t len, bool fin,
                      bool *fin_now, bool *queue_full, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    (void)now;
    struct tcpsim_tcp_priv *p = &ep->priv;
    *fin_now = false;
    *queue_full = false;
    uint32_t before = ep->rcv_nxt;
    if (len > 0 && p->rbuf != NULL) {
        /* the caller trimmed the segment to [RCV.NXT, RCV.NXT + RCV.WND), which
         * is free buffer space after the readable bytes */
        uint64_t off = (uint64_t)p->rcv_q + (seq - ep->rcv_nxt);
        if (off + len <= p->rcv_cap && data != NULL)
            memcpy(p->rbuf + off, data, len);
    }
    if (seq == ep->rcv_nxt) {
        deliver(ep, len, out);
        if (fin)
            *fin_now = true;
        ooo_pull(ep, fin_now, out);
    } else if (len > 0 || fin) {
        if (!ooo_insert(p, seq, len, fin))
            *queue_full = true;
    }
    tcpsim__rcv_update_wnd(ep);
    return ep->rcv_nxt != before;
}

bool tcpsim__rcv_catch_up(struct tcpsim_tcp_endpoint *ep, uint32_t ack, bool *fin_now)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    *fin_now = false;
    if (!tcpsim_seq_gt(ack, ep->rcv_nxt) || p->peer_fin)
        return false;
    /* a queued FIN right below `ack` was received: the capture shows it acknowledged */
    for (unsigned i = 0; i < p->nooo; i++) {
        uint32_t end = p->ooo[i].seq + p->ooo[i].len;
        if (p->ooo[i].fin && end + 1 == ack) {
            *fin_now = true;
            ack = end;
        }
    }
    if (p->rbuf != NULL) {
        /* keep queued payload at its offset relative to the new RCV.NXT */
        uint32_t shift = p->rcv_q + (ack - ep->rcv_nxt);
        if (shift < p->rcv_cap)
            memmove(p->rbuf, p->rbuf + shift, p->rcv_cap - shift);
    }
    ep->rcv_nxt = ack;
    while (p->nooo > 0 && tcpsim_seq_leq(p->ooo[0].seq + p->ooo[0].len, ack)) {
        memmove(&p->ooo[0], &p->ooo[1], (p->nooo - 1) * sizeof p->ooo[0]);
        p->nooo--;
    }
    if (p->nooo > 0 && tcpsim_seq_lt(p->ooo[0].seq, ack)) {
        p->ooo[0].len -= ack - p->ooo[0].seq;
        p->ooo[0].seq = ack;
    }
    /* payload positions are relative to RCV.NXT: the observer keeps none readable */
    p->rcv_q = 0;
    tcpsim__rcv_update_wnd(ep);
    return true;
}
