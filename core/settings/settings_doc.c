/* settings_doc.c — the key registry for people, as text or roff (settings_doc.h). */
#include "settings_doc.h"

#include <stdbool.h>
#include <string.h>

/* Text for a roff line: '-' as \-, '\' as \e, and a leading '.' or '\'' escaped by \&. */
static void put_roff(FILE *out, const char *text)
{
	if (text[0] == '.' || text[0] == '\'')
		fputs("\\&", out);
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == '-')
			fputs("\\-", out);
		else if (*p == '\\')
			fputs("\\e", out);
		else
			fputc(*p, out);
	}
}

/* A word in bold (roff) or as is (text). */
static void put_bold(FILE *out, enum settings_doc_format format, const char *word)
{
	if (format == SETTINGS_DOC_ROFF) {
		fputs("\\fB", out);
		put_roff(out, word);
		fputs("\\fR", out);
	} else {
		fputs(word, out);
	}
}

static void put_plain(FILE *out, enum settings_doc_format format, const char *text)
{
	if (format == SETTINGS_DOC_ROFF)
		put_roff(out, text);
	else
		fputs(text, out);
}

static const char *scope_words(enum setting_scope scope)
{
	switch (scope) {
	case SCOPE_INSTANCE:
		return " (in an instance)";
	case SCOPE_CHECK:
		return " (in a check)";
	case SCOPE_GLOBAL:
	default:
		return " (top level)";
	}
}

/* The line under the name: alias, flag, YAML key, range, secret. */
static void put_details(FILE *out, enum settings_doc_format format,
			const struct setting_key_info *key)
{
	char word[60], flag[64], range[64];

	if (key->alias != NULL) {
		put_plain(out, format, "alias ");
		put_bold(out, format, key->alias);
		put_plain(out, format, ", ");
	}
	snprintf(flag, sizeof(flag), "--%s", setting_key_flag(key, word, sizeof(word)));
	put_plain(out, format, "flag ");
	put_bold(out, format, flag);
	put_plain(out, format, ", YAML ");
	put_bold(out, format, setting_key_yaml(key));
	put_plain(out, format, scope_words(key->scope));
	if (key->kind == SETTING_UINT && key->scope == SCOPE_GLOBAL && key->max > 0) {
		snprintf(range, sizeof(range), ", %u..%u", (unsigned)key->min, (unsigned)key->max);
		put_plain(out, format, range);
	}
	if (key->secret)
		put_plain(out, format, ", a secret (masked when printed)");
}

static void put_key(FILE *out, enum settings_doc_format format,
		    const struct setting_key_info *key)
{
	const char *help = key->help != NULL ? key->help : "(no description)";

	if (format == SETTINGS_DOC_ROFF) {
		fputs(".TP\n.B ", out);
		put_roff(out, key->env);
		fputc('\n', out);
		put_details(out, format, key);
		fputs("\n.br\n", out);
		put_roff(out, help);
		fputc('\n', out);
		return;
	}
	fprintf(out, "  %s\n      ", key->env);
	put_details(out, format, key);
	fprintf(out, "\n      %s\n", help);
}

static void put_heading(FILE *out, enum settings_doc_format format, const char *title)
{
	if (format == SETTINGS_DOC_ROFF) {
		fputs(".SS ", out);
		put_roff(out, title);
		fputc('\n', out);
	} else {
		fprintf(out, "%s\n", title);
	}
}

static void put_core_scope(FILE *out, enum settings_doc_format format, enum setting_scope scope,
			   const char *title, bool *first)
{
	if (!*first && format == SETTINGS_DOC_TEXT)
		fputc('\n', out);
	*first = false;
	put_heading(out, format, title);
	for (size_t k = 0; k < SK_COUNT; k++)
		if (setting_keys[k].scope == scope)
			put_key(out, format, &setting_keys[k]);
}

void settings_doc_write(const struct settings_adapters *adapters,
			enum settings_doc_format format, FILE *out)
{
	bool first = true;
	char title[96];

	put_core_scope(out, format, SCOPE_INSTANCE, "Instance settings", &first);
	put_core_scope(out, format, SCOPE_CHECK, "Health check settings", &first);
	put_core_scope(out, format, SCOPE_GLOBAL, "Global settings", &first);
	for (size_t t = 0; adapters != NULL && t < adapters->n_tables; t++) {
		const struct settings_table *table = adapters->tables[t];
		if (format == SETTINGS_DOC_TEXT)
			fputc('\n', out);
		snprintf(title, sizeof(title), "Adapter %s settings",
			 adapters->table_names[t] != NULL ? adapters->table_names[t] : "?");
		put_heading(out, format, title);
		for (size_t i = 0; i < table->n_keys; i++)
			put_key(out, format, &table->keys[i]);
	}
}
