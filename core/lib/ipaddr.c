/* ipaddr.c — parsing, printing and comparing family-tagged addresses. */
#include "ipaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int ip_addr_parse(const char *text, struct ip_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (text == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, text, &out->v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &out->v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int ip_addr_parse_prefix(const char *text, struct ip_addr *out, int *prefix_out)
{
	char buf[IP_ADDR_STRLEN];
	const char *slash = strchr(text, '/');
	size_t addr_len = slash ? (size_t)(slash - text) : strlen(text);

	*prefix_out = -1;
	if (addr_len == 0 || addr_len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, text, addr_len);
	buf[addr_len] = '\0';
	if (ip_addr_parse(buf, out) < 0)
		return -EINVAL;
	if (slash == NULL)
		return 0;

	const char *digits = slash + 1;
	char *end = NULL;
	if (*digits < '0' || *digits > '9')
		return -EINVAL;
	errno = 0;
	long prefix = strtol(digits, &end, 10);
	long max = out->family == AF_INET ? 32 : 128;
	if (errno != 0 || *end != '\0' || prefix < 0 || prefix > max)
		return -EINVAL;
	*prefix_out = (int)prefix;
	return 0;
}

const char *ip_addr_str(const struct ip_addr *addr, char *buf)
{
	if (addr->family != AF_INET && addr->family != AF_INET6) {
		snprintf(buf, IP_ADDR_STRLEN, "(none)");
		return buf;
	}
	if (inet_ntop(addr->family, addr->bytes, buf, IP_ADDR_STRLEN) == NULL)
		snprintf(buf, IP_ADDR_STRLEN, "(invalid)");
	return buf;
}

size_t ip_addr_len(const struct ip_addr *addr)
{
	return ip_family_len(addr->family);
}

size_t ip_family_len(sa_family_t family)
{
	switch (family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	default:
		return 0;
	}
}

bool ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b)
{
	return ip_addr_cmp(a, b) == 0;
}

int ip_addr_cmp(const struct ip_addr *a, const struct ip_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, ip_addr_len(a));
}

bool ip_addr_is_multicast(const struct ip_addr *addr)
{
	if (addr->family == AF_INET)
		return (addr->bytes[0] & 0xf0) == 0xe0;
	if (addr->family == AF_INET6)
		return addr->bytes[0] == 0xff;
	return false;
}

bool ip_addr_is_link_local(const struct ip_addr *addr)
{
	if (addr->family == AF_INET)
		return addr->bytes[0] == 169 && addr->bytes[1] == 254;
	if (addr->family == AF_INET6)
		return addr->bytes[0] == 0xfe && (addr->bytes[1] & 0xc0) == 0x80;
	return false;
}

bool ip_addr_in_subnet(const struct ip_addr *addr, const struct ip_addr *net, unsigned prefix)
{
	if (addr->family != net->family || prefix > ip_addr_len(addr) * 8)
		return false;
	unsigned whole = prefix / 8, rest = prefix % 8;
	if (memcmp(addr->bytes, net->bytes, whole) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> rest);
	return (addr->bytes[whole] & mask) == (net->bytes[whole] & mask);
}

void ip_addr_vrrp_group(sa_family_t family, struct ip_addr *out)
{
	/* RFC 5798 §5.1.1.2: 224.0.0.18; §5.1.2.2: ff02::12 */
	ip_addr_parse(family == AF_INET6 ? "ff02::12" : "224.0.0.18", out);
}
