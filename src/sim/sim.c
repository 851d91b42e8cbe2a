/* sim.c - the discrete-event simulator: virtual time, two endpoints of the TCP
 * core, a lossy link, scripted faults and application actions; everything that
 * happens becomes a timeline event. Read first: RFC 9293 §3.10 (the endpoint's
 * event processing the sim drives), RFC 6298 (timers), include/tcpsim/sim.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"
#include "tcpsim/i18n.h"
#include "tcpsim/tls.h"

enum { EV_RULE, EV_ARRIVE };

#define MAX_HIST  64
#define MAX_ERRS  16
#define MAX_MSGS  32
#define MAX_ITEMS 64
#define MAX_DEPTH 8

struct arrival {
    enum tcpsim_side from;
    struct tcpsim_segment seg;
    uint8_t *payload;
    tcpsim_time_t t_sent;
    bool duplicated, retransmission;
    unsigned generation; /* sim->generation when it was sent */
    uint64_t frame;      /* its record in the capture (0: not written) */
};

/* one application message (a send action): where it ends in the byte stream */
struct msg {
    uint64_t end;
};

struct side_st {
    struct tcpsim_tcp_endpoint ep;
    bool ep_init, used;
    uint32_t first_isn;
    bool first_isn_set;
    uint32_t isn; /* ISN of the current incarnation (for relative numbers) */
    bool isn_known;
    uint64_t app_sent; /* bytes accepted from the application */
    uint64_t read;     /* bytes the application read */
    struct msg msg[MAX_MSGS];
    size_t nmsg;
    enum tcpsim_tcp_state hist[MAX_HIST];
    size_t nhist;
    enum tcpsim_err errs[MAX_ERRS];
    size_t nerr;
    unsigned sent, lost;
    tcpsim_time_t last_arrival; /* FIFO link unless reordered */
};

struct tcpsim_sim {
    const struct tcpsim_scenario *sc;
    struct sim_params p;
    size_t run;
    struct tcpsim_rng rng;
    struct tcpsim__evq q;
    tcpsim_time_t now;
    struct side_st s[2];
    bool rule_fired[SIM_MAX_RULES];
    unsigned fault_count[SIM_MAX_FAULTS];
    unsigned fault_nth[SIM_MAX_FAULTS]; /* `last` resolved by the dry run; 0 = never */
    bool dry_run;                       /* counting segments for `last`: those faults stay off */
    struct tcpsim_tl_sink sink;
    tcpsim_sim_packet_fn pkt;
    void *pkt_ctx;
    struct tcpsim_ip_addr addr[2];
    uint16_t port[2];
    char label[2][96];
    char title[160];
    bool begun, ended;
    uint16_t ip_id[2];
    uint64_t frame; /* frames numbered so far (the capture's frame.number) */
    unsigned depth;
    unsigned generation; /* +1 whenever an endpoint starts a new connection on the 4-tuple */
    /* TLS: the bytes that arrive go through the same decoder as replay's
     * (src/tls), which names the records and messages on the arrows */
    struct tcpsim_tls_conn *tls;
    struct tcpsim_tl_tls tls_items[MAX_ITEMS];
    char tls_explain[MAX_ITEMS][160];
    struct tcpsim_tls_explain tls_why[MAX_ITEMS]; /* the same by id, for translation */
    char tls_why_s[MAX_ITEMS][3][96];
    size_t ntls_items, tls_items_lost;
};

static enum tcpsim_side peer(enum tcpsim_side s)
{
    return s == TCPSIM_SIDE_CLIENT ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT;
}

static void note_why(struct tcpsim_sim *sim, enum tcpsim_side side, enum tcpsim_tcp_why why)
{
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_NOTE};
    e.u.note.side = side;
    e.u.note.at = sim->now;
    e.u.note.why = why;
    tcpsim_tl_emit(&sim->sink, &e);
}

/* A note in words: catalogue message `key` with its arguments (i18n.h), so
 * views can say it in the reader's language; `text` is the English. */
static void note(struct tcpsim_sim *sim, enum tcpsim_side side, const char *key, const char *const *args, size_t nargs)
{
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_NOTE};
    char text[320];
    tcpsim_msg(TCPSIM_LANG_EN, key, args, nargs, text, sizeof text);
    e.u.note.side = side;
    e.u.note.at = sim->now;
    e.u.note.why = TCPSIM_WHY_NONE;
    e.u.note.text = text;
    e.u.note.msg = key;
    for (size_t i = 0; i < nargs && i < TCPSIM_TL_NOTE_ARGS; i++)
        e.u.note.args[i] = args[i];
    e.u.note.nargs = nargs < TCPSIM_TL_NOTE_ARGS ? nargs : TCPSIM_TL_NOTE_ARGS;
    tcpsim_tl_emit(&sim->sink, &e);
}

