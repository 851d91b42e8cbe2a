/* test_tls_reuse.c - the decoder's reuse paths: the certificate cache (by
 * the DER), the decoder pool and reset, application_data records
 * counted without being copied, and a decoder without an item callback.
 * Each is checked against what a fresh decoder / a whole-buffer feed gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls_test.h"

#define C TCPSIM_SIDE_CLIENT
#define S TCPSIM_SIDE_SERVER

/* Feed a capture's segments in `chunk`-byte pieces (0: whole segments), then
 * end both directions; items go to rec (may be NULL: no callback). */
static struct tcpsim_tls_conn *run_capture(const char *name, size_t chunk, struct recorder *rec)
{
    static struct seg segs[64];
    size_t n = load_segs(name, segs, 64);
    assert_true(n > 3);
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, rec ? rec_cb : NULL, rec);
    assert_non_null(c);
    for (size_t i = 0; i < n; i++) {
        if (chunk == 0)
            assert_int_equal(tcpsim_tls_feed(c, segs[i].dir, segs[i].seq, segs[i].data, segs[i].len, segs[i].frame, 0),
                             TCPSIM_OK);
        else
            feed_stream(c, segs[i].dir, segs[i].seq, segs[i].data, segs[i].len, chunk, segs[i].frame);
    }
    tcpsim_tls_fin(c, C, 99, 0);
    tcpsim_tls_fin(c, S, 99, 0);
    free_segs(segs, n);
    return c;
}

/* ====================================================== certificate cache */

static void test_cert_cache_repeated_chain_parsed_once(void **state)
{
    (void)state;
    tcpsim_tls_release_caches();
    struct tcpsim_tls_cache_stats s0, s1, s2;
    tcpsim_tls_cache_stats(&s0);
    assert_int_equal(s0.certs_held, 0);
    struct tcpsim_tls_conn *a = run_capture("tls12", 0, NULL);
    tcpsim_tls_cache_stats(&s1);
    /* server certificate and CA: two parses, nothing from the cache yet */
    assert_int_equal(s1.cert_misses - s0.cert_misses, 2);
    assert_int_equal(s1.cert_hits - s0.cert_hits, 0);
    assert_int_equal(s1.certs_held, 2);
    struct tcpsim_tls_summary *first = malloc(sizeof *first);
    assert_non_null(first);
    memcpy(first, tcpsim_tls_summary(a), sizeof *first);
    tcpsim_tls_conn_free(a);
    struct tcpsim_tls_conn *b = run_capture("tls12", 0, NULL);
    tcpsim_tls_cache_stats(&s2);
    assert_int_equal(s2.cert_misses, s1.cert_misses); /* the same chain again: no parse */
    assert_int_equal(s2.cert_hits - s1.cert_hits, 2);
    const struct tcpsim_tls_summary *second = tcpsim_tls_summary(b);
    assert_int_equal(second->ncerts, 2);
    assert_string_equal(second->certs[0].subject, "CN=server.test");
    assert_string_equal(second->certs[0].sha256, "9679636cda13031f95a889678ef6d2106a59365e0a51256c7d9e5e278d9a68f5");
    assert_string_equal(second->certs[1].subject, "CN=tcpsim test CA");
    /* a cached summary is exactly the parsed one */
    assert_memory_equal(second->certs, first->certs, 2 * sizeof first->certs[0]);
    tcpsim_tls_conn_free(b);
    free(first);
    tcpsim_tls_release_caches();
    tcpsim_tls_cache_stats(&s0);
    assert_int_equal(s0.certs_held, 0);
    assert_int_equal(s0.conns_pooled, 0);
}

/* =========================================================== pool, reset */

