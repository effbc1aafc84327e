/* proc_spawn.h — starts `/bin/sh -c COMMAND [ARGS...]` without blocking: its own process group
 * (so a timeout can stop it whole), every signal unblocked and at its default action (the
 * loop blocks the signals it handles), stdin/stdout/stderr on /dev/null (output that nobody
 * reads can never stall it). The caller reaps it through loop_child_add(). */
#ifndef KEEPVIP_PROC_SPAWN_H
#define KEEPVIP_PROC_SPAWN_H

#include <sys/types.h>

/* args: NULL-terminated, passed as "$1"... (the shell sees "sh" as $0); may be NULL.
 * With args, COMMAND runs as `COMMAND "$@"`. Returns 0 and *pid, or a positive error
 * number (posix_spawn's convention). */
int spawn_shell(const char *command, const char *const *args, pid_t *pid);

#endif
