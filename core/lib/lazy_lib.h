/* lazy_lib.h — a shared library opened with dlopen() at its first use, for the libraries
 * keepvip is deliberately not linked against (core/curl_lazy.c, core/mhd_lazy.c). */
#ifndef KEEPVIP_LAZY_LIB_H
#define KEEPVIP_LAZY_LIB_H

#include <stdbool.h>
#include <stddef.h>

struct lazy_lib {
	const char *soname;  /* "libcurl.so.4" */
	const char *label;   /* "libcurl", for messages */
	bool tried, loaded;
	char error[256];     /* why it is not loaded; "" while it is, or was never asked for */
};

/* On the first call: opens lib->soname and stores the address of names[i] in *slots[i] for
 * every i < n; true when all were found, false with lib->error saying which step failed.
 * Later calls return the first call's answer. Single-threaded program. */
bool lazy_lib_load(struct lazy_lib *lib, const char *const names[], void **const slots[],
		   size_t n);

#endif