/* "@err.ERR_RESET": the error as a message of its own (translated too). */
static const char *err_arg(enum tcpsim_err e, char *buf, size_t cap)
{
    snprintf(buf, cap, "@err.%s", tcpsim_errname(e));
    return buf;
}

static void begin(struct tcpsim_sim *sim)
{
    if (sim->begun)
        return;
    sim->begun = true;
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_BEGIN};
    e.u.begin.conn = (unsigned)sim->run;
    e.u.begin.client_label = sim->label[0];
    e.u.begin.server_label = sim->label[1];
    e.u.begin.client_state = sim->s[0].ep.state;
    e.u.begin.server_state = sim->s[1].ep.state;
    /* relative numbers start from the configured ISNs */
    e.u.begin.client_isn = sim->p.isn[0];
    e.u.begin.server_isn = sim->p.isn[1];
    e.u.begin.client_isn_known = e.u.begin.server_isn_known = true;
    tcpsim_tl_emit(&sim->sink, &e);
}

static enum tcpsim_err init_endpoint(struct tcpsim_sim *sim, enum tcpsim_side side, uint32_t isn)
{
    struct side_st *st = &sim->s[side];
    struct tcpsim_tcp_config cfg;
    tcpsim_tcp_config_default(&cfg, TCPSIM_PROFILE_RFC);
    cfg.iss = isn;
    cfg.mss = sim->p.mss;
    cfg.opt_ts = sim->p.timestamps;
    /* no TIME_WAIT: 2*MSL of zero, the endpoint closes at once (the variant
     * that shows why RFC 9293 3.6 keeps the state) */
    cfg.msl = sim->p.timewait ? sim->p.msl : 0;
    if (st->ep_init)
        tcpsim_tcp_free(&st->ep);
    st->ep_init = false;
    enum tcpsim_err e = tcpsim_tcp_init(&st->ep, &cfg, sim->port[side], sim->port[peer(side)]);
    if (e != TCPSIM_OK)
        return e;
    st->ep_init = true;
    return TCPSIM_OK;
}

/* ---- the link ---- */
static bool fault_matches(const struct sim_fault *f, const struct tcpsim_segment *seg)
{
    if ((seg->flags & f->flags) != f->flags)
        return false;
    return !f->data || seg->payload_len > 0;
}

static void emit_segment(struct tcpsim_sim *sim, const struct arrival *a, tcpsim_time_t arrived, bool dropped)
{
    const struct side_st *from = &sim->s[a->from], *to = &sim->s[peer(a->from)];
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_SEGMENT};
    struct tcpsim_tl_segment *t = &e.u.segment;
    t->frame = a->frame;
    t->from = a->from;
    t->t_sent = a->t_sent;
    t->t_arrived = dropped ? TCPSIM_TIME_NEVER : arrived;
    t->seg = &a->seg;
    t->rel_seq_known = from->isn_known;
    t->rel_seq = a->seg.seq - from->isn;
    t->rel_ack_known = to->isn_known && (a->seg.flags & TCPSIM_ACK);
    t->rel_ack = a->seg.ack - to->isn;
    uint64_t win = a->seg.window;
    if (!(a->seg.flags & TCPSIM_SYN) && from->ep.ws_ok)
        win <<= from->ep.rcv_wscale; /* RFC 7323 2.3: never scaled in a SYN */
    t->win = win;
    t->dropped = dropped;
    t->duplicated = a->duplicated;
    t->retransmission = a->retransmission;
    t->analysis = a->retransmission ? TCPSIM_AN_RETRANSMISSION : 0;
    t->tls = dropped ? NULL : sim->tls_items;
    t->ntls = dropped ? 0 : sim->ntls_items;
    tcpsim_tl_emit(&sim->sink, &e);
}

/* The virtual capture point is the sender's interface, as tcpdump on the
 * sending host sees it: every segment, lost or not, is recorded when it is
 * sent, in send order, and the link's faults (loss, delay, duplication,
 * reordering) happen after the tap. So the capture never shows a gap or an
 * out-of-order segment the sender did not make, and the frame number given
 * here is the record's frame.number in the file (JSON "frame"). */
