/* test_vrrp_wire.c — the VRRP codec against keepalived 2.2.7's own packets
 * (shared/vectors/keepalived-vrrp.json), and one test per reject reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipaddr.h"
#include "vrrp_wire.h"
#include "vectors.h"

#define EXPECTED_ADVERTS 32
#define MAX_ADVERTS 64

/* One "vrrp-advertisement" vector, parsed. */
struct advert_vector {
	char name[160];
	struct vrrp_rx_meta meta;
	uint8_t msg[VRRP_MAX_MSG_LEN];
	size_t len;
	const json_t *fields; /* "fields"."vrrp", borrowed from the document */
};

struct vectors {
	json_t *doc;
	size_t count;
	struct advert_vector adverts[MAX_ADVERTS];
};

/* ---- loading ---------------------------------------------------------------------------- */

static int parse_meta(const json_t *v, struct vrrp_rx_meta *meta)
{
	const char *l3 = json_string_value(json_object_get(v, "l3"));
	const char *src = json_string_value(json_object_get(v, "src"));
	const char *dst = json_string_value(json_object_get(v, "dst"));
	const json_t *ttl = json_object_get(v, "ttl");

	if (l3 == NULL || !json_is_integer(ttl))
		return -EINVAL;
	memset(meta, 0, sizeof(*meta));
	meta->family = strcmp(l3, "ipv6") == 0 ? AF_INET6 : AF_INET;
	meta->ttl = (uint8_t)json_integer_value(ttl);
	if (ip_addr_parse(src, &meta->src) < 0 || ip_addr_parse(dst, &meta->dst) < 0)
		return -EINVAL;
	return meta->src.family == meta->family ? 0 : -EINVAL;
}

static int parse_advert(const json_t *v, struct advert_vector *out)
{
	const char *name = json_string_value(json_object_get(v, "name"));
	const char *hex = json_string_value(json_object_get(v, "hex"));

	if (name == NULL || hex == NULL)
		return -EINVAL;
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->fields = json_object_get(json_object_get(v, "fields"), "vrrp");
	int len = hex_decode(hex, out->msg, sizeof(out->msg));
	if (len < 0 || out->fields == NULL)
		return -EINVAL;
	out->len = (size_t)len;
	return parse_meta(v, &out->meta);
}

static int load_vectors(void **state)
{
	struct vectors *vs = calloc(1, sizeof(*vs));

	if (vs == NULL)
		return -1;
	vs->doc = vectors_load();
	if (vs->doc == NULL) {
		free(vs);
		return -1;
	}
	size_t i;
	json_t *v;
	json_array_foreach(vs->doc, i, v) {
		const char *kind = json_string_value(json_object_get(v, "kind"));
		if (kind == NULL || strcmp(kind, "vrrp-advertisement") != 0)
			continue;
		if (vs->count == MAX_ADVERTS || parse_advert(v, &vs->adverts[vs->count]) < 0) {
			print_error("%s: vector %zu unreadable\n", VECTORS_PATH, i);
			json_decref(vs->doc);
			free(vs);
			return -1;
		}
		vs->count++;
	}
	*state = vs;
	return 0;
}

static int free_vectors(void **state)
{
	struct vectors *vs = *state;
	if (vs != NULL)
		json_decref(vs->doc);
	free(vs);
	return 0;
}

/* The first vector whose name starts with prefix; fails the test when there is none. */
static const struct advert_vector *find_vector(void **state, const char *prefix)
{
	const struct vectors *vs = *state;
	for (size_t i = 0; i < vs->count; i++)
		if (strncmp(vs->adverts[i].name, prefix, strlen(prefix)) == 0)
			return &vs->adverts[i];
	fail_msg("no vector named %s*", prefix);
	return NULL;
}

/* ---- helpers ---------------------------------------------------------------------------- */

/* Decodes exactly len bytes from a heap copy of that size, so ASan catches any over-read. */
static enum vrrp_reject decode_exact(const uint8_t *msg, size_t len,
				     const struct vrrp_rx_meta *meta, struct vrrp_advert *out)
{
	uint8_t *copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	memcpy(copy, msg, len);
	enum vrrp_reject r = vrrp_decode(copy, len, meta, out);
	free(copy);
	return r;
}

