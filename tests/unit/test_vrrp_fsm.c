/* test_vrrp_fsm.c — RFC 5798 §6.4 transitions of core/vrrp_fsm.c on a virtual clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vrrp_fsm.h"

#define MS 1000u
#define SEC 1000000u
#define T0 (5 * SEC) /* arbitrary start of the virtual monotonic clock */

#define ANNOUNCE_MASTER (VRRP_ACT_SEND_ADVERT | VRRP_ACT_ADD_VIPS | VRRP_ACT_ANNOUNCE)

/* One fsm, its virtual clock and the actions of the last event. */
struct rig {
	struct vrrp_fsm fsm;
	uint64_t now;
	struct vrrp_actions act;
};

static struct ip_addr addr(const char *text)
{
	struct ip_addr a;

	assert_int_equal(ip_addr_parse(text, &a), 0);
	return a;
}

static struct vrrp_fsm_config config(uint8_t version, uint8_t priority, uint32_t interval_us,
				     bool preempt)
{
	struct vrrp_fsm_config cfg = {
		.version = version,
		.priority = priority,
		.advert_interval_us = interval_us,
		.preempt = preempt,
		.primary = addr("10.0.0.11"),
	};
	return cfg;
}

static void rig_init(struct rig *r, const struct vrrp_fsm_config *cfg)
{
	memset(r, 0, sizeof(*r));
	vrrp_fsm_init(&r->fsm, cfg);
	r->now = T0;
}

static void send_event(struct rig *r, enum vrrp_event_kind kind)
{
	struct vrrp_event ev = { .kind = kind };

	vrrp_fsm_handle(&r->fsm, &ev, r->now, &r->act);
}

static void send_advert(struct rig *r, uint8_t priority, uint32_t interval_us, const char *src)
{
	struct vrrp_event ev = {
		.kind = VRRP_EV_ADVERT,
		.adv_priority = priority,
		.adv_interval_us = interval_us,
		.adv_src = addr(src),
	};

	vrrp_fsm_handle(&r->fsm, &ev, r->now, &r->act);
}

static void send_fault(struct rig *r, const char *reason)
{
	struct vrrp_event ev = { .kind = VRRP_EV_FAULT, .reason = reason };

	vrrp_fsm_handle(&r->fsm, &ev, r->now, &r->act);
}

static void send_link_down(struct rig *r)
{
	struct vrrp_event ev = { .kind = VRRP_EV_FAULT, .reason = "interface eth0 down",
				 .link_down = true };

	vrrp_fsm_handle(&r->fsm, &ev, r->now, &r->act);
}

static void send_priority(struct rig *r, uint8_t priority)
{
	struct vrrp_event ev = { .kind = VRRP_EV_PRIORITY, .new_priority = priority };

	vrrp_fsm_handle(&r->fsm, &ev, r->now, &r->act);
}

/* Advances the virtual clock to t and delivers a timer event, as the caller's timerfd would. */
static void fire_at(struct rig *r, uint64_t t)
{
	r->now = t;
	send_event(r, VRRP_EV_TIMER);
}

static void assert_transition(const struct rig *r, enum vrrp_state from, enum vrrp_state to)
{
	assert_true(r->act.flags & VRRP_ACT_NOTIFY);
	assert_int_equal(r->act.from, from);
	assert_int_equal(r->act.to, to);
	assert_int_equal(r->fsm.state, to);
}

/* Starts a v3 backup (priority, 100 ms) at T0 and checks where it stands. */
static void start_backup(struct rig *r, uint8_t priority, bool preempt)
{
	struct vrrp_fsm_config cfg = config(3, priority, 100 * MS, preempt);

	rig_init(r, &cfg);
	send_event(r, VRRP_EV_STARTUP);
	assert_transition(r, VRRP_STATE_INIT, VRRP_STATE_BACKUP);
}

/* Makes a v3 priority-100 node master at T0 + its Master_Down_Interval. */
static void start_master(struct rig *r)
{
	start_backup(r, 100, true);
	fire_at(r, T0 + vrrp_fsm_master_down_interval_us(&r->fsm));
	assert_int_equal(r->fsm.state, VRRP_STATE_MASTER);
}

/* ---- names and §6.1 numbers ---- */

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(vrrp_state_name(VRRP_STATE_INIT), "INIT");
	assert_string_equal(vrrp_state_name(VRRP_STATE_BACKUP), "BACKUP");
	assert_string_equal(vrrp_state_name(VRRP_STATE_MASTER), "MASTER");
	assert_string_equal(vrrp_state_name(VRRP_STATE_FAULT), "FAULT");
}

