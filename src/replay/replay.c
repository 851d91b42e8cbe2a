/* replay.c - the per-packet path of the replayer: decode (link, IP, TCP through
 * src/wire), find or create the connection (Wireshark's tcp.stream numbering and
 * port-reuse rule), analyse, observe with two RFC 9293 endpoints, hand the
 * segment to the views, expire idle connections. No allocation per packet.
 * Read first: docs/replay-json.md, RFC 9293 §3.4 (ISN, relative numbers),
 * RFC 7323 §2.3 (window scale applies from the first non-SYN segment). */
#include "replay/analysis_fast.h"
#include "replay/replay_priv.h"
#include "tcpsim/reader.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void tcpsim_replay_cfg_default(struct tcpsim_replay_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->max_conns = 1u << 20;
    cfg->observe = true;
    cfg->tls = true;
    cfg->threads = 2;
}

struct tcpsim_replay *tcpsim_replay_new(const struct tcpsim_replay_cfg *cfg)
{
    struct tcpsim_replay *rp = calloc(1, sizeof *rp);
    if (!rp)
        return NULL;
    rp->cfg = *cfg;
    rp->fifo.base = 1;
    rp->fifo.seg_head = cfg->h.seg_head;
    rp->fifo.rmax = RETRO_MAX;
    if (!cfg->h.seg_head || !cfg->h.ref_done || !cfg->h.ref_wait || !cfg->h.summary)
        rp->cfg.h.segment_ref = NULL; /* by reference only as handler.segment_ref says */
    if (!rp->cfg.h.segment_ref || !cfg->h.tls_items_unread)
        rp->cfg.h.segment_jref = NULL; /* the compact form holds the segment's head and the TLS JSON only */
    if (rp->cfg.max_conns == 0 || rp->cfg.max_conns > UINT32_MAX / 2)
        rp->cfg.max_conns = 1u << 20;
    if (!tcpsim__flow_init(&rp->ft, (uint32_t)rp->cfg.max_conns)) {
        free(rp);
        return NULL;
    }
    return rp;
}

/* ---- the output FIFO (B1) ---- */

static struct hold_hdr *held_at(struct hold_fifo *f, uint64_t num)
{
    return f->idx[(f->head + (size_t)(num - f->base)) & (f->cap - 1)];
}

static struct tcpsim_rp_event *held_ev(struct held *h)
{
    return (struct tcpsim_rp_event *)(void *)((unsigned char *)(h + 1) + ((h->seg_len + 15u) & ~15u));
}

static struct jtls *jheld_tls(struct jheld *h)
{
    return (struct jtls *)(void *)(h + 1);
}

static struct tcpsim_rp_jev *jheld_ev(struct jheld *h)
{
    return (struct tcpsim_rp_jev *)(void *)((unsigned char *)(h + 1) +
                                            (h->hd.compact == HOLD_JTLS ? sizeof(struct jtls) : 0u));
}

/* A held record's frame and time, in either form. */
static inline uint64_t hd_frame(const struct hold_hdr *hd)
{
    return hd->compact ? ((const struct jheld *)(const void *)hd)->j.frame
                       : ((const struct held *)(const void *)hd)->s.frame;
}

static inline tcpsim_ns_t hd_time(const struct hold_hdr *hd)
{
    return hd->compact ? ((const struct jheld *)(const void *)hd)->j.time
                       : ((const struct held *)(const void *)hd)->s.time;
}

/* A segment packed, in one of two forms (a third below for a view that
 * reads only the head); the payload is not kept. Short (no unknown option
 * and a layout of at most SEG_SHORT_LAYOUT kinds: every common option set):
 * the struct up to the option layout's first SEG_SHORT_LAYOUT bytes (the
 * payload length and every other option field come before it), a fixed
 * size copied with constant moves. Whole: the struct as it is. The layout
 * relied on is checked here, so that a field added to struct
 * tcpsim_segment breaks the build instead of being lost. */
#define SEG_OFF(f) offsetof(struct tcpsim_segment, f)
#define SEG_END(f) (SEG_OFF(f) + sizeof(((struct tcpsim_segment *)0)->f))
_Static_assert(SEG_END(payload) == SEG_OFF(payload_len) && SEG_END(payload_len) <= SEG_OFF(opts) &&
                   SEG_OFF(opts.unknown_len) < SEG_OFF(opts.layout) && SEG_END(opts.sack) <= SEG_OFF(opts.layout) &&
                   SEG_END(opts.layout) == SEG_OFF(opts.unknown) &&
                   sizeof(struct tcpsim_segment) - SEG_END(opts.unknown) < _Alignof(struct tcpsim_segment),
               "tcpsim__rp_hold_seg_pack follows this field order");
#define SEG_SHORT_LAYOUT 16u
#define SEG_SHORT        (SEG_OFF(opts.layout) + SEG_SHORT_LAYOUT)
#define SEG_MAX          sizeof(struct tcpsim_segment)
_Static_assert(SEG_SHORT < SEG_MAX && SEG_MAX <= HOLD_SEG_MAX, "HOLD_SEG_MAX covers a packed segment");

static inline size_t hold_seg_size(const struct tcpsim_segment *seg)
{
    return seg->opts.unknown_len == 0 && seg->opts.layout_len <= SEG_SHORT_LAYOUT ? SEG_SHORT : SEG_MAX;
}

/* A third form for a view that reads only the segment's first bytes
 * (handler.seg_head, the JSON view): those bytes alone. */
#define SEG_HEAD_ONLY TCPSIM_RP_SEG_HEAD
_Static_assert(SEG_HEAD_ONLY < SEG_SHORT && SEG_HEAD_ONLY % 8u == 0, "the head form is told apart by its size");

static inline size_t held_seg_size(const struct hold_fifo *f, const struct tcpsim_segment *seg)
{
    return f->seg_head ? SEG_HEAD_ONLY : hold_seg_size(seg);
}

static inline void hold_seg_pack(unsigned char *p, const struct tcpsim_segment *seg, size_t n)
{
    if (n == SEG_HEAD_ONLY) {
        memcpy(p, seg, SEG_HEAD_ONLY);
    } else if (n == SEG_SHORT) {
        memcpy(p, seg, SEG_SHORT);
    } else {
        memcpy(p, seg, SEG_MAX);
    }
}

static inline void hold_seg_unpack(struct tcpsim_segment *seg, const unsigned char *p, size_t n)
{
    if (n == SEG_HEAD_ONLY) {
        memcpy(seg, p, SEG_HEAD_ONLY); /* the rest is unspecified for that view */
        return;
    }
    if (n == SEG_SHORT)
        memcpy(seg, p, SEG_SHORT); /* unknown_len (0) included, unknown[] not read */
    else
        memcpy(seg, p, SEG_MAX);
    seg->payload = NULL;
}

size_t tcpsim__rp_hold_seg_pack(unsigned char *p, const struct tcpsim_segment *seg)
{
    size_t n = hold_seg_size(seg);
    hold_seg_pack(p, seg, n);
    return n;
}

void tcpsim__rp_hold_seg_unpack(struct tcpsim_segment *seg, const unsigned char *p, size_t n)
{
    hold_seg_unpack(seg, p, n);
}

static bool has_held(const struct hold_fifo *f, const struct tcpsim_rp_conn *c)
{
    return c->held_last >= f->base;
}

/* What the observer learned late, on one held record h (a correction r of
 * its connection): the walk below and retro_take do this to each record. */
static inline void retro_one(struct hold_hdr *hd, const struct tcpsim_rp_retro *r)
{
    if (hd->compact) {
        struct jheld *h = (struct jheld *)(void *)hd;
        uint8_t *col = r->side == TCPSIM_SIDE_SERVER ? &h->j.server_state : &h->j.client_state;
        if (h->j.frame < r->frame) {
            if (r->patch_before)
                *col = (uint8_t)r->before;
            return;
        }
        *col = (uint8_t)r->after;
        if (h->j.frame == r->frame)
            for (size_t e = 0, n = h->j.bits >> TCPSIM_RP_J_NEV; e < r->nev && n < hd->ev_cap; e++, n++) {
                jheld_ev(h)[n] = tcpsim_rp_jev_of(&r->ev[e]);
                h->j.bits = (uint8_t)(h->j.bits + (1u << TCPSIM_RP_J_NEV));
            }
        return;
    }
    struct held *h = (struct held *)(void *)hd;
    enum tcpsim_tcp_state *col = r->side == TCPSIM_SIDE_SERVER ? &h->s.server_state : &h->s.client_state;
    if (h->s.frame < r->frame) {
        if (r->patch_before)
            *col = r->before;
        return;
    }
    *col = r->after;
    if (h->s.frame == r->frame)
        for (size_t e = 0; e < r->nev && h->s.nevents < hd->ev_cap; e++)
            held_ev(h)[h->s.nevents++] = r->ev[e];
}

/* A correction applied at once to the connection's held records numbered up
 * to `upto`: newest first along its chain, stopping as soon as the records
 * are older than `frame` with nothing to set there (frames grow along the
 * FIFO: a record of `frame` has only older ones before it). */
static void retro_walk(struct hold_fifo *f, const struct tcpsim_rp_conn *c, const struct tcpsim_rp_retro *r,
                       uint64_t upto)
{
    for (uint64_t num = c->held_last; num >= f->base;) {
        struct hold_hdr *h = held_at(f, num);
        uint64_t prev = h->prev;
        if (num <= upto) {
            const uint64_t frame = hd_frame(h);
            if (frame < r->frame && !r->patch_before)
                break;
            retro_one(h, r);
            if (frame == r->frame && !r->patch_before)
                break;
        }
        num = prev;
    }
}

/* Corrections are not walked to their records when they are learned (each
 * record written long before, out of the cache, its chain's loads waiting on
 * each other): they wait in fifo.rent, in order per connection, and a record
 * takes those of its connection when it is written (retro_take), where its
 * lines are read anyway. A correction reaches exactly the records the walk
 * would: those held when it was learned (numbered up to `upto`), each as
 * retro_one says, in the order learned. */
