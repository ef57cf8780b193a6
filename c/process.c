/* process.c: processes: clone, execve(at), spawn, pidfd, waitpid, kill, _exit, prctl and process identity. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_execveat
#define SYS_execveat 322
#endif

extern char **environ;

/*
 * clone(flags): a fork into new namespaces. No CLONE_VM and no new stack: the
 * child gets a copy-on-write copy of the parent, so the Lua state goes on there.
 * The raw syscall because glibc's clone() wants a stack (clone(2), NOTES).
 */
static int core_clone(lua_State *L)
{
	unsigned long flags = (unsigned long)hako_check_int(L, 1, 0, UINT32_MAX);
	long pid;

	if (flags & CLONE_VM)
		return luaL_argerror(L, 1, "CLONE_VM is not allowed");
	pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid == -1)
		return hako_fail(L, errno, "clone", NULL);
	lua_pushinteger(L, pid);
	return 1;
}

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define CLONE_INTO_CGROUP_FLAG 0x200000000ULL /* linux/sched.h, Linux 5.7 */

/* struct clone_args up to cgroup (CLONE_ARGS_SIZE_VER2), as linux/sched.h has it. */
struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

/*
 * clone_into_cgroup(flags, cgroup_fd): clone(flags) whose child starts in the cgroup v2
 * directory cgroup_fd is, so that it never runs a moment outside it (clone3(2)).
 */
static int core_clone_into_cgroup(lua_State *L)
{
	struct clone_args_v2 args;
	long pid;

	memset(&args, 0, sizeof args);
	args.flags = (uint64_t)hako_check_int(L, 1, 0, UINT32_MAX) | CLONE_INTO_CGROUP_FLAG;
	args.cgroup = (uint64_t)hako_check_fd(L, 2);
	args.exit_signal = SIGCHLD;
	if (args.flags & CLONE_VM)
		return luaL_argerror(L, 1, "CLONE_VM is not allowed");
	pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid == -1)
		return hako_fail(L, errno, "clone3", NULL);
	lua_pushinteger(L, pid);
	return 1;
}

/* execve(path, argv, envp): returns only on failure. */
static int core_execve(lua_State *L)
{
	const char *path = hako_check_cstring(L, 1);
	char **argv = hako_check_strings(L, 2);
	char **envp = hako_check_strings(L, 3);

	execve(path, argv, envp);
	return hako_fail(L, errno, "execve", path);
}

/*
 * spawn(path, argv, envp[, mask]) -> pid: execve in a new child that shares this process's
 * memory until its exec, as posix_spawn(3) does (clone with CLONE_VM | CLONE_VFORK, on a
 * stack of its own; this process waits meanwhile): no copy of the page tables, and no
 * copy-on-write fault on either side for a process that only execs. The child sets the
 * signal mask first if one is given (an array of signal numbers), and runs no Lua. If the
 * exec fails, the child ends (it is reaped here) and its errno is the failure.
 */
struct spawn_args {
	const char *path;
	char **argv, **envp;
	sigset_t mask;
	int set_mask;
	volatile int error;
};

static int spawned(void *arg)
{
	struct spawn_args *a = arg;

	if (!a->set_mask || sigprocmask(SIG_SETMASK, &a->mask, NULL) == 0)
		execve(a->path, a->argv, a->envp);
	a->error = errno ? errno : EINVAL;
	_exit(127);
}

static int core_spawn(lua_State *L)
{
	/* The child's stack: execve's wrapper and sigprocmask need little. One process spawns
	 * one child at a time (it waits until the exec), so one static stack does. */
	static char stack[64 * 1024] __attribute__((aligned(16)));
	struct spawn_args a;
	pid_t pid;

	a.path = hako_check_cstring(L, 1);
	a.set_mask = !lua_isnoneornil(L, 4);
	if (a.set_mask)
		hako_check_sigset(L, 4, &a.mask);
	a.argv = hako_check_strings(L, 2);
	a.envp = hako_check_strings(L, 3);
	a.error = 0;
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer cannot follow a child onto a stack of its own (it warns, on the
	 * command's stderr, at the child's _exit): the sanitizer build uses vfork, whose
	 * child runs on this stack until it execs or ends. */
	(void)stack;
	pid = vfork();
	if (pid == 0)
		spawned(&a);
#else
	pid = clone(spawned, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, &a);
#endif
	if (pid == -1)
		return hako_fail(L, errno, "clone", NULL);
	if (a.error) {
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		return hako_fail(L, a.error, "execve", a.path);
	}
	lua_pushinteger(L, pid);
	return 1;
}

/* execveat(dirfd, path, argv, envp, flags): with AT_EMPTY_PATH, runs the file dirfd is. */
static int core_execveat(lua_State *L)
{
	int dirfd = hako_check_dirfd(L, 1);
	const char *path = hako_check_cstring(L, 2);
	/* Before the arrays: each is pushed as a userdata, which would be argument 5. */
	int flags = (int)hako_opt_int(L, 5, 0, 0, HAKO_INT_MAX);
	char **argv = hako_check_strings(L, 3);
	char **envp = hako_check_strings(L, 4);

	syscall(SYS_execveat, dirfd, path, argv, envp, flags);
	return hako_fail(L, errno, "execveat", path);
}

/* pidfd_open(pid) -> fd: a handle on that very process, immune to pid reuse. */
static int core_pidfd_open(lua_State *L)
{
	pid_t pid = (pid_t)hako_check_int(L, 1, 1, HAKO_INT_MAX);
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd == -1)
		return hako_fail(L, errno, "pidfd_open", NULL);
	lua_pushinteger(L, fd);
	return 1;
}

