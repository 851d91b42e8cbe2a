/* tcpsim/timeline.h - what happened on one connection, as a stream of events.
 * The simulator and the replay observer produce these; every view (ladder,
 * JSON, Mermaid, DOT, HTML) consumes them through a tcpsim_tl_sink. Events
 * carry no owned memory: pointers are valid only during the sink call. */
#ifndef TCPSIM_TIMELINE_H
#define TCPSIM_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpsim/tcp.h"
#include "tcpsim/wire.h"

struct tcpsim_tls_explain; /* tls.h */

enum tcpsim_side {
    TCPSIM_SIDE_CLIENT = 0, /* left column; replay: sender of the first SYN */
    TCPSIM_SIDE_SERVER = 1, /* right column */
};

/* Wireshark tcp.analysis.* flags (bit per name, see tcpsim_analysis_name). */
#define TCPSIM_AN_RETRANSMISSION          (1u << 0)
#define TCPSIM_AN_FAST_RETRANSMISSION     (1u << 1)
#define TCPSIM_AN_SPURIOUS_RETRANSMISSION (1u << 2)
#define TCPSIM_AN_OUT_OF_ORDER            (1u << 3)
#define TCPSIM_AN_LOST_SEGMENT            (1u << 4)
#define TCPSIM_AN_ACK_LOST_SEGMENT        (1u << 5)
#define TCPSIM_AN_DUPLICATE_ACK           (1u << 6)
#define TCPSIM_AN_ZERO_WINDOW             (1u << 7)
#define TCPSIM_AN_ZERO_WINDOW_PROBE       (1u << 8)
#define TCPSIM_AN_ZERO_WINDOW_PROBE_ACK   (1u << 9)
#define TCPSIM_AN_KEEP_ALIVE              (1u << 10)
#define TCPSIM_AN_KEEP_ALIVE_ACK          (1u << 11)
#define TCPSIM_AN_WINDOW_UPDATE           (1u << 12)
#define TCPSIM_AN_WINDOW_FULL             (1u << 13)
#define TCPSIM_AN_REUSED_PORTS            (1u << 14)
#define TCPSIM_AN_COUNT                   15

/* A TLS item carried by a segment (its last byte arrived in this segment). */
struct tcpsim_tl_tls {
    enum tcpsim_side dir;
    const char *record;    /* "handshake", "change_cipher_spec", "alert", "application_data", "heartbeat" */
    const char *handshake; /* "ClientHello", ..., "encrypted", or NULL */
    const char *explain;   /* one line for people: "offers 31 cipher suites, ..." (may be NULL) */
    /* The same explanation as an id with parameters (tls.h), so a view can say
     * it in another language (i18n.h); NULL when the source has none. */
    const struct tcpsim_tls_explain *why;
};

enum tcpsim_tl_kind {
    TCPSIM_TL_BEGIN,   /* a connection starts: names, initial states */
    TCPSIM_TL_SEGMENT, /* a segment sent (and, unless dropped, arrived) */
    TCPSIM_TL_STATE,   /* an endpoint changed state */
    TCPSIM_TL_NOTE,    /* a remark about one side (timer fired, challenge ACK, error) */
    TCPSIM_TL_END,     /* the connection's timeline is complete */
};

struct tcpsim_tl_begin {
    unsigned conn;            /* connection index (replay: tcp.stream) */
    const char *client_label; /* "client 10.0.0.1:40000" */
    const char *server_label;
    enum tcpsim_tcp_state client_state, server_state;
    bool inferred;                   /* states guessed (capture started mid-connection) */
    uint32_t client_isn, server_isn; /* for relative numbers; valid when *_isn_known */
    bool client_isn_known, server_isn_known;
};

struct tcpsim_tl_segment {
    uint64_t frame; /* capture frame number (1-based, Wireshark's frame.number);
                       simulation: its record in the sender-side capture */
    enum tcpsim_side from;
    tcpsim_time_t t_sent;    /* simulation: send time; replay: capture time */
    tcpsim_time_t t_arrived; /* TCPSIM_TIME_NEVER when dropped / unknown */
    const struct tcpsim_segment *seg;
    bool rel_seq_known, rel_ack_known;
    uint32_t rel_seq, rel_ack;
    uint64_t win;        /* after window scaling when known */
    bool dropped;        /* simulation: lost on the link */
    bool duplicated;     /* simulation: a duplicate made by the link */
    bool retransmission; /* the sender retransmitted it */
    uint32_t analysis;   /* TCPSIM_AN_* */
    const struct tcpsim_tl_tls *tls;
    size_t ntls;
};

struct tcpsim_tl_state {
    enum tcpsim_side side;
    tcpsim_time_t at;
    uint64_t frame; /* replay: the frame that caused it */
    enum tcpsim_tcp_state from, to;
    enum tcpsim_tcp_why why;
};

#define TCPSIM_TL_NOTE_ARGS 4
struct tcpsim_tl_note {
    enum tcpsim_side side;
    tcpsim_time_t at;
    enum tcpsim_tcp_why why; /* TCPSIM_WHY_NONE when `text` says it all */
    const char *text;        /* extra words, in English (may be NULL) */
    /* `text` as a message id of the catalogues (i18n.h) and its arguments
     * {1}..{4}, so that views can say it in the reader's language; NULL when
     * `text` is all there is (an argument "@key" is itself translated). */
    const char *msg;
    const char *args[TCPSIM_TL_NOTE_ARGS];
    size_t nargs;
};

struct tcpsim_tl_event {
    enum tcpsim_tl_kind kind;
    union {
        struct tcpsim_tl_begin begin;
        struct tcpsim_tl_segment segment;
        struct tcpsim_tl_state state;
        struct tcpsim_tl_note note;
    } u;
};

struct tcpsim_tl_sink {
    void (*event)(void *ctx, const struct tcpsim_tl_event *ev);
    void *ctx;
};

static inline void tcpsim_tl_emit(const struct tcpsim_tl_sink *s, const struct tcpsim_tl_event *ev)
{
    if (s && s->event)
        s->event(s->ctx, ev);
}

/* "retransmission", "fast_retransmission", ... for bit index 0..TCPSIM_AN_COUNT-1. */
const char *tcpsim_analysis_name(unsigned bit);

#endif
