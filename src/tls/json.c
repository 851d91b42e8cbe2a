/* json.c - compact JSON for the `tls` parts of the replay contract
 * (docs/replay-json.md): per-segment items and the per-connection object.
 * Read first: RFC 8259 §7 (string escaping), RFC 3629 (UTF-8 validity).
 * This runs once per TLS record on `replay --format json`, so nothing here
 * goes through printf: keys, numbers, hex and escaped strings are copied
 * into the buffer by hand (docs/performance.md). */
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "tls/tls_internal.h"

void tcpsim__sb_init(struct tcpsim__sb *b, char *buf, size_t cap)
{
    b->buf = buf;
    b->cap = cap;
    b->len = 0;
    b->overflow = cap == 0;
    if (cap > 0)
        buf[0] = '\0';
}

static void sb_put(struct tcpsim__sb *b, const char *s, size_t n)
{
    if (b->overflow)
        return;
    if (n + 1 > b->cap - b->len) {
        b->overflow = true;
        return;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

void tcpsim__sb_putn(struct tcpsim__sb *b, const char *s, size_t n)
{
    sb_put(b, s, n);
}

/* a string literal without strlen */
#define SB_LIT(b, lit) sb_put((b), (lit), sizeof(lit) - 1)

void tcpsim__sb_puts(struct tcpsim__sb *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

void tcpsim__sb_putc(struct tcpsim__sb *b, char c)
{
    sb_put(b, &c, 1);
}

/* v in decimal at p (at most 20 bytes). */
static char *fw_u64(char *p, unsigned long long v)
{
    static const char d2[201] = "0001020304050607080910111213141516171819"
                                "2021222324252627282930313233343536373839"
                                "4041424344454647484950515253545556575859"
                                "6061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    char t[20];
    size_t i = sizeof t;
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        i -= 2;
        memcpy(t + i, d2 + 2 * r, 2);
    }
    if (v >= 10) {
        i -= 2;
        memcpy(t + i, d2 + 2 * v, 2);
    } else {
        t[--i] = (char)('0' + v);
    }
    memcpy(p, t + i, sizeof t - i);
    return p + (sizeof t - i);
}

void tcpsim__sb_putu(struct tcpsim__sb *b, unsigned long long v)
{
    char t[20];
    sb_put(b, t, (size_t)(fw_u64(t, v) - t));
}

void tcpsim__sb_puthex4(struct tcpsim__sb *b, unsigned v)
{
    static const char hex[] = "0123456789abcdef";
    char t[4] = {hex[(v >> 12) & 15], hex[(v >> 8) & 15], hex[(v >> 4) & 15], hex[v & 15]};
    sb_put(b, t, sizeof t);
}

void tcpsim__sb_printf(struct tcpsim__sb *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) {
        b->buf[b->len] = '\0';
        b->overflow = true;
        return;
    }
    b->len += (size_t)n;
}

/* printf for the two conversions the explanations use, %s and %lld, written
 * by hand: this runs once per TLS record (docs/performance.md). Like
 * tcpsim__sb_printf, a piece that does not fit is dropped whole and the
 * builder marked overflowed. */
void tcpsim__sb_fmt(struct tcpsim__sb *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    /* Written straight at o; `end` leaves room for the NUL, so a piece of
     * n bytes fits exactly when sb_put would take it (n + 1 <= cap - len). */
    char *o = b->buf + b->len, *end = b->buf + b->cap - 1;
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt;;) {
        const char *pc = strchr(p, '%');
        size_t lit = pc ? (size_t)(pc - p) : strlen(p);
        if (lit > (size_t)(end - o))
            goto overflow;
        memcpy(o, p, lit);
        o += lit;
        if (!pc)
            break;
        p = pc;
        if (p[1] == 's') {
            const char *a = va_arg(ap, const char *);
            size_t n = strlen(a);
            if (n > (size_t)(end - o))
                goto overflow;
            memcpy(o, a, n);
            o += n;
            p += 2;
        } else if (p[1] != 'l' || p[2] != 'l' || p[3] != 'd') {
            /* not one of the two conversions it knows: written as it stands,
             * taking no argument (never reads past the format's end: each
             * test stops at the NUL) */
            if (o == end)
                goto overflow;
            *o++ = '%';
            p += 1;
        } else {
            long long v = va_arg(ap, long long);
            char t[21];
            t[0] = '-';
            size_t n = (size_t)(fw_u64(t + (v < 0), v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v) - t);
            if (n > (size_t)(end - o))
                goto overflow;
            memcpy(o, t, n);
            o += n;
            p += 4;
        }
    }
    va_end(ap);
    *o = '\0';
    b->len = (size_t)(o - b->buf);
    return;
overflow: /* the piece is dropped whole */
    va_end(ap);
    b->buf[b->len] = '\0';
    b->overflow = true;
}

/* length of a valid UTF-8 sequence at s (RFC 3629 §4), 0 if invalid */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f)) /* overlong, surrogates */
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if ((s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
            return 0;
        return 4;
    }
    return 0;
}

/* bytes that go into a JSON string as they are: printable ASCII except the
 * quote and backslash (RFC 8259 §7); 0x7f is escaped too (not required,
 * but kept as before so the output does not change) */
static bool plain_ascii(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Does any of the 8 bytes of w need escaping (not plain_ascii)? Per byte:
 * below 0x20, 0x7f or above, '"' or '\\'. Word-at-a-time tests (Bit Twiddling
 * Hacks, "determine if a word has a byte less than n / equal to n"): each
 * is exact about whether some byte matches, which is all that is asked. */
static bool word_special(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t below = (w - ones * 0x20) & ~w; /* a byte < 0x20 */
    uint64_t above = (w + ones) | w;         /* a byte >= 0x7f */
    uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
    uint64_t eq = ((q - ones) & ~q) | ((bs - ones) & ~bs); /* a quote or backslash */
    return ((below | above | eq) & high) != 0;
}

#if defined(__SSE2__)
/* Whether any of the 16 bytes in v (or at s) is not plain_ascii, as word_special
 * (a signed compare: bytes from 0x80 are below 0x20 too). */
static inline bool special_v(__m128i v)
{
    __m128i x = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)), _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f)));
    x = _mm_or_si128(x, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
    return _mm_movemask_epi8(x) != 0;
}

static inline bool special16(const char *s)
{
    return special_v(_mm_loadu_si128((const __m128i *)(const void *)s));
}
#endif

/* The common case: a string with nothing to escape, written with its quotes
 * in one copy when it fits. Returns false (nothing written) otherwise. */
