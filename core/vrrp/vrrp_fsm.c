/* vrrp_fsm.c — the RFC 5798 §6.4 state machine (Initialize, Backup, Master) plus Fault.
 *
 * Pure: see vrrp_fsm.h. Handlers live in a table indexed by [state][event]; a NULL entry
 * means the event is ignored in that state. Every state change goes through
 * fsm_change_state(), which runs the exit and entry actions of the two states and fills
 * in NOTIFY, from/to and the reason. */
#include "vrrp_fsm.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define USEC_PER_SEC 1000000u

typedef void state_handler(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
			   struct vrrp_actions *out);
typedef void state_hook(struct vrrp_fsm *fsm, uint64_t now_us, struct vrrp_actions *out);

static const char *const state_names[VRRP_STATE__COUNT] = {
	[VRRP_STATE_INIT] = "INIT",
	[VRRP_STATE_BACKUP] = "BACKUP",
	[VRRP_STATE_MASTER] = "MASTER",
	[VRRP_STATE_FAULT] = "FAULT",
};

const char *vrrp_state_name(enum vrrp_state state)
{
	if ((unsigned)state >= VRRP_STATE__COUNT)
		return "UNKNOWN";
	return state_names[state];
}

/* ---- RFC 5798 §6.1 derived values ---- */

uint64_t vrrp_fsm_skew_time_us(const struct vrrp_fsm *fsm)
{
	uint64_t weight = 256u - fsm->cfg.priority;

	/* RFC 3768 §6.1: Skew_Time = (256 - Priority) / 256, in seconds. */
	if (fsm->cfg.version == 2)
		return weight * USEC_PER_SEC / 256u;
	/* RFC 5798 §6.1: Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256. */
	return weight * fsm->master_adver_interval_us / 256u;
}

uint64_t vrrp_fsm_master_down_interval_us(const struct vrrp_fsm *fsm)
{
	/* §6.1: Master_Down_Interval = (3 * Master_Adver_Interval) + Skew_Time. */
	return 3u * (uint64_t)fsm->master_adver_interval_us + vrrp_fsm_skew_time_us(fsm);
}

uint64_t vrrp_fsm_next_deadline(const struct vrrp_fsm *fsm)
{
	return fsm->adver_timer_us < fsm->master_down_timer_us ? fsm->adver_timer_us
							       : fsm->master_down_timer_us;
}

static bool deadline_reached(uint64_t deadline_us, uint64_t now_us)
{
	return deadline_us != VRRP_NO_DEADLINE && now_us >= deadline_us;
}

/* v3 learns Master_Adver_Interval from the master's adverts (§6.4.2, §6.4.3); v2 has no
 * such field and always uses our own Advertisement_Interval (RFC 3768). */
static void learn_master_adver_interval(struct vrrp_fsm *fsm, uint32_t adv_interval_us)
{
	if (fsm->cfg.version == 3 && adv_interval_us > 0)
		fsm->master_adver_interval_us = adv_interval_us;
}

static void remember_master(struct vrrp_fsm *fsm, const struct vrrp_event *ev)
{
	fsm->master_addr = ev->adv_src;
	fsm->master_priority = ev->adv_priority;
}

/* ---- entry and exit actions, indexed by state ---- */

static void enter_quiet(struct vrrp_fsm *fsm, uint64_t now_us, struct vrrp_actions *out)
{
	(void)now_us;
	(void)out;
	fsm->adver_timer_us = VRRP_NO_DEADLINE;
	fsm->master_down_timer_us = VRRP_NO_DEADLINE;
}

/* The caller has already set Master_Adver_Interval (learnt, or our own). */
static void enter_backup(struct vrrp_fsm *fsm, uint64_t now_us, struct vrrp_actions *out)
{
	(void)out;
	fsm->adver_timer_us = VRRP_NO_DEADLINE;
	fsm->master_down_timer_us = now_us + vrrp_fsm_master_down_interval_us(fsm);
	fsm->master_seen_at_us = now_us;
}

/* §6.4.1 / §6.4.2: send an ADVERTISEMENT, add the VIPs and announce them, set Adver_Timer
 * to Advertisement_Interval. */
