/* test_rancher_parse.c — Rancher metadata answers into a discovery, from the shared fixtures
 * (../shared/fixtures/rancher, metadata 2015-12-19) and from variants of them: a container
 * stopped, the 2015-07-25 shape, truncated and wrong-typed answers, service metadata. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rancher_parse.h"
#include "fixture_file.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef KEEPVIP_SHARED_DIR
#error "KEEPVIP_SHARED_DIR must name the shared/ directory"
#endif

#define NODE_A_ID "b7106f710076dea72050cffd6ccb20760597ad5c13a6a2ee1bdddddd79879701"
#define WEB_ID "43fe0b28fc19079cc2af202f0512aaaf98489d27f3c8a9fce60a564560a7251a"

/* ---- helpers ---------------------------------------------------------------------------- */

static char *fixture(const char *name)
{
	return fixture_read(KEEPVIP_SHARED_DIR "/fixtures/rancher", name, NULL);
}

static json_t *fixture_json(const char *name)
{
	return fixture_read_json(KEEPVIP_SHARED_DIR "/fixtures/rancher", name);
}

/* Dumps j (taking it) into a string the caller frees. */
static char *dump(json_t *j)
{
	return fixture_dump(j, JSON_INDENT(1));
}

static struct adapter_discovery *new_discovery(const char *self)
{
	struct adapter_discovery *d = calloc(1, sizeof(*d));
	assert_non_null(d);
	if (self != NULL) {
		assert_int_equal(ip_addr_parse(self, &d->self), 0);
		d->has_self = true;
	}
	return d;
}

