/* tcpsim/script.h - run TCP test scripts in packetdrill syntax against the
 * endpoint of tcp.h, in virtual time, through a small Linux-like socket layer.
 * Read first: docs/scripts.md (the grammar and what is not supported), RFC 9293
 * §3.10 (the user calls the socket layer maps onto), reference-facts.md
 * ("packetdrill script grammar").
 *
 * A run never touches the network or a clock: `<` lines are injected into the
 * endpoint, `>` lines are compared with what it emitted, system calls go to
 * the socket layer, and timers fire when virtual time passes them. */
#ifndef TCPSIM_SCRIPT_H
#define TCPSIM_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tcpsim/error.h"
#include "tcpsim/tcp.h"

/* What a run came to; doubles as the process exit status of `tcpsim run`. */
enum tcpsim_script_outcome {
    TCPSIM_SCRIPT_PASS = 0,  /* every expectation held */
    TCPSIM_SCRIPT_FAIL = 1,  /* an expectation did not hold (file:line) */
    TCPSIM_SCRIPT_ERROR = 2, /* the script is broken or unsupported (file:line:column) */
};

/* Command-line settings; a field left at its "unset" value lets the script's
 * own --option lines (or the built-in default) decide. */
struct tcpsim_script_opts {
    int64_t tolerance_usecs; /* < 0: unset (default 4000) */
    int tolerance_percent;   /* < 0: unset (default 12.5%, kept in tenths: 125) */
    int mss;                 /* 0: unset (1460 for IPv4, 1440 for IPv6) */
    int ip_version;          /* 0: unset (4); 4 or 6 */
    int profile;             /* < 0: unset (TCPSIM_PROFILE_LINUX) */
    bool verbose;            /* write the run's ladder (or event list) to `out` */
    bool ascii;              /* verbose ladder without UTF-8 glyphs */
    bool strict_end;         /* an outbound packet no line matched by the end fails the script (default: a note) */
    FILE *out;               /* progress, verbose output and the failure report; NULL: silent */
};

/* Unset everything, out = NULL. */
void tcpsim_script_opts_default(struct tcpsim_script_opts *o);

#define TCPSIM_SCRIPT_MSG 4096

struct tcpsim_script_result {
    enum tcpsim_script_outcome outcome;
    unsigned line, column; /* where it failed (column 0 when not known) */
    unsigned events_run;   /* events executed, including the failing one */
    unsigned skipped;      /* shell lines and ignored options reported as skipped */
    /* One line: "name:12: expected ... got ..." or "name:3:7: syntax error: ..." */
    char message[512];
    /* The whole failure report (message, segments side by side, state, last
     * events); empty on success. Truncated to fit. */
    char report[TCPSIM_SCRIPT_MSG];
};

/* Run one script held in memory. `name` is used in messages (NULL: "<string>").
 * `opts` may be NULL. The return value is res->outcome; ERR_* return values of
 * the library (allocation failure) surface as TCPSIM_SCRIPT_ERROR. */
enum tcpsim_script_outcome tcpsim_script_run_string(const char *text, const char *name,
                                                    const struct tcpsim_script_opts *opts,
                                                    struct tcpsim_script_result *res);

/* Read and run a script file; a file that cannot be read is TCPSIM_SCRIPT_ERROR. */
enum tcpsim_script_outcome tcpsim_script_run_file(const char *path, const struct tcpsim_script_opts *opts,
                                                  struct tcpsim_script_result *res);

/* Linux's TCP_INFO tcpi_state value for one of our states (TCP_CLOSE = 7 for
 * CLOSED, TCP_SYN_RECV = 3 for SYN_RECEIVED, ...), and its constant name. */
int tcpsim_script_linux_state(enum tcpsim_tcp_state s);
const char *tcpsim_script_linux_state_name(enum tcpsim_tcp_state s);

#endif
