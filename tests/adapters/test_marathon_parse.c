/* test_marathon_parse.c — the Marathon adapter's pure parts against the fixtures:
 * ../shared/fixtures/marathon (Marathon 1.4+ task list, the embedded form, the event stream,
 * the 404 body, a task's environment) and tests/adapters/fixtures/marathon (the 1.3 era with
 * taskId-keyed health and host names; a 1.4+ list with a staging task without addresses, an
 * unreachable one, a lost one, DNS-named and IPv6-only agents, our predecessor being killed).
 * Then the SSE framer (every split of the captured stream gives the same events), the event
 * classifier, the URL list and the Authorization header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "marathon_endpoint.h"
#include "marathon_parse.h"
#include "sse.h"
#include "fixture_file.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KEEPVIP_SHARED_DIR
#error "KEEPVIP_SHARED_DIR must name the shared/ directory"
#endif
#ifndef KEEPVIP_TEST_FIXTURES
#error "KEEPVIP_TEST_FIXTURES must name tests/adapters/fixtures"
#endif

#define SELF_TASK "keepvip.instance-a4485ce8-a4a2-841f-4eed-dbe7fa61f010._app.1"
#define ERA13_SELF "keepvip.0c5b7d2e-09a1-11ef-9f2a-0242ac110002"

/* ---- helpers ---------------------------------------------------------------------------- */

static char *shared(const char *name, size_t *len)
{
	return fixture_read(KEEPVIP_SHARED_DIR "/fixtures/marathon", name, len);
}

static char *local(const char *name, size_t *len)
{
	return fixture_read(KEEPVIP_TEST_FIXTURES "/marathon", name, len);
}

/* The environment Marathon gave the node-a task (task-env.json): our identity. */
static char env_task_id[128], env_host[64], env_app_id[64];

static void load_task_env(void)
{
	char *text = shared("task-env.json", NULL);
	json_t *env = json_loads(text, 0, NULL);
	assert_non_null(env);
	snprintf(env_task_id, sizeof(env_task_id), "%s",
		 json_string_value(json_object_get(env, "MESOS_TASK_ID")));
	snprintf(env_host, sizeof(env_host), "%s", json_string_value(json_object_get(env, "HOST")));
	snprintf(env_app_id, sizeof(env_app_id), "%s",
		 json_string_value(json_object_get(env, "MARATHON_APP_ID")));
	json_decref(env);
	free(text);
}

static struct marathon_task_list *parse(const char *text, size_t len, const char *task_id,
					const char *host, sa_family_t family)
{
	struct marathon_whoami w = { .app_id = "/keepvip", .task_id = task_id, .host = host,
				     .family = family };
	struct marathon_task_list *l = calloc(1, sizeof(*l));
	char err[256] = "";
	assert_non_null(l);
	if (marathon_parse_tasks(text, len, &w, l, err, sizeof(err)) != 0)
		fail_msg("marathon_parse_tasks: %s", err);
	return l;
}

/* A peer as text: the address, or "?name" for a host name to resolve. */
static const char *place(const struct marathon_peer *p, char *buf)
{
	if (p->needs_resolve) {
		snprintf(buf, IP_ADDR_STRLEN + MARATHON_HOST_LEN, "?%s", p->host);
		return buf;
	}
	return ip_addr_str(&p->addr, buf);
}

static void assert_peers(const struct marathon_task_list *l, const char *const *want, size_t n)
{
	char text[IP_ADDR_STRLEN + MARATHON_HOST_LEN];
	for (size_t i = 0; i < l->n_peers && i < n; i++)
		assert_string_equal(place(&l->peers[i], text), want[i]);
	assert_int_equal(l->n_peers, n);
}

static void assert_self(const struct marathon_task_list *l, const char *want, bool is_task)
{
	char text[IP_ADDR_STRLEN + MARATHON_HOST_LEN];
	assert_true(l->has_self);
	assert_string_equal(place(&l->self, text), want);
	assert_int_equal(l->self_is_task, is_task);
}

static int setup(void **state)
{
	(void)state;
	load_task_env();
	return 0;
}

/* ---- the task list: Marathon 1.4+ (shared fixtures) ------------------------------------ */

static void test_tasks_fixture(void **state)
{
	(void)state;
	size_t len;
	char *text = shared("app-tasks.json", &len);
	static const char *const want[] = { "10.42.0.12", "10.42.0.13" };
	struct marathon_task_list *l = parse(text, len, env_task_id, env_host, AF_INET);

	assert_string_equal(env_task_id, SELF_TASK);
	assert_string_equal(env_app_id, "/keepvip");
	assert_self(l, "10.42.0.11", true);
	assert_int_equal(l->self.health, MARATHON_HEALTH_ALIVE);
	/* node-c is TASK_KILLING with a failing health check: still a peer (its goodbye) */
	assert_peers(l, want, 2);
	assert_int_equal(l->peers[0].health, MARATHON_HEALTH_ALIVE);
	assert_int_equal(l->peers[1].health, MARATHON_HEALTH_FAILING);
	assert_string_equal(l->peers[1].host, "10.42.0.13");
	assert_int_equal(l->n_tasks, 3);
	assert_int_equal(l->n_not_peer, 0);
	assert_int_equal(l->n_no_address, 0);
	free(l);
	free(text);
}

static void test_tasks_self_by_host_or_unknown(void **state)
{
	(void)state;
	size_t len;
	char *text = shared("app-tasks.json", &len);
	static const char *const two[] = { "10.42.0.12", "10.42.0.13" };
	static const char *const all[] = { "10.42.0.11", "10.42.0.12", "10.42.0.13" };

	/* no MESOS_TASK_ID: HOST finds the task */
	struct marathon_task_list *l = parse(text, len, NULL, "10.42.0.11", AF_INET);
	assert_self(l, "10.42.0.11", true);
	assert_peers(l, two, 2);
	free(l);
	/* a task id Marathon does not list (yet): HOST still finds ours */
	l = parse(text, len, "keepvip.instance-ffffffff._app.1", "10.42.0.12", AF_INET);
	assert_self(l, "10.42.0.12", true);
	assert_string_equal(l->peers[0].host, "10.42.0.11");
	free(l);
	/* a HOST no task runs on: self from HOST alone */
	l = parse(text, len, NULL, "10.42.0.99", AF_INET);
	assert_self(l, "10.42.0.99", false);
	assert_peers(l, all, 3);
	free(l);
	/* nothing known: every peer, no self */
	l = parse(text, len, NULL, NULL, AF_INET);
	assert_false(l->has_self);
	assert_peers(l, all, 3);
	free(l);
	/* an IPv6 VIP: no task has an IPv6 address and every host is an IPv4 literal */
	l = parse(text, len, env_task_id, env_host, AF_INET6);
	assert_false(l->has_self);
	assert_int_equal(l->n_peers, 0);
	assert_int_equal(l->n_no_address, 2); /* our own task is not counted */
	free(l);
	free(text);
}

