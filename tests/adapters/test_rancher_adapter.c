/* test_rancher_adapter.c — the real rancher adapter, through adapter.c, on a real loop,
 * against tests/adapters/lib/fake_api.py running scenarios/rancher.py (a fake
 * rancher-metadata replaying ../shared/fixtures/rancher), with lib/adapter_harness.
 *
 * Covers: the first fetch under every metadata version, once and bounded, and a failed one
 * asked again only after the backoff; the watch going on from the first fetch's version;
 * finding the service through /self/service; changes seen by the long poll (a container
 * stopped and started, a host reconnecting, the version changing); an outage (500s, dropped
 * connections) that keeps the last peers and backs off; an old server that ignores
 * wait=true, which must not make us spin; a quiet long poll; bad answers (truncated, huge,
 * wrong types, not JSON, an unknown shape, an unknown version) that log a clear line and
 * leave the peers as they were; hostile answers (issue 13: 1 GiB streamed forever, a byte a
 * second, a long poll that never ends, bytes that are not UTF-8, arrays nested 100,000 deep)
 * that end at a bound — the answer cap (memory checked), the request timeout, the long poll's
 * maxWait + slack — and keep the peers too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "adapter_harness.h"
#include "rancher.h"
#include "registry.h"
#include "log.h"
#include "loop.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define SERVICE_PATH "/2015-12-19/stacks/keepvip/services/keepvip"

struct fixture {
	struct fake_api api;
	struct loop *loop;
	struct harness_env env;
	struct log_capture log;
	struct settings *settings;           /* loaded from env (ctx_of) */
	struct adapter *adapter;
	unsigned updates;
	bool saw_empty;                      /* an update without peers: must never happen */
	struct adapter_discovery last;
	char fetch_err[ADAPTER_ERR_LEN];
};

static void use_version(struct fixture *f, const char *version)
{
	char url[160];
	snprintf(url, sizeof(url), "%s/%s", f->api.base_url, version);
	harness_env_set(&f->env, "KEEPVIP_RANCHER_METADATA_URL", url);
}

static void control_ok(const struct fixture *f, const char *what)
{
	fake_api_control_ok(&f->api, what);
}

static long requests(const struct fixture *f, const char *path)
{
	return fake_api_requests(&f->api, path);
}

/* The env as loaded settings (every adapter's keys, from the registry), as the app loads
 * them: the adapter reads its settings from there. 0, or -EINVAL with the message in err. */
static int load_settings(struct fixture *f, char *err, size_t err_len)
{
	harness_env_set(&f->env, "KEEPVIP_VIPS", "10.0.0.100");
	return harness_settings_load(&f->env, &f->settings, err, err_len);
}

static struct adapter_ctx ctx_of(struct fixture *f, struct loop *loop)
{
	char err[SETTINGS_ERR_LEN];
	harness_settings_expect_loaded(load_settings(f, err, sizeof(err)), err);
	return (struct adapter_ctx){ .loop = loop, .settings = f->settings };
}

/* ---- the adapter ------------------------------------------------------------------------ */

static void on_update(void *arg, const struct adapter_discovery *d)
{
	struct fixture *f = arg;
	f->updates++;
	if (d->n_peers == 0)
		f->saw_empty = true;
	f->last = *d;
}

/* As `keepvip run` does: the first fetch (bounded, before the loop), then the adapter opened
 * on the loop with its answer, or with none when it failed. Returns the first fetch's rc. */
static int open_adapter(struct fixture *f)
{
	struct adapter_ctx ctx = ctx_of(f, f->loop);
	struct adapter_discovery *first = calloc(1, sizeof(*first));
	char err[256];

	assert_non_null(first);
	int fetched = adapter_first_fetch(&adapter_rancher_ops, &ctx, first, f->fetch_err,
					  sizeof(f->fetch_err));
	int rc = adapter_open(&adapter_rancher_ops, &ctx, fetched == 0 ? first : NULL, on_update,
			      f, &f->adapter, err, sizeof(err));
	if (rc != 0)
		print_error("adapter_open: %s\n", err);
	assert_int_equal(rc, 0);
	free(first);
	return fetched;
}

static void start_adapter(struct fixture *f)
{
	assert_int_equal(adapter_start(f->adapter), 0);
}

static void run_for(struct fixture *f, unsigned ms)
{
	harness_run_for(f->loop, ms);
}

