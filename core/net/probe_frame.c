/* probe_frame.c — ARP Probe and DAD-style Neighbor Solicitation builders, and the parser of
 * the answers (probe_frame.h). */
#include "probe_frame.h"

#include "inet_csum.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* RFC 826 for Ethernet / IPv4 */
#define ARP_HTYPE_ETHERNET 1
#define ARP_OP_REQUEST 1
#define ARP_OP_REPLY 2
#define ARP_OFF_OP 6
#define ARP_OFF_SHA 8
#define ARP_OFF_SPA 14
#define ARP_OFF_THA 18
#define ARP_OFF_TPA 24

/* RFC 8200 §3 IPv6 header, RFC 4861 §4.3 / §4.4 */
#define IPV6_HDR_LEN 40
#define IPV6_OFF_PLEN 4
#define IPV6_OFF_NEXT 6
#define IPV6_OFF_HOPS 7
#define IPV6_OFF_SRC 8
#define IPV6_OFF_DST 24
#define PROTO_ICMPV6 58
#define PROTO_VRRP 112           /* RFC 5798 §5.1.1.4 / §5.1.2.3 */
#define ND_NEIGHBOR_SOLICIT 135
#define ND_NEIGHBOR_ADVERT 136
#define ND_MSG_LEN 24            /* type, code, checksum, 4 bytes, target */
#define ND_OFF_TARGET 8
#define ND_OPT_TARGET_LL_ADDR 2
#define ND_HOP_LIMIT 255         /* RFC 4861 §7.1.1, §7.1.2 */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int arp_build_probe(const uint8_t mac[6], const struct ip_addr *vip, uint8_t *buf, size_t cap)
{
	if (vip->family != AF_INET)
		return -EINVAL;
	if (cap < ARP_PROBE_LEN)
		return -ENOSPC;
	memset(buf, 0, ARP_PROBE_LEN);
	put16(buf, ARP_HTYPE_ETHERNET);
	put16(buf + 2, ETHERTYPE_IPV4_);
	buf[4] = 6;
	buf[5] = 4;
	put16(buf + ARP_OFF_OP, ARP_OP_REQUEST);
	memcpy(buf + ARP_OFF_SHA, mac, 6);
	/* RFC 5227 §2.1.1: sender IP all zeroes ("so as not to pollute ARP caches"), target
	 * hardware address zeroes, target IP the address probed for. */
	memcpy(buf + ARP_OFF_TPA, vip->bytes, 4);
	return ARP_PROBE_LEN;
}

void ndisc_solicited_node(const struct ip_addr *addr, struct ip_addr *out)
{
	/* RFC 4291 §2.7.1: FF02:0:0:0:0:1:FFXX:XXXX with the low 24 bits of the address. */
	static const uint8_t prefix[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };
	memset(out, 0, sizeof(*out));
	out->family = AF_INET6;
	memcpy(out->bytes, prefix, sizeof(prefix));
	memcpy(out->bytes + 13, addr->bytes + 13, 3);
}

void ndisc_solicited_node_mac(const struct ip_addr *addr, uint8_t mac[6])
{
	/* RFC 2464 §7: 33:33 and the last four bytes of the multicast address. */
	mac[0] = 0x33;
	mac[1] = 0x33;
	mac[2] = 0xff;
	memcpy(mac + 3, addr->bytes + 13, 3);
}

