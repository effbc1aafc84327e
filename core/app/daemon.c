/* daemon.c — `keepvip run`: one thread, one loop. */
#include "daemon.h"

#include "instance.h"
#include "log.h"
#include "loop.h"
#include "netlink.h"
#include "realtime.h"
#include "reload_plan.h"
#include "sd_notify.h"
#include "status_render.h"
#include "status_server.h"
#include "vrrp_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <time.h>

#ifndef KEEPVIP_VERSION
#define KEEPVIP_VERSION "0.0.0"
#endif

#define MAX_IFACES 16
#define OWN_ADDRS_MAX 256
#define RX_BUF_LEN 8192

struct daemon;

/* What the loop hands back when a VRRP socket is readable. */
struct sock_handle {
	struct daemon *d;
	struct iface *ifc;
};

struct daemon {
	const struct settings *settings;
	struct settings *reloaded;          /* owned: settings from the last good SIGHUP */
	daemon_reload_fn reload;
	void *reload_ctx;
	struct nl_link_watch *link_watch;
	bool failed;                        /* a runtime failure: exit 1 */
	struct status_server *status;       /* NULL when status_addr is "off" */
	struct status_view view;            /* what /status and /metrics show */
	int64_t started_unix_ms;
	struct loop *loop;
	struct nl_ctx *nl;
	struct iface ifaces[MAX_IFACES];
	size_t n_ifaces;
	struct instance **instances;        /* each one owned; stable while it runs (timers,
					     * by_vrid and callbacks point at it) */
	size_t n_instances;
	struct adapter *adapter;
	struct adapter_override applied[ADAPTER_MAX_OVERRIDES]; /* adapter settings in effect */
	size_t n_applied;
	struct ip_addr own[OWN_ADDRS_MAX];  /* this host's addresses: never our own peer */
	size_t n_own;
	struct sock_handle sock_handles[MAX_IFACES][2];
	struct loop_timer watchdog;         /* WATCHDOG=1 every half period (systemd) */
	uint64_t watchdog_interval_us;      /* 0: the unit enables no watchdog */
	uint8_t rx_buf[RX_BUF_LEN];
};

/* ---- receive path ----------------------------------------------------------------- */

/* A drop before any instance could be named: counted on the interface. */
static void count_iface_reject(struct iface *ifc, enum vrrp_reject reason,
			       const struct vrrp_rx_meta *meta)
{
	ifc->rejects[reason]++;
	if (reason != VRRP_REJECT_VRID) /* other virtual routers on the link are normal */
		reject_log_line(&ifc->reject_log, ifc->name, reason, meta);
}

/* Decode once at the edge (STYLE.md habit 1), then hand the struct to its instance. */
static void dispatch(struct iface *ifc, const uint8_t *msg, size_t len,
		     const struct vrrp_rx_meta *meta)
{
	struct vrrp_advert adv;
	enum vrrp_reject reason = vrrp_decode(msg, len, meta, &adv);
	struct instance *inst = NULL;

	if (len >= 2)
		inst = ifc->by_vrid[meta->family == AF_INET6 ? 1 : 0][msg[1]];
	if (reason == VRRP_ACCEPT && inst == NULL)
		reason = VRRP_REJECT_VRID;
	if (reason == VRRP_ACCEPT) {
		instance_on_advert(inst, &adv, meta);
		return;
	}
	/* Counted once: on the instance the VRID byte names, else on the interface. */
	if (inst != NULL)
		instance_count_reject(inst, reason, meta);
	else
		count_iface_reject(ifc, reason, meta);
}

static void drain_socket(struct daemon *d, struct iface *ifc, struct vrrp_sock *sock)
{
	for (;;) {
		const uint8_t *msg;
		size_t len;
		struct vrrp_rx_meta meta;
		int rc = vrrp_sock_recv(sock, d->rx_buf, sizeof(d->rx_buf), &msg, &len, &meta);
		if (rc == -EAGAIN || rc == -EWOULDBLOCK || rc == -EINTR)
			return;
		if (rc == -EBADMSG || rc == -EMSGSIZE) {
			ifc->rejects[VRRP_REJECT_TOO_SHORT]++;
			continue;
		}
		if (rc < 0) {
			log_warn(ifc->name, "receive: %s", strerror(-rc));
			return;
		}
		dispatch(ifc, msg, len, &meta);
	}
}

