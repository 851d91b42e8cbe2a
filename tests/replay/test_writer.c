/* test_writer.c - JSON and the summary on a writer thread (src/replay/writer.c,
 * output.c): the ring on its own (order, wraps, a full ring, drains), and the
 * JSON and summary views with the thread against the same views without it,
 * byte for byte: every bundled capture and a generated one with rings from
 * 1 MiB down to a few hundred bytes (wraps, waits, messages too big for the
 * ring), TLS connections (their summaries packed into the messages), records
 * made by hand (32 KiB of TLS JSON, IPv6 labels, events), and write errors.
 * Read first: docs/design.md "JSON on a writer thread". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bundled.h"
#include "replay/pcapgen.h"
#include "replay/replay.h"
#include "replay/writer.h"
#include "replayrun.h"

#ifndef TCPSIM_CAPTURES_DIR
#error "TCPSIM_CAPTURES_DIR: the bundled captures (tests/replay/CMakeLists.txt)"
#endif

/* ================= the ring ================= */

/* Message i: `len` = i % 61 bytes (0..60), each byte (i + k) & 0xff, type
 * i % 7. The worker checks every one in order. */
struct ring_check {
    uint64_t next, bad, bytes;
};

static void ring_fn(void *ctx, uint32_t type, void *msg, size_t len)
{
    struct ring_check *rc = ctx;
    uint64_t i = rc->next++;
    const uint8_t *b = msg;
    bool ok = type == i % 7 && len == i % 61 && ((uintptr_t)msg & 7u) == 0;
    for (size_t k = 0; ok && k < len; k++)
        ok = b[k] == (uint8_t)(i + k);
    rc->bad += !ok;
    rc->bytes += len;
}

static void ring_run(size_t ring, uint64_t n, uint64_t *nwait, uint64_t *nwrap)
{
    struct ring_check rc = {0, 0, 0};
    struct tcpsim__wq *q = tcpsim__wq_new(ring, ring_fn, &rc);
    assert_non_null(q);
    uint64_t want_bytes = 0;
    for (uint64_t i = 0; i < n; i++) {
        size_t len = (size_t)(i % 61);
        uint8_t *m = tcpsim__wq_reserve(q, len);
        for (size_t k = 0; k < len; k++)
            m[k] = (uint8_t)(i + k);
        tcpsim__wq_commit(q, (uint32_t)(i % 7), len);
        want_bytes += len;
        if (i == n / 2) { /* a drain: everything so far handled, the worker idle */
            tcpsim__wq_drain(q);
            assert_int_equal(rc.next, i + 1);
        }
    }
    *nwait = q->nwait;
    *nwrap = q->nwrap;
    tcpsim__wq_free(q); /* joins: rc is ours again */
    assert_int_equal(rc.next, n);
    assert_int_equal(rc.bad, 0);
    assert_int_equal(rc.bytes, want_bytes);
}

static void test_ring_tiny_expect_every_message_in_order_after_wraps_and_waits(void **state)
{
    (void)state;
    uint64_t nwait, nwrap;
    /* 256 bytes hold at most 16 messages: fewer than a batch, so every
     * publication is a full ring's wait. */
    ring_run(256, 20000, &nwait, &nwrap);
    assert_true(nwait > 100);
    assert_true(nwrap > 100);
    ring_run(4096, 20000, &nwait, &nwrap);
    assert_true(nwrap > 10);
    ring_run(0, 80000, &nwait, &nwrap); /* the default size (1 MiB: 80000 messages are ~2.4 MB) */
    assert_true(nwrap >= 1);
}

static void test_ring_largest_message_expect_taken(void **state)
{
    (void)state;
    struct ring_check rc = {0, 0, 0};
    struct tcpsim__wq *q = tcpsim__wq_new(1024, ring_fn, &rc);
    assert_non_null(q);
    assert_int_equal(tcpsim__wq_max(q), 1024 / 4 - 8);
    /* Every message the largest one, so that wraps leave every remainder. */
    for (unsigned r = 0; r < 50; r++) {
        size_t len = tcpsim__wq_max(q);
        uint8_t *m = tcpsim__wq_reserve(q, len);
        memset(m, 0x5a, len);
        tcpsim__wq_commit(q, 3, len);
    }
    tcpsim__wq_drain(q);
    assert_int_equal(rc.bytes, 50 * tcpsim__wq_max(q));
    tcpsim__wq_free(q);
}

/* Pointer messages (tcpsim__wq_ptr) among whole ones: value v goes as the
 * pointer (uintptr_t)v of type 1 or 2 (runs of each), or, every 23rd, as an
 * 8-byte message of type 3. The worker sees every value once, in order, and
 * each pointer message holds consecutive pointers of one type. The position
 * returned for a pointer is one the worker passes only after that pointer:
 * after a drain at a random point, every value whose position is at most the
 * worker's has been seen. */
