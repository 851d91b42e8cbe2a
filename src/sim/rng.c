/* rng.c - the simulator's PRNG (xoshiro256**, seeded with splitmix64: the
 * same seed gives the same run everywhere), duration parsing and the event
 * queue. No RFC; see include/tcpsim/sim.h. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_int.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

void tcpsim_rng_seed(struct tcpsim_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t tcpsim_rng_next(struct tcpsim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double tcpsim_rng_unit(struct tcpsim_rng *r)
{
    return (double)(tcpsim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

bool tcpsim_parse_duration(const char *s, tcpsim_time_t *t)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    /* integer and fraction by hand: strtod would accept "inf", "1e9" and locales */
    uint64_t ip = 0, fp = 0, fscale = 1;
    const char *p = s;
    bool digits = false;
    while (isdigit((unsigned char)*p)) {
        if (ip > 1000000000u)
            return false;
        ip = ip * 10 + (uint64_t)(*p++ - '0');
        digits = true;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            if (fscale < 1000000u) {
                fp = fp * 10 + (uint64_t)(*p - '0');
                fscale *= 10;
            }
            p++;
            digits = true;
        }
    }
    if (!digits)
        return false;
    uint64_t unit;
    if (!strcmp(p, "us"))
        unit = 1;
    else if (!strcmp(p, "ms"))
        unit = 1000;
    else if (!strcmp(p, "s"))
        unit = 1000000;
    else if (!strcmp(p, "m") || !strcmp(p, "min"))
        unit = 60000000;
    else if (!*p && ip == 0 && fp == 0)
        unit = 1; /* a bare 0 needs no unit */
    else
        return false;
    *t = ip * unit + fp * unit / fscale;
    return true;
}

/* ---- event queue ---- */
static bool ev_less(const struct sim_ev *a, const struct sim_ev *b)
{
    return a->t < b->t || (a->t == b->t && a->order < b->order);
}

enum tcpsim_err tcpsim__evq_push(struct tcpsim__evq *q, tcpsim_time_t t, int kind, void *data)
{
    if (q->n == q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 64;
        struct sim_ev *nv = realloc(q->v, nc * sizeof *nv);
        if (!nv)
            return TCPSIM_ERR_NOMEM;
        q->v = nv;
        q->cap = nc;
    }
    size_t i = q->n++;
    struct sim_ev e = {t, q->next_order++, kind, data};
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!ev_less(&e, &q->v[parent]))
            break;
        q->v[i] = q->v[parent];
        i = parent;
    }
    q->v[i] = e;
    return TCPSIM_OK;
}

const struct sim_ev *tcpsim__evq_peek(const struct tcpsim__evq *q)
{
    return q->n ? &q->v[0] : NULL;
}

bool tcpsim__evq_pop(struct tcpsim__evq *q, struct sim_ev *ev)
{
    if (!q->n)
        return false;
    *ev = q->v[0];
    struct sim_ev last = q->v[--q->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        const struct sim_ev *best = &last;
        if (l < q->n && ev_less(&q->v[l], best)) {
            m = l;
            best = &q->v[l];
        }
        if (r < q->n && ev_less(&q->v[r], best))
            m = r;
        if (m == i)
            break;
        q->v[i] = q->v[m];
        i = m;
    }
    if (q->n)
        q->v[i] = last;
    return true;
}

void tcpsim__evq_free(struct tcpsim__evq *q)
{
    free(q->v);
    memset(q, 0, sizeof *q);
}
