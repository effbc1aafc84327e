/* settings_values.c — value parsers and validators (settings_values.h). */
#include "settings_values.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const settings_mode_names[3] = {
	[VRRP_MODE_AUTO] = "auto",
	[VRRP_MODE_UNICAST] = "unicast",
	[VRRP_MODE_MULTICAST] = "multicast",
};
const char *const settings_conflict_action_names[2] = {
	[CONFLICT_WARN] = "warn",
	[CONFLICT_REFUSE] = "refuse",
};
const char *const settings_log_format_names[2] = {
	[LOG_FORMAT_TEXT] = "text",
	[LOG_FORMAT_JSON] = "json",
};
const char *const settings_log_level_names[4] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

bool settings_parse_number(const char *text, unsigned long long *out)
{
	char *end = NULL;

	while (isspace((unsigned char)*text))
		text++;
	if (!isdigit((unsigned char)*text))
		return false;
	errno = 0;
	*out = strtoull(text, &end, 10);
	if (errno != 0)
		return false;
	while (isspace((unsigned char)*end))
		end++;
	return *end == '\0';
}

int settings_resolve_uint(struct errbuf *e, const struct raw_value *v, uint32_t min,
			  uint32_t max, uint32_t fallback, uint32_t *out)
{
	unsigned long long n;

	if (v->at.level == LEVEL_UNSET) {
		*out = fallback;
		return 0;
	}
	if (!settings_parse_number(v->text, &n) || n < min || n > max)
		return settings_value_error(e, v, "between %u and %u", min, max);
	*out = (uint32_t)n;
	return 0;
}

int settings_resolve_u8(struct errbuf *e, const struct raw_value *v, uint32_t min, uint32_t max,
			uint32_t fallback, uint8_t *out)
{
	uint32_t n = 0;
	int rc = settings_resolve_uint(e, v, min, max, fallback, &n);
	*out = (uint8_t)n;
	return rc;
}

bool settings_trimmed(const char *text, char *buf, size_t len)
{
	while (isspace((unsigned char)*text))
		text++;
	size_t n = strlen(text);
	while (n > 0 && isspace((unsigned char)text[n - 1]))
		n--;
	if (n >= len)
		return false;
	memcpy(buf, text, n);
	buf[n] = '\0';
	return true;
}

int settings_resolve_bool(struct errbuf *e, const struct raw_value *v, bool fallback, bool *out)
{
	static const char *const truths[] = { "true", "yes", "1", "on" };
	static const char *const lies[] = { "false", "no", "0", "off" };
	char word[8];

	*out = fallback;
	if (v->at.level == LEVEL_UNSET)
		return 0;
	for (size_t i = 0; settings_trimmed(v->text, word, sizeof(word)) && i < COUNT_OF(truths);
	     i++) {
		if (strcasecmp(word, truths[i]) == 0 || strcasecmp(word, lies[i]) == 0) {
			*out = strcasecmp(word, truths[i]) == 0;
			return 0;
		}
	}
	return settings_value_error(e, v, "a boolean (true/false, yes/no, 1/0, on/off)");
}

/* Index of text in names (any case, blanks around allowed), or -1. */
static int find_name(const char *text, const char *const *names, size_t n)
{
	char word[24];

	if (!settings_trimmed(text, word, sizeof(word)))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(word, names[i]) == 0)
			return (int)i;
	return -1;
}

int settings_resolve_choice(struct errbuf *e, const struct raw_value *v,
			    const char *const *names, size_t n, const char *predicate,
			    int fallback, int *out)
{
	*out = fallback;
	if (v->at.level == LEVEL_UNSET)
		return 0;
	*out = find_name(v->text, names, n);
	return *out < 0 ? settings_value_error(e, v, "%s", predicate) : 0;
}

int settings_resolve_text(struct errbuf *e, const struct raw_value *v, char *dst,
			  size_t dst_len)
{
	dst[0] = '\0';
	if (v->at.level == LEVEL_UNSET)
		return 0;
	if (strlen(v->text) >= dst_len)
		return settings_value_error(e, v, "at most %zu characters long", dst_len - 1);
	snprintf(dst, dst_len, "%s", v->text);
	return 0;
}

bool settings_valid_url(const char *url)
{
	size_t scheme = strncasecmp(url, "http://", 7) == 0	? 7
			: strncasecmp(url, "https://", 8) == 0 ? 8
							       : 0;
	if (scheme == 0 || url[scheme] == '\0' || url[scheme] == '/')
		return false;
	for (const char *p = url; *p != '\0'; p++)
		if (!isgraph((unsigned char)*p))
			return false;
	return true;
}

static bool valid_hostname(const char *host, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)host[i]) && host[i] != '.' && host[i] != '-')
			return false;
	return true;
}

