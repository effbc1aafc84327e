/* test_probe_frame.c — the ARP Probe and DAD-style NS builders (known answers: the NS bytes
 * were checked by tshark, "Checksum: 0x7b0e [correct]") and the parser of the answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "announce_frame.h"
#include "ipaddr.h"
#include "probe_frame.h"

static const uint8_t OUR_MAC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t ETH_SRC[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };

static struct ip_addr addr(const char *text)
{
	struct ip_addr a;
	assert_int_equal(ip_addr_parse(text, &a), 0);
	return a;
}

/* RFC 5227 §2.1.1, field by field. */
static void arp_probe_bytes(void **state)
{
	(void)state;
	static const uint8_t expected[ARP_PROBE_LEN] = {
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,  /* Ethernet, IPv4, request */
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01,              /* sender MAC: ours */
		0x00, 0x00, 0x00, 0x00,                          /* sender IP 0.0.0.0 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00,              /* target MAC: zeroes */
		0x0a, 0x63, 0x00, 0x64,                          /* target IP: 10.99.0.100 */
	};
	uint8_t buf[64];
	struct ip_addr vip = addr("10.99.0.100");
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(arp_build_probe(OUR_MAC, &vip, buf, sizeof(buf)), ARP_PROBE_LEN);
	assert_memory_equal(buf, expected, sizeof(expected));
	assert_int_equal(arp_build_probe(OUR_MAC, &vip, buf, ARP_PROBE_LEN - 1), -ENOSPC);
	struct ip_addr v6 = addr("fd00::1");
	assert_int_equal(arp_build_probe(OUR_MAC, &v6, buf, sizeof(buf)), -EINVAL);
}

static void ns_probe_bytes(void **state)
{
	(void)state;
	static const uint8_t expected[NS_PROBE_LEN] = {
		0x60, 0x00, 0x00, 0x00, 0x00, 0x18, 0x3a, 0xff, /* 24 bytes of ICMPv6, hop 255 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* from :: */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* to ff02::1:ff00:100 */
		0x00, 0x00, 0x00, 0x01, 0xff, 0x00, 0x01, 0x00,
		0x87, 0x00, 0x7b, 0x0e, 0x00, 0x00, 0x00, 0x00, /* NS, checksum, reserved */
		0xfd, 0x00, 0x00, 0x99, 0x00, 0x00, 0x00, 0x00, /* target fd00:99::100 */
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
	};
	uint8_t buf[NS_PROBE_LEN + 8];
	struct ip_addr vip = addr("fd00:99::100");
	assert_int_equal(ndisc_build_probe(&vip, buf, sizeof(buf)), NS_PROBE_LEN);
	assert_memory_equal(buf, expected, sizeof(expected));
	assert_int_equal(ndisc_build_probe(&vip, buf, NS_PROBE_LEN - 1), -ENOSPC);
	struct ip_addr v4 = addr("10.0.0.1");
	assert_int_equal(ndisc_build_probe(&v4, buf, sizeof(buf)), -EINVAL);
}

static void solicited_node(void **state)
{
	(void)state;
	struct ip_addr vip = addr("2001:db8::12:3456:789a"), sn, expected = addr("ff02::1:ff56:789a");
	uint8_t mac[6], expected_mac[6] = { 0x33, 0x33, 0xff, 0x56, 0x78, 0x9a };
	ndisc_solicited_node(&vip, &sn);
	assert_true(ip_addr_equal(&sn, &expected));
	ndisc_solicited_node_mac(&vip, mac);
	assert_memory_equal(mac, expected_mac, 6);
}

/* An ARP reply of a host holding 10.99.0.100 at 02:00:00:00:00:99, as Linux answers a probe. */
static void arp_reply_claims(void **state)
{
	(void)state;
	uint8_t frame[ARP_PROBE_LEN] = {
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x99, 0x0a, 0x63, 0x00, 0x64,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	};
	struct probe_rx rx;
	struct ip_addr vip = addr("10.99.0.100");
	probe_frame_parse(ETHERTYPE_ARP_, ETH_SRC, frame, sizeof(frame), &rx);
	assert_int_equal(rx.kind, PROBE_RX_CLAIM);
	assert_true(ip_addr_equal(&rx.addr, &vip));
	assert_memory_equal(rx.mac, ETH_SRC, 6);
	/* truncated, or an unknown opcode: nothing */
	probe_frame_parse(ETHERTYPE_ARP_, ETH_SRC, frame, sizeof(frame) - 1, &rx);
	assert_int_equal(rx.kind, PROBE_RX_OTHER);
	frame[7] = 3;
	probe_frame_parse(ETHERTYPE_ARP_, ETH_SRC, frame, sizeof(frame), &rx);
	assert_int_equal(rx.kind, PROBE_RX_OTHER);
}

