/* fuzz_pcap.c - libFuzzer target: a whole capture file (pcap or pcapng) read
 * through pcap_fopen_offline on fmemopen and replayed into the JSON view (TLS
 * items rendered) and the ladder view. Seeds: tests/fuzz/corpus/pcap/.
 * Any input must end in a clean result or a clear error, never a crash or hang.
 * Read first: src/replay/reader.c, docs/replay-json.md. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "replay/replay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One pass of the input through the replayer into one view, reading on a
 * second thread (threads 2) or inline (threads 1). */
static void replay_into(const uint8_t *data, size_t size, enum tcpsim_rp_format fmt, unsigned threads)
{
    FILE *in = fmemopen((void *)data, size, "rb");
    FILE *out = fopen("/dev/null", "w");
    if (!in || !out) {
        if (in)
            fclose(in);
        if (out)
            fclose(out);
        return;
    }
    struct tcpsim_rp_writer *w = tcpsim_rp_writer_new(out, fmt, -1, false);
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    cfg.max_conns = 64; /* exercise eviction */
    cfg.threads = threads;
    if (w)
        tcpsim_rp_writer_setup(w, &cfg); /* JSON: every TLS item rendered too */
    struct tcpsim_replay *rp = tcpsim_replay_new(&cfg);
    if (rp) {
        struct tcpsim_replay_input src = {"fuzz.pcap", NULL, in, false};
        char err[512];
        (void)tcpsim_replay_read(rp, &src, err, sizeof err); /* closes `in` */
        tcpsim_replay_free(rp);
    } else {
        fclose(in);
    }
    tcpsim_rp_writer_free(w);
    fclose(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    /* The reader thread (and its 4 MiB ring) for one input in eight, picked by
     * the input's last byte: starting them costs more than replaying most
     * inputs, the ring is the same for every input, and the decode it runs
     * is the same as inline. */
    replay_into(data, size, TCPSIM_RP_JSON, (data[size - 1] & 7) == 0 ? 2 : 1);
    replay_into(data, size, TCPSIM_RP_LADDER, 1);
    return 0;
}
