/* test_swarm_adapter.c — the real swarm adapter, through adapter.c, on a real loop, against
 * fake engines (lib/fake_api.py running scenarios/swarm.py on unix sockets, replaying a real
 * 20.10 swarm's answers), for what a real engine cannot be made to do here.
 *
 * Covers: a manager's first fetch (the API version negotiated, the peer set at node
 * addresses); an event that reports a change reaching the peers within 1 s, a change no event
 * reports within a re-list; a closed event stream followed again with since=; an engine whose
 * API range is too old or too new for us; a manager still being prepared, then answering; a
 * locked swarm; an engine not in a swarm and a missing socket (clear messages); truncated and
 * huge bodies keeping the last peers; an event stream with a line that never ends or lines
 * that are not events, dropped at once and followed again after a growing backoff; a worker that gets the set from the manager's keepvip
 * (peer endpoint, long poll), follows a change within 1 s and keeps its set, saying why once,
 * when the manager's keepvip is gone; the endpoint exposing nothing but the set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "adapter_harness.h"
#include "log.h"
#include "loop.h"
#include "registry.h"
#include "swarm.h"
#include "swarm_peerset.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NODE1 "26er75u1p6dl2c2ggrc0snlrz"
#define NODE3 "dn61thxk89cxr0ekljtvo6znl"

/* One adapter (manager or worker) against its own fake engine. */
struct side {
	struct fake_api api;
	char sock[108];
	struct harness_env env;
	struct settings *settings;
	struct adapter *adapter;
	unsigned updates;
	bool saw_empty;
	struct adapter_discovery last;
	char fetch_err[ADAPTER_ERR_LEN];
	int fetched;
};

struct fixture {
	struct loop *loop;
	struct log_capture log;
	unsigned port;
	struct side mgr, wkr;
};

static void side_env(struct side *s, unsigned port)
{
	char host[160], p[16];
	snprintf(host, sizeof(host), "unix://%s", s->sock);
	snprintf(p, sizeof(p), "%u", port);
	harness_env_set(&s->env, "KEEPVIP_VIPS", "10.99.0.100");
	harness_env_set(&s->env, "DOCKER_HOST", host);
	harness_env_set(&s->env, "KEEPVIP_SWARM_SERVICE", "lab_pause");
	harness_env_set(&s->env, "KEEPVIP_SWARM_PEER_PORT", p);
}

static void side_start(struct side *s, const char *name, const char *const *opts, unsigned port)
{
	snprintf(s->sock, sizeof(s->sock), "/tmp/kv-swarm-%s-%d.sock", name, (int)getpid());
	fake_api_start(&s->api, &(struct fake_api_opts){ .scenario = "swarm.py",
							  .unix_path = s->sock, .opts = opts });
	side_env(s, port);
}

static struct adapter_ctx ctx_of(struct side *s, struct loop *loop)
{
	char err[SETTINGS_ERR_LEN];
	harness_settings_expect_loaded(harness_settings_load(&s->env, &s->settings, err, sizeof(err)),
				       err);
	return (struct adapter_ctx){ .loop = loop, .settings = s->settings,
				     .env = harness_env_lookup, .env_ctx = &s->env };
}

static void on_update(void *arg, const struct adapter_discovery *d)
{
	struct side *s = arg;
	s->updates++;
	if (d->n_peers == 0)
		s->saw_empty = true;
	s->last = *d;
}

/* As `keepvip run` does: the first fetch, then the adapter opened with it, and started. */
static void open_side(struct fixture *f, struct side *s)
{
	struct adapter_ctx ctx = ctx_of(s, f->loop);
	struct adapter_discovery *first = calloc(1, sizeof(*first));
	char err[256];

	assert_non_null(first);
	s->fetched = adapter_first_fetch(&adapter_swarm_ops, &ctx, first, s->fetch_err,
					 sizeof(s->fetch_err));
	int rc = adapter_open(&adapter_swarm_ops, &ctx, s->fetched == 0 ? first : NULL, on_update,
			      s, &s->adapter, err, sizeof(err));
	if (rc != 0)
		print_error("adapter_open: %s\n", err);
	assert_int_equal(rc, 0);
	free(first);
	assert_int_equal(adapter_start(s->adapter), 0);
}

