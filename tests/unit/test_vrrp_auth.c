/* test_vrrp_auth.c — VRRPv2 simple text password (vrrp_auth.h) against the adverts keepalived
 * 2.2.7 sent with auth_type PASS (shared/vectors: v2-*-authpass, password "kvlpass1"): they
 * decode, pass the check with that password and fail it with any other or none; adverts we
 * encode with the password are keepalived's bytes; and the rules keepalived's vrrp_in_chk
 * applies to the Auth Type (mismatch either way, AH, unknown types) hold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vrrp_auth.h"
#include "vrrp_wire.h"

#include "vectors.h"

#define MAX_V2 32

/* A decoded keepalived v2 advert and the password of its capture ("" when none). */
struct v2_vector {
	char name[160];
	uint8_t msg[VRRP_MAX_MSG_LEN];
	size_t len;
	struct vrrp_rx_meta meta;
	char pass[16];
};

struct v2_vectors {
	json_t *doc;
	size_t n, n_pass;
	struct v2_vector v[MAX_V2];
};

static bool read_v2_vector(const json_t *j, struct v2_vector *out)
{
	const json_t *cfg = json_object_get(j, "config");
	const char *kind = json_string_value(json_object_get(j, "kind"));
	const char *hex = json_string_value(json_object_get(j, "hex"));
	const char *name = json_string_value(json_object_get(j, "name"));
	if (kind == NULL || strcmp(kind, "vrrp-advertisement") != 0 || hex == NULL ||
	    json_integer_value(json_object_get(cfg, "version")) != 2)
		return false;
	snprintf(out->name, sizeof(out->name), "%s", name ? name : "?");
	int len = hex_decode(hex, out->msg, sizeof(out->msg));
	assert_true(len > 0);
	out->len = (size_t)len;
	memset(&out->meta, 0, sizeof(out->meta));
	out->meta.family = AF_INET;
	out->meta.ttl = (uint8_t)json_integer_value(json_object_get(j, "ttl"));
	assert_int_equal(ip_addr_parse(json_string_value(json_object_get(j, "src")),
				       &out->meta.src), 0);
	assert_int_equal(ip_addr_parse(json_string_value(json_object_get(j, "dst")),
				       &out->meta.dst), 0);
	const json_t *auth = json_object_get(cfg, "auth");
	const char *pass = json_string_value(json_object_get(auth, "pass"));
	snprintf(out->pass, sizeof(out->pass), "%s", pass ? pass : "");
	return true;
}

static int load(void **state)
{
	struct v2_vectors *vs = calloc(1, sizeof(*vs));
	if (vs == NULL || (vs->doc = vectors_load()) == NULL) {
		free(vs);
		return -1;
	}
	size_t i;
	json_t *j;
	json_array_foreach(vs->doc, i, j) {
		if (vs->n < MAX_V2 && read_v2_vector(j, &vs->v[vs->n])) {
			vs->n_pass += vs->v[vs->n].pass[0] != '\0';
			vs->n++;
		}
	}
	*state = vs;
	return 0;
}

static int unload(void **state)
{
	struct v2_vectors *vs = *state;
	json_decref(vs->doc);
	free(vs);
	return 0;
}

static void decode_ok(const struct v2_vector *v, struct vrrp_advert *adv)
{
	enum vrrp_reject r = vrrp_decode(v->msg, v->len, &v->meta, adv);
	if (r != VRRP_ACCEPT)
		fail_msg("%s: %s", v->name, vrrp_reject_name(r));
}

/* keepalived's PASS adverts: accepted with its password, dropped with another or none. */
static void keepalived_pass_adverts_check(void **state)
{
	const struct v2_vectors *vs = *state;
	assert_true(vs->n_pass >= 4); /* multicast and unicast captures, both nodes */
	for (size_t i = 0; i < vs->n; i++) {
		const struct v2_vector *v = &vs->v[i];
		struct vrrp_advert adv;
		if (v->pass[0] == '\0')
			continue;
		decode_ok(v, &adv);
		assert_int_equal(adv.auth_type, VRRP_AUTH_PASS);
		assert_memory_equal(adv.auth_data, v->pass, VRRP_V2_AUTH_LEN);
		assert_int_equal(vrrp_auth_check(&adv, v->pass), VRRP_ACCEPT);
		assert_int_equal(vrrp_auth_check(&adv, "kvlpass2"), VRRP_REJECT_AUTH);
		assert_int_equal(vrrp_auth_check(&adv, "kvlpass"), VRRP_REJECT_AUTH);
		assert_int_equal(vrrp_auth_check(&adv, NULL), VRRP_REJECT_AUTH);
		assert_int_equal(vrrp_auth_check(&adv, ""), VRRP_REJECT_AUTH);
	}
}

