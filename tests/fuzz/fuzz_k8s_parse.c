/* fuzz_k8s_parse.c — libFuzzer target for the Kubernetes parser
 * (adapters/kubernetes/k8s_parse.c): every answer it reads comes from the network.
 *
 * The first byte picks the entry point (fuzz_entry.h), the rest is read: as a pod list page (into a pod set
 * with IPv4 and with IPv6 filters), as a watch stream split into lines at an input-chosen
 * chunk size (each line a pod event applied to the set, and a node event), as a Node (the
 * priority annotation), as a Status, as our own pod (and its default selector), as a
 * selector and as the namespace file. None may crash, leak, or read out of bounds, and each
 * must keep its contract: an error leaves a message; a success leaves a pod set within its
 * bounds whose discovery has peers of the filter's family and never our own address; a node
 * priority is 0 or 1..254. Any violation aborts. */
#include "fuzz_entry.h"
#include "k8s_parse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_k8s_parse: %s\n", what);
	abort();
}

/* An error must say why. */
static void check_said(int rc, const char *err, const char *what)
{
	if (rc < 0 && err[0] == '\0') {
		fprintf(stderr, "fuzz_k8s_parse: %s: ", what);
		fail("an error without a message");
	}
}

static void check_set(const struct k8s_pod_set *set, const struct k8s_filter *filter)
{
	static struct adapter_discovery d;
	if (set->n_members > K8S_MAX_MEMBERS)
		fail("pod set out of bounds");
	if (memchr(set->resource_version, '\0', sizeof(set->resource_version)) == NULL)
		fail("a resourceVersion without its NUL");
	for (size_t i = 0; i < set->n_members; i++) {
		if (set->members[i].addr.family != filter->family)
			fail("a member without an address of the VIP's family");
		for (size_t j = 0; j < i; j++)
			if (strcmp(set->members[i].name, set->members[j].name) == 0)
				fail("a pod twice in the set");
	}
	memset(&d, 0, sizeof(d));
	k8s_pod_set_discovery(set, "keepvip-8qcr6", &d);
	for (size_t i = 0; i < d.n_peers; i++) {
		if (d.peers[i].family != filter->family)
			fail("a peer of another family");
		if (d.has_self && ip_addr_equal(&d.peers[i], &d.self))
			fail("our own address among the peers");
	}
}

struct stream {
	const struct k8s_filter *filter;
	struct k8s_pod_set *set;
};

static int on_line(void *arg, const char *line, size_t len)
{
	struct stream *s = arg;
	struct k8s_pod_event ev;
	struct k8s_node_event nev;
	char err[256] = "";
	int rc = k8s_parse_pod_event(line, len, s->filter, &ev, err, sizeof(err));
	check_said(rc, err, "pod event");
	if (rc == 0) {
		err[0] = '\0';
		rc = k8s_pod_set_apply(s->set, &ev, err, sizeof(err));
		check_said(rc, err, "apply");
		check_set(s->set, s->filter);
	}
	err[0] = '\0';
	rc = k8s_parse_node_event(line, len, &nev, err, sizeof(err));
	check_said(rc, err, "node event");
	if (rc == 0 && (nev.priority < 0 || nev.priority > 254))
		fail("node event priority out of range");
	return 0; /* keep going: the rest of the stream is fuzzed too */
}

static void fuzz_list(const char *body, size_t size, const struct k8s_filter *filter,
		      struct k8s_pod_set *set)
{
	struct k8s_list_page page;
	char err[256] = "";
	int rc;
	k8s_pod_set_clear(set);
	rc = k8s_parse_pod_list(body, size, filter, set, &page, err, sizeof(err));
	check_said(rc, err, "pod list");
	if (rc == 0)
		check_set(set, filter);
}

static void fuzz_stream(const char *body, size_t size, const struct k8s_filter *filter,
			struct k8s_pod_set *set)
{
	struct k8s_line_buffer lb;
	struct stream s = { filter, set };
	size_t chunk = size > 0 ? (size_t)(unsigned char)body[0] % 97 + 1 : 1;
	char err[256] = "";
	int rc = 0;

