/* fuzz_rancher_parse.c — libFuzzer target for the Rancher metadata parser
 * (adapters/rancher_parse.c): every answer it reads comes from the network.
 *
 * The first byte picks the entry point (version, self host, self service, the service with
 * its containers, the service and container lists, the own service); the rest is the
 * answer body (fuzz_entry.h).
 * None may crash, leak, or read out of bounds, and each must keep its contract: an error
 * leaves a message; a success leaves a discovery within its bounds, peers of one family and
 * never our own address. Any violation aborts. */
#include "fuzz_entry.h"
#include "rancher_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_rancher_parse: %s\n", what);
	abort();
}

/* An error must say why. */
static void check_said(int rc, const char *err, const char *what)
{
	if (rc < 0 && err[0] == '\0') {
		fprintf(stderr, "fuzz_rancher_parse: %s: ", what);
		fail("an error without a message");
	}
}

/* ... and a success must leave a discovery within bounds and without self. */
static void check_result(int rc, const char *err, const struct adapter_discovery *d,
			 const char *what)
{
	check_said(rc, err, what);
	if (rc < 0)
		return;
	if (d->n_peers > ADAPTER_MAX_PEERS || d->n_overrides > ADAPTER_MAX_OVERRIDES)
		fail("discovery out of bounds");
	for (size_t i = 0; i < d->n_peers; i++) {
		if (d->peers[i].family != AF_INET && d->peers[i].family != AF_INET6)
			fail("a peer without an address family");
		if (d->has_self && ip_addr_equal(&d->peers[i], &d->self))
			fail("our own address among the peers");
	}
	for (size_t i = 0; i < d->n_overrides; i++)
		if (memchr(d->overrides[i].env_name, '\0', sizeof(d->overrides[i].env_name)) == NULL ||
		    memchr(d->overrides[i].value, '\0', sizeof(d->overrides[i].value)) == NULL)
			fail("an override without its terminating NUL");
}

/* A discovery as the adapter starts one: our own address known from /self/host. */
static void fresh_discovery(struct adapter_discovery *d)
{
	memset(d, 0, sizeof(*d));
	d->has_self = ip_addr_parse("10.42.0.11", &d->self) == 0;
}

static void version(const char *body, size_t size)
{
	char err[256] = "", text[RANCHER_VERSION_LEN];
	check_said(rancher_parse_version(body, size, text, sizeof(text), err, sizeof(err)), err,
		   "version");
}

static void self_host(const char *body, size_t size)
{
	char err[256] = "";
	struct ip_addr agent_ip;
	check_said(rancher_parse_self_host(body, size, &agent_ip, err, sizeof(err)), err,
		   "self host");
}

static void service_names(const char *body, size_t size)
{
	char err[256] = "", stack[RANCHER_NAME_LEN], service[RANCHER_NAME_LEN];
	check_said(rancher_parse_service_names(body, size, stack, service, err, sizeof(err)), err,
		   "self service");
}

static void service(const char *body, size_t size)
{
	char err[256] = "", note[256];
	struct adapter_discovery d;
	fresh_discovery(&d);
	int rc = rancher_parse_service(body, size, &d, note, sizeof(note), err, sizeof(err));
	check_result(rc, err, &d, "service");
}

static void service_in_list(const char *body, size_t size)
{
	char err[256] = "", note[256];
	struct adapter_discovery d;
	fresh_discovery(&d);
	int rc = rancher_parse_service_in_list(body, size, "keepvip", "keepvip", &d, note,
					       sizeof(note), err, sizeof(err));
	check_result(rc, err, &d, "service in list");
}

static void containers_of(const char *body, size_t size)
{
	char err[256] = "";
	struct adapter_discovery d;
	fresh_discovery(&d);
	int rc = rancher_parse_containers_of(body, size, "keepvip", "keepvip", &d, err, sizeof(err));
	check_result(rc, err, &d, "containers of");
}

static void own_service(const char *body, size_t size)
{
	char err[256] = "", stack[RANCHER_NAME_LEN], service_name[RANCHER_NAME_LEN];
	check_said(rancher_find_own_service(body, size, "0123456789ab", stack, service_name, err,
					    sizeof(err)),
		   err, "own service");
}

static const fuzz_entry entries[] = {
	version, self_host, service_names, service, service_in_list, containers_of, own_service,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_pick_entry(entries, sizeof(entries) / sizeof(entries[0]), data, size);
}
