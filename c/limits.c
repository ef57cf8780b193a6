/* limits.c: resource limits (setrlimit(2), getrlimit(2)). */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/resource.h>

#include "core.h"

/* RLIM_INFINITY is all ones, past lua_Integer's range: Lua says it as -1. */
#define UNLIMITED (-1)

static rlim_t to_rlim(lua_State *L, int arg)
{
	lua_Integer v = hako_check_int(L, arg, UNLIMITED, HAKO_U64_MAX);

	return v == UNLIMITED ? RLIM_INFINITY : (rlim_t)v;
}

static void push_rlim(lua_State *L, rlim_t v)
{
	if (v == RLIM_INFINITY || v > (rlim_t)HAKO_U64_MAX)
		lua_pushinteger(L, UNLIMITED);
	else
		lua_pushinteger(L, (lua_Integer)v);
}

/* setrlimit(resource, soft, hard): -1 for unlimited. */
static int core_setrlimit(lua_State *L)
{
	int resource = (int)hako_check_int(L, 1, 0, HAKO_INT_MAX);
	struct rlimit r = { .rlim_cur = to_rlim(L, 2), .rlim_max = to_rlim(L, 3) };

	return hako_result(L, setrlimit(resource, &r), "setrlimit", NULL);
}

/* getrlimit(resource) -> soft, hard: -1 for unlimited. */
static int core_getrlimit(lua_State *L)
{
	int resource = (int)hako_check_int(L, 1, 0, HAKO_INT_MAX);
	struct rlimit r;

	if (getrlimit(resource, &r) == -1)
		return hako_fail(L, errno, "getrlimit", NULL);
	push_rlim(L, r.rlim_cur);
	push_rlim(L, r.rlim_max);
	return 2;
}

static const luaL_Reg funcs[] = {
	{"setrlimit", core_setrlimit},
	{"getrlimit", core_getrlimit},
	{NULL, NULL}
};

static const struct hako_const consts[] = {
	HAKO_CONST(RLIMIT_AS), HAKO_CONST(RLIMIT_CORE), HAKO_CONST(RLIMIT_CPU), HAKO_CONST(RLIMIT_DATA),
	HAKO_CONST(RLIMIT_FSIZE), HAKO_CONST(RLIMIT_LOCKS), HAKO_CONST(RLIMIT_MEMLOCK),
	HAKO_CONST(RLIMIT_MSGQUEUE), HAKO_CONST(RLIMIT_NICE), HAKO_CONST(RLIMIT_NOFILE),
	HAKO_CONST(RLIMIT_NPROC), HAKO_CONST(RLIMIT_RSS), HAKO_CONST(RLIMIT_RTPRIO),
	HAKO_CONST(RLIMIT_RTTIME), HAKO_CONST(RLIMIT_SIGPENDING), HAKO_CONST(RLIMIT_STACK),
	{NULL, 0}
};

const struct hako_area hako_limits = { funcs, consts };
