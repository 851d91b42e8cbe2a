/* test_flow_lru.c - the flow table's LRU queues (src/replay/flow.c) against a
 * plain model of the doubly linked lists they replaced: after every one of
 * thousands of random moves, removals and head look-ups, each class holds the
 * same connections in the same order (so connections leave at the same
 * moments and their records come out in the same order). Also the large
 * arenas' allocator (src/wire/mem.c): aligned as it says, all of it usable.
 * Read first: src/replay/flow.h (struct tcpsim__lruq), src/wire/mem.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay/flow.h"

void test_flow_lru_random_expect_same_order_as_list(void **state);
void test_flow_alloc_large_sizes_expect_aligned_and_usable(void **state);

#define MAXC 700u

/* The model: one ordered array per class, a move appends at the end. */
struct model {
    uint32_t list[TCPSIM__TC_COUNT][MAXC];
    uint32_t n[TCPSIM__TC_COUNT];
    int cls[MAXC * 2];            /* by slot: its class, -1 none */
    tcpsim_ns_t placed[MAXC * 2]; /* by slot: when it was last appended */
};

static void model_unlink(struct model *m, uint32_t slot)
{
    int k = m->cls[slot];
    if (k < 0)
        return;
    for (uint32_t i = 0; i < m->n[k]; i++)
        if (m->list[k][i] == slot) {
            memmove(&m->list[k][i], &m->list[k][i + 1], (m->n[k] - i - 1) * sizeof m->list[k][0]);
            m->n[k]--;
            break;
        }
    m->cls[slot] = -1;
}

/* The rule of the old tcpsim__flow_touch: stay when the class is the same
 * and it is the newest of its list or was placed less than a grain ago. */
static void model_touch(struct model *m, uint32_t slot, int k, tcpsim_ns_t now)
{
    if (m->cls[slot] == k && (m->list[k][m->n[k] - 1] == slot || now - m->placed[slot] < TCPSIM__FLOW_LRU_GRAIN))
        return;
    model_unlink(m, slot);
    m->cls[slot] = k;
    m->placed[slot] = now;
    m->list[k][m->n[k]++] = slot;
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (uint32_t)(rnd_state % n);
}

static void check_same(struct tcpsim__flowtab *t, const struct model *m)
{
    static uint32_t got[MAXC];
    for (unsigned k = 0; k < TCPSIM__TC_COUNT; k++) {
        uint32_t n = tcpsim__flow_lru_list(t, (enum tcpsim__tclass)k, got);
        assert_int_equal(n, m->n[k]);
        assert_memory_equal(got, m->list[k], n * sizeof got[0]);
    }
}

void test_flow_lru_random_expect_same_order_as_list(void **state)
{
    (void)state;
    static struct model m;
    memset(&m, 0, sizeof m);
    for (size_t i = 0; i < MAXC * 2; i++)
        m.cls[i] = -1;
    struct tcpsim__flowtab t;
    assert_true(tcpsim__flow_init(&t, MAXC));
    uint32_t live[MAXC], nlive = 0;
    tcpsim_ns_t now = 1000000000ull;
    uint64_t moves = 0, heads = 0, ahead = 0;
    for (int op = 0; op < 60000; op++) {
        uint32_t r = rnd(100);
        now += rnd(4) == 0 ? rnd(700000000) : rnd(2000000); /* a grain passes now and then */
        if (nlive == 0 || (r < 8 && nlive < MAXC)) {
            uint32_t s = tcpsim__flow_alloc(&t);
            assert_int_not_equal(s, TCPSIM__FLOW_NONE);
            assert_true(s < MAXC * 2);
            struct tcpsim_rp_conn *c = tcpsim__flow_conn(&t, s);
            c->addr[0].family = c->addr[1].family = 4;
            c->port[0] = (uint16_t)op;
            c->port[1] = 80;
            tcpsim__flow_insert(&t, s, (uint32_t)op * 2654435761u);
            live[nlive++] = s;
        } else if (r < 14) { /* a connection leaves */
            uint32_t i = rnd(nlive);
            uint32_t s = live[i];
            live[i] = live[--nlive];
            model_unlink(&m, s);
            tcpsim__flow_remove(&t, s);
        } else if (r < 17) { /* expiry looks at a head */
            int k = (int)rnd(TCPSIM__TC_COUNT);
            uint32_t h = tcpsim__flow_lru_head(&t, (enum tcpsim__tclass)k);
            assert_int_equal(h, m.n[k] ? m.list[k][0] : TCPSIM__FLOW_NONE);
            heads += h != TCPSIM__FLOW_NONE;
            /* expiry's look-ahead (for its hints): the next live ones, in
             * order, with their hashes */
            struct tcpsim__lru_ent nx[2];
            uint32_t n = tcpsim__flow_lru_after_head(&t, (enum tcpsim__tclass)k, nx, 2);
            assert_true(n <= 2 && (m.n[k] == 0 || n <= m.n[k] - 1));
            for (uint32_t i = 0; i < n; i++) {
                assert_int_equal(nx[i].slot, m.list[k][1 + i]);
                assert_int_equal(nx[i].hash, tcpsim__flow_conn(&t, nx[i].slot)->hash);
            }
            ahead += n;
        } else { /* a packet: mostly the same class, sometimes the next */
            uint32_t s = live[rnd(nlive)];
            int k = m.cls[s] < 0 || rnd(6) == 0 ? (int)rnd(TCPSIM__TC_COUNT) : m.cls[s];
            uint32_t before = m.n[k];
            model_touch(&m, s, k, now);
            moves += m.n[k] != before || m.cls[s] != k;
            tcpsim__flow_touch(&t, s, (enum tcpsim__tclass)k, now);
        }
        if (op % 97 == 0)
            check_same(&t, &m);
    }
    check_same(&t, &m);
    /* the test did what it says: many moves, queues that grew and were
     * compacted (their live entries moved, with their lru_pos) */
    assert_true(moves > 10000);
    assert_true(heads > 500);
    assert_true(ahead > 500);
    assert_true(t.lru_compactions > 8);
    uint32_t grown = 0;
    for (unsigned k = 0; k < TCPSIM__TC_COUNT; k++)
        grown += t.lru[k].mask + 1 > 256;
    assert_true(grown > 0);
    tcpsim__flow_free(&t);
}

