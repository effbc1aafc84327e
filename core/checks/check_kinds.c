/* check_kinds.c — the kinds of health check built in, indexed by enum check_kind. */
#include "check_kind.h"

#include <string.h>

static const struct check_kind_ops *const kinds[CHECK_KIND_COUNT] = {
	[CHECK_TCP] = &check_tcp_ops,
	[CHECK_HTTP] = &check_http_ops,
	[CHECK_SCRIPT] = &check_script_ops,
};

const struct check_kind_ops *check_kind_ops_of(enum check_kind kind)
{
	return (unsigned)kind < CHECK_KIND_COUNT ? kinds[kind] : NULL;
}

const char *check_kind_name(enum check_kind kind)
{
	const struct check_kind_ops *ops = check_kind_ops_of(kind);
	return ops != NULL ? ops->name : "unknown";
}

bool check_kind_find(const char *name, enum check_kind *out)
{
	for (unsigned k = 0; k < CHECK_KIND_COUNT; k++) {
		if (strcmp(kinds[k]->name, name) == 0) {
			*out = (enum check_kind)k;
			return true;
		}
	}
	return false;
}
