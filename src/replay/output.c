/* output.c - the replayer's views: JSON Lines per docs/replay-json.md (segment,
 * conn and summary records), a one-line-per-connection summary, and timeline
 * views through a report-module sink (events buffered per connection): the
 * ladder, one HTML page for the whole file, or a caller's sink (the teach
 * module's step-through). Words for people follow --lang; JSON stays English.
 * The JSON and summary writers are the hot path: they format by hand straight
 * into one output buffer, from pieces made once per writer. With two threads
 * the JSON view's records and the summary's blocks are formatted on a writer
 * thread of their own (writer.c; docs/design.md "JSON on a writer thread").
 * Read first: docs/replay-json.md, include/tcpsim/timeline.h. */
#include "replay/replay.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "replay/outfmt.h"
#include "replay/writer.h"
#include "tcpsim/report.h"
#include "wire/hint.h"

#define OBUF 65536
/* Pieces are copied with fixed-size moves (cpy_piece): up to SLACK bytes past
 * a piece's end are written in the output buffer (room() reserves them) and
 * read from the piece arena (which ends with SLACK spare bytes). */
#define SLACK 32
/* "10.0.0.1:443", "[2001:db8::1]:443" (replay.h: the connection's labels) */
#define LABEL_MAX sizeof(((struct tcpsim_rp_conn *)0)->label[0])
/* A segment record's state pair and end (tcpsim_rp_writer.pair): a slot is
 * copied whole, three 32-byte moves; the longest pair (two 12-letter names,
 * closed) takes 84 bytes. */
#define PAIR_STRIDE 96u
#define PAIR_N      (TCPSIM_TCP_NSTATES + 1u)

enum {
#define WHY_COUNT_(id, rule, text) WHY_COUNT_##id,
    TCPSIM_TCP_WHYS(WHY_COUNT_)
#undef WHY_COUNT_
        WHY_COUNT
};

struct ladder_seg {
    uint64_t frame;
    tcpsim_ns_t time;
    enum tcpsim_side from;
    struct tcpsim_segment seg;
    bool rel_seq_known, rel_ack_known;
    uint32_t rel_seq, rel_ack, analysis;
    uint64_t win;
    uint8_t nev;
    struct tcpsim_rp_event ev[TCPSIM_RP_MAX_EVENTS];
    uint32_t tls_first, ntls, tls_dropped; /* items in ladder_buf.tls */
};

/* A TLS item's own copy of its explanation and of its id's parameters (one
 * block: explanation, then s[0..2]): the segment's pointers die with the
 * callback, and a dangling `why` would be read by a Korean view. */
struct ladder_tlsx {
    struct tcpsim_tls_explain why;
    bool has_why;
    char *blk;
};

struct ladder_buf {
    size_t n, cap;
    struct ladder_seg *v;
    size_t ntls, tls_cap;
    struct tcpsim_tl_tls *tls; /* explain and why point into x[i] (set when drawn: x[] moves) */
    struct ladder_tlsx *x;     /* parallel to tls */
};

/* A connection's two IPv4 endpoints as text ("10.0.0.1:443"), kept by the
 * JSON writer in a direct-mapped table by connection number: formatting both
 * for every segment was a sixth of the record's instructions, copying them
 * costs a fifth of that. One 64-byte line per entry (256 KiB in all: one more
 * line per segment, against 2.4 KB of connection record); the numbers are
 * kept too and compared on every use, so an entry only ever gives the text of
 * the addresses it was made from (IPv6 goes the long way). */
#define PFX_SLOTS 4096u
struct pfx {
    uint32_t key;   /* connection number + 1; 0: empty */
    uint32_t ip[2]; /* [CLIENT], [SERVER], as in memory */
    uint16_t port[2];
    uint8_t n[2];
    char t[2][22]; /* "255.255.255.255:65535", copied as 24 bytes (t[1] ends the line) */
};
_Static_assert(sizeof(struct pfx) == 64 && offsetof(struct pfx, t) + 22 + 24 <= 64,
               "one cache line per entry, t[1] copied as 24 bytes");

/* The last conn record's middle (conn_mid): what it was made from, and its
 * bytes. */
struct conn_memo {
    bool valid, inferred, server_inferred;
    unsigned n[2];
    enum tcpsim_tcp_state st0[2];
    enum tcpsim_tcp_state states[2][TCPSIM_RP_MAX_STATES];
    uint32_t completeness, len;
    size_t csl;
    char conn_state[16];
    char history[TCPSIM_RP_HIST_MAX];
    char text[1024];
};

/* A constant piece of output, in the writer's arena. */
struct piece {
    const char *s;
    uint32_t n;
};

/* The cached side lines of one summary block: the bytes side_lines wrote
 * for a connection whose sides' states pack to key[] (0: empty). */
#define STL_WAYS 8
#define STL_CAP  192 /* copied whole: one fixed-size move */
struct st_line {
    uint64_t key[2];
    uint32_t n;
    char s[STL_CAP];
};

struct tcpsim_rp_writer {
    FILE *out;
    enum tcpsim_rp_format fmt;
    long pick;
    bool color, failed, ascii, absolute;
    enum tcpsim_lang lang;
    size_t len;
    char buf[OBUF];
    struct tcpsim_ladder *ladder; /* TCPSIM_RP_LADDER */
    struct tcpsim_html *html;     /* TCPSIM_RP_HTML */
    struct tcpsim_tl_sink sink;   /* where timeline events go (ladder, html or the caller's) */
    bool have_t0;
    tcpsim_ns_t t0;    /* ladder times: seconds since the capture's first frame, as Wireshark shows */
    char tlsbuf[OBUF]; /* the conn record's `tls` object */
    bool pick_found;   /* the --conn connection was written */
    uint64_t nconns;   /* connections in the capture (summary) */
    /* Pieces made once (make_pieces), then copied: a segment's "flags"
     * elements by the flags byte, an analysis name (quoted) by bit, a state's
     * name, and an event's tail (rule and why, escaped) by reason. */
    char *arena;
    struct piece flags[256];
    struct piece an[32];
    struct piece state[TCPSIM_TCP_NSTATES + 1];  /* the last: any value out of range */
    struct piece qstate[TCPSIM_TCP_NSTATES + 1]; /* the same quoted: "\"SYN_SENT\"" */
    struct piece gstate[TCPSIM_TCP_NSTATES + 1]; /* after an arrow (summary): ">SYN_SENT" */
    struct piece why[WHY_COUNT + 1];             /* the last: any value out of range */
    size_t state_max;                            /* longest state name */
    size_t seg_max;                              /* bound on a segment record up to its events */
    char oct[256][4];                            /* "255." (the dot: octets 1 to 3) */
    uint8_t oct_len[256];                        /* with the dot */
    struct tcpsim__fmt_last frame;               /* the last segment record's frame number */
    struct pfx *pfx;                             /* PFX_SLOTS (JSON only) */
    /* The seconds of the last time written (segment records, a conn's end),
     * and of a conn's start. */
    struct tcpsim__fmt_sec sec, sec_start;
    /* "client" / "server" in the chosen language, looked up once (a catalog
     * lookup per connection was 2% of the summary view's instructions) */
    const char *side_name[2];
    size_t side_len[2];
    /* The summary's side lines ("client CLOSED>SYN_SENT>..." and the
     * server's), by state sequences, made once (side_lines): most
     * connections repeat a handful of sequences. */
    struct st_line stl[STL_WAYS];
    /* JSON on a writer thread (docs/design.md): `q` takes the segment
     * records as messages (seg_msg), the conn records (conn_msg) and the
     * summary view's blocks (sum_rec) too, and what does not fit as
     * bytes, formatted on the replay thread by `pre` (a copy of this writer
     * whose buffer empties into `q`: its `rawq`). */
    struct tcpsim__wq *q;
    struct tcpsim_rp_writer *pre;
    struct tcpsim__wq *rawq;
    /* The end of a segment record from its states: `],"client_state":"C",
     * "server_state":"S","events":[` ([0]) and the same closed as a record
     * without events or TLS ends ([1]), by (client, server) state, each in a
     * slot of PAIR_STRIDE bytes copied whole (NULL: a name too long for a
     * slot; the state pieces are used). */
    char *pair;
    uint8_t pair_len[(TCPSIM_TCP_NSTATES + 1) * (TCPSIM_TCP_NSTATES + 1)][2];
    struct conn_memo memo;              /* the last conn record's middle */
    struct tcpsim_tls_summary *tls_sum; /* the writer thread's: a TLS conn record's summary, unpacked */
    uint64_t tls_queued;                /* TLS conn records (blocks) sent to the writer thread (tests) */
    uint64_t refs;                      /* held records handed to it by reference (tests) */
};

/* ---- a buffered emitter ---- */

/* Message types on the writer thread's ring. */
enum msg_type { MSG_SEG, MSG_SEGREF, MSG_JREFS, MSG_JREF_TLS, MSG_CONN, MSG_TLSCONN, MSG_RAW, MSG_SUM, MSG_TLSSUM };

/* Bytes out: to the stream, or (the replay thread's `pre`) to the writer
 * thread's ring as MSG_RAW messages, in pieces the ring takes. */
static void emit(struct tcpsim_rp_writer *w, const char *s, size_t n)
{
    if (!w->rawq) {
        if (fwrite(s, 1, n, w->out) != n)
            w->failed = true;
        return;
    }
    size_t max = tcpsim__wq_max(w->rawq);
    while (n) {
        size_t k = n < max ? n : max;
        memcpy(tcpsim__wq_reserve(w->rawq, k), s, k);
        tcpsim__wq_commit(w->rawq, MSG_RAW, k);
        s += k;
        n -= k;
    }
}

static void flush(struct tcpsim_rp_writer *w)
{
    if (w->len)
        emit(w, w->buf, w->len);
    w->len = 0;
}

/* Room for `n` bytes (n <= OBUF, a bound the caller computed, SLACK
 * included): the pointer to write at; the caller adds what it wrote to
 * w->len. */
static inline char *room(struct tcpsim_rp_writer *w, size_t n)
{
    if (n > OBUF - w->len)
        flush(w);
    return w->buf + w->len;
}

static void put(struct tcpsim_rp_writer *w, const char *s, size_t n)
{
    if (n > OBUF - w->len) {
        flush(w);
        if (n > OBUF) { /* bigger than the buffer: straight through */
            emit(w, s, n);
            return;
        }
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
}

/* A literal: its length is a constant, so the copy compiles to a few moves. */
#define PUTL(w, lit)                                                                                                   \
    do {                                                                                                               \
        char *putl_ = room((w), sizeof(lit) - 1);                                                                      \
        memcpy(putl_, (lit), sizeof(lit) - 1);                                                                         \
        (w)->len += sizeof(lit) - 1;                                                                                   \
    } while (0)
/* A literal at p, which moves past it. */
#define CPY(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) += sizeof(lit) - 1)

static void puts_(struct tcpsim_rp_writer *w, const char *s)
{
    put(w, s, strlen(s));
}

static void putu(struct tcpsim_rp_writer *w, uint64_t v)
{
    char *p = room(w, 20);
    w->len += (size_t)(tcpsim__fmt_u64(p, v) - p);
}

/* A piece at p: short ones by two fixed 16-byte moves (SLACK). */
static inline char *cpy_piece(char *p, struct piece pc)
{
    if (pc.n <= SLACK)
        memcpy(p, pc.s, SLACK);
    else
        memcpy(p, pc.s, pc.n);
    return p + pc.n;
}

static inline struct piece state_piece(const struct tcpsim_rp_writer *w, enum tcpsim_tcp_state st)
{
    unsigned i = (unsigned)st;
    return w->state[i < TCPSIM_TCP_NSTATES ? i : TCPSIM_TCP_NSTATES];
}

/* A JSON string with its quotes. */
static void putq(struct tcpsim_rp_writer *w, const char *s)
{
    size_t n = strlen(s);
    if (n > (OBUF - 2) / 6) { /* too long for one room: in parts */
        PUTL(w, "\"");
        for (size_t i = 0; i < n; i += 1024) {
            size_t k = n - i < 1024 ? n - i : 1024;
            char *p = room(w, 6 * k);
            w->len += (size_t)(tcpsim__json_esc(p, s + i, k) - p);
        }
        PUTL(w, "\"");
        return;
    }
    char *p = room(w, 6 * n + 2), *p0 = p;
    *p++ = '"';
    p = tcpsim__json_esc(p, s, n);
    *p++ = '"';
    w->len += (size_t)(p - p0);
}

/* ---- pieces, made once per writer ---- */

static const char *const flag_names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};

