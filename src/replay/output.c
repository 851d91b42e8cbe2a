/* output.c - the replayer's views: JSON Lines per docs/replay-json.md (segment,
 * conn and summary records), a one-line-per-connection summary, and the ladder
 * diagram through the report module's sink (events buffered per connection).
 * The JSON writer formats by hand into a buffer: it is the hot path.
 * Read first: docs/replay-json.md, include/tcpsim/timeline.h. */
#include "replay/replay.h"

#include <stdlib.h>
#include <string.h>

#include "tcpsim/report.h"

#define OBUF 65536

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

struct ladder_buf {
    size_t n, cap;
    struct ladder_seg *v;
    size_t ntls, tls_cap;
    struct tcpsim_tl_tls *tls; /* explain strings owned (strdup) */
};

struct tcpsim_rp_writer {
    FILE *out;
    enum tcpsim_rp_format fmt;
    long pick;
    bool color, failed, ascii, absolute;
    size_t len;
    char buf[OBUF];
    struct tcpsim_ladder *ladder;
    bool have_t0;
    tcpsim_ns_t t0;    /* ladder times: seconds since the capture's first frame, as Wireshark shows */
    char tlsbuf[OBUF]; /* the conn record's `tls` object */
    bool pick_found;   /* the --conn connection was written */
    uint64_t nconns;   /* connections in the capture (summary) */
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
    if (n <= 16) {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    } else {
        memcpy(d, s, n);
    }
    w->len += n;
}

#define PUTL(w, lit) put((w), (lit), sizeof(lit) - 1)

static void puts_(struct tcpsim_rp_writer *w, const char *s)
{
    put(w, s, strlen(s));
}

