/* setting_keys.c — the core's setting names, and lookups over them and the adapters' tables
 * (setting_keys.h). */
#include "setting_keys.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ENV_PREFIX "KEEPVIP_"
#define ENV_PREFIX_LEN (sizeof(ENV_PREFIX) - 1)

/* An instance key: env name, alias, YAML key. */
#define INSTANCE(env_, alias_, yaml_, ...)                                                     \
	{ .env = env_, .alias = alias_, .yaml = yaml_, .scope = SCOPE_INSTANCE, __VA_ARGS__ }
#define CHECK(env_, alias_, yaml_, ...)                                                        \
	{ .env = env_, .alias = alias_, .yaml = yaml_, .scope = SCOPE_CHECK, __VA_ARGS__ }
#define GLOBAL(env_, yaml_, ...) { .env = env_, .yaml = yaml_, .scope = SCOPE_GLOBAL, __VA_ARGS__ }

/* adapter_may_set: what an operator would give once for a whole service in the orchestrator's
 * metadata. Peers, commands (notify, check script) and globals belong to the container's own
 * environment. */
const struct setting_key_info setting_keys[SK_COUNT] = {
	[SK_VIPS] = INSTANCE("KEEPVIP_VIPS", "VIRTUAL_IP", "vips", .one_instance = true,
			     .list = true, .adapter_may_set = true,
		.help = "comma list of IPv4 or IPv6 addresses, each optionally /prefix (one "
			"address family per instance); required"),
	[SK_PREFIX] = INSTANCE("KEEPVIP_PREFIX", "NETMASK_BIT", "prefix", .adapter_may_set = true,
		.help = "prefix length of a VIP given without one; default 32 (IPv4), 128 "
			"(IPv6)"),
	[SK_INTERFACE] = INSTANCE("KEEPVIP_INTERFACE", "INTERFACE", "interface",
				  .adapter_may_set = true,
		.help = "NIC that holds the VIPs and sends the adverts; default auto: the "
			"interface whose subnet holds the first VIP, else the one with the "
			"default route"),
	[SK_VRID] = INSTANCE("KEEPVIP_VRID", "VRID", "vrid", .one_instance = true,
			     .adapter_may_set = true,
		.help = "VRRP virtual router ID, 1..255, the same on every node of the group "
			"and unique on the network; default derived from the first VIP (logged)"),
	[SK_PRIORITY] = INSTANCE("KEEPVIP_PRIORITY", NULL, "priority", .adapter_may_set = true,
		.help = "VRRP priority 1..254, the highest healthy node holds the VIPs; "
			"default 100"),
	[SK_ADVERT_MS] = INSTANCE("KEEPVIP_ADVERT_MS", NULL, "advert_ms", .adapter_may_set = true,
		.help = "advertisement interval in ms: VRRPv3 10..40950 in steps of 10, VRRPv2 "
			"whole seconds; default 1000"),
	[SK_VERSION] = INSTANCE("KEEPVIP_VRRP_VERSION", NULL, "version", .adapter_may_set = true,
		.help = "VRRP version, 2 (RFC 3768) or 3 (RFC 5798; IPv6 needs 3); default 3"),
	[SK_PREEMPT] = INSTANCE("KEEPVIP_PREEMPT", NULL, "preempt", .adapter_may_set = true,
		.help = "a higher-priority backup takes the VIPs from a lower-priority master; "
			"default true"),
	[SK_PREEMPT_DELAY_MS] = INSTANCE("KEEPVIP_PREEMPT_DELAY_MS", NULL, "preempt_delay_ms",
					 .adapter_may_set = true,
		.help = "after start, wait this long before preempting a lower-priority master;"
			" default 0"),
	[SK_PEERS] = INSTANCE("KEEPVIP_PEERS", NULL, "peers", .list = true,
		.help = "comma list of unicast peer addresses (own addresses are dropped); "
			"default: from the adapter"),
	[SK_MODE] = INSTANCE("KEEPVIP_MODE", NULL, "mode", .adapter_may_set = true,
		.help = "unicast, multicast, or auto (unicast when any peer is known); "
			"default auto"),
	[SK_CHECK_PORT] = CHECK("KEEPVIP_CHECK_PORT", "CHECK_PORT", NULL, .check_target = true,
				.check_kind = CHECK_TCP, .adapter_may_set = true,
		.help = "TCP connect check of 127.0.0.1:PORT (the local load balancer); "
			"default none"),
	[SK_CHECK_URL] = CHECK("KEEPVIP_CHECK_URL", NULL, NULL, .check_target = true,
			       .check_kind = CHECK_HTTP, .adapter_may_set = true,
		.help = "HTTP GET check, healthy on a 2xx answer; default none"),
	[SK_CHECK_SCRIPT] = CHECK("KEEPVIP_CHECK_SCRIPT", NULL, NULL, .check_target = true,
				  .check_kind = CHECK_SCRIPT,
		.help = "command check, healthy on exit 0; default none"),
	[SK_CHECK_INTERVAL_MS] = CHECK("KEEPVIP_CHECK_INTERVAL_MS", NULL, "interval_ms",
				       .adapter_may_set = true,
		.help = "time between two runs of a check, ms (10..3600000); default 1000"),
	[SK_CHECK_TIMEOUT_MS] = CHECK("KEEPVIP_CHECK_TIMEOUT_MS", NULL, "timeout_ms",
				      .adapter_may_set = true,
		.help = "a run that takes longer fails, ms (10..3600000); default the interval"),
	[SK_CHECK_RISE] = CHECK("KEEPVIP_CHECK_RISE", NULL, "rise", .adapter_may_set = true,
		.help = "successes in a row that make a failed check healthy again; default 2"),
	[SK_CHECK_FALL] = CHECK("KEEPVIP_CHECK_FALL", NULL, "fall", .adapter_may_set = true,
		.help = "failures in a row that make a healthy check fail; default 2"),
	[SK_CHECK_WEIGHT] = CHECK("KEEPVIP_CHECK_WEIGHT", NULL, "weight", .adapter_may_set = true,
		.help = "0: a failing check puts the instance in FAULT (VIPs released); N: "
			"lowers its priority by N; default 0"),
	[SK_NOTIFY] = INSTANCE("KEEPVIP_NOTIFY", NULL, "notify",
		.help = "program run on every state change as NOTIFY INSTANCE NAME STATE "
			"PRIORITY (keepalived order); default none"),
	[SK_NAME] = INSTANCE("KEEPVIP_INSTANCE_NAME", NULL, "name", .one_instance = true,
			     .adapter_may_set = true,
		.help = "instance name, in logs, notify calls, /status and metrics; "
			"default VI_<vrid>"),
	[SK_GARP_REPEAT] = INSTANCE("KEEPVIP_GARP_REPEAT", NULL, "garp_repeat",
				    .adapter_may_set = true,
		.help = "gratuitous ARPs / unsolicited NAs sent on becoming master, the first at "
			"once (1..100, keepalived's garp_master_repeat); default 5"),
	[SK_GARP_DELAY_MS] = INSTANCE("KEEPVIP_GARP_DELAY_MS", NULL, "garp_delay_ms",
				      .adapter_may_set = true,
		.help = "spacing of that burst, ms (0..60000, keepalived's garp_master_delay); "
			"default 1000"),
	[SK_GARP_REFRESH_S] = INSTANCE("KEEPVIP_GARP_REFRESH_S", NULL, "garp_refresh_s",
				       .adapter_may_set = true,
		.help = "one more announce per VIP every N s while master (0..86400, 0 off; "
			"keepalived's garp_master_refresh); default 60"),
	[SK_CONFLICT_CHECK_S] = INSTANCE("KEEPVIP_CONFLICT_CHECK_S", NULL, "conflict_check_s",
					 .adapter_may_set = true,
		.help = "probe for another holder of a VIP (ARP probe / neighbour "
			"solicitation) at start and every N s while master (0..86400, 0 off); "
			"default 60"),
	[SK_CONFLICT_ACTION] = INSTANCE("KEEPVIP_CONFLICT_ACTION", NULL, "conflict_action",
					.adapter_may_set = true,
		.help = "on a conflict: warn (take the VIP anyway) or refuse (not while it "
			"lasts); default warn"),
	[SK_ORCHESTRATOR] = GLOBAL("KEEPVIP_ORCHESTRATOR", "orchestrator",
		.help = "where settings and peers come from: auto or an adapter built in "
			"(keepvip --help lists them); default auto"),
	[SK_STATUS_ADDR] = GLOBAL("KEEPVIP_STATUS_ADDR", "status_addr",
		.help = "HOST:PORT of the status server (/healthz, /readyz, /status, /metrics),"
			" or off; default 127.0.0.1:9650"),
	[SK_LOG_FORMAT] = GLOBAL("KEEPVIP_LOG_FORMAT", "log_format",
		.help = "log lines as text or json; default text"),
	[SK_LOG_LEVEL] = GLOBAL("KEEPVIP_LOG_LEVEL", "log_level",
		.help = "error, warn, info or debug; default info"),
	/* keepalived's authentication { auth_type PASS; auth_pass ... }: VRRPv2 only */
	[SK_AUTH_PASS] = INSTANCE("KEEPVIP_AUTH_PASS", NULL, "auth_pass", .secret = true,
		.help = "VRRPv2 password (keepalived's auth_type PASS), at most 8 characters, "
			"sent and checked; a secret; default none"),
	/* keepalived's vrrp_rt_priority: SCHED_RR priority, 0 = off */
	[SK_REALTIME_PRIORITY] = GLOBAL("KEEPVIP_REALTIME_PRIORITY", "realtime_priority",
		.help = "SCHED_RR priority 1..99 and locked memory, set at start (keepalived's "
			"vrrp_rt_priority); default 0 (off)"),
};

