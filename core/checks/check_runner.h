/* check_runner.h — runs one instance's health checks on the event loop and turns their
 * outcomes into one verdict: FAULT (some weight-0 check is unhealthy) and a priority
 * penalty (the sum of the weights of the unhealthy weighted checks).
 *
 * Each check runs every interval_ms (start to start), bounded by timeout_ms (a run that
 * overruns is cancelled and counts as a failure); never more than one run of a check is in
 * flight, and nothing blocks the loop. The first run of every check starts at once.
 * Checks start healthy (check.h), so the verdict starts as "no fault, no penalty"; on_change
 * is called only when the verdict changes. Each check's healthy/unhealthy transition is
 * logged once, under the instance's scope:
 *   check tcp:80 failed 2 times: Connection refused -> unhealthy
 *   check tcp:80 succeeded 2 times -> healthy
 * never every failure (the counts are in the status). */
#ifndef KEEPVIP_CHECK_RUNNER_H
#define KEEPVIP_CHECK_RUNNER_H

#include "check_kind.h"
#include "check_settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct check_runner;

#define CHECK_LABEL_LEN (CHECK_TARGET_LEN + 16)

/* Called on the loop when the verdict changes. It must not free the runner. */
typedef void (*check_change_fn)(void *arg, bool fault, unsigned priority_penalty);

/* What the status endpoint shows of one check. */
struct check_status {
	enum check_kind kind;
	char label[CHECK_LABEL_LEN];       /* "tcp:80", the URL (userinfo masked), "script:CMD" */
	bool healthy;
	bool running;                      /* a run is in flight */
	uint64_t runs;                     /* completed runs (timeouts included) */
	uint64_t failures;                 /* failed runs */
	char last_error[CHECK_ERR_LEN];    /* "" after a success */
	uint32_t last_duration_ms;
};

/* Copies the settings; starts every check's first run at once. scope names the instance in
 * log lines. n == 0 gives a runner that never reports anything. 0 and *out, or negative
 * errno (logged under scope). */
int check_runner_new(struct loop *loop, const struct check_settings *checks, size_t n,
		     const char *scope, check_change_fn on_change, void *arg,
		     struct check_runner **out);

/* Stops every check; a script still running is killed (its process group) and reaped later
 * by the loop. Accepts NULL. */
void check_runner_free(struct check_runner *r);

bool check_runner_fault(const struct check_runner *r);
unsigned check_runner_penalty(const struct check_runner *r);
size_t check_runner_count(const struct check_runner *r);
/* i < check_runner_count(r); valid until the runner is freed. */
const struct check_status *check_runner_status(const struct check_runner *r, size_t i);

#endif
