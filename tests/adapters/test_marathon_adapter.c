/* test_marathon_adapter.c — the real marathon adapter, through adapter.c, on a real loop,
 * against tests/adapters/lib/fake_api.py running scenarios/marathon.py (a fake Marathon:
 * the task list and the SSE event stream), with lib/adapter_harness.
 *
 * Covers: detection; the first fetch; several Marathon instances (a refused one, one without
 * a leader answering 502, a standby that proxies the read and redirects the stream to the
 * leader, which checks the credentials that came along); an event for our app reaching the
 * peers (the latency is measured and printed), another app's event ignored; heartbeats that
 * keep a stream; a silent stream and a cut stream, both reconnected with a new read; 401 and
 * 403 with a message naming the settings to fix; a 404 app; huge, truncated and non-JSON
 * bodies that keep the last peers; secrets in no log line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "adapter_harness.h"
#include "log.h"
#include "loop.h"
#include "marathon.h"
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SELF_TASK "keepvip.instance-a4485ce8-a4a2-841f-4eed-dbe7fa61f010._app.1"
#define PASSWORD "Pa55-secret-w0rd"
#define TOKEN "eyJ-secret-token-xyz"
#define BASIC_B64 "YWRtaW46UGE1NS1zZWNyZXQtdzByZA==" /* admin:Pa55-secret-w0rd */

struct fixture {
	struct fake_api api;        /* the leader */
	struct fake_api standby;    /* started by the tests that want one */
	struct fake_api noleader;
	struct loop *loop;
	struct harness_env env;
	struct log_capture log;
	struct settings *settings;
	struct adapter *adapter;
	unsigned updates;
	bool saw_empty;
	struct adapter_discovery last;
	char fetch_err[ADAPTER_ERR_LEN];
};

static void start_leader(struct fixture *f, const char *const *opts)
{
	fake_api_start(&f->api, &(struct fake_api_opts){ .scenario = "marathon.py", .opts = opts });
	harness_env_set(&f->env, "KEEPVIP_MARATHON_URL", f->api.base_url);
}

static struct adapter_ctx ctx_of(struct fixture *f)
{
	char err[SETTINGS_ERR_LEN];
	harness_env_set(&f->env, "KEEPVIP_VIPS", "10.42.0.100");
	harness_settings_expect_loaded(harness_settings_load(&f->env, &f->settings, err, sizeof(err)),
				       err);
	return (struct adapter_ctx){ .loop = f->loop, .settings = f->settings };
}

static void on_update(void *arg, const struct adapter_discovery *d)
{
	struct fixture *f = arg;
	f->updates++;
	if (d->n_peers == 0)
		f->saw_empty = true;
	f->last = *d;
}

/* As `keepvip run` does: the first fetch, then the adapter opened with its answer. */
static int open_adapter(struct fixture *f)
{
	struct adapter_ctx ctx = ctx_of(f);
	struct adapter_discovery *first = calloc(1, sizeof(*first));
	char err[256];

	assert_non_null(first);
	int fetched = adapter_first_fetch(&adapter_marathon_ops, &ctx, first, f->fetch_err,
					  sizeof(f->fetch_err));
	int rc = adapter_open(&adapter_marathon_ops, &ctx, fetched == 0 ? first : NULL, on_update,
			      f, &f->adapter, err, sizeof(err));
	assert_int_equal(rc, 0);
	free(first);
	return fetched;
}

static long stat_of(const struct fake_api *api, const char *key)
{
	json_t *stats = fake_api_control(api, "stats");
	long v = (long)json_integer_value(json_object_get(stats, key));
	json_decref(stats);
	return v;
}

struct stat_at_least {
	const struct fake_api *api;
	const char *key;
	long n;
};

static bool stat_pred(const void *arg)
{
	const struct stat_at_least *s = arg;
	return stat_of(s->api, s->key) >= s->n;
}

