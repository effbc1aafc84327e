/* reload_plan.c — one row per field of struct instance_settings: how to tell it changed, and
 * what a change takes (reload_plan.h). */
#include "reload_plan.h"

#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A new field in struct instance_settings needs a row in FIELDS below (and in the table of
 * tests/unit/test_reload_plan.c, whose positional initializer stops compiling); then update
 * this size. Checked where the layout is known (LP64: x86_64, aarch64). */
#if defined(__x86_64__) || defined(__aarch64__)
static_assert(sizeof(struct instance_settings) == 7048,
	      "struct instance_settings changed: give the new field its reload plan");
#endif

typedef const struct instance_settings cfg_t;

struct field_rule {
	const char *name;      /* as in the log and the YAML key where there is one */
	enum reload_plan plan;
	bool (*differs)(cfg_t *a, cfg_t *b);
};

static bool vip_equal(const struct vip *a, const struct vip *b)
{
	return ip_addr_equal(&a->addr, &b->addr) && a->prefix == b->prefix;
}

/* Compared as text: the bytes after a string's end are not part of it. */
static bool check_equal(const struct check_settings *a, const struct check_settings *b)
{
	return a->kind == b->kind && a->port == b->port && strcmp(a->target, b->target) == 0 &&
	       a->interval_ms == b->interval_ms && a->timeout_ms == b->timeout_ms &&
	       a->rise == b->rise && a->fall == b->fall && a->weight == b->weight;
}

static bool name_differs(cfg_t *a, cfg_t *b) { return strcmp(a->name, b->name) != 0; }
static bool family_differs(cfg_t *a, cfg_t *b) { return a->family != b->family; }
static bool vrid_differs(cfg_t *a, cfg_t *b) { return a->vrid != b->vrid; }
static bool version_differs(cfg_t *a, cfg_t *b) { return a->version != b->version; }
static bool mode_differs(cfg_t *a, cfg_t *b) { return a->mode != b->mode; }
static bool peers_set_differs(cfg_t *a, cfg_t *b) { return a->peers_set != b->peers_set; }
static bool priority_differs(cfg_t *a, cfg_t *b) { return a->priority != b->priority; }
static bool advert_differs(cfg_t *a, cfg_t *b) { return a->advert_ms != b->advert_ms; }
static bool preempt_differs(cfg_t *a, cfg_t *b) { return a->preempt != b->preempt; }
static bool notify_differs(cfg_t *a, cfg_t *b) { return strcmp(a->notify, b->notify) != 0; }
static bool garp_repeat_differs(cfg_t *a, cfg_t *b) { return a->garp_repeat != b->garp_repeat; }

static bool garp_delay_differs(cfg_t *a, cfg_t *b)
{
	return a->garp_delay_ms != b->garp_delay_ms;
}

static bool garp_refresh_differs(cfg_t *a, cfg_t *b)
{
	return a->garp_refresh_s != b->garp_refresh_s;
}

static bool conflict_check_differs(cfg_t *a, cfg_t *b)
{
	return a->conflict_check_s != b->conflict_check_s;
}

static bool conflict_action_differs(cfg_t *a, cfg_t *b)
{
	return a->conflict_action != b->conflict_action;
}

static bool auth_pass_differs(cfg_t *a, cfg_t *b)
{
	return strcmp(a->auth_pass, b->auth_pass) != 0;
}

static bool interface_differs(cfg_t *a, cfg_t *b)
{
	return strcmp(a->interface, b->interface) != 0;
}

static bool vrid_derived_differs(cfg_t *a, cfg_t *b)
{
	return a->vrid_derived != b->vrid_derived;
}

static bool preempt_delay_differs(cfg_t *a, cfg_t *b)
{
	return a->preempt_delay_ms != b->preempt_delay_ms;
}

static bool vips_differ(cfg_t *a, cfg_t *b)
{
	if (a->n_vips != b->n_vips)
		return true;
	for (size_t i = 0; i < a->n_vips; i++)
		if (!vip_equal(&a->vips[i], &b->vips[i]))
			return true;
	return false;
}

