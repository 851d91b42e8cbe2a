/* flow.h - the replay flow table: connections keyed by their 4-tuple (both
 * directions find one entry), an open-addressing index over a pool of
 * connection slots, and idle-timeout classes after Linux nf_conntrack.
 * Read first: reference-facts.md "Passive tracking" (conntrack timeouts). */
#ifndef TCPSIM_REPLAY_FLOW_H
#define TCPSIM_REPLAY_FLOW_H

#include "replay/replay.h"

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

/* An LRU queue is a ring of (slot, stamp) in the order connections were
 * placed at its tail. Moving a connection appends a new entry and leaves the
 * old one behind, stale: the connection's current stamp (t->stamp, one
 * number per slot in a dense array beside the pool) no longer matches it.
 * Stale entries are dropped when they reach the head, or all at once when
 * the ring is full and more than half stale. So a move writes two small
 * sequential or dense places, never the neighbours' (cold) records as a
 * doubly linked list did; the live entries are in exactly the list's order. */
struct tcpsim__lru_ent {
    uint32_t slot;
    uint64_t stamp;
};

struct tcpsim__lruq {
    struct tcpsim__lru_ent *e;
    uint32_t mask, head, len; /* ring of mask + 1 entries */
    uint32_t live;            /* connections in this class */
};

struct tcpsim__flowtab {
    struct tcpsim_rp_conn **chunk; /* slots in chunks of TCPSIM__FLOW_CHUNK that never move */
    uint64_t **stamp;              /* per chunk: each slot's LRU stamp (0: on no queue), after its slots */
    uint32_t nchunks;
    uint32_t cap, used_hw;          /* slots allocated, high-water mark of slots ever used */
    uint32_t free_head;             /* free list through lru_next */
    uint32_t max;                   /* --max-conns */
    struct tcpsim__flow_ent *index; /* open addressing; slot NONE = empty */
    uint32_t index_mask;
    uint32_t count;
    struct tcpsim__lruq lru[TCPSIM__TC_COUNT];
    uint64_t last_stamp;
    uint64_t allocations;
};

static inline struct tcpsim_rp_conn *tcpsim__flow_conn(const struct tcpsim__flowtab *t, uint32_t slot)
{
    return &t->chunk[slot / TCPSIM__FLOW_CHUNK][slot % TCPSIM__FLOW_CHUNK];
}

struct tcpsim__key {
    const struct tcpsim_ip_addr *a, *b;
    uint16_t pa, pb;
};

bool tcpsim__flow_init(struct tcpsim__flowtab *t, uint32_t max);
/* The 4-tuple's index hash (symmetric). */
uint32_t tcpsim__flow_hash(const struct tcpsim__key *k);
/* Cache hints for a packet processed soon: its index entry, then (once that
 * is in the cache) the hot lines of the connection it probably belongs to. */
void tcpsim__flow_prefetch_index(const struct tcpsim__flowtab *t, uint32_t hash);
void tcpsim__flow_prefetch_conn(const struct tcpsim__flowtab *t, uint32_t hash);
void tcpsim__flow_free(struct tcpsim__flowtab *t);
/* Slot of the connection with this 4-tuple in either direction, or NONE;
 * `hash` is tcpsim__flow_hash(k) (computed once, by the reader's thread). */
uint32_t tcpsim__flow_find(const struct tcpsim__flowtab *t, const struct tcpsim__key *k, uint32_t hash);
/* A zeroed slot, entered under the 4-tuple of c->addr/c->port (set them after:
 * call tcpsim__flow_insert with their tcpsim__flow_hash). NONE when full
 * (caller evicts first). */
uint32_t tcpsim__flow_alloc(struct tcpsim__flowtab *t);
void tcpsim__flow_insert(struct tcpsim__flowtab *t, uint32_t slot, uint32_t hash);
/* Take the connection out of the index and its LRU queue; the slot is freed. */
void tcpsim__flow_remove(struct tcpsim__flowtab *t, uint32_t slot);
/* Activity at `now` (c->end): move to the tail of the queue of its (new) class
 * when the class changed or TCPSIM__FLOW_LRU_GRAIN has passed. */
void tcpsim__flow_touch(struct tcpsim__flowtab *t, uint32_t slot, enum tcpsim__tclass cls, tcpsim_ns_t now);
/* The connection at the head of class `k` (idle the longest), or NONE. */
uint32_t tcpsim__flow_lru_head(struct tcpsim__flowtab *t, enum tcpsim__tclass k);
/* The connections of class `k` from head to tail into out[] (room for
 * t->count); returns how many. */
uint32_t tcpsim__flow_lru_list(const struct tcpsim__flowtab *t, enum tcpsim__tclass k, uint32_t *out);
tcpsim_ns_t tcpsim__flow_timeout(enum tcpsim__tclass cls);

#endif
