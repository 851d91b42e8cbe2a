/* main.c - tcpsim: argument dispatch to the subcommands (cmd_*.c). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    {"sim", tcpsim_cli_sim, "simulate two endpoints over a virtual network (built-in scenarios)"},
    {"replay", tcpsim_cli_replay, "replay a pcap/pcapng capture into per-connection TCP/TLS timelines"},
    {"run", tcpsim_cli_run, "run TCP test scripts in packetdrill syntax against the model"},
    {"teach", tcpsim_cli_teach, "guided lessons on the TCP and TLS handshakes (English, Korean)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: tcpsim COMMAND [OPTIONS] ...\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n'tcpsim COMMAND --help' describes each command; see docs/cli.md.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("tcpsim 0.1.0\n");
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "tcpsim: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
