/* marathon_endpoint.c — the Marathon URL list and the Authorization header; see
 * marathon_endpoint.h. */
#include "marathon_endpoint.h"

#include "json_read.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define URL_SETTING "KEEPVIP_MARATHON_URL"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* ---- URLs ------------------------------------------------------------------------------- */

/* One item, s[0..n) already trimmed, checked and copied to out (MARATHON_URL_LEN). */
static int one_url(const char *s, size_t n, size_t item, char *out, char *err, size_t err_len)
{
	size_t scheme, host_len;
	const char *host, *end;

	if (n == 0)
		return jr_fail(err, err_len, -EINVAL, URL_SETTING " item %zu: empty", item);
	if (n > 7 && strncasecmp(s, "http://", 7) == 0)
		scheme = 7;
	else if (n > 8 && strncasecmp(s, "https://", 8) == 0)
		scheme = 8;
	else
		return jr_fail(err, err_len, -EINVAL, URL_SETTING " item %zu (\"%.*s\"): expected "
			    "http://HOST[:PORT][/PATH] or https://...", item, (int)(n < 64 ? n : 64),
			       s);
	while (n > scheme && s[n - 1] == '/')
		n--; /* keepvip adds "/v2/..." */
	end = s + n;
	if (n >= MARATHON_URL_LEN)
		return jr_fail(err, err_len, -E2BIG, URL_SETTING " item %zu: longer than %d bytes",
			       item, MARATHON_URL_LEN - 1);
	host = s + scheme;
	host_len = strcspn(host, "/");
	if (host + host_len > end)
		host_len = (size_t)(end - host);
	for (const char *c = s; c < end; c++) {
		if ((unsigned char)*c <= 0x20 || *c == 0x7f)
			return jr_fail(err, err_len, -EINVAL, URL_SETTING " item %zu: a blank or "
				       "control character inside the URL", item);
		if (*c == '?' || *c == '#')
			return jr_fail(err, err_len, -EINVAL, URL_SETTING " item %zu: no query or "
				       "fragment allowed (keepvip adds the paths)", item);
	}
	if (memchr(host, '@', host_len) != NULL)
		return jr_fail(err, err_len, -EINVAL,
			       URL_SETTING " item %zu: no user or password in "
			    "the URL; use KEEPVIP_MARATHON_USER and KEEPVIP_MARATHON_PASSWORD", item);
	if (host_len == 0 || host[0] == ':')
		return jr_fail(err, err_len, -EINVAL, URL_SETTING " item %zu (\"%.*s\"): no host",
			       item,
			       (int)(n < 64 ? n : 64), s);
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int marathon_urls_parse(const char *list, struct marathon_urls *out, char *err, size_t err_len)
{
	struct marathon_urls urls = { .n = 0 };
	const char *p = list != NULL ? list : "";
	size_t item = 0;
	bool blank = true;

	for (const char *c = p; *c != '\0'; c++)
		blank = blank && is_blank(*c);
	if (blank)
		p = MARATHON_DEFAULT_URL;
	for (;;) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		int rc;
		item++;
		while (p < end && is_blank(*p))
			p++;
		while (end > p && is_blank(end[-1]))
			end--;
		if (urls.n == MARATHON_MAX_URLS)
			return jr_fail(err, err_len, -E2BIG, URL_SETTING ": more than %d URLs",
				       MARATHON_MAX_URLS);
		rc = one_url(p, (size_t)(end - p), item, urls.url[urls.n], err, err_len);
		if (rc < 0)
			return rc;
		urls.n++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*out = urls;
	return 0;
}

/* ---- Authorization ---------------------------------------------------------------------- */

/* RFC 4648 §4 base64 of in[0..n) into out; -E2BIG when out_len is too small. */
static int base64(const unsigned char *in, size_t n, char *out, size_t out_len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0;
	if ((n + 2) / 3 * 4 + 1 > out_len)
		return -E2BIG;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return 0;
}

static bool has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return true;
	return false;
}

static int basic(const char *user, const char *password, char *out, size_t out_len,
		 char *err, size_t err_len)
{
	char pair[MARATHON_AUTH_LEN];
	size_t u = strlen(user), p = strlen(password);
	int rc;

	if (strchr(user, ':') != NULL)
		return jr_fail(err, err_len, -EINVAL,
			       "KEEPVIP_MARATHON_USER: a ':' is not allowed in "
			       "a user name (RFC 7617)");
	if (has_control(user, u))
		return jr_fail(err, err_len, -EINVAL, "KEEPVIP_MARATHON_USER: control character");
	if (has_control(password, p))
		return jr_fail(err, err_len, -EINVAL,
			       "KEEPVIP_MARATHON_PASSWORD: control character");
	if (u + 1 + p >= sizeof(pair) || out_len < 7)
		return jr_fail(err, err_len, -E2BIG, "KEEPVIP_MARATHON_USER / _PASSWORD: too long");
	memcpy(pair, user, u);
	pair[u] = ':';
	memcpy(pair + u + 1, password, p);
	memcpy(out, "Basic ", 6);
	rc = base64((const unsigned char *)pair, u + 1 + p, out + 6, out_len - 6);
	memset(pair, 0, sizeof(pair)); /* the password does not outlive the call here */
	if (rc < 0)
		return jr_fail(err, err_len, rc, "KEEPVIP_MARATHON_USER / _PASSWORD: too long");
	return 0;
}

static int token(const char *t, char *out, size_t out_len, char *err, size_t err_len)
{
	size_t n;
	while (is_blank(*t))
		t++;
	if (strncmp(t, "token=", 6) == 0)
		t += 6;
	n = strlen(t);
	while (n > 0 && is_blank(t[n - 1]))
		n--;
	if (n == 0)
		return jr_fail(err, err_len, -EINVAL, "KEEPVIP_MARATHON_TOKEN(_FILE): empty token");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || t[i] == 0x7f)
			return jr_fail(err, err_len, -EINVAL,
				       "KEEPVIP_MARATHON_TOKEN(_FILE): a blank or "
				       "control character inside the token");
	if (6 + n + 1 > out_len)
		return jr_fail(err, err_len, -E2BIG,
			       "KEEPVIP_MARATHON_TOKEN(_FILE): longer than %zu "
			       "bytes", out_len - 7);
	memcpy(out, "token=", 6);
	memcpy(out + 6, t, n);
	out[6 + n] = '\0';
	return 0;
}

int marathon_auth_header(const struct marathon_credentials *cred, char *out, size_t out_len,
			 char *err, size_t err_len)
{
	bool user = is_set(cred->user), password = is_set(cred->password);
	bool tok = is_set(cred->token); /* a set but blank token is an error (token()) */

	if (out_len == 0)
		return jr_fail(err, err_len, -E2BIG, "Authorization: no room");
	if (user != password)
		return jr_fail(err, err_len, -EINVAL, "%s is set without %s",
			       user ? "KEEPVIP_MARATHON_USER" : "KEEPVIP_MARATHON_PASSWORD",
			       user ? "KEEPVIP_MARATHON_PASSWORD" : "KEEPVIP_MARATHON_USER");
	if (user && tok)
		return jr_fail(err, err_len, -EINVAL, "KEEPVIP_MARATHON_USER / _PASSWORD and "
			       "KEEPVIP_MARATHON_TOKEN(_FILE) are both set: give one");
	if (user)
		return basic(cred->user, cred->password, out, out_len, err, err_len);
	if (tok)
		return token(cred->token, out, out_len, err, err_len);
	out[0] = '\0';
	return 0;
}
