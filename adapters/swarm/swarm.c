/* swarm.c — the Docker Swarm adapter: the nodes that run a task of our (global) service, at
 * their node addresses, live; references are to ../shared/reference/docker-swarm-api.md (§N).
 *
 * One read is a chain of GETs on the local engine (DOCKER_HOST, as the docker CLI reads it):
 *
 *   /version -> /info -> [/containers/<own id>/json] -> manager: /tasks -> /nodes
 *                                                     -> worker:  a manager's keepvip
 *
 * On a manager (Swarm.ControlAvailable) the answers become the peer set (swarm_parse.c); it is
 * then kept live by /events (a relevant line: list tasks and nodes again within
 * EVENT_SETTLE_MS) and by listing again every RELIST_MS, because a manager hears no event when
 * a task on another node dies and none for seconds when an engine stops (§5, and seen on a
 * real 20.10 swarm). The manager's keepvip serves that set on its node address
 * (swarm_peer_server.c: node addresses only).
 *
 * On a worker, the engine answers /nodes and /tasks with 503 (§2): the keepvip there reads the
 * managers' addresses from its own /info (Swarm.RemoteManagers) and long-polls the set from
 * the keepvip of any manager that answers (swarm_peerset.h). When none answers it keeps its
 * last set, says why once, and asks again every WORKER_RETRY_MS.
 *
 * A bad answer from the engine fails the read: adapter.c keeps the last peers and backs off. */
#include "swarm.h"
#include "swarm_event_lines.h"
#include "swarm_parse.h"
#include "swarm_peer_server.h"
#include "swarm_peerset.h"

#include "http.h"
#include "log.h"
#include "loop.h"
#include "url_escape.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_DOCKER_HOST "unix:///var/run/docker.sock"
#define DEFAULT_PEER_PORT 9651u
#define DETECT_TIMEOUT_MS 500u
_Static_assert(DETECT_TIMEOUT_MS <= ADAPTER_DETECT_MS, "detect() stays within its bound");
#define REQUEST_TIMEOUT_MS 5000u
#define RELIST_MS 4000u           /* a manager hears no task event of other nodes (§5) */
#define EVENT_SETTLE_MS 150u      /* events come in bursts: one list for a burst */
#define EVENTS_RETRY_FIRST_MS 1000u
#define EVENTS_RETRY_MAX_MS 30000u
#define WORKER_WAIT_S 25u         /* the long poll on a manager's keepvip */
#define WORKER_RETRY_MS 2000u
#define WORKER_FIRST_WAIT_MS 10000u /* a first read waits this long for a manager's keepvip
				     * (all tasks start together): no multicast meanwhile */
_Static_assert(WORKER_FIRST_WAIT_MS < ADAPTER_FIRST_FETCH_MS, "within the first fetch");
#define PROC_MAX (256u << 10)
#define PATH_LEN 1280u             /* an engine path with its filters */

#define ENV_DOCKER_HOST "KEEPVIP_DOCKER_HOST"
#define ENV_TLS_VERIFY "KEEPVIP_DOCKER_TLS_VERIFY"
#define ENV_CERT_PATH "KEEPVIP_DOCKER_CERT_PATH"
#define ENV_SERVICE "KEEPVIP_SWARM_SERVICE"
#define ENV_PEER_PORT "KEEPVIP_SWARM_PEER_PORT"

enum read_step {
	STEP_VERSION = 0, /* /version (unversioned): the API version to use (§1) */
	STEP_INFO,        /* /info: in a swarm? manager? our node, the managers */
	STEP_CONTAINER,   /* /containers/<id>/json: our service from our labels (§4) */
	STEP_TASKS,       /* /tasks of our service (manager) */
	STEP_NODES,       /* /nodes: their addresses (manager) */
	STEP_DONE,
};

/* How the engine is reached: DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH. */
struct transport {
	char base[SETTINGS_TEXT_LEN];       /* "http://localhost" or "https://host:2376" */
	char unix_path[SETTINGS_TEXT_LEN];  /* "" for TCP */
	char ca[SETTINGS_TEXT_LEN + 16], cert[SETTINGS_TEXT_LEN + 16], key[SETTINGS_TEXT_LEN + 16];
	bool tls;
};

struct swarm_state {
	struct adapter_ctx ctx;
	struct transport t;
	char service[SWARM_NAME_LEN];      /* "" until known */
	char container_id[SWARM_ID_LEN];   /* "" when /proc names none */
	uint16_t peer_port;
	char api[16];                      /* "v1.41"; "" until negotiated */
	struct swarm_info info;

	struct http_client *http;
	adapter_update_fn report;
	void (*fail)(void *arg, const char *err);
	void *arg;

	/* the read chain */
	struct http_request *req;
	enum read_step step;
	bool reading, read_again;
	struct swarm_task_nodes tasks;
	struct adapter_discovery scratch;
	char note[256], last_note[256];

