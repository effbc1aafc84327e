/* rancher.c — the Rancher 1.x (Cattle) adapter: peers and settings from the metadata service
 * (../shared/reference/rancher-metadata.md), watched by long-polling /version.
 *
 * keepvip runs with host networking, so /self/service is 404 (§5): the service is named by
 * KEEPVIP_RANCHER_STACK and KEEPVIP_RANCHER_SERVICE (the catalog template sets them), else
 * found through /self/service (managed network) or our own container's labels in
 * /containers (found by its Docker id). One read is a chain of GETs, the same for the first
 * read of the watch and for every change it sees (adapter.c drives that first read on a
 * private loop for the first fetch: this file has no blocking path):
 *
 *   [/version] -> /self/host -> [/self/service -> [/containers]] -> /stacks/S/services/V
 *                                                     (2015-07-25: -> /services -> /containers)
 *
 * Answers become a discovery in rancher_parse.c; a bad answer fails the whole read, so the
 * running peers stay as they were (adapter.c keeps them and backs off). */
#include "rancher.h"
#include "rancher_parse.h"

#include "http.h"
#include "log.h"
#include "loop.h"
#include "url_escape.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_METADATA_URL "http://rancher-metadata/2015-12-19"
#define DETECT_TIMEOUT_MS 300u
_Static_assert(DETECT_TIMEOUT_MS <= ADAPTER_DETECT_MS, "detect() stays within its bound");
#define REQUEST_TIMEOUT_MS 5000u
#define MAX_ANSWER_BYTES ((size_t)4 << 20)  /* /containers of a large environment */
#define MAX_WAIT_S_DEFAULT 60u               /* §6: the server's default, capped at 120 */
#define MAX_WAIT_S_CAP 120u
#define MAX_WAIT_SLACK_MS 10000u             /* §6: the reply may come ~5 s after maxWait */
#define OLD_SERVER_PAUSE_MS 5000u            /* §6: before v0.6.2, wait=true is ignored */
#define DOCKER_ID_LEN 64

/* Our settings (DESIGN.md, adapter endpoints), read from the loaded settings. */
#define ENV_METADATA_URL "KEEPVIP_RANCHER_METADATA_URL"
#define ENV_STACK "KEEPVIP_RANCHER_STACK"
#define ENV_SERVICE "KEEPVIP_RANCHER_SERVICE"
#define ENV_MAX_WAIT_S "KEEPVIP_RANCHER_MAX_WAIT_S"

/* ---- the read chain --------------------------------------------------------------------- */

enum read_step {
	STEP_VERSION = 0,    /* /version: the token the watch long-polls on */
	STEP_SELF_HOST,      /* /self/host: our agent_ip */
	STEP_SELF_SERVICE,   /* /self/service: our stack and service (not in host mode) */
	STEP_FIND_SELF,      /* /containers: our container by Docker id, its service label */
	STEP_SERVICE,        /* /stacks/S/services/V: peers and metadata (2015-12-19+) */
	STEP_SERVICE_LIST,   /* /services: metadata (2015-07-25) */
	STEP_CONTAINERS,     /* /containers: peers (2015-07-25) */
	STEP_DONE,
};

struct rancher_state;

struct reader {
	struct rancher_state *s;
	struct http_client *http;
	struct http_request *inflight;
	enum read_step step;
	char path[3 * SETTINGS_TEXT_LEN];       /* of the step in flight, for messages */
	char version[RANCHER_VERSION_LEN];
	struct adapter_discovery *d;            /* scratch, reported only when the read ends well */
	char note[256];
	char err[ADAPTER_ERR_LEN];
	int rc;
	bool finished;
	void (*done)(struct reader *r);
};

struct rancher_state {
	struct adapter_ctx ctx;
	char base_url[SETTINGS_TEXT_LEN];       /* without a trailing '/' */
	char stack[RANCHER_NAME_LEN];           /* "" until known */
	char service[RANCHER_NAME_LEN];
	char docker_id[DOCKER_ID_LEN + 1];      /* "" when not found in /proc */
	char version[RANCHER_VERSION_LEN];      /* of the last good read; "" = none yet */
	unsigned max_wait_s;

	/* the watch (on ctx.loop) */
	struct http_client *http;
	struct http_request *poll;
	uint64_t poll_started_us;
	struct loop_timer pause;
	bool old_server_logged;
	struct reader read;
	struct adapter_discovery scratch;
	adapter_update_fn report;
	void (*fail)(void *arg, const char *err);
	void *arg;
};

