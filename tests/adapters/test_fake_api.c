/* test_fake_api.c — the shared adapter test harness itself, through keepvip's own HTTP client
 * on a real loop: what the coming adapters will stand on. A JSON scenario (selftest.json)
 * replays fixtures over plain TCP, TLS (a CA made at start, verified by the client) and a
 * unix socket (the Docker Engine's transport); scripted streams arrive whole through chunked
 * encoding, a stream closed mid-way fails, a delay runs into the client's timeout, a route
 * used up ("times") falls through to the next, and the server counts what it saw. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "adapter_harness.h"
#include "http.h"
#include "loop.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct answer {
	bool done;
	long status;
	long retry_after_s;
	char error[HTTP_ERR_LEN];
	char *body;
	size_t body_len;
};

static void on_answer(void *arg, const struct http_response *resp)
{
	struct answer *a = arg;
	a->done = true;
	a->status = resp->status;
	a->retry_after_s = resp->retry_after_s;
	snprintf(a->error, sizeof(a->error), "%s", resp->error ? resp->error : "");
	a->body = malloc(resp->body_len + 1);
	assert_non_null(a->body);
	memcpy(a->body, resp->body, resp->body_len + 1);
	a->body_len = resp->body_len;
}

static bool answered(const void *arg)
{
	return ((const struct answer *)arg)->done;
}

/* GET path from the fake through http.h on a fresh loop; the caller frees a->body. */
static void get(const struct fake_api *api, const char *path, uint32_t timeout_ms,
		struct answer *a)
{
	struct loop *loop = NULL;
	struct http_client *http = NULL;
	char url[256], err[HTTP_ERR_LEN];
	struct http_get_opts o = { .url = url, .timeout_ms = timeout_ms };

	memset(a, 0, sizeof(*a));
	snprintf(url, sizeof(url), "%s%s", api->base_url, path);
	if (api->ca_file[0] != '\0')
		o.ca_file = api->ca_file;
	if (api->unix_path[0] != '\0')
		o.unix_socket = api->unix_path;
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(http_client_new(loop, &http), 0);
	assert_int_equal(http_get(http, &o, on_answer, a, NULL, err, sizeof(err)), 0);
	assert_true(harness_run_until(loop, answered, a, 10000));
	http_client_free(http);
	loop_free(loop);
}

static size_t count_lines(const char *text)
{
	size_t n = 0;
	for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++)
		n++;
	return n;
}

static void fixture_replayed(const struct fake_api *api)
{
	struct answer a;
	get(api, "/v1.43/info", 5000, &a);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.error, "");
	assert_non_null(strstr(a.body, "\"Swarm\""));
	free(a.body);
	assert_int_equal(fake_api_requests(api, "/v1.43/info"), 1);
}

static void test_tcp(void **state)
{
	(void)state;
	struct fake_api api;
	struct answer a;

	fake_api_start(&api, &(struct fake_api_opts){ .scenario = "selftest.json" });
	fixture_replayed(&api);

	/* a route used up falls through: 429 with Retry-After once, then 200 */
	get(&api, "/busy", 5000, &a);
	assert_int_equal(a.status, 429);
	assert_int_equal(a.retry_after_s, 2);
	free(a.body);
	json_t *seen = fake_api_control(&api, "requests");
	assert_true(json_array_size(seen) >= 2);
	json_decref(seen);
	get(&api, "/busy", 5000, &a);
	assert_int_equal(a.status, 200);
	assert_int_equal(a.retry_after_s, -1);
	free(a.body);

	/* a watch stream, chunked, whole: every event of the fixture */
	get(&api, "/api/v1/namespaces/keepvip-system/pods?watch=1&resourceVersion=48213", 5000,
	    &a);
	assert_int_equal(a.status, 200);
	assert_string_equal(a.error, "");
	assert_true(count_lines(a.body) >= 5);
	assert_non_null(strstr(a.body, "\"BOOKMARK\""));
	free(a.body);

	/* a held stream ends after its pause, with both events */
	get(&api, "/events", 5000, &a);
	assert_non_null(strstr(a.body, "service"));
	assert_non_null(strstr(a.body, "node"));
	free(a.body);

	/* an SSE stream closed mid-way: no whole answer */
	get(&api, "/v2/events", 5000, &a);
	assert_string_not_equal(a.error, "");
	free(a.body);

	/* a delay longer than the client waits */
	get(&api, "/slow", 300, &a);
	assert_non_null(strstr(a.error, "timed out"));
	free(a.body);

	/* unknown paths: 404, counted */
	get(&api, "/nowhere", 5000, &a);
	assert_int_equal(a.status, 404);
	free(a.body);
	assert_int_equal(fake_api_requests(&api, "/nowhere"), 1);

	/* outage: 500 for a while */
	fake_api_control_ok(&api, "down?seconds=1&mode=500");
	get(&api, "/v1.43/info", 5000, &a);
	assert_int_equal(a.status, 500);
	free(a.body);
	fake_api_stop(&api);
}

