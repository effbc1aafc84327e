/* commands.h — the command line: run, check, peers, status, version, --help.
 * Returns the process exit code (DESIGN.md: 0 success, 1 runtime failure, 2 bad usage or
 * bad settings). */
#ifndef KEEPVIP_COMMANDS_H
#define KEEPVIP_COMMANDS_H

int keepvip_main(int argc, char **argv);

#endif
