/* test_k8s_adapter.c — the real kubernetes adapter, through adapter.c, on a real loop, against
 * tests/adapters/lib/fake_api.py over HTTPS (a CA made at test time) running
 * scenarios/kubernetes.py, with lib/adapter_harness.
 *
 * Covers: the first read (own pod, our Node's annotation, the list in pages), the watch
 * (events reported at once: the event-to-report latency is measured and printed; bookmarks
 * resumed from), 410 as an HTTP status and as an ERROR event (relist), 401 then a rotated
 * token file, 403 (the missing permission said once), 429 with Retry-After, a wrong CA
 * refused, an IPv6 API address, bodies huge, truncated or of wrong types (bounded memory,
 * last peers kept), a watch that never ends (dropped at its bound), the node annotation
 * applied live. No test's log holds the token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "adapter_harness.h"
#include "kubernetes.h"
#include "registry.h"
#include "log.h"
#include "loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define NS "keepvip-system"
#define OWN_POD "keepvip-8qcr6"
#define TOKEN_A "eyJhbGciOiJSUzI1NiJ9.token-a-rotates-hourly.c2lnbmF0dXJl"
#define TOKEN_B "eyJhbGciOiJSUzI1NiJ9.token-b-after-rotation.c2lnbmF0dXJl"
#define LATENCY_BOUND_US 100000u

struct fixture {
	struct fake_api api;
	struct loop *loop;
	struct harness_env env;
	struct log_capture log;
	struct settings *settings;
	struct adapter *adapter;
	char sa_dir[64];
	char token_file[96];
	unsigned updates;
	bool saw_empty;
	uint64_t last_update_us;
	struct adapter_discovery last;
	char fetch_err[ADAPTER_ERR_LEN];
};

static void write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void start_api(struct fixture *f, const char *bind, const char *const *opts)
{
	char port[16];
	fake_api_start(&f->api, &(struct fake_api_opts){ .scenario = "kubernetes.py", .tls = true,
							 .opts = opts, .bind = bind });
	snprintf(port, sizeof(port), "%u", f->api.port);
	harness_env_set(&f->env, "KUBERNETES_SERVICE_HOST", bind ? bind : "127.0.0.1");
	harness_env_set(&f->env, "KUBERNETES_SERVICE_PORT", port);
	harness_env_set(&f->env, "KEEPVIP_K8S_CA_FILE", f->api.ca_file);
}

static const char *const default_opts[] = {
	"lists=kubernetes/pods-list-page1.json+kubernetes/pods-list-page2.json", "max_page=1",
	"nodes=kubernetes/node-a-priority.json", "token=" TOKEN_A, NULL,
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	snprintf(f->sa_dir, sizeof(f->sa_dir), "/tmp/keepvip-k8s-sa-XXXXXX");
	assert_non_null(mkdtemp(f->sa_dir));
	snprintf(f->token_file, sizeof(f->token_file), "%s/token", f->sa_dir);
	char path[96];
	snprintf(path, sizeof(path), "%s/namespace", f->sa_dir);
	write_file(path, NS "\n");
	write_file(f->token_file, TOKEN_A "\n");
	assert_int_equal(loop_new(&f->loop), 0);
	harness_env_set(&f->env, "KEEPVIP_K8S_TOKEN_FILE", f->token_file);
	harness_env_set(&f->env, "POD_NAME", OWN_POD);
	harness_env_set(&f->env, "NODE_NAME", "node-a");
	harness_env_set(&f->env, "KEEPVIP_VIPS", "10.42.0.100/24");
	log_capture_start(&f->log);
	*state = f;
	return 0;
}

/* The whole log as text (for counts and the token check). */
static char *log_text(const struct fixture *f)
{
	FILE *fp = fopen(f->log.path, "r");
	static char buf[1 << 20];
	size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
	if (fp)
		fclose(fp);
	buf[n] = '\0';
	return buf;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[96];
	const char *text;

	adapter_close(f->adapter);
	loop_free(f->loop);
	fake_api_stop(&f->api);
	text = log_text(f);
	/* the token is a secret: in no log line, whatever happened */
	bool leaked = strstr(text, TOKEN_A) != NULL || strstr(text, TOKEN_B) != NULL ||
		      strstr(text, "token-a-rotates") != NULL;
	log_capture_stop(&f->log);
	unlink(f->token_file);
	snprintf(path, sizeof(path), "%s/namespace", f->sa_dir);
	unlink(path);
	rmdir(f->sa_dir);
	free(f->settings);
	free(f);
	assert_false(leaked);
	return 0;
}