static bool jstr_plain(struct tcpsim__sb *b, const unsigned char *s)
{
    size_t n = strlen((const char *)s), i = 0;
    if (b->overflow || n + 3 > b->cap - b->len)
        return false;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16)
        if (special16((const char *)s + i))
            return false;
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (word_special(w))
            return false;
    }
    if (i < n && n >= 8) { /* the last 8 bytes, overlapping what was checked */
        uint64_t w;
        memcpy(&w, s + n - 8, 8);
        if (word_special(w))
            return false;
    } else {
        for (; i < n; i++)
            if (!plain_ascii(s[i]))
                return false;
    }
    char *o = b->buf + b->len;
    o[0] = '"';
    memcpy(o + 1, s, n);
    o[n + 1] = '"';
    o[n + 2] = '\0';
    b->len += n + 2;
    return true;
}

void tcpsim__sb_jstr(struct tcpsim__sb *b, const char *str)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    if (jstr_plain(b, s))
        return;
    /* escapes to write, or not enough room: piece by piece, as always */
    tcpsim__sb_putc(b, '"');
    while (*s) {
        /* copy the longest run of plain bytes in one go */
        const unsigned char *run = s;
        while (plain_ascii(*s))
            s++;
        if (s > run)
            sb_put(b, (const char *)run, (size_t)(s - run));
        unsigned char c = *s;
        if (c == '\0')
            break;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sb_put(b, e, 2);
            s++;
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sb_put(b, e, sizeof e);
            s++;
        } else {
            size_t n = utf8_len(s); /* a NUL terminator fails the continuation checks */
            if (n == 0) {
                SB_LIT(b, "\\ufffd");
                s++;
            } else {
                sb_put(b, (const char *)s, n);
                s += n;
            }
        }
    }
    tcpsim__sb_putc(b, '"');
}

/* ,"k": -- k is one of our own key names (a literal: its length is known
 * at compile time), never needing escapes */
static void key_n(struct tcpsim__sb *b, const char *k, size_t n)
{
    if (b->overflow)
        return;
    if (n + 4 + 1 > b->cap - b->len) { /* the same limit sb_put applies */
        b->overflow = true;
        return;
    }
    char *o = b->buf + b->len;
    o[0] = ',';
    o[1] = '"';
    memcpy(o + 2, k, n);
    o[n + 2] = '"';
    o[n + 3] = ':';
    o[n + 4] = '\0';
    b->len += n + 4;
}

static void kstr_n(struct tcpsim__sb *b, const char *k, size_t n, const char *v)
{
    key_n(b, k, n);
    if (v)
        tcpsim__sb_jstr(b, v);
    else
        SB_LIT(b, "null");
}

static void knum_n(struct tcpsim__sb *b, const char *k, size_t n, unsigned long long v)
{
    key_n(b, k, n);
    tcpsim__sb_putu(b, v);
}

/* ,"k":"v" for v one of our own names (tcpsim_tls_record_name, _hs_name,
 * _version_name: literals in names.c, printable ASCII without quotes or
 * backslashes, test_tls_fast.c checks every value), so no escaping scan */
static void kname_n(struct tcpsim__sb *b, const char *k, size_t n, const char *v)
{
    key_n(b, k, n);
    size_t vl = strlen(v);
    if (b->overflow || vl + 3 > b->cap - b->len) {
        tcpsim__sb_jstr(b, v); /* piece by piece, with its overflow rules */
        return;
    }
    char *o = b->buf + b->len;
    o[0] = '"';
    memcpy(o + 1, v, vl);
    o[vl + 1] = '"';
    o[vl + 2] = '\0';
    b->len += vl + 2;
}

#define kname(b, k, v)        kname_n((b), "" k, sizeof(k) - 1, (v))
#define key(b, k)             key_n((b), "" k, sizeof(k) - 1)
#define kstr(b, k, v)         kstr_n((b), "" k, sizeof(k) - 1, (v))
#define kstr_or_null(b, k, v) kstr_n((b), "" k, sizeof(k) - 1, (v) && *(v) ? (v) : NULL)
#define knum(b, k, v)         knum_n((b), "" k, sizeof(k) - 1, (v))

static void name_or_hex(struct tcpsim__sb *b, const char *name, unsigned v)
{
    if (name) {
        tcpsim__sb_jstr(b, name);
    } else { /* "0x%04x" of a 16-bit code point */
        SB_LIT(b, "\"0x");
        tcpsim__sb_puthex4(b, v);
        tcpsim__sb_putc(b, '"');
    }
}

static enum tcpsim_err finish(struct tcpsim__sb *b, size_t *len_out)
{
    if (len_out)
        *len_out = b->overflow ? 0 : b->len;
    return b->overflow ? TCPSIM_ERR_NOSPACE : TCPSIM_OK;
}

static void hello_fields(struct tcpsim__sb *b, const struct tcpsim_tls_item *it)
{
    const struct tcpsim_tls_hello *h = it->hello;
    if (it->hs == TCPSIM_TLS_HS_CLIENT_HELLO) {
        kname(b, "max_version", tcpsim_tls_version_name(h->version));
        knum(b, "ciphers", h->nciphers);
        kstr_or_null(b, "sni", h->has_sni ? h->sni : NULL);
        key(b, "alpn");
        tcpsim__sb_putc(b, '[');
        for (size_t i = 0; i < h->nalpn; i++) {
            if (i)
                tcpsim__sb_putc(b, ',');
            tcpsim__sb_jstr(b, h->alpn[i]);
        }
        tcpsim__sb_putc(b, ']');
        key(b, "extensions");
        tcpsim__sb_putc(b, '[');
        for (size_t i = 0; i < h->nexts; i++) {
            if (i)
                tcpsim__sb_putc(b, ',');
            name_or_hex(b, tcpsim_tls_ext_name(h->exts[i]), h->exts[i]);
        }
        tcpsim__sb_putc(b, ']');
        if (h->sslv2)
            tcpsim__sb_puts(b, ",\"sslv2\":true");
    } else {
        kname(b, "tls_version", tcpsim_tls_version_name(h->version));
        key(b, "cipher");
        name_or_hex(b, tcpsim_tls_cipher_name(h->ciphers[0]), h->ciphers[0]);
        if (h->nkey_shares > 0) {
            key(b, "group");
            name_or_hex(b, tcpsim_tls_group_name(h->key_share_groups[0]), h->key_share_groups[0]);
        }
        if (h->nalpn > 0)
            kstr(b, "alpn", h->alpn[0]);
    }
}

/* ---- the item written straight into the caller's buffer ----
 *
 * The usual case: the item fits. Each piece is written at a pointer after
 * checking room for its longest form (a string: 6 bytes per byte, RFC 8259
 * §7's \u00XX, or U+FFFD for a byte that is not UTF-8), and the builder's
 * per-piece bookkeeping (overflow flag, NUL after every piece) is skipped.
 * When a piece might not fit, it gives up and the item is written again by
 * the builder (tcpsim__tls_item_json_sb), which also decides the overflow:
 * the builder overflows exactly when its final length + 1 exceeds cap (every
 * piece checks that), so whenever this path finishes, the builder would have
 * given the same bytes (tests/replay/test_output.c compares the two). */

