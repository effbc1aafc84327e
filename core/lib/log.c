/* log.c — one line per event, as text or JSON lines, written with one write(2).
 *
 * A line is built whole in a buffer of LOG_LINE_MAX bytes (== PIPE_BUF on Linux, so the
 * write is atomic on a pipe and lines from several processes never interleave). The message
 * is escaped unit by unit; a unit that does not fit ends the message with "...".
 * JSON strings follow RFC 8259 §7: '"', '\\' and U+0000..U+001F are escaped, and the output
 * is valid UTF-8 (RFC 8259 §8.1): an invalid byte becomes the escape \ufffd. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Room kept at the end of a line for the trailer: "...\"}\n". */
#define LOG_TRAILER_ROOM 8
#define LOG_TIMESTAMP_LEN 32

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static struct {
	enum log_format format;
	enum log_level level;
	int fd;
} log_config = { .format = LOG_FORMAT_TEXT, .level = LOG_LEVEL_INFO, .fd = 2 };

void log_setup(enum log_format format, enum log_level level)
{
	log_config.format = format;
	log_config.level = level;
}

void log_set_fd(int fd)
{
	log_config.fd = fd;
}

/* ---- the line buffer ------------------------------------------------------------------- */

struct line {
	char data[LOG_LINE_MAX];
	size_t len;
	bool cut; /* a unit did not fit: the rest of the message was dropped */
};

/* Appends n bytes, all or nothing, keeping LOG_TRAILER_ROOM free. */
static bool line_put(struct line *l, const char *s, size_t n)
{
	if (l->cut || l->len + n > sizeof(l->data) - LOG_TRAILER_ROOM) {
		l->cut = true;
		return false;
	}
	memcpy(l->data + l->len, s, n);
	l->len += n;
	return true;
}

static bool line_puts(struct line *l, const char *s)
{
	return line_put(l, s, strlen(s));
}

/* The trailer always fits: line_put kept room for it. */
static void line_finish(struct line *l, const char *trailer)
{
	if (l->cut) {
		memcpy(l->data + l->len, "...", 3);
		l->len += 3;
	}
	size_t n = strlen(trailer);
	memcpy(l->data + l->len, trailer, n);
	l->len += n;
}

/* ---- escaping -------------------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629 §4), or 0 when ill-formed:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_sequence_len(const unsigned char *s, size_t avail)
{
	unsigned char lead = s[0];
	size_t len;
	unsigned char second_min = 0x80, second_max = 0xbf;

	if (lead < 0x80)
		return 1;
	if (lead >= 0xc2 && lead <= 0xdf)
		len = 2;
	else if (lead >= 0xe0 && lead <= 0xef)
		len = 3;
	else if (lead >= 0xf0 && lead <= 0xf4)
		len = 4;
	else
		return 0;
	if (lead == 0xe0)
		second_min = 0xa0;
	else if (lead == 0xed)
		second_max = 0x9f;
	else if (lead == 0xf0)
		second_min = 0x90;
	else if (lead == 0xf4)
		second_max = 0x8f;

	if (avail < len || s[1] < second_min || s[1] > second_max)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* One control character as an escape both formats can show on one line. */
static void control_escape(unsigned char c, char out[8])
{
	switch (c) {
	case '\b': strcpy(out, "\\b"); break;
	case '\f': strcpy(out, "\\f"); break;
	case '\n': strcpy(out, "\\n"); break;
	case '\r': strcpy(out, "\\r"); break;
	case '\t': strcpy(out, "\\t"); break;
	default: snprintf(out, 8, "\\u%04x", c); break;
	}
}

/* Text: control characters are escaped so the event stays on one line; other bytes pass. */
static void put_text(struct line *l, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];

	for (; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			control_escape(*p, esc);
			if (!line_puts(l, esc))
				return;
		} else if (!line_put(l, (const char *)p, 1)) {
			return;
		}
	}
}

/* JSON string contents (RFC 8259 §7). */
static void put_json_string(struct line *l, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	char esc[8];

	while (left > 0) {
		size_t n = 1;
		bool ok;
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			ok = line_put(l, esc, 2);
		} else if (*p < 0x20) {
			control_escape(*p, esc);
			ok = line_puts(l, esc);
		} else if ((n = utf8_sequence_len(p, left)) == 0) {
			n = 1;
			ok = line_puts(l, "\\ufffd");
		} else {
			ok = line_put(l, (const char *)p, n);
		}
		if (!ok)
			return;
		p += n;
		left -= n;
	}
}

