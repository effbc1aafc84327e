/* sse.c — Server-Sent Events framing; see sse.h. Section numbers are those of the WHATWG
 * HTML standard, §9.2.6 "Interpreting an event stream". */
#include "sse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_CAP 256
static const char utf8_bom[3] = { '\xEF', '\xBB', '\xBF' };

void sse_init(struct sse_parser *p)
{
	memset(p, 0, sizeof(*p));
	p->at_start = true;
}

static void forget_event(struct sse_parser *p)
{
	p->data_len = 0;
	p->has_data = false;
	p->event_over = false;
	p->event_bytes = 0;
	p->type[0] = '\0';
}

void sse_reset(struct sse_parser *p)
{
	forget_event(p);
	p->line_len = 0;
	p->line_over = false;
	p->after_cr = false;
	p->at_start = true;
}

void sse_free(struct sse_parser *p)
{
	if (p == NULL)
		return;
	free(p->line);
	free(p->data);
	p->line = p->data = NULL;
	p->line_cap = p->data_cap = 0;
	sse_reset(p);
}

/* Makes room for need bytes (need <= limit) in *buf, doubling. 0 or -ENOMEM. */
static int reserve(char **buf, size_t *cap, size_t need, size_t limit)
{
	size_t cap2 = *cap ? *cap : INITIAL_CAP;
	char *grown;
	if (need <= *cap)
		return 0;
	while (cap2 < need)
		cap2 *= 2;
	if (cap2 > limit)
		cap2 = limit;
	grown = realloc(*buf, cap2);
	if (grown == NULL)
		return -ENOMEM;
	*buf = grown;
	*cap = cap2;
	return 0;
}

/* Appends a piece of the current line, or marks the line over its bound. */
static int line_append(struct sse_parser *p, const char *s, size_t n)
{
	int rc;
	if (n == 0 || p->line_over)
		return 0;
	if (p->line_len + n > SSE_MAX_LINE) {
		p->line_over = true;
		n = SSE_MAX_LINE - p->line_len; /* keep the start: it names the field */
	}
	rc = reserve(&p->line, &p->line_cap, p->line_len + n, SSE_MAX_LINE);
	if (rc < 0)
		return rc;
	memcpy(p->line + p->line_len, s, n);
	p->line_len += n;
	return 0;
}

/* "data" (§9.2.6: append the value, then an LF). A value that was cut, or that does not fit
 * the data bound, is dropped and the event marked truncated. */
static int data_append(struct sse_parser *p, const char *v, size_t n, bool cut)
{
	int rc;
	p->has_data = true;
	if (cut || p->event_over || p->data_len + n + 1 > SSE_MAX_DATA) {
		p->event_over = true;
		return 0;
	}
	rc = reserve(&p->data, &p->data_cap, p->data_len + n + 2, SSE_MAX_DATA + 1);
	if (rc < 0)
		return rc;
	memcpy(p->data + p->data_len, v, n);
	p->data_len += n;
	p->data[p->data_len++] = '\n';
	return 0;
}

static void set_type(struct sse_parser *p, const char *v, size_t n, bool cut)
{
	if (cut || n >= sizeof(p->type)) {
		p->event_over = true;
		n = n < sizeof(p->type) ? n : sizeof(p->type) - 1;
	}
	memcpy(p->type, v, n);
	p->type[n] = '\0';
}

/* A blank line (§9.2.6 "dispatch the event"): an event when data was given, else nothing
 * (a heartbeat when nothing at all was pending). */
static int dispatch(struct sse_parser *p, sse_event_fn fn, void *arg)
{
	struct sse_event ev;
	int rc;
	if (!p->has_data) {
		if (p->type[0] == '\0' && !p->event_over)
			p->heartbeats++;
		forget_event(p);
		return 0;
	}
	if (p->data_len > 0)
		p->data_len--; /* the LF after the last line */
	if (p->data == NULL && reserve(&p->data, &p->data_cap, 1, SSE_MAX_DATA + 1) < 0) {
		forget_event(p);
		return -ENOMEM;
	}
	p->data[p->data_len] = '\0';
	ev.type = p->type[0] != '\0' ? p->type : "message";
	ev.data = p->data;
	ev.data_len = p->data_len;
	ev.truncated = p->event_over;
	p->events++;
	if (ev.truncated)
		p->truncated++;
	rc = fn(arg, &ev);
	forget_event(p);
	return rc;
}

/* One whole line (its end excluded). */
static int process_line(struct sse_parser *p, sse_event_fn fn, void *arg)
{
	const char *line = p->line, *colon, *value;
	size_t len = p->line_len, name_len, value_len;
	bool cut = p->line_over;

	if (p->at_start && len >= sizeof(utf8_bom) && memcmp(line, utf8_bom, 3) == 0) {
		line += sizeof(utf8_bom);
		len -= sizeof(utf8_bom);
	}
	p->at_start = false;
	if (len == 0 && !cut)
		return dispatch(p, fn, arg);
	if (line[0] == ':') {
		p->comments++;
		return 0;
	}
	colon = memchr(line, ':', len);
	name_len = colon != NULL ? (size_t)(colon - line) : len;
	value = colon != NULL ? colon + 1 : line + len;
	value_len = len - (size_t)(value - line);
	if (value_len > 0 && value[0] == ' ') {
		value++;
		value_len--;
	}
	if (name_len == 5 && memcmp(line, "event", 5) == 0)
		set_type(p, value, value_len, cut);
	else if (name_len == 4 && memcmp(line, "data", 4) == 0)
		return data_append(p, value, value_len, cut);
	else if (cut)
		p->event_over = true; /* a cut line whose field we cannot trust */
	/* "id", "retry" and any other field: ignored (§9.2.6 "Otherwise: ignore the field") */
	return 0;
}

static int end_line(struct sse_parser *p, sse_event_fn fn, void *arg)
{
	int rc = process_line(p, fn, arg);
	p->line_len = 0;
	p->line_over = false;
	return rc;
}

int sse_feed(struct sse_parser *p, const char *buf, size_t len, sse_event_fn fn, void *arg)
{
	size_t i = 0;
	while (i < len) {
		size_t start = i;
		int rc;
		if (p->after_cr && buf[i] == '\n') {
			p->after_cr = false; /* the LF of a CRLF: the line already ended */
			i++;
			continue;
		}
		p->after_cr = false;
		while (i < len && buf[i] != '\r' && buf[i] != '\n')
			i++;
		p->event_bytes += i - start + (i < len);
		if (p->event_bytes > SSE_MAX_EVENT) {
			sse_reset(p);
			return -EMSGSIZE;
		}
		rc = line_append(p, buf + start, i - start);
		if (rc == 0 && i < len) {
			p->after_cr = buf[i] == '\r';
			i++;
			rc = end_line(p, fn, arg);
		}
		if (rc == -ENOMEM) {
			p->line_len = 0;
			p->line_over = false;
			forget_event(p);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}
