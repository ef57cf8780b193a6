/* core.c: the hako.core module entry: shared helpers, and the gathering of every kernel area. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

#include "core.h"

int hako_fail(lua_State *L, int err, const char *call, const char *path)
{
	lua_pushnil(L);
	if (path)
		lua_pushfstring(L, "%s %s: %s", call, path, strerror(err));
	else
		lua_pushfstring(L, "%s: %s", call, strerror(err));
	lua_pushinteger(L, err);
	return 3;
}

int hako_result(lua_State *L, int rc, const char *call, const char *path)
{
	if (rc == -1)
		return hako_fail(L, errno, call, path);
	lua_pushboolean(L, 1);
	return 1;
}

void hako_set_funcs(lua_State *L, const luaL_Reg *funcs)
{
	luaL_setfuncs(L, funcs, 0);
}

void hako_set_consts(lua_State *L, const struct hako_const *consts)
{
	for (; consts->name; consts++) {
		lua_pushinteger(L, consts->value);
		lua_setfield(L, -2, consts->name);
	}
}

lua_Integer hako_check_int(lua_State *L, int arg, lua_Integer min, lua_Integer max)
{
	lua_Integer v = luaL_checkinteger(L, arg);

	if (v < min || v > max)
		luaL_argerror(L, arg, lua_pushfstring(L, "%I out of range [%I, %I]", v, min, max));
	return v;
}

lua_Integer hako_opt_int(lua_State *L, int arg, lua_Integer def, lua_Integer min, lua_Integer max)
{
	return lua_isnoneornil(L, arg) ? def : hako_check_int(L, arg, min, max);
}

int hako_check_fd(lua_State *L, int arg)
{
	return (int)hako_check_int(L, arg, 0, HAKO_INT_MAX);
}

int hako_check_dirfd(lua_State *L, int arg)
{
	if (luaL_checkinteger(L, arg) == AT_FDCWD)
		return AT_FDCWD;
	return hako_check_fd(L, arg);
}

/* NSIG is one more than the last signal in glibc and musl alike. */
int hako_check_signal(lua_State *L, int arg)
{
	return (int)hako_check_int(L, arg, 0, NSIG - 1);
}

const char *hako_check_cstring(lua_State *L, int arg)
{
	size_t len;
	const char *s = luaL_checklstring(L, arg, &len);

	if (strlen(s) != len)
		luaL_argerror(L, arg, "string contains a NUL byte");
	return s;
}

const char *hako_opt_cstring(lua_State *L, int arg)
{
	return lua_isnoneornil(L, arg) ? NULL : hako_check_cstring(L, arg);
}

char **hako_check_strings(lua_State *L, int arg)
{
	lua_Integer i, n;
	char **v;

	luaL_checktype(L, arg, LUA_TTABLE);
	n = (lua_Integer)lua_rawlen(L, arg);
	if (n < 0 || n > 1 << 20)
		luaL_argerror(L, arg, "too many strings");
	/* A userdata, so the array is freed by the GC even if a later check raises. */
	v = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *v, 0);
	for (i = 1; i <= n; i++) {
		if (lua_rawgeti(L, arg, i) != LUA_TSTRING)
			luaL_argerror(L, arg, "array of strings expected");
		/* The string stays alive: the table that holds it is an argument. */
		v[i - 1] = (char *)lua_tostring(L, -1);
		if (strlen(v[i - 1]) != lua_rawlen(L, -1))
			luaL_argerror(L, arg, "string contains a NUL byte");
		lua_pop(L, 1);
	}
	v[n] = NULL;
	return v;
}

int luaopen_hako_core(lua_State *L)
{
	/* Sized for every function and constant at once: no rehash while they are added. */
	lua_createtable(L, 0, 192);
	hako_open_process(L);
	hako_open_signal(L);
	hako_open_namespace(L);
	hako_open_mount(L);
	hako_open_file(L);
	hako_open_dir(L);
	hako_open_cred(L);
	hako_open_fd(L);
	hako_open_net(L);
	hako_open_seccomp(L);
	hako_open_keys(L);
	hako_open_job(L);
	return 1;
}
