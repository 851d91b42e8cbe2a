/* flow.c - the replay flow table (see flow.h): a pool of connection slots in
 * chunks that never move, an open-addressing index with linear probing and
 * backward-shift deletion, and one LRU list per conntrack idle-timeout class.
 * Memory grows only with the number of connections held at once, never with
 * the length of the capture. Read first: reference-facts.md "Passive tracking". */
#include "replay/flow.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define SEC(x) ((tcpsim_ns_t)(x)*1000000000u)

tcpsim_ns_t tcpsim__flow_timeout(enum tcpsim__tclass cls)
{
    /* Linux nf_conntrack defaults (reference-facts.md). */
    switch (cls) {
    case TCPSIM__TC_SYN_SENT:
        return SEC(120);
    case TCPSIM__TC_SYN_RECV:
        return SEC(60);
    case TCPSIM__TC_ESTABLISHED:
        return SEC(5 * 24 * 3600);
    case TCPSIM__TC_FIN_WAIT:
        return SEC(120);
    case TCPSIM__TC_CLOSE_WAIT:
        return SEC(60);
    case TCPSIM__TC_LAST_ACK:
        return SEC(30);
    case TCPSIM__TC_TIME_WAIT:
        return SEC(120);
    case TCPSIM__TC_CLOSE:
        return SEC(10);
    case TCPSIM__TC_COUNT:
        break;
    }
    return SEC(120);
}

