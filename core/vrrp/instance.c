/* instance.c — one virtual router: executes what the RFC 5798 state machine decides. */
#include "instance.h"

#include "check_runner.h"
#include "instance_guard.h"
#include "netlink.h"
#include "notify.h"
#include "vrrp_auth.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define REJECT_LOG_INTERVAL_US 10000000u
#define REJECT_LOG_BURST 5

static int family_slot(sa_family_t family)
{
	return family == AF_INET6 ? 1 : 0;
}

static struct vrrp_sock *instance_sock(struct instance *inst)
{
	return inst->cfg->family == AF_INET6 ? &inst->iface->sock6 : &inst->iface->sock4;
}

static bool is_vip(const struct instance *inst, const struct ip_addr *addr)
{
	for (size_t i = 0; i < inst->cfg->n_vips; i++)
		if (ip_addr_equal(&inst->cfg->vips[i].addr, addr))
			return true;
	return false;
}

/* RFC 5798 §5.1.1.1: IPv4 adverts come from the interface's primary address;
 * §5.1.2.1: IPv6 group adverts from its link-local address. Unicast adverts to a global
 * peer come from a global address, so the peer can tell who we are. */
static int pick_source_addresses(struct instance *inst, char *err, size_t err_len)
{
	struct nl_addr_entry addrs[64];
	size_t n = 0;
	int rc = nl_addr_list(inst->nl, inst->iface->ifindex, inst->cfg->family, addrs, 64, &n);
	if (rc < 0) {
		snprintf(err, err_len, "list addresses of %s: %s", inst->iface->name, strerror(-rc));
		return rc;
	}
	memset(&inst->src_group, 0, sizeof(inst->src_group));
	memset(&inst->src_global, 0, sizeof(inst->src_global));
	for (size_t i = 0; i < n; i++) {
		const struct ip_addr *a = &addrs[i].addr;
		if (is_vip(inst, a))
			continue;
		bool link_local = ip_addr_is_link_local(a);
		if (inst->cfg->family == AF_INET6 && link_local && inst->src_group.family == 0)
			inst->src_group = *a;
		if ((inst->cfg->family == AF_INET || !link_local) && inst->src_global.family == 0)
			inst->src_global = *a;
	}
	if (inst->cfg->family == AF_INET)
		inst->src_group = inst->src_global;
	if (inst->src_group.family == 0) {
		snprintf(err, err_len, "no %s address on %s to send adverts from",
			 inst->cfg->family == AF_INET ? "IPv4" : "IPv6 link-local", inst->iface->name);
		return -EADDRNOTAVAIL;
	}
	if (inst->src_global.family == 0)
		inst->src_global = inst->src_group;
	return 0;
}

bool instance_unicast(const struct instance *inst)
{
	switch (inst->cfg->mode) {
	case VRRP_MODE_UNICAST:
		return true;
	case VRRP_MODE_MULTICAST:
		return false;
	case VRRP_MODE_AUTO:
	default:
		return inst->peers.n > 0;
	}
}

/* The address the state machine compares in the §6.4.3 tie-break: the one we send from. */
static const struct ip_addr *primary_address(const struct instance *inst)
{
	return instance_unicast(inst) ? &inst->src_global : &inst->src_group;
}

static void fsm_config_from(struct vrrp_fsm_config *fc, const struct instance *inst)
{
	memset(fc, 0, sizeof(*fc));
	fc->version = inst->cfg->version;
	fc->priority = inst->cfg->priority;
	fc->advert_interval_us = inst->cfg->advert_ms * 1000u;
	fc->preempt = inst->cfg->preempt;
	fc->preempt_delay_us = (uint64_t)inst->cfg->preempt_delay_ms * 1000u;
	fc->primary = *primary_address(inst);
}

/* RFC 5798 §5.1.1.2 / §5.1.2.2: adverts to the group are received through a membership of
 * 224.0.0.18 / ff02::12; auto mode may fall back to the group when no peer is known. */
static bool needs_group(const struct instance_settings *cfg)
{
	return cfg->mode != VRRP_MODE_UNICAST;
}

