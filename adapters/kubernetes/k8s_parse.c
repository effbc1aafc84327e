/* k8s_parse.c — Kubernetes API answers (JSON) into a pod set; see k8s_parse.h.
 * Field names and types follow ../shared/reference/kubernetes-api.md §2-§4; unknown fields
 * are ignored, fields we use are type-checked and a mismatch names the field. */
#include "k8s_parse.h"

#include "json_read.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define FIELD_LEN 160 /* "items[123].status.podIPs[4]." and the like */

/* ---- small helpers ---------------------------------------------------------------------- */

/* The whole body as one JSON value, at most max bytes; NULL with the reason in err (a
 * truncated answer ends up here as "invalid JSON at line L column C: ..."). */
static json_t *load(const char *body, size_t len, size_t max, const char *what, char *err,
		    size_t err_len)
{
	if (len > max) {
		jr_fail(err, err_len, -EMSGSIZE, "%s: %zu bytes, more than the %zu accepted", what,
			len, max);
		return NULL;
	}
	return jr_load(body, len, 0, what, err, err_len);
}

/* Copies an optional string field into dst (dst_len bytes; "" when absent). */
static int copy_string(const json_t *obj, const char *key, const char *where, char *dst,
		       size_t dst_len, char *err, size_t err_len)
{
	const char *s = NULL;
	int rc = jr_opt_string(obj, key, where, &s, err, err_len);
	if (rc < 0)
		return rc;
	if (s != NULL && strlen(s) >= dst_len)
		return jr_fail(err, err_len, -EBADMSG, "%s%s: longer than %zu bytes", where, key,
			       dst_len - 1);
	snprintf(dst, dst_len, "%s", s != NULL ? s : "");
	return 0;
}

/* ---- names, labels ---------------------------------------------------------------------- */

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A label name or value body: alphanumerics at both ends, '-', '_', '.' inside, max 63. */
static bool label_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* A DNS subdomain (RFC 1123): lower-case alphanumerics, '-', '.', max 253. */
static bool dns_subdomain_ok(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && c != '-' && c != '.')
			return false;
		if ((i == 0 || i == n - 1) && !alnum)
			return false;
	}
	return true;
}

static bool label_key_ok(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	if (slash == NULL)
		return label_name_ok(s, n);
	return dns_subdomain_ok(s, (size_t)(slash - s)) &&
	       label_name_ok(slash + 1, n - (size_t)(slash - s) - 1);
}

static bool label_value_ok(const char *s, size_t n)
{
	return n == 0 || label_name_ok(s, n);
}

static const char *const controller_labels[] = {
	"controller-revision-hash", "pod-template-generation", "pod-template-hash",
};

bool k8s_label_is_controllers(const char *key)
{
	for (size_t i = 0; i < sizeof(controller_labels) / sizeof(controller_labels[0]); i++)
		if (strcmp(key, controller_labels[i]) == 0)
			return true;
	return false;
}

/* ---- in-cluster access ------------------------------------------------------------------ */

int k8s_api_url(const char *host, const char *port, char *out, size_t out_len, char *err,
		size_t err_len)
{
	size_t n_host = host != NULL ? strlen(host) : 0;
	bool v6;
	char *end;
	long p = 443;
	int n;

	if (n_host > 2 && host[0] == '[' && host[n_host - 1] == ']') {
		host++; /* already bracketed: taken as the literal inside */
		n_host -= 2;
	}
	if (n_host == 0)
		return jr_fail(err, err_len, -EINVAL, "KUBERNETES_SERVICE_HOST: empty");
	for (size_t i = 0; i < n_host; i++)
		if (!is_alnum(host[i]) && host[i] != '-' && host[i] != '.' && host[i] != ':')
			return jr_fail(err, err_len, -EINVAL,
				       "KUBERNETES_SERVICE_HOST: \"%.64s\" is "
				       "not a host name or address", host);
	if (port != NULL && port[0] != '\0') {
		errno = 0;
		p = strtol(port, &end, 10);
		if (!isdigit((unsigned char)port[0]) || *end != '\0' || errno != 0 || p < 1 ||
		    p > 65535)
			return jr_fail(err, err_len, -EINVAL,
				       "KUBERNETES_SERVICE_PORT: \"%.16s\" is "
				       "not a port between 1 and 65535", port);
	}
	v6 = memchr(host, ':', n_host) != NULL; /* IPv6: the URL needs brackets (RFC 3986 §3.2.2) */
	n = snprintf(out, out_len, v6 ? "https://[%.*s]:%ld" : "https://%.*s:%ld", (int)n_host,
		     host, p);
	if (n < 0 || (size_t)n >= out_len)
		return jr_fail(err, err_len, -ENAMETOOLONG, "API URL: longer than %zu bytes",
			       out_len - 1);
	return 0;
}

int k8s_parse_namespace(const char *text, size_t len, char *out, char *err, size_t err_len)
{
	while (len > 0 && isspace((unsigned char)text[len - 1]))
		len--;
	if (len == 0)
		return jr_fail(err, err_len, -EINVAL, "namespace: empty");
	if (len >= K8S_NAMESPACE_LEN || memchr(text, '.', len) != NULL ||
	    !dns_subdomain_ok(text, len))
		return jr_fail(err, err_len, -EINVAL, "namespace: \"%.*s\" is not a namespace name "
			       "(lower-case letters, digits and '-', at most 63)",
			       (int)(len > 64 ? 64 : len), text);
	memcpy(out, text, len);
	out[len] = '\0';
	return 0;
}

