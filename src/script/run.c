/* run.c - the script runner: virtual time, '<' injection, '>' matching,
 * blocking calls, %{ }% asserts, and failure reports a test author can act on.
 * Read first: docs/scripts.md; RFC 9293 §3.4 (sequence numbers: the script's
 * outbound numbers are relative to our ISN, inbound ones literal), RFC 7323
 * §3 (timestamps), RFC 6298 (the timers that fire as virtual time passes). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "script/runner.h"

#define RS_ANY_LIMIT       ((int64_t)3600 * 1000000) /* '*' waits at most an hour of virtual time */
#define RS_MAX_TIMER_STEPS 100000

static const uint8_t zero_payload[65536];

/* ---- small text helpers ---- */

static void appendf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t cap, const char *fmt, ...)
{
    size_t n = strlen(buf);
    if (n + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
}

static void fmt_time(int64_t t, char *buf, size_t cap)
{
    snprintf(buf, cap, "%" PRId64 ".%06" PRId64, t / 1000000, t % 1000000);
}

static void fmt_opts(const struct ts_opt *o, unsigned n, char *buf, size_t cap, bool show_tsval)
{
    appendf(buf, cap, "<");
    for (unsigned i = 0; i < n; i++) {
        if (i)
            appendf(buf, cap, ",");
        switch (o[i].kind) {
        case TCPSIM_OPT_NOP:
            appendf(buf, cap, "nop");
            break;
        case TCPSIM_OPT_EOL:
            appendf(buf, cap, "eol");
            break;
        case TCPSIM_OPT_MSS:
            appendf(buf, cap, "mss %" PRIu32, o[i].v1);
            break;
        case TCPSIM_OPT_WSCALE:
            appendf(buf, cap, "wscale %" PRIu32, o[i].v1);
            break;
        case TCPSIM_OPT_SACK_PERM:
            appendf(buf, cap, "sackOK");
            break;
        case TCPSIM_OPT_SACK:
            appendf(buf, cap, "sack");
            for (unsigned b = 0; b < o[i].nsack; b++)
                appendf(buf, cap, " %" PRIu32 ":%" PRIu32, o[i].sack[b].left, o[i].sack[b].right);
            break;
        case TCPSIM_OPT_TS:
            if (show_tsval)
                appendf(buf, cap, "TS val %" PRIu32 " ecr %" PRIu32, o[i].v1, o[i].v2);
            else
                appendf(buf, cap, "TS val * ecr %" PRIu32, o[i].v2);
            break;
        default:
            appendf(buf, cap, "opt%u", o[i].kind);
            break;
        }
    }
    appendf(buf, cap, ">");
}

/* The script line of a packet, as written ("> S. 0:0(0) ack 1 <...>"). */
static void fmt_script_pkt(const struct ts_packet *k, char *buf, size_t cap)
{
    char fl[12];
    buf[0] = '\0';
    appendf(buf, cap, "%c", k->inbound ? '<' : '>');
    if (k->rport)
        appendf(buf, cap, ":%u", k->rport);
    appendf(buf, cap, " %s %" PRIu32 ":%" PRIu32 "(%" PRIu32 ")", tcpsim__script_flags(k->flags, fl, sizeof fl),
            k->start, k->end, k->len);
    if (k->has_ack)
        appendf(buf, cap, " ack %" PRIu32, k->ack);
    if (k->has_win)
        appendf(buf, cap, " win %" PRIu32, k->win);
    if (k->has_urg)
        appendf(buf, cap, " urg %" PRIu32, k->urg);
    if (k->opt_mode == TS_OPTS_ANY)
        appendf(buf, cap, " <...>");
    else if (k->opt_mode == TS_OPTS_LIST) {
        appendf(buf, cap, " ");
        fmt_opts(k->opt, k->nopt, buf, cap, true);
    }
}

/* Options of a segment in wire order: encode the header (without payload)
 * and decode it again, which yields the layout whatever the endpoint set. */
static unsigned seg_opts(const struct tcpsim_segment *s, struct ts_opt *o, unsigned max)
{
    struct tcpsim_segment c = *s;
    c.payload = NULL;
    c.payload_len = 0;
    uint8_t buf[80];
    size_t w = 0;
    struct tcpsim_segment d;
    const struct tcpsim_tcp_opts *src = &s->opts;
    if (tcpsim_tcp_encode(&c, buf, sizeof buf, &w) == TCPSIM_OK && tcpsim_tcp_decode(buf, w, &d) == TCPSIM_OK)
        src = &d.opts;
    unsigned n = 0;
    for (unsigned i = 0; i < src->layout_len && n < max; i++) {
        struct ts_opt *x = &o[n];
        memset(x, 0, sizeof *x);
        x->kind = src->layout[i];
        switch (x->kind) {
        case TCPSIM_OPT_MSS:
            x->v1 = src->mss;
            break;
        case TCPSIM_OPT_WSCALE:
            x->v1 = src->wscale;
            break;
        case TCPSIM_OPT_TS:
            x->v1 = src->ts_val;
            x->v2 = src->ts_ecr;
            break;
        case TCPSIM_OPT_SACK:
            x->nsack = src->sack_count;
            memcpy(x->sack, src->sack, sizeof x->sack);
            break;
        default:
            break;
        }
        n++;
    }
    /* trailing EOL entries are padding */
    while (n > 0 && o[n - 1].kind == TCPSIM_OPT_EOL)
        n--;
    return n;
}

/* The packetdrill line for a segment we emitted ("> S. 0:0(0) ack 1 win ... <...>"). */
static void fmt_actual(const struct rs_qseg *q, char *buf, size_t cap)
{
    char fl[12];
    const struct tcpsim_segment *s = &q->seg;
    uint32_t seq = s->seq - q->base;
    buf[0] = '\0';
    if (s->dst_port != RS_REMOTE_PORT)
        appendf(buf, cap, ">:%u", s->dst_port);
    else
        appendf(buf, cap, ">");
    appendf(buf, cap, " %s %" PRIu32 ":%" PRIu32 "(%zu)", tcpsim__script_flags(s->flags, fl, sizeof fl), seq,
            (uint32_t)(seq + (uint32_t)s->payload_len), s->payload_len);
    if (s->flags & TCPSIM_ACK)
        appendf(buf, cap, " ack %" PRIu32, s->ack);
    appendf(buf, cap, " win %u", s->window);
    if (s->flags & TCPSIM_URG)
        appendf(buf, cap, " urg %u", s->urg_ptr);
    struct ts_opt o[TS_MAX_OPTS];
    unsigned n = seg_opts(s, o, TS_MAX_OPTS);
    if (n) {
        appendf(buf, cap, " ");
        fmt_opts(o, n, buf, cap, true);
    }
}

/* ---- log of recent events (the tail of a failure report) ---- */

void tcpsim__rs_log(struct runner *r, const char *fmt, ...)
{
    char line[180];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char t[24];
    fmt_time(r->now, t, sizeof t);
    char *slot = r->log[r->nlog % RS_LOG];
    snprintf(slot, sizeof r->log[0], "%10s  %s", t, line);
    r->nlog++;
    if (r->verbose && !r->ladder && r->out)
        fprintf(r->out, "  %s\n", slot);
}

static void add_report(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_report(struct runner *r, const char *fmt, ...)
{
    char tmp[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    appendf(r->res->report, sizeof r->res->report, "%s\n", tmp);
}

void tcpsim__rs_fail(struct runner *r, const struct ts_event *e, const char *fmt, ...)
{
    if (r->stop)
        return;
    r->stop = true;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->res->outcome = TCPSIM_SCRIPT_FAIL;
    r->res->line = e ? e->line : 0;
    r->res->column = 0;
    snprintf(r->res->message, sizeof r->res->message, "%s:%u: %s", r->name, r->res->line, msg);
    add_report(r, "%s", r->res->message);
}

void tcpsim__rs_error(struct runner *r, unsigned line, unsigned col, const char *fmt, ...)
{
    if (r->stop)
        return;
    r->stop = true;
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->res->outcome = TCPSIM_SCRIPT_ERROR;
    r->res->line = line;
    r->res->column = col;
    snprintf(r->res->message, sizeof r->res->message, "%s:%u:%u: %s", r->name, line, col, msg);
    add_report(r, "%s", r->res->message);
}

/* ---- Linux state names for TCP_INFO ---- */

int tcpsim_script_linux_state(enum tcpsim_tcp_state s)
{
    switch (s) {
    case TCPSIM_TCP_ESTABLISHED:
        return 1;
    case TCPSIM_TCP_SYN_SENT:
        return 2;
    case TCPSIM_TCP_SYN_RECEIVED:
        return 3;
    case TCPSIM_TCP_FIN_WAIT_1:
        return 4;
    case TCPSIM_TCP_FIN_WAIT_2:
        return 5;
    case TCPSIM_TCP_TIME_WAIT:
        return 6;
    case TCPSIM_TCP_CLOSED:
        return 7;
    case TCPSIM_TCP_CLOSE_WAIT:
        return 8;
    case TCPSIM_TCP_LAST_ACK:
        return 9;
    case TCPSIM_TCP_LISTEN:
        return 10;
    case TCPSIM_TCP_CLOSING:
        return 11;
    }
    return 7;
}

const char *tcpsim_script_linux_state_name(enum tcpsim_tcp_state s)
{
    static const char *const names[] = {"?",
                                        "TCP_ESTABLISHED",
                                        "TCP_SYN_SENT",
                                        "TCP_SYN_RECV",
                                        "TCP_FIN_WAIT1",
                                        "TCP_FIN_WAIT2",
                                        "TCP_TIME_WAIT",
                                        "TCP_CLOSE",
                                        "TCP_CLOSE_WAIT",
                                        "TCP_LAST_ACK",
                                        "TCP_LISTEN",
                                        "TCP_CLOSING"};
    return names[tcpsim_script_linux_state(s)];
}

static const char *linux_state_name_num(int64_t v)
{
    static const char *const names[] = {"?",
                                        "TCP_ESTABLISHED",
                                        "TCP_SYN_SENT",
                                        "TCP_SYN_RECV",
                                        "TCP_FIN_WAIT1",
                                        "TCP_FIN_WAIT2",
                                        "TCP_TIME_WAIT",
                                        "TCP_CLOSE",
                                        "TCP_CLOSE_WAIT",
                                        "TCP_LAST_ACK",
                                        "TCP_LISTEN",
                                        "TCP_CLOSING"};
    return v >= 1 && v <= 11 ? names[v] : "?";
}

/* ---- connections ---- */

static uint32_t rs_isn(void *ctx, tcpsim_time_t now)
{
    (void)now;
    struct runner *r = ctx;
    /* deterministic and far from 0, so that a relative/absolute mix-up shows */
    r->isn_seq += 0x1f3a5c7bu;
    return r->isn_seq;
}

int tcpsim__rs_conn_new(struct runner *r, const struct tcpsim_tcp_config *cfg, uint16_t rport)
{
    int slot = -1;
    for (int i = 0; i < RS_MAX_CONNS; i++)
        if (!r->conn[i]) {
            slot = i;
            break;
        }
    if (slot < 0) {
        tcpsim__rs_error(r, r->sc->ev[r->cur_ev].line, r->sc->ev[r->cur_ev].col,
                         "too many connections in one script (at most %d)", RS_MAX_CONNS);
        return -1;
    }
    struct rs_conn *c = calloc(1, sizeof *c);
    if (!c) {
        tcpsim__rs_error(r, 0, 0, "out of memory");
        return -1;
    }
    struct tcpsim_tcp_config k = *cfg;
    k.isn_fn = rs_isn;
    k.isn_ctx = r;
    if (tcpsim_tcp_init(&c->ep, &k, RS_LOCAL_PORT, rport) != TCPSIM_OK) {
        free(c);
        tcpsim__rs_error(r, 0, 0, "cannot initialise an endpoint (out of memory?)");
        return -1;
    }
    c->listener = -1;
    c->sock = -1;
    c->rport = rport;
    c->serial = ++r->serial;
    r->conn[slot] = c;
    return slot;
}

static bool conn_alive(const struct rs_conn *c)
{
    return c && !c->dead && c->ep.state != TCPSIM_TCP_CLOSED && c->ep.state != TCPSIM_TCP_LISTEN;
}

int tcpsim__rs_conn_under_test(const struct runner *r)
{
    int best = -1;
    for (int i = 0; i < RS_MAX_CONNS; i++)
        if (r->conn[i] && (best < 0 || r->conn[i]->serial > r->conn[best]->serial))
            best = i;
    return best;
}

/* ---- the timeline for --verbose ---- */

static void tl_begin(struct runner *r)
{
    if (!r->ladder || r->began)
        return;
    r->began = true;
    struct tcpsim_tl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = TCPSIM_TL_BEGIN;
    ev.u.begin.client_label = "script (remote)";
    ev.u.begin.server_label = "tcpsim (local endpoint)";
    ev.u.begin.client_state = TCPSIM_TCP_CLOSED;
    ev.u.begin.server_state = TCPSIM_TCP_CLOSED;
    tcpsim_tl_emit(&r->sink, &ev);
}

static void tl_segment(struct runner *r, const struct tcpsim_segment *s, bool inbound, uint32_t base)
{
    if (!r->ladder)
        return;
    tl_begin(r);
    struct tcpsim_tl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = TCPSIM_TL_SEGMENT;
    ev.u.segment.from = inbound ? TCPSIM_SIDE_CLIENT : TCPSIM_SIDE_SERVER;
    ev.u.segment.t_sent = (tcpsim_time_t)r->now;
    ev.u.segment.t_arrived = (tcpsim_time_t)r->now;
    ev.u.segment.seg = s;
    ev.u.segment.rel_seq_known = true;
    ev.u.segment.rel_ack_known = true;
    /* script numbers: ours relative to our ISN, the remote's literal */
    ev.u.segment.rel_seq = inbound ? s->seq : s->seq - base;
    ev.u.segment.rel_ack = inbound ? s->ack - base : s->ack;
    ev.u.segment.win = s->window;
    tcpsim_tl_emit(&r->sink, &ev);
}

static void tl_state(struct runner *r, const struct tcpsim_tcp_transition *t)
{
    if (!r->ladder)
        return;
    tl_begin(r);
    struct tcpsim_tl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = TCPSIM_TL_STATE;
    ev.u.state.side = TCPSIM_SIDE_SERVER;
    ev.u.state.at = (tcpsim_time_t)r->now;
    ev.u.state.from = t->from;
    ev.u.state.to = t->to;
    ev.u.state.why = t->why;
    tcpsim_tl_emit(&r->sink, &ev);
}

static void tl_note(struct runner *r, enum tcpsim_side side, enum tcpsim_tcp_why why, const char *text)
{
    if (!r->ladder)
        return;
    tl_begin(r);
    struct tcpsim_tl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = TCPSIM_TL_NOTE;
    ev.u.note.side = side;
    ev.u.note.at = (tcpsim_time_t)r->now;
    ev.u.note.why = why;
    ev.u.note.text = text;
    tcpsim_tl_emit(&r->sink, &ev);
}

/* ---- collecting what the endpoint did ---- */

static int map_err(enum tcpsim_err e)
{
    switch (e) {
    case TCPSIM_ERR_REFUSED:
        return 111; /* ECONNREFUSED */
    case TCPSIM_ERR_RESET:
        return 104; /* ECONNRESET */
    case TCPSIM_ERR_TIMEDOUT:
        return 110; /* ETIMEDOUT */
    case TCPSIM_ERR_CLOSING:
        return 32; /* EPIPE */
    case TCPSIM_OK:
    case TCPSIM_ERR_TRUNCATED:
    case TCPSIM_ERR_MALFORMED:
    case TCPSIM_ERR_UNSUPPORTED:
    case TCPSIM_ERR_NOMEM:
    case TCPSIM_ERR_NOSPACE:
    case TCPSIM_ERR_INVALID:
    case TCPSIM_ERR_STATE:
    case TCPSIM_ERR_EXISTS:
    case TCPSIM_ERR_NOTCONN:
    case TCPSIM_ERR_WOULDBLOCK:
    case TCPSIM_ERR_IO:
    case TCPSIM_ERR_PARSE:
    case TCPSIM_ERR_NOTFOUND:
        break;
    }
    return 0;
}

static void harvest_ep(struct runner *r, struct tcpsim_tcp_endpoint *ep, int ci, uint32_t base)
{
    struct tcpsim_tcp_out *o = r->out_buf;
    (void)ep;
    /* transitions first: the ladder shows a state before the segments it sends */
    for (size_t i = 0; i < o->ntrans; i++) {
        const struct tcpsim_tcp_transition *t = &o->trans[i];
        tcpsim__rs_log(r, "state %s -> %s (%s: %s)", tcpsim_tcp_state_name(t->from), tcpsim_tcp_state_name(t->to),
                       tcpsim_tcp_why_rule(t->why), tcpsim_tcp_why_text(t->why));
        tl_state(r, t);
    }
    for (size_t i = 0; i < o->nseg; i++) {
        if (r->nq >= RS_MAX_QUEUE) {
            tcpsim__rs_fail(r, &r->sc->ev[r->cur_ev], "more than %d outbound segments nobody expected", RS_MAX_QUEUE);
            return;
        }
        struct rs_qseg *q = &r->q[r->nq++];
        q->seg = o->seg[i].seg;
        q->seg.payload = NULL;
        q->t = r->now;
        q->base = base;
        q->conn = ci;
        q->retransmission = o->seg[i].retransmission;
        char line[200];
        fmt_actual(q, line, sizeof line);
        tcpsim__rs_log(r, "%s%s", line, q->retransmission ? "  (retransmission)" : "");
        tl_segment(r, &o->seg[i].seg, false, base);
    }
    for (size_t i = 0; i < o->nnote; i++) {
        tcpsim__rs_log(r, "note: %s (%s)", tcpsim_tcp_why_text(o->note[i].why), tcpsim_tcp_why_rule(o->note[i].why));
        tl_note(r, TCPSIM_SIDE_SERVER, o->note[i].why, NULL);
    }
    for (size_t i = 0; i < o->nerr; i++) {
        tcpsim__rs_log(r, "socket error: %s", tcpsim_strerror(o->err[i]));
        if (ci >= 0 && r->conn[ci]) {
            int le = map_err(o->err[i]);
            if (le && le != 32) {
                r->conn[ci]->err = le;
                r->conn[ci]->reset = true;
            }
        }
    }
    tcpsim_tcp_out_reset(o);
}

void tcpsim__rs_harvest(struct runner *r, int ci)
{
    if (ci < 0 || !r->conn[ci])
        return;
    harvest_ep(r, &r->conn[ci]->ep, ci, r->conn[ci]->ep.iss);
}

/* ---- time ---- */

static int64_t tolerance(const struct runner *r, int64_t gap)
{
    if (gap < 0)
        gap = -gap;
    int64_t pct = gap * r->tol_permille / 1000;
    return pct > r->tol_usecs ? pct : r->tol_usecs;
}

static void check_pending(struct runner *r);

/* Fire the earliest timer due at or before `limit`; false when none is. */
static bool fire_one_timer(struct runner *r, int64_t limit)
{
    int best = -1;
    tcpsim_time_t when = TCPSIM_TIME_NEVER;
    for (int i = 0; i < RS_MAX_CONNS; i++) {
        if (!r->conn[i] || r->conn[i]->dead)
            continue;
        tcpsim_time_t t = tcpsim_tcp_next_timeout(&r->conn[i]->ep);
        if (t < when) {
            when = t;
            best = i;
        }
    }
    if (best < 0 || when == TCPSIM_TIME_NEVER || (int64_t)when > limit)
        return false;
    if ((int64_t)when > r->now)
        r->now = (int64_t)when;
    tcpsim_tcp_out_reset(r->out_buf);
    tcpsim_tcp_timeout(&r->conn[best]->ep, (tcpsim_time_t)r->now, r->out_buf);
    tcpsim__rs_harvest(r, best);
    tcpsim__rs_update_children(r);
    check_pending(r);
    return true;
}

/* Let virtual time pass up to `t`, firing every timer on the way. */
static void advance_to(struct runner *r, int64_t t)
{
    unsigned steps = 0;
    while (!r->stop && fire_one_timer(r, t)) {
        if (++steps > RS_MAX_TIMER_STEPS) {
            tcpsim__rs_fail(r, &r->sc->ev[r->cur_ev],
                            "more than 100000 timer events before this line (a timer that never stops?)");
            return;
        }
    }
    if (t > r->now)
        r->now = t;
}

/* Advance until the endpoint emits something or `limit` passes. */
static void advance_until_segment(struct runner *r, int64_t limit)
{
    unsigned steps = 0;
    while (!r->stop && r->nq == 0 && fire_one_timer(r, limit)) {
        if (++steps > RS_MAX_TIMER_STEPS) {
            tcpsim__rs_fail(r, &r->sc->ev[r->cur_ev],
                            "more than 100000 timer events before this line (a timer that never stops?)");
            return;
        }
    }
}

/* ---- system call results ---- */

static void check_result(struct runner *r, const struct ts_event *e, int64_t ret, int err)
{
    const struct ts_syscall *k = &e->u.call;
    int64_t want_err = 0;
    if (k->err[0])
        tcpsim__script_const(k->err, &want_err);
    if (ret == k->result && (int64_t)err == want_err && !(ret == -1 && !k->err[0]))
        return;
    char got[80], want[80];
    if (ret == -1) {
        const char *en = tcpsim__script_errno_name(err);
        snprintf(got, sizeof got, "-1 %s", en ? en : "?");
    } else {
        snprintf(got, sizeof got, "%" PRId64, ret);
    }
    if (k->err[0])
        snprintf(want, sizeof want, "-1 %s", k->err);
    else
        snprintf(want, sizeof want, "%" PRId64, k->result);
    tcpsim__rs_fail(r, e, "%s(...) returned %s, expected %s", k->name, got, want);
}

static void finish_call(struct runner *r, const struct ts_event *e, int64_t ret, int err, int64_t start, int64_t end)
{
    char t[24];
    fmt_time(r->now, t, sizeof t);
    if (ret == -1) {
        const char *en = tcpsim__script_errno_name(err);
        tcpsim__rs_log(r, "%s(...) = -1 %s   [line %u]", e->u.call.name, en ? en : "?", e->line);
    } else {
        tcpsim__rs_log(r, "%s(...) = %" PRId64 "   [line %u]", e->u.call.name, ret, e->line);
    }
    check_result(r, e, ret, err);
    if (r->stop)
        return;
    int64_t tol = tolerance(r, end - start);
    if (r->now > end + tol || r->now < end - tol) {
        char te[24];
        fmt_time(end, te, sizeof te);
        tcpsim__rs_fail(r, e, "%s(...) returned at %s, expected at %s (tolerance %" PRId64 " us)%s", e->u.call.name, t,
                        te, tol, end > start && r->now == start ? ": it did not block" : "");
    }
}

static void check_pending(struct runner *r)
{
    if (!r->pend || r->stop)
        return;
    const struct ts_event *e = &r->sc->ev[r->pend_ev];
    int64_t ret = 0;
    int err = 0;
    enum rs_call_status st = tcpsim__rs_syscall(r, e, false, &ret, &err);
    if (st == RS_CALL_BLOCKED)
        return;
    r->pend = false;
    if (st == RS_CALL_STOP)
        return;
    finish_call(r, e, ret, err, r->pend_start, r->pend_end);
}

/* ---- packets ---- */

static uint32_t base_for_port(const struct runner *r, uint16_t rport, int *alive)
{
    int best = -1, any = -1;
    for (int i = 0; i < RS_MAX_CONNS; i++) {
        const struct rs_conn *c = r->conn[i];
        if (!c || c->rport != rport)
            continue;
        if (conn_alive(c) && (best < 0 || c->serial > r->conn[best]->serial))
            best = i;
        if (any < 0 || c->serial > r->conn[any]->serial)
            any = i;
    }
    *alive = best;
    if (best >= 0)
        return r->conn[best]->ep.iss;
    return any >= 0 ? r->conn[any]->ep.iss : 0;
}

static void build_inbound(struct runner *r, const struct ts_packet *k, uint16_t rport, uint32_t base,
                          struct tcpsim_segment *s)
{
    memset(s, 0, sizeof *s);
    s->src_port = rport;
    s->dst_port = RS_LOCAL_PORT;
    s->seq = k->start;
    s->ack = k->has_ack ? k->ack + base : 0;
    s->flags = k->flags;
    s->window = (uint16_t)(k->has_win ? k->win : 65535);
    s->urg_ptr = (uint16_t)(k->has_urg ? k->urg : 0);
    s->payload = k->len ? zero_payload : NULL;
    s->payload_len = k->len;
    struct tcpsim_tcp_opts *o = &s->opts;
    for (unsigned i = 0; i < k->nopt && o->layout_len < TCPSIM_TCP_OPT_SPACE; i++) {
        const struct ts_opt *x = &k->opt[i];
        o->layout[o->layout_len++] = x->kind;
        switch (x->kind) {
        case TCPSIM_OPT_MSS:
            o->present |= TCPSIM_HAS_MSS;
            o->mss = (uint16_t)x->v1;
            break;
        case TCPSIM_OPT_WSCALE:
            o->present |= TCPSIM_HAS_WSCALE;
            o->wscale = (uint8_t)x->v1;
            break;
        case TCPSIM_OPT_SACK_PERM:
            o->present |= TCPSIM_HAS_SACK_PERM;
            break;
        case TCPSIM_OPT_SACK:
            o->present |= TCPSIM_HAS_SACK;
            o->sack_count = x->nsack;
            memcpy(o->sack, x->sack, sizeof o->sack);
            break;
        case TCPSIM_OPT_TS:
            o->present |= TCPSIM_HAS_TS;
            o->ts_val = x->v1;
            /* RFC 7323 §3: ecr echoes our TS val; the script wrote it in terms
             * of the val it expected from us, so shift it onto ours */
            o->ts_ecr = r->ts_map && x->v2 ? x->v2 - r->ts_script + r->ts_actual : x->v2;
            break;
        default:
            break;
        }
    }
    s->data_offset = (uint8_t)(5 + tcpsim_tcp_opts_size(o) / 4);
}

static bool listener_full(const struct runner *r, int li)
{
    /* Linux sk_acceptq_is_full(): more queued than the backlog */
    return tcpsim__rs_queue_len(r, li) > r->sock[li].backlog;
}

static void inject(struct runner *r, const struct ts_event *e)
{
    const struct ts_packet *k = &e->u.pkt;
    uint16_t rport = k->rport ? k->rport : RS_REMOTE_PORT;
    int ci;
    uint32_t base = base_for_port(r, rport, &ci);
    struct tcpsim_segment s;
    build_inbound(r, k, rport, base, &s);
    char line[200];
    fmt_script_pkt(k, line, sizeof line);
    tcpsim__rs_log(r, "%s   [line %u]", line, e->line);
    tl_segment(r, &s, true, base);
    tcpsim_tcp_out_reset(r->out_buf);
    if (ci >= 0 && r->conn[ci]->ep.state == TCPSIM_TCP_TIME_WAIT && (k->flags & TCPSIM_SYN) &&
        !(k->flags & (TCPSIM_ACK | TCPSIM_RST)) && tcpsim_seq_gt(k->start, r->conn[ci]->ep.rcv_nxt) &&
        tcpsim__rs_listener(r) >= 0) {
        /* RFC 6191 / Linux tcp_timewait_state_process (TCP_TW_SYN): a SYN
         * above RCV.NXT ends TIME_WAIT and goes to the listener as a new
         * connection on the same ports. */
        struct rs_conn *old = r->conn[ci];
        enum tcpsim_err rc = tcpsim_tcp_abort(&old->ep, (tcpsim_time_t)r->now, r->out_buf);
        (void)rc;
        r->out_buf->nseg = 0; /* ABORT in TIME_WAIT sends nothing (RFC 9293 3.10.5) */
        tcpsim__rs_harvest(r, ci);
        old->dead = true;
        tcpsim__rs_log(r, "TIME_WAIT connection replaced by a new SYN (RFC 6191)");
        ci = -1;
        base = old->ep.iss;
    }
    if (ci >= 0) {
        struct rs_conn *c = r->conn[ci];
        if (c->listener >= 0 && c->ep.state == TCPSIM_TCP_SYN_RECEIVED && (k->flags & TCPSIM_ACK) &&
            !(k->flags & (TCPSIM_SYN | TCPSIM_RST)) && r->sock[c->listener].used && listener_full(r, c->listener)) {
            /* Linux tcp_check_req: accept queue full, the handshake's ACK is
             * dropped and the SYN-ACK timer retries later */
            tcpsim__rs_log(r, "dropped: accept queue full (backlog %" PRId64 ")", r->sock[c->listener].backlog);
            return;
        }
        enum tcpsim_err rc = tcpsim_tcp_segment_arrives(&c->ep, &s, (tcpsim_time_t)r->now, r->out_buf);
        (void)rc;
        tcpsim__rs_harvest(r, ci);
        tcpsim__rs_update_children(r);
        return;
    }
    int li = tcpsim__rs_listener(r);
    if (li >= 0) {
        if ((k->flags & TCPSIM_SYN) && !(k->flags & (TCPSIM_ACK | TCPSIM_RST)) && listener_full(r, li)) {
            tcpsim__rs_log(r, "dropped: SYN while the accept queue is full (backlog %" PRId64 ")", r->sock[li].backlog);
            return;
        }
        /* RFC 9293 §3.10.7.2 on a fresh child in LISTEN: a SYN makes it
         * SYN_RECEIVED (kept); anything else is answered or dropped by it */
        int nc = tcpsim__rs_conn_new(r, &r->sock[li].cfg, rport);
        if (nc < 0)
            return;
        struct rs_conn *c = r->conn[nc];
        c->listener = li;
        enum tcpsim_err rc = tcpsim_tcp_open(&c->ep, false, (tcpsim_time_t)r->now, r->out_buf);
        tcpsim_tcp_out_reset(r->out_buf); /* the child's LISTEN is the listener's, not news */
        if (rc == TCPSIM_OK)
            rc = tcpsim_tcp_segment_arrives(&c->ep, &s, (tcpsim_time_t)r->now, r->out_buf);
        bool keep = conn_alive(c);
        harvest_ep(r, &c->ep, keep ? nc : -1, keep ? c->ep.iss : base);
        if (!keep) {
            tcpsim_tcp_free(&c->ep);
            free(c);
            r->conn[nc] = NULL;
        }
        tcpsim__rs_update_children(r);
        return;
    }
    /* No socket: RFC 9293 §3.10.7.1, a throw-away endpoint in CLOSED answers */
    struct tcpsim_tcp_endpoint tmp;
    struct tcpsim_tcp_config cfg = r->base_cfg;
    cfg.isn_fn = rs_isn;
    cfg.isn_ctx = r;
    if (tcpsim_tcp_init(&tmp, &cfg, RS_LOCAL_PORT, rport) != TCPSIM_OK) {
        tcpsim__rs_error(r, e->line, e->col, "cannot initialise an endpoint");
        return;
    }
    enum tcpsim_err rc = tcpsim_tcp_segment_arrives(&tmp, &s, (tcpsim_time_t)r->now, r->out_buf);
    (void)rc;
    harvest_ep(r, &tmp, -1, base);
    tcpsim_tcp_free(&tmp);
}

static bool opt_equal(const struct ts_opt *a, const struct ts_opt *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case TCPSIM_OPT_MSS:
    case TCPSIM_OPT_WSCALE:
        return a->v1 == b->v1;
    case TCPSIM_OPT_TS:
        return a->v2 == b->v2; /* our TS val is ours to choose */
    case TCPSIM_OPT_SACK:
        if (a->nsack != b->nsack)
            return false;
        for (unsigned i = 0; i < a->nsack; i++)
            if (a->sack[i].left != b->sack[i].left || a->sack[i].right != b->sack[i].right)
                return false;
        return true;
    default:
        return true;
    }
}

static void describe_state(struct runner *r)
{
    int ci = tcpsim__rs_conn_under_test(r);
    if (ci < 0) {
        int li = tcpsim__rs_listener(r);
        add_report(r, "  endpoint: %s", li >= 0 ? "LISTEN (no connection yet)" : "no connection");
        return;
    }
    const struct tcpsim_tcp_endpoint *ep = &r->conn[ci]->ep;
    add_report(r,
               "  endpoint: %s (Linux %s); relative snd_una %" PRIu32 " snd_nxt %" PRIu32 ", rcv_nxt %" PRIu32
               ", snd_wnd %" PRIu32 ", rto %" PRIu64 " ms",
               tcpsim_tcp_state_name(ep->state), tcpsim_script_linux_state_name(ep->state), ep->snd_una - ep->iss,
               ep->snd_nxt - ep->iss, ep->rcv_nxt, ep->snd_wnd, (uint64_t)(ep->rto / 1000));
}

static void expect_outbound(struct runner *r, const struct ts_event *e, int64_t lo, int64_t hi, bool any)
{
    const struct ts_packet *k = &e->u.pkt;
    int64_t tol = tolerance(r, hi - r->last_time);
    if (r->nq == 0)
        advance_until_segment(r, any ? r->now + RS_ANY_LIMIT : hi + tol);
    if (r->stop)
        return;
    char want[220], got[220], t1[24], t2[24];
    fmt_script_pkt(k, want, sizeof want);
    if (r->nq == 0) {
        fmt_time(any ? r->now + RS_ANY_LIMIT : hi + tol, t1, sizeof t1);
        tcpsim__rs_fail(r, e, "expected an outbound packet, got nothing (waited until %s)", t1);
        add_report(r, "  expected: %s", want);
        add_report(r, "  actual:   (nothing sent)");
        return;
    }
    struct rs_qseg q = r->q[0];
    memmove(&r->q[0], &r->q[1], (r->nq - 1) * sizeof r->q[0]);
    r->nq--;
    fmt_actual(&q, got, sizeof got);
    if (!any && (q.t < lo - tol || q.t > hi + tol)) {
        fmt_time(q.t, t1, sizeof t1);
        fmt_time(lo, t2, sizeof t2);
        if (hi != lo) {
            char t3[24];
            fmt_time(hi, t3, sizeof t3);
            tcpsim__rs_fail(r, e, "outbound packet sent at %s, expected between %s and %s (tolerance %" PRId64 " us)",
                            t1, t2, t3, tol);
        } else {
            tcpsim__rs_fail(r, e, "outbound packet sent at %s, expected at %s (tolerance %" PRId64 " us)", t1, t2, tol);
        }
        add_report(r, "  expected: %s", want);
        add_report(r, "  actual:   %s", got);
        return;
    }
    /* field by field, packetdrill's rules */
    const struct tcpsim_segment *s = &q.seg;
    char diff[200] = "";
    if (s->dst_port != (k->rport ? k->rport : RS_REMOTE_PORT))
        appendf(diff, sizeof diff, " port");
    if (s->flags != k->flags)
        appendf(diff, sizeof diff, " flags");
    if (s->seq - q.base != k->start)
        appendf(diff, sizeof diff, " seq");
    if (s->payload_len != k->len)
        appendf(diff, sizeof diff, " length");
    if (k->has_ack && s->ack != k->ack)
        appendf(diff, sizeof diff, " ack");
    if (k->has_win && s->window != k->win)
        appendf(diff, sizeof diff, " win");
    if (k->has_urg && s->urg_ptr != k->urg)
        appendf(diff, sizeof diff, " urg");
    struct ts_opt ao[TS_MAX_OPTS];
    unsigned an = seg_opts(s, ao, TS_MAX_OPTS);
    if (k->opt_mode != TS_OPTS_ANY) {
        bool same = an == k->nopt;
        for (unsigned i = 0; same && i < an; i++)
            same = opt_equal(&ao[i], &k->opt[i]);
        if (!same)
            appendf(diff, sizeof diff, " options");
    }
    if (diff[0]) {
        tcpsim__rs_fail(r, e, "outbound packet differs in:%s", diff);
        add_report(r, "  expected: %s", want);
        add_report(r, "  actual:   %s", got);
        bool ts = false;
        for (unsigned i = 0; i < k->nopt; i++)
            ts = ts || k->opt[i].kind == TCPSIM_OPT_TS;
        if (strstr(diff, "options") && ts)
            add_report(r, "  (TS val is not compared; write '<...>' to skip the option check)");
        return;
    }
    /* remember how the script's TS val maps onto ours, for inbound ecr */
    for (unsigned i = 0; i < an && k->opt_mode == TS_OPTS_LIST; i++)
        if (ao[i].kind == TCPSIM_OPT_TS) {
            r->ts_map = true;
            r->ts_script = k->opt[i].v1;
            r->ts_actual = ao[i].v1;
        }
    if (q.t > r->now)
        r->now = q.t;
    r->last_time = any || hi != lo ? q.t : lo;
}

/* Anything sent and not yet matched is a failure once the script moves on. */
static bool check_unexpected(struct runner *r, const struct ts_event *e)
{
    if (r->nq == 0)
        return true;
    char got[220], t[24];
    fmt_actual(&r->q[0], got, sizeof got);
    fmt_time(r->q[0].t, t, sizeof t);
    tcpsim__rs_fail(r, e, "expected nothing, got an outbound packet sent at %s before this line", t);
    add_report(r, "  expected: (no packet before this line)");
    add_report(r, "  actual:   %s", got);
    if (r->nq > 1)
        add_report(r, "  (%zu more unmatched)", r->nq - 1);
    return false;
}

/* --strict-end: what the endpoint sent after (or in answer to) the last line
 * must have been matched too, or a spurious segment at the very end would pass.
 * packetdrill only notes these; so does the runner without the option. */
static void check_end(struct runner *r)
{
    char got[220], t[24];
    fmt_actual(&r->q[0], got, sizeof got);
    fmt_time(r->q[0].t, t, sizeof t);
    const struct ts_event *last = r->sc->nev > 0 ? &r->sc->ev[r->sc->nev - 1] : NULL;
    tcpsim__rs_fail(r, last, "expected nothing after the last line (--strict-end), got an outbound packet sent at %s",
                    t);
    add_report(r, "  expected: (no packet after the last line)");
    add_report(r, "  actual:   %s", got);
    if (r->nq > 1)
        add_report(r, "  (%zu more unmatched)", r->nq - 1);
}

/* ---- %{ assert tcpi_... }% ---- */

static void run_python(struct runner *r, const struct ts_event *e)
{
    int ci = tcpsim__rs_conn_under_test(r);
    const struct tcpsim_tcp_endpoint *ep = ci >= 0 ? &r->conn[ci]->ep : NULL;
    for (unsigned i = 0; i < e->u.py.n && !r->stop; i++) {
        const struct ts_assert *a = &e->u.py.a[i];
        int64_t have;
        if (!strcmp(a->field, "tcpi_state")) {
            if (ep)
                have = tcpsim_script_linux_state(ep->state);
            else
                have = tcpsim__rs_listener(r) >= 0 ? 10 : 7;
        } else if (!ep) {
            tcpsim__rs_fail(r, e, "%s: there is no connection to read TCP_INFO from", a->field);
            return;
        } else if (!strcmp(a->field, "tcpi_rto")) {
            have = (int64_t)ep->rto;
        } else if (!strcmp(a->field, "tcpi_backoff")) {
            have = ep->backoff;
        } else if (!strcmp(a->field, "tcpi_snd_mss")) {
            have = ep->snd_mss;
        } else if (!strcmp(a->field, "tcpi_snd_wscale")) {
            have = ep->ws_ok ? ep->snd_wscale : 0;
        } else if (!strcmp(a->field, "tcpi_rcv_wscale")) {
            have = ep->ws_ok ? ep->rcv_wscale : 0;
        } else {
            tcpsim__rs_error(r, a->line, a->col,
                             "unsupported TCP_INFO field '%s' (supported: tcpi_state, tcpi_rto, tcpi_backoff, "
                             "tcpi_snd_mss, tcpi_snd_wscale, tcpi_rcv_wscale)",
                             a->field);
            return;
        }
        bool ok = false;
        const char *op = "?";
        switch (a->op) {
        case TS_CMP_EQ:
            ok = have == a->value;
            op = "==";
            break;
        case TS_CMP_NE:
            ok = have != a->value;
            op = "!=";
            break;
        case TS_CMP_LT:
            ok = have < a->value;
            op = "<";
            break;
        case TS_CMP_LE:
            ok = have <= a->value;
            op = "<=";
            break;
        case TS_CMP_GT:
            ok = have > a->value;
            op = ">";
            break;
        case TS_CMP_GE:
            ok = have >= a->value;
            op = ">=";
            break;
        }
        tcpsim__rs_log(r, "assert %s %s %s   [line %u]", a->field, op, a->value_text, a->line);
        if (!ok) {
            struct ts_event at = *e;
            at.line = a->line;
            if (!strcmp(a->field, "tcpi_state"))
                tcpsim__rs_fail(r, &at, "assert %s %s %s failed: tcpi_state is %s (%s)", a->field, op, a->value_text,
                                linux_state_name_num(have), ep ? tcpsim_tcp_state_name(ep->state) : "no connection");
            else
                tcpsim__rs_fail(r, &at, "assert %s %s %s failed: %s is %" PRId64, a->field, op, a->value_text, a->field,
                                have);
        }
    }
}

/* ---- options ---- */

static bool parse_int_opt(const char *v, int64_t *out)
{
    char *end;
    long long x = strtoll(v, &end, 10);
    if (end == v || *end != '\0')
        return false;
    *out = x;
    return true;
}

static void apply_options(struct runner *r, const struct tcpsim_script_opts *cl)
{
    r->tol_usecs = 4000;
    r->tol_permille = 125;
    r->ipv = 4;
    r->mss = 0;
    r->profile = TCPSIM_PROFILE_LINUX;
    static const char *const ignored[] = {"local_ip",
                                          "remote_ip",
                                          "gateway_ip",
                                          "netmask_ip",
                                          "bind_port",
                                          "connect_port",
                                          "speed",
                                          "mtu",
                                          "init_scripts",
                                          "wire_client",
                                          "wire_server",
                                          "wire_server_ip",
                                          "wire_server_port",
                                          "wire_client_dev",
                                          "wire_server_dev",
                                          "non_fatal",
                                          "dry_run",
                                          "verbose",
                                          "debug",
                                          "tun_dev",
                                          "persistent_tun_dev",
                                          "strict_segments",
                                          "define",
                                          "send_omit_free",
                                          "so_filename",
                                          "local_linklayer",
                                          "remote_linklayer"};
    for (size_t i = 0; i < r->sc->nopt && !r->stop; i++) {
        const struct ts_option *o = &r->sc->opt[i];
        int64_t v;
        if (!strcmp(o->name, "tolerance_usecs")) {
            if (!parse_int_opt(o->value, &v) || v < 0)
                tcpsim__rs_error(r, o->line, 1, "--tolerance_usecs needs a number of microseconds");
            else
                r->tol_usecs = v;
        } else if (!strcmp(o->name, "tolerance_percent")) {
            if (!parse_int_opt(o->value, &v) || v < 0 || v > 100)
                tcpsim__rs_error(r, o->line, 1, "--tolerance_percent needs a whole percentage 0..100");
            else
                r->tol_permille = (int)(v * 10);
        } else if (!strcmp(o->name, "mss")) {
            if (!parse_int_opt(o->value, &v) || v < 88 || v > 65535)
                tcpsim__rs_error(r, o->line, 1, "--mss needs a value from 88 to 65535");
            else
                r->mss = (uint16_t)v;
        } else if (!strcmp(o->name, "ip_version")) {
            if (!strcmp(o->value, "ipv4") || !strcmp(o->value, "ipv4-mapped-ipv6"))
                r->ipv = 4;
            else if (!strcmp(o->value, "ipv6"))
                r->ipv = 6;
            else
                tcpsim__rs_error(r, o->line, 1, "--ip_version is ipv4, ipv6 or ipv4-mapped-ipv6");
        } else if (!strcmp(o->name, "profile")) {
            if (!strcmp(o->value, "linux"))
                r->profile = TCPSIM_PROFILE_LINUX;
            else if (!strcmp(o->value, "rfc"))
                r->profile = TCPSIM_PROFILE_RFC;
            else
                tcpsim__rs_error(r, o->line, 1, "--profile is linux or rfc");
        } else {
            bool known = false;
            for (size_t j = 0; j < sizeof ignored / sizeof ignored[0]; j++)
                if (!strcmp(o->name, ignored[j]))
                    known = true;
            r->res->skipped++;
            if (r->out)
                fprintf(r->out, "%s:%u: note: %s option --%s ignored\n", r->name, o->line,
                        known ? "packetdrill" : "unknown", o->name);
        }
    }
    /* the command line wins over the script */
    if (cl) {
        if (cl->tolerance_usecs >= 0)
            r->tol_usecs = cl->tolerance_usecs;
        if (cl->tolerance_percent >= 0)
            r->tol_permille = cl->tolerance_percent * 10;
        if (cl->mss > 0)
            r->mss = (uint16_t)cl->mss;
        if (cl->ip_version == 4 || cl->ip_version == 6)
            r->ipv = cl->ip_version;
        if (cl->profile >= 0)
            r->profile = cl->profile == TCPSIM_PROFILE_RFC ? TCPSIM_PROFILE_RFC : TCPSIM_PROFILE_LINUX;
    }
    if (r->mss == 0)
        r->mss = r->ipv == 6 ? 1440 : 1460; /* MTU 1500 less IP and TCP headers */
    tcpsim_tcp_config_default(&r->base_cfg, r->profile);
    r->base_cfg.mss = r->mss;
    r->base_cfg.isn_fn = rs_isn;
    r->base_cfg.isn_ctx = r;
}

/* ---- the run ---- */

static void run_event(struct runner *r, size_t i)
{
    const struct ts_event *e = &r->sc->ev[i];
    r->cur_ev = i;
    int64_t t = 0, hi = 0;
    switch (e->time.kind) {
    case TS_TIME_ABS:
        t = e->time.t;
        break;
    case TS_TIME_REL:
        t = r->last_time + e->time.t;
        break;
    case TS_TIME_RANGE_ABS:
        t = e->time.t;
        hi = e->time.t_end;
        break;
    case TS_TIME_RANGE_REL:
        t = r->last_time + e->time.t;
        hi = r->last_time + e->time.t_end;
        break;
    case TS_TIME_ANY:
    case TS_TIME_NONE:
        t = r->last_time;
        break;
    }
    if (e->time.kind != TS_TIME_RANGE_ABS && e->time.kind != TS_TIME_RANGE_REL)
        hi = t;
    if ((e->time.kind == TS_TIME_ABS || e->time.kind == TS_TIME_RANGE_ABS) && t < r->last_time) {
        char a[24], b[24];
        fmt_time(t, a, sizeof a);
        fmt_time(r->last_time, b, sizeof b);
        tcpsim__rs_error(r, e->line, e->col, "time %s is before the previous event's %s", a, b);
        return;
    }
    switch (e->kind) {
    case TS_EV_SHELL:
        r->res->skipped++;
        if (r->out)
            fprintf(r->out, "%s:%u: note: shell command skipped: `%s`\n", r->name, e->line, e->u.shell);
        if (e->time.kind != TS_TIME_NONE)
            r->last_time = t;
        return;
    case TS_EV_PACKET:
        if (!e->u.pkt.inbound) {
            expect_outbound(r, e, t, hi, e->time.kind == TS_TIME_ANY);
            check_pending(r);
            return;
        }
        advance_to(r, t);
        if (r->stop || !check_unexpected(r, e))
            return;
        r->last_time = t;
        inject(r, e);
        check_pending(r);
        return;
    case TS_EV_PYTHON:
        advance_to(r, t);
        if (r->stop || !check_unexpected(r, e))
            return;
        r->last_time = t;
        run_python(r, e);
        return;
    case TS_EV_SYSCALL: {
        advance_to(r, t);
        if (r->stop || !check_unexpected(r, e))
            return;
        if (r->pend) {
            tcpsim__rs_error(r, e->line, e->col,
                             "the blocking call on line %u has not returned yet; one blocking call at a time",
                             r->sc->ev[r->pend_ev].line);
            return;
        }
        int64_t end = t;
        if (e->time.has_block)
            end = e->time.kind == TS_TIME_REL ? r->last_time + e->time.block_end : e->time.block_end;
        r->last_time = t;
        int64_t ret = 0;
        int err = 0;
        enum rs_call_status st = tcpsim__rs_syscall(r, e, true, &ret, &err);
        if (st == RS_CALL_STOP)
            return;
        if (st == RS_CALL_DONE) {
            finish_call(r, e, ret, err, t, end);
            return;
        }
        tcpsim__rs_log(r, "%s(...) blocks   [line %u]", e->u.call.name, e->line);
        r->pend = true;
        r->pend_ev = i;
        r->pend_start = t;
        r->pend_end = end;
        return;
    }
    }
}

static void finish_report(struct runner *r)
{
    describe_state(r);
    unsigned n = r->nlog < RS_LOG ? r->nlog : RS_LOG;
    if (n) {
        add_report(r, "  last events (time, what):");
        for (unsigned i = r->nlog - n; i < r->nlog; i++)
            add_report(r, "  %s", r->log[i % RS_LOG]);
    }
}

static enum tcpsim_script_outcome run_parsed(const struct ts_script *sc, const char *name,
                                             const struct tcpsim_script_opts *opts, struct tcpsim_script_result *res)
{
    struct runner *r = calloc(1, sizeof *r);
    struct tcpsim_tcp_out *ob = calloc(1, sizeof *ob);
    if (!r || !ob) {
        free(r);
        free(ob);
        res->outcome = TCPSIM_SCRIPT_ERROR;
        snprintf(res->message, sizeof res->message, "%s: out of memory", name);
        return res->outcome;
    }
    r->sc = sc;
    r->name = name;
    r->res = res;
    r->out = opts ? opts->out : NULL;
    r->verbose = opts && opts->verbose;
    r->ascii = opts && opts->ascii;
    r->strict_end = opts && opts->strict_end;
    r->out_buf = ob;
    r->last_sock = -1;
    r->isn_seq = 0x5eed0000u;
    tcpsim_tcp_out_reset(ob);
    apply_options(r, opts);
    if (r->verbose && r->out) {
        struct tcpsim_view_opts vo;
        tcpsim_view_opts_default(&vo);
        vo.ascii = r->ascii;
        vo.title = name;
        r->ladder = tcpsim_ladder_new(r->out, &vo);
        if (r->ladder)
            r->sink = tcpsim_ladder_sink(r->ladder);
        else
            fprintf(r->out, "%s: events:\n", name);
    }
    for (size_t i = 0; i < sc->nev && !r->stop; i++) {
        run_event(r, i);
        if (!r->stop)
            res->events_run++;
    }
    if (!r->stop && r->pend) {
        const struct ts_event *e = &sc->ev[r->pend_ev];
        tcpsim__rs_fail(r, e, "%s(...) never returned (still blocked at the end of the script)", e->u.call.name);
    }
    bool failed_in_event = r->stop;
    if (!r->stop && r->nq > 0 && r->strict_end)
        check_end(r);
    if (r->stop && res->outcome != TCPSIM_SCRIPT_PASS) {
        if (failed_in_event)
            res->events_run++;
        finish_report(r);
    }
    if (r->ladder) {
        if (r->began) {
            struct tcpsim_tl_event ev;
            memset(&ev, 0, sizeof ev);
            ev.kind = TCPSIM_TL_END;
            tcpsim_tl_emit(&r->sink, &ev);
        }
        tcpsim_ladder_free(r->ladder);
    }
    if (!r->stop && r->nq > 0 && r->out) {
        char got[220];
        fmt_actual(&r->q[0], got, sizeof got);
        fprintf(r->out, "%s: note: %zu outbound packet(s) after the last line were not checked, first: %s\n", name,
                r->nq, got);
    }
    tcpsim__rs_sock_free_all(r);
    free(ob);
    free(r);
    return res->outcome;
}

void tcpsim_script_opts_default(struct tcpsim_script_opts *o)
{
    memset(o, 0, sizeof *o);
    o->tolerance_usecs = -1;
    o->tolerance_percent = -1;
    o->profile = -1;
}

enum tcpsim_script_outcome tcpsim_script_run_string(const char *text, const char *name,
                                                    const struct tcpsim_script_opts *opts,
                                                    struct tcpsim_script_result *res)
{
    memset(res, 0, sizeof *res);
    if (!name)
        name = "<string>";
    FILE *out = opts ? opts->out : NULL;
    struct ts_script sc;
    struct ts_parse_error pe;
    enum tcpsim_err rc = tcpsim__script_parse(text ? text : "", &sc, &pe);
    if (rc != TCPSIM_OK) {
        res->outcome = TCPSIM_SCRIPT_ERROR;
        res->line = pe.line;
        res->column = pe.col;
        snprintf(res->message, sizeof res->message, "%s:%u:%u: syntax error: %s", name, pe.line, pe.col, pe.msg);
        snprintf(res->report, sizeof res->report, "%s\n", res->message);
        tcpsim__script_free(&sc);
        if (out)
            fprintf(out, "ERROR %s", res->report);
        return res->outcome;
    }
    run_parsed(&sc, name, opts, res);
    tcpsim__script_free(&sc);
    if (out) {
        if (res->outcome == TCPSIM_SCRIPT_PASS)
            fprintf(out, "ok   %s (%u events%s)\n", name, res->events_run, res->skipped ? ", some lines skipped" : "");
        else
            fprintf(out, "%s %s", res->outcome == TCPSIM_SCRIPT_FAIL ? "FAIL" : "ERROR", res->report);
    }
    return res->outcome;
}

/* A script that cannot be read: the message names the file and the reason
 * (the C library's words for errno, e.g. "No such file or directory"). */
static enum tcpsim_script_outcome file_error(const char *path, const char *what, const char *why,
                                             const struct tcpsim_script_opts *opts, struct tcpsim_script_result *res)
{
    res->outcome = TCPSIM_SCRIPT_ERROR;
    snprintf(res->message, sizeof res->message, "%s: %s: %s", path, what, why);
    snprintf(res->report, sizeof res->report, "%s\n", res->message);
    if (opts && opts->out)
        fprintf(opts->out, "ERROR %s", res->report);
    return res->outcome;
}

enum tcpsim_script_outcome tcpsim_script_run_file(const char *path, const struct tcpsim_script_opts *opts,
                                                  struct tcpsim_script_result *res)
{
    memset(res, 0, sizeof *res);
    errno = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return file_error(path, "cannot open the script", strerror(errno ? errno : ENOENT), opts, res);
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    const char *why = buf ? NULL : strerror(ENOMEM);
    while (buf) {
        if (n + 1 >= cap) {
            if (cap > (size_t)16 << 20) { /* a script, not a capture */
                why = "larger than 16 MiB, too large for a script";
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                why = strerror(ENOMEM);
                break;
            }
            buf = nb;
            cap *= 2;
        }
        errno = 0;
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        if (got == 0) {
            if (ferror(f)) /* a directory: EISDIR */
                why = strerror(errno ? errno : EIO);
            break;
        }
        n += got;
    }
    fclose(f);
    if (why) {
        free(buf);
        return file_error(path, "cannot read the script", why, opts, res);
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        free(buf);
        res->outcome = TCPSIM_SCRIPT_ERROR;
        snprintf(res->message, sizeof res->message, "%s: not a text file (contains NUL bytes)", path);
        snprintf(res->report, sizeof res->report, "%s\n", res->message);
        if (opts && opts->out)
            fprintf(opts->out, "ERROR %s", res->report);
        return res->outcome;
    }
    enum tcpsim_script_outcome oc = tcpsim_script_run_string(buf, path, opts, res);
    free(buf);
    return oc;
}
