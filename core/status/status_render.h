/* status_render.h — what the status server shows, rendered from a read-only snapshot of the
 * daemon: the /status JSON document and the /metrics Prometheus text exposition format
 * (version 0.0.4). No sockets and no clock: the caller passes "now", so tests render from a
 * hand-built view and compare exact values.
 *
 * /status (one JSON object):
 *   {"version", "ready", "started_unix_ms", "now_unix_ms", "uptime_ms",
 *    "adapter": {"name", "updates", "errors"},
 *    "interfaces": [{"name", "ifindex", "rejects": {REASON: N, ...}}],
 *    "instances": [{"name", "vrid", "version", "family" ("ipv4"|"ipv6"), "interface",
 *                   "state", "mode" ("unicast"|"multicast"),
 *                   "priority": {"configured", "effective"},
 *                   "master": ADDRESS or null, "master_is_self", "master_priority",
 *                   "vips": ["A/P", ...], "peers": [ADDRESS, ...],
 *                   "link_down", "check_fault", "check_penalty",
 *                   "last_transition": {"from", "to", "unix_ms", "ago_ms", "reason"} or null,
 *                   "vrid_conflict": {"from", "priority", "count", "addresses", "ago_ms"} or
 *                                    null (another VRRP group on our VRID, vrid_conflict.h),
 *                   "address_conflict": {"address", "mac", "action" ("warn"|"refuse"),
 *                                        "refusing", "ago_ms"} or null (another host holds
 *                                        one of our VIPs, addr_conflict.h),
 *                   "checks": [{"kind", "label", "healthy", "running", "runs", "failures",
 *                               "last_error", "last_duration_ms"}],
 *                   "counters": {"adverts_sent", "adverts_received", "send_errors",
 *                                "transitions", "announces_sent", "conflict_probes_sent",
 *                                "address_conflicts",
 *                                "rejects": {REASON: N, ...}}}]}
 * REASON is vrrp_reject_name(); every reason appears, zeros included.
 *
 * /metrics: the keepvip_* families listed in status_render.c, each with HELP and TYPE, label
 * values escaped (backslash, double quote, newline). */
#ifndef KEEPVIP_STATUS_RENDER_H
#define KEEPVIP_STATUS_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct instance;
struct iface;

/* A read-only snapshot; the daemon fills it and keeps it valid while a request is answered
 * (the server renders synchronously, on the loop). */
struct status_view {
	struct instance *const *instances; /* n_instances of them */
	size_t n_instances;
	const struct iface *ifaces;
	size_t n_ifaces;
	const char *adapter_name;      /* NULL shows as "" */
	uint64_t adapter_updates, adapter_errors;
	bool ready;                    /* settings loaded and sockets open */
	int64_t started_unix_ms;       /* wall clock at start */
	const char *version;           /* NULL shows as "" */
};

/* The /status document as compact JSON text, NUL-terminated, owned by the caller (free()).
 * now_unix_ms: the wall clock, for uptime and "ago". NULL when memory runs out. */
char *status_render_json(const struct status_view *view, int64_t now_unix_ms);

/* The /metrics text, NUL-terminated, owned by the caller (free()); *len (may be NULL) gets
 * its length. NULL when memory runs out. */
char *status_render_metrics(const struct status_view *view, size_t *len);

/* Content types of the two documents. */
#define STATUS_JSON_CONTENT_TYPE "application/json"
#define STATUS_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