static void retro_pop(struct hold_fifo *f, uint32_t slot)
{
    uint32_t i = f->rslot[slot] - 1u;
    f->rslot[slot] = f->rent[i].next;
    f->rstack[f->rfree++] = i;
    f->rlive--;
}

/* Every waiting correction applied by the walk, oldest first per connection
 * (those of different connections reach different records), and dropped. */
static void retro_flush(struct tcpsim_replay *rp)
{
    struct hold_fifo *f = &rp->fifo;
    for (uint32_t s = 0; s < f->rslot_n && f->rlive; s++)
        while (f->rslot[s]) {
            const struct retro_ent *e = &f->rent[f->rslot[s] - 1u];
            retro_walk(f, tcpsim__flow_conn(&rp->ft, s), &e->r, e->upto);
            retro_pop(f, s);
        }
}

/* Room in fifo.rent and beside the slots for one more correction of `slot`:
 * false when memory is short (the caller walks it at once, after the
 * others). The free entries are a stack of indices (fifo.rstack), and each
 * slot's last entry is beside its first (fifo.rtail): taking an entry and
 * linking it reads none of the entries, written long before. */
static bool retro_room(struct tcpsim_replay *rp, uint32_t slot)
{
    struct hold_fifo *f = &rp->fifo;
    if (slot >= f->rslot_n) {
        size_t n = f->rslot_n ? f->rslot_n : 1024;
        while (n <= slot)
            n *= 2;
        uint32_t *ns = realloc(f->rslot, 2 * n * sizeof *ns);
        if (!ns)
            return false;
        /* [0, n): first entries; [n, 2n): last entries */
        memmove(ns + n, ns + f->rslot_n, f->rslot_n * sizeof *ns);
        memset(ns + f->rslot_n, 0, (n - f->rslot_n) * sizeof *ns);
        f->rslot = ns;
        f->rtail = ns + n;
        f->rslot_n = n;
    }
    if (f->rfree)
        return true;
    if (f->rcap >= f->rmax) {
        retro_flush(rp);
        return f->rfree != 0;
    }
    size_t n = f->rcap ? f->rcap * 2 : 256;
    if (n > f->rmax)
        n = f->rmax;
    struct retro_ent *ne = realloc(f->rent, n * sizeof *ne);
    if (!ne)
        return false;
    f->rent = ne;
    uint32_t *st = realloc(f->rstack, n * sizeof *st);
    if (!st)
        return false; /* (rent is larger, its new entries unused: rcap stays) */
    f->rstack = st;
    for (size_t i = n; i > f->rcap; i--) /* the new entries, the first on top */
        st[f->rfree++] = (uint32_t)(i - 1u);
    f->rcap = n;
    return true;
}

/* Apply what the observer learned late to the held records of connection c
 * (in `slot`): kept for when they are written, or walked at once (the
 * tests' fifo.retro_now, or no memory: the ones waiting first). */
static void apply_retro(struct tcpsim_replay *rp, const struct tcpsim_rp_conn *c, uint32_t slot,
                        const struct tcpsim_rp_retro *r)
{
    struct hold_fifo *f = &rp->fifo;
    if (!r->set || !has_held(f, c))
        return;
    if (f->retro_now || !retro_room(rp, slot)) {
        retro_flush(rp);
        retro_walk(f, c, r, UINT64_MAX);
        return;
    }
    uint32_t i = f->rstack[--f->rfree];
    struct retro_ent *e = &f->rent[i];
    e->r = *r;
    e->upto = c->held_last;
    e->next = 0;
    if (f->rslot[slot])
        f->rent[f->rtail[slot] - 1u].next = i + 1u;
    else
        f->rslot[slot] = i + 1u;
    f->rtail[slot] = i + 1u;
    f->rlive++;
}

/* The waiting corrections of the record h (number fifo.base, the head) on
 * it, in the order learned; those that reach no later record dropped. (Each
 * is dropped here by the record numbered `upto`, its connection's newest
 * when it was learned, held then: a slot's list is its connection's only.) */
static inline void retro_take(struct hold_fifo *f, struct hold_hdr *h)
{
    const uint32_t slot = h->slot;
    if (!f->rlive || slot >= f->rslot_n || !f->rslot[slot])
        return;
    const uint64_t num = f->base;
    for (uint32_t i = f->rslot[slot]; i; i = f->rent[i - 1u].next)
        retro_one(h, &f->rent[i - 1u].r);
    while (f->rslot[slot] && f->rent[f->rslot[slot] - 1u].upto <= num)
        retro_pop(f, slot);
}

/* Whether the connection in `slot` has a question open, as pump reads it:
 * tcpsim__rp_obs_unresolved of the connection, kept in the slot's byte of
 * the flow table (flow.h, tcpsim__flow_mark) where it changes (process_tcp
 * for the packet's connection, resolve_at; a slot handed out has 0), so that
 * the head of the FIFO is tested without its connection's lines (perf: that
 * load was a seventh of process_tcp's samples in the JSON view). Builds
 * without NDEBUG (the sanitizer build of CI) assert that the two agree
 * wherever the mark is read. */
static inline void mark_open(struct tcpsim_replay *rp, uint32_t slot, const struct tcpsim_rp_conn *c)
{
    *tcpsim__flow_mark(&rp->ft, slot) = tcpsim__rp_obs_unresolved(c);
}

/* The connection's open questions decided now (`slot`: its slot). */
static inline void resolve_at(struct tcpsim_replay *rp, struct tcpsim_rp_conn *c, uint32_t slot)
{
    struct tcpsim_rp_retro r;
    while (tcpsim__rp_obs_unresolved(c)) {
        tcpsim__rp_obs_resolve(c, &r);
        apply_retro(rp, c, slot, &r);
    }
    *tcpsim__flow_mark(&rp->ft, slot) = 0;
}

/* Records held HOLD_PF ahead of the head get their first lines hinted as
 * the head is written: a held record was written long before (the FIFO
 * holds up to tens of thousands, megabytes, while a SYN waits for its
 * answer), and writing it reads and updates its lines; and so are the
 * corrections waiting for its connection (retro_take), found by its slot
 * (fifo.qslot: beside the index, not in the record, whose lines are only
 * on their way). (Hinting the connection of one with an open question too
 * measured no faster: the hints already in flight are the limit.) */
#define HOLD_PF 6u

/* A held record's TLS parts, in the ring, pointed at again (emit_head). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static void
held_tls_point(struct hold_fifo *f, struct held *h)
{
    uint8_t *b = f->ring + h->tls_off;
    struct tcpsim_tl_tls *it = (struct tcpsim_tl_tls *)(void *)b;
    struct tcpsim_tls_explain *why = (struct tcpsim_tls_explain *)(void *)(b + h->s.ntls * sizeof *it);
    char *json = (char *)(why + h->s.ntls);
    char *ex = json + h->s.tls_json_len + h->s.tls_errors_len;
    h->s.tls_errors_json = json + h->s.tls_json_len;
    for (size_t i = 0; i < h->s.ntls; i++) {
        it[i].explain = ex;
        ex += strlen(ex) + 1;
        for (int k = 0; k < 3; k++) {
            why[i].s[k] = ex;
            ex += strlen(ex) + 1;
        }
        it[i].why = why[i].id != TCPSIM_TLS_X_NONE ? &why[i] : NULL;
    }
    h->s.tls = it;
    h->s.tls_json = json;
}

/* Write the oldest held record, deciding its connection's question first
 * when the record may depend on it. Inlined in pump, which writes nearly
 * every record (emit_head below for the other callers), its TLS parts out
 * of line. A view with segment_ref reads the record where it is (no
 * unpacked copy of the segment): its block is not used again until the view
 * lets go of it (block_ready). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((always_inline))
#endif
static inline void
emit_head_in(struct tcpsim_replay *rp)
{
    struct hold_fifo *f = &rp->fifo;
    struct hold_hdr *hd = f->idx[f->head];
    if (f->len > HOLD_PF) {
        const size_t i = (f->head + HOLD_PF) & (f->cap - 1);
        const unsigned char *n = (const unsigned char *)f->idx[i];
        TCPSIM__PREFETCH(n);
        TCPSIM__PREFETCH(n + 64);
        if (!rp->cfg.h.segment_jref) { /* a full record is four lines; a compact one
                                        * (nearly every one where they are made) one or two */
            TCPSIM__PREFETCH(n + 128);
            TCPSIM__PREFETCH(n + 192);
        }
        const uint32_t slot = f->qslot[i];
        if (slot < f->rslot_n) /* its slot's waiting corrections, in two steps */
            TCPSIM__PREFETCH(&f->rslot[slot]);
        const uint32_t s3 = f->qslot[(f->head + HOLD_PF / 2u) & (f->cap - 1)];
        if (f->rlive && s3 < f->rslot_n && f->rslot[s3]) {
            const unsigned char *e = (const unsigned char *)&f->rent[f->rslot[s3] - 1u];
            TCPSIM__PREFETCH(e);
            TCPSIM__PREFETCH(e + 64);
        }
    }
    struct tcpsim_rp_conn *c = tcpsim__flow_conn(&rp->ft, hd->slot);
    assert(!hd->open || *tcpsim__flow_mark(&rp->ft, hd->slot) == tcpsim__rp_obs_unresolved(c));
    if (hd->open && *tcpsim__flow_mark(&rp->ft, hd->slot)) /* (the mark: not c's lines, mark_open) */
        resolve_at(rp, c, hd->slot);
    retro_take(f, hd);
    uint64_t pos;
    struct held *h = (struct held *)(void *)hd;
    uint32_t tls_off = 0, tls_len = 0; /* its room in the TLS ring, freed now */
    if (hd->compact) {
        struct jheld *jh = (struct jheld *)(void *)hd;
        struct tcpsim_rp_tlsparts t, *tp = NULL;
        if (hd->compact == HOLD_JTLS) {
            const struct jtls *jt = jheld_tls(jh);
            const char *b = (const char *)(jheld_ev(jh) + hd->ev_cap);
            t = (struct tcpsim_rp_tlsparts){b, jt->json_len, b + jt->json_len, jt->err_len, jt->dropped};
            tp = &t;
            tls_off = jt->off;
            tls_len = jt->len;
        }
        if (rp->cfg.h.segment_jref(rp->cfg.h.ctx, &jh->j, jheld_ev(jh), tp, &pos))
            f->ref_last = pos;
    } else if (rp->cfg.h.segment_ref && h->seg_len == SEG_HEAD_ONLY && !h->tls_len) {
        /* by reference: the view reads the record where it is, the
         * segment's first bytes included (all a seg_head view reads) */
        h->s.seg = (const struct tcpsim_segment *)(const void *)(h + 1);
        if (rp->cfg.h.segment_ref(rp->cfg.h.ctx, c, &h->s, &pos))
            f->ref_last = pos;
    } else {
        hold_seg_unpack(&f->seg, (const unsigned char *)(h + 1), h->seg_len);
        h->s.seg = &f->seg;
        if (h->tls_len)
            held_tls_point(f, h);
        rp->cfg.h.segment(rp->cfg.h.ctx, c, &h->s);
    }
    if (!hd->compact) {
        tls_off = h->tls_off;
        tls_len = h->tls_len;
    }
    if (tls_len) {
        f->r_head = tls_off + tls_len;
        if (--f->r_live == 0)
            f->r_head = f->r_tail = 0;
    }
    f->head = (f->head + 1) & (f->cap - 1);
    f->base++;
    f->len--;
    /* The head has left its block: the block goes to the end of the free
     * list, marked with the last record kept by reference (the last block
     * stays for the next record, emptied unless the view reads it). */
    struct hold_block *b = f->bhead;
    if (f->len == 0) {
        if (f->ref_last <= f->ref_seen)
            b->used = 0;
    } else if ((unsigned char *)f->idx[f->head] < b->data || (unsigned char *)f->idx[f->head] >= b->data + b->used) {
        f->bhead = b->next;
        b->next = NULL;
        b->ref = f->ref_last;
        if (f->bfree_last)
            f->bfree_last->next = b;
        else
            f->bfree = b;
        f->bfree_last = b;
    }
}

