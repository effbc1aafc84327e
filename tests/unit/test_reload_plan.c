/* test_reload_plan.c — the plan of a reload for every field of struct instance_settings:
 * flipping any one field gives the plan reload_plan.h promises (never "same"), the heaviest
 * plan wins when several change, and what lies past a string's end or an array's count is
 * not a change. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "reload_plan.h"

/* Positional on purpose, one line per field in the struct's order: with -Wextra
 * (-Wmissing-field-initializers) and -Werror, a field added to struct instance_settings
 * stops this file from compiling until it is written here, given a case in FIELD_CASES and
 * a row in reload_plan.c's FIELDS. */
static const struct instance_settings BASE = {
	"VI_51",                 /* name */
	{ { { 0 }, 24 } },       /* vips (address set in base()) */
	1,                       /* n_vips */
	AF_INET,                 /* family */
	"eth0",                  /* interface */
	51,                      /* vrid */
	false,                   /* vrid_derived */
	100,                     /* priority */
	1000,                    /* advert_ms */
	3,                       /* version */
	true,                    /* preempt */
	0,                       /* preempt_delay_ms */
	{ { 0 } },               /* peers (set in base()) */
	1,                       /* n_peers */
	true,                    /* peers_set */
	VRRP_MODE_AUTO,          /* mode */
	{ { 0 } },               /* checks (set in base()) */
	1,                       /* n_checks */
	"/bin/notify.sh",        /* notify */
	5,                       /* garp_repeat */
	1000,                    /* garp_delay_ms */
	60,                      /* garp_refresh_s */
	60,                      /* conflict_check_s */
	CONFLICT_WARN,           /* conflict_action */
	"",                      /* auth_pass */
};

static void parse(const char *text, struct ip_addr *out)
{
	assert_int_equal(ip_addr_parse(text, out), 0);
}

/* A complete instance: one VIP, one pinned peer, one check, a notify program. */
static struct instance_settings *base(void)
{
	struct instance_settings *s = malloc(sizeof(*s));
	assert_non_null(s);
	*s = BASE;
	parse("10.0.0.100", &s->vips[0].addr);
	parse("10.0.0.12", &s->peers[0]);
	s->checks[0] = (struct check_settings){ .kind = CHECK_TCP, .port = 80, .interval_ms = 1000,
						.timeout_ms = 1000, .rise = 2, .fall = 2 };
	return s;
}

/* ---- one case per field ---------------------------------------------------------------- */

typedef void (*mutate_fn)(struct instance_settings *s);

static void m_name(struct instance_settings *s) { strcpy(s->name, "VI_other"); }
static void m_vip_addr(struct instance_settings *s) { parse("10.0.0.101", &s->vips[0].addr); }
static void m_vip_prefix(struct instance_settings *s) { s->vips[0].prefix = 32; }
static void m_n_vips(struct instance_settings *s)
{
	parse("10.0.0.101", &s->vips[1].addr);
	s->vips[1].prefix = 24;
	s->n_vips = 2;
}
static void m_family(struct instance_settings *s)
{
	parse("fd00::100", &s->vips[0].addr);
	s->family = AF_INET6;
}
static void m_interface(struct instance_settings *s) { strcpy(s->interface, "eth1"); }
static void m_vrid(struct instance_settings *s) { s->vrid = 52; }
static void m_vrid_derived(struct instance_settings *s) { s->vrid_derived = true; }
static void m_priority(struct instance_settings *s) { s->priority = 150; }
static void m_advert_ms(struct instance_settings *s) { s->advert_ms = 100; }
static void m_version(struct instance_settings *s) { s->version = 2; }
static void m_preempt(struct instance_settings *s) { s->preempt = false; }
static void m_preempt_delay(struct instance_settings *s) { s->preempt_delay_ms = 5000; }
static void m_peer_addr(struct instance_settings *s) { parse("10.0.0.13", &s->peers[0]); }
static void m_n_peers(struct instance_settings *s)
{
	parse("10.0.0.13", &s->peers[1]);
	s->n_peers = 2;
}
static void m_unpin(struct instance_settings *s)
{
	s->peers_set = false;
	s->n_peers = 0;
}
static void m_unpin_keep_list(struct instance_settings *s) { s->peers_set = false; }
static void m_mode_unicast(struct instance_settings *s) { s->mode = VRRP_MODE_UNICAST; }
static void m_mode_multicast(struct instance_settings *s) { s->mode = VRRP_MODE_MULTICAST; }
static void m_check_kind(struct instance_settings *s) { s->checks[0].kind = CHECK_SCRIPT; }
static void m_check_port(struct instance_settings *s) { s->checks[0].port = 81; }
static void m_check_target(struct instance_settings *s) { strcpy(s->checks[0].target, "x"); }
static void m_check_interval(struct instance_settings *s) { s->checks[0].interval_ms = 500; }
static void m_check_timeout(struct instance_settings *s) { s->checks[0].timeout_ms = 500; }
static void m_check_rise(struct instance_settings *s) { s->checks[0].rise = 3; }
static void m_check_fall(struct instance_settings *s) { s->checks[0].fall = 3; }
static void m_check_weight(struct instance_settings *s) { s->checks[0].weight = 20; }
static void m_n_checks(struct instance_settings *s) { s->n_checks = 0; }
static void m_notify(struct instance_settings *s) { strcpy(s->notify, "/bin/other.sh"); }
static void m_no_notify(struct instance_settings *s) { s->notify[0] = '\0'; }
static void m_garp_repeat(struct instance_settings *s) { s->garp_repeat = 3; }
static void m_garp_delay(struct instance_settings *s) { s->garp_delay_ms = 200; }
static void m_garp_refresh(struct instance_settings *s) { s->garp_refresh_s = 0; }
static void m_conflict_check(struct instance_settings *s) { s->conflict_check_s = 10; }
static void m_conflict_refuse(struct instance_settings *s)
{
	s->conflict_action = CONFLICT_REFUSE;
}
static void m_auth_pass(struct instance_settings *s) { strcpy(s->auth_pass, "secret1"); }

