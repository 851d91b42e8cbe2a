/* tcp.c - TCP header and option decode/encode, flag names.
 * Read first: RFC 9293 §3.1 (header format) and §3.2 (options), RFC 7323 §2-3
 * (window scale, timestamps), RFC 2018 §2-3 (SACK-permitted, SACK blocks). */
#include "tcpsim/reader.h"
#include "tcpsim/wire.h"
#include "wire/wire_internal.h"

#include <stdio.h>
#include <string.h>

#define TCP_HDR_MIN 20u

/* Wire length a known option must have (RFC 9293 §3.2 table; RFC 7323; RFC 2018). */
static bool known_len_ok(uint8_t kind, uint8_t len)
{
    switch (kind) {
    case TCPSIM_OPT_MSS:
        return len == 4;
    case TCPSIM_OPT_WSCALE:
        return len == 3;
    case TCPSIM_OPT_SACK_PERM:
        return len == 2;
    case TCPSIM_OPT_TS:
        return len == 10;
    case TCPSIM_OPT_SACK:
        /* RFC 2018 §3: 2 + 8n bytes, at least one block; 40 bytes of option
         * space leave room for at most 4. */
        return len >= 10 && (len - 2) % 8 == 0 && (len - 2) / 8 <= TCPSIM_MAX_SACK_BLOCKS;
    default:
        return true; /* unknown kinds: any length >= 2 */
    }
}

/* Every case, errors included: what an error leaves in *opts is this
 * function's (the fast decoders below hand every error to it). */
enum tcpsim_err tcpsim__tcp_opts_decode_generic(const uint8_t *buf, size_t len, struct tcpsim_tcp_opts *opts)
{
    memset(opts, 0, sizeof *opts);
    if (len > TCPSIM_TCP_OPT_SPACE)
        return TCPSIM_ERR_MALFORMED;
    struct tcpsim_reader r = tcpsim_reader_make(buf, len);
    uint8_t kind;
    while (tcpsim_read_u8(&r, &kind)) {
        opts->layout[opts->layout_len++] = kind;
        if (kind == TCPSIM_OPT_EOL) {
            /* RFC 9293 §3.2: EOL ends the list; what follows is padding. Keep
             * each padding byte as an EOL entry so re-encoding gives the same
             * header length (non-zero padding comes back as zeros). */
            while (tcpsim_read_u8(&r, &kind))
                opts->layout[opts->layout_len++] = TCPSIM_OPT_EOL;
            break;
        }
        if (kind == TCPSIM_OPT_NOP)
            continue;
        /* RFC 9293 §3.2: every other option is kind, length (counting both), data. */
        uint8_t olen;
        if (!tcpsim_read_u8(&r, &olen))
            return TCPSIM_ERR_MALFORMED; /* kind byte is the last of the area */
        if (olen < 2)
            return TCPSIM_ERR_MALFORMED;
        const uint8_t *data;
        if (!tcpsim_read_bytes(&r, (size_t)olen - 2, &data))
            return TCPSIM_ERR_MALFORMED; /* runs past the header */
        if (!known_len_ok(kind, olen))
            return TCPSIM_ERR_MALFORMED;
        struct tcpsim_reader d = tcpsim_reader_make(data, (size_t)olen - 2);
        bool ok = true;
        switch (kind) {
        case TCPSIM_OPT_MSS:
            ok = tcpsim_read_u16(&d, &opts->mss);
            opts->present |= TCPSIM_HAS_MSS;
            break;
        case TCPSIM_OPT_WSCALE:
            ok = tcpsim_read_u8(&d, &opts->wscale);
            opts->present |= TCPSIM_HAS_WSCALE;
            break;
        case TCPSIM_OPT_SACK_PERM:
            opts->present |= TCPSIM_HAS_SACK_PERM;
            break;
        case TCPSIM_OPT_TS:
            ok = tcpsim_read_u32(&d, &opts->ts_val) && tcpsim_read_u32(&d, &opts->ts_ecr);
            opts->present |= TCPSIM_HAS_TS;
            break;
        case TCPSIM_OPT_SACK:
            opts->sack_count = 0;
            while (ok && tcpsim_reader_left(&d) > 0) {
                struct tcpsim_sack_block *b = &opts->sack[opts->sack_count++];
                ok = tcpsim_read_u32(&d, &b->left) && tcpsim_read_u32(&d, &b->right);
            }
            opts->present |= TCPSIM_HAS_SACK;
            break;
        default:
            /* Kept raw (kind, len, data) so it survives a round trip. Fits:
             * the unknown TLVs are a subset of at most 40 option bytes. */
            opts->unknown[opts->unknown_len++] = kind;
            opts->unknown[opts->unknown_len++] = olen;
            memcpy(opts->unknown + opts->unknown_len, data, (size_t)olen - 2);
            opts->unknown_len = (uint8_t)(opts->unknown_len + olen - 2);
            break;
        }
        if (!ok)
            return TCPSIM_ERR_MALFORMED; /* cannot happen after known_len_ok */
    }
    return TCPSIM_OK;
}