static void test_pool_reused_decoder_starts_fresh(void **state)
{
    (void)state;
    tcpsim_tls_release_caches();
    struct tcpsim_tls_cache_stats s0, s1;
    struct tcpsim_tls_conn *a = run_capture("tls12", 0, NULL);
    assert_true(tcpsim_tls_summary(a)->ncerts > 0);
    tcpsim_tls_conn_free(a);
    tcpsim_tls_cache_stats(&s0);
    assert_int_equal(s0.conns_pooled, 1);
    struct recorder *rec = calloc(1, sizeof *rec);
    assert_non_null(rec);
    struct tcpsim_tls_conn *b = run_capture("tls13", 0, rec);
    tcpsim_tls_cache_stats(&s1);
    assert_int_equal(s1.conn_reused - s0.conn_reused, 1);
    assert_int_equal(s1.conn_allocated, s0.conn_allocated);
    /* nothing of the TLS 1.2 connection is left: the TLS 1.3 results exactly */
    const struct tcpsim_tls_summary *s = tcpsim_tls_summary(b);
    assert_int_equal(rec->n, 14);
    assert_int_equal(s->version, 0x0304);
    assert_int_equal(s->chain_len, 0);
    assert_int_equal(s->ncerts, 0);
    assert_int_equal(s->nalerts, 0);
    assert_int_equal(s->nmsgs, 9); /* 14 items, 5 of them application data */
    assert_string_equal(s->ja3, "5a1edc7f170af1014fc65c994878e63c");
    assert_string_equal(s->ja3s_full, "771,4866,43-51");
    assert_int_equal(s->app_records[0], 2);
    /* reset in place: the same as new */
    memset(rec, 0, sizeof *rec);
    tcpsim_tls_conn_reset(b, NULL, rec_cb, rec);
    assert_false(tcpsim_tls_is_tls(b));
    assert_int_equal(tcpsim_tls_summary(b)->nmsgs, 0);
    assert_int_equal(tcpsim_tls_summary(b)->app_records[0], 0);
    tcpsim_tls_conn_free(b);
    free(rec);
    tcpsim_tls_release_caches();
}

/* What a decoder leaves behind must not show in the next connection it
 * serves (conn_setup clears only what is read before it is written): each
 * capture, whole and in 3-byte pieces, decoded on a decoder that served
 * nothing, and on the pooled decoder of each of several connections (TLS 1.2
 * with certificates, TLS 1.3, one ending in damaged records with a message
 * cut, one out of order), gives the same items, JSON and packed summary. */
static struct tcpsim_tls_conn *run_dirty(int kind)
{
    static struct recorder junk;
    if (kind < 3) {
        static const char *const names[] = {"tls12", "tls12rsa", "tls13"};
        return run_capture(names[kind], (size_t)kind * 2, &junk);
    }
    static struct seg segs[64];
    size_t n = load_segs("tls12", segs, 64);
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, rec_cb, &junk);
    assert_non_null(c);
    static uint8_t bad[3000];
    for (size_t i = 0; i < sizeof bad; i++)
        bad[i] = (uint8_t)(i % 7 == 0 ? 0x16 : 0x15 + i % 3);
    for (size_t i = 0; kind == 4 && i < n; i++) /* each direction starts at its first segment */
        tcpsim_tls_start(c, segs[i].dir, segs[i].seq);
    for (size_t i = 0; i < n; i++) {
        uint32_t next = segs[i].seq + (uint32_t)segs[i].len;
        if (kind == 4 && segs[i].len >= 2) { /* each segment's second half first: the reassembler holds it */
            size_t h = segs[i].len / 2;
            assert_int_equal(tcpsim_tls_feed(c, segs[i].dir, segs[i].seq + (uint32_t)h, segs[i].data + h,
                                             segs[i].len - h, segs[i].frame, 0),
                             TCPSIM_OK);
        }
        assert_int_equal(tcpsim_tls_feed(c, segs[i].dir, segs[i].seq, segs[i].data, segs[i].len, segs[i].frame, 0),
                         TCPSIM_OK);
        if (i == n / 2 && kind == 3) /* damage, then a handshake message left open */
            assert_int_equal(tcpsim_tls_feed(c, segs[i].dir, next, bad, sizeof bad, segs[i].frame, 0), TCPSIM_OK);
    }
    free_segs(segs, n);
    return c;
}

