/* probe_frame.h — pure builders and a parser for the frames that ask a segment whether
 * anyone else holds an address, and for the answers.
 *
 * Asking (no address of ours is used, so nobody's cache changes):
 *   - IPv4: an ARP Probe (RFC 5227 §2.1.1): an ARP request with sender protocol address
 *     0.0.0.0, target protocol address the VIP, target hardware address all zeroes;
 *   - IPv6: a Neighbor Solicitation as Duplicate Address Detection sends it (RFC 4862
 *     §5.4.2, RFC 4861 §4.3): from :: to the VIP's solicited-node multicast address
 *     (RFC 4291 §2.7.1), hop limit 255, no Source Link-Layer option ("MUST NOT be included
 *     when the source IP address is the unspecified address"). It is built whole, IPv6
 *     header included, to go out on a packet socket: a raw ICMPv6 socket cannot send from ::.
 *
 * Answers, and who sent what (probe_frame_parse), from a packet socket's frame (network
 * header first, the Ethernet source and type beside it):
 *   - an ARP request or reply whose sender protocol address is the address (RFC 5227 §2.1.1:
 *     "any ARP packet (Request *or* Reply) ... where the packet's 'sender IP address' is the
 *     address being probed for") claims it for the sender hardware address;
 *   - a Neighbor Advertisement (hop limit 255, RFC 4861 §7.1.2) claims its target for its
 *     Target Link-Layer Address option, else for the Ethernet source;
 *   - a VRRP packet (IP protocol 112) names its sender's MAC, VRID and address: the MACs of
 *     our VRRP peers, whose claims are normal. */
#ifndef KEEPVIP_PROBE_FRAME_H
#define KEEPVIP_PROBE_FRAME_H

#include "ipaddr.h"

#include <stddef.h>
#include <stdint.h>

#define ARP_PROBE_LEN 28        /* ARP for Ethernet/IPv4, without the Ethernet header */
#define NS_PROBE_LEN 64         /* IPv6 header (40) + Neighbor Solicitation (24) */

#define ETHERTYPE_ARP_ 0x0806
#define ETHERTYPE_IPV4_ 0x0800
#define ETHERTYPE_IPV6_ 0x86dd

/* Writes the ARP Probe for vip from mac. Returns ARP_PROBE_LEN, -EINVAL (vip not IPv4),
 * -ENOSPC (cap too small). */
int arp_build_probe(const uint8_t mac[6], const struct ip_addr *vip, uint8_t *buf, size_t cap);

/* The solicited-node multicast address of addr (ff02::1:ffXX:XXXX) and the Ethernet
 * multicast address it maps to (33:33:ff:XX:XX:XX, RFC 2464 §7). */
void ndisc_solicited_node(const struct ip_addr *addr, struct ip_addr *out);
void ndisc_solicited_node_mac(const struct ip_addr *addr, uint8_t mac[6]);

/* Writes the IPv6 packet carrying the DAD-style Neighbor Solicitation for vip. Returns
 * NS_PROBE_LEN, -EINVAL (vip not IPv6), -ENOSPC. */
int ndisc_build_probe(const struct ip_addr *vip, uint8_t *buf, size_t cap);

enum probe_rx_kind {
	PROBE_RX_OTHER = 0, /* nothing we look at */
	PROBE_RX_CLAIM,     /* mac says it holds addr */
	PROBE_RX_VRRP,      /* mac sent a VRRP packet for vrid from addr */
};

struct probe_rx {
	enum probe_rx_kind kind;
	struct ip_addr addr;
	uint8_t mac[6];
	uint8_t vrid;       /* PROBE_RX_VRRP */
};

/* Reads one frame: ethertype and src_mac from the link layer, pkt from the network header
 * on. Never fails: anything short, malformed or of no interest is PROBE_RX_OTHER. */
void probe_frame_parse(uint16_t ethertype, const uint8_t src_mac[6], const uint8_t *pkt,
		       size_t len, struct probe_rx *out);

#endif