/* Size on the wire of one option of `kind`; for unknown kinds, the length of
 * the unknown TLV at *uoff (advanced). 0 when the option cannot be produced. */
static size_t opt_wire_size(const struct tcpsim_tcp_opts *o, uint8_t kind, size_t *uoff)
{
    switch (kind) {
    case TCPSIM_OPT_EOL:
    case TCPSIM_OPT_NOP:
        return 1;
    case TCPSIM_OPT_MSS:
        return (o->present & TCPSIM_HAS_MSS) ? 4 : 0;
    case TCPSIM_OPT_WSCALE:
        return (o->present & TCPSIM_HAS_WSCALE) ? 3 : 0;
    case TCPSIM_OPT_SACK_PERM:
        return (o->present & TCPSIM_HAS_SACK_PERM) ? 2 : 0;
    case TCPSIM_OPT_TS:
        return (o->present & TCPSIM_HAS_TS) ? 10 : 0;
    case TCPSIM_OPT_SACK:
        if (!(o->present & TCPSIM_HAS_SACK) || o->sack_count == 0 || o->sack_count > TCPSIM_MAX_SACK_BLOCKS)
            return 0;
        return 2 + 8u * o->sack_count;
    default:
        if (*uoff + 2 > o->unknown_len || o->unknown[*uoff] != kind || o->unknown[*uoff + 1] < 2 ||
            *uoff + o->unknown[*uoff + 1] > o->unknown_len)
            return 0;
        {
            size_t n = o->unknown[*uoff + 1];
            *uoff += n;
            return n;
        }
    }
}

/* Write one option; the caller has checked it with opt_wire_size. */
static void opt_write(struct tcpsim_writer *w, const struct tcpsim_tcp_opts *o, uint8_t kind, size_t *uoff)
{
    switch (kind) {
    case TCPSIM_OPT_EOL:
    case TCPSIM_OPT_NOP:
        tcpsim_write_u8(w, kind);
        break;
    case TCPSIM_OPT_MSS:
        tcpsim_write_u8(w, kind);
        tcpsim_write_u8(w, 4);
        tcpsim_write_u16(w, o->mss);
        break;
    case TCPSIM_OPT_WSCALE:
        tcpsim_write_u8(w, kind);
        tcpsim_write_u8(w, 3);
        tcpsim_write_u8(w, o->wscale);
        break;
    case TCPSIM_OPT_SACK_PERM:
        tcpsim_write_u8(w, kind);
        tcpsim_write_u8(w, 2);
        break;
    case TCPSIM_OPT_TS:
        tcpsim_write_u8(w, kind);
        tcpsim_write_u8(w, 10);
        tcpsim_write_u32(w, o->ts_val);
        tcpsim_write_u32(w, o->ts_ecr);
        break;
    case TCPSIM_OPT_SACK:
        tcpsim_write_u8(w, kind);
        tcpsim_write_u8(w, (uint8_t)(2 + 8 * o->sack_count));
        for (unsigned i = 0; i < o->sack_count; i++) {
            tcpsim_write_u32(w, o->sack[i].left);
            tcpsim_write_u32(w, o->sack[i].right);
        }
        break;
    default: {
        size_t n = o->unknown[*uoff + 1];
        tcpsim_write_bytes(w, o->unknown + *uoff, n);
        *uoff += n;
        break;
    }
    }
}

