/* marathon_parse.h — Marathon's answers, as JSON text, into peers and decisions.
 *
 * Pure: text in, struct out, no I/O, no clock (../shared/reference/marathon-api.md). Every
 * function checks what it reads and returns 0 (or a non-negative answer), or a negative
 * errno with err saying what and where, e.g.
 *   "tasks[2].ipAddresses[0].ipAddress: \"10.42.0\" is not an IP address"
 * Outputs are written only on success, so a bad answer changes nothing the caller keeps.
 *
 * The event stream's framing is sse.h; the endpoint list and credentials are
 * marathon_endpoint.h. */
#ifndef KEEPVIP_MARATHON_PARSE_H
#define KEEPVIP_MARATHON_PARSE_H

#include "ipaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define MARATHON_MAX_PEERS 256       /* as many as an adapter discovery holds */
#define MARATHON_HOST_LEN 254        /* a DNS name: 253 characters and a NUL */
#define MARATHON_APP_ID_LEN 256
#define MARATHON_PATH_LEN 1024       /* a request path built here */
#define MARATHON_MESSAGE_LEN 256     /* an error body's message, as reported */

/* ---- the task list (§2: GET /v2/apps/{id}/tasks) -------------------------------------- */

/* Which task states make a peer (§2 "Peer set"): TASK_RUNNING, and TASK_KILLING, which still
 * runs and will send its priority-0 advert. Not TASK_STAGING / TASK_STARTING (no address
 * yet, keepvip not started), nor TASK_UNREACHABLE / TASK_LOST / TASK_UNKNOWN (Mesos cannot
 * say what runs there), nor the terminal states. */
bool marathon_state_is_peer(const char *state);

/* A task's health as its healthCheckResults say: results are keyed by instanceId (Marathon
 * 1.4+) or taskId (before 1.4). */
enum marathon_health {
	MARATHON_HEALTH_UNKNOWN = 0, /* no result for this task (no health check, or not yet) */
	MARATHON_HEALTH_ALIVE,       /* every result for it is alive */
	MARATHON_HEALTH_FAILING,     /* some result for it is not alive */
};

/* Where a peer (or self) is: an address, or a host name to resolve. */
struct marathon_peer {
	bool needs_resolve;             /* host is a DNS name: resolve it (off the loop) for the
					 * VIP's family; addr is unset */
	struct ip_addr addr;            /* when !needs_resolve: the first ipAddresses entry of
					 * the family, else the host as an IP literal */
	char host[MARATHON_HOST_LEN];   /* the task's host (the agent's name with Mesos) */
	enum marathon_health health;
};

/* Who we are and what we look for. Strings may be NULL or empty when unknown. */
struct marathon_whoami {
	const char *app_id;  /* MARATHON_APP_ID ("/keepvip"): tasks of other apps are skipped
			      * (an /v2/tasks answer); NULL: take every task */
	const char *task_id; /* MESOS_TASK_ID: the task that is us */
	const char *host;    /* HOST: our agent, when no task id matches */
	sa_family_t family;  /* AF_INET or AF_INET6: the VIP's family */
};

struct marathon_task_list {
	struct marathon_peer peers[MARATHON_MAX_PEERS]; /* in the answer's order, without self,
							 * without duplicates */
	size_t n_peers;
	struct marathon_peer self;
	bool has_self;
	bool self_is_task;   /* self is a listed task (else built from whoami.host alone) */
	/* What was left out, for the adapter's log line. */
	size_t n_tasks;        /* tasks of our app in the answer */
	size_t n_not_peer;     /* in a state that makes no peer (staging, unreachable, ...) */
	size_t n_no_address;   /* no address of the family and no usable host */
};

