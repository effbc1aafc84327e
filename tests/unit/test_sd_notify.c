/* test_sd_notify.c — the systemd notification protocol without libsystemd: a datagram to a
 * path socket and to an abstract "@name" socket arrives whole; no socket means nothing sent;
 * bad names are refused; a full queue does not block; $WATCHDOG_USEC / $WATCHDOG_PID parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sd_notify.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct listener {
	int fd;
	char name[108];  /* as $NOTIFY_SOCKET spells it */
	char dir[64];    /* the temporary directory of a path socket, else "" */
};

/* A datagram socket bound to a path in a fresh directory (abstract: "@keepvip-test-PID"). */
static void listener_open(struct listener *l, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;

	memset(l, 0, sizeof(*l));
	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(l->fd >= 0);
	if (abstract) {
		snprintf(l->name, sizeof(l->name), "@keepvip-test-%d", (int)getpid());
		memcpy(sa.sun_path + 1, l->name + 1, strlen(l->name) - 1);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(l->name));
	} else {
		snprintf(l->dir, sizeof(l->dir), "/tmp/keepvip-notify-XXXXXX");
		assert_non_null(mkdtemp(l->dir));
		snprintf(l->name, sizeof(l->name), "%s/notify", l->dir);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->name);
		len = sizeof(sa);
	}
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sa, len), 0);
}

static void listener_close(struct listener *l)
{
	close(l->fd);
	if (l->dir[0] != '\0') {
		unlink(l->name);
		rmdir(l->dir);
	}
}

/* The next datagram as text, or "" when none is queued. */
static const char *listener_read(struct listener *l, char *buf, size_t len)
{
	ssize_t n = recv(l->fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void test_path_socket(void **state)
{
	(void)state;
	struct listener l;
	char buf[256];

	listener_open(&l, false);
	assert_int_equal(sd_notify_to(l.name, "READY=1\nSTATUS=running"), 1);
	assert_string_equal(listener_read(&l, buf, sizeof(buf)), "READY=1\nSTATUS=running");
	assert_string_equal(listener_read(&l, buf, sizeof(buf)), "");
	listener_close(&l);
}

static void test_abstract_socket(void **state)
{
	(void)state;
	struct listener l;
	char buf[256];

	listener_open(&l, true);
	assert_int_equal(sd_notify_to(l.name, "STOPPING=1"), 1);
	assert_string_equal(listener_read(&l, buf, sizeof(buf)), "STOPPING=1");
	listener_close(&l);
}

static void test_environment(void **state)
{
	(void)state;
	struct listener l;
	char buf[256];

	listener_open(&l, false);
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sd_notify_send("READY=1"), 0);
	assert_string_equal(listener_read(&l, buf, sizeof(buf)), "");
	setenv("NOTIFY_SOCKET", l.name, 1);
	assert_int_equal(sd_notify_send("WATCHDOG=1"), 1);
	assert_string_equal(listener_read(&l, buf, sizeof(buf)), "WATCHDOG=1");
	unsetenv("NOTIFY_SOCKET");
	listener_close(&l);
}

static void test_bad_names(void **state)
{
	(void)state;
	char long_name[200];

	assert_int_equal(sd_notify_to("", "READY=1"), 0);
	assert_int_equal(sd_notify_to(NULL, "READY=1"), 0);
	assert_int_equal(sd_notify_to("relative/path", "READY=1"), -EINVAL);
	assert_int_equal(sd_notify_to("@", "READY=1"), -EINVAL);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[0] = '/';
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(sd_notify_to(long_name, "READY=1"), -EINVAL);
	/* nobody listens there */
	assert_int_equal(sd_notify_to("/nonexistent-keepvip/notify", "READY=1"), -ENOENT);
}

/* A listener that never reads: the sender gets -EAGAIN once the queue is full, never waits. */
static void test_full_queue_does_not_block(void **state)
{
	(void)state;
	struct listener l;
	int rc = 1;

	listener_open(&l, false);
	for (int i = 0; i < 100000 && rc == 1; i++)
		rc = sd_notify_to(l.name, "WATCHDOG=1");
	assert_int_equal(rc, -EAGAIN);
	listener_close(&l);
}

static void test_watchdog_period(void **state)
{
	(void)state;
	assert_int_equal(sd_watchdog_period_us(NULL, NULL, 42), 0);
	assert_int_equal(sd_watchdog_period_us("", NULL, 42), 0);
	assert_int_equal(sd_watchdog_period_us("10000000", NULL, 42), 10000000);
	assert_int_equal(sd_watchdog_period_us("10000000", "", 42), 10000000);
	assert_int_equal(sd_watchdog_period_us("10000000", "42", 42), 10000000);
	assert_int_equal(sd_watchdog_period_us("10000000", "43", 42), 0); /* another process's */
	assert_int_equal(sd_watchdog_period_us("10000000", "x", 42), 0);
	assert_int_equal(sd_watchdog_period_us("-5", NULL, 42), 0);
	assert_int_equal(sd_watchdog_period_us("10s", NULL, 42), 0);
	assert_int_equal(sd_watchdog_period_us("0", NULL, 42), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_socket),
		cmocka_unit_test(test_abstract_socket),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_full_queue_does_not_block),
		cmocka_unit_test(test_watchdog_period),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
