/* json_read.h — what every adapter parser needs to read an orchestrator's JSON answer: load
 * it, fetch typed members, and say what was wrong in one line ("what: where").
 *
 * Pure: jansson only, no I/O, no allocation beyond jansson's own (jr_load's document).
 *
 * Conventions shared by every function here:
 *  - Errors are negative errno (-EBADMSG for a wrong or missing value) with a message in
 *    err (err_len bytes, always NUL-terminated; nothing written when err_len is 0).
 *  - A member's name in a message is where followed by key, as given: "<where><key>". The
 *    caller puts any separator in where ("host." + "agent_ip" -> "host.agent_ip").
 *  - JSON types are named for users: object, list, string, integer, number, boolean, null,
 *    and "nothing" for a missing value. */
#ifndef KEEPVIP_JSON_READ_H
#define KEEPVIP_JSON_READ_H

#include <jansson.h>
#include <stddef.h>

/* The user-facing name of v's type; "nothing" when v is NULL. Never NULL. */
const char *jr_type_name(const json_t *v);

/* Formats fmt into err (truncated to err_len) and returns rc: `return jr_fail(...)`. */
int jr_fail(char *err, size_t err_len, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The whole of body[0..len) as one JSON value of any type (JSON_DECODE_ANY, plus flags such
 * as JSON_REJECT_DUPLICATES). NULL on a syntax error (a truncated answer ends up here) with
 * "invalid JSON at line L column C: <reason>" in err, prefixed by "<what>: " when what is not
 * NULL; the caller's error is then -EBADMSG. The caller owns the result (json_decref). */
json_t *jr_load(const char *body, size_t len, size_t flags, const char *what, char *err,
		size_t err_len);

/* obj[key] as a string: 0 with *out pointing into obj (NULL when the member is absent or
 * null, or obj is not an object), or -EBADMSG "<where><key>: expected a string, got T". */
int jr_opt_string(const json_t *obj, const char *key, const char *where, const char **out,
		  char *err, size_t err_len);

/* jr_opt_string, and also -EBADMSG "<where><key>: missing or empty" when absent, null or "". */
int jr_need_string(const json_t *obj, const char *key, const char *where, const char **out,
		   char *err, size_t err_len);

/* obj[key] as a list: 0 with *out (NULL when absent or null), or -EBADMSG
 * "<where><key>: expected a list, got T". */
int jr_opt_list(const json_t *obj, const char *key, const char *where, const json_t **out,
		char *err, size_t err_len);

/* obj[key] as an object: 0 with *out (NULL when absent or null), or -EBADMSG
 * "<where><key>: expected an object, got T". */
int jr_opt_object(const json_t *obj, const char *key, const char *where, const json_t **out,
		  char *err, size_t err_len);

/* 0 when v is an object, else -EBADMSG "<where>: expected an object, got T" (v may be NULL). */
int jr_need_object(const json_t *v, const char *where, char *err, size_t err_len);

/* 0 when v is a list, else -EBADMSG "<where>: expected a list, got T" (v may be NULL). */
int jr_need_list(const json_t *v, const char *where, char *err, size_t err_len);

/* Copies src[0..n) into dst (cap bytes) as a string: 0, or -EBADMSG "<what>: empty or longer
 * than <cap-1> bytes" (dst untouched) when n is 0 or n >= cap. */
int jr_copy_span(char *dst, size_t cap, const char *src, size_t n, const char *what, char *err,
		 size_t err_len);

/* jr_copy_span of a whole string; src NULL counts as empty. */
int jr_copy_text(char *dst, size_t cap, const char *src, const char *what, char *err,
		 size_t err_len);

#endif
