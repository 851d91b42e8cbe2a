/* replay.h - the capture replayer: pcap reading, flow table, passive observer,
 * Wireshark-style analysis, Zeek-style summary. Internal API of src/replay/,
 * used by the CLI (src/cli/cmd_replay.c), teach and the tests.
 * Read first: docs/replay-json.md (the output contract), RFC 9293 §3.3.2 and
 * §3.10.7, reference-facts.md (Wireshark/Zeek/conntrack vocabulary). */
#ifndef TCPSIM_REPLAY_REPLAY_H
#define TCPSIM_REPLAY_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tcpsim/error.h"
#include "tcpsim/tcp.h"
#include "tcpsim/timeline.h"
#include "tcpsim/tls.h"
#include "tcpsim/wire.h"

/* Capture time in nanoseconds since the epoch (libpcap nanosecond precision). */
typedef uint64_t tcpsim_ns_t;

#define TCPSIM_RP_MAX_STATES 16    /* states remembered per endpoint for the conn record */
#define TCPSIM_RP_HIST_MAX   48    /* Zeek history string */
#define TCPSIM_RP_MAX_EVENTS 8     /* transitions one segment can cause (both endpoints) */
#define TCPSIM_RP_MAX_TLS    32    /* TLS items kept per segment; more are counted in tls_dropped */
#define TCPSIM_RP_TLS_ARENA  32768 /* bytes for one segment's TLS JSON and explanations */

/* One transition caused by a segment (the `events` array of a segment record). */
struct tcpsim_rp_event {
    enum tcpsim_side endpoint;
    enum tcpsim_tcp_state from, to;
    enum tcpsim_tcp_why why;
};

/* Everything the views need about one captured TCP segment. Pointers are valid
 * only during the callback. */
struct tcpsim_rp_segment {
    uint64_t frame;
    tcpsim_ns_t time;
    tcpsim_ns_t capture_start; /* time of the capture's first frame (ladder times are relative to it) */
    uint32_t conn;
    enum tcpsim_side dir;  /* CLIENT = c2s */
    const char *src, *dst; /* "10.0.0.1:443" */
    /* the same as numbers (the JSON view formats IPv4 from these: the labels
     * live in the connection's cold part) */
    struct tcpsim_ip_addr src_ip, dst_ip;
    uint16_t src_port, dst_port;
    const struct tcpsim_segment *seg;
    uint32_t len; /* TCP payload length from the IP header (not the captured part) */
    bool rel_seq_known, rel_ack_known;
    uint32_t rel_seq, rel_ack;
    uint64_t win;      /* scaled when the scale is known */
    uint32_t analysis; /* TCPSIM_AN_* */
    enum tcpsim_tcp_state client_state, server_state;
    size_t nevents;
    const struct tcpsim_rp_event *events;
    size_t ntls;
    const struct tcpsim_tl_tls *tls; /* explain strings copied, valid during the callback */
    const char *tls_json;            /* the `tls` array elements, comma-separated (cfg.tls_json) */
    size_t tls_json_len;
    uint32_t tls_dropped;        /* items beyond TCPSIM_RP_MAX_TLS or the arena */
    const char *tls_errors_json; /* tcpsim addition: TLS bytes that are not a record,
                                  * {"dir":..,"error":..} elements comma-separated */
    size_t tls_errors_len;
};

/* A segment record in compact form (80 bytes with the output FIFO's
 * bookkeeping, against ~270 for struct tcpsim_rp_segment held with its
 * segment's first bytes and room for events): what the JSON view reads of an
 * IPv4 segment without TLS items. The replay holds records of the JSON view
 * in this form while an earlier record waits for its connection's answer
 * (replay.c), so that writing, keeping and handing them to the writer thread
 * moves a third of the bytes. The JSON view formats a full record through
 * this form too (output.c), so both give the same bytes. */