/* ---- selectors -------------------------------------------------------------------------- */

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A key at *p (up to a blank, '=', '!', ',', '(' or the end): copied and checked. */
static int scan_key(const char **p, char *key, char *err, size_t err_len)
{
	const char *s = *p;
	size_t n = strcspn(s, " \t=!,()");
	if (n == 0 || n >= K8S_LABEL_KEY_LEN || !label_key_ok(s, n))
		return jr_fail(err, err_len, -EINVAL, "selector: \"%.*s\" is not a label key",
			       (int)(n > 80 ? 80 : n), s);
	memcpy(key, s, n);
	key[n] = '\0';
	*p = s + n;
	return 0;
}

static int scan_value(const char **p, char *value, const char *stops, char *err, size_t err_len)
{
	const char *s = skip_blanks(*p);
	size_t n = strcspn(s, stops);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= K8S_LABEL_VALUE_LEN || !label_value_ok(s, n))
		return jr_fail(err, err_len, -EINVAL, "selector: \"%.*s\" is not a label value",
			       (int)(n > 80 ? 80 : n), s);
	memcpy(value, s, n);
	value[n] = '\0';
	*p = skip_blanks(s + n);
	return 0;
}

/* "(a, b)" after in / notin. */
static int scan_set(const char **p, struct k8s_requirement *r, char *err, size_t err_len)
{
	const char *s = skip_blanks(*p);
	int rc;
	if (*s != '(')
		return jr_fail(err, err_len, -EINVAL, "selector: %s: expected '(' after in/notin",
			       r->key);
	s++;
	for (;;) {
		if (r->n_values == K8S_MAX_SET_VALUES)
			return jr_fail(err, err_len, -EINVAL, "selector: %s: more than %d values",
				       r->key, K8S_MAX_SET_VALUES);
		rc = scan_value(&s, r->values[r->n_values], ",)", err, err_len);
		if (rc < 0)
			return rc;
		r->n_values++;
		if (*s == ')')
			break;
		if (*s != ',')
			return jr_fail(err, err_len, -EINVAL, "selector: %s: unclosed value set",
				       r->key);
		s++;
	}
	*p = s + 1;
	return 0;
}

/* One requirement at *p, up to the ',' that ends it (or the end). */
static int scan_requirement(const char **p, struct k8s_requirement *r, char *err, size_t err_len)
{
	const char *s = skip_blanks(*p);
	int rc;

	memset(r, 0, sizeof(*r));
	if (*s == '!') {
		r->op = K8S_OP_NOT_EXISTS;
		s = skip_blanks(s + 1);
		rc = scan_key(&s, r->key, err, err_len);
		*p = skip_blanks(s);
		return rc;
	}
	rc = scan_key(&s, r->key, err, err_len);
	if (rc < 0)
		return rc;
	s = skip_blanks(s);
	if (*s == '\0' || *s == ',') {
		r->op = K8S_OP_EXISTS;
	} else if (s[0] == '!' && s[1] == '=') {
		r->op = K8S_OP_NOT_EQUALS;
		s += 2;
	} else if (s[0] == '=') {
		r->op = K8S_OP_EQUALS;
		s += s[1] == '=' ? 2 : 1;
	} else if (strncmp(s, "notin", 5) == 0 && (s[5] == ' ' || s[5] == '(')) {
		r->op = K8S_OP_NOT_IN;
		s += 5;
	} else if (strncmp(s, "in", 2) == 0 && (s[2] == ' ' || s[2] == '(')) {
		r->op = K8S_OP_IN;
		s += 2;
	} else {
		return jr_fail(err, err_len, -EINVAL, "selector: %s: expected =, ==, !=, in, notin "
			       "or ',' at \"%.32s\"", r->key, s);
	}
	if (r->op == K8S_OP_EQUALS || r->op == K8S_OP_NOT_EQUALS) {
		rc = scan_value(&s, r->values[0], ",", err, err_len);
		r->n_values = 1;
	} else if (r->op == K8S_OP_IN || r->op == K8S_OP_NOT_IN) {
		rc = scan_set(&s, r, err, err_len);
	}
	*p = skip_blanks(s);
	return rc;
}

int k8s_selector_parse(const char *text, struct k8s_selector *out, char *err, size_t err_len)
{
	const char *p = skip_blanks(text);
	int rc;

	if (strlen(text) >= K8S_SELECTOR_LEN)
		return jr_fail(err, err_len, -EINVAL, "selector: longer than %d bytes",
			       K8S_SELECTOR_LEN - 1);
	out->n_reqs = 0;
	while (*p != '\0') {
		if (out->n_reqs == K8S_MAX_REQUIREMENTS)
			return jr_fail(err, err_len, -EINVAL, "selector: more than %d requirements",
				       K8S_MAX_REQUIREMENTS);
		rc = scan_requirement(&p, &out->reqs[out->n_reqs], err, err_len);
		if (rc < 0)
			return rc;
		out->n_reqs++;
		if (*p == ',' && *skip_blanks(p + 1) != '\0')
			p = skip_blanks(p + 1);
		else if (*p != '\0')
			return jr_fail(err, err_len, -EINVAL, "selector: unexpected \"%.32s\"", p);
	}
	return 0;
}

