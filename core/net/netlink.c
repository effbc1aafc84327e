/* netlink.c — links and addresses through rtnetlink with libnl-3 / libnl-route-3.
 *
 * Ownership: every libnl object got here (socket, cache, link, addr, nl_addr) is put or
 * freed on every path before the function returns; objects taken from a cache with
 * nl_cache_get_first/next are borrowed and never put. */
#include "netlink.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#define NL_WATCH_DATAGRAMS_PER_DRAIN 64
#define NL_WATCH_RCVBUF (256 * 1024)

struct nl_ctx {
	struct nl_sock *sock;
	char err[NL_ERR_LEN];
};

struct nl_link_watch {
	struct nl_sock *sock;
	nl_link_event_fn fn;
	void *arg;
};

/* libnl's error codes back to the errno the kernel (or libc) gave; nl_syserr2nlerr() in
 * libnl's lib/error.c is the forward direction. Unlisted codes become EIO. */
static const int nle_to_errno[NLE_MAX + 1] = {
	[NLE_INTR] = EINTR,
	[NLE_BAD_SOCK] = EBADF,
	[NLE_AGAIN] = EAGAIN,
	[NLE_NOMEM] = ENOMEM,
	[NLE_EXIST] = EEXIST,
	[NLE_INVAL] = EINVAL,
	[NLE_RANGE] = ERANGE,
	[NLE_MSGSIZE] = EMSGSIZE,
	[NLE_OPNOTSUPP] = EOPNOTSUPP,
	[NLE_AF_NOSUPPORT] = EAFNOSUPPORT,
	[NLE_OBJ_NOTFOUND] = ENOENT,
	[NLE_NOADDR] = EADDRNOTAVAIL,
	[NLE_BUSY] = EBUSY,
	[NLE_PROTO_MISMATCH] = EPROTONOSUPPORT,
	[NLE_NOACCESS] = EACCES,
	[NLE_PERM] = EPERM,
	[NLE_NODEV] = ENODEV,
};

static int errno_from_nle(int nle)
{
	int code = nle < 0 ? -nle : nle;

	if (code <= NLE_MAX && nle_to_errno[code] != 0)
		return nle_to_errno[code];
	return EIO;
}

/* The text for a libnl failure: the errno's own words when it maps to one ("File exists"),
 * else libnl's. */
static const char *nle_text(int nle)
{
	int e = errno_from_nle(nle);

	return e == EIO ? nl_geterror(nle) : strerror(e);
}