struct tcpsim_rp_jev { /* struct tcpsim_rp_event, a byte per field */
    uint8_t endpoint, from, to, why;
};
struct tcpsim_rp_jrec {
    uint64_t frame;
    tcpsim_ns_t time;
    uint32_t conn;
    uint32_t seq, ack; /* raw, from the TCP header */
    uint32_t rel_seq, rel_ack;
    uint32_t len;
    uint32_t win; /* scaled (a scale is at most 14: under 2^30) */
    uint32_t analysis;
    uint32_t ip[2];   /* IPv4 source and destination, as in memory */
    uint16_t port[2]; /* source, destination */
    uint8_t flags;
    uint8_t bits; /* TCPSIM_RP_J_* */
    uint8_t client_state, server_state;
};
#define TCPSIM_RP_J_S2C     1u /* sent by the server */
#define TCPSIM_RP_J_ACK_REL 2u /* rel_ack is known (an ACK) */
#define TCPSIM_RP_J_SEQ_REL 4u /* rel_seq is known */
#define TCPSIM_RP_J_NEV     3u /* the number of events, shifted (at most TCPSIM_RP_MAX_EVENTS) */

/* A segment record's TLS parts as the JSON view writes them (the fields of
 * the same names in struct tcpsim_rp_segment). */
struct tcpsim_rp_tlsparts {
    const char *json;
    size_t json_len;
    const char *errors_json;
    size_t errors_len;
    uint32_t dropped;
};

/* An event as the compact form keeps it. */
static inline struct tcpsim_rp_jev tcpsim_rp_jev_of(const struct tcpsim_rp_event *e)
{
    struct tcpsim_rp_jev v = {(uint8_t)e->endpoint, (uint8_t)e->from, (uint8_t)e->to, (uint8_t)e->why};
    return v;
}

/* A full record in compact form, its events as bytes (at most
 * TCPSIM_RP_MAX_EVENTS), its TLS parts: the JSON view formats every record
 * from this form (output.c), and the replay holds TLS records in it
 * (replay.c). IPv6 addresses do not fit (their first 4 bytes are taken). */
static inline void tcpsim_rp_jrec_of(struct tcpsim_rp_jrec *j, struct tcpsim_rp_jev *ev, struct tcpsim_rp_tlsparts *t,
                                     const struct tcpsim_rp_segment *s)
{
    j->frame = s->frame;
    j->time = s->time;
    j->conn = s->conn;
    j->seq = s->seg->seq;
    j->ack = s->seg->ack;
    j->rel_seq = s->rel_seq;
    j->rel_ack = s->rel_ack;
    j->len = s->len;
    j->win = (uint32_t)s->win;
    j->analysis = s->analysis;
    memcpy(&j->ip[0], s->src_ip.a, 4);
    memcpy(&j->ip[1], s->dst_ip.a, 4);
    j->port[0] = s->src_port;
    j->port[1] = s->dst_port;
    j->flags = s->seg->flags;
    const size_t nev = s->nevents < TCPSIM_RP_MAX_EVENTS ? s->nevents : TCPSIM_RP_MAX_EVENTS;
    j->bits = (uint8_t)((s->dir == TCPSIM_SIDE_CLIENT ? 0u : TCPSIM_RP_J_S2C) |
                        (s->rel_ack_known ? TCPSIM_RP_J_ACK_REL : 0u) | (s->rel_seq_known ? TCPSIM_RP_J_SEQ_REL : 0u) |
                        nev << TCPSIM_RP_J_NEV);
    j->client_state = (uint8_t)s->client_state;
    j->server_state = (uint8_t)s->server_state;
    for (size_t i = 0; i < nev; i++)
        ev[i] = tcpsim_rp_jev_of(&s->events[i]);
    t->json = s->tls_json;
    t->json_len = s->tls_json_len;
    t->errors_json = s->tls_errors_json;
    t->errors_len = s->tls_errors_len;
    t->dropped = s->tls_dropped;
}

/* Zeek's per-direction bookkeeping for the history string (reference-facts.md):
 * the part the common segment reads and writes (analysis_fast.h), kept in
 * the connection's hot lines with the rest of struct tcpsim_rp_dir ... */