static bool value_in(const struct k8s_requirement *r, const char *v)
{
	for (size_t i = 0; i < r->n_values; i++)
		if (strcmp(r->values[i], v) == 0)
			return true;
	return false;
}

/* labels: the pod's metadata.labels, already checked to map strings to strings (or NULL). */
static bool selector_matches(const struct k8s_selector *sel, const json_t *labels)
{
	for (size_t i = 0; i < sel->n_reqs; i++) {
		const struct k8s_requirement *r = &sel->reqs[i];
		const char *v = json_string_value(json_object_get(labels, r->key));
		bool ok;
		switch (r->op) {
		case K8S_OP_EQUALS:
		case K8S_OP_IN:
			ok = v != NULL && value_in(r, v);
			break;
		case K8S_OP_NOT_EQUALS:
		case K8S_OP_NOT_IN:
			ok = v == NULL || !value_in(r, v);
			break;
		case K8S_OP_EXISTS:
			ok = v != NULL;
			break;
		default:
			ok = v == NULL;
			break;
		}
		if (!ok)
			return false;
	}
	return true;
}

/* ---- one pod ---------------------------------------------------------------------------- */

static const char *const verdict_names[] = {
	[K8S_MEMBER] = "member",         [K8S_NOT_SELECTED] = "not selected",
	[K8S_TERMINATING] = "terminating", [K8S_FINISHED] = "failed or succeeded",
	[K8S_NO_ADDRESS] = "no address of the VIP's family",
};

const char *k8s_verdict_name(enum k8s_pod_verdict v)
{
	if ((size_t)v >= sizeof(verdict_names) / sizeof(verdict_names[0]))
		return "?";
	return verdict_names[v];
}

/* metadata.labels: NULL or an object of strings. */
static int check_labels(const json_t *meta, const char *where, const json_t **labels, char *err,
			size_t err_len)
{
	const char *key;
	const json_t *v;
	int rc = jr_opt_object(meta, "labels", where, labels, err, err_len);
	if (rc < 0 || *labels == NULL)
		return rc;
	json_object_foreach((json_t *)*labels, key, v)
		if (!json_is_string(v))
			return jr_fail(err, err_len, -EBADMSG,
				       "%slabels.%.64s: expected a string, got %s", where, key,
				       jr_type_name(v));
	return 0;
}

/* The pod's name (required, at most K8S_NAME_LEN - 1) and optionally its resourceVersion. */
static int pod_metadata(const json_t *pod, const char *where, const json_t **meta, char *name,
			char *rv, char *err, size_t err_len)
{
	char field[FIELD_LEN];
	int rc;

	snprintf(field, sizeof(field), "%s.metadata", where);
	*meta = json_object_get(pod, "metadata");
	rc = jr_need_object(*meta, field, err, err_len);
	snprintf(field, sizeof(field), "%s.metadata.", where);
	if (rc == 0)
		rc = copy_string(*meta, "name", field, name, K8S_NAME_LEN, err, err_len);
	if (rc == 0 && name[0] == '\0')
		rc = jr_fail(err, err_len, -EBADMSG, "%sname: missing", field);
	if (rc == 0 && rv != NULL)
		rc = copy_string(*meta, "resourceVersion", field, rv, K8S_RV_LEN, err, err_len);
	return rc;
}

/* One address text at field: parsed into *a, or -EBADMSG. */
static int parse_ip(const char *text, const char *field, struct ip_addr *a, char *err,
		    size_t err_len)
{
	if (ip_addr_parse(text, a) < 0)
		return jr_fail(err, err_len, -EBADMSG, "%s: \"%.64s\" is not an IP address", field,
			       text);
	return 0;
}

/* The first address of family in status.podIPs, else in status.podIP (reference §4: podIPs
 * is the dual-stack list, podIPs[0] == podIP). Every address given is checked. */
static int pod_address(const json_t *status, const char *where, sa_family_t family,
		       struct ip_addr *out, char *err, size_t err_len)
{
	const json_t *ips = json_object_get(status, "podIPs"), *item;
	const char *text = NULL;
	char field[FIELD_LEN];
	struct ip_addr a;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	snprintf(field, sizeof(field), "%s.status.", where);
	/* podIP is checked even when unused */
	rc = jr_opt_string(status, "podIP", field, &text, err, err_len);
	if (rc < 0)
		return rc;
	if (ips != NULL && !json_is_null(ips) && !json_is_array(ips))
		return jr_fail(err, err_len, -EBADMSG, "%s.status.podIPs: expected a list, got %s",
			       where, jr_type_name(ips));
	json_array_foreach(ips, i, item) {
		const char *ip = NULL;
		snprintf(field, sizeof(field), "%s.status.podIPs[%zu]", where, i);
		rc = jr_need_object(item, field, err, err_len);
		snprintf(field, sizeof(field), "%s.status.podIPs[%zu].", where, i);
		if (rc == 0)
			rc = jr_opt_string(item, "ip", field, &ip, err, err_len);
		if (rc == 0 && ip == NULL)
			rc = jr_fail(err, err_len, -EBADMSG, "%sip: missing", field);
		snprintf(field, sizeof(field), "%s.status.podIPs[%zu].ip", where, i);
		if (rc == 0)
			rc = parse_ip(ip, field, &a, err, err_len);
		if (rc < 0)
			return rc;
		if (a.family == family && out->family == 0)
			*out = a;
	}
	if (json_array_size(ips) > 0 || text == NULL || text[0] == '\0')
		return 0;
	snprintf(field, sizeof(field), "%s.status.podIP", where);
	rc = parse_ip(text, field, &a, err, err_len);
	if (rc == 0 && a.family == family)
		*out = a;
	return rc;
}