static void putu(struct tcpsim_rp_writer *w, uint64_t v)
{
    char t[24];
    int i = 24;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
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
    puts_(w, s->dir == TCPSIM_SIDE_CLIENT ? ",\"dir\":\"c2s\",\"src\":" : ",\"dir\":\"s2c\",\"src\":");
    putq(w, s->src);
    PUTL(w, ",\"dst\":");
    putq(w, s->dst);
    PUTL(w, ",\"flags\":[");
    bool first = true;
    for (unsigned b = 0; b < 8; b++)
        if (s->seg->flags & (1u << b)) {
            if (!first)
                put(w, ",", 1);
            first = false;
            put(w, "\"", 1);
            puts_(w, flag_names[b]);
            put(w, "\"", 1);
        }
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
    first = true;
    for (unsigned b = 0; b < TCPSIM_AN_COUNT; b++)
        if (s->analysis & (1u << b)) {
            if (!first)
                put(w, ",", 1);
            first = false;
            put(w, "\"", 1);
            puts_(w, tcpsim__rp_an_name(b));
            put(w, "\"", 1);
        }
    PUTL(w, "],\"client_state\":\"");
    puts_(w, tcpsim_tcp_state_name(s->client_state));
    PUTL(w, "\",\"server_state\":\"");
    puts_(w, tcpsim_tcp_state_name(s->server_state));
    PUTL(w, "\",\"events\":[");
    for (size_t i = 0; i < s->nevents; i++) {
        const struct tcpsim_rp_event *e = &s->events[i];
        if (i)
            put(w, ",", 1);
        puts_(w, e->endpoint == TCPSIM_SIDE_CLIENT ? "{\"endpoint\":\"client\",\"from\":\""
                                                   : "{\"endpoint\":\"server\",\"from\":\"");
        puts_(w, tcpsim_tcp_state_name(e->from));
        PUTL(w, "\",\"to\":\"");
        puts_(w, tcpsim_tcp_state_name(e->to));
        PUTL(w, "\",\"rule\":");
        putq(w, tcpsim_tcp_why_rule(e->why));
        PUTL(w, ",\"why\":");
        putq(w, tcpsim_tcp_why_text(e->why));
        put(w, "}", 1);
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

static void text_states(struct tcpsim_rp_writer *w, const struct tcpsim_rp_conn *c, int side)
{
    if (c->nstates[side] == 0)
        puts_(w, tcpsim_tcp_state_name(tcpsim__rp_obs_state(c, side)));
    for (unsigned i = 0; i < c->nstates[side]; i++) {
        if (i)
            PUTL(w, ">");
        puts_(w, tcpsim_tcp_state_name(c->states[side][i]));
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

static void summary_conn(struct tcpsim_rp_writer *w, const struct tcpsim_rp_conn *c)
{
    char t[320];
    snprintf(t, sizeof t, "conn %u %s -> %s%s pkts %llu/%llu bytes %llu/%llu\n  client ", c->id, c->label[0],
             c->label[1], c->inferred ? " (inferred)" : "", (unsigned long long)c->d[0].packets,
             (unsigned long long)c->d[1].packets, (unsigned long long)c->d[0].bytes, (unsigned long long)c->d[1].bytes);
    puts_(w, t);
    text_states(w, c, 0);
    PUTL(w, "\n  server ");
    text_states(w, c, 1);
    if (c->server_inferred)
        PUTL(w, " (never answered: LISTEN assumed)");
    snprintf(t, sizeof t, "\n  zeek %s %s  completeness %u", tcpsim__rp_conn_state(c), c->history[0] ? c->history : "-",
             c->completeness);
    puts_(w, t);
    if (c->rtt_known) {
        snprintf(t, sizeof t, "  rtt %.3f ms", (double)c->rtt / 1e6);
        puts_(w, t);
    }
    for (unsigned b = 0; b < TCPSIM_AN_COUNT; b++)
        if (c->an_count[b]) {
            snprintf(t, sizeof t, "  %s=%u", tcpsim__rp_an_name(b), c->an_count[b]);
            puts_(w, t);
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

static void ladder_free_buf(struct ladder_buf *b)
{
    for (size_t i = 0; i < b->ntls; i++)
        free((char *)b->tls[i].explain);
    free(b->tls);
    free(b->v);
    free(b);
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
            b->tls_cap = nc;
        }
        struct tcpsim_tl_tls *t = &b->tls[b->ntls];
        *t = s->tls[i]; /* record and handshake names are static strings */
        t->explain = s->tls[i].explain && *s->tls[i].explain ? strdup(s->tls[i].explain) : NULL;
        b->ntls++;
        l->ntls++;
    }
}

static void ladder_note(const struct tcpsim_tl_sink *sink, enum tcpsim_side side, tcpsim_time_t at, const char *text)
{
    struct tcpsim_tl_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = TCPSIM_TL_NOTE;
    ev.u.note.side = side;
    ev.u.note.at = at;
    ev.u.note.why = TCPSIM_WHY_NONE;
    ev.u.note.text = text;
    tcpsim_tl_emit(sink, &ev);
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
    if (w->ladder) {
        flush(w);
        struct tcpsim_tl_sink sink = tcpsim_ladder_sink(w->ladder);
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
                        "drop SYNs, or its replies were not captured)");
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
            tcpsim_tl_emit(&sink, &ev);
            for (unsigned k = 0; k < l->nev; k++) {
                memset(&ev, 0, sizeof ev);
                ev.kind = TCPSIM_TL_STATE;
                ev.u.state.side = l->ev[k].endpoint;
                ev.u.state.at = at;
                ev.u.state.frame = l->frame;
                ev.u.state.from = l->ev[k].from;
                ev.u.state.to = l->ev[k].to;
                ev.u.state.why = l->ev[k].why;
                tcpsim_tl_emit(&sink, &ev);
            }
            if (l->tls_dropped) {
                char line[80];
                snprintf(line, sizeof line, "%u more TLS records in this segment not shown", l->tls_dropped);
                ladder_note(&sink, l->from, at, line);
            }
        }
        memset(&ev, 0, sizeof ev);
        ev.kind = TCPSIM_TL_END;
        tcpsim_tl_emit(&sink, &ev);
        fflush(w->out);
    }
    ladder_free_buf(b);
}

/* ---- handler glue ---- */

static bool picked(const struct tcpsim_rp_writer *w, uint32_t id)
{
    return w->pick < 0 || (uint32_t)w->pick == id;
}

static void on_segment(void *ctx, const struct tcpsim_rp_conn *c, const struct tcpsim_rp_segment *s)
{
    struct tcpsim_rp_writer *w = ctx;
    if (!picked(w, c->id))
        return;
    switch (w->fmt) {
    case TCPSIM_RP_JSON:
        json_segment(w, s);
        break;
    case TCPSIM_RP_LADDER:
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
        summary_total(w, s);
        break;
    }
    flush(w);
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
    if (fmt == TCPSIM_RP_LADDER) {
        struct tcpsim_view_opts o;
        tcpsim_view_opts_default(&o);
        o.color = color;
        w->ladder = tcpsim_ladder_new(out, &o);
        if (!w->ladder) {
            free(w);
            return NULL;
        }
    }
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
    if (!w->ladder)
        return;
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    o.color = w->color;
    o.ascii = ascii;
    o.absolute = absolute;
    struct tcpsim_ladder *nl = tcpsim_ladder_new(w->out, &o);
    if (!nl)
        return; /* keep the default view */
    tcpsim_ladder_free(w->ladder);
    w->ladder = nl;
    w->ascii = ascii;
    w->absolute = absolute;
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
    if (fflush(w->out) != 0)
        w->failed = true;
    if (w->ladder)
        tcpsim_ladder_free(w->ladder);
    bool ok = !w->failed;
    free(w);
    return ok;
}