static void enter_master(struct vrrp_fsm *fsm, uint64_t now_us, struct vrrp_actions *out)
{
	out->flags |= VRRP_ACT_SEND_ADVERT | VRRP_ACT_ADD_VIPS | VRRP_ACT_ANNOUNCE;
	fsm->adver_timer_us = now_us + fsm->cfg.advert_interval_us;
	fsm->master_down_timer_us = VRRP_NO_DEADLINE;
	fsm->master_adver_interval_us = fsm->cfg.advert_interval_us;
	memset(&fsm->master_addr, 0, sizeof(fsm->master_addr));
	fsm->master_priority = 0;
}

static state_hook *const enter_hooks[VRRP_STATE__COUNT] = {
	[VRRP_STATE_INIT] = enter_quiet,
	[VRRP_STATE_BACKUP] = enter_backup,
	[VRRP_STATE_MASTER] = enter_master,
	[VRRP_STATE_FAULT] = enter_quiet,
};

/* Whatever the reason, a master that stops being master gives the VIPs back. */
static void leave_master(struct vrrp_fsm *fsm, uint64_t now_us, struct vrrp_actions *out)
{
	(void)fsm;
	(void)now_us;
	out->flags |= VRRP_ACT_REMOVE_VIPS;
}

static state_hook *const leave_hooks[VRRP_STATE__COUNT] = {
	[VRRP_STATE_MASTER] = leave_master,
};

/* The one place the state changes: exit actions, entry actions, NOTIFY and the reason. */
__attribute__((format(printf, 5, 6))) static void
fsm_change_state(struct vrrp_fsm *fsm, enum vrrp_state to, uint64_t now_us,
		 struct vrrp_actions *out, const char *reason_fmt, ...)
{
	va_list ap;

	if (leave_hooks[fsm->state])
		leave_hooks[fsm->state](fsm, now_us, out);
	out->flags |= VRRP_ACT_NOTIFY;
	out->from = fsm->state;
	out->to = to;
	va_start(ap, reason_fmt);
	vsnprintf(out->reason, sizeof(out->reason), reason_fmt, ap);
	va_end(ap);
	fsm->state = to;
	enter_hooks[to](fsm, now_us, out);
}

/* ---- handlers shared by several states ---- */

static void any_priority(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
			 struct vrrp_actions *out)
{
	(void)now_us;
	(void)out;
	/* Priority 0 is reserved for "master stops" (§5.2.4): never our own priority.
	 * No immediate action in any state: a master's next advert carries the new priority;
	 * a backup that now outranks the current master with Preempt_Mode on does not take
	 * over at once but, as §6.4.2 says, discards that master's next advert and so
	 * preempts when Master_Down_Timer fires. */
	fsm->cfg.priority = ev->new_priority ? ev->new_priority : 1;
}

static void any_fault(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
		      struct vrrp_actions *out)
{
	fsm_change_state(fsm, VRRP_STATE_FAULT, now_us, out, "fault: %s",
			 ev->reason ? ev->reason : "unspecified");
}

/* ---- §6.4.1 Initialize ---- */

static void init_startup(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
			 struct vrrp_actions *out)
{
	(void)ev;
	fsm->preempt_allowed_at_us = now_us + fsm->cfg.preempt_delay_us;
	if (fsm->cfg.priority == VRRP_PRIO_OWNER) {
		fsm_change_state(fsm, VRRP_STATE_MASTER, now_us, out,
				 "startup as address owner");
		return;
	}
	/* Master_Adver_Interval = Advertisement_Interval; Master_Down_Timer = MDI. */
	fsm->master_adver_interval_us = fsm->cfg.advert_interval_us;
	fsm_change_state(fsm, VRRP_STATE_BACKUP, now_us, out, "startup");
}

/* ---- §6.4.2 Backup ---- */

static void backup_shutdown(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
			    struct vrrp_actions *out)
{
	(void)ev;
	fsm_change_state(fsm, VRRP_STATE_INIT, now_us, out, "shutdown");
}

static void backup_timer(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
			 struct vrrp_actions *out)
{
	char addr[IP_ADDR_STRLEN];
	uint64_t silent_us = now_us - fsm->master_seen_at_us;

