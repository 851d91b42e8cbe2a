/* reader.c - reading a capture with libpcap: pcap and pcapng in either byte
 * order, nanosecond timestamps, a tcpdump-style BPF filter applied per record
 * (frame numbers still count every record, as Wireshark's frame.number), "-"
 * for stdin. libpcap's error on a damaged file becomes a message naming the
 * file and the frame; everything before the damage has been replayed.
 * Reading and decoding run on a thread of their own, ahead of the replay
 * (the ring below); `--threads 1` runs the same steps on one thread.
 * Read first: pcap(3PCAP), pcap_dispatch(3PCAP), pcap_offline_filter(3PCAP),
 * C11 §7.17 (atomics: release/acquire). */
#include "replay/replay_priv.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "replay/spsc.h"

#if defined(__has_include)
#if __has_include(<stdio_ext.h>)
#include <stdio_ext.h> /* __fsetlocking: glibc, musl, Solaris */
#define HAVE_FSETLOCKING 1
#endif
#endif

/* Progress on a terminal for long files: checked every 2^16 frames, redrawn
 * at most twice a second, erased at the end. Never on a pipe or file (the
 * CLI passes in->progress only when stderr is a terminal). */
struct progress {
    bool on;
    const char *name;
    off_t size; /* 0 when unknown (stdin) */
    struct timespec last;
    bool drawn;
};

