/* parse.c - packetdrill script text into struct ts_script.
 * Read first: docs/scripts.md (grammar), reference-facts.md "packetdrill
 * script grammar". A hand-written recursive-descent parser over characters:
 * every event starts with a time, so newlines are plain white space and an
 * event may span lines. Errors name line:column and what was expected. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "script/script_int.h"

struct parser {
    const char *s;
    size_t i;
    unsigned line, col;
    struct ts_script *sc;
    struct ts_parse_error *err;
    bool failed;
    bool nomem;
};

/* ---- characters ---- */

static char peek(const struct parser *p, size_t k)
{
    /* reading past the NUL is prevented by stopping at the first NUL */
    for (size_t j = 0; j < k; j++)
        if (p->s[p->i + j] == '\0')
            return '\0';
    return p->s[p->i + k];
}

static void adv(struct parser *p)
{
    if (p->s[p->i] == '\0')
        return;
    if (p->s[p->i] == '\n') {
        p->line++;
        p->col = 1;
    } else {
        p->col++;
    }
    p->i++;
}

static bool starts(const struct parser *p, const char *lit)
{
    for (size_t k = 0; lit[k]; k++)
        if (peek(p, k) != lit[k])
            return false;
    return true;
}

static void fail_at(struct parser *p, unsigned line, unsigned col, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    p->err->line = line;
    p->err->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err->msg, sizeof p->err->msg, fmt, ap);
    va_end(ap);
}

#define FAIL(p, ...) fail_at((p), (p)->line, (p)->col, __VA_ARGS__)

/* What is at the cursor, for "expected X, found Y" messages. */
static const char *found(const struct parser *p, char *buf, size_t cap)
{
    char c = peek(p, 0);
    if (c == '\0')
        return "end of file";
    if (c == '\n')
        return "end of line";
    size_t n = 0;
    while (n + 1 < cap && n < 12) {
        char d = peek(p, n);
        if (d == '\0' || d == '\n')
            break;
        buf[n] = d;
        n++;
    }
    buf[n] = '\0';
    return buf;
}

#define EXPECTED(p, what)                                                                                              \
    do {                                                                                                               \
        char fb_[16];                                                                                                  \
        FAIL((p), "expected %s, found '%s'", (what), found((p), fb_, sizeof fb_));                                     \
    } while (0)

/* Skip blanks, newlines and comments (C and C++ style). */
static void skip_ws(struct parser *p)
{
    for (;;) {
        char c = peek(p, 0);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
            adv(p);
        } else if (c == '/' && peek(p, 1) == '/') {
            while (peek(p, 0) != '\0' && peek(p, 0) != '\n')
                adv(p);
        } else if (c == '/' && peek(p, 1) == '*') {
            unsigned l = p->line, co = p->col;
            adv(p);
            adv(p);
            while (peek(p, 0) != '\0' && !(peek(p, 0) == '*' && peek(p, 1) == '/'))
                adv(p);
            if (peek(p, 0) == '\0') {
                fail_at(p, l, co, "comment opened here is never closed with */");
                return;
            }
            adv(p);
            adv(p);
        } else {
            return;
        }
    }
}

/* Blanks on the current line only. */
static void skip_blank(struct parser *p)
{
    while (peek(p, 0) == ' ' || peek(p, 0) == '\t' || peek(p, 0) == '\r')
        adv(p);
}

static bool accept_lit(struct parser *p, const char *lit)
{
    if (!starts(p, lit))
        return false;
    for (size_t k = 0; lit[k]; k++)
        adv(p);
    return true;
}

static bool expect_lit(struct parser *p, const char *lit, const char *what)
{
    skip_ws(p);
    if (accept_lit(p, lit))
        return true;
    EXPECTED(p, what);
    return false;
}

static bool is_ident_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static bool is_ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static bool read_ident(struct parser *p, char *out, size_t cap)
{
    if (!is_ident_start(peek(p, 0)))
        return false;
    size_t n = 0;
    while (is_ident_char(peek(p, 0))) {
        if (n + 1 >= cap) {
            FAIL(p, "name too long (at most %zu characters)", cap - 1);
            return false;
        }
        out[n++] = peek(p, 0);
        adv(p);
    }
    out[n] = '\0';
    return true;
}

/* Peek an identifier without consuming it. */
static bool peek_word(const struct parser *p, const char *w)
{
    size_t n = strlen(w);
    if (!starts(p, w))
        return false;
    return !is_ident_char(peek(p, n));
}