	/* what was reported last (its version, self) */
	bool reported;
	struct swarm_peerset last;
	struct ip_addr last_self;

	/* manager: liveness */
	struct loop_timer relist, settle, kick;
	struct http_request *events;
	struct swarm_event_lines lines;
	char events_err[ADAPTER_ERR_LEN];  /* why the reader dropped the stream, "" = it did not */
	int64_t since_nano;
	uint32_t events_backoff_ms;
	struct loop_timer events_retry;
	struct swarm_peer_server *server;
	bool server_logged;

	/* worker: the managers' keepvips */
	struct http_request *poll;
	size_t mgr, mgr_tried;
	char mgr_errs[ADAPTER_ERR_LEN];
	bool managers_failed_once, managers_down_logged;
	uint64_t first_watch_us;           /* when this state's first watch began */
	struct loop_timer worker_retry;
};

static const char *setting(const struct adapter_ctx *ctx, const char *name)
{
	return settings_get(ctx->settings, name);
}

/* ---- transport (§1) --------------------------------------------------------------------- */

static const char *docker_host(const struct adapter_ctx *ctx)
{
	const char *h = setting(ctx, ENV_DOCKER_HOST);
	return h != NULL ? h : DEFAULT_DOCKER_HOST;
}

/* DOCKER_HOST into a base URL; TLS as the CLI has it (DOCKER_TLS_VERIFY non-empty: HTTPS,
 * the server checked against ca.pem, our cert.pem/key.pem from DOCKER_CERT_PATH or ~/.docker). */
static int transport_init(const struct adapter_ctx *ctx, struct transport *t, char *err,
			  size_t err_len)
{
	const char *host = docker_host(ctx);
	const char *verify = setting(ctx, ENV_TLS_VERIFY);
	const char *certs = setting(ctx, ENV_CERT_PATH);
	const char *home = ctx->env != NULL ? ctx->env("HOME", ctx->env_ctx) : NULL;
	char dir[SETTINGS_TEXT_LEN];

	memset(t, 0, sizeof(*t));
	if (strncmp(host, "unix://", 7) == 0) {
		snprintf(t->unix_path, sizeof(t->unix_path), "%s", host + 7);
		snprintf(t->base, sizeof(t->base), "http://localhost");
		return 0;
	}
	if (strncmp(host, "tcp://", 6) != 0) {
		adapter_errf(err, err_len, "%s \"%s\": want unix:///path or tcp://host:port",
			     ENV_DOCKER_HOST,
			     host);
		return -EINVAL;
	}
	t->tls = verify != NULL && verify[0] != '\0';
	snprintf(t->base, sizeof(t->base), "%s://%s", t->tls ? "https" : "http", host + 6);
	for (size_t n = strlen(t->base); n > 0 && t->base[n - 1] == '/'; n--)
		t->base[n - 1] = '\0';
	if (!t->tls)
		return 0;
	if (certs != NULL)
		snprintf(dir, sizeof(dir), "%s", certs);
	else
		snprintf(dir, sizeof(dir), "%s/.docker", home != NULL ? home : "/root");
	snprintf(t->ca, sizeof(t->ca), "%s/ca.pem", dir);
	snprintf(t->cert, sizeof(t->cert), "%s/cert.pem", dir);
	snprintf(t->key, sizeof(t->key), "%s/key.pem", dir);
	return 0;
}

static int engine_get(struct swarm_state *s, const char *path, uint32_t timeout_ms,
		      http_done_fn done, http_chunk_fn on_chunk, struct http_request **out,
		      char *err, size_t err_len)
{
	char url[SETTINGS_TEXT_LEN + PATH_LEN];
	struct http_get_opts o = {
		.url = url, .timeout_ms = timeout_ms, .max_body = SWARM_MAX_BODY,
		.unix_socket = s->t.unix_path[0] != '\0' ? s->t.unix_path : NULL,
		.ca_file = s->t.tls ? s->t.ca : NULL,
		.cert_file = s->t.tls ? s->t.cert : NULL,
		.key_file = s->t.tls ? s->t.key : NULL,
		.on_chunk = on_chunk,
		.connect_timeout_ms = REQUEST_TIMEOUT_MS,
	};
	snprintf(url, sizeof(url), "%s%s", s->t.base, path);
	return http_get(s->http, &o, done, s, out, err, err_len);
}

/* ---- the read chain --------------------------------------------------------------------- */

static void read_next(struct swarm_state *s);
static void worker_poll(struct swarm_state *s);
static void manager_done(struct swarm_state *s);
static void watch_stop(struct swarm_state *s);

static void watch_fail(struct swarm_state *s, const char *err)
{
	watch_stop(s);
	s->fail(s->arg, err); /* last: adapter.c may close us from here */
}