static void capture(struct tcpsim_sim *sim, struct arrival *a)
{
    if (sim->dry_run)
        return;
    static uint8_t frame[65600];
    size_t n;
    if (tcpsim_packet_encode(&sim->addr[a->from], &sim->addr[peer(a->from)], &a->seg, sim->ip_id[a->from]++, frame,
                             sizeof frame, &n) != TCPSIM_OK)
        return; /* cannot happen for segments the core builds; frame stays 0 */
    a->frame = ++sim->frame;
    if (sim->pkt)
        sim->pkt(sim->pkt_ctx, frame, n, sim->now);
}

static void free_arrival(struct arrival *a)
{
    free(a->payload);
    free(a);
}

static struct arrival *copy_tx(struct tcpsim_sim *sim, enum tcpsim_side side, const struct tcpsim_tcp_tx *tx)
{
    struct arrival *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->from = side;
    a->seg = tx->seg;
    a->t_sent = sim->now;
    a->retransmission = tx->retransmission;
    if (tx->seg.payload_len) {
        a->payload = malloc(tx->seg.payload_len);
        if (!a->payload) {
            free(a);
            return NULL;
        }
        if (tx->seg.payload)
            memcpy(a->payload, tx->seg.payload, tx->seg.payload_len);
        else
            memset(a->payload, 0, tx->seg.payload_len);
    }
    a->seg.payload = a->payload;
    a->generation = sim->generation;
    return a;
}

static void transmit(struct tcpsim_sim *sim, enum tcpsim_side side, const struct tcpsim_tcp_tx *tx)
{
    struct side_st *st = &sim->s[side];
    if (tx->seg.flags & TCPSIM_SYN) {
        st->isn = tx->seg.seq;
        st->isn_known = true;
        if (sim->tls) /* the stream starts after the SYN (RFC 9293 3.4) */
            tcpsim_tls_start(sim->tls, side, tx->seg.seq + 1);
    }
    st->sent++;
    struct arrival *a = copy_tx(sim, side, tx);
    if (!a) {
        note(sim, side, "sim.oom_segment", NULL, 0);
        return;
    }
    capture(sim, a);
    bool drop = false, dup = false;
    tcpsim_time_t extra = 0, dup_extra = TCPSIM_MSEC(1);
    for (size_t i = 0; i < sim->sc->nfault; i++) {
        const struct sim_fault *f = &sim->sc->fault[i];
        if ((!f->any_side && f->side != side) || !fault_matches(f, &tx->seg))
            continue;
        if (++sim->fault_count[i] != sim->fault_nth[i] || (f->last && sim->dry_run))
            continue;
        switch (f->kind) {
        case SIM_FAULT_DROP:
            drop = true;
            break;
        case SIM_FAULT_DELAY:
            extra += f->t;
            break;
        case SIM_FAULT_DUP:
            dup = true;
            if (f->t)
                dup_extra = f->t;
            break;
        }
    }
    /* random faults: always draw the same numbers per segment so that a
     * scripted fault does not shift the rest of the run */
    double r_loss = tcpsim_rng_unit(&sim->rng), r_dup = tcpsim_rng_unit(&sim->rng);
    double r_reo = tcpsim_rng_unit(&sim->rng), r_jit = tcpsim_rng_unit(&sim->rng);
    if (r_loss < sim->p.loss)
        drop = true;
    if (r_dup < sim->p.dup)
        dup = true;
    tcpsim_time_t t = sim->now + sim->p.delay + extra + (tcpsim_time_t)(r_jit * (double)sim->p.jitter);
    if (r_reo < sim->p.reorder) {
        t += sim->p.delay + TCPSIM_MSEC(1); /* held back: later segments overtake it */
    } else if (t < st->last_arrival) {
        t = st->last_arrival; /* a plain link keeps order */
    }
    if (drop) {
        st->lost++;
        emit_segment(sim, a, TCPSIM_TIME_NEVER, true);
        free_arrival(a);
        return;
    }
    if (r_reo >= sim->p.reorder)
        st->last_arrival = t;
    struct arrival *d = NULL;
    if (dup) {
        d = copy_tx(sim, side, tx);
        if (d) {
            d->duplicated = true;
            d->frame = a->frame; /* the link copied it after the tap: one record */
        }
    }
    if (tcpsim__evq_push(&sim->q, t, EV_ARRIVE, a) != TCPSIM_OK)
        free_arrival(a);
    if (d && tcpsim__evq_push(&sim->q, t + dup_extra, EV_ARRIVE, d) != TCPSIM_OK)
        free_arrival(d);
}

/* ---- endpoint outputs -> timeline, link, application ---- */
static void fire_rules_state(struct tcpsim_sim *sim, enum tcpsim_side side, enum tcpsim_tcp_state st);
static void fire_rules_got(struct tcpsim_sim *sim, enum tcpsim_side side);
static void app_read(struct tcpsim_sim *sim, enum tcpsim_side side);

