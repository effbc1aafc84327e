/* test_rancher_adapter.c — the real rancher adapter, through adapter.c, on a real loop,
 * against fake_rancher.py (a fake rancher-metadata replaying ../shared/fixtures/rancher).
 *
 * Covers: the first fetch under every metadata version; finding the service through
 * /self/service; changes seen by the long poll (a container stopped and started, a host
 * reconnecting, the version changing); an outage (500s, dropped connections) that keeps the
 * last peers and backs off; an old server that ignores wait=true, which must not make us
 * spin; a quiet long poll; bad answers (truncated, huge, wrong types, not JSON, an unknown
 * shape, an unknown version) that log a clear line and leave the peers as they were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rancher.h"
#include "registry.h"
#include "log.h"
#include "loop.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef FAKE_RANCHER
#error "FAKE_RANCHER must name tests/adapters/fake_rancher.py"
#endif
#ifndef KEEPVIP_SHARED_DIR
#error "KEEPVIP_SHARED_DIR must name the shared/ directory"
#endif

#define SERVICE_PATH "/2015-12-19/stacks/keepvip/services/keepvip"

struct env_entry {
	const char *name;
	char value[256];
};

struct fixture {
	pid_t server;
	unsigned port;
	struct loop *loop;
	struct env_entry env[8];
	size_t n_env;
	struct settings *settings;           /* loaded from env (ctx_of) */
	struct adapter *adapter;
	unsigned updates;
	bool saw_empty;                      /* an update without peers: must never happen */
	struct adapter_discovery last;
	int log_fd;
	char log_path[64];
};

/* ---- the fake server -------------------------------------------------------------------- */

