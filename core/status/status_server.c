/* status_server.c — libmicrohttpd on the project's loop. The listening socket is ours, bound
 * at start; MHD (loaded at first use, core/mhd_lazy.c) is started on it when its first
 * connection arrives, so a daemon nobody asks never maps libmicrohttpd and GnuTLS. MHD runs
 * in external epoll mode (MHD_USE_EPOLL, no internal thread): the loop watches MHD's epoll fd
 * and calls MHD_run when it is readable, and one loop_timer calls MHD_run when
 * MHD_get_timeout says work is due (connection timeouts, data already buffered). Every answer
 * is rendered at once from the daemon's view, so a request never waits on anything. */
#include "status_server.h"

#include "log.h"
#include "loop.h"
#include "mhd_lazy.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LOG_SCOPE "status"
#define LISTEN_BACKLOG 16
#define CONNECTION_LIMIT 32u
/* One address may hold at most this many: a status address bound to a routable address
 * keeps slots for the other clients (a liveness probe) when one client floods it. */
#define PER_IP_LIMIT 24u
/* A connection silent this long is closed (MHD's own inactivity timeout)... */
#define CONNECTION_TIMEOUT_S 3u
/* ...and any connection is cut this long after it was accepted, whatever it sends: a slow
 * client dribbling a byte a second never goes idle, and 32 of them would otherwise hold
 * every slot for good (tests/integration/status_abuse.sh). Every answer is rendered at
 * once, so a real client needs milliseconds. */
#define CONNECTION_DEADLINE_US 5000000u
/* The memory MHD gives one connection for the request line, headers and the reply buffer:
 * a longer request line (a 1 MB URL) gets 414, more headers 431, and 32 connections cost at
 * most 32 x 16 kB whatever they send. The longest answer (/metrics) is sent from its own
 * buffer, not from this pool. */
#define CONNECTION_MEMORY_LIMIT (16u * 1024u)
/* An MHD_run longer than this is logged (debug): it would delay the adverts. */
#define SLOW_RUN_US 5000u
#define HOST_LEN 256

/* One connection MHD accepted, for the deadline. */
struct conn_track {
	struct conn_track *prev, *next;
	int fd;
	uint64_t accepted_us;   /* loop_now_us() */
	bool cut;               /* shut down at its deadline; MHD closes it */
};

struct status_server {
	struct loop *loop;
	struct MHD_Daemon *mhd;    /* NULL until the first connection */
	int listen_fd;             /* watched by us until MHD takes it over; -1 after */
	bool ipv6;
	char addr[HOST_LEN + 16];  /* as configured, for messages */
	int epoll_fd;              /* MHD's, watched on the loop; -1 when not added */
	bool at_limit;             /* MHD held CONNECTION_LIMIT connections at its last run */
	struct loop_timer timer;   /* MHD_get_timeout */
	struct loop_timer deadline_timer; /* the oldest connection's CONNECTION_DEADLINE_US */
	struct conn_track conns;   /* list head: accepted connections, oldest first */
	status_view_fn get_view;
	void *arg;
	uint16_t port;
};

/* ---- the answers ---- */

struct reply {
	unsigned code;
	const char *content_type;
	char *body;       /* malloc'd when owned, else a string constant */
	size_t len;
	bool owned;
};

static void reply_text(struct reply *r, unsigned code, const char *text)
{
	*r = (struct reply){ .code = code, .content_type = "text/plain; charset=utf-8",
			     .body = (char *)text, .len = strlen(text), .owned = false };
}

static int64_t wall_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* /healthz: the loop ran this callback, so it is alive. */
static void answer_healthz(struct status_server *s, struct reply *r)
{
	(void)s;
	reply_text(r, MHD_HTTP_OK, "ok\n");
}