/* Unsigned integer, decimal or 0x hex, at most `max`. */
static bool read_uint(struct parser *p, uint64_t max, uint64_t *v, const char *what)
{
    skip_ws(p);
    unsigned l = p->line, c = p->col;
    uint64_t x = 0;
    bool any = false;
    if (peek(p, 0) == '0' && (peek(p, 1) == 'x' || peek(p, 1) == 'X') && isxdigit((unsigned char)peek(p, 2))) {
        adv(p);
        adv(p);
        while (isxdigit((unsigned char)peek(p, 0))) {
            char d = peek(p, 0);
            unsigned dv = (unsigned)(isdigit((unsigned char)d) ? d - '0' : (tolower((unsigned char)d) - 'a' + 10));
            if (x > (UINT64_MAX >> 4)) {
                fail_at(p, l, c, "number too large for %s", what);
                return false;
            }
            x = x << 4 | dv;
            any = true;
            adv(p);
        }
    } else {
        while (isdigit((unsigned char)peek(p, 0))) {
            unsigned dv = (unsigned)(peek(p, 0) - '0');
            if (x > (UINT64_MAX - dv) / 10) {
                fail_at(p, l, c, "number too large for %s", what);
                return false;
            }
            x = x * 10 + dv;
            any = true;
            adv(p);
        }
    }
    if (!any) {
        EXPECTED(p, what);
        return false;
    }
    if (x > max) {
        fail_at(p, l, c, "%s %" PRIu64 " is out of range (at most %" PRIu64 ")", what, x, max);
        return false;
    }
    *v = x;
    return true;
}

static bool read_u32(struct parser *p, uint32_t *v, const char *what)
{
    uint64_t x;
    if (!read_uint(p, UINT32_MAX, &x, what))
        return false;
    *v = (uint32_t)x;
    return true;
}

/* Seconds with up to 6 decimals ("1", "1.5", ".25") into microseconds, exactly. */
static bool read_seconds(struct parser *p, int64_t *usec, const char *what)
{
    int64_t whole = 0, frac = 0;
    int fd = 0;
    bool any = false;
    unsigned l = p->line, c = p->col;
    while (isdigit((unsigned char)peek(p, 0))) {
        whole = whole * 10 + (peek(p, 0) - '0');
        if (whole > 100000000) {
            fail_at(p, l, c, "time too large");
            return false;
        }
        any = true;
        adv(p);
    }
    /* a '.' belongs to the number only when a digit follows ("0...1" is 0, ..., 1) */
    if (peek(p, 0) == '.' && isdigit((unsigned char)peek(p, 1))) {
        adv(p);
        while (isdigit((unsigned char)peek(p, 0))) {
            if (fd < 6) {
                frac = frac * 10 + (peek(p, 0) - '0');
                fd++;
            } else if (peek(p, 0) != '0') {
                FAIL(p, "time has more than 6 decimals (microseconds are the resolution)");
                return false;
            }
            any = true;
            adv(p);
        }
    }
    if (!any) {
        EXPECTED(p, what);
        return false;
    }
    while (fd < 6) {
        frac *= 10;
        fd++;
    }
    *usec = whole * 1000000 + frac;
    return true;
}

/* ---- pools ---- */

static void *grow(struct parser *p, void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t nc = *cap ? *cap * 2 : 32;
    void *q = realloc(arr, nc * elem);
    if (!q) {
        p->nomem = true;
        FAIL(p, "out of memory");
        return NULL;
    }
    *cap = nc;
    return q;
}

static struct ts_event *new_event(struct parser *p)
{
    struct ts_script *sc = p->sc;
    void *q = grow(p, sc->ev, &sc->cap_ev, sc->nev, sizeof *sc->ev);
    if (!q)
        return NULL;
    sc->ev = q;
    struct ts_event *e = &sc->ev[sc->nev++];
    memset(e, 0, sizeof *e);
    return e;
}

static int new_expr(struct parser *p, enum ts_expr_kind k)
{
    struct ts_script *sc = p->sc;
    void *q = grow(p, sc->ex, &sc->cap_ex, sc->nex, sizeof *sc->ex);
    if (!q)
        return -1;
    sc->ex = q;
    struct ts_expr *e = &sc->ex[sc->nex];
    memset(e, 0, sizeof *e);
    e->kind = k;
    e->child = -1;
    e->next = -1;
    e->line = p->line;
    e->col = p->col;
    return (int)sc->nex++;
}

/* ---- option lines: --name=value ---- */