struct ptr_check {
    uint64_t next, bad, msgs;
};

static uint32_t ptr_type(uint64_t v)
{
    return v % 23 == 22 ? 3u : (v / 5) % 2 ? 2u : 1u;
}

static void ptr_fn(void *ctx, uint32_t type, void *msg, size_t len)
{
    struct ptr_check *pc = ctx;
    pc->msgs++;
    if (type == 3) {
        uint64_t v;
        memcpy(&v, msg, 8);
        pc->bad += len != 8 || v != pc->next++ || ptr_type(v) != 3;
        return;
    }
    pc->bad += len == 0 || len % 8 != 0 || len > 8u * TCPSIM__WQ_PTRS;
    for (size_t k = 0; k + 8 <= len; k += 8) {
        uintptr_t p;
        memcpy(&p, (char *)msg + k, sizeof p);
        pc->bad += (uint64_t)p != pc->next++ || ptr_type(p) != type;
    }
}

static void ptr_run(size_t ring, uint64_t n)
{
    struct ptr_check pc = {0, 0, 0};
    struct tcpsim__wq *q = tcpsim__wq_new(ring, ptr_fn, &pc);
    assert_non_null(q);
    uint64_t last = 0;
    for (uint64_t v = 0; v < n; v++) {
        if (ptr_type(v) == 3) {
            memcpy(tcpsim__wq_reserve(q, 8), &v, 8);
            tcpsim__wq_commit(q, 3, 8);
            continue;
        }
        uint64_t pos = tcpsim__wq_ptr(q, ptr_type(v), (const void *)(uintptr_t)v);
        assert_true(pos > last); /* larger than any before */
        last = pos;
        if (v % 997 == 0) { /* the worker done with v once it is past pos */
            tcpsim__wq_drain(q);
            assert_true(atomic_load(&q->head) >= pos);
            assert_int_equal(pc.next, v + 1);
        }
    }
    tcpsim__wq_free(q);
    assert_int_equal(pc.next, n);
    assert_int_equal(pc.bad, 0);
    assert_true(pc.msgs < n * 2 / 3); /* pointers went several to a message */
}

static void test_ring_pointer_messages_expect_every_value_in_order(void **state)
{
    (void)state;
    ptr_run(256, 20000); /* 7 pointers to a message at most, wraps and waits */
    ptr_run(4096, 20000);
    ptr_run(0, 100000);
}

/* ================= the JSON and summary views with and without the thread ================= */

/* Held records the last replay_view's JSON writer read by reference. */
static uint64_t view_refs;

/* `ring`: 0 no writer thread; else the writer thread with that ring (1: its
 * default). The reader runs on two threads either way. */
static char *replay_view(enum tcpsim_rp_format fmt, const char *cap, size_t ring, long pick, const char *filter)
{
    struct rr_out o;
    struct tcpsim_rp_writer *w = rr_open(&o, fmt, pick);
    if (ring)
        assert_true(tcpsim_rp_writer_thread(w, ring == 1 ? 0 : ring));
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    cfg.threads = ring ? 2 : 1; /* setup starts no second writer thread */
    tcpsim_rp_writer_setup(w, &cfg);
    rr_read(&cfg, cap, filter);
    view_refs = tcpsim__rp_writer_refs(w);
    assert_true(rr_close(&o));
    return o.text;
}

static void same_view(enum tcpsim_rp_format fmt, const char *cap, long pick, const char *filter)
{
    static const size_t rings[] = {1, 65536, 4096, 1024, 256};
    char *want = replay_view(fmt, cap, 0, pick, filter);
    assert_true(strlen(want) > 0);
    for (size_t i = 0; i < sizeof rings / sizeof rings[0]; i++) {
        char *got = replay_view(fmt, cap, rings[i], pick, filter);
        if (strcmp(got, want) != 0) {
            size_t k = 0;
            while (got[k] && got[k] == want[k])
                k++;
            fail_msg("%s (%s, ring %zu, conn %ld): differs at byte %zu of %zu/%zu: ...%.80s", cap,
                     fmt == TCPSIM_RP_JSON ? "json" : "summary", rings[i], pick, k, strlen(got), strlen(want),
                     got + (k > 40 ? k - 40 : 0));
        }
        free(got);
    }
    free(want);
}

static void same_json(const char *cap, long pick, const char *filter)
{
    same_view(TCPSIM_RP_JSON, cap, pick, filter);
    same_view(TCPSIM_RP_SUMMARY, cap, pick, filter);
}

static void same_json_all_and_conn0(const char *cap, void *ctx)
{
    (void)ctx;
    same_json(cap, -1, NULL);
    same_json(cap, 0, NULL); /* --conn 0 */
}