static void step_path(const struct swarm_state *s, char *buf, size_t len)
{
	char json[SWARM_NAME_LEN + 64], esc[3 * (SWARM_NAME_LEN + 64)];

	switch (s->step) {
	case STEP_VERSION:
		snprintf(buf, len, "/version");
		break;
	case STEP_INFO:
		snprintf(buf, len, "/%s/info", s->api);
		break;
	case STEP_CONTAINER:
		snprintf(buf, len, "/%s/containers/%s/json", s->api, s->container_id);
		break;
	case STEP_TASKS:
		snprintf(json, sizeof(json), "{\"service\":[\"%s\"],\"desired-state\":[\"running\"]}",
			 s->service);
		url_escape(json, esc, sizeof(esc));
		snprintf(buf, len, "/%s/tasks?filters=%s", s->api, esc);
		break;
	default:
		snprintf(buf, len, "/%s/nodes", s->api);
		break;
	}
}

/* What the engine said besides 200, in words an operator can act on. */
static void describe_status(const struct swarm_state *s, const char *path,
			    const struct http_response *resp, char *err, size_t err_len)
{
	char msg[160];
	enum swarm_api_error kind = swarm_parse_error(resp->body, resp->body_len, msg, sizeof(msg));
	static const char *const hint[] = {
		[SWARM_E_OTHER] = "",
		[SWARM_E_WORKER] = " (this node is a worker now)",
		[SWARM_E_NO_SWARM] = " (this engine is not in a swarm)",
		[SWARM_E_PREPARING] = " (the manager is still starting: asking again)",
		[SWARM_E_LOCKED] = " (the swarm is locked: run docker swarm unlock)",
		[SWARM_E_VERSION] = " (API version refused)",
	};
	if (resp->status == 404 && s->step == STEP_TASKS)
		adapter_errf(err, err_len, "GET %s: HTTP 404: service \"%s\" not found (check %s)",
			     path,
			     s->service, ENV_SERVICE);
	else
		adapter_errf(err, err_len, "GET %s: HTTP %ld%s%s%s", path, resp->status,
			     msg[0] != '\0' ? ": " : "", msg, hint[kind]);
}

static int consume(struct swarm_state *s, const struct http_response *resp, char *err,
		   size_t err_len)
{
	struct swarm_api_version v;
	int rc;

	switch (s->step) {
	case STEP_VERSION:
		rc = swarm_parse_version(resp->body, resp->body_len, &v, err, err_len);
		if (rc == 0)
			snprintf(s->api, sizeof(s->api), "v%u.%u", v.major, v.minor);
		return rc < 0 ? rc : STEP_INFO;
	case STEP_INFO:
		rc = swarm_parse_info(resp->body, resp->body_len, &s->info, err, err_len);
		if (rc < 0)
			return rc;
		if (s->service[0] != '\0')
			return STEP_TASKS;
		if (s->container_id[0] == '\0') {
			adapter_errf(err, err_len,
				     "our container id is not in /proc/self/mountinfo nor "
				     "/proc/self/cgroup: set %s (the stack file sets it with "
				     "{{.Service.Name}})", ENV_SERVICE);
			return -ENOENT;
		}
		return STEP_CONTAINER;
	case STEP_CONTAINER:
		rc = swarm_parse_container_service(resp->body, resp->body_len, s->service, NULL,
						   err, err_len);
		if (rc == 0)
			log_info("adapter", "swarm: our service is %s (from our container's labels)",
				 s->service);
		return rc < 0 ? rc : STEP_TASKS;
	case STEP_TASKS:
		rc = swarm_parse_tasks(resp->body, resp->body_len, NULL, &s->tasks, err, err_len);
		return rc < 0 ? rc : STEP_NODES;
	default:
		rc = swarm_parse_nodes(resp->body, resp->body_len, &s->tasks, &s->scratch, s->note,
				       sizeof(s->note), err, err_len);
		return rc < 0 ? rc : STEP_DONE;
	}
}

static void on_step_answer(void *arg, const struct http_response *resp)
{
	struct swarm_state *s = arg;
	char path[PATH_LEN], why[ADAPTER_ERR_LEN], err[ADAPTER_ERR_LEN];
	int next;

	s->req = NULL;
	step_path(s, path, sizeof(path));
	if (resp->error != NULL) {
		struct stat st;
		if (s->t.unix_path[0] != '\0' && stat(s->t.unix_path, &st) < 0)
			adapter_errf(err, sizeof(err),
				     "the Docker socket %s is not there (mount the "
				     "engine's socket, or set DOCKER_HOST)", s->t.unix_path);
		else
			adapter_errf(err, sizeof(err), "GET %s on %s: %s", path,
				     docker_host(&s->ctx),
				     resp->error);
		watch_fail(s, err);
		return;
	}
	if (resp->status != 200) {
		describe_status(s, path, resp, err, sizeof(err));
		watch_fail(s, err);
		return;
	}
	next = consume(s, resp, why, sizeof(why));
	if (next < 0) {
		adapter_errf(err, sizeof(err), "GET %s: %s", path, why);
		watch_fail(s, err);
		return;
	}
	/* A worker's engine cannot list the swarm (§2): its managers' keepvips can. */
	if (next == STEP_TASKS && !s->info.manager) {
		s->reading = false;
		s->mgr_tried = 0;
		s->mgr_errs[0] = '\0';
		worker_poll(s);
		return;
	}
	s->step = (enum read_step)next;
	if (s->step == STEP_DONE)
		manager_done(s);
	else
		read_next(s);
}

