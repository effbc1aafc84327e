/* test_settings.c — settings sources, precedence, validation and messages (DESIGN.md
 * "Settings"). No real environment and no files: lookups are tables, YAML is in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"

struct kv {
	const char *name, *value;
};

/* A NULL-terminated table of name=value pairs as a settings lookup. */
#define KV(...) ((const struct kv[]){ __VA_ARGS__, { NULL, NULL } })

#define YAML_PATH "/etc/keepvip.yml"

static const char *fake_lookup(const char *name, void *ctx)
{
	for (const struct kv *kv = ctx; kv->name != NULL; kv++)
		if (strcmp(kv->name, name) == 0)
			return kv->value;
	return NULL;
}

static struct settings_source fake_source(const char *name, const struct kv *table)
{
	return (struct settings_source){ .name = name,
					 .lookup = table ? fake_lookup : NULL,
					 .ctx = (void *)table };
}

/* Adapters as the registry would hand them in (the real ones: test_adapter_settings.c):
 * names, and one table that shows what the key model carries — a path, a URL, a number
 * with a range, a comma list, a secret, an env name without KEEPVIP_ (an alias) — with a
 * rule across two keys. */
#define FAKE_ALIAS_NAME "POD_NAME"

static const struct setting_key_info fake_keys[] = {
	{ .env = "KEEPVIP_PEERS_FILE", .yaml = "peers_file", .flag = "peers-file",
	  .scope = SCOPE_GLOBAL, .kind = SETTING_PATH },
	{ .env = "KEEPVIP_FAKE_URL", .yaml = "fake_url", .flag = "fake-url", .scope = SCOPE_GLOBAL,
	  .kind = SETTING_URL_LIST },
	{ .env = "KEEPVIP_FAKE_WAIT_S", .yaml = "fake_wait_s", .flag = "fake-wait-s",
	  .scope = SCOPE_GLOBAL, .kind = SETTING_UINT, .min = 1, .max = 120 },
	{ .env = "KEEPVIP_FAKE_TOKEN", .yaml = "fake_token", .flag = "fake-token",
	  .scope = SCOPE_GLOBAL, .kind = SETTING_TEXT, .max = 16, .secret = true },
	{ .env = "KEEPVIP_FAKE_POD", .alias = FAKE_ALIAS_NAME, .yaml = "fake_pod",
	  .flag = "fake-pod", .scope = SCOPE_GLOBAL, .kind = SETTING_TEXT },
	{ .env = "KEEPVIP_FAKE_USER", .yaml = "fake_user", .flag = "fake-user",
	  .scope = SCOPE_GLOBAL, .kind = SETTING_TEXT },
};

/* A token goes with a user: one without the other is an error naming the one given. */
static int fake_validate(const struct settings_rules *r)
{
	bool user = settings_rules_get(r, "KEEPVIP_FAKE_USER") != NULL;
	bool token = settings_rules_get(r, "KEEPVIP_FAKE_TOKEN") != NULL;
	if (user == token)
		return 0;
	return settings_rules_fail(r, user ? "KEEPVIP_FAKE_USER" : "KEEPVIP_FAKE_TOKEN",
				   "is set but %s is not", user ? "the token" : "the user");
}

static const struct settings_table fake_table = {
	.keys = fake_keys,
	.n_keys = sizeof(fake_keys) / sizeof(fake_keys[0]),
	.validate = fake_validate,
};

static const struct settings_adapters fake_adapters = {
	.names = { "rancher", "kubernetes", "swarm", "static" },
	.n_names = 4,
	.tables = { &fake_table },
	.n_tables = 1,
};

static struct settings *S;
static char err[SETTINGS_ERR_LEN];

static int load4(const struct kv *flags, const struct kv *env, const char *yaml,
		 const struct kv *adapter)
{
	struct settings_inputs in = {
		.flags = fake_source("flag", flags),
		.env = fake_source("env", env),
		.yaml_text = yaml,
		.yaml_len = yaml ? strlen(yaml) : 0,
		.yaml_path = YAML_PATH,
		.adapter = fake_source("adapter rancher", adapter),
		.adapters = &fake_adapters,
	};
	err[0] = '\0';
	return settings_load(&in, S, err, sizeof(err));
}

static int load_env(const struct kv *env)
{
	return load4(NULL, env, NULL, NULL);
}

static int load_yaml(const char *yaml)
{
	return load4(NULL, NULL, yaml, NULL);
}

/* Loads expecting success; shows the message when it fails. */
#define LOAD_OK(call)                                                                    \
	do {                                                                             \
		int rc_ = (call);                                                        \
		if (rc_ != 0)                                                            \
			print_message("unexpected error: %s\n", err);                   \
		assert_int_equal(rc_, 0);                                                \
	} while (0)

#define LOAD_FAILS(call, message)                                                        \
	do {                                                                             \
		assert_int_equal((call), -EINVAL);                                       \
		assert_string_equal(err, (message));                                     \
	} while (0)

static const char *addr_str(const struct ip_addr *addr)
{
	static char buf[IP_ADDR_STRLEN];
	return ip_addr_str(addr, buf);
}

static int setup(void **state)
{
	(void)state;
	S = malloc(sizeof(*S));
	return S == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	free(S);
	return 0;
}

/* ------------------------------------------------------------------ defaults, aliases */

static void test_defaults(void **state)
{
	(void)state;
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.100" })));
	assert_int_equal(S->n_instances, 1);
	const struct instance_settings *i = &S->instances[0];
	assert_int_equal(i->n_vips, 1);
	assert_string_equal(addr_str(&i->vips[0].addr), "10.0.0.100");
	assert_int_equal(i->vips[0].prefix, 32);
	assert_int_equal(i->family, AF_INET);
	assert_string_equal(i->interface, "");
	assert_int_equal(i->vrid, 100);
	assert_true(i->vrid_derived);
	assert_string_equal(i->name, "VI_100");
	assert_int_equal(i->priority, 100);
	assert_int_equal(i->advert_ms, 1000);
	assert_int_equal(i->version, 3);
	assert_true(i->preempt);
	assert_int_equal(i->preempt_delay_ms, 0);
	assert_int_equal(i->n_peers, 0);
	assert_false(i->peers_set);
	assert_int_equal(i->mode, VRRP_MODE_AUTO);
	assert_int_equal(i->n_checks, 0);
	assert_string_equal(i->notify, "");
	assert_int_equal(i->garp_repeat, 5);
	assert_int_equal(i->garp_delay_ms, 1000);
	assert_int_equal(i->garp_refresh_s, 60);
	assert_int_equal(i->conflict_check_s, 60);
	assert_int_equal(i->conflict_action, CONFLICT_WARN);
	assert_string_equal(S->orchestrator, "auto");
	assert_string_equal(S->status_addr, "127.0.0.1:9650");
	assert_int_equal(S->log_format, LOG_FORMAT_TEXT);
	assert_int_equal(S->log_level, LOG_LEVEL_INFO);
	assert_string_equal(S->config_path, "");
	assert_null(settings_get(S, "KEEPVIP_PEERS_FILE"));
	assert_int_equal(S->n_adapter_values, fake_table.n_keys);
}

static void test_ipv6_defaults(void **state)
{
	(void)state;
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "fd00::10" })));
	assert_int_equal(S->instances[0].family, AF_INET6);
	assert_int_equal(S->instances[0].vips[0].prefix, 128);
	assert_int_equal(S->instances[0].vrid, 0x10);
}

/* The seed's Rancher catalog passes these names: a stack written for it runs unchanged. */
static void test_seed_catalog_aliases(void **state)
{
	(void)state;
	LOAD_OK(load_env(KV({ "VIRTUAL_IP", "10.0.0.100" }, { "NETMASK_BIT", "24" },
			    { "CHECK_PORT", "80" }, { "INTERFACE", "eth0" }, { "VRID", "51" })));
	const struct instance_settings *i = &S->instances[0];
	assert_string_equal(addr_str(&i->vips[0].addr), "10.0.0.100");
	assert_int_equal(i->vips[0].prefix, 24);
	assert_string_equal(i->interface, "eth0");
	assert_int_equal(i->vrid, 51);
	assert_false(i->vrid_derived);
	assert_string_equal(i->name, "VI_51");
	assert_int_equal(i->n_checks, 1);
	assert_int_equal(i->checks[0].kind, CHECK_TCP);
	assert_int_equal(i->checks[0].port, 80);
	assert_int_equal(i->checks[0].interval_ms, 1000);
	assert_int_equal(i->checks[0].timeout_ms, 1000);
	assert_int_equal(i->checks[0].rise, 2);
	assert_int_equal(i->checks[0].fall, 2);
	assert_int_equal(i->checks[0].weight, 0);
}