int ndisc_build_probe(const struct ip_addr *vip, uint8_t *buf, size_t cap)
{
	struct ip_addr unspecified = { .family = AF_INET6 }, dst;

	if (vip->family != AF_INET6)
		return -EINVAL;
	if (cap < NS_PROBE_LEN)
		return -ENOSPC;
	ndisc_solicited_node(vip, &dst);
	memset(buf, 0, NS_PROBE_LEN);
	buf[0] = 0x60; /* version 6, traffic class 0, flow label 0 */
	put16(buf + IPV6_OFF_PLEN, ND_MSG_LEN);
	buf[IPV6_OFF_NEXT] = PROTO_ICMPV6;
	buf[IPV6_OFF_HOPS] = ND_HOP_LIMIT;
	memcpy(buf + IPV6_OFF_DST, dst.bytes, 16); /* source :: stays zero */

	uint8_t *ns = buf + IPV6_HDR_LEN;
	ns[0] = ND_NEIGHBOR_SOLICIT;
	memcpy(ns + ND_OFF_TARGET, vip->bytes, 16);
	/* RFC 4443 §2.3 over the RFC 8200 §8.1 pseudo-header */
	uint32_t sum = inet_csum_pseudo(0, &unspecified, &dst, PROTO_ICMPV6, ND_MSG_LEN);
	put16(ns + 2, inet_csum_fold(inet_csum_add(sum, ns, ND_MSG_LEN)));
	return NS_PROBE_LEN;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static void parse_arp(const uint8_t *pkt, size_t len, struct probe_rx *out)
{
	if (len < ARP_PROBE_LEN || get16(pkt) != ARP_HTYPE_ETHERNET ||
	    get16(pkt + 2) != ETHERTYPE_IPV4_ || pkt[4] != 6 || pkt[5] != 4)
		return;
	uint16_t op = get16(pkt + ARP_OFF_OP);
	/* a probe (sender IP 0.0.0.0) asks, it does not claim */
	if ((op != ARP_OP_REQUEST && op != ARP_OP_REPLY) || all_zero(pkt + ARP_OFF_SPA, 4))
		return;
	out->kind = PROBE_RX_CLAIM;
	out->addr.family = AF_INET;
	memcpy(out->addr.bytes, pkt + ARP_OFF_SPA, 4);
	memcpy(out->mac, pkt + ARP_OFF_SHA, 6);
}

static void parse_ipv4(const uint8_t *src_mac, const uint8_t *pkt, size_t len,
		       struct probe_rx *out)
{
	if (len < 20 || pkt[0] >> 4 != 4)
		return;
	size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
	if (ihl < 20 || len < ihl + 2 || pkt[9] != PROTO_VRRP)
		return;
	out->kind = PROBE_RX_VRRP;
	out->addr.family = AF_INET;
	memcpy(out->addr.bytes, pkt + 12, 4);
	memcpy(out->mac, src_mac, 6);
	out->vrid = pkt[ihl + 1];
}

/* RFC 4861 §4.6.1: the Target Link-Layer Address option among the NA's options. */
static bool find_tlla(const uint8_t *opt, size_t len, uint8_t mac[6])
{
	while (len >= 8) {
		size_t olen = (size_t)opt[1] * 8;
		if (olen == 0 || olen > len)
			return false; /* §4.6: length 0 is invalid */
		if (opt[0] == ND_OPT_TARGET_LL_ADDR) {
			memcpy(mac, opt + 2, 6);
			return true;
		}
		opt += olen;
		len -= olen;
	}
	return false;
}

static void parse_ipv6(const uint8_t *src_mac, const uint8_t *pkt, size_t len,
		       struct probe_rx *out)
{
	if (len < IPV6_HDR_LEN + 2 || pkt[0] >> 4 != 6)
		return;
	const uint8_t *body = pkt + IPV6_HDR_LEN;
	size_t body_len = len - IPV6_HDR_LEN;
	if (pkt[IPV6_OFF_NEXT] == PROTO_VRRP) {
		out->kind = PROBE_RX_VRRP;
		out->addr.family = AF_INET6;
		memcpy(out->addr.bytes, pkt + IPV6_OFF_SRC, 16);
		memcpy(out->mac, src_mac, 6);
		out->vrid = body[1];
		return;
	}
	if (pkt[IPV6_OFF_NEXT] != PROTO_ICMPV6 || body_len < ND_MSG_LEN ||
	    body[0] != ND_NEIGHBOR_ADVERT || body[1] != 0 || pkt[IPV6_OFF_HOPS] != ND_HOP_LIMIT)
		return;
	out->kind = PROBE_RX_CLAIM;
	out->addr.family = AF_INET6;
	memcpy(out->addr.bytes, body + ND_OFF_TARGET, 16);
	if (!find_tlla(body + ND_MSG_LEN, body_len - ND_MSG_LEN, out->mac))
		memcpy(out->mac, src_mac, 6);
}

void probe_frame_parse(uint16_t ethertype, const uint8_t src_mac[6], const uint8_t *pkt,
		       size_t len, struct probe_rx *out)
{
	memset(out, 0, sizeof(*out));
	switch (ethertype) {
	case ETHERTYPE_ARP_:
		parse_arp(pkt, len, out);
		break;
	case ETHERTYPE_IPV4_:
		parse_ipv4(src_mac, pkt, len, out);
		break;
	case ETHERTYPE_IPV6_:
		parse_ipv6(src_mac, pkt, len, out);
		break;
	default:
		break;
	}
}