static void assert_peers(const struct adapter_discovery *d, const char *const *want, size_t n)
{
	char text[IP_ADDR_STRLEN];
	assert_int_equal(d->n_peers, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(ip_addr_str(&d->peers[i], text), want[i]);
}

static const char *override(const struct adapter_discovery *d, const char *env)
{
	for (size_t i = 0; i < d->n_overrides; i++)
		if (strcmp(d->overrides[i].env_name, env) == 0)
			return d->overrides[i].value;
	return NULL;
}

static int parse_service_text(const char *text, struct adapter_discovery *d, char *note,
			      char *err)
{
	return rancher_parse_service(text, strlen(text), d, note, 256, err, 256);
}

/* ---- version and self host -------------------------------------------------------------- */

static void test_version_fixture(void **state)
{
	(void)state;
	char *text = fixture("version.json"), v[RANCHER_VERSION_LEN], err[256];
	assert_int_equal(rancher_parse_version(text, strlen(text), v, sizeof(v), err, sizeof(err)),
			 0);
	assert_string_equal(v, "3fb9f5e8-2c4d-4e1b-9a7c-5d6e7f8091a2");
	free(text);
}

static void test_version_bad(void **state)
{
	(void)state;
	char v[RANCHER_VERSION_LEN], err[256];
	assert_int_equal(rancher_parse_version("42", 2, v, sizeof(v), err, sizeof(err)), -EBADMSG);
	assert_string_equal(err, "version: expected a string, got integer");
	assert_int_equal(rancher_parse_version("\"3fb9f5e8", 9, v, sizeof(v), err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "invalid JSON at line 1"));
	assert_int_equal(rancher_parse_version("\"\"", 2, v, sizeof(v), err, sizeof(err)), -EBADMSG);
}

static void test_self_host(void **state)
{
	(void)state;
	char *text = fixture("self-host.json"), err[256], buf[IP_ADDR_STRLEN];
	struct ip_addr a;
	assert_int_equal(rancher_parse_self_host(text, strlen(text), &a, err, sizeof(err)), 0);
	assert_string_equal(ip_addr_str(&a, buf), "10.42.0.11");
	free(text);
}

static void test_self_host_bad(void **state)
{
	(void)state;
	char *text = fixture("self-container-404.json"), err[256];
	struct ip_addr a;
	assert_int_equal(rancher_parse_self_host(text, strlen(text), &a, err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(err, "host.agent_ip: missing");
	free(text);

	const char *wrong = "{\"agent_ip\": [\"10.42.0.11\"]}";
	assert_int_equal(rancher_parse_self_host(wrong, strlen(wrong), &a, err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(err, "host.agent_ip: expected a string, got list");

	const char *junk = "{\"agent_ip\": \"node-a\"}";
	assert_int_equal(rancher_parse_self_host(junk, strlen(junk), &a, err, sizeof(err)),
			 -EBADMSG);
	assert_string_equal(err, "host.agent_ip: \"node-a\" is not an IP address");

	/* the plain-text listing (no Accept header) is not JSON */
	text = fixture("self-host.txt");
	assert_int_equal(rancher_parse_self_host(text, strlen(text), &a, err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "invalid JSON"));
	free(text);
}

/* ---- the service ------------------------------------------------------------------------ */

static void test_service_fixture(void **state)
{
	(void)state;
	char *text = fixture("self-service.json"), note[256], err[256];
	struct adapter_discovery *d = new_discovery("10.42.0.11");
	static const char *const want[] = { "10.42.0.12", "10.42.0.13" };

	assert_int_equal(parse_service_text(text, d, note, err), 0);
	/* node-c's agent is reconnecting in hosts.json: its container still runs, still a peer */
	assert_peers(d, want, 2);
	assert_int_equal(d->n_overrides, 3);
	assert_string_equal(override(d, "KEEPVIP_VRID"), "51");
	assert_string_equal(override(d, "KEEPVIP_ADVERT_MS"), "1000");
	assert_string_equal(override(d, "KEEPVIP_CHECK_PORT"), "80");
	assert_string_equal(note, "");
	free(text);
	free(d);
}

static void test_service_without_self_keeps_all(void **state)
{
	(void)state;
	char *text = fixture("self-service.json"), note[256], err[256];
	struct adapter_discovery *d = new_discovery(NULL);
	static const char *const want[] = { "10.42.0.11", "10.42.0.12", "10.42.0.13" };
	assert_int_equal(parse_service_text(text, d, note, err), 0);
	assert_peers(d, want, 3);
	free(text);
	free(d);
}

static char *service_with_state(size_t index, const char *st)
{
	json_t *svc = fixture_json("self-service.json");
	json_t *c = json_array_get(json_object_get(svc, "containers"), index);
	json_object_set_new(c, "state", json_string(st));
	return dump(svc);
}

static void test_service_container_stopped(void **state)
{
	(void)state;
	char note[256], err[256];
	char *text = service_with_state(2, "stopped");
	struct adapter_discovery *d = new_discovery("10.42.0.11");
	static const char *const want[] = { "10.42.0.12" };
	assert_int_equal(parse_service_text(text, d, note, err), 0);
	assert_peers(d, want, 1);
	free(text);

	/* stopping: still a peer (its priority-0 advert must be accepted) */
	text = service_with_state(2, "stopping");
	static const char *const both[] = { "10.42.0.12", "10.42.0.13" };
	assert_int_equal(parse_service_text(text, d, note, err), 0);
	assert_peers(d, both, 2);
	free(text);
	free(d);
}

static void test_service_duplicate_and_missing_addresses(void **state)
{
	(void)state;
	char note[256], err[256];
	json_t *svc = fixture_json("self-service.json");
	json_t *list = json_object_get(svc, "containers");
	/* two host-network containers on node-b share its address; one being created has none */
	json_object_set_new(json_array_get(list, 2), "primary_ip", json_string("10.42.0.12"));
	json_t *fresh = json_deep_copy(json_array_get(list, 1));
	json_object_set_new(fresh, "primary_ip", json_null());
	json_array_append_new(list, fresh);
	char *text = dump(svc);
	struct adapter_discovery *d = new_discovery("10.42.0.11");
	static const char *const want[] = { "10.42.0.12" };
	assert_int_equal(parse_service_text(text, d, note, err), 0);
	assert_peers(d, want, 1);
	free(text);
	free(d);
}

static void test_service_v1_shape(void **state)
{
	(void)state;
	char note[256], err[256];
	const char *v1 = "{\"name\":\"keepvip\",\"stack_name\":\"keepvip\",\"containers\":"
			 "[\"keepvip_keepvip_1\",\"keepvip_keepvip_2\"],\"metadata\":{}}";
	struct adapter_discovery *d = new_discovery("10.42.0.11");
	assert_int_equal(parse_service_text(v1, d, note, err), -ENOMSG);
	free(d);
}

static void test_service_wrong_types(void **state)
{
	(void)state;
	char note[256], err[256];
	struct adapter_discovery *d = new_discovery("10.42.0.11");

	json_t *svc = fixture_json("self-service.json");
	json_object_set_new(json_array_get(json_object_get(svc, "containers"), 1), "primary_ip",
			    json_integer(167903244));
	char *text = dump(svc);
	assert_int_equal(parse_service_text(text, d, note, err), -EBADMSG);
	assert_string_equal(err, "containers[1].primary_ip: expected a string, got integer");
	free(text);

	svc = fixture_json("self-service.json");
	json_object_set_new(json_array_get(json_object_get(svc, "containers"), 0), "state",
			    json_true());
	text = dump(svc);
	assert_int_equal(parse_service_text(text, d, note, err), -EBADMSG);
	assert_string_equal(err, "containers[0].state: expected a string, got boolean");
	free(text);

	const char *not_list = "{\"containers\": \"keepvip-keepvip-1\"}";
	assert_int_equal(parse_service_text(not_list, d, note, err), -EBADMSG);
	assert_string_equal(err, "containers: expected a list, got string");

	assert_int_equal(parse_service_text("[1, 2]", d, note, err), -EBADMSG);
	assert_string_equal(err, "service: expected an object, got list");

	const char *bad_ip = "{\"containers\": [{\"state\": \"running\", \"primary_ip\": \"x\"}]}";
	assert_int_equal(parse_service_text(bad_ip, d, note, err), -EBADMSG);
	assert_string_equal(err, "containers[0].primary_ip: \"x\" is not an IP address");
	free(d);
}

static void test_service_truncated(void **state)
{
	(void)state;
	char *text = fixture("self-service.json"), note[256], err[256];
	struct adapter_discovery *d = new_discovery("10.42.0.11");
	size_t half = strlen(text) / 2;
	assert_int_equal(rancher_parse_service(text, half, d, note, sizeof(note), err, sizeof(err)),
			 -EBADMSG);
	assert_non_null(strstr(err, "invalid JSON at line"));
	assert_int_equal(rancher_parse_service(text, 0, d, note, sizeof(note), err, sizeof(err)),
			 -EBADMSG);
	free(text);
	free(d);
}

static void test_service_too_many_peers(void **state)
{
	(void)state;
	char note[256], err[256], ip[32];
	json_t *list = json_array();
	for (int i = 0; i < ADAPTER_MAX_PEERS + 10; i++) {
		snprintf(ip, sizeof(ip), "10.43.%d.%d", i / 250, i % 250 + 1);
		json_array_append_new(list, json_pack("{s:s,s:s}", "state", "running",
						      "primary_ip", ip));
	}
	char *text = dump(json_pack("{s:o}", "containers", list));
	struct adapter_discovery *d = new_discovery("10.42.0.11");
	assert_int_equal(parse_service_text(text, d, note, err), -E2BIG);
	assert_string_equal(err, "more than 256 peers");
	free(text);
	free(d);
}

/* ---- metadata into settings ------------------------------------------------------------- */

static int parse_metadata_text(const char *text, struct adapter_discovery *d, char *note,
			       char *err)
{
	json_t *md = json_loads(text, JSON_DECODE_ANY, NULL);
	assert_non_null(md);
	int rc = rancher_parse_metadata((const struct json_t *)md, d, note, 256, err, 256);
	json_decref(md);
	return rc;
}

static void test_metadata_fixture(void **state)
{
	(void)state;
	char note[256], err[256];
	struct adapter_discovery *d = new_discovery(NULL);
	char *text = fixture("self-service-metadata.json");
	assert_int_equal(parse_metadata_text(text, d, note, err), 0);
	assert_int_equal(d->n_overrides, 3);
	assert_string_equal(override(d, "KEEPVIP_VRID"), "51");
	free(text);
	free(d);
}

static void test_metadata_values(void **state)
{
	(void)state;
	char note[256], err[256];
	struct adapter_discovery *d = new_discovery(NULL);
	const char *md = "{\"other-tool\": {\"x\": 1}, \"keepvip\": {"
			 "\"vips\": [\"10.42.0.100/24\", \"10.42.0.101\"], \"preempt\": false,"
			 "\"priority\": 150, \"interface\": \"eth0\", \"mode\": null,"
			 "\"vrdi\": 5, \"Check_Port\": 8080}}";
	assert_int_equal(parse_metadata_text(md, d, note, err), 0);
	assert_int_equal(d->n_overrides, 5);
	assert_string_equal(override(d, "KEEPVIP_VIPS"), "10.42.0.100/24,10.42.0.101");
	assert_string_equal(override(d, "KEEPVIP_PREEMPT"), "false");
	assert_string_equal(override(d, "KEEPVIP_PRIORITY"), "150");
	assert_string_equal(override(d, "KEEPVIP_INTERFACE"), "eth0");
	assert_string_equal(override(d, "KEEPVIP_CHECK_PORT"), "8080");
	assert_null(override(d, "KEEPVIP_MODE"));
	/* a typo is named, not fatal; commands are not taken from metadata */
	assert_string_equal(note, "ignored metadata keys (not keepvip settings): keepvip.vrdi");
	assert_int_equal(parse_metadata_text("{\"keepvip\": {\"notify\": \"/bin/x\"}}", d, note,
					     err), 0);
	assert_int_equal(d->n_overrides, 0);
	assert_non_null(strstr(note, "keepvip.notify"));

	assert_int_equal(parse_metadata_text("null", d, note, err), 0);
	assert_int_equal(d->n_overrides, 0);
	assert_int_equal(parse_metadata_text("{}", d, note, err), 0);
	assert_int_equal(d->n_overrides, 0);
	free(d);
}

static void test_metadata_wrong_types(void **state)
{
	(void)state;
	char note[256], err[256];
	struct adapter_discovery *d = new_discovery(NULL);
	assert_int_equal(parse_metadata_text("{\"keepvip\": {\"vrid\": {\"a\": 1}}}", d, note, err),
			 -EBADMSG);
	assert_string_equal(err, "metadata keepvip.vrid: expected a number, string, boolean or "
				 "list, got object");
	assert_int_equal(parse_metadata_text("{\"keepvip\": [1]}", d, note, err), -EBADMSG);
	assert_string_equal(err, "metadata keepvip: expected an object, got list");
	assert_int_equal(parse_metadata_text("\"vrid=51\"", d, note, err), -EBADMSG);
	assert_string_equal(err, "metadata: expected an object, got string");
	assert_int_equal(parse_metadata_text("{\"keepvip\": {\"vips\": [[\"x\"]]}}", d, note, err),
			 -EBADMSG);
	assert_string_equal(err, "metadata keepvip.vips[0]: expected a number or string");
	assert_int_equal(parse_metadata_text("{\"keepvip\": {\"vrid\": 1, \"VRID\": 2}}", d, note,
					     err), -EBADMSG);
	assert_non_null(strstr(err, "given twice"));
	free(d);
}

/* ---- which service, and the 2015-07-25 way --------------------------------------------- */

static void test_service_names(void **state)
{
	(void)state;
	char *text = fixture("self-service.json"), stack[RANCHER_NAME_LEN],
	     service[RANCHER_NAME_LEN], err[256];
	assert_int_equal(rancher_parse_service_names(text, strlen(text), stack, service, err,
						     sizeof(err)), 0);
	assert_string_equal(stack, "keepvip");
	assert_string_equal(service, "keepvip");
	free(text);
	const char *nameless = "{\"name\": null, \"stack_name\": \"keepvip\"}";
	assert_int_equal(rancher_parse_service_names(nameless, strlen(nameless), stack, service,
						     err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "service.name"));
}

static void test_find_own_service(void **state)
{
	(void)state;
	char *text = fixture("containers.json"), stack[RANCHER_NAME_LEN],
	     service[RANCHER_NAME_LEN], err[256];
	assert_int_equal(rancher_find_own_service(text, strlen(text), NODE_A_ID, stack, service,
						  err, sizeof(err)), 0);
	assert_string_equal(stack, "keepvip");
	assert_string_equal(service, "keepvip");
	assert_int_equal(rancher_find_own_service(text, strlen(text), WEB_ID, stack, service, err,
						  sizeof(err)), 0);
	assert_string_equal(stack, "web");
	assert_string_equal(service, "nginx");
	assert_int_equal(rancher_find_own_service(text, strlen(text), "0123456789abcdef", stack,
						  service, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "no container has external_id"));
	free(text);
}

static void test_containers_of(void **state)
{
	(void)state;
	char *text = fixture("containers.json"), err[256];
	struct adapter_discovery *d = new_discovery("10.42.0.11");
	static const char *const want[] = { "10.42.0.12", "10.42.0.13" };
	/* the app container and the system container are not ours */
	assert_int_equal(rancher_parse_containers_of(text, strlen(text), "keepvip", "keepvip", d,
						     err, sizeof(err)), 0);
	assert_peers(d, want, 2);
	/* 2016-07-29 lower-cases names: the comparison ignores case */
	assert_int_equal(rancher_parse_containers_of(text, strlen(text), "KeepVIP", "KEEPVIP", d,
						     err, sizeof(err)), 0);
	assert_peers(d, want, 2);
	assert_int_equal(rancher_parse_containers_of(text, strlen(text), "web", "nginx", d, err,
						     sizeof(err)), 0);
	static const char *const web[] = { "10.42.187.15" };
	assert_peers(d, web, 1);
	free(text);
	free(d);
}

static void test_service_in_list(void **state)
{
	(void)state;
	char note[256], err[256];
	json_t *ours = fixture_json("self-service.json");
	json_t *decoy = json_deep_copy(ours);
	json_object_set_new(decoy, "stack_name", json_string("other"));
	json_object_set_new(decoy, "metadata", json_pack("{s:{s:i}}", "keepvip", "vrid", 7));
	json_object_set_new(ours, "containers", json_pack("[s,s]", "a", "b")); /* 2015-07-25 */
	char *text = dump(json_pack("[o,o]", decoy, ours));
	struct adapter_discovery *d = new_discovery(NULL);
	assert_int_equal(rancher_parse_service_in_list(text, strlen(text), "keepvip", "keepvip", d,
						       note, sizeof(note), err, sizeof(err)), 0);
	assert_string_equal(override(d, "KEEPVIP_VRID"), "51");
	assert_int_equal(rancher_parse_service_in_list(text, strlen(text), "keepvip", "nginx", d,
						       note, sizeof(note), err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "no service keepvip/nginx");
	free(text);
	free(d);
}

static void test_state_table(void **state)
{
	(void)state;
	assert_true(rancher_state_is_peer("running"));
	assert_true(rancher_state_is_peer("starting"));
	assert_true(rancher_state_is_peer("stopping"));
	assert_true(rancher_state_is_peer(NULL));
	assert_false(rancher_state_is_peer("stopped"));
	assert_false(rancher_state_is_peer("creating"));
	assert_false(rancher_state_is_peer("Running "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_fixture),
		cmocka_unit_test(test_version_bad),
		cmocka_unit_test(test_self_host),
		cmocka_unit_test(test_self_host_bad),
		cmocka_unit_test(test_service_fixture),
		cmocka_unit_test(test_service_without_self_keeps_all),
		cmocka_unit_test(test_service_container_stopped),
		cmocka_unit_test(test_service_duplicate_and_missing_addresses),
		cmocka_unit_test(test_service_v1_shape),
		cmocka_unit_test(test_service_wrong_types),
		cmocka_unit_test(test_service_truncated),
		cmocka_unit_test(test_service_too_many_peers),
		cmocka_unit_test(test_metadata_fixture),
		cmocka_unit_test(test_metadata_values),
		cmocka_unit_test(test_metadata_wrong_types),
		cmocka_unit_test(test_service_names),
		cmocka_unit_test(test_find_own_service),
		cmocka_unit_test(test_containers_of),
		cmocka_unit_test(test_service_in_list),
		cmocka_unit_test(test_state_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
