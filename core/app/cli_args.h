/* cli_args.h — the command line: one command, --config FILE and --SETTING VALUE flags.
 *
 * Pure: argv in, struct out, no printing, no environment; the flags' names are checked
 * against the setting keys (core and adapters'). The values point into argv. */
#ifndef KEEPVIP_CLI_ARGS_H
#define KEEPVIP_CLI_ARGS_H

#include "setting_keys.h"

#include <stddef.h>

#define CLI_MAX_FLAGS 32

struct cli_flag {
	const char *env_name; /* of the setting, in the key registry */
	const char *value;
};

struct cli_args {
	const char *command;     /* "help" when none was given */
	const char *config_path; /* --config, NULL when not given */
	struct cli_flag flags[CLI_MAX_FLAGS];
	size_t n_flags;
};

/* Reads argv[1..argc-1]: "--help"/"-h", a command word, "--config FILE", "--flag VALUE" or
 * "--flag=VALUE" (flag: an env name without KEEPVIP_, lower case, '-' for '_').
 * 0, or -EINVAL with a one-line message in err (e.g. unknown option "--prio"). */
int cli_args_parse(int argc, char **argv, const struct settings_adapters *adapters,
		   struct cli_args *out, char *err, size_t err_len);

/* A settings lookup (settings_lookup_fn) over the flags; ctx is the struct cli_args. When a
 * flag is given twice, the first value is the one returned. */
const char *cli_args_lookup(const char *env_name, void *ctx);

#endif
