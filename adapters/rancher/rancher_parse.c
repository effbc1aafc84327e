/* rancher_parse.c — Rancher metadata answers (JSON) into a discovery; see rancher_parse.h.
 * Field names and types follow ../shared/reference/rancher-metadata.md §4; unknown fields
 * are ignored, fields we use are type-checked and a mismatch names the field. */
#include "rancher_parse.h"

#include "json_read.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define STACK_SERVICE_LABEL "io.rancher.stack_service.name"
#define METADATA_ROOT "keepvip"

/* ---- container states ------------------------------------------------------------------ */

static const char *const peer_states[] = {
	"running", "starting", "restarting", "stopping", "updating-running",
};

bool rancher_state_is_peer(const char *state)
{
	if (state == NULL)
		return true; /* very old data without a state: published means present */
	for (size_t i = 0; i < sizeof(peer_states) / sizeof(peer_states[0]); i++)
		if (strcmp(state, peer_states[i]) == 0)
			return true;
	return false;
}

/* ---- scalars --------------------------------------------------------------------------- */

int rancher_parse_version(const char *body, size_t len, char *out, size_t out_len, char *err,
			  size_t err_len)
{
	json_t *root = jr_load(body, len, 0, NULL, err, err_len);
	int rc = 0;
	if (root == NULL)
		return -EBADMSG;
	if (!json_is_string(root))
		rc = jr_fail(err, err_len, -EBADMSG, "version: expected a string, got %s",
			     jr_type_name(root));
	else if (json_string_length(root) == 0 || json_string_length(root) >= out_len)
		rc = jr_fail(err, err_len, -EBADMSG, "version: empty or longer than %zu bytes",
			     out_len - 1);
	else
		snprintf(out, out_len, "%s", json_string_value(root));
	json_decref(root);
	return rc;
}

int rancher_parse_self_host(const char *body, size_t len, struct ip_addr *agent_ip, char *err,
			    size_t err_len)
{
	json_t *root = jr_load(body, len, 0, NULL, err, err_len);
	const char *ip = NULL;
	struct ip_addr parsed;
	int rc;
	if (root == NULL)
		return -EBADMSG;
	rc = jr_need_object(root, "host", err, err_len);
	if (rc == 0)
		rc = jr_opt_string(root, "agent_ip", "host.", &ip, err, err_len);
	if (rc == 0 && ip == NULL)
		rc = jr_fail(err, err_len, -EBADMSG, "host.agent_ip: missing");
	if (rc == 0 && ip_addr_parse(ip, &parsed) < 0)
		rc = jr_fail(err, err_len, -EBADMSG,
			     "host.agent_ip: \"%.64s\" is not an IP address",
			     ip);
	if (rc == 0)
		*agent_ip = parsed;
	json_decref(root);
	return rc;
}

/* ---- which service ---------------------------------------------------------------------- */

