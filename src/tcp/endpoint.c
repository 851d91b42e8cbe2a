/* endpoint.c - the RFC 9293 endpoint: user calls (OPEN, SEND, RECEIVE, CLOSE,
 * ABORT) and SEGMENT ARRIVES, one handler per state.
 * Read first: RFC 9293 §3.10 (event processing, especially §3.10.7.4's order
 * of checks), RFC 5961 §3-5 (challenge ACKs), RFC 7323 §2-4, RFC 6191. */
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp_priv.h"

/* ---------------------------------------------------------------- helpers */

static bool check_out(const struct tcpsim_tcp_endpoint *ep, const struct tcpsim_tcp_out *out)
{
    return ep != NULL && ep->priv.live && out != NULL;
}

/* The user calls a passive observer (cfg.observer) refuses: it sends nothing
 * of its own, so no data or FIN is ever queued (tcpsim__output_n's send loop
 * finds nothing) and no timer needs to run. */
static bool check_user(const struct tcpsim_tcp_endpoint *ep, const struct tcpsim_tcp_out *out)
{
    return check_out(ep, out) && !ep->cfg.observer;
}

/* ------------------------------------------------------------ lifecycle */

enum tcpsim_err tcpsim_tcp_init(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_tcp_config *cfg,
                                uint16_t local_port, uint16_t remote_port)
{
    if (ep == NULL)
        return TCPSIM_ERR_INVALID;
    memset(ep, 0, sizeof *ep);
    if (cfg != NULL)
        ep->cfg = *cfg;
    else
        tcpsim_tcp_config_default(&ep->cfg, TCPSIM_PROFILE_RFC);
    struct tcpsim_tcp_config *c = &ep->cfg;
    if (c->mss == 0 || c->rcv_buf == 0 || c->snd_buf == 0 || c->rto_initial == 0 || c->rto_max == 0 ||
        c->rto_min > c->rto_max)
        return TCPSIM_ERR_INVALID;
    if (c->wscale > 14)
        c->wscale = 14; /* RFC 7323 §2.3 */
    struct tcpsim_tcp_priv *p = &ep->priv;
    p->snd_cap = c->snd_buf;
    p->rcv_cap = c->rcv_buf;
    if (c->store_data) {
        /* an observer (store_data off) allocates nothing at all */
        p->sbuf = malloc(c->snd_buf);
        p->rbuf = malloc(c->rcv_buf);
        if (p->sbuf == NULL || p->rbuf == NULL) {
            free(p->sbuf);
            free(p->rbuf);
            p->sbuf = p->rbuf = NULL;
            return TCPSIM_ERR_NOMEM;
        }
    }
    p->live = true;
    ep->local_port = local_port;
    ep->remote_port = remote_port;
    ep->state = TCPSIM_TCP_CLOSED;
    tcpsim__reset_conn(ep);
    return TCPSIM_OK;
}

enum tcpsim_err tcpsim_tcp_init_copy(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_tcp_endpoint *tmpl,
                                     uint16_t local_port, uint16_t remote_port)
{
    /* tcpsim_tcp_init is a function of the configuration and the ports alone
     * (reset_conn reads only cfg), so a fresh endpoint copied and given other
     * ports is what tcpsim_tcp_init would make; one with buffers cannot be
     * shared, one already used is not fresh. A passive OPEN on a fresh
     * endpoint (RFC 9293 §3.10.1: CLOSED -> LISTEN) reads neither the time
     * nor the ports, so a template in LISTEN is copied the same way. */
    if (ep == NULL || tmpl == NULL || ep == tmpl || !tmpl->priv.live || tmpl->priv.observer ||
        tmpl->priv.sbuf != NULL || tmpl->priv.rbuf != NULL ||
        !(tmpl->state == TCPSIM_TCP_CLOSED || (tmpl->state == TCPSIM_TCP_LISTEN && tmpl->passive)))
        return TCPSIM_ERR_INVALID;
    memcpy(ep, tmpl, sizeof *ep);
    ep->local_port = local_port;
    ep->remote_port = remote_port;
    return TCPSIM_OK;
}

void tcpsim_tcp_free(struct tcpsim_tcp_endpoint *ep)
{
    if (ep == NULL || !ep->priv.live)
        return;
    free(ep->priv.sbuf);
    free(ep->priv.rbuf);
    ep->priv.sbuf = ep->priv.rbuf = NULL;
    ep->priv.live = false;
}

/* ------------------------------------------------------------ user calls */

static void active_open(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    uint32_t iss = tcpsim__choose_iss(ep, now);
    tcpsim__reset_conn(ep);
    tcpsim__set_iss(ep, iss, now);
    tcpsim__transition(ep, TCPSIM_TCP_SYN_SENT, TCPSIM_WHY_OPEN_ACTIVE, now, out);
    tcpsim__send_syn(ep, false, false, TCPSIM_WHY_OPEN_ACTIVE, now, out);
    tcpsim__timers_update(ep, now);
}

enum tcpsim_err tcpsim_tcp_open(struct tcpsim_tcp_endpoint *ep, bool active, tcpsim_time_t now,
                                struct tcpsim_tcp_out *out)
{
    if (!check_out(ep, out) || (active && ep->cfg.observer))
        return TCPSIM_ERR_INVALID;
    switch (ep->state) {
    case TCPSIM_TCP_CLOSED:
        if (active) {
            active_open(ep, now, out);
        } else {
            tcpsim__reset_conn(ep);
            ep->passive = true;
            tcpsim__transition(ep, TCPSIM_TCP_LISTEN, TCPSIM_WHY_OPEN_PASSIVE, now, out);
        }
        return TCPSIM_OK;
    case TCPSIM_TCP_LISTEN:
        /* RFC 9293 §3.10.1: an active OPEN on a listening connection turns it active */
        if (!active)
            return TCPSIM_ERR_EXISTS;
        active_open(ep, now, out);
        return TCPSIM_OK;
    case TCPSIM_TCP_SYN_SENT:
    case TCPSIM_TCP_SYN_RECEIVED:
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        return TCPSIM_ERR_EXISTS; /* "connection already exists" */
    }
    return TCPSIM_ERR_STATE;
}

