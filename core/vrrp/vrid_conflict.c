/* vrid_conflict.c — adverts of another VRRP group on our VRID (vrid_conflict.h). */
#include "vrid_conflict.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define CONFLICT_LOG_INTERVAL_US (60u * 1000u * 1000u)
#define ADDR_LIST_TEXT 256

static bool claims_address(const struct vrrp_advert *adv, const struct ip_addr *addr)
{
	for (size_t i = 0; i < adv->count; i++)
		if (ip_addr_equal(&adv->addrs[i], addr))
			return true;
	return false;
}

static bool is_our_vip(const struct instance_settings *cfg, const struct ip_addr *addr)
{
	for (size_t i = 0; i < cfg->n_vips; i++)
		if (ip_addr_equal(&cfg->vips[i].addr, addr))
			return true;
	return false;
}

bool vrid_conflict_addresses_differ(const struct instance_settings *cfg,
				    const struct vrrp_advert *adv)
{
	for (size_t i = 0; i < adv->count; i++)
		if (!is_our_vip(cfg, &adv->addrs[i]))
			return true;
	for (size_t i = 0; i < cfg->n_vips; i++)
		if (!claims_address(adv, &cfg->vips[i].addr))
			return true;
	return false;
}

static void on_expiry(struct loop *loop, void *arg)
{
	(void)loop;
	struct vrid_conflict *c = arg;
	c->active = false;
	log_info(c->scope, "no advert of another VRRP group on our VRID for %u s",
		 VRID_CONFLICT_HOLD_US / 1000000u);
}

void vrid_conflict_init(struct vrid_conflict *c, struct loop *loop, const char *scope)
{
	memset(c, 0, sizeof(*c));
	c->loop = loop;
	snprintf(c->scope, sizeof(c->scope), "%s", scope);
	loop_timer_init(&c->expiry, on_expiry, c);
	log_ratelimit_init(&c->log, CONFLICT_LOG_INTERVAL_US, 1);
}

static int64_t unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "10.0.0.1 10.0.0.2" for n addresses, cut with "..." when the buffer is full. */
static void addr_list_text(const struct ip_addr *addrs, size_t n, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		char one[IP_ADDR_STRLEN];
		int w = snprintf(buf + used, len - used, "%s%s", i ? " " : "",
				 ip_addr_str(&addrs[i], one));
		if (w < 0 || (size_t)w >= len - used) {
			snprintf(buf + (len > 4 ? len - 4 : 0), len > 4 ? 4 : len, "...");
			return;
		}
		used += (size_t)w;
	}
}

static void log_conflict(struct vrid_conflict *c, const struct instance_settings *ours,
			 const struct vrrp_advert *adv, unsigned long suppressed)
{
	char from[IP_ADDR_STRLEN], claimed[ADDR_LIST_TEXT], own[ADDR_LIST_TEXT];
	struct ip_addr vips[SETTINGS_MAX_VIPS];

	for (size_t i = 0; i < ours->n_vips; i++)
		vips[i] = ours->vips[i].addr;
	addr_list_text(adv->addrs, adv->count, claimed, sizeof(claimed));
	addr_list_text(vips, ours->n_vips, own, sizeof(own));
	log_warn(c->scope,
		 "VRID %u conflict: advert from %s (priority %u) claims %s, not our %s: another "
		 "VRRP group uses this VRID; %s%s",
		 adv->vrid, ip_addr_str(&c->from, from), adv->priority, claimed, own,
		 adv->priority == VRRP_PRIO_OWNER ? "it is the address owner: obeyed"
						      : "dropped",
		 suppressed ? " (more since the last line)" : "");
}

void vrid_conflict_seen(struct vrid_conflict *c, const struct instance_settings *ours,
			const struct vrrp_advert *adv, const struct vrrp_rx_meta *meta)
{
	uint64_t now = loop_now_us();
	unsigned long suppressed = 0;

	c->active = true;
	c->from = meta->src;
	c->priority = adv->priority;
	c->count = adv->count;
	for (size_t i = 0; i < VRID_CONFLICT_SHOWN && i < adv->count; i++)
		c->claims[i] = adv->addrs[i];
	c->last_unix_ms = unix_ms();
	if (loop_timer_arm(c->loop, &c->expiry, now + VRID_CONFLICT_HOLD_US) < 0)
		log_warn(c->scope, "VRID conflict: cannot arm its timer: out of memory");
	if (log_ratelimit_allow(&c->log, now, &suppressed))
		log_conflict(c, ours, adv, suppressed);
}

void vrid_conflict_cleanup(struct vrid_conflict *c)
{
	if (c->loop != NULL)
		loop_timer_cancel(c->loop, &c->expiry);
}
