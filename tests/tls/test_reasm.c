/* test_reasm.c - stream reassembly (include/tcpsim/reasm.h): retransmission
 * overlap (first copy wins), out-of-order, gaps, cap, sequence wrap
 * (RFC 9293 §3.4), and a gap inside a TLS stream followed by resync. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tls_test.h"

struct sink {
    uint8_t out[1 << 18];
    size_t n;
    uint32_t next_seq;
    bool seq_set;
    unsigned gaps;
    uint32_t gap_seq[16], gap_len[16];
};

static void sink_data(void *ctx, uint32_t seq, const uint8_t *d, size_t len)
{
    struct sink *s = ctx;
    if (s->seq_set)
        assert_int_equal(seq, s->next_seq); /* strictly in order, no byte twice */
    s->seq_set = true;
    s->next_seq = seq + (uint32_t)len;
    assert_true(s->n + len <= sizeof s->out);
    memcpy(s->out + s->n, d, len);
    s->n += len;
}

static void sink_gap(void *ctx, uint32_t seq, uint32_t len)
{
    struct sink *s = ctx;
    if (s->seq_set)
        assert_int_equal(seq, s->next_seq);
    if (s->gaps < 16) {
        s->gap_seq[s->gaps] = seq;
        s->gap_len[s->gaps] = len;
    }
    s->gaps++;
    s->seq_set = true;
    s->next_seq = seq + len;
}

static struct sink *mk(struct tcpsim_reasm *r, uint32_t cap)
{
    struct sink *s = calloc(1, sizeof *s);
    assert_non_null(s);
    struct tcpsim_reasm_cb cb = {sink_data, sink_gap, s};
    tcpsim_reasm_init(r, cap, cb);
    return s;
}

static void test_reasm_in_order_delivered_without_buffering(void **state)
{
    (void)state;
    struct tcpsim_reasm r;
    struct sink *s = mk(&r, 0);
    assert_int_equal(tcpsim_reasm_push(&r, 100, (const uint8_t *)"abc", 3), TCPSIM_OK);
    assert_int_equal(tcpsim_reasm_push(&r, 103, (const uint8_t *)"def", 3), TCPSIM_OK);
    assert_int_equal(s->n, 6);
    assert_memory_equal(s->out, "abcdef", 6);
    assert_null(r.ring); /* nothing out of order: nothing allocated */
    tcpsim_reasm_free(&r);
    free(s);
}

static void test_reasm_retransmission_overlap_first_copy_wins(void **state)
{
    (void)state;
    struct tcpsim_reasm r;
    struct sink *s = mk(&r, 0);
    tcpsim_reasm_push(&r, 0, (const uint8_t *)"AAAA", 4);
    /* retransmission overlapping delivered bytes with different content */
    tcpsim_reasm_push(&r, 2, (const uint8_t *)"xxBB", 4);
    /* out of order island, then an in-order segment overlapping it */
    tcpsim_reasm_push(&r, 8, (const uint8_t *)"CCCC", 4);
    tcpsim_reasm_push(&r, 6, (const uint8_t *)"DDyyyyEE", 8);
    assert_int_equal(s->n, 14);
    assert_memory_equal(s->out, "AAAABBDDCCCCEE", 14);
    assert_int_equal(r.dup_bytes, 2 + 4);
    /* an exact duplicate changes nothing */
    tcpsim_reasm_push(&r, 0, (const uint8_t *)"zzzzzzzzzzzzzz", 14);
    assert_int_equal(s->n, 14);
    tcpsim_reasm_free(&r);
    free(s);
}

static void test_reasm_out_of_order_reverse_order_reassembled(void **state)
{
    (void)state;
    struct tcpsim_reasm r;
    struct sink *s = mk(&r, 0);
    tcpsim_reasm_start(&r, 1000);
    static uint8_t data[5000];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    for (int k = 4; k >= 0; k--)
        tcpsim_reasm_push(&r, 1000 + (uint32_t)k * 1000, data + k * 1000, 1000);
    assert_int_equal(s->n, 5000);
    assert_memory_equal(s->out, data, 5000);
    assert_int_equal(tcpsim_reasm_buffered(&r), 0);
    assert_int_equal(r.ooo_segments, 4);
    /* overlapping out-of-order islands merge, first copy wins inside them */
    tcpsim_reasm_push(&r, 6010, (const uint8_t *)"1111", 4);
    tcpsim_reasm_push(&r, 6008, (const uint8_t *)"22222222", 8);
    assert_int_equal(tcpsim_reasm_buffered(&r), 8);
    assert_int_equal(r.nisl, 1);
    tcpsim_reasm_push(&r, 6000, (const uint8_t *)"33333333", 8);
    assert_int_equal(s->n, 5016);
    assert_memory_equal(s->out + 5000, "3333333322111122", 16);
    tcpsim_reasm_free(&r);
    free(s);
}

