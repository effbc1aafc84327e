/* test_k8s_parse.c — Kubernetes API answers into a pod set and peers, from the shared fixtures
 * (../shared/fixtures/kubernetes: three pods, a watch, a 410) and the ones kept with the tests
 * (tests/adapters/fixtures/kubernetes: pages, dual stack, evicted and pending pods, a 410
 * inside a stream, node annotations), and from variants of them: wrong types, truncated
 * answers, oversized ones, selectors, the API URL and the namespace file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "k8s_parse.h"
#include "fixture_file.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef KEEPVIP_SHARED_DIR
#error "KEEPVIP_SHARED_DIR must name the shared/ directory"
#endif
#ifndef K8S_FIXTURES
#error "K8S_FIXTURES must name tests/adapters/fixtures/kubernetes"
#endif

#define SELF "keepvip-8qcr6" /* node-a's pod, 10.42.0.11 (pod-env.json) */

/* ---- helpers ---------------------------------------------------------------------------- */

static char *shared(const char *name)
{
	return fixture_read(KEEPVIP_SHARED_DIR "/fixtures/kubernetes", name, NULL);
}

static char *ours(const char *name)
{
	return fixture_read(K8S_FIXTURES, name, NULL);
}

static char *dump(json_t *j)
{
	return fixture_dump(j, JSON_COMPACT);
}

static struct k8s_filter *new_filter(const char *selector, sa_family_t family)
{
	struct k8s_filter *f = calloc(1, sizeof(*f));
	char err[256];
	assert_non_null(f);
	assert_int_equal(k8s_selector_parse(selector, &f->selector, err, sizeof(err)), 0);
	f->family = family;
	return f;
}

static struct k8s_pod_set *new_set(void)
{
	struct k8s_pod_set *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	return s;
}

static int parse_list(const char *text, const struct k8s_filter *f, struct k8s_pod_set *s,
		      struct k8s_list_page *page, char *err)
{
	return k8s_parse_pod_list(text, strlen(text), f, s, page, err, 256);
}

