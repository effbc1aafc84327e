/* settings.c — settings sources, precedence and validation (DESIGN.md "Settings").
 *
 * Three steps, in this order, on raw text that keeps its origin (settings_yaml.h):
 *   gather:   the YAML file (settings_yaml.c), then the flat lookups — adapter, env, flags —
 *             each value stored at its source's level; a value replaces one of a lower or
 *             equal level only, so precedence is flag > env > YAML > adapter > default;
 *   resolve:  every value parsed and range-checked, defaults filled, each error naming the
 *             origin of the value that is wrong;
 *   check:    rules across instances (VRID per family and interface, unique names).
 * Nothing is returned half-done: settings_load fills *out completely or fails. */
#include "settings.h"
#include "settings_yaml.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const struct setting_key_info settings_key_info[SK_COUNT] = {
	[SK_VIPS] = { "KEEPVIP_VIPS", "VIRTUAL_IP", "vips", SCOPE_INSTANCE, true, true },
	[SK_PREFIX] = { "KEEPVIP_PREFIX", "NETMASK_BIT", "prefix", SCOPE_INSTANCE, false, false },
	[SK_INTERFACE] = { "KEEPVIP_INTERFACE", "INTERFACE", "interface", SCOPE_INSTANCE, false,
			   false },
	[SK_VRID] = { "KEEPVIP_VRID", "VRID", "vrid", SCOPE_INSTANCE, true, false },
	[SK_PRIORITY] = { "KEEPVIP_PRIORITY", NULL, "priority", SCOPE_INSTANCE, false, false },
	[SK_ADVERT_MS] = { "KEEPVIP_ADVERT_MS", NULL, "advert_ms", SCOPE_INSTANCE, false, false },
	[SK_VERSION] = { "KEEPVIP_VRRP_VERSION", NULL, "version", SCOPE_INSTANCE, false, false },
	[SK_PREEMPT] = { "KEEPVIP_PREEMPT", NULL, "preempt", SCOPE_INSTANCE, false, false },
	[SK_PREEMPT_DELAY_MS] = { "KEEPVIP_PREEMPT_DELAY_MS", NULL, "preempt_delay_ms",
				  SCOPE_INSTANCE, false, false },
	[SK_PEERS] = { "KEEPVIP_PEERS", NULL, "peers", SCOPE_INSTANCE, false, true },
	[SK_MODE] = { "KEEPVIP_MODE", NULL, "mode", SCOPE_INSTANCE, false, false },
	[SK_CHECK_PORT] = { "KEEPVIP_CHECK_PORT", "CHECK_PORT", "tcp", SCOPE_CHECK, false, false },
	[SK_CHECK_URL] = { "KEEPVIP_CHECK_URL", NULL, "http", SCOPE_CHECK, false, false },
	[SK_CHECK_SCRIPT] = { "KEEPVIP_CHECK_SCRIPT", NULL, "script", SCOPE_CHECK, false, false },
	[SK_CHECK_INTERVAL_MS] = { "KEEPVIP_CHECK_INTERVAL_MS", NULL, "interval_ms", SCOPE_CHECK,
				   false, false },
	[SK_CHECK_TIMEOUT_MS] = { "KEEPVIP_CHECK_TIMEOUT_MS", NULL, "timeout_ms", SCOPE_CHECK,
				  false, false },
	[SK_CHECK_RISE] = { "KEEPVIP_CHECK_RISE", NULL, "rise", SCOPE_CHECK, false, false },
	[SK_CHECK_FALL] = { "KEEPVIP_CHECK_FALL", NULL, "fall", SCOPE_CHECK, false, false },
	[SK_CHECK_WEIGHT] = { "KEEPVIP_CHECK_WEIGHT", NULL, "weight", SCOPE_CHECK, false, false },
	[SK_NOTIFY] = { "KEEPVIP_NOTIFY", NULL, "notify", SCOPE_INSTANCE, false, false },
	[SK_NAME] = { "KEEPVIP_INSTANCE_NAME", NULL, "name", SCOPE_INSTANCE, true, false },
	[SK_ORCHESTRATOR] = { "KEEPVIP_ORCHESTRATOR", NULL, "orchestrator", SCOPE_GLOBAL, false,
			      false },
	[SK_STATUS_ADDR] = { "KEEPVIP_STATUS_ADDR", NULL, "status_addr", SCOPE_GLOBAL, false,
			     false },
	[SK_LOG_FORMAT] = { "KEEPVIP_LOG_FORMAT", NULL, "log_format", SCOPE_GLOBAL, false, false },
	[SK_LOG_LEVEL] = { "KEEPVIP_LOG_LEVEL", NULL, "log_level", SCOPE_GLOBAL, false, false },
	[SK_PEERS_FILE] = { "KEEPVIP_PEERS_FILE", NULL, "peers_file", SCOPE_GLOBAL, false, false },
};

