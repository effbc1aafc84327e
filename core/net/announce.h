/* announce.h — sends what a new master announces (RFC 5798 §6.4.1 / §6.4.2: "broadcast a
 * gratuitous ARP request ... for each IPv4 address", "send an Unsolicited ND Neighbor
 * Advertisement for each IPv6 address"). Frames come from the pure builders in
 * announce_frame.h; this file only opens sockets and sends. */
#ifndef KEEPVIP_ANNOUNCE_H
#define KEEPVIP_ANNOUNCE_H

#include "ipaddr.h"

#include <stddef.h>
#include <stdint.h>

struct announcer {
	int arp_fd;   /* AF_PACKET, ETH_P_ARP; -1 until the first IPv4 announce */
	int na_fd;    /* raw ICMPv6; -1 until the first IPv6 announce */
	int ifindex;
	uint8_t mac[6];
};

/* Sets up an announcer for one interface; sockets open on first use. */
void announcer_init(struct announcer *a, int ifindex, const uint8_t mac[6]);

/* Sends one gratuitous ARP (IPv4 vip) or unsolicited NA (IPv6 vip, sent from vip to ff02::1).
 * Returns 0 or negative errno; err names the address and the syscall. */
int announce_vip(struct announcer *a, const struct ip_addr *vip, char *err, size_t err_len);

/* Accepts NULL. */
void announcer_close(struct announcer *a);

#endif