static void record_err(struct tcpsim_sim *sim, enum tcpsim_side side, enum tcpsim_err e)
{
    struct side_st *st = &sim->s[side];
    if (st->nerr < MAX_ERRS)
        st->errs[st->nerr++] = e;
}

static void process(struct tcpsim_sim *sim, enum tcpsim_side side, const struct tcpsim_tcp_out *out)
{
    struct side_st *st = &sim->s[side];
    for (size_t i = 0; i < out->ntrans; i++) {
        const struct tcpsim_tcp_transition *tr = &out->trans[i];
        struct tcpsim_tl_event e = {.kind = TCPSIM_TL_STATE};
        e.u.state.side = side;
        e.u.state.at = sim->now;
        e.u.state.from = tr->from;
        e.u.state.to = tr->to;
        e.u.state.why = tr->why;
        tcpsim_tl_emit(&sim->sink, &e);
        if (st->nhist < MAX_HIST)
            st->hist[st->nhist++] = tr->to;
    }
    for (size_t i = 0; i < out->nnote; i++)
        note_why(sim, side, out->note[i].why);
    for (size_t i = 0; i < out->nerr; i++) {
        char eb[48];
        const char *a[1] = {err_arg(out->err[i], eb, sizeof eb)};
        note(sim, side, "sim.app_told", a, 1);
        record_err(sim, side, out->err[i]);
    }
    for (size_t i = 0; i < out->nseg; i++)
        transmit(sim, side, &out->seg[i]);
    bool delivered = out->ndeliv > 0;
    for (size_t i = 0; i < out->ntrans; i++)
        fire_rules_state(sim, side, out->trans[i].to);
    if (delivered && sim->p.autoread)
        app_read(sim, side);
}

static void app_read(struct tcpsim_sim *sim, enum tcpsim_side side)
{
    struct side_st *st = &sim->s[side];
    if (sim->depth >= MAX_DEPTH)
        return;
    sim->depth++;
    for (;;) {
        static uint8_t buf[65536];
        size_t got = 0;
        struct tcpsim_tcp_out *out = malloc(sizeof *out);
        if (!out)
            break;
        tcpsim_tcp_out_reset(out);
        enum tcpsim_err e = tcpsim_tcp_receive(&st->ep, buf, sizeof buf, &got, sim->now, out);
        st->read += got;
        process(sim, side, out);
        free(out);
        if (e != TCPSIM_OK || got == 0)
            break;
    }
    sim->depth--;
    fire_rules_got(sim, side);
}

/* A segment of an earlier connection on the same 4-tuple has just arrived:
 * say what it did to the new one. This is the hazard TIME_WAIT's 2*MSL wait
 * exists for (RFC 9293 3.6; RFC 1337 for the RST case). */
static void old_duplicate(struct tcpsim_sim *sim, enum tcpsim_side to, enum tcpsim_tcp_state before,
                          const struct tcpsim_tcp_out *out)
{
    const char *key = "sim.olddup.dropped";
    bool reset = false;
    for (size_t i = 0; i < out->ntrans; i++)
        reset |= out->trans[i].to == TCPSIM_TCP_CLOSED || out->trans[i].to == TCPSIM_TCP_LISTEN;
    size_t bytes = 0;
    for (size_t i = 0; i < out->ndeliv; i++)
        bytes += out->deliv[i].len;
    bool rst_sent = false;
    for (size_t i = 0; i < out->nseg; i++)
        rst_sent |= (out->seg[i].seg.flags & TCPSIM_RST) != 0;
    char nb[24];
    snprintf(nb, sizeof nb, "%zu", bytes);
    const char *a[1] = {nb};
    if (bytes)
        key = "sim.olddup.accepted";
    else if (reset)
        key = "sim.olddup.reset";
    else if (before == TCPSIM_TCP_CLOSED || before == TCPSIM_TCP_LISTEN)
        key = rst_sent ? "sim.olddup.rst" : "sim.olddup.absorbed";
    note(sim, to, key, a, 1);
}

/* ---- rules ---- */
static void schedule_rule(struct tcpsim_sim *sim, size_t i, tcpsim_time_t at)
{
    sim->rule_fired[i] = true;
    if (tcpsim__evq_push(&sim->q, at, EV_RULE, (void *)(uintptr_t)i) != TCPSIM_OK)
        note(sim, sim->sc->rule[i].side, "sim.oom_rule", NULL, 0);
}