const enum setting_key check_tuning_key[TUNE_COUNT] = {
	[TUNE_INTERVAL_MS] = SK_CHECK_INTERVAL_MS,
	[TUNE_TIMEOUT_MS] = SK_CHECK_TIMEOUT_MS,
	[TUNE_RISE] = SK_CHECK_RISE,
	[TUNE_FALL] = SK_CHECK_FALL,
	[TUNE_WEIGHT] = SK_CHECK_WEIGHT,
};

#define DEFAULT_PRIORITY 100
#define DEFAULT_ADVERT_MS 1000
#define DEFAULT_VERSION 3
#define DEFAULT_STATUS_ADDR "127.0.0.1:9650"
#define DEFAULT_CHECK_INTERVAL_MS 1000
#define DEFAULT_CHECK_RISE 2
#define DEFAULT_CHECK_FALL 2
#define MAX_PREEMPT_DELAY_MS 3600000u
#define MIN_CHECK_MS 10u
#define MAX_CHECK_MS 3600000u
#define MAX_RISE_FALL 1000u
#define MAX_CHECK_WEIGHT 253u  /* priority 254 - 253 = 1, the lowest a backup can have */
#define QUOTE_LEN 96

static const char *const mode_names[] = {
	[VRRP_MODE_AUTO] = "auto",
	[VRRP_MODE_UNICAST] = "unicast",
	[VRRP_MODE_MULTICAST] = "multicast",
};
static const char *const log_format_names[] = {
	[LOG_FORMAT_TEXT] = "text",
	[LOG_FORMAT_JSON] = "json",
};
static const char *const log_level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};
static const char *const orchestrator_names[] = {
	"auto", "static", "rancher", "kubernetes", "swarm", "marathon",
};
static const char *const check_kind_names[] = {
	[CHECK_TCP] = "tcp",
	[CHECK_HTTP] = "http",
	[CHECK_SCRIPT] = "script",
};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

struct errbuf {
	char *buf;
	size_t len;
};

/* ---------------------------------------------------------------- messages */

int settings_origin_error(char *err, size_t err_len, const struct origin *at, const char *fmt,
			  ...)
{
	int used = 0;
	va_list ap;

	if (err == NULL || err_len == 0)
		return -EINVAL;
	err[0] = '\0';
	if (at != NULL && at->level == LEVEL_YAML)
		used = snprintf(err, err_len, "%s:%lu:%lu: %s%s", at->source, at->line, at->col,
				at->name ? at->name : "", at->name ? ": " : "");
	else if (at != NULL && at->level != LEVEL_UNSET)
		used = snprintf(err, err_len, "%s %s: ", at->source, at->name);
	if (used < 0 || (size_t)used >= err_len)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + used, err_len - (size_t)used, fmt, ap);
	va_end(ap);
	/* one line whatever a file's key names hold */
	for (char *p = err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -EINVAL;
}

/* The value in double quotes, non-printable bytes as \xNN, cut with "..." when long. */
static const char *quoted(const char *text, char *buf, size_t len)
{
	size_t out = 0;

	buf[out++] = '"';
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if (out + 8 >= len) {
			memcpy(buf + out, "...", 3);
			out += 3;
			break;
		}
		if (isprint(*p) && *p != '"' && *p != '\\')
			buf[out++] = (char)*p;
		else
			out += (size_t)snprintf(buf + out, len - out, "\\x%02x", *p);
	}
	buf[out++] = '"';
	buf[out] = '\0';
	return buf;
}

/* A value that is not what it must be. The predicate reads after "is not" / "must be":
 *   env KEEPVIP_VRID: "300" is not between 1 and 255
 *   /etc/keepvip.yml:12:7: advert_ms: must be a multiple of 10 between 10 and 40950 */