int rancher_parse_service_names(const char *body, size_t len, char *stack, char *service,
				char *err, size_t err_len)
{
	json_t *root = jr_load(body, len, 0, NULL, err, err_len);
	const char *s = NULL, *n = NULL;
	char st[RANCHER_NAME_LEN], sv[RANCHER_NAME_LEN];
	int rc;
	if (root == NULL)
		return -EBADMSG;
	rc = jr_need_object(root, "service", err, err_len);
	if (rc == 0)
		rc = jr_opt_string(root, "stack_name", "service.", &s, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(root, "name", "service.", &n, err, err_len);
	if (rc == 0)
		rc = jr_copy_text(st, sizeof(st), s, "service.stack_name", err, err_len);
	if (rc == 0)
		rc = jr_copy_text(sv, sizeof(sv), n, "service.name", err, err_len);
	if (rc == 0) {
		memcpy(stack, st, sizeof(st));
		memcpy(service, sv, sizeof(sv));
	}
	json_decref(root);
	return rc;
}

/* labels[key] of an object: 0 and *out (NULL when there is none), or -EBADMSG. */
static int label_string(const json_t *c, const char *where, const char *key, const char **out,
			char *err, size_t err_len)
{
	const json_t *labels = json_object_get(c, "labels");
	char field[96];
	int rc;

	*out = NULL;
	if (labels == NULL || json_is_null(labels))
		return 0;
	snprintf(field, sizeof(field), "%s.labels", where);
	rc = jr_need_object(labels, field, err, err_len);
	snprintf(field, sizeof(field), "%s.labels.", where);
	return rc < 0 ? rc : jr_opt_string(labels, key, field, out, err, err_len);
}

/* A container's stack and service: label "stack/service", else its stack_name/service_name.
 * *found false when it belongs to no service. */
static int container_service(const json_t *c, const char *where, char *stack, char *service,
			     bool *found, char *err, size_t err_len)
{
	const char *label = NULL, *s = NULL, *n = NULL, *slash;
	char field[96];
	int rc = label_string(c, where, STACK_SERVICE_LABEL, &label, err, err_len);

	*found = false;
	slash = label != NULL ? strchr(label, '/') : NULL;
	if (rc == 0 && slash != NULL) {
		rc = jr_copy_span(stack, RANCHER_NAME_LEN, label, (size_t)(slash - label),
				  STACK_SERVICE_LABEL, err, err_len);
		if (rc == 0)
			rc = jr_copy_text(service, RANCHER_NAME_LEN, slash + 1,
					  STACK_SERVICE_LABEL, err, err_len);
		*found = rc == 0;
		return rc;
	}
	snprintf(field, sizeof(field), "%s.", where);
	if (rc == 0)
		rc = jr_opt_string(c, "stack_name", field, &s, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(c, "service_name", field, &n, err, err_len);
	if (rc < 0 || s == NULL || n == NULL || s[0] == '\0' || n[0] == '\0')
		return rc; /* a standalone container */
	rc = jr_copy_text(stack, RANCHER_NAME_LEN, s, "stack_name", err, err_len);
	if (rc == 0)
		rc = jr_copy_text(service, RANCHER_NAME_LEN, n, "service_name", err, err_len);
	*found = rc == 0;
	return rc;
}

int rancher_find_own_service(const char *body, size_t len, const char *docker_id, char *stack,
			     char *service, char *err, size_t err_len)
{
	json_t *root = jr_load(body, len, 0, NULL, err, err_len);
	const json_t *c, *mine = NULL;
	char where[48], st[RANCHER_NAME_LEN], sv[RANCHER_NAME_LEN];
	size_t i, at = 0;
	bool found = false;
	int rc;

	if (root == NULL)
		return -EBADMSG;
	rc = jr_need_list(root, "containers", err, err_len);
	json_array_foreach(root, i, c) {
		const char *id = NULL;
		if (rc < 0 || mine != NULL)
			break;
		snprintf(where, sizeof(where), "containers[%zu]", i);
		rc = jr_need_object(c, where, err, err_len);
		snprintf(where, sizeof(where), "containers[%zu].", i);
		if (rc == 0)
			rc = jr_opt_string(c, "external_id", where, &id, err, err_len);
		if (rc == 0 && id != NULL && strcmp(id, docker_id) == 0) {
			mine = c;
			at = i;
		}
	}
	if (rc == 0 && mine == NULL)
		rc = jr_fail(err, err_len, -ENOENT, "no container has external_id %.12s...",
			     docker_id);
	if (rc == 0) {
		snprintf(where, sizeof(where), "containers[%zu]", at);
		rc = container_service(mine, where, st, sv, &found, err, err_len);
	}
	if (rc == 0 && !found)
		rc = jr_fail(err, err_len, -ENOENT, "%s: our container belongs to no service",
			     where);
	if (rc == 0) {
		memcpy(stack, st, sizeof(st));
		memcpy(service, sv, sizeof(sv));
	}
	json_decref(root);
	return rc;
}

/* ---- peers ------------------------------------------------------------------------------ */

static bool already_listed(const struct adapter_discovery *d, const struct ip_addr *a)
{
	for (size_t i = 0; i < d->n_peers; i++)
		if (ip_addr_equal(&d->peers[i], a))
			return true;
	return false;
}

/* One container of our service: a peer when its state says so and it has an address. */
static int add_container_peer(const json_t *c, const char *where, struct adapter_discovery *out,
			      char *err, size_t err_len)
{
	char field[128];
	const char *state = NULL, *ip = NULL;
	struct ip_addr addr;
	int rc = jr_need_object(c, where, err, err_len);

	snprintf(field, sizeof(field), "%s.", where);
	if (rc == 0)
		rc = jr_opt_string(c, "state", field, &state, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(c, "primary_ip", field, &ip, err, err_len);
	if (rc < 0 || !rancher_state_is_peer(state) || ip == NULL || ip[0] == '\0')
		return rc; /* stopped, or no address yet (being created) */
	if (ip_addr_parse(ip, &addr) < 0)
		return jr_fail(err, err_len, -EBADMSG,
			       "%s.primary_ip: \"%.64s\" is not an IP address",
			       where, ip);
	if ((out->has_self && ip_addr_equal(&addr, &out->self)) || already_listed(out, &addr))
		return 0; /* ourselves; or two host-network containers on one host */
	if (out->n_peers == ADAPTER_MAX_PEERS)
		return jr_fail(err, err_len, -E2BIG, "more than %d peers", ADAPTER_MAX_PEERS);
	out->peers[out->n_peers++] = addr;
	return 0;
}

/* Peers from a list of containers; when stack/service are given, only that service's. */
static int add_peers(const json_t *list, const char *list_name, const char *stack,
		     const char *service, struct adapter_discovery *out, char *err, size_t err_len)
{
	size_t i;
	const json_t *c;
	int rc = jr_need_list(list, list_name, err, err_len);

	json_array_foreach(list, i, c) {
		char where[64], st[RANCHER_NAME_LEN], sv[RANCHER_NAME_LEN];
		bool found = true;
		if (rc < 0)
			break;
		snprintf(where, sizeof(where), "%s[%zu]", list_name, i);
		if (stack != NULL) {
			rc = jr_need_object(c, where, err, err_len);
			if (rc == 0)
				rc = container_service(c, where, st, sv, &found, err, err_len);
			if (rc < 0)
				break;
			found = found && strcasecmp(st, stack) == 0 && strcasecmp(sv, service) == 0;
		}
		if (found)
			rc = add_container_peer(c, where, out, err, err_len);
	}
	return rc;
}

/* ---- settings from the service's metadata ----------------------------------------------- */

/* metadata.keepvip key -> env name, through the key registry (setting_keys.h): a key is a
 * setting's YAML key (version, name, tcp, interval_ms, ...) or its env name without
 * KEEPVIP_ in lower case (vrrp_version, check_port, ...), among the settings an operator
 * would give once for the whole service. Peers and commands (notify, the check script)
 * belong to the container's own environment and are not taken from here. */
static const char *metadata_env_name(const char *key)
{
	const struct setting_key_info *info = setting_key_for_override(key);
	return info != NULL ? info->env : NULL;
}

/* A scalar as settings text; 1 when v is not a scalar. */
static int scalar_text(const json_t *v, char *buf, size_t len)
{
	int n;
	switch (json_typeof(v)) {
	case JSON_STRING:
		n = snprintf(buf, len, "%s", json_string_value(v));
		break;
	case JSON_INTEGER:
		n = snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		n = snprintf(buf, len, "%.17g", json_real_value(v));
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		n = snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
		break;
	default:
		return 1;
	}
	return n < 0 || (size_t)n >= len ? -E2BIG : 0;
}

/* A value as settings text: a scalar, or a list of scalars joined with commas. */
static int metadata_value_text(const json_t *v, const char *key, char *buf, size_t len,
			       char *err, size_t err_len)
{
	size_t i, used = 0;
	const json_t *item;
	int rc = scalar_text(v, buf, len);

	if (rc == -E2BIG)
		return jr_fail(err, err_len, -EBADMSG,
			       "metadata " METADATA_ROOT ".%s: longer than %zu "
			       "bytes", key, len - 1);
	if (rc == 0)
		return 0;
	if (!json_is_array(v))
		return jr_fail(err, err_len, -EBADMSG, "metadata " METADATA_ROOT ".%s: expected a "
			       "number, string, boolean or list, got %s", key, jr_type_name(v));
	buf[0] = '\0';
	json_array_foreach(v, i, item) {
		if (used > 0 && used + 1 < len)
			buf[used++] = ',';
		rc = scalar_text(item, buf + used, len - used);
		if (rc != 0)
			return jr_fail(err, err_len, -EBADMSG,
				       "metadata " METADATA_ROOT ".%s[%zu]: %s",
				       key, i, rc > 0 ? "expected a number or string" : "too long");
		used += strlen(buf + used);
	}
	return 0;
}

static void note_append(char *note, size_t note_len, const char *key)
{
	size_t used = strlen(note);
	if (note_len == 0 || used + 1 >= note_len)
		return;
	snprintf(note + used, note_len - used, "%s" METADATA_ROOT ".%s",
		 used == 0 ? "ignored metadata keys (not keepvip settings): " : ", ", key);
}

int rancher_parse_metadata(const struct json_t *metadata, struct adapter_discovery *out,
			   char *note, size_t note_len, char *err, size_t err_len)
{
	const json_t *md = (const json_t *)metadata;
	const json_t *ours, *v;
	const char *key;
	struct adapter_discovery *d = out;
	size_t n = 0;
	struct adapter_override found[ADAPTER_MAX_OVERRIDES];

	_Static_assert(SK_COUNT <= ADAPTER_MAX_OVERRIDES, "every core setting fits in a discovery");
	if (note_len > 0)
		note[0] = '\0';
	if (md == NULL || json_is_null(md))
		goto done;
	if (!json_is_object(md))
		return jr_fail(err, err_len, -EBADMSG, "metadata: expected an object, got %s",
			       jr_type_name(md));
	ours = json_object_get(md, METADATA_ROOT);
	if (ours == NULL || json_is_null(ours))
		goto done;
	if (!json_is_object(ours))
		return jr_fail(err, err_len, -EBADMSG,
			       "metadata " METADATA_ROOT ": expected an object, "
			       "got %s", jr_type_name(ours));
	json_object_foreach((json_t *)ours, key, v) {
		const char *env = metadata_env_name(key);
		if (env == NULL) {
			note_append(note, note_len, key);
			continue;
		}
		if (json_is_null(v))
			continue; /* "vrid:" with no value: unset */
		for (size_t i = 0; i < n; i++)
			if (strcmp(found[i].env_name, env) == 0)
				return jr_fail(err, err_len, -EBADMSG,
					       "metadata " METADATA_ROOT ".%s: "
					       "given twice", key);
		found[n] = (struct adapter_override){ 0 }; /* over_env false: env still wins */
		snprintf(found[n].env_name, sizeof(found[n].env_name), "%s", env);
		int rc = metadata_value_text(v, key, found[n].value, sizeof(found[n].value), err,
					     err_len);
		if (rc < 0)
			return rc;
		n++; /* one per key at most: fewer than ADAPTER_MAX_OVERRIDES */
	}
done:
	memcpy(d->overrides, found, n * sizeof(found[0]));
	d->n_overrides = n;
	return 0;
}

/* ---- the service ------------------------------------------------------------------------ */

/* Peers and settings of one service object whose containers are objects. */
static int service_into(const json_t *svc, struct adapter_discovery *out, char *note,
			size_t note_len, char *err, size_t err_len)
{
	const json_t *containers = json_object_get(svc, "containers");
	const json_t *first = json_array_get(containers, 0);
	int rc;

	if (json_is_array(containers) && json_is_string(first))
		return jr_fail(err, err_len, -ENOMSG, "service lists its containers by name "
			       "(metadata 2015-07-25)");
	out->n_peers = 0;
	rc = containers == NULL || json_is_null(containers)
		     ? 0 /* a service without containers: no peers */
		     : add_peers(containers, "containers", NULL, NULL, out, err, err_len);
	if (rc == 0)
		rc = rancher_parse_metadata((const struct json_t *)json_object_get(svc, "metadata"),
					    out, note, note_len, err, err_len);
	return rc;
}

int rancher_parse_service(const char *body, size_t len, struct adapter_discovery *out,
			  char *note, size_t note_len, char *err, size_t err_len)
{
	json_t *root = jr_load(body, len, 0, NULL, err, err_len);
	int rc;
	if (root == NULL)
		return -EBADMSG;
	rc = jr_need_object(root, "service", err, err_len);
	if (rc == 0)
		rc = service_into(root, out, note, note_len, err, err_len);
	json_decref(root);
	return rc;
}

int rancher_parse_service_in_list(const char *body, size_t len, const char *stack,
				  const char *service, struct adapter_discovery *out,
				  char *note, size_t note_len, char *err, size_t err_len)
{
	json_t *root = jr_load(body, len, 0, NULL, err, err_len);
	const json_t *svc, *match = NULL;
	size_t i;
	int rc;
	if (root == NULL)
		return -EBADMSG;
	rc = jr_need_list(root, "services", err, err_len);
	json_array_foreach(root, i, svc) {
		char where[48];
		const char *s = NULL, *n = NULL;
		if (rc < 0 || match != NULL)
			break;
		snprintf(where, sizeof(where), "services[%zu]", i);
		rc = jr_need_object(svc, where, err, err_len);
		snprintf(where, sizeof(where), "services[%zu].", i);
		if (rc == 0)
			rc = jr_opt_string(svc, "stack_name", where, &s, err, err_len);
		if (rc == 0)
			rc = jr_opt_string(svc, "name", where, &n, err, err_len);
		if (rc == 0 && s != NULL && n != NULL && strcasecmp(s, stack) == 0 &&
		    strcasecmp(n, service) == 0)
			match = svc;
	}
	if (rc == 0 && match == NULL)
		rc = jr_fail(err, err_len, -ENOENT, "no service %s/%s", stack, service);
	if (rc == 0)
		rc = rancher_parse_metadata((const struct json_t *)json_object_get(match,
										   "metadata"),
					    out, note, note_len, err, err_len);
	json_decref(root);
	return rc;
}

int rancher_parse_containers_of(const char *body, size_t len, const char *stack,
				const char *service, struct adapter_discovery *out, char *err,
				size_t err_len)
{
	json_t *root = jr_load(body, len, 0, NULL, err, err_len);
	int rc;
	if (root == NULL)
		return -EBADMSG;
	out->n_peers = 0;
	rc = add_peers(root, "containers", stack, service, out, err, err_len);
	json_decref(root);
	return rc;
}
