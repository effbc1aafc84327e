/* yaml_depth.h — a bound on how deep a YAML file may nest, checked before libyaml builds a
 * document from it. libyaml 0.2.5 takes time quadratic in the flow nesting depth ("[[[[..."
 * 32,000 deep, 64 kB: 3.4 s; 1 MB: hours), and settings are read again on the event loop at
 * SIGHUP. The settings file never needs more than a few levels. */
#ifndef KEEPVIP_YAML_DEPTH_H
#define KEEPVIP_YAML_DEPTH_H

#include <stddef.h>

#define YAML_DEPTH_MAX 16

/* Walks the text's parse events, stopping at the first collection that opens deeper than
 * max: returns 1 and its 1-based *line and *col. Returns 0 when the text nests no deeper or
 * does not parse (the document loader then reports the syntax error), -ENOMEM when libyaml
 * cannot allocate. The walk stops within max + 1 levels, so it never meets the slow case. */
int yaml_depth_exceeded(const char *text, size_t len, unsigned max, unsigned long *line,
			unsigned long *col);

#endif
