/* fuzz_sse_events.h — for the targets that read Marathon's event stream (fuzz_marathon_sse,
 * fuzz_marathon_parse): what every event the SSE framer delivers must satisfy, and a digest
 * of them, so that the same stream cut two ways can be compared.
 *
 * The including target defines `static void fail(const char *what)` (it aborts) before it
 * includes this header. */
#ifndef KEEPVIP_FUZZ_SSE_EVENTS_H
#define KEEPVIP_FUZZ_SSE_EVENTS_H

#include "marathon_parse.h"
#include "sse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SSE_EVENTS_HASH_START 14695981039346656037u /* FNV-1a offset basis */

struct sse_events {
	size_t n;
	uint64_t hash;      /* of every type and data, in order */
	bool classify;      /* also through marathon_event_classify, as the adapter does */
	struct marathon_event_memory mem;
};

static inline uint64_t sse_events_fnv(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

/* sse_event_fn: checks the event's bounds (and the classifier's answer), adds it to the
 * digest. */
static inline int sse_events_on_event(void *arg, const struct sse_event *ev)
{
	struct sse_events *e = arg;
	size_t type_len = strlen(ev->type);

	if (type_len == 0 || type_len >= SSE_TYPE_LEN || ev->data_len > SSE_MAX_DATA ||
	    ev->data[ev->data_len] != '\0')
		fail("an event out of bounds");
	e->n++;
	e->hash = sse_events_fnv(e->hash, ev->type, type_len + 1);
	e->hash = sse_events_fnv(e->hash, ev->data, ev->data_len + 1);
	e->hash = sse_events_fnv(e->hash, ev->truncated ? "t" : "f", 1);
	if (e->classify) {
		char err[256] = "";
		int rc = marathon_event_classify(&e->mem, "/keepvip", ev->type, ev->data,
						 ev->data_len, ev->truncated, err, sizeof(err));
		if (rc < 0 && err[0] == '\0')
			fail("a classifier error without a message");
		if (rc > MARATHON_EVENT_ATTACHED)
			fail("an action out of range");
	}
	return 0;
}

#endif