const enum setting_key check_tuning_key[TUNE_COUNT] = {
	[TUNE_INTERVAL_MS] = SK_CHECK_INTERVAL_MS,
	[TUNE_TIMEOUT_MS] = SK_CHECK_TIMEOUT_MS,
	[TUNE_RISE] = SK_CHECK_RISE,
	[TUNE_FALL] = SK_CHECK_FALL,
	[TUNE_WEIGHT] = SK_CHECK_WEIGHT,
};

enum setting_key setting_key_of_check(enum check_kind kind)
{
	for (int k = 0; k < SK_COUNT; k++)
		if (setting_keys[k].check_target && setting_keys[k].check_kind == kind)
			return (enum setting_key)k;
	return SK_COUNT;
}

const char *setting_key_yaml(const struct setting_key_info *info)
{
	return info->check_target ? check_kind_name(info->check_kind) : info->yaml;
}

/* The env name without KEEPVIP_, lower case, sep for '_'. */
static const char *env_word(const char *env, char sep, char *buf, size_t len)
{
	if (strncmp(env, ENV_PREFIX, ENV_PREFIX_LEN) == 0)
		env += ENV_PREFIX_LEN;
	snprintf(buf, len, "%s", env);
	for (char *p = buf; *p != '\0'; p++)
		*p = *p == '_' ? sep : (char)tolower((unsigned char)*p);
	return buf;
}