static void parse_option(struct parser *p)
{
    struct ts_script *sc = p->sc;
    unsigned line = p->line;
    accept_lit(p, "--");
    char name[TS_NAME];
    if (!read_ident(p, name, sizeof name)) {
        EXPECTED(p, "an option name after '--'");
        return;
    }
    char value[TS_NAME * 2] = "";
    skip_blank(p);
    if (accept_lit(p, "=")) {
        skip_blank(p);
        size_t n = 0;
        while (peek(p, 0) != '\0' && peek(p, 0) != '\n' && !(peek(p, 0) == '/' && peek(p, 1) == '/')) {
            if (n + 1 < sizeof value)
                value[n++] = peek(p, 0);
            adv(p);
        }
        while (n > 0 && isspace((unsigned char)value[n - 1]))
            n--;
        value[n] = '\0';
    }
    void *q = grow(p, sc->opt, &sc->cap_opt, sc->nopt, sizeof *sc->opt);
    if (!q)
        return;
    sc->opt = q;
    struct ts_option *o = &sc->opt[sc->nopt++];
    snprintf(o->name, sizeof o->name, "%s", name);
    snprintf(o->value, sizeof o->value, "%s", value);
    o->line = line;
}

/* ---- `shell command` ---- */

static void parse_shell(struct parser *p, struct ts_event *e)
{
    unsigned l = p->line, c = p->col;
    adv(p); /* ` */
    size_t n = 0;
    while (peek(p, 0) != '\0' && peek(p, 0) != '`') {
        if (n + 1 < sizeof e->u.shell)
            e->u.shell[n++] = peek(p, 0) == '\n' ? ' ' : peek(p, 0);
        adv(p);
    }
    e->u.shell[n] = '\0';
    if (peek(p, 0) != '`') {
        fail_at(p, l, c, "shell command opened here is never closed with `");
        return;
    }
    adv(p);
    e->kind = TS_EV_SHELL;
}

/* ---- time ---- */

static void parse_time(struct parser *p, struct ts_time *t)
{
    memset(t, 0, sizeof *t);
    if (accept_lit(p, "*")) {
        t->kind = TS_TIME_ANY;
        return;
    }
    bool rel = accept_lit(p, "+");
    if (!read_seconds(p, &t->t, "a time such as 0, 1.5, +0.1 or *"))
        return;
    t->kind = rel ? TS_TIME_REL : TS_TIME_ABS;
    if (accept_lit(p, "~")) {
        bool rel2 = accept_lit(p, "+");
        if (rel != rel2) {
            FAIL(p, "a time range is either absolute (0.1~0.2) or relative (+0.1~+0.2)");
            return;
        }
        if (!read_seconds(p, &t->t_end, "the end of the time range"))
            return;
        if (t->t_end < t->t) {
            FAIL(p, "time range ends before it starts");
            return;
        }
        t->kind = rel ? TS_TIME_RANGE_REL : TS_TIME_RANGE_ABS;
    } else if (accept_lit(p, "...")) {
        if (!read_seconds(p, &t->block_end, "the time a blocking call returns (as in +0...0.200)"))
            return;
        if (t->block_end < t->t) {
            FAIL(p, "a blocking call cannot return before it starts");
            return;
        }
        t->has_block = true;
    }
}

/* ---- packets ---- */

