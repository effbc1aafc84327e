/* kubernetes.c — the Kubernetes adapter: a DaemonSet's peers, live from the API server
 * (../shared/reference/kubernetes-api.md), and the priority of our Node's annotation.
 *
 * In-cluster access as a pod has it (§1): the API URL from KUBERNETES_SERVICE_HOST/PORT or
 * KEEPVIP_K8S_API, the service account's token (k8s_token.c: re-read when the file changes and
 * after a 401), TLS verified against its CA, never skipped; the namespace from its file.
 *
 * One read, the same for the first fetch and for every relist:
 *   GET pods/POD_NAME (self, labels for the default selector)
 *   -> [GET nodes/NODE_NAME: keepvip.io/priority, first read only]
 *   -> GET pods?labelSelector&limit (pages, §2) into a scratch set swapped in at the end
 * then, on the loop, two streams framed by k8s_lines_* (§3):
 *   pods?watch=1&resourceVersion=RV&allowWatchBookmarks=true: events applied one by one, each
 *     change reported at once; a clean end re-watches from the last RV; 410 (status or ERROR
 *     event) relists; a bad event fails and relists after the backoff;
 *   nodes?watch=1&fieldSelector=metadata.name=NODE: the annotation, as an override of
 *     KEEPVIP_PRIORITY that wins over env (adapter.h: over_env), so the daemon applies it in
 *     place. The node path never holds the peers up: its errors are logged and retried on
 *     its own timer, the last priority kept.
 * Both streams ask timeoutSeconds=KEEPVIP_K8S_WATCH_S and are dropped when they outlast it
 * by 1/8 + 5 s (watch_bound_s): a server that never ends its watch, silent or not, holds
 * nothing up. A line over K8S_MAX_EVENT_BYTES fails the stream (k8s_lines_feed).
 * Errors of the pod path go to adapter.c (last peers kept, backoff); 429 and 5xx also wait
 * for Retry-After; 401 re-reads the token and tries once more at once; 403 names the missing
 * permission once. Only libcurl multi on the loop: nothing here blocks. */
#include "kubernetes.h"
#include "k8s_parse.h"
#include "k8s_token.h"

#include "http.h"
#include "log.h"
#include "loop.h"
#include "url_escape.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ENV_API "KEEPVIP_K8S_API"
#define ENV_TOKEN_FILE "KEEPVIP_K8S_TOKEN_FILE"
#define ENV_TOKEN "KEEPVIP_K8S_TOKEN"
#define ENV_CA_FILE "KEEPVIP_K8S_CA_FILE"
#define ENV_NAMESPACE "KEEPVIP_K8S_NAMESPACE"
#define ENV_SELECTOR "KEEPVIP_K8S_SELECTOR"
#define ENV_POD_NAME "KEEPVIP_POD_NAME"
#define ENV_NODE_NAME "KEEPVIP_NODE_NAME"
#define ENV_PRIORITY "KEEPVIP_PRIORITY"
#define ENV_WATCH_S "KEEPVIP_K8S_WATCH_S"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define PAGE_LIMIT 500              /* pods per list page (§2) */
#define REQUEST_TIMEOUT_MS 10000u
#define WATCH_TIMEOUT_S 290u        /* the server ends the watch: we re-watch from the RV */
#define QUICK_END_US 1000000u       /* a watch that ends this soon without events: pause */
#define NODE_RETRY_FIRST_MS 1000u
#define NODE_RETRY_MAX_MS 30000u
#define STATUS_BODY_MAX 4096        /* an error body kept from a stream */
#define URL_LEN 16384

enum pod_step { STEP_IDLE = 0, STEP_OWN_POD, STEP_NODE, STEP_LIST, STEP_WATCH };

/* The API calls the RBAC must grant, for the 403 line (logged once each). */
enum api_call { CALL_GET_POD = 0, CALL_LIST_PODS, CALL_WATCH_PODS, CALL_GET_NODE,
		CALL_WATCH_NODES, CALL_COUNT };

static const struct {
	const char *verb, *resource;
	bool namespaced;
} calls[CALL_COUNT] = {
	[CALL_GET_POD] = { "get", "pods", true },
	[CALL_LIST_PODS] = { "list", "pods", true },
	[CALL_WATCH_PODS] = { "watch", "pods", true },
	[CALL_GET_NODE] = { "get", "nodes", false },
	[CALL_WATCH_NODES] = { "watch", "nodes", false },
};

/* A streamed answer: lines framed, or an error body kept for its Status. */
struct stream {
	struct k8s_line_buffer lines;
	char status_body[STATUS_BODY_MAX + 1];
	size_t status_len;
	int rc;                         /* the reader's error, 0 */
	char err[ADAPTER_ERR_LEN];
	uint64_t started_us;
	unsigned events;
};

struct k8s_state {
	struct adapter_ctx ctx;
	char base_url[SETTINGS_TEXT_LEN];
	char ca_file[SETTINGS_TEXT_LEN];
	char namespace_[K8S_NAMESPACE_LEN];
	char pod_name[K8S_NAME_LEN];
	char node_name[K8S_NAME_LEN];   /* "" = no node: the env's priority */
	char selector_text[K8S_SELECTOR_LEN]; /* given, or our labels less the controller's */
	bool selector_given;
	struct k8s_filter filter;
	struct k8s_token token;
	struct http_client *http;
	uint32_t watch_s;               /* a watch's timeoutSeconds */
	bool auth_retried;              /* one more try after a 401 was made */
	bool forbidden_logged[CALL_COUNT];
	uint64_t not_before_us;         /* Retry-After: no pod request before */

