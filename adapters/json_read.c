/* json_read.c — loading and typed reading of orchestrator JSON; see json_read.h. */
#include "json_read.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const json_type_names[] = {
	[JSON_OBJECT] = "object", [JSON_ARRAY] = "list",  [JSON_STRING] = "string",
	[JSON_INTEGER] = "integer", [JSON_REAL] = "number", [JSON_TRUE] = "boolean",
	[JSON_FALSE] = "boolean", [JSON_NULL] = "null",
};

const char *jr_type_name(const json_t *v)
{
	return v == NULL ? "nothing" : json_type_names[json_typeof(v)];
}

int jr_fail(char *err, size_t err_len, int rc, const char *fmt, ...)
{
	va_list ap;
	if (err_len == 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return rc;
}

json_t *jr_load(const char *body, size_t len, size_t flags, const char *what, char *err,
		size_t err_len)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_DECODE_ANY | flags, &jerr);
	if (root == NULL)
		jr_fail(err, err_len, -EBADMSG, "%s%sinvalid JSON at line %d column %d: %s",
			what != NULL ? what : "", what != NULL ? ": " : "", jerr.line, jerr.column,
			jerr.text);
	return root;
}

/* obj[key] of type kind: 0 with *out (NULL when absent or null, or obj is no object), or
 * -EBADMSG "<where><key>: expected <expected>, got T". */
static int opt_member(const json_t *obj, const char *key, const char *where, json_type kind,
		      const char *expected, const json_t **out, char *err, size_t err_len)
{
	const json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (json_typeof(v) != kind)
		return jr_fail(err, err_len, -EBADMSG, "%s%s: expected %s, got %s", where, key,
			       expected, jr_type_name(v));
	*out = v;
	return 0;
}

int jr_opt_string(const json_t *obj, const char *key, const char *where, const char **out,
		  char *err, size_t err_len)
{
	const json_t *v;
	int rc = opt_member(obj, key, where, JSON_STRING, "a string", &v, err, err_len);
	*out = v != NULL ? json_string_value(v) : NULL;
	return rc;
}

int jr_need_string(const json_t *obj, const char *key, const char *where, const char **out,
		   char *err, size_t err_len)
{
	int rc = jr_opt_string(obj, key, where, out, err, err_len);
	if (rc == 0 && (*out == NULL || (*out)[0] == '\0'))
		rc = jr_fail(err, err_len, -EBADMSG, "%s%s: missing or empty", where, key);
	return rc;
}

int jr_opt_list(const json_t *obj, const char *key, const char *where, const json_t **out,
		char *err, size_t err_len)
{
	return opt_member(obj, key, where, JSON_ARRAY, "a list", out, err, err_len);
}

int jr_opt_object(const json_t *obj, const char *key, const char *where, const json_t **out,
		  char *err, size_t err_len)
{
	return opt_member(obj, key, where, JSON_OBJECT, "an object", out, err, err_len);
}

int jr_need_object(const json_t *v, const char *where, char *err, size_t err_len)
{
	if (json_is_object(v))
		return 0;
	return jr_fail(err, err_len, -EBADMSG, "%s: expected an object, got %s", where,
		       jr_type_name(v));
}

int jr_need_list(const json_t *v, const char *where, char *err, size_t err_len)
{
	if (json_is_array(v))
		return 0;
	return jr_fail(err, err_len, -EBADMSG, "%s: expected a list, got %s", where,
		       jr_type_name(v));
}

int jr_copy_span(char *dst, size_t cap, const char *src, size_t n, const char *what, char *err,
		 size_t err_len)
{
	if (n == 0 || n >= cap)
		return jr_fail(err, err_len, -EBADMSG, "%s: empty or longer than %zu bytes", what,
			       cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int jr_copy_text(char *dst, size_t cap, const char *src, const char *what, char *err,
		 size_t err_len)
{
	return jr_copy_span(dst, cap, src, src != NULL ? strlen(src) : 0, what, err, err_len);
}
