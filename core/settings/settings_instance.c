/* settings_instance.c — one instance's raw values into struct instance_settings: VIPs and
 * their family, version, VRID (given or derived), advert interval, interface, name, peers and
 * checks, each error naming the origin of the value that is wrong; then the rules across
 * instances (VRID per family and interface, unique names). */
#include "settings_values.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_PRIORITY 100
#define DEFAULT_ADVERT_MS 1000
#define DEFAULT_VERSION 3
#define DEFAULT_CHECK_INTERVAL_MS 1000
#define DEFAULT_CHECK_RISE 2
#define DEFAULT_CHECK_FALL 2
#define MAX_PREEMPT_DELAY_MS 3600000u
#define MIN_CHECK_MS 10u
#define MAX_CHECK_MS 3600000u
#define MAX_RISE_FALL 1000u
#define MAX_CHECK_WEIGHT 253u  /* priority 254 - 253 = 1, the lowest a backup can have */
#define MAX_GARP_REPEAT 100u
#define MAX_GARP_DELAY_MS 60000u
#define MAX_PERIOD_S 86400u    /* garp_refresh_s, conflict_check_s: a day */

static bool addr_is_unspecified(const struct ip_addr *addr)
{
	for (size_t i = 0; i < ip_addr_len(addr); i++)
		if (addr->bytes[i] != 0)
			return false;
	return true;
}

static const char *family_name(sa_family_t family)
{
	return family == AF_INET6 ? "IPv6" : "IPv4";
}

/* ---------------------------------------------------------------- lists */

typedef int (*token_fn)(struct errbuf *e, const struct raw_value *item, const char *token,
			void *arg);

/* Calls fn for every address in the list: items split on commas and blanks. */
static int for_each_token(struct errbuf *e, const struct raw_list *list, token_fn fn, void *arg)
{
	for (size_t i = 0; i < list->n; i++) {
		const char *p = list->items[i].text;
		while (*p != '\0') {
			char token[96];
			size_t len = strcspn(p, ", \t\r\n");
			if (len == 0) {
				p++;
				continue;
			}
			snprintf(token, sizeof(token), "%.*s", (int)len, p);
			int rc = fn(e, &list->items[i], token, arg);
			if (rc < 0)
				return rc;
			p += len;
		}
	}
	return 0;
}

/* A usable unicast address: not multicast, not unspecified. */
static int check_unicast(struct errbuf *e, const struct raw_value *item, const char *token,
			 const struct ip_addr *addr, const char *what)
{
	char q[QUOTE_LEN];

	if (ip_addr_is_multicast(addr))
		return settings_origin_error(e->buf, e->len, &item->at,
					     "%s is a multicast address, not a usable %s",
					     settings_quoted(token, q, sizeof(q)), what);
	if (addr_is_unspecified(addr))
		return settings_origin_error(e->buf, e->len, &item->at,
					     "%s is the unspecified address, not a usable %s",
					     settings_quoted(token, q, sizeof(q)), what);
	return 0;
}

struct vip_parse {
	struct instance_settings *inst;
	bool explicit_prefix[SETTINGS_MAX_VIPS];
	const struct raw_value *first;
};