static void test_keepvip_name_wins_over_alias(void **state)
{
	(void)state;
	LOAD_OK(load_env(KV({ "VIRTUAL_IP", "10.0.0.100" }, { "KEEPVIP_VIPS", "10.0.0.7" },
			    { "VRID", "51" }, { "KEEPVIP_VRID", "52" }, { "NETMASK_BIT", "24" },
			    { "KEEPVIP_PREFIX", "16" }, { "INTERFACE", "eth0" },
			    { "KEEPVIP_INTERFACE", "eth1" }, { "CHECK_PORT", "80" },
			    { "KEEPVIP_CHECK_PORT", "8080" })));
	const struct instance_settings *i = &S->instances[0];
	assert_string_equal(addr_str(&i->vips[0].addr), "10.0.0.7");
	assert_int_equal(i->vrid, 52);
	assert_int_equal(i->vips[0].prefix, 16);
	assert_string_equal(i->interface, "eth1");
	assert_int_equal(i->checks[0].port, 8080);
}

/* A catalog form left blank passes an empty string: it counts as unset. */
static void test_empty_alias_values_are_unset(void **state)
{
	(void)state;
	LOAD_OK(load_env(KV({ "VIRTUAL_IP", "10.0.0.100" }, { "NETMASK_BIT", "" },
			    { "CHECK_PORT", "" }, { "INTERFACE", "" }, { "VRID", "" },
			    { "KEEPVIP_NOTIFY", "" }, { "KEEPVIP_PEERS", " " })));
	const struct instance_settings *i = &S->instances[0];
	assert_int_equal(i->vips[0].prefix, 32);
	assert_int_equal(i->n_checks, 0);
	assert_string_equal(i->interface, "");
	assert_int_equal(i->vrid, 100);
	assert_true(i->vrid_derived);
	assert_string_equal(i->notify, "");
	assert_false(i->peers_set);
}

static void test_empty_keepvip_name_falls_back_to_alias(void **state)
{
	(void)state;
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "" }, { "VIRTUAL_IP", "10.0.0.9" },
			    { "KEEPVIP_VRID", "" }, { "VRID", "51" })));
	assert_string_equal(addr_str(&S->instances[0].vips[0].addr), "10.0.0.9");
	assert_int_equal(S->instances[0].vrid, 51);
}

static void test_alias_error_names_the_alias(void **state)
{
	(void)state;
	LOAD_FAILS(load_env(KV({ "VIRTUAL_IP", "10.0.0.100" }, { "VRID", "300" })),
		   "env VRID: \"300\" is not between 1 and 255");
	LOAD_FAILS(load_env(KV({ "VIRTUAL_IP", "10.0.0.100" }, { "NETMASK_BIT", "33" })),
		   "env NETMASK_BIT: \"33\" is not between 1 and 32");
}

/* ------------------------------------------------------------------ precedence */

static void test_precedence_priority(void **state)
{
	(void)state;
	const char *yaml = "vips: 10.0.0.1\npriority: 120\n";
	const struct kv *flag = KV({ "KEEPVIP_PRIORITY", "200" });
	const struct kv *env = KV({ "KEEPVIP_PRIORITY", "150" });
	const struct kv *adapter = KV({ "KEEPVIP_PRIORITY", "110" });

	LOAD_OK(load4(flag, env, yaml, adapter));
	assert_int_equal(S->instances[0].priority, 200);
	LOAD_OK(load4(NULL, env, yaml, adapter));
	assert_int_equal(S->instances[0].priority, 150);
	LOAD_OK(load4(NULL, NULL, yaml, adapter));
	assert_int_equal(S->instances[0].priority, 120);
	LOAD_OK(load4(NULL, NULL, "vips: 10.0.0.1\n", adapter));
	assert_int_equal(S->instances[0].priority, 110);
	LOAD_OK(load4(NULL, NULL, "vips: 10.0.0.1\n", NULL));
	assert_int_equal(S->instances[0].priority, 100);
}

