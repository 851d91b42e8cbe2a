/* catalog.c - message catalogues: "key = text" files embedded at build time
 * (cmake/embed.cmake), parsed once, looked up by key with {N} substitution.
 * They live in the report module so that the views, the simulator's notes and
 * the lessons share one catalogue. No RFC here; the texts cite them
 * (RFC 9293, RFC 5246, RFC 8446). Read first: include/tcpsim/i18n.h. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "tcpsim/i18n.h"
#include "report/catalog_blob.h"

struct cat_entry {
    const char *key;
    const char *text;
    unsigned line;
};

struct tcpsim_catalog {
    char *buf; /* keys and texts, NUL-terminated, owned */
    struct cat_entry *e;
    size_t n;
};

const char *tcpsim_lang_code(enum tcpsim_lang lang)
{
    switch (lang) {
    case TCPSIM_LANG_EN:
        return "en";
    case TCPSIM_LANG_KO:
        return "ko";
    }
    return "en";
}

bool tcpsim_lang_parse(const char *code, enum tcpsim_lang *lang)
{
    if (!code)
        return false;
    if (!strcmp(code, "en")) {
        *lang = TCPSIM_LANG_EN;
        return true;
    }
    if (!strcmp(code, "ko")) {
        *lang = TCPSIM_LANG_KO;
        return true;
    }
    return false;
}

static int key_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
}

static int entry_cmp(const void *a, const void *b)
{
    const struct cat_entry *x = a, *y = b;
    return strcmp(x->key, y->key);
}

static enum tcpsim_err fail(char *errbuf, size_t errcap, const char *name, unsigned line, const char *what)
{
    if (errbuf && errcap)
        snprintf(errbuf, errcap, "%s:%u: %s", name, line, what);
    return TCPSIM_ERR_PARSE;
}

enum tcpsim_err tcpsim_catalog_parse(const char *text, size_t len, const char *name, struct tcpsim_catalog **out,
                                     char *errbuf, size_t errcap)
{
    *out = NULL;
    if (!name)
        name = "catalogue";
    size_t nlines = 1;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n')
            nlines++;
    struct tcpsim_catalog *cat = calloc(1, sizeof *cat);
    if (!cat)
        return TCPSIM_ERR_NOMEM;
    /* Every byte of output comes from a byte of input, plus one NUL per line. */
    cat->buf = malloc(len + nlines + 1);
    cat->e = calloc(nlines, sizeof *cat->e);
    if (!cat->buf || !cat->e) {
        tcpsim_catalog_free(cat);
        return TCPSIM_ERR_NOMEM;
    }
    char *w = cat->buf;
    char *cur = NULL; /* text of the entry being continued (NUL at w[-1]) */
    bool cur_empty = false;
    enum tcpsim_err err = TCPSIM_OK;
    size_t pos = 0;
    unsigned lineno = 0;
    while (pos < len && err == TCPSIM_OK) {
        size_t start = pos;
        while (pos < len && text[pos] != '\n')
            pos++;
        size_t end = pos;
        if (pos < len)
            pos++; /* skip '\n' */
        lineno++;
        if (end > start && text[end - 1] == '\r')
            end--;
        const char *l = text + start;
        size_t ll = end - start;
        if (memchr(l, '\0', ll)) {
            err = fail(errbuf, errcap, name, lineno, "NUL byte in text");
            break;
        }
        if (ll == 0 || l[0] == '#')
            continue;
        if (ll >= 2 && l[0] == ' ' && l[1] == ' ') {
            /* continuation of the current entry */
            if (!cur) {
                err = fail(errbuf, errcap, name, lineno, "indented line before any 'key = text'");
                break;
            }
            const char *c = l + 2;
            size_t cl = ll - 2;
            if (cl == 1 && c[0] == '.')
                cl = 0;
            w--; /* overwrite the NUL */
            if (!cur_empty)
                *w++ = '\n';
            memcpy(w, c, cl);
            w += cl;
            *w++ = '\0';
            cur_empty = false;
            continue;
        }
        if (l[0] == ' ' || l[0] == '\t') {
            err = fail(errbuf, errcap, name, lineno, "continuation lines are indented by exactly two spaces");
            break;
        }
        size_t k = 0;
        while (k < ll && key_ok(l[k]))
            k++;
        if (k == 0 || k + 2 > ll || l[k] != ' ' || l[k + 1] != '=' || (k + 2 < ll && l[k + 2] != ' ')) {
            err = fail(errbuf, errcap, name, lineno, "expected 'key = text' (key of letters, digits, '.', '_', '-')");
            break;
        }
        struct cat_entry *e = &cat->e[cat->n++];
        e->line = lineno;
        e->key = w;
        memcpy(w, l, k);
        w += k;
        *w++ = '\0';
        size_t ts = (k + 3 <= ll) ? k + 3 : ll;
        e->text = w;
        memcpy(w, l + ts, ll - ts);
        w += ll - ts;
        *w++ = '\0';
        cur = (char *)e->text;
        cur_empty = (ll == ts);
    }
    if (err == TCPSIM_OK && cat->n == 0)
        err = fail(errbuf, errcap, name, lineno, "no entries");
    if (err == TCPSIM_OK) {
        qsort(cat->e, cat->n, sizeof *cat->e, entry_cmp);
        for (size_t i = 1; i < cat->n; i++)
            if (!strcmp(cat->e[i - 1].key, cat->e[i].key)) {
                unsigned a = cat->e[i - 1].line, b = cat->e[i].line;
                char what[256];
                snprintf(what, sizeof what, "key '%s' defined twice (also line %u)", cat->e[i].key, a < b ? a : b);
                err = fail(errbuf, errcap, name, a < b ? b : a, what);
                break;
            }
    }
    if (err != TCPSIM_OK) {
        tcpsim_catalog_free(cat);
        return err;
    }
    *out = cat;
    return TCPSIM_OK;
}