static void emit_head(struct tcpsim_replay *rp)
{
    emit_head_in(rp);
}

/* Write held records while the head's question is answered, or forced when
 * the FIFO is full or its head is HOLD_NS behind `now`. */
static void pump(struct tcpsim_replay *rp, tcpsim_ns_t now)
{
    struct hold_fifo *f = &rp->fifo;
    while (f->len) {
        const struct hold_hdr *h = f->idx[f->head];
        const bool open = h->open && *tcpsim__flow_mark(&rp->ft, h->slot);
        assert(!h->open || open == tcpsim__rp_obs_unresolved(tcpsim__flow_conn(&rp->ft, h->slot)));
        if (open && f->len < HOLD_MAX && (now < hd_time(h) || now - hd_time(h) < HOLD_NS))
            break;
        emit_head_in(rp);
    }
}

/* Parameter k of a TLS item's explanation id ("" when absent). */
static const char *tls_why_str(const struct tcpsim_tl_tls *t, int k)
{
    return t->why && t->why->s[k] ? t->why->s[k] : "";
}

/* `n` bytes (16-aligned) in the ring, or SIZE_MAX when they do not fit now. */
static size_t ring_alloc(struct hold_fifo *f, size_t n)
{
    n = (n + 15u) & ~(size_t)15u;
    if (!f->ring && !(f->ring = malloc(TLS_RING)))
        return SIZE_MAX;
    if (f->r_live == 0)
        f->r_head = f->r_tail = 0;
    size_t off;
    if (f->r_tail >= f->r_head && TLS_RING - f->r_tail >= n)
        off = f->r_tail;
    else if (f->r_tail >= f->r_head && f->r_head > n)
        off = 0; /* wrap; the end stays unused until the head passes it */
    else if (f->r_tail < f->r_head && f->r_head - f->r_tail > n)
        off = f->r_tail;
    else
        return SIZE_MAX;
    f->r_tail = off + n;
    f->r_live++;
    return off;
}

/* The largest record, and a block's room for records. */
#define HELD_MAX_SIZE                                                                                                  \
    (sizeof(struct held) + ((SEG_MAX + 15u) & ~(size_t)15u) + TCPSIM_RP_MAX_EVENTS * sizeof(struct tcpsim_rp_event))
#define BLOCK_ROOM (HOLD_BLOCK - offsetof(struct hold_block, data))
_Static_assert(HELD_MAX_SIZE <= BLOCK_ROOM, "a held record fits in a block");
_Static_assert(TLS_RING <= UINT32_MAX, "ring offsets fit in a held record");

/* Whether block b (NULL: none) may take records again: the view has let go
 * of those it kept by reference (handler.segment_ref). The view's position
 * is asked only when the one seen last is not enough. */
static bool block_ready(struct tcpsim_replay *rp, const struct hold_block *b)
{
    struct hold_fifo *f = &rp->fifo;
    if (!b)
        return false;
    if (b->ref <= f->ref_seen)
        return true;
    f->ref_seen = rp->cfg.h.ref_done(rp->cfg.h.ctx);
    return b->ref <= f->ref_seen;
}

/* Room for one more record of up to `need` bytes (at least HELD_MAX_SIZE):
 * an index slot (the index doubles up to HOLD_MAX) and a block to start if
 * the last one has less. False when the FIFO is full or memory is short. */
static bool hold_room_for(struct tcpsim_replay *rp, size_t need)
{
    struct hold_fifo *f = &rp->fifo;
    if (f->len == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 64;
        struct hold_hdr **ni = nc <= HOLD_MAX ? malloc(nc * sizeof *ni) : NULL;
        uint32_t *ns = ni ? malloc(nc * sizeof *ns) : NULL;
        if (!ns) {
            free(ni);
            return false;
        }
        for (size_t i = 0; i < f->len; i++) {
            ni[i] = f->idx[(f->head + i) & (f->cap - 1)];
            ns[i] = f->qslot[(f->head + i) & (f->cap - 1)];
        }
        free(f->idx);
        free(f->qslot);
        f->idx = ni;
        f->qslot = ns;
        f->cap = nc;
        f->head = 0;
    }
    if ((!f->btail || BLOCK_ROOM - f->btail->used < need) && !block_ready(rp, f->bfree)) {
        /* none free, or the view still reads the oldest free one: a new
         * block, taken first */
        struct hold_block *b = malloc(HOLD_BLOCK);
        if (!b)
            return false;
        b->ref = 0;
        b->next = f->bfree;
        f->bfree = b;
        if (!f->bfree_last)
            f->bfree_last = b;
        f->nblocks++;
    }
    return true;
}

static bool hold_room(struct tcpsim_replay *rp)
{
    return hold_room_for(rp, HELD_MAX_SIZE);
}

/* `size` bytes for a record at the tail (hold_room made sure there is room). */
static void *hold_place(struct hold_fifo *f, size_t size)
{
    struct hold_block *b = f->btail;
    if (!b || BLOCK_ROOM - b->used < size) {
        b = f->bfree;
        f->bfree = b->next;
        if (!f->bfree)
            f->bfree_last = NULL;
        b->next = NULL;
        b->used = 0;
        if (f->btail)
            f->btail->next = b;
        else
            f->bhead = b;
        f->btail = b;
    }
    void *h = b->data + b->used;
    b->used += size;
    return h;
}

/* The next record's lines are hinted for writing when one is taken: a
 * block is taken again oldest first, its lines long out of the cache (and
 * read by the writer thread on the other core since), and a record is ~250
 * bytes written in a few dozen stores that would each wait for their line. */
#define HOLD_PW 256u

/* hold_room and hold_place in one step; NULL when there is no room. The
 * usual case (the index and the last block have room) inline. */
static inline void *hold_take(struct tcpsim_replay *rp, size_t size)
{
    struct hold_fifo *f = &rp->fifo;
    struct hold_block *b = f->btail;
    if (f->len < f->cap && b && BLOCK_ROOM - b->used >= HELD_MAX_SIZE) {
        void *h = b->data + b->used;
        b->used += size;
        if (BLOCK_ROOM - b->used >= HOLD_PW) {
            const unsigned char *t = b->data + b->used;
            TCPSIM__PREFETCH(t);
            TCPSIM__PREFETCH(t + 64);
            TCPSIM__PREFETCH(t + 128);
            TCPSIM__PREFETCH(t + 192);
        }
        return h;
    }
    return hold_room(rp) ? hold_place(f, size) : NULL;
}

void tcpsim__rp_hold_stats(const struct tcpsim_replay *rp, size_t *blocks, size_t *most)
{
    *blocks = rp->fifo.nblocks;
    *most = rp->fifo.most;
}
/* Bytes of a held record with seg_len bytes of segment and room for ev_cap
 * events, in 16-byte units. */
static inline size_t held_size(size_t seg_len, size_t ev_cap)
{
    return (sizeof(struct held) + ((seg_len + 15u) & ~(size_t)15u) + ev_cap * sizeof(struct tcpsim_rp_event) + 15u) &
           ~(size_t)15u;
}

/* Bytes of a compact held record with room for ev_cap events, and with TLS
 * parts (a struct jtls and `nb` bytes of JSON) when `tls`. */
static inline size_t jheld_size(size_t ev_cap, bool tls, size_t nb)
{
    return (sizeof(struct jheld) + (tls ? sizeof(struct jtls) + nb : 0u) + ev_cap * sizeof(struct tcpsim_rp_jev) +
            15u) &
           ~(size_t)15u;
}

/* A compact record with TLS parts is at most this (else held in full). */
#define JTLS_MAX (BLOCK_ROOM / 4u)

/* Whether a record between these endpoints may be held in compact form:
 * the JSON view with its writer thread (handler.segment_jref), and IPv4
 * (the compact form keeps four bytes per address). */
