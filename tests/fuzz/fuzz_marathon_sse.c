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

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_marathon_sse: %s\n", what);
	abort();
}

#include "fuzz_sse_events.h" /* after fail(), which it calls */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_chunks cuts;
	struct sse_parser whole, parts;
	struct sse_events a = { .hash = SSE_EVENTS_HASH_START };
	struct sse_events b = { .hash = SSE_EVENTS_HASH_START, .classify = true };

	if (!fuzz_chunks_init(&cuts, &data, &size))
		return 0;
	sse_init(&whole);
	sse_init(&parts);
	int rc_whole = sse_feed(&whole, (const char *)data, size, sse_events_on_event, &a);
	int rc_parts = 0;
	if (rc_whole != 0 && rc_whole != -EMSGSIZE)
		fail("sse_feed failed on the whole input");
	for (size_t at = 0; at < size && rc_parts == 0;) {
		size_t n = fuzz_chunks_next(&cuts);
		if (n > size - at)
			n = size - at;
		rc_parts = sse_feed(&parts, (const char *)data + at, n, sse_events_on_event, &b);
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
