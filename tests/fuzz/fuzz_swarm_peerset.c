/* fuzz_swarm_peerset.c — libFuzzer: arbitrary bytes as what the workers' peer endpoint reads
 * (adapters/swarm/swarm_peerset.c): a worker reads the document a manager serves, a manager
 * reads the request head a worker (or anyone on the node network) sends.
 *
 * The whole input goes to both parsers. A request gets one of 200/400/404/405, and on 200 a
 * wait within its bound and a hex version (or none). A document that parses stays within its
 * bounds, and the set rebuilt from its peers renders into a document that parses back to the
 * same addresses and version. Nothing may crash, leak or read out of bounds. */
#include "swarm_peerset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_swarm_peerset: %s\n", what);
	abort();
}

static void request(const char *head, size_t size)
{
	struct swarm_peerset_request req;
	int status = swarm_peerset_parse_request(head, size, &req);

	if (status != 200 && status != 400 && status != 404 && status != 405)
		fail("a status outside 200/400/404/405");
	if (status == 200 && (req.wait_s > SWARM_PEERSET_MAX_WAIT_S ||
			      memchr(req.version, '\0', sizeof(req.version)) == NULL ||
			      strspn(req.version, "0123456789abcdef") != strlen(req.version)))
		fail("a request out of bounds");
}

static void document(const char *body, size_t size)
{
	static struct swarm_peerset set, rebuilt, back;
	static char doc[SWARM_PEERSET_DOC_MAX];
	char err[256] = "";

	if (swarm_peerset_parse(body, size, &set, err, sizeof(err)) < 0) {
		if (err[0] == '\0')
			fail("an error without a message");
		return;
	}
	if (set.n > ADAPTER_MAX_PEERS || memchr(set.version, '\0', sizeof(set.version)) == NULL)
		fail("a document out of bounds");
	swarm_peerset_from(&rebuilt, set.peers, set.n);
	int n = swarm_peerset_render(&rebuilt, doc, sizeof(doc));
	if (n < 0)
		fail("a set that does not render");
	if (swarm_peerset_parse(doc, (size_t)n, &back, err, sizeof(err)) < 0)
		fail("a rendered document that does not parse back");
	if (back.n != rebuilt.n || strcmp(back.version, rebuilt.version) != 0)
		fail("a document that does not round-trip");
	for (size_t i = 0; i < back.n; i++)
		if (!ip_addr_equal(&back.peers[i], &rebuilt.peers[i]))
			fail("an address that does not round-trip");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	request((const char *)data, size);
	document((const char *)data, size);
	return 0;
}
