/* sock.c - a small Linux-like socket layer over the endpoint of tcp.h, for
 * the script runner: file descriptors, listeners with a child endpoint per SYN
 * and an accept queue, blocking and non-blocking calls, Linux errno results.
 * Read first: RFC 9293 §3.10.1-3.10.5 (OPEN, SEND, RECEIVE, CLOSE, ABORT) and
 * docs/scripts.md ("system calls"); the errno choices follow Linux's
 * net/ipv4/af_inet.c and tcp.c (inet_stream_connect, inet_shutdown,
 * tcp_recvmsg, tcp_sendmsg). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "script/runner.h"

/* Linux errno numbers, the ones a TCP socket returns. */
enum {
    L_EBADF = 9,
    L_EAGAIN = 11,
    L_EFAULT = 14,
    L_EINVAL = 22,
    L_EPIPE = 32,
    L_ENOTCONN = 107,
    L_EISCONN = 106,
    L_ECONNREFUSED = 111,
    L_ECONNRESET = 104,
    L_ETIMEDOUT = 110,
    L_EALREADY = 114,
    L_EINPROGRESS = 115,
};

#define L_O_RDWR     2
#define L_O_NONBLOCK 0x800

static const uint8_t zeros[16384];

/* ---- arguments ---- */

static const struct ts_expr *arg(const struct runner *r, const struct ts_event *e, unsigned i)
{
    if (i >= e->u.call.nargs)
        return NULL;
    return &r->sc->ex[e->u.call.args[i]];
}

static bool need_args(struct runner *r, const struct ts_event *e, unsigned n, const char *shape)
{
    if (e->u.call.nargs == n)
        return true;
    /* send(fd, buf, n, flags) and recv(...) carry flags after read/write's three */
    if (n == 3 && e->u.call.nargs == 4 && (!strcmp(e->u.call.name, "send") || !strcmp(e->u.call.name, "recv")))
        return true;
    tcpsim__rs_error(r, e->line, e->col, "%s takes %u arguments: %s", e->u.call.name, n, shape);
    return false;
}

/* Integer value of an expression: numbers, constants, a|b, and htons(n). */
static bool eval_int(struct runner *r, const struct ts_expr *x, int64_t *v)
{
    switch (x->kind) {
    case TS_E_INT:
        *v = x->ival;
        return true;
    case TS_E_IDENT:
        if (tcpsim__script_const(x->name, v))
            return true;
        tcpsim__rs_error(r, x->line, x->col, "unknown constant '%s'", x->name);
        return false;
    case TS_E_OR: {
        int64_t acc = 0;
        for (int c = x->child; c >= 0; c = r->sc->ex[c].next) {
            int64_t y;
            if (!eval_int(r, &r->sc->ex[c], &y))
                return false;
            acc |= y;
        }
        *v = acc;
        return true;
    }
    case TS_E_CALL:
        if (!strcmp(x->name, "htons") && x->child >= 0)
            return eval_int(r, &r->sc->ex[x->child], v);
        tcpsim__rs_error(r, x->line, x->col, "'%s(...)' cannot be used as a number here", x->name);
        return false;
    case TS_E_LIST:
        /* [1] as used by setsockopt: the one element */
        if (x->child >= 0 && r->sc->ex[x->child].next < 0)
            return eval_int(r, &r->sc->ex[x->child], v);
        tcpsim__rs_error(r, x->line, x->col, "expected a one-element list such as [1]");
        return false;
    case TS_E_ELLIPSIS:
    case TS_E_STRUCT:
    case TS_E_STRING:
        break;
    }
    tcpsim__rs_error(r, x->line, x->col, "expected a number or a constant here");
    return false;
}

static bool arg_int(struct runner *r, const struct ts_event *e, unsigned i, int64_t *v)
{
    const struct ts_expr *x = arg(r, e, i);
    if (!x) {
        tcpsim__rs_error(r, e->line, e->col, "%s: missing argument %u", e->u.call.name, i + 1);
        return false;
    }
    return eval_int(r, x, v);
}

/* A buffer argument: '...' or a string is a valid buffer, NULL (or 0) is not. */
static bool arg_is_null(const struct runner *r, const struct ts_event *e, unsigned i)
{
    const struct ts_expr *x = arg(r, e, i);
    if (!x)
        return false;
    return (x->kind == TS_E_IDENT && !strcmp(x->name, "NULL")) || (x->kind == TS_E_INT && x->ival == 0);
}

