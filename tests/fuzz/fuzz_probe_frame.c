/* fuzz_probe_frame.c — libFuzzer: arbitrary bytes as a frame the conflict prober reads from
 * its packet socket (core/net/probe_frame.c): an ARP reply, an IPv4 VRRP packet or an
 * IPv6 neighbour advertisement / VRRP packet from anyone on the link.
 *
 * Input: byte 0 picks the ethertype (0 ARP, 1 IPv4, 2 IPv6, else the next two bytes are
 * it), 6 bytes of source MAC, then the frame from its network header on. probe_frame_parse
 * never fails; what it reports must be consistent: a claim or a VRRP sender has an address
 * of the ethertype's family. Nothing may crash or read out of bounds. */
#include "probe_frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint16_t ethertypes[] = { 0x0806, 0x0800, 0x86dd };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_rx rx;
	uint16_t ethertype;

	if (size < 1 + 6)
		return 0;
	if (data[0] < 3) {
		ethertype = ethertypes[data[0]];
		data += 1;
		size -= 1;
	} else {
		if (size < 3 + 6)
			return 0;
		ethertype = (uint16_t)(data[1] << 8 | data[2]);
		data += 3;
		size -= 3;
	}
	/* the frame in a buffer of its own size, so that ASan sees any read past its end */
	uint8_t *pkt = malloc(size - 6 ? size - 6 : 1);
	if (pkt == NULL)
		abort();
	memcpy(pkt, data + 6, size - 6);
	probe_frame_parse(ethertype, data, pkt, size - 6, &rx);
	free(pkt);

	sa_family_t want = ethertype == 0x86dd ? AF_INET6 : AF_INET;
	if (rx.kind > PROBE_RX_VRRP)
		abort();
	if (rx.kind != PROBE_RX_OTHER && rx.addr.family != want) {
		fprintf(stderr, "fuzz_probe_frame: a report without an address of its family\n");
		abort();
	}
	return 0;
}