/* The canonical layout, Linux's order (tcp_options_write() in
 * net/ipv4/tcp_output.c): MSS; SACK-perm+TS or NOP,NOP,TS or NOP,NOP,SACK-perm;
 * NOP,WSCALE; NOP,NOP,SACK; then unknown TLVs in order. Every piece but the
 * unknowns is 4-byte aligned. Returns the number of kinds in out. */
static size_t canonical_layout(const struct tcpsim_tcp_opts *o, uint8_t out[TCPSIM_TCP_OPT_SPACE * 2])
{
    size_t n = 0;
    if (o->present & TCPSIM_HAS_MSS)
        out[n++] = TCPSIM_OPT_MSS;
    if (o->present & TCPSIM_HAS_TS) {
        if (o->present & TCPSIM_HAS_SACK_PERM) {
            out[n++] = TCPSIM_OPT_SACK_PERM;
        } else {
            out[n++] = TCPSIM_OPT_NOP;
            out[n++] = TCPSIM_OPT_NOP;
        }
        out[n++] = TCPSIM_OPT_TS;
    } else if (o->present & TCPSIM_HAS_SACK_PERM) {
        out[n++] = TCPSIM_OPT_NOP;
        out[n++] = TCPSIM_OPT_NOP;
        out[n++] = TCPSIM_OPT_SACK_PERM;
    }
    if (o->present & TCPSIM_HAS_WSCALE) {
        out[n++] = TCPSIM_OPT_NOP;
        out[n++] = TCPSIM_OPT_WSCALE;
    }
    if (o->present & TCPSIM_HAS_SACK) {
        out[n++] = TCPSIM_OPT_NOP;
        out[n++] = TCPSIM_OPT_NOP;
        out[n++] = TCPSIM_OPT_SACK;
    }
    /* Unknown TLVs: one entry per TLV (at most 20 of them in 40 bytes). */
    for (size_t u = 0; u + 2 <= o->unknown_len && o->unknown[u + 1] >= 2 && n < TCPSIM_TCP_OPT_SPACE * 2;
         u += o->unknown[u + 1])
        out[n++] = o->unknown[u];
    return n;
}

/* Resolve the layout to encode and its unpadded size; false if inconsistent. */
static bool opts_plan(const struct tcpsim_tcp_opts *o, const uint8_t **kinds, size_t *nkinds, size_t *size,
                      uint8_t scratch[TCPSIM_TCP_OPT_SPACE * 2])
{
    if (o->layout_len > TCPSIM_TCP_OPT_SPACE || o->unknown_len > TCPSIM_TCP_OPT_SPACE)
        return false;
    if (o->layout_len > 0) {
        *kinds = o->layout;
        *nkinds = o->layout_len;
    } else {
        *nkinds = canonical_layout(o, scratch);
        *kinds = scratch;
    }
    size_t total = 0, uoff = 0;
    uint8_t seen = 0;
    for (size_t i = 0; i < *nkinds; i++) {
        size_t n = opt_wire_size(o, (*kinds)[i], &uoff);
        if (n == 0)
            return false; /* layout names an option the summary lacks */
        total += n;
        switch ((*kinds)[i]) {
        case TCPSIM_OPT_MSS:
            seen |= TCPSIM_HAS_MSS;
            break;
        case TCPSIM_OPT_WSCALE:
            seen |= TCPSIM_HAS_WSCALE;
            break;
        case TCPSIM_OPT_SACK_PERM:
            seen |= TCPSIM_HAS_SACK_PERM;
            break;
        case TCPSIM_OPT_SACK:
            seen |= TCPSIM_HAS_SACK;
            break;
        case TCPSIM_OPT_TS:
            seen |= TCPSIM_HAS_TS;
            break;
        default:
            break;
        }
    }
    /* Everything in the summary must be in the layout, all unknown bytes used. */
    if ((o->present & (TCPSIM_HAS_MSS | TCPSIM_HAS_WSCALE | TCPSIM_HAS_SACK_PERM | TCPSIM_HAS_SACK | TCPSIM_HAS_TS)) !=
            seen ||
        uoff != o->unknown_len)
        return false;
    *size = total;
    return true;
}

