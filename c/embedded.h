/* embedded.h: the Lua bytecode built into the launcher (see embed.lua). */
#ifndef HAKO_EMBEDDED_H
#define HAKO_EMBEDDED_H

#include <stddef.h>

struct hako_blob {
	const char *name;
	const unsigned char *data;
	size_t size;
};

/* Lua modules by require name ("hako", "hako.cli", ...), then commands by name ("hako-run"). */
extern const struct hako_blob hako_modules[];
extern const struct hako_blob hako_commands[];

#endif
