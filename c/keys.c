/* keys.c: kernel keyrings (keyctl(2)), which glibc and musl do not wrap. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core.h"

#ifndef KEYCTL_JOIN_SESSION_KEYRING
#define KEYCTL_JOIN_SESSION_KEYRING 1
#endif

/* join_session_keyring([name]) -> id: without a name, a new anonymous keyring. */
static int core_join_session_keyring(lua_State *L)
{
	const char *name = hako_opt_cstring(L, 1);
	long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name);

	if (id == -1)
		return hako_fail(L, errno, "keyctl JOIN_SESSION_KEYRING", name);
	lua_pushinteger(L, id);
	return 1;
}

static const luaL_Reg funcs[] = {
	{"join_session_keyring", core_join_session_keyring},
	{NULL, NULL}
};

const struct hako_area hako_keys = { funcs, NULL };
