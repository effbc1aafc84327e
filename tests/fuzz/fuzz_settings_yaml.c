/* fuzz_settings_yaml.c — libFuzzer: arbitrary bytes as the YAML settings file.
 *
 * settings_load must either accept the input or fail with a one-line message naming the
 * file, never crash, leak or read out of bounds; what it accepts must print. Needs the pure
 * core: core/ipaddr.c core/settings.c core/settings_yaml.c (libyaml). */
#include "settings.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *no_env(const char *env_name, void *ctx)
{
	(void)env_name;
	(void)ctx;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct settings *settings; /* a few MB: allocated once, kept for the run */
	static FILE *sink;
	char err[SETTINGS_ERR_LEN];

	if (settings == NULL)
		settings = malloc(sizeof(*settings));
	if (sink == NULL)
		sink = fopen("/dev/null", "w");
	if (settings == NULL || sink == NULL)
		abort();

	struct settings_inputs in = {
		.env = { .name = "env", .lookup = no_env },
		.yaml_text = (const char *)data,
		.yaml_len = size,
		.yaml_path = "fuzz.yml",
	};
	if (settings_load(&in, settings, err, sizeof(err)) == 0) {
		settings_print(settings, sink);
		return 0;
	}
	/* every error is one terminated line */
	if (memchr(err, '\0', sizeof(err)) == NULL || strchr(err, '\n') != NULL)
		abort();
	return 0;
}
