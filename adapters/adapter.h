/* adapter.h — where settings and the live peer set come from: static, rancher, kubernetes,
 * swarm, marathon. Adapters know nothing of VRRP; the core knows nothing of orchestrators.
 *
 * An adapter is a const ops table (one file per kind) plus private state. It reports what it
 * found through one callback, adapter_update_fn, always with a whole discovery (never a
 * delta). adapter.c owns the generic behaviour every adapter shares: selection (explicit or
 * auto-detected), retries with backoff, and keeping the last known peers when the API is
 * unreachable — an adapter error never reaches the core as an empty peer set.
 *
 * Nothing here blocks the daemon's loop. Two things happen before that loop runs, once each,
 * each bounded, because the settings (and so the daemon) are built from their answers:
 *   detect       at most one short request per adapter (ADAPTER_DETECT_MS), while selecting;
 *   first fetch  adapter_first_fetch(), ADAPTER_FIRST_FETCH_MS in all, on a private loop
 *                (`keepvip peers` and `keepvip check` stop there: they never run the daemon).
 * The daemon then opens the adapter with that answer (or with none when it failed: the error
 * counts as the first failure and the normal backoff retries it; it is never asked again at
 * once) and every later request runs on the daemon's loop through ops->watch. */
#ifndef KEEPVIP_ADAPTER_H
#define KEEPVIP_ADAPTER_H

#include "ipaddr.h"
#include "settings.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADAPTER_MAX_PEERS 256
#define ADAPTER_MAX_OVERRIDES 32
#define ADAPTER_ERR_LEN 256
#define ADAPTER_RESUME_LEN 128
#define ADAPTER_DETECT_MS 1000u        /* detect(): the bound of its one request */
#define ADAPTER_FIRST_FETCH_MS 15000u  /* adapter_first_fetch(): the bound of the whole read */

struct loop;

/* A settings override from the orchestrator, keyed by env name (lowest precedence above
 * the defaults, unless over_env). */
struct adapter_override {
	char env_name[64];
	char value[SETTINGS_TEXT_LEN];
	/* The orchestrator's value for this node alone (a Kubernetes Node annotation): it wins
	 * over env and the YAML file, which a DaemonSet gives every node alike (flags still
	 * win). false: the usual adapter precedence, below the YAML file. */
	bool over_env;
};

struct adapter_discovery {
	struct ip_addr self;        /* our own address as the orchestrator sees it */
	bool has_self;
	struct ip_addr peers[ADAPTER_MAX_PEERS]; /* may include self; the core drops own addresses */
	size_t n_peers;
	struct adapter_override overrides[ADAPTER_MAX_OVERRIDES];
	size_t n_overrides;
	/* Where a watch may go on from after this answer: Rancher's metadata version, a
	 * Kubernetes resourceVersion, an event stream's last id; "" when the adapter has none. */
	char resume[ADAPTER_RESUME_LEN];
};

/* discovery NULL: the API answered and nothing changed (resets the error backoff). */
typedef void (*adapter_update_fn)(void *arg, const struct adapter_discovery *discovery);

/* What an adapter may use. */
struct adapter_ctx {
	struct loop *loop;               /* NULL for one-shot use (keepvip peers) */
	const struct settings *settings; /* effective settings: settings_get for the adapter's; read
					  * them in create: a reload replaces them
					  * (adapter_settings_changed) */
	settings_lookup_fn env;          /* the process environment (not for settings) */
	void *env_ctx;
	/* create: the resume of an answer already delivered (the first fetch's), so that the
	 * watch goes on from there instead of reading everything again; NULL or "" = none. */
	const char *resume;
};

struct adapter_ops {
	const char *name;  /* "static", "rancher", ... as in KEEPVIP_ORCHESTRATOR */

	/* The adapter's own settings (setting_keys.h): each key's env name, alias, YAML key,
	 * flag, kind and secrecy, and its rules across them (no I/O). The app hands every
	 * adapter's table to the settings layer, so env, flags, YAML and `keepvip check` cover
	 * them; the adapter reads them with settings_get(ctx->settings, ENV_NAME), never getenv.
	 * Names the orchestrator or another tool sets without KEEPVIP_ (POD_NAME, NODE_NAME,
	 * DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, MARATHON_APP_ID, MESOS_TASK_ID,
	 * HOST) are keys too: env KEEPVIP_POD_NAME with alias POD_NAME (flag --pod-name, YAML
	 * pod_name). Global keys only. NULL: none. */
	const struct settings_table *settings;

