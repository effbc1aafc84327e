/* settings_values.h — private to the settings layer: one value's text into its type, each
 * failure worded by settings_value_error with the value's origin. An unset value (level
 * LEVEL_UNSET) gives the fallback. */
#ifndef KEEPVIP_SETTINGS_VALUES_H
#define KEEPVIP_SETTINGS_VALUES_H

#include "settings_raw.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The names of the enums' values, as printed and as accepted. */
extern const char *const settings_mode_names[3];
extern const char *const settings_log_format_names[2];
extern const char *const settings_log_level_names[4];
extern const char *const settings_conflict_action_names[2];

/* A whole decimal number, surrounding blanks allowed; no sign, no hex. */
bool settings_parse_number(const char *text, unsigned long long *out);

/* text without the blanks around it, into buf; false when it does not fit. */
bool settings_trimmed(const char *text, char *buf, size_t len);

int settings_resolve_uint(struct errbuf *e, const struct raw_value *v, uint32_t min,
			  uint32_t max, uint32_t fallback, uint32_t *out);
int settings_resolve_u8(struct errbuf *e, const struct raw_value *v, uint32_t min, uint32_t max,
			uint32_t fallback, uint8_t *out);
/* true/false/yes/no/1/0/on/off, any case. */
int settings_resolve_bool(struct errbuf *e, const struct raw_value *v, bool fallback, bool *out);
/* One of names (any case, blanks around allowed); predicate words the error. */
int settings_resolve_choice(struct errbuf *e, const struct raw_value *v,
			    const char *const *names, size_t n, const char *predicate,
			    int fallback, int *out);
int settings_resolve_text(struct errbuf *e, const struct raw_value *v, char *dst,
			  size_t dst_len);

/* An http:// or https:// URL with a host and no blank. */
bool settings_valid_url(const char *url);
/* HOST:PORT with HOST an IPv4 address or a name, or [IPv6]:PORT. */
bool settings_valid_host_port(const char *text);
/* Linux rules for a device name (dev_valid_name): 1..15 bytes, no '/', ':' or blank. */
bool settings_valid_ifname(const char *name);

/* An adapter key's value checked by its kind (setting_keys.h) into dst (normalised: a
 * number in decimal, a boolean as true/false). */
int settings_resolve_adapter_value(struct errbuf *e, const struct setting_key_info *key,
				   const struct raw_value *v, char *dst, size_t dst_len);

#endif