enum tcpsim_err tcpsim_tcp_send(struct tcpsim_tcp_endpoint *ep, const void *data, size_t len, size_t *accepted,
                                tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    if (!check_user(ep, out) || accepted == NULL)
        return TCPSIM_ERR_INVALID;
    *accepted = 0;
    bool go = false;
    switch (ep->state) {
    case TCPSIM_TCP_CLOSED:
        return TCPSIM_ERR_NOTCONN; /* RFC 9293 §3.10.2 "connection does not exist" */
    case TCPSIM_TCP_LISTEN:
        if (ep->cfg.profile == TCPSIM_PROFILE_LINUX)
            return TCPSIM_ERR_NOTCONN; /* write() on a listening socket: ENOTCONN/EPIPE */
        /* RFC 9293 §3.10.2: SEND in LISTEN makes the connection active */
        active_open(ep, now, out);
        break;
    case TCPSIM_TCP_SYN_SENT:
    case TCPSIM_TCP_SYN_RECEIVED:
        /* queue for transmission after entering ESTABLISHED (§3.10.2) */
        if (ep->fin_queued)
            return TCPSIM_ERR_CLOSING;
        break;
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_CLOSE_WAIT:
        if (ep->fin_queued)
            return TCPSIM_ERR_CLOSING;
        go = true;
        break;
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        return TCPSIM_ERR_CLOSING; /* "connection closing" */
    }
    uint32_t n32 = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    uint32_t n = tcpsim__snd_append(ep, (const uint8_t *)data, n32);
    *accepted = n;
    if (go)
        tcpsim__output(ep, now, out);
    tcpsim__timers_update(ep, now);
    if (n == 0 && len > 0)
        return TCPSIM_ERR_WOULDBLOCK;
    return TCPSIM_OK;
}

size_t tcpsim_tcp_readable(const struct tcpsim_tcp_endpoint *ep)
{
    return ep != NULL && ep->priv.live ? ep->priv.rcv_q : 0;
}

bool tcpsim_tcp_peer_closed(const struct tcpsim_tcp_endpoint *ep)
{
    return ep != NULL && ep->priv.live && ep->priv.peer_fin;
}

enum tcpsim_err tcpsim_tcp_receive(struct tcpsim_tcp_endpoint *ep, void *buf, size_t cap, size_t *got,
                                   tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    if (!check_user(ep, out) || got == NULL)
        return TCPSIM_ERR_INVALID;
    struct tcpsim_tcp_priv *p = &ep->priv;
    *got = 0;
    if (p->rcv_q == 0) {
        if (p->peer_fin)
            return TCPSIM_ERR_CLOSING;
        if (ep->state == TCPSIM_TCP_CLOSED)
            return TCPSIM_ERR_NOTCONN;
        return TCPSIM_ERR_WOULDBLOCK;
    }
    uint32_t n = cap < p->rcv_q ? (uint32_t)cap : p->rcv_q;
    if (buf != NULL) {
        if (p->rbuf != NULL)
            memcpy(buf, p->rbuf, n);
        else
            memset(buf, 0, n);
    }
    if (p->rbuf != NULL)
        memmove(p->rbuf, p->rbuf + n, p->rcv_cap - n); /* out-of-order bytes move along */
    p->rcv_q -= n;
    *got = n;
    /* RFC 9293 §3.8.6.2.2 (receiver SWS avoidance): announce the opened window
     * only once it grew by min(RCV.BUFF/2, Eff.snd.MSS), or if it was shut. */
    tcpsim__rcv_update_wnd(ep);
    if (tcpsim_tcp_state_synchronized(ep->state) && !p->peer_fin && ep->state != TCPSIM_TCP_TIME_WAIT) {
        uint32_t w = ep->ws_ok ? (ep->rcv_wnd >> ep->rcv_wscale) << ep->rcv_wscale : ep->rcv_wnd;
        uint32_t edge = ep->rcv_nxt + w;
        uint32_t step = p->rcv_cap / 2 < ep->snd_mss ? p->rcv_cap / 2 : ep->snd_mss;
        if (tcpsim_seq_gt(edge, p->rcv_adv) && (edge - p->rcv_adv >= step || p->rcv_adv == ep->rcv_nxt)) {
            tcpsim__want_ack(ep, TCPSIM_WHY_WINDOW_UPDATE);
            tcpsim__output(ep, now, out);
        }
    }
    return TCPSIM_OK;
}

/* Linux (and RFC 2525 §2.17): closing with unread data resets the connection. */
static bool close_unread_rst(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    if (!ep->cfg.rst_on_close_unread || ep->priv.rcv_q == 0)
        return false;
    tcpsim__emit(ep, TCPSIM_RST | TCPSIM_ACK, ep->snd_nxt, ep->rcv_nxt, NULL, 0, TCPSIM_WHY_CLOSE_UNREAD_RST, false,
                 now, out);
    tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_CLOSE_UNREAD_RST, now, out);
    return true;
}

/* RFC 9293 §3.10.4 in ESTABLISHED (-> FIN_WAIT_1) and CLOSE_WAIT (-> LAST_ACK):
 * queue the FIN and send it after the data; a full close with unread data
 * aborts instead when the profile says so (close_unread_rst): then true, and
 * the endpoint is CLOSED with nothing more to do. */
static bool close_sends_fin(struct tcpsim_tcp_endpoint *ep, bool full, enum tcpsim_tcp_state to, tcpsim_time_t now,
                            struct tcpsim_tcp_out *out)
{
    if (full && close_unread_rst(ep, now, out))
        return true;
    ep->fin_queued = true;
    ep->user_closed = full;
    tcpsim__transition(ep, to, TCPSIM_WHY_CLOSE_SENDS_FIN, now, out);
    tcpsim__output(ep, now, out);
    return false;
}

