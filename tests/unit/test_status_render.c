/* test_status_render.c — /status JSON and /metrics text rendered from a hand-built snapshot:
 * the JSON parses back with the values put in, every metrics line is well-formed, promtool
 * (Debian package prometheus) accepts the text, and `keepvip status` summarises the JSON. */
#include "check_runner.h"
#include "instance.h"
#include "loop.h"
#include "peers.h"
#include "status_client.h"
#include "status_render.h"

#include <errno.h>
#include <jansson.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define NOW_MS 1764070212000LL
#define STARTED_MS (NOW_MS - 3723000LL) /* up 1h2m3s */

struct fixture {
	struct loop *loop;
	struct iface ifaces[1];
	struct instance *instances; /* [0] VI_51 master, [1] VI_52 backup, [2] odd name */
	struct instance *by_slot[3]; /* what the view lists: &instances[i] */
	struct instance_settings cfgs[3]; /* the instances' settings (the daemon's, in a run) */
	struct status_view view;
};

static void set_addr(struct ip_addr *a, const char *text)
{
	assert_int_equal(ip_addr_parse(text, a), 0);
}

static struct check_runner *make_checks(struct loop *loop)
{
	struct check_settings checks[2] = {
		{ .kind = CHECK_TCP, .port = 1, .interval_ms = 60000, .timeout_ms = 1000,
		  .rise = 2, .fall = 2, .weight = 10 },
		{ .kind = CHECK_TCP, .port = 1, .interval_ms = 60000, .timeout_ms = 1000,
		  .rise = 2, .fall = 2, .weight = 0 },
	};
	struct check_runner *r = NULL;

	assert_int_equal(check_runner_new(loop, checks, 2, "VI_51", NULL, NULL, &r), 0);
	/* The runner's status is read-only to its users; the test plays the runner here to get
	 * known values without waiting for real runs. */
	struct check_status *st = (struct check_status *)check_runner_status(r, 0);
	st->healthy = false;
	st->runs = 7;
	st->failures = 5;
	snprintf(st->last_error, sizeof(st->last_error), "Connection refused");
	return r;
}

/* fill_*: inst and the settings it points to (cfg, owned by the fixture). */
static void fill_master(struct instance *inst, struct instance_settings *cfg, struct iface *ifc,
			struct loop *loop)
{
	struct ip_addr peers[3];

	inst->cfg = cfg;
	snprintf(cfg->name, sizeof(cfg->name), "VI_51");
	cfg->vrid = 51;
	cfg->version = 3;
	cfg->family = AF_INET;
	cfg->priority = 150;
	cfg->mode = VRRP_MODE_AUTO;
	set_addr(&cfg->vips[0].addr, "10.0.0.100");
	cfg->vips[0].prefix = 24;
	cfg->n_vips = 1;
	inst->iface = ifc;
	inst->fsm.state = VRRP_STATE_MASTER;
	inst->fsm.cfg.priority = 140;
	set_addr(&inst->fsm.cfg.primary, "10.0.0.11");
	set_addr(&peers[0], "10.0.0.13");
	set_addr(&peers[1], "10.0.0.12");
	set_addr(&peers[2], "10.0.0.11");
	assert_int_equal(peer_set_build(&inst->peers, peers, 3, AF_INET, &peers[2], 1), 0);
	inst->checks = make_checks(loop);
	inst->check_penalty = 10;
	inst->last_transition_unix_ms = NOW_MS - 12500;
	inst->last_from = VRRP_STATE_BACKUP;
	snprintf(inst->last_reason, sizeof(inst->last_reason),
		 "master down (no advert for 361 ms)");
	inst->counters = (struct instance_counters){ .adverts_sent = 1234,
						     .adverts_received = 56,
						     .send_errors = 2,
						     .transitions = 3,
						     .announces_sent = 5 };
	inst->counters.rejects[VRRP_REJECT_TTL] = 4;
	inst->counters.rejects[VRRP_REJECT_UNKNOWN_PEER] = 9;
}

