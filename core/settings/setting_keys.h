/* setting_keys.h — the one registry of setting names: for every setting its env name, the
 * alias read too, its YAML key, its flag, how its value is checked and whether it is a
 * secret. YAML (settings_yaml.c), env and flags (settings_gather.c; core/app maps --flag to
 * env names through setting_key_by_flag), an adapter's overrides (setting_key_for_override)
 * and the printer (settings_print.c) all read it; nothing else spells a setting's name.
 *
 * Two kinds of table:
 *   - the core's, setting_keys[], indexed by enum setting_key (instances, checks, globals);
 *   - one per adapter (struct settings_table), declared by the adapter in its ops table and
 *     handed to the settings layer by the app (struct settings_adapters): global keys, each
 *     checked here by its value kind, and the adapter's own rules across them (validate).
 * A leaf: it includes nothing of the settings model, only the check kinds below it. */
#ifndef KEEPVIP_SETTING_KEYS_H
#define KEEPVIP_SETTING_KEYS_H

#include "check_settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every setting of the core, instance and global. */
enum setting_key {
	SK_VIPS = 0,
	SK_PREFIX,
	SK_INTERFACE,
	SK_VRID,
	SK_PRIORITY,
	SK_ADVERT_MS,
	SK_VERSION,
	SK_PREEMPT,
	SK_PREEMPT_DELAY_MS,
	SK_PEERS,
	SK_MODE,
	SK_CHECK_PORT,
	SK_CHECK_URL,
	SK_CHECK_SCRIPT,
	SK_CHECK_INTERVAL_MS,
	SK_CHECK_TIMEOUT_MS,
	SK_CHECK_RISE,
	SK_CHECK_FALL,
	SK_CHECK_WEIGHT,
	SK_NOTIFY,
	SK_NAME,
	SK_GARP_REPEAT,
	SK_GARP_DELAY_MS,
	SK_GARP_REFRESH_S,
	SK_CONFLICT_CHECK_S,
	SK_CONFLICT_ACTION,
	SK_ORCHESTRATOR,
	SK_STATUS_ADDR,
	SK_LOG_FORMAT,
	SK_LOG_LEVEL,
	SK_AUTH_PASS,
	SK_REALTIME_PRIORITY,
	SK_COUNT
};

enum setting_scope {
	SCOPE_INSTANCE, /* a key of an instance mapping */
	SCOPE_CHECK,    /* a key of one entry of an instance's checks list */
	SCOPE_GLOBAL,   /* a top-level key (every adapter key is one) */
};

/* How an adapter key's value is checked (the core's keys have their own resolvers). The
 * value is kept as text; settings_get_uint reads a SETTING_UINT back as a number. */
enum setting_kind {
	SETTING_TEXT = 0, /* any text of at most max bytes (0: SETTINGS_TEXT_LEN - 1) */
	SETTING_PATH,     /* a file path: as TEXT, kept apart for the reader and the printer */
	SETTING_URL,      /* an http:// or https:// URL; a password in its user info is masked */
	SETTING_URL_LIST, /* a comma list of URLs (several API servers) */
	SETTING_LIST,     /* a comma list of words (a label selector, names) */
	SETTING_UINT,     /* a whole number between min and max */
	SETTING_BOOL,     /* true/false, yes/no, 1/0, on/off; kept as "true" or "false" */
};

