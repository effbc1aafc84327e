/* test_loop.c — the event loop: timer order and accuracy, re-arming and cancelling from
 * callbacks, fd callbacks and removal of a pending fd, signals through signalfd, children
 * through pidfd, loop_stop. Every run has a guard timer so a broken loop fails, not hangs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUARD_US 3000000u

struct guard {
	struct loop_timer timer;
	bool fired;
};

static void on_guard(struct loop *loop, void *arg)
{
	struct guard *g = arg;

	g->fired = true;
	loop_stop(loop);
}

/* Runs the loop until a callback stops it; fails the test if the guard has to. */
static void run_guarded(struct loop *loop)
{
	struct guard g = { .fired = false };

	loop_timer_init(&g.timer, on_guard, &g);
	assert_int_equal(loop_timer_arm(loop, &g.timer, loop_now_us() + GUARD_US), 0);
	assert_int_equal(loop_run(loop), 0);
	loop_timer_cancel(loop, &g.timer);
	assert_false(g.fired);
}

static void stop_now(struct loop *loop, void *arg)
{
	(void)arg;
	loop_stop(loop);
}

static int setup_loop(void **state)
{
	struct loop *loop = NULL;

	if (loop_new(&loop) < 0)
		return -1;
	*state = loop;
	return 0;
}

static int teardown_loop(void **state)
{
	loop_free(*state);
	return 0;
}

/* ---- timers ---------------------------------------------------------------------------- */

struct order_log {
	int fired[16];
	size_t n;
	size_t stop_after;
};

struct ordered_timer {
	struct loop_timer timer;
	int id;
	struct order_log *log;
};

static void on_ordered(struct loop *loop, void *arg)
{
	struct ordered_timer *ot = arg;

	ot->log->fired[ot->log->n++] = ot->id;
	if (ot->log->n == ot->log->stop_after)
		loop_stop(loop);
}

static void test_timers_fire_in_deadline_order(void **state)
{
	struct loop *loop = *state;
	struct order_log log = { .stop_after = 5 };
	struct ordered_timer t[5];
	const unsigned offsets_ms[5] = { 40, 10, 30, 10, 20 }; /* ids 1 and 3 tie: armed order */
	uint64_t now = loop_now_us();

	for (int i = 0; i < 5; i++) {
		t[i] = (struct ordered_timer){ .id = i, .log = &log };
		loop_timer_init(&t[i].timer, on_ordered, &t[i]);
		assert_int_equal(loop_timer_arm(loop, &t[i].timer, now + offsets_ms[i] * 1000u), 0);
		assert_true(loop_timer_armed(&t[i].timer));
	}
	run_guarded(loop);
	assert_int_equal(log.n, 5);
	const int expected[5] = { 1, 3, 4, 2, 0 };
	for (int i = 0; i < 5; i++)
		assert_int_equal(log.fired[i], expected[i]);
	for (int i = 0; i < 5; i++)
		assert_false(loop_timer_armed(&t[i].timer));
}

struct rearm_case {
	struct loop_timer repeater, victim, moved, last;
	int repeats;
	int victim_fired;
	int moved_fired;
	uint64_t moved_deadline;
	uint64_t moved_fired_at;
};

static void on_victim(struct loop *loop, void *arg)
{
	struct rearm_case *c = arg;

	(void)loop;
	c->victim_fired++;
}

static void on_moved(struct loop *loop, void *arg)
{
	struct rearm_case *c = arg;

	c->moved_fired++;
	c->moved_fired_at = loop_now_us();
	loop_stop(loop);
}

/* Re-arms itself three times; on its first run it cancels the victim and pulls "moved"
 * in from far away to shortly after its last repeat. */
