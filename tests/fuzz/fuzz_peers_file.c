/* fuzz_peers_file.c — libFuzzer: arbitrary bytes as KEEPVIP_PEERS_FILE (or KEEPVIP_PEERS).
 *
 * peer_list_parse (adapters/static/peer_list.c) reads the text up to its first NUL, as the
 * static adapter reads the file. It must fill at most ADAPTER_MAX_PEERS addresses, each of a
 * family, or fail with a message naming the line; never crash or read out of bounds. */
#include "peer_list.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct adapter_discovery d;
	char err[256] = "";
	char *text = malloc(size + 1);

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&d, 0, sizeof(d));
	int rc = peer_list_parse(text, "peers", &d, err, sizeof(err));
	if (rc < 0 && strncmp(err, "peers:", 6) != 0)
		abort();
	if (d.n_peers > ADAPTER_MAX_PEERS)
		abort();
	for (size_t i = 0; rc == 0 && i < d.n_peers; i++)
		if (d.peers[i].family != AF_INET && d.peers[i].family != AF_INET6)
			abort();
	free(text);
	return 0;
}
