/* replayrun.h - the replay tests' common run: a view's writer on a memory
 * stream, and a capture file read to its end through tcpsim_replay_read.
 * Read first: src/replay/replay.h (the configuration, the views' writer). */
#ifndef TCPSIM_TESTS_REPLAYRUN_H
#define TCPSIM_TESTS_REPLAYRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "replay/replay.h"

/* A view written into memory (open_memstream). */
struct rr_out {
    char *text; /* after rr_close: the text, NUL-terminated (free it) */
    size_t len;
    FILE *f;
    struct tcpsim_rp_writer *w;
};

/* Opens the memory stream and a writer of `fmt` on it (`pick`: the --conn
 * number, -1 for all), without colour; returns the writer (o->w). */
struct tcpsim_rp_writer *rr_open(struct rr_out *o, enum tcpsim_rp_format fmt, long pick);
/* Frees the writer and closes the stream; o->text then holds what was
 * written. Returns what tcpsim_rp_writer_free says (false: a write failed). */
bool rr_close(struct rr_out *o);
/* A replay with the default configuration whose one handler is the
 * connection record's: conn(ctx, c, why) as each connection leaves. */
struct tcpsim_replay *rr_new_conns(void (*conn)(void *ctx, const struct tcpsim_rp_conn *c, enum tcpsim_rp_leave why),
                                   void *ctx);
/* Replays the capture file `cap` (`filter`: a BPF expression or NULL) with
 * `cfg`; fails the test, naming the file and the error, unless the whole
 * file reads without one. */
void rr_read(const struct tcpsim_replay_cfg *cfg, const char *cap, const char *filter);

#endif
