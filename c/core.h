/* core.h: conventions shared by the files of the hako.core C module. */
#ifndef HAKO_CORE_H
#define HAKO_CORE_H

#include <lua.h>
#include <lauxlib.h>

/* A constant exported to Lua under its kernel name. */
struct hako_const {
	const char *name;
	lua_Integer value;
};
#define HAKO_CONST(c) { #c, (lua_Integer)(c) }

/*
 * Push nil, "<call>[ <path>]: <strerror(err)>", err and return 3 (the io/os
 * library convention). err must be saved before any Lua call can clobber it.
 */
int hako_fail(lua_State *L, int err, const char *call, const char *path);

/* Return the result of a call that yields 0 or -1 with errno. */
int hako_result(lua_State *L, int rc, const char *call, const char *path);

/* Add functions and constants to the table on top of the stack. */
void hako_set_funcs(lua_State *L, const luaL_Reg *funcs);
void hako_set_consts(lua_State *L, const struct hako_const *consts);

/* A Lua string array (table {"a", "b"}) as a NULL-terminated C array in a Lua userdata. */
char **hako_check_strings(lua_State *L, int arg);

/* One per kernel area: add that area's functions and constants to the module table. */
void hako_open_process(lua_State *L);
void hako_open_signal(lua_State *L);
void hako_open_namespace(lua_State *L);
void hako_open_mount(lua_State *L);
void hako_open_file(lua_State *L);
void hako_open_dir(lua_State *L);
void hako_open_cred(lua_State *L);
void hako_open_fd(lua_State *L);
void hako_open_net(lua_State *L);
void hako_open_seccomp(lua_State *L);
void hako_open_keys(lua_State *L);
void hako_open_job(lua_State *L);

int luaopen_hako_core(lua_State *L);

#endif