/* GET /v2/apps/{id}/tasks ({"tasks": [...]}) or GET /v2/apps/{id}?embed=app.tasks
 * ({"app": {"tasks": [...]}}). Self is the task whose id is whoami.task_id, else the first
 * task whose host is whoami.host, else whoami.host itself (an IP literal, or a name to
 * resolve). A peer is a task of our app in a peer state, at its first ipAddresses entry of
 * the family, else at its host: an IP literal of the family as is, a DNS name flagged for
 * resolving, an IP literal of the other family not at all (counted in n_no_address). Tasks on
 * self's host or address are not peers (the core drops its own addresses anyway).
 * -EBADMSG when the answer is not that shape (the message names the field), -E2BIG beyond
 * MARATHON_MAX_PEERS peers, -EINVAL when whoami.family is neither AF_INET nor AF_INET6. */
int marathon_parse_tasks(const char *body, size_t len, const struct marathon_whoami *whoami,
			 struct marathon_task_list *out, char *err, size_t err_len);

/* The instance id of a task id: the part before "._app" (Marathon 1.4+), else the task id
 * itself (before 1.4 one instance was one task). Writes at most out_len bytes; 0 or -E2BIG. */
int marathon_instance_id(const char *task_id, char *out, size_t out_len);

/* ---- requests -------------------------------------------------------------------------- */

/* 0 when app_id is an absolute Marathon app id ("/keepvip", "/infra/keepvip": segments of
 * lower-case letters, digits, '-' and '.', not "." or ".."), else -EINVAL with err. Only such
 * an id is ever put in a URL. */
int marathon_check_app_id(const char *app_id, char *err, size_t err_len);

/* "/v2/apps/infra/keepvip/tasks" for "/infra/keepvip". 0, -EINVAL (bad id), -E2BIG. */
int marathon_tasks_path(const char *app_id, char *out, size_t out_len, char *err,
			size_t err_len);

/* "/v2/events?event_type=...&event_type=..." naming every event type that
 * marathon_event_classify can act on (server-side filter, Marathon >= 1.3.7; older servers
 * send everything, which the classifier sorts out). 0 or -E2BIG. */
int marathon_events_path(char *out, size_t out_len);

/* An error body ({"message": "..."}, §1) into msg, control characters replaced, cut to
 * msg_len. 0, or -EBADMSG when the body is not that (e.g. Jetty's HTML 502 page). */
int marathon_parse_error(const char *body, size_t len, char *msg, size_t msg_len);

/* ---- events (§3: GET /v2/events) ------------------------------------------------------- */

enum marathon_event_action {
	MARATHON_EVENT_IGNORE = 0,  /* another app's, or a type keepvip does not act on */
	MARATHON_EVENT_REFETCH,     /* may change our app's tasks: read the task list again */
	MARATHON_EVENT_ATTACHED,    /* event_stream_attached: the stream is up; events before it
				     * were missed (no Last-Event-ID): read the task list */
};

#define MARATHON_DEPLOYMENTS_KEPT 8
#define MARATHON_DEPLOYMENT_ID_LEN 64

/* What the classifier remembers between events: the ids of the deployments that touch our
 * app (deployment_info names the apps; deployment_success / _failed only the id). */
struct marathon_event_memory {
	char deployments[MARATHON_DEPLOYMENTS_KEPT][MARATHON_DEPLOYMENT_ID_LEN];
	size_t next; /* the slot the next id goes to (oldest first out) */
};

/* One event (type and data from the SSE framer) for app_id:
 *   status_update_event, health_status_changed_event, unhealthy_instance_kill_event,
 *   app_terminated_event: "appId"; instance_changed_event, instance_health_changed_event:
 *   "runSpecId"; api_post_event: "appDefinition"."id"; deployment_info,
 *   deployment_step_success, deployment_step_failure: our app among the plan's or the
 *   current step's actions (the plan id is remembered); deployment_success,
 *   deployment_failed: a remembered plan id (then forgotten);
 *   event_stream_attached: ATTACHED; anything else: IGNORE.
 * truncated (the framer cut the data): a type above that would need the data is REFETCH
 * (the safe side), the others as usual. Returns the action, or -EBADMSG when the data of a
 * type above is not the JSON it should be (err says why; the caller should refetch, the safe
 * side, and log). */
int marathon_event_classify(struct marathon_event_memory *mem, const char *app_id,
			    const char *type, const char *data, size_t data_len, bool truncated,
			    char *err, size_t err_len);

#endif
