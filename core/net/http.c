/* http.c — HTTP GET on the event loop through libcurl's multi interface.
 *
 * libcurl tells us which sockets to watch (on_curl_socket) and when to wake it up
 * (on_curl_timer); the loop tells libcurl what happened (curl_multi_socket_action); every
 * finished transfer is then collected in one place, finish_transfers(), which calls the
 * request's done callback once. */
#include "http.h"

#include "loop.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

struct http_request {
	CURL *easy;
	struct curl_slist *headers;
	http_done_fn done;
	void *arg;
	char *body;               /* NUL-terminated, body_len bytes */
	size_t body_len, body_cap, max_body;
	bool body_too_large;
	bool out_of_memory;
	http_chunk_fn on_chunk;   /* streaming: pieces go here, body stays empty */
	bool stopped_by_reader;   /* on_chunk asked to stop */
	long retry_after_s;       /* Retry-After, or -1 */
	uint32_t idle_timeout_s;  /* streaming: the idle timer's period, 0 = none */
	struct loop_timer idle;   /* re-armed by every piece; fires: the stream is lost */
	struct http_client *client;
	uint32_t timeout_ms;
	uint64_t started_us;
	char curl_err[CURL_ERROR_SIZE];
	struct http_request *prev, *next;
};

struct http_client {
	struct loop *loop;
	CURLM *multi;
	struct loop_timer timer;
	struct http_request *requests; /* in flight */
	int *fds;                      /* libcurl's sockets registered on the loop */
	size_t n_fds, cap_fds;
	unsigned dispatch_depth;       /* > 0 while done callbacks may run */
	bool free_requested;           /* http_client_free was called from a done callback */
};

/* ---- sockets libcurl asked us to watch -------------------------------------------------- */

static bool fd_known(const struct http_client *c, int fd)
{
	for (size_t i = 0; i < c->n_fds; i++)
		if (c->fds[i] == fd)
			return true;
	return false;
}

static int fd_remember(struct http_client *c, int fd)
{
	if (c->n_fds == c->cap_fds) {
		size_t cap = c->cap_fds ? c->cap_fds * 2 : 8;
		int *grown = realloc(c->fds, cap * sizeof(*grown));
		if (grown == NULL)
			return -ENOMEM;
		c->fds = grown;
		c->cap_fds = cap;
	}
	c->fds[c->n_fds++] = fd;
	return 0;
}

static void fd_forget(struct http_client *c, int fd)
{
	for (size_t i = 0; i < c->n_fds; i++) {
		if (c->fds[i] == fd) {
			c->fds[i] = c->fds[--c->n_fds];
			return;
		}
	}
}

static void finish_transfers(struct http_client *c);

static void on_socket_ready(struct loop *loop, int fd, uint32_t events, void *arg)
{
	struct http_client *c = arg;
	int flags = 0;
	int running;

	(void)loop;
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	finish_transfers(c);
}

/* CURLMOPT_SOCKETFUNCTION: watch s for what (CURL_POLL_IN/OUT/INOUT), or stop (REMOVE). */
static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct http_client *c = userp;
	uint32_t events = 0;
	int rc;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		loop_io_remove(c->loop, s);
		fd_forget(c, s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	if (fd_known(c, s))
		return loop_io_modify(c->loop, s, events) < 0 ? -1 : 0;
	rc = fd_remember(c, s);
	if (rc == 0) {
		rc = loop_io_add(c->loop, s, events, on_socket_ready, c);
		if (rc < 0)
			fd_forget(c, s);
	}
	return rc < 0 ? -1 : 0;
}

/* ---- libcurl's one timer ---------------------------------------------------------------- */

static void on_timer(struct loop *loop, void *arg)
{
	struct http_client *c = arg;
	int running;

	(void)loop;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	finish_transfers(c);
}

/* CURLMOPT_TIMERFUNCTION: wake libcurl in timeout_ms (0: on the next turn), -1: never. */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_client *c = userp;

	(void)multi;
	if (timeout_ms < 0) {
		loop_timer_cancel(c->loop, &c->timer);
		return 0;
	}
	uint64_t deadline = loop_now_us() + (uint64_t)timeout_ms * 1000u;
	return loop_timer_arm(c->loop, &c->timer, deadline) < 0 ? -1 : 0;
}