static void side_stop(struct side *s)
{
	adapter_close(s->adapter);
	s->adapter = NULL;
	fake_api_stop(&s->api);
	free(s->settings);
	s->settings = NULL;
}

static void control(const struct side *s, const char *what)
{
	fake_api_control_ok(&s->api, what);
}

struct peers_are {
	const struct side *s;
	size_t n;
};

static bool peers_are_pred(const void *arg)
{
	const struct peers_are *p = arg;
	return p->s->updates > 0 && p->s->last.n_peers == p->n;
}

/* Runs until s's last answer has n peers; the time it took in *ms. */
static bool peers_become(struct fixture *f, const struct side *s, size_t n, unsigned within_ms,
			 unsigned *ms)
{
	struct peers_are p = { s, n };
	uint64_t t0 = loop_now_us();
	bool ok = harness_run_until(f->loop, peers_are_pred, &p, within_ms);
	if (ms != NULL)
		*ms = (unsigned)((loop_now_us() - t0) / 1000u);
	return ok;
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

static void assert_peers(const struct adapter_discovery *d, const char *const *want, size_t n)
{
	char text[IP_ADDR_STRLEN];
	assert_int_equal(d->n_peers, n);
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (size_t k = 0; k < d->n_peers; k++)
			found = found || strcmp(ip_addr_str(&d->peers[k], text), want[i]) == 0;
		if (!found)
			print_error("peer %s missing\n", want[i]);
		assert_true(found);
	}
}

static const char *const all3[] = { "10.99.0.11", "10.99.0.12", "10.99.0.13" };
static const char *const two[] = { "10.99.0.11", "10.99.0.12" };

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(loop_new(&f->loop), 0);
	f->port = 20000u + (unsigned)getpid() % 20000u;
	log_capture_start(&f->log);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	side_stop(&f->wkr);
	side_stop(&f->mgr);
	loop_free(f->loop);
	log_capture_stop(&f->log);
	free(f);
	return 0;
}

/* ---- manager ------------------------------------------------------------------------------ */

static void test_manager_first_fetch_and_events(void **state)
{
	struct fixture *f = *state;
	char text[IP_ADDR_STRLEN];
	unsigned ms;

	side_start(&f->mgr, "m", NULL, f->port);
	open_side(f, &f->mgr);
	assert_int_equal(f->mgr.fetched, 0);
	assert_peers(&f->mgr.last, all3, 3);
	assert_true(f->mgr.last.has_self);
	assert_string_equal(ip_addr_str(&f->mgr.last.self, text), "10.99.0.11");
	/* the version negotiated: min(engine 1.41, ours) */
	assert_true(fake_api_requests(&f->mgr.api, "/v1.41/nodes") >= 1);
	assert_true(fake_api_requests(&f->mgr.api, "/version") >= 1);

	/* node3's task fails and an event says something changed: within 1 s */
	harness_run_for(f->loop, 300); /* the event stream opens */
	control(&f->mgr, "task?node=" NODE3 "&state=failed");
	control(&f->mgr, "event?type=node&action=update");
	assert_true(peers_become(f, &f->mgr, 2, 1000, &ms));
	assert_peers(&f->mgr.last, two, 2);
	print_message("event -> peers: %u ms\n", ms);

	/* back, without an event (as a manager sees other nodes' tasks): the periodic list */
	control(&f->mgr, "task?node=" NODE3 "&state=running");
	assert_true(peers_become(f, &f->mgr, 3, 6000, &ms));
	print_message("no event -> peers: %u ms\n", ms);
	assert_false(f->mgr.saw_empty);

	/* the engine closes the stream: followed again from the last event's time */
	control(&f->mgr, "close_events");
	assert_true(log_shows_within(f, "closed the event stream", 2000));
	harness_run_for(f->loop, 1500);
	json_t *stats = fake_api_control(&f->mgr.api, "stats");
	json_t *since = json_object_get(stats, "since");
	assert_true(json_array_size(since) >= 1);
	assert_non_null(strchr(json_string_value(json_array_get(since, 0)), '.'));
	json_decref(stats);
	/* and events still work */
	control(&f->mgr, "node?id=" NODE3 "&state=down");
	control(&f->mgr, "event?type=node&action=update");
	assert_true(peers_become(f, &f->mgr, 2, 1000, NULL));
}