/* The discovery of set seen from SELF: self and peers as text, compared exactly. */
static void assert_discovery(const struct k8s_pod_set *s, const char *self,
			     const char *const *peers, size_t n)
{
	struct adapter_discovery *d = calloc(1, sizeof(*d));
	char text[IP_ADDR_STRLEN];
	assert_non_null(d);
	k8s_pod_set_discovery(s, SELF, d);
	if (self == NULL) {
		assert_false(d->has_self);
	} else {
		assert_true(d->has_self);
		assert_string_equal(ip_addr_str(&d->self, text), self);
	}
	assert_int_equal(d->n_peers, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(ip_addr_str(&d->peers[i], text), peers[i]);
	free(d);
}

/* The members' names, sorted and comma-joined. */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void assert_members(const struct k8s_pod_set *s, const char *want)
{
	const char *names[K8S_MAX_MEMBERS];
	char got[2048] = "";
	for (size_t i = 0; i < s->n_members; i++)
		names[i] = s->members[i].name;
	qsort(names, s->n_members, sizeof(names[0]), name_cmp);
	for (size_t i = 0; i < s->n_members; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "," : "",
			 names[i]);
	assert_string_equal(got, want);
}

/* ---- lists ------------------------------------------------------------------------------ */

static void test_list_shared_fixture(void **state)
{
	(void)state;
	char *text = shared("pods-list.json"), err[256];
	struct k8s_filter *f = new_filter("app.kubernetes.io/name=keepvip", AF_INET);
	struct k8s_pod_set *s = new_set();
	struct k8s_list_page page;
	static const char *const peers[] = { "10.42.0.12" };

	assert_int_equal(parse_list(text, f, s, &page, err), 0);
	assert_string_equal(page.resource_version, "48213");
	assert_string_equal(page.continue_token, "");
	assert_string_equal(s->resource_version, "48213");
	/* node-c's pod is terminating (deletionTimestamp): not a peer, although still Running */
	assert_members(s, "keepvip-8qcr6,keepvip-lm5b2");
	assert_discovery(s, "10.42.0.11", peers, 1);
	free(text);
	free(f);
	free(s);
}

static void test_list_paginated(void **state)
{
	(void)state;
	char *p1 = ours("pods-list-page1.json"), *p2 = ours("pods-list-page2.json"), err[256];
	struct k8s_filter *f = new_filter("app.kubernetes.io/name=keepvip", AF_INET);
	struct k8s_pod_set *s = new_set();
	struct k8s_list_page page;
	static const char *const peers[] = { "10.42.0.12", "10.42.0.14" };

	k8s_pod_set_clear(s);
	assert_int_equal(parse_list(p1, f, s, &page, err), 0);
	assert_string_equal(page.continue_token, "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDgyMTMsInN0"
						 "YXJ0Ijoia2VlcHZpcC1sbTViMlx1MDAwMCJ9");
	assert_members(s, "keepvip-8qcr6,keepvip-lm5b2");
	assert_int_equal(parse_list(p2, f, s, &page, err), 0);
	assert_string_equal(page.continue_token, "");
	assert_string_equal(page.resource_version, "48213");
	assert_members(s, "keepvip-8qcr6,keepvip-lm5b2,keepvip-x7k2p");
	assert_discovery(s, "10.42.0.11", peers, 2);
	free(p1);
	free(p2);
	free(f);
	free(s);
}

static void test_list_dual_stack(void **state)
{
	(void)state;
	char *text = ours("pods-list-dual-stack.json"), err[256];
	struct k8s_filter *f6 = new_filter("app.kubernetes.io/name=keepvip", AF_INET6);
	struct k8s_filter *f4 = new_filter("app.kubernetes.io/name=keepvip", AF_INET);
	struct k8s_pod_set *s = new_set();
	struct k8s_list_page page;
	/* IPv6 VIP: node-b lists IPv6 first, node-c has only podIP; node-d is IPv4 only */
	static const char *const peers6[] = { "fd00:42::12", "fd00:42::13" };
	static const char *const peers4[] = { "10.42.0.12", "10.42.0.14" };

	assert_int_equal(parse_list(text, f6, s, &page, err), 0);
	assert_members(s, "keepvip-8qcr6,keepvip-c759w,keepvip-lm5b2");
	assert_discovery(s, "fd00:42::11", peers6, 2);

	k8s_pod_set_clear(s);
	assert_int_equal(parse_list(text, f4, s, &page, err), 0);
	assert_members(s, "keepvip-8qcr6,keepvip-lm5b2,keepvip-x7k2p");
	assert_discovery(s, "10.42.0.11", peers4, 2);
	free(text);
	free(f6);
	free(f4);
	free(s);
}

static void test_list_evicted_pending(void **state)
{
	(void)state;
	char *text = ours("pods-list-evicted-pending.json"), err[256];
	struct k8s_filter *f = new_filter("app.kubernetes.io/name=keepvip", AF_INET);
	struct k8s_pod_set *s = new_set();
	struct k8s_list_page page;
	/* evicted (Failed) and Succeeded: out; Pending without IP: out; Pending with its IP and
	 * Unknown with an IP: in (readiness and phase Running do not decide); another app: out */
	static const char *const peers[] = { "10.42.0.12", "10.42.0.13", "10.42.0.15" };

	assert_int_equal(parse_list(text, f, s, &page, err), 0);
	assert_string_equal(page.resource_version, "60417");
	assert_members(s, "keepvip-8qcr6,keepvip-lm5b2,keepvip-q9w4z,keepvip-unk9n");
	assert_discovery(s, "10.42.0.11", peers, 3);

	/* with an empty selector the other app's pod on node-a shares our address: no peer */
	struct k8s_filter *all = new_filter("", AF_INET);
	k8s_pod_set_clear(s);
	assert_int_equal(parse_list(text, all, s, &page, err), 0);
	assert_non_null(k8s_pod_set_find(s, "ingress-nginx-4hx8d"));
	assert_discovery(s, "10.42.0.11", peers, 3);
	free(all);
	free(text);
	free(f);
	free(s);
}

static void test_list_wrong_types(void **state)
{
	(void)state;
	char err[256];
	struct k8s_filter *f = new_filter("app.kubernetes.io/name=keepvip", AF_INET);
	struct k8s_pod_set *s = new_set();
	struct k8s_list_page page;
	static const struct {
		const char *path_value; /* applied to items[1] of pods-list.json */
		const char *want;
	} cases[] = {
		{ "status.podIP=167903244", "items[1].status.podIP: expected a string, got integer" },
		{ "status.podIPs=\"10.42.0.12\"", "items[1].status.podIPs: expected a list, got "
						   "string" },
		{ "metadata.labels={\"a\":1}", "items[1].metadata.labels.a: expected a string, got "
					       "integer" },
		{ "metadata.name=null", "items[1].metadata.name: missing" },
		{ "metadata.deletionTimestamp=true", "items[1].metadata.deletionTimestamp: expected "
						     "a string, got boolean" },
		{ "status.phase=[]", "items[1].status.phase: expected a string, got list" },
		{ "status=\"Running\"", "items[1].status: expected an object, got string" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = shared("pods-list.json");
		json_t *root = json_loads(text, 0, NULL);
		json_t *item = json_array_get(json_object_get(root, "items"), 1);
		char path[64];
		const char *eq = strchr(cases[i].path_value, '=');
		json_t *value = json_loads(eq + 1, JSON_DECODE_ANY, NULL);
		assert_non_null(value);
		snprintf(path, sizeof(path), "%.*s", (int)(eq - cases[i].path_value),
			 cases[i].path_value);
		char *dot = strchr(path, '.');
		if (dot != NULL) {
			*dot = '\0';
			json_object_set_new(json_object_get(item, path), dot + 1, value);
		} else {
			json_object_set_new(item, path, value);
		}
		free(text);
		text = dump(root);
		k8s_pod_set_clear(s);
		assert_int_equal(parse_list(text, f, s, &page, err), -EBADMSG);
		assert_string_equal(err, cases[i].want);
		free(text);
	}

	const char *bad_ip = "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[{\"metadata\":"
			     "{\"name\":\"p\"},\"status\":{\"podIPs\":[{\"ip\":\"10.42.0.300\"}]}}]}";
	assert_int_equal(parse_list(bad_ip, f, s, &page, err), -EBADMSG);
	assert_string_equal(err, "items[0].status.podIPs[0].ip: \"10.42.0.300\" is not an IP "
				 "address");
	assert_int_equal(parse_list("[]", f, s, &page, err), -EBADMSG);
	assert_string_equal(err, "pod list: expected an object, got list");
	assert_int_equal(parse_list("{\"kind\":\"Status\",\"metadata\":{}}", f, s, &page, err),
			 -EBADMSG);
	assert_string_equal(err, "kind: expected PodList, got \"Status\"");
	assert_int_equal(parse_list("{\"items\":[]}", f, s, &page, err), -EBADMSG);
	assert_string_equal(err, "metadata: missing");
	assert_int_equal(parse_list("{\"metadata\":{},\"items\":[]}", f, s, &page, err), -EBADMSG);
	assert_string_equal(err, "metadata.resourceVersion: missing");
	assert_int_equal(parse_list("{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":{}}", f, s,
				    &page, err), -EBADMSG);
	assert_string_equal(err, "items: expected a list, got object");
	free(f);
	free(s);
}

static void test_list_truncated_and_bounds(void **state)
{
	(void)state;
	char *text = shared("pods-list.json"), err[256];
	struct k8s_filter *f = new_filter("app.kubernetes.io/name=keepvip", AF_INET);
	struct k8s_pod_set *s = new_set();
	struct k8s_list_page page;

	assert_int_equal(k8s_parse_pod_list(text, strlen(text) / 2, f, s, &page, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "pod list: invalid JSON at line"));
	assert_int_equal(k8s_parse_pod_list(text, 0, f, s, &page, err, sizeof(err)), -EBADMSG);
	/* the size is checked before anything is read: the pointer is never dereferenced */
	assert_int_equal(k8s_parse_pod_list(text, K8S_MAX_LIST_BYTES + 1, f, s, &page, err,
					    sizeof(err)), -EMSGSIZE);
	assert_non_null(strstr(err, "more than the"));
	free(text);

	/* more member pods than a discovery holds */
	json_t *items = json_array();
	char name[32], ip[32];
	for (int i = 0; i < K8S_MAX_MEMBERS + 1; i++) {
		snprintf(name, sizeof(name), "keepvip-%d", i);
		snprintf(ip, sizeof(ip), "10.43.%d.%d", i / 250, i % 250 + 1);
		json_array_append_new(items, json_pack("{s:{s:s,s:{s:s}},s:{s:s}}", "metadata",
						       "name", name, "labels",
						       "app.kubernetes.io/name", "keepvip", "status",
						       "podIP", ip));
	}
	text = dump(json_pack("{s:{s:s},s:o}", "metadata", "resourceVersion", "9", "items",
			      items));
	k8s_pod_set_clear(s);
	assert_int_equal(parse_list(text, f, s, &page, err), -E2BIG);
	assert_string_equal(err, "more than 256 peer pods");
	free(text);

	/* a name longer than a DNS subdomain */
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	text = dump(json_pack("{s:{s:s},s:[{s:{s:s}}]}", "metadata", "resourceVersion", "9",
			      "items", "metadata", "name", longname));
	assert_int_equal(parse_list(text, f, s, &page, err), -EBADMSG);
	assert_string_equal(err, "items[0].metadata.name: longer than 253 bytes");
	free(text);
	free(f);
	free(s);
}

/* ---- watch ------------------------------------------------------------------------------ */

struct replay {
	const struct k8s_filter *filter;
	struct k8s_pod_set *set;
	int changes, events, last_rc;
	char err[256];
};

static int replay_line(void *arg, const char *line, size_t len)
{
	struct replay *r = arg;
	struct k8s_pod_event ev;
	int rc = k8s_parse_pod_event(line, len, r->filter, &ev, r->err, sizeof(r->err));
	if (rc == 0)
		rc = k8s_pod_set_apply(r->set, &ev, r->err, sizeof(r->err));
	r->events++;
	r->last_rc = rc;
	if (rc > 0)
		r->changes++;
	return rc < 0 ? rc : 0;
}

/* Feeds text in chunks of chunk bytes (events split across and coalesced into chunks). */
static int feed_chunks(struct replay *r, const char *text, size_t chunk)
{
	struct k8s_line_buffer lb;
	size_t len = strlen(text);
	int rc = 0;
	k8s_lines_init(&lb, 0);
	for (size_t at = 0; at < len && rc == 0; at += chunk) {
		size_t n = len - at < chunk ? len - at : chunk;
		rc = k8s_lines_feed(&lb, text + at, n, replay_line, r, r->err, sizeof(r->err));
	}
	if (rc == 0)
		rc = k8s_lines_finish(&lb, r->err, sizeof(r->err));
	k8s_lines_free(&lb);
	return rc;
}

static void load_shared_list(const struct k8s_filter *f, struct k8s_pod_set *s)
{
	char *text = shared("pods-list.json"), err[256];
	struct k8s_list_page page;
	k8s_pod_set_clear(s);
	assert_int_equal(parse_list(text, f, s, &page, err), 0);
	free(text);
}

static void test_watch_stream(void **state)
{
	(void)state;
	char *stream = shared("pods-watch-stream.jsonl");
	struct k8s_filter *f = new_filter("app.kubernetes.io/name=keepvip", AF_INET);
	static const size_t chunks[] = { 1, 7, 100, 4096, 1 << 20 };
	static const char *const peers[] = { "10.42.0.12", "10.42.0.13" };

	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		struct replay r = { .filter = f, .set = new_set() };
		load_shared_list(f, r.set);
		assert_int_equal(feed_chunks(&r, stream, chunks[i]), 0);
		assert_int_equal(r.events, 7);
		/* the old node-c pod was already out (terminating): only the replacement gaining
		 * its IP (48240) changes the members; Ready (48252) does not */
		assert_int_equal(r.changes, 1);
		assert_string_equal(r.set->resource_version, "48260"); /* the bookmark's */
		assert_members(r.set, "keepvip-5rcxc,keepvip-8qcr6,keepvip-lm5b2");
		assert_discovery(r.set, "10.42.0.11", peers, 2);
		free(r.set);
	}
	free(stream);
	free(f);
}

