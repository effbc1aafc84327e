/* swarm_peer_server.c — GET /swarm/peers on the loop (see swarm_peer_server.h). */
#include "swarm_peer_server.h"

#include "loop.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX 1024u
#define READ_TIMEOUT_MS 5000u
#define WRITE_TIMEOUT_MS 5000u
#define OUT_MAX (SWARM_PEERSET_DOC_MAX + 256u)

struct conn {
	struct swarm_peer_server *srv;
	int fd;                /* -1: free slot */
	char in[HEAD_MAX];
	size_t in_len;
	bool holding;          /* a long poll waiting for another version */
	char version[SWARM_PEERSET_VERSION_LEN];
	char *out;             /* the whole answer, while it is written */
	size_t out_len, out_off;
	struct loop_timer timer; /* read, hold or write deadline */
};

struct swarm_peer_server {
	struct loop *loop;
	int fd;
	bool has_set;
	struct swarm_peerset set;
	char doc[SWARM_PEERSET_DOC_MAX];
	int doc_len;
	uint64_t answers;
	struct conn conns[SWARM_PEER_SERVER_MAX_CONNS];
};

static void conn_close(struct conn *c)
{
	if (c->fd < 0)
		return;
	loop_io_remove(c->srv->loop, c->fd);
	loop_timer_cancel(c->srv->loop, &c->timer);
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
	c->holding = false;
}

/* Writes what the socket takes; closes once all of it is out (or the peer is gone). */
static void conn_flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			loop_io_modify(c->srv->loop, c->fd, EPOLLOUT);
			return;
		}
		if (n <= 0)
			break;
		c->out_off += (size_t)n;
	}
	conn_close(c);
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 431: return "Request Header Fields Too Large";
	default: return "Service Unavailable";
	}
}

/* The one completion point of a connection: its answer, then close. */
static void conn_answer(struct conn *c, int status)
{
	struct swarm_peer_server *s = c->srv;
	char msg[96];
	const char *body = msg;
	int body_len;

	if (status == 200 && s->has_set) {
		body = s->doc;
		body_len = s->doc_len;
	} else {
		if (status == 200)
			status = 503;
		body_len = snprintf(msg, sizeof(msg), "{\"message\":\"%s\"}\n",
				    status == 503 ? "no peer set yet" : reason(status));
	}
	c->holding = false;
	c->out = malloc(OUT_MAX);
	if (c->out == NULL) {
		conn_close(c);
		return;
	}
	int n = snprintf(c->out, OUT_MAX,
			 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %d\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
			 "%.*s", status, reason(status), body_len, body_len, body);
	c->out_len = n > 0 && (size_t)n < OUT_MAX ? (size_t)n : 0;
	c->out_off = 0;
	s->answers++;
	loop_timer_arm(s->loop, &c->timer, loop_now_us() + WRITE_TIMEOUT_MS * 1000ull);
	conn_flush(c);
}

static void on_conn_timer(struct loop *loop, void *arg)
{
	(void)loop;
	struct conn *c = arg;
	if (c->holding)
		conn_answer(c, 200); /* the long poll's wait is over: the same set */
	else
		conn_close(c);   /* too slow to send its head, or to read our answer */
}

/* The head is complete: answer it, or hold it (a long poll on the current version). */
static void conn_request(struct conn *c)
{
	struct swarm_peer_server *s = c->srv;
	struct swarm_peerset_request req;
	int status = swarm_peerset_parse_request(c->in, c->in_len, &req);

	if (status == 200 && s->has_set && req.wait_s > 0 &&
	    strcmp(req.version, s->set.version) == 0) {
		c->holding = true;
		snprintf(c->version, sizeof(c->version), "%s", req.version);
		loop_timer_arm(s->loop, &c->timer, loop_now_us() + req.wait_s * 1000000ull);
		return;
	}
	conn_answer(c, status);
}

