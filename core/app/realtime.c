/* realtime.c — SCHED_RR and locked memory at start (realtime.h). */
#include "realtime.h"

#include "log.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

/* RLIMIT_RTTIME: CPU time a real-time task may use without a blocking system call. The loop
 * blocks in epoll_wait between events, so a healthy daemon stays far below; a loop that spins
 * gets SIGXCPU at the soft limit and SIGKILL at the hard one instead of freezing every
 * lower-priority task on its core (keepalived sets vrrp_rlimit_rtime for the same reason). */
#define RTTIME_SOFT_US 1000000u
#define RTTIME_HARD_US 2000000u

/* AddressSanitizer turns mlockall into a no-op (its interceptor warns and returns 0): locking
 * its shadow memory would take terabytes. Say so rather than claim memory is locked. */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static int set_rttime_limit(void)
{
	struct rlimit lim = { .rlim_cur = RTTIME_SOFT_US, .rlim_max = RTTIME_HARD_US };
	struct rlimit now;
	if (getrlimit(RLIMIT_RTTIME, &now) == 0 && now.rlim_max != RLIM_INFINITY &&
	    now.rlim_max < lim.rlim_max) {
		lim.rlim_max = now.rlim_max;        /* never raise what we were given */
		if (lim.rlim_cur > lim.rlim_max)
			lim.rlim_cur = lim.rlim_max;
	}
	return setrlimit(RLIMIT_RTTIME, &lim) < 0 ? -errno : 0;
}

int realtime_apply(uint8_t priority)
{
	if (priority == 0)
		return 0;
	int rc = set_rttime_limit();
	if (rc < 0)
		log_warn(NULL, "realtime_priority %u: setrlimit(RLIMIT_RTTIME): %s", priority,
			 strerror(-rc));
	struct sched_param param = { .sched_priority = priority };
	int first = 0;
	if (sched_setscheduler(0, SCHED_RR, &param) < 0) {
		first = -errno;
		log_warn(NULL, "realtime_priority %u: sched_setscheduler(SCHED_RR): %s; running with "
			 "normal scheduling", priority, strerror(errno));
	}
	if (UNDER_ASAN) {
		log_info(NULL, "realtime_priority %u: memory not locked (AddressSanitizer build)",
			 priority);
	} else if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0) {
		int err = errno;
		if (first == 0)
			first = -err;
		log_warn(NULL, "realtime_priority %u: mlockall: %s; memory may be paged out",
			 priority, strerror(err));
	}
	if (first == 0)
		log_info(NULL, "realtime: SCHED_RR priority %u%s", priority,
			 UNDER_ASAN ? "" : ", memory locked");
	return first;
}