/* A Pod object at where ("items[3]", "object"): its name and verdict (issue 9 point 2). */
static int pod_decide(const json_t *pod, const char *where, const struct k8s_filter *filter,
		      struct k8s_pod_info *out, char *rv, char *err, size_t err_len)
{
	const json_t *meta, *labels = NULL, *status = NULL, *deleting;
	const char *phase = NULL;
	char field[FIELD_LEN];
	int rc = jr_need_object(pod, where, err, err_len);

	memset(out, 0, sizeof(*out));
	if (rc == 0)
		rc = pod_metadata(pod, where, &meta, out->name, rv, err, err_len);
	snprintf(field, sizeof(field), "%s.metadata.", where);
	if (rc == 0)
		rc = check_labels(meta, field, &labels, err, err_len);
	deleting = rc == 0 ? json_object_get(meta, "deletionTimestamp") : NULL;
	if (deleting != NULL && !json_is_null(deleting) && !json_is_string(deleting))
		rc = jr_fail(err, err_len, -EBADMSG,
			     "%sdeletionTimestamp: expected a string, got %s",
			     field, jr_type_name(deleting));
	snprintf(field, sizeof(field), "%s.", where);
	if (rc == 0)
		rc = jr_opt_object(pod, "status", field, &status, err, err_len);
	snprintf(field, sizeof(field), "%s.status.", where);
	if (rc == 0 && status != NULL)
		rc = jr_opt_string(status, "phase", field, &phase, err, err_len);
	if (rc == 0 && status != NULL)
		rc = pod_address(status, where, filter->family, &out->addr, err, err_len);
	if (rc < 0)
		return rc;
	if (!selector_matches(&filter->selector, labels))
		out->verdict = K8S_NOT_SELECTED;
	else if (deleting != NULL && !json_is_null(deleting))
		out->verdict = K8S_TERMINATING;
	else if (phase != NULL && (strcmp(phase, "Failed") == 0 || strcmp(phase, "Succeeded") == 0))
		out->verdict = K8S_FINISHED;
	else if (out->addr.family == 0)
		out->verdict = K8S_NO_ADDRESS;
	else
		out->verdict = K8S_MEMBER;
	if (out->verdict != K8S_MEMBER)
		memset(&out->addr, 0, sizeof(out->addr));
	return 0;
}

/* ---- our own pod ------------------------------------------------------------------------ */

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct k8s_label *)a)->key, ((const struct k8s_label *)b)->key);
}

static int own_labels(const json_t *labels, struct k8s_own_pod *out, char *err, size_t err_len)
{
	const char *key;
	const json_t *v;

	out->n_labels = 0;
	json_object_foreach((json_t *)labels, key, v) {
		struct k8s_label *l = &out->labels[out->n_labels];
		const char *value = json_string_value(v);
		if (out->n_labels == K8S_MAX_LABELS)
			return jr_fail(err, err_len, -E2BIG, "pod.metadata.labels: more than %d",
				       K8S_MAX_LABELS);
		if (!label_key_ok(key, strlen(key)) || strlen(key) >= sizeof(l->key))
			return jr_fail(err, err_len, -EBADMSG,
				       "pod.metadata.labels: \"%.64s\" is not "
				       "a label key", key);
		if (strlen(value) >= sizeof(l->value) || !label_value_ok(value, strlen(value)))
			return jr_fail(err, err_len, -EBADMSG,
				       "pod.metadata.labels.%s: \"%.64s\" is "
				       "not a label value", key, value);
		snprintf(l->key, sizeof(l->key), "%s", key);
		snprintf(l->value, sizeof(l->value), "%s", value);
		out->n_labels++;
	}
	qsort(out->labels, out->n_labels, sizeof(out->labels[0]), label_cmp);
	return 0;
}

int k8s_parse_own_pod(const char *body, size_t len, sa_family_t family, struct k8s_own_pod *out,
		      char *err, size_t err_len)
{
	json_t *root = load(body, len, K8S_MAX_OBJECT_BYTES, "pod", err, err_len);
	const json_t *meta = NULL, *labels = NULL, *status = NULL;
	int rc;

	if (root == NULL)
		return len > K8S_MAX_OBJECT_BYTES ? -EMSGSIZE : -EBADMSG;
	memset(out, 0, sizeof(*out));
	rc = pod_metadata(root, "pod", &meta, out->name, NULL, err, err_len);
	if (rc == 0)
		rc = check_labels(meta, "pod.metadata.", &labels, err, err_len);
	if (rc == 0)
		rc = jr_opt_object(root, "status", "pod.", &status, err, err_len);
	if (rc == 0 && status != NULL)
		rc = pod_address(status, "pod", family, &out->addr, err, err_len);
	if (rc == 0)
		rc = own_labels(labels, out, err, err_len);
	json_decref(root);
	return rc;
}

