/* pcap-loop.c - the baseline of bench/run.sh: the bare libpcap read loop
 * (pcap_next_ex over every record, touching the first byte), to show what
 * reading the file costs before any decoding. Read first: pcap_next_ex(3PCAP).
 *
 *   pcap-loop FILE            prints "<packets> <seconds>"
 *   pcap-loop FILE BYTES      the same, libpcap reading through a stdio buffer of
 *                             BYTES (setvbuf; the default is the file system's
 *                             block size, 4 KiB here): what tcpsim replay does,
 *                             so that the baseline reads the way tcpsim reads */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <pcap/pcap.h>

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: pcap-loop FILE [STDIO_BUFFER_BYTES]\n");
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p;
    if (argc == 3) {
        size_t n = strtoul(argv[2], NULL, 10);
        FILE *f = fopen(argv[1], "rb");
        char *buf = n ? malloc(n) : NULL;
        if (!f || (n && !buf) || setvbuf(f, buf, _IOFBF, n) != 0) {
            fprintf(stderr, "pcap-loop: %s: cannot open with a %zu-byte buffer\n", argv[1], n);
            return 1;
        }
        p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, err);
    } else {
        p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, err);
    }
    if (!p) {
        fprintf(stderr, "pcap-loop: %s: %s\n", argv[1], err);
        return 1;
    }
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct pcap_pkthdr *h;
    const u_char *d;
    unsigned long long n = 0, sum = 0;
    int r;
    while ((r = pcap_next_ex(p, &h, &d)) == 1) {
        n++;
        sum += d[0] + h->caplen; /* keep the loop honest */
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    pcap_close(p);
    if (r != PCAP_ERROR_BREAK) {
        fprintf(stderr, "pcap-loop: %s: damaged after %llu records\n", argv[1], n);
        return 1;
    }
    printf("%llu %.3f %llu\n", n, (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9, sum % 10);
    return 0;
}
