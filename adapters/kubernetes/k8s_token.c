/* k8s_token.c — see k8s_token.h. */
#include "k8s_token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BEARER "Authorization: Bearer "

/* The header from the token text: blanks and the trailing newline trimmed; a token holds
 * no space, CR or LF (it would split the header). 0 or -EINVAL. */
static int set_header(struct k8s_token *t, const char *text, size_t n)
{
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' ||
			 text[n - 1] == '\t'))
		n--;
	while (n > 0 && (*text == ' ' || *text == '\t' || *text == '\n')) {
		text++;
		n--;
	}
	if (n == 0 || memchr(text, '\n', n) != NULL || memchr(text, '\r', n) != NULL ||
	    memchr(text, ' ', n) != NULL || memchr(text, '\0', n) != NULL)
		return -EINVAL;
	snprintf(t->header, sizeof(t->header), BEARER "%.*s", (int)n, text);
	return 0;
}

static int read_file(struct k8s_token *t, const struct stat *st, char *err, size_t err_len)
{
	static char buf[K8S_TOKEN_MAX + 1];
	ssize_t n = 0, got;
	int fd = open(t->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int e = errno;
		snprintf(err, err_len, "token file %s: %s", t->path, strerror(e));
		return -e;
	}
	while (n < (ssize_t)sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - (size_t)n)) > 0)
		n += got;
	close(fd);
	int rc = n > K8S_TOKEN_MAX ? -EFBIG : set_header(t, buf, (size_t)n);
	memset(buf, 0, sizeof(buf));
	if (rc < 0) {
		snprintf(err, err_len, "token file %s: %s", t->path,
			 rc == -EFBIG ? "larger than a token can be" : "empty, or not one token");
		return rc;
	}
	t->dev = st->st_dev;
	t->ino = st->st_ino;
	t->size = st->st_size;
	t->mtime = st->st_mtim;
	t->reads++;
	return 0;
}

static bool same_file(const struct k8s_token *t, const struct stat *st)
{
	return t->dev == st->st_dev && t->ino == st->st_ino && t->size == st->st_size &&
	       t->mtime.tv_sec == st->st_mtim.tv_sec && t->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

int k8s_token_refresh(struct k8s_token *t, bool force, char *err, size_t err_len)
{
	struct stat st;
	char before[sizeof(t->header)];

	if (t->path[0] == '\0')
		return 0;
	if (stat(t->path, &st) < 0) {
		int e = errno;
		snprintf(err, err_len, "token file %s: %s", t->path, strerror(e));
		return -e;
	}
	if (!force && t->reads > 0 && same_file(t, &st))
		return 0;
	memcpy(before, t->header, sizeof(before));
	int rc = read_file(t, &st, err, err_len);
	bool changed = rc == 0 && strcmp(before, t->header) != 0;
	memset(before, 0, sizeof(before));
	return rc < 0 ? rc : changed ? 1 : 0;
}

int k8s_token_init(struct k8s_token *t, const char *path, const char *value, char *err,
		   size_t err_len)
{
	memset(t, 0, sizeof(*t));
	if (value != NULL) {
		if (set_header(t, value, strlen(value)) < 0) {
			snprintf(err, err_len, "KEEPVIP_K8S_TOKEN: not one token");
			return -EINVAL;
		}
		return 0;
	}
	if (snprintf(t->path, sizeof(t->path), "%s", path) >= (int)sizeof(t->path)) {
		snprintf(err, err_len, "token file path too long");
		return -ENAMETOOLONG;
	}
	int rc = k8s_token_refresh(t, true, err, err_len);
	return rc < 0 ? rc : 0;
}

void k8s_token_clear(struct k8s_token *t)
{
	if (t != NULL)
		memset(t->header, 0, sizeof(t->header));
}
