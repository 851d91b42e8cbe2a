/* sim_int.h - internals of the simulator shared by the files of src/sim and tests/sim
 * (not installed). Read first: include/tcpsim/sim.h. */
#ifndef TCPSIM_SIM_INT_H
#define TCPSIM_SIM_INT_H

#include "tcpsim/sim.h"

/* ---- scenario ---- */
enum sim_act {
    SIM_ACT_LISTEN,
    SIM_ACT_CONNECT,
    SIM_ACT_SEND, /* n bytes of filler, or text, or a TLS flight */
    SIM_ACT_READ,
    SIM_ACT_CLOSE,
    SIM_ACT_SHUTDOWN,
    SIM_ACT_ABORT,
};

enum sim_trig {
    SIM_TRIG_AT,    /* absolute time */
    SIM_TRIG_STATE, /* when `tside` enters `state` (first time) */
    SIM_TRIG_GOT,   /* when `tside` has read the whole k-th message the peer sent */
};

struct sim_rule {
    enum sim_trig trig;
    enum tcpsim_side tside;
    enum tcpsim_tcp_state state;
    unsigned k;
    tcpsim_time_t t; /* AT: the time; others: delay after the trigger */
    enum tcpsim_side side;
    enum sim_act act;
    size_t nbytes; /* SEND filler */
    char *text;    /* SEND text (owned) */
    int tls;       /* SEND: tls flight id, -1 when none */
    bool isn_set, isn_rel;
    int64_t isn; /* CONNECT/LISTEN: absolute or relative to the first ISN */
    unsigned line;
};

enum sim_fault_kind { SIM_FAULT_DROP, SIM_FAULT_DELAY, SIM_FAULT_DUP };

struct sim_fault {
    enum sim_fault_kind kind;
    enum tcpsim_side side;
    bool any_side;   /* no side given: segments from either side count */
    uint8_t flags;   /* all of these must be set */
    bool data;       /* payload required */
    unsigned nth;    /* 1-based among matching segments (from `side`) */
    bool last;       /* the last matching segment of the run (found by a dry run) */
    tcpsim_time_t t; /* DELAY: extra delay; DUP: extra delay of the copy */
    char spec[64];   /* as written, for messages */
};
/* Parse a fault as "KIND [SIDE[#N]] [FLAGS] [#N|first|last] [DURATION]"
 * (tokens after the word "fault"). False with a message in err. */
bool tcpsim__fault_parse(char **tok, int n, struct sim_fault *f, char *err, size_t cap);

struct sim_params {
    uint64_t seed;
    tcpsim_time_t delay, jitter, msl, until;
    double loss, dup, reorder;
    uint16_t mss;
    uint32_t isn[2];
    bool ipv6, timewait, autoread;
    bool timestamps; /* RFC 7323 timestamps (and so PAWS) offered by both ends */
};

struct sim_variant {
    char *label;
    char *key, *value;
};

#define SIM_MAX_RULES    64
#define SIM_MAX_FAULTS   16
#define SIM_MAX_VARIANTS 4

struct tcpsim_scenario {
    char *name, *desc;
    struct sim_params p;
    struct sim_rule rule[SIM_MAX_RULES];
    size_t nrule;
    struct sim_fault fault[SIM_MAX_FAULTS];
    size_t nfault;
    struct sim_variant var[SIM_MAX_VARIANTS];
    size_t nvar;
};

void tcpsim__sim_params_default(struct sim_params *p);

/* ---- TLS flights (tls_synth.c) ---- */
struct sim_tls_flight {
    uint8_t *bytes; /* owned; free() */
    size_t len;
};
/* Flight ids by name ("tls12-client-hello", ...); -1 when unknown. */
int tcpsim__tls_flight_id(const char *name);
const char *tcpsim__tls_flight_name(int id);
size_t tcpsim__tls_flight_count(void);
enum tcpsim_err tcpsim__tls_flight_build(int id, struct sim_tls_flight *f);
/* The embedded self-signed certificate (DER). */
extern const uint8_t tcpsim__tls_cert_der[];
extern const size_t tcpsim__tls_cert_der_len;

/* ---- event queue: binary min-heap on (time, insertion order) ---- */
struct sim_ev {
    tcpsim_time_t t;
    uint64_t order;
    int kind;
    void *data;
};
struct tcpsim__evq {
    struct sim_ev *v;
    size_t n, cap;
    uint64_t next_order;
};
enum tcpsim_err tcpsim__evq_push(struct tcpsim__evq *q, tcpsim_time_t t, int kind, void *data);
bool tcpsim__evq_pop(struct tcpsim__evq *q, struct sim_ev *ev);
const struct sim_ev *tcpsim__evq_peek(const struct tcpsim__evq *q);
void tcpsim__evq_free(struct tcpsim__evq *q);

#endif