size_t tcpsim_tcp_opts_size(const struct tcpsim_tcp_opts *opts)
{
    uint8_t scratch[TCPSIM_TCP_OPT_SPACE * 2];
    const uint8_t *kinds;
    size_t nkinds, size;
    if (!opts_plan(opts, &kinds, &nkinds, &size, scratch))
        return 0;
    return (size + 3) & ~(size_t)3;
}

enum tcpsim_err tcpsim_tcp_encode(const struct tcpsim_segment *seg, uint8_t *buf, size_t cap, size_t *written)
{
    uint8_t scratch[TCPSIM_TCP_OPT_SPACE * 2];
    const uint8_t *kinds;
    size_t nkinds, osize;
    *written = 0;
    if (!opts_plan(&seg->opts, &kinds, &nkinds, &osize, scratch))
        return TCPSIM_ERR_INVALID;
    size_t padded = (osize + 3) & ~(size_t)3;
    if (padded > TCPSIM_TCP_OPT_SPACE)
        return TCPSIM_ERR_INVALID;
    if (seg->payload_len > 0 && seg->payload == NULL)
        return TCPSIM_ERR_INVALID;
    size_t hlen = TCP_HDR_MIN + padded;
    if (hlen > cap || seg->payload_len > cap - hlen)
        return TCPSIM_ERR_NOSPACE;

    /* RFC 9293 §3.1 header: ports, SEQ, ACK, data offset|reserved, flags,
     * window, checksum, urgent pointer. */
    struct tcpsim_writer w = tcpsim_writer_make(buf, cap);
    tcpsim_write_u16(&w, seg->src_port);
    tcpsim_write_u16(&w, seg->dst_port);
    tcpsim_write_u32(&w, seg->seq);
    tcpsim_write_u32(&w, seg->ack);
    tcpsim_write_u8(&w, (uint8_t)((hlen / 4) << 4 | (seg->reserved & 0x0fu)));
    tcpsim_write_u8(&w, seg->flags);
    tcpsim_write_u16(&w, seg->window);
    tcpsim_write_u16(&w, seg->checksum);
    tcpsim_write_u16(&w, seg->urg_ptr);
    size_t uoff = 0;
    for (size_t i = 0; i < nkinds; i++)
        opt_write(&w, &seg->opts, kinds[i], &uoff);
    /* RFC 9293 §3.1: the header is padded with zeros to a 32-bit boundary. */
    for (size_t i = osize; i < padded; i++)
        tcpsim_write_u8(&w, TCPSIM_OPT_EOL);
    if (seg->payload_len > 0)
        tcpsim_write_bytes(&w, seg->payload, seg->payload_len);
    if (w.overflow)
        return TCPSIM_ERR_NOSPACE; /* not reached: sizes checked above */
    *written = hlen + seg->payload_len;
    return TCPSIM_OK;
}