static void fire_rules_state(struct tcpsim_sim *sim, enum tcpsim_side side, enum tcpsim_tcp_state s)
{
    for (size_t i = 0; i < sim->sc->nrule; i++) {
        const struct sim_rule *r = &sim->sc->rule[i];
        if (!sim->rule_fired[i] && r->trig == SIM_TRIG_STATE && r->tside == side && r->state == s)
            schedule_rule(sim, i, sim->now + r->t);
    }
}

static void fire_rules_got(struct tcpsim_sim *sim, enum tcpsim_side side)
{
    const struct side_st *me = &sim->s[side], *other = &sim->s[peer(side)];
    for (size_t i = 0; i < sim->sc->nrule; i++) {
        const struct sim_rule *r = &sim->sc->rule[i];
        if (sim->rule_fired[i] || r->trig != SIM_TRIG_GOT || r->tside != side)
            continue;
        if (r->k <= other->nmsg && me->read >= other->msg[r->k - 1].end)
            schedule_rule(sim, i, sim->now + r->t);
    }
}

/* ---- TLS: items as the decoder reports them (src/tls, as in replay) ---- */
static void on_tls_item(void *ctx, const struct tcpsim_tls_item *it)
{
    struct tcpsim_sim *sim = ctx;
    if (sim->ntls_items == MAX_ITEMS) {
        sim->tls_items_lost++;
        return;
    }
    size_t i = sim->ntls_items++;
    struct tcpsim_tl_tls *x = &sim->tls_items[i];
    snprintf(sim->tls_explain[i], sizeof sim->tls_explain[i], "%s", it->explain ? it->explain : "");
    x->dir = it->dir;
    x->record = tcpsim_tls_record_name(it->record);
    x->handshake = it->hs == TCPSIM_TLS_HS_NONE ? NULL : tcpsim_tls_hs_name(it->hs);
    x->explain = sim->tls_explain[i][0] ? sim->tls_explain[i] : NULL;
    /* the decoder's strings live only during this call: keep copies */
    struct tcpsim_tls_explain *w = &sim->tls_why[i];
    *w = it->why;
    for (int k = 0; k < 3; k++) {
        snprintf(sim->tls_why_s[i][k], sizeof sim->tls_why_s[i][k], "%s", it->why.s[k] ? it->why.s[k] : "");
        w->s[k] = sim->tls_why_s[i][k];
    }
    x->why = it->why.id != TCPSIM_TLS_X_NONE ? w : NULL;
}

/* A fresh decoder for a new connection on the 4-tuple (its streams start anew). */
static void new_tls(struct tcpsim_sim *sim)
{
    tcpsim_tls_conn_free(sim->tls);
    sim->tls = sim->dry_run ? NULL : tcpsim_tls_conn_new(NULL, on_tls_item, sim);
}

/* The payload of an arriving segment, fed to the decoder by sequence number:
 * it reassembles retransmitted and reordered bytes the way a receiver does
 * (RFC 9293 3.10.7.4), so an item shows on the segment that completed it. */
static void tls_arrival(struct tcpsim_sim *sim, const struct arrival *a)
{
    sim->ntls_items = sim->tls_items_lost = 0;
    if (!sim->tls)
        return;
    const struct tcpsim_segment *g = &a->seg;
    uint32_t seq = g->seq + ((g->flags & TCPSIM_SYN) ? 1u : 0u);
    if (g->payload_len)
        (void)tcpsim_tls_feed(sim->tls, a->from, seq, a->payload, g->payload_len, 0, sim->now);
}

static void user_error(struct tcpsim_sim *sim, enum tcpsim_side side, const char *call, enum tcpsim_err e)
{
    const char *key = "sim.refused";
    if (e == TCPSIM_ERR_NOTCONN)
        key = "sim.refused.notconn";
    else if (e == TCPSIM_ERR_EXISTS && sim->s[side].ep.state == TCPSIM_TCP_TIME_WAIT)
        key = "sim.refused.timewait";
    char eb[48];
    const char *a[2] = {call, err_arg(e, eb, sizeof eb)};
    note(sim, side, key, a, 2);
    record_err(sim, side, e);
}