/* The rule and reason texts are short constants (tcp_why.h); an event's tail
 * is copied from its piece. */
#define WHY_SIZE_(id, rule, text)                                                                                      \
    _Static_assert(sizeof(rule) + sizeof(text) < 512, "tcp_why.h: " #id "'s texts are too long for the JSON writer");
TCPSIM_TCP_WHYS(WHY_SIZE_)
#undef WHY_SIZE_

#define PAIR_OPEN "],\"client_state\":\""
#define PAIR_MID  "\",\"server_state\":\""
#define PAIR_EV   "\",\"events\":["
#define PAIR_END  "],\"tls\":[]}\n" /* no events, no TLS: the usual end */

/* The state pairs (tcpsim_rp_writer.pair), from the state pieces; none when
 * a name is too long for a slot (the record is then written piece by piece)
 * or memory is short. */
static bool make_pairs(struct tcpsim_rp_writer *w)
{
    w->pair = NULL;
    if (w->fmt != TCPSIM_RP_JSON ||
        sizeof PAIR_OPEN + sizeof PAIR_MID + sizeof PAIR_EV + sizeof PAIR_END + 2 * w->state_max > PAIR_STRIDE)
        return true;
    char *t = aligned_alloc(32, PAIR_N * PAIR_N * 2 * PAIR_STRIDE);
    if (!t)
        return true;
    memset(t, 0, PAIR_N * PAIR_N * 2 * PAIR_STRIDE);
    for (unsigned c = 0; c < PAIR_N; c++)
        for (unsigned v = 0; v < PAIR_N; v++)
            for (unsigned end = 0; end < 2; end++) {
                char *s = t + ((c * PAIR_N + v) * 2 + end) * PAIR_STRIDE, *p = s;
                CPY(p, PAIR_OPEN);
                memcpy(p, w->state[c].s, w->state[c].n);
                p += w->state[c].n;
                CPY(p, PAIR_MID);
                memcpy(p, w->state[v].s, w->state[v].n);
                p += w->state[v].n;
                CPY(p, PAIR_EV);
                if (end)
                    CPY(p, PAIR_END);
                w->pair_len[c * PAIR_N + v][end] = (uint8_t)(p - s);
            }
    w->pair = t;
    return true;
}

static bool make_pieces(struct tcpsim_rp_writer *w)
{
    /* Room for every piece: flags 256 * 47, analysis names, states, event
     * tails (escaped: 6 bytes per byte at most), then SLACK. */
    size_t cap = 256 * 48 + SLACK;
    for (unsigned b = 0; b < 32; b++)
        cap += strlen(tcpsim__rp_an_name(b)) + 2;
    for (unsigned i = 0; i <= TCPSIM_TCP_NSTATES; i++)
        cap += 3 * strlen(tcpsim_tcp_state_name((enum tcpsim_tcp_state)i)) + 3;
    for (unsigned i = 0; i <= WHY_COUNT; i++)
        cap += 32 + 6 * (strlen(tcpsim_tcp_why_rule((enum tcpsim_tcp_why)i)) +
                         strlen(tcpsim_tcp_why_text((enum tcpsim_tcp_why)i)));
    char *a = calloc(1, cap), *p = a;
    if (!a)
        return false;
    w->arena = a;
    for (unsigned f = 0; f < 256; f++) { /* "\"SYN\",\"ACK\"" */
        char *s = p;
        for (unsigned b = 0; b < 8; b++)
            if (f & (1u << b)) {
                if (p != s)
                    *p++ = ',';
                *p++ = '"';
                memcpy(p, flag_names[b], 3);
                p += 3;
                *p++ = '"';
            }
        w->flags[f] = (struct piece){s, (uint32_t)(p - s)};
    }
    size_t an_total = 0;
    for (unsigned b = 0; b < 32; b++) { /* "\"retransmission\"": no escaping needed */
        const char *n = tcpsim__rp_an_name(b);
        char *s = p;
        *p++ = '"';
        memcpy(p, n, strlen(n));
        p += strlen(n);
        *p++ = '"';
        w->an[b] = (struct piece){s, (uint32_t)(p - s)};
        an_total += (size_t)(p - s) + 1;
    }
    w->state_max = 0;
    for (unsigned i = 0; i <= TCPSIM_TCP_NSTATES; i++) { /* upper case and '_' only */
        const char *n = tcpsim_tcp_state_name((enum tcpsim_tcp_state)i);
        size_t l = strlen(n);
        memcpy(p, n, l);
        w->state[i] = (struct piece){p, (uint32_t)l};
        p += l;
        w->qstate[i] = (struct piece){p, (uint32_t)l + 2};
        *p++ = '"';
        memcpy(p, n, l);
        p += l;
        *p++ = '"';
        w->gstate[i] = (struct piece){p, (uint32_t)l + 1};
        *p++ = '>';
        memcpy(p, n, l);
        p += l;
        if (l > w->state_max)
            w->state_max = l;
    }
    for (unsigned i = 0; i <= WHY_COUNT; i++) { /* "\",\"rule\":\"RFC 9293 3.10.1\",\"why\":\"...\"}" */
        const char *r = tcpsim_tcp_why_rule((enum tcpsim_tcp_why)i), *t = tcpsim_tcp_why_text((enum tcpsim_tcp_why)i);
        char *s = p;
        CPY(p, "\",\"rule\":\"");
        p = tcpsim__json_esc(p, r, strlen(r));
        CPY(p, "\",\"why\":\"");
        p = tcpsim__json_esc(p, t, strlen(t));
        CPY(p, "\"}");
        w->why[i] = (struct piece){s, (uint32_t)(p - s)};
    }
    for (unsigned v = 0; v < 256; v++) {
        char *e = tcpsim__fmt_u32(w->oct[v], v);
        *e++ = '.';
        w->oct_len[v] = (uint8_t)(e - w->oct[v]);
    }
    /* Literals (under 300 bytes), frame, time, conn, two endpoints, flags,
     * seven numbers, every analysis name, two states; a pair slot copied
     * whole. */
    w->seg_max =
        300 + 20 + 32 + 10 + 2 * LABEL_MAX + 47 + 6 * 10 + 20 + an_total + 2 * w->state_max + SLACK + PAIR_STRIDE;
    return make_pairs(w);
}

/* ---- JSON ---- */

/* An endpoint as its label says it: IPv4 formatted here from the numbers (the
 * label is in the connection's cold part), IPv6 (RFC 5952 form) copied. */
static inline char *endpoint(const struct tcpsim_rp_writer *w, char *p, const struct tcpsim_ip_addr *a, uint16_t port,
                             const char *label)
{
    if (a->family == 6) {
        size_t n = strnlen(label, LABEL_MAX);
        memcpy(p, label, n);
        return p + n;
    }
    /* "10.0.0.1:": each octet with a dot from the table, the last dot made ':' */
    memcpy(p, w->oct[a->a[0]], 4);
    p += w->oct_len[a->a[0]];
    memcpy(p, w->oct[a->a[1]], 4);
    p += w->oct_len[a->a[1]];
    memcpy(p, w->oct[a->a[2]], 4);
    p += w->oct_len[a->a[2]];
    memcpy(p, w->oct[a->a[3]], 4);
    p += w->oct_len[a->a[3]];
    p[-1] = ':';
    return tcpsim__fmt_u32(p, port);
}

/* What a conn record says: its numbers, and pointers to the connection's
 * arrays (or, on the writer thread, to their copies in a message). */
struct conn_rec {
    uint64_t first_frame, last_frame, packets[2], bytes[2];
    tcpsim_ns_t start, end, rtt;
    uint32_t id, completeness;
    unsigned nstates[2];
    enum tcpsim_tcp_state st0[2]; /* the state, when nstates is 0 */
    bool inferred, server_inferred, rtt_known;
    const char *label[2];   /* LABEL_MAX bytes, NUL-padded */
    const char *history;    /* TCPSIM_RP_HIST_MAX bytes, NUL-padded */
    const char *conn_state; /* NUL-terminated */
    const enum tcpsim_tcp_state (*states)[TCPSIM_RP_MAX_STATES];
    const uint32_t *an_count; /* TCPSIM_AN_COUNT */
};

static void conn_take(struct conn_rec *r, const struct tcpsim_rp_conn *c)
{
    r->first_frame = c->first_frame;
    r->last_frame = c->last_frame;
    for (int i = 0; i < 2; i++) {
        r->packets[i] = c->d[i].packets;
        r->bytes[i] = c->d[i].bytes;
        r->nstates[i] = c->nstates[i];
        r->st0[i] = c->nstates[i] ? c->states[i][0] : tcpsim__rp_obs_state(c, i);
        r->label[i] = c->label[i];
    }
    r->start = c->start;
    r->end = c->end;
    r->rtt = c->rtt;
    r->id = c->id;
    r->completeness = c->completeness;
    r->inferred = c->inferred;
    r->server_inferred = c->server_inferred;
    r->rtt_known = c->rtt_known;
    r->history = c->history;
    r->conn_state = tcpsim__rp_conn_state(c);
    r->states = c->states;
    r->an_count = c->an_count;
}

/* '["S1","S2",...]' at p (room for 2 + max(n, 1) * (state_max + 3)
 * bytes); returns the end. */
static inline char *states_write(const struct tcpsim_rp_writer *w, char *p, const struct conn_rec *c, int side)
{
    unsigned n = c->nstates[side];
    *p++ = '[';
    if (n == 0) {
        unsigned i = (unsigned)c->st0[side];
        p = cpy_piece(p, w->qstate[i < TCPSIM_TCP_NSTATES ? i : TCPSIM_TCP_NSTATES]);
    }
    for (unsigned k = 0; k < n; k++) {
        unsigned i = (unsigned)c->states[side][k];
        if (k)
            *p++ = ',';
        p = cpy_piece(p, w->qstate[i < TCPSIM_TCP_NSTATES ? i : TCPSIM_TCP_NSTATES]);
    }
    *p++ = ']';
    return p;
}

/* Every state the endpoint passed through, starting with the one before its
 * first segment: never empty (a silent server was resolved as LISTEN). */
static void put_states(struct tcpsim_rp_writer *w, const struct conn_rec *c, int side)
{
    unsigned n = c->nstates[side];
    char *p = room(w, 2 + (n ? n : 1) * (w->state_max + 3) + SLACK), *p0 = p;
    p = states_write(w, p, c, side);
    w->len += (size_t)(p - p0);
}
/* ',"inferred":B,"server_inferred":B,"completeness":N' at p (under 100
 * bytes); returns the end. server_inferred is a tcpsim addition: the server
 * never answered and LISTEN was assumed. */
static char *put_conn_flags(char *p, const struct conn_rec *c)
{
    if (c->inferred)
        CPY(p, ",\"inferred\":true");
    else
        CPY(p, ",\"inferred\":false");
    if (c->server_inferred)
        CPY(p, ",\"server_inferred\":true,\"completeness\":");
    else
        CPY(p, ",\"server_inferred\":false,\"completeness\":");
    return tcpsim__fmt_u32(p, c->completeness);
}

/* A conn record's middle, from its states to the history: written at p
 * (room for the bound conn_mid computes); returns the end. */
static char *conn_mid_write(const struct tcpsim_rp_writer *w, char *p, const struct conn_rec *c, size_t csl)
{
    for (int side = 0; side < 2; side++) {
        if (side)
            CPY(p, ",\"server_states\":");
        p = states_write(w, p, c, side);
    }
    p = put_conn_flags(p, c);
    CPY(p, ",\"conn_state\":\"");
    p = tcpsim__json_esc(p, c->conn_state, csl);
    CPY(p, "\",\"history\":\"");
    p = tcpsim__json_esc(p, c->history, strnlen(c->history, TCPSIM_RP_HIST_MAX));
    CPY(p, "\",\"handshake_rtt_ms\":");
    return p;
}

/* Whether the memo's text is this record's middle: every input of
 * conn_mid_write is the same (the arrays compared as far as they are
 * read, the history whole). */
static bool conn_memo_same(const struct conn_memo *m, const struct conn_rec *c, size_t csl)
{
    return m->valid && m->n[0] == c->nstates[0] && m->n[1] == c->nstates[1] && m->st0[0] == c->st0[0] &&
           m->st0[1] == c->st0[1] && m->inferred == c->inferred && m->server_inferred == c->server_inferred &&
           m->completeness == c->completeness && m->csl == csl && !memcmp(m->conn_state, c->conn_state, csl) &&
           !memcmp(m->history, c->history, TCPSIM_RP_HIST_MAX) &&
           !memcmp(m->states[0], c->states[0], c->nstates[0] * sizeof m->states[0][0]) &&
           !memcmp(m->states[1], c->states[1], c->nstates[1] * sizeof m->states[1][0]);
}

/* The conn record's middle (states, flags, conn_state, history): connections
 * that end alike give the same bytes here, so the last one is kept and copied
 * when every input matches (formatting it was half of the record). */
static void conn_mid(struct tcpsim_rp_writer *w, const struct conn_rec *c)
{
    size_t csl = strlen(c->conn_state);
    size_t max =
        2 * (2 + TCPSIM_RP_MAX_STATES * (w->state_max + 3)) + 150 + 10 + 6 * csl + 6 * TCPSIM_RP_HIST_MAX + SLACK;
    if (max > OBUF) { /* a Zeek state of tens of KiB: never, but the bound is the bound */
        put_states(w, c, 0);
        PUTL(w, ",\"server_states\":");
        put_states(w, c, 1);
        char *q = room(w, 100 + 10 + SLACK), *q0 = q;
        q = put_conn_flags(q, c);
        CPY(q, ",\"conn_state\":");
        w->len += (size_t)(q - q0);
        putq(w, c->conn_state);
        q = q0 = room(w, 100 + 6 * TCPSIM_RP_HIST_MAX + SLACK);
        CPY(q, ",\"history\":\"");
        q = tcpsim__json_esc(q, c->history, strnlen(c->history, TCPSIM_RP_HIST_MAX));
        CPY(q, "\",\"handshake_rtt_ms\":");
        w->len += (size_t)(q - q0);
        return;
    }
    struct conn_memo *m = &w->memo;
    char *p = room(w, max), *p0 = p;
    if (conn_memo_same(m, c, csl)) {
        memcpy(p, m->text, m->len);
        w->len += m->len;
        return;
    }
    p = conn_mid_write(w, p, c, csl);
    size_t n = (size_t)(p - p0);
    w->len += n;
    m->valid = n <= sizeof m->text && csl <= sizeof m->conn_state;
    if (!m->valid)
        return;
    for (int i = 0; i < 2; i++) {
        m->n[i] = c->nstates[i];
        m->st0[i] = c->st0[i];
        memcpy(m->states[i], c->states[i], c->nstates[i] * sizeof m->states[i][0]);
    }
    m->inferred = c->inferred;
    m->server_inferred = c->server_inferred;
    m->completeness = c->completeness;
    m->csl = csl;
    memcpy(m->conn_state, c->conn_state, csl);
    memcpy(m->history, c->history, TCPSIM_RP_HIST_MAX);
    m->len = (uint32_t)n;
    memcpy(m->text, p0, n);
}

/* One segment record, from its compact form j with its events ev (their
 * number in j->bits) and its TLS parts t (NULL: none). `s`: the full record
 * it was made from (its IPv6 endpoints), or NULL for a record held in
 * compact form (IPv4). */
static void json_core(struct tcpsim_rp_writer *w, const struct tcpsim_rp_jrec *j, const struct tcpsim_rp_jev *ev,
                      const struct tcpsim_rp_segment *s, const struct tcpsim_rp_tlsparts *t)
{
    const size_t nev = j->bits >> TCPSIM_RP_J_NEV;
    char *p = room(w, w->seg_max), *p0 = p;
    CPY(p, "{\"type\":\"segment\",\"frame\":");
    p = tcpsim__fmt_next(p, &w->frame, j->frame);
    CPY(p, ",\"time\":");
    p = tcpsim__fmt_time(p, &w->sec, j->time);
    CPY(p, ",\"conn\":");
    p = tcpsim__fmt_u32(p, j->conn);
    int si = (j->bits & TCPSIM_RP_J_S2C) ? 1 : 0; /* the sender's index: [CLIENT], [SERVER] */
    if (si == 0)
        CPY(p, ",\"dir\":\"c2s\",\"src\":\"");
    else
        CPY(p, ",\"dir\":\"s2c\",\"src\":\"");
    /* "10.0.0.1:443", "[2001:db8::1]:443": nothing to escape. */
    if (w->pfx && (!s || (s->src_ip.family != 6 && s->dst_ip.family != 6))) {
        struct pfx *e = &w->pfx[j->conn % PFX_SLOTS];
        const uint32_t sip = j->ip[0], dip = j->ip[1];
        if (e->key != j->conn + 1u || e->ip[si] != sip || e->ip[!si] != dip || e->port[si] != j->port[0] ||
            e->port[!si] != j->port[1]) {
            struct tcpsim_ip_addr a = {.family = 4};
            e->key = j->conn + 1u;
            e->ip[si] = sip;
            e->ip[!si] = dip;
            e->port[si] = j->port[0];
            e->port[!si] = j->port[1];
            memcpy(a.a, &sip, 4);
            e->n[si] = (uint8_t)(endpoint(w, e->t[si], &a, j->port[0], s ? s->src : NULL) - e->t[si]);
            memcpy(a.a, &dip, 4);
            e->n[!si] = (uint8_t)(endpoint(w, e->t[!si], &a, j->port[1], s ? s->dst : NULL) - e->t[!si]);
        }
        /* fixed-size copies of the entry's bytes, within its line */
        memcpy(p, (const char *)e + offsetof(struct pfx, t) + 22 * si, 24);
        p += e->n[si];
        CPY(p, "\",\"dst\":\"");
        memcpy(p, (const char *)e + offsetof(struct pfx, t) + 22 * !si, 24);
        p += e->n[!si];
    } else {
        p = endpoint(w, p, &s->src_ip, s->src_port, s->src);
        CPY(p, "\",\"dst\":\"");
        p = endpoint(w, p, &s->dst_ip, s->dst_port, s->dst);
    }
    CPY(p, "\",\"flags\":[");
    p = cpy_piece(p, w->flags[j->flags]);
    CPY(p, "],\"seq\":");
    p = tcpsim__fmt_u32(p, j->seq);
    CPY(p, ",\"ack\":");
    p = tcpsim__fmt_u32(p, j->ack);
    if (j->bits & TCPSIM_RP_J_SEQ_REL) {
        CPY(p, ",\"rel_seq\":");
        p = tcpsim__fmt_u32(p, j->rel_seq);
    }
    if (j->bits & TCPSIM_RP_J_ACK_REL) {
        CPY(p, ",\"rel_ack\":");
        p = tcpsim__fmt_u32(p, j->rel_ack);
    }
    CPY(p, ",\"len\":");
    p = tcpsim__fmt_u32(p, j->len);
    CPY(p, ",\"win\":");
    p = tcpsim__fmt_u64(p, j->win);
    CPY(p, ",\"analysis\":[");
    for (uint32_t an = j->analysis; an;) {
        unsigned b = 0;
        while (!(an & (1u << b)))
            b++;
        an &= an - 1; /* the lowest bit set: names in bit order */
        p = cpy_piece(p, w->an[b]);
        if (an)
            *p++ = ',';
    }
    const bool tls = t && (t->json_len || t->errors_len || t->dropped);
    const bool plain = !nev && !tls;
    if (w->pair) { /* the states and what follows them in one copy */
        unsigned c = j->client_state, v = j->server_state;
        unsigned k = (c < TCPSIM_TCP_NSTATES ? c : TCPSIM_TCP_NSTATES) * PAIR_N +
                     (v < TCPSIM_TCP_NSTATES ? v : TCPSIM_TCP_NSTATES);
        memcpy(p, w->pair + (k * 2 + plain) * PAIR_STRIDE, PAIR_STRIDE);
        p += w->pair_len[k][plain];
        w->len += (size_t)(p - p0);
        if (plain)
            return;
    } else {
        CPY(p, PAIR_OPEN);
        p = cpy_piece(p, state_piece(w, (enum tcpsim_tcp_state)j->client_state));
        CPY(p, PAIR_MID);
        p = cpy_piece(p, state_piece(w, (enum tcpsim_tcp_state)j->server_state));
        CPY(p, PAIR_EV);
        w->len += (size_t)(p - p0);
    }
    for (size_t i = 0; i < nev; i++) {
        const struct tcpsim_rp_jev *e = &ev[i];
        unsigned wi = e->why;
        struct piece why = w->why[wi < WHY_COUNT ? wi : WHY_COUNT];
        p = p0 = room(w, 64 + 2 * w->state_max + why.n + SLACK);
        if (i)
            *p++ = ',';
        if (e->endpoint == TCPSIM_SIDE_CLIENT)
            CPY(p, "{\"endpoint\":\"client\",\"from\":\"");
        else
            CPY(p, "{\"endpoint\":\"server\",\"from\":\"");
        p = cpy_piece(p, state_piece(w, (enum tcpsim_tcp_state)e->from));
        CPY(p, "\",\"to\":\"");
        p = cpy_piece(p, state_piece(w, (enum tcpsim_tcp_state)e->to));
        p = cpy_piece(p, why);
        w->len += (size_t)(p - p0);
    }
    /* TLS items, rendered by src/tls (tcpsim_tls_item_json) as they completed. */
    if (!tls) {
        p = p0 = room(w, 16);
        CPY(p, PAIR_END);
        w->len += (size_t)(p - p0);
        return;
    }
    PUTL(w, "],\"tls\":[");
    put(w, t->json, t->json_len);
    if (t->errors_len) { /* tcpsim addition: bytes that are not a TLS record */
        PUTL(w, "],\"tls_errors\":[");
        put(w, t->errors_json, t->errors_len);
    }
    if (t->dropped) {
        PUTL(w, "],\"tls_dropped\":");
        putu(w, t->dropped);
        PUTL(w, "}\n");
    } else {
        PUTL(w, "]}\n");
    }
}

static void json_segment(struct tcpsim_rp_writer *w, const struct tcpsim_rp_segment *s)
{
    struct tcpsim_rp_jrec j;
    struct tcpsim_rp_jev ev[TCPSIM_RP_MAX_EVENTS];
    struct tcpsim_rp_tlsparts t;
    tcpsim_rp_jrec_of(&j, ev, &t, s);
    json_core(w, &j, ev, s, &t);
}

/* ---- JSON on the writer thread ----
 *
 * A segment record as a message: the record itself (a fixed-size copy; its
 * pointers are set again on the writer thread), the first bytes of its TCP
 * segment (seq, ack, flags: all json_segment reads of it), then the events,
 * the labels of IPv6 endpoints with their NULs (json_segment copies those;
 * IPv4 is formatted from the numbers), the TLS JSON and the TLS errors. The
 * writer thread runs json_segment itself on it, so the bytes are those of the
 * one-thread path by construction. */
#define SEG_HEAD TCPSIM_RP_SEG_HEAD /* bytes of struct tcpsim_segment copied */
struct seg_msg {
    struct tcpsim_rp_segment s;
    _Alignas(8) unsigned char seg[SEG_HEAD];
    uint8_t label_len[2]; /* [0] src, [1] dst, with the NUL; 0: IPv4 */
};
_Static_assert(offsetof(struct tcpsim_segment, seq) + 4 <= SEG_HEAD &&
                   offsetof(struct tcpsim_segment, ack) + 4 <= SEG_HEAD &&
                   offsetof(struct tcpsim_segment, flags) + 1 <= SEG_HEAD && sizeof(struct tcpsim_segment) >= SEG_HEAD,
               "json_segment's fields of the TCP segment are in its first bytes");
#define SEG_MSG_SIZE ((sizeof(struct seg_msg) + 7u) & ~(size_t)7u) /* the events follow, aligned */
_Static_assert(_Alignof(struct tcpsim_rp_event) <= 8, "the events follow the fixed part, aligned");

#if defined(__GNUC__)
#define TCPSIM__COLD __attribute__((noinline, cold))
#else
#define TCPSIM__COLD
#endif

/* A record bigger than the ring takes (a segment with tens of KiB of TLS
 * JSON): formatted here once the writer thread has finished every message
 * before it and is idle. Apart so that the usual path stays small. */
static TCPSIM__COLD void segment_here(struct tcpsim_rp_writer *w, const struct tcpsim_rp_segment *s)
{
    tcpsim__wq_drain(w->q);
    json_segment(w, s);
}

/* The replay thread's side: the record as a message. Not `cold`: code
 * optimised for size copies the TLS JSON a byte per step (rep movsb). */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void
queue_segment_long(struct tcpsim_rp_writer *w, const struct tcpsim_rp_segment *s)
{
    size_t ln[2] = {0, 0};
    if (s->src_ip.family == 6)
        ln[0] = strnlen(s->src, LABEL_MAX) + 1;
    if (s->dst_ip.family == 6)
        ln[1] = strnlen(s->dst, LABEL_MAX) + 1;
    size_t evn = s->nevents * sizeof *s->events;
    size_t n = SEG_MSG_SIZE + evn + ln[0] + ln[1] + s->tls_json_len + s->tls_errors_len;
    if (n > tcpsim__wq_max(w->q)) {
        segment_here(w, s);
        return;
    }
    struct seg_msg *m = tcpsim__wq_reserve(w->q, n);
    memcpy(&m->s, s, sizeof *s);
    memcpy(m->seg, s->seg, SEG_HEAD);
    m->label_len[0] = (uint8_t)ln[0];
    m->label_len[1] = (uint8_t)ln[1];
    char *p = (char *)m + SEG_MSG_SIZE;
    for (size_t i = 0; i < s->nevents; i++) /* fixed-size copies: usually none, one or two */
        memcpy(p + i * sizeof *s->events, &s->events[i], sizeof *s->events);
    p += evn;
    for (int k = 0; k < 2; k++) /* IPv6 endpoints only */
        if (ln[k]) {
            memcpy(p, k ? s->dst : s->src, ln[k] - 1);
            p[ln[k] - 1] = '\0';
            p += ln[k];
        }
    if (s->tls_json_len)
        memcpy(p, s->tls_json, s->tls_json_len);
    if (s->tls_errors_len)
        memcpy(p + s->tls_json_len, s->tls_errors_json, s->tls_errors_len);
    tcpsim__wq_commit(w->q, MSG_SEG, n);
}

/* The usual record (IPv4, no TLS, a few events) in a few moves; the rest
 * the long way, which gives the same message. */
static inline void queue_segment(struct tcpsim_rp_writer *w, const struct tcpsim_rp_segment *s)
{
    size_t n = SEG_MSG_SIZE + s->nevents * sizeof *s->events;
    if ((s->src_ip.family == 6) | (s->dst_ip.family == 6) | (s->tls_json_len != 0) | (s->tls_errors_len != 0) |
        (n > tcpsim__wq_max(w->q))) {
        queue_segment_long(w, s);
        return;
    }
    struct seg_msg *m = tcpsim__wq_reserve(w->q, n);
    memcpy(&m->s, s, sizeof *s);
    memcpy(m->seg, s->seg, SEG_HEAD);
    m->label_len[0] = m->label_len[1] = 0;
    struct tcpsim_rp_event *ev = (struct tcpsim_rp_event *)(void *)((char *)m + SEG_MSG_SIZE);
    for (size_t i = 0; i < s->nevents; i++)
        ev[i] = s->events[i];
    tcpsim__wq_commit(w->q, MSG_SEG, n);
}

/* The writer thread's side: the record's pointers set to the message's
 * parts (the message is the writer thread's until it is handled). */
static void unqueue_segment(struct tcpsim_rp_writer *w, void *msg)
{
    struct seg_msg *m = msg;
    struct tcpsim_rp_segment *s = &m->s;
    struct tcpsim_segment seg;
    memcpy(&seg, m->seg, SEG_HEAD);
    s->seg = &seg;
    s->events = (const struct tcpsim_rp_event *)(const void *)((char *)m + SEG_MSG_SIZE);
    const char *p = (const char *)m + SEG_MSG_SIZE + s->nevents * sizeof *s->events;
    s->src = s->dst = "";
    if (m->label_len[0] | m->label_len[1]) {
        if (m->label_len[0])
            s->src = p;
        p += m->label_len[0];
        if (m->label_len[1])
            s->dst = p;
        p += m->label_len[1];
    }
    s->ntls = 0; /* json_segment reads the JSON, not the items */
    s->tls = NULL;
    s->tls_json = p;
    s->tls_errors_json = p + s->tls_json_len;
    json_segment(w, s);
}

/* The conn record up to its `tls` value. */
static void json_conn_rec(struct tcpsim_rp_writer *w, const struct conn_rec *c)
{
    /* Literals (under 200 bytes), labels (escaped), seven numbers, two
     * times. */
    char *p = room(w, 200 + 12 * LABEL_MAX + 7 * 20 + 2 * 32 + SLACK), *p0 = p;
    CPY(p, "{\"type\":\"conn\",\"conn\":");
    p = tcpsim__fmt_u32(p, c->id);
    CPY(p, ",\"client\":\"");
    p = tcpsim__json_esc(p, c->label[0], strnlen(c->label[0], LABEL_MAX));
    CPY(p, "\",\"server\":\"");
    p = tcpsim__json_esc(p, c->label[1], strnlen(c->label[1], LABEL_MAX));
    CPY(p, "\",\"first_frame\":");
    p = tcpsim__fmt_u64(p, c->first_frame);
    CPY(p, ",\"last_frame\":");
    p = tcpsim__fmt_u64(p, c->last_frame);
    CPY(p, ",\"start\":");
    p = tcpsim__fmt_time(p, &w->sec_start, c->start);
    CPY(p, ",\"end\":");
    p = tcpsim__fmt_time(p, &w->sec, c->end);
    CPY(p, ",\"packets\":{\"c2s\":");
    p = tcpsim__fmt_u64(p, c->packets[0]);
    CPY(p, ",\"s2c\":");
    p = tcpsim__fmt_u64(p, c->packets[1]);
    CPY(p, "},\"payload_bytes\":{\"c2s\":");
    p = tcpsim__fmt_u64(p, c->bytes[0]);
    CPY(p, ",\"s2c\":");
    p = tcpsim__fmt_u64(p, c->bytes[1]);
    CPY(p, "},\"client_states\":");
    w->len += (size_t)(p - p0);
    conn_mid(w, c);
    /* The RTT, the analysis names and counts. */
    p = p0 = room(w, 32 + 32 + TCPSIM_AN_COUNT * (32 + 10) + SLACK);
    if (c->rtt_known) { /* milliseconds with the microseconds, truncated */
        uint64_t us = c->rtt / 1000u;
        p = tcpsim__fmt_u64(p, us / 1000u);
        uint32_t f = (uint32_t)(us % 1000u);
        *p++ = '.';
        *p++ = (char)('0' + f / 100u);
        p = tcpsim__fmt_fixed(p, f % 100u, 2);
    } else {
        CPY(p, "null");
    }
    CPY(p, ",\"analysis\":{");
    static const uint32_t none[TCPSIM_AN_COUNT];
    bool first = true; /* most connections have no count: one compare instead of the loop */
    for (unsigned b = memcmp(c->an_count, none, sizeof none) ? 0 : TCPSIM_AN_COUNT; b < TCPSIM_AN_COUNT; b++)
        if (c->an_count[b]) {
            if (!first)
                *p++ = ',';
            first = false;
            p = cpy_piece(p, w->an[b]);
            *p++ = ':';
            p = tcpsim__fmt_u32(p, c->an_count[b]);
        }
    CPY(p, "},\"tls\":");
    w->len += (size_t)(p - p0);
}

/* The conn record's `tls` value and its end; `ts`: the connection's TLS
 * summary, or NULL; `alpn_offered`: the ClientHello's list ('\n'-separated)
 * or NULL. */
static void json_conn_tls(struct tcpsim_rp_writer *w, const struct tcpsim_tls_summary *ts, const char *alpn_offered)
{
    size_t tl = 0;
    if (ts && tcpsim_tls_summary_json(ts, w->tlsbuf, sizeof w->tlsbuf, &tl) == TCPSIM_OK && tl > 0) {
        /* tcpsim addition (B4): "alpn_offered", the client's list; `alpn` stays
         * the negotiated one (null in TLS 1.3: the choice is encrypted). */
        put(w, w->tlsbuf, tl - 1);
        PUTL(w, ",\"alpn_offered\":[");
        for (const char *a = alpn_offered; a && *a;) {
            const char *e = strchr(a, '\n');
            size_t n = e ? (size_t)(e - a) : strlen(a);
            size_t k = n < 255 ? n : 255; /* a name is kept to 255 bytes */
            char *d = room(w, 3 + 6 * k), *d0 = d;
            if (a != alpn_offered)
                *d++ = ',';
            *d++ = '"';
            d = tcpsim__json_esc(d, a, k);
            *d++ = '"';
            w->len += (size_t)(d - d0);
            a += n + (e ? 1 : 0);
        }
        PUTL(w, "]}");
    } else
        PUTL(w, "null");
    PUTL(w, "}\n");
}

/* The conn record; `ts`: the connection's TLS summary, or NULL
 * (tcpsim__rp_tls_summary, asked once). */
static void json_conn_ts(struct tcpsim_rp_writer *w, const struct tcpsim_rp_conn *c,
                         const struct tcpsim_tls_summary *ts)
{
    struct conn_rec r;
    conn_take(&r, c);
    json_conn_rec(w, &r);
    json_conn_tls(w, ts, c->alpn_offered);
}

static void json_conn(struct tcpsim_rp_writer *w, const struct tcpsim_rp_conn *c)
{
    json_conn_ts(w, c, tcpsim__rp_tls_summary(c));
}

/* A conn record as a message: its numbers and copies of its arrays (the
 * connection is reused once the callback returns). A TLS connection's
 * (MSG_TLSCONN) adds the offered ALPN list and its TLS summary packed
 * (tcpsim_tls_summary_pack, ~1 KB instead of ~14 KB), unpacked and formatted
 * on the writer thread (formatting it was ~4600 instructions). */
struct conn_msg {
    struct conn_rec r;
    char label[2][LABEL_MAX];
    char history[TCPSIM_RP_HIST_MAX];
    enum tcpsim_tcp_state states[2][TCPSIM_RP_MAX_STATES];
    uint32_t an_count[TCPSIM_AN_COUNT];
    char conn_state[]; /* NUL-terminated; MSG_TLSCONN: then alpn_offered (NUL-terminated), the packed summary */
};

/* The tail of a TLS connection's conn or summary message: its offered ALPN
 * list (a string) and its TLS summary packed. A closed connection's summary
 * is kept packed: its bytes go as they are. */
struct tls_tail {
    const uint8_t *packed;
    const struct tcpsim_tls_summary *ts;
    size_t tn, al; /* bytes of the packed summary, of the ALPN string with its NUL */
};

/* Fills *t for c; false (and no tail) for a connection without TLS. */
static bool tls_tail_of(const struct tcpsim_rp_conn *c, struct tls_tail *t)
{
    *t = (struct tls_tail){NULL, NULL, 0, 0};
    if (!c->tls && !c->tls_done)
        return false;
    t->packed = tcpsim__rp_tls_packed(c, &t->tn);
    t->ts = t->packed ? NULL : tcpsim__rp_tls_summary(c);
    if (!t->packed && !t->ts)
        return false;
    t->al = (c->alpn_offered ? strlen(c->alpn_offered) : 0) + 1;
    if (t->ts)
        t->tn = tcpsim_tls_summary_packed_size(t->ts);
    return true;
}

/* The tail at a (t->al + t->tn bytes reserved), then the message committed. */
static void tls_tail_put(struct tcpsim_rp_writer *w, char *a, const struct tcpsim_rp_conn *c, const struct tls_tail *t,
                         uint32_t type, size_t n)
{
    if (c->alpn_offered)
        memcpy(a, c->alpn_offered, t->al);
    else
        a[0] = '\0';
    if (t->packed)
        memcpy(a + t->al, t->packed, t->tn);
    else
        tcpsim_tls_summary_pack((uint8_t *)a + t->al, t->ts);
    tcpsim__wq_commit(w->q, type, n);
    w->tls_queued++;
}

/* On the writer thread: the tail at a unpacked into w->tls_sum; returns the
 * ALPN list. */
static const char *tls_tail_get(struct tcpsim_rp_writer *w, const char *a)
{
    tcpsim_tls_summary_unpack(w->tls_sum, (const uint8_t *)a + strlen(a) + 1);
    return a;
}

static void queue_conn(struct tcpsim_rp_writer *w, const struct tcpsim_rp_conn *c)
{
    struct tls_tail t;
    bool tls = tls_tail_of(c, &t);
    struct conn_rec r;
    conn_take(&r, c);
    size_t csl = strlen(r.conn_state) + 1, n = sizeof(struct conn_msg) + csl + (tls ? t.al + t.tn : 0);
    if (n > tcpsim__wq_max(w->q) || (tls && !w->tls_sum)) {
        json_conn_ts(w->pre, c, tls ? (t.ts ? t.ts : tcpsim__rp_tls_summary(c)) : NULL);
        flush(w->pre);
        return;
    }
    struct conn_msg *m = tcpsim__wq_reserve(w->q, n);
    m->r = r;
    memcpy(m->label, c->label, sizeof m->label);
    memcpy(m->history, c->history, sizeof m->history);
    memcpy(m->states, c->states, sizeof m->states);
    memcpy(m->an_count, c->an_count, sizeof m->an_count);
    memcpy(m->conn_state, r.conn_state, csl);
    if (tls)
        tls_tail_put(w, m->conn_state + csl, c, &t, MSG_TLSCONN, n);
    else
        tcpsim__wq_commit(w->q, MSG_CONN, n);
}

static void unqueue_conn(struct tcpsim_rp_writer *w, void *msg, bool tls)
{
    struct conn_msg *m = msg;
    m->r.label[0] = m->label[0];
    m->r.label[1] = m->label[1];
    m->r.history = m->history;
    m->r.states = (const enum tcpsim_tcp_state(*)[TCPSIM_RP_MAX_STATES])m->states;
    m->r.an_count = m->an_count;
    m->r.conn_state = m->conn_state;
    json_conn_rec(w, &m->r);
    if (tls) {
        const char *alpn = tls_tail_get(w, m->conn_state + strlen(m->conn_state) + 1);
        json_conn_tls(w, w->tls_sum, alpn);
        return;
    }
    char *p = room(w, 8), *p0 = p;
    CPY(p, "null}\n");
    w->len += (size_t)(p - p0);
}

static void unqueue_sum(struct tcpsim_rp_writer *w, void *msg, bool tls);

/* Every message, in order, on the writer thread. */
/* A record held in compact form with TLS parts, as a message: where it is
 * (on_segment_jref; the others go as pointers alone, MSG_JREFS). */
struct jref_tls {
    const struct tcpsim_rp_jrec *j;
    const struct tcpsim_rp_jev *ev;
    struct tcpsim_rp_tlsparts t;
};

static void on_message(void *ctx, uint32_t type, void *msg, size_t len)
{
    struct tcpsim_rp_writer *w = ctx;
    switch ((enum msg_type)type) {
    case MSG_SEG:
        unqueue_segment(w, msg);
        break;
    case MSG_SEGREF: { /* a held record, read where it is (on_segment_ref) */
        const struct tcpsim_rp_segment *s;
        memcpy(&s, msg, sizeof s);
        json_segment(w, s);
        break;
    }
    case MSG_JREFS: { /* records held in compact form, read where they are (on_segment_jref) */
        /* Each record's lines were last written on the replay thread's core
         * (perf: reading the first of them was two fifths of json_core's
         * samples): all of the message's are asked for first, and the
         * address text's entry of the next record (pfx, by its connection)
         * while one is written. */
        const struct tcpsim_rp_jrec *js[TCPSIM__WQ_PTRS]; /* (a message has at most this many) */
        for (size_t k = 0; k < len / 8u; k += TCPSIM__WQ_PTRS) {
            const size_t n = len / 8u - k < TCPSIM__WQ_PTRS ? len / 8u - k : TCPSIM__WQ_PTRS;
            memcpy(js, (const char *)msg + 8u * k, n * sizeof js[0]);
            for (size_t i = 0; i < n; i++) {
                TCPSIM__PREFETCH_R(js[i]);
                TCPSIM__PREFETCH_R((const char *)js[i] + 64);
            }
            for (size_t i = 0; i < n; i++) {
                if (w->pfx && i + 1u < n)
                    TCPSIM__PREFETCH_R(&w->pfx[js[i + 1u]->conn % PFX_SLOTS]);
                json_core(w, js[i], (const struct tcpsim_rp_jev *)(const void *)(js[i] + 1), NULL, NULL);
            }
        }
        break;
    }
    case MSG_JREF_TLS: {
        struct jref_tls r;
        memcpy(&r, msg, sizeof r);
        json_core(w, r.j, r.ev, NULL, &r.t);
        break;
    }
    case MSG_CONN:
        unqueue_conn(w, msg, false);
        break;
    case MSG_TLSCONN:
        unqueue_conn(w, msg, true);
        break;
    case MSG_RAW:
        put(w, msg, len);
        break;
    case MSG_SUM:
        unqueue_sum(w, msg, false);
        break;
    case MSG_TLSSUM:
        unqueue_sum(w, msg, true);
        break;
    }
}

static void json_summary(struct tcpsim_rp_writer *w, const struct tcpsim_rp_summary *s)
{
    PUTL(w, "{\"type\":\"summary\",\"frames\":");
    putu(w, s->frames);
    PUTL(w, ",\"tcp_segments\":");
    putu(w, s->tcp_segments);
    PUTL(w, ",\"connections\":");
    putu(w, s->connections);
    PUTL(w, ",\"skipped\":{\"non_tcp\":");
    putu(w, s->skipped.non_tcp);
    PUTL(w, ",\"non_ip\":");
    putu(w, s->skipped.non_ip);
    PUTL(w, ",\"truncated\":");
    putu(w, s->skipped.truncated);
    PUTL(w, ",\"fragment\":");
    putu(w, s->skipped.fragment);
    PUTL(w, ",\"bad_header\":");
    putu(w, s->skipped.bad_header);
    PUTL(w, ",\"filtered\":");
    putu(w, s->skipped.filtered);
    PUTL(w, ",\"unsupported_link\":");
    putu(w, s->skipped.unsupported_link);
    PUTL(w, "},\"max_open\":");
    putu(w, s->max_open);
    PUTL(w, ",\"evicted\":");
    putu(w, s->evicted);
    char t[48];
    snprintf(t, sizeof t, ",\"seconds\":%.6f}\n", s->seconds);
    puts_(w, t);
}

/* ---- summary: one line per connection ---- */

/* "client" / "server" (side 0 / 1) in the writer's language. */
static size_t side_name(struct tcpsim_rp_writer *w, int i)
{
    if (!w->side_name[i]) {
        w->side_name[i] = tcpsim_i18n_side(w->lang, i ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT);
        w->side_len[i] = strlen(w->side_name[i]);
    }
    return w->side_len[i];
}

static void put_side(struct tcpsim_rp_writer *w, int i)
{
    put(w, w->side_name[i], side_name(w, i));
}

/* What a summary block says, taken from the connection (sum_take): with one
 * thread formatted from a copy on the stack, with two copied into a message
 * (MSG_SUM; MSG_TLSSUM adds the offered ALPN list and the packed TLS
 * summary) and formatted on the writer thread, by the same functions. The
 * endpoints go as numbers: their labels are made where they are written
 * (sum_endpoint), so the replay makes none for this view. */
struct sum_rec {
    uint64_t packets[2], bytes[2];
    tcpsim_ns_t rtt;
    const char *conn_state; /* a constant (tcpsim__rp_conn_state) */
    struct tcpsim_ip_addr addr[2];
    uint16_t port[2];
    uint32_t id, completeness;
    unsigned nstates[2];
    enum tcpsim_tcp_state st0[2]; /* the state, when nstates is 0 */
    bool inferred, server_inferred, rtt_known, tls;
    char history[TCPSIM_RP_HIST_MAX];
    enum tcpsim_tcp_state states[2][TCPSIM_RP_MAX_STATES];
    uint32_t an_count[TCPSIM_AN_COUNT];
};

/* Fixed-size copies: the arrays whole (a few moves, no calls). */
static inline void sum_take(struct sum_rec *r, const struct tcpsim_rp_conn *c)
{
    for (int i = 0; i < 2; i++) {
        r->packets[i] = c->d[i].packets;
        r->bytes[i] = c->d[i].bytes;
        r->addr[i] = c->addr[i];
        r->port[i] = c->port[i];
        r->nstates[i] = c->nstates[i];
        r->st0[i] = c->nstates[i] ? c->states[i][0] : tcpsim__rp_obs_state(c, i);
    }
    r->rtt = c->rtt;
    r->conn_state = tcpsim__rp_conn_state(c);
    r->id = c->id;
    r->completeness = c->completeness;
    r->inferred = c->inferred;
    r->server_inferred = c->server_inferred;
    r->rtt_known = c->rtt_known;
    r->tls = c->tls || c->tls_done; /* else tcpsim__rp_tls_summary has none */
    memcpy(r->history, c->history, sizeof r->history);
    memcpy(r->states, c->states, sizeof r->states);
    memcpy(r->an_count, c->an_count, sizeof r->an_count);
}

/* " CLOSED>SYN_SENT>ESTABLISHED" */
static void text_states(struct tcpsim_rp_writer *w, const struct sum_rec *c, int side)
{
    unsigned n = c->nstates[side];
    char *p = room(w, 1 + (n ? n : 1) * (w->state_max + 1) + SLACK), *p0 = p;
    *p++ = ' ';
    if (n == 0)
        p = cpy_piece(p, state_piece(w, c->st0[side]));
    else
        p = cpy_piece(p, state_piece(w, c->states[side][0]));
    for (unsigned k = 1; k < n; k++) {
        unsigned i = (unsigned)c->states[side][k];
        p = cpy_piece(p, w->gstate[i < TCPSIM_TCP_NSTATES ? i : TCPSIM_TCP_NSTATES]);
    }
    w->len += (size_t)(p - p0);
}

/* "client CLOSED>SYN_SENT>...\n  server LISTEN>...\n  zeek " (the server's
 * line with its note when it never answered), made by the code. */
static void side_lines_made(struct tcpsim_rp_writer *w, const struct sum_rec *c)
{
    put_side(w, 0);
    text_states(w, c, 0);
    PUTL(w, "\n  ");
    put_side(w, 1);
    text_states(w, c, 1);
    if (c->server_inferred)
        PUTL(w, " (never answered: LISTEN assumed)\n  zeek ");
    else
        PUTL(w, "\n  zeek ");
}

/* One side's states as a key: up to 14 states under 16, 4 bits each above
 * the count in the low 4 bits; no states at all as the one state
 * tcpsim__rp_obs_state gave (st0; text_states shows it so). False when the
 * sequence does not fit. */
static inline bool side_key(const struct sum_rec *c, int side, uint64_t *key)
{
    unsigned n = c->nstates[side], all = 0;
    uint64_t k;
    if (n == 0) {
        all = (unsigned)c->st0[side];
        k = 1u | (uint64_t)all << 4;
    } else {
        if (n > 14)
            return false;
        k = n;
        for (unsigned i = 0, sh = 4; i < n; i++, sh += 4) {
            unsigned v = (unsigned)c->states[side][i];
            all |= v;
            k |= (uint64_t)v << sh;
        }
    }
    *key = k;
    return all <= 15;
}

/* side_lines_made's bytes depend only on both sides' states and the server's
 * note (the names are the writer's), so they are copied from the entry
 * their keys select (the note in the top bit, which 14 states leave free),
 * made the first time by side_lines_made. Anything else is made each time.
 * Keys that differ may have the same text (values past the last state show
 * alike); that is harmless. tests/replay/test_replay_flow.c holds it to a
 * reference. */
static void side_lines(struct tcpsim_rp_writer *w, const struct sum_rec *c)
{
    uint64_t k0, k1;
    if (!side_key(c, 0, &k0) || !side_key(c, 1, &k1)) {
        side_lines_made(w, c);
        return;
    }
    k1 |= (uint64_t)c->server_inferred << 63;
    struct st_line *e = &w->stl[((k0 ^ k1 * 0xc2b2ae3d27d4eb4full) * 0x9e3779b97f4a7c15ull) >> 61];
    _Static_assert(STL_WAYS == 8, "the index is the product's top 3 bits");
    if (e->key[0] == k0 && e->key[1] == k1) {
        memcpy(room(w, STL_CAP), e->s, STL_CAP);
        w->len += e->n;
        return;
    }
    /* Made in the buffer in one piece (room for all of it first, so no step
     * flushes), then kept when it fits. */
    unsigned n0 = c->nstates[0], n1 = c->nstates[1];
    (void)room(w, side_name(w, 0) + side_name(w, 1) + ((n0 ? n0 : 1) + (n1 ? n1 : 1)) * (w->state_max + 1) + 2 * SLACK +
                      64);
    size_t at = w->len;
    side_lines_made(w, c);
    size_t made = w->len - at;
    if (made <= STL_CAP) {
        memcpy(e->s, w->buf + at, made);
        e->n = (uint32_t)made;
        e->key[0] = k0;
        e->key[1] = k1;
    }
}

/* A line being put together for the summary view, cut as snprintf into
 * `cap` bytes would cut it (the view's lines were made that way). */
struct line {
    size_t n;
    char b[1024];
};

static void lcat(struct line *l, const char *s, size_t n)
{
    if (n > sizeof l->b - l->n)
        n = sizeof l->b - l->n;
    memcpy(l->b + l->n, s, n);
    l->n += n;
}

static void lstr(struct line *l, const char *s)
{
    lcat(l, s, strlen(s));
}

#define LLIT(l, lit) lcat((l), (lit), sizeof(lit) - 1)

/* The line as snprintf(t, cap, ...) would have written it. */
static void put_line(struct tcpsim_rp_writer *w, const struct line *l, size_t cap)
{
    put(w, l->b, l->n < cap ? l->n : cap - 1);
}

/* "  tls TLS 1.3 TLS_AES_128_GCM_SHA256 sni www.example alpn h2 ja4 ..." from
 * the connection's TLS summary `ts` (none: nothing) and the ClientHello's
 * ALPN list `alpn_offered` ('\n'-separated, or NULL). */
static void summary_tls(struct tcpsim_rp_writer *w, const struct tcpsim_tls_summary *ts, const char *alpn_offered)
{
    if (!ts)
        return;
    struct line l;
    l.n = 0;
    LLIT(&l, "  tls ");
    lstr(&l, ts->have_server_hello ? tcpsim_tls_version_name(ts->version) : "(no ServerHello)");
    LLIT(&l, " ");
    const char *cn = ts->have_server_hello ? tcpsim_tls_cipher_name(ts->cipher) : NULL;
    if (cn)
        lstr(&l, cn);
    else if (ts->have_server_hello) { /* "0x%04x" */
        static const char hex[] = "0123456789abcdef";
        char h[6] = {'0',
                     'x',
                     hex[ts->cipher >> 12],
                     hex[ts->cipher >> 8 & 15],
                     hex[ts->cipher >> 4 & 15],
                     hex[ts->cipher & 15]};
        lcat(&l, h, 6);
    } else
        LLIT(&l, "-");
    if (ts->hrr)
        LLIT(&l, " (HelloRetryRequest)");
    LLIT(&l, " sni ");
    if (ts->sni[0])
        lcat(&l, ts->sni, strnlen(ts->sni, sizeof ts->sni));
    else
        LLIT(&l, "-");
    LLIT(&l, " alpn ");
    /* B4: the offered list (at most 199 bytes, names joined by ',') when the
     * negotiated one is not visible. */
    char offered[200];
    size_t on = alpn_offered ? strnlen(alpn_offered, sizeof offered - 1) : 0;
    for (size_t i = 0; i < on; i++)
        offered[i] = alpn_offered[i] == '\n' ? ',' : alpn_offered[i];
    if (ts->alpn[0])
        lcat(&l, ts->alpn, strnlen(ts->alpn, sizeof ts->alpn));
    else if (on && ts->have_server_hello && ts->version == 0x0304) {
        LLIT(&l, "offered ");
        lcat(&l, offered, on);
        LLIT(&l, " (server's choice encrypted)");
    } else if (on) {
        LLIT(&l, "- (offered ");
        lcat(&l, offered, on);
        LLIT(&l, ")");
    } else
        LLIT(&l, "-");
    LLIT(&l, " ja4 ");
    if (ts->ja4[0])
        lcat(&l, ts->ja4, strnlen(ts->ja4, sizeof ts->ja4));
    else
        LLIT(&l, "-");
    put_line(w, &l, 640);
    /* D4: every alert, not only the first (both sides usually send
     * close_notify, RFC 8446 §6.1; under encryption its name is unknown). */
    bool enc_c = false, enc_s = false, all_enc = ts->nalerts > 0;
    for (size_t i = 0; i < ts->nalerts; i++) {
        const struct tcpsim_tls_alert *a = &ts->alerts[i];
        const char *an = a->encrypted ? "encrypted" : tcpsim_tls_alert_name(a->desc);
        l.n = 0;
        lstr(&l, i ? ", " : "  alerts ");
        lstr(&l, an ? an : "?");
        lstr(&l, a->dir == TCPSIM_SIDE_CLIENT ? " from client" : " from server");
        put_line(w, &l, 640);
        all_enc = all_enc && a->encrypted;
        enc_c = enc_c || (a->encrypted && a->dir == TCPSIM_SIDE_CLIENT);
        enc_s = enc_s || (a->encrypted && a->dir == TCPSIM_SIDE_SERVER);
    }
    if (ts->alerts_total > ts->nalerts) {
        PUTL(w, " (+");
        putu(w, ts->alerts_total - ts->nalerts);
        PUTL(w, " more)");
    }
    if (all_enc && enc_c && enc_s)
        PUTL(w, " (both sides; at the close these are usually close_notify)");
    PUTL(w, "\n");
}

/* An endpoint as the replay's label says it (replay.c endpoint_label):
 * IPv4 from the numbers, IPv6 in its RFC 5952 form (tcpsim_endpoint_str into
 * a label's room, as the replay does). */
static inline char *sum_endpoint(const struct tcpsim_rp_writer *w, char *p, const struct tcpsim_ip_addr *a,
                                 uint16_t port)
{
    if (a->family == 6) {
        char t[LABEL_MAX];
        tcpsim_endpoint_str(a, port, t, sizeof t);
        return endpoint(w, p, a, port, t);
    }
    return endpoint(w, p, a, port, NULL);
}

/* One block per connection, formatted by hand into the buffer (no printf:
 * this runs once per connection of a capture with millions); `ts` and
 * `alpn_offered` as summary_tls takes them (read only when c->tls). */
static void summary_rec(struct tcpsim_rp_writer *w, const struct sum_rec *c, const struct tcpsim_tls_summary *ts,
                        const char *alpn_offered)
{
    char *p, *p0;
    /* Headings in the reader's language (--lang); the English stays exactly
     * "conn N" / "client" / "server", which scripts grep for. */
    if (w->lang == TCPSIM_LANG_EN) {
        p = p0 = room(w, 5 + 10 + SLACK);
        CPY(p, "conn ");
        p = tcpsim__fmt_u32(p, c->id);
        w->len += (size_t)(p - p0);
    } else {
        char id[16], head[64];
        snprintf(id, sizeof id, "%u", c->id);
        const char *a[1] = {id};
        tcpsim_msg(w->lang, "view.connection", a, 1, head, sizeof head);
        puts_(w, head);
    }
    /* Literals (under 64 bytes), the endpoints, four numbers. */
    p = p0 = room(w, 64 + 2 * LABEL_MAX + 4 * 20 + SLACK);
    *p++ = ' ';
    p = sum_endpoint(w, p, &c->addr[0], c->port[0]);
    CPY(p, " -> ");
    p = sum_endpoint(w, p, &c->addr[1], c->port[1]);
    if (c->inferred)
        CPY(p, " (inferred)");
    CPY(p, " pkts ");
    p = tcpsim__fmt_u64(p, c->packets[0]);
    *p++ = '/';
    p = tcpsim__fmt_u64(p, c->packets[1]);
    CPY(p, " bytes ");
    p = tcpsim__fmt_u64(p, c->bytes[0]);
    *p++ = '/';
    p = tcpsim__fmt_u64(p, c->bytes[1]);
    CPY(p, "\n  ");
    w->len += (size_t)(p - p0);
    side_lines(w, c);
    /* The conn_state (a short constant, copied by bytes: no calls), literals
     * (under 64 bytes), the history, a number, the RTT, the analysis names
     * and counts. */
    const char *zs = c->conn_state;
    size_t zl = strlen(zs);
    p = p0 = room(w, zl + 64 + TCPSIM_RP_HIST_MAX + 10 + 32 + TCPSIM_AN_COUNT * (32 + 10) + SLACK);
    while (*zs)
        *p++ = *zs++;
    *p++ = ' ';
    size_t hl = strnlen(c->history, TCPSIM_RP_HIST_MAX);
    if (hl) {
        memcpy(p, c->history, hl);
        p += hl;
    } else
        *p++ = '-';
    CPY(p, "  completeness ");
    p = tcpsim__fmt_u32(p, c->completeness);
    if (c->rtt_known) {
        /* "%.3f" of the milliseconds: the microseconds, rounded; a tie
         * (nanosecond captures) goes through printf so the binary double
         * rounds exactly as before. */
        CPY(p, "  rtt ");
        char *e = tcpsim__fmt_ms3(p, c->rtt);
        if (e)
            p = e;
        else {
            char t[48];
            int n = snprintf(t, sizeof t, "%.3f", (double)c->rtt / 1e6);
            memcpy(p, t, (size_t)n);
            p += n;
        }
        CPY(p, " ms");
    }
    /* Most connections have no analysis flag: ORs four at a time, no branch
     * each. */
    const uint32_t *anc = c->an_count;
    uint32_t any = 0;
    unsigned b4 = 0;
    for (; b4 + 4 <= TCPSIM_AN_COUNT; b4 += 4)
        any |= anc[b4] | anc[b4 + 1] | anc[b4 + 2] | anc[b4 + 3];
    for (; b4 < TCPSIM_AN_COUNT; b4++)
        any |= anc[b4];
    for (unsigned b = 0; any && b < TCPSIM_AN_COUNT; b++)
        if (c->an_count[b]) {
            struct piece an = {w->an[b].s + 1, w->an[b].n - 2}; /* the name without its quotes */
            CPY(p, "  ");
            p = cpy_piece(p, an);
            *p++ = '=';
            p = tcpsim__fmt_u32(p, c->an_count[b]);
        }
    *p++ = '\n';
    w->len += (size_t)(p - p0);
    if (c->tls)
        summary_tls(w, ts, alpn_offered);
}

/* The block formatted here (one thread, or a message too big for the ring). */
static void summary_conn(struct tcpsim_rp_writer *w, const struct tcpsim_rp_conn *c)
{
    struct sum_rec r;
    sum_take(&r, c);
    summary_rec(w, &r, r.tls ? tcpsim__rp_tls_summary(c) : NULL, c->alpn_offered);
}

/* The block as a message (MSG_SUM), its numbers taken straight into the ring;
 * a TLS connection's (MSG_TLSSUM) adds its offered ALPN list and its TLS
 * summary packed, as queue_conn sends them. Formatted here instead, between
 * the messages, when it does not fit the ring or the writer thread has no
 * summary to unpack into. */
static void queue_sum(struct tcpsim_rp_writer *w, const struct tcpsim_rp_conn *c)
{
    struct tls_tail t;
    bool tls = tls_tail_of(c, &t);
    size_t n = sizeof(struct sum_rec) + (tls ? t.al + t.tn : 0);
    if (n > tcpsim__wq_max(w->q) || (tls && !w->tls_sum)) {
        summary_conn(w->pre, c);
        flush(w->pre);
        return;
    }
    struct sum_rec *m = tcpsim__wq_reserve(w->q, n);
    sum_take(m, c);
    if (tls)
        tls_tail_put(w, (char *)(m + 1), c, &t, MSG_TLSSUM, n);
    else
        tcpsim__wq_commit(w->q, MSG_SUM, n);
}

static void unqueue_sum(struct tcpsim_rp_writer *w, void *msg, bool tls)
{
    const struct sum_rec *m = msg;
    if (!tls) {
        summary_rec(w, m, NULL, NULL);
        return;
    }
    const char *alpn = tls_tail_get(w, (const char *)(m + 1));
    summary_rec(w, m, w->tls_sum, alpn);
}

static void summary_total(struct tcpsim_rp_writer *w, const struct tcpsim_rp_summary *s)
{
    char t[256];
    snprintf(t, sizeof t,
             "total: %llu frames, %llu TCP segments, %llu connections, %.6f s; skipped %llu non-TCP, %llu non-IP, "
             "%llu truncated, %llu fragments, %llu bad headers, %llu filtered\n",
             (unsigned long long)s->frames, (unsigned long long)s->tcp_segments, (unsigned long long)s->connections,
             s->seconds, (unsigned long long)s->skipped.non_tcp, (unsigned long long)s->skipped.non_ip,
             (unsigned long long)s->skipped.truncated, (unsigned long long)s->skipped.fragment,
             (unsigned long long)s->skipped.bad_header, (unsigned long long)s->skipped.filtered);
    puts_(w, t);
}

/* ---- ladder: buffer each connection, draw it when it leaves ---- */

static void html_default(struct tcpsim_rp_writer *w);

static void ladder_free_buf(struct ladder_buf *b)
{
    for (size_t i = 0; i < b->ntls; i++)
        free(b->x[i].blk);
    free(b->tls);
    free(b->x);
    free(b->v);
    free(b);
}

/* Own copies of one TLS item: record and handshake names are static strings;
 * the explanation and the parameters of its id go into one block. */
static bool tls_keep(struct tcpsim_tl_tls *t, struct ladder_tlsx *x, const struct tcpsim_tl_tls *src)
{
    *t = *src;
    t->explain = NULL;
    t->why = NULL;
    memset(x, 0, sizeof *x);
    const char *ex = src->explain ? src->explain : "";
    const char *p[3] = {"", "", ""};
    size_t n = strlen(ex) + 1;
    if (src->why)
        for (int k = 0; k < 3; k++) {
            p[k] = src->why->s[k] ? src->why->s[k] : "";
            n += strlen(p[k]) + 1;
        }
    char *blk = malloc(n);
    if (!blk)
        return false;
    size_t el = strlen(ex) + 1;
    memcpy(blk, ex, el);
    x->blk = blk;
    if (src->why) {
        x->why = *src->why;
        x->has_why = true;
        char *q = blk + el;
        for (int k = 0; k < 3; k++) {
            size_t pl = strlen(p[k]) + 1;
            x->why.s[k] = memcpy(q, p[k], pl);
            q += pl;
        }
    }
    return true;
}

/* Keep one segment (and its TLS items) until the connection is complete: the
 * server's first state is only known once it answers (observer.c). */
static void ladder_segment(struct tcpsim_rp_writer *w, struct tcpsim_rp_conn *c, const struct tcpsim_rp_segment *s)
{
    struct ladder_buf *b = c->view;
    if (!w->have_t0) {
        w->have_t0 = true;
        w->t0 = s->capture_start;
    }
    if (!b) {
        b = calloc(1, sizeof *b);
        if (!b)
            return;
        c->view = b;
    }
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 16;
        struct ladder_seg *nv = realloc(b->v, nc * sizeof *nv);
        if (!nv)
            return;
        b->v = nv;
        b->cap = nc;
    }
    struct ladder_seg *l = &b->v[b->n++];
    memset(l, 0, sizeof *l);
    l->frame = s->frame;
    l->time = s->time;
    l->from = s->dir;
    l->seg = *s->seg;
    l->seg.payload = NULL;
    l->seg.payload_len = s->len;
    l->rel_seq_known = s->rel_seq_known;
    l->rel_ack_known = s->rel_ack_known;
    l->rel_seq = s->rel_seq;
    l->rel_ack = s->rel_ack;
    l->analysis = s->analysis;
    l->win = s->win;
    l->nev = (uint8_t)(s->nevents < TCPSIM_RP_MAX_EVENTS ? s->nevents : TCPSIM_RP_MAX_EVENTS);
    memcpy(l->ev, s->events, l->nev * sizeof *l->ev);
    l->tls_first = (uint32_t)b->ntls;
    l->tls_dropped = s->tls_dropped;
    for (size_t i = 0; i < s->ntls; i++) {
        if (b->ntls == b->tls_cap) {
            size_t nc = b->tls_cap ? b->tls_cap * 2 : 16;
            struct tcpsim_tl_tls *nt = realloc(b->tls, nc * sizeof *nt);
            if (!nt)
                break;
            b->tls = nt;
            struct ladder_tlsx *nx = realloc(b->x, nc * sizeof *nx);
            if (!nx)
                break;
            b->x = nx;
            b->tls_cap = nc;
        }
        if (!tls_keep(&b->tls[b->ntls], &b->x[b->ntls], &s->tls[i]))
            l->tls_dropped++;
        else {
            b->ntls++;
            l->ntls++;
        }
    }
}