static void on_sock_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	struct sock_handle *h = arg;
	struct vrrp_sock *sock = fd == h->ifc->sock4.fd ? &h->ifc->sock4 : &h->ifc->sock6;
	drain_socket(h->d, h->ifc, sock);
}

/* ---- interfaces ------------------------------------------------------------------- */

static struct iface *find_iface(struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->n_ifaces; i++)
		if (strcmp(d->ifaces[i].name, name) == 0)
			return &d->ifaces[i];
	return NULL;
}

static int open_iface(struct daemon *d, const char *name, struct iface **out, char *err,
		      size_t err_len)
{
	struct iface *ifc = find_iface(d, name);
	if (ifc != NULL) {
		*out = ifc;
		return 0;
	}
	if (d->n_ifaces == MAX_IFACES) {
		snprintf(err, err_len, "interface %s: more than %d interfaces", name, MAX_IFACES);
		return -E2BIG;
	}
	struct nl_link_info info;
	int rc = nl_link_info(d->nl, name, &info, err, err_len);
	if (rc < 0)
		return rc;
	ifc = &d->ifaces[d->n_ifaces++];
	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->ifindex = info.ifindex;
	memcpy(ifc->mac, info.mac, 6);
	ifc->sock4.fd = ifc->sock6.fd = -1;
	announcer_init(&ifc->announcer, ifc->ifindex, ifc->mac);
	addr_prober_init(&ifc->prober, ifc->ifindex, ifc->mac);
	log_ratelimit_init(&ifc->reject_log, 10000000u, 5);
	*out = ifc;
	return 0;
}

static int open_family_socket(struct daemon *d, struct iface *ifc, sa_family_t family,
			      char *err, size_t err_len)
{
	struct vrrp_sock *sock = family == AF_INET6 ? &ifc->sock6 : &ifc->sock4;
	if (sock->fd >= 0)
		return 0;
	int rc = vrrp_sock_open(sock, family, ifc->name, ifc->ifindex, err, err_len);
	if (rc < 0) {
		vrrp_sock_close(sock);
		return rc;
	}
	struct sock_handle *h = &d->sock_handles[ifc - d->ifaces][family == AF_INET6];
	h->d = d;
	h->ifc = ifc;
	rc = loop_io_add(d->loop, sock->fd, EPOLLIN, on_sock_readable, h);
	if (rc < 0)
		snprintf(err, err_len, "epoll add for %s: %s", ifc->name, strerror(-rc));
	return rc;
}

/* KEEPVIP_INTERFACE=auto: the interface whose subnet holds the VIP, else the default route's. */
static int resolve_interface(struct daemon *d, const struct instance_settings *cfg,
			     char name[IF_NAMESIZE], char *err, size_t err_len)
{
	if (cfg->interface[0] != '\0') {
		snprintf(name, IF_NAMESIZE, "%s", cfg->interface);
		return 0;
	}
	int rc = nl_link_find_for_addr(d->nl, &cfg->vips[0].addr, name, err, err_len);
	if (rc == 0)
		log_info(cfg->name, "interface auto: using %s", name);
	return rc;
}

static void collect_own_addresses(struct daemon *d)
{
	struct nl_addr_entry entries[OWN_ADDRS_MAX];
	size_t n = 0;
	d->n_own = 0;
	if (nl_addr_list(d->nl, 0, AF_UNSPEC, entries, OWN_ADDRS_MAX, &n) < 0)
		return;
	for (size_t i = 0; i < n && d->n_own < OWN_ADDRS_MAX; i++)
		d->own[d->n_own++] = entries[i].addr;
}

/* Undoes instance_init (or a stopped instance) and frees it; accepts NULL. */
static void free_instance(struct instance *inst)
{
	instance_cleanup(inst);
	free(inst);
}

