/* test_status_server.c — the status server on a real loop, on loopback with an ephemeral
 * port: each endpoint's code, content type and body, 404/405, HEAD, a stalled client that
 * does not hold up the others, IPv6, bind errors, and `keepvip status` (status_client_run,
 * in a child process, since it blocks) against the live server. Requests are written by hand
 * on a plain socket driven by the same loop, so the test sees the raw response. */
#include "instance.h"
#include "loop.h"
#include "status_client.h"
#include "status_render.h"
#include "status_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define TEST_TIMEOUT_US (5u * 1000u * 1000u)
#define RESPONSE_MAX 65536

struct fixture {
	struct loop *loop;
	struct status_server *server;
	struct instance *inst;
	struct instance_settings cfg; /* what inst->cfg points to */
	struct status_view view;
	bool no_view;        /* get_view returns NULL */
	unsigned view_calls;
	char addr[64];       /* "127.0.0.1:PORT" */
};

static const struct status_view *get_view(void *arg)
{
	struct fixture *f = arg;
	f->view_calls++;
	return f->no_view ? NULL : &f->view;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[STATUS_ERR_LEN] = "";

	assert_non_null(f);
	assert_int_equal(loop_new(&f->loop), 0);
	f->inst = calloc(1, sizeof(*f->inst));
	assert_non_null(f->inst);
	f->inst->cfg = &f->cfg;
	snprintf(f->cfg.name, sizeof(f->cfg.name), "VI_51");
	f->cfg.vrid = 51;
	f->cfg.version = 3;
	f->cfg.family = AF_INET;
	f->cfg.priority = 150;
	f->inst->fsm.state = VRRP_STATE_MASTER;
	f->inst->fsm.cfg.priority = 150;
	assert_int_equal(ip_addr_parse("10.0.0.11", &f->inst->fsm.cfg.primary), 0);
	f->inst->counters.adverts_sent = 42;
	f->view = (struct status_view){ .instances = &f->inst, .n_instances = 1,
					.adapter_name = "static", .ready = true,
					.started_unix_ms = 1764070212000LL, .version = "0.1.0" };
	int rc = status_server_start(f->loop, "127.0.0.1:0", get_view, f, &f->server, err,
				     sizeof(err));
	if (rc != 0)
		fail_msg("status_server_start: %d: %s", rc, err);
	assert_int_not_equal(status_server_port(f->server), 0);
	snprintf(f->addr, sizeof(f->addr), "127.0.0.1:%u", status_server_port(f->server));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	status_server_free(f->server);
	loop_free(f->loop);
	free(f->inst);
	free(f);
	return 0;
}

/* ---- a raw HTTP client on the loop ---- */

struct raw_client {
	struct loop *loop;
	int fd;
	const char *request;
	size_t sent;
	char response[RESPONSE_MAX];
	size_t len;
	bool done;
	bool timed_out;
	struct loop_timer timeout;
};

static void client_finish(struct raw_client *c)
{
	loop_io_remove(c->loop, c->fd);
	close(c->fd);
	c->fd = -1;
	c->done = true;
	loop_timer_cancel(c->loop, &c->timeout);
	loop_stop(c->loop);
}

static void on_client_io(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct raw_client *c = arg;

	if ((events & EPOLLOUT) && c->request[c->sent] != '\0') {
		ssize_t n = send(fd, c->request + c->sent, strlen(c->request + c->sent),
				 MSG_NOSIGNAL);
		assert_true(n > 0);
		c->sent += (size_t)n;
		if (c->request[c->sent] == '\0')
			assert_int_equal(loop_io_modify(loop, fd, EPOLLIN), 0);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = recv(fd, c->response + c->len, sizeof(c->response) - 1 - c->len, 0);
		if (n > 0) {
			c->len += (size_t)n;
			c->response[c->len] = '\0';
			return;
		}
		client_finish(c);
	}
}

static void on_client_timeout(struct loop *loop, void *arg)
{
	struct raw_client *c = arg;
	c->timed_out = true;
	loop_stop(loop);
}

