/* signal.c: signal masks, synchronous waiting for signals, and the clock their timeouts use. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <time.h>

#include "core.h"

/* A Lua array of signal numbers as a sigset_t. */
void hako_check_sigset(lua_State *L, int arg, sigset_t *set)
{
	lua_Integer i, n, sig;

	luaL_checktype(L, arg, LUA_TTABLE);
	sigemptyset(set);
	n = (lua_Integer)lua_rawlen(L, arg);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, arg, i);
		sig = luaL_checkinteger(L, -1);
		lua_pop(L, 1);
		if (sig < 1 || sig >= NSIG || sigaddset(set, (int)sig) == -1)
			luaL_argerror(L, arg, "invalid signal number");
	}
}

static void push_sigset(lua_State *L, const sigset_t *set)
{
	int sig, n = 0;

	lua_newtable(L);
	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(set, sig) == 1) {
			lua_pushinteger(L, sig);
			lua_rawseti(L, -2, ++n);
		}
}

/* sigprocmask(how, signals) -> the previous mask, as an array of signal numbers. */
static int core_sigprocmask(lua_State *L)
{
	int how = (int)hako_check_int(L, 1, 0, HAKO_INT_MAX);
	sigset_t set, old;

	hako_check_sigset(L, 2, &set);
	if (sigprocmask(how, &set, &old) == -1)
		return hako_fail(L, errno, "sigprocmask", NULL);
	push_sigset(L, &old);
	return 1;
}

/*
 * sigtimedwait(signals[, seconds]) -> signo, sender pid, si_code. Without seconds
 * it waits for ever. The signals must be blocked, or they are delivered instead.
 * A timeout fails with EAGAIN, an unrelated handled signal with EINTR. si_code
 * tells a kill(2) (SI_USER) from a signal the kernel sent, e.g. the terminal's
 * SIGINT to its foreground process group (SI_KERNEL).
 */
static int core_sigtimedwait(lua_State *L)
{
	sigset_t set;
	siginfo_t info;
	struct timespec ts;
	lua_Number seconds;
	int sig;

	hako_check_sigset(L, 1, &set);
	if (lua_isnoneornil(L, 2)) {
		sig = sigwaitinfo(&set, &info);
	} else {
		seconds = luaL_checknumber(L, 2);
		/* time_t cannot hold every float: beyond it the conversion is undefined. */
		luaL_argcheck(L, seconds >= 0 && seconds <= (lua_Number)INT_MAX, 2, "timeout out of range");
		ts.tv_sec = (time_t)seconds;
		ts.tv_nsec = (long)((seconds - (lua_Number)ts.tv_sec) * 1e9);
		sig = sigtimedwait(&set, &info, &ts);
	}
	if (sig == -1)
		return hako_fail(L, errno, "sigtimedwait", NULL);
	lua_pushinteger(L, sig);
	lua_pushinteger(L, info.si_pid);
	lua_pushinteger(L, info.si_code);
	return 3;
}

/* clock_gettime(clockid) -> seconds, as a float. */
static int core_clock_gettime(lua_State *L)
{
	/* Negative ids are CPU-time clocks of processes (clock_getcpuclockid). */
	clockid_t clock = (clockid_t)hako_check_int(L, 1, HAKO_INT_MIN, HAKO_INT_MAX);
	struct timespec ts;

	if (clock_gettime(clock, &ts) == -1)
		return hako_fail(L, errno, "clock_gettime", NULL);
	lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
	return 1;
}

static const luaL_Reg funcs[] = {
	{"sigprocmask", core_sigprocmask},
	{"sigtimedwait", core_sigtimedwait},
	{"clock_gettime", core_clock_gettime},
	{NULL, NULL}
};

static const struct hako_const consts[] = {
	HAKO_CONST(SIG_BLOCK),
	HAKO_CONST(SIG_UNBLOCK),
	HAKO_CONST(SIG_SETMASK),
	HAKO_CONST(SIGHUP),
	HAKO_CONST(SIGINT),
	HAKO_CONST(SIGQUIT),
	HAKO_CONST(SIGILL),
	HAKO_CONST(SIGABRT),
	HAKO_CONST(SIGKILL),
	HAKO_CONST(SIGSEGV),
	HAKO_CONST(SIGPIPE),
	HAKO_CONST(SIGALRM),
	HAKO_CONST(SIGTERM),
	HAKO_CONST(SIGUSR1),
	HAKO_CONST(SIGUSR2),
	HAKO_CONST(SIGCHLD),
	HAKO_CONST(SIGCONT),
	HAKO_CONST(SIGSTOP),
	HAKO_CONST(SIGTSTP),
	HAKO_CONST(SIGTTIN),
	HAKO_CONST(SIGTTOU),
	HAKO_CONST(SIGWINCH),
	HAKO_CONST(SI_USER),
	HAKO_CONST(SI_KERNEL),
	HAKO_CONST(SI_QUEUE),
	HAKO_CONST(SI_TKILL),
	HAKO_CONST(CLOCK_MONOTONIC),
	{NULL, 0}
};

const struct hako_area hako_signal = { funcs, consts };
