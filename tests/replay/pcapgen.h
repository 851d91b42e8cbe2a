/* pcapgen.h - write small synthetic captures with libpcap for the replay tests
 * (pcap_open_dead + pcap_dump). Packets are built by hand here, independent of
 * src/wire, so that the tests check the decoders rather than share their bugs.
 * Read first: RFC 791 (IPv4), RFC 8200 (IPv6), RFC 9293 §3.1 (TCP header). */
#ifndef TCPSIM_TESTS_PCAPGEN_H
#define TCPSIM_TESTS_PCAPGEN_H

#include <stddef.h>
#include <stdint.h>

#include <pcap/pcap.h>

struct pg {
    pcap_t *p;
    pcap_dumper_t *d;
    int dlt;
    uint16_t ip_id;
};

/* TCP flag letters for pg_tcp */
#define PG_F 0x01
#define PG_S 0x02
#define PG_R 0x04
#define PG_P 0x08
#define PG_A 0x10

struct pg_opts {
    int wscale; /* -1 = no option */
    int mss;    /* 0 = no option */
};

int pg_open(struct pg *g, const char *path, int dlt);
/* The same in a new file: `path` is a mkstemp(3) template ("...XXXXXX"),
 * filled in with the file's name. 0, or -1 when it cannot be made. */
int pg_open_temp(struct pg *g, char *path, int dlt);
void pg_close(struct pg *g);
/* One TCP packet; src/dst "10.0.0.1" or "2001:db8::1" (IPv6 when it has ':'). */
void pg_tcp(struct pg *g, uint64_t t_us, const char *src, uint16_t sport, const char *dst, uint16_t dport,
            uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, uint16_t paylen, const struct pg_opts *o);
/* The payload bytes of the next packet built (default: 'a'..'z' repeated). */
void pg_set_payload(const uint8_t *p);
/* A raw record (garbage, non-TCP...). */
void pg_raw(struct pg *g, uint64_t t_us, const uint8_t *data, size_t len);
/* Build the link+IP+TCP bytes of one packet into buf; returns its length. */
size_t pg_build(int dlt, uint8_t *buf, size_t cap, const char *src, uint16_t sport, const char *dst, uint16_t dport,
                uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win, uint16_t paylen, const struct pg_opts *o,
                uint16_t ip_id);

#endif