static enum tcpsim_err do_close(struct tcpsim_tcp_endpoint *ep, bool full, tcpsim_time_t now,
                                struct tcpsim_tcp_out *out)
{
    switch (ep->state) {
    case TCPSIM_TCP_CLOSED:
        return TCPSIM_ERR_NOTCONN;
    case TCPSIM_TCP_LISTEN:
        if (!full)
            return TCPSIM_ERR_NOTCONN;
        tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_CLOSE_LISTEN, now, out);
        return TCPSIM_OK;
    case TCPSIM_TCP_SYN_SENT:
        if (!full) {
            ep->fin_queued = true;
            return TCPSIM_OK;
        }
        /* RFC 9293 §3.10.4: delete the TCB; nothing is sent (Linux too) */
        tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_CLOSE_SYN_SENT, now, out);
        return TCPSIM_OK;
    case TCPSIM_TCP_SYN_RECEIVED:
        ep->fin_queued = true;
        ep->user_closed = ep->user_closed || full;
        /* §3.10.4: with nothing queued, send the FIN now and go to FIN_WAIT_1;
         * otherwise wait for ESTABLISHED */
        if (ep->priv.snd_q == 0) {
            tcpsim__transition(ep, TCPSIM_TCP_FIN_WAIT_1, TCPSIM_WHY_CLOSE_SENDS_FIN, now, out);
            tcpsim__output(ep, now, out);
        }
        break;
    case TCPSIM_TCP_ESTABLISHED:
        if (close_sends_fin(ep, full, TCPSIM_TCP_FIN_WAIT_1, now, out))
            return TCPSIM_OK;
        break;
    case TCPSIM_TCP_CLOSE_WAIT:
        if (close_sends_fin(ep, full, TCPSIM_TCP_LAST_ACK, now, out))
            return TCPSIM_OK;
        break;
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        /* a CLOSE after SHUTDOWN is the normal way to finish; a second CLOSE is an error */
        if (full && ep->fin_queued && !ep->user_closed) {
            if (close_unread_rst(ep, now, out))
                return TCPSIM_OK;
            ep->user_closed = true;
            break;
        }
        if (!full && ep->fin_queued)
            return TCPSIM_OK;
        return TCPSIM_ERR_CLOSING;
    }
    tcpsim__timers_update(ep, now);
    return TCPSIM_OK;
}

enum tcpsim_err tcpsim_tcp_close(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    if (!check_user(ep, out))
        return TCPSIM_ERR_INVALID;
    return do_close(ep, true, now, out);
}

enum tcpsim_err tcpsim_tcp_shutdown(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    if (!check_user(ep, out))
        return TCPSIM_ERR_INVALID;
    return do_close(ep, false, now, out);
}

enum tcpsim_err tcpsim_tcp_abort(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    if (!check_user(ep, out))
        return TCPSIM_ERR_INVALID;
    switch (ep->state) {
    case TCPSIM_TCP_CLOSED:
        return TCPSIM_ERR_NOTCONN;
    case TCPSIM_TCP_LISTEN:
    case TCPSIM_TCP_SYN_SENT:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        /* RFC 9293 §3.10.5: nothing to reset (or the peer has finished) */
        break;
    case TCPSIM_TCP_SYN_RECEIVED:
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSE_WAIT:
        /* RFC 9293 §3.10.5: <SEQ=SND.NXT><CTL=RST>; Linux adds ACK = RCV.NXT */
        if (ep->cfg.profile == TCPSIM_PROFILE_LINUX)
            tcpsim__emit(ep, TCPSIM_RST | TCPSIM_ACK, ep->snd_nxt, ep->rcv_nxt, NULL, 0, TCPSIM_WHY_ABORT, false, now,
                         out);
        else
            tcpsim__emit(ep, TCPSIM_RST, ep->snd_nxt, 0, NULL, 0, TCPSIM_WHY_ABORT, false, now, out);
        break;
    }
    tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_ABORT, now, out);
    return TCPSIM_OK;
}

/* ------------------------------------------------------- SEGMENT ARRIVES */

/* RFC 9293 §3.10.7.1: CLOSED. */
static void on_closed(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, tcpsim_time_t now,
                      struct tcpsim_tcp_out *out)
{
    if (seg->flags & TCPSIM_RST) {
        tcpsim__note(out, TCPSIM_WHY_RST_TO_CLOSED_IGNORED, now);
        return;
    }
    tcpsim__reply_rst(ep, seg, TCPSIM_WHY_RST_CLOSED, now, out);
    tcpsim__note(out, TCPSIM_WHY_RST_CLOSED, now);
}

/* A SYN accepted from LISTEN (or a TIME_WAIT reopen): RFC 9293 §3.10.7.2 fourth. */
static void accept_syn(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, uint32_t iss,
                       enum tcpsim_tcp_why why, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    tcpsim__reset_conn(ep);
    ep->priv.ws_unknown = false;
    ep->passive = true;
    ep->irs = seg->seq;
    ep->rcv_nxt = seg->seq + 1;
    tcpsim__record_peer_syn(ep, seg);
    tcpsim__negotiate(ep, now, out);
    tcpsim__set_iss(ep, iss, now);
    tcpsim__set_snd_wnd(ep, seg, seg->seq);
    if (seg->payload_len > 0 || (seg->flags & TCPSIM_FIN))
        tcpsim__note(out, TCPSIM_WHY_SYN_DATA_IGNORED, now);
    tcpsim__transition(ep, TCPSIM_TCP_SYN_RECEIVED, why, now, out);
    tcpsim__send_syn(ep, true, false, why, now, out);
}

/* RFC 9293 §3.10.7.2: LISTEN. */
static void on_listen(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, tcpsim_time_t now,
                      struct tcpsim_tcp_out *out)
{
    /* first, check for an RST: ignore it */
    if (seg->flags & TCPSIM_RST) {
        tcpsim__note(out, TCPSIM_WHY_LISTEN_RST_IGNORED, now);
        return;
    }
    /* second, check for an ACK: nothing can be acknowledged yet, <SEQ=SEG.ACK><CTL=RST> */
    if (seg->flags & TCPSIM_ACK) {
        tcpsim__reply_rst(ep, seg, TCPSIM_WHY_LISTEN_ACK_RST, now, out);
        tcpsim__note(out, TCPSIM_WHY_LISTEN_ACK_RST, now);
        return;
    }
    /* third, check for a SYN (security/compartment check not modelled) */
    if (seg->flags & TCPSIM_SYN) {
        accept_syn(ep, seg, tcpsim__choose_iss(ep, now), TCPSIM_WHY_SYN_IN_LISTEN, now, out);
        return;
    }
    /* fourth, other text or control: drop */
    tcpsim__note(out, TCPSIM_WHY_LISTEN_NO_SYN, now);
}

static void process_text_and_fin(struct tcpsim_tcp_endpoint *ep, uint32_t seq, const uint8_t *data, uint32_t len,
                                 bool fin, bool fin_acked_here, uint32_t seg_ack, tcpsim_time_t now,
                                 struct tcpsim_tcp_out *out);

