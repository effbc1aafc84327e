/* loop.c — the event loop: epoll for file descriptors, one timerfd for every timer (a binary
 * min-heap ordered by deadline, then arming order), one signalfd, one pidfd per child.
 *
 * Stale events: epoll_wait returns a batch; a callback may remove (or remove and re-add) any
 * fd whose event is still waiting in that batch. Every registration carries a generation in
 * its epoll data; an event whose generation no longer matches the fd's slot is dropped. */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3 /* linux/wait.h; glibc's sys/wait.h does not always define it */
#endif

#define LOOP_EVENT_BATCH 64
#define LOOP_TIMER_HEAP_INITIAL 64
#define LOOP_SIGNAL_READS_PER_TURN 32

struct loop_io {
	loop_io_fn fn;
	void *arg;
	uint32_t generation; /* bumped on every add and remove */
	bool active;
};

struct loop_signal {
	loop_signal_fn fn;
	void *arg;
};

struct loop_child {
	pid_t pid;
	int pidfd;
	loop_child_fn fn;
	void *arg;
	struct loop_child *prev, *next;
};

struct loop {
	int epoll_fd;
	int timer_fd;
	int signal_fd;              /* -1 until the first loop_signal_add */
	bool stopping;

	struct loop_io *ios;        /* indexed by fd */
	size_t n_ios;

	struct loop_timer **heap;   /* min-heap by (deadline_us, arm_seq) */
	size_t heap_len, heap_cap;
	uint64_t next_arm_seq;
	bool timerfd_stale;         /* the heap's top changed since the timerfd was set */

	sigset_t signal_mask;
	struct loop_signal signals[NSIG];

	struct loop_child *children;
};

uint64_t loop_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- file descriptors ---------------------------------------------------------------- */

static uint64_t io_tag(int fd, uint32_t generation)
{
	return ((uint64_t)generation << 32) | (uint32_t)fd;
}

static int io_reserve(struct loop *loop, int fd)
{
	size_t want = (size_t)fd + 1;

	if (want <= loop->n_ios)
		return 0;
	size_t cap = loop->n_ios ? loop->n_ios : 16;
	while (cap < want)
		cap *= 2;
	struct loop_io *grown = realloc(loop->ios, cap * sizeof(*grown));
	if (grown == NULL)
		return -ENOMEM;
	memset(grown + loop->n_ios, 0, (cap - loop->n_ios) * sizeof(*grown));
	loop->ios = grown;
	loop->n_ios = cap;
	return 0;
}

static struct loop_io *io_slot(struct loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->n_ios || !loop->ios[fd].active)
		return NULL;
	return &loop->ios[fd];
}

int loop_io_add(struct loop *loop, int fd, uint32_t events, loop_io_fn fn, void *arg)
{
	if (fd < 0 || fn == NULL)
		return -EINVAL;
	if (io_slot(loop, fd) != NULL)
		return -EEXIST;
	int rc = io_reserve(loop, fd);
	if (rc < 0)
		return rc;

	struct loop_io *io = &loop->ios[fd];
	uint32_t generation = io->generation + 1;
	struct epoll_event ev = { .events = events, .data.u64 = io_tag(fd, generation) };
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	*io = (struct loop_io){ .fn = fn, .arg = arg, .generation = generation, .active = true };
	return 0;
}

int loop_io_modify(struct loop *loop, int fd, uint32_t events)
{
	struct loop_io *io = io_slot(loop, fd);

	if (io == NULL)
		return -ENOENT;
	struct epoll_event ev = { .events = events, .data.u64 = io_tag(fd, io->generation) };
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

void loop_io_remove(struct loop *loop, int fd)
{
	struct loop_io *io = io_slot(loop, fd);

	if (io == NULL)
		return;
	/* EBADF/ENOENT: the owner closed it first; the kernel already dropped it. */
	(void)epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	io->active = false;
	io->generation++;
	io->fn = NULL;
	io->arg = NULL;
}

static void io_dispatch(struct loop *loop, const struct epoll_event *ev)
{
	int fd = (int)(uint32_t)ev->data.u64;
	uint32_t generation = (uint32_t)(ev->data.u64 >> 32);
	struct loop_io *io = io_slot(loop, fd);

	if (io == NULL || io->generation != generation)
		return; /* removed (and maybe re-added) by an earlier callback of this batch */
	io->fn(loop, fd, ev->events, io->arg);
}

/* ---- timers: a binary min-heap on one timerfd ----------------------------------------- */

static bool timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	if (a->deadline_us != b->deadline_us)
		return a->deadline_us < b->deadline_us;
	return a->arm_seq < b->arm_seq;
}

static void heap_place(struct loop *loop, size_t i, struct loop_timer *t)
{
	loop->heap[i] = t;
	t->heap_index = i;
}

static void heap_sift_up(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!timer_before(t, loop->heap[parent]))
			break;
		heap_place(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_place(loop, i, t);
}

