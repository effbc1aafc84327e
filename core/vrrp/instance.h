/* instance.h — one virtual router: owns its state machine, its timers, its VIPs and its
 * peers, and executes the actions the pure state machine asks for (send, add/remove VIPs,
 * announce, log). Sockets and the announcer belong to the interface (struct iface) and are
 * shared by every instance on it. */
#ifndef KEEPVIP_INSTANCE_H
#define KEEPVIP_INSTANCE_H

#include "addr_conflict.h"
#include "addr_prober.h"
#include "announce.h"
#include "log.h"
#include "loop.h"
#include "peers.h"
#include "settings.h"
#include "vrid_conflict.h"
#include "vrrp_fsm.h"
#include "vrrp_sock.h"
#include "vrrp_wire.h"

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct nl_ctx;
struct instance;
struct check_runner;
struct notifier;

/* One interface with everything the instances on it share. Owned by the daemon. */
struct iface {
	char name[IF_NAMESIZE];
	int ifindex;
	uint8_t mac[6];
	struct vrrp_sock sock4, sock6;           /* fd -1 when that family is unused */
	struct announcer announcer;
	struct addr_prober prober;               /* address-conflict probes; opened by the first
						  * instance that checks (instance_guard.c) */
	struct loop *prober_loop;                /* where prober.fd is registered, or NULL */
	struct instance *by_vrid[2][256];        /* [0] IPv4, [1] IPv6: demultiplexing */
	uint64_t rejects[VRRP_REJECT__COUNT];    /* drops before an instance was known */
	struct log_ratelimit reject_log;
};

struct instance_counters {
	uint64_t adverts_sent;
	uint64_t adverts_received;   /* accepted */
	uint64_t send_errors;
	uint64_t transitions;
	uint64_t announces_sent;     /* gratuitous ARPs + unsolicited NAs */
	uint64_t conflict_probes_sent; /* ARP probes + DAD-style NSs */
	uint64_t address_conflicts;  /* claims of our VIPs by another host (addr_conflict.h) */
	uint64_t rejects[VRRP_REJECT__COUNT];
};

struct instance {
	const struct instance_settings *cfg; /* not owned: in the daemon's settings, which outlive
					      * the instance (a reload re-points it) */
	struct iface *iface;              /* not owned */
	struct loop *loop;                /* not owned */
	struct nl_ctx *nl;                /* not owned */
	struct vrrp_fsm fsm;
	struct loop_timer fsm_timer;      /* armed at vrrp_fsm_next_deadline() */
	struct loop_timer announce_timer; /* repeats of the gratuitous ARP / NA */
	unsigned announces_left;
	struct peer_set peers;            /* effective unicast peers */
	bool peer_group_form[PEERS_MAX];  /* peers[i] checksums in the old keepalived form: answer
					   * in kind, as keepalived 2.x does */
	struct ip_addr src_group;         /* source of group (multicast) adverts */
	struct ip_addr src_global;        /* source of unicast adverts to non-link-local peers */
	bool vips_held;
	bool in_group;                    /* holds one vrrp_sock_join_group() on its socket */
	struct check_runner *checks;      /* owned; NULL without checks */
	struct notifier *notifier;        /* owned; NULL without notify */
	bool check_fault;                 /* a weight-0 check is failing */
	bool link_down;                   /* the interface is down or has no carrier */
	unsigned check_penalty;           /* sum of the weights of failing weighted checks */
	/* the last state change, for logs and /status */
	uint64_t last_transition_us;      /* loop_now_us() */
	int64_t last_transition_unix_ms;  /* wall clock */
	enum vrrp_state last_from;
	char last_reason[128];
	struct instance_counters counters;
	struct log_ratelimit reject_log;
	struct vrid_conflict vrid_conflict; /* another VRRP group's adverts on our VRID */
	/* instance_guard.c: the announce refresh and the address-conflict probes */
	struct loop_timer refresh_timer;  /* one announce every garp_refresh_s while master */
	struct loop_timer probe_timer;    /* a probe round every conflict_check_s */
	struct loop_timer settle_timer;   /* claims judged one Master_Down_Interval later */
	struct addr_conflict addr_conflict;
	int64_t addr_conflict_unix_ms;    /* wall clock of the last conflicting verdict */
	struct log_ratelimit conflict_log;
};