static int connect_sa(const void *sa, socklen_t len)
{
	int fd = socket(((const struct sockaddr *)sa)->sa_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	int rc = connect(fd, sa, len);
	assert_true(rc == 0 || errno == EINPROGRESS);
	return fd;
}

static int connect_to(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	return connect_sa(&sa, sizeof(sa));
}

/* Sends request on fd (connecting), runs the loop until the server closes the connection;
 * the response is in c->response. */
static void raw_exchange_on(struct fixture *f, struct raw_client *c, int fd,
			    const char *request)
{
	memset(c, 0, sizeof(*c));
	c->loop = f->loop;
	c->request = request;
	c->fd = fd;
	loop_timer_init(&c->timeout, on_client_timeout, c);
	assert_int_equal(loop_timer_arm(f->loop, &c->timeout, loop_now_us() + TEST_TIMEOUT_US), 0);
	assert_int_equal(loop_io_add(f->loop, c->fd, EPOLLOUT | EPOLLIN, on_client_io, c), 0);
	assert_int_equal(loop_run(f->loop), 0);
	if (c->timed_out)
		fail_msg("no complete answer to: %s", request);
	assert_true(c->done);
}

static void raw_exchange(struct fixture *f, struct raw_client *c, const char *request)
{
	raw_exchange_on(f, c, connect_to(status_server_port(f->server)), request);
}

struct answer {
	int code;
	char content_type[128];
	char allow[64];
	const char *body;
};

static void header_value(const char *head_end, const char *resp, const char *name, char *out,
			 size_t len)
{
	out[0] = '\0';
	for (const char *p = strstr(resp, "\r\n"); p != NULL && p < head_end;
	     p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, name, strlen(name)) == 0 && p[2 + strlen(name)] == ':') {
			const char *v = p + 2 + strlen(name) + 1;
			v += strspn(v, " ");
			snprintf(out, len, "%.*s", (int)strcspn(v, "\r"), v);
			return;
		}
	}
}

static struct answer parse_answer(struct raw_client *c)
{
	struct answer a = { 0 };
	const char *head_end = strstr(c->response, "\r\n\r\n");
	if (head_end == NULL || sscanf(c->response, "HTTP/1.%*d %d", &a.code) != 1)
		fail_msg("not an HTTP response: %s", c->response);
	header_value(head_end, c->response, "Content-Type", a.content_type,
		     sizeof(a.content_type));
	header_value(head_end, c->response, "Allow", a.allow, sizeof(a.allow));
	a.body = head_end + 4;
	return a;
}

static struct answer request(struct fixture *f, struct raw_client *c, const char *method,
			     const char *path)
{
	static char text[256];
	snprintf(text, sizeof(text),
		 "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", method, path);
	raw_exchange(f, c, text);
	return parse_answer(c);
}

/* ---- endpoints ---- */

static void test_healthz(void **state)
{
	struct fixture *f = *state;
	struct raw_client c;
	struct answer a = request(f, &c, "GET", "/healthz");

	assert_int_equal(a.code, 200);
	assert_string_equal(a.content_type, "text/plain; charset=utf-8");
	assert_string_equal(a.body, "ok\n");
}

static void test_readyz_follows_the_view(void **state)
{
	struct fixture *f = *state;
	struct raw_client c;

	struct answer a = request(f, &c, "GET", "/readyz");
	assert_int_equal(a.code, 200);
	assert_string_equal(a.body, "ready\n");

	f->view.ready = false;
	a = request(f, &c, "GET", "/readyz");
	assert_int_equal(a.code, 503);
	assert_string_equal(a.body, "not ready\n");

	f->no_view = true;
	a = request(f, &c, "GET", "/readyz");
	assert_int_equal(a.code, 503);
}

static void test_status_is_the_rendered_json(void **state)
{
	struct fixture *f = *state;
	struct raw_client c;
	struct answer a = request(f, &c, "GET", "/status?pretty=1"); /* query ignored */

	assert_int_equal(a.code, 200);
	assert_string_equal(a.content_type, STATUS_JSON_CONTENT_TYPE);
	json_error_t err;
	json_t *root = json_loads(a.body, 0, &err);
	if (root == NULL)
		fail_msg("/status is not JSON: %s", err.text);
	const json_t *inst = json_array_get(json_object_get(root, "instances"), 0);
	assert_string_equal(json_string_value(json_object_get(inst, "name")), "VI_51");
	assert_string_equal(json_string_value(json_object_get(inst, "state")), "MASTER");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(inst, "counters"),
							    "adverts_sent")),
			 42);
	/* rendered now, from the view of this request */
	assert_true(json_integer_value(json_object_get(root, "now_unix_ms")) > 1700000000000LL);
	json_decref(root);
}

static void test_metrics_is_prometheus_text(void **state)
{
	struct fixture *f = *state;
	struct raw_client c;
	struct answer a = request(f, &c, "GET", "/metrics");

	assert_int_equal(a.code, 200);
	assert_string_equal(a.content_type, STATUS_METRICS_CONTENT_TYPE);
	assert_non_null(strstr(a.body, "# TYPE keepvip_up gauge\nkeepvip_up 1\n"));
	assert_non_null(strstr(a.body, "\nkeepvip_adverts_sent_total{instance=\"VI_51\"} 42\n"));
}