/* One of our settings, NULL when not given (validated by settings_load: rancher_settings). */
static const char *setting(const struct adapter_ctx *ctx, const char *name)
{
	return settings_get(ctx->settings, name);
}

static void step_path(const struct reader *r, char *buf, size_t len)
{
	const struct rancher_state *s = r->s;
	char st[3 * RANCHER_NAME_LEN], sv[3 * RANCHER_NAME_LEN];
	static const char *const fixed[] = {
		[STEP_VERSION] = "/version",         [STEP_SELF_HOST] = "/self/host",
		[STEP_SELF_SERVICE] = "/self/service", [STEP_FIND_SELF] = "/containers",
		[STEP_SERVICE_LIST] = "/services",     [STEP_CONTAINERS] = "/containers",
	};
	if (r->step != STEP_SERVICE) {
		snprintf(buf, len, "%s", fixed[r->step]);
		return;
	}
	url_escape(s->stack, st, sizeof(st));
	url_escape(s->service, sv, sizeof(sv));
	snprintf(buf, len, "/stacks/%s/services/%s", st, sv);
}

/* What the answer to each step means; returns the next step, or a negative errno with
 * r->err set. Called for 200, and for 404 where a step expects it (resp->status says). */
typedef int (*step_consume_fn)(struct reader *r, const struct http_response *resp);

static int service_step(const struct rancher_state *s)
{
	return s->stack[0] != '\0' ? STEP_SERVICE : STEP_SELF_SERVICE;
}

static int consume_version(struct reader *r, const struct http_response *resp)
{
	int rc = rancher_parse_version(resp->body, resp->body_len, r->version,
				       sizeof(r->version), r->err, sizeof(r->err));
	return rc < 0 ? rc : STEP_SELF_HOST;
}

static int consume_self_host(struct reader *r, const struct http_response *resp)
{
	int rc = rancher_parse_self_host(resp->body, resp->body_len, &r->d->self, r->err,
					 sizeof(r->err));
	if (rc < 0)
		return rc;
	r->d->has_self = true;
	return service_step(r->s);
}

static int consume_self_service(struct reader *r, const struct http_response *resp)
{
	struct rancher_state *s = r->s;
	if (resp->status == 200) {
		int rc = rancher_parse_service_names(resp->body, resp->body_len, s->stack,
						     s->service, r->err, sizeof(r->err));
		return rc < 0 ? rc : STEP_SERVICE;
	}
	if (s->docker_id[0] != '\0')
		return STEP_FIND_SELF; /* host network (§5): find our container by its id */
	snprintf(r->err, sizeof(r->err), "/self/service is 404 (host network) and our container "
		 "id is not in /proc/self: set KEEPVIP_RANCHER_STACK and KEEPVIP_RANCHER_SERVICE");
	return -ENOENT;
}

static int consume_find_self(struct reader *r, const struct http_response *resp)
{
	struct rancher_state *s = r->s;
	int rc = rancher_find_own_service(resp->body, resp->body_len, s->docker_id, s->stack,
					  s->service, r->err, sizeof(r->err));
	if (rc == 0)
		log_info("adapter", "rancher: our service is %s/%s (from our container's labels)",
			 s->stack, s->service);
	return rc < 0 ? rc : STEP_SERVICE;
}

static int consume_service(struct reader *r, const struct http_response *resp)
{
	if (resp->status == 404)
		return STEP_SERVICE_LIST; /* 2015-07-25, or a wrong name: /services tells */
	int rc = rancher_parse_service(resp->body, resp->body_len, r->d, r->note,
				       sizeof(r->note), r->err, sizeof(r->err));
	if (rc == -ENOMSG)
		return STEP_SERVICE_LIST;
	return rc < 0 ? rc : STEP_DONE;
}

static int consume_service_list(struct reader *r, const struct http_response *resp)
{
	int rc = rancher_parse_service_in_list(resp->body, resp->body_len, r->s->stack,
					       r->s->service, r->d, r->note, sizeof(r->note),
					       r->err, sizeof(r->err));
	if (rc == -ENOENT) /* §9: a wrong name, or its case under 2016-07-29 */
		snprintf(r->err + strlen(r->err), sizeof(r->err) - strlen(r->err),
			 " (check KEEPVIP_RANCHER_STACK and KEEPVIP_RANCHER_SERVICE)");
	return rc < 0 ? rc : STEP_CONTAINERS;
}