/* Room for n bytes and the final NUL, or give up. */
#define FW_NEED(p, end, n)                                                                                             \
    do {                                                                                                               \
        if ((size_t)((end) - (p)) < (size_t)(n) + 1u)                                                                  \
            return NULL;                                                                                               \
    } while (0)
#define FW_LIT(p, lit) (memcpy((p), (lit), sizeof(lit) - 1), (p) += sizeof(lit) - 1)

/* `s` (NUL-terminated, n = strlen) as tcpsim__sb_jstr writes it, with its
 * quotes; the caller checked room for 6n + 2 and the NUL. */
static char *fw_jstr(char *p, const char *s, size_t n)
{
    size_t i = 0;
    uint64_t w;
#if defined(__SSE2__)
    for (; i + 16 <= n; i += 16)
        if (special16(s + i))
            goto escape;
#endif
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        if (word_special(w))
            goto escape;
    }
    if (i < n && n >= 8) { /* the last 8 bytes, overlapping what was checked */
        memcpy(&w, s + n - 8, 8);
        if (word_special(w))
            goto escape;
    } else {
        for (; i < n; i++)
            if (!plain_ascii((unsigned char)s[i]))
                goto escape;
    }
    *p++ = '"';
    memcpy(p, s, n);
    p += n;
    *p++ = '"';
    return p;
escape:; /* something to escape: the builder's own loop, in room it cannot overflow */
    struct tcpsim__sb b;
    tcpsim__sb_init(&b, p, 6 * n + 3);
    tcpsim__sb_jstr(&b, s);
    return p + b.len;
}

/* A string value (NULL: ""), as tcpsim__sb_jstr. */
#define FW_JSTR(p, end, str)                                                                                           \
    do {                                                                                                               \
        const char *fw_s_ = (str) ? (str) : "";                                                                        \
        size_t fw_n_ = strlen(fw_s_);                                                                                  \
        FW_NEED(p, end, 6 * fw_n_ + 2);                                                                                \
        (p) = fw_jstr((p), fw_s_, fw_n_);                                                                              \
    } while (0)
/* ,"k": for a literal key */
#define FW_KEY(p, end, k)                                                                                              \
    do {                                                                                                               \
        FW_NEED(p, end, sizeof(k) + 3);                                                                                \
        FW_LIT(p, ",\"" k "\":");                                                                                      \
    } while (0)
/* ,"k":"v" for v one of our own names (kname_n: nothing to escape) */
#define FW_KNAME(p, end, k, v)                                                                                         \
    do {                                                                                                               \
        const char *fw_v_ = (v);                                                                                       \
        size_t fw_n_ = strlen(fw_v_);                                                                                  \
        FW_NEED(p, end, sizeof(k) + 5 + fw_n_);                                                                        \
        FW_LIT(p, ",\"" k "\":\"");                                                                                    \
        memcpy((p), fw_v_, fw_n_);                                                                                     \
        (p) += fw_n_;                                                                                                  \
        *(p)++ = '"';                                                                                                  \
    } while (0)
#define FW_KNUM(p, end, k, v)                                                                                          \
    do {                                                                                                               \
        FW_NEED(p, end, sizeof(k) + 23);                                                                               \
        FW_LIT(p, ",\"" k "\":");                                                                                      \
        (p) = fw_u64((p), (v));                                                                                        \
    } while (0)
/* ,"k":"..." or ,"k":null (kstr_n) */
#define FW_KSTR(p, end, k, v)                                                                                          \
    do {                                                                                                               \
        const char *fw_k_ = (v);                                                                                       \
        FW_KEY(p, end, k);                                                                                             \
        if (fw_k_) {                                                                                                   \
            FW_JSTR(p, end, fw_k_);                                                                                    \
        } else {                                                                                                       \
            FW_NEED(p, end, 4);                                                                                        \
            FW_LIT(p, "null");                                                                                         \
        }                                                                                                              \
    } while (0)

/* name_or_hex, for `name` one of our own names (tcpsim_tls_ext_name,
 * _cipher_name, _group_name: literals in names.c and ciphers.c, printable
 * ASCII without quotes or backslashes, so the escaper would copy them as
 * they are; tests/replay/test_output.c checks every value) */
static char *fw_name_or_hex(char *p, char *end, const char *name, unsigned v)
{
    static const char hex[] = "0123456789abcdef";
    if (name) {
        size_t n = strlen(name);
        FW_NEED(p, end, n + 2);
        *p++ = '"';
        memcpy(p, name, n);
        p += n;
        *p++ = '"';
        return p;
    }
    FW_NEED(p, end, 8);
    FW_LIT(p, "\"0x");
    p[0] = hex[(v >> 12) & 15];
    p[1] = hex[(v >> 8) & 15];
    p[2] = hex[(v >> 4) & 15];
    p[3] = hex[v & 15];
    p[4] = '"';
    return p + 5;
}

/* tcpsim_tls_ext_name of the last few codes looked up (a ClientHello lists
 * ~15 extensions, most the same in every hello): direct-mapped by the low
 * bits, the code checked, per thread (items are rendered on any thread). */
#define EXT_MEMO 64u
static const char *ext_name_memo(uint16_t e)
{
    static _Thread_local struct {
        uint32_t key; /* code + 1; 0: empty */
        const char *name;
    } memo[EXT_MEMO];
    unsigned i = (e ^ (e >> 8)) & (EXT_MEMO - 1);
    if (memo[i].key != (uint32_t)e + 1u) {
        memo[i].key = (uint32_t)e + 1u;
        memo[i].name = tcpsim_tls_ext_name(e);
    }
    return memo[i].name;
}

static char *fw_hello(char *p, char *end, const struct tcpsim_tls_item *it)
{
    const struct tcpsim_tls_hello *h = it->hello;
    if (it->hs == TCPSIM_TLS_HS_CLIENT_HELLO) {
        FW_KNAME(p, end, "max_version", tcpsim_tls_version_name(h->version));
        FW_KNUM(p, end, "ciphers", h->nciphers);
        FW_KSTR(p, end, "sni", h->has_sni && h->sni[0] ? h->sni : NULL);
        FW_KEY(p, end, "alpn");
        FW_NEED(p, end, 1);
        *p++ = '[';
        for (size_t i = 0; i < h->nalpn; i++) {
            if (i) {
                FW_NEED(p, end, 1);
                *p++ = ',';
            }
            FW_JSTR(p, end, h->alpn[i]);
        }
        FW_NEED(p, end, 1);
        *p++ = ']';
        FW_KEY(p, end, "extensions");
        FW_NEED(p, end, 1);
        *p++ = '[';
        for (size_t i = 0; i < h->nexts; i++) {
            if (i) {
                FW_NEED(p, end, 1);
                *p++ = ',';
            }
            if (!(p = fw_name_or_hex(p, end, ext_name_memo(h->exts[i]), h->exts[i])))
                return NULL;
        }
        FW_NEED(p, end, 1);
        *p++ = ']';
        if (h->sslv2) {
            FW_NEED(p, end, 13);
            FW_LIT(p, ",\"sslv2\":true");
        }
    } else {
        FW_KNAME(p, end, "tls_version", tcpsim_tls_version_name(h->version));
        FW_KEY(p, end, "cipher");
        if (!(p = fw_name_or_hex(p, end, tcpsim_tls_cipher_name(h->ciphers[0]), h->ciphers[0])))
            return NULL;
        if (h->nkey_shares > 0) {
            FW_KEY(p, end, "group");
            if (!(p = fw_name_or_hex(p, end, tcpsim_tls_group_name(h->key_share_groups[0]), h->key_share_groups[0])))
                return NULL;
        }
        if (h->nalpn > 0)
            FW_KSTR(p, end, "alpn", h->alpn[0]);
    }
    return p;
}

