/* cmd_replay.c - 'tcpsim replay' (not built yet: reports so and exits 2). */
#include <stdio.h>

#include "cli/cli.h"

int tcpsim_cli_replay(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tcpsim replay: not available in this build yet\n");
    return 2;
}