static void test_api_versions(void **state)
{
	struct fixture *f = *state;

	side_start(&f->mgr, "m", NULL, f->port);
	control(&f->mgr, "api?min=1.12&max=1.40"); /* Docker 19.03: older than we read */
	open_side(f, &f->mgr);
	assert_int_not_equal(f->mgr.fetched, 0);
	print_message("too old: %s\n", f->mgr.fetch_err);
	assert_non_null(strstr(f->mgr.fetch_err, "1.40"));
	assert_int_equal(f->mgr.updates, 0);
	adapter_close(f->mgr.adapter);
	f->mgr.adapter = NULL;

	control(&f->mgr, "api?min=1.53&max=1.60"); /* a future engine that refuses ours */
	open_side(f, &f->mgr);
	assert_int_not_equal(f->mgr.fetched, 0);
	print_message("too new: %s\n", f->mgr.fetch_err);
	assert_non_null(strstr(f->mgr.fetch_err, "1.53"));
	adapter_close(f->mgr.adapter);
	f->mgr.adapter = NULL;

	control(&f->mgr, "api?min=1.24&max=1.45"); /* Docker 25: min(1.45, ours) */
	open_side(f, &f->mgr);
	assert_int_equal(f->mgr.fetched, 0);
	assert_true(fake_api_requests(&f->mgr.api, "/v1.45/tasks") >= 1);
}

static void test_preparing_then_ready(void **state)
{
	struct fixture *f = *state;

	side_start(&f->mgr, "m", NULL, f->port);
	control(&f->mgr, "mode?m=preparing");
	open_side(f, &f->mgr);
	assert_int_not_equal(f->mgr.fetched, 0);
	print_message("preparing: %s\n", f->mgr.fetch_err);
	assert_non_null(strstr(f->mgr.fetch_err, "being prepared"));
	control(&f->mgr, "mode?m=active");
	assert_true(peers_become(f, &f->mgr, 3, 5000, NULL)); /* after the backoff */
}

static void test_locked_and_not_in_swarm(void **state)
{
	struct fixture *f = *state;

	side_start(&f->mgr, "m", NULL, f->port);
	control(&f->mgr, "mode?m=locked");
	open_side(f, &f->mgr);
	assert_int_not_equal(f->mgr.fetched, 0);
	assert_non_null(strstr(f->mgr.fetch_err, "locked"));
	assert_non_null(strstr(f->mgr.fetch_err, "docker swarm unlock"));
	adapter_close(f->mgr.adapter);
	f->mgr.adapter = NULL;

	control(&f->mgr, "mode?m=inactive");
	struct adapter_ctx ctx = ctx_of(&f->mgr, NULL);
	assert_int_equal(adapter_swarm_ops.detect(&ctx), 0);
	open_side(f, &f->mgr);
	assert_int_not_equal(f->mgr.fetched, 0);
	print_message("not in a swarm: %s\n", f->mgr.fetch_err);
	assert_non_null(strstr(f->mgr.fetch_err, "not in a swarm"));

	control(&f->mgr, "mode?m=active");
	ctx = ctx_of(&f->mgr, NULL);
	assert_int_equal(adapter_swarm_ops.detect(&ctx), 1);
}

static void test_socket_missing(void **state)
{
	struct fixture *f = *state;
	struct side *s = &f->mgr;
	snprintf(s->sock, sizeof(s->sock), "/tmp/kv-swarm-none-%d.sock", (int)getpid());
	side_env(s, f->port);
	struct adapter_ctx ctx = ctx_of(s, NULL);
	assert_int_equal(adapter_swarm_ops.detect(&ctx), 0);
	open_side(f, s);
	assert_int_not_equal(s->fetched, 0);
	print_message("no socket: %s\n", s->fetch_err);
	assert_non_null(strstr(s->fetch_err, s->sock));
}