static void test_pool_dirty_decoder_same_as_unused(void **state)
{
    (void)state;
    static const char *const names[] = {"tls12", "tls12rsa", "tls13"};
    static struct recorder ref, got;
    static uint8_t pref[32768], pgot[32768];
    static char jref[65536], jgot[65536];
    size_t compared = 0;
    for (int b = 0; b < 3; b++) {
        for (size_t chunk = 0; chunk <= 3; chunk += 3) {
            size_t lref = 0, jlref = 0;
            for (int kind = -1; kind < 5; kind++) {
                tcpsim_tls_release_caches();
                if (kind >= 0)
                    tcpsim_tls_conn_free(run_dirty(kind)); /* to the pool, dirty */
                struct recorder *r = kind < 0 ? &ref : &got;
                memset(r, 0, sizeof *r);
                struct tcpsim_tls_conn *c = run_capture(names[b], chunk, r);
                const struct tcpsim_tls_summary *s = tcpsim_tls_summary(c);
                size_t l = tcpsim_tls_summary_packed_size(s), jl = 0;
                assert_true(l <= sizeof pref);
                tcpsim_tls_summary_pack(kind < 0 ? pref : pgot, s);
                assert_int_equal(tcpsim_tls_summary_json(s, kind < 0 ? jref : jgot, sizeof jref, &jl), TCPSIM_OK);
                tcpsim_tls_conn_free(c);
                if (kind < 0) {
                    lref = l;
                    jlref = jl;
                    assert_true(ref.n > 5);
                    continue;
                }
                assert_int_equal(got.n, ref.n);
                for (size_t i = 0; i < ref.n; i++) {
                    assert_int_equal(got.it[i].frame, ref.it[i].frame);
                    assert_int_equal(got.it[i].malformed, ref.it[i].malformed);
                    assert_string_equal(got.it[i].explain, ref.it[i].explain);
                    assert_string_equal(got.it[i].json, ref.it[i].json);
                }
                assert_int_equal(l, lref);
                assert_memory_equal(pgot, pref, l);
                assert_int_equal(jl, jlref);
                assert_memory_equal(jgot, jref, jl);
                compared += ref.n;
            }
        }
    }
    assert_true(compared > 100);
    tcpsim_tls_release_caches();
}

/* ============================================= application data counting */

static void expect_same_items(const struct recorder *x, const struct recorder *y)
{
    assert_int_equal(x->n, y->n);
    for (size_t i = 0; i < x->n; i++) {
        assert_int_equal(x->it[i].frame, y->it[i].frame);
        assert_int_equal(x->it[i].dir, y->it[i].dir);
        assert_int_equal(x->it[i].record, y->it[i].record);
        assert_int_equal(x->it[i].hs, y->it[i].hs);
        assert_int_equal(x->it[i].malformed, y->it[i].malformed);
        assert_string_equal(x->it[i].json, y->it[i].json);
    }
}

/* Past TCPSIM_TLS_POOL pooled decoders a freed one gives back its buffers
 * and waits bare (in its slab, or freed under ASan); two taken again at once
 * are two decoders, each decoding as a new one: the same items and packed
 * summary as on a fresh thread's first decoder. */
static void pack_of(struct tcpsim_tls_conn *c, uint8_t *p, size_t cap, size_t *len)
{
    const struct tcpsim_tls_summary *s = tcpsim_tls_summary(c);
    *len = tcpsim_tls_summary_packed_size(s);
    assert_true(*len <= cap);
    tcpsim_tls_summary_pack(p, s);
}

