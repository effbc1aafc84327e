/* test_addr_conflict.c — claims of our VIPs judged: ours and peers' are normal, a peer learnt
 * after its claim but before the settle is excused, a stranger's claim is a conflict that a
 * silent probe round ends, and refuse mode is blocked by a stranger's claim not yet judged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "addr_conflict.h"

static const uint8_t OWN[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t PEER[6] = { 0x02, 0, 0, 0, 0, 0x02 };
static const uint8_t STRANGER[6] = { 0x02, 0, 0, 0, 0, 0x99 };

static struct ip_addr vip(void)
{
	struct ip_addr a;
	assert_int_equal(ip_addr_parse("10.99.0.100", &a), 0);
	return a;
}

static void own_and_peer_claims_are_normal(void **state)
{
	(void)state;
	struct addr_conflict c;
	struct ip_addr v = vip();
	addr_conflict_init(&c);
	addr_conflict_round_start(&c);
	assert_false(addr_conflict_claim(&c, &v, OWN, OWN));
	assert_true(addr_conflict_claim(&c, &v, PEER, OWN));
	assert_true(addr_conflict_blocks(&c));          /* not yet known as a peer */
	addr_conflict_learn_peer(&c, PEER);              /* its advert arrives */
	assert_false(addr_conflict_blocks(&c));
	assert_int_equal(addr_conflict_settle(&c), ADDR_CONFLICT_NONE);
	assert_false(c.active);
	assert_int_equal(c.conflicts, 0);
}

static void stranger_begins_goes_on_and_ends(void **state)
{
	(void)state;
	struct addr_conflict c;
	struct ip_addr v = vip();
	char text[18];
	addr_conflict_init(&c);
	addr_conflict_learn_peer(&c, PEER);
	addr_conflict_round_start(&c);
	assert_true(addr_conflict_claim(&c, &v, STRANGER, OWN));
	assert_true(addr_conflict_claim(&c, &v, STRANGER, OWN));
	assert_true(addr_conflict_blocks(&c));
	assert_int_equal(addr_conflict_settle(&c), ADDR_CONFLICT_BEGAN);
	assert_true(c.active);
	assert_int_equal(c.conflicts, 2);
	assert_string_equal(addr_conflict_mac_str(c.mac, text), "02:00:00:00:00:99");
	assert_true(ip_addr_equal(&c.vip, &v));
	assert_true(addr_conflict_blocks(&c));
	/* the next round: still answered */
	addr_conflict_round_start(&c);
	addr_conflict_claim(&c, &v, STRANGER, OWN);
	assert_int_equal(addr_conflict_settle(&c), ADDR_CONFLICT_GOES_ON);
	assert_int_equal(c.conflicts, 3);
	/* a settle with no round (a peer's claim between rounds) does not end it */
	addr_conflict_claim(&c, &v, PEER, OWN);
	assert_int_equal(addr_conflict_settle(&c), ADDR_CONFLICT_NONE);
	assert_true(c.active);
	/* a round nobody answers ends it */
	addr_conflict_round_start(&c);
	assert_int_equal(addr_conflict_settle(&c), ADDR_CONFLICT_ENDED);
	assert_false(c.active);
	assert_false(addr_conflict_blocks(&c));
	addr_conflict_round_start(&c);
	assert_int_equal(addr_conflict_settle(&c), ADDR_CONFLICT_NONE);
}

/* Many strangers: the table fills, the count still grows, nothing overflows. */
static void many_claims_fit(void **state)
{
	(void)state;
	struct addr_conflict c;
	struct ip_addr v = vip();
	addr_conflict_init(&c);
	for (unsigned i = 0; i < 40; i++) {
		uint8_t mac[6] = { 0x02, 0, 0, 0, 1, (uint8_t)i };
		addr_conflict_claim(&c, &v, mac, OWN);
	}
	assert_int_equal(c.n_pending, ADDR_CONFLICT_PENDING);
	assert_int_equal(addr_conflict_settle(&c), ADDR_CONFLICT_BEGAN);
	assert_int_equal(c.conflicts, 40);
}

/* Peers beyond the table replace the oldest. */
static void peer_table_wraps(void **state)
{
	(void)state;
	struct addr_conflict c;
	addr_conflict_init(&c);
	for (unsigned i = 0; i < ADDR_CONFLICT_PEER_MACS + 1; i++) {
		uint8_t mac[6] = { 0x02, 0, 0, 0, 2, (uint8_t)i };
		addr_conflict_learn_peer(&c, mac);
		addr_conflict_learn_peer(&c, mac); /* twice: kept once */
	}
	uint8_t first[6] = { 0x02, 0, 0, 0, 2, 0 }, last[6] = { 0x02, 0, 0, 0, 2,
							       ADDR_CONFLICT_PEER_MACS };
	assert_int_equal(c.n_peer_macs, ADDR_CONFLICT_PEER_MACS);
	assert_false(addr_conflict_is_peer(&c, first));
	assert_true(addr_conflict_is_peer(&c, last));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(own_and_peer_claims_are_normal),
		cmocka_unit_test(stranger_begins_goes_on_and_ends),
		cmocka_unit_test(many_claims_fit),
		cmocka_unit_test(peer_table_wraps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