static inline bool compact_ok(const struct tcpsim_replay *rp, const struct tcpsim_ip_addr *a,
                              const struct tcpsim_ip_addr *b)
{
    return rp->cfg.h.segment_jref && !rp->fifo.copy_all && a->family != 6 && b->family != 6;
}

/* A new held record h at the FIFO's tail, linked to its connection's last. */
static inline void hold_link(struct hold_fifo *f, struct hold_hdr *h, struct tcpsim_rp_conn *c, uint32_t slot,
                             bool open, size_t ev_cap, unsigned compact)
{
    f->idx[(f->head + f->len) & (f->cap - 1)] = h;
    f->qslot[(f->head + f->len) & (f->cap - 1)] = slot;
    h->slot = slot;
    h->open = open;
    h->ev_cap = (uint8_t)ev_cap;
    h->compact = (uint8_t)compact;
    h->pad = 0;
    h->prev = c->held_last;
    c->held_last = f->base + f->len;
    if (++f->len > f->most)
        f->most = f->len;
}

/* Hand a record to the view now, or hold a copy of it. */
static void emit_or_hold(struct tcpsim_replay *rp, uint32_t slot, struct tcpsim_rp_conn *c,
                         const struct tcpsim_rp_segment *s)
{
    struct hold_fifo *f = &rp->fifo;
    bool open = tcpsim__rp_obs_unresolved(c);
    if (f->len == 0 && !open) {
        rp->cfg.h.segment(rp->cfg.h.ctx, c, s);
        return;
    }
    size_t nev = s->nevents < TCPSIM_RP_MAX_EVENTS ? s->nevents : TCPSIM_RP_MAX_EVENTS;
    size_t ev_cap = open ? TCPSIM_RP_MAX_EVENTS : nev;
    /* In compact form (the JSON view with its writer thread: an IPv4
     * segment; its TLS JSON kept after its events, so that the writer reads
     * it where it is), or in full. */
    const size_t jsize = jheld_size(ev_cap, true, s->tls_json_len + s->tls_errors_len);
    const bool compact = compact_ok(rp, &s->src_ip, &s->dst_ip) && jsize <= JTLS_MAX;
    if (!hold_room_for(rp, compact && jsize > HELD_MAX_SIZE ? jsize : HELD_MAX_SIZE)) {
        /* cannot hold: decide now and write in order */
        while (f->len)
            emit_head(rp);
        resolve_at(rp, c, slot);
        struct tcpsim_rp_segment t = *s;
        t.client_state = tcpsim__rp_obs_state(c, TCPSIM_SIDE_CLIENT);
        t.server_state = tcpsim__rp_obs_state(c, TCPSIM_SIDE_SERVER);
        rp->cfg.h.segment(rp->cfg.h.ctx, c, &t);
        return;
    }
    size_t tl = 0, off = 0;
    const bool unread = rp->cfg.h.tls_items_unread;
    if (s->ntls || s->tls_errors_len) {
        /* the explanations' bytes, counted by on_tls_item when not kept */
        size_t exl = unread ? rp->tls.xl : 0;
        for (size_t i = 0; i < s->ntls && !unread; i++) {
            exl += strlen(s->tls[i].explain ? s->tls[i].explain : "") + 1;
            for (int k = 0; k < 3; k++)
                exl += strlen(tls_why_str(&s->tls[i], k)) + 1;
        }
        tl = s->ntls * (sizeof *s->tls + sizeof(struct tcpsim_tls_explain)) + s->tls_json_len + s->tls_errors_len + exl;
        while ((off = ring_alloc(f, tl)) == SIZE_MAX && f->len)
            emit_head(rp);
        if (off == SIZE_MAX)
            tl = 0; /* no memory for the ring: the items are counted as dropped */
    }
    /* Without room in the ring its TLS items and errors are counted as
     * dropped, in either form (at least one when there are any). */
    const uint32_t lost =
        (s->ntls || s->tls_errors_len) && !tl ? (uint32_t)s->ntls + (s->tls_errors_len ? 1u : 0u) : 0u;
    if (compact) {
        const uint32_t dropped = s->tls_dropped + lost;
        const size_t jl = lost ? 0 : s->tls_json_len, el = lost ? 0 : s->tls_errors_len;
        const bool tp = jl || el || dropped || tl;
        struct jheld *jh = hold_place(f, jheld_size(ev_cap, tp, jl + el));
        hold_link(f, &jh->hd, c, slot, open, ev_cap, tp ? HOLD_JTLS : HOLD_J);
        struct tcpsim_rp_tlsparts t;
        tcpsim_rp_jrec_of(&jh->j, jheld_ev(jh), &t, s);
        if (tp) {
            struct jtls *jt = jheld_tls(jh);
            jt->off = (uint32_t)off; /* both under TLS_RING */
            jt->len = (uint32_t)tl;
            jt->json_len = (uint32_t)jl;
            jt->err_len = (uint32_t)el;
            jt->dropped = dropped;
            jt->pad = 0;
            char *b = (char *)(jheld_ev(jh) + ev_cap);
            if (jl)
                memcpy(b, s->tls_json, jl);
            if (el)
                memcpy(b + jl, s->tls_errors_json, el);
        }
        return;
    }
    size_t seg_len = held_seg_size(f, s->seg);
    struct held *h = hold_place(f, held_size(seg_len, ev_cap));
    hold_link(f, &h->hd, c, slot, open, ev_cap, 0);
    h->seg_len = (uint16_t)seg_len;
    h->s = *s;
    hold_seg_pack((unsigned char *)(h + 1), s->seg, seg_len);
    h->s.nevents = nev;
    struct tcpsim_rp_event *ev = held_ev(h);
    for (size_t e = 0; e < nev; e++)
        ev[e] = s->events[e];
    h->s.events = ev;           /* its own slots (corrections append there) */
    h->tls_off = (uint32_t)off; /* both under TLS_RING */
    h->tls_len = (uint32_t)tl;
    if (lost) {
        h->s.tls_dropped += lost;
        h->s.ntls = 0;
        h->s.tls_json_len = 0;
        h->s.tls_errors_len = 0;
    } else if (tl && unread) { /* the JSON alone: no items for emit_head to point */
        char *json = (char *)(f->ring + off);
        h->s.ntls = 0;
        memcpy(json, s->tls_json, s->tls_json_len);
        memcpy(json + s->tls_json_len, s->tls_errors_json, s->tls_errors_len);
    } else if (tl) {
        uint8_t *b = f->ring + off;
        memcpy(b, s->tls, s->ntls * sizeof *s->tls);
        struct tcpsim_tls_explain *why = (struct tcpsim_tls_explain *)(void *)(b + s->ntls * sizeof *s->tls);
        for (size_t i = 0; i < s->ntls; i++) {
            memset(&why[i], 0, sizeof why[i]);
            if (s->tls[i].why)
                why[i] = *s->tls[i].why; /* its strings are copied below */
        }
        char *json = (char *)(why + s->ntls);
        memcpy(json, s->tls_json, s->tls_json_len);
        memcpy(json + s->tls_json_len, s->tls_errors_json, s->tls_errors_len);
        char *ex = json + s->tls_json_len + s->tls_errors_len;
        for (size_t i = 0; i < s->ntls; i++) {
            const char *e = s->tls[i].explain ? s->tls[i].explain : "";
            size_t el = strlen(e) + 1;
            memcpy(ex, e, el);
            ex += el;
            for (int k = 0; k < 3; k++) {
                e = tls_why_str(&s->tls[i], k);
                el = strlen(e) + 1;
                memcpy(ex, e, el);
                ex += el;
            }
        }
    }
    h->s.tls = NULL;
    h->s.tls_json = "";
    h->s.tls_errors_json = "";
}

static void conn_leave(struct tcpsim_replay *rp, uint32_t slot, enum tcpsim_rp_leave why)
{
    struct tcpsim_rp_conn *c = tcpsim__flow_conn(&rp->ft, slot);
    /* Its questions are decided now and its records written (with any held
     * before them), so that the conn record comes after its segments. */
    resolve_at(rp, c, slot);
    while (has_held(&rp->fifo, c))
        emit_head(rp);
    tcpsim__rp_gaps_final(c);
    if (c->tls) {
        /* Records still buffered (no FIN seen) complete now; they have no
         * segment to ride on and go to the conn record's summary only. A
         * direction still open was cut by the end of the capture (or of the
         * tracking), not closed: a record cut there is not malformed. */
        rp->tls.collect = false;
        rp->tls_conn = c;
        tcpsim_tls_capture_end(c->tls, TCPSIM_SIDE_CLIENT, c->last_frame, c->end / 1000u);
        tcpsim_tls_capture_end(c->tls, TCPSIM_SIDE_SERVER, c->last_frame, c->end / 1000u);
    }
    if (rp->cfg.h.conn && (c->shown || !rp->filter_view))
        rp->cfg.h.conn(rp->cfg.h.ctx, c, why);
    if (c->obs_ok)
        tcpsim__rp_obs_free(c);
    tcpsim__rp_tls_release(c);
    free(c->alpn_offered);
    c->alpn_offered = NULL;
    rp->tls_conn = NULL;
    tcpsim__flow_remove(&rp->ft, slot);
}

void tcpsim_replay_free(struct tcpsim_replay *rp)
{
    if (!rp)
        return;
    /* Release observers of connections never written (finish not called). */
    for (uint32_t s = 0; s < rp->ft.used_hw; s++) {
        struct tcpsim_rp_conn *c = tcpsim__flow_conn(&rp->ft, s);
        if (c->in_use && c->obs_ok)
            tcpsim__rp_obs_free(c);
        if (c->in_use) {
            tcpsim__rp_tls_release(c);
            free(c->alpn_offered);
        }
    }
    tcpsim__flow_free(&rp->ft);
    if (rp->fifo.ref_last > rp->fifo.ref_seen) /* not finished: the view may still read held records */
        rp->cfg.h.ref_wait(rp->cfg.h.ctx);
    free(rp->fifo.idx);
    free(rp->fifo.qslot);
    free(rp->fifo.rent);
    free(rp->fifo.rslot); /* (rtail is in it) */
    free(rp->fifo.rstack);
    for (int k = 0; k < 2; k++)
        for (struct hold_block *b = k ? rp->fifo.bfree : rp->fifo.bhead, *n; b; b = n) {
            n = b->next;
            free(b);
        }
    free(rp->fifo.ring);
    free(rp);
}