struct setting_key_info {
	/* The env name. An adapter setting whose usual name has no KEEPVIP_ prefix (one set by
	 * the orchestrator or by another tool's convention: adapter.h lists them) gets a
	 * KEEPVIP_ env name and that usual name as its alias: both are read, KEEPVIP_ first, and
	 * its flag and YAML key follow the KEEPVIP_ name like every other setting's. */
	const char *env;
	const char *alias;   /* another env name read for it, or NULL */
	const char *yaml;    /* the YAML key within its mapping; NULL for a check's target, whose
			      * key is the check kind's name (check_kind) */
	const char *flag;    /* without "--"; NULL: the env name without KEEPVIP_, lower case,
			      * '-' for '_' (setting_key_flag) */
	enum setting_scope scope;
	bool one_instance;   /* names a single instance (VIPs, VRID, name) */
	bool list;           /* a list: YAML sequence or comma-separated text */
	bool secret;         /* masked wherever settings are printed */
	bool adapter_may_set;/* an adapter's overrides (orchestrator metadata) may give it */
	bool check_target;   /* the target of a check of kind check_kind */
	enum check_kind check_kind;
	enum setting_kind kind;  /* adapter keys: how the value is checked */
	uint32_t min, max;       /* SETTING_UINT: the range; text kinds: max length (0: any) */
	/* One line for people: what it means and its default ("comma list of ...; default
	 * 100"). `keepvip help-settings` and the man page keepvip(8) print it (settings_doc.h). */
	const char *help;
};

/* Indexed by enum setting_key. */
extern const struct setting_key_info setting_keys[SK_COUNT];

enum check_tuning {
	TUNE_INTERVAL_MS = 0,
	TUNE_TIMEOUT_MS,
	TUNE_RISE,
	TUNE_FALL,
	TUNE_WEIGHT,
	TUNE_COUNT
};

/* The setting_key of each tuning value. */
extern const enum setting_key check_tuning_key[TUNE_COUNT];

/* The setting_key whose value is the target of a check of this kind, from the lookups. */
enum setting_key setting_key_of_check(enum check_kind kind);

struct settings_rules;

/* An adapter's settings: its keys, and its rules across them. */
struct settings_table {
	const struct setting_key_info *keys; /* SCOPE_GLOBAL, kind/min/max/secret set */
	size_t n_keys;
	/* Rules across the table's keys, once each value passed its own kind's check: no I/O.
	 * Reads values with settings_rules_get and fails with settings_rules_fail (settings.h),
	 * which names the source and place. NULL: no such rule. */
	int (*validate)(const struct settings_rules *r);
};

/* What the adapters built in bring to the settings: their names (valid values of
 * KEEPVIP_ORCHESTRATOR besides "auto") and their key tables. The app fills it from the
 * adapter registry; the settings layer names no adapter. */
#define SETTINGS_MAX_ADAPTERS 8
#define SETTINGS_MAX_ADAPTER_KEYS 48

struct settings_adapters {
	const char *names[SETTINGS_MAX_ADAPTERS];
	size_t n_names;
	const struct settings_table *tables[SETTINGS_MAX_ADAPTERS];
	const char *table_names[SETTINGS_MAX_ADAPTERS]; /* the adapter each table belongs to */
	size_t n_tables;
};

/* The YAML key of a core key (a check target's is its kind's name). */
const char *setting_key_yaml(const struct setting_key_info *info);

/* The flag of a key, without "--", into buf. */
const char *setting_key_flag(const struct setting_key_info *info, char *buf, size_t len);

/* The key whose flag is flag (without "--"), core or adapter (adapters may be NULL); NULL
 * when none. */
const struct setting_key_info *setting_key_by_flag(const struct settings_adapters *adapters,
						   const char *flag);

/* The adapter key at flat index i (tables in order, keys in order), or NULL past the end. */
const struct setting_key_info *setting_adapter_key(const struct settings_adapters *adapters,
						   size_t i);

/* The flat index (as setting_adapter_key counts) of the adapter key whose YAML key is
 * yaml_name, or -1 when no adapter declares it. */
int setting_adapter_key_by_yaml(const struct settings_adapters *adapters, const char *yaml_name);

/* A core key an adapter's overrides may give, named as an orchestrator's metadata names it:
 * its YAML key (version, name, tcp, interval_ms, ...) or its env name without KEEPVIP_ in
 * lower case (vrrp_version, instance_name, check_port, ...), any case. NULL when none. */
const struct setting_key_info *setting_key_for_override(const char *name);

#endif
