/* test_adapter_settings.c — the adapters' own settings as the app loads them: the tables and
 * names the adapter registry hands to the settings layer (adapters/registry.c), read from
 * env, flags and YAML, checked by `keepvip check`'s settings_load, and Rancher's service
 * metadata named by the key registry. No real environment, no file, no network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rancher_parse.h"
#include "registry.h"
#include "settings.h"

#define YAML_PATH "/etc/keepvip.yml"

struct kv {
	const char *name, *value;
};

#define KV(...) ((const struct kv[]){ __VA_ARGS__, { NULL, NULL } })

static const char *kv_lookup(const char *name, void *ctx)
{
	for (const struct kv *kv = ctx; kv != NULL && kv->name != NULL; kv++)
		if (strcmp(kv->name, name) == 0)
			return kv->value;
	return NULL;
}

static struct settings *S;
static struct settings_adapters adapters;
static char err[SETTINGS_ERR_LEN];

/* Every load has VIPs in env; flags, more env, YAML and adapter overrides as given. */
static int load(const struct kv *flags, const struct kv *env, const char *yaml,
		const struct adapter_discovery *overrides)
{
	static const struct kv vips[] = { { "KEEPVIP_VIPS", "10.0.0.100" }, { NULL, NULL } };
	struct settings_inputs in = {
		.flags = { "flag", flags ? kv_lookup : NULL, (void *)flags },
		.env = { "env", kv_lookup, (void *)(env ? env : vips) },
		.yaml_text = yaml,
		.yaml_len = yaml ? strlen(yaml) : 0,
		.yaml_path = YAML_PATH,
		.adapters = &adapters,
	};
	if (overrides != NULL) {
		in.adapter.name = "adapter rancher";
		in.adapter.lookup = kv_lookup;
		/* overrides as a kv table */
		static struct kv table[ADAPTER_MAX_OVERRIDES + 1];
		for (size_t i = 0; i < overrides->n_overrides; i++)
			table[i] = (struct kv){ overrides->overrides[i].env_name,
						overrides->overrides[i].value };
		table[overrides->n_overrides] = (struct kv){ NULL, NULL };
		in.adapter.ctx = table;
	}
	err[0] = '\0';
	return settings_load(&in, S, err, sizeof(err));
}

#define LOAD_OK(call)                                                                    \
	do {                                                                             \
		int rc_ = (call);                                                        \
		if (rc_ != 0)                                                            \
			print_error("unexpected error: %s\n", err);                      \
		assert_int_equal(rc_, 0);                                                \
	} while (0)

#define LOAD_FAILS(call, message)                                                        \
	do {                                                                             \
		assert_int_equal((call), -EINVAL);                                       \
		assert_string_equal(err, (message));                                     \
	} while (0)

static int setup(void **state)
{
	(void)state;
	S = calloc(1, sizeof(*S));
	adapter_registry_settings(&adapters);
	return S == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	free(S);
	return 0;
}

/* KEEPVIP_ORCHESTRATOR's values are the registry's adapters (and auto). */
static void test_orchestrator_names_from_registry(void **state)
{
	(void)state;
	size_t n = 0;
	const struct adapter_ops *const *ops = adapter_registry(&n);
	assert_int_equal(adapters.n_names, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(adapters.names[i], ops[i]->name);
		LOAD_OK(load(KV({ "KEEPVIP_ORCHESTRATOR", ops[i]->name }), NULL, NULL, NULL));
		assert_string_equal(S->orchestrator, ops[i]->name);
	}
	/* the message lists the registry's names, in its order */
	char want[256];
	size_t used = (size_t)snprintf(want, sizeof(want),
				       "env KEEPVIP_ORCHESTRATOR: \"nomad\" is not one of auto");
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(want + used, sizeof(want) - used, ", %s", ops[i]->name);
	LOAD_FAILS(load(NULL, KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_ORCHESTRATOR", "nomad" }),
			NULL, NULL),
		   want);
}

/* Rancher's settings: env, flag (--rancher-stack) and YAML (rancher_stack:), by precedence. */
static void test_rancher_settings_every_source(void **state)
{
	(void)state;
	const char *yaml = "vips: [10.0.0.1]\n"
			   "rancher_stack: yaml-stack\n"
			   "rancher_service: yaml-service\n"
			   "rancher_max_wait_s: 30\n"
			   "rancher_metadata_url: http://10.0.0.9/2016-07-29\n";

	LOAD_OK(load(NULL, KV({ "KEEPVIP_RANCHER_STACK", "env-stack" }), yaml, NULL));
	assert_string_equal(settings_get(S, "KEEPVIP_RANCHER_STACK"), "env-stack");
	assert_string_equal(settings_get(S, "KEEPVIP_RANCHER_SERVICE"), "yaml-service");
	assert_int_equal(settings_get_uint(S, "KEEPVIP_RANCHER_MAX_WAIT_S", 60), 30);
	assert_string_equal(settings_get(S, "KEEPVIP_RANCHER_METADATA_URL"),
			    "http://10.0.0.9/2016-07-29");

	const struct setting_key_info *flag = setting_key_by_flag(&adapters, "rancher-stack");
	assert_non_null(flag);
	assert_string_equal(flag->env, "KEEPVIP_RANCHER_STACK");
	LOAD_OK(load(KV({ "KEEPVIP_RANCHER_STACK", "flag-stack" }),
		     KV({ "KEEPVIP_RANCHER_STACK", "env-stack" }), yaml, NULL));
	assert_string_equal(settings_get(S, "KEEPVIP_RANCHER_STACK"), "flag-stack");

	/* the static adapter's file is its own setting now */
	assert_string_equal(setting_key_by_flag(&adapters, "peers-file")->env, "KEEPVIP_PEERS_FILE");
	LOAD_OK(load(NULL, NULL, "vips: [10.0.0.1]\npeers_file: /etc/keepvip/peers\n", NULL));
	assert_string_equal(settings_get(S, "KEEPVIP_PEERS_FILE"), "/etc/keepvip/peers");
	assert_null(settings_get(S, "KEEPVIP_RANCHER_STACK"));
}

