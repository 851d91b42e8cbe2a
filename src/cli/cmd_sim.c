/* cmd_sim.c - 'tcpsim sim': run a built-in (or file) scenario on the virtual
 * network and show it as a ladder, Mermaid, DOT, JSON or an HTML page, in
 * English or Korean (--lang); optionally write the traffic as a pcap.
 * Argument parsing and wiring only: the work is in src/sim and src/report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tcpsim/i18n.h"
#include "tcpsim/report.h"
#include "tcpsim/sim.h"

static void usage(FILE *f)
{
    fputs("usage: tcpsim sim [OPTIONS] SCENARIO\n"
          "       tcpsim sim --list\n"
          "       tcpsim sim [OPTIONS] --file SCENARIO.txt\n"
          "\n"
          "views:\n"
          "  --format ladder|mermaid|dot|json|html   (default ladder; html wants -o FILE)\n"
          "  -o FILE            write the view to FILE instead of stdout\n"
          "  --ascii            plain ASCII ladder (no UTF-8)\n"
          "  --color / --no-color   ANSI colour (default: when stdout is a terminal)\n"
          "  --absolute         raw sequence numbers instead of relative ones\n"
          "  --no-notes         hide timer/error notes\n"
          "  --brief            ladder: arrows and states only (no reasons, notes, options, TLS)\n"
          "  --lang en|ko       language of the words: reasons, notes, TLS explanations,\n"
          "                     headings (protocol terms stay English; JSON is always English)\n"
          "  --pcap FILE        also write the traffic as a pcap capture\n"
          "  --show             print the scenario's DSL text and exit\n"
          "parameters (override the scenario's):\n"
          "  --seed N --delay 20ms --jitter 5ms --loss 0.1 --dup 0.01 --reorder 0.05\n"
          "  --mss 536 --isn-client 1000 --isn-server 5000 --msl 30s --until 600s\n"
          "  --ipv6 --no-timewait\n"
          "faults (repeatable; as the DSL's 'fault' statement, see docs/scenarios.md):\n"
          "  --fault 'drop server#2'          lose the server's 2nd segment\n"
          "  --fault 'delay client FIN 300ms' hold the client's first FIN back 300 ms\n"
          "  --fault 'dup last ACK'           deliver the run's last ACK twice\n",
          f);
}

static int list(void)
{
    for (size_t i = 0; i < tcpsim_scenario_builtin_count(); i++)
        printf("%-20s %s\n", tcpsim_scenario_builtin_name(i), tcpsim_scenario_builtin_desc(i));
    return 0;
}

static char *slurp(const char *path, char *err, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, cap, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t n = 0, capb = 4096;
    char *b = malloc(capb);
    while (b) {
        size_t r = fread(b + n, 1, capb - n - 1, f);
        n += r;
        if (r == 0)
            break;
        if (n + 1 == capb) {
            if (capb > (1u << 20)) {
                snprintf(err, cap, "%s: too large for a scenario (more than 1 MiB)", path);
                free(b);
                b = NULL;
                break;
            }
            char *nb = realloc(b, capb *= 2);
            if (!nb) {
                free(b);
                b = NULL;
            }
            b = nb;
        }
    }
    fclose(f);
    if (b)
        b[n] = '\0';
    else if (!*err)
        snprintf(err, cap, "%s: out of memory", path);
    return b;
}

struct pcap_offset {
    struct tcpsim_pcap_writer *w;
    tcpsim_time_t base, last;
};

static void pcap_hook(void *ctx, const uint8_t *frame, size_t len, tcpsim_time_t t)
{
    struct pcap_offset *o = ctx;
    o->last = o->base + t;
    tcpsim_pcap_writer_packet(o->w, frame, len, o->base + t);
}

int tcpsim_cli_sim(int argc, char **argv)
{
    const char *scenario = NULL, *file = NULL, *outpath = NULL, *pcap = NULL, *fmt = "ladder";
    struct tcpsim_view_opts o;
    tcpsim_view_opts_default(&o);
    int color = -1;
    bool show = false;
    /* parameter overrides, applied after the scenario is parsed */
    const char *keys[32], *vals[32];
    size_t nset = 0;
    const char *faults[16];
    size_t nfault = 0;
    static const char *const params[] = {"seed", "delay",      "jitter",     "loss", "dup",  "reorder",
                                         "mss",  "isn-client", "isn-server", "msl",  "until"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        bool is_param = false;
        if (!strncmp(a, "--", 2))
            for (size_t k = 0; k < sizeof params / sizeof params[0]; k++)
                if (!strcmp(a + 2, params[k]))
                    is_param = true;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--list")) {
            return list();
        } else if (is_param || !strcmp(a, "--format") || !strcmp(a, "-o") || !strcmp(a, "--pcap") ||
                   !strcmp(a, "--file") || !strcmp(a, "--lang")) {
            if (!next) {
                fprintf(stderr, "tcpsim sim: %s expects a value\n", a);
                return 2;
            }
            i++;
            if (is_param) {
                if (nset == 32) {
                    fprintf(stderr, "tcpsim sim: too many parameter options\n");
                    return 2;
                }
                keys[nset] = a + 2;
                vals[nset++] = next;
            } else if (!strcmp(a, "--format")) {
                fmt = next;
            } else if (!strcmp(a, "-o")) {
                outpath = next;
            } else if (!strcmp(a, "--pcap")) {
                pcap = next;
            } else if (!strcmp(a, "--file")) {
                file = next;
            } else {
                enum tcpsim_lang l;
                if (!tcpsim_lang_parse(next, &l)) {
                    fprintf(stderr, "tcpsim sim: --lang: expected 'en' or 'ko', got '%s'\n", next);
                    return 2;
                }
                o.lang = tcpsim_lang_code(l);
            }
        } else if (!strcmp(a, "--fault")) {
            if (!next) {
                fprintf(stderr, "tcpsim sim: --fault expects a fault such as 'drop server#2'\n");
                return 2;
            }
            if (nfault == sizeof faults / sizeof faults[0]) {
                fprintf(stderr, "tcpsim sim: too many --fault options (at most 16)\n");
                return 2;
            }
            faults[nfault++] = next;
            i++;
        } else if (!strcmp(a, "--ipv6")) {
            keys[nset] = "ipv6";
            vals[nset++] = "on";
        } else if (!strcmp(a, "--no-timewait")) {
            keys[nset] = "timewait";
            vals[nset++] = "off";
        } else if (!strcmp(a, "--ascii")) {
            o.ascii = true;
        } else if (!strcmp(a, "--absolute")) {
            o.absolute = true;
        } else if (!strcmp(a, "--no-notes")) {
            o.notes = false;
        } else if (!strcmp(a, "--brief")) {
            o.brief = true;
        } else if (!strcmp(a, "--color")) {
            color = 1;
        } else if (!strcmp(a, "--no-color")) {
            color = 0;
        } else if (!strcmp(a, "--show")) {
            show = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "tcpsim sim: unknown option '%s' (see 'tcpsim sim --help')\n", a);
            return 2;
        } else if (scenario) {
            fprintf(stderr, "tcpsim sim: expected one scenario, got '%s' and '%s'\n", scenario, a);
            return 2;
        } else {
            scenario = a;
        }
    }
    enum tcpsim_view_format vf;
    if (!tcpsim_view_format_parse(fmt, &vf)) {
        fprintf(stderr, "tcpsim sim: --format: expected ladder, mermaid, dot, json or html, got '%s'\n", fmt);
        return 2;
    }
    if (vf == TCPSIM_VIEW_HTML && !outpath) {
        fprintf(stderr, "tcpsim sim: --format html writes a page: give it a file with -o FILE\n");
        return 2;
    }
    if (!scenario && !file) {
        fprintf(stderr, "tcpsim sim: expected a scenario name (see 'tcpsim sim --list') or --file FILE\n");
        usage(stderr);
        return 2;
    }
    if (scenario && file) {
        fprintf(stderr, "tcpsim sim: expected a scenario name or --file, not both\n");
        return 2;
    }
    char err[320] = "";
    struct tcpsim_scenario *sc = NULL;
    const char *text = NULL;
    if (file) {
        char *buf = slurp(file, err, sizeof err);
        if (!buf) {
            fprintf(stderr, "tcpsim sim: %s\n", err);
            return 2;
        }
        enum tcpsim_err e = tcpsim_scenario_parse(buf, file, &sc, err, sizeof err);
        if (show && e == TCPSIM_OK)
            fputs(buf, stdout);
        free(buf);
        if (e != TCPSIM_OK) {
            fprintf(stderr, "tcpsim sim: %s\n", err[0] ? err : tcpsim_strerror(e));
            return 2;
        }
    } else {
        if (tcpsim_scenario_builtin(scenario, &sc, err, sizeof err) != TCPSIM_OK) {
            fprintf(stderr, "tcpsim sim: %s\n", err);
            return 2;
        }
        for (size_t i = 0; i < tcpsim_scenario_builtin_count(); i++)
            if (!strcmp(tcpsim_scenario_builtin_name(i), scenario))
                text = tcpsim_scenario_builtin_text(i);
        if (show)
            fputs(text, stdout);
    }
    if (show) {
        tcpsim_scenario_free(sc);
        return 0;
    }
    for (size_t i = 0; i < nset; i++)
        if (tcpsim_scenario_set(sc, keys[i], vals[i], err, sizeof err) != TCPSIM_OK) {
            fprintf(stderr, "tcpsim sim: --%s\n", err);
            tcpsim_scenario_free(sc);
            return 2;
        }
    for (size_t i = 0; i < nfault; i++)
        if (tcpsim_scenario_add_fault(sc, faults[i], err, sizeof err) != TCPSIM_OK) {
            fprintf(stderr, "tcpsim sim: --%s\n", err);
            tcpsim_scenario_free(sc);
            return 2;
        }

    FILE *out = stdout;
    if (outpath) {
        out = fopen(outpath, "w");
        if (!out) {
            fprintf(stderr, "tcpsim sim: %s: cannot write: %s\n", outpath, strerror(errno));
            tcpsim_scenario_free(sc);
            return 2;
        }
    }
    o.color = color < 0 ? (!outpath && isatty(STDOUT_FILENO) && !o.ascii) : color == 1;
    struct pcap_offset po = {NULL, 0, 0};
    uint64_t frames = 0; /* runs share one capture: frame numbers go on */
    if (pcap && tcpsim_pcap_writer_open(pcap, &po.w, err, sizeof err) != TCPSIM_OK) {
        fprintf(stderr, "tcpsim sim: %s\n", err);
        if (out != stdout)
            fclose(out);
        tcpsim_scenario_free(sc);
        return 2;
    }
    int rc = 0;
    enum tcpsim_lang lang = tcpsim_lang_of(o.lang);
    /* a built-in's description in the reader's language (scenario.<name>) */
    char dkey[96];
    snprintf(dkey, sizeof dkey, "scenario.%s", tcpsim_scenario_name(sc));
    const char *desc = text && lang != TCPSIM_LANG_EN ? tcpsim_catalog_get(tcpsim_catalog_builtin(lang), dkey) : NULL;
    if (!desc)
        desc = tcpsim_scenario_desc(sc);
    /* the HTML view is one page for all runs: made once, written at the end */
    char page_title[256];
    const char *pa[2] = {tcpsim_scenario_name(sc), desc};
    tcpsim_msg(lang, "cli.sim.title", pa, 2, page_title, sizeof page_title);
    struct tcpsim_view *page = NULL;
    if (vf == TCPSIM_VIEW_HTML) {
        o.title = page_title;
        page = tcpsim_view_new(vf, out, &o);
        if (!page) {
            fprintf(stderr, "tcpsim sim: out of memory\n");
            rc = 2;
        }
    }
    for (size_t run = 0; run < tcpsim_scenario_runs(sc) && rc == 0; run++) {
        char title[256], rb[24];
        const char *label = tcpsim_scenario_run_label(sc, run);
        snprintf(rb, sizeof rb, "%zu", run + 1);
        if (run == 0 && label && *label) /* "as specified" */
            label = tcpsim_msg_raw(lang, "cli.sim.as_specified");
        const char *ta[4] = {tcpsim_scenario_name(sc), rb, label, desc};
        if (label && *label)
            tcpsim_msg(lang, "cli.sim.title_run", ta, 4, title, sizeof title);
        else
            snprintf(title, sizeof title, "%s", page_title);
        o.title = title;
        struct tcpsim_sim *sim = NULL;
        struct tcpsim_view *v = page ? page : tcpsim_view_new(vf, out, &o);
        enum tcpsim_err e = v ? tcpsim_sim_new(sc, run, &sim) : TCPSIM_ERR_NOMEM;
        if (e != TCPSIM_OK) {
            fprintf(stderr, "tcpsim sim: %s: %s\n", tcpsim_scenario_name(sc), tcpsim_strerror(e));
            if (v != page)
                tcpsim_view_free(v);
            rc = 2;
            break;
        }
        struct tcpsim_tl_sink k = tcpsim_view_sink(v);
        tcpsim_sim_set_sink(sim, &k);
        if (po.w)
            tcpsim_sim_set_packet_hook(sim, pcap_hook, &po);
        tcpsim_sim_set_frame_base(sim, frames);
        tcpsim_sim_run(sim);
        frames = tcpsim_sim_frames(sim);
        /* the next run's packets start a second after this one's last */
        po.base = po.last + TCPSIM_SEC(1);
        tcpsim_sim_free(sim);
        if (v != page)
            tcpsim_view_free(v);
        if (vf == TCPSIM_VIEW_LADDER && run + 1 < tcpsim_scenario_runs(sc))
            fputc('\n', out);
    }
    tcpsim_view_free(page); /* writes the page */
    if (po.w && tcpsim_pcap_writer_close(po.w) != TCPSIM_OK) {
        fprintf(stderr, "tcpsim sim: %s: error writing the capture\n", pcap);
        rc = 2;
    }
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "tcpsim sim: %s: write error\n", outpath ? outpath : "stdout");
        rc = 2;
    }
    if (out != stdout)
        fclose(out);
    tcpsim_scenario_free(sc);
    return rc;
}
