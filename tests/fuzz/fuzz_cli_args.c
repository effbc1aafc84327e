/* fuzz_cli_args.c — libFuzzer: arbitrary bytes as keepvip's command line.
 *
 * Input: the arguments after "keepvip", separated by NUL bytes (as the kernel hands them).
 * cli_args_parse (core/app/cli_args.c) must accept them or fail with one line; what it
 * accepts must keep its bounds (flags of known settings, values taken from argv), and its
 * flags then go through settings_load as the flag source (with the adapter table of
 * fuzz_settings_keys.h), which must succeed with printable settings or fail with one line.
 * Nothing may crash, leak or read out of bounds. */
#include "cli_args.h"
#include "fuzz_settings_keys.h"
#include "settings.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool within(const char *p, const char *text, size_t len)
{
	return p >= text && p < text + len;
}

static void check_args(const struct cli_args *cli, const char *text, size_t len)
{
	if (cli->command == NULL || cli->n_flags > CLI_MAX_FLAGS)
		abort();
	if (cli->config_path != NULL && !within(cli->config_path, text, len))
		abort();
	for (size_t i = 0; i < cli->n_flags; i++)
		if (cli->flags[i].env_name == NULL || !within(cli->flags[i].value, text, len) ||
		    cli_args_lookup(cli->flags[i].env_name, (void *)cli) == NULL)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct settings *settings; /* a few MB: allocated once, kept for the run */
	static FILE *sink;
	char *argv[MAX_ARGS + 1] = { "keepvip" };
	int argc = 1;
	char err[SETTINGS_ERR_LEN] = "";

	if (settings == NULL)
		settings = malloc(sizeof(*settings));
	if (sink == NULL)
		sink = fopen("/dev/null", "w");
	if (settings == NULL || sink == NULL)
		abort();

	char *text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	for (char *p = text; p < text + size && argc < MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	struct cli_args cli;
	if (cli_args_parse(argc, argv, &fuzz_adapters, &cli, err, sizeof(err)) < 0) {
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();
		free(text);
		return 0;
	}
	check_args(&cli, text, size + 1);

	struct settings_inputs in = {
		.flags = { .name = "flag", .lookup = cli_args_lookup, .ctx = &cli },
		.adapters = &fuzz_adapters,
	};
	int rc = settings_load(&in, settings, err, sizeof(err));
	fuzz_check_load(rc, settings, err, sink);
	free(text);
	return 0;
}
