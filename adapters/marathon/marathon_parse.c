/* marathon_parse.c — Marathon answers (JSON) into peers and decisions; see marathon_parse.h.
 * Field names and types follow ../shared/reference/marathon-api.md §2-§3; unknown fields are
 * ignored, fields we use are type-checked and a mismatch names the field. */
#include "marathon_parse.h"

#include "json_read.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- small helpers ---------------------------------------------------------------------- */

/* App ids compare without their leading slash: "/keepvip" is "keepvip" in a URL (§1). */
static bool same_app(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return false;
	a += a[0] == '/';
	b += b[0] == '/';
	return strcmp(a, b) == 0;
}

static bool is_set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* ---- hosts ------------------------------------------------------------------------------ */

/* RFC 1123 §2.1 host names (Mesos agents also register names with '_'): labels of letters,
 * digits, '-' and '_', 1..63 long, dot separated, 253 in all; a trailing dot is allowed. */
static bool is_host_name(const char *h)
{
	size_t len = strlen(h), label = 0;
	if (len == 0 || len >= MARATHON_HOST_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)h[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/* Where a host string points: 1 and an address of family; 0 with *name when it is a name to
 * resolve; -1 when it is an address of the other family (not usable here). */
static int host_locate(const char *host, sa_family_t family, struct ip_addr *addr, bool *name)
{
	*name = false;
	if (ip_addr_parse(host, addr) == 0)
		return addr->family == family ? 1 : -1;
	*name = true;
	return 0;
}

/* ---- one task --------------------------------------------------------------------------- */

static const char *const peer_states[] = { "TASK_RUNNING", "TASK_KILLING" };

bool marathon_state_is_peer(const char *state)
{
	if (state == NULL)
		return false;
	for (size_t i = 0; i < sizeof(peer_states) / sizeof(peer_states[0]); i++)
		if (strcmp(state, peer_states[i]) == 0)
			return true;
	return false;
}

int marathon_instance_id(const char *task_id, char *out, size_t out_len)
{
	const char *app = strstr(task_id, "._app");
	size_t n = app != NULL ? (size_t)(app - task_id) : strlen(task_id);
	if (n >= out_len)
		return -E2BIG;
	memcpy(out, task_id, n);
	out[n] = '\0';
	return 0;
}

/* A task as read: pointers into the JSON document. */
struct task_view {
	const char *id, *app_id, *state, *host;
	bool has_addr;          /* addr: its first ipAddresses entry of the family */
	struct ip_addr addr;
	enum marathon_health health;
};

/* where: the task's name with its dot ("tasks[3]."), as member names in messages start. */
static int read_addresses(const json_t *task, const char *where, sa_family_t family,
			  struct task_view *t, char *err, size_t err_len)
{
	const json_t *list, *entry;
	char at[96], in[97];
	size_t i;
	int rc = jr_opt_list(task, "ipAddresses", where, &list, err, err_len);

	json_array_foreach(list, i, entry) {
		const char *text = NULL;
		struct ip_addr a;
		if (rc < 0)
			break;
		snprintf(at, sizeof(at), "%sipAddresses[%zu]", where, i);
		snprintf(in, sizeof(in), "%s.", at);
		rc = jr_need_object(entry, at, err, err_len);
		if (rc == 0)
			rc = jr_need_string(entry, "ipAddress", in, &text, err, err_len);
		if (rc == 0 && ip_addr_parse(text, &a) < 0)
			rc = jr_fail(err, err_len, -EBADMSG, "%s.ipAddress: \"%.64s\" is not an IP "
				     "address", at, text);
		if (rc == 0 && !t->has_addr && a.family == family) {
			t->addr = a;
			t->has_addr = true;
		}
	}
	return rc;
}

/* healthCheckResults: keyed by instanceId (1.4+) or taskId (before 1.4, §2). where as in
 * read_addresses. */
static int read_health(const json_t *task, const char *where, struct task_view *t, char *err,
		       size_t err_len)
{
	const json_t *list, *r;
	char at[96], in[97], instance[256];
	size_t i;
	int rc = jr_opt_list(task, "healthCheckResults", where, &list, err, err_len);

	t->health = MARATHON_HEALTH_UNKNOWN;
	if (rc == 0 && marathon_instance_id(t->id, instance, sizeof(instance)) < 0)
		instance[0] = '\0';
	json_array_foreach(list, i, r) {
		const char *inst = NULL, *task_id = NULL;
		const json_t *alive;
		if (rc < 0)
			break;
		snprintf(at, sizeof(at), "%shealthCheckResults[%zu]", where, i);
		snprintf(in, sizeof(in), "%s.", at);
		rc = jr_need_object(r, at, err, err_len);
		if (rc == 0)
			rc = jr_opt_string(r, "instanceId", in, &inst, err, err_len);
		if (rc == 0)
			rc = jr_opt_string(r, "taskId", in, &task_id, err, err_len);
		alive = json_object_get(r, "alive");
		if (rc == 0 && alive != NULL && !json_is_boolean(alive))
			rc = jr_fail(err, err_len, -EBADMSG, "%s.alive: expected a boolean, got %s",
				     at,
				     jr_type_name(alive));
		if (rc < 0 || alive == NULL)
			continue;
		if (!(inst != NULL && instance[0] != '\0' && strcmp(inst, instance) == 0) &&
		    !(task_id != NULL && strcmp(task_id, t->id) == 0))
			continue; /* another task's result */
		if (json_is_false(alive))
			t->health = MARATHON_HEALTH_FAILING;
		else if (t->health == MARATHON_HEALTH_UNKNOWN)
			t->health = MARATHON_HEALTH_ALIVE;
	}
	return rc;
}

static int read_task(const json_t *task, size_t index, sa_family_t family, struct task_view *t,
		     char *err, size_t err_len)
{
	char where[48], in[49];
	int rc;

	memset(t, 0, sizeof(*t));
	snprintf(where, sizeof(where), "tasks[%zu]", index);
	snprintf(in, sizeof(in), "%s.", where);
	rc = jr_need_object(task, where, err, err_len);
	if (rc == 0)
		rc = jr_need_string(task, "id", in, &t->id, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(task, "appId", in, &t->app_id, err, err_len);
	if (rc == 0)
		rc = jr_need_string(task, "state", in, &t->state, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(task, "host", in, &t->host, err, err_len);
	if (rc == 0 && is_set(t->host) && !is_host_name(t->host)) {
		struct ip_addr a;
		if (ip_addr_parse(t->host, &a) < 0)
			rc = jr_fail(err, err_len, -EBADMSG, "%s.host: \"%.64s\" is neither a host "
				     "name nor an IP address", where, t->host);
	}
	if (rc == 0)
		rc = read_addresses(task, in, family, t, err, err_len);
	if (rc == 0)
		rc = read_health(task, in, t, err, err_len);
	return rc;
}

/* A task's place: its address of the family, else its host. false when it has none. */
static bool task_place(const struct task_view *t, sa_family_t family, struct marathon_peer *p)
{
	memset(p, 0, sizeof(*p));
	p->health = t->health;
	if (is_set(t->host))
		snprintf(p->host, sizeof(p->host), "%s", t->host);
	if (t->has_addr) {
		p->addr = t->addr;
		return true;
	}
	if (!is_set(t->host))
		return false;
	return host_locate(t->host, family, &p->addr, &p->needs_resolve) >= 0;
}

/* ---- the list --------------------------------------------------------------------------- */

/* The tasks list of either answer shape (§2). */
static int find_tasks(const json_t *root, const json_t **tasks, char *err, size_t err_len)
{
	const json_t *app = json_object_get(root, "app");
	const json_t *holder = root;
	const char *where = "answer.";
	int rc = jr_need_object(root, "answer", err, err_len);

	if (rc == 0 && json_object_get(root, "tasks") == NULL && app != NULL) {
		rc = jr_need_object(app, "app", err, err_len);
		holder = app;
		where = "app.";
	}
	if (rc == 0)
		rc = jr_opt_list(holder, "tasks", where, tasks, err, err_len);
	if (rc == 0 && *tasks == NULL)
		rc = jr_fail(err, err_len, -EBADMSG,
			     "%stasks: missing (expected {\"tasks\": [...]})",
			     where);
	return rc;
}

static bool ours(const struct marathon_whoami *w, const struct task_view *t)
{
	return w->app_id == NULL || t->app_id == NULL || same_app(w->app_id, t->app_id);
}

/* Pass 1: which task is us, by task id, else by host. Validates every task on the way. */
static int find_self(const json_t *tasks, const struct marathon_whoami *w, struct task_view *self,
		     bool *found, char *err, size_t err_len)
{
	const json_t *task;
	struct task_view t, by_host;
	bool have_host = false;
	size_t i;

	*found = false;
	json_array_foreach(tasks, i, task) {
		int rc = read_task(task, i, w->family, &t, err, err_len);
		if (rc < 0)
			return rc;
		if (!ours(w, &t))
			continue;
		if (is_set(w->task_id) && strcmp(t.id, w->task_id) == 0 && !*found) {
			*self = t;
			*found = true;
		}
		if (is_set(w->host) && is_set(t.host) && strcasecmp(t.host, w->host) == 0 &&
		    !have_host) {
			by_host = t;
			have_host = true;
		}
	}
	if (!*found && have_host) {
		*self = by_host;
		*found = true;
	}
	return 0;
}

static void place_self(const struct marathon_whoami *w, const struct task_view *self_task,
		       bool is_task, struct marathon_task_list *out)
{
	struct marathon_peer *s = &out->self;
	if (is_task && task_place(self_task, w->family, s)) {
		out->has_self = out->self_is_task = true;
		return;
	}
	memset(s, 0, sizeof(*s));
	if (!is_set(w->host))
		return;
	snprintf(s->host, sizeof(s->host), "%s", w->host);
	if (is_host_name(w->host) || ip_addr_parse(w->host, &s->addr) == 0)
		out->has_self = host_locate(w->host, w->family, &s->addr, &s->needs_resolve) >= 0;
}

static bool same_place(const struct marathon_peer *a, const struct marathon_peer *b)
{
	if (a->host[0] != '\0' && strcasecmp(a->host, b->host) == 0)
		return true; /* one agent: host networking, one address */
	return !a->needs_resolve && !b->needs_resolve && ip_addr_equal(&a->addr, &b->addr);
}

/* Pass 2: the peers. */
static int collect_peers(const json_t *tasks, const struct marathon_whoami *w,
			 const char *self_id, struct marathon_task_list *out, char *err,
			 size_t err_len)
{
	const json_t *task;
	struct task_view t;
	struct marathon_peer p;
	size_t i;

	json_array_foreach(tasks, i, task) {
		bool dup = false;
		int rc = read_task(task, i, w->family, &t, err, err_len);
		if (rc < 0)
			return rc;
		if (!ours(w, &t))
			continue;
		out->n_tasks++;
		if (self_id != NULL && strcmp(t.id, self_id) == 0)
			continue;
		if (!marathon_state_is_peer(t.state)) {
			out->n_not_peer++;
			continue;
		}
		if (!task_place(&t, w->family, &p)) {
			out->n_no_address++;
			continue;
		}
		if (out->has_self && same_place(&out->self, &p))
			continue; /* on our agent: ourselves, or our predecessor being killed */
		for (size_t k = 0; k < out->n_peers && !dup; k++)
			dup = same_place(&out->peers[k], &p);
		if (dup)
			continue;
		if (out->n_peers == MARATHON_MAX_PEERS)
			return jr_fail(err, err_len, -E2BIG, "more than %d peers",
				       MARATHON_MAX_PEERS);
		out->peers[out->n_peers++] = p;
	}
	return 0;
}

int marathon_parse_tasks(const char *body, size_t len, const struct marathon_whoami *whoami,
			 struct marathon_task_list *out, char *err, size_t err_len)
{
	const json_t *tasks = NULL;
	struct marathon_task_list *list;
	struct task_view self;
	bool found = false;
	json_t *root;
	int rc;

	if (whoami->family != AF_INET && whoami->family != AF_INET6)
		return jr_fail(err, err_len, -EINVAL, "tasks: the VIP's address family is not set");
	/* a truncated answer fails here, and so does the plain-text list a missing Accept header
	 * gets (§1) */
	root = jr_load(body, len, JSON_REJECT_DUPLICATES, "tasks", err, err_len);
	if (root == NULL)
		return -EBADMSG;
	list = calloc(1, sizeof(*list));
	rc = list == NULL ? jr_fail(err, err_len, -ENOMEM, "tasks: out of memory")
			  : find_tasks(root, &tasks, err, err_len);
	if (rc == 0)
		rc = find_self(tasks, whoami, &self, &found, err, err_len);
	if (rc == 0) {
		place_self(whoami, &self, found, list);
		rc = collect_peers(tasks, whoami, found ? self.id : NULL, list, err, err_len);
	}
	if (rc == 0)
		memcpy(out, list, sizeof(*out));
	free(list);
	json_decref(root);
	return rc;
}

/* ---- requests --------------------------------------------------------------------------- */

int marathon_check_app_id(const char *app_id, char *err, size_t err_len)
{
	size_t len = app_id != NULL ? strlen(app_id) : 0, seg = 0, dots = 0;

	if (len < 2 || app_id[0] != '/' || len >= MARATHON_APP_ID_LEN)
		return jr_fail(err, err_len, -EINVAL, "app id \"%.64s\": expected an absolute path "
			       "such as /keepvip, at most %d characters", app_id ? app_id : "",
			       MARATHON_APP_ID_LEN - 1);
	for (size_t i = 1; i <= len; i++) {
		char c = app_id[i];
		if (c == '/' || c == '\0') {
			if (seg == 0 || (seg == dots && dots <= 2))
				return jr_fail(err, err_len, -EINVAL,
					       "app id \"%.64s\": empty, \".\" or "
					       "\"..\" path segment", app_id);
			seg = dots = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
			   c == '.') {
			seg++;
			dots += c == '.';
		} else {
			return jr_fail(err, err_len, -EINVAL, "app id \"%.64s\": only lower-case "
				       "letters, digits, '-', '.' and '/' are allowed", app_id);
		}
	}
	return 0;
}

int marathon_tasks_path(const char *app_id, char *out, size_t out_len, char *err,
			size_t err_len)
{
	int rc = marathon_check_app_id(app_id, err, err_len);
	int n;
	if (rc < 0)
		return rc;
	n = snprintf(out, out_len, "/v2/apps%s/tasks", app_id);
	if (n < 0 || (size_t)n >= out_len)
		return jr_fail(err, err_len, -E2BIG, "tasks path: longer than %zu bytes",
			       out_len - 1);
	return 0;
}

/* ---- events ----------------------------------------------------------------------------- */

/* Where an event type says which app it is about (reference §3). */
enum event_subject {
	SUBJECT_APP_ID,          /* "appId" */
	SUBJECT_RUN_SPEC_ID,     /* "runSpecId" */
	SUBJECT_APP_DEFINITION,  /* "appDefinition"."id" */
	SUBJECT_PLAN,            /* the apps of "plan" and "currentStep" actions; remember id */
	SUBJECT_PLAN_ID,         /* "id": a remembered deployment */
	SUBJECT_STREAM,          /* the stream itself */
};

static const struct {
	const char *type;
	enum event_subject subject;
} event_kinds[] = {
	{ "event_stream_attached", SUBJECT_STREAM },
	{ "status_update_event", SUBJECT_APP_ID },
	{ "instance_changed_event", SUBJECT_RUN_SPEC_ID },
	{ "instance_health_changed_event", SUBJECT_RUN_SPEC_ID },
	{ "health_status_changed_event", SUBJECT_APP_ID },
	{ "unhealthy_instance_kill_event", SUBJECT_APP_ID },
	{ "app_terminated_event", SUBJECT_APP_ID },
	{ "api_post_event", SUBJECT_APP_DEFINITION },
	{ "deployment_info", SUBJECT_PLAN },
	{ "deployment_step_success", SUBJECT_PLAN },
	{ "deployment_step_failure", SUBJECT_PLAN },
	{ "deployment_success", SUBJECT_PLAN_ID },
	{ "deployment_failed", SUBJECT_PLAN_ID },
};

#define N_EVENT_KINDS (sizeof(event_kinds) / sizeof(event_kinds[0]))

int marathon_events_path(char *out, size_t out_len)
{
	size_t used = 0;
	int n = snprintf(out, out_len, "/v2/events");
	if (n < 0 || (size_t)n >= out_len)
		return -E2BIG;
	used = (size_t)n;
	for (size_t i = 0; i < N_EVENT_KINDS; i++) {
		n = snprintf(out + used, out_len - used, "%cevent_type=%s", i == 0 ? '?' : '&',
			     event_kinds[i].type);
		if (n < 0 || (size_t)n >= out_len - used)
			return -E2BIG;
		used += (size_t)n;
	}
	return 0;
}

/* Whether a list of actions ({"app": ...} each) names app_id. */
static int actions_name(const json_t *actions, const char *where, const char *app_id,
			bool *named, char *err, size_t err_len)
{
	const json_t *a;
	char at[96], in[97];
	size_t i;
	int rc = 0;

	if (actions == NULL || json_is_null(actions))
		return 0;
	if (!json_is_array(actions))
		return jr_need_list(actions, where, err, err_len);
	json_array_foreach(actions, i, a) {
		const char *app = NULL;
		snprintf(at, sizeof(at), "%s[%zu]", where, i);
		snprintf(in, sizeof(in), "%s.", at);
		rc = jr_need_object(a, at, err, err_len);
		if (rc == 0)
			rc = jr_opt_string(a, "app", in, &app, err, err_len);
		if (rc < 0)
			return rc;
		*named = *named || same_app(app, app_id);
	}
	return 0;
}

/* Whether a deployment plan touches app_id: plan.steps[].actions[] or currentStep.actions[]. */
static int plan_names(const json_t *ev, const char *app_id, bool *named, char *err,
		      size_t err_len)
{
	const json_t *plan = json_object_get(ev, "plan"), *steps = NULL, *step;
	const json_t *current = json_object_get(ev, "currentStep");
	char at[64];
	size_t i;
	int rc = jr_need_object(plan, "plan", err, err_len);

	*named = false;
	if (rc == 0)
		rc = jr_opt_list(plan, "steps", "plan.", &steps, err, err_len);
	json_array_foreach(steps, i, step) {
		if (rc < 0)
			break;
		snprintf(at, sizeof(at), "plan.steps[%zu]", i);
		rc = jr_need_object(step, at, err, err_len);
		snprintf(at, sizeof(at), "plan.steps[%zu].actions", i);
		if (rc == 0)
			rc = actions_name(json_object_get(step, "actions"), at, app_id, named, err,
					  err_len);
	}
	if (rc == 0 && current != NULL && !json_is_null(current)) {
		rc = jr_need_object(current, "currentStep", err, err_len);
		if (rc == 0)
			rc = actions_name(json_object_get(current, "actions"), "currentStep.actions",
					  app_id, named, err, err_len);
	}
	return rc;
}

static void remember_deployment(struct marathon_event_memory *mem, const char *id)
{
	for (size_t i = 0; i < MARATHON_DEPLOYMENTS_KEPT; i++)
		if (strcmp(mem->deployments[i], id) == 0)
			return;
	snprintf(mem->deployments[mem->next], MARATHON_DEPLOYMENT_ID_LEN, "%s", id);
	mem->next = (mem->next + 1) % MARATHON_DEPLOYMENTS_KEPT;
}

/* true (and forgotten) when id is a remembered deployment of ours. */
static bool recall_deployment(struct marathon_event_memory *mem, const char *id)
{
	for (size_t i = 0; i < MARATHON_DEPLOYMENTS_KEPT; i++)
		if (id[0] != '\0' && strcmp(mem->deployments[i], id) == 0) {
			mem->deployments[i][0] = '\0';
			return true;
		}
	return false;
}

/* Whether the event (an object) is about app_id. */
static int event_is_ours(struct marathon_event_memory *mem, enum event_subject subject,
			 const json_t *ev, const char *app_id, bool *is_ours, char *err,
			 size_t err_len)
{
	const char *s = NULL;
	const json_t *def;
	int rc = 0;

	*is_ours = false;
	switch (subject) {
	case SUBJECT_APP_ID:
		rc = jr_opt_string(ev, "appId", "event.", &s, err, err_len);
		*is_ours = same_app(s, app_id);
		break;
	case SUBJECT_RUN_SPEC_ID:
		rc = jr_opt_string(ev, "runSpecId", "event.", &s, err, err_len);
		*is_ours = same_app(s, app_id);
		break;
	case SUBJECT_APP_DEFINITION:
		def = json_object_get(ev, "appDefinition");
		if (def != NULL && !json_is_null(def)) {
			rc = jr_need_object(def, "event.appDefinition", err, err_len);
			if (rc == 0)
				rc = jr_opt_string(def, "id", "event.appDefinition.", &s, err,
						   err_len);
		}
		*is_ours = same_app(s, app_id);
		break;
	case SUBJECT_PLAN:
		rc = plan_names(ev, app_id, is_ours, err, err_len);
		if (rc == 0 && *is_ours) {
			rc = jr_opt_string(json_object_get(ev, "plan"), "id", "plan.", &s, err,
					   err_len);
			if (rc == 0 && is_set(s) && strlen(s) < MARATHON_DEPLOYMENT_ID_LEN)
				remember_deployment(mem, s);
		}
		break;
	case SUBJECT_PLAN_ID:
		rc = jr_opt_string(ev, "id", "event.", &s, err, err_len);
		*is_ours = rc == 0 && s != NULL && recall_deployment(mem, s);
		break;
	case SUBJECT_STREAM:
		break;
	}
	return rc;
}

int marathon_event_classify(struct marathon_event_memory *mem, const char *app_id,
			    const char *type, const char *data, size_t data_len, bool truncated,
			    char *err, size_t err_len)
{
	enum event_subject subject;
	size_t k;
	bool is_ours = false;
	json_t *ev;
	int rc;

	for (k = 0; k < N_EVENT_KINDS; k++)
		if (strcmp(type, event_kinds[k].type) == 0)
			break;
	if (k == N_EVENT_KINDS)
		return MARATHON_EVENT_IGNORE;
	subject = event_kinds[k].subject;
	if (subject == SUBJECT_STREAM)
		return MARATHON_EVENT_ATTACHED;
	if (truncated)
		return MARATHON_EVENT_REFETCH; /* cannot tell whose: the safe side */
	ev = jr_load(data, data_len, JSON_REJECT_DUPLICATES, type, err, err_len);
	if (ev == NULL)
		return -EBADMSG;
	rc = jr_need_object(ev, type, err, err_len);
	if (rc == 0) {
		char inner[200] = "";
		rc = event_is_ours(mem, subject, ev, app_id, &is_ours, inner, sizeof(inner));
		if (rc < 0)
			jr_fail(err, err_len, rc, "%s: %s", type, inner);
	}
	json_decref(ev);
	if (rc < 0)
		return rc;
	return is_ours ? MARATHON_EVENT_REFETCH : MARATHON_EVENT_IGNORE;
}

/* ---- error bodies ----------------------------------------------------------------------- */

int marathon_parse_error(const char *body, size_t len, char *msg, size_t msg_len)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr);
	const json_t *m = json_object_get(root, "message");
	int rc = -EBADMSG;

	if (json_is_string(m) && msg_len > 0) {
		snprintf(msg, msg_len, "%s", json_string_value(m));
		for (char *c = msg; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = ' ';
		rc = 0;
	}
	json_decref(root);
	return rc;
}
