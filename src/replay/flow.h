/* flow.h - the replay flow table: connections keyed by their 4-tuple (both
 * directions find one entry), an open-addressing index over a pool of
 * connection slots, and idle-timeout classes after Linux nf_conntrack.
 * Read first: reference-facts.md "Passive tracking" (conntrack timeouts). */
#ifndef TCPSIM_REPLAY_FLOW_H
#define TCPSIM_REPLAY_FLOW_H

#include "replay/replay.h"
#include "wire/hint.h"
#include "wire/mem.h"

#include <string.h>

#define TCPSIM__FLOW_NONE  UINT32_MAX
#define TCPSIM__FLOW_CHUNK 1024u

/* Idle-timeout classes: one LRU queue per class, so the oldest connection of
 * each class is at its head and expiry is O(1) per connection. */
enum tcpsim__tclass {
    TCPSIM__TC_SYN_SENT,    /* 2 min */
    TCPSIM__TC_SYN_RECV,    /* 60 s */
    TCPSIM__TC_ESTABLISHED, /* 5 days */
    TCPSIM__TC_FIN_WAIT,    /* 2 min */
    TCPSIM__TC_CLOSE_WAIT,  /* 60 s */
    TCPSIM__TC_LAST_ACK,    /* 30 s */
    TCPSIM__TC_TIME_WAIT,   /* 2 min: closed, kept for late retransmissions */
    TCPSIM__TC_CLOSE,       /* 10 s: reset */
    TCPSIM__TC_COUNT
};

/* An index entry keeps the 4-tuple's hash beside the slot, so probing past
 * other connections, growing and deleting never touch their (cold) slots. */
struct tcpsim__flow_ent {
    uint32_t slot, hash;
};

/* A connection moves to the tail of its LRU queue only when its last activity
 * is this much newer than when it was last placed there (or its class
 * changed): the queues stay ordered to within this, expiry is at most this
 * late, and most packets do not move their connection at all. */
#define TCPSIM__FLOW_LRU_GRAIN ((tcpsim_ns_t)1000000000u)

/* An LRU queue is a ring of (slot, hash) in the order connections were
 * placed at its tail. Moving a connection appends an entry and marks its
 * old one (at c->lru_pos, in the connection's line that the look-ahead
 * hints with its TLS pointer) left: TCPSIM__FLOW_NONE. Left entries are
 * dropped when they reach the head, or all at once when the ring is full
 * and more than three quarters left. So a move writes two small places of
 * the rings and none of the neighbours' (cold) records as a doubly linked
 * list did, and whether an entry is live is read from the entry itself (no
 * per-slot stamp to fetch from elsewhere when expiry walks a queue); the
 * live entries are in exactly the list's order. */
struct tcpsim__lru_ent {
    uint32_t slot; /* NONE: left */
    uint32_t hash; /* its c->hash: expiry hints its index entry from here */
};

struct tcpsim__lruq {
    struct tcpsim__lru_ent *e;
    uint32_t mask, head, len; /* ring of mask + 1 entries */
    uint32_t live;            /* connections in this class */
};

struct tcpsim__flowtab {
    struct tcpsim_rp_conn **chunk; /* slots in chunks of TCPSIM__FLOW_CHUNK that never move */
    uint8_t **mark;                /* a byte per slot for the caller, after each chunk's slots
                                    * (0 when the slot is handed out; replay.c: the connection's
                                    * question is open), read without the connection's lines */
    uint32_t nchunks;
    uint32_t cap, used_hw;          /* slots allocated, high-water mark of slots ever used */
    uint32_t free_head;             /* free list through lru_next */
    uint32_t max;                   /* --max-conns */
    struct tcpsim__flow_ent *index; /* open addressing; slot NONE = empty */
    uint32_t index_mask;
    uint32_t count;
    struct tcpsim__lruq lru[TCPSIM__TC_COUNT];
    uint64_t lru_compactions; /* rings rid of their left entries (tests) */
    uint64_t allocations;
    /* Where the calling thread may prefault (wire/mem.h), a chunk half used
     * has the next one allocated and its pages made by a helper thread. */
    struct tcpsim__prefault pf;
};

