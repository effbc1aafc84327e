/* test_swarm_parse.c — Docker Engine API answers (swarm mode) into a discovery, from the
 * shared fixtures (../shared/fixtures/swarm: Docker 24.0.7, API 1.43) and from variants of
 * them: other API ranges, a node not in a swarm, pending or locked, the manager address
 * pitfall, removed and down nodes, truncated, wrong-typed and oversized answers; our own
 * container id from a real task's /proc/self/mountinfo and cgroup, and every answer of a real
 * Docker 20.10 swarm (tests/adapters/fixtures/swarm-20.10, captured by swarm_lab.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "swarm_parse.h"
#include "fixture_file.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KEEPVIP_SHARED_DIR
#error "KEEPVIP_SHARED_DIR must name the shared/ directory"
#endif
#ifndef KEEPVIP_TESTS_ADAPTERS_DIR
#error "KEEPVIP_TESTS_ADAPTERS_DIR must name tests/adapters"
#endif

#define SERVICE "keepvip_keepvip"
#define SERVICE_ID "qm3sxcom3spu33xaghgryknj7"
#define NODE_A "n7lqxd05bb8vrpjj2jgdj8uzp" /* manager, leader, Status.Addr 0.0.0.0 */
#define NODE_B "zdgabgy3auvmp511i2gqkw0d7"
#define NODE_C "hc07tcdjqqfclm9usd6pygozd"
#define NODE_D "u5dukpax1hh5jpa95xq9mdi7x" /* worker, drained */
#define NODE_E "2wc78o30xypk7c7iflxt9zxrs" /* worker, down */
#define CONTAINER "4e017711e339d72c5d22099cdb6f5af635853e1900c3c9c0ee36100653200e01"

/* ---- helpers ---------------------------------------------------------------------------- */

static char *fixture(const char *name)
{
	return fixture_read(KEEPVIP_SHARED_DIR "/fixtures/swarm", name, NULL);
}

/* An answer of the real 20.10 engine (tests/adapters/fixtures/swarm-20.10). */
static char *real_answer(const char *name)
{
	return fixture_read(KEEPVIP_TESTS_ADAPTERS_DIR "/fixtures/swarm-20.10", name, NULL);
}

static json_t *fixture_json(const char *name)
{
	return fixture_read_json(KEEPVIP_SHARED_DIR "/fixtures/swarm", name);
}

/* Dumps j (taking it) into a string the caller frees. */
static char *dump(json_t *j)
{
	return fixture_dump(j, JSON_INDENT(1));
}

static void assert_addr(const struct ip_addr *a, const char *want)
{
	char text[IP_ADDR_STRLEN];
	assert_string_equal(ip_addr_str(a, text), want);
}

static void assert_peers(const struct adapter_discovery *d, const char *const *want, size_t n)
{
	assert_int_equal(d->n_peers, n);
	for (size_t i = 0; i < n; i++)
		assert_addr(&d->peers[i], want[i]);
}

static struct swarm_task_nodes *want_nodes(const char *const *ids, size_t n)
{
	struct swarm_task_nodes *w = calloc(1, sizeof(*w));
	assert_non_null(w);
	for (size_t i = 0; i < n; i++)
		snprintf(w->ids[i], sizeof(w->ids[i]), "%s", ids[i]);
	w->n = n;
	return w;
}

/* ---- /version ---------------------------------------------------------------------------- */

static int version_of(const char *max, const char *min, struct swarm_api_version *use,
		      char *err)
{
	json_t *v = json_object();
	if (max != NULL)
		json_object_set_new(v, "ApiVersion", json_string(max));
	if (min != NULL)
		json_object_set_new(v, "MinAPIVersion", json_string(min));
	char *text = dump(v);
	err[0] = '\0';
	int rc = swarm_parse_version(text, strlen(text), use, err, 256);
	free(text);
	return rc;
}