static void test_tasks_embedded_in_app(void **state)
{
	(void)state;
	size_t len;
	char *text = shared("app.json", &len);
	static const char *const want[] = { "10.42.0.12", "10.42.0.13" };
	struct marathon_task_list *l = parse(text, len, env_task_id, env_host, AF_INET);
	assert_self(l, "10.42.0.11", true);
	assert_peers(l, want, 2);
	assert_int_equal(l->peers[1].health, MARATHON_HEALTH_FAILING);
	free(l);
	free(text);
}

/* ---- the task list: the 1.3 era and the edge cases (local fixtures) -------------------- */

static void test_tasks_era_1_3(void **state)
{
	(void)state;
	size_t len;
	char *text = local("app-tasks-1.3.json", &len);
	/* node-b has an address; node-c none (resolve its name); both keyed by taskId */
	static const char *const want[] = { "10.42.0.12", "?node-c.mesos.example" };
	struct marathon_task_list *l = parse(text, len, ERA13_SELF, "node-a.mesos.example",
					     AF_INET);
	assert_self(l, "?node-a.mesos.example", true);
	assert_int_equal(l->self.health, MARATHON_HEALTH_ALIVE);
	assert_peers(l, want, 2);
	assert_int_equal(l->peers[0].health, MARATHON_HEALTH_ALIVE);
	assert_int_equal(l->peers[1].health, MARATHON_HEALTH_FAILING);
	assert_int_equal(l->n_tasks, 3);
	free(l);

	/* HOST alone, another case: the same agent */
	l = parse(text, len, NULL, "NODE-A.mesos.example", AF_INET);
	assert_true(l->self_is_task);
	assert_peers(l, want, 2);
	free(l);
	free(text);
}

static void test_tasks_edge_cases_ipv4(void **state)
{
	(void)state;
	size_t len;
	char *text = local("app-tasks-edge.json", &len);
	/* b: its IPv4 entry (the IPv6 one comes first); e: a DNS name; h: unhealthy, running */
	static const char *const want[] = { "10.42.0.12", "?node-e.edge.example", "10.42.0.18" };
	struct marathon_task_list *l = parse(text, len, SELF_TASK, "10.42.0.11", AF_INET);

	assert_self(l, "10.42.0.11", true);
	assert_peers(l, want, 3);
	assert_int_equal(l->peers[2].health, MARATHON_HEALTH_FAILING);
	assert_int_equal(l->peers[1].health, MARATHON_HEALTH_UNKNOWN);
	assert_int_equal(l->n_tasks, 10);
	/* unreachable, staging without addresses, starting, lost */
	assert_int_equal(l->n_not_peer, 4);
	/* g: its only place is an IPv6 literal */
	assert_int_equal(l->n_no_address, 1);
	free(l);
	free(text);
}

static void test_tasks_edge_cases_ipv6(void **state)
{
	(void)state;
	size_t len;
	char *text = local("app-tasks-edge.json", &len);
	/* b: its IPv6 entry; g: the IPv6 literal host; e and h: names to resolve (AAAA) */
	static const char *const want[] = { "fd42::12", "?node-e.edge.example", "fd42::17",
					    "?node-h.edge.example" };
	struct marathon_task_list *l = parse(text, len, SELF_TASK, "10.42.0.11", AF_INET6);

	/* our task has no IPv6 address and our HOST is an IPv4 literal: no self */
	assert_false(l->has_self);
	assert_peers(l, want, 4);
	/* a_old: IPv4 only (our own task a is not counted) */
	assert_int_equal(l->n_no_address, 1);
	assert_int_equal(l->n_not_peer, 4);
	free(l);
	free(text);
}

static void test_tasks_other_apps_skipped(void **state)
{
	(void)state;
	const char *body =
		"{\"tasks\": ["
		"{\"id\": \"web_nginx.instance-1._app.1\", \"appId\": \"/web/nginx\","
		" \"host\": \"10.42.0.14\", \"state\": \"TASK_RUNNING\"},"
		"{\"id\": \"keepvip.instance-2._app.1\", \"appId\": \"keepvip\","
		" \"host\": \"10.42.0.12\", \"state\": \"TASK_RUNNING\"},"
		"{\"id\": \"keepvip.instance-3._app.1\","
		" \"host\": \"10.42.0.13\", \"state\": \"TASK_RUNNING\"}]}";
	static const char *const want[] = { "10.42.0.12", "10.42.0.13" };
	struct marathon_task_list *l = parse(body, strlen(body), NULL, NULL, AF_INET);
	assert_peers(l, want, 2);
	assert_int_equal(l->n_tasks, 2);
	free(l);
}

static void test_tasks_self_name_and_duplicates(void **state)
{
	(void)state;
	/* two running tasks on one agent (a rolling restart) are one peer */
	const char *body =
		"{\"tasks\": ["
		"{\"id\": \"t1\", \"host\": \"node-b\", \"state\": \"TASK_RUNNING\"},"
		"{\"id\": \"t2\", \"host\": \"NODE-B\", \"state\": \"TASK_KILLING\"},"
		"{\"id\": \"t3\", \"host\": \"10.42.0.13\", \"state\": \"TASK_RUNNING\"},"
		"{\"id\": \"t4\", \"host\": \"node-c\", \"state\": \"TASK_RUNNING\","
		" \"ipAddresses\": [{\"ipAddress\": \"10.42.0.13\", \"protocol\": \"IPv4\"}]}]}";
	static const char *const want[] = { "?node-b", "10.42.0.13" };
	struct marathon_task_list *l = parse(body, strlen(body), NULL, "node-a", AF_INET);
	assert_self(l, "?node-a", false);
	assert_peers(l, want, 2);
	free(l);
}

/* A list answer that must fail, and the error it must give; out stays as it was. */
static void assert_tasks_error(const char *body, int want_rc, const char *want_err)
{
	struct marathon_whoami w = { .app_id = "/keepvip", .task_id = SELF_TASK,
				     .host = "10.42.0.11", .family = AF_INET };
	struct marathon_task_list *l = calloc(1, sizeof(*l));
	char err[256] = "";
	assert_non_null(l);
	l->n_peers = 7; /* a sentinel: an error writes nothing */
	assert_int_equal(marathon_parse_tasks(body, strlen(body), &w, l, err, sizeof(err)),
			 want_rc);
	if (strstr(err, want_err) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, want_err);
	assert_int_equal(l->n_peers, 7);
	free(l);
}

