/* k8s_token.h — the service account's bearer token: read from its file, read again when the
 * file changes (the kubelet rotates bound tokens about hourly by swapping the volume's
 * symlink: stat follows it, so a new inode, size or mtime says "changed") and after a 401
 * (reference §1). Or a token given directly (KEEPVIP_K8S_TOKEN), never re-read.
 *
 * The token is a secret: it lives only here and in the Authorization header handed to the
 * HTTP client. No message of this file holds it; they name the file. */
#ifndef KEEPVIP_K8S_TOKEN_H
#define KEEPVIP_K8S_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define K8S_TOKEN_MAX 16384 /* a bound JWT is about 1 kB; larger is not a token */

struct k8s_token {
	char path[512];          /* "" when the token was given directly */
	char header[K8S_TOKEN_MAX + 32]; /* "Authorization: Bearer <token>" */
	dev_t dev;               /* of the file read last */
	ino_t ino;
	off_t size;
	struct timespec mtime;
	unsigned reads;          /* how many times the file was read (tests, logs) */
};

/* From the file at path (value NULL) or the value given. 0, or negative errno with err
 * naming the file (never the token). */
int k8s_token_init(struct k8s_token *t, const char *path, const char *value, char *err,
		   size_t err_len);

/* Reads the file again when it changed since the last read (force: in any case, after a
 * 401). 1 when the token changed, 0 when not, negative errno (the last token stays). */
int k8s_token_refresh(struct k8s_token *t, bool force, char *err, size_t err_len);

/* Wipes the token from memory. */
void k8s_token_clear(struct k8s_token *t);

#endif
