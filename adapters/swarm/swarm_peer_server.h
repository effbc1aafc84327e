/* swarm_peer_server.h — the read-only HTTP responder a manager's keepvip runs on the loop, so
 * that the keepvips on workers (whose engine cannot list the swarm) get the same peer set.
 *
 * It answers one thing, GET /swarm/peers (swarm_peerset.h: the node addresses of the peer set
 * and their version, with an optional long poll), and nothing else: no engine data, no
 * settings. Bounded: SWARM_PEER_SERVER_MAX_CONNS connections at once (more are closed at
 * accept), a request head of at most 1 KiB read within 5 s, one answer per connection
 * (Connection: close), a held long poll at most SWARM_PEERSET_MAX_WAIT_S. Never blocks. */
#ifndef KEEPVIP_SWARM_PEER_SERVER_H
#define KEEPVIP_SWARM_PEER_SERVER_H

#include "ipaddr.h"
#include "swarm_peerset.h"

#include <stddef.h>
#include <stdint.h>

#define SWARM_PEER_SERVER_MAX_CONNS 64

struct loop;
struct swarm_peer_server;

/* Listens on addr:port (SO_REUSEADDR). Until the first swarm_peer_server_set it answers 503.
 * 0 and *out, or negative errno with err ("bind 10.0.0.1:9651: Address in use"). */
int swarm_peer_server_new(struct loop *loop, const struct ip_addr *addr, uint16_t port,
			  struct swarm_peer_server **out, char *err, size_t err_len);

/* The set to serve from now on; held long polls whose version differs are answered now. */
void swarm_peer_server_set(struct swarm_peer_server *s, const struct swarm_peerset *set);

/* Requests answered since start (for tests and logs). */
uint64_t swarm_peer_server_answers(const struct swarm_peer_server *s);

/* Closes the listener and every connection. Accepts NULL. */
void swarm_peer_server_free(struct swarm_peer_server *s);

#endif