	/* the pod path */
	enum pod_step step;
	enum api_call call;             /* of the request in flight */
	struct http_request *req;
	struct k8s_own_pod own;
	bool has_own;
	struct k8s_pod_set *live;       /* what was reported last; NULL members until a read */
	struct k8s_pod_set *scratch;    /* a list being read */
	bool has_live;
	bool need_relist;
	char continue_token[K8S_CONTINUE_LEN];
	struct stream pods;
	struct loop_timer go;           /* the next step, on the next turn or after Retry-After */

	/* the node path */
	struct http_request *node_req;
	struct stream node;
	char node_rv[K8S_RV_LEN];
	int priority;                   /* 0 = no annotation */
	bool node_read;                 /* the first read asked the node */
	unsigned node_failures;
	struct loop_timer node_timer;

	struct adapter_discovery out;   /* scratch for reports */
	struct adapter_discovery reported;
	bool has_reported;
	adapter_update_fn report;
	void (*fail)(void *arg, const char *err);
	void *arg;
};

static const char *setting(const struct adapter_ctx *ctx, const char *name)
{
	return settings_get(ctx->settings, name);
}

/* How long a watch may last, in s: the server ends it at timeoutSeconds (§3); one that is
 * silent, or goes on, past that plus some slack is stuck (a dead link, a server that ignores
 * timeoutSeconds and streams bookmarks or pieces of a line that never ends). 290 s: 331 s. */
static uint32_t watch_bound_s(const struct k8s_state *s)
{
	return s->watch_s + s->watch_s / 8 + 5;
}

