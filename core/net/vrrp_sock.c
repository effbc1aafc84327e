/* vrrp_sock.c — raw protocol 112 sockets for IPv4 and IPv6. */
#include "vrrp_sock.h"

#include "cmsg_put.h"

#include <errno.h>
#include <netinet/ip.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(char *err, size_t err_len, const char *what, const char *where, int e)
{
	snprintf(err, err_len, "%s: %s: %s", what, where, strerror(e));
	return -e;
}

static int setopt(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

/* RFC 5798 §5.1.1.3 / §5.1.2.3: TTL / Hop Limit MUST be 255; no loop back of our own group
 * traffic; the kernel tells us the hop limit and destination of what we receive. */
static int configure_ipv4(struct vrrp_sock *s)
{
	struct ip_mreqn mif = { .imr_ifindex = s->ifindex };
	int rc;

	if ((rc = setopt(s->fd, IPPROTO_IP, IP_TTL, VRRP_TTL)) < 0 ||
	    (rc = setopt(s->fd, IPPROTO_IP, IP_MULTICAST_TTL, VRRP_TTL)) < 0 ||
	    (rc = setopt(s->fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0)) < 0)
		return rc;
	if (setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_IF, &mif, sizeof(mif)) < 0)
		return -errno;
	return 0;
}

static int configure_ipv6(struct vrrp_sock *s)
{
	int rc;

	if ((rc = setopt(s->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, VRRP_TTL)) < 0 ||
	    (rc = setopt(s->fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, VRRP_TTL)) < 0 ||
	    (rc = setopt(s->fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0)) < 0 ||
	    (rc = setopt(s->fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, s->ifindex)) < 0 ||
	    (rc = setopt(s->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)) < 0 ||
	    (rc = setopt(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)) < 0)
		return rc;
	return 0;
}

int vrrp_sock_open(struct vrrp_sock *s, sa_family_t family, const char *ifname, int ifindex,
		   char *err, size_t err_len)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->family = family;
	s->ifindex = ifindex;

	int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_PROTO);
	if (fd < 0)
		return fail(err, err_len, "socket(IPPROTO_VRRP)", ifname, errno);
	s->fd = fd;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) < 0)
		return fail(err, err_len, "SO_BINDTODEVICE", ifname, errno);
	int rc = family == AF_INET ? configure_ipv4(s) : configure_ipv6(s);
	if (rc < 0)
		return fail(err, err_len, "setsockopt", ifname, -rc);
	return 0;
}

/* join: true to add the membership, false to drop it. */
static int set_membership(struct vrrp_sock *s, bool join)
{
	struct ip_addr group;
	int rc;

	ip_addr_vrrp_group(s->family, &group);
	if (s->family == AF_INET) {
		struct ip_mreqn mreq = { .imr_multiaddr = group.v4, .imr_ifindex = s->ifindex };
		rc = setsockopt(s->fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP,
				&mreq, sizeof(mreq));
	} else {
		struct ipv6_mreq mreq = { .ipv6mr_multiaddr = group.v6,
					  .ipv6mr_interface = (unsigned)s->ifindex };
		rc = setsockopt(s->fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP,
				&mreq, sizeof(mreq));
	}
	return rc < 0 ? -errno : 0;
}

static const char *group_text(const struct vrrp_sock *s)
{
	return s->family == AF_INET ? "224.0.0.18" : "ff02::12";
}

int vrrp_sock_join_group(struct vrrp_sock *s, char *err, size_t err_len)
{
	if (s->joined++ > 0)
		return 0;
	int rc = set_membership(s, true);
	if (rc < 0) {
		s->joined = 0;
		return fail(err, err_len, "join VRRP group", group_text(s), -rc);
	}
	return 0;
}

int vrrp_sock_leave_group(struct vrrp_sock *s, char *err, size_t err_len)
{
	if (s->joined == 0 || --s->joined > 0)
		return 0;
	int rc = set_membership(s, false);
	return rc < 0 ? fail(err, err_len, "leave VRRP group", group_text(s), -rc) : 0;
}

/* The source address goes in a PKTINFO control message so one socket serves every instance
 * and every source (IPv4 primary, IPv6 link-local or global). */
int vrrp_sock_send(struct vrrp_sock *s, const struct ip_addr *src, const struct ip_addr *dst,
		   const uint8_t *msg, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} control;
	struct sockaddr_storage to;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr mh = { .msg_name = &to, .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = control.buf };

	memset(&to, 0, sizeof(to));
	if (s->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&to;
		struct in_pktinfo pi = { .ipi_ifindex = s->ifindex, .ipi_spec_dst = src->v4 };
		sin->sin_family = AF_INET;
		sin->sin_addr = dst->v4;
		mh.msg_namelen = sizeof(*sin);
		cmsg_put(&mh, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to;
		struct in6_pktinfo pi = { .ipi6_addr = src->v6, .ipi6_ifindex = (unsigned)s->ifindex };
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = dst->v6;
		if (ip_addr_is_link_local(dst) || ip_addr_is_multicast(dst))
			sin6->sin6_scope_id = (uint32_t)s->ifindex;
		mh.msg_namelen = sizeof(*sin6);
		cmsg_put(&mh, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	}
	ssize_t n = sendmsg(s->fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* IPv4 raw sockets hand us the IP header: take TTL, source and destination from it. */
static int strip_ipv4_header(uint8_t *buf, size_t n, const uint8_t **msg, size_t *len,
			     struct vrrp_rx_meta *meta)
{
	if (n < sizeof(struct iphdr))
		return -EBADMSG;
	const struct iphdr *ip = (const struct iphdr *)buf;
	size_t ihl = (size_t)ip->ihl * 4;
	if (ihl < sizeof(struct iphdr) || ihl > n)
		return -EBADMSG;
	meta->family = AF_INET;
	meta->ttl = ip->ttl;
	meta->src.family = AF_INET;
	memcpy(&meta->src.v4, &ip->saddr, 4);
	meta->dst.family = AF_INET;
	memcpy(&meta->dst.v4, &ip->daddr, 4);
	*msg = buf + ihl;
	*len = n - ihl;
	return 0;
}

static void read_ipv6_control(struct msghdr *mh, struct vrrp_rx_meta *meta)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != IPPROTO_IPV6)
			continue;
		if (cm->cmsg_type == IPV6_HOPLIMIT) {
			int hops;
			memcpy(&hops, CMSG_DATA(cm), sizeof(hops));
			meta->ttl = (uint8_t)hops;
		} else if (cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			meta->dst.family = AF_INET6;
			meta->dst.v6 = pi.ipi6_addr;
		}
	}
}

int vrrp_sock_recv(struct vrrp_sock *s, uint8_t *buf, size_t cap, const uint8_t **msg,
		   size_t *len, struct vrrp_rx_meta *meta)
{
	union {
		char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} control;
	struct sockaddr_storage from;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh = { .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			     .msg_iovlen = 1, .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf) };

	memset(meta, 0, sizeof(*meta));
	ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	if (s->family == AF_INET)
		return strip_ipv4_header(buf, (size_t)n, msg, len, meta);

	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&from;
	meta->family = AF_INET6;
	meta->src.family = AF_INET6;
	meta->src.v6 = sin6->sin6_addr;
	read_ipv6_control(&mh, meta);
	*msg = buf;
	*len = (size_t)n;
	return 0;
}

void vrrp_sock_close(struct vrrp_sock *s)
{
	if (s == NULL || s->fd < 0)
		return;
	close(s->fd);
	s->fd = -1;
	s->joined = 0;
}