static void test_version(void **state)
{
	(void)state;
	struct swarm_api_version use = { 0, 0 };
	char err[256];
	char *text = fixture("version.json");
	assert_int_equal(swarm_parse_version(text, strlen(text), &use, err, sizeof(err)), 0);
	assert_int_equal(use.major, 1);
	assert_int_equal(use.minor, 43); /* Docker 24.0.7: its own maximum */
	free(text);

	assert_int_equal(version_of("1.41", "1.12", &use, err), 0); /* Debian's 20.10 */
	assert_int_equal(use.minor, 41);
	assert_int_equal(version_of("1.52", "1.44", &use, err), 0); /* Docker 29.0 */
	assert_int_equal(use.minor, 52);
	assert_int_equal(version_of("1.54", "1.40", &use, err), 0); /* newer than us: ours */
	assert_int_equal(use.minor, SWARM_API_OURS_MAX_MINOR);
	assert_int_equal(version_of("1.44", NULL, &use, err), 0);   /* no minimum given */
	assert_int_equal(use.minor, 44);

	assert_int_equal(version_of("1.40", "1.12", &use, err), -ENOTSUP); /* Docker 19.03 */
	assert_non_null(strstr(err, "1.40 is older than 1.41"));
	assert_int_equal(version_of("1.60", "1.55", &use, err), -ENOTSUP);
	assert_non_null(strstr(err, "1.55 and newer only"));
	assert_int_equal(use.minor, 44); /* untouched by the failures */

	assert_int_equal(version_of(NULL, "1.12", &use, err), -EBADMSG);
	assert_string_equal(err, "version.ApiVersion: missing");
	assert_int_equal(version_of("1.x", "1.12", &use, err), -EBADMSG);
	assert_int_equal(version_of("1.43", "v1", &use, err), -EBADMSG);
	assert_non_null(strstr(err, "MinAPIVersion"));
	assert_int_equal(swarm_parse_version("{\"ApiVersion\":", 14, &use, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "invalid JSON"));
	assert_int_equal(swarm_parse_version("[]", 2, &use, err, sizeof(err)), -EBADMSG);
}