static struct adapter_ctx ctx_of(struct fixture *f)
{
	char err[SETTINGS_ERR_LEN];
	harness_settings_expect_loaded(harness_settings_load(&f->env, &f->settings, err, sizeof(err)),
				       err);
	return (struct adapter_ctx){ .loop = f->loop, .settings = f->settings,
				     .env = harness_env_lookup, .env_ctx = &f->env };
}

static void on_update(void *arg, const struct adapter_discovery *d)
{
	struct fixture *f = arg;
	f->updates++;
	f->last_update_us = loop_now_us();
	if (d->n_peers == 0)
		f->saw_empty = true;
	f->last = *d;
}

static int open_adapter(struct fixture *f)
{
	struct adapter_ctx ctx = ctx_of(f);
	struct adapter_discovery *first = calloc(1, sizeof(*first));
	char err[256];
	assert_non_null(first);
	int fetched = adapter_first_fetch(&adapter_kubernetes_ops, &ctx, first, f->fetch_err,
					  sizeof(f->fetch_err));
	int rc = adapter_open(&adapter_kubernetes_ops, &ctx, fetched == 0 ? first : NULL,
			      on_update, f, &f->adapter, err, sizeof(err));
	if (rc != 0)
		print_error("adapter_open: %s\n", err);
	assert_int_equal(rc, 0);
	free(first);
	return fetched;
}

static void open_and_watch(struct fixture *f)
{
	int rc = open_adapter(f);
	if (rc != 0)
		print_error("first fetch: %s\n", f->fetch_err);
	assert_int_equal(rc, 0);
	assert_int_equal(adapter_start(f->adapter), 0);
	harness_run_for(f->loop, 300); /* the list again (no resume of names), then the watch */
}

struct until_updates { const struct fixture *f; unsigned n; };

static bool updates_pred(const void *arg)
{
	const struct until_updates *u = arg;
	return u->f->updates >= u->n;
}

static bool updates_reach(struct fixture *f, unsigned n, unsigned ms)
{
	struct until_updates u = { f, n };
	return harness_run_until(f->loop, updates_pred, &u, ms);
}

struct needle { const struct fixture *f; const char *s; };

static bool log_pred(const void *arg)
{
	const struct needle *n = arg;
	return log_capture_has(&n->f->log, n->s);
}

static bool log_shows_within(struct fixture *f, const char *s, unsigned ms)
{
	struct needle n = { f, s };
	return harness_run_until(f->loop, log_pred, &n, ms);
}

static void control(const struct fixture *f, const char *what)
{
	fake_api_control_ok(&f->api, what);
}

static long stat_int(const struct fixture *f, const char *key)
{
	json_t *st = fake_api_control(&f->api, "stats");
	long v = (long)json_integer_value(json_object_get(st, key));
	json_decref(st);
	return v;
}

static bool has_peer(const struct adapter_discovery *d, const char *addr)
{
	char text[IP_ADDR_STRLEN];
	for (size_t i = 0; i < d->n_peers; i++)
		if (strcmp(ip_addr_str(&d->peers[i], text), addr) == 0)
			return true;
	return false;
}