/* The item at buf, NUL-terminated: the end, or NULL when some piece might
 * not have fit (nothing promised about buf then). */
static char *item_json_fast(const struct tcpsim_tls_item *it, const char *explain, char *buf, size_t cap,
                            char *marks[2])
{
    char *p = buf, *end = buf + cap;
    const char *side = tcpsim_tls_side_name(it->dir);
    size_t sl = strlen(side);
    FW_NEED(p, end, 9 + sl);
    FW_LIT(p, "{\"dir\":\"");
    memcpy(p, side, sl);
    p += sl;
    *p++ = '"';
    FW_KNAME(p, end, "record", tcpsim_tls_record_name(it->record));
    if (it->hs != TCPSIM_TLS_HS_NONE)
        FW_KNAME(p, end, "handshake", tcpsim_tls_hs_name(it->hs));
    if (it->hs == TCPSIM_TLS_HS_UNKNOWN)
        FW_KNUM(p, end, "handshake_type", it->hs_type);
    FW_KNAME(p, end, "record_version", tcpsim_tls_version_name(it->record_version));
    FW_NEED(p, end, sizeof("length") + 23);
    FW_LIT(p, ",\"length\":");
    marks[0] = p; /* (for the memo: where the length's digits are) */
    p = fw_u64(p, it->length);
    FW_NEED(p, end, 34);
    if (it->malformed)
        FW_LIT(p, ",\"malformed\":true");
    if (it->encrypted)
        FW_LIT(p, ",\"encrypted\":true");
    if (it->hello && !(p = fw_hello(p, end, it)))
        return NULL;
    if (it->hs == TCPSIM_TLS_HS_CERTIFICATE && !it->malformed) {
        FW_KNUM(p, end, "certificates", it->chain_len);
        if (it->ncerts > 0 && it->certs[0].parsed) {
            FW_KSTR(p, end, "subject", it->certs[0].subject);
            FW_KSTR(p, end, "issuer", it->certs[0].issuer);
        }
    }
    if (it->group) {
        FW_KEY(p, end, "group");
        if (!(p = fw_name_or_hex(p, end, tcpsim_tls_group_name(it->group), it->group)))
            return NULL;
    }
    if (it->key_bytes)
        FW_KNUM(p, end, "key_bytes", it->key_bytes);
    if (it->dh_prime_bits)
        FW_KNUM(p, end, "dh_prime_bits", it->dh_prime_bits);
    if (it->record == TCPSIM_TLS_REC_ALERT && !it->encrypted && !it->malformed) {
        const char *lv = tcpsim_tls_alert_level_name(it->alert_level), *ds = tcpsim_tls_alert_name(it->alert_desc);
        FW_KEY(p, end, "level");
        if (lv) {
            FW_JSTR(p, end, lv);
        } else {
            FW_NEED(p, end, 20);
            p = fw_u64(p, it->alert_level);
        }
        FW_KEY(p, end, "description");
        if (ds) {
            FW_JSTR(p, end, ds);
        } else {
            FW_NEED(p, end, 20);
            p = fw_u64(p, it->alert_desc);
        }
    }
    if (it->hs == TCPSIM_TLS_HS_NEW_SESSION_TICKET && !it->malformed) {
        FW_KNUM(p, end, "ticket_lifetime", it->ticket_lifetime);
        FW_KNUM(p, end, "ticket_len", it->ticket_len);
    }
    FW_KEY(p, end, "explain"); /* (FW_KSTR: the sentence is never NULL) */
    marks[1] = p;
    FW_JSTR(p, end, explain);
    FW_NEED(p, end, 1);
    *p++ = '}';
    *p = '\0';
    return p;
}

/* ---- the item memo ----
 *
 * Most items repeat but for their length and sentence (docs/design.md,
 * "Shortcuts of the one model"): application_data records, a TLS 1.3
 * server's ChangeCipherSpec, a client build's ClientHello for one name, a
 * server's Certificate. An item is reduced to a key holding exactly what
 * item_json_fast reads but the length and the sentence, under the same
 * conditions (so fields it does not write cannot make two items differ),
 * strings whole and NUL-terminated, lists with their counts. A slot keeps
 * the key and the item's JSON up to its sentence, without the length's
 * digits. An item whose key is equal byte for byte takes that JSON with
 * its own digits put back, then its sentence in quotes and the closing
 * brace: exactly item_json_fast's bytes when the sentence has nothing to
 * escape (fw_jstr then copies it as it is), which is checked as it is
 * copied (and before an item is kept). The
 * hash only picks the slot, so a collision costs a miss. Per thread (items
 * are rendered on any thread), in a fixed arena emptied when full: bounded,
 * no allocation. tests/replay/test_output.c holds it to the builder on items
 * that differ from a kept one in one field. */
#define IM_SLOTS   512u         /* direct-mapped, a power of two */
#define IM_ARENA   (64u * 1024) /* keys and JSON of the kept items */
#define IM_KEYMAX  1024u        /* a longer key is not kept (rendered as before) */
#define IM_JSONMAX 2048u        /* nor a longer item */

struct im_slot {
    uint64_t hash;
    uint32_t off;          /* key at arena + off, then the JSON */
    uint16_t klen;         /* 0: empty */
    uint16_t jlen, at_len; /* the JSON up to the sentence without the digits; where they go */
};

/* the fixed part of a key: no padding (8 * 3 + 4 * 5 + 2 * 2 + 1 * 16).
 * im_key makes it as eight 64-bit words in registers (w[0] key_bytes, w[1]
 * ticket_len, w[2] chain_len, w[3] dir | record << 32, w[4] hs |
 * dh_prime_bits << 32, w[5] ticket_lifetime | record_version << 32 | group
 * << 48, w[6] hs_type to cert_named a byte each from bit 0, w[7] zero: this
 * layout on a little-endian machine), stores them as the key 16 bytes at a
 * time and hands them to im_hash as they are: filled field by field, the key
 * was read back by wider loads of the narrower stores just made, which
 * waited for them (a store forwards only to a load it covers). The struct
 * gives the size. */
