/* rancher_parse.h — Rancher 1.x (Cattle) metadata answers, as JSON text, into a discovery.
 *
 * Pure: text in, struct out, no I/O, so every answer shape can be tested from the fixtures.
 * The answers are those of rancher-metadata asked with "Accept: application/json"
 * (../shared/reference/rancher-metadata.md §2-§4). Every function checks the whole answer and
 * returns 0, or a negative errno with err saying what and where, e.g.
 *   "containers[2].primary_ip: expected a string, got integer"
 * The discovery it fills is meant to be a scratch copy that the caller reports only on 0, so
 * that a bad answer changes nothing that runs (the name outputs are written only on 0).
 *
 * Versions (§1): 2015-12-19 and 2016-07-29 embed the service's containers as objects;
 * 2015-07-25 lists them by name only, and its /stacks/<s>/services/<svc> does not resolve
 * (the stack lists its services by name), so the caller then reads /services and /containers.
 */
#ifndef KEEPVIP_RANCHER_PARSE_H
#define KEEPVIP_RANCHER_PARSE_H

#include "adapter.h"

#include <stddef.h>

#define RANCHER_NAME_LEN 128
#define RANCHER_VERSION_LEN 128

/* Which container states make a peer. Cattle publishes every container that is not being
 * removed; a stopped one is not a peer, one that is starting, restarting or stopping still
 * is (a stopping keepvip sends its priority-0 advert, which unicast mode must accept). */
bool rancher_state_is_peer(const char *state);

/* GET /version: a JSON string (opaque change token, §6). 0 and out, or -EBADMSG. */
int rancher_parse_version(const char *body, size_t len, char *out, size_t out_len, char *err,
			  size_t err_len);

/* GET /self/host: the host's agent_ip, our own address in host-network mode (§5). */
int rancher_parse_self_host(const char *body, size_t len, struct ip_addr *agent_ip, char *err,
			    size_t err_len);

/* GET /self/service (managed-network containers only): its stack_name and name. */
int rancher_parse_service_names(const char *body, size_t len, char *stack, char *service,
				char *err, size_t err_len);

/* GET /containers: finds the container whose external_id is docker_id and returns its
 * stack and service (label io.rancher.stack_service.name, else stack_name/service_name).
 * -ENOENT when no container has that id. stack and service hold RANCHER_NAME_LEN bytes. */
int rancher_find_own_service(const char *body, size_t len, const char *docker_id, char *stack,
			     char *service, char *err, size_t err_len);

/* GET /stacks/<stack>/services/<service> (2015-12-19 and later): peers are the primary_ip
 * of the containers whose state makes a peer, without out->self (when out->has_self, set by
 * the caller from /self/host) and without duplicates; settings come from metadata.keepvip (see rancher_parse_metadata).
 * -ENOMSG when the containers are listed by name (2015-07-25 shape): read /services and
 * /containers instead. note receives remarks that are not errors (ignored metadata keys). */
int rancher_parse_service(const char *body, size_t len, struct adapter_discovery *out,
			  char *note, size_t note_len, char *err, size_t err_len);

/* GET /services (any version): the settings of the one service named stack/service
 * (names compared without case: 2016-07-29 lower-cases them). -ENOENT when absent. */
int rancher_parse_service_in_list(const char *body, size_t len, const char *stack,
				  const char *service, struct adapter_discovery *out,
				  char *note, size_t note_len, char *err, size_t err_len);

/* GET /containers (any version): the peers among the containers of stack/service, as in
 * rancher_parse_service. Replaces out's peers, keeps its overrides. */
int rancher_parse_containers_of(const char *body, size_t len, const char *stack,
				const char *service, struct adapter_discovery *out, char *err,
				size_t err_len);

/* The service's metadata map (§7) into overrides: the keys of its "keepvip" map, named like
 * the settings' YAML keys (vrid, priority, version, name, tcp, http, interval_ms, vips, ...)
 * or their env names without KEEPVIP_ in lower case (vrrp_version, check_port, ...), become
 * the matching env names (KEEPVIP_VRID, ...); the key registry (setting_keys.h) says which
 * settings an adapter may give. Numbers, strings and booleans are taken as text; a list of
 * strings is joined with commas (vips). Unknown keys are named in note and ignored; a value
 * of another type is an error. metadata may be NULL or JSON null (no overrides). note is
 * reset first. Declared
 * here for tests; takes a jansson json_t *. */
struct json_t;
int rancher_parse_metadata(const struct json_t *metadata, struct adapter_discovery *out,
			   char *note, size_t note_len, char *err, size_t err_len);

#endif
