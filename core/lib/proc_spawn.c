/* proc_spawn.c — posix_spawn of a shell command, detached from the loop's signal handling. */
#include "proc_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <unistd.h>

extern char **environ;

/* Attributes of the child: own process group, clean signal mask and dispositions. */
static int spawn_attr_setup(posix_spawnattr_t *attr)
{
	sigset_t none, all;
	int rc;

	sigemptyset(&none);
	sigfillset(&all);
	rc = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						    POSIX_SPAWN_SETSIGDEF);
	if (rc == 0)
		rc = posix_spawnattr_setpgroup(attr, 0);
	if (rc == 0)
		rc = posix_spawnattr_setsigmask(attr, &none);
	if (rc == 0)
		rc = posix_spawnattr_setsigdefault(attr, &all);
	return rc;
}

/* stdin, stdout and stderr: /dev/null. */
static int spawn_files_setup(posix_spawn_file_actions_t *files)
{
	int rc = posix_spawn_file_actions_addopen(files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

	if (rc == 0)
		rc = posix_spawn_file_actions_addopen(files, STDOUT_FILENO, "/dev/null", O_WRONLY,
						      0);
	if (rc == 0)
		rc = posix_spawn_file_actions_adddup2(files, STDOUT_FILENO, STDERR_FILENO);
	return rc;
}

#define SPAWN_MAX_ARGS 8

int spawn_shell(const char *command, const char *const *args, pid_t *pid)
{
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t files;
	char with_args[4096];
	char *argv[4 + SPAWN_MAX_ARGS + 1] = { "sh", "-c", (char *)command, "sh" };
	size_t argc = 3;
	int rc;

	if (args != NULL) {
		/* `COMMAND "$@"`: the arguments reach the program unsplit and unexpanded */
		if (snprintf(with_args, sizeof(with_args), "%s \"$@\"", command) >=
		    (int)sizeof(with_args))
			return E2BIG;
		argv[2] = with_args;
		argc = 4;
		for (size_t i = 0; args[i] != NULL; i++) {
			if (i == SPAWN_MAX_ARGS)
				return E2BIG;
			argv[argc++] = (char *)args[i];
		}
	}
	argv[argc] = NULL;

	rc = posix_spawnattr_init(&attr);
	if (rc != 0)
		return rc;
	rc = posix_spawn_file_actions_init(&files);
	if (rc != 0) {
		posix_spawnattr_destroy(&attr);
		return rc;
	}
	rc = spawn_attr_setup(&attr);
	if (rc == 0)
		rc = spawn_files_setup(&files);
	if (rc == 0)
		rc = posix_spawn(pid, "/bin/sh", &files, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&files);
	posix_spawnattr_destroy(&attr);
	return rc;
}

