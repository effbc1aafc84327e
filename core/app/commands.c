/* commands.c — parses the command line, loads the settings from every source, and runs one
 * command. Settings are validated whole before anything starts (STYLE.md habit 9). */
#include "commands.h"

#include "cli_args.h"
#include "daemon.h"
#include "registry.h"
#include "log.h"
#include "netlink.h"
#include "settings.h"
#include "settings_doc.h"
#include "status_client.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KEEPVIP_VERSION
#define KEEPVIP_VERSION "0.0.0"
#endif

#define YAML_MAX (1024 * 1024)

static const char usage[] =
	"usage: keepvip COMMAND [--config FILE] [--SETTING VALUE ...]\n"
	"\n"
	"commands:\n"
	"  run       the daemon, in the foreground, logging to stderr\n"
	"  check     validate the settings from every source and print the effective ones\n"
	"  peers     ask the adapter once and print what it found as JSON\n"
	"  status    ask a running daemon for its state\n"
	"  help-settings  list every setting: env name, flag, YAML key, meaning, default\n"
	"  version   print the version\n"
	"\n"
	"Every setting is an env name (KEEPVIP_PRIORITY, ...), a YAML key, or a flag: the env\n"
	"name without KEEPVIP_, lower case, '-' for '_' (--priority 150, --advert-ms 100).\n"
	"Precedence: flag > env > YAML file > adapter > default.\n";

struct cli {
	struct settings_adapters adapters; /* the adapters' names and settings (registry) */
	struct cli_args args;
};

/* KEEPVIP_ORCHESTRATOR's values (auto and the adapters built in) and the adapters' own
 * settings, from the registry. */
static void print_orchestrators(const struct settings_adapters *adapters, FILE *out)
{
	const struct setting_key_info *key;
	char flag[64];

	fputs("orchestrators (--orchestrator): auto", out);
	for (size_t i = 0; i < adapters->n_names; i++)
		fprintf(out, ", %s", adapters->names[i]);
	fputs("\nadapter settings:", out);
	for (size_t i = 0; (key = setting_adapter_key(adapters, i)) != NULL; i++)
		fprintf(out, "%s --%s", i ? "," : "", setting_key_flag(key, flag, sizeof(flag)));
	fputc('\n', out);
}

static int parse_args(int argc, char **argv, struct cli *cli)
{
	char err[256];

	adapter_registry_settings(&cli->adapters);
	if (cli_args_parse(argc, argv, &cli->adapters, &cli->args, err, sizeof(err)) < 0) {
		fprintf(stderr, "keepvip: %s\n", err);
		return -EINVAL;
	}
	return 0;
}

