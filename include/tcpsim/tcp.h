/* tcpsim/tcp.h - one RFC 9293 TCP endpoint, pure and deterministic.
 * Read first: RFC 9293 §3.3.2 (state diagram), §3.4 (sequence numbers),
 * §3.10 (event processing), RFC 5961 (challenge ACKs), RFC 6298 (RTO),
 * RFC 7323 (window scale, timestamps), RFC 2018 (SACK), RFC 1122 (keep-alive).
 *
 * The endpoint is a function of (state, event, now): every entry point takes the
 * current time and appends what happened to a caller-owned tcpsim_tcp_out:
 * segments to transmit, data delivered, state transitions (with RFC rule and a
 * one-line reason), user-visible errors and notes. It does no I/O and reads no
 * clock. The simulator, the script runner and the replay observer all drive it. */
#ifndef TCPSIM_TCP_H
#define TCPSIM_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpsim/error.h"
#include "tcpsim/tcp_why.h"
#include "tcpsim/wire.h"

/* ---- time ---- */
typedef uint64_t tcpsim_time_t; /* microseconds (virtual time or capture time) */
#define TCPSIM_TIME_NEVER UINT64_MAX
#define TCPSIM_USEC(x)    ((tcpsim_time_t)(x))
#define TCPSIM_MSEC(x)    ((tcpsim_time_t)(x)*1000u)
#define TCPSIM_SEC(x)     ((tcpsim_time_t)(x)*1000000u)

/* ---- sequence arithmetic modulo 2^32 (RFC 9293 §3.4) ---- */
static inline bool tcpsim_seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}
static inline bool tcpsim_seq_leq(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) <= 0;
}
static inline bool tcpsim_seq_gt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}
static inline bool tcpsim_seq_geq(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0;
}
/* lo <= x < hi, modulo 2^32 */
static inline bool tcpsim_seq_between(uint32_t lo, uint32_t x, uint32_t hi)
{
    return (uint32_t)(x - lo) < (uint32_t)(hi - lo);
}

/* ---- states (RFC 9293 §3.3.2) ---- */
enum tcpsim_tcp_state {
    TCPSIM_TCP_CLOSED,
    TCPSIM_TCP_LISTEN,
    TCPSIM_TCP_SYN_SENT,
    TCPSIM_TCP_SYN_RECEIVED,
    TCPSIM_TCP_ESTABLISHED,
    TCPSIM_TCP_FIN_WAIT_1,
    TCPSIM_TCP_FIN_WAIT_2,
    TCPSIM_TCP_CLOSE_WAIT,
    TCPSIM_TCP_CLOSING,
    TCPSIM_TCP_LAST_ACK,
    TCPSIM_TCP_TIME_WAIT,
};
#define TCPSIM_TCP_NSTATES 11

/* "SYN_RECEIVED" etc. (the names of the replay JSON contract). */
const char *tcpsim_tcp_state_name(enum tcpsim_tcp_state s);
/* Parse a state name (case-insensitive, also accepts "SYN-RECEIVED"). */
bool tcpsim_tcp_state_parse(const char *name, enum tcpsim_tcp_state *s);
/* True for ESTABLISHED and later (RFC 9293 "synchronized states"). Inline:
 * the replay observer asks several times per segment; the switch folds into
 * one comparison. */
static inline bool tcpsim_tcp_state_synchronized(enum tcpsim_tcp_state s)
{
    switch (s) {
    case TCPSIM_TCP_CLOSED:
    case TCPSIM_TCP_LISTEN:
    case TCPSIM_TCP_SYN_SENT:
    case TCPSIM_TCP_SYN_RECEIVED:
        return false;
    case TCPSIM_TCP_ESTABLISHED:
    case TCPSIM_TCP_FIN_WAIT_1:
    case TCPSIM_TCP_FIN_WAIT_2:
    case TCPSIM_TCP_CLOSE_WAIT:
    case TCPSIM_TCP_CLOSING:
    case TCPSIM_TCP_LAST_ACK:
    case TCPSIM_TCP_TIME_WAIT:
        return true;
    }
    return false;
}

/* ---- configuration ---- */
enum tcpsim_tcp_profile {
    TCPSIM_PROFILE_RFC,   /* plain RFC 9293 choices (simulator default) */
    TCPSIM_PROFILE_LINUX, /* what Linux does where the RFC leaves it open (script runner) */
};

