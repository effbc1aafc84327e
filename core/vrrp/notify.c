/* notify.c — the notify program, run in order, bounded, never blocking the loop. */
#include "notify.h"

#include "log.h"
#include "loop.h"
#include "settings.h"
#include "proc_spawn.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

struct notify_run {
	char state[16];
	unsigned priority;
};


struct notifier {
	struct loop *loop;
	char command[SETTINGS_TEXT_LEN];
	char scope[SETTINGS_NAME_LEN];
	struct notify_run queue[NOTIFY_QUEUE_MAX];
	size_t head, count;
	pid_t running;                  /* 0 when idle */
	struct notifier *next;          /* in notifiers_alive */
	struct loop_timer timeout;
	bool failing;                   /* the last run failed: repeat failures stay quiet */
	unsigned long quiet_failures;
};

/* The child watch carries no pointer (a child can outlive its notifier, and the loop may be
 * freed before the child is reaped): the notifier is found by the pid it runs. The program is
 * single-threaded. */
static struct notifier *notifiers_alive;

static struct notifier *find_by_pid(pid_t pid)
{
	for (struct notifier *n = notifiers_alive; n != NULL; n = n->next)
		if (n->running == pid)
			return n;
	return NULL;
}

static void start_next(struct notifier *n);

static void on_timeout(struct loop *loop, void *arg)
{
	(void)loop;
	struct notifier *n = arg;
	if (n->running == 0)
		return;
	log_warn(n->scope, "notify: \"%s\" still running after %u ms: killed", n->command,
		 NOTIFY_TIMEOUT_MS);
	kill(-n->running, SIGKILL);
}

static void describe_status(int status, char *buf, size_t len)
{
	if (status == -1)
		snprintf(buf, len, "status unknown");
	else if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d%s", WEXITSTATUS(status),
			 WEXITSTATUS(status) == 127 ? " (command not found)" : "");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "wait status %d", status);
}

/* The one completion point: log the outcome, then run what waits. */
static void on_notify_exit(struct loop *loop, pid_t pid, int status, void *arg)
{
	(void)loop;
	(void)arg;
	struct notifier *n = find_by_pid(pid);
	if (n == NULL)
		return; /* the notifier was freed while this one ran */
	n->running = 0;
	loop_timer_cancel(n->loop, &n->timeout);

	bool ok = status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	char why[64];
	describe_status(status, why, sizeof(why));
	if (ok) {
		if (n->failing)
			log_info(n->scope, "notify: \"%s\" succeeds again (%lu failures not logged)",
				 n->command, n->quiet_failures);
		else
			log_debug(n->scope, "notify: pid %d: exit status 0", (int)pid);
		n->failing = false;
		n->quiet_failures = 0;
	} else if (!n->failing) {
		log_warn(n->scope, "notify: \"%s\" failed: %s", n->command, why);
		n->failing = true;
	} else {
		n->quiet_failures++;
	}
	start_next(n);
}

static void start_next(struct notifier *n)
{
	if (n->running != 0 || n->count == 0)
		return;
	struct notify_run run = n->queue[n->head];
	n->head = (n->head + 1) % NOTIFY_QUEUE_MAX;
	n->count--;

	char prio[12];
	snprintf(prio, sizeof(prio), "%u", run.priority);
	const char *args[] = { "INSTANCE", n->scope, run.state, prio, NULL };
	pid_t pid;
	int rc = spawn_shell(n->command, args, &pid);
	if (rc == 0)
		rc = -loop_child_add(n->loop, pid, on_notify_exit, NULL);
	if (rc != 0) {
		log_error(n->scope, "notify: start \"%s\": %s", n->command, strerror(rc));
		start_next(n);
		return;
	}
	n->running = pid;
	loop_timer_arm(n->loop, &n->timeout, loop_now_us() + NOTIFY_TIMEOUT_MS * 1000ull);
}

int notifier_new(struct loop *loop, const char *command, const char *scope,
		 struct notifier **out)
{
	struct notifier *n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	n->loop = loop;
	snprintf(n->command, sizeof(n->command), "%s", command);
	snprintf(n->scope, sizeof(n->scope), "%s", scope);
	loop_timer_init(&n->timeout, on_timeout, n);
	n->next = notifiers_alive;
	notifiers_alive = n;
	*out = n;
	return 0;
}

void notifier_post(struct notifier *n, const char *state, unsigned priority)
{
	if (n->count == NOTIFY_QUEUE_MAX) {
		log_warn(n->scope, "notify: %d runs waiting; dropping the oldest (%s)",
			 NOTIFY_QUEUE_MAX, n->queue[n->head].state);
		n->head = (n->head + 1) % NOTIFY_QUEUE_MAX;
		n->count--;
	}
	struct notify_run *run = &n->queue[(n->head + n->count) % NOTIFY_QUEUE_MAX];
	snprintf(run->state, sizeof(run->state), "%s", state);
	run->priority = priority;
	n->count++;
	start_next(n);
}

void notifier_free(struct notifier *n)
{
	if (n == NULL)
		return;
	/* A run in flight (the shutdown transition's, typically) finishes on its own. */
	for (struct notifier **p = &notifiers_alive; *p != NULL; p = &(*p)->next) {
		if (*p == n) {
			*p = n->next;
			break;
		}
	}
	loop_timer_cancel(n->loop, &n->timeout);
	free(n);
}