static void do_rule(struct tcpsim_sim *sim, const struct sim_rule *r)
{
    enum tcpsim_side side = r->side;
    struct side_st *st = &sim->s[side];
    struct tcpsim_tcp_out *out = malloc(sizeof *out);
    if (!out)
        return;
    tcpsim_tcp_out_reset(out);
    enum tcpsim_err e = TCPSIM_OK;
    const char *call = "?";
    switch (r->act) {
    case SIM_ACT_LISTEN:
    case SIM_ACT_CONNECT: {
        call = r->act == SIM_ACT_LISTEN ? "listen" : "connect";
        if (st->ep.state != TCPSIM_TCP_CLOSED) {
            e = TCPSIM_ERR_EXISTS;
            break;
        }
        uint32_t isn = sim->p.isn[side];
        if (r->isn_set)
            isn = r->isn_rel ? (uint32_t)((int64_t)isn + r->isn) : (uint32_t)r->isn;
        if (st->used) {
            /* a new incarnation on the same ports: fresh TCB, fresh stream */
            e = init_endpoint(sim, side, isn);
            if (e != TCPSIM_OK)
                break;
            st->app_sent = st->read = 0;
            st->nmsg = 0;
            st->isn_known = false;
            sim->generation++;
            new_tls(sim);
        } else if (isn != st->ep.cfg.iss) {
            e = init_endpoint(sim, side, isn);
            if (e != TCPSIM_OK)
                break;
        }
        st->used = true;
        if (r->act == SIM_ACT_CONNECT) {
            st->isn = isn;
            st->isn_known = true;
        }
        e = tcpsim_tcp_open(&st->ep, r->act == SIM_ACT_CONNECT, sim->now, out);
        break;
    }
    case SIM_ACT_SEND: {
        call = "send";
        struct sim_tls_flight fl;
        memset(&fl, 0, sizeof fl);
        const uint8_t *data;
        size_t len;
        uint8_t *filler = NULL;
        if (r->tls >= 0) {
            e = tcpsim__tls_flight_build(r->tls, &fl);
            if (e != TCPSIM_OK)
                break;
            data = fl.bytes;
            len = fl.len;
        } else if (r->text) {
            data = (const uint8_t *)r->text;
            len = strlen(r->text);
        } else {
            filler = malloc(r->nbytes);
            if (!filler) {
                e = TCPSIM_ERR_NOMEM;
                break;
            }
            for (size_t i = 0; i < r->nbytes; i++)
                filler[i] = (uint8_t)('a' + (st->app_sent + i) % 26);
            data = filler;
            len = r->nbytes;
        }
        size_t accepted = 0;
        e = tcpsim_tcp_send(&st->ep, data, len, &accepted, sim->now, out);
        if (e == TCPSIM_OK) {
            st->app_sent += accepted;
            if (st->nmsg < MAX_MSGS)
                st->msg[st->nmsg++].end = st->app_sent;
            if (accepted < len)
                note(sim, side, "sim.sndbuf_full", NULL, 0);
        }
        free(filler);
        free(fl.bytes);
        break;
    }
    case SIM_ACT_READ:
        free(out);
        app_read(sim, side);
        return;
    case SIM_ACT_CLOSE:
        call = "close";
        e = tcpsim_tcp_close(&st->ep, sim->now, out);
        break;
    case SIM_ACT_SHUTDOWN:
        call = "shutdown";
        e = tcpsim_tcp_shutdown(&st->ep, sim->now, out);
        break;
    case SIM_ACT_ABORT:
        call = "abort";
        e = tcpsim_tcp_abort(&st->ep, sim->now, out);
        break;
    }
    if (e != TCPSIM_OK)
        user_error(sim, side, call, e);
    process(sim, side, out);
    free(out);
}

/* ---- public API ---- */
static enum tcpsim_err sim_create(const struct tcpsim_scenario *sc, size_t run, bool dry, struct tcpsim_sim **out);

enum tcpsim_err tcpsim_sim_new(const struct tcpsim_scenario *sc, size_t run, struct tcpsim_sim **out)
{
    return sim_create(sc, run, false, out);
}

/* A `last` fault needs to know how many segments will match: run the
 * scenario once without those faults (the run is deterministic) and take the
 * count. The fault then hits the segment that was last in that run. */
static enum tcpsim_err resolve_last(struct tcpsim_sim *sim)
{
    bool any = false;
    for (size_t i = 0; i < sim->sc->nfault; i++)
        any |= sim->sc->fault[i].last;
    if (!any)
        return TCPSIM_OK;
    struct tcpsim_sim *dry = NULL;
    enum tcpsim_err e = sim_create(sim->sc, sim->run, true, &dry);
    if (e != TCPSIM_OK)
        return e;
    tcpsim_sim_run(dry);
    for (size_t i = 0; i < sim->sc->nfault; i++)
        if (sim->sc->fault[i].last)
            sim->fault_nth[i] = dry->fault_count[i];
    tcpsim_sim_free(dry);
    return TCPSIM_OK;
}

