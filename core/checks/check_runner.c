/* check_runner.c — schedules each check (interval, timeout, one run in flight), feeds the
 * outcome of every run to its rise/fall hysteresis (check.c) in one completion point,
 * run_complete(), and reports the instance's verdict when it changes. */
#include "check_runner.h"

#include "check.h"
#include "http.h"
#include "log.h"
#include "loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_INTERVAL_MS_FALLBACK 1000u

struct check_slot {
	struct check_runner *runner;
	const struct check_kind_ops *ops;
	struct check_settings settings;
	struct check_state state;
	struct check_status status;
	struct loop_timer next_run;  /* start of the next run */
	struct loop_timer deadline;  /* timeout of the run in flight */
	void *probe;                 /* the run in flight, NULL when idle */
	uint64_t started_us;
};

struct check_runner {
	struct loop *loop;
	struct check_env env;
	char scope[CHECK_SCOPE_LEN];
	check_change_fn on_change;
	void *arg;
	struct check_verdict verdict;
	size_t n;
	struct check_slot slots[];
};

static uint64_t ms_to_us(uint32_t ms)
{
	return (uint64_t)ms * 1000u;
}

static void verdict_update(struct check_runner *r)
{
	struct check_verdict v = CHECK_VERDICT_NONE;

	for (size_t i = 0; i < r->n; i++)
		check_verdict_add(&v, &r->slots[i].state, r->slots[i].settings.weight);
	if (check_verdict_equal(v, r->verdict))
		return;
	r->verdict = v;
	if (r->on_change != NULL)
		r->on_change(r->arg, v.fault, v.priority_penalty);
}

static const char *times(uint32_t n)
{
	return n == 1 ? "time" : "times";
}

static void log_transition(const struct check_slot *s, const char *error)
{
	const char *scope = s->runner->scope;

	if (s->state.healthy)
		log_info(scope, "check %s succeeded %u %s -> healthy", s->status.label,
			 s->state.ok_streak, times(s->state.ok_streak));
	else
		log_warn(scope, "check %s failed %u %s: %s -> unhealthy", s->status.label,
			 s->state.fail_streak, times(s->state.fail_streak),
			 error != NULL ? error : "failed");
}

static void schedule_next_run(struct check_slot *s)
{
	struct check_runner *r = s->runner;
	uint64_t next = s->started_us + ms_to_us(s->settings.interval_ms);
	uint64_t now = loop_now_us();

	if (loop_timer_arm(r->loop, &s->next_run, next > now ? next : now) < 0)
		log_error(r->scope, "check %s: cannot arm its timer: out of memory; it stops",
			  s->status.label);
}

/* The one completion point of every run: a probe's answer, a start that failed at once, or
 * a timeout. */
static void run_complete(struct check_slot *s, bool ok, const char *error)
{
	uint64_t took_ms = (loop_now_us() - s->started_us) / 1000u;

	loop_timer_cancel(s->runner->loop, &s->deadline);
	s->probe = NULL;
	s->status.running = false;
	s->status.runs++;
	if (!ok)
		s->status.failures++;
	snprintf(s->status.last_error, sizeof(s->status.last_error), "%s",
		 ok ? "" : (error != NULL ? error : "failed"));
	s->status.last_duration_ms = took_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)took_ms;
	if (check_state_record(&s->state, ok))
		log_transition(s, error);
	s->status.healthy = s->state.healthy;
	schedule_next_run(s);
	verdict_update(s->runner);
}

static void on_probe_done(void *arg, bool ok, const char *error)
{
	run_complete(arg, ok, error);
}

static void on_deadline(struct loop *loop, void *arg)
{
	struct check_slot *s = arg;
	char why[CHECK_ERR_LEN];

	(void)loop;
	s->ops->cancel(&s->runner->env, s->probe);
	s->probe = NULL;
	snprintf(why, sizeof(why), "timed out after %u ms", s->settings.timeout_ms);
	run_complete(s, false, why);
}

