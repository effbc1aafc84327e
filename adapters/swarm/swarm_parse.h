/* swarm_parse.h — Docker Engine API answers (swarm mode), as JSON text, into a discovery.
 *
 * Pure: text in, structs out, no I/O and no clock, so every answer shape is tested from the
 * fixtures (../shared/fixtures/swarm) and fuzzed. References are to
 * ../shared/reference/docker-swarm-api.md (§N). Every function checks what it reads and
 * returns 0 (or a documented positive answer), or a negative errno with err saying what and
 * where, e.g. "nodes[2].Status.Addr: \"x\" is not an IP address". Unknown fields are ignored
 * (the API's schema is open). Outputs are written only on success, so a bad answer changes
 * nothing the caller holds.
 *
 * The peer set (§3): the nodes that run a task of our service — task DesiredState "running"
 * and Status.State not terminal — on a node that is not down, each at its node's address.
 * A host-network task has no address of its own. The node's address is Status.Addr, except
 * for a manager, whose Status.Addr may read 0.0.0.0 or 127.0.0.1 (moby#35437, #30119): the
 * host part of ManagerStatus.Addr is used there.
 */
#ifndef KEEPVIP_SWARM_PARSE_H
#define KEEPVIP_SWARM_PARSE_H

#include "adapter.h"
#include "ipaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWARM_ID_LEN 72            /* swarm ids are 25 chars, container ids 64 hex */
#define SWARM_NAME_LEN 256         /* service names and hostnames */
#define SWARM_MAX_MANAGERS 16      /* RemoteManagers kept (raft clusters are 3, 5 or 7) */
#define SWARM_MAX_BODY (16u << 20) /* a larger answer is refused (-E2BIG) */
#define SWARM_MAX_EVENT (64u << 10)

/* API versions this parser reads (§1): 1.41 (Docker 20.10, CapabilityAdd in specs) up to
 * 1.52 (Docker 29.0: events without the legacy fields, handled). */
#define SWARM_API_OURS_MIN_MINOR 41
#define SWARM_API_OURS_MAX_MINOR 52

struct swarm_api_version {
	unsigned major, minor;
};

/* GET /version (unversioned): the version to put in every URL, "v1.NN", negotiated as the
 * docker CLI does: min(engine's ApiVersion, ours) that is also >= max(engine's
 * MinAPIVersion, ours). A missing MinAPIVersion counts as 1.12 (old engines).
 * -ENOTSUP when the ranges do not meet (err names both), -EBADMSG on a bad answer. */
int swarm_parse_version(const char *body, size_t len, struct swarm_api_version *use, char *err,
			size_t err_len);

/* Parses "1.43" (digits, one dot, digits). 0 or -EINVAL. */
int swarm_api_version_parse(const char *text, struct swarm_api_version *out);

/* What the local engine says about itself (GET /info, §2, §4). */
struct swarm_info {
	char node_id[SWARM_ID_LEN];
	char hostname[SWARM_NAME_LEN]; /* Name; "" when absent */
	struct ip_addr node_addr;      /* Swarm.NodeAddr */
	bool has_node_addr;
	bool manager;                  /* Swarm.ControlAvailable */
	struct ip_addr managers[SWARM_MAX_MANAGERS]; /* RemoteManagers' host parts, unique */
	size_t n_managers;
};

/* GET /info: 0 when the node is active in a swarm. Otherwise, err says what to do:
 * -ENOTCONN not in a swarm (LocalNodeState "" or "inactive"), -EAGAIN joining ("pending"),
 * -EACCES locked, -EIO the swarm reports an error (Swarm.Error), -EBADMSG a bad answer. */
int swarm_parse_info(const char *body, size_t len, struct swarm_info *out, char *err,
		     size_t err_len);

/* Classes of the Engine's {"message": ...} error bodies (§2). */
enum swarm_api_error {
	SWARM_E_OTHER,
	SWARM_E_WORKER,    /* 503 on a worker: /nodes, /tasks, /services are manager-only */
	SWARM_E_NO_SWARM,  /* 503: not in a swarm */
	SWARM_E_PREPARING, /* 503: a manager still starting */
	SWARM_E_LOCKED,    /* 503: an autolocked swarm */
	SWARM_E_VERSION,   /* 400: client version too old or too new */
};

