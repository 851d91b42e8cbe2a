/* script_int.h - the parsed form of a packetdrill script (not installed).
 * Read first: include/tcpsim/script.h, docs/scripts.md. The parser turns text
 * into these plain structs; the runner (run.c) and the socket layer (sock.c)
 * only ever see them, never the text. */
#ifndef TCPSIM_SCRIPT_INT_H
#define TCPSIM_SCRIPT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpsim/script.h"
#include "tcpsim/wire.h"

/* ---- times (microseconds of script time) ---- */
enum ts_time_kind {
    TS_TIME_ABS,       /* 0.100 */
    TS_TIME_REL,       /* +0.100: after the previous event's time */
    TS_TIME_ANY,       /* *: whenever it happens (outbound only) */
    TS_TIME_RANGE_ABS, /* 0.1~0.2 (outbound only) */
    TS_TIME_RANGE_REL, /* +0.1~+0.2 (outbound only) */
    TS_TIME_NONE,      /* shell lines without a time */
};

struct ts_time {
    enum ts_time_kind kind;
    int64_t t;         /* start (or the only) time */
    int64_t t_end;     /* range end */
    bool has_block;    /* "t...end": a blocking call that must return at `block_end` */
    int64_t block_end; /* relative to the previous event when kind is REL */
};

/* ---- packets ---- */
enum ts_opt_mode { TS_OPTS_NONE, TS_OPTS_ANY, TS_OPTS_LIST };

#define TS_MAX_OPTS 20

struct ts_opt {
    uint8_t kind;    /* TCPSIM_OPT_* */
    uint32_t v1, v2; /* mss / wscale in v1; TS val, ecr */
    uint8_t nsack;
    struct tcpsim_sack_block sack[TCPSIM_MAX_SACK_BLOCKS];
};

struct ts_packet {
    bool inbound;   /* '<' */
    uint16_t rport; /* tcpsim extension "<:40001": remote port (0 = default) */
    uint8_t flags;
    uint32_t start, end, len;
    bool has_ack, has_win, has_urg;
    uint32_t ack, win, urg;
    enum ts_opt_mode opt_mode;
    unsigned nopt;
    struct ts_opt opt[TS_MAX_OPTS];
};

/* ---- system call arguments: a small expression tree in a pool ---- */
enum ts_expr_kind {
    TS_E_ELLIPSIS, /* ... */
    TS_E_INT,      /* 42, 0x2a, -1 */
    TS_E_IDENT,    /* SOCK_STREAM, NULL */
    TS_E_OR,       /* a|b (children) */
    TS_E_LIST,     /* [a, b] */
    TS_E_STRUCT,   /* {name=value, ...}: children carry the field name */
    TS_E_STRING,   /* "text" */
    TS_E_CALL,     /* htons(8080) */
};

#define TS_NAME 40

struct ts_expr {
    enum ts_expr_kind kind;
    int64_t ival;
    char name[TS_NAME];  /* identifier, call name or string text */
    char field[TS_NAME]; /* struct member name ("l_onoff") when inside { } */
    int child;           /* first child index or -1 */
    int next;            /* next sibling index or -1 */
    unsigned line, col;
};

#define TS_MAX_ARGS 8

struct ts_syscall {
    char name[TS_NAME];
    int args[TS_MAX_ARGS];
    unsigned nargs;
    int64_t result;
    char err[TS_NAME]; /* "EAGAIN" or "" */
};

/* ---- %{ assert tcpi_x OP value }% ---- */
enum ts_cmp { TS_CMP_EQ, TS_CMP_NE, TS_CMP_LT, TS_CMP_LE, TS_CMP_GT, TS_CMP_GE };

struct ts_assert {
    char field[TS_NAME];
    enum ts_cmp op;
    int64_t value;
    char value_text[TS_NAME];
    unsigned line, col;
};

#define TS_MAX_ASSERTS 8

struct ts_python {
    unsigned n;
    struct ts_assert a[TS_MAX_ASSERTS];
};

enum ts_event_kind { TS_EV_PACKET, TS_EV_SYSCALL, TS_EV_PYTHON, TS_EV_SHELL };

struct ts_event {
    enum ts_event_kind kind;
    struct ts_time time;
    unsigned line, col;
    union {
        struct ts_packet pkt;
        struct ts_syscall call;
        struct ts_python py;
        char shell[TS_NAME * 2];
    } u;
};

struct ts_option {
    char name[TS_NAME];
    char value[TS_NAME * 2];
    unsigned line;
};

struct ts_script {
    struct ts_event *ev;
    size_t nev, cap_ev;
    struct ts_expr *ex;
    size_t nex, cap_ex;
    struct ts_option *opt;
    size_t nopt, cap_opt;
};

struct ts_parse_error {
    unsigned line, col;
    char msg[256];
};

/* Parse `text`. On ERR_PARSE, `err` says where and what was expected. The
 * script owns heap arrays: release with tcpsim__script_free. */
enum tcpsim_err tcpsim__script_parse(const char *text, struct ts_script *s, struct ts_parse_error *err);
void tcpsim__script_free(struct ts_script *s);

/* Value of a named constant (SOCK_STREAM, SO_LINGER, EPIPE, TCP_CLOSE_WAIT ...). */
bool tcpsim__script_const(const char *name, int64_t *v);
/* Errno name for a Linux errno number ("EPIPE"), NULL when unknown. */
const char *tcpsim__script_errno_name(int e);

/* Packetdrill spelling of flags ("S.", "F.", "-") into buf. */
const char *tcpsim__script_flags(uint8_t flags, char *buf, size_t cap);

#endif
