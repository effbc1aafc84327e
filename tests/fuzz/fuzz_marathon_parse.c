/* fuzz_marathon_parse.c — libFuzzer target for the Marathon adapter's parsers
 * (adapters/marathon/): the task list, the SSE framer and the event classifier read what the
 * network sends; the URL list and credentials come from settings.
 *
 * The first byte picks the reader (fuzz_entry.h); the rest is read: as a task list (IPv4 and IPv6, with and without an
 * identity), as an error body, as an event stream fed whole and in pieces cut where the input
 * says (the events must be the same), each event classified, and as a URL list and a token.
 * None may crash, leak or read out of bounds, and each must keep its contract: an error says
 * why; a task list stays within its bounds, its peers are of the family or names to resolve,
 * never duplicates nor self; the framer's events stay within their bounds. Any violation
 * aborts. */
#include "fuzz_entry.h"
#include "marathon_endpoint.h"
#include "marathon_parse.h"
#include "sse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_marathon_parse: %s\n", what);
	abort();
}

#include "fuzz_sse_events.h" /* after fail(), which it calls */

static void check_said(int rc, const char *err, const char *what)
{
	if (rc < 0 && err[0] == '\0') {
		fprintf(stderr, "fuzz_marathon_parse: %s: ", what);
		fail("an error without a message");
	}
}

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static void check_place(const struct marathon_peer *p, sa_family_t family)
{
	if (!terminated(p->host, sizeof(p->host)))
		fail("a host without its terminating NUL");
	if (p->needs_resolve ? p->host[0] == '\0' : p->addr.family != family)
		fail("a peer neither of the family nor a name to resolve");
	if (p->health > MARATHON_HEALTH_FAILING)
		fail("a health out of range");
}

static bool same(const struct marathon_peer *a, const struct marathon_peer *b)
{
	if (a->host[0] != '\0' && strcasecmp(a->host, b->host) == 0)
		return true;
	return !a->needs_resolve && !b->needs_resolve && ip_addr_equal(&a->addr, &b->addr);
}

static void tasks(const char *body, size_t size, const char *task_id, const char *host,
		  sa_family_t family, struct marathon_task_list *l)
{
	struct marathon_whoami w = { .app_id = "/keepvip", .task_id = task_id, .host = host,
				     .family = family };
	char err[256] = "";
	int rc = marathon_parse_tasks(body, size, &w, l, err, sizeof(err));

	check_said(rc, err, "tasks");
	if (rc < 0)
		return;
	if (l->n_peers > MARATHON_MAX_PEERS)
		fail("peers out of bounds");
	if (l->has_self)
		check_place(&l->self, family);
	for (size_t i = 0; i < l->n_peers; i++) {
		check_place(&l->peers[i], family);
		if (l->has_self && same(&l->self, &l->peers[i]))
			fail("self among the peers");
		for (size_t k = 0; k < i; k++)
			if (same(&l->peers[k], &l->peers[i]))
				fail("a peer listed twice");
	}
	if (l->n_peers + l->n_not_peer + l->n_no_address > l->n_tasks)
		fail("more tasks sorted than listed");
}

/* ---- the event stream ------------------------------------------------------------------- */

static void stream(const char *data, size_t size)
{
	struct sse_parser whole, parts;
	struct sse_events a = { .hash = SSE_EVENTS_HASH_START, .classify = true };
	struct sse_events b = { .hash = SSE_EVENTS_HASH_START };
	size_t at = 0, step = size > 0 ? (unsigned char)data[0] % 7 + 1 : 1;

	sse_init(&whole);
	sse_init(&parts);
	if (sse_feed(&whole, data, size, sse_events_on_event, &a) != 0)
		fail("sse_feed failed on the whole input");
	/* the same bytes in pieces of 1..7 bytes, then a growing piece */
	while (at < size) {
		size_t n = size - at < step ? size - at : step;
		if (sse_feed(&parts, data + at, n, sse_events_on_event, &b) != 0)
			fail("sse_feed failed on a piece");
		at += n;
		step = step * 2 + 1;
	}
	if (a.n != b.n || a.hash != b.hash || whole.heartbeats != parts.heartbeats ||
	    whole.comments != parts.comments)
		fail("the events depend on how the stream was cut");
	if (whole.line_cap > SSE_MAX_LINE || whole.data_cap > SSE_MAX_DATA + 1)
		fail("a buffer beyond its bound");
	sse_free(&whole);
	sse_free(&parts);
}

/* ---- settings text ---------------------------------------------------------------------- */

static void settings_text(const char *data, size_t size)
{
	char *text = malloc(size + 1);
	struct marathon_urls urls;
	struct marathon_credentials cred = { 0 };
	char err[256] = "", *out = malloc(MARATHON_AUTH_LEN);
	int rc;

	if (text == NULL || out == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	rc = marathon_urls_parse(text, &urls, err, sizeof(err));
	check_said(rc, err, "urls");
	if (rc == 0) {
		if (urls.n == 0 || urls.n > MARATHON_MAX_URLS)
			fail("URL count out of bounds");
		for (size_t i = 0; i < urls.n; i++)
			if (strncasecmp(urls.url[i], "http", 4) != 0 ||
			    strpbrk(urls.url[i], " ?#\r\n") != NULL)
				fail("a URL that should have been refused");
	}
	cred.token = text;
	err[0] = '\0';
	rc = marathon_auth_header(&cred, out, MARATHON_AUTH_LEN, err, sizeof(err));
	check_said(rc, err, "token");
	if (rc == 0 && (strpbrk(out, "\r\n") != NULL || (out[0] != '\0' &&
							  strncmp(out, "token=", 6) != 0)))
		fail("a header value that should have been refused");
	free(out);
	free(text);
}

static void tasks_with_task_id(const char *body, size_t size)
{
	struct marathon_task_list *l = malloc(sizeof(*l));
	if (l == NULL)
		abort();
	tasks(body, size, "keepvip.instance-a4485ce8-a4a2-841f-4eed-dbe7fa61f010._app.1",
	      "10.42.0.11", AF_INET, l);
	free(l);
}

static void tasks_by_host_v6(const char *body, size_t size)
{
	struct marathon_task_list *l = malloc(sizeof(*l));
	if (l == NULL)
		abort();
	tasks(body, size, NULL, "node-a.mesos.example", AF_INET6, l);
	free(l);
}

static void tasks_unknown_self(const char *body, size_t size)
{
	struct marathon_task_list *l = malloc(sizeof(*l));
	if (l == NULL)
		abort();
	tasks(body, size, NULL, NULL, AF_INET, l);
	free(l);
}

static void error_answer(const char *body, size_t size)
{
	char msg[MARATHON_MESSAGE_LEN];
	if (marathon_parse_error(body, size, msg, sizeof(msg)) == 0 && !terminated(msg, sizeof(msg)))
		fail("an error message without its NUL");
}

static const fuzz_entry entries[] = {
	tasks_with_task_id, tasks_by_host_v6, tasks_unknown_self, error_answer, stream, settings_text,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_pick_entry(entries, sizeof(entries) / sizeof(entries[0]), data, size);
}
