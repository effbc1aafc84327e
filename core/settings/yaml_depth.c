/* yaml_depth.c — the nesting bound of yaml_depth.h, on libyaml's event parser. */
#include "yaml_depth.h"

#include <errno.h>
#include <stdbool.h>
#include <yaml.h>

int yaml_depth_exceeded(const char *text, size_t len, unsigned max, unsigned long *line,
			unsigned long *col)
{
	yaml_parser_t parser;
	unsigned depth = 0;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (bool done = false; !done;) {
		yaml_event_t event;
		if (!yaml_parser_parse(&parser, &event)) {
			rc = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : 0;
			break;
		}
		switch (event.type) {
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > max) {
				*line = (unsigned long)event.start_mark.line + 1;
				*col = (unsigned long)event.start_mark.column + 1;
				rc = 1;
				done = true;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	return rc;
}
