/* settings_yaml.h — private to settings.c and settings_yaml.c.
 *
 * The raw settings: the text every source contributes for every key, each with its origin
 * (which source, which name, where in the file), before any parsing. settings_yaml.c fills
 * them from the YAML file and checks only the file's shape (known keys, no duplicates,
 * single values where single values belong); settings.c adds the flat lookups (flag, env,
 * adapter), resolves precedence by origin level and validates. Keeping the origin with the
 * text is what lets every error name its source and place. */
#ifndef KEEPVIP_SETTINGS_YAML_H
#define KEEPVIP_SETTINGS_YAML_H

#include "settings.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Every setting, instance and global. */
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
	SK_ORCHESTRATOR,
	SK_STATUS_ADDR,
	SK_LOG_FORMAT,
	SK_LOG_LEVEL,
	SK_PEERS_FILE,
	SK_COUNT
};

enum setting_scope {
	SCOPE_INSTANCE, /* a key of an instance mapping */
	SCOPE_CHECK,    /* a key of one entry of an instance's checks list */
	SCOPE_GLOBAL,   /* a top-level key */
};

struct setting_key_info {
	const char *env;       /* KEEPVIP_... */
	const char *alias;     /* the seed catalog's name, or NULL */
	const char *yaml;      /* the YAML key within its mapping */
	enum setting_scope scope;
	bool one_instance;     /* names a single instance (VIPs, VRID, name) */
	bool list;             /* a list: YAML sequence or comma-separated text */
};

/* Indexed by enum setting_key; defined in settings.c. */
extern const struct setting_key_info settings_key_info[SK_COUNT];

/* Precedence, lowest first (DESIGN.md: flag > env > YAML > adapter > default). */
enum origin_level { LEVEL_UNSET = 0, LEVEL_ADAPTER, LEVEL_YAML, LEVEL_ENV, LEVEL_FLAG };

struct origin {
	enum origin_level level;
	const char *source;       /* lookups: "env", "flag", "adapter ..."; YAML: the file's path */
	const char *name;         /* the env name actually used (an alias too), or the YAML key */
	unsigned long line, col;  /* YAML only: 1-based */
};

/* One value as text. at.level == LEVEL_UNSET: not given. The text is borrowed: from the
 * lookup, or from the YAML document that struct raw_settings keeps alive. */
struct raw_value {
	const char *text;
	struct origin at;
};

#define RAW_LIST_MAX SETTINGS_MAX_PEERS

/* A list key: YAML sequence items, or one comma-separated text (split when resolved). */
struct raw_list {
	struct raw_value items[RAW_LIST_MAX];
	size_t n; /* 0: not given; all items share one level */
};

enum check_tuning {
	TUNE_INTERVAL_MS = 0,
	TUNE_TIMEOUT_MS,
	TUNE_RISE,
	TUNE_FALL,
	TUNE_WEIGHT,
	TUNE_COUNT
};

/* The setting_key of each tuning value. Defined in settings.c. */
extern const enum setting_key check_tuning_key[TUNE_COUNT];

/* One entry of a YAML checks list. */
struct raw_check {
	enum check_kind kind;
	struct raw_value target;            /* the port, URL or command */
	struct raw_value tuning[TUNE_COUNT];
};

struct raw_instance {
	struct raw_value values[SK_COUNT]; /* scalar keys, and the lookups' check keys */
	struct raw_list vips, peers;
	struct raw_check checks[SETTINGS_MAX_CHECKS]; /* from YAML */
	size_t n_checks;
	struct origin checks_at;   /* the YAML checks key: level YAML when given */
	struct origin place;       /* where the instance starts in the file; level UNSET if none */
};

struct raw_settings {
	struct raw_value globals[SK_COUNT];
	struct raw_instance *instances; /* owned, calloc'd */
	size_t n_instances;
	size_t n_yaml_instances;        /* instances the file describes (0: no file or empty) */
	const char *yaml_path;
	void *yaml_doc;                 /* owned: the parsed document the texts point into */
};

/* Parses the YAML text into raw (instances allocated here; globals and instance values at
 * LEVEL_YAML). An empty file describes no instance. 0, or -EINVAL / -ENOMEM with a message
 * "path:line:col: key: what" in err. On error raw may hold partial data: release it. */
int settings_yaml_read(const char *text, size_t len, const char *path, struct raw_settings *raw,
		       char *err, size_t err_len);

/* Frees what settings_yaml_read allocated (the document). Accepts a raw without one. */
void settings_yaml_release(struct raw_settings *raw);

/* Writes "<place>: " for an origin followed by the formatted message into err:
 * "path:12:7: advert_ms: ...", "env KEEPVIP_VRID: ...", or the bare message when the origin is
 * unset. Returns -EINVAL. Defined in settings.c. */
int settings_origin_error(char *err, size_t err_len, const struct origin *at, const char *fmt,
			  ...) __attribute__((format(printf, 4, 5)));

#endif