int k8s_default_selector(const struct k8s_own_pod *own, char *out, size_t out_len, char *err,
			 size_t err_len)
{
	size_t used = 0;
	if (out_len > K8S_SELECTOR_LEN)
		out_len = K8S_SELECTOR_LEN;
	if (out_len > 0)
		out[0] = '\0';
	for (size_t i = 0; i < own->n_labels; i++) {
		const struct k8s_label *l = &own->labels[i];
		int n;
		if (k8s_label_is_controllers(l->key))
			continue;
		n = snprintf(out + used, out_len - used, "%s%s=%s", used > 0 ? "," : "", l->key,
			     l->value);
		if (n < 0 || (size_t)n >= out_len - used)
			return jr_fail(err, err_len, -ENAMETOOLONG,
				       "pod %s: its labels make a selector "
				       "longer than %zu bytes: set KEEPVIP_K8S_SELECTOR", own->name,
				       out_len - 1);
		used += (size_t)n;
	}
	if (used == 0)
		return jr_fail(err, err_len, -ENOENT,
			       "pod %s: no label but the controller's to select "
			       "the peers by: set KEEPVIP_K8S_SELECTOR", own->name);
	return 0;
}

/* ---- the pod set ------------------------------------------------------------------------ */

void k8s_pod_set_clear(struct k8s_pod_set *set)
{
	set->n_members = 0;
	set->resource_version[0] = '\0';
}

static size_t member_index(const struct k8s_pod_set *set, const char *name)
{
	size_t i;
	for (i = 0; i < set->n_members; i++)
		if (strcmp(set->members[i].name, name) == 0)
			break;
	return i;
}

const struct k8s_member *k8s_pod_set_find(const struct k8s_pod_set *set, const char *name)
{
	size_t i = member_index(set, name);
	return i < set->n_members ? &set->members[i] : NULL;
}

static int remove_member(struct k8s_pod_set *set, const char *name)
{
	size_t i = member_index(set, name);
	if (i == set->n_members)
		return 0;
	set->members[i] = set->members[--set->n_members];
	return 1;
}

int k8s_pod_set_update(struct k8s_pod_set *set, const struct k8s_pod_info *pod, char *err,
		       size_t err_len)
{
	size_t i;
	if (pod->verdict != K8S_MEMBER)
		return remove_member(set, pod->name);
	i = member_index(set, pod->name);
	if (i < set->n_members) {
		if (ip_addr_equal(&set->members[i].addr, &pod->addr))
			return 0;
		set->members[i].addr = pod->addr;
		return 1;
	}
	if (set->n_members == K8S_MAX_MEMBERS)
		return jr_fail(err, err_len, -E2BIG, "more than %d peer pods", K8S_MAX_MEMBERS);
	snprintf(set->members[i].name, sizeof(set->members[i].name), "%s", pod->name);
	set->members[i].addr = pod->addr;
	set->n_members++;
	return 1;
}

static int addr_cmp(const void *a, const void *b)
{
	return ip_addr_cmp(a, b);
}

void k8s_pod_set_discovery(const struct k8s_pod_set *set, const char *self_name,
			   struct adapter_discovery *out)
{
	const struct k8s_member *self = self_name != NULL ? k8s_pod_set_find(set, self_name) : NULL;
	size_t n = 0;

	out->has_self = self != NULL;
	memset(&out->self, 0, sizeof(out->self));
	if (self != NULL)
		out->self = self->addr;
	for (size_t i = 0; i < set->n_members; i++) {
		const struct ip_addr *a = &set->members[i].addr;
		bool seen = self != NULL && ip_addr_equal(a, &self->addr);
		for (size_t j = 0; j < n && !seen; j++)
			seen = ip_addr_equal(a, &out->peers[j]);
		if (!seen && n < ADAPTER_MAX_PEERS)
			out->peers[n++] = *a;
	}
	qsort(out->peers, n, sizeof(out->peers[0]), addr_cmp);
	out->n_peers = n;
}

/* ---- list ------------------------------------------------------------------------------- */

int k8s_parse_pod_list(const char *body, size_t len, const struct k8s_filter *filter,
		       struct k8s_pod_set *set, struct k8s_list_page *page, char *err,
		       size_t err_len)
{
	json_t *root = load(body, len, K8S_MAX_LIST_BYTES, "pod list", err, err_len);
	const json_t *meta = NULL, *items, *item;
	struct k8s_list_page found;
	const char *kind = NULL;
	size_t i;
	int rc;

	if (root == NULL)
		return len > K8S_MAX_LIST_BYTES ? -EMSGSIZE : -EBADMSG;
	rc = jr_need_object(root, "pod list", err, err_len);
	if (rc == 0)
		rc = jr_opt_string(root, "kind", "", &kind, err, err_len);
	if (rc == 0 && kind != NULL && strcmp(kind, "PodList") != 0)
		rc = jr_fail(err, err_len, -EBADMSG, "kind: expected PodList, got \"%.32s\"", kind);
	if (rc == 0)
		rc = jr_opt_object(root, "metadata", "", &meta, err, err_len);
	if (rc == 0 && meta == NULL)
		rc = jr_fail(err, err_len, -EBADMSG, "metadata: missing");
	if (rc == 0)
		rc = copy_string(meta, "resourceVersion", "metadata.", found.resource_version,
				 sizeof(found.resource_version), err, err_len);
	if (rc == 0 && found.resource_version[0] == '\0')
		rc = jr_fail(err, err_len, -EBADMSG, "metadata.resourceVersion: missing");
	if (rc == 0)
		rc = copy_string(meta, "continue", "metadata.", found.continue_token,
				 sizeof(found.continue_token), err, err_len);
	items = json_object_get(root, "items");
	if (rc == 0 && items != NULL && !json_is_null(items) && !json_is_array(items))
		rc = jr_fail(err, err_len, -EBADMSG, "items: expected a list, got %s",
			     jr_type_name(items));
	json_array_foreach(items, i, item) {
		struct k8s_pod_info pod;
		char where[32];
		if (rc < 0)
			break;
		snprintf(where, sizeof(where), "items[%zu]", i);
		rc = pod_decide(item, where, filter, &pod, NULL, err, err_len);
		if (rc == 0)
			rc = k8s_pod_set_update(set, &pod, err, err_len);
	}
	if (rc >= 0) {
		rc = 0;
		*page = found;
		memcpy(set->resource_version, found.resource_version, sizeof(found.resource_version));
	}
	json_decref(root);
	return rc;
}