/* fd argument into a socket index; -1 for a descriptor that is not open. */
static int arg_sock(struct runner *r, const struct ts_event *e, unsigned i, bool *ok)
{
    int64_t fd;
    *ok = arg_int(r, e, i, &fd);
    if (!*ok)
        return -1;
    int64_t si = fd - RS_FIRST_FD;
    if (si < 0 || si >= RS_MAX_SOCKS || !r->sock[si].used)
        return -1;
    return (int)si;
}

/* ---- sockets and connections ---- */

static int sock_new(struct runner *r)
{
    /* Linux hands out the lowest free descriptor */
    for (int i = 0; i < RS_MAX_SOCKS; i++)
        if (!r->sock[i].used) {
            struct rs_sock *s = &r->sock[i];
            memset(s, 0, sizeof *s);
            s->used = true;
            s->conn = -1;
            s->cfg = r->base_cfg;
            s->serial = ++r->serial;
            r->last_sock = i;
            return i;
        }
    return -1;
}

int tcpsim__rs_listener(const struct runner *r)
{
    for (int i = 0; i < RS_MAX_SOCKS; i++)
        if (r->sock[i].used && r->sock[i].listening)
            return i;
    return -1;
}

int tcpsim__rs_queue_len(const struct runner *r, int si)
{
    int n = 0;
    for (int i = 0; i < RS_MAX_CONNS; i++)
        if (r->conn[i] && r->conn[i]->listener == si && r->conn[i]->queued && !r->conn[i]->accepted)
            n++;
    return n;
}

void tcpsim__rs_update_children(struct runner *r)
{
    for (int i = 0; i < RS_MAX_CONNS; i++) {
        struct rs_conn *c = r->conn[i];
        if (!c || c->listener < 0 || c->queued || c->accepted)
            continue;
        /* RFC 9293 §3.10.7.4: the ACK of our SYN-ACK makes the connection
         * ESTABLISHED; Linux then moves it to the accept queue (data and a
         * FIN may already have arrived: CLOSE_WAIT counts too). */
        if (tcpsim_tcp_state_synchronized(c->ep.state) || c->ep.state == TCPSIM_TCP_CLOSE_WAIT)
            c->queued = true;
    }
}

static bool sock_conn(const struct runner *r, int si, struct rs_conn **c)
{
    if (r->sock[si].conn < 0) {
        *c = NULL;
        return false;
    }
    *c = r->conn[r->sock[si].conn];
    return *c != NULL;
}

static int take_err(struct rs_conn *c, struct rs_sock *s)
{
    int e = 0;
    if (c && c->err) {
        e = c->err;
        c->err = 0;
    } else if (s->err) {
        e = s->err;
        s->err = 0;
    }
    return e;
}

/* ---- the calls ---- */

static enum rs_call_status do_socket(struct runner *r, const struct ts_event *e, int64_t *ret, int *err)
{
    if (!need_args(r, e, 3, "socket(domain, type, protocol)"))
        return RS_CALL_STOP;
    int64_t dom = 2, type, proto;
    if (arg(r, e, 0)->kind != TS_E_ELLIPSIS && !arg_int(r, e, 0, &dom))
        return RS_CALL_STOP;
    if (!arg_int(r, e, 1, &type) || !arg_int(r, e, 2, &proto))
        return RS_CALL_STOP;
    if ((dom != 2 && dom != 10) || (type & 0xf) != 1 || (proto != 6 && proto != 0)) {
        tcpsim__rs_error(r, e->line, e->col, "only TCP sockets are modelled: socket(..., SOCK_STREAM, IPPROTO_TCP)");
        return RS_CALL_STOP;
    }
    int si = sock_new(r);
    if (si < 0) {
        tcpsim__rs_error(r, e->line, e->col, "too many open sockets (at most %d)", RS_MAX_SOCKS);
        return RS_CALL_STOP;
    }
    r->sock[si].nonblock = (type & L_O_NONBLOCK) != 0;
    *ret = si + RS_FIRST_FD;
    *err = 0;
    return RS_CALL_DONE;
}