	(void)ev;
	if (!deadline_reached(fsm->master_down_timer_us, now_us))
		return;
	if (fsm->held) {
		/* Held back (the caller said why when it set the hold): stay Backup and look
		 * again one Master_Down_Interval later. */
		fsm->master_down_timer_us = now_us + vrrp_fsm_master_down_interval_us(fsm);
		return;
	}
	ip_addr_str(&fsm->master_addr, addr);
	if (fsm->master_addr.family && fsm->master_priority == VRRP_PRIO_STOP)
		fsm_change_state(fsm, VRRP_STATE_MASTER, now_us, out,
				 "priority-0 advert from %s (master left)", addr);
	else if (fsm->master_addr.family && fsm->master_priority < fsm->cfg.priority &&
		 fsm->cfg.preempt)
		fsm_change_state(fsm, VRRP_STATE_MASTER, now_us, out,
				 "preempting lower priority %u from %s", fsm->master_priority,
				 addr);
	else
		fsm_change_state(fsm, VRRP_STATE_MASTER, now_us, out,
				 "master down: no advert for %llu.%llu ms",
				 (unsigned long long)(silent_us / 1000u),
				 (unsigned long long)(silent_us % 1000u / 100u));
}

/* §6.4.2: accept the master: learn its interval (v3), reset Master_Down_Timer. */
static void backup_accept_master(struct vrrp_fsm *fsm, const struct vrrp_event *ev,
				 uint64_t now_us)
{
	learn_master_adver_interval(fsm, ev->adv_interval_us);
	fsm->master_down_timer_us = now_us + vrrp_fsm_master_down_interval_us(fsm);
	fsm->master_seen_at_us = now_us;
}

static void backup_advert(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
			  struct vrrp_actions *out)
{
	(void)out;
	remember_master(fsm, ev);
	/* "If the Priority in the ADVERTISEMENT is zero, then: Set the Master_Down_Timer to
	 * Skew_Time". */
	if (ev->adv_priority == VRRP_PRIO_STOP) {
		fsm->master_down_timer_us = now_us + vrrp_fsm_skew_time_us(fsm);
		return;
	}
	/* "If Preempt_Mode is False, or if the Priority in the ADVERTISEMENT is greater than
	 * or equal to the local Priority": accept. While the preempt delay runs a lower
	 * master is accepted too, so that we do not preempt yet. */
	if (!fsm->cfg.preempt || ev->adv_priority >= fsm->cfg.priority ||
	    now_us < fsm->preempt_allowed_at_us) {
		backup_accept_master(fsm, ev, now_us);
		return;
	}
	/* "Otherwise: Discard the ADVERTISEMENT": Master_Down_Timer runs out and we preempt. */
}

/* ---- §6.4.3 Master ---- */

static void master_shutdown(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
			    struct vrrp_actions *out)
{
	(void)ev;
	/* "Cancel the Adver_Timer, Send an ADVERTISEMENT with Priority = 0" (VIPs: leave_master). */
	out->flags |= VRRP_ACT_SEND_STOP_ADVERT;
	fsm_change_state(fsm, VRRP_STATE_INIT, now_us, out, "shutdown");
}

static void master_fault(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
			 struct vrrp_actions *out)
{
	/* Like Shutdown: tell the backups at once rather than let them wait for MDI. Not when
	 * the link is down: nobody can hear it, and a unicast advert sent into a link without
	 * carrier leaves the kernel resolving each peer's address (ARP/ND, retried once a second):
	 * once the link is back our adverts would queue behind that for up to a second or two,
	 * and the backup that took over would keep the VIP as long (two masters). */
	if (!ev->link_down)
		out->flags |= VRRP_ACT_SEND_STOP_ADVERT;
	any_fault(fsm, ev, now_us, out);
}

static void master_send_advert(struct vrrp_fsm *fsm, uint64_t now_us, struct vrrp_actions *out)
{
	out->flags |= VRRP_ACT_SEND_ADVERT;
	fsm->adver_timer_us = now_us + fsm->cfg.advert_interval_us;
}

