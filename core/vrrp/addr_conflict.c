/* addr_conflict.c — claims of our VIPs judged against our MAC and our peers' (addr_conflict.h). */
#include "addr_conflict.h"

#include <stdio.h>
#include <string.h>

void addr_conflict_init(struct addr_conflict *c)
{
	memset(c, 0, sizeof(*c));
}

bool addr_conflict_is_peer(const struct addr_conflict *c, const uint8_t mac[6])
{
	for (size_t i = 0; i < c->n_peer_macs; i++)
		if (memcmp(c->peer_macs[i], mac, 6) == 0)
			return true;
	return false;
}

void addr_conflict_learn_peer(struct addr_conflict *c, const uint8_t mac[6])
{
	if (addr_conflict_is_peer(c, mac))
		return;
	memcpy(c->peer_macs[c->next_peer_slot], mac, 6);
	c->next_peer_slot = (c->next_peer_slot + 1) % ADDR_CONFLICT_PEER_MACS;
	if (c->n_peer_macs < ADDR_CONFLICT_PEER_MACS)
		c->n_peer_macs++;
}

bool addr_conflict_claim(struct addr_conflict *c, const struct ip_addr *vip,
			 const uint8_t mac[6], const uint8_t own[6])
{
	if (memcmp(mac, own, 6) == 0)
		return false;
	for (size_t i = 0; i < c->n_pending; i++) {
		struct addr_claim *p = &c->pending[i];
		if (ip_addr_equal(&p->vip, vip) && memcmp(p->mac, mac, 6) == 0) {
			p->frames++;
			return true;
		}
	}
	if (c->n_pending == ADDR_CONFLICT_PENDING) {
		c->pending[ADDR_CONFLICT_PENDING - 1].frames++;
		return true;
	}
	struct addr_claim *p = &c->pending[c->n_pending++];
	p->vip = *vip;
	memcpy(p->mac, mac, 6);
	p->frames = 1;
	return true;
}

void addr_conflict_round_start(struct addr_conflict *c)
{
	c->round_open = true;
}

enum addr_conflict_verdict addr_conflict_settle(struct addr_conflict *c)
{
	bool found = false, was = c->active, round = c->round_open;

	for (size_t i = 0; i < c->n_pending; i++) {
		const struct addr_claim *p = &c->pending[i];
		if (addr_conflict_is_peer(c, p->mac))
			continue;
		found = true;
		c->conflicts += p->frames;
		c->vip = p->vip;
		memcpy(c->mac, p->mac, 6);
	}
	c->n_pending = 0;
	c->round_open = false;
	if (found) {
		c->active = true;
		return was ? ADDR_CONFLICT_GOES_ON : ADDR_CONFLICT_BEGAN;
	}
	if (round && was) {
		c->active = false;
		return ADDR_CONFLICT_ENDED;
	}
	return ADDR_CONFLICT_NONE;
}

bool addr_conflict_blocks(const struct addr_conflict *c)
{
	if (c->active)
		return true;
	for (size_t i = 0; i < c->n_pending; i++)
		if (!addr_conflict_is_peer(c, c->pending[i].mac))
			return true;
	return false;
}

const char *addr_conflict_mac_str(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}
