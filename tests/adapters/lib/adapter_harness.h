/* adapter_harness.h — what every adapter test needs around the adapter under test:
 *
 *   fake_api_*      starts tests/adapters/lib/fake_api.py with a scenario (TCP, TLS or a unix
 *                   socket), asks its /_control endpoints, stops it by its pid;
 *   harness_env_*   the environment the adapter sees (a settings_lookup_fn over a table);
 *   harness_settings_*  the settings of every built-in adapter, loaded from that environment;
 *   log_capture_*   the daemon's log lines into a file the test can search;
 *   harness_run_*   the real loop, run until a predicate holds or a timeout passes.
 *
 * Test code only: it may block (fork, curl_easy, waitpid); the adapter under test never does.
 * Failures are cmocka assertions. */
#ifndef KEEPVIP_ADAPTER_HARNESS_H
#define KEEPVIP_ADAPTER_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct loop;
struct settings;

/* ---- the fake API server ---------------------------------------------------------------- */

struct fake_api_opts {
	const char *scenario;     /* a .json or .py file; relative: to tests/adapters/scenarios */
	const char *unix_path;    /* listen on this unix socket instead of 127.0.0.1 */
	bool tls;                 /* HTTPS with a CA made at start (fake_api.ca_file) */
	const char *const *opts;  /* "NAME=VALUE" for the scenario, NULL-terminated; may be NULL */
	const char *bind;         /* listen address ("::1"); NULL = 127.0.0.1 */
};

struct fake_api {
	pid_t pid;
	unsigned port;            /* 0 on a unix socket */
	char unix_path[108];
	char tls_dir[64];         /* "" without TLS */
	char ca_file[96];         /* the CA that signed the server's certificate; "" without TLS */
	char base_url[128];       /* "http://127.0.0.1:PORT", "https://...", "http://localhost" */
};

/* Starts the server and waits until it listens. */
void fake_api_start(struct fake_api *f, const struct fake_api_opts *opts);
/* SIGTERM to its pid, then reaps it; removes its socket and TLS files. Accepts a stopped one. */
void fake_api_stop(struct fake_api *f);
/* GET /_control/<what>; its JSON answer (the caller decrefs). */
json_t *fake_api_control(const struct fake_api *f, const char *what);
/* A control that must answer {"ok": true}. */
void fake_api_control_ok(const struct fake_api *f, const char *what);
/* Requests the server counted for path ("" = all). */
long fake_api_requests(const struct fake_api *f, const char *path);

/* ---- the environment the adapter sees --------------------------------------------------- */

#define HARNESS_ENV_MAX 16

struct harness_env {
	struct {
		const char *name;
		char value[256];
	} e[HARNESS_ENV_MAX];
	size_t n;
};

void harness_env_set(struct harness_env *env, const char *name, const char *value);
void harness_env_unset(struct harness_env *env, const char *name);
/* A settings_lookup_fn: ctx is the struct harness_env. */
const char *harness_env_lookup(const char *name, void *ctx);

/* settings_load from env, with every registered adapter's keys, into *settings (allocated on
 * first use; the caller frees it). settings_load's return; err says why on failure. */
int harness_settings_load(struct harness_env *env, struct settings **settings, char *err,
			  size_t err_len);
/* Asserts that a harness_settings_load returned 0, printing err first when it did not. */
void harness_settings_expect_loaded(int rc, const char *err);

/* ---- log capture ------------------------------------------------------------------------ */

struct log_capture {
	int fd;
	char path[64];
};

/* Every log line (debug and up, text) goes to a temporary file from now on. */
void log_capture_start(struct log_capture *c);
bool log_capture_has(const struct log_capture *c, const char *needle);
/* Back to stderr; with KEEPVIP_TEST_VERBOSE set, prints what was captured. */
void log_capture_stop(struct log_capture *c);

/* ---- the loop --------------------------------------------------------------------------- */

typedef bool (*harness_pred_fn)(const void *arg);

/* Runs loop until pred(arg) holds (checked every 20 ms) or ms have passed; returns pred's last
 * answer (false without a predicate). */
bool harness_run_until(struct loop *loop, harness_pred_fn pred, const void *arg, unsigned ms);
void harness_run_for(struct loop *loop, unsigned ms);

#endif
