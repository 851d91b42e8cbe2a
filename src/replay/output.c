/* output.c - the replayer's views: JSON Lines per docs/replay-json.md (segment,
 * conn and summary records), a one-line-per-connection summary, and timeline
 * views through a report-module sink (events buffered per connection): the
 * ladder, one HTML page for the whole file, or a caller's sink (the teach
 * module's step-through). Words for people follow --lang; JSON stays English.
 * The JSON writer formats by hand into a buffer: it is the hot path.
 * Read first: docs/replay-json.md, include/tcpsim/timeline.h. */
#include "replay/replay.h"

#include <stdlib.h>
#include <string.h>

#include "tcpsim/report.h"

#define OBUF 65536

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
    /* JSON pieces made once, then copied: a segment's "flags" array by the
     * flags byte, and an event's "rule" and "why" (escaped) by reason. */
    uint8_t flags_len[256];
    char flags_json[256][48];
    uint16_t why_len[WHY_COUNT];
    char *why_json[WHY_COUNT];
    /* "client" / "server" in the chosen language, looked up once (a catalog
     * lookup per connection was 2% of the summary view's instructions) */
    const char *side_name[2];
    size_t side_len[2];
};

/* ---- a tiny buffered emitter ---- */

static void flush(struct tcpsim_rp_writer *w)
{
    if (w->len && fwrite(w->buf, 1, w->len, w->out) != w->len)
        w->failed = true;
    w->len = 0;
}

static void put_slow(struct tcpsim_rp_writer *w, const char *s, size_t n)
{
    flush(w);
    if (n > OBUF) {
        if (fwrite(s, 1, n, w->out) != n)
            w->failed = true;
        return;
    }
    memcpy(w->buf, s, n);
    w->len = n;
}

/* The hot path of the JSON view: most pieces are a few bytes, so they are
 * copied inline (a literal's length is a constant, see PUTL). */
static inline void put(struct tcpsim_rp_writer *w, const char *s, size_t n)
{
    if (w->len + n > OBUF) {
        put_slow(w, s, n);
        return;
    }
    char *d = w->buf + w->len;
    /* short pieces: two overlapping fixed-size moves, never past either end */
    if (n >= 8 && n <= 16) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else if (n < 4) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        memcpy(d, s, n);
    }
    w->len += n;
}

/* A literal: its length is a constant, so the copy compiles to a few moves. */
#define PUTL(w, lit)                                                                                                   \
    do {                                                                                                               \
        if ((w)->len + (sizeof(lit) - 1) > OBUF)                                                                       \
            put_slow((w), (lit), sizeof(lit) - 1);                                                                     \
        else {                                                                                                         \
            memcpy((w)->buf + (w)->len, (lit), sizeof(lit) - 1);                                                       \
            (w)->len += sizeof(lit) - 1;                                                                               \
        }                                                                                                              \
    } while (0)

static void puts_(struct tcpsim_rp_writer *w, const char *s)
{
    put(w, s, strlen(s));
}

static const char digits2[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                 "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                 "8081828384858687888990919293949596979899";

/* A decimal number, two digits per division. */
static void putu(struct tcpsim_rp_writer *w, uint64_t v)
{
    char t[24];
    int i = 24;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        t[--i] = digits2[2 * r + 1];
        t[--i] = digits2[2 * r];
    }
    if (v >= 10) {
        t[--i] = digits2[2 * v + 1];
        t[--i] = digits2[2 * v];
    } else {
        t[--i] = (char)('0' + v);
    }
    put(w, t + i, (size_t)(24 - i));
}

/* A JSON string: quotes, backslash and control characters escaped (RFC 8259 §7);
 * runs of plain bytes are copied at once. */
static void putq(struct tcpsim_rp_writer *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(w, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch != '"' && ch != '\\' && ch >= 0x20)
            continue;
        put(w, run, (size_t)(s - run));
        run = s + 1;
        if (ch == '"' || ch == '\\') {
            char e[2] = {'\\', (char)ch};
            put(w, e, 2);
        } else {
            char e[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            put(w, e, 6);
        }
    }
    put(w, run, (size_t)(s - run));
    put(w, "\"", 1);
}

