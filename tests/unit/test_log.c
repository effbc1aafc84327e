/* test_log.c — log line shapes (text and JSON), JSON escaping parsed back with jansson,
 * the level filter, long lines, and the rate limiter. Lines go to a pipe (log_set_fd). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int pipe_fds[2];

static int setup_pipe(void **state)
{
	(void)state;
	if (pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	log_set_fd(pipe_fds[1]);
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	return 0;
}

static int teardown_pipe(void **state)
{
	(void)state;
	log_set_fd(2);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	return 0;
}

/* Everything written since the last call; "" when nothing was. */
static const char *drain(void)
{
	static char buf[65536];
	ssize_t n = read(pipe_fds[0], buf, sizeof(buf) - 1);

	if (n < 0) {
		assert_int_equal(errno, EAGAIN);
		n = 0;
	}
	buf[n] = '\0';
	return buf;
}

static size_t count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* "2026-11-25T11:30:00.123Z", and within a few seconds of now. */
static void assert_timestamp(const char *ts)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	const char *rest = strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm);
	assert_non_null(rest);
	assert_int_equal(rest - ts, 19);
	assert_true(rest[0] == '.' && rest[1] >= '0' && rest[1] <= '9' && rest[2] >= '0' &&
		    rest[2] <= '9' && rest[3] >= '0' && rest[3] <= '9' && rest[4] == 'Z');
	time_t logged = timegm(&tm);
	time_t now = time(NULL);
	assert_true(logged <= now && now - logged <= 5);
}

static void test_text_shape(void **state)
{
	(void)state;
	log_info("VI_51", "BACKUP -> MASTER: master down (no advert for %d ms)", 361);
	const char *line = drain();
	char ts[32];

	assert_true(strlen(line) > 25);
	memcpy(ts, line, 24);
	ts[24] = '\0';
	assert_timestamp(ts);
	assert_string_equal(line + 24,
			    " info VI_51: BACKUP -> MASTER: master down (no advert for 361 ms)\n");

	log_warn(NULL, "no scope");
	line = drain();
	assert_string_equal(line + 24, " warn no scope\n");
	log_error("adapter", "x");
	assert_string_equal(drain() + 24, " error adapter: x\n");
	log_debug("settings", "y");
	assert_string_equal(drain() + 24, " debug settings: y\n");
}

static void test_text_stays_on_one_line(void **state)
{
	(void)state;
	log_info("VI_1", "two\nlines\tand\x01" "bell\x7f");
	const char *line = drain();
	assert_int_equal(count_char(line, '\n'), 1);
	assert_string_equal(line + 24, " info VI_1: two\\nlines\\tand\\u0001bell\\u007f\n");
}

static json_t *parse_line(const char *line)
{
	json_error_t error;
	size_t len = strlen(line);

	assert_true(len > 0 && line[len - 1] == '\n');
	assert_int_equal(count_char(line, '\n'), 1);
	json_t *root = json_loadb(line, len - 1, JSON_REJECT_DUPLICATES, &error);
	if (root == NULL)
		fail_msg("not JSON: %s: %s", error.text, line);
	assert_true(json_is_object(root));
	return root;
}

static void test_json_shape(void **state)
{
	(void)state;
	log_setup(LOG_FORMAT_JSON, LOG_LEVEL_INFO);
	log_info("VI_51", "BACKUP -> MASTER: %s", "master down");
	const char *line = drain();
	assert_memory_equal(line, "{\"ts\":\"", 7);
	json_t *root = parse_line(line);

	assert_int_equal(json_object_size(root), 4);
	assert_timestamp(json_string_value(json_object_get(root, "ts")));
	assert_int_equal(strlen(json_string_value(json_object_get(root, "ts"))), 24);
	assert_string_equal(json_string_value(json_object_get(root, "level")), "info");
	assert_string_equal(json_string_value(json_object_get(root, "instance")), "VI_51");
	assert_string_equal(json_string_value(json_object_get(root, "msg")),
			    "BACKUP -> MASTER: master down");
	json_decref(root);

	log_error(NULL, "no scope");
	root = parse_line(drain());
	assert_int_equal(json_object_size(root), 3);
	assert_null(json_object_get(root, "instance"));
	assert_string_equal(json_string_value(json_object_get(root, "level")), "error");
	json_decref(root);
}

static void test_json_escaping_parses_back(void **state)
{
	(void)state;
	log_setup(LOG_FORMAT_JSON, LOG_LEVEL_DEBUG);
	/* quotes, backslash, every kind of control character, DEL, valid multi-byte UTF-8,
	 * then ill-formed UTF-8: a stray continuation, an overlong '/', a surrogate, a
	 * sequence cut by the end of the string */
	log_debug("VI_\"q\"", "say \"hi\" C:\\path\n\r\t\b\f\x01\x1f\x7f caf\xc3\xa9 \xe2\x82\xac "
		  "\xf0\x9f\x99\x82 | \x80 \xc0\xaf \xed\xa0\x80 \xe2\x82");
	json_t *root = parse_line(drain());

	assert_string_equal(json_string_value(json_object_get(root, "instance")), "VI_\"q\"");
	assert_string_equal(json_string_value(json_object_get(root, "msg")),
			    "say \"hi\" C:\\path\n\r\t\b\f\x01\x1f\x7f caf\xc3\xa9 \xe2\x82\xac "
			    "\xf0\x9f\x99\x82 | \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
			    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd");
	json_decref(root);
}

static void test_level_filter(void **state)
{
	(void)state;
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
	log_debug("VI_1", "debug");
	log_info("VI_1", "info");
	assert_string_equal(drain(), "");
	log_warn("VI_1", "warn");
	assert_string_equal(drain() + 24, " warn VI_1: warn\n");
	log_error("VI_1", "error");
	assert_string_equal(drain() + 24, " error VI_1: error\n");

	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_ERROR);
	log_warn("VI_1", "warn");
	assert_string_equal(drain(), "");
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	log_debug("VI_1", "debug");
	assert_string_equal(drain() + 24, " debug VI_1: debug\n");
}

