/* vrrp_ip.h — what VRRP asks of the IP layer (RFC 5798 §5.1), shared by the raw sockets that
 * carry adverts (vrrp_sock.c) and the codec that checks them (vrrp/vrrp_wire.c). */
#ifndef KEEPVIP_VRRP_IP_H
#define KEEPVIP_VRRP_IP_H

#include "ipaddr.h"

#include <stdint.h>

#define VRRP_PROTO 112          /* IANA protocol number, RFC 5798 §5.1.1.4 */
#define VRRP_TTL 255            /* RFC 5798 §5.1.1.3 / §5.1.2.3 */

/* What the receive path knows besides the bytes. */
struct vrrp_rx_meta {
	sa_family_t family;       /* of the carrying IP packet */
	uint8_t ttl;              /* IPv4 TTL or IPv6 hop limit */
	struct ip_addr src;       /* IP source */
	struct ip_addr dst;       /* IP destination (the group, or our unicast address) */
};

#endif
