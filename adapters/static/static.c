/* static.c — the static adapter: peers from KEEPVIP_PEERS, or from KEEPVIP_PEERS_FILE, which
 * is watched with inotify so that a peer can be added or removed while keepvip runs.
 * The file holds addresses separated by commas, spaces or newlines; '#' starts a comment. */
#include "static.h"

#include "loop.h"
#include "peer_list.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#define PEERS_FILE_MAX (64 * 1024)
#define ENV_PEERS_FILE "KEEPVIP_PEERS_FILE"

struct static_state {
	struct adapter_ctx ctx;
	char path[SETTINGS_TEXT_LEN];   /* "" = peers from KEEPVIP_PEERS */
	char dir[SETTINGS_TEXT_LEN];
	char base[SETTINGS_TEXT_LEN];
	int inotify_fd;
	adapter_update_fn report;
	void (*fail)(void *arg, const char *err);
	void *arg;
};

static int static_detect(const struct adapter_ctx *ctx)
{
	(void)ctx;
	return 1;
}

static int static_create(const struct adapter_ctx *ctx, void **state, char *err, size_t err_len)
{
	struct static_state *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, err_len, "static adapter: out of memory");
		return -ENOMEM;
	}
	s->ctx = *ctx;
	s->inotify_fd = -1;
	const char *peers_file = settings_get(ctx->settings, ENV_PEERS_FILE);
	if (peers_file != NULL) {
		char copy[SETTINGS_TEXT_LEN];
		snprintf(s->path, sizeof(s->path), "%s", peers_file);
		snprintf(copy, sizeof(copy), "%s", s->path);
		snprintf(s->dir, sizeof(s->dir), "%s", dirname(copy));
		snprintf(copy, sizeof(copy), "%s", s->path);
		snprintf(s->base, sizeof(s->base), "%s", basename(copy));
	}
	*state = s;
	return 0;
}

static int read_small_file(const char *path, char *buf, size_t cap, char *err, size_t err_len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, err_len, "open %s: %s", path, strerror(errno));
		return -errno;
	}
	size_t used = 0;
	ssize_t n;
	while ((n = read(fd, buf + used, cap - 1 - used)) > 0)
		used += (size_t)n;
	int e = n < 0 ? errno : 0;
	close(fd);
	if (e != 0) {
		snprintf(err, err_len, "read %s: %s", path, strerror(e));
		return -e;
	}
	if (used == cap - 1) {
		snprintf(err, err_len, "%s: larger than %d bytes", path, PEERS_FILE_MAX);
		return -EFBIG;
	}
	buf[used] = '\0';
	return 0;
}

static int static_fetch(void *state, struct adapter_discovery *out, char *err, size_t err_len)
{
	struct static_state *s = state;
	memset(out, 0, sizeof(*out));
	if (s->path[0] == '\0') {
		const char *env = s->ctx.env ? s->ctx.env("KEEPVIP_PEERS", s->ctx.env_ctx) : NULL;
		return peer_list_parse(env ? env : "", "env KEEPVIP_PEERS", out, err, err_len);
	}
	char *buf = malloc(PEERS_FILE_MAX);
	if (buf == NULL) {
		snprintf(err, err_len, "%s: out of memory", s->path);
		return -ENOMEM;
	}
	int rc = read_small_file(s->path, buf, PEERS_FILE_MAX, err, err_len);
	if (rc == 0)
		rc = peer_list_parse(buf, s->path, out, err, err_len);
	free(buf);
	return rc;
}

/* Reacts to the file being written in place, replaced by rename, or removed. */
static void on_inotify(struct loop *loop, int fd, uint32_t events, void *arg)
{
	(void)loop;
	(void)events;
	struct static_state *s = arg;
	union {
		char buf[4096];
		struct inotify_event align;
	} u;
	bool ours = false;
	ssize_t n;

	while ((n = read(fd, u.buf, sizeof(u.buf))) > 0) {
		for (char *p = u.buf; p < u.buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			if (ev->len > 0 && strcmp(ev->name, s->base) == 0)
				ours = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (!ours)
		return;

	struct adapter_discovery *d = malloc(sizeof(*d));
	char err[ADAPTER_ERR_LEN];
	if (d == NULL) {
		s->fail(s->arg, "out of memory");
		return;
	}
	if (static_fetch(s, d, err, sizeof(err)) == 0)
		s->report(s->arg, d);
	else
		s->fail(s->arg, err);
	free(d);
}

static void stop_watch(struct static_state *s)
{
	if (s->inotify_fd < 0)
		return;
	if (s->ctx.loop != NULL)
		loop_io_remove(s->ctx.loop, s->inotify_fd);
	close(s->inotify_fd);
	s->inotify_fd = -1;
}

static int static_watch(void *state, adapter_update_fn report,
			void (*fail)(void *arg, const char *err), void *arg)
{
	struct static_state *s = state;
	s->report = report;
	s->fail = fail;
	s->arg = arg;
	if (s->path[0] == '\0' || s->inotify_fd >= 0)
		return 0; /* KEEPVIP_PEERS cannot change while we run */

	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (inotify_add_watch(fd, s->dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE |
						  IN_MOVED_FROM) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	int rc = loop_io_add(s->ctx.loop, fd, EPOLLIN, on_inotify, s);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	s->inotify_fd = fd;
	return 0;
}

static void static_destroy(void *state)
{
	struct static_state *s = state;
	if (s == NULL)
		return;
	stop_watch(s);
	free(s);
}

/* KEEPVIP_PEERS stays a setting of each instance (pinned peers, core); the file is ours. */
static const struct setting_key_info static_keys[] = {
	{ .env = ENV_PEERS_FILE, .yaml = "peers_file", .flag = "peers-file",
	  .scope = SCOPE_GLOBAL, .kind = SETTING_PATH,
	  .help = "a file of peer addresses (separated by commas, spaces or newlines; # "
		  "comments), re-read when it changes; default none" },
};

static const struct settings_table static_settings = {
	.keys = static_keys,
	.n_keys = sizeof(static_keys) / sizeof(static_keys[0]),
};

const struct adapter_ops adapter_static_ops = {
	.name = "static",
	.settings = &static_settings,
	.detect = static_detect,
	.create = static_create,
	.fetch = static_fetch,
	.watch = static_watch,
	.destroy = static_destroy,
};