/* keepalived's v2 adverts without authentication: accepted without a password only. */
static void keepalived_plain_adverts_check(void **state)
{
	const struct v2_vectors *vs = *state;
	size_t plain = 0;
	for (size_t i = 0; i < vs->n; i++) {
		const struct v2_vector *v = &vs->v[i];
		struct vrrp_advert adv;
		if (v->pass[0] != '\0')
			continue;
		plain++;
		decode_ok(v, &adv);
		assert_int_equal(adv.auth_type, VRRP_AUTH_NONE);
		assert_int_equal(vrrp_auth_check(&adv, NULL), VRRP_ACCEPT);
		assert_int_equal(vrrp_auth_check(&adv, ""), VRRP_ACCEPT);
		assert_int_equal(vrrp_auth_check(&adv, "kvlpass1"), VRRP_REJECT_AUTH);
	}
	assert_true(plain > 0);
}

/* What we send with the capture's password is byte for byte what keepalived sent. */
static void encode_with_pass_is_keepalived_bytes(void **state)
{
	const struct v2_vectors *vs = *state;
	for (size_t i = 0; i < vs->n; i++) {
		const struct v2_vector *v = &vs->v[i];
		struct vrrp_advert decoded, adv;
		uint8_t out[VRRP_MAX_MSG_LEN];
		decode_ok(v, &decoded);
		memset(&adv, 0, sizeof(adv));
		adv.version = 2;
		adv.vrid = decoded.vrid;
		adv.priority = decoded.priority;
		adv.family = AF_INET;
		adv.max_adver_int_cs = decoded.max_adver_int_cs;
		adv.count = decoded.count;
		memcpy(adv.addrs, decoded.addrs, sizeof(adv.addrs));
		vrrp_auth_fill(&adv, v->pass);
		int len = vrrp_encode(&adv, NULL, NULL, out, sizeof(out));
		assert_int_equal(len, (int)v->len);
		if (memcmp(out, v->msg, v->len) != 0)
			fail_msg("%s: encoded bytes differ from keepalived's", v->name);
	}
}

/* A short password is zero-padded, and all 8 bytes count (keepalived's memcmp). */
static void short_password_zero_padded(void **state)
{
	(void)state;
	struct vrrp_advert adv = { .version = 2 };
	vrrp_auth_fill(&adv, "abc");
	assert_int_equal(adv.auth_type, VRRP_AUTH_PASS);
	assert_memory_equal(adv.auth_data, "abc\0\0\0\0\0", VRRP_V2_AUTH_LEN);
	assert_int_equal(vrrp_auth_check(&adv, "abc"), VRRP_ACCEPT);
	assert_int_equal(vrrp_auth_check(&adv, "abcd"), VRRP_REJECT_AUTH);
	assert_int_equal(vrrp_auth_check(&adv, "ab"), VRRP_REJECT_AUTH);
	adv.auth_data[7] = 'X'; /* "abc" then garbage: not "abc" zero-padded */
	assert_int_equal(vrrp_auth_check(&adv, "abc"), VRRP_REJECT_AUTH);

	vrrp_auth_fill(&adv, "12345678");
	assert_memory_equal(adv.auth_data, "12345678", VRRP_V2_AUTH_LEN);
	assert_int_equal(vrrp_auth_check(&adv, "12345678"), VRRP_ACCEPT);

	vrrp_auth_fill(&adv, NULL);
	assert_int_equal(adv.auth_type, VRRP_AUTH_NONE);
	assert_memory_equal(adv.auth_data, "\0\0\0\0\0\0\0\0", VRRP_V2_AUTH_LEN);
}

/* Auth Types other than ours: AH, unknown, PASS without a password of ours. */
static void other_auth_types_rejected(void **state)
{
	(void)state;
	struct vrrp_advert adv = { .version = 2 };
	const uint8_t types[] = { VRRP_AUTH_AH, 3, 7, 255 };
	for (size_t i = 0; i < sizeof(types); i++) {
		vrrp_auth_fill(&adv, "secret");
		adv.auth_type = types[i];
		assert_int_equal(vrrp_auth_check(&adv, "secret"), VRRP_REJECT_AUTH);
		assert_int_equal(vrrp_auth_check(&adv, NULL), VRRP_REJECT_AUTH);
	}
	/* NONE with data when we have a password: a mismatch of type */
	vrrp_auth_fill(&adv, "secret");
	adv.auth_type = VRRP_AUTH_NONE;
	assert_int_equal(vrrp_auth_check(&adv, "secret"), VRRP_REJECT_AUTH);
}

/* VRRPv3 has no authentication (RFC 5798 §9): never checked. */
static void v3_not_checked(void **state)
{
	(void)state;
	struct vrrp_advert adv = { .version = 3 };
	assert_int_equal(vrrp_auth_check(&adv, NULL), VRRP_ACCEPT);
	assert_int_equal(vrrp_auth_check(&adv, "secret"), VRRP_ACCEPT);
}

static void reason_has_its_name(void **state)
{
	(void)state;
	assert_string_equal(vrrp_reject_name(VRRP_REJECT_AUTH), "auth");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keepalived_pass_adverts_check),
		cmocka_unit_test(keepalived_plain_adverts_check),
		cmocka_unit_test(encode_with_pass_is_keepalived_bytes),
		cmocka_unit_test(short_password_zero_padded),
		cmocka_unit_test(other_auth_types_rejected),
		cmocka_unit_test(v3_not_checked),
		cmocka_unit_test(reason_has_its_name),
	};
	return cmocka_run_group_tests(tests, load, unload);
}