static void test_no_view_yet_is_503(void **state)
{
	struct fixture *f = *state;
	struct raw_client c;

	f->no_view = true;
	assert_int_equal(request(f, &c, "GET", "/status").code, 503);
	assert_int_equal(request(f, &c, "GET", "/metrics").code, 503);
	assert_int_equal(request(f, &c, "GET", "/healthz").code, 200); /* the loop still turns */
}

static void test_unknown_path_is_404(void **state)
{
	struct fixture *f = *state;
	struct raw_client c;
	unsigned calls = f->view_calls;

	assert_int_equal(request(f, &c, "GET", "/").code, 404);
	assert_int_equal(request(f, &c, "GET", "/status/extra").code, 404);
	assert_int_equal(request(f, &c, "GET", "/METRICS").code, 404);
	assert_int_equal(f->view_calls, calls); /* nothing rendered for them */
}

static void test_other_methods_are_405(void **state)
{
	struct fixture *f = *state;
	struct raw_client c;

	raw_exchange(f, &c, "POST /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
			    "Content-Length: 2\r\n\r\n{}");
	struct answer a = parse_answer(&c);
	assert_int_equal(a.code, 405);
	assert_string_equal(a.allow, "GET, HEAD");
	assert_int_equal(request(f, &c, "DELETE", "/status").code, 405);
}

static void test_head_has_no_body(void **state)
{
	struct fixture *f = *state;
	struct raw_client c;
	struct answer a = request(f, &c, "HEAD", "/status");

	assert_int_equal(a.code, 200);
	assert_string_equal(a.content_type, STATUS_JSON_CONTENT_TYPE);
	assert_string_equal(a.body, "");
}

/* A client that sends half a request and then nothing holds one connection, not the loop. */
static void test_stalled_client_does_not_block(void **state)
{
	struct fixture *f = *state;
	struct raw_client c;
	int stalled = connect_to(status_server_port(f->server));

	/* let the connect complete before writing */
	for (int i = 0; i < 100 && send(stalled, "GET /hea", 8, MSG_NOSIGNAL) < 0; i++)
		usleep(1000);
	struct answer a = request(f, &c, "GET", "/healthz");
	assert_int_equal(a.code, 200);
	a = request(f, &c, "GET", "/metrics");
	assert_int_equal(a.code, 200);
	close(stalled);
}

static void on_idle_done(struct loop *loop, void *arg)
{
	(void)arg;
	loop_stop(loop);
}