static void on_repeater(struct loop *loop, void *arg)
{
	struct rearm_case *c = arg;

	c->repeats++;
	if (c->repeats == 1) {
		loop_timer_cancel(loop, &c->victim);
		loop_timer_cancel(loop, &c->victim); /* twice: harmless */
		c->moved_deadline = loop_now_us() + 40000;
		assert_int_equal(loop_timer_arm(loop, &c->moved, c->moved_deadline), 0);
	}
	if (c->repeats < 3)
		assert_int_equal(loop_timer_arm(loop, &c->repeater, loop_now_us() + 5000), 0);
}

static void test_rearm_and_cancel_from_callbacks(void **state)
{
	struct loop *loop = *state;
	struct rearm_case c = { 0 };
	uint64_t now = loop_now_us();

	loop_timer_init(&c.repeater, on_repeater, &c);
	loop_timer_init(&c.victim, on_victim, &c);
	loop_timer_init(&c.moved, on_moved, &c);
	assert_int_equal(loop_timer_arm(loop, &c.repeater, now + 5000), 0);
	assert_int_equal(loop_timer_arm(loop, &c.victim, now + 20000), 0);
	assert_int_equal(loop_timer_arm(loop, &c.moved, now + 60u * 1000000u), 0);
	run_guarded(loop);
	assert_int_equal(c.repeats, 3);
	assert_int_equal(c.victim_fired, 0);
	assert_false(loop_timer_armed(&c.victim));
	assert_int_equal(c.moved_fired, 1);
	assert_true(c.moved_fired_at >= c.moved_deadline);
	assert_true(c.moved_fired_at < c.moved_deadline + 20000);
}

#define MANY 1000

struct many_case {
	struct loop_timer timers[MANY];
	uint64_t deadline[MANY];
	int fired[MANY];
	bool cancelled[MANY];
	uint64_t last_deadline;
	int n_fired;
	bool out_of_order;
	bool early;
};

static struct many_case many;

static void on_many(struct loop *loop, void *arg)
{
	int i = (int)(intptr_t)arg;
	uint64_t now = loop_now_us();

	(void)loop;
	if (many.timers[i].deadline_us < many.last_deadline)
		many.out_of_order = true;
	if (now < many.deadline[i])
		many.early = true;
	many.last_deadline = many.timers[i].deadline_us;
	many.fired[i]++;
	many.n_fired++;
}

static void test_thousand_timers_random_order(void **state)
{
	struct loop *loop = *state;
	struct loop_timer end;
	uint64_t now = loop_now_us();
	uint64_t latest = 0;

	memset(&many, 0, sizeof(many));
	srand(5798);
	for (int i = 0; i < MANY; i++) {
		loop_timer_init(&many.timers[i], on_many, (void *)(intptr_t)i);
		/* many ties: 0..49 ms in whole milliseconds */
		many.deadline[i] = now + 2000 + (uint64_t)(rand() % 50) * 1000u;
		assert_int_equal(loop_timer_arm(loop, &many.timers[i], many.deadline[i]), 0);
	}
	/* re-arm a quarter elsewhere, cancel another quarter */
	for (int i = 0; i < MANY; i += 4) {
		many.deadline[i] = now + 1000 + (uint64_t)(rand() % 60) * 1000u;
		assert_int_equal(loop_timer_arm(loop, &many.timers[i], many.deadline[i]), 0);
	}
	for (int i = 1; i < MANY; i += 4) {
		loop_timer_cancel(loop, &many.timers[i]);
		many.cancelled[i] = true;
	}
	for (int i = 0; i < MANY; i++)
		if (!many.cancelled[i] && many.deadline[i] > latest)
			latest = many.deadline[i];
	loop_timer_init(&end, stop_now, NULL);
	assert_int_equal(loop_timer_arm(loop, &end, latest + 1), 0);
	run_guarded(loop);

	assert_int_equal(many.n_fired, MANY - MANY / 4);
	assert_false(many.out_of_order);
	assert_false(many.early);
	for (int i = 0; i < MANY; i++)
		assert_int_equal(many.fired[i], many.cancelled[i] ? 0 : 1);
}

struct accuracy_case {
	uint64_t deadline, fired_at;
};