struct tcpsim_tcp_endpoint;

struct tcpsim_tcp_config {
    enum tcpsim_tcp_profile profile;
    /* ISN: isn_fn when set, else `iss` (deterministic tests). */
    uint32_t iss;
    uint32_t (*isn_fn)(void *ctx, tcpsim_time_t now);
    void *isn_ctx;
    uint16_t mss;                       /* MSS we advertise; also caps what we send (default 1460) */
    bool opt_wscale;                    /* offer window scaling (default true) */
    uint8_t wscale;                     /* our shift count (default 7; Linux profile 8) */
    bool opt_sack;                      /* offer SACK-permitted (default true) */
    bool opt_ts;                        /* offer timestamps (default true) */
    uint32_t rcv_buf;                   /* receive buffer: the most we advertise (default 65535) */
    uint32_t snd_buf;                   /* send buffer capacity (default 1 MiB) */
    bool store_data;                    /* keep payload bytes (default true); false counts bytes only */
    tcpsim_time_t rto_initial;          /* RFC 6298: 1 s */
    tcpsim_time_t rto_min;              /* RFC 6298: 1 s (Linux: 200 ms) */
    tcpsim_time_t rto_max;              /* 60 s (Linux: 120 s) */
    unsigned syn_retries;               /* SYN / SYN-ACK retransmissions before giving up (default 5; Linux 6) */
    unsigned max_retries;               /* data/FIN retransmissions before aborting (default 8; Linux 15) */
    tcpsim_time_t msl;                  /* Maximum Segment Lifetime; TIME_WAIT lasts 2*MSL (default 60 s) */
    bool challenge_ack;                 /* RFC 5961 challenge ACKs (default true) */
    bool keepalive;                     /* RFC 1122 §4.2.3.6, off by default */
    tcpsim_time_t ka_idle, ka_interval; /* defaults 2 h, 75 s */
    unsigned ka_probes;                 /* default 9 */
    bool rst_on_close_unread;           /* close() with unread data sends RST (Linux profile) */
    bool tw_reopen;                     /* RFC 6191: a new SYN above RCV.NXT reopens from TIME_WAIT */
    /* Added by the tcp module (all zero = off): */
    tcpsim_time_t fin_wait2_timeout; /* orphaned FIN_WAIT_2 (after close()) -> CLOSED; 0 = never (RFC), Linux 60 s */
    bool cc;            /* RFC 5681 congestion control (default true; false: only the peer's window limits) */
    unsigned init_cwnd; /* initial window in segments; 0 = RFC 5681 §3.1 rule (2-4); Linux profile 10 (RFC 6928) */
    bool paws;          /* RFC 7323 §5 PAWS when timestamps are in use (default true) */
    /* Floor for the peer's MSS (RFC 9293 §3.7.1 sets none; a tiny MSS would make
     * absurdly small segments). RFC profile 88 (Linux's old TCP_MIN_MSS), Linux
     * profile 48 (net.ipv4.tcp_min_snd_mss since 5.2); 0 = no floor. */
    uint16_t min_snd_mss;
    /* A passive observer (the replayer's endpoints, docs/design.md "Shortcuts of
     * the one model"): the same state machine without its side work. No
     * segment is built (out->seg stays empty; an ACK it would send still counts
     * as sent: RFC 7323 §4.3 Last.ACK.sent), no timer is armed or run, no RTT
     * is sampled (tcpsim_tcp_next_timeout answers TCPSIM_TIME_NEVER,
     * tcpsim_tcp_timeout does nothing) and no congestion window is kept (cwnd
     * and ssthresh stay 0: they would limit nothing it does; fast recovery,
     * in_recovery and recover, is kept, as it decides the ACKs it would send). It is driven only by a passive OPEN,
     * tcpsim_tcp_observe_sent, tcpsim_tcp_segment_arrives, the fast paths and
     * tcpsim_tcp_force_state: SEND, RECEIVE, CLOSE, SHUTDOWN, ABORT and an
     * active OPEN are refused with ERR_INVALID (it never holds data to send).
     * Its states, transitions, notes and errors, and its sequence, window and
     * option variables, are those of the same endpoint without the flag
     * (tests/replay/test_replay_obs.c). Default false. */
    bool observer;
};