static enum rs_call_status do_setsockopt(struct runner *r, const struct ts_event *e, int si, int64_t *ret, int *err)
{
    if (!need_args(r, e, 5, "setsockopt(fd, level, name, value, len)"))
        return RS_CALL_STOP;
    int64_t level, name;
    if (!arg_int(r, e, 1, &level) || !arg_int(r, e, 2, &name))
        return RS_CALL_STOP;
    struct rs_sock *s = &r->sock[si];
    const struct ts_expr *val = arg(r, e, 3);
    *ret = 0;
    *err = 0;
    if (level == 1 && name == 13) { /* SO_LINGER {l_onoff=1, l_linger=0} */
        if (val->kind != TS_E_STRUCT) {
            tcpsim__rs_error(r, val->line, val->col, "SO_LINGER takes {onoff=N, linger=N}");
            return RS_CALL_STOP;
        }
        bool on_seen = false, l_seen = false;
        for (int c = val->child; c >= 0; c = r->sc->ex[c].next) {
            const struct ts_expr *f = &r->sc->ex[c];
            int64_t v;
            if (!eval_int(r, f, &v))
                return RS_CALL_STOP;
            if (!strcmp(f->field, "onoff") || !strcmp(f->field, "l_onoff")) {
                s->linger_on = v != 0;
                on_seen = true;
            } else if (!strcmp(f->field, "linger") || !strcmp(f->field, "l_linger")) {
                s->linger_secs = v;
                l_seen = true;
            } else {
                tcpsim__rs_error(r, f->line, f->col, "unknown SO_LINGER member '%s' (onoff, linger)", f->field);
                return RS_CALL_STOP;
            }
        }
        if (!on_seen || !l_seen) {
            tcpsim__rs_error(r, val->line, val->col, "SO_LINGER needs both onoff and linger");
            return RS_CALL_STOP;
        }
        return RS_CALL_DONE;
    }
    int64_t v;
    if (!eval_int(r, val, &v))
        return RS_CALL_STOP;
    if (level == 1) {
        switch (name) {
        case 2: /* SO_REUSEADDR */
            s->reuseaddr = v != 0;
            return RS_CALL_DONE;
        case 15: /* SO_REUSEPORT */
            return RS_CALL_DONE;
        case 9: /* SO_KEEPALIVE */
            s->cfg.keepalive = v != 0;
            return RS_CALL_DONE;
        case 8: /* SO_RCVBUF */
            if (v > 0)
                s->cfg.rcv_buf = (uint32_t)(v > 0x3fffffff ? 0x3fffffff : v);
            return RS_CALL_DONE;
        case 7: /* SO_SNDBUF */
            if (v > 0)
                s->cfg.snd_buf = (uint32_t)(v > 0x3fffffff ? 0x3fffffff : v);
            return RS_CALL_DONE;
        default:
            break;
        }
    } else if (level == 6) {
        switch (name) {
        case 1: /* TCP_NODELAY: Nagle is not modelled; recorded only */
            s->nodelay = v != 0;
            return RS_CALL_DONE;
        case 2: /* TCP_MAXSEG */
            if (v < 88 || v > 65535) {
                *ret = -1;
                *err = L_EINVAL;
                return RS_CALL_DONE;
            }
            s->cfg.mss = (uint16_t)v;
            return RS_CALL_DONE;
        case 4: /* TCP_KEEPIDLE (seconds) */
            s->cfg.ka_idle = TCPSIM_SEC(v > 0 ? v : 1);
            return RS_CALL_DONE;
        case 5: /* TCP_KEEPINTVL */
            s->cfg.ka_interval = TCPSIM_SEC(v > 0 ? v : 1);
            return RS_CALL_DONE;
        case 6: /* TCP_KEEPCNT */
            s->cfg.ka_probes = (unsigned)(v > 0 ? v : 1);
            return RS_CALL_DONE;
        default:
            break;
        }
    }
    tcpsim__rs_error(r, e->line, e->col,
                     "unsupported socket option (supported: SO_REUSEADDR, SO_REUSEPORT, SO_LINGER, SO_KEEPALIVE, "
                     "SO_RCVBUF, SO_SNDBUF, TCP_NODELAY, TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT)");
    return RS_CALL_STOP;
}

/* Compare an out-value "[N]" of getsockopt/ioctl with what we have. */
static enum rs_call_status check_out_value(struct runner *r, const struct ts_event *e, unsigned i, int64_t have,
                                           const char *what)
{
    const struct ts_expr *x = arg(r, e, i);
    if (!x || x->kind == TS_E_ELLIPSIS)
        return RS_CALL_DONE;
    int64_t want;
    if (!eval_int(r, x, &want))
        return RS_CALL_STOP;
    if (want != have) {
        tcpsim__rs_fail(r, e, "%s: expected [%" PRId64 "], got [%" PRId64 "]", what, want, have);
        return RS_CALL_STOP;
    }
    return RS_CALL_DONE;
}