static int add_vip(struct errbuf *e, const struct raw_value *item, const char *token, void *arg)
{
	struct vip_parse *vp = arg;
	struct instance_settings *inst = vp->inst;
	struct ip_addr addr;
	int prefix;
	char q[QUOTE_LEN];

	if (ip_addr_parse_prefix(token, &addr, &prefix) < 0 || prefix == 0)
		return settings_origin_error(e->buf, e->len, &item->at,
					     "%s is not an IPv4 or IPv6 address with an optional "
					     "/prefix",
					     settings_quoted(token, q, sizeof(q)));
	int rc = check_unicast(e, item, token, &addr, "VIP");
	if (rc < 0)
		return rc;
	if (inst->n_vips > 0 && addr.family != inst->family)
		return settings_origin_error(e->buf, e->len, &item->at,
					     "IPv4 and IPv6 VIPs go in separate instances");
	for (size_t i = 0; i < inst->n_vips; i++)
		if (ip_addr_equal(&inst->vips[i].addr, &addr))
			return settings_origin_error(e->buf, e->len, &item->at,
						     "%s is listed twice",
						     settings_quoted(token, q, sizeof(q)));
	if (inst->n_vips == SETTINGS_MAX_VIPS)
		return settings_origin_error(e->buf, e->len, &item->at,
					     "more than %d VIPs in one instance",
					     SETTINGS_MAX_VIPS);
	if (inst->n_vips == 0)
		vp->first = item;
	inst->family = addr.family;
	vp->explicit_prefix[inst->n_vips] = prefix >= 0;
	inst->vips[inst->n_vips].addr = addr;
	inst->vips[inst->n_vips].prefix = (uint8_t)(prefix >= 0 ? prefix : 0);
	inst->n_vips++;
	return 0;
}

static int add_peer(struct errbuf *e, const struct raw_value *item, const char *token, void *arg)
{
	struct instance_settings *inst = arg;
	struct ip_addr addr;
	char q[QUOTE_LEN];

	if (ip_addr_parse(token, &addr) < 0)
		return settings_origin_error(e->buf, e->len, &item->at,
					     "%s is not an IPv4 or IPv6 address",
					     settings_quoted(token, q, sizeof(q)));
	int rc = check_unicast(e, item, token, &addr, "peer");
	if (rc < 0)
		return rc;
	if (addr.family != inst->family)
		return settings_origin_error(e->buf, e->len, &item->at,
					     "%s is %s but the VIPs are %s: peers must be of the "
					     "VIPs' family",
					     settings_quoted(token, q, sizeof(q)),
					     family_name(addr.family), family_name(inst->family));
	for (size_t i = 0; i < inst->n_peers; i++)
		if (ip_addr_equal(&inst->peers[i], &addr))
			return 0; /* listed twice: harmless, kept once */
	if (inst->n_peers == SETTINGS_MAX_PEERS)
		return settings_origin_error(e->buf, e->len, &item->at,
					     "more than %d peers in one instance",
					     SETTINGS_MAX_PEERS);
	inst->peers[inst->n_peers++] = addr;
	return 0;
}

/* ---------------------------------------------------------------- instance */

uint8_t settings_derive_vrid(const struct ip_addr *vip)
{
	/* The VRID when none is set, so that every node given the same VIP agrees on it
	 * without being told: the last byte of the address (10.0.0.100 -> 100), or, when that
	 * byte is 0, the XOR of all its bytes, or, when that is 0 too, 1 (VRID 0 is not valid,
	 * RFC 5798 §5.2.3). */
	size_t len = ip_addr_len(vip);
	uint8_t vrid = len > 0 ? vip->bytes[len - 1] : 0;

	if (vrid == 0)
		for (size_t i = 0; i < len; i++)
			vrid ^= vip->bytes[i];
	return vrid != 0 ? vrid : 1;
}

/* Where an instance is, for errors not tied to one value. */
static const struct origin *instance_place(const struct raw_instance *ri)
{
	return ri->place.level != LEVEL_UNSET ? &ri->place : NULL;
}

static int resolve_vips(struct errbuf *e, const struct raw_instance *ri,
			struct instance_settings *inst, const struct raw_value **first)
{
	struct vip_parse vp = { .inst = inst };
	int rc = for_each_token(e, &ri->vips, add_vip, &vp);
	if (rc < 0)
		return rc;
	if (inst->n_vips == 0)
		return settings_origin_error(e->buf, e->len, instance_place(ri),
					     "no VIPs: set KEEPVIP_VIPS (or VIRTUAL_IP), or vips "
					     "in the YAML file");
	*first = vp.first;

	uint32_t max = inst->family == AF_INET6 ? 128 : 32, prefix = max;
	rc = settings_resolve_uint(e, &ri->values[SK_PREFIX], 1, max, max, &prefix);
	for (size_t i = 0; rc == 0 && i < inst->n_vips; i++)
		if (!vp.explicit_prefix[i])
			inst->vips[i].prefix = (uint8_t)prefix;
	return rc;
}