/* Fill `c` with the defaults of a profile. */
void tcpsim_tcp_config_default(struct tcpsim_tcp_config *c, enum tcpsim_tcp_profile p);

/* ---- outputs ---- */
#define TCPSIM_TCP_OUT_SEGS  64
#define TCPSIM_TCP_OUT_TRANS 8
#define TCPSIM_TCP_OUT_DELIV 16
#define TCPSIM_TCP_OUT_ERRS  4
#define TCPSIM_TCP_OUT_NOTES 16

/* A segment to transmit. seg.payload points into the endpoint's send buffer
 * and stays valid until the next call on that endpoint (NULL when the
 * endpoint does not store data; payload_len is still right). */
struct tcpsim_tcp_tx {
    struct tcpsim_segment seg;
    bool retransmission;
    enum tcpsim_tcp_why why; /* why it was sent (e.g. TCPSIM_WHY_CHALLENGE_ACK) */
};

struct tcpsim_tcp_transition {
    enum tcpsim_tcp_state from, to;
    enum tcpsim_tcp_why why; /* rule and reason: tcpsim_tcp_why_rule / _text */
    tcpsim_time_t at;
};

/* In-order payload handed to the user side (the receive buffer). */
struct tcpsim_tcp_delivery {
    uint32_t seq;
    const uint8_t *data; /* NULL when the endpoint does not store data */
    size_t len;
};

/* A decision worth showing that is not a transition: a dropped segment, a
 * challenge ACK, a timer firing, a user call refused ... */
struct tcpsim_tcp_note {
    enum tcpsim_tcp_why why;
    tcpsim_time_t at;
};

struct tcpsim_tcp_out {
    size_t nseg, ntrans, ndeliv, nerr, nnote;
    size_t dropped_notes; /* notes that did not fit */
    size_t dropped_segs;  /* segments that did not fit (the endpoint sends them later where it can) */
    struct tcpsim_tcp_tx seg[TCPSIM_TCP_OUT_SEGS];
    struct tcpsim_tcp_transition trans[TCPSIM_TCP_OUT_TRANS];
    struct tcpsim_tcp_delivery deliv[TCPSIM_TCP_OUT_DELIV];
    enum tcpsim_err err[TCPSIM_TCP_OUT_ERRS]; /* ERR_REFUSED, ERR_RESET, ERR_TIMEDOUT, ERR_CLOSING */
    struct tcpsim_tcp_note note[TCPSIM_TCP_OUT_NOTES];
};

void tcpsim_tcp_out_reset(struct tcpsim_tcp_out *out);

/* ---- implementation state (src/tcp only) ----
 * Declared here only so that it can live inside the endpoint (no separate
 * allocation, no pointer chase per segment); callers must not touch it. */
#define TCPSIM_TCP_OOO_MAX 8 /* out-of-order queue entries (bounded, RFC 9293 §3.10.7.4 seventh step) */

struct tcpsim_tcp_ooo {
    uint32_t seq; /* first byte */
    uint32_t len; /* payload bytes */
    bool fin;     /* a FIN follows the last byte */
};

struct tcpsim_tcp_priv {
    /* hot: read on every segment an observer sees */
    bool live;     /* tcpsim_tcp_init done, tcpsim_tcp_free not yet */
    bool observer; /* passive replay (tcpsim_tcp_observe_sent seen) */
    bool obs_edge_set;
    bool ws_unknown;        /* started mid-stream (force_state): the window scale was never seen */
    bool peer_fin;          /* peer's FIN received in order */
    bool ack_pending;       /* an ACK must go out at the end of this event */
    bool rtt_pending;       /* RTT measurement in progress (RFC 6298 §3, Karn: never on a retransmission) */
    bool syn_rtx;           /* our SYN / SYN-ACK was retransmitted (RFC 6298 (5.7)) */
    uint32_t obs_edge;      /* observer: right edge of the window seen advertised */
    uint32_t rcv_q;         /* readable bytes at [0, rcv_q) of rbuf */
    uint32_t rcv_adv;       /* right edge of the window we last advertised */
    uint32_t last_ack_sent; /* RFC 7323 §4.3 Last.ACK.sent */
    uint32_t max_snd_wnd;   /* RFC 5961 §5.2 MAX.SND.WND */
    uint32_t rtt_seq;
    /* send queue: bytes [snd_off, snd_off + snd_q) of sbuf, first one at
     * sequence snd_base (unacknowledged, then unsent); counts only without store_data */
    uint32_t snd_off, snd_q, snd_base;
    unsigned nooo;
    enum tcpsim_tcp_why ack_why;
    unsigned persist_backoff;
    unsigned ka_sent; /* keep-alive probes without answer */
    tcpsim_time_t rtt_sent;
    tcpsim_time_t t_fin_wait2;
    /* what the peer offered on its SYN (RFC 7323, RFC 2018) */
    bool peer_mss_set, peer_ws, peer_sack, peer_ts;
    uint8_t peer_wscale;
    uint16_t peer_mss;
    uint32_t snd_cap, rcv_cap;
    /* buffers (NULL unless cfg.store_data): out-of-order payload is stored
     * in rbuf at rcv_q + (seq - RCV.NXT) */
    uint8_t *sbuf, *rbuf;
    struct tcpsim_tcp_ooo ooo[TCPSIM_TCP_OOO_MAX];
};