/* A note; `msg` (a catalogue key, i18n.h) lets the view say it in the
 * reader's language, and is passed only when the catalogues have it (a view
 * would otherwise print the bare key). */
static void ladder_note(const struct tcpsim_tl_sink *sink, enum tcpsim_side side, tcpsim_time_t at, const char *text,
                        const char *msg)
{
    struct tcpsim_tl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = TCPSIM_TL_NOTE;
    ev.u.note.side = side;
    ev.u.note.at = at;
    ev.u.note.why = TCPSIM_WHY_NONE;
    ev.u.note.text = text;
    if (msg && tcpsim_catalog_get(tcpsim_catalog_builtin(TCPSIM_LANG_KO), msg))
        ev.u.note.msg = msg;
    tcpsim_tl_emit(sink, &ev);
}

/* A segment's state changes: all of them (`all`), or only its sender's own
 * when `all` is false and `sender` is true, or only the others' when both are
 * false. */
static void emit_states_of(const struct tcpsim_tl_sink *sink, const struct ladder_seg *l, tcpsim_time_t at, bool sender)
{
    for (unsigned k = 0; k < l->nev; k++) {
        if ((l->ev[k].endpoint == l->from) != sender)
            continue;
        struct tcpsim_tl_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = TCPSIM_TL_STATE;
        ev.u.state.side = l->ev[k].endpoint;
        ev.u.state.at = at;
        ev.u.state.frame = l->frame;
        ev.u.state.from = l->ev[k].from;
        ev.u.state.to = l->ev[k].to;
        ev.u.state.why = l->ev[k].why;
        tcpsim_tl_emit(sink, &ev);
    }
}