static int value_error(struct errbuf *e, const struct raw_value *v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int value_error(struct errbuf *e, const struct raw_value *v, const char *fmt, ...)
{
	char predicate[192], q[QUOTE_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(predicate, sizeof(predicate), fmt, ap);
	va_end(ap);
	if (v->at.level == LEVEL_YAML)
		return settings_origin_error(e->buf, e->len, &v->at, "must be %s", predicate);
	return settings_origin_error(e->buf, e->len, &v->at, "%s is not %s",
				     quoted(v->text, q, sizeof(q)), predicate);
}

/* ---------------------------------------------------------------- gather */

static const char *source_name(const struct settings_source *src, const char *fallback)
{
	return src->name != NULL && src->name[0] != '\0' ? src->name : fallback;
}

static bool is_blank(const char *text)
{
	for (; *text != '\0'; text++)
		if (!isspace((unsigned char)*text))
			return false;
	return true;
}

/* The value under the KEEPVIP_ name, else under the alias; an empty value counts as unset
 * (a catalog form left blank). *name_used says which name answered. */
static const char *lookup_key(const struct settings_source *src,
			      const struct setting_key_info *info, const char **name_used)
{
	const char *names[2] = { info->env, info->alias };

	for (size_t i = 0; i < COUNT_OF(names); i++) {
		if (names[i] == NULL)
			continue;
		const char *value = src->lookup(names[i], src->ctx);
		if (value != NULL && !is_blank(value)) {
			*name_used = names[i];
			return value;
		}
	}
	return NULL;
}

static enum origin_level list_level(const struct raw_list *list)
{
	return list->n > 0 ? list->items[0].at.level : LEVEL_UNSET;
}

static void put_value(struct raw_value *slot, const struct raw_value *value)
{
	if (value->at.level >= slot->at.level)
		*slot = *value;
}

static void put_list(struct raw_list *list, const struct raw_value *value)
{
	if (value->at.level >= list_level(list)) {
		list->items[0] = *value;
		list->n = 1;
	}
}

static void put_instance_value(struct raw_instance *inst, enum setting_key key,
			       const struct raw_value *value)
{
	if (key == SK_VIPS)
		put_list(&inst->vips, value);
	else if (key == SK_PEERS)
		put_list(&inst->peers, value);
	else
		put_value(&inst->values[key], value);
}

/* Env (and flags) describe one instance: a key naming one instance cannot apply to every
 * instance of a multi-instance file. An adapter's such value is simply not used there. */
static int check_one_instance(struct errbuf *e, const struct raw_settings *raw,
			      enum setting_key key, const struct raw_value *value, bool *skip)
{
	*skip = false;
	if (!settings_key_info[key].one_instance || raw->n_yaml_instances <= 1)
		return 0;
	if (value->at.level == LEVEL_ADAPTER) {
		*skip = true;
		return 0;
	}
	return settings_origin_error(e->buf, e->len, &value->at,
				     "names one instance, but %s holds %zu instances: set %s in "
				     "each entry of instances instead",
				     raw->yaml_path, raw->n_yaml_instances,
				     settings_key_info[key].yaml);
}

static int apply_lookup(struct errbuf *e, struct raw_settings *raw,
			const struct settings_source *src, enum origin_level level,
			const char *fallback_name)
{
	if (src->lookup == NULL)
		return 0;
	for (int key = 0; key < SK_COUNT; key++) {
		const struct setting_key_info *info = &settings_key_info[key];
		struct raw_value value = { .at = { .level = level,
						   .source = source_name(src, fallback_name) } };
		bool skip;

		value.text = lookup_key(src, info, &value.at.name);
		if (value.text == NULL)
			continue;
		if (info->scope == SCOPE_GLOBAL) {
			put_value(&raw->globals[key], &value);
			continue;
		}
		int rc = check_one_instance(e, raw, (enum setting_key)key, &value, &skip);
		if (rc < 0)
			return rc;
		for (size_t i = 0; !skip && i < raw->n_instances; i++)
			put_instance_value(&raw->instances[i], (enum setting_key)key, &value);
	}
	return 0;
}

static int gather(const struct settings_inputs *in, struct raw_settings *raw, struct errbuf *e)
{
	int rc = 0;

	if (in->yaml_text != NULL) {
		const char *path = in->yaml_path ? in->yaml_path : "settings file";
		rc = settings_yaml_read(in->yaml_text, in->yaml_len, path, raw, e->buf, e->len);
		if (rc < 0)
			return rc;
	}
	if (raw->n_instances == 0) {
		raw->instances = calloc(1, sizeof(*raw->instances));
		if (raw->instances == NULL)
			return settings_origin_error(e->buf, e->len, NULL, "out of memory");
		raw->n_instances = 1;
	}
	rc = apply_lookup(e, raw, &in->adapter, LEVEL_ADAPTER, "adapter");
	if (rc == 0)
		rc = apply_lookup(e, raw, &in->env, LEVEL_ENV, "env");
	if (rc == 0)
		rc = apply_lookup(e, raw, &in->flags, LEVEL_FLAG, "flag");
	return rc;
}

/* ---------------------------------------------------------------- value parsers */

/* A whole decimal number, surrounding blanks allowed; no sign, no hex. */
static bool parse_number(const char *text, unsigned long long *out)
{
	char *end = NULL;

	while (isspace((unsigned char)*text))
		text++;
	if (!isdigit((unsigned char)*text))
		return false;
	errno = 0;
	*out = strtoull(text, &end, 10);
	if (errno != 0)
		return false;
	while (isspace((unsigned char)*end))
		end++;
	return *end == '\0';
}

static int resolve_uint(struct errbuf *e, const struct raw_value *v, uint32_t min, uint32_t max,
			uint32_t fallback, uint32_t *out)
{
	unsigned long long n;

	if (v->at.level == LEVEL_UNSET) {
		*out = fallback;
		return 0;
	}
	if (!parse_number(v->text, &n) || n < min || n > max)
		return value_error(e, v, "between %u and %u", min, max);
	*out = (uint32_t)n;
	return 0;
}

static int resolve_u8(struct errbuf *e, const struct raw_value *v, uint32_t min, uint32_t max,
		      uint32_t fallback, uint8_t *out)
{
	uint32_t n = 0;
	int rc = resolve_uint(e, v, min, max, fallback, &n);
	*out = (uint8_t)n;
	return rc;
}

/* text without the blanks around it, into buf; false when it does not fit. */
static bool trimmed(const char *text, char *buf, size_t len)
{
	while (isspace((unsigned char)*text))
		text++;
	size_t n = strlen(text);
	while (n > 0 && isspace((unsigned char)text[n - 1]))
		n--;
	if (n >= len)
		return false;
	memcpy(buf, text, n);
	buf[n] = '\0';
	return true;
}

/* true/false/yes/no/1/0/on/off, any case. */
static int resolve_bool(struct errbuf *e, const struct raw_value *v, bool fallback, bool *out)
{
	static const char *const truths[] = { "true", "yes", "1", "on" };
	static const char *const lies[] = { "false", "no", "0", "off" };
	char word[8];

	*out = fallback;
	if (v->at.level == LEVEL_UNSET)
		return 0;
	for (size_t i = 0; trimmed(v->text, word, sizeof(word)) && i < COUNT_OF(truths); i++) {
		if (strcasecmp(word, truths[i]) == 0 || strcasecmp(word, lies[i]) == 0) {
			*out = strcasecmp(word, truths[i]) == 0;
			return 0;
		}
	}
	return value_error(e, v, "a boolean (true/false, yes/no, 1/0, on/off)");
}

/* Index of text in names (any case, blanks around allowed), or -1. */
static int find_name(const char *text, const char *const *names, size_t n)
{
	char word[24];

	if (!trimmed(text, word, sizeof(word)))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(word, names[i]) == 0)
			return (int)i;
	return -1;
}

static int resolve_choice(struct errbuf *e, const struct raw_value *v, const char *const *names,
			  size_t n, const char *predicate, int fallback, int *out)
{
	*out = fallback;
	if (v->at.level == LEVEL_UNSET)
		return 0;
	*out = find_name(v->text, names, n);
	return *out < 0 ? value_error(e, v, "%s", predicate) : 0;
}

static int resolve_text(struct errbuf *e, const struct raw_value *v, char *dst, size_t dst_len)
{
	dst[0] = '\0';
	if (v->at.level == LEVEL_UNSET)
		return 0;
	if (strlen(v->text) >= dst_len)
		return value_error(e, v, "at most %zu characters long", dst_len - 1);
	snprintf(dst, dst_len, "%s", v->text);
	return 0;
}

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
					     quoted(token, q, sizeof(q)), what);
	if (addr_is_unspecified(addr))
		return settings_origin_error(e->buf, e->len, &item->at,
					     "%s is the unspecified address, not a usable %s",
					     quoted(token, q, sizeof(q)), what);
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
					     quoted(token, q, sizeof(q)));
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
						     quoted(token, q, sizeof(q)));
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
					     quoted(token, q, sizeof(q)));
	int rc = check_unicast(e, item, token, &addr, "peer");
	if (rc < 0)
		return rc;
	if (addr.family != inst->family)
		return settings_origin_error(e->buf, e->len, &item->at,
					     "%s is %s but the VIPs are %s: peers must be of the "
					     "VIPs' family",
					     quoted(token, q, sizeof(q)), family_name(addr.family),
					     family_name(inst->family));
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
	rc = resolve_uint(e, &ri->values[SK_PREFIX], 1, max, max, &prefix);
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
	    (!parse_number(v->text, &version) || (version != 2 && version != 3)))
		return value_error(e, v, "2 or 3");
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
	return resolve_u8(e, &ri->values[SK_VRID], 1, 255, 0, &inst->vrid);
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
	if (!parse_number(v->text, &ms) || ms < min || ms > max || ms % step != 0) {
		if (v3)
			return value_error(e, v, "a multiple of 10 between 10 and 40950");
		return value_error(e, v, "whole seconds between 1000 and 255000 (VRRP version 2)");
	}
	inst->advert_ms = (uint32_t)ms;
	return 0;
}

