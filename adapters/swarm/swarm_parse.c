/* swarm_parse.c — Docker Engine API answers (swarm mode) into a discovery; see swarm_parse.h.
 * Field names and types follow ../shared/reference/docker-swarm-api.md §3; fields we use are
 * type-checked and a mismatch names the field. */
#include "swarm_parse.h"

#include "json_read.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_SERVICE_NAME "com.docker.swarm.service.name"
#define LABEL_SERVICE_ID "com.docker.swarm.service.id"
#define CONTAINER_ID_HEX 64

/* ---- small helpers ---------------------------------------------------------------------- */

/* The whole body as one JSON value, or NULL with the reason in err: too large, or "invalid
 * JSON at line L column C: ..." (a truncated answer ends up here). */
static json_t *load(const char *body, size_t len, size_t max, char *err, size_t err_len)
{
	if (len > max) {
		jr_fail(err, err_len, -E2BIG, "answer of %zu bytes, more than %zu", len, max);
		return NULL;
	}
	return jr_load(body, len, 0, NULL, err, err_len);
}

/* load() with the right errno for its failure. */
static int load_rc(const char *body, size_t len, size_t max, json_t **root, char *err,
		   size_t err_len)
{
	*root = load(body, len, max, err, err_len);
	if (*root != NULL)
		return 0;
	return len > max ? -E2BIG : -EBADMSG;
}

/* "host:port", "[v6]:port" or a bare address: the address. 0 or -EINVAL. */
static int host_part(const char *text, struct ip_addr *out)
{
	char buf[IP_ADDR_STRLEN];
	const char *start = text, *end;
	size_t n;

	if (text[0] == '[') {
		start = text + 1;
		end = strchr(start, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return -EINVAL;
	} else {
		end = strrchr(text, ':');
		/* One colon: host:port; none, or several (a bare IPv6): the whole text. */
		if (end == NULL || strchr(text, ':') != end)
			end = text + strlen(text);
	}
	n = (size_t)(end - start);
	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, start, n);
	buf[n] = '\0';
	return ip_addr_parse(buf, out);
}

/* An address that names no node: unset, 0.0.0.0 / ::, loopback (the manager pitfall). */
static bool addr_is_unusable(const struct ip_addr *a)
{
	static const uint8_t zero[16];
	if (a->family == AF_INET)
		return a->bytes[0] == 0 || a->bytes[0] == 127;
	if (a->family == AF_INET6)
		return memcmp(a->bytes, zero, 16) == 0 ||
		       (memcmp(a->bytes, zero, 15) == 0 && a->bytes[15] == 1);
	return true;
}

/* ---- /version ---------------------------------------------------------------------------- */

int swarm_api_version_parse(const char *text, struct swarm_api_version *out)
{
	unsigned long part[2] = { 0, 0 };
	const char *p = text;
	for (int i = 0; i < 2; i++) {
		size_t digits = 0;
		while (isdigit((unsigned char)*p) && digits < 6) {
			part[i] = part[i] * 10 + (unsigned long)(*p - '0');
			p++;
			digits++;
		}
		if (digits == 0 || digits == 6 || *p != (i == 0 ? '.' : '\0'))
			return -EINVAL;
		p++;
	}
	out->major = (unsigned)part[0];
	out->minor = (unsigned)part[1];
	return 0;
}

static int version_cmp(struct swarm_api_version a, struct swarm_api_version b)
{
	if (a.major != b.major)
		return a.major < b.major ? -1 : 1;
	return a.minor < b.minor ? -1 : a.minor > b.minor;
}

static int version_field(const json_t *root, const char *key, const char *fallback,
			 struct swarm_api_version *out, char *err, size_t err_len)
{
	const char *text;
	int rc = jr_opt_string(root, key, "version.", &text, err, err_len);
	if (rc < 0)
		return rc;
	if (text == NULL)
		text = fallback;
	if (text == NULL)
		return jr_fail(err, err_len, -EBADMSG, "version.%s: missing", key);
	if (swarm_api_version_parse(text, out) < 0)
		return jr_fail(err, err_len, -EBADMSG,
			       "version.%s: \"%.32s\" is not a version like 1.43",
			       key, text);
	return 0;
}

