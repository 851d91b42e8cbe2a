/* drive.c - the lesson driver: two real RFC 9293 endpoints (src/tcp) joined by
 * a link with a fixed delay and scripted losses, user calls fired by time or by
 * state, every step reported as timeline events.
 * Read first: RFC 9293 §3.10 (event processing), §3.10.8 (timeouts), RFC 6298. */
#include <string.h>

#include "teach/teach_int.h"

#define Q_MAX         128
#define PAYLOAD_MAX   4096
#define MAX_TLS_MARKS 32
#define MAX_STEPS     2000
#define MAX_SEGMENTS  400
#define END_TIME      TCPSIM_SEC(600)

struct inflight {
    struct tcpsim_segment seg;
    uint8_t data[PAYLOAD_MAX];
    enum tcpsim_side to;
    tcpsim_time_t at;
    uint64_t order; /* arrival ties keep sending order */
    bool used;
};

/* Where a TLS item ends on one side's byte stream (offset from ISS+1). */
struct tls_mark {
    size_t end;
    struct tcpsim_tl_tls item;
};

struct drv {
    const struct tcpsim__scenario *sc;
    enum tcpsim_lang lang;
    const struct tcpsim_tl_sink *sink;
    struct tcpsim_tcp_endpoint ep[2];
    struct tcpsim_tcp_out out;
    struct inflight q[Q_MAX];
    tcpsim_time_t now, delay;
    unsigned nput; /* segments put on the link */
    uint64_t norder;
    bool done[64];
    size_t rcvd[2];
    size_t stream[2]; /* bytes queued for sending so far */
    struct tls_mark marks[2][MAX_TLS_MARKS];
    size_t nmarks[2];
    char notebuf[4][256];
};

static const char *side_word(enum tcpsim_lang lang, enum tcpsim_side s)
{
    return tcpsim_msg_raw(lang, s == TCPSIM_SIDE_CLIENT ? "side.client" : "side.server");
}

static void note_text(struct drv *d, enum tcpsim_side side, const char *text)
{
    struct tcpsim_tl_event ev = {.kind = TCPSIM_TL_NOTE};
    ev.u.note.side = side;
    ev.u.note.at = d->now;
    ev.u.note.why = TCPSIM_WHY_NONE;
    ev.u.note.text = text;
    tcpsim_tl_emit(d->sink, &ev);
}

static void note_err(struct drv *d, enum tcpsim_side side, const char *call, enum tcpsim_err e)
{
    char key[64];
    snprintf(key, sizeof key, "err.%s", tcpsim_errname(e));
    const char *err = tcpsim_msg_raw(d->lang, key);
    if (err == key) /* no translation: the library's own words */
        err = tcpsim_strerror(e);
    const char *args[3] = {side_word(d->lang, side), call ? call : err, err};
    tcpsim_msg(d->lang, call ? "note.call_failed" : "note.conn_error", args, 3, d->notebuf[0], sizeof d->notebuf[0]);
    note_text(d, side, d->notebuf[0]);
}

static struct tcpsim_tl_tls tls_scratch[TCPSIM__MAX_TLS * 4];