static void test_watch_event_by_event(void **state)
{
	(void)state;
	char *stream = shared("pods-watch-stream.jsonl"), err[256];
	struct k8s_filter *f = new_filter("app.kubernetes.io/name=keepvip", AF_INET);
	struct k8s_pod_event ev;
	static const struct {
		enum k8s_event_type type;
		const char *rv;
		enum k8s_pod_verdict verdict;
	} want[] = {
		{ K8S_EVENT_MODIFIED, "48230", K8S_TERMINATING },
		{ K8S_EVENT_DELETED, "48231", K8S_TERMINATING },
		{ K8S_EVENT_ADDED, "48236", K8S_NO_ADDRESS },
		{ K8S_EVENT_MODIFIED, "48237", K8S_NO_ADDRESS },
		{ K8S_EVENT_MODIFIED, "48240", K8S_MEMBER }, /* Pending with its IP */
		{ K8S_EVENT_MODIFIED, "48252", K8S_MEMBER },
		{ K8S_EVENT_BOOKMARK, "48260", K8S_MEMBER },
	};
	char *line = stream;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		assert_int_equal(k8s_parse_pod_event(line, (size_t)(nl - line), f, &ev, err,
						     sizeof(err)), 0);
		assert_int_equal(ev.type, want[i].type);
		assert_string_equal(ev.resource_version, want[i].rv);
		if (ev.type != K8S_EVENT_BOOKMARK)
			assert_string_equal(k8s_verdict_name(ev.pod.verdict),
					    k8s_verdict_name(want[i].verdict));
		line = nl + 1;
	}
	free(stream);
	free(f);
}

