/* test_check_runner.c — health checks on a real event loop with real sockets on 127.0.0.1
 * and real processes: TCP (a listener up and down), HTTP (a tiny server in this file
 * answering 200, 500, or never), scripts (true, false, sleep killed at its timeout, output
 * of megabytes, a missing command), the verdict (fault, penalty) and the HTTP client
 * (headers, bounded body, cancel, free from a callback). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "check_runner.h"
#include "http.h"
#include "log.h"
#include "loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- a tiny server on 127.0.0.1, driven by the same loop ------------------------------- */

enum serve_mode {
	SERVE_TCP_ACCEPT_CLOSE, /* TCP check target: accept and close */
	SERVE_200,
	SERVE_500,
	SERVE_HANG,             /* read the request, never answer */
	SERVE_HEADER_CHECK,     /* 200 "hello" when X-Keepvip-Test: yes was sent, else 400 */
	SERVE_BIG_STREAM,       /* 200, 2 MiB body without Content-Length */
	SERVE_BIG_DECLARED,     /* 200, Content-Length: 5000 */
};

#define SERVER_CONNS 16
#define BIG_STREAM_BYTES (2u << 20)

struct test_server;

struct test_conn {
	struct test_server *srv;
	int fd;
	bool active, responded;
	char in[4096];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
};

struct test_server {
	struct loop *loop;
	int listen_fd;
	uint16_t port;
	enum serve_mode mode;
	struct test_conn conns[SERVER_CONNS];
	unsigned open, max_open, accepted, requests;
};

static void conn_close(struct test_conn *c)
{
	loop_io_remove(c->srv->loop, c->fd);
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->active = false;
	c->srv->open--;
}

static void conn_respond(struct test_conn *c)
{
#define CLOSE "Connection: close\r\n"
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n" CLOSE "\r\nhello";
	static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n" CLOSE "\r\n";
	static const char err[] = "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n" CLOSE "\r\n";
	static const char stream_head[] = "HTTP/1.1 200 OK\r\n" CLOSE "\r\n";
	static const char declared_head[] = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n" CLOSE "\r\n";
#undef CLOSE
	const char *head = NULL;
	size_t body = 0;

	switch (c->srv->mode) {
	case SERVE_200: head = ok; break;
	case SERVE_500: head = err; break;
	case SERVE_HEADER_CHECK: head = strstr(c->in, "X-Keepvip-Test: yes") ? ok : bad; break;
	case SERVE_BIG_STREAM: head = stream_head; body = BIG_STREAM_BYTES; break;
	case SERVE_BIG_DECLARED: head = declared_head; body = 5000; break;
	default: return; /* SERVE_HANG */
	}
	size_t head_len = strlen(head);
	c->out = malloc(head_len + body);
	assert_non_null(c->out);
	memcpy(c->out, head, head_len);
	memset(c->out + head_len, 'x', body);
	c->out_len = head_len + body;
	c->out_off = 0;
	assert_int_equal(loop_io_modify(c->srv->loop, c->fd, EPOLLIN | EPOLLOUT), 0);
}

static void conn_write_more(struct test_conn *c)
{
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

	if (n < 0) {
		if (errno != EAGAIN)
			conn_close(c); /* the client gave up (body cap): fine */
		return;
	}
	c->out_off += (size_t)n;
	if (c->out_off == c->out_len)
		conn_close(c);
}