static void test_views_bundled_captures_thread_expect_same_bytes(void **state)
{
    (void)state;
    unsigned ncap = bundled_each_file(TCPSIM_CAPTURES_DIR, same_json_all_and_conn0, NULL);
    assert_true(ncap >= 10);
}

/* Interleaved IPv4 and IPv6 connections with data, retransmissions and
 * closes: thousands of records, so small rings wrap many times. */
static void test_views_generated_capture_thread_expect_same_bytes(void **state)
{
    (void)state;
    char path[] = "/tmp/tcpsim-writer-test-XXXXXX";
    struct pg g;
    assert_int_equal(pg_open_temp(&g, path, DLT_EN10MB), 0);
    uint64_t t = 1700000000000000u;
    enum { N = 300 };
    for (unsigned r = 0; r < 6; r++)
        for (unsigned i = 0; i < N; i++) {
            bool v6 = i % 4 == 1;
            const char *c = v6 ? "2001:db8::1" : "10.0.0.1", *s = v6 ? "2001:db8::2" : "10.0.0.2";
            uint16_t cp = (uint16_t)(20000 + i), sp = 443;
            uint32_t cs = 1000 * i, ss = 7000 * i + 5;
            t += 37;
            switch (r) {
            case 0:
                pg_tcp(&g, t, c, cp, s, sp, PG_S, cs, 0, 64240, 0, NULL);
                break;
            case 1:
                if (i % 7 == 2) /* the SYN again, then answered: the correction for the records
                                 * before the SYN answered reaches the first (held compact) */
                    pg_tcp(&g, t - 20, c, cp, s, sp, PG_S, cs, 0, 64240, 0, NULL);
                if (i % 9 != 3) /* some servers never answer */
                    pg_tcp(&g, t, s, sp, c, cp, PG_S | PG_A, ss, cs + 1, 65535, 0, NULL);
                break;
            case 2:
                pg_tcp(&g, t, c, cp, s, sp, PG_A | PG_P, cs + 1, ss + 1, 502, (uint16_t)(i % 700), NULL);
                break;
            case 3: /* a retransmission of the same bytes */
                if (i % 5 == 0)
                    pg_tcp(&g, t, c, cp, s, sp, PG_A | PG_P, cs + 1, ss + 1, 502, (uint16_t)(i % 700), NULL);
                break;
            case 4:
                pg_tcp(&g, t, s, sp, c, cp, i % 11 == 0 ? PG_R : PG_F | PG_A, ss + 1, cs + 1 + i % 700, 65535, 0, NULL);
                break;
            case 5:
                pg_tcp(&g, t, c, cp, s, sp, PG_F | PG_A, cs + 1 + i % 700, ss + 2, 502, 0, NULL);
                break;
            }
        }
    pg_close(&g);
    same_json(path, -1, NULL);
    /* the first of the SYNs sent twice and answered arrived in LISTEN (conn
     * 2: 10.0.0.1:20002, the SYN at its first frame) */
    char *one = replay_view(TCPSIM_RP_JSON, path, 0, 2, NULL);
    const char *syn1 = strstr(one, "\"flags\":[\"SYN\"]");
    assert_non_null(syn1);
    assert_non_null(strstr(syn1, "\"server_state\":\"LISTEN\""));
    assert_true(strstr(syn1, "\"server_state\":\"LISTEN\"") < strchr(syn1, '\n'));
    free(one);
    /* the IPv4 records held behind an unanswered SYN were read where they
     * were held (segment_ref, the compact form), the IPv6 ones copied: both above */
    for (size_t ring = 1; ring <= 4096; ring *= 4096) {
        free(replay_view(TCPSIM_RP_JSON, path, ring, -1, NULL));
        print_message("ring %zu: %llu by reference\n", ring, (unsigned long long)view_refs);
        assert_true(view_refs > 6 * N / 2);
    }
    same_json(path, 17, NULL);
    same_json(path, -1, "port 20005 or port 20006"); /* records of the other connections tracked, not written */
    unlink(path);
}

/* Packets straight to a replay that is freed without being finished: held
 * records the writer thread may still be reading when the replay goes (it
 * waits for them: ASan sees a block freed under the writer thread). A SYN
 * never answered holds everything behind it until HOLD_NS of capture has
 * passed; then the FIFO is written out, by reference, and fills again. */
static void (*real_ref_wait)(void *ctx);
static unsigned ref_waits;

/* The writer's wait, counted. */
static void counted_ref_wait(void *ctx)
{
    ref_waits++;
    real_ref_wait(ctx);
}

/* A view that never says it let go: the replay takes a new block each time
 * and must wait when it is freed. */