static const char *env(const struct adapter_ctx *ctx, const char *name)
{
	const char *v = ctx->env != NULL ? ctx->env(name, ctx->env_ctx) : NULL;
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* ---- requests --------------------------------------------------------------------------- */

/* A GET of path (and query) on the API: the token (re-read when its file changed), the CA.
 * Streams go to on_chunk. 0 or negative errno with err. */
static int api_get(struct k8s_state *s, const char *path, http_chunk_fn on_chunk, size_t max_body,
		   http_done_fn done, void *arg, struct http_request **out, char *err,
		   size_t err_len)
{
	char url[URL_LEN + SETTINGS_TEXT_LEN], why[HTTP_ERR_LEN];
	const char *headers[2] = { "Accept: application/json", s->token.header };

	if (k8s_token_refresh(&s->token, false, why, sizeof(why)) == 1)
		log_info("adapter", "kubernetes: the token file changed: read again");
	snprintf(url, sizeof(url), "%s%s", s->base_url, path);
	struct http_get_opts o = {
		.url = url, .headers = headers, .n_headers = 2,
		.timeout_ms = on_chunk != NULL ? watch_bound_s(s) * 1000u : REQUEST_TIMEOUT_MS,
		.max_body = max_body, .ca_file = s->ca_file, .on_chunk = on_chunk,
		.idle_timeout_s = on_chunk != NULL ? watch_bound_s(s) : 0,
		.connect_timeout_ms = 5000,
	};
	int rc = http_get(s->http, &o, done, arg, out, why, sizeof(why));
	if (rc < 0)
		adapter_errf(err, err_len, "GET %s: %s", path, why);
	return rc;
}

/* What an answer that is not 200 means, for every call: err says it (never the token).
 *   -EAGAIN  401 the first time: the token was read again, ask once more now;
 *   -ESTALE  410 Gone: relist;  -EPERM 403 (logged once per call);  -EBUSY 429 / 5xx (the
 *   pod path waits for Retry-After);  -EIO anything else. */
static int classify(struct k8s_state *s, enum api_call call, const char *path,
		    const struct http_response *resp, const char *body, size_t body_len,
		    char *err, size_t err_len)
{
	struct k8s_status st = { 0 };
	char why[ADAPTER_ERR_LEN];
	long code = resp->status;

	if (resp->error != NULL) {
		adapter_errf(err, err_len, "GET %s: %s", path, resp->error);
		return -EIO;
	}
	if (body_len > 0 && k8s_parse_status(body, body_len, &st, why, sizeof(why)) < 0)
		st.message[0] = '\0';
	if (code == 401 && !s->auth_retried) {
		s->auth_retried = true;
		int rc = k8s_token_refresh(&s->token, true, why, sizeof(why));
		log_info("adapter", "kubernetes: HTTP 401 for GET %s: token %s, asking again", path,
			 rc == 1 ? "read again (it changed)" : rc == 0 ? "read again (unchanged)"
								 : "could not be read again");
		return -EAGAIN;
	}
	if (code == 401) {
		adapter_errf(err, err_len,
			     "GET %s: HTTP 401 Unauthorized: the API refuses the token of %s",
			     path, s->token.path[0] ? s->token.path : ENV_TOKEN);
		return -EACCES;
	}
	if (code == 403) {
		char where[K8S_NAMESPACE_LEN + 32] = "";
		if (calls[call].namespaced)
			snprintf(where, sizeof(where), " in namespace %s", s->namespace_);
		adapter_errf(err, err_len, "GET %s: HTTP 403 Forbidden: cannot %s %s%s", path,
			     calls[call].verb, calls[call].resource, where);
		if (!s->forbidden_logged[call])
			log_error("adapter", "kubernetes: permission missing: %s %s%s (grant it to the "
				  "pod's ServiceAccount: kubernetes-templates/manifests/rbac-*.yaml)%s%s",
				  calls[call].verb, calls[call].resource, where,
				  st.message[0] ? ": " : "", st.message);
		s->forbidden_logged[call] = true;
		return -EPERM;
	}
	if (code == 410) {
		adapter_errf(err, err_len, "GET %s: HTTP 410 Gone (resourceVersion too old)", path);
		return -ESTALE;
	}
	if (code == 429 || code >= 500) {
		long wait_s = resp->retry_after_s > 0 ? resp->retry_after_s : 0;
		if (wait_s > 0)
			adapter_errf(err, err_len, "GET %s: HTTP %ld (Retry-After %ld s)", path,
				     code, wait_s);
		else
			adapter_errf(err, err_len, "GET %s: HTTP %ld", path, code);
		if (wait_s > 300)
			wait_s = 300;
		s->not_before_us = loop_now_us() + (uint64_t)wait_s * 1000000u;
		return -EBUSY;
	}
	adapter_errf(err, err_len, "GET %s: HTTP %ld%s%s", path, code, st.message[0] ? ": " : "",
		     st.message);
	return -EIO;
}

/* ---- reports ------------------------------------------------------------------------------ */

/* The discovery of the live set and the node's priority; reported when it differs from the
 * last one (else "alive, unchanged"). */
static void report_now(struct k8s_state *s)
{
	struct adapter_discovery *d = &s->out;

	memset(d, 0, sizeof(*d));
	k8s_pod_set_discovery(s->live, s->pod_name, d);
	if (!d->has_self && s->has_own && s->own.addr.family != 0) {
		d->self = s->own.addr; /* our pod is not selected: still who we are */
		d->has_self = true;
	}
	if (s->priority > 0) {
		struct adapter_override *o = &d->overrides[d->n_overrides++];
		snprintf(o->env_name, sizeof(o->env_name), "%s", ENV_PRIORITY);
		snprintf(o->value, sizeof(o->value), "%d", s->priority);
		o->over_env = true; /* the node's own value beats the DaemonSet's env */
	}
	snprintf(d->resume, sizeof(d->resume), "%s", s->live->resource_version);
	bool same = s->has_reported && d->has_self == s->reported.has_self &&
		    (!d->has_self || ip_addr_equal(&d->self, &s->reported.self)) &&
		    d->n_peers == s->reported.n_peers &&
		    d->n_overrides == s->reported.n_overrides &&
		    (d->n_overrides == 0 || strcmp(d->overrides[0].value,
						   s->reported.overrides[0].value) == 0);
	for (size_t i = 0; same && i < d->n_peers; i++)
		same = ip_addr_equal(&d->peers[i], &s->reported.peers[i]);
	if (same) {
		s->report(s->arg, NULL);
		return;
	}
	s->reported = *d;
	s->has_reported = true;
	s->report(s->arg, d); /* last: adapter.c may destroy us from here */
}

static void log_members(const struct k8s_state *s, const char *why)
{
	char text[IP_ADDR_STRLEN], list[1024];
	size_t used = 0;

	list[0] = '\0';
	for (size_t i = 0; i < s->live->n_members && used + K8S_NAME_LEN + 48 < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s %s",
					 i ? ", " : "", s->live->members[i].name,
					 ip_addr_str(&s->live->members[i].addr, text));
	log_info("adapter", "kubernetes: %s: %zu pod(s) in %s matching %s: %s (resourceVersion "
		 "%s)", why, s->live->n_members, s->namespace_,
		 s->selector_text[0] ? s->selector_text : "(all)", list,
		 s->live->resource_version);
}

/* ---- the pod path ------------------------------------------------------------------------ */

static void pods_next(struct k8s_state *s);

static void pods_stop(struct k8s_state *s)
{
	if (s->req != NULL)
		http_cancel(s->http, s->req);
	s->req = NULL;
	if (s->ctx.loop != NULL)
		loop_timer_cancel(s->ctx.loop, &s->go);
	k8s_lines_free(&s->pods.lines);
}

/* The one place the pod path fails: adapter.c logs, keeps the last peers and backs off,
 * then calls watch again (resuming from the last RV, or relisting when need_relist). */
static void pods_fail(struct k8s_state *s, const char *err)
{
	pods_stop(s);
	s->step = STEP_IDLE;
	s->fail(s->arg, err); /* last: the adapter may re-arm or destroy us from here */
}

/* The next step on the next loop turn (never from inside a callback's caller), or when
 * Retry-After allows. */
static void pods_go(struct k8s_state *s, enum pod_step step)
{
	uint64_t now = loop_now_us();
	s->step = step;
	loop_timer_arm(s->ctx.loop, &s->go, s->not_before_us > now ? s->not_before_us : now);
}

static void on_go(struct loop *loop, void *arg)
{
	(void)loop;
	pods_next(arg);
}

/* A whole read again: own pod, then the list (the node is read once, then watched). */
static void pods_relist(struct k8s_state *s)
{
	pods_stop(s);
	s->need_relist = false;
	pods_go(s, STEP_OWN_POD);
}

/* -- own pod -- */

static void on_own_pod(void *arg, const struct http_response *resp)
{
	struct k8s_state *s = arg;
	char err[ADAPTER_ERR_LEN], why[ADAPTER_ERR_LEN], path[K8S_NAME_LEN + 96];

	s->req = NULL;
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", s->namespace_, s->pod_name);
	if (resp->error != NULL || resp->status != 200) {
		int rc = classify(s, CALL_GET_POD, path, resp, resp->body, resp->body_len, err,
				  sizeof(err));
		if (rc == -EAGAIN)
			pods_go(s, STEP_OWN_POD);
		else if (resp->status == 404)
			pods_fail(s, "our own pod (KEEPVIP_POD_NAME, default $HOSTNAME) is not in the "
				     "namespace: set POD_NAME from the downward API");
		else
			pods_fail(s, err);
		return;
	}
	s->auth_retried = false;
	if (k8s_parse_own_pod(resp->body, resp->body_len, s->filter.family, &s->own, why,
			      sizeof(why)) < 0) {
		adapter_errf(err, sizeof(err), "GET %s: %s", path, why);
		pods_fail(s, err);
		return;
	}
	s->has_own = true;
	if (!s->selector_given) {
		char text[K8S_SELECTOR_LEN];
		if (k8s_default_selector(&s->own, text, sizeof(text), why, sizeof(why)) < 0 ||
		    k8s_selector_parse(text, &s->filter.selector, why, sizeof(why)) < 0) {
			adapter_errf(err, sizeof(err),
				     "the default selector (our pod's labels): %s; set %s",
				     why, ENV_SELECTOR);
			pods_fail(s, err);
			return;
		}
		if (strcmp(text, s->selector_text) != 0)
			log_info("adapter", "kubernetes: peers are the pods matching %s (our pod's "
				 "labels less the controller's)", text);
		snprintf(s->selector_text, sizeof(s->selector_text), "%s", text);
	}
	k8s_pod_set_clear(s->scratch);
	s->continue_token[0] = '\0';
	pods_go(s, s->node_name[0] != '\0' && !s->node_read ? STEP_NODE : STEP_LIST);
}

/* -- our node, in the first read: its priority annotation (never holds the peers up) -- */

static void node_path_error(struct k8s_state *s, const char *err);

static void set_priority(struct k8s_state *s, int priority, const char *why)
{
	if (priority == s->priority)
		return;
	if (priority > 0)
		log_info("adapter", "kubernetes: node %s: annotation %s=%d: priority %d (%s)",
			 s->node_name, K8S_PRIORITY_ANNOTATION, priority, priority, why);
	else
		log_info("adapter", "kubernetes: node %s: no annotation %s: the priority of the "
			 "settings (%s)", s->node_name, K8S_PRIORITY_ANNOTATION, why);
	s->priority = priority;
}

static void on_node(void *arg, const struct http_response *resp)
{
	struct k8s_state *s = arg;
	char err[ADAPTER_ERR_LEN], why[ADAPTER_ERR_LEN], path[K8S_NAME_LEN + 32];
	int priority = 0;

	s->req = NULL;
	snprintf(path, sizeof(path), "/api/v1/nodes/%s", s->node_name);
	if (resp->error != NULL || resp->status != 200) {
		int rc = classify(s, CALL_GET_NODE, path, resp, resp->body, resp->body_len, err,
				  sizeof(err));
		if (rc == -EAGAIN) {
			pods_go(s, STEP_NODE);
			return;
		}
		node_path_error(s, err);
	} else if (k8s_parse_node_priority(resp->body, resp->body_len, &priority, why,
					   sizeof(why)) < 0) {
		adapter_errf(err, sizeof(err), "GET %s: %s", path, why);
		node_path_error(s, err);
	} else {
		s->auth_retried = false;
		set_priority(s, priority, "read");
	}
	s->node_read = true;
	pods_go(s, STEP_LIST);
}

/* -- the list, page by page (§2) -- */

static void list_path(const struct k8s_state *s, char *out, size_t len)
{
	char sel[3 * K8S_SELECTOR_LEN], cont[3 * K8S_CONTINUE_LEN];
	int n;

	url_escape(s->selector_text, sel, sizeof(sel));
	n = snprintf(out, len, "/api/v1/namespaces/%s/pods?labelSelector=%s&limit=%d",
		     s->namespace_, sel, PAGE_LIMIT);
	if (s->continue_token[0] != '\0' && n > 0 && (size_t)n < len) {
		url_escape(s->continue_token, cont, sizeof(cont));
		snprintf(out + n, len - (size_t)n, "&continue=%s", cont);
	}
}

static void on_list_page(void *arg, const struct http_response *resp)
{
	struct k8s_state *s = arg;
	char err[ADAPTER_ERR_LEN], why[ADAPTER_ERR_LEN], path[URL_LEN];
	struct k8s_list_page page;

	s->req = NULL;
	list_path(s, path, sizeof(path));
	if (resp->error != NULL || resp->status != 200) {
		int rc = classify(s, CALL_LIST_PODS, path, resp, resp->body, resp->body_len, err,
				  sizeof(err));
		if (rc == -EAGAIN) {
			pods_go(s, STEP_LIST);
		} else if (rc == -ESTALE && s->continue_token[0] != '\0') {
			/* the continue token expired (§2): the list again from its first page */
			log_info("adapter", "kubernetes: the list's continue token expired: listing again");
			k8s_pod_set_clear(s->scratch);
			s->continue_token[0] = '\0';
			pods_go(s, STEP_LIST);
		} else {
			pods_fail(s, err);
		}
		return;
	}
	s->auth_retried = false;
	if (k8s_parse_pod_list(resp->body, resp->body_len, &s->filter, s->scratch, &page, why,
			       sizeof(why)) < 0) {
		adapter_errf(err, sizeof(err), "GET %s: %s", path, why);
		pods_fail(s, err); /* the scratch set is dropped: the live one stays */
		return;
	}
	snprintf(s->continue_token, sizeof(s->continue_token), "%s", page.continue_token);
	if (s->continue_token[0] != '\0') {
		pods_go(s, STEP_LIST);
		return;
	}
	/* the last page: the new set replaces the live one whole */
	struct k8s_pod_set *done = s->scratch;
	s->scratch = s->live;
	s->live = done;
	s->has_live = true;
	log_members(s, "listed");
	/* our Node's watch starts after the first read (which read the node once) */
	if (s->node_name[0] != '\0' && s->node_req == NULL && !loop_timer_armed(&s->node_timer))
		loop_timer_arm(s->ctx.loop, &s->node_timer, loop_now_us());
	pods_go(s, STEP_WATCH); /* armed first: a first fetch stops at the report below */
	report_now(s);
}

/* -- the pod watch (§3) -- */

static void watch_path(const struct k8s_state *s, char *out, size_t len)
{
	char sel[3 * K8S_SELECTOR_LEN], rv[3 * K8S_RV_LEN];

	url_escape(s->selector_text, sel, sizeof(sel));
	url_escape(s->live->resource_version, rv, sizeof(rv));
	snprintf(out, len, "/api/v1/namespaces/%s/pods?labelSelector=%s&watch=1&resourceVersion=%s"
		 "&allowWatchBookmarks=true&timeoutSeconds=%u", s->namespace_, sel, rv,
		 s->watch_s);
}

/* One event line: applied at once, reported when the members changed. */
static int on_pod_line(void *arg, const char *line, size_t len)
{
	struct k8s_state *s = arg;
	struct k8s_pod_event ev;
	char why[ADAPTER_ERR_LEN];
	int rc = k8s_parse_pod_event(line, len, &s->filter, &ev, why, sizeof(why));

	if (rc == 0)
		rc = k8s_pod_set_apply(s->live, &ev, why, sizeof(why));
	if (rc < 0) {
		s->pods.rc = rc;
		adapter_errf(s->pods.err, sizeof(s->pods.err), "pod watch: %s", why);
		return rc;
	}
	s->pods.events++;
	if (ev.type == K8S_EVENT_BOOKMARK)
		return 0;
	log_info("adapter", "kubernetes: pod %s %s (%s)%s", ev.pod.name,
		 ev.type == K8S_EVENT_DELETED ? "deleted" : ev.type == K8S_EVENT_ADDED ? "added"
											: "modified",
		 k8s_verdict_name(ev.pod.verdict), rc == 1 ? ": peers changed" : "");
	if (rc == 1)
		report_now(s);
	return 0;
}

/* Pieces of a stream: framed into lines when the answer is 200, else kept for its Status. */
static int stream_piece(struct stream *st, long status, const char *data, size_t len,
			k8s_line_fn fn, void *arg)
{
	char why[ADAPTER_ERR_LEN];

	if (status != 200) {
		size_t room = STATUS_BODY_MAX - st->status_len;
		size_t n = len < room ? len : room;
		memcpy(st->status_body + st->status_len, data, n);
		st->status_len += n;
		st->status_body[st->status_len] = '\0';
		return 0;
	}
	int rc = k8s_lines_feed(&st->lines, data, len, fn, arg, why, sizeof(why));
	if (rc < 0 && st->rc == 0) {
		st->rc = rc;
		adapter_errf(st->err, sizeof(st->err), "%s", why);
	}
	return rc;
}

static int on_pod_chunk(void *arg, long status, const char *data, size_t len)
{
	struct k8s_state *s = arg;
	return stream_piece(&s->pods, status, data, len, on_pod_line, s);
}

static void on_pod_watch_end(void *arg, const struct http_response *resp)
{
	struct k8s_state *s = arg;
	char err[ADAPTER_ERR_LEN], why[ADAPTER_ERR_LEN], path[URL_LEN];
	int rc;

	s->req = NULL;
	watch_path(s, path, sizeof(path));
	if (s->pods.rc != 0) { /* our reader stopped it: a bad event, or an ERROR event */
		rc = s->pods.rc;
		snprintf(err, sizeof(err), "%s", s->pods.err);
		k8s_lines_free(&s->pods.lines);
		if (rc == -ESTALE) {
			log_info("adapter", "kubernetes: %s: listing again", err);
			pods_relist(s);
			return;
		}
		s->need_relist = true; /* a bad event: the set may have missed it */
		pods_fail(s, err);
		return;
	}
	if (resp->error != NULL || resp->status != 200) {
		rc = classify(s, CALL_WATCH_PODS, path, resp, s->pods.status_body,
			      s->pods.status_len, err, sizeof(err));
		k8s_lines_free(&s->pods.lines);
		if (rc == -EAGAIN)
			pods_go(s, STEP_WATCH);
		else if (rc == -ESTALE) {
			log_info("adapter", "kubernetes: %s: listing again", err);
			pods_relist(s);
		} else
			pods_fail(s, err); /* a broken stream: resumed from the last RV */
		return;
	}
	s->auth_retried = false;
	rc = k8s_lines_finish(&s->pods.lines, why, sizeof(why));
	k8s_lines_free(&s->pods.lines);
	if (rc < 0)
		log_info("adapter", "kubernetes: pod watch ended mid-event (%s): resuming", why);
	/* a clean end (timeoutSeconds): go on from the last RV; one that ends at once, empty,
	 * again and again must not spin */
	if (s->pods.events == 0 && loop_now_us() - s->pods.started_us < QUICK_END_US) {
		uint64_t at = loop_now_us() + QUICK_END_US;
		if (s->not_before_us < at)
			s->not_before_us = at;
	}
	s->report(s->arg, NULL); /* answering: resets adapter.c's backoff */
	pods_go(s, STEP_WATCH);
}

static void stream_reset(struct stream *st)
{
	k8s_lines_free(&st->lines);
	memset(st, 0, sizeof(*st));
	k8s_lines_init(&st->lines, K8S_MAX_EVENT_BYTES);
	st->started_us = loop_now_us();
}

/* Starts the request of the current step. */
static void pods_next(struct k8s_state *s)
{
	char path[URL_LEN], err[ADAPTER_ERR_LEN];
	int rc = 0;

	switch (s->step) {
	case STEP_IDLE:
		return;
	case STEP_OWN_POD:
		snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/%s", s->namespace_,
			 s->pod_name);
		s->call = CALL_GET_POD;
		rc = api_get(s, path, NULL, K8S_MAX_OBJECT_BYTES, on_own_pod, s, &s->req, err,
			     sizeof(err));
		break;
	case STEP_NODE:
		snprintf(path, sizeof(path), "/api/v1/nodes/%s", s->node_name);
		s->call = CALL_GET_NODE;
		rc = api_get(s, path, NULL, K8S_MAX_OBJECT_BYTES, on_node, s, &s->req, err,
			     sizeof(err));
		break;
	case STEP_LIST:
		list_path(s, path, sizeof(path));
		s->call = CALL_LIST_PODS;
		rc = api_get(s, path, NULL, K8S_MAX_LIST_BYTES, on_list_page, s, &s->req, err,
			     sizeof(err));
		break;
	case STEP_WATCH:
		watch_path(s, path, sizeof(path));
		s->call = CALL_WATCH_PODS;
		stream_reset(&s->pods);
		rc = api_get(s, path, on_pod_chunk, 0, on_pod_watch_end, s, &s->req, err,
			     sizeof(err));
		break;
	}
	if (rc < 0)
		pods_fail(s, err);
}

