/* cred.c: credentials: user and group ids, supplementary groups. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <sys/types.h>
#include <unistd.h>

#include "core.h"

#define MAX_GROUPS 65536

static int core_getuid(lua_State *L)
{
	lua_pushinteger(L, getuid());
	return 1;
}

static int core_geteuid(lua_State *L)
{
	lua_pushinteger(L, geteuid());
	return 1;
}

static int core_getgid(lua_State *L)
{
	lua_pushinteger(L, getgid());
	return 1;
}

static int core_getegid(lua_State *L)
{
	lua_pushinteger(L, getegid());
	return 1;
}

static lua_Integer check_id(lua_State *L, int arg)
{
	lua_Integer id = luaL_checkinteger(L, arg);

	luaL_argcheck(L, id >= 0 && id < 0xffffffffLL, arg, "id out of range");
	return id;
}

/* setresuid(uid): real, effective and saved uid all set, so none can be regained. */
static int core_setresuid(lua_State *L)
{
	uid_t id = (uid_t)check_id(L, 1);

	return hako_result(L, setresuid(id, id, id), "setresuid", NULL);
}

static int core_setresgid(lua_State *L)
{
	gid_t id = (gid_t)check_id(L, 1);

	return hako_result(L, setresgid(id, id, id), "setresgid", NULL);
}

/* setgroups({gid, ...}) */
static int core_setgroups(lua_State *L)
{
	gid_t *list;
	lua_Integer i, n;

	luaL_checktype(L, 1, LUA_TTABLE);
	n = (lua_Integer)lua_rawlen(L, 1);
	luaL_argcheck(L, n <= MAX_GROUPS, 1, "too many groups");
	list = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *list, 0);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, 1, i);
		list[i - 1] = (gid_t)check_id(L, -1);
		lua_pop(L, 1);
	}
	return hako_result(L, setgroups((size_t)n, list), "setgroups", NULL);
}

static const luaL_Reg funcs[] = {
	{"getuid", core_getuid},
	{"geteuid", core_geteuid},
	{"getgid", core_getgid},
	{"getegid", core_getegid},
	{"setresuid", core_setresuid},
	{"setresgid", core_setresgid},
	{"setgroups", core_setgroups},
	{NULL, NULL}
};

void hako_open_cred(lua_State *L)
{
	hako_set_funcs(L, funcs);
}
