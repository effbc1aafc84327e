/* settings_gather.c — every source's text into the raw settings, by precedence: the YAML file
 * (settings_yaml.c), then the flat lookups — adapter, env, flags — each value stored at its
 * source's level; a value replaces one of a lower or equal level only, so precedence is
 * flag > env > YAML > adapter > default. The lookups are asked for the core's keys and for
 * the adapters' keys alike (setting_keys.h). */
#include "settings_raw.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

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

/* The value under the env name, else under the alias; an empty value counts as unset
 * (a catalog form left blank). *name_used says which name answered. */
static const char *lookup_key(const struct settings_source *src,
			      const struct setting_key_info *info, const char **name_used)
{
	const char *names[2] = { info->env, info->alias };

	for (size_t i = 0; i < 2; i++) {
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
	if (!setting_keys[key].one_instance || raw->n_yaml_instances <= 1)
		return 0;
	if (value->at.level == LEVEL_ADAPTER) {
		*skip = true;
		return 0;
	}
	return settings_origin_error(e->buf, e->len, &value->at,
				     "names one instance, but %s holds %zu instances: set %s in "
				     "each entry of instances instead",
				     raw->yaml_path, raw->n_yaml_instances,
				     setting_key_yaml(&setting_keys[key]));
}

static int apply_core_key(struct errbuf *e, struct raw_settings *raw, enum setting_key key,
			  const struct raw_value *value)
{
	bool skip;

	if (setting_keys[key].scope == SCOPE_GLOBAL) {
		put_value(&raw->globals[key], value);
		return 0;
	}
	int rc = check_one_instance(e, raw, key, value, &skip);
	for (size_t i = 0; rc == 0 && !skip && i < raw->n_instances; i++)
		put_instance_value(&raw->instances[i], key, value);
	return rc;
}

static int apply_lookup(struct errbuf *e, struct raw_settings *raw,
			const struct settings_source *src, enum origin_level level,
			const char *fallback_name)
{
	struct raw_value value = { .at = { .level = level,
					   .source = source_name(src, fallback_name) } };

	if (src->lookup == NULL)
		return 0;
	for (int key = 0; key < SK_COUNT; key++) {
		value.text = lookup_key(src, &setting_keys[key], &value.at.name);
		if (value.text == NULL)
			continue;
		int rc = apply_core_key(e, raw, (enum setting_key)key, &value);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < raw->n_adapter_values; i++) {
		value.text = lookup_key(src, setting_adapter_key(raw->adapters, i), &value.at.name);
		if (value.text != NULL)
			put_value(&raw->adapter_values[i], &value);
	}
	return 0;
}

static size_t count_adapter_keys(const struct settings_adapters *adapters)
{
	size_t n = 0;
	while (setting_adapter_key(adapters, n) != NULL)
		n++;
	return n;
}

int settings_gather(const struct settings_inputs *in, struct raw_settings *raw,
		    struct errbuf *e)
{
	int rc = 0;

	raw->adapters = in->adapters;
	raw->n_adapter_values = count_adapter_keys(in->adapters);
	if (raw->n_adapter_values > SETTINGS_MAX_ADAPTER_KEYS)
		return settings_origin_error(e->buf, e->len, NULL,
					     "the adapters declare %zu settings, more than %d",
					     raw->n_adapter_values, SETTINGS_MAX_ADAPTER_KEYS);
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
