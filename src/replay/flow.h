/* flow.h - the replay flow table: connections keyed by their 4-tuple (both
 * directions find one entry), an open-addressing index over a pool of
 * connection slots, and idle-timeout classes after Linux nf_conntrack.
 * Read first: reference-facts.md "Passive tracking" (conntrack timeouts). */
#ifndef TCPSIM_REPLAY_FLOW_H
#define TCPSIM_REPLAY_FLOW_H

#include "replay/replay.h"

#define TCPSIM__FLOW_NONE  UINT32_MAX
#define TCPSIM__FLOW_CHUNK 1024u

/* Idle-timeout classes: one LRU list per class, so the oldest connection of
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

/* A connection moves to the tail of its LRU list only when its last activity
 * is this much newer than when it was last placed there (or its class
 * changed): the lists stay ordered to within this, expiry is at most this
 * late, and a packet costs no list surgery (no cache misses on neighbours). */
#define TCPSIM__FLOW_LRU_GRAIN ((tcpsim_ns_t)1000000000u)

struct tcpsim__flowtab {
    struct tcpsim_rp_conn **chunk; /* slots in chunks of TCPSIM__FLOW_CHUNK that never move */
    uint32_t nchunks;
    uint32_t cap, used_hw;          /* slots allocated, high-water mark of slots ever used */
    uint32_t free_head;             /* free list through lru_next */
    uint32_t max;                   /* --max-conns */
    struct tcpsim__flow_ent *index; /* open addressing; slot NONE = empty */
    uint32_t index_mask;
    uint32_t count;
    uint32_t head[TCPSIM__TC_COUNT], tail[TCPSIM__TC_COUNT];
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
/* Slot of the connection with this 4-tuple in either direction, or NONE. */
uint32_t tcpsim__flow_find(const struct tcpsim__flowtab *t, const struct tcpsim__key *k);
/* A zeroed slot, entered under the 4-tuple of c->addr/c->port (set them after:
 * call tcpsim__flow_insert). NONE when full (caller evicts first). */
uint32_t tcpsim__flow_alloc(struct tcpsim__flowtab *t);
void tcpsim__flow_insert(struct tcpsim__flowtab *t, uint32_t slot);
/* Take the connection out of the index and the LRU lists; the slot is freed. */
void tcpsim__flow_remove(struct tcpsim__flowtab *t, uint32_t slot);
/* Activity at `now` (c->end): move to the tail of the list of its (new) class
 * when the class changed or TCPSIM__FLOW_LRU_GRAIN has passed. */
void tcpsim__flow_touch(struct tcpsim__flowtab *t, uint32_t slot, enum tcpsim__tclass cls, tcpsim_ns_t now);
tcpsim_ns_t tcpsim__flow_timeout(enum tcpsim__tclass cls);

#endif
