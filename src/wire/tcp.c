/* tcp.c - TCP header and option decode/encode, flag names.
 * Read first: RFC 9293 §3.1 (header format) and §3.2 (options), RFC 7323 §2-3
 * (window scale, timestamps), RFC 2018 §2-3 (SACK-permitted, SACK blocks). */
#include "tcpsim/reader.h"
#include "tcpsim/wire.h"

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

enum tcpsim_err tcpsim_tcp_opts_decode(const uint8_t *buf, size_t len, struct tcpsim_tcp_opts *opts)
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

enum tcpsim_err tcpsim_tcp_decode(const uint8_t *buf, size_t len, struct tcpsim_segment *seg)
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
    enum tcpsim_err e = tcpsim_tcp_opts_decode(opt, optlen, &seg->opts);
    if (e != TCPSIM_OK)
        return e;
    seg->payload = r.p;
    seg->payload_len = tcpsim_reader_left(&r);
    return TCPSIM_OK;
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
