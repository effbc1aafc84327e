/* settings_raw.h — private to the settings layer (core/settings/settings_*.c).
 *
 * The raw settings: the text every source contributes for every key, each with its origin
 * (which source, which name, where in the file), before any parsing. settings_yaml.c fills
 * them from the YAML file and checks only the file's shape (known keys, no duplicates,
 * single values where single values belong); settings_gather.c adds the flat lookups (flag,
 * env, adapter) by precedence; settings_instance.c and settings.c parse and validate them
 * with the parsers of settings_values.c; settings_error.c words the errors. Keeping the
 * origin with the text is what lets every error name its source and place. The key names
 * are those of setting_keys.h. */
#ifndef KEEPVIP_SETTINGS_RAW_H
#define KEEPVIP_SETTINGS_RAW_H

#include "setting_keys.h"
#include "settings.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

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
	const struct settings_adapters *adapters;  /* their keys: adapter_values, same order */
	struct raw_value adapter_values[SETTINGS_MAX_ADAPTER_KEYS];
	size_t n_adapter_values;
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


/* ---- errors (settings_error.c) ---- */

struct errbuf {
	char *buf;
	size_t len;
};

#define QUOTE_LEN 96

/* Writes "<place>: " for an origin followed by the formatted message into err:
 * "path:12:7: advert_ms: ...", "env KEEPVIP_VRID: ...", or the bare message when the origin is
 * unset. Returns -EINVAL. */
int settings_origin_error(char *err, size_t err_len, const struct origin *at, const char *fmt,
			  ...) __attribute__((format(printf, 4, 5)));

/* The value in double quotes, non-printable bytes as \xNN, cut with "..." when long. */
const char *settings_quoted(const char *text, char *buf, size_t len);

/* A value that is not what it must be. The predicate reads after "is not" / "must be":
 *   env KEEPVIP_VRID: "300" is not between 1 and 255
 *   /etc/keepvip.yml:12:7: advert_ms: must be a multiple of 10 between 10 and 40950 */
int settings_value_error(struct errbuf *e, const struct raw_value *v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- steps (settings_gather.c, settings_instance.c) ---- */

/* The YAML file, then the lookups (adapter, env, flags), each at its level. */
int settings_gather(const struct settings_inputs *in, struct raw_settings *raw,
		    struct errbuf *e);

/* One instance, parsed and checked. */
int settings_resolve_instance(struct errbuf *e, const struct raw_instance *ri,
			      struct instance_settings *inst);

/* Rules across instances: instance j against the ones before it. */
int settings_check_across(struct errbuf *e, const struct raw_settings *raw,
			  const struct settings *s, size_t j);

#endif
