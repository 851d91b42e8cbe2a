/* cmd_teach.c - 'tcpsim teach [LESSON]': guided lessons on the TCP and TLS
 * handshakes, in English or Korean, step by step on a terminal.
 * Read first: include/tcpsim/teach.h, docs/cli.md (teach). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tcpsim/report.h"
#include "tcpsim/teach.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: tcpsim teach [LESSON] [--lang en|ko] [--no-pause] [--color] [--list]\n"
               "                    [--format text|html] [--format html -o FILE]\n"
               "  LESSON        one of the lessons in 'tcpsim teach --list' (without one: the list)\n"
               "  --lang L      en (default) or ko\n"
               "  --no-pause    run straight through (automatic when stdin or stdout is not a terminal)\n"
               "  --format html also write the lesson's connections as one HTML page to -o FILE\n"
               "                (the text still goes to stdout; -o is only for the page)\n"
               "  --color       highlight the current state with ANSI colours while stepping\n"
               "  --list        list the lessons\n");
}

static void list(FILE *f, enum tcpsim_lang lang)
{
    fprintf(f, "%s\n", tcpsim_msg_raw(lang, "ui.list"));
    for (size_t i = 0; i < tcpsim_lesson_count(); i++) {
        const struct tcpsim_lesson_info *l = tcpsim_lesson_at(i);
        fprintf(f, "  %-13s %s\n", l->id, tcpsim_msg_raw(lang, l->title_key));
    }
}

int tcpsim_cli_teach(int argc, char **argv)
{
    const char *lesson = NULL, *out_path = NULL, *format = "text";
    bool do_list = false, no_pause = false, color = false;
    enum tcpsim_lang lang = TCPSIM_LANG_EN;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--list")) {
            do_list = true;
        } else if (!strcmp(a, "--no-pause")) {
            no_pause = true;
        } else if (!strcmp(a, "--color")) {
            color = true;
        } else if (!strcmp(a, "--lang") || !strcmp(a, "--format") || !strcmp(a, "-o")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "tcpsim teach: %s needs a value\n", a);
                return 2;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--lang")) {
                if (!tcpsim_lang_parse(v, &lang)) {
                    fprintf(stderr, "tcpsim teach: --lang: expected 'en' or 'ko', got '%s'\n", v);
                    return 2;
                }
            } else if (!strcmp(a, "--format")) {
                if (strcmp(v, "text") && strcmp(v, "html")) {
                    fprintf(stderr, "tcpsim teach: --format: expected 'text' or 'html', got '%s'\n", v);
                    return 2;
                }
                format = v;
            } else {
                out_path = v;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "tcpsim teach: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!lesson) {
            lesson = a;
        } else {
            fprintf(stderr, "tcpsim teach: one lesson at a time ('%s' and '%s')\n", lesson, a);
            return 2;
        }
    }
    if (do_list || !lesson) {
        list(stdout, lang);
        return 0;
    }
    if (!tcpsim_lesson_find(lesson)) {
        fprintf(stderr, "tcpsim teach: no lesson '%s'; 'tcpsim teach --list' shows them\n", lesson);
        return 2;
    }
    bool html = !strcmp(format, "html");
    if (html && !out_path) {
        fprintf(stderr, "tcpsim teach: --format html needs -o FILE\n");
        return 2;
    }
    if (!html && out_path) { /* the text always goes to stdout; -o names the HTML page */
        fprintf(stderr, "tcpsim teach: -o %s needs --format html (the lesson's text goes to stdout)\n", out_path);
        return 2;
    }
    FILE *hf = NULL;
    struct tcpsim_html *hv = NULL;
    struct tcpsim_tl_sink hs = {NULL, NULL};
    if (html) {
        hf = fopen(out_path, "w");
        if (!hf) { /* not a usage error: docs/cli.md gives 1 when the page cannot be written */
            fprintf(stderr, "tcpsim teach: %s: cannot write the HTML page: %s\n", out_path, strerror(errno));
            return 1;
        }
        struct tcpsim_view_opts vo;
        tcpsim_view_opts_default(&vo);
        vo.lang = tcpsim_lang_code(lang);
        char title[160];
        snprintf(title, sizeof title, "tcpsim teach %s: %s", lesson,
                 tcpsim_msg_raw(lang, tcpsim_lesson_find(lesson)->title_key));
        vo.title = title;
        hv = tcpsim_html_new(hf, &vo);
        if (!hv) {
            fclose(hf);
            fprintf(stderr, "tcpsim teach: out of memory\n");
            return 1;
        }
        hs = tcpsim_html_sink(hv);
        struct tcpsim_teach_opts o = {lang, false, 0, false};
        /* the text still goes to stdout; the page gets the same events */
        enum tcpsim_err e = tcpsim_lesson_run(lesson, &o, stdout, &hs);
        enum tcpsim_err he = tcpsim_html_finish(hv);
        tcpsim_html_free(hv);
        if (fclose(hf) != 0 && he == TCPSIM_OK)
            he = TCPSIM_ERR_IO;
        if (e != TCPSIM_OK) {
            fprintf(stderr, "tcpsim teach: %s: %s\n", lesson, tcpsim_strerror(e));
            return 1;
        }
        if (he != TCPSIM_OK) {
            fprintf(stderr, "tcpsim teach: %s: cannot write the HTML page: %s\n", out_path, tcpsim_strerror(he));
            return 1;
        }
        return 0;
    }
    struct tcpsim_teach_opts o = {lang, !no_pause && isatty(0) && isatty(1), 0, color};
    enum tcpsim_err e = tcpsim_lesson_run(lesson, &o, stdout, NULL);
    if (e != TCPSIM_OK) {
        fprintf(stderr, "tcpsim teach: %s: %s\n", lesson, tcpsim_strerror(e));
        return 1;
    }
    return 0;
}
