/* addr_prober.h — asks a segment whether anyone else holds an address, and hears the
 * answers: one AF_PACKET socket per interface (SOCK_DGRAM, every protocol) whose classic BPF
 * filter lets through only what probe_frame_parse looks at — ARP, IPv4 and IPv6 VRRP, ICMPv6
 * Neighbor Advertisements — and never our own outgoing frames. Frames come from the pure
 * builders in probe_frame.h; this file only opens, sends and receives, non-blocking. */
#ifndef KEEPVIP_ADDR_PROBER_H
#define KEEPVIP_ADDR_PROBER_H

#include "ipaddr.h"
#include "probe_frame.h"

#include <stddef.h>
#include <stdint.h>

struct addr_prober {
	int fd;          /* -1 until addr_prober_open */
	int ifindex;
	uint8_t mac[6];
	uint8_t rx[2048];
};

void addr_prober_init(struct addr_prober *p, int ifindex, const uint8_t mac[6]);

/* Opens and binds the socket (filter attached before it is bound to the interface).
 * 0, or negative errno with err naming the syscall. */
int addr_prober_open(struct addr_prober *p, char *err, size_t err_len);

/* Sends one ARP Probe (IPv4 vip) or DAD-style Neighbor Solicitation (IPv6 vip).
 * 0, or negative errno with err naming the address and the syscall. */
int addr_prober_probe(struct addr_prober *p, const struct ip_addr *vip, char *err,
		      size_t err_len);

/* Reads one frame into *out: 0, -EAGAIN when none is waiting, or another negative errno. */
int addr_prober_recv(struct addr_prober *p, struct probe_rx *out);

/* Accepts NULL and a prober never opened. */
void addr_prober_close(struct addr_prober *p);

#endif