static enum rs_call_status do_getsockopt(struct runner *r, const struct ts_event *e, int si, int64_t *ret, int *err)
{
    if (!need_args(r, e, 5, "getsockopt(fd, level, name, [value], [len])"))
        return RS_CALL_STOP;
    int64_t level, name;
    if (!arg_int(r, e, 1, &level) || !arg_int(r, e, 2, &name))
        return RS_CALL_STOP;
    struct rs_sock *s = &r->sock[si];
    struct rs_conn *c;
    sock_conn(r, si, &c);
    int64_t have;
    const char *what;
    if (level == 6 && name == 2) {
        /* Linux TCP_MAXSEG: the user's value (or 536) before the connection
         * exists, then mss_cache: the send MSS less the TCP options every
         * segment carries (12 bytes of timestamps, RFC 7323 §3). */
        what = "getsockopt(TCP_MAXSEG)";
        if (c && tcpsim_tcp_state_synchronized(c->ep.state))
            have = c->ep.snd_mss - (c->ep.ts_ok ? 12 : 0);
        else if (s->cfg.mss != r->base_cfg.mss)
            have = s->cfg.mss;
        else
            have = 536;
    } else if (level == 1 && name == 4) {
        what = "getsockopt(SO_ERROR)";
        have = take_err(c, s);
    } else if (level == 1 && name == 2) {
        what = "getsockopt(SO_REUSEADDR)";
        have = s->reuseaddr;
    } else if (level == 1 && name == 9) {
        what = "getsockopt(SO_KEEPALIVE)";
        have = s->cfg.keepalive;
    } else if (level == 6 && name == 1) {
        what = "getsockopt(TCP_NODELAY)";
        have = s->nodelay;
    } else {
        tcpsim__rs_error(r, e->line, e->col,
                         "unsupported getsockopt option (supported: TCP_MAXSEG, SO_ERROR, SO_REUSEADDR, "
                         "SO_KEEPALIVE, TCP_NODELAY)");
        return RS_CALL_STOP;
    }
    *ret = 0;
    *err = 0;
    return check_out_value(r, e, 3, have, what);
}

static void start_connect(struct runner *r, int si)
{
    struct rs_sock *s = &r->sock[si];
    int ci = tcpsim__rs_conn_new(r, &s->cfg, RS_REMOTE_PORT);
    if (ci < 0)
        return;
    s->conn = ci;
    r->conn[ci]->sock = si;
    s->connecting = true;
    tcpsim_tcp_out_reset(r->out_buf);
    /* RFC 9293 §3.10.1 OPEN (active): SYN, SYN_SENT */
    enum tcpsim_err rc = tcpsim_tcp_open(&r->conn[ci]->ep, true, (tcpsim_time_t)r->now, r->out_buf);
    tcpsim__rs_harvest(r, ci);
    if (rc != TCPSIM_OK)
        tcpsim__rs_log(r, "open failed: %s", tcpsim_strerror(rc));
}

/* Where a connect() in progress stands: DONE (0 or an error) or BLOCKED. */
static enum rs_call_status connect_status(struct runner *r, int si, int64_t *ret, int *err)
{
    struct rs_sock *s = &r->sock[si];
    struct rs_conn *c;
    if (!sock_conn(r, si, &c))
        return RS_CALL_BLOCKED;
    switch (c->ep.state) {
    case TCPSIM_TCP_SYN_SENT:
    case TCPSIM_TCP_SYN_RECEIVED:
        return RS_CALL_BLOCKED;
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN: {
        s->connecting = false;
        int er = take_err(c, s);
        *ret = -1;
        *err = er ? er : L_ECONNREFUSED;
        return RS_CALL_DONE;
    }
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        s->connecting = false;
        *ret = 0;
        *err = 0;
        return RS_CALL_DONE;
    }
    return RS_CALL_BLOCKED;
}

