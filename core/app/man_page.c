/* man_page.c — writes the man page keepvip(8) at build time: the hand-written page
 * (keepvip.8.in, its paths and version filled in by CMake's configure_file) with its
 * ".\" <settings>" line replaced by every setting of the key registry, the adapters' included
 * (settings_doc.h), so the manual lists exactly what the code reads.
 *
 * Usage: keepvip_man TEMPLATE OUTPUT  (exit 0, or 1 with the reason on stderr) */
#include "registry.h"
#include "settings_doc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define PLACEHOLDER ".\\\" <settings>\n"

int main(int argc, char **argv)
{
	struct settings_adapters adapters;
	char line[4096];
	int placeholders = 0;

	if (argc != 3) {
		fputs("usage: keepvip_man TEMPLATE OUTPUT\n", stderr);
		return 1;
	}
	FILE *in = fopen(argv[1], "re");
	if (in == NULL) {
		fprintf(stderr, "keepvip_man: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	FILE *out = fopen(argv[2], "we");
	if (out == NULL) {
		fprintf(stderr, "keepvip_man: %s: %s\n", argv[2], strerror(errno));
		fclose(in);
		return 1;
	}
	adapter_registry_settings(&adapters);
	while (fgets(line, sizeof(line), in) != NULL) {
		if (strcmp(line, PLACEHOLDER) != 0) {
			fputs(line, out);
			continue;
		}
		settings_doc_write(&adapters, SETTINGS_DOC_ROFF, out);
		placeholders++;
	}
	bool failed = ferror(in) != 0 || ferror(out) != 0;
	fclose(in);
	if (fclose(out) != 0 || failed || placeholders != 1) {
		fprintf(stderr, "keepvip_man: %s\n", placeholders != 1
				? "the template must hold exactly one \".\\\" <settings>\" line"
				: "read or write error");
		remove(argv[2]);
		return 1;
	}
	return 0;
}