/* Shutdown (a master sends priority 0 and releases its VIPs), then free. */
static void drop_instance(struct instance *inst)
{
	instance_shutdown(inst);
	free_instance(inst);
}

/* Builds the instance for cfg (its interface and socket opened when new), not started.
 * 0, or negative errno with err saying why. */
static int build_instance(struct daemon *d, const struct instance_settings *cfg,
			  struct instance **out, char *err, size_t err_len)
{
	char ifname[IF_NAMESIZE];
	struct iface *ifc = NULL;
	int rc = resolve_interface(d, cfg, ifname, err, err_len);
	if (rc == 0)
		rc = open_iface(d, ifname, &ifc, err, err_len);
	if (rc == 0)
		rc = open_family_socket(d, ifc, cfg->family, err, err_len);
	if (rc < 0)
		return rc;
	struct instance *inst = calloc(1, sizeof(*inst));
	if (inst == NULL) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	rc = instance_init(inst, cfg, ifc, d->loop, d->nl, d->own, d->n_own, err, err_len);
	if (rc < 0) {
		free_instance(inst);
		return rc;
	}
	if (cfg->vrid_derived)
		log_info(cfg->name, "VRID %u derived from the first VIP", cfg->vrid);
	*out = inst;
	return 0;
}

static int setup_instances(struct daemon *d)
{
	char err[512];
	d->instances = calloc(d->settings->n_instances, sizeof(*d->instances));
	if (d->instances == NULL) {
		log_error(NULL, "out of memory for %zu instances", d->settings->n_instances);
		return -ENOMEM;
	}
	collect_own_addresses(d);
	for (size_t i = 0; i < d->settings->n_instances; i++) {
		const struct instance_settings *cfg = &d->settings->instances[i];
		int rc = build_instance(d, cfg, &d->instances[i], err, sizeof(err));
		if (rc < 0) {
			log_error(cfg->name, "%s", err);
			return rc;
		}
		d->n_instances = i + 1;
	}
	return 0;
}

/* ---- adapter ---------------------------------------------------------------------- */

static void reload_now(struct daemon *d, const struct adapter_discovery *known, const char *why);

/* The settings an adapter provides, as the running ones were built with. */
static void remember_applied(struct daemon *d, const struct adapter_discovery *disc)
{
	d->n_applied = disc ? disc->n_overrides : 0;
	if (d->n_applied > 0)
		memcpy(d->applied, disc->overrides, d->n_applied * sizeof(d->applied[0]));
}

/* Compared as text: the bytes after each string's end are not part of it. */
static bool applied_differ(const struct daemon *d, const struct adapter_discovery *disc)
{
	if (disc->n_overrides != d->n_applied)
		return true;
	for (size_t i = 0; i < d->n_applied; i++)
		if (strcmp(disc->overrides[i].env_name, d->applied[i].env_name) != 0 ||
		    strcmp(disc->overrides[i].value, d->applied[i].value) != 0)
			return true;
	return false;
}

/* The adapter's peers to every instance that does not pin its own; they apply at the next
 * advert. disc NULL: the adapter has not answered yet. */
static void apply_adapter_peers(struct daemon *d, const struct adapter_discovery *disc)
{
	struct ip_addr own[OWN_ADDRS_MAX + 1];
	size_t n_own = d->n_own;

	if (disc == NULL)
		return;
	memcpy(own, d->own, n_own * sizeof(own[0]));
	if (disc->has_self)
		own[n_own++] = disc->self;
	for (size_t i = 0; i < d->n_instances; i++)
		instance_set_peers(d->instances[i], disc->peers, disc->n_peers, own, n_own);
}

/* New peers apply at the next advert; new settings from the adapter take the SIGHUP path. */
static void on_adapter_update(void *arg, const struct adapter_discovery *disc)
{
	struct daemon *d = arg;
	apply_adapter_peers(d, disc);
	if (applied_differ(d, disc)) {
		remember_applied(d, disc); /* before reloading: its restart path calls back here */
		reload_now(d, disc, "adapter settings");
	}
}

