/* reader.c - reading a capture with libpcap: pcap and pcapng in either byte
 * order, nanosecond timestamps, a tcpdump-style BPF filter applied per record
 * (frame numbers still count every record, as Wireshark's frame.number), "-"
 * for stdin. libpcap's error on a damaged file becomes a message naming the
 * file and the frame; everything before the damage has been replayed.
 * Read first: pcap(3PCAP), pcap_next_ex(3PCAP), pcap_offline_filter(3PCAP). */
#include "replay/replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

/* Progress on a terminal for long files: checked every 2^16 frames, redrawn
 * at most twice a second, erased at the end. Never on a pipe or file (the
 * CLI passes in->progress only when stderr is a terminal). */
struct progress {
    bool on;
    const char *name;
    FILE *f;    /* the capture stream, for the position */
    off_t size; /* 0 when unknown (stdin) */
    struct timespec last;
    bool drawn;
};

static void progress_init(struct progress *pr, const struct tcpsim_replay_input *in, const char *name, pcap_t *p)
{
    memset(pr, 0, sizeof *pr);
    pr->on = in->progress;
    pr->name = name;
    if (!pr->on)
        return;
    pr->f = pcap_file(p);
    struct stat st;
    if (pr->f && fstat(fileno(pr->f), &st) == 0 && S_ISREG(st.st_mode))
        pr->size = st.st_size;
    clock_gettime(CLOCK_MONOTONIC, &pr->last);
}

static void progress_tick(struct progress *pr, const struct tcpsim_replay *rp, uint64_t frame)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ms = (long long)(now.tv_sec - pr->last.tv_sec) * 1000 + (now.tv_nsec - pr->last.tv_nsec) / 1000000;
    if (ms < 500)
        return;
    pr->last = now;
    char pct[16] = "";
    if (pr->size > 0) {
        off_t at = ftello(pr->f);
        if (at >= 0)
            snprintf(pct, sizeof pct, " %3d%%", (int)((double)at * 100.0 / (double)pr->size));
    }
    fprintf(stderr, "\r\033[K%s:%s %llu frames, %zu connections open", pr->name, pct, (unsigned long long)frame,
            tcpsim_replay_open_conns(rp));
    fflush(stderr);
    pr->drawn = true;
}