void tcpsim_catalog_free(struct tcpsim_catalog *cat)
{
    if (!cat)
        return;
    free(cat->buf);
    free(cat->e);
    free(cat);
}

const char *tcpsim_catalog_get(const struct tcpsim_catalog *cat, const char *key)
{
    if (!cat || !key)
        return NULL;
    struct cat_entry k = {key, NULL, 0};
    const struct cat_entry *e = bsearch(&k, cat->e, cat->n, sizeof *cat->e, entry_cmp);
    return e ? e->text : NULL;
}

size_t tcpsim_catalog_count(const struct tcpsim_catalog *cat)
{
    return cat ? cat->n : 0;
}

const char *tcpsim_catalog_key_at(const struct tcpsim_catalog *cat, size_t i)
{
    return (cat && i < cat->n) ? cat->e[i].key : NULL;
}

/* Built-in catalogues, parsed on first use and kept for the process. */
static struct tcpsim_catalog *builtin[TCPSIM_LANG_COUNT];
static bool builtin_tried[TCPSIM_LANG_COUNT];

static void free_builtins(void)
{
    for (size_t i = 0; i < TCPSIM_LANG_COUNT; i++) {
        tcpsim_catalog_free(builtin[i]);
        builtin[i] = NULL;
    }
}

const struct tcpsim_catalog *tcpsim_catalog_builtin(enum tcpsim_lang lang)
{
    size_t li = (size_t)lang;
    if (li >= TCPSIM_LANG_COUNT)
        return NULL;
    if (!builtin_tried[li]) {
        static bool registered;
        builtin_tried[li] = true;
        const char *code = tcpsim_lang_code(lang);
        for (size_t i = 0; i < tcpsim__catalog_nblobs; i++) {
            const struct tcpsim__catalog_blob *b = &tcpsim__catalog_blobs[i];
            if (strcmp(b->lang, code))
                continue;
            char err[256];
            if (tcpsim_catalog_parse((const char *)b->data, b->len, b->file, &builtin[li], err, sizeof err) !=
                TCPSIM_OK)
                fprintf(stderr, "tcpsim: built-in catalogue broken: %s\n", err);
        }
        if (!registered) {
            registered = true;
            atexit(free_builtins);
        }
    }
    return builtin[li];
}

const char *tcpsim_msg_raw(enum tcpsim_lang lang, const char *key)
{
    const char *t = tcpsim_catalog_get(tcpsim_catalog_builtin(lang), key);
    if (!t && lang != TCPSIM_LANG_EN)
        t = tcpsim_catalog_get(tcpsim_catalog_builtin(TCPSIM_LANG_EN), key);
    return t ? t : key;
}

size_t tcpsim_msg(enum tcpsim_lang lang, const char *key, const char *const *args, size_t nargs, char *buf, size_t cap)
{
    const char *t = tcpsim_msg_raw(lang, key);
    size_t n = 0;
#define PUT_(ch)                                                                                                       \
    do {                                                                                                               \
        if (n + 1 < cap)                                                                                               \
            buf[n] = (ch);                                                                                             \
        n++;                                                                                                           \
    } while (0)
    for (const char *p = t; *p; p++) {
        if (p[0] == '{' && p[1] >= '1' && p[1] <= '9' && p[2] == '}') {
            size_t ai = (size_t)(p[1] - '1');
            const char *a = (ai < nargs && args[ai]) ? args[ai] : "";
            if (a[0] == '@' && a[1]) /* an argument that is itself a message */
                a = tcpsim_msg_raw(lang, a + 1);
            for (; *a; a++)
                PUT_(*a);
            p += 2;
            continue;
        }
        PUT_(*p);
    }
#undef PUT_
    if (cap)
        buf[n < cap ? n : cap - 1] = '\0';
    return n;
}