/* Seconds since the epoch with microseconds. */
static void puttime(struct tcpsim_rp_writer *w, tcpsim_ns_t ns)
{
    uint64_t us = ns / 1000u;
    putu(w, us / 1000000u);
    char t[8];
    uint64_t f = us % 1000000u;
    t[0] = '.';
    for (int i = 6; i >= 1; i--) {
        t[i] = (char)('0' + f % 10);
        f /= 10;
    }
    put(w, t, 7);
}

static const char *const flag_names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};

/* A state's name (no JSON escaping needed: upper case and '_'), its length
 * known without strlen. */
static void put_state(struct tcpsim_rp_writer *w, enum tcpsim_tcp_state st)
{
    static struct {
        const char *s;
        size_t n;
    } names[TCPSIM_TCP_NSTATES];
    unsigned i = (unsigned)st;
    if (i >= TCPSIM_TCP_NSTATES) {
        puts_(w, tcpsim_tcp_state_name(st));
        return;
    }
    if (!names[i].s) {
        names[i].n = strlen(tcpsim_tcp_state_name(st));
        names[i].s = tcpsim_tcp_state_name(st);
    }
    put(w, names[i].s, names[i].n);
}

/* "\"SYN\",\"ACK\"": the elements of a segment's "flags" array. */
static void put_flags(struct tcpsim_rp_writer *w, uint8_t flags)
{
    if (!w->flags_len[flags] && flags) {
        char *d = w->flags_json[flags];
        size_t n = 0;
        for (unsigned b = 0; b < 8; b++)
            if (flags & (1u << b)) {
                if (n)
                    d[n++] = ',';
                d[n++] = '"';
                memcpy(d + n, flag_names[b], 3);
                n += 3;
                d[n++] = '"';
            }
        w->flags_len[flags] = (uint8_t)n;
    }
    put(w, w->flags_json[flags], w->flags_len[flags]);
}

static void putq(struct tcpsim_rp_writer *w, const char *s);

/* An endpoint as its label says it: IPv4 formatted here from the numbers (the
 * label is in the connection's cold part), IPv6 (RFC 5952 form) copied. */
static void put_endpoint(struct tcpsim_rp_writer *w, const struct tcpsim_ip_addr *a, uint16_t port, const char *label)
{
    if (a->family == 6) {
        puts_(w, label);
        return;
    }
    char t[24];
    size_t n = 0;
    for (int i = 0; i < 5; i++) {
        unsigned v = i < 4 ? a->a[i] : port;
        if (v >= 10000)
            t[n++] = (char)('0' + v / 10000);
        if (v >= 1000)
            t[n++] = (char)('0' + v / 1000 % 10);
        if (v >= 100)
            t[n++] = (char)('0' + v / 100 % 10);
        if (v >= 10)
            t[n++] = (char)('0' + v / 10 % 10);
        t[n++] = (char)('0' + v % 10);
        if (i < 4)
            t[n++] = i < 3 ? '.' : ':';
    }
    put(w, t, n);
}

/* An event's tail: ",\"rule\":\"RFC 9293 3.10.7.3\",\"why\":\"...\"}". */
static void put_why(struct tcpsim_rp_writer *w, enum tcpsim_tcp_why why)
{
    unsigned i = (unsigned)why;
    if (i >= WHY_COUNT || (!w->why_json[i] && !(w->why_json[i] = malloc(512)))) {
        PUTL(w, "\",\"rule\":"); /* out of range or memory: format it now */
        putq(w, tcpsim_tcp_why_rule(why));
        PUTL(w, ",\"why\":");
        putq(w, tcpsim_tcp_why_text(why));
        PUTL(w, "}");
        return;
    }
    if (!w->why_len[i]) {
        /* Rendered through the writer's own escaping into its buffer, then
         * kept (flushed first so it starts the buffer). */
        flush(w);
        PUTL(w, "\",\"rule\":");
        putq(w, tcpsim_tcp_why_rule(why));
        PUTL(w, ",\"why\":");
        putq(w, tcpsim_tcp_why_text(why));
        PUTL(w, "}");
        if (w->len <= 512) {
            memcpy(w->why_json[i], w->buf, w->len);
            w->why_len[i] = (uint16_t)w->len;
        }
        return;
    }
    put(w, w->why_json[i], w->why_len[i]);
}

