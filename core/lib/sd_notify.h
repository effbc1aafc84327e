/* sd_notify.h — systemd's service notification protocol (sd_notify(3)) without libsystemd:
 * one datagram of "KEY=VALUE\n..." text to the unix socket named by $NOTIFY_SOCKET (a path,
 * or "@name" for a Linux abstract socket). Used for Type=notify (READY=1, STOPPING=1,
 * STATUS=...) and the service watchdog (WATCHDOG=1 every WatchdogSec/2).
 *
 * Never blocks: the socket is non-blocking and a send that would wait is dropped (systemd
 * reads its notify socket promptly; a lost WATCHDOG=1 is made up by the next ping). Outside
 * systemd ($NOTIFY_SOCKET unset) every call does nothing and returns 0. */
#ifndef KEEPVIP_SD_NOTIFY_H
#define KEEPVIP_SD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Sends state (e.g. "READY=1\nSTATUS=running") to the socket named by notify_socket, which
 * may be NULL or "" (then nothing is sent and 0 returned). Returns 1 when sent, 0 when there
 * is no socket, negative errno on failure (-EINVAL for a name that is neither an absolute
 * path nor "@name", or too long; -EAGAIN when the socket's queue is full). */
int sd_notify_to(const char *notify_socket, const char *state);

/* sd_notify_to($NOTIFY_SOCKET, state). */
int sd_notify_send(const char *state);

/* The service watchdog as systemd sets it up: $WATCHDOG_USEC (the period) and $WATCHDOG_PID
 * (when set, the pid it is meant for). Pure: the values come in as text.
 * Returns the period in microseconds, or 0 when the watchdog is off for this process (unset,
 * not a positive number, or meant for another pid). */
uint64_t sd_watchdog_period_us(const char *watchdog_usec, const char *watchdog_pid, pid_t self);

/* sd_watchdog_period_us from this process's environment. */
uint64_t sd_watchdog_enabled_us(void);

#endif