static void assert_times(uint8_t version, uint8_t priority, uint32_t interval_us,
			 uint64_t skew_us, uint64_t mdi_us)
{
	struct vrrp_fsm_config cfg = config(version, priority, interval_us, true);
	struct vrrp_fsm fsm;

	vrrp_fsm_init(&fsm, &cfg);
	assert_int_equal(vrrp_fsm_skew_time_us(&fsm), skew_us);
	assert_int_equal(vrrp_fsm_master_down_interval_us(&fsm), mdi_us);
}

static void test_skew_and_master_down_interval(void **state)
{
	(void)state;
	/* v3: ((256 - P) * MAI) / 256; MDI = 3 * MAI + skew. */
	assert_times(3, 100, 100 * MS, 60937, 360937);    /* 156 * 100000 / 256 = 60937.5 */
	assert_times(3, 255, 100 * MS, 390, 300390);      /* 1 * 100000 / 256 = 390.6 */
	assert_times(3, 1, 100 * MS, 99609, 399609);
	assert_times(3, 200, 1 * SEC, 218750, 3218750);
	assert_times(3, 100, 10 * MS, 6093, 36093);       /* the protocol's floor */
	/* v2: (256 - P) / 256 s, not scaled by the interval (RFC 3768 §6.1). */
	assert_times(2, 100, 1 * SEC, 609375, 3609375);
	assert_times(2, 100, 3 * SEC, 609375, 9609375);
	assert_times(2, 255, 1 * SEC, 3906, 3003906);
}

/* ---- §6.4.1 Initialize ---- */

static void test_startup_as_owner_becomes_master(void **state)
{
	struct vrrp_fsm_config cfg = config(3, 255, 100 * MS, true);
	struct rig r;

	(void)state;
	rig_init(&r, &cfg);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), VRRP_NO_DEADLINE);
	send_event(&r, VRRP_EV_STARTUP);
	assert_transition(&r, VRRP_STATE_INIT, VRRP_STATE_MASTER);
	assert_int_equal(r.act.flags, ANNOUNCE_MASTER | VRRP_ACT_NOTIFY);
	assert_int_equal(r.fsm.adver_timer_us, T0 + 100 * MS);
	assert_int_equal(r.fsm.master_down_timer_us, VRRP_NO_DEADLINE);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), T0 + 100 * MS);
	assert_string_equal(r.act.reason, "startup as address owner");
}

static void test_startup_as_backup(void **state)
{
	struct rig r;

	(void)state;
	start_backup(&r, 100, true);
	assert_int_equal(r.act.flags, VRRP_ACT_NOTIFY);
	assert_string_equal(r.act.reason, "startup");
	assert_int_equal(r.fsm.master_adver_interval_us, 100 * MS);
	assert_int_equal(r.fsm.adver_timer_us, VRRP_NO_DEADLINE);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), T0 + 360937);
	/* A second Startup means nothing outside Initialize. */
	send_event(&r, VRRP_EV_STARTUP);
	assert_int_equal(r.act.flags, 0);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), T0 + 360937);
}

/* ---- §6.4.2 Backup ---- */

static void test_backup_master_down_at_exact_interval(void **state)
{
	struct rig r;

	(void)state;
	start_backup(&r, 100, true);
	fire_at(&r, T0 + 360937 - 1);
	assert_int_equal(r.act.flags, 0);
	assert_int_equal(r.fsm.state, VRRP_STATE_BACKUP);
	fire_at(&r, T0 + 360937);
	assert_transition(&r, VRRP_STATE_BACKUP, VRRP_STATE_MASTER);
	assert_int_equal(r.act.flags, ANNOUNCE_MASTER | VRRP_ACT_NOTIFY);
	assert_string_equal(r.act.reason, "master down: no advert for 360.9 ms");
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), T0 + 360937 + 100 * MS);
}

static void test_backup_advert_resets_master_down_timer(void **state)
{
	struct rig r;
	uint64_t last;

	(void)state;
	start_backup(&r, 100, true);
	/* A higher master every 100 ms for 2 s: never master down. */
	for (last = T0; last < T0 + 2 * SEC; last += 100 * MS) {
		fire_at(&r, last);
		assert_int_equal(r.act.flags, 0);
		send_advert(&r, 200, 100 * MS, "10.0.0.12");
		assert_int_equal(r.act.flags, 0);
		assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), last + 360937);
	}
	last -= 100 * MS;
	/* Then it goes silent: master down one MDI after its last advert, and the log says so
	 * with the time since that advert, as the caller's timer fired 100 us late. */
	fire_at(&r, last + 360937 + 100);
	assert_transition(&r, VRRP_STATE_BACKUP, VRRP_STATE_MASTER);
	assert_string_equal(r.act.reason, "master down: no advert for 361.0 ms");
}