/* Every state the endpoint passed through, starting with the one before its
 * first segment: never empty (a silent server was resolved as LISTEN). */
static void put_states(struct tcpsim_rp_writer *w, const struct tcpsim_rp_conn *c, int side)
{
    put(w, "[", 1);
    if (c->nstates[side] == 0)
        putq(w, tcpsim_tcp_state_name(tcpsim__rp_obs_state(c, side)));
    for (unsigned i = 0; i < c->nstates[side]; i++) {
        if (i)
            put(w, ",", 1);
        putq(w, tcpsim_tcp_state_name(c->states[side][i]));
    }
    put(w, "]", 1);
}

static void json_segment(struct tcpsim_rp_writer *w, const struct tcpsim_rp_segment *s)
{
    PUTL(w, "{\"type\":\"segment\",\"frame\":");
    putu(w, s->frame);
    PUTL(w, ",\"time\":");
    puttime(w, s->time);
    PUTL(w, ",\"conn\":");
    putu(w, s->conn);
    if (s->dir == TCPSIM_SIDE_CLIENT)
        PUTL(w, ",\"dir\":\"c2s\",\"src\":\"");
    else
        PUTL(w, ",\"dir\":\"s2c\",\"src\":\"");
    /* "10.0.0.1:443", "[2001:db8::1]:443": nothing to escape. */
    put_endpoint(w, &s->src_ip, s->src_port, s->src);
    PUTL(w, "\",\"dst\":\"");
    put_endpoint(w, &s->dst_ip, s->dst_port, s->dst);
    PUTL(w, "\",\"flags\":[");
    put_flags(w, s->seg->flags);
    PUTL(w, "],\"seq\":");
    putu(w, s->seg->seq);
    PUTL(w, ",\"ack\":");
    putu(w, s->seg->ack);
    if (s->rel_seq_known) {
        PUTL(w, ",\"rel_seq\":");
        putu(w, s->rel_seq);
    }
    if (s->rel_ack_known) {
        PUTL(w, ",\"rel_ack\":");
        putu(w, s->rel_ack);
    }
    PUTL(w, ",\"len\":");
    putu(w, s->len);
    PUTL(w, ",\"win\":");
    putu(w, s->win);
    PUTL(w, ",\"analysis\":[");
    bool first = true;
    for (unsigned b = 0; s->analysis >> b; b++)
        if (s->analysis & (1u << b)) {
            if (!first)
                put(w, ",", 1);
            first = false;
            put(w, "\"", 1);
            puts_(w, tcpsim__rp_an_name(b));
            put(w, "\"", 1);
        }
    PUTL(w, "],\"client_state\":\"");
    put_state(w, s->client_state);
    PUTL(w, "\",\"server_state\":\"");
    put_state(w, s->server_state);
    PUTL(w, "\",\"events\":[");
    for (size_t i = 0; i < s->nevents; i++) {
        const struct tcpsim_rp_event *e = &s->events[i];
        if (i)
            put(w, ",", 1);
        if (e->endpoint == TCPSIM_SIDE_CLIENT)
            PUTL(w, "{\"endpoint\":\"client\",\"from\":\"");
        else
            PUTL(w, "{\"endpoint\":\"server\",\"from\":\"");
        put_state(w, e->from);
        PUTL(w, "\",\"to\":\"");
        put_state(w, e->to);
        put_why(w, e->why);
    }
    /* TLS items, rendered by src/tls (tcpsim_tls_item_json) as they completed. */
    PUTL(w, "],\"tls\":[");
    put(w, s->tls_json, s->tls_json_len);
    if (s->tls_errors_len) { /* tcpsim addition: bytes that are not a TLS record */
        PUTL(w, "],\"tls_errors\":[");
        put(w, s->tls_errors_json, s->tls_errors_len);
    }
    if (s->tls_dropped) {
        PUTL(w, "],\"tls_dropped\":");
        putu(w, s->tls_dropped);
        PUTL(w, "}\n");
    } else {
        PUTL(w, "]}\n");
    }
}

