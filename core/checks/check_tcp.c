/* check_tcp.c — TCP check: a non-blocking connect to 127.0.0.1:PORT (the local load
 * balancer); healthy when the connection is established, which is then closed at once. */
#include "check_kind.h"

#include "loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct tcp_probe {
	int fd;
	check_probe_done_fn done;
	void *arg;
};

static void tcp_describe(const struct check_settings *s, char *buf, size_t len)
{
	snprintf(buf, len, "tcp:%u", (unsigned)s->port);
}

static void tcp_probe_release(struct loop *loop, struct tcp_probe *p)
{
	loop_io_remove(loop, p->fd);
	close(p->fd);
	free(p);
}

/* The socket became writable (or failed): SO_ERROR tells which. */
static void on_connect_done(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct tcp_probe *p = arg;
	check_probe_done_fn done = p->done;
	void *done_arg = p->arg;
	int so_error = 0;
	socklen_t so_len = sizeof(so_error);

	(void)events;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len) < 0)
		so_error = errno;
	tcp_probe_release(loop, p);
	done(done_arg, so_error == 0, so_error == 0 ? NULL : strerror(so_error));
}

static int tcp_start(const struct check_env *env, const struct check_settings *s,
		     check_probe_done_fn done, void *arg, void **probe, char *err, size_t err_len)
{
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(s->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct tcp_probe *p = calloc(1, sizeof(*p));
	int rc;

	if (p == NULL) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	*p = (struct tcp_probe){ .fd = -1, .done = done, .arg = arg };
	p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		rc = -errno;
		snprintf(err, err_len, "socket: %s", strerror(-rc));
		goto fail;
	}
	/* On loopback connect may finish at once (0) or be refused at once: a refusal is
	 * reported by start, an immediate success by the writable event like a late one. */
	if (connect(p->fd, (const struct sockaddr *)&to, sizeof(to)) < 0 && errno != EINPROGRESS) {
		rc = -errno;
		snprintf(err, err_len, "%s", strerror(-rc));
		goto fail;
	}
	rc = loop_io_add(env->loop, p->fd, EPOLLOUT, on_connect_done, p);
	if (rc < 0) {
		snprintf(err, err_len, "loop_io_add: %s", strerror(-rc));
		goto fail;
	}
	*probe = p;
	return 0;
fail:
	if (p->fd >= 0)
		close(p->fd);
	free(p);
	return rc;
}

static void tcp_cancel(const struct check_env *env, void *probe)
{
	tcp_probe_release(env->loop, probe);
}

const struct check_kind_ops check_tcp_ops = {
	.name = "tcp",
	.describe = tcp_describe,
	.start = tcp_start,
	.cancel = tcp_cancel,
};
