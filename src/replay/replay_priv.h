/* replay_priv.h - the replayer's own state, shared by the files of src/replay
 * that work on it: replay.c (the per-packet path, the output FIFO), tlsglue.c
 * (TLS decoding of a connection's streams). Not installed. */
#ifndef TCPSIM_REPLAY_PRIV_H
#define TCPSIM_REPLAY_PRIV_H

#include "replay/flow.h"
#include "replay/replay.h"

/* The TLS items one segment completed: collected by the decoder's callback
 * while tcpsim_tls_feed runs, handed to the views with the segment. */
struct tls_scratch {
    size_t n;
    uint32_t dropped;
    bool collect; /* false: items only go to the summary */
    struct tcpsim_tl_tls it[TCPSIM_RP_MAX_TLS];
    struct tcpsim_tls_explain why[TCPSIM_RP_MAX_TLS]; /* it[i].why: the explanation as an id (i18n) */
    size_t json_len, arena_len;
    /* With handler.tls_items_unread the items are counted, not kept: the
     * bytes their explanations would take in the hold ring (emit_or_hold) */
    size_t xl;
    char json[TCPSIM_RP_TLS_ARENA];  /* "{...},{...}" */
    char arena[TCPSIM_RP_TLS_ARENA]; /* explanations and the strings of their ids' parameters */
    size_t err_len;
    char err[4096]; /* "{"dir":..,"error":..},..." for bytes that are not a record */
};

/* B1: the output FIFO. A segment record whose connection still has an open
 * question (a server that has not answered: LISTEN or a closed port? a FIN in
 * flight: did the peer close first?) waits here, as a struct, with every
 * record behind it (capture order is kept), until the answer comes, its
 * connection ends, or the FIFO holds HOLD_MAX records or HOLD_NS of capture
 * time; then LISTEN is assumed / the FIN delivered (observer.c). At 1000
 * packets per second of capture, HOLD_NS alone allows 60000 records. */
#define HOLD_MAX 65536u
#define HOLD_NS  ((tcpsim_ns_t)60 * 1000000000u)
#define TLS_RING (1u << 20) /* TLS items, explanations and JSON of held records */
/* Held records are packed one after another into blocks of HOLD_BLOCK bytes
 * taken in turn (a block goes to a free list once the head has left it), so
 * the memory held follows the records waiting (~350-480 bytes each instead of
 * a 544-byte slot, and no array of slots doubled and copied as the queue
 * grows); at HOLD_MAX records it is at most what the slots took. */
#define HOLD_BLOCK (64u * 1024u)

/* What the FIFO reads of a held record of either form: first in both. */
struct hold_hdr {
    uint64_t prev; /* number of the previous held record of the same connection (chain; 0 = none) */
    uint32_t slot;
    bool open;       /* its connection had an open question when it was held: a
                      * correction may still reach it. Records held only because
                      * others wait before them cannot be corrected (a later
                      * question applies from its own frame on, observer.c) and
                      * are written without reading their connection again. */
    uint8_t ev_cap;  /* event slots: TCPSIM_RP_MAX_EVENTS when open (a correction
                      * may add the transitions it decides), else the events it has */
    uint8_t compact; /* 0: struct held; HOLD_J: struct jheld; HOLD_JTLS: struct jheld, struct jtls */
    uint8_t pad;
};

/* A held record: this header, then its segment packed (tcpsim__rp_hold_seg_pack,
 * or its first TCPSIM_RP_SEG_HEAD bytes for a view with handler.seg_head),
 * then `ev_cap` event slots (struct tcpsim_rp_event). */
struct held {
    struct hold_hdr hd;
    struct tcpsim_rp_segment s; /* s.events points at the slots after the segment */
    uint32_t tls_off, tls_len;  /* in the ring: items, their explanation ids, the JSON, then the
                                 * strings (per item: explanation, then the id's three parameters) */
    uint16_t seg_len;           /* bytes of the packed segment */
};

/* The compact form (handler.segment_jref: an IPv4 segment), 80 bytes; for
 * a record with TLS parts a struct jtls; then `ev_cap` events as struct
 * tcpsim_rp_jev; then the TLS JSON and the TLS errors' JSON. */
#define HOLD_J    1u
#define HOLD_JTLS 2u
struct jheld {
    struct hold_hdr hd;
    struct tcpsim_rp_jrec j;
};
_Static_assert(sizeof(struct jheld) == 80, "a compact held record is 80 bytes before its events");
struct jtls {
    uint32_t off, len;          /* its room in the TLS ring, as a full record's (bytes counted, not used) */
    uint32_t json_len, err_len; /* bytes after the events */
    uint32_t dropped, pad;
};

