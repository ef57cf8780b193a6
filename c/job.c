/*
 * job.c: process groups and the terminal's foreground group, which a supervisor needs to
 * run its command as a job of its own (as a shell does), and the asynchronous pipe
 * notice (O_ASYNC, SIGIO) that tells hako-run when hako's init has something to say.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"

/* A pid or process group id: 0 (the caller) or positive, up to the largest pid there can be. */
static pid_t check_pid(lua_State *L, int arg)
{
	return (pid_t)hako_check_int(L, arg, 0, 0x3fffffff);
}

/* setpgid(pid, pgid); 0 for either means the caller (setpgid(2)). */
static int core_setpgid(lua_State *L)
{
	return hako_result(L, setpgid(check_pid(L, 1), check_pid(L, 2)), "setpgid", NULL);
}

/* getpgid(pid) -> the process group id; 0 for the caller's own. */
static int core_getpgid(lua_State *L)
{
	pid_t pgid = getpgid(check_pid(L, 1));

	if (pgid == -1)
		return hako_fail(L, errno, "getpgid", NULL);
	lua_pushinteger(L, pgid);
	return 1;
}

/* tcgetpgrp(fd) -> the foreground process group of the terminal fd. */
static int core_tcgetpgrp(lua_State *L)
{
	pid_t pgrp = tcgetpgrp(hako_check_fd(L, 1));

	if (pgrp == -1)
		return hako_fail(L, errno, "tcgetpgrp", NULL);
	lua_pushinteger(L, pgrp);
	return 1;
}

/* tcsetpgrp(fd, pgrp): make pgrp the terminal's foreground process group. */
static int core_tcsetpgrp(lua_State *L)
{
	return hako_result(L, tcsetpgrp(hako_check_fd(L, 1), check_pid(L, 2)), "tcsetpgrp", NULL);
}

/* setsid() -> the new session's id: no controlling terminal, no job control reaches it. */
static int core_setsid(lua_State *L)
{
	pid_t sid = setsid();

	if (sid == -1)
		return hako_fail(L, errno, "setsid", NULL);
	lua_pushinteger(L, sid);
	return 1;
}

static const luaL_Reg funcs[] = {
	{"setsid", core_setsid},
	{"setpgid", core_setpgid},
	{"getpgid", core_getpgid},
	{"tcgetpgrp", core_tcgetpgrp},
	{"tcsetpgrp", core_tcsetpgrp},
	{NULL, NULL}
};

static const struct hako_const consts[] = {
	HAKO_CONST(WUNTRACED),
	HAKO_CONST(SIGIO),
	HAKO_CONST(O_ASYNC),
	HAKO_CONST(F_GETFL),
	HAKO_CONST(F_SETFL),
	HAKO_CONST(F_SETOWN),
	{NULL, 0}
};

const struct hako_area hako_job = { funcs, consts };