static void test_tasks_bad_answers(void **state)
{
	(void)state;
	assert_tasks_error("[]", -EBADMSG, "answer: expected an object, got list");
	assert_tasks_error("{}", -EBADMSG, "answer.tasks: missing");
	assert_tasks_error("{\"app\": {\"id\": \"/keepvip\"}}", -EBADMSG, "app.tasks: missing");
	assert_tasks_error("{\"tasks\": {}}", -EBADMSG, "answer.tasks: expected a list, got object");
	assert_tasks_error("{\"tasks\": [42]}", -EBADMSG, "tasks[0]: expected an object, got integer");
	assert_tasks_error("{\"tasks\": [{\"state\": \"TASK_RUNNING\"}]}", -EBADMSG,
			   "tasks[0].id: missing or empty");
	assert_tasks_error("{\"tasks\": [{\"id\": \"t\", \"host\": \"h\"}]}", -EBADMSG,
			   "tasks[0].state: missing or empty");
	assert_tasks_error("{\"tasks\": [{\"id\": \"t\", \"state\": 3}]}", -EBADMSG,
			   "tasks[0].state: expected a string, got integer");
	assert_tasks_error("{\"tasks\": [{\"id\": \"t\", \"state\": \"TASK_RUNNING\","
			   " \"host\": \"node a; rm\"}]}", -EBADMSG,
			   "tasks[0].host: \"node a; rm\" is neither a host name nor an IP address");
	assert_tasks_error("{\"tasks\": [{\"id\": \"t\", \"state\": \"TASK_RUNNING\","
			   " \"ipAddresses\": {}}]}", -EBADMSG,
			   "tasks[0].ipAddresses: expected a list, got object");
	assert_tasks_error("{\"tasks\": [{\"id\": \"t\", \"state\": \"TASK_RUNNING\","
			   " \"ipAddresses\": [{\"ipAddress\": 10}]}]}", -EBADMSG,
			   "tasks[0].ipAddresses[0].ipAddress: expected a string, got integer");
	assert_tasks_error("{\"tasks\": [{\"id\": \"t\", \"state\": \"TASK_RUNNING\","
			   " \"ipAddresses\": [{\"ipAddress\": \"10.42.0\"}]}]}", -EBADMSG,
			   "tasks[0].ipAddresses[0].ipAddress: \"10.42.0\" is not an IP address");
	assert_tasks_error("{\"tasks\": [{\"id\": \"t\", \"state\": \"TASK_RUNNING\","
			   " \"healthCheckResults\": [{\"alive\": \"yes\", \"taskId\": \"t\"}]}]}",
			   -EBADMSG, "tasks[0].healthCheckResults[0].alive: expected a boolean");
	assert_tasks_error("{\"tasks\": [], \"tasks\": []}", -EBADMSG, "duplicate object key");
	/* the text/plain task list a client without Accept: application/json may get (§1) */
	assert_tasks_error("keepvip\t\t10.42.0.11:31000\t10.42.0.12:31000\n", -EBADMSG,
			   "tasks: invalid JSON at line 1");
}

static void test_tasks_truncated_everywhere(void **state)
{
	(void)state;
	size_t len;
	char *text = shared("app-tasks.json", &len);
	struct marathon_whoami w = { .app_id = "/keepvip", .task_id = SELF_TASK,
				     .host = "10.42.0.11", .family = AF_INET };
	struct marathon_task_list *l = calloc(1, sizeof(*l));
	assert_non_null(l);
	/* every cut short of the last byte that still holds the closing brace fails, saying why */
	for (size_t cut = 0; cut < len - 1; cut++) {
		char err[256] = "";
		int rc = marathon_parse_tasks(text, cut, &w, l, err, sizeof(err));
		if (rc != -EBADMSG)
			fail_msg("cut at %zu: rc %d", cut, rc);
		assert_non_null(strstr(err, "invalid JSON"));
	}
	free(l);
	free(text);
}

/* A task list of n running tasks on distinct hosts; the caller frees it. */
static char *many_tasks(int n)
{
	size_t cap = 100 * (size_t)n + 32, used;
	char *body = malloc(cap);
	assert_non_null(body);
	used = (size_t)snprintf(body, cap, "{\"tasks\": [");
	for (int i = 0; i < n; i++)
		used += (size_t)snprintf(body + used, cap - used,
					 "%s{\"id\": \"t%d\", \"state\": \"TASK_RUNNING\", "
					 "\"host\": \"10.1.%d.%d\"}", i ? "," : "", i, i / 256,
					 i % 256);
	snprintf(body + used, cap - used, "]}");
	return body;
}

static void test_tasks_too_many_peers(void **state)
{
	(void)state;
	char *body = many_tasks(MARATHON_MAX_PEERS + 1);
	assert_tasks_error(body, -E2BIG, "more than 256 peers");
	free(body);
	/* one fewer fits */
	body = many_tasks(MARATHON_MAX_PEERS);
	struct marathon_task_list *l = parse(body, strlen(body), NULL, NULL, AF_INET);
	assert_int_equal(l->n_peers, MARATHON_MAX_PEERS);
	free(l);
	free(body);
}

static void test_tasks_family_required(void **state)
{
	(void)state;
	struct marathon_whoami w = { .app_id = "/keepvip" };
	struct marathon_task_list *l = calloc(1, sizeof(*l));
	char err[256];
	assert_int_equal(marathon_parse_tasks("{\"tasks\": []}", 13, &w, l, err, sizeof(err)),
			 -EINVAL);
	free(l);
}

static void test_state_and_instance_id(void **state)
{
	(void)state;
	char id[128];
	assert_true(marathon_state_is_peer("TASK_RUNNING"));
	assert_true(marathon_state_is_peer("TASK_KILLING"));
	for (const char *const *s = (const char *const[]){ "TASK_STAGING", "TASK_STARTING",
			"TASK_UNREACHABLE", "TASK_LOST", "TASK_UNKNOWN", "TASK_KILLED",
			"TASK_FINISHED", "TASK_FAILED", "TASK_ERROR", "TASK_GONE", "TASK_DROPPED",
			"task_running", NULL }; *s != NULL; s++)
		assert_false(marathon_state_is_peer(*s));
	assert_false(marathon_state_is_peer(NULL));

	assert_int_equal(marathon_instance_id(SELF_TASK, id, sizeof(id)), 0);
	assert_string_equal(id, "keepvip.instance-a4485ce8-a4a2-841f-4eed-dbe7fa61f010");
	assert_int_equal(marathon_instance_id(ERA13_SELF, id, sizeof(id)), 0);
	assert_string_equal(id, ERA13_SELF);
	assert_int_equal(marathon_instance_id(SELF_TASK, id, 10), -E2BIG);
}