static void master_timer(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
			 struct vrrp_actions *out)
{
	(void)ev;
	/* "If the Adver_Timer fires: Send an ADVERTISEMENT, Reset the Adver_Timer". */
	if (deadline_reached(fsm->adver_timer_us, now_us))
		master_send_advert(fsm, now_us, out);
}

/* §6.4.3: the sender wins on higher priority, or equal priority and a greater primary
 * address. */
static bool sender_outranks_us(const struct vrrp_fsm *fsm, const struct vrrp_event *ev)
{
	if (ev->adv_priority != fsm->cfg.priority)
		return ev->adv_priority > fsm->cfg.priority;
	return ip_addr_cmp(&ev->adv_src, &fsm->cfg.primary) > 0;
}

static void master_advert(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
			  struct vrrp_actions *out)
{
	char addr[IP_ADDR_STRLEN];
	bool equal = ev->adv_priority == fsm->cfg.priority;

	/* "If the Priority in the ADVERTISEMENT is zero, then: Send an ADVERTISEMENT, Reset
	 * the Adver_Timer to Advertisement_Interval". */
	if (ev->adv_priority == VRRP_PRIO_STOP) {
		master_send_advert(fsm, now_us, out);
		return;
	}
	if (!sender_outranks_us(fsm, ev)) {
		/* A lower (or equal with smaller address) master is discarded by the RFC. Two
		 * masters means a split brain just healed: like keepalived we advertise at once,
		 * so the other steps down now rather than at its next Adver_Timer, and announce
		 * the VIPs again (keepalived's garp_lower_prio_repeat), since the switches and
		 * hosts may have learnt the other master's MAC meanwhile. */
		master_send_advert(fsm, now_us, out);
		out->flags |= VRRP_ACT_ANNOUNCE;
		return;
	}
	/* Cancel Adver_Timer, learn Master_Adver_Interval (v3), Master_Down_Timer = MDI
	 * (enter_backup), release the VIPs (leave_master), -> Backup. */
	learn_master_adver_interval(fsm, ev->adv_interval_us);
	ip_addr_str(&ev->adv_src, addr);
	if (equal)
		fsm_change_state(fsm, VRRP_STATE_BACKUP, now_us, out,
				 "equal priority %u from %s with higher address", ev->adv_priority,
				 addr);
	else
		fsm_change_state(fsm, VRRP_STATE_BACKUP, now_us, out,
				 "higher priority %u from %s", ev->adv_priority, addr);
	remember_master(fsm, ev);
}

/* A held master gives its VIPs up and tells the backups at once (priority 0, as on
 * Shutdown), so that one that is not held takes over after Skew_Time. */
static void master_hold(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
			struct vrrp_actions *out)
{
	fsm->held = ev->hold;
	if (!ev->hold)
		return;
	out->flags |= VRRP_ACT_SEND_STOP_ADVERT;
	fsm_change_state(fsm, VRRP_STATE_BACKUP, now_us, out, "held back: %s",
			 ev->reason ? ev->reason : "unspecified");
}

static void any_hold(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
		     struct vrrp_actions *out)
{
	(void)now_us;
	(void)out;
	fsm->held = ev->hold;
}

/* ---- Fault ---- */

static void fault_shutdown(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
			   struct vrrp_actions *out)
{
	(void)ev;
	fsm_change_state(fsm, VRRP_STATE_INIT, now_us, out, "shutdown");
}

static void fault_clear(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
			struct vrrp_actions *out)
{
	/* Back to an election as at Startup: whatever we learnt before the fault is stale. */
	fsm->master_adver_interval_us = fsm->cfg.advert_interval_us;
	memset(&fsm->master_addr, 0, sizeof(fsm->master_addr));
	fsm->master_priority = 0;
	if (ev->reason != NULL)
		fsm_change_state(fsm, VRRP_STATE_BACKUP, now_us, out, "fault cleared: %s",
				 ev->reason);
	else
		fsm_change_state(fsm, VRRP_STATE_BACKUP, now_us, out, "fault cleared");
}