static void fill_backup(struct instance *inst, struct instance_settings *cfg, struct iface *ifc)
{
	inst->cfg = cfg;
	snprintf(cfg->name, sizeof(cfg->name), "VI_52");
	cfg->vrid = 52;
	cfg->version = 2;
	cfg->family = AF_INET;
	cfg->priority = 100;
	cfg->mode = VRRP_MODE_MULTICAST;
	inst->iface = ifc;
	inst->fsm.state = VRRP_STATE_BACKUP;
	inst->fsm.cfg.priority = 100;
	set_addr(&inst->fsm.master_addr, "10.0.0.12");
	inst->fsm.master_priority = 200;
	/* never changed state: no last transition */
	/* another group on VRID 52, seen 2 s ago */
	inst->vrid_conflict.active = true;
	set_addr(&inst->vrid_conflict.from, "10.0.0.77");
	inst->vrid_conflict.priority = 200;
	inst->vrid_conflict.count = 2;
	set_addr(&inst->vrid_conflict.claims[0], "10.0.0.200");
	set_addr(&inst->vrid_conflict.claims[1], "10.0.0.201");
	inst->vrid_conflict.last_unix_ms = NOW_MS - 2000;
	/* another host answers for our VIP, 3 s ago, and we refuse to take it */
	cfg->conflict_action = CONFLICT_REFUSE;
	inst->fsm.held = true;
	inst->addr_conflict.active = true;
	set_addr(&inst->addr_conflict.vip, "10.0.0.100");
	memcpy(inst->addr_conflict.mac, (uint8_t[6]){ 0x02, 0xab, 0, 0, 0, 0x99 }, 6);
	inst->addr_conflict_unix_ms = NOW_MS - 3000;
	inst->counters.address_conflicts = 4;
	inst->counters.conflict_probes_sent = 9;
}

/* A name with every character the exposition format escapes, and a reason that is not
 * UTF-8; an instance with no master known and no interface. */
static void fill_odd(struct instance *inst, struct instance_settings *cfg)
{
	inst->cfg = cfg;
	snprintf(cfg->name, sizeof(cfg->name), "we\"ird\\na\nme");
	cfg->vrid = 7;
	cfg->version = 3;
	cfg->family = AF_INET6;
	cfg->priority = 90;
	cfg->mode = VRRP_MODE_UNICAST;
	snprintf(cfg->interface, sizeof(cfg->interface), "eth9");
	inst->fsm.state = VRRP_STATE_FAULT;
	inst->fsm.cfg.priority = 90;
	inst->link_down = true;
	inst->last_transition_unix_ms = NOW_MS + 5000; /* clock stepped back: "ago" is 0 */
	inst->last_from = VRRP_STATE_INIT;
	snprintf(inst->last_reason, sizeof(inst->last_reason), "bad \xff\xfe byte");
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	assert_int_equal(loop_new(&f->loop), 0);
	f->instances = calloc(3, sizeof(*f->instances));
	assert_non_null(f->instances);
	snprintf(f->ifaces[0].name, sizeof(f->ifaces[0].name), "eth0");
	f->ifaces[0].ifindex = 2;
	f->ifaces[0].rejects[VRRP_REJECT_VRID] = 17;
	f->ifaces[0].rejects[VRRP_REJECT_CHECKSUM] = 1;
	fill_master(&f->instances[0], &f->cfgs[0], &f->ifaces[0], f->loop);
	fill_backup(&f->instances[1], &f->cfgs[1], &f->ifaces[0]);
	fill_odd(&f->instances[2], &f->cfgs[2]);
	for (size_t i = 0; i < 3; i++)
		f->by_slot[i] = &f->instances[i];
	f->view = (struct status_view){ .instances = f->by_slot, .n_instances = 3,
					.ifaces = f->ifaces, .n_ifaces = 1,
					.adapter_name = "static", .adapter_updates = 3,
					.adapter_errors = 1, .ready = true,
					.started_unix_ms = STARTED_MS, .version = "0.1.0" };
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < 3; i++)
		check_runner_free(f->instances[i].checks);
	free(f->instances);
	loop_free(f->loop);
	free(f);
	return 0;
}

