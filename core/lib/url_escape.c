/* url_escape.c — see url_escape.h. */
#include "url_escape.h"

#include <ctype.h>
#include <string.h>

void url_escape(const char *in, char *out, size_t out_len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p != '\0' && o + 4 < out_len; p++) {
		if (isalnum(*p) || strchr("-._~", *p) != NULL) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
}