/* ---- the endpoint (TCB, RFC 9293 §3.3.1) ----
 * Callers may read these fields; only the functions below change them.
 * Field order is for the cache (the replayer keeps thousands of endpoints
 * and prefetches the lines a segment touches, src/replay/flow.h): the
 * configuration first, as the fields a segment reads of it (cc, paws,
 * observer) are its last bytes; then, from there to the end of the fourth
 * line after it, what every segment touches (state, sequence variables,
 * windows, flags, timers, the private part's own hot fields); then the
 * rest. The asserts below the struct hold the hot span to those lines. */
struct tcpsim_tcp_endpoint {
    struct tcpsim_tcp_config cfg;

    /* ---- hot: from cfg.cc to priv.rbuf ---- */
    enum tcpsim_tcp_state state;
    /* send sequence variables (SND.UP below, with ISS) */
    uint32_t snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2, snd_max;
    /* receive sequence variables (IRS, RCV.UP below) */
    uint32_t rcv_nxt, rcv_wnd;

    /* negotiated options (RFC 7323, RFC 2018) */
    uint32_t ts_recent;
    uint16_t snd_mss;   /* MSS we may send (peer's MSS clamped to ours) */
    bool ws_ok;         /* both sides offered window scaling */
    uint8_t snd_wscale; /* peer's shift (applied to windows we receive) */
    uint8_t rcv_wscale; /* our shift (applied to windows we send) */
    bool sack_ok, ts_ok;

    bool passive; /* reached SYN_RECEIVED from LISTEN (RST returns to LISTEN) */
    /* closing */
    bool fin_queued; /* user called CLOSE / SHUTDOWN(WR); FIN follows queued data */
    bool fin_sent;
    bool user_closed; /* close() (not just shutdown): Linux RSTs later data */
    bool in_recovery; /* fast recovery (RFC 5681 §3.2, RFC 6582 NewReno) until SND.UNA passes `recover` */
    bool rtt_valid;
    uint32_t fin_seq; /* sequence number of our FIN once sent */
    unsigned dup_acks;

    /* congestion control (RFC 5681), when cfg.cc */
    uint32_t cwnd, ssthresh;
    uint32_t recover;
    unsigned backoff; /* consecutive retransmissions of the oldest segment */

    /* timers: absolute deadlines, TCPSIM_TIME_NEVER when off */
    tcpsim_time_t t_rtx, t_time_wait, t_persist, t_keepalive;

    /* implementation state (buffers, RTT sample, out-of-order queue), inside
     * the endpoint; buffers it holds are released by tcpsim_tcp_free (its
     * hot fields first, up to rbuf) */
    struct tcpsim_tcp_priv priv;

    /* ---- cold: the connection's start, the user side, the RTO ---- */
    uint16_t local_port, remote_port;
    uint32_t iss, snd_up; /* send sequence variables */
    uint32_t irs, rcv_up; /* receive sequence variables */
    /* RTO estimator (RFC 6298) */
    tcpsim_time_t srtt, rttvar, rto;
};

/* The span a segment touches, for the replayer's prefetch (flow.h): from the
 * configuration's per-segment fields to the private part's hot end, within
 * four cache lines from offset TCPSIM_TCP_HOT_OFF. */