static void test_pool_past_cap_bare_decoders_same_as_new(void **state)
{
    (void)state;
    static struct recorder ref12, ref13, got12, got13;
    static uint8_t p12[32768], p13[32768], q12[32768], q13[32768];
    size_t l12, l13, m12, m13;
    tcpsim_tls_release_caches();
    struct tcpsim_tls_conn *c = run_capture("tls12", 0, &ref12);
    pack_of(c, p12, sizeof p12, &l12);
    tcpsim_tls_conn_free(c);
    tcpsim_tls_release_caches();
    c = run_capture("tls13", 3, &ref13);
    pack_of(c, p13, sizeof p13, &l13);
    tcpsim_tls_conn_free(c);
    tcpsim_tls_release_caches();

    size_t n = TCPSIM_TLS_POOL + 2;
    struct tcpsim_tls_conn **all = calloc(n, sizeof *all);
    assert_non_null(all);
    for (size_t i = 0; i < n; i++) /* the last two dirty: damaged records, buffers held */
        all[i] = i + 2 < n ? tcpsim_tls_conn_new(NULL, NULL, NULL) : run_dirty(3 + (int)(i + 2 - n));
    for (size_t i = 0; i < n; i++)
        assert_non_null(all[i]);
    for (size_t i = 0; i < n; i++)
        tcpsim_tls_conn_free(all[i]);
    struct tcpsim_tls_cache_stats st;
    tcpsim_tls_cache_stats(&st);
    assert_int_equal(st.conns_pooled, TCPSIM_TLS_POOL);
    for (size_t i = 0; i + 2 < n; i++) /* the pool emptied: the next two are the bare ones */
        all[i] = tcpsim_tls_conn_new(NULL, NULL, NULL);
    struct tcpsim_tls_conn *a = run_capture("tls12", 0, &got12);
    struct tcpsim_tls_conn *b = run_capture("tls13", 3, &got13);
    assert_ptr_not_equal(a, b);
    pack_of(a, q12, sizeof q12, &m12);
    pack_of(b, q13, sizeof q13, &m13);
    expect_same_items(&got12, &ref12);
    expect_same_items(&got13, &ref13);
    assert_int_equal(m12, l12);
    assert_memory_equal(q12, p12, l12);
    assert_int_equal(m13, l13);
    assert_memory_equal(q13, p13, l13);
    tcpsim_tls_conn_free(a);
    tcpsim_tls_conn_free(b);
    for (size_t i = 0; i + 2 < n; i++)
        tcpsim_tls_conn_free(all[i]);
    free(all);
    tcpsim_tls_release_caches();
}

/* Records split at every size of piece (headers split too) give the same
 * items on the same frames and the same counts as whole segments. */
static void test_appdata_split_any_way_same_items(void **state)
{
    (void)state;
    struct recorder *whole = calloc(1, sizeof *whole), *split = calloc(1, sizeof *split);
    assert_non_null(whole);
    assert_non_null(split);
    struct tcpsim_tls_conn *w = run_capture("tls13", 0, whole);
    assert_int_equal(tcpsim_tls_summary(w)->app_bytes[0], 23 + 19);
    static const size_t chunks[] = {1, 2, 3, 4, 5, 6, 7, 13, 64};
    for (size_t k = 0; k < sizeof chunks / sizeof chunks[0]; k++) {
        memset(split, 0, sizeof *split);
        struct tcpsim_tls_conn *c = run_capture("tls13", chunks[k], split);
        expect_same_items(whole, split);
        assert_memory_equal(tcpsim_tls_summary(c)->app_records, tcpsim_tls_summary(w)->app_records,
                            sizeof tcpsim_tls_summary(w)->app_records);
        assert_memory_equal(tcpsim_tls_summary(c)->app_bytes, tcpsim_tls_summary(w)->app_bytes,
                            sizeof tcpsim_tls_summary(w)->app_bytes);
        tcpsim_tls_conn_free(c);
    }
    tcpsim_tls_conn_free(w);
    free(whole);
    free(split);
}

/* The stream ends inside an application_data record being counted: one
 * malformed item whose length is what arrived (header and body so far). */