static void assert_peers(const struct adapter_discovery *d, const char *const *want, size_t n)
{
	char text[IP_ADDR_STRLEN];
	assert_int_equal(d->n_peers, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(ip_addr_str(&d->peers[i], text), want[i]);
}

static const char *const listed_peers[] = { "10.42.0.12", "10.42.0.14" };

static unsigned count_in(const char *text, const char *needle)
{
	unsigned n = 0;
	for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* ---- first read ------------------------------------------------------------------------- */

static void test_first_read_pages_self_and_node(void **state)
{
	struct fixture *f = *state;
	char text[IP_ADDR_STRLEN];

	start_api(f, NULL, default_opts);
	assert_int_equal(open_adapter(f), 0);
	const struct adapter_discovery *d = adapter_last(f->adapter);
	assert_non_null(d);
	assert_true(d->has_self);
	assert_string_equal(ip_addr_str(&d->self, text), "10.42.0.11");
	/* page 2's terminating pod (10.42.0.13) is not a peer */
	assert_peers(d, listed_peers, 2);
	assert_int_equal(d->n_overrides, 1);
	assert_string_equal(d->overrides[0].env_name, "KEEPVIP_PRIORITY");
	assert_string_equal(d->overrides[0].value, "200");
	assert_true(d->overrides[0].over_env);
	assert_string_equal(d->resume, "48213");
	/* one page per pod (max_page=1): four pages, the continue token passed on */
	assert_int_equal(stat_int(f, "lists"), 4);
	assert_int_equal(fake_api_requests(&f->api, "/api/v1/nodes/node-a"), 1);
	assert_int_equal(fake_api_requests(&f->api, "/api/v1/namespaces/" NS "/pods/" OWN_POD), 1);
}

static void test_default_selector_and_bad_settings(void **state)
{
	struct fixture *f = *state;
	start_api(f, NULL, default_opts);
	assert_int_equal(open_adapter(f), 0);
	assert_true(log_capture_has(&f->log, "matching app.kubernetes.io/name=keepvip (our pod's "
					     "labels less the controller's)"));
	json_t *reqs = fake_api_control(&f->api, "requests");
	bool seen = false;
	for (size_t i = 0; i < json_array_size(reqs); i++) {
		json_t *q = json_object_get(json_array_get(reqs, i), "query");
		const char *sel = json_string_value(json_object_get(q, "labelSelector"));
		seen |= sel != NULL && strcmp(sel, "app.kubernetes.io/name=keepvip") == 0;
	}
	json_decref(reqs);
	assert_true(seen);

	/* bad settings: an http:// API, a bad selector */
	struct settings_adapters adapters;
	char err[SETTINGS_ERR_LEN];
	struct settings *s = calloc(1, sizeof(*s));
	adapter_registry_settings(&adapters);
	harness_env_set(&f->env, "KEEPVIP_K8S_API", "http://127.0.0.1:1");
	struct settings_inputs in = { .env = { "env", harness_env_lookup, &f->env },
				      .adapters = &adapters };
	assert_int_equal(settings_load(&in, s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "env KEEPVIP_K8S_API"));
	harness_env_unset(&f->env, "KEEPVIP_K8S_API");
	harness_env_set(&f->env, "KEEPVIP_K8S_SELECTOR", "app in (a");
	assert_int_equal(settings_load(&in, s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "env KEEPVIP_K8S_SELECTOR"));
	free(s);
}

/* ---- the watch -------------------------------------------------------------------------- */

/* Each pod event reaches the report within LATENCY_BOUND_US of the fake writing it. */
static void test_events_reported_at_once(void **state)
{
	struct fixture *f = *state;
	uint64_t worst = 0, sum = 0;
	const unsigned rounds = 20;
	char what[128];

	start_api(f, NULL, default_opts);
	open_and_watch(f);
	for (unsigned i = 0; i < rounds; i++) {
		unsigned before = f->updates;
		if (i % 2 == 0)
			snprintf(what, sizeof(what), "add?name=keepvip-new&ip=10.42.0.20");
		else
			snprintf(what, sizeof(what), "delete?name=keepvip-new");
		control(f, what);
		assert_true(updates_reach(f, before + 1, 2000));
		assert_int_equal(has_peer(&f->last, "10.42.0.20"), i % 2 == 0);
		json_t *st = fake_api_control(&f->api, "stats");
		json_t *sent = json_object_get(st, "sent");
		double at = json_real_value(json_array_get(sent, json_array_size(sent) - 1));
		json_decref(st);
		uint64_t sent_us = (uint64_t)(at * 1e6);
		uint64_t lat = f->last_update_us > sent_us ? f->last_update_us - sent_us : 0;
		worst = lat > worst ? lat : worst;
		sum += lat;
	}
	print_message("pod event to report: mean %.2f ms, worst %.2f ms over %u events\n",
		      (double)sum / rounds / 1000.0, (double)worst / 1000.0, rounds);
	assert_true(worst < LATENCY_BOUND_US);
	assert_int_equal(stat_int(f, "lists"), 8); /* first fetch + open: no relist */
	assert_false(f->saw_empty);
}

/* A closed watch resumes from the last RV, a bookmark's included: no relist. */
static void test_bookmark_then_resume(void **state)
{
	struct fixture *f = *state;
	start_api(f, NULL, default_opts);
	open_and_watch(f);
	json_t *answer = fake_api_control(&f->api, "bookmark");
	char rv[32];
	snprintf(rv, sizeof(rv), "%s", json_string_value(json_object_get(answer, "rv")));
	json_decref(answer);
	harness_run_for(f->loop, 300);
	long watches = stat_int(f, "watches");
	control(f, "close_watches");
	harness_run_for(f->loop, 500);
	assert_int_equal(stat_int(f, "watches"), watches + 1);
	json_t *reqs = fake_api_control(&f->api, "requests"), *q = NULL;
	for (size_t i = 0; i < json_array_size(reqs); i++) { /* the last pod watch */
		json_t *r = json_array_get(reqs, i);
		if (strcmp(json_string_value(json_object_get(r, "path")),
			   "/api/v1/namespaces/" NS "/pods") == 0 &&
		    json_object_get(json_object_get(r, "query"), "watch") != NULL)
			q = json_object_get(r, "query");
	}
	assert_non_null(q);
	assert_string_equal(json_string_value(json_object_get(q, "resourceVersion")), rv);
	assert_string_equal(json_string_value(json_object_get(q, "allowWatchBookmarks")), "true");
	json_decref(reqs);
	assert_int_equal(stat_int(f, "lists"), 8);
	unsigned before = f->updates;
	control(f, "add?name=keepvip-late&ip=10.42.0.21");
	assert_true(updates_reach(f, before + 1, 2000));
	assert_true(has_peer(&f->last, "10.42.0.21"));
}

/* 410 as an ERROR event in the stream, then as the watch's HTTP status: both relist. */
static void test_gone_both_forms_relist(void **state)
{
	struct fixture *f = *state;
	start_api(f, NULL, default_opts);
	open_and_watch(f);
	long lists = stat_int(f, "lists");
	control(f, "expire");
	assert_true(log_shows_within(f, "ERROR", 2000) || log_shows_within(f, "410", 100));
	harness_run_for(f->loop, 500);
	assert_int_equal(stat_int(f, "lists"), lists + 4);
	control(f, "compact");
	assert_true(log_shows_within(f, "HTTP 410 Gone", 2000));
	harness_run_for(f->loop, 500);
	assert_int_equal(stat_int(f, "lists"), lists + 8);
	unsigned before = f->updates;
	control(f, "add?name=keepvip-new&ip=10.42.0.20");
	assert_true(updates_reach(f, before + 1, 2000));
	assert_true(has_peer(&f->last, "10.42.0.20"));
	assert_false(f->saw_empty);
}

/* The token rotates: the old one gets 401; the adapter reads the file again and goes on. */
static void test_401_then_rotated_token(void **state)
{
	struct fixture *f = *state;
	start_api(f, NULL, default_opts);
	open_and_watch(f);
	control(f, "token?value=" TOKEN_B);
	control(f, "close_watches");
	assert_true(log_shows_within(f, "HTTP 401 Unauthorized", 3000));
	write_file(f->token_file, TOKEN_B "\n"); /* the kubelet's rotation */
	unsigned before = f->updates;
	control(f, "add?name=keepvip-new&ip=10.42.0.20");
	assert_true(updates_reach(f, before + 1, 5000));
	assert_true(has_peer(&f->last, "10.42.0.20"));
	assert_peers(adapter_last(f->adapter), (const char *const[]){ "10.42.0.12", "10.42.0.14",
								       "10.42.0.20" }, 3);
}

/* 403: the missing permission is said once, the peers stay, and it recovers. */
static void test_403_said_once(void **state)
{
	struct fixture *f = *state;
	start_api(f, NULL, default_opts);
	open_and_watch(f);
	control(f, "fail?kind=watch&status=403&times=2");
	control(f, "close_watches");
	harness_run_for(f->loop, 4500); /* two failures: backoff 1 s, then 2 s */
	assert_int_equal(count_in(log_text(f), "permission missing: watch pods in namespace " NS),
			 1);
	assert_peers(adapter_last(f->adapter), listed_peers, 2);
	unsigned before = f->updates;
	control(f, "add?name=keepvip-new&ip=10.42.0.20");
	assert_true(updates_reach(f, before + 1, 3000));
}

/* 429 with Retry-After: 3: the next request comes no sooner. */
static void test_429_honours_retry_after(void **state)
{
	struct fixture *f = *state;
	start_api(f, NULL, default_opts);
	open_and_watch(f);
	control(f, "fail?kind=watch&status=429&times=1&retry_after=3");
	control(f, "close_watches");
	harness_run_for(f->loop, 4500);
	json_t *st = fake_api_control(&f->api, "stats");
	json_t *log = json_object_get(st, "log");
	double t429 = 0, next = 0;
	size_t n = json_array_size(log);
	unsigned watch_seen = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(log, i);
		json_t *q = json_array_get(e, 2);
		if (json_object_get(q, "watch") == NULL ||
		    strcmp(json_string_value(json_array_get(e, 1)), "/api/v1/namespaces/" NS "/pods"))
			continue;
		watch_seen++;
		if (watch_seen == 2)
			t429 = json_real_value(json_array_get(e, 0));
		if (watch_seen == 3)
			next = json_real_value(json_array_get(e, 0));
	}
	json_decref(st);
	assert_true(next > 0);
	print_message("429 with Retry-After 3: next request after %.2f s\n", next - t429);
	assert_true(next - t429 >= 2.95);
	assert_true(log_capture_has(&f->log, "Retry-After 3 s"));
	assert_peers(adapter_last(f->adapter), listed_peers, 2);
}

static void test_wrong_ca_refused(void **state)
{
	struct fixture *f = *state;
	start_api(f, NULL, default_opts);
	/* a bundle that did not sign the server's certificate */
	harness_env_set(&f->env, "KEEPVIP_K8S_CA_FILE", "/etc/ssl/certs/ca-certificates.crt");
	assert_true(open_adapter(f) < 0);
	assert_non_null(strstr(f->fetch_err, "certificate"));
	assert_int_equal(stat_int(f, "total"), 0); /* nothing was asked over it */
}

static void test_ipv6_api_address(void **state)
{
	struct fixture *f = *state;
	start_api(f, "::1", default_opts); /* KUBERNETES_SERVICE_HOST=::1: https://[::1]:PORT */
	assert_int_equal(open_adapter(f), 0);
	assert_peers(adapter_last(f->adapter), listed_peers, 2);
}

static long max_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* Huge, truncated, wrongly typed answers: an error with the reason, the last peers kept,
 * memory bounded (a list page by K8S_MAX_LIST_BYTES, a watch line by K8S_MAX_EVENT_BYTES). */
static void test_bad_bodies_keep_last_peers(void **state)
{
	struct fixture *f = *state;
	static const struct { const char *kind, *says; } cases[] = {
		{ "huge", "larger than" },
		{ "truncated", "GET /api/v1/namespaces/" NS "/pods?" },
		{ "wrong_types", "items[0]" },
		{ "huge_event", "an event longer than 1048576 bytes" },
		{ "bad_event", "pod watch" },
	};
	char what[64];

	start_api(f, NULL, default_opts);
	open_and_watch(f);
	long rss = max_rss_kb();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t errors_before = 0, errors = 0, updates = 0;
		adapter_counts(f->adapter, &updates, &errors_before);
		snprintf(what, sizeof(what), "body?kind=%s", cases[i].kind);
		control(f, what);
		control(f, strstr(cases[i].kind, "event") ? "close_watches" : "compact");
		assert_true(log_shows_within(f, cases[i].says, 5000));
		harness_run_until(f->loop, NULL, NULL, 300);
		adapter_counts(f->adapter, &updates, &errors);
		assert_true(errors > errors_before);
		assert_peers(adapter_last(f->adapter), listed_peers, 2);
		control(f, "clear");
		harness_run_for(f->loop, 2500); /* the backoff, then a good read */
	}
	print_message("max RSS grew by %ld kB over the bad bodies\n", max_rss_kb() - rss);
	assert_true(max_rss_kb() - rss < 96 * 1024);
	assert_false(f->saw_empty);
	control(f, "add?name=keepvip-new&ip=10.42.0.20");
	assert_true(log_shows_within(f, "pod keepvip-new added", 8000));
}