static void test_watch_expired(void **state)
{
	(void)state;
	struct k8s_filter *f = new_filter("app.kubernetes.io/name=keepvip", AF_INET);
	char *expired = shared("pods-watch-expired.jsonl");
	struct replay r = { .filter = f, .set = new_set() };

	load_shared_list(f, r.set);
	assert_int_equal(feed_chunks(&r, expired, 13), -ESTALE);
	assert_string_equal(r.err, "watch: ERROR 410 Expired: too old resource version: 48213 "
				   "(52977)");
	free(expired);
	free(r.set);

	/* a 410 after a change and a bookmark: those are applied, then the relist is asked for */
	char *mid = ours("pods-watch-expired-midstream.jsonl");
	static const char *const none[] = { NULL };
	r = (struct replay){ .filter = f, .set = new_set() };
	load_shared_list(f, r.set);
	assert_int_equal(feed_chunks(&r, mid, 64), -ESTALE);
	assert_int_equal(r.events, 3);
	assert_int_equal(r.changes, 1); /* node-b's pod terminating: out */
	assert_string_equal(r.set->resource_version, "48390");
	assert_members(r.set, "keepvip-8qcr6");
	assert_discovery(r.set, "10.42.0.11", none, 0);
	free(mid);
	free(r.set);

	/* another ERROR code: re-watch (not relist) */
	const char *e500 = "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":500,"
			   "\"reason\":\"InternalError\",\"message\":\"etcd timeout\"}}";
	struct k8s_pod_event ev;
	char err[256];
	struct k8s_pod_set *s = new_set();
	assert_int_equal(k8s_parse_pod_event(e500, strlen(e500), f, &ev, err, sizeof(err)), 0);
	assert_int_equal(k8s_pod_set_apply(s, &ev, err, sizeof(err)), -EPROTO);
	assert_string_equal(err, "watch: ERROR 500 InternalError: etcd timeout");
	free(s);
	free(f);
}