size_t tcpsim_replay_open_conns(const struct tcpsim_replay *rp)
{
    return rp->ft.count;
}

uint64_t tcpsim_replay_allocations(const struct tcpsim_replay *rp)
{
    return rp->ft.allocations;
}

static void note_time(struct tcpsim_replay *rp, tcpsim_ns_t ts)
{
    if (!rp->have_time) {
        rp->have_time = true;
        rp->first_ts = ts;
    }
    rp->last_ts = ts;
}

/* The conntrack class a connection is in, from what each side has sent. */
static enum tcpsim__tclass conn_class(const struct tcpsim_rp_conn *c)
{
    const struct tcpsim_rp_dir *o = &c->d[TCPSIM_SIDE_CLIENT], *r = &c->d[TCPSIM_SIDE_SERVER];
    if (c->first_rst >= 0)
        return TCPSIM__TC_CLOSE;
    if (o->sent_fin && r->sent_fin)
        return TCPSIM__TC_TIME_WAIT;
    if (o->sent_fin || r->sent_fin)
        return TCPSIM__TC_FIN_WAIT;
    if (o->sent_syn && !r->sent_synack)
        return TCPSIM__TC_SYN_SENT;
    if (r->sent_synack && !(c->completeness & 4))
        return TCPSIM__TC_SYN_RECV;
    return TCPSIM__TC_ESTABLISHED;
}

/* Cache hints for the connections about to leave after the head of class
 * k (expire_run): a connection leaves long after its last packet, its lines
 * cold, and each leaves after a few hundred instructions of the one before.
 * The second after the head: the lines expiry and the index read first (its
 * end, its index entry, from the hash its queue entry keeps); the first
 * after the head: the lines conn_leave and the views read (the hot header,
 * the per-direction counters, the states to the TLS summary's pointers). */
static void leave_hints(const struct tcpsim_replay *rp, enum tcpsim__tclass k)
{
    const struct tcpsim__flowtab *t = &rp->ft;
    struct tcpsim__lru_ent nx[2];
    uint32_t n = tcpsim__flow_lru_after_head(t, k, nx, 2);
    if (n >= 2) {
        TCPSIM__PREFETCH(&tcpsim__flow_conn(t, nx[1].slot)->end);
        TCPSIM__PREFETCH(&t->index[nx[1].hash & t->index_mask]);
    }
    if (n >= 1) {
        const struct tcpsim_rp_conn *c = tcpsim__flow_conn(t, nx[0].slot);
        const char *p = (const char *)c;
        _Static_assert(offsetof(struct tcpsim_rp_conn, d) + sizeof c->d <= 4 * 64, "d[] in the first four lines");
        TCPSIM__PREFETCH(p);
        TCPSIM__PREFETCH(p + 64);
        TCPSIM__PREFETCH(p + 128);
        TCPSIM__PREFETCH(p + 192);
        for (size_t off = offsetof(struct tcpsim_rp_conn, states);
             off < offsetof(struct tcpsim_rp_conn, alpn_offered) + sizeof c->alpn_offered; off += 64)
            TCPSIM__PREFETCH(p + off);
    }
}

/* Connections whose idle timeout has passed leave, oldest first. Between
 * runs only rp->next_expire is compared: the earliest any queue head could
 * time out (a head's end only grows, and a connection entering a queue lowers
 * the bound in process_tcp), so a packet does not touch eight queue heads. */
static void expire_run(struct tcpsim_replay *rp, tcpsim_ns_t now)
{
    tcpsim_ns_t next = UINT64_MAX;
    for (unsigned k = 0; k < TCPSIM__TC_COUNT; k++) {
        tcpsim_ns_t to = tcpsim__flow_timeout((enum tcpsim__tclass)k);
        for (;;) {
            uint32_t s = tcpsim__flow_lru_head(&rp->ft, (enum tcpsim__tclass)k);
            if (s == TCPSIM__FLOW_NONE)
                break;
            struct tcpsim_rp_conn *c = tcpsim__flow_conn(&rp->ft, s);
            if (now < c->end || now - c->end <= to) {
                if (c->end + to < next)
                    next = c->end + to;
                break;
            }
            bool closed = k == TCPSIM__TC_TIME_WAIT || k == TCPSIM__TC_CLOSE;
            leave_hints(rp, (enum tcpsim__tclass)k);
            conn_leave(rp, s, closed ? TCPSIM_RP_LEAVE_CLOSED : TCPSIM_RP_LEAVE_IDLE);
        }
    }
    rp->next_expire = next;
}

static inline void expire(struct tcpsim_replay *rp, tcpsim_ns_t now)
{
    if (now >= rp->next_expire) /* most packets: nothing can have timed out */
        expire_run(rp, now);
}

/* --max-conns reached: the connection idle the longest leaves. */
static void evict_oldest(struct tcpsim_replay *rp)
{
    uint32_t best = TCPSIM__FLOW_NONE;
    tcpsim_ns_t best_t = 0;
    for (unsigned k = 0; k < TCPSIM__TC_COUNT; k++) {
        uint32_t s = tcpsim__flow_lru_head(&rp->ft, (enum tcpsim__tclass)k);
        if (s == TCPSIM__FLOW_NONE)
            continue;
        struct tcpsim_rp_conn *c = tcpsim__flow_conn(&rp->ft, s);
        if (best == TCPSIM__FLOW_NONE || c->end < best_t) {
            best = s;
            best_t = c->end;
        }
    }
    if (best != TCPSIM__FLOW_NONE) {
        rp->sum.evicted++;
        conn_leave(rp, best, TCPSIM_RP_LEAVE_EVICTED);
    }
}

/* "00" .. "99": two digits per table read instead of a division each. */
static const char digits2[201] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                 "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                 "8081828384858687888990919293949596979899";

/* Decimal digits of v (< 100000) at p, no leading zeros; returns the end. */
static inline char *put_dec(char *p, unsigned v)
{
    if (v >= 100) {
        unsigned hi = v / 100, lo = v - hi * 100; /* hi < 1000 */
        if (hi >= 100) {
            unsigned h2 = hi / 100; /* < 10 */
            *p++ = (char)('0' + h2);
            hi -= h2 * 100;
            memcpy(p, &digits2[2 * hi], 2); /* zero-padded: the middle pair */
            p += 2;
        } else if (hi >= 10) {
            memcpy(p, &digits2[2 * hi], 2);
            p += 2;
        } else {
            *p++ = (char)('0' + hi);
        }
        memcpy(p, &digits2[2 * lo], 2);
        return p + 2;
    }
    if (v >= 10) {
        memcpy(p, &digits2[2 * v], 2);
        return p + 2;
    }
    *p++ = (char)('0' + v);
    return p;
}

/* One IPv4 address byte (< 256), inline: four per label, no division. */
static inline char *put_octet(char *p, unsigned v)
{
    if (v >= 100) {
        unsigned h = v >= 200 ? 2u : 1u;
        *p++ = (char)('0' + h);
        memcpy(p, &digits2[2 * (v - h * 100)], 2);
        return p + 2;
    }
    if (v >= 10) {
        memcpy(p, &digits2[2 * v], 2);
        return p + 2;
    }
    *p = (char)('0' + v);
    return p + 1;
}

/* "10.0.0.1:443" by hand for IPv4 (once per connection; snprintf was 7% of
 * all instructions on short connections); IPv6 keeps the RFC 5952 form of
 * tcpsim_endpoint_str. */
static void endpoint_label(const struct tcpsim_ip_addr *a, uint16_t port, char *buf, size_t cap)
{
    if (a->family == 6 || cap < 22) {
        tcpsim_endpoint_str(a, port, buf, cap);
        return;
    }
    char *p = put_octet(buf, a->a[0]);
    *p++ = '.';
    p = put_octet(p, a->a[1]);
    *p++ = '.';
    p = put_octet(p, a->a[2]);
    *p++ = '.';
    p = put_octet(p, a->a[3]);
    *p++ = ':';
    p = put_dec(p, port);
    *p = '\0';
}

/* Once per connection: out of line, so that process_tcp's registers serve
 * the per-packet path (the labels' digits are inline here). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static uint32_t
conn_new(struct tcpsim_replay *rp, const struct tcpsim_rp_pkt *pk)
{
    const struct tcpsim_segment *seg = &pk->seg;
    uint32_t s = tcpsim__flow_alloc(&rp->ft);
    if (s == TCPSIM__FLOW_NONE) {
        evict_oldest(rp);
        s = tcpsim__flow_alloc(&rp->ft);
        if (s == TCPSIM__FLOW_NONE)
            return s;
    }
    struct tcpsim_rp_conn *c = tcpsim__flow_conn(&rp->ft, s);
    /* The client sends the first SYN without ACK. A SYN-ACK seen first means
     * the SYN was missed: its receiver is the client (Zeek's '^' flip). With
     * no SYN at all, the sender of the first segment is the client. */
    bool syn = (seg->flags & (TCPSIM_SYN | TCPSIM_ACK)) == TCPSIM_SYN;
    bool synack = (seg->flags & (TCPSIM_SYN | TCPSIM_ACK)) == (TCPSIM_SYN | TCPSIM_ACK);
    int cl = synack ? 1 : 0; /* 0: the sender is the client */
    c->addr[cl] = pk->src;
    c->port[cl] = seg->src_port;
    c->addr[!cl] = pk->dst;
    c->port[!cl] = seg->dst_port;
    c->inferred = !syn;
    c->flipped = synack;
    c->id = rp->next_id++;
    c->first_frame = pk->frame;
    c->start = pk->ts;
    c->first_rst = -1;
    c->d[0].win_scale = c->d[1].win_scale = -1;
    if (!rp->cfg.labels_unread) /* a third of this function when made */
        for (int i = 0; i < 2; i++)
            endpoint_label(&c->addr[i], c->port[i], c->label[i], sizeof c->label[i]);
    tcpsim__flow_insert(&rp->ft, s, pk->hash);
    rp->sum.connections++;
    if (rp->ft.count > rp->sum.max_open)
        rp->sum.max_open = rp->ft.count;
    return s;
}