static void on_conn(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct test_conn *c = arg;

	(void)loop;
	if (c->out != NULL && (events & EPOLLOUT)) {
		conn_write_more(c);
		return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	ssize_t n = read(fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len);
	if (n <= 0) {
		if (n == 0 || errno != EAGAIN)
			conn_close(c);
		return;
	}
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	if (!c->responded && strstr(c->in, "\r\n\r\n") != NULL) {
		c->responded = true;
		c->srv->requests++;
		conn_respond(c);
	}
}

static void on_accept(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct test_server *srv = arg;

	(void)events;
	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return;
		srv->accepted++;
		if (srv->mode == SERVE_TCP_ACCEPT_CLOSE) {
			close(cfd);
			continue;
		}
		struct test_conn *c = NULL;
		for (size_t i = 0; i < SERVER_CONNS && c == NULL; i++)
			if (!srv->conns[i].active)
				c = &srv->conns[i];
		if (c == NULL) {
			close(cfd);
			continue;
		}
		*c = (struct test_conn){ .srv = srv, .fd = cfd, .active = true };
		assert_int_equal(loop_io_add(loop, cfd, EPOLLIN, on_conn, c), 0);
		if (++srv->open > srv->max_open)
			srv->max_open = srv->open;
	}
}

/* Listens on 127.0.0.1:port (0: any free port, written back into srv->port). */
static void server_start(struct test_server *srv, struct loop *loop, enum serve_mode mode,
			 uint16_t port)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(addr);
	int one = 1;

	*srv = (struct test_server){ .loop = loop, .mode = mode };
	srv->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(srv->listen_fd >= 0);
	assert_int_equal(setsockopt(srv->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(srv->listen_fd, 64), 0);
	assert_int_equal(getsockname(srv->listen_fd, (struct sockaddr *)&addr, &len), 0);
	srv->port = ntohs(addr.sin_port);
	assert_int_equal(loop_io_add(loop, srv->listen_fd, EPOLLIN, on_accept, srv), 0);
}

static void server_stop(struct test_server *srv)
{
	if (srv->loop == NULL)
		return;
	for (size_t i = 0; i < SERVER_CONNS; i++)
		if (srv->conns[i].active)
			conn_close(&srv->conns[i]);
	loop_io_remove(srv->loop, srv->listen_fd);
	close(srv->listen_fd);
	srv->loop = NULL;
}

/* A port on 127.0.0.1 with nothing listening (bound, then closed). */
static uint16_t closed_port(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	close(fd);
	return ntohs(addr.sin_port);
}

/* ---- the harness: a loop, a runner, the verdicts it reported ----------------------------- */

struct harness {
	struct loop *loop;
	struct check_runner *runner;
	struct test_server srv, srv2;
	unsigned changes;
	bool fault;
	unsigned penalty;
	uint64_t failures_at_first_change;
	struct loop_timer poll, give_up;
	bool (*until)(struct harness *h);
	bool gave_up;
	/* HTTP client tests */
	struct http_client *http;
	unsigned http_done;
	long http_status;
	char http_error[HTTP_ERR_LEN];
	char http_body[64];
	size_t http_body_len;
	bool free_client_in_callback;
	int capture_fd, saved_stderr;
};

static int setup(void **state)
{
	struct harness *h = calloc(1, sizeof(*h));

	assert_non_null(h);
	assert_int_equal(loop_new(&h->loop), 0);
	h->capture_fd = -1;
	h->saved_stderr = -1;
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct harness *h = *state;

	check_runner_free(h->runner);
	http_client_free(h->http);
	server_stop(&h->srv);
	server_stop(&h->srv2);
	loop_free(h->loop);
	free(h);
	return 0;
}

static void on_change(void *arg, bool fault, unsigned penalty)
{
	struct harness *h = arg;

	if (h->changes++ == 0)
		h->failures_at_first_change = check_runner_status(h->runner, 0)->failures;
	h->fault = fault;
	h->penalty = penalty;
}

static void on_poll(struct loop *loop, void *arg)
{
	struct harness *h = arg;

	if (h->until != NULL && h->until(h)) {
		loop_timer_cancel(loop, &h->give_up);
		loop_stop(loop);
		return;
	}
	assert_int_equal(loop_timer_arm(loop, &h->poll, loop_now_us() + 2000), 0);
}