/* The whole connection through the report module's ladder: its states before
 * the first segment are the first entries of the conn record's state lists,
 * so the diagram and the JSON agree. TLS items (with their one-line
 * explanations, which the ladder prints) ride on their arrows. */
static void ladder_conn(struct tcpsim_rp_writer *w, struct tcpsim_rp_conn *c)
{
    struct ladder_buf *b = c->view;
    c->view = NULL;
    if (!b)
        return;
    html_default(w);
    if (w->sink.event) {
        if (w->fmt == TCPSIM_RP_SINK) {
            /* The step-through's columns say only "client"/"server": name
             * the connection above them ("connection 3: 10.0.0.1:40000 ->
             * 10.0.0.2:443"), in the reader's language. */
            char id[16], head[96];
            snprintf(id, sizeof id, "%u", c->id);
            const char *a[1] = {id};
            tcpsim_msg(w->lang, "view.connection", a, 1, head, sizeof head);
            PUTL(w, "\n");
            puts_(w, head);
            PUTL(w, ": ");
            puts_(w, c->label[0]);
            PUTL(w, " -> ");
            puts_(w, c->label[1]);
            PUTL(w, "\n");
        }
        flush(w);
        const struct tcpsim_tl_sink sink = w->sink;
        for (size_t i = 0; i < b->ntls; i++) {
            b->tls[i].explain = b->x[i].blk[0] ? b->x[i].blk : NULL;
            b->tls[i].why = b->x[i].has_why ? &b->x[i].why : NULL;
        }
        char cl[80], sl[80];
        snprintf(cl, sizeof cl, "client %s", c->label[0]);
        snprintf(sl, sizeof sl, "server %s", c->label[1]);
        bool server_known = !c->server_inferred;
        struct tcpsim_tl_event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = TCPSIM_TL_BEGIN;
        ev.u.begin.conn = c->id;
        ev.u.begin.client_label = cl;
        ev.u.begin.server_label = sl;
        ev.u.begin.client_state = c->nstates[0] ? c->states[0][0] : tcpsim__rp_obs_state(c, 0);
        /* A server that never answered is drawn as LISTEN (the client's
         * assumption) with a note saying it is a guess. */
        ev.u.begin.server_state = c->nstates[1] ? c->states[1][0] : tcpsim__rp_obs_state(c, 1);
        ev.u.begin.inferred = c->inferred;
        ev.u.begin.client_isn = c->d[0].base_seq;
        ev.u.begin.server_isn = c->d[1].base_seq;
        ev.u.begin.client_isn_known = c->d[0].base_set;
        ev.u.begin.server_isn_known = c->d[1].base_set;
        tcpsim_tl_emit(&sink, &ev);
        if (!server_known)
            ladder_note(&sink, TCPSIM_SIDE_SERVER, b->n ? (b->v[0].time - w->t0) / 1000u : 0,
                        "never answered: LISTEN assumed (a closed port would have answered with RST; it may "
                        "drop SYNs, or its replies were not captured)",
                        "replay.server_inferred");
        for (size_t i = 0; i < b->n; i++) {
            const struct ladder_seg *l = &b->v[i];
            memset(&ev, 0, sizeof ev);
            ev.kind = TCPSIM_TL_SEGMENT;
            ev.u.segment.frame = l->frame;
            ev.u.segment.from = l->from;
            tcpsim_time_t at = (l->time - w->t0) / 1000u;
            ev.u.segment.t_sent = at;
            ev.u.segment.t_arrived = at;
            ev.u.segment.seg = &l->seg;
            ev.u.segment.rel_seq_known = l->rel_seq_known;
            ev.u.segment.rel_ack_known = l->rel_ack_known;
            ev.u.segment.rel_seq = l->rel_seq;
            ev.u.segment.rel_ack = l->rel_ack;
            ev.u.segment.win = l->win;
            ev.u.segment.analysis = l->analysis;
            ev.u.segment.retransmission = (l->analysis & (TCPSIM_AN_RETRANSMISSION | TCPSIM_AN_FAST_RETRANSMISSION |
                                                          TCPSIM_AN_SPURIOUS_RETRANSMISSION)) != 0;
            ev.u.segment.tls = l->ntls ? &b->tls[l->tls_first] : NULL;
            ev.u.segment.ntls = l->ntls;
            /* Every view gets the events in the order they happened: the
             * sender's own transitions (CLOSED -> SYN_SENT by sending the SYN)
             * before the arrow, the receiver's after it, as RFC 9293 figure 6
             * draws them and as the simulator reports them. */
            emit_states_of(&sink, l, at, true);
            tcpsim_tl_emit(&sink, &ev);
            emit_states_of(&sink, l, at, false);
            if (l->tls_dropped) {
                char line[80];
                snprintf(line, sizeof line, "%u more TLS records in this segment not shown", l->tls_dropped);
                ladder_note(&sink, l->from, at, line, "sim.tls_items_lost");
            }
        }
        memset(&ev, 0, sizeof ev);
        ev.kind = TCPSIM_TL_END;
        tcpsim_tl_emit(&sink, &ev);
        if (w->fmt != TCPSIM_RP_HTML)
            fflush(w->out);
    }
    ladder_free_buf(b);
}

