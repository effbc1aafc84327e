/* notify.h — runs the operator's notify program on every state change, with keepalived's
 * arguments: `NOTIFY INSTANCE NAME STATE PRIORITY`. Spawned, never waited for on the loop;
 * one at a time per instance, so the program sees the transitions in order; each run is
 * bounded (killed after NOTIFY_TIMEOUT_MS). Exit statuses are logged; a failure that
 * repeats (a missing program) is logged once until the program succeeds again. */
#ifndef KEEPVIP_NOTIFY_H
#define KEEPVIP_NOTIFY_H

struct loop;
struct notifier;

#define NOTIFY_TIMEOUT_MS 30000u
#define NOTIFY_QUEUE_MAX 32

/* command: the notify setting (a shell command). scope: instance name for log lines.
 * Returns 0 and *out, or -ENOMEM. */
int notifier_new(struct loop *loop, const char *command, const char *scope,
		 struct notifier **out);

/* Queues one run: NOTIFY INSTANCE scope state priority. When NOTIFY_QUEUE_MAX runs wait, the
 * oldest waiting one is dropped (logged). */
void notifier_post(struct notifier *n, const char *state, unsigned priority);

/* Forgets the queue; a run in flight finishes on its own (so the notify of the shutdown
 * transition is not cut short). Accepts NULL. */
void notifier_free(struct notifier *n);

#endif