/* Rewrites the checksum so that a mutated message fails only for the reason under test.
 * version selects the checksum form (2: message only; 3: with pseudo-header). */
static void refresh_checksum(uint8_t *msg, size_t len, uint8_t version,
			     const struct vrrp_rx_meta *meta)
{
	uint16_t c = vrrp_checksum(msg, len, version, &meta->src, &meta->dst);
	msg[6] = (uint8_t)(c >> 8);
	msg[7] = (uint8_t)c;
}

static void expect_reject(const uint8_t *msg, size_t len, const struct vrrp_rx_meta *meta,
			  enum vrrp_reject expected, const char *what)
{
	struct vrrp_advert adv;
	enum vrrp_reject got = decode_exact(msg, len, meta, &adv);
	if (got != expected)
		fail_msg("%s: expected %s, got %s", what, vrrp_reject_name(expected),
			 vrrp_reject_name(got));
}

static json_int_t field_int(const struct advert_vector *v, const char *key)
{
	const json_t *f = json_object_get(v->fields, key);
	if (!json_is_integer(f))
		fail_msg("%s: fields.vrrp.%s missing", v->name, key);
	return json_integer_value(f);
}

#define CHECK_FIELD(v, got, key)                                                         \
	do {                                                                             \
		json_int_t want_ = field_int(v, key);                                    \
		if ((json_int_t)(got) != want_)                                          \
			fail_msg("%s: %s = %lld, vector says %lld", (v)->name, key,      \
				 (long long)(got), (long long)want_);                   \
	} while (0)

static void check_addresses(const struct advert_vector *v, const struct vrrp_advert *adv)
{
	const json_t *addrs = json_object_get(v->fields, "addresses");
	assert_int_equal(json_array_size(addrs), adv->count);
	for (size_t i = 0; i < adv->count; i++) {
		struct ip_addr want;
		assert_int_equal(ip_addr_parse(json_string_value(json_array_get(addrs, i)), &want), 0);
		if (!ip_addr_equal(&want, &adv->addrs[i]))
			fail_msg("%s: address %zu differs", v->name, i);
	}
}

static void check_common_fields(const struct advert_vector *v, const struct vrrp_advert *adv)
{
	CHECK_FIELD(v, adv->version, "version");
	CHECK_FIELD(v, adv->type, "type");
	CHECK_FIELD(v, adv->vrid, "vrid");
	CHECK_FIELD(v, adv->priority, "priority");
	CHECK_FIELD(v, adv->count, "count");
	CHECK_FIELD(v, adv->checksum, "checksum");
	assert_int_equal(adv->family, v->meta.family);
	check_addresses(v, adv);
}

static void check_v3_fields(const struct advert_vector *v, const struct vrrp_advert *adv)
{
	CHECK_FIELD(v, adv->max_adver_int_cs, "max_adver_int_cs");
	assert_int_equal(adv->auth_type, 0);
}

/* v2: the struct holds seconds x 100; the vector holds seconds and the auth words in hex. */
static void check_v2_fields(const struct advert_vector *v, const struct vrrp_advert *adv)
{
	uint8_t auth[VRRP_V2_AUTH_LEN];
	const char *hex = json_string_value(json_object_get(v->fields, "auth_data"));

	json_int_t seconds = field_int(v, "adver_int_s");
	if (adv->max_adver_int_cs != seconds * 100)
		fail_msg("%s: max_adver_int_cs %u, vector says %lld s", v->name,
			 adv->max_adver_int_cs, (long long)seconds);
	CHECK_FIELD(v, adv->auth_type, "auth_type");
	assert_non_null(hex);
	assert_int_equal(hex_decode(hex, auth, sizeof(auth)), VRRP_V2_AUTH_LEN);
	assert_memory_equal(adv->auth_data, auth, VRRP_V2_AUTH_LEN);
}

/* ---- known answers from keepalived ---------------------------------------------------- */