enum tcpsim_err tcpsim__tcp_decode_generic(const uint8_t *buf, size_t len, struct tcpsim_segment *seg)
{
    memset(seg, 0, sizeof *seg);
    struct tcpsim_reader r = tcpsim_reader_make(buf, len);
    uint8_t off_res;
    if (!tcpsim_read_u16(&r, &seg->src_port) || !tcpsim_read_u16(&r, &seg->dst_port) ||
        !tcpsim_read_u32(&r, &seg->seq) || !tcpsim_read_u32(&r, &seg->ack) || !tcpsim_read_u8(&r, &off_res) ||
        !tcpsim_read_u8(&r, &seg->flags) || !tcpsim_read_u16(&r, &seg->window) ||
        !tcpsim_read_u16(&r, &seg->checksum) || !tcpsim_read_u16(&r, &seg->urg_ptr))
        return TCPSIM_ERR_TRUNCATED;
    seg->data_offset = off_res >> 4;
    seg->reserved = off_res & 0x0fu;
    /* RFC 9293 §3.1: data offset counts 32-bit words, minimum 5. */
    if (seg->data_offset < 5)
        return TCPSIM_ERR_MALFORMED;
    const uint8_t *opt;
    size_t optlen = (size_t)seg->data_offset * 4 - TCP_HDR_MIN;
    if (!tcpsim_read_bytes(&r, optlen, &opt))
        return TCPSIM_ERR_TRUNCATED;
    enum tcpsim_err e = tcpsim__tcp_opts_decode_generic(opt, optlen, &seg->opts);
    if (e != TCPSIM_OK)
        return e;
    seg->payload = r.p;
    seg->payload_len = tcpsim_reader_left(&r);
    return TCPSIM_OK;
}

/* The fast decoders: the same output as the generic ones for every header
 * (tests/wire/test_wire_diff.c checks it against a copy of the old code), in
 * a straight line for the common cases. They write every field a caller
 * reads instead of clearing the whole struct first: the entries of layout[],
 * unknown[] and sack[] past their counts are left as they were (wire.h).
 * Any error is handed to the generic code, which decodes again from the
 * start, so an error leaves exactly what it always did. */

/* Every scalar of the option summary as the generic code's memset leaves it. */
static inline void opts_clear(struct tcpsim_tcp_opts *o)
{
    o->present = 0;
    o->mss = 0;
    o->wscale = 0;
    o->ts_val = 0;
    o->ts_ecr = 0;
    o->sack_count = 0;
    o->layout_len = 0;
    o->unknown_len = 0;
}

/* Option bytes, with one index check per option instead of a reader call
 * per byte. false on anything malformed (the caller then asks the generic
 * code for the error). The scalars of *o must be cleared. RFC 9293 §3.2:
 * EOL ends the list and the rest is padding (kept as EOL entries, as the
 * generic code does); NOP is one byte; every other option is kind, length
 * (counting both), data. Options are applied in wire order, as in the
 * generic code (a repeated option: the last one counts). */