static void on_give_up(struct loop *loop, void *arg)
{
	struct harness *h = arg;

	h->gave_up = true;
	loop_timer_cancel(loop, &h->poll);
	loop_stop(loop);
}

/* Runs the loop until until(h) holds (true) or max_ms passed (false). until NULL: run
 * exactly max_ms. */
static bool run_until(struct harness *h, bool (*until)(struct harness *h), unsigned max_ms)
{
	h->until = until;
	h->gave_up = false;
	loop_timer_init(&h->poll, on_poll, h);
	loop_timer_init(&h->give_up, on_give_up, h);
	assert_int_equal(loop_timer_arm(h->loop, &h->poll, loop_now_us()), 0);
	assert_int_equal(loop_timer_arm(h->loop, &h->give_up, loop_now_us() + max_ms * 1000ull), 0);
	assert_int_equal(loop_run(h->loop), 0);
	return !h->gave_up;
}

static const struct check_status *status0(const struct harness *h)
{
	return check_runner_status(h->runner, 0);
}

static bool first_change(struct harness *h) { return h->changes >= 1; }
static bool second_change(struct harness *h) { return h->changes >= 2; }
static bool check0_ran_5_times(struct harness *h) { return status0(h)->runs >= 5; }
static bool check0_ran_once(struct harness *h) { return status0(h)->runs >= 1; }
static bool check0_running(struct harness *h) { return status0(h)->running; }
static bool http_answered(struct harness *h) { return h->http_done >= 1; }

static struct check_settings check_of(enum check_kind kind, uint16_t port, const char *target)
{
	struct check_settings c = {
		.kind = kind,
		.port = port,
		.interval_ms = 20,
		.timeout_ms = 1000,
		.rise = 2,
		.fall = 2,
		.weight = 0,
	};

	if (target != NULL)
		snprintf(c.target, sizeof(c.target), "%s", target);
	return c;
}

static struct check_settings http_check_of(uint16_t port, const char *path)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", (unsigned)port, path);
	return check_of(CHECK_HTTP, 0, url);
}

static void start_runner(struct harness *h, const struct check_settings *checks, size_t n)
{
	int rc = check_runner_new(h->loop, checks, n, "VI_test", on_change, h, &h->runner);

	assert_int_equal(rc, 0);
	assert_int_equal(check_runner_count(h->runner), n);
}

/* stderr into a memfd, to count log lines. */
static void capture_stderr(struct harness *h)
{
	fflush(stderr);
	h->capture_fd = memfd_create("stderr", MFD_CLOEXEC);
	assert_true(h->capture_fd >= 0);
	h->saved_stderr = dup(STDERR_FILENO);
	assert_true(h->saved_stderr >= 0);
	assert_true(dup2(h->capture_fd, STDERR_FILENO) >= 0);
}

static off_t captured_bytes(const struct harness *h)
{
	struct stat st;

	fflush(stderr);
	assert_int_equal(fstat(h->capture_fd, &st), 0);
	return st.st_size;
}

static char *captured_stderr(struct harness *h)
{
	static char text[65536];
	ssize_t n;

	fflush(stderr);
	assert_true(dup2(h->saved_stderr, STDERR_FILENO) >= 0);
	close(h->saved_stderr);
	n = pread(h->capture_fd, text, sizeof(text) - 1, 0);
	close(h->capture_fd);
	h->capture_fd = h->saved_stderr = -1;
	assert_true(n >= 0);
	text[n] = '\0';
	fputs(text, stderr); /* keep it visible */
	return text;
}

