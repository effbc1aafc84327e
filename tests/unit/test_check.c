/* test_check.c — rise/fall hysteresis of one check and the verdict of a set (check.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "check.h"

static void test_starts_healthy_with_empty_streaks(void **state)
{
	struct check_state s;

	(void)state;
	check_state_init(&s, 2, 3);
	assert_true(s.healthy);
	assert_int_equal(s.rise, 2);
	assert_int_equal(s.fall, 3);
	assert_int_equal(s.ok_streak, 0);
	assert_int_equal(s.fail_streak, 0);
}

static void test_fall_failures_in_a_row_make_it_unhealthy_once(void **state)
{
	struct check_state s;

	(void)state;
	check_state_init(&s, 2, 3);
	assert_false(check_state_record(&s, false));
	assert_false(check_state_record(&s, false));
	assert_true(s.healthy);
	assert_true(check_state_record(&s, false)); /* the third: the verdict changes */
	assert_false(s.healthy);
	assert_false(check_state_record(&s, false)); /* stays unhealthy, no second change */
	assert_false(s.healthy);
	assert_int_equal(s.fail_streak, 4);
}

static void test_a_success_resets_the_failure_streak(void **state)
{
	struct check_state s;

	(void)state;
	check_state_init(&s, 2, 2);
	assert_false(check_state_record(&s, false));
	assert_false(check_state_record(&s, true));
	assert_int_equal(s.fail_streak, 0);
	assert_false(check_state_record(&s, false));
	assert_true(s.healthy); /* failure, success, failure: never two in a row */
	assert_true(check_state_record(&s, false));
	assert_false(s.healthy);
}

static void test_rise_successes_in_a_row_make_it_healthy_again(void **state)
{
	struct check_state s;

	(void)state;
	check_state_init(&s, 3, 1);
	assert_true(check_state_record(&s, false));
	assert_false(s.healthy);
	assert_false(check_state_record(&s, true));
	assert_false(check_state_record(&s, true));
	assert_false(check_state_record(&s, false)); /* a failure resets the success streak */
	assert_int_equal(s.ok_streak, 0);
	assert_false(check_state_record(&s, true));
	assert_false(check_state_record(&s, true));
	assert_false(s.healthy);
	assert_true(check_state_record(&s, true));
	assert_true(s.healthy);
	assert_false(check_state_record(&s, true));
}

static void test_successes_while_healthy_change_nothing(void **state)
{
	struct check_state s;

	(void)state;
	check_state_init(&s, 1, 1);
	for (int i = 0; i < 5; i++)
		assert_false(check_state_record(&s, true));
	assert_true(s.healthy);
	assert_int_equal(s.ok_streak, 5);
}

static void test_zero_rise_and_fall_act_as_one(void **state)
{
	struct check_state s;

	(void)state;
	check_state_init(&s, 0, 0);
	assert_int_equal(s.rise, 1);
	assert_int_equal(s.fall, 1);
	assert_true(check_state_record(&s, false));
	assert_false(s.healthy);
	assert_true(check_state_record(&s, true));
	assert_true(s.healthy);
}

static void test_streak_saturates(void **state)
{
	struct check_state s;

	(void)state;
	check_state_init(&s, 1, 1);
	s.ok_streak = UINT32_MAX;
	assert_false(check_state_record(&s, true));
	assert_int_equal(s.ok_streak, UINT32_MAX);
}

static struct check_state state_with(bool healthy)
{
	struct check_state s;

	check_state_init(&s, 1, 1);
	if (!healthy)
		check_state_record(&s, false);
	return s;
}

static void test_verdict_healthy_checks_add_nothing(void **state)
{
	struct check_verdict v = CHECK_VERDICT_NONE;
	struct check_state ok = state_with(true);

	(void)state;
	check_verdict_add(&v, &ok, 0);
	check_verdict_add(&v, &ok, 50);
	assert_false(v.fault);
	assert_int_equal(v.priority_penalty, 0);
}

static void test_verdict_unhealthy_weight_zero_is_fault(void **state)
{
	struct check_verdict v = CHECK_VERDICT_NONE;
	struct check_state ok = state_with(true), bad = state_with(false);

	(void)state;
	check_verdict_add(&v, &ok, 10);
	check_verdict_add(&v, &bad, 0);
	assert_true(v.fault);
	assert_int_equal(v.priority_penalty, 0);
}

static void test_verdict_unhealthy_weights_add_up(void **state)
{
	struct check_verdict v = CHECK_VERDICT_NONE;
	struct check_state ok = state_with(true), bad = state_with(false);

	(void)state;
	check_verdict_add(&v, &bad, 10);
	check_verdict_add(&v, &ok, 5);
	check_verdict_add(&v, &bad, 20);
	assert_false(v.fault);
	assert_int_equal(v.priority_penalty, 30);
	assert_false(check_verdict_equal(v, CHECK_VERDICT_NONE));
}

static void test_verdict_penalty_saturates(void **state)
{
	struct check_verdict v = CHECK_VERDICT_NONE;
	struct check_state bad = state_with(false);

	(void)state;
	check_verdict_add(&v, &bad, UINT32_MAX - 1);
	check_verdict_add(&v, &bad, 10);
	assert_int_equal(v.priority_penalty, UINT32_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starts_healthy_with_empty_streaks),
		cmocka_unit_test(test_fall_failures_in_a_row_make_it_unhealthy_once),
		cmocka_unit_test(test_a_success_resets_the_failure_streak),
		cmocka_unit_test(test_rise_successes_in_a_row_make_it_healthy_again),
		cmocka_unit_test(test_successes_while_healthy_change_nothing),
		cmocka_unit_test(test_zero_rise_and_fall_act_as_one),
		cmocka_unit_test(test_streak_saturates),
		cmocka_unit_test(test_verdict_healthy_checks_add_nothing),
		cmocka_unit_test(test_verdict_unhealthy_weight_zero_is_fault),
		cmocka_unit_test(test_verdict_unhealthy_weights_add_up),
		cmocka_unit_test(test_verdict_penalty_saturates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
