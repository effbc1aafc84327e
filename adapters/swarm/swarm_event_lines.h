/* swarm_event_lines.h — the framing of the Engine's /events stream: one JSON object per line
 * (reference §5), arriving in pieces cut anywhere (pure: bytes in, lines out).
 *
 * Bounded: a line that reaches SWARM_MAX_EVENT bytes without its end stops the reading with
 * -EMSGSIZE (an engine that sends such a line is not one we can follow: the adapter drops
 * the stream and lists instead). */
#ifndef KEEPVIP_SWARM_EVENT_LINES_H
#define KEEPVIP_SWARM_EVENT_LINES_H

#include "swarm_parse.h"

#include <stdbool.h>
#include <stddef.h>

struct swarm_event_lines {
	char line[SWARM_MAX_EVENT];
	size_t len;
};

/* Called once per line (len > 0, without its LF, not NUL-terminated); empty lines are not
 * reported. Return 0 to go on, a negative errno to stop the reading. */
typedef int (*swarm_event_line_fn)(void *arg, const char *line, size_t len);

/* Forgets a partial line (a new connection starts clean). */
void swarm_event_lines_reset(struct swarm_event_lines *l);

/* Reads len bytes, calling fn at each line end; a line without its end stays held. 0 when all
 * were read; fn's negative value, or -EMSGSIZE for a line too long, when it stopped (the rest
 * of the input is unread; reset before feeding again). */
int swarm_event_lines_feed(struct swarm_event_lines *l, const char *data, size_t len,
			   swarm_event_line_fn fn, void *arg);

#endif