static bool peers_differ(cfg_t *a, cfg_t *b)
{
	if (a->n_peers != b->n_peers)
		return true;
	for (size_t i = 0; i < a->n_peers; i++)
		if (!ip_addr_equal(&a->peers[i], &b->peers[i]))
			return true;
	return false;
}

static bool checks_differ(cfg_t *a, cfg_t *b)
{
	if (a->n_checks != b->n_checks)
		return true;
	for (size_t i = 0; i < a->n_checks; i++)
		if (!check_equal(&a->checks[i], &b->checks[i]))
			return true;
	return false;
}

/* Every field of struct instance_settings, in its order (arrays with their counts). */
static const struct field_rule FIELDS[] = {
	{ "name", RELOAD_RESTART, name_differs },           /* logs, notify, checks, /status */
	{ "vips", RELOAD_RESTART, vips_differ },            /* vips, n_vips */
	{ "family", RELOAD_RESTART, family_differs },       /* sockets, group, sources */
	{ "interface", RELOAD_RESTART, interface_differs },
	{ "vrid", RELOAD_RESTART, vrid_differs },
	{ "vrid derived", RELOAD_IN_PLACE, vrid_derived_differs }, /* logged at start only */
	{ "priority", RELOAD_IN_PLACE, priority_differs },
	{ "advert_ms", RELOAD_IN_PLACE, advert_differs },
	{ "version", RELOAD_RESTART, version_differs },     /* the fsm keeps its version */
	{ "preempt", RELOAD_IN_PLACE, preempt_differs },
	{ "preempt_delay_ms", RELOAD_IN_PLACE, preempt_delay_differs },
	{ "peers", RELOAD_IN_PLACE, peers_differ },         /* peers, n_peers: next advert */
	{ "peers pinned", RELOAD_REJOIN, peers_set_differs },
	{ "mode", RELOAD_REJOIN, mode_differs },
	{ "checks", RELOAD_IN_PLACE, checks_differ },       /* checks, n_checks: new runner */
	{ "notify", RELOAD_IN_PLACE, notify_differs },
	{ "garp_repeat", RELOAD_IN_PLACE, garp_repeat_differs },       /* the next burst */
	{ "garp_delay_ms", RELOAD_IN_PLACE, garp_delay_differs },      /* the next burst */
	{ "garp_refresh_s", RELOAD_IN_PLACE, garp_refresh_differs },   /* timer re-armed */
	{ "conflict_check_s", RELOAD_IN_PLACE, conflict_check_differs }, /* timer re-armed */
	{ "conflict_action", RELOAD_IN_PLACE, conflict_action_differs }, /* judged at once */
	/* the next advert carries the new password and the next one received is checked against
	 * it, as keepalived's reload does: the state is kept (a group whose members disagree
	 * drops each other's adverts until they agree, the operator's doing) */
	{ "auth_pass", RELOAD_IN_PLACE, auth_pass_differs },
};

enum reload_plan reload_plan(cfg_t *running, cfg_t *next)
{
	enum reload_plan plan = RELOAD_SAME;
	for (size_t i = 0; i < sizeof(FIELDS) / sizeof(FIELDS[0]); i++)
		if (FIELDS[i].plan > plan && FIELDS[i].differs(running, next))
			plan = FIELDS[i].plan;
	return plan;
}

const char *reload_plan_name(enum reload_plan plan)
{
	static const char *const names[] = {
		[RELOAD_SAME] = "same",
		[RELOAD_IN_PLACE] = "in place",
		[RELOAD_REJOIN] = "rejoin",
		[RELOAD_RESTART] = "restart",
	};
	return (unsigned)plan < sizeof(names) / sizeof(names[0]) ? names[plan] : "?";
}

const char *reload_plan_why(cfg_t *running, cfg_t *next, char *buf, size_t len)
{
	enum reload_plan plan = reload_plan(running, next);
	size_t used = 0;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; plan != RELOAD_SAME && i < sizeof(FIELDS) / sizeof(FIELDS[0]); i++) {
		if (FIELDS[i].plan != plan || !FIELDS[i].differs(running, next))
			continue;
		int n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", FIELDS[i].name);
		if (n < 0 || (size_t)n >= len - used) {
			buf[used] = '\0'; /* cut at a whole field */
			break;
		}
		used += (size_t)n;
	}
	return buf;
}
