/* vrrp_fsm.h — the RFC 5798 §6.4 state machine (Initialize, Backup, Master) plus Fault.
 *
 * Pure: an event and the current time in, a set of actions out. It never sends, never
 * touches an address, never reads the clock and never arms a timer itself: the caller
 * (core/instance.c) executes the actions and calls vrrp_fsm_handle(VRRP_EV_TIMER) when
 * now >= vrrp_fsm_next_deadline(). Times are microseconds of a monotonic clock.
 *
 * Names follow RFC 5798 §6.1: Priority, Advertisement_Interval, Master_Adver_Interval,
 * Skew_Time, Master_Down_Interval, Preempt_Mode; timers Adver_Timer and Master_Down_Timer.
 * v2 (RFC 3768) runs the same machine with intervals in whole seconds and
 * Skew_Time = (256 - Priority) / 256 s (RFC 3768 §6.1, as keepalived: not scaled by the
 * interval); v2 never learns: its Master_Adver_Interval is always our own
 * Advertisement_Interval. */
#ifndef KEEPVIP_VRRP_FSM_H
#define KEEPVIP_VRRP_FSM_H

#include "ipaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VRRP_PRIO_STOP 0     /* RFC 5798 §5.2.4: master stops participating */
#define VRRP_PRIO_OWNER 255  /* address owner */
#define VRRP_NO_DEADLINE UINT64_MAX

enum vrrp_state {
	VRRP_STATE_INIT = 0,
	VRRP_STATE_BACKUP,
	VRRP_STATE_MASTER,
	VRRP_STATE_FAULT,
	VRRP_STATE__COUNT
};

/* "INIT", "BACKUP", "MASTER", "FAULT" (keepalived's notify words). */
const char *vrrp_state_name(enum vrrp_state state);

struct vrrp_fsm_config {
	uint8_t version;               /* 2 or 3 */
	uint8_t priority;              /* effective Priority, 1..255 */
	uint32_t advert_interval_us;   /* Advertisement_Interval */
	bool preempt;                  /* Preempt_Mode */
	uint64_t preempt_delay_us;     /* no preemption until this long after Startup */
	struct ip_addr primary;        /* our primary address, for the §6.4.3 tie-break */
};

enum vrrp_event_kind {
	VRRP_EV_STARTUP,     /* §6.4.1 */
	VRRP_EV_SHUTDOWN,    /* §6.4.2 / §6.4.3 Shutdown */
	VRRP_EV_TIMER,       /* now >= next deadline */
	VRRP_EV_ADVERT,      /* an accepted advertisement for our VRID */
	VRRP_EV_FAULT,       /* a check failed or the interface went down */
	VRRP_EV_FAULT_CLEAR, /* back to health: Backup and a normal election */
	VRRP_EV_PRIORITY,    /* effective priority changed (check weight); 0 is taken as 1 */
	VRRP_EV_HOLD,        /* hold set or cleared: while held (an address conflict in refuse
			      * mode) a Backup does not become Master when Master_Down_Timer
			      * fires (it re-arms it), and a Master steps down to Backup */
	VRRP_EV__COUNT
};

struct vrrp_event {
	enum vrrp_event_kind kind;
	/* VRRP_EV_ADVERT */
	uint8_t adv_priority;
	uint32_t adv_interval_us;      /* the advert's (Max) Adver Int, in us */
	struct ip_addr adv_src;        /* sender's primary address (IP source) */
	/* VRRP_EV_PRIORITY */
	uint8_t new_priority;
	/* VRRP_EV_HOLD */
	bool hold;
	/* VRRP_EV_FAULT: the interface is down (or has no carrier); a check failing otherwise */
	bool link_down;
	/* VRRP_EV_FAULT, VRRP_EV_HOLD: short reason for the log, e.g. "interface eth0 down" */
	const char *reason;
};

