/* tcpsim/sim.h - the virtual network: two endpoints of the one TCP core
 * (tcp.h) joined by a link with delay, jitter, loss, duplication and
 * reordering, driven by a seeded PRNG so that every run is reproducible.
 * Scenarios are a tiny line-based text DSL (docs/scenarios.md); the built-in
 * ones are written in it. Read first: RFC 9293 §3.5 (handshake), §3.6
 * (closing), §3.10 (event processing), RFC 6298 (RTO and backoff).
 *
 * Use: parse (or pick a built-in) scenario, override parameters, create a sim,
 * give it a timeline sink (report.h) and optionally a capture file, then step
 * or run it and inspect the endpoints. */
#ifndef TCPSIM_SIM_H
#define TCPSIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcpsim/error.h"
#include "tcpsim/tcp.h"
#include "tcpsim/timeline.h"

/* ---- PRNG: xoshiro256** seeded through splitmix64 ---- */
struct tcpsim_rng {
    uint64_t s[4];
};
void tcpsim_rng_seed(struct tcpsim_rng *r, uint64_t seed);
uint64_t tcpsim_rng_next(struct tcpsim_rng *r);
/* Uniform in [0, 1). */
double tcpsim_rng_unit(struct tcpsim_rng *r);

/* "20ms", "1.5s", "300us", "2m", "0" -> microseconds. False (and *t untouched)
 * for a missing or unknown unit, a negative value or garbage. */
bool tcpsim_parse_duration(const char *s, tcpsim_time_t *t);

/* ---- scenarios ---- */
struct tcpsim_scenario;

/* Parse scenario text. `name` is used in messages ("NAME, line 3: ..."); on
 * ERR_PARSE / ERR_INVALID `err` says which line and what was expected. */
enum tcpsim_err tcpsim_scenario_parse(const char *text, const char *name, struct tcpsim_scenario **out, char *err,
                                      size_t errcap) TCPSIM_WUR;
/* A built-in scenario by name (ERR_NOTFOUND with a message otherwise). */
enum tcpsim_err tcpsim_scenario_builtin(const char *name, struct tcpsim_scenario **out, char *err,
                                        size_t errcap) TCPSIM_WUR;
size_t tcpsim_scenario_builtin_count(void);
/* i-th built-in: name, one-line description, DSL text (NULL past the end). */
const char *tcpsim_scenario_builtin_name(size_t i);
const char *tcpsim_scenario_builtin_desc(size_t i);
const char *tcpsim_scenario_builtin_text(size_t i);

/* Set a parameter as the DSL's "set KEY VALUE" and the CLI's "--KEY VALUE" do:
 * seed, delay, jitter, loss, dup, reorder, mss, isn-client, isn-server, msl,
 * ipv6 (on/off), timewait (on/off), until. ERR_INVALID with a message that
 * says what was expected. */
enum tcpsim_err tcpsim_scenario_set(struct tcpsim_scenario *sc, const char *key, const char *value, char *err,
                                    size_t errcap) TCPSIM_WUR;
/* Add a link fault as the DSL's "fault ..." statement does, without the word
 * "fault" (the CLI's --fault): "drop server#2" (the server's 2nd segment),
 * "delay client FIN 300ms", "dup last ACK" (the run's last segment with ACK,
 * from either side). Grammar in docs/scenarios.md. ERR_PARSE with a message
 * that says what was expected. */
enum tcpsim_err tcpsim_scenario_add_fault(struct tcpsim_scenario *sc, const char *spec, char *err,
                                          size_t errcap) TCPSIM_WUR;
const char *tcpsim_scenario_name(const struct tcpsim_scenario *sc);
const char *tcpsim_scenario_desc(const struct tcpsim_scenario *sc);
/* Variants: the scenario run again with one parameter changed (e.g. the
 * time-wait scenario without TIME_WAIT). Run i = 0 is the scenario itself. */
size_t tcpsim_scenario_runs(const struct tcpsim_scenario *sc);
const char *tcpsim_scenario_run_label(const struct tcpsim_scenario *sc, size_t run);
void tcpsim_scenario_free(struct tcpsim_scenario *sc);