static void parse_options_list(struct parser *p, struct ts_packet *k)
{
    /* '<' already consumed */
    skip_ws(p);
    if (accept_lit(p, "...")) {
        k->opt_mode = TS_OPTS_ANY;
        expect_lit(p, ">", "'>' after '<...'");
        return;
    }
    k->opt_mode = TS_OPTS_LIST;
    for (;;) {
        skip_ws(p);
        if (k->nopt >= TS_MAX_OPTS) {
            FAIL(p, "too many options (at most %d)", TS_MAX_OPTS);
            return;
        }
        struct ts_opt *o = &k->opt[k->nopt];
        memset(o, 0, sizeof *o);
        unsigned l = p->line, c = p->col;
        char w[TS_NAME];
        if (!read_ident(p, w, sizeof w)) {
            EXPECTED(p, "a TCP option (nop, eol, mss N, wscale N, sackOK, sack a:b, TS val N ecr N)");
            return;
        }
        uint64_t v;
        if (!strcmp(w, "nop")) {
            o->kind = TCPSIM_OPT_NOP;
        } else if (!strcmp(w, "eol")) {
            o->kind = TCPSIM_OPT_EOL;
        } else if (!strcmp(w, "mss")) {
            o->kind = TCPSIM_OPT_MSS;
            if (!read_uint(p, 65535, &v, "the MSS value"))
                return;
            o->v1 = (uint32_t)v;
        } else if (!strcmp(w, "wscale")) {
            o->kind = TCPSIM_OPT_WSCALE;
            if (!read_uint(p, 255, &v, "the window scale shift"))
                return;
            o->v1 = (uint32_t)v;
        } else if (!strcmp(w, "sackOK")) {
            o->kind = TCPSIM_OPT_SACK_PERM;
        } else if (!strcmp(w, "sack")) {
            o->kind = TCPSIM_OPT_SACK;
            for (;;) {
                skip_ws(p);
                if (!isdigit((unsigned char)peek(p, 0)))
                    break;
                if (o->nsack >= TCPSIM_MAX_SACK_BLOCKS) {
                    FAIL(p, "at most %d SACK blocks", TCPSIM_MAX_SACK_BLOCKS);
                    return;
                }
                uint32_t a, b;
                if (!read_u32(p, &a, "a SACK block start"))
                    return;
                if (!accept_lit(p, ":")) {
                    EXPECTED(p, "':' in a SACK block (start:end)");
                    return;
                }
                if (!read_u32(p, &b, "a SACK block end"))
                    return;
                o->sack[o->nsack].left = a;
                o->sack[o->nsack].right = b;
                o->nsack++;
            }
            if (o->nsack == 0) {
                EXPECTED(p, "SACK blocks (sack 1:100 200:300)");
                return;
            }
        } else if (!strcmp(w, "TS")) {
            o->kind = TCPSIM_OPT_TS;
            skip_ws(p);
            if (!read_ident(p, w, sizeof w) || strcmp(w, "val")) {
                EXPECTED(p, "'val' (TS val N ecr N)");
                return;
            }
            if (!read_u32(p, &o->v1, "the TS val"))
                return;
            skip_ws(p);
            if (!read_ident(p, w, sizeof w) || strcmp(w, "ecr")) {
                EXPECTED(p, "'ecr' (TS val N ecr N)");
                return;
            }
            if (!read_u32(p, &o->v2, "the TS ecr"))
                return;
        } else {
            fail_at(p, l, c, "unsupported TCP option '%s' (supported: nop, eol, mss, wscale, sackOK, sack, TS)", w);
            return;
        }
        k->nopt++;
        skip_ws(p);
        if (accept_lit(p, ","))
            continue;
        if (accept_lit(p, ">"))
            return;
        EXPECTED(p, "',' or '>' in the option list");
        return;
    }
}

static void parse_packet(struct parser *p, struct ts_event *e)
{
    struct ts_packet *k = &e->u.pkt;
    e->kind = TS_EV_PACKET;
    k->inbound = peek(p, 0) == '<';
    adv(p);
    if (accept_lit(p, ":")) { /* tcpsim extension: "<:40001" names the remote port */
        uint64_t v;
        if (!read_uint(p, 65535, &v, "a remote port after '<:' / '>:'"))
            return;
        if (v == 0) {
            FAIL(p, "remote port 0 is not allowed");
            return;
        }
        k->rport = (uint16_t)v;
    }
    skip_ws(p);
    unsigned fl = p->line, fc = p->col;
    bool any = false, none = false;
    for (;;) {
        char c = peek(p, 0);
        uint8_t f;
        switch (c) {
        case '.':
            f = TCPSIM_ACK;
            break;
        case 'F':
            f = TCPSIM_FIN;
            break;
        case 'S':
            f = TCPSIM_SYN;
            break;
        case 'R':
            f = TCPSIM_RST;
            break;
        case 'P':
            f = TCPSIM_PSH;
            break;
        case 'E':
            f = TCPSIM_ECE;
            break;
        case 'W':
            f = TCPSIM_CWR;
            break;
        case 'U':
            f = TCPSIM_URG;
            break;
        case '-':
            f = 0;
            none = true;
            break;
        default:
            f = 0xff;
            break;
        }
        if (f == 0xff)
            break;
        k->flags |= f;
        any = true;
        adv(p);
    }
    if (!any) {
        EXPECTED(p, "TCP flags from '.FSRPEWU' or '-' after the direction");
        return;
    }
    if (none && k->flags) {
        fail_at(p, fl, fc, "'-' means no flags and cannot be combined with others");
        return;
    }
    if (is_ident_char(peek(p, 0))) {
        EXPECTED(p, "TCP flags from '.FSRPEWU' or '-'");
        return;
    }
    unsigned sl = p->line, sc = p->col;
    skip_ws(p);
    sl = p->line;
    sc = p->col;
    if (!read_u32(p, &k->start, "the start sequence number (start:end(len))"))
        return;
    if (!accept_lit(p, ":")) {
        EXPECTED(p, "':' in start:end(len)");
        return;
    }
    if (!read_u32(p, &k->end, "the end sequence number (start:end(len))"))
        return;
    if (!accept_lit(p, "(")) {
        EXPECTED(p, "'(' in start:end(len)");
        return;
    }
    if (!read_u32(p, &k->len, "the payload length (start:end(len))"))
        return;
    if (!expect_lit(p, ")", "')' after the payload length"))
        return;
    if ((uint32_t)(k->end - k->start) != k->len) {
        fail_at(p, sl, sc, "%" PRIu32 ":%" PRIu32 "(%" PRIu32 "): end - start must equal the length", k->start, k->end,
                k->len);
        return;
    }
    if (k->len > 65535) {
        fail_at(p, sl, sc, "payload length %" PRIu32 " is larger than a segment can carry", k->len);
        return;
    }
    for (;;) {
        skip_ws(p);
        if (peek_word(p, "ack")) {
            accept_lit(p, "ack");
            if (!read_u32(p, &k->ack, "the acknowledgment number after 'ack'"))
                return;
            k->has_ack = true;
        } else if (peek_word(p, "win")) {
            accept_lit(p, "win");
            uint64_t v;
            if (!read_uint(p, 65535, &v, "the window after 'win'"))
                return;
            k->win = (uint32_t)v;
            k->has_win = true;
        } else if (peek_word(p, "urg")) {
            accept_lit(p, "urg");
            uint64_t v;
            if (!read_uint(p, 65535, &v, "the urgent pointer after 'urg'"))
                return;
            k->urg = (uint32_t)v;
            k->has_urg = true;
        } else {
            break;
        }
    }
    if (peek(p, 0) == '<') {
        adv(p);
        parse_options_list(p, k);
        if (p->failed)
            return;
    } else if (peek(p, 0) == '[' || peek(p, 0) == '(') {
        FAIL(p, "IP-level annotations ([ect0], (ce), ip options) are not supported");
        return;
    }
    if (k->inbound && k->opt_mode == TS_OPTS_ANY) {
        fail_at(p, e->line, e->col, "'<...>' (do not check options) only makes sense for outbound '>' packets");
        return;
    }
    if (k->inbound &&
        (e->time.kind == TS_TIME_ANY || e->time.kind == TS_TIME_RANGE_ABS || e->time.kind == TS_TIME_RANGE_REL)) {
        fail_at(p, e->line, e->col, "'*' and time ranges are for outbound '>' packets only");
        return;
    }
    if (e->time.has_block) {
        fail_at(p, e->line, e->col, "'start...end' times are for blocking system calls only");
        return;
    }
}

