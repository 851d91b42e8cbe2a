/* tcpsim/reader.h - bounds-checked byte reader and writer.
 * Every read checks the bytes left first (picotls style: compare
 * n > (size_t)(end - p)); a failed read leaves the reader unchanged and
 * returns false. Nothing here allocates. All multi-byte values are big-endian
 * (network order) unless the name says _le. */
#ifndef TCPSIM_READER_H
#define TCPSIM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tcpsim_reader {
    const uint8_t *p;
    const uint8_t *end;
};

struct tcpsim_writer {
    uint8_t *p;
    uint8_t *end;
    bool overflow; /* set once a write did not fit; later writes are no-ops */
};

static inline struct tcpsim_reader tcpsim_reader_make(const void *data, size_t len)
{
    /* An empty view may come with data == NULL: NULL + 0 is undefined in C. */
    const uint8_t *p = (const uint8_t *)data;
    struct tcpsim_reader r = {p, p ? p + len : p};
    return r;
}

static inline size_t tcpsim_reader_left(const struct tcpsim_reader *r)
{
    return (size_t)(r->end - r->p);
}

static inline bool tcpsim_read_skip(struct tcpsim_reader *r, size_t n)
{
    if (n > (size_t)(r->end - r->p))
        return false;
    r->p += n;
    return true;
}

static inline bool tcpsim_read_u8(struct tcpsim_reader *r, uint8_t *v)
{
    if (1 > (size_t)(r->end - r->p))
        return false;
    *v = r->p[0];
    r->p += 1;
    return true;
}

static inline bool tcpsim_read_u16(struct tcpsim_reader *r, uint16_t *v)
{
    if (2 > (size_t)(r->end - r->p))
        return false;
    *v = (uint16_t)((unsigned)r->p[0] << 8 | r->p[1]);
    r->p += 2;
    return true;
}

static inline bool tcpsim_read_u16_le(struct tcpsim_reader *r, uint16_t *v)
{
    if (2 > (size_t)(r->end - r->p))
        return false;
    *v = (uint16_t)((unsigned)r->p[1] << 8 | r->p[0]);
    r->p += 2;
    return true;
}

static inline bool tcpsim_read_u24(struct tcpsim_reader *r, uint32_t *v)
{
    if (3 > (size_t)(r->end - r->p))
        return false;
    *v = (uint32_t)r->p[0] << 16 | (uint32_t)r->p[1] << 8 | r->p[2];
    r->p += 3;
    return true;
}

static inline bool tcpsim_read_u32(struct tcpsim_reader *r, uint32_t *v)
{
    if (4 > (size_t)(r->end - r->p))
        return false;
    *v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
    r->p += 4;
    return true;
}

static inline bool tcpsim_read_u32_le(struct tcpsim_reader *r, uint32_t *v)
{
    if (4 > (size_t)(r->end - r->p))
        return false;
    *v = (uint32_t)r->p[3] << 24 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[1] << 8 | r->p[0];
    r->p += 4;
    return true;
}

/* A zero-copy view of the next n bytes. */
static inline bool tcpsim_read_bytes(struct tcpsim_reader *r, size_t n, const uint8_t **out)
{
    if (n > (size_t)(r->end - r->p))
        return false;
    *out = r->p;
    r->p += n;
    return true;
}

/* Fixed-offset loads for straight-line decoders. Take a view of a whole
 * header with one checked tcpsim_read_bytes(r, n, &h), then read its fields
 * at constant offsets below n with these: they check nothing themselves, so
 * every offset + width must lie inside a view already checked. */
static inline uint8_t tcpsim_get_u8(const uint8_t *p)
{
    return p[0];
}

static inline uint16_t tcpsim_get_u16(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t tcpsim_get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Four bytes as a host-order word, for sums that do not depend on byte order
 * (the Internet checksum, RFC 1071 §2(B)). memcpy: no alignment assumed. */
static inline uint32_t tcpsim_get_u32_host(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* A length-prefixed block (prefix of 1, 2 or 3 bytes) as a sub-reader; the
 * caller must consume the sub-reader exactly (check tcpsim_reader_left == 0). */
static inline bool tcpsim_read_vec(struct tcpsim_reader *r, unsigned prefix, struct tcpsim_reader *sub)
{
    struct tcpsim_reader save = *r;
    uint32_t n = 0;
    bool ok;
    if (prefix == 1) {
        uint8_t v;
        ok = tcpsim_read_u8(r, &v);
        n = v;
    } else if (prefix == 2) {
        uint16_t v;
        ok = tcpsim_read_u16(r, &v);
        n = v;
    } else if (prefix == 3) {
        ok = tcpsim_read_u24(r, &n);
    } else {
        ok = false;
    }
    const uint8_t *p;
    if (!ok || !tcpsim_read_bytes(r, n, &p)) {
        *r = save;
        return false;
    }
    *sub = tcpsim_reader_make(p, n);
    return true;
}

static inline struct tcpsim_writer tcpsim_writer_make(void *buf, size_t cap)
{
    uint8_t *p = (uint8_t *)buf;
    struct tcpsim_writer w = {p, p ? p + cap : p, false};
    return w;
}

static inline bool tcpsim_write_bytes(struct tcpsim_writer *w, const void *src, size_t n)
{
    if (w->overflow || n > (size_t)(w->end - w->p)) {
        w->overflow = true;
        return false;
    }
    for (size_t i = 0; i < n; i++)
        w->p[i] = ((const uint8_t *)src)[i];
    w->p += n;
    return true;
}

static inline bool tcpsim_write_u8(struct tcpsim_writer *w, uint8_t v)
{
    return tcpsim_write_bytes(w, &v, 1);
}

static inline bool tcpsim_write_u16(struct tcpsim_writer *w, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    return tcpsim_write_bytes(w, b, 2);
}

static inline bool tcpsim_write_u24(struct tcpsim_writer *w, uint32_t v)
{
    uint8_t b[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return tcpsim_write_bytes(w, b, 3);
}

static inline bool tcpsim_write_u32(struct tcpsim_writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    return tcpsim_write_bytes(w, b, 4);
}

/* Overwrite a big-endian u16 at buf[off] (for a checksum filled in after the
 * bytes it covers are written). False, and nothing written, if it does not fit. */
static inline bool tcpsim_write_u16_at(uint8_t *buf, size_t cap, size_t off, uint16_t v)
{
    if (off > cap || 2 > cap - off)
        return false;
    buf[off] = (uint8_t)(v >> 8);
    buf[off + 1] = (uint8_t)v;
    return true;
}

#endif
