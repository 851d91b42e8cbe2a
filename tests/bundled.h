/* bundled.h - walk the bundled captures (the .pcap and .pcapng files in
 * captures/) for the tests that run over every one of them, or over every
 * packet of every one (header-only; the includer links libpcap). Files come
 * in readdir order.
 * Read first: pcap_open_offline(3PCAP), pcap_next_ex(3PCAP). */
#ifndef TCPSIM_TESTS_BUNDLED_H
#define TCPSIM_TESTS_BUNDLED_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <pcap/pcap.h>

/* A capture file by its name: .pcap or .pcapng. */
static inline bool bundled_is_capture(const char *n)
{
    size_t l = strlen(n);
    return (l > 5 && strcmp(n + l - 5, ".pcap") == 0) || (l > 7 && strcmp(n + l - 7, ".pcapng") == 0);
}

/* Calls each(path, ctx) for every capture file in `dir`; returns how many
 * there were. A directory that cannot be opened fails the test. */
static inline unsigned bundled_each_file(const char *dir, void (*each)(const char *path, void *ctx), void *ctx)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        fail_msg("cannot open %s", dir);
    unsigned files = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (!bundled_is_capture(de->d_name))
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        each(path, ctx);
        files++;
    }
    closedir(d);
    return files;
}

/* What bundled_each_packet hands each file. */
struct bundled_walk {
    void (*each)(const char *where, int dlt, const uint8_t *data, size_t caplen, void *ctx);
    void *ctx;
    unsigned long packets;
};

static inline void bundled_packets_of(const char *path, void *walk)
{
    struct bundled_walk *w = walk;
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, err);
    if (pc == NULL)
        fail_msg("%s: %s", path, err);
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    int dlt = pcap_datalink(pc);
    struct pcap_pkthdr *h;
    const u_char *data;
    unsigned long frame = 0;
    while (pcap_next_ex(pc, &h, &data) == 1) {
        char where[1024 + 32]; /* the path is at most 1023 bytes */
        snprintf(where, sizeof where, "%s frame %lu", name, ++frame);
        w->each(where, dlt, data, h->caplen, w->ctx);
    }
    w->packets += frame;
    pcap_close(pc);
}

/* Calls each(where, dlt, data, caplen, ctx) for every packet of every capture
 * file in `dir` (`where`: "<file> frame <n>", n from 1); returns how many
 * files there were, and adds the packets to *packets. A file libpcap cannot
 * open fails the test, naming it. */
static inline unsigned bundled_each_packet(const char *dir,
                                           void (*each)(const char *where, int dlt, const uint8_t *data, size_t caplen,
                                                        void *ctx),
                                           void *ctx, unsigned long *packets)
{
    struct bundled_walk w = {each, ctx, 0};
    unsigned files = bundled_each_file(dir, bundled_packets_of, &w);
    *packets += w.packets;
    return files;
}

#endif
