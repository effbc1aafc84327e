/* test_peers.c — peer sets: normalising, own addresses dropped, family filter, diff text,
 * equality. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "peers.h"

/* Parses a NULL-terminated list of address texts into addrs; returns the count. */
static size_t parse_all(const char *const *texts, struct ip_addr *addrs)
{
	size_t n = 0;
	for (; texts[n] != NULL; n++)
		assert_int_equal(ip_addr_parse(texts[n], &addrs[n]), 0);
	return n;
}

#define ADDRS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static struct peer_set *set_of(const char *const *texts, sa_family_t family,
			       const char *const *own_texts)
{
	struct ip_addr addrs[16], own[4];
	size_t n = parse_all(texts, addrs);
	size_t n_own = own_texts ? parse_all(own_texts, own) : 0;
	struct peer_set *set = calloc(1, sizeof(*set));
	assert_non_null(set);
	assert_int_equal(peer_set_build(set, addrs, n, family, own, n_own), 0);
	return set;
}

static void assert_set_str(const struct peer_set *set, const char *expected)
{
	char buf[256];
	assert_string_equal(peer_set_str(set, buf, sizeof(buf)), expected);
}

static void test_build_sorts_and_dedupes(void **state)
{
	(void)state;
	struct peer_set *set =
		set_of(ADDRS("10.0.0.12", "10.0.0.2", "10.0.0.12", "10.0.0.100", "10.0.0.2"), 0,
		       NULL);
	assert_int_equal(set->n, 3);
	/* numeric order, not text order: .2 < .12 < .100 */
	assert_set_str(set, "10.0.0.2,10.0.0.12,10.0.0.100");
	free(set);
}

static void test_build_drops_own_addresses(void **state)
{
	(void)state;
	struct peer_set *set = set_of(ADDRS("10.0.0.11", "10.0.0.12", "10.0.0.13"), 0,
				      ADDRS("10.0.0.12", "192.168.9.9"));
	assert_set_str(set, "10.0.0.11,10.0.0.13");
	free(set);
}

static void test_build_filters_family(void **state)
{
	(void)state;
	const char *const *mixed = ADDRS("fd00::2", "10.0.0.2", "fd00::1", "10.0.0.1");
	struct peer_set *v4 = set_of(mixed, AF_INET, NULL);
	struct peer_set *v6 = set_of(mixed, AF_INET6, NULL);
	struct peer_set *any = set_of(mixed, 0, NULL);

	assert_set_str(v4, "10.0.0.1,10.0.0.2");
	assert_set_str(v6, "fd00::1,fd00::2");
	assert_int_equal(any->n, 4);
	free(v4);
	free(v6);
	free(any);
}

static void test_build_skips_unset_addresses(void **state)
{
	(void)state;
	struct ip_addr addrs[2];
	struct peer_set set;
	memset(addrs, 0, sizeof(addrs));
	assert_int_equal(ip_addr_parse("10.0.0.5", &addrs[1]), 0);
	assert_int_equal(peer_set_build(&set, addrs, 2, 0, NULL, 0), 0);
	assert_int_equal(set.n, 1);
	assert_true(peer_set_contains(&set, &addrs[1]));
}

static void test_build_too_many(void **state)
{
	(void)state;
	size_t n = PEERS_MAX + 1;
	struct ip_addr *addrs = calloc(n, sizeof(*addrs));
	struct peer_set *set = calloc(1, sizeof(*set));
	assert_non_null(addrs);
	assert_non_null(set);
	for (size_t i = 0; i < n; i++) {
		addrs[i].family = AF_INET;
		addrs[i].bytes[0] = 10;
		addrs[i].bytes[2] = (uint8_t)(i >> 8);
		addrs[i].bytes[3] = (uint8_t)i;
	}
	assert_int_equal(peer_set_build(set, addrs, n, AF_INET, NULL, 0), -E2BIG);
	assert_int_equal(set->n, 0);
	/* exactly PEERS_MAX fits, and so do more inputs that collapse as duplicates */
	assert_int_equal(peer_set_build(set, addrs, PEERS_MAX, AF_INET, NULL, 0), 0);
	assert_int_equal(set->n, PEERS_MAX);
	addrs[PEERS_MAX] = addrs[0];
	assert_int_equal(peer_set_build(set, addrs, n, AF_INET, NULL, 0), 0);
	assert_int_equal(set->n, PEERS_MAX);
	free(addrs);
	free(set);
}