static inline struct tcpsim_rp_conn *tcpsim__flow_conn(const struct tcpsim__flowtab *t, uint32_t slot)
{
    return &t->chunk[slot / TCPSIM__FLOW_CHUNK][slot % TCPSIM__FLOW_CHUNK];
}

/* The caller's byte of a slot in use (struct tcpsim__flowtab.mark). */
static inline uint8_t *tcpsim__flow_mark(const struct tcpsim__flowtab *t, uint32_t slot)
{
    return &t->mark[slot / TCPSIM__FLOW_CHUNK][slot % TCPSIM__FLOW_CHUNK];
}

struct tcpsim__key {
    const struct tcpsim_ip_addr *a, *b;
    uint16_t pa, pb;
};

/* Same address (family and bytes). */
static inline bool tcpsim__flow_addr_eq(const struct tcpsim_ip_addr *x, const struct tcpsim_ip_addr *y)
{
    if (x->family != y->family)
        return false;
    if (x->family != 6) { /* fixed-size compares: no memcmp call per packet */
        uint32_t u, v;
        memcpy(&u, x->a, 4);
        memcpy(&v, y->a, 4);
        return u == v;
    }
    uint64_t u[2], v[2];
    memcpy(u, x->a, 16);
    memcpy(v, y->a, 16);
    return u[0] == v[0] && u[1] == v[1];
}

/* The connection with this 4-tuple in either direction (its slot in *slot),
 * or NULL; `hash` is tcpsim__flow_hash(k) (computed once, by the reader's
 * thread). When found, *dir is 0 when k->a/k->pa are the connection's
 * addr[0]/port[0] (the first compare decides when both orders match, as for
 * a connection from an endpoint to itself), else 1. Inline: every packet
 * looks its connection up, and the probe is a few compares. */
static inline struct tcpsim_rp_conn *tcpsim__flow_find(const struct tcpsim__flowtab *t, const struct tcpsim__key *k,
                                                       uint32_t hash, uint32_t *slot, int *dir)
{
    for (uint32_t i = hash & t->index_mask;; i = (i + 1) & t->index_mask) {
        const struct tcpsim__flow_ent *e = &t->index[i];
        if (e->slot == TCPSIM__FLOW_NONE)
            return NULL;
        if (e->hash != hash)
            continue;
        struct tcpsim_rp_conn *c = tcpsim__flow_conn(t, e->slot);
        if (c->port[0] == k->pa && c->port[1] == k->pb && tcpsim__flow_addr_eq(&c->addr[0], k->a) &&
            tcpsim__flow_addr_eq(&c->addr[1], k->b)) {
            *slot = e->slot;
            *dir = 0;
            return c;
        }
        if (c->port[1] == k->pa && c->port[0] == k->pb && tcpsim__flow_addr_eq(&c->addr[1], k->a) &&
            tcpsim__flow_addr_eq(&c->addr[0], k->b)) {
            *slot = e->slot;
            *dir = 1;
            return c;
        }
    }
}

#ifndef __SIZEOF_INT128__
static inline uint64_t tcpsim__flow_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}
#endif

/* Multiply and fold (wyhash's "mum"): one 64x64->128 multiply mixes every
 * input bit into the low half the index uses. */
