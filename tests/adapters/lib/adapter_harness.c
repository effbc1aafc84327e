/* adapter_harness.c — see adapter_harness.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "adapter_harness.h"

#include "log.h"
#include "registry.h"
#include "settings.h"
#include "loop.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef FAKE_API
#error "FAKE_API must name tests/adapters/lib/fake_api.py"
#endif
#ifndef SCENARIO_DIR
#error "SCENARIO_DIR must name tests/adapters/scenarios"
#endif
#ifndef KEEPVIP_SHARED_DIR
#error "KEEPVIP_SHARED_DIR must name the shared/ directory"
#endif

#define FAKE_START_MS 10000

/* ---- the fake API server ---------------------------------------------------------------- */

static void exec_fake(const struct fake_api *f, const struct fake_api_opts *o, int out_fd)
{
	char scenario[512];
	const char *argv[32] = { "python3", FAKE_API, "--fixtures", KEEPVIP_SHARED_DIR "/fixtures" };
	size_t n = 4;

	if (o->scenario[0] == '/')
		snprintf(scenario, sizeof(scenario), "%s", o->scenario);
	else
		snprintf(scenario, sizeof(scenario), "%s/%s", SCENARIO_DIR, o->scenario);
	argv[n++] = "--scenario";
	argv[n++] = scenario;
	if (o->unix_path != NULL) {
		argv[n++] = "--unix";
		argv[n++] = f->unix_path;
	}
	if (o->bind != NULL) {
		argv[n++] = "--bind";
		argv[n++] = o->bind;
	}
	if (o->tls) {
		argv[n++] = "--tls-dir";
		argv[n++] = f->tls_dir;
	}
	for (size_t i = 0; o->opts != NULL && o->opts[i] != NULL && n < 30; i++) {
		argv[n++] = "--opt";
		argv[n++] = o->opts[i];
	}
	argv[n] = NULL;
	dup2(out_fd, 1);
	/* A failed assertion leaves the test by longjmp, past fake_api_stop: the server must
	 * not outlive the test (it would hold ctest's output pipe open until the timeout). */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	execvp("python3", (char *const *)argv);
	_exit(127);
}

/* The first line the server prints: where it listens (ready once printed). */
static void read_first_line(int fd, char *line, size_t len)
{
	size_t used = 0;
	memset(line, 0, len);
	while (used < len - 1 && memchr(line, '\n', used) == NULL) {
		ssize_t n = read(fd, line + used, len - 1 - used);
		if (n <= 0)
			break;
		used += (size_t)n;
	}
}

void fake_api_start(struct fake_api *f, const struct fake_api_opts *o)
{
	int out[2];
	char line[160];

	memset(f, 0, sizeof(*f));
	if (o->unix_path != NULL)
		snprintf(f->unix_path, sizeof(f->unix_path), "%s", o->unix_path);
	if (o->tls) {
		snprintf(f->tls_dir, sizeof(f->tls_dir), "/tmp/keepvip-fake-tls-XXXXXX");
		assert_non_null(mkdtemp(f->tls_dir));
		snprintf(f->ca_file, sizeof(f->ca_file), "%s/ca.pem", f->tls_dir);
	}
	assert_int_equal(pipe(out), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (f->pid == 0) {
		close(out[0]);
		exec_fake(f, o, out[1]);
	}
	close(out[1]);
	read_first_line(out[0], line, sizeof(line));
	close(out[0]);
	if (o->unix_path != NULL) {
		assert_non_null(strstr(line, o->unix_path));
		snprintf(f->base_url, sizeof(f->base_url), "http://localhost");
	} else {
		f->port = (unsigned)strtoul(line, NULL, 10);
		if (f->port == 0)
			print_error("fake_api.py did not start (scenario %s)\n", o->scenario);
		assert_true(f->port > 0);
		bool v6 = o->bind != NULL && strchr(o->bind, ':') != NULL;
		snprintf(f->base_url, sizeof(f->base_url), "%s://%s%s%s:%u",
			 o->tls ? "https" : "http", v6 ? "[" : "", o->bind ? o->bind : "127.0.0.1",
			 v6 ? "]" : "", f->port);
	}
}

void fake_api_stop(struct fake_api *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
	}
	f->pid = 0;
	if (f->unix_path[0] != '\0')
		unlink(f->unix_path);
	if (f->tls_dir[0] != '\0') {
		static const char *const files[] = { "ca.pem", "ca-key.pem", "ca.srl", "cert.pem",
						     "key.pem", "cert.csr", "ext.cnf" };
		char path[160];
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", f->tls_dir, files[i]);
			unlink(path);
		}
		rmdir(f->tls_dir);
		f->tls_dir[0] = '\0';
	}
}

struct body {
	char *data;
	size_t len;
};

static size_t collect(char *data, size_t size, size_t n, void *userp)
{
	struct body *b = userp;
	char *grown = realloc(b->data, b->len + size * n + 1);
	if (grown == NULL)
		return 0;
	memcpy(grown + b->len, data, size * n);
	b->len += size * n;
	grown[b->len] = '\0';
	b->data = grown;
	return size * n;
}