static void on_accuracy(struct loop *loop, void *arg)
{
	struct accuracy_case *a = arg;

	a->fired_at = loop_now_us();
	loop_stop(loop);
}

static void test_timer_accuracy(void **state)
{
	struct loop *loop = *state;

	for (int round = 0; round < 5; round++) {
		struct accuracy_case a = { 0 };
		struct loop_timer t;

		loop_timer_init(&t, on_accuracy, &a);
		/* 20 ms plus an odd number of microseconds: ms rounding would show */
		a.deadline = loop_now_us() + 20000 + 137u * (unsigned)round;
		assert_int_equal(loop_timer_arm(loop, &t, a.deadline), 0);
		run_guarded(loop);
		assert_true(a.fired_at >= a.deadline);
		assert_true(a.fired_at - a.deadline < 10000); /* generous for a loaded machine */
	}
}

static void test_past_deadline_fires(void **state)
{
	struct loop *loop = *state;
	struct loop_timer t;

	loop_timer_init(&t, stop_now, NULL);
	assert_int_equal(loop_timer_arm(loop, &t, 0), 0);
	run_guarded(loop);
	assert_false(loop_timer_armed(&t));
}

/* ---- file descriptors ------------------------------------------------------------------ */

struct pipe_case {
	int fds[2];
	char got[16];
	ssize_t n;
	uint32_t events;
};

static void on_pipe_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct pipe_case *p = arg;

	p->events = events;
	p->n = read(fd, p->got, sizeof(p->got));
	loop_stop(loop);
}

static void test_io_callback_on_pipe(void **state)
{
	struct loop *loop = *state;
	struct pipe_case p = { 0 };

	assert_int_equal(pipe(p.fds), 0);
	assert_int_equal(loop_io_add(loop, p.fds[0], EPOLLIN, on_pipe_readable, &p), 0);
	assert_int_equal(loop_io_add(loop, p.fds[0], EPOLLIN, on_pipe_readable, &p), -EEXIST);
	assert_int_equal(write(p.fds[1], "vrrp", 4), 4);
	run_guarded(loop);
	assert_int_equal(p.n, 4);
	assert_memory_equal(p.got, "vrrp", 4);
	assert_true(p.events & EPOLLIN);

	/* modify to EPOLLOUT on the write end, which is writable at once */
	loop_io_remove(loop, p.fds[0]);
	loop_io_remove(loop, p.fds[0]); /* not registered any more: harmless */
	assert_int_equal(loop_io_modify(loop, p.fds[0], EPOLLIN), -ENOENT);
	assert_int_equal(loop_io_add(loop, p.fds[1], 0, on_pipe_readable, &p), 0);
	assert_int_equal(loop_io_modify(loop, p.fds[1], EPOLLOUT), 0);
	p.events = 0;
	run_guarded(loop);
	assert_true(p.events & EPOLLOUT);
	loop_io_remove(loop, p.fds[1]);
	close(p.fds[0]);
	close(p.fds[1]);
}

/* Two pipes, both readable before the loop waits, so both events come in one batch. The
 * first callback to run removes the other fd, drains it and registers it again with a new
 * callback: the event already collected for the old registration must reach neither the old
 * callback nor the new one (the drained pipe gives the new one nothing to see later). */
struct pending_case {
	int a[2], b[2];
	int calls_a, calls_b;
	int calls_after_readd;
	struct loop_timer stop;
};

struct pending_arg {
	struct pending_case *c;
	char which;
};

static void on_readded(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct pending_case *c = arg;
	char buf[8];

	(void)events;
	c->calls_after_readd++;
	(void)read(fd, buf, sizeof(buf)); /* non-blocking: empty when dispatched stale */
	loop_io_remove(loop, fd);
}

