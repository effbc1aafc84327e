/* instance_guard.h — private to core/vrrp: what an instance does around its VIPs besides the
 * election (instance_guard.c):
 *   - the announce refresh: one gratuitous ARP / unsolicited NA per VIP every garp_refresh_s
 *     while master (keepalived's garp_master_refresh), so that switches and hosts that age
 *     their entries out keep sending to the master;
 *   - address-conflict probes (addr_conflict.h): a probe round at start, while still Backup
 *     (it never waits on the takeover path: the first announce goes out as fast as without
 *     it), then every conflict_check_s while master, or while Backup in refuse mode, or while
 *     a conflict lasts (to see it end). In refuse mode the state machine is held
 *     (VRRP_EV_HOLD) while what the probes found speaks against taking the VIPs. */
#ifndef KEEPVIP_INSTANCE_GUARD_H
#define KEEPVIP_INSTANCE_GUARD_H

#include "instance.h"

/* Timers and state; nothing is sent. */
void guard_init(struct instance *inst);

/* After Startup: opens the interface's prober when this instance checks, sends the first
 * probe round and arms the periodic one. */
void guard_start(struct instance *inst);

/* After every batch of state-machine actions: the refresh follows the Master state, the hold
 * follows the state and the verdict. */
void guard_after_actions(struct instance *inst, const struct vrrp_actions *act);

/* After instance_reconfigure: old are the settings that ran before. */
void guard_reconfigured(struct instance *inst, const struct instance_settings *old);

void guard_cleanup(struct instance *inst);

/* instance.c: one state-machine step now, its actions executed (then guard_after_actions). */
void instance_run_event(struct instance *inst, const struct vrrp_event *ev);

#endif
