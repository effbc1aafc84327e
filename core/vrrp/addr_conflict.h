/* addr_conflict.h — another host holding one of our VIPs (an address conflict), judged.
 *
 * Pure: no socket, no clock. The instance feeds it what the prober hears (addr_prober.h):
 * claims of a VIP (an ARP packet whose sender IP is the VIP, RFC 5227 §2.1.1 and §2.4; a
 * Neighbor Advertisement for it, RFC 4862 §5.4.4) and the MACs that send VRRP packets for our
 * VRID (our peers: a master answers for the VIP, that is normal). Claims wait to be judged:
 * a peer's MAC is learnt from its next advert, at most a Master_Down_Interval later, so the
 * instance settles them one such interval after a probe round or a first claim. At that
 * point a claim from a MAC that is neither ours nor a peer's is a conflict; a probe round
 * that settles with no such claim ends it. */
#ifndef KEEPVIP_ADDR_CONFLICT_H
#define KEEPVIP_ADDR_CONFLICT_H

#include "ipaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDR_CONFLICT_PEER_MACS 16 /* the most recent peers kept */
#define ADDR_CONFLICT_PENDING 8    /* distinct (VIP, MAC) claims waiting to be judged */

struct addr_claim {
	struct ip_addr vip;
	uint8_t mac[6];
	uint32_t frames;           /* how many said so */
};

enum addr_conflict_verdict {
	ADDR_CONFLICT_NONE = 0,    /* nothing changed */
	ADDR_CONFLICT_BEGAN,       /* another holder answered: log it */
	ADDR_CONFLICT_GOES_ON,     /* still there */
	ADDR_CONFLICT_ENDED,       /* a probe round settled without it */
};

struct addr_conflict {
	uint8_t peer_macs[ADDR_CONFLICT_PEER_MACS][6];
	size_t n_peer_macs, next_peer_slot;
	struct addr_claim pending[ADDR_CONFLICT_PENDING];
	size_t n_pending;
	bool round_open;           /* a probe round waits for its settle */
	/* the verdict */
	bool active;
	struct ip_addr vip;        /* the last conflicting claim: address and MAC */
	uint8_t mac[6];
	uint64_t conflicts;        /* claim frames judged conflicting (a counter) */
};

void addr_conflict_init(struct addr_conflict *c);

/* A VRRP packet for our VRID came from mac: a peer's. */
void addr_conflict_learn_peer(struct addr_conflict *c, const uint8_t mac[6]);
bool addr_conflict_is_peer(const struct addr_conflict *c, const uint8_t mac[6]);

/* mac claims vip (one of ours). own: our interface's MAC, never a conflict. Returns true
 * when the claim waits to be judged (not ours); claims beyond ADDR_CONFLICT_PENDING distinct
 * ones only add to the last one's count. */
bool addr_conflict_claim(struct addr_conflict *c, const struct ip_addr *vip,
			 const uint8_t mac[6], const uint8_t own[6]);

/* Probes went out: the next settle ends a conflict nobody confirmed. */
void addr_conflict_round_start(struct addr_conflict *c);

/* Judges the waiting claims against the peers known now. */
enum addr_conflict_verdict addr_conflict_settle(struct addr_conflict *c);

/* For refuse mode before becoming master: a conflict, or a waiting claim from a MAC that is
 * no peer's (a VRRP master would have been heard for a whole Master_Down_Interval). */
bool addr_conflict_blocks(const struct addr_conflict *c);

/* "aa:bb:cc:dd:ee:ff" into buf (18 bytes). */
const char *addr_conflict_mac_str(const uint8_t mac[6], char buf[18]);

#endif