static enum rs_call_status do_connect(struct runner *r, const struct ts_event *e, int si, bool first, int64_t *ret,
                                      int *err)
{
    struct rs_sock *s = &r->sock[si];
    if (!first)
        return connect_status(r, si, ret, err);
    if (s->listening) {
        *ret = -1;
        *err = L_EISCONN;
        return RS_CALL_DONE;
    }
    if (s->conn < 0) {
        start_connect(r, si);
        if (r->stop)
            return RS_CALL_STOP;
        if (s->nonblock) {
            enum rs_call_status st = connect_status(r, si, ret, err);
            if (st == RS_CALL_BLOCKED) {
                *ret = -1;
                *err = L_EINPROGRESS;
                return RS_CALL_DONE;
            }
            return st;
        }
        return connect_status(r, si, ret, err);
    }
    if (s->connecting) {
        enum rs_call_status st = connect_status(r, si, ret, err);
        if (st == RS_CALL_BLOCKED && s->nonblock) {
            *ret = -1;
            *err = L_EALREADY;
            return RS_CALL_DONE;
        }
        return st;
    }
    (void)e;
    *ret = -1;
    *err = L_EISCONN;
    return RS_CALL_DONE;
}

static enum rs_call_status do_accept(struct runner *r, const struct ts_event *e, int si, int64_t *ret, int *err)
{
    (void)e;
    struct rs_sock *s = &r->sock[si];
    if (!s->listening) {
        *ret = -1;
        *err = L_EINVAL;
        return RS_CALL_DONE;
    }
    int best = -1;
    for (int i = 0; i < RS_MAX_CONNS; i++) {
        struct rs_conn *c = r->conn[i];
        if (c && c->listener == si && c->queued && !c->accepted && (best < 0 || c->serial < r->conn[best]->serial))
            best = i;
    }
    if (best < 0) {
        if (s->nonblock) {
            *ret = -1;
            *err = L_EAGAIN;
            return RS_CALL_DONE;
        }
        return RS_CALL_BLOCKED;
    }
    int ni = sock_new(r);
    if (ni < 0) {
        tcpsim__rs_error(r, e->line, e->col, "too many open sockets (at most %d)", RS_MAX_SOCKS);
        return RS_CALL_STOP;
    }
    struct rs_sock *ns = &r->sock[ni];
    ns->cfg = r->conn[best]->ep.cfg;
    ns->conn = best;
    ns->bound = true;
    ns->linger_on = s->linger_on; /* Linux children inherit the listener's options */
    ns->linger_secs = s->linger_secs;
    ns->nodelay = s->nodelay;
    r->conn[best]->accepted = true;
    r->conn[best]->sock = ni;
    *ret = ni + RS_FIRST_FD;
    *err = 0;
    return RS_CALL_DONE;
}

static enum rs_call_status do_read(struct runner *r, const struct ts_event *e, int si, int64_t *ret, int *err)
{
    if (!need_args(r, e, 3, "read(fd, buffer, count)"))
        return RS_CALL_STOP;
    int64_t n;
    if (!arg_int(r, e, 2, &n))
        return RS_CALL_STOP;
    struct rs_sock *s = &r->sock[si];
    struct rs_conn *c;
    *ret = -1;
    if (!sock_conn(r, si, &c)) {
        *err = L_ENOTCONN;
        return RS_CALL_DONE;
    }
    if (n <= 0) {
        *ret = 0;
        *err = 0;
        return RS_CALL_DONE;
    }
    /* Linux tcp_recvmsg: queued data first, then a pending error, then
     * end of file (FIN, SHUT_RD, reset), then "not connected", then wait. */
    size_t avail = tcpsim_tcp_readable(&c->ep);
    if (avail > 0) {
        if (arg_is_null(r, e, 1)) {
            *err = L_EFAULT;
            return RS_CALL_DONE;
        }
        size_t got = 0;
        tcpsim_tcp_out_reset(r->out_buf);
        enum tcpsim_err rc = tcpsim_tcp_receive(&c->ep, NULL, (size_t)n, &got, (tcpsim_time_t)r->now, r->out_buf);
        tcpsim__rs_harvest(r, s->conn);
        if (rc != TCPSIM_OK && got == 0) {
            *err = L_ENOTCONN;
            return RS_CALL_DONE;
        }
        *ret = (int64_t)got;
        *err = 0;
        return RS_CALL_DONE;
    }
    int pe = take_err(c, s);
    if (pe) {
        *err = pe;
        return RS_CALL_DONE;
    }
    if (tcpsim_tcp_peer_closed(&c->ep) || s->shut_rd || c->reset) {
        *ret = 0;
        *err = 0;
        return RS_CALL_DONE;
    }
    if (c->ep.state == TCPSIM_TCP_CLOSED) {
        *err = L_ENOTCONN;
        return RS_CALL_DONE;
    }
    if (s->nonblock) {
        *err = L_EAGAIN;
        return RS_CALL_DONE;
    }
    return RS_CALL_BLOCKED;
}