/* ---- watch ------------------------------------------------------------------------------ */

static const char *const event_names[] = {
	[K8S_EVENT_ADDED] = "ADDED",       [K8S_EVENT_MODIFIED] = "MODIFIED",
	[K8S_EVENT_DELETED] = "DELETED",   [K8S_EVENT_BOOKMARK] = "BOOKMARK",
	[K8S_EVENT_ERROR] = "ERROR",
};

static int status_into(const json_t *obj, const char *where, struct k8s_status *out, char *err,
		       size_t err_len)
{
	const json_t *code = json_object_get(obj, "code");
	const char *reason = NULL, *message = NULL;
	int rc = jr_need_object(obj, where, err, err_len);
	char field[FIELD_LEN];

	snprintf(field, sizeof(field), "%s.", where);
	memset(out, 0, sizeof(*out));
	if (rc == 0 && code != NULL && !json_is_null(code) && !json_is_integer(code))
		rc = jr_fail(err, err_len, -EBADMSG, "%scode: expected an integer, got %s", field,
			     jr_type_name(code));
	if (rc == 0 && json_is_integer(code) &&
	    (json_integer_value(code) < 0 || json_integer_value(code) > 999))
		rc = jr_fail(err, err_len, -EBADMSG,
			     "%scode: %" JSON_INTEGER_FORMAT " is not an HTTP "
			     "status", field, json_integer_value(code));
	if (rc == 0)
		rc = jr_opt_string(obj, "reason", field, &reason, err, err_len);
	if (rc == 0)
		rc = jr_opt_string(obj, "message", field, &message, err, err_len);
	if (rc < 0)
		return rc;
	out->code = json_is_integer(code) ? (int)json_integer_value(code) : 0;
	snprintf(out->reason, sizeof(out->reason), "%s", reason != NULL ? reason : "");
	snprintf(out->message, sizeof(out->message), "%s", message != NULL ? message : "");
	return 0;
}

/* The envelope {"type": T, "object": {...}} common to every watch. An object's kind, when
 * given, must be want_kind (or Status for ERROR). */
static int envelope(const json_t *root, const char *want_kind, enum k8s_event_type *type,
		    const json_t **object, char *err, size_t err_len)
{
	const char *t = NULL, *kind = NULL;
	size_t i;
	int rc = jr_need_object(root, "event", err, err_len);

	if (rc == 0)
		rc = jr_opt_string(root, "type", "event.", &t, err, err_len);
	if (rc == 0 && t == NULL)
		rc = jr_fail(err, err_len, -EBADMSG, "event.type: missing");
	for (i = 0; rc == 0 && i < sizeof(event_names) / sizeof(event_names[0]); i++)
		if (strcmp(t, event_names[i]) == 0)
			break;
	if (rc == 0 && i == sizeof(event_names) / sizeof(event_names[0]))
		rc = jr_fail(err, err_len, -EBADMSG,
			     "event.type: \"%.32s\" is not a watch event type",
			     t);
	if (rc < 0)
		return rc;
	*type = (enum k8s_event_type)i;
	*object = json_object_get(root, "object");
	rc = jr_need_object(*object, "event.object", err, err_len);
	if (rc == 0)
		rc = jr_opt_string(*object, "kind", "event.object.", &kind, err, err_len);
	if (rc == 0 && *type == K8S_EVENT_ERROR && kind != NULL && strcmp(kind, "Status") != 0)
		rc = jr_fail(err, err_len, -EBADMSG, "event.object.kind: an ERROR event carries a "
			     "Status, not a %.32s", kind);
	if (rc == 0 && *type != K8S_EVENT_ERROR && kind != NULL && strcmp(kind, want_kind) != 0)
		rc = jr_fail(err, err_len, -EBADMSG,
			     "event.object.kind: expected %s, got \"%.32s\"",
			     want_kind, kind);
	return rc;
}

/* A bookmark's object carries only metadata.resourceVersion (reference §3). */
static int bookmark_rv(const json_t *object, char *rv, char *err, size_t err_len)
{
	const json_t *meta = NULL;
	int rc = jr_opt_object(object, "metadata", "event.object.", &meta, err, err_len);
	if (rc == 0)
		rc = copy_string(meta, "resourceVersion", "event.object.metadata.", rv, K8S_RV_LEN,
				 err, err_len);
	if (rc == 0 && rv[0] == '\0')
		rc = jr_fail(err, err_len, -EBADMSG,
			     "event.object.metadata.resourceVersion: missing");
	return rc;
}

