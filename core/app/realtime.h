/* realtime.h — KEEPVIP_REALTIME_PRIORITY: the daemon runs SCHED_RR at that priority with its
 * memory locked, as keepalived's vrrp_rt_priority (plus its mlockall), so that a machine busy
 * with other work (every core loaded by the load balancer it fronts) cannot delay an advert
 * past Skew_Time and make a backup take the VIP (RFC 5798 §6.1 Master_Down_Interval).
 *
 * Applied once, at daemon start; a reload that changes it is logged and waits for the next
 * start. A failure (no CAP_SYS_NICE / CAP_IPC_LOCK, an RLIMIT_RTPRIO or RLIMIT_MEMLOCK too
 * low, a container without the right) is not fatal: the daemon runs on with normal
 * scheduling, and says so once, with the reason, at warn level. Keeping the VIP served with
 * ordinary scheduling beats not serving it at all; the operator who asked sees why not. */
#ifndef KEEPVIP_REALTIME_H
#define KEEPVIP_REALTIME_H

#include <stdint.h>

/* Puts the calling process under SCHED_RR at priority (1..99), with RLIMIT_RTTIME as a
 * safety net against a runaway loop starving the machine, then mlockall(MCL_CURRENT |
 * MCL_FUTURE). priority 0: does nothing. Logs what it did or why it could not (warn). Returns
 * 0 when everything asked for is in place, else the first negative errno. */
int realtime_apply(uint8_t priority);

#endif