#define TCPSIM_TCP_HOT_OFF   128u
#define TCPSIM_TCP_HOT_LINES 4u
_Static_assert(offsetof(struct tcpsim_tcp_endpoint, cfg.cc) >= TCPSIM_TCP_HOT_OFF,
               "cfg's per-segment fields start the hot lines");
_Static_assert(offsetof(struct tcpsim_tcp_endpoint, priv.rbuf) + sizeof(uint8_t *) <=
                   TCPSIM_TCP_HOT_OFF + TCPSIM_TCP_HOT_LINES * 64u,
               "the hot fields end within the hot lines");

/* Initialise an endpoint in CLOSED. With cfg.store_data it allocates its send
 * and receive buffers (the only allocation; per-event processing never
 * allocates); without it (an observer) nothing is allocated. */
enum tcpsim_err tcpsim_tcp_init(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_tcp_config *cfg,
                                uint16_t local_port, uint16_t remote_port) TCPSIM_WUR;
/* Initialise `ep` as tcpsim_tcp_init(ep, &tmpl->cfg, local_port, remote_port)
 * would, by copying `tmpl`: an endpoint fresh from tcpsim_tcp_init without
 * buffers (cfg.store_data false) on which nothing else has been called, or
 * nothing but a passive tcpsim_tcp_open (then `ep` is as after init and that
 * OPEN, in LISTEN). For callers that make many endpoints of one configuration
 * (the replayer, two per connection). ERR_INVALID when `tmpl` is not such an
 * endpoint (as far as can be seen: live, CLOSED or passive LISTEN, no buffers,
 * never observed). */
enum tcpsim_err tcpsim_tcp_init_copy(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_tcp_endpoint *tmpl,
                                     uint16_t local_port, uint16_t remote_port) TCPSIM_WUR;
void tcpsim_tcp_free(struct tcpsim_tcp_endpoint *ep);

/* ---- user calls (RFC 9293 §3.10.1 - §3.10.5) ---- */
/* OPEN: active (send SYN, -> SYN_SENT) or passive (-> LISTEN). */
enum tcpsim_err tcpsim_tcp_open(struct tcpsim_tcp_endpoint *ep, bool active, tcpsim_time_t now,
                                struct tcpsim_tcp_out *out);
/* SEND: queue up to len bytes (data may be NULL when !store_data); *accepted
 * says how many fit in the send buffer. Sends what the window allows.
 * ERR_NOTCONN in CLOSED, ERR_CLOSING after CLOSE/SHUTDOWN, ERR_WOULDBLOCK when
 * the send buffer is full. */
enum tcpsim_err tcpsim_tcp_send(struct tcpsim_tcp_endpoint *ep, const void *data, size_t len, size_t *accepted,
                                tcpsim_time_t now, struct tcpsim_tcp_out *out);
/* RECEIVE: take up to cap bytes of in-order data (buf may be NULL to discard);
 * opening the window may send a window update. ERR_CLOSING once the peer's FIN
 * has been consumed and nothing is left; ERR_WOULDBLOCK when nothing is there
 * yet (*got = 0); ERR_NOTCONN in CLOSED. */
enum tcpsim_err tcpsim_tcp_receive(struct tcpsim_tcp_endpoint *ep, void *buf, size_t cap, size_t *got,
                                   tcpsim_time_t now, struct tcpsim_tcp_out *out);
/* Bytes waiting to be read. */
size_t tcpsim_tcp_readable(const struct tcpsim_tcp_endpoint *ep);
/* True once the peer's FIN has been received in order. */
bool tcpsim_tcp_peer_closed(const struct tcpsim_tcp_endpoint *ep);
/* CLOSE (RFC 9293 §3.10.4): no more data from us; FIN after queued data. */
enum tcpsim_err tcpsim_tcp_close(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out);
/* SHUTDOWN of the send side only (half-close): like CLOSE, but the user keeps reading. */
enum tcpsim_err tcpsim_tcp_shutdown(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out);
/* ABORT (RFC 9293 §3.10.5): RST in synchronized states, -> CLOSED. */
enum tcpsim_err tcpsim_tcp_abort(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out);

/* ---- SEGMENT ARRIVES (RFC 9293 §3.10.7) ---- */
enum tcpsim_err tcpsim_tcp_segment_arrives(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg,
                                           tcpsim_time_t now, struct tcpsim_tcp_out *out);