static void test_watch_selector_change(void **state)
{
	(void)state;
	char err[256];
	struct k8s_filter *f = new_filter("app.kubernetes.io/name=keepvip", AF_INET);
	struct k8s_pod_set *s = new_set();
	struct k8s_pod_event ev;
	load_shared_list(f, s);
	/* node-b's pod relabelled: a MODIFIED that no longer matches takes it out */
	const char *relabelled = "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"Pod\",\"metadata\":"
				 "{\"name\":\"keepvip-lm5b2\",\"resourceVersion\":\"48300\","
				 "\"labels\":{\"app.kubernetes.io/name\":\"debug\"}},"
				 "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.42.0.12\"}}}";
	assert_int_equal(k8s_parse_pod_event(relabelled, strlen(relabelled), f, &ev, err,
					     sizeof(err)), 0);
	assert_int_equal(ev.pod.verdict, K8S_NOT_SELECTED);
	assert_int_equal(k8s_pod_set_apply(s, &ev, err, sizeof(err)), 1);
	assert_members(s, "keepvip-8qcr6");
	/* the same again changes nothing */
	assert_int_equal(k8s_pod_set_apply(s, &ev, err, sizeof(err)), 0);
	assert_string_equal(s->resource_version, "48300");
	free(s);
	free(f);
}

