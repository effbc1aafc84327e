/* resolve.h — host names to addresses without blocking the loop (a Marathon task's `host` is
 * the agent's name as registered with Mesos, often a DNS name).
 *
 * Why getaddrinfo_a and a polling loop timer, not a spawned resolver reaped through its
 * pidfd: the answer must honour /etc/nsswitch.conf and /etc/hosts exactly as getaddrinfo does
 * (agents are often named in /etc/hosts), getaddrinfo_a is glibc's own asynchronous form of
 * it (in libc since 2.34, GAI_NOWAIT: the call returns at once, the lookups run off the
 * caller's thread inside glibc), and the addresses come back as structs, with nothing to
 * parse; a spawned `getent` would cost a fork and exec per read and a pipe to parse. The
 * loop never waits: a timer asks gai_error() every RESOLVE_POLL_MS while names are pending
 * (and only then), and gives up on the ones still pending after RESOLVE_TIMEOUT_MS.
 *
 * A batch cancelled (or given up) while glibc still works on it cannot be freed at once:
 * glibc writes into it when the lookup ends. It is parked on a list and freed by a later
 * call once glibc is done with it (it stays reachable until then). */
#ifndef KEEPVIP_MARATHON_RESOLVE_H
#define KEEPVIP_MARATHON_RESOLVE_H

#include "ipaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define RESOLVE_POLL_MS 10u
#define RESOLVE_TIMEOUT_MS 5000u
#define RESOLVE_MAX_NAMES 257    /* every peer and self */

struct loop;
struct resolve_batch;

struct resolve_result {
	const char *name;
	bool ok;                 /* addr holds the first address of the family */
	struct ip_addr addr;
	const char *error;       /* when !ok: gai_strerror's words, or "timed out" */
};

/* Called once, from a loop timer (never from inside resolve_start), with one result per
 * name, in the order given; the batch is freed after it returns. */
typedef void (*resolve_done_fn)(void *arg, const struct resolve_result *results, size_t n);

/* Starts resolving names (copied) for family. 0 and *out, or negative errno. */
int resolve_start(struct loop *loop, const char *const *names, size_t n, sa_family_t family,
		  resolve_done_fn done, void *arg, struct resolve_batch **out);

/* Stops a batch; done is not called. Accepts NULL. */
void resolve_cancel(struct resolve_batch *b);

#endif
