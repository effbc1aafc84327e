/* sse.h — an incremental Server-Sent Events framer: bytes in, whole events out.
 *
 * Pure: no I/O, no clock. Feed it whatever each read returned, in order; it calls back once
 * per complete event. Framing per the WHATWG HTML "Server-sent events" parsing rules
 * (§9.2.6 "Interpreting an event stream"), which Marathon's Jetty EventSourceServlet
 * follows (../shared/reference/marathon-api.md §3):
 *   - a line ends with CRLF, LF or a lone CR (a CRLF split across two reads is one end);
 *   - "field: value" (one space after the colon dropped), "field" alone = empty value;
 *   - "event" sets the type, "data" appends a line (lines joined with LF), "id" and "retry"
 *     are read and ignored (Marathon sends none and has no Last-Event-ID), unknown fields
 *     are ignored; a line starting with ':' is a comment;
 *   - a blank line dispatches the event when some data was given; a blank line with no data
 *     (Marathon's 10 s heartbeat, a bare CRLF) dispatches nothing and counts as a heartbeat;
 *   - a UTF-8 BOM at the very start is dropped;
 *   - an event that has not ended when the stream ends is not dispatched (sse_reset).
 *
 * Bounded: a line longer than SSE_MAX_LINE or data longer than SSE_MAX_DATA is not kept;
 * the event is still dispatched at its blank line, with truncated set and what data fitted,
 * so the reader stays in step and may act on the type alone (e.g. refetch). Memory grows
 * with the longest line and event seen, up to those bounds, and never beyond. An event that
 * has not ended after SSE_MAX_EVENT bytes (a line that never ends, data lines without the
 * blank line) is an error: the reader cannot stay in step with a stream that never
 * dispatches, and every byte re-arms its idle bound. */
#ifndef KEEPVIP_SSE_H
#define KEEPVIP_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SSE_MAX_LINE ((size_t)64 << 10)  /* deployment events carry the plan on one line */
#define SSE_MAX_DATA ((size_t)256 << 10)
#define SSE_MAX_EVENT ((size_t)4 << 20) /* the bytes of one event, its lines' ends included */
#define SSE_TYPE_LEN 64                  /* longer event types are truncated (flagged) */

struct sse_event {
	const char *type;   /* the "event" field, "message" when none was given */
	const char *data;   /* the data lines joined with LF, NUL-terminated */
	size_t data_len;
	bool truncated;     /* a line, the data or the type went over its bound */
};

/* Called once per event, from inside sse_feed; ev is valid during the call only. Return 0 to
 * go on, anything else to stop: sse_feed then returns that value at once, leaving the rest
 * of its input unread (call sse_reset before feeding again). */
typedef int (*sse_event_fn)(void *arg, const struct sse_event *ev);

struct sse_parser {
	char *line;            /* the line being read (without its end) */
	size_t line_len, line_cap;
	bool line_over;        /* the line went over SSE_MAX_LINE: the rest is dropped */
	char *data;            /* the event's data so far, each line followed by LF */
	size_t data_len, data_cap;
	bool has_data;         /* a data field was seen (data may still be empty) */
	bool event_over;       /* something of this event was dropped */
	size_t event_bytes;    /* read since the last blank line */
	char type[SSE_TYPE_LEN];
	bool after_cr;         /* the last byte was a CR: an LF right after it ends nothing */
	bool at_start;         /* nothing read yet since init/reset (BOM check) */
	/* Tallies since sse_init, for status and tests. */
	uint64_t events, heartbeats, comments, truncated;
};

/* A parser that holds nothing yet (no allocation). */
void sse_init(struct sse_parser *p);

/* Reads len bytes. 0 when all were read; the callback's nonzero value when it stopped;
 * -ENOMEM when a buffer could not grow (the event in progress is dropped; the parser stays
 * usable); -EMSGSIZE when the event in progress went past SSE_MAX_EVENT bytes (dropped, the
 * rest of the input unread: the stream cannot be followed, sse_reset before a new one). */
int sse_feed(struct sse_parser *p, const char *buf, size_t len, sse_event_fn fn, void *arg);

/* Forgets a partial line and event (a new connection starts clean); keeps the tallies and
 * the buffers. */
void sse_reset(struct sse_parser *p);

/* Frees the buffers; accepts NULL. The parser may be sse_init'ed again. */
void sse_free(struct sse_parser *p);

#endif