static enum rs_call_status do_write(struct runner *r, const struct ts_event *e, int si, int64_t *ret, int *err)
{
    if (!need_args(r, e, 3, "write(fd, buffer, count)"))
        return RS_CALL_STOP;
    int64_t n;
    if (!arg_int(r, e, 2, &n))
        return RS_CALL_STOP;
    struct rs_sock *s = &r->sock[si];
    struct rs_conn *c;
    *ret = -1;
    /* Linux sk_stream_wait_connect: EPIPE unless connecting */
    if (!sock_conn(r, si, &c)) {
        *err = L_EPIPE;
        return RS_CALL_DONE;
    }
    int pe = take_err(c, s);
    if (pe) {
        *err = pe;
        return RS_CALL_DONE;
    }
    if (arg_is_null(r, e, 1) && n > 0) {
        *err = L_EFAULT;
        return RS_CALL_DONE;
    }
    if (c->ep.state == TCPSIM_TCP_SYN_SENT || c->ep.state == TCPSIM_TCP_SYN_RECEIVED) {
        if (s->nonblock) {
            *err = L_EAGAIN;
            return RS_CALL_DONE;
        }
        return RS_CALL_BLOCKED;
    }
    if (c->ep.state == TCPSIM_TCP_CLOSED || c->ep.state == TCPSIM_TCP_LISTEN || c->ep.fin_queued || c->reset) {
        *err = L_EPIPE;
        return RS_CALL_DONE;
    }
    if (n <= 0) {
        *ret = 0;
        *err = 0;
        return RS_CALL_DONE;
    }
    size_t total = 0;
    tcpsim_tcp_out_reset(r->out_buf);
    enum tcpsim_err rc = TCPSIM_OK;
    while (total < (size_t)n) {
        size_t chunk = (size_t)n - total;
        if (chunk > sizeof zeros)
            chunk = sizeof zeros;
        size_t acc = 0;
        rc = tcpsim_tcp_send(&c->ep, zeros, chunk, &acc, (tcpsim_time_t)r->now, r->out_buf);
        total += acc;
        if (rc != TCPSIM_OK || acc < chunk)
            break;
        if (r->out_buf->nseg > TCPSIM_TCP_OUT_SEGS / 2) {
            tcpsim__rs_harvest(r, s->conn);
            tcpsim_tcp_out_reset(r->out_buf);
        }
    }
    tcpsim__rs_harvest(r, s->conn);
    if (total == 0) {
        if (rc != TCPSIM_OK && rc != TCPSIM_ERR_WOULDBLOCK) {
            *err = L_EPIPE;
            return RS_CALL_DONE;
        }
        if (s->nonblock) {
            *err = L_EAGAIN;
            return RS_CALL_DONE;
        }
        return RS_CALL_BLOCKED;
    }
    *ret = (int64_t)total;
    *err = 0;
    return RS_CALL_DONE;
}

static void close_listener(struct runner *r, int si)
{
    for (int i = 0; i < RS_MAX_CONNS; i++) {
        struct rs_conn *c = r->conn[i];
        if (!c || c->listener != si || c->accepted)
            continue;
        c->listener = -1;
        tcpsim_tcp_out_reset(r->out_buf);
        if (c->queued) {
            /* Linux inet_csk_listen_stop: unaccepted connections are reset */
            enum tcpsim_err rc = tcpsim_tcp_abort(&c->ep, (tcpsim_time_t)r->now, r->out_buf);
            (void)rc;
            tcpsim__rs_harvest(r, i);
        } else {
            /* half-open children (request socks in Linux) go without a word */
            tcpsim__rs_log(r, "half-open connection dropped with its listener");
            tcpsim_tcp_free(&c->ep);
            free(c);
            r->conn[i] = NULL;
        }
    }
    r->sock[si].listening = false;
}