/* ---- requests and error bodies ---------------------------------------------------------- */

static void test_paths(void **state)
{
	(void)state;
	char path[MARATHON_PATH_LEN], err[256];
	assert_int_equal(marathon_tasks_path("/keepvip", path, sizeof(path), err, sizeof(err)), 0);
	assert_string_equal(path, "/v2/apps/keepvip/tasks");
	assert_int_equal(marathon_tasks_path("/infra/keep-vip.2", path, sizeof(path), err,
					     sizeof(err)), 0);
	assert_string_equal(path, "/v2/apps/infra/keep-vip.2/tasks");
	for (const char *const *bad = (const char *const[]){ "keepvip", "/", "", "/Keepvip",
			"/keep vip", "/a//b", "/a/", "/a/../b", "/.", "/a?x=1", "/a%2f", NULL };
	     *bad != NULL; bad++) {
		err[0] = '\0';
		if (marathon_tasks_path(*bad, path, sizeof(path), err, sizeof(err)) != -EINVAL)
			fail_msg("app id \"%s\" accepted", *bad);
		assert_non_null(strstr(err, "app id"));
	}
	assert_int_equal(marathon_tasks_path("/keepvip", path, 12, err, sizeof(err)), -E2BIG);

	assert_int_equal(marathon_events_path(path, sizeof(path)), 0);
	assert_string_equal(path, "/v2/events?event_type=event_stream_attached"
			    "&event_type=status_update_event&event_type=instance_changed_event"
			    "&event_type=instance_health_changed_event"
			    "&event_type=health_status_changed_event"
			    "&event_type=unhealthy_instance_kill_event"
			    "&event_type=app_terminated_event&event_type=api_post_event"
			    "&event_type=deployment_info&event_type=deployment_step_success"
			    "&event_type=deployment_step_failure&event_type=deployment_success"
			    "&event_type=deployment_failed");
	assert_int_equal(marathon_events_path(path, 40), -E2BIG);
}

static void test_error_body(void **state)
{
	(void)state;
	size_t len;
	char *text = shared("error-app-not-found.json", &len), msg[MARATHON_MESSAGE_LEN];
	const char *html = "<html><body><h2>HTTP ERROR 502</h2><p>Could not determine the "
			   "current leader</p></body></html>";
	const char *ctl = "{\"message\": \"line1\\nline2\\u001b[31m\"}";
	assert_int_equal(marathon_parse_error(text, len, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "App '/keepvip' does not exist");
	assert_int_equal(marathon_parse_error(html, strlen(html), msg, sizeof(msg)), -EBADMSG);
	assert_int_equal(marathon_parse_error("{\"message\": 4}", 14, msg, sizeof(msg)), -EBADMSG);
	assert_int_equal(marathon_parse_error(ctl, strlen(ctl), msg, sizeof(msg)), 0);
	assert_string_equal(msg, "line1 line2 [31m");
	assert_int_equal(marathon_parse_error(text, len, msg, 8), 0);
	assert_string_equal(msg, "App '/k");
	free(text);
}

/* ---- the SSE framer --------------------------------------------------------------------- */

#define MAX_SEEN 64

struct seen {
	size_t n;
	char type[MAX_SEEN][SSE_TYPE_LEN];
	char *data[MAX_SEEN];
	bool truncated[MAX_SEEN];
	int stop_after; /* 0: never */
};

static int collect(void *arg, const struct sse_event *ev)
{
	struct seen *s = arg;
	assert_true(s->n < MAX_SEEN);
	assert_int_equal(strlen(ev->data), ev->data_len);
	snprintf(s->type[s->n], SSE_TYPE_LEN, "%s", ev->type);
	s->data[s->n] = strdup(ev->data);
	s->truncated[s->n] = ev->truncated;
	s->n++;
	return s->stop_after != 0 && (int)s->n == s->stop_after ? 42 : 0;
}

static void seen_free(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->data[i]);
	memset(s, 0, sizeof(*s));
}

static void assert_same_events(const struct seen *a, const struct seen *b, const char *how)
{
	if (a->n != b->n)
		fail_msg("%s: %zu events, not %zu", how, b->n, a->n);
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->type[i], b->type[i]) != 0 || strcmp(a->data[i], b->data[i]) != 0 ||
		    a->truncated[i] != b->truncated[i])
			fail_msg("%s: event %zu differs (%s / %s)", how, i, a->type[i], b->type[i]);
	}
}

/* Feeds text in pieces cut at the given positions (ascending, within len). */
static void feed_split(const char *text, size_t len, const size_t *cuts, size_t n_cuts,
		       struct seen *out, uint64_t *heartbeats)
{
	struct sse_parser p;
	size_t from = 0;
	sse_init(&p);
	for (size_t i = 0; i <= n_cuts; i++) {
		size_t to = i < n_cuts ? cuts[i] : len;
		assert_int_equal(sse_feed(&p, text + from, to - from, collect, out), 0);
		from = to;
	}
	if (heartbeats != NULL)
		*heartbeats = p.heartbeats;
	sse_free(&p);
}

/* The captured stream, event by event: type, and the value of one field of its data. */
static const struct {
	const char *type, *field, *value;
} stream_events[] = {
	{ "event_stream_attached", "remoteAddress", "10.42.0.11" },
	{ "unhealthy_instance_kill_event", "reason", "Connection refused" },
	{ "status_update_event", "taskStatus", "TASK_KILLING" },
	{ "instance_changed_event", "condition", "Killing" },
	{ "status_update_event", "appId", "/web/nginx" },
	{ "status_update_event", "taskStatus", "TASK_KILLED" },
	{ "instance_changed_event", "condition", "Killed" },
	{ "deployment_info", "eventType", "deployment_info" },
	{ "status_update_event", "taskStatus", "TASK_STAGING" },
	{ "status_update_event", "taskStatus", "TASK_RUNNING" },
	{ "instance_changed_event", "condition", "Running" },
	{ "health_status_changed_event", "instanceId",
	  "keepvip.instance-8e1d8ec0-7511-2101-8a38-78af70e42160" },
	{ "instance_health_changed_event", "runSpecId", "/keepvip" },
	{ "deployment_step_success", "eventType", "deployment_step_success" },
	{ "deployment_success", "id", "854f44ff-ddaf-a263-7144-b9dd14238d04" },
};
#define N_STREAM_EVENTS (sizeof(stream_events) / sizeof(stream_events[0]))