static int consume_containers(struct reader *r, const struct http_response *resp)
{
	int rc = rancher_parse_containers_of(resp->body, resp->body_len, r->s->stack,
					     r->s->service, r->d, r->err, sizeof(r->err));
	return rc < 0 ? rc : STEP_DONE;
}

static const struct {
	step_consume_fn consume;
	bool accepts_404;
} steps[] = {
	[STEP_VERSION] = { consume_version, false },
	[STEP_SELF_HOST] = { consume_self_host, false },
	[STEP_SELF_SERVICE] = { consume_self_service, true },
	[STEP_FIND_SELF] = { consume_find_self, false },
	[STEP_SERVICE] = { consume_service, true },
	[STEP_SERVICE_LIST] = { consume_service_list, false },
	[STEP_CONTAINERS] = { consume_containers, false },
};

_Static_assert(sizeof(steps) / sizeof(steps[0]) == STEP_DONE, "every step has its answer");

static void reader_next(struct reader *r);

/* The one completion point of a read. */
static void reader_finish(struct reader *r, int rc)
{
	r->rc = rc;
	r->finished = true;
	r->inflight = NULL;
	r->done(r);
}

/* "HTTP 404" plus the server's message, which says "Invalid version" for an unknown one. */
static void describe_status(struct reader *r, const struct http_response *resp)
{
	const char *msg = strstr(resp->body, "Invalid version") != NULL
				  ? ": the server does not know this metadata version (see GET / "
				    "for the versions it knows)"
				  : "";
	adapter_errf(r->err, sizeof(r->err), "GET %s%s: HTTP %ld%s", r->s->base_url, r->path,
		     resp->status,
		     msg);
}

static void on_step_answer(void *arg, const struct http_response *resp)
{
	struct reader *r = arg;
	char why[ADAPTER_ERR_LEN];
	int next;

	r->inflight = NULL;
	if (resp->error != NULL) {
		adapter_errf(r->err, sizeof(r->err), "GET %s%s: %s", r->s->base_url, r->path,
			     resp->error);
		reader_finish(r, -EIO);
		return;
	}
	if (resp->status != 200 && !(resp->status == 404 && steps[r->step].accepts_404)) {
		describe_status(r, resp);
		reader_finish(r, resp->status == 404 ? -ENOENT : -EIO);
		return;
	}
	next = steps[r->step].consume(r, resp);
	if (next < 0) {
		snprintf(why, sizeof(why), "%s", r->err);
		adapter_errf(r->err, sizeof(r->err), "GET %s%s: %s", r->s->base_url, r->path, why);
		reader_finish(r, next);
		return;
	}
	r->step = (enum read_step)next;
	if (r->step == STEP_DONE)
		reader_finish(r, 0);
	else
		reader_next(r);
}

static int metadata_get(struct http_client *http, const char *url, uint32_t timeout_ms,
			http_done_fn done, void *arg, struct http_request **out, char *err,
			size_t err_len)
{
	static const char *const headers[] = { "Accept: application/json" }; /* §2 */
	struct http_get_opts o = {
		.url = url, .headers = headers, .n_headers = 1, .timeout_ms = timeout_ms,
		.max_body = MAX_ANSWER_BYTES,
	};
	return http_get(http, &o, done, arg, out, err, err_len);
}

static void reader_next(struct reader *r)
{
	char url[4 * SETTINGS_TEXT_LEN], why[HTTP_ERR_LEN];

	step_path(r, r->path, sizeof(r->path));
	snprintf(url, sizeof(url), "%s%s", r->s->base_url, r->path);
	int rc = metadata_get(r->http, url, REQUEST_TIMEOUT_MS, on_step_answer, r, &r->inflight,
			      why, sizeof(why));
	if (rc < 0) {
		adapter_errf(r->err, sizeof(r->err), "GET %s%s: %s", r->s->base_url, r->path, why);
		reader_finish(r, rc);
	}
}

/* Starts a read at step first; version is the one the watch saw ("" for a first read,
 * which reads it). done is called once, from a loop callback or from here. */
static void reader_start(struct reader *r, struct rancher_state *s, struct http_client *http,
			 struct adapter_discovery *d, enum read_step first, const char *version,
			 void (*done)(struct reader *r))
{
	memset(r, 0, sizeof(*r));
	memset(d, 0, sizeof(*d));
	snprintf(r->version, sizeof(r->version), "%s", version);
	r->s = s;
	r->http = http;
	r->d = d;
	r->step = first;
	r->done = done;
	reader_next(r);
}

static void log_note(const struct reader *r)
{
	if (r->note[0] != '\0')
		log_warn("adapter", "rancher: %s/%s: %s", r->s->stack, r->s->service, r->note);
}

