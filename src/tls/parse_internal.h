/* parse_internal.h - what the handshake parsers (hello.c, names.c) share
 * with fingerprint.c and the tests beyond tls_internal.h (not installed).
 * Read first: RFC 8446 §4.1.2-4.1.3. */
#ifndef TCPSIM_TLS_PARSE_INTERNAL_H
#define TCPSIM_TLS_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

/* ---- the hello memo (hello.c) ---- */
#define HELLO_MEMO_MAX 2048u /* longest hello body kept, bytes */

/* A note kept with a client hello of the memo: when `h` is the struct of a
 * kept ClientHello (as tcpsim__client_hello_ref gives it), its
 * TCPSIM__HELLO_NOTE bytes and in *noted whether they were written since
 * that hello was kept (set it when writing them); else NULL. Every hello
 * taking a kept one has the same fields but random, session id, host name
 * (its bytes, not whether there is one) and what is skipped (key share keys,
 * PSK identities and binders, a ticket's bytes), so what is derived from the
 * others alone (JA4: tls.c) holds for all of them. */
#define TCPSIM__HELLO_NOTE 40
struct tcpsim_tls_hello;
uint8_t *tcpsim__hello_note(const struct tcpsim_tls_hello *h, bool **noted);
/* free the calling thread's memo (tcpsim_tls_release_caches, through
 * tcpsim__fp_memo_release) */
void tcpsim__hello_memo_release(void);
/* hellos taken from the memo / parsed with it on, this thread */
void tcpsim__hello_memo_stats(uint64_t *hits, uint64_t *misses);
/* Tests: true parses every hello the long way, to compare the two. */
extern _Thread_local bool tcpsim__hello_memo_off;

/* ---- names.c ---- */
/* true when every name table is sorted by value without repeats (the
 * lookups are binary searches) */
bool tcpsim__names_sorted(void);
/* Tests: true looks every name up in its table (the per-thread memos of
 * the suite, extension and group names off), to compare the two. */
extern _Thread_local bool tcpsim__names_memo_off;

#endif
