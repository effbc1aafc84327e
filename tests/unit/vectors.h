/* vectors.h — the packets keepalived 2.2.7 sent in the lab (shared/vectors/keepalived-vrrp.json),
 * for the codec and frame tests. Include after <cmocka.h> (failures go through print_error). */
#ifndef KEEPVIP_TEST_VECTORS_H
#define KEEPVIP_TEST_VECTORS_H

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifndef KEEPVIP_SHARED_DIR
#error "KEEPVIP_SHARED_DIR must name the shared/ directory"
#endif

#define VECTORS_PATH KEEPVIP_SHARED_DIR "/vectors/keepalived-vrrp.json"

/* The whole document (a JSON array, owned by the caller), or NULL with the reason printed. */
static inline json_t *vectors_load(void)
{
	json_error_t err;
	json_t *doc = json_load_file(VECTORS_PATH, 0, &err);
	if (doc == NULL)
		print_error("%s:%d: %s\n", VECTORS_PATH, err.line, err.text);
	return doc;
}

/* Hex text to bytes: the byte count, or -EINVAL (odd length, not hex, more than cap). */
static inline int hex_decode(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex);
	if (n % 2 != 0 || n / 2 > cap)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned byte;
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1)
			return -EINVAL;
		out[i] = (uint8_t)byte;
	}
	return (int)(n / 2);
}

#endif