static uint64_t ref_done_never(void *ctx)
{
    (void)ctx;
    return 0;
}

static char *unfinished_json(size_t ring, bool never, uint64_t *refs)
{
    struct rr_out o;
    struct tcpsim_rp_writer *w = rr_open(&o, TCPSIM_RP_JSON, -1);
    if (ring)
        assert_true(tcpsim_rp_writer_thread(w, ring));
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    cfg.threads = ring ? 2 : 1;
    tcpsim_rp_writer_setup(w, &cfg);
    if (cfg.h.ref_wait) {
        real_ref_wait = cfg.h.ref_wait;
        cfg.h.ref_wait = counted_ref_wait;
        if (never)
            cfg.h.ref_done = ref_done_never;
    }
    ref_waits = 0;
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    assert_non_null(rp);
    uint8_t b[256];
    uint64_t frame = 0, t = UINT64_C(1700000000000000); /* us */
    size_t n = pg_build(DLT_EN10MB, b, sizeof b, "10.1.0.1", 1000, "10.1.0.2", 80, PG_S, 1, 0, 1024, 0, NULL, 1);
    tcpsim_replay_packet(rp, ++frame, t * 1000u, DLT_EN10MB, b, n, n);
    for (unsigned i = 0; i < 4000; i++) { /* 20 s apart every 200: the head goes at 60 s */
        t += i % 200 == 199 ? 20000000u : 100u;
        uint16_t cp = (uint16_t)(2000 + i % 300);
        n = pg_build(DLT_EN10MB, b, sizeof b, "10.2.0.1", cp, "10.2.0.2", 443, i < 300 ? PG_S : PG_A | PG_P, 7 * i, 5,
                     1024, (uint16_t)(i < 300 ? 0 : 10), NULL, (uint16_t)i);
        tcpsim_replay_packet(rp, ++frame, t * 1000u, DLT_EN10MB, b, n, n);
    }
    tcpsim_replay_free(rp);
    *refs = tcpsim__rp_writer_refs(w);
    assert_true(rr_close(&o));
    return o.text;
}

static void test_json_replay_freed_unfinished_expect_same_bytes(void **state)
{
    (void)state;
    uint64_t refs;
    char *want = unfinished_json(0, false, &refs);
    assert_true(strlen(want) > 1000);
    assert_int_equal(refs, 0);
    static const size_t rings[] = {1, 4096, 256};
    for (size_t r = 0; r < 2 * sizeof rings / sizeof rings[0]; r++) {
        bool never = r % 2;
        char *got = unfinished_json(rings[r / 2], never, &refs);
        if (never) /* nothing let go as far as the replay knows: it waited when freed */
            assert_int_equal(ref_waits, 1);
        assert_string_equal(got, want);
        print_message("ring %zu%s: %llu refs, %zu bytes\n", rings[r / 2], never ? " (never let go)" : "",
                      (unsigned long long)refs, strlen(got));
        assert_true(refs > 500); /* records written before the end, by reference */
        free(got);
    }
    free(want);
}

/* A ClientHello in one record (RFC 8446 §4.1.2, §4.2; RFC 6066 §3 SNI,
 * RFC 7301 ALPN): SNI "host<i>.example", ALPN on every other connection.
 * Returns its length. */
