/* daemon.h — `keepvip run`: wires settings, interfaces, instances, the adapter and the loop
 * together, runs until SIGTERM/SIGINT, and leaves nothing behind. */
#ifndef KEEPVIP_DAEMON_H
#define KEEPVIP_DAEMON_H

#include "../adapters/adapter.h"
#include "settings.h"

/* Runs the daemon. Returns the process exit code: 0 after a clean shutdown, 1 on a runtime
 * failure (the reason is logged). */
int daemon_run(const struct settings *settings, const struct adapter_ops *adapter_ops,
	       const struct adapter_ctx *adapter_ctx);

#endif