/* ---- the watch: long poll on /version (§6) ---------------------------------------------- */

static void poll_start(struct rancher_state *s);

/* Everything the watch has in flight stops; the adapter then owns the next step. */
static void watch_stop(struct rancher_state *s)
{
	if (s->poll != NULL)
		http_cancel(s->http, s->poll);
	s->poll = NULL;
	if (s->read.inflight != NULL)
		http_cancel(s->http, s->read.inflight);
	s->read.inflight = NULL;
	if (s->ctx.loop != NULL)
		loop_timer_cancel(s->ctx.loop, &s->pause);
}

static void watch_fail(struct rancher_state *s, const char *err)
{
	watch_stop(s);
	s->fail(s->arg, err); /* last: the adapter may re-arm or close us from here */
}

static void on_watch_read_done(struct reader *r)
{
	struct rancher_state *s = r->s;
	char peers[ADAPTER_MAX_PEERS * 4], text[IP_ADDR_STRLEN];
	size_t used = 0;

	if (r->rc < 0) {
		watch_fail(s, r->err);
		return;
	}
	peers[0] = '\0';
	for (size_t i = 0; i < r->d->n_peers && used + IP_ADDR_STRLEN + 2 < sizeof(peers); i++)
		used += (size_t)snprintf(peers + used, sizeof(peers) - used, "%s%s", i ? ", " : "",
					 ip_addr_str(&r->d->peers[i], text));
	log_info("adapter", "rancher: %s/%s: %zu peer(s) (%s) at metadata version %s", s->stack,
		 s->service, r->d->n_peers, peers, r->version);
	log_note(r);
	snprintf(s->version, sizeof(s->version), "%s", r->version);
	snprintf(r->d->resume, sizeof(r->d->resume), "%s", r->version);
	/* the next long poll on the next turn: a first fetch stops its loop at this report and
	 * must leave no request behind (adapter.h) */
	loop_timer_arm(s->ctx.loop, &s->pause, loop_now_us());
	s->report(s->arg, r->d); /* last: see watch_fail */
}

static void on_pause_over(struct loop *loop, void *arg)
{
	(void)loop;
	poll_start(arg);
}

static void on_poll_answer(void *arg, const struct http_response *resp)
{
	struct rancher_state *s = arg;
	char version[RANCHER_VERSION_LEN], why[ADAPTER_ERR_LEN], err[ADAPTER_ERR_LEN];
	uint64_t took_ms = (loop_now_us() - s->poll_started_us) / 1000u;

	s->poll = NULL;
	if (resp->error != NULL || resp->status != 200) {
		if (resp->error != NULL)
			snprintf(why, sizeof(why), "%s", resp->error);
		else
			snprintf(why, sizeof(why), "HTTP %ld", resp->status);
		adapter_errf(err, sizeof(err), "GET %s/version (long poll): %s", s->base_url, why);
		watch_fail(s, err);
		return;
	}
	if (rancher_parse_version(resp->body, resp->body_len, version, sizeof(version), why,
				  sizeof(why)) < 0) {
		adapter_errf(err, sizeof(err), "GET %s/version (long poll): %s", s->base_url, why);
		watch_fail(s, err);
		return;
	}
	if (strcmp(version, s->version) != 0) {
		reader_start(&s->read, s, s->http, &s->scratch, STEP_SELF_HOST, version,
			     on_watch_read_done);
		return;
	}
	s->report(s->arg, NULL); /* answering, nothing changed: resets the backoff */
	if (took_ms * 2 >= (uint64_t)s->max_wait_s * 1000u) {
		poll_start(s); /* maxWait elapsed without a change */
		return;
	}
	/* Same value long before maxWait: a server that ignores wait=true. Do not spin. */
	if (!s->old_server_logged)
		log_info("adapter", "rancher: the metadata service ignores wait=true (older than "
			 "v0.6.2): polling /version every %u ms", OLD_SERVER_PAUSE_MS);
	s->old_server_logged = true;
	loop_timer_arm(s->ctx.loop, &s->pause, loop_now_us() + OLD_SERVER_PAUSE_MS * 1000u);
}

