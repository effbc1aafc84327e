/* settings.h — the settings model, its sources and their precedence, and validation.
 *
 * Pure: sources are lookups handed in by the caller (env, a YAML file already read into
 * memory, an adapter's overrides), so tests need no environment and no files.
 * Precedence (DESIGN.md): command-line flag > env > YAML file > adapter-provided > default.
 * The whole result is validated before it is returned: a caller either gets a complete,
 * valid struct settings or an error that names the source and the place, e.g.
 *   "env KEEPVIP_VRID: \"300\" is not between 1 and 255"
 *   "/etc/keepvip.yml:12:7: advert_ms: must be a multiple of 10 between 10 and 40950" */
#ifndef KEEPVIP_SETTINGS_H
#define KEEPVIP_SETTINGS_H

#include "check_settings.h"
#include "ipaddr.h"
#include "log.h"
#include "setting_keys.h"

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SETTINGS_MAX_INSTANCES 255
#define SETTINGS_MAX_VIPS 32
#define SETTINGS_MAX_PEERS 64
#define SETTINGS_MAX_CHECKS 8
#define SETTINGS_NAME_LEN 64
#define SETTINGS_TEXT_LEN 512   /* URLs, commands, paths */
#define SETTINGS_ERR_LEN 512
#define SETTINGS_AUTH_PASS_MAX 8 /* RFC 3768 §5.3.10: 8 bytes of Authentication Data */
#define SETTINGS_RT_PRIORITY_MAX 99 /* sched_get_priority_max(SCHED_RR) on Linux */

enum vrrp_mode { VRRP_MODE_AUTO = 0, VRRP_MODE_UNICAST, VRRP_MODE_MULTICAST };

/* What another holder of a VIP (an address conflict) makes us do. */
enum conflict_action {
	CONFLICT_WARN = 0, /* log, count, show; take the VIP all the same */
	CONFLICT_REFUSE,   /* also: do not become master while the conflict lasts */
};

#define SETTINGS_DEFAULT_GARP_REPEAT 5        /* the first announce and 4 repeats */
#define SETTINGS_DEFAULT_GARP_DELAY_MS 1000   /* one second apart */
#define SETTINGS_DEFAULT_GARP_REFRESH_S 60
#define SETTINGS_DEFAULT_CONFLICT_CHECK_S 60

struct vip {
	struct ip_addr addr;
	uint8_t prefix;             /* explicit, or KEEPVIP_PREFIX, or 32 / 128 */
};

struct instance_settings {
	char name[SETTINGS_NAME_LEN];  /* default "VI_<vrid>" */
	struct vip vips[SETTINGS_MAX_VIPS];
	size_t n_vips;
	sa_family_t family;            /* of every VIP (one family per instance) */
	char interface[IF_NAMESIZE];   /* "" = auto: resolved at start, not here */
	uint8_t vrid;
	bool vrid_derived;             /* true when derived from the first VIP (log it) */
	uint8_t priority;              /* 1..254, default 100 */
	uint32_t advert_ms;            /* default 1000; v3: 10..40950 step 10; v2: whole seconds */
	uint8_t version;               /* 2 or 3, default 3; IPv6 needs 3 */
	bool preempt;                  /* default true */
	uint32_t preempt_delay_ms;     /* default 0 */
	struct ip_addr peers[SETTINGS_MAX_PEERS];
	size_t n_peers;
	bool peers_set;                /* KEEPVIP_PEERS / peers given: pinned, the adapter's
					* peers are not used for this instance */
	enum vrrp_mode mode;           /* default auto: unicast when any peer is known */
	struct check_settings checks[SETTINGS_MAX_CHECKS];
	size_t n_checks;
	char notify[SETTINGS_TEXT_LEN];/* "" = none */
	/* Gratuitous ARP / unsolicited NA on becoming master (keepalived's garp_master_repeat,
	 * garp_master_delay): garp_repeat of them in all, garp_delay_ms apart; then one every
	 * garp_refresh_s while master (garp_master_refresh), 0 = none. */
	uint32_t garp_repeat;          /* 1..100, default 5 */
	uint32_t garp_delay_ms;        /* 0..60000, default 1000 */
	uint32_t garp_refresh_s;       /* 0..86400, default 60 */
	/* Probes for another holder of the VIPs (RFC 5227 ARP probe, RFC 4862 DAD-style NS):
	 * at start and every conflict_check_s while master; 0 = no check at all. */
	uint32_t conflict_check_s;     /* 0..86400, default 60 */
	enum conflict_action conflict_action; /* default warn */
	char auth_pass[SETTINGS_AUTH_PASS_MAX + 1]; /* v2 PASS password, "" = none; a secret */
};

/* An adapter's setting (setting_keys.h), checked by its kind; read with settings_get. */
struct adapter_setting {
	const struct setting_key_info *key;   /* in the adapter's const table */
	bool set;                             /* given by some source */
	char value[SETTINGS_TEXT_LEN];        /* "" when not set */
};