/* ---- system calls ---- */

static int parse_expr(struct parser *p);

static int parse_primary(struct parser *p)
{
    skip_ws(p);
    char c = peek(p, 0);
    if (starts(p, "...")) {
        int x = new_expr(p, TS_E_ELLIPSIS);
        accept_lit(p, "...");
        return x;
    }
    if (c == '[' || c == '{') {
        bool list = c == '[';
        int x = new_expr(p, list ? TS_E_LIST : TS_E_STRUCT);
        if (x < 0)
            return -1;
        adv(p);
        int last = -1;
        skip_ws(p);
        if (accept_lit(p, list ? "]" : "}"))
            return x;
        for (;;) {
            char field[TS_NAME] = "";
            if (!list) {
                skip_ws(p);
                if (!read_ident(p, field, sizeof field)) {
                    EXPECTED(p, "a member name in { name=value, ... }");
                    return -1;
                }
                if (!expect_lit(p, "=", "'=' after the member name"))
                    return -1;
            }
            int ch = parse_expr(p);
            if (ch < 0)
                return -1;
            snprintf(p->sc->ex[ch].field, sizeof p->sc->ex[ch].field, "%s", field);
            if (last < 0)
                p->sc->ex[x].child = ch;
            else
                p->sc->ex[last].next = ch;
            last = ch;
            skip_ws(p);
            if (accept_lit(p, ","))
                continue;
            if (accept_lit(p, list ? "]" : "}"))
                return x;
            EXPECTED(p, list ? "',' or ']'" : "',' or '}'");
            return -1;
        }
    }
    if (c == '"') {
        int x = new_expr(p, TS_E_STRING);
        if (x < 0)
            return -1;
        unsigned l = p->line, co = p->col;
        adv(p);
        size_t n = 0;
        while (peek(p, 0) != '\0' && peek(p, 0) != '"' && peek(p, 0) != '\n') {
            if (n + 1 < sizeof p->sc->ex[x].name)
                p->sc->ex[x].name[n++] = peek(p, 0);
            adv(p);
        }
        if (peek(p, 0) != '"') {
            fail_at(p, l, co, "string opened here is not closed on the same line");
            return -1;
        }
        adv(p);
        return x;
    }
    if (c == '-' || isdigit((unsigned char)c)) {
        int x = new_expr(p, TS_E_INT);
        if (x < 0)
            return -1;
        bool neg = accept_lit(p, "-");
        uint64_t v;
        if (!read_uint(p, INT64_MAX, &v, "a number"))
            return -1;
        p->sc->ex[x].ival = neg ? -(int64_t)v : (int64_t)v;
        return x;
    }
    if (is_ident_start(c)) {
        int x = new_expr(p, TS_E_IDENT);
        if (x < 0)
            return -1;
        char name[TS_NAME];
        if (!read_ident(p, name, sizeof name))
            return -1;
        snprintf(p->sc->ex[x].name, sizeof p->sc->ex[x].name, "%s", name);
        skip_blank(p);
        if (accept_lit(p, "(")) {
            p->sc->ex[x].kind = TS_E_CALL;
            int last = -1;
            skip_ws(p);
            if (accept_lit(p, ")"))
                return x;
            for (;;) {
                int ch = parse_expr(p);
                if (ch < 0)
                    return -1;
                if (last < 0)
                    p->sc->ex[x].child = ch;
                else
                    p->sc->ex[last].next = ch;
                last = ch;
                skip_ws(p);
                if (accept_lit(p, ","))
                    continue;
                if (accept_lit(p, ")"))
                    return x;
                EXPECTED(p, "',' or ')'");
                return -1;
            }
        }
        return x;
    }
    EXPECTED(p, "an argument (number, NAME, ..., [x], {a=b} or \"text\")");
    return -1;
}

