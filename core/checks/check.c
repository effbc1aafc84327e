/* check.c — rise/fall hysteresis of one check and the verdict of a set of checks. */
#include "check.h"

void check_state_init(struct check_state *s, uint32_t rise, uint32_t fall)
{
	*s = (struct check_state){
		.rise = rise ? rise : 1,
		.fall = fall ? fall : 1,
		.healthy = true,
	};
}

static void streak_bump(uint32_t *streak)
{
	if (*streak < UINT32_MAX)
		(*streak)++;
}

bool check_state_record(struct check_state *s, bool ok)
{
	bool was_healthy = s->healthy;

	if (ok) {
		streak_bump(&s->ok_streak);
		s->fail_streak = 0;
		if (!s->healthy && s->ok_streak >= s->rise)
			s->healthy = true;
	} else {
		streak_bump(&s->fail_streak);
		s->ok_streak = 0;
		if (s->healthy && s->fail_streak >= s->fall)
			s->healthy = false;
	}
	return s->healthy != was_healthy;
}

void check_verdict_add(struct check_verdict *v, const struct check_state *s, uint32_t weight)
{
	if (s->healthy)
		return;
	if (weight == 0) {
		v->fault = true;
		return;
	}
	if (v->priority_penalty > UINT32_MAX - weight)
		v->priority_penalty = UINT32_MAX;
	else
		v->priority_penalty += weight;
}