static void answer_readyz(struct status_server *s, struct reply *r)
{
	const struct status_view *view = s->get_view(s->arg);
	if (view != NULL && view->ready)
		reply_text(r, MHD_HTTP_OK, "ready\n");
	else
		reply_text(r, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready\n");
}

static void answer_rendered(struct reply *r, char *body, size_t len, const char *type)
{
	if (body == NULL) {
		reply_text(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		return;
	}
	*r = (struct reply){ .code = MHD_HTTP_OK, .content_type = type, .body = body,
			     .len = len, .owned = true };
}

static void answer_status(struct status_server *s, struct reply *r)
{
	const struct status_view *view = s->get_view(s->arg);
	if (view == NULL) {
		reply_text(r, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready\n");
		return;
	}
	char *body = status_render_json(view, wall_clock_ms());
	answer_rendered(r, body, body != NULL ? strlen(body) : 0, STATUS_JSON_CONTENT_TYPE);
}

static void answer_metrics(struct status_server *s, struct reply *r)
{
	const struct status_view *view = s->get_view(s->arg);
	if (view == NULL) {
		reply_text(r, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready\n");
		return;
	}
	size_t len = 0;
	char *body = status_render_metrics(view, &len);
	answer_rendered(r, body, len, STATUS_METRICS_CONTENT_TYPE);
}

enum route { ROUTE_HEALTHZ, ROUTE_READYZ, ROUTE_STATUS, ROUTE_METRICS, ROUTE__COUNT };

static const struct {
	const char *path;
	void (*answer)(struct status_server *s, struct reply *r);
} routes[ROUTE__COUNT] = {
	[ROUTE_HEALTHZ] = { "/healthz", answer_healthz },
	[ROUTE_READYZ] = { "/readyz", answer_readyz },
	[ROUTE_STATUS] = { "/status", answer_status },
	[ROUTE_METRICS] = { "/metrics", answer_metrics },
};

static void answer(struct status_server *s, const char *url, const char *method,
		   struct reply *r)
{
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		reply_text(r, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
		return;
	}
	for (int i = 0; i < ROUTE__COUNT; i++) {
		if (strcmp(url, routes[i].path) == 0) {
			routes[i].answer(s, r);
			return;
		}
	}
	reply_text(r, MHD_HTTP_NOT_FOUND, "not found\n");
}

static enum MHD_Result queue_reply(struct MHD_Connection *conn, struct reply *r)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		r->len, r->body, r->owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		if (r->owned)
			free(r->body);
		return MHD_NO;
	}
	enum MHD_Result ok = MHD_YES;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type) !=
		    MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES)
		ok = MHD_NO;
	if (ok == MHD_YES && r->code == MHD_HTTP_METHOD_NOT_ALLOWED)
		ok = MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (ok == MHD_YES)
		ok = MHD_queue_response(conn, r->code, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* MHD_AccessHandlerCallback: the requests carry no body we read, so every request is
 * answered on its first call. url comes without the query string. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **req_cls)
{
	struct status_server *s = cls;
	struct reply r;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	answer(s, url, method, &r);
	return queue_reply(conn, &r);
}

/* MHD's own error messages (accept failures, ...) go to our log. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	log_warn(LOG_SCOPE, "libmicrohttpd: %s", line);
}

/* ---- driving MHD from the loop ---- */

static void schedule(struct status_server *s)
{
	MHD_UNSIGNED_LONG_LONG timeout_ms;

	if (MHD_get_timeout(s->mhd, &timeout_ms) != MHD_YES) {
		loop_timer_cancel(s->loop, &s->timer);
		return;
	}
	if (loop_timer_arm(s->loop, &s->timer, loop_now_us() + (uint64_t)timeout_ms * 1000u) < 0)
		log_warn(LOG_SCOPE, "status server: cannot arm its timer: out of memory");
}

static unsigned current_connections(struct status_server *s)
{
	const union MHD_DaemonInfo *info =
		MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return info != NULL ? info->num_connections : 0;
}

/* CPU time of this thread: tells a slow run from a run the scheduler preempted. */
static uint64_t thread_cpu_us(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* At CONNECTION_LIMIT, MHD takes its listening socket out of its epoll set; it puts it back
 * at the start of the MHD_run after the one that freed a slot. When nothing else is going on
 * (the last held connection just closed) no event would ever bring that run, and the server
 * would stop answering for good: so leaving the limit asks for one more run at once. */
static void run_mhd(struct status_server *s)
{
	uint64_t started = loop_now_us(), cpu_started = thread_cpu_us();
	if (MHD_run(s->mhd) != MHD_YES)
		log_warn(LOG_SCOPE, "status server: MHD_run failed");
	uint64_t took = loop_now_us() - started;
	if (took > SLOW_RUN_US)
		log_debug(LOG_SCOPE, "status server: MHD_run took %.1f ms, %.1f ms of CPU "
			  "(%u connections)", (double)took / 1000.0,
			  (double)(thread_cpu_us() - cpu_started) / 1000.0, current_connections(s));
	bool was_at_limit = s->at_limit;
	s->at_limit = current_connections(s) >= CONNECTION_LIMIT;
	if (was_at_limit && !s->at_limit) {
		if (loop_timer_arm(s->loop, &s->timer, loop_now_us()) == 0)
			return;
		log_warn(LOG_SCOPE, "status server: cannot arm its timer: out of memory");
	}
	schedule(s);
}

/* ---- the connection deadline ---- */

static void arm_deadline(struct status_server *s)
{
	for (struct conn_track *c = s->conns.next; c != &s->conns; c = c->next) {
		if (c->cut)
			continue;
		if (loop_timer_arm(s->loop, &s->deadline_timer,
				   c->accepted_us + CONNECTION_DEADLINE_US) < 0)
			log_warn(LOG_SCOPE, "status server: cannot arm its timer: out of memory");
		return;
	}
	loop_timer_cancel(s->loop, &s->deadline_timer);
}

/* Connections past their deadline are shut down; MHD sees the end of their stream on its
 * next run and closes them (MHD_CONNECTION_NOTIFY_CLOSED frees the track). */
static void on_deadline(struct loop *loop, void *arg)
{
	struct status_server *s = arg;
	uint64_t now = loop_now_us();
	unsigned cut = 0;

	(void)loop;
	for (struct conn_track *c = s->conns.next; c != &s->conns; c = c->next) {
		if (c->accepted_us + CONNECTION_DEADLINE_US > now)
			break; /* oldest first: the rest are younger */
		if (!c->cut && c->fd >= 0 && shutdown(c->fd, SHUT_RDWR) == 0)
			cut++;
		c->cut = true;
	}
	if (cut > 0)
		log_debug(LOG_SCOPE, "status server: %u connection(s) cut at their %u s deadline",
			  cut, CONNECTION_DEADLINE_US / 1000000u);
	arm_deadline(s);
	run_mhd(s);
}

/* MHD_NotifyConnectionCallback: every accepted connection is tracked until MHD closes it. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct status_server *s = cls;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct conn_track *c = *socket_context;
		if (c == NULL)
			return;
		c->prev->next = c->next;
		c->next->prev = c->prev;
		free(c);
		*socket_context = NULL;
		return;
	}
	struct conn_track *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return; /* not tracked: MHD's inactivity timeout still ends it */
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	c->fd = info != NULL ? info->connect_fd : -1;
	c->accepted_us = loop_now_us();
	c->prev = s->conns.prev;
	c->next = &s->conns;
	s->conns.prev->next = c;
	s->conns.prev = c;
	*socket_context = c;
	if (c->prev == &s->conns)
		arm_deadline(s); /* the only one: nothing armed yet */
}

static void on_epoll_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	run_mhd(arg);
}

