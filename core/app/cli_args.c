/* cli_args.c — the command line into a command, a config path and setting flags (pure). */
#include "cli_args.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The arguments are anyone's bytes: a message keeps to one line of printable text. */
static int fail(char *err, size_t err_len, const char *what, const char *arg)
{
	snprintf(err, err_len, "%s \"%s\"", what, arg);
	for (char *p = err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -EINVAL;
}

/* "--name=value" or "--name value": the flag's name into key, its value into *value. */
static int take_option(int argc, char **argv, int *i, char *key, size_t key_len,
		       const char **value, char *err, size_t err_len)
{
	const char *arg = argv[*i];
	const char *name = arg + 2, *eq = strchr(name, '=');
	size_t name_len = eq ? (size_t)(eq - name) : strlen(name);

	if (name_len == 0 || name_len >= key_len) {
		return fail(err, err_len, "bad option", arg);
	}
	memcpy(key, name, name_len);
	key[name_len] = '\0';
	if (eq != NULL) {
		*value = eq + 1;
	} else if (*i + 1 < argc) {
		*value = argv[++*i];
	} else {
		return fail(err, err_len, "a value is needed by option", arg);
	}
	return 0;
}

int cli_args_parse(int argc, char **argv, const struct settings_adapters *adapters,
		   struct cli_args *out, char *err, size_t err_len)
{
	memset(out, 0, sizeof(*out));
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			out->command = "help";
			return 0;
		}
		if (strncmp(arg, "--", 2) != 0) {
			if (out->command != NULL) {
				return fail(err, err_len, "unexpected argument", arg);
			}
			out->command = arg;
			continue;
		}
		char key[64];
		const char *value;
		int rc = take_option(argc, argv, &i, key, sizeof(key), &value, err, err_len);
		if (rc < 0)
			return rc;
		if (strcmp(key, "config") == 0) {
			out->config_path = value;
			continue;
		}
		/* --advert-ms -> KEEPVIP_ADVERT_MS, --rancher-stack -> KEEPVIP_RANCHER_STACK */
		const struct setting_key_info *setting = setting_key_by_flag(adapters, key);
		if (out->n_flags == CLI_MAX_FLAGS || setting == NULL) {
			char flag[sizeof(key) + 2];
			snprintf(flag, sizeof(flag), "--%s", key); /* not its value: it may be a secret */
			return fail(err, err_len, "unknown option", flag);
		}
		out->flags[out->n_flags].env_name = setting->env;
		out->flags[out->n_flags++].value = value;
	}
	if (out->command == NULL)
		out->command = "help";
	return 0;
}

const char *cli_args_lookup(const char *env_name, void *ctx)
{
	const struct cli_args *cli = ctx;
	for (size_t i = 0; i < cli->n_flags; i++)
		if (strcmp(cli->flags[i].env_name, env_name) == 0)
			return cli->flags[i].value;
	return NULL;
}