struct im_head {
    uint64_t key_bytes, ticket_len, chain_len;
    uint32_t dir, record, hs, dh_prime_bits, ticket_lifetime;
    uint16_t record_version, group;
    uint8_t hs_type, malformed, encrypted, alert_level, alert_desc, hello, cert_named, pad[9];
};
_Static_assert(sizeof(struct im_head) == 64, "a key's fixed part without padding");

static _Thread_local struct {
    uint32_t used; /* bytes of the arena taken */
    uint64_t hits, misses;
    struct im_slot slot[IM_SLOTS];
    char arena[IM_ARENA];
} im;

/* for tests: render every item the long way (the memo neither read nor filled) */
extern _Thread_local bool tcpsim__tls_item_memo_off;
_Thread_local bool tcpsim__tls_item_memo_off;
void tcpsim__tls_item_memo_stats(uint64_t *hits, uint64_t *misses);
void tcpsim__tls_item_memo_stats(uint64_t *hits, uint64_t *misses)
{
    *hits = im.hits;
    *misses = im.misses;
}

/* n bytes from s to d (apart), for the short pieces a kept item is made of,
 * without a call: 16 at a time, the last 16 ending at n (over bytes already
 * copied) */
static inline __attribute__((always_inline)) void im_cp(char *d, const char *s, size_t n)
{
#if defined(__SSE2__)
    if (n >= 16) {
        for (size_t i = 0; i + 16 < n; i += 16)
            _mm_storeu_si128((__m128i *)(void *)(d + i), _mm_loadu_si128((const __m128i *)(const void *)(s + i)));
        _mm_storeu_si128((__m128i *)(void *)(d + n - 16), _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16)));
        return;
    }
#endif
    if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(d, &a, 8);
        memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(d, &a, 4);
        memcpy(d + n - 4, &b, 4);
    } else {
        for (size_t i = 0; i < n; i++)
            d[i] = s[i];
    }
}

/* Are the n bytes at a and b the same? (as memcmp(a, b, n) == 0, the same
 * way as im_cp) */
static inline __attribute__((always_inline)) bool im_eq(const void *pa, const void *pb, size_t n)
{
    const char *a = pa, *b = pb;
#if defined(__SSE2__)
    if (n >= 16) {
        for (size_t i = 0; i + 16 < n; i += 16)
            if (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(a + i)),
                                                 _mm_loadu_si128((const __m128i *)(const void *)(b + i)))) != 0xffff)
                return false;
        return _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(a + n - 16)),
                                                _mm_loadu_si128((const __m128i *)(const void *)(b + n - 16)))) ==
               0xffff;
    }
#endif
    if (n >= 8) {
        uint64_t x, y, u, v;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(&u, a + n - 8, 8);
        memcpy(&v, b + n - 8, 8);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    if (n >= 4) {
        uint32_t x, y, u, v;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        memcpy(&u, a + n - 4, 4);
        memcpy(&v, b + n - 4, 4);
        return ((x ^ y) | (u ^ v)) == 0;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* n bytes at q, or NULL when they do not fit before end */
static uint8_t *im_bytes(uint8_t *q, const uint8_t *end, const void *v, size_t n)
{
    if (n > (size_t)(end - q))
        return NULL;
    memcpy(q, v, n);
    return q + n;
}

/* s with its NUL at q, or NULL */
static uint8_t *im_str(uint8_t *q, const uint8_t *end, const char *s)
{
    return im_bytes(q, end, s, strlen(s) + 1);
}

union im_key {
    struct im_head h;
    uint8_t b[IM_KEYMAX];
};

/* The key of `it` in *key: its length, 0 when it does not fit (the item is
 * then not kept). Read field by field against item_json_fast and fw_hello:
 * a field goes in exactly when the JSON writes it, but for the length and
 * the sentence (written apart on a hit). */
static size_t im_key(const struct tcpsim_tls_item *it, union im_key *key, uint64_t w[8])
{
    uint8_t *k = key->b;
    const uint8_t *end = k + IM_KEYMAX;
    uint64_t hs_type = 0, chain_len = 0, cert_named = 0, alert = 0, ticket_lifetime = 0, ticket_len = 0;
    if (it->hs == TCPSIM_TLS_HS_UNKNOWN)
        hs_type = it->hs_type;
    if (it->hs == TCPSIM_TLS_HS_CERTIFICATE && !it->malformed) {
        chain_len = it->chain_len;
        cert_named = it->ncerts > 0 && it->certs[0].parsed;
    }
    if (it->record == TCPSIM_TLS_REC_ALERT && !it->encrypted && !it->malformed)
        alert = (uint64_t)it->alert_level | (uint64_t)it->alert_desc << 8;
    if (it->hs == TCPSIM_TLS_HS_NEW_SESSION_TICKET && !it->malformed) {
        ticket_lifetime = it->ticket_lifetime;
        ticket_len = it->ticket_len;
    }
    const uint64_t h3 = (uint32_t)it->dir | (uint64_t)(uint32_t)it->record << 32,
                   h4 = (uint32_t)it->hs | (uint64_t)it->dh_prime_bits << 32,
                   h5 = (uint32_t)ticket_lifetime | (uint64_t)it->record_version << 32 | (uint64_t)it->group << 48,
                   h6 = hs_type | (uint64_t)it->malformed << 8 | (uint64_t)it->encrypted << 16 | alert << 24 |
                        (uint64_t)(it->hello != NULL) << 40 | cert_named << 48;
    /* Stored from registers in the widths they are read back in: w[] word
     * by word (im_hash), the key 16 bytes at a time (im_eq); a load that
     * spans two smaller stores just made waits for them. */
#define IM_WORDS(i, a, b)                                                                                              \
    do {                                                                                                               \
        uint64_t a_ = (a), b_ = (b);                                                                                   \
        w[i] = a_;                                                                                                     \
        w[(i) + 1] = b_;                                                                                               \
        IM_STORE16(k + 8 * (i), a_, b_);                                                                               \
    } while (0)
#if defined(__SSE2__)
#define IM_STORE16(p, a, b) _mm_storeu_si128((__m128i *)(void *)(p), _mm_set_epi64x((long long)(b), (long long)(a)))
#else
#define IM_STORE16(p, a, b) (memcpy((p), &(a), 8), memcpy((p) + 8, &(b), 8))
#endif
    IM_WORDS(0, (uint64_t)it->key_bytes, ticket_len);
    IM_WORDS(2, chain_len, h3);
    IM_WORDS(4, h4, h5);
    IM_WORDS(6, h6, (uint64_t)0);
#undef IM_WORDS
#undef IM_STORE16
    uint8_t *q = k + sizeof(struct im_head);
    if (it->hello) {
        const struct tcpsim_tls_hello *he = it->hello;
        if (it->hs == TCPSIM_TLS_HS_CLIENT_HELLO) {
            uint64_t nc = he->nciphers;
            uint8_t f[4] = {he->has_sni && he->sni[0], (uint8_t)he->nalpn, (uint8_t)he->nexts, he->sslv2};
            if (he->nalpn > TCPSIM_TLS_MAX_ALPN || he->nexts > TCPSIM_TLS_MAX_EXT)
                return 0;
            if (!(q = im_bytes(q, end, &he->version, sizeof he->version)) || !(q = im_bytes(q, end, &nc, sizeof nc)) ||
                !(q = im_bytes(q, end, f, sizeof f)) || !(q = im_bytes(q, end, he->exts, 2 * he->nexts)))
                return 0;
            if (f[0] && !(q = im_str(q, end, he->sni)))
                return 0;
            for (size_t i = 0; i < he->nalpn; i++)
                if (!(q = im_str(q, end, he->alpn[i])))
                    return 0;
        } else {
            uint16_t v[3] = {he->version, he->ciphers[0], he->nkey_shares > 0 ? he->key_share_groups[0] : 0};
            uint8_t f[2] = {he->nkey_shares > 0, he->nalpn > 0};
            if (!(q = im_bytes(q, end, v, sizeof v)) || !(q = im_bytes(q, end, f, sizeof f)))
                return 0;
            if (f[1] && !(q = im_str(q, end, he->alpn[0])))
                return 0;
        }
    }
    if (cert_named && (!(q = im_str(q, end, it->certs[0].subject)) || !(q = im_str(q, end, it->certs[0].issuer))))
        return 0;
    return (size_t)(q - k);
}

/* where to look for a key (n bytes, the fixed part first; a slot only: the
 * key there is compared): the fixed part folded by rotations, what follows
 * it multiplied in */
static uint64_t im_hash(const uint64_t w[8], const uint8_t *k, size_t n)
{
    uint64_t h = (w[0] ^ w[1] << 7 ^ w[2] << 14 ^ w[3] ^ (w[4] << 21 | w[4] >> 43) ^ (w[5] << 11 | w[5] >> 53) ^
                  (w[6] << 29 | w[6] >> 35) ^ w[7]) +
                 n;
    size_t i = sizeof(struct im_head);
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, k + i, 8);
        h = (h ^ x) * 0x9e3779b97f4a7c15u;
    }
    if (i < n) {
        uint64_t x = 0;
        memcpy(&x, k + i, n - i);
        h = (h ^ x) * 0x9e3779b97f4a7c15u;
    }
    h *= 0xff51afd7ed558ccdu;
    return h ^ (h >> 32);
}

