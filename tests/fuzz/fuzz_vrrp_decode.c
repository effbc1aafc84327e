/* fuzz_vrrp_decode.c — libFuzzer target for the VRRP codec (core/vrrp_wire.c).
 *
 * Input layout (the seed corpus in corpus/fuzz_vrrp_decode/ follows it):
 *   byte 0        flags: bit 0 = IPv6 (else IPv4); bit 1 = destination is the VRRP group
 *                 (224.0.0.18 / ff02::12), else a unicast destination follows the source
 *   byte 1        TTL / hop limit
 *   4 or 16 bytes source address
 *   4 or 16 bytes destination address (only when bit 1 is clear)
 *   the rest      the VRRP message
 *
 * Every accepted message must re-encode to the same length, decode again to the same fields,
 * and re-encode byte for byte when its checksum was the standard form and the v3 rsvd bits
 * were zero. Any violation aborts. */
#include "vrrp_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define FLAG_IPV6 0x01
#define FLAG_DST_GROUP 0x02

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_vrrp_decode: %s\n", what);
	abort();
}

/* Takes the receive metadata from the front of the input; returns the bytes consumed, or 0
 * when the input is too short to hold it. */
static size_t take_meta(const uint8_t *data, size_t size, struct vrrp_rx_meta *meta)
{
	size_t used = 2;

	if (size < used)
		return 0;
	memset(meta, 0, sizeof(*meta));
	meta->family = (data[0] & FLAG_IPV6) ? AF_INET6 : AF_INET;
	meta->ttl = data[1];
	size_t alen = meta->family == AF_INET6 ? 16 : 4;
	size_t need = used + alen + ((data[0] & FLAG_DST_GROUP) ? 0 : alen);
	if (size < need)
		return 0;

	meta->src.family = meta->family;
	memcpy(meta->src.bytes, data + used, alen);
	used += alen;
	if (data[0] & FLAG_DST_GROUP) {
		ip_addr_vrrp_group(meta->family, &meta->dst);
	} else {
		meta->dst.family = meta->family;
		memcpy(meta->dst.bytes, data + used, alen);
		used += alen;
	}
	return used;
}

static bool same_fields(const struct vrrp_advert *a, const struct vrrp_advert *b)
{
	if (a->version != b->version || a->type != b->type || a->vrid != b->vrid ||
	    a->priority != b->priority || a->count != b->count || a->family != b->family ||
	    a->max_adver_int_cs != b->max_adver_int_cs || a->auth_type != b->auth_type ||
	    memcmp(a->auth_data, b->auth_data, sizeof(a->auth_data)) != 0)
		return false;
	for (unsigned i = 0; i < a->count; i++)
		if (!ip_addr_equal(&a->addrs[i], &b->addrs[i]))
			return false;
	return true;
}

/* The input is re-encoded exactly when nothing in it is normalised away on encode: v3 rsvd
 * bits are zeroed, and a group-form unicast checksum is replaced by the standard one. */
static bool expect_identical_bytes(const uint8_t *msg, size_t len,
				   const struct vrrp_rx_meta *meta, const struct vrrp_advert *adv)
{
	if (adv->version == 2)
		return true;
	return (msg[4] & 0xf0) == 0 &&
	       vrrp_checksum(msg, len, adv->version, &meta->src, &meta->dst) == adv->checksum;
}

static void check_round_trip(const uint8_t *msg, size_t len, const struct vrrp_rx_meta *meta,
			     const struct vrrp_advert *adv)
{
	static uint8_t out[VRRP_MAX_MSG_LEN];
	static struct vrrp_advert again;

	int n = vrrp_encode(adv, &meta->src, &meta->dst, out, sizeof(out));
	if (n < 0)
		fail("accepted advert does not encode");
	if ((size_t)n != len)
		fail("re-encoded length differs");
	if (vrrp_decode(out, (size_t)n, meta, &again) != VRRP_ACCEPT)
		fail("re-encoded advert rejected");
	if (!same_fields(adv, &again))
		fail("re-decoded fields differ");
	if (again.checksum != vrrp_checksum(out, (size_t)n, adv->version, &meta->src, &meta->dst))
		fail("encoded checksum is not the standard form");
	if (expect_identical_bytes(msg, len, meta, adv) && memcmp(out, msg, len) != 0)
		fail("re-encoded bytes differ from the input");
}

/* The reasons vrrp_decode() itself produces; the rest are the caller's (see vrrp_wire.h). */
static bool decoder_may_return(enum vrrp_reject r)
{
	switch (r) {
	case VRRP_ACCEPT:
	case VRRP_REJECT_TOO_SHORT:
	case VRRP_REJECT_VERSION:
	case VRRP_REJECT_TYPE:
	case VRRP_REJECT_TTL:
	case VRRP_REJECT_CHECKSUM:
	case VRRP_REJECT_ADDR_COUNT:
	case VRRP_REJECT_INTERVAL:
	case VRRP_REJECT_VRID:
		return true;
	default:
		return false;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vrrp_advert adv; /* ~5 KB: off the stack */
	struct vrrp_rx_meta meta;
	size_t used = take_meta(data, size, &meta);

	if (used == 0)
		return 0;
	/* An exact-size heap copy so ASan sees any read past the message. */
	size_t len = size - used;
	uint8_t *msg = malloc(len > 0 ? len : 1);
	if (msg == NULL)
		return 0;
	memcpy(msg, data + used, len);

	enum vrrp_reject r = vrrp_decode(msg, len, &meta, &adv);
	if (!decoder_may_return(r))
		fail("decode returned a reason only the caller may set");
	if (r == VRRP_ACCEPT)
		check_round_trip(msg, len, &meta, &adv);
	free(msg);
	return 0;
}
