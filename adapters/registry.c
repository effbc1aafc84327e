/* registry.c — the adapters built in: one line each, in auto-detection order. */
#include "registry.h"

#include "kubernetes.h"
#include "marathon.h"
#include "rancher.h"
#include "static.h"
#include "swarm.h"

#include <string.h>

static const struct adapter_ops *const registry[] = {
	&adapter_marathon_ops, /* MARATHON_APP_ID: no request to decide */
	&adapter_kubernetes_ops,
	&adapter_rancher_ops,
	&adapter_swarm_ops,
	&adapter_static_ops, /* always applies: last */
};

const struct adapter_ops *const *adapter_registry(size_t *n)
{
	*n = sizeof(registry) / sizeof(registry[0]);
	return registry;
}

void adapter_registry_settings(struct settings_adapters *out)
{
	size_t n = sizeof(registry) / sizeof(registry[0]);

	_Static_assert(sizeof(registry) / sizeof(registry[0]) <= SETTINGS_MAX_ADAPTERS,
		       "every adapter fits in struct settings_adapters");
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		out->names[out->n_names++] = registry[i]->name;
		if (registry[i]->settings == NULL)
			continue;
		out->table_names[out->n_tables] = registry[i]->name;
		out->tables[out->n_tables++] = registry[i]->settings;
	}
}

const struct adapter_ops *adapter_select(const char *name, const struct adapter_ctx *ctx)
{
	size_t n = sizeof(registry) / sizeof(registry[0]);
	bool automatic = name == NULL || name[0] == '\0' || strcmp(name, "auto") == 0;

	for (size_t i = 0; i < n; i++) {
		if (automatic ? registry[i]->detect(ctx) > 0 : strcmp(registry[i]->name, name) == 0)
			return registry[i];
	}
	return NULL;
}
