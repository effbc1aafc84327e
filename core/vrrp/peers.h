/* peers.h — a set of unicast peers: normalised (sorted, no duplicates), own addresses dropped,
 * compared so that a change can be logged as "+10.0.0.13 -10.0.0.12". Pure. */
#ifndef KEEPVIP_PEERS_H
#define KEEPVIP_PEERS_H

#include "ipaddr.h"

#include <stdbool.h>
#include <stddef.h>

#define PEERS_MAX 256

struct peer_set {
	struct ip_addr addrs[PEERS_MAX];
	size_t n;
};

/* Builds a normalised set from addrs: keeps only family (0 = any), drops unset addresses and
 * any address equal to one of own[0..n_own), sorts, removes duplicates. addrs must not point
 * into *out. Returns 0, or -E2BIG past PEERS_MAX (then out->n is 0). */
int peer_set_build(struct peer_set *out, const struct ip_addr *addrs, size_t n,
		   sa_family_t family, const struct ip_addr *own, size_t n_own);

bool peer_set_contains(const struct peer_set *set, const struct ip_addr *addr);
bool peer_set_equal(const struct peer_set *a, const struct peer_set *b);

/* Writes "+A +B -C" (added then removed) into buf; "" when equal. Returns buf. A text that
 * does not fit keeps whole addresses and ends in "...". */
const char *peer_set_diff_str(const struct peer_set *old, const struct peer_set *new_set,
			      char *buf, size_t len);

/* Writes "A,B,C" into buf. Returns buf. */
const char *peer_set_str(const struct peer_set *set, char *buf, size_t len);

#endif
