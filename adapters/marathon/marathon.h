/* marathon.h — Mesos/Marathon: peers from the app's task list, kept live by the event stream
 * (marathon.c; the pure parts are marathon_parse.h, sse.h, marathon_endpoint.h, and the
 * non-blocking host name resolver resolve.h). */
#ifndef KEEPVIP_ADAPTER_MARATHON_H
#define KEEPVIP_ADAPTER_MARATHON_H

#include "adapter.h"

extern const struct adapter_ops adapter_marathon_ops;

#endif