/* ---- timeouts (RFC 9293 §3.10.8) ---- */
/* Earliest pending deadline, or TCPSIM_TIME_NEVER. */
tcpsim_time_t tcpsim_tcp_next_timeout(const struct tcpsim_tcp_endpoint *ep);
/* Run every timer due at or before `now` (retransmission, TIME_WAIT, persist,
 * keep-alive). */
void tcpsim_tcp_timeout(struct tcpsim_tcp_endpoint *ep, tcpsim_time_t now, struct tcpsim_tcp_out *out);

/* ---- passive observation (replay) ----
 * Tell the endpoint that it transmitted `seg` (seen in a capture). The same
 * rules as the user calls apply: a SYN from CLOSED is an active OPEN with
 * ISS = SEG.SEQ, a SYN-ACK in SYN_RECEIVED fixes the ISS, a FIN is a CLOSE,
 * an RST an ABORT; SND.NXT/SND.MAX advance. Transitions are appended to out.
 * Once an endpoint has been told about a sent segment it is an observer: its
 * receive window follows the windows it was seen to advertise, delivered data
 * counts as read at the next call, and it runs no retransmission, persist or
 * keep-alive timers (TIME_WAIT still expires). An ACK it is seen to send past
 * RCV.NXT (data the capture missed) brings RCV.NXT up to date. Odd segments
 * leave the state as it is and add a TCPSIM_WHY_OBSERVE_* note; it never fails
 * on capture input (only ERR_INVALID for NULL arguments). An observer builds
 * no segments of its own (out->seg stays empty: what it sent is in the
 * capture); the ACKs it would have sent still count as sent (RFC 7323 §4.3
 * Last.ACK.sent). */
enum tcpsim_err tcpsim_tcp_observe_sent(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg,
                                        tcpsim_time_t now, struct tcpsim_tcp_out *out);

/* Header prediction for a passive observer (RFC 1323 appendix A, as BSD
 * tcp_input and Linux tcp_rcv_established do it): `seg` was captured going
 * from `snd` to `rcv`. When both are ESTABLISHED observers and the segment is
 * the common case (ACK or PSH|ACK only, SEG.SEQ = SND.NXT of the sender =
 * RCV.NXT of the receiver, inside its window, SND.UNA <= SEG.ACK <= SND.NXT,
 * not a duplicate ACK, no PAWS drop, no out-of-order queue, nothing to catch
 * up) it applies exactly what tcpsim_tcp_observe_sent(snd) followed by
 * tcpsim_tcp_segment_arrives(rcv) would, and returns true; in that case those
 * calls would report no transition, note, error or segment (the in-order
 * delivery they report is not). Otherwise it returns false and the caller
 * runs the full path (the receiver may have consumed its readable bytes and
 * recomputed RCV.WND, which the full path does first anyway). */
bool tcpsim_tcp_fast_path(struct tcpsim_tcp_endpoint *snd, struct tcpsim_tcp_endpoint *rcv,
                          const struct tcpsim_segment *seg, tcpsim_time_t now);

/* tcpsim_tcp_fast_path for `seg` from ep[dir] to ep[!dir], both already known
 * to be live endpoints without buffers (no cfg.store_data: the replay's
 * observer makes all of its endpoints so): the same result without the
 * checks the caller has made once for the connection. */
bool tcpsim_tcp_fast_path_obs(struct tcpsim_tcp_endpoint ep[2], int dir, const struct tcpsim_segment *seg,
                              tcpsim_time_t now);

/* SEGMENT ARRIVES (RFC 9293 §3.10.7.4) for a pure ACK, the segment that ends
 * the handshake and the close: ACK or PSH|ACK without payload at RCV.NXT, to
 * an observer without buffers in SYN_RECEIVED or a synchronized state other
 * than TIME_WAIT: the handshake's last ACK (SYN_RECEIVED -> ESTABLISHED), the
 * ACK of a FIN (FIN_WAIT_1 -> FIN_WAIT_2, CLOSING -> TIME_WAIT, LAST_ACK ->
 * CLOSED) and other pure ACKs; and a FIN (FIN|ACK, optionally PSH, without
 * payload) at RCV.NXT in an open window to one in ESTABLISHED, FIN_WAIT_1 or
 * FIN_WAIT_2 with nothing queued out of order (-> CLOSE_WAIT, CLOSING,
 * TIME_WAIT; with the ACK of its own FIN first where it carries one); as long
 * as the full path would report nothing but transitions (no duplicate ACK, no
 * catch-up, no PAWS drop, nothing too old, not in fast recovery, nothing past
 * SND.NXT). Then it does exactly what
 * tcpsim_tcp_segment_arrives would, appends the same transitions to `out`
 * (not reset) and returns true; else it returns false with nothing changed
 * and the caller runs tcpsim_tcp_segment_arrives. */