static void test_precedence_vips_and_globals(void **state)
{
	(void)state;
	const char *yaml = "vips: [10.0.0.3]\nlog: {level: debug}\norchestrator: swarm\n";

	LOAD_OK(load4(KV({ "KEEPVIP_VIPS", "10.0.0.1" }), KV({ "VIRTUAL_IP", "10.0.0.2" }), yaml,
		      KV({ "KEEPVIP_VIPS", "10.0.0.4" })));
	assert_string_equal(addr_str(&S->instances[0].vips[0].addr), "10.0.0.1");
	LOAD_OK(load4(NULL, KV({ "VIRTUAL_IP", "10.0.0.2" }), yaml,
		      KV({ "KEEPVIP_VIPS", "10.0.0.4" })));
	assert_string_equal(addr_str(&S->instances[0].vips[0].addr), "10.0.0.2");
	LOAD_OK(load4(NULL, NULL, yaml, KV({ "KEEPVIP_VIPS", "10.0.0.4" })));
	assert_string_equal(addr_str(&S->instances[0].vips[0].addr), "10.0.0.3");
	assert_int_equal(S->log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(S->orchestrator, "swarm");
	LOAD_OK(load4(NULL, NULL, NULL, KV({ "KEEPVIP_VIPS", "10.0.0.4" })));
	assert_string_equal(addr_str(&S->instances[0].vips[0].addr), "10.0.0.4");

	LOAD_OK(load4(KV({ "KEEPVIP_LOG_LEVEL", "warn" }), KV({ "KEEPVIP_LOG_LEVEL", "error" }),
		      yaml, NULL));
	assert_int_equal(S->log_level, LOG_LEVEL_WARN);
	LOAD_OK(load4(NULL, KV({ "KEEPVIP_ORCHESTRATOR", "kubernetes" }), yaml,
		      KV({ "KEEPVIP_ORCHESTRATOR", "rancher" })));
	assert_string_equal(S->orchestrator, "kubernetes");
}

/* Errors name the source whose value won. */
static void test_error_names_the_winning_source(void **state)
{
	(void)state;
	LOAD_FAILS(load4(KV({ "KEEPVIP_PRIORITY", "0" }), KV({ "KEEPVIP_PRIORITY", "150" }),
			 "vips: 10.0.0.1\n", NULL),
		   "flag KEEPVIP_PRIORITY: \"0\" is not between 1 and 254");
	LOAD_FAILS(load4(NULL, NULL, "vips: 10.0.0.1\n", KV({ "KEEPVIP_PRIORITY", "255" })),
		   "adapter rancher KEEPVIP_PRIORITY: \"255\" is not between 1 and 254");
	/* a bad value that is outranked does not matter */
	LOAD_OK(load4(NULL, KV({ "KEEPVIP_PRIORITY", "150" }), "vips: 10.0.0.1\npriority: 999\n",
		      NULL));
	assert_int_equal(S->instances[0].priority, 150);
}

/* ------------------------------------------------------------------ YAML */

static void test_yaml_single_instance(void **state)
{
	(void)state;
	const char *yaml = "# one instance\n"
			   "name: web\n"
			   "vips: 10.0.0.100/24, 10.0.0.101\n"
			   "prefix: 16\n"
			   "interface: eth0\n"
			   "vrid: 51\n"
			   "priority: 150\n"
			   "advert_ms: 100\n"
			   "version: 2\n"
			   "preempt: no\n"
			   "preempt_delay_ms: 5000\n"
			   "peers: [10.0.0.11, 10.0.0.12]\n"
			   "mode: unicast\n"
			   "checks:\n"
			   "  - tcp: 80\n"
			   "    interval_ms: 500\n"
			   "    rise: 3\n"
			   "    fall: 4\n"
			   "    weight: 20\n"
			   "  - http: http://127.0.0.1:8080/healthz\n"
			   "    timeout_ms: 300\n"
			   "  - script: /usr/local/bin/ok --quiet\n"
			   "notify: /usr/local/bin/notify.sh\n"
			   "orchestrator: static\n"
			   "status_addr: '[::1]:9651'\n"
			   "log_format: json\n"
			   "log_level: debug\n"
			   "peers_file: /etc/keepvip/peers\n";

	/* version 2 needs whole seconds: advert_ms 100 is refused, naming the place */
	LOAD_FAILS(load_yaml(yaml), YAML_PATH ":8:12: advert_ms: must be whole seconds between "
				    "1000 and 255000 (VRRP version 2)");
	LOAD_OK(load4(NULL, KV({ "KEEPVIP_VRRP_VERSION", "3" }), yaml, NULL));
	assert_int_equal(S->n_instances, 1);
	const struct instance_settings *i = &S->instances[0];
	assert_string_equal(i->name, "web");
	assert_int_equal(i->n_vips, 2);
	assert_int_equal(i->vips[0].prefix, 24);
	assert_string_equal(addr_str(&i->vips[1].addr), "10.0.0.101");
	assert_int_equal(i->vips[1].prefix, 16);
	assert_string_equal(i->interface, "eth0");
	assert_int_equal(i->vrid, 51);
	assert_int_equal(i->priority, 150);
	assert_int_equal(i->advert_ms, 100);
	assert_int_equal(i->version, 3);
	assert_false(i->preempt);
	assert_int_equal(i->preempt_delay_ms, 5000);
	assert_int_equal(i->n_peers, 2);
	assert_true(i->peers_set);
	assert_string_equal(addr_str(&i->peers[1]), "10.0.0.12");
	assert_int_equal(i->mode, VRRP_MODE_UNICAST);
	assert_int_equal(i->n_checks, 3);
	assert_int_equal(i->checks[0].kind, CHECK_TCP);
	assert_int_equal(i->checks[0].port, 80);
	assert_int_equal(i->checks[0].interval_ms, 500);
	assert_int_equal(i->checks[0].timeout_ms, 500);
	assert_int_equal(i->checks[0].rise, 3);
	assert_int_equal(i->checks[0].fall, 4);
	assert_int_equal(i->checks[0].weight, 20);
	assert_int_equal(i->checks[1].kind, CHECK_HTTP);
	assert_string_equal(i->checks[1].target, "http://127.0.0.1:8080/healthz");
	assert_int_equal(i->checks[1].interval_ms, 1000);
	assert_int_equal(i->checks[1].timeout_ms, 300);
	assert_int_equal(i->checks[2].kind, CHECK_SCRIPT);
	assert_string_equal(i->checks[2].target, "/usr/local/bin/ok --quiet");
	assert_string_equal(i->notify, "/usr/local/bin/notify.sh");
	assert_string_equal(S->orchestrator, "static");
	assert_string_equal(S->status_addr, "[::1]:9651");
	assert_int_equal(S->log_format, LOG_FORMAT_JSON);
	assert_int_equal(S->log_level, LOG_LEVEL_DEBUG);
	assert_string_equal(settings_get(S, "KEEPVIP_PEERS_FILE"), "/etc/keepvip/peers");
	assert_string_equal(S->config_path, YAML_PATH);
}

static const char multi_yaml[] = "orchestrator: kubernetes\n"
				 "log:\n"
				 "  format: json\n"
				 "  level: warn\n"
				 "instances:\n"
				 "  - name: v4\n"
				 "    vips: [10.0.0.100/24]\n"
				 "    vrid: 51\n"
				 "    checks: [{tcp: 443, weight: 10}]\n"
				 "  - name: v6\n"
				 "    vips:\n"
				 "      - fd00::100/64\n"
				 "    vrid: 51\n"
				 "    peers: fd00::2\n";

static void test_yaml_multi_instance(void **state)
{
	(void)state;
	LOAD_OK(load4(NULL, KV({ "KEEPVIP_PRIORITY", "180" }, { "KEEPVIP_INTERFACE", "eth0" }),
		      multi_yaml, NULL));
	assert_int_equal(S->n_instances, 2);
	assert_string_equal(S->orchestrator, "kubernetes");
	assert_int_equal(S->log_format, LOG_FORMAT_JSON);
	assert_int_equal(S->log_level, LOG_LEVEL_WARN);

	const struct instance_settings *a = &S->instances[0], *b = &S->instances[1];
	assert_string_equal(a->name, "v4");
	assert_int_equal(a->family, AF_INET);
	assert_int_equal(a->vrid, 51);
	assert_int_equal(a->n_checks, 1);
	assert_int_equal(a->checks[0].port, 443);
	assert_int_equal(a->checks[0].weight, 10);
	assert_string_equal(b->name, "v6");
	assert_int_equal(b->family, AF_INET6);
	assert_int_equal(b->vips[0].prefix, 64);
	assert_int_equal(b->n_peers, 1);
	assert_string_equal(addr_str(&b->peers[0]), "fd00::2");
	/* env values apply to every instance */
	assert_int_equal(a->priority, 180);
	assert_int_equal(b->priority, 180);
	assert_string_equal(a->interface, "eth0");
	assert_string_equal(b->interface, "eth0");
}

static void test_env_one_instance_keys_refused_for_many(void **state)
{
	(void)state;
	LOAD_FAILS(load4(NULL, KV({ "KEEPVIP_VIPS", "10.0.0.1" }), multi_yaml, NULL),
		   "env KEEPVIP_VIPS: names one instance, but " YAML_PATH " holds 2 instances: "
		   "set vips in each entry of instances instead");
	LOAD_FAILS(load4(NULL, KV({ "VRID", "7" }), multi_yaml, NULL),
		   "env VRID: names one instance, but " YAML_PATH " holds 2 instances: set vrid "
		   "in each entry of instances instead");
	LOAD_FAILS(load4(NULL, KV({ "KEEPVIP_INSTANCE_NAME", "x" }), multi_yaml, NULL),
		   "env KEEPVIP_INSTANCE_NAME: names one instance, but " YAML_PATH " holds 2 "
		   "instances: set name in each entry of instances instead");
	/* an adapter's VIPs stay out of a multi-instance file rather than failing it */
	LOAD_OK(load4(NULL, NULL, multi_yaml, KV({ "KEEPVIP_VIPS", "10.0.0.1" })));
	assert_string_equal(addr_str(&S->instances[0].vips[0].addr), "10.0.0.100");
	/* with one instance in the file, env names it */
	LOAD_OK(load4(NULL, KV({ "KEEPVIP_INSTANCE_NAME", "lb" }),
		      "instances:\n  - vips: 10.0.0.1\n", NULL));
	assert_string_equal(S->instances[0].name, "lb");
}

static void test_yaml_instance_without_vips_gets_env(void **state)
{
	(void)state;
	LOAD_OK(load4(NULL, KV({ "VIRTUAL_IP", "10.0.0.100" }), "priority: 120\n", NULL));
	assert_string_equal(addr_str(&S->instances[0].vips[0].addr), "10.0.0.100");
	assert_int_equal(S->instances[0].priority, 120);
	/* an empty file is no instance: env describes it */
	LOAD_OK(load4(NULL, KV({ "VIRTUAL_IP", "10.0.0.100" }), "", NULL));
	assert_int_equal(S->n_instances, 1);
	LOAD_OK(load4(NULL, KV({ "VIRTUAL_IP", "10.0.0.100" }), "# nothing\n", NULL));
	assert_int_equal(S->n_instances, 1);
}

/* ------------------------------------------------------------------ validation messages */

static void test_env_vrid_out_of_range(void **state)
{
	(void)state;
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.100" }, { "KEEPVIP_VRID", "300" })),
		   "env KEEPVIP_VRID: \"300\" is not between 1 and 255");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.100" }, { "KEEPVIP_VRID", "0" })),
		   "env KEEPVIP_VRID: \"0\" is not between 1 and 255");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.100" }, { "KEEPVIP_VRID", "-1" })),
		   "env KEEPVIP_VRID: \"-1\" is not between 1 and 255");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.100" },
			       { "KEEPVIP_VRID", "99999999999999999999999" })),
		   "env KEEPVIP_VRID: \"99999999999999999999999\" is not between 1 and 255");
}

