/* runner.h - state shared by the script runner (run.c) and its socket layer
 * (sock.c); not installed. Read first: script_int.h, include/tcpsim/tcp.h.
 * Everything lives in one struct runner, bounded tables, no globals. */
#ifndef TCPSIM_SCRIPT_RUNNER_H
#define TCPSIM_SCRIPT_RUNNER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "script/script_int.h"
#include "tcpsim/report.h"
#include "tcpsim/tcp.h"

#define RS_MAX_CONNS   64
#define RS_MAX_SOCKS   32
#define RS_MAX_QUEUE   128
#define RS_LOG         10
#define RS_LOCAL_PORT  8080
#define RS_REMOTE_PORT 40000
#define RS_FIRST_FD    3

/* One TCP endpoint (a connection or a listener's child). */
struct rs_conn {
    struct tcpsim_tcp_endpoint ep;
    int listener; /* socket index of the listener that spawned it, -1 */
    bool queued;  /* completed, waiting in the listener's accept queue */
    bool accepted;
    int sock; /* socket index owning it; -1 while unaccepted or after close() */
    uint16_t rport;
    unsigned serial; /* creation order */
    int err;         /* pending socket error (Linux errno), reported once */
    bool reset;      /* connection reset or timed out: reads then return 0 */
    bool dead;       /* replaced (TIME_WAIT reopened through the listener): ignore it */
};

struct rs_sock {
    bool used;
    bool nonblock, reuseaddr, bound, listening, nodelay;
    bool linger_on;
    int64_t linger_secs;
    int64_t backlog;
    struct tcpsim_tcp_config cfg;
    int conn;        /* connection index, -1 */
    bool connecting; /* connect() started and not yet reported as done */
    bool shut_rd;
    int err;
    unsigned serial;
};

/* An outbound segment the endpoint emitted and no '>' line has matched yet. */
struct rs_qseg {
    struct tcpsim_segment seg; /* payload set to NULL: only its length is kept */
    int64_t t;
    uint32_t base; /* local ISN the script's outbound numbers are relative to */
    int conn;      /* -1 for a throw-away endpoint (RST from a closed port) */
    bool retransmission;
};

struct runner {
    const struct ts_script *sc;
    const char *name;
    struct tcpsim_script_result *res;
    FILE *out;
    bool verbose, ascii;
    bool strict_end; /* unmatched outbound packets at the end fail the script */

    /* settings */
    int64_t tol_usecs;
    int tol_permille;
    uint16_t mss;
    int ipv;
    enum tcpsim_tcp_profile profile;
    struct tcpsim_tcp_config base_cfg;

    /* virtual time (script microseconds) */
    int64_t now;
    int64_t last_time;

    struct rs_conn *conn[RS_MAX_CONNS];
    struct rs_sock sock[RS_MAX_SOCKS];
    unsigned serial;
    int last_sock; /* most recently created socket, -1 */
    uint32_t isn_seq;

    struct rs_qseg q[RS_MAX_QUEUE];
    size_t nq;
    struct tcpsim_tcp_out *out_buf;

    /* the one blocking call in flight ("+0...0.2 accept(...)") */
    bool pend;
    size_t pend_ev;
    int64_t pend_start, pend_end;

    /* inbound TS ecr values are the script's view of our TS val */
    bool ts_map;
    uint32_t ts_script, ts_actual;

    char log[RS_LOG][240];
    unsigned nlog;

    struct tcpsim_ladder *ladder;
    struct tcpsim_tl_sink sink;
    bool began;

    bool stop; /* a failure or error has been recorded */
    size_t cur_ev;
};

/* ---- run.c, used by sock.c ---- */
void tcpsim__rs_log(struct runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tcpsim__rs_fail(struct runner *r, const struct ts_event *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tcpsim__rs_error(struct runner *r, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Collect what a call on conn `ci` produced (segments, transitions, errors). */
void tcpsim__rs_harvest(struct runner *r, int ci);
/* A new endpoint in CLOSED for socket `si` (its config); index or -1 (error recorded). */
int tcpsim__rs_conn_new(struct runner *r, const struct tcpsim_tcp_config *cfg, uint16_t rport);
/* The connection the script is talking to (socket under test), -1 if none. */
int tcpsim__rs_conn_under_test(const struct runner *r);

/* ---- sock.c ---- */
/* Outcome of trying a system call now. */
enum rs_call_status { RS_CALL_DONE, RS_CALL_BLOCKED, RS_CALL_STOP };
/* Start (first=true) or retry a system call; on DONE fills *ret and *err (Linux errno or 0). */
enum rs_call_status tcpsim__rs_syscall(struct runner *r, const struct ts_event *e, bool first, int64_t *ret, int *err);
/* Listener bookkeeping after anything changed: completed children queue up. */
void tcpsim__rs_update_children(struct runner *r);
/* Listener socket for accepting new connections on our port, -1 if none. */
int tcpsim__rs_listener(const struct runner *r);
/* Accept queue length of listener socket si. */
int tcpsim__rs_queue_len(const struct runner *r, int si);
/* Release every socket and connection. */
void tcpsim__rs_sock_free_all(struct runner *r);

#endif
