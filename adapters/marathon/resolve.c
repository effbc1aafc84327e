/* resolve.c — getaddrinfo_a on the loop; see resolve.h for why this way. */
#include "resolve.h"

#include "loop.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct resolve_batch {
	struct loop *loop;
	struct loop_timer poll;
	uint64_t deadline_us;
	resolve_done_fn done;
	void *arg;
	struct addrinfo hints;
	size_t n;
	struct gaicb *cbs;       /* one per name; list[i] points at cbs[i] */
	struct gaicb **list;
	char **names;
	struct resolve_batch *next_parked;
};

/* Batches glibc may still write into (cancelled while in progress): freed once it is done. */
static struct resolve_batch *parked;

static bool batch_pending(const struct resolve_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (gai_error(&b->cbs[i]) == EAI_INPROGRESS)
			return true;
	return false;
}

static void batch_free(struct resolve_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		if (b->cbs[i].ar_result != NULL)
			freeaddrinfo(b->cbs[i].ar_result);
		free(b->names[i]);
	}
	free(b->cbs);
	free(b->list);
	free(b->names);
	free(b);
}

/* Frees the parked batches glibc is done with. */
static void parked_sweep(void)
{
	struct resolve_batch **at = &parked;
	while (*at != NULL) {
		struct resolve_batch *b = *at;
		if (batch_pending(b)) {
			at = &b->next_parked;
			continue;
		}
		*at = b->next_parked;
		batch_free(b);
	}
}

/* Frees b now, or parks it when glibc still works on some of its names. */
static void batch_release(struct resolve_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		if (gai_error(&b->cbs[i]) == EAI_INPROGRESS)
			gai_cancel(&b->cbs[i]); /* EAI_NOTCANCELED when already running: parked */
	if (batch_pending(b)) {
		b->next_parked = parked;
		parked = b;
	} else {
		batch_free(b);
	}
	parked_sweep();
}

static void result_of(const struct gaicb *cb, int rc, struct resolve_result *r)
{
	const struct addrinfo *ai = cb->ar_result;
	r->name = cb->ar_name;
	r->ok = false;
	if (rc == EAI_INPROGRESS) {
		r->error = "timed out";
		return;
	}
	if (rc != 0) {
		r->error = gai_strerror(rc);
		return;
	}
	for (; ai != NULL && !r->ok; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			const struct sockaddr_in *sin = (const void *)ai->ai_addr;
			r->addr.family = AF_INET;
			memcpy(&r->addr.v4, &sin->sin_addr, sizeof(r->addr.v4));
			r->ok = true;
		} else if (ai->ai_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const void *)ai->ai_addr;
			r->addr.family = AF_INET6;
			memcpy(&r->addr.v6, &sin6->sin6_addr, sizeof(r->addr.v6));
			r->ok = true;
		}
	}
	if (!r->ok)
		r->error = "no address of the family";
}

static void on_poll(struct loop *loop, void *arg)
{
	struct resolve_batch *b = arg;
	struct resolve_result *results;

	if (batch_pending(b) && loop_now_us() < b->deadline_us) {
		loop_timer_arm(loop, &b->poll, loop_now_us() + RESOLVE_POLL_MS * 1000u);
		return;
	}
	results = calloc(b->n, sizeof(*results));
	if (results != NULL) {
		for (size_t i = 0; i < b->n; i++)
			result_of(&b->cbs[i], gai_error(&b->cbs[i]), &results[i]);
		b->done(b->arg, results, b->n);
	} else {
		b->done(b->arg, NULL, 0);
	}
	free(results);
	batch_release(b);
}

int resolve_start(struct loop *loop, const char *const *names, size_t n, sa_family_t family,
		  resolve_done_fn done, void *arg, struct resolve_batch **out)
{
	struct resolve_batch *b;
	int rc = 0;

	parked_sweep();
	if (n == 0 || n > RESOLVE_MAX_NAMES)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	b->loop = loop;
	b->done = done;
	b->arg = arg;
	b->hints.ai_family = family;
	b->hints.ai_socktype = SOCK_DGRAM; /* one entry per address */
	b->cbs = calloc(n, sizeof(*b->cbs));
	b->list = calloc(n, sizeof(*b->list));
	b->names = calloc(n, sizeof(*b->names));
	if (b->cbs == NULL || b->list == NULL || b->names == NULL) {
		batch_free(b);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++, b->n++) {
		b->names[i] = strdup(names[i]);
		if (b->names[i] == NULL) {
			batch_free(b);
			return -ENOMEM;
		}
		b->cbs[i].ar_name = b->names[i];
		b->cbs[i].ar_request = &b->hints;
		b->list[i] = &b->cbs[i];
	}
	/* 0 when every name is queued (each one's own error comes through gai_error), else
	 * EAI_AGAIN, EAI_MEMORY or EAI_SYSTEM */
	rc = getaddrinfo_a(GAI_NOWAIT, b->list, (int)n, NULL);
	if (rc != 0) {
		batch_release(b);
		return -EAGAIN;
	}
	loop_timer_init(&b->poll, on_poll, b);
	b->deadline_us = loop_now_us() + RESOLVE_TIMEOUT_MS * 1000ull;
	loop_timer_arm(loop, &b->poll, loop_now_us() + RESOLVE_POLL_MS * 1000u);
	*out = b;
	return 0;
}

void resolve_cancel(struct resolve_batch *b)
{
	if (b == NULL)
		return;
	loop_timer_cancel(b->loop, &b->poll);
	batch_release(b);
}