struct hold_block {
    struct hold_block *next; /* the next block of the queue, or of the free list */
    size_t used;             /* bytes of data[] taken by records */
    uint64_t ref;            /* the view may read its records until ref_done reaches this (segment_ref) */
    _Alignas(16) unsigned char data[];
};

/* Records are numbered in FIFO order from 1 (idx[head] is number `base`): a
 * number stays valid while the queue grows and wraps, and a connection finds
 * its own held records through a chain of numbers (c->held_last, h->prev), so
 * a correction never walks other connections' records. A connection has
 * records held while c->held_last >= base. */
#define RETRO_MAX 65536u /* corrections waiting (replay.c); when full, all are walked at once */

/* A correction waiting for its records (replay.c, apply_retro): those of a
 * slot in a list, oldest first (indices into fifo.rent plus one; 0: none). */
struct retro_ent {
    uint64_t upto; /* it reaches the connection's records numbered up to this */
    uint32_t next; /* the slot's next one */
    struct tcpsim_rp_retro r;
};

struct hold_fifo {
    struct hold_hdr **idx; /* ring of `cap` (a power of two) pointers into the blocks */
    uint32_t *qslot;       /* beside each: the record's slot (replay.c: hints ahead of the head) */
    size_t cap, head, len;
    uint64_t base;
    struct hold_block *bhead, *btail, *bfree;
    size_t nblocks, most;      /* blocks allocated; the most records held at once */
    struct tcpsim_segment seg; /* the head's segment, unpacked while it is written */
    bool seg_head;             /* the view reads only the segment's first bytes (handler.seg_head) */
    bool copy_all;             /* tests: every record built on the stack and copied (emit_or_hold),
                                * the path seg_record's in-place build must give the same as */
    /* The free list's last block: blocks are taken again oldest first. */
    struct hold_block *bfree_last;
    uint8_t *ring;
    size_t r_head, r_tail, r_live; /* r_live: held records with bytes in the ring */
    /* Records handed over by reference (handler.segment_ref): the position
     * of the last one, and the view's position as last asked (ref_done). A
     * block is used again only once the view has let go of its records. */
    uint64_t ref_last, ref_seen;
    /* Corrections waiting for their records (apply_retro): the entries, a
     * stack of the free ones' indices (rfree of them), each slot's first
     * and last (rslot, rtail: grown to the highest slot with one); at most
     * rmax entries (RETRO_MAX; tests set fewer). retro_now (tests): every
     * correction walked to its records at once instead, the way the waiting
     * ones must give the same records as. */
    struct retro_ent *rent;
    size_t rcap, rmax, rlive;
    uint32_t *rstack;
    uint32_t rfree;
    uint32_t *rslot, *rtail;
    size_t rslot_n;
    bool retro_now;
};

struct tcpsim_replay {
    struct tcpsim_replay_cfg cfg;
    struct hold_fifo fifo;
    struct tcpsim__flowtab ft;
    uint32_t next_id;
    struct tcpsim_rp_summary sum;
    bool have_time;
    tcpsim_ns_t first_ts, last_ts;
    bool finished;
    tcpsim_ns_t next_expire; /* no connection can time out before this (a lower bound) */
    struct tls_scratch tls;
    struct tcpsim_rp_conn *tls_conn; /* the connection the TLS decoder is working for */
    bool filter_view;                /* a BPF filter picks what is written (A8) */
    bool hidden;                     /* the packet being processed does not match it */
};

/* The output FIFO's storage (replay.c), for the tests: a segment packed as a
 * held record keeps every field a view may read (tcpsim__rp_hold_seg_pack
 * returns the bytes written, at most HOLD_SEG_MAX; unpack takes that count
 * and gives the payload as NULL, entries past sack_count, layout_len and
 * unknown_len unspecified as after a decode); the blocks allocated and the
 * most records held at once. */
#define HOLD_SEG_MAX 192u
size_t tcpsim__rp_hold_seg_pack(unsigned char *p, const struct tcpsim_segment *seg);
void tcpsim__rp_hold_seg_unpack(struct tcpsim_segment *seg, const unsigned char *p, size_t n);
void tcpsim__rp_hold_stats(const struct tcpsim_replay *rp, size_t *blocks, size_t *most);

/* tlsglue.c */
void tcpsim__rp_tls_release(struct tcpsim_rp_conn *c);
void tcpsim__rp_tls_segment(struct tcpsim_replay *rp, struct tcpsim_rp_conn *c, int dir,
                            const struct tcpsim_segment *seg, uint32_t seglen, uint64_t frame, tcpsim_ns_t ts);

#endif
