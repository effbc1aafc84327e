/* fuzz_entry.h — one input, one entry point: the first byte of a document target's input
 * picks which of its parser's entry points reads the rest. Handing every input to every
 * entry point in turn cost one JSON parse each, 6 to 10 per input, and kept the document
 * parsers at 3,000 to 7,000 inputs a second; one parse per input lets the campaign reach
 * 10^7 inputs per parser (tests/fuzz/README.md). libFuzzer mutates the first byte like any
 * other, so every entry point is reached. */
#ifndef KEEPVIP_FUZZ_ENTRY_H
#define KEEPVIP_FUZZ_ENTRY_H

#include <stddef.h>
#include <stdint.h>

typedef void (*fuzz_entry)(const char *body, size_t size);

static inline int fuzz_pick_entry(const fuzz_entry *entries, size_t n, const uint8_t *data,
				  size_t size)
{
	if (size == 0)
		return 0;
	entries[data[0] % n]((const char *)data + 1, size - 1);
	return 0;
}

#endif