/* Report what one endpoint call produced, and put its segments on the link. */
static void flush(struct drv *d, enum tcpsim_side side)
{
    struct tcpsim_tcp_out *o = &d->out;
    struct tcpsim_tcp_endpoint *me = &d->ep[side];
    enum tcpsim_side peer = side == TCPSIM_SIDE_CLIENT ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT;
    for (size_t i = 0; i < o->ntrans; i++) {
        struct tcpsim_tl_event ev = {.kind = TCPSIM_TL_STATE};
        ev.u.state.side = side;
        ev.u.state.at = o->trans[i].at;
        ev.u.state.from = o->trans[i].from;
        ev.u.state.to = o->trans[i].to;
        ev.u.state.why = o->trans[i].why;
        tcpsim_tl_emit(d->sink, &ev);
    }
    for (size_t i = 0; i < o->nnote; i++) {
        struct tcpsim_tl_event ev = {.kind = TCPSIM_TL_NOTE};
        ev.u.note.side = side;
        ev.u.note.at = o->note[i].at;
        ev.u.note.why = o->note[i].why;
        tcpsim_tl_emit(d->sink, &ev);
    }
    for (size_t i = 0; i < o->nerr; i++)
        note_err(d, side, NULL, o->err[i]);
    for (size_t i = 0; i < o->ndeliv; i++)
        d->rcvd[side] += o->deliv[i].len;
    for (size_t i = 0; i < o->nseg; i++) {
        const struct tcpsim_tcp_tx *tx = &o->seg[i];
        bool lost = d->nput < 64 && (d->sc->drop >> d->nput & 1u);
        d->nput++;
        struct tcpsim_tl_event ev = {.kind = TCPSIM_TL_SEGMENT};
        struct tcpsim_tl_segment *s = &ev.u.segment;
        s->from = side;
        s->t_sent = d->now;
        s->t_arrived = lost ? TCPSIM_TIME_NEVER : d->now + d->delay;
        s->seg = &tx->seg;
        s->rel_seq_known = true;
        s->rel_seq = tx->seg.seq - me->iss;
        s->rel_ack_known = (tx->seg.flags & TCPSIM_ACK) != 0;
        s->rel_ack = tx->seg.ack - d->ep[peer].iss;
        s->win = (uint64_t)tx->seg.window << ((tx->seg.flags & TCPSIM_SYN) ? 0 : me->rcv_wscale);
        s->dropped = lost;
        s->retransmission = tx->retransmission;
        /* TLS items whose last byte is in this segment */
        size_t nt = 0;
        if (tx->seg.payload_len) {
            size_t off = (size_t)(uint32_t)(tx->seg.seq - me->iss - 1);
            for (size_t m = 0; m < d->nmarks[side] && nt < sizeof tls_scratch / sizeof tls_scratch[0]; m++) {
                size_t end = d->marks[side][m].end;
                if (end > off && end <= off + tx->seg.payload_len)
                    tls_scratch[nt++] = d->marks[side][m].item;
            }
        }
        s->tls = nt ? tls_scratch : NULL;
        s->ntls = nt;
        tcpsim_tl_emit(d->sink, &ev);
        /* say why a segment was sent when it is not the obvious reply (window
         * update, challenge ACK ...) and no note said so already */
        bool told =
            tx->why == TCPSIM_WHY_NONE || tx->why == TCPSIM_WHY_SEND_DATA || tx->why == TCPSIM_WHY_DATA_RECEIVED;
        for (size_t k = 0; k < o->nnote && !told; k++)
            told = o->note[k].why == tx->why;
        for (size_t k = 0; k < o->ntrans && !told; k++)
            told = o->trans[k].why == tx->why;
        if (!told) { /* after the segment: the view explains what is above it */
            struct tcpsim_tl_event nev = {.kind = TCPSIM_TL_NOTE};
            nev.u.note.side = side;
            nev.u.note.at = d->now;
            nev.u.note.why = tx->why;
            tcpsim_tl_emit(d->sink, &nev);
        }
        if (lost)
            continue;
        size_t k;
        for (k = 0; k < Q_MAX && d->q[k].used; k++)
            ;
        if (k == Q_MAX) {
            note_text(d, side, "link queue full: segment lost");
            continue;
        }
        struct inflight *f = &d->q[k];
        f->used = true;
        f->seg = tx->seg;
        f->to = peer;
        f->at = d->now + d->delay;
        f->order = d->norder++;
        size_t n = tx->seg.payload_len < PAYLOAD_MAX ? tx->seg.payload_len : PAYLOAD_MAX;
        if (tx->seg.payload)
            memcpy(f->data, tx->seg.payload, n);
        else
            memset(f->data, 'x', n);
        f->seg.payload = f->data;
        f->seg.payload_len = n;
    }
    tcpsim_tcp_out_reset(o);
}

/* The application reads whatever arrived, so the window stays open. */
static void app_read(struct drv *d, enum tcpsim_side side)
{
    while (tcpsim_tcp_readable(&d->ep[side]) > 0) {
        size_t got = 0;
        if (tcpsim_tcp_receive(&d->ep[side], NULL, 65536, &got, d->now, &d->out) != TCPSIM_OK || got == 0)
            break;
        flush(d, side);
    }
}

