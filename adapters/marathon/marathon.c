/* marathon.c — the Mesos/Marathon adapter: peers from GET /v2/apps/{id}/tasks, kept live by
 * the event stream GET /v2/events (../shared/reference/marathon-api.md).
 *
 * One watch holds two requests on the loop's libcurl multi:
 *
 *   the stream   /v2/events?event_type=... (SSE, sse.c): an event for our app, the stream's
 *                attach (events before it were missed: Marathon has no Last-Event-ID) ->
 *   the read     /v2/apps/{id}/tasks after REFETCH_DEBOUNCE_MS (one read for a burst of
 *                events; one more when events came during a read) -> marathon_parse.c ->
 *                host names resolved (resolve.c, never blocking the loop) -> a discovery,
 *                reported when it differs from the last one.
 *
 * Several Marathon instances (§1 HA): any of them answers and proxies the read to the leader;
 * a refused connection (any transport error) or a 502/503 ("no leader") moves on to the next
 * URL at once, for the read and the stream each; when every URL failed in a row, the watch
 * fails. A non-leader answers the stream with a redirect to the leader: followed, with the
 * Authorization header kept (http.h follow_redirects).
 *
 * Every error (a read that fails or cannot be parsed, a stream lost, cut, or silent for more
 * than 3 heartbeats: idle_s) stops both requests and goes to adapter.c through fail(): it
 * keeps the last peers and calls watch again after its backoff, which reconnects the stream
 * and reads the tasks again. Credentials live in memory only, in a header line that is never
 * logged; messages name the setting to fix, never its value. */
#include "marathon.h"
#include "marathon_endpoint.h"
#include "marathon_parse.h"
#include "resolve.h"
#include "sse.h"

#include "http.h"
#include "log.h"
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define ENV_URL "KEEPVIP_MARATHON_URL"
#define ENV_APP_ID "KEEPVIP_MARATHON_APP_ID"
#define ENV_TASK_ID "KEEPVIP_MESOS_TASK_ID"
#define ENV_HOST "KEEPVIP_HOST"
#define ENV_USER "KEEPVIP_MARATHON_USER"
#define ENV_PASSWORD "KEEPVIP_MARATHON_PASSWORD"
#define ENV_TOKEN "KEEPVIP_MARATHON_TOKEN"
#define ENV_TOKEN_FILE "KEEPVIP_MARATHON_TOKEN_FILE"
#define ENV_CA_FILE "KEEPVIP_MARATHON_CA_FILE"
#define ENV_IDLE_S "KEEPVIP_MARATHON_IDLE_S"

#define HEARTBEAT_S 10u                       /* §3: a blank line every 10 s */
#define IDLE_S_DEFAULT (3 * HEARTBEAT_S + 1)  /* silent for more than 3 heartbeats: lost */
#define REFETCH_DEBOUNCE_MS 20u               /* a burst of events, one read */
#define REQUEST_TIMEOUT_MS 5000u
#define CONNECT_TIMEOUT_MS 2000u
#define MAX_ANSWER_BYTES ((size_t)4 << 20)    /* 256 tasks with health results fit easily */
#define TOKEN_FILE_MAX ((size_t)MARATHON_AUTH_LEN)
#define AUTH_LINE_LEN (MARATHON_AUTH_LEN + 32)

struct marathon_state {
	struct adapter_ctx ctx;
	struct marathon_urls urls;
	size_t read_url, stream_url;     /* the URL each goes to now (moves on 502 / refused) */
	size_t read_tries, stream_tries; /* URLs tried in a row without an answer */
	char app_id[MARATHON_APP_ID_LEN];
	char task_id[SETTINGS_TEXT_LEN];
	char host[MARATHON_HOST_LEN];
	char tasks_path[MARATHON_PATH_LEN];
	char events_path[MARATHON_PATH_LEN];
	char ca_file[SETTINGS_TEXT_LEN];
	char auth_line[AUTH_LINE_LEN];   /* "Authorization: ..." or "": a secret, never logged */
	const char *auth_fix;            /* the settings to check when Marathon refuses us */
	sa_family_t family;
	uint32_t idle_s;

