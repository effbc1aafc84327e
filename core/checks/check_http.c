/* check_http.c — HTTP check: GET the URL through http.c (libcurl multi on the loop);
 * healthy on a 2xx status. Redirects are not followed (a 3xx is unhealthy, as keepalived's
 * HTTP_GET without a matching status_code). */
#include "check_kind.h"

#include "http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct http_probe {
	struct http_request *request;
	check_probe_done_fn done;
	void *arg;
};

/* The URL itself, its userinfo masked: user:password@ becomes ***@. */
static void http_describe(const struct check_settings *s, char *buf, size_t len)
{
	const char *url = s->target;
	const char *authority = strstr(url, "://");
	const char *at = NULL;

	if (authority != NULL) {
		authority += 3;
		at = memrchr(authority, '@', strcspn(authority, "/?#"));
	}
	if (at == NULL)
		snprintf(buf, len, "%s", url);
	else
		snprintf(buf, len, "%.*s***%s", (int)(authority - url), url, at);
}

static void on_http_done(void *arg, const struct http_response *resp)
{
	struct http_probe *p = arg;
	check_probe_done_fn done = p->done;
	void *done_arg = p->arg;
	char why[CHECK_ERR_LEN];
	bool ok = resp->error == NULL && resp->status >= 200 && resp->status < 300;

	free(p);
	if (ok) {
		done(done_arg, true, NULL);
		return;
	}
	if (resp->error != NULL)
		snprintf(why, sizeof(why), "%s", resp->error);
	else
		snprintf(why, sizeof(why), "HTTP status %ld", resp->status);
	done(done_arg, false, why);
}

static int http_start(const struct check_env *env, const struct check_settings *s,
		      check_probe_done_fn done, void *arg, void **probe, char *err, size_t err_len)
{
	struct http_get_opts opts = {
		.url = s->target,
		.timeout_ms = s->timeout_ms,
		.max_body = HTTP_MAX_BODY_DEFAULT,
	};
	struct http_probe *p;
	int rc;

	if (env->http == NULL) {
		snprintf(err, err_len, "no HTTP client");
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	p->done = done;
	p->arg = arg;
	rc = http_get(env->http, &opts, on_http_done, p, &p->request, err, err_len);
	if (rc < 0) {
		free(p);
		return rc;
	}
	*probe = p;
	return 0;
}

static void http_cancel_probe(const struct check_env *env, void *probe)
{
	struct http_probe *p = probe;

	http_cancel(env->http, p->request);
	free(p);
}

const struct check_kind_ops check_http_ops = {
	.name = "http",
	.describe = http_describe,
	.start = http_start,
	.cancel = http_cancel_probe,
};