static bool stat_reaches(struct fixture *f, const struct fake_api *api, const char *key, long n,
			 unsigned ms)
{
	struct stat_at_least s = { api, key, n };
	return harness_run_until(f->loop, stat_pred, &s, ms);
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

static bool log_shows_within(struct fixture *f, const char *needle, unsigned ms)
{
	struct log_needle l = { f, needle };
	return harness_run_until(f->loop, log_has_pred, &l, ms);
}

static bool peers_are(const struct adapter_discovery *d, const char *const *want, size_t n)
{
	char text[IP_ADDR_STRLEN];
	if (d == NULL || d->n_peers != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(ip_addr_str(&d->peers[i], text), want[i]) != 0)
			return false;
	return true;
}

static void assert_peers(const struct adapter_discovery *d, const char *const *want, size_t n)
{
	char text[IP_ADDR_STRLEN];
	assert_non_null(d);
	for (size_t i = 0; i < d->n_peers; i++)
		print_message("peer %zu: %s\n", i, ip_addr_str(&d->peers[i], text));
	assert_true(peers_are(d, want, n));
}

struct peers_want {
	const struct fixture *f;
	const char *const *want;
	size_t n;
};

static bool peers_pred(const void *arg)
{
	const struct peers_want *p = arg;
	return p->f->updates > 0 && peers_are(&p->f->last, p->want, p->n);
}

static bool peers_become(struct fixture *f, const char *const *want, size_t n, unsigned ms)
{
	struct peers_want p = { f, want, n };
	return harness_run_until(f->loop, peers_pred, &p, ms);
}

static const char *const two_peers[] = { "10.42.0.12", "10.42.0.13" };

/* ---- setup ------------------------------------------------------------------------------ */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(loop_new(&f->loop), 0);
	harness_env_set(&f->env, "MARATHON_APP_ID", "/keepvip");
	harness_env_set(&f->env, "MESOS_TASK_ID", SELF_TASK);
	harness_env_set(&f->env, "HOST", "10.42.0.11");
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
	fake_api_stop(&f->standby);
	fake_api_stop(&f->noleader);
	/* no secret in any log line, whatever the test did */
	assert_false(log_capture_has(&f->log, PASSWORD));
	assert_false(log_capture_has(&f->log, TOKEN));
	assert_false(log_capture_has(&f->log, BASIC_B64));
	log_capture_stop(&f->log);
	free(f->settings);
	free(f);
	return 0;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_detected_by_app_id(void **state)
{
	struct fixture *f = *state;
	struct adapter_ctx ctx = ctx_of(f);
	assert_ptr_equal(adapter_select("auto", &ctx), &adapter_marathon_ops);
	harness_env_unset(&f->env, "MARATHON_APP_ID");
	ctx = ctx_of(f);
	assert_ptr_not_equal(adapter_select("auto", &ctx), &adapter_marathon_ops);
}

static void test_first_fetch(void **state)
{
	struct fixture *f = *state;
	char text[IP_ADDR_STRLEN];
	start_leader(f, NULL);
	assert_int_equal(open_adapter(f), 0);
	const struct adapter_discovery *d = adapter_last(f->adapter);
	assert_non_null(d);
	assert_true(d->has_self);
	assert_string_equal(ip_addr_str(&d->self, text), "10.42.0.11");
	assert_peers(d, two_peers, 2); /* .13 is TASK_KILLING: still a peer */
	/* the read carried Accept: application/json (the fake answers text/plain otherwise) */
	assert_true(fake_api_requests(&f->api, "/v2/apps/keepvip/tasks") >= 1);
}

/* A refused instance, one without a leader (502), a standby (proxies the read, redirects the
 * stream), then the leader: the credentials reach the leader on the redirected stream. */
static void test_leader_proxying_and_502(void **state)
{
	struct fixture *f = *state;
	char opt[200], urls[600];
	const char *leader_opts[] = { "auth=basic:admin:" PASSWORD, NULL };
	start_leader(f, leader_opts);
	snprintf(opt, sizeof(opt), "leader=%s", f->api.base_url);
	const char *standby_opts[] = { "role=standby", opt, NULL };
	const char *noleader_opts[] = { "role=noleader", NULL };
	fake_api_start(&f->standby, &(struct fake_api_opts){ .scenario = "marathon.py",
							     .opts = standby_opts });
	fake_api_start(&f->noleader, &(struct fake_api_opts){ .scenario = "marathon.py",
							      .opts = noleader_opts });
	snprintf(urls, sizeof(urls), "http://127.0.0.1:1, %s, %s", f->noleader.base_url,
		 f->standby.base_url);
	harness_env_set(&f->env, "KEEPVIP_MARATHON_URL", urls);
	harness_env_set(&f->env, "KEEPVIP_MARATHON_USER", "admin");
	harness_env_set(&f->env, "KEEPVIP_MARATHON_PASSWORD", PASSWORD);

	assert_int_equal(open_adapter(f), 0);
	assert_peers(adapter_last(f->adapter), two_peers, 2);
	assert_int_equal(adapter_start(f->adapter), 0);
	assert_true(stat_reaches(f, &f->api, "streams_open", 1, 3000));
	/* the stream reached the leader through the standby's redirect, credentials kept */
	assert_true(fake_api_requests(&f->standby, "/v2/events") >= 1);
	assert_true(fake_api_requests(&f->noleader, "/v2/events") >= 1);
	assert_true(fake_api_requests(&f->api, "/v2/events") >= 1);
	assert_int_equal(stat_of(&f->api, "auth_failures"), 0);
	/* the reads were proxied by the standby */
	assert_true(fake_api_requests(&f->standby, "/v2/apps/keepvip/tasks") >= 1);
	assert_true(log_capture_has(&f->log, "HTTP 502 (no leader)"));
	/* and an event through that stream still reaches the peers */
	fake_api_control_ok(&f->api, "kill?host=10.42.0.13");
	static const char *const one[] = { "10.42.0.12" };
	assert_true(peers_become(f, one, 1, 2000));
}

static double now_ms(void)
{
	return (double)loop_now_us() / 1000.0;
}

/* An event for our app reaches the peers well within 1 s; another app's does not read. */
static void test_events_reach_peers(void **state)
{
	struct fixture *f = *state;
	static const char *const after_kill[] = { "10.42.0.12" };
	static const char *const after_add[] = { "10.42.0.12", "10.42.0.14" };
	start_leader(f, NULL);
	open_adapter(f);
	assert_int_equal(adapter_start(f->adapter), 0);
	assert_true(stat_reaches(f, &f->api, "streams_open", 1, 3000));
	harness_run_for(f->loop, 300); /* the attach's read is done */

	long reads = stat_of(&f->api, "task_reads");
	fake_api_control_ok(&f->api, "event?type=status_update_event&app=/web");
	harness_run_for(f->loop, 300);
	assert_int_equal(stat_of(&f->api, "task_reads"), reads);

	double t0 = now_ms();
	fake_api_control_ok(&f->api, "kill?host=10.42.0.13");
	assert_true(peers_become(f, after_kill, 1, 1000));
	double killed_ms = now_ms() - t0;
	t0 = now_ms();
	fake_api_control_ok(&f->api, "add?host=10.42.0.14");
	assert_true(peers_become(f, after_add, 2, 1000));
	double added_ms = now_ms() - t0;
	print_message("event to peers: TASK_KILLED %.1f ms, new task %.1f ms\n", killed_ms,
		      added_ms);
	assert_true(killed_ms < 1000 && added_ms < 1000);
	assert_false(f->saw_empty);
}

/* Heartbeats keep a stream alive past its idle bound. */
static void test_heartbeats_keep_stream(void **state)
{
	struct fixture *f = *state;
	const char *opts[] = { "heartbeat_ms=300", NULL };
	start_leader(f, opts);
	harness_env_set(&f->env, "KEEPVIP_MARATHON_IDLE_S", "2");
	open_adapter(f);
	assert_int_equal(adapter_start(f->adapter), 0);
	assert_true(stat_reaches(f, &f->api, "streams_open", 1, 3000));
	harness_run_for(f->loop, 500); /* the first fetch's stream is gone, the watch's is up */
	long streams = stat_of(&f->api, "streams");
	harness_run_for(f->loop, 4500);
	assert_int_equal(stat_of(&f->api, "streams"), streams);
	assert_false(log_capture_has(&f->log, "/v2/events lost"));
	assert_false(log_capture_has(&f->log, "retrying in"));
}

/* Silent beyond the idle bound: lost, reconnected, read again; a cut stream the same. */
static void test_silent_and_cut_streams(void **state)
{
	struct fixture *f = *state;
	const char *opts[] = { "heartbeat_ms=300", NULL };
	start_leader(f, opts);
	harness_env_set(&f->env, "KEEPVIP_MARATHON_IDLE_S", "2");
	open_adapter(f);
	assert_int_equal(adapter_start(f->adapter), 0);
	assert_true(stat_reaches(f, &f->api, "streams_open", 1, 3000));
	harness_run_for(f->loop, 300);
	long reads = stat_of(&f->api, "task_reads");

	fake_api_control_ok(&f->api, "silent?on=1");
	assert_true(log_shows_within(f, "lost: nothing received for 2 s", 4000));
	fake_api_control_ok(&f->api, "silent?on=0");
	assert_true(stat_reaches(f, &f->api, "streams", 2, 4000));
	assert_true(stat_reaches(f, &f->api, "task_reads", reads + 1, 2000));
	assert_peers(adapter_last(f->adapter), two_peers, 2);

	harness_run_for(f->loop, 300);
	reads = stat_of(&f->api, "task_reads");
	fake_api_control_ok(&f->api, "drop_streams");
	assert_true(stat_reaches(f, &f->api, "streams", 3, 5000));
	assert_true(stat_reaches(f, &f->api, "task_reads", reads + 1, 2000));
	assert_true(log_capture_has(&f->log, "keeping 2 known peers"));
	assert_false(f->saw_empty);
}

static void expect_refused(struct fixture *f, const char *needle)
{
	assert_int_not_equal(open_adapter(f), 0);
	print_message("first fetch: %s\n", f->fetch_err);
	assert_non_null(strstr(f->fetch_err, needle));
	adapter_close(f->adapter);
	f->adapter = NULL;
}

static void test_auth_refused(void **state)
{
	struct fixture *f = *state;
	const char *opts[] = { "auth=basic:admin:" PASSWORD, NULL };
	start_leader(f, opts);
	expect_refused(f, "HTTP 401: Marathon refused our credentials: set KEEPVIP_MARATHON_USER "
		       "and KEEPVIP_MARATHON_PASSWORD, or KEEPVIP_MARATHON_TOKEN");
	harness_env_set(&f->env, "KEEPVIP_MARATHON_USER", "admin");
	harness_env_set(&f->env, "KEEPVIP_MARATHON_PASSWORD", "wrong-" PASSWORD);
	expect_refused(f, "HTTP 401: Marathon refused our credentials: check "
		       "KEEPVIP_MARATHON_USER and KEEPVIP_MARATHON_PASSWORD");
	harness_env_unset(&f->env, "KEEPVIP_MARATHON_USER");
	harness_env_unset(&f->env, "KEEPVIP_MARATHON_PASSWORD");
	harness_env_set(&f->env, "KEEPVIP_MARATHON_TOKEN", TOKEN);
	expect_refused(f, "check KEEPVIP_MARATHON_TOKEN");

	/* a token file, then 403: good credentials, not allowed */
	fake_api_stop(&f->api);
	const char *forbid[] = { "auth=token:" TOKEN, "forbid=1", NULL };
	start_leader(f, forbid);
	char path[] = "/tmp/keepvip-token-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "token=" TOKEN "\n", strlen(TOKEN) + 7), (ssize_t)strlen(TOKEN) + 7);
	close(fd);
	harness_env_unset(&f->env, "KEEPVIP_MARATHON_TOKEN");
	harness_env_set(&f->env, "KEEPVIP_MARATHON_TOKEN_FILE", path);
	expect_refused(f, "HTTP 403: Marathon does not let these credentials read /keepvip: check "
		       "KEEPVIP_MARATHON_TOKEN_FILE");
	assert_int_equal(stat_of(&f->api, "auth_failures"), 0); /* the file's token was sent */
	unlink(path);
}

static void test_app_404(void **state)
{
	struct fixture *f = *state;
	start_leader(f, NULL);
	fake_api_control_ok(&f->api, "app404?on=1");
	expect_refused(f, "HTTP 404: app /keepvip does not exist (App '/keepvip' does not exist): "
		       "check KEEPVIP_MARATHON_APP_ID (MARATHON_APP_ID)");
}

/* Bad bodies after a good read: an error with the reason, the last peers kept, and the
 * memory bounded (a huge body fails at the bound, never read whole). */
static void test_bad_bodies_keep_peers(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *kind, *needle;
	} bad[] = {
		{ "huge", "response body larger than 4194304 bytes" },
		{ "truncated", "invalid JSON" },
		{ "not_json", "invalid JSON" },
	};
	start_leader(f, NULL);
	open_adapter(f);
	assert_int_equal(adapter_start(f->adapter), 0);
	assert_true(stat_reaches(f, &f->api, "streams_open", 1, 3000));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char what[64];
		unsigned updates = f->updates;
		snprintf(what, sizeof(what), "body?kind=%s", bad[i].kind);
		fake_api_control_ok(&f->api, what);
		fake_api_control_ok(&f->api, "event?type=status_update_event");
		assert_true(log_shows_within(f, bad[i].needle, 3000));
		assert_int_equal(f->updates, updates);
		assert_peers(adapter_last(f->adapter), two_peers, 2);
		fake_api_control_ok(&f->api, "clear");
		/* the backoff's retry reads again and answers */
		assert_true(stat_reaches(f, &f->api, "streams_open", 1, 20000));
		harness_run_for(f->loop, 200);
	}
	assert_false(f->saw_empty);
}

/* Secrets: masked by the printer, absent from every log line (teardown greps for them). */
static void test_secrets_masked(void **state)
{
	struct fixture *f = *state;
	char *text = NULL;
	size_t len = 0;
	start_leader(f, NULL);
	harness_env_set(&f->env, "KEEPVIP_MARATHON_USER", "admin");
	harness_env_set(&f->env, "KEEPVIP_MARATHON_PASSWORD", PASSWORD);
	ctx_of(f);
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	settings_print(f->settings, out);
	fclose(out);
	assert_null(strstr(text, PASSWORD));
	assert_non_null(strstr(text, "marathon_password: \"***\""));
	free(text);
	open_adapter(f); /* the leader wants no credentials: they are sent and must not show */
	assert_int_equal(adapter_start(f->adapter), 0);
	harness_run_for(f->loop, 500);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detected_by_app_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_leader_proxying_and_502, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_reach_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_heartbeats_keep_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_silent_and_cut_streams, setup, teardown),
		cmocka_unit_test_setup_teardown(test_auth_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_app_404, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_bodies_keep_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_masked, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