static void test_backup_priority_zero_sets_skew_time(void **state)
{
	struct rig r;

	(void)state;
	start_backup(&r, 100, true);
	r.now = T0 + 50 * MS;
	send_advert(&r, 200, 100 * MS, "10.0.0.12");
	r.now = T0 + 100 * MS;
	send_advert(&r, VRRP_PRIO_STOP, 100 * MS, "10.0.0.12");
	assert_int_equal(r.act.flags, 0);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), T0 + 100 * MS + 60937);
	fire_at(&r, T0 + 100 * MS + 60937 - 1);
	assert_int_equal(r.fsm.state, VRRP_STATE_BACKUP);
	fire_at(&r, T0 + 100 * MS + 60937);
	assert_transition(&r, VRRP_STATE_BACKUP, VRRP_STATE_MASTER);
	assert_int_equal(r.act.flags, ANNOUNCE_MASTER | VRRP_ACT_NOTIFY);
	assert_string_equal(r.act.reason, "priority-0 advert from 10.0.0.12 (master left)");
}

static void test_backup_preempts_lower_priority_master(void **state)
{
	struct rig r;

	(void)state;
	start_backup(&r, 150, true);
	/* The lower master's adverts are discarded: the deadline set at Startup holds. */
	uint64_t mdi = vrrp_fsm_master_down_interval_us(&r.fsm);
	for (uint64_t t = T0 + 10 * MS; t < T0 + mdi; t += 100 * MS) {
		r.now = t;
		send_advert(&r, 100, 100 * MS, "10.0.0.12");
		assert_int_equal(r.act.flags, 0);
		assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), T0 + mdi);
	}
	fire_at(&r, T0 + mdi);
	assert_transition(&r, VRRP_STATE_BACKUP, VRRP_STATE_MASTER);
	assert_int_equal(r.act.flags, ANNOUNCE_MASTER | VRRP_ACT_NOTIFY);
	assert_string_equal(r.act.reason, "preempting lower priority 100 from 10.0.0.12");
}

static void test_backup_without_preempt_keeps_lower_master(void **state)
{
	struct rig r;
	uint64_t t;

	(void)state;
	start_backup(&r, 150, false);
	for (t = T0 + 10 * MS; t < T0 + 5 * SEC; t += 100 * MS) {
		fire_at(&r, t);
		assert_int_equal(r.fsm.state, VRRP_STATE_BACKUP);
		send_advert(&r, 100, 100 * MS, "10.0.0.12");
		assert_int_equal(vrrp_fsm_next_deadline(&r.fsm),
				 t + vrrp_fsm_master_down_interval_us(&r.fsm));
	}
	assert_int_equal(r.fsm.state, VRRP_STATE_BACKUP);
}

static void test_backup_preempt_delay(void **state)
{
	struct vrrp_fsm_config cfg = config(3, 150, 100 * MS, true);
	struct rig r;
	uint64_t t, last_accepted = 0;
	uint64_t mdi;

	(void)state;
	cfg.preempt_delay_us = 1 * SEC;
	rig_init(&r, &cfg);
	send_event(&r, VRRP_EV_STARTUP);
	mdi = vrrp_fsm_master_down_interval_us(&r.fsm);
	assert_int_equal(r.fsm.preempt_allowed_at_us, T0 + 1 * SEC);
	/* During the delay the lower master is accepted: the timer moves with each advert. */
	for (t = T0 + 10 * MS; t < T0 + 1 * SEC; t += 100 * MS) {
		fire_at(&r, t);
		assert_int_equal(r.fsm.state, VRRP_STATE_BACKUP);
		send_advert(&r, 100, 100 * MS, "10.0.0.12");
		assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), t + mdi);
		last_accepted = t;
	}
	/* After it, its adverts are discarded and we preempt one MDI after the last accepted. */
	for (; t < last_accepted + mdi; t += 100 * MS) {
		fire_at(&r, t);
		assert_int_equal(r.fsm.state, VRRP_STATE_BACKUP);
		send_advert(&r, 100, 100 * MS, "10.0.0.12");
		assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), last_accepted + mdi);
	}
	fire_at(&r, last_accepted + mdi);
	assert_transition(&r, VRRP_STATE_BACKUP, VRRP_STATE_MASTER);
	assert_string_equal(r.act.reason, "preempting lower priority 100 from 10.0.0.12");
}

