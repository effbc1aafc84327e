/* mhd_lazy.c — libmicrohttpd, loaded on first use.
 *
 * Debian's libmicrohttpd is built with HTTPS, so loading it maps GnuTLS and its eight
 * libraries: about 2.3 MB of a node's PSS, more than the rest of keepvip together, for an
 * endpoint that nobody may ever ask. So keepvip is not linked against libmicrohttpd: these
 * definitions stand in for the MHD calls the status server makes and load libmicrohttpd.so.12
 * with dlopen() the first time any of them is called (the status server makes the first one
 * when its first connection arrives). When the library cannot be loaded they fail the way MHD
 * itself reports failure (NULL, MHD_NO) and mhd_lazy_error() says why. */
#include "mhd_lazy.h"

#include "lazy_lib.h"

#include <microhttpd.h>

#include <stdarg.h>
#include <stdbool.h>

/* X(name, return type, parameters, arguments): every fixed-arity MHD function keepvip calls.
 * The variadic ones (MHD_start_daemon, MHD_get_daemon_info) are forwarded by hand below. */
#define MHD_FIXED_FUNCTIONS(X)                                                               \
	X(MHD_stop_daemon, void, (struct MHD_Daemon * d), (d))                               \
	X(MHD_run, enum MHD_Result, (struct MHD_Daemon * d), (d))                            \
	X(MHD_get_timeout, enum MHD_Result, (struct MHD_Daemon * d, MHD_UNSIGNED_LONG_LONG * t), \
	  (d, t))                                                                            \
	X(MHD_create_response_from_buffer, struct MHD_Response *,                            \
	  (size_t size, void *buffer, enum MHD_ResponseMemoryMode mode), (size, buffer, mode)) \
	X(MHD_add_response_header, enum MHD_Result,                                          \
	  (struct MHD_Response * r, const char *header, const char *content), (r, header, content)) \
	X(MHD_queue_response, enum MHD_Result,                                               \
	  (struct MHD_Connection * c, unsigned int code, struct MHD_Response *r), (c, code, r)) \
	X(MHD_destroy_response, void, (struct MHD_Response * r), (r))

struct mhd_api {
#define DECLARE_POINTER(name, ret, params, args) ret(*name) params;
	MHD_FIXED_FUNCTIONS(DECLARE_POINTER)
#undef DECLARE_POINTER
	struct MHD_Daemon *(*MHD_start_daemon_va)(unsigned int flags, uint16_t port,
						  MHD_AcceptPolicyCallback apc, void *apc_cls,
						  MHD_AccessHandlerCallback dh, void *dh_cls,
						  va_list ap);
	const union MHD_DaemonInfo *(*MHD_get_daemon_info)(struct MHD_Daemon *d,
							   enum MHD_DaemonInfoType type, ...);
	const union MHD_ConnectionInfo *(*MHD_get_connection_info)(
		struct MHD_Connection *c, enum MHD_ConnectionInfoType type, ...);
};

static struct mhd_api api;
static struct lazy_lib lib = { .soname = "libmicrohttpd.so.12", .label = "libmicrohttpd" };

const char *mhd_lazy_error(void)
{
	return lib.error;
}

/* Loads libmicrohttpd once; true when every function was found. */
static bool mhd_loaded(void)
{
#define NAME(name, ...) #name,
#define SLOT(name, ...) (void **)&api.name,
	static const char *const names[] = { MHD_FIXED_FUNCTIONS(NAME) "MHD_start_daemon_va",
					     "MHD_get_daemon_info", "MHD_get_connection_info" };
	void **const slots[] = { MHD_FIXED_FUNCTIONS(SLOT)(void **)&api.MHD_start_daemon_va,
				 (void **)&api.MHD_get_daemon_info,
				 (void **)&api.MHD_get_connection_info };
#undef NAME
#undef SLOT
	_Static_assert(sizeof(names) / sizeof(names[0]) == sizeof(slots) / sizeof(slots[0]),
		       "one slot per name");
	return lazy_lib_load(&lib, names, slots, sizeof(slots) / sizeof(slots[0]));
}

/* The body of a fixed-arity wrapper: load, or return what MHD returns on failure. */
#define FORWARD(name, args, failed)                                                          \
	if (!mhd_loaded())                                                                   \
		return failed;                                                               \
	return api.name args;

void MHD_stop_daemon(struct MHD_Daemon *d)
{
	if (mhd_loaded())
		api.MHD_stop_daemon(d);
}

enum MHD_Result MHD_run(struct MHD_Daemon *d) { FORWARD(MHD_run, (d), MHD_NO) }

enum MHD_Result MHD_get_timeout(struct MHD_Daemon *d, MHD_UNSIGNED_LONG_LONG *t)
{
	FORWARD(MHD_get_timeout, (d, t), MHD_NO)
}

struct MHD_Response *MHD_create_response_from_buffer(size_t size, void *buffer,
						     enum MHD_ResponseMemoryMode mode)
{
	FORWARD(MHD_create_response_from_buffer, (size, buffer, mode), NULL)
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *r, const char *header,
					const char *content)
{
	FORWARD(MHD_add_response_header, (r, header, content), MHD_NO)
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *c, unsigned int code,
				   struct MHD_Response *r)
{
	FORWARD(MHD_queue_response, (c, code, r), MHD_NO)
}

void MHD_destroy_response(struct MHD_Response *r)
{
	if (mhd_loaded())
		api.MHD_destroy_response(r);
}

/* The option list is passed on whole through MHD's own va_list entry point. */
struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port,
				    MHD_AcceptPolicyCallback apc, void *apc_cls,
				    MHD_AccessHandlerCallback dh, void *dh_cls, ...)
{
	va_list ap;
	struct MHD_Daemon *d;

	if (!mhd_loaded())
		return NULL;
	va_start(ap, dh_cls);
	d = api.MHD_start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

/* The status server asks only for MHD_DAEMON_INFO_EPOLL_FD, which takes no further
 * argument; none is passed on. */
const union MHD_DaemonInfo *MHD_get_daemon_info(struct MHD_Daemon *d,
						enum MHD_DaemonInfoType type, ...)
{
	FORWARD(MHD_get_daemon_info, (d, type), NULL)
}

/* The status server asks only for MHD_CONNECTION_INFO_CONNECTION_FD, which takes no further
 * argument; none is passed on. */
const union MHD_ConnectionInfo *MHD_get_connection_info(struct MHD_Connection *c,
							enum MHD_ConnectionInfoType type, ...)
{
	FORWARD(MHD_get_connection_info, (c, type), NULL)
}