/* ---- the node path: a watch on our Node, retried on its own ----------------------------- */

static void node_watch_start(struct k8s_state *s);

static void node_stop(struct k8s_state *s)
{
	if (s->node_req != NULL)
		http_cancel(s->http, s->node_req);
	s->node_req = NULL;
	if (s->ctx.loop != NULL)
		loop_timer_cancel(s->ctx.loop, &s->node_timer);
	k8s_lines_free(&s->node.lines);
}

/* Logged, the last priority kept, asked again after a backoff (and Retry-After). */
static void node_path_error(struct k8s_state *s, const char *err)
{
	uint64_t ms = NODE_RETRY_FIRST_MS;

	s->node_failures++;
	for (unsigned i = 1; i < s->node_failures && ms < NODE_RETRY_MAX_MS; i++)
		ms *= 2;
	if (ms > NODE_RETRY_MAX_MS)
		ms = NODE_RETRY_MAX_MS;
	log_warn("adapter", "kubernetes: node %s: %s; keeping %s, retrying in %llu ms",
		 s->node_name, err, s->priority > 0 ? "its last priority" : "the settings' priority",
		 (unsigned long long)ms);
	if (s->ctx.loop != NULL)
		loop_timer_arm(s->ctx.loop, &s->node_timer, loop_now_us() + ms * 1000u);
}