static void heap_sift_down(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];

	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= loop->heap_len)
			break;
		if (child + 1 < loop->heap_len && timer_before(loop->heap[child + 1], loop->heap[child]))
			child++;
		if (!timer_before(loop->heap[child], t))
			break;
		heap_place(loop, i, loop->heap[child]);
		i = child;
	}
	heap_place(loop, i, t);
}

static void heap_remove(struct loop *loop, struct loop_timer *t)
{
	size_t i = t->heap_index;
	struct loop_timer *last = loop->heap[--loop->heap_len];

	t->heap_index = SIZE_MAX;
	if (i == 0)
		loop->timerfd_stale = true;
	if (last == t)
		return;
	heap_place(loop, i, last);
	heap_sift_up(loop, i);
	heap_sift_down(loop, last->heap_index);
}

static int heap_reserve_one(struct loop *loop)
{
	if (loop->heap_len < loop->heap_cap)
		return 0;
	size_t cap = loop->heap_cap ? loop->heap_cap * 2 : LOOP_TIMER_HEAP_INITIAL;
	struct loop_timer **grown = realloc(loop->heap, cap * sizeof(*grown));
	if (grown == NULL)
		return -ENOMEM;
	loop->heap = grown;
	loop->heap_cap = cap;
	return 0;
}

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg)
{
	*t = (struct loop_timer){ .fn = fn, .arg = arg, .heap_index = SIZE_MAX };
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return t->heap_index != SIZE_MAX;
}

void loop_timer_cancel(struct loop *loop, struct loop_timer *t)
{
	if (loop_timer_armed(t))
		heap_remove(loop, t);
}

int loop_timer_arm(struct loop *loop, struct loop_timer *t, uint64_t deadline_us)
{
	loop_timer_cancel(loop, t);
	int rc = heap_reserve_one(loop);
	if (rc < 0)
		return rc;
	t->deadline_us = deadline_us;
	t->arm_seq = loop->next_arm_seq++;
	size_t i = loop->heap_len++;
	heap_place(loop, i, t);
	heap_sift_up(loop, i);
	if (t->heap_index == 0)
		loop->timerfd_stale = true;
	return 0;
}

/* Sets the timerfd to the earliest deadline, to the microsecond, as an absolute
 * CLOCK_MONOTONIC time (the clock loop_now_us reads), or disarms it. */
static int timerfd_program(struct loop *loop)
{
	struct itimerspec its = { 0 };

	if (loop->heap_len > 0) {
		uint64_t deadline = loop->heap[0]->deadline_us;
		its.it_value.tv_sec = (time_t)(deadline / 1000000u);
		its.it_value.tv_nsec = (long)(deadline % 1000000u) * 1000;
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1; /* zero would disarm; any past time fires at once */
	}
	if (timerfd_settime(loop->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		return -errno;
	loop->timerfd_stale = false;
	return 0;
}

/* Fires every timer due now, earliest first. A timer armed by one of these callbacks for a
 * time already past waits for the next turn, so a callback re-arming itself at "now" cannot
 * starve file descriptors. */
static void timers_fire_due(struct loop *loop)
{
	uint64_t now = loop_now_us();
	uint64_t armed_before_pass = loop->next_arm_seq;

	while (loop->heap_len > 0 && !loop->stopping) {
		struct loop_timer *t = loop->heap[0];
		if (t->deadline_us > now || t->arm_seq >= armed_before_pass)
			break;
		heap_remove(loop, t);
		t->fn(loop, t->arg);
	}
}

static void on_timerfd(struct loop *loop, int fd, uint32_t events, void *arg)
{
	uint64_t expirations;

	(void)events;
	(void)arg;
	/* EAGAIN: re-programmed after it fired; the heap is checked anyway. */
	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN && errno != EINTR)
		return;
	loop->timerfd_stale = true;
	timers_fire_due(loop);
}

/* ---- signals --------------------------------------------------------------------------- */

static void on_signalfd(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct signalfd_siginfo info;

	(void)events;
	(void)arg;
	for (int i = 0; i < LOOP_SIGNAL_READS_PER_TURN && !loop->stopping; i++) {
		if (read(fd, &info, sizeof(info)) != (ssize_t)sizeof(info))
			return; /* EAGAIN: drained */
		int signo = (int)info.ssi_signo;
		if (signo <= 0 || signo >= NSIG || loop->signals[signo].fn == NULL)
			continue;
		loop->signals[signo].fn(loop, signo, loop->signals[signo].arg);
	}
}

int loop_signal_add(struct loop *loop, int signo, loop_signal_fn fn, void *arg)
{
	if (signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP || fn == NULL)
		return -EINVAL;
	if (loop->signals[signo].fn != NULL)
		return -EEXIST;

	sigset_t one, before, mask = loop->signal_mask;
	int rc;
	sigemptyset(&one);
	sigaddset(&one, signo);
	sigaddset(&mask, signo);
	if (sigprocmask(SIG_BLOCK, &one, &before) < 0)
		return -errno;
	int fd = signalfd(loop->signal_fd, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto restore_mask;
	}
	if (loop->signal_fd < 0) {
		rc = loop_io_add(loop, fd, EPOLLIN, on_signalfd, NULL);
		if (rc < 0) {
			close(fd);
			goto restore_mask;
		}
		loop->signal_fd = fd;
	}
	loop->signal_mask = mask;
	loop->signals[signo] = (struct loop_signal){ .fn = fn, .arg = arg };
	return 0;
restore_mask:
	sigprocmask(SIG_SETMASK, &before, NULL);
	return rc;
}

/* ---- children -------------------------------------------------------------------------- */

static void child_unlink(struct loop *loop, struct loop_child *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		loop->children = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
}

/* Builds the waitpid-style status from waitid's siginfo. */
static int wait_status_from(const siginfo_t *info)
{
	switch (info->si_code) {
	case CLD_EXITED:
		return (info->si_status & 0xff) << 8;
	case CLD_DUMPED:
		return (info->si_status & 0x7f) | 0x80;
	default: /* CLD_KILLED */
		return info->si_status & 0x7f;
	}
}

/* Reaps the child behind pidfd fd. Returns 1 with *status when reaped, 0 when it has not
 * exited yet, or negative errno (-ECHILD: reaped by someone else). */
static int child_reap(const struct loop_child *c, int *status)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	if (waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &info, WEXITED | WNOHANG) < 0) {
		if (errno != EINVAL) /* EINVAL: a kernel without P_PIDFD (< 5.4) */
			return -errno;
		if (waitid(P_PID, (id_t)c->pid, &info, WEXITED | WNOHANG) < 0)
			return -errno;
	}
	if (info.si_pid == 0)
		return 0;
	*status = wait_status_from(&info);
	return 1;
}