static void read_next(struct swarm_state *s)
{
	char path[PATH_LEN], why[HTTP_ERR_LEN], err[ADAPTER_ERR_LEN];

	step_path(s, path, sizeof(path));
	int rc = engine_get(s, path, REQUEST_TIMEOUT_MS, on_step_answer, NULL, &s->req, why,
			    sizeof(why));
	if (rc < 0) {
		adapter_errf(err, sizeof(err), "GET %s%s: %s", docker_host(&s->ctx), path, why);
		watch_fail(s, err);
	}
}

/* A whole read from /version, or (manager, already known) a list of tasks and nodes. */
static void read_start(struct swarm_state *s, enum read_step first)
{
	if (s->reading) {
		s->read_again = true;
		return;
	}
	s->reading = true;
	s->read_again = false;
	s->step = first;
	memset(&s->scratch, 0, sizeof(s->scratch));
	read_next(s);
}

/* ---- what is reported ------------------------------------------------------------------- */

static void log_peers(const char *role, const struct adapter_discovery *d, const char *from)
{
	char peers[ADAPTER_MAX_PEERS * 4], text[IP_ADDR_STRLEN];
	size_t used = 0;

	peers[0] = '\0';
	for (size_t i = 0; i < d->n_peers && used + IP_ADDR_STRLEN + 2 < sizeof(peers); i++)
		used += (size_t)snprintf(peers + used, sizeof(peers) - used, "%s%s", i ? ", " : "",
					 ip_addr_str(&d->peers[i], text));
	log_info("adapter", "swarm (%s): %zu peer(s) (%s)%s", role, d->n_peers, peers, from);
}

/* Reports d when it differs from what was reported last (else "alive, unchanged"). */
static void report_if_changed(struct swarm_state *s, struct adapter_discovery *d,
			      const char *role, const char *from)
{
	struct swarm_peerset set;

	swarm_peerset_from(&set, d->peers, d->n_peers);
	snprintf(d->resume, sizeof(d->resume), "%s", set.version);
	if (s->reported && strcmp(set.version, s->last.version) == 0 &&
	    d->has_self == (s->last_self.family != 0) &&
	    (!d->has_self || ip_addr_equal(&d->self, &s->last_self))) {
		s->report(s->arg, NULL);
		return;
	}
	s->reported = true;
	s->last = set;
	memset(&s->last_self, 0, sizeof(s->last_self));
	if (d->has_self)
		s->last_self = d->self;
	log_peers(role, d, from);
	if (s->server != NULL)
		swarm_peer_server_set(s->server, &set);
	s->report(s->arg, d); /* last: adapter.c may close us from a first fetch */
}

/* ---- manager: events, periodic lists, the peer server ----------------------------------- */

static void events_start(struct swarm_state *s);

static void manager_done(struct swarm_state *s)
{
	bool again = s->read_again;

	s->reading = false;
	s->read_again = false;
	if (strcmp(s->note, s->last_note) != 0 && s->note[0] != '\0')
		log_info("adapter", "swarm: %s: %s", s->service, s->note);
	snprintf(s->last_note, sizeof(s->last_note), "%s", s->note);
	s->scratch.self = s->info.node_addr;
	s->scratch.has_self = s->info.has_node_addr;
	/* the rest on the next turn: a first fetch stops at this report and starts nothing */
	loop_timer_arm(s->ctx.loop, &s->kick, loop_now_us());
	if (again)
		loop_timer_arm(s->ctx.loop, &s->settle, loop_now_us());
	else
		loop_timer_arm(s->ctx.loop, &s->relist, loop_now_us() + RELIST_MS * 1000ull);
	report_if_changed(s, &s->scratch, "manager", "");
}

static void on_relist(struct loop *loop, void *arg)
{
	(void)loop;
	struct swarm_state *s = arg;
	read_start(s, STEP_TASKS);
}

/* The peer server on our node address, and the event stream, once a read went well. */
static void on_kick(struct loop *loop, void *arg)
{
	struct swarm_state *s = arg;
	char err[ADAPTER_ERR_LEN];

	if (s->events == NULL && !loop_timer_armed(&s->events_retry))
		events_start(s);
	if (s->server != NULL || !s->info.has_node_addr)
		return;
	if (swarm_peer_server_new(loop, &s->info.node_addr, s->peer_port, &s->server, err,
				  sizeof(err)) < 0) {
		if (!s->server_logged)
			log_warn("adapter", "swarm: the workers' peer endpoint: %s (trying again "
				 "at every list)", err);
		s->server_logged = true;
		return;
	}
	if (s->server_logged)
		log_info("adapter", "swarm: the workers' peer endpoint listens now");
	s->server_logged = false;
	if (s->reported)
		swarm_peer_server_set(s->server, &s->last);
}