static void test_long_lines_are_cut_whole(void **state)
{
	static char big[3 * LOG_LINE_MAX];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	log_info("VI_1", "%s", big);
	const char *line = drain();
	size_t len = strlen(line);
	assert_true(len <= LOG_LINE_MAX && len > LOG_LINE_MAX - 16);
	assert_string_equal(line + len - 4, "...\n");

	/* escapes near the cut: never half an escape, still valid JSON */
	memset(big, '"', sizeof(big) - 1);
	log_setup(LOG_FORMAT_JSON, LOG_LEVEL_INFO);
	log_info("VI_1", "%s", big);
	line = drain();
	len = strlen(line);
	assert_true(len <= LOG_LINE_MAX);
	json_t *root = parse_line(line);
	const char *msg = json_string_value(json_object_get(root, "msg"));
	size_t mlen = strlen(msg);
	assert_true(mlen > 1000);
	assert_string_equal(msg + mlen - 3, "...");
	assert_int_equal(count_char(msg, '"'), mlen - 3);
	json_decref(root);
}

static void test_errno_preserved(void **state)
{
	(void)state;
	errno = EADDRNOTAVAIL;
	log_info("VI_1", "failed: %m");
	assert_int_equal(errno, EADDRNOTAVAIL);
	assert_non_null(strstr(drain(), "failed: Cannot assign requested address\n"));
}

static void test_ratelimit_burst_then_suppression_count(void **state)
{
	struct log_ratelimit rl;
	unsigned long suppressed = 99;
	const uint64_t start = 5000000, second = 1000000;

	(void)state;
	log_ratelimit_init(&rl, second, 3);
	for (int i = 0; i < 3; i++) {
		assert_true(log_ratelimit_allow(&rl, start, &suppressed));
		assert_int_equal(suppressed, 0);
	}
	for (unsigned long i = 1; i <= 7; i++) {
		assert_false(log_ratelimit_allow(&rl, start + i * 1000, &suppressed));
		assert_int_equal(suppressed, i);
	}
	/* one interval later: one line, which reports the 7 it stood for */
	assert_true(log_ratelimit_allow(&rl, start + second, &suppressed));
	assert_int_equal(suppressed, 7);
	assert_false(log_ratelimit_allow(&rl, start + second + 1, &suppressed));
	assert_int_equal(suppressed, 1);
	assert_false(log_ratelimit_allow(&rl, start + second + second / 2, NULL));
	/* long quiet: back to the full burst, never more */
	uint64_t later = start + 60 * second;
	assert_true(log_ratelimit_allow(&rl, later, &suppressed));
	assert_int_equal(suppressed, 2);
	assert_true(log_ratelimit_allow(&rl, later, &suppressed));
	assert_int_equal(suppressed, 0);
	assert_true(log_ratelimit_allow(&rl, later, &suppressed));
	assert_false(log_ratelimit_allow(&rl, later, &suppressed));
	assert_int_equal(suppressed, 1);
}

static void test_ratelimit_virtual_clock_from_zero(void **state)
{
	struct log_ratelimit rl;
	unsigned long suppressed;

	(void)state;
	log_ratelimit_init(&rl, 100, 1);
	assert_true(log_ratelimit_allow(&rl, 0, &suppressed));
	assert_false(log_ratelimit_allow(&rl, 50, &suppressed));
	assert_false(log_ratelimit_allow(&rl, 99, &suppressed));
	assert_true(log_ratelimit_allow(&rl, 100, &suppressed));
	assert_int_equal(suppressed, 2);
	/* a full bucket does not bank time: after a line at 250 the next token is due at 350 */
	assert_true(log_ratelimit_allow(&rl, 250, &suppressed));
	assert_false(log_ratelimit_allow(&rl, 300, &suppressed));
	assert_true(log_ratelimit_allow(&rl, 350, &suppressed));
	assert_int_equal(suppressed, 1);
	assert_false(log_ratelimit_allow(&rl, 449, &suppressed));
}

static void test_ratelimit_zero_interval_never_limits(void **state)
{
	struct log_ratelimit rl;
	unsigned long suppressed = 5;

	(void)state;
	log_ratelimit_init(&rl, 0, 0);
	for (int i = 0; i < 100; i++)
		assert_true(log_ratelimit_allow(&rl, 0, &suppressed));
	assert_int_equal(suppressed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_text_shape, setup_pipe, teardown_pipe),
		cmocka_unit_test_setup_teardown(test_text_stays_on_one_line, setup_pipe, teardown_pipe),
		cmocka_unit_test_setup_teardown(test_json_shape, setup_pipe, teardown_pipe),
		cmocka_unit_test_setup_teardown(test_json_escaping_parses_back, setup_pipe, teardown_pipe),
		cmocka_unit_test_setup_teardown(test_level_filter, setup_pipe, teardown_pipe),
		cmocka_unit_test_setup_teardown(test_long_lines_are_cut_whole, setup_pipe, teardown_pipe),
		cmocka_unit_test_setup_teardown(test_errno_preserved, setup_pipe, teardown_pipe),
		cmocka_unit_test(test_ratelimit_burst_then_suppression_count),
		cmocka_unit_test(test_ratelimit_virtual_clock_from_zero),
		cmocka_unit_test(test_ratelimit_zero_interval_never_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
