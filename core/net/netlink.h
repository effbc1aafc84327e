/* netlink.h — the kernel's view of links and addresses, through rtnetlink (libnl-3).
 *
 * Two parts:
 *  - struct nl_ctx: a blocking NETLINK_ROUTE socket for requests. Each call sends one request
 *    and waits for the kernel's answer or ack, nothing else. On failure a call returns
 *    negative errno and says what and where, e.g.
 *      "netlink: add 10.0.0.100/24 on eth0: Permission denied"
 *    in its err buffer when it has one (err may be NULL), and always in nl_ctx_error().
 *  - struct nl_link_watch: a separate non-blocking socket subscribed to RTNLGRP_LINK, whose
 *    fd goes on the event loop; nl_link_watch_drain() reports each link change.
 *
 * Names: libnl owns struct nl_addr and the nl_addr_* functions taking it; the functions here
 * take a struct nl_ctx and a struct ip_addr, so the two never meet in one call. */
#ifndef KEEPVIP_NETLINK_H
#define KEEPVIP_NETLINK_H

#include "ipaddr.h"

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define NL_ERR_LEN 256

struct nl_ctx;

/* Returns 0 and *out, or negative errno with the reason in err (err may be NULL). */
int nl_ctx_open(struct nl_ctx **out, char *err, size_t err_len);
/* Accepts NULL. */
void nl_ctx_close(struct nl_ctx *ctx);
/* The message of the last failed call on ctx ("" when none failed yet). Stays valid until
 * the next call on ctx. */
const char *nl_ctx_error(const struct nl_ctx *ctx);

/* ---- links ----------------------------------------------------------------------------- */

struct nl_link_info {
	int ifindex;
	char name[IF_NAMESIZE];
	uint8_t mac[6];
	bool has_mac;       /* false for links without a 6-byte hardware address (lo has one: 0) */
	bool up;            /* IFF_UP: administratively up */
	bool running;       /* IFF_RUNNING: operationally up (carrier) */
	unsigned mtu;
};

/* -ENODEV when there is no such link. */
int nl_link_info(struct nl_ctx *ctx, const char *ifname, struct nl_link_info *out, char *err,
		 size_t err_len);

/* KEEPVIP_INTERFACE=auto: the interface holding an address of vip's family whose subnet
 * contains vip (longest prefix wins; loopback links and host-length /32 and /128 addresses
 * are skipped), else the interface of the main table's default route of that family (lowest
 * metric). Writes the name into ifname. -ENODEV when neither exists. */
int nl_link_find_for_addr(struct nl_ctx *ctx, const struct ip_addr *vip,
			  char ifname[IF_NAMESIZE], char *err, size_t err_len);

/* ---- addresses ------------------------------------------------------------------------- */

struct nl_addr_entry {
	struct ip_addr addr;  /* IFA_LOCAL (IPv4) or IFA_ADDRESS (IPv6) */
	uint8_t prefix;
	int ifindex;
	uint32_t flags;       /* IFA_F_* (linux/if_addr.h) */
	uint8_t scope;        /* RT_SCOPE_* (linux/rtnetlink.h) */
	bool secondary;       /* IFA_F_SECONDARY: another address of the subnet is primary */
	bool link_local;      /* scope link (fe80::/10, 169.254/16) */
};

/* Addresses on ifindex (0: every link) of family (AF_UNSPEC: both), in kernel order. Fills
 * at most cap entries and *n with how many it filled; returns 0, or -ENOBUFS when there
 * were more than cap (the first cap are filled), or another negative errno. */
int nl_addr_list(struct nl_ctx *ctx, int ifindex, sa_family_t family,
		 struct nl_addr_entry *out, size_t cap, size_t *n);

/* Adds a/prefix on ifindex. IPv6 goes in with IFA_F_NODAD: usable at once (a VIP must not
 * wait for, or fail, duplicate address detection: the election decides who holds it).
 * Already present (EEXIST) counts as success. */
int nl_addr_add(struct nl_ctx *ctx, int ifindex, const struct ip_addr *a, unsigned prefix,
		char *err, size_t err_len);

/* Removes a/prefix from ifindex. Not present (ENOENT, EADDRNOTAVAIL) counts as success. */
int nl_addr_del(struct nl_ctx *ctx, int ifindex, const struct ip_addr *a, unsigned prefix,
		char *err, size_t err_len);

/* True when a is on ifindex with any prefix. False also when the kernel cannot be asked
 * (nl_ctx_error says why). */
bool nl_addr_present(struct nl_ctx *ctx, int ifindex, const struct ip_addr *a);

/* ---- neighbours ------------------------------------------------------------------------ */

/* Deletes the neighbour (ARP / NDP) entries of ifindex for dsts[0..n) that are not usable as
 * they are (any state but REACHABLE, PERMANENT, NOARP): an entry left INCOMPLETE or PROBE by
 * a send while the link was down keeps retrying once a second (retrans_time) and holds what
 * is sent to it meanwhile; without it the next send resolves at once. Absent entries are
 * skipped. Returns the number deleted, or negative errno (err says why). */
int nl_neigh_forget_unusable(struct nl_ctx *ctx, int ifindex, const struct ip_addr *dsts,
			     size_t n, char *err, size_t err_len);

/* ---- link tracking --------------------------------------------------------------------- */

struct nl_link_event {
	int ifindex;
	char name[IF_NAMESIZE]; /* "" when the message did not carry it */
	bool up;                /* IFF_UP */
	bool running;           /* IFF_RUNNING */
	bool removed;           /* RTM_DELLINK: the link is gone (up and running false) */
};

typedef void (*nl_link_event_fn)(const struct nl_link_event *ev, void *arg);

struct nl_link_watch;

/* Opens a non-blocking NETLINK_ROUTE socket subscribed to RTNLGRP_LINK. fn is called from
 * nl_link_watch_drain(), once per link message. Returns 0 or negative errno (err says why). */
int nl_link_watch_open(struct nl_link_watch **out, nl_link_event_fn fn, void *arg, char *err,
		       size_t err_len);
/* Accepts NULL. The caller removes the fd from its loop first. */
void nl_link_watch_close(struct nl_link_watch *w);
/* For loop_io_add(..., EPOLLIN, ...). */
int nl_link_watch_fd(const struct nl_link_watch *w);
/* Reads what is queued (a bounded number of datagrams; the fd stays readable when more is
 * left) and reports each link message. Returns 0; -ENOBUFS when the kernel dropped messages
 * because the socket was full: events were lost, so the owner re-reads the links it cares
 * about with nl_link_info(); or another negative errno. */
int nl_link_watch_drain(struct nl_link_watch *w);

#endif