/* ---- link tracking ---------------------------------------------------------------- */

static void on_link_event(const struct nl_link_event *ev, void *arg)
{
	struct daemon *d = arg;
	bool up = ev->up && ev->running && !ev->removed;
	for (size_t i = 0; i < d->n_instances; i++)
		if (d->instances[i]->iface->ifindex == ev->ifindex)
			instance_link_changed(d->instances[i], up);
}

/* The link state of an instance's interface as it is now: at start (a daemon started on a
 * down link begins in FAULT) and after link events were lost. */
static void apply_link_state(struct daemon *d, struct instance *inst)
{
	struct nl_link_info info;
	if (nl_link_info(d->nl, inst->iface->name, &info, NULL, 0) == 0)
		instance_link_changed(inst, info.up && info.running);
}

static void on_link_readable(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)fd;
	(void)events;
	struct daemon *d = arg;
	if (nl_link_watch_drain(d->link_watch) != -ENOBUFS)
		return; /* every change was reported through on_link_event */
	log_warn(NULL, "netlink: link events lost; re-reading link states");
	for (size_t i = 0; i < d->n_instances; i++)
		apply_link_state(d, d->instances[i]);
}

static int watch_links(struct daemon *d)
{
	char err[256];
	int rc = nl_link_watch_open(&d->link_watch, on_link_event, d, err, sizeof(err));
	if (rc < 0) {
		log_error(NULL, "%s", err);
		return rc;
	}
	rc = loop_io_add(d->loop, nl_link_watch_fd(d->link_watch), EPOLLIN, on_link_readable, d);
	if (rc < 0)
		log_error(NULL, "epoll add for link events: %s", strerror(-rc));
	return rc;
}

/* ---- SIGHUP: settings reload -------------------------------------------------------- */

/* One reload, planned per instance slot (reload_plan.h); slots match by position, a slot
 * past the running ones is new (built like a restart), a running one past the new ones goes. */
struct reload {
	const char *why;                 /* "SIGHUP" or "adapter settings" */
	const struct settings *next;
	enum reload_plan *plans;         /* [next->n_instances] */
	struct instance **slots;         /* [next->n_instances]: the instances after the reload */
	size_t restarted, added, removed;
};

/* A slot whose instance is built anew: restarted, or new (planned as a restart). */
static bool slot_is_built(const struct reload *r, size_t i)
{
	return r->plans[i] == RELOAD_RESTART;
}

/* Everything that may fail, before anything that runs changes: the new instances are built
 * (not started) next to the running ones, the kept ones take what their new settings need.
 * 0, or negative errno with err naming the instance. */
static int reload_build(struct daemon *d, struct reload *r, char *err, size_t err_len)
{
	char why[384]; /* room left in err for the name */
	bool own_collected = false;
	for (size_t i = 0; i < r->next->n_instances; i++) {
		const struct instance_settings *cfg = &r->next->instances[i];
		int rc;
		r->plans[i] = i < d->n_instances ? reload_plan(d->instances[i]->cfg, cfg)
						 : RELOAD_RESTART;
		if (slot_is_built(r, i)) {
			if (!own_collected)
				collect_own_addresses(d);
			own_collected = true;
			rc = build_instance(d, cfg, &r->slots[i], why, sizeof(why));
		} else {
			rc = instance_reload_prepare(d->instances[i], cfg, why, sizeof(why));
			r->slots[i] = d->instances[i];
		}
		if (rc < 0) {
			snprintf(err, err_len, "%s: %s", cfg->name, why);
			return rc;
		}
	}
	return 0;
}

/* Nothing that runs changed: the built instances go, the kept ones give back what they took. */
static void reload_abandon(struct reload *r)
{
	for (size_t i = 0; r->slots != NULL && i < r->next->n_instances; i++) {
		if (r->slots[i] == NULL)
			continue;
		if (slot_is_built(r, i))
			free_instance(r->slots[i]);
		else
			instance_reload_abandon(r->slots[i]);
	}
}

