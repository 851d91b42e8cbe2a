/* replayrun.c - the replay tests' common run (see replayrun.h): what every
 * "replay this capture into a view and look at the text" test repeats.
 * Read first: src/replay/replay.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "replayrun.h"

struct tcpsim_rp_writer *rr_open(struct rr_out *o, enum tcpsim_rp_format fmt, long pick)
{
    o->text = NULL;
    o->len = 0;
    o->f = open_memstream(&o->text, &o->len);
    assert_non_null(o->f);
    o->w = tcpsim_rp_writer_new(o->f, fmt, pick, false);
    assert_non_null(o->w);
    return o->w;
}

bool rr_close(struct rr_out *o)
{
    bool ok = tcpsim_rp_writer_free(o->w);
    o->w = NULL;
    fclose(o->f);
    o->f = NULL;
    return ok;
}

struct tcpsim_replay *rr_new_conns(void (*conn)(void *ctx, const struct tcpsim_rp_conn *c, enum tcpsim_rp_leave why),
                                   void *ctx)
{
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    cfg.h.conn = conn;
    cfg.h.ctx = ctx;
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    assert_non_null(rp);
    return rp;
}

void rr_read(const struct tcpsim_replay_cfg *cfg, const char *cap, const char *filter)
{
    struct tcpsim_replay *rp = tcpsim_replay_new(cfg);
    assert_non_null(rp);
    struct tcpsim_replay_input in = {cap, filter, NULL, false};
    char err[512];
    enum tcpsim_err rc = tcpsim_replay_read(rp, &in, err, sizeof err);
    if (rc != TCPSIM_OK)
        fail_msg("%s: %s", cap, err);
    tcpsim_replay_free(rp);
}