/* A line that is not an event, or longer than SWARM_MAX_EVENT: the engine is not one we can
 * follow. The stream is dropped (reconnected after the backoff, which only a good event
 * resets), the lists go on meanwhile and one starts now: whatever the line said is read. */
static int events_drop(struct swarm_state *s, int rc, const char *why)
{
	snprintf(s->events_err, sizeof(s->events_err), "%s", why);
	loop_timer_arm(s->ctx.loop, &s->settle, loop_now_us());
	return rc;
}

/* One whole event line. 0, or negative errno when the stream must be dropped. */
static int on_event_line(void *arg, const char *line, size_t len)
{
	struct swarm_state *s = arg;
	struct swarm_event ev;
	char err[ADAPTER_ERR_LEN];

	if (swarm_parse_event(line, len, s->service, NULL, &ev, err, sizeof(err)) < 0)
		return events_drop(s, -EPROTO, err);
	if (s->events_backoff_ms != 0)
		log_info("adapter", "swarm: the event stream answers again");
	s->events_backoff_ms = 0;
	if (ev.time_nano > s->since_nano)
		s->since_nano = ev.time_nano;
	if (ev.relevant && !loop_timer_armed(&s->settle))
		loop_timer_arm(s->ctx.loop, &s->settle, loop_now_us() + EVENT_SETTLE_MS * 1000ull);
	return 0;
}

static int on_event_chunk(void *arg, long status, const char *data, size_t len)
{
	struct swarm_state *s = arg;
	char why[64];

	if (status != 200)
		return 0; /* an error body: done() says why */
	int rc = swarm_event_lines_feed(&s->lines, data, len, on_event_line, s);
	if (rc == -EMSGSIZE) {
		snprintf(why, sizeof(why), "a line over %u bytes", SWARM_MAX_EVENT);
		return events_drop(s, rc, why);
	}
	return rc;
}

static void on_events_done(void *arg, const struct http_response *resp)
{
	struct swarm_state *s = arg;
	char err[ADAPTER_ERR_LEN];

	s->events = NULL;
	swarm_event_lines_reset(&s->lines);
	if (s->events_err[0] != '\0' || resp->error != NULL || resp->status != 200) {
		if (s->events_err[0] != '\0')
			adapter_errf(err, sizeof(err), "%s", s->events_err);
		else if (resp->error != NULL)
			adapter_errf(err, sizeof(err), "%s", resp->error);
		else
			describe_status(s, "/events", resp, err, sizeof(err));
		s->events_err[0] = '\0';
		s->events_backoff_ms = s->events_backoff_ms == 0 ? EVENTS_RETRY_FIRST_MS
				       : s->events_backoff_ms * 2;
		if (s->events_backoff_ms > EVENTS_RETRY_MAX_MS)
			s->events_backoff_ms = EVENTS_RETRY_MAX_MS;
		log_warn("adapter", "swarm: the event stream: %s; listing every %u ms meanwhile, "
			 "following events again in %u ms", err, RELIST_MS, s->events_backoff_ms);
	} else {
		log_info("adapter", "swarm: the engine closed the event stream: following it again");
		s->events_backoff_ms = EVENTS_RETRY_FIRST_MS;
	}
	loop_timer_arm(s->ctx.loop, &s->events_retry,
		       loop_now_us() + s->events_backoff_ms * 1000ull);
}

static void on_events_retry(struct loop *loop, void *arg)
{
	(void)loop;
	struct swarm_state *s = arg;
	events_start(s);
	read_start(s, STEP_TASKS); /* whatever the gap hid */
}

/* GET /events?filters={"type":[node, service, container]}[&since=...] (§5). */
static void events_start(struct swarm_state *s)
{
	char path[512], esc[256], why[HTTP_ERR_LEN];
	int n;

	url_escape("{\"type\":[\"node\",\"service\",\"container\"]}", esc, sizeof(esc));
	n = snprintf(path, sizeof(path), "/%s/events?filters=%s", s->api, esc);
	if (s->since_nano > 0 && n > 0 && (size_t)n < sizeof(path))
		snprintf(path + n, sizeof(path) - (size_t)n, "&since=%lld.%09lld",
			 (long long)(s->since_nano / 1000000000), (long long)(s->since_nano % 1000000000));
	if (engine_get(s, path, 0, on_events_done, on_event_chunk, &s->events, why,
		       sizeof(why)) < 0) {
		log_warn("adapter", "swarm: the event stream: %s", why);
		loop_timer_arm(s->ctx.loop, &s->events_retry,
			       loop_now_us() + EVENTS_RETRY_MAX_MS * 1000ull);
	}
}

/* ---- worker: the managers' keepvips (swarm_peerset.h) ------------------------------------ */

