/* fuzz_tls.c - libFuzzer target over the TLS stream API: reassembly, record
 * layer, handshake parsing, certificates, fingerprints and the JSON writers.
 * Read first: include/tcpsim/tls.h, RFC 8446 §5.1.
 * Input: a sequence of segments, each [flags(1)][len(2, big-endian)][bytes]:
 *   flags bit 0   direction (0 client, 1 server)
 *   flags bit 1   send 700 bytes ahead of the next expected byte (out of order)
 *   flags bit 2   resend starting 3 bytes before the next expected byte
 *   flags bit 3   declare the bytes before the next expected + len lost (gap)
 *   flags bit 7   end of this direction (FIN)
 * The corpus in tests/fuzz/corpus/tls/ holds real handshakes in this form. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tcpsim/tls.h"
#include "tls/tls_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sink_total;

static void on_item(void *ctx, const struct tcpsim_tls_item *item)
{
    static char buf[4096];
    size_t n = 0;
    (void)ctx;
    if (tcpsim_tls_item_json(item, buf, sizeof buf, &n) == TCPSIM_OK)
        sink_total += n;
    sink_total += strlen(item->explain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *in = data;
    size_t insz = size;
    struct tcpsim_tls_config cfg = {16384, 8192};
    struct tcpsim_tls_conn *c = tcpsim_tls_conn_new(&cfg, on_item, NULL);
    if (!c)
        return 0;
    uint32_t next[2] = {1000, 0xfffff000u}; /* the server side wraps 2^32 */
    uint64_t frame = 1;
    tcpsim_tls_start(c, TCPSIM_SIDE_CLIENT, next[0]);
    tcpsim_tls_start(c, TCPSIM_SIDE_SERVER, next[1]);
    while (size >= 3) {
        uint8_t fl = data[0];
        size_t n = (size_t)data[1] << 8 | data[2];
        data += 3;
        size -= 3;
        if (n > size)
            n = size;
        enum tcpsim_side dir = (fl & 1) ? TCPSIM_SIDE_SERVER : TCPSIM_SIDE_CLIENT;
        if (fl & 0x80) {
            tcpsim_tls_fin(c, dir, frame++, 0);
        } else if (fl & 0x08) {
            tcpsim_tls_gap(c, dir, next[dir] + (uint32_t)n, frame++, 0);
            next[dir] += (uint32_t)n;
            n = 0;
        } else {
            uint32_t seq = next[dir];
            if (fl & 0x02)
                seq += 700;
            else if (fl & 0x04)
                seq -= 3;
            (void)tcpsim_tls_feed(c, dir, seq, data, n, frame++, 0);
            if (!(fl & 0x06))
                next[dir] += (uint32_t)n;
        }
        data += n;
        size -= n;
    }
    tcpsim_tls_fin(c, TCPSIM_SIDE_CLIENT, frame, 0);
    tcpsim_tls_fin(c, TCPSIM_SIDE_SERVER, frame, 0);
    static char js[65536];
    size_t jl = 0;
    if (tcpsim_tls_summary_json(tcpsim_tls_summary(c), js, sizeof js, &jl) == TCPSIM_OK)
        sink_total += jl;
    tcpsim_tls_conn_free(c);

    /* the message parsers directly on the raw input, too */
    static struct tcpsim_tls_hello h;
    static struct tcpsim_tls_cert certs[2];
    const char *what;
    size_t nc, chain;
    char fp[1024], md5[33];
    if (tcpsim__parse_client_hello(in, insz, &h, &what) == TCPSIM_OK) {
        (void)tcpsim_tls_ja3(&h, fp, sizeof fp, md5);
        (void)tcpsim_tls_ja4(&h, fp, sizeof fp);
    }
    if (tcpsim__parse_server_hello(in, insz, &h, &what) == TCPSIM_OK)
        (void)tcpsim_tls_ja3s(&h, fp, sizeof fp, md5);
    (void)tcpsim__parse_client_hello_v2(in, insz, &h, &what);
    (void)tcpsim__parse_certificate(in, insz, insz > 0 && (in[0] & 1), certs, 2, &nc, &chain, &what);
    return 0;
}
