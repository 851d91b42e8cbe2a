/* flow.c - the replay flow table (see flow.h): a pool of connection slots in
 * chunks that never move, an open-addressing index with linear probing and
 * backward-shift deletion, and one LRU queue per conntrack idle-timeout class.
 * Memory grows only with the number of connections held at once, never with
 * the length of the capture. Read first: reference-facts.md "Passive tracking". */
#include "replay/flow.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define SEC(x) ((tcpsim_ns_t)(x)*1000000000u)

#define LRU_INITIAL 256u /* entries per class queue at first */

/* Linux nf_conntrack defaults (reference-facts.md). */
const tcpsim_ns_t tcpsim__flow_timeouts[TCPSIM__TC_COUNT] = {
    [TCPSIM__TC_SYN_SENT] = SEC(120),  [TCPSIM__TC_SYN_RECV] = SEC(60),   [TCPSIM__TC_ESTABLISHED] = SEC(5 * 24 * 3600),
    [TCPSIM__TC_FIN_WAIT] = SEC(120),  [TCPSIM__TC_CLOSE_WAIT] = SEC(60), [TCPSIM__TC_LAST_ACK] = SEC(30),
    [TCPSIM__TC_TIME_WAIT] = SEC(120), [TCPSIM__TC_CLOSE] = SEC(10),
};

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
    t->mark = calloc(t->nchunks, sizeof *t->mark);
    uint32_t isz = 1024;
    t->index = malloc(isz * sizeof *t->index);
    if (!t->chunk || !t->mark || !t->index) {
        free(t->chunk);
        free(t->mark);
        free(t->index);
        return false;
    }
    index_clear(t->index, isz);
    t->index_mask = isz - 1;
    t->free_head = TCPSIM__FLOW_NONE;
    t->allocations = 2;
    for (unsigned i = 0; i < TCPSIM__TC_COUNT; i++) {
        struct tcpsim__lruq *q = &t->lru[i];
        q->mask = LRU_INITIAL - 1;
        q->e = malloc(LRU_INITIAL * sizeof *q->e);
        if (!q->e) {
            tcpsim__flow_free(t);
            return false;
        }
        t->allocations++;
    }
    return true;
}