static void test_bad_bodies_keep_peers(void **state)
{
	struct fixture *f = *state;
	static const char *const kinds[] = { "truncated", "huge", "not_json" };
	char what[128];

	side_start(&f->mgr, "m", NULL, f->port);
	open_side(f, &f->mgr);
	assert_int_equal(f->mgr.fetched, 0);
	for (size_t i = 0; i < 3; i++) {
		unsigned before = f->mgr.updates;
		snprintf(what, sizeof(what), "body?path=/v1.41/nodes&kind=%s", kinds[i]);
		control(&f->mgr, what);
		control(&f->mgr, "task?node=" NODE3 "&state=failed");
		control(&f->mgr, "event?type=node&action=update");
		assert_true(log_shows_within(f, "keeping 3 known peers", 3000));
		assert_int_equal(f->mgr.updates, before);
		assert_peers(adapter_last(f->mgr.adapter), all3, 3);
		control(&f->mgr, "clear");
		assert_true(peers_become(f, &f->mgr, 2, 8000, NULL));
		control(&f->mgr, "task?node=" NODE3 "&state=running");
		assert_true(peers_become(f, &f->mgr, 3, 6000, NULL));
	}
	assert_false(f->mgr.saw_empty);
}

/* How many log lines hold needle. */
static unsigned log_count(const struct fixture *f, const char *needle)
{
	FILE *fp = fopen(f->log.path, "r");
	char line[1024];
	unsigned n = 0;
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(fp);
	return n;
}

/* Issue 13 point 5: /events with a line of 1 GiB that never ends is dropped at the line cap
 * (not read to its end), lines that are not events drop the stream at the first (not one
 * warning and one list a line, forever); the stream is followed again after a backoff that
 * only a good event resets; the peers are kept throughout, and events work again after. */
static void test_hostile_event_stream(void **state)
{
	struct fixture *f = *state;
	unsigned before, garbage, reopened = 0;

	side_start(&f->mgr, "m", NULL, f->port);
	open_side(f, &f->mgr);
	assert_int_equal(f->mgr.fetched, 0);
	harness_run_for(f->loop, 300); /* the event stream opens */
	before = f->mgr.updates;
	control(&f->mgr, "events?kind=endless");
	control(&f->mgr, "close_events");
	assert_true(log_shows_within(f, "the event stream: a line over 65536 bytes", 3000));

	control(&f->mgr, "events?kind=garbage"); /* a line every 10 ms, forever */
	harness_run_for(f->loop, 6000);
	garbage = log_count(f, "the event stream: invalid JSON");
	print_message("lines that are not events for 6 s: %u warnings\n", garbage);
	assert_true(garbage >= 1 && garbage <= 3); /* reconnects after 2 s, then 4 s */
	assert_int_equal(f->mgr.updates, before);
	assert_peers(adapter_last(f->mgr.adapter), all3, 3);

	control(&f->mgr, "clear");
	for (int i = 0; i < 40 && !reopened; i++) {
		control(&f->mgr, "event?type=node&action=update");
		reopened = log_shows_within(f, "the event stream answers again", 500);
	}
	assert_true(reopened);
	control(&f->mgr, "task?node=" NODE3 "&state=failed");
	control(&f->mgr, "event?type=node&action=update");
	assert_true(peers_become(f, &f->mgr, 2, 1000, NULL));
	assert_false(f->mgr.saw_empty);
}

/* ---- worker --------------------------------------------------------------------------- */

