/* daemon.h — `keepvip run`: wires settings, interfaces, instances, the adapter and the loop
 * together, runs until SIGTERM/SIGINT, and leaves nothing behind. */
#ifndef KEEPVIP_DAEMON_H
#define KEEPVIP_DAEMON_H

#include "adapter.h"
#include "settings.h"

/* Loads the settings again from every source (SIGHUP). known: the running adapter's last
 * answer (or NULL), used instead of asking the adapter again, so a reload never waits on the
 * network. 0, or negative errno with a message. */
typedef int (*daemon_reload_fn)(void *ctx, const struct adapter_discovery *known,
				struct settings *out, char *err, size_t err_len);

/* Runs the daemon. Returns the process exit code: 0 after a clean shutdown, 1 on a runtime
 * failure (the reason is logged). settings must stay valid until it returns. first: the
 * adapter's answer already fetched while loading the settings, or NULL. */
int daemon_run(const struct settings *settings, const struct adapter_ops *adapter_ops,
	       const struct adapter_ctx *adapter_ctx, const struct adapter_discovery *first,
	       daemon_reload_fn reload, void *reload_ctx);

#endif