static void json_conn(struct tcpsim_rp_writer *w, const struct tcpsim_rp_conn *c)
{
    PUTL(w, "{\"type\":\"conn\",\"conn\":");
    putu(w, c->id);
    PUTL(w, ",\"client\":");
    putq(w, c->label[0]);
    PUTL(w, ",\"server\":");
    putq(w, c->label[1]);
    PUTL(w, ",\"first_frame\":");
    putu(w, c->first_frame);
    PUTL(w, ",\"last_frame\":");
    putu(w, c->last_frame);
    PUTL(w, ",\"start\":");
    puttime(w, c->start);
    PUTL(w, ",\"end\":");
    puttime(w, c->end);
    PUTL(w, ",\"packets\":{\"c2s\":");
    putu(w, c->d[0].packets);
    PUTL(w, ",\"s2c\":");
    putu(w, c->d[1].packets);
    PUTL(w, "},\"payload_bytes\":{\"c2s\":");
    putu(w, c->d[0].bytes);
    PUTL(w, ",\"s2c\":");
    putu(w, c->d[1].bytes);
    PUTL(w, "},\"client_states\":");
    put_states(w, c, 0);
    PUTL(w, ",\"server_states\":");
    put_states(w, c, 1);
    puts_(w, c->inferred ? ",\"inferred\":true" : ",\"inferred\":false");
    /* tcpsim addition: the server never answered and LISTEN was assumed. */
    puts_(w, c->server_inferred ? ",\"server_inferred\":true,\"completeness\":"
                                : ",\"server_inferred\":false,\"completeness\":");
    putu(w, c->completeness);
    PUTL(w, ",\"conn_state\":");
    putq(w, tcpsim__rp_conn_state(c));
    PUTL(w, ",\"history\":");
    putq(w, c->history);
    PUTL(w, ",\"handshake_rtt_ms\":");
    if (c->rtt_known) {
        uint64_t us = c->rtt / 1000u;
        putu(w, us / 1000u);
        char t[5] = {'.', (char)('0' + us % 1000 / 100), (char)('0' + us % 100 / 10), (char)('0' + us % 10), 0};
        put(w, t, 4);
    } else {
        PUTL(w, "null");
    }
    PUTL(w, ",\"analysis\":{");
    bool first = true;
    for (unsigned b = 0; b < TCPSIM_AN_COUNT; b++)
        if (c->an_count[b]) {
            if (!first)
                put(w, ",", 1);
            first = false;
            putq(w, tcpsim__rp_an_name(b));
            put(w, ":", 1);
            putu(w, c->an_count[b]);
        }
    PUTL(w, "},\"tls\":");
    size_t tl = 0;
    const struct tcpsim_tls_summary *ts = tcpsim__rp_tls_summary(c);
    if (ts && tcpsim_tls_summary_json(ts, w->tlsbuf, sizeof w->tlsbuf, &tl) == TCPSIM_OK && tl > 0) {
        /* tcpsim addition (B4): "alpn_offered", the client's list; `alpn` stays
         * the negotiated one (null in TLS 1.3: the choice is encrypted). */
        put(w, w->tlsbuf, tl - 1);
        PUTL(w, ",\"alpn_offered\":[");
        for (const char *a = c->alpn_offered; a && *a;) {
            const char *e = strchr(a, '\n');
            size_t n = e ? (size_t)(e - a) : strlen(a);
            char one[256];
            snprintf(one, sizeof one, "%.*s", (int)n, a);
            if (a != c->alpn_offered)
                put(w, ",", 1);
            putq(w, one);
            a += n + (e ? 1 : 0);
        }
        PUTL(w, "]}");
    } else
        PUTL(w, "null");
    PUTL(w, "}\n");
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

static void put_side(struct tcpsim_rp_writer *w, enum tcpsim_side side)
{
    int i = side == TCPSIM_SIDE_CLIENT ? 0 : 1;
    if (!w->side_name[i]) {
        w->side_name[i] = tcpsim_i18n_side(w->lang, side);
        w->side_len[i] = strlen(w->side_name[i]);
    }
    put(w, w->side_name[i], w->side_len[i]);
}

static void text_states(struct tcpsim_rp_writer *w, const struct tcpsim_rp_conn *c, int side)
{
    if (c->nstates[side] == 0)
        put_state(w, tcpsim__rp_obs_state(c, side));
    for (unsigned i = 0; i < c->nstates[side]; i++) {
        if (i)
            PUTL(w, ">");
        put_state(w, c->states[side][i]);
    }
}

/* "  tls TLS 1.3 TLS_AES_128_GCM_SHA256 sni www.example alpn h2 ja4 ..." */
static void summary_tls(struct tcpsim_rp_writer *w, const struct tcpsim_rp_conn *c)
{
    const struct tcpsim_tls_summary *ts = tcpsim__rp_tls_summary(c);
    if (!ts)
        return;
    char t[640];
    const char *cn = ts->have_server_hello ? tcpsim_tls_cipher_name(ts->cipher) : NULL;
    char hex[8];
    if (ts->have_server_hello && !cn) {
        snprintf(hex, sizeof hex, "0x%04x", ts->cipher);
        cn = hex;
    }
    /* B4: the offered list when the negotiated one is not visible. */
    char offered[200] = "";
    if (c->alpn_offered) {
        snprintf(offered, sizeof offered, "%s", c->alpn_offered);
        for (char *x = offered; *x; x++)
            if (*x == '\n')
                *x = ',';
    }
    char alpn[260];
    if (ts->alpn[0])
        snprintf(alpn, sizeof alpn, "%s", ts->alpn);
    else if (offered[0] && ts->have_server_hello && ts->version == 0x0304)
        snprintf(alpn, sizeof alpn, "offered %s (server's choice encrypted)", offered);
    else if (offered[0])
        snprintf(alpn, sizeof alpn, "- (offered %s)", offered);
    else
        snprintf(alpn, sizeof alpn, "-");
    snprintf(t, sizeof t, "  tls %s %s%s sni %s alpn %s ja4 %s",
             ts->have_server_hello ? tcpsim_tls_version_name(ts->version) : "(no ServerHello)", cn ? cn : "-",
             ts->hrr ? " (HelloRetryRequest)" : "", ts->sni[0] ? ts->sni : "-", alpn, ts->ja4[0] ? ts->ja4 : "-");
    puts_(w, t);
    /* D4: every alert, not only the first (both sides usually send
     * close_notify, RFC 8446 §6.1; under encryption its name is unknown). */
    bool enc_c = false, enc_s = false, all_enc = ts->nalerts > 0;
    for (size_t i = 0; i < ts->nalerts; i++) {
        const struct tcpsim_tls_alert *a = &ts->alerts[i];
        const char *an = a->encrypted ? "encrypted" : tcpsim_tls_alert_name(a->desc);
        snprintf(t, sizeof t, "%s%s from %s", i ? ", " : "  alerts ", an ? an : "?",
                 a->dir == TCPSIM_SIDE_CLIENT ? "client" : "server");
        puts_(w, t);
        all_enc = all_enc && a->encrypted;
        enc_c = enc_c || (a->encrypted && a->dir == TCPSIM_SIDE_CLIENT);
        enc_s = enc_s || (a->encrypted && a->dir == TCPSIM_SIDE_SERVER);
    }
    if (ts->alerts_total > ts->nalerts) {
        snprintf(t, sizeof t, " (+%zu more)", ts->alerts_total - ts->nalerts);
        puts_(w, t);
    }
    if (all_enc && enc_c && enc_s)
        PUTL(w, " (both sides; at the close these are usually close_notify)");
    PUTL(w, "\n");
}

/* One block per connection, formatted by hand into the buffer (no printf:
 * this runs once per connection of a capture with millions). */
static void summary_conn(struct tcpsim_rp_writer *w, const struct tcpsim_rp_conn *c)
{
    /* Headings in the reader's language (--lang); the English stays exactly
     * "conn N" / "client" / "server", which scripts grep for. */
    if (w->lang == TCPSIM_LANG_EN) {
        PUTL(w, "conn ");
        putu(w, c->id);
    } else {
        char id[16], head[64];
        snprintf(id, sizeof id, "%u", c->id);
        const char *a[1] = {id};
        tcpsim_msg(w->lang, "view.connection", a, 1, head, sizeof head);
        puts_(w, head);
    }
    PUTL(w, " ");
    puts_(w, c->label[0]);
    PUTL(w, " -> ");
    puts_(w, c->label[1]);
    if (c->inferred)
        PUTL(w, " (inferred)");
    PUTL(w, " pkts ");
    putu(w, c->d[0].packets);
    PUTL(w, "/");
    putu(w, c->d[1].packets);
    PUTL(w, " bytes ");
    putu(w, c->d[0].bytes);
    PUTL(w, "/");
    putu(w, c->d[1].bytes);
    PUTL(w, "\n  ");
    put_side(w, TCPSIM_SIDE_CLIENT);
    PUTL(w, " ");
    text_states(w, c, 0);
    PUTL(w, "\n  ");
    put_side(w, TCPSIM_SIDE_SERVER);
    PUTL(w, " ");
    text_states(w, c, 1);
    if (c->server_inferred)
        PUTL(w, " (never answered: LISTEN assumed)");
    PUTL(w, "\n  zeek ");
    puts_(w, tcpsim__rp_conn_state(c));
    PUTL(w, " ");
    if (c->history[0])
        puts_(w, c->history);
    else
        PUTL(w, "-");
    PUTL(w, "  completeness ");
    putu(w, c->completeness);
    if (c->rtt_known) {
        /* "%.3f" of the milliseconds: the microseconds, rounded; a tie
         * (nanosecond captures) goes through printf so the binary double
         * rounds exactly as before. */
        if (c->rtt % 1000u != 500u) {
            uint64_t us = (c->rtt + 500u) / 1000u;
            PUTL(w, "  rtt ");
            putu(w, us / 1000u);
            char t[4] = {'.', (char)('0' + us % 1000 / 100), (char)('0' + us % 100 / 10), (char)('0' + us % 10)};
            put(w, t, 4);
            PUTL(w, " ms");
        } else {
            char t[48];
            snprintf(t, sizeof t, "  rtt %.3f ms", (double)c->rtt / 1e6);
            puts_(w, t);
        }
    }
    for (unsigned b = 0; b < TCPSIM_AN_COUNT; b++)
        if (c->an_count[b]) {
            PUTL(w, "  ");
            puts_(w, tcpsim__rp_an_name(b));
            PUTL(w, "=");
            putu(w, c->an_count[b]);
        }
    PUTL(w, "\n");
    summary_tls(w, c);
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

static void on_conn(void *ctx, const struct tcpsim_rp_conn *c, enum tcpsim_rp_leave why)
{
    struct tcpsim_rp_writer *w = ctx;
    (void)why;
    if (!picked(w, c->id))
        return;
    w->pick_found = true;
    switch (w->fmt) {
    case TCPSIM_RP_JSON:
        json_conn(w, c);
        break;
    case TCPSIM_RP_LADDER:
    case TCPSIM_RP_HTML:
    case TCPSIM_RP_SINK:
        ladder_conn(w, (struct tcpsim_rp_conn *)c);
        break;
    case TCPSIM_RP_SUMMARY:
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
        json_summary(w, s);
        break;
    case TCPSIM_RP_LADDER:
    case TCPSIM_RP_SUMMARY:
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
    if (fmt == TCPSIM_RP_SINK || (fmt != TCPSIM_RP_HTML && !make_view(w, &o))) {
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
    return w;
}

struct tcpsim_rp_handler tcpsim_rp_writer_handler(struct tcpsim_rp_writer *w)
{
    struct tcpsim_rp_handler h = {on_segment, on_conn, on_summary, w};
    return h;
}

void tcpsim_rp_writer_setup(struct tcpsim_rp_writer *w, struct tcpsim_replay_cfg *cfg)
{
    cfg->h = tcpsim_rp_writer_handler(w);
    cfg->tls_json = w->fmt == TCPSIM_RP_JSON;
    if (w->fmt == TCPSIM_RP_SUMMARY)
        cfg->h.segment = NULL; /* per connection only: no per-segment record is built */
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
    for (unsigned i = 0; i < WHY_COUNT; i++)
        free(w->why_json[i]);
    free(w);
    return ok;
}