/* RFC 9293 §3.10.7.3: SYN_SENT. */
static void on_syn_sent(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, tcpsim_time_t now,
                        struct tcpsim_tcp_out *out)
{
    bool ack_ok = false;
    /* first, check the ACK bit: it must acknowledge our SYN */
    if (seg->flags & TCPSIM_ACK) {
        if (tcpsim_seq_leq(seg->ack, ep->iss) || tcpsim_seq_gt(seg->ack, ep->snd_nxt)) {
            if (!(seg->flags & TCPSIM_RST))
                tcpsim__reply_rst(ep, seg, TCPSIM_WHY_SYN_SENT_BAD_ACK, now, out);
            tcpsim__note(out, TCPSIM_WHY_SYN_SENT_BAD_ACK, now);
            return;
        }
        ack_ok = tcpsim_seq_lt(ep->snd_una, seg->ack) && tcpsim_seq_leq(seg->ack, ep->snd_nxt);
    }
    /* second, check the RST bit: only with an acceptable ACK (RFC 5961 §3.2 too) */
    if (seg->flags & TCPSIM_RST) {
        if (ack_ok) {
            tcpsim__err(out, TCPSIM_ERR_REFUSED);
            tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_RST_REFUSED, now, out);
        } else {
            tcpsim__note(out, TCPSIM_WHY_SYN_SENT_RST_IGNORED, now);
        }
        return;
    }
    /* third, security/compartment: not modelled */
    /* fourth, check the SYN bit */
    if (seg->flags & TCPSIM_SYN) {
        ep->irs = seg->seq;
        ep->rcv_nxt = seg->seq + 1;
        tcpsim__record_peer_syn(ep, seg);
        tcpsim__negotiate(ep, now, out);
        if (ack_ok)
            tcpsim__ack_advance(ep, seg->ack, now);
        tcpsim__set_snd_wnd(ep, seg, seg->seq);
        if (tcpsim_seq_gt(ep->snd_una, ep->iss)) {
            tcpsim__enter_established(ep, TCPSIM_WHY_SYNACK_ACKS_SYN, now, out);
            tcpsim__want_ack(ep, TCPSIM_WHY_SYNACK_ACKS_SYN);
            /* text or a FIN on the SYN-ACK: continue at the sixth step */
            if (seg->payload_len > 0 || (seg->flags & TCPSIM_FIN))
                process_text_and_fin(ep, seg->seq + 1, seg->payload, (uint32_t)seg->payload_len,
                                     (seg->flags & TCPSIM_FIN) != 0, false, seg->ack, now, out);
        } else {
            /* simultaneous open: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> */
            ep->passive = false;
            tcpsim__transition(ep, TCPSIM_TCP_SYN_RECEIVED, TCPSIM_WHY_SIMULTANEOUS_OPEN, now, out);
            tcpsim__send_syn(ep, true, false, TCPSIM_WHY_SIMULTANEOUS_OPEN, now, out);
            ep->t_rtx = TCPSIM_TIME_NEVER; /* restart for the SYN-ACK */
        }
        return;
    }
    /* fifth, neither SYN nor RST: drop */
    tcpsim__note(out, TCPSIM_WHY_SYN_SENT_NO_SYN, now);
}

/* RFC 9293 §3.10.7.4 first step: the four cases of segment acceptability. */
static bool acceptable(const struct tcpsim_tcp_endpoint *ep, uint32_t seq, uint32_t seglen)
{
    uint32_t wnd = ep->rcv_wnd;
    if (seglen == 0) {
        if (wnd == 0)
            return seq == ep->rcv_nxt;
        return tcpsim_seq_between(ep->rcv_nxt, seq, ep->rcv_nxt + wnd);
    }
    if (wnd == 0)
        return false;
    return tcpsim_seq_between(ep->rcv_nxt, seq, ep->rcv_nxt + wnd) ||
           tcpsim_seq_between(ep->rcv_nxt, seq + seglen - 1, ep->rcv_nxt + wnd);
}

static bool fin_acked(const struct tcpsim_tcp_endpoint *ep)
{
    return ep->fin_sent && tcpsim_seq_gt(ep->snd_una, ep->fin_seq);
}

/* Seventh and eighth steps: segment text, then the FIN bit. */
static void process_text_and_fin(struct tcpsim_tcp_endpoint *ep, uint32_t seq, const uint8_t *data, uint32_t len,
                                 bool fin, bool fin_acked_here, uint32_t seg_ack, tcpsim_time_t now,
                                 struct tcpsim_tcp_out *out)
{
    bool fin_now = false;
    /* seventh, process the segment text */
    switch (ep->state) {
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
        if (len > 0 && ep->user_closed && ep->cfg.profile == TCPSIM_PROFILE_LINUX) {
            /* Linux: nobody will read it; reset (tcp_rcv_state_process, RFC 2525 §2.17) */
            /* as tcp_v4_send_reset answers a segment with ACK: <SEQ=SEG.ACK><CTL=RST> */
            tcpsim__emit(ep, TCPSIM_RST, seg_ack, 0, NULL, 0, TCPSIM_WHY_DATA_AFTER_CLOSE, false, now, out);
            tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_DATA_AFTER_CLOSE, now, out);
            return;
        }
        if (len > 0 || fin) {
            bool full = false;
            bool moved = tcpsim__rcv_data(ep, seq, data, len, fin, &fin_now, &full, now, out);
            if (full)
                tcpsim__note(out, TCPSIM_WHY_OOO_QUEUE_FULL, now);
            if (moved)
                tcpsim__want_ack(ep, TCPSIM_WHY_DATA_RECEIVED);
            else if (!fin_now) {
                /* RFC 9293 §3.10.7.4 / RFC 5681 §4.2: out-of-order: ACK at once */
                tcpsim__want_ack(ep, fin && len == 0 ? TCPSIM_WHY_FIN_OUT_OF_ORDER : TCPSIM_WHY_OUT_OF_ORDER);
                tcpsim__note(out, fin ? TCPSIM_WHY_FIN_OUT_OF_ORDER : TCPSIM_WHY_OUT_OF_ORDER, now);
            }
        }
        break;
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        /* the peer's FIN came first: this cannot be new data */
        if (len > 0)
            tcpsim__note(out, TCPSIM_WHY_TEXT_AFTER_FIN, now);
        break;
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
    case TCPSIM_TCP_SYN_SENT:
    case TCPSIM_TCP_SYN_RECEIVED:
        return;
    }
    /* eighth, check the FIN bit */
    if (ep->state == TCPSIM_TCP_TIME_WAIT && fin) {
        tcpsim__want_ack(ep, TCPSIM_WHY_TIME_WAIT_RESTART);
        ep->t_time_wait = now + 2 * ep->cfg.msl;
        tcpsim__note(out, TCPSIM_WHY_TIME_WAIT_RESTART, now);
        return;
    }
    if (fin_now)
        tcpsim__peer_fin(ep, fin_acked_here, now, out);
}