int swarm_parse_version(const char *body, size_t len, struct swarm_api_version *use, char *err,
			size_t err_len)
{
	const struct swarm_api_version ours_min = { 1, SWARM_API_OURS_MIN_MINOR };
	const struct swarm_api_version ours_max = { 1, SWARM_API_OURS_MAX_MINOR };
	struct swarm_api_version eng_max, eng_min, pick, floor;
	json_t *root;
	int rc = load_rc(body, len, SWARM_MAX_BODY, &root, err, err_len);

	if (rc < 0)
		return rc;
	rc = jr_need_object(root, "version", err, err_len);
	if (rc == 0)
		rc = version_field(root, "ApiVersion", NULL, &eng_max, err, err_len);
	if (rc == 0)
		rc = version_field(root, "MinAPIVersion", "1.12", &eng_min, err, err_len);
	json_decref(root);
	if (rc < 0)
		return rc;
	pick = version_cmp(eng_max, ours_max) < 0 ? eng_max : ours_max;
	floor = version_cmp(eng_min, ours_min) > 0 ? eng_min : ours_min;
	if (version_cmp(pick, floor) < 0) {
		if (version_cmp(eng_max, ours_min) < 0)
			return jr_fail(err, err_len, -ENOTSUP,
				    "engine API %u.%u is older than %u.%u (Docker 20.10), the oldest keepvip reads",
				    eng_max.major, eng_max.minor, ours_min.major, ours_min.minor);
		return jr_fail(err, err_len, -ENOTSUP,
			    "engine accepts API %u.%u and newer only; keepvip speaks up to %u.%u",
			       eng_min.major, eng_min.minor, ours_max.major, ours_max.minor);
	}
	*use = pick;
	return 0;
}

/* ---- /info ------------------------------------------------------------------------------- */

/* Swarm.LocalNodeState other than "active": the reason and its errno. */
static int node_state_error(const char *state, const char *swarm_error, char *err,
			    size_t err_len)
{
	if (state == NULL || state[0] == '\0' || strcmp(state, "inactive") == 0)
		return jr_fail(err, err_len, -ENOTCONN,
			    "this engine is not in a swarm (LocalNodeState \"%s\"): run docker swarm init or join",
			       state != NULL ? state : "");
	if (strcmp(state, "pending") == 0)
		return jr_fail(err, err_len, -EAGAIN,
			       "this engine is still joining the swarm (pending)");
	if (strcmp(state, "locked") == 0)
		return jr_fail(err, err_len, -EACCES,
			       "the swarm is locked: run docker swarm unlock on this node");
	if (strcmp(state, "error") == 0)
		return jr_fail(err, err_len, -EIO, "the swarm reports an error: %.160s",
			       swarm_error != NULL ? swarm_error : "(no message)");
	return jr_fail(err, err_len, -EBADMSG, "info.Swarm.LocalNodeState: unknown \"%.32s\"",
		       state);
}

