/* inet_csum.h — the Internet checksum (RFC 1071), shared by the VRRP codec and the NA builder. */
#ifndef KEEPVIP_INET_CSUM_H
#define KEEPVIP_INET_CSUM_H

#include "ipaddr.h"

#include <stddef.h>
#include <stdint.h>

/* Adds data (any length, odd handled) to a running 32-bit one's-complement sum. */
uint32_t inet_csum_add(uint32_t sum, const void *data, size_t len);

/* Adds the IPv4 or IPv6 pseudo-header (RFC 768 / RFC 8200 §8.1) for upper-layer
 * protocol proto and upper-layer length len. */
uint32_t inet_csum_pseudo(uint32_t sum, const struct ip_addr *src, const struct ip_addr *dst,
			  uint8_t proto, uint32_t len);

/* Folds and complements: the value to put on the wire (host order). */
uint16_t inet_csum_fold(uint32_t sum);

#endif