static void on_pending(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct pending_arg *pa = arg;
	struct pending_case *c = pa->c;
	char buf[8];

	(void)events;
	if (pa->which == 'a')
		c->calls_a++;
	else
		c->calls_b++;
	assert_true(read(fd, buf, sizeof(buf)) > 0);
	loop_io_remove(loop, fd);
	int other = pa->which == 'a' ? c->b[0] : c->a[0];
	loop_io_remove(loop, other);
	assert_int_equal(read(other, buf, sizeof(buf)), 1);
	assert_int_equal(loop_io_add(loop, other, EPOLLIN, on_readded, c), 0);
	/* do not stop here: stopping would end the batch and hide a stale dispatch */
	assert_int_equal(loop_timer_arm(loop, &c->stop, loop_now_us() + 20000), 0);
}

static void test_remove_pending_fd_in_callback(void **state)
{
	struct loop *loop = *state;
	struct pending_case c = { 0 };
	struct pending_arg pa = { &c, 'a' }, pb = { &c, 'b' };

	assert_int_equal(pipe2(c.a, O_NONBLOCK), 0);
	assert_int_equal(pipe2(c.b, O_NONBLOCK), 0);
	loop_timer_init(&c.stop, stop_now, NULL);
	assert_int_equal(loop_io_add(loop, c.a[0], EPOLLIN, on_pending, &pa), 0);
	assert_int_equal(loop_io_add(loop, c.b[0], EPOLLIN, on_pending, &pb), 0);
	assert_int_equal(write(c.a[1], "x", 1), 1);
	assert_int_equal(write(c.b[1], "y", 1), 1);
	run_guarded(loop);
	assert_int_equal(c.calls_a + c.calls_b, 1);
	assert_int_equal(c.calls_after_readd, 0);
	loop_io_remove(loop, c.calls_a ? c.b[0] : c.a[0]);
	for (int i = 0; i < 2; i++) {
		close(c.a[i]);
		close(c.b[i]);
	}
}

/* A timer that re-arms itself for "now" every time must not starve a readable fd. */
struct starve_case {
	struct loop_timer spinner;
	unsigned spins;
	int fds[2];
	bool io_ran;
};

static void on_spin(struct loop *loop, void *arg)
{
	struct starve_case *s = arg;

	s->spins++;
	if (s->spins < 100000)
		assert_int_equal(loop_timer_arm(loop, &s->spinner, loop_now_us()), 0);
}

static void on_starve_io(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct starve_case *s = arg;

	(void)events;
	s->io_ran = true;
	loop_io_remove(loop, fd);
	loop_timer_cancel(loop, &s->spinner);
	loop_stop(loop);
}

static void test_self_rearming_timer_does_not_starve_io(void **state)
{
	struct loop *loop = *state;
	struct starve_case s = { 0 };

	assert_int_equal(pipe(s.fds), 0);
	loop_timer_init(&s.spinner, on_spin, &s);
	assert_int_equal(loop_timer_arm(loop, &s.spinner, loop_now_us()), 0);
	assert_int_equal(loop_io_add(loop, s.fds[0], EPOLLIN, on_starve_io, &s), 0);
	assert_int_equal(write(s.fds[1], "z", 1), 1);
	run_guarded(loop);
	assert_true(s.io_ran);
	assert_true(s.spins < 100);
	close(s.fds[0]);
	close(s.fds[1]);
}

/* ---- signals and children -------------------------------------------------------------- */

struct signal_case {
	int signo;
	int count;
};

static void on_signal(struct loop *loop, int signo, void *arg)
{
	struct signal_case *s = arg;

	s->signo = signo;
	s->count++;
	loop_stop(loop);
}

static void test_signal_through_signalfd(void **state)
{
	struct loop *loop = *state;
	struct signal_case s = { 0 };

	assert_int_equal(loop_signal_add(loop, SIGUSR1, on_signal, &s), 0);
	assert_int_equal(loop_signal_add(loop, SIGUSR1, on_signal, &s), -EEXIST);
	assert_int_equal(loop_signal_add(loop, SIGKILL, on_signal, &s), -EINVAL);
	assert_int_equal(loop_signal_add(loop, SIGUSR2, on_signal, &s), 0);
	assert_int_equal(raise(SIGUSR1), 0); /* blocked: stays pending for the signalfd */
	run_guarded(loop);
	assert_int_equal(s.signo, SIGUSR1);
	assert_int_equal(s.count, 1);
	assert_int_equal(kill(getpid(), SIGUSR2), 0);
	run_guarded(loop);
	assert_int_equal(s.signo, SIGUSR2);
	assert_int_equal(s.count, 2);
}

