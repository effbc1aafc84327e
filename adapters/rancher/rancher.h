/* rancher.h — the Rancher 1.x Cattle: settings and peers from rancher-metadata, long-polled. */
#ifndef KEEPVIP_ADAPTER_RANCHER_H
#define KEEPVIP_ADAPTER_RANCHER_H

#include "adapter.h"

extern const struct adapter_ops adapter_rancher_ops;

#endif
