/* settings_error.c — settings errors that name the source and the place of the value. */
#include "settings_raw.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int settings_origin_error(char *err, size_t err_len, const struct origin *at, const char *fmt,
			  ...)
{
	int used = 0;
	va_list ap;

	if (err == NULL || err_len == 0)
		return -EINVAL;
	err[0] = '\0';
	if (at != NULL && at->level == LEVEL_YAML)
		used = snprintf(err, err_len, "%s:%lu:%lu: %s%s", at->source, at->line, at->col,
				at->name ? at->name : "", at->name ? ": " : "");
	else if (at != NULL && at->level != LEVEL_UNSET)
		used = snprintf(err, err_len, "%s %s: ", at->source, at->name);
	if (used < 0 || (size_t)used >= err_len)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err + used, err_len - (size_t)used, fmt, ap);
	va_end(ap);
	/* one line whatever a file's key names hold */
	for (char *p = err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -EINVAL;
}

const char *settings_quoted(const char *text, char *buf, size_t len)
{
	size_t out = 0;

	buf[out++] = '"';
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if (out + 8 >= len) {
			memcpy(buf + out, "...", 3);
			out += 3;
			break;
		}
		if (isprint(*p) && *p != '"' && *p != '\\')
			buf[out++] = (char)*p;
		else
			out += (size_t)snprintf(buf + out, len - out, "\\x%02x", *p);
	}
	buf[out++] = '"';
	buf[out] = '\0';
	return buf;
}

int settings_value_error(struct errbuf *e, const struct raw_value *v, const char *fmt, ...)
{
	char predicate[192], q[QUOTE_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(predicate, sizeof(predicate), fmt, ap);
	va_end(ap);
	if (v->at.level == LEVEL_YAML)
		return settings_origin_error(e->buf, e->len, &v->at, "must be %s", predicate);
	return settings_origin_error(e->buf, e->len, &v->at, "%s is not %s",
				     settings_quoted(v->text, q, sizeof(q)), predicate);
}