	struct http_client *http;
	struct http_request *read, *stream;
	bool read_again;                 /* an event came during the read */
	long stream_status;              /* of the stream's answer, once known */
	bool stream_up;                  /* a 200 with bytes: the stream is attached */
	bool stream_overrun;             /* the reader dropped it: an event over SSE_MAX_EVENT */
	struct loop_timer debounce;
	struct sse_parser sse;
	struct marathon_event_memory memory;
	struct marathon_task_list *list; /* the read being resolved */
	struct resolve_batch *resolving;
	struct adapter_discovery scratch, last;
	bool has_last;

	adapter_update_fn report;
	void (*fail)(void *arg, const char *err);
	void *arg;
};

static const char *setting(const struct settings *s, const char *name)
{
	const char *v = settings_get(s, name);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

static const char *or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* ---- stopping, failing ------------------------------------------------------------------ */

static void watch_stop(struct marathon_state *s)
{
	if (s->http != NULL) {
		http_cancel(s->http, s->read);
		http_cancel(s->http, s->stream);
	}
	s->read = s->stream = NULL;
	resolve_cancel(s->resolving);
	s->resolving = NULL;
	free(s->list);
	s->list = NULL;
	if (s->ctx.loop != NULL)
		loop_timer_cancel(s->ctx.loop, &s->debounce);
	s->read_again = false;
	s->stream_up = false;
	sse_reset(&s->sse);
}

/* Every error ends here: both requests stop, adapter.c keeps the peers and backs off. */
static void watch_fail(struct marathon_state *s, const char *err)
{
	watch_stop(s);
	s->fail(s->arg, err); /* last: adapter.c may call watch again from here */
}

/* What a refusal means and which setting fixes it (never the value). */
static void describe_status(const struct marathon_state *s, long status, const char *body,
			    size_t len, char *out, size_t out_len)
{
	char msg[MARATHON_MESSAGE_LEN] = "";
	if (body != NULL && len > 0 && marathon_parse_error(body, len, msg, sizeof(msg)) < 0)
		msg[0] = '\0';
	if (status == 401)
		adapter_errf(out, out_len, "HTTP 401: Marathon refused our credentials: %s",
			     s->auth_fix);
	else if (status == 403)
		adapter_errf(out, out_len,
			     "HTTP 403: Marathon does not let these credentials read %s: %s",
			     s->app_id, s->auth_fix);
	else if (status == 404)
		adapter_errf(out, out_len, "HTTP 404: app %s does not exist%s%s%s: check "
		     "KEEPVIP_MARATHON_APP_ID (MARATHON_APP_ID)", s->app_id, msg[0] ? " (" : "", msg,
			     msg[0] ? ")" : "");
	else
		adapter_errf(out, out_len, "HTTP %ld%s%s", status, msg[0] ? ": " : "", msg);
}

/* A refused connection or "no leader" (502, 503 while electing): another instance may do. */
static bool try_next_url(long status, const char *error)
{
	return error != NULL ? true : status == 502 || status == 503;
}

/* ---- the read: /v2/apps/{id}/tasks ------------------------------------------------------ */

static void read_start(struct marathon_state *s);

static void log_peers(const struct marathon_state *s, const struct adapter_discovery *d)
{
	char peers[ADAPTER_MAX_PEERS * 4], text[IP_ADDR_STRLEN], self[IP_ADDR_STRLEN] = "?";
	size_t used = 0;

	peers[0] = '\0';
	for (size_t i = 0; i < d->n_peers && used + IP_ADDR_STRLEN + 2 < sizeof(peers); i++)
		used += (size_t)snprintf(peers + used, sizeof(peers) - used, "%s%s", i ? ", " : "",
					 ip_addr_str(&d->peers[i], text));
	if (d->has_self)
		ip_addr_str(&d->self, self);
	log_info("adapter", "marathon: %s: %zu peer(s) (%s), self %s; of %zu task(s), %zu not "
		 "running, %zu without an address", s->app_id, d->n_peers, peers, self,
		 s->list->n_tasks, s->list->n_not_peer, s->list->n_no_address);
}

static bool same_discovery(const struct adapter_discovery *a, const struct adapter_discovery *b)
{
	if (a->has_self != b->has_self || (a->has_self && !ip_addr_equal(&a->self, &b->self)) ||
	    a->n_peers != b->n_peers)
		return false;
	for (size_t i = 0; i < a->n_peers; i++)
		if (!ip_addr_equal(&a->peers[i], &b->peers[i]))
			return false;
	return true;
}

/* The read's end: the list, its names resolved, as a discovery. */
static void read_deliver(struct marathon_state *s)
{
	struct adapter_discovery *d = &s->scratch;
	const struct marathon_task_list *l = s->list;

	memset(d, 0, sizeof(*d));
	if (l->has_self && !l->self.needs_resolve) {
		d->self = l->self.addr;
		d->has_self = true;
	}
	for (size_t i = 0; i < l->n_peers && d->n_peers < ADAPTER_MAX_PEERS; i++)
		if (!l->peers[i].needs_resolve)
			d->peers[d->n_peers++] = l->peers[i].addr;
	bool changed = !s->has_last || !same_discovery(d, &s->last);
	if (changed) {
		log_peers(s, d);
		s->last = *d;
		s->has_last = true;
	}
	free(s->list);
	s->list = NULL;
	if (s->read_again) {
		s->read_again = false;
		loop_timer_arm(s->ctx.loop, &s->debounce, loop_now_us());
	}
	s->report(s->arg, changed ? d : NULL); /* last: a first fetch stops its loop here */
}

static void on_resolved(void *arg, const struct resolve_result *results, size_t n)
{
	struct marathon_state *s = arg;
	struct marathon_task_list *l = s->list;
	size_t k = 0;

	s->resolving = NULL;
	if (results == NULL) {
		watch_fail(s, "resolving the tasks' hosts: out of memory");
		return;
	}
	/* the names were asked in this order: self first (when it needs it), then the peers */
	struct marathon_peer *places[MARATHON_MAX_PEERS + 1];
	size_t np = 0;
	if (l->has_self && l->self.needs_resolve)
		places[np++] = &l->self;
	for (size_t i = 0; i < l->n_peers; i++)
		if (l->peers[i].needs_resolve)
			places[np++] = &l->peers[i];
	for (k = 0; k < n && k < np; k++) {
		if (results[k].ok) {
			places[k]->addr = results[k].addr;
			places[k]->needs_resolve = false;
		} else {
			log_warn("adapter", "marathon: %s: host %s: %s; left out", s->app_id,
				 results[k].name, results[k].error);
		}
	}
	read_deliver(s);
}

/* Host names to addresses, off the loop (resolve.h), then the discovery. */
static void read_resolve(struct marathon_state *s)
{
	const struct marathon_task_list *l = s->list;
	const char *names[MARATHON_MAX_PEERS + 1];
	size_t n = 0;
	char err[ADAPTER_ERR_LEN];

	if (l->has_self && l->self.needs_resolve)
		names[n++] = l->self.host;
	for (size_t i = 0; i < l->n_peers; i++)
		if (l->peers[i].needs_resolve)
			names[n++] = l->peers[i].host;
	if (n == 0) {
		read_deliver(s);
		return;
	}
	int rc = resolve_start(s->ctx.loop, names, n, s->family, on_resolved, s, &s->resolving);
	if (rc < 0) {
		adapter_errf(err, sizeof(err), "resolving the tasks' hosts: %s", strerror(-rc));
		watch_fail(s, err);
	}
}

static void on_read_answer(void *arg, const struct http_response *resp)
{
	struct marathon_state *s = arg;
	char why[ADAPTER_ERR_LEN], err[ADAPTER_ERR_LEN];
	const char *url = s->urls.url[s->read_url];
	struct marathon_whoami who = {
		.app_id = s->app_id, .task_id = s->task_id[0] ? s->task_id : NULL,
		.host = s->host[0] ? s->host : NULL, .family = s->family,
	};

	s->read = NULL;
	if (try_next_url(resp->status, resp->error) && ++s->read_tries < s->urls.n) {
		log_info("adapter", "marathon: %s%s: %s; trying %s", url, s->tasks_path,
			 resp->error ? resp->error : "HTTP 502 (no leader)",
			 s->urls.url[(s->read_url + 1) % s->urls.n]);
		s->read_url = (s->read_url + 1) % s->urls.n;
		read_start(s);
		return;
	}
	if (resp->error != NULL || resp->status != 200) {
		if (resp->error != NULL)
			snprintf(why, sizeof(why), "%s", resp->error);
		else
			describe_status(s, resp->status, resp->body, resp->body_len, why,
					sizeof(why));
		if (try_next_url(resp->status, resp->error))
			s->read_url = (s->read_url + 1) % s->urls.n; /* start from another next time */
		adapter_errf(err, sizeof(err), "GET %s%s: %s", url, s->tasks_path, why);
		watch_fail(s, err);
		return;
	}
	s->read_tries = 0;
	s->list = calloc(1, sizeof(*s->list));
	int rc = s->list == NULL ? -ENOMEM
				 : marathon_parse_tasks(resp->body, resp->body_len, &who, s->list,
							why, sizeof(why));
	if (rc < 0) {
		if (rc == -ENOMEM)
			snprintf(why, sizeof(why), "out of memory");
		adapter_errf(err, sizeof(err), "GET %s%s: %s", url, s->tasks_path, why);
		watch_fail(s, err);
		return;
	}
	read_resolve(s);
}

static void read_start(struct marathon_state *s)
{
	const char *headers[2] = { "Accept: application/json", s->auth_line }; /* §1 */
	char url[MARATHON_URL_LEN + MARATHON_PATH_LEN], why[HTTP_ERR_LEN], err[ADAPTER_ERR_LEN];
	struct http_get_opts o = {
		.url = url, .headers = headers, .n_headers = s->auth_line[0] ? 2 : 1,
		.timeout_ms = REQUEST_TIMEOUT_MS, .connect_timeout_ms = CONNECT_TIMEOUT_MS,
		.max_body = MAX_ANSWER_BYTES, .ca_file = s->ca_file[0] ? s->ca_file : NULL,
	};

	snprintf(url, sizeof(url), "%s%s", s->urls.url[s->read_url], s->tasks_path);
	int rc = http_get(s->http, &o, on_read_answer, s, &s->read, why, sizeof(why));
	if (rc < 0) {
		adapter_errf(err, sizeof(err), "GET %s: %s", url, why);
		watch_fail(s, err);
	}
}

/* An event (or the stream's attach) asks for a read: one per burst, one more after a read
 * in progress, none while host names of the last one resolve (they were asked already). */
static void refetch_soon(struct marathon_state *s)
{
	if (s->read != NULL || s->resolving != NULL) {
		s->read_again = true;
		return;
	}
	if (!loop_timer_armed(&s->debounce))
		loop_timer_arm(s->ctx.loop, &s->debounce,
			       loop_now_us() + REFETCH_DEBOUNCE_MS * 1000u);
}

static void on_debounce(struct loop *loop, void *arg)
{
	(void)loop;
	struct marathon_state *s = arg;
	if (s->read == NULL && s->resolving == NULL)
		read_start(s);
}

/* ---- the stream: /v2/events ------------------------------------------------------------- */

static void stream_start(struct marathon_state *s);

static int on_event(void *arg, const struct sse_event *ev)
{
	struct marathon_state *s = arg;
	char why[ADAPTER_ERR_LEN];
	int action = marathon_event_classify(&s->memory, s->app_id, ev->type, ev->data,
					     ev->data_len, ev->truncated, why, sizeof(why));
	if (action < 0)
		log_warn("adapter", "marathon: event %s: %s; reading the tasks again", ev->type, why);
	if (action == MARATHON_EVENT_ATTACHED)
		log_debug("adapter", "marathon: event stream attached at %s",
			  s->urls.url[s->stream_url]);
	else if (action != MARATHON_EVENT_IGNORE)
		log_debug("adapter", "marathon: event %s for %s", ev->type, s->app_id);
	if (action != MARATHON_EVENT_IGNORE)
		refetch_soon(s);
	return 0;
}

static int on_stream_chunk(void *arg, long status, const char *data, size_t len)
{
	struct marathon_state *s = arg;
	s->stream_status = status;
	if (status != 200)
		return -EPROTO; /* an error page: on_stream_end says what */
	if (!s->stream_up) {
		s->stream_up = true;
		s->stream_tries = 0;
		refetch_soon(s); /* a (re)connected stream: what it missed is read again */
	}
	int rc = sse_feed(&s->sse, data, len, on_event, s);
	if (rc == -EMSGSIZE)
		s->stream_overrun = true; /* on_stream_end says it */
	return rc == -ENOMEM ? 0 : rc; /* the framer dropped that event and goes on */
}

static void on_stream_end(void *arg, const struct http_response *resp)
{
	struct marathon_state *s = arg;
	char why[ADAPTER_ERR_LEN], err[ADAPTER_ERR_LEN];
	const char *url = s->urls.url[s->stream_url];
	long status = resp->status ? resp->status : s->stream_status;
	/* an error page stopped by on_stream_chunk is its status, not a transport error */
	const char *transport = status != 0 && status != 200 ? NULL : resp->error;

	s->stream = NULL;
	if (!s->stream_up && try_next_url(status, transport) && ++s->stream_tries < s->urls.n) {
		log_info("adapter", "marathon: %s/v2/events: %s; trying %s", url,
			 transport ? transport : "HTTP 502 (no leader)",
			 s->urls.url[(s->stream_url + 1) % s->urls.n]);
		s->stream_url = (s->stream_url + 1) % s->urls.n;
		stream_start(s);
		return;
	}
	if (s->stream_overrun)
		snprintf(why, sizeof(why), "an event over %zu bytes", SSE_MAX_EVENT);
	else if (status != 200 && status != 0)
		describe_status(s, status, NULL, 0, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "%s", resp->error ? resp->error : "closed by the server");
	if (!s->stream_up && try_next_url(status, transport))
		s->stream_url = (s->stream_url + 1) % s->urls.n;
	adapter_errf(err, sizeof(err), "event stream %s/v2/events%s: %s", url,
		     s->stream_up ? " lost" : "", why);
	watch_fail(s, err);
}

static void stream_start(struct marathon_state *s)
{
	const char *headers[2] = { "Accept: text/event-stream", s->auth_line }; /* §3 */
	char url[MARATHON_URL_LEN + MARATHON_PATH_LEN], why[HTTP_ERR_LEN], err[ADAPTER_ERR_LEN];
	struct http_get_opts o = {
		.url = url, .headers = headers, .n_headers = s->auth_line[0] ? 2 : 1,
		.connect_timeout_ms = CONNECT_TIMEOUT_MS, .on_chunk = on_stream_chunk,
		.idle_timeout_s = s->idle_s, .follow_redirects = true, /* §1: to the leader */
		.ca_file = s->ca_file[0] ? s->ca_file : NULL,
	};

	snprintf(url, sizeof(url), "%s%s", s->urls.url[s->stream_url], s->events_path);
	sse_reset(&s->sse);
	s->stream_up = false;
	s->stream_overrun = false;
	s->stream_status = 0;
	int rc = http_get(s->http, &o, on_stream_end, s, &s->stream, why, sizeof(why));
	if (rc < 0) {
		adapter_errf(err, sizeof(err), "event stream %s/v2/events: %s",
			     s->urls.url[s->stream_url],
			     why);
		watch_fail(s, err);
	}
}

/* ---- credentials ------------------------------------------------------------------------ */

/* The token file, read again at every watch (a rotated token is picked up on the retry). */
static int read_token_file(const char *path, char *out, size_t out_len, char *err,
			   size_t err_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t used = 0;
	ssize_t n = 0;

	if (fd < 0) {
		int e = errno;
		adapter_errf(err, err_len, ENV_TOKEN_FILE " %s: %s", path, strerror(e));
		return -e;
	}
	while (used + 1 < out_len && (n = read(fd, out + used, out_len - 1 - used)) > 0)
		used += (size_t)n;
	int e = n < 0 ? errno : 0;
	close(fd);
	out[used] = '\0';
	if (e != 0) {
		adapter_errf(err, err_len, ENV_TOKEN_FILE " %s: %s", path, strerror(e));
		return -e;
	}
	if (used + 1 >= out_len) {
		adapter_errf(err, err_len, ENV_TOKEN_FILE " %s: larger than %zu bytes", path,
			     out_len - 2);
		return -EFBIG;
	}
	return 0;
}

static int load_auth(struct marathon_state *s, char *err, size_t err_len)
{
	const struct settings *st = s->ctx.settings;
	const char *file = setting(st, ENV_TOKEN_FILE);
	char *token = NULL, value[MARATHON_AUTH_LEN];
	int rc = 0;

	if (file != NULL && setting(st, ENV_TOKEN) == NULL) {
		token = calloc(1, TOKEN_FILE_MAX);
		if (token == NULL)
			return -ENOMEM;
		rc = read_token_file(file, token, TOKEN_FILE_MAX, err, err_len);
	}
	struct marathon_credentials cred = {
		.user = setting(st, ENV_USER), .password = setting(st, ENV_PASSWORD),
		.token = token != NULL ? token : setting(st, ENV_TOKEN),
	};
	if (rc == 0)
		rc = marathon_auth_header(&cred, value, sizeof(value), err, err_len);
	if (rc == 0)
		snprintf(s->auth_line, sizeof(s->auth_line), "%s%s", value[0] ? "Authorization: " : "",
			 value);
	s->auth_fix = cred.user != NULL ? "check " ENV_USER " and " ENV_PASSWORD
		    : cred.token == NULL ? "set " ENV_USER " and " ENV_PASSWORD ", or " ENV_TOKEN
					   " or " ENV_TOKEN_FILE
		    : file != NULL && setting(st, ENV_TOKEN) == NULL ? "check " ENV_TOKEN_FILE
								     : "check " ENV_TOKEN;
	explicit_bzero(value, sizeof(value));
	if (token != NULL) {
		explicit_bzero(token, TOKEN_FILE_MAX);
		free(token);
	}
	return rc;
}

/* ---- the ops ---------------------------------------------------------------------------- */

static int marathon_watch(void *state, adapter_update_fn report,
			  void (*fail)(void *arg, const char *err), void *arg)
{
	struct marathon_state *s = state;
	char err[ADAPTER_ERR_LEN];

	if (s->ctx.loop == NULL)
		return -EINVAL;
	s->report = report;
	s->fail = fail;
	s->arg = arg;
	watch_stop(s); /* a second call starts again cleanly */
	s->read_tries = s->stream_tries = 0;
	if (s->http == NULL) {
		int rc = http_client_new(s->ctx.loop, &s->http);
		if (rc < 0)
			return rc;
	}
	if (load_auth(s, err, sizeof(err)) < 0) {
		s->fail(s->arg, err);
		return 0;
	}
	stream_start(s);
	if (s->stream != NULL)
		read_start(s); /* at once: the stream's attach asks again (merged when close) */
	return 0;
}

static int marathon_detect(const struct adapter_ctx *ctx)
{
	return setting(ctx->settings, ENV_APP_ID) != NULL;
}

static int marathon_create(const struct adapter_ctx *ctx, void **state, char *err,
			   size_t err_len)
{
	const struct settings *st = ctx->settings;
	const char *app_id = setting(st, ENV_APP_ID);
	char why[ADAPTER_ERR_LEN];

	if (app_id == NULL) {
		adapter_errf(err, err_len,
			     "marathon: MARATHON_APP_ID is not set (Marathon sets it in every "
			     "task): set " ENV_APP_ID);
		return -EINVAL;
	}
	struct marathon_state *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		adapter_errf(err, err_len, "marathon adapter: out of memory");
		return -ENOMEM;
	}
	int rc = marathon_urls_parse(setting(st, ENV_URL), &s->urls, why, sizeof(why));
	if (rc == 0)
		rc = marathon_tasks_path(app_id, s->tasks_path, sizeof(s->tasks_path), why,
					 sizeof(why));
	if (rc == 0)
		rc = marathon_events_path(s->events_path, sizeof(s->events_path));
	if (rc < 0) {
		adapter_errf(err, err_len, "marathon: %s", rc == -E2BIG ? "path too long" : why);
		free(s);
		return rc;
	}
	s->ctx = *ctx;
	s->ctx.resume = NULL;
	snprintf(s->app_id, sizeof(s->app_id), "%s", app_id);
	snprintf(s->task_id, sizeof(s->task_id), "%s", or_empty(setting(st, ENV_TASK_ID)));
	snprintf(s->host, sizeof(s->host), "%s", or_empty(setting(st, ENV_HOST)));
	snprintf(s->ca_file, sizeof(s->ca_file), "%s", or_empty(setting(st, ENV_CA_FILE)));
	s->family = st != NULL && st->n_instances > 0 ? st->instances[0].family : AF_INET;
	s->idle_s = settings_get_uint(st, ENV_IDLE_S, IDLE_S_DEFAULT);
	s->auth_fix = "";
	sse_init(&s->sse);
	loop_timer_init(&s->debounce, on_debounce, s);
	*state = s;
	return 0;
}

