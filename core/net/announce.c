/* announce.c — sends gratuitous ARP and unsolicited Neighbor Advertisements. */
#include "announce.h"

#include "announce_frame.h"
#include "cmsg_put.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void announcer_init(struct announcer *a, int ifindex, const uint8_t mac[6])
{
	a->arp_fd = -1;
	a->na_fd = -1;
	a->ifindex = ifindex;
	memcpy(a->mac, mac, 6);
}

static int fail(char *err, size_t err_len, const char *what, const struct ip_addr *vip, int e)
{
	char text[IP_ADDR_STRLEN];
	snprintf(err, err_len, "%s for %s: %s", what, ip_addr_str(vip, text), strerror(e));
	return -e;
}

/* RFC 5227 §3 / RFC 5798 §6.4: an ARP request for the VIP, broadcast, sender = target = VIP. */
static int send_garp(struct announcer *a, const struct ip_addr *vip, char *err, size_t err_len)
{
	uint8_t frame[ARP_PAYLOAD_LEN];
	int len = arp_build_gratuitous(a->mac, vip, frame, sizeof(frame));
	if (len < 0)
		return fail(err, err_len, "build gratuitous ARP", vip, -len);
	if (a->arp_fd < 0) {
		/* Protocol 0: a send-only socket. With ETH_P_ARP the kernel would queue every ARP
		 * frame of every interface to it, for nobody to read. */
		a->arp_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (a->arp_fd < 0)
			return fail(err, err_len, "socket(AF_PACKET)", vip, errno);
	}
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
				  .sll_ifindex = a->ifindex, .sll_halen = ETH_ALEN };
	memset(to.sll_addr, 0xff, ETH_ALEN);
	if (sendto(a->arp_fd, frame, (size_t)len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		return fail(err, err_len, "send gratuitous ARP", vip, errno);
	return 0;
}

static int open_na_socket(struct announcer *a)
{
	int hops = 255; /* RFC 4861 §7.1.2: Hop Limit 255 */
	int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof(hops)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	a->na_fd = fd;
	return 0;
}

/* RFC 4861 §7.2.6: unsolicited NA to all-nodes, Override set, Target Link-Layer option.
 * The kernel fills the ICMPv6 checksum of raw ICMPv6 sockets; ours is the same value. */
static int send_na(struct announcer *a, const struct ip_addr *vip, char *err, size_t err_len)
{
	struct ip_addr all_nodes;
	uint8_t msg[NA_MSG_LEN];

	ip_addr_parse("ff02::1", &all_nodes);
	int len = ndisc_build_unsolicited_na(a->mac, vip, vip, &all_nodes, msg, sizeof(msg));
	if (len < 0)
		return fail(err, err_len, "build neighbor advertisement", vip, -len);
	if (a->na_fd < 0) {
		int rc = open_na_socket(a);
		if (rc < 0)
			return fail(err, err_len, "socket(IPPROTO_ICMPV6)", vip, -rc);
	}

	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} control;
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_addr = all_nodes.v6,
				   .sin6_scope_id = (uint32_t)a->ifindex };
	struct in6_pktinfo pi = { .ipi6_addr = vip->v6, .ipi6_ifindex = (unsigned)a->ifindex };
	struct iovec iov = { .iov_base = msg, .iov_len = (size_t)len };
	struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov,
			     .msg_iovlen = 1, .msg_control = control.buf };
	cmsg_put(&mh, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	if (sendmsg(a->na_fd, &mh, MSG_DONTWAIT) < 0)
		return fail(err, err_len, "send neighbor advertisement", vip, errno);
	return 0;
}

int announce_vip(struct announcer *a, const struct ip_addr *vip, char *err, size_t err_len)
{
	return vip->family == AF_INET ? send_garp(a, vip, err, err_len)
				      : send_na(a, vip, err, err_len);
}

void announcer_close(struct announcer *a)
{
	if (a == NULL)
		return;
	if (a->arp_fd >= 0)
		close(a->arp_fd);
	if (a->na_fd >= 0)
		close(a->na_fd);
	a->arp_fd = a->na_fd = -1;
}
