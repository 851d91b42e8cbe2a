/* pcap_out.c - simulated traffic as a real capture: libpcap's pcap_open_dead
 * (DLT_EN10MB) + pcap_dump, timestamps from virtual time at a fixed epoch so
 * that the same run gives the same file byte for byte. */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"

struct tcpsim_pcap_writer {
    pcap_t *p;
    pcap_dumper_t *d;
};

enum tcpsim_err tcpsim_pcap_writer_open(const char *path, struct tcpsim_pcap_writer **out, char *err, size_t cap)
{
    *out = NULL;
    struct tcpsim_pcap_writer *w = calloc(1, sizeof *w);
    if (!w)
        return TCPSIM_ERR_NOMEM;
    w->p = pcap_open_dead(DLT_EN10MB, 65535);
    if (!w->p) {
        free(w);
        return TCPSIM_ERR_NOMEM;
    }
    w->d = pcap_dump_open(w->p, path);
    if (!w->d) {
        snprintf(err, cap, "%s: cannot write the capture: %s", path, pcap_geterr(w->p));
        pcap_close(w->p);
        free(w);
        return TCPSIM_ERR_IO;
    }
    *out = w;
    return TCPSIM_OK;
}

void tcpsim_pcap_writer_packet(void *ctx, const uint8_t *frame, size_t len, tcpsim_time_t t)
{
    struct tcpsim_pcap_writer *w = ctx;
    struct pcap_pkthdr h;
    memset(&h, 0, sizeof h);
    h.ts.tv_sec = (time_t)(TCPSIM_PCAP_EPOCH + t / 1000000u);
    h.ts.tv_usec = (suseconds_t)(t % 1000000u);
    h.caplen = h.len = (bpf_u_int32)len;
    pcap_dump((u_char *)w->d, &h, frame);
}

enum tcpsim_err tcpsim_pcap_writer_close(struct tcpsim_pcap_writer *w)
{
    if (!w)
        return TCPSIM_OK;
    enum tcpsim_err e = TCPSIM_OK;
    if (pcap_dump_flush(w->d) != 0)
        e = TCPSIM_ERR_IO;
    pcap_dump_close(w->d);
    pcap_close(w->p);
    free(w);
    return e;
}
