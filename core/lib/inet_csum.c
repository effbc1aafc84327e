/* inet_csum.c — the Internet checksum, RFC 1071, with IPv4/IPv6 pseudo-headers. */
#include "inet_csum.h"

#include <sys/socket.h>

uint32_t inet_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;

	for (; len >= 2; p += 2, len -= 2)
		acc += (uint32_t)(p[0] << 8 | p[1]);
	if (len == 1)
		acc += (uint32_t)(p[0] << 8);
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint32_t inet_csum_pseudo(uint32_t sum, const struct ip_addr *src, const struct ip_addr *dst,
			  uint8_t proto, uint32_t len)
{
	size_t alen = ip_addr_len(src);

	sum = inet_csum_add(sum, src->bytes, alen);
	sum = inet_csum_add(sum, dst->bytes, alen);
	if (src->family == AF_INET) {
		/* RFC 768: zero, protocol, 16-bit length */
		uint8_t tail[4] = { 0, proto, (uint8_t)(len >> 8), (uint8_t)len };
		return inet_csum_add(sum, tail, sizeof(tail));
	}
	/* RFC 8200 §8.1: 32-bit length, three zero bytes, next header */
	uint8_t tail[8] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
			    (uint8_t)len, 0, 0, 0, proto };
	return inet_csum_add(sum, tail, sizeof(tail));
}

uint16_t inet_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}