/* Issue 13 point 5: a watch that never ends, whether it streams bookmarks (timeoutSeconds
 * ignored) or nothing, is dropped at KEEPVIP_K8S_WATCH_S + 1/8 + 5 s (1 s: 6 s), the last
 * peers kept, and resumed; a line of 1 GiB that never ends is cut at K8S_MAX_EVENT_BYTES. */
static void test_watch_that_never_ends(void **state)
{
	struct fixture *f = *state;
	static const struct { const char *kind, *says; } cases[] = {
		{ "watch_bookmarks", "timed out after 6000 ms" },
		{ "watch_silent", "nothing received for 6 s" },
		{ "watch_endless", "an event longer than 1048576 bytes" },
	};
	char what[64];

	harness_env_set(&f->env, "KEEPVIP_K8S_WATCH_S", "1");
	start_api(f, NULL, default_opts);
	open_and_watch(f);
	long rss = max_rss_kb();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned before = f->updates;
		snprintf(what, sizeof(what), "body?kind=%s", cases[i].kind);
		control(f, what);
		control(f, "close_watches");
		assert_true(log_shows_within(f, cases[i].says, 9000));
		assert_int_equal(f->updates, before);
		assert_peers(adapter_last(f->adapter), listed_peers, 2);
		control(f, "clear");
		control(f, "close_watches");
		harness_run_for(f->loop, 2500); /* the backoff, then a good read */
	}
	print_message("max RSS grew by %ld kB over the watches\n", max_rss_kb() - rss);
	/* 1 GiB streamed, kept under 1 MiB a line (ASan's quarantine holds freed buffers too) */
	assert_true(max_rss_kb() - rss < 48 * 1024);
	assert_false(f->saw_empty);
	control(f, "add?name=keepvip-new&ip=10.42.0.20");
	assert_true(log_shows_within(f, "pod keepvip-new added", 8000));
}

/* The annotation changes, goes, and is wrong: the override follows, the last one kept. */
static void test_node_annotation_live(void **state)
{
	struct fixture *f = *state;
	start_api(f, NULL, default_opts);
	open_and_watch(f);
	assert_string_equal(adapter_last(f->adapter)->overrides[0].value, "200");
	unsigned before = f->updates;
	control(f, "annotate?node=node-a&value=150");
	assert_true(updates_reach(f, before + 1, 2000));
	assert_int_equal(f->last.n_overrides, 1);
	assert_string_equal(f->last.overrides[0].value, "150");
	assert_peers(&f->last, listed_peers, 2);
	control(f, "annotate?node=node-a&value=high");
	assert_true(log_shows_within(f, "keeping the priority in use", 2000));
	assert_int_equal(f->updates, before + 1);
	control(f, "annotate?node=node-a");
	assert_true(updates_reach(f, before + 2, 2000));
	assert_int_equal(f->last.n_overrides, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_read_pages_self_and_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_selector_and_bad_settings, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_events_reported_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bookmark_then_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gone_both_forms_relist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_401_then_rotated_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_403_said_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_429_honours_retry_after, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_ca_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_api_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_bodies_keep_last_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_that_never_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_node_annotation_live, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