static int info_managers(const json_t *swarm, struct swarm_info *out, char *err, size_t err_len)
{
	const json_t *list = json_object_get(swarm, "RemoteManagers"), *m;
	size_t i;

	out->n_managers = 0;
	if (list == NULL || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return jr_fail(err, err_len, -EBADMSG,
			       "info.Swarm.RemoteManagers: expected a list, got %s",
			       jr_type_name(list));
	json_array_foreach(list, i, m) {
		const char *addr = NULL;
		struct ip_addr a;
		char where[64];
		bool seen = false;
		snprintf(where, sizeof(where), "info.Swarm.RemoteManagers[%zu].", i);
		int rc = jr_need_object(m, where, err, err_len);
		if (rc == 0)
			rc = jr_opt_string(m, "Addr", where, &addr, err, err_len);
		if (rc < 0)
			return rc;
		if (addr == NULL || host_part(addr, &a) < 0)
			return jr_fail(err, err_len, -EBADMSG,
				       "%sAddr: \"%.64s\" is not an address:port",
				       where, addr != NULL ? addr : "");
		for (size_t k = 0; k < out->n_managers; k++)
			seen = seen || ip_addr_equal(&out->managers[k], &a);
		if (!seen && out->n_managers < SWARM_MAX_MANAGERS)
			out->managers[out->n_managers++] = a;
	}
	return 0;
}

static int info_fields(const json_t *root, struct swarm_info *out, char *err, size_t err_len)
{
	const json_t *swarm = NULL, *control = NULL;
	const char *state = NULL, *swarm_error = NULL, *node_id = NULL;
	const char *node_addr = NULL, *name = NULL;
	int rc = jr_need_object(root, "info", err, err_len);

	if (rc == 0)
		rc = jr_opt_string(root, "Name", "info.", &name, err, err_len);
	if (rc == 0)
		rc = jr_opt_object(root, "Swarm", "info.", &swarm, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(swarm, "LocalNodeState", "info.Swarm.", &state, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(swarm, "Error", "info.Swarm.", &swarm_error, err, err_len);
	if (rc == 0 && (state == NULL || strcmp(state, "active") != 0))
		rc = node_state_error(state, swarm_error, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(swarm, "NodeID", "info.Swarm.", &node_id, err, err_len);
	if (rc == 0)
		rc = jr_copy_text(out->node_id, sizeof(out->node_id), node_id, "info.Swarm.NodeID",
				  err,
				  err_len);
	if (rc == 0)
		rc = jr_opt_string(swarm, "NodeAddr", "info.Swarm.", &node_addr, err, err_len);
	if (rc < 0)
		return rc;
	out->has_node_addr = node_addr != NULL && node_addr[0] != '\0';
	if (out->has_node_addr && host_part(node_addr, &out->node_addr) < 0)
		return jr_fail(err, err_len, -EBADMSG,
			       "info.Swarm.NodeAddr: \"%.64s\" is not an address",
			       node_addr);
	control = json_object_get(swarm, "ControlAvailable");
	if (control != NULL && !json_is_boolean(control))
		return jr_fail(err, err_len, -EBADMSG,
			       "info.Swarm.ControlAvailable: expected a boolean, got %s",
			       jr_type_name(control));
	out->manager = json_is_true(control);
	snprintf(out->hostname, sizeof(out->hostname), "%s", name != NULL ? name : "");
	return info_managers(swarm, out, err, err_len);
}

int swarm_parse_info(const char *body, size_t len, struct swarm_info *out, char *err,
		     size_t err_len)
{
	struct swarm_info parsed;
	json_t *root;
	int rc = load_rc(body, len, SWARM_MAX_BODY, &root, err, err_len);

	if (rc < 0)
		return rc;
	memset(&parsed, 0, sizeof(parsed));
	rc = info_fields(root, &parsed, err, err_len);
	json_decref(root);
	if (rc == 0)
		*out = parsed;
	return rc;
}

/* ---- error bodies ------------------------------------------------------------------------ */

static const struct {
	const char *needle;
	enum swarm_api_error kind;
} error_classes[] = {
	{ "Worker nodes can't be used", SWARM_E_WORKER },
	{ "docker swarm init", SWARM_E_NO_SWARM },
	{ "Manager is being prepared", SWARM_E_PREPARING },
	{ "needs to be unlocked", SWARM_E_LOCKED },
	{ "is too old", SWARM_E_VERSION },
	{ "is too new", SWARM_E_VERSION },
};

enum swarm_api_error swarm_parse_error(const char *body, size_t len, char *msg, size_t msg_len)
{
	enum swarm_api_error kind = SWARM_E_OTHER;
	char scratch[8];
	const char *text = NULL;
	json_t *root = load(body, len, SWARM_MAX_EVENT, scratch, sizeof(scratch));

	if (json_is_object(root) && json_is_string(json_object_get(root, "message")))
		text = json_string_value(json_object_get(root, "message"));
	for (size_t i = 0; text != NULL && i < sizeof(error_classes) / sizeof(error_classes[0]);
	     i++)
		if (strstr(text, error_classes[i].needle) != NULL) {
			kind = error_classes[i].kind;
			break;
		}
	if (msg != NULL && msg_len > 0)
		snprintf(msg, msg_len, "%s", text != NULL ? text : "");
	json_decref(root);
	return kind;
}

/* ---- /services --------------------------------------------------------------------------- */

static int find_service(const json_t *root, const char *name, char *id, char *err,
			size_t err_len)
{
	const json_t *s;
	size_t i;
	int rc = jr_need_list(root, "services", err, err_len);

	json_array_foreach(root, i, s) {
		const json_t *spec;
		const char *sname = NULL, *sid = NULL;
		char where[48];
		if (rc < 0)
			break;
		snprintf(where, sizeof(where), "services[%zu].", i);
		rc = jr_need_object(s, where, err, err_len);
		if (rc == 0)
			rc = jr_opt_object(s, "Spec", where, &spec, err, err_len);
		if (rc == 0)
			rc = jr_opt_string(spec, "Name", "services[].Spec.", &sname, err, err_len);
		if (rc < 0 || sname == NULL || strcmp(sname, name) != 0)
			continue;
		rc = jr_opt_string(s, "ID", where, &sid, err, err_len);
		return rc < 0 ? rc : jr_copy_text(id, SWARM_ID_LEN, sid, "services[].ID", err,
						  err_len);
	}
	return rc < 0 ? rc : jr_fail(err, err_len, -ENOENT, "no service named \"%.128s\"", name);
}

int swarm_parse_service_id(const char *body, size_t len, const char *name, char *id, char *err,
			   size_t err_len)
{
	char found[SWARM_ID_LEN];
	json_t *root;
	int rc = load_rc(body, len, SWARM_MAX_BODY, &root, err, err_len);

	if (rc < 0)
		return rc;
	rc = find_service(root, name, found, err, err_len);
	json_decref(root);
	if (rc == 0)
		memcpy(id, found, sizeof(found));
	return rc;
}

/* ---- /tasks ------------------------------------------------------------------------------ */

static const char *const live_task_states[] = {
	"new",	 "allocated", "pending", "assigned", "accepted",
	"preparing", "ready",	  "starting", "running",
};

bool swarm_task_state_is_live(const char *state)
{
	if (state == NULL)
		return false;
	for (size_t i = 0; i < sizeof(live_task_states) / sizeof(live_task_states[0]); i++)
		if (strcmp(state, live_task_states[i]) == 0)
			return true;
	return false;
}

static int add_task_node(struct swarm_task_nodes *out, const char *node_id, const char *where,
			 char *err, size_t err_len)
{
	char id[SWARM_ID_LEN];
	int rc = jr_copy_text(id, sizeof(id), node_id, where, err, err_len);
	if (rc < 0)
		return rc;
	for (size_t k = 0; k < out->n; k++)
		if (strcmp(out->ids[k], id) == 0)
			return 0;
	if (out->n == ADAPTER_MAX_PEERS)
		return jr_fail(err, err_len, -E2BIG, "tasks on more than %d nodes",
			       ADAPTER_MAX_PEERS);
	memcpy(out->ids[out->n++], id, sizeof(id));
	return 0;
}

/* One task: its node joins out when it is ours, wanted running and not terminal. */
static int task_node(const json_t *t, size_t i, const char *service_id,
		     struct swarm_task_nodes *out, char *err, size_t err_len)
{
	const json_t *status;
	const char *desired = NULL, *state = NULL, *sid = NULL, *node = NULL;
	char where[48];
	int rc;

	snprintf(where, sizeof(where), "tasks[%zu]", i);
	rc = jr_need_object(t, where, err, err_len);
	snprintf(where, sizeof(where), "tasks[%zu].", i);
	if (rc == 0)
		rc = jr_opt_string(t, "DesiredState", where, &desired, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(t, "ServiceID", where, &sid, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(t, "NodeID", where, &node, err, err_len);
	if (rc == 0)
		rc = jr_opt_object(t, "Status", where, &status, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(status, "State", "tasks[].Status.", &state, err, err_len);
	if (rc < 0)
		return rc;
	if (desired == NULL || strcmp(desired, "running") != 0 || !swarm_task_state_is_live(state))
		return 0;
	if (service_id != NULL && (sid == NULL || strcmp(sid, service_id) != 0))
		return 0;
	if (node == NULL || node[0] == '\0')
		return 0; /* not scheduled yet ("new", "pending"): on no node */
	snprintf(where, sizeof(where), "tasks[%zu].NodeID", i);
	return add_task_node(out, node, where, err, err_len);
}

int swarm_parse_tasks(const char *body, size_t len, const char *service_id,
		      struct swarm_task_nodes *out, char *err, size_t err_len)
{
	json_t *root;
	const json_t *t;
	size_t i;
	int rc = load_rc(body, len, SWARM_MAX_BODY, &root, err, err_len);
	struct swarm_task_nodes *found;

	if (rc < 0)
		return rc;
	found = calloc(1, sizeof(*found));
	if (found == NULL) {
		json_decref(root);
		return jr_fail(err, err_len, -ENOMEM, "tasks: out of memory");
	}
	rc = jr_need_list(root, "tasks", err, err_len);
	json_array_foreach(root, i, t) {
		if (rc < 0)
			break;
		rc = task_node(t, i, service_id, found, err, err_len);
	}
	json_decref(root);
	if (rc == 0)
		memcpy(out, found, sizeof(*found));
	free(found);
	return rc;
}

/* ---- /nodes ------------------------------------------------------------------------------ */

int swarm_node_addr(const struct json_t *node, struct ip_addr *out)
{
	const json_t *status = json_object_get(node, "Status");
	const json_t *mgr = json_object_get(node, "ManagerStatus");
	const json_t *saddr = json_object_get(status, "Addr");
	const json_t *maddr = json_object_get(mgr, "Addr");
	struct ip_addr a;

	/* A manager: its advertised address (ManagerStatus.Addr), which the pitfall spares. */
	if (json_is_string(maddr) && host_part(json_string_value(maddr), &a) == 0 &&
	    !addr_is_unusable(&a)) {
		*out = a;
		return 0;
	}
	if (json_is_string(saddr) && host_part(json_string_value(saddr), &a) == 0 &&
	    !addr_is_unusable(&a)) {
		*out = a;
		return 0;
	}
	return -ENOENT;
}

static bool wanted(const struct swarm_task_nodes *want, const char *id, bool *seen)
{
	for (size_t k = 0; id != NULL && k < want->n; k++)
		if (strcmp(want->ids[k], id) == 0) {
			seen[k] = true;
			return true;
		}
	return false;
}

static void note_add(char *note, size_t note_len, const char *fmt, const char *what)
{
	size_t used = strlen(note);
	if (used + 1 < note_len)
		snprintf(note + used, note_len - used, fmt, used > 0 ? "; " : "", what);
}

static int add_addr(struct adapter_discovery *d, const struct ip_addr *a, char *err,
		    size_t err_len)
{
	for (size_t k = 0; k < d->n_peers; k++)
		if (ip_addr_equal(&d->peers[k], a))
			return 0;
	if (d->n_peers == ADAPTER_MAX_PEERS)
		return jr_fail(err, err_len, -E2BIG, "more than %d peers", ADAPTER_MAX_PEERS);
	d->peers[d->n_peers++] = *a;
	return 0;
}

/* One node of the list: its address joins peers when a task of ours runs there. */
static int node_peer(const json_t *n, size_t i, const struct swarm_task_nodes *want, bool *seen,
		     struct adapter_discovery *peers, char *note, size_t note_len, char *err,
		     size_t err_len)
{
	const json_t *status, *desc;
	const char *id = NULL, *state = NULL, *host = NULL;
	struct ip_addr a;
	char where[48];
	int rc;

	snprintf(where, sizeof(where), "nodes[%zu]", i);
	rc = jr_need_object(n, where, err, err_len);
	snprintf(where, sizeof(where), "nodes[%zu].", i);
	if (rc == 0)
		rc = jr_opt_string(n, "ID", where, &id, err, err_len);
	if (rc == 0)
		rc = jr_opt_object(n, "Status", where, &status, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(status, "State", "nodes[].Status.", &state, err, err_len);
	if (rc == 0)
		rc = jr_opt_object(n, "Description", where, &desc, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(desc, "Hostname", "nodes[].Description.", &host, err, err_len);
	if (rc < 0 || !wanted(want, id, seen))
		return rc;
	if (state != NULL && (strcmp(state, "down") == 0 || strcmp(state, "disconnected") == 0)) {
		note_add(note, note_len, "%snode %s is down", host != NULL ? host : id);
		return 0;
	}
	if (swarm_node_addr(n, &a) < 0)
		return jr_fail(err, err_len, -EBADMSG,
			    "%sStatus.Addr: node %.64s runs our task but has no usable address", where,
			       host != NULL ? host : id);
	return add_addr(peers, &a, err, err_len);
}

static int nodes_walk(const json_t *root, const struct swarm_task_nodes *want, bool *seen,
		      struct adapter_discovery *peers, char *note, size_t note_len, char *err,
		      size_t err_len)
{
	const json_t *n;
	size_t i;
	int rc = jr_need_list(root, "nodes", err, err_len);

	json_array_foreach(root, i, n) {
		if (rc < 0)
			break;
		rc = node_peer(n, i, want, seen, peers, note, note_len, err, err_len);
	}
	for (size_t k = 0; rc == 0 && k < want->n; k++)
		if (!seen[k])
			note_add(note, note_len, "%snode %s is not in the swarm", want->ids[k]);
	return rc;
}

int swarm_parse_nodes(const char *body, size_t len, const struct swarm_task_nodes *want,
		      struct adapter_discovery *out, char *note, size_t note_len, char *err,
		      size_t err_len)
{
	bool seen[ADAPTER_MAX_PEERS] = { false };
	struct adapter_discovery *peers;
	json_t *root;
	int rc = load_rc(body, len, SWARM_MAX_BODY, &root, err, err_len);

	if (note_len > 0)
		note[0] = '\0';
	if (rc < 0)
		return rc;
	peers = calloc(1, sizeof(*peers));
	if (peers == NULL) {
		json_decref(root);
		return jr_fail(err, err_len, -ENOMEM, "nodes: out of memory");
	}
	rc = nodes_walk(root, want, seen, peers, note, note_len, err, err_len);
	json_decref(root);
	if (rc == 0) {
		memcpy(out->peers, peers->peers, peers->n_peers * sizeof(peers->peers[0]));
		out->n_peers = peers->n_peers;
	}
	free(peers);
	return rc;
}

/* ---- our own container ------------------------------------------------------------------- */

static bool is_hex_id(const char *p, size_t n)
{
	if (n != CONTAINER_ID_HEX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)p[i]) || isupper((unsigned char)p[i]))
			return false;
	return true;
}

/* The next line of text from *pos (without its newline) as [*line, *line + *n). */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl;
	if (*pos >= len)
		return false;
	*line = text + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*n = nl != NULL ? (size_t)(nl - *line) : len - *pos;
	*pos += *n + 1;
	return true;
}

/* A mountinfo line (proc(5)): "ID PARENT MAJ:MIN ROOT MOUNTPOINT ...". The one mounted on
 * /etc/hostname has ROOT .../containers/<id>/hostname. */
static bool mountinfo_line_id(const char *line, size_t n, char *id)
{
	static const char suffix[] = "/hostname";
	const char *field[5], *p = line, *end = line + n, *root_end, *id_start;
	size_t flen[5];

	for (int f = 0; f < 5; f++) {
		while (p < end && *p == ' ')
			p++;
		field[f] = p;
		while (p < end && *p != ' ')
			p++;
		flen[f] = (size_t)(p - field[f]);
		if (flen[f] == 0)
			return false;
	}
	if (flen[4] != strlen("/etc/hostname") || memcmp(field[4], "/etc/hostname", flen[4]) != 0)
		return false;
	root_end = field[3] + flen[3];
	if (flen[3] < CONTAINER_ID_HEX + sizeof(suffix) ||
	    memcmp(root_end - (sizeof(suffix) - 1), suffix, sizeof(suffix) - 1) != 0)
		return false;
	id_start = root_end - (sizeof(suffix) - 1) - CONTAINER_ID_HEX;
	if (!is_hex_id(id_start, CONTAINER_ID_HEX) || id_start == field[3] || id_start[-1] != '/')
		return false;
	memcpy(id, id_start, CONTAINER_ID_HEX);
	id[CONTAINER_ID_HEX] = '\0';
	return true;
}

/* A cgroup line: "docker-<id>.scope" (systemd driver) or "/docker/<id>" (cgroupfs). */
static bool cgroup_line_id(const char *line, size_t n, char *id)
{
	static const char *const prefixes[] = { "docker-", "/docker/" };
	for (size_t k = 0; k < sizeof(prefixes) / sizeof(prefixes[0]); k++) {
		size_t plen = strlen(prefixes[k]);
		for (size_t i = 0; i + plen + CONTAINER_ID_HEX <= n; i++) {
			const char *cand = line + i + plen;
			size_t after = i + plen + CONTAINER_ID_HEX;
			if (memcmp(line + i, prefixes[k], plen) != 0 ||
			    !is_hex_id(cand, CONTAINER_ID_HEX))
				continue;
			if (after < n && line[after] != '.' && line[after] != '/')
				continue;
			memcpy(id, cand, CONTAINER_ID_HEX);
			id[CONTAINER_ID_HEX] = '\0';
			return true;
		}
	}
	return false;
}

int swarm_container_id(const char *mountinfo, size_t mountinfo_len, const char *cgroup,
		       size_t cgroup_len, char *id)
{
	const char *line;
	size_t pos = 0, n;

	while (mountinfo != NULL && next_line(mountinfo, mountinfo_len, &pos, &line, &n))
		if (mountinfo_line_id(line, n, id))
			return 0;
	pos = 0;
	while (cgroup != NULL && next_line(cgroup, cgroup_len, &pos, &line, &n))
		if (cgroup_line_id(line, n, id))
			return 0;
	return -ENOENT;
}

static int container_labels(const json_t *root, char *name, char *id, char *err,
			    size_t err_len)
{
	const json_t *config = NULL, *labels = NULL;
	const char *sname = NULL, *sid = NULL;
	char nbuf[SWARM_NAME_LEN], ibuf[SWARM_ID_LEN] = "";
	int rc = jr_need_object(root, "container", err, err_len);

	if (rc == 0)
		rc = jr_opt_object(root, "Config", "container.", &config, err, err_len);
	if (rc == 0)
		rc = jr_opt_object(config, "Labels", "container.Config.", &labels, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(labels, LABEL_SERVICE_NAME, "container.Config.Labels.", &sname,
				   err,
				   err_len);
	if (rc == 0)
		rc = jr_opt_string(labels, LABEL_SERVICE_ID, "container.Config.Labels.", &sid, err,
				   err_len);
	if (rc < 0)
		return rc;
	if (sname == NULL)
		return jr_fail(err, err_len, -ENOENT,
			    "this container is not a swarm task (no label " LABEL_SERVICE_NAME ")");
	rc = jr_copy_text(nbuf, sizeof(nbuf), sname, LABEL_SERVICE_NAME, err, err_len);
	if (rc == 0 && sid != NULL)
		rc = jr_copy_text(ibuf, sizeof(ibuf), sid, LABEL_SERVICE_ID, err, err_len);
	if (rc < 0)
		return rc;
	if (name != NULL)
		memcpy(name, nbuf, sizeof(nbuf));
	if (id != NULL)
		memcpy(id, ibuf, sizeof(ibuf));
	return 0;
}

int swarm_parse_container_service(const char *body, size_t len, char *name, char *id, char *err,
				  size_t err_len)
{
	json_t *root;
	int rc = load_rc(body, len, SWARM_MAX_BODY, &root, err, err_len);
	if (rc < 0)
		return rc;
	rc = container_labels(root, name, id, err, err_len);
	json_decref(root);
	return rc;
}

/* ---- /events ----------------------------------------------------------------------------- */

static const char *const task_actions[] = { "start", "die", "stop", "destroy" };

static bool is_task_action(const char *action)
{
	for (size_t i = 0; i < sizeof(task_actions) / sizeof(task_actions[0]); i++)
		if (strcmp(action, task_actions[i]) == 0)
			return true;
	return false;
}

static int event_time(const json_t *root, int64_t *ns, char *err, size_t err_len)
{
	const json_t *tn = json_object_get(root, "timeNano"), *t = json_object_get(root, "time");
	*ns = 0;
	if (tn != NULL && !json_is_integer(tn))
		return jr_fail(err, err_len, -EBADMSG,
			       "event.timeNano: expected an integer, got %s",
			       jr_type_name(tn));
	if (t != NULL && !json_is_integer(t))
		return jr_fail(err, err_len, -EBADMSG, "event.time: expected an integer, got %s",
			       jr_type_name(t));
	if (tn != NULL && json_integer_value(tn) > 0)
		*ns = json_integer_value(tn);
	else if (t != NULL && json_integer_value(t) > 0 && json_integer_value(t) < INT64_MAX / 1000000000)
		*ns = json_integer_value(t) * 1000000000;
	return 0;
}

static int event_relevant(const json_t *root, const char *service, const char *service_id,
			  bool *relevant, char *err, size_t err_len)
{
	const json_t *actor = NULL, *attrs = NULL;
	const char *type = NULL, *action = NULL, *actor_id = NULL, *name = NULL, *label = NULL;
	int rc = jr_need_object(root, "event", err, err_len);

	*relevant = false;
	if (rc == 0)
		rc = jr_opt_string(root, "Type", "event.", &type, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(root, "Action", "event.", &action, err, err_len);
	if (rc == 0)
		rc = jr_opt_object(root, "Actor", "event.", &actor, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(actor, "ID", "event.Actor.", &actor_id, err, err_len);
	if (rc == 0)
		rc = jr_opt_object(actor, "Attributes", "event.Actor.", &attrs, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(attrs, "name", "event.Actor.Attributes.", &name, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(attrs, LABEL_SERVICE_NAME, "event.Actor.Attributes.", &label,
				   err,
				   err_len);
	if (rc < 0 || type == NULL || action == NULL)
		return rc;
	if (strcmp(type, "node") == 0)
		*relevant = true;
	else if (strcmp(type, "service") == 0)
		*relevant = (name != NULL && service != NULL && strcmp(name, service) == 0) ||
			    (actor_id != NULL && service_id != NULL &&
			     strcmp(actor_id, service_id) == 0);
	else if (strcmp(type, "container") == 0)
		*relevant = label != NULL && service != NULL && strcmp(label, service) == 0 &&
			    is_task_action(action);
	return 0;
}

int swarm_parse_event(const char *line, size_t len, const char *service, const char *service_id,
		      struct swarm_event *ev, char *err, size_t err_len)
{
	struct swarm_event parsed = { false, 0 };
	json_t *root;
	int rc = load_rc(line, len, SWARM_MAX_EVENT, &root, err, err_len);

	if (rc < 0)
		return rc;
	rc = event_relevant(root, service, service_id, &parsed.relevant, err, err_len);
	if (rc == 0)
		rc = event_time(root, &parsed.time_nano, err, err_len);
	json_decref(root);
	if (rc == 0)
		*ev = parsed;
	return rc;
}