static void test_yaml_advert_ms_place(void **state)
{
	(void)state;
	LOAD_FAILS(load_yaml("instances:\n"
			     "  - vips: 10.0.0.1\n"
			     "    advert_ms: 15\n"),
		   YAML_PATH ":3:16: advert_ms: must be a multiple of 10 between 10 and 40950");
	LOAD_FAILS(load_yaml("vips: 10.0.0.1\nadvert_ms: 40960\n"),
		   YAML_PATH ":2:12: advert_ms: must be a multiple of 10 between 10 and 40950");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_ADVERT_MS", "5" })),
		   "env KEEPVIP_ADVERT_MS: \"5\" is not a multiple of 10 between 10 and 40950");
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_ADVERT_MS", "10" })));
	assert_int_equal(S->instances[0].advert_ms, 10);
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_ADVERT_MS", "40950" })));
	assert_int_equal(S->instances[0].advert_ms, 40950);
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_VRRP_VERSION", "2" },
			    { "KEEPVIP_ADVERT_MS", "3000" })));
	assert_int_equal(S->instances[0].advert_ms, 3000);
	assert_int_equal(S->instances[0].version, 2);
}

static void test_mixed_families(void **state)
{
	(void)state;
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1,fd00::1" })),
		   "env KEEPVIP_VIPS: IPv4 and IPv6 VIPs go in separate instances");
	LOAD_FAILS(load_yaml("vips:\n  - 10.0.0.1\n  - fd00::1\n"),
		   YAML_PATH ":3:5: vips: IPv4 and IPv6 VIPs go in separate instances");
}

static void test_ipv6_needs_version_3(void **state)
{
	(void)state;
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "fd00::1" }, { "KEEPVIP_VRRP_VERSION", "2" })),
		   "env KEEPVIP_VRRP_VERSION: IPv6 VIPs need VRRP version 3 (version 2 is IPv4 "
		   "only)");
	LOAD_FAILS(load_yaml("vips: fd00::1\nversion: 2\n"),
		   YAML_PATH ":2:10: version: IPv6 VIPs need VRRP version 3 (version 2 is IPv4 "
			     "only)");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_VRRP_VERSION", "4" })),
		   "env KEEPVIP_VRRP_VERSION: \"4\" is not 2 or 3");
}

static void test_yaml_unknown_and_duplicate_keys(void **state)
{
	(void)state;
	LOAD_FAILS(load_yaml("vips: 10.0.0.1\nvirtual_ip: 10.0.0.2\n"),
		   YAML_PATH ":2:1: virtual_ip: unknown key");
	LOAD_FAILS(load_yaml("vips: 10.0.0.1\nvrid: 5\nvrid: 6\n"),
		   YAML_PATH ":3:1: vrid: duplicate key (given twice in the same mapping)");
	LOAD_FAILS(load_yaml("instances:\n  - vips: 10.0.0.1\n    colour: red\n"),
		   YAML_PATH ":3:5: colour: unknown key");
	LOAD_FAILS(load_yaml("vips: 10.0.0.1\nchecks:\n  - tcp: 80\n    retries: 3\n"),
		   YAML_PATH ":4:5: retries: unknown key in a check (tcp, http, script, "
			     "interval_ms, timeout_ms, rise, fall, weight)");
	LOAD_FAILS(load_yaml("vips: 10.0.0.1\nlog: {format: json, colour: red}\n"),
		   YAML_PATH ":2:21: colour: unknown key in log (format, level)");
	LOAD_FAILS(load_yaml("vips: 10.0.0.1\nlog: {format: json}\nlog_format: text\n"),
		   YAML_PATH ":3:13: log_format: is given twice in the file");
}

static void test_yaml_shape_errors(void **state)
{
	(void)state;
	LOAD_FAILS(load_yaml("vips: 10.0.0.1\nvrid: [1, 2]\n"),
		   YAML_PATH ":2:7: vrid: must be a single value, not a list or a mapping");
	LOAD_FAILS(load_yaml("- 10.0.0.1\n"),
		   YAML_PATH ":1:1: the file must be a mapping of settings (key: value)");
	LOAD_FAILS(load_yaml("vrid: 5\ninstances:\n  - vips: 10.0.0.1\n"),
		   YAML_PATH ":1:1: vrid: belongs inside an entry of instances (this file has an "
			     "instances list)");
	LOAD_FAILS(load_yaml("instances: []\n"),
		   YAML_PATH ":1:12: instances: must list at least one instance");
	LOAD_FAILS(load_yaml("vips: 10.0.0.1\nchecks:\n  - weight: 3\n"),
		   YAML_PATH ":3:5: checks: each check needs one of tcp, http or script");
	LOAD_FAILS(load_yaml("vips: 10.0.0.1\nchecks:\n  - {tcp: 80, http: 'http://x/'}\n"),
		   YAML_PATH ":3:15: http: a check is one of tcp, http or script, not several");
	LOAD_FAILS(load_yaml("vips: 10.0.0.1\n---\nvips: 10.0.0.2\n"),
		   YAML_PATH ":3:1: a second YAML document: the file holds one");
	/* a syntax error names the place too */
	assert_int_equal(load_yaml("vips: [10.0.0.1\nvrid: 5\n"), -EINVAL);
	assert_non_null(strstr(err, YAML_PATH ":"));
	assert_int_equal(load_yaml("vips: \"10.0.0.1\n"), -EINVAL);
	assert_true(strncmp(err, YAML_PATH ":", strlen(YAML_PATH ":")) == 0);
}

/* Nesting is bounded before libyaml builds the document: its time grows with the square of
 * the flow depth, and a reload parses on the event loop. A megabyte of "[" (hours for libyaml
 * alone) is refused at the first level too deep, at once; the deepest allowed still loads. */
static void test_yaml_nesting_is_bounded(void **state)
{
	(void)state;
	enum { DEEP = 1024 * 1024 };
	char *deep = malloc(DEEP + 1);
	assert_non_null(deep);
	memset(deep, '[', DEEP);
	deep[DEEP] = '\0';
	LOAD_FAILS(load_yaml(deep), YAML_PATH ":1:17: nested deeper than 16 levels");
	free(deep);

	LOAD_FAILS(load_yaml("vips: 10.0.0.1\nchecks: [{a: [[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]}]\n"),
		   YAML_PATH ":2:27: nested deeper than 16 levels");
	/* 16 levels: past the bound check, refused by the settings themselves */
	assert_int_equal(load_yaml("vips: 10.0.0.1\nchecks: [{a: [[[[[[[[[[[[[1]]]]]]]]]]]]]}]\n"),
			 -EINVAL);
	assert_non_null(strstr(err, YAML_PATH ":2:11: a: unknown key"));
}

static void test_bad_bool(void **state)
{
	(void)state;
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_PREEMPT", "maybe" })),
		   "env KEEPVIP_PREEMPT: \"maybe\" is not a boolean (true/false, yes/no, 1/0, "
		   "on/off)");
	LOAD_FAILS(load_yaml("vips: 10.0.0.1\npreempt: nein\n"),
		   YAML_PATH ":2:10: preempt: must be a boolean (true/false, yes/no, 1/0, on/off)");

	static const struct {
		const char *text;
		bool value;
	} words[] = { { "true", true },	  { "FALSE", false }, { "yes", true }, { "No", false },
		      { "1", true },	  { "0", false },     { "on", true },  { "off", false },
		      { " on ", true } };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" },
				    { "KEEPVIP_PREEMPT", words[i].text })));
		assert_int_equal(S->instances[0].preempt, words[i].value);
	}
}

static void test_missing_vips(void **state)
{
	(void)state;
	LOAD_FAILS(load_env(KV({ "KEEPVIP_PRIORITY", "120" })),
		   "no VIPs: set KEEPVIP_VIPS (or VIRTUAL_IP), or vips in the YAML file");
	LOAD_FAILS(load4(NULL, NULL, NULL, NULL),
		   "no VIPs: set KEEPVIP_VIPS (or VIRTUAL_IP), or vips in the YAML file");
	LOAD_FAILS(load_yaml("instances:\n  - vips: 10.0.0.1\n  - vrid: 9\n"),
		   YAML_PATH ":3:5: no VIPs: set KEEPVIP_VIPS (or VIRTUAL_IP), or vips in the "
			     "YAML file");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", " , ," })),
		   "no VIPs: set KEEPVIP_VIPS (or VIRTUAL_IP), or vips in the YAML file");
}