static int resolve_version(struct errbuf *e, const struct raw_instance *ri,
			   struct instance_settings *inst)
{
	const struct raw_value *v = &ri->values[SK_VERSION];
	unsigned long long version = DEFAULT_VERSION;

	if (v->at.level != LEVEL_UNSET &&
	    (!settings_parse_number(v->text, &version) || (version != 2 && version != 3)))
		return settings_value_error(e, v, "2 or 3");
	inst->version = (uint8_t)version;
	/* RFC 3768 (VRRPv2) is IPv4 only; RFC 5798 §1 brings IPv6. */
	if (inst->version == 2 && inst->family == AF_INET6)
		return settings_origin_error(e->buf, e->len, &v->at,
					     "IPv6 VIPs need VRRP version 3 (version 2 is IPv4 "
					     "only)");
	return 0;
}

static int resolve_vrid(struct errbuf *e, const struct raw_instance *ri,
			struct instance_settings *inst)
{
	if (ri->values[SK_VRID].at.level == LEVEL_UNSET) {
		inst->vrid = settings_derive_vrid(&inst->vips[0].addr);
		inst->vrid_derived = true;
		return 0;
	}
	return settings_resolve_u8(e, &ri->values[SK_VRID], 1, 255, 0, &inst->vrid);
}

/* RFC 5798 §5.2.7: Max Advertise Interval, 12 bits of centiseconds (10..40950 ms);
 * RFC 3768 §5.3.7: Advertisement Interval, 8 bits of seconds (1000..255000 ms). */
static int resolve_advert(struct errbuf *e, const struct raw_instance *ri,
			  struct instance_settings *inst)
{
	const struct raw_value *v = &ri->values[SK_ADVERT_MS];
	unsigned long long ms;
	bool v3 = inst->version == 3;
	unsigned step = v3 ? 10 : 1000, min = v3 ? 10 : 1000, max = v3 ? 40950 : 255000;

	inst->advert_ms = DEFAULT_ADVERT_MS;
	if (v->at.level == LEVEL_UNSET)
		return 0;
	if (!settings_parse_number(v->text, &ms) || ms < min || ms > max || ms % step != 0) {
		if (v3)
			return settings_value_error(e, v, "a multiple of 10 between 10 and 40950");
		return settings_value_error(e, v, "whole seconds between 1000 and 255000 (VRRP "
					    "version 2)");
	}
	inst->advert_ms = (uint32_t)ms;
	return 0;
}

static int resolve_interface(struct errbuf *e, const struct raw_instance *ri,
			     struct instance_settings *inst)
{
	const struct raw_value *v = &ri->values[SK_INTERFACE];

	inst->interface[0] = '\0';
	if (v->at.level == LEVEL_UNSET || strcasecmp(v->text, "auto") == 0)
		return 0;
	if (!settings_valid_ifname(v->text))
		return settings_value_error(e, v,
					    "\"auto\" or an interface name (1 to 15 characters, no "
					    "'/', ':' or blank)");
	snprintf(inst->interface, sizeof(inst->interface), "%s", v->text);
	return 0;
}

static bool valid_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}

static int resolve_name(struct errbuf *e, const struct raw_instance *ri,
			struct instance_settings *inst)
{
	const struct raw_value *v = &ri->values[SK_NAME];

	if (v->at.level == LEVEL_UNSET) {
		snprintf(inst->name, sizeof(inst->name), "VI_%u", inst->vrid);
		return 0;
	}
	size_t len = strlen(v->text);
	bool ok = len > 0 && len < sizeof(inst->name);
	for (size_t i = 0; ok && i < len; i++)
		ok = valid_name_char(v->text[i]);
	if (!ok)
		return settings_value_error(e, v,
					    "a name of 1 to 63 letters, digits, '_', '-' or '.'");
	snprintf(inst->name, sizeof(inst->name), "%s", v->text);
	return 0;
}