static void test_backup_equal_priority_is_accepted(void **state)
{
	struct rig r;

	(void)state;
	start_backup(&r, 100, true);
	r.now = T0 + 300 * MS;
	send_advert(&r, 100, 100 * MS, "10.0.0.5"); /* lower address: still >= our priority */
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), T0 + 300 * MS + 360937);
}

static void test_v3_backup_learns_master_adver_interval(void **state)
{
	struct rig r;

	(void)state;
	start_backup(&r, 100, true);
	r.now = T0 + 100 * MS;
	send_advert(&r, 200, 1 * SEC, "10.0.0.12");
	assert_int_equal(r.fsm.master_adver_interval_us, 1 * SEC);
	assert_int_equal(vrrp_fsm_skew_time_us(&r.fsm), 609375);
	assert_int_equal(vrrp_fsm_master_down_interval_us(&r.fsm), 3609375);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), T0 + 100 * MS + 3609375);
	/* Our own Advertisement_Interval is unchanged: it is what we send as master. */
	assert_int_equal(r.fsm.cfg.advert_interval_us, 100 * MS);
	fire_at(&r, T0 + 100 * MS + 3609375);
	assert_int_equal(r.fsm.state, VRRP_STATE_MASTER);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), T0 + 100 * MS + 3609375 + 100 * MS);
}

static void test_v2_backup_does_not_learn(void **state)
{
	struct vrrp_fsm_config cfg = config(2, 100, 1 * SEC, true);
	struct rig r;

	(void)state;
	rig_init(&r, &cfg);
	send_event(&r, VRRP_EV_STARTUP);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), T0 + 3609375);
	r.now = T0 + 1 * SEC;
	send_advert(&r, 200, 3 * SEC, "10.0.0.12");
	assert_int_equal(r.fsm.master_adver_interval_us, 1 * SEC);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), T0 + 1 * SEC + 3609375);
	fire_at(&r, T0 + 1 * SEC + 3609375 - 1);
	assert_int_equal(r.fsm.state, VRRP_STATE_BACKUP);
	fire_at(&r, T0 + 1 * SEC + 3609375);
	assert_int_equal(r.fsm.state, VRRP_STATE_MASTER);
}

static void test_backup_shutdown(void **state)
{
	struct rig r;

	(void)state;
	start_backup(&r, 100, true);
	send_event(&r, VRRP_EV_SHUTDOWN);
	assert_transition(&r, VRRP_STATE_BACKUP, VRRP_STATE_INIT);
	assert_int_equal(r.act.flags, VRRP_ACT_NOTIFY);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), VRRP_NO_DEADLINE);
}

/* ---- §6.4.3 Master ---- */

static void test_master_adver_timer(void **state)
{
	struct rig r;
	uint64_t due;

	(void)state;
	start_master(&r);
	due = r.fsm.adver_timer_us;
	fire_at(&r, due - 1);
	assert_int_equal(r.act.flags, 0);
	fire_at(&r, due);
	assert_int_equal(r.act.flags, VRRP_ACT_SEND_ADVERT);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), due + 100 * MS);
}

static void test_master_hears_higher_priority(void **state)
{
	struct rig r;

	(void)state;
	start_master(&r);
	r.now += 30 * MS;
	send_advert(&r, 150, 1 * SEC, "10.0.0.2");
	assert_transition(&r, VRRP_STATE_MASTER, VRRP_STATE_BACKUP);
	assert_int_equal(r.act.flags, VRRP_ACT_REMOVE_VIPS | VRRP_ACT_NOTIFY);
	assert_string_equal(r.act.reason, "higher priority 150 from 10.0.0.2");
	assert_int_equal(r.fsm.adver_timer_us, VRRP_NO_DEADLINE);
	/* v3: Master_Adver_Interval learnt, Master_Down_Timer from it. */
	assert_int_equal(r.fsm.master_adver_interval_us, 1 * SEC);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), r.now + 3609375);
}

static void test_master_hears_lower_priority(void **state)
{
	struct rig r;

	(void)state;
	start_master(&r);
	r.now += 30 * MS;
	send_advert(&r, 50, 100 * MS, "10.0.0.200");
	assert_int_equal(r.fsm.state, VRRP_STATE_MASTER);
	/* A healed split brain: reassert at once and announce the VIPs again (keepalived's
	 * behaviour), restart Adver_Timer. */
	assert_int_equal(r.act.flags, VRRP_ACT_SEND_ADVERT | VRRP_ACT_ANNOUNCE);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), r.now + 100 * MS);
}