/* The old instances that are replaced or removed stop (priority 0 from a master), the kept
 * ones take their new settings, then the new ones start with the adapter's peers. */
static void reload_commit(struct daemon *d, struct reload *r)
{
	size_t n_next = r->next->n_instances;
	char why[256];

	for (size_t i = 0; i < d->n_instances; i++) {
		const struct instance_settings *cfg = d->instances[i]->cfg;
		if (i < n_next && r->plans[i] != RELOAD_RESTART)
			continue;
		if (i < n_next) {
			log_info(cfg->name, "restarting (%s changed)",
				 reload_plan_why(cfg, &r->next->instances[i], why, sizeof(why)));
			r->restarted++;
		} else {
			log_info(cfg->name, "removed by the new settings");
			r->removed++;
		}
		drop_instance(d->instances[i]);
	}
	for (size_t i = 0; i < n_next; i++) {
		const struct instance_settings *cfg = &r->next->instances[i];
		if (i >= d->n_instances) {
			log_info(cfg->name, "added by the new settings");
			r->added++;
		}
		if (slot_is_built(r, i))
			continue;
		if (r->plans[i] == RELOAD_REJOIN)
			log_info(cfg->name, "rejoined (%s changed): state kept",
				 reload_plan_why(r->slots[i]->cfg, cfg, why, sizeof(why)));
		instance_reconfigure(r->slots[i], cfg, d->own, d->n_own);
	}
	free(d->instances);
	d->instances = r->slots;
	d->n_instances = n_next;
	r->slots = NULL;
	/* The adapter reads the new settings; its last answer goes to every instance at once
	 * (peers unpinned by this reload, new instances), before a new one sends anything. */
	adapter_settings_changed(d->adapter, r->next);
	apply_adapter_peers(d, adapter_last(d->adapter));
	for (size_t i = 0; i < n_next; i++) {
		if (!slot_is_built(r, i))
			continue;
		instance_start(d->instances[i]);
		apply_link_state(d, d->instances[i]);
	}
}

/* STYLE.md habit 9: the new settings are validated whole, and every new instance is built,
 * before anything changes; on a failure the running instances and settings stay.
 * known: the adapter's answer to build them with; why: "SIGHUP" or "adapter settings". */
static void reload_now(struct daemon *d, const struct adapter_discovery *known, const char *why)
{
	char err[SETTINGS_ERR_LEN];
	struct settings *next = calloc(1, sizeof(*next));
	int rc = next ? d->reload(d->reload_ctx, known, next, err, sizeof(err)) : -ENOMEM;
	struct reload r = { .why = why, .next = next };
	if (rc == 0) {
		r.plans = calloc(next->n_instances, sizeof(*r.plans));
		r.slots = calloc(next->n_instances, sizeof(*r.slots));
		rc = r.plans && r.slots ? reload_build(d, &r, err, sizeof(err)) : -ENOMEM;
		if (rc < 0)
			reload_abandon(&r);
	}
	if (rc < 0) {
		log_error("settings", "%s: %s; keeping the running settings", why,
			  rc == -ENOMEM ? "out of memory" : err);
		free(r.plans);
		free(r.slots);
		free(next);
		return;
	}
	log_setup(next->log_format, next->log_level);
	if (next->realtime_priority != d->settings->realtime_priority)
		log_warn("settings", "%s: realtime_priority %u -> %u applies at the next start",
			 why, d->settings->realtime_priority, next->realtime_priority);
	reload_commit(d, &r);
	if (r.restarted + r.added + r.removed == 0)
		log_info("settings", "%s: settings reloaded in place", why);
	else
		log_info("settings", "%s: settings reloaded; instances changed (name, VRID, "
				     "interface, VIPs or version): %zu restarted, %zu added, %zu removed",
			 why, r.restarted, r.added, r.removed);
	free(r.plans);
	free(d->reloaded);
	d->reloaded = next;
	d->settings = next;
}

static void on_hangup(struct loop *loop, int signo, void *arg)
{
	(void)loop;
	(void)signo;
	struct daemon *d = arg;
	reload_now(d, d->adapter ? adapter_last(d->adapter) : NULL, "SIGHUP");
}

