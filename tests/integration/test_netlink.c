/* test_netlink.c — core/netlink.c against a real kernel, inside a network namespace made for
 * it (tests/integration/netlink.sh sets it up and always removes it):
 *
 *   ip netns exec NS ./test_netlink DEV PEER DEFAULT_DEV
 *
 * DEV is a veth whose other end is PEER, with 10.77.0.1/24 and fd00:77::1/64; DEFAULT_DEV
 * has 10.0.0.1/8 and carries the IPv4 and IPv6 default routes. The program
 * changes addresses and link states only in that namespace and puts them back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ipaddr.h"
#include "netlink.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *dev, *peer, *default_dev;
static struct nl_ctx *ctx;

static struct ip_addr addr_of(const char *text)
{
	struct ip_addr a;

	if (ip_addr_parse(text, &a) < 0)
		fail_msg("bad address literal %s", text);
	return a;
}

static int dev_index(const char *name)
{
	int ifindex = (int)if_nametoindex(name);

	assert_true(ifindex > 0);
	return ifindex;
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void sh(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (system(cmd) != 0)
		fail_msg("command failed: %s", cmd);
}

static bool entry_find(const struct nl_addr_entry *e, size_t n, const struct ip_addr *a,
		       const struct nl_addr_entry **found)
{
	for (size_t i = 0; i < n; i++) {
		if (ip_addr_equal(&e[i].addr, a)) {
			*found = &e[i];
			return true;
		}
	}
	return false;
}

static int setup_ctx(void **state)
{
	char err[NL_ERR_LEN];

	(void)state;
	if (nl_ctx_open(&ctx, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown_ctx(void **state)
{
	(void)state;
	nl_ctx_close(ctx);
	nl_ctx_close(NULL);
	return 0;
}

/* ---- links ----------------------------------------------------------------------------- */

static void read_sys(const char *name, const char *attr, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", name, attr);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, (int)len, f));
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

static void test_link_info(void **state)
{
	struct nl_link_info info;
	char sys_mac[32], sys_mtu[16], mac[32];

	(void)state;
	assert_int_equal(nl_link_info(ctx, dev, &info, NULL, 0), 0);
	assert_int_equal(info.ifindex, dev_index(dev));
	assert_string_equal(info.name, dev);
	assert_true(info.has_mac);
	read_sys(dev, "address", sys_mac, sizeof(sys_mac));
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", info.mac[0], info.mac[1],
		 info.mac[2], info.mac[3], info.mac[4], info.mac[5]);
	assert_string_equal(mac, sys_mac);
	read_sys(dev, "mtu", sys_mtu, sizeof(sys_mtu));
	assert_int_equal(info.mtu, (unsigned)atoi(sys_mtu));
	assert_true(info.up);
	assert_true(info.running);

	char err[NL_ERR_LEN] = "";
	assert_int_equal(nl_link_info(ctx, "kvnl-nope", &info, err, sizeof(err)), -ENODEV);
	assert_string_equal(err, "netlink: link kvnl-nope: No such device");
	assert_string_equal(nl_ctx_error(ctx), err);
	assert_int_equal(nl_link_info(ctx, "", &info, NULL, 0), -EINVAL);
}

static void test_link_find_for_addr(void **state)
{
	char ifname[IF_NAMESIZE];
	struct ip_addr a;

	(void)state;
	a = addr_of("10.77.0.50"); /* in 10.77.0.0/24 on dev, also in 10.0.0.0/8: longest wins */
	assert_int_equal(nl_link_find_for_addr(ctx, &a, ifname, NULL, 0), 0);
	assert_string_equal(ifname, dev);
	a = addr_of("10.5.5.5"); /* only in 10.0.0.0/8 */
	assert_int_equal(nl_link_find_for_addr(ctx, &a, ifname, NULL, 0), 0);
	assert_string_equal(ifname, default_dev);
	a = addr_of("127.0.0.5"); /* loopback is never chosen: default route instead */
	assert_int_equal(nl_link_find_for_addr(ctx, &a, ifname, NULL, 0), 0);
	assert_string_equal(ifname, default_dev);
	a = addr_of("192.0.2.1"); /* no subnet: default route */
	assert_int_equal(nl_link_find_for_addr(ctx, &a, ifname, NULL, 0), 0);
	assert_string_equal(ifname, default_dev);
	a = addr_of("fd00:77::5");
	assert_int_equal(nl_link_find_for_addr(ctx, &a, ifname, NULL, 0), 0);
	assert_string_equal(ifname, dev);
	a = addr_of("2001:db8::1");
	assert_int_equal(nl_link_find_for_addr(ctx, &a, ifname, NULL, 0), 0);
	assert_string_equal(ifname, default_dev);

	/* no subnet and no default route of that family */
	sh("ip -6 route del default dev %s", default_dev);
	char err[NL_ERR_LEN] = "";
	int rc = nl_link_find_for_addr(ctx, &a, ifname, err, sizeof(err));
	sh("ip -6 route add default dev %s", default_dev);
	assert_int_equal(rc, -ENODEV);
	assert_non_null(strstr(err, "netlink: interface for 2001:db8::1: "));
	assert_non_null(strstr(err, "no IPv6 default route"));
}

