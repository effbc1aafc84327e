/* ipaddr.h — one IPv4 or IPv6 address, family-tagged, in network byte order.
 *
 * Pure helpers: parsing, printing, comparing. No sockets, no allocation. */
#ifndef KEEPVIP_IPADDR_H
#define KEEPVIP_IPADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Big enough for "ffff:...:ffff" plus "/128" and a NUL. */
#define IP_ADDR_STRLEN 52

struct ip_addr {
	sa_family_t family; /* AF_INET or AF_INET6; 0 = unset */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t bytes[16]; /* v4 uses bytes[0..3] */
	};
};

/* Parses a literal address (no prefix). Returns 0 or -EINVAL. */
int ip_addr_parse(const char *text, struct ip_addr *out);

/* Parses "ADDR" or "ADDR/PREFIX". *prefix_out is -1 when no prefix was given.
 * Returns 0, or -EINVAL (bad address, bad or out-of-range prefix). */
int ip_addr_parse_prefix(const char *text, struct ip_addr *out, int *prefix_out);

/* Writes the address into buf (IP_ADDR_STRLEN bytes) and returns buf. */
const char *ip_addr_str(const struct ip_addr *addr, char *buf);

/* Length of an address of family in bytes: 4 (AF_INET), 16 (AF_INET6), else 0. */
size_t ip_family_len(sa_family_t family);

/* Length of the address in bytes: 4, 16, or 0 when unset. */
size_t ip_addr_len(const struct ip_addr *addr);

bool ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b);

/* Orders by family, then as unsigned integers in network byte order
 * (RFC 5798 §6.4.3: "the primary IPv4 address of the sender is greater than the local
 * primary IPv4 address"). Returns <0, 0, >0. */
int ip_addr_cmp(const struct ip_addr *a, const struct ip_addr *b);

bool ip_addr_is_multicast(const struct ip_addr *addr);
bool ip_addr_is_link_local(const struct ip_addr *addr); /* fe80::/10 or 169.254/16 */

/* True when addr lies in net/prefix. */
bool ip_addr_in_subnet(const struct ip_addr *addr, const struct ip_addr *net, unsigned prefix);

/* Builders for the well-known VRRP groups (RFC 5798 §5.1.1.2, §5.1.2.2). */
void ip_addr_vrrp_group(sa_family_t family, struct ip_addr *out); /* 224.0.0.18 / ff02::12 */

#endif