static void test_appdata_fin_inside_record_malformed(void **state)
{
    (void)state;
    static struct seg segs[64];
    size_t n = load_segs("tls13", segs, 64);
    struct recorder *rec = calloc(1, sizeof *rec);
    assert_non_null(rec);
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, rec_cb, rec);
    size_t i;
    for (i = 0; i < n && segs[i].frame != 12; i++)
        assert_int_equal(tcpsim_tls_feed(c, segs[i].dir, segs[i].seq, segs[i].data, segs[i].len, segs[i].frame, 0),
                         TCPSIM_OK);
    assert_true(i < n);
    assert_int_equal(segs[i].data[0], 23); /* frame 12 starts with an application_data record */
    size_t before = rec->n;
    assert_int_equal(tcpsim_tls_feed(c, segs[i].dir, segs[i].seq, segs[i].data, 10, 12, 0), TCPSIM_OK);
    assert_int_equal(rec->n, before); /* incomplete: nothing yet */
    tcpsim_tls_fin(c, segs[i].dir, 77, 0);
    assert_int_equal(rec->n, before + 1);
    const struct rec_item *it = &rec->it[before];
    assert_true(it->malformed);
    assert_int_equal(it->record, TCPSIM_TLS_REC_APPLICATION_DATA);
    assert_int_equal(it->frame, 77);
    assert_non_null(strstr(it->json, "\"length\":10"));
    assert_non_null(strstr(it->explain, "stream ends inside a record"));
    tcpsim_tls_conn_free(c);
    free(rec);
    free_segs(segs, n);
}

/* Without a callback the summary is the same (nothing is explained). */
static void test_no_callback_same_summary(void **state)
{
    (void)state;
    struct recorder *rec = calloc(1, sizeof *rec);
    assert_non_null(rec);
    const char *names[] = {"tls13", "tls12", "tls12rsa"};
    for (size_t k = 0; k < 3; k++) {
        memset(rec, 0, sizeof *rec);
        struct tcpsim_tls_conn *x = run_capture(names[k], 0, rec);
        struct tcpsim_tls_conn *y = run_capture(names[k], 0, NULL);
        assert_true(rec->n > 10);
        const struct tcpsim_tls_summary *a = tcpsim_tls_summary(x), *b = tcpsim_tls_summary(y);
        assert_int_equal(a->nmsgs, b->nmsgs);
        assert_memory_equal(a->msgs, b->msgs, a->nmsgs * sizeof a->msgs[0]);
        assert_memory_equal(a->app_records, b->app_records, sizeof a->app_records);
        assert_memory_equal(a->app_bytes, b->app_bytes, sizeof a->app_bytes);
        assert_string_equal(a->ja4, b->ja4);
        assert_int_equal(a->ncerts, b->ncerts);
        assert_memory_equal(a->certs, b->certs, a->ncerts * sizeof a->certs[0]);
        tcpsim_tls_conn_free(x);
        tcpsim_tls_conn_free(y);
    }
    free(rec);
    tcpsim_tls_release_caches();
}

/* ====================================================== record buffers */

/* Feed a capture's segments in `chunk`-byte pieces, checking after each piece
 * that the decoder holds a record buffer only while a record is split (at
 * most one per direction); returns the decoder after both FINs. */
static struct tcpsim_tls_conn *run_chunked_watch(const char *name, size_t chunk, struct recorder *rec, size_t *most)
{
    static struct seg segs[64];
    size_t n = load_segs(name, segs, 64);
    struct tcpsim_tls_cache_stats st;
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, rec_cb, rec);
    assert_non_null(c);
    for (size_t i = 0; i < n; i++)
        for (size_t off = 0; off < segs[i].len; off += chunk) {
            size_t k = segs[i].len - off < chunk ? segs[i].len - off : chunk;
            (void)tcpsim_tls_feed(c, segs[i].dir, segs[i].seq + (uint32_t)off, segs[i].data + off, k, segs[i].frame, 0);
            tcpsim_tls_cache_stats(&st);
            assert_true(st.rb_in_use <= 2);
            if (st.rb_in_use > *most)
                *most = st.rb_in_use;
        }
    tcpsim_tls_fin(c, C, 99, 0);
    tcpsim_tls_fin(c, S, 99, 0);
    tcpsim_tls_cache_stats(&st);
    assert_int_equal(st.rb_in_use, 0); /* the stream ended: nothing waits */
    free_segs(segs, n);
    return c;
}