static void on_worker_retry(struct loop *loop, void *arg)
{
	(void)loop;
	read_start(arg, STEP_INFO); /* the managers may have changed: /info again */
}

/* Every manager was tried and none answered. */
static void managers_unreachable(struct swarm_state *s)
{
	char err[ADAPTER_ERR_LEN];

	if (s->info.n_managers == 0)
		adapter_errf(err, sizeof(err),
			     "this worker's /info names no manager (Swarm.RemoteManagers)");
	else
		adapter_errf(err, sizeof(err), "no manager's keepvip answers on port %u (%s)",
			     s->peer_port,
			     s->mgr_errs);
	if (!s->reported &&
	    loop_now_us() - s->first_watch_us < WORKER_FIRST_WAIT_MS * 1000ull) {
		/* a first read: the managers' keepvips start with ours; wait for one */
		loop_timer_arm(s->ctx.loop, &s->worker_retry, loop_now_us() + 500000u);
		return;
	}
	if (!s->managers_failed_once) {
		/* the first time: an error, so that a first fetch ends with the reason */
		s->managers_failed_once = true;
		watch_fail(s, err);
		return;
	}
	if (!s->managers_down_logged)
		log_warn("adapter", "swarm (worker): %s; keeping the last %zu peer(s), asking "
			 "again every %u ms", err, s->reported ? s->last.n : (size_t)0,
			 WORKER_RETRY_MS);
	s->managers_down_logged = true;
	s->report(s->arg, NULL); /* our engine answers; the set is the last one */
	loop_timer_arm(s->ctx.loop, &s->worker_retry, loop_now_us() + WORKER_RETRY_MS * 1000ull);
}

static void worker_failed_one(struct swarm_state *s, const char *why)
{
	char addr[IP_ADDR_STRLEN];
	size_t used = strlen(s->mgr_errs);

	snprintf(s->mgr_errs + used, sizeof(s->mgr_errs) - used, "%s%s: %s", used ? "; " : "",
		 ip_addr_str(&s->info.managers[s->mgr], addr), why);
	s->mgr = (s->mgr + 1) % (s->info.n_managers ? s->info.n_managers : 1);
	s->mgr_tried++;
	worker_poll(s);
}

static void on_worker_answer(void *arg, const struct http_response *resp)
{
	struct swarm_state *s = arg;
	struct swarm_peerset set;
	char why[ADAPTER_ERR_LEN], from[64], addr[IP_ADDR_STRLEN];

	s->poll = NULL;
	if (resp->error != NULL || resp->status != 200) {
		if (resp->error != NULL)
			adapter_errf(why, sizeof(why), "%s", resp->error);
		else
			adapter_errf(why, sizeof(why), "HTTP %ld", resp->status);
		worker_failed_one(s, why);
		return;
	}
	if (swarm_peerset_parse(resp->body, resp->body_len, &set, why, sizeof(why)) < 0) {
		worker_failed_one(s, why);
		return;
	}
	if (s->managers_down_logged)
		log_info("adapter", "swarm (worker): the keepvip on manager %s answers again",
			 ip_addr_str(&s->info.managers[s->mgr], addr));
	s->managers_down_logged = false;
	s->managers_failed_once = false;
	s->mgr_tried = 0;
	s->mgr_errs[0] = '\0';
	memset(&s->scratch, 0, sizeof(s->scratch));
	memcpy(s->scratch.peers, set.peers, set.n * sizeof(set.peers[0]));
	s->scratch.n_peers = set.n;
	s->scratch.self = s->info.node_addr;
	s->scratch.has_self = s->info.has_node_addr;
	snprintf(from, sizeof(from), " from the keepvip on manager %s",
		 ip_addr_str(&s->info.managers[s->mgr], addr));
	/* the next long poll on the next turn (a first fetch stops at this report) */
	loop_timer_arm(s->ctx.loop, &s->kick, loop_now_us());
	report_if_changed(s, &s->scratch, "worker", from);
}

/* Long-polls the set from the current manager's keepvip; on to the next when it fails. */
static void worker_poll(struct swarm_state *s)
{
	char url[256], addr[IP_ADDR_STRLEN], why[HTTP_ERR_LEN];
	const struct ip_addr *m;

	if (s->info.n_managers == 0 || s->mgr_tried >= s->info.n_managers) {
		managers_unreachable(s);
		return;
	}
	if (s->mgr >= s->info.n_managers)
		s->mgr = 0;
	m = &s->info.managers[s->mgr];
	ip_addr_str(m, addr);
	snprintf(url, sizeof(url), "http://%s%s%s:%u%s?wait=%u&version=%s",
		 m->family == AF_INET6 ? "[" : "", addr, m->family == AF_INET6 ? "]" : "",
		 s->peer_port, SWARM_PEERSET_PATH, s->reported ? WORKER_WAIT_S : 0u,
		 s->reported ? s->last.version : "");
	struct http_get_opts o = {
		.url = url, .timeout_ms = (WORKER_WAIT_S + 5u) * 1000u,
		.connect_timeout_ms = 2000u, .max_body = SWARM_PEERSET_DOC_MAX,
	};
	if (http_get(s->http, &o, on_worker_answer, s, &s->poll, why, sizeof(why)) < 0)
		worker_failed_one(s, why);
}