static void test_vectors_decode_and_reencode(void **state)
{
	const struct vectors *vs = *state;
	unsigned decoded = 0, reencoded = 0;

	assert_int_equal(vs->count, EXPECTED_ADVERTS);
	for (size_t i = 0; i < vs->count; i++) {
		const struct advert_vector *v = &vs->adverts[i];
		struct vrrp_advert adv;
		uint8_t out[VRRP_MAX_MSG_LEN];

		enum vrrp_reject r = decode_exact(v->msg, v->len, &v->meta, &adv);
		if (r != VRRP_ACCEPT)
			fail_msg("%s: rejected (%s)", v->name, vrrp_reject_name(r));
		check_common_fields(v, &adv);
		if (adv.version == 2)
			check_v2_fields(v, &adv);
		else
			check_v3_fields(v, &adv);
		decoded++;

		int n = vrrp_encode(&adv, &v->meta.src, &v->meta.dst, out, sizeof(out));
		if (n != (int)v->len || memcmp(out, v->msg, v->len) != 0)
			fail_msg("%s: re-encoding differs from keepalived's bytes (len %d)", v->name, n);
		reencoded++;
	}
	print_message("vectors: %u decoded, %u re-encoded byte for byte\n", decoded, reencoded);
	assert_int_equal(decoded, EXPECTED_ADVERTS);
	assert_int_equal(reencoded, EXPECTED_ADVERTS);
}

/* The vectors cover each version/family/mode combination the README lists. */
static void test_vectors_cover_every_configuration(void **state)
{
	static const char *const captures[] = {
		"v2-ipv4-mcast-1s/", "v2-ipv4-ucast-1s/", "v2-ipv4-mcast-1s-authpass/",
		"v2-ipv4-ucast-1s-authpass/", "v3-ipv4-mcast-100ms/", "v3-ipv4-ucast-100ms/",
		"v3-ipv6-mcast-100ms/", "v3-ipv6-ucast-100ms/",
	};
	for (size_t i = 0; i < sizeof(captures) / sizeof(captures[0]); i++)
		assert_non_null(find_vector(state, captures[i]));
}

/* ---- rejects, one reason each --------------------------------------------------------- */

static void test_reject_truncated_at_every_length(void **state)
{
	const struct vectors *vs = *state;
	unsigned cases = 0;

	for (size_t i = 0; i < vs->count; i++) {
		const struct advert_vector *v = &vs->adverts[i];
		for (size_t cut = 0; cut < v->len; cut++, cases++)
			expect_reject(v->msg, cut, &v->meta, VRRP_REJECT_TOO_SHORT, v->name);
	}
	assert_true(cases > 0);
}

static void test_reject_bad_version(void **state)
{
	static const char *const names[] = { "v2-ipv4-mcast-1s/vrrp-node1-prio150",
					     "v3-ipv4-ucast-100ms/vrrp-node1-prio150",
					     "v3-ipv6-mcast-100ms/vrrp-node1-prio150" };
	for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
		const struct advert_vector *v = find_vector(state, names[n]);
		for (unsigned version = 0; version < 16; version++) {
			uint8_t msg[VRRP_MAX_MSG_LEN];
			uint8_t own_version = v->msg[0] >> 4;
			if (version == own_version)
				continue;
			/* v2 <-> v3 over IPv4 differ in length (auth data): a count/length
			 * error, tested below. v2 over IPv6 is a version error and stays. */
			if ((version == 2 || version == 3) && v->meta.family == AF_INET)
				continue;
			memcpy(msg, v->msg, v->len);
			msg[0] = (uint8_t)(version << 4 | (msg[0] & 0x0f));
			refresh_checksum(msg, v->len, own_version, &v->meta);
			expect_reject(msg, v->len, &v->meta, VRRP_REJECT_VERSION, v->name);
		}
	}
}

/* RFC 3768 is IPv4 only: a well-formed v2 message arriving over IPv6 is a version error. */
static void test_reject_v2_over_ipv6(void **state)
{
	const struct advert_vector *v6 = find_vector(state, "v3-ipv6-ucast-100ms/vrrp-node1-prio150");
	uint8_t msg[VRRP_MAX_MSG_LEN] = { 0 };
	size_t len = v6->len + VRRP_V2_AUTH_LEN;

	memcpy(msg, v6->msg, v6->len);
	msg[0] = 0x21;    /* version 2, type 1 */
	msg[4] = 0;       /* auth type none */
	msg[5] = 1;       /* adver int 1 s */
	refresh_checksum(msg, len, 2, &v6->meta);
	struct vrrp_rx_meta mcast = v6->meta;
	mcast.ttl = 255;
	expect_reject(msg, len, &v6->meta, VRRP_REJECT_VERSION, "v2 over IPv6 unicast");
	expect_reject(msg, len, &mcast, VRRP_REJECT_VERSION, "v2 over IPv6, hop limit 255");
}