static enum rs_call_status do_close(struct runner *r, int si, int64_t *ret, int *err)
{
    struct rs_sock *s = &r->sock[si];
    struct rs_conn *c;
    if (s->listening)
        close_listener(r, si);
    if (sock_conn(r, si, &c)) {
        tcpsim_tcp_out_reset(r->out_buf);
        enum tcpsim_err rc;
        if (s->linger_on && s->linger_secs == 0) {
            /* SO_LINGER {1, 0}: close() aborts, RFC 9293 §3.10.5 */
            rc = tcpsim_tcp_abort(&c->ep, (tcpsim_time_t)r->now, r->out_buf);
        } else {
            rc = tcpsim_tcp_close(&c->ep, (tcpsim_time_t)r->now, r->out_buf);
        }
        (void)rc; /* closing a dead connection is not an error for close(2) */
        tcpsim__rs_harvest(r, s->conn);
        c->sock = -1;
    }
    s->used = false;
    *ret = 0;
    *err = 0;
    return RS_CALL_DONE;
}

static enum rs_call_status do_shutdown(struct runner *r, const struct ts_event *e, int si, int64_t *ret, int *err)
{
    if (!need_args(r, e, 2, "shutdown(fd, SHUT_RD|SHUT_WR|SHUT_RDWR)"))
        return RS_CALL_STOP;
    int64_t how;
    if (!arg_int(r, e, 1, &how))
        return RS_CALL_STOP;
    if (how < 0 || how > 2) {
        *ret = -1;
        *err = L_EINVAL;
        return RS_CALL_DONE;
    }
    bool rd = how == 0 || how == 2, wr = how == 1 || how == 2;
    struct rs_sock *s = &r->sock[si];
    struct rs_conn *c;
    *ret = 0;
    *err = 0;
    /* Linux inet_shutdown */
    if (s->listening) {
        if (rd)
            close_listener(r, si);
        return RS_CALL_DONE;
    }
    if (!sock_conn(r, si, &c) || c->ep.state == TCPSIM_TCP_CLOSED) {
        *ret = -1;
        *err = L_ENOTCONN;
        return RS_CALL_DONE;
    }
    tcpsim_tcp_out_reset(r->out_buf);
    if (c->ep.state == TCPSIM_TCP_SYN_SENT) {
        /* a connection attempt is dropped silently (ABORT in SYN_SENT sends nothing) */
        enum tcpsim_err rc = tcpsim_tcp_abort(&c->ep, (tcpsim_time_t)r->now, r->out_buf);
        (void)rc;
        tcpsim__rs_harvest(r, s->conn);
        s->connecting = false;
        return RS_CALL_DONE;
    }
    if (rd)
        s->shut_rd = true;
    if (wr && !c->ep.fin_queued) {
        enum tcpsim_err rc = tcpsim_tcp_shutdown(&c->ep, (tcpsim_time_t)r->now, r->out_buf);
        (void)rc;
        tcpsim__rs_harvest(r, s->conn);
    }
    return RS_CALL_DONE;
}

static enum rs_call_status do_fcntl(struct runner *r, const struct ts_event *e, int si, int64_t *ret, int *err)
{
    int64_t cmd;
    if (e->u.call.nargs < 2 || !arg_int(r, e, 1, &cmd)) {
        if (!r->stop)
            tcpsim__rs_error(r, e->line, e->col, "fcntl(fd, F_GETFL) or fcntl(fd, F_SETFL, flags)");
        return RS_CALL_STOP;
    }
    struct rs_sock *s = &r->sock[si];
    *err = 0;
    if (cmd == 3) { /* F_GETFL */
        *ret = L_O_RDWR | (s->nonblock ? L_O_NONBLOCK : 0);
        return RS_CALL_DONE;
    }
    if (cmd == 4) { /* F_SETFL */
        int64_t fl;
        if (!need_args(r, e, 3, "fcntl(fd, F_SETFL, flags)") || !arg_int(r, e, 2, &fl))
            return RS_CALL_STOP;
        s->nonblock = (fl & L_O_NONBLOCK) != 0;
        *ret = 0;
        return RS_CALL_DONE;
    }
    tcpsim__rs_error(r, e->line, e->col, "unsupported fcntl command (F_GETFL, F_SETFL)");
    return RS_CALL_STOP;
}

