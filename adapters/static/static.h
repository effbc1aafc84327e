/* static.h — the static: peers from KEEPVIP_PEERS and KEEPVIP_PEERS_FILE (re-read when it changes). */
#ifndef KEEPVIP_ADAPTER_STATIC_H
#define KEEPVIP_ADAPTER_STATIC_H

#include "adapter.h"

extern const struct adapter_ops adapter_static_ops;

#endif