static void poll_start(struct rancher_state *s)
{
	char url[4 * SETTINGS_TEXT_LEN], value[3 * RANCHER_VERSION_LEN], why[HTTP_ERR_LEN];
	char err[ADAPTER_ERR_LEN];

	url_escape(s->version, value, sizeof(value)); /* raw, unquoted (§6) */
	snprintf(url, sizeof(url), "%s/version?wait=true&value=%s&maxWait=%u", s->base_url,
		 value, s->max_wait_s);
	s->poll_started_us = loop_now_us();
	int rc = metadata_get(s->http, url, s->max_wait_s * 1000u + MAX_WAIT_SLACK_MS,
			      on_poll_answer, s, &s->poll, why, sizeof(why));
	if (rc < 0) {
		adapter_errf(err, sizeof(err), "GET %s/version (long poll): %s", s->base_url, why);
		watch_fail(s, err);
	}
}

static int rancher_watch(void *state, adapter_update_fn report,
			 void (*fail)(void *arg, const char *err), void *arg)
{
	struct rancher_state *s = state;

	if (s->ctx.loop == NULL)
		return -EINVAL;
	s->report = report;
	s->fail = fail;
	s->arg = arg;
	watch_stop(s); /* a second call restarts cleanly */
	if (s->http == NULL) {
		int rc = http_client_new(s->ctx.loop, &s->http);
		if (rc < 0)
			return rc;
	}
	if (s->version[0] == '\0') /* no good read yet: a whole one first */
		reader_start(&s->read, s, s->http, &s->scratch, STEP_VERSION, "",
			     on_watch_read_done);
	else
		poll_start(s);
	return 0;
}

/* ---- detection, creation --------------------------------------------------------------- */

/* Our Docker container id: a 64-hex word after "docker/", "docker-" or "/containers/" in
 * /proc/self/cgroup (cgroup v1) or /proc/self/mountinfo (cgroup v2: the hostname mount). */
static bool find_docker_id(const char *path, char out[DOCKER_ID_LEN + 1])
{
	static const char *const marks[] = { "docker/", "docker-", "/containers/" };
	char line[4096];
	bool found = false;
	FILE *f = fopen(path, "re");

	while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL) {
		for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]) && !found; m++) {
			const char *p = strstr(line, marks[m]);
			if (p == NULL)
				continue;
			p += strlen(marks[m]);
			size_t n = 0;
			while (n < DOCKER_ID_LEN && isxdigit((unsigned char)p[n]))
				n++;
			if (n == DOCKER_ID_LEN && !isxdigit((unsigned char)p[n])) {
				memcpy(out, p, DOCKER_ID_LEN);
				out[DOCKER_ID_LEN] = '\0';
				found = true;
			}
		}
	}
	if (f != NULL)
		fclose(f);
	return found;
}

static const char *metadata_url(const struct adapter_ctx *ctx)
{
	const char *url = setting(ctx, ENV_METADATA_URL);
	return url != NULL ? url : DEFAULT_METADATA_URL;
}

struct probe {
	struct loop *loop;
	long status;  /* 0 until answered; -1 when no answer came */
};

static void on_probe_answer(void *arg, const struct http_response *resp)
{
	struct probe *p = arg;
	p->status = resp->error == NULL ? resp->status : -1;
	loop_stop(p->loop);
}

/* Set by the operator, or the metadata service answers within DETECT_TIMEOUT_MS. */
#define RESOLV_CONF "/etc/resolv.conf"
#define RANCHER_DNS "169.254.169.250"

/* Rancher's internal DNS (reference §1): a container that can resolve rancher-metadata has
 * it in resolv.conf. Reading a file costs nothing; an HTTP probe loads libcurl and asks DNS,
 * so it is made only where the metadata service can be there at all. */
static bool uses_rancher_dns(void)
{
	char line[256];
	bool found = false;
	FILE *f = fopen(RESOLV_CONF, "re");
	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strncmp(line, "nameserver", 10) == 0 && strstr(line, RANCHER_DNS) != NULL;
	fclose(f);
	return found;
}

static int rancher_detect(const struct adapter_ctx *ctx)
{
	struct probe p = { 0 };
	struct http_client *http = NULL;
	char url[SETTINGS_TEXT_LEN + 16], err[HTTP_ERR_LEN];

	if (setting(ctx, ENV_METADATA_URL) != NULL)
		return 1;
	if (!uses_rancher_dns())
		return 0;
	if (loop_new(&p.loop) < 0)
		return 0;
	snprintf(url, sizeof(url), "%s/version", DEFAULT_METADATA_URL);
	if (http_client_new(p.loop, &http) == 0 &&
	    metadata_get(http, url, DETECT_TIMEOUT_MS, on_probe_answer, &p, NULL, err,
			 sizeof(err)) == 0)
		loop_run(p.loop); /* one bounded request: on_probe_answer stops the loop */
	http_client_free(http);
	loop_free(p.loop);
	log_debug("adapter", "rancher: %s: %s", url, p.status == 200 ? "answers" : "no answer");
	return p.status == 200 ? 1 : 0;
}

