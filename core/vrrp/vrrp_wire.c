/* vrrp_wire.c — the VRRP advertisement codec: RFC 3768 (v2) and RFC 5798 (v3), IPv4 and IPv6.
 *
 * RFC 5798 §5.1 / RFC 3768 §5.1 message layout (the IP header is not part of the buffer):
 *
 *   0                   1                   2                   3
 *   |Version| Type  | Virtual Rtr ID|   Priority    | Count IPvX Addr|
 *   v3: |(rsvd) |     Max Adver Int     |          Checksum          |
 *   v2: |   Auth Type   |   Adver Int   |          Checksum          |
 *   |                 IPvX Address(es) (Count x 4 or 16 bytes)        |
 *   v2 only: |           Authentication Data (2 x 32 bits)            | */
#include "vrrp_wire.h"

#include "inet_csum.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

enum vrrp_offset {
	OFF_VERSION_TYPE = 0,
	OFF_VRID = 1,
	OFF_PRIORITY = 2,
	OFF_COUNT = 3,
	OFF_V2_AUTH_TYPE = 4,   /* RFC 3768 §5.3.6 */
	OFF_V2_ADVER_INT = 5,   /* RFC 3768 §5.3.7, seconds */
	OFF_V3_MAX_ADVER_INT = 4, /* RFC 5798 §5.2.6/§5.2.7: 4 bits rsvd, 12 bits centiseconds */
	OFF_CHECKSUM = 6,
	OFF_ADDRS = VRRP_HEADER_LEN,
};

#define V3_MAX_ADVER_INT_MASK 0x0fffu
#define V2_CS_PER_SECOND 100u
#define V2_MAX_ADVER_INT_S 255u
/* keepalived 2.2.7 leaves the IPv6 unicast hop limit at the kernel default (64). */
#define KEEPALIVED_IPV6_UCAST_HOP_LIMIT 64

static const char *const reject_names[VRRP_REJECT__COUNT] = {
	[VRRP_ACCEPT] = "accept",
	[VRRP_REJECT_TOO_SHORT] = "too_short",
	[VRRP_REJECT_VERSION] = "version",
	[VRRP_REJECT_TYPE] = "type",
	[VRRP_REJECT_TTL] = "ttl",
	[VRRP_REJECT_CHECKSUM] = "checksum",
	[VRRP_REJECT_ADDR_COUNT] = "addr_count",
	[VRRP_REJECT_INTERVAL] = "interval",
	[VRRP_REJECT_VRID] = "vrid",
	[VRRP_REJECT_VERSION_MISMATCH] = "version_mismatch",
	[VRRP_REJECT_UNKNOWN_PEER] = "unknown_peer",
	[VRRP_REJECT_INTERVAL_MISMATCH] = "interval_mismatch",
	[VRRP_REJECT_OWN] = "own",
	[VRRP_REJECT_VRID_CONFLICT] = "vrid_conflict",
	[VRRP_REJECT_AUTH] = "auth",
};

const char *vrrp_reject_name(enum vrrp_reject reason)
{
	if ((unsigned)reason >= VRRP_REJECT__COUNT || reject_names[reason] == NULL)
		return "unknown";
	return reject_names[reason];
}

/* Message length for count addresses: header, addresses, and for v2 the auth data. */
static size_t expected_len(uint8_t version, sa_family_t family, unsigned count)
{
	size_t len = VRRP_HEADER_LEN + (size_t)count * ip_family_len(family);

	return version == 2 ? len + VRRP_V2_AUTH_LEN : len;
}

uint16_t vrrp_checksum(const uint8_t *msg, size_t len, uint8_t version,
		       const struct ip_addr *src, const struct ip_addr *dst)
{
	uint32_t sum = 0;

	/* RFC 5798 §5.2.8: "the Checksum field is set to zero" for the computation, so the two
	 * checksum bytes are skipped rather than read. */
	sum = inet_csum_add(sum, msg, len < OFF_CHECKSUM ? len : OFF_CHECKSUM);
	if (len > OFF_ADDRS)
		sum = inet_csum_add(sum, msg + OFF_ADDRS, len - OFF_ADDRS);
	/* RFC 3768 §5.3.8: v2 covers the VRRP message only. RFC 5798 §5.2.8: v3 prepends the
	 * IPv4 (RFC 768) or IPv6 (RFC 8200 §8.1) pseudo-header. */
	if (version != 2)
		sum = inet_csum_pseudo(sum, src, dst, VRRP_PROTO, (uint32_t)len);
	return inet_csum_fold(sum);
}

/* RFC 5798 §5.2.1: version 3; RFC 3768 §5.3.1: version 2. VRRPv2 is defined for IPv4
 * only (RFC 3768 §5.2 describes IPv4 header fields alone): v2 over IPv6 is a version error. */