/* An error body: its class, and its message (NUL-terminated, cut to msg_len - 1) when msg is
 * not NULL; an unparsable body is SWARM_E_OTHER with an empty message. */
enum swarm_api_error swarm_parse_error(const char *body, size_t len, char *msg, size_t msg_len);

/* GET /services?filters={"name":[NAME]}: the ID of the service named exactly name (the
 * filter matches prefixes). -ENOENT when none. id holds SWARM_ID_LEN bytes. */
int swarm_parse_service_id(const char *body, size_t len, const char *name, char *id, char *err,
			   size_t err_len);

/* Task states (§3): true for those that may still run (new ... running), false for the
 * terminal ones (complete, shutdown, failed, rejected, remove, orphaned) and unknown ones. */
bool swarm_task_state_is_live(const char *state);

/* The node IDs that run a live task of the service (GET /tasks, server-filtered on the
 * service; service_id, when not NULL, is checked again here). */
struct swarm_task_nodes {
	char ids[ADAPTER_MAX_PEERS][SWARM_ID_LEN];
	size_t n;
};

/* GET /tasks: tasks with DesiredState "running" and a live Status.State, their NodeIDs,
 * unique. -E2BIG past ADAPTER_MAX_PEERS nodes. */
int swarm_parse_tasks(const char *body, size_t len, const char *service_id,
		      struct swarm_task_nodes *out, char *err, size_t err_len);

/* GET /nodes: out->peers becomes the addresses of the nodes listed in want that are not
 * down (Status.State "down" or "disconnected"), unique, in the order of the list (self
 * included when it runs a task; the core drops its own address). out's other fields are
 * kept. A wanted node that is absent (removed) or down is named in note, which is reset
 * first. -EBADMSG when a wanted node has no usable address. */
int swarm_parse_nodes(const char *body, size_t len, const struct swarm_task_nodes *want,
		      struct adapter_discovery *out, char *note, size_t note_len, char *err,
		      size_t err_len);

/* The address of one node object (declared for tests; takes a jansson json_t *): the
 * manager pitfall resolved as described at the top. -ENOENT when it has none usable. */
struct json_t;
int swarm_node_addr(const struct json_t *node, struct ip_addr *out);

/* Our own container's id (§4): from /proc/self/mountinfo (the source of /etc/hostname is
 * .../containers/<id>/hostname), else from /proc/self/cgroup (docker-<id>.scope or
 * /docker/<id>). Either text may be NULL. -ENOENT when neither names one. id holds
 * SWARM_ID_LEN bytes. */
int swarm_container_id(const char *mountinfo, size_t mountinfo_len, const char *cgroup,
		       size_t cgroup_len, char *id);

/* GET /containers/<id>/json: the swarm labels com.docker.swarm.service.name and .id.
 * -ENOENT when the container is not a swarm task. name holds SWARM_NAME_LEN bytes, id
 * SWARM_ID_LEN (either may be NULL). */
int swarm_parse_container_service(const char *body, size_t len, char *name, char *id, char *err,
				  size_t err_len);

/* One line of GET /events (§5), both formats (with or without the legacy fields). */
struct swarm_event {
	bool relevant;      /* the peer set may have changed: list tasks and nodes again */
	int64_t time_nano;  /* timeNano (else time * 1e9): "since" for a reconnect; 0 if none */
};

/* Relevant: any node event (create, update, remove); a service event for our service
 * (Actor.Attributes.name == service, or Actor.ID == service_id); a container event of a
 * task of our service (label com.docker.swarm.service.name) that starts or ends it
 * (start, die, stop, destroy). service_id may be NULL. 0, or -EBADMSG. */
int swarm_parse_event(const char *line, size_t len, const char *service, const char *service_id,
		      struct swarm_event *ev, char *err, size_t err_len);

#endif
