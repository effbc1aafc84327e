/* status_client.h — `keepvip status`: asks a running daemon for /status and prints a short
 * human summary, one line per instance:
 *   VI_51  MASTER  prio 150/150  master 10.0.0.11  peers 2  last change 12s ago: reason
 * (prio is effective/configured). A blocking libcurl easy request: this runs in the CLI,
 * never on the daemon's loop. */
#ifndef KEEPVIP_STATUS_CLIENT_H
#define KEEPVIP_STATUS_CLIENT_H

#include <stddef.h>
#include <stdio.h>

#define STATUS_CLIENT_TIMEOUT_MS 5000L

/* Fetches http://ADDR/status (addr as KEEPVIP_STATUS_ADDR: "HOST:PORT" or "[V6]:PORT"; a
 * wildcard host such as 0.0.0.0 or :: is asked on loopback) and prints the summary to out.
 * Returns the exit code: 0, or 1 with "keepvip: status: ..." on errout (daemon not
 * running, status server off, HTTP error, bad document). */
int status_client_run(const char *addr, FILE *out, FILE *errout);

/* Prints the summary of a /status document (JSON text). Returns 0, or -EINVAL with a
 * message in err when the text is not such a document. */
int status_summary_print(const char *json_text, FILE *out, char *err, size_t err_len);

/* Writes a duration as "12s", "5m3s", "2h4m" or "3d2h" into buf. Returns buf. */
const char *status_duration_str(long long ms, char *buf, size_t len);

#endif
