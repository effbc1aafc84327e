/* peer_list.h — a list of peer addresses as KEEPVIP_PEERS or KEEPVIP_PEERS_FILE give it
 * (pure: text in, discovery out). Addresses are separated by commas, spaces or newlines;
 * '#' starts a comment that runs to the end of its line. */
#ifndef KEEPVIP_PEER_LIST_H
#define KEEPVIP_PEER_LIST_H

#include "adapter.h"

#include <stddef.h>

/* Appends the addresses of text (NUL-terminated) to out's peers. 0, or -EINVAL with
 * "<where>:<line>: ..." in err when an entry is not an address, is too long, or there are
 * more than ADAPTER_MAX_PEERS. */
int peer_list_parse(const char *text, const char *where, struct adapter_discovery *out,
		    char *err, size_t err_len);

#endif
