/* settings_yaml.c — the YAML settings file into raw settings (libyaml document API).
 *
 * Two shapes are accepted:
 *   one instance:   its keys at the top level, next to the global keys;
 *   several:        "instances:" a list of mappings, the global keys at the top level.
 * Global keys: orchestrator, status_addr, log: {format, level} (or log_format, log_level),
 * and the adapters' keys (handed in by the app). Every key name comes from the key
 * registry (setting_keys.h) and the check kinds' ops tables. Only the shape is checked
 * here — known keys, no duplicate, a single value where a single value belongs — and every
 * value keeps its line:col (libyaml marks are 0-based; the messages are 1-based).
 * settings_instance.c and settings.c parse and validate the values.
 *
 * The walk follows the fixed schema above and never recurses into arbitrary nodes, so
 * anchors and aliases (even self-referencing ones) cannot make it loop or blow up. */
#include "settings_raw.h"
#include "yaml_depth.h"

#include <stdio.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct yaml_reader {
	yaml_document_t *doc;
	const char *path;
	struct raw_settings *raw;
	char *err;
	size_t err_len;
};

static struct origin node_origin(const struct yaml_reader *r, const yaml_node_t *node,
				 const char *name)
{
	return (struct origin){
		.level = LEVEL_YAML,
		.source = r->path,
		.name = name,
		.line = (unsigned long)node->start_mark.line + 1,
		.col = (unsigned long)node->start_mark.column + 1,
	};
}

static int fail_at(const struct yaml_reader *r, const yaml_node_t *node, const char *name,
		   const char *what)
{
	struct origin at = node_origin(r, node, name);
	return settings_origin_error(r->err, r->err_len, &at, "%s", what);
}

static const char *scalar_text(const yaml_node_t *node)
{
	return (const char *)node->data.scalar.value;
}

/* A plain empty, "~" or "null" scalar: the key is present but says nothing. */
static bool scalar_is_null(const yaml_node_t *node)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return node->data.scalar.length == 0;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(scalar_text(node), nulls[i]) == 0)
			return true;
	return false;
}

/* A single value for key name into *out; a null value leaves *out unset. */
static int read_scalar(const struct yaml_reader *r, const yaml_node_t *node, const char *name,
		       struct raw_value *out)
{
	if (node->type != YAML_SCALAR_NODE)
		return fail_at(r, node, name, "must be a single value, not a list or a mapping");
	if (strlen(scalar_text(node)) != node->data.scalar.length)
		return fail_at(r, node, name, "must not contain a NUL character");
	if (scalar_is_null(node))
		return 0;
	if (out->at.level == LEVEL_YAML)
		return fail_at(r, node, name, "is given twice in the file");
	out->text = scalar_text(node);
	out->at = node_origin(r, node, name);
	return 0;
}

/* A list key: one text (comma-separated, split later) or a sequence of single values. */
static int read_list(const struct yaml_reader *r, const yaml_node_t *node, const char *name,
		     struct raw_list *out)
{
	if (node->type == YAML_SCALAR_NODE) {
		struct raw_value value = { 0 };
		int rc = read_scalar(r, node, name, &value);
		if (rc == 0 && value.at.level != LEVEL_UNSET) {
			out->items[0] = value;
			out->n = 1;
		}
		return rc;
	}
	if (node->type != YAML_SEQUENCE_NODE)
		return fail_at(r, node, name, "must be a list or a comma-separated text");

	for (yaml_node_item_t *item = node->data.sequence.items.start;
	     item < node->data.sequence.items.top; item++) {
		yaml_node_t *child = yaml_document_get_node(r->doc, *item);
		struct raw_value value = { 0 };
		if (child == NULL)
			continue;
		int rc = read_scalar(r, child, name, &value);
		if (rc < 0)
			return rc;
		if (value.at.level == LEVEL_UNSET)
			continue;
		if (out->n == RAW_LIST_MAX)
			return fail_at(r, child, name, "too many entries");
		out->items[out->n++] = value;
	}
	return 0;
}