struct tcpsim_rp_zeek {
    uint8_t once; /* a, d, i, q already written */
    /* Content gaps (A6): holes in this direction's stream not seen yet. A
     * hole is a gap ('g') once the peer ACKs past it or the connection ends
     * with it; a late or reordered segment that fills it is no gap. */
    bool hi_set;
    uint8_t nholes; /* its holes are in tcpsim_rp_zeek_more */
    uint32_t hi;    /* end of the highest sequence seen (raw) */
};

/* ... and the rest, which only the whole bookkeeping reads (SYN, FIN, RST,
 * retransmissions, holes), in the connection's warm part. */
struct tcpsim_rp_zeek_more {
    bool s_seen, h_seen, f_seen, r_seen;
    uint32_t s_seq, h_seq, f_seq, r_seq;
    uint32_t n_c, n_g, n_t, n_w; /* logarithmic letters: count of events */
    uint32_t hole_lo[4], hole_hi[4];
};

/* Wireshark's per-direction analysis state (packet-tcp.c tcp_flow_t and
 * tcp_analyze_seq_info), in relative sequence numbers like Wireshark, with
 * the counters and Zeek's hot fields: 80 bytes, read by every segment. */
struct tcpsim_rp_dir {
    uint32_t base_seq;
    uint32_t nextseq; /* highest seq + len seen (0 = none yet) */
    tcpsim_ns_t nextseqtime;
    uint32_t maxseqtobeacked;
    uint32_t lastack;
    tcpsim_ns_t lastacktime;
    uint32_t window; /* raw (unscaled) window of the last segment */
    int win_scale;   /* -1 unknown, -2 not used, else the shift */
    uint32_t dupacknum;
    uint32_t lastsegmentflags;
    uint64_t packets, bytes;
    bool base_set;
    bool syn_seen;
    bool window_set;
    bool sent_syn, sent_synack, sent_fin, sent_rst, sent_any;
    struct tcpsim_rp_zeek z;
};

/* The observer's note of a client SYN the server has not answered yet
 * (whether one is open: tcpsim_rp_conn.pend_active, in the hot part). */
struct tcpsim_rp_pending {
    bool have_syn;
    uint64_t syn_frame;
    tcpsim_time_t syn_at;
    struct tcpsim_segment syn;
};

/* A FIN captured on its way to a peer that was ESTABLISHED: delivered only
 * when the peer's next segment shows whether it had received it (its ACK
 * covers the FIN) or not (it sent its own FIN first: RFC 9293 §3.6 case 2).
 * Whether one is in flight: tcpsim_rp_conn.pfin_active. */
struct tcpsim_rp_pfin {
    bool attach_here; /* the peer sent since: the arrival goes on a later record */
    int from;         /* sender of the FIN */
    tcpsim_time_t at;
    uint64_t frame;
    struct tcpsim_segment seg;
};

/* A correction to segment records already made but still held in the output
 * FIFO (replay.c): the observer learns some things one segment late. */
struct tcpsim_rp_retro {
    bool set;
    bool patch_before; /* held records before `frame` get `before` */
    int side;          /* whose state column */
    uint64_t frame;    /* held records from this frame on get `after` */
    enum tcpsim_tcp_state before, after;
    size_t nev;
    struct tcpsim_rp_event ev[4]; /* appended to the record of `frame` */
};

/* A connection of the flow table. Laid out by temperature (docs/performance.md):
 * with thousands of connections open, every packet finds its connection's
 * lines out of cache, so what every packet reads or writes comes first and
 * together (key, flags and bookkeeping in 96 bytes, then the per-direction
 * analysis: four lines in all; then the two endpoints, each with four hot
 * lines from TCPSIM_TCP_HOT_OFF), then what the handshake and the close touch
 * together (state lists, Zeek's notes, handshake times, history), and what
 * only a connection's start or end, a view, or a rare case reads (labels,
 * counts, the observer's saved segments) comes last. reader.c's look-ahead
 * prefetches these groups (flow.h). Slots are 64-byte aligned (flow.c). */