static void progress_init(struct progress *pr, const struct tcpsim_replay_input *in, const char *name, FILE *f)
{
    memset(pr, 0, sizeof *pr);
    pr->on = in->progress;
    pr->name = name;
    if (!pr->on)
        return;
    struct stat st;
    if (f && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
        pr->size = st.st_size;
    clock_gettime(CLOCK_MONOTONIC, &pr->last);
}

/* `at`: the reader's position in the file when it read frame `frame`. */
static void progress_tick(struct progress *pr, const struct tcpsim_replay *rp, uint64_t frame, off_t at)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ms = (long long)(now.tv_sec - pr->last.tv_sec) * 1000 + (now.tv_nsec - pr->last.tv_nsec) / 1000000;
    if (ms < 500)
        return;
    pr->last = now;
    char pct[16] = "";
    if (pr->size > 0) {
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

/* ---- the ring between the reader thread and the caller ----
 *
 * The reader (producer) takes each record from pcap_dispatch's callback,
 * applies the BPF filter, copies the bytes (libpcap reuses its buffer on
 * every read) and decodes them there (tcpsim__rp_decode: link, IP, TCP, the
 * flow hash), so the decoded segment's pointers point into the copy. The
 * caller (consumer) runs tcpsim__rp_consume on each entry in capture order.
 * One producer, one consumer: each side owns its position and publishes it
 * to the other with a release store only every BATCH entries (or before it
 * waits), so the two cores do not pass the index lines back and forth per
 * packet (from a pipe, where the next read may wait for the writer, the
 * reader publishes every entry). A side that finds nothing to do spins briefly, then sleeps on a
 * condition variable; the other side wakes it only when it has published the
 * position the sleeper waits for (the reader, when the ring is full, waits for
 * a quarter of it to be free, so it is not woken per entry).
 *
 * The ring is a fixed number of bytes: entries are variable (a header and
 * the record's bytes), 64-byte aligned so the two threads never write the same
 * cache line, never split at the end (a WRAP entry fills the rest). A record
 * larger than a quarter of the ring is not copied: its entry points into
 * libpcap's buffer and the reader waits until it has been consumed before it
 * reads on. With one thread (threads = 1) the same steps run on the calling
 * thread: read and decode a record, then consume the one AHEAD_N records back
 * (the look-ahead below has records to look at in both modes). */

/* Two threads: 4 MiB (1 MiB and 256 KiB were no faster in wall-clock; the
 * reader, woken when a quarter is free, is woken every few thousand records).
 * One thread: the caller is only AHEAD_N records behind, so 64 KiB (in L2,
 * not a stream through memory; records of up to 16 KiB are copied); also the
 * size when 4 MiB cannot be had. */
#define RING_BYTES  ((size_t)4 << 20)
#define RING_INLINE ((size_t)64 << 10)
#define ENT_ALIGN   64u
#define BATCH       32u /* entries between publications of a position */
#define SPIN        TCPSIM__SPSC_SPIN
#define STDIO_BUF   ((size_t)128 << 10)
#define AHEAD_N     8u  /* records looked at ahead of the one consumed (index entry prefetched) */
#define PF_ENTS     16u /* entries whose hot lines are asked for past the look-ahead (ring_prefetch) */
#define CONN_D      4u  /* ... of which this one also gets its connection's hot lines prefetched */

enum ent_type { ENT_REC, ENT_WRAP, ENT_END };

/* What the caller reads of nearly every entry ends at the SACK blocks
 * (ENT_HOT: two lines; the header, the decoded packet's addresses and
 * segment header, its payload's place and the option fields of struct
 * tcpsim_tcp_opts' first 16 bytes): those lines alone cross from the
 * reader's core to the caller's for a segment without SACK blocks and
 * without payload, and only they are hinted (look_ahead). */
struct ent {
    uint32_t size; /* bytes to the next entry */
    uint8_t type;  /* enum ent_type */
    bool tick;     /* redraw the progress line after this record */
    struct tcpsim_rp_pkt pk;
    off_t pos;       /* ... with this file position (-1: unknown) */
    uint8_t bytes[]; /* a TCP segment's payload (not when the record was too large: then pk points
                      * into libpcap's buffer) */
};
#define ENT_HOT offsetof(struct ent, pk.seg.opts.sack)
#define ENT_MIN ((sizeof(struct ent) + ENT_ALIGN - 1) & ~(size_t)(ENT_ALIGN - 1)) /* a record's entry at least */
_Static_assert(ENT_HOT <= 2 * ENT_ALIGN, "an entry's hot part is two lines");

#define NO_WANT TCPSIM__SPSC_NO_WANT

struct pipe {
    /* set before the reader starts, read-only after */
    uint8_t *ring;
    size_t mask; /* ring bytes - 1 (a power of two) */
    bool threaded;
    pcap_t *p;
    const struct bpf_program *prog; /* NULL: no filter */
    bool ng, progress;
    int dlt; /* libpcap's link type: one per file (it refuses pcapng interfaces of another type, C1) */
    FILE *f;
    const char *name;
    unsigned batch; /* BATCH; 1 on a pipe or terminal, where the next read may wait for the writer */

    _Atomic uint32_t *idx; /* where each entry starts (ring offset), by entry number: ring_prefetch */
    uint32_t imask;        /* its length - 1 */

    /* the reader's own */
    _Alignas(64) uint64_t wp; /* bytes written */
    uint64_t wn;              /* entries written */
    uint64_t hcache;          /* head as last read (the caller's position only grows) */
    struct tcpsim_replay *rp; /* one thread: the caller's step runs in the reader's (NULL with two) */
    struct progress *pr;
    unsigned wbatch;
    uint64_t frame;
    enum tcpsim_err rc; /* with err: how the input ended (read by the caller after ENT_END) */
    char err[1024];

    /* published positions, each on its own line */
    _Alignas(64) _Atomic uint64_t tail;      /* bytes the caller may read */
    _Atomic uint64_t tailn;                  /* ... and entries (stored before tail) */
    _Alignas(64) _Atomic uint64_t head;      /* bytes the reader may overwrite */
    _Alignas(64) _Atomic uint64_t prod_want; /* the reader sleeps until head reaches this (NO_WANT: awake) */
    _Atomic int cons_sleep;                  /* the caller sleeps until tail moves */
    pthread_mutex_t mu;
    pthread_cond_t cv;

    /* the caller's own */
    _Alignas(64) uint64_t rpos; /* bytes consumed */
    uint64_t ctail;             /* last tail seen */
    uint64_t ctailn;            /* ... its entries */
    unsigned rbatch;
    uint64_t consumed;      /* records */
    uint64_t rn;            /* entries consumed (records and WRAP entries) */
    uint64_t scan;          /* look-ahead: next entry not yet looked at */
    uint64_t scan_n;        /* entries looked at (the number of the one at scan) */
    uint64_t pf_n;          /* entries whose hot lines were asked for (prefetched) up to here */
    unsigned hq_head, hq_n; /* look-ahead: the records in [rpos, scan) */
    uint32_t hq[AHEAD_N];
    bool hq_ok[AHEAD_N];                        /* a TCP segment: the hash is valid */
    const struct ent *hq_e[AHEAD_N];            /* the entry (in the ring until consumed) */
    const struct tcpsim_rp_conn *hq_c[AHEAD_N]; /* its connection, hinted CONN_D ahead (or NULL) */
};

static inline struct ent *ent_at(const struct pipe *pp, uint64_t pos)
{
    return (struct ent *)(void *)(pp->ring + (pos & pp->mask));
}

/* Sequentially consistent store and load on both sides (with the sleeper's
 * store-then-load under the mutex, spsc.h): either the sleeper sees the new
 * position or the publisher sees the sleeper and wakes it; no wakeup is lost. */
static void publish_tail(struct pipe *pp)
{
    pp->wbatch = 0;
    /* first: read after tail, it counts at least tail's entries */
    atomic_store_explicit(&pp->tailn, pp->wn, memory_order_relaxed);
    if (!pp->threaded) {
        /* the caller's view too (same thread): its look-ahead sees every
         * record written, not only those there when it last ran dry */
        atomic_store_explicit(&pp->tail, pp->wp, memory_order_relaxed);
        pp->ctail = pp->wp;
        pp->ctailn = pp->wn;
        return;
    }
    atomic_store_explicit(&pp->tail, pp->wp, memory_order_seq_cst);
    if (atomic_load_explicit(&pp->cons_sleep, memory_order_seq_cst))
        tcpsim__spsc_wake(&pp->mu, &pp->cv);
}

static void publish_head(struct pipe *pp)
{
    pp->rbatch = 0;
    if (!pp->threaded) {
        atomic_store_explicit(&pp->head, pp->rpos, memory_order_relaxed);
        return;
    }
    atomic_store_explicit(&pp->head, pp->rpos, memory_order_seq_cst);
    uint64_t want = atomic_load_explicit(&pp->prod_want, memory_order_seq_cst);
    if (want != NO_WANT && pp->rpos >= want)
        tcpsim__spsc_wake(&pp->mu, &pp->cv);
}

/* Inlined into its loops (and into on_record, which calls it for nearly every
 * record with one thread): the registers it keeps across tcpsim__rp_consume
 * are saved once per loop or per record, not once more per call. */
#if defined(__GNUC__) || defined(__clang__)
#define CONSUME_INLINE __attribute__((always_inline)) inline
#else
#define CONSUME_INLINE inline
#endif
static CONSUME_INLINE bool consume_one(struct pipe *pp, struct tcpsim_replay *rp, struct progress *pr);

/* The reader waits until the caller has consumed up to `target`. With one
 * thread the caller's step runs here instead. */
static void prod_wait(struct pipe *pp, struct tcpsim_replay *rp, struct progress *pr, uint64_t target)
{
    publish_tail(pp);
    if (!pp->threaded) {
        while (pp->rpos < target && consume_one(pp, rp, pr))
            ;
        return;
    }
    tcpsim__spsc_wait(&pp->mu, &pp->cv, &pp->head, &pp->prod_want, target);
}

/* The entry at the write position starts there: its offset under its
 * number, for the caller's ring_prefetch (only a hint: an offset not yet
 * written, or overwritten a lap later, asks for a wrong line of the ring). */
static inline void note_entry(struct pipe *pp)
{
    atomic_store_explicit(&pp->idx[pp->wn++ & pp->imask], (uint32_t)(pp->wp & pp->mask), memory_order_relaxed);
}

/* Room for an entry of `need` bytes at the write position (after a WRAP
 * entry when the end of the ring is too close). The reader's last view of
 * the caller's position (hcache) is enough while it shows room: the shared
 * line is read again only when the ring looks full or would wrap. */
__attribute__((noinline)) static struct ent *reserve_slow(struct pipe *pp, struct tcpsim_replay *rp,
                                                          struct progress *pr, size_t need)
{
    size_t cap = pp->mask + 1;
    size_t room = cap - (pp->wp & pp->mask);
    size_t total = room < need ? room + need : need;
    pp->hcache = atomic_load_explicit(&pp->head, memory_order_acquire);
    if (cap - (pp->wp - pp->hcache) < total) {
        /* Full: wait until the entry fits and (threads) a quarter of the
         * ring is free, so the reader is not woken per entry. */
        uint64_t target = pp->wp + total - cap;
        if (pp->threaded && total < cap / 4)
            target = pp->wp + cap / 4 - cap;
        prod_wait(pp, rp, pr, target);
        pp->hcache = atomic_load_explicit(&pp->head, memory_order_acquire);
    }
    if (room < need) {
        struct ent *w = ent_at(pp, pp->wp);
        w->type = ENT_WRAP;
        w->size = (uint32_t)room;
        note_entry(pp);
        pp->wp += room;
    }
    return ent_at(pp, pp->wp);
}

static inline struct ent *reserve(struct pipe *pp, struct tcpsim_replay *rp, struct progress *pr, size_t need)
{
    size_t cap = pp->mask + 1;
    if (need <= cap - (pp->wp & pp->mask) && need <= cap - (pp->wp - pp->hcache))
        return ent_at(pp, pp->wp);
    return reserve_slow(pp, rp, pr, need);
}

static void commit(struct pipe *pp, struct ent *e, size_t size)
{
    e->size = (uint32_t)size;
    note_entry(pp);
    pp->wp += size;
    if (++pp->wbatch >= pp->batch)
        publish_tail(pp);
}

static void put_end(struct pipe *pp, struct tcpsim_replay *rp, struct progress *pr, enum tcpsim_err rc)
{
    pp->rc = rc;
    struct ent *e = reserve(pp, rp, pr, ENT_ALIGN);
    e->type = ENT_END;
    commit(pp, e, ENT_ALIGN);
    publish_tail(pp);
}

/* The reader's step for one record, called back by libpcap (pcap_dispatch:
 * one call into libpcap for the file instead of pcap_next_ex per record):
 * filter, copy and decode the record into the ring. With one thread the
 * caller's step follows here, AHEAD_N records behind. */
static void on_record(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct pipe *pp = (struct pipe *)(void *)user;
    uint64_t frame = ++pp->frame;
    size_t need = (sizeof(struct ent) + h->caplen + ENT_ALIGN - 1) & ~(size_t)(ENT_ALIGN - 1);
    bool by_ref = need > (pp->mask + 1) / 4;
    if (by_ref)
        need = (sizeof(struct ent) + ENT_ALIGN - 1) & ~(size_t)(ENT_ALIGN - 1);
    struct ent *e = reserve(pp, pp->rp, pp->pr, need);
    e->type = ENT_REC;
    /* Decoded from libpcap's buffer: after tcpsim__rp_decode the caller reads
     * no byte of the record but a TCP segment's payload (addresses, header
     * and options are in e->pk), so only the payload is copied into the ring
     * (none for the many records without one) and the entry is only as long
     * as that (reserved for the whole record, as decoding cannot come first). */
    tcpsim__rp_decode(pp->dlt, data, h->caplen, &e->pk);
    if (!by_ref) {
        size_t plen = 0;
        if (e->pk.kind == TCPSIM_RP_K_TCP) {
            plen = e->pk.seg.payload_len;
            if (plen)
                memcpy(e->bytes, e->pk.seg.payload, plen);
            e->pk.seg.payload = e->bytes;
        }
        need = (sizeof(struct ent) + plen + ENT_ALIGN - 1) & ~(size_t)(ENT_ALIGN - 1);
    }
    e->pk.frame = frame;
    e->pk.ts = (tcpsim_ns_t)h->ts.tv_sec * 1000000000u + (tcpsim_ns_t)h->ts.tv_usec;
    e->pk.hidden = false;
    e->tick = false;
    e->pos = -1;
    if (pp->prog || pp->progress) { /* a filter or a progress line: one test for both on the common path */
        e->pk.hidden = pp->prog && !pcap_offline_filter(pp->prog, h, data);
        e->tick = pp->progress && (frame & 0xffff) == 0;
        if (e->tick && pp->f)
            e->pos = ftello(pp->f);
    }
    commit(pp, e, need);
    if (by_ref) /* libpcap's buffer must stay until the entry is consumed */
        prod_wait(pp, pp->rp, pp->pr, pp->wp);
    if (!pp->threaded) {
        publish_tail(pp);
        while (pp->frame - pp->consumed > AHEAD_N)
            consume_one(pp, pp->rp, pp->pr);
    }
}

/* The reader: every record of the input through on_record, then an ENT_END
 * entry saying how the input ended. pcap_dispatch on a capture file returns
 * the number of records it handed over, 0 at the end of the file, and
 * PCAP_ERROR on damage (the records before it have been handed over). */
static void produce_all(struct pipe *pp)
{
    for (;;) {
        int r = pcap_dispatch(pp->p, -1, on_record, (u_char *)pp);
        if (r > 0)
            continue;
        if (r == 0) {
            put_end(pp, pp->rp, pp->pr, TCPSIM_OK); /* end of file */
            return;
        }
        /* The record after the last good one is damaged, or (C1) libpcap
         * cannot go on: it reads pcapng files whose interfaces all have
         * one link type only (no per-packet link type in its API). */
        const char *pe = pcap_geterr(pp->p);
        if (strstr(pe, "different from the type of the first interface"))
            snprintf(pp->err, sizeof pp->err,
                     "%s: frame %llu: unsupported: this pcapng file has interfaces with different link types, "
                     "which libpcap cannot read (frames before it were replayed; split it per interface, "
                     "e.g. tshark -r FILE -Y 'frame.interface_id == 0' -w part.pcapng); libpcap: %s",
                     pp->name, (unsigned long long)(pp->frame + 1), pe);
        else
            snprintf(pp->err, sizeof pp->err, "%s: frame %llu: damaged or truncated %s: %s", pp->name,
                     (unsigned long long)(pp->frame + 1),
                     pp->ng ? "pcapng block (expected a complete block; or a feature libpcap cannot read, such as a "
                              "second section in the other byte order)"
                            : "record (expected a complete pcap record)",
                     pe);
        put_end(pp, pp->rp, pp->pr, TCPSIM_ERR_MALFORMED);
        return;
    }
}

static void *reader_main(void *arg)
{
    produce_all(arg);
    return NULL;
}

/* The hot lines of the PF_ENTS entries past the look-ahead, found by their
 * numbers in pp->idx: the look-ahead finds each entry from the size of the
 * one before, so without this each entry's first line is a wait on a line the
 * reader's core wrote. Only those two lines of an entry are asked for: not the
 * rest of its header, nor its payload, which only a TLS connection's decoder
 * reads (tcpsim__flow_prefetch_tls asks for that one record ahead). Only
 * entries already published (ctailn) are asked for, so the two cores do not
 * pass a line the reader is still writing back and forth. */
static inline void ring_prefetch(struct pipe *pp)
{
    uint64_t lim = pp->scan_n + PF_ENTS;
    if (lim > pp->ctailn)
        lim = pp->ctailn;
    if (pp->pf_n < pp->scan_n)
        pp->pf_n = pp->scan_n;
    for (; pp->pf_n < lim; pp->pf_n++) {
        const uint8_t *e = pp->ring + atomic_load_explicit(&pp->idx[pp->pf_n & pp->imask], memory_order_relaxed);
        TCPSIM__PREFETCH_R(e);
        TCPSIM__PREFETCH_R(e + 64);
    }
}

/* Cache hints: the flow index entries of the next AHEAD_N records, the
 * connection of the one CONN_D ahead (its index entry fetched by now; or the
 * slot a new connection will take), and for the next one the lines of its
 * connection a handshake or close segment touches and those of its TLS
 * decoder (flow.h). With one thread
 * the caller's view of the tail follows every record written (publish_tail),
 * so the look-ahead sees AHEAD_N records there too. */
static void look_ahead(struct pipe *pp, const struct tcpsim_replay *rp)
{
    while (pp->hq_n < AHEAD_N && pp->scan < pp->ctail) {
        const struct ent *e = ent_at(pp, pp->scan);
        if (e->type == ENT_END)
            break;
        pp->scan += e->size;
        pp->scan_n++;
        if (e->type == ENT_WRAP)
            continue;
        /* the rest of the entry's hot part, written by the other core */
        for (size_t off = 64; off < ENT_HOT; off += 64)
            TCPSIM__PREFETCH_R((const char *)e + off);
        unsigned i = (pp->hq_head + pp->hq_n++) % AHEAD_N;
        pp->hq_ok[i] = e->pk.kind == TCPSIM_RP_K_TCP;
        pp->hq[i] = e->pk.hash;
        pp->hq_e[i] = e;
        pp->hq_c[i] = NULL;
        if (pp->hq_ok[i])
            tcpsim__flow_prefetch_index(&rp->ft, e->pk.hash); /* (inline: flow.h) */
    }
    if (pp->hq_n > CONN_D) {
        unsigned i = (pp->hq_head + CONN_D) % AHEAD_N;
        if (pp->hq_ok[i]) {
            pp->hq_c[i] = tcpsim__flow_prefetch_conn(&rp->ft, pp->hq[i]);
            if (!pp->hq_c[i] && (pp->hq_e[i]->pk.seg.flags & (TCPSIM_SYN | TCPSIM_ACK)) == TCPSIM_SYN)
                (void)tcpsim__flow_prefetch_fresh(&rp->ft); /* a new connection, probably */
        }
    }
    ring_prefetch(pp);
    /* the next record: the lines of its connection a handshake or close
     * segment touches too (its flags are in the entry's second line, asked
     * for when it was looked at first) */
    if (pp->hq_n > 0 && pp->hq_c[pp->hq_head]) {
        const struct ent *e = pp->hq_e[pp->hq_head];
        tcpsim__flow_prefetch_warm(pp->hq_c[pp->hq_head], e->pk.seg.flags);
        /* and its TLS decoder's lines and the payload the decoder reads */
        tcpsim__flow_prefetch_tls(pp->hq_c[pp->hq_head], &e->pk.seg);
    }
}

/* The caller found no new entry after reading the tail again (two threads):
 * spin a while, then sleep until the reader publishes more. Out of line, so
 * that the step for an entry already there keeps few registers. */
__attribute__((noinline, cold)) static void consume_wait(struct pipe *pp)
{
    publish_head(pp);
    for (int i = 0; i < SPIN && pp->rpos == pp->ctail; i++) {
        tcpsim__spsc_relax();
        pp->ctail = atomic_load_explicit(&pp->tail, memory_order_acquire);
        pp->ctailn = atomic_load_explicit(&pp->tailn, memory_order_relaxed);
    }
    if (pp->rpos == pp->ctail) {
        pthread_mutex_lock(&pp->mu);
        atomic_store_explicit(&pp->cons_sleep, 1, memory_order_seq_cst);
        while ((pp->ctail = atomic_load_explicit(&pp->tail, memory_order_seq_cst)) == pp->rpos)
            pthread_cond_wait(&pp->cv, &pp->mu);
        pp->ctailn = atomic_load_explicit(&pp->tailn, memory_order_relaxed);
        atomic_store_explicit(&pp->cons_sleep, 0, memory_order_relaxed);
        pthread_mutex_unlock(&pp->mu);
    }
}

/* The caller's step: consume the next entry. False after ENT_END. With one
 * thread it is called only when an entry is there. */
static CONSUME_INLINE bool consume_one(struct pipe *pp, struct tcpsim_replay *rp, struct progress *pr)
{
    for (;;) {
        if (pp->rpos == pp->ctail) {
            pp->ctail = atomic_load_explicit(&pp->tail, memory_order_acquire);
            pp->ctailn = atomic_load_explicit(&pp->tailn, memory_order_relaxed);
            if (pp->rpos == pp->ctail) {
                if (!pp->threaded)
                    return true; /* nothing written yet */
                consume_wait(pp);
            }
        }
        struct ent *e = ent_at(pp, pp->rpos);
        switch ((enum ent_type)e->type) {
        case ENT_WRAP:
            pp->rpos += e->size;
            pp->rn++;
            continue;
        case ENT_END:
            pp->rpos += e->size;
            publish_head(pp);
            return false;
        case ENT_REC:
            break;
        }
        if (pp->scan > pp->rpos) { /* looked at already: the oldest in the queue */
            pp->hq_head = (pp->hq_head + 1) % AHEAD_N;
            pp->hq_n--;
        } else {
            pp->scan = pp->rpos + e->size;
            pp->scan_n = pp->rn + 1;
        }
        look_ahead(pp, rp);
        tcpsim__rp_consume(rp, &e->pk);
        if (e->tick)
            progress_tick(pr, rp, e->pk.frame, e->pos);
        pp->rpos += e->size;
        pp->rn++;
        pp->consumed++;
        if (!pp->threaded) /* publish_head's one-thread case, inline: every entry */
            atomic_store_explicit(&pp->head, pp->rpos, memory_order_relaxed);
        else if (++pp->rbatch >= BATCH)
            publish_head(pp);
        return true;
    }
}

/* Both steps on the calling thread, the caller AHEAD_N records behind. */
static void run_inline(struct pipe *pp, struct tcpsim_replay *rp, struct progress *pr)
{
    pp->rp = rp;
    pp->pr = pr;
    produce_all(pp);
    while (consume_one(pp, rp, pr))
        ;
}

/* libpcap reads each record with two freads, and stdio takes the stream's
 * lock around each (an atomic pair per fread once a second thread exists).
 * Only one thread at a time uses the stream while the capture is read (the
 * reader; the caller before it starts and after it is joined), and
 * pcap_close closes it, so the locking can go where the C library lets the
 * caller take it over. */
static void stream_unlocked(FILE *f)
{
#ifdef HAVE_FSETLOCKING
    (void)__fsetlocking(f, FSETLOCKING_BYCALLER);
#else
    (void)f;
#endif
}

enum tcpsim_err tcpsim_replay_read(struct tcpsim_replay *rp, const struct tcpsim_replay_input *in, char *errbuf,
                                   size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE] = "";
    const char *name = in->path ? in->path : "-";
    /* A file we open gets a 128 KiB stdio buffer: libpcap reads each record
     * with two small freads, and the default 4 KiB buffer means a read(2)
     * every few records; 128 KiB stays in the core's L2 cache between the
     * kernel's copy into it and libpcap's copy out of it (the bare read loop,
     * bench/pcap-loop.c, is ~15% faster with it than with 1 MiB: 113 against
     * 135 ms best of nine on 1.42M records, 64 KiB 116, 256 KiB 132).
     * Not stdin, which pcap_close leaves open (the buffer, freed on return,
     * would stay installed in it for the caller's next read), nor the
     * caller's in->fp, which may have been read from already (setvbuf would
     * drop what its buffer holds: on a pipe, lost). */
    FILE *f = in->fp;
    if (!f)
        f = !strcmp(name, "-") ? stdin : fopen(name, "rb");
    char *iobuf = f && !in->fp && f != stdin ? malloc(STDIO_BUF) : NULL;
    if (iobuf && setvbuf(f, iobuf, _IOFBF, STDIO_BUF) != 0) {
        free(iobuf);
        iobuf = NULL;
    }
    if (f && f != stdin) /* stdin outlives the read: its locking stays the C library's */
        stream_unlocked(f);
    pcap_t *p = f ? pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, perr) : NULL;
    if (!p) {
        if (f && f != stdin)
            fclose(f); /* ours either way: libpcap would have closed it */
        free(iobuf);
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
    struct bpf_program prog;
    bool have_filter = false;
    if (in->filter && *in->filter) {
        if (pcap_compile(p, &prog, in->filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
            snprintf(errbuf, errlen, "%s: bad filter '%s': %s", name, in->filter, pcap_geterr(p));
            pcap_close(p);
            free(iobuf);
            return TCPSIM_ERR_INVALID;
        }
        have_filter = true;
        tcpsim_replay_filter_view(rp);
    }
    struct pipe *pp = aligned_alloc(64, sizeof *pp);
    size_t cap = rp->cfg.threads == 1 ? RING_INLINE : RING_BYTES;
    if (rp->cfg.ring_bytes >= 4096 && !(rp->cfg.ring_bytes & (rp->cfg.ring_bytes - 1)))
        cap = rp->cfg.ring_bytes;
    uint8_t *ring = pp ? tcpsim__alloc_large(cap, ENT_ALIGN) : NULL;
    if (pp && !ring)
        ring = aligned_alloc(ENT_ALIGN, cap = RING_INLINE);
    /* an entry's number to its offset (a power of two of them): a record's
     * entry is at least ENT_MIN bytes, so the entries in the ring at once fit */
    size_t nidx = 1;
    while (nidx * ENT_MIN < cap)
        nidx <<= 1;
    _Atomic uint32_t *idx = ring ? calloc(nidx, sizeof *idx) : NULL;
    if (!idx) {
        snprintf(errbuf, errlen, "%s: out of memory for the read buffer", name);
        free(ring);
        free(pp);
        if (have_filter)
            pcap_freecode(&prog);
        pcap_close(p);
        free(iobuf);
        return TCPSIM_ERR_NOMEM;
    }
    memset(pp, 0, sizeof *pp);
    pp->ring = ring;
    pp->mask = cap - 1;
    pp->idx = idx;
    pp->imask = (uint32_t)(nidx - 1);
    pp->p = p;
    pp->prog = have_filter ? &prog : NULL;
    pp->ng = is_pcapng(in, name);
    pp->dlt = pcap_datalink(p);
    pp->progress = in->progress;
    pp->f = pcap_file(p);
    pp->name = name;
    struct stat st;
    pp->batch = pp->f && fstat(fileno(pp->f), &st) == 0 && S_ISREG(st.st_mode) ? BATCH : 1;
    atomic_init(&pp->tail, 0);
    atomic_init(&pp->head, 0);
    atomic_init(&pp->prod_want, NO_WANT);
    atomic_init(&pp->cons_sleep, 0);
    struct progress pr;
    progress_init(&pr, in, name, pp->f);
    pthread_t th;
    pp->threaded = rp->cfg.threads != 1 && pthread_mutex_init(&pp->mu, NULL) == 0;
    if (pp->threaded && pthread_cond_init(&pp->cv, NULL) != 0) {
        pthread_mutex_destroy(&pp->mu);
        pp->threaded = false;
    }
    if (pp->threaded && pthread_create(&th, NULL, reader_main, pp) != 0) {
        pthread_cond_destroy(&pp->cv);
        pthread_mutex_destroy(&pp->mu);
        pp->threaded = false; /* no thread to be had: the same steps here */
    }
    if (pp->threaded) {
        /* the new pages of the flow table and the TLS decoders made off
         * this thread too (wire/mem.h) */
        bool pf = tcpsim__prefault_allowed();
        tcpsim__prefault_allow(true);
        while (consume_one(pp, rp, &pr))
            ;
        tcpsim__prefault_allow(pf);
        pthread_join(th, NULL);
        pthread_cond_destroy(&pp->cv);
        pthread_mutex_destroy(&pp->mu);
    } else {
        run_inline(pp, rp, &pr);
    }
    /* every record read is replayed, also before damage */
    enum tcpsim_err rc = pp->rc;
    if (rc != TCPSIM_OK)
        snprintf(errbuf, errlen, "%s", pp->err);
    progress_done(&pr);
    free(pp->ring);
    free((void *)pp->idx);
    free(pp);
    if (have_filter)
        pcap_freecode(&prog);
    /* libpcap owns a FILE given to pcap_fopen_offline: pcap_close closes it
     * (all but stdin), then the buffer of one we opened can go. */
    pcap_close(p);
    free(iobuf);
    tcpsim_replay_finish(rp);
    return rc;
}