static void on_next_run(struct loop *loop, void *arg)
{
	struct check_slot *s = arg;
	char err[CHECK_ERR_LEN] = "";
	int rc;

	if (s->probe != NULL)
		return; /* cannot happen: the next run is armed when the last one completes */
	s->started_us = loop_now_us();
	rc = s->ops->start(&s->runner->env, &s->settings, on_probe_done, s, &s->probe, err,
			   sizeof(err));
	if (rc < 0) {
		s->probe = NULL;
		run_complete(s, false, err[0] ? err : strerror(-rc));
		return;
	}
	s->status.running = true;
	uint64_t deadline = s->started_us + ms_to_us(s->settings.timeout_ms);
	if (loop_timer_arm(loop, &s->deadline, deadline) < 0) {
		s->ops->cancel(&s->runner->env, s->probe);
		run_complete(s, false, "cannot arm the timeout: out of memory");
	}
}

static void slot_init(struct check_runner *r, struct check_slot *s, const struct check_settings *cs)
{
	s->runner = r;
	s->ops = check_kind_ops_of(cs->kind);
	s->settings = *cs;
	if (s->settings.interval_ms == 0)
		s->settings.interval_ms = CHECK_INTERVAL_MS_FALLBACK;
	if (s->settings.timeout_ms == 0)
		s->settings.timeout_ms = s->settings.interval_ms;
	check_state_init(&s->state, cs->rise, cs->fall);
	s->status.kind = cs->kind;
	s->status.healthy = s->state.healthy;
	s->ops->describe(&s->settings, s->status.label, sizeof(s->status.label));
	loop_timer_init(&s->next_run, on_next_run, s);
	loop_timer_init(&s->deadline, on_deadline, s);
}

static bool kind_valid(enum check_kind kind)
{
	return check_kind_ops_of(kind) != NULL;
}

int check_runner_new(struct loop *loop, const struct check_settings *checks, size_t n,
		     const char *scope, check_change_fn on_change, void *arg,
		     struct check_runner **out)
{
	struct check_runner *r;
	bool needs_http = false;
	int rc;

	*out = NULL;
	for (size_t i = 0; i < n; i++) {
		if (!kind_valid(checks[i].kind)) {
			log_error(scope, "checks: check %zu: unknown kind %d", i,
				  (int)checks[i].kind);
			return -EINVAL;
		}
		needs_http |= checks[i].kind == CHECK_HTTP;
	}
	r = calloc(1, sizeof(*r) + n * sizeof(r->slots[0]));
	if (r == NULL)
		return -ENOMEM;
	r->loop = loop;
	r->env.loop = loop;
	snprintf(r->scope, sizeof(r->scope), "%s", scope != NULL ? scope : "checks");
	r->on_change = on_change;
	r->arg = arg;
	r->verdict = CHECK_VERDICT_NONE;
	r->n = n;
	for (size_t i = 0; i < n; i++)
		slot_init(r, &r->slots[i], &checks[i]);
	if (needs_http) {
		rc = http_client_new(loop, &r->env.http);
		if (rc < 0) {
			log_error(r->scope, "checks: HTTP client: %s", strerror(-rc));
			check_runner_free(r);
			return rc;
		}
	}
	for (size_t i = 0; i < n; i++) {
		rc = loop_timer_arm(loop, &r->slots[i].next_run, loop_now_us());
		if (rc < 0) {
			log_error(r->scope, "checks: arm the first run: %s", strerror(-rc));
			check_runner_free(r);
			return rc;
		}
	}
	*out = r;
	return 0;
}

void check_runner_free(struct check_runner *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		struct check_slot *s = &r->slots[i];
		loop_timer_cancel(r->loop, &s->next_run);
		loop_timer_cancel(r->loop, &s->deadline);
		if (s->probe != NULL)
			s->ops->cancel(&r->env, s->probe);
		s->probe = NULL;
	}
	http_client_free(r->env.http);
	free(r);
}

bool check_runner_fault(const struct check_runner *r)
{
	return r->verdict.fault;
}

unsigned check_runner_penalty(const struct check_runner *r)
{
	return r->verdict.priority_penalty;
}

size_t check_runner_count(const struct check_runner *r)
{
	return r->n;
}

const struct check_status *check_runner_status(const struct check_runner *r, size_t i)
{
	return &r->slots[i].status;
}