static pid_t start_server(unsigned *port)
{
	int out[2];
	assert_int_equal(pipe(out), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execlp("python3", "python3", FAKE_RANCHER, "--fixtures",
		       KEEPVIP_SHARED_DIR "/fixtures/rancher", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	char line[32] = { 0 };
	size_t used = 0;
	while (used < sizeof(line) - 1 && memchr(line, '\n', used) == NULL) {
		ssize_t n = read(out[0], line + used, sizeof(line) - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	close(out[0]);
	*port = (unsigned)strtoul(line, NULL, 10);
	assert_true(*port > 0);
	return pid;
}

static size_t collect(char *data, size_t size, size_t n, void *userp)
{
	json_t **out = userp;
	json_t *j = json_loadb(data, size * n, 0, NULL);
	if (j != NULL) {
		json_decref(*out);
		*out = j;
	}
	return size * n;
}

/* GET /_control/<what> on the fake; returns its JSON answer (caller decrefs). */
static json_t *control(const struct fixture *f, const char *what)
{
	char url[512];
	json_t *answer = NULL;
	CURL *c = curl_easy_init();
	assert_non_null(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/_control/%s", f->port, what);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &answer);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_cleanup(c);
	assert_non_null(answer);
	return answer;
}

static void control_ok(const struct fixture *f, const char *what)
{
	json_t *answer = control(f, what);
	assert_true(json_is_true(json_object_get(answer, "ok")));
	json_decref(answer);
}

/* How many requests the fake saw for path ("" = all). */
static long requests(const struct fixture *f, const char *path)
{
	json_t *stats = control(f, "stats");
	long n = path[0] == '\0'
			 ? (long)json_integer_value(json_object_get(stats, "total"))
			 : (long)json_integer_value(json_object_get(json_object_get(stats, "paths"),
								    path));
	json_decref(stats);
	return n;
}

/* ---- the environment the adapter sees ---------------------------------------------------- */

static void env_set(struct fixture *f, const char *name, const char *value)
{
	for (size_t i = 0; i < f->n_env; i++) {
		if (strcmp(f->env[i].name, name) == 0) {
			snprintf(f->env[i].value, sizeof(f->env[i].value), "%s", value);
			return;
		}
	}
	assert_true(f->n_env < sizeof(f->env) / sizeof(f->env[0]));
	f->env[f->n_env].name = name;
	snprintf(f->env[f->n_env].value, sizeof(f->env[0].value), "%s", value);
	f->n_env++;
}

static void env_unset(struct fixture *f, const char *name)
{
	for (size_t i = 0; i < f->n_env; i++)
		if (strcmp(f->env[i].name, name) == 0)
			f->env[i].value[0] = '\0';
}

static const char *env_lookup(const char *name, void *ctx)
{
	const struct fixture *f = ctx;
	for (size_t i = 0; i < f->n_env; i++)
		if (strcmp(f->env[i].name, name) == 0)
			return f->env[i].value;
	return NULL;
}

static void use_version(struct fixture *f, const char *version)
{
	char url[128];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/%s", f->port, version);
	env_set(f, "KEEPVIP_RANCHER_METADATA_URL", url);
}

/* The env as loaded settings (every adapter's keys, from the registry), as the app loads
 * them: the adapter reads its settings from there. 0, or -EINVAL with the message in err. */
static int load_settings(struct fixture *f, char *err, size_t err_len)
{
	struct settings_adapters adapters;
	adapter_registry_settings(&adapters);
	env_set(f, "KEEPVIP_VIPS", "10.0.0.100");
	struct settings_inputs in = { .env = { "env", env_lookup, f }, .adapters = &adapters };
	if (f->settings == NULL)
		f->settings = calloc(1, sizeof(*f->settings));
	assert_non_null(f->settings);
	return settings_load(&in, f->settings, err, err_len);
}

static struct adapter_ctx ctx_of(struct fixture *f, struct loop *loop)
{
	char err[SETTINGS_ERR_LEN];
	int rc = load_settings(f, err, sizeof(err));
	if (rc != 0)
		print_error("settings: %s\n", err);
	assert_int_equal(rc, 0);
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

static void open_adapter(struct fixture *f)
{
	struct adapter_ctx ctx = ctx_of(f, f->loop);
	char err[256];
	int rc = adapter_open(&adapter_rancher_ops, &ctx, NULL, on_update, f, &f->adapter, err,
			      sizeof(err));
	if (rc != 0)
		print_error("adapter_open: %s\n", err);
	assert_int_equal(rc, 0);
}

static void start_adapter(struct fixture *f)
{
	assert_int_equal(adapter_start(f->adapter), 0);
}

struct wait {
	struct fixture *f;
	bool (*done)(const struct fixture *f, const void *arg);
	const void *arg;
	uint64_t deadline_us;
	struct loop_timer tick;
};

static void on_tick(struct loop *loop, void *arg)
{
	struct wait *w = arg;
	if ((w->done != NULL && w->done(w->f, w->arg)) || loop_now_us() >= w->deadline_us) {
		loop_stop(loop);
		return;
	}
	loop_timer_arm(loop, &w->tick, loop_now_us() + 20000u);
}

/* Runs the loop until done(f, arg) or ms have passed; returns done's last answer. */
static bool run_until(struct fixture *f, bool (*done)(const struct fixture *, const void *),
		      const void *arg, unsigned ms)
{
	struct wait w = { .f = f, .done = done, .arg = arg,
			  .deadline_us = loop_now_us() + (uint64_t)ms * 1000u };
	loop_timer_init(&w.tick, on_tick, &w);
	loop_timer_arm(f->loop, &w.tick, loop_now_us());
	assert_int_equal(loop_run(f->loop), 0);
	loop_timer_cancel(f->loop, &w.tick);
	return done != NULL && done(f, arg);
}

static void run_for(struct fixture *f, unsigned ms)
{
	run_until(f, NULL, NULL, ms);
}

static bool updates_reach(const struct fixture *f, const void *arg)
{
	return f->updates >= *(const unsigned *)arg;
}

static bool log_has(const struct fixture *f, const void *needle)
{
	static char buf[1 << 16];
	ssize_t n = pread(f->log_fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, needle) != NULL;
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
	f->server = start_server(&f->port);
	assert_int_equal(loop_new(&f->loop), 0);
	use_version(f, "2015-12-19");
	env_set(f, "KEEPVIP_RANCHER_STACK", "keepvip");
	env_set(f, "KEEPVIP_RANCHER_SERVICE", "keepvip");
	snprintf(f->log_path, sizeof(f->log_path), "/tmp/keepvip-rancher-log-XXXXXX");
	f->log_fd = mkstemp(f->log_path);
	assert_true(f->log_fd >= 0);
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	log_set_fd(f->log_fd);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	adapter_close(f->adapter);
	loop_free(f->loop);
	kill(f->server, SIGTERM);
	waitpid(f->server, NULL, 0);
	log_set_fd(2);
	if (getenv("KEEPVIP_TEST_VERBOSE") != NULL) {
		char buf[8192];
		ssize_t n = pread(f->log_fd, buf, sizeof(buf) - 1, 0);
		fprintf(stderr, "%.*s", (int)(n > 0 ? n : 0), buf);
	}
	close(f->log_fd);
	unlink(f->log_path);
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
		use_version(f, versions[i]);
		open_adapter(f);
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
	env_unset(f, "KEEPVIP_RANCHER_STACK");
	env_unset(f, "KEEPVIP_RANCHER_SERVICE");
	control_ok(f, "managed?on=1"); /* a managed-network client: /self/service answers */
	open_adapter(f);
	assert_peers(adapter_last(f->adapter), both_peers, 2);
	assert_int_equal(requests(f, "/2015-12-19/self/service"), 1);
}

static void test_unknown_version(void **state)
{
	struct fixture *f = *state;
	use_version(f, "2099-01-01");
	open_adapter(f);
	assert_null(adapter_last(f->adapter));
	assert_true(log_has(f, "does not know this metadata version"));
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
	assert_true(run_until(f, updates_reach, &want, 3000));
	assert_true(loop_now_us() - t0 < 1500000u); /* the long poll answered, not a timer */
	assert_peers(&f->last, only_b, 1);

	control_ok(f, "start?name=keepvip-keepvip-3");
	want = 3;
	assert_true(run_until(f, updates_reach, &want, 3000));
	assert_peers(&f->last, both_peers, 2);

	/* node-c's agent reconnects: a new version, the same peers (never dropped for it) */
	control_ok(f, "host?name=node-c&agent_state=active");
	want = 4;
	assert_true(run_until(f, updates_reach, &want, 3000));
	assert_peers(&f->last, both_peers, 2);

	/* the version changes with nothing else: re-read, same answer */
	control_ok(f, "version?value=another-version");
	want = 5;
	assert_true(run_until(f, updates_reach, &want, 3000));
	assert_peers(&f->last, both_peers, 2);
	assert_true(log_has(f, "2 peer(s) (10.42.0.12, 10.42.0.13) at metadata version another-version"));

	/* a container removed from the metadata altogether */
	control_ok(f, "remove?name=keepvip-keepvip-3");
	want = 6;
	assert_true(run_until(f, updates_reach, &want, 3000));
	assert_peers(&f->last, only_b, 1);
	assert_false(f->saw_empty);
}

static void test_quiet_long_poll_does_not_spin(void **state)
{
	struct fixture *f = *state;
	env_set(f, "KEEPVIP_RANCHER_MAX_WAIT_S", "1");
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
	assert_true(run_until(f, updates_reach, &want, 7000));
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
	assert_true(run_until(f, updates_reach, &want, 6000));
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

static void bad_answer(struct fixture *f, const char *kind, const char *expect_in_log)
{
	char what[256];
	open_adapter(f);
	start_adapter(f);
	run_for(f, 300);
	snprintf(what, sizeof(what), "body?path=%s&kind=%s", SERVICE_PATH, kind);
	control_ok(f, what);
	control_ok(f, "stop?name=keepvip-keepvip-3");
	assert_true(run_until(f, log_has, expect_in_log, 3000));
	assert_true(log_has(f, "keeping 2 known peers"));
	assert_int_equal(f->updates, 1);
	assert_peers(adapter_last(f->adapter), both_peers, 2);
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

/* ---- detection -------------------------------------------------------------------------- */

static void test_detect(void **state)
{
	struct fixture *f = *state;
	struct adapter_ctx ctx = ctx_of(f, NULL);
	assert_int_equal(adapter_rancher_ops.detect(&ctx), 1);
	env_unset(f, "KEEPVIP_RANCHER_METADATA_URL");
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
	env_unset(f, "KEEPVIP_RANCHER_SERVICE");
	assert_int_equal(load_settings(f, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "env KEEPVIP_RANCHER_STACK: is set but KEEPVIP_RANCHER_SERVICE "
				 "is not: give both, or neither");
	env_set(f, "KEEPVIP_RANCHER_SERVICE", "keepvip");
	env_set(f, "KEEPVIP_RANCHER_METADATA_URL", "rancher-metadata/2015-12-19");
	assert_int_equal(load_settings(f, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "env KEEPVIP_RANCHER_METADATA_URL: \"rancher-metadata/2015-12-19\""
				 " is not an http:// or https:// URL (at most 511 characters)");
	use_version(f, "2015-12-19");
	env_set(f, "KEEPVIP_RANCHER_MAX_WAIT_S", "500");
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
		cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_settings, setup, teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return failed;
}
