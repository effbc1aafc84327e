/* vrrp_wire.h — the VRRP advertisement codec: RFC 3768 (v2) and RFC 5798 (v3), IPv4 and IPv6.
 *
 * Pure: bytes plus receive metadata in, a host-order struct or a named reject reason out;
 * a struct out, bytes in. Never touches a socket or the clock. The buffers hold the VRRP
 * message only (from the version/type byte on), never the IP header. */
#ifndef KEEPVIP_VRRP_WIRE_H
#define KEEPVIP_VRRP_WIRE_H

#include "ipaddr.h"
#include "vrrp_ip.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VRRP_TYPE_ADVERT 1      /* RFC 5798 §5.2.2: the only type */
#define VRRP_MAX_ADDRS 255      /* Count IPvX Addr is 8 bits */
#define VRRP_HEADER_LEN 8
#define VRRP_V2_AUTH_LEN 8      /* RFC 3768 §5.3.10/11: two 32-bit auth words */
#define VRRP_MAX_MSG_LEN (VRRP_HEADER_LEN + VRRP_MAX_ADDRS * 16 + VRRP_V2_AUTH_LEN)
#define VRRP_V3_MAX_ADVER_INT_CS 4095 /* 12-bit field, centiseconds (RFC 5798 §5.2.7) */

/* One decoded advertisement, host byte order. */
struct vrrp_advert {
	uint8_t version;          /* 2 or 3 */
	uint8_t type;             /* VRRP_TYPE_ADVERT */
	uint8_t vrid;             /* 1..255 */
	uint8_t priority;         /* 0 = master stops (RFC 5798 §5.2.4) */
	uint8_t count;            /* number of addresses */
	uint16_t max_adver_int_cs;/* v3: Max Adver Int in centiseconds; v2: Adver Int seconds x 100 */
	uint8_t auth_type;        /* v2 only (RFC 3768 §5.3.6); 0 in v3 */
	uint8_t auth_data[VRRP_V2_AUTH_LEN]; /* v2 only, as on the wire */
	uint16_t checksum;        /* as received / as encoded */
	bool group_form_checksum; /* decode: a v3 unicast checksum that matched only with the
				   * group as pseudo-header destination (old keepalived form) */
	sa_family_t family;       /* AF_INET or AF_INET6: the family of the addresses */
	struct ip_addr addrs[VRRP_MAX_ADDRS];
};

/* Why a packet was dropped. Each reason has its own counter (see vrrp_reject_name()). */
enum vrrp_reject {
	VRRP_ACCEPT = 0,
	VRRP_REJECT_TOO_SHORT,      /* shorter than header + one address (+ auth for v2) */
	VRRP_REJECT_VERSION,        /* version not 2 or 3, or v2 over IPv6 */
	VRRP_REJECT_TYPE,           /* type != 1 (RFC 5798 §5.2.2) */
	VRRP_REJECT_TTL,            /* TTL / hop limit != 255 (RFC 5798 §7.1) */
	VRRP_REJECT_CHECKSUM,       /* RFC 5798 §5.2.8 / RFC 3768 §5.3.8 */
	VRRP_REJECT_ADDR_COUNT,     /* count 0, or length does not match count */
	VRRP_REJECT_INTERVAL,       /* advertisement interval 0 */
	VRRP_REJECT_VRID,           /* VRID 0 on the wire, or not one of ours (set by the caller) */
	VRRP_REJECT_VERSION_MISMATCH, /* not the version this instance runs (set by the caller) */
	VRRP_REJECT_UNKNOWN_PEER,   /* unicast mode, source not a known peer (set by the caller) */
	VRRP_REJECT_INTERVAL_MISMATCH, /* v2: interval differs from ours (RFC 3768 §7.1) (caller) */
	VRRP_REJECT_OWN,            /* our own advert looped back (set by the caller) */
	VRRP_REJECT_VRID_CONFLICT,  /* addresses not ours, not from the owner: another group on
				     * our VRID (RFC 5798 §7.1) (set by the caller) */
	VRRP_REJECT_AUTH,           /* v2: Auth Type or password not ours (vrrp_auth.h) (caller) */
	VRRP_REJECT__COUNT
};

/* Short stable name for counters and logs, e.g. "checksum". */
const char *vrrp_reject_name(enum vrrp_reject reason);

/* Decodes one VRRP message. On VRRP_ACCEPT *out is filled; on a reject *out holds the
 * header fields read before the failing check (the rest zeroed). Checks, in order:
 * length >= header (TOO_SHORT), version (v2 only over IPv4), type, TTL, VRID != 0, count != 0
 * (ADDR_COUNT), length >= header + one address (+ v2 auth) (TOO_SHORT), length == header +
 * count addresses (+ v2 auth) (ADDR_COUNT: a count higher or lower than the addresses
 * present), interval != 0, checksum. meta->src and meta->dst must be of meta->family.
 * Reads exactly len bytes of buf, never more.
 *
 * Quirks accepted on purpose (see shared/vectors/README.md):
 * - v3 unicast: the checksum may be computed with the multicast group as pseudo-header
 *   destination instead of the real unicast destination (keepalived < 1.3.6 form);
 * - IPv6 unicast adverts with hop limit 64 (keepalived 2.2.7 sends those). */
enum vrrp_reject vrrp_decode(const uint8_t *buf, size_t len, const struct vrrp_rx_meta *meta,
			     struct vrrp_advert *out);

/* Encodes adv (version, vrid, priority, count, addrs, interval, v2 auth) into buf and
 * computes the checksum (v3: with the IPv4/IPv6 pseudo-header of src -> dst, RFC 5798 §5.2.8;
 * v2: over the message, RFC 3768 §5.3.8). adv->checksum is ignored on input.
 * The type is always VRRP_TYPE_ADVERT and the v3 rsvd bits zero. v2 ignores src and dst
 * (may be NULL). Returns the message length, or -ENOSPC when cap is too small, -EINVAL for a
 * bad struct (version, family, VRID 0, count 0, an address of another family, interval 0 or
 * beyond the field; v2: interval not whole seconds; v3: src/dst missing or of another family). */
int vrrp_encode(const struct vrrp_advert *adv, const struct ip_addr *src,
		const struct ip_addr *dst, uint8_t *buf, size_t cap);

/* The 16-bit one's-complement checksum of the message as encode computes it: the
 * checksum field (bytes 6..7) is treated as zero whatever it holds, so the result can be
 * compared with the received value directly. v2 ignores src and dst (may be NULL). */
uint16_t vrrp_checksum(const uint8_t *msg, size_t len, uint8_t version,
		       const struct ip_addr *src, const struct ip_addr *dst);

#endif