/* Keys must be single values and appear once per mapping. */
static int check_keys(const struct yaml_reader *r, const yaml_node_t *mapping)
{
	for (yaml_node_pair_t *pair = mapping->data.mapping.pairs.start;
	     pair < mapping->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(r->doc, pair->key);
		if (key == NULL || key->type != YAML_SCALAR_NODE)
			return fail_at(r, key ? key : mapping, NULL,
				       "a key must be a single word, not a list or a mapping");
		for (yaml_node_pair_t *prev = mapping->data.mapping.pairs.start; prev < pair;
		     prev++) {
			yaml_node_t *prev_key = yaml_document_get_node(r->doc, prev->key);
			if (strcmp(scalar_text(prev_key), scalar_text(key)) == 0)
				return fail_at(r, key, scalar_text(key),
					       "duplicate key (given twice in the same mapping)");
		}
	}
	return 0;
}

static int find_key(const char *yaml_name, enum setting_scope scope)
{
	for (int key = 0; key < SK_COUNT; key++)
		if (setting_keys[key].scope == scope && setting_keys[key].yaml != NULL &&
		    strcmp(setting_keys[key].yaml, yaml_name) == 0)
			return key;
	return -1;
}

static int expect_mapping(const struct yaml_reader *r, const yaml_node_t *node, const char *name,
			  const char *what)
{
	if (node->type == YAML_MAPPING_NODE)
		return check_keys(r, node);
	return fail_at(r, node, name, what);
}

/* "tcp, http or script" (last " or ") or "tcp, http, script" (last ", "): the check
 * kinds' names, from their ops tables. */
static const char *kind_names(char *buf, size_t len, const char *last)
{
	size_t used = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k < CHECK_KIND_COUNT && used < len; k++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 k == 0 ? "" : k + 1 == CHECK_KIND_COUNT ? last : ", ",
					 check_kind_name((enum check_kind)k));
	return buf;
}

static int read_check_key(const struct yaml_reader *r, const yaml_node_t *key,
			  const yaml_node_t *value, struct raw_check *check, bool *has_kind)
{
	const char *name = scalar_text(key);
	char kinds[64], what[160];
	enum check_kind kind;

	if (check_kind_find(name, &kind)) {
		if (*has_kind) {
			snprintf(what, sizeof(what), "a check is one of %s, not several",
				 kind_names(kinds, sizeof(kinds), " or "));
			return fail_at(r, key, name, what);
		}
		*has_kind = true;
		check->kind = kind;
		return read_scalar(r, value, name, &check->target);
	}
	for (int t = 0; t < TUNE_COUNT; t++)
		if (strcmp(name, setting_keys[check_tuning_key[t]].yaml) == 0)
			return read_scalar(r, value, name, &check->tuning[t]);
	int used = snprintf(what, sizeof(what), "unknown key in a check (%s",
			    kind_names(kinds, sizeof(kinds), ", "));
	for (int t = 0; t < TUNE_COUNT && used > 0 && (size_t)used < sizeof(what); t++)
		used += snprintf(what + used, sizeof(what) - (size_t)used, ", %s",
				 setting_keys[check_tuning_key[t]].yaml);
	if (used > 0 && (size_t)used < sizeof(what))
		snprintf(what + used, sizeof(what) - (size_t)used, ")");
	return fail_at(r, key, name, what);
}

static int read_check(const struct yaml_reader *r, const yaml_node_t *node,
		      struct raw_check *check)
{
	bool has_kind = false;
	int rc = expect_mapping(r, node, "checks",
				"each check must be a mapping such as {tcp: 80}");
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
	     rc == 0 && pair < node->data.mapping.pairs.top; pair++)
		rc = read_check_key(r, yaml_document_get_node(r->doc, pair->key),
				    yaml_document_get_node(r->doc, pair->value), check, &has_kind);
	if (rc == 0 && (!has_kind || check->target.at.level == LEVEL_UNSET)) {
		char kinds[64], what[96];
		snprintf(what, sizeof(what), "each check needs one of %s",
			 kind_names(kinds, sizeof(kinds), " or "));
		return fail_at(r, node, "checks", what);
	}
	return rc;
}

