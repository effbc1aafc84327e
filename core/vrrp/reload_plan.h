/* reload_plan.h — what a reload (SIGHUP, or new settings from an adapter) does to one running
 * instance, decided from its running and its new settings alone. Pure: no socket, no clock.
 *
 * Every field of struct instance_settings has exactly one plan (reload_plan.c, one table
 * row per field); a change takes the heaviest plan among the fields that changed:
 *
 *   RELOAD_SAME      nothing changed.
 *   RELOAD_IN_PLACE  priority, advert interval, preempt, preempt delay, checks, notify, the
 *                    pinned peer list (pinned before and after), whether the VRID was derived,
 *                    the announce burst and refresh, the address-conflict check and action:
 *                    applied live, the state does not change, the next advert carries the new
 *                    values (no VIP blip).
 *   RELOAD_REJOIN    the mode (auto, unicast, multicast), the peers pinned or from the
 *                    adapter: the VRRP group membership (RFC 5798 §5.1.1.2, §5.1.2.2) and
 *                    the peer source are redone; the state is kept, so a master keeps its VIPs
 *                    (no blip). That is safe because the new transport is listened to before
 *                    the next advert goes out on it: a higher priority router heard there
 *                    makes us Backup through the normal election (§6.4.3 "If the Priority in
 *                    the ADVERTISEMENT is greater than the local Priority ... transition to
 *                    the Backup state"), a lower one hears our adverts and stays Backup.
 *   RELOAD_RESTART   name, VRID, interface, VIPs (their prefixes and family), version: the
 *                    instance is rebuilt. The new one is built first; the old one stops only
 *                    once every new one could be built (a master sends priority 0 and
 *                    releases its VIPs: a blip, as for a restart of the daemon). */
#ifndef KEEPVIP_RELOAD_PLAN_H
#define KEEPVIP_RELOAD_PLAN_H

#include "settings.h"

#include <stddef.h>

/* In order of weight: a reload takes the heaviest plan of the fields that changed. */
enum reload_plan { RELOAD_SAME = 0, RELOAD_IN_PLACE, RELOAD_REJOIN, RELOAD_RESTART };

/* The plan for going from running to next (the same instance slot). */
enum reload_plan reload_plan(const struct instance_settings *running,
			     const struct instance_settings *next);

/* "same", "in place", "rejoin", "restart". */
const char *reload_plan_name(enum reload_plan plan);

/* For the log: the fields that decided the plan (those of the plan's weight that changed),
 * comma separated, e.g. "mode, peers pinned". Returns buf ("" when nothing changed). */
const char *reload_plan_why(const struct instance_settings *running,
			    const struct instance_settings *next, char *buf, size_t len);

#endif
