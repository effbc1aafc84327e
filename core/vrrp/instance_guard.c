/* instance_guard.c — the announce refresh and the address-conflict probes of one instance
 * (instance_guard.h). */
#include "instance_guard.h"

#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#define US_PER_S 1000000u
#define MIN_SETTLE_US 200000u               /* answers come within milliseconds */
#define CONFLICT_LOG_INTERVAL_US (60u * US_PER_S)
#define CONFLICT_LOG_BURST 3

static bool checks_conflicts(const struct instance *inst)
{
	return inst->cfg->conflict_check_s > 0;
}

static bool refuses(const struct instance *inst)
{
	return checks_conflicts(inst) && inst->cfg->conflict_action == CONFLICT_REFUSE;
}

static bool holds_vip(const struct instance *inst, const struct ip_addr *addr)
{
	for (size_t i = 0; i < inst->cfg->n_vips; i++)
		if (ip_addr_equal(&inst->cfg->vips[i].addr, addr))
			return true;
	return false;
}

static int64_t unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- refresh ---------------------------------------------------------------------- */

static void arm_refresh(struct instance *inst)
{
	if (inst->cfg->garp_refresh_s == 0 || inst->fsm.state != VRRP_STATE_MASTER) {
		loop_timer_cancel(inst->loop, &inst->refresh_timer);
		return;
	}
	loop_timer_arm(inst->loop, &inst->refresh_timer,
		       loop_now_us() + (uint64_t)inst->cfg->garp_refresh_s * US_PER_S);
}

static void on_refresh_timer(struct loop *loop, void *arg)
{
	(void)loop;
	struct instance *inst = arg;
	if (inst->fsm.state != VRRP_STATE_MASTER)
		return;
	for (size_t i = 0; i < inst->cfg->n_vips; i++) {
		char err[256];
		if (announce_vip(&inst->iface->announcer, &inst->cfg->vips[i].addr, err,
				 sizeof(err)) < 0)
			log_warn(inst->cfg->name, "refresh: %s", err);
		else
			inst->counters.announces_sent++;
	}
	arm_refresh(inst);
}

/* ---- hold (refuse mode) ------------------------------------------------------------ */

static void set_hold(struct instance *inst, bool hold, const char *why)
{
	struct vrrp_event ev = { .kind = VRRP_EV_HOLD, .hold = hold, .reason = why };
	instance_run_event(inst, &ev);
}

/* A master steps down only on a verdict; a backup also stays back on a claim not yet judged
 * from a MAC that is no peer's. */
static void update_hold(struct instance *inst)
{
	bool want = refuses(inst) && (inst->fsm.state == VRRP_STATE_MASTER
					      ? inst->addr_conflict.active
					      : addr_conflict_blocks(&inst->addr_conflict));
	if (want == inst->fsm.held)
		return;
	if (want)
		log_warn(inst->cfg->name, "address conflict: not taking the VIPs while another host "
					  "holds them (conflict_action refuse)");
	else
		log_info(inst->cfg->name, "address conflict over: the VIPs may be taken again");
	set_hold(inst, want, "address conflict (conflict_action refuse)");
}

/* ---- probes and verdicts ---------------------------------------------------------- */

static uint64_t settle_window_us(const struct instance *inst)
{
	uint64_t mdi = vrrp_fsm_master_down_interval_us(&inst->fsm);
	return mdi > MIN_SETTLE_US ? mdi : MIN_SETTLE_US;
}

static void arm_settle(struct instance *inst)
{
	loop_timer_arm(inst->loop, &inst->settle_timer, loop_now_us() + settle_window_us(inst));
}

static void probe_round(struct instance *inst)
{
	for (size_t i = 0; i < inst->cfg->n_vips; i++) {
		char err[256];
		unsigned long suppressed;
		if (addr_prober_probe(&inst->iface->prober, &inst->cfg->vips[i].addr, err,
				      sizeof(err)) == 0)
			inst->counters.conflict_probes_sent++;
		else if (log_ratelimit_allow(&inst->conflict_log, loop_now_us(), &suppressed))
			log_warn(inst->cfg->name, "%s", err);
	}
	addr_conflict_round_start(&inst->addr_conflict);
	arm_settle(inst);
}