/* tcpsim__flow_hash (inline in flow.h since it moved out of flow.c): the
 * values the out-of-line function gave for these keys, both directions, so a
 * change to the hash (which would reorder nothing visible but is meant to
 * stay the same function) is caught. Keys: IPv4 and IPv6 addresses made from
 * a seed, as the vectors were made. */
void test_flow_hash_known_keys_expect_same_values(void **state);

static void hash_addr(struct tcpsim_ip_addr *a, int fam, unsigned seed)
{
    memset(a, 0, sizeof *a);
    a->family = (uint8_t)fam;
    for (int i = 0; i < (fam == 6 ? 16 : 4); i++)
        a->a[i] = (uint8_t)(seed * 37u + (unsigned)i * 11u + 1u);
}

void test_flow_hash_known_keys_expect_same_values(void **state)
{
    (void)state;
    static const struct {
        int fam;
        uint16_t pa, pb;
        uint32_t hash;
    } v[] = {
        {4, 1000u, 443u, 0xeafeca3eu},  {6, 8919u, 444u, 0x13629387u},  {4, 16838u, 445u, 0xd7268b1du},
        {6, 24757u, 446u, 0x79e95271u}, {4, 32676u, 447u, 0x826f1eeeu}, {6, 40595u, 448u, 0x28fbf197u},
    };
    for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
        struct tcpsim_ip_addr x, y;
        hash_addr(&x, v[i].fam, i);
        hash_addr(&y, v[i].fam, i + 100);
        struct tcpsim__key k = {&x, &y, v[i].pa, v[i].pb}, r = {&y, &x, v[i].pb, v[i].pa};
        assert_int_equal(tcpsim__flow_hash(&k), v[i].hash);
        assert_int_equal(tcpsim__flow_hash(&r), v[i].hash);
    }
}

/* The replay thread's cache hints (flow.h, called by reader.c's look-ahead)
 * read through what they find: tcpsim__flow_prefetch_conn must give the
 * connection tcpsim__flow_find gives for the 4-tuple (or one with the same
 * hash, the first the probe meets, when hashes collide; NULL when the hash is
 * not there), and tcpsim__flow_prefetch_fresh the slot tcpsim__flow_alloc
 * hands out next (from the free list, then past the high-water mark, also
 * into a new chunk). Colliding hashes are made on purpose. */
void test_flow_prefetch_hints_expect_the_lookup_and_alloc_results(void **state);