static void marathon_destroy(void *state)
{
	struct marathon_state *s = state;
	if (s == NULL)
		return;
	watch_stop(s);
	http_client_free(s->http);
	sse_free(&s->sse);
	explicit_bzero(s->auth_line, sizeof(s->auth_line));
	free(s);
}

/* ---- settings --------------------------------------------------------------------------- */

static const struct setting_key_info marathon_keys[] = {
	{ .env = ENV_URL, .yaml = "marathon_url", .scope = SCOPE_GLOBAL,
	  .kind = SETTING_URL_LIST,
	  .help = "comma list of Marathon URLs (any may answer; a failing one moves to the "
		  "next); default http://marathon.mesos:8080" },
	{ .env = ENV_APP_ID, .alias = "MARATHON_APP_ID", .yaml = "marathon_app_id",
	  .scope = SCOPE_GLOBAL, .kind = SETTING_TEXT, .max = MARATHON_APP_ID_LEN - 1,
	  .help = "the Marathon app whose tasks are the peers; set by Marathon in every task" },
	{ .env = ENV_TASK_ID, .alias = "MESOS_TASK_ID", .yaml = "mesos_task_id",
	  .scope = SCOPE_GLOBAL, .kind = SETTING_TEXT,
	  .help = "this task's id (who we are); set by Marathon" },
	{ .env = ENV_HOST, .alias = "HOST", .yaml = "host", .scope = SCOPE_GLOBAL,
	  .kind = SETTING_TEXT, .max = MARATHON_HOST_LEN - 1,
	  .help = "this task's agent host, when the task id does not name us; set by Marathon" },
	{ .env = ENV_USER, .yaml = "marathon_user", .scope = SCOPE_GLOBAL, .kind = SETTING_TEXT,
	  .help = "HTTP basic auth user (with marathon_password); default none" },
	{ .env = ENV_PASSWORD, .yaml = "marathon_password", .scope = SCOPE_GLOBAL,
	  .kind = SETTING_TEXT, .secret = true,
	  .help = "HTTP basic auth password; default none" },
	{ .env = ENV_TOKEN, .yaml = "marathon_token", .scope = SCOPE_GLOBAL,
	  .kind = SETTING_TEXT, .secret = true,
	  .help = "DC/OS authentication token; default none" },
	{ .env = ENV_TOKEN_FILE, .yaml = "marathon_token_file", .scope = SCOPE_GLOBAL,
	  .kind = SETTING_PATH,
	  .help = "a file holding the DC/OS token, read again at every reconnect; default none" },
	/* DC/OS serves Marathon over https with its own CA (https://master/service/marathon) */
	{ .env = ENV_CA_FILE, .yaml = "marathon_ca_file", .scope = SCOPE_GLOBAL,
	  .kind = SETTING_PATH,
	  .help = "CA certificate(s) that sign Marathon's https certificate; default the system's" },
	/* the event stream is lost after this long without a byte (heartbeats every 10 s) */
	{ .env = ENV_IDLE_S, .yaml = "marathon_idle_s", .scope = SCOPE_GLOBAL,
	  .kind = SETTING_UINT, .min = 2, .max = 600,
	  .help = "the event stream counts as lost after this long without a byte, s; default 31" },
};