static int parse_expr(struct parser *p)
{
    int first = parse_primary(p);
    if (first < 0)
        return -1;
    skip_ws(p);
    if (peek(p, 0) != '|')
        return first;
    int x = new_expr(p, TS_E_OR);
    if (x < 0)
        return -1;
    p->sc->ex[x].line = p->sc->ex[first].line;
    p->sc->ex[x].col = p->sc->ex[first].col;
    p->sc->ex[x].child = first;
    int last = first;
    while (accept_lit(p, "|")) {
        int ch = parse_primary(p);
        if (ch < 0)
            return -1;
        p->sc->ex[last].next = ch;
        last = ch;
        skip_ws(p);
    }
    return x;
}

static void parse_syscall(struct parser *p, struct ts_event *e)
{
    struct ts_syscall *k = &e->u.call;
    e->kind = TS_EV_SYSCALL;
    if (!read_ident(p, k->name, sizeof k->name)) {
        EXPECTED(p, "a system call name");
        return;
    }
    if (!expect_lit(p, "(", "'(' after the system call name"))
        return;
    skip_ws(p);
    if (!accept_lit(p, ")")) {
        for (;;) {
            if (k->nargs >= TS_MAX_ARGS) {
                FAIL(p, "too many arguments (at most %d)", TS_MAX_ARGS);
                return;
            }
            int x = parse_expr(p);
            if (x < 0)
                return;
            k->args[k->nargs++] = x;
            skip_ws(p);
            if (accept_lit(p, ","))
                continue;
            if (accept_lit(p, ")"))
                break;
            EXPECTED(p, "',' or ')' in the argument list");
            return;
        }
    }
    if (!expect_lit(p, "=", "'= result' after the system call"))
        return;
    skip_ws(p);
    bool neg = accept_lit(p, "-");
    uint64_t v;
    if (!read_uint(p, INT32_MAX, &v, "the expected return value"))
        return;
    k->result = neg ? -(int64_t)v : (int64_t)v;
    skip_blank(p);
    if (is_ident_start(peek(p, 0))) {
        unsigned l = p->line, c = p->col;
        if (!read_ident(p, k->err, sizeof k->err))
            return;
        int64_t ev;
        if (k->err[0] != 'E' || !tcpsim__script_const(k->err, &ev)) {
            fail_at(p, l, c, "unknown errno name '%s'", k->err);
            return;
        }
        if (k->result != -1) {
            fail_at(p, l, c, "an errno goes with the result -1 (= -1 %s)", k->err);
            return;
        }
    } else if (k->result == -1) {
        EXPECTED(p, "an errno name after '= -1' (for example EAGAIN)");
        return;
    }
    skip_blank(p);
    if (peek(p, 0) == '(') { /* "(Resource temporarily unavailable)": text for people */
        unsigned l = p->line, c = p->col;
        int depth = 0;
        do {
            char ch = peek(p, 0);
            if (ch == '\0' || ch == '\n') {
                fail_at(p, l, c, "'(' opened here is not closed on the same line");
                return;
            }
            if (ch == '(')
                depth++;
            if (ch == ')')
                depth--;
            adv(p);
        } while (depth > 0);
    }
    if (e->time.kind == TS_TIME_ANY || e->time.kind == TS_TIME_RANGE_ABS || e->time.kind == TS_TIME_RANGE_REL)
        fail_at(p, e->line, e->col, "'*' and time ranges are for outbound '>' packets only");
}

/* ---- %{ assert tcpi_state == TCP_CLOSE_WAIT }% ---- */