/* keepalived's auth_pass: VRRPv2 only (RFC 5798 §9: v3 dropped authentication), at most 8
 * bytes (RFC 3768 §5.3.10). A secret: no error shows the value. */
static int resolve_auth_pass(struct errbuf *e, const struct raw_instance *ri,
			     struct instance_settings *inst)
{
	const struct raw_value *v = &ri->values[SK_AUTH_PASS];

	inst->auth_pass[0] = '\0';
	if (v->at.level == LEVEL_UNSET)
		return 0;
	if (inst->version != 2)
		return settings_origin_error(e->buf, e->len, &v->at,
					     "a password needs VRRP version 2 (version %u has no "
					     "authentication, RFC 5798 §9): set version 2 or drop it",
					     inst->version);
	if (strlen(v->text) > SETTINGS_AUTH_PASS_MAX)
		return settings_origin_error(e->buf, e->len, &v->at,
					     "must be at most %d characters (value not shown: a "
					     "secret)",
					     SETTINGS_AUTH_PASS_MAX);
	snprintf(inst->auth_pass, sizeof(inst->auth_pass), "%s", v->text);
	return 0;
}

static int resolve_peers(struct errbuf *e, const struct raw_instance *ri,
			 struct instance_settings *inst)
{
	int rc = for_each_token(e, &ri->peers, add_peer, inst);
	inst->peers_set = inst->n_peers > 0;
	return rc;
}

/* ---------------------------------------------------------------- checks */

static int resolve_check_target(struct errbuf *e, const struct raw_check *rc,
				struct check_settings *check)
{
	const struct raw_value *v = &rc->target;
	uint32_t port = 0;
	int err;

	check->kind = rc->kind;
	switch (rc->kind) {
	case CHECK_TCP:
		err = settings_resolve_uint(e, v, 1, 65535, 0, &port);
		check->port = (uint16_t)port;
		return err;
	case CHECK_HTTP:
		if (strlen(v->text) >= sizeof(check->target) || !settings_valid_url(v->text))
			return settings_value_error(e, v,
						    "an http:// or https:// URL (at most %zu "
						    "characters)",
						    sizeof(check->target) - 1);
		return settings_resolve_text(e, v, check->target, sizeof(check->target));
	case CHECK_SCRIPT:
		return settings_resolve_text(e, v, check->target, sizeof(check->target));
	case CHECK_KIND_COUNT:
		break;
	}
	return settings_value_error(e, v, "a check");
}

/* A tuning value: the check's own, unless the instance-wide one (a lookup) outranks it. */
static const struct raw_value *tuning_value(const struct raw_instance *ri,
					    const struct raw_check *rc, enum check_tuning t)
{
	const struct raw_value *wide = &ri->values[check_tuning_key[t]];
	return rc->tuning[t].at.level >= wide->at.level ? &rc->tuning[t] : wide;
}

static int resolve_check(struct errbuf *e, const struct raw_instance *ri,
			 const struct raw_check *rc, struct check_settings *check)
{
	int err = resolve_check_target(e, rc, check);
	if (err == 0)
		err = settings_resolve_uint(e, tuning_value(ri, rc, TUNE_INTERVAL_MS),
					    MIN_CHECK_MS, MAX_CHECK_MS, DEFAULT_CHECK_INTERVAL_MS,
					    &check->interval_ms);
	if (err == 0)
		err = settings_resolve_uint(e, tuning_value(ri, rc, TUNE_TIMEOUT_MS),
					    MIN_CHECK_MS, MAX_CHECK_MS, check->interval_ms,
					    &check->timeout_ms);
	if (err == 0)
		err = settings_resolve_uint(e, tuning_value(ri, rc, TUNE_RISE), 1, MAX_RISE_FALL,
					    DEFAULT_CHECK_RISE, &check->rise);
	if (err == 0)
		err = settings_resolve_uint(e, tuning_value(ri, rc, TUNE_FALL), 1, MAX_RISE_FALL,
					    DEFAULT_CHECK_FALL, &check->fall);
	if (err == 0)
		err = settings_resolve_uint(e, tuning_value(ri, rc, TUNE_WEIGHT), 0,
					    MAX_CHECK_WEIGHT, 0, &check->weight);
	return err;
}