bool tcpsim_tcp_arrives_fast(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, tcpsim_time_t now,
                             struct tcpsim_tcp_out *out);

/* Header prediction for a pure ACK (ACK or PSH|ACK, no payload) that
 * tcpsim_tcp_fast_path did not take: the sender an observer without buffers
 * in a synchronized state, at its SND.NXT, acknowledging nothing past its
 * RCV.NXT; the receiver as tcpsim_tcp_arrives_fast takes it. Then both
 * endpoints end as tcpsim_tcp_observe_sent(snd) followed by
 * tcpsim_tcp_segment_arrives(rcv) would leave them, the receiver's transitions
 * are appended to `out` (the sender makes none) and it returns true. Else it
 * returns false with nothing changed and the caller runs the full path. */
bool tcpsim_tcp_fast_path_out(struct tcpsim_tcp_endpoint *snd, struct tcpsim_tcp_endpoint *rcv,
                              const struct tcpsim_segment *seg, tcpsim_time_t now, struct tcpsim_tcp_out *out);

/* The server's side of an observed handshake in one step: a copy of `tmpl`
 * (as tcpsim_tcp_init_copy takes it: made by tcpsim_tcp_init and a passive
 * OPEN, here of a cfg.observer configuration with cfg.iss and no isn_fn)
 * given the ports, then tcpsim_tcp_segment_arrives(syn) at syn_at, then
 * tcpsim_tcp_observe_sent(synack) at now. When the SYN is a plain one (no
 * ACK, RST, FIN or text, options nothing clamps) and the SYN-ACK carries an
 * ISS other than cfg.iss, it leaves `ep` byte for byte as those three calls
 * would, appends their transitions to `out` (LISTEN -> SYN_RECEIVED at
 * syn_at; the SYN-ACK makes none) and returns true; they would have reported
 * no note, error or segment. Else it returns false with `ep` untouched. */
struct tcpsim_tcp_accept {
    const struct tcpsim_segment *syn, *synack;
    tcpsim_time_t syn_at, now;
    uint16_t local_port, remote_port;
};
bool tcpsim_tcp_accept_observed(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_tcp_endpoint *tmpl,
                                const struct tcpsim_tcp_accept *a, struct tcpsim_tcp_out *out);

/* The client's side of an observed handshake from its start: a copy of
 * `tmpl` (a fresh endpoint in CLOSED made by tcpsim_tcp_init, as
 * tcpsim_tcp_init_copy takes it) given the ports, then
 * tcpsim_tcp_observe_sent(syn) at now, for a SYN without ACK or RST (the
 * active OPEN, RFC 9293 §3.10.1: CLOSED -> SYN_SENT). It leaves `ep` byte for
 * byte as those two calls would, appends the transition to `out` and returns
 * true; that call would have reported nothing else. Else it returns false
 * with `ep` untouched. */
struct tcpsim_tcp_connect {
    const struct tcpsim_segment *syn;
    tcpsim_time_t now;
    uint16_t local_port, remote_port;
};
bool tcpsim_tcp_connect_observed(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_tcp_endpoint *tmpl,
                                 const struct tcpsim_tcp_connect *a, struct tcpsim_tcp_out *out);

/* SEGMENT ARRIVES in SYN_SENT (RFC 9293 §3.10.7.3) for the common SYN-ACK:
 * SYN|ACK without RST, FIN or payload, acknowledging our SYN, with options
 * tcpsim__negotiate clamps nothing of, to an observer without buffers. Then
 * `ep` ends as tcpsim_tcp_segment_arrives would leave it (ESTABLISHED, its
 * ACK counted as sent), the transitions are appended to `out` and it returns
 * true; that call would have reported nothing else. Else it returns false
 * with nothing changed. */
