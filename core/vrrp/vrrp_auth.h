/* vrrp_auth.h — VRRPv2 simple text password authentication (Auth Type 1: RFC 2338
 * §5.3.6.1, kept reserved for it by RFC 3768 §5.3.6; Authentication Data RFC 3768 §5.3.10),
 * as keepalived's "authentication { auth_type PASS }" has it.
 *
 * Pure: an advert in, a verdict out. The password is up to 8 bytes, sent zero-padded in the
 * 8 bytes of Authentication Data; keepalived compares all 8 bytes, and so do we. VRRPv3
 * (RFC 5798) has no authentication: these are only used for version 2. */
#ifndef KEEPVIP_VRRP_AUTH_H
#define KEEPVIP_VRRP_AUTH_H

#include "vrrp_wire.h"

#include <stdbool.h>

/* Auth Type values (RFC 2338 §5.3.6; RFC 3768 §5.3.6 keeps 1 and 2 reserved). */
#define VRRP_AUTH_NONE 0        /* No Authentication */
#define VRRP_AUTH_PASS 1        /* Simple Text Password */
#define VRRP_AUTH_AH 2          /* IP Authentication Header (historic; keepalived's AH) */

/* Sets adv's Auth Type and Authentication Data for pass: PASS with the password
 * zero-padded to 8 bytes, or NONE with zeros when pass is NULL or "". pass longer than 8
 * bytes is cut at 8 (the settings refuse it before). */
void vrrp_auth_fill(struct vrrp_advert *adv, const char *pass);

/* RFC 2338 §7.1: the receiver performs the authentication its Auth Type says. An advert is
 * accepted when its Auth Type is ours and, for PASS, its 8 bytes of Authentication Data equal
 * our zero-padded password. So, as keepalived 2.2.7 (vrrp_in_chk): a wrong password, an Auth Type
 * other than PASS when we have a password, and PASS (or AH) when we have none are all
 * rejected (VRRP_REJECT_AUTH); VRRP_ACCEPT otherwise. Version 3 adverts always pass. */
enum vrrp_reject vrrp_auth_check(const struct vrrp_advert *adv, const char *pass);

#endif
