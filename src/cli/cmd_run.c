/* cmd_run.c - 'tcpsim run' (not built yet: reports so and exits 2). */
#include <stdio.h>

#include "cli/cli.h"

int tcpsim_cli_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tcpsim run: not available in this build yet\n");
    return 2;
}
