/* parse_internal.h - what the handshake parsers (hello.c, names.c) share
 * with fingerprint.c and the tests beyond tls_internal.h (not installed).
 * Read first: RFC 8446 §4.1.2-4.1.3. */
#ifndef TCPSIM_TLS_PARSE_INTERNAL_H
#define TCPSIM_TLS_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

/* ---- the hello memo (hello.c) ---- */
#define HELLO_MEMO_MAX 2048u /* longest hello body kept, bytes */

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