struct updates_at_least {
	const struct fixture *f;
	unsigned n;
};

static bool updates_reach_pred(const void *arg)
{
	const struct updates_at_least *u = arg;
	return u->f->updates >= u->n;
}

static bool updates_reach(struct fixture *f, unsigned n, unsigned ms)
{
	struct updates_at_least u = { f, n };
	return harness_run_until(f->loop, updates_reach_pred, &u, ms);
}

struct log_needle {
	const struct fixture *f;
	const char *needle;
};

static bool log_has_pred(const void *arg)
{
	const struct log_needle *l = arg;
	return log_capture_has(&l->f->log, l->needle);
}

static bool log_has(const struct fixture *f, const char *needle)
{
	return log_capture_has(&f->log, needle);
}

static bool log_shows_within(struct fixture *f, const char *needle, unsigned ms)
{
	struct log_needle l = { f, needle };
	return harness_run_until(f->loop, log_has_pred, &l, ms);
}

static void assert_peers(const struct adapter_discovery *d, const char *const *want, size_t n)
{
	char text[IP_ADDR_STRLEN];
	assert_non_null(d);
	assert_int_equal(d->n_peers, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(ip_addr_str(&d->peers[i], text), want[i]);
}

static const char *const both_peers[] = { "10.42.0.12", "10.42.0.13" };

/* ---- setup ------------------------------------------------------------------------------ */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	fake_api_start(&f->api, &(struct fake_api_opts){ .scenario = "rancher.py" });
	assert_int_equal(loop_new(&f->loop), 0);
	use_version(f, "2015-12-19");
	harness_env_set(&f->env, "KEEPVIP_RANCHER_STACK", "keepvip");
	harness_env_set(&f->env, "KEEPVIP_RANCHER_SERVICE", "keepvip");
	log_capture_start(&f->log);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	adapter_close(f->adapter);
	loop_free(f->loop);
	fake_api_stop(&f->api);
	log_capture_stop(&f->log);
	free(f->settings);
	free(f);
	return 0;
}

/* ---- first fetch ------------------------------------------------------------------------ */

static void test_first_fetch_every_version(void **state)
{
	struct fixture *f = *state;
	static const char *const versions[] = { "2015-07-25", "2015-12-19", "2016-07-29", "latest" };
	char text[IP_ADDR_STRLEN];

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		char version_path[64];
		use_version(f, versions[i]);
		assert_int_equal(open_adapter(f), 0);
		snprintf(version_path, sizeof(version_path), "/%s/version", versions[i]);
		assert_int_equal(requests(f, version_path), 1); /* one read: nothing left running */
		const struct adapter_discovery *d = adapter_last(f->adapter);
		assert_non_null(d);
		assert_true(d->has_self);
		assert_string_equal(ip_addr_str(&d->self, text), "10.42.0.11");
		assert_peers(d, both_peers, 2);
		assert_int_equal(d->n_overrides, 3);
		assert_string_equal(d->overrides[0].env_name, "KEEPVIP_VRID");
		assert_string_equal(d->overrides[0].value, "51");
		adapter_close(f->adapter);
		f->adapter = NULL;
	}
	/* 2015-07-25 cannot walk /stacks/S/services/V: it fell back to /services + /containers */
	assert_int_equal(requests(f, "/2015-07-25/services"), 1);
	assert_int_equal(requests(f, "/2015-07-25/containers"), 1);
	assert_int_equal(requests(f, "/2015-12-19/containers"), 0);
	assert_int_equal(f->updates, 4);
}

static void test_service_from_self_service(void **state)
{
	struct fixture *f = *state;
	harness_env_unset(&f->env, "KEEPVIP_RANCHER_STACK");
	harness_env_unset(&f->env, "KEEPVIP_RANCHER_SERVICE");
	control_ok(f, "managed?on=1"); /* a managed-network client: /self/service answers */
	open_adapter(f);
	assert_peers(adapter_last(f->adapter), both_peers, 2);
	assert_int_equal(requests(f, "/2015-12-19/self/service"), 1);
}

static void test_unknown_version(void **state)
{
	struct fixture *f = *state;
	use_version(f, "2099-01-01");
	assert_true(open_adapter(f) < 0);
	assert_null(adapter_last(f->adapter));
	assert_non_null(strstr(f->fetch_err, "does not know this metadata version"));
}

