/* fuzz_swarm_parse.c — libFuzzer target for the Docker Swarm parser
 * (adapters/swarm/swarm_parse.c): every answer it reads comes from the Docker socket, and
 * the /proc texts from the kernel.
 *
 * The whole input is one body, handed to each entry point in turn (version, info, an error
 * body, services, tasks then nodes, a container, an event line, mountinfo and cgroup text).
 * None may crash, leak, or read out of bounds, and each must keep its contract: an error
 * leaves a message; a success leaves results within their bounds: a negotiated version in
 * our range, NUL-terminated ids, peers with an address family and no duplicates. Any
 * violation aborts. */
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	char err[256], id[SWARM_ID_LEN], name[SWARM_NAME_LEN], msg[128];
	struct swarm_event ev;
	int rc;

	check_version(body, size);
	check_info(body, size);
	if (swarm_parse_error(body, size, msg, sizeof(msg)) > SWARM_E_VERSION)
		fail("an unknown error class");
	check_text(msg, sizeof(msg), "error: message without NUL");

	err[0] = '\0';
	rc = swarm_parse_service_id(body, size, "keepvip_keepvip", id, err, sizeof(err));
	check_said(rc, err, "services");
	if (rc == 0)
		check_text(id, sizeof(id), "services: id without NUL");
	check_peers(body, size);

	err[0] = '\0';
	rc = swarm_parse_container_service(body, size, name, id, err, sizeof(err));
	check_said(rc, err, "container");
	err[0] = '\0';
	rc = swarm_parse_event(body, size, "keepvip_keepvip", "qm3sxcom3spu33xaghgryknj7", &ev, err,
			       sizeof(err));
	check_said(rc, err, "event");

	if (swarm_container_id(body, size, body, size, id) == 0 && strlen(id) != 64)
		fail("a container id that is not 64 characters");
	return 0;
}