static int rancher_create(const struct adapter_ctx *ctx, void **state, char *err,
			  size_t err_len)
{
	const char *url = metadata_url(ctx);
	const char *stack = setting(ctx, ENV_STACK);
	const char *service = setting(ctx, ENV_SERVICE);

	struct rancher_state *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, err_len, "rancher adapter: out of memory");
		return -ENOMEM;
	}
	s->ctx = *ctx;
	s->ctx.resume = NULL; /* read below, not kept */
	s->max_wait_s = settings_get_uint(ctx->settings, ENV_MAX_WAIT_S, MAX_WAIT_S_DEFAULT);
	snprintf(s->base_url, sizeof(s->base_url), "%s", url);
	for (size_t n = strlen(s->base_url); n > 0 && s->base_url[n - 1] == '/'; n--)
		s->base_url[n - 1] = '\0';
	if (stack != NULL && service != NULL) {
		snprintf(s->stack, sizeof(s->stack), "%s", stack);
		snprintf(s->service, sizeof(s->service), "%s", service);
	}
	/* an answer already delivered at this version: the watch long-polls from it */
	if (ctx->resume != NULL && strlen(ctx->resume) < sizeof(s->version))
		snprintf(s->version, sizeof(s->version), "%s", ctx->resume);
	if (!find_docker_id("/proc/self/cgroup", s->docker_id))
		find_docker_id("/proc/self/mountinfo", s->docker_id);
	loop_timer_init(&s->pause, on_pause_over, s);
	*state = s;
	return 0;
}

static void rancher_destroy(void *state)
{
	struct rancher_state *s = state;
	if (s == NULL)
		return;
	watch_stop(s);
	http_client_free(s->http);
	free(s);
}

/* ---- settings ------------------------------------------------------------------------ */

static const struct setting_key_info rancher_keys[] = {
	{ .env = ENV_METADATA_URL, .yaml = "rancher_metadata_url", .flag = "rancher-metadata-url",
	  .scope = SCOPE_GLOBAL, .kind = SETTING_URL,
	  .help = "Rancher metadata service; setting it selects the rancher adapter; default "
		  "http://rancher-metadata/2015-12-19" },
	{ .env = ENV_STACK, .yaml = "rancher_stack", .flag = "rancher-stack",
	  .scope = SCOPE_GLOBAL, .kind = SETTING_TEXT, .max = RANCHER_NAME_LEN - 1,
	  .help = "this container's stack (with rancher_service; a host-network container must "
		  "be told); default from /self/service" },
	{ .env = ENV_SERVICE, .yaml = "rancher_service", .flag = "rancher-service",
	  .scope = SCOPE_GLOBAL, .kind = SETTING_TEXT, .max = RANCHER_NAME_LEN - 1,
	  .help = "this container's service (with rancher_stack); default from /self/service" },
	/* §6: the long poll's maxWait, capped at 120 by the server */
	{ .env = ENV_MAX_WAIT_S, .yaml = "rancher_max_wait_s", .flag = "rancher-max-wait-s",
	  .scope = SCOPE_GLOBAL, .kind = SETTING_UINT, .min = 1, .max = MAX_WAIT_S_CAP,
	  .help = "long-poll wait of a metadata request, s; default 60" },
};

/* A host-network container must be told both its stack and its service (§5): one without
 * the other names no service. */
static int rancher_validate(const struct settings_rules *r)
{
	const char *stack = settings_rules_get(r, ENV_STACK);
	const char *service = settings_rules_get(r, ENV_SERVICE);

	if ((stack == NULL) == (service == NULL))
		return 0;
	return settings_rules_fail(r, stack ? ENV_STACK : ENV_SERVICE,
				   "is set but %s is not: give both, or neither",
				   stack ? ENV_SERVICE : ENV_STACK);
}

static const struct settings_table rancher_settings = {
	.keys = rancher_keys,
	.n_keys = sizeof(rancher_keys) / sizeof(rancher_keys[0]),
	.validate = rancher_validate,
};

const struct adapter_ops adapter_rancher_ops = {
	.name = "rancher",
	.settings = &rancher_settings,
	.detect = rancher_detect,
	.create = rancher_create,
	.watch = rancher_watch,
	.destroy = rancher_destroy,
};
