/* curl_lazy.c — libcurl, loaded on first use.
 *
 * libcurl drags in OpenSSL, GnuTLS, Kerberos, LDAP and more (about 30 libraries). Linked at
 * start-up, their relocations alone cost keepvip more resident memory than the whole daemon
 * and several milliseconds of start: and most deployments (static peers, TCP checks) never
 * make an HTTP request. So keepvip is not linked against libcurl: these definitions stand in
 * for the libcurl API the project uses and load libcurl.so.4 with dlopen() the first time any
 * of them is called. Each forwards to the real function; when libcurl cannot be loaded they
 * fail the way libcurl itself reports failure (NULL handle, CURLE_FAILED_INIT), and the error
 * text says why. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include "lazy_lib.h"

#include <stdarg.h>
#include <stdbool.h>

/* X(name, return type, parameters): every libcurl function keepvip calls. The variadic
 * ones (setopt, getinfo) are forwarded by hand below. */
#define CURL_FIXED_FUNCTIONS(X)                                                            \
	X(curl_global_init, CURLcode, (long flags), (flags))                               \
	X(curl_global_cleanup, void, (void), ())                                           \
	X(curl_easy_init, CURL *, (void), ())                                              \
	X(curl_easy_cleanup, void, (CURL * h), (h))                                        \
	X(curl_easy_perform, CURLcode, (CURL * h), (h))                                    \
	X(curl_easy_strerror, const char *, (CURLcode c), (c))                             \
	X(curl_multi_init, CURLM *, (void), ())                                            \
	X(curl_multi_cleanup, CURLMcode, (CURLM * m), (m))                                 \
	X(curl_multi_add_handle, CURLMcode, (CURLM * m, CURL * h), (m, h))                 \
	X(curl_multi_remove_handle, CURLMcode, (CURLM * m, CURL * h), (m, h))              \
	X(curl_multi_info_read, CURLMsg *, (CURLM * m, int *left), (m, left))              \
	X(curl_multi_socket_action, CURLMcode, (CURLM * m, curl_socket_t s, int ev, int *n), \
	  (m, s, ev, n))                                                                   \
	X(curl_multi_strerror, const char *, (CURLMcode c), (c))                           \
	X(curl_slist_append, struct curl_slist *, (struct curl_slist * l, const char *s),  \
	  (l, s))                                                                          \
	X(curl_slist_free_all, void, (struct curl_slist * l), (l))

struct curl_api {
#define DECLARE_POINTER(name, ret, params, args) ret(*name) params;
	CURL_FIXED_FUNCTIONS(DECLARE_POINTER)
#undef DECLARE_POINTER
	CURLcode (*curl_easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*curl_easy_getinfo)(CURL *, CURLINFO, ...);
	CURLMcode (*curl_multi_setopt)(CURLM *, CURLMoption, ...);
};

static struct curl_api api;
static struct lazy_lib lib = { .soname = "libcurl.so.4", .label = "libcurl" };

/* Loads libcurl once; true when every function was found. */
static bool curl_loaded(void)
{
#define NAME(name, ...) #name,
#define SLOT(name, ...) (void **)&api.name,
	static const char *const names[] = { CURL_FIXED_FUNCTIONS(NAME) "curl_easy_setopt",
					     "curl_easy_getinfo", "curl_multi_setopt" };
	void **const slots[] = { CURL_FIXED_FUNCTIONS(SLOT)(void **)&api.curl_easy_setopt,
				 (void **)&api.curl_easy_getinfo, (void **)&api.curl_multi_setopt };
#undef NAME
#undef SLOT
	_Static_assert(sizeof(names) / sizeof(names[0]) == sizeof(slots) / sizeof(slots[0]),
		       "one slot per name");
	return lazy_lib_load(&lib, names, slots, sizeof(slots) / sizeof(slots[0]));
}