/* ---- addresses ------------------------------------------------------------------------- */

static void test_addr_add_del_v4_idempotent(void **state)
{
	struct nl_addr_entry entries[16];
	const struct nl_addr_entry *e = NULL;
	struct ip_addr vip = addr_of("10.77.0.100");
	int ifindex = dev_index(dev);
	size_t n;

	(void)state;
	assert_false(nl_addr_present(ctx, ifindex, &vip));
	assert_int_equal(nl_addr_add(ctx, ifindex, &vip, 24, NULL, 0), 0);
	assert_true(nl_addr_present(ctx, ifindex, &vip));
	assert_int_equal(nl_addr_add(ctx, ifindex, &vip, 24, NULL, 0), 0); /* EEXIST is success */

	assert_int_equal(nl_addr_list(ctx, ifindex, AF_INET, entries, 16, &n), 0);
	assert_int_equal(n, 2);
	assert_true(entry_find(entries, n, &vip, &e));
	assert_int_equal(e->prefix, 24);
	assert_int_equal(e->ifindex, ifindex);
	assert_true(e->secondary); /* 10.77.0.1/24 came first and is primary */
	assert_false(e->link_local);
	struct ip_addr primary = addr_of("10.77.0.1");
	assert_true(entry_find(entries, n, &primary, &e));
	assert_false(e->secondary);

	/* the VIP is not on the other links */
	assert_false(nl_addr_present(ctx, dev_index(default_dev), &vip));

	assert_int_equal(nl_addr_del(ctx, ifindex, &vip, 24, NULL, 0), 0);
	assert_false(nl_addr_present(ctx, ifindex, &vip));
	assert_int_equal(nl_addr_del(ctx, ifindex, &vip, 24, NULL, 0), 0); /* EADDRNOTAVAIL is success */
	assert_true(nl_addr_present(ctx, ifindex, &primary));

	/* a host-length VIP outside every subnet */
	struct ip_addr lone = addr_of("192.0.2.77");
	assert_int_equal(nl_addr_add(ctx, ifindex, &lone, 32, NULL, 0), 0);
	assert_true(nl_addr_present(ctx, ifindex, &lone));
	assert_int_equal(nl_addr_del(ctx, ifindex, &lone, 32, NULL, 0), 0);
	assert_false(nl_addr_present(ctx, ifindex, &lone));
}

static void test_addr_add_del_v6_usable_at_once(void **state)
{
	struct nl_addr_entry entries[16];
	const struct nl_addr_entry *e = NULL;
	struct ip_addr vip = addr_of("fd00:77::100");
	int ifindex = dev_index(dev);
	size_t n;

	(void)state;
	assert_false(nl_addr_present(ctx, ifindex, &vip));
	assert_int_equal(nl_addr_add(ctx, ifindex, &vip, 64, NULL, 0), 0);
	assert_int_equal(nl_addr_add(ctx, ifindex, &vip, 64, NULL, 0), 0);
	assert_true(nl_addr_present(ctx, ifindex, &vip));

	assert_int_equal(nl_addr_list(ctx, ifindex, AF_INET6, entries, 16, &n), 0);
	assert_true(entry_find(entries, n, &vip, &e));
	assert_int_equal(e->prefix, 64);
	assert_true(e->flags & IFA_F_NODAD);
	assert_false(e->flags & IFA_F_TENTATIVE);
	assert_false(e->link_local);

	/* usable at once: a tentative address could not be bound */
	int s = socket(AF_INET6, SOCK_DGRAM, 0);
	assert_true(s >= 0);
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_addr = vip.v6 };
	assert_int_equal(bind(s, (struct sockaddr *)&sin6, sizeof(sin6)), 0);
	close(s);

	assert_int_equal(nl_addr_del(ctx, ifindex, &vip, 64, NULL, 0), 0);
	assert_false(nl_addr_present(ctx, ifindex, &vip));
	assert_int_equal(nl_addr_del(ctx, ifindex, &vip, 64, NULL, 0), 0);
}

