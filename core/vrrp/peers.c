/* peers.c — normalised unicast peer sets: sorted by ip_addr_cmp, no duplicate, no own
 * address, one family. A sorted set makes equality a plain walk and the change log line
 * ("+10.0.0.13 -10.0.0.12") one merge. */
#include "peers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Position where addr is or would be inserted; *found tells which. */
static size_t lower_bound(const struct peer_set *set, const struct ip_addr *addr, bool *found)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ip_addr_cmp(&set->addrs[mid], addr) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < set->n && ip_addr_equal(&set->addrs[lo], addr);
	return lo;
}

static bool is_own(const struct ip_addr *addr, const struct ip_addr *own, size_t n_own)
{
	for (size_t i = 0; i < n_own; i++)
		if (ip_addr_equal(addr, &own[i]))
			return true;
	return false;
}

static bool wanted(const struct ip_addr *addr, sa_family_t family, const struct ip_addr *own,
		   size_t n_own)
{
	if (addr->family != AF_INET && addr->family != AF_INET6)
		return false; /* unset: nothing to talk to */
	if (family != 0 && addr->family != family)
		return false;
	return !is_own(addr, own, n_own);
}

int peer_set_build(struct peer_set *out, const struct ip_addr *addrs, size_t n,
		   sa_family_t family, const struct ip_addr *own, size_t n_own)
{
	out->n = 0;
	for (size_t i = 0; i < n; i++) {
		bool found;
		if (!wanted(&addrs[i], family, own, n_own))
			continue;
		size_t at = lower_bound(out, &addrs[i], &found);
		if (found)
			continue;
		if (out->n == PEERS_MAX) {
			out->n = 0;
			return -E2BIG;
		}
		memmove(&out->addrs[at + 1], &out->addrs[at], (out->n - at) * sizeof(out->addrs[0]));
		out->addrs[at] = addrs[i];
		out->n++;
	}
	return 0;
}

bool peer_set_contains(const struct peer_set *set, const struct ip_addr *addr)
{
	bool found;

	lower_bound(set, addr, &found);
	return found;
}

bool peer_set_equal(const struct peer_set *a, const struct peer_set *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!ip_addr_equal(&a->addrs[i], &b->addrs[i]))
			return false;
	return true;
}

/* Appends sep + sign + address when it fits whole; else marks the text cut with "...". */
struct text_out {
	char *buf;
	size_t len, used;
	bool cut;
};

static void append_addr(struct text_out *t, const char *sep, const char *sign,
			const struct ip_addr *addr)
{
	char ip[IP_ADDR_STRLEN];
	const char *prefix = t->used > 0 ? sep : "";

	if (t->cut)
		return;
	ip_addr_str(addr, ip);
	size_t need = strlen(prefix) + strlen(sign) + strlen(ip);
	if (t->used + need < t->len) {
		t->used += (size_t)snprintf(t->buf + t->used, t->len - t->used, "%s%s%s", prefix,
					    sign, ip);
		return;
	}
	/* cut: drop whole addresses until sep + "..." fits, so the text never ends mid-address
	 * and always shows that it was cut */
	t->cut = true;
	while (t->used > 0 && t->used + strlen(sep) + 3 >= t->len) {
		const char *last = memrchr(t->buf, sep[0], t->used);
		t->used = last ? (size_t)(last - t->buf) : 0;
	}
	prefix = t->used > 0 ? sep : "";
	if (t->used + strlen(prefix) + 3 < t->len)
		t->used += (size_t)snprintf(t->buf + t->used, t->len - t->used, "%s...", prefix);
	t->buf[t->used] = '\0';
}

/* The addresses of from that are missing in other, each written as sign + address. */
static void append_missing(struct text_out *t, const struct peer_set *from,
			   const struct peer_set *other, const char *sign)
{
	for (size_t i = 0; i < from->n; i++)
		if (!peer_set_contains(other, &from->addrs[i]))
			append_addr(t, " ", sign, &from->addrs[i]);
}

const char *peer_set_diff_str(const struct peer_set *old, const struct peer_set *new_set,
			      char *buf, size_t len)
{
	struct text_out t = { .buf = buf, .len = len };

	if (len == 0)
		return buf;
	buf[0] = '\0';
	append_missing(&t, new_set, old, "+");
	append_missing(&t, old, new_set, "-");
	return buf;
}

const char *peer_set_str(const struct peer_set *set, char *buf, size_t len)
{
	struct text_out t = { .buf = buf, .len = len };

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < set->n; i++)
		append_addr(&t, ",", "", &set->addrs[i]);
	return buf;
}