static void test_master_hears_priority_zero(void **state)
{
	struct rig r;

	(void)state;
	start_master(&r);
	r.now += 70 * MS;
	send_advert(&r, VRRP_PRIO_STOP, 100 * MS, "10.0.0.200");
	assert_int_equal(r.fsm.state, VRRP_STATE_MASTER);
	assert_int_equal(r.act.flags, VRRP_ACT_SEND_ADVERT);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), r.now + 100 * MS);
}

static void test_master_tie_higher_address_wins(void **state)
{
	struct rig r;

	(void)state;
	start_master(&r); /* priority 100, primary 10.0.0.11 */
	r.now += 10 * MS;
	send_advert(&r, 100, 100 * MS, "10.0.0.12");
	assert_transition(&r, VRRP_STATE_MASTER, VRRP_STATE_BACKUP);
	assert_int_equal(r.act.flags, VRRP_ACT_REMOVE_VIPS | VRRP_ACT_NOTIFY);
	assert_string_equal(r.act.reason, "equal priority 100 from 10.0.0.12 with higher address");
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), r.now + 360937);
}

static void test_master_tie_lower_address_loses(void **state)
{
	struct rig r;

	(void)state;
	start_master(&r); /* priority 100, primary 10.0.0.11 */
	r.now += 10 * MS;
	send_advert(&r, 100, 100 * MS, "10.0.0.10");
	assert_int_equal(r.fsm.state, VRRP_STATE_MASTER);
	assert_int_equal(r.act.flags, VRRP_ACT_SEND_ADVERT | VRRP_ACT_ANNOUNCE);
	/* Compared as numbers, not as text: 10.0.0.9 < 10.0.0.11. */
	send_advert(&r, 100, 100 * MS, "10.0.0.9");
	assert_int_equal(r.fsm.state, VRRP_STATE_MASTER);
}

static void test_master_shutdown_sends_stop_advert(void **state)
{
	struct rig r;

	(void)state;
	start_master(&r);
	send_event(&r, VRRP_EV_SHUTDOWN);
	assert_transition(&r, VRRP_STATE_MASTER, VRRP_STATE_INIT);
	assert_int_equal(r.act.flags,
			 VRRP_ACT_SEND_STOP_ADVERT | VRRP_ACT_REMOVE_VIPS | VRRP_ACT_NOTIFY);
	assert_string_equal(r.act.reason, "shutdown");
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), VRRP_NO_DEADLINE);
	/* Initialize ignores adverts and timers. */
	send_advert(&r, 200, 100 * MS, "10.0.0.12");
	assert_int_equal(r.act.flags, 0);
	fire_at(&r, r.now + 10 * SEC);
	assert_int_equal(r.act.flags, 0);
	assert_int_equal(r.fsm.state, VRRP_STATE_INIT);
}

/* ---- Fault ---- */

static void test_fault_from_master(void **state)
{
	struct rig r;

	(void)state;
	start_master(&r);
	send_fault(&r, "health check failing");
	assert_transition(&r, VRRP_STATE_MASTER, VRRP_STATE_FAULT);
	assert_int_equal(r.act.flags,
			 VRRP_ACT_SEND_STOP_ADVERT | VRRP_ACT_REMOVE_VIPS | VRRP_ACT_NOTIFY);
	assert_string_equal(r.act.reason, "fault: health check failing");
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), VRRP_NO_DEADLINE);
	/* FAULT: adverts, timers and a second fault change nothing. */
	send_advert(&r, 50, 100 * MS, "10.0.0.12");
	assert_int_equal(r.act.flags, 0);
	send_fault(&r, "again");
	assert_int_equal(r.act.flags, 0);
	fire_at(&r, r.now + 10 * SEC);
	assert_int_equal(r.act.flags, 0);
	assert_int_equal(r.fsm.state, VRRP_STATE_FAULT);
}

/* The link down (found by tests/chaos, link rounds with carrier loss): the master leaves
 * without the priority-0 advert nobody could hear. Sent, a unicast one would leave the
 * peers' ARP entries resolving on the dead link and hold back our adverts once it is back. */
static void test_fault_link_down_sends_no_stop_advert(void **state)
{
	struct rig r;

	(void)state;
	start_master(&r);
	send_link_down(&r);
	assert_transition(&r, VRRP_STATE_MASTER, VRRP_STATE_FAULT);
	assert_int_equal(r.act.flags, VRRP_ACT_REMOVE_VIPS | VRRP_ACT_NOTIFY);
	assert_string_equal(r.act.reason, "fault: interface eth0 down");
}

