/* settings_print.c — the effective settings as YAML that loads back to the same settings,
 * secrets masked by their key's secret flag (setting_keys.h), never by guessing from a name. */
#include "settings_values.h"

#include <stdio.h>
#include <string.h>

/* A YAML double-quoted scalar. */
static void print_quoted(FILE *out, const char *text)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\x%02x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* A URL with the password of its user info (scheme://user:password@host) masked. */
static const char *mask_url_password(const char *url, char *buf, size_t len)
{
	const char *start = strstr(url, "://");
	if (start == NULL)
		return url;
	start += 3;
	size_t authority = strcspn(start, "/?#");
	const char *at = memchr(start, '@', authority);
	const char *colon = at ? memchr(start, ':', (size_t)(at - start)) : NULL;
	if (colon == NULL)
		return url;
	snprintf(buf, len, "%.*s***%s", (int)(colon + 1 - url), url, at);
	return buf;
}

enum mask { MASK_NONE, MASK_ALL, MASK_URL_PASSWORD };

static void print_text(FILE *out, const char *indent, const char *key, const char *value,
		       enum mask mask)
{
	char masked[SETTINGS_TEXT_LEN + 8];

	fprintf(out, "%s%s: ", indent, key);
	if (mask == MASK_ALL && value[0] != '\0')
		value = "***";
	else if (mask == MASK_URL_PASSWORD)
		value = mask_url_password(value, masked, sizeof(masked));
	print_quoted(out, value);
	fputc('\n', out);
}

static void print_check(FILE *out, const struct check_settings *c)
{
	if (c->kind == CHECK_TCP)
		fprintf(out, "      - %s: %u\n", check_kind_name(c->kind), c->port);
	else
		print_text(out, "      - ", check_kind_name(c->kind), c->target,
			   c->kind == CHECK_HTTP ? MASK_URL_PASSWORD : MASK_NONE);
	fprintf(out,
		"        interval_ms: %u\n        timeout_ms: %u\n        rise: %u\n"
		"        fall: %u\n        weight: %u\n",
		c->interval_ms, c->timeout_ms, c->rise, c->fall, c->weight);
}

static void print_addr_list(FILE *out, const char *key, const struct ip_addr *addrs,
			    const struct vip *vips, size_t n)
{
	char buf[IP_ADDR_STRLEN];

	fprintf(out, "    %s: [", key);
	for (size_t i = 0; i < n; i++) {
		const struct ip_addr *addr = vips ? &vips[i].addr : &addrs[i];
		fprintf(out, "%s\"%s", i ? ", " : "", ip_addr_str(addr, buf));
		if (vips)
			fprintf(out, "/%u", vips[i].prefix);
		fputc('"', out);
	}
	fputs("]\n", out);
}

static void print_instance(FILE *out, const struct instance_settings *inst)
{
	char vip[IP_ADDR_STRLEN];

	print_text(out, "  - ", "name", inst->name, MASK_NONE);
	print_addr_list(out, "vips", NULL, inst->vips, inst->n_vips);
	if (inst->interface[0])
		print_text(out, "    ", "interface", inst->interface, MASK_NONE);
	else
		fputs("    interface: auto\n", out);
	fprintf(out, "    vrid: %u", inst->vrid);
	if (inst->vrid_derived)
		fprintf(out, "  # derived from %s", ip_addr_str(&inst->vips[0].addr, vip));
	fprintf(out, "\n    priority: %u\n    advert_ms: %u\n    version: %u\n", inst->priority,
		inst->advert_ms, inst->version);
	fprintf(out, "    preempt: %s\n    preempt_delay_ms: %u\n",
		inst->preempt ? "true" : "false", inst->preempt_delay_ms);
	if (inst->peers_set)
		print_addr_list(out, "peers", inst->peers, NULL, inst->n_peers);
	else
		fputs("    # peers: from the adapter\n", out);
	fprintf(out, "    mode: %s\n", settings_mode_names[inst->mode]);
	fputs(inst->n_checks ? "    checks:\n" : "    checks: []\n", out);
	for (size_t i = 0; i < inst->n_checks; i++)
		print_check(out, &inst->checks[i]);
	print_text(out, "    ", "notify", inst->notify, MASK_NONE);
	fprintf(out, "    garp_repeat: %u\n    garp_delay_ms: %u\n    garp_refresh_s: %u\n",
		inst->garp_repeat, inst->garp_delay_ms, inst->garp_refresh_s);
	fprintf(out, "    conflict_check_s: %u\n    conflict_action: %s\n", inst->conflict_check_s,
		settings_conflict_action_names[inst->conflict_action]);
	if (inst->auth_pass[0] != '\0')
		print_text(out, "    ", setting_keys[SK_AUTH_PASS].yaml, inst->auth_pass,
			   setting_keys[SK_AUTH_PASS].secret ? MASK_ALL : MASK_NONE);
}

/* An adapter setting: a number bare, other kinds quoted; "" when not given. */
static void print_adapter_value(FILE *out, const struct adapter_setting *v)
{
	const struct setting_key_info *key = v->key;

	if (v->set && (key->kind == SETTING_UINT || key->kind == SETTING_BOOL))
		fprintf(out, "%s: %s\n", key->yaml, v->value);
	else
		print_text(out, "", key->yaml, v->value,
			   key->secret ? MASK_ALL
			   : key->kind == SETTING_URL || key->kind == SETTING_URL_LIST
				   ? MASK_URL_PASSWORD
				   : MASK_NONE);
}

void settings_print(const struct settings *s, FILE *out)
{
	fprintf(out, "# effective settings: flags > env > %s > adapter > defaults\n",
		s->config_path[0] ? s->config_path : "(no file)");
	fprintf(out, "orchestrator: %s\n", s->orchestrator);
	print_text(out, "", "status_addr", s->status_addr, MASK_NONE);
	fprintf(out, "%s: %u\n", setting_keys[SK_REALTIME_PRIORITY].yaml, s->realtime_priority);
	fprintf(out, "log:\n  format: %s\n  level: %s\n",
		settings_log_format_names[s->log_format], settings_log_level_names[s->log_level]);
	for (size_t i = 0; i < s->n_adapter_values; i++)
		print_adapter_value(out, &s->adapter_values[i]);
	fputs("instances:\n", out);
	for (size_t i = 0; i < s->n_instances; i++)
		print_instance(out, &s->instances[i]);
}