static void parse_python(struct parser *p, struct ts_event *e)
{
    struct ts_python *k = &e->u.py;
    e->kind = TS_EV_PYTHON;
    unsigned ol = p->line, oc = p->col;
    accept_lit(p, "%{");
    for (;;) {
        /* Python comments are '#'; our skip_ws handles // too */
        for (;;) {
            skip_ws(p);
            if (peek(p, 0) != '#')
                break;
            while (peek(p, 0) != '\0' && peek(p, 0) != '\n')
                adv(p);
        }
        if (accept_lit(p, "}%"))
            break;
        if (peek(p, 0) == '\0') {
            fail_at(p, ol, oc, "%%{ opened here is never closed with }%%");
            return;
        }
        unsigned l = p->line, c = p->col;
        char w[TS_NAME];
        if (!read_ident(p, w, sizeof w) || strcmp(w, "assert")) {
            fail_at(p, l, c, "only 'assert tcpi_<field> <op> <value>' lines are supported inside %%{ }%%");
            return;
        }
        if (k->n >= TS_MAX_ASSERTS) {
            fail_at(p, l, c, "too many asserts in one block (at most %d)", TS_MAX_ASSERTS);
            return;
        }
        struct ts_assert *a = &k->a[k->n];
        a->line = l;
        a->col = c;
        skip_blank(p);
        if (!read_ident(p, a->field, sizeof a->field)) {
            EXPECTED(p, "a TCP_INFO field such as tcpi_state");
            return;
        }
        skip_blank(p);
        if (accept_lit(p, "=="))
            a->op = TS_CMP_EQ;
        else if (accept_lit(p, "!="))
            a->op = TS_CMP_NE;
        else if (accept_lit(p, "<="))
            a->op = TS_CMP_LE;
        else if (accept_lit(p, ">="))
            a->op = TS_CMP_GE;
        else if (accept_lit(p, "<"))
            a->op = TS_CMP_LT;
        else if (accept_lit(p, ">"))
            a->op = TS_CMP_GT;
        else {
            EXPECTED(p, "a comparison (==, !=, <, <=, >, >=)");
            return;
        }
        skip_blank(p);
        unsigned vl = p->line, vc = p->col;
        if (is_ident_start(peek(p, 0))) {
            if (!read_ident(p, a->value_text, sizeof a->value_text))
                return;
            if (!tcpsim__script_const(a->value_text, &a->value)) {
                fail_at(p, vl, vc, "unknown constant '%s'", a->value_text);
                return;
            }
        } else {
            uint64_t v;
            if (!read_uint(p, INT32_MAX, &v, "a value to compare with"))
                return;
            a->value = (int64_t)v;
            snprintf(a->value_text, sizeof a->value_text, "%" PRIu64, v);
        }
        skip_blank(p);
        if (peek(p, 0) == ',') { /* assert x == y, message: up to the line's end or a closing }% */
            while (peek(p, 0) != '\0' && peek(p, 0) != '\n' && !starts(p, "}%"))
                adv(p);
        }
        k->n++;
    }
    if (k->n == 0)
        fail_at(p, ol, oc, "empty %%{ }%% block");
}

/* ---- the file ---- */

enum tcpsim_err tcpsim__script_parse(const char *text, struct ts_script *s, struct ts_parse_error *err)
{
    memset(s, 0, sizeof *s);
    memset(err, 0, sizeof *err);
    struct parser p = {text, 0, 1, 1, s, err, false, false};
    for (;;) {
        skip_ws(&p);
        if (p.failed || peek(&p, 0) == '\0')
            break;
        if (starts(&p, "--")) {
            if (s->nev > 0) {
                FAIL(&p, "--option lines must come before the first event");
                break;
            }
            parse_option(&p);
            continue;
        }
        struct ts_event *e = new_event(&p);
        if (!e)
            break;
        e->line = p.line;
        e->col = p.col;
        if (peek(&p, 0) == '`') {
            e->time.kind = TS_TIME_NONE;
            parse_shell(&p, e);
            continue;
        }
        parse_time(&p, &e->time);
        if (p.failed)
            break;
        skip_ws(&p);
        char c = peek(&p, 0);
        if (c == '<' || c == '>')
            parse_packet(&p, e);
        else if (starts(&p, "%{"))
            parse_python(&p, e);
        else if (c == '`')
            parse_shell(&p, e);
        else if (is_ident_start(c))
            parse_syscall(&p, e);
        else
            EXPECTED(&p, "'<', '>', a system call or %{ after the time");
        if (!p.failed && e->kind != TS_EV_SYSCALL && e->time.has_block)
            fail_at(&p, e->line, e->col, "'start...end' times are for blocking system calls only");
    }
    if (p.failed)
        return p.nomem ? TCPSIM_ERR_NOMEM : TCPSIM_ERR_PARSE;
    return TCPSIM_OK;
}