static void test_bad_vips(void **state)
{
	(void)state;
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.300" })),
		   "env KEEPVIP_VIPS: \"10.0.0.300\" is not an IPv4 or IPv6 address with an "
		   "optional /prefix");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1/33" })),
		   "env KEEPVIP_VIPS: \"10.0.0.1/33\" is not an IPv4 or IPv6 address with an "
		   "optional /prefix");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "224.0.0.18" })),
		   "env KEEPVIP_VIPS: \"224.0.0.18\" is a multicast address, not a usable VIP");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "::" })),
		   "env KEEPVIP_VIPS: \"::\" is the unspecified address, not a usable VIP");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1,10.0.0.1/24" })),
		   "env KEEPVIP_VIPS: \"10.0.0.1/24\" is listed twice");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1\n" }, { "KEEPVIP_VRID", "x\ty" })),
		   "env KEEPVIP_VRID: \"x\\x09y\" is not between 1 and 255");
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", " 10.0.0.1 , 10.0.0.2/24 10.0.0.3" })));
	assert_int_equal(S->instances[0].n_vips, 3);
	assert_int_equal(S->instances[0].vips[1].prefix, 24);
}

static void test_bad_peers(void **state)
{
	(void)state;
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" },
			       { "KEEPVIP_PEERS", "10.0.0.2,10.0.0.999" })),
		   "env KEEPVIP_PEERS: \"10.0.0.999\" is not an IPv4 or IPv6 address");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_PEERS", "fd00::2" })),
		   "env KEEPVIP_PEERS: \"fd00::2\" is IPv6 but the VIPs are IPv4: peers must be "
		   "of the VIPs' family");
	LOAD_FAILS(load_yaml("vips: 10.0.0.1\npeers:\n  - 10.0.0.2\n  - 224.0.0.18\n"),
		   YAML_PATH ":4:5: peers: \"224.0.0.18\" is a multicast address, not a usable "
			     "peer");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_PEERS", "0.0.0.0" })),
		   "env KEEPVIP_PEERS: \"0.0.0.0\" is the unspecified address, not a usable peer");
	/* duplicates are kept once; unicast mode does not require peers here (the adapter
	 * may bring them: the caller checks) */
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" },
			    { "KEEPVIP_PEERS", "10.0.0.2,10.0.0.3,10.0.0.2" })));
	assert_int_equal(S->instances[0].n_peers, 2);
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_MODE", "unicast" })));
	assert_int_equal(S->instances[0].mode, VRRP_MODE_UNICAST);
	assert_false(S->instances[0].peers_set);
}

static void test_range_errors(void **state)
{
	(void)state;
	static const struct {
		const char *name, *value, *message;
	} cases[] = {
		{ "KEEPVIP_PRIORITY", "255",
		  "env KEEPVIP_PRIORITY: \"255\" is not between 1 and 254" },
		{ "KEEPVIP_MODE", "broadcast",
		  "env KEEPVIP_MODE: \"broadcast\" is not one of auto, unicast, multicast" },
		{ "KEEPVIP_CHECK_PORT", "0",
		  "env KEEPVIP_CHECK_PORT: \"0\" is not between 1 and 65535" },
		{ "CHECK_PORT", "65536", "env CHECK_PORT: \"65536\" is not between 1 and 65535" },
		{ "KEEPVIP_ORCHESTRATOR", "nomad",
		  "env KEEPVIP_ORCHESTRATOR: \"nomad\" is not one of auto, rancher, kubernetes, "
		  "swarm, static" },
		{ "KEEPVIP_LOG_FORMAT", "xml",
		  "env KEEPVIP_LOG_FORMAT: \"xml\" is not one of text, json" },
		{ "KEEPVIP_LOG_LEVEL", "trace",
		  "env KEEPVIP_LOG_LEVEL: \"trace\" is not one of error, warn, info, debug" },
		{ "KEEPVIP_STATUS_ADDR", "9650",
		  "env KEEPVIP_STATUS_ADDR: \"9650\" is not \"off\" or HOST:PORT (such as "
		  "127.0.0.1:9650 or [::1]:9650)" },
		{ "KEEPVIP_INTERFACE", "a/b",
		  "env KEEPVIP_INTERFACE: \"a/b\" is not \"auto\" or an interface name (1 to 15 "
		  "characters, no '/', ':' or blank)" },
		{ "KEEPVIP_INTERFACE", "averyveryverylongname",
		  "env KEEPVIP_INTERFACE: \"averyveryverylongname\" is not \"auto\" or an "
		  "interface name (1 to 15 characters, no '/', ':' or blank)" },
		{ "KEEPVIP_INSTANCE_NAME", "two words",
		  "env KEEPVIP_INSTANCE_NAME: \"two words\" is not a name of 1 to 63 letters, "
		  "digits, '_', '-' or '.'" },
		{ "KEEPVIP_PREEMPT_DELAY_MS", "3600001",
		  "env KEEPVIP_PREEMPT_DELAY_MS: \"3600001\" is not between 0 and 3600000" },
		{ "KEEPVIP_GARP_REPEAT", "0",
		  "env KEEPVIP_GARP_REPEAT: \"0\" is not between 1 and 100" },
		{ "KEEPVIP_GARP_REPEAT", "101",
		  "env KEEPVIP_GARP_REPEAT: \"101\" is not between 1 and 100" },
		{ "KEEPVIP_GARP_DELAY_MS", "60001",
		  "env KEEPVIP_GARP_DELAY_MS: \"60001\" is not between 0 and 60000" },
		{ "KEEPVIP_GARP_REFRESH_S", "86401",
		  "env KEEPVIP_GARP_REFRESH_S: \"86401\" is not between 0 and 86400" },
		{ "KEEPVIP_CONFLICT_CHECK_S", "-1",
		  "env KEEPVIP_CONFLICT_CHECK_S: \"-1\" is not between 0 and 86400" },
		{ "KEEPVIP_CONFLICT_ACTION", "block",
		  "env KEEPVIP_CONFLICT_ACTION: \"block\" is not warn or refuse" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" },
				       { cases[i].name, cases[i].value })),
			   cases[i].message);
}

/* The announce and conflict settings from YAML (named by their YAML keys, place in errors)
 * and from env, which outranks the file. */
static void test_guard_settings(void **state)
{
	(void)state;
	const char *yaml = "vips: 10.0.0.100\n"
			   "garp_repeat: 3\n"
			   "garp_delay_ms: 200\n"
			   "garp_refresh_s: 0\n"
			   "conflict_check_s: 5\n"
			   "conflict_action: refuse\n";
	LOAD_OK(load_yaml(yaml));
	const struct instance_settings *i = &S->instances[0];
	assert_int_equal(i->garp_repeat, 3);
	assert_int_equal(i->garp_delay_ms, 200);
	assert_int_equal(i->garp_refresh_s, 0);
	assert_int_equal(i->conflict_check_s, 5);
	assert_int_equal(i->conflict_action, CONFLICT_REFUSE);
	LOAD_OK(load4(NULL, KV({ "KEEPVIP_GARP_REPEAT", "7" }, { "KEEPVIP_CONFLICT_ACTION", "Warn" }),
		      yaml, NULL));
	assert_int_equal(S->instances[0].garp_repeat, 7);
	assert_int_equal(S->instances[0].conflict_action, CONFLICT_WARN);
	LOAD_FAILS(load_yaml("vips: 10.0.0.100\ngarp_delay_ms: 70000\n"),
		   YAML_PATH ":2:16: garp_delay_ms: must be between 0 and 60000");
}

