/* marathon_endpoint.h — where Marathon is and how to show who we are: the KEEPVIP_MARATHON_URL
 * list and the Authorization header value (../shared/reference/marathon-api.md §1).
 *
 * Pure: text in, text out. Error messages name the setting and the place, never a secret
 * (a password or token is never copied into err). */
#ifndef KEEPVIP_MARATHON_ENDPOINT_H
#define KEEPVIP_MARATHON_ENDPOINT_H

#include <stddef.h>

#define MARATHON_DEFAULT_URL "http://marathon.mesos:8080"
#define MARATHON_MAX_URLS 8
#define MARATHON_URL_LEN 512
#define MARATHON_AUTH_LEN 8192  /* a DC/OS token (a JWT) is a few KiB at most */

/* Base URLs, in the order given: any of them answers (a standby proxies to the leader); the
 * adapter moves to the next on a refused connection or a 502. No trailing slash. */
struct marathon_urls {
	char url[MARATHON_MAX_URLS][MARATHON_URL_LEN];
	size_t n;
};

/* Splits a comma list ("http://m1:8080, http://m2:8080/"; NULL, empty or blanks: the default
 * http://marathon.mesos:8080). Each item is trimmed of blanks and trailing slashes and must
 * be http:// or https:// with a host, optionally a port and a path (DC/OS:
 * https://master/service/marathon); no query, fragment, user or password (credentials go in
 * KEEPVIP_MARATHON_USER / _PASSWORD, never in a URL that may be logged), no blank inside.
 * 0, or -EINVAL / -E2BIG with err naming the item ("KEEPVIP_MARATHON_URL item 2: ..."). */
int marathon_urls_parse(const char *list, struct marathon_urls *out, char *err, size_t err_len);

/* Credentials as the settings give them; NULL or empty when not set. token is the DC/OS
 * token from KEEPVIP_MARATHON_TOKEN or the contents of KEEPVIP_MARATHON_TOKEN_FILE (blanks
 * and line ends around it are dropped; a leading "token=" is accepted). */
struct marathon_credentials {
	const char *user;
	const char *password;
	const char *token;
};

/* The value of the Authorization header into out: "" (no credentials: send no header),
 * "Basic <base64(user:password)>" (RFC 7617 §2) or "token=<token>" (DC/OS). 0, or -EINVAL
 * (user without password or the reverse, both basic and token, ':' in the user (RFC 7617
 * §2), a control character anywhere, a blank inside the token) or -E2BIG (longer than
 * out_len), with err naming the setting. */
int marathon_auth_header(const struct marathon_credentials *cred, char *out, size_t out_len,
			 char *err, size_t err_len);

#endif
