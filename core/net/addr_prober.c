/* addr_prober.c — the packet socket behind address-conflict probes (addr_prober.h). */
#include "addr_prober.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SNAP_LEN 256 /* enough for every header and option we read */

/* On a SOCK_DGRAM packet socket the filter sees the packet from its network header on; the
 * Ethernet type and the packet type come from the ancillary fields. */
static const struct sock_filter PROBE_FILTER[] = {
	/* 0 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
	/* 1 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 12, 0),
	/* 2 */ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL),
	/* 3 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 9, 0),
	/* 4 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 2),
	/* 5 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),              /* IPv4 protocol */
	/* 6 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 112, 6, 7),
	/* 7 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 6),
	/* 8 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),              /* IPv6 next header */
	/* 9 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 112, 3, 0),
	/* 10 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 3),
	/* 11 */ BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 40),            /* ICMPv6 type */
	/* 12 */ BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 0, 1),
	/* 13 */ BPF_STMT(BPF_RET | BPF_K, SNAP_LEN),               /* accept */
	/* 14 */ BPF_STMT(BPF_RET | BPF_K, 0),                      /* drop */
};

void addr_prober_init(struct addr_prober *p, int ifindex, const uint8_t mac[6])
{
	p->fd = -1;
	p->ifindex = ifindex;
	memcpy(p->mac, mac, 6);
}

static int fail(char *err, size_t err_len, const char *what, int e)
{
	snprintf(err, err_len, "address probes: %s: %s", what, strerror(e));
	return -e;
}

int addr_prober_open(struct addr_prober *p, char *err, size_t err_len)
{
	struct sock_fprog prog = { .len = sizeof(PROBE_FILTER) / sizeof(PROBE_FILTER[0]),
				   .filter = (struct sock_filter *)PROBE_FILTER };
	/* protocol 0: nothing is queued until the filter is in place and the socket bound */
	int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, err_len, "socket(AF_PACKET)", errno);
	struct sockaddr_ll at = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = p->ifindex };
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ||
	    bind(fd, (struct sockaddr *)&at, sizeof(at)) < 0) {
		int e = errno;
		close(fd);
		return fail(err, err_len, "attach filter and bind", e);
	}
	p->fd = fd;
	return 0;
}

int addr_prober_probe(struct addr_prober *p, const struct ip_addr *vip, char *err,
		      size_t err_len)
{
	uint8_t frame[NS_PROBE_LEN];
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = p->ifindex,
				  .sll_halen = ETH_ALEN };
	int len;
	char text[IP_ADDR_STRLEN], what[96];

	if (vip->family == AF_INET) {
		len = arp_build_probe(p->mac, vip, frame, sizeof(frame));
		to.sll_protocol = htons(ETH_P_ARP);
		memset(to.sll_addr, 0xff, ETH_ALEN); /* RFC 5227 §2.1.1: broadcast */
	} else {
		len = ndisc_build_probe(vip, frame, sizeof(frame));
		to.sll_protocol = htons(ETH_P_IPV6);
		ndisc_solicited_node_mac(vip, to.sll_addr);
	}
	snprintf(what, sizeof(what), "probe for %s", ip_addr_str(vip, text));
	if (len < 0)
		return fail(err, err_len, what, -len);
	if (p->fd < 0)
		return fail(err, err_len, what, EBADF);
	if (sendto(p->fd, frame, (size_t)len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) < 0)
		return fail(err, err_len, what, errno);
	return 0;
}

int addr_prober_recv(struct addr_prober *p, struct probe_rx *out)
{
	struct sockaddr_ll from;
	socklen_t from_len = sizeof(from);
	ssize_t n = recvfrom(p->fd, p->rx, sizeof(p->rx), MSG_DONTWAIT, (struct sockaddr *)&from,
			     &from_len);
	if (n < 0)
		return -errno;
	if (from.sll_pkttype == PACKET_OUTGOING || from.sll_halen != ETH_ALEN) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	probe_frame_parse(ntohs(from.sll_protocol), from.sll_addr, p->rx, (size_t)n, out);
	return 0;
}

void addr_prober_close(struct addr_prober *p)
{
	if (p == NULL || p->fd < 0)
		return;
	close(p->fd);
	p->fd = -1;
}