static bool opts_scan(const uint8_t *p, size_t len, struct tcpsim_tcp_opts *o)
{
    size_t i = 0, n = 0;
    while (i < len) {
        uint8_t kind = p[i];
        o->layout[n++] = kind;
        if (kind == TCPSIM_OPT_NOP) {
            i++;
            continue;
        }
        if (kind == TCPSIM_OPT_EOL) {
            memset(o->layout + n, TCPSIM_OPT_EOL, len - i - 1);
            n += len - i - 1;
            break;
        }
        if (len - i < 2)
            return false; /* kind byte is the last of the area */
        uint8_t olen = p[i + 1];
        if (olen > len - i)
            return false;             /* runs past the header */
        const uint8_t *d = p + i + 2; /* olen - 2 bytes, checked above */
        /* The lengths known_len_ok requires, checked per kind (RFC 9293 §3.2,
         * RFC 7323, RFC 2018 §3). */
        switch (kind) {
        case TCPSIM_OPT_MSS:
            if (olen != 4)
                return false;
            o->mss = tcpsim_get_u16(d);
            o->present |= TCPSIM_HAS_MSS;
            break;
        case TCPSIM_OPT_WSCALE:
            if (olen != 3)
                return false;
            o->wscale = d[0];
            o->present |= TCPSIM_HAS_WSCALE;
            break;
        case TCPSIM_OPT_SACK_PERM:
            if (olen != 2)
                return false;
            o->present |= TCPSIM_HAS_SACK_PERM;
            break;
        case TCPSIM_OPT_TS:
            if (olen != 10)
                return false;
            o->ts_val = tcpsim_get_u32(d);
            o->ts_ecr = tcpsim_get_u32(d + 4);
            o->present |= TCPSIM_HAS_TS;
            break;
        case TCPSIM_OPT_SACK:
            if (!known_len_ok(kind, olen))
                return false;
            /* A second SACK option replaces the first, as in the generic code. */
            o->sack_count = (uint8_t)((olen - 2) / 8);
            for (unsigned b = 0; b < o->sack_count; b++) {
                o->sack[b].left = tcpsim_get_u32(d + 8 * b);
                o->sack[b].right = tcpsim_get_u32(d + 8 * b + 4);
            }
            o->present |= TCPSIM_HAS_SACK;
            break;
        default:
            if (olen < 2)
                return false;
            /* Kept raw; fits: the unknown TLVs are a subset of the area. */
            memcpy(o->unknown + o->unknown_len, p + i, olen);
            o->unknown_len = (uint8_t)(o->unknown_len + olen);
            break;
        }
        i += olen;
    }
    o->layout_len = (uint8_t)n;
    return true;
}

/* NOP, NOP, timestamps (RFC 7323 Appendix A's layout; Linux on every segment
 * after the SYN when timestamps are on), as one 32-bit compare. */
#define NOP_NOP_TS 0x0101080au
/* Linux's SYN and SYN-ACK (tcp_options_write(), net/ipv4/tcp_output.c):
 * MSS 4 bytes, SACK-permitted, timestamps, NOP, window scale; 20 bytes. */
#define SYN_MSS_LEN      0x0204u     /* first 16 bits: MSS, length 4 */
#define SYN_SACKOK_TS    0x0402080au /* bytes 4-7: SACK-permitted, TS kind and length */
#define SYN_NOP_WS_SHIFT 0x010303u   /* bytes 16-18: NOP, WS kind and length */

/* The commonest option areas, whole: none, NOP NOP TS, Linux's SYN. false
 * when the bytes are anything else (*o is then left for opts_decode_scan). */
__attribute__((always_inline)) static inline bool opts_decode_common(const uint8_t *p, size_t len,
                                                                     struct tcpsim_tcp_opts *o)
{
    if (len == 0) {
        opts_clear(o);
        return true;
    }
    if (len == 12 && tcpsim_get_u32(p) == NOP_NOP_TS) {
        opts_clear(o);
        o->layout[0] = TCPSIM_OPT_NOP;
        o->layout[1] = TCPSIM_OPT_NOP;
        o->layout[2] = TCPSIM_OPT_TS;
        o->layout_len = 3;
        o->ts_val = tcpsim_get_u32(p + 4);
        o->ts_ecr = tcpsim_get_u32(p + 8);
        o->present = TCPSIM_HAS_TS;
        return true;
    }
    if (len == 20 && tcpsim_get_u16(p) == SYN_MSS_LEN && tcpsim_get_u32(p + 4) == SYN_SACKOK_TS &&
        tcpsim_get_u32(p + 16) >> 8 == SYN_NOP_WS_SHIFT) {
        opts_clear(o);
        o->layout[0] = TCPSIM_OPT_MSS;
        o->layout[1] = TCPSIM_OPT_SACK_PERM;
        o->layout[2] = TCPSIM_OPT_TS;
        o->layout[3] = TCPSIM_OPT_NOP;
        o->layout[4] = TCPSIM_OPT_WSCALE;
        o->layout_len = 5;
        o->mss = tcpsim_get_u16(p + 2);
        o->ts_val = tcpsim_get_u32(p + 8);
        o->ts_ecr = tcpsim_get_u32(p + 12);
        o->wscale = p[19];
        o->present = TCPSIM_HAS_MSS | TCPSIM_HAS_SACK_PERM | TCPSIM_HAS_TS | TCPSIM_HAS_WSCALE;
        return true;
    }
    return false;
}