static void test_watch_bad_lines(void **state)
{
	(void)state;
	char err[256];
	struct k8s_filter *f = new_filter("app.kubernetes.io/name=keepvip", AF_INET);
	struct k8s_pod_event ev;
	static const struct {
		const char *line, *want;
	} cases[] = {
		{ "{\"type\":\"ADDED\"}", "event.object: expected an object, got nothing" },
		{ "{\"type\":\"UPSERTED\",\"object\":{}}", "event.type: \"UPSERTED\" is not a watch "
							   "event type" },
		{ "{\"object\":{}}", "event.type: missing" },
		{ "{\"type\":1,\"object\":{}}", "event.type: expected a string, got integer" },
		{ "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Status\",\"code\":410}}",
		  "event.object.kind: expected Pod, got \"Status\"" },
		{ "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Pod\"}}", "event.object.kind: an ERROR "
								       "event carries a Status, not "
								       "a Pod" },
		{ "{\"type\":\"ERROR\",\"object\":{\"code\":\"410\"}}", "event.object.code: expected "
								       "an integer, got string" },
		{ "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{}}}",
		  "event.object.metadata.resourceVersion: missing" },
		{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"p\"},\"status\":"
		  "{\"podIP\":\"node-b\"}}}", "event.object.status.podIP: \"node-b\" is not an IP "
					      "address" },
		{ "[\"ADDED\"]", "event: expected an object, got list" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(k8s_parse_pod_event(cases[i].line, strlen(cases[i].line), f, &ev,
						     err, sizeof(err)), -EBADMSG);
		assert_string_equal(err, cases[i].want);
	}
	/* truncated mid-object */
	const char *cut = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"na";
	assert_int_equal(k8s_parse_pod_event(cut, strlen(cut), f, &ev, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "watch event: invalid JSON"));
	free(f);
}

static int count_line(void *arg, const char *line, size_t len)
{
	(void)line;
	(void)len;
	(*(int *)arg)++;
	return 0;
}

static void test_line_framing(void **state)
{
	(void)state;
	char err[256];
	struct k8s_line_buffer lb;
	int lines = 0;

	k8s_lines_init(&lb, 16);
	assert_int_equal(k8s_lines_feed(&lb, "{}\r\n\n  \n{\"a\"", 13, count_line, &lines, err,
					sizeof(err)), 0);
	assert_int_equal(lines, 1); /* blank lines skipped, the CR dropped */
	assert_int_equal(k8s_lines_feed(&lb, ":1}\n", 4, count_line, &lines, err, sizeof(err)), 0);
	assert_int_equal(lines, 2);
	/* stopped mid-line: a truncated event */
	assert_int_equal(k8s_lines_feed(&lb, "{\"type\"", 7, count_line, &lines, err, sizeof(err)),
			 0);
	assert_int_equal(k8s_lines_finish(&lb, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "watch: the stream ended inside an event");
	assert_int_equal(k8s_lines_finish(&lb, err, sizeof(err)), 0);
	/* a line over the bound, whole or in pieces */
	assert_int_equal(k8s_lines_feed(&lb, "0123456789abcdefg\n", 18, count_line, &lines, err,
					sizeof(err)), -EMSGSIZE);
	assert_string_equal(err, "watch: an event longer than 16 bytes");
	k8s_lines_finish(&lb, err, sizeof(err));
	assert_int_equal(k8s_lines_feed(&lb, "0123456789", 10, count_line, &lines, err,
					sizeof(err)), 0);
	assert_int_equal(k8s_lines_feed(&lb, "abcdefg", 7, count_line, &lines, err, sizeof(err)),
			 -EMSGSIZE);
	assert_int_equal(lines, 2);
	k8s_lines_free(&lb);
	k8s_lines_free(&lb); /* twice: harmless */
}

/* ---- our own pod, selectors --------------------------------------------------------------- */

static void test_own_pod_and_default_selector(void **state)
{
	(void)state;
	char *text = shared("pods-list.json"), err[256], sel[K8S_SELECTOR_LEN], buf[IP_ADDR_STRLEN];
	json_t *root = json_loads(text, 0, NULL);
	json_t *pod = json_incref(json_array_get(json_object_get(root, "items"), 0));
	struct k8s_own_pod *own = calloc(1, sizeof(*own));
	assert_non_null(own);
	json_decref(root);
	free(text);
	/* a few more labels, one from a Deployment's controller */
	json_t *labels = json_object_get(json_object_get(pod, "metadata"), "labels");
	json_object_set_new(labels, "tier", json_string("edge"));
	json_object_set_new(labels, "pod-template-hash", json_string("5f7d9c"));
	text = dump(pod);

	assert_int_equal(k8s_parse_own_pod(text, strlen(text), AF_INET, own, err, sizeof(err)), 0);
	assert_string_equal(own->name, SELF);
	assert_string_equal(ip_addr_str(&own->addr, buf), "10.42.0.11");
	assert_int_equal(own->n_labels, 5);
	assert_int_equal(k8s_default_selector(own, sel, sizeof(sel), err, sizeof(err)), 0);
	assert_string_equal(sel, "app.kubernetes.io/name=keepvip,tier=edge");
	/* the default selector is one the parser takes back */
	struct k8s_selector *parsed = calloc(1, sizeof(*parsed));
	assert_int_equal(k8s_selector_parse(sel, parsed, err, sizeof(err)), 0);
	assert_int_equal(parsed->n_reqs, 2);
	free(parsed);

	/* IPv6 asked, the pod has none: no address, not an error */
	assert_int_equal(k8s_parse_own_pod(text, strlen(text), AF_INET6, own, err, sizeof(err)), 0);
	assert_int_equal(own->addr.family, 0);
	free(text);

	/* only the controller's labels: the operator must say */
	const char *bare = "{\"metadata\":{\"name\":\"keepvip-x\",\"labels\":"
			   "{\"controller-revision-hash\":\"1\",\"pod-template-generation\":\"2\"}}}";
	assert_int_equal(k8s_parse_own_pod(bare, strlen(bare), AF_INET, own, err, sizeof(err)), 0);
	assert_int_equal(k8s_default_selector(own, sel, sizeof(sel), err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "pod keepvip-x: no label but the controller's to select the peers "
				 "by: set KEEPVIP_K8S_SELECTOR");
	assert_int_equal(k8s_default_selector(own, sel, 8, err, sizeof(err)), -ENOENT);
	const char *bad = "{\"metadata\":{\"name\":\"keepvip-x\",\"labels\":{\"-x\":\"1\"}}}";
	assert_int_equal(k8s_parse_own_pod(bad, strlen(bad), AF_INET, own, err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(err, "pod.metadata.labels: \"-x\" is not a label key");
	free(own);
}

static bool selects(const char *selector, const char *labels_json)
{
	struct k8s_filter *f = new_filter(selector, AF_INET);
	struct k8s_pod_event ev;
	char line[512], err[256];
	snprintf(line, sizeof(line), "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"p\","
		 "\"labels\":%s},\"status\":{\"podIP\":\"10.42.0.12\"}}}", labels_json);
	assert_int_equal(k8s_parse_pod_event(line, strlen(line), f, &ev, err, sizeof(err)), 0);
	free(f);
	return ev.pod.verdict == K8S_MEMBER;
}

static void test_selectors(void **state)
{
	(void)state;
	const char *l = "{\"app\":\"keepvip\",\"tier\":\"edge\"}";
	assert_true(selects("app=keepvip", l));
	assert_true(selects("app==keepvip, tier", l));
	assert_true(selects(" app in (x, keepvip) ,tier notin (core)", l));
	assert_true(selects("!zone,app!=other", l));
	assert_true(selects("", l));
	assert_false(selects("app=other", l));
	assert_false(selects("app=keepvip,zone", l));
	assert_false(selects("!tier", l));
	assert_false(selects("tier notin (edge,core)", l));
	assert_false(selects("app in (a,b)", l));
	assert_false(selects("app", "null"));
	assert_true(selects("zone!=a", "{}"));

	struct k8s_selector *s = calloc(1, sizeof(*s));
	char err[256];
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "app=", NULL }, /* an empty value is a value */
		{ "app=a b", "selector: \"a b\" is not a label value" },
		{ "=x", "selector: \"\" is not a label key" },
		{ "app in a,b", "selector: app: expected '(' after in/notin" },
		{ "app in (a,b", "selector: app: unclosed value set" },
		{ "app,", "selector: unexpected \",\"" },
		{ "app > 3", "selector: app: expected =, ==, !=, in, notin or ',' at \"> 3\"" },
		{ "Example.com/app=x", "selector: \"Example.com/app\" is not a label key" },
		{ "!app=x", "selector: unexpected \"=x\"" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = k8s_selector_parse(bad[i].text, s, err, sizeof(err));
		if (bad[i].want == NULL) {
			assert_int_equal(rc, 0);
			continue;
		}
		assert_int_equal(rc, -EINVAL);
		assert_string_equal(err, bad[i].want);
	}
	free(s);
}

/* ---- node, status ------------------------------------------------------------------------ */

static void test_node_priority(void **state)
{
	(void)state;
	char err[256];
	int prio = -1;
	char *a = ours("node-a-priority.json"), *b = ours("node-b-plain.json");
	char *c = ours("node-c-bad-priority.json");

	assert_int_equal(k8s_parse_node_priority(a, strlen(a), &prio, err, sizeof(err)), 0);
	assert_int_equal(prio, 200);
	assert_int_equal(k8s_parse_node_priority(b, strlen(b), &prio, err, sizeof(err)), 0);
	assert_int_equal(prio, 0);
	prio = 7;
	assert_int_equal(k8s_parse_node_priority(c, strlen(c), &prio, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "node node-c: annotation keepvip.io/priority: \"high\" is not a "
				 "priority between 1 and 254");
	assert_int_equal(prio, 7); /* untouched on error */

	static const char *const wrong[] = { "0", "255", "-1", "+5", " 5", "1e2", "", "0100" };
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		char *text = dump(json_pack("{s:s,s:{s:s,s:{s:s}}}", "kind", "Node", "metadata",
					    "name", "node-a", "annotations", K8S_PRIORITY_ANNOTATION,
					    wrong[i]));
		assert_int_equal(k8s_parse_node_priority(text, strlen(text), &prio, err,
							 sizeof(err)), -EBADMSG);
		assert_non_null(strstr(err, "is not a priority between 1 and 254"));
		free(text);
	}
	const char *typed = "{\"kind\":\"Node\",\"metadata\":{\"annotations\":"
			    "{\"keepvip.io/priority\":150}}}";
	assert_int_equal(k8s_parse_node_priority(typed, strlen(typed), &prio, err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(err, "node.metadata.annotations.keepvip.io/priority: expected a "
				 "string, got integer");
	char *pods = shared("pods-list.json");
	assert_int_equal(k8s_parse_node_priority(pods, strlen(pods), &prio, err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(err, "node.kind: expected Node, got \"PodList\"");
	assert_int_equal(k8s_parse_node_priority(a, strlen(a) - 5, &prio, err, sizeof(err)),
			 -EBADMSG);
	free(pods);
	free(a);
	free(b);
	free(c);
}

static void test_node_watch(void **state)
{
	(void)state;
	char *stream = ours("node-watch-stream.jsonl"), err[256];
	struct k8s_node_event ev;
	static const struct {
		int rc;
		enum k8s_event_type type;
		int priority;
		const char *rv;
	} want[] = {
		{ 0, K8S_EVENT_ADDED, 200, "47001" },   { 0, K8S_EVENT_MODIFIED, 150, "47100" },
		{ 0, K8S_EVENT_BOOKMARK, 0, "47150" },  { 0, K8S_EVENT_MODIFIED, 0, "47180" },
		{ -EBADMSG, 0, 0, NULL },               { 0, K8S_EVENT_ERROR, 0, "" },
	};
	char *line = stream;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		int rc = k8s_parse_node_event(line, (size_t)(nl - line), &ev, err, sizeof(err));
		assert_int_equal(rc, want[i].rc);
		if (rc == 0) {
			assert_int_equal(ev.type, want[i].type);
			assert_int_equal(ev.priority, want[i].priority);
			assert_string_equal(ev.resource_version, want[i].rv);
		} else {
			assert_string_equal(err, "node node-a: annotation keepvip.io/priority: "
						 "\"255\" is not a priority between 1 and 254");
		}
		line = nl + 1;
	}
	assert_int_equal(ev.status.code, 410);
	assert_string_equal(ev.status.reason, "Expired");
	free(stream);
}

static void test_status_bodies(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		int code;
		const char *reason;
	} cases[] = {
		{ "status-401.json", 401, "Unauthorized" },
		{ "status-403.json", 403, "Forbidden" },
		{ "status-410.json", 410, "Expired" },
	};
	char err[256];
	struct k8s_status st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *text = shared(cases[i].file);
		assert_int_equal(k8s_parse_status(text, strlen(text), &st, err, sizeof(err)), 0);
		assert_int_equal(st.code, cases[i].code);
		assert_string_equal(st.reason, cases[i].reason);
		free(text);
	}
	assert_non_null(strstr(st.message, "too old resource version"));
	char *text = shared("status-403.json");
	assert_int_equal(k8s_parse_status(text, strlen(text), &st, err, sizeof(err)), 0);
	assert_string_equal(st.message, "pods is forbidden: User \"system:serviceaccount:keepvip-"
					"system:keepvip\" cannot list resource \"pods\" in API "
					"group \"\" in the namespace \"keepvip-system\"");
	free(text);
	text = shared("pods-list.json");
	assert_int_equal(k8s_parse_status(text, strlen(text), &st, err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "status.kind: expected Status, got \"PodList\"");
	free(text);
	assert_int_equal(k8s_parse_status("<html>", 6, &st, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "status: invalid JSON"));
}

/* ---- in-cluster access -------------------------------------------------------------------- */

static void test_api_url(void **state)
{
	(void)state;
	char url[128], err[256];
	assert_int_equal(k8s_api_url("10.96.0.1", "443", url, sizeof(url), err, sizeof(err)), 0);
	assert_string_equal(url, "https://10.96.0.1:443");
	assert_int_equal(k8s_api_url("fd00:10:96::1", "6443", url, sizeof(url), err, sizeof(err)),
			 0);
	assert_string_equal(url, "https://[fd00:10:96::1]:6443");
	assert_int_equal(k8s_api_url("[fd00::1]", NULL, url, sizeof(url), err, sizeof(err)), 0);
	assert_string_equal(url, "https://[fd00::1]:443");
	assert_int_equal(k8s_api_url("kubernetes.default.svc", "", url, sizeof(url), err,
				     sizeof(err)), 0);
	assert_string_equal(url, "https://kubernetes.default.svc:443");

	assert_int_equal(k8s_api_url("", "443", url, sizeof(url), err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "KUBERNETES_SERVICE_HOST: empty");
	assert_int_equal(k8s_api_url("10.96.0.1/x", "443", url, sizeof(url), err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(k8s_api_url("10.96.0.1", "70000", url, sizeof(url), err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "KUBERNETES_SERVICE_PORT: \"70000\" is not a port between 1 and "
				 "65535");
	assert_int_equal(k8s_api_url("10.96.0.1", "-1", url, sizeof(url), err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(k8s_api_url("10.96.0.1", "443", url, 12, err, sizeof(err)),
			 -ENAMETOOLONG);
}

static void test_namespace_file(void **state)
{
	(void)state;
	char ns[K8S_NAMESPACE_LEN], err[256];
	char *text = shared("serviceaccount/namespace");
	assert_int_equal(k8s_parse_namespace(text, strlen(text), ns, err, sizeof(err)), 0);
	assert_string_equal(ns, "keepvip-system");
	free(text);
	assert_int_equal(k8s_parse_namespace("keepvip-system\n", 15, ns, err, sizeof(err)), 0);
	assert_string_equal(ns, "keepvip-system");
	assert_int_equal(k8s_parse_namespace("\n", 1, ns, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "namespace: empty");
	assert_int_equal(k8s_parse_namespace("Keepvip", 7, ns, err, sizeof(err)), -EINVAL);
	assert_int_equal(k8s_parse_namespace("a.b", 3, ns, err, sizeof(err)), -EINVAL);
	char long_ns[80];
	memset(long_ns, 'a', 64);
	assert_int_equal(k8s_parse_namespace(long_ns, 64, ns, err, sizeof(err)), -EINVAL);
	assert_int_equal(k8s_parse_namespace(long_ns, 63, ns, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_shared_fixture),
		cmocka_unit_test(test_list_paginated),
		cmocka_unit_test(test_list_dual_stack),
		cmocka_unit_test(test_list_evicted_pending),
		cmocka_unit_test(test_list_wrong_types),
		cmocka_unit_test(test_list_truncated_and_bounds),
		cmocka_unit_test(test_watch_stream),
		cmocka_unit_test(test_watch_event_by_event),
		cmocka_unit_test(test_watch_expired),
		cmocka_unit_test(test_watch_selector_change),
		cmocka_unit_test(test_watch_bad_lines),
		cmocka_unit_test(test_line_framing),
		cmocka_unit_test(test_own_pod_and_default_selector),
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_node_priority),
		cmocka_unit_test(test_node_watch),
		cmocka_unit_test(test_status_bodies),
		cmocka_unit_test(test_api_url),
		cmocka_unit_test(test_namespace_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
