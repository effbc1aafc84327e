/* fixture_file.h — reading the parser tests' fixtures: a file whole into a string, or into a
 * JSON value, and a JSON value back into text. Test code only: failures are cmocka
 * assertions, the caller frees what it gets (free / json_decref). */
#ifndef KEEPVIP_FIXTURE_FILE_H
#define KEEPVIP_FIXTURE_FILE_H

#include <jansson.h>
#include <stddef.h>

/* The largest fixture read: longer files are cut to FIXTURE_MAX - 1 bytes. */
#define FIXTURE_MAX (1 << 20)

/* dir/name whole, NUL-terminated, and its size in *len (when len is not NULL). Fails the test
 * when the file cannot be opened. */
char *fixture_read(const char *dir, const char *name, size_t *len);

/* dir/name parsed as a JSON object or list; fails the test when it is not valid JSON. */
json_t *fixture_read_json(const char *dir, const char *name);

/* j as text with json_dumps flags (JSON_COMPACT, JSON_INDENT(n)...); takes j. */
char *fixture_dump(json_t *j, size_t flags);

#endif