/* ---- signals ---------------------------------------------------------------------- */

static void stop_instances(struct daemon *d);
static void on_watchdog(struct loop *loop, void *arg);

static void on_stop_signal(struct loop *loop, int signo, void *arg)
{
	struct daemon *d = arg;
	log_info(NULL, "%s: shutting down", strsignal(signo));
	/* systemd: the stop has begun (the goodbye adverts go out next). */
	sd_notify_send("STOPPING=1");
	loop_timer_cancel(loop, &d->watchdog);
	stop_instances(d);
	loop_stop(loop);
}

/* ---- status ---------------------------------------------------------------------- */

static const struct status_view *status_view_of(void *arg)
{
	struct daemon *d = arg;
	struct status_view *v = &d->view;
	*v = (struct status_view){
		.instances = d->instances,
		.n_instances = d->n_instances,
		.ifaces = d->ifaces,
		.n_ifaces = d->n_ifaces,
		.adapter_name = d->adapter ? adapter_name(d->adapter) : NULL,
		.ready = d->n_instances > 0 && !d->failed,
		.started_unix_ms = d->started_unix_ms,
		.version = KEEPVIP_VERSION,
	};
	if (d->adapter != NULL)
		adapter_counts(d->adapter, &v->adapter_updates, &v->adapter_errors);
	return v;
}

static int start_status_server(struct daemon *d)
{
	char err[256];
	if (strcmp(d->settings->status_addr, "off") == 0)
		return 0;
	int rc = status_server_start(d->loop, d->settings->status_addr, status_view_of, d,
				     &d->status, err, sizeof(err));
	if (rc < 0)
		log_error(NULL, "%s", err);
	return rc;
}

/* ---- systemd: readiness and watchdog (Type=notify, WatchdogSec=) --------------------- */

/* A failed send is logged once per kind of message at debug level: a daemon run by hand
 * outside systemd has no NOTIFY_SOCKET and sends nothing at all. */
static void notify_systemd(const char *state)
{
	int rc = sd_notify_send(state);
	if (rc < 0)
		log_debug(NULL, "sd_notify %.*s: %s", (int)strcspn(state, "\n"), state,
			  strerror(-rc));
}

static void on_watchdog(struct loop *loop, void *arg)
{
	struct daemon *d = arg;
	notify_systemd("WATCHDOG=1");
	loop_timer_arm(loop, &d->watchdog, loop_now_us() + d->watchdog_interval_us);
}

/* READY=1 once every instance has started (its first election timer armed: RFC 5798 §6.4.1
 * Master_Down_Timer, or the master's first advert); the watchdog pings from a loop timer at
 * half the unit's WatchdogSec, as sd_watchdog_enabled(3) advises, so a stuck loop stops them. */
static void notify_ready(struct daemon *d)
{
	char state[160];
	snprintf(state, sizeof(state), "READY=1\nSTATUS=running %zu instance(s), adapter %s",
		 d->n_instances, adapter_name(d->adapter));
	notify_systemd(state);
	uint64_t period = sd_watchdog_enabled_us();
	if (period == 0)
		return;
	d->watchdog_interval_us = period / 2;
	on_watchdog(d->loop, d);
	log_info(NULL, "systemd watchdog: a ping every %" PRIu64 " ms",
		 d->watchdog_interval_us / 1000);
}

/* ---- lifecycle -------------------------------------------------------------------- */

/* Shutdown of every instance: masters send priority 0 and release their VIPs. */
static void stop_instances(struct daemon *d)
{
	for (size_t i = 0; i < d->n_instances; i++)
		drop_instance(d->instances[i]);
	free(d->instances);
	d->instances = NULL;
	d->n_instances = 0;
}

static void start_instances(struct daemon *d)
{
	if (setup_instances(d) < 0) {
		stop_instances(d);
		loop_stop(d->loop);
		d->failed = true;
		return;
	}
	apply_adapter_peers(d, d->adapter ? adapter_last(d->adapter) : NULL);
	for (size_t i = 0; i < d->n_instances; i++) {
		instance_start(d->instances[i]);
		apply_link_state(d, d->instances[i]);
	}
}