static bool cond_ok(struct drv *d, const struct tcpsim__action *a)
{
    if (d->now < a->at)
        return false;
    const struct tcpsim_tcp_endpoint *ep = &d->ep[a->side];
    switch (a->when) {
    case TCPSIM__WHEN_TIME:
        return true;
    case TCPSIM__WHEN_ESTABLISHED:
        return tcpsim_tcp_state_synchronized(ep->state);
    case TCPSIM__WHEN_RCVD:
        return d->rcvd[a->side] >= a->n;
    case TCPSIM__WHEN_PEER_FIN:
        return tcpsim_tcp_peer_closed(ep);
    }
    return false;
}

static const char *op_name(enum tcpsim__op op)
{
    switch (op) {
    case TCPSIM__OP_OPEN_ACTIVE:
        return "connect";
    case TCPSIM__OP_OPEN_PASSIVE:
        return "listen";
    case TCPSIM__OP_SEND:
        return "send";
    case TCPSIM__OP_CLOSE:
        return "close";
    case TCPSIM__OP_SHUTDOWN:
        return "shutdown";
    case TCPSIM__OP_ABORT:
        return "abort";
    }
    return "?";
}

static void run_action(struct drv *d, const struct tcpsim__action *a)
{
    struct tcpsim_tcp_endpoint *ep = &d->ep[a->side];
    enum tcpsim_err e = TCPSIM_OK;
    switch (a->op) {
    case TCPSIM__OP_OPEN_ACTIVE:
        e = tcpsim_tcp_open(ep, true, d->now, &d->out);
        break;
    case TCPSIM__OP_OPEN_PASSIVE:
        e = tcpsim_tcp_open(ep, false, d->now, &d->out);
        break;
    case TCPSIM__OP_SEND: {
        static const uint8_t zeros[PAYLOAD_MAX];
        size_t len = a->len;
        for (size_t i = 0; i < a->ntls; i++)
            len += a->tls[i].len;
        if (len > sizeof zeros)
            len = sizeof zeros;
        size_t acc = 0;
        e = tcpsim_tcp_send(ep, zeros, len, &acc, d->now, &d->out);
        if (e == TCPSIM_OK) {
            /* remember where each TLS item ends before the segments are reported */
            size_t off = d->stream[a->side];
            for (size_t i = 0; i < a->ntls && d->nmarks[a->side] < MAX_TLS_MARKS; i++) {
                off += a->tls[i].len;
                struct tls_mark *m = &d->marks[a->side][d->nmarks[a->side]++];
                m->end = off;
                m->item.dir = a->side;
                m->item.record = a->tls[i].record;
                m->item.handshake = a->tls[i].handshake;
                m->item.explain = a->tls[i].explain_key ? tcpsim_msg_raw(d->lang, a->tls[i].explain_key) : NULL;
            }
            d->stream[a->side] += acc;
        }
        break;
    }
    case TCPSIM__OP_CLOSE:
        e = tcpsim_tcp_close(ep, d->now, &d->out);
        break;
    case TCPSIM__OP_SHUTDOWN:
        e = tcpsim_tcp_shutdown(ep, d->now, &d->out);
        break;
    case TCPSIM__OP_ABORT:
        e = tcpsim_tcp_abort(ep, d->now, &d->out);
        break;
    }
    if (e != TCPSIM_OK) {
        tcpsim_tcp_out_reset(&d->out);
        note_err(d, a->side, op_name(a->op), e);
        return;
    }
    /* The TLS marks were recorded after tcpsim_tcp_send; segments are reported now. */
    flush(d, a->side);
}

static tcpsim_time_t next_time(struct drv *d)
{
    tcpsim_time_t t = TCPSIM_TIME_NEVER;
    for (size_t i = 0; i < Q_MAX; i++)
        if (d->q[i].used && d->q[i].at < t)
            t = d->q[i].at;
    for (int s = 0; s < 2; s++) {
        tcpsim_time_t x = tcpsim_tcp_next_timeout(&d->ep[s]);
        if (x < t)
            t = x;
    }
    for (size_t i = 0; i < d->sc->nact && i < 64; i++)
        if (!d->done[i] && d->sc->act[i].at > d->now && d->sc->act[i].at < t)
            t = d->sc->act[i].at; /* a time, or the earliest moment a condition is looked at */
    return t;
}