static unsigned count_of(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* After the scripts: every process they started is gone and reaped. The test process is a
 * child subreaper (main), so a script's own children end up here if they outlive it. */
static bool no_children_left(unsigned max_ms)
{
	for (unsigned waited = 0; waited <= max_ms; waited += 10) {
		pid_t pid;
		while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		if (pid < 0 && errno == ECHILD)
			return true;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	return false;
}

/* ---- no checks, TCP --------------------------------------------------------------------- */

static void test_no_checks_never_report(void **state)
{
	struct harness *h = *state;

	start_runner(h, NULL, 0);
	run_until(h, NULL, 50);
	assert_int_equal(h->changes, 0);
	assert_false(check_runner_fault(h->runner));
	assert_int_equal(check_runner_penalty(h->runner), 0);
}

static void test_tcp_listener_up_stays_healthy(void **state)
{
	struct harness *h = *state;

	server_start(&h->srv, h->loop, SERVE_TCP_ACCEPT_CLOSE, 0);
	struct check_settings c = check_of(CHECK_TCP, h->srv.port, NULL);
	start_runner(h, &c, 1);
	assert_true(run_until(h, check0_ran_5_times, 3000));
	assert_int_equal(status0(h)->failures, 0);
	assert_true(status0(h)->healthy);
	assert_string_equal(status0(h)->last_error, "");
	assert_int_equal(h->changes, 0);
	assert_true(h->srv.accepted >= 4); /* the check really connected */
	assert_false(check_runner_fault(h->runner));
}

static void test_tcp_label_names_the_port(void **state)
{
	struct harness *h = *state;
	struct check_settings c = check_of(CHECK_TCP, 8080, NULL);

	start_runner(h, &c, 1);
	assert_string_equal(status0(h)->label, "tcp:8080");
	assert_int_equal(status0(h)->kind, CHECK_TCP);
}

static void test_tcp_down_is_fault_after_fall_then_healthy_after_rise(void **state)
{
	struct harness *h = *state;
	uint16_t port = closed_port();
	struct check_settings c = check_of(CHECK_TCP, port, NULL);

	capture_stderr(h);
	start_runner(h, &c, 1);
	bool changed = run_until(h, first_change, 3000);
	char *log = captured_stderr(h);
	assert_true(changed);
	assert_true(h->fault);
	assert_int_equal(h->penalty, 0);
	assert_int_equal(h->failures_at_first_change, 2); /* fall = 2 */
	assert_false(status0(h)->healthy);
	assert_non_null(strstr(status0(h)->last_error, "refused"));
	assert_int_equal(count_of(log, "-> unhealthy"), 1);
	assert_non_null(strstr(log, "check tcp:"));
	assert_non_null(strstr(log, "failed 2 times: "));

	/* The load balancer comes back on the same port: rise = 2 successes later, healthy. */
	server_start(&h->srv, h->loop, SERVE_TCP_ACCEPT_CLOSE, port);
	assert_true(run_until(h, second_change, 3000));
	assert_false(h->fault);
	assert_true(status0(h)->healthy);
	assert_true(check_runner_status(h->runner, 0)->runs >= 4);
	assert_true(h->srv.accepted >= 2);
}

static void test_weighted_checks_lower_priority_without_fault(void **state)
{
	struct harness *h = *state;

	server_start(&h->srv, h->loop, SERVE_TCP_ACCEPT_CLOSE, 0);
	struct check_settings c[3] = {
		check_of(CHECK_TCP, closed_port(), NULL),
		check_of(CHECK_TCP, closed_port(), NULL),
		check_of(CHECK_TCP, h->srv.port, NULL), /* weight 0, healthy */
	};
	c[0].weight = 10;
	c[1].weight = 25;
	start_runner(h, c, 3);
	assert_true(run_until(h, check0_ran_5_times, 3000));
	assert_false(h->fault);
	assert_false(check_runner_fault(h->runner));
	assert_int_equal(h->penalty, 35);
	assert_int_equal(check_runner_penalty(h->runner), 35);
	assert_true(h->changes >= 1 && h->changes <= 2); /* 10 then 35, or both at once */
	assert_true(check_runner_status(h->runner, 2)->healthy);
}

/* ---- HTTP checks ------------------------------------------------------------------------ */

static void test_http_200_is_healthy(void **state)
{
	struct harness *h = *state;

	server_start(&h->srv, h->loop, SERVE_200, 0);
	struct check_settings c = http_check_of(h->srv.port, "/healthz");
	start_runner(h, &c, 1);
	assert_true(run_until(h, check0_ran_5_times, 3000));
	assert_int_equal(status0(h)->failures, 0);
	assert_true(status0(h)->healthy);
	assert_int_equal(h->changes, 0);
	assert_true(h->srv.requests >= 5);
	assert_int_equal(status0(h)->kind, CHECK_HTTP);
}

static void test_http_500_is_unhealthy(void **state)
{
	struct harness *h = *state;

	server_start(&h->srv, h->loop, SERVE_500, 0);
	struct check_settings c = http_check_of(h->srv.port, "/healthz");
	start_runner(h, &c, 1);
	assert_true(run_until(h, first_change, 3000));
	assert_true(h->fault);
	assert_int_equal(h->failures_at_first_change, 2);
	assert_non_null(strstr(status0(h)->last_error, "500"));
}

static void test_http_server_that_never_answers_times_out(void **state)
{
	struct harness *h = *state;

	server_start(&h->srv, h->loop, SERVE_HANG, 0);
	struct check_settings c = http_check_of(h->srv.port, "/");
	c.interval_ms = 150;
	c.timeout_ms = 100;
	start_runner(h, &c, 1);
	assert_true(run_until(h, first_change, 3000));
	assert_true(h->fault);
	assert_non_null(strstr(status0(h)->last_error, "timed out after 100 ms"));
	assert_true(status0(h)->last_duration_ms >= 100);
	assert_true(status0(h)->last_duration_ms < 400);
	assert_true(h->srv.requests >= 2);
	assert_int_equal(h->srv.max_open, 1); /* a timed-out run is stopped before the next */
}

static void test_http_label_masks_the_password(void **state)
{
	struct harness *h = *state;
	char url[128];

	snprintf(url, sizeof(url), "http://admin:s3cret@127.0.0.1:%u/x", (unsigned)closed_port());
	struct check_settings c = check_of(CHECK_HTTP, 0, url);
	c.fall = 1;
	capture_stderr(h);
	start_runner(h, &c, 1);
	bool changed = run_until(h, first_change, 3000);
	char *log = captured_stderr(h);
	assert_true(changed);
	assert_null(strstr(status0(h)->label, "s3cret"));
	assert_true(strncmp(status0(h)->label, "http://***@127.0.0.1:", 21) == 0);
	assert_null(strstr(log, "s3cret"));
	assert_int_equal(count_of(log, "-> unhealthy"), 1);
}

/* ---- the HTTP client itself ------------------------------------------------------------- */

static void on_http_done(void *arg, const struct http_response *resp)
{
	struct harness *h = arg;

	h->http_done++;
	h->http_status = resp->status;
	snprintf(h->http_error, sizeof(h->http_error), "%s", resp->error ? resp->error : "");
	h->http_body_len = resp->body_len;
	snprintf(h->http_body, sizeof(h->http_body), "%s", resp->body);
	if (h->free_client_in_callback) {
		http_client_free(h->http);
		h->http = NULL;
	}
}

static void http_start(struct harness *h, const struct http_get_opts *opts,
		       struct http_request **req)
{
	char err[HTTP_ERR_LEN];

	if (h->http == NULL)
		assert_int_equal(http_client_new(h->loop, &h->http), 0);
	assert_int_equal(http_get(h->http, opts, on_http_done, h, req, err, sizeof(err)), 0);
	assert_int_equal(h->http_done, 0); /* never called from inside http_get */
}

static void test_http_get_sends_headers_and_returns_the_body(void **state)
{
	struct harness *h = *state;
	char url[128];
	const char *headers[] = { "X-Keepvip-Test: yes", "Accept: text/plain" };

	server_start(&h->srv, h->loop, SERVE_HEADER_CHECK, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/api", (unsigned)h->srv.port);
	struct http_get_opts opts = {
		.url = url, .headers = headers, .n_headers = 2, .timeout_ms = 2000,
	};
	http_start(h, &opts, NULL);
	assert_true(run_until(h, http_answered, 3000));
	assert_int_equal(h->http_done, 1);
	assert_string_equal(h->http_error, "");
	assert_int_equal(h->http_status, 200);
	assert_int_equal(h->http_body_len, 5);
	assert_string_equal(h->http_body, "hello");

	/* Without the header, the server says 400: headers are really what made the 200. */
	h->http_done = 0;
	opts.n_headers = 0;
	opts.headers = NULL;
	http_start(h, &opts, NULL);
	assert_true(run_until(h, http_answered, 3000));
	assert_int_equal(h->http_status, 400);
	assert_string_equal(h->http_error, ""); /* a whole response is not an error */
}

static void test_http_body_over_the_cap_fails_the_request(void **state)
{
	struct harness *h = *state;
	char url[128];

	server_start(&h->srv, h->loop, SERVE_BIG_STREAM, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)h->srv.port);
	struct http_get_opts opts = { .url = url, .timeout_ms = 3000 }; /* default cap: 1 MiB */
	http_start(h, &opts, NULL);
	assert_true(run_until(h, http_answered, 4000));
	assert_int_equal(h->http_done, 1);
	assert_non_null(strstr(h->http_error, "larger than 1048576 bytes"));
}

static void test_http_declared_length_over_the_cap_fails_the_request(void **state)
{
	struct harness *h = *state;
	char url[128];

	server_start(&h->srv, h->loop, SERVE_BIG_DECLARED, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)h->srv.port);
	struct http_get_opts opts = { .url = url, .timeout_ms = 3000, .max_body = 1000 };
	http_start(h, &opts, NULL);
	assert_true(run_until(h, http_answered, 4000));
	assert_non_null(strstr(h->http_error, "larger than 1000 bytes"));

	/* The same response fits a larger cap. */
	h->http_done = 0;
	opts.max_body = 5000;
	http_start(h, &opts, NULL);
	assert_true(run_until(h, http_answered, 4000));
	assert_string_equal(h->http_error, "");
	assert_int_equal(h->http_body_len, 5000);
}

static void test_http_connection_refused_is_an_error_without_status(void **state)
{
	struct harness *h = *state;
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)closed_port());
	struct http_get_opts opts = { .url = url, .timeout_ms = 2000 };
	http_start(h, &opts, NULL);
	assert_true(run_until(h, http_answered, 3000));
	assert_int_equal(h->http_status, 0);
	assert_true(h->http_error[0] != '\0');
}