#ifndef __SIZEOF_INT128__
static uint64_t mix64(uint64_t x)
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
static inline uint64_t mum(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
    unsigned __int128 r = (unsigned __int128)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
#else
    return mix64(a ^ mix64(b));
#endif
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint32_t load32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* One endpoint as 64 bits: IPv4 address and port side by side (exact);
 * IPv6 folded. */
static inline uint64_t ep_word(const struct tcpsim_ip_addr *a, uint16_t port)
{
    if (a->family != 6)
        return (uint64_t)load32(a->a) << 16 | port;
    return mum(load64(a->a) ^ 0xa0761d6478bd642fULL, load64(a->a + 8) ^ 0xe7037ed1a0b428dbULL) ^
           ((uint64_t)port << 48 | 6u);
}

/* Symmetric: both directions of a connection hash alike (the two endpoints
 * in a fixed order), then one multiply-fold. */
static uint32_t key_hash(const struct tcpsim__key *k)
{
    uint64_t x = ep_word(k->a, k->pa), y = ep_word(k->b, k->pb);
    uint64_t lo = x < y ? x : y, hi = x < y ? y : x;
    uint64_t h = mum(lo ^ 0x8ebc6af09c88c6e3ULL, hi ^ 0x589965cc75374cc3ULL);
    return (uint32_t)(h ^ h >> 32);
}

static inline bool addr_eq(const struct tcpsim_ip_addr *x, const struct tcpsim_ip_addr *y)
{
    if (x->family != y->family)
        return false;
    if (x->family != 6)
        return load32(x->a) == load32(y->a);
    return load64(x->a) == load64(y->a) && load64(x->a + 8) == load64(y->a + 8);
}

static bool conn_matches(const struct tcpsim_rp_conn *c, const struct tcpsim__key *k)
{
    if (c->port[0] == k->pa && c->port[1] == k->pb && addr_eq(&c->addr[0], k->a) && addr_eq(&c->addr[1], k->b))
        return true;
    return c->port[1] == k->pa && c->port[0] == k->pb && addr_eq(&c->addr[1], k->a) && addr_eq(&c->addr[0], k->b);
}

uint32_t tcpsim__flow_hash(const struct tcpsim__key *k)
{
    return key_hash(k);
}

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch((p), 1, 3)
#else
#define PREFETCH(p) ((void)(p))
#endif

void tcpsim__flow_prefetch_index(const struct tcpsim__flowtab *t, uint32_t hash)
{
    PREFETCH(&t->index[hash & t->index_mask]);
}

/* The lines every packet touches (replay.h's layout): the hot header, the
 * per-direction analysis and the head of each endpoint. Only entries whose
 * hash matches are followed (no slot is read), at most a few probes. */
void tcpsim__flow_prefetch_conn(const struct tcpsim__flowtab *t, uint32_t hash)
{
    uint32_t i = hash & t->index_mask;
    for (int n = 0; n < 4; n++, i = (i + 1) & t->index_mask) {
        const struct tcpsim__flow_ent *e = &t->index[i];
        if (e->slot == TCPSIM__FLOW_NONE)
            return;
        if (e->hash != hash)
            continue;
        const char *c = (const char *)tcpsim__flow_conn(t, e->slot);
        for (size_t off = 0; off < offsetof(struct tcpsim_rp_conn, ep); off += 64)
            PREFETCH(c + off);
        const char *ep = c + offsetof(struct tcpsim_rp_conn, ep);
        for (size_t off = 0; off < 256; off += 64) {
            PREFETCH(ep + off);
            PREFETCH(ep + sizeof(struct tcpsim_tcp_endpoint) + off);
        }
        return;
    }
}

static uint32_t conn_hash(const struct tcpsim_rp_conn *c)
{
    struct tcpsim__key k = {&c->addr[0], &c->addr[1], c->port[0], c->port[1]};
    return key_hash(&k);
}

#define ENT_NONE ((struct tcpsim__flow_ent){TCPSIM__FLOW_NONE, 0})

static void index_clear(struct tcpsim__flow_ent *e, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        e[i] = ENT_NONE;
}

bool tcpsim__flow_init(struct tcpsim__flowtab *t, uint32_t max)
{
    memset(t, 0, sizeof *t);
    t->max = max ? max : 1u << 20;
    t->nchunks = (t->max + TCPSIM__FLOW_CHUNK - 1) / TCPSIM__FLOW_CHUNK;
    t->chunk = calloc(t->nchunks, sizeof *t->chunk);
    uint32_t isz = 1024;
    t->index = malloc(isz * sizeof *t->index);
    if (!t->chunk || !t->index) {
        free(t->chunk);
        free(t->index);
        return false;
    }
    index_clear(t->index, isz);
    t->index_mask = isz - 1;
    t->free_head = TCPSIM__FLOW_NONE;
    for (unsigned i = 0; i < TCPSIM__TC_COUNT; i++)
        t->head[i] = t->tail[i] = TCPSIM__FLOW_NONE;
    t->allocations = 2;
    return true;
}

void tcpsim__flow_free(struct tcpsim__flowtab *t)
{
    if (t->chunk)
        for (uint32_t i = 0; i < t->nchunks; i++)
            free(t->chunk[i]);
    free(t->chunk);
    free(t->index);
    memset(t, 0, sizeof *t);
}

uint32_t tcpsim__flow_find(const struct tcpsim__flowtab *t, const struct tcpsim__key *k)
{
    uint32_t h = key_hash(k);
    uint32_t i = h & t->index_mask;
    for (;;) {
        const struct tcpsim__flow_ent *e = &t->index[i];
        if (e->slot == TCPSIM__FLOW_NONE)
            return TCPSIM__FLOW_NONE;
        if (e->hash == h && conn_matches(tcpsim__flow_conn(t, e->slot), k))
            return e->slot;
        i = (i + 1) & t->index_mask;
    }
}

static void index_put(struct tcpsim__flow_ent *index, uint32_t mask, uint32_t h, uint32_t slot)
{
    uint32_t i = h & mask;
    while (index[i].slot != TCPSIM__FLOW_NONE)
        i = (i + 1) & mask;
    index[i].slot = slot;
    index[i].hash = h;
}

/* Keep the load factor under 1/2; growth is the only allocation besides new
 * pool chunks, and both depend on the connections held at once. */
static bool index_grow(struct tcpsim__flowtab *t)
{
    uint32_t nsz = (t->index_mask + 1) * 2;
    struct tcpsim__flow_ent *n = malloc((size_t)nsz * sizeof *n);
    if (!n)
        return false;
    t->allocations++;
    index_clear(n, nsz);
    for (uint32_t i = 0; i <= t->index_mask; i++)
        if (t->index[i].slot != TCPSIM__FLOW_NONE)
            index_put(n, nsz - 1, t->index[i].hash, t->index[i].slot);
    free(t->index);
    t->index = n;
    t->index_mask = nsz - 1;
    return true;
}

uint32_t tcpsim__flow_alloc(struct tcpsim__flowtab *t)
{
    if (t->count >= t->max)
        return TCPSIM__FLOW_NONE;
    if ((t->count + 1) * 2 > t->index_mask + 1 && !index_grow(t))
        return TCPSIM__FLOW_NONE;
    uint32_t s = t->free_head;
    if (s != TCPSIM__FLOW_NONE) {
        t->free_head = tcpsim__flow_conn(t, s)->lru_next;
    } else {
        s = t->used_hw;
        uint32_t ci = s / TCPSIM__FLOW_CHUNK;
        if (ci >= t->nchunks)
            return TCPSIM__FLOW_NONE;
        if (!t->chunk[ci]) {
            /* Cache-line aligned: a connection's hot part is its first lines. */
            size_t sz = (size_t)TCPSIM__FLOW_CHUNK * sizeof **t->chunk;
            t->chunk[ci] = aligned_alloc(_Alignof(struct tcpsim_rp_conn), sz);
            if (!t->chunk[ci])
                return TCPSIM__FLOW_NONE;
            /* not cleared here: a slot is cleared when it is handed out
             * (below), and nothing reads slots past used_hw */
            t->allocations++;
        }
        t->used_hw++;
    }
    struct tcpsim_rp_conn *c = tcpsim__flow_conn(t, s);
    memset(c, 0, sizeof *c);
    c->lru_prev = c->lru_next = TCPSIM__FLOW_NONE;
    c->tclass = TCPSIM__TC_COUNT; /* on no list yet */
    return s;
}

void tcpsim__flow_insert(struct tcpsim__flowtab *t, uint32_t slot)
{
    struct tcpsim_rp_conn *c = tcpsim__flow_conn(t, slot);
    c->in_use = true;
    c->hash = conn_hash(c);
    index_put(t->index, t->index_mask, c->hash, slot);
    t->count++;
}

static void lru_unlink(struct tcpsim__flowtab *t, uint32_t slot)
{
    struct tcpsim_rp_conn *c = tcpsim__flow_conn(t, slot);
    if (c->tclass >= TCPSIM__TC_COUNT)
        return;
    if (c->lru_prev != TCPSIM__FLOW_NONE)
        tcpsim__flow_conn(t, c->lru_prev)->lru_next = c->lru_next;
    else
        t->head[c->tclass] = c->lru_next;
    if (c->lru_next != TCPSIM__FLOW_NONE)
        tcpsim__flow_conn(t, c->lru_next)->lru_prev = c->lru_prev;
    else
        t->tail[c->tclass] = c->lru_prev;
    c->lru_prev = c->lru_next = TCPSIM__FLOW_NONE;
    c->tclass = TCPSIM__TC_COUNT;
}

void tcpsim__flow_touch(struct tcpsim__flowtab *t, uint32_t slot, enum tcpsim__tclass cls, tcpsim_ns_t now)
{
    struct tcpsim_rp_conn *c = tcpsim__flow_conn(t, slot);
    if (c->tclass == cls && (c->lru_next == TCPSIM__FLOW_NONE || now - c->lru_t < TCPSIM__FLOW_LRU_GRAIN))
        return; /* the newest of its class, or placed recently enough */
    lru_unlink(t, slot);
    c->tclass = (uint8_t)cls;
    c->lru_t = now;
    c->lru_prev = t->tail[cls];
    c->lru_next = TCPSIM__FLOW_NONE;
    if (t->tail[cls] != TCPSIM__FLOW_NONE)
        tcpsim__flow_conn(t, t->tail[cls])->lru_next = slot;
    else
        t->head[cls] = slot;
    t->tail[cls] = slot;
}

void tcpsim__flow_remove(struct tcpsim__flowtab *t, uint32_t slot)
{
    struct tcpsim_rp_conn *c = tcpsim__flow_conn(t, slot);
    lru_unlink(t, slot);
    /* Backward-shift deletion keeps every probe chain unbroken. */
    uint32_t i = c->hash & t->index_mask;
    while (t->index[i].slot != slot)
        i = (i + 1) & t->index_mask;
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & t->index_mask;
        struct tcpsim__flow_ent e = t->index[j];
        if (e.slot == TCPSIM__FLOW_NONE)
            break;
        uint32_t home = e.hash & t->index_mask;
        /* Move e back into the hole unless its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            t->index[i] = e;
            i = j;
        }
    }
    t->index[i] = ENT_NONE;
    c->in_use = false;
    c->lru_next = t->free_head;
    t->free_head = slot;
    t->count--;
}
