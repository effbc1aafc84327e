/* peer_list.c — splits a peer list on commas, whitespace and '#' comments into addresses. */
#include "peer_list.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int peer_list_parse(const char *text, const char *where, struct adapter_discovery *out,
		    char *err, size_t err_len)
{
	const char *p = text;
	unsigned line = 1;

	while (*p != '\0') {
		if (*p == '#') {
			while (*p != '\0' && *p != '\n')
				p++;
			continue;
		}
		if (*p == '\n')
			line++;
		if (*p == ',' || isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		size_t len = strcspn(p, ", \t\r\n#");
		char word[IP_ADDR_STRLEN];
		if (len >= sizeof(word) || out->n_peers == ADAPTER_MAX_PEERS) {
			snprintf(err, err_len, "%s:%u: entry too long or too many peers", where, line);
			return -EINVAL;
		}
		memcpy(word, p, len);
		word[len] = '\0';
		if (ip_addr_parse(word, &out->peers[out->n_peers]) < 0) {
			snprintf(err, err_len, "%s:%u: \"%s\" is not an IP address", where, line, word);
			return -EINVAL;
		}
		out->n_peers++;
		p += len;
	}
	return 0;
}