static void test_addr_list(void **state)
{
	struct nl_addr_entry entries[32];
	const struct nl_addr_entry *e = NULL;
	int ifindex = dev_index(dev);
	size_t n;

	(void)state;
	assert_int_equal(nl_addr_list(ctx, ifindex, AF_INET6, entries, 32, &n), 0);
	struct ip_addr global = addr_of("fd00:77::1");
	assert_true(entry_find(entries, n, &global, &e));
	assert_int_equal(e->prefix, 64);
	assert_false(e->link_local);
	bool saw_link_local = false;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(entries[i].addr.family, AF_INET6);
		assert_int_equal(entries[i].ifindex, ifindex);
		if (entries[i].link_local) {
			saw_link_local = true;
			assert_true(ip_addr_is_link_local(&entries[i].addr));
		}
	}
	assert_true(saw_link_local); /* fe80::/64 from the veth's MAC */

	/* every link, both families: includes 10.0.0.1 on DEFAULT_DEV and ::1 on lo */
	assert_int_equal(nl_addr_list(ctx, 0, AF_UNSPEC, entries, 32, &n), 0);
	struct ip_addr on_default_dev = addr_of("10.0.0.1"), v6_lo = addr_of("::1");
	assert_true(entry_find(entries, n, &on_default_dev, &e));
	assert_int_equal(e->ifindex, dev_index(default_dev));
	assert_int_equal(e->prefix, 8);
	assert_true(entry_find(entries, n, &v6_lo, &e));

	/* too small a buffer: filled, and said so */
	assert_int_equal(nl_addr_list(ctx, 0, AF_UNSPEC, entries, 2, &n), -ENOBUFS);
	assert_int_equal(n, 2);
}

static void test_addr_errors_name_what_and_where(void **state)
{
	struct ip_addr vip = addr_of("10.77.0.100");

	(void)state;
	char err[NL_ERR_LEN] = "";
	assert_int_equal(nl_addr_add(ctx, 99999, &vip, 24, err, sizeof(err)), -ENODEV);
	assert_string_equal(err, "netlink: add 10.77.0.100/24 on ifindex 99999: No such device");
	assert_string_equal(nl_ctx_error(ctx), err);
	assert_int_equal(nl_addr_del(ctx, 99999, &vip, 24, err, sizeof(err)), -ENODEV);
	assert_string_equal(err, "netlink: delete 10.77.0.100/24 on ifindex 99999: No such device");
	assert_int_equal(nl_addr_add(ctx, dev_index(dev), &vip, 33, NULL, 0), -EINVAL);
	char want[64];
	snprintf(want, sizeof(want), "netlink: add 10.77.0.100/33 on %s: Invalid argument", dev);
	assert_string_equal(nl_ctx_error(ctx), want);
	assert_false(nl_addr_present(ctx, dev_index(dev), &vip));
}

/* ---- link events ----------------------------------------------------------------------- */

struct watch_state {
	int ifindex;
	bool seen;
	struct nl_link_event last;
	unsigned events;
};