static bool make_view(struct tcpsim_rp_writer *w, const struct tcpsim_view_opts *o);

/* An HTML writer given no options draws with the defaults. */
static void html_default(struct tcpsim_rp_writer *w)
{
    if (w->fmt != TCPSIM_RP_HTML || w->html)
        return;
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    if (!make_view(w, &o))
        w->failed = true;
}

/* ---- handler glue ---- */

static bool picked(const struct tcpsim_rp_writer *w, uint32_t id)
{
    return w->pick < 0 || (uint32_t)w->pick == id;
}

static void on_segment(void *ctx, const struct tcpsim_rp_conn *c, const struct tcpsim_rp_segment *s)
{
    struct tcpsim_rp_writer *w = ctx;
    if (!picked(w, s->conn)) /* s->conn: a held record's connection stays out of the cache */
        return;
    switch (w->fmt) {
    case TCPSIM_RP_JSON:
        if (w->q) /* a handler taken before the thread started */
            queue_segment(w, s);
        else
            json_segment(w, s);
        break;
    case TCPSIM_RP_LADDER:
    case TCPSIM_RP_HTML:
    case TCPSIM_RP_SINK:
        ladder_segment(w, (struct tcpsim_rp_conn *)c, s);
        break;
    case TCPSIM_RP_SUMMARY:
        break;
    }
}