static const char *action_words(const struct instance *inst)
{
	if (inst->cfg->conflict_action == CONFLICT_REFUSE)
		return "not taking it while the conflict lasts (conflict_action refuse)";
	return "taking it all the same (conflict_action warn)";
}

static void log_verdict(struct instance *inst, enum addr_conflict_verdict verdict)
{
	const struct addr_conflict *c = &inst->addr_conflict;
	char vip[IP_ADDR_STRLEN], mac[18];
	unsigned long suppressed = 0;

	ip_addr_str(&c->vip, vip);
	addr_conflict_mac_str(c->mac, mac);
	switch (verdict) {
	case ADDR_CONFLICT_BEGAN:
	case ADDR_CONFLICT_GOES_ON:
		if (!log_ratelimit_allow(&inst->conflict_log, loop_now_us(), &suppressed))
			return;
		log_warn(inst->cfg->name,
			 "address conflict: %s is answered for by %s, not us and no VRRP peer: "
			 "another host holds it; %s%s",
			 vip, mac, action_words(inst), suppressed ? " (more since the last line)" : "");
		return;
	case ADDR_CONFLICT_ENDED:
		log_info(inst->cfg->name, "address conflict over: nobody else answered for %s", vip);
		return;
	case ADDR_CONFLICT_NONE:
		return;
	}
}

static void on_settle_timer(struct loop *loop, void *arg)
{
	(void)loop;
	struct instance *inst = arg;
	enum addr_conflict_verdict verdict = addr_conflict_settle(&inst->addr_conflict);
	inst->counters.address_conflicts = inst->addr_conflict.conflicts;
	if (verdict == ADDR_CONFLICT_BEGAN || verdict == ADDR_CONFLICT_GOES_ON)
		inst->addr_conflict_unix_ms = unix_ms();
	log_verdict(inst, verdict);
	update_hold(inst);
}

/* While master, while a conflict lasts, and while Backup in refuse mode (it must know before
 * it takes over). */
static bool probes_now(const struct instance *inst)
{
	return inst->fsm.state == VRRP_STATE_MASTER || inst->addr_conflict.active ||
	       (refuses(inst) && inst->fsm.state == VRRP_STATE_BACKUP);
}

static void arm_probe(struct instance *inst)
{
	if (!checks_conflicts(inst) || inst->iface->prober.fd < 0) {
		loop_timer_cancel(inst->loop, &inst->probe_timer);
		return;
	}
	loop_timer_arm(inst->loop, &inst->probe_timer,
		       loop_now_us() + (uint64_t)inst->cfg->conflict_check_s * US_PER_S);
}

static void on_probe_timer(struct loop *loop, void *arg)
{
	(void)loop;
	struct instance *inst = arg;
	if (probes_now(inst))
		probe_round(inst);
	arm_probe(inst);
}

/* ---- the interface's prober ------------------------------------------------------- */

static void on_prober_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	struct iface *ifc = arg;
	struct probe_rx rx;
	/* bounded: a busy segment cannot keep us here */
	for (int i = 0; i < 64 && addr_prober_recv(&ifc->prober, &rx) == 0; i++)
		iface_prober_frame(ifc, &rx);
}

static int open_prober(struct iface *ifc, struct loop *loop, const char *scope)
{
	char err[256];
	if (ifc->prober.fd >= 0)
		return 0;
	int rc = addr_prober_open(&ifc->prober, err, sizeof(err));
	if (rc == 0) {
		rc = loop_io_add(loop, ifc->prober.fd, EPOLLIN, on_prober_readable, ifc);
		if (rc < 0) {
			snprintf(err, sizeof(err), "address probes: epoll add: %s", strerror(-rc));
			addr_prober_close(&ifc->prober);
		}
	}
	if (rc < 0) {
		log_warn(scope, "%s: no address-conflict check on %s", err, ifc->name);
		return rc;
	}
	ifc->prober_loop = loop;
	return 0;
}

