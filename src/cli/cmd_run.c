/* cmd_run.c - 'tcpsim run SCRIPT...': packetdrill-syntax scripts against the
 * model (src/script). Exit 0 when all pass, 1 when an expectation failed, 2 on
 * a script or usage error. Read first: docs/scripts.md, docs/cli.md "run". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tcpsim/script.h"

static void run_usage(FILE *f)
{
    fprintf(f,
            "usage: tcpsim run [OPTIONS] SCRIPT...\n"
            "Run TCP test scripts in packetdrill syntax against the tcpsim endpoint, in virtual time.\n\n"
            "options (override the script's own --option lines):\n"
            "  --tolerance_usecs=N   timing tolerance in microseconds (default 4000)\n"
            "  --tolerance_percent=N or N%% of the gap since the previous event, whichever is larger (default 12.5)\n"
            "  --mss=N               MSS the endpoint advertises (default 1460, 1440 for IPv6)\n"
            "  --ip_version=V        ipv4 (default), ipv6 or ipv4-mapped-ipv6\n"
            "  --profile=P           linux (default) or rfc: which endpoint behaviour to test\n"
            "  -v, --verbose         print the ladder of each run\n"
            "  --ascii               plain ASCII ladder\n"
            "  -q, --quiet           print failures only\n"
            "  --strict-end          fail when the endpoint sent a packet after the last line that no line\n"
            "                        checked (default: a note, as packetdrill does)\n\n"
            "exit status: 0 all passed, 1 an expectation failed, 2 a script or usage error\n"
            "see docs/scripts.md for the grammar\n");
}

static bool num_opt(const char *arg, const char *name, long *v)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) || arg[n] != '=')
        return false;
    char *end;
    *v = strtol(arg + n + 1, &end, 10);
    if (end == arg + n + 1 || *end) {
        fprintf(stderr, "tcpsim run: %s needs a number\n", name);
        *v = -2;
    }
    return true;
}

int tcpsim_cli_run(int argc, char **argv)
{
    struct tcpsim_script_opts o;
    tcpsim_script_opts_default(&o);
    o.out = stdout;
    bool quiet = false;
    int nscripts = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            run_usage(stdout);
            return 0;
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o.verbose = true;
        } else if (!strcmp(a, "--ascii")) {
            o.ascii = true;
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            quiet = true;
        } else if (!strcmp(a, "--strict-end")) {
            o.strict_end = true;
        } else if (num_opt(a, "--tolerance_usecs", &v)) {
            if (v < 0)
                return 2;
            o.tolerance_usecs = v;
        } else if (num_opt(a, "--tolerance_percent", &v)) {
            if (v < 0 || v > 100) {
                fprintf(stderr, "tcpsim run: --tolerance_percent is 0..100\n");
                return 2;
            }
            o.tolerance_percent = (int)v;
        } else if (num_opt(a, "--mss", &v)) {
            if (v < 88 || v > 65535) {
                fprintf(stderr, "tcpsim run: --mss is 88..65535\n");
                return 2;
            }
            o.mss = (int)v;
        } else if (!strncmp(a, "--ip_version=", 13)) {
            const char *s = a + 13;
            if (!strcmp(s, "ipv4") || !strcmp(s, "ipv4-mapped-ipv6"))
                o.ip_version = 4;
            else if (!strcmp(s, "ipv6"))
                o.ip_version = 6;
            else {
                fprintf(stderr, "tcpsim run: --ip_version is ipv4, ipv6 or ipv4-mapped-ipv6\n");
                return 2;
            }
        } else if (!strncmp(a, "--profile=", 10)) {
            if (!strcmp(a + 10, "linux"))
                o.profile = TCPSIM_PROFILE_LINUX;
            else if (!strcmp(a + 10, "rfc"))
                o.profile = TCPSIM_PROFILE_RFC;
            else {
                fprintf(stderr, "tcpsim run: --profile is linux or rfc\n");
                return 2;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "tcpsim run: unknown option '%s'\n", a);
            run_usage(stderr);
            return 2;
        } else {
            nscripts++;
        }
    }
    if (nscripts == 0) {
        run_usage(stderr);
        return 2;
    }
    int worst = 0, npass = 0, nfail = 0, nerr = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            continue;
        struct tcpsim_script_result *res = malloc(sizeof *res);
        if (!res) {
            fprintf(stderr, "tcpsim run: out of memory\n");
            return 2;
        }
        struct tcpsim_script_opts oo = o;
        if (quiet)
            oo.out = NULL;
        enum tcpsim_script_outcome oc = tcpsim_script_run_file(argv[i], &oo, res);
        if (quiet && oc != TCPSIM_SCRIPT_PASS)
            fprintf(stdout, "%s %s", oc == TCPSIM_SCRIPT_FAIL ? "FAIL" : "ERROR", res->report);
        if (oc == TCPSIM_SCRIPT_PASS)
            npass++;
        else if (oc == TCPSIM_SCRIPT_FAIL)
            nfail++;
        else
            nerr++;
        if ((int)oc > worst)
            worst = (int)oc;
        free(res);
    }
    if (nscripts > 1 && !quiet)
        printf("%d passed, %d failed, %d errors\n", npass, nfail, nerr);
    fflush(stdout);
    return worst;
}