/* v in decimal, NUL-terminated, ending at the end of buf (24 bytes): where
 * it starts; *n its length (fw_u64's digits, without the copy) */
static const char *im_digits(char *buf, unsigned long long v, size_t *n)
{
    static const char d2[201] = "0001020304050607080910111213141516171819"
                                "2021222324252627282930313233343536373839"
                                "4041424344454647484950515253545556575859"
                                "6061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    char *p = buf + 23;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (v < 10000000u) {
        /* up to 7 digits and the NUL made in a register and stored in one
         * piece (buf[16..23]): im_cp reads them back 4 or 8 bytes at a
         * time, which waited for byte stores to reach the cache */
        uint64_t w = 0;
        unsigned sh = 48; /* the last digit is byte 6 (buf[22]) */
        while (v >= 100) {
            unsigned r = (unsigned)(v % 100);
            v /= 100;
            w |= (uint64_t)(unsigned char)d2[2 * r] << (sh - 8) | (uint64_t)(unsigned char)d2[2 * r + 1] << sh;
            sh -= 16;
        }
        if (v >= 10) {
            w |= (uint64_t)(unsigned char)d2[2 * v] << (sh - 8) | (uint64_t)(unsigned char)d2[2 * v + 1] << sh;
            sh -= 8;
        } else {
            w |= (uint64_t)('0' + v) << sh;
        }
        memcpy(buf + 16, &w, 8); /* (little-endian: buf[23] is the NUL) */
        *n = 7 - sh / 8;
        return p - *n;
    }
#endif
    *p = '\0';
    while (v >= 100) {
        unsigned r = (unsigned)(v % 100);
        v /= 100;
        p -= 2;
        p[0] = d2[2 * r];
        p[1] = d2[2 * r + 1];
    }
    if (v >= 10) {
        p -= 2;
        p[0] = d2[2 * v];
        p[1] = d2[2 * v + 1];
    } else {
        *--p = (char)('0' + v);
    }
    *n = (size_t)(buf + 23 - p);
    return p;
}

/* Keep the item: its key and its JSON up to the sentence (j, jx bytes)
 * without the length's digits (nd bytes at j + at_len); the arena is
 * emptied first when full. */
static void im_put(struct im_slot *s, uint64_t hash, const uint8_t *k, size_t klen, const char *j, size_t jx,
                   size_t at_len, size_t nd)
{
    size_t tl = jx - nd;
    if (jx > IM_JSONMAX)
        return;
    if (klen + tl > IM_ARENA - im.used) {
        memset(im.slot, 0, sizeof im.slot);
        im.used = 0;
    }
    char *t = im.arena + im.used;
    memcpy(t, k, klen);
    t += klen;
    memcpy(t, j, at_len);
    memcpy(t + at_len, j + at_len + nd, jx - at_len - nd);
    s->hash = hash;
    s->off = im.used;
    s->klen = (uint16_t)klen;
    s->jlen = (uint16_t)tl;
    s->at_len = (uint16_t)at_len;
    im.used += (uint32_t)(klen + tl);
}

/* Has s (n bytes) nothing fw_jstr would escape? (its own test) */
static bool im_plain(const char *s, size_t n)
{
    size_t i = 0;
    uint64_t w;
#if defined(__SSE2__)
    if (n >= 16) { /* the last 16, over bytes already tested */
        for (; i + 16 < n; i += 16)
            if (special16(s + i))
                return false;
        return !special16(s + n - 16);
    }
#endif
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        if (word_special(w))
            return false;
    }
    if (i < n && n >= 8) {
        memcpy(&w, s + n - 8, 8);
        return !word_special(w);
    }
    for (; i < n; i++)
        if (!plain_ascii((unsigned char)s[i]))
            return false;
    return true;
}

/* s (n bytes) copied to d when it has nothing fw_jstr would escape (one
 * pass: each 16 bytes tested, then stored); false when it has (d then
 * partly written) */
