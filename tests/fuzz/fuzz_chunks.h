/* fuzz_chunks.h — for the stream-framing targets: cuts an input into pieces at places the
 * input chooses, as reads from a socket would (any length, down to one byte).
 *
 * Input layout: 4 bytes that seed the cuts, then the stream. Each piece is 1..max bytes long,
 * max itself drawn from the seed (1..4096), so both byte-by-byte and large reads occur. */
#ifndef KEEPVIP_FUZZ_CHUNKS_H
#define KEEPVIP_FUZZ_CHUNKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fuzz_chunks {
	uint32_t state;
	size_t max;
};

/* Takes the seed from the front of *data; false when the input is too short for it. */
static inline bool fuzz_chunks_init(struct fuzz_chunks *c, const uint8_t **data, size_t *size)
{
	if (*size < 4)
		return false;
	c->state = (uint32_t)(*data)[0] | (uint32_t)(*data)[1] << 8 | (uint32_t)(*data)[2] << 16 |
		   (uint32_t)(*data)[3] << 24;
	c->state |= 1; /* xorshift needs a nonzero state */
	c->max = (size_t)1 << (c->state % 13); /* 1 .. 4096 */
	*data += 4;
	*size -= 4;
	return true;
}

/* The next piece's length, 1..max (xorshift32). */
static inline size_t fuzz_chunks_next(struct fuzz_chunks *c)
{
	c->state ^= c->state << 13;
	c->state ^= c->state >> 17;
	c->state ^= c->state << 5;
	return c->state % c->max + 1;
}

#endif