/* Rules across the keys, without I/O: the URL list, the app id, one kind of credentials. */
static int marathon_validate(const struct settings_rules *r)
{
	const char *app_id = settings_rules_get(r, ENV_APP_ID);
	const char *token_file = settings_rules_get(r, ENV_TOKEN_FILE);
	char why[ADAPTER_ERR_LEN], header[MARATHON_AUTH_LEN];
	struct marathon_urls urls;

	if (marathon_urls_parse(settings_rules_get(r, ENV_URL), &urls, why, sizeof(why)) < 0)
		return settings_rules_fail(r, ENV_URL, "%s", why);
	if (app_id != NULL && app_id[0] != '\0' &&
	    marathon_check_app_id(app_id, why, sizeof(why)) < 0)
		return settings_rules_fail(r, ENV_APP_ID, "%s", why);
	if (token_file != NULL && settings_rules_get(r, ENV_TOKEN) != NULL)
		return settings_rules_fail(r, ENV_TOKEN_FILE, "is set and so is " ENV_TOKEN
					   ": give one");
	struct marathon_credentials cred = {
		.user = settings_rules_get(r, ENV_USER),
		.password = settings_rules_get(r, ENV_PASSWORD),
		.token = token_file != NULL ? "file" : settings_rules_get(r, ENV_TOKEN),
	};
	int rc = marathon_auth_header(&cred, header, sizeof(header), why, sizeof(why));
	explicit_bzero(header, sizeof(header));
	if (rc == 0)
		return 0;
	/* the message names settings only; place it at the one to fix */
	const char *at = cred.user != NULL && cred.password == NULL ? ENV_USER
		       : cred.user == NULL && cred.password != NULL ? ENV_PASSWORD
		       : cred.user != NULL && cred.token != NULL ? ENV_USER
		       : strstr(why, "PASSWORD:") != NULL ? ENV_PASSWORD
		       : strstr(why, "USER:") != NULL ? ENV_USER
		       : token_file != NULL ? ENV_TOKEN_FILE : ENV_TOKEN;
	return settings_rules_fail(r, at, "%s", why);
}

static const struct settings_table marathon_settings = {
	.keys = marathon_keys,
	.n_keys = sizeof(marathon_keys) / sizeof(marathon_keys[0]),
	.validate = marathon_validate,
};

const struct adapter_ops adapter_marathon_ops = {
	.name = "marathon",
	.settings = &marathon_settings,
	.detect = marathon_detect,
	.create = marathon_create,
	.watch = marathon_watch,
	.destroy = marathon_destroy,
};