static void test_check_tuning_errors(void **state)
{
	(void)state;
	const struct kv base = { "KEEPVIP_CHECK_PORT", "80" };
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, base,
			       { "KEEPVIP_CHECK_RISE", "0" })),
		   "env KEEPVIP_CHECK_RISE: \"0\" is not between 1 and 1000");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, base,
			       { "KEEPVIP_CHECK_FALL", "0" })),
		   "env KEEPVIP_CHECK_FALL: \"0\" is not between 1 and 1000");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, base,
			       { "KEEPVIP_CHECK_WEIGHT", "254" })),
		   "env KEEPVIP_CHECK_WEIGHT: \"254\" is not between 0 and 253");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, base,
			       { "KEEPVIP_CHECK_INTERVAL_MS", "5" })),
		   "env KEEPVIP_CHECK_INTERVAL_MS: \"5\" is not between 10 and 3600000");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" },
			       { "KEEPVIP_CHECK_URL", "ftp://x/" })),
		   "env KEEPVIP_CHECK_URL: \"ftp://x/\" is not an http:// or https:// URL (at most "
		   "511 characters)");
	LOAD_FAILS(load_yaml("vips: 10.0.0.1\nchecks: [{tcp: 80, fall: 0}]\n"),
		   YAML_PATH ":2:26: fall: must be between 1 and 1000");
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, base, { "KEEPVIP_CHECK_WEIGHT", "253" },
			    { "KEEPVIP_CHECK_INTERVAL_MS", "200" },
			    { "KEEPVIP_CHECK_TIMEOUT_MS", "150" })));
	assert_int_equal(S->instances[0].checks[0].weight, 253);
	assert_int_equal(S->instances[0].checks[0].interval_ms, 200);
	assert_int_equal(S->instances[0].checks[0].timeout_ms, 150);
}

/* Env checks replace the file's list; env tuning applies to the file's checks; an
 * adapter's check stays under the file's. */
static void test_checks_precedence(void **state)
{
	(void)state;
	const char *yaml = "vips: 10.0.0.1\nchecks:\n  - http: https://127.0.0.1/ok\n"
			   "    interval_ms: 700\n    rise: 5\n";

	LOAD_OK(load4(NULL, KV({ "CHECK_PORT", "80" }), yaml, NULL));
	assert_int_equal(S->instances[0].n_checks, 1);
	assert_int_equal(S->instances[0].checks[0].kind, CHECK_TCP);
	LOAD_OK(load4(NULL, KV({ "KEEPVIP_CHECK_INTERVAL_MS", "300" }), yaml, NULL));
	assert_int_equal(S->instances[0].checks[0].kind, CHECK_HTTP);
	assert_int_equal(S->instances[0].checks[0].interval_ms, 300);
	assert_int_equal(S->instances[0].checks[0].rise, 5);
	LOAD_OK(load4(NULL, NULL, yaml,
		      KV({ "KEEPVIP_CHECK_PORT", "81" }, { "KEEPVIP_CHECK_RISE", "9" },
			 { "KEEPVIP_CHECK_FALL", "7" })));
	assert_int_equal(S->instances[0].n_checks, 1);
	assert_int_equal(S->instances[0].checks[0].kind, CHECK_HTTP);
	assert_int_equal(S->instances[0].checks[0].rise, 5);
	assert_int_equal(S->instances[0].checks[0].fall, 7);
	LOAD_OK(load4(NULL, NULL, "vips: 10.0.0.1\n", KV({ "KEEPVIP_CHECK_PORT", "81" })));
	assert_int_equal(S->instances[0].checks[0].port, 81);
	/* all three kinds from env, in the order tcp, http, script */
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_CHECK_SCRIPT", "true" },
			    { "KEEPVIP_CHECK_URL", "http://127.0.0.1/" },
			    { "KEEPVIP_CHECK_PORT", "80" })));
	assert_int_equal(S->instances[0].n_checks, 3);
	assert_int_equal(S->instances[0].checks[1].kind, CHECK_HTTP);
	assert_string_equal(S->instances[0].checks[2].target, "true");
}

static void test_status_addr_forms(void **state)
{
	(void)state;
	static const char *const good[] = { "off",	   "OFF",	   "0.0.0.0:9650",
					    "[::1]:9650", "localhost:80", "127.0.0.1:65535" };
	static const char *const bad[] = { "::1:9650",	     "127.0.0.1",	"127.0.0.1:0",
					   "127.0.0.1:70000", "[::1]9650",	":9650",
					   "[10.0.0.1]:80",   "host:80x",	"a b:80" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" },
				    { "KEEPVIP_STATUS_ADDR", good[i] })));
		assert_string_equal(S->status_addr, i < 2 ? "off" : good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" },
					     { "KEEPVIP_STATUS_ADDR", bad[i] })),
				 -EINVAL);
}

static void test_instances_apart(void **state)
{
	(void)state;
	LOAD_FAILS(load_yaml("instances:\n"
			     "  - {name: a, vips: 10.0.0.1, vrid: 7}\n"
			     "  - {name: b, vips: 10.0.1.1, vrid: 7}\n"),
		   YAML_PATH ":3:37: vrid: VRID 7 is already used by instance \"a\" (IPv4, "
			     "interface auto)");
	LOAD_FAILS(load_yaml("instances:\n"
			     "  - {vips: 10.0.0.100}\n"
			     "  - {vips: 10.0.1.100, name: other}\n"),
		   YAML_PATH ":3:12: vips: VRID 100 (derived from 10.0.1.100) is already used by "
			     "instance \"VI_100\" (IPv4, interface auto): set vrid");
	LOAD_FAILS(load_yaml("instances:\n"
			     "  - {name: a, vips: 10.0.0.1, vrid: 7}\n"
			     "  - {name: a, vips: 10.0.1.1, vrid: 8}\n"),
		   YAML_PATH ":3:12: name: two instances are named \"a\": give each its own name");
	/* same VRID on other interfaces, or in the other family, is fine */
	LOAD_OK(load_yaml("instances:\n"
			  "  - {name: a, vips: 10.0.0.1, vrid: 7, interface: eth0}\n"
			  "  - {name: b, vips: 10.0.1.1, vrid: 7, interface: eth1}\n"
			  "  - {name: c, vips: 'fd00::1', vrid: 7, interface: eth0}\n"));
	assert_int_equal(S->n_instances, 3);
}

/* ------------------------------------------------------------------ derived VRID */

static uint8_t derive(const char *text)
{
	struct ip_addr addr;
	assert_int_equal(ip_addr_parse(text, &addr), 0);
	return settings_derive_vrid(&addr);
}

static void test_derived_vrid(void **state)
{
	(void)state;
	assert_int_equal(derive("10.0.0.100"), 100);
	assert_int_equal(derive("192.168.1.255"), 255);
	assert_int_equal(derive("10.0.1.0"), 10 ^ 1);         /* last byte 0: XOR of bytes */
	assert_int_equal(derive("10.10.0.0"), 1);             /* XOR 0 too: 1 */
	assert_int_equal(derive("fd00::1:2"), 2);
	assert_int_equal(derive("fd00::100"), 0xfd ^ 0x01);

	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.1.0/24" })));
	assert_int_equal(S->instances[0].vrid, 11);
	assert_true(S->instances[0].vrid_derived);
	assert_string_equal(S->instances[0].name, "VI_11");
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.100" }, { "KEEPVIP_VRID", "100" })));
	assert_false(S->instances[0].vrid_derived);
}

/* ------------------------------------------------------------------ print */

static char *print_to_string(const struct settings *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_non_null(out);
	settings_print(s, out);
	fclose(out);
	return text;
}

static void test_print_marks_derived_vrid(void **state)
{
	(void)state;
	LOAD_OK(load_env(KV({ "VIRTUAL_IP", "10.0.0.100" }, { "NETMASK_BIT", "24" },
			    { "CHECK_PORT", "80" })));
	char *text = print_to_string(S);
	assert_non_null(strstr(text, "    vrid: 100  # derived from 10.0.0.100\n"));
	assert_non_null(strstr(text, "    vips: [\"10.0.0.100/24\"]\n"));
	assert_non_null(strstr(text, "      - tcp: 80\n        interval_ms: 1000\n"));
	assert_non_null(strstr(text, "status_addr: \"127.0.0.1:9650\"\n"));
	assert_non_null(strstr(text, "    # peers: from the adapter\n"));
	free(text);
}

static void test_print_masks_url_password(void **state)
{
	(void)state;
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" },
			    { "KEEPVIP_CHECK_URL", "http://admin:s3cret@127.0.0.1:81/health" })));
	char *text = print_to_string(S);
	assert_null(strstr(text, "s3cret"));
	assert_non_null(strstr(text, "http: \"http://admin:***@127.0.0.1:81/health\""));
	free(text);
}