static void on_kick_any(struct loop *loop, void *arg)
{
	struct swarm_state *s = arg;
	if (s->info.manager)
		on_kick(loop, arg);
	else if (s->poll == NULL)
		worker_poll(s);
}

/* ---- the ops ----------------------------------------------------------------------------- */

static void watch_stop(struct swarm_state *s)
{
	http_cancel(s->http, s->req);
	http_cancel(s->http, s->events);
	http_cancel(s->http, s->poll);
	s->req = s->events = s->poll = NULL;
	s->reading = s->read_again = false;
	if (s->ctx.loop != NULL) {
		loop_timer_cancel(s->ctx.loop, &s->relist);
		loop_timer_cancel(s->ctx.loop, &s->settle);
		loop_timer_cancel(s->ctx.loop, &s->kick);
		loop_timer_cancel(s->ctx.loop, &s->events_retry);
		loop_timer_cancel(s->ctx.loop, &s->worker_retry);
	}
}

static int swarm_watch(void *state, adapter_update_fn report,
		       void (*fail)(void *arg, const char *err), void *arg)
{
	struct swarm_state *s = state;

	if (s->ctx.loop == NULL)
		return -EINVAL;
	s->report = report;
	s->fail = fail;
	s->arg = arg;
	watch_stop(s);
	if (s->http == NULL) {
		int rc = http_client_new(s->ctx.loop, &s->http);
		if (rc < 0)
			return rc;
	}
	s->mgr_tried = 0;
	s->mgr_errs[0] = '\0';
	if (s->first_watch_us == 0)
		s->first_watch_us = loop_now_us();
	read_start(s, STEP_VERSION); /* the engine may have been upgraded or demoted meanwhile */
	return 0;
}

/* A whole file of /proc into a heap buffer (NUL-terminated); NULL when unreadable. */
static char *read_proc(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = f != NULL ? malloc(PROC_MAX + 1) : NULL;

	*len = 0;
	if (buf != NULL)
		*len = fread(buf, 1, PROC_MAX, f);
	if (buf != NULL)
		buf[*len] = '\0';
	if (f != NULL)
		fclose(f);
	return buf;
}

/* Our container id (§4): the source of /etc/hostname in mountinfo, else the cgroup. */
static void own_container_id(char id[SWARM_ID_LEN])
{
	size_t mlen, clen;
	char *mountinfo = read_proc("/proc/self/mountinfo", &mlen);
	char *cgroup = read_proc("/proc/self/cgroup", &clen);

	if (swarm_container_id(mountinfo, mlen, cgroup, clen, id) < 0)
		id[0] = '\0';
	free(mountinfo);
	free(cgroup);
}

static int swarm_create(const struct adapter_ctx *ctx, void **state, char *err, size_t err_len)
{
	const char *service = setting(ctx, ENV_SERVICE);
	struct swarm_state *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL) {
		adapter_errf(err, err_len, "swarm adapter: out of memory");
		return -ENOMEM;
	}
	s->ctx = *ctx;
	s->ctx.resume = NULL;
	rc = transport_init(ctx, &s->t, err, err_len);
	if (rc < 0) {
		free(s);
		return rc;
	}
	s->peer_port = (uint16_t)settings_get_uint(ctx->settings, ENV_PEER_PORT, DEFAULT_PEER_PORT);
	if (service != NULL)
		snprintf(s->service, sizeof(s->service), "%s", service);
	else
		own_container_id(s->container_id);
	loop_timer_init(&s->relist, on_relist, s);
	loop_timer_init(&s->settle, on_relist, s);
	loop_timer_init(&s->kick, on_kick_any, s);
	loop_timer_init(&s->events_retry, on_events_retry, s);
	loop_timer_init(&s->worker_retry, on_worker_retry, s);
	*state = s;
	return 0;
}

static void swarm_destroy(void *state)
{
	struct swarm_state *s = state;
	if (s == NULL)
		return;
	if (s->http != NULL)
		watch_stop(s);
	http_client_free(s->http);
	swarm_peer_server_free(s->server);
	free(s);
}

/* ---- detection ---------------------------------------------------------------------------- */

struct probe {
	struct loop *loop;
	int in_swarm; /* 1: in a swarm (even locked or joining), 0: not, or no answer */
};

static void on_probe_answer(void *arg, const struct http_response *resp)
{
	struct probe *p = arg;
	struct swarm_info info;
	char err[ADAPTER_ERR_LEN];

	if (resp->error == NULL && resp->status == 200) {
		int rc = swarm_parse_info(resp->body, resp->body_len, &info, err, sizeof(err));
		p->in_swarm = rc == 0 || rc == -EAGAIN || rc == -EACCES || rc == -EIO;
	}
	loop_stop(p->loop);
}

