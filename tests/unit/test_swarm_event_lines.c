/* test_swarm_event_lines.c — the /events framing (adapters/swarm/swarm_event_lines.c): lines
 * cut across pieces come out whole, empty lines are not reported, the callback can stop the
 * reading, and a line that reaches SWARM_MAX_EVENT stops it with -EMSGSIZE. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "swarm_event_lines.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct seen {
	char text[256];
	size_t n;
	const char *stop_at; /* a line that makes the callback stop, or NULL */
};

static int on_line(void *arg, const char *line, size_t len)
{
	struct seen *s = arg;
	s->n++;
	strncat(s->text, line, len < 64 ? len : 64);
	strcat(s->text, "|");
	if (s->stop_at != NULL && len == strlen(s->stop_at) && memcmp(line, s->stop_at, len) == 0)
		return -EPROTO;
	return 0;
}

static void test_pieces(void **state)
{
	(void)state;
	static struct swarm_event_lines l;
	struct seen s = { .n = 0 };
	const char *pieces[] = { "{\"a\"", ":1}\n\n{\"b", "\":2}", "\n{\"c\":3}" };

	swarm_event_lines_reset(&l);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(swarm_event_lines_feed(&l, pieces[i], strlen(pieces[i]), on_line,
							&s), 0);
	assert_string_equal(s.text, "{\"a\":1}|{\"b\":2}|");
	assert_int_equal(s.n, 2);
	assert_int_equal(l.len, strlen("{\"c\":3}")); /* held until its end */
	swarm_event_lines_reset(&l);
	assert_int_equal(l.len, 0);
}

static void test_callback_stops(void **state)
{
	(void)state;
	static struct swarm_event_lines l;
	struct seen s = { .stop_at = "bad" };
	const char *text = "ok\nbad\nnever\n";

	swarm_event_lines_reset(&l);
	assert_int_equal(swarm_event_lines_feed(&l, text, strlen(text), on_line, &s), -EPROTO);
	assert_string_equal(s.text, "ok|bad|");
}

static void test_over_long(void **state)
{
	(void)state;
	static struct swarm_event_lines l;
	struct seen s = { .n = 0 };
	size_t big = SWARM_MAX_EVENT;
	char *line = malloc(big);

	assert_non_null(line);
	memset(line, 'x', big);
	swarm_event_lines_reset(&l);
	/* a line of SWARM_MAX_EVENT - 1 bytes fits; one byte more is too long */
	assert_int_equal(swarm_event_lines_feed(&l, line, big - 2, on_line, &s), 0);
	assert_int_equal(swarm_event_lines_feed(&l, line, 2, on_line, &s), -EMSGSIZE);
	assert_int_equal(s.n, 0);
	swarm_event_lines_reset(&l);
	assert_int_equal(swarm_event_lines_feed(&l, "{}\n", 3, on_line, &s), 0);
	assert_string_equal(s.text, "{}|");
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_callback_stops),
		cmocka_unit_test(test_over_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