static json_t *render_parsed(const struct status_view *view)
{
	char *text = status_render_json(view, NOW_MS);
	assert_non_null(text);
	json_error_t err;
	json_t *root = json_loads(text, 0, &err);
	if (root == NULL)
		fail_msg("status JSON does not parse: %s: %s", err.text, text);
	free(text);
	return root;
}

static const json_t *instance_at(const json_t *root, size_t i)
{
	const json_t *arr = json_object_get(root, "instances");
	assert_true(json_is_array(arr));
	const json_t *inst = json_array_get(arr, i);
	assert_true(json_is_object(inst));
	return inst;
}

static void assert_json_str(const json_t *obj, const char *key, const char *want)
{
	const char *got = json_string_value(json_object_get(obj, key));
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("\"%s\": want \"%s\", got \"%s\"", key, want,
			 got ? got : "(not a string)");
}

static void assert_json_int(const json_t *obj, const char *key, long long want)
{
	const json_t *v = json_object_get(obj, key);
	if (!json_is_integer(v))
		fail_msg("\"%s\" is not an integer", key);
	assert_int_equal(json_integer_value(v), want);
}

static void test_json_daemon_fields(void **state)
{
	struct fixture *f = *state;
	json_t *root = render_parsed(&f->view);

	assert_json_str(root, "version", "0.1.0");
	assert_true(json_is_true(json_object_get(root, "ready")));
	assert_json_int(root, "started_unix_ms", STARTED_MS);
	assert_json_int(root, "now_unix_ms", NOW_MS);
	assert_json_int(root, "uptime_ms", 3723000);
	const json_t *adapter = json_object_get(root, "adapter");
	assert_json_str(adapter, "name", "static");
	assert_json_int(adapter, "updates", 3);
	assert_json_int(adapter, "errors", 1);
	const json_t *ifc = json_array_get(json_object_get(root, "interfaces"), 0);
	assert_json_str(ifc, "name", "eth0");
	assert_json_int(ifc, "ifindex", 2);
	assert_json_int(json_object_get(ifc, "rejects"), "vrid", 17);
	assert_json_int(json_object_get(ifc, "rejects"), "checksum", 1);
	assert_int_equal(json_array_size(json_object_get(root, "instances")), 3);
	json_decref(root);
}

