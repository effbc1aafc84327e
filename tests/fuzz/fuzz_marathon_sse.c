/* fuzz_marathon_sse.c — libFuzzer: arbitrary bytes as Marathon's /v2/events stream, read in
 * pieces cut where the input says (fuzz_chunks.h), through the SSE framer
 * (adapters/marathon/sse.c) and the event classifier, as the adapter reads them.
 *
 * The events must not depend on the cuts: the same stream fed whole gives the same events,
 * heartbeats and comments, and stops (-EMSGSIZE, an event over SSE_MAX_EVENT) alike. Each event stays within its bounds, the buffers within theirs;
 * the classifier says why when it fails. Nothing may crash, leak or read out of bounds. */
#include "fuzz_chunks.h"
#include "marathon_parse.h"
#include "sse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct events {
	size_t n;
	uint64_t hash;
	bool classify;
	struct marathon_event_memory mem;
};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_marathon_sse: %s\n", what);
	abort();
}

static uint64_t fnv(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211u;
	return h;
}

static int on_event(void *arg, const struct sse_event *ev)
{
	struct events *e = arg;
	size_t type_len = strlen(ev->type);

	if (type_len == 0 || type_len >= SSE_TYPE_LEN || ev->data_len > SSE_MAX_DATA ||
	    ev->data[ev->data_len] != '\0')
		fail("an event out of bounds");
	e->n++;
	e->hash = fnv(e->hash, ev->type, type_len + 1);
	e->hash = fnv(e->hash, ev->data, ev->data_len + 1);
	e->hash = fnv(e->hash, ev->truncated ? "t" : "f", 1);
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_chunks cuts;
	struct sse_parser whole, parts;
	struct events a = { .hash = 14695981039346656037u };
	struct events b = { .hash = 14695981039346656037u, .classify = true };

	if (!fuzz_chunks_init(&cuts, &data, &size))
		return 0;
	sse_init(&whole);
	sse_init(&parts);
	int rc_whole = sse_feed(&whole, (const char *)data, size, on_event, &a);
	int rc_parts = 0;
	if (rc_whole != 0 && rc_whole != -EMSGSIZE)
		fail("sse_feed failed on the whole input");
	for (size_t at = 0; at < size && rc_parts == 0;) {
		size_t n = fuzz_chunks_next(&cuts);
		if (n > size - at)
			n = size - at;
		rc_parts = sse_feed(&parts, (const char *)data + at, n, on_event, &b);
		if (parts.line_cap > SSE_MAX_LINE || parts.data_cap > SSE_MAX_DATA + 1)
			fail("a buffer beyond its bound");
		at += n;
	}
	if (rc_whole != rc_parts)
		fail("a stop that depends on how the stream was cut");
	if (a.n != b.n || a.hash != b.hash || whole.heartbeats != parts.heartbeats ||
	    whole.comments != parts.comments || whole.truncated != parts.truncated)
		fail("the events depend on how the stream was cut");
	sse_reset(&parts); /* a reconnect: what was partial is forgotten, nothing leaks */
	sse_free(&whole);
	sse_free(&parts);
	return 0;
}