static bool im_cp_plain(char *d, const char *s, size_t n)
{
#if defined(__SSE2__)
    if (n >= 16) {
        __m128i v;
        for (size_t i = 0; i + 16 < n; i += 16) {
            v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            if (special_v(v))
                return false;
            _mm_storeu_si128((__m128i *)(void *)(d + i), v);
        }
        v = _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16));
        if (special_v(v))
            return false;
        _mm_storeu_si128((__m128i *)(void *)(d + n - 16), v);
        return true;
    }
#endif
    if (!im_plain(s, n))
        return false;
    im_cp(d, s, n);
    return true;
}

/* (for tests/replay/test_output.c, which holds the fast path to it) */
enum tcpsim_err tcpsim__tls_item_json_sb(const struct tcpsim_tls_item *it, char *buf, size_t cap, size_t *len_out);

enum tcpsim_err tcpsim_tls_item_json(const struct tcpsim_tls_item *it, char *buf, size_t cap, size_t *len_out)
{
    if (!cap)
        return tcpsim__tls_item_json_sb(it, buf, cap, len_out);
    char ex[512], digb[24];
    const char *explain = it->explain ? it->explain : tcpsim_tls_explain_en(&it->why, ex, sizeof ex);
    size_t exl = strlen(explain), nd;
    union im_key key;
    const uint8_t *k = key.b;
    uint64_t hw[8];
    size_t klen = tcpsim__tls_item_memo_off ? 0 : im_key(it, &key, hw);
    const char *dig = im_digits(digb, it->length, &nd);
    struct im_slot *s = NULL;
    uint64_t hash = 0;
    if (klen) {
        hash = im_hash(hw, k, klen);
        s = &im.slot[hash & (IM_SLOTS - 1)];
        const char *t = im.arena + s->off;
        if (s->klen == klen && s->hash == hash && im_eq(t, k, klen)) {
            /* kept: its JSON with this item's digits and sentence, the
             * bytes item_json_fast gives when they fit (FW_NEED's limit:
             * the JSON and its NUL) and the sentence has nothing to
             * escape; otherwise the long way below writes it again and
             * decides the overflow as always */
            t += klen;
            size_t tl = s->jlen, a = s->at_len, n = tl + nd + exl + 3;
            if (n + 1 <= cap) {
                char *o = buf;
                im_cp(o, t, a);
                im_cp(o + a, dig, nd);
                o += a + nd;
                im_cp(o, t + a, tl - a);
                o += tl - a;
                *o++ = '"';
                if (im_cp_plain(o, explain, exl)) {
                    o += exl;
                    o[0] = '"';
                    o[1] = '}';
                    o[2] = '\0';
                    im.hits++;
                    if (len_out)
                        *len_out = n;
                    return TCPSIM_OK;
                }
            }
            s = NULL;
        }
        im.misses++;
    }
    char *marks[2];
    char *e = item_json_fast(it, explain, buf, cap, marks);
    if (e) {
        if (s && im_plain(explain, exl))
            im_put(s, hash, k, klen, buf, (size_t)(marks[1] - buf), (size_t)(marks[0] - buf), nd);
        if (len_out)
            *len_out = (size_t)(e - buf);
        return TCPSIM_OK;
    }
    return tcpsim__tls_item_json_sb(it, buf, cap, len_out);
}

/* The item through the builder, piece by piece: the reference the fast
 * path gives the bytes of, and the way when it might not fit. */
enum tcpsim_err tcpsim__tls_item_json_sb(const struct tcpsim_tls_item *it, char *buf, size_t cap, size_t *len_out)
{
    struct tcpsim__sb b;
    char ex[512];
    tcpsim__sb_init(&b, buf, cap);
    SB_LIT(&b, "{\"dir\":\"");
    tcpsim__sb_puts(&b, tcpsim_tls_side_name(it->dir));
    tcpsim__sb_putc(&b, '"');
    kname(&b, "record", tcpsim_tls_record_name(it->record));
    if (it->hs != TCPSIM_TLS_HS_NONE)
        kname(&b, "handshake", tcpsim_tls_hs_name(it->hs));
    if (it->hs == TCPSIM_TLS_HS_UNKNOWN)
        knum(&b, "handshake_type", it->hs_type);
    kname(&b, "record_version", tcpsim_tls_version_name(it->record_version));
    knum(&b, "length", it->length);
    if (it->malformed)
        tcpsim__sb_puts(&b, ",\"malformed\":true");
    if (it->encrypted)
        tcpsim__sb_puts(&b, ",\"encrypted\":true");
    if (it->hello)
        hello_fields(&b, it);
    if (it->hs == TCPSIM_TLS_HS_CERTIFICATE && !it->malformed) {
        knum(&b, "certificates", it->chain_len);
        if (it->ncerts > 0 && it->certs[0].parsed) {
            kstr(&b, "subject", it->certs[0].subject);
            kstr(&b, "issuer", it->certs[0].issuer);
        }
    }
    if (it->group) {
        key(&b, "group");
        name_or_hex(&b, tcpsim_tls_group_name(it->group), it->group);
    }
    if (it->key_bytes)
        knum(&b, "key_bytes", it->key_bytes);
    if (it->dh_prime_bits)
        knum(&b, "dh_prime_bits", it->dh_prime_bits);
    if (it->record == TCPSIM_TLS_REC_ALERT && !it->encrypted && !it->malformed) {
        const char *lv = tcpsim_tls_alert_level_name(it->alert_level), *ds = tcpsim_tls_alert_name(it->alert_desc);
        key(&b, "level");
        if (lv)
            tcpsim__sb_jstr(&b, lv);
        else
            tcpsim__sb_putu(&b, it->alert_level);
        key(&b, "description");
        if (ds)
            tcpsim__sb_jstr(&b, ds);
        else
            tcpsim__sb_putu(&b, it->alert_desc);
    }
    if (it->hs == TCPSIM_TLS_HS_NEW_SESSION_TICKET && !it->malformed) {
        knum(&b, "ticket_lifetime", it->ticket_lifetime);
        knum(&b, "ticket_len", it->ticket_len);
    }
    kstr(&b, "explain", it->explain ? it->explain : tcpsim_tls_explain_en(&it->why, ex, sizeof ex));
    tcpsim__sb_putc(&b, '}');
    return finish(&b, len_out);
}

static const char *resumption_name(enum tcpsim_tls_resumption r)
{
    switch (r) {
    case TCPSIM_TLS_RESUME_NONE:
        return "none";
    case TCPSIM_TLS_RESUME_SESSION_ID:
        return "session_id";
    case TCPSIM_TLS_RESUME_TICKET:
        return "ticket";
    case TCPSIM_TLS_RESUME_PSK:
        return "psk";
    }
    return "none";
}

