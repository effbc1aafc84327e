/* http.h — an asynchronous HTTP GET client on the event loop (libcurl multi interface).
 *
 * libcurl never blocks the loop: its sockets are watched with loop_io_add/modify/remove
 * (CURLMOPT_SOCKETFUNCTION) and its timeouts run on one loop_timer (CURLMOPT_TIMERFUNCTION).
 * Used by the HTTP health check and by the orchestrator adapters.
 *
 * One completion point: every request that http_get accepted ends in exactly one call of
 * its done callback, from a loop callback (never from inside http_get), unless it is
 * cancelled first (http_cancel, http_client_free). The body is bounded: a response larger
 * than max_body fails the request. A streamed body (on_chunk: a Kubernetes watch, Docker's
 * /events, Marathon's SSE) is handed over piece by piece and never kept; its reader bounds
 * what it keeps. Proxies from the environment (http_proxy, ...) are not
 * used unless asked for: the targets are local load balancers and in-cluster APIs. */
#ifndef KEEPVIP_HTTP_H
#define KEEPVIP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct http_client;
struct http_request;

#define HTTP_MAX_BODY_DEFAULT ((size_t)1 << 20) /* 1 MiB */
#define HTTP_TIMEOUT_MS_DEFAULT 10000u
#define HTTP_ERR_LEN 256

/* A streamed body (watch and event streams): called with each piece as it arrives, in order,
 * from a loop callback; status is the response's (known before the first piece). Returns 0
 * to go on, or a negative errno to stop the request: done then reports error "stopped by the
 * reader" (the reader knows why). */
typedef int (*http_chunk_fn)(void *arg, long status, const char *data, size_t len);

struct http_get_opts {
	const char *url;              /* http:// or https:// only */
	const char *const *headers;   /* "Name: value" lines, copied; NULL when n_headers == 0 */
	size_t n_headers;
	uint32_t timeout_ms;          /* the whole request; 0 = HTTP_TIMEOUT_MS_DEFAULT, or none
				       * when streaming (on_chunk set) */
	size_t max_body;              /* 0 = HTTP_MAX_BODY_DEFAULT; not used when streaming */
	const char *ca_file;          /* PEM bundle to verify the server; NULL = the system's */
	const char *cert_file;        /* client certificate (PEM), e.g. Docker's cert.pem; NULL */
	const char *key_file;         /* its private key (PEM); NULL */
	const char *unix_socket;      /* connect to this unix socket (Docker); NULL = TCP */
	bool use_env_proxy;           /* honour http_proxy / https_proxy / no_proxy */
	bool follow_redirects;        /* follow 3xx (at most 5), headers (credentials) included:
				       * for a Marathon standby that redirects to its leader */
	http_chunk_fn on_chunk;       /* stream the body to it instead of keeping it; NULL */
	uint32_t connect_timeout_ms;  /* 0 = libcurl's default */
	uint32_t idle_timeout_s;      /* streaming: fail ("nothing received for N s") when no
				       * byte arrives for this long (heartbeats count); 0 = never */
};

struct http_response {
	long status;           /* HTTP status code; 0 when no response came */
	const char *body;      /* NUL-terminated (also when empty); valid in the callback only */
	size_t body_len;
	const char *error;     /* NULL when a whole response arrived (whatever its status);
				* else what failed: "Connection refused", "timed out after 100 ms",
				* "response body larger than 1048576 bytes" */
	uint32_t duration_ms;
	long retry_after_s;    /* the Retry-After header in seconds (429, 503), or -1 */
};

/* Called once per request. May call http_get, http_cancel (on other requests) and
 * http_client_free. */
typedef void (*http_done_fn)(void *arg, const struct http_response *resp);

/* 0 and *out, or negative errno. */
int http_client_new(struct loop *loop, struct http_client **out);
/* Cancels every request still in flight (their callbacks are not called). Accepts NULL. */
void http_client_free(struct http_client *c);

/* Starts a GET. 0 and *out (may be NULL when the caller never cancels), or negative errno
 * with a message in err (done is then never called). *out stays valid until done is called
 * or the request is cancelled. */
int http_get(struct http_client *c, const struct http_get_opts *opts, http_done_fn done,
	     void *arg, struct http_request **out, char *err, size_t err_len);

/* Stops a request in flight; its done callback is not called. Accepts NULL. */
void http_cancel(struct http_client *c, struct http_request *r);

#endif