static int on_node_line(void *arg, const char *line, size_t len)
{
	struct k8s_state *s = arg;
	struct k8s_node_event ev;
	char why[ADAPTER_ERR_LEN];

	if (k8s_parse_node_event(line, len, &ev, why, sizeof(why)) < 0) {
		/* e.g. an annotation that is not 1..254: said, the last priority kept */
		log_warn("adapter", "kubernetes: node %s: %s; keeping the priority in use",
			 s->node_name, why);
		return 0;
	}
	if (ev.type == K8S_EVENT_ERROR) {
		s->node.rc = ev.status.code == 410 ? -ESTALE : -EPROTO;
		adapter_errf(s->node.err, sizeof(s->node.err), "node watch: ERROR %d %s",
			     ev.status.code,
			     ev.status.message);
		return s->node.rc;
	}
	if (ev.resource_version[0] != '\0')
		snprintf(s->node_rv, sizeof(s->node_rv), "%s", ev.resource_version);
	s->node.events++;
	if (ev.type == K8S_EVENT_BOOKMARK)
		return 0;
	int before = s->priority;
	set_priority(s, ev.type == K8S_EVENT_DELETED ? 0 : ev.priority, "watched");
	if (before != s->priority && s->has_live)
		report_now(s);
	return 0;
}