/* JSON with the writer thread: the segment record as a message. */
static void on_segment_q(void *ctx, const struct tcpsim_rp_conn *c, const struct tcpsim_rp_segment *s)
{
    struct tcpsim_rp_writer *w = ctx;
    (void)c;
    if (picked(w, s->conn))
        queue_segment(w, s);
}

/* JSON with the writer thread, a held record: a pointer to it as the
 * message, when json_segment reads nothing the record only points at (the
 * labels of IPv6 endpoints, TLS JSON; its events and segment head stay with
 * it); the replay keeps it until the writer thread has passed the message. */
static bool on_segment_ref(void *ctx, const struct tcpsim_rp_conn *c, const struct tcpsim_rp_segment *s, uint64_t *pos)
{
    struct tcpsim_rp_writer *w = ctx;
    (void)c;
    if (!picked(w, s->conn))
        return false;
    if ((s->src_ip.family == 6) | (s->dst_ip.family == 6) | (s->tls_json_len != 0) | (s->tls_errors_len != 0) |
        !w->pfx) {
        queue_segment(w, s);
        return false;
    }
    void *m = tcpsim__wq_reserve(w->q, sizeof s);
    memcpy(m, &s, sizeof s);
    tcpsim__wq_commit(w->q, MSG_SEGREF, sizeof s);
    *pos = w->q->wp;
    w->refs++;
    return true;
}