struct settings {
	struct instance_settings instances[SETTINGS_MAX_INSTANCES];
	size_t n_instances;            /* first member after the array: settings_clear/copy rely on it */
	char orchestrator[SETTINGS_NAME_LEN]; /* "auto" or an adapter's name (inputs) */
	char status_addr[SETTINGS_NAME_LEN];  /* "127.0.0.1:9650" or "off" */
	enum log_format log_format;
	enum log_level log_level;
	char config_path[SETTINGS_TEXT_LEN];  /* YAML file used, "" = none */
	uint8_t realtime_priority;            /* SCHED_RR priority 1..99, 0 = off (at start) */
	struct adapter_setting adapter_values[SETTINGS_MAX_ADAPTER_KEYS];
	size_t n_adapter_values;              /* one per key of the adapters' tables, in order */
};

/* A flat key/value source looked up by env name (KEEPVIP_VRID, VIRTUAL_IP, ...).
 * Returns the value or NULL. Used for env, for flags and for adapter overrides. */
typedef const char *(*settings_lookup_fn)(const char *env_name, void *ctx);

struct settings_source {
	const char *name;            /* "env", "flag", "adapter NAME" — used in messages */
	settings_lookup_fn lookup;
	void *ctx;
};

struct settings_inputs {
	struct settings_source flags;    /* lookup may be NULL */
	struct settings_source env;      /* lookup may be NULL */
	const char *yaml_text;           /* NULL = no file */
	size_t yaml_len;
	const char *yaml_path;           /* for messages */
	struct settings_source adapter;  /* lookup may be NULL */
	/* The adapters built in (from the adapter registry): the orchestrator names and the
	 * adapters' keys. NULL: no adapter keys, and "auto" is the only orchestrator. */
	const struct settings_adapters *adapters;
};

/* Loads, merges and validates. Returns 0 and fills *out, or -EINVAL with a one-line message
 * naming the source and the place in err (without the "keepvip: settings: " prefix).
 * *out is heap-sized (about a few MB at SETTINGS_MAX_INSTANCES): callers allocate it.
 *
 * Lookups (flags, env, adapter) are asked by env name, KEEPVIP_ name first, then the seed
 * catalog's alias (VIRTUAL_IP, NETMASK_BIT, INTERFACE, VRID, CHECK_PORT); an empty or blank
 * value counts as unset. Env and flags describe one instance and apply to every instance of
 * the file, except KEEPVIP_VIPS, KEEPVIP_VRID and KEEPVIP_INSTANCE_NAME, which are an error
 * when the file holds several instances (an adapter's such values are then not used).
 * KEEPVIP_CHECK_PORT/URL/SCRIPT from env or flags replace the file's checks list;
 * KEEPVIP_CHECK_INTERVAL_MS, _TIMEOUT_MS, _RISE, _FALL, _WEIGHT apply to every check.
 * Unicast mode without peers is not an error here: an adapter may bring them.
 * The adapters' keys (in->adapters) are global settings read from every source like the
 * core's: each value is checked by its kind, then each table's rules run (validate). */
int settings_load(const struct settings_inputs *in, struct settings *out, char *err,
		  size_t err_len);

/* Copies the globals and the instances in use (not the unused tail of the array). */
void settings_copy(struct settings *dst, const struct settings *src);

/* Prints the effective settings, one "key: value" per line, YAML-shaped, secrets masked
 * (keys declared secret, and the password in a URL's user info). The output loads back
 * through settings_load as a YAML file giving the same settings. */
void settings_print(const struct settings *s, FILE *out);

/* An adapter setting's value by its env name (KEEPVIP_RANCHER_STACK), NULL when no source
 * gave it (the adapter applies its own default) or when s is NULL. */
const char *settings_get(const struct settings *s, const char *env_name);

/* A SETTING_UINT adapter setting as a number, fallback when not given. */
uint32_t settings_get_uint(const struct settings *s, const char *env_name, uint32_t fallback);

/* For an adapter table's validate (setting_keys.h): a value of that table's keys as given
 * (checked by its kind), NULL when not given. */
const char *settings_rules_get(const struct settings_rules *r, const char *env_name);

/* Fails a rule: writes "<source and place of env_name's value>: <message>" and returns
 * -EINVAL, e.g. "env KEEPVIP_RANCHER_STACK: given without KEEPVIP_RANCHER_SERVICE ...". */
int settings_rules_fail(const struct settings_rules *r, const char *env_name, const char *fmt,
			...) __attribute__((format(printf, 3, 4)));

/* The env lookup for the real process environment (ctx unused). */
const char *settings_getenv(const char *env_name, void *ctx);

/* VRID derived from a VIP when none is set: the last byte of the address; if that is 0,
 * the XOR of all its bytes; if that is 0 too, 1. */
uint8_t settings_derive_vrid(const struct ip_addr *vip);

#endif