/* Sets up inst for cfg on iface (source addresses, group membership, notify); nothing is
 * sent and adverts are not dispatched to it until instance_start, so a reload can build it
 * while the instance it replaces still runs. own: this host's addresses, dropped from pinned
 * peers. Returns 0 or negative errno (err says why: no usable source address, ...); then
 * instance_cleanup() undoes what was done. */
int instance_init(struct instance *inst, const struct instance_settings *cfg,
		  struct iface *iface, struct loop *loop, struct nl_ctx *nl,
		  const struct ip_addr *own, size_t n_own, char *err, size_t err_len);

/* Takes the instance's VRID on its interface (adverts reach it from now on), removes VIPs
 * left behind by a crash, then runs Startup (RFC 5798 §6.4.1). */
int instance_start(struct instance *inst);

/* Handles one decoded advert for this instance's VRID and family. */
void instance_on_advert(struct instance *inst, const struct vrrp_advert *adv,
			const struct vrrp_rx_meta *meta);

/* Counts a dropped advert meant for this instance (STYLE.md habit 4) and logs it,
 * rate-limited. */
void instance_count_reject(struct instance *inst, enum vrrp_reject reason,
			   const struct vrrp_rx_meta *meta);

/* The rate-limited "advert from SRC dropped: REASON" line, for instances and interfaces. */
void reject_log_line(struct log_ratelimit *rl, const char *scope, enum vrrp_reject reason,
		     const struct vrrp_rx_meta *meta);

/* Replaces the adapter-provided peers (ignored when cfg pins peers). Applies from the next
 * advert on; never changes the state by itself. own: this host's addresses. */
void instance_set_peers(struct instance *inst, const struct ip_addr *addrs, size_t n,
			const struct ip_addr *own, size_t n_own);

/* A reload, step 1 (reload_plan.h: same, in place or rejoin): takes what next needs and
 * may fail — the VRRP group membership when next's mode needs it — before anything changes.
 * 0, or negative errno with err saying why; then the reload is abandoned. */
int instance_reload_prepare(struct instance *inst, const struct instance_settings *next,
			    char *err, size_t err_len);

/* The reload was abandoned after instance_reload_prepare: gives back what the running
 * settings do not need. */
void instance_reload_abandon(struct instance *inst);

/* A reload, step 2: applies next in place (priority, interval, preempt, peers, mode, checks,
 * notify) and gives up the group membership next does not need. The state does not change;
 * the next advert carries the new values. Unpinned peers start empty when they were pinned:
 * the caller hands the adapter's peers over (instance_set_peers). */
void instance_reconfigure(struct instance *inst, const struct instance_settings *next,
			  const struct ip_addr *own, size_t n_own);

/* The interface went up/down (or lost carrier): down means FAULT, up a normal election. */
void instance_link_changed(struct instance *inst, bool up);

/* Shutdown (RFC 5798 §6.4.2/§6.4.3): a master sends priority 0 and removes its VIPs. */
void instance_shutdown(struct instance *inst);

/* Frees nothing it does not own; cancels timers. Accepts NULL. */
void instance_cleanup(struct instance *inst);

/* A frame the interface's prober heard (instance_guard.c): claims go to the instances
 * holding that VIP, VRRP senders' MACs to the instance of that VRID. */
void iface_prober_frame(struct iface *ifc, const struct probe_rx *rx);

/* Unregisters and closes the interface's prober. Accepts one never opened. */
void iface_prober_close(struct iface *ifc);

/* True when adverts go to unicast peers (mode unicast, or auto with a peer known). */
bool instance_unicast(const struct instance *inst);

#endif