struct tcpsim_rp_conn {
    /* ---- hot: every packet ---- */
    _Alignas(64) struct tcpsim_ip_addr addr[2]; /* [CLIENT], [SERVER] */
    uint16_t port[2];
    uint32_t id; /* tcp.stream */
    bool in_use, obs_ok, inferred, flipped, reused_ports_pending, shown, server_inferred, rtt_known;
    bool pend_active;  /* the server has not answered the client's SYN yet (observer.c) */
    bool pend_assumed; /* ... and LISTEN was assumed without an answer */
    bool pfin_active;  /* a FIN is in flight (c->pfin) */
    uint8_t completeness;
    uint8_t tls_det; /* TCPSIM_RP_TLS_* */
    uint8_t tclass;  /* idle-timeout class (which LRU list) */
    uint8_t hist_len;
    uint8_t nstates[2];
    int8_t first_rst;   /* side that sent the first RST, -1 none */
    bool tls_fin[2];    /* each direction ended (FIN or RST) */
    uint64_t held_last; /* number of its newest segment record waiting in the output FIFO (replay.c) */
    uint64_t last_frame;
    tcpsim_ns_t end;
    tcpsim_ns_t lru_t; /* when last placed at the tail of its LRU queue */
    struct tcpsim_rp_dir d[2];
    /* the observer: two RFC 9293 endpoints (their hot fields first) */
    _Alignas(64) struct tcpsim_tcp_endpoint ep[2];
    /* ---- warm: the segments of the handshake and the close (what they
     * touch together, prefetched by tcpsim__flow_prefetch_warm) ---- */
    enum tcpsim_tcp_state states[2][TCPSIM_RP_MAX_STATES];
    struct tcpsim_rp_zeek_more zm[2]; /* per direction, beside d[].z */
    tcpsim_ns_t syn_time;             /* most recent SYN (Wireshark ts_mru_syn) */
    tcpsim_ns_t rtt;                  /* handshake RTT (Wireshark initial_rtt) */
    char history[TCPSIM_RP_HIST_MAX];
    /* ---- some packets ---- */
    struct tcpsim_tls_conn *tls; /* the decoder while a direction is open (TLS connections only) */
    uint32_t hash;               /* of the 4-tuple (flow index: read when it leaves) */
    uint32_t lru_next;           /* free list (flow.c) */
    uint32_t lru_pos;            /* its entry in its LRU queue's ring (flow.h), while tclass names one */
    uint32_t an_count[TCPSIM_AN_COUNT];
    /* ---- cold: connection start and end, views, rare cases ---- */
    uint64_t first_frame;
    tcpsim_ns_t start;
    bool states_overflow[2];
    char label[2][56]; /* "10.0.0.1:443" */
    void *view;        /* per-connection buffer of the ladder view */
    /* TLS (src/tls), allocated only once the client's first bytes look like a
     * TLS record header (RFC 8446 §5.1): plain connections cost nothing. */
    uint8_t *tls_done;   /* its summary packed (tcpsim_tls_summary_pack), once both ended (decoder freed) */
    size_t tls_done_len; /* its bytes (read only while tls_done is set) */
    char *alpn_offered;  /* B4: the ClientHello's ALPN list, '\n'-separated (malloc) */
    struct tcpsim_rp_pending pend;
    struct tcpsim_rp_pfin pfin;
};

enum { TCPSIM_RP_TLS_UNDECIDED, TCPSIM_RP_TLS_YES, TCPSIM_RP_TLS_NO };

/* Why a connection left the table. */
enum tcpsim_rp_leave {
    TCPSIM_RP_LEAVE_END,     /* end of input */
    TCPSIM_RP_LEAVE_CLOSED,  /* closed and quiet */
    TCPSIM_RP_LEAVE_IDLE,    /* idle timeout */
    TCPSIM_RP_LEAVE_EVICTED, /* --max-conns */
    TCPSIM_RP_LEAVE_REUSED,  /* a new SYN reused its 4-tuple */
};

