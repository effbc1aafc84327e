/* status_render.c — the /status JSON (jansson) and the /metrics text (Prometheus text
 * exposition format 0.0.4) from a read-only struct status_view. Nothing here touches a socket
 * or the clock. */
#include "status_render.h"

#include "check_runner.h"
#include "instance.h"
#include "ipaddr.h"
#include "vrrp_fsm.h"
#include "vrrp_wire.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static const char *family_name(sa_family_t family)
{
	return family == AF_INET6 ? "ipv6" : "ipv4";
}

static const char *iface_name(const struct instance *inst)
{
	return inst->iface != NULL ? inst->iface->name : inst->cfg->interface;
}

static size_t check_count(const struct instance *inst)
{
	return inst->checks != NULL ? check_runner_count(inst->checks) : 0;
}

/* The current master: ourselves in Master (our primary address), else the last one heard
 * (RFC 5798 §6.4.2), else none. Returns NULL for none. */
static const struct ip_addr *current_master(const struct instance *inst, bool *is_self,
					    unsigned *priority)
{
	*is_self = inst->fsm.state == VRRP_STATE_MASTER;
	if (*is_self) {
		*priority = inst->fsm.cfg.priority;
		return inst->fsm.cfg.primary.family != 0 ? &inst->fsm.cfg.primary : NULL;
	}
	*priority = inst->fsm.master_priority;
	return inst->fsm.master_addr.family != 0 ? &inst->fsm.master_addr : NULL;
}

/* ---- /status ---- */

/* jansson refuses text that is not UTF-8 (a check's error, a script's path): such text is
 * shown with every byte outside printable ASCII replaced by '?'. */