/* ---- a streamed body: pieces as they arrive, never kept ---------------------------------- */

struct stream {
	struct answer end;
	char text[4096];
	size_t len;
	unsigned pieces;
	long status;
	uint64_t first_us, node_us; /* when the first piece, and the "node" event, arrived */
	int stop_after;             /* > 0: refuse the piece after this many */
};

static int on_piece(void *arg, long status, const char *data, size_t len)
{
	struct stream *s = arg;
	if (s->stop_after > 0 && (int)s->pieces >= s->stop_after)
		return -EPROTO;
	s->status = status;
	if (s->pieces++ == 0)
		s->first_us = loop_now_us();
	assert_true(s->len + len < sizeof(s->text));
	memcpy(s->text + s->len, data, len);
	s->len += len;
	s->text[s->len] = '\0';
	if (s->node_us == 0 && strstr(s->text, "node") != NULL)
		s->node_us = loop_now_us();
	return 0;
}

static bool stream_ended(const void *arg)
{
	return ((const struct stream *)arg)->end.done;
}

static void stream(const struct fake_api *api, const char *path, uint32_t idle_s,
		   struct stream *s)
{
	struct loop *loop = NULL;
	struct http_client *http = NULL;
	char url[256], err[HTTP_ERR_LEN];
	struct http_get_opts o = { .url = url, .on_chunk = on_piece, .idle_timeout_s = idle_s };

	snprintf(url, sizeof(url), "%s%s", api->base_url, path);
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(http_client_new(loop, &http), 0);
	assert_int_equal(http_get(http, &o, on_answer, &s->end, NULL, err, sizeof(err)), 0);
	assert_true(harness_run_until(loop, stream_ended, s, 10000));
	http_client_free(http);
	loop_free(loop);
}

static void test_streaming(void **state)
{
	(void)state;
	struct fake_api api;
	struct stream *s = calloc(1, sizeof(*s));
	assert_non_null(s);

	fake_api_start(&api, &(struct fake_api_opts){ .scenario = "selftest.json" });
	/* the first event comes before the stream's 300 ms pause, the second after it */
	stream(&api, "/events", 0, s);
	assert_int_equal(s->status, 200);
	assert_string_equal(s->end.error, "");
	assert_int_equal(s->end.body_len, 0); /* handed over, not kept */
	assert_non_null(strstr(s->text, "service"));
	assert_true(s->node_us - s->first_us >= 250000u);
	free(s->end.body);

	/* the reader stops it */
	memset(s, 0, sizeof(*s));
	s->stop_after = 1;
	stream(&api, "/events", 0, s);
	assert_string_equal(s->end.error, "stopped by the reader");
	assert_int_equal(s->pieces, 1);
	free(s->end.body);

	/* nothing for longer than the idle bound: lost */
	memset(s, 0, sizeof(*s));
	stream(&api, "/quiet", 1, s);
	assert_string_equal(s->end.error, "nothing received for 1 s");
	assert_null(strstr(s->text, "node"));
	free(s->end.body);
	fake_api_stop(&api);
	free(s);
}

static void test_tls(void **state)
{
	(void)state;
	struct fake_api api;
	struct answer a;

	fake_api_start(&api, &(struct fake_api_opts){ .scenario = "selftest.json", .tls = true });
	assert_int_equal(strncmp(api.base_url, "https://", 8), 0);
	assert_int_equal(access(api.ca_file, R_OK), 0);
	fixture_replayed(&api);

	/* without the test CA the certificate is refused */
	char ca[sizeof(api.ca_file)];
	snprintf(ca, sizeof(ca), "%s", api.ca_file);
	api.ca_file[0] = '\0';
	get(&api, "/v1.43/info", 5000, &a);
	assert_int_equal(a.status, 0);
	assert_string_not_equal(a.error, "");
	free(a.body);
	snprintf(api.ca_file, sizeof(api.ca_file), "%s", ca);
	fake_api_stop(&api);
}

static void test_unix_socket(void **state)
{
	(void)state;
	struct fake_api api;
	char path[64];

	snprintf(path, sizeof(path), "/tmp/keepvip-fake-%d.sock", (int)getpid());
	fake_api_start(&api, &(struct fake_api_opts){ .scenario = "selftest.json",
						       .unix_path = path });
	assert_int_equal(api.port, 0);
	fixture_replayed(&api);
	fake_api_stop(&api);
	assert_int_not_equal(access(path, F_OK), 0); /* the socket is gone */
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_unix_socket),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return failed;
}
