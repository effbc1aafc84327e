/* fuzz_swarm_stream.c — libFuzzer: arbitrary bytes as the Engine's /events stream, read in
 * pieces cut where the input says (fuzz_chunks.h), framed into lines by
 * adapters/swarm/swarm_event_lines.c and each line read by swarm_parse_event, as the adapter
 * does.
 *
 * The lines must not depend on the cuts (the stream fed whole gives the same lines, and the
 * same stop); a line stays within SWARM_MAX_EVENT; an event that fails to parse says why and
 * stops the reading, as the adapter drops the stream then. Nothing may crash, leak or read
 * out of bounds. */
#include "fuzz_chunks.h"
#include "swarm_event_lines.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct lines {
	size_t n, relevant;
	uint64_t hash;
};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_swarm_stream: %s\n", what);
	abort();
}

static int on_line(void *arg, const char *line, size_t len)
{
	struct lines *l = arg;
	struct swarm_event ev;
	char err[256] = "";

	if (len == 0 || len >= SWARM_MAX_EVENT || memchr(line, '\n', len) != NULL)
		fail("a line out of bounds");
	l->n++;
	for (size_t i = 0; i < len; i++)
		l->hash = (l->hash ^ (unsigned char)line[i]) * 1099511628211u;
	l->hash = (l->hash ^ '\n') * 1099511628211u;
	if (swarm_parse_event(line, len, "keepvip", "svc0", &ev, err, sizeof(err)) < 0) {
		if (err[0] == '\0')
			fail("an event error without a message");
		return -EPROTO;
	}
	if (ev.relevant)
		l->relevant++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct swarm_event_lines whole, parts; /* 64 KB each */
	struct lines a = { .hash = 14695981039346656037u };
	struct lines b = { .hash = 14695981039346656037u };
	struct fuzz_chunks cuts;

	if (!fuzz_chunks_init(&cuts, &data, &size))
		return 0;
	swarm_event_lines_reset(&whole);
	swarm_event_lines_reset(&parts);
	int rc_whole = swarm_event_lines_feed(&whole, (const char *)data, size, on_line, &a);
	int rc_parts = 0;
	for (size_t at = 0; at < size && rc_parts == 0;) {
		size_t n = fuzz_chunks_next(&cuts);
		if (n > size - at)
			n = size - at;
		rc_parts = swarm_event_lines_feed(&parts, (const char *)data + at, n, on_line, &b);
		if (parts.len >= SWARM_MAX_EVENT)
			fail("a held line beyond its bound");
		at += n;
	}
	if (rc_whole != rc_parts ||
	    (rc_whole != 0 && rc_whole != -EPROTO && rc_whole != -EMSGSIZE))
		fail("a stop that depends on how the stream was cut");
	if (a.n != b.n || a.hash != b.hash || a.relevant != b.relevant ||
	    (rc_whole == 0 && whole.len != parts.len))
		fail("the lines depend on how the stream was cut");
	return 0;
}