static void on_pidfd(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct loop_child *c = arg;
	int status = -1;

	(void)events;
	int rc = child_reap(c, &status);
	if (rc == 0 || rc == -EINTR)
		return;

	loop_child_fn fn = c->fn;
	void *fn_arg = c->arg;
	pid_t pid = c->pid;
	loop_io_remove(loop, fd);
	close(fd);
	child_unlink(loop, c);
	free(c);
	fn(loop, pid, status, fn_arg);
}

int loop_child_add(struct loop *loop, pid_t pid, loop_child_fn fn, void *arg)
{
	if (pid <= 0 || fn == NULL)
		return -EINVAL;
	struct loop_child *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		int rc = -errno;
		free(c);
		return rc;
	}
	*c = (struct loop_child){ .pid = pid, .pidfd = fd, .fn = fn, .arg = arg };
	int rc = loop_io_add(loop, fd, EPOLLIN, on_pidfd, c);
	if (rc < 0) {
		close(fd);
		free(c);
		return rc;
	}
	c->next = loop->children;
	if (c->next != NULL)
		c->next->prev = c;
	loop->children = c;
	return 0;
}

/* ---- lifetime and running -------------------------------------------------------------- */

int loop_new(struct loop **out)
{
	struct loop *loop = calloc(1, sizeof(*loop));
	int rc;

	*out = NULL;
	if (loop == NULL)
		return -ENOMEM;
	loop->timer_fd = -1;
	loop->signal_fd = -1;
	sigemptyset(&loop->signal_mask);
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epoll_fd < 0) {
		rc = -errno;
		goto fail;
	}
	loop->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (loop->timer_fd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = heap_reserve_one(loop);
	if (rc < 0)
		goto fail;
	rc = loop_io_add(loop, loop->timer_fd, EPOLLIN, on_timerfd, NULL);
	if (rc < 0)
		goto fail;
	*out = loop;
	return 0;
fail:
	loop_free(loop);
	return rc;
}

void loop_free(struct loop *loop)
{
	if (loop == NULL)
		return;
	for (size_t i = 0; i < loop->heap_len; i++)
		loop->heap[i]->heap_index = SIZE_MAX;
	while (loop->children != NULL) {
		struct loop_child *c = loop->children;
		loop->children = c->next;
		close(c->pidfd);
		free(c);
	}
	if (loop->signal_fd >= 0)
		close(loop->signal_fd);
	if (loop->timer_fd >= 0)
		close(loop->timer_fd);
	if (loop->epoll_fd >= 0)
		close(loop->epoll_fd);
	free(loop->heap);
	free(loop->ios);
	free(loop);
}

void loop_stop(struct loop *loop)
{
	loop->stopping = true;
}

int loop_run(struct loop *loop)
{
	struct epoll_event events[LOOP_EVENT_BATCH];

	loop->stopping = false;
	while (!loop->stopping) {
		if (loop->timerfd_stale) {
			int rc = timerfd_program(loop);
			if (rc < 0)
				return rc;
		}
		int n = epoll_wait(loop->epoll_fd, events, LOOP_EVENT_BATCH, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !loop->stopping; i++)
			io_dispatch(loop, &events[i]);
	}
	return 0;
}