/* Linux rules for a device name (dev_valid_name): 1..15 bytes, no '/', ':' or blank. */
static bool valid_ifname(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= IF_NAMESIZE || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (*p == '/' || *p == ':' || !isgraph((unsigned char)*p))
			return false;
	return true;
}

static int resolve_interface(struct errbuf *e, const struct raw_instance *ri,
			     struct instance_settings *inst)
{
	const struct raw_value *v = &ri->values[SK_INTERFACE];

	inst->interface[0] = '\0';
	if (v->at.level == LEVEL_UNSET || strcasecmp(v->text, "auto") == 0)
		return 0;
	if (!valid_ifname(v->text))
		return value_error(e, v,
				   "\"auto\" or an interface name (1 to 15 characters, no '/', "
				   "':' or blank)");
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
		return value_error(e, v, "a name of 1 to 63 letters, digits, '_', '-' or '.'");
	snprintf(inst->name, sizeof(inst->name), "%s", v->text);
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

static bool valid_url(const char *url)
{
	size_t scheme = strncasecmp(url, "http://", 7) == 0	? 7
			: strncasecmp(url, "https://", 8) == 0 ? 8
							       : 0;
	if (scheme == 0 || url[scheme] == '\0' || url[scheme] == '/')
		return false;
	for (const char *p = url; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p))
			return false;
	return true;
}