static void on_timer(struct loop *loop, void *arg)
{
	(void)loop;
	run_mhd(arg);
}

/* ---- the listening socket ---- */

int status_addr_split(const char *addr, char *host, size_t host_len, uint16_t *port)
{
	const char *port_text;
	size_t n;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (close == NULL || close[1] != ':')
			return -EINVAL;
		n = (size_t)(close - addr - 1);
		if (n == 0 || n >= host_len || memchr(addr + 1, ':', n) == NULL)
			return -EINVAL; /* brackets hold an IPv6 address only */
		memcpy(host, addr + 1, n);
		port_text = close + 2;
	} else {
		const char *colon = strrchr(addr, ':');
		if (colon == NULL || memchr(addr, ':', (size_t)(colon - addr)) != NULL)
			return -EINVAL;
		n = (size_t)(colon - addr);
		if (n >= host_len)
			return -EINVAL;
		memcpy(host, addr, n);
		port_text = colon + 1;
	}
	host[n] = '\0';

	char *end;
	errno = 0;
	unsigned long value = strtoul(port_text, &end, 10);
	if (port_text[0] < '0' || port_text[0] > '9' || *end != '\0' || errno != 0 ||
	    value > 65535)
		return -EINVAL;
	*port = (uint16_t)value;
	return 0;
}

/* Resolves host (an address literal or a name: blocking, but only once at start, before the
 * loop runs); an empty host means every IPv4 address. */
static int resolve(const char *addr, const char *host, uint16_t port,
		   struct sockaddr_storage *out, socklen_t *out_len, char *err, size_t err_len)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV | (host[0] == '\0' ? AI_PASSIVE : 0) };
	struct addrinfo *res = NULL;
	char port_text[8];

	snprintf(port_text, sizeof(port_text), "%u", port);
	int rc = getaddrinfo(host[0] != '\0' ? host : NULL, port_text, &hints, &res);
	if (rc != 0) {
		snprintf(err, err_len, "status server %s: getaddrinfo: %s", addr, gai_strerror(rc));
		return -EINVAL;
	}
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*out_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int fail_errno(int fd, const char *addr, const char *call, char *err, size_t err_len)
{
	int e = errno;
	snprintf(err, err_len, "status server %s: %s: %s", addr, call, strerror(e));
	if (fd >= 0)
		close(fd);
	return -e;
}

static int open_listener(const char *addr, const struct sockaddr_storage *sa, socklen_t len,
			 char *err, size_t err_len)
{
	int one = 1;
	int fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail_errno(-1, addr, "socket", err, err_len);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		return fail_errno(fd, addr, "setsockopt(SO_REUSEADDR)", err, err_len);
	if (sa->ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		return fail_errno(fd, addr, "setsockopt(IPV6_V6ONLY)", err, err_len);
	if (bind(fd, (const struct sockaddr *)sa, len) < 0)
		return fail_errno(fd, addr, "bind", err, err_len);
	if (listen(fd, LISTEN_BACKLOG) < 0)
		return fail_errno(fd, addr, "listen", err, err_len);
	return fd;
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return 0;
	if (sa.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&sa)->sin_port);
}