static int on_node_chunk(void *arg, long status, const char *data, size_t len)
{
	struct k8s_state *s = arg;
	return stream_piece(&s->node, status, data, len, on_node_line, s);
}

static void on_node_watch_end(void *arg, const struct http_response *resp)
{
	struct k8s_state *s = arg;
	char err[ADAPTER_ERR_LEN];
	uint64_t delay_us = 0;

	s->node_req = NULL;
	if (s->node.rc != 0) {
		snprintf(err, sizeof(err), "%s", s->node.err);
		if (s->node.rc == -ESTALE)
			s->node_rv[0] = '\0'; /* watch anew: the first event is the node as it is */
		else {
			node_path_error(s, err);
			k8s_lines_free(&s->node.lines);
			return;
		}
	} else if (resp->error != NULL || resp->status != 200) {
		int rc = classify(s, CALL_WATCH_NODES, "/api/v1/nodes (watch)", resp,
				  s->node.status_body, s->node.status_len, err, sizeof(err));
		if (rc == -ESTALE)
			s->node_rv[0] = '\0';
		else if (rc != -EAGAIN) {
			k8s_lines_free(&s->node.lines);
			node_path_error(s, err);
			return;
		}
	} else {
		s->node_failures = 0;
		if (s->node.events == 0 && loop_now_us() - s->node.started_us < QUICK_END_US)
			delay_us = QUICK_END_US;
	}
	k8s_lines_free(&s->node.lines);
	loop_timer_arm(s->ctx.loop, &s->node_timer, loop_now_us() + delay_us);
}

static void on_node_timer(struct loop *loop, void *arg)
{
	(void)loop;
	node_watch_start(arg);
}

static void node_watch_start(struct k8s_state *s)
{
	char path[URL_LEN], name[3 * K8S_NAME_LEN], rv[3 * K8S_RV_LEN], err[ADAPTER_ERR_LEN];
	int n;

	url_escape(s->node_name, name, sizeof(name));
	n = snprintf(path, sizeof(path), "/api/v1/nodes?fieldSelector=metadata.name%%3D%s&watch=1"
		     "&allowWatchBookmarks=true&timeoutSeconds=%u", name, s->watch_s);
	if (s->node_rv[0] != '\0' && n > 0 && (size_t)n < sizeof(path)) {
		url_escape(s->node_rv, rv, sizeof(rv));
		snprintf(path + n, sizeof(path) - (size_t)n, "&resourceVersion=%s", rv);
	}
	stream_reset(&s->node);
	if (api_get(s, path, on_node_chunk, 0, on_node_watch_end, s, &s->node_req, err,
		    sizeof(err)) < 0)
		node_path_error(s, err);
}

/* ---- the ops ------------------------------------------------------------------------------ */