static void test_fault_from_backup_and_clear(void **state)
{
	struct rig r;

	(void)state;
	start_backup(&r, 100, true);
	r.now = T0 + 100 * MS;
	send_advert(&r, 200, 1 * SEC, "10.0.0.12"); /* learns 1 s */
	send_fault(&r, NULL);
	assert_transition(&r, VRRP_STATE_BACKUP, VRRP_STATE_FAULT);
	assert_int_equal(r.act.flags, VRRP_ACT_NOTIFY);
	assert_string_equal(r.act.reason, "fault: unspecified");
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), VRRP_NO_DEADLINE);

	r.now = T0 + 20 * SEC;
	send_event(&r, VRRP_EV_FAULT_CLEAR);
	assert_transition(&r, VRRP_STATE_FAULT, VRRP_STATE_BACKUP);
	assert_int_equal(r.act.flags, VRRP_ACT_NOTIFY);
	assert_string_equal(r.act.reason, "fault cleared");
	/* A fresh election on our own interval: the learnt 1 s is forgotten. */
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), r.now + 360937);
	fire_at(&r, r.now + 360937);
	assert_transition(&r, VRRP_STATE_BACKUP, VRRP_STATE_MASTER);
	assert_string_equal(r.act.reason, "master down: no advert for 360.9 ms");
}

static void test_fault_clear_names_its_cause(void **state)
{
	struct rig r;
	struct vrrp_event clear = { .kind = VRRP_EV_FAULT_CLEAR, .reason = "interface eth0 up" };

	(void)state;
	start_master(&r);
	send_fault(&r, "interface eth0 down");
	assert_string_equal(r.act.reason, "fault: interface eth0 down");
	vrrp_fsm_handle(&r.fsm, &clear, r.now, &r.act);
	assert_transition(&r, VRRP_STATE_FAULT, VRRP_STATE_BACKUP);
	assert_string_equal(r.act.reason, "fault cleared: interface eth0 up");
}

static void test_fault_clear_outside_fault_is_ignored(void **state)
{
	struct rig r;

	(void)state;
	start_master(&r);
	send_event(&r, VRRP_EV_FAULT_CLEAR);
	assert_int_equal(r.act.flags, 0);
	assert_int_equal(r.fsm.state, VRRP_STATE_MASTER);
}

/* ---- priority changes and reconfiguration ---- */

static void test_master_priority_change_keeps_master(void **state)
{
	struct rig r;
	uint64_t due;

	(void)state;
	start_master(&r);
	due = r.fsm.adver_timer_us;
	send_priority(&r, 40);
	assert_int_equal(r.act.flags, 0);
	assert_int_equal(r.fsm.state, VRRP_STATE_MASTER);
	assert_int_equal(r.fsm.cfg.priority, 40);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), due);
	/* The new priority now decides the election: a 50 wins over us. */
	r.now += 5 * MS;
	send_advert(&r, 50, 100 * MS, "10.0.0.2");
	assert_transition(&r, VRRP_STATE_MASTER, VRRP_STATE_BACKUP);
	/* 0 is reserved for "stop": it becomes 1. */
	send_priority(&r, 0);
	assert_int_equal(r.fsm.cfg.priority, 1);
}

static void test_backup_priority_rise_preempts_at_next_master_down(void **state)
{
	struct rig r;
	uint64_t mdi;

	(void)state;
	start_backup(&r, 100, true);
	r.now = T0 + 100 * MS;
	send_advert(&r, 120, 100 * MS, "10.0.0.12");
	send_priority(&r, 150);
	/* No immediate preemption: no action, the timer is the one the advert armed. */
	assert_int_equal(r.act.flags, 0);
	assert_int_equal(r.fsm.state, VRRP_STATE_BACKUP);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), T0 + 100 * MS + 360937);
	/* The master's next advert is now discarded, so its timer runs out. */
	mdi = vrrp_fsm_master_down_interval_us(&r.fsm);
	assert_int_equal(mdi, 300000 + 41406);
	r.now = T0 + 200 * MS;
	send_advert(&r, 120, 100 * MS, "10.0.0.12");
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), T0 + 100 * MS + 360937);
	fire_at(&r, T0 + 100 * MS + 360937);
	assert_transition(&r, VRRP_STATE_BACKUP, VRRP_STATE_MASTER);
	assert_string_equal(r.act.reason, "preempting lower priority 120 from 10.0.0.12");
}