/* ---- the simulation ---- */
struct tcpsim_sim;

/* A simulation of run `run` (see variants) of the scenario. The scenario must
 * outlive the sim. */
enum tcpsim_err tcpsim_sim_new(const struct tcpsim_scenario *sc, size_t run, struct tcpsim_sim **out) TCPSIM_WUR;
/* Where timeline events go (copied; may be NULL). Set before the first step. */
void tcpsim_sim_set_sink(struct tcpsim_sim *sim, const struct tcpsim_tl_sink *sink);
/* Capture every packet put on the wire through a caller-supplied function:
 * Ethernet frame bytes and the virtual time. The capture point is the
 * sender's interface (tcpdump on the sending host): each segment is passed
 * when it is sent, lost ones too, in send order; the link's loss, delay,
 * duplication and reordering happen after it, so a link-made duplicate is not
 * passed again. See tcpsim_pcap_writer below for a ready-made function. */
typedef void (*tcpsim_sim_packet_fn)(void *ctx, const uint8_t *frame, size_t len, tcpsim_time_t t);
void tcpsim_sim_set_packet_hook(struct tcpsim_sim *sim, tcpsim_sim_packet_fn fn, void *ctx);
/* Segments are numbered as the capture above records them: the timeline's
 * `frame` (JSON "frame") is the record's 1-based frame.number in the file,
 * a link-made duplicate has its original's number. When several runs go to
 * one file, start the next run after the frames of the previous ones
 * (default 0: the first segment is frame 1). */
void tcpsim_sim_set_frame_base(struct tcpsim_sim *sim, uint64_t base);
/* The last frame number given (base + segments captured so far). */
uint64_t tcpsim_sim_frames(const struct tcpsim_sim *sim);

/* Run one event (action, arrival or timer). False when nothing is left or the
 * time limit ("until") is reached; the END event is emitted then. */
bool tcpsim_sim_step(struct tcpsim_sim *sim);
/* Step until done. */
void tcpsim_sim_run(struct tcpsim_sim *sim);
tcpsim_time_t tcpsim_sim_now(const struct tcpsim_sim *sim);
const struct tcpsim_tcp_endpoint *tcpsim_sim_endpoint(const struct tcpsim_sim *sim, enum tcpsim_side side);
/* States an endpoint went through, starting with CLOSED. */
size_t tcpsim_sim_states(const struct tcpsim_sim *sim, enum tcpsim_side side, const enum tcpsim_tcp_state **list);
/* Payload bytes the application on `side` has read; segments put on the wire
 * by `side` (lost ones included); segments the link dropped. */
uint64_t tcpsim_sim_bytes_read(const struct tcpsim_sim *sim, enum tcpsim_side side);
unsigned tcpsim_sim_segments_sent(const struct tcpsim_sim *sim, enum tcpsim_side side);
unsigned tcpsim_sim_segments_lost(const struct tcpsim_sim *sim, enum tcpsim_side side);
/* Errors the application on `side` saw (user call refused, reset, ...), in order. */
size_t tcpsim_sim_errors(const struct tcpsim_sim *sim, enum tcpsim_side side, const enum tcpsim_err **list);
void tcpsim_sim_free(struct tcpsim_sim *sim);

/* ---- writing captures (libpcap, DLT_EN10MB, deterministic timestamps) ---- */
struct tcpsim_pcap_writer;
/* Open `path` for writing; on failure `err` names the file and the reason. */
enum tcpsim_err tcpsim_pcap_writer_open(const char *path, struct tcpsim_pcap_writer **out, char *err,
                                        size_t errcap) TCPSIM_WUR;
/* A tcpsim_sim_packet_fn; ctx is the writer. Virtual time 0 is written as
 * TCPSIM_PCAP_EPOCH seconds since 1970 so output never depends on the clock. */
void tcpsim_pcap_writer_packet(void *ctx, const uint8_t *frame, size_t len, tcpsim_time_t t);
#define TCPSIM_PCAP_EPOCH 1700000000u
enum tcpsim_err tcpsim_pcap_writer_close(struct tcpsim_pcap_writer *w);

#endif