static int k8s_watch(void *state, adapter_update_fn report, void (*fail)(void *arg, const char *err),
		     void *arg)
{
	struct k8s_state *s = state;

	if (s->ctx.loop == NULL)
		return -EINVAL;
	s->report = report;
	s->fail = fail;
	s->arg = arg;
	pods_stop(s);
	if (s->http == NULL) {
		int rc = http_client_new(s->ctx.loop, &s->http);
		if (rc < 0)
			return rc;
	}
	if (!s->has_live || s->need_relist)
		pods_relist(s);
	else
		pods_go(s, STEP_WATCH); /* a broken watch goes on from the last RV */
	return 0;
}

static int k8s_detect(const struct adapter_ctx *ctx)
{
	return env(ctx, "KUBERNETES_SERVICE_HOST") != NULL ? 1 : 0;
}

/* A file's first line, for the namespace. 0 or negative errno. */
static int read_small_file(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return -errno;
	size_t n = fread(out, 1, len - 1, f);
	fclose(f);
	out[n] = '\0';
	return 0;
}

/* The namespace: given, or the service account's file beside the token (reference §1). */
static int resolve_namespace(struct k8s_state *s, const char *token_file, char *err,
			     size_t err_len)
{
	const char *given = setting(&s->ctx, ENV_NAMESPACE);
	char path[SETTINGS_TEXT_LEN + 16], text[256], why[ADAPTER_ERR_LEN];

	if (given != NULL)
		return k8s_parse_namespace(given, strlen(given), s->namespace_, err, err_len);
	const char *slash = strrchr(token_file, '/');
	if (slash != NULL)
		snprintf(path, sizeof(path), "%.*s/namespace", (int)(slash - token_file), token_file);
	else
		snprintf(path, sizeof(path), "%s/namespace", SA_DIR);
	int rc = read_small_file(path, text, sizeof(text));
	if (rc < 0) {
		adapter_errf(err, err_len, "namespace file %s: %s (set %s)", path, strerror(-rc),
			     ENV_NAMESPACE);
		return rc;
	}
	rc = k8s_parse_namespace(text, strlen(text), s->namespace_, why, sizeof(why));
	if (rc < 0)
		adapter_errf(err, err_len, "namespace file %s: %s", path, why);
	return rc;
}

static int resolve_api(struct k8s_state *s, char *err, size_t err_len)
{
	const char *api = setting(&s->ctx, ENV_API);
	const char *host = env(&s->ctx, "KUBERNETES_SERVICE_HOST");

	if (api != NULL) {
		snprintf(s->base_url, sizeof(s->base_url), "%s", api);
	} else if (host == NULL) {
		adapter_errf(err, err_len,
			     "KUBERNETES_SERVICE_HOST is not set and %s is not given (not "
			     "in a pod?)", ENV_API);
		return -ENOENT;
	} else {
		char why[ADAPTER_ERR_LEN];
		int rc = k8s_api_url(host, env(&s->ctx, "KUBERNETES_SERVICE_PORT"), s->base_url,
				     sizeof(s->base_url), why, sizeof(why));
		if (rc < 0) {
			adapter_errf(err, err_len, "KUBERNETES_SERVICE_HOST/_PORT: %s", why);
			return rc;
		}
	}
	for (size_t n = strlen(s->base_url); n > 0 && s->base_url[n - 1] == '/'; n--)
		s->base_url[n - 1] = '\0';
	return 0;
}

static int resolve_who(struct k8s_state *s, char *err, size_t err_len)
{
	const char *pod = setting(&s->ctx, ENV_POD_NAME);
	const char *node = setting(&s->ctx, ENV_NODE_NAME);
	const char *selector = setting(&s->ctx, ENV_SELECTOR);

	if (pod == NULL)
		pod = env(&s->ctx, "HOSTNAME");
	if (pod == NULL) {
		adapter_errf(err, err_len, "who are we: set POD_NAME (downward API metadata.name)");
		return -ENOENT;
	}
	snprintf(s->pod_name, sizeof(s->pod_name), "%s", pod);
	snprintf(s->node_name, sizeof(s->node_name), "%s", node != NULL ? node : "");
	if (selector != NULL) {
		s->selector_given = true;
		snprintf(s->selector_text, sizeof(s->selector_text), "%s", selector);
		return k8s_selector_parse(selector, &s->filter.selector, err, err_len);
	}
	return 0;
}

static void k8s_destroy(void *state)
{
	struct k8s_state *s = state;
	if (s == NULL)
		return;
	pods_stop(s);
	node_stop(s);
	http_client_free(s->http);
	k8s_lines_free(&s->pods.lines);
	k8s_lines_free(&s->node.lines);
	k8s_token_clear(&s->token);
	free(s->live);
	free(s->scratch);
	free(s);
}