static void test_contains(void **state)
{
	(void)state;
	struct peer_set *set = set_of(ADDRS("10.0.0.3", "10.0.0.1", "fd00::1"), 0, NULL);
	struct ip_addr probe;

	assert_int_equal(ip_addr_parse("10.0.0.3", &probe), 0);
	assert_true(peer_set_contains(set, &probe));
	assert_int_equal(ip_addr_parse("10.0.0.2", &probe), 0);
	assert_false(peer_set_contains(set, &probe));
	assert_int_equal(ip_addr_parse("fd00::1", &probe), 0);
	assert_true(peer_set_contains(set, &probe));
	/* the same bytes in the other family are another address */
	assert_int_equal(ip_addr_parse("::a00:1", &probe), 0);
	assert_false(peer_set_contains(set, &probe));
	free(set);
}

static void test_equality(void **state)
{
	(void)state;
	struct peer_set *a = set_of(ADDRS("10.0.0.2", "10.0.0.1"), 0, NULL);
	struct peer_set *b = set_of(ADDRS("10.0.0.1", "10.0.0.2", "10.0.0.1"), 0, NULL);
	struct peer_set *c = set_of(ADDRS("10.0.0.1", "10.0.0.3"), 0, NULL);
	struct peer_set *d = set_of(ADDRS("10.0.0.1"), 0, NULL);

	assert_true(peer_set_equal(a, b));
	assert_false(peer_set_equal(a, c));
	assert_false(peer_set_equal(a, d));
	assert_false(peer_set_equal(d, a));
	free(a);
	free(b);
	free(c);
	free(d);
}

static void test_diff_str(void **state)
{
	(void)state;
	struct peer_set *old = set_of(ADDRS("10.0.0.11", "10.0.0.12"), 0, NULL);
	struct peer_set *new_set = set_of(ADDRS("10.0.0.11", "10.0.0.13", "10.0.0.14"), 0, NULL);
	struct peer_set *empty = set_of(ADDRS("10.0.0.1"), AF_INET6, NULL);
	char buf[128];

	assert_int_equal(empty->n, 0);
	assert_string_equal(peer_set_diff_str(old, new_set, buf, sizeof(buf)),
			    "+10.0.0.13 +10.0.0.14 -10.0.0.12");
	assert_string_equal(peer_set_diff_str(new_set, old, buf, sizeof(buf)),
			    "+10.0.0.12 -10.0.0.13 -10.0.0.14");
	assert_string_equal(peer_set_diff_str(old, old, buf, sizeof(buf)), "");
	assert_string_equal(peer_set_diff_str(empty, old, buf, sizeof(buf)),
			    "+10.0.0.11 +10.0.0.12");
	assert_string_equal(peer_set_diff_str(old, empty, buf, sizeof(buf)),
			    "-10.0.0.11 -10.0.0.12");
	free(old);
	free(new_set);
	free(empty);
}

/* A short buffer holds whole addresses only, then "...". */
static void test_text_is_cut_cleanly(void **state)
{
	(void)state;
	struct peer_set *set = set_of(ADDRS("10.0.0.1", "10.0.0.2", "10.0.0.3"), 0, NULL);
	struct peer_set *none = set_of(ADDRS("10.0.0.1"), AF_INET6, NULL);
	char buf[22];

	assert_string_equal(peer_set_str(set, buf, sizeof(buf)), "10.0.0.1,10.0.0.2,...");
	assert_string_equal(peer_set_diff_str(none, set, buf, sizeof(buf)),
			    "+10.0.0.1 ...");
	assert_string_equal(peer_set_str(none, buf, sizeof(buf)), "");
	char tiny[3] = "xx";
	assert_string_equal(peer_set_str(set, tiny, sizeof(tiny)), "");
	free(set);
	free(none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_sorts_and_dedupes),
		cmocka_unit_test(test_build_drops_own_addresses),
		cmocka_unit_test(test_build_filters_family),
		cmocka_unit_test(test_build_skips_unset_addresses),
		cmocka_unit_test(test_build_too_many),
		cmocka_unit_test(test_contains),
		cmocka_unit_test(test_equality),
		cmocka_unit_test(test_diff_str),
		cmocka_unit_test(test_text_is_cut_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