void tcpsim__flow_free(struct tcpsim__flowtab *t)
{
    tcpsim__prefault_join(&t->pf);
    if (t->chunk)
        for (uint32_t i = 0; i < t->nchunks; i++)
            free(t->chunk[i]); /* (and t->mark[i], in the same block) */
    free(t->chunk);
    free(t->mark);
    for (unsigned i = 0; i < TCPSIM__TC_COUNT; i++)
        free(t->lru[i].e);
    free(t->index);
    memset(t, 0, sizeof *t);
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

/* A chunk of slots, cache-line aligned (a connection's hot part is its first
 * lines), on huge pages where the kernel offers them (wire/mem.h), with the
 * slots' bytes (mark) after them. Not cleared: a slot is cleared when it is
 * handed out (tcpsim__flow_alloc), and nothing reads slots past used_hw. */
#define CHUNK_BYTES ((size_t)TCPSIM__FLOW_CHUNK * (sizeof(struct tcpsim_rp_conn) + 1u))

static bool chunk_new(struct tcpsim__flowtab *t, uint32_t ci)
{
    t->chunk[ci] = tcpsim__alloc_large(CHUNK_BYTES, _Alignof(struct tcpsim_rp_conn));
    if (!t->chunk[ci])
        return false;
    t->mark[ci] = (uint8_t *)(void *)(t->chunk[ci] + TCPSIM__FLOW_CHUNK);
    t->allocations++;
    return true;
}

/* The chunk after ci allocated now and its pages made by a helper (nothing
 * when there is no next chunk or it exists; without memory, it is tried
 * again when it is reached). */
__attribute__((noinline, cold)) static void prefault_next(struct tcpsim__flowtab *t, uint32_t ci)
{
    if (ci + 1 >= t->nchunks || t->chunk[ci + 1] || !chunk_new(t, ci + 1))
        return;
    tcpsim__prefault_start(&t->pf, t->chunk[ci + 1], CHUNK_BYTES);
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
        if (!t->chunk[ci] && !chunk_new(t, ci))
            return TCPSIM__FLOW_NONE;
        if (s % TCPSIM__FLOW_CHUNK == TCPSIM__FLOW_CHUNK / 2u && tcpsim__prefault_allowed())
            prefault_next(t, ci);
        t->used_hw++;
    }
    struct tcpsim_rp_conn *c = tcpsim__flow_conn(t, s);
    /* Cleared except what the observer writes whole before it reads it, with
     * a flag in the cleared part saying when it may be read:
     * - its two saved segments at the end (its SYN and FIN notes, six lines
     *   of the 36): pend.syn is read only while pend.have_syn says it holds
     *   one, pfin only while pfin_active;
     * - its two endpoints ep[] (16 lines): read only while obs_ok (observer.c
     *   tcpsim__rp_obs_state, tcpsim__rp_obs_predict, tcpsim__rp_obs_segment;
     *   nothing else reads them), which tcpsim__rp_obs_init sets only after
     *   copying ep[0] whole from a template (tcpsim_tcp_init_copy) and ep[1]
     *   too, or, after a SYN first, ep[1].state, ep[0].state and
     *   ep[0].priv.live (false) alone: then ep[0] is made whole by the SYN's
     *   own step before anything else reads it (client_connect, client_make),
     *   and ep[1] is read only once pend_active is cleared, and the places
     *   that clear it make ep[1] whole first (server_reinit, or the accept
     *   shortcut tcpsim_tcp_accept_observed copying the template) or clear
     *   obs_ok.
     *   Without cfg.observe obs_ok stays false. tests/replay/test_replay_hot.c
     *   fills free slots with junk and compares the output. */
    _Static_assert(offsetof(struct tcpsim_rp_conn, ep) + sizeof(((struct tcpsim_rp_conn *)0)->ep) <=
                       offsetof(struct tcpsim_rp_conn, pend),
                   "ep[] lies between the hot header and pend");
    _Static_assert(offsetof(struct tcpsim_rp_conn, pfin) ==
                           offsetof(struct tcpsim_rp_conn, pend) + sizeof(struct tcpsim_rp_pending) &&
                       offsetof(struct tcpsim_rp_pending, syn) + sizeof(struct tcpsim_segment) ==
                           sizeof(struct tcpsim_rp_pending),
                   "pend.syn ends pend, and pfin follows it");
    const size_t keep_from = offsetof(struct tcpsim_rp_conn, pend) + offsetof(struct tcpsim_rp_pending, syn);
    const size_t keep_to = offsetof(struct tcpsim_rp_conn, pfin) + sizeof(struct tcpsim_rp_pfin);
    const size_t ep_from = offsetof(struct tcpsim_rp_conn, ep);
    const size_t ep_to = ep_from + sizeof c->ep;
    memset(c, 0, ep_from);
    memset((char *)c + ep_to, 0, keep_from - ep_to);
    memset((char *)c + keep_to, 0, sizeof *c - keep_to);
    c->lru_next = TCPSIM__FLOW_NONE;
    c->tclass = TCPSIM__TC_COUNT; /* on no queue yet (lru_pos is read only once it is) */
    *tcpsim__flow_mark(t, s) = 0;
    return s;
}

void tcpsim__flow_insert(struct tcpsim__flowtab *t, uint32_t slot, uint32_t hash)
{
    struct tcpsim_rp_conn *c = tcpsim__flow_conn(t, slot);
    c->in_use = true;
    c->hash = hash;
    index_put(t->index, t->index_mask, c->hash, slot);
    t->count++;
}

/* Take the connection off its queue: its entry there is left. */
static void lru_unlink(struct tcpsim__flowtab *t, uint32_t slot)
{
    struct tcpsim_rp_conn *c = tcpsim__flow_conn(t, slot);
    if (c->tclass >= TCPSIM__TC_COUNT)
        return;
    struct tcpsim__lruq *q = &t->lru[c->tclass];
    q->live--;
    q->e[c->lru_pos].slot = TCPSIM__FLOW_NONE;
    c->tclass = TCPSIM__TC_COUNT;
}

