/* test_announce_frame.c — gratuitous ARP and unsolicited NA builders against the frames
 * keepalived 2.2.7 sent in the lab (shared/vectors/keepalived-vrrp.json). */
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

#include "announce_frame.h"
#include "ipaddr.h"
#include "vectors.h"

#define EXPECTED_GARPS 12
#define EXPECTED_NAS 4

static int load_vectors(void **state)
{
	json_t *doc = vectors_load();
	if (doc == NULL)
		return -1;
	*state = doc;
	return 0;
}

static int free_vectors(void **state)
{
	json_decref(*state);
	return 0;
}

static void parse_mac(const char *text, uint8_t mac[6])
{
	unsigned b[6];
	assert_non_null(text);
	assert_int_equal(sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3], &b[4],
				&b[5]), 6);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
}

static void parse_addr(const json_t *v, const char *key, struct ip_addr *out)
{
	const char *text = json_string_value(json_object_get(v, key));
	assert_non_null(text);
	assert_int_equal(ip_addr_parse(text, out), 0);
}

static const char *vector_name(const json_t *v)
{
	const char *name = json_string_value(json_object_get(v, "name"));
	return name != NULL ? name : "(unnamed)";
}

static void expect_bytes(const json_t *v, const uint8_t *built, int built_len)
{
	uint8_t want[64];
	const char *hex = json_string_value(json_object_get(v, "hex"));
	assert_non_null(hex);
	int want_len = hex_decode(hex, want, sizeof(want));
	if (built_len != want_len || memcmp(built, want, (size_t)want_len) != 0)
		fail_msg("%s: built frame differs from keepalived's (len %d vs %d)", vector_name(v),
			 built_len, want_len);
}

/* ARP: the vector's src and dst are the sender and target protocol addresses (both the
 * VIP); eth_src is the sender hardware address. */
static void check_garp(const json_t *v)
{
	uint8_t mac[6], sha[6], buf[ARP_PAYLOAD_LEN];
	struct ip_addr vip, target;

	parse_mac(json_string_value(json_object_get(v, "eth_src")), mac);
	parse_mac(json_string_value(json_object_get(json_object_get(v, "fields"), "sha")), sha);
	assert_memory_equal(mac, sha, 6);
	parse_addr(v, "src", &vip);
	parse_addr(v, "dst", &target);
	assert_true(ip_addr_equal(&vip, &target));
	expect_bytes(v, buf, arp_build_gratuitous(mac, &vip, buf, sizeof(buf)));
}

/* NA: src is the IPv6 source (the VIP itself in these captures), dst is ff02::1, and the
 * target is fields.target. */
static void check_na(const json_t *v)
{
	uint8_t mac[6], buf[NA_MSG_LEN];
	struct ip_addr vip, src, dst;
	const char *target = json_string_value(json_object_get(json_object_get(v, "fields"), "target"));

	parse_mac(json_string_value(json_object_get(v, "eth_src")), mac);
	assert_non_null(target);
	assert_int_equal(ip_addr_parse(target, &vip), 0);
	parse_addr(v, "src", &src);
	parse_addr(v, "dst", &dst);
	expect_bytes(v, buf, ndisc_build_unsolicited_na(mac, &vip, &src, &dst, buf, sizeof(buf)));
}

static void test_vectors_built_byte_for_byte(void **state)
{
	const json_t *doc = *state;
	unsigned garps = 0, nas = 0;
	size_t i;
	const json_t *v;

	json_array_foreach(doc, i, v) {
		const char *kind = json_string_value(json_object_get(v, "kind"));
		if (kind == NULL)
			fail_msg("vector %zu has no kind", i);
		if (strcmp(kind, "gratuitous-arp") == 0) {
			check_garp(v);
			garps++;
		} else if (strcmp(kind, "unsolicited-na") == 0) {
			check_na(v);
			nas++;
		}
	}
	print_message("vectors: %u gratuitous ARP, %u unsolicited NA built byte for byte\n",
		      garps, nas);
	assert_int_equal(garps, EXPECTED_GARPS);
	assert_int_equal(nas, EXPECTED_NAS);
}

/* The NA checksum covers the pseudo-header: another source gives another checksum. */
static void test_na_checksum_covers_pseudo_header(void **state)
{
	(void)state;
	const uint8_t mac[6] = { 0x36, 0xb5, 0x83, 0x80, 0x4a, 0x6f };
	struct ip_addr vip, src_vip, src_ll, dst;
	uint8_t a[NA_MSG_LEN], b[NA_MSG_LEN];

	assert_int_equal(ip_addr_parse("fd77::100", &vip), 0);
	src_vip = vip;
	assert_int_equal(ip_addr_parse("fe80::34b5:83ff:fe80:4a6f", &src_ll), 0);
	assert_int_equal(ip_addr_parse("ff02::1", &dst), 0);
	assert_int_equal(ndisc_build_unsolicited_na(mac, &vip, &src_vip, &dst, a, sizeof(a)), NA_MSG_LEN);
	assert_int_equal(ndisc_build_unsolicited_na(mac, &vip, &src_ll, &dst, b, sizeof(b)), NA_MSG_LEN);
	assert_memory_not_equal(a + 2, b + 2, 2);
	assert_memory_equal(a + 4, b + 4, NA_MSG_LEN - 4);
}

static void test_bad_arguments(void **state)
{
	(void)state;
	const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 1 };
	struct ip_addr v4, v6, all_nodes;
	uint8_t buf[64];

	assert_int_equal(ip_addr_parse("10.77.0.100", &v4), 0);
	assert_int_equal(ip_addr_parse("fd77::100", &v6), 0);
	assert_int_equal(ip_addr_parse("ff02::1", &all_nodes), 0);

	assert_int_equal(arp_build_gratuitous(mac, &v6, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(arp_build_gratuitous(mac, &v4, buf, ARP_PAYLOAD_LEN - 1), -ENOSPC);
	assert_int_equal(arp_build_gratuitous(mac, &v4, buf, ARP_PAYLOAD_LEN), ARP_PAYLOAD_LEN);

	assert_int_equal(ndisc_build_unsolicited_na(mac, &v4, &v6, &all_nodes, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(ndisc_build_unsolicited_na(mac, &v6, &v4, &all_nodes, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(ndisc_build_unsolicited_na(mac, &v6, &v6, &v4, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ndisc_build_unsolicited_na(mac, &v6, &v6, &all_nodes, buf, NA_MSG_LEN - 1),
			 -ENOSPC);
	assert_int_equal(ndisc_build_unsolicited_na(mac, &v6, &v6, &all_nodes, buf, NA_MSG_LEN),
			 NA_MSG_LEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_built_byte_for_byte),
		cmocka_unit_test(test_na_checksum_covers_pseudo_header),
		cmocka_unit_test(test_bad_arguments),
	};
	return cmocka_run_group_tests(tests, load_vectors, free_vectors);
}