static enum tcpsim_err sim_create(const struct tcpsim_scenario *sc, size_t run, bool dry, struct tcpsim_sim **out)
{
    *out = NULL;
    if (!sc || run >= tcpsim_scenario_runs(sc))
        return TCPSIM_ERR_INVALID;
    struct tcpsim_sim *sim = calloc(1, sizeof *sim);
    if (!sim)
        return TCPSIM_ERR_NOMEM;
    sim->sc = sc;
    sim->run = run;
    sim->dry_run = dry;
    sim->p = sc->p;
    for (size_t i = 0; i < sc->nfault; i++)
        sim->fault_nth[i] = sc->fault[i].last ? 0 : sc->fault[i].nth;
    if (run > 0) {
        /* the variant was validated at parse time */
        struct tcpsim_scenario tmp;
        tmp.p = sc->p;
        if (tcpsim_scenario_set(&tmp, sc->var[run - 1].key, sc->var[run - 1].value, NULL, 0) == TCPSIM_OK)
            sim->p = tmp.p;
    }
    tcpsim_rng_seed(&sim->rng, sim->p.seed);
    sim->port[0] = 40000;
    sim->port[1] = 80;
    for (size_t i = 0; i < sc->nrule; i++)
        if (sc->rule[i].tls >= 0 && sc->rule[i].act == SIM_ACT_SEND)
            sim->port[1] = 443; /* so that Wireshark decodes the records as TLS */
    if (sim->p.ipv6) {
        tcpsim_ip_addr_parse("2001:db8::1", &sim->addr[0]);
        tcpsim_ip_addr_parse("2001:db8::2", &sim->addr[1]);
    } else {
        tcpsim_ip_addr_parse("10.0.0.1", &sim->addr[0]);
        tcpsim_ip_addr_parse("10.0.0.2", &sim->addr[1]);
    }
    for (int i = 0; i < 2; i++) {
        char ep[80];
        tcpsim_endpoint_str(&sim->addr[i], sim->port[i], ep, sizeof ep);
        snprintf(sim->label[i], sizeof sim->label[i], "%s %s", i == 0 ? "client" : "server", ep);
        enum tcpsim_err e = init_endpoint(sim, (enum tcpsim_side)i, sim->p.isn[i]);
        if (e != TCPSIM_OK) {
            tcpsim_sim_free(sim);
            return e;
        }
        sim->s[i].hist[sim->s[i].nhist++] = TCPSIM_TCP_CLOSED;
        sim->ip_id[i] = (uint16_t)(0x1000 * (i + 1));
    }
    new_tls(sim);
    if (!dry && !sim->tls) {
        tcpsim_sim_free(sim);
        return TCPSIM_ERR_NOMEM;
    }
    for (size_t i = 0; i < sc->nrule; i++)
        if (sc->rule[i].trig == SIM_TRIG_AT)
            schedule_rule(sim, i, sc->rule[i].t);
    if (!dry) {
        enum tcpsim_err e = resolve_last(sim);
        if (e != TCPSIM_OK) {
            tcpsim_sim_free(sim);
            return e;
        }
    }
    *out = sim;
    return TCPSIM_OK;
}

void tcpsim_sim_set_sink(struct tcpsim_sim *sim, const struct tcpsim_tl_sink *sink)
{
    if (sink)
        sim->sink = *sink;
    else
        memset(&sim->sink, 0, sizeof sim->sink);
}

void tcpsim_sim_set_packet_hook(struct tcpsim_sim *sim, tcpsim_sim_packet_fn fn, void *ctx)
{
    sim->pkt = fn;
    sim->pkt_ctx = ctx;
}

void tcpsim_sim_set_frame_base(struct tcpsim_sim *sim, uint64_t base)
{
    sim->frame = base;
}

uint64_t tcpsim_sim_frames(const struct tcpsim_sim *sim)
{
    return sim->frame;
}

static void end(struct tcpsim_sim *sim)
{
    if (sim->ended)
        return;
    begin(sim);
    sim->ended = true;
    /* a fault that never applied is usually a miscounted #N: say so */
    for (size_t i = 0; i < sim->sc->nfault; i++) {
        const struct sim_fault *f = &sim->sc->fault[i];
        if (sim->fault_nth[i] != 0 && sim->fault_count[i] >= sim->fault_nth[i])
            continue;
        char nb[16];
        snprintf(nb, sizeof nb, "%u", sim->fault_count[i]);
        const char *a[2] = {f->spec, nb};
        note(sim, f->any_side ? TCPSIM_SIDE_CLIENT : f->side,
             sim->fault_count[i] == 1 ? "sim.fault_unused.one" : "sim.fault_unused", a, 2);
    }
    struct tcpsim_tl_event e = {.kind = TCPSIM_TL_END};
    tcpsim_tl_emit(&sim->sink, &e);
}