/* The checks come from one source: the lookups' check targets (KEEPVIP_CHECK_PORT/URL/
 * SCRIPT) when they outrank the file's checks list, else the file's list. */
static size_t pick_checks(const struct raw_instance *ri, struct raw_check *picked)
{
	enum origin_level from_lookup = LEVEL_UNSET;
	size_t n = 0;

	for (unsigned kind = 0; kind < CHECK_KIND_COUNT; kind++) {
		enum origin_level level = ri->values[setting_key_of_check(kind)].at.level;
		if (level > from_lookup)
			from_lookup = level;
	}
	if (from_lookup <= ri->checks_at.level) {
		memcpy(picked, ri->checks, ri->n_checks * sizeof(*picked));
		return ri->n_checks;
	}
	for (unsigned kind = 0; kind < CHECK_KIND_COUNT; kind++) {
		const struct raw_value *v = &ri->values[setting_key_of_check(kind)];
		if (v->at.level == LEVEL_UNSET)
			continue;
		picked[n] = (struct raw_check){ .kind = (enum check_kind)kind, .target = *v };
		n++;
	}
	return n;
}

static int resolve_checks(struct errbuf *e, const struct raw_instance *ri,
			  struct instance_settings *inst)
{
	struct raw_check picked[SETTINGS_MAX_CHECKS];