static int resolve_check_target(struct errbuf *e, const struct raw_check *rc,
				struct check_settings *check)
{
	const struct raw_value *v = &rc->target;
	uint32_t port = 0;
	int err;

	check->kind = rc->kind;
	switch (rc->kind) {
	case CHECK_TCP:
		err = resolve_uint(e, v, 1, 65535, 0, &port);
		check->port = (uint16_t)port;
		return err;
	case CHECK_HTTP:
		if (strlen(v->text) >= sizeof(check->target) || !valid_url(v->text))
			return value_error(e, v,
					   "an http:// or https:// URL (at most %zu characters)",
					   sizeof(check->target) - 1);
		return resolve_text(e, v, check->target, sizeof(check->target));
	case CHECK_SCRIPT:
		return resolve_text(e, v, check->target, sizeof(check->target));
	}
	return value_error(e, v, "a check");
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
		err = resolve_uint(e, tuning_value(ri, rc, TUNE_INTERVAL_MS), MIN_CHECK_MS,
				   MAX_CHECK_MS, DEFAULT_CHECK_INTERVAL_MS, &check->interval_ms);
	if (err == 0)
		err = resolve_uint(e, tuning_value(ri, rc, TUNE_TIMEOUT_MS), MIN_CHECK_MS,
				   MAX_CHECK_MS, check->interval_ms, &check->timeout_ms);
	if (err == 0)
		err = resolve_uint(e, tuning_value(ri, rc, TUNE_RISE), 1, MAX_RISE_FALL,
				   DEFAULT_CHECK_RISE, &check->rise);
	if (err == 0)
		err = resolve_uint(e, tuning_value(ri, rc, TUNE_FALL), 1, MAX_RISE_FALL,
				   DEFAULT_CHECK_FALL, &check->fall);
	if (err == 0)
		err = resolve_uint(e, tuning_value(ri, rc, TUNE_WEIGHT), 0, MAX_CHECK_WEIGHT, 0,
				   &check->weight);
	return err;
}

/* The checks come from one source: the lookups' KEEPVIP_CHECK_PORT/URL/SCRIPT when they
 * outrank the file's checks list, else the file's list. */