/* A gratuitous ARP claims the VIP for its sender; a probe (ours or a peer's) claims nothing. */
static void garp_claims_probe_does_not(void **state)
{
	(void)state;
	uint8_t frame[64];
	struct probe_rx rx;
	struct ip_addr vip = addr("10.99.0.100");
	assert_int_equal(arp_build_gratuitous(ETH_SRC, &vip, frame, sizeof(frame)), ARP_PAYLOAD_LEN);
	probe_frame_parse(ETHERTYPE_ARP_, ETH_SRC, frame, ARP_PAYLOAD_LEN, &rx);
	assert_int_equal(rx.kind, PROBE_RX_CLAIM);
	assert_true(ip_addr_equal(&rx.addr, &vip));
	assert_int_equal(arp_build_probe(OUR_MAC, &vip, frame, sizeof(frame)), ARP_PROBE_LEN);
	probe_frame_parse(ETHERTYPE_ARP_, OUR_MAC, frame, ARP_PROBE_LEN, &rx);
	assert_int_equal(rx.kind, PROBE_RX_OTHER);
}

/* IPv6 header + the NA our own builder makes (TLLA option carries tlla_mac). */
static size_t na_packet(uint8_t *buf, const uint8_t tlla_mac[6], uint8_t hops, bool option)
{
	struct ip_addr vip = addr("fd00:99::100"), all_nodes = addr("ff02::1");
	memset(buf, 0, 40);
	buf[0] = 0x60;
	buf[5] = option ? NA_MSG_LEN : 24;
	buf[6] = 58;
	buf[7] = hops;
	memcpy(buf + 8, vip.bytes, 16);
	memcpy(buf + 24, all_nodes.bytes, 16);
	assert_int_equal(ndisc_build_unsolicited_na(tlla_mac, &vip, &vip, &all_nodes, buf + 40,
						    NA_MSG_LEN), NA_MSG_LEN);
	return 40 + (option ? NA_MSG_LEN : 24);
}

static void na_claims(void **state)
{
	(void)state;
	static const uint8_t tlla[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	uint8_t pkt[128];
	struct probe_rx rx;
	struct ip_addr vip = addr("fd00:99::100");
	size_t len = na_packet(pkt, tlla, 255, true);
	probe_frame_parse(ETHERTYPE_IPV6_, ETH_SRC, pkt, len, &rx);
	assert_int_equal(rx.kind, PROBE_RX_CLAIM);
	assert_true(ip_addr_equal(&rx.addr, &vip));
	assert_memory_equal(rx.mac, tlla, 6);
	/* no option: the Ethernet source */
	len = na_packet(pkt, tlla, 255, false);
	probe_frame_parse(ETHERTYPE_IPV6_, ETH_SRC, pkt, len, &rx);
	assert_int_equal(rx.kind, PROBE_RX_CLAIM);
	assert_memory_equal(rx.mac, ETH_SRC, 6);
	/* RFC 4861 §7.1.2: hop limit other than 255 is not a valid NA */
	len = na_packet(pkt, tlla, 64, true);
	probe_frame_parse(ETHERTYPE_IPV6_, ETH_SRC, pkt, len, &rx);
	assert_int_equal(rx.kind, PROBE_RX_OTHER);
	/* our own NS probe is a question, not a claim */
	assert_int_equal(ndisc_build_probe(&vip, pkt, sizeof(pkt)), NS_PROBE_LEN);
	probe_frame_parse(ETHERTYPE_IPV6_, ETH_SRC, pkt, NS_PROBE_LEN, &rx);
	assert_int_equal(rx.kind, PROBE_RX_OTHER);
}

static void vrrp_names_its_sender(void **state)
{
	(void)state;
	/* IPv4 header (20 bytes, protocol 112, from 10.99.0.12) + the first VRRP bytes */
	uint8_t v4[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 255, 112, 0, 0, 10, 99, 0, 12,
			   224, 0, 0, 18, 0x31, 51, 100, 1, 0, 100, 0, 0 };
	struct probe_rx rx;
	struct ip_addr src = addr("10.99.0.12");
	probe_frame_parse(ETHERTYPE_IPV4_, ETH_SRC, v4, sizeof(v4), &rx);
	assert_int_equal(rx.kind, PROBE_RX_VRRP);
	assert_int_equal(rx.vrid, 51);
	assert_true(ip_addr_equal(&rx.addr, &src));
	assert_memory_equal(rx.mac, ETH_SRC, 6);
	v4[9] = 6; /* TCP */
	probe_frame_parse(ETHERTYPE_IPV4_, ETH_SRC, v4, sizeof(v4), &rx);
	assert_int_equal(rx.kind, PROBE_RX_OTHER);

	uint8_t v6[48] = { 0x60, 0, 0, 0, 0, 8, 112, 255, 0xfe, 0x80 };
	v6[23] = 1;
	v6[40] = 0x31;
	v6[41] = 7;
	struct ip_addr ll = addr("fe80::1");
	probe_frame_parse(ETHERTYPE_IPV6_, ETH_SRC, v6, sizeof(v6), &rx);
	assert_int_equal(rx.kind, PROBE_RX_VRRP);
	assert_int_equal(rx.vrid, 7);
	assert_true(ip_addr_equal(&rx.addr, &ll));
	probe_frame_parse(0x88cc, ETH_SRC, v6, sizeof(v6), &rx); /* LLDP */
	assert_int_equal(rx.kind, PROBE_RX_OTHER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(arp_probe_bytes),
		cmocka_unit_test(ns_probe_bytes),
		cmocka_unit_test(solicited_node),
		cmocka_unit_test(arp_reply_claims),
		cmocka_unit_test(garp_claims_probe_does_not),
		cmocka_unit_test(na_claims),
		cmocka_unit_test(vrrp_names_its_sender),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
