/* adapter.c — what every adapter shares: the first fetch (bounded, before the daemon's loop),
 * the last good discovery kept through errors, and retries with exponential backoff. */
#include "adapter.h"

#include "log.h"
#include "loop.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BACKOFF_FIRST_MS 1000u
#define BACKOFF_MAX_MS 30000u

void adapter_errf(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;
	if (err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

struct adapter {
	const struct adapter_ops *ops;
	void *state;
	struct adapter_ctx ctx;
	adapter_update_fn on_update;
	void *arg;
	struct adapter_discovery last;   /* last good answer; kept through errors */
	bool has_last;
	unsigned failures;                /* in a row, for the backoff */
	bool wait_first;                  /* the first fetch failed: back off before watching */
	uint64_t updates, errors;         /* since open, for /metrics */
	struct loop_timer retry_timer;
	struct loop_timer rebuild_timer;  /* armed by adapter_settings_changed */
	bool rebuild_pending;             /* settings changed, the state is not rebuilt yet */
};

const char *adapter_name(const struct adapter *a)
{
	return a->ops->name;
}

void adapter_counts(const struct adapter *a, uint64_t *updates, uint64_t *errors)
{
	*updates = a->updates;
	*errors = a->errors;
}

const struct adapter_discovery *adapter_last(const struct adapter *a)
{
	return a->has_last ? &a->last : NULL;
}

/* The one completion point for every answer: store, reset backoff, tell the core. */
static void adapter_report(void *arg, const struct adapter_discovery *d)
{
	struct adapter *a = arg;
	if (a->failures > 0)
		log_info("adapter", "%s: answering again after %u failures", a->ops->name, a->failures);
	a->failures = 0;
	if (d == NULL)
		return; /* alive, unchanged */
	a->updates++;
	a->last = *d;
	a->has_last = true;
	a->on_update(a->arg, &a->last);
}

static uint64_t backoff_ms(unsigned failures)
{
	uint64_t ms = BACKOFF_FIRST_MS;
	for (unsigned i = 1; i < failures && ms < BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

/* The one place errors land: log, keep the last peers, retry later. */
static void adapter_fail(void *arg, const char *err)
{
	struct adapter *a = arg;
	a->failures++;
	a->errors++;
	uint64_t delay = backoff_ms(a->failures);
	log_warn("adapter", "%s: %s; keeping %zu known peers, retrying in %llu ms", a->ops->name,
		 err, a->has_last ? a->last.n_peers : (size_t)0, (unsigned long long)delay);
	if (a->ctx.loop != NULL)
		loop_timer_arm(a->ctx.loop, &a->retry_timer, loop_now_us() + delay * 1000u);
}

static void adapter_retry(struct loop *loop, void *arg)
{
	(void)loop;
	struct adapter *a = arg;
	if (adapter_start(a) < 0)
		return; /* adapter_start reported through adapter_fail */
}

/* ---- the first fetch: the adapter's own watch on a private loop ------------------------ */

struct first_read {
	struct loop *loop;
	struct adapter_discovery *out;
	int rc;                           /* 1 while waiting */
	char err[ADAPTER_ERR_LEN];
	struct loop_timer deadline;
};

static void first_read_answer(void *arg, const struct adapter_discovery *d)
{
	struct first_read *r = arg;
	if (d == NULL || r->rc != 1)
		return; /* "alive, unchanged" says nothing yet */
	*r->out = *d;
	r->rc = 0;
	loop_stop(r->loop);
}

static void first_read_fail(void *arg, const char *err)
{
	struct first_read *r = arg;
	if (r->rc != 1)
		return;
	snprintf(r->err, sizeof(r->err), "%s", err);
	r->rc = -EIO;
	loop_stop(r->loop);
}

static void first_read_too_late(struct loop *loop, void *arg)
{
	struct first_read *r = arg;
	snprintf(r->err, sizeof(r->err), "no answer within %u ms", ADAPTER_FIRST_FETCH_MS);
	r->rc = -ETIMEDOUT;
	loop_stop(loop);
}

/* create + watch on a private loop, run to the first answer or error or the deadline. */
static int first_read_on_private_loop(const struct adapter_ops *ops, const struct adapter_ctx *ctx,
				      struct adapter_discovery *out, char *err, size_t err_len)
{
	struct first_read r = { .out = out, .rc = 1 };
	struct adapter_ctx own = *ctx;
	void *state = NULL;
	int rc = loop_new(&r.loop);

	if (rc < 0) {
		snprintf(err, err_len, "%s: event loop: %s", ops->name, strerror(-rc));
		return rc;
	}
	own.loop = r.loop;
	rc = ops->create(&own, &state, err, err_len);
	if (rc == 0) {
		loop_timer_init(&r.deadline, first_read_too_late, &r);
		loop_timer_arm(r.loop, &r.deadline, loop_now_us() + ADAPTER_FIRST_FETCH_MS * 1000ull);
		rc = ops->watch(state, first_read_answer, first_read_fail, &r);
		if (rc < 0)
			snprintf(err, err_len, "%s: watch: %s", ops->name, strerror(-rc));
		else if (r.rc == 1 && (rc = loop_run(r.loop)) < 0)
			snprintf(err, err_len, "%s: event loop: %s", ops->name, strerror(-rc));
		else if ((rc = r.rc) < 0)
			snprintf(err, err_len, "%s", r.err);
		loop_timer_cancel(r.loop, &r.deadline);
		ops->destroy(state); /* stops the watch: nothing of it outlives the loop */
	}
	loop_free(r.loop);
	return rc;
}

int adapter_first_fetch(const struct adapter_ops *ops, const struct adapter_ctx *ctx,
			struct adapter_discovery *out, char *err, size_t err_len)
{
	memset(out, 0, sizeof(*out));
	if (ops->fetch == NULL)
		return first_read_on_private_loop(ops, ctx, out, err, err_len);

	struct adapter_ctx own = *ctx;
	void *state = NULL;
	own.loop = NULL;
	int rc = ops->create(&own, &state, err, err_len);
	if (rc == 0)
		rc = ops->fetch(state, out, err, err_len);
	ops->destroy(state);
	return rc;
}

/* An adapter that can fetch without the loop (static) answers at once after a rebuild:
 * reported, or logged and counted (the watch or the retries bring the next). Others answer
 * through their watch. 0, or -ENOMEM. */
static int adapter_first_answer(struct adapter *a)
{
	char fetch_err[ADAPTER_ERR_LEN];
	if (a->ops->fetch == NULL)
		return 0;
	struct adapter_discovery *first = calloc(1, sizeof(*first));
	if (first == NULL)
		return -ENOMEM;
	int rc = a->ops->fetch(a->state, first, fetch_err, sizeof(fetch_err));
	if (rc == 0)
		adapter_report(a, first);
	else {
		a->errors++;
		log_warn("adapter", "%s: first fetch failed: %s", a->ops->name, fetch_err);
	}
	free(first);
	return 0;
}

static void adapter_rebuild(struct loop *loop, void *arg);

/* ---- the running adapter --------------------------------------------------------------- */

int adapter_open(const struct adapter_ops *ops, const struct adapter_ctx *ctx,
		 const struct adapter_discovery *known, adapter_update_fn on_update, void *arg,
		 struct adapter **out, char *err, size_t err_len)
{
	struct adapter *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, err_len, "adapter %s: out of memory", ops->name);
		return -ENOMEM;
	}
	a->ops = ops;
	a->ctx = *ctx;
	a->on_update = on_update;
	a->arg = arg;
	loop_timer_init(&a->retry_timer, adapter_retry, a);
	struct adapter_ctx create_ctx = *ctx;
	create_ctx.resume = known != NULL ? known->resume : NULL;
	int rc = ops->create(&create_ctx, &a->state, err, err_len);
	a->ctx.resume = NULL; /* known is the caller's: not kept */
	loop_timer_init(&a->rebuild_timer, adapter_rebuild, a);
	if (rc < 0) {
		free(a);
		return rc;
	}
	if (known != NULL) {
		adapter_report(a, known);
	} else {
		/* the first fetch failed (the caller logged why): that was the first try */
		a->failures = 1;
		a->errors = 1;
		a->wait_first = true;
	}
	*out = a;
	return 0;
}

/* True when a setting the adapter declares (its ops' settings table) differs. */
static bool adapter_inputs_differ(const struct adapter_ops *ops, const struct settings *a,
				  const struct settings *b)
{
	for (size_t i = 0; ops->settings != NULL && i < ops->settings->n_keys; i++) {
		const char *x = settings_get(a, ops->settings->keys[i].env);
		const char *y = settings_get(b, ops->settings->keys[i].env);
		if ((x == NULL) != (y == NULL) || (x != NULL && strcmp(x, y) != 0))
			return true;
	}
	return false;
}

void adapter_settings_changed(struct adapter *a, const struct settings *next)
{
	const struct settings *prev = a->ctx.settings;
	a->ctx.settings = next;
	if (!a->rebuild_pending && (prev == NULL || !adapter_inputs_differ(a->ops, prev, next)))
		return;
	a->rebuild_pending = true;
	if (a->ctx.loop != NULL)
		loop_timer_arm(a->ctx.loop, &a->rebuild_timer, loop_now_us());
	else
		adapter_rebuild(NULL, a);
}

/* The new state replaces the old one only once it exists; then it answers and watches. */
static void adapter_rebuild(struct loop *loop, void *arg)
{
	(void)loop;
	struct adapter *a = arg;
	char err[ADAPTER_ERR_LEN];
	void *fresh = NULL;
	int rc = a->ops->create(&a->ctx, &fresh, err, sizeof(err));
	if (rc < 0) {
		log_error("adapter", "%s: new settings: %s; the running one goes on", a->ops->name,
			  err);
		return;
	}
	a->ops->destroy(a->state);
	a->state = fresh;
	a->rebuild_pending = false;
	log_info("adapter", "%s: started again on the new settings", a->ops->name);
	if (adapter_first_answer(a) < 0)
		adapter_fail(a, "out of memory");
	adapter_start(a);
}

int adapter_start(struct adapter *a)
{
	if (a->ops->watch == NULL || a->ctx.loop == NULL)
		return 0;
	if (a->wait_first) {
		uint64_t delay = backoff_ms(a->failures);
		a->wait_first = false;
		log_info("adapter", "%s: the first fetch failed; asking again in %llu ms",
			 a->ops->name, (unsigned long long)delay);
		loop_timer_arm(a->ctx.loop, &a->retry_timer, loop_now_us() + delay * 1000u);
		return 0;
	}
	int rc = a->ops->watch(a->state, adapter_report, adapter_fail, a);
	if (rc < 0) {
		char err[ADAPTER_ERR_LEN];
		snprintf(err, sizeof(err), "watch: %s", strerror(-rc));
		adapter_fail(a, err);
	}
	return rc;
}

void adapter_close(struct adapter *a)
{
	if (a == NULL)
		return;
	if (a->ctx.loop != NULL) {
		loop_timer_cancel(a->ctx.loop, &a->retry_timer);
		loop_timer_cancel(a->ctx.loop, &a->rebuild_timer);
	}
	a->ops->destroy(a->state);
	free(a);
}