static void test_http_cancel_and_free_in_flight_call_nothing(void **state)
{
	struct harness *h = *state;
	struct http_request *req = NULL;
	char url[128];

	server_start(&h->srv, h->loop, SERVE_HANG, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)h->srv.port);
	struct http_get_opts opts = { .url = url, .timeout_ms = 100 };
	http_start(h, &opts, &req);
	assert_non_null(req);
	run_until(h, NULL, 30);
	http_cancel(h->http, req);
	http_start(h, &opts, NULL);
	run_until(h, NULL, 30);
	http_client_free(h->http); /* with a request in flight */
	h->http = NULL;
	run_until(h, NULL, 200); /* past the requests' timeout */
	assert_int_equal(h->http_done, 0);
	assert_true(h->srv.accepted >= 1);
}

static void test_http_client_freed_from_its_own_callback(void **state)
{
	struct harness *h = *state;
	char url[128];

	server_start(&h->srv, h->loop, SERVE_200, 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)h->srv.port);
	struct http_get_opts opts = { .url = url, .timeout_ms = 2000 };
	h->free_client_in_callback = true;
	http_start(h, &opts, NULL);
	http_start(h, &opts, NULL); /* a second request, cancelled by the free */
	assert_true(run_until(h, http_answered, 3000));
	assert_null(h->http);
	run_until(h, NULL, 50);
	assert_int_equal(h->http_done, 1);
}

