/* fuzz_settings_env.c — libFuzzer: arbitrary bytes as the process environment.
 *
 * Input: byte 0 selects (bit 0) whether a YAML file of two instances is loaded too (the
 * env then applies to both, and KEEPVIP_VIPS/VRID/INSTANCE_NAME must be refused); the rest
 * is "NAME=VALUE" lines, looked up the way getenv would (the first line naming it). Keys are
 * the core's, their aliases (VIRTUAL_IP, ...) and an adapter table of every kind
 * (fuzz_settings_keys.h). settings_load must succeed with printable settings or fail with one
 * line, never crash, leak or read out of bounds. */
#include "fuzz_settings_keys.h"
#include "settings.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct env_text {
	char *text; /* the lines, NUL-terminated */
	char value[4096];
};

/* The value of the first "env_name=" line, copied out (a value ends at its line end). */
static const char *env_lookup(const char *env_name, void *ctx)
{
	struct env_text *env = ctx;
	size_t name_len = strlen(env_name);

	for (const char *line = env->text; *line != '\0';) {
		size_t len = strcspn(line, "\n");
		if (len > name_len && line[name_len] == '=' && memcmp(line, env_name, name_len) == 0) {
			size_t vlen = len - name_len - 1;
			if (vlen >= sizeof(env->value))
				vlen = sizeof(env->value) - 1;
			memcpy(env->value, line + name_len + 1, vlen);
			env->value[vlen] = '\0';
			return env->value;
		}
		line += len + (line[len] == '\n');
	}
	return NULL;
}

static const char two_instances[] =
	"instances:\n"
	"  - vips: [10.0.0.1]\n"
	"    vrid: 1\n"
	"  - vips: [10.0.0.2/24]\n"
	"    vrid: 2\n"
	"    priority: 50\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct settings *settings; /* a few MB: allocated once, kept for the run */
	static FILE *sink;
	static struct env_text env;
	char err[SETTINGS_ERR_LEN] = "";

	if (settings == NULL)
		settings = malloc(sizeof(*settings));
	if (sink == NULL)
		sink = fopen("/dev/null", "w");
	if (settings == NULL || sink == NULL)
		abort();
	if (size == 0)
		return 0;

	env.text = malloc(size);
	if (env.text == NULL)
		abort();
	memcpy(env.text, data + 1, size - 1);
	env.text[size - 1] = '\0'; /* a NUL inside ends the environment, as it would */

	struct settings_inputs in = {
		.env = { .name = "env", .lookup = env_lookup, .ctx = &env },
		.adapters = &fuzz_adapters,
	};
	if (data[0] & 1) {
		in.yaml_text = two_instances;
		in.yaml_len = sizeof(two_instances) - 1;
		in.yaml_path = "two.yml";
	}
	int rc = settings_load(&in, settings, err, sizeof(err));
	fuzz_check_load(rc, settings, err, sink);
	free(env.text);
	return 0;
}
