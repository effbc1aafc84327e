/* status_server.h — the HTTP status server (KEEPVIP_STATUS_ADDR), built on libmicrohttpd and
 * driven by the project's event loop: the socket is bound at start, MHD is loaded and started
 * on it when the first connection arrives; it runs without threads of its own (MHD_USE_EPOLL,
 * external polling); its epoll fd is watched with loop_io_add and its timeouts run on one
 * loop_timer, so nothing blocks the loop.
 *
 * Endpoints (GET and HEAD; other methods get 405, other paths 404):
 *   /healthz  200 "ok" — answering at all proves the loop turns
 *   /readyz   200 "ready" when the view says ready (settings loaded, sockets open), else 503
 *   /status   the JSON document of status_render.h
 *   /metrics  the Prometheus text of status_render.h
 * The view is asked for (get_view) on every request that needs it and rendered at once. */
#ifndef KEEPVIP_STATUS_SERVER_H
#define KEEPVIP_STATUS_SERVER_H

#include "status_render.h"

#include <stddef.h>
#include <stdint.h>

struct loop;
struct status_server;

/* Returns the snapshot to render, valid until the callback is called again or the loop turns;
 * NULL when there is nothing to show yet (/readyz, /status and /metrics then answer 503). */
typedef const struct status_view *(*status_view_fn)(void *arg);

#define STATUS_ERR_LEN 256

/* Listens on addr: "HOST:PORT" with HOST an IPv4 address, a host name (resolved once, here,
 * before the loop runs) or "[IPv6]"; PORT 0 picks a free port (status_server_port tells).
 * Returns 0 and *out, or negative errno with a message in err naming the address and the
 * failing call ("status server 127.0.0.1:9650: bind: Address already in use"). */
int status_server_start(struct loop *loop, const char *addr, status_view_fn get_view,
			void *arg, struct status_server **out, char *err, size_t err_len);

/* The port actually bound. */
uint16_t status_server_port(const struct status_server *s);

/* Stops listening, closes every connection, removes the fd and the timer from the loop.
 * Accepts NULL. */
void status_server_free(struct status_server *s);

/* Splits "HOST:PORT" / "[V6]:PORT" into host (without brackets) and port. Returns 0 or
 * -EINVAL. Shared with the client (status_client.c). */
int status_addr_split(const char *addr, char *host, size_t host_len, uint16_t *port);

#endif