/* Run every action whose condition holds, in list order per side. */
static bool run_ready(struct drv *d)
{
    bool any = false;
    bool blocked[2] = {false, false};
    for (size_t i = 0; i < d->sc->nact && i < 64; i++) {
        const struct tcpsim__action *a = &d->sc->act[i];
        if (d->done[i])
            continue;
        if (blocked[a->side])
            continue;
        if (!cond_ok(d, a)) {
            blocked[a->side] = true;
            continue;
        }
        d->done[i] = true;
        run_action(d, a);
        any = true;
    }
    return any;
}

enum tcpsim_err tcpsim__drive(const struct tcpsim__scenario *sc, unsigned conn, enum tcpsim_lang lang,
                              const struct tcpsim_tl_sink *sink)
{
    static struct drv d; /* large (link queue); the driver is not re-entrant */
    memset(&d, 0, sizeof d);
    d.sc = sc;
    d.lang = lang;
    d.sink = sink;
    d.delay = sc->delay ? sc->delay : TCPSIM_MSEC(10);
    struct tcpsim_tcp_config cfg[2];
    for (int s = 0; s < 2; s++) {
        tcpsim_tcp_config_default(&cfg[s], TCPSIM_PROFILE_RFC);
        cfg[s].iss = s == 0 ? 1000u : 5000u; /* fixed ISNs so that every run reads the same */
        /* Small, readable segments: no options beyond MSS. */
        cfg[s].opt_ts = false;
        cfg[s].opt_sack = false;
        cfg[s].opt_wscale = false;
        if (sc->msl)
            cfg[s].msl = sc->msl;
        if (sc->tiny_msl)
            cfg[s].msl = TCPSIM_USEC(1);
    }
    enum tcpsim_err e = tcpsim_tcp_init(&d.ep[0], &cfg[0], 40000, 443);
    if (e != TCPSIM_OK)
        return e;
    e = tcpsim_tcp_init(&d.ep[1], &cfg[1], 443, 40000);
    if (e != TCPSIM_OK) {
        tcpsim_tcp_free(&d.ep[0]);
        return e;
    }
    tcpsim_tcp_out_reset(&d.out);

    struct tcpsim_tl_event ev = {.kind = TCPSIM_TL_BEGIN};
    ev.u.begin.conn = conn;
    ev.u.begin.client_label = "client 10.0.0.1:40000";
    ev.u.begin.server_label = "server 10.0.0.2:443";
    ev.u.begin.client_state = TCPSIM_TCP_CLOSED;
    ev.u.begin.server_state = TCPSIM_TCP_CLOSED;
    ev.u.begin.client_isn = cfg[0].iss;
    ev.u.begin.server_isn = cfg[1].iss;
    ev.u.begin.client_isn_known = ev.u.begin.server_isn_known = true;
    tcpsim_tl_emit(sink, &ev);

    for (unsigned steps = 0; steps < MAX_STEPS && d.nput < MAX_SEGMENTS; steps++) {
        if (run_ready(&d))
            continue;
        tcpsim_time_t t = next_time(&d);
        if (t == TCPSIM_TIME_NEVER || t > END_TIME)
            break;
        if (t > d.now)
            d.now = t;
        /* arrivals first (in order of arrival time, then of sending) */
        bool did = false;
        struct inflight *f = NULL;
        for (size_t i = 0; i < Q_MAX; i++)
            if (d.q[i].used && d.q[i].at <= d.now && (!f || d.q[i].order < f->order))
                f = &d.q[i];
        if (f) {
            f->used = false;
            (void)tcpsim_tcp_segment_arrives(&d.ep[f->to], &f->seg, d.now, &d.out);
            flush(&d, f->to);
            app_read(&d, f->to);
            did = true; /* one arrival per step keeps the order readable */
        }
        if (did)
            continue;
        for (int s = 0; s < 2; s++)
            if (tcpsim_tcp_next_timeout(&d.ep[s]) <= d.now) {
                tcpsim_tcp_timeout(&d.ep[s], d.now, &d.out);
                flush(&d, (enum tcpsim_side)s);
            }
    }
    ev.kind = TCPSIM_TL_END;
    tcpsim_tl_emit(sink, &ev);
    tcpsim_tcp_free(&d.ep[0]);
    tcpsim_tcp_free(&d.ep[1]);
    return TCPSIM_OK;
}
