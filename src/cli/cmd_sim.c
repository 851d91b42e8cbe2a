/* cmd_sim.c - 'tcpsim sim' (not built yet: reports so and exits 2). */
#include <stdio.h>

#include "cli/cli.h"

int tcpsim_cli_sim(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tcpsim sim: not available in this build yet\n");
    return 2;
}