/* ---- scripts ---------------------------------------------------------------------------- */

static void test_script_true_is_healthy(void **state)
{
	struct harness *h = *state;
	struct check_settings c = check_of(CHECK_SCRIPT, 0, "true");

	start_runner(h, &c, 1);
	assert_string_equal(status0(h)->label, "script:true");
	assert_true(run_until(h, check0_ran_5_times, 3000));
	assert_int_equal(status0(h)->failures, 0);
	assert_int_equal(h->changes, 0);
	check_runner_free(h->runner);
	h->runner = NULL;
	assert_true(no_children_left(1000));
}

static void test_script_false_is_fault(void **state)
{
	struct harness *h = *state;
	struct check_settings c = check_of(CHECK_SCRIPT, 0, "false");

	start_runner(h, &c, 1);
	assert_true(run_until(h, first_change, 3000));
	assert_true(h->fault);
	assert_string_equal(status0(h)->last_error, "exit status 1");
}

/* While a script runs, the loop keeps turning: the script is reaped through its pidfd when
 * it ends, never waited for (a wait would freeze the 10 ms ticker for the script's 400 ms). */
static unsigned ticker_turns;

static void on_ticker(struct loop *loop, void *arg)
{
	ticker_turns++;
	loop_timer_arm(loop, arg, loop_now_us() + 10000u);
}

