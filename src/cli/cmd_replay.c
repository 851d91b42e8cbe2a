/* cmd_replay.c - 'tcpsim replay CAPTURE [FILTER]': argument parsing and wiring
 * of src/replay (reader -> flow table -> observer/analysis -> view), the
 * report module's views (--lang, --format html) and the teach module's
 * step-through (--step).
 * Read first: docs/cli.md "replay", docs/replay-json.md. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "replay/replay.h"
#include "tcpsim/i18n.h"
#include "tcpsim/report.h"
#include "tcpsim/teach.h"
#include "tcpsim/tls.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: tcpsim replay [OPTIONS] CAPTURE [FILTER...]\n"
               "  CAPTURE            pcap or pcapng file, '-' for stdin\n"
               "  FILTER             BPF expression as in tcpdump, e.g. 'port 443'\n"
               "  --format F         json | summary | ladder | html (default: ladder on a terminal, else\n"
               "                     summary; html writes one page for the file and wants -o FILE)\n"
               "  -o FILE            write to FILE instead of stdout\n"
               "  --step             step through it: one segment per key press, both state machines\n"
               "                     with the current state highlighted (runs straight when stdin or\n"
               "                     stdout is not a terminal)\n"
               "  --no-pause         with --step: do not wait for keys\n"
               "  --lang en|ko       language of the words (ladder, html, step, summary headings);\n"
               "                     protocol terms stay English, JSON is always English\n"
               "  --conn N           only connection N (tcp.stream numbering)\n"
               "  --max-conns N      hold at most N connections at once (default 1048576)\n"
               "  --ascii            ladder in plain ASCII\n"
               "  --absolute         ladder: raw sequence numbers (default: relative)\n"
               "  --color, --no-color  ladder colours (default: on when stdout is a terminal)\n"
               "  --no-progress      no progress line on stderr\n"
               "  --threads N        1: read, decode and replay on one thread; 2 (default): a second\n"
               "                     thread reads and decodes the capture ahead, and with --format json\n"
               "                     or summary a third formats the records (same output)\n");
}

/* A9: diagnostics found while replaying (malformed TLS), on stderr with the
 * file and frame like any bad input; bounded so a garbage capture cannot
 * flood the terminal (every case is still counted in the conn records). */
struct diag_ctx {
    const char *file;
    unsigned n;
};

#define DIAG_MAX 20

static void on_diag(void *ctx, uint64_t frame, const char *text)
{
    struct diag_ctx *d = ctx;
    if (++d->n <= DIAG_MAX)
        fprintf(stderr, "tcpsim replay: %s: frame %llu: %s\n", d->file, (unsigned long long)frame, text);
    else if (d->n == DIAG_MAX + 1)
        fprintf(stderr, "tcpsim replay: %s: more problems not shown (see \"malformed\" in the conn records)\n",
                d->file);
}

static bool parse_num(const char *s, long *v)
{
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno || end == s || *end || x < 0)
        return false;
    *v = x;
    return true;
}