bool tcpsim_tcp_synack_arrives_fast(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, tcpsim_time_t now,
                                    struct tcpsim_tcp_out *out);

/* The sender's step for a FIN without text (FIN|ACK, optionally PSH): an
 * observer without buffers in ESTABLISHED or CLOSE_WAIT that has not sent its
 * FIN, the FIN at SND.NXT with nothing sent past it, acknowledging nothing
 * past RCV.NXT. Then `ep` ends as tcpsim_tcp_observe_sent would leave it
 * (CLOSE, RFC 9293 §3.10.4: -> FIN_WAIT_1 or LAST_ACK), the transition is
 * appended to `out` and it returns true; that call would have reported
 * nothing else. Else it returns false with nothing changed. */
bool tcpsim_tcp_fin_observed(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_segment *seg, tcpsim_time_t now,
                             struct tcpsim_tcp_out *out);

/* The close of an observed connection in one step (RFC 9293 §3.6 case 1),
 * at the peer's FIN-ACK: the closer's FIN `fin` (sent earlier, in flight
 * until now) arrives at the peer at fin_at, the peer sends `reply` at now,
 * and it arrives at the closer at now. When the peer, an observer without
 * buffers in ESTABLISHED, takes the FIN as tcpsim_tcp_arrives_fast would,
 * then sends its FIN-ACK as tcpsim_tcp_fin_observed takes it, and the closer,
 * in FIN_WAIT_1 or FIN_WAIT_2, takes that as tcpsim_tcp_arrives_fast would,
 * both end as tcpsim_tcp_segment_arrives(peer, fin), then
 * tcpsim_tcp_observe_sent(peer, reply) and tcpsim_tcp_segment_arrives(closer,
 * reply) would leave them; the transitions of the three steps are appended to
 * `out` in that order, ntrans[i] of them for step i, and it returns true.
 * Else it returns false with nothing changed. */
struct tcpsim_tcp_close {
    const struct tcpsim_segment *fin, *reply;
    tcpsim_time_t fin_at, now;
};
bool tcpsim_tcp_close_observed(struct tcpsim_tcp_endpoint *closer, struct tcpsim_tcp_endpoint *peer,
                               const struct tcpsim_tcp_close *a, struct tcpsim_tcp_out *out, size_t ntrans[3]);

/* ---- fixtures and mid-stream starts ----
 * Put an endpoint straight into a synchronized state with the given sequence
 * variables (a test fixture, or a capture that starts mid-connection).
 * snd_nxt / rcv_nxt are SND.NXT / RCV.NXT themselves. Where our FIN has been
 * sent it is the last sequence number below SND.NXT (FIN_WAIT_1, CLOSING,
 * LAST_ACK: unacknowledged, SND.UNA = SND.NXT - 1; FIN_WAIT_2, TIME_WAIT:
 * acknowledged); where the peer's FIN has been received (CLOSE_WAIT, CLOSING,
 * LAST_ACK, TIME_WAIT) it was RCV.NXT - 1. Derived defaults (0) count those
 * FINs: SND.NXT = iss + 2, RCV.NXT = irs + 2. SYN_SENT / SYN_RECEIVED / LISTEN /
 * CLOSED are accepted too (SYN or SYN-ACK outstanding, nothing sent). An
 * endpoint that already has a connection keeps what it negotiated (MSS, window
 * scale, SACK, timestamps) and its RTT estimate; a fresh one starts with
 * MSS = cfg.mss and no options. Queued data is dropped. Timers start as the state implies (retransmission while a
 * SYN or FIN is outstanding, 2*MSL in TIME_WAIT). */
struct tcpsim_tcp_sync {
    enum tcpsim_tcp_state state;
    uint32_t iss, irs;         /* SND.UNA = SND.NXT = iss + 1, RCV.NXT = irs + 1 unless set below */
    uint32_t snd_nxt, rcv_nxt; /* 0 = derive from iss / irs */
    uint32_t snd_wnd, rcv_wnd; /* 0 = defaults */
    bool passive;
};
enum tcpsim_err tcpsim_tcp_force_state(struct tcpsim_tcp_endpoint *ep, const struct tcpsim_tcp_sync *sync,
                                       tcpsim_time_t now) TCPSIM_WUR;

#endif
