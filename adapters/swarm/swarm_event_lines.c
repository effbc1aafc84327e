/* swarm_event_lines.c — /events bytes into lines, bounded by SWARM_MAX_EVENT. */
#include "swarm_event_lines.h"

#include <errno.h>

void swarm_event_lines_reset(struct swarm_event_lines *l)
{
	l->len = 0;
}

int swarm_event_lines_feed(struct swarm_event_lines *l, const char *data, size_t len,
			   swarm_event_line_fn fn, void *arg)
{
	for (size_t i = 0; i < len; i++) {
		if (data[i] != '\n') {
			if (l->len + 1 >= sizeof(l->line))
				return -EMSGSIZE;
			l->line[l->len++] = data[i];
			continue;
		}
		size_t n = l->len;
		l->len = 0;
		if (n == 0)
			continue;
		int rc = fn(arg, l->line, n);
		if (rc < 0)
			return rc;
	}
	return 0;
}