/* Answer an unacceptable or suspicious segment with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>. */
static void ack_and_drop(struct tcpsim_tcp_endpoint *ep, enum tcpsim_tcp_why why, tcpsim_time_t now,
                         struct tcpsim_tcp_out *out)
{
    tcpsim__want_ack(ep, why);
    tcpsim__note(out, why, now);
    tcpsim__output(ep, now, out);
}

/* The RST bit in a synchronized state or SYN_RECEIVED (second step). */
static void rst_in_state(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    switch (ep->state) {
    case TCPSIM_TCP_SYN_RECEIVED:
        /* passive: back to LISTEN; active (simultaneous open): refused */
        if (ep->passive) {
            tcpsim__reset_to(ep, TCPSIM_TCP_LISTEN, TCPSIM_WHY_RST_RECEIVED, now, out);
        } else {
            tcpsim__err(out, TCPSIM_ERR_REFUSED);
            tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_RST_REFUSED, now, out);
        }
        break;
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSE_WAIT:
        tcpsim__err(out, TCPSIM_ERR_RESET);
        tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_RST_RECEIVED, now, out);
        break;
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_RST_CLOSES, now, out);
        break;
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
    case TCPSIM_TCP_SYN_SENT:
        break;
    }
}

/* TIME_WAIT in the Linux profile, by Linux's own rules (tcp_timewait_state_process)
 * rather than §3.10.7.4's steps: only a bare ACK or an RST exactly at RCV.NXT is in
 * window; the RST ends TIME_WAIT (tcp_rfc1337 = 0), the ACK restarts it. Any other
 * segment but an RST (old or overlapping data, the FIN again, a SYN that does not
 * reopen, a PAWS failure) is answered with an ACK (TCP_TW_ACK), restarting TIME_WAIT
 * when it carries an ACK or fails PAWS; any other RST is ignored (no RFC 5961
 * challenge in TIME_WAIT). The reopening SYN was handled by the caller. */
static void time_wait_linux(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, tcpsim_time_t now,
                            struct tcpsim_tcp_out *out)
{
    uint8_t flags = seg->flags;
    bool rst = (flags & TCPSIM_RST) != 0;
    bool has_ts = (seg->opts.present & TCPSIM_HAS_TS) != 0;
    bool paws_reject = ep->cfg.paws && ep->ts_ok && has_ts && !rst && tcpsim_seq_lt(seg->opts.ts_val, ep->ts_recent);
    bool bare = seg->payload_len == 0 && !(flags & (TCPSIM_SYN | TCPSIM_FIN));
    if (!paws_reject && seg->seq == ep->rcv_nxt && (bare || rst)) {
        if (rst) {
            tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_RST_CLOSES, now, out);
            return;
        }
        ep->t_time_wait = now + 2 * ep->cfg.msl;
        if (ep->ts_ok && has_ts)
            ep->ts_recent = seg->opts.ts_val;
        return;
    }
    if (rst) {
        tcpsim__note(out, TCPSIM_WHY_RST_OUT_OF_WINDOW, now);
        return;
    }
    if (paws_reject || (flags & TCPSIM_ACK))
        ep->t_time_wait = now + 2 * ep->cfg.msl;
    enum tcpsim_tcp_why why = TCPSIM_WHY_NOT_ACCEPTABLE;
    if (paws_reject)
        why = TCPSIM_WHY_PAWS_DROPPED;
    else if (flags & TCPSIM_FIN)
        why = TCPSIM_WHY_TIME_WAIT_RESTART;
    else if (seg->payload_len > 0 && tcpsim_seq_gt(seg->seq + (uint32_t)seg->payload_len, ep->rcv_nxt))
        why = TCPSIM_WHY_TIME_WAIT_SEGMENT_ACKED; /* text past the peer's FIN: ACK, 2*MSL restarted */
    ack_and_drop(ep, why, now, out);
}

/* RFC 9293 §3.10.7.4: SYN_RECEIVED and the synchronized states. */
static void on_synchronized(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, tcpsim_time_t now,
                            struct tcpsim_tcp_out *out)
{
    struct tcpsim_tcp_priv *p = &ep->priv;
    uint8_t flags = seg->flags;
    uint32_t seq = seg->seq;
    const uint8_t *data = seg->payload;
    uint32_t len = (uint32_t)seg->payload_len;

    /* RFC 6191 / §3.10.7.4 fourth step note: a new SYN above RCV.NXT may reopen TIME_WAIT */
    if (ep->state == TCPSIM_TCP_TIME_WAIT && (flags & (TCPSIM_SYN | TCPSIM_ACK | TCPSIM_RST)) == TCPSIM_SYN &&
        ep->cfg.tw_reopen && tcpsim_seq_gt(seq, ep->rcv_nxt) &&
        !(ep->ts_ok && (seg->opts.present & TCPSIM_HAS_TS) && tcpsim_seq_leq(seg->opts.ts_val, ep->ts_recent))) {
        /* the new ISS must lie above anything the old incarnation used (RFC 1122 §4.2.2.13) */
        uint32_t iss = ep->cfg.isn_fn != NULL ? tcpsim__choose_iss(ep, now) : ep->snd_nxt + 65536u * 2u;
        accept_syn(ep, seg, iss, TCPSIM_WHY_TIME_WAIT_REOPEN, now, out);
        tcpsim__timers_update(ep, now);
        return;
    }
    if (ep->state == TCPSIM_TCP_TIME_WAIT && ep->cfg.profile == TCPSIM_PROFILE_LINUX) {
        time_wait_linux(ep, seg, now, out);
        return;
    }
    /* A SYN repeated while in SYN_RECEIVED: our SYN-ACK was lost, send it again. */
    if (ep->state == TCPSIM_TCP_SYN_RECEIVED && (flags & (TCPSIM_SYN | TCPSIM_ACK | TCPSIM_RST)) == TCPSIM_SYN &&
        seq == ep->irs) {
        tcpsim__send_syn(ep, true, true, TCPSIM_WHY_DUP_SYN_SYNACK, now, out);
        tcpsim__note(out, TCPSIM_WHY_DUP_SYN_SYNACK, now);
        return;
    }
    /* Simultaneous open: the peer's SYN-ACK repeats its SYN (seq = IRS); its ACK
     * is what matters. Strip the old SYN (as Linux tcp_validate_incoming does). */
    if (ep->state == TCPSIM_TCP_SYN_RECEIVED && !ep->passive &&
        (flags & (TCPSIM_SYN | TCPSIM_ACK | TCPSIM_RST)) == (TCPSIM_SYN | TCPSIM_ACK) && seq == ep->irs &&
        tcpsim_seq_lt(ep->snd_una, seg->ack) && tcpsim_seq_leq(seg->ack, ep->snd_nxt)) {
        flags = (uint8_t)(flags & ~TCPSIM_SYN);
        seq = ep->irs + 1;
        tcpsim__note(out, TCPSIM_WHY_SYNACK_RESYNC, now);
    }