static void set_err(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* Hands the message of the call that just failed to its caller; returns rc. */
static int report(const struct nl_ctx *ctx, int rc, char *err, size_t err_len)
{
	if (rc < 0)
		set_err(err, err_len, "%s", ctx->err);
	return rc;
}

/* "eth0", or "ifindex 7" when the link has no name (any more). */
static const char *link_label(int ifindex, char buf[IF_NAMESIZE + 16])
{
	char name[IF_NAMESIZE];

	if (ifindex > 0 && if_indextoname((unsigned)ifindex, name) != NULL)
		snprintf(buf, IF_NAMESIZE + 16, "%s", name);
	else
		snprintf(buf, IF_NAMESIZE + 16, "ifindex %d", ifindex);
	return buf;
}

/* Records "netlink: VERB ADDR/PREFIX on LINK: REASON" and returns -errno. */
static int addr_fail(struct nl_ctx *ctx, const char *verb, int ifindex, const struct ip_addr *a,
		     unsigned prefix, int nle)
{
	char addr[IP_ADDR_STRLEN], link[IF_NAMESIZE + 16];

	set_err(ctx->err, sizeof(ctx->err), "netlink: %s %s/%u on %s: %s", verb,
		ip_addr_str(a, addr), prefix, link_label(ifindex, link), nle_text(nle));
	return -errno_from_nle(nle);
}

/* ---- context --------------------------------------------------------------------------- */

int nl_ctx_open(struct nl_ctx **out, char *err, size_t err_len)
{
	struct nl_ctx *ctx = calloc(1, sizeof(*ctx));
	int rc;

	*out = NULL;
	if (ctx == NULL) {
		set_err(err, err_len, "netlink: open: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	ctx->sock = nl_socket_alloc();
	if (ctx->sock == NULL) {
		set_err(err, err_len, "netlink: open: %s", strerror(ENOMEM));
		nl_ctx_close(ctx);
		return -ENOMEM;
	}
	rc = nl_connect(ctx->sock, NETLINK_ROUTE);
	if (rc < 0) {
		set_err(err, err_len, "netlink: connect NETLINK_ROUTE: %s", nle_text(rc));
		nl_ctx_close(ctx);
		return -errno_from_nle(rc);
	}
	*out = ctx;
	return 0;
}

void nl_ctx_close(struct nl_ctx *ctx)
{
	if (ctx == NULL)
		return;
	nl_socket_free(ctx->sock); /* closes it; accepts NULL */
	free(ctx);
}

const char *nl_ctx_error(const struct nl_ctx *ctx)
{
	return ctx->err;
}

/* ---- conversions ----------------------------------------------------------------------- */

/* A libnl address built from ours, or NULL (out of memory). The caller puts it. */
static struct nl_addr *nl_addr_from(const struct ip_addr *a, unsigned prefix)
{
	struct nl_addr *na = nl_addr_build(a->family, a->bytes, ip_addr_len(a));

	if (na != NULL)
		nl_addr_set_prefixlen(na, (int)prefix);
	return na;
}

/* Ours from a libnl address; false when it is not a whole IPv4/IPv6 address. */
static bool ip_addr_from_nl(const struct nl_addr *na, struct ip_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (na == NULL)
		return false;
	int family = nl_addr_get_family(na);
	size_t want = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
	if (want == 0 || nl_addr_get_len(na) != want)
		return false;
	out->family = (sa_family_t)family;
	memcpy(out->bytes, nl_addr_get_binary_addr(na), want);
	return true;
}

static bool addr_entry_from(struct rtnl_addr *ra, struct nl_addr_entry *out)
{
	if (!ip_addr_from_nl(rtnl_addr_get_local(ra), &out->addr))
		return false;
	out->prefix = (uint8_t)rtnl_addr_get_prefixlen(ra);
	out->ifindex = rtnl_addr_get_ifindex(ra);
	out->flags = rtnl_addr_get_flags(ra);
	out->scope = (uint8_t)rtnl_addr_get_scope(ra);
	out->secondary = (out->flags & IFA_F_SECONDARY) != 0;
	out->link_local = out->scope == RT_SCOPE_LINK;
	return true;
}

/* ---- links ----------------------------------------------------------------------------- */

static void link_info_from(struct rtnl_link *link, struct nl_link_info *out)
{
	struct nl_addr *hw = rtnl_link_get_addr(link); /* borrowed */
	unsigned flags = rtnl_link_get_flags(link);
	const char *name = rtnl_link_get_name(link);

	memset(out, 0, sizeof(*out));
	out->ifindex = rtnl_link_get_ifindex(link);
	snprintf(out->name, sizeof(out->name), "%s", name ? name : "");
	if (hw != NULL && nl_addr_get_len(hw) == sizeof(out->mac)) {
		memcpy(out->mac, nl_addr_get_binary_addr(hw), sizeof(out->mac));
		out->has_mac = true;
	}
	out->up = (flags & IFF_UP) != 0;
	out->running = (flags & IFF_RUNNING) != 0;
	out->mtu = rtnl_link_get_mtu(link);
}

static int link_info(struct nl_ctx *ctx, const char *ifname, struct nl_link_info *out)
{
	struct rtnl_link *link = NULL;

	if (ifname == NULL || ifname[0] == '\0' || strlen(ifname) >= IF_NAMESIZE) {
		set_err(ctx->err, sizeof(ctx->err), "netlink: link \"%s\": %s",
			ifname ? ifname : "", strerror(EINVAL));
		return -EINVAL;
	}
	int rc = rtnl_link_get_kernel(ctx->sock, 0, ifname, &link);
	if (rc < 0) {
		int e = errno_from_nle(rc);
		if (e == ENOENT)
			e = ENODEV; /* older kernels answer ENODEV, newer ones may say ENOENT */
		set_err(ctx->err, sizeof(ctx->err), "netlink: link %s: %s", ifname, strerror(e));
		return -e;
	}
	link_info_from(link, out);
	rtnl_link_put(link);
	return 0;
}

/* Longest-prefix subnet match among the addresses of vip's family, skipping loopback links
 * and host-length addresses. Returns the ifindex, 0 when none holds it. */
static int link_holding_subnet(struct nl_cache *addrs, struct nl_cache *links,
			       const struct ip_addr *vip)
{
	unsigned host_len = vip->family == AF_INET ? 32 : 128;
	int best_ifindex = 0, best_prefix = -1;

	for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct nl_addr_entry e;
		if (!addr_entry_from((struct rtnl_addr *)o, &e) || e.addr.family != vip->family)
			continue;
		if (e.prefix >= host_len || (int)e.prefix <= best_prefix)
			continue;
		struct rtnl_link *link = rtnl_link_get(links, e.ifindex);
		bool loopback = link != NULL && (rtnl_link_get_flags(link) & IFF_LOOPBACK);
		rtnl_link_put(link);
		if (loopback || !ip_addr_in_subnet(vip, &e.addr, e.prefix))
			continue;
		best_ifindex = e.ifindex;
		best_prefix = e.prefix;
	}
	return best_ifindex;
}

/* The main table's default unicast route of the family with the lowest metric: its first
 * next hop's ifindex, 0 when there is none. */
static int link_of_default_route(struct nl_cache *routes, sa_family_t family)
{
	int best_ifindex = 0;
	uint32_t best_metric = UINT32_MAX;

	for (struct nl_object *o = nl_cache_get_first(routes); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct nl_addr *dst = rtnl_route_get_dst(r);
		if (rtnl_route_get_family(r) != family || rtnl_route_get_table(r) != RT_TABLE_MAIN ||
		    rtnl_route_get_type(r) != RTN_UNICAST)
			continue;
		if (dst != NULL && nl_addr_get_prefixlen(dst) != 0)
			continue;
		if (rtnl_route_get_nnexthops(r) < 1)
			continue;
		int ifindex = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0));
		uint32_t metric = rtnl_route_get_priority(r);
		if (ifindex > 0 && (best_ifindex == 0 || metric < best_metric)) {
			best_ifindex = ifindex;
			best_metric = metric;
		}
	}
	return best_ifindex;
}