static void test_reconfigure_keeps_state(void **state)
{
	struct vrrp_fsm_config cfg = config(3, 120, 200 * MS, false);
	struct rig r;
	uint64_t due;

	(void)state;
	start_master(&r);
	due = r.fsm.adver_timer_us;
	cfg.version = 2; /* ignored: a version change needs a new fsm */
	vrrp_fsm_reconfigure(&r.fsm, &cfg);
	assert_int_equal(r.fsm.state, VRRP_STATE_MASTER);
	assert_int_equal(r.fsm.cfg.version, 3);
	assert_int_equal(r.fsm.cfg.priority, 120);
	assert_false(r.fsm.cfg.preempt);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), due); /* timer keeps running */
	fire_at(&r, due);
	assert_int_equal(r.act.flags, VRRP_ACT_SEND_ADVERT);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), due + 200 * MS);
}

static void test_reconfigure_v3_backup_keeps_learnt_interval(void **state)
{
	struct vrrp_fsm_config cfg = config(3, 100, 200 * MS, true);
	struct rig r;

	(void)state;
	start_backup(&r, 100, true);
	r.now = T0 + 10 * MS;
	send_advert(&r, 200, 1 * SEC, "10.0.0.12");
	vrrp_fsm_reconfigure(&r.fsm, &cfg);
	assert_int_equal(r.fsm.state, VRRP_STATE_BACKUP);
	assert_int_equal(r.fsm.master_adver_interval_us, 1 * SEC);
	assert_int_equal(r.fsm.cfg.advert_interval_us, 200 * MS);
}

/* ---- hold (an address conflict in refuse mode) ---- */

static void send_hold(struct rig *r, bool hold)
{
	struct vrrp_event ev = { .kind = VRRP_EV_HOLD, .hold = hold, .reason = "conflict" };

	vrrp_fsm_handle(&r->fsm, &ev, r->now, &r->act);
}

/* A held backup stays Backup when Master_Down_Timer fires and looks again one
 * Master_Down_Interval later; once the hold is gone it takes over at that next expiry. */
static void test_held_backup_does_not_take_over(void **state)
{
	(void)state;
	struct rig r;
	start_backup(&r, 100, true);
	uint64_t mdi = vrrp_fsm_master_down_interval_us(&r.fsm);
	send_hold(&r, true);
	assert_int_equal(r.act.flags, 0);
	fire_at(&r, T0 + mdi);
	assert_int_equal(r.fsm.state, VRRP_STATE_BACKUP);
	assert_int_equal(r.act.flags, 0);
	assert_int_equal(vrrp_fsm_next_deadline(&r.fsm), T0 + 2 * mdi);
	send_hold(&r, false);
	assert_int_equal(r.fsm.state, VRRP_STATE_BACKUP);
	fire_at(&r, T0 + 2 * mdi);
	assert_transition(&r, VRRP_STATE_BACKUP, VRRP_STATE_MASTER);
	assert_int_equal(r.act.flags & ANNOUNCE_MASTER, ANNOUNCE_MASTER);
}

/* A held master releases its VIPs, sends priority 0 and becomes Backup, with the reason. */
static void test_held_master_steps_down(void **state)
{
	(void)state;
	struct rig r;
	start_master(&r);
	r.now += 10 * MS;
	send_hold(&r, true);
	assert_transition(&r, VRRP_STATE_MASTER, VRRP_STATE_BACKUP);
	assert_true(r.act.flags & VRRP_ACT_REMOVE_VIPS);
	assert_true(r.act.flags & VRRP_ACT_SEND_STOP_ADVERT);
	assert_false(r.act.flags & VRRP_ACT_ADD_VIPS);
	assert_string_equal(r.act.reason, "held back: conflict");
	/* clearing the hold of a master changes nothing */
	start_master(&r);
	send_hold(&r, false);
	assert_int_equal(r.act.flags, 0);
	assert_int_equal(r.fsm.state, VRRP_STATE_MASTER);
}

/* ---- the order of the steps ---- */

static void assert_steps(const struct rig *r, const enum vrrp_step *want, size_t n_want)
{
	enum vrrp_step got[VRRP_STEP__COUNT];
	size_t n = vrrp_actions_steps(&r->act, got);

	assert_int_equal(n, n_want);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(got[i], want[i]);
}

/* A master that stops (shutdown, fault, hold) sends its priority-0 advert before it removes
 * its VIPs: the client's outage is Skew_Time minus the deletion, not plus it
 * (bench/client_gap.sh found keepvip 1.5 ms behind keepalived when it was the other way). */