static void assert_same_instance(const struct instance_settings *a,
				 const struct instance_settings *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->n_vips, b->n_vips);
	for (size_t i = 0; i < a->n_vips; i++) {
		assert_true(ip_addr_equal(&a->vips[i].addr, &b->vips[i].addr));
		assert_int_equal(a->vips[i].prefix, b->vips[i].prefix);
	}
	assert_string_equal(a->interface, b->interface);
	assert_int_equal(a->vrid, b->vrid);
	assert_int_equal(a->priority, b->priority);
	assert_int_equal(a->advert_ms, b->advert_ms);
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->preempt, b->preempt);
	assert_int_equal(a->preempt_delay_ms, b->preempt_delay_ms);
	assert_int_equal(a->n_peers, b->n_peers);
	assert_int_equal(a->peers_set, b->peers_set);
	for (size_t i = 0; i < a->n_peers; i++)
		assert_true(ip_addr_equal(&a->peers[i], &b->peers[i]));
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->n_checks, b->n_checks);
	for (size_t i = 0; i < a->n_checks; i++) {
		assert_int_equal(a->checks[i].kind, b->checks[i].kind);
		assert_int_equal(a->checks[i].port, b->checks[i].port);
		assert_string_equal(a->checks[i].target, b->checks[i].target);
		assert_int_equal(a->checks[i].interval_ms, b->checks[i].interval_ms);
		assert_int_equal(a->checks[i].timeout_ms, b->checks[i].timeout_ms);
		assert_int_equal(a->checks[i].rise, b->checks[i].rise);
		assert_int_equal(a->checks[i].fall, b->checks[i].fall);
		assert_int_equal(a->checks[i].weight, b->checks[i].weight);
	}
	assert_string_equal(a->notify, b->notify);
}

/* What `keepvip check` prints is a settings file that loads back to the same settings. */
static void test_print_loads_back(void **state)
{
	(void)state;
	struct settings *first = malloc(sizeof(*first));
	assert_non_null(first);
	LOAD_OK(load4(NULL, KV({ "KEEPVIP_NOTIFY", "/bin/echo \"state\" # \\ x" },
			       { "KEEPVIP_STATUS_ADDR", "[::1]:9000" },
			       { "KEEPVIP_PEERS_FILE", "/etc/peers" },
			       { "KEEPVIP_FAKE_WAIT_S", "7" },
			       { "KEEPVIP_FAKE_URL", "http://a:8080, https://b" }),
		      multi_yaml, NULL));
	memcpy(first, S, sizeof(*first));
	char *text = print_to_string(first);
	LOAD_OK(load_yaml(text));
	assert_int_equal(S->n_instances, first->n_instances);
	for (size_t i = 0; i < S->n_instances; i++)
		assert_same_instance(&first->instances[i], &S->instances[i]);
	assert_string_equal(S->orchestrator, first->orchestrator);
	assert_string_equal(S->status_addr, first->status_addr);
	assert_string_equal(settings_get(S, "KEEPVIP_PEERS_FILE"), "/etc/peers");
	assert_int_equal(settings_get_uint(S, "KEEPVIP_FAKE_WAIT_S", 0), 7);
	assert_string_equal(settings_get(S, "KEEPVIP_FAKE_URL"), "http://a:8080, https://b");
	assert_null(settings_get(S, "KEEPVIP_FAKE_TOKEN"));
	assert_int_equal(S->log_format, first->log_format);
	assert_int_equal(S->log_level, first->log_level);
	free(text);
	free(first);
}

/* ------------------------------------------------------------------ adapters' settings */

/* An adapter's key is read from env (its name or its alias), flags and YAML, by precedence. */
static void test_adapter_keys_every_source(void **state)
{
	(void)state;
	const char *yaml = "vips: [10.0.0.1]\nfake_wait_s: 30\nfake_pod: from-yaml\n";

	LOAD_OK(load4(NULL, NULL, yaml, NULL));
	assert_int_equal(settings_get_uint(S, "KEEPVIP_FAKE_WAIT_S", 60), 30);
	assert_string_equal(settings_get(S, "KEEPVIP_FAKE_POD"), "from-yaml");
	LOAD_OK(load4(NULL, KV({ "KEEPVIP_FAKE_WAIT_S", "40" }, { FAKE_ALIAS_NAME, "pod-7" }), yaml,
		      NULL));
	assert_int_equal(settings_get_uint(S, "KEEPVIP_FAKE_WAIT_S", 60), 40);
	assert_string_equal(settings_get(S, "KEEPVIP_FAKE_POD"), "pod-7");
	LOAD_OK(load4(KV({ "KEEPVIP_FAKE_WAIT_S", "50" }), KV({ "KEEPVIP_FAKE_WAIT_S", "40" }), yaml,
		      NULL));
	assert_int_equal(settings_get_uint(S, "KEEPVIP_FAKE_WAIT_S", 60), 50);
	/* not given: the adapter's own default */
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" })));
	assert_null(settings_get(S, "KEEPVIP_FAKE_WAIT_S"));
	assert_int_equal(settings_get_uint(S, "KEEPVIP_FAKE_WAIT_S", 60), 60);
	/* a multi-instance file holds them at the top level */
	LOAD_OK(load4(NULL, NULL, "fake_wait_s: 9\ninstances:\n  - vips: [10.0.0.1]\n", NULL));
	assert_int_equal(settings_get_uint(S, "KEEPVIP_FAKE_WAIT_S", 60), 9);
	LOAD_FAILS(load4(NULL, NULL, "instances:\n  - vips: [10.0.0.1]\n    fake_wait_s: 9\n",
			 NULL),
		   YAML_PATH ":3:5: fake_wait_s: unknown key");
}

static void test_adapter_key_errors(void **state)
{
	(void)state;
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_FAKE_WAIT_S", "999" })),
		   "env KEEPVIP_FAKE_WAIT_S: \"999\" is not between 1 and 120");
	LOAD_FAILS(load4(KV({ "fake", "1" }, { "KEEPVIP_FAKE_WAIT_S", "0" }),
			 KV({ "KEEPVIP_VIPS", "10.0.0.1" }), NULL, NULL),
		   "flag KEEPVIP_FAKE_WAIT_S: \"0\" is not between 1 and 120");
	LOAD_FAILS(load_yaml("vips: [10.0.0.1]\nfake_url: ftp://x\n"),
		   YAML_PATH ":2:11: fake_url: must be a comma list of http:// or https:// URLs "
			     "(at most 511 characters)");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" },
			      { "KEEPVIP_FAKE_URL", "http://a,,http://b" })),
		   "env KEEPVIP_FAKE_URL: \"http://a,,http://b\" is not a comma list of http:// or "
		   "https:// URLs (at most 511 characters)");
	/* the table's own rule, naming the source and place of the value given */
	LOAD_FAILS(load4(NULL, KV({ "KEEPVIP_VIPS", "10.0.0.1" }),
			 "fake_user: alice\n", NULL),
		   YAML_PATH ":1:12: fake_user: is set but the token is not");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_FAKE_TOKEN", "t0k" })),
		   "env KEEPVIP_FAKE_TOKEN: is set but the user is not");
}

/* A secret is masked by its key's flag wherever settings are printed, and a bad one is not
 * quoted in the error. */
static void test_secret_masked(void **state)
{
	(void)state;
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_FAKE_USER", "alice" },
			    { "KEEPVIP_FAKE_TOKEN", "hunter2" })));
	assert_string_equal(settings_get(S, "KEEPVIP_FAKE_TOKEN"), "hunter2");
	char *text = print_to_string(S);
	assert_null(strstr(text, "hunter2"));
	assert_non_null(strstr(text, "fake_token: \"***\"\n"));
	assert_non_null(strstr(text, "fake_user: \"alice\"\n"));
	free(text);
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_FAKE_USER", "alice" },
			      { "KEEPVIP_FAKE_TOKEN", "a-token-far-too-long-x" })),
		   "env KEEPVIP_FAKE_TOKEN: must be at most 16 characters long (value not shown: a "
		   "secret)");
	assert_null(strstr(err, "far-too-long"));
}