static void cert_json(struct tcpsim__sb *b, const struct tcpsim_tls_cert *c)
{
    char keytxt[64];
    tcpsim__sb_putc(b, '{');
    SB_LIT(b, "\"der_len\":");
    tcpsim__sb_putu(b, c->der_len);
    if (c->parsed) {
        kstr(b, "subject", c->subject);
        kstr(b, "issuer", c->issuer);
        kstr(b, "not_before", c->not_before);
        kstr(b, "not_after", c->not_after);
        tcpsim__cert_key_text(c, keytxt, sizeof keytxt);
        kstr(b, "key", keytxt);
        kstr(b, "key_type", c->key_type);
        knum(b, "key_bits", (unsigned long long)(c->key_bits > 0 ? c->key_bits : 0));
        key(b, "sans");
        tcpsim__sb_putc(b, '[');
        /* c->sans is "DNS:a,DNS:b": split on commas */
        const char *p = c->sans;
        bool first = true;
        while (*p) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            char one[256];
            if (n >= sizeof one)
                n = sizeof one - 1;
            memcpy(one, p, n);
            one[n] = '\0';
            if (!first)
                tcpsim__sb_putc(b, ',');
            tcpsim__sb_jstr(b, one);
            first = false;
            p = e ? e + 1 : p + strlen(p);
        }
        tcpsim__sb_putc(b, ']');
        kstr(b, "serial", c->serial);
        tcpsim__sb_puts(b, c->self_signed ? ",\"self_signed\":true" : ",\"self_signed\":false");
    } else {
        tcpsim__sb_puts(b, ",\"parsed\":false");
    }
    kstr(b, "sha256", c->sha256);
    tcpsim__sb_putc(b, '}');
}

enum tcpsim_err tcpsim_tls_summary_json(const struct tcpsim_tls_summary *s, char *buf, size_t cap, size_t *len_out)
{
    struct tcpsim__sb b;
    tcpsim__sb_init(&b, buf, cap);
    if (!s || !s->is_tls) {
        tcpsim__sb_puts(&b, "null");
        return finish(&b, len_out);
    }
    tcpsim__sb_puts(&b, "{\"version\":");
    if (s->have_server_hello)
        tcpsim__sb_jstr(&b, tcpsim_tls_version_name(s->version));
    else
        tcpsim__sb_puts(&b, "null");
    kstr_or_null(&b, "sni", s->sni);
    kstr_or_null(&b, "alpn", s->alpn);
    key(&b, "cipher");
    if (s->have_server_hello)
        name_or_hex(&b, tcpsim_tls_cipher_name(s->cipher), s->cipher);
    else
        tcpsim__sb_puts(&b, "null");
    kstr(&b, "resumption", resumption_name(s->resumption));
    tcpsim__sb_puts(&b, s->hrr ? ",\"hello_retry\":true" : ",\"hello_retry\":false");
    kstr_or_null(&b, "ja3", s->ja3);
    kstr_or_null(&b, "ja3_full", s->ja3[0] ? s->ja3_full : NULL);
    kstr_or_null(&b, "ja3s", s->ja3s);
    kstr_or_null(&b, "ja3s_full", s->ja3s[0] ? s->ja3s_full : NULL);
    kstr_or_null(&b, "ja4", s->ja4);
    key(&b, "messages");
    tcpsim__sb_putc(&b, '[');
    for (size_t i = 0; i < s->nmsgs; i++) {
        const struct tcpsim_tls_msg *m = &s->msgs[i];
        tcpsim__sb_puts(&b, i ? ",{\"frame\":" : "{\"frame\":");
        tcpsim__sb_putu(&b, m->frame);
        SB_LIT(&b, ",\"dir\":\"");
        tcpsim__sb_puts(&b, tcpsim_tls_side_name(m->dir));
        SB_LIT(&b, "\",\"record\":\"");
        tcpsim__sb_puts(&b, tcpsim_tls_record_name(m->record));
        tcpsim__sb_putc(&b, '"');
        if (m->hs != TCPSIM_TLS_HS_NONE)
            kname(&b, "handshake", tcpsim_tls_hs_name(m->hs));
        tcpsim__sb_putc(&b, '}');
    }
    tcpsim__sb_putc(&b, ']');
    if (s->msgs_total > s->nmsgs)
        knum(&b, "messages_omitted", s->msgs_total - s->nmsgs);
    key(&b, "alerts");
    tcpsim__sb_putc(&b, '[');
    for (size_t i = 0; i < s->nalerts; i++) {
        const struct tcpsim_tls_alert *a = &s->alerts[i];
        tcpsim__sb_puts(&b, i ? ",{\"frame\":" : "{\"frame\":");
        tcpsim__sb_putu(&b, a->frame);
        SB_LIT(&b, ",\"dir\":\"");
        tcpsim__sb_puts(&b, tcpsim_tls_side_name(a->dir));
        tcpsim__sb_putc(&b, '"');
        if (a->encrypted) {
            tcpsim__sb_puts(&b, ",\"encrypted\":true");
        } else {
            const char *lv = tcpsim_tls_alert_level_name(a->level), *ds = tcpsim_tls_alert_name(a->desc);
            key(&b, "level");
            if (lv)
                tcpsim__sb_jstr(&b, lv);
            else
                tcpsim__sb_putu(&b, a->level);
            key(&b, "description");
            if (ds)
                tcpsim__sb_jstr(&b, ds);
            else
                tcpsim__sb_putu(&b, a->desc);
        }
        tcpsim__sb_putc(&b, '}');
    }
    tcpsim__sb_putc(&b, ']');
    key(&b, "certificates");
    tcpsim__sb_putc(&b, '[');
    for (size_t i = 0; i < s->ncerts; i++) {
        if (i)
            tcpsim__sb_putc(&b, ',');
        cert_json(&b, &s->certs[i]);
    }
    tcpsim__sb_putc(&b, ']');
    knum(&b, "chain_length", s->chain_len);
    SB_LIT(&b, ",\"application_data\":{\"c2s\":{\"records\":");
    tcpsim__sb_putu(&b, s->app_records[0]);
    SB_LIT(&b, ",\"bytes\":");
    tcpsim__sb_putu(&b, s->app_bytes[0]);
    SB_LIT(&b, "},\"s2c\":{\"records\":");
    tcpsim__sb_putu(&b, s->app_records[1]);
    SB_LIT(&b, ",\"bytes\":");
    tcpsim__sb_putu(&b, s->app_bytes[1]);
    SB_LIT(&b, "}},\"gaps\":{\"c2s\":");
    tcpsim__sb_putu(&b, s->gaps[0]);
    SB_LIT(&b, ",\"s2c\":");
    tcpsim__sb_putu(&b, s->gaps[1]);
    SB_LIT(&b, "},\"malformed\":{\"c2s\":");
    tcpsim__sb_putu(&b, s->malformed[0]);
    SB_LIT(&b, ",\"s2c\":");
    tcpsim__sb_putu(&b, s->malformed[1]);
    tcpsim__sb_putc(&b, '}');
    tcpsim__sb_putc(&b, '}');
    return finish(&b, len_out);
}