static json_t *json_text(const char *s)
{
	json_t *j = json_string(or_empty(s));
	if (j != NULL)
		return j;
	char *copy = strdup(s);
	if (copy == NULL)
		return NULL;
	for (char *p = copy; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *json_addr(const struct ip_addr *addr)
{
	char buf[IP_ADDR_STRLEN];
	return addr != NULL ? json_string(ip_addr_str(addr, buf)) : json_null();
}

static json_t *json_rejects(const uint64_t rejects[VRRP_REJECT__COUNT])
{
	json_t *obj = json_object();
	for (int r = 0; obj != NULL && r < VRRP_REJECT__COUNT; r++) {
		if (r == VRRP_ACCEPT)
			continue;
		if (json_object_set_new(obj, vrrp_reject_name((enum vrrp_reject)r),
					json_integer((json_int_t)rejects[r])) < 0) {
			json_decref(obj);
			return NULL;
		}
	}
	return obj;
}

static json_t *json_vips(const struct instance_settings *cfg)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < cfg->n_vips; i++) {
		char addr[IP_ADDR_STRLEN], text[IP_ADDR_STRLEN + 8];
		snprintf(text, sizeof(text), "%s/%u", ip_addr_str(&cfg->vips[i].addr, addr),
			 cfg->vips[i].prefix);
		if (json_array_append_new(arr, json_string(text)) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *json_peers(const struct peer_set *peers)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < peers->n; i++) {
		if (json_array_append_new(arr, json_addr(&peers->addrs[i])) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *json_check(const struct check_status *st)
{
	return json_pack("{s:s, s:o, s:b, s:b, s:I, s:I, s:o, s:I}",
			 "kind", check_kind_name(st->kind),
			 "label", json_text(st->label),
			 "healthy", st->healthy,
			 "running", st->running,
			 "runs", (json_int_t)st->runs,
			 "failures", (json_int_t)st->failures,
			 "last_error", json_text(st->last_error),
			 "last_duration_ms", (json_int_t)st->last_duration_ms);
}

static json_t *json_checks(const struct instance *inst)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < check_count(inst); i++) {
		if (json_array_append_new(arr, json_check(check_runner_status(inst->checks, i))) <
		    0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *json_last_transition(const struct instance *inst, int64_t now_unix_ms)
{
	if (inst->last_transition_unix_ms <= 0)
		return json_null();
	int64_t ago = now_unix_ms - inst->last_transition_unix_ms;
	return json_pack("{s:s, s:s, s:I, s:I, s:o}",
			 "from", vrrp_state_name(inst->last_from),
			 "to", vrrp_state_name(inst->fsm.state),
			 "unix_ms", (json_int_t)inst->last_transition_unix_ms,
			 "ago_ms", (json_int_t)(ago > 0 ? ago : 0),
			 "reason", json_text(inst->last_reason));
}

static json_t *json_vrid_conflict(const struct vrid_conflict *c, int64_t now_unix_ms)
{
	if (!c->active)
		return json_null();
	json_t *claims = json_array();
	for (size_t i = 0; claims != NULL && i < c->count && i < VRID_CONFLICT_SHOWN; i++) {
		if (json_array_append_new(claims, json_addr(&c->claims[i])) < 0) {
			json_decref(claims);
			claims = NULL;
		}
	}
	int64_t ago = now_unix_ms - c->last_unix_ms;
	return json_pack("{s:o, s:i, s:i, s:o, s:I}",
			 "from", json_addr(&c->from),
			 "priority", (int)c->priority,
			 "count", (int)c->count,
			 "addresses", claims,
			 "ago_ms", (json_int_t)(ago > 0 ? ago : 0));
}

/* Another host holding one of our VIPs (addr_conflict.h), or null. */
static json_t *json_addr_conflict(const struct instance *inst, int64_t now_unix_ms)
{
	const struct addr_conflict *c = &inst->addr_conflict;
	char mac[18];
	if (!c->active)
		return json_null();
	int64_t ago = now_unix_ms - inst->addr_conflict_unix_ms;
	return json_pack("{s:o, s:s, s:s, s:b, s:I}",
			 "address", json_addr(&c->vip),
			 "mac", addr_conflict_mac_str(c->mac, mac),
			 "action", inst->cfg->conflict_action == CONFLICT_REFUSE ? "refuse" : "warn",
			 "refusing", inst->fsm.held,
			 "ago_ms", (json_int_t)(ago > 0 ? ago : 0));
}

static json_t *json_counters(const struct instance_counters *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
			 "adverts_sent", (json_int_t)c->adverts_sent,
			 "adverts_received", (json_int_t)c->adverts_received,
			 "send_errors", (json_int_t)c->send_errors,
			 "transitions", (json_int_t)c->transitions,
			 "announces_sent", (json_int_t)c->announces_sent,
			 "conflict_probes_sent", (json_int_t)c->conflict_probes_sent,
			 "address_conflicts", (json_int_t)c->address_conflicts,
			 "rejects", json_rejects(c->rejects));
}

static json_t *json_instance(const struct instance *inst, int64_t now_unix_ms)
{
	bool master_is_self;
	unsigned master_priority;
	const struct ip_addr *master = current_master(inst, &master_is_self, &master_priority);

	/* json_pack takes every "o" reference, also when it fails. */
	json_t *obj = json_pack("{s:o, s:i, s:i, s:s, s:o, s:s, s:s, s:{s:i, s:i}}",
				"name", json_text(inst->cfg->name),
				"vrid", (int)inst->cfg->vrid,
				"version", (int)inst->cfg->version,
				"family", family_name(inst->cfg->family),
				"interface", json_text(iface_name(inst)),
				"state", vrrp_state_name(inst->fsm.state),
				"mode", instance_unicast(inst) ? "unicast" : "multicast",
				"priority",
				"configured", (int)inst->cfg->priority,
				"effective", (int)inst->fsm.cfg.priority);
	json_t *more = json_pack("{s:o, s:b, s:i, s:o, s:o, s:b, s:b, s:i, s:o, s:o, s:o, s:o, "
				 "s:o}",
				 "master", json_addr(master),
				 "master_is_self", master_is_self,
				 "master_priority", (int)master_priority,
				 "vips", json_vips(inst->cfg),
				 "peers", json_peers(&inst->peers),
				 "link_down", inst->link_down,
				 "check_fault", inst->check_fault,
				 "check_penalty", (int)inst->check_penalty,
				 "last_transition", json_last_transition(inst, now_unix_ms),
				 "vrid_conflict", json_vrid_conflict(&inst->vrid_conflict, now_unix_ms),
				 "address_conflict", json_addr_conflict(inst, now_unix_ms),
				 "checks", json_checks(inst),
				 "counters", json_counters(&inst->counters));
	if (obj == NULL || more == NULL || json_object_update(obj, more) < 0) {
		json_decref(obj);
		obj = NULL;
	}
	json_decref(more);
	return obj;
}

static json_t *json_iface(const struct iface *ifc)
{
	return json_pack("{s:o, s:i, s:o}",
			 "name", json_text(ifc->name),
			 "ifindex", ifc->ifindex,
			 "rejects", json_rejects(ifc->rejects));
}

static json_t *json_instances(const struct status_view *view, int64_t now_unix_ms)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < view->n_instances; i++) {
		if (json_array_append_new(arr, json_instance(view->instances[i], now_unix_ms)) <
		    0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static json_t *json_ifaces(const struct status_view *view)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr != NULL && i < view->n_ifaces; i++) {
		if (json_array_append_new(arr, json_iface(&view->ifaces[i])) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

char *status_render_json(const struct status_view *view, int64_t now_unix_ms)
{
	int64_t uptime = now_unix_ms - view->started_unix_ms;
	json_t *root = json_pack("{s:o, s:b, s:I, s:I, s:I, s:{s:o, s:I, s:I}, s:o, s:o}",
				 "version", json_text(view->version),
				 "ready", view->ready,
				 "started_unix_ms", (json_int_t)view->started_unix_ms,
				 "now_unix_ms", (json_int_t)now_unix_ms,
				 "uptime_ms", (json_int_t)(uptime > 0 ? uptime : 0),
				 "adapter",
				 "name", json_text(view->adapter_name),
				 "updates", (json_int_t)view->adapter_updates,
				 "errors", (json_int_t)view->adapter_errors,
				 "interfaces", json_ifaces(view),
				 "instances", json_instances(view, now_unix_ms));
	if (root == NULL)
		return NULL;
	char *text = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return text;
}

/* ---- /metrics ---- */

struct label {
	const char *name;
	const char *value;
};

#define LABELS(...) ((const struct label[]){ __VA_ARGS__ }), \
	(sizeof((const struct label[]){ __VA_ARGS__ }) / sizeof(struct label))

/* Label values escape backslash, double quote and line feed (exposition format 0.0.4). */
static void put_label_value(FILE *out, const char *value)
{
	for (const char *p = or_empty(value); *p != '\0'; p++) {
		switch (*p) {
		case '\\':
			fputs("\\\\", out);
			break;
		case '"':
			fputs("\\\"", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		default:
			fputc(*p, out);
		}
	}
}

static void put_header(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void put_sample(FILE *out, const char *name, const struct label *labels, size_t n,
		       uint64_t value)
{
	fputs(name, out);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%c%s=\"", i == 0 ? '{' : ',', labels[i].name);
		put_label_value(out, labels[i].value);
		fputc('"', out);
	}
	fprintf(out, "%s %" PRIu64 "\n", n > 0 ? "}" : "", value);
}

static void put_daemon(FILE *out, const struct status_view *view)
{
	put_header(out, "keepvip_up", "gauge", "1 while the daemon answers.");
	put_sample(out, "keepvip_up", NULL, 0, 1);
	put_header(out, "keepvip_ready", "gauge",
		   "1 when the settings are loaded and the sockets are open.");
	put_sample(out, "keepvip_ready", NULL, 0, view->ready ? 1 : 0);
	put_header(out, "keepvip_start_time_seconds", "gauge",
		   "Start time of the daemon, seconds since the Unix epoch.");
	fprintf(out, "keepvip_start_time_seconds %" PRId64 ".%03d\n",
		view->started_unix_ms / 1000, (int)(view->started_unix_ms % 1000));
}

static void put_instance_state(FILE *out, const struct status_view *view)
{
	put_header(out, "keepvip_instance_state", "gauge",
		   "1 for the state the VRRP instance is in, 0 for the others.");
	for (size_t i = 0; i < view->n_instances; i++) {
		const struct instance *inst = view->instances[i];
		char vrid[4];
		snprintf(vrid, sizeof(vrid), "%u", inst->cfg->vrid);
		for (int s = 0; s < VRRP_STATE__COUNT; s++)
			put_sample(out, "keepvip_instance_state",
				   LABELS({ "instance", inst->cfg->name }, { "vrid", vrid },
					  { "state", vrrp_state_name((enum vrrp_state)s) }),
				   inst->fsm.state == (enum vrrp_state)s);
	}
}

static void put_priority(FILE *out, const struct status_view *view)
{
	put_header(out, "keepvip_priority", "gauge",
		   "VRRP priority: configured, and effective after check weights.");
	for (size_t i = 0; i < view->n_instances; i++) {
		const struct instance *inst = view->instances[i];
		put_sample(out, "keepvip_priority",
			   LABELS({ "instance", inst->cfg->name }, { "kind", "configured" }),
			   inst->cfg->priority);
		put_sample(out, "keepvip_priority",
			   LABELS({ "instance", inst->cfg->name }, { "kind", "effective" }),
			   inst->fsm.cfg.priority);
	}
}

static void put_vrid_conflict(FILE *out, const struct status_view *view)
{
	put_header(out, "keepvip_vrid_conflict", "gauge",
		   "1 while adverts of another VRRP group (other addresses) arrive on this "
		   "instance's VRID, until a minute passes without one.");
	for (size_t i = 0; i < view->n_instances; i++) {
		const struct instance *inst = view->instances[i];
		char vrid[4];
		snprintf(vrid, sizeof(vrid), "%u", inst->cfg->vrid);
		put_sample(out, "keepvip_vrid_conflict",
			   LABELS({ "instance", inst->cfg->name }, { "vrid", vrid }),
			   inst->vrid_conflict.active ? 1 : 0);
	}
}

static void put_addr_conflict(FILE *out, const struct status_view *view)
{
	put_header(out, "keepvip_address_conflict", "gauge",
		   "1 while another host (a MAC neither ours nor a VRRP peer's) answers for one "
		   "of this instance's VIPs, until a probe round finds nobody.");
	for (size_t i = 0; i < view->n_instances; i++) {
		const struct instance *inst = view->instances[i];
		char vrid[4];
		snprintf(vrid, sizeof(vrid), "%u", inst->cfg->vrid);
		put_sample(out, "keepvip_address_conflict",
			   LABELS({ "instance", inst->cfg->name }, { "vrid", vrid }),
			   inst->addr_conflict.active ? 1 : 0);
	}
}

/* The per-instance counters that carry only the instance label, one table row each. */
enum instance_counter {
	IC_TRANSITIONS,
	IC_ADVERTS_SENT,
	IC_ADVERTS_RECEIVED,
	IC_ANNOUNCES,
	IC_SEND_ERRORS,
	IC_CONFLICT_PROBES,
	IC_ADDRESS_CONFLICTS,
	IC__COUNT
};

static const struct {
	const char *name;
	const char *help;
	size_t offset; /* of the uint64_t in struct instance_counters */
} instance_counters[IC__COUNT] = {
	[IC_TRANSITIONS] = { "keepvip_transitions_total", "VRRP state changes.",
			     offsetof(struct instance_counters, transitions) },
	[IC_ADVERTS_SENT] = { "keepvip_adverts_sent_total", "VRRP advertisements sent.",
			      offsetof(struct instance_counters, adverts_sent) },
	[IC_ADVERTS_RECEIVED] = { "keepvip_adverts_received_total",
				  "VRRP advertisements received and accepted.",
				  offsetof(struct instance_counters, adverts_received) },
	[IC_ANNOUNCES] = { "keepvip_announces_total",
			   "Gratuitous ARPs and unsolicited neighbour advertisements sent.",
			   offsetof(struct instance_counters, announces_sent) },
	[IC_SEND_ERRORS] = { "keepvip_send_errors_total",
			     "VRRP advertisements that could not be sent.",
			     offsetof(struct instance_counters, send_errors) },
	[IC_CONFLICT_PROBES] = { "keepvip_conflict_probes_total",
				 "ARP probes and duplicate-address neighbour solicitations sent.",
				 offsetof(struct instance_counters, conflict_probes_sent) },
	[IC_ADDRESS_CONFLICTS] = { "keepvip_address_conflicts_total",
				   "Answers for our VIPs from a host neither us nor a VRRP peer.",
				   offsetof(struct instance_counters, address_conflicts) },
};

static uint64_t counter_value(const struct instance_counters *c, enum instance_counter which)
{
	uint64_t v;
	memcpy(&v, (const char *)c + instance_counters[which].offset, sizeof(v));
	return v;
}

static void put_instance_counters(FILE *out, const struct status_view *view)
{
	for (int k = 0; k < IC__COUNT; k++) {
		put_header(out, instance_counters[k].name, "counter", instance_counters[k].help);
		for (size_t i = 0; i < view->n_instances; i++) {
			const struct instance *inst = view->instances[i];
			put_sample(out, instance_counters[k].name,
				   LABELS({ "instance", inst->cfg->name }),
				   counter_value(&inst->counters, (enum instance_counter)k));
		}
	}
}

/* Rejects counted by an instance carry its name; rejects counted by an interface before an
 * instance was known carry instance="". The interface label keeps every series distinct. */
static void put_rejects_of(FILE *out, const char *ifname, const char *instance,
			   const uint64_t rejects[VRRP_REJECT__COUNT])
{
	for (int r = 0; r < VRRP_REJECT__COUNT; r++) {
		if (r == VRRP_ACCEPT)
			continue;
		put_sample(out, "keepvip_advert_rejects_total",
			   LABELS({ "interface", ifname }, { "instance", instance },
				  { "reason", vrrp_reject_name((enum vrrp_reject)r) }),
			   rejects[r]);
	}
}

static void put_rejects(FILE *out, const struct status_view *view)
{
	put_header(out, "keepvip_advert_rejects_total", "counter",
		   "VRRP packets dropped, by reason; instance=\"\" before an instance was known.");
	for (size_t i = 0; i < view->n_ifaces; i++)
		put_rejects_of(out, view->ifaces[i].name, "", view->ifaces[i].rejects);
	for (size_t i = 0; i < view->n_instances; i++) {
		const struct instance *inst = view->instances[i];
		put_rejects_of(out, iface_name(inst), inst->cfg->name, inst->counters.rejects);
	}
}

/* The check label of check i; a label already used by an earlier check of the same instance
 * gets "#N" (N = i + 1), so that no two series are the same. */
static void check_metric_label(const struct instance *inst, size_t i, char *buf, size_t len)
{
	const char *label = check_runner_status(inst->checks, i)->label;
	for (size_t j = 0; j < i; j++) {
		if (strcmp(check_runner_status(inst->checks, j)->label, label) == 0) {
			snprintf(buf, len, "%s#%zu", label, i + 1);
			return;
		}
	}
	snprintf(buf, len, "%s", label);
}

enum check_metric { CM_HEALTHY, CM_RUNS, CM_FAILURES, CM__COUNT };

static const struct {
	const char *name;
	const char *type;
	const char *help;
} check_metrics[CM__COUNT] = {
	[CM_HEALTHY] = { "keepvip_check_healthy", "gauge",
			 "1 when the health check is healthy (after rise/fall)." },
	[CM_RUNS] = { "keepvip_check_runs_total", "counter",
		      "Health check runs completed, timeouts included." },
	[CM_FAILURES] = { "keepvip_check_failures_total", "counter",
			  "Health check runs that failed." },
};

static uint64_t check_metric_value(const struct check_status *st, enum check_metric which)
{
	switch (which) {
	case CM_HEALTHY:
		return st->healthy ? 1 : 0;
	case CM_RUNS:
		return st->runs;
	case CM_FAILURES:
	default:
		return st->failures;
	}
}

static void put_checks(FILE *out, const struct status_view *view)
{
	for (int m = 0; m < CM__COUNT; m++) {
		put_header(out, check_metrics[m].name, check_metrics[m].type,
			   check_metrics[m].help);
		for (size_t i = 0; i < view->n_instances; i++) {
			const struct instance *inst = view->instances[i];
			for (size_t c = 0; c < check_count(inst); c++) {
				char label[CHECK_LABEL_LEN + 24];
				check_metric_label(inst, c, label, sizeof(label));
				put_sample(out, check_metrics[m].name,
					   LABELS({ "instance", inst->cfg->name },
						  { "check", label }),
					   check_metric_value(check_runner_status(inst->checks, c),
							      (enum check_metric)m));
			}
		}
	}
}

static void put_adapter(FILE *out, const struct status_view *view)
{
	const char *name = or_empty(view->adapter_name);

	put_header(out, "keepvip_adapter_updates_total", "counter",
		   "Settings and peers fetched from the orchestrator adapter.");
	put_sample(out, "keepvip_adapter_updates_total", LABELS({ "adapter", name }),
		   view->adapter_updates);
	put_header(out, "keepvip_adapter_errors_total", "counter",
		   "Orchestrator adapter fetches that failed.");
	put_sample(out, "keepvip_adapter_errors_total", LABELS({ "adapter", name }),
		   view->adapter_errors);
}

char *status_render_metrics(const struct status_view *view, size_t *len)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	if (out == NULL)
		return NULL;
	put_daemon(out, view);
	put_instance_state(out, view);
	put_priority(out, view);
	put_vrid_conflict(out, view);
	put_addr_conflict(out, view);
	put_instance_counters(out, view);
	put_rejects(out, view);
	put_checks(out, view);
	put_adapter(out, view);
	bool failed = ferror(out) != 0;
	if (fclose(out) != 0 || failed) {
		free(text);
		return NULL;
	}
	if (len != NULL)
		*len = size;
	return text;
}