/* pidfd_send_signal(pidfd, sig): sig 0 only asks whether the process still lives. */
static int core_pidfd_send_signal(lua_State *L)
{
	int fd = hako_check_fd(L, 1);
	int sig = hako_check_signal(L, 2);

	return hako_result(L, (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0),
			   "pidfd_send_signal", NULL);
}

/* waitpid(pid, options) -> pid, "exited"|"killed"|"stopped"|"continued", code; 0 when WNOHANG finds none. */
static int core_waitpid(lua_State *L)
{
	/* -1 any child, below -1 a process group: pid_t's whole range means something. */
	pid_t pid = (pid_t)hako_check_int(L, 1, HAKO_INT_MIN, HAKO_INT_MAX);
	int options = (int)hako_opt_int(L, 2, 0, 0, HAKO_INT_MAX);
	int status;
	pid_t got;

	do
		got = waitpid(pid, &status, options);
	while (got == -1 && errno == EINTR);
	if (got == -1)
		return hako_fail(L, errno, "waitpid", NULL);
	lua_pushinteger(L, got);
	if (got == 0)
		return 1;
	if (WIFEXITED(status)) {
		lua_pushliteral(L, "exited");
		lua_pushinteger(L, WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		lua_pushliteral(L, "killed");
		lua_pushinteger(L, WTERMSIG(status));
	} else if (WIFSTOPPED(status)) {
		lua_pushliteral(L, "stopped");
		lua_pushinteger(L, WSTOPSIG(status));
	} else {
		lua_pushliteral(L, "continued");
		lua_pushinteger(L, 0);
	}
	return 3;
}

static int core_kill(lua_State *L)
{
	pid_t pid = (pid_t)hako_check_int(L, 1, HAKO_INT_MIN, HAKO_INT_MAX);
	int sig = hako_check_signal(L, 2);

	return hako_result(L, kill(pid, sig), "kill", NULL);
}

static int core__exit(lua_State *L)
{
	/* An exit status has 8 bits: 256 would silently be 0, success. */
	_exit((int)hako_opt_int(L, 1, 0, 0, 255));
	return 0;
}

static int core_getpid(lua_State *L)
{
	lua_pushinteger(L, getpid());
	return 1;
}

static int core_getppid(lua_State *L)
{
	lua_pushinteger(L, getppid());
	return 1;
}

/* getsid(pid) -> the session id; 0 for the caller's own. */
static int core_getsid(lua_State *L)
{
	pid_t sid = getsid((pid_t)hako_opt_int(L, 1, 0, 0, HAKO_INT_MAX));

	if (sid == -1)
		return hako_fail(L, errno, "getsid", NULL);
	lua_pushinteger(L, sid);
	return 1;
}

/* prctl(option, arg2, arg3, arg4, arg5) -> the call's non-negative result. */
static int core_prctl(lua_State *L)
{
	int option = (int)hako_check_int(L, 1, 0, HAKO_INT_MAX);
	unsigned long a[4];
	int i, rc;

	for (i = 0; i < 4; i++)
		a[i] = (unsigned long)hako_opt_int(L, i + 2, 0, 0, HAKO_ULONG_MAX);
	rc = prctl(option, a[0], a[1], a[2], a[3]);
	if (rc == -1)
		return hako_fail(L, errno, "prctl", NULL);
	lua_pushinteger(L, rc);
	return 1;
}

/* environ() -> {"NAME=value", ...}: the process environment, for --keep-env. */
static int core_environ(lua_State *L)
{
	int i;

	lua_newtable(L);
	for (i = 0; environ && environ[i]; i++) {
		lua_pushstring(L, environ[i]);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

static const luaL_Reg funcs[] = {
	{"clone", core_clone},
	{"clone_into_cgroup", core_clone_into_cgroup},
	{"execve", core_execve},
	{"execveat", core_execveat},
	{"spawn", core_spawn},
	{"pidfd_open", core_pidfd_open},
	{"pidfd_send_signal", core_pidfd_send_signal},
	{"waitpid", core_waitpid},
	{"kill", core_kill},
	{"_exit", core__exit},
	{"getpid", core_getpid},
	{"getppid", core_getppid},
	{"getsid", core_getsid},
	{"prctl", core_prctl},
	{"environ", core_environ},
	{NULL, NULL}
};

static const struct hako_const consts[] = {
	HAKO_CONST(WNOHANG),
	HAKO_CONST(PR_SET_PDEATHSIG),
	HAKO_CONST(PR_GET_PDEATHSIG),
	HAKO_CONST(PR_SET_NO_NEW_PRIVS),
	HAKO_CONST(PR_GET_NO_NEW_PRIVS),
	HAKO_CONST(PR_SET_DUMPABLE),
	HAKO_CONST(PR_GET_DUMPABLE),
	HAKO_CONST(PR_SET_KEEPCAPS),
	HAKO_CONST(PR_CAPBSET_READ),
	HAKO_CONST(PR_CAPBSET_DROP),
	HAKO_CONST(PR_CAP_AMBIENT),
	HAKO_CONST(PR_CAP_AMBIENT_CLEAR_ALL),
	HAKO_CONST(PR_CAP_AMBIENT_RAISE),
	HAKO_CONST(PR_SET_CHILD_SUBREAPER),
	{NULL, 0}
};

const struct hako_area hako_process = { funcs, consts };