void tcpsim__script_free(struct ts_script *s)
{
    free(s->ev);
    free(s->ex);
    free(s->opt);
    memset(s, 0, sizeof *s);
}

/* ---- constants: Linux values, since scripts are written for Linux ---- */

static const struct {
    const char *name;
    int64_t v;
} consts[] = {
    {"AF_INET", 2},
    {"AF_INET6", 10},
    {"PF_INET", 2},
    {"PF_INET6", 10},
    {"SOCK_STREAM", 1},
    {"SOCK_NONBLOCK", 0x800},
    {"IPPROTO_IP", 0},
    {"IPPROTO_TCP", 6},
    {"SOL_SOCKET", 1},
    {"SOL_TCP", 6},
    {"SO_REUSEADDR", 2},
    {"SO_ERROR", 4},
    {"SO_SNDBUF", 7},
    {"SO_RCVBUF", 8},
    {"SO_KEEPALIVE", 9},
    {"SO_LINGER", 13},
    {"SO_REUSEPORT", 15},
    {"TCP_NODELAY", 1},
    {"TCP_MAXSEG", 2},
    {"TCP_KEEPIDLE", 4},
    {"TCP_KEEPINTVL", 5},
    {"TCP_KEEPCNT", 6},
    {"SHUT_RD", 0},
    {"SHUT_WR", 1},
    {"SHUT_RDWR", 2},
    {"F_GETFL", 3},
    {"F_SETFL", 4},
    {"O_RDONLY", 0},
    {"O_WRONLY", 1},
    {"O_RDWR", 2},
    {"O_NONBLOCK", 0x800},
    {"SIOCINQ", 0x541B},
    {"FIONREAD", 0x541B},
    {"NULL", 0},
    /* errno (Linux numbers) */
    {"EPERM", 1},
    {"EBADF", 9},
    {"EAGAIN", 11},
    {"EWOULDBLOCK", 11},
    {"EFAULT", 14},
    {"EINVAL", 22},
    {"EPIPE", 32},
    {"ENOTSOCK", 88},
    {"ENOPROTOOPT", 92},
    {"EOPNOTSUPP", 95},
    {"EADDRINUSE", 98},
    {"ECONNABORTED", 103},
    {"ECONNRESET", 104},
    {"EISCONN", 106},
    {"ENOTCONN", 107},
    {"ETIMEDOUT", 110},
    {"ECONNREFUSED", 111},
    {"EALREADY", 114},
    {"EINPROGRESS", 115},
    /* TCP_INFO tcpi_state (include/net/tcp_states.h) */
    {"TCP_ESTABLISHED", 1},
    {"TCP_SYN_SENT", 2},
    {"TCP_SYN_RECV", 3},
    {"TCP_FIN_WAIT1", 4},
    {"TCP_FIN_WAIT2", 5},
    {"TCP_TIME_WAIT", 6},
    {"TCP_CLOSE", 7},
    {"TCP_CLOSE_WAIT", 8},
    {"TCP_LAST_ACK", 9},
    {"TCP_LISTEN", 10},
    {"TCP_CLOSING", 11},
};

bool tcpsim__script_const(const char *name, int64_t *v)
{
    for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++)
        if (!strcmp(consts[i].name, name)) {
            *v = consts[i].v;
            return true;
        }
    return false;
}

const char *tcpsim__script_errno_name(int e)
{
    for (size_t i = 0; i < sizeof consts / sizeof consts[0]; i++)
        if (consts[i].name[0] == 'E' && consts[i].v == e && strcmp(consts[i].name, "EWOULDBLOCK"))
            return consts[i].name;
    return NULL;
}

const char *tcpsim__script_flags(uint8_t flags, char *buf, size_t cap)
{
    /* packetdrill order: the letters, then '.' for ACK */
    static const struct {
        uint8_t bit;
        char c;
    } order[] = {{TCPSIM_SYN, 'S'}, {TCPSIM_FIN, 'F'}, {TCPSIM_RST, 'R'}, {TCPSIM_PSH, 'P'},
                 {TCPSIM_URG, 'U'}, {TCPSIM_ECE, 'E'}, {TCPSIM_CWR, 'W'}, {TCPSIM_ACK, '.'}};
    size_t n = 0;
    if (cap == 0)
        return buf;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if ((flags & order[i].bit) && n + 1 < cap)
            buf[n++] = order[i].c;
    if (n == 0 && cap > 1)
        buf[n++] = '-';
    buf[n] = '\0';
    return buf;
}