static void progress_done(struct progress *pr)
{
    if (pr->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
}

/* pcapng starts with a Section Header Block, type 0x0A0D0D0A in either
 * byte order (pcapng draft §4.1); only a named file is peeked at. */
static bool is_pcapng(const struct tcpsim_replay_input *in, const char *name)
{
    if (in->fp || !strcmp(name, "-"))
        return false;
    FILE *f = fopen(name, "rb");
    if (!f)
        return false;
    unsigned char m[4] = {0};
    bool ng = fread(m, 1, 4, f) == 4 && m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a;
    fclose(f);
    return ng;
}

/* The look-ahead (replay.h, tcpsim__replay_hint_*): packets are processed
 * two records behind reading. Record n+2 is peeked at and its flow index
 * entry fetched, record n+1's connection is fetched, record n is processed:
 * with thousands of connections open, those two cache misses per packet
 * are then waited for in parallel with useful work. libpcap reuses its
 * buffer on every read, so a waiting record is a copy (buffers grow to the
 * largest record and are reused: no allocation per packet). */
#define AHEAD 3

struct ahead_rec {
    uint64_t frame;
    tcpsim_ns_t ts;
    int dlt;
    bool hidden; /* rejected by the BPF filter: tracked, not written */
    size_t caplen, len, cap;
    uint8_t *buf;
    struct tcpsim_rp_hint hint;
};

struct ahead {
    struct ahead_rec r[AHEAD];
    unsigned head, n; /* oldest waiting record, records waiting */
};

static void ahead_process(struct tcpsim_replay *rp, const struct ahead_rec *a, const uint8_t *data)
{
    if (a->hidden)
        tcpsim_replay_packet_hidden(rp, a->frame, a->ts, a->dlt, data, a->caplen, a->len);
    else
        tcpsim_replay_packet(rp, a->frame, a->ts, a->dlt, data, a->caplen, a->len);
}

/* Process the oldest waiting record (hinting the next one's connection). */
static void ahead_pop(struct tcpsim_replay *rp, struct ahead *q)
{
    struct ahead_rec *a = &q->r[q->head];
    q->head = (q->head + 1) % AHEAD;
    q->n--;
    if (q->n)
        tcpsim__replay_hint_conn(rp, &q->r[q->head].hint);
    ahead_process(rp, a, a->buf);
}

/* One record read: wait in the queue, or (no memory for a copy) everything
 * waiting is processed and then this one, in order. */
static void ahead_push(struct tcpsim_replay *rp, struct ahead *q, const struct ahead_rec *in, const uint8_t *data)
{
    if (q->n == AHEAD)
        ahead_pop(rp, q);
    struct ahead_rec *a = &q->r[(q->head + q->n) % AHEAD];
    if (a->cap < in->caplen) {
        size_t nc = in->caplen < 2048 ? 2048 : in->caplen;
        uint8_t *nb = malloc(nc);
        if (!nb) {
            while (q->n)
                ahead_pop(rp, q);
            ahead_process(rp, in, data);
            return;
        }
        free(a->buf);
        a->buf = nb;
        a->cap = nc;
    }
    uint8_t *buf = a->buf;
    size_t cap = a->cap;
    *a = *in;
    a->buf = buf;
    a->cap = cap;
    if (in->caplen) /* a record may be empty: then there may be no buffer yet */
        memcpy(a->buf, data, in->caplen);
    tcpsim__replay_hint_index(rp, a->dlt, a->buf, a->caplen, &a->hint);
    q->n++;
}

static void ahead_drain_free(struct tcpsim_replay *rp, struct ahead *q)
{
    while (q->n)
        ahead_pop(rp, q);
    for (unsigned i = 0; i < AHEAD; i++)
        free(q->r[i].buf);
}

enum tcpsim_err tcpsim_replay_read(struct tcpsim_replay *rp, const struct tcpsim_replay_input *in, char *errbuf,
                                   size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    const char *name = in->path ? in->path : "-";
    pcap_t *p;
    if (in->fp)
        p = pcap_fopen_offline_with_tstamp_precision(in->fp, PCAP_TSTAMP_PRECISION_NANO, perr);
    else if (!strcmp(name, "-"))
        p = pcap_fopen_offline_with_tstamp_precision(stdin, PCAP_TSTAMP_PRECISION_NANO, perr);
    else
        p = pcap_open_offline_with_tstamp_precision(name, PCAP_TSTAMP_PRECISION_NANO, perr);
    if (!p) {
        if (in->fp)
            fclose(in->fp); /* ours either way: libpcap would have closed it */
        /* C2: nothing was read, so nothing is written (no summary either).
         * A file that cannot be opened (missing, unreadable, a directory) is
         * a usage error; one that opens but is not a capture is damage. */
        struct stat st;
        bool stream = in->fp || !strcmp(name, "-");
        if (!stream && (stat(name, &st) != 0 || access(name, R_OK) != 0)) {
            snprintf(errbuf, errlen, "%s: cannot open: %s", name, strerror(errno));
            return TCPSIM_ERR_NOTFOUND;
        }
        if (!stream && S_ISDIR(st.st_mode)) {
            snprintf(errbuf, errlen, "%s: cannot open: it is a directory (expected a pcap or pcapng file)", name);
            return TCPSIM_ERR_NOTFOUND;
        }
        snprintf(errbuf, errlen, "%s: not a pcap or pcapng capture (libpcap: %s)", name, perr);
        return TCPSIM_ERR_MALFORMED;
    }
    bool ng = is_pcapng(in, name);
    struct bpf_program prog;
    bool have_filter = false;
    if (in->filter && *in->filter) {
        if (pcap_compile(p, &prog, in->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            snprintf(errbuf, errlen, "%s: bad filter '%s': %s", name, in->filter, pcap_geterr(p));
            pcap_close(p);
            return TCPSIM_ERR_INVALID;
        }
        have_filter = true;
        tcpsim_replay_filter_view(rp);
    }
    int dlt = pcap_datalink(p);
    uint64_t frame = 0;
    struct progress pr;
    progress_init(&pr, in, name, p);
    enum tcpsim_err rc = TCPSIM_OK;
    struct ahead q;
    memset(&q, 0, sizeof q);
    for (;;) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int r = pcap_next_ex(p, &h, &data);
        if (r == PCAP_ERROR_BREAK)
            break; /* end of file */
        if (r != 1) {
            /* The record after the last good one is damaged, or (C1) libpcap
             * cannot go on: it reads pcapng files whose interfaces all have
             * one link type only (no per-packet link type in its API). */
            const char *pe = pcap_geterr(p);
            if (strstr(pe, "different from the type of the first interface"))
                snprintf(errbuf, errlen,
                         "%s: frame %llu: unsupported: this pcapng file has interfaces with different link types, "
                         "which libpcap cannot read (frames before it were replayed; split it per interface, "
                         "e.g. tshark -r FILE -Y 'frame.interface_id == 0' -w part.pcapng); libpcap: %s",
                         name, (unsigned long long)(frame + 1), pe);
            else
                snprintf(errbuf, errlen, "%s: frame %llu: damaged or truncated %s: %s", name,
                         (unsigned long long)(frame + 1),
                         ng ? "pcapng block (expected a complete block; or a feature libpcap cannot read, such as a "
                              "second section in the other byte order)"
                            : "record (expected a complete pcap record)",
                         pe);
            rc = TCPSIM_ERR_MALFORMED;
            break;
        }
        frame++;
        tcpsim_ns_t ts = (tcpsim_ns_t)h->ts.tv_sec * 1000000000u + (tcpsim_ns_t)h->ts.tv_usec;
        /* pcapng may change the link type per interface; pcap_datalink follows. */
        dlt = pcap_datalink(p);
        struct ahead_rec rec;
        memset(&rec, 0, sizeof rec);
        rec.frame = frame;
        rec.ts = ts;
        rec.dlt = dlt;
        rec.hidden = have_filter && !pcap_offline_filter(&prog, h, data);
        rec.caplen = h->caplen;
        rec.len = h->len;
        ahead_push(rp, &q, &rec, data);
        if (pr.on && (frame & 0xffff) == 0)
            progress_tick(&pr, rp, frame);
    }
    ahead_drain_free(rp, &q); /* every record read is replayed, also before damage */
    progress_done(&pr);
    if (have_filter)
        pcap_freecode(&prog);
    /* libpcap owns a FILE given to pcap_fopen_offline: pcap_close closes it. */
    pcap_close(p);
    tcpsim_replay_finish(rp);
    return rc;
}