int k8s_parse_pod_event(const char *line, size_t len, const struct k8s_filter *filter,
			struct k8s_pod_event *ev, char *err, size_t err_len)
{
	json_t *root = load(line, len, K8S_MAX_EVENT_BYTES, "watch event", err, err_len);
	const json_t *object = NULL;
	struct k8s_pod_event found;
	int rc;

	if (root == NULL)
		return len > K8S_MAX_EVENT_BYTES ? -EMSGSIZE : -EBADMSG;
	memset(&found, 0, sizeof(found));
	rc = envelope(root, "Pod", &found.type, &object, err, err_len);
	if (rc == 0 && found.type == K8S_EVENT_ERROR)
		rc = status_into(object, "event.object", &found.status, err, err_len);
	else if (rc == 0 && found.type == K8S_EVENT_BOOKMARK)
		rc = bookmark_rv(object, found.resource_version, err, err_len);
	else if (rc == 0)
		rc = pod_decide(object, "event.object", filter, &found.pod,
				found.resource_version, err, err_len);
	if (rc == 0)
		*ev = found;
	json_decref(root);
	return rc;
}

int k8s_pod_set_apply(struct k8s_pod_set *set, const struct k8s_pod_event *ev, char *err,
		      size_t err_len)
{
	int rc = 0;
	switch (ev->type) {
	case K8S_EVENT_ERROR:
		/* 410 Gone / Expired: the resourceVersion left the history window (reference §3);
		 * check the code, not the reason. */
		return jr_fail(err, err_len, ev->status.code == 410 ? -ESTALE : -EPROTO,
			       "watch: ERROR %d %s: %s", ev->status.code, ev->status.reason,
			       ev->status.message);
	case K8S_EVENT_DELETED:
		rc = remove_member(set, ev->pod.name);
		break;
	case K8S_EVENT_ADDED:
	case K8S_EVENT_MODIFIED:
		rc = k8s_pod_set_update(set, &ev->pod, err, err_len);
		break;
	case K8S_EVENT_BOOKMARK:
		break;
	}
	if (rc >= 0 && ev->resource_version[0] != '\0')
		memcpy(set->resource_version, ev->resource_version, K8S_RV_LEN);
	return rc;
}

/* ---- line framing ----------------------------------------------------------------------- */

void k8s_lines_init(struct k8s_line_buffer *lb, size_t max)
{
	memset(lb, 0, sizeof(*lb));
	lb->max = max > 0 ? max : K8S_MAX_EVENT_BYTES;
}

void k8s_lines_free(struct k8s_line_buffer *lb)
{
	if (lb == NULL)
		return;
	free(lb->buf);
	lb->buf = NULL;
	lb->len = lb->cap = 0;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* One whole line (without "\n"): "\r" dropped, blank lines skipped. */
static int deliver(const char *line, size_t n, k8s_line_fn fn, void *arg)
{
	if (n > 0 && line[n - 1] == '\r')
		n--;
	return blank(line, n) ? 0 : fn(arg, line, n);
}

static int keep(struct k8s_line_buffer *lb, const char *data, size_t n, char *err, size_t err_len)
{
	if (lb->len + n > lb->max)
		return jr_fail(err, err_len, -EMSGSIZE, "watch: an event longer than %zu bytes",
			       lb->max);
	if (lb->len + n > lb->cap) {
		size_t cap = lb->cap > 0 ? lb->cap : 4096;
		char *grown;
		while (cap < lb->len + n)
			cap *= 2;
		if (cap > lb->max)
			cap = lb->max;
		grown = realloc(lb->buf, cap);
		if (grown == NULL)
			return jr_fail(err, err_len, -ENOMEM, "watch: out of memory for an event");
		lb->buf = grown;
		lb->cap = cap;
	}
	memcpy(lb->buf + lb->len, data, n);
	lb->len += n;
	return 0;
}

int k8s_lines_feed(struct k8s_line_buffer *lb, const char *data, size_t n, k8s_line_fn fn,
		   void *arg, char *err, size_t err_len)
{
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t part = nl != NULL ? (size_t)(nl - data) : n;
		int rc;
		if (nl == NULL)
			return keep(lb, data, part, err, err_len);
		if (lb->len == 0) {
			if (part > lb->max)
				return jr_fail(err, err_len, -EMSGSIZE,
					       "watch: an event longer than %zu "
					       "bytes", lb->max);
			rc = deliver(data, part, fn, arg);
		} else {
			rc = keep(lb, data, part, err, err_len);
			if (rc == 0)
				rc = deliver(lb->buf, lb->len, fn, arg);
			lb->len = 0;
		}
		if (rc < 0)
			return rc;
		data += part + 1;
		n -= part + 1;
	}
	return 0;
}

int k8s_lines_finish(struct k8s_line_buffer *lb, char *err, size_t err_len)
{
	bool partial = lb->len > 0 && !blank(lb->buf, lb->len);
	lb->len = 0;
	if (partial)
		return jr_fail(err, err_len, -EBADMSG, "watch: the stream ended inside an event");
	return 0;
}