static void test_stopping_master_advertises_before_removing(void **state)
{
	static const enum vrrp_step stop[] = { VRRP_STEP_SEND_STOP_ADVERT, VRRP_STEP_REMOVE_VIPS,
					       VRRP_STEP_NOTIFY };
	struct rig r;

	(void)state;
	start_master(&r);
	send_event(&r, VRRP_EV_SHUTDOWN);
	assert_steps(&r, stop, 3);
	start_master(&r);
	send_fault(&r, "interface eth0 down");
	assert_steps(&r, stop, 3);
	start_master(&r);
	send_hold(&r, true);
	assert_steps(&r, stop, 3);
}

/* A new master: advert, VIPs on the interface, then the gratuitous ARP; a master that hears a
 * higher priority only gives its VIPs up. */
static void test_new_master_adds_before_announcing(void **state)
{
	static const enum vrrp_step up[] = { VRRP_STEP_SEND_ADVERT, VRRP_STEP_ADD_VIPS,
					     VRRP_STEP_ANNOUNCE, VRRP_STEP_NOTIFY };
	static const enum vrrp_step down[] = { VRRP_STEP_REMOVE_VIPS, VRRP_STEP_NOTIFY };
	struct rig r;

	(void)state;
	start_backup(&r, 100, true);
	fire_at(&r, T0 + vrrp_fsm_master_down_interval_us(&r.fsm));
	assert_steps(&r, up, 4);
	r.now += 10 * MS;
	send_advert(&r, 200, 100 * MS, "10.0.0.12");
	assert_int_equal(r.fsm.state, VRRP_STATE_BACKUP);
	assert_steps(&r, down, 2);
}

/* The hold survives a fault: cleared, the backup still does not take over. */
static void test_hold_survives_fault(void **state)
{
	(void)state;
	struct rig r;
	start_backup(&r, 100, true);
	send_hold(&r, true);
	send_fault(&r, "link");
	send_event(&r, VRRP_EV_FAULT_CLEAR);
	assert_int_equal(r.fsm.state, VRRP_STATE_BACKUP);
	fire_at(&r, r.now + vrrp_fsm_master_down_interval_us(&r.fsm));
	assert_int_equal(r.fsm.state, VRRP_STATE_BACKUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_skew_and_master_down_interval),
		cmocka_unit_test(test_startup_as_owner_becomes_master),
		cmocka_unit_test(test_startup_as_backup),
		cmocka_unit_test(test_backup_master_down_at_exact_interval),
		cmocka_unit_test(test_backup_advert_resets_master_down_timer),
		cmocka_unit_test(test_backup_priority_zero_sets_skew_time),
		cmocka_unit_test(test_backup_preempts_lower_priority_master),
		cmocka_unit_test(test_backup_without_preempt_keeps_lower_master),
		cmocka_unit_test(test_backup_preempt_delay),
		cmocka_unit_test(test_backup_equal_priority_is_accepted),
		cmocka_unit_test(test_v3_backup_learns_master_adver_interval),
		cmocka_unit_test(test_v2_backup_does_not_learn),
		cmocka_unit_test(test_backup_shutdown),
		cmocka_unit_test(test_master_adver_timer),
		cmocka_unit_test(test_master_hears_higher_priority),
		cmocka_unit_test(test_master_hears_lower_priority),
		cmocka_unit_test(test_master_hears_priority_zero),
		cmocka_unit_test(test_master_tie_higher_address_wins),
		cmocka_unit_test(test_master_tie_lower_address_loses),
		cmocka_unit_test(test_master_shutdown_sends_stop_advert),
		cmocka_unit_test(test_fault_from_master),
		cmocka_unit_test(test_fault_link_down_sends_no_stop_advert),
		cmocka_unit_test(test_fault_from_backup_and_clear),
		cmocka_unit_test(test_fault_clear_names_its_cause),
		cmocka_unit_test(test_fault_clear_outside_fault_is_ignored),
		cmocka_unit_test(test_master_priority_change_keeps_master),
		cmocka_unit_test(test_backup_priority_rise_preempts_at_next_master_down),
		cmocka_unit_test(test_reconfigure_keeps_state),
		cmocka_unit_test(test_reconfigure_v3_backup_keeps_learnt_interval),
		cmocka_unit_test(test_held_backup_does_not_take_over),
		cmocka_unit_test(test_held_master_steps_down),
		cmocka_unit_test(test_hold_survives_fault),
		cmocka_unit_test(test_stopping_master_advertises_before_removing),
		cmocka_unit_test(test_new_master_adds_before_announcing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