static void on_conn_io(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)fd;
	struct conn *c = arg;
	char sink[256];

	if (c->out != NULL) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			conn_flush(c);
		return;
	}
	if (c->holding) { /* only the end of the connection matters now */
		ssize_t n = recv(c->fd, sink, sizeof(sink), 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			conn_close(c);
		return;
	}
	ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len - 1, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	if (strstr(c->in, "\r\n\r\n") != NULL || strstr(c->in, "\n\n") != NULL)
		conn_request(c);
	else if (c->in_len + 1 >= sizeof(c->in))
		conn_answer(c, 431);
}

static struct conn *free_slot(struct swarm_peer_server *s)
{
	for (size_t i = 0; i < SWARM_PEER_SERVER_MAX_CONNS; i++)
		if (s->conns[i].fd < 0)
			return &s->conns[i];
	return NULL;
}

static void on_accept(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)events;
	struct swarm_peer_server *s = arg;

	for (;;) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return; /* EAGAIN, or an aborted connection: the next one will come */
		struct conn *c = free_slot(s);
		if (c == NULL || loop_io_add(loop, cfd, EPOLLIN, on_conn_io, c) < 0) {
			close(cfd); /* the bound on connections */
			continue;
		}
		c->fd = cfd;
		c->in_len = 0;
		c->holding = false;
		loop_timer_arm(loop, &c->timer, loop_now_us() + READ_TIMEOUT_MS * 1000ull);
	}
}

static int listen_on(const struct ip_addr *addr, uint16_t port, char *err, size_t err_len)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	char text[IP_ADDR_STRLEN];
	int one = 1, fd, rc;

	if (addr->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		a->sin6_addr = addr->v6;
		sl = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr = addr->v4;
		sl = sizeof(*a);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, err_len, "socket: %s", strerror(errno));
		return rc;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 32) < 0) {
		rc = -errno;
		snprintf(err, err_len, "listen on %s%s%s:%u: %s", addr->family == AF_INET6 ? "[" : "",
			 ip_addr_str(addr, text), addr->family == AF_INET6 ? "]" : "", port,
			 strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

int swarm_peer_server_new(struct loop *loop, const struct ip_addr *addr, uint16_t port,
			  struct swarm_peer_server **out, char *err, size_t err_len)
{
	struct swarm_peer_server *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL) {
		snprintf(err, err_len, "peer server: out of memory");
		return -ENOMEM;
	}
	s->loop = loop;
	for (size_t i = 0; i < SWARM_PEER_SERVER_MAX_CONNS; i++) {
		s->conns[i].fd = -1;
		s->conns[i].srv = s;
		loop_timer_init(&s->conns[i].timer, on_conn_timer, &s->conns[i]);
	}
	s->fd = listen_on(addr, port, err, err_len);
	if (s->fd < 0) {
		rc = s->fd;
		free(s);
		return rc;
	}
	rc = loop_io_add(loop, s->fd, EPOLLIN, on_accept, s);
	if (rc < 0) {
		snprintf(err, err_len, "peer server: loop: %s", strerror(-rc));
		close(s->fd);
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void swarm_peer_server_set(struct swarm_peer_server *s, const struct swarm_peerset *set)
{
	int n = swarm_peerset_render(set, s->doc, sizeof(s->doc));
	if (n < 0)
		return; /* cannot happen: the document is sized for ADAPTER_MAX_PEERS */
	s->set = *set;
	s->doc_len = n;
	s->has_set = true;
	for (size_t i = 0; i < SWARM_PEER_SERVER_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];
		if (c->fd >= 0 && c->holding && strcmp(c->version, set->version) != 0)
			conn_answer(c, 200);
	}
}

uint64_t swarm_peer_server_answers(const struct swarm_peer_server *s)
{
	return s->answers;
}

void swarm_peer_server_free(struct swarm_peer_server *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < SWARM_PEER_SERVER_MAX_CONNS; i++)
		conn_close(&s->conns[i]);
	loop_io_remove(s->loop, s->fd);
	close(s->fd);
	free(s);
}