/* Bit set of things for the caller to do, in the order vrrp_actions_steps() gives. */
enum vrrp_action_flag {
	VRRP_ACT_SEND_ADVERT = 1u << 0,      /* advert with the current priority */
	VRRP_ACT_SEND_STOP_ADVERT = 1u << 1, /* advert with priority 0 */
	VRRP_ACT_ADD_VIPS = 1u << 2,
	VRRP_ACT_REMOVE_VIPS = 1u << 3,
	VRRP_ACT_ANNOUNCE = 1u << 4,         /* gratuitous ARP / unsolicited NA, then repeats */
	VRRP_ACT_NOTIFY = 1u << 5,           /* state changed: from/to below */
};

struct vrrp_actions {
	unsigned flags;
	enum vrrp_state from, to;  /* valid when VRRP_ACT_NOTIFY */
	char reason[128];          /* why the state changed, e.g. "higher priority 150 from 10.0.0.12" */
};

struct vrrp_fsm {
	struct vrrp_fsm_config cfg;
	enum vrrp_state state;
	uint32_t master_adver_interval_us; /* Master_Adver_Interval (learnt in v3) */
	uint64_t adver_timer_us;           /* Adver_Timer deadline, or VRRP_NO_DEADLINE */
	uint64_t master_down_timer_us;     /* Master_Down_Timer deadline, or VRRP_NO_DEADLINE */
	uint64_t preempt_allowed_at_us;    /* Startup + preempt delay */
	struct ip_addr master_addr;        /* last master heard (unset when we are master) */
	uint8_t master_priority;           /* its priority */
	uint64_t master_seen_at_us;        /* last reset of Master_Down_Timer by an advert or by
					    * entering Backup: "no advert for N ms" in the log */
	bool held;                         /* VRRP_EV_HOLD: do not become Master */
};

/* One thing to do, in the order the caller must run them:
 *  - a master that stops sends its priority-0 advert before it gives its VIPs up: the backups'
 *    Skew_Time starts one address deletion earlier and the VIPs keep answering during that
 *    deletion, so a client loses Skew_Time minus it instead of Skew_Time plus it
 *    (bench/client_gap.sh measures it; RFC 5798 §6.4.3 Shutdown: "Send an ADVERTISEMENT with
 *    Priority = 0, Transition to the Initialize state");
 *  - a new master sends its advert, adds its VIPs, then announces them (a gratuitous ARP for
 *    an address not yet on the interface would send clients to a host that drops them). */
enum vrrp_step {
	VRRP_STEP_SEND_STOP_ADVERT,
	VRRP_STEP_REMOVE_VIPS,
	VRRP_STEP_SEND_ADVERT,
	VRRP_STEP_ADD_VIPS,
	VRRP_STEP_ANNOUNCE,
	VRRP_STEP_NOTIFY,
	VRRP_STEP__COUNT,
};

/* Writes the steps of act into steps[], in order; returns how many. */
size_t vrrp_actions_steps(const struct vrrp_actions *act, enum vrrp_step steps[VRRP_STEP__COUNT]);

/* Sets up an fsm in Initialize. cfg is copied. */
void vrrp_fsm_init(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *cfg);

/* Runs one event at time now_us; writes what to do into *out (cleared first). */
void vrrp_fsm_handle(struct vrrp_fsm *fsm, const struct vrrp_event *ev, uint64_t now_us,
		     struct vrrp_actions *out);

/* The earliest armed timer deadline, or VRRP_NO_DEADLINE. */
uint64_t vrrp_fsm_next_deadline(const struct vrrp_fsm *fsm);

/* Skew_Time and Master_Down_Interval for the current Master_Adver_Interval (RFC 5798 §6.1). */
uint64_t vrrp_fsm_skew_time_us(const struct vrrp_fsm *fsm);
uint64_t vrrp_fsm_master_down_interval_us(const struct vrrp_fsm *fsm);

/* Applies a new config without a state change (SIGHUP, adapter update): priority, interval,
 * preempt, preempt delay, primary address. Timers keep running; the next advert carries the
 * new values. The version is kept (a version change needs a new fsm) and so is the preempt
 * deadline already computed at Startup. */
void vrrp_fsm_reconfigure(struct vrrp_fsm *fsm, const struct vrrp_fsm_config *cfg);

#endif
