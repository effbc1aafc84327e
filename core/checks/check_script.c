/* check_script.c — script check: `/bin/sh -c CMD`, healthy on exit status 0.
 *
 * The script never blocks the loop: it is spawned (posix_spawn), its stdin, stdout and stderr
 * are /dev/null (a script printing megabytes cannot stall on a full pipe), and it is reaped
 * through a pidfd (loop_child_add) only: there is no wait anywhere in this file. It runs in its own process group so that a probe that
 * overruns its timeout is stopped whole: SIGKILL to the group, children of the script
 * included. The child starts with every signal unblocked and at its default action (the
 * loop blocks the signals it handles through signalfd). */
#include "check_kind.h"

#include "loop.h"
#include "proc_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCRIPT_SHELL "/bin/sh"
#define REWATCH_MS 100u

struct script_probe {
	pid_t pid;
	check_probe_done_fn done;
	void *arg;
	struct script_probe *prev, *next;
};

/* A killed script whose pidfd the loop could not take yet (no fd or memory left): asked
 * again on a timer until it can, so that it too is reaped through its pidfd, never with a
 * wait on the loop. Freed once handed over; a loop freed first leaves it to the process end. */
struct script_rewatch {
	pid_t pid;
	struct loop_timer timer;
};

/* The scripts in flight, found by pid when the loop reaps one. A cancelled script is taken
 * out (and its probe freed) at once, while the killed process is reaped later by the loop:
 * the child watch carries no pointer that could outlive the probe, and nothing is left
 * behind if the loop is freed first. The program is single-threaded. */
static struct script_probe *scripts_in_flight;

static void script_track(struct script_probe *p)
{
	p->prev = NULL;
	p->next = scripts_in_flight;
	if (p->next != NULL)
		p->next->prev = p;
	scripts_in_flight = p;
}

static void script_untrack(struct script_probe *p)
{
	if (p->prev != NULL)
		p->prev->next = p->next;
	else
		scripts_in_flight = p->next;
	if (p->next != NULL)
		p->next->prev = p->prev;
}

static struct script_probe *script_find(pid_t pid)
{
	for (struct script_probe *p = scripts_in_flight; p != NULL; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

static void script_describe(const struct check_settings *s, char *buf, size_t len)
{
	snprintf(buf, len, "script:%s", s->target);
}

/* Words for a wait status: "exit status 1", "exit status 127 (command not found)",
 * "killed by signal 9 (KILL)". */
static void describe_wait_status(int status, char *buf, size_t len)
{
	if (status == -1) {
		snprintf(buf, len, "exit status lost (reaped elsewhere)");
	} else if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);
		const char *hint = code == 127 ? " (command not found)"
				 : code == 126 ? " (command not executable)" : "";
		snprintf(buf, len, "exit status %d%s", code, hint);
	} else if (WIFSIGNALED(status)) {
		const char *name = sigabbrev_np(WTERMSIG(status));
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 name != NULL ? name : "?");
	} else {
		snprintf(buf, len, "wait status %#x", (unsigned)status);
	}
}

static void on_script_exit(struct loop *loop, pid_t pid, int status, void *arg)
{
	struct script_probe *p = script_find(pid);
	char why[CHECK_ERR_LEN];

	(void)loop;
	(void)arg;
	if (p == NULL)
		return; /* cancelled: killed, now reaped */
	check_probe_done_fn done = p->done;
	void *done_arg = p->arg;
	script_untrack(p);
	free(p);
	if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		done(done_arg, true, NULL);
		return;
	}
	describe_wait_status(status, why, sizeof(why));
	done(done_arg, false, why);
}

static void on_rewatch(struct loop *loop, void *arg)
{
	struct script_rewatch *w = arg;
	if (loop_child_add(loop, w->pid, on_script_exit, NULL) == 0) {
		free(w);
		return;
	}
	loop_timer_arm(loop, &w->timer, loop_now_us() + REWATCH_MS * 1000u);
}

/* The script runs but cannot be watched: stop it now and hand its reaping to a timer. */
static void stop_unwatched(struct loop *loop, pid_t pid)
{
	struct script_rewatch *w = calloc(1, sizeof(*w));

	kill(-pid, SIGKILL);
	if (w == NULL)
		return; /* out of memory as well: left a zombie until the process ends */
	w->pid = pid;
	loop_timer_init(&w->timer, on_rewatch, w);
	if (loop_timer_arm(loop, &w->timer, loop_now_us() + REWATCH_MS * 1000u) < 0)
		free(w);
}

static int script_start(const struct check_env *env, const struct check_settings *s,
			check_probe_done_fn done, void *arg, void **probe, char *err,
			size_t err_len)
{
	struct script_probe *p = calloc(1, sizeof(*p));
	int rc;

	if (p == NULL) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	*p = (struct script_probe){ .done = done, .arg = arg };
	rc = spawn_shell(s->target, NULL, &p->pid);
	if (rc != 0) {
		snprintf(err, err_len, "spawn %s: %s", SCRIPT_SHELL, strerror(rc));
		free(p);
		return -rc;
	}
	rc = loop_child_add(env->loop, p->pid, on_script_exit, NULL);
	if (rc < 0) {
		stop_unwatched(env->loop, p->pid);
		snprintf(err, err_len, "watch the script's process: %s", strerror(-rc));
		free(p);
		return rc;
	}
	script_track(p);
	*probe = p;
	return 0;
}

/* Kills the process group and forgets the probe; the loop reaps the child later. */
static void script_cancel(const struct check_env *env, void *probe)
{
	struct script_probe *p = probe;

	(void)env;
	/* The group leader is not reaped yet, so its pid (= the group id) cannot be reused. */
	kill(-p->pid, SIGKILL);
	script_untrack(p);
	free(p);
}

const struct check_kind_ops check_script_ops = {
	.name = "script",
	.describe = script_describe,
	.start = script_start,
	.cancel = script_cancel,
};
