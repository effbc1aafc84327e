/* mhd_lazy.h — libmicrohttpd, loaded on first use (core/mhd_lazy.c defines the MHD_* calls
 * the status server makes). */
#ifndef KEEPVIP_MHD_LAZY_H
#define KEEPVIP_MHD_LAZY_H

/* Why libmicrohttpd could not be loaded ("" while it loaded, or was never asked for). */
const char *mhd_lazy_error(void);

#endif
