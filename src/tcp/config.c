/* config.c - defaults of the two profiles and the output record.
 * Read first: RFC 9293 §3.8.1 (RTO), RFC 6298 §2, RFC 1122 §4.2.3.6 (keep-alive),
 * RFC 7323 §2 (window scale). Linux values: net.ipv4.tcp_* sysctls. */
#include <string.h>

#include "tcp/tcp_priv.h"

void tcpsim_tcp_config_default(struct tcpsim_tcp_config *c, enum tcpsim_tcp_profile p)
{
    memset(c, 0, sizeof *c);
    c->profile = p;
    c->iss = 0;
    c->mss = 1460;
    c->opt_wscale = true;
    c->wscale = 7;
    c->opt_sack = true;
    c->opt_ts = true;
    c->rcv_buf = 65535;
    c->snd_buf = 1u << 20;
    c->store_data = true;
    c->rto_initial = TCPSIM_SEC(1); /* RFC 6298 (2.1) */
    c->rto_min = TCPSIM_SEC(1);     /* RFC 6298 (2.4) */
    c->rto_max = TCPSIM_SEC(60);    /* RFC 6298 (2.5) allows an upper bound of at least 60 s */
    c->syn_retries = 5;
    c->max_retries = 8;
    c->msl = TCPSIM_SEC(60); /* RFC 9293 §3.4.2: MSL 2 minutes is the engineering choice; 60 s as Linux TIME_WAIT/2 */
    c->challenge_ack = true; /* RFC 5961 */
    c->keepalive = false;    /* RFC 1122 §4.2.3.6: MUST default to off */
    c->ka_idle = TCPSIM_SEC(7200);
    c->ka_interval = TCPSIM_SEC(75);
    c->ka_probes = 9;
    c->rst_on_close_unread = false;
    c->tw_reopen = false;
    c->fin_wait2_timeout = 0;
    c->cc = true;
    c->init_cwnd = 0;
    c->paws = true;
    c->min_snd_mss = TCPSIM_TCP_MIN_SND_MSS_RFC;
    switch (p) {
    case TCPSIM_PROFILE_RFC:
        break;
    case TCPSIM_PROFILE_LINUX:
        c->wscale = 8;
        c->rto_min = TCPSIM_MSEC(200); /* TCP_RTO_MIN */
        c->rto_max = TCPSIM_SEC(120);  /* TCP_RTO_MAX */
        c->syn_retries = 6;            /* tcp_syn_retries */
        c->max_retries = 15;           /* tcp_retries2 */
        c->msl = TCPSIM_SEC(30);       /* TCP_TIMEWAIT_LEN is 60 s = 2*MSL */
        c->rst_on_close_unread = true;
        c->tw_reopen = true;
        c->fin_wait2_timeout = TCPSIM_SEC(60); /* tcp_fin_timeout */
        c->init_cwnd = 10;                     /* RFC 6928, Linux TCP_INIT_CWND */
        c->min_snd_mss = 48;                   /* tcp_min_snd_mss (__tcp_mtu_to_mss) */
        break;
    }
}

void tcpsim_tcp_out_reset(struct tcpsim_tcp_out *out)
{
    out->nseg = out->ntrans = out->ndeliv = out->nerr = out->nnote = 0;
    out->dropped_notes = 0;
    out->dropped_segs = 0;
}