static bool addr_same(const struct tcpsim_ip_addr *x, const struct tcpsim_ip_addr *y)
{
    if (x->family != y->family)
        return false;
    if (x->family != 6) { /* a fixed-size compare: no memcmp call per packet */
        uint32_t u, v;
        memcpy(&u, x->a, 4);
        memcpy(&v, y->a, 4);
        return u == v;
    }
    return !memcmp(x->a, y->a, 16);
}

/* Window scale bookkeeping (RFC 7323 §2.2): a side scales only when both SYNs
 * carried the option; -1 = not known yet, -2 = not used. */
static void note_wscale(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *seg, bool opts_cut)
{
    if (!(seg->flags & TCPSIM_SYN))
        return;
    struct tcpsim_rp_dir *fwd = &c->d[dir], *rev = &c->d[!dir];
    if (opts_cut) {
        fwd->win_scale = -1; /* not captured: unknown, not "not used" */
        return;
    }
    if (seg->opts.present & TCPSIM_HAS_WSCALE)
        fwd->win_scale = seg->opts.wscale > 14 ? 14 : seg->opts.wscale;
    else
        fwd->win_scale = -2;
    if ((seg->flags & TCPSIM_ACK) && (fwd->win_scale == -2 || rev->win_scale == -2))
        fwd->win_scale = rev->win_scale = -2;
}

#if defined(__GNUC__) || defined(__clang__)
#define RARE __attribute__((noinline, cold)) /* out of the common path's registers */
#else
#define RARE
#endif

/* A packet of no connection held, or a SYN that reuses a held connection's
 * 4-tuple (Wireshark's port-reuse rule: a SYN without ACK whose sequence
 * number differs from the base this direction already has starts a new
 * conversation; a retransmitted SYN keeps the same ISN; the caller tests
 * that): the old one leaves and a new one starts. Its slot, or NONE when no
 * slot can be had (counted). Out of line: once per connection. */
RARE static uint32_t conn_open(struct tcpsim_replay *rp, const struct tcpsim_rp_pkt *pk, struct tcpsim_rp_conn *old,
                               uint32_t old_slot, int *dir)
{
    if (old)
        conn_leave(rp, old_slot, TCPSIM_RP_LEAVE_REUSED);
    uint32_t slot = conn_new(rp, pk);
    if (slot == TCPSIM__FLOW_NONE) {
        rp->sum.skipped.unsupported_link++; /* cannot happen with a sane cap */
        return slot;
    }
    const struct tcpsim_rp_conn *c = tcpsim__flow_conn(&rp->ft, slot);
    *dir = (c->port[0] == pk->seg.src_port && addr_same(&c->addr[0], &pk->src)) ? 0 : 1;
    return slot;
}

/* Relative numbers as Wireshark shows them: the ISN of a SYN, else one
 * before the first sequence number seen; an ACK fixes the peer's base when
 * the peer has not been seen yet. Once both bases are set, only a SYN has
 * anything to do here (the caller tests that). */
RARE static void set_bases(struct tcpsim_rp_conn *c, int dir, const struct tcpsim_segment *seg, bool opts_cut)
{
    struct tcpsim_rp_dir *fwd = &c->d[dir], *rev = &c->d[!dir];
    const uint8_t flags = seg->flags;
    if (!fwd->base_set) {
        fwd->base_set = true;
        fwd->base_seq = (flags & TCPSIM_SYN) ? seg->seq : seg->seq - 1;
    }
    if ((flags & TCPSIM_ACK) && !rev->base_set) {
        rev->base_set = true;
        rev->base_seq = seg->ack - 1;
    }
    if ((flags & TCPSIM_SYN) && seg->seq == fwd->base_seq)
        fwd->syn_seen = true; /* this side's ISN is known: its stream starts at ISN+1 */
    note_wscale(c, dir, seg, opts_cut);
}

/* The window a segment record shows: scaled by the sender's shift when it
 * is known (never on a SYN, RFC 7323 §2.2). */
static inline uint32_t rec_win(const struct tcpsim_rp_dir *fwd, const struct tcpsim_segment *seg)
{
    if (!(seg->flags & TCPSIM_SYN) && fwd->win_scale >= 0)
        return (uint32_t)seg->window << fwd->win_scale;
    return seg->window;
}

/* Every field of a segment record but its events and TLS parts (set by the
 * caller): the same whether the record is handed over at once or built in
 * its hold slot. Each field is set (no memset: the struct is ~200 bytes). */
static inline void seg_fill(struct tcpsim_rp_segment *s, const struct tcpsim_replay *rp, const struct tcpsim_rp_conn *c,
                            int dir, const struct tcpsim_rp_pkt *pk, uint32_t an, size_t nev)
{
    const struct tcpsim_segment *seg = &pk->seg;
    const struct tcpsim_rp_dir *fwd = &c->d[dir], *rev = &c->d[!dir];
    s->frame = pk->frame;
    s->time = pk->ts;
    s->capture_start = rp->first_ts;
    s->conn = c->id;
    s->dir = dir ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT;
    s->src = c->label[dir];
    s->dst = c->label[!dir];
    s->src_ip = c->addr[dir];
    s->dst_ip = c->addr[!dir];
    s->src_port = c->port[dir];
    s->dst_port = c->port[!dir];
    s->seg = seg;
    s->len = pk->seglen;
    s->rel_seq_known = true;
    s->rel_ack_known = (seg->flags & TCPSIM_ACK) != 0;
    s->rel_seq = seg->seq - fwd->base_seq;
    s->rel_ack = seg->ack - rev->base_seq;
    s->win = rec_win(fwd, seg);
    s->analysis = an;
    s->client_state = tcpsim__rp_obs_state(c, TCPSIM_SIDE_CLIENT);
    s->server_state = tcpsim__rp_obs_state(c, TCPSIM_SIDE_SERVER);
    s->nevents = nev;
}

/* A record in compact form, as seg_fill and json_segment's conversion would
 * make it (its events and the FIFO's bookkeeping set by the caller). */
static inline void jrec_fill(struct tcpsim_rp_jrec *j, const struct tcpsim_rp_conn *c, int dir,
                             const struct tcpsim_rp_pkt *pk, uint32_t an, size_t nev)
{
    const struct tcpsim_segment *seg = &pk->seg;
    const struct tcpsim_rp_dir *fwd = &c->d[dir], *rev = &c->d[!dir];
    j->frame = pk->frame;
    j->time = pk->ts;
    j->conn = c->id;
    j->seq = seg->seq;
    j->ack = seg->ack;
    j->rel_seq = seg->seq - fwd->base_seq;
    j->rel_ack = seg->ack - rev->base_seq;
    j->len = pk->seglen;
    j->win = rec_win(fwd, seg);
    j->analysis = an;
    memcpy(&j->ip[0], c->addr[dir].a, 4);
    memcpy(&j->ip[1], c->addr[!dir].a, 4);
    j->port[0] = c->port[dir];
    j->port[1] = c->port[!dir];
    j->flags = seg->flags;
    j->bits = (uint8_t)((dir ? TCPSIM_RP_J_S2C : 0u) | ((seg->flags & TCPSIM_ACK) ? TCPSIM_RP_J_ACK_REL : 0u) |
                        TCPSIM_RP_J_SEQ_REL | nev << TCPSIM_RP_J_NEV);
    j->client_state = (uint8_t)tcpsim__rp_obs_state(c, TCPSIM_SIDE_CLIENT);
    j->server_state = (uint8_t)tcpsim__rp_obs_state(c, TCPSIM_SIDE_SERVER);
}

/* The segment record for the view (handed over or held). Out of line: only
 * views with segment records have it, and the per-packet path keeps its
 * registers for the rest. A record without TLS items that must wait (the
 * usual case while many connections are open: an unanswered SYN is nearly
 * always before it) is built once, in its hold slot; the others are built
 * here and go through emit_or_hold. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static void
seg_record(struct tcpsim_replay *rp, uint32_t slot, struct tcpsim_rp_conn *c, int dir, const struct tcpsim_rp_pkt *pk,
           uint32_t an, const struct tcpsim_rp_event *ev, size_t nev, bool tls_ran)
{
    const struct tls_scratch *tl = &rp->tls;
    struct hold_fifo *f = &rp->fifo;
    const bool open = tcpsim__rp_obs_unresolved(c);
    /* What emit_or_hold does for such a record, without the copy. */
    const size_t nk = nev < TCPSIM_RP_MAX_EVENTS ? nev : TCPSIM_RP_MAX_EVENTS;
    const size_t ev_cap = open ? TCPSIM_RP_MAX_EVENTS : nk;
    const bool held = (f->len || open) && !(tls_ran && (tl->n || tl->json_len || tl->err_len)) && !f->copy_all;
    if (held && !(tls_ran && tl->dropped) && compact_ok(rp, &c->addr[0], &c->addr[1])) {
        struct jheld *jh = hold_take(rp, jheld_size(ev_cap, false, 0));
        if (jh) {
            hold_link(f, &jh->hd, c, slot, open, ev_cap, HOLD_J);
            jrec_fill(&jh->j, c, dir, pk, an, nk);
            struct tcpsim_rp_jev *jev = jheld_ev(jh);
            for (size_t e = 0; e < nk; e++)
                jev[e] = tcpsim_rp_jev_of(&ev[e]);
            return;
        }
    }
    const size_t seg_len = held_seg_size(f, &pk->seg);
    const size_t size = held_size(seg_len, ev_cap);
    struct held *h;
    if (held && (h = hold_take(rp, size))) {
        hold_link(f, &h->hd, c, slot, open, ev_cap, 0);
        h->seg_len = (uint16_t)seg_len;
        seg_fill(&h->s, rp, c, dir, pk, an, nk);
        h->s.ntls = 0;
        h->s.tls = NULL;
        h->s.tls_json = "";
        h->s.tls_json_len = 0;
        h->s.tls_dropped = tls_ran ? tl->dropped : 0;
        h->s.tls_errors_json = "";
        h->s.tls_errors_len = 0;
        hold_seg_pack((unsigned char *)(h + 1), &pk->seg, seg_len);
        struct tcpsim_rp_event *hev = held_ev(h);
        for (size_t e = 0; e < nk; e++)
            hev[e] = ev[e];
        h->s.events = hev; /* its own slots (corrections append there) */
        h->tls_off = 0;
        h->tls_len = 0;
        return;
    }
    struct tcpsim_rp_segment s;
    seg_fill(&s, rp, c, dir, pk, an, nev);
    s.events = ev;
    s.ntls = 0;
    s.tls = rp->cfg.h.tls_items_unread ? NULL : tl->it;
    s.tls_json = "";
    s.tls_json_len = 0;
    s.tls_dropped = 0;
    s.tls_errors_json = tl->err;
    s.tls_errors_len = 0;
    if (tls_ran) {
        s.ntls = tl->n;
        s.tls_json = tl->json_len ? tl->json + 1 : "";
        s.tls_json_len = tl->json_len ? tl->json_len - 1 : 0;
        s.tls_dropped = tl->dropped;
        s.tls_errors_len = tl->err_len;
    }
    emit_or_hold(rp, slot, c, &s);
}