/* Room for one more entry at the tail: the left entries go when they are
 * more than three quarters (the live ones keep their order; those that move
 * have their lru_pos set), else the ring doubles. A pass over the ring then
 * frees at least three quarters of it, so each append pays for at most 4/3
 * entries looked at and 1/3 of a connection's lru_pos written, and a ring
 * grows to at most about 8 entries per connection its class held at once.
 * False only when it is full of live entries and cannot grow. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline)) /* rare: kept out of tcpsim__flow_move's registers */
#endif
static bool
lru_room(struct tcpsim__flowtab *t, struct tcpsim__lruq *q)
{
    if (q->len <= q->mask)
        return true;
    if ((size_t)q->live * 4 < q->len) {
        uint32_t n = 0;
        for (uint32_t i = 0; i < q->len; i++) {
            struct tcpsim__lru_ent e = q->e[(q->head + i) & q->mask];
            if (e.slot == TCPSIM__FLOW_NONE)
                continue;
            if (n != i) {
                uint32_t pos = (q->head + n) & q->mask;
                q->e[pos] = e;
                tcpsim__flow_conn(t, e.slot)->lru_pos = pos;
            }
            n++;
        }
        q->len = n;
        t->lru_compactions++;
        return true;
    }
    uint32_t nsz = (q->mask + 1) * 2;
    struct tcpsim__lru_ent *ne = nsz ? malloc((size_t)nsz * sizeof *ne) : NULL;
    if (!ne)
        return false;
    t->allocations++;
    for (uint32_t i = 0; i < q->len; i++) {
        struct tcpsim__lru_ent e = q->e[(q->head + i) & q->mask];
        ne[i] = e;
        if (e.slot != TCPSIM__FLOW_NONE)
            tcpsim__flow_conn(t, e.slot)->lru_pos = i;
    }
    free(q->e);
    q->e = ne;
    q->head = 0;
    q->mask = nsz - 1;
    return true;
}

void tcpsim__flow_move(struct tcpsim__flowtab *t, uint32_t slot, struct tcpsim_rp_conn *c, enum tcpsim__tclass cls,
                       tcpsim_ns_t now)
{
    struct tcpsim__lruq *q = &t->lru[cls];
    if (c->tclass == cls) {
        /* The newest of its class stays (and keeps its lru_t, as the list's
         * tail did): left entries after it do not count. Its own entry is
         * live, so this stops there at the latest. */
        while (q->e[(q->head + q->len - 1) & q->mask].slot == TCPSIM__FLOW_NONE)
            q->len--;
        if (q->e[(q->head + q->len - 1) & q->mask].slot == slot)
            return;
    }
    if (q->len > q->mask && !lru_room(t, q))
        return; /* out of memory: it stays where it is (its old class's timeout) */
    /* lru_unlink (its old entry is left; lru_room may have moved it, and
     * set lru_pos), then the append */
    if (c->tclass < TCPSIM__TC_COUNT) {
        struct tcpsim__lruq *o = &t->lru[c->tclass];
        o->live--;
        o->e[c->lru_pos].slot = TCPSIM__FLOW_NONE;
    }
    c->tclass = (uint8_t)cls;
    c->lru_t = now;
    uint32_t pos = (q->head + q->len++) & q->mask;
    q->e[pos] = (struct tcpsim__lru_ent){slot, c->hash};
    c->lru_pos = pos;
    q->live++;
}

uint32_t tcpsim__flow_lru_head(struct tcpsim__flowtab *t, enum tcpsim__tclass k)
{
    struct tcpsim__lruq *q = &t->lru[k];
    while (q->len) {
        uint32_t s = q->e[q->head].slot;
        if (s != TCPSIM__FLOW_NONE)
            return s;
        q->head = (q->head + 1) & q->mask;
        q->len--;
    }
    return TCPSIM__FLOW_NONE;
}

uint32_t tcpsim__flow_lru_list(const struct tcpsim__flowtab *t, enum tcpsim__tclass k, uint32_t *out)
{
    const struct tcpsim__lruq *q = &t->lru[k];
    uint32_t n = 0;
    for (uint32_t i = 0; i < q->len; i++) {
        uint32_t s = q->e[(q->head + i) & q->mask].slot;
        if (s != TCPSIM__FLOW_NONE)
            out[n++] = s;
    }
    return n;
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
