/* vrrp_auth.c — VRRPv2 simple text password (RFC 2338 §5.3.6.1, RFC 3768 §5.3.6; vrrp_auth.h). */
#include "vrrp_auth.h"

#include <string.h>

/* The 8 bytes of Authentication Data for pass: the password, then zeros. */
static void auth_bytes(const char *pass, uint8_t out[VRRP_V2_AUTH_LEN])
{
	memset(out, 0, VRRP_V2_AUTH_LEN);
	if (pass != NULL)
		memcpy(out, pass, strnlen(pass, VRRP_V2_AUTH_LEN));
}

static bool has_pass(const char *pass)
{
	return pass != NULL && pass[0] != '\0';
}

void vrrp_auth_fill(struct vrrp_advert *adv, const char *pass)
{
	adv->auth_type = has_pass(pass) ? VRRP_AUTH_PASS : VRRP_AUTH_NONE;
	auth_bytes(pass, adv->auth_data);
}

enum vrrp_reject vrrp_auth_check(const struct vrrp_advert *adv, const char *pass)
{
	if (adv->version != 2)
		return VRRP_ACCEPT;
	uint8_t ours = has_pass(pass) ? VRRP_AUTH_PASS : VRRP_AUTH_NONE;
	/* RFC 3768 §5.3.6: a packet whose Auth Type does not match the locally configured
	 * method is discarded. */
	if (adv->auth_type != ours)
		return VRRP_REJECT_AUTH;
	if (ours == VRRP_AUTH_NONE)
		return VRRP_ACCEPT;
	/* RFC 2338 §5.3.6.1 (type 1, kept reserved for it by RFC 3768 §5.3.6): the receiver
	 * checks the Authentication Data against its configured password and discards the
	 * packet on a mismatch. Constant time buys nothing: the password is on the wire. */
	uint8_t expected[VRRP_V2_AUTH_LEN];
	auth_bytes(pass, expected);
	return memcmp(adv->auth_data, expected, VRRP_V2_AUTH_LEN) == 0 ? VRRP_ACCEPT
								       : VRRP_REJECT_AUTH;
}