static void process_tcp(struct tcpsim_replay *rp, const struct tcpsim_rp_pkt *pk)
{
    const struct tcpsim_segment *seg = &pk->seg;
    const tcpsim_ns_t ts = pk->ts;
    const uint32_t seglen = pk->seglen;
    const uint8_t flags = seg->flags;
    struct tcpsim__key k = {&pk->src, &pk->dst, seg->src_port, seg->dst_port};
    int dir = 0;
    uint32_t slot = TCPSIM__FLOW_NONE;
    struct tcpsim_rp_conn *c = tcpsim__flow_find(&rp->ft, &k, pk->hash, &slot, &dir);
    bool fresh = false;
    if (!c ||
        ((flags & (TCPSIM_SYN | TCPSIM_ACK)) == TCPSIM_SYN && c->d[dir].base_set && seg->seq != c->d[dir].base_seq)) {
        bool reused = c != NULL;
        slot = conn_open(rp, pk, c, slot, &dir);
        if (slot == TCPSIM__FLOW_NONE)
            return;
        c = tcpsim__flow_conn(&rp->ft, slot);
        c->reused_ports_pending = reused;
        fresh = true;
    } else if (c->reused_ports_pending) {
        c->reused_ports_pending = false;
    }
    if (!(c->d[0].base_set && c->d[1].base_set) || (flags & TCPSIM_SYN)) /* both: no direction to work out */
        set_bases(c, dir, seg, pk->opts_cut);

    /* Wireshark runs its sequence analysis on a segment whose options were
     * cut by the snap length (later segments see it: dup-ACK counts), but
     * the dissector stops at the options before it shows the flags: no
     * tcp.analysis.* on that frame (checked with tshark 4.0, editcap -s 68). */
    uint32_t an = 0;
    if (!tcpsim__rp_track_quick(c, dir, seg, seglen, ts)) { /* most segments: both done, nothing flagged */
        an = tcpsim__rp_analyze_quick(c, dir, seg, seglen, ts);
        if (pk->opts_cut)
            an = 0;
        tcpsim__rp_account_quick(c, dir, seg, seglen, an, ts);
    }

    struct tcpsim_rp_event ev[TCPSIM_RP_MAX_EVENTS];
    size_t nev = 0;
    if (rp->cfg.observe) {
        if (fresh)
            tcpsim__rp_obs_init(c, dir, seg);
        if (c->obs_ok && !tcpsim__rp_obs_predict(c, dir, seg, seglen, ts)) {
            struct tcpsim_rp_retro retro;
            nev = tcpsim__rp_obs_segment(c, dir, seg, seglen, ts, pk->frame, ev, TCPSIM_RP_MAX_EVENTS, &retro);
            apply_retro(rp, c, slot, &retro);
        }
        mark_open(rp, slot, c); /* before anything writes held records (seg_record, pump) */
    }
    c->last_frame = pk->frame;
    c->end = ts;

    /* The TLS items this segment completed (none when its connection is not
     * decoded: the scratch is cleared only for a segment that is). While it
     * is undecided, a segment without payload can neither decide it nor feed
     * a decoder; once decoded, a bare ACK (no bytes, no FIN or RST) can
     * change nothing in it: none either. */
    const bool tls_ran =
        rp->cfg.tls && ((c->tls_det == TCPSIM_RP_TLS_YES && (seglen > 0 || (flags & (TCPSIM_FIN | TCPSIM_RST)))) ||
                        (c->tls_det == TCPSIM_RP_TLS_UNDECIDED && seg->payload_len > 0));
    if (tls_ran) {
        struct tls_scratch *tl = &rp->tls;
        tl->n = 0;
        tl->dropped = 0;
        tl->json_len = 0;
        tl->arena_len = 0;
        tl->xl = 0;
        tl->err_len = 0;
        tcpsim__rp_tls_segment(rp, c, dir, seg, seglen, pk->frame, ts);
    }

    if (!rp->hidden) {
        c->shown = true;
        if (rp->cfg.h.segment)
            seg_record(rp, slot, c, dir, pk, an, ev, nev, tls_ran);
    }
    pump(rp, ts);
    enum tcpsim__tclass cls = conn_class(c);
    tcpsim__flow_touch_c(&rp->ft, slot, c, cls, ts);
    tcpsim_ns_t due = ts + tcpsim__flow_timeout(cls);
    if (due < rp->next_expire)
        rp->next_expire = due;
}

void tcpsim_replay_filter_view(struct tcpsim_replay *rp)
{
    rp->filter_view = true;
}

void tcpsim_replay_filtered(struct tcpsim_replay *rp, uint64_t frame, tcpsim_ns_t ts)
{
    (void)frame;
    rp->sum.frames++;
    rp->sum.skipped.filtered++;
    note_time(rp, ts);
}

/* Link, IP and TCP decoding and the classification of what is skipped: a
 * pure function of the bytes (it runs on the reader's thread, reader.c).
 * The whole path: every link type, IP version, header layout and error. */
void tcpsim__rp_decode_full(int dlt, const uint8_t *data, size_t caplen, struct tcpsim_rp_pkt *pk)
{
    pk->opts_cut = false;
    struct tcpsim_link link;
    enum tcpsim_err e = tcpsim_link_decode(dlt, data, caplen, &link);
    if (e == TCPSIM_ERR_UNSUPPORTED) {
        pk->kind = TCPSIM_RP_K_UNSUPPORTED_LINK;
        return;
    }
    if (e != TCPSIM_OK) {
        pk->kind = TCPSIM_RP_K_TRUNCATED;
        return;
    }
    if (link.l3 == TCPSIM_L3_OTHER) {
        pk->kind = TCPSIM_RP_K_NON_IP;
        return;
    }
    struct tcpsim_ip ip;
    e = tcpsim_ip_decode(link.l3_data, link.l3_len, &ip);
    if (e == TCPSIM_ERR_TRUNCATED) {
        pk->kind = TCPSIM_RP_K_TRUNCATED;
        return;
    }
    if (e != TCPSIM_OK) {
        pk->kind = TCPSIM_RP_K_BAD_HEADER;
        return;
    }
    if (ip.proto != 6) {
        pk->kind = TCPSIM_RP_K_NON_TCP;
        return;
    }
    /* Fragments are counted and skipped: a non-first fragment's payload is the
     * middle of a segment (RFC 791 §3.2), and we do not reassemble. */
    if (ip.is_fragment) {
        pk->kind = TCPSIM_RP_K_FRAGMENT;
        return;
    }
    struct tcpsim_segment *seg = &pk->seg;
    e = tcpsim_tcp_decode(ip.payload, ip.payload_len, seg);
    if (e == TCPSIM_ERR_TRUNCATED && ip.payload_len >= 20 && (ip.payload[12] >> 4) >= 5) {
        /* A5: the snap length cut the options (tcpdump -s 64/68/96). The
         * 20-byte fixed header (RFC 9293 §3.1) is all the tracking needs:
         * decode a copy that claims no options, keep the real data offset,
         * and treat the options as unknown (a SYN's window scale too). */
        uint8_t fixed[20];
        memcpy(fixed, ip.payload, sizeof fixed);
        uint8_t doff = fixed[12] >> 4;
        fixed[12] = (uint8_t)(5u << 4 | (fixed[12] & 0x0fu));
        e = tcpsim_tcp_decode(fixed, sizeof fixed, seg);
        seg->data_offset = doff;
        seg->payload = NULL;
        seg->payload_len = 0;
        pk->opts_cut = true;
    }
    if (e == TCPSIM_ERR_TRUNCATED) {
        pk->kind = TCPSIM_RP_K_TRUNCATED;
        return;
    }
    if (e != TCPSIM_OK) {
        pk->kind = TCPSIM_RP_K_BAD_HEADER;
        return;
    }
    /* A snapped packet is tracked from its headers: the length is what the IP
     * header declares, not what was captured. */
    size_t hl = (size_t)seg->data_offset * 4;
    pk->seglen = (uint32_t)seg->payload_len;
    if (ip.declared_payload_len >= hl && ip.declared_payload_len - hl > seg->payload_len)
        pk->seglen = (uint32_t)(ip.declared_payload_len - hl);
    pk->src = ip.src;
    pk->dst = ip.dst;
    struct tcpsim__key k = {&pk->src, &pk->dst, seg->src_port, seg->dst_port};
    pk->hash = tcpsim__flow_hash(&k);
    pk->kind = TCPSIM_RP_K_TCP;
}

