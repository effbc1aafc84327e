/* log.h — one line per event that matters, to stderr, as text or JSON lines.
 *
 * Text:  2026-11-25T11:30:00.123Z info VI_51: BACKUP -> MASTER: master down (no advert for 361 ms)
 * JSON:  {"ts":"2026-11-25T11:30:00.123Z","level":"info","instance":"VI_51","msg":"..."} */
#ifndef KEEPVIP_LOG_H
#define KEEPVIP_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_format { LOG_FORMAT_TEXT = 0, LOG_FORMAT_JSON };
enum log_level { LOG_LEVEL_ERROR = 0, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_setup(enum log_format format, enum log_level level);

/* Where lines go; 2 (stderr) until changed. Tests point it at a pipe. */
void log_set_fd(int fd);

/* Each line is at most LOG_LINE_MAX bytes with its newline (no more than PIPE_BUF, so one
 * write(2) is atomic on a pipe); a longer message is cut, ending in "...". Control characters
 * in the message are escaped, so one event is always one line; JSON output is valid UTF-8
 * (an invalid byte becomes U+FFFD). */
#define LOG_LINE_MAX 4096

/* scope: an instance name, "adapter", "settings", ... or NULL. */
void log_msg(enum log_level level, const char *scope, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_error(scope, ...) log_msg(LOG_LEVEL_ERROR, scope, __VA_ARGS__)
#define log_warn(scope, ...) log_msg(LOG_LEVEL_WARN, scope, __VA_ARGS__)
#define log_info(scope, ...) log_msg(LOG_LEVEL_INFO, scope, __VA_ARGS__)
#define log_debug(scope, ...) log_msg(LOG_LEVEL_DEBUG, scope, __VA_ARGS__)

/* A token bucket for lines that can flood (rejected adverts): at most burst lines, then one
 * per interval. log_ratelimit_allow() returns true when a line may be written now; the
 * number suppressed since the last allowed line is in *suppressed (may be NULL): on true,
 * the count the caller should mention ("... (12 similar suppressed)"), then reset; on false,
 * the count so far including this one. burst 0 counts as 1; interval 0 never limits. */
struct log_ratelimit {
	uint64_t interval_us;
	unsigned burst;
	unsigned tokens;
	uint64_t last_refill_us;
	unsigned long suppressed;
};

void log_ratelimit_init(struct log_ratelimit *rl, uint64_t interval_us, unsigned burst);
bool log_ratelimit_allow(struct log_ratelimit *rl, uint64_t now_us, unsigned long *suppressed);

#endif