/* [state][event]; NULL: ignored in that state (adverts in INIT and FAULT among them). */
static state_handler *const handlers[VRRP_STATE__COUNT][VRRP_EV__COUNT] = {
	[VRRP_STATE_INIT] = {
		[VRRP_EV_STARTUP] = init_startup,
		[VRRP_EV_FAULT] = any_fault,
		[VRRP_EV_PRIORITY] = any_priority,
		[VRRP_EV_HOLD] = any_hold,
	},
	[VRRP_STATE_BACKUP] = {
		[VRRP_EV_SHUTDOWN] = backup_shutdown,
		[VRRP_EV_TIMER] = backup_timer,
		[VRRP_EV_ADVERT] = backup_advert,
		[VRRP_EV_FAULT] = any_fault,
		[VRRP_EV_PRIORITY] = any_priority,
		[VRRP_EV_HOLD] = any_hold,
	},
	[VRRP_STATE_MASTER] = {
		[VRRP_EV_SHUTDOWN] = master_shutdown,
		[VRRP_EV_TIMER] = master_timer,
		[VRRP_EV_ADVERT] = master_advert,
		[VRRP_EV_FAULT] = master_fault,
		[VRRP_EV_PRIORITY] = any_priority,
		[VRRP_EV_HOLD] = master_hold,
	},
	[VRRP_STATE_FAULT] = {
		[VRRP_EV_SHUTDOWN] = fault_shutdown,
		[VRRP_EV_FAULT_CLEAR] = fault_clear,
		[VRRP_EV_PRIORITY] = any_priority,
		[VRRP_EV_HOLD] = any_hold,
	},
};

/* The order of the steps (vrrp_fsm.h says why) and the flag each one comes from. */
static const struct {
	enum vrrp_step step;
	unsigned flag;
} step_order[VRRP_STEP__COUNT] = {
	{ .step = VRRP_STEP_SEND_STOP_ADVERT, .flag = VRRP_ACT_SEND_STOP_ADVERT },
	{ .step = VRRP_STEP_REMOVE_VIPS, .flag = VRRP_ACT_REMOVE_VIPS },
	{ .step = VRRP_STEP_SEND_ADVERT, .flag = VRRP_ACT_SEND_ADVERT },
	{ .step = VRRP_STEP_ADD_VIPS, .flag = VRRP_ACT_ADD_VIPS },
	{ .step = VRRP_STEP_ANNOUNCE, .flag = VRRP_ACT_ANNOUNCE },
	{ .step = VRRP_STEP_NOTIFY, .flag = VRRP_ACT_NOTIFY },
};

size_t vrrp_actions_steps(const struct vrrp_actions *act, enum vrrp_step steps[VRRP_STEP__COUNT])
{
	size_t n = 0;
	for (size_t i = 0; i < VRRP_STEP__COUNT; i++)
		if (act->flags & step_order[i].flag)
			steps[n++] = step_order[i].step;
	return n;
}

void vrrp_fsm_init(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *cfg)
{
	memset(fsm, 0, sizeof(*fsm));
	fsm->cfg = *cfg;
	fsm->state = VRRP_STATE_INIT;
	fsm->master_adver_interval_us = cfg->advert_interval_us;
	fsm->adver_timer_us = VRRP_NO_DEADLINE;
	fsm->master_down_timer_us = VRRP_NO_DEADLINE;
}

void vrrp_fsm_handle(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
		     struct vrrp_actions *out)
{
	state_handler *handler = NULL;

	memset(out, 0, sizeof(*out));
	out->from = out->to = fsm->state;
	if ((unsigned)fsm->state < VRRP_STATE__COUNT && (unsigned)ev->kind < VRRP_EV__COUNT)
		handler = handlers[fsm->state][ev->kind];
	if (handler)
		handler(fsm, ev, now_us, out);
}

void vrrp_fsm_reconfigure(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *cfg)
{
	uint8_t version = fsm->cfg.version;

	fsm->cfg = *cfg;
	fsm->cfg.version = version;
	/* A learnt interval (v3 Backup) stays until the master's next advert. */
	if (fsm->cfg.version == 2 || fsm->state != VRRP_STATE_BACKUP)
		fsm->master_adver_interval_us = fsm->cfg.advert_interval_us;
}
