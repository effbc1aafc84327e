/* fuzz_settings_keys.h — for the settings targets: an adapter's key table with one key of
 * each kind and a rule across two of them, so that the adapter keys' checks (setting_keys.h)
 * are fuzzed without linking a real adapter. Included by one target each (static data). */
#ifndef KEEPVIP_FUZZ_SETTINGS_KEYS_H
#define KEEPVIP_FUZZ_SETTINGS_KEYS_H

#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct setting_key_info fuzz_keys[] = {
	{ .env = "KEEPVIP_FZ_TEXT", .yaml = "fz_text", .alias = "FZ_TEXT",
	  .kind = SETTING_TEXT, .max = 16, .scope = SCOPE_GLOBAL, .adapter_may_set = true },
	{ .env = "KEEPVIP_FZ_PATH", .yaml = "fz_path", .kind = SETTING_PATH, .scope = SCOPE_GLOBAL },
	{ .env = "KEEPVIP_FZ_URL", .yaml = "fz_url", .kind = SETTING_URL, .secret = true,
	  .scope = SCOPE_GLOBAL },
	{ .env = "KEEPVIP_FZ_URLS", .yaml = "fz_urls", .kind = SETTING_URL_LIST, .scope = SCOPE_GLOBAL },
	{ .env = "KEEPVIP_FZ_LIST", .yaml = "fz_list", .kind = SETTING_LIST, .scope = SCOPE_GLOBAL },
	{ .env = "KEEPVIP_FZ_UINT", .yaml = "fz_uint", .kind = SETTING_UINT, .min = 1, .max = 3600,
	  .scope = SCOPE_GLOBAL },
	{ .env = "KEEPVIP_FZ_BOOL", .yaml = "fz_bool", .kind = SETTING_BOOL, .scope = SCOPE_GLOBAL },
};

/* KEEPVIP_FZ_LIST needs KEEPVIP_FZ_URL, as an adapter's rule would. */
static int fuzz_keys_validate(const struct settings_rules *r)
{
	if (settings_rules_get(r, "KEEPVIP_FZ_LIST") != NULL &&
	    settings_rules_get(r, "KEEPVIP_FZ_URL") == NULL)
		return settings_rules_fail(r, "KEEPVIP_FZ_LIST", "given without KEEPVIP_FZ_URL");
	return 0;
}

static const struct settings_table fuzz_table = {
	.keys = fuzz_keys,
	.n_keys = sizeof(fuzz_keys) / sizeof(fuzz_keys[0]),
	.validate = fuzz_keys_validate,
};

static const struct settings_adapters fuzz_adapters = {
	.names = { "fuzz" },
	.n_names = 1,
	.tables = { &fuzz_table },
	.table_names = { "fuzz" },
	.n_tables = 1,
};

/* Every load must end in success (printable) or in one terminated line naming the cause. */
static void fuzz_check_load(int rc, const struct settings *s, const char *err, FILE *sink)
{
	if (rc == 0) {
		settings_print(s, sink);
		return;
	}
	if (err[0] == '\0' || memchr(err, '\0', SETTINGS_ERR_LEN) == NULL ||
	    strchr(err, '\n') != NULL)
		abort();
}

#endif