static void test_reasm_sequence_wraps_modulo_2_32(void **state)
{
    (void)state;
    struct tcpsim_reasm r;
    struct sink *s = mk(&r, 4096);
    uint32_t base = 0xfffffffa;
    tcpsim_reasm_start(&r, base);
    tcpsim_reasm_push(&r, base + 8, (const uint8_t *)"IJKL", 4); /* after the wrap */
    tcpsim_reasm_push(&r, base + 4, (const uint8_t *)"EFGH", 4); /* straddles 2^32 */
    tcpsim_reasm_push(&r, base, (const uint8_t *)"ABCD", 4);
    assert_int_equal(s->n, 12);
    assert_memory_equal(s->out, "ABCDEFGHIJKL", 12);
    assert_int_equal(r.next, 6);
    tcpsim_reasm_free(&r);
    free(s);
}

static void test_reasm_gap_skip_to_reports_and_resumes(void **state)
{
    (void)state;
    struct tcpsim_reasm r;
    struct sink *s = mk(&r, 0);
    tcpsim_reasm_push(&r, 0, (const uint8_t *)"ab", 2);
    tcpsim_reasm_push(&r, 10, (const uint8_t *)"kl", 2);
    tcpsim_reasm_push(&r, 20, (const uint8_t *)"uv", 2);
    tcpsim_reasm_skip_to(&r, 15); /* every byte before 15 that is missing is lost */
    assert_int_equal(s->gaps, 2);
    assert_int_equal(s->gap_seq[0], 2);
    assert_int_equal(s->gap_len[0], 8);
    assert_int_equal(s->gap_seq[1], 12);
    assert_int_equal(s->gap_len[1], 3);
    assert_int_equal(s->n, 4); /* "ab" + "kl" delivered, "uv" still held */
    assert_int_equal(tcpsim_reasm_buffered(&r), 2);
    tcpsim_reasm_flush(&r);
    assert_int_equal(s->gaps, 3);
    assert_int_equal(s->gap_seq[2], 15);
    assert_int_equal(s->gap_len[2], 5);
    assert_memory_equal(s->out, "abkluv", 6);
    tcpsim_reasm_free(&r);
    free(s);
}

static void test_reasm_cap_exceeded_declares_gap(void **state)
{
    (void)state;
    struct tcpsim_reasm r;
    struct sink *s = mk(&r, 4096);
    static uint8_t big[3000];
    memset(big, 'x', sizeof big);
    tcpsim_reasm_push(&r, 0, (const uint8_t *)"a", 1);
    tcpsim_reasm_push(&r, 1001, big, 3000); /* fits: 1000 + 3000 <= 4096 */
    assert_int_equal(s->gaps, 0);
    tcpsim_reasm_push(&r, 5000, (const uint8_t *)"zz", 2); /* beyond next + cap */
    assert_int_equal(r.cap_exceeded, 1);
    /* the hole 1..1000 is given up so that memory stays bounded; the island
     * is delivered and "zz" now fits the window and is held */
    assert_int_equal(s->gaps, 1);
    assert_int_equal(s->gap_seq[0], 1);
    assert_int_equal(s->gap_len[0], 1000);
    assert_int_equal(s->n, 1 + 3000);
    assert_int_equal(tcpsim_reasm_buffered(&r), 2);
    tcpsim_reasm_flush(&r);
    assert_int_equal(s->gaps, 2);
    assert_int_equal(s->gap_seq[1], 4001);
    assert_int_equal(s->n, 1 + 3000 + 2);
    assert_int_equal(s->out[s->n - 1], 'z');
    /* held bytes never exceed the cap */
    assert_true(tcpsim_reasm_buffered(&r) <= r.cap);
    tcpsim_reasm_free(&r);
    free(s);
}