static int find_for_addr(struct nl_ctx *ctx, const struct ip_addr *vip, char ifname[IF_NAMESIZE])
{
	struct nl_cache *links = NULL, *addrs = NULL, *routes = NULL;
	char text[IP_ADDR_STRLEN];
	const char *step = "links";
	int ifindex = 0;
	int rc;

	ip_addr_str(vip, text);
	if (vip->family != AF_INET && vip->family != AF_INET6) {
		set_err(ctx->err, sizeof(ctx->err), "netlink: interface for %s: %s", text,
			strerror(EAFNOSUPPORT));
		return -EAFNOSUPPORT;
	}
	rc = rtnl_link_alloc_cache(ctx->sock, AF_UNSPEC, &links);
	if (rc < 0)
		goto fail;
	step = "addresses";
	rc = rtnl_addr_alloc_cache(ctx->sock, &addrs);
	if (rc < 0)
		goto fail;
	ifindex = link_holding_subnet(addrs, links, vip);
	if (ifindex == 0) {
		step = "routes";
		rc = rtnl_route_alloc_cache(ctx->sock, vip->family, 0, &routes);
		if (rc < 0)
			goto fail;
		ifindex = link_of_default_route(routes, vip->family);
	}
	if (ifindex == 0 || rtnl_link_i2name(links, ifindex, ifname, IF_NAMESIZE) == NULL) {
		set_err(ctx->err, sizeof(ctx->err),
			"netlink: interface for %s: no interface holds its subnet and there is no %s default route",
			text, vip->family == AF_INET ? "IPv4" : "IPv6");
		rc = -ENODEV;
	} else {
		rc = 0;
	}
	goto out;
fail:
	set_err(ctx->err, sizeof(ctx->err), "netlink: interface for %s: dump %s: %s", text, step,
		nle_text(rc));
	rc = -errno_from_nle(rc);
out:
	nl_cache_free(routes); /* nl_cache_free accepts NULL */
	nl_cache_free(addrs);
	nl_cache_free(links);
	return rc;
}

