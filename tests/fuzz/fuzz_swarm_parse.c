/* fuzz_swarm_parse.c — libFuzzer target for the Docker Swarm parser
 * (adapters/swarm/swarm_parse.c): every answer it reads comes from the Docker socket, and
 * the /proc texts from the kernel.
 *
 * The first byte picks the entry point (fuzz_entry.h), the rest is the body: version, info,
 * an error body, services, tasks then nodes, a container, an event line, mountinfo and
 * cgroup text.
 * None may crash, leak, or read out of bounds, and each must keep its contract: an error
 * leaves a message; a success leaves results within their bounds: a negotiated version in
 * our range, NUL-terminated ids, peers with an address family and no duplicates. Any
 * violation aborts. */
#include "fuzz_entry.h"
#include "swarm_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_swarm_parse: %s\n", what);
	abort();
}

static void check_said(int rc, const char *err, const char *what)
{
	if (rc < 0 && err[0] == '\0') {
		fprintf(stderr, "fuzz_swarm_parse: %s: ", what);
		fail("an error without a message");
	}
}

static void check_text(const char *s, size_t cap, const char *what)
{
	if (memchr(s, '\0', cap) == NULL)
		fail(what);
}

static void check_version(const char *body, size_t size)
{
	struct swarm_api_version v;
	char err[256] = "";
	int rc = swarm_parse_version(body, size, &v, err, sizeof(err));
	check_said(rc, err, "version");
	if (rc == 0 && (v.major != 1 || v.minor < SWARM_API_OURS_MIN_MINOR ||
			v.minor > SWARM_API_OURS_MAX_MINOR))
		fail("a negotiated version outside our range");
}

static void check_info(const char *body, size_t size)
{
	static struct swarm_info info;
	char err[256] = "";
	int rc = swarm_parse_info(body, size, &info, err, sizeof(err));
	check_said(rc, err, "info");
	if (rc < 0)
		return;
	check_text(info.node_id, sizeof(info.node_id), "info: node id without NUL");
	check_text(info.hostname, sizeof(info.hostname), "info: hostname without NUL");
	if (info.node_id[0] == '\0' || info.n_managers > SWARM_MAX_MANAGERS)
		fail("info out of bounds");
}

static void check_peers(const char *body, size_t size)
{
	static struct swarm_task_nodes nodes;
	static struct adapter_discovery d;
	char err[256] = "", note[256];
	int rc = swarm_parse_tasks(body, size, NULL, &nodes, err, sizeof(err));
	check_said(rc, err, "tasks");
	if (rc < 0) {
		/* Some node ids anyway, as a real tasks answer would give. */
		nodes.n = 2;
		snprintf(nodes.ids[0], sizeof(nodes.ids[0]), "n7lqxd05bb8vrpjj2jgdj8uzp");
		snprintf(nodes.ids[1], sizeof(nodes.ids[1]), "2wc78o30xypk7c7iflxt9zxrs");
	}
	if (nodes.n > ADAPTER_MAX_PEERS)
		fail("tasks out of bounds");
	memset(&d, 0, sizeof(d));
	err[0] = '\0';
	rc = swarm_parse_nodes(body, size, &nodes, &d, note, sizeof(note), err, sizeof(err));
	check_said(rc, err, "nodes");
	check_text(note, sizeof(note), "nodes: note without NUL");
	if (rc < 0)
		return;
	if (d.n_peers > nodes.n)
		fail("more peers than nodes with a task");
	for (size_t i = 0; i < d.n_peers; i++) {
		if (d.peers[i].family != AF_INET && d.peers[i].family != AF_INET6)
			fail("a peer without an address family");
		for (size_t k = 0; k < i; k++)
			if (ip_addr_equal(&d.peers[i], &d.peers[k]))
				fail("a peer listed twice");
	}
}

static void error_answer(const char *body, size_t size)
{
	char msg[128];
	if (swarm_parse_error(body, size, msg, sizeof(msg)) > SWARM_E_VERSION)
		fail("an unknown error class");
	check_text(msg, sizeof(msg), "error: message without NUL");
}

static void service_id(const char *body, size_t size)
{
	char err[256] = "", id[SWARM_ID_LEN];
	int rc = swarm_parse_service_id(body, size, "keepvip_keepvip", id, err, sizeof(err));
	check_said(rc, err, "services");
	if (rc == 0)
		check_text(id, sizeof(id), "services: id without NUL");
}

static void container_service(const char *body, size_t size)
{
	char err[256] = "", id[SWARM_ID_LEN], name[SWARM_NAME_LEN];
	check_said(swarm_parse_container_service(body, size, name, id, err, sizeof(err)), err,
		   "container");
}

static void event(const char *body, size_t size)
{
	char err[256] = "";
	struct swarm_event ev;
	check_said(swarm_parse_event(body, size, "keepvip_keepvip", "qm3sxcom3spu33xaghgryknj7", &ev,
				     err, sizeof(err)),
		   err, "event");
}

static void container_id(const char *body, size_t size)
{
	char id[SWARM_ID_LEN];
	if (swarm_container_id(body, size, body, size, id) == 0 && strlen(id) != 64)
		fail("a container id that is not 64 characters");
}

static const fuzz_entry entries[] = {
	check_version, check_info, error_answer, service_id, check_peers, container_service, event,
	container_id,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_pick_entry(entries, sizeof(entries) / sizeof(entries[0]), data, size);
}