static void test_json_master_instance(void **state)
{
	struct fixture *f = *state;
	json_t *root = render_parsed(&f->view);
	const json_t *inst = instance_at(root, 0);

	assert_json_str(inst, "name", "VI_51");
	assert_json_int(inst, "vrid", 51);
	assert_json_int(inst, "version", 3);
	assert_json_str(inst, "family", "ipv4");
	assert_json_str(inst, "interface", "eth0");
	assert_json_str(inst, "state", "MASTER");
	assert_json_str(inst, "mode", "unicast"); /* auto with peers known */
	assert_json_int(json_object_get(inst, "priority"), "configured", 150);
	assert_json_int(json_object_get(inst, "priority"), "effective", 140);
	assert_json_str(inst, "master", "10.0.0.11");
	assert_true(json_is_true(json_object_get(inst, "master_is_self")));
	assert_json_int(inst, "master_priority", 140);
	assert_string_equal(json_string_value(json_array_get(json_object_get(inst, "vips"), 0)),
			    "10.0.0.100/24");
	const json_t *peers = json_object_get(inst, "peers");
	assert_int_equal(json_array_size(peers), 2); /* own address dropped, sorted */
	assert_string_equal(json_string_value(json_array_get(peers, 0)), "10.0.0.12");
	assert_string_equal(json_string_value(json_array_get(peers, 1)), "10.0.0.13");
	assert_json_int(inst, "check_penalty", 10);
	assert_true(json_is_false(json_object_get(inst, "check_fault")));

	const json_t *last = json_object_get(inst, "last_transition");
	assert_json_str(last, "from", "BACKUP");
	assert_json_str(last, "to", "MASTER");
	assert_json_int(last, "unix_ms", NOW_MS - 12500);
	assert_json_int(last, "ago_ms", 12500);
	assert_json_str(last, "reason", "master down (no advert for 361 ms)");

	const json_t *counters = json_object_get(inst, "counters");
	assert_json_int(counters, "adverts_sent", 1234);
	assert_json_int(counters, "adverts_received", 56);
	assert_json_int(counters, "send_errors", 2);
	assert_json_int(counters, "transitions", 3);
	assert_json_int(counters, "announces_sent", 5);
	const json_t *rejects = json_object_get(counters, "rejects");
	assert_json_int(rejects, "ttl", 4);
	assert_json_int(rejects, "unknown_peer", 9);
	assert_json_int(rejects, "checksum", 0);
	assert_int_equal(json_object_size(rejects), VRRP_REJECT__COUNT - 1); /* every reason */

	const json_t *checks = json_object_get(inst, "checks");
	assert_int_equal(json_array_size(checks), 2);
	const json_t *c0 = json_array_get(checks, 0);
	assert_json_str(c0, "kind", "tcp");
	assert_json_str(c0, "label", "tcp:1");
	assert_true(json_is_false(json_object_get(c0, "healthy")));
	assert_json_int(c0, "runs", 7);
	assert_json_int(c0, "failures", 5);
	assert_json_str(c0, "last_error", "Connection refused");
	assert_true(json_is_true(json_object_get(json_array_get(checks, 1), "healthy")));
	json_decref(root);
}

static void test_json_backup_and_odd_instances(void **state)
{
	struct fixture *f = *state;
	json_t *root = render_parsed(&f->view);
	const json_t *backup = instance_at(root, 1);
	const json_t *odd = instance_at(root, 2);

	assert_json_str(backup, "state", "BACKUP");
	const json_t *conflict = json_object_get(backup, "vrid_conflict");
	assert_json_str(conflict, "from", "10.0.0.77");
	assert_json_int(conflict, "priority", 200);
	assert_json_int(conflict, "count", 2);
	assert_json_int(conflict, "ago_ms", 2000);
	const json_t *claimed = json_object_get(conflict, "addresses");
	assert_int_equal(json_array_size(claimed), 2);
	assert_string_equal(json_string_value(json_array_get(claimed, 1)), "10.0.0.201");
	assert_true(json_is_null(json_object_get(instance_at(root, 0), "vrid_conflict")));
	const json_t *held = json_object_get(backup, "address_conflict");
	assert_json_str(held, "address", "10.0.0.100");
	assert_json_str(held, "mac", "02:ab:00:00:00:99");
	assert_json_str(held, "action", "refuse");
	assert_true(json_is_true(json_object_get(held, "refusing")));
	assert_json_int(held, "ago_ms", 3000);
	assert_true(json_is_null(json_object_get(instance_at(root, 0), "address_conflict")));
	const json_t *counters = json_object_get(backup, "counters");
	assert_json_int(counters, "address_conflicts", 4);
	assert_json_int(counters, "conflict_probes_sent", 9);
	assert_json_str(backup, "mode", "multicast");
	assert_json_str(backup, "master", "10.0.0.12");
	assert_true(json_is_false(json_object_get(backup, "master_is_self")));
	assert_json_int(backup, "master_priority", 200);
	assert_true(json_is_null(json_object_get(backup, "last_transition")));
	assert_int_equal(json_array_size(json_object_get(backup, "checks")), 0);

	assert_json_str(odd, "name", "we\"ird\\na\nme");
	assert_json_str(odd, "family", "ipv6");
	assert_json_str(odd, "interface", "eth9"); /* from the settings: no iface yet */
	assert_json_str(odd, "state", "FAULT");
	assert_true(json_is_null(json_object_get(odd, "master")));
	assert_true(json_is_true(json_object_get(odd, "link_down")));
	const json_t *last = json_object_get(odd, "last_transition");
	assert_json_int(last, "ago_ms", 0);
	assert_json_str(last, "reason", "bad ?? byte");
	json_decref(root);
}

