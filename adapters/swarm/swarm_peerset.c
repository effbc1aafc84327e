/* swarm_peerset.c — the managers' peer-set document and its request (see swarm_peerset.h). */
#include "swarm_peerset.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_addr(const void *a, const void *b)
{
	return ip_addr_cmp(a, b);
}

/* FNV-1a over the sorted addresses' bytes: equal sets, equal versions, on every manager. */
static void peerset_version(struct swarm_peerset *set)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < set->n; i++) {
		size_t n = ip_addr_len(&set->peers[i]);
		h ^= (uint64_t)set->peers[i].family;
		h *= 0x100000001b3ull;
		for (size_t b = 0; b < n; b++) {
			h ^= set->peers[i].bytes[b];
			h *= 0x100000001b3ull;
		}
	}
	snprintf(set->version, sizeof(set->version), "%016llx", (unsigned long long)h);
}

void swarm_peerset_from(struct swarm_peerset *set, const struct ip_addr *peers, size_t n)
{
	size_t kept = 0;
	struct ip_addr sorted[ADAPTER_MAX_PEERS];

	if (n > ADAPTER_MAX_PEERS)
		n = ADAPTER_MAX_PEERS;
	memcpy(sorted, peers, n * sizeof(*peers));
	qsort(sorted, n, sizeof(sorted[0]), cmp_addr);
	for (size_t i = 0; i < n; i++)
		if (kept == 0 || !ip_addr_equal(&sorted[i], &set->peers[kept - 1]))
			set->peers[kept++] = sorted[i];
	set->n = kept;
	peerset_version(set);
}

int swarm_peerset_render(const struct swarm_peerset *set, char *buf, size_t len)
{
	char text[IP_ADDR_STRLEN];
	size_t used = 0;
	int n = snprintf(buf, len, "{\"version\":\"%s\",\"peers\":[", set->version);

	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	used = (size_t)n;
	for (size_t i = 0; i < set->n; i++) {
		n = snprintf(buf + used, len - used, "%s\"%s\"", i ? "," : "",
			     ip_addr_str(&set->peers[i], text));
		if (n < 0 || (size_t)n >= len - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	n = snprintf(buf + used, len - used, "]}\n");
	if (n < 0 || (size_t)n >= len - used)
		return -ENOSPC;
	return (int)(used + (size_t)n);
}

static bool is_version(const char *v)
{
	size_t n = strlen(v);
	return n > 0 && n < SWARM_PEERSET_VERSION_LEN && strspn(v, "0123456789abcdef") == n;
}

int swarm_peerset_parse(const char *body, size_t len, struct swarm_peerset *set, char *err,
			size_t err_len)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	struct swarm_peerset out = { .n = 0 };
	const char *version = NULL;
	json_t *peers = NULL, *p;
	size_t i;
	int rc = -EBADMSG;

	if (root == NULL) {
		snprintf(err, err_len, "not JSON: %s (line %d)", jerr.text, jerr.line);
		return -EBADMSG;
	}
	if (json_unpack(root, "{s:s, s:o}", "version", &version, "peers", &peers) != 0 ||
	    !json_is_array(peers)) {
		snprintf(err, err_len, "want {\"version\": text, \"peers\": [addresses]}");
		goto out;
	}
	if (!is_version(version)) {
		snprintf(err, err_len, "version \"%.32s\" is not a hex word", version);
		goto out;
	}
	if (json_array_size(peers) > ADAPTER_MAX_PEERS) {
		snprintf(err, err_len, "%zu peers, more than %d", json_array_size(peers),
			 ADAPTER_MAX_PEERS);
		goto out;
	}
	json_array_foreach(peers, i, p) {
		if (!json_is_string(p) || ip_addr_parse(json_string_value(p), &out.peers[out.n]) < 0) {
			snprintf(err, err_len, "peers[%zu] is not an IP address", i);
			goto out;
		}
		out.n++;
	}
	snprintf(out.version, sizeof(out.version), "%s", version);
	*set = out;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

/* The value of query parameter name in q (up to its '&'), copied into out; false if absent. */
static bool query_value(const char *q, size_t qlen, const char *name, char *out, size_t out_len)
{
	size_t nlen = strlen(name);
	const char *p = q, *end = q + qlen;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp != NULL ? amp : end;
		if ((size_t)(stop - p) > nlen && memcmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t vlen = (size_t)(stop - p) - nlen - 1;
			if (vlen >= out_len)
				vlen = out_len - 1;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return true;
		}
		p = stop + 1;
	}
	return false;
}

int swarm_peerset_parse_request(const char *head, size_t len, struct swarm_peerset_request *req)
{
	const char *eol = memchr(head, '\n', len);
	const char *sp1, *sp2, *q;
	char value[32];

	memset(req, 0, sizeof(*req));
	if (eol == NULL)
		return 400;
	sp1 = memchr(head, ' ', (size_t)(eol - head));
	if (sp1 == NULL)
		return 400;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (sp2 == NULL || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return 400;
	if ((size_t)(sp1 - head) != 3 || memcmp(head, "GET", 3) != 0)
		return 405;
	q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	size_t plen = (size_t)((q != NULL ? q : sp2) - (sp1 + 1));
	if (plen != strlen(SWARM_PEERSET_PATH) || memcmp(sp1 + 1, SWARM_PEERSET_PATH, plen) != 0)
		return 404;
	if (q == NULL)
		return 200;
	size_t qlen = (size_t)(sp2 - q - 1);
	if (query_value(q + 1, qlen, "wait", value, sizeof(value))) {
		char *end = NULL;
		unsigned long w = strtoul(value, &end, 10);
		if (value[0] < '0' || value[0] > '9' || *end != '\0')
			return 400;
		req->wait_s = w > SWARM_PEERSET_MAX_WAIT_S ? SWARM_PEERSET_MAX_WAIT_S : (unsigned)w;
	}
	if (query_value(q + 1, qlen, "version", value, sizeof(value))) {
		if (value[0] != '\0' && !is_version(value))
			return 400;
		snprintf(req->version, sizeof(req->version), "%s", value);
	}
	return 200;
}
