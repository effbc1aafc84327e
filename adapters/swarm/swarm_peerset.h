/* swarm_peerset.h — the document a manager's keepvip serves to the workers' keepvips, and the
 * request that asks for it (pure: text in, structs out; no I/O, no clock).
 *
 * Why it exists: a worker's engine answers /nodes and /tasks with 503 (reference §2), so a
 * worker cannot see the swarm. A manager's keepvip can; it serves the node addresses of the
 * peer set — and nothing else — on its node address:
 *
 *   GET /swarm/peers[?wait=S&version=V]
 *   200 {"version":"9f3c...","peers":["10.0.0.11","10.0.0.12"]}
 *
 * The version is a hash of the sorted addresses, so two managers that see the same set give
 * the same version and a worker that changes manager is not woken for nothing. With wait=S
 * (1..SWARM_PEERSET_MAX_WAIT_S) and version=V equal to the current one, the answer is held
 * until the set changes or S seconds have passed (a long poll). */
#ifndef KEEPVIP_SWARM_PEERSET_H
#define KEEPVIP_SWARM_PEERSET_H

#include "adapter.h"
#include "ipaddr.h"

#include <stddef.h>

#define SWARM_PEERSET_PATH "/swarm/peers"
#define SWARM_PEERSET_VERSION_LEN 17    /* 16 hex digits */
#define SWARM_PEERSET_MAX_WAIT_S 120u
/* The whole document at ADAPTER_MAX_PEERS IPv6 addresses fits. */
#define SWARM_PEERSET_DOC_MAX (64u + ADAPTER_MAX_PEERS * (IP_ADDR_STRLEN + 3u))

struct swarm_peerset {
	struct ip_addr peers[ADAPTER_MAX_PEERS];
	size_t n;
	char version[SWARM_PEERSET_VERSION_LEN];
};

/* Fills set from a discovery's peers (sorted, unique) and computes its version. */
void swarm_peerset_from(struct swarm_peerset *set, const struct ip_addr *peers, size_t n);

/* The JSON document into buf. Its length, or -ENOSPC. */
int swarm_peerset_render(const struct swarm_peerset *set, char *buf, size_t len);

/* A document back into set (the version as given). 0, or -EBADMSG with err. */
int swarm_peerset_parse(const char *body, size_t len, struct swarm_peerset *set, char *err,
			size_t err_len);

/* A request head (request line and headers, up to the blank line), as served. */
struct swarm_peerset_request {
	unsigned wait_s;                          /* 0: answer at once */
	char version[SWARM_PEERSET_VERSION_LEN];  /* "" when not given */
};

/* 200 when it asks for the document (request filled), else the status to answer with:
 * 400 (malformed), 404 (another path), 405 (not GET). */
int swarm_peerset_parse_request(const char *head, size_t len, struct swarm_peerset_request *req);

#endif