    /* RFC 7323 §5.3 R1 (PAWS): an older timestamp than TS.Recent is a
     * duplicate from an earlier wrap of the sequence space: ACK and drop */
    if (ep->ts_ok && (seg->opts.present & TCPSIM_HAS_TS) && !(flags & TCPSIM_RST) &&
        tcpsim_seq_lt(seg->opts.ts_val, ep->ts_recent) && ep->cfg.paws) {
        ack_and_drop(ep, TCPSIM_WHY_PAWS_DROPPED, now, out);
        return;
    }

    /* first, check the sequence number */
    tcpsim__rcv_update_wnd(ep);
    uint32_t seglen = len + ((flags & TCPSIM_SYN) ? 1u : 0u) + ((flags & TCPSIM_FIN) ? 1u : 0u);
    bool zero_window_probe = false;
    if (!acceptable(ep, seq, seglen)) {
        if (flags & TCPSIM_RST) {
            /* RFC 5961 §3.2 step 1: outside the window: silently drop */
            tcpsim__note(out, TCPSIM_WHY_RST_OUT_OF_WINDOW, now);
            return;
        }
        if (ep->state == TCPSIM_TCP_TIME_WAIT && (flags & TCPSIM_FIN) && seq + len + 1 == ep->rcv_nxt) {
            /* the peer's FIN again: our last ACK was lost; ACK it, restart 2*MSL */
            ep->t_time_wait = now + 2 * ep->cfg.msl;
            ack_and_drop(ep, TCPSIM_WHY_TIME_WAIT_RESTART, now, out);
            return;
        }
        /* Zero window: still take the ACK of a segment at RCV.NXT (§3.10.7.4:
         * "special allowance should be made to accept valid ACKs") */
        if (ep->rcv_wnd == 0 && seq == ep->rcv_nxt && (flags & TCPSIM_ACK) && !(flags & TCPSIM_SYN)) {
            zero_window_probe = true;
            tcpsim__want_ack(ep, TCPSIM_WHY_NOT_ACCEPTABLE);
            tcpsim__note(out, TCPSIM_WHY_NOT_ACCEPTABLE, now);
            len = 0;
            flags = (uint8_t)(flags & ~TCPSIM_FIN);
        } else {
            ack_and_drop(ep, TCPSIM_WHY_NOT_ACCEPTABLE, now, out);
            return;
        }
    }
    if (!zero_window_probe) {
        /* keep only the new part of a segment that straddles RCV.NXT or the right edge */
        if (tcpsim_seq_lt(seq, ep->rcv_nxt)) {
            uint32_t d = ep->rcv_nxt - seq;
            if (flags & TCPSIM_SYN) {
                flags = (uint8_t)(flags & ~TCPSIM_SYN);
                d--;
                seq++;
            }
            if (d > len)
                d = len;
            len -= d;
            seq += d;
            if (data != NULL)
                data += d;
        }
        uint32_t edge = ep->rcv_nxt + ep->rcv_wnd;
        uint32_t syn1 = (flags & TCPSIM_SYN) ? 1u : 0u;
        if (tcpsim_seq_gt(seq + syn1 + len, edge)) {
            uint32_t over = seq + syn1 + len - edge;
            len = over > len ? 0 : len - over;
            flags = (uint8_t)(flags & ~TCPSIM_FIN);
        }
        /* (a FIN just past the last in-window byte is kept: it takes no buffer space) */
    }
    /* RFC 7323 §4.3 (R3): TS.Recent follows the newest timestamp at or below Last.ACK.sent */
    if (ep->ts_ok && (seg->opts.present & TCPSIM_HAS_TS) && tcpsim_seq_geq(seg->opts.ts_val, ep->ts_recent) &&
        tcpsim_seq_leq(seg->seq, p->last_ack_sent))
        ep->ts_recent = seg->opts.ts_val;
    /* any acceptable segment shows the peer alive (RFC 1122 §4.2.3.6) */
    p->ka_sent = 0;
    ep->t_keepalive = TCPSIM_TIME_NEVER;

    /* second, check the RST bit (RFC 5961 §3.2) */
    if (flags & TCPSIM_RST) {
        if (seg->seq != ep->rcv_nxt && ep->cfg.challenge_ack) {
            tcpsim__emit(ep, TCPSIM_ACK, ep->snd_nxt, ep->rcv_nxt, NULL, 0, TCPSIM_WHY_CHALLENGE_ACK, false, now, out);
            tcpsim__note(out, TCPSIM_WHY_CHALLENGE_ACK, now);
            return;
        }
        rst_in_state(ep, now, out);
        return;
    }
    /* third, security and precedence: not modelled (RFC 9293 §3.10.7.4 third; see docs/rfc-map.md) */