static size_t pick_checks(const struct raw_instance *ri, struct raw_check *picked)
{
	static const struct {
		enum setting_key key;
		enum check_kind kind;
	} lookup_checks[] = { { SK_CHECK_PORT, CHECK_TCP },
			      { SK_CHECK_URL, CHECK_HTTP },
			      { SK_CHECK_SCRIPT, CHECK_SCRIPT } };
	enum origin_level from_lookup = LEVEL_UNSET;
	size_t n = 0;

	for (size_t i = 0; i < COUNT_OF(lookup_checks); i++)
		if (ri->values[lookup_checks[i].key].at.level > from_lookup)
			from_lookup = ri->values[lookup_checks[i].key].at.level;
	if (from_lookup <= ri->checks_at.level) {
		memcpy(picked, ri->checks, ri->n_checks * sizeof(*picked));
		return ri->n_checks;
	}
	for (size_t i = 0; i < COUNT_OF(lookup_checks); i++) {
		const struct raw_value *v = &ri->values[lookup_checks[i].key];
		if (v->at.level == LEVEL_UNSET)
			continue;
		picked[n] = (struct raw_check){ .kind = lookup_checks[i].kind, .target = *v };
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

static int resolve_instance(struct errbuf *e, const struct raw_instance *ri,
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
		rc = resolve_u8(e, &ri->values[SK_PRIORITY], 1, 254, DEFAULT_PRIORITY,
				&inst->priority);
	if (rc == 0)
		rc = resolve_advert(e, ri, inst);
	if (rc == 0)
		rc = resolve_bool(e, &ri->values[SK_PREEMPT], true, &inst->preempt);
	if (rc == 0)
		rc = resolve_uint(e, &ri->values[SK_PREEMPT_DELAY_MS], 0, MAX_PREEMPT_DELAY_MS, 0,
				  &inst->preempt_delay_ms);
	if (rc == 0)
		rc = resolve_interface(e, ri, inst);
	if (rc == 0)
		rc = resolve_choice(e, &ri->values[SK_MODE], mode_names, COUNT_OF(mode_names),
				    "one of auto, unicast, multicast", VRRP_MODE_AUTO, &mode);
	inst->mode = (enum vrrp_mode)mode;
	if (rc == 0)
		rc = resolve_peers(e, ri, inst);
	if (rc == 0)
		rc = resolve_checks(e, ri, inst);
	if (rc == 0)
		rc = resolve_text(e, &ri->values[SK_NOTIFY], inst->notify, sizeof(inst->notify));
	if (rc == 0)
		rc = resolve_name(e, ri, inst);
	return rc;
}

/* ---------------------------------------------------------------- globals */

static bool valid_hostname(const char *host, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)host[i]) && host[i] != '.' && host[i] != '-')
			return false;
	return true;
}

/* HOST:PORT with HOST an IPv4 address or a name, or [IPv6]:PORT. */
static bool valid_host_port(const char *text)
{
	const char *port;
	unsigned long long n;

	if (text[0] == '[') {
		char v6[IP_ADDR_STRLEN];
		const char *close = strchr(text, ']');
		struct ip_addr addr;
		if (close == NULL || close[1] != ':' || (size_t)(close - text) >= sizeof(v6))
			return false;
		snprintf(v6, sizeof(v6), "%.*s", (int)(close - text - 1), text + 1);
		if (ip_addr_parse(v6, &addr) < 0 || addr.family != AF_INET6)
			return false;
		port = close + 2;
	} else {
		const char *colon = strchr(text, ':');
		if (colon == NULL || strchr(colon + 1, ':') != NULL ||
		    !valid_hostname(text, (size_t)(colon - text)))
			return false;
		port = colon + 1;
	}
	return isdigit((unsigned char)port[0]) && parse_number(port, &n) && n >= 1 &&
	       n <= 65535 && strspn(port, "0123456789") == strlen(port);
}

static int resolve_status_addr(struct errbuf *e, const struct raw_value *v, struct settings *s)
{
	snprintf(s->status_addr, sizeof(s->status_addr), "%s", DEFAULT_STATUS_ADDR);
	if (v->at.level == LEVEL_UNSET)
		return 0;
	if (strcasecmp(v->text, "off") == 0) {
		snprintf(s->status_addr, sizeof(s->status_addr), "off");
		return 0;
	}
	if (strlen(v->text) >= sizeof(s->status_addr) || !valid_host_port(v->text))
		return value_error(e, v,
				   "\"off\" or HOST:PORT (such as 127.0.0.1:9650 or [::1]:9650)");
	snprintf(s->status_addr, sizeof(s->status_addr), "%s", v->text);
	return 0;
}

