/* check_settings.h — what one health check is told to do, and the kinds there are.
 *
 * The kinds' names ("tcp", "http", "script") are those of their ops tables (check_kind.h,
 * one file per kind): check_kind_name() and check_kind_find() read them, so the settings
 * layer (above this one) spells no kind itself. */
#ifndef KEEPVIP_CHECK_SETTINGS_H
#define KEEPVIP_CHECK_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#define CHECK_TARGET_LEN 512 /* a URL or a command */
#define CHECK_SCOPE_LEN 64   /* the instance name that prefixes a check's log lines */

enum check_kind { CHECK_TCP = 0, CHECK_HTTP, CHECK_SCRIPT, CHECK_KIND_COUNT };

struct check_settings {
	enum check_kind kind;
	uint16_t port;                  /* CHECK_TCP: 127.0.0.1:port */
	char target[CHECK_TARGET_LEN];  /* CHECK_HTTP: URL; CHECK_SCRIPT: command */
	uint32_t interval_ms;           /* default 1000 */
	uint32_t timeout_ms;            /* default interval_ms */
	uint32_t rise, fall;            /* default 2, 2 */
	uint32_t weight;                /* 0: failing means FAULT; N: priority lowered by N */
};

/* The kind's name, from its ops table; "unknown" for a value out of range. */
const char *check_kind_name(enum check_kind kind);

/* The kind named name (exact, lower case); false when there is none. */
bool check_kind_find(const char *name, enum check_kind *out);

#endif