    /* fourth, check the SYN bit (RFC 5961 §4.2) */
    if (flags & TCPSIM_SYN) {
        if (ep->state == TCPSIM_TCP_SYN_RECEIVED && ep->passive) {
            tcpsim__reset_to(ep, TCPSIM_TCP_LISTEN, TCPSIM_WHY_SYN_RCVD_SYN_LISTEN, now, out);
            return;
        }
        if (ep->cfg.challenge_ack) {
            tcpsim__emit(ep, TCPSIM_ACK, ep->snd_nxt, ep->rcv_nxt, NULL, 0, TCPSIM_WHY_CHALLENGE_ACK, false, now, out);
            tcpsim__note(out, TCPSIM_WHY_CHALLENGE_ACK, now);
            return;
        }
        /* RFC 793 behaviour: the SYN is an error: reset */
        tcpsim__reply_rst(ep, seg, TCPSIM_WHY_SYN_RESET, now, out);
        tcpsim__err(out, TCPSIM_ERR_RESET);
        tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_SYN_RESET, now, out);
        return;
    }

    /* fifth, check the ACK field */
    if (!(flags & TCPSIM_ACK)) {
        tcpsim__note(out, TCPSIM_WHY_NO_ACK_DROPPED, now);
        tcpsim__output(ep, now, out);
        return;
    }
    uint32_t ack = seg->ack;
    if (ep->state == TCPSIM_TCP_SYN_RECEIVED) {
        if (!(tcpsim_seq_lt(ep->snd_una, ack) && tcpsim_seq_leq(ack, ep->snd_nxt))) {
            /* <SEQ=SEG.ACK><CTL=RST>, state unchanged */
            tcpsim__reply_rst(ep, seg, TCPSIM_WHY_SYN_RCVD_BAD_ACK, now, out);
            tcpsim__note(out, TCPSIM_WHY_SYN_RCVD_BAD_ACK, now);
            return;
        }
        tcpsim__ack_advance(ep, ack, now);
        tcpsim__set_snd_wnd(ep, seg, seq);
        tcpsim__enter_established(ep, TCPSIM_WHY_ACK_OF_SYNACK, now, out);
    }
    if (p->observer && tcpsim_seq_gt(ack, ep->snd_max)) {
        /* the capture missed something we sent: believe the peer */
        ep->snd_nxt = ep->snd_max = ack;
        tcpsim__note(out, TCPSIM_WHY_OBSERVE_CATCHUP, now);
    }
    if (tcpsim_seq_lt(ack, ep->snd_una - p->max_snd_wnd) && ep->cfg.challenge_ack) {
        /* RFC 5961 §5.2: far too old: ACK and drop */
        ack_and_drop(ep, TCPSIM_WHY_ACK_TOO_OLD, now, out);
        return;
    }
    if (tcpsim_seq_gt(ack, ep->snd_max)) {
        /* acknowledges something not yet sent: ACK, drop, return */
        ack_and_drop(ep, TCPSIM_WHY_ACK_UNSENT, now, out);
        return;
    }
    bool was_fin_acked = fin_acked(ep);
    uint32_t old_wnd = ep->snd_wnd;
    if (tcpsim_seq_lt(ep->snd_una, ack)) {
        uint32_t acked = ack - ep->snd_una;
        tcpsim__ack_advance(ep, ack, now);
        tcpsim__cc_on_ack(ep, acked, ack, now, out);
    } else if (ack == ep->snd_una && len == 0 && !(flags & TCPSIM_FIN) && tcpsim_seq_lt(ep->snd_una, ep->snd_max) &&
               ((uint32_t)seg->window << ep->snd_wscale) == old_wnd) {
        /* RFC 5681 §2: duplicate ACK; the third starts fast retransmit (§3.2) */
        ep->dup_acks++;
        tcpsim__note(out, TCPSIM_WHY_DUP_ACK, now);
        tcpsim__cc_on_dupack(ep, now, out);
    }
    /* update the send window if the segment is newer (SND.WL1/WL2 rule) */
    if (tcpsim_seq_leq(ep->snd_una, ack) &&
        (tcpsim_seq_lt(ep->snd_wl1, seq) || (ep->snd_wl1 == seq && tcpsim_seq_leq(ep->snd_wl2, ack))))
        tcpsim__set_snd_wnd(ep, seg, seq);
    bool fin_acked_here = !was_fin_acked && fin_acked(ep);
    switch (ep->state) {
    case TCPSIM_TCP_CLOSING:
        if (fin_acked(ep)) {
            tcpsim__enter_time_wait(ep, TCPSIM_WHY_FIN_ACKED, now, out);
            tcpsim__output(ep, now, out);
            return;
        }
        break;
    case TCPSIM_TCP_LAST_ACK:
        if (fin_acked(ep)) {
            tcpsim__reset_to(ep, TCPSIM_TCP_CLOSED, TCPSIM_WHY_FIN_ACKED, now, out);
            return;
        }
        break;
    case TCPSIM_TCP_TIME_WAIT:
        /* RFC 9293 §3.10.7.4 fifth step, TIME-WAIT: "The only thing that can arrive
         * in this state is a retransmission of the remote FIN. Acknowledge it, and
         * restart the 2 MSL timeout." Text here lies past the peer's FIN (the
         * seventh step ignores it) and gets that answer too; the FIN itself is
         * answered at the eighth step. A bare ACK is not acknowledged: answering
         * ACKs with ACKs would never end. */
        if (len > 0 && !(flags & TCPSIM_FIN)) {
            ep->t_time_wait = now + 2 * ep->cfg.msl;
            tcpsim__want_ack(ep, TCPSIM_WHY_TIME_WAIT_SEGMENT_ACKED);
        }
        break;
    case TCPSIM_TCP_SYN_RECEIVED:
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
    case TCPSIM_TCP_SYN_SENT:
        break;
    }

    /* sixth, check the URG bit: urgent data is delivered inline, the pointer not acted on */
    if (flags & TCPSIM_URG)
        tcpsim__note(out, TCPSIM_WHY_URG_IGNORED, now);

    /* seventh and eighth: text, FIN */
    bool fin = (flags & TCPSIM_FIN) != 0;
    if (len > 0 || fin)
        process_text_and_fin(ep, seq, data, len, fin, fin_acked_here, ack, now, out);
    if (ep->state == TCPSIM_TCP_CLOSED)
        return;
    /* FIN_WAIT_1 whose FIN is acknowledged without a FIN from the peer (fifth step) */
    if (ep->state == TCPSIM_TCP_FIN_WAIT_1 && fin_acked(ep))
        tcpsim__transition(ep, TCPSIM_TCP_FIN_WAIT_2, TCPSIM_WHY_FIN_ACKED, now, out);
    tcpsim__output(ep, now, out);
}