static int resolve_globals(struct errbuf *e, const struct raw_settings *raw,
			   const struct settings_inputs *in, struct settings *s)
{
	int orchestrator = 0, format = LOG_FORMAT_TEXT, level = LOG_LEVEL_INFO;
	int rc = resolve_choice(e, &raw->globals[SK_ORCHESTRATOR], orchestrator_names,
				COUNT_OF(orchestrator_names),
				"one of auto, static, rancher, kubernetes, swarm, marathon", 0,
				&orchestrator);
	if (rc == 0)
		snprintf(s->orchestrator, sizeof(s->orchestrator), "%s",
			 orchestrator_names[orchestrator]);
	if (rc == 0)
		rc = resolve_status_addr(e, &raw->globals[SK_STATUS_ADDR], s);
	if (rc == 0)
		rc = resolve_choice(e, &raw->globals[SK_LOG_FORMAT], log_format_names,
				    COUNT_OF(log_format_names), "one of text, json",
				    LOG_FORMAT_TEXT, &format);
	if (rc == 0)
		rc = resolve_choice(e, &raw->globals[SK_LOG_LEVEL], log_level_names,
				    COUNT_OF(log_level_names), "one of error, warn, info, debug",
				    LOG_LEVEL_INFO, &level);
	if (rc == 0)
		rc = resolve_text(e, &raw->globals[SK_PEERS_FILE], s->peers_file,
				  sizeof(s->peers_file));
	s->log_format = (enum log_format)format;
	s->log_level = (enum log_level)level;
	if (rc == 0 && in->yaml_text != NULL && in->yaml_path != NULL)
		snprintf(s->config_path, sizeof(s->config_path), "%s", in->yaml_path);
	return rc;
}

/* ---------------------------------------------------------------- across instances */

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

/* ---------------------------------------------------------------- entry points */

static void raw_free(struct raw_settings *raw)
{
	if (raw == NULL)
		return;
	settings_yaml_release(raw);
	free(raw->instances);
	free(raw);
}

/* Zeroes what is in use (the globals and the first n instances) and nothing more: struct
 * settings is sized for SETTINGS_MAX_INSTANCES, and touching all of it would cost the
 * daemon almost 2 MB of resident memory for one instance. */
static void settings_clear(struct settings *s, size_t n)
{
	memset(s->instances, 0, n * sizeof(s->instances[0]));
	memset(&s->n_instances, 0, sizeof(*s) - offsetof(struct settings, n_instances));
}

void settings_copy(struct settings *dst, const struct settings *src)
{
	memcpy(dst->instances, src->instances, src->n_instances * sizeof(src->instances[0]));
	memcpy(&dst->n_instances, &src->n_instances,
	       sizeof(*dst) - offsetof(struct settings, n_instances));
}

static int resolve_all(struct errbuf *e, const struct raw_settings *raw,
		       const struct settings_inputs *in, struct settings *s)
{
	int rc = resolve_globals(e, raw, in, s);

	for (size_t i = 0; rc == 0 && i < raw->n_instances; i++) {
		memset(&s->instances[i], 0, sizeof(s->instances[i]));
		rc = resolve_instance(e, &raw->instances[i], &s->instances[i]);
		s->n_instances = i + 1;
	}
	for (size_t j = 1; rc == 0 && j < s->n_instances; j++) {
		rc = check_vrid_clash(e, raw, s, j);
		if (rc == 0)
			rc = check_name_clash(e, raw, s, j);
	}
	return rc;
}

int settings_load(const struct settings_inputs *in, struct settings *out, char *err,
		  size_t err_len)
{
	char scratch[SETTINGS_ERR_LEN];
	struct errbuf e = { err, err_len };
	struct raw_settings *raw;
	int rc;

	if (err == NULL || err_len == 0)
		e = (struct errbuf){ scratch, sizeof(scratch) };
	e.buf[0] = '\0';
	settings_clear(out, 0);
	raw = calloc(1, sizeof(*raw));
	if (raw == NULL) {
		settings_origin_error(e.buf, e.len, NULL, "out of memory");
		return -ENOMEM;
	}
	rc = gather(in, raw, &e);
	if (rc == 0)
		rc = resolve_all(&e, raw, in, out);
	raw_free(raw);
	if (rc < 0)
		settings_clear(out, out->n_instances);
	return rc;
}

bool settings_is_known_env(const char *env_name)
{
	for (size_t k = 0; k < SK_COUNT; k++)
		if (strcmp(settings_key_info[k].env, env_name) == 0)
			return true;
	return false;
}

const char *settings_getenv(const char *env_name, void *ctx)
{
	(void)ctx;
	return getenv(env_name);
}

