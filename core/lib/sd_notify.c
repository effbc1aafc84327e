/* sd_notify.c — systemd's notification protocol over a unix datagram socket (sd_notify.h). */
#include "sd_notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The address for a $NOTIFY_SOCKET value: an absolute path, or "@name" for the abstract
 * namespace (a leading NUL byte in sun_path, the length counting exactly the name's bytes). */
static int notify_address(const char *name, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = strlen(name);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if ((name[0] != '/' && name[0] != '@') || n < 2 || n > sizeof(sa->sun_path) - 1)
		return -EINVAL;
	memcpy(sa->sun_path, name, n);
	if (name[0] == '@')
		sa->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/'));
	return 0;
}

int sd_notify_to(const char *notify_socket, const char *state)
{
	struct sockaddr_un sa;
	socklen_t sa_len;

	if (notify_socket == NULL || notify_socket[0] == '\0')
		return 0;
	int rc = notify_address(notify_socket, &sa, &sa_len);
	if (rc < 0)
		return rc;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	ssize_t sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT,
			      (const struct sockaddr *)&sa, sa_len);
	rc = sent < 0 ? -errno : 1;
	close(fd);
	return rc;
}

int sd_notify_send(const char *state)
{
	return sd_notify_to(getenv("NOTIFY_SOCKET"), state);
}

/* A whole positive decimal number, else 0. */
static unsigned long long positive_number(const char *text)
{
	char *end;

	if (text == NULL || text[0] < '0' || text[0] > '9')
		return 0;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	return errno == 0 && *end == '\0' ? v : 0;
}

uint64_t sd_watchdog_period_us(const char *watchdog_usec, const char *watchdog_pid, pid_t self)
{
	/* sd_watchdog_enabled(3): WATCHDOG_PID, when set, must be ours (a child that inherited
	 * the environment does not ping). */
	if (watchdog_pid != NULL && watchdog_pid[0] != '\0' &&
	    positive_number(watchdog_pid) != (unsigned long long)self)
		return 0;
	return positive_number(watchdog_usec);
}

uint64_t sd_watchdog_enabled_us(void)
{
	return sd_watchdog_period_us(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"), getpid());
}