void iface_prober_close(struct iface *ifc)
{
	if (ifc->prober.fd >= 0 && ifc->prober_loop != NULL)
		loop_io_remove(ifc->prober_loop, ifc->prober.fd);
	addr_prober_close(&ifc->prober);
	ifc->prober_loop = NULL;
}

static void on_claim(struct instance *inst, const struct probe_rx *rx)
{
	if (!checks_conflicts(inst) || !holds_vip(inst, &rx->addr))
		return;
	if (!addr_conflict_claim(&inst->addr_conflict, &rx->addr, rx->mac, inst->iface->mac))
		return;
	if (!loop_timer_armed(&inst->settle_timer))
		arm_settle(inst);
	update_hold(inst);
}

void iface_prober_frame(struct iface *ifc, const struct probe_rx *rx)
{
	int slot = rx->addr.family == AF_INET6 ? 1 : 0;
	if (rx->kind == PROBE_RX_VRRP) {
		struct instance *inst = ifc->by_vrid[slot][rx->vrid];
		if (inst != NULL && memcmp(rx->mac, ifc->mac, 6) != 0) {
			addr_conflict_learn_peer(&inst->addr_conflict, rx->mac);
			update_hold(inst);
		}
		return;
	}
	if (rx->kind != PROBE_RX_CLAIM)
		return;
	for (int vrid = 1; vrid < 256; vrid++)
		if (ifc->by_vrid[slot][vrid] != NULL)
			on_claim(ifc->by_vrid[slot][vrid], rx);
}

/* ---- lifecycle -------------------------------------------------------------------- */

void guard_init(struct instance *inst)
{
	loop_timer_init(&inst->refresh_timer, on_refresh_timer, inst);
	loop_timer_init(&inst->probe_timer, on_probe_timer, inst);
	loop_timer_init(&inst->settle_timer, on_settle_timer, inst);
	addr_conflict_init(&inst->addr_conflict);
	log_ratelimit_init(&inst->conflict_log, CONFLICT_LOG_INTERVAL_US, CONFLICT_LOG_BURST);
}

void guard_start(struct instance *inst)
{
	if (!checks_conflicts(inst) || open_prober(inst->iface, inst->loop, inst->cfg->name) < 0)
		return;
	probe_round(inst); /* before the first add, never in its way */
	arm_probe(inst);
}

void guard_after_actions(struct instance *inst, const struct vrrp_actions *act)
{
	if (!(act->flags & VRRP_ACT_NOTIFY))
		return;
	if (act->to == VRRP_STATE_MASTER)
		arm_refresh(inst);
	else
		loop_timer_cancel(inst->loop, &inst->refresh_timer);
	update_hold(inst);
}

void guard_reconfigured(struct instance *inst, const struct instance_settings *old)
{
	if (old->garp_refresh_s != inst->cfg->garp_refresh_s)
		arm_refresh(inst);
	if (old->conflict_check_s != inst->cfg->conflict_check_s) {
		if (!checks_conflicts(inst)) {
			loop_timer_cancel(inst->loop, &inst->settle_timer);
			inst->addr_conflict.active = false; /* nothing is known any more */
			inst->addr_conflict.n_pending = 0;
			inst->addr_conflict.round_open = false;
		} else if (open_prober(inst->iface, inst->loop, inst->cfg->name) == 0 &&
			   !old->conflict_check_s) {
			probe_round(inst);
		}
		arm_probe(inst);
	}
	update_hold(inst);
}

void guard_cleanup(struct instance *inst)
{
	loop_timer_cancel(inst->loop, &inst->refresh_timer);
	loop_timer_cancel(inst->loop, &inst->probe_timer);
	loop_timer_cancel(inst->loop, &inst->settle_timer);
}