/* ---- addresses ------------------------------------------------------------------------- */

int nl_addr_list(struct nl_ctx *ctx, int ifindex, sa_family_t family,
		 struct nl_addr_entry *out, size_t cap, size_t *n)
{
	struct nl_cache *addrs = NULL;
	int rc = rtnl_addr_alloc_cache(ctx->sock, &addrs);

	*n = 0;
	if (rc < 0) {
		char link[IF_NAMESIZE + 16];
		set_err(ctx->err, sizeof(ctx->err), "netlink: list addresses on %s: %s",
			ifindex ? link_label(ifindex, link) : "all links", nle_text(rc));
		return -errno_from_nle(rc);
	}
	rc = 0;
	for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct nl_addr_entry e;
		if (!addr_entry_from((struct rtnl_addr *)o, &e))
			continue;
		if ((ifindex != 0 && e.ifindex != ifindex) ||
		    (family != AF_UNSPEC && e.addr.family != family))
			continue;
		if (*n == cap) {
			set_err(ctx->err, sizeof(ctx->err),
				"netlink: list addresses: more than %zu", cap);
			rc = -ENOBUFS;
			break;
		}
		out[(*n)++] = e;
	}
	nl_cache_free(addrs);
	return rc;
}

/* A request object for a/prefix on ifindex, or NULL (out of memory). The caller puts it. */
static struct rtnl_addr *addr_request(int ifindex, const struct ip_addr *a, unsigned prefix)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_from(a, prefix);
	int rc = -1;

	if (ra != NULL && local != NULL) {
		rtnl_addr_set_ifindex(ra, ifindex);
		rtnl_addr_set_family(ra, a->family);
		rc = rtnl_addr_set_local(ra, local); /* takes its own reference */
		rtnl_addr_set_prefixlen(ra, (int)prefix);
	}
	nl_addr_put(local); /* accepts NULL */
	if (rc < 0) {
		rtnl_addr_put(ra);
		return NULL;
	}
	return ra;
}

static bool addr_args_valid(const struct ip_addr *a, unsigned prefix)
{
	return (a->family == AF_INET && prefix <= 32) || (a->family == AF_INET6 && prefix <= 128);
}