static void assert_stream_events(const struct seen *s)
{
	assert_int_equal(s->n, N_STREAM_EVENTS);
	for (size_t i = 0; i < N_STREAM_EVENTS; i++) {
		json_error_t jerr;
		json_t *d = json_loads(s->data[i], 0, &jerr);
		if (d == NULL)
			fail_msg("event %zu: data is not JSON: %s", i, jerr.text);
		assert_string_equal(s->type[i], stream_events[i].type);
		assert_string_equal(json_string_value(json_object_get(d, stream_events[i].field)),
				    stream_events[i].value);
		assert_string_equal(json_string_value(json_object_get(d, "eventType")),
				    stream_events[i].type);
		assert_false(s->truncated[i]);
		json_decref(d);
	}
}

static void test_sse_fixture(void **state)
{
	(void)state;
	size_t len;
	char *text = shared("events.sse", &len);
	struct seen s = { 0 };
	uint64_t heartbeats;

	assert_non_null(strstr(text, "\r\n\r\n\r\n")); /* the fixture keeps its CRLFs */
	feed_split(text, len, NULL, 0, &s, &heartbeats);
	assert_stream_events(&s);
	/* three bare CRLFs after an event's blank line: Jetty's 10 s heartbeats */
	assert_int_equal(heartbeats, 3);
	seen_free(&s);
	free(text);
}

static void test_sse_every_split(void **state)
{
	(void)state;
	size_t len;
	char *text = shared("events.sse", &len);
	struct seen whole = { 0 }, part = { 0 };
	uint64_t hb_whole, hb;
	char how[64];

	feed_split(text, len, NULL, 0, &whole, &hb_whole);
	for (size_t cut = 0; cut <= len; cut++) {
		feed_split(text, len, &cut, 1, &part, &hb);
		snprintf(how, sizeof(how), "split at %zu", cut);
		assert_same_events(&whole, &part, how);
		assert_int_equal(hb, hb_whole);
		seen_free(&part);
	}
	/* two cuts, one of them inside every CRLF of the stream */
	for (size_t cut = 1; cut < len; cut++) {
		size_t cuts[2] = { cut / 2, cut };
		if (text[cut - 1] != '\r')
			continue;
		feed_split(text, len, cuts, 2, &part, &hb);
		snprintf(how, sizeof(how), "split at %zu and %zu", cuts[0], cuts[1]);
		assert_same_events(&whole, &part, how);
		assert_int_equal(hb, hb_whole);
		seen_free(&part);
	}
	/* one byte at a time */
	{
		size_t *cuts = malloc(len * sizeof(*cuts));
		assert_non_null(cuts);
		for (size_t i = 0; i < len; i++)
			cuts[i] = i;
		feed_split(text, len, cuts, len, &part, &hb);
		assert_same_events(&whole, &part, "byte by byte");
		assert_int_equal(hb, hb_whole);
		seen_free(&part);
		free(cuts);
	}
	seen_free(&whole);
	free(text);
}

/* text with every CRLF replaced by eol */
static char *reframe(const char *text, const char *eol, size_t *len)
{
	size_t n = strlen(text), o = 0;
	char *out = malloc(n + 1);
	assert_non_null(out);
	for (size_t i = 0; i < n; i++) {
		if (text[i] == '\r' && text[i + 1] == '\n') {
			memcpy(out + o, eol, strlen(eol));
			o += strlen(eol);
			i++;
		} else {
			out[o++] = text[i];
		}
	}
	out[o] = '\0';
	*len = o;
	return out;
}

static void test_sse_lf_and_cr_framing(void **state)
{
	(void)state;
	char *text = shared("events.sse", NULL);
	static const char *const eols[] = { "\n", "\r" };
	for (size_t e = 0; e < 2; e++) {
		size_t len;
		char *other = reframe(text, eols[e], &len);
		struct seen s = { 0 };
		uint64_t hb;
		assert_null(strstr(other, "\r\n"));
		feed_split(other, len, NULL, 0, &s, &hb);
		assert_stream_events(&s);
		assert_int_equal(hb, 3);
		seen_free(&s);
		/* and split everywhere */
		for (size_t cut = 0; cut <= len; cut++) {
			feed_split(other, len, &cut, 1, &s, &hb);
			assert_int_equal(s.n, N_STREAM_EVENTS);
			assert_int_equal(hb, 3);
			seen_free(&s);
		}
		free(other);
	}
	free(text);
}