static double cpu_seconds(void)
{
	struct rusage ru;
	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* After a request and with a connection left open, the loop sleeps: MHD's timer is armed
 * only for real deadlines, never as a busy poll. */
static void test_idle_server_does_not_spin(void **state)
{
	struct fixture *f = *state;
	struct raw_client c;
	struct loop_timer idle;
	int open_conn = connect_to(status_server_port(f->server));

	assert_int_equal(request(f, &c, "GET", "/status").code, 200);
	loop_timer_init(&idle, on_idle_done, NULL);
	double before = cpu_seconds();
	uint64_t start = loop_now_us();
	assert_int_equal(loop_timer_arm(f->loop, &idle, start + 400000u), 0);
	assert_int_equal(loop_run(f->loop), 0);
	assert_true(loop_now_us() - start >= 400000u);
	double used = cpu_seconds() - before;
	if (used > 0.1)
		fail_msg("the loop used %.3f s of CPU in 0.4 s idle", used);
	close(open_conn);
}

/* ---- start-up errors and other addresses ---- */

static const struct status_view *no_view(void *arg)
{
	(void)arg;
	return NULL;
}

static void test_port_in_use_is_reported(void **state)
{
	struct fixture *f = *state;
	struct status_server *second = NULL;
	char err[STATUS_ERR_LEN] = "";

	int rc = status_server_start(f->loop, f->addr, no_view, NULL, &second, err, sizeof(err));
	assert_int_equal(rc, -EADDRINUSE);
	assert_null(second);
	assert_non_null(strstr(err, f->addr));
	assert_non_null(strstr(err, "bind"));
}

static void test_bad_addresses_are_refused(void **state)
{
	struct fixture *f = *state;
	struct status_server *s = NULL;
	char err[STATUS_ERR_LEN] = "";
	const char *bad[] = { "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:80x",
			      "::1:9650", "[::1]9650", "[]:9650", "[10.0.0.1]:9650" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		int rc = status_server_start(f->loop, bad[i], no_view, NULL, &s, err, sizeof(err));
		if (rc != -EINVAL)
			fail_msg("%s: want -EINVAL, got %d (%s)", bad[i], rc, err);
		assert_null(s);
		assert_non_null(strstr(err, bad[i]));
	}
}

static void test_addr_split(void **state)
{
	(void)state;
	char host[64];
	uint16_t port;

	assert_int_equal(status_addr_split("127.0.0.1:9650", host, sizeof(host), &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9650);
	assert_int_equal(status_addr_split("[fe80::1%eth0]:1", host, sizeof(host), &port), 0);
	assert_string_equal(host, "fe80::1%eth0");
	assert_int_equal(port, 1);
	assert_int_equal(status_addr_split("localhost:0", host, sizeof(host), &port), 0);
	assert_string_equal(host, "localhost");
	assert_int_equal(port, 0);
	assert_int_equal(status_addr_split("[::1]:-1", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(status_addr_split("averyveryverylonghostname:1", host, 8, &port),
			 -EINVAL);
}

static void test_ipv6_loopback(void **state)
{
	struct fixture *f = *state;
	struct status_server *s6 = NULL;
	char err[STATUS_ERR_LEN] = "";

	int rc = status_server_start(f->loop, "[::1]:0", get_view, f, &s6, err, sizeof(err));
	if (rc != 0)
		fail_msg("[::1]:0: %s", err);
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons(status_server_port(s6)),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct raw_client c;
	raw_exchange_on(f, &c, connect_sa(&sa, sizeof(sa)),
			"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	assert_int_equal(parse_answer(&c).code, 200);
	status_server_free(s6);
}

/* ---- `keepvip status` against the live server ---- */

struct child_wait {
	bool exited;
	int status;
};

static void on_child(struct loop *loop, pid_t pid, int wait_status, void *arg)
{
	struct child_wait *w = arg;
	(void)pid;
	w->exited = true;
	w->status = wait_status;
	loop_stop(loop);
}

static void on_child_timeout(struct loop *loop, void *arg)
{
	(void)arg;
	loop_stop(loop);
}

/* Runs status_client_run(addr) in a child (it blocks) while the loop serves; returns its
 * exit code and what it printed (stdout then stderr) in out. */
static int run_client(struct fixture *f, const char *addr, char *out, size_t len)
{
	FILE *capture = tmpfile();
	assert_non_null(capture);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int code = status_client_run(addr, capture, capture);
		fflush(capture);
		_exit(code);
	}
	struct child_wait w = { 0 };
	struct loop_timer timeout;
	loop_timer_init(&timeout, on_child_timeout, NULL);
	assert_int_equal(loop_timer_arm(f->loop, &timeout, loop_now_us() + TEST_TIMEOUT_US), 0);
	assert_int_equal(loop_child_add(f->loop, pid, on_child, &w), 0);
	assert_int_equal(loop_run(f->loop), 0);
	loop_timer_cancel(f->loop, &timeout);
	if (!w.exited) {
		kill(pid, SIGKILL);
		fail_msg("keepvip status did not finish");
	}
	rewind(capture);
	size_t n = fread(out, 1, len - 1, capture);
	out[n] = '\0';
	fclose(capture);
	assert_true(WIFEXITED(w.status));
	return WEXITSTATUS(w.status);
}

static void test_keepvip_status_prints_a_summary(void **state)
{
	struct fixture *f = *state;
	char out[4096];

	assert_int_equal(run_client(f, f->addr, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "keepvip 0.1.0  up "));
	assert_non_null(strstr(out, "\nVI_51  MASTER  prio 150/150  master 10.0.0.11  peers 0  "
				    "no change yet\n"));
}

static void test_keepvip_status_reports_failures(void **state)
{
	struct fixture *f = *state;
	char out[4096], addr[64];

	f->no_view = true;
	assert_int_equal(run_client(f, f->addr, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "keepvip: status: "));
	assert_non_null(strstr(out, "HTTP 503"));

	assert_int_equal(run_client(f, "off", out, sizeof(out)), 1);
	assert_non_null(strstr(out, "status server is off"));

	/* nothing listens on the port of a server just stopped */
	snprintf(addr, sizeof(addr), "%s", f->addr);
	status_server_free(f->server);
	f->server = NULL;
	assert_int_equal(run_client(f, addr, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "is the daemon running?"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_healthz, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readyz_follows_the_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_is_the_rendered_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_is_prometheus_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_view_yet_is_503, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_path_is_404, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_methods_are_405, setup, teardown),
		cmocka_unit_test_setup_teardown(test_head_has_no_body, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_client_does_not_block, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_idle_server_does_not_spin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_in_use_is_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_addresses_are_refused, setup, teardown),
		cmocka_unit_test(test_addr_split),
		cmocka_unit_test_setup_teardown(test_ipv6_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keepvip_status_prints_a_summary, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_keepvip_status_reports_failures, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