static void test_version_text(void **state)
{
	(void)state;
	struct swarm_api_version v;
	assert_int_equal(swarm_api_version_parse("1.43", &v), 0);
	assert_int_equal(v.major * 100 + v.minor, 143);
	assert_int_equal(swarm_api_version_parse("2.0", &v), 0);
	assert_int_equal(v.major, 2);
	static const char *const bad[] = { "", "1", "1.", ".4", "1.4.3", "1.4 ", "a.b", "1.999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(swarm_api_version_parse(bad[i], &v), -EINVAL);
}

/* ---- /info ------------------------------------------------------------------------------- */

static void test_info_manager(void **state)
{
	(void)state;
	struct swarm_info *info = calloc(1, sizeof(*info));
	char err[256];
	char *text = fixture("info-manager.json");
	assert_int_equal(swarm_parse_info(text, strlen(text), info, err, sizeof(err)), 0);
	assert_string_equal(info->node_id, NODE_A);
	assert_string_equal(info->hostname, "node-a");
	assert_true(info->manager);
	assert_true(info->has_node_addr);
	assert_addr(&info->node_addr, "10.42.0.11");
	assert_int_equal(info->n_managers, 3);
	assert_addr(&info->managers[0], "10.42.0.11");
	assert_addr(&info->managers[1], "10.42.0.12");
	assert_addr(&info->managers[2], "10.42.0.13");
	free(text);
	free(info);
}

static void test_info_worker(void **state)
{
	(void)state;
	struct swarm_info *info = calloc(1, sizeof(*info));
	char err[256];
	char *text = fixture("info-worker.json");
	assert_int_equal(swarm_parse_info(text, strlen(text), info, err, sizeof(err)), 0);
	assert_string_equal(info->node_id, NODE_D);
	assert_false(info->manager);
	assert_addr(&info->node_addr, "10.42.0.14");
	/* A worker learns where the managers are from its own engine. */
	assert_int_equal(info->n_managers, 3);
	assert_addr(&info->managers[2], "10.42.0.13");
	free(text);
	free(info);
}

/* info-worker.json with Swarm[key] replaced by value (NULL: removed). */
static int info_variant(const char *key, json_t *value, struct swarm_info *info, char *err)
{
	json_t *root = fixture_json("info-worker.json");
	json_t *swarm = json_object_get(root, "Swarm");
	if (value != NULL)
		json_object_set_new(swarm, key, value);
	else
		json_object_del(swarm, key);
	char *text = dump(root);
	err[0] = '\0';
	int rc = swarm_parse_info(text, strlen(text), info, err, 256);
	free(text);
	return rc;
}

static void test_info_states(void **state)
{
	(void)state;
	struct swarm_info *info = calloc(1, sizeof(*info));
	char err[256];
	assert_int_equal(info_variant("LocalNodeState", json_string("inactive"), info, err),
			 -ENOTCONN);
	assert_non_null(strstr(err, "not in a swarm"));
	assert_int_equal(info_variant("LocalNodeState", json_string(""), info, err), -ENOTCONN);
	assert_int_equal(info_variant("LocalNodeState", NULL, info, err), -ENOTCONN);
	assert_int_equal(info_variant("LocalNodeState", json_string("pending"), info, err), -EAGAIN);
	assert_int_equal(info_variant("LocalNodeState", json_string("locked"), info, err), -EACCES);
	assert_non_null(strstr(err, "docker swarm unlock"));
	json_t *root = fixture_json("info-worker.json");
	json_t *swarm = json_object_get(root, "Swarm");
	json_object_set_new(swarm, "LocalNodeState", json_string("error"));
	json_object_set_new(swarm, "Error", json_string("manager stopped: certificate expired"));
	char *text = dump(root);
	assert_int_equal(swarm_parse_info(text, strlen(text), info, err, sizeof(err)), -EIO);
	assert_non_null(strstr(err, "certificate expired"));
	free(text);
	assert_int_equal(info_variant("LocalNodeState", json_string("dancing"), info, err), -EBADMSG);
	assert_int_equal(info_variant("LocalNodeState", json_integer(1), info, err), -EBADMSG);
	assert_string_equal(err, "info.Swarm.LocalNodeState: expected a string, got integer");
	assert_int_equal(info->node_id[0], '\0'); /* nothing written by the failures */

	/* Not in a swarm at all: no Swarm object. */
	assert_int_equal(swarm_parse_info("{\"Name\":\"x\"}", 12, info, err, sizeof(err)), -ENOTCONN);
	free(info);
}

static void test_info_fields(void **state)
{
	(void)state;
	struct swarm_info *info = calloc(1, sizeof(*info));
	char err[256];
	assert_int_equal(info_variant("NodeID", NULL, info, err), -EBADMSG);
	assert_non_null(strstr(err, "info.Swarm.NodeID: empty"));
	assert_int_equal(info_variant("NodeAddr", json_string("not-an-ip"), info, err), -EBADMSG);
	assert_int_equal(info_variant("ControlAvailable", json_string("yes"), info, err), -EBADMSG);
	assert_int_equal(info_variant("RemoteManagers", json_string("x"), info, err), -EBADMSG);
	assert_int_equal(info_variant("RemoteManagers", json_pack("[{s:s}]", "Addr", "x:2377"),
				      info, err), -EBADMSG);
	assert_non_null(strstr(err, "RemoteManagers[0].Addr"));

	/* IPv6 managers, a duplicate, and none at all. */
	assert_int_equal(info_variant("RemoteManagers",
				      json_pack("[{s:s},{s:s},{s:s}]", "Addr", "[fd42::11]:2377",
						"Addr", "10.42.0.12:2377", "Addr", "[fd42::11]:2377"),
				      info, err), 0);
	assert_int_equal(info->n_managers, 2);
	assert_addr(&info->managers[0], "fd42::11");
	assert_int_equal(info_variant("RemoteManagers", json_null(), info, err), 0);
	assert_int_equal(info->n_managers, 0);
	assert_int_equal(info_variant("NodeAddr", NULL, info, err), 0);
	assert_false(info->has_node_addr);
	free(info);
}

/* ---- errors ------------------------------------------------------------------------------ */

static void test_error_bodies(void **state)
{
	(void)state;
	char msg[64];
	char *text = fixture("error-not-manager.json");
	assert_int_equal(swarm_parse_error(text, strlen(text), msg, sizeof(msg)), SWARM_E_WORKER);
	assert_int_equal(strncmp(msg, "This node is not a swarm manager.", 33), 0);
	assert_int_equal(strlen(msg), sizeof(msg) - 1); /* cut, terminated */
	free(text);

	static const struct {
		const char *body;
		enum swarm_api_error kind;
	} cases[] = {
		{ "{\"message\":\"This node is not a swarm manager. Use \\\"docker swarm init\\\" or \\\"docker swarm join\\\" to connect this node to swarm and try again.\"}",
		  SWARM_E_NO_SWARM },
		{ "{\"message\":\"This node is not a swarm manager. Manager is being prepared or has trouble connecting to the cluster.\"}",
		  SWARM_E_PREPARING },
		{ "{\"message\":\"Swarm is encrypted and needs to be unlocked before it can be used.\"}",
		  SWARM_E_LOCKED },
		{ "{\"message\":\"client version 1.41 is too old. Minimum supported API version is 1.44\"}",
		  SWARM_E_VERSION },
		{ "{\"message\":\"No such container: node2\"}", SWARM_E_OTHER },
		{ "{\"message\":", SWARM_E_OTHER },
		{ "[1]", SWARM_E_OTHER },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(swarm_parse_error(cases[i].body, strlen(cases[i].body), NULL, 0),
				 cases[i].kind);
	assert_int_equal(swarm_parse_error("{\"message\":", 11, msg, sizeof(msg)), SWARM_E_OTHER);
	assert_string_equal(msg, "");
}

/* ---- /services --------------------------------------------------------------------------- */

static void test_service_id(void **state)
{
	(void)state;
	char id[SWARM_ID_LEN] = "", err[256];
	char *text = fixture("services.json");
	assert_int_equal(swarm_parse_service_id(text, strlen(text), SERVICE, id, err, sizeof(err)), 0);
	assert_string_equal(id, SERVICE_ID);
	/* The server's name filter matches prefixes: an exact name only. */
	assert_int_equal(swarm_parse_service_id(text, strlen(text), "keepvip", id, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(swarm_parse_service_id("[]", 2, SERVICE, id, err, sizeof(err)), -ENOENT);
	assert_int_equal(swarm_parse_service_id("{}", 2, SERVICE, id, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "services: expected a list, got object");
	assert_string_equal(id, SERVICE_ID);
	free(text);
}

/* ---- /tasks ------------------------------------------------------------------------------ */

static void test_tasks(void **state)
{
	(void)state;
	struct swarm_task_nodes *nodes = calloc(1, sizeof(*nodes));
	char err[256];
	static const char *const files[] = { "tasks.json", "tasks-desired-running.json" };
	for (size_t f = 0; f < 2; f++) {
		char *text = fixture(files[f]);
		assert_int_equal(swarm_parse_tasks(text, strlen(text), SERVICE_ID, nodes, err,
						   sizeof(err)), 0);
		/* tasks.json: node-c's old task is shut down, its new one runs (listed once). */
		assert_int_equal(nodes->n, 3);
		assert_string_equal(nodes->ids[0], NODE_A);
		assert_string_equal(nodes->ids[1], NODE_B);
		assert_string_equal(nodes->ids[2], NODE_C);
		assert_int_equal(swarm_parse_tasks(text, strlen(text), NULL, nodes, err, sizeof(err)),
				 0);
		assert_int_equal(nodes->n, 3);
		/* Another service's tasks are none of ours. */
		assert_int_equal(swarm_parse_tasks(text, strlen(text), "other", nodes, err,
						   sizeof(err)), 0);
		assert_int_equal(nodes->n, 0);
		free(text);
	}
	free(nodes);
}

/* tasks.json with task i's field changed (status: Status.State). */
static int tasks_variant(size_t i, const char *field, json_t *value,
			 struct swarm_task_nodes *nodes, char *err)
{
	json_t *root = fixture_json("tasks.json");
	json_t *t = json_array_get(root, i);
	if (strcmp(field, "Status.State") == 0)
		json_object_set_new(json_object_get(t, "Status"), "State", value);
	else if (value != NULL)
		json_object_set_new(t, field, value);
	else
		json_object_del(t, field);
	char *text = dump(root);
	err[0] = '\0';
	int rc = swarm_parse_tasks(text, strlen(text), SERVICE_ID, nodes, err, 256);
	free(text);
	return rc;
}

static void test_tasks_states(void **state)
{
	(void)state;
	struct swarm_task_nodes *nodes = calloc(1, sizeof(*nodes));
	char err[256];
	/* Task 0 (node-a) failed, rejected, orphaned...: node-a drops out. */
	static const char *const gone[] = { "complete", "shutdown", "failed", "rejected", "remove",
					    "orphaned", "unknown-state" };
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		assert_int_equal(tasks_variant(0, "Status.State", json_string(gone[i]), nodes, err),
				 0);
		assert_int_equal(nodes->n, 2);
		assert_string_equal(nodes->ids[0], NODE_B);
	}
	/* Still coming up: already a peer. */
	static const char *const live[] = { "assigned", "accepted", "preparing", "starting" };
	for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
		assert_int_equal(tasks_variant(0, "Status.State", json_string(live[i]), nodes, err), 0);
		assert_int_equal(nodes->n, 3);
	}
	/* Being replaced: desired shutdown while still running. */
	assert_int_equal(tasks_variant(0, "DesiredState", json_string("shutdown"), nodes, err), 0);
	assert_int_equal(nodes->n, 2);
	/* Not scheduled yet: on no node. */
	assert_int_equal(tasks_variant(0, "NodeID", NULL, nodes, err), 0);
	assert_int_equal(nodes->n, 2);
	/* Wrong types name the field. */
	assert_int_equal(tasks_variant(2, "NodeID", json_integer(7), nodes, err), -EBADMSG);
	assert_string_equal(err, "tasks[2].NodeID: expected a string, got integer");
	assert_int_equal(tasks_variant(1, "Status", json_string("x"), nodes, err), -EBADMSG);
	assert_string_equal(err, "tasks[1].Status: expected an object, got string");
	assert_int_equal(tasks_variant(0, "NodeID", json_string(""), nodes, err), 0);
	assert_int_equal(nodes->n, 2);
	assert_int_equal(swarm_parse_tasks("[1]", 3, NULL, nodes, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "tasks[0]: expected an object, got integer");
	assert_int_equal(nodes->n, 2); /* untouched */
	free(nodes);
}

static void test_tasks_bounds(void **state)
{
	(void)state;
	struct swarm_task_nodes *nodes = calloc(1, sizeof(*nodes));
	char err[256];
	json_t *list = json_array();
	for (int i = 0; i <= ADAPTER_MAX_PEERS; i++) {
		char id[32];
		snprintf(id, sizeof(id), "node%04d", i);
		json_array_append_new(list, json_pack("{s:s,s:s,s:{s:s}}", "NodeID", id,
						      "DesiredState", "running", "Status", "State",
						      "running"));
	}
	char *text = dump(list);
	assert_int_equal(swarm_parse_tasks(text, strlen(text), NULL, nodes, err, sizeof(err)),
			 -E2BIG);
	assert_non_null(strstr(err, "more than 256"));
	free(text);

	/* Oversized and truncated bodies. */
	size_t big = SWARM_MAX_BODY + 1;
	char *huge = malloc(big);
	assert_non_null(huge);
	memset(huge, ' ', big);
	huge[0] = '[';
	huge[big - 1] = ']';
	assert_int_equal(swarm_parse_tasks(huge, big, NULL, nodes, err, sizeof(err)), -E2BIG);
	free(huge);
	char *fx = fixture("tasks.json");
	for (size_t cut = 0; cut < strlen(fx); cut += 97)
		assert_int_equal(swarm_parse_tasks(fx, cut, NULL, nodes, err, sizeof(err)), -EBADMSG);
	free(fx);
	free(nodes);
}

/* ---- /nodes ------------------------------------------------------------------------------ */

static void test_peers_from_fixtures(void **state)
{
	(void)state;
	struct swarm_task_nodes *nodes = calloc(1, sizeof(*nodes));
	struct adapter_discovery *d = calloc(1, sizeof(*d));
	char err[256], note[256];
	char *tasks = fixture("tasks.json");
	char *list = fixture("nodes.json");
	assert_int_equal(swarm_parse_tasks(tasks, strlen(tasks), SERVICE_ID, nodes, err,
					   sizeof(err)), 0);
	d->n_overrides = 1; /* kept */
	assert_int_equal(swarm_parse_nodes(list, strlen(list), nodes, d, note, sizeof(note), err,
					   sizeof(err)), 0);
	/* node-a's Status.Addr is 0.0.0.0: its ManagerStatus.Addr gives 10.42.0.11. */
	static const char *const want[] = { "10.42.0.11", "10.42.0.12", "10.42.0.13" };
	assert_peers(d, want, 3);
	assert_string_equal(note, "");
	assert_int_equal(d->n_overrides, 1);
	free(tasks);
	free(list);
	free(nodes);
	free(d);
}

static void test_peers_down_and_removed(void **state)
{
	(void)state;
	static const char *const ids[] = { NODE_E, NODE_B, "gone0000000000000000000000", NODE_D };
	struct swarm_task_nodes *nodes = want_nodes(ids, 4);
	struct adapter_discovery *d = calloc(1, sizeof(*d));
	char err[256], note[256];
	char *list = fixture("nodes.json");
	assert_int_equal(swarm_parse_nodes(list, strlen(list), nodes, d, note, sizeof(note), err,
					   sizeof(err)), 0);
	/* node-e is down; the removed node is not listed; node-d (drained) still runs one. */
	static const char *const want[] = { "10.42.0.12", "10.42.0.14" };
	assert_peers(d, want, 2);
	assert_string_equal(note, "node node-e is down; node gone0000000000000000000000 is not in "
				  "the swarm");
	free(list);
	free(nodes);
	free(d);
}

/* nodes.json with node i's Status.Addr and ManagerStatus replaced (NULL: removed). */
static int nodes_variant(size_t i, json_t *status_addr, json_t *manager_status,
			 struct adapter_discovery *d, char *err)
{
	static const char *const ids[] = { NODE_A, NODE_B, NODE_C, NODE_D, NODE_E };
	struct swarm_task_nodes *nodes = want_nodes(ids, 5);
	json_t *root = fixture_json("nodes.json");
	json_t *n = json_array_get(root, i);
	char note[256];
	if (status_addr != NULL)
		json_object_set_new(json_object_get(n, "Status"), "Addr", status_addr);
	else
		json_object_del(json_object_get(n, "Status"), "Addr");
	if (manager_status != NULL)
		json_object_set_new(n, "ManagerStatus", manager_status);
	else
		json_object_del(n, "ManagerStatus");
	char *text = dump(root);
	err[0] = '\0';
	int rc = swarm_parse_nodes(text, strlen(text), nodes, d, note, sizeof(note), err, 256);
	free(text);
	free(nodes);
	return rc;
}

static void test_node_addresses(void **state)
{
	(void)state;
	struct adapter_discovery *d = calloc(1, sizeof(*d));
	char err[256];
	/* The pitfall's other face: 127.0.0.1, and an IPv6 manager. */
	assert_int_equal(nodes_variant(0, json_string("127.0.0.1"),
				       json_pack("{s:b,s:s}", "Leader", 1, "Addr", "[fd42::11]:2377"),
				       d, err), 0);
	assert_int_equal(d->n_peers, 4);
	assert_addr(&d->peers[0], "fd42::11");
	/* A worker reports Status.Addr only. */
	assert_int_equal(nodes_variant(3, json_string("10.42.0.24"), NULL, d, err), 0);
	assert_addr(&d->peers[3], "10.42.0.24");
	/* A manager whose ManagerStatus is unusable: its Status.Addr, when it is. */
	assert_int_equal(nodes_variant(1, json_string("10.42.0.22"),
				       json_pack("{s:s}", "Addr", "0.0.0.0:2377"), d, err), 0);
	assert_addr(&d->peers[1], "10.42.0.22");
	/* Nothing usable for a node that runs our task. */
	assert_int_equal(nodes_variant(0, json_string("0.0.0.0"), NULL, d, err), -EBADMSG);
	assert_non_null(strstr(err, "node-a runs our task but has no usable address"));
	assert_int_equal(nodes_variant(3, NULL, NULL, d, err), -EBADMSG);
	assert_int_equal(nodes_variant(3, json_string("nonsense"), NULL, d, err), -EBADMSG);
	assert_int_equal(d->n_peers, 4); /* the last good answer stays */
	assert_int_equal(nodes_variant(3, json_integer(3), NULL, d, err), -EBADMSG);
	free(d);
}

static void test_nodes_bad(void **state)
{
	(void)state;
	static const char *const ids[] = { NODE_A };
	struct swarm_task_nodes *nodes = want_nodes(ids, 1);
	struct adapter_discovery *d = calloc(1, sizeof(*d));
	char err[256], note[256];
	assert_int_equal(swarm_parse_nodes("{}", 2, nodes, d, note, sizeof(note), err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(err, "nodes: expected a list, got object");
	assert_int_equal(swarm_parse_nodes("[{\"ID\":1}]", 10, nodes, d, note, sizeof(note), err,
					   sizeof(err)), -EBADMSG);
	assert_string_equal(err, "nodes[0].ID: expected a string, got integer");
	assert_int_equal(swarm_parse_nodes("[", 1, nodes, d, note, sizeof(note), err, sizeof(err)),
			 -EBADMSG);
	/* An empty swarm list: our node was removed. */
	assert_int_equal(swarm_parse_nodes("[]", 2, nodes, d, note, sizeof(note), err, sizeof(err)),
			 0);
	assert_int_equal(d->n_peers, 0);
	assert_string_equal(note, "node " NODE_A " is not in the swarm");
	free(nodes);
	free(d);
}

/* ---- our own container ------------------------------------------------------------------- */

/* From a host-network task of swarm_lab.sh (Docker 20.10, cgroup v1, cgroupfs driver). */
static const char mountinfo_lab[] =
	"351 258 0:42 / / rw,relatime master:13 - overlay overlay rw,lowerdir=/x/l/Y\n"
	"364 356 0:29 /docker/" CONTAINER " /sys/fs/cgroup/cpu ro,nosuid - cgroup cgroup rw,cpu\n"
	"414 351 254:0 /tmp/kvsw.X4eTqX/n2/data/containers/" CONTAINER "/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda rw\n"
	"416 351 254:0 /tmp/kvsw.X4eTqX/n2/data/containers/" CONTAINER "/hostname /etc/hostname rw,relatime - ext4 /dev/vda rw\n";
static const char cgroup_v1[] =
	"12:freezer:/docker/" CONTAINER "\n9:name=systemd:/docker/" CONTAINER "\n";
static const char cgroup_systemd[] =
	"0::/system.slice/docker-" CONTAINER ".scope\n";
static const char cgroup_private[] = "0::/\n";

static void test_container_id(void **state)
{
	(void)state;
	char id[SWARM_ID_LEN];
	assert_int_equal(swarm_container_id(mountinfo_lab, strlen(mountinfo_lab), NULL, 0, id), 0);
	assert_string_equal(id, CONTAINER);
	memset(id, 0, sizeof(id));
	assert_int_equal(swarm_container_id(NULL, 0, cgroup_v1, strlen(cgroup_v1), id), 0);
	assert_string_equal(id, CONTAINER);
	memset(id, 0, sizeof(id));
	assert_int_equal(swarm_container_id(NULL, 0, cgroup_systemd, strlen(cgroup_systemd), id), 0);
	assert_string_equal(id, CONTAINER);
	/* cgroup namespace (cgroup v2 default): the cgroup file names nothing. */
	assert_int_equal(swarm_container_id(NULL, 0, cgroup_private, strlen(cgroup_private), id),
			 -ENOENT);
	/* A /etc/hostname from elsewhere (podman, a plain host) names no container. */
	static const char other[] = "40 30 8:1 /etc/hostname /etc/hostname rw - ext4 /dev/sda rw\n";
	assert_int_equal(swarm_container_id(other, strlen(other), cgroup_private,
					    strlen(cgroup_private), id), -ENOENT);
	/* A short or upper-case id is none. */
	static const char bad[] = "1 2 3:4 /c/containers/ABCDEF/hostname /etc/hostname rw\n";
	assert_int_equal(swarm_container_id(bad, strlen(bad), NULL, 0, id), -ENOENT);
	/* The mountinfo wins over the cgroup; a truncated mountinfo falls back. */
	assert_int_equal(swarm_container_id(mountinfo_lab, 60, cgroup_systemd,
					    strlen(cgroup_systemd), id), 0);
	assert_string_equal(id, CONTAINER);
	assert_int_equal(swarm_container_id(NULL, 0, NULL, 0, id), -ENOENT);
}

static void test_container_service(void **state)
{
	(void)state;
	char name[SWARM_NAME_LEN] = "", id[SWARM_ID_LEN] = "", err[256];
	char *text = dump(json_pack("{s:s,s:{s:{s:s,s:s,s:s}}}", "Id", CONTAINER, "Config",
				    "Labels", "com.docker.swarm.service.name", SERVICE,
				    "com.docker.swarm.service.id", SERVICE_ID,
				    "com.docker.stack.namespace", "keepvip"));
	assert_int_equal(swarm_parse_container_service(text, strlen(text), name, id, err,
						       sizeof(err)), 0);
	assert_string_equal(name, SERVICE);
	assert_string_equal(id, SERVICE_ID);
	free(text);
	text = dump(json_pack("{s:{s:{}}}", "Config", "Labels"));
	assert_int_equal(swarm_parse_container_service(text, strlen(text), name, NULL, err,
						       sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "not a swarm task"));
	free(text);
	text = dump(json_pack("{s:{s:{s:i}}}", "Config", "Labels", "com.docker.swarm.service.name",
			      3));
	assert_int_equal(swarm_parse_container_service(text, strlen(text), NULL, NULL, err,
						       sizeof(err)), -EBADMSG);
	free(text);
	assert_string_equal(name, SERVICE);
}

/* ---- /events ----------------------------------------------------------------------------- */

static void test_events_fixture(void **state)
{
	(void)state;
	/* events.jsonl line by line: service update, kill, die, stop, create, start, healthy,
	 * node-e down, service update completed, destroy. */
	static const bool want_ours[] = { true, false, true, true, false,
					  true, false, true, true, true };
	static const bool want_other[] = { false, false, false, false, false,
					   false, false, true, false, false };
	static const int64_t first_ns = 1714643700447021977;
	char *text = fixture("events.jsonl");
	char err[256];
	size_t n = 0;
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n"), n++) {
		struct swarm_event ev = { false, 0 };
		assert_true(n < sizeof(want_ours) / sizeof(want_ours[0]));
		assert_int_equal(swarm_parse_event(line, strlen(line), SERVICE, NULL, &ev, err,
						   sizeof(err)), 0);
		assert_int_equal(ev.relevant, want_ours[n]);
		if (n == 0)
			assert_true(ev.time_nano == first_ns);
		assert_true(ev.time_nano >= first_ns);
		assert_int_equal(swarm_parse_event(line, strlen(line), "other", "other-id", &ev, err,
						   sizeof(err)), 0);
		assert_int_equal(ev.relevant, want_other[n]);
	}
	assert_int_equal(n, 10);
	free(text);
}

static void test_events_shapes(void **state)
{
	(void)state;
	struct swarm_event ev;
	char err[256];
	/* API >= 1.52: no legacy fields; a service known by its ID only; time without timeNano. */
	static const char v152[] =
		"{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"ab\",\"Attributes\":"
		"{\"com.docker.swarm.service.name\":\"" SERVICE "\",\"exitCode\":\"137\"}},"
		"\"scope\":\"local\",\"time\":1714643729}";
	assert_int_equal(swarm_parse_event(v152, strlen(v152), SERVICE, NULL, &ev, err,
					   sizeof(err)), 0);
	assert_true(ev.relevant);
	assert_true(ev.time_nano == INT64_C(1714643729000000000));
	static const char by_id[] =
		"{\"Type\":\"service\",\"Action\":\"remove\",\"Actor\":{\"ID\":\"" SERVICE_ID "\"}}";
	assert_int_equal(swarm_parse_event(by_id, strlen(by_id), SERVICE, SERVICE_ID, &ev, err,
					   sizeof(err)), 0);
	assert_true(ev.relevant);
	assert_int_equal(ev.time_nano, 0);
	static const char network[] = "{\"Type\":\"network\",\"Action\":\"connect\"}";
	assert_int_equal(swarm_parse_event(network, strlen(network), SERVICE, NULL, &ev, err,
					   sizeof(err)), 0);
	assert_false(ev.relevant);
	static const char node_remove[] = "{\"Type\":\"node\",\"Action\":\"remove\",\"Actor\":{}}";
	assert_int_equal(swarm_parse_event(node_remove, strlen(node_remove), SERVICE, NULL, &ev,
					   err, sizeof(err)), 0);
	assert_true(ev.relevant);

	/* Bad lines: reasons, no answer. */
	ev.relevant = true;
	assert_int_equal(swarm_parse_event("{\"Type\":", 8, SERVICE, NULL, &ev, err, sizeof(err)),
			 -EBADMSG);
	assert_int_equal(swarm_parse_event("{\"Type\":3}", 10, SERVICE, NULL, &ev, err,
					   sizeof(err)), -EBADMSG);
	assert_string_equal(err, "event.Type: expected a string, got integer");
	assert_int_equal(swarm_parse_event("{\"timeNano\":\"1\"}", 16, SERVICE, NULL, &ev, err,
					   sizeof(err)), -EBADMSG);
	assert_int_equal(swarm_parse_event("{\"Actor\":[]}", 12, SERVICE, NULL, &ev, err,
					   sizeof(err)), -EBADMSG);
	assert_true(ev.relevant); /* untouched */
	char *big = malloc(SWARM_MAX_EVENT + 1);
	assert_non_null(big);
	memset(big, ' ', SWARM_MAX_EVENT + 1);
	assert_int_equal(swarm_parse_event(big, SWARM_MAX_EVENT + 1, SERVICE, NULL, &ev, err,
					   sizeof(err)), -E2BIG);
	free(big);
}

/* ---- a real Docker 20.10 swarm ----------------------------------------------------------- */

static void test_real_engine(void **state)
{
	(void)state;
	struct swarm_api_version use;
	struct swarm_info *info = calloc(1, sizeof(*info));
	struct swarm_task_nodes *nodes = calloc(1, sizeof(*nodes));
	struct adapter_discovery *d = calloc(1, sizeof(*d));
	char err[256], note[256], id[SWARM_ID_LEN], name[SWARM_NAME_LEN];
	char *text;

	text = real_answer("version.json");
	assert_int_equal(swarm_parse_version(text, strlen(text), &use, err, sizeof(err)), 0);
	assert_int_equal(use.minor, 41);
	free(text);
	text = real_answer("info-manager.json");
	assert_int_equal(swarm_parse_info(text, strlen(text), info, err, sizeof(err)), 0);
	assert_true(info->manager);
	assert_string_equal(info->hostname, "node1");
	assert_addr(&info->node_addr, "10.99.0.11");
	free(text);
	text = real_answer("info-worker.json");
	assert_int_equal(swarm_parse_info(text, strlen(text), info, err, sizeof(err)), 0);
	assert_false(info->manager);
	assert_string_equal(info->node_id, "uqkytq6mjaxp5pg4jkf86folt");
	assert_int_equal(info->n_managers, 1);
	assert_addr(&info->managers[0], "10.99.0.11");
	free(text);
	text = real_answer("error-not-manager.json");
	assert_int_equal(swarm_parse_error(text, strlen(text), NULL, 0), SWARM_E_WORKER);
	free(text);

	text = real_answer("container.json");
	assert_int_equal(swarm_parse_container_service(text, strlen(text), name, id, err,
						       sizeof(err)), 0);
	assert_string_equal(name, "lab_pause");
	assert_string_equal(id, "n0e8665eh1e3ei9tetotzd6j3");
	free(text);
	text = real_answer("services.json");
	assert_int_equal(swarm_parse_service_id(text, strlen(text), name, id, err, sizeof(err)), 0);
	assert_string_equal(id, "n0e8665eh1e3ei9tetotzd6j3");
	free(text);
	text = real_answer("tasks.json");
	assert_int_equal(swarm_parse_tasks(text, strlen(text), id, nodes, err, sizeof(err)), 0);
	assert_int_equal(nodes->n, 3);
	free(text);
	text = real_answer("nodes.json");
	assert_int_equal(swarm_parse_nodes(text, strlen(text), nodes, d, note, sizeof(note), err,
					   sizeof(err)), 0);
	/* In the order of /nodes (not sorted); workers' ManagerStatus is null. */
	static const char *const want[] = { "10.99.0.11", "10.99.0.13", "10.99.0.12" };
	assert_peers(d, want, 3);
	assert_string_equal(note, "");
	free(text);
	free(info);
	free(nodes);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_version_text),
		cmocka_unit_test(test_info_manager),
		cmocka_unit_test(test_info_worker),
		cmocka_unit_test(test_info_states),
		cmocka_unit_test(test_info_fields),
		cmocka_unit_test(test_error_bodies),
		cmocka_unit_test(test_service_id),
		cmocka_unit_test(test_tasks),
		cmocka_unit_test(test_tasks_states),
		cmocka_unit_test(test_tasks_bounds),
		cmocka_unit_test(test_peers_from_fixtures),
		cmocka_unit_test(test_peers_down_and_removed),
		cmocka_unit_test(test_node_addresses),
		cmocka_unit_test(test_nodes_bad),
		cmocka_unit_test(test_container_id),
		cmocka_unit_test(test_container_service),
		cmocka_unit_test(test_events_fixture),
		cmocka_unit_test(test_events_shapes),
		cmocka_unit_test(test_real_engine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