struct child_case {
	pid_t pid;
	int status;
	int calls;
};

static void on_child(struct loop *loop, pid_t pid, int wait_status, void *arg)
{
	struct child_case *c = arg;

	c->pid = pid;
	c->status = wait_status;
	c->calls++;
	loop_stop(loop);
}

static void test_child_exit_status_through_pidfd(void **state)
{
	struct loop *loop = *state;
	struct child_case c = { 0 };

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(3);
	assert_int_equal(loop_child_add(loop, pid, on_child, &c), 0);
	run_guarded(loop);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.pid, pid);
	assert_true(WIFEXITED(c.status));
	assert_int_equal(WEXITSTATUS(c.status), 3);
	/* reaped: no zombie left for waitpid */
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_child_killed_by_signal(void **state)
{
	struct loop *loop = *state;
	struct child_case c = { 0 };

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		for (;;)
			pause();
	}
	assert_int_equal(loop_child_add(loop, pid, on_child, &c), 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	run_guarded(loop);
	assert_int_equal(c.calls, 1);
	assert_true(WIFSIGNALED(c.status));
	assert_int_equal(WTERMSIG(c.status), SIGKILL);
}

/* ---- stop and lifetime ----------------------------------------------------------------- */

struct stop_case {
	struct loop_timer first, second;
	int first_calls, second_calls;
};

static void on_first_stops(struct loop *loop, void *arg)
{
	struct stop_case *s = arg;

	s->first_calls++;
	loop_stop(loop);
}

static void on_second(struct loop *loop, void *arg)
{
	struct stop_case *s = arg;

	s->second_calls++;
	loop_stop(loop);
}

static void test_loop_stop(void **state)
{
	struct loop *loop = *state;
	struct stop_case s = { 0 };
	uint64_t at = loop_now_us() + 5000;

	loop_timer_init(&s.first, on_first_stops, &s);
	loop_timer_init(&s.second, on_second, &s);
	assert_int_equal(loop_timer_arm(loop, &s.first, at), 0);
	assert_int_equal(loop_timer_arm(loop, &s.second, at), 0);
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(s.first_calls, 1);
	assert_int_equal(s.second_calls, 0); /* due, but the loop stopped first */
	assert_true(loop_timer_armed(&s.second));
	assert_int_equal(loop_run(loop), 0);
	assert_int_equal(s.second_calls, 1);
}

static void test_free_accepts_null_and_disarms(void **state)
{
	struct loop *loop = NULL;
	struct loop_timer t;

	(void)state;
	loop_free(NULL);
	assert_int_equal(loop_new(&loop), 0);
	loop_timer_init(&t, stop_now, NULL);
	assert_false(loop_timer_armed(&t));
	assert_int_equal(loop_timer_arm(loop, &t, loop_now_us() + 1000000), 0);
	assert_true(loop_timer_armed(&t));
	loop_free(loop);
	assert_false(loop_timer_armed(&t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timers_fire_in_deadline_order, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_rearm_and_cancel_from_callbacks, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_thousand_timers_random_order, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_timer_accuracy, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_past_deadline_fires, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_io_callback_on_pipe, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_remove_pending_fd_in_callback, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_self_rearming_timer_does_not_starve_io, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_signal_through_signalfd, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_child_exit_status_through_pidfd, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_child_killed_by_signal, setup_loop, teardown_loop),
		cmocka_unit_test_setup_teardown(test_loop_stop, setup_loop, teardown_loop),
		cmocka_unit_test(test_free_accepts_null_and_disarms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