	inst->n_checks = pick_checks(ri, picked);
	for (size_t i = 0; i < inst->n_checks; i++) {
		int rc = resolve_check(e, ri, &picked[i], &inst->checks[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The announce burst and refresh (keepalived's garp_master_*), and the address-conflict
 * probes. */
static int resolve_guards(struct errbuf *e, const struct raw_instance *ri,
			  struct instance_settings *inst)
{
	int action = CONFLICT_WARN;
	int rc = settings_resolve_uint(e, &ri->values[SK_GARP_REPEAT], 1, MAX_GARP_REPEAT,
				       SETTINGS_DEFAULT_GARP_REPEAT, &inst->garp_repeat);
	if (rc == 0)
		rc = settings_resolve_uint(e, &ri->values[SK_GARP_DELAY_MS], 0, MAX_GARP_DELAY_MS,
					   SETTINGS_DEFAULT_GARP_DELAY_MS, &inst->garp_delay_ms);
	if (rc == 0)
		rc = settings_resolve_uint(e, &ri->values[SK_GARP_REFRESH_S], 0, MAX_PERIOD_S,
					   SETTINGS_DEFAULT_GARP_REFRESH_S, &inst->garp_refresh_s);
	if (rc == 0)
		rc = settings_resolve_uint(e, &ri->values[SK_CONFLICT_CHECK_S], 0, MAX_PERIOD_S,
					   SETTINGS_DEFAULT_CONFLICT_CHECK_S,
					   &inst->conflict_check_s);
	if (rc == 0)
		rc = settings_resolve_choice(e, &ri->values[SK_CONFLICT_ACTION],
					     settings_conflict_action_names,
					     COUNT_OF(settings_conflict_action_names),
					     "warn or refuse", CONFLICT_WARN, &action);
	inst->conflict_action = (enum conflict_action)action;
	return rc;
}

int settings_resolve_instance(struct errbuf *e, const struct raw_instance *ri,
			      struct instance_settings *inst)
{
	const struct raw_value *first_vip = NULL;
	int mode = VRRP_MODE_AUTO;
	int rc = resolve_vips(e, ri, inst, &first_vip);

	if (rc == 0)
		rc = resolve_version(e, ri, inst);
	if (rc == 0)
		rc = resolve_vrid(e, ri, inst);
	if (rc == 0)
		rc = settings_resolve_u8(e, &ri->values[SK_PRIORITY], 1, 254, DEFAULT_PRIORITY,
					 &inst->priority);
	if (rc == 0)
		rc = resolve_advert(e, ri, inst);
	if (rc == 0)
		rc = settings_resolve_bool(e, &ri->values[SK_PREEMPT], true, &inst->preempt);
	if (rc == 0)
		rc = settings_resolve_uint(e, &ri->values[SK_PREEMPT_DELAY_MS], 0,
					   MAX_PREEMPT_DELAY_MS, 0, &inst->preempt_delay_ms);
	if (rc == 0)
		rc = resolve_interface(e, ri, inst);
	if (rc == 0)
		rc = settings_resolve_choice(e, &ri->values[SK_MODE], settings_mode_names,
					     COUNT_OF(settings_mode_names),
					     "one of auto, unicast, multicast", VRRP_MODE_AUTO, &mode);
	inst->mode = (enum vrrp_mode)mode;
	if (rc == 0)
		rc = resolve_peers(e, ri, inst);
	if (rc == 0)
		rc = resolve_checks(e, ri, inst);
	if (rc == 0)
		rc = settings_resolve_text(e, &ri->values[SK_NOTIFY], inst->notify,
					   sizeof(inst->notify));
	if (rc == 0)
		rc = resolve_name(e, ri, inst);
	if (rc == 0)
		rc = resolve_guards(e, ri, inst);
	if (rc == 0)
		rc = resolve_auth_pass(e, ri, inst);
	return rc;
}

/* Where an instance's VRID came from: its vrid value, or the VIP it was derived from. */
static const struct origin *vrid_origin(const struct raw_instance *ri,
					const struct instance_settings *inst)
{
	if (!inst->vrid_derived)
		return &ri->values[SK_VRID].at;
	return ri->vips.n > 0 ? &ri->vips.items[0].at : instance_place(ri);
}

/* Two virtual routers with one VRID on one link and family would be one router
 * (RFC 5798 §5.2.3: the VRID identifies the router on the LAN). */
static int check_vrid_clash(struct errbuf *e, const struct raw_settings *raw,
			    const struct settings *s, size_t j)
{
	const struct instance_settings *b = &s->instances[j];
	char vip[IP_ADDR_STRLEN];

	for (size_t i = 0; i < j; i++) {
		const struct instance_settings *a = &s->instances[i];
		if (a->vrid != b->vrid || a->family != b->family ||
		    strcmp(a->interface, b->interface) != 0)
			continue;
		return settings_origin_error(
			e->buf, e->len, vrid_origin(&raw->instances[j], b),
			"VRID %u%s%s%s is already used by instance \"%s\" (%s, interface %s)%s",
			b->vrid, b->vrid_derived ? " (derived from " : "",
			b->vrid_derived ? ip_addr_str(&b->vips[0].addr, vip) : "",
			b->vrid_derived ? ")" : "", a->name, family_name(a->family),
			a->interface[0] ? a->interface : "auto",
			b->vrid_derived ? ": set vrid" : "");
	}
	return 0;
}

static int check_name_clash(struct errbuf *e, const struct raw_settings *raw,
			    const struct settings *s, size_t j)
{
	const struct raw_instance *ri = &raw->instances[j];
	const struct origin *at = ri->values[SK_NAME].at.level != LEVEL_UNSET ?
					  &ri->values[SK_NAME].at :
					  instance_place(ri);

	for (size_t i = 0; i < j; i++)
		if (strcmp(s->instances[i].name, s->instances[j].name) == 0)
			return settings_origin_error(e->buf, e->len, at,
						     "two instances are named \"%s\": give each "
						     "its own name",
						     s->instances[j].name);
	return 0;
}
int settings_check_across(struct errbuf *e, const struct raw_settings *raw,
			  const struct settings *s, size_t j)
{
	int rc = check_vrid_clash(e, raw, s, j);
	return rc == 0 ? check_name_clash(e, raw, s, j) : rc;
}
