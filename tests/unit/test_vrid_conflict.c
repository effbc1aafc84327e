/* test_vrid_conflict.c — which adverts come from another VRRP group on our VRID: those whose
 * address list is not the set of our VIPs (RFC 5798 §7.1). */
#include "vrid_conflict.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void set_addr(struct ip_addr *a, const char *text)
{
	assert_int_equal(ip_addr_parse(text, a), 0);
}

/* Our VIPs: 10.0.0.100 and 10.0.0.101. */
static void our_settings(struct instance_settings *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	set_addr(&cfg->vips[0].addr, "10.0.0.100");
	set_addr(&cfg->vips[1].addr, "10.0.0.101");
	cfg->n_vips = 2;
	cfg->family = AF_INET;
}

static bool differ(const char *const *claimed, size_t n)
{
	static struct instance_settings cfg;
	static struct vrrp_advert adv;
	our_settings(&cfg);
	memset(&adv, 0, sizeof(adv));
	for (size_t i = 0; i < n; i++)
		set_addr(&adv.addrs[i], claimed[i]);
	adv.count = (uint8_t)n;
	return vrid_conflict_addresses_differ(&cfg, &adv);
}

static void test_our_addresses_in_any_order_are_ours(void **state)
{
	(void)state;
	assert_false(differ((const char *[]){ "10.0.0.100", "10.0.0.101" }, 2));
	assert_false(differ((const char *[]){ "10.0.0.101", "10.0.0.100" }, 2));
	/* a repeated address changes nothing about the set */
	assert_false(differ((const char *[]){ "10.0.0.101", "10.0.0.100", "10.0.0.100" }, 3));
}

static void test_other_lists_are_another_group(void **state)
{
	(void)state;
	assert_true(differ((const char *[]){ "10.0.0.200" }, 1));
	assert_true(differ((const char *[]){ "10.0.0.100" }, 1));                  /* fewer */
	assert_true(differ((const char *[]){ "10.0.0.100", "10.0.0.101", "10.0.0.9" }, 3));
	assert_true(differ((const char *[]){ "10.0.0.100", "10.0.0.200" }, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_our_addresses_in_any_order_are_ours),
		cmocka_unit_test(test_other_lists_are_another_group),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