struct field_case {
	const char *what;
	mutate_fn mutate;
	enum reload_plan expected;
	const char *why;            /* reload_plan_why() */
};

static const struct field_case FIELD_CASES[] = {
	{ "name", m_name, RELOAD_RESTART, "name" },
	{ "vips[0].addr", m_vip_addr, RELOAD_RESTART, "vips" },
	{ "vips[0].prefix", m_vip_prefix, RELOAD_RESTART, "vips" },
	{ "n_vips", m_n_vips, RELOAD_RESTART, "vips" },
	{ "family", m_family, RELOAD_RESTART, "vips, family" },
	{ "interface", m_interface, RELOAD_RESTART, "interface" },
	{ "vrid", m_vrid, RELOAD_RESTART, "vrid" },
	{ "vrid_derived", m_vrid_derived, RELOAD_IN_PLACE, "vrid derived" },
	{ "priority", m_priority, RELOAD_IN_PLACE, "priority" },
	{ "advert_ms", m_advert_ms, RELOAD_IN_PLACE, "advert_ms" },
	{ "version", m_version, RELOAD_RESTART, "version" },
	{ "preempt", m_preempt, RELOAD_IN_PLACE, "preempt" },
	{ "preempt_delay_ms", m_preempt_delay, RELOAD_IN_PLACE, "preempt_delay_ms" },
	{ "peers[0] (pinned)", m_peer_addr, RELOAD_IN_PLACE, "peers" },
	{ "n_peers (pinned)", m_n_peers, RELOAD_IN_PLACE, "peers" },
	{ "peers_set: unpinned", m_unpin, RELOAD_REJOIN, "peers pinned" },
	{ "peers_set alone", m_unpin_keep_list, RELOAD_REJOIN, "peers pinned" },
	{ "mode auto -> unicast", m_mode_unicast, RELOAD_REJOIN, "mode" },
	{ "mode auto -> multicast", m_mode_multicast, RELOAD_REJOIN, "mode" },
	{ "checks[0].kind", m_check_kind, RELOAD_IN_PLACE, "checks" },
	{ "checks[0].port", m_check_port, RELOAD_IN_PLACE, "checks" },
	{ "checks[0].target", m_check_target, RELOAD_IN_PLACE, "checks" },
	{ "checks[0].interval_ms", m_check_interval, RELOAD_IN_PLACE, "checks" },
	{ "checks[0].timeout_ms", m_check_timeout, RELOAD_IN_PLACE, "checks" },
	{ "checks[0].rise", m_check_rise, RELOAD_IN_PLACE, "checks" },
	{ "checks[0].fall", m_check_fall, RELOAD_IN_PLACE, "checks" },
	{ "checks[0].weight", m_check_weight, RELOAD_IN_PLACE, "checks" },
	{ "n_checks", m_n_checks, RELOAD_IN_PLACE, "checks" },
	{ "notify", m_notify, RELOAD_IN_PLACE, "notify" },
	{ "notify removed", m_no_notify, RELOAD_IN_PLACE, "notify" },
	{ "garp_repeat", m_garp_repeat, RELOAD_IN_PLACE, "garp_repeat" },
	{ "garp_delay_ms", m_garp_delay, RELOAD_IN_PLACE, "garp_delay_ms" },
	{ "garp_refresh_s", m_garp_refresh, RELOAD_IN_PLACE, "garp_refresh_s" },
	{ "conflict_check_s", m_conflict_check, RELOAD_IN_PLACE, "conflict_check_s" },
	{ "conflict_action", m_conflict_refuse, RELOAD_IN_PLACE, "conflict_action" },
	{ "auth_pass", m_auth_pass, RELOAD_IN_PLACE, "auth_pass" },
};