static void test_script_never_blocks_the_loop(void **state)
{
	struct harness *h = *state;
	struct check_settings c = check_of(CHECK_SCRIPT, 0, "sleep 0.4; exit 3");
	struct loop_timer ticker;

	c.interval_ms = 5000;
	c.timeout_ms = 3000;
	c.fall = 1;
	ticker_turns = 0;
	loop_timer_init(&ticker, on_ticker, &ticker);
	loop_timer_arm(h->loop, &ticker, loop_now_us());
	start_runner(h, &c, 1);
	assert_true(run_until(h, first_change, 3000));
	loop_timer_cancel(h->loop, &ticker);
	assert_true(h->fault);
	assert_string_equal(status0(h)->last_error, "exit status 3"); /* the status came back */
	assert_true(status0(h)->last_duration_ms >= 400);
	assert_true(ticker_turns >= 20);
	check_runner_free(h->runner);
	h->runner = NULL;
	assert_true(no_children_left(1000));
}

static void test_script_over_its_timeout_is_killed_with_its_children(void **state)
{
	struct harness *h = *state;
	/* A child in the background and one in the foreground: the whole group must die. */
	struct check_settings c = check_of(CHECK_SCRIPT, 0, "sleep 100 & sleep 100");

	c.interval_ms = 1000;
	c.timeout_ms = 100;
	c.fall = 1;
	start_runner(h, &c, 1);
	assert_true(run_until(h, first_change, 3000));
	assert_true(h->fault);
	assert_string_equal(status0(h)->last_error, "timed out after 100 ms");
	assert_true(status0(h)->last_duration_ms >= 100 && status0(h)->last_duration_ms < 400);
	run_until(h, NULL, 100); /* the killed shell is reaped through its pidfd */
	check_runner_free(h->runner);
	h->runner = NULL;
	assert_true(no_children_left(2000));
}

static void test_script_printing_megabytes_does_not_stall(void **state)
{
	struct harness *h = *state;
	struct check_settings c = check_of(CHECK_SCRIPT, 0,
		"head -c 20000000 /dev/zero && head -c 5000000 /dev/zero >&2");

	c.interval_ms = 5000;
	c.timeout_ms = 5000;
	capture_stderr(h);
	start_runner(h, &c, 1);
	bool ran = run_until(h, check0_ran_once, 6000);
	off_t leaked = captured_bytes(h); /* the script's output went to /dev/null, not here */
	captured_stderr(h);
	assert_true(ran);
	assert_true(leaked < 4096);
	assert_int_equal(status0(h)->failures, 0);
	assert_true(status0(h)->last_duration_ms < 5000);
}

