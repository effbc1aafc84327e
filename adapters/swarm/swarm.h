/* swarm.h — the Docker Swarm adapter (swarm.c). */
#ifndef KEEPVIP_SWARM_H
#define KEEPVIP_SWARM_H

#include "adapter.h"

extern const struct adapter_ops adapter_swarm_ops;

#endif