static int addr_add(struct nl_ctx *ctx, int ifindex, const struct ip_addr *a, unsigned prefix)
{
	if (!addr_args_valid(a, prefix))
		return addr_fail(ctx, "add", ifindex, a, prefix, -NLE_INVAL);
	struct rtnl_addr *ra = addr_request(ifindex, a, prefix);
	if (ra == NULL)
		return addr_fail(ctx, "add", ifindex, a, prefix, -NLE_NOMEM);
	if (a->family == AF_INET6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	int rc = rtnl_addr_add(ctx->sock, ra, NLM_F_EXCL);
	rtnl_addr_put(ra);
	if (rc < 0 && errno_from_nle(rc) != EEXIST)
		return addr_fail(ctx, "add", ifindex, a, prefix, rc);
	return 0;
}

static int addr_del(struct nl_ctx *ctx, int ifindex, const struct ip_addr *a, unsigned prefix)
{
	if (!addr_args_valid(a, prefix))
		return addr_fail(ctx, "delete", ifindex, a, prefix, -NLE_INVAL);
	struct rtnl_addr *ra = addr_request(ifindex, a, prefix);
	if (ra == NULL)
		return addr_fail(ctx, "delete", ifindex, a, prefix, -NLE_NOMEM);
	int rc = rtnl_addr_delete(ctx->sock, ra, 0);
	rtnl_addr_put(ra);
	if (rc < 0) {
		int e = errno_from_nle(rc);
		if (e != ENOENT && e != EADDRNOTAVAIL)
			return addr_fail(ctx, "delete", ifindex, a, prefix, rc);
	}
	return 0;
}

int nl_link_info(struct nl_ctx *ctx, const char *ifname, struct nl_link_info *out, char *err,
		 size_t err_len)
{
	return report(ctx, link_info(ctx, ifname, out), err, err_len);
}

int nl_link_find_for_addr(struct nl_ctx *ctx, const struct ip_addr *vip,
			  char ifname[IF_NAMESIZE], char *err, size_t err_len)
{
	return report(ctx, find_for_addr(ctx, vip, ifname), err, err_len);
}

int nl_addr_add(struct nl_ctx *ctx, int ifindex, const struct ip_addr *a, unsigned prefix,
		char *err, size_t err_len)
{
	return report(ctx, addr_add(ctx, ifindex, a, prefix), err, err_len);
}

int nl_addr_del(struct nl_ctx *ctx, int ifindex, const struct ip_addr *a, unsigned prefix,
		char *err, size_t err_len)
{
	return report(ctx, addr_del(ctx, ifindex, a, prefix), err, err_len);
}

bool nl_addr_present(struct nl_ctx *ctx, int ifindex, const struct ip_addr *a)
{
	struct nl_cache *addrs = NULL;
	bool found = false;
	int rc = rtnl_addr_alloc_cache(ctx->sock, &addrs);

	if (rc < 0) {
		char addr[IP_ADDR_STRLEN], link[IF_NAMESIZE + 16];
		set_err(ctx->err, sizeof(ctx->err), "netlink: look for %s on %s: %s",
			ip_addr_str(a, addr), link_label(ifindex, link), nle_text(rc));
		return false;
	}
	for (struct nl_object *o = nl_cache_get_first(addrs); o && !found;
	     o = nl_cache_get_next(o)) {
		struct nl_addr_entry e;
		found = addr_entry_from((struct rtnl_addr *)o, &e) && e.ifindex == ifindex &&
			ip_addr_equal(&e.addr, a);
	}
	nl_cache_free(addrs);
	return found;
}

/* ---- neighbours ------------------------------------------------------------------------ */

#define NEIGH_USABLE (NUD_REACHABLE | NUD_PERMANENT | NUD_NOARP)

/* Deletes dst's entry on ifindex from cache when it is not usable; 1 deleted, 0 not, or
 * negative errno. */
static int neigh_forget(struct nl_ctx *ctx, struct nl_cache *cache, int ifindex,
			const struct ip_addr *dst)
{
	struct nl_addr *na = nl_addr_from(dst, dst->family == AF_INET ? 32 : 128);
	if (na == NULL)
		return -ENOMEM;
	struct rtnl_neigh *neigh = rtnl_neigh_get(cache, ifindex, na);
	nl_addr_put(na);
	if (neigh == NULL)
		return 0;
	int rc = 0;
	if ((rtnl_neigh_get_state(neigh) & NEIGH_USABLE) == 0) {
		int nle = rtnl_neigh_delete(ctx->sock, neigh, 0);
		rc = nle < 0 && errno_from_nle(nle) != ENOENT ? -errno_from_nle(nle) : (nle >= 0);
		if (rc < 0) {
			char addr[IP_ADDR_STRLEN], link[IF_NAMESIZE + 16];
			set_err(ctx->err, sizeof(ctx->err), "netlink: delete neighbour %s on %s: %s",
				ip_addr_str(dst, addr), link_label(ifindex, link), nle_text(nle));
		}
	}
	rtnl_neigh_put(neigh);
	return rc;
}

static int neigh_forget_unusable(struct nl_ctx *ctx, int ifindex, const struct ip_addr *dsts,
				 size_t n)
{
	struct nl_cache *cache = NULL;
	int rc = rtnl_neigh_alloc_cache(ctx->sock, &cache);
	if (rc < 0) {
		char link[IF_NAMESIZE + 16];
		set_err(ctx->err, sizeof(ctx->err), "netlink: list neighbours on %s: %s",
			link_label(ifindex, link), nle_text(rc));
		return -errno_from_nle(rc);
	}
	int deleted = 0;
	for (size_t i = 0; i < n && deleted >= 0; i++) {
		int one = neigh_forget(ctx, cache, ifindex, &dsts[i]);
		deleted = one < 0 ? one : deleted + one;
	}
	nl_cache_free(cache);
	return deleted;
}

int nl_neigh_forget_unusable(struct nl_ctx *ctx, int ifindex, const struct ip_addr *dsts,
			     size_t n, char *err, size_t err_len)
{
	return report(ctx, neigh_forget_unusable(ctx, ifindex, dsts, n), err, err_len);
}

/* ---- link tracking --------------------------------------------------------------------- */

/* NL_CB_VALID: one RTM_NEWLINK / RTM_DELLINK from RTNLGRP_LINK. */
static int on_link_message(struct nl_msg *msg, void *arg)
{
	struct nl_link_watch *w = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);

	if ((h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) ||
	    !nlmsg_valid_hdr(h, sizeof(struct ifinfomsg)))
		return NL_OK;

	const struct ifinfomsg *ifi = nlmsg_data(h);
	struct nl_link_event ev = {
		.ifindex = ifi->ifi_index,
		.removed = h->nlmsg_type == RTM_DELLINK,
	};
	ev.up = !ev.removed && (ifi->ifi_flags & IFF_UP) != 0;
	ev.running = !ev.removed && (ifi->ifi_flags & IFF_RUNNING) != 0;
	struct nlattr *name = nlmsg_find_attr(h, sizeof(*ifi), IFLA_IFNAME);
	if (name != NULL)
		nla_strlcpy(ev.name, name, sizeof(ev.name));
	w->fn(&ev, w->arg);
	return NL_OK;
}