void test_flow_prefetch_hints_expect_the_lookup_and_alloc_results(void **state)
{
    (void)state;
    enum { N = 1500 }; /* more than a chunk: the high-water mark crosses into a new one */
    struct tcpsim__flowtab t;
    assert_true(tcpsim__flow_init(&t, 4000));
    static uint32_t slot[N], hash[N];
    static struct tcpsim_ip_addr a[N], b;
    hash_addr(&b, 4, 999);
    unsigned found = 0, collided = 0, fresh = 0;
    for (int round = 0; round < 2; round++) {
        for (unsigned i = 0; i < N; i++) {
            if (round == 1 && i % 3 != 0)
                continue; /* round 2: a third come again, from the free list */
            uint32_t want = tcpsim__flow_prefetch_fresh(&t);
            uint32_t s = tcpsim__flow_alloc(&t);
            assert_int_not_equal(s, TCPSIM__FLOW_NONE);
            if (want != TCPSIM__FLOW_NONE) {
                assert_int_equal(want, s);
                fresh++;
            }
            hash_addr(&a[i], 4, i);
            struct tcpsim_rp_conn *c = tcpsim__flow_conn(&t, s);
            c->addr[0] = a[i];
            c->addr[1] = b;
            c->port[0] = (uint16_t)(1024 + i);
            c->port[1] = 443;
            struct tcpsim__key k = {&a[i], &b, c->port[0], 443};
            /* every fourth shares the hash of the one before it */
            hash[i] = i % 4 == 3 ? hash[i - 1] : tcpsim__flow_hash(&k);
            tcpsim__flow_insert(&t, s, hash[i]);
            slot[i] = s;
        }
        for (unsigned i = 0; i < N; i++) {
            if (slot[i] == TCPSIM__FLOW_NONE)
                continue;
            struct tcpsim__key k = {&a[i], &b, (uint16_t)(1024 + i), 443};
            uint32_t fs;
            int dir;
            const struct tcpsim_rp_conn *c = tcpsim__flow_find(&t, &k, hash[i], &fs, &dir);
            assert_ptr_equal(c, tcpsim__flow_conn(&t, slot[i]));
            const struct tcpsim_rp_conn *h = tcpsim__flow_prefetch_conn(&t, hash[i]);
            if (h == c) {
                found++;
            } else if (h) { /* the other connection of a colliding pair */
                assert_int_equal(h->hash, hash[i]);
                collided++;
            }
        }
        /* a hash in no entry: NULL (the probe stops at an empty entry) */
        for (uint32_t x = 1; x < 200; x++) {
            uint32_t hx = x * 0x9e3779b9u;
            bool there = false;
            for (unsigned i = 0; i < N; i++)
                there |= slot[i] != TCPSIM__FLOW_NONE && hash[i] == hx;
            if (!there)
                assert_null(tcpsim__flow_prefetch_conn(&t, hx));
        }
        if (round == 0) /* two thirds leave: their slots go to the free list */
            for (unsigned i = 0; i < N; i++)
                if (i % 3 != 0) {
                    tcpsim__flow_remove(&t, slot[i]);
                    slot[i] = TCPSIM__FLOW_NONE;
                }
        if (round == 0)
            for (unsigned i = 0; i < N; i += 3) { /* and come back below */
                tcpsim__flow_remove(&t, slot[i]);
                slot[i] = TCPSIM__FLOW_NONE;
            }
    }
    /* the test saw what it says: hints followed, collisions met, slots from
     * the free list and past the high-water mark predicted */
    assert_true(found > N);
    assert_true(collided > 100);
    assert_true(fresh > N);
    tcpsim__flow_free(&t);
}

/* Below 2 MiB the alignment asked for; from 2 MiB on, 2 MiB (the huge page
 * a TLB entry can then map); every byte writable and kept. */
void test_flow_alloc_large_sizes_expect_aligned_and_usable(void **state)
{
    (void)state;
    const size_t mib2 = (size_t)2 << 20;
    const size_t sizes[] = {64, 4096, 100000, mib2 - 64, mib2, mib2 + mib2 / 8, 2 * mib2 + 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        unsigned char *p = tcpsim__alloc_large(n, 64);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % (n >= mib2 ? mib2 : 64), 0);
        memset(p, (int)(0x11 * (i + 1)), n);
        assert_int_equal(p[0], (unsigned char)(0x11 * (i + 1)));
        assert_int_equal(p[n - 1], (unsigned char)(0x11 * (i + 1)));
        free(p);
    }
}

/* Prefaulting (wire/mem.h): where the calling thread allows it, the chunk
 * after the current one is allocated when the current one is half used (and
 * its pages made by a helper thread), and taken when it is reached, not
 * allocated twice; where it is not allowed (the default), chunks come one at
 * a time, when they are reached. Every slot handed out is usable, also the
 * new chunk's while its helper may still run. */
void test_flow_prefault_expect_next_chunk_early_and_once(void **state);

void test_flow_prefault_expect_next_chunk_early_and_once(void **state)
{
    (void)state;
    for (int allow = 0; allow < 2; allow++) {
        struct tcpsim__flowtab t;
        assert_true(tcpsim__flow_init(&t, 4 * TCPSIM__FLOW_CHUNK));
        assert_false(tcpsim__prefault_allowed());
        tcpsim__prefault_allow(allow != 0);
        uint64_t a0 = t.allocations;
        for (uint32_t i = 0; i < TCPSIM__FLOW_CHUNK + 10; i++) {
            uint32_t s = tcpsim__flow_alloc(&t);
            assert_int_equal(s, i);
            memset(tcpsim__flow_conn(&t, s), 0xa5, sizeof(struct tcpsim_rp_conn));
            *tcpsim__flow_mark(&t, s) = 1;
            uint64_t chunks = t.allocations - a0;
            if (i < TCPSIM__FLOW_CHUNK / 2)
                assert_int_equal(chunks, 1);
            else if (i < TCPSIM__FLOW_CHUNK)
                assert_int_equal(chunks, allow ? 2 : 1);
            else
                assert_int_equal(chunks, 2); /* the early one taken, not another */
        }
        tcpsim__prefault_allow(false);
        tcpsim__flow_free(&t); /* joins the helper */
    }
}