static bool version_acceptable(uint8_t version, sa_family_t family)
{
	if (version == 2)
		return family == AF_INET;
	return version == 3 && ip_family_len(family) != 0;
}

/* RFC 5798 §7.1: "MUST verify that the IPv4 TTL or IPv6 Hop Limit is 255". */
static bool ttl_acceptable(const struct vrrp_rx_meta *meta)
{
	if (meta->ttl == VRRP_TTL)
		return true;
	/* Quirk: keepalived 2.2.7 sends IPv6 unicast adverts with hop limit 64
	 * (shared/vectors/README.md, v3-ipv6-ucast-100ms). Multicast keeps the strict check. */
	return meta->family == AF_INET6 && !ip_addr_is_multicast(&meta->dst) &&
	       meta->ttl == KEEPALIVED_IPV6_UCAST_HOP_LIMIT;
}

/* RFC 5798 §7.1: "MUST verify the VRRP checksum"; RFC 3768 §7.1 likewise for v2.
 * *group_form tells whether only the pre-1.3.6 keepalived form matched. */
static bool checksum_valid(const uint8_t *buf, size_t len, uint8_t version,
			   const struct vrrp_rx_meta *meta, uint16_t received, bool *group_form)
{
	*group_form = false;
	if (vrrp_checksum(buf, len, version, &meta->src, &meta->dst) == received)
		return true;
	if (version == 2 || ip_addr_is_multicast(&meta->dst))
		return false;
	/* Quirk: keepalived < 1.3.6 (and later ones set to old_unicast_checksum) computed the
	 * v3 unicast checksum with the multicast group as pseudo-header destination. */
	struct ip_addr group;
	ip_addr_vrrp_group(meta->family, &group);
	*group_form = vrrp_checksum(buf, len, version, &meta->src, &group) == received;
	return *group_form;
}

static uint16_t read_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void write_be16(uint8_t *p, uint16_t value)
{
	p[0] = (uint8_t)(value >> 8);
	p[1] = (uint8_t)value;
}

/* The advertisement interval in centiseconds, as the struct holds it for both versions. */
static uint16_t decode_interval_cs(const uint8_t *buf, uint8_t version)
{
	if (version == 2)
		return (uint16_t)(buf[OFF_V2_ADVER_INT] * V2_CS_PER_SECOND);
	/* RFC 5798 §5.2.6: the 4 rsvd bits "MUST be ignored on reception". */
	return (uint16_t)(read_be16(buf + OFF_V3_MAX_ADVER_INT) & V3_MAX_ADVER_INT_MASK);
}

static void decode_addrs(const uint8_t *buf, struct vrrp_advert *out)
{
	size_t alen = ip_family_len(out->family);

	for (unsigned i = 0; i < out->count; i++) {
		out->addrs[i].family = out->family;
		memcpy(out->addrs[i].bytes, buf + OFF_ADDRS + i * alen, alen);
	}
}

static void decode_v2_auth(const uint8_t *buf, size_t len, struct vrrp_advert *out)
{
	/* RFC 3768 §5.3.6/§5.3.10: kept as received so the caller can compare and re-encode. */
	out->auth_type = buf[OFF_V2_AUTH_TYPE];
	memcpy(out->auth_data, buf + len - VRRP_V2_AUTH_LEN, VRRP_V2_AUTH_LEN);
}

enum vrrp_reject vrrp_decode(const uint8_t *buf, size_t len, const struct vrrp_rx_meta *meta,
			     struct vrrp_advert *out)
{
	memset(out, 0, sizeof(*out));
	if (len < VRRP_HEADER_LEN)
		return VRRP_REJECT_TOO_SHORT;

	out->version = buf[OFF_VERSION_TYPE] >> 4;
	out->type = buf[OFF_VERSION_TYPE] & 0x0f;
	out->vrid = buf[OFF_VRID];
	out->priority = buf[OFF_PRIORITY];
	out->count = buf[OFF_COUNT];
	out->checksum = read_be16(buf + OFF_CHECKSUM);
	out->family = meta->family;