static char *read_file(const char *path, size_t *len, char *err, size_t err_len)
{
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(YAML_MAX + 1);
	size_t n = buf ? fread(buf, 1, YAML_MAX + 1, f) : 0;
	bool bad = buf == NULL || ferror(f) || n > YAML_MAX;
	fclose(f);
	if (bad) {
		snprintf(err, err_len, "%s: unreadable or larger than %d bytes", path, YAML_MAX);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Adapter overrides, looked up by env name like the other sources. */
static const char *override_lookup(const char *env_name, void *ctx)
{
	const struct adapter_discovery *d = ctx;
	for (size_t i = 0; i < d->n_overrides; i++)
		if (strcmp(d->overrides[i].env_name, env_name) == 0)
			return d->overrides[i].value;
	return NULL;
}

static bool orchestrator_is_auto(const char *name)
{
	return name[0] == '\0' || strcmp(name, "auto") == 0;
}

/* The env, except where the adapter gives a value for this node alone (over_env: a node
 * annotation beats the env a DaemonSet gives every node). */
static const char *env_under_node_overrides(const char *env_name, void *ctx)
{
	const struct adapter_discovery *d = ctx;
	for (size_t i = 0; i < d->n_overrides; i++)
		if (d->overrides[i].over_env && strcmp(d->overrides[i].env_name, env_name) == 0)
			return d->overrides[i].value;
	return settings_getenv(env_name, NULL);
}

/* The whole settings story: flags, env, YAML, then the adapter's overrides (which need the
 * adapter, which needs the first pass: so a second pass when there are any). */
struct loaded {
	struct settings *settings;
	const struct adapter_ops *ops;
	struct adapter_ctx ctx;
	struct adapter_discovery *first;   /* the adapter's first answer, or NULL */
	char fetch_err[ADAPTER_ERR_LEN];
};

/* Asks the adapter once, before the daemon's loop exists (its first answer and its settings
 * overrides), bounded (adapter.h). A failure is not retried here: the daemon's backoff does. */
static void first_fetch(struct loaded *out)
{
	int rc = adapter_first_fetch(out->ops, &out->ctx, out->first, out->fetch_err,
				     sizeof(out->fetch_err));
	if (rc < 0) {
		free(out->first);
		out->first = NULL;
	}
}

/* Selects the adapter the settings name (or the first that detects its place) and asks it. */
static int ask_adapter(struct loaded *out, char *err, size_t err_len)
{
	out->ops = adapter_select(out->settings->orchestrator, &out->ctx);
	if (out->ops == NULL) {
		snprintf(err, err_len, "orchestrator \"%s\": not available here",
			 out->settings->orchestrator);
		return -EINVAL;
	}
	first_fetch(out);
	return 0;
}

/* On reload: the running adapter's last answer (known, may be NULL) stands for asking it.
 * Settings that name another adapter are refused: switching adapters takes a restart. */
static int reuse_adapter(struct loaded *out, const struct adapter_ops *running,
			 const struct adapter_discovery *known, char *err, size_t err_len)
{
	const char *wanted = out->settings->orchestrator;
	if (!orchestrator_is_auto(wanted) && strcmp(wanted, running->name) != 0) {
		snprintf(err, err_len, "orchestrator \"%s\": the daemon runs with adapter %s; "
			 "a restart applies it", wanted, running->name);
		return -EINVAL;
	}
	out->ops = running;
	if (known != NULL) {
		*out->first = *known;
	} else {
		free(out->first);
		out->first = NULL;
	}
	return 0;
}

/* 0, or negative errno with the reason in err (without the "keepvip: settings: " prefix).
 * running: NULL at start (select the adapter and ask it); on reload the running adapter,
 * which is neither probed nor asked again: known (may be NULL) stands for its answer. */
static int load_settings_quiet(struct cli *cli, const struct adapter_ops *running,
			       const struct adapter_discovery *known, struct loaded *out, char *err,
			       size_t err_len)
{
	const char *path = cli->args.config_path ? cli->args.config_path : getenv("KEEPVIP_CONFIG");
	size_t yaml_len = 0;
	char *yaml = NULL;

	if (path != NULL && path[0] != '\0' &&
	    (yaml = read_file(path, &yaml_len, err, err_len)) == NULL)
		return -EINVAL;
	struct settings_inputs in = {
		.flags = { "flag", cli_args_lookup, &cli->args },
		.env = { "env", settings_getenv, NULL },
		.yaml_text = yaml, .yaml_len = yaml_len, .yaml_path = path,
		.adapters = &cli->adapters,
	};
	out->settings = calloc(1, sizeof(*out->settings));
	out->first = calloc(1, sizeof(*out->first));
	int rc = out->settings && out->first ? settings_load(&in, out->settings, err, err_len)
					     : -ENOMEM;
	if (rc == 0) {
		out->ctx = (struct adapter_ctx){ .settings = out->settings, .env = settings_getenv };
		rc = running ? reuse_adapter(out, running, known, err, err_len)
			     : ask_adapter(out, err, err_len);
	}
	if (rc == 0) {
		if (out->first != NULL && out->first->n_overrides > 0) {
			char name[64];
			snprintf(name, sizeof(name), "adapter %s", out->ops->name);
			in.adapter = (struct settings_source){ name, override_lookup, out->first };
			in.env.lookup = env_under_node_overrides;
			in.env.ctx = out->first;
			rc = settings_load(&in, out->settings, err, err_len);
		}
	}
	if (rc == -ENOMEM)
		snprintf(err, err_len, "out of memory");
	free(yaml);
	return rc;
}

static int load_settings(struct cli *cli, struct loaded *out)
{
	char err[SETTINGS_ERR_LEN];
	if (load_settings_quiet(cli, NULL, NULL, out, err, sizeof(err)) < 0) {
		fprintf(stderr, "keepvip: settings: %s\n", err);
		return 2;
	}
	return 0;
}

static void free_loaded(struct loaded *l)
{
	free(l->settings);
	free(l->first);
}

static int cmd_check(struct loaded *l)
{
	settings_print(l->settings, stdout);
	printf("adapter: %s\n", l->ops->name);
	/* The settings are valid. An orchestrator named explicitly that is not here at all (its
	 * detection fails: no Docker socket, an engine not in a swarm, no Kubernetes service
	 * env) is a runtime failure, exit 1; one that is here but does not answer just now is
	 * said, and the exit code stays about the settings. */
	bool not_here = !orchestrator_is_auto(l->settings->orchestrator) &&
			l->ops->detect(&l->ctx) <= 0;
	if (l->first == NULL || not_here)
		fprintf(stderr, "keepvip: check: orchestrator %s %s%s%s\n", l->ops->name,
			not_here ? "is not here" : "does not answer", l->first == NULL ? ": " : "",
			l->first == NULL ? l->fetch_err : "");
	return not_here ? 1 : 0;
}

static void json_add_addr(json_t *arr, const struct ip_addr *a)
{
	char text[IP_ADDR_STRLEN];
	json_array_append_new(arr, json_string(ip_addr_str(a, text)));
}

/* Our own address when the adapter does not say: the first instance's source address. */
static json_t *self_address(const struct loaded *l)
{
	char text[IP_ADDR_STRLEN], err[256], ifname[IF_NAMESIZE];
	const struct instance_settings *cfg = &l->settings->instances[0];
	struct nl_ctx *nl = NULL;
	struct nl_link_info info;
	struct nl_addr_entry addrs[32];
	size_t n = 0;
	json_t *out = json_null();

	if (l->first != NULL && l->first->has_self)
		return json_string(ip_addr_str(&l->first->self, text));
	if (nl_ctx_open(&nl, err, sizeof(err)) < 0)
		return out;
	snprintf(ifname, sizeof(ifname), "%s", cfg->interface);
	if ((ifname[0] != '\0' || nl_link_find_for_addr(nl, &cfg->vips[0].addr, ifname, err, sizeof(err)) == 0) &&
	    nl_link_info(nl, ifname, &info, err, sizeof(err)) == 0 &&
	    nl_addr_list(nl, info.ifindex, cfg->family, addrs, 32, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (!ip_addr_is_link_local(&addrs[i].addr)) {
				json_decref(out);
				out = json_string(ip_addr_str(&addrs[i].addr, text));
				break;
			}
		}
	}
	nl_ctx_close(nl);
	return out;
}

static int cmd_peers(struct loaded *l)
{
	if (l->first == NULL) {
		fprintf(stderr, "keepvip: peers: adapter %s: %s\n", l->ops->name, l->fetch_err);
		return 1;
	}
	json_t *root = json_object(), *peers = json_array(), *overrides = json_object();
	for (size_t i = 0; i < l->first->n_peers; i++)
		json_add_addr(peers, &l->first->peers[i]);
	for (size_t i = 0; i < l->first->n_overrides; i++)
		json_object_set_new(overrides, l->first->overrides[i].env_name,
				    json_string(l->first->overrides[i].value));
	json_object_set_new(root, "adapter", json_string(l->ops->name));
	json_object_set_new(root, "self", self_address(l));
	json_object_set_new(root, "peers", peers);
	json_object_set_new(root, "settings", overrides);
	char *text = json_dumps(root, JSON_COMPACT);
	puts(text ? text : "{}");
	free(text);
	json_decref(root);
	return 0;
}

/* What a reload needs: the command line, and the adapter the daemon runs with. */
struct reload_ctx {
	struct cli *cli;
	const struct adapter_ops *running;
};

/* SIGHUP: every source again, the same way as at start, except that the running adapter's
 * last answer stands for asking it again (no blocking request on the loop). */
static int reload_settings(void *ctx, const struct adapter_discovery *known, struct settings *out,
			   char *err, size_t err_len)
{
	const struct reload_ctx *r = ctx;
	struct loaded l = { 0 };
	char why[SETTINGS_ERR_LEN];
	int rc = load_settings_quiet(r->cli, r->running, known, &l, why, sizeof(why));
	if (rc == 0)
		settings_copy(out, l.settings);
	else
		snprintf(err, err_len, "%s", why);
	free_loaded(&l);
	return rc == 0 ? 0 : -EINVAL;
}

static int cmd_run(struct cli *cli, struct loaded *l)
{
	log_setup(l->settings->log_format, l->settings->log_level);
	if (l->first == NULL)
		log_warn("adapter", "%s: %s", l->ops->name, l->fetch_err);
	struct reload_ctx reload = { cli, l->ops };
	return daemon_run(l->settings, l->ops, &l->ctx, l->first, reload_settings, &reload);
}

/* Needs only the status address, so it works on a host whose other settings are not set. */
static int cmd_status(struct cli *cli)
{
	const char *addr = cli_args_lookup("KEEPVIP_STATUS_ADDR", &cli->args);
	if (addr == NULL || addr[0] == '\0')
		addr = getenv("KEEPVIP_STATUS_ADDR");
	if (addr == NULL || addr[0] == '\0')
		addr = "127.0.0.1:9650";
	return status_client_run(addr, stdout, stderr);
}

int keepvip_main(int argc, char **argv)
{
	struct cli cli;
	if (parse_args(argc, argv, &cli) < 0) {
		fputs(usage, stderr);
		print_orchestrators(&cli.adapters, stderr);
		return 2;
	}
	if (strcmp(cli.args.command, "help") == 0) {
		fputs(usage, stdout);
		print_orchestrators(&cli.adapters, stdout);
		return 0;
	}
	if (strcmp(cli.args.command, "help-settings") == 0) {
		settings_doc_write(&cli.adapters, SETTINGS_DOC_TEXT, stdout);
		return 0;
	}
	if (strcmp(cli.args.command, "version") == 0) {
		printf("keepvip %s\n", KEEPVIP_VERSION);
		return 0;
	}
	if (strcmp(cli.args.command, "status") == 0)
		return cmd_status(&cli);
	if (strcmp(cli.args.command, "run") != 0 && strcmp(cli.args.command, "check") != 0 &&
	    strcmp(cli.args.command, "peers") != 0) {
		fprintf(stderr, "keepvip: unknown command \"%s\"\n\n%s", cli.args.command, usage);
		return 2;
	}

	struct loaded l = { 0 };
	int rc = load_settings(&cli, &l);
	if (rc == 0) {
		if (strcmp(cli.args.command, "check") == 0)
			rc = cmd_check(&l);
		else if (strcmp(cli.args.command, "peers") == 0)
			rc = cmd_peers(&l);
		else
			rc = cmd_run(&cli, &l);
	}
	free_loaded(&l);
	return rc;
}
