/* cli.h - the tcpsim program: one function per subcommand.
 * Each returns the process exit status (0 ok, 1 failure/finding, 2 usage or input error). */
#ifndef TCPSIM_CLI_H
#define TCPSIM_CLI_H

int tcpsim_cli_sim(int argc, char **argv);
int tcpsim_cli_replay(int argc, char **argv);
int tcpsim_cli_run(int argc, char **argv);
int tcpsim_cli_teach(int argc, char **argv);

#endif
