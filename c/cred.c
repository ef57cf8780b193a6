/* cred.c: credentials: user and group ids, supplementary groups. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include "core.h"

#define MAX_GROUPS 65536

/* <linux/capability.h>, which glibc and musl do not wrap: version 3, two 32-bit words. */
#define HAKO_CAPABILITY_VERSION_3 0x20080522
struct hako_cap_header {
	uint32_t version;
	int pid;
};
struct hako_cap_data {
	uint32_t effective, permitted, inheritable;
};

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

/* capget() -> effective, permitted, inheritable, each a 64-bit mask of this thread */
static int core_capget(lua_State *L)
{
	struct hako_cap_header h = {HAKO_CAPABILITY_VERSION_3, 0};
	struct hako_cap_data d[2];

	if (syscall(SYS_capget, &h, d) == -1)
		return hako_fail(L, errno, "capget", NULL);
	lua_pushinteger(L, (lua_Integer)((uint64_t)d[1].effective << 32 | d[0].effective));
	lua_pushinteger(L, (lua_Integer)((uint64_t)d[1].permitted << 32 | d[0].permitted));
	lua_pushinteger(L, (lua_Integer)((uint64_t)d[1].inheritable << 32 | d[0].inheritable));
	return 3;
}

/*
 * capset(effective, permitted, inheritable): 64-bit masks, for this thread. Any Lua
 * integer is one, bit for bit (bit 63 is its sign): nothing to narrow.
 */
static int core_capset(lua_State *L)
{
	struct hako_cap_header h = {HAKO_CAPABILITY_VERSION_3, 0};
	struct hako_cap_data d[2];
	uint64_t e = (uint64_t)luaL_checkinteger(L, 1);
	uint64_t p = (uint64_t)luaL_checkinteger(L, 2);
	uint64_t i = (uint64_t)luaL_checkinteger(L, 3);

	d[0].effective = (uint32_t)e;
	d[1].effective = (uint32_t)(e >> 32);
	d[0].permitted = (uint32_t)p;
	d[1].permitted = (uint32_t)(p >> 32);
	d[0].inheritable = (uint32_t)i;
	d[1].inheritable = (uint32_t)(i >> 32);
	return hako_result(L, (int)syscall(SYS_capset, &h, d), "capset", NULL);
}

static const luaL_Reg funcs[] = {
	{"getuid", core_getuid},
	{"geteuid", core_geteuid},
	{"getgid", core_getgid},
	{"getegid", core_getegid},
	{"setresuid", core_setresuid},
	{"setresgid", core_setresgid},
	{"setgroups", core_setgroups},
	{"capget", core_capget},
	{"capset", core_capset},
	{NULL, NULL}
};

const struct hako_area hako_cred = { funcs, NULL };