static int read_checks(const struct yaml_reader *r, const yaml_node_t *node,
		       struct raw_instance *inst)
{
	if (node->type == YAML_SCALAR_NODE && scalar_is_null(node)) {
		inst->checks_at = node_origin(r, node, "checks");
		return 0;
	}
	if (node->type != YAML_SEQUENCE_NODE)
		return fail_at(r, node, "checks", "must be a list such as [{tcp: 80}]");
	inst->checks_at = node_origin(r, node, "checks");
	for (yaml_node_item_t *item = node->data.sequence.items.start;
	     item < node->data.sequence.items.top; item++) {
		yaml_node_t *child = yaml_document_get_node(r->doc, *item);
		if (inst->n_checks == SETTINGS_MAX_CHECKS)
			return fail_at(r, child, "checks", "at most 8 checks per instance");
		int rc = read_check(r, child, &inst->checks[inst->n_checks++]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int read_instance_key(const struct yaml_reader *r, const yaml_node_t *key,
			     const yaml_node_t *value, struct raw_instance *inst)
{
	const char *name = scalar_text(key);
	int sk = find_key(name, SCOPE_INSTANCE);

	if (strcmp(name, "checks") == 0)
		return read_checks(r, value, inst);
	if (sk == SK_VIPS)
		return read_list(r, value, name, &inst->vips);
	if (sk == SK_PEERS)
		return read_list(r, value, name, &inst->peers);
	if (sk >= 0)
		return read_scalar(r, value, name, &inst->values[sk]);
	return fail_at(r, key, name, "unknown key");
}

static int read_instance(const struct yaml_reader *r, const yaml_node_t *node,
			 struct raw_instance *inst)
{
	int rc = expect_mapping(r, node, "instances",
				"each instance must be a mapping of settings");
	inst->place = node_origin(r, node, NULL);
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
	     rc == 0 && pair < node->data.mapping.pairs.top; pair++)
		rc = read_instance_key(r, yaml_document_get_node(r->doc, pair->key),
				       yaml_document_get_node(r->doc, pair->value), inst);
	return rc;
}

static int read_log(const struct yaml_reader *r, const yaml_node_t *node)
{
	int rc = expect_mapping(r, node, "log", "must be a mapping such as {format: json}");
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
	     rc == 0 && pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = yaml_document_get_node(r->doc, pair->key);
		yaml_node_t *value = yaml_document_get_node(r->doc, pair->value);
		const char *name = scalar_text(key);
		if (strcmp(name, "format") == 0)
			rc = read_scalar(r, value, "log.format", &r->raw->globals[SK_LOG_FORMAT]);
		else if (strcmp(name, "level") == 0)
			rc = read_scalar(r, value, "log.level", &r->raw->globals[SK_LOG_LEVEL]);
		else
			rc = fail_at(r, key, name, "unknown key in log (format, level)");
	}
	return rc;
}

static int alloc_instances(struct raw_settings *raw, size_t n)
{
	raw->instances = calloc(n, sizeof(*raw->instances));
	if (raw->instances == NULL)
		return -ENOMEM;
	raw->n_instances = n;
	raw->n_yaml_instances = n;
	return 0;
}

static int read_instances(const struct yaml_reader *r, const yaml_node_t *node)
{
	if (node->type != YAML_SEQUENCE_NODE)
		return fail_at(r, node, "instances", "must be a list of instance mappings");
	size_t n = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	if (n == 0)
		return fail_at(r, node, "instances", "must list at least one instance");
	if (n > SETTINGS_MAX_INSTANCES)
		return fail_at(r, node, "instances", "at most 255 instances");
	if (alloc_instances(r->raw, n) < 0)
		return settings_origin_error(r->err, r->err_len, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *child =
			yaml_document_get_node(r->doc, node->data.sequence.items.start[i]);
		int rc = read_instance(r, child, &r->raw->instances[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A top-level key: a global one, instances, or (single-instance shape) an instance key. */
static int read_top_key(const struct yaml_reader *r, const yaml_node_t *key,
			const yaml_node_t *value, bool has_instances)
{
	const char *name = scalar_text(key);
	int sk = find_key(name, SCOPE_GLOBAL);
	int adapter_key = setting_adapter_key_by_yaml(r->raw->adapters, name);

	if (strcmp(name, "instances") == 0)
		return read_instances(r, value);
	if (strcmp(name, "log") == 0)
		return read_log(r, value);
	if (sk >= 0)
		return read_scalar(r, value, name, &r->raw->globals[sk]);
	if (adapter_key >= 0)
		return read_scalar(r, value, name, &r->raw->adapter_values[adapter_key]);
	if (find_key(name, SCOPE_INSTANCE) >= 0 || strcmp(name, "checks") == 0) {
		if (has_instances)
			return fail_at(r, key, name,
				       "belongs inside an entry of instances (this file has an "
				       "instances list)");
		return read_instance_key(r, key, value, &r->raw->instances[0]);
	}
	return fail_at(r, key, name, "unknown key");
}

static bool mapping_has_key(const struct yaml_reader *r, const yaml_node_t *mapping,
			    const char *name)
{
	for (yaml_node_pair_t *pair = mapping->data.mapping.pairs.start;
	     pair < mapping->data.mapping.pairs.top; pair++)
		if (strcmp(scalar_text(yaml_document_get_node(r->doc, pair->key)), name) == 0)
			return true;
	return false;
}

static int read_root(const struct yaml_reader *r, const yaml_node_t *root)
{
	int rc = expect_mapping(r, root, NULL,
				"the file must be a mapping of settings (key: value)");
	if (rc < 0)
		return rc;
	bool has_instances = mapping_has_key(r, root, "instances");
	if (!has_instances) {
		if (alloc_instances(r->raw, 1) < 0)
			return settings_origin_error(r->err, r->err_len, NULL, "out of memory");
		r->raw->instances[0].place = node_origin(r, root, NULL);
	}
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
	     rc == 0 && pair < root->data.mapping.pairs.top; pair++)
		rc = read_top_key(r, yaml_document_get_node(r->doc, pair->key),
				  yaml_document_get_node(r->doc, pair->value), has_instances);
	return rc;
}

static int parser_error(const yaml_parser_t *parser, const char *path, char *err,
			size_t err_len)
{
	struct origin at = {
		.level = LEVEL_YAML,
		.source = path,
		.line = (unsigned long)parser->problem_mark.line + 1,
		.col = (unsigned long)parser->problem_mark.column + 1,
	};
	if (parser->error == YAML_MEMORY_ERROR)
		return settings_origin_error(err, err_len, NULL, "%s: out of memory", path);
	return settings_origin_error(err, err_len, &at, "%s%s%s%s",
				     parser->problem ? parser->problem : "not valid YAML",
				     parser->context ? " (" : "",
				     parser->context ? parser->context : "",
				     parser->context ? ")" : "");
}

/* Loads the first document; a second one is an error (one file, one set of settings). */
static int load_document(const char *text, size_t len, const char *path, yaml_document_t *doc,
			 char *err, size_t err_len)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	struct origin deep = { .level = LEVEL_YAML, .source = path };
	int rc = yaml_depth_exceeded(text, len, YAML_DEPTH_MAX, &deep.line, &deep.col);

	if (rc == -ENOMEM)
		return settings_origin_error(err, err_len, NULL, "%s: out of memory", path);
	if (rc > 0)
		return settings_origin_error(err, err_len, &deep, "nested deeper than %d levels",
					     YAML_DEPTH_MAX);
	if (!yaml_parser_initialize(&parser))
		return settings_origin_error(err, err_len, NULL, "%s: out of memory", path);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, doc)) {
		rc = parser_error(&parser, path, err, err_len);
		yaml_parser_delete(&parser);
		return rc;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		rc = parser_error(&parser, path, err, err_len);
	} else {
		yaml_node_t *second = yaml_document_get_root_node(&extra);
		if (second != NULL) {
			struct origin at = { .level = LEVEL_YAML,
					     .source = path,
					     .line = (unsigned long)second->start_mark.line + 1,
					     .col = (unsigned long)second->start_mark.column + 1 };
			rc = settings_origin_error(err, err_len, &at,
						   "a second YAML document: the file holds one");
		}
		yaml_document_delete(&extra);
	}
	yaml_parser_delete(&parser);
	if (rc < 0)
		yaml_document_delete(doc);
	return rc;
}

int settings_yaml_read(const char *text, size_t len, const char *path, struct raw_settings *raw,
		       char *err, size_t err_len)
{
	yaml_document_t *doc = calloc(1, sizeof(*doc));
	if (doc == NULL)
		return settings_origin_error(err, err_len, NULL, "%s: out of memory", path);
	int rc = load_document(text, len, path, doc, err, err_len);
	if (rc < 0) {
		free(doc);
		return rc;
	}
	raw->yaml_doc = doc;
	raw->yaml_path = path;

	yaml_node_t *root = yaml_document_get_root_node(doc);
	if (root == NULL)
		return 0; /* an empty file describes no instance */
	struct yaml_reader reader = {
		.doc = doc, .path = path, .raw = raw, .err = err, .err_len = err_len
	};
	return read_root(&reader, root);
}

void settings_yaml_release(struct raw_settings *raw)
{
	if (raw->yaml_doc != NULL) {
		yaml_document_delete(raw->yaml_doc);
		free(raw->yaml_doc);
		raw->yaml_doc = NULL;
	}
}
