/* replay_priv.h - the replayer's own state, shared by the files of src/replay
 * that work on it: replay.c (the per-packet path, the output FIFO), tlsglue.c
 * (TLS decoding of a connection's streams). Not installed. */
#ifndef TCPSIM_REPLAY_PRIV_H
#define TCPSIM_REPLAY_PRIV_H

#include "replay/flow.h"
#include "replay/replay.h"

/* The TLS items one segment completed: collected by the decoder's callback
 * while tcpsim_tls_feed runs, handed to the views with the segment. */
struct tls_scratch {
    size_t n;
    uint32_t dropped;
    bool collect; /* false: items only go to the summary */
    struct tcpsim_tl_tls it[TCPSIM_RP_MAX_TLS];
    struct tcpsim_tls_explain why[TCPSIM_RP_MAX_TLS]; /* it[i].why: the explanation as an id (i18n) */
    size_t json_len, arena_len;
    char json[TCPSIM_RP_TLS_ARENA];  /* "{...},{...}" */
    char arena[TCPSIM_RP_TLS_ARENA]; /* explanations and the strings of their ids' parameters */
    size_t err_len;
    char err[4096]; /* "{"dir":..,"error":..},..." for bytes that are not a record */
};

/* B1: the output FIFO. A segment record whose connection still has an open
 * question (a server that has not answered: LISTEN or a closed port? a FIN in
 * flight: did the peer close first?) waits here, as a struct, with every
 * record behind it (capture order is kept), until the answer comes, its
 * connection ends, or the FIFO holds HOLD_MAX records or HOLD_NS of capture
 * time; then LISTEN is assumed / the FIN delivered (observer.c). */
#define HOLD_MAX 65536u
#define HOLD_NS  ((tcpsim_ns_t)60 * 1000000000u)
#define TLS_RING (1u << 20) /* TLS items, explanations and JSON of held records */

struct held {
    struct tcpsim_rp_segment s;
    struct tcpsim_segment seg;
    struct tcpsim_rp_event ev[TCPSIM_RP_MAX_EVENTS];
    uint32_t slot;
    bool open;               /* its connection had an open question when it was held: a
                              * correction may still reach it. Records held only because
                              * others wait before them cannot be corrected (a later
                              * question applies from its own frame on, observer.c) and
                              * are written without reading their connection again. */
    uint64_t prev;           /* number of the previous held record of the same connection (chain; 0 = none) */
    size_t tls_off, tls_len; /* in the ring: items, their explanation ids, the JSON, then the
                              * strings (per item: explanation, then the id's three parameters) */
};

/* Records are numbered in FIFO order from 1 (q[head] is number `base`): a
 * number stays valid while the queue grows and wraps, and a connection finds
 * its own held records through a chain of numbers (c->held_last, h->prev), so
 * a correction never walks other connections' records. A connection has
 * records held while c->held_last >= base. */
struct hold_fifo {
    struct held *q;
    size_t cap, head, len;
    uint64_t base;
    /* The head's connection was found unresolved while the head was record
     * number `blocked_num`: only a packet of that connection can change that
     * (pump), so other packets do not read its (cold) record again. */
    bool blocked;
    uint64_t blocked_num;
    uint8_t *ring;
    size_t r_head, r_tail, r_live; /* r_live: held records with bytes in the ring */
};

struct tcpsim_replay {
    struct tcpsim_replay_cfg cfg;
    struct hold_fifo fifo;
    struct tcpsim__flowtab ft;
    uint32_t next_id;
    struct tcpsim_rp_summary sum;
    bool have_time;
    tcpsim_ns_t first_ts, last_ts;
    bool finished;
    tcpsim_ns_t next_expire; /* no connection can time out before this (a lower bound) */
    struct tls_scratch tls;
    struct tcpsim_rp_conn *tls_conn; /* the connection the TLS decoder is working for */
    bool filter_view;                /* a BPF filter picks what is written (A8) */
    bool hidden;                     /* the packet being processed does not match it */
};

/* tlsglue.c */
void tcpsim__rp_tls_release(struct tcpsim_rp_conn *c);
void tcpsim__rp_tls_segment(struct tcpsim_replay *rp, struct tcpsim_rp_conn *c, int dir,
                            const struct tcpsim_segment *seg, uint32_t seglen, uint64_t frame, tcpsim_ns_t ts);

#endif
