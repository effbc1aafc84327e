/* url_escape.h — percent-encoding of a URL path segment or query value (RFC 3986 §2.1). */
#ifndef KEEPVIP_URL_ESCAPE_H
#define KEEPVIP_URL_ESCAPE_H

#include <stddef.h>

/* in percent-encoded into out (out_len bytes, always NUL-terminated): the unreserved
 * characters (ALPHA DIGIT - . _ ~, RFC 3986 §2.3) are kept, every other byte becomes %XX.
 * Input that does not fit is dropped at a whole character, never cut inside a %XX. */
void url_escape(const char *in, char *out, size_t out_len);

#endif
