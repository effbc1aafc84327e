/* check_kind.h — one kind of health check (tcp, http, script) behind a const ops table,
 * one file per kind: check_tcp.c, check_http.c, check_script.c.
 *
 * A kind knows how to run one probe and how to stop it; it knows nothing of intervals,
 * rise/fall or verdicts (check_runner.c). Every probe ends in exactly one of:
 *   - start() returns a negative errno: it failed at once, err says why, done is never called;
 *   - done(arg, ok, error) is called once, from a loop callback (never from inside start);
 *     the probe has released everything it holds before done is called;
 *   - cancel() is called while it is in flight: done is never called. */
#ifndef KEEPVIP_CHECK_KIND_H
#define KEEPVIP_CHECK_KIND_H

#include "check_settings.h"

#include <stdbool.h>
#include <stddef.h>

struct loop;
struct http_client;

#define CHECK_ERR_LEN 160

/* error: NULL when ok, else a short reason ("connection refused", "exit status 1"). */
typedef void (*check_probe_done_fn)(void *arg, bool ok, const char *error);

/* What a probe may use. */
struct check_env {
	struct loop *loop;
	struct http_client *http; /* set when some check is CHECK_HTTP */
};

struct check_kind_ops {
	const char *name; /* "tcp", "http", "script" */

	/* Writes a label for logs and status: "tcp:80", "http://127.0.0.1/healthz",
	 * "script:/usr/local/bin/lb-ok". Secrets are masked (userinfo of a URL). */
	void (*describe)(const struct check_settings *s, char *buf, size_t len);

	/* Starts one probe bounded by s->timeout_ms (the runner enforces the bound too, by
	 * cancelling). 0 and *probe, or negative errno and a message in err. */
	int (*start)(const struct check_env *env, const struct check_settings *s,
		     check_probe_done_fn done, void *arg, void **probe, char *err, size_t err_len);

	/* Stops a probe in flight and frees it, without calling done. A script is killed
	 * (its process group, SIGKILL) and reaped later on the loop. */
	void (*cancel)(const struct check_env *env, void *probe);
};

extern const struct check_kind_ops check_tcp_ops;
extern const struct check_kind_ops check_http_ops;
extern const struct check_kind_ops check_script_ops;

/* The ops of a kind (check_kinds.c); NULL for a value out of range. */
const struct check_kind_ops *check_kind_ops_of(enum check_kind kind);

#endif