int tcpsim_cli_replay(int argc, char **argv)
{
    const char *format = NULL, *outpath = NULL, *capture = NULL;
    long pick = -1, maxc = 0, threads = 2;
    bool progress = true, ascii = false, absolute = false, step = false, no_pause = false;
    const char *lang = NULL;
    int color = -1; /* -1: when the output is a terminal */
    char filter[4096] = "";
    size_t flen = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--format") || !strcmp(a, "-f")) {
            if (++i >= argc)
                goto missing;
            format = argv[i];
        } else if (!strncmp(a, "--format=", 9)) {
            format = a + 9;
        } else if (!strcmp(a, "-o")) {
            if (++i >= argc)
                goto missing;
            outpath = argv[i];
        } else if (!strcmp(a, "--conn")) {
            if (++i >= argc || !parse_num(argv[i], &pick)) {
                fprintf(stderr, "tcpsim replay: --conn expects a connection number\n");
                return 2;
            }
        } else if (!strcmp(a, "--max-conns")) {
            if (++i >= argc || !parse_num(argv[i], &maxc) || maxc < 1) {
                fprintf(stderr, "tcpsim replay: --max-conns expects a positive number\n");
                return 2;
            }
        } else if (!strcmp(a, "--threads")) {
            if (++i >= argc || !parse_num(argv[i], &threads) || threads < 1 || threads > 2) {
                fprintf(stderr, "tcpsim replay: --threads expects 1 or 2\n");
                return 2;
            }
        } else if (!strcmp(a, "--lang")) {
            enum tcpsim_lang l;
            if (++i >= argc || !tcpsim_lang_parse(argv[i], &l)) {
                fprintf(stderr, "tcpsim replay: --lang: expected 'en' or 'ko'%s%s%s\n", i < argc ? ", got '" : "",
                        i < argc ? argv[i] : "", i < argc ? "'" : "");
                return 2;
            }
            lang = tcpsim_lang_code(l);
        } else if (!strcmp(a, "--step")) {
            step = true;
        } else if (!strcmp(a, "--no-pause")) {
            no_pause = true;
        } else if (!strcmp(a, "--no-progress")) {
            progress = false;
        } else if (!strcmp(a, "--ascii")) {
            ascii = true;
        } else if (!strcmp(a, "--absolute")) {
            absolute = true;
        } else if (!strcmp(a, "--color")) {
            color = 1;
        } else if (!strcmp(a, "--no-color")) {
            color = 0;
        } else if (a[0] == '-' && a[1] && !capture) {
            fprintf(stderr, "tcpsim replay: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!capture) {
            capture = a;
        } else {
            /* The rest is the filter, joined with spaces as tcpdump does. */
            size_t n = strlen(a);
            if (flen + n + 2 > sizeof filter) {
                fprintf(stderr, "tcpsim replay: filter too long\n");
                return 2;
            }
            if (flen)
                filter[flen++] = ' ';
            memcpy(filter + flen, a, n + 1);
            flen += n;
        }
    }
    if (!capture) {
        fprintf(stderr, "tcpsim replay: no capture file given\n");
        usage(stderr);
        return 2;
    }
    enum tcpsim_rp_format fmt = TCPSIM_RP_SUMMARY;
    bool fmt_given = format != NULL;
    if (format) {
        if (!strcmp(format, "json"))
            fmt = TCPSIM_RP_JSON;
        else if (!strcmp(format, "summary"))
            fmt = TCPSIM_RP_SUMMARY;
        else if (!strcmp(format, "ladder"))
            fmt = TCPSIM_RP_LADDER;
        else if (!strcmp(format, "html"))
            fmt = TCPSIM_RP_HTML;
        else {
            fprintf(stderr, "tcpsim replay: unknown format '%s' (expected json, summary, ladder or html)\n", format);
            return 2;
        }
    }
    if (step && fmt_given && fmt != TCPSIM_RP_LADDER) {
        fprintf(stderr, "tcpsim replay: --step draws its own ladder: it cannot be combined with --format %s\n", format);
        return 2;
    }
    if (no_pause && !step) {
        fprintf(stderr, "tcpsim replay: --no-pause goes with --step\n");
        return 2;
    }
    if (fmt == TCPSIM_RP_HTML && !outpath) {
        fprintf(stderr, "tcpsim replay: --format html writes a page: give it a file with -o FILE\n");
        return 2;
    }
    FILE *out = stdout;
    if (outpath && !(out = fopen(outpath, "w"))) {
        fprintf(stderr, "tcpsim replay: cannot write '%s': %s\n", outpath, strerror(errno));
        return 2;
    }
    if (!fmt_given && !step && isatty(fileno(out)))
        fmt = TCPSIM_RP_LADDER;
    bool tty_out = isatty(fileno(out));
    bool use_color = (fmt == TCPSIM_RP_LADDER || step) && (color < 0 ? tty_out && !ascii : color == 1);
    struct tcpsim_view_opts vo;
    tcpsim_view_opts_default(&vo);
    vo.color = use_color;
    vo.ascii = ascii;
    vo.absolute = absolute;
    if (lang)
        vo.lang = lang;
    /* The page's heading names the file (the words around it are the view's). */
    char title[512];
    int tn = snprintf(title, sizeof title, "tcpsim replay %s%s%s", capture, flen ? " " : "", flen ? filter : "");
    if (tn < 0 || (size_t)tn >= sizeof title)
        memcpy(title + sizeof title - 4, "...", 4); /* a long path: the heading is shortened */
    if (fmt == TCPSIM_RP_HTML)
        vo.title = title;
    struct tcpsim_stepper *st = NULL;
    struct tcpsim_rp_writer *w = NULL;
    if (step) {
        /* One segment per key press while both stdin (the keys) and the
         * output are terminals; otherwise (or --no-pause) straight through. */
        struct tcpsim_teach_opts to = {tcpsim_lang_of(vo.lang), !no_pause && tty_out && strcmp(capture, "-") != 0,
                                       STDIN_FILENO, use_color};
        if (tcpsim_stepper_new(&st, out, &to) == TCPSIM_OK) {
            struct tcpsim_tl_sink sink = tcpsim_stepper_sink(st);
            w = tcpsim_rp_writer_new_sink(out, &sink, pick, vo.lang);
        }
        progress = false; /* the progress line would draw over the steps */
    } else {
        w = tcpsim_rp_writer_new(out, fmt, pick, use_color);
        if (w && (fmt == TCPSIM_RP_LADDER || fmt == TCPSIM_RP_HTML || lang) && !tcpsim_rp_writer_view_opts(w, &vo)) {
            tcpsim_rp_writer_free(w);
            w = NULL;
        }
    }
    struct tcpsim_replay_cfg cfg;
    tcpsim_replay_cfg_default(&cfg);
    if (maxc)
        cfg.max_conns = (size_t)maxc;
    cfg.threads = (unsigned)threads;
    struct tcpsim_replay *rp = NULL;
    struct diag_ctx dctx = {capture, 0};
    if (w) {
        tcpsim_rp_writer_setup(w, &cfg);
        cfg.diag = on_diag;
        cfg.diag_ctx = &dctx;
        rp = tcpsim_replay_new(&cfg);
    }
    if (!rp) {
        fprintf(stderr, "tcpsim replay: out of memory\n");
        tcpsim_rp_writer_free(w);
        tcpsim_stepper_free(st);
        if (out != stdout)
            fclose(out);
        return 2;
    }
    struct tcpsim_replay_input in = {capture, flen ? filter : NULL, NULL, progress && isatty(fileno(stderr))};
    char err[512] = "";
    enum tcpsim_err rc = tcpsim_replay_read(rp, &in, err, sizeof err);
    tcpsim_replay_free(rp);
    /* The TLS decoders' pools, slabs and memos this thread kept for another
     * replay (tcpsim/tls.h): none follows here, so they go now, and with
     * them the slabs' prefault helper, joined. */
    tcpsim_tls_release_caches();
    uint64_t nconns = 0;
    bool found = tcpsim_rp_writer_pick_found(w, &nconns);
    bool wrote = tcpsim_rp_writer_free(w);
    tcpsim_stepper_free(st); /* puts the terminal back */
    if (out != stdout && fclose(out) != 0)
        wrote = false;
    if (rc != TCPSIM_OK)
        fprintf(stderr, "tcpsim replay: %s\n", err);
    if (!wrote)
        fprintf(stderr, "tcpsim replay: error writing the output\n");
    if (rc == TCPSIM_OK && !found) {
        /* C3: --conn named a connection the capture does not have. */
        if (nconns)
            fprintf(stderr, "tcpsim replay: %s: no connection %ld (it has %llu, numbered 0 to %llu as tcp.stream)\n",
                    capture, pick, (unsigned long long)nconns, (unsigned long long)nconns - 1);
        else
            fprintf(stderr, "tcpsim replay: %s: no connection %ld (it has no TCP connection)\n", capture, pick);
        return 1;
    }
    if (rc == TCPSIM_OK)
        return wrote ? 0 : 1;
    /* A bad filter or a missing file is a usage error; damage is a finding. */
    return rc == TCPSIM_ERR_INVALID || rc == TCPSIM_ERR_NOTFOUND ? 2 : 1;
missing:
    fprintf(stderr, "tcpsim replay: option '%s' needs a value\n", argv[argc - 1]);
    return 2;
}