struct tcpsim_rp_skipped {
    uint64_t non_tcp, non_ip, truncated, fragment, bad_header, filtered, unsupported_link;
};

struct tcpsim_rp_summary {
    uint64_t frames, tcp_segments, connections;
    struct tcpsim_rp_skipped skipped;
    double seconds;    /* last capture time - first */
    uint64_t max_open; /* peak connections held at once */
    uint64_t evicted;  /* connections evicted by --max-conns */
};

/* The consumer of the replay: called in capture order. */
struct tcpsim_rp_handler {
    void (*segment)(void *ctx, const struct tcpsim_rp_conn *c, const struct tcpsim_rp_segment *s);
    void (*conn)(void *ctx, const struct tcpsim_rp_conn *c, enum tcpsim_rp_leave why);
    void (*summary)(void *ctx, const struct tcpsim_rp_summary *s);
    void *ctx;
    /* The segment view reads only the first TCPSIM_RP_SEG_HEAD bytes of
     * s->seg (ports, seq, ack, flags: the JSON view): a held record keeps
     * only those, the rest of the struct is unspecified in the callback. */
    bool seg_head;
    /* The segment view reads the TLS items' JSON only (s->tls_json,
     * tls_errors_json, tls_dropped: the JSON view), not the items: s->tls
     * is NULL and s->ntls not to be read; no copy of the items and their
     * explanations is made. */
    bool tls_items_unread;
    /* Optional, used with seg_head, ref_done, ref_wait and summary (else
     * every record goes to `segment`): a held record handed over by
     * reference instead. The view either keeps `s` (returns true and a
     * position in *pos, larger than any before) or does with it what
     * `segment` does (returns false). A kept record, the first
     * TCPSIM_RP_SEG_HEAD bytes of s->seg and its events stay as they are
     * until ref_done returns a position >= its own, or `summary` or
     * ref_wait returns (the view is done with every kept record then);
     * s->src, s->dst, s->tls_json and s->tls_errors_json do not (the view
     * copies a record that needs them). */
    bool (*segment_ref)(void *ctx, const struct tcpsim_rp_conn *c, const struct tcpsim_rp_segment *s, uint64_t *pos);
    /* Optional, with segment_ref, seg_head and tls_items_unread (the record
     * has nothing else): a record in compact form (an IPv4 segment), kept
     * by reference on the same terms; `ev` holds its events (their number in
     * j->bits, TCPSIM_RP_J_NEV), `tls` its TLS parts (NULL: none; their
     * bytes are kept with the record). Without TLS parts the events are
     * right after `j`: the view may keep `j` alone. The view either keeps it
     * (true, *pos) or is done with it on return (false). */
    bool (*segment_jref)(void *ctx, const struct tcpsim_rp_jrec *j, const struct tcpsim_rp_jev *ev,
                         const struct tcpsim_rp_tlsparts *tls, uint64_t *pos);
    uint64_t (*ref_done)(void *ctx); /* the records up to this position are let go */
    void (*ref_wait)(void *ctx);     /* returns when every kept record is let go */
};
#define TCPSIM_RP_SEG_HEAD 16u

struct tcpsim_replay_cfg {
    size_t max_conns;  /* cap on connections held at once (0 = default 1M) */
    bool observe;      /* run the two RFC 9293 endpoints (default true) */
    bool tls;          /* decode TLS (default true) */
    bool tls_json;     /* render each TLS item's JSON for the segment (default false) */
    unsigned threads;  /* tcpsim_replay_read: 2 (default) = a reader thread reads and decodes
                        * ahead; 1 = the same steps on the calling thread */
    size_t ring_bytes; /* the reader's buffer (0: 4 MiB, 64 KiB with one thread; else a power
                        * of two >= 4 KiB: tests use small ones to make it wrap and fill) */
    struct tcpsim_rp_handler h;
    /* No handler reads a connection's label[] (the summary view writes the
     * endpoints from their numbers): the replay makes none (default false). */
    bool labels_unread;
    /* Diagnostics for the user (malformed TLS): called as found, with the
     * frame; the CLI prints them on stderr with the file name (A9). */
    void (*diag)(void *ctx, uint64_t frame, const char *text);
    void *diag_ctx;
};