/* ---------------------------------------------------------------- print */

static bool is_secret_key(const char *key)
{
	return strstr(key, "token") != NULL || strstr(key, "password") != NULL;
}

/* A YAML double-quoted scalar. */
static void print_quoted(FILE *out, const char *text)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* A URL with the password of its user info (scheme://user:password@host) masked. */
static const char *mask_url_password(const char *url, char *buf, size_t len)
{
	const char *start = strstr(url, "://");
	if (start == NULL)
		return url;
	start += 3;
	size_t authority = strcspn(start, "/?#");
	const char *at = memchr(start, '@', authority);
	const char *colon = at ? memchr(start, ':', (size_t)(at - start)) : NULL;
	if (colon == NULL)
		return url;
	snprintf(buf, len, "%.*s***%s", (int)(colon + 1 - url), url, at);
	return buf;
}

static void print_text(FILE *out, const char *indent, const char *key, const char *value)
{
	char masked[SETTINGS_TEXT_LEN + 8];

	fprintf(out, "%s%s: ", indent, key);
	if (is_secret_key(key) && value[0] != '\0')
		value = "***";
	else if (strcmp(key, "http") == 0)
		value = mask_url_password(value, masked, sizeof(masked));
	print_quoted(out, value);
	fputc('\n', out);
}

static void print_check(FILE *out, const struct check_settings *c)
{
	if (c->kind == CHECK_TCP)
		fprintf(out, "      - tcp: %u\n", c->port);
	else
		print_text(out, "      - ", check_kind_names[c->kind], c->target);
	fprintf(out,
		"        interval_ms: %u\n        timeout_ms: %u\n        rise: %u\n"
		"        fall: %u\n        weight: %u\n",
		c->interval_ms, c->timeout_ms, c->rise, c->fall, c->weight);
}

static void print_addr_list(FILE *out, const char *key, const struct ip_addr *addrs,
			    const struct vip *vips, size_t n)
{
	char buf[IP_ADDR_STRLEN];

	fprintf(out, "    %s: [", key);
	for (size_t i = 0; i < n; i++) {
		const struct ip_addr *addr = vips ? &vips[i].addr : &addrs[i];
		fprintf(out, "%s\"%s", i ? ", " : "", ip_addr_str(addr, buf));
		if (vips)
			fprintf(out, "/%u", vips[i].prefix);
		fputc('"', out);
	}
	fputs("]\n", out);
}

static void print_instance(FILE *out, const struct instance_settings *inst)
{
	char vip[IP_ADDR_STRLEN];

	print_text(out, "  - ", "name", inst->name);
	print_addr_list(out, "vips", NULL, inst->vips, inst->n_vips);
	if (inst->interface[0])
		print_text(out, "    ", "interface", inst->interface);
	else
		fputs("    interface: auto\n", out);
	fprintf(out, "    vrid: %u", inst->vrid);
	if (inst->vrid_derived)
		fprintf(out, "  # derived from %s", ip_addr_str(&inst->vips[0].addr, vip));
	fprintf(out, "\n    priority: %u\n    advert_ms: %u\n    version: %u\n", inst->priority,
		inst->advert_ms, inst->version);
	fprintf(out, "    preempt: %s\n    preempt_delay_ms: %u\n",
		inst->preempt ? "true" : "false", inst->preempt_delay_ms);
	if (inst->peers_set)
		print_addr_list(out, "peers", inst->peers, NULL, inst->n_peers);
	else
		fputs("    # peers: from the adapter\n", out);
	fprintf(out, "    mode: %s\n", mode_names[inst->mode]);
	fputs(inst->n_checks ? "    checks:\n" : "    checks: []\n", out);
	for (size_t i = 0; i < inst->n_checks; i++)
		print_check(out, &inst->checks[i]);
	print_text(out, "    ", "notify", inst->notify);
}

void settings_print(const struct settings *s, FILE *out)
{
	fprintf(out, "# effective settings: flags > env > %s > adapter > defaults\n",
		s->config_path[0] ? s->config_path : "(no file)");
	fprintf(out, "orchestrator: %s\n", s->orchestrator);
	print_text(out, "", "status_addr", s->status_addr);
	fprintf(out, "log:\n  format: %s\n  level: %s\n", log_format_names[s->log_format],
		log_level_names[s->log_level]);
	print_text(out, "", "peers_file", s->peers_file);
	fputs("instances:\n", out);
	for (size_t i = 0; i < s->n_instances; i++)
		print_instance(out, &s->instances[i]);
}