bool settings_valid_host_port(const char *text)
{
	const char *port;
	unsigned long long n;

	if (text[0] == '[') {
		char v6[IP_ADDR_STRLEN];
		const char *close = strchr(text, ']');
		struct ip_addr addr;
		if (close == NULL || close[1] != ':' || (size_t)(close - text) >= sizeof(v6))
			return false;
		snprintf(v6, sizeof(v6), "%.*s", (int)(close - text - 1), text + 1);
		if (ip_addr_parse(v6, &addr) < 0 || addr.family != AF_INET6)
			return false;
		port = close + 2;
	} else {
		const char *colon = strchr(text, ':');
		if (colon == NULL || strchr(colon + 1, ':') != NULL ||
		    !valid_hostname(text, (size_t)(colon - text)))
			return false;
		port = colon + 1;
	}
	return isdigit((unsigned char)port[0]) && settings_parse_number(port, &n) && n >= 1 &&
	       n <= 65535 && strspn(port, "0123456789") == strlen(port);
}

bool settings_valid_ifname(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= IF_NAMESIZE || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p != '\0'; p++)
		if (*p == '/' || *p == ':' || !isgraph((unsigned char)*p))
			return false;
	return true;
}

/* ---- adapter keys, by kind ---- */

/* Every comma-separated item of text passes valid (blanks around items allowed). */
static bool valid_list(const char *text, bool (*valid)(const char *item))
{
	char raw[SETTINGS_TEXT_LEN], item[SETTINGS_TEXT_LEN];
	size_t n_items = 0;

	for (const char *p = text; *p != '\0';) {
		size_t len = strcspn(p, ",");
		snprintf(raw, sizeof(raw), "%.*s", (int)len, p);
		if (!settings_trimmed(raw, item, sizeof(item)) || item[0] == '\0' || !valid(item))
			return false;
		n_items++;
		p += len;
		if (*p == ',')
			p++;
	}
	return n_items > 0;
}

static bool any_item(const char *item)
{
	(void)item;
	return true;
}

/* A secret's text never appears in a message: the error names only its place. */
static int kind_error(struct errbuf *e, const struct setting_key_info *key,
		      const struct raw_value *v, const char *predicate, ...)
	__attribute__((format(printf, 4, 5)));

static int kind_error(struct errbuf *e, const struct setting_key_info *key,
		      const struct raw_value *v, const char *predicate, ...)
{
	char what[192];
	va_list ap;

	va_start(ap, predicate);
	vsnprintf(what, sizeof(what), predicate, ap);
	va_end(ap);
	if (key->secret)
		return settings_origin_error(e->buf, e->len, &v->at, "must be %s (value not shown: "
					     "a secret)", what);
	return settings_value_error(e, v, "%s", what);
}

int settings_resolve_adapter_value(struct errbuf *e, const struct setting_key_info *key,
				   const struct raw_value *v, char *dst, size_t dst_len)
{
	size_t max_len = key->max > 0 && key->max < dst_len ? key->max : dst_len - 1;
	uint32_t n = 0;
	bool b = false;
	int rc = 0;

	dst[0] = '\0';
	if (v->at.level == LEVEL_UNSET)
		return 0;
	switch (key->kind) {
	case SETTING_UINT:
		rc = settings_resolve_uint(e, v, key->min, key->max, 0, &n);
		if (rc == 0)
			snprintf(dst, dst_len, "%u", n);
		return rc;
	case SETTING_BOOL:
		rc = settings_resolve_bool(e, v, false, &b);
		if (rc == 0)
			snprintf(dst, dst_len, "%s", b ? "true" : "false");
		return rc;
	case SETTING_URL:
	case SETTING_URL_LIST:
		if (key->kind == SETTING_URL &&
		    (strlen(v->text) > max_len || !settings_valid_url(v->text)))
			return kind_error(e, key, v, "an http:// or https:// URL (at most %zu "
					  "characters)", max_len);
		if (key->kind == SETTING_URL_LIST &&
		    (strlen(v->text) > max_len || !valid_list(v->text, settings_valid_url)))
			return kind_error(e, key, v, "a comma list of http:// or https:// URLs (at "
					  "most %zu characters)", max_len);
		break;
	case SETTING_LIST:
		if (strlen(v->text) > max_len || !valid_list(v->text, any_item))
			return kind_error(e, key, v, "a comma list of at most %zu characters",
					  max_len);
		break;
	case SETTING_TEXT:
	case SETTING_PATH:
		if (strlen(v->text) > max_len)
			return kind_error(e, key, v, "at most %zu characters long", max_len);
		break;
	}
	snprintf(dst, dst_len, "%s", v->text);
	return 0;
}