const char *setting_key_flag(const struct setting_key_info *info, char *buf, size_t len)
{
	if (info->flag != NULL) {
		snprintf(buf, len, "%s", info->flag);
		return buf;
	}
	return env_word(info->env, '-', buf, len);
}

const struct setting_key_info *setting_adapter_key(const struct settings_adapters *adapters,
						   size_t i)
{
	for (size_t t = 0; adapters != NULL && t < adapters->n_tables; t++) {
		if (i < adapters->tables[t]->n_keys)
			return &adapters->tables[t]->keys[i];
		i -= adapters->tables[t]->n_keys;
	}
	return NULL;
}

int setting_adapter_key_by_yaml(const struct settings_adapters *adapters, const char *yaml_name)
{
	const struct setting_key_info *info;
	for (size_t i = 0; (info = setting_adapter_key(adapters, i)) != NULL; i++)
		if (info->yaml != NULL && strcmp(info->yaml, yaml_name) == 0)
			return (int)i;
	return -1;
}

static bool flag_is(const struct setting_key_info *info, const char *flag)
{
	char buf[64];
	return strcmp(setting_key_flag(info, buf, sizeof(buf)), flag) == 0;
}

const struct setting_key_info *setting_key_by_flag(const struct settings_adapters *adapters,
						   const char *flag)
{
	const struct setting_key_info *info;

	for (size_t k = 0; k < SK_COUNT; k++)
		if (flag_is(&setting_keys[k], flag))
			return &setting_keys[k];
	for (size_t i = 0; (info = setting_adapter_key(adapters, i)) != NULL; i++)
		if (flag_is(info, flag))
			return info;
	return NULL;
}

const struct setting_key_info *setting_key_for_override(const char *name)
{
	char word[64];

	for (size_t k = 0; k < SK_COUNT; k++) {
		const struct setting_key_info *info = &setting_keys[k];
		if (!info->adapter_may_set)
			continue;
		if (strcasecmp(name, setting_key_yaml(info)) == 0 ||
		    strcasecmp(name, env_word(info->env, '_', word, sizeof(word))) == 0)
			return info;
	}
	return NULL;
}