/* ---- life cycle ---- */

/* MHD on the socket fd (bound for s->addr), driven by the loop. */
static int start_mhd(struct status_server *s, int fd, char *err, size_t err_len)
{
	const char *addr = s->addr;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (s->ipv6 ? MHD_USE_IPv6 : 0);

	/* the logger first, so that MHD never writes to stderr on its own */
	s->mhd = MHD_start_daemon(flags, s->port, NULL, NULL, on_request, s,
				  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_LIMIT, CONNECTION_LIMIT,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, PER_IP_LIMIT,
				  MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT_S,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_LIMIT,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				  MHD_OPTION_END);
	if (s->mhd == NULL) {
		/* Whether MHD closed the socket it was given on failure varies between
		 * versions; close it only when it is still open. */
		if (fcntl(fd, F_GETFD) >= 0)
			close(fd);
		snprintf(err, err_len, "status server %s: MHD_start_daemon failed%s%s", addr,
			 mhd_lazy_error()[0] != '\0' ? ": " : "", mhd_lazy_error());
		return -EIO;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	if (info == NULL) {
		snprintf(err, err_len, "status server %s: libmicrohttpd has no epoll fd", addr);
		return -EIO;
	}
	int rc = loop_io_add(s->loop, info->epoll_fd, EPOLLIN, on_epoll_ready, s);
	if (rc < 0) {
		snprintf(err, err_len, "status server %s: loop_io_add: %s", addr, strerror(-rc));
		return rc;
	}
	s->epoll_fd = info->epoll_fd;
	return 0;
}

/* The first connection is waiting: MHD takes the socket over and accepts it. */
static void on_first_connection(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct status_server *s = arg;
	char err[sizeof(s->addr) + STATUS_ERR_LEN];

	(void)events;
	loop_io_remove(loop, fd);
	s->listen_fd = -1;
	if (start_mhd(s, fd, err, sizeof(err)) < 0) {
		log_error(LOG_SCOPE, "%s; the status server is off", err);
		return;
	}
	run_mhd(s);
}

int status_server_start(struct loop *loop, const char *addr, status_view_fn get_view,
			void *arg, struct status_server **out, char *err, size_t err_len)
{
	char host[HOST_LEN];
	struct sockaddr_storage sa;
	socklen_t sa_len;
	uint16_t port;

	if (status_addr_split(addr, host, sizeof(host), &port) < 0) {
		snprintf(err, err_len, "status server %s: not HOST:PORT or [IPv6]:PORT", addr);
		return -EINVAL;
	}
	int rc = resolve(addr, host, port, &sa, &sa_len, err, err_len);
	if (rc < 0)
		return rc;

	struct status_server *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, err_len, "status server %s: out of memory", addr);
		return -ENOMEM;
	}
	*s = (struct status_server){ .loop = loop, .listen_fd = -1, .epoll_fd = -1,
				     .ipv6 = sa.ss_family == AF_INET6, .get_view = get_view,
				     .arg = arg };
	snprintf(s->addr, sizeof(s->addr), "%s", addr);
	loop_timer_init(&s->timer, on_timer, s);
	loop_timer_init(&s->deadline_timer, on_deadline, s);
	s->conns.prev = s->conns.next = &s->conns;

	int fd = open_listener(addr, &sa, sa_len, err, err_len);
	if (fd < 0) {
		free(s);
		return fd;
	}
	s->port = bound_port(fd);
	rc = loop_io_add(loop, fd, EPOLLIN, on_first_connection, s);
	if (rc < 0) {
		snprintf(err, err_len, "status server %s: loop_io_add: %s", addr, strerror(-rc));
		close(fd);
		free(s);
		return rc;
	}
	s->listen_fd = fd;
	*out = s;
	return 0;
}

uint16_t status_server_port(const struct status_server *s)
{
	return s->port;
}

void status_server_free(struct status_server *s)
{
	if (s == NULL)
		return;
	loop_timer_cancel(s->loop, &s->timer);
	loop_timer_cancel(s->loop, &s->deadline_timer);
	if (s->listen_fd >= 0) { /* MHD never started */
		loop_io_remove(s->loop, s->listen_fd);
		close(s->listen_fd);
	}
	if (s->epoll_fd >= 0)
		loop_io_remove(s->loop, s->epoll_fd);
	if (s->mhd != NULL)
		MHD_stop_daemon(s->mhd);  /* closes the listening socket and every connection */
	while (s->conns.next != &s->conns) { /* MHD_stop_daemon notified them closed already */
		struct conn_track *c = s->conns.next;
		s->conns.next = c->next;
		free(c);
	}
	free(s);
}