static void daemon_cleanup(struct daemon *d)
{
	status_server_free(d->status);
	adapter_close(d->adapter);
	nl_link_watch_close(d->link_watch);
	for (size_t i = 0; i < d->n_instances; i++)
		free_instance(d->instances[i]);
	free(d->instances);
	free(d->reloaded);
	for (size_t i = 0; i < d->n_ifaces; i++) {
		vrrp_sock_close(&d->ifaces[i].sock4);
		vrrp_sock_close(&d->ifaces[i].sock6);
		announcer_close(&d->ifaces[i].announcer);
		iface_prober_close(&d->ifaces[i]);
	}
	nl_ctx_close(d->nl);
	loop_free(d->loop);
}

/* The timers carry RFC 5798 deadlines (Master_Down_Interval, §6.4.2; at 10 ms adverts it is
 * 36 ms): a wakeup should not wait for the default 50 µs timer slack. */
static void tighten_timer_slack(void)
{
	if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) < 0)
		log_debug(NULL, "prctl(PR_SET_TIMERSLACK): %s", strerror(errno));
}

static int daemon_setup(struct daemon *d, const struct adapter_ops *ops,
			const struct adapter_ctx *actx, const struct adapter_discovery *first)
{
	char err[512];
	tighten_timer_slack();
	realtime_apply(d->settings->realtime_priority); /* not fatal: realtime.h says why */
	int rc = loop_new(&d->loop);
	if (rc < 0) {
		log_error(NULL, "event loop: %s", strerror(-rc));
		return rc;
	}
	loop_timer_init(&d->watchdog, on_watchdog, d);
	rc = nl_ctx_open(&d->nl, err, sizeof(err));
	if (rc < 0) {
		log_error(NULL, "%s", err);
		return rc;
	}
	if ((rc = loop_signal_add(d->loop, SIGTERM, on_stop_signal, d)) < 0 ||
	    (rc = loop_signal_add(d->loop, SIGINT, on_stop_signal, d)) < 0 ||
	    (rc = loop_signal_add(d->loop, SIGHUP, on_hangup, d)) < 0) {
		log_error(NULL, "signalfd: %s", strerror(-rc));
		return rc;
	}
	rc = watch_links(d);
	if (rc < 0)
		return rc;

	struct adapter_ctx ctx = *actx;
	ctx.loop = d->loop;
	rc = adapter_open(ops, &ctx, first, on_adapter_update, d, &d->adapter, err, sizeof(err));
	if (rc < 0) {
		log_error("adapter", "%s", err);
		return rc;
	}
	adapter_start(d->adapter);
	return start_status_server(d);
}

int daemon_run(const struct settings *settings, const struct adapter_ops *adapter_ops,
	       const struct adapter_ctx *adapter_ctx, const struct adapter_discovery *first,
	       daemon_reload_fn reload, void *reload_ctx)
{
	struct daemon *d = calloc(1, sizeof(*d));
	if (d == NULL) {
		log_error(NULL, "out of memory");
		return 1;
	}
	d->settings = settings;
	d->reload = reload;
	d->reload_ctx = reload_ctx;
	remember_applied(d, first);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	d->started_unix_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	int rc = daemon_setup(d, adapter_ops, adapter_ctx, first);
	if (rc == 0) {
		start_instances(d);
		if (!d->failed) {
			log_info(NULL, "running %zu instance(s), adapter %s", d->n_instances,
				 adapter_name(d->adapter));
			notify_ready(d);
			rc = loop_run(d->loop);
		}
		if (rc < 0)
			log_error(NULL, "event loop: %s", strerror(-rc));
	}
	/* a daemon that fails half-way must not leave a VIP behind */
	stop_instances(d);
	bool failed = d->failed || rc < 0;
	daemon_cleanup(d);
	free(d);
	return failed ? 1 : 0;
}