static void on_link_event(const struct nl_link_event *ev, void *arg)
{
	struct watch_state *ws = arg;

	ws->events++;
	if (ev->ifindex != ws->ifindex)
		return;
	ws->seen = true;
	ws->last = *ev;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Polls the watch fd (as the loop would) until the last event for the link shows up/running
 * as wanted, for at most 5 s. */
static bool wait_for_state(struct nl_link_watch *w, struct watch_state *ws, bool up, bool running)
{
	uint64_t give_up = now_ms() + 5000;

	for (;;) {
		if (ws->seen && ws->last.up == up && ws->last.running == running)
			return true;
		uint64_t now = now_ms();
		if (now >= give_up)
			return false;
		struct pollfd pfd = { .fd = nl_link_watch_fd(w), .events = POLLIN };
		int n = poll(&pfd, 1, (int)(give_up - now));
		if (n > 0)
			assert_int_equal(nl_link_watch_drain(w), 0);
	}
}

/* ---- neighbours ------------------------------------------------------------------------ */

/* True when `ip neigh show ADDR dev DEV` lists an entry. */
static bool neigh_listed(const char *addr)
{
	char cmd[160], line[256];

	snprintf(cmd, sizeof(cmd), "ip neigh show %s dev %s", addr, dev);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	bool listed = fgets(line, sizeof(line), p) != NULL;
	pclose(p);
	return listed;
}

static void test_neigh_forget_unusable(void **state)
{
	static const char *const kept[] = { "10.77.0.21", "10.77.0.23" };
	static const char *const forgotten[] = { "10.77.0.22", "fd00:77::24" };
	struct ip_addr dsts[] = { addr_of("10.77.0.21"), addr_of("10.77.0.22"), addr_of("10.77.0.23"),
				  addr_of("fd00:77::24"), addr_of("10.77.0.25") };

	(void)state;
	sh("ip neigh replace 10.77.0.21 lladdr 02:00:00:00:00:21 dev %s nud permanent", dev);
	sh("ip neigh replace 10.77.0.22 lladdr 02:00:00:00:00:22 dev %s nud stale", dev);
	sh("ip neigh replace 10.77.0.23 lladdr 02:00:00:00:00:23 dev %s nud reachable", dev);
	sh("ip neigh replace fd00:77::24 lladdr 02:00:00:00:00:24 dev %s nud stale", dev);
	/* 10.77.0.25 has no entry: skipped */
	assert_int_equal(nl_neigh_forget_unusable(ctx, dev_index(dev), dsts, 5, NULL, 0), 2);
	for (size_t i = 0; i < 2; i++) {
		assert_true(neigh_listed(kept[i]));
		assert_false(neigh_listed(forgotten[i]));
	}
	/* nothing left to forget */
	assert_int_equal(nl_neigh_forget_unusable(ctx, dev_index(dev), dsts, 5, NULL, 0), 0);
	sh("ip neigh flush dev %s nud all", dev);
}

static void test_link_events(void **state)
{
	struct watch_state ws = { .ifindex = dev_index(dev) };
	struct nl_link_watch *w = NULL;
	char err[NL_ERR_LEN];

	(void)state;
	assert_int_equal(nl_link_watch_open(&w, on_link_event, &ws, err, sizeof(err)), 0);
	assert_true(nl_link_watch_fd(w) >= 0);
	assert_int_equal(nl_link_watch_drain(w), 0); /* nothing queued: returns at once */
	assert_int_equal(ws.events, 0);

	sh("ip link set dev %s down", peer); /* carrier lost: up, not running */
	assert_true(wait_for_state(w, &ws, true, false));
	assert_string_equal(ws.last.name, dev);
	assert_false(ws.last.removed);
	sh("ip link set dev %s up", peer);
	assert_true(wait_for_state(w, &ws, true, true));
	sh("ip link set dev %s down", dev);
	assert_true(wait_for_state(w, &ws, false, false));
	struct nl_link_info info;
	assert_int_equal(nl_link_info(ctx, dev, &info, NULL, 0), 0);
	assert_false(info.up);
	assert_false(info.running);
	sh("ip link set dev %s up", dev);
	assert_true(wait_for_state(w, &ws, true, true));

	/* a link that goes away is reported as removed */
	sh("ip link add kvnl-tmp type bridge");
	ws = (struct watch_state){ .ifindex = dev_index("kvnl-tmp") };
	sh("ip link del kvnl-tmp");
	assert_true(wait_for_state(w, &ws, false, false));
	assert_true(ws.last.removed);
	assert_string_equal(ws.last.name, "kvnl-tmp");

	nl_link_watch_close(w);
	nl_link_watch_close(NULL);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: ip netns exec NS %s DEV PEER DEFAULT_DEV\n", argv[0]);
		return 2;
	}
	dev = argv[1];
	peer = argv[2];
	default_dev = argv[3];

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_info),
		cmocka_unit_test(test_link_find_for_addr),
		cmocka_unit_test(test_addr_add_del_v4_idempotent),
		cmocka_unit_test(test_addr_add_del_v6_usable_at_once),
		cmocka_unit_test(test_addr_list),
		cmocka_unit_test(test_addr_errors_name_what_and_where),
		cmocka_unit_test(test_neigh_forget_unusable),
		cmocka_unit_test(test_link_events),
	};

	return cmocka_run_group_tests(tests, setup_ctx, teardown_ctx);
}