static enum rs_call_status do_ioctl(struct runner *r, const struct ts_event *e, int si, int64_t *ret, int *err)
{
    if (!need_args(r, e, 3, "ioctl(fd, SIOCINQ, [bytes])"))
        return RS_CALL_STOP;
    int64_t req;
    if (!arg_int(r, e, 1, &req))
        return RS_CALL_STOP;
    if (req != 0x541B) {
        tcpsim__rs_error(r, e->line, e->col, "unsupported ioctl (SIOCINQ / FIONREAD)");
        return RS_CALL_STOP;
    }
    struct rs_sock *s = &r->sock[si];
    struct rs_conn *c;
    if (s->listening) {
        *ret = -1;
        *err = L_EINVAL;
        return RS_CALL_DONE;
    }
    int64_t have = sock_conn(r, si, &c) ? (int64_t)tcpsim_tcp_readable(&c->ep) : 0;
    *ret = 0;
    *err = 0;
    return check_out_value(r, e, 2, have, "ioctl(SIOCINQ)");
}

enum rs_call_status tcpsim__rs_syscall(struct runner *r, const struct ts_event *e, bool first, int64_t *ret, int *err)
{
    const char *n = e->u.call.name;
    if (!strcmp(n, "socket"))
        return do_socket(r, e, ret, err);
    static const char *const known[] = {"setsockopt", "getsockopt", "bind",     "listen", "accept", "connect", "read",
                                        "write",      "close",      "shutdown", "fcntl",  "ioctl",  "send",    "recv"};
    bool ok = false;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(n, known[i]))
            ok = true;
    if (!ok) {
        tcpsim__rs_error(r, e->line, e->col,
                         "unsupported system call '%s' (supported: socket, setsockopt, getsockopt, bind, listen, "
                         "accept, connect, read, write, send, recv, close, shutdown, fcntl, ioctl)",
                         n);
        return RS_CALL_STOP;
    }
    if (e->u.call.nargs == 0) {
        tcpsim__rs_error(r, e->line, e->col, "%s needs a file descriptor", n);
        return RS_CALL_STOP;
    }
    bool aok;
    int si = arg_sock(r, e, 0, &aok);
    if (!aok)
        return RS_CALL_STOP;
    if (si < 0) {
        *ret = -1;
        *err = L_EBADF;
        return RS_CALL_DONE;
    }
    struct rs_sock *s = &r->sock[si];
    if (!strcmp(n, "setsockopt"))
        return do_setsockopt(r, e, si, ret, err);
    if (!strcmp(n, "getsockopt"))
        return do_getsockopt(r, e, si, ret, err);
    if (!strcmp(n, "bind")) {
        *ret = s->bound ? -1 : 0;
        *err = s->bound ? L_EINVAL : 0;
        s->bound = true;
        return RS_CALL_DONE;
    }
    if (!strcmp(n, "listen")) {
        int64_t bl;
        if (!need_args(r, e, 2, "listen(fd, backlog)") || !arg_int(r, e, 1, &bl))
            return RS_CALL_STOP;
        if (s->conn >= 0) {
            *ret = -1;
            *err = L_EINVAL;
            return RS_CALL_DONE;
        }
        int other = tcpsim__rs_listener(r);
        if (other >= 0 && other != si) {
            *ret = -1;
            *err = 98; /* EADDRINUSE: one listener per port here */
            return RS_CALL_DONE;
        }
        s->listening = true;
        s->bound = true;
        s->backlog = bl < 0 ? 0 : bl;
        *ret = 0;
        *err = 0;
        return RS_CALL_DONE;
    }
    if (!strcmp(n, "accept"))
        return do_accept(r, e, si, ret, err);
    if (!strcmp(n, "connect"))
        return do_connect(r, e, si, first, ret, err);
    if (!strcmp(n, "read") || !strcmp(n, "recv"))
        return do_read(r, e, si, ret, err);
    if (!strcmp(n, "write") || !strcmp(n, "send"))
        return do_write(r, e, si, ret, err);
    if (!strcmp(n, "close"))
        return do_close(r, si, ret, err);
    if (!strcmp(n, "shutdown"))
        return do_shutdown(r, e, si, ret, err);
    if (!strcmp(n, "fcntl"))
        return do_fcntl(r, e, si, ret, err);
    return do_ioctl(r, e, si, ret, err);
}

void tcpsim__rs_sock_free_all(struct runner *r)
{
    for (int i = 0; i < RS_MAX_CONNS; i++)
        if (r->conn[i]) {
            tcpsim_tcp_free(&r->conn[i]->ep);
            free(r->conn[i]);
            r->conn[i] = NULL;
        }
    memset(r->sock, 0, sizeof r->sock);
}