static void test_worker_follows_manager(void **state)
{
	struct fixture *f = *state;
	char text[IP_ADDR_STRLEN], mopt[64];
	unsigned ms;
	const char *const mgr_opts[] = { "node_addr=127.0.0.1", NULL };
	snprintf(mopt, sizeof(mopt), "manager_addr=127.0.0.1:2377");
	const char *const wkr_opts[] = { "role=worker", mopt, NULL };

	/* no manager's keepvip yet: the worker's first fetch says so */
	side_start(&f->wkr, "w", wkr_opts, f->port);
	side_start(&f->mgr, "m", mgr_opts, f->port);
	open_side(f, &f->wkr);
	assert_int_not_equal(f->wkr.fetched, 0);
	print_message("worker, no manager keepvip: %s\n", f->wkr.fetch_err);
	assert_non_null(strstr(f->wkr.fetch_err, "no manager's keepvip answers"));

	open_side(f, &f->mgr);
	assert_int_equal(f->mgr.fetched, 0);
	assert_true(peers_become(f, &f->wkr, 3, 8000, NULL));
	assert_peers(&f->wkr.last, all3, 3);
	assert_string_equal(ip_addr_str(&f->wkr.last.self, text), "10.99.0.12");

	/* a change the manager hears of reaches the worker within 1 s (long poll) */
	harness_run_for(f->loop, 500);
	control(&f->mgr, "task?node=" NODE3 "&state=shutdown");
	control(&f->mgr, "event?type=node&action=update");
	assert_true(peers_become(f, &f->wkr, 2, 1000, &ms));
	print_message("manager event -> worker peers: %u ms\n", ms);
	assert_peers(&f->wkr.last, two, 2);

	/* the manager's keepvip goes: the worker keeps its set and says why once */
	unsigned before = f->wkr.updates;
	adapter_close(f->mgr.adapter);
	f->mgr.adapter = NULL;
	assert_true(log_shows_within(f, "keeping the last 2 peer(s)", 8000));
	harness_run_for(f->loop, 5000);
	assert_int_equal(f->wkr.updates, before);
	assert_peers(adapter_last(f->wkr.adapter), two, 2);
	assert_false(f->wkr.saw_empty);
}

/* The endpoint: the set's node addresses and version, nothing else; bad requests refused. */
static void test_peer_endpoint(void **state)
{
	struct fixture *f = *state;
	const char *const mgr_opts[] = { "node_addr=127.0.0.1", NULL };
	char url[128];

	side_start(&f->mgr, "m", mgr_opts, f->port);
	open_side(f, &f->mgr);
	harness_run_for(f->loop, 300);
	/* curl from a child (blocking), while our loop serves */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/swarm/peers", f->port);
	char cmd[512], out[2048];
	snprintf(cmd, sizeof(cmd),
		 "(curl -s -o - -w ' %%{http_code}' '%s'; echo; curl -s -o /dev/null -w '%%{http_code}' "
		 "'http://127.0.0.1:%u/info'; echo; curl -s -o /dev/null -w '%%{http_code}' -X POST "
		 "'%s'; echo) > /tmp/kv-swarm-ep-%d.txt 2>&1 &", url, f->port, url, (int)getpid());
	assert_int_equal(system(cmd), 0);
	harness_run_for(f->loop, 1500);
	snprintf(cmd, sizeof(cmd), "/tmp/kv-swarm-ep-%d.txt", (int)getpid());
	FILE *fp = fopen(cmd, "r");
	assert_non_null(fp);
	size_t n = fread(out, 1, sizeof(out) - 1, fp);
	out[n] = '\0';
	fclose(fp);
	unlink(cmd);
	print_message("endpoint: %s", out);
	struct swarm_peerset set;
	char err[128];
	char *sp = strstr(out, " 200\n");
	assert_non_null(sp);
	assert_int_equal(swarm_peerset_parse(out, (size_t)(sp - out), &set, err, sizeof(err)), 0);
	assert_int_equal(set.n, 3);
	json_t *doc = json_loadb(out, (size_t)(sp - out), 0, NULL);
	assert_int_equal(json_object_size(doc), 2); /* version and peers: nothing else */
	json_decref(doc);
	assert_string_equal(strtok(sp + 5, "\n"), "404");
	assert_string_equal(strtok(NULL, "\n"), "405");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_manager_first_fetch_and_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_api_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_preparing_then_ready, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked_and_not_in_swarm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_bodies_keep_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_event_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_follows_manager, setup, teardown),
		cmocka_unit_test_setup_teardown(test_peer_endpoint, setup, teardown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return failed;
}