/* KEEPVIP_AUTH_PASS / auth_pass: VRRPv2 only, at most 8 characters, a secret nowhere shown. */
static void test_auth_pass(void **state)
{
	(void)state;
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_VRRP_VERSION", "2" },
			    { "KEEPVIP_AUTH_PASS", "kvlpass1" })));
	assert_string_equal(S->instances[0].auth_pass, "kvlpass1");
	char *text = print_to_string(S);
	assert_null(strstr(text, "kvlpass1"));
	assert_non_null(strstr(text, "    auth_pass: \"***\"\n"));
	free(text);
	LOAD_OK(load_yaml("vips: 10.0.0.1\nversion: 2\nauth_pass: abc\n"));
	assert_string_equal(S->instances[0].auth_pass, "abc");
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_VRRP_VERSION", "2" })));
	assert_string_equal(S->instances[0].auth_pass, "");
	text = print_to_string(S);
	assert_null(strstr(text, "auth_pass"));
	free(text);

	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_AUTH_PASS", "kvlpass1" })),
		   "env KEEPVIP_AUTH_PASS: a password needs VRRP version 2 (version 3 has no "
		   "authentication, RFC 5798 §9): set version 2 or drop it");
	LOAD_FAILS(load_yaml("instances:\n"
			     "  - vips: 10.0.0.1\n"
			     "    auth_pass: kvlpass1\n"),
		   YAML_PATH ":3:16: auth_pass: a password needs VRRP version 2 (version 3 has "
			     "no authentication, RFC 5798 §9): set version 2 or drop it");
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_VRRP_VERSION", "2" },
			       { "KEEPVIP_AUTH_PASS", "ninechars" })),
		   "env KEEPVIP_AUTH_PASS: must be at most 8 characters (value not shown: a "
		   "secret)");
	assert_null(strstr(err, "ninechars"));
	assert_true(setting_keys[SK_AUTH_PASS].secret);
}

/* KEEPVIP_REALTIME_PRIORITY / realtime_priority: 0 (off) .. 99, global. */
static void test_realtime_priority(void **state)
{
	(void)state;
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" })));
	assert_int_equal(S->realtime_priority, 0);
	LOAD_OK(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_REALTIME_PRIORITY", "99" })));
	assert_int_equal(S->realtime_priority, 99);
	char *text = print_to_string(S);
	assert_non_null(strstr(text, "\nrealtime_priority: 99\n"));
	free(text);
	LOAD_OK(load_yaml("realtime_priority: 10\ninstances:\n  - vips: 10.0.0.1\n"));
	assert_int_equal(S->realtime_priority, 10);
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" },
			       { "KEEPVIP_REALTIME_PRIORITY", "100" })),
		   "env KEEPVIP_REALTIME_PRIORITY: \"100\" is not between 0 and 99");
	LOAD_FAILS(load_yaml("realtime_priority: rr\nvips: 10.0.0.1\n"),
		   YAML_PATH ":1:20: realtime_priority: must be between 0 and 99");
}

/* KEEPVIP_ORCHESTRATOR takes "auto" and the names handed in, nothing else. */
static void test_orchestrator_names_handed_in(void **state)
{
	(void)state;
	LOAD_FAILS(load_env(KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_ORCHESTRATOR", "marathon" })),
		   "env KEEPVIP_ORCHESTRATOR: \"marathon\" is not one of auto, rancher, kubernetes, "
		   "swarm, static");
	struct settings_inputs in = { .env = fake_source("env", KV({ "KEEPVIP_VIPS", "10.0.0.1" },
					{ "KEEPVIP_ORCHESTRATOR", "static" })) };
	assert_int_equal(settings_load(&in, S, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "env KEEPVIP_ORCHESTRATOR: \"static\" is not one of auto");
	in.env = fake_source("env", KV({ "KEEPVIP_VIPS", "10.0.0.1" }, { "KEEPVIP_PEERS_FILE", "/p" }));
	assert_int_equal(settings_load(&in, S, err, sizeof(err)), 0); /* no adapter: not read */
	assert_int_equal(S->n_adapter_values, 0);
	assert_null(settings_get(S, "KEEPVIP_PEERS_FILE"));
}

/* Flags map to env names through the registry: the core's derived, the adapters' declared. */
static void test_flag_names(void **state)
{
	(void)state;
	assert_string_equal(setting_key_by_flag(&fake_adapters, "advert-ms")->env,
			    "KEEPVIP_ADVERT_MS");
	assert_string_equal(setting_key_by_flag(&fake_adapters, "instance-name")->env,
			    "KEEPVIP_INSTANCE_NAME");
	assert_string_equal(setting_key_by_flag(&fake_adapters, "fake-wait-s")->env,
			    "KEEPVIP_FAKE_WAIT_S");
	assert_null(setting_key_by_flag(&fake_adapters, "fake-nothing"));
	assert_null(setting_key_by_flag(NULL, "fake-wait-s"));
}

/* An orchestrator's metadata names a setting by its YAML key or its env name less KEEPVIP_;
 * only what an adapter may set. */
static void test_override_names(void **state)
{
	(void)state;
	assert_string_equal(setting_key_for_override("version")->env, "KEEPVIP_VRRP_VERSION");
	assert_string_equal(setting_key_for_override("vrrp_version")->env, "KEEPVIP_VRRP_VERSION");
	assert_string_equal(setting_key_for_override("name")->env, "KEEPVIP_INSTANCE_NAME");
	assert_string_equal(setting_key_for_override("tcp")->env, "KEEPVIP_CHECK_PORT");
	assert_string_equal(setting_key_for_override("check_port")->env, "KEEPVIP_CHECK_PORT");
	assert_string_equal(setting_key_for_override("http")->env, "KEEPVIP_CHECK_URL");
	assert_string_equal(setting_key_for_override("interval_ms")->env,
			    "KEEPVIP_CHECK_INTERVAL_MS");
	assert_null(setting_key_for_override("script"));
	assert_null(setting_key_for_override("notify"));
	assert_null(setting_key_for_override("peers"));
	assert_null(setting_key_for_override("orchestrator"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_auth_pass),
		cmocka_unit_test(test_realtime_priority),
		cmocka_unit_test(test_ipv6_defaults),
		cmocka_unit_test(test_seed_catalog_aliases),
		cmocka_unit_test(test_keepvip_name_wins_over_alias),
		cmocka_unit_test(test_empty_alias_values_are_unset),
		cmocka_unit_test(test_empty_keepvip_name_falls_back_to_alias),
		cmocka_unit_test(test_alias_error_names_the_alias),
		cmocka_unit_test(test_precedence_priority),
		cmocka_unit_test(test_precedence_vips_and_globals),
		cmocka_unit_test(test_error_names_the_winning_source),
		cmocka_unit_test(test_yaml_single_instance),
		cmocka_unit_test(test_yaml_multi_instance),
		cmocka_unit_test(test_env_one_instance_keys_refused_for_many),
		cmocka_unit_test(test_yaml_instance_without_vips_gets_env),
		cmocka_unit_test(test_env_vrid_out_of_range),
		cmocka_unit_test(test_yaml_advert_ms_place),
		cmocka_unit_test(test_mixed_families),
		cmocka_unit_test(test_ipv6_needs_version_3),
		cmocka_unit_test(test_yaml_unknown_and_duplicate_keys),
		cmocka_unit_test(test_yaml_shape_errors),
		cmocka_unit_test(test_yaml_nesting_is_bounded),
		cmocka_unit_test(test_bad_bool),
		cmocka_unit_test(test_missing_vips),
		cmocka_unit_test(test_bad_vips),
		cmocka_unit_test(test_bad_peers),
		cmocka_unit_test(test_range_errors),
		cmocka_unit_test(test_check_tuning_errors),
		cmocka_unit_test(test_guard_settings),
		cmocka_unit_test(test_checks_precedence),
		cmocka_unit_test(test_status_addr_forms),
		cmocka_unit_test(test_instances_apart),
		cmocka_unit_test(test_derived_vrid),
		cmocka_unit_test(test_print_marks_derived_vrid),
		cmocka_unit_test(test_print_masks_url_password),
		cmocka_unit_test(test_print_loads_back),
		cmocka_unit_test(test_adapter_keys_every_source),
		cmocka_unit_test(test_adapter_key_errors),
		cmocka_unit_test(test_secret_masked),
		cmocka_unit_test(test_orchestrator_names_handed_in),
		cmocka_unit_test(test_flag_names),
		cmocka_unit_test(test_override_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