static int take_group(struct instance *inst, const struct instance_settings *cfg, char *err,
		      size_t err_len)
{
	if (!needs_group(cfg) || inst->in_group)
		return 0;
	int rc = vrrp_sock_join_group(instance_sock(inst), err, err_len);
	if (rc == 0)
		inst->in_group = true;
	return rc;
}

static void leave_group(struct instance *inst)
{
	if (!inst->in_group)
		return;
	char err[128];
	inst->in_group = false;
	if (vrrp_sock_leave_group(instance_sock(inst), err, sizeof(err)) < 0)
		log_warn(inst->cfg->name, "%s", err);
}

/* Leaves the group when cfg does not need it. */
static void give_back_group(struct instance *inst, const struct instance_settings *cfg)
{
	if (!needs_group(cfg))
		leave_group(inst);
}

static void on_fsm_timer(struct loop *loop, void *arg);
static void on_announce_timer(struct loop *loop, void *arg);
static void on_checks_changed(void *arg, bool fault, unsigned priority_penalty);

int instance_init(struct instance *inst, const struct instance_settings *cfg,
		  struct iface *iface, struct loop *loop, struct nl_ctx *nl,
		  const struct ip_addr *own, size_t n_own, char *err, size_t err_len)
{
	memset(inst, 0, sizeof(*inst));
	inst->cfg = cfg;
	inst->iface = iface;
	inst->loop = loop;
	inst->nl = nl;
	loop_timer_init(&inst->fsm_timer, on_fsm_timer, inst);
	loop_timer_init(&inst->announce_timer, on_announce_timer, inst);
	guard_init(inst);
	log_ratelimit_init(&inst->reject_log, REJECT_LOG_INTERVAL_US, REJECT_LOG_BURST);
	vrid_conflict_init(&inst->vrid_conflict, loop, cfg->name);
	if (cfg->peers_set)
		peer_set_build(&inst->peers, cfg->peers, cfg->n_peers, cfg->family, own, n_own);

	int rc = pick_source_addresses(inst, err, err_len);
	if (rc < 0)
		return rc;
	rc = take_group(inst, cfg, err, err_len);
	if (rc < 0)
		return rc;
	struct vrrp_fsm_config fc;
	fsm_config_from(&fc, inst);
	vrrp_fsm_init(&inst->fsm, &fc);
	if (cfg->notify[0] != '\0' &&
	    notifier_new(loop, cfg->notify, cfg->name, &inst->notifier) < 0) {
		snprintf(err, err_len, "notify: out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* ---- actions ---------------------------------------------------------------------- */

static void fill_advert(const struct instance *inst, uint8_t priority, struct vrrp_advert *adv)
{
	memset(adv, 0, sizeof(*adv));
	adv->version = inst->cfg->version;
	adv->type = VRRP_TYPE_ADVERT;
	adv->vrid = inst->cfg->vrid;
	adv->priority = priority;
	adv->family = inst->cfg->family;
	/* RFC 5798 §5.2.7 centiseconds; RFC 3768 §5.3.7 seconds (the codec converts). */
	adv->max_adver_int_cs = (uint16_t)(inst->cfg->advert_ms / 10);
	adv->count = (uint8_t)inst->cfg->n_vips;
	for (size_t i = 0; i < inst->cfg->n_vips; i++)
		adv->addrs[i] = inst->cfg->vips[i].addr;
	if (adv->version == 2)
		vrrp_auth_fill(adv, inst->cfg->auth_pass); /* RFC 3768 §5.3.6, §5.3.10 */
}

/* csum_dst: the pseudo-header destination of the checksum, normally dst itself. */
static void send_one(struct instance *inst, const struct vrrp_advert *adv,
		     const struct ip_addr *src, const struct ip_addr *dst,
		     const struct ip_addr *csum_dst)
{
	uint8_t msg[VRRP_MAX_MSG_LEN];
	int len = vrrp_encode(adv, src, csum_dst, msg, sizeof(msg));
	int rc = len < 0 ? len : vrrp_sock_send(instance_sock(inst), src, dst, msg, (size_t)len);
	if (rc == 0) {
		inst->counters.adverts_sent++;
		return;
	}
	inst->counters.send_errors++;
	char d[IP_ADDR_STRLEN];
	uint64_t now = loop_now_us();
	unsigned long suppressed;
	if (log_ratelimit_allow(&inst->reject_log, now, &suppressed))
		log_warn(inst->cfg->name, "send advert to %s: %s", ip_addr_str(dst, d), strerror(-rc));
	if (rc == -EADDRNOTAVAIL || rc == -EINVAL) {
		char err[128];
		pick_source_addresses(inst, err, sizeof(err)); /* address changed under us */
	}
}

/* RFC 5798 §5.1.1.2 / §5.1.2.2: to the group, or (unicast mode) to every known peer. */
static void send_advert(struct instance *inst, uint8_t priority)
{
	struct vrrp_advert adv;
	fill_advert(inst, priority, &adv);
	if (!instance_unicast(inst)) {
		struct ip_addr group;
		ip_addr_vrrp_group(inst->cfg->family, &group);
		send_one(inst, &adv, &inst->src_group, &group, &group);
		return;
	}
	struct ip_addr group;
	ip_addr_vrrp_group(inst->cfg->family, &group);
	for (size_t i = 0; i < inst->peers.n; i++) {
		const struct ip_addr *peer = &inst->peers.addrs[i];
		const struct ip_addr *src = ip_addr_is_link_local(peer) ? &inst->src_group
									: &inst->src_global;
		send_one(inst, &adv, src, peer, inst->peer_group_form[i] ? &group : peer);
	}
}

static void change_vips(struct instance *inst, bool add)
{
	for (size_t i = 0; i < inst->cfg->n_vips; i++) {
		const struct vip *v = &inst->cfg->vips[i];
		char err[256];
		int rc = add ? nl_addr_add(inst->nl, inst->iface->ifindex, &v->addr, v->prefix, err,
					   sizeof(err))
			     : nl_addr_del(inst->nl, inst->iface->ifindex, &v->addr, v->prefix, err,
					   sizeof(err));
		if (rc < 0)
			log_error(inst->cfg->name, "%s", err);
	}
	inst->vips_held = add;
}

static void announce_all(struct instance *inst)
{
	for (size_t i = 0; i < inst->cfg->n_vips; i++) {
		char err[256];
		if (announce_vip(&inst->iface->announcer, &inst->cfg->vips[i].addr, err,
				 sizeof(err)) < 0)
			log_warn(inst->cfg->name, "%s", err);
		else
			inst->counters.announces_sent++;
	}
}

static void on_announce_timer(struct loop *loop, void *arg)
{
	struct instance *inst = arg;
	if (inst->fsm.state != VRRP_STATE_MASTER || inst->announces_left == 0)
		return;
	announce_all(inst);
	if (--inst->announces_left > 0)
		loop_timer_arm(loop, &inst->announce_timer,
			       loop_now_us() + (uint64_t)inst->cfg->garp_delay_ms * 1000u);
}

/* RFC 5798 §6.4.1 / §6.4.2 "broadcast a gratuitous ARP request" (or send an unsolicited NA):
 * the first at once, then garp_repeat - 1 more, garp_delay_ms apart (keepalived's
 * garp_master_repeat and garp_master_delay). */
static void start_announcing(struct instance *inst)
{
	announce_all(inst);
	inst->announces_left = inst->cfg->garp_repeat > 0 ? inst->cfg->garp_repeat - 1 : 0;
	if (inst->announces_left > 0)
		loop_timer_arm(inst->loop, &inst->announce_timer,
			       loop_now_us() + (uint64_t)inst->cfg->garp_delay_ms * 1000u);
	else
		loop_timer_cancel(inst->loop, &inst->announce_timer);
}

static int64_t unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* STYLE.md habit 5: every state change logs one line with its reason, counts, notifies. */
static void record_transition(struct instance *inst, const struct vrrp_actions *act,
			      uint64_t now)
{
	inst->counters.transitions++;
	inst->last_transition_us = now;
	inst->last_transition_unix_ms = unix_ms();
	inst->last_from = act->from;
	snprintf(inst->last_reason, sizeof(inst->last_reason), "%s", act->reason);
	log_info(inst->cfg->name, "%s -> %s: %s (priority %u)", vrrp_state_name(act->from),
		 vrrp_state_name(act->to), act->reason, inst->fsm.cfg.priority);
	if (inst->notifier != NULL)
		notifier_post(inst->notifier, vrrp_state_name(act->to), inst->fsm.cfg.priority);
}

static void run_step(struct instance *inst, const struct vrrp_actions *act, enum vrrp_step step,
		     uint64_t now)
{
	switch (step) {
	case VRRP_STEP_SEND_STOP_ADVERT:
		send_advert(inst, VRRP_PRIO_STOP);
		break;
	case VRRP_STEP_REMOVE_VIPS:
		change_vips(inst, false);
		break;
	case VRRP_STEP_SEND_ADVERT:
		send_advert(inst, inst->fsm.cfg.priority);
		break;
	case VRRP_STEP_ADD_VIPS:
		change_vips(inst, true);
		break;
	case VRRP_STEP_ANNOUNCE:
		start_announcing(inst);
		break;
	case VRRP_STEP_NOTIFY:
		record_transition(inst, act, now);
		break;
	case VRRP_STEP__COUNT:
		break;
	}
}

/* Runs the actions in the order vrrp_actions_steps() gives, then re-arms the state machine's
 * timer. */
static void instance_execute(struct instance *inst, const struct vrrp_actions *act,
			     uint64_t now)
{
	enum vrrp_step steps[VRRP_STEP__COUNT];
	size_t n = vrrp_actions_steps(act, steps);
	for (size_t i = 0; i < n; i++)
		run_step(inst, act, steps[i], now);
	if (inst->fsm.state != VRRP_STATE_MASTER)
		loop_timer_cancel(inst->loop, &inst->announce_timer);

	uint64_t deadline = vrrp_fsm_next_deadline(&inst->fsm);
	if (deadline == VRRP_NO_DEADLINE)
		loop_timer_cancel(inst->loop, &inst->fsm_timer);
	else
		loop_timer_arm(inst->loop, &inst->fsm_timer, deadline);
	guard_after_actions(inst, act);
}

void instance_run_event(struct instance *inst, const struct vrrp_event *ev)
{
	struct vrrp_actions act;
	uint64_t now = loop_now_us();
	vrrp_fsm_handle(&inst->fsm, ev, now, &act);
	instance_execute(inst, &act, now);
}

static void on_fsm_timer(struct loop *loop, void *arg)
{
	(void)loop;
	struct vrrp_event ev = { .kind = VRRP_EV_TIMER };
	instance_run_event(arg, &ev);
}

/* ---- lifecycle -------------------------------------------------------------------- */

int instance_start(struct instance *inst)
{
	inst->iface->by_vrid[family_slot(inst->cfg->family)][inst->cfg->vrid] = inst;
	/* DESIGN.md: a VIP left on the interface by an earlier crash goes before the election. */
	for (size_t i = 0; i < inst->cfg->n_vips; i++) {
		const struct vip *v = &inst->cfg->vips[i];
		if (!nl_addr_present(inst->nl, inst->iface->ifindex, &v->addr))
			continue;
		char text[IP_ADDR_STRLEN], err[256];
		log_warn(inst->cfg->name, "removing %s/%u left on %s by an earlier run",
			 ip_addr_str(&v->addr, text), v->prefix, inst->iface->name);
		if (nl_addr_del(inst->nl, inst->iface->ifindex, &v->addr, v->prefix, err, sizeof(err)) < 0)
			log_error(inst->cfg->name, "%s", err);
	}
	struct vrrp_event ev = { .kind = VRRP_EV_STARTUP };
	instance_run_event(inst, &ev);
	guard_start(inst);
	if (inst->cfg->n_checks > 0) {
		int rc = check_runner_new(inst->loop, inst->cfg->checks, inst->cfg->n_checks,
					  inst->cfg->name, on_checks_changed, inst, &inst->checks);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- health: checks and link state ------------------------------------------------ */

/* One place decides FAULT and the effective priority from every health input
 * (DESIGN.md: a weight-0 check failing or the interface down means FAULT; a weighted check
 * failing lowers the priority by its weight). */
static void apply_health(struct instance *inst, const char *why)
{
	bool fault = inst->check_fault || inst->link_down;
	if (fault && inst->fsm.state != VRRP_STATE_FAULT && inst->fsm.state != VRRP_STATE_INIT) {
		struct vrrp_event ev = { .kind = VRRP_EV_FAULT, .reason = why,
					 .link_down = inst->link_down };
		instance_run_event(inst, &ev);
	} else if (!fault && inst->fsm.state == VRRP_STATE_FAULT) {
		struct vrrp_event ev = { .kind = VRRP_EV_FAULT_CLEAR, .reason = why };
		instance_run_event(inst, &ev);
	}

	unsigned base = inst->cfg->priority;
	uint8_t effective = (uint8_t)(inst->check_penalty >= base ? 1 : base - inst->check_penalty);
	if (effective != inst->fsm.cfg.priority) {
		log_info(inst->cfg->name, "priority %u -> %u: %s", inst->fsm.cfg.priority, effective,
			 why);
		struct vrrp_event ev = { .kind = VRRP_EV_PRIORITY, .new_priority = effective };
		instance_run_event(inst, &ev);
	}
}

static void on_checks_changed(void *arg, bool fault, unsigned priority_penalty)
{
	struct instance *inst = arg;
	inst->check_fault = fault;
	inst->check_penalty = priority_penalty;
	apply_health(inst, fault ? "health check failing" : "health checks");
}

/* The link is back: a unicast advert sent in the few ms between the carrier loss and our
 * noticing it left the peers' neighbour entries resolving on the dead link, retried once a
 * second; our next adverts would wait behind them (two masters meanwhile). Forgetting them
 * lets the next advert resolve at once. */
static void forget_stale_peer_neighbours(struct instance *inst)
{
	if (!instance_unicast(inst) || inst->peers.n == 0)
		return;
	char err[256];
	int n = nl_neigh_forget_unusable(inst->nl, inst->iface->ifindex, inst->peers.addrs,
					 inst->peers.n, err, sizeof(err));
	if (n < 0)
		log_warn(inst->cfg->name, "%s", err);
	else if (n > 0)
		log_info(inst->cfg->name, "interface %s up: %d unresolved peer neighbour entr%s forgotten",
			 inst->iface->name, n, n == 1 ? "y" : "ies");
}

void instance_link_changed(struct instance *inst, bool up)
{
	if (inst->link_down == !up)
		return;
	inst->link_down = !up;
	if (up)
		forget_stale_peer_neighbours(inst);
	char why[64];
	snprintf(why, sizeof(why), "interface %s %s", inst->iface->name, up ? "up" : "down");
	apply_health(inst, why);
}

void reject_log_line(struct log_ratelimit *rl, const char *scope, enum vrrp_reject reason,
		     const struct vrrp_rx_meta *meta)
{
	unsigned long suppressed = 0;
	if (!log_ratelimit_allow(rl, loop_now_us(), &suppressed))
		return;
	char src[IP_ADDR_STRLEN];
	log_warn(scope, "advert from %s dropped: %s%s", ip_addr_str(&meta->src, src),
		 vrrp_reject_name(reason), suppressed ? " (more were suppressed)" : "");
}

void instance_count_reject(struct instance *inst, enum vrrp_reject reason,
			   const struct vrrp_rx_meta *meta)
{
	inst->counters.rejects[reason]++;
	reject_log_line(&inst->reject_log, inst->cfg->name, reason, meta);
}

/* Checks that need this instance's settings (RFC 5798 §7.1, RFC 3768 §7.1). */
static enum vrrp_reject instance_filter(const struct instance *inst,
					const struct vrrp_advert *adv,
					const struct vrrp_rx_meta *meta)
{
	if (adv->version != inst->cfg->version)
		return VRRP_REJECT_VERSION_MISMATCH;
	/* v2 authentication first, as keepalived's vrrp_in_chk does: a group with another
	 * password is not ours, whatever else the advert says */
	if (vrrp_auth_check(adv, inst->cfg->auth_pass) != VRRP_ACCEPT)
		return VRRP_REJECT_AUTH;
	if (ip_addr_equal(&meta->src, &inst->src_group) ||
	    ip_addr_equal(&meta->src, &inst->src_global))
		return VRRP_REJECT_OWN;
	if (instance_unicast(inst) && !peer_set_contains(&inst->peers, &meta->src))
		return VRRP_REJECT_UNKNOWN_PEER;
	/* RFC 3768 §7.1: "MUST verify that the Adver Interval in the packet is the same as the
	 * locally configured for this virtual router" */
	if (inst->cfg->version == 2 && adv->max_adver_int_cs * 10u != inst->cfg->advert_ms)
		return VRRP_REJECT_INTERVAL_MISMATCH;
	return VRRP_ACCEPT;
}

/* A unicast peer whose v3 checksums match only in the old keepalived form (< 1.3.6, or
 * old_unicast_checksum) rejects the standard form: answer it in its own form, as keepalived
 * 2.x does ("Setting unicast VRRPv3 checksum to old version"). */
static void note_checksum_form(struct instance *inst, const struct vrrp_advert *adv,
			       const struct vrrp_rx_meta *meta)
{
	if (adv->version != 3 || ip_addr_is_multicast(&meta->dst))
		return;
	for (size_t i = 0; i < inst->peers.n; i++) {
		if (!ip_addr_equal(&inst->peers.addrs[i], &meta->src) ||
		    inst->peer_group_form[i] == adv->group_form_checksum)
			continue;
		char text[IP_ADDR_STRLEN];
		log_info(inst->cfg->name, "peer %s checksums in the %s form: answering in kind",
			 ip_addr_str(&meta->src, text),
			 adv->group_form_checksum ? "old (group pseudo-header)" : "standard");
		inst->peer_group_form[i] = adv->group_form_checksum;
	}
}

void instance_on_advert(struct instance *inst, const struct vrrp_advert *adv,
			const struct vrrp_rx_meta *meta)
{
	enum vrrp_reject reason = instance_filter(inst, adv, meta);
	if (reason != VRRP_ACCEPT) {
		instance_count_reject(inst, reason, meta);
		return;
	}
	/* RFC 5798 §7.1: addresses that are not ours are another group's, dropped unless the
	 * address owner (priority 255) sent them; logged by vrid_conflict_seen, not here. */
	if (vrid_conflict_addresses_differ(inst->cfg, adv)) {
		vrid_conflict_seen(&inst->vrid_conflict, inst->cfg, adv, meta);
		if (adv->priority != VRRP_PRIO_OWNER) {
			inst->counters.rejects[VRRP_REJECT_VRID_CONFLICT]++;
			return;
		}
	}
	inst->counters.adverts_received++;
	note_checksum_form(inst, adv, meta);
	struct vrrp_event ev = {
		.kind = VRRP_EV_ADVERT,
		.adv_priority = adv->priority,
		.adv_interval_us = (uint32_t)adv->max_adver_int_cs * 10000u,
		.adv_src = meta->src,
	};
	instance_run_event(inst, &ev);
}

void instance_set_peers(struct instance *inst, const struct ip_addr *addrs, size_t n,
			const struct ip_addr *own, size_t n_own)
{
	if (inst->cfg->peers_set)
		return;
	struct peer_set next;
	if (peer_set_build(&next, addrs, n, inst->cfg->family, own, n_own) < 0) {
		log_error(inst->cfg->name, "peer list too long (%zu): keeping the current peers", n);
		return;
	}
	if (peer_set_equal(&inst->peers, &next))
		return;
	char diff[1024];
	log_info(inst->cfg->name, "peers changed: %s",
		 peer_set_diff_str(&inst->peers, &next, diff, sizeof(diff)));
	inst->peers = next;
	memset(inst->peer_group_form, 0, sizeof(inst->peer_group_form));
	/* The tie-break address follows the mode (unicast sources may differ). */
	struct vrrp_fsm_config fc;
	fsm_config_from(&fc, inst);
	fc.priority = inst->fsm.cfg.priority;
	vrrp_fsm_reconfigure(&inst->fsm, &fc);
}

int instance_reload_prepare(struct instance *inst, const struct instance_settings *next,
			    char *err, size_t err_len)
{
	return take_group(inst, next, err, err_len);
}

void instance_reload_abandon(struct instance *inst)
{
	give_back_group(inst, inst->cfg);
}

static bool same_checks(const struct instance_settings *a, const struct instance_settings *b)
{
	return a->n_checks == b->n_checks &&
	       memcmp(a->checks, b->checks, a->n_checks * sizeof(a->checks[0])) == 0;
}

void instance_reconfigure(struct instance *inst, const struct instance_settings *next,
			  const struct ip_addr *own, size_t n_own)
{
	bool checks_changed = !same_checks(inst->cfg, next);
	bool notify_changed = strcmp(inst->cfg->notify, next->notify) != 0;
	const struct instance_settings *old = inst->cfg;
	struct peer_set adapter_peers = inst->peers;
	bool was_pinned = inst->cfg->peers_set;

	inst->cfg = next;
	give_back_group(inst, next);
	if (next->peers_set) {
		peer_set_build(&inst->peers, next->peers, next->n_peers, next->family, own, n_own);
		memset(inst->peer_group_form, 0, sizeof(inst->peer_group_form));
	}
	else if (was_pinned)
		memset(&inst->peers, 0, sizeof(inst->peers)); /* the caller hands the adapter's */
	else
		inst->peers = adapter_peers;

	struct vrrp_fsm_config fc;
	fsm_config_from(&fc, inst);
	fc.priority = inst->fsm.cfg.priority; /* apply_health() moves it to the new base */
	vrrp_fsm_reconfigure(&inst->fsm, &fc);

	if (notify_changed) {
		notifier_free(inst->notifier);
		inst->notifier = NULL;
		if (next->notify[0] != '\0' &&
		    notifier_new(inst->loop, next->notify, next->name, &inst->notifier) < 0)
			log_error(inst->cfg->name, "notify: out of memory");
	}
	if (checks_changed) {
		check_runner_free(inst->checks);
		inst->checks = NULL;
		inst->check_fault = false;
		inst->check_penalty = 0;
		if (next->n_checks > 0 &&
		    check_runner_new(inst->loop, next->checks, next->n_checks, next->name,
				     on_checks_changed, inst, &inst->checks) < 0)
			log_error(inst->cfg->name, "checks could not start");
	}
	apply_health(inst, "settings reloaded");
	guard_reconfigured(inst, old);
}

void instance_shutdown(struct instance *inst)
{
	struct vrrp_event ev = { .kind = VRRP_EV_SHUTDOWN };
	instance_run_event(inst, &ev);
	if (inst->vips_held)
		change_vips(inst, false);
}

void instance_cleanup(struct instance *inst)
{
	if (inst == NULL || inst->loop == NULL)
		return;
	loop_timer_cancel(inst->loop, &inst->fsm_timer);
	loop_timer_cancel(inst->loop, &inst->announce_timer);
	guard_cleanup(inst);
	vrid_conflict_cleanup(&inst->vrid_conflict);
	check_runner_free(inst->checks);
	inst->checks = NULL;
	notifier_free(inst->notifier);
	inst->notifier = NULL;
	leave_group(inst);
	if (inst->iface != NULL &&
	    inst->iface->by_vrid[family_slot(inst->cfg->family)][inst->cfg->vrid] == inst)
		inst->iface->by_vrid[family_slot(inst->cfg->family)][inst->cfg->vrid] = NULL;
}