/* A record in compact form: as above, always kept (the writer has the
 * prefix cache the compact form's endpoints are formatted through). */
static bool on_segment_jref(void *ctx, const struct tcpsim_rp_jrec *j, const struct tcpsim_rp_jev *ev,
                            const struct tcpsim_rp_tlsparts *tls, uint64_t *pos)
{
    struct tcpsim_rp_writer *w = ctx;
    if (!picked(w, j->conn))
        return false;
    w->refs++;
    if (!tls) { /* its events after it, their number in it (handler.segment_jref): the pointer alone */
        *pos = tcpsim__wq_ptr(w->q, MSG_JREFS, j);
        return true;
    }
    struct jref_tls r = {j, ev, *tls};
    void *m = tcpsim__wq_reserve(w->q, sizeof r);
    memcpy(m, &r, sizeof r);
    tcpsim__wq_commit(w->q, MSG_JREF_TLS, sizeof r);
    *pos = w->q->wp;
    return true;
}

static uint64_t on_ref_done(void *ctx)
{
    const struct tcpsim_rp_writer *w = ctx;
    return atomic_load_explicit(&w->q->head, memory_order_acquire);
}

static void on_ref_wait(void *ctx)
{
    struct tcpsim_rp_writer *w = ctx;
    tcpsim__wq_drain(w->q);
}