static void test_json_without_instances(void **state)
{
	(void)state;
	struct status_view view = { .started_unix_ms = NOW_MS }; /* NULL names, nothing known */
	json_t *root = render_parsed(&view);

	assert_json_str(root, "version", "");
	assert_true(json_is_false(json_object_get(root, "ready")));
	assert_json_str(json_object_get(root, "adapter"), "name", "");
	assert_int_equal(json_array_size(json_object_get(root, "instances")), 0);
	assert_int_equal(json_array_size(json_object_get(root, "interfaces")), 0);
	json_decref(root);
}

/* ---- metrics ---- */

static char *render_metrics(const struct status_view *view)
{
	size_t len = 0;
	char *text = status_render_metrics(view, &len);
	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_true(len > 0 && text[len - 1] == '\n');
	return text;
}

static bool has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static void assert_line(const char *text, const char *line)
{
	if (!has_line(text, line))
		fail_msg("metrics lack the line: %s", line);
}

#define NAME_RE "[a-zA-Z_:][a-zA-Z0-9_:]*"
#define LABEL_RE "[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\\n]|\\\\.)*\""

/* Every line is a HELP, a TYPE or a sample; every sample's family has HELP and TYPE before
 * it, and TYPE says counter for every *_total. */
static void assert_well_formed(char *text)
{
	regex_t help, type, sample;
	assert_int_equal(regcomp(&help, "^# HELP " NAME_RE " [^\n]+$", REG_EXTENDED | REG_NOSUB),
			 0);
	assert_int_equal(regcomp(&type, "^# TYPE (" NAME_RE ") (counter|gauge)$", REG_EXTENDED), 0);
	assert_int_equal(regcomp(&sample,
				 "^(" NAME_RE ")(\\{" LABEL_RE "(," LABEL_RE ")*\\})?"
				 " [0-9]+(\\.[0-9]+)?$",
				 REG_EXTENDED),
			 0);
	char family[128] = "", family_type[16] = "";
	size_t samples = 0;
	for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
		regmatch_t m[3];
		if (regexec(&help, line, 0, NULL, 0) == 0)
			continue;
		if (regexec(&type, line, 3, m, 0) == 0) {
			snprintf(family, sizeof(family), "%.*s", (int)(m[1].rm_eo - m[1].rm_so),
				 line + m[1].rm_so);
			snprintf(family_type, sizeof(family_type), "%.*s",
				 (int)(m[2].rm_eo - m[2].rm_so), line + m[2].rm_so);
			continue;
		}
		if (regexec(&sample, line, 2, m, 0) != 0)
			fail_msg("malformed metrics line: %s", line);
		if ((size_t)(m[1].rm_eo - m[1].rm_so) != strlen(family) ||
		    strncmp(line, family, strlen(family)) != 0)
			fail_msg("sample outside its family %s: %s", family, line);
		size_t n = strlen(family);
		bool total = n > 6 && strcmp(family + n - 6, "_total") == 0;
		if (total != (strcmp(family_type, "counter") == 0))
			fail_msg("%s has TYPE %s", family, family_type);
		samples++;
	}
	assert_true(samples > 0);
	regfree(&help);
	regfree(&type);
	regfree(&sample);
}