	if (!version_acceptable(out->version, meta->family))
		return VRRP_REJECT_VERSION;
	/* RFC 5798 §5.2.2 / RFC 3768 §5.3.2: "A packet with unknown type MUST be discarded." */
	if (out->type != VRRP_TYPE_ADVERT)
		return VRRP_REJECT_TYPE;
	if (!ttl_acceptable(meta))
		return VRRP_REJECT_TTL;
	/* RFC 5798 §5.2.3: VRID is 1..255; 0 is never a virtual router. */
	if (out->vrid == 0)
		return VRRP_REJECT_VRID;
	/* RFC 5798 §7.1 / RFC 3768 §7.1: the receiver MUST verify that the packet holds the
	 * complete VRRP message (fixed fields, the addresses and, v2, the Authentication Data).
	 * RFC 5798 §5.2.5: Count is the number of addresses, so 0, or bytes beyond them, is
	 * malformed too. */
	if (out->count == 0)
		return VRRP_REJECT_ADDR_COUNT;
	if (len < expected_len(out->version, out->family, 1))
		return VRRP_REJECT_TOO_SHORT; /* not even one address */
	if (len != expected_len(out->version, out->family, out->count))
		return VRRP_REJECT_ADDR_COUNT; /* Count says more, or fewer, than the bytes hold */

	out->max_adver_int_cs = decode_interval_cs(buf, out->version);
	if (out->version == 2)
		decode_v2_auth(buf, len, out);
	decode_addrs(buf, out);
	/* RFC 5798 §5.2.7 / RFC 3768 §5.3.7: an interval of 0 would make Master_Down_Interval
	 * degenerate; no sender may advertise it. */
	if (out->max_adver_int_cs == 0)
		return VRRP_REJECT_INTERVAL;
	if (!checksum_valid(buf, len, out->version, meta, out->checksum,
			    &out->group_form_checksum))
		return VRRP_REJECT_CHECKSUM;
	return VRRP_ACCEPT;
}

/* -EINVAL unless adv can be put on the wire as it stands. */
static int check_encodable(const struct vrrp_advert *adv, const struct ip_addr *src,
			   const struct ip_addr *dst)
{
	if (adv->version != 2 && adv->version != 3)
		return -EINVAL;
	if (ip_family_len(adv->family) == 0 || adv->vrid == 0 || adv->count == 0)
		return -EINVAL;
	if (adv->version == 2) {
		/* RFC 3768: IPv4 only, Adver Int in whole seconds, 8 bits. */
		unsigned cs = adv->max_adver_int_cs;
		if (adv->family != AF_INET || cs == 0 || cs % V2_CS_PER_SECOND != 0 ||
		    cs / V2_CS_PER_SECOND > V2_MAX_ADVER_INT_S)
			return -EINVAL;
	} else {
		/* RFC 5798 §5.2.8: the pseudo-header needs both addresses, of the message's family. */
		if (adv->max_adver_int_cs == 0 || adv->max_adver_int_cs > VRRP_V3_MAX_ADVER_INT_CS)
			return -EINVAL;
		if (src == NULL || dst == NULL || src->family != adv->family ||
		    dst->family != adv->family)
			return -EINVAL;
	}
	for (unsigned i = 0; i < adv->count; i++)
		if (adv->addrs[i].family != adv->family)
			return -EINVAL;
	return 0;
}

static void encode_header(const struct vrrp_advert *adv, uint8_t *buf)
{
	buf[OFF_VERSION_TYPE] = (uint8_t)(adv->version << 4 | VRRP_TYPE_ADVERT);
	buf[OFF_VRID] = adv->vrid;
	buf[OFF_PRIORITY] = adv->priority;
	buf[OFF_COUNT] = adv->count;
	if (adv->version == 2) {
		buf[OFF_V2_AUTH_TYPE] = adv->auth_type;
		buf[OFF_V2_ADVER_INT] = (uint8_t)(adv->max_adver_int_cs / V2_CS_PER_SECOND);
	} else {
		/* RFC 5798 §5.2.6: rsvd "MUST be set to zero on transmission". */
		write_be16(buf + OFF_V3_MAX_ADVER_INT, adv->max_adver_int_cs);
	}
	write_be16(buf + OFF_CHECKSUM, 0);
}

int vrrp_encode(const struct vrrp_advert *adv, const struct ip_addr *src,
		const struct ip_addr *dst, uint8_t *buf, size_t cap)
{
	int err = check_encodable(adv, src, dst);
	if (err < 0)
		return err;
	size_t len = expected_len(adv->version, adv->family, adv->count);
	if (cap < len)
		return -ENOSPC;

	encode_header(adv, buf);
	size_t alen = ip_family_len(adv->family);
	for (unsigned i = 0; i < adv->count; i++)
		memcpy(buf + OFF_ADDRS + i * alen, adv->addrs[i].bytes, alen);
	/* RFC 3768 §5.3.10: Authentication Data follows the addresses. */
	if (adv->version == 2)
		memcpy(buf + len - VRRP_V2_AUTH_LEN, adv->auth_data, VRRP_V2_AUTH_LEN);
	write_be16(buf + OFF_CHECKSUM, vrrp_checksum(buf, len, adv->version, src, dst));
	return (int)len;
}