static void on_conn(void *ctx, const struct tcpsim_rp_conn *c, enum tcpsim_rp_leave why)
{
    struct tcpsim_rp_writer *w = ctx;
    (void)why;
    if (!picked(w, c->id))
        return;
    w->pick_found = true;
    switch (w->fmt) {
    case TCPSIM_RP_JSON:
        if (w->q)
            queue_conn(w, c);
        else
            json_conn(w, c);
        break;
    case TCPSIM_RP_LADDER:
    case TCPSIM_RP_HTML:
    case TCPSIM_RP_SINK:
        ladder_conn(w, (struct tcpsim_rp_conn *)c);
        break;
    case TCPSIM_RP_SUMMARY:
        if (w->q)
            queue_sum(w, c);
        else
            summary_conn(w, c);
        break;
    }
}

static void on_summary(void *ctx, const struct tcpsim_rp_summary *s)
{
    struct tcpsim_rp_writer *w = ctx;
    w->nconns = s->connections;
    switch (w->fmt) {
    case TCPSIM_RP_JSON:
        if (w->pre) {
            json_summary(w->pre, s);
            flush(w->pre);
            /* Every record handed to the stream when the replay finishes, as
             * with one thread: the writer thread is idle after this, and the
             * flush below is ours. */
            tcpsim__wq_drain(w->q);
        } else
            json_summary(w, s);
        break;
    case TCPSIM_RP_SUMMARY:
        if (w->pre) { /* every block handed over, then the line is ours (as for JSON) */
            flush(w->pre);
            tcpsim__wq_drain(w->q);
        }
        summary_total(w, s);
        break;
    case TCPSIM_RP_LADDER:
    case TCPSIM_RP_SINK:
        summary_total(w, s);
        break;
    case TCPSIM_RP_HTML: /* the page is the output: nothing after </html> */
        break;
    }
    flush(w);
}

/* (Re)create the timeline view of a LADDER or HTML writer with options `o`. */
static bool make_view(struct tcpsim_rp_writer *w, const struct tcpsim_view_opts *o)
{
    switch (w->fmt) {
    case TCPSIM_RP_LADDER: {
        struct tcpsim_ladder *nl = tcpsim_ladder_new(w->out, o);
        if (!nl)
            return false;
        tcpsim_ladder_free(w->ladder);
        w->ladder = nl;
        w->sink = tcpsim_ladder_sink(nl);
        return true;
    }
    case TCPSIM_RP_HTML: {
        /* Made once: freeing a page view writes its page. Until options
         * come (tcpsim_rp_writer_view_opts) or the first connection is
         * drawn, there is none. */
        if (w->html)
            return false;
        w->html = tcpsim_html_new(w->out, o);
        if (!w->html)
            return false;
        w->sink = tcpsim_html_sink(w->html);
        return true;
    }
    case TCPSIM_RP_JSON:
    case TCPSIM_RP_SUMMARY:
    case TCPSIM_RP_SINK:
        return true;
    }
    return true;
}

struct tcpsim_rp_writer *tcpsim_rp_writer_new(FILE *out, enum tcpsim_rp_format fmt, long conn_pick, bool color)
{
    struct tcpsim_rp_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->out = out;
    w->fmt = fmt;
    w->pick = conn_pick;
    w->color = color;
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.color = color;
    if (fmt == TCPSIM_RP_JSON) { /* line-aligned: an entry is one cache line; without it (no memory),
                                  * endpoints are formatted each time */
        w->pfx = aligned_alloc(64, PFX_SLOTS * sizeof *w->pfx);
        if (w->pfx)
            memset(w->pfx, 0, PFX_SLOTS * sizeof *w->pfx);
    }
    if (fmt == TCPSIM_RP_SINK || !make_pieces(w) || (fmt != TCPSIM_RP_HTML && !make_view(w, &o))) {
        free(w->pfx);
        free(w->arena);
        free(w->pair);
        free(w); /* SINK writers come from tcpsim_rp_writer_new_sink */
        return NULL;
    }
    return w;
}

struct tcpsim_rp_writer *tcpsim_rp_writer_new_sink(FILE *out, const struct tcpsim_tl_sink *sink, long conn_pick,
                                                   const char *lang)
{
    if (!sink || !sink->event)
        return NULL;
    struct tcpsim_rp_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->out = out;
    w->fmt = TCPSIM_RP_SINK;
    w->pick = conn_pick;
    w->sink = *sink;
    w->lang = tcpsim_lang_of(lang);
    if (!make_pieces(w)) {
        free(w);
        return NULL;
    }
    return w;
}

uint64_t tcpsim__rp_writer_refs(const struct tcpsim_rp_writer *w)
{
    return w->refs;
}

uint64_t tcpsim__rp_writer_tls_queued(const struct tcpsim_rp_writer *w)
{
    return w->tls_queued;
}

struct tcpsim_rp_handler tcpsim_rp_writer_handler(struct tcpsim_rp_writer *w)
{
    struct tcpsim_rp_handler h = {
        w->q ? on_segment_q : on_segment, on_conn, on_summary, w, false, false, NULL, NULL, NULL, NULL};
    h.seg_head = w->fmt == TCPSIM_RP_JSON;         /* json_segment reads seq, ack and flags */
    h.tls_items_unread = w->fmt == TCPSIM_RP_JSON; /* and the TLS JSON, not the items */
    if (w->q && w->fmt == TCPSIM_RP_JSON) {        /* held records read where they are */
        h.segment_ref = on_segment_ref;
        if (w->pfx) /* json_core formats a compact record's endpoints through it */
            h.segment_jref = on_segment_jref;
        h.ref_done = on_ref_done;
        h.ref_wait = on_ref_wait;
    }
    return h;
}

bool tcpsim_rp_writer_thread(struct tcpsim_rp_writer *w, size_t ring_bytes)
{
    if (w->fmt != TCPSIM_RP_JSON && w->fmt != TCPSIM_RP_SUMMARY)
        return false;
    if (w->q)
        return true;
    if (w->fmt == TCPSIM_RP_SUMMARY) {
        /* The words the blocks use, looked up now: the catalogues are parsed
         * on first use (catalog.c), and a block formatted on this thread
         * (queue_sum's fallback) must not be the first while the writer
         * thread formats another. */
        (void)side_name(w, 0);
        (void)side_name(w, 1);
        if (w->lang != TCPSIM_LANG_EN)
            (void)tcpsim_msg_raw(w->lang, "view.connection");
    }
    struct tcpsim_rp_writer *pre = malloc(sizeof *pre);
    if (!pre)
        return false;
    *pre = *w; /* the pieces (shared, read-only), the caches (its own) */
    pre->out = NULL;
    pre->failed = false;
    pre->len = 0;
    pre->pfx = NULL; /* segment records only */
    pre->pre = NULL;
    pre->q = NULL;
    /* the writer thread's (a TLS conn record is formatted there only when
     * this could be had); zeroed, as the replay thread's (tlsglue.c) */
    w->tls_sum = calloc(1, sizeof *w->tls_sum);
    pre->rawq = tcpsim__wq_new(ring_bytes, on_message, w);
    if (!pre->rawq) {
        free(w->tls_sum);
        w->tls_sum = NULL;
        free(pre);
        return false;
    }
    w->q = pre->rawq;
    w->pre = pre;
    return true;
}

void tcpsim_rp_writer_setup(struct tcpsim_rp_writer *w, struct tcpsim_replay_cfg *cfg)
{
    if ((w->fmt == TCPSIM_RP_JSON || w->fmt == TCPSIM_RP_SUMMARY) && cfg->threads >= 2)
        (void)tcpsim_rp_writer_thread(w, 0); /* else (no thread to be had) formatted on the caller's */
    cfg->h = tcpsim_rp_writer_handler(w);
    cfg->tls_json = w->fmt == TCPSIM_RP_JSON;
    if (w->fmt == TCPSIM_RP_SUMMARY) {
        cfg->h.segment = NULL;     /* per connection only: no per-segment record is built */
        cfg->labels_unread = true; /* summary_rec writes the endpoints from their numbers */
    }
}

void tcpsim_rp_writer_ladder_opts(struct tcpsim_rp_writer *w, bool ascii, bool absolute)
{
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.color = w->color;
    o.ascii = ascii;
    o.absolute = absolute;
    tcpsim_rp_writer_view_opts(w, &o);
}

bool tcpsim_rp_writer_view_opts(struct tcpsim_rp_writer *w, const struct tcpsim_view_opts *o)
{
    w->lang = tcpsim_lang_of(o->lang);
    if (!make_view(w, o))
        return false; /* keep the view it had */
    w->color = o->color;
    w->ascii = o->ascii;
    w->absolute = o->absolute;
    return true;
}

bool tcpsim_rp_writer_pick_found(const struct tcpsim_rp_writer *w, uint64_t *connections)
{
    *connections = w->nconns;
    return w->pick < 0 || w->pick_found;
}

bool tcpsim_rp_writer_free(struct tcpsim_rp_writer *w)
{
    if (!w)
        return true;
    if (w->q) { /* every message written, the thread joined: the writer is ours again */
        flush(w->pre);
        tcpsim__wq_free(w->q);
        w->q = NULL;
        free(w->pre);
        w->pre = NULL;
        free(w->tls_sum);
        w->tls_sum = NULL;
    }
    flush(w);
    html_default(w); /* a page also for a capture without connections */
    if (w->html && tcpsim_html_finish(w->html) != TCPSIM_OK)
        w->failed = true;
    if (fflush(w->out) != 0)
        w->failed = true;
    if (w->ladder)
        tcpsim_ladder_free(w->ladder);
    tcpsim_html_free(w->html);
    bool ok = !w->failed;
    free(w->arena);
    free(w->pair);
    free(w->pfx);
    free(w);
    return ok;
}