int nl_link_watch_open(struct nl_link_watch **out, nl_link_event_fn fn, void *arg, char *err,
		       size_t err_len)
{
	struct nl_link_watch *w = calloc(1, sizeof(*w));
	const char *step = "allocate";
	int rc = -NLE_NOMEM;

	*out = NULL;
	if (w == NULL || (w->sock = nl_socket_alloc()) == NULL)
		goto fail;
	w->fn = fn;
	w->arg = arg;
	/* multicast notifications carry no sequence numbers of ours */
	nl_socket_disable_seq_check(w->sock);
	step = "set callback";
	rc = nl_socket_modify_cb(w->sock, NL_CB_VALID, NL_CB_CUSTOM, on_link_message, w);
	if (rc < 0)
		goto fail;
	step = "connect NETLINK_ROUTE";
	rc = nl_connect(w->sock, NETLINK_ROUTE);
	if (rc < 0)
		goto fail;
	step = "join RTNLGRP_LINK";
	rc = nl_socket_add_membership(w->sock, RTNLGRP_LINK);
	if (rc < 0)
		goto fail;
	step = "set non-blocking";
	rc = nl_socket_set_nonblocking(w->sock);
	if (rc < 0)
		goto fail;
	(void)nl_socket_set_buffer_size(w->sock, NL_WATCH_RCVBUF, 0); /* best effort */
	*out = w;
	return 0;
fail:
	set_err(err, err_len, "netlink: link watch: %s: %s", step, nle_text(rc));
	nl_link_watch_close(w);
	return -errno_from_nle(rc);
}

void nl_link_watch_close(struct nl_link_watch *w)
{
	if (w == NULL)
		return;
	nl_socket_free(w->sock);
	free(w);
}

int nl_link_watch_fd(const struct nl_link_watch *w)
{
	return nl_socket_get_fd(w->sock);
}

int nl_link_watch_drain(struct nl_link_watch *w)
{
	for (int i = 0; i < NL_WATCH_DATAGRAMS_PER_DRAIN; i++) {
		int rc = nl_recvmsgs_default(w->sock);
		if (rc >= 0)
			continue;
		int e = errno_from_nle(rc);
		if (e == EAGAIN || e == EINTR)
			return 0;
		/* ENOBUFS from recvmsg arrives as NLE_NOMEM: the kernel dropped messages */
		return e == ENOMEM ? -ENOBUFS : -e;
	}
	return 0;
}
