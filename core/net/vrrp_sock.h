/* vrrp_sock.h — raw IP protocol 112 sockets, one per (interface, address family), shared by
 * every instance on that interface (the daemon demultiplexes by VRID).
 *
 * Sends with TTL / hop limit 255 (RFC 5798 §5.1.1.3, §5.1.2.3) from a chosen source address;
 * receives the VRRP message plus its metadata (source, destination, TTL / hop limit). */
#ifndef KEEPVIP_VRRP_SOCK_H
#define KEEPVIP_VRRP_SOCK_H

#include "ipaddr.h"
#include "vrrp_ip.h"

#include <stddef.h>
#include <stdint.h>

struct vrrp_sock {
	int fd;
	sa_family_t family;
	int ifindex;
	unsigned joined; /* number of instances that asked for the multicast group */
};

/* Opens a non-blocking raw socket bound to ifname. Returns 0, or negative errno with
 * "what: where" in err. */
int vrrp_sock_open(struct vrrp_sock *s, sa_family_t family, const char *ifname, int ifindex,
		   char *err, size_t err_len);

/* Joins the VRRP group (224.0.0.18 / ff02::12) on the interface (RFC 5798 §5.1.1.2).
 * Idempotent. Returns 0 or negative errno. */
int vrrp_sock_join_group(struct vrrp_sock *s, char *err, size_t err_len);

/* Gives back one vrrp_sock_join_group(): the group is left when no instance needs it any
 * more (a reload to unicast mode). Returns 0 or negative errno. */
int vrrp_sock_leave_group(struct vrrp_sock *s, char *err, size_t err_len);

/* Sends one VRRP message from src to dst (group or unicast peer). Returns 0 or negative errno. */
int vrrp_sock_send(struct vrrp_sock *s, const struct ip_addr *src, const struct ip_addr *dst,
		   const uint8_t *msg, size_t len);

/* Receives one packet: *msg points into buf at the VRRP message (IPv4 header stripped),
 * *len its length. Returns 0, -EAGAIN when nothing is queued, -EBADMSG for a truncated IPv4
 * header, or another negative errno. */
int vrrp_sock_recv(struct vrrp_sock *s, uint8_t *buf, size_t cap, const uint8_t **msg,
		   size_t *len, struct vrrp_rx_meta *meta);

/* Accepts NULL and a socket that never opened. */
void vrrp_sock_close(struct vrrp_sock *s);

#endif
