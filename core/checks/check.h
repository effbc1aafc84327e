/* check.h — health-check hysteresis: RISE consecutive successes make a check healthy,
 * FALL consecutive failures make it unhealthy (keepalived's vrrp_script rise/fall), and the
 * verdict of a set of checks: any unhealthy weight-0 check is a FAULT, every unhealthy
 * weighted check lowers the priority by its weight.
 *
 * Pure: no clock, no I/O. check_runner.c feeds it the outcome of every run.
 *
 * Initial state: HEALTHY. A check that has not run yet does not hold the election back
 * (an instance is not FAULT for FALL intervals at start), and FALL consecutive failures are
 * needed to declare it unhealthy, exactly as after any success. keepalived starts its
 * scripts failed until RISE successes; keepvip prefers not to delay the first election. */
#ifndef KEEPVIP_CHECK_H
#define KEEPVIP_CHECK_H

#include <stdbool.h>
#include <stdint.h>

struct check_state {
	uint32_t rise;        /* successes in a row that make an unhealthy check healthy (>= 1) */
	uint32_t fall;        /* failures in a row that make a healthy check unhealthy (>= 1) */
	uint32_t ok_streak;   /* successes in a row, up to the latest run */
	uint32_t fail_streak; /* failures in a row, up to the latest run */
	bool healthy;
};

/* Starts healthy with empty streaks. rise or fall 0 is taken as 1. */
void check_state_init(struct check_state *s, uint32_t rise, uint32_t fall);

/* Records the outcome of one run. Returns true when the verdict (healthy) changed. */
bool check_state_record(struct check_state *s, bool ok);

/* The verdict of a set of checks, built by adding each check's state and weight. */
struct check_verdict {
	bool fault;                /* some unhealthy check has weight 0 */
	uint32_t priority_penalty; /* sum of the weights of the unhealthy weighted checks,
				    * saturating; the instance clamps its priority to 1..254 */
};

#define CHECK_VERDICT_NONE ((struct check_verdict){ .fault = false, .priority_penalty = 0 })

void check_verdict_add(struct check_verdict *v, const struct check_state *s, uint32_t weight);

static inline bool check_verdict_equal(struct check_verdict a, struct check_verdict b)
{
	return a.fault == b.fault && a.priority_penalty == b.priority_penalty;
}

#endif