/* ---- lines ----------------------------------------------------------------------------- */

/* UTC wall clock with milliseconds: 2026-11-25T11:30:00.123Z */
static void format_timestamp(char out[LOG_TIMESTAMP_LEN])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, LOG_TIMESTAMP_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, LOG_TIMESTAMP_LEN - n, ".%03ldZ", ts.tv_nsec / 1000000L);
}

static void build_text(struct line *l, const char *ts, const char *level, const char *scope,
		       const char *msg)
{
	line_puts(l, ts);
	line_puts(l, " ");
	line_puts(l, level);
	line_puts(l, " ");
	if (scope != NULL) {
		put_text(l, scope);
		line_puts(l, ": ");
	}
	put_text(l, msg);
	line_finish(l, "\n");
}

static void build_json(struct line *l, const char *ts, const char *level, const char *scope,
		       const char *msg)
{
	line_puts(l, "{\"ts\":\"");
	line_puts(l, ts);
	line_puts(l, "\",\"level\":\"");
	line_puts(l, level);
	if (scope != NULL) {
		line_puts(l, "\",\"instance\":\"");
		put_json_string(l, scope);
	}
	line_puts(l, "\",\"msg\":\"");
	put_json_string(l, msg);
	line_finish(l, "\"}\n");
}

static void write_line(const struct line *l)
{
	ssize_t n;

	do
		n = write(log_config.fd, l->data, l->len);
	while (n < 0 && errno == EINTR);
}

void log_msg(enum log_level level, const char *scope, const char *fmt, ...)
{
	int saved_errno = errno; /* callers log, then return -errno; %m still works */
	char msg[LOG_LINE_MAX];
	char ts[LOG_TIMESTAMP_LEN];
	struct line l;
	va_list ap;

	if (level > log_config.level || (unsigned)level > LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		snprintf(msg, sizeof(msg), "(unformattable message: %s)", fmt);
	/* A message vsnprintf had to cut is LOG_LINE_MAX - 1 bytes: with the timestamp in front
	 * it never fits the line, so the line shows the cut with "..." as any long one does. */

	format_timestamp(ts);
	l.len = 0;
	l.cut = false;
	if (log_config.format == LOG_FORMAT_JSON)
		build_json(&l, ts, level_names[level], scope, msg);
	else
		build_text(&l, ts, level_names[level], scope, msg);
	write_line(&l);
	errno = saved_errno;
}

/* ---- rate limiting --------------------------------------------------------------------- */

void log_ratelimit_init(struct log_ratelimit *rl, uint64_t interval_us, unsigned burst)
{
	*rl = (struct log_ratelimit){
		.interval_us = interval_us,
		.burst = burst > 0 ? burst : 1,
		.tokens = burst > 0 ? burst : 1,
		.last_refill_us = 0,
		.suppressed = 0,
	};
}

/* One token per whole interval since the last refill, up to burst. */
static void ratelimit_refill(struct log_ratelimit *rl, uint64_t now_us)
{
	if (now_us < rl->last_refill_us) {
		rl->last_refill_us = now_us; /* a clock that went back: start again from here */
		return;
	}
	uint64_t intervals = (now_us - rl->last_refill_us) / rl->interval_us;
	if (intervals == 0)
		return;
	if (intervals >= rl->burst - rl->tokens) {
		rl->tokens = rl->burst;
		rl->last_refill_us = now_us;
	} else {
		rl->tokens += (unsigned)intervals;
		rl->last_refill_us += intervals * rl->interval_us;
	}
}

bool log_ratelimit_allow(struct log_ratelimit *rl, uint64_t now_us, unsigned long *suppressed)
{
	if (rl->interval_us > 0) {
		ratelimit_refill(rl, now_us);
		if (rl->tokens == 0) {
			rl->suppressed++;
			if (suppressed != NULL)
				*suppressed = rl->suppressed;
			return false;
		}
		rl->tokens--;
	}
	if (suppressed != NULL)
		*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}
