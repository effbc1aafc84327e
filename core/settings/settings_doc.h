/* settings_doc.h — the key registry (setting_keys.h) written out for people: every setting's
 * env name, alias, flag, YAML key, range, secrecy and help line, the core's then each
 * adapter's. `keepvip help-settings` prints it as text; the build writes it into the man page
 * keepvip(8) as roff (core/app/man_page.c), so the manual cannot drift from the code. */
#ifndef KEEPVIP_SETTINGS_DOC_H
#define KEEPVIP_SETTINGS_DOC_H

#include "setting_keys.h"

#include <stdio.h>

enum settings_doc_format {
	SETTINGS_DOC_TEXT = 0, /* plain text, for a terminal */
	SETTINGS_DOC_ROFF,     /* man(7) macros: .SS per group, .TP per setting */
};

/* Writes every setting of the core and of the adapters (may be NULL) to out. */
void settings_doc_write(const struct settings_adapters *adapters,
			enum settings_doc_format format, FILE *out);

#endif
