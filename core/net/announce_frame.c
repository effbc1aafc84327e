/* announce_frame.c — gratuitous ARP (RFC 5227 §3, RFC 5798 §6.4.2) and unsolicited Neighbor
 * Advertisement (RFC 4861 §4.4, §7.2.6) builders, byte for byte as keepalived 2.2.7 sends them. */
#include "announce_frame.h"

#include "inet_csum.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* RFC 826 ARP header for Ethernet (hardware type 1) and IPv4 (protocol type 0x0800). */
#define ARP_HTYPE_ETHERNET 1
#define ARP_PTYPE_IPV4 0x0800
#define ARP_HLEN_ETHERNET 6
#define ARP_PLEN_IPV4 4
#define ARP_OP_REQUEST 1

/* RFC 4861 §4.4 Neighbor Advertisement, §4.6.1 Target Link-Layer Address option. */
#define ICMPV6_PROTO 58
#define ND_NEIGHBOR_ADVERT 136
#define ND_NA_FLAG_OVERRIDE 0x20 /* first byte of the flags word: R=0x80, S=0x40, O=0x20 */
#define ND_OPT_TARGET_LL_ADDR 2
#define ND_OPT_LEN_ETHERNET 1    /* in units of 8 bytes */
#define NA_OFF_CHECKSUM 2
#define NA_OFF_FLAGS 4
#define NA_OFF_TARGET 8
#define NA_OFF_OPTION 24

int arp_build_gratuitous(const uint8_t mac[6], const struct ip_addr *vip, uint8_t *buf,
			 size_t cap)
{
	if (vip->family != AF_INET)
		return -EINVAL;
	if (cap < ARP_PAYLOAD_LEN)
		return -ENOSPC;

	uint8_t *p = buf;
	*p++ = ARP_HTYPE_ETHERNET >> 8;
	*p++ = ARP_HTYPE_ETHERNET & 0xff;
	*p++ = ARP_PTYPE_IPV4 >> 8;
	*p++ = ARP_PTYPE_IPV4 & 0xff;
	*p++ = ARP_HLEN_ETHERNET;
	*p++ = ARP_PLEN_IPV4;
	/* RFC 5227 §3: an ARP Announcement is a request whose sender and target protocol
	 * addresses are both the announced address. keepalived 2.2.7 sets the target hardware
	 * address to ff:ff:ff:ff:ff:ff (RFC 5227 says "ignored"; we match keepalived). */
	*p++ = ARP_OP_REQUEST >> 8;
	*p++ = ARP_OP_REQUEST & 0xff;
	memcpy(p, mac, ARP_HLEN_ETHERNET);
	p += ARP_HLEN_ETHERNET;
	memcpy(p, vip->bytes, ARP_PLEN_IPV4);
	p += ARP_PLEN_IPV4;
	memset(p, 0xff, ARP_HLEN_ETHERNET);
	p += ARP_HLEN_ETHERNET;
	memcpy(p, vip->bytes, ARP_PLEN_IPV4);
	return ARP_PAYLOAD_LEN;
}

int ndisc_build_unsolicited_na(const uint8_t mac[6], const struct ip_addr *vip,
			       const struct ip_addr *src, const struct ip_addr *dst,
			       uint8_t *buf, size_t cap)
{
	if (vip->family != AF_INET6 || src->family != AF_INET6 || dst->family != AF_INET6)
		return -EINVAL;
	if (cap < NA_MSG_LEN)
		return -ENOSPC;

	memset(buf, 0, NA_MSG_LEN);
	buf[0] = ND_NEIGHBOR_ADVERT; /* code 0 */
	/* RFC 4861 §7.2.6: unsolicited NA has Solicited=0; Override set so that caches update
	 * to the new master's address. keepalived 2.2.7 leaves Router clear. */
	buf[NA_OFF_FLAGS] = ND_NA_FLAG_OVERRIDE;
	memcpy(buf + NA_OFF_TARGET, vip->bytes, 16);
	buf[NA_OFF_OPTION] = ND_OPT_TARGET_LL_ADDR;
	buf[NA_OFF_OPTION + 1] = ND_OPT_LEN_ETHERNET;
	memcpy(buf + NA_OFF_OPTION + 2, mac, 6);

	/* RFC 4443 §2.3: ICMPv6 checksum over the RFC 8200 §8.1 pseudo-header and the message. */
	uint32_t sum = inet_csum_pseudo(0, src, dst, ICMPV6_PROTO, NA_MSG_LEN);
	uint16_t csum = inet_csum_fold(inet_csum_add(sum, buf, NA_MSG_LEN));
	buf[NA_OFF_CHECKSUM] = (uint8_t)(csum >> 8);
	buf[NA_OFF_CHECKSUM + 1] = (uint8_t)csum;
	return NA_MSG_LEN;
}