/* Each bad Rancher setting stops the check, naming its source and place. */
static void test_bad_rancher_settings(void **state)
{
	(void)state;
	LOAD_FAILS(load(NULL, KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_RANCHER_MAX_WAIT_S", "999" }),
			NULL, NULL),
		   "env KEEPVIP_RANCHER_MAX_WAIT_S: \"999\" is not between 1 and 120");
	LOAD_FAILS(load(KV({ "KEEPVIP_RANCHER_MAX_WAIT_S", "0" }), NULL, NULL, NULL),
		   "flag KEEPVIP_RANCHER_MAX_WAIT_S: \"0\" is not between 1 and 120");
	LOAD_FAILS(load(NULL, KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_RANCHER_STACK", "web" }),
			NULL, NULL),
		   "env KEEPVIP_RANCHER_STACK: is set but KEEPVIP_RANCHER_SERVICE is not: give both, "
		   "or neither");
	LOAD_FAILS(load(NULL, NULL, "vips: [10.0.0.1]\n\nrancher_service: lb\n", NULL),
		   YAML_PATH ":3:18: rancher_service: is set but KEEPVIP_RANCHER_STACK is not: give "
			     "both, or neither");
	LOAD_FAILS(load(NULL, NULL, "vips: [10.0.0.1]\nrancher_max_wait_s: 121\n", NULL),
		   YAML_PATH ":2:21: rancher_max_wait_s: must be between 1 and 120");
	LOAD_FAILS(load(NULL, KV({ "KEEPVIP_VIPS", "10.0.0.1" },
				 { "KEEPVIP_RANCHER_METADATA_URL", "rancher-metadata" }),
			NULL, NULL),
		   "env KEEPVIP_RANCHER_METADATA_URL: \"rancher-metadata\" is not an http:// or "
		   "https:// URL (at most 511 characters)");
}

/* Rancher's service metadata names settings by their real YAML keys (and, as the catalog
 * entry always did, by their env names less KEEPVIP_), through the key registry. */
static void test_rancher_metadata_override(void **state)
{
	(void)state;
	struct adapter_discovery *d = calloc(1, sizeof(*d));
	char note[256], why[256];
	json_t *md = json_pack("{s:{s:i, s:s, s:i, s:i, s:i, s:s}}", "keepvip", "version", 2,
			       "name", "lb", "tcp", 8080, "interval_ms", 500, "advert_ms", 2000,
			       "notify", "/bin/true");
	assert_non_null(d);
	assert_int_equal(rancher_parse_metadata((const struct json_t *)md, d, note, sizeof(note),
						why, sizeof(why)),
			 0);
	assert_int_equal(d->n_overrides, 5);
	assert_non_null(strstr(note, "keepvip.notify")); /* not a setting an adapter may give */
	LOAD_OK(load(NULL, NULL, NULL, d));
	const struct instance_settings *i = &S->instances[0];
	assert_int_equal(i->version, 2);
	assert_string_equal(i->name, "lb");
	assert_int_equal(i->advert_ms, 2000);
	assert_int_equal(i->n_checks, 1);
	assert_int_equal(i->checks[0].kind, CHECK_TCP);
	assert_int_equal(i->checks[0].port, 8080);
	assert_int_equal(i->checks[0].interval_ms, 500);
	assert_string_equal(i->notify, "");
	json_decref(md);

	/* the older spelling and the YAML key for one setting: given twice */
	md = json_pack("{s:{s:i, s:i}}", "keepvip", "check_port", 80, "tcp", 81);
	assert_int_equal(rancher_parse_metadata((const struct json_t *)md, d, note, sizeof(note),
						why, sizeof(why)),
			 -EBADMSG);
	assert_non_null(strstr(why, "given twice"));
	json_decref(md);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_orchestrator_names_from_registry),
		cmocka_unit_test(test_rancher_settings_every_source),
		cmocka_unit_test(test_bad_rancher_settings),
		cmocka_unit_test(test_rancher_metadata_override),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
