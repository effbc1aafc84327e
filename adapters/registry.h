/* registry.h — every adapter built in, in auto-detection order (registry.c). The app asks it
 * for an adapter by name or by detection; nothing else names an adapter. */
#ifndef KEEPVIP_REGISTRY_H
#define KEEPVIP_REGISTRY_H

#include "adapter.h"

#include <stddef.h>

/* The adapters, orchestrators first and static (it always applies) last; *n gets the count. */
const struct adapter_ops *const *adapter_registry(size_t *n);

/* Fills what the adapters bring to the settings: their names (valid orchestrator values
 * besides "auto") and their settings tables, in registry order. */
void adapter_registry_settings(struct settings_adapters *out);

/* Finds the ops for name ("auto", "" or NULL run detect() in order). NULL when unknown. */
const struct adapter_ops *adapter_select(const char *name, const struct adapter_ctx *ctx);

#endif
