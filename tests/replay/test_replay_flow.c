/* test_replay_flow.c - the connection life cycle's output shortcuts
 * (src/replay/output.c): the summary view's side lines, copied from a small
 * cache by both sides' state sequences (side_lines), and its analysis counts
 * (skipped after one pass of ORs when all are zero), against a plain
 * rendering of each connection, over thousands of connections whose
 * sequences repeat, collide in the cache and change (lengths 0 to 16, values
 * past the last state, the server's note on and off) and whose counts are
 * zero or set at random places. Read first: src/replay/output.c side_lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay/replay.h"

void test_summary_conn_lines_random_expect_plain_rendering(void **state);

static uint64_t rnd_state = 0x2545f4914f6cdd1dull;

static uint32_t rnd(uint32_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (uint32_t)(rnd_state % n);
}

struct seq {
    uint8_t n;
    enum tcpsim_tcp_state st[TCPSIM_RP_MAX_STATES];
};

static void seq_random(struct seq *s)
{
    uint32_t r = rnd(20);
    s->n = (uint8_t)(r < 2 ? 0 : r < 5 ? 14 + rnd(3) : 1 + rnd(8)); /* 0, the key's edge (14 to 16), short */
    for (unsigned k = 0; k < s->n; k++) {
        uint32_t v = rnd(40);
        /* mostly real states; now and then one past the last, or far past */
        s->st[k] = (enum tcpsim_tcp_state)(v < 36   ? v % TCPSIM_TCP_NSTATES
                                           : v < 39 ? TCPSIM_TCP_NSTATES + rnd(5)
                                                    : 40 + rnd(100));
    }
}

/* What text_states shows: every state (the observer's when none), the value
 * past the last state for anything out of range. */
static void ref_side(char *out, size_t cap, const char *side, const struct tcpsim_rp_conn *c, int i)
{
    size_t n = (size_t)snprintf(out, cap, "  %s", side);
    unsigned ns = c->nstates[i];
    for (unsigned k = 0; k < (ns ? ns : 1u); k++) {
        unsigned v = ns ? (unsigned)c->states[i][k] : (unsigned)tcpsim__rp_obs_state(c, i);
        if (v > TCPSIM_TCP_NSTATES)
            v = TCPSIM_TCP_NSTATES;
        n += (size_t)snprintf(out + n, cap - n, "%s%s", k ? ">" : " ", tcpsim_tcp_state_name((enum tcpsim_tcp_state)v));
    }
}

#define NCONN 6000u
#define LINE  512u

void test_summary_conn_lines_random_expect_plain_rendering(void **state)
{
    (void)state;
    static struct seq pool[10];
    for (unsigned i = 0; i < 10; i++)
        seq_random(&pool[i]);
    /* two long sequences that differ in the last state's top bit (2 and 10,
     * both real states), for a key that let the states reach the note's bit */
    pool[0].n = pool[1].n = 15;
    for (unsigned k = 0; k < 15; k++)
        pool[0].st[k] = pool[1].st[k] = (enum tcpsim_tcp_state)(k % TCPSIM_TCP_NSTATES);
    pool[0].st[14] = (enum tcpsim_tcp_state)2;
    pool[1].st[14] = (enum tcpsim_tcp_state)10;
    static char want[NCONN][2][LINE], want_an[NCONN][LINE];
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    struct tcpsim_rp_writer *w = tcpsim_rp_writer_new(f, TCPSIM_RP_SUMMARY, -1, false);
    assert_non_null(w);
    struct tcpsim_rp_handler h = tcpsim_rp_writer_handler(w);
    size_t sz = (sizeof(struct tcpsim_rp_conn) + 63u) & ~(size_t)63u;
    struct tcpsim_rp_conn *c = aligned_alloc(64, sz);
    assert_non_null(c);
    unsigned fresh = 0, edge = 0;
    for (unsigned i = 0; i < NCONN; i++) {
        memset(c, 0, sizeof *c);
        c->id = i;
        c->first_rst = -1;
        snprintf(c->label[0], sizeof c->label[0], "10.0.0.%u:%u", i % 250, 1024 + i);
        snprintf(c->label[1], sizeof c->label[1], "192.168.0.1:80");
        for (int s = 0; s < 2; s++) {
            struct seq q;
            if (rnd(4) == 0) { /* a sequence seen once (or rarely) */
                seq_random(&q);
                fresh++;
            } else {
                q = pool[rnd(10)];
            }
            edge += q.n == 0 || q.n >= 14;
            c->nstates[s] = q.n;
            memcpy(c->states[s], q.st, sizeof q.st);
        }
        c->server_inferred = rnd(5) == 0;
        size_t an = 0;
        want_an[i][0] = '\0';
        if (rnd(2)) /* counts at a few random places (the view lists them in order) */
            for (unsigned k = 1 + rnd(3); k > 0; k--)
                c->an_count[rnd(TCPSIM_AN_COUNT)] = 1 + rnd(1000);
        for (unsigned b = 0; b < TCPSIM_AN_COUNT; b++)
            if (c->an_count[b])
                an += (size_t)snprintf(want_an[i] + an, LINE - an, "  %s=%u", tcpsim__rp_an_name(b),
                                       (unsigned)c->an_count[b]);
        ref_side(want[i][0], LINE, "client", c, 0);
        ref_side(want[i][1], LINE, "server", c, 1);
        if (c->server_inferred)
            strncat(want[i][1], " (never answered: LISTEN assumed)", LINE - strlen(want[i][1]) - 1);
        h.conn(h.ctx, c, TCPSIM_RP_LEAVE_END);
    }
    free(c);
    assert_true(tcpsim_rp_writer_free(w));
    fclose(f);
    /* the side lines, in order: two per connection */
    unsigned got = 0, zeek = 0;
    bool after_server = false;
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (after_server) { /* the cached bytes end with the next line's start */
            assert_memory_equal(line, "  zeek ", 7);
            const char *t = strstr(line, "  completeness ");
            assert_non_null(t);
            t += 15;
            while (*t >= '0' && *t <= '9')
                t++;
            if (strcmp(t, want_an[got / 2 - 1]) != 0)
                fail_msg("conn %u counts:\nwriter:    %s\nreference: %s", got / 2 - 1, t, want_an[got / 2 - 1]);
            zeek++;
        }
        int side = !strncmp(line, "  client ", 9) ? 0 : !strncmp(line, "  server ", 9) ? 1 : -1;
        after_server = side == 1;
        if (side < 0)
            continue;
        assert_true(got / 2 < NCONN);
        assert_int_equal(side, (int)(got % 2));
        if (strcmp(line, want[got / 2][side]) != 0)
            fail_msg("conn %u side %d:\nwriter:    %s\nreference: %s", got / 2, side, line, want[got / 2][side]);
        got++;
    }
    assert_int_equal(got, 2 * NCONN);
    assert_int_equal(zeek, NCONN);
    /* the test did what it says: repeated and fresh sequences, edge lengths */
    assert_true(fresh > NCONN / 4);
    assert_true(edge > NCONN / 10);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary_conn_lines_random_expect_plain_rendering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
