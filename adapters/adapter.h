/* adapter.h — where settings and the live peer set come from: static, rancher, kubernetes,
 * swarm, marathon. Adapters know nothing of VRRP; the core knows nothing of orchestrators.
 *
 * An adapter is a const ops table (one file per kind) plus private state. It reports what it
 * found through one callback, adapter_update_fn, always with a whole discovery (never a
 * delta). adapter.c owns the generic behaviour every adapter shares: selection (explicit or
 * auto-detected), retries with backoff, and keeping the last known peers when the API is
 * unreachable — an adapter error never reaches the core as an empty peer set. */
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

struct loop;

/* A settings override from the orchestrator, keyed by env name (lowest precedence above
 * the defaults). */
struct adapter_override {
	char env_name[64];
	char value[SETTINGS_TEXT_LEN];
};

struct adapter_discovery {
	struct ip_addr self;        /* our own address as the orchestrator sees it */
	bool has_self;
	struct ip_addr peers[ADAPTER_MAX_PEERS]; /* may include self; the core drops own addresses */
	size_t n_peers;
	struct adapter_override overrides[ADAPTER_MAX_OVERRIDES];
	size_t n_overrides;
};

/* discovery NULL: the API answered and nothing changed (resets the error backoff). */
typedef void (*adapter_update_fn)(void *arg, const struct adapter_discovery *discovery);

/* What an adapter may use. */
struct adapter_ctx {
	struct loop *loop;               /* NULL for one-shot use (keepvip peers) */
	const struct settings *settings; /* effective settings (peers_file, ...); read them in
					  * create: a reload replaces them (adapter_settings_changed) */
	settings_lookup_fn env;          /* the process environment (endpoints, tokens) */
	void *env_ctx;
};

struct adapter_ops {
	const char *name;  /* "static", "rancher", ... as in KEEPVIP_ORCHESTRATOR */

	/* 1 when this adapter applies here (auto-detection), 0 when not. Cheap: may look at env
	 * and files, may make one short bounded request before the loop starts. */
	int (*detect)(const struct adapter_ctx *ctx);

	/* Allocates private state into *state. 0, or negative errno with a message in err. */
	int (*create)(const struct adapter_ctx *ctx, void **state, char *err, size_t err_len);

	/* Fetches once, without the loop, into *out (keepvip peers, and the first answer before
	 * the election). 0, or negative errno with a message in err. */
	int (*fetch)(void *state, struct adapter_discovery *out, char *err, size_t err_len);

	/* Starts watching on ctx->loop; calls report(arg, discovery) on every change, or
	 * fail(arg, err) on an error (adapter.c then keeps the last peers and backs off).
	 * NULL when the adapter never changes after fetch. */
	int (*watch)(void *state, adapter_update_fn report,
		     void (*fail)(void *arg, const char *err), void *arg);

	/* Frees state; accepts NULL. Stops any watch. */
	void (*destroy)(void *state);
};

/* A running adapter: ops + state + the last good discovery + backoff. */
struct adapter;

/* Creates the adapter and delivers its first answer: known (a fetch made just before, e.g.
 * while loading the settings) or, when known is NULL, one fetch now; on fetch failure keeps
 * going with an empty discovery and logs (the loop retries). 0 or negative errno (err says
 * why). */
int adapter_open(const struct adapter_ops *ops, const struct adapter_ctx *ctx,
		 const struct adapter_discovery *known, adapter_update_fn on_update, void *arg,
		 struct adapter **out, char *err, size_t err_len);
/* Starts watching (or periodic re-fetch with backoff on error). */
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