	/* 1 when this adapter applies here (auto-detection), 0 when not. Cheap: may look at env
	 * and files, may make one request bounded by ADAPTER_DETECT_MS, on a private loop; called
	 * only before the daemon's loop runs (ctx->loop is NULL). */
	int (*detect)(const struct adapter_ctx *ctx);

	/* Allocates private state into *state. 0, or negative errno with a message in err. */
	int (*create)(const struct adapter_ctx *ctx, void **state, char *err, size_t err_len);

	/* Optional: fetches once, synchronously, into *out, for adapters whose answer needs no
	 * network request (env, a local file). 0, or negative errno with a message in err.
	 * NULL for adapters that ask an API: adapter_first_fetch() drives their watch on a
	 * private loop up to its first answer, so they have one read path, not two. */
	int (*fetch)(void *state, struct adapter_discovery *out, char *err, size_t err_len);

	/* Starts watching on ctx->loop; calls report(arg, discovery) on every change, or
	 * fail(arg, err) on an error (adapter.c then keeps the last peers and backs off); an error
	 * at once may be reported from inside watch. Without a good read yet (a new state) it starts with a whole
	 * read and reports it. Never blocks. NULL when the adapter never changes after fetch
	 * (it must then have fetch). */
	int (*watch)(void *state, adapter_update_fn report,
		     void (*fail)(void *arg, const char *err), void *arg);

	/* Frees state; accepts NULL. Stops any watch. */
	void (*destroy)(void *state);
};

/* A printf-style error message into err (err_len bytes, cut to fit: long URLs and paths end
 * in the middle; nothing written when err_len is 0). For adapters' "what: where" errors. */
void adapter_errf(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A running adapter: ops + state + the last good discovery + backoff. */
struct adapter;

/* The first fetch, before any loop runs (see the top of this file): ops->fetch when the
 * adapter has one, else ops->create + ops->watch on a private loop until the first answer,
 * the first error or ADAPTER_FIRST_FETCH_MS, whichever comes first; one read, never
 * retried here. 0 with *out, or negative errno with a message in err. ctx->loop is ignored. */
int adapter_first_fetch(const struct adapter_ops *ops, const struct adapter_ctx *ctx,
			struct adapter_discovery *out, char *err, size_t err_len);

/* Creates the adapter on ctx->loop (with ctx->resume = known->resume) and delivers its first
 * answer: known, from adapter_first_fetch(). known NULL means that first fetch
 * failed: it counts as the first failure, and adapter_start() then waits for the backoff
 * before asking again. Makes no request. 0 or negative errno (err says why). */
int adapter_open(const struct adapter_ops *ops, const struct adapter_ctx *ctx,
		 const struct adapter_discovery *known, adapter_update_fn on_update, void *arg,
		 struct adapter **out, char *err, size_t err_len);
/* Starts watching now, or after the first backoff when the first fetch failed; errors
 * retry with backoff. */
int adapter_start(struct adapter *a);
const struct adapter_discovery *adapter_last(const struct adapter *a);
/* The daemon's settings were reloaded: ctx.settings is next from now on (next stays valid
 * until the following call or adapter_close). When a setting the adapter was created from
 * changed (today peers_file), the adapter is created again on next — on the loop, right
 * after the reload, never inside one of its own callbacks: the new state's first answer is
 * reported as at start (the last one stays in use until then), then it watches. If the new
 * state cannot be created, the running one goes on (logged) and the next call tries again. */
void adapter_settings_changed(struct adapter *a, const struct settings *next);
const char *adapter_name(const struct adapter *a);
/* Answers delivered and errors seen since adapter_open (for /metrics). */
void adapter_counts(const struct adapter *a, uint64_t *updates, uint64_t *errors);
void adapter_close(struct adapter *a);

#endif