struct tcpsim_replay;

void tcpsim_replay_cfg_default(struct tcpsim_replay_cfg *cfg);
struct tcpsim_replay *tcpsim_replay_new(const struct tcpsim_replay_cfg *cfg);
void tcpsim_replay_free(struct tcpsim_replay *rp);

/* One captured record. `frame` counts every record (frame.number). Records
 * that are not TCP are counted in the summary's `skipped`. */
void tcpsim_replay_packet(struct tcpsim_replay *rp, uint64_t frame, tcpsim_ns_t ts, int dlt, const uint8_t *data,
                          size_t caplen, size_t wirelen);
/* A record rejected by the BPF filter: counted, nothing else. */
void tcpsim_replay_filtered(struct tcpsim_replay *rp, uint64_t frame, tcpsim_ns_t ts);
/* A record rejected by the BPF filter, still tracked (connection numbers stay
 * tcp.stream of the whole file) but not written; connections none of whose
 * segments matched are not written either. */
void tcpsim_replay_packet_hidden(struct tcpsim_replay *rp, uint64_t frame, tcpsim_ns_t ts, int dlt, const uint8_t *data,
                                 size_t caplen, size_t wirelen);
/* A filter is in use (call before the first record): only connections with a
 * matching segment are written. */
void tcpsim_replay_filter_view(struct tcpsim_replay *rp);
/* End of input: every connection still held is written, then the summary. */
void tcpsim_replay_finish(struct tcpsim_replay *rp);
/* ---- the per-packet path in two steps (reader.c runs them on two threads) ----
 * tcpsim__rp_decode is a pure function of the record's bytes (link, IP and TCP
 * decoding, the skipped-packet classification, the 4-tuple's flow hash): the
 * reader's producer thread runs it. tcpsim__rp_consume does everything else
 * (flow table, analysis, observer, views), in capture order, on the caller's
 * thread. tcpsim_replay_packet is the two in a row. */
enum tcpsim_rp_kind {
    TCPSIM_RP_K_TCP,              /* a TCP segment: ip addresses, seg, seglen, hash are set */
    TCPSIM_RP_K_UNSUPPORTED_LINK, /* the skipped classes of tcpsim_rp_skipped */
    TCPSIM_RP_K_TRUNCATED,
    TCPSIM_RP_K_NON_IP,
    TCPSIM_RP_K_BAD_HEADER,
    TCPSIM_RP_K_NON_TCP,
    TCPSIM_RP_K_FRAGMENT,
};

struct tcpsim_rp_pkt {
    uint64_t frame;
    tcpsim_ns_t ts;
    uint8_t kind;    /* enum tcpsim_rp_kind */
    bool hidden;     /* rejected by the BPF filter: tracked, not written (A8) */
    bool opts_cut;   /* A5: the snap length cut the TCP options */
    uint32_t seglen; /* TCP payload length from the IP header */
    uint32_t hash;   /* tcpsim__flow_hash of the 4-tuple */
    struct tcpsim_ip_addr src, dst;
    struct tcpsim_segment seg; /* seg.payload points into the record's bytes */
};

void tcpsim__rp_decode(int dlt, const uint8_t *data, size_t caplen, struct tcpsim_rp_pkt *pk);
/* The same without the straight-line path for the common records: what
 * tcpsim__rp_decode must give on every input (tests compare the two). */
void tcpsim__rp_decode_full(int dlt, const uint8_t *data, size_t caplen, struct tcpsim_rp_pkt *pk);
void tcpsim__rp_consume(struct tcpsim_replay *rp, const struct tcpsim_rp_pkt *pk);
/* Connections currently held (tests, progress line). */
size_t tcpsim_replay_open_conns(const struct tcpsim_replay *rp);
/* Allocations made by the flow table since creation (pool/index growth). */
uint64_t tcpsim_replay_allocations(const struct tcpsim_replay *rp);

