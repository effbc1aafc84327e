/* announce_frame.h — pure builders for the frames a new master sends so that neighbours
 * learn where the VIP now lives: gratuitous ARP (RFC 5798 §6.4.2 / RFC 5227 §3) and
 * unsolicited Neighbor Advertisements (RFC 4861 §7.2.6).
 *
 * Byte layout matches keepalived 2.2.7 (shared/vectors/README.md): the ARP is a request with
 * target hardware address ff:ff:ff:ff:ff:ff; the NA goes to ff02::1 with only the Override
 * flag and a Target Link-Layer Address option. */
#ifndef KEEPVIP_ANNOUNCE_FRAME_H
#define KEEPVIP_ANNOUNCE_FRAME_H

#include "ipaddr.h"

#include <stddef.h>
#include <stdint.h>

#define ARP_PAYLOAD_LEN 28     /* ARP header for Ethernet/IPv4, without the Ethernet header */
#define NA_MSG_LEN 32          /* ICMPv6 NA (24) + TLLA option (8) */

/* Writes the 28-byte ARP payload (from the ARP header on) announcing vip at mac.
 * Returns ARP_PAYLOAD_LEN, or -EINVAL when vip is not IPv4, -ENOSPC when cap is too small. */
int arp_build_gratuitous(const uint8_t mac[6], const struct ip_addr *vip, uint8_t *buf,
			 size_t cap);

/* Writes the ICMPv6 Neighbor Advertisement (from the ICMPv6 header on) for target vip with
 * mac in a TLLA option, checksum computed over the pseudo-header src -> dst (dst normally
 * ff02::1). Returns NA_MSG_LEN, or -EINVAL (vip, src or dst not IPv6) / -ENOSPC. */
int ndisc_build_unsolicited_na(const uint8_t mac[6], const struct ip_addr *vip,
			       const struct ip_addr *src, const struct ip_addr *dst,
			       uint8_t *buf, size_t cap);

#endif
