/* loop.h — the one event loop: epoll for file descriptors, one timerfd for every timer,
 * signalfd for signals, pidfd for children. Single-threaded; callbacks run on the loop and
 * must not block. Time is a monotonic clock in microseconds. */
#ifndef KEEPVIP_LOOP_H
#define KEEPVIP_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct loop;

typedef void (*loop_io_fn)(struct loop *loop, int fd, uint32_t events, void *arg);
typedef void (*loop_timer_fn)(struct loop *loop, void *arg);
typedef void (*loop_signal_fn)(struct loop *loop, int signo, void *arg);
typedef void (*loop_child_fn)(struct loop *loop, pid_t pid, int wait_status, void *arg);

/* A timer is embedded in its owner; the loop keeps a pointer while it is armed, so an
 * owner cancels it (or frees the loop) before the memory goes away. Timers due at the same
 * microsecond fire in the order they were armed. */
struct loop_timer {
	uint64_t deadline_us;
	loop_timer_fn fn;
	void *arg;
	size_t heap_index;  /* private: position in the loop's heap, SIZE_MAX when not armed */
	uint64_t arm_seq;   /* private: arming order, breaks ties between equal deadlines */
};

/* CLOCK_MONOTONIC in microseconds. */
uint64_t loop_now_us(void);

/* Returns 0 and *out, or negative errno. */
int loop_new(struct loop **out);
/* Accepts NULL. Does not close registered fds (their owners do); disarms every timer still
 * armed; closes the pidfds of children not yet reaped (they are not waited for). Signals
 * added with loop_signal_add stay blocked. */
void loop_free(struct loop *loop);

/* epoll, level-triggered: events are EPOLLIN/EPOLLOUT/... Returns 0 or negative errno
 * (-EEXIST when fd is already registered). An owner removes its fd before closing it. */
int loop_io_add(struct loop *loop, int fd, uint32_t events, loop_io_fn fn, void *arg);
int loop_io_modify(struct loop *loop, int fd, uint32_t events);
/* Safe from inside a callback, also for another fd whose event is pending: once removed, fd's
 * callback is not called again for events already collected. Safe on an fd not registered. */
void loop_io_remove(struct loop *loop, int fd);

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg);
/* Arms (or re-arms) t to fire once at deadline_us (absolute, loop_now_us() clock): not
 * before it, and as soon after it as the kernel wakes us (the timerfd is set to the exact
 * microsecond). A deadline already past fires on the next turn of the loop. Safe from any
 * callback, for any timer. Returns 0, or -ENOMEM when the heap cannot grow (t is then not
 * armed; 64 timers fit without allocating). */
int loop_timer_arm(struct loop *loop, struct loop_timer *t, uint64_t deadline_us);
/* Safe on a timer that is not armed. */
void loop_timer_cancel(struct loop *loop, struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);

/* Blocks signo for the process and delivers it through a signalfd. One handler per signal:
 * -EEXIST for a second one, -EINVAL for a signal that cannot be caught. A child forked
 * afterwards inherits the blocked mask: the spawner unblocks before exec. */
int loop_signal_add(struct loop *loop, int signo, loop_signal_fn fn, void *arg);

/* Watches a child through a pidfd; fn runs once after it has been reaped (waitid), with a
 * waitpid-style status (WIFEXITED/WEXITSTATUS, WIFSIGNALED/WTERMSIG work on it). A child
 * that has already exited (but is not reaped) is fine. Status is -1 when the child could not
 * be reaped here (reaped elsewhere: ECHILD). Returns 0 or negative errno. */
int loop_child_add(struct loop *loop, pid_t pid, loop_child_fn fn, void *arg);

/* Runs until loop_stop(). Returns 0, or negative errno when epoll_wait fails. */
int loop_run(struct loop *loop);
/* Makes loop_run return once the running callback returns; events already collected but
 * not yet dispatched stay pending (level-triggered) for the next loop_run. */
void loop_stop(struct loop *loop);

#endif