/* The engine answers /info (unversioned: any engine answers it) and is in a swarm. */
static int swarm_detect(const struct adapter_ctx *ctx)
{
	struct probe p = { 0 };
	struct transport t;
	struct http_client *http = NULL;
	struct stat st;
	char err[ADAPTER_ERR_LEN], url[SETTINGS_TEXT_LEN + 16];

	if (transport_init(ctx, &t, err, sizeof(err)) < 0)
		return 0;
	if (t.unix_path[0] != '\0' && stat(t.unix_path, &st) < 0)
		return 0; /* no socket: no request */
	if (loop_new(&p.loop) < 0)
		return 0;
	snprintf(url, sizeof(url), "%s/info", t.base);
	struct http_get_opts o = {
		.url = url, .timeout_ms = DETECT_TIMEOUT_MS,
		.unix_socket = t.unix_path[0] != '\0' ? t.unix_path : NULL,
		.ca_file = t.tls ? t.ca : NULL, .cert_file = t.tls ? t.cert : NULL,
		.key_file = t.tls ? t.key : NULL,
	};
	if (http_client_new(p.loop, &http) == 0 &&
	    http_get(http, &o, on_probe_answer, &p, NULL, err, sizeof(err)) == 0)
		loop_run(p.loop); /* one bounded request */
	http_client_free(http);
	loop_free(p.loop);
	log_debug("adapter", "swarm: %s: %s", docker_host(ctx),
		  p.in_swarm ? "an engine in a swarm" : "no engine in a swarm");
	return p.in_swarm;
}

/* ---- settings ----------------------------------------------------------------------------- */

static const struct setting_key_info swarm_keys[] = {
	{ .env = ENV_DOCKER_HOST, .alias = "DOCKER_HOST", .yaml = "docker_host",
	  .flag = "docker-host", .scope = SCOPE_GLOBAL, .kind = SETTING_TEXT,
	  .help = "the Docker engine: unix:///path or tcp://host:port; default "
		  "unix:///var/run/docker.sock" },
	{ .env = ENV_TLS_VERIFY, .alias = "DOCKER_TLS_VERIFY", .yaml = "docker_tls_verify",
	  .flag = "docker-tls-verify", .scope = SCOPE_GLOBAL, .kind = SETTING_TEXT,
	  .help = "TLS to a tcp:// engine, verified, as the docker CLI reads it; default off" },
	{ .env = ENV_CERT_PATH, .alias = "DOCKER_CERT_PATH", .yaml = "docker_cert_path",
	  .flag = "docker-cert-path", .scope = SCOPE_GLOBAL, .kind = SETTING_PATH,
	  .help = "folder of ca.pem, cert.pem and key.pem for a TLS engine; default ~/.docker" },
	{ .env = ENV_SERVICE, .yaml = "swarm_service", .flag = "swarm-service",
	  .scope = SCOPE_GLOBAL, .kind = SETTING_TEXT, .max = SWARM_NAME_LEN - 1,
	  .help = "the swarm service whose tasks are the peers; default our own container's" },
	/* the managers' read-only peer endpoint (swarm_peerset.h), on every node */
	{ .env = ENV_PEER_PORT, .yaml = "swarm_peer_port", .flag = "swarm-peer-port",
	  .scope = SCOPE_GLOBAL, .kind = SETTING_UINT, .min = 1, .max = 65535,
	  .help = "TCP port of the managers' read-only peer endpoint, for workers; default 9651" },
};

static int swarm_validate(const struct settings_rules *r)
{
	const char *host = settings_rules_get(r, ENV_DOCKER_HOST);
	const char *service = settings_rules_get(r, ENV_SERVICE);

	if (host != NULL && strncmp(host, "unix:///", 8) != 0 && strncmp(host, "tcp://", 6) != 0)
		return settings_rules_fail(r, ENV_DOCKER_HOST,
					   "\"%s\": want unix:///path or tcp://host:port", host);
	if (host != NULL && strncmp(host, "tcp://", 6) == 0 && host[6] == '\0')
		return settings_rules_fail(r, ENV_DOCKER_HOST, "tcp:// names no host");
	/* the name goes into a JSON filter: the characters a service name may have */
	if (service != NULL && strspn(service, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					       "0123456789_.-") != strlen(service))
		return settings_rules_fail(r, ENV_SERVICE,
					   "\"%s\": a service name is letters, digits, '_', '.', '-'",
					   service);
	return 0;
}

static const struct settings_table swarm_settings = {
	.keys = swarm_keys,
	.n_keys = sizeof(swarm_keys) / sizeof(swarm_keys[0]),
	.validate = swarm_validate,
};

const struct adapter_ops adapter_swarm_ops = {
	.name = "swarm",
	.settings = &swarm_settings,
	.detect = swarm_detect,
	.create = swarm_create,
	.watch = swarm_watch,
	.destroy = swarm_destroy,
};