/* A failed first fetch is one read (one request), then the adapter's backoff, not a second
 * read at once: the first retry comes after BACKOFF_FIRST_MS (1 s), the next after 2 s. */
static void test_failed_first_fetch_is_asked_once(void **state)
{
	struct fixture *f = *state;
	uint64_t errors = 0, updates = 0;

	control_ok(f, "down?seconds=2&mode=500");
	assert_true(open_adapter(f) < 0);
	assert_non_null(strstr(f->fetch_err, "HTTP 500"));
	assert_int_equal(requests(f, ""), 1);
	start_adapter(f);
	run_for(f, 700);
	assert_int_equal(requests(f, ""), 1); /* nothing more before the backoff */
	assert_true(log_has(f, "the first fetch failed; asking again in 1000 ms"));
	adapter_counts(f->adapter, &updates, &errors);
	assert_int_equal(errors, 1);

	/* the retry at 1 s fails too (down for 2 s): 2 s more, then the answer */
	assert_true(updates_reach(f, 1, 5000));
	assert_peers(&f->last, both_peers, 2);
	assert_true(log_has(f, "retrying in 2000 ms"));
	/* the first fetch, the retry at 1 s, the read at 3 s, and the long poll after it */
	assert_in_range(requests(f, "/2015-12-19/version"), 3, 4);
	assert_false(f->saw_empty);
}

/* The watch goes on from the first fetch's metadata version: no second whole read. */
static void test_watch_goes_on_from_first_fetch(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(open_adapter(f), 0);
	start_adapter(f);
	run_for(f, 300);
	assert_int_equal(requests(f, "/2015-12-19/self/host"), 1);
	json_t *stats = fake_api_control(&f->api, "stats");
	assert_int_equal(json_integer_value(json_object_get(stats, "version_waits")), 1);
	json_decref(stats);
	assert_int_equal(f->updates, 1);
}

/* ---- the watch -------------------------------------------------------------------------- */

static void test_long_poll_sees_changes(void **state)
{
	struct fixture *f = *state;
	static const char *const only_b[] = { "10.42.0.12" };
	unsigned want;

	open_adapter(f);
	start_adapter(f);
	run_for(f, 300); /* the long poll is waiting now */
	assert_int_equal(f->updates, 1);

	control_ok(f, "stop?name=keepvip-keepvip-3");
	uint64_t t0 = loop_now_us();
	want = 2;
	assert_true(updates_reach(f, want, 3000));
	assert_true(loop_now_us() - t0 < 1500000u); /* the long poll answered, not a timer */
	assert_peers(&f->last, only_b, 1);

	control_ok(f, "start?name=keepvip-keepvip-3");
	want = 3;
	assert_true(updates_reach(f, want, 3000));
	assert_peers(&f->last, both_peers, 2);

	/* node-c's agent reconnects: a new version, the same peers (never dropped for it) */
	control_ok(f, "host?name=node-c&agent_state=active");
	want = 4;
	assert_true(updates_reach(f, want, 3000));
	assert_peers(&f->last, both_peers, 2);

	/* the version changes with nothing else: re-read, same answer */
	control_ok(f, "version?value=another-version");
	want = 5;
	assert_true(updates_reach(f, want, 3000));
	assert_peers(&f->last, both_peers, 2);
	assert_true(log_has(f, "2 peer(s) (10.42.0.12, 10.42.0.13) at metadata version another-version"));

	/* a container removed from the metadata altogether */
	control_ok(f, "remove?name=keepvip-keepvip-3");
	want = 6;
	assert_true(updates_reach(f, want, 3000));
	assert_peers(&f->last, only_b, 1);
	assert_false(f->saw_empty);
}

static void test_quiet_long_poll_does_not_spin(void **state)
{
	struct fixture *f = *state;
	harness_env_set(&f->env, "KEEPVIP_RANCHER_MAX_WAIT_S", "1");
	open_adapter(f);
	start_adapter(f);
	run_for(f, 3500);
	/* 1 for the fetch, then one long poll per maxWait (1 s) */
	long n = requests(f, "/2015-12-19/version");
	assert_in_range(n, 3, 6);
	assert_false(log_has(f, "ignores wait=true"));
	assert_int_equal(f->updates, 1);
}