static void test_sse_fields(void **state)
{
	(void)state;
	const char *text =
		"\xEF\xBB\xBF: a comment\n"           /* BOM, then a comment */
		"data: one\n"
		"data:two\n"                          /* no space after the colon */
		"data:  three\n"                      /* only the first space goes */
		"data\n"                              /* a field alone: an empty line of data */
		"id: 7\nretry: 1000\nfoo: bar\n"      /* read and ignored */
		"\n"
		"event: only-a-type\n\n"              /* no data: nothing dispatched */
		"event: first\nevent: second\ndata: {}\n\n"
		"data: last\r\n";                     /* no blank line yet: not dispatched */
	struct sse_parser p;
	struct seen s = { 0 };

	sse_init(&p);
	assert_int_equal(sse_feed(&p, text, strlen(text), collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.type[0], "message");
	assert_string_equal(s.data[0], "one\ntwo\n three\n");
	assert_string_equal(s.type[1], "second");
	assert_string_equal(s.data[1], "{}");
	assert_int_equal(p.comments, 1);
	assert_int_equal(p.heartbeats, 0);
	/* a new connection: the unfinished event is forgotten */
	sse_reset(&p);
	assert_int_equal(sse_feed(&p, "\r\n", 2, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(p.heartbeats, 1);
	/* an empty data field still makes an event */
	assert_int_equal(sse_feed(&p, "data:\r\n\r\n", 9, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.data[2], "");
	assert_int_equal(p.events, 3);
	seen_free(&s);
	sse_free(&p);
	sse_free(NULL);
}

static void test_sse_bounds(void **state)
{
	(void)state;
	size_t big = SSE_MAX_LINE + 100;
	char *line = malloc(big);
	struct sse_parser p;
	struct seen s = { 0 };
	assert_non_null(line);
	memset(line, 'x', big);
	sse_init(&p);

	/* one data line over the line bound: the event comes, marked, with no data */
	assert_int_equal(sse_feed(&p, "event: deployment_info\r\ndata: ", 30, collect, &s), 0);
	assert_int_equal(sse_feed(&p, line, big, collect, &s), 0);
	assert_int_equal(sse_feed(&p, "\r\n\r\nevent: after\r\ndata: ok\r\n\r\n", 30, collect,
				  &s), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.type[0], "deployment_info");
	assert_true(s.truncated[0]);
	assert_string_equal(s.data[0], "");
	assert_string_equal(s.type[1], "after");
	assert_string_equal(s.data[1], "ok");
	assert_false(s.truncated[1]);
	assert_true(p.line_cap <= SSE_MAX_LINE);

	/* data lines that add up past the data bound: what fitted, marked */
	memset(line, 'y', 1000);
	memcpy(line, "data: ", 6);
	line[999] = '\n';
	for (size_t i = 0; i < SSE_MAX_DATA / 1000 + 2; i++)
		assert_int_equal(sse_feed(&p, line, 1000, collect, &s), 0);
	assert_int_equal(sse_feed(&p, "\n", 1, collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_true(s.truncated[2]);
	assert_true(strlen(s.data[2]) < SSE_MAX_DATA);
	assert_true(strlen(s.data[2]) > SSE_MAX_DATA - 1000);
	assert_true(p.data_cap <= SSE_MAX_DATA + 1);
	assert_int_equal(p.truncated, 2);

	/* an over-long event type is cut and marked */
	memset(line, 't', 200);
	memcpy(line, "event:", 6);
	line[199] = '\n';
	assert_int_equal(sse_feed(&p, line, 200, collect, &s), 0);
	assert_int_equal(sse_feed(&p, "data: x\n\n", 9, collect, &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(strlen(s.type[3]), SSE_TYPE_LEN - 1);
	assert_true(s.truncated[3]);
	seen_free(&s);
	sse_free(&p);
	free(line);
}

/* Feeds piece (len bytes) until sse_feed stops; returns its value and the bytes fed. */
static int feed_until_stop(struct sse_parser *p, const char *piece, size_t len, size_t *fed,
			   struct seen *s)
{
	int rc = 0;
	for (*fed = 0; rc == 0 && *fed < 2 * SSE_MAX_EVENT; *fed += len)
		rc = sse_feed(p, piece, len, collect, s);
	return rc;
}

/* Issue 13 point 5: an event that never ends (a line of 1 GiB with no end, data lines with
 * no blank line) is an error once past SSE_MAX_EVENT bytes, not a stream read forever;
 * memory stays within the line and data bounds; after sse_reset a new stream is read. */
static void test_sse_event_that_never_ends(void **state)
{
	(void)state;
	size_t n = (size_t)64 << 10, fed;
	char *piece = malloc(n);
	struct sse_parser p;
	struct seen s = { 0 };
	assert_non_null(piece);
	sse_init(&p);

	memset(piece, 'x', n); /* one line, never ended */
	assert_int_equal(sse_feed(&p, "event: deployment_info\r\ndata: ", 30, collect, &s), 0);
	assert_int_equal(feed_until_stop(&p, piece, n, &fed, &s), -EMSGSIZE);
	assert_true(fed >= SSE_MAX_EVENT - n && fed <= SSE_MAX_EVENT + n);
	assert_int_equal(s.n, 0);
	assert_true(p.line_cap <= SSE_MAX_LINE);

	sse_reset(&p);
	memset(piece, 'y', n); /* data lines of 1 KiB, and never the blank line */
	for (size_t i = 0; i < n; i += 1024) {
		memcpy(piece + i, "data: ", 6);
		piece[i + 1023] = '\n';
	}
	assert_int_equal(feed_until_stop(&p, piece, n, &fed, &s), -EMSGSIZE);
	assert_true(fed >= SSE_MAX_EVENT - n && fed <= SSE_MAX_EVENT + n);
	assert_int_equal(s.n, 0);
	assert_true(p.data_cap <= SSE_MAX_DATA + 1);

	/* heartbeats (blank lines) for longer than the bound: never an error, then an event */
	sse_reset(&p);
	for (size_t i = 0; i < n; i += 2)
		memcpy(piece + i, "\r\n", 2);
	for (size_t i = 0; i < SSE_MAX_EVENT / n + 2; i++)
		assert_int_equal(sse_feed(&p, piece, n, collect, &s), 0);
	assert_int_equal(sse_feed(&p, "data: ok\r\n\r\n", 12, collect, &s), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.data[0], "ok");
	seen_free(&s);
	sse_free(&p);
	free(piece);
}

static void test_sse_callback_stops(void **state)
{
	(void)state;
	char *text = shared("events.sse", NULL);
	struct sse_parser p;
	struct seen s = { .stop_after = 2 };
	sse_init(&p);
	assert_int_equal(sse_feed(&p, text, strlen(text), collect, &s), 42);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.type[1], "unhealthy_instance_kill_event");
	seen_free(&s);
	sse_free(&p);
	free(text);
}

/* ---- the event classifier ------------------------------------------------------------- */

static int classify(struct marathon_event_memory *mem, const char *app, const char *type,
		    const char *data)
{
	char err[256] = "";
	int rc = marathon_event_classify(mem, app, type, data, strlen(data), false, err,
					 sizeof(err));
	if (rc < 0)
		fail_msg("%s: %s", type, err);
	return rc;
}

static void classify_stream(const char *app, int *actions)
{
	char *text = shared("events.sse", NULL);
	struct marathon_event_memory mem = { .next = 0 };
	struct seen s = { 0 };
	feed_split(text, strlen(text), NULL, 0, &s, NULL);
	assert_int_equal(s.n, N_STREAM_EVENTS);
	for (size_t i = 0; i < s.n; i++)
		actions[i] = classify(&mem, app, s.type[i], s.data[i]);
	seen_free(&s);
	free(text);
}

static void test_classify_stream(void **state)
{
	(void)state;
	enum { I = MARATHON_EVENT_IGNORE, R = MARATHON_EVENT_REFETCH, A = MARATHON_EVENT_ATTACHED };
	/* ours: everything about /keepvip, the deployment's end recalled by its id */
	static const int keepvip[N_STREAM_EVENTS] = { A, R, R, R, I, R, R, R, R, R, R, R, R, R, R };
	/* another app sees only its own task, and none of /keepvip's deployment */
	static const int nginx[N_STREAM_EVENTS] = { A, I, I, I, R, I, I, I, I, I, I, I, I, I, I };
	int got[N_STREAM_EVENTS];

	classify_stream("/keepvip", got);
	for (size_t i = 0; i < N_STREAM_EVENTS; i++)
		if (got[i] != keepvip[i])
			fail_msg("/keepvip: event %zu (%s): %d", i, stream_events[i].type, got[i]);
	classify_stream("web/nginx", got); /* the leading slash is optional */
	for (size_t i = 0; i < N_STREAM_EVENTS; i++)
		if (got[i] != nginx[i])
			fail_msg("/web/nginx: event %zu (%s): %d", i, stream_events[i].type, got[i]);
}

static void test_classify_details(void **state)
{
	(void)state;
	struct marathon_event_memory mem = { .next = 0 };
	char err[256];
	const char *post = "{\"clientIp\": \"10.0.0.5\", \"uri\": \"/v2/apps/keepvip\","
			   " \"appDefinition\": {\"id\": \"/keepvip\", \"instances\": 4}}";
	const char *plan_other = "{\"plan\": {\"id\": \"d-other\", \"steps\": [{\"actions\":"
				 " [{\"action\": \"ScaleApplication\", \"app\": \"/web\"}]}]},"
				 " \"currentStep\": {\"actions\": []}}";
	const char *plan_current = "{\"plan\": {\"id\": \"d-ours\", \"steps\": []},"
				   " \"currentStep\": {\"actions\": [{\"type\": \"StartApplication\","
				   " \"app\": \"/keepvip\"}]}}";

	assert_int_equal(classify(&mem, "/keepvip", "api_post_event", post), MARATHON_EVENT_REFETCH);
	assert_int_equal(classify(&mem, "/other", "api_post_event", post), MARATHON_EVENT_IGNORE);
	assert_int_equal(classify(&mem, "/keepvip", "app_terminated_event",
				  "{\"appId\": \"/keepvip\"}"), MARATHON_EVENT_REFETCH);
	/* a deployment of another app, and its end: ignored */
	assert_int_equal(classify(&mem, "/keepvip", "deployment_step_failure", plan_other),
			 MARATHON_EVENT_IGNORE);
	assert_int_equal(classify(&mem, "/keepvip", "deployment_failed", "{\"id\": \"d-other\"}"),
			 MARATHON_EVENT_IGNORE);
	/* ours through currentStep only; its end refetches once, then the id is forgotten */
	assert_int_equal(classify(&mem, "/keepvip", "deployment_info", plan_current),
			 MARATHON_EVENT_REFETCH);
	assert_int_equal(classify(&mem, "/keepvip", "deployment_failed", "{\"id\": \"d-ours\"}"),
			 MARATHON_EVENT_REFETCH);
	assert_int_equal(classify(&mem, "/keepvip", "deployment_failed", "{\"id\": \"d-ours\"}"),
			 MARATHON_EVENT_IGNORE);
	/* types keepvip does not act on, whatever their data */
	assert_int_equal(classify(&mem, "/keepvip", "group_change_success", "not json"),
			 MARATHON_EVENT_IGNORE);
	assert_int_equal(classify(&mem, "/keepvip", "message", "{}"), MARATHON_EVENT_IGNORE);
	/* a cut event of a type that matters: the safe side */
	assert_int_equal(marathon_event_classify(&mem, "/keepvip", "deployment_info", "{\"pl", 4,
						 true, err, sizeof(err)), MARATHON_EVENT_REFETCH);
	assert_int_equal(marathon_event_classify(&mem, "/keepvip", "subscribe_event", "", 0, true,
						 err, sizeof(err)), MARATHON_EVENT_IGNORE);
	/* ring of remembered deployments: the oldest goes first */
	for (int i = 0; i <= MARATHON_DEPLOYMENTS_KEPT; i++) {
		char plan[160];
		snprintf(plan, sizeof(plan), "{\"plan\": {\"id\": \"d%d\", \"steps\": [{\"actions\":"
			 " [{\"app\": \"/keepvip\"}]}]}}", i);
		assert_int_equal(classify(&mem, "/keepvip", "deployment_info", plan),
				 MARATHON_EVENT_REFETCH);
	}
	assert_int_equal(classify(&mem, "/keepvip", "deployment_success", "{\"id\": \"d0\"}"),
			 MARATHON_EVENT_IGNORE);
	assert_int_equal(classify(&mem, "/keepvip", "deployment_success",
				  "{\"id\": \"d" "8\"}"), MARATHON_EVENT_REFETCH);
}

static void assert_classify_error(const char *type, const char *data, const char *want)
{
	struct marathon_event_memory mem = { .next = 0 };
	char err[256] = "";
	assert_int_equal(marathon_event_classify(&mem, "/keepvip", type, data, strlen(data), false,
						 err, sizeof(err)), -EBADMSG);
	if (strstr(err, want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

static void test_classify_errors(void **state)
{
	(void)state;
	assert_classify_error("status_update_event", "{\"appId\": \"/keep",
			      "status_update_event: invalid JSON");
	assert_classify_error("status_update_event", "[]",
			      "status_update_event: expected an object, got list");
	assert_classify_error("status_update_event", "{\"appId\": 5}",
			      "status_update_event: event.appId: expected a string, got integer");
	assert_classify_error("instance_changed_event", "{\"runSpecId\": []}",
			      "instance_changed_event: event.runSpecId: expected a string, got list");
	assert_classify_error("api_post_event", "{\"appDefinition\": \"/keepvip\"}",
			      "api_post_event: event.appDefinition: expected an object");
	assert_classify_error("deployment_info", "{\"currentStep\": {}}",
			      "deployment_info: plan: expected an object, got nothing");
	assert_classify_error("deployment_info", "{\"plan\": {\"steps\": [{\"actions\": [1]}]}}",
			      "deployment_info: plan.steps[0].actions[0]: expected an object");
	assert_classify_error("deployment_step_success",
			      "{\"plan\": {\"steps\": []}, \"currentStep\": {\"actions\": 3}}",
			      "currentStep.actions: expected a list, got integer");
}

/* ---- endpoints and credentials ---------------------------------------------------------- */

static void test_urls(void **state)
{
	(void)state;
	struct marathon_urls u;
	char err[256];

	assert_int_equal(marathon_urls_parse(NULL, &u, err, sizeof(err)), 0);
	assert_int_equal(u.n, 1);
	assert_string_equal(u.url[0], "http://marathon.mesos:8080");
	assert_int_equal(marathon_urls_parse("  ", &u, err, sizeof(err)), 0);
	assert_string_equal(u.url[0], MARATHON_DEFAULT_URL);

	assert_int_equal(marathon_urls_parse("http://m1:8080, HTTPS://master/service/marathon/ ,"
					     "http://[fd00::3]:8080//", &u, err, sizeof(err)), 0);
	assert_int_equal(u.n, 3);
	assert_string_equal(u.url[0], "http://m1:8080");
	assert_string_equal(u.url[1], "HTTPS://master/service/marathon");
	assert_string_equal(u.url[2], "http://[fd00::3]:8080");
}

static void assert_urls_error(const char *list, int want_rc, const char *want)
{
	struct marathon_urls u = { .n = 5 };
	char err[256] = "";
	assert_int_equal(marathon_urls_parse(list, &u, err, sizeof(err)), want_rc);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\": error \"%s\" does not contain \"%s\"", list, err, want);
	assert_int_equal(u.n, 5); /* untouched */
}

static void test_urls_bad(void **state)
{
	(void)state;
	assert_urls_error("ftp://m1", -EINVAL, "KEEPVIP_MARATHON_URL item 1 (\"ftp://m1\"): "
			  "expected http://HOST");
	assert_urls_error("http://m1,,http://m2", -EINVAL, "KEEPVIP_MARATHON_URL item 2: empty");
	assert_urls_error("http://m1,", -EINVAL, "item 2: empty");
	assert_urls_error("http://", -EINVAL, "item 1 (\"http://\")");
	assert_urls_error("http://:8080", -EINVAL, "no host");
	assert_urls_error("http://m1/v2?x=1", -EINVAL, "no query or fragment");
	assert_urls_error("http://m 1", -EINVAL, "a blank or control character");
	assert_urls_error("http://a,http://b,http://c,http://d,http://e,http://f,http://g,"
			  "http://h,http://i", -E2BIG, "more than 8 URLs");
	/* a password in a URL is refused, and not repeated */
	struct marathon_urls u;
	char err[256] = "";
	assert_int_equal(marathon_urls_parse("http://m1,https://ops:hunter2@m2", &u, err,
					     sizeof(err)), -EINVAL);
	assert_string_equal(err, "KEEPVIP_MARATHON_URL item 2: no user or password in the URL; "
			    "use KEEPVIP_MARATHON_USER and KEEPVIP_MARATHON_PASSWORD");
}

static const char *auth(const char *user, const char *password, const char *token,
			char *out, size_t out_len, int want_rc, char *err)
{
	struct marathon_credentials c = { .user = user, .password = password, .token = token };
	err[0] = '\0';
	assert_int_equal(marathon_auth_header(&c, out, out_len, err, 256), want_rc);
	return want_rc == 0 ? out : err;
}

static void test_auth(void **state)
{
	(void)state;
	char out[MARATHON_AUTH_LEN], err[256];

	assert_string_equal(auth(NULL, NULL, NULL, out, sizeof(out), 0, err), "");
	assert_string_equal(auth("", "", "", out, sizeof(out), 0, err), "");
	/* RFC 7617 §2's example, and each base64 padding */
	assert_string_equal(auth("Aladdin", "open sesame", NULL, out, sizeof(out), 0, err),
			    "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
	assert_string_equal(auth("a", "b", NULL, out, sizeof(out), 0, err), "Basic YTpi");
	assert_string_equal(auth("ab", "c", NULL, out, sizeof(out), 0, err), "Basic YWI6Yw==");
	assert_string_equal(auth("abc", "d", NULL, out, sizeof(out), 0, err), "Basic YWJjOmQ=");
	/* a ':' in the password is fine (the user ends at the first one) */
	assert_string_equal(auth("alice", "s3cr:et", NULL, out, sizeof(out), 0, err),
			    "Basic YWxpY2U6czNjcjpldA==");
	/* a DC/OS token, as a file holds it */
	assert_string_equal(auth(NULL, NULL, "eyJhbGciOi.J9.sig\n", out, sizeof(out), 0, err),
			    "token=eyJhbGciOi.J9.sig");
	assert_string_equal(auth(NULL, NULL, " token=abc \r\n", out, sizeof(out), 0, err),
			    "token=abc");
	/* out too small */
	assert_int_equal(strlen(auth(NULL, NULL, "abcdef", out, 12, -E2BIG, err)) > 0, 1);
	assert_int_equal(strlen(auth("Aladdin", "open sesame", NULL, out, 20, -E2BIG, err)) > 0,
			 1);
}

static void test_auth_bad(void **state)
{
	(void)state;
	char out[MARATHON_AUTH_LEN], err[256];
	const char *secret = "hunter2";

	assert_string_equal(auth("ops", NULL, NULL, out, sizeof(out), -EINVAL, err),
			    "KEEPVIP_MARATHON_USER is set without KEEPVIP_MARATHON_PASSWORD");
	assert_string_equal(auth(NULL, secret, NULL, out, sizeof(out), -EINVAL, err),
			    "KEEPVIP_MARATHON_PASSWORD is set without KEEPVIP_MARATHON_USER");
	assert_null(strstr(err, secret));
	assert_string_equal(auth("ops", secret, "tok", out, sizeof(out), -EINVAL, err),
			    "KEEPVIP_MARATHON_USER / _PASSWORD and KEEPVIP_MARATHON_TOKEN(_FILE) "
			    "are both set: give one");
	assert_non_null(strstr(auth("o:ps", secret, NULL, out, sizeof(out), -EINVAL, err),
			       "a ':' is not allowed"));
	assert_string_equal(auth("ops", "hunter2\r\nX-Evil: 1", NULL, out, sizeof(out), -EINVAL,
				 err), "KEEPVIP_MARATHON_PASSWORD: control character");
	assert_null(strstr(err, secret));
	assert_string_equal(auth(NULL, NULL, "  \n", out, sizeof(out), -EINVAL, err),
			    "KEEPVIP_MARATHON_TOKEN(_FILE): empty token");
	assert_string_equal(auth(NULL, NULL, "abc def", out, sizeof(out), -EINVAL, err),
			    "KEEPVIP_MARATHON_TOKEN(_FILE): a blank or control character inside "
			    "the token");
	assert_null(strstr(err, "abc"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tasks_fixture),
		cmocka_unit_test(test_tasks_self_by_host_or_unknown),
		cmocka_unit_test(test_tasks_embedded_in_app),
		cmocka_unit_test(test_tasks_era_1_3),
		cmocka_unit_test(test_tasks_edge_cases_ipv4),
		cmocka_unit_test(test_tasks_edge_cases_ipv6),
		cmocka_unit_test(test_tasks_other_apps_skipped),
		cmocka_unit_test(test_tasks_self_name_and_duplicates),
		cmocka_unit_test(test_tasks_bad_answers),
		cmocka_unit_test(test_tasks_truncated_everywhere),
		cmocka_unit_test(test_tasks_too_many_peers),
		cmocka_unit_test(test_tasks_family_required),
		cmocka_unit_test(test_state_and_instance_id),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_error_body),
		cmocka_unit_test(test_sse_fixture),
		cmocka_unit_test(test_sse_every_split),
		cmocka_unit_test(test_sse_lf_and_cr_framing),
		cmocka_unit_test(test_sse_fields),
		cmocka_unit_test(test_sse_bounds),
		cmocka_unit_test(test_sse_event_that_never_ends),
		cmocka_unit_test(test_sse_callback_stops),
		cmocka_unit_test(test_classify_stream),
		cmocka_unit_test(test_classify_details),
		cmocka_unit_test(test_classify_errors),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_urls_bad),
		cmocka_unit_test(test_auth),
		cmocka_unit_test(test_auth_bad),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