/* Nearly every record of a capture: Ethernet without VLAN tags, IPv4 whose
 * header is all there (RFC 791 §3.1: IHL at least 5 words; total length 0,
 * from segmentation offload, or at least the header), not a fragment, TCP.
 * Read at fixed offsets, straight into *pk: what the whole path gives,
 * without the link and IP structs in between (their fields the replay does
 * not use, such as the IPv4 header checksum, are not computed). false for
 * anything else and for every TCP header the TCP decoder does not accept
 * (the whole path then decides from the start: it is a pure function of
 * the bytes, and the TCP decoder clears the segment on every error, so
 * what this wrote first makes no difference). tests/replay/test_decode.c
 * compares the two on every bundled capture, prefixes and byte flips. */
static inline bool decode_eth_ipv4_tcp(const uint8_t *data, size_t caplen, struct tcpsim_rp_pkt *pk)
{
    if (caplen < 14u + 20u || tcpsim_get_u16(data + 12) != 0x0800u)
        return false;
    const uint8_t *ip = data + 14;
    size_t len = caplen - 14u;
    size_t hlen = (size_t)(ip[0] & 0x0fu) * 4u;
    uint16_t total = tcpsim_get_u16(ip + 2);
    if ((ip[0] >> 4) != 4 || hlen < 20u || hlen > len || (total != 0 && total < hlen))
        return false;
    /* Protocol 6; neither MF nor a fragment offset (RFC 791 §3.2). */
    if (ip[9] != 6 || (tcpsim_get_u16(ip + 6) & 0x3fffu) != 0)
        return false;
    size_t declared = total == 0 ? len - hlen : (size_t)total - hlen;
    size_t avail = len - hlen; /* Ethernet padding past the total length is not payload */
    struct tcpsim_segment *seg = &pk->seg;
    if (tcpsim_tcp_decode(ip + hlen, avail < declared ? avail : declared, seg) != TCPSIM_OK)
        return false;
    size_t hl = (size_t)seg->data_offset * 4u;
    pk->opts_cut = false;
    pk->seglen = (uint32_t)seg->payload_len;
    if (declared >= hl && declared - hl > seg->payload_len)
        pk->seglen = (uint32_t)(declared - hl);
    pk->src.family = 4;
    memcpy(pk->src.a, ip + 12, 4);
    memset(pk->src.a + 4, 0, 12);
    pk->dst.family = 4;
    memcpy(pk->dst.a, ip + 16, 4);
    memset(pk->dst.a + 4, 0, 12);
    struct tcpsim__key k = {&pk->src, &pk->dst, seg->src_port, seg->dst_port};
    pk->hash = tcpsim__flow_hash(&k);
    pk->kind = TCPSIM_RP_K_TCP;
    return true;
}

void tcpsim__rp_decode(int dlt, const uint8_t *data, size_t caplen, struct tcpsim_rp_pkt *pk)
{
    if (dlt == TCPSIM_DLT_EN10MB && decode_eth_ipv4_tcp(data, caplen, pk))
        return;
    tcpsim__rp_decode_full(dlt, data, caplen, pk);
}

static void consume_visible(struct tcpsim_replay *rp, const struct tcpsim_rp_pkt *pk)
{
    rp->sum.frames++;
    note_time(rp, pk->ts);
    expire(rp, pk->ts);
    struct tcpsim_rp_skipped *sk = &rp->sum.skipped;
    switch ((enum tcpsim_rp_kind)pk->kind) {
    case TCPSIM_RP_K_TCP:
        rp->sum.tcp_segments++;
        process_tcp(rp, pk);
        return;
    case TCPSIM_RP_K_UNSUPPORTED_LINK:
        sk->unsupported_link++;
        return;
    case TCPSIM_RP_K_TRUNCATED:
        sk->truncated++;
        return;
    case TCPSIM_RP_K_NON_IP:
        sk->non_ip++;
        return;
    case TCPSIM_RP_K_BAD_HEADER:
        sk->bad_header++;
        return;
    case TCPSIM_RP_K_NON_TCP:
        sk->non_tcp++;
        return;
    case TCPSIM_RP_K_FRAGMENT:
        sk->fragment++;
        return;
    }
}

/* A8: a record the BPF filter rejects still goes through the flow table, so
 * connection numbers stay Wireshark's tcp.stream of the whole file and the
 * analysis sees every packet (as with a Wireshark display filter); nothing is
 * written for it, and it is counted only as filtered. */
RARE static void consume_hidden(struct tcpsim_replay *rp, const struct tcpsim_rp_pkt *pk);

void tcpsim__rp_consume(struct tcpsim_replay *rp, const struct tcpsim_rp_pkt *pk)
{
    if (!pk->hidden && pk->kind == TCPSIM_RP_K_TCP) {
        /* consume_visible's steps for the common record, ending in a tail
         * call: this frame keeps no registers of its own */
        rp->sum.frames++;
        note_time(rp, pk->ts);
        expire(rp, pk->ts);
        rp->sum.tcp_segments++;
        process_tcp(rp, pk);
        return;
    }
    if (!pk->hidden) {
        consume_visible(rp, pk);
        return;
    }
    consume_hidden(rp, pk);
}

RARE static void consume_hidden(struct tcpsim_replay *rp, const struct tcpsim_rp_pkt *pk)
{
    struct tcpsim_rp_skipped sk = rp->sum.skipped;
    uint64_t segs = rp->sum.tcp_segments;
    rp->filter_view = true;
    rp->hidden = true;
    consume_visible(rp, pk);
    rp->hidden = false;
    rp->sum.skipped = sk;
    rp->sum.tcp_segments = segs;
    rp->sum.skipped.filtered++;
}

static void packet(struct tcpsim_replay *rp, uint64_t frame, tcpsim_ns_t ts, int dlt, const uint8_t *data,
                   size_t caplen, bool hidden)
{
    struct tcpsim_rp_pkt pk;
    tcpsim__rp_decode(dlt, data, caplen, &pk);
    pk.frame = frame;
    pk.ts = ts;
    pk.hidden = hidden;
    tcpsim__rp_consume(rp, &pk);
}

void tcpsim_replay_packet_hidden(struct tcpsim_replay *rp, uint64_t frame, tcpsim_ns_t ts, int dlt, const uint8_t *data,
                                 size_t caplen, size_t wirelen)
{
    (void)wirelen;
    packet(rp, frame, ts, dlt, data, caplen, true);
}

void tcpsim_replay_packet(struct tcpsim_replay *rp, uint64_t frame, tcpsim_ns_t ts, int dlt, const uint8_t *data,
                          size_t caplen, size_t wirelen)
{
    (void)wirelen;
    packet(rp, frame, ts, dlt, data, caplen, false);
}

struct leave_ord {
    uint32_t id, slot;
};

/* (id, slot) pairs in order of id: LSD radix sort, 11 bits a pass (three
 * passes cover 32 bits; a pass whose digit is the same for every pair is
 * skipped, so the few thousand ids left at the end usually take two).
 * Stable and O(n), where qsort was an indirect comparator per comparison.
 * Ids are unique (tcp.stream numbers), so the order is fully determined.
 * Returns the sorted array: `a` or `tmp`. */
static struct leave_ord *sort_by_id(struct leave_ord *a, struct leave_ord *tmp, uint32_t n)
{
    enum { BITS = 11, BUCKETS = 1u << BITS };
    uint32_t cnt[BUCKETS];
    for (unsigned shift = 0; shift < 32; shift += BITS) {
        memset(cnt, 0, sizeof cnt);
        for (uint32_t i = 0; i < n; i++)
            cnt[(a[i].id >> shift) & (BUCKETS - 1)]++;
        if (n == 0 || cnt[(a[0].id >> shift) & (BUCKETS - 1)] == n)
            continue; /* one digit for all: this pass would not move anything */
        uint32_t sum = 0;
        for (uint32_t k = 0; k < BUCKETS; k++) {
            uint32_t v = cnt[k];
            cnt[k] = sum;
            sum += v;
        }
        for (uint32_t i = 0; i < n; i++)
            tmp[cnt[(a[i].id >> shift) & (BUCKETS - 1)]++] = a[i];
        struct leave_ord *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

void tcpsim_replay_finish(struct tcpsim_replay *rp)
{
    if (rp->finished)
        return;
    rp->finished = true;
    /* Remaining connections leave in order of their number. Every slot in
     * use is visited (not the timeout queues: a connection the queues had no
     * memory for is on none of them), and the sort needs no global, so two
     * replayers may finish at once on two threads. */
    uint32_t n = 0;
    size_t cap = (size_t)rp->ft.count + 1;
    /* the pairs and the radix sort's second buffer, in one block */
    struct leave_ord *order = malloc(cap * 2 * sizeof *order);
    for (uint32_t s = 0; s < rp->ft.used_hw; s++) {
        struct tcpsim_rp_conn *c = tcpsim__flow_conn(&rp->ft, s);
        if (!c->in_use)
            continue;
        if (!order) { /* no memory: any order will do */
            conn_leave(rp, s, TCPSIM_RP_LEAVE_END);
            continue;
        }
        order[n++] = (struct leave_ord){c->id, s};
    }
    if (order) {
        const struct leave_ord *sorted = sort_by_id(order, order + cap, n);
        for (uint32_t i = 0; i < n; i++)
            conn_leave(rp, sorted[i].slot, TCPSIM_RP_LEAVE_END);
        free(order);
    }
    rp->sum.seconds = rp->have_time ? (double)(rp->last_ts - rp->first_ts) / 1e9 : 0.0;
    if (rp->cfg.h.summary)
        rp->cfg.h.summary(rp->cfg.h.ctx, &rp->sum);
    rp->fifo.ref_seen = rp->fifo.ref_last; /* the view let go of every record (handler.segment_ref) */
}