	k8s_lines_init(&lb, 4096);
	for (size_t at = 0; at < size && rc == 0; at += chunk) {
		size_t n = size - at < chunk ? size - at : chunk;
		err[0] = '\0';
		rc = k8s_lines_feed(&lb, body + at, n, on_line, &s, err, sizeof(err));
		check_said(rc, err, "line framing");
		if (rc == 0 && lb.len > lb.max)
			fail("line buffer beyond its bound");
	}
	err[0] = '\0';
	rc = k8s_lines_finish(&lb, err, sizeof(err));
	check_said(rc, err, "stream end");
	k8s_lines_free(&lb);
}

static void fuzz_objects(const char *body, size_t size)
{
	static struct k8s_own_pod own;
	static struct k8s_selector sel;
	char err[256] = "", text[K8S_SELECTOR_LEN + 8], ns[K8S_NAMESPACE_LEN];
	struct k8s_status st;
	int prio = -1, rc;

	rc = k8s_parse_node_priority(body, size, &prio, err, sizeof(err));
	check_said(rc, err, "node");
	if (rc == 0 && (prio < 0 || prio > 254))
		fail("node priority out of range");
	err[0] = '\0';
	rc = k8s_parse_status(body, size, &st, err, sizeof(err));
	check_said(rc, err, "status");
	err[0] = '\0';
	rc = k8s_parse_own_pod(body, size, AF_INET, &own, err, sizeof(err));
	check_said(rc, err, "own pod");
	if (rc == 0) {
		err[0] = '\0';
		rc = k8s_default_selector(&own, text, sizeof(text), err, sizeof(err));
		check_said(rc, err, "default selector");
		/* what we build, the API server (and our own parser) must take */
		if (rc == 0 && k8s_selector_parse(text, &sel, err, sizeof(err)) != 0)
			fail("the default selector does not parse back");
	}
	if (size < sizeof(text)) {
		memcpy(text, body, size);
		text[size] = '\0';
		err[0] = '\0';
		rc = k8s_selector_parse(text, &sel, err, sizeof(err));
		check_said(rc, err, "selector");
		if (rc == 0 && sel.n_reqs > K8S_MAX_REQUIREMENTS)
			fail("selector out of bounds");
	}
	err[0] = '\0';
	rc = k8s_parse_namespace(body, size, ns, err, sizeof(err));
	check_said(rc, err, "namespace");
}

/* The selector the adapter is given, once, for both address families. */
static void filters(struct k8s_filter *f4, struct k8s_filter *f6)
{
	static struct k8s_filter v4, v6;
	static int ready;
	char err[256];

	if (!ready) {
		if (k8s_selector_parse("app.kubernetes.io/name=keepvip", &v4.selector, err,
				       sizeof(err)) != 0)
			fail("the fixed selector does not parse");
		v6 = v4;
		v4.family = AF_INET;
		v6.family = AF_INET6;
		ready = 1;
	}
	*f4 = v4;
	*f6 = v6;
}

static struct k8s_pod_set set;

static void list_v4(const char *body, size_t size)
{
	struct k8s_filter f4, f6;
	filters(&f4, &f6);
	fuzz_list(body, size, &f4, &set);
}

static void list_v6(const char *body, size_t size)
{
	struct k8s_filter f4, f6;
	filters(&f4, &f6);
	fuzz_list(body, size, &f6, &set);
}

/* From an empty set, as after a list that found no pod: nothing of an earlier input (a list
 * of the other family) may carry over. */
static void watch_stream(const char *body, size_t size)
{
	struct k8s_filter f4, f6;
	filters(&f4, &f6);
	k8s_pod_set_clear(&set);
	fuzz_stream(body, size, &f4, &set);
}

static const fuzz_entry entries[] = { list_v4, list_v6, watch_stream, fuzz_objects };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_pick_entry(entries, sizeof(entries) / sizeof(entries[0]), data, size);
}