bool tcpsim_sim_step(struct tcpsim_sim *sim)
{
    if (sim->ended)
        return false;
    begin(sim);
    /* the earliest of: queued event, either endpoint's timer */
    tcpsim_time_t tq = TCPSIM_TIME_NEVER, tt[2];
    const struct sim_ev *head = tcpsim__evq_peek(&sim->q);
    if (head)
        tq = head->t;
    for (int i = 0; i < 2; i++)
        tt[i] = tcpsim_tcp_next_timeout(&sim->s[i].ep);
    int timer = tt[0] <= tt[1] ? 0 : 1;
    tcpsim_time_t tmin = tt[timer] < tq ? tt[timer] : tq;
    if (tmin == TCPSIM_TIME_NEVER || tmin > sim->p.until) {
        end(sim);
        return false;
    }
    if (tmin > sim->now)
        sim->now = tmin;
    if (tt[timer] < tq) {
        struct tcpsim_tcp_out *out = malloc(sizeof *out);
        if (!out) {
            end(sim);
            return false;
        }
        tcpsim_tcp_out_reset(out);
        tcpsim_tcp_timeout(&sim->s[timer].ep, sim->now, out);
        process(sim, (enum tcpsim_side)timer, out);
        free(out);
        return true;
    }
    struct sim_ev ev;
    tcpsim__evq_pop(&sim->q, &ev);
    if (ev.kind == EV_RULE) {
        do_rule(sim, &sim->sc->rule[(uintptr_t)ev.data]);
        return true;
    }
    struct arrival *a = ev.data;
    enum tcpsim_side to = peer(a->from);
    tls_arrival(sim, a);
    emit_segment(sim, a, sim->now, false);
    if (sim->tls_items_lost)
        note(sim, to, "sim.tls_items_lost", NULL, 0);
    sim->ntls_items = 0;
    struct tcpsim_tcp_out *out = malloc(sizeof *out);
    if (out) {
        tcpsim_tcp_out_reset(out);
        enum tcpsim_tcp_state before = sim->s[to].ep.state;
        enum tcpsim_err e = tcpsim_tcp_segment_arrives(&sim->s[to].ep, &a->seg, sim->now, out);
        if (e != TCPSIM_OK) {
            char eb[48];
            const char *ea[1] = {err_arg(e, eb, sizeof eb)};
            note(sim, to, "sim.seg_error", ea, 1);
        }
        if (a->generation < sim->generation)
            old_duplicate(sim, to, before, out);
        process(sim, to, out);
        free(out);
    }
    free_arrival(a);
    return true;
}

void tcpsim_sim_run(struct tcpsim_sim *sim)
{
    while (tcpsim_sim_step(sim))
        ;
}

tcpsim_time_t tcpsim_sim_now(const struct tcpsim_sim *sim)
{
    return sim->now;
}

const struct tcpsim_tcp_endpoint *tcpsim_sim_endpoint(const struct tcpsim_sim *sim, enum tcpsim_side side)
{
    return &sim->s[side].ep;
}

size_t tcpsim_sim_states(const struct tcpsim_sim *sim, enum tcpsim_side side, const enum tcpsim_tcp_state **list)
{
    *list = sim->s[side].hist;
    return sim->s[side].nhist;
}

uint64_t tcpsim_sim_bytes_read(const struct tcpsim_sim *sim, enum tcpsim_side side)
{
    return sim->s[side].read;
}

unsigned tcpsim_sim_segments_sent(const struct tcpsim_sim *sim, enum tcpsim_side side)
{
    return sim->s[side].sent;
}

unsigned tcpsim_sim_segments_lost(const struct tcpsim_sim *sim, enum tcpsim_side side)
{
    return sim->s[side].lost;
}

size_t tcpsim_sim_errors(const struct tcpsim_sim *sim, enum tcpsim_side side, const enum tcpsim_err **list)
{
    *list = sim->s[side].errs;
    return sim->s[side].nerr;
}

void tcpsim_sim_free(struct tcpsim_sim *sim)
{
    if (!sim)
        return;
    struct sim_ev ev;
    while (tcpsim__evq_pop(&sim->q, &ev))
        if (ev.kind == EV_ARRIVE)
            free_arrival(ev.data);
    tcpsim__evq_free(&sim->q);
    tcpsim_tls_conn_free(sim->tls);
    for (int i = 0; i < 2; i++)
        if (sim->s[i].ep_init)
            tcpsim_tcp_free(&sim->s[i].ep);
    free(sim);
}
