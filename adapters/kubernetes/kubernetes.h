/* kubernetes.h — a DaemonSet's peers from the Kubernetes API (list + watch), and our Node's
 * keepvip.io/priority annotation as its priority. */
#ifndef KEEPVIP_ADAPTER_KUBERNETES_H
#define KEEPVIP_ADAPTER_KUBERNETES_H

#include "adapter.h"

extern const struct adapter_ops adapter_kubernetes_ops;

#endif