json_t *fake_api_control(const struct fake_api *f, const char *what)
{
	char url[512];
	struct body b = { 0 };
	CURL *c = curl_easy_init();

	assert_non_null(c);
	snprintf(url, sizeof(url), "%s/_control/%s", f->base_url, what);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	/* patient: a fake busy streaming a hostile body to the adapter answers its controls late
	 * on a loaded machine (seen: over 5 s under ASan with two tests at once) */
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (f->unix_path[0] != '\0')
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, f->unix_path);
	if (f->ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, f->ca_file);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		print_error("control %s: %s\n", what, curl_easy_strerror(rc));
	assert_int_equal(rc, CURLE_OK);
	json_t *answer = b.data != NULL ? json_loadb(b.data, b.len, 0, NULL) : NULL;
	free(b.data);
	assert_non_null(answer);
	return answer;
}

void fake_api_control_ok(const struct fake_api *f, const char *what)
{
	json_t *answer = fake_api_control(f, what);
	if (!json_is_true(json_object_get(answer, "ok")))
		print_error("control %s: not ok\n", what);
	assert_true(json_is_true(json_object_get(answer, "ok")));
	json_decref(answer);
}

long fake_api_requests(const struct fake_api *f, const char *path)
{
	json_t *stats = fake_api_control(f, "stats");
	json_t *n = path[0] == '\0' ? json_object_get(stats, "total")
				    : json_object_get(json_object_get(stats, "paths"), path);
	long count = (long)json_integer_value(n); /* 0 when absent */
	json_decref(stats);
	return count;
}

/* ---- the environment -------------------------------------------------------------------- */

void harness_env_set(struct harness_env *env, const char *name, const char *value)
{
	for (size_t i = 0; i < env->n; i++) {
		if (strcmp(env->e[i].name, name) == 0) {
			snprintf(env->e[i].value, sizeof(env->e[i].value), "%s", value);
			return;
		}
	}
	assert_true(env->n < HARNESS_ENV_MAX);
	env->e[env->n].name = name;
	snprintf(env->e[env->n].value, sizeof(env->e[0].value), "%s", value);
	env->n++;
}

void harness_env_unset(struct harness_env *env, const char *name)
{
	for (size_t i = 0; i < env->n; i++)
		if (strcmp(env->e[i].name, name) == 0)
			env->e[i].value[0] = '\0';
}

const char *harness_env_lookup(const char *name, void *ctx)
{
	const struct harness_env *env = ctx;
	for (size_t i = 0; i < env->n; i++)
		if (strcmp(env->e[i].name, name) == 0)
			return env->e[i].value;
	return NULL;
}

int harness_settings_load(struct harness_env *env, struct settings **settings, char *err,
			  size_t err_len)
{
	struct settings_adapters adapters;
	adapter_registry_settings(&adapters);
	struct settings_inputs in = { .env = { "env", harness_env_lookup, env },
				      .adapters = &adapters };
	if (*settings == NULL)
		*settings = calloc(1, sizeof(**settings));
	assert_non_null(*settings);
	return settings_load(&in, *settings, err, err_len);
}

void harness_settings_expect_loaded(int rc, const char *err)
{
	if (rc != 0)
		print_error("settings: %s\n", err);
	assert_int_equal(rc, 0);
}

/* ---- log capture ------------------------------------------------------------------------ */

void log_capture_start(struct log_capture *c)
{
	snprintf(c->path, sizeof(c->path), "/tmp/keepvip-test-log-XXXXXX");
	c->fd = mkstemp(c->path);
	assert_true(c->fd >= 0);
	log_setup(LOG_FORMAT_TEXT, LOG_LEVEL_DEBUG);
	log_set_fd(c->fd);
}

bool log_capture_has(const struct log_capture *c, const char *needle)
{
	static char buf[1 << 17];
	ssize_t n = pread(c->fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, needle) != NULL;
}

void log_capture_stop(struct log_capture *c)
{
	log_set_fd(2);
	if (getenv("KEEPVIP_TEST_VERBOSE") != NULL) {
		char buf[16384];
		ssize_t n = pread(c->fd, buf, sizeof(buf) - 1, 0);
		fprintf(stderr, "%.*s", (int)(n > 0 ? n : 0), buf);
	}
	close(c->fd);
	unlink(c->path);
	c->fd = -1;
}

/* ---- the loop --------------------------------------------------------------------------- */

struct wait {
	harness_pred_fn pred;
	const void *arg;
	uint64_t deadline_us;
	struct loop_timer tick;
};

static void on_tick(struct loop *loop, void *arg)
{
	struct wait *w = arg;
	if ((w->pred != NULL && w->pred(w->arg)) || loop_now_us() >= w->deadline_us) {
		loop_stop(loop);
		return;
	}
	loop_timer_arm(loop, &w->tick, loop_now_us() + 20000u);
}

bool harness_run_until(struct loop *loop, harness_pred_fn pred, const void *arg, unsigned ms)
{
	struct wait w = { .pred = pred, .arg = arg,
			  .deadline_us = loop_now_us() + (uint64_t)ms * 1000u };
	loop_timer_init(&w.tick, on_tick, &w);
	loop_timer_arm(loop, &w.tick, loop_now_us());
	assert_int_equal(loop_run(loop), 0);
	loop_timer_cancel(loop, &w.tick);
	return pred != NULL && pred(arg);
}

void harness_run_for(struct loop *loop, unsigned ms)
{
	harness_run_until(loop, NULL, NULL, ms);
}