static void test_missing_script_fails_and_is_logged_once(void **state)
{
	struct harness *h = *state;
	struct check_settings c = check_of(CHECK_SCRIPT, 0, "/nonexistent/keepvip-check");

	capture_stderr(h);
	start_runner(h, &c, 1);
	bool ran = run_until(h, check0_ran_5_times, 3000);
	char *log = captured_stderr(h);
	assert_true(ran);
	assert_true(h->fault);
	assert_int_equal(h->changes, 1);
	assert_true(status0(h)->failures >= 5);
	assert_non_null(strstr(status0(h)->last_error, "exit status 127"));
	assert_int_equal(count_of(log, "-> unhealthy"), 1);
	assert_int_equal(count_of(log, "/nonexistent/keepvip-check"), 1);
}

static void test_one_run_of_a_check_in_flight(void **state)
{
	struct harness *h = *state;
	struct check_settings c = check_of(CHECK_SCRIPT, 0, "sleep 0.2");

	c.interval_ms = 20; /* far shorter than a run */
	c.timeout_ms = 2000;
	start_runner(h, &c, 1);
	run_until(h, NULL, 700);
	assert_int_equal(status0(h)->failures, 0);
	assert_true(status0(h)->runs >= 2);
	assert_true(status0(h)->runs <= 4); /* 700 ms / 200 ms per run, one at a time */
	assert_true(status0(h)->last_duration_ms >= 200);
}

static void test_free_with_a_script_in_flight_kills_and_reaps_it(void **state)
{
	struct harness *h = *state;
	struct check_settings c = check_of(CHECK_SCRIPT, 0, "sleep 100");

	c.timeout_ms = 5000;
	start_runner(h, &c, 1);
	assert_true(run_until(h, check0_running, 1000));
	check_runner_free(h->runner);
	h->runner = NULL;
	run_until(h, NULL, 100); /* the killed script is reaped on the loop */
	assert_true(no_children_left(2000));
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_no_checks_never_report),
		TEST(test_tcp_listener_up_stays_healthy),
		TEST(test_tcp_label_names_the_port),
		TEST(test_tcp_down_is_fault_after_fall_then_healthy_after_rise),
		TEST(test_weighted_checks_lower_priority_without_fault),
		TEST(test_http_200_is_healthy),
		TEST(test_http_500_is_unhealthy),
		TEST(test_http_server_that_never_answers_times_out),
		TEST(test_http_label_masks_the_password),
		TEST(test_http_get_sends_headers_and_returns_the_body),
		TEST(test_http_body_over_the_cap_fails_the_request),
		TEST(test_http_declared_length_over_the_cap_fails_the_request),
		TEST(test_http_connection_refused_is_an_error_without_status),
		TEST(test_http_cancel_and_free_in_flight_call_nothing),
		TEST(test_http_client_freed_from_its_own_callback),
		TEST(test_script_true_is_healthy),
		TEST(test_script_false_is_fault),
		TEST(test_script_never_blocks_the_loop),
		TEST(test_script_over_its_timeout_is_killed_with_its_children),
		TEST(test_script_printing_megabytes_does_not_stall),
		TEST(test_missing_script_fails_and_is_logged_once),
		TEST(test_one_run_of_a_check_in_flight),
		TEST(test_free_with_a_script_in_flight_kills_and_reaps_it),
	};

	/* A script's children that outlive it are reparented here, so no_children_left sees
	 * them; without a process-group kill they would still be running. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		perror("prctl(PR_SET_CHILD_SUBREAPER)");
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_INFO);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