/* ---- reading a capture file (reader.c) ---- */
struct tcpsim_replay_input {
    const char *path;   /* "-" = stdin */
    const char *filter; /* BPF expression or NULL */
    FILE *fp;           /* when set, read from this stream instead of path (tests, fuzzing);
                         * tcpsim_replay_read always closes it */
    bool progress;      /* progress line on stderr */
};

/* Read the whole capture into `rp` and finish it. On damage the message (naming
 * the file and frame) is written to errbuf, every frame before the damage has
 * been replayed and the output finished: returns ERR_MALFORMED / ERR_IO /
 * ERR_INVALID (bad filter) / ERR_NOTFOUND (cannot open). When the file cannot
 * be opened or is not a capture at all, nothing is replayed or finished (no
 * output, not even the summary). */
enum tcpsim_err tcpsim_replay_read(struct tcpsim_replay *rp, const struct tcpsim_replay_input *in, char *errbuf,
                                   size_t errlen);

/* ---- views (output.c) ---- */
enum tcpsim_rp_format {
    TCPSIM_RP_JSON,    /* docs/replay-json.md; always English */
    TCPSIM_RP_SUMMARY, /* a few lines per connection */
    TCPSIM_RP_LADDER,  /* report's ladder, one diagram per connection */
    TCPSIM_RP_HTML,    /* report's HTML view: one page for the whole file, written by _free */
    TCPSIM_RP_SINK,    /* the caller's timeline sink (tcpsim_rp_writer_new_sink), e.g. the step-through */
};

struct tcpsim_view_opts; /* tcpsim/report.h */
struct tcpsim_rp_writer;
/* conn_pick < 0: all connections. Not for TCPSIM_RP_SINK (NULL). */
struct tcpsim_rp_writer *tcpsim_rp_writer_new(FILE *out, enum tcpsim_rp_format fmt, long conn_pick, bool color);
/* A writer that draws each connection (BEGIN .. END, when it leaves the flow
 * table) into `sink`, with a heading line ("connection N: A -> B", in `lang`)
 * and the `total:` line on `out` (the sink should write there too). */
struct tcpsim_rp_writer *tcpsim_rp_writer_new_sink(FILE *out, const struct tcpsim_tl_sink *sink, long conn_pick,
                                                   const char *lang);
struct tcpsim_rp_handler tcpsim_rp_writer_handler(struct tcpsim_rp_writer *w);
/* Ladder options (ascii, color, absolute); call before the first event. */
void tcpsim_rp_writer_ladder_opts(struct tcpsim_rp_writer *w, bool ascii, bool absolute);
/* View options for LADDER and HTML (copied; its strings must outlive the
 * writer), and `lang` for the summary's headings too. Call before the first
 * event; false when the view could not be made (out of memory, or an HTML
 * page's options set twice). */
bool tcpsim_rp_writer_view_opts(struct tcpsim_rp_writer *w, const struct tcpsim_view_opts *o);
/* Set cfg->h and the cfg flags this view needs (per-item TLS JSON; the summary
 * reads no labels). JSON and the summary with cfg->threads >= 2 also start
 * the writer thread (tcpsim_rp_writer_thread). */
void tcpsim_rp_writer_setup(struct tcpsim_rp_writer *w, struct tcpsim_replay_cfg *cfg);
/* JSON and the summary only, before the first event: records (blocks) are
 * formatted on a thread of the writer's own, fed through a ring of
 * `ring_bytes` (a power of two >= 256; 0: 1 MiB; tests use small ones to make
 * it wrap and fill). Same bytes, same errors; tcpsim_rp_writer_free joins it.
 * False when it could not be started (or another view): the records are
 * formatted inline. */