/* ---- node, status ----------------------------------------------------------------------- */

/* The priority annotation of a Node object at where: 0 and *priority (0 when absent). */
static int node_priority(const json_t *node, const char *where, int *priority, char *err,
			 size_t err_len)
{
	const json_t *meta = NULL, *annotations = NULL;
	const char *v = NULL, *name = NULL;
	char field[FIELD_LEN];
	long value = 0;
	int rc = jr_need_object(node, where, err, err_len);

	snprintf(field, sizeof(field), "%s.", where);
	if (rc == 0)
		rc = jr_opt_object(node, "metadata", field, &meta, err, err_len);
	if (rc == 0 && meta == NULL)
		rc = jr_fail(err, err_len, -EBADMSG, "%smetadata: missing", field);
	snprintf(field, sizeof(field), "%s.metadata.", where);
	if (rc == 0)
		rc = jr_opt_string(meta, "name", field, &name, err, err_len);
	if (rc == 0)
		rc = jr_opt_object(meta, "annotations", field, &annotations, err, err_len);
	snprintf(field, sizeof(field), "%s.metadata.annotations.", where);
	if (rc == 0 && annotations != NULL)
		rc = jr_opt_string(annotations, K8S_PRIORITY_ANNOTATION, field, &v, err, err_len);
	if (rc < 0)
		return rc;
	if (v != NULL) {
		size_t n = strlen(v);
		bool digits = n > 0 && n <= 3 && strspn(v, "0123456789") == n;
		value = digits ? strtol(v, NULL, 10) : 0;
		if (value < 1 || value > 254)
			return jr_fail(err, err_len, -EBADMSG, "node %.64s: annotation "
				    K8S_PRIORITY_ANNOTATION ": \"%.32s\" is not a priority between "
				       "1 and 254", name != NULL ? name : "?", v);
	}
	*priority = (int)value;
	return 0;
}

int k8s_parse_node_priority(const char *body, size_t len, int *priority, char *err,
			    size_t err_len)
{
	json_t *root = load(body, len, K8S_MAX_OBJECT_BYTES, "node", err, err_len);
	const char *kind = NULL;
	int found = 0, rc;

	if (root == NULL)
		return len > K8S_MAX_OBJECT_BYTES ? -EMSGSIZE : -EBADMSG;
	rc = jr_need_object(root, "node", err, err_len);
	if (rc == 0)
		rc = jr_opt_string(root, "kind", "node.", &kind, err, err_len);
	if (rc == 0 && kind != NULL && strcmp(kind, "Node") != 0)
		rc = jr_fail(err, err_len, -EBADMSG, "node.kind: expected Node, got \"%.32s\"",
			     kind);
	if (rc == 0)
		rc = node_priority(root, "node", &found, err, err_len);
	if (rc == 0)
		*priority = found;
	json_decref(root);
	return rc;
}

int k8s_parse_node_event(const char *line, size_t len, struct k8s_node_event *ev, char *err,
			 size_t err_len)
{
	json_t *root = load(line, len, K8S_MAX_EVENT_BYTES, "watch event", err, err_len);
	const json_t *object = NULL, *meta = NULL;
	struct k8s_node_event found;
	int rc;

	if (root == NULL)
		return len > K8S_MAX_EVENT_BYTES ? -EMSGSIZE : -EBADMSG;
	memset(&found, 0, sizeof(found));
	rc = envelope(root, "Node", &found.type, &object, err, err_len);
	if (rc == 0 && found.type == K8S_EVENT_ERROR)
		rc = status_into(object, "event.object", &found.status, err, err_len);
	else if (rc == 0 && found.type == K8S_EVENT_BOOKMARK)
		rc = bookmark_rv(object, found.resource_version, err, err_len);
	else if (rc == 0) {
		rc = jr_opt_object(object, "metadata", "event.object.", &meta, err, err_len);
		if (rc == 0 && meta != NULL)
			rc = copy_string(meta, "resourceVersion", "event.object.metadata.",
					 found.resource_version, K8S_RV_LEN, err, err_len);
		if (rc == 0 && found.type != K8S_EVENT_DELETED)
			rc = node_priority(object, "event.object", &found.priority, err, err_len);
	}
	if (rc == 0)
		*ev = found;
	json_decref(root);
	return rc;
}

int k8s_parse_status(const char *body, size_t len, struct k8s_status *out, char *err,
		     size_t err_len)
{
	json_t *root = load(body, len, K8S_MAX_OBJECT_BYTES, "status", err, err_len);
	const char *kind = NULL;
	struct k8s_status found;
	int rc;

	if (root == NULL)
		return len > K8S_MAX_OBJECT_BYTES ? -EMSGSIZE : -EBADMSG;
	rc = jr_need_object(root, "status", err, err_len);
	if (rc == 0)
		rc = jr_opt_string(root, "kind", "status.", &kind, err, err_len);
	if (rc == 0 && (kind == NULL || strcmp(kind, "Status") != 0))
		rc = jr_fail(err, err_len, -EBADMSG, "status.kind: expected Status, got %s%.32s%s",
			     kind != NULL ? "\"" : "", kind != NULL ? kind : "nothing",
			     kind != NULL ? "\"" : "");
	if (rc == 0)
		rc = status_into(root, "status", &found, err, err_len);
	if (rc == 0)
		*out = found;
	json_decref(root);
	return rc;
}
