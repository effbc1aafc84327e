/* fixture_file.c — see fixture_file.h. */
#include "fixture_file.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

char *fixture_read(const char *dir, const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	buf = malloc(FIXTURE_MAX);
	assert_non_null(buf);
	n = fread(buf, 1, FIXTURE_MAX - 1, f);
	buf[n] = '\0';
	fclose(f);
	if (len != NULL)
		*len = n;
	return buf;
}

json_t *fixture_read_json(const char *dir, const char *name)
{
	char *text = fixture_read(dir, name, NULL);
	json_t *j = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(j);
	return j;
}

char *fixture_dump(json_t *j, size_t flags)
{
	char *text = json_dumps(j, flags);
	json_decref(j);
	assert_non_null(text);
	return text;
}
