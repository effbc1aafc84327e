/* settings.c — settings_load and the settings as a whole (DESIGN.md "Settings").
 *
 * Three steps, in this order, on raw text that keeps its origin (settings_raw.h):
 *   gather:   every source by precedence (settings_gather.c, settings_yaml.c);
 *   resolve:  the globals and the adapters' settings here, each instance in
 *             settings_instance.c: every value parsed and range-checked, defaults filled,
 *             each error naming the origin of the value that is wrong; then each adapter
 *             table's own rules;
 *   check:    rules across instances (settings_instance.c).
 * Nothing is returned half-done: settings_load fills *out completely or fails. */
#include "settings_values.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_STATUS_ADDR "127.0.0.1:9650"
#define ORCHESTRATOR_AUTO "auto"

/* ---------------------------------------------------------------- globals */

static int resolve_status_addr(struct errbuf *e, const struct raw_value *v, struct settings *s)
{
	snprintf(s->status_addr, sizeof(s->status_addr), "%s", DEFAULT_STATUS_ADDR);
	if (v->at.level == LEVEL_UNSET)
		return 0;
	if (strcasecmp(v->text, "off") == 0) {
		snprintf(s->status_addr, sizeof(s->status_addr), "off");
		return 0;
	}
	if (strlen(v->text) >= sizeof(s->status_addr) || !settings_valid_host_port(v->text))
		return settings_value_error(e, v,
					    "\"off\" or HOST:PORT (such as 127.0.0.1:9650 or "
					    "[::1]:9650)");
	snprintf(s->status_addr, sizeof(s->status_addr), "%s", v->text);
	return 0;
}

/* "auto" and the adapters' names (from the registry, through the inputs). */
static int resolve_orchestrator(struct errbuf *e, const struct raw_value *v,
				const struct settings_adapters *adapters, struct settings *s)
{
	const char *names[SETTINGS_MAX_ADAPTERS + 1] = { ORCHESTRATOR_AUTO };
	char predicate[SETTINGS_MAX_ADAPTERS * (SETTINGS_NAME_LEN + 2) + 16] = "one of auto";
	size_t n = 1;
	int chosen = 0;

	for (size_t i = 0; adapters != NULL && i < adapters->n_names && n < COUNT_OF(names); i++) {
		names[n++] = adapters->names[i];
		size_t used = strlen(predicate);
		snprintf(predicate + used, sizeof(predicate) - used, ", %s", adapters->names[i]);
	}
	int rc = settings_resolve_choice(e, v, names, n, predicate, 0, &chosen);
	if (rc == 0)
		snprintf(s->orchestrator, sizeof(s->orchestrator), "%s", names[chosen]);
	return rc;
}

static int resolve_globals(struct errbuf *e, const struct raw_settings *raw,
			   const struct settings_inputs *in, struct settings *s)
{
	int format = LOG_FORMAT_TEXT, level = LOG_LEVEL_INFO;
	int rc = resolve_orchestrator(e, &raw->globals[SK_ORCHESTRATOR], in->adapters, s);

	if (rc == 0)
		rc = resolve_status_addr(e, &raw->globals[SK_STATUS_ADDR], s);
	if (rc == 0)
		rc = settings_resolve_choice(e, &raw->globals[SK_LOG_FORMAT],
					     settings_log_format_names,
					     COUNT_OF(settings_log_format_names), "one of text, json",
					     LOG_FORMAT_TEXT, &format);
	if (rc == 0)
		rc = settings_resolve_choice(e, &raw->globals[SK_LOG_LEVEL],
					     settings_log_level_names,
					     COUNT_OF(settings_log_level_names),
					     "one of error, warn, info, debug", LOG_LEVEL_INFO, &level);
	if (rc == 0)
		rc = settings_resolve_u8(e, &raw->globals[SK_REALTIME_PRIORITY], 0,
					 SETTINGS_RT_PRIORITY_MAX, 0, &s->realtime_priority);
	s->log_format = (enum log_format)format;
	s->log_level = (enum log_level)level;
	if (rc == 0 && in->yaml_text != NULL && in->yaml_path != NULL)
		snprintf(s->config_path, sizeof(s->config_path), "%s", in->yaml_path);
	return rc;
}

/* ---------------------------------------------------------------- adapters' settings */

/* What an adapter table's validate sees: the values resolved so far and their origins. */
struct settings_rules {
	struct errbuf *e;
	const struct raw_settings *raw;
	const struct settings *s;
};

static const struct adapter_setting *find_value(const struct settings *s, const char *env_name,
						size_t *index)
{
	for (size_t i = 0; s != NULL && i < s->n_adapter_values; i++) {
		if (strcmp(s->adapter_values[i].key->env, env_name) == 0) {
			if (index != NULL)
				*index = i;
			return &s->adapter_values[i];
		}
	}
	return NULL;
}

const char *settings_get(const struct settings *s, const char *env_name)
{
	const struct adapter_setting *v = find_value(s, env_name, NULL);
	return v != NULL && v->set ? v->value : NULL;
}

uint32_t settings_get_uint(const struct settings *s, const char *env_name, uint32_t fallback)
{
	const char *text = settings_get(s, env_name);
	unsigned long long n;
	return text != NULL && settings_parse_number(text, &n) && n <= UINT32_MAX ? (uint32_t)n
										    : fallback;
}

const char *settings_rules_get(const struct settings_rules *r, const char *env_name)
{
	return settings_get(r->s, env_name);
}

int settings_rules_fail(const struct settings_rules *r, const char *env_name, const char *fmt,
			...)
{
	char message[SETTINGS_ERR_LEN];
	size_t i = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	const struct origin *at = find_value(r->s, env_name, &i) != NULL
					  ? &r->raw->adapter_values[i].at
					  : NULL;
	return settings_origin_error(r->e->buf, r->e->len, at, "%s", message);
}

static int resolve_adapter_values(struct errbuf *e, const struct raw_settings *raw,
				  struct settings *s)
{
	struct settings_rules rules = { .e = e, .raw = raw, .s = s };

	for (size_t i = 0; i < raw->n_adapter_values; i++) {
		struct adapter_setting *v = &s->adapter_values[i];
		v->key = setting_adapter_key(raw->adapters, i);
		v->set = raw->adapter_values[i].at.level != LEVEL_UNSET;
		int rc = settings_resolve_adapter_value(e, v->key, &raw->adapter_values[i],
							v->value, sizeof(v->value));
		if (rc < 0)
			return rc;
		s->n_adapter_values = i + 1;
	}
	for (size_t t = 0; raw->adapters != NULL && t < raw->adapters->n_tables; t++) {
		const struct settings_table *table = raw->adapters->tables[t];
		int rc = table->validate != NULL ? table->validate(&rules) : 0;
		if (rc < 0)
			return rc;
	}
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

	if (rc == 0)
		rc = resolve_adapter_values(e, raw, s);
	for (size_t i = 0; rc == 0 && i < raw->n_instances; i++) {
		memset(&s->instances[i], 0, sizeof(s->instances[i]));
		rc = settings_resolve_instance(e, &raw->instances[i], &s->instances[i]);
		s->n_instances = i + 1;
	}
	for (size_t j = 1; rc == 0 && j < s->n_instances; j++)
		rc = settings_check_across(e, raw, s, j);
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
	rc = settings_gather(in, raw, &e);
	if (rc == 0)
		rc = resolve_all(&e, raw, in, out);
	raw_free(raw);
	if (rc < 0)
		settings_clear(out, out->n_instances);
	return rc;
}

const char *settings_getenv(const char *env_name, void *ctx)
{
	(void)ctx;
	return getenv(env_name);
}
