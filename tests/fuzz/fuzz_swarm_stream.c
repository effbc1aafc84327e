/* fuzz_swarm_stream.c — libFuzzer: arbitrary bytes as the Engine's /events stream, read in
 * pieces cut where the input says (fuzz_chunks.h), framed into lines by
 * adapters/swarm/swarm_event_lines.c and each line read by swarm_parse_event, as the adapter
 * does.
 *
 * The lines must not depend on the cuts (the stream fed whole gives the same lines); a line
 * stays within SWARM_MAX_EVENT; an event that fails to parse says why. Nothing may crash,
 * leak or read out of bounds. */
#include "fuzz_chunks.h"
#include "swarm_event_lines.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct lines {
	size_t n, over_long, relevant;
	uint64_t hash;
	bool parse;
};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_swarm_stream: %s\n", what);
	abort();
}

static void on_line(void *arg, const char *line, size_t len, bool over_long)
{
	struct lines *l = arg;

	if (len >= SWARM_MAX_EVENT || (len == 0 && !over_long) || memchr(line, '\n', len) != NULL)
		fail("a line out of bounds");
	l->n++;
	if (over_long) {
		l->over_long++;
		return;
	}
	for (size_t i = 0; i < len; i++)
		l->hash = (l->hash ^ (unsigned char)line[i]) * 1099511628211u;
	l->hash = (l->hash ^ '\n') * 1099511628211u;
	if (l->parse) {
		struct swarm_event ev;
		char err[256] = "";
		if (swarm_parse_event(line, len, "keepvip", "svc0", &ev, err, sizeof(err)) < 0) {
			if (err[0] == '\0')
				fail("an event error without a message");
		} else if (ev.relevant) {
			l->relevant++;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct swarm_event_lines whole, parts; /* 64 KB each */
	struct lines a = { .hash = 14695981039346656037u };
	struct lines b = { .hash = 14695981039346656037u, .parse = true };
	struct fuzz_chunks cuts;

	if (!fuzz_chunks_init(&cuts, &data, &size))
		return 0;
	swarm_event_lines_reset(&whole);
	swarm_event_lines_reset(&parts);
	swarm_event_lines_feed(&whole, (const char *)data, size, on_line, &a);
	for (size_t at = 0; at < size;) {
		size_t n = fuzz_chunks_next(&cuts);
		if (n > size - at)
			n = size - at;
		swarm_event_lines_feed(&parts, (const char *)data + at, n, on_line, &b);
		if (parts.len >= SWARM_MAX_EVENT)
			fail("a held line beyond its bound");
		at += n;
	}
	if (a.n != b.n || a.over_long != b.over_long || a.hash != b.hash ||
	    whole.len != parts.len || whole.skip != parts.skip)
		fail("the lines depend on how the stream was cut");
	return 0;
}