static void test_reasm_island_table_full_bounded(void **state)
{
    (void)state;
    struct tcpsim_reasm r;
    struct sink *s = mk(&r, 1 << 16);
    tcpsim_reasm_start(&r, 0);
    for (uint32_t k = 0; k < 100; k++)
        tcpsim_reasm_push(&r, 10 + k * 10, (const uint8_t *)"abcde", 5);
    assert_true(r.nisl <= TCPSIM_REASM_MAX_HOLES);
    tcpsim_reasm_flush(&r);
    assert_int_equal(r.nisl, 0);
    assert_true(s->gaps > 0);
    tcpsim_reasm_free(&r);
    free(s);
}

/* A lost segment in the middle of application data: items resume at the next
 * record boundary and no garbage is read as a record. */
static void test_reasm_tls_gap_then_resync_at_record_boundary(void **state)
{
    (void)state;
    static struct bld b;
    static struct recorder rec;
    static struct seg segs[64];
    size_t n = load_segs("tls12", segs, 64);
    memset(&rec, 0, sizeof rec);
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(NULL, rec_cb, &rec);
    uint32_t cseq = 0;
    for (size_t i = 0; i < n && segs[i].frame <= 9; i++) {
        tcpsim_tls_feed(c, segs[i].dir, segs[i].seq, segs[i].data, segs[i].len, segs[i].frame, 0);
        if (segs[i].dir == TCPSIM_SIDE_CLIENT)
            cseq = segs[i].seq + (uint32_t)segs[i].len;
    }
    size_t before = rec.n;
    /* five 300-byte records, segments of 500 bytes; the second segment is lost */
    b_init(&b);
    for (int k = 0; k < 5; k++) {
        b_record_open(&b, 23, 0x0303);
        for (int j = 0; j < 60; j++) /* bodies full of fake record headers */
            b_bytes(&b, "\x17\x03\x03\x17\x03", 5);
        b_close(&b);
    }
    for (size_t off = 0; off < b.len; off += 500) {
        size_t k = b.len - off < 500 ? b.len - off : 500;
        if (off == 500)
            continue;
        tcpsim_tls_feed(c, TCPSIM_SIDE_CLIENT, cseq + (uint32_t)off, b.b + off, k, 100 + off / 500, 0);
    }
    tcpsim_tls_gap(c, TCPSIM_SIDE_CLIENT, cseq + 1000, 200, 0);
    tcpsim_tls_fin(c, TCPSIM_SIDE_CLIENT, 201, 0);
    /* record k spans [305k, 305k+305). Record 0 is delivered; the gap
     * (500..999) hits records 1 and 2 and the header of record 3, whose body
     * is full of fake headers; parsing resumes at record 4 (1220). */
    size_t got = rec.n - before;
    assert_int_equal(got, 2);
    assert_int_equal(rec.it[before].frame, 100);
    for (size_t i = before; i < rec.n; i++) {
        assert_false(rec.it[i].malformed);
        assert_int_equal(rec.it[i].record, TCPSIM_TLS_REC_APPLICATION_DATA);
        assert_string_equal(rec.it[i].explain, "300 bytes of encrypted application data");
    }
    const struct tcpsim_tls_summary *s = tcpsim_tls_summary(c);
    assert_int_equal(s->gaps[TCPSIM_SIDE_CLIENT], 1);
    assert_int_equal(s->gap_bytes[TCPSIM_SIDE_CLIENT], 500);
    tcpsim_tls_conn_free(c);
    free_segs(segs, n);
}

int run_reasm_tests(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_reasm_in_order_delivered_without_buffering),
        cmocka_unit_test(test_reasm_retransmission_overlap_first_copy_wins),
        cmocka_unit_test(test_reasm_out_of_order_reverse_order_reassembled),
        cmocka_unit_test(test_reasm_sequence_wraps_modulo_2_32),
        cmocka_unit_test(test_reasm_gap_skip_to_reports_and_resumes),
        cmocka_unit_test(test_reasm_cap_exceeded_declares_gap),
        cmocka_unit_test(test_reasm_island_table_full_bounded),
        cmocka_unit_test(test_reasm_tls_gap_then_resync_at_record_boundary),
    };
    return cmocka_run_group_tests_name("reassembly", t, NULL, NULL);
}