/* ---- requests -------------------------------------------------------------------------- */

static void request_unlink(struct http_client *c, struct http_request *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		c->requests = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
}

static void request_free(struct http_request *r)
{
	if (r == NULL)
		return;
	if (r->easy != NULL)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	free(r->body);
	free(r);
}

/* Takes r out of the client and out of libcurl; r's callback will not be called. */
static void request_detach(struct http_client *c, struct http_request *r)
{
	loop_timer_cancel(c->loop, &r->idle);
	request_unlink(c, r);
	curl_multi_remove_handle(c->multi, r->easy);
}

/* CURLOPT_WRITEFUNCTION: appends to the body, or fails the transfer past max_body. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_request *r = userp;
	size_t n = size * nmemb;

	if (n > r->max_body - r->body_len) {
		r->body_too_large = true;
		return 0; /* CURLE_WRITE_ERROR */
	}
	if (r->body_len + n + 1 > r->body_cap) {
		size_t cap = r->body_cap ? r->body_cap : 4096;
		while (cap < r->body_len + n + 1)
			cap *= 2;
		if (cap > r->max_body + 1)
			cap = r->max_body + 1;
		char *grown = realloc(r->body, cap);
		if (grown == NULL) {
			r->out_of_memory = true;
			return 0;
		}
		r->body = grown;
		r->body_cap = cap;
	}
	memcpy(r->body + r->body_len, data, n);
	r->body_len += n;
	r->body[r->body_len] = '\0';
	return n;
}

/* The idle bound of a stream (libcurl's low-speed check averages over seconds and misses a
 * short silence after a burst): one loop timer, pushed back by every piece. */
static void idle_rearm(struct http_request *r)
{
	if (r->idle_timeout_s > 0)
		loop_timer_arm(r->client->loop, &r->idle,
			       loop_now_us() + (uint64_t)r->idle_timeout_s * 1000000u);
}

/* CURLOPT_WRITEFUNCTION when streaming: each piece to the reader, never kept. */
static size_t on_stream(char *data, size_t size, size_t nmemb, void *userp)
{
	struct http_request *r = userp;
	size_t n = size * nmemb;
	long status = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	idle_rearm(r);
	if (r->on_chunk(r->arg, status, data, n) < 0) {
		r->stopped_by_reader = true;
		return 0; /* CURLE_WRITE_ERROR */
	}
	return n;
}

/* CURLOPT_HEADERFUNCTION: remembers Retry-After in seconds (RFC 9110 §10.2.3; the
 * HTTP-date form is taken as "soon": -1). Every header line of every response comes here. */
static size_t on_header(char *line, size_t size, size_t nmemb, void *userp)
{
	struct http_request *r = userp;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";

	if (n > sizeof(name) - 1 && strncasecmp(line, name, sizeof(name) - 1) == 0) {
		char value[32];
		size_t len = n - (sizeof(name) - 1);
		snprintf(value, sizeof(value), "%.*s", (int)(len < 31 ? len : 31),
			 line + sizeof(name) - 1);
		char *end;
		long seconds = strtol(value, &end, 10);
		r->retry_after_s = end != value && seconds >= 0 ? seconds : -1;
	}
	return n;
}