static void test_metrics_values(void **state)
{
	struct fixture *f = *state;
	char *text = render_metrics(&f->view);

	assert_line(text, "keepvip_up 1");
	assert_line(text, "keepvip_ready 1");
	assert_line(text, "keepvip_start_time_seconds 1764066489.000");
	assert_line(text, "keepvip_instance_state{instance=\"VI_51\",vrid=\"51\","
			  "state=\"MASTER\"} 1");
	assert_line(text, "keepvip_instance_state{instance=\"VI_51\",vrid=\"51\","
			  "state=\"BACKUP\"} 0");
	assert_line(text, "keepvip_instance_state{instance=\"VI_52\",vrid=\"52\","
			  "state=\"BACKUP\"} 1");
	assert_line(text, "keepvip_priority{instance=\"VI_51\",kind=\"configured\"} 150");
	assert_line(text, "keepvip_priority{instance=\"VI_51\",kind=\"effective\"} 140");
	assert_line(text, "keepvip_transitions_total{instance=\"VI_51\"} 3");
	assert_line(text, "keepvip_adverts_sent_total{instance=\"VI_51\"} 1234");
	assert_line(text, "keepvip_adverts_received_total{instance=\"VI_51\"} 56");
	assert_line(text, "keepvip_announces_total{instance=\"VI_51\"} 5");
	assert_line(text, "keepvip_send_errors_total{instance=\"VI_51\"} 2");
	assert_line(text, "keepvip_advert_rejects_total{interface=\"eth0\",instance=\"VI_51\","
			  "reason=\"ttl\"} 4");
	assert_line(text, "keepvip_advert_rejects_total{interface=\"eth0\",instance=\"\","
			  "reason=\"vrid\"} 17");
	assert_line(text, "keepvip_check_healthy{instance=\"VI_51\",check=\"tcp:1\"} 0");
	assert_line(text, "keepvip_check_healthy{instance=\"VI_51\",check=\"tcp:1#2\"} 1");
	assert_line(text, "keepvip_check_runs_total{instance=\"VI_51\",check=\"tcp:1\"} 7");
	assert_line(text, "keepvip_check_failures_total{instance=\"VI_51\",check=\"tcp:1\"} 5");
	assert_line(text, "keepvip_vrid_conflict{instance=\"VI_51\",vrid=\"51\"} 0");
	assert_line(text, "keepvip_vrid_conflict{instance=\"VI_52\",vrid=\"52\"} 1");
	assert_line(text, "keepvip_address_conflict{instance=\"VI_51\",vrid=\"51\"} 0");
	assert_line(text, "keepvip_address_conflict{instance=\"VI_52\",vrid=\"52\"} 1");
	assert_line(text, "keepvip_address_conflicts_total{instance=\"VI_52\"} 4");
	assert_line(text, "keepvip_conflict_probes_total{instance=\"VI_52\"} 9");
	assert_line(text, "keepvip_adapter_updates_total{adapter=\"static\"} 3");
	assert_line(text, "keepvip_adapter_errors_total{adapter=\"static\"} 1");
	/* quote, backslash and line feed escaped */
	assert_line(text,
		    "keepvip_priority{instance=\"we\\\"ird\\\\na\\nme\",kind=\"effective\"} 90");
	assert_line(text, "# TYPE keepvip_advert_rejects_total counter");
	assert_line(text, "# TYPE keepvip_instance_state gauge");
	free(text);
}

static void test_metrics_well_formed(void **state)
{
	struct fixture *f = *state;
	char *text = render_metrics(&f->view);
	assert_well_formed(text);
	free(text);

	struct status_view empty = { 0 };
	text = render_metrics(&empty);
	assert_well_formed(text);
	free(text);
}

/* ---- promtool ---- */

static bool promtool_present(void)
{
	return system("command -v promtool >/dev/null 2>&1") == 0;
}