static void test_old_server_does_not_spin(void **state)
{
	struct fixture *f = *state;
	unsigned want = 2;
	control_ok(f, "old_server?on=1");
	open_adapter(f);
	start_adapter(f);
	run_for(f, 3000);
	long n = requests(f, "/2015-12-19/version");
	assert_in_range(n, 2, 3); /* the fetch, one poll answered at once, then a 5 s pause */
	assert_true(log_has(f, "ignores wait=true"));

	/* changes are still seen, at the slower pace */
	control_ok(f, "stop?name=keepvip-keepvip-2");
	assert_true(updates_reach(f, want, 7000));
	static const char *const only_c[] = { "10.42.0.13" };
	assert_peers(&f->last, only_c, 1);
	assert_in_range(requests(f, "/2015-12-19/version"), 3, 4);
}

/* An outage: every answer fails while down; the peers stay, the retries back off. */
static void outage(struct fixture *f, const char *mode)
{
	static const char *const only_b[] = { "10.42.0.12" };
	char what[64];
	unsigned want = 2;

	open_adapter(f);
	start_adapter(f);
	run_for(f, 300);
	snprintf(what, sizeof(what), "down?seconds=4&mode=%s", mode);
	control_ok(f, what);
	long before = requests(f, "");
	control_ok(f, "stop?name=keepvip-keepvip-3"); /* answers the waiting poll: reads fail */
	run_for(f, 3500);
	/* still the last good peers, reported once; no empty set ever */
	assert_int_equal(f->updates, 1);
	assert_peers(adapter_last(f->adapter), both_peers, 2);
	assert_true(log_has(f, "keeping 2 known peers, retrying in 1000 ms"));
	assert_true(log_has(f, "retrying in 2000 ms"));
	/* backoff 1 s, 2 s: a handful of requests in 3.5 s, not a spin */
	assert_in_range(requests(f, "") - before, 2, 6);

	/* back: the change made during the outage arrives */
	assert_true(updates_reach(f, want, 6000));
	assert_peers(&f->last, only_b, 1);
	assert_true(log_has(f, "answering again after"));
	assert_false(f->saw_empty);
}

static void test_outage_500_keeps_peers(void **state)
{
	outage(*state, "500");
}

static void test_outage_dropped_connections_keep_peers(void **state)
{
	outage(*state, "drop");
}

/* ---- bad answers ------------------------------------------------------------------------ */

static void bad_answer_within(struct fixture *f, const char *kind, const char *expect_in_log,
			      unsigned within_ms)
{
	char what[256];
	open_adapter(f);
	start_adapter(f);
	run_for(f, 300);
	snprintf(what, sizeof(what), "body?path=%s&kind=%s", SERVICE_PATH, kind);
	control_ok(f, what);
	control_ok(f, "stop?name=keepvip-keepvip-3");
	assert_true(log_shows_within(f, expect_in_log, within_ms));
	assert_true(log_has(f, "keeping 2 known peers"));
	assert_int_equal(f->updates, 1);
	assert_peers(adapter_last(f->adapter), both_peers, 2);
}

static void bad_answer(struct fixture *f, const char *kind, const char *expect_in_log)
{
	bad_answer_within(f, kind, expect_in_log, 3000);
}

static void test_truncated_answer(void **state)
{
	bad_answer(*state, "truncated", "invalid JSON at line");
}

static void test_huge_answer(void **state)
{
	bad_answer(*state, "huge", "response body larger than 4194304 bytes");
}

static void test_wrong_types(void **state)
{
	bad_answer(*state, "wrong_types", "containers[2].primary_ip: expected a string, got integer");
}

static void test_not_json(void **state)
{
	/* the line names the URL it read */
	bad_answer(*state, "not_json", SERVICE_PATH ": invalid JSON at line 1 column 1");
}

static void test_unknown_shape(void **state)
{
	bad_answer(*state, "unknown_shape", "containers: expected a list, got string");
}

/* ---- hostile answers (issue 13) --------------------------------------------------------- */