static inline uint64_t tcpsim__flow_mum(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
    unsigned __int128 r = (unsigned __int128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    return tcpsim__flow_mix64(a ^ tcpsim__flow_mix64(b));
#endif
}

/* One endpoint as 64 bits: IPv4 address and port side by side (exact);
 * IPv6 folded. */
static inline uint64_t tcpsim__flow_ep_word(const struct tcpsim_ip_addr *a, uint16_t port)
{
    if (a->family != 6) {
        uint32_t v4;
        memcpy(&v4, a->a, 4);
        return (uint64_t)v4 << 16 | port;
    }
    uint64_t lo, hi;
    memcpy(&lo, a->a, 8);
    memcpy(&hi, a->a + 8, 8);
    return tcpsim__flow_mum(lo ^ 0xa0761d6478bd642fULL, hi ^ 0xe7037ed1a0b428dbULL) ^ ((uint64_t)port << 48 | 6u);
}

/* The 4-tuple's index hash. Symmetric: both directions of a connection hash
 * alike (the two endpoints in a fixed order), then one multiply-fold. Inline:
 * the reader's thread computes it for every TCP record (tcpsim__rp_decode). */
static inline uint32_t tcpsim__flow_hash(const struct tcpsim__key *k)
{
    uint64_t x = tcpsim__flow_ep_word(k->a, k->pa), y = tcpsim__flow_ep_word(k->b, k->pb);
    uint64_t lo = x < y ? x : y, hi = x < y ? y : x;
    uint64_t h = tcpsim__flow_mum(lo ^ 0x8ebc6af09c88c6e3ULL, hi ^ 0x589965cc75374cc3ULL);
    return (uint32_t)(h ^ h >> 32);
}

bool tcpsim__flow_init(struct tcpsim__flowtab *t, uint32_t max);
void tcpsim__flow_free(struct tcpsim__flowtab *t);
/* A zeroed slot (all but c->ep[], c->pend.syn and c->pfin, which the
 * observer writes whole before it reads them: see flow.c), entered under the 4-tuple of
 * c->addr/c->port (set them after: call tcpsim__flow_insert with their
 * tcpsim__flow_hash). NONE when full (caller evicts first). */
uint32_t tcpsim__flow_alloc(struct tcpsim__flowtab *t);
void tcpsim__flow_insert(struct tcpsim__flowtab *t, uint32_t slot, uint32_t hash);
/* Take the connection out of the index and its LRU queue; the slot is freed. */
void tcpsim__flow_remove(struct tcpsim__flowtab *t, uint32_t slot);
/* Activity at `now` (c->end) of the connection c in `slot`: move it to the
 * tail of the queue of its (new) class when the class changed or
 * TCPSIM__FLOW_LRU_GRAIN has passed (tcpsim__flow_touch_c tests that inline,
 * tcpsim__flow_move does the move). */
void tcpsim__flow_move(struct tcpsim__flowtab *t, uint32_t slot, struct tcpsim_rp_conn *c, enum tcpsim__tclass cls,
                       tcpsim_ns_t now);
static inline void tcpsim__flow_touch_c(struct tcpsim__flowtab *t, uint32_t slot, struct tcpsim_rp_conn *c,
                                        enum tcpsim__tclass cls, tcpsim_ns_t now)
{
    if (c->tclass == cls && now - c->lru_t < TCPSIM__FLOW_LRU_GRAIN)
        return; /* placed recently enough */
    /* The common move inline, exactly as tcpsim__flow_move does it: room in
     * the ring, and (same class) a tail entry that is live. Anything else
     * (a left tail to trim, a full ring) goes to tcpsim__flow_move. */
    struct tcpsim__lruq *q = &t->lru[cls];
    if (q->len > q->mask) {
        tcpsim__flow_move(t, slot, c, cls, now);
        return;
    }
    if (c->tclass == cls) {
        /* Its own entry is in this ring: at the tail, it stays. */
        uint32_t tail = q->e[(q->head + q->len - 1) & q->mask].slot;
        if (tail == slot)
            return;
        if (tail == TCPSIM__FLOW_NONE) {
            tcpsim__flow_move(t, slot, c, cls, now); /* a left tail: the live tail may be it */
            return;
        }
        q->e[c->lru_pos].slot = TCPSIM__FLOW_NONE; /* its old entry is left */
    } else {
        if (c->tclass < TCPSIM__TC_COUNT) {
            struct tcpsim__lruq *o = &t->lru[c->tclass];
            o->live--;
            o->e[c->lru_pos].slot = TCPSIM__FLOW_NONE;
        }
        q->live++;
    }
    c->tclass = (uint8_t)cls;
    c->lru_t = now;
    uint32_t pos = (q->head + q->len++) & q->mask;
    q->e[pos] = (struct tcpsim__lru_ent){slot, c->hash};
    c->lru_pos = pos;
}
/* The same, for a slot (c is its connection). */
static inline void tcpsim__flow_touch(struct tcpsim__flowtab *t, uint32_t slot, enum tcpsim__tclass cls,
                                      tcpsim_ns_t now)
{
    tcpsim__flow_touch_c(t, slot, tcpsim__flow_conn(t, slot), cls, now);
}
/* The connection at the head of class `k` (idle the longest), or NONE. */
uint32_t tcpsim__flow_lru_head(struct tcpsim__flowtab *t, enum tcpsim__tclass k);
/* Up to `m` entries of live connections of class `k` after its head (the
 * head is lru_head's: call that first), looking at no more than 4 * m
 * entries, into out[]; returns how many. Only for hints (expiry looks ahead
 * with them). */
static inline uint32_t tcpsim__flow_lru_after_head(const struct tcpsim__flowtab *t, enum tcpsim__tclass k,
                                                   struct tcpsim__lru_ent *out, uint32_t m)
{
    const struct tcpsim__lruq *q = &t->lru[k];
    uint32_t n = 0, lim = q->len < 4 * m + 1 ? q->len : 4 * m + 1;
    for (uint32_t i = 1; i < lim && n < m; i++) {
        struct tcpsim__lru_ent e = q->e[(q->head + i) & q->mask];
        if (e.slot != TCPSIM__FLOW_NONE)
            out[n++] = e;
    }
    return n;
}
/* The connections of class `k` from head to tail into out[] (room for
 * t->count); returns how many. */
uint32_t tcpsim__flow_lru_list(const struct tcpsim__flowtab *t, enum tcpsim__tclass k, uint32_t *out);
/* Each class's idle timeout (flow.c: Linux nf_conntrack defaults), read by
 * every packet: a table, not a call. */
extern const tcpsim_ns_t tcpsim__flow_timeouts[TCPSIM__TC_COUNT];
static inline tcpsim_ns_t tcpsim__flow_timeout(enum tcpsim__tclass cls)
{
    return tcpsim__flow_timeouts[(unsigned)cls < TCPSIM__TC_COUNT ? (unsigned)cls : (unsigned)TCPSIM__TC_SYN_SENT];
}

/* Cache hints for a packet processed soon: its index entry, then (once that
 * is in the cache) the hot lines of the connection it probably belongs to.
 * Inline: the replay thread gives them for every record it looks ahead at. */
TCPSIM__HINT void tcpsim__flow_prefetch_index(const struct tcpsim__flowtab *t, uint32_t hash)
{
    TCPSIM__PREFETCH(&t->index[hash & t->index_mask]);
}

/* The lines every packet touches (replay.h's layout): the hot header, the
 * per-direction analysis and each endpoint's hot lines. Only entries whose
 * hash matches are followed (no slot is read), at most a few probes. Returns
 * the connection hinted (for tcpsim__flow_prefetch_warm), or NULL. */
TCPSIM__HINT const struct tcpsim_rp_conn *tcpsim__flow_prefetch_conn(const struct tcpsim__flowtab *t, uint32_t hash)
{
    uint32_t i = hash & t->index_mask;
    for (int n = 0; n < 4; n++, i = (i + 1) & t->index_mask) {
        const struct tcpsim__flow_ent *e = &t->index[i];
        if (e->slot == TCPSIM__FLOW_NONE)
            return NULL;
        if (e->hash != hash)
            continue;
        /* unrolled: this runs for every packet */
        const struct tcpsim_rp_conn *conn = tcpsim__flow_conn(t, e->slot);
        const char *c = (const char *)conn;
        _Static_assert(offsetof(struct tcpsim_rp_conn, ep) <= 4 * 64, "the hot header is 4 lines");
        TCPSIM__PREFETCH(c);
        TCPSIM__PREFETCH(c + 64);
        TCPSIM__PREFETCH(c + 128);
        TCPSIM__PREFETCH(c + 192);
        /* each endpoint's hot lines (tcpsim/tcp.h: from cfg.cc to priv.rbuf) */
        _Static_assert(TCPSIM_TCP_HOT_LINES == 4 && offsetof(struct tcpsim_rp_conn, ep) % 64 == 0 &&
                           sizeof(struct tcpsim_tcp_endpoint) % 64 == 0,
                       "four hot lines per endpoint, line-aligned");
        const char *ep = c + offsetof(struct tcpsim_rp_conn, ep) + TCPSIM_TCP_HOT_OFF;
        const char *ep1 = ep + sizeof(struct tcpsim_tcp_endpoint);
        TCPSIM__PREFETCH(ep);
        TCPSIM__PREFETCH(ep + 64);
        TCPSIM__PREFETCH(ep + 128);
        TCPSIM__PREFETCH(ep + 192);
        TCPSIM__PREFETCH(ep1);
        TCPSIM__PREFETCH(ep1 + 64);
        TCPSIM__PREFETCH(ep1 + 128);
        TCPSIM__PREFETCH(ep1 + 192);
        /* the TLS decoder's address, read a record ahead by
         * tcpsim__flow_prefetch_tls (outside the hot header) */
        TCPSIM__PREFETCH(&conn->tls);
        return conn;
    }
    return NULL;
}

/* The lines of a segment's payload, for a decoder about to read them (the
 * reader's ring: the look-ahead asks for no payload of its own). */
TCPSIM__HINT void tcpsim__flow_prefetch_payload(const struct tcpsim_segment *seg)
{
    for (size_t off = 0; off < seg->payload_len; off += 64)
        TCPSIM__PREFETCH_R(seg->payload + off);
}

/* The second hint for a TLS connection (tlsglue.c feeds it every segment):
 * the decoder's lines that a segment of its direction touches
 * (tcpsim_tls_hot_off), its address read from the connection whose line
 * tcpsim__flow_prefetch_conn asked for, and the payload it will read. The
 * direction is a guess from the source port (a wrong one costs a few idle
 * hints, nothing else). */
TCPSIM__HINT void tcpsim__flow_prefetch_tls(const struct tcpsim_rp_conn *c, const struct tcpsim_segment *seg)
{
    if (c->tls_det == TCPSIM_RP_TLS_UNDECIDED) {
        /* the client's first bytes, looking like a TLS record (tlsglue.c
         * tls_decide): a decoder is set up for it and reads them */
        if (seg->payload_len > 0 && seg->src_port == c->port[0] &&
            (seg->payload[0] == 22 || (seg->payload[0] & 0x80))) {
            tcpsim_tls_prefetch_fresh();
            tcpsim__flow_prefetch_payload(seg);
        }
        return;
    }
    if (c->tls_det != TCPSIM_RP_TLS_YES)
        return;
    const char *t = (const char *)c->tls;
    if (!t)
        return;
    if (!(seg->payload_len | (seg->flags & (TCPSIM_FIN | TCPSIM_RST))))
        return; /* a bare ACK: the decoder is left alone (process_tcp) */
    int dir = seg->src_port != c->port[0];
    const uint16_t *off = tcpsim_tls_hot_off[dir];
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 10
#endif
    for (int i = 0; i < TCPSIM_TLS_HOT_LINES; i++)
        TCPSIM__PREFETCH(t + off[i]);
    tcpsim__flow_prefetch_payload(seg);
    if ((seg->flags & TCPSIM_RST) || ((seg->flags & TCPSIM_FIN) && c->tls_fin[!dir]))
        tcpsim_tls_prefetch_done(c->tls); /* both directions end: its summary is packed */
}

/* A SYN whose 4-tuple is not in the table: the slot tcpsim__flow_alloc
 * would hand out now (the free list's head, else the next never used), which
 * the new connection writes whole or nearly (flow_alloc clears its header and
 * cold part, tcpsim__rp_obs_init copies the first endpoint and sets the
 * second's state). Only a hint: another SYN may take that slot first.
 * Returns the slot hinted (NONE: none). */
TCPSIM__HINT uint32_t tcpsim__flow_prefetch_fresh(const struct tcpsim__flowtab *t)
{
    uint32_t s = t->free_head;
    if (s == TCPSIM__FLOW_NONE) {
        s = t->used_hw;
        if (s / TCPSIM__FLOW_CHUNK >= t->nchunks || !t->chunk[s / TCPSIM__FLOW_CHUNK])
            return TCPSIM__FLOW_NONE; /* a chunk not allocated yet: nothing to hint */
    }
    const struct tcpsim_rp_conn *conn = tcpsim__flow_conn(t, s);
    const char *c = (const char *)conn;
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 16
#endif
    for (size_t off = 0; off < offsetof(struct tcpsim_rp_conn, ep) + sizeof(struct tcpsim_tcp_endpoint); off += 64)
        TCPSIM__PREFETCH(c + off); /* the header and ep[0] */
    TCPSIM__PREFETCH(&conn->ep[1].state);
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC unroll 16
#endif
    for (size_t off = offsetof(struct tcpsim_rp_conn, states); off < sizeof(struct tcpsim_rp_conn); off += 64)
        TCPSIM__PREFETCH(c + off); /* the warm and cold parts (most of it cleared) */
    return s;
}

/* The second hint, a record ahead, for a connection tcpsim__flow_prefetch_conn
 * gave a few records before (its hot lines are in the cache by now, so
 * reading them costs little; it may have left the table since: only hints
 * follow from what is read). A segment with SYN, FIN or RST, or one that
 * meets a connection not ESTABLISHED on both sides or with an open question
 * (a silent server, a FIN in flight), takes the observer's full path and
 * Zeek's whole bookkeeping: its state lists, Zeek's per-direction notes, the
 * handshake times and history, the pending SYN or FIN. The common segment
 * between two ESTABLISHED endpoints touches none of these. */
TCPSIM__HINT void tcpsim__flow_prefetch_warm(const struct tcpsim_rp_conn *c, uint8_t flags)
{
    /* (bitwise: one test for the common segment; ep[1] is whole only once
     * pend_active is clear, which is tested first) */
    if (!((flags & (TCPSIM_SYN | TCPSIM_FIN | TCPSIM_RST)) | c->pend_active | c->pfin_active) &&
        (!c->obs_ok || (c->ep[0].state == TCPSIM_TCP_ESTABLISHED && c->ep[1].state == TCPSIM_TCP_ESTABLISHED)))
        return;
    bool fin = (flags & TCPSIM_FIN) || c->pfin_active;
    /* the span from the state lists to the history, six lines at fixed
     * offsets (no address that needs a field read) */
    _Static_assert(offsetof(struct tcpsim_rp_conn, states) % 64 == 0 &&
                       offsetof(struct tcpsim_rp_conn, history) + TCPSIM_RP_HIST_MAX <=
                           offsetof(struct tcpsim_rp_conn, states) + 6 * 64,
                   "states .. history in six lines");
    const char *w = (const char *)c->states;
    TCPSIM__PREFETCH(w);
    TCPSIM__PREFETCH(w + 64);
    TCPSIM__PREFETCH(w + 128);
    TCPSIM__PREFETCH(w + 192);
    TCPSIM__PREFETCH(w + 256);
    TCPSIM__PREFETCH(w + 320);
    if (fin) { /* TIME_WAIT's length, in the endpoints' cold configuration */
        TCPSIM__PREFETCH(&c->ep[0].cfg.msl);
        TCPSIM__PREFETCH(&c->ep[1].cfg.msl);
    }
    if (c->pend_active) {
        TCPSIM__PREFETCH(&c->pend);
        if (flags & TCPSIM_SYN) {
            /* the server's SYN-ACK: its endpoint is made whole (observer.c
             * server_reinit) and the client's SYN replayed to it */
            const char *e1 = (const char *)&c->ep[1];
            for (size_t off = 0; off < sizeof(struct tcpsim_tcp_endpoint); off += 64)
                TCPSIM__PREFETCH(e1 + off);
            TCPSIM__PREFETCH((const char *)&c->pend.syn + 64);
            TCPSIM__PREFETCH((const char *)&c->pend.syn + 128);
        }
    }
    if (flags & TCPSIM_FIN) { /* the FIN is kept whole in c->pfin */
        for (size_t off = 0; off < sizeof c->pfin; off += 64)
            TCPSIM__PREFETCH((const char *)&c->pfin + off);
        TCPSIM__PREFETCH((const char *)&c->pfin + sizeof c->pfin - 1);
    } else if (c->pfin_active) {
        TCPSIM__PREFETCH(&c->pfin);
        TCPSIM__PREFETCH(&c->pfin.seg.payload_len);
    }
}

#endif