static uint16_t client_hello(uint8_t *b, unsigned i)
{
    char sni[32];
    int sl = snprintf(sni, sizeof sni, "host%u.example", i);
    uint8_t e[128];
    size_t n = 0;
    e[n++] = 0, e[n++] = 0, e[n++] = 0, e[n++] = (uint8_t)(sl + 5); /* server_name */
    e[n++] = 0, e[n++] = (uint8_t)(sl + 3), e[n++] = 0, e[n++] = 0, e[n++] = (uint8_t)sl;
    memcpy(e + n, sni, (size_t)sl);
    n += (size_t)sl;
    if (i % 2 == 0) { /* application_layer_protocol_negotiation: h2, http/1.1 */
        static const uint8_t alpn[] = {0, 16, 0, 14, 0, 12, 2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
        memcpy(e + n, alpn, sizeof alpn);
        n += sizeof alpn;
    }
    size_t body = 2 + 32 + 1 + 2 + 4 + 2 + 2 + n, k = 0;
    b[k++] = 0x16, b[k++] = 3, b[k++] = 1, b[k++] = (uint8_t)((body + 4) >> 8), b[k++] = (uint8_t)(body + 4);
    b[k++] = 1, b[k++] = 0, b[k++] = (uint8_t)(body >> 8), b[k++] = (uint8_t)body;
    b[k++] = 3, b[k++] = 3;
    for (unsigned r = 0; r < 32; r++)
        b[k++] = (uint8_t)(i * 31 + r);
    b[k++] = 0;                                           /* session id */
    b[k++] = 0, b[k++] = 4, b[k++] = 0x13, b[k++] = 0x01; /* cipher suites */
    b[k++] = 0xc0, b[k++] = 0x2f;
    b[k++] = 1, b[k++] = 0; /* compression: null */
    b[k++] = (uint8_t)(n >> 8), b[k++] = (uint8_t)n;
    memcpy(b + k, e, n);
    return (uint16_t)(k + n);
}

/* TLS conn records through the thread: hundreds of connections with a
 * ClientHello, closed (the summary kept packed), reset, or still open at the
 * end of the capture (the decoder still open when the record is written),
 * among connections without TLS. Rings from 1 MiB (every TLS record a
 * message) to 256 bytes (none fits: formatted on the replay thread, between
 * the others); 8 and 16 KiB wrap and wait with TLS records in them. */
#define TLS_N 240
static void tls_conns_same(const char *path, enum tcpsim_rp_format fmt);

static void test_views_tls_conns_thread_expect_same_bytes(void **state)
{
    (void)state;
    char path[] = "/tmp/tcpsim-writer-tls-XXXXXX";
    struct pg g;
    assert_int_equal(pg_open_temp(&g, path, DLT_EN10MB), 0);
    uint64_t t = 1700000000000000u;
    enum { N = TLS_N };
    uint8_t ch[256];
    for (unsigned r = 0; r < 6; r++)
        for (unsigned i = 0; i < N; i++) {
            bool v6 = i % 4 == 1, tls = i % 5 != 4;
            const char *c = v6 ? "2001:db8::1" : "10.0.0.1", *s = v6 ? "2001:db8::2" : "10.0.0.2";
            uint16_t cp = (uint16_t)(30000 + i), sp = 443, len = tls ? client_hello(ch, i) : 300;
            uint32_t cs = 1000 * i, ss = 7000 * i + 5;
            t += 41;
            switch (r) {
            case 0:
                pg_tcp(&g, t, c, cp, s, sp, PG_S, cs, 0, 64240, 0, NULL);
                break;
            case 1:
                pg_tcp(&g, t, s, sp, c, cp, PG_S | PG_A, ss, cs + 1, 65535, 0, NULL);
                break;
            case 2:
                if (tls)
                    pg_set_payload(ch);
                pg_tcp(&g, t, c, cp, s, sp, PG_A | PG_P, cs + 1, ss + 1, 502, len, NULL);
                break;
            case 3:
                pg_tcp(&g, t, s, sp, c, cp, PG_A, ss + 1, cs + 1 + len, 65535, 0, NULL);
                break;
            case 4: /* i % 3 == 2: left open */
                if (i % 3 != 2)
                    pg_tcp(&g, t, s, sp, c, cp, i % 3 ? PG_R : PG_F | PG_A, ss + 1, cs + 1 + len, 65535, 0, NULL);
                break;
            case 5:
                if (i % 3 == 0)
                    pg_tcp(&g, t, c, cp, s, sp, PG_F | PG_A, cs + 1 + len, ss + 2, 502, 0, NULL);
                break;
            }
        }
    pg_close(&g);
    for (int f = 0; f < 2; f++)
        tls_conns_same(path, f ? TCPSIM_RP_SUMMARY : TCPSIM_RP_JSON);
    unlink(path);
}

/* The view of the capture at `path` (test_views_tls_conns_thread_expect_same_bytes)
 * with each ring, against the view without the thread. */
static void tls_conns_same(const char *path, enum tcpsim_rp_format fmt)
{
    enum { N = TLS_N };
    static const size_t rings[] = {0, 1, 65536, 16384, 8192, 4096, 256};
    char *want = NULL;
    uint64_t queued[sizeof rings / sizeof rings[0]];
    for (size_t k = 0; k < sizeof rings / sizeof rings[0]; k++) {
        struct rr_out o;
        struct tcpsim_rp_writer *w = rr_open(&o, fmt, -1);
        if (rings[k])
            assert_true(tcpsim_rp_writer_thread(w, rings[k] == 1 ? 0 : rings[k]));
        struct tcpsim_replay_cfg cfg;
        tcpsim_replay_cfg_default(&cfg);
        cfg.threads = rings[k] ? 2 : 1;
        tcpsim_rp_writer_setup(w, &cfg);
        rr_read(&cfg, path, NULL);
        queued[k] = tcpsim__rp_writer_tls_queued(w);
        assert_true(rr_close(&o));
        if (!want) {
            want = o.text;
            /* the records are there: SNI of a closed, a reset and an open one, ALPN offered */
            assert_non_null(strstr(want, "host3.example"));
            assert_non_null(strstr(want, "host7.example"));
            assert_non_null(strstr(want, "host8.example"));
            if (fmt == TCPSIM_RP_JSON)
                assert_non_null(strstr(want, "\"alpn_offered\":[\"h2\",\"http/1.1\"]"));
            else
                assert_non_null(strstr(want, "alpn - (offered h2,http/1.1) ja4 "));
            continue;
        }
        if (strcmp(o.text, want) != 0) {
            size_t d = 0;
            while (o.text[d] && o.text[d] == want[d])
                d++;
            fail_msg("ring %zu: differs at byte %zu of %zu/%zu: ...%.80s", rings[k], d, strlen(o.text), strlen(want),
                     o.text + (d > 40 ? d - 40 : 0));
        }
        free(o.text);
    }
    free(want);
    /* The path was taken: every TLS connection's record a message with the
     * big rings, none with 256 bytes (a packed summary does not fit). */
    assert_int_equal(queued[0], 0);
    assert_int_equal(queued[1], N - N / 5);
    assert_int_equal(queued[2], N - N / 5);
    assert_int_equal(queued[4], N - N / 5);
    assert_int_equal(queued[6], 0);
}

/* ================= records made by hand ================= */

struct hand {
    struct tcpsim_segment seg;
    struct tcpsim_rp_segment s;
    struct tcpsim_rp_event ev[TCPSIM_RP_MAX_EVENTS];
};

/* Segment record i: IPv4, IPv6 or mixed, some events, and (every 7th) TLS JSON of
 * `tls_big` bytes or a few, TLS errors, dropped items. */
static void hand_record(struct hand *h, uint64_t i, char *tls, size_t tls_big)
{
    memset(h, 0, sizeof *h);
    h->seg.seq = (uint32_t)(i * 2654435761u);
    h->seg.ack = (uint32_t)~i;
    h->seg.flags = (uint8_t)(i * 37);
    struct tcpsim_rp_segment *s = &h->s;
    s->frame = i * 3 + 1;
    s->time = 1700000000123456789u + i * 999999937u;
    s->conn = (uint32_t)(i % 5000);
    s->dir = i % 2 ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT;
    bool v6 = i % 3 == 0;
    s->src_ip.family = s->dst_ip.family = v6 ? 6 : 4;
    if (i % 17 == 5) /* one IPv6 endpoint only: no capture has that, the writer must not care */
        s->src_ip.family = 6;
    if (i % 17 == 7)
        s->dst_ip.family = 6;
    uint8_t a[4] = {10, (uint8_t)i, (uint8_t)(i >> 8), 1}, b[4] = {192, 168, (uint8_t)(i >> 3), 200};
    memcpy(s->src_ip.a, s->dir == TCPSIM_SIDE_CLIENT ? a : b, 4);
    memcpy(s->dst_ip.a, s->dir == TCPSIM_SIDE_CLIENT ? b : a, 4);
    s->src_port = (uint16_t)(s->dir == TCPSIM_SIDE_CLIENT ? 40000 + i % 100 : 443);
    s->dst_port = (uint16_t)(s->dir == TCPSIM_SIDE_CLIENT ? 443 : 40000 + i % 100);
    s->src = s->dir == TCPSIM_SIDE_CLIENT ? "[2001:db8::1]:40000" : "[2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:443";
    s->dst = s->dir == TCPSIM_SIDE_CLIENT ? "[2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:443" : "[2001:db8::1]:40000";
    s->seg = &h->seg;
    s->len = (uint32_t)(i % 1461);
    s->rel_seq_known = i % 4 != 1;
    s->rel_ack_known = i % 4 != 2;
    s->rel_seq = (uint32_t)i;
    s->rel_ack = (uint32_t)(i * 7);
    s->win = i % 13 == 0 ? (uint64_t)65535 << 14 : (uint64_t)(i % 65536);
    s->analysis = (uint32_t)(i * 0x9e3779b9u) & 0x3ffu;
    s->client_state = (enum tcpsim_tcp_state)(i % TCPSIM_TCP_NSTATES);
    s->server_state = (enum tcpsim_tcp_state)((i / 3) % TCPSIM_TCP_NSTATES);
    s->nevents = i % (TCPSIM_RP_MAX_EVENTS + 1);
    for (size_t k = 0; k < s->nevents; k++)
        h->ev[k] = (struct tcpsim_rp_event){
            k % 2 ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT, (enum tcpsim_tcp_state)((i + k) % TCPSIM_TCP_NSTATES),
            (enum tcpsim_tcp_state)((i + 2 * k) % TCPSIM_TCP_NSTATES), (enum tcpsim_tcp_why)((i + k) % 5)};
    s->events = h->ev;
    s->tls_json = s->tls_errors_json = "";
    if (i % 7 == 3) {
        s->tls_json = tls;
        s->tls_json_len = i % 14 == 3 ? tls_big : 40;
        s->tls_errors_json = tls + 100;
        s->tls_errors_len = i % 3 ? 25 : 0;
        s->tls_dropped = (uint32_t)(i % 4);
    }
}

/* The writer's handler fed records 0..n-1, conn pick -1, then a summary. */
static char *hand_json(size_t ring, uint64_t n, size_t tls_big)
{
    static char tls[TCPSIM_RP_TLS_ARENA];
    for (size_t k = 0; k < sizeof tls; k++) /* printable, no quote or backslash: copied as it is */
        tls[k] = (char)('A' + k % 26);
    struct rr_out o;
    struct tcpsim_rp_writer *w = rr_open(&o, TCPSIM_RP_JSON, -1);
    if (ring)
        assert_true(tcpsim_rp_writer_thread(w, ring));
    struct tcpsim_rp_handler hd = tcpsim_rp_writer_handler(w);
    struct hand h;
    for (uint64_t i = 0; i < n; i++) {
        hand_record(&h, i, tls, tls_big);
        hd.segment(hd.ctx, NULL, &h.s);
    }
    struct tcpsim_rp_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.frames = n * 3;
    sum.tcp_segments = n;
    sum.seconds = 12.5;
    hd.summary(hd.ctx, &sum);
    assert_true(rr_close(&o));
    return o.text;
}

static void test_json_records_bigger_than_ring_expect_same_bytes(void **state)
{
    (void)state;
    /* 32 KiB of TLS JSON: one message in a 256 KiB ring (it takes up to 64
     * KiB), more than the smaller ones take (formatted on the caller's
     * thread once the ring is drained). */
    char *want = hand_json(0, 3000, TCPSIM_RP_TLS_ARENA);
    assert_non_null(strstr(want, "\"type\":\"summary\""));
    static const size_t rings[] = {1u << 18, 65536, 4096, 256};
    for (size_t r = 0; r < sizeof rings / sizeof rings[0]; r++) {
        char *got = hand_json(rings[r], 3000, TCPSIM_RP_TLS_ARENA);
        if (strcmp(got, want) != 0) {
            size_t k = 0;
            while (got[k] && got[k] == want[k])
                k++;
            fail_msg("ring %zu: differs at byte %zu of %zu/%zu", rings[r], k, strlen(got), strlen(want));
        }
        free(got);
    }
    assert_true(strlen(want) > 3000 / 14 * TCPSIM_RP_TLS_ARENA);
    free(want);
}

/* ================= errors ================= */

/* A full disk: the writer says so (false from _free) with the thread as
 * without it; the replay itself runs to its end. */
static void test_views_disk_full_expect_write_failure_reported(void **state)
{
    (void)state;
    for (int threaded = 0; threaded < 4; threaded++) {
        FILE *out = fopen("/dev/full", "w");
        if (!out)
            skip();
        struct tcpsim_rp_writer *w =
            tcpsim_rp_writer_new(out, threaded < 2 ? TCPSIM_RP_JSON : TCPSIM_RP_SUMMARY, -1, false);
        assert_non_null(w);
        if (threaded % 2)
            assert_true(tcpsim_rp_writer_thread(w, 4096));
        struct tcpsim_replay_cfg cfg;
        tcpsim_replay_cfg_default(&cfg);
        cfg.threads = 1;
        tcpsim_rp_writer_setup(w, &cfg);
        char cap[1024];
        snprintf(cap, sizeof cap, "%s/tls12-ecdhe.pcap", TCPSIM_CAPTURES_DIR);
        rr_read(&cfg, cap, NULL);
        assert_false(tcpsim_rp_writer_free(w));
        fclose(out);
    }
}

/* Neither JSON nor the summary: no thread (the timeline views stay on the
 * replay thread). */
static void test_writer_thread_other_views_expect_refused(void **state)
{
    (void)state;
    FILE *out = fopen("/dev/null", "w");
    assert_non_null(out);
    struct tcpsim_rp_writer *w = tcpsim_rp_writer_new(out, TCPSIM_RP_LADDER, -1, false);
    assert_non_null(w);
    assert_false(tcpsim_rp_writer_thread(w, 0));
    assert_true(tcpsim_rp_writer_free(w));
    fclose(out);
}

/* ================= the JSON view keeps no copies of the TLS items ================= */

/* The JSON view of `cap` (one thread, no writer thread), the replay keeping
 * the TLS items and their explanations (as for the other views) or not
 * (handler.tls_items_unread, the JSON view's). */
static char *json_items(const char *cap, bool unread)
{
    struct rr_out o;
    struct tcpsim_rp_writer *w = rr_open(&o, TCPSIM_RP_JSON, -1);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    cfg.threads = 1;
    tcpsim_rp_writer_setup(w, &cfg);
    assert_true(cfg.h.tls_items_unread); /* the view's own setting */
    cfg.h.tls_items_unread = unread;
    rr_read(&cfg, cap, NULL);
    assert_true(rr_close(&o));
    return o.text;
}

static void items_same(const char *cap, void *ctx)
{
    size_t *tls = ctx;
    char *want = json_items(cap, false), *got = json_items(cap, true);
    if (strcmp(got, want) != 0) {
        size_t k = 0;
        while (got[k] && got[k] == want[k])
            k++;
        fail_msg("%s: differs at byte %zu: ...%.80s", cap, k, got + (k > 40 ? k - 40 : 0));
    }
    for (const char *x = want; (x = strstr(x, "\"tls\":[{")); x++)
        tls[0]++;
    for (const char *x = want; (x = strstr(x, "\"tls_errors\":[{")); x++)
        tls[1]++;
    free(want);
    free(got);
}

/* The JSON view's records (TLS items' JSON, errors, drops) are the same
 * whether or not the replay keeps copies of the items: on every bundled
 * capture, and on TLS connections held behind a SYN never answered (their
 * JSON held in the FIFO's ring, with and without the items before it; with
 * the writer thread, after their compact records). */
static void test_json_tls_items_unread_expect_same_bytes(void **state)
{
    (void)state;
    size_t tls[2] = {0, 0}; /* segments with TLS items, with TLS errors */
    unsigned ncap = bundled_each_file(TCPSIM_CAPTURES_DIR, items_same, tls);
    assert_true(ncap >= 10);
    assert_true(tls[0] > 10);
    char path[] = "/tmp/tcpsim-writer-items-XXXXXX";
    struct pg g;
    assert_int_equal(pg_open_temp(&g, path, DLT_EN10MB), 0);
    uint64_t t = 1700000000000000u;
    pg_tcp(&g, t, "10.0.0.9", 40000, "10.0.0.2", 443, PG_S, 77, 0, 64240, 0, NULL); /* never answered */
    uint8_t ch[256];
    for (unsigned r = 0; r < 4; r++)
        for (unsigned i = 0; i < 60; i++) {
            uint16_t cp = (uint16_t)(30000 + i), sp = 443, len = client_hello(ch, i);
            uint32_t cs = 1000 * i, ss = 7000 * i + 5;
            t += 41;
            if (i % 7 == 3 && r == 3)
                len += 6;
            if (r == 0)
                pg_tcp(&g, t, "10.0.0.1", cp, "10.0.0.2", sp, PG_S, cs, 0, 64240, 0, NULL);
            else if (r == 1)
                pg_tcp(&g, t, "10.0.0.2", sp, "10.0.0.1", cp, PG_S | PG_A, ss, cs + 1, 65535, 0, NULL);
            else if (r == 2) {
                if (i % 7 == 3) { /* then bytes that are not a record: a TLS error */
                    memset(ch + len, 0x05, 6);
                    len += 6;
                }
                pg_set_payload(ch);
                pg_tcp(&g, t, "10.0.0.1", cp, "10.0.0.2", sp, PG_A | PG_P, cs + 1, ss + 1, 502, len, NULL);
            } else {
                pg_tcp(&g, t, "10.0.0.2", sp, "10.0.0.1", cp, PG_R, ss + 1, cs + 1 + len, 65535, 0, NULL);
            }
        }
    pg_close(&g);
    size_t gen[2] = {0, 0};
    items_same(path, gen);
    assert_int_equal(gen[0], 60); /* every ClientHello's segment has its TLS part */
    assert_int_equal(gen[1], 9);  /* and the ones with bytes after it their error */
    /* held in compact form with their TLS parts (the writer thread) as
     * written at once (one thread) */
    same_json(path, -1, NULL);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_tiny_expect_every_message_in_order_after_wraps_and_waits),
        cmocka_unit_test(test_ring_largest_message_expect_taken),
        cmocka_unit_test(test_ring_pointer_messages_expect_every_value_in_order),
        cmocka_unit_test(test_views_bundled_captures_thread_expect_same_bytes),
        cmocka_unit_test(test_views_generated_capture_thread_expect_same_bytes),
        cmocka_unit_test(test_views_tls_conns_thread_expect_same_bytes),
        cmocka_unit_test(test_json_records_bigger_than_ring_expect_same_bytes),
        cmocka_unit_test(test_json_replay_freed_unfinished_expect_same_bytes),
        cmocka_unit_test(test_views_disk_full_expect_write_failure_reported),
        cmocka_unit_test(test_writer_thread_other_views_expect_refused),
        cmocka_unit_test(test_json_tls_items_unread_expect_same_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
