/* cmd_teach.c - 'tcpsim teach' (not built yet: reports so and exits 2). */
#include <stdio.h>

#include "cli/cli.h"

int tcpsim_cli_teach(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tcpsim teach: not available in this build yet\n");
    return 2;
}