/* Any other valid option area (at most 40 bytes); false when malformed. */
static bool opts_decode_scan(const uint8_t *p, size_t len, struct tcpsim_tcp_opts *o)
{
    opts_clear(o);
    return opts_scan(p, len, o);
}

enum tcpsim_err tcpsim_tcp_opts_decode(const uint8_t *buf, size_t len, struct tcpsim_tcp_opts *opts)
{
    /* NULL with len > 0 decodes as an empty area in the generic code: keep that. */
    if (len > TCPSIM_TCP_OPT_SPACE || (len > 0 && buf == NULL))
        return tcpsim__tcp_opts_decode_generic(buf, len, opts);
    if (opts_decode_common(buf, len, opts) || opts_decode_scan(buf, len, opts))
        return TCPSIM_OK;
    return tcpsim__tcp_opts_decode_generic(buf, len, opts);
}

/* The rest of tcpsim_tcp_decode, out of line so that the common path calls
 * nothing (and saves no registers): options in another layout, errors. */
__attribute__((noinline)) static enum tcpsim_err tcp_decode_rest(const uint8_t *buf, size_t len,
                                                                 struct tcpsim_segment *seg, size_t optlen)
{
    if (optlen <= TCPSIM_TCP_OPT_SPACE && opts_decode_scan(buf + TCP_HDR_MIN, optlen, &seg->opts))
        return TCPSIM_OK;
    return tcpsim__tcp_decode_generic(buf, len, seg);
}

enum tcpsim_err tcpsim_tcp_decode(const uint8_t *buf, size_t len, struct tcpsim_segment *seg)
{
    struct tcpsim_reader r = tcpsim_reader_make(buf, len);
    const uint8_t *h, *opt;
    /* RFC 9293 §3.1: the 20-byte fixed header, then data offset - 5 words of options. */
    if (!tcpsim_read_bytes(&r, TCP_HDR_MIN, &h))
        return tcpsim__tcp_decode_generic(buf, len, seg);
    uint8_t doff = h[12] >> 4;
    size_t optlen = (size_t)doff * 4 - TCP_HDR_MIN;
    if (doff < 5 || !tcpsim_read_bytes(&r, optlen, &opt))
        return tcpsim__tcp_decode_generic(buf, len, seg);
    seg->src_port = tcpsim_get_u16(h);
    seg->dst_port = tcpsim_get_u16(h + 2);
    seg->seq = tcpsim_get_u32(h + 4);
    seg->ack = tcpsim_get_u32(h + 8);
    seg->data_offset = doff;
    seg->reserved = h[12] & 0x0fu;
    seg->flags = h[13];
    seg->window = tcpsim_get_u16(h + 14);
    seg->checksum = tcpsim_get_u16(h + 16);
    seg->urg_ptr = tcpsim_get_u16(h + 18);
    seg->payload = r.p;
    seg->payload_len = tcpsim_reader_left(&r);
    if (opts_decode_common(opt, optlen, &seg->opts))
        return TCPSIM_OK;
    return tcp_decode_rest(buf, len, seg, optlen);
}

const char *tcpsim_tcp_flags_str(uint8_t flags, char *buf, size_t cap)
{
    /* Wireshark's order: low bit first ("SYN, ACK", "FIN, PSH, ACK"). */
    static const char *const names[8] = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    size_t used = 0;
    for (unsigned i = 0; i < 8; i++) {
        if (!(flags & (1u << i)))
            continue;
        int n = snprintf(buf + used, cap - used, "%s%s", used ? "," : "", names[i]);
        if (n < 0 || (size_t)n >= cap - used) {
            buf[used] = '\0'; /* no half names when cap is short */
            break;
        }
        used += (size_t)n;
    }
    return buf;
}