static uint32_t elapsed_ms(uint64_t since_us)
{
	uint64_t ms = (loop_now_us() - since_us) / 1000u;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* Words for a failed transfer; the URL and the headers (tokens) never appear in them. */
static const char *transfer_error(const struct http_request *r, CURLcode result, char *buf,
				  size_t len)
{
	if (result == CURLE_OK)
		return NULL;
	if (r->stopped_by_reader)
		snprintf(buf, len, "stopped by the reader");
	else if (r->body_too_large || result == CURLE_FILESIZE_EXCEEDED)
		snprintf(buf, len, "response body larger than %zu bytes", r->max_body);
	else if (r->out_of_memory)
		snprintf(buf, len, "out of memory for the response body");
	else if (result == CURLE_OPERATION_TIMEDOUT)
		snprintf(buf, len, "timed out after %u ms", r->timeout_ms);
	else
		snprintf(buf, len, "%s", r->curl_err[0] ? r->curl_err : curl_easy_strerror(result));
	return buf;
}

/* The one completion point: a transfer libcurl reported done, or a stream gone idle
 * (idle_error set). */
static void request_complete(struct http_client *c, struct http_request *r, CURLcode result,
			     const char *idle_error)
{
	char err[HTTP_ERR_LEN];
	long status = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	request_detach(c, r);
	struct http_response resp = {
		.status = status,
		.body = r->body != NULL ? r->body : "",
		.body_len = r->body_len,
		.error = idle_error != NULL ? idle_error : transfer_error(r, result, err, sizeof(err)),
		.duration_ms = elapsed_ms(r->started_us),
		.retry_after_s = r->retry_after_s,
	};
	r->done(r->arg, &resp);
	request_free(r);
}

static void client_destroy(struct http_client *c);

static void finish_transfers(struct http_client *c)
{
	CURLMsg *msg;
	int left;

	c->dispatch_depth++;
	while (!c->free_requested && (msg = curl_multi_info_read(c->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURLcode result = msg->data.result;
		char *private = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &private);
		request_complete(c, (struct http_request *)private, result, NULL);
	}
	c->dispatch_depth--;
	if (c->dispatch_depth == 0 && c->free_requested)
		client_destroy(c);
}

static void on_idle(struct loop *loop, void *arg)
{
	struct http_request *r = arg;
	struct http_client *c = r->client;
	char err[HTTP_ERR_LEN];

	(void)loop;
	snprintf(err, sizeof(err), "nothing received for %u s", r->idle_timeout_s);
	c->dispatch_depth++;
	request_complete(c, r, CURLE_OK, err);
	c->dispatch_depth--;
	if (c->dispatch_depth == 0 && c->free_requested)
		client_destroy(c);
}

#define SETOPT(easy, opt, value)                                                   \
	do {                                                                       \
		CURLcode setopt_rc_ = curl_easy_setopt((easy), (opt), (value));    \
		if (setopt_rc_ != CURLE_OK) {                                      \
			snprintf(err, err_len, "http: curl_easy_setopt(%s): %s",   \
				 #opt, curl_easy_strerror(setopt_rc_));            \
			return -EINVAL;                                            \
		}                                                                  \
	} while (0)

static int request_configure(struct http_request *r, const struct http_get_opts *o, char *err,
			     size_t err_len)
{
	CURL *e = r->easy;

	SETOPT(e, CURLOPT_URL, o->url);
	SETOPT(e, CURLOPT_HTTPGET, 1L);
	SETOPT(e, CURLOPT_PRIVATE, (void *)r);
	SETOPT(e, CURLOPT_ERRORBUFFER, r->curl_err);
	SETOPT(e, CURLOPT_WRITEFUNCTION, o->on_chunk != NULL ? on_stream : on_body);
	SETOPT(e, CURLOPT_WRITEDATA, (void *)r);
	SETOPT(e, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(e, CURLOPT_HEADERDATA, (void *)r);
	SETOPT(e, CURLOPT_NOSIGNAL, 1L);
	SETOPT(e, CURLOPT_TIMEOUT_MS, (long)r->timeout_ms);
	if (o->on_chunk == NULL)
		SETOPT(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_body);
	if (o->connect_timeout_ms > 0)
		SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
	SETOPT(e, CURLOPT_FOLLOWLOCATION, o->follow_redirects ? 1L : 0L);
	if (o->follow_redirects) {
		SETOPT(e, CURLOPT_MAXREDIRS, 5L);
		/* libcurl drops credentials on a change of host unless told: the leader is
		 * another host, and a cluster with standbys and auth needs them there too */
		SETOPT(e, CURLOPT_UNRESTRICTED_AUTH, 1L);
	}
	SETOPT(e, CURLOPT_USERAGENT, "keepvip");
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
	SETOPT(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SETOPT(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	if (!o->use_env_proxy)
		SETOPT(e, CURLOPT_PROXY, "");
	if (o->ca_file != NULL)
		SETOPT(e, CURLOPT_CAINFO, o->ca_file);
	if (o->cert_file != NULL)
		SETOPT(e, CURLOPT_SSLCERT, o->cert_file);
	if (o->key_file != NULL)
		SETOPT(e, CURLOPT_SSLKEY, o->key_file);
	if (o->unix_socket != NULL)
		SETOPT(e, CURLOPT_UNIX_SOCKET_PATH, o->unix_socket);
	for (size_t i = 0; i < o->n_headers; i++) {
		struct curl_slist *more = curl_slist_append(r->headers, o->headers[i]);
		if (more == NULL) {
			snprintf(err, err_len, "http: out of memory for the request headers");
			return -ENOMEM;
		}
		r->headers = more;
	}
	if (r->headers != NULL)
		SETOPT(e, CURLOPT_HTTPHEADER, r->headers);
	return 0;
}

int http_get(struct http_client *c, const struct http_get_opts *opts, http_done_fn done,
	     void *arg, struct http_request **out, char *err, size_t err_len)
{
	struct http_request *r;
	int rc;

	if (out != NULL)
		*out = NULL;
	if (opts == NULL || opts->url == NULL || done == NULL || c->free_requested) {
		snprintf(err, err_len, "http: get: no URL or no callback");
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->easy = curl_easy_init()) == NULL) {
		free(r);
		snprintf(err, err_len, "http: get: out of memory");
		return -ENOMEM;
	}
	r->done = done;
	r->arg = arg;
	r->max_body = opts->max_body ? opts->max_body : HTTP_MAX_BODY_DEFAULT;
	r->on_chunk = opts->on_chunk;
	r->retry_after_s = -1;
	r->client = c;
	r->idle_timeout_s = opts->on_chunk != NULL ? opts->idle_timeout_s : 0;
	loop_timer_init(&r->idle, on_idle, r);
	r->timeout_ms = opts->timeout_ms ? opts->timeout_ms
			: opts->on_chunk != NULL ? 0 : HTTP_TIMEOUT_MS_DEFAULT;
	r->started_us = loop_now_us();
	rc = request_configure(r, opts, err, err_len);
	if (rc < 0)
		goto fail;
	CURLMcode mrc = curl_multi_add_handle(c->multi, r->easy);
	if (mrc != CURLM_OK) {
		snprintf(err, err_len, "http: curl_multi_add_handle: %s", curl_multi_strerror(mrc));
		rc = mrc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO;
		goto fail;
	}
	r->next = c->requests;
	if (r->next != NULL)
		r->next->prev = r;
	c->requests = r;
	idle_rearm(r);
	if (out != NULL)
		*out = r;
	return 0;
fail:
	request_free(r);
	return rc;
}

void http_cancel(struct http_client *c, struct http_request *r)
{
	if (c == NULL || r == NULL)
		return;
	request_detach(c, r);
	request_free(r);
}

/* ---- the client ------------------------------------------------------------------------ */

static int curl_global_once(void)
{
	static bool done;

	if (done)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -ENOMEM;
	done = true;
	return 0;
}

#define MULTI_SETOPT(multi, opt, value)                                          \
	do {                                                                     \
		if (curl_multi_setopt((multi), (opt), (value)) != CURLM_OK)      \
			goto fail;                                               \
	} while (0)

int http_client_new(struct loop *loop, struct http_client **out)
{
	struct http_client *c;
	int rc;

	*out = NULL;
	rc = curl_global_once();
	if (rc < 0)
		return rc;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->loop = loop;
	loop_timer_init(&c->timer, on_timer, c);
	c->multi = curl_multi_init();
	if (c->multi == NULL)
		goto fail;
	MULTI_SETOPT(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	MULTI_SETOPT(c->multi, CURLMOPT_SOCKETDATA, (void *)c);
	MULTI_SETOPT(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	MULTI_SETOPT(c->multi, CURLMOPT_TIMERDATA, (void *)c);
	*out = c;
	return 0;
fail:
	client_destroy(c);
	return -ENOMEM;
}

static void client_destroy(struct http_client *c)
{
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi); /* may still call on_curl_socket(REMOVE) */
	loop_timer_cancel(c->loop, &c->timer);
	for (size_t i = 0; i < c->n_fds; i++)
		loop_io_remove(c->loop, c->fds[i]);
	free(c->fds);
	free(c);
}

void http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	while (c->requests != NULL)
		http_cancel(c, c->requests);
	if (c->dispatch_depth > 0) {
		c->free_requested = true; /* finish_transfers destroys it on the way out */
		return;
	}
	client_destroy(c);
}