/* The body of a fixed-arity wrapper: load, or return what libcurl returns on failure. */
#define FORWARD(name, params, args, failed)                                                \
	if (!curl_loaded())                                                                \
		return failed;                                                             \
	return api.name args;

CURLcode curl_global_init(long flags) { FORWARD(curl_global_init, , (flags), CURLE_FAILED_INIT) }
void curl_global_cleanup(void) { if (curl_loaded()) api.curl_global_cleanup(); }
CURL *curl_easy_init(void) { FORWARD(curl_easy_init, , (), NULL) }
void curl_easy_cleanup(CURL *h) { if (curl_loaded()) api.curl_easy_cleanup(h); }
CURLcode curl_easy_perform(CURL *h) { FORWARD(curl_easy_perform, , (h), CURLE_FAILED_INIT) }
const char *curl_easy_strerror(CURLcode c) { FORWARD(curl_easy_strerror, , (c), lib.error) }
CURLM *curl_multi_init(void) { FORWARD(curl_multi_init, , (), NULL) }
CURLMcode curl_multi_cleanup(CURLM *m) { FORWARD(curl_multi_cleanup, , (m), CURLM_INTERNAL_ERROR) }
CURLMcode curl_multi_add_handle(CURLM *m, CURL *h)
{
	FORWARD(curl_multi_add_handle, , (m, h), CURLM_INTERNAL_ERROR)
}
CURLMcode curl_multi_remove_handle(CURLM *m, CURL *h)
{
	FORWARD(curl_multi_remove_handle, , (m, h), CURLM_INTERNAL_ERROR)
}
CURLMsg *curl_multi_info_read(CURLM *m, int *left) { FORWARD(curl_multi_info_read, , (m, left), NULL) }
CURLMcode curl_multi_socket_action(CURLM *m, curl_socket_t s, int ev, int *n)
{
	FORWARD(curl_multi_socket_action, , (m, s, ev, n), CURLM_INTERNAL_ERROR)
}
const char *curl_multi_strerror(CURLMcode c) { FORWARD(curl_multi_strerror, , (c), lib.error) }
struct curl_slist *curl_slist_append(struct curl_slist *l, const char *s)
{
	FORWARD(curl_slist_append, , (l, s), NULL)
}
void curl_slist_free_all(struct curl_slist *l) { if (curl_loaded()) api.curl_slist_free_all(l); }

/* setopt's third argument has the type its option number encodes (curl.h CURLOPTTYPE_*):
 * long below 10000, a pointer (object or function) below 30000, curl_off_t below 40000, then
 * a blob pointer. The same ranges hold for multi options. */
CURLcode curl_easy_setopt(CURL *h, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;

	if (!curl_loaded())
		return CURLE_FAILED_INIT;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = api.curl_easy_setopt(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = api.curl_easy_setopt(h, opt, va_arg(ap, void *));
	else if (opt < CURLOPTTYPE_BLOB)
		rc = api.curl_easy_setopt(h, opt, va_arg(ap, curl_off_t));
	else
		rc = api.curl_easy_setopt(h, opt, va_arg(ap, void *));
	va_end(ap);
	return rc;
}

CURLMcode curl_multi_setopt(CURLM *m, CURLMoption opt, ...)
{
	va_list ap;
	CURLMcode rc;

	if (!curl_loaded())
		return CURLM_INTERNAL_ERROR;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = api.curl_multi_setopt(m, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = api.curl_multi_setopt(m, opt, va_arg(ap, void *));
	else
		rc = api.curl_multi_setopt(m, opt, va_arg(ap, curl_off_t));
	va_end(ap);
	return rc;
}

/* getinfo's third argument is always a pointer to the result. */
CURLcode curl_easy_getinfo(CURL *h, CURLINFO info, ...)
{
	va_list ap;
	CURLcode rc;

	if (!curl_loaded())
		return CURLE_FAILED_INIT;
	va_start(ap, info);
	rc = api.curl_easy_getinfo(h, info, va_arg(ap, void *));
	va_end(ap);
	return rc;
}