enum tcpsim_err tcpsim_tcp_segment_arrives(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg,
                                           tcpsim_time_t now, struct tcpsim_tcp_out *out)
{
    if (!check_out(ep, out) || seg == NULL)
        return TCPSIM_ERR_INVALID;
    tcpsim__rcv_auto_consume(ep);
    switch (ep->state) {
    case TCPSIM_TCP_CLOSED:
        on_closed(ep, seg, now, out);
        break;
    case TCPSIM_TCP_LISTEN:
        on_listen(ep, seg, now, out);
        break;
    case TCPSIM_TCP_SYN_SENT:
        on_syn_sent(ep, seg, now, out);
        break;
    case TCPSIM_TCP_SYN_RECEIVED:
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        on_synchronized(ep, seg, now, out);
        break;
    }
    tcpsim__output(ep, now, out);
    tcpsim__timers_update(ep, now);
    return TCPSIM_OK;
}

/* ------------------------------------------------------------- fixtures */

enum tcpsim_err tcpsim_tcp_force_state(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_tcp_sync *sync,
                                       tcpsim_time_t now)
{
    if (ep == NULL || !ep->priv.live || sync == NULL)
        return TCPSIM_ERR_INVALID;
    struct tcpsim_tcp_priv *p = &ep->priv;
    /* A connection being moved on (replay over a capture hole) keeps what it
     * negotiated and its RTT estimate; a fresh endpoint starts plain. */
    bool keep = ep->state != TCPSIM_TCP_CLOSED && ep->state != TCPSIM_TCP_LISTEN;
    struct tcpsim_tcp_endpoint old = *ep;
    struct tcpsim_tcp_priv oldp = *p;
    tcpsim__reset_conn(ep);
    if (keep) {
        ep->snd_mss = old.snd_mss;
        ep->ws_ok = old.ws_ok;
        ep->snd_wscale = old.snd_wscale;
        ep->rcv_wscale = old.rcv_wscale;
        ep->sack_ok = old.sack_ok;
        ep->ts_ok = old.ts_ok;
        ep->ts_recent = old.ts_recent;
        ep->srtt = old.srtt;
        ep->rttvar = old.rttvar;
        ep->rto = old.rto;
        ep->rtt_valid = old.rtt_valid;
        ep->user_closed = old.user_closed;
        p->peer_mss_set = oldp.peer_mss_set;
        p->peer_mss = oldp.peer_mss;
        p->peer_ws = oldp.peer_ws;
        p->peer_wscale = oldp.peer_wscale;
        p->peer_sack = oldp.peer_sack;
        p->peer_ts = oldp.peer_ts;
    }
    p->ws_unknown = keep ? oldp.ws_unknown : tcpsim_tcp_state_synchronized(sync->state);
    ep->passive = sync->passive;
    ep->iss = sync->iss;
    ep->irs = sync->irs;
    bool our_fin = false, our_fin_acked = false, peer_fin = false;
    switch (sync->state) {
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
    case TCPSIM_TCP_SYN_SENT:
    case TCPSIM_TCP_SYN_RECEIVED:
    case TCPSIM_TCP_ESTABLISHED:
        break;
    case TCPSIM_TCP_FIN_WAIT_1:
        our_fin = true;
        break;
    case TCPSIM_TCP_FIN_WAIT_2:
        our_fin = our_fin_acked = true;
        break;
    case TCPSIM_TCP_CLOSE_WAIT:
        peer_fin = true;
        break;
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
        our_fin = peer_fin = true;
        break;
    case TCPSIM_TCP_TIME_WAIT:
        our_fin = our_fin_acked = peer_fin = true;
        break;
    }
    /* the fields are SND.NXT / RCV.NXT; derived values count SYN and FIN */
    uint32_t snd = sync->snd_nxt != 0 ? sync->snd_nxt : sync->iss + 1 + (our_fin ? 1u : 0u);
    uint32_t rcv = sync->rcv_nxt != 0 ? sync->rcv_nxt : sync->irs + 1 + (peer_fin ? 1u : 0u);
    ep->snd_una = ep->snd_nxt = ep->snd_max = snd;
    p->snd_base = snd;
    ep->rcv_nxt = rcv;
    ep->snd_wnd = sync->snd_wnd != 0 ? sync->snd_wnd : 65535u;
    p->max_snd_wnd = ep->snd_wnd;
    ep->snd_wl1 = rcv;
    ep->snd_wl2 = snd;
    switch (sync->state) {
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
        ep->snd_una = ep->snd_nxt = ep->snd_max = 0;
        ep->rcv_nxt = 0;
        break;
    case TCPSIM_TCP_SYN_SENT:
        tcpsim__set_iss(ep, sync->iss, now);
        ep->rcv_nxt = 0;
        ep->snd_wnd = 0;
        break;
    case TCPSIM_TCP_SYN_RECEIVED:
        tcpsim__set_iss(ep, sync->iss, now);
        ep->rcv_nxt = sync->irs + 1;
        break;
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        break;
    }
    if (our_fin) {
        ep->fin_queued = ep->fin_sent = true;
        ep->fin_seq = snd - 1;
        p->snd_base = snd - 1;
        if (!our_fin_acked)
            ep->snd_una = snd - 1;
    }
    if (peer_fin)
        p->peer_fin = true;
    ep->state = sync->state;
    tcpsim__rcv_update_wnd(ep);
    if (sync->rcv_wnd != 0 && sync->rcv_wnd < ep->rcv_wnd && !p->observer)
        p->rcv_cap = p->rcv_q + sync->rcv_wnd; /* a smaller buffer gives the asked-for window */
    if (p->observer && sync->rcv_wnd != 0) {
        p->obs_edge = ep->rcv_nxt + sync->rcv_wnd;
        p->obs_edge_set = true;
    }
    tcpsim__rcv_update_wnd(ep);
    p->rcv_adv = ep->rcv_nxt + ep->rcv_wnd;
    p->last_ack_sent = ep->rcv_nxt;
    tcpsim__cc_init(ep);
    if (ep->state == TCPSIM_TCP_TIME_WAIT)
        ep->t_time_wait = now + 2 * ep->cfg.msl;
    tcpsim__timers_update(ep, now);
    return TCPSIM_OK;
}