static void test_reject_bad_type(void **state)
{
	const char *names[] = { "v2-ipv4-ucast-1s/vrrp-node1-prio150",
				"v3-ipv6-mcast-100ms/vrrp-node2-prio100" };
	for (size_t n = 0; n < 2; n++) {
		const struct advert_vector *v = find_vector(state, names[n]);
		for (unsigned type = 0; type < 16; type++) {
			uint8_t msg[VRRP_MAX_MSG_LEN];
			if (type == VRRP_TYPE_ADVERT)
				continue;
			memcpy(msg, v->msg, v->len);
			msg[0] = (uint8_t)((msg[0] & 0xf0) | type);
			refresh_checksum(msg, v->len, msg[0] >> 4, &v->meta);
			expect_reject(msg, v->len, &v->meta, VRRP_REJECT_TYPE, v->name);
		}
	}
}

/* RFC 5798 §7.1: TTL / hop limit 255; the only exception is keepalived's IPv6 unicast 64. */
static void test_reject_ttl(void **state)
{
	static const struct {
		const char *name;
		uint8_t ttl;
	} cases[] = {
		{ "v3-ipv4-mcast-100ms/vrrp-node1-prio150", 254 },
		{ "v3-ipv6-mcast-100ms/vrrp-node1-prio150", 254 },
		{ "v2-ipv4-mcast-1s/vrrp-node1-prio150", 254 },
		{ "v3-ipv6-mcast-100ms/vrrp-node1-prio150", 64 }, /* 64 is for unicast only */
		{ "v3-ipv4-ucast-100ms/vrrp-node1-prio150", 64 }, /* and IPv6 only */
		{ "v2-ipv4-ucast-1s/vrrp-node1-prio150", 64 },
		{ "v3-ipv6-ucast-100ms/vrrp-node1-prio150", 63 },
		{ "v3-ipv6-ucast-100ms/vrrp-node1-prio150", 1 },
		{ "v3-ipv4-ucast-100ms/vrrp-node1-prio150", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct advert_vector *v = find_vector(state, cases[i].name);
		struct vrrp_rx_meta meta = v->meta;
		meta.ttl = cases[i].ttl;
		expect_reject(v->msg, v->len, &meta, VRRP_REJECT_TTL, v->name);
	}
}

static void test_ipv6_unicast_hop_limit_64_and_255_accepted(void **state)
{
	const struct advert_vector *v = find_vector(state, "v3-ipv6-ucast-100ms/vrrp-node1-prio150");
	struct vrrp_rx_meta meta = v->meta;

	assert_int_equal(v->meta.ttl, 64); /* as keepalived 2.2.7 sends it */
	expect_reject(v->msg, v->len, &meta, VRRP_ACCEPT, "hop limit 64");
	meta.ttl = 255;
	expect_reject(v->msg, v->len, &meta, VRRP_ACCEPT, "hop limit 255");
}

static void test_reject_vrid_zero(void **state)
{
	const struct vectors *vs = *state;
	for (size_t i = 0; i < vs->count; i++) {
		const struct advert_vector *v = &vs->adverts[i];
		uint8_t msg[VRRP_MAX_MSG_LEN];
		memcpy(msg, v->msg, v->len);
		msg[1] = 0;
		refresh_checksum(msg, v->len, msg[0] >> 4, &v->meta);
		expect_reject(msg, v->len, &v->meta, VRRP_REJECT_VRID, v->name);
	}
}

static void test_reject_count_zero(void **state)
{
	const struct vectors *vs = *state;
	for (size_t i = 0; i < vs->count; i++) {
		const struct advert_vector *v = &vs->adverts[i];
		uint8_t msg[VRRP_MAX_MSG_LEN];
		memcpy(msg, v->msg, v->len);
		msg[3] = 0;
		refresh_checksum(msg, v->len, msg[0] >> 4, &v->meta);
		expect_reject(msg, v->len, &v->meta, VRRP_REJECT_ADDR_COUNT, v->name);

		/* Count 0 and no address at all: the length matches, the message is still void. */
		size_t alen = ip_addr_len(&v->meta.src);
		size_t len = v->len - alen;
		memmove(msg + VRRP_HEADER_LEN, msg + VRRP_HEADER_LEN + alen, len - VRRP_HEADER_LEN);
		refresh_checksum(msg, len, msg[0] >> 4, &v->meta);
		expect_reject(msg, len, &v->meta, VRRP_REJECT_ADDR_COUNT, v->name);
	}
}

/* Bytes beyond count addresses (+ v2 auth) are a count/length mismatch, and so is a count
 * higher than the addresses present; only a message without room for one address is too
 * short. */
static void test_reject_count_length_mismatch(void **state)
{
	const struct vectors *vs = *state;
	for (size_t i = 0; i < vs->count; i++) {
		const struct advert_vector *v = &vs->adverts[i];
		size_t alen = v->meta.family == AF_INET6 ? 16 : 4;
		uint8_t msg[VRRP_MAX_MSG_LEN] = { 0 };

		for (size_t extra = 1; extra <= alen; extra++) {
			memcpy(msg, v->msg, v->len);
			refresh_checksum(msg, v->len + extra, msg[0] >> 4, &v->meta);
			expect_reject(msg, v->len + extra, &v->meta, VRRP_REJECT_ADDR_COUNT, v->name);
		}
		memcpy(msg, v->msg, v->len);
		msg[3] = 2; /* two promised, one present */
		refresh_checksum(msg, v->len, msg[0] >> 4, &v->meta);
		expect_reject(msg, v->len, &v->meta, VRRP_REJECT_ADDR_COUNT, v->name);
		msg[3] = 255; /* the most a count can promise */
		refresh_checksum(msg, v->len, msg[0] >> 4, &v->meta);
		expect_reject(msg, v->len, &v->meta, VRRP_REJECT_ADDR_COUNT, v->name);
		msg[3] = 1; /* one promised, the message cut inside it */
		expect_reject(msg, v->len - alen + 1 - (msg[0] >> 4 == 2 ? 8 : 0), &v->meta,
			      VRRP_REJECT_TOO_SHORT, v->name);
	}
}

static void test_reject_zero_interval(void **state)
{
	const struct vectors *vs = *state;
	for (size_t i = 0; i < vs->count; i++) {
		const struct advert_vector *v = &vs->adverts[i];
		uint8_t msg[VRRP_MAX_MSG_LEN];
		memcpy(msg, v->msg, v->len);
		if (msg[0] >> 4 == 2) {
			msg[5] = 0;                 /* RFC 3768 §5.3.7 Adver Int */
		} else {
			msg[4] &= 0xf0;             /* RFC 5798 §5.2.7 Max Adver Int */
			msg[5] = 0;
		}
		refresh_checksum(msg, v->len, msg[0] >> 4, &v->meta);
		expect_reject(msg, v->len, &v->meta, VRRP_REJECT_INTERVAL, v->name);
	}
}

static void test_reject_bad_checksum(void **state)
{
	const struct vectors *vs = *state;
	for (size_t i = 0; i < vs->count; i++) {
		const struct advert_vector *v = &vs->adverts[i];
		uint8_t msg[VRRP_MAX_MSG_LEN];

		for (unsigned bit = 0; bit < 16; bit++) {
			memcpy(msg, v->msg, v->len);
			msg[6 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
			expect_reject(msg, v->len, &v->meta, VRRP_REJECT_CHECKSUM, v->name);
		}
		memcpy(msg, v->msg, v->len);
		msg[2] ^= 0x01; /* priority changed in flight */
		expect_reject(msg, v->len, &v->meta, VRRP_REJECT_CHECKSUM, v->name);
		memcpy(msg, v->msg, v->len);
		msg[v->len - 1] ^= 0x80; /* last byte: address or auth data */
		expect_reject(msg, v->len, &v->meta, VRRP_REJECT_CHECKSUM, v->name);
	}
}

/* RFC 5798 §5.2.8: the v3 pseudo-header covers the source, so another source fails; the v2
 * checksum (RFC 3768 §5.3.8) covers the message alone, so it does not. */
static void test_checksum_pseudo_header_source(void **state)
{
	const struct vectors *vs = *state;
	for (size_t i = 0; i < vs->count; i++) {
		const struct advert_vector *v = &vs->adverts[i];
		struct vrrp_rx_meta meta = v->meta;
		meta.src.bytes[ip_addr_len(&meta.src) - 1] ^= 0x01;
		expect_reject(v->msg, v->len, &meta,
			      v->msg[0] >> 4 == 3 ? VRRP_REJECT_CHECKSUM : VRRP_ACCEPT, v->name);
	}
}

/* keepalived < 1.3.6 computed v3 unicast checksums over the multicast group: accepted. */
static void test_v3_unicast_checksum_over_group_accepted(void **state)
{
	const struct vectors *vs = *state;
	unsigned tried = 0;

	for (size_t i = 0; i < vs->count; i++) {
		const struct advert_vector *v = &vs->adverts[i];
		if (v->msg[0] >> 4 != 3 || ip_addr_is_multicast(&v->meta.dst))
			continue;
		struct vrrp_rx_meta as_group = v->meta;
		ip_addr_vrrp_group(v->meta.family, &as_group.dst);
		uint8_t msg[VRRP_MAX_MSG_LEN];
		memcpy(msg, v->msg, v->len);
		refresh_checksum(msg, v->len, 3, &as_group);
		assert_memory_not_equal(msg + 6, v->msg + 6, 2);

		struct vrrp_advert adv;
		assert_int_equal(decode_exact(msg, v->len, &v->meta, &adv), VRRP_ACCEPT);
		assert_int_equal(adv.checksum, msg[6] << 8 | msg[7]);
		assert_true(adv.group_form_checksum);
		/* Encoding with the group as pseudo-header destination answers in that form. */
		uint8_t old_form[VRRP_MAX_MSG_LEN];
		assert_int_equal(vrrp_encode(&adv, &v->meta.src, &as_group.dst, old_form,
					     sizeof(old_form)), (int)v->len);
		assert_memory_equal(old_form, msg, v->len);
		/* The standard form decodes without the flag. */
		struct vrrp_advert standard;
		assert_int_equal(decode_exact(v->msg, v->len, &v->meta, &standard), VRRP_ACCEPT);
		assert_false(standard.group_form_checksum);
		/* Re-encoding uses the post-1.3.6 form: keepalived's original bytes again. */
		uint8_t out[VRRP_MAX_MSG_LEN];
		assert_int_equal(vrrp_encode(&adv, &v->meta.src, &v->meta.dst, out, sizeof(out)),
				 (int)v->len);
		assert_memory_equal(out, v->msg, v->len);
		tried++;
	}
	assert_int_equal(tried, 8); /* v3 unicast: 4 IPv4 + 4 IPv6 */
}

/* The group fallback is for unicast destinations only: a multicast advert whose checksum
 * was computed for another destination is a checksum error, even when that other
 * destination is the VRRP group and the packet arrived on some other multicast group. */
static void test_multicast_checksum_has_no_fallback(void **state)
{
	const char *names[] = { "v3-ipv4-mcast-100ms/vrrp-node1-prio150",
				"v3-ipv6-mcast-100ms/vrrp-node1-prio150" };
	for (size_t n = 0; n < 2; n++) {
		const struct advert_vector *v = find_vector(state, names[n]);
		struct vrrp_rx_meta other = v->meta;
		assert_int_equal(ip_addr_parse(v->meta.family == AF_INET ? "10.77.0.12" : "fd77::12",
					       &other.dst), 0);
		uint8_t msg[VRRP_MAX_MSG_LEN];
		memcpy(msg, v->msg, v->len);
		refresh_checksum(msg, v->len, 3, &other);
		expect_reject(msg, v->len, &v->meta, VRRP_REJECT_CHECKSUM, v->name);

		struct vrrp_rx_meta all_nodes = v->meta; /* checksum over the group, sent elsewhere */
		assert_int_equal(ip_addr_parse(v->meta.family == AF_INET ? "224.0.0.1" : "ff02::1",
					       &all_nodes.dst), 0);
		expect_reject(v->msg, v->len, &all_nodes, VRRP_REJECT_CHECKSUM, v->name);
	}
}

/* RFC 5798 §5.2.6: rsvd bits "MUST be ignored on reception". */
static void test_v3_rsvd_bits_ignored(void **state)
{
	const struct advert_vector *v = find_vector(state, "v3-ipv4-mcast-100ms/vrrp-node1-prio150");
	uint8_t msg[VRRP_MAX_MSG_LEN];
	struct vrrp_advert adv;

	memcpy(msg, v->msg, v->len);
	msg[4] |= 0xf0;
	refresh_checksum(msg, v->len, 3, &v->meta);
	assert_int_equal(decode_exact(msg, v->len, &v->meta, &adv), VRRP_ACCEPT);
	assert_int_equal(adv.max_adver_int_cs, 10);
}

/* ---- encoder ---------------------------------------------------------------------------- */

static void make_advert(struct vrrp_advert *adv, uint8_t version, sa_family_t family)
{
	memset(adv, 0, sizeof(*adv));
	adv->version = version;
	adv->type = VRRP_TYPE_ADVERT;
	adv->vrid = 51;
	adv->priority = 100;
	adv->count = 1;
	adv->family = family;
	adv->max_adver_int_cs = 100;
	assert_int_equal(ip_addr_parse(family == AF_INET ? "10.77.0.100" : "fd77::100",
				       &adv->addrs[0]), 0);
}

static void test_encode_rejects_bad_struct(void **state)
{
	(void)state;
	struct ip_addr src4, dst4, src6, dst6;
	struct vrrp_advert adv;
	uint8_t buf[VRRP_MAX_MSG_LEN];

	assert_int_equal(ip_addr_parse("10.77.0.11", &src4), 0);
	ip_addr_vrrp_group(AF_INET, &dst4);
	assert_int_equal(ip_addr_parse("fd77::11", &src6), 0);
	ip_addr_vrrp_group(AF_INET6, &dst6);

	make_advert(&adv, 3, AF_INET);
	assert_int_equal(vrrp_encode(&adv, &src4, &dst4, buf, sizeof(buf)), 12);
	assert_int_equal(vrrp_encode(&adv, &src4, &dst4, buf, 11), -ENOSPC);
	assert_int_equal(vrrp_encode(&adv, &src6, &dst6, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(vrrp_encode(&adv, NULL, &dst4, buf, sizeof(buf)), -EINVAL);
	adv.version = 4;
	assert_int_equal(vrrp_encode(&adv, &src4, &dst4, buf, sizeof(buf)), -EINVAL);
	make_advert(&adv, 3, AF_INET);
	adv.vrid = 0;
	assert_int_equal(vrrp_encode(&adv, &src4, &dst4, buf, sizeof(buf)), -EINVAL);
	make_advert(&adv, 3, AF_INET);
	adv.count = 0;
	assert_int_equal(vrrp_encode(&adv, &src4, &dst4, buf, sizeof(buf)), -EINVAL);
	make_advert(&adv, 3, AF_INET);
	adv.max_adver_int_cs = VRRP_V3_MAX_ADVER_INT_CS + 1;
	assert_int_equal(vrrp_encode(&adv, &src4, &dst4, buf, sizeof(buf)), -EINVAL);
	adv.max_adver_int_cs = 0;
	assert_int_equal(vrrp_encode(&adv, &src4, &dst4, buf, sizeof(buf)), -EINVAL);
	make_advert(&adv, 3, AF_INET);
	adv.addrs[0].family = AF_INET6;
	assert_int_equal(vrrp_encode(&adv, &src4, &dst4, buf, sizeof(buf)), -EINVAL);

	make_advert(&adv, 2, AF_INET);
	assert_int_equal(vrrp_encode(&adv, NULL, NULL, buf, sizeof(buf)), 20);
	assert_int_equal(vrrp_encode(&adv, NULL, NULL, buf, 19), -ENOSPC);
	adv.max_adver_int_cs = 150; /* v2 carries whole seconds only */
	assert_int_equal(vrrp_encode(&adv, NULL, NULL, buf, sizeof(buf)), -EINVAL);
	adv.max_adver_int_cs = 25600; /* 256 s does not fit 8 bits */
	assert_int_equal(vrrp_encode(&adv, NULL, NULL, buf, sizeof(buf)), -EINVAL);
	make_advert(&adv, 2, AF_INET6);
	assert_int_equal(vrrp_encode(&adv, &src6, &dst6, buf, sizeof(buf)), -EINVAL);
}

/* The largest messages: 255 addresses, v3 IPv6 and v2 IPv4, both ways. */
static void test_max_count_round_trip(void **state)
{
	(void)state;
	static const struct {
		uint8_t version;
		sa_family_t family;
		size_t len;
	} cases[] = { { 3, AF_INET6, 8 + 255 * 16 }, { 2, AF_INET, 8 + 255 * 4 + 8 } };

	for (size_t c = 0; c < 2; c++) {
		struct vrrp_advert adv, back;
		struct vrrp_rx_meta meta = { .family = cases[c].family, .ttl = 255 };
		uint8_t buf[VRRP_MAX_MSG_LEN];

		make_advert(&adv, cases[c].version, cases[c].family);
		adv.count = VRRP_MAX_ADDRS;
		for (unsigned i = 0; i < VRRP_MAX_ADDRS; i++) {
			adv.addrs[i] = adv.addrs[0];
			adv.addrs[i].bytes[ip_addr_len(&adv.addrs[0]) - 1] = (uint8_t)i;
		}
		memcpy(adv.auth_data, "pass1234", VRRP_V2_AUTH_LEN);
		adv.auth_type = cases[c].version == 2 ? 1 : 0;
		assert_int_equal(ip_addr_parse(cases[c].family == AF_INET ? "10.77.0.11" : "fd77::11",
					       &meta.src), 0);
		ip_addr_vrrp_group(cases[c].family, &meta.dst);

		int n = vrrp_encode(&adv, &meta.src, &meta.dst, buf, sizeof(buf));
		assert_int_equal(n, (int)cases[c].len);
		assert_int_equal(decode_exact(buf, (size_t)n, &meta, &back), VRRP_ACCEPT);
		assert_int_equal(back.count, VRRP_MAX_ADDRS);
		assert_true(ip_addr_equal(&back.addrs[254], &adv.addrs[254]));
		assert_int_equal(back.max_adver_int_cs, 100);
		assert_int_equal(back.auth_type, adv.auth_type);
		if (cases[c].version == 2)
			assert_memory_equal(back.auth_data, "pass1234", VRRP_V2_AUTH_LEN);
	}
}

static void test_reject_names_distinct(void **state)
{
	(void)state;
	for (int a = 0; a < VRRP_REJECT__COUNT; a++) {
		const char *name = vrrp_reject_name((enum vrrp_reject)a);
		assert_string_not_equal(name, "unknown");
		for (int b = a + 1; b < VRRP_REJECT__COUNT; b++)
			assert_string_not_equal(name, vrrp_reject_name((enum vrrp_reject)b));
	}
	assert_string_equal(vrrp_reject_name(VRRP_REJECT_CHECKSUM), "checksum");
	assert_string_equal(vrrp_reject_name(VRRP_REJECT__COUNT), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_decode_and_reencode),
		cmocka_unit_test(test_vectors_cover_every_configuration),
		cmocka_unit_test(test_reject_truncated_at_every_length),
		cmocka_unit_test(test_reject_bad_version),
		cmocka_unit_test(test_reject_v2_over_ipv6),
		cmocka_unit_test(test_reject_bad_type),
		cmocka_unit_test(test_reject_ttl),
		cmocka_unit_test(test_ipv6_unicast_hop_limit_64_and_255_accepted),
		cmocka_unit_test(test_reject_vrid_zero),
		cmocka_unit_test(test_reject_count_zero),
		cmocka_unit_test(test_reject_count_length_mismatch),
		cmocka_unit_test(test_reject_zero_interval),
		cmocka_unit_test(test_reject_bad_checksum),
		cmocka_unit_test(test_checksum_pseudo_header_source),
		cmocka_unit_test(test_v3_unicast_checksum_over_group_accepted),
		cmocka_unit_test(test_multicast_checksum_has_no_fallback),
		cmocka_unit_test(test_v3_rsvd_bits_ignored),
		cmocka_unit_test(test_encode_rejects_bad_struct),
		cmocka_unit_test(test_max_count_round_trip),
		cmocka_unit_test(test_reject_names_distinct),
	};
	return cmocka_run_group_tests(tests, load_vectors, free_vectors);
}