static int k8s_create(const struct adapter_ctx *ctx, void **state, char *err, size_t err_len)
{
	const char *token_file = setting(ctx, ENV_TOKEN_FILE);
	const char *ca = setting(ctx, ENV_CA_FILE);
	struct k8s_state *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL || (s->live = calloc(1, sizeof(*s->live))) == NULL ||
	    (s->scratch = calloc(1, sizeof(*s->scratch))) == NULL) {
		k8s_destroy(s);
		snprintf(err, err_len, "kubernetes adapter: out of memory");
		return -ENOMEM;
	}
	s->ctx = *ctx;
	s->ctx.resume = NULL; /* a relist at start: the members' names are not in a resume */
	s->filter.family = ctx->settings != NULL && ctx->settings->n_instances > 0
				   ? ctx->settings->instances[0].family : AF_INET;
	if (token_file == NULL)
		token_file = SA_DIR "/token";
	snprintf(s->ca_file, sizeof(s->ca_file), "%s", ca != NULL ? ca : SA_DIR "/ca.crt");
	s->watch_s = settings_get_uint(ctx->settings, ENV_WATCH_S, WATCH_TIMEOUT_S);
	loop_timer_init(&s->go, on_go, s);
	loop_timer_init(&s->node_timer, on_node_timer, s);
	k8s_lines_init(&s->pods.lines, K8S_MAX_EVENT_BYTES);
	k8s_lines_init(&s->node.lines, K8S_MAX_EVENT_BYTES);
	rc = resolve_api(s, err, err_len);
	if (rc == 0)
		rc = resolve_who(s, err, err_len);
	if (rc == 0)
		rc = resolve_namespace(s, token_file, err, err_len);
	if (rc == 0 && access(s->ca_file, R_OK) < 0) {
		rc = -errno;
		adapter_errf(err, err_len, "CA file %s: %s (set %s)", s->ca_file, strerror(-rc),
			     ENV_CA_FILE);
	}
	if (rc == 0)
		rc = k8s_token_init(&s->token, token_file, setting(ctx, ENV_TOKEN), err, err_len);
	if (rc < 0) {
		k8s_destroy(s);
		return rc;
	}
	*state = s;
	return 0;
}

/* ---- settings ------------------------------------------------------------------------------ */

static const struct setting_key_info k8s_keys[] = {
	{ .env = ENV_API, .yaml = "k8s_api", .scope = SCOPE_GLOBAL, .kind = SETTING_URL,
	  .help = "the API server, https only; default "
		  "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT" },
	{ .env = ENV_TOKEN_FILE, .yaml = "k8s_token_file", .scope = SCOPE_GLOBAL,
	  .kind = SETTING_PATH,
	  .help = "the service account's bearer token, read again when it changes and after a "
		  "401; default /var/run/secrets/kubernetes.io/serviceaccount/token" },
	/* a token given directly (outside a pod): a secret, masked wherever settings print */
	{ .env = ENV_TOKEN, .yaml = "k8s_token", .scope = SCOPE_GLOBAL, .kind = SETTING_TEXT,
	  .secret = true, .max = K8S_TOKEN_MAX,
	  .help = "a bearer token given directly instead of the file (a secret, masked)" },
	{ .env = ENV_CA_FILE, .yaml = "k8s_ca_file", .scope = SCOPE_GLOBAL, .kind = SETTING_PATH,
	  .help = "the CA that verifies the API server (never skipped); default the service "
		  "account's ca.crt" },
	{ .env = ENV_NAMESPACE, .yaml = "k8s_namespace", .scope = SCOPE_GLOBAL,
	  .kind = SETTING_TEXT, .max = K8S_NAMESPACE_LEN - 1,
	  .help = "the namespace of the peer pods; default the service account's" },
	{ .env = ENV_SELECTOR, .yaml = "k8s_selector", .scope = SCOPE_GLOBAL,
	  .kind = SETTING_TEXT, .max = K8S_SELECTOR_LEN - 1,
	  .help = "label selector of the peer pods; default our pod's labels less the "
		  "controller's" },
	{ .env = ENV_POD_NAME, .alias = "POD_NAME", .yaml = "pod_name", .scope = SCOPE_GLOBAL,
	  .kind = SETTING_TEXT, .max = K8S_NAME_LEN - 1,
	  .help = "our own pod (downward API); default $HOSTNAME" },
	{ .env = ENV_NODE_NAME, .alias = "NODE_NAME", .yaml = "node_name", .scope = SCOPE_GLOBAL,
	  .kind = SETTING_TEXT, .max = K8S_NAME_LEN - 1,
	  .help = "our node (downward API), whose keepvip.io/priority annotation overrides the "
		  "priority; default none" },
	/* a watch that lasts past this plus 1/8 + 5 s is stuck: dropped, resumed from its RV */
	{ .env = ENV_WATCH_S, .yaml = "k8s_watch_s", .scope = SCOPE_GLOBAL, .kind = SETTING_UINT,
	  .min = 1, .max = 3600,
	  .help = "a watch's timeoutSeconds, s; one that runs 1/8 + 5 s past it is dropped; "
		  "default 290" },
};

/* The API only over TLS; the selector and the namespace as the API server takes them. */
static int k8s_validate(const struct settings_rules *r)
{
	const char *api = settings_rules_get(r, ENV_API);
	const char *selector = settings_rules_get(r, ENV_SELECTOR);
	const char *ns = settings_rules_get(r, ENV_NAMESPACE);
	char why[ADAPTER_ERR_LEN], out[K8S_NAMESPACE_LEN];
	struct k8s_selector *sel;
	int rc = 0;

	if (api != NULL && strncmp(api, "https://", 8) != 0)
		return settings_rules_fail(r, ENV_API, "\"%s\" is not an https:// URL (the API "
					   "is reached over verified TLS only)", api);
	if (ns != NULL && k8s_parse_namespace(ns, strlen(ns), out, why, sizeof(why)) < 0)
		return settings_rules_fail(r, ENV_NAMESPACE, "%s", why);
	if (selector == NULL)
		return 0;
	sel = calloc(1, sizeof(*sel));
	if (sel == NULL)
		return settings_rules_fail(r, ENV_SELECTOR, "out of memory");
	if (k8s_selector_parse(selector, sel, why, sizeof(why)) < 0)
		rc = settings_rules_fail(r, ENV_SELECTOR, "%s", why);
	free(sel);
	return rc;
}

static const struct settings_table k8s_settings = {
	.keys = k8s_keys,
	.n_keys = sizeof(k8s_keys) / sizeof(k8s_keys[0]),
	.validate = k8s_validate,
};

const struct adapter_ops adapter_kubernetes_ops = {
	.name = "kubernetes",
	.settings = &k8s_settings,
	.detect = k8s_detect,
	.create = k8s_create,
	.watch = k8s_watch,
	.destroy = k8s_destroy,
};
