/* tcp_test.h - fixtures and assertions for the tcp endpoint suite.
 * Fixtures build an endpoint already in a given state through real
 * handshakes (smoltcp style); assertions check the exact segments emitted and
 * the transitions recorded, not just the final state. */
#ifndef TCPSIM_TCP_TEST_H
#define TCPSIM_TCP_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tcpsim/tcp.h"

#define LPORT 1000u
#define RPORT 2000u
#define ISS_L 1000u /* our ISS */
#define ISS_R 5000u /* the peer's ISS */

struct fx {
    struct tcpsim_tcp_endpoint ep;
    struct tcpsim_tcp_out out;
    tcpsim_time_t now;
};

/* A config with deterministic ISS for the given profile. */
struct tcpsim_tcp_config fx_config(enum tcpsim_tcp_profile p);
/* A fresh endpoint in CLOSED. */
struct fx *fx_new_cfg(const struct tcpsim_tcp_config *cfg);
struct fx *fx_new(enum tcpsim_tcp_profile p);
void fx_free(struct fx *f);

/* Fixtures: reach a state through real exchanges ("plain" peer: MSS 1460 only). */
struct fx *fx_listen(enum tcpsim_tcp_profile p);
struct fx *fx_syn_sent(enum tcpsim_tcp_profile p);
struct fx *fx_syn_received(enum tcpsim_tcp_profile p); /* passive */
struct fx *fx_established(enum tcpsim_tcp_profile p);  /* active: SND.NXT 1001, RCV.NXT 5001 */
struct fx *fx_established_passive(enum tcpsim_tcp_profile p);
struct fx *fx_fin_wait_1(enum tcpsim_tcp_profile p); /* our FIN 1001 outstanding */
struct fx *fx_fin_wait_2(enum tcpsim_tcp_profile p);
struct fx *fx_close_wait(enum tcpsim_tcp_profile p); /* peer FIN 5001 taken: RCV.NXT 5002 */
struct fx *fx_last_ack(enum tcpsim_tcp_profile p);
struct fx *fx_closing(enum tcpsim_tcp_profile p);
struct fx *fx_time_wait(enum tcpsim_tcp_profile p);

/* Segments from the peer (ports swapped). */
struct tcpsim_segment seg_make(uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, const void *data, size_t len);
void seg_mss(struct tcpsim_segment *s, uint16_t mss);
void seg_wscale(struct tcpsim_segment *s, uint8_t ws);
void seg_sackok(struct tcpsim_segment *s);
void seg_ts(struct tcpsim_segment *s, uint32_t val, uint32_t ecr);

/* Transition recorder: fx_reset and fx_free add the transitions of f->out to
 * this from x to matrix before clearing it (see test_tcp_coverage.c). Tests
 * must therefore clear f->out only through fx_reset. */
extern unsigned long fx_trans_matrix[TCPSIM_TCP_NSTATES][TCPSIM_TCP_NSTATES];
void fx_record(const struct tcpsim_tcp_out *out);
/* The transitions some test checked with expect_trans (a subset of the above:
 * fixture setup and unchecked side effects are not in it). The coverage test
 * reads this one, so deleting the test that asserts an arrow shows as a gap. */
extern unsigned long fx_asserted_matrix[TCPSIM_TCP_NSTATES][TCPSIM_TCP_NSTATES];

/* Drive the endpoint (out is reset first; each call must return OK). */
void fx_arrive(struct fx *f, const struct tcpsim_segment *s);
void fx_arrive_at(struct fx *f, tcpsim_time_t at, const struct tcpsim_segment *s);
void fx_timeout_at(struct fx *f, tcpsim_time_t at);
void fx_reset(struct fx *f);

/* Assertions with location. */
#define expect_seg(f, i, flags, seq, ack) expect_seg_(f, i, flags, seq, ack, __FILE__, __LINE__)
void expect_seg_(struct fx *f, size_t i, uint8_t flags, uint32_t seq, uint32_t ack, const char *file, int line);
#define expect_nseg(f, n) expect_nseg_(f, n, __FILE__, __LINE__)
void expect_nseg_(struct fx *f, size_t n, const char *file, int line);
#define expect_trans(f, i, from, to, why) expect_trans_(f, i, from, to, why, __FILE__, __LINE__)
void expect_trans_(struct fx *f, size_t i, enum tcpsim_tcp_state from, enum tcpsim_tcp_state to,
                   enum tcpsim_tcp_why why, const char *file, int line);
#define expect_ntrans(f, n) expect_ntrans_(f, n, __FILE__, __LINE__)
void expect_ntrans_(struct fx *f, size_t n, const char *file, int line);
#define expect_state(f, s) expect_state_(f, s, __FILE__, __LINE__)
void expect_state_(struct fx *f, enum tcpsim_tcp_state s, const char *file, int line);
/* True when some note of this call has `why`. */
bool has_note(const struct fx *f, enum tcpsim_tcp_why why);
bool has_err(const struct fx *f, enum tcpsim_err e);
/* Compare the option kinds of segment i with a list (ends with 0xff). */
void expect_layout(struct fx *f, size_t i, const uint8_t *kinds, size_t n);

extern const struct CMUnitTest tcp_state_tests[];
extern const size_t tcp_state_tests_n;
extern const struct CMUnitTest tcp_timer_tests[];
extern const size_t tcp_timer_tests_n;
extern const struct CMUnitTest tcp_misc_tests[];
extern const size_t tcp_misc_tests_n;
extern const struct CMUnitTest tcp_fastpath_tests[];
extern const size_t tcp_fastpath_tests_n;
extern const struct CMUnitTest tcp_coverage_tests[]; /* run last: reads fx_trans_matrix */
extern const size_t tcp_coverage_tests_n;

/* Shorthand used by the test files. */
#define RFC  TCPSIM_PROFILE_RFC
#define LNX  TCPSIM_PROFILE_LINUX
#define S(x) TCPSIM_TCP_##x
#define W(x) TCPSIM_WHY_##x
#define F_A  TCPSIM_ACK
#define F_S  TCPSIM_SYN
#define F_F  TCPSIM_FIN
#define F_R  TCPSIM_RST
#define F_P  TCPSIM_PSH

#endif