static void test_record_buffer_held_only_while_split_and_reused(void **state)
{
    (void)state;
    tcpsim_tls_release_caches();
    struct tcpsim_tls_cache_stats st, s1;
    tcpsim_tls_cache_stats(&st);
    assert_int_equal(st.rb_in_use + st.rb_pooled, 0);
    struct recorder *whole = calloc(1, sizeof *whole), *rec = calloc(1, sizeof *rec);
    assert_non_null(whole);
    assert_non_null(rec);
    /* whole segments of tls13: at most one record is split at a time */
    tcpsim_tls_conn_free(run_capture("tls13", 0, whole));
    tcpsim_tls_cache_stats(&st);
    assert_int_equal(st.rb_in_use, 0);
    assert_true(st.rb_pooled <= 1);
    /* 7-byte pieces: records are gathered, the same items come out, and the
     * buffers go back to the free list */
    const char *names[] = {"tls13", "tls12", "tls12rsa"};
    for (size_t k = 0; k < 3; k++) {
        size_t most = 0;
        memset(whole, 0, sizeof *whole);
        memset(rec, 0, sizeof *rec);
        tcpsim_tls_conn_free(run_capture(names[k], 0, whole));
        tcpsim_tls_conn_free(run_chunked_watch(names[k], 7, rec, &most));
        assert_int_equal(most, 1); /* one direction at a time has a record split */
        expect_same_items(whole, rec);
    }
    tcpsim_tls_cache_stats(&st);
    assert_int_equal(st.rb_in_use, 0);
    assert_int_equal(st.rb_pooled, 1);
    /* many connections one after another: no more buffers than one */
    for (int r = 0; r < 20; r++) {
        size_t most = 0;
        memset(rec, 0, sizeof *rec);
        tcpsim_tls_conn_free(run_chunked_watch(names[r % 3], 3 + (size_t)r, rec, &most));
    }
    tcpsim_tls_cache_stats(&s1);
    assert_int_equal(s1.rb_in_use, 0);
    assert_int_equal(s1.rb_pooled, 1);
    /* a decoder freed or reset with a record half gathered gives it back */
    static struct seg segs[64];
    size_t n = load_segs("tls12", segs, 64);
    for (int how = 0; how < 2; how++) {
        struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, NULL, NULL);
        assert_non_null(c);
        (void)tcpsim_tls_feed(c, segs[0].dir, segs[0].seq, segs[0].data, segs[0].len / 2, segs[0].frame, 0);
        tcpsim_tls_cache_stats(&st);
        assert_int_equal(st.rb_in_use, 1);
        if (how)
            tcpsim_tls_conn_reset(c, NULL, NULL, NULL);
        tcpsim_tls_cache_stats(&st);
        assert_int_equal(st.rb_in_use, how ? 0 : 1);
        tcpsim_tls_conn_free(c);
        tcpsim_tls_cache_stats(&st);
        assert_int_equal(st.rb_in_use, 0);
        assert_int_equal(st.rb_pooled, 1);
    }
    free_segs(segs, n);
    free(whole);
    free(rec);
    tcpsim_tls_release_caches();
    tcpsim_tls_cache_stats(&st);
    assert_int_equal(st.rb_in_use + st.rb_pooled, 0);
}

int run_reuse_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cert_cache_repeated_chain_parsed_once),
        cmocka_unit_test(test_pool_reused_decoder_starts_fresh),
        cmocka_unit_test(test_pool_dirty_decoder_same_as_unused),
        cmocka_unit_test(test_pool_past_cap_bare_decoders_same_as_new),
        cmocka_unit_test(test_appdata_split_any_way_same_items),
        cmocka_unit_test(test_appdata_fin_inside_record_malformed),
        cmocka_unit_test(test_no_callback_same_summary),
        cmocka_unit_test(test_record_buffer_held_only_while_split_and_reused),
    };
    return cmocka_run_group_tests_name("reuse", tests, NULL, NULL);
}