/* Flipping one field, either way (running -> next and back), gives its plan, never "same". */
static void every_field_has_its_plan(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(FIELD_CASES) / sizeof(FIELD_CASES[0]); i++) {
		const struct field_case *c = &FIELD_CASES[i];
		struct instance_settings *running = base(), *next = base();
		char why[128];
		c->mutate(next);
		print_message("%-24s -> %s\n", c->what, reload_plan_name(c->expected));
		assert_int_not_equal(c->expected, RELOAD_SAME);
		assert_int_equal(reload_plan(running, next), c->expected);
		assert_int_equal(reload_plan(next, running), c->expected);
		assert_string_equal(reload_plan_why(running, next, why, sizeof(why)), c->why);
		free(running);
		free(next);
	}
}

static void identical_settings_are_the_same(void **state)
{
	(void)state;
	struct instance_settings *running = base(), *next = base();
	char why[64] = "junk";
	assert_int_equal(reload_plan(running, next), RELOAD_SAME);
	assert_string_equal(reload_plan_why(running, next, why, sizeof(why)), "");
	free(running);
	free(next);
}

/* Bytes past a string's end and array slots past the count are not settings. */
static void unused_bytes_are_not_a_change(void **state)
{
	(void)state;
	struct instance_settings *running = base(), *next = base();
	next->name[10] = 'x';
	next->interface[10] = 'x';
	next->notify[100] = 'x';
	next->auth_pass[3] = 'x';
	next->checks[0].target[5] = 'x';
	parse("10.0.0.200", &next->vips[1].addr);
	parse("10.0.0.201", &next->peers[1]);
	next->checks[1].port = 443;
	assert_int_equal(reload_plan(running, next), RELOAD_SAME);
	free(running);
	free(next);
}

/* Several fields: the heaviest plan wins, and the reason names only fields of that plan. */
static void heaviest_plan_wins(void **state)
{
	(void)state;
	struct instance_settings *running = base(), *next = base();
	char why[128];

	m_priority(next);
	m_mode_multicast(next);
	m_unpin(next);
	assert_int_equal(reload_plan(running, next), RELOAD_REJOIN);
	assert_string_equal(reload_plan_why(running, next, why, sizeof(why)), "peers pinned, mode");
	m_vrid(next);
	assert_int_equal(reload_plan(running, next), RELOAD_RESTART);
	assert_string_equal(reload_plan_why(running, next, why, sizeof(why)), "vrid");
	free(running);
	free(next);
}

/* A reason longer than the buffer is cut at a whole field, still a string. */
static void why_fits_its_buffer(void **state)
{
	(void)state;
	struct instance_settings *running = base(), *next = base();
	char why[13]; /* "peers pinned" and its end, not ", mode" */
	m_mode_unicast(next);
	m_unpin(next);
	assert_string_equal(reload_plan_why(running, next, why, sizeof(why)), "peers pinned");
	assert_string_equal(reload_plan_why(running, next, why, 5), "");
	free(running);
	free(next);
}

static void plan_names(void **state)
{
	(void)state;
	assert_string_equal(reload_plan_name(RELOAD_SAME), "same");
	assert_string_equal(reload_plan_name(RELOAD_IN_PLACE), "in place");
	assert_string_equal(reload_plan_name(RELOAD_REJOIN), "rejoin");
	assert_string_equal(reload_plan_name(RELOAD_RESTART), "restart");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_field_has_its_plan),
		cmocka_unit_test(identical_settings_are_the_same),
		cmocka_unit_test(unused_bytes_are_not_a_change),
		cmocka_unit_test(heaviest_plan_wins),
		cmocka_unit_test(why_fits_its_buffer),
		cmocka_unit_test(plan_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