/* Runs `promtool check metrics` with text on its stdin; returns its exit status. */
static int promtool_check(const char *text)
{
	char path[] = "/tmp/keepvip-metrics-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	size_t len = strlen(text);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s", path);
	int status = system(cmd);
	unlink(path);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_promtool_accepts_metrics(void **state)
{
	struct fixture *f = *state;
	if (!promtool_present()) {
		const char *ci = getenv("CI");
		if (ci != NULL && (strcmp(ci, "true") == 0 || strcmp(ci, "1") == 0))
			fail_msg("promtool is missing (apt-get install prometheus)");
		skip();
	}
	char *text = render_metrics(&f->view);
	assert_int_equal(promtool_check(text), 0);
	free(text);
	struct status_view empty = { .adapter_name = "static" };
	text = render_metrics(&empty);
	assert_int_equal(promtool_check(text), 0);
	free(text);
	/* and promtool does fail on what it should: a counter without _total, no HELP */
	assert_int_not_equal(promtool_check("# TYPE keepvip_x counter\nkeepvip_x 1\n"), 0);
}

/* ---- the summary of `keepvip status` ---- */

static char *summary_of(const struct status_view *view)
{
	char *text = status_render_json(view, NOW_MS), *out = NULL, err[256] = "";
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	assert_non_null(text);
	assert_non_null(mem);
	if (status_summary_print(text, mem, err, sizeof(err)) != 0)
		fail_msg("summary: %s", err);
	fclose(mem);
	free(text);
	return out;
}

static void test_summary_lines(void **state)
{
	struct fixture *f = *state;
	f->view.n_instances = 2;
	char *out = summary_of(&f->view);

	assert_line(out, "keepvip 0.1.0  up 1h2m  ready  adapter static (3 updates, 1 errors)");
	assert_line(out, "VI_51  MASTER  prio 140/150  master 10.0.0.11  peers 2  "
			 "last change 12s ago: master down (no advert for 361 ms)");
	assert_line(out, "VI_52  BACKUP  prio 100/100  master 10.0.0.12  peers 0  no change yet");
	assert_line(out, "    check tcp:1  UNHEALTHY  runs 7  failures 5  "
			 "last error: Connection refused");
	assert_line(out, "    check tcp:1  healthy  runs 0  failures 0");
	free(out);
}

/* A name with a line feed stays on one line; no master known shows "-". */
static void test_summary_cleans_control_characters(void **state)
{
	struct fixture *f = *state;
	f->view.instances = &f->by_slot[2];
	f->view.n_instances = 1;
	char *out = summary_of(&f->view);

	assert_line(out, "we\"ird\\na?me  FAULT   prio 90/90  master -  peers 0  "
			 "last change 0s ago: bad ?? byte");
	assert_line(out, "    interface down");
	free(out);
}

static void test_summary_rejects_other_documents(void **state)
{
	(void)state;
	char err[256] = "";
	FILE *devnull = fopen("/dev/null", "w");
	assert_non_null(devnull);
	assert_int_equal(status_summary_print("{\"ok\":true}", devnull, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a keepvip status document"));
	assert_int_equal(status_summary_print("<html>", devnull, err, sizeof(err)), -EINVAL);
	fclose(devnull);
}

static void test_duration_text(void **state)
{
	(void)state;
	char buf[32];
	assert_string_equal(status_duration_str(-5, buf, sizeof(buf)), "0s");
	assert_string_equal(status_duration_str(12999, buf, sizeof(buf)), "12s");
	assert_string_equal(status_duration_str(303000, buf, sizeof(buf)), "5m3s");
	assert_string_equal(status_duration_str(7440000, buf, sizeof(buf)), "2h4m");
	assert_string_equal(status_duration_str(266400000, buf, sizeof(buf)), "3d2h");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json_daemon_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_master_instance, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_backup_and_odd_instances, setup,
						teardown),
		cmocka_unit_test(test_json_without_instances),
		cmocka_unit_test_setup_teardown(test_metrics_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_well_formed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_promtool_accepts_metrics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_cleans_control_characters, setup,
						teardown),
		cmocka_unit_test(test_summary_rejects_other_documents),
		cmocka_unit_test(test_duration_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