static long peak_rss_kb(void)
{
	struct rusage ru;
	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/* 1 GiB, streamed without end: the read stops at the 4 MiB answer cap, and the process never
 * holds much more than that (the peak RSS, whatever came before, grows by less than 16 MiB). */
static void test_endless_answer(void **state)
{
	long before = peak_rss_kb();
	bad_answer(*state, "endless", "response body larger than 4194304 bytes");
	long grown = peak_rss_kb() - before;
	print_message("peak RSS grew by %ld kB while 1 GiB was offered\n", grown);
	assert_true(grown < 16 * 1024);
}

/* A byte a second: the request's 5 s timeout ends it. */
static void test_slow_answer(void **state)
{
	bad_answer_within(*state, "slow", "timed out after 5000 ms", 8000);
}

static void test_not_utf8(void **state)
{
	bad_answer(*state, "bad_utf8", "invalid JSON at line");
}

/* jansson stops at its own depth limit (2048): no deep recursion, no quadratic time. */
static void test_deeply_nested(void **state)
{
	bad_answer(*state, "deep", "maximum parsing depth reached");
}

/* A long poll that answers its headers and then nothing, ever: maxWait (1 s) + the 10 s the
 * server may take beyond it end it; the peers stay, the watch retries. */
static void test_long_poll_never_ends(void **state)
{
	struct fixture *f = *state;
	harness_env_set(&f->env, "KEEPVIP_RANCHER_MAX_WAIT_S", "1");
	open_adapter(f);
	start_adapter(f);
	run_for(f, 300);
	control_ok(f, "hang_poll?on=1");
	assert_true(log_shows_within(f, "(long poll): timed out after 11000 ms", 14000));
	assert_true(log_has(f, "keeping 2 known peers"));
	assert_int_equal(f->updates, 1);
	assert_peers(adapter_last(f->adapter), both_peers, 2);
	/* the server answers again: the watch goes on and sees a change */
	control_ok(f, "hang_poll?on=0");
	control_ok(f, "stop?name=keepvip-keepvip-3");
	assert_true(updates_reach(f, 2, 8000));
	static const char *const only_b[] = { "10.42.0.12" };
	assert_peers(&f->last, only_b, 1);
	assert_false(f->saw_empty);
}

/* ---- detection -------------------------------------------------------------------------- */

static void test_detect(void **state)
{
	struct fixture *f = *state;
	struct adapter_ctx ctx = ctx_of(f, NULL);
	assert_int_equal(adapter_rancher_ops.detect(&ctx), 1);
	harness_env_unset(&f->env, "KEEPVIP_RANCHER_METADATA_URL");
	ctx = ctx_of(f, NULL);
	uint64_t t0 = loop_now_us();
	assert_int_equal(adapter_rancher_ops.detect(&ctx), 0); /* no rancher-metadata here */
	assert_true(loop_now_us() - t0 < 1500000u);            /* one bounded request */
	assert_ptr_equal(adapter_select("rancher", &ctx), &adapter_rancher_ops);
}

/* Bad settings stop `keepvip check` (settings_load), naming the source and place. */
static void test_bad_settings(void **state)
{
	struct fixture *f = *state;
	char err[SETTINGS_ERR_LEN];
	harness_env_unset(&f->env, "KEEPVIP_RANCHER_SERVICE");
	assert_int_equal(load_settings(f, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "env KEEPVIP_RANCHER_STACK: is set but KEEPVIP_RANCHER_SERVICE "
				 "is not: give both, or neither");
	harness_env_set(&f->env, "KEEPVIP_RANCHER_SERVICE", "keepvip");
	harness_env_set(&f->env, "KEEPVIP_RANCHER_METADATA_URL", "rancher-metadata/2015-12-19");
	assert_int_equal(load_settings(f, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "env KEEPVIP_RANCHER_METADATA_URL: \"rancher-metadata/2015-12-19\""
				 " is not an http:// or https:// URL (at most 511 characters)");
	use_version(f, "2015-12-19");
	harness_env_set(&f->env, "KEEPVIP_RANCHER_MAX_WAIT_S", "500");
	assert_int_equal(load_settings(f, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "env KEEPVIP_RANCHER_MAX_WAIT_S: \"500\" is not between 1 and 120");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_fetch_every_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_service_from_self_service, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_first_fetch_is_asked_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_watch_goes_on_from_first_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_poll_sees_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_long_poll_does_not_spin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_old_server_does_not_spin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outage_500_keeps_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outage_dropped_connections_keep_peers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_truncated_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_shape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_endless_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_utf8, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deeply_nested, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_poll_never_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_settings, setup, teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return failed;
}