bool tcpsim_rp_writer_thread(struct tcpsim_rp_writer *w, size_t ring_bytes);
/* After the run: whether the --conn connection was written, and how many
 * connections the capture had (from the summary). */
bool tcpsim_rp_writer_pick_found(const struct tcpsim_rp_writer *w, uint64_t *connections);
/* Flushes; returns false when a write failed. */
bool tcpsim_rp_writer_free(struct tcpsim_rp_writer *w);

/* ---- internals shared by the replay files ---- */
const char *tcpsim__rp_an_name(unsigned bit);
/* Wireshark analysis of one segment; updates c->d[] (analysis.c). */
uint32_t tcpsim__rp_analyze(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *seg, uint32_t seglen,
                            tcpsim_ns_t ts);
/* Completeness, Zeek history, counters (analysis.c). */
void tcpsim__rp_account(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *seg, uint32_t seglen,
                        uint32_t analysis, tcpsim_ns_t ts);
const char *tcpsim__rp_conn_state(const struct tcpsim_rp_conn *c);
/* End of the connection: holes never filled are Zeek content gaps. */
void tcpsim__rp_gaps_final(struct tcpsim_rp_conn *c);
/* The connection's TLS summary, or NULL when it is not TLS (tlsglue.c); a
 * closed connection's is unpacked into a per-thread copy that the next call
 * overwrites. */
const struct tcpsim_tls_summary *tcpsim__rp_tls_summary(const struct tcpsim_rp_conn *c);
/* The same summary as the packed bytes kept for it once both directions
 * ended (no unpacking), or NULL while its decoder is open or there is none. */
const uint8_t *tcpsim__rp_tls_packed(const struct tcpsim_rp_conn *c, size_t *len);
/* Observer (observer.c). */
void tcpsim__rp_obs_init(struct tcpsim_rp_conn *c, int first_dir, const struct tcpsim_segment *first);
/* Header prediction first (the common ESTABLISHED segment, no transition,
 * no event, no retro record): true when it took the segment, else the caller
 * runs tcpsim__rp_obs_segment. Only for a connection with obs_ok. */
bool tcpsim__rp_obs_predict(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *seg, uint32_t seglen,
                            tcpsim_ns_t ts);
size_t tcpsim__rp_obs_segment(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *seg, uint32_t seglen,
                              tcpsim_ns_t ts, uint64_t frame, struct tcpsim_rp_event *ev, size_t evcap,
                              struct tcpsim_rp_retro *retro);
/* True while something about earlier records is still open (a silent server,
 * a FIN in flight): its records are held in the output FIFO. Inline: asked
 * for every segment record (replay.c). */
static inline bool tcpsim__rp_obs_unresolved(const struct tcpsim_rp_conn *c)
{
    return c->obs_ok && (c->pend_active || c->pfin_active);
}
/* Decide now (end of the connection, FIFO cap): a silent server is taken as
 * LISTEN (c->server_inferred), a FIN in flight is delivered. */
void tcpsim__rp_obs_resolve(struct tcpsim_rp_conn *c, struct tcpsim_rp_retro *retro);
void tcpsim__rp_obs_free(struct tcpsim_rp_conn *c);
/* A side's state as the observer has it (the last one listed when it could
 * not observe). Inline: read twice for every segment record (replay.c). */
static inline enum tcpsim_tcp_state tcpsim__rp_obs_state(const struct tcpsim_rp_conn *c, int side)
{
    if (!c->obs_ok)
        return c->nstates[side] ? c->states[side][c->nstates[side] - 1] : TCPSIM_TCP_CLOSED;
    if (side == TCPSIM_SIDE_SERVER && c->pend_active)
        return TCPSIM_TCP_LISTEN; /* not made yet (observer.c): assumed listening */
    return c->ep[side].state;
}
/* False while the server has not sent anything after the client's SYN: it may
 * be listening or a closed port (decided by its first segment, or assumed
 * LISTEN by tcpsim__rp_obs_resolve). */
bool tcpsim__rp_obs_known(const struct tcpsim_rp_conn *c, int side);

#endif
