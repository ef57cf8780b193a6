/* fd.c: calls relative to a file descriptor: *at() variants, fcntl, memfd_create, sendfile. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif

/* renameat(olddirfd, old, newdirfd, new): replaces new atomically (rename(2)). */
static int core_renameat(lua_State *L)
{
	int olddir = hako_check_dirfd(L, 1);
	const char *old = hako_check_cstring(L, 2);
	int newdir = hako_check_dirfd(L, 3);
	const char *new = hako_check_cstring(L, 4);

	return hako_result(L, renameat(olddir, old, newdir, new), "renameat", new);
}

/* unlinkat(dirfd, path, flags) */
static int core_unlinkat(lua_State *L)
{
	int dirfd = hako_check_dirfd(L, 1);
	const char *path = hako_check_cstring(L, 2);
	int flags = (int)hako_opt_int(L, 3, 0, 0, HAKO_INT_MAX);

	return hako_result(L, unlinkat(dirfd, path, flags), "unlinkat", path);
}

/* readlinkat(dirfd, path) -> where the symlink points; path "" names dirfd itself (an
 * O_PATH fd of a symlink). A target that fills the buffer is refused, never cut short. */
static int core_readlinkat(lua_State *L)
{
	int dirfd = hako_check_dirfd(L, 1);
	const char *path = hako_check_cstring(L, 2);
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, path, target, sizeof target);

	if (n == -1)
		return hako_fail(L, errno, "readlinkat", path);
	if ((size_t)n == sizeof target)
		return hako_fail(L, ENAMETOOLONG, "readlinkat", path);
	lua_pushlstring(L, target, (size_t)n);
	return 1;
}

/* faccessat(dirfd, path, mode, flags): EROFS for W_OK tells a read-only mount. */
static int core_faccessat(lua_State *L)
{
	int dirfd = hako_check_dirfd(L, 1);
	const char *path = hako_check_cstring(L, 2);
	int mode = (int)hako_check_int(L, 3, 0, R_OK | W_OK | X_OK);
	int flags = (int)hako_opt_int(L, 4, 0, 0, HAKO_INT_MAX);

	return hako_result(L, faccessat(dirfd, path, mode, flags), "faccessat", path);
}

/* fcntl(fd, cmd[, arg]) -> the call's non-negative result; only integer arguments. */
static int core_fcntl(lua_State *L)
{
	int fd = hako_check_fd(L, 1);
	int cmd = (int)hako_check_int(L, 2, 0, HAKO_INT_MAX);
	/* F_SETOWN takes a negative process group. */
	int arg = (int)hako_opt_int(L, 3, 0, HAKO_INT_MIN, HAKO_INT_MAX);
	int rc = fcntl(fd, cmd, arg);

	if (rc == -1)
		return hako_fail(L, errno, "fcntl", NULL);
	lua_pushinteger(L, rc);
	return 1;
}

/* memfd_create(name, flags) -> fd. The raw syscall: older libcs lack the wrapper. */
static int core_memfd_create(lua_State *L)
{
	const char *name = hako_check_cstring(L, 1);
	unsigned int flags = (unsigned int)hako_opt_int(L, 2, 0, 0, HAKO_UINT_MAX);
	int fd = (int)syscall(SYS_memfd_create, name, flags);

	if (fd == -1)
		return hako_fail(L, errno, "memfd_create", name);
	lua_pushinteger(L, fd);
	return 1;
}

/* sendfile(out_fd, in_fd, count) -> bytes copied from in_fd's offset (0 at its end). */
static int core_sendfile(lua_State *L)
{
	int out = hako_check_fd(L, 1);
	int in = hako_check_fd(L, 2);
	/* size_t may have 32 bits; the kernel copies at most INT_MAX-ish bytes anyway. */
	lua_Integer count = hako_check_int(L, 3, 0, HAKO_INT_MAX);
	ssize_t n;

	do
		n = sendfile(out, in, NULL, (size_t)count);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return hako_fail(L, errno, "sendfile", NULL);
	lua_pushinteger(L, n);
	return 1;
}

/* flock(fd, operation): LOCK_SH or LOCK_EX (| LOCK_NB), or LOCK_UN. */
static int core_flock(lua_State *L)
{
	int fd = hako_check_fd(L, 1);
	int op = (int)hako_check_int(L, 2, 0, HAKO_INT_MAX);

	return hako_result(L, flock(fd, op), "flock", NULL);
}

static const luaL_Reg funcs[] = {
	{"renameat", core_renameat},
	{"flock", core_flock},
	{"unlinkat", core_unlinkat},
	{"readlinkat", core_readlinkat},
	{"faccessat", core_faccessat},
	{"fcntl", core_fcntl},
	{"memfd_create", core_memfd_create},
	{"sendfile", core_sendfile},
	{NULL, NULL}
};

static const struct hako_const consts[] = {
	HAKO_CONST(F_OK),
	HAKO_CONST(R_OK),
	HAKO_CONST(W_OK),
	HAKO_CONST(X_OK),
	HAKO_CONST(F_GETFD),
	HAKO_CONST(F_SETFD),
	HAKO_CONST(FD_CLOEXEC),
	HAKO_CONST(F_ADD_SEALS),
	HAKO_CONST(F_GET_SEALS),
	HAKO_CONST(F_SEAL_SEAL),
	HAKO_CONST(F_SEAL_SHRINK),
	HAKO_CONST(F_SEAL_GROW),
	HAKO_CONST(F_SEAL_WRITE),
	HAKO_CONST(MFD_CLOEXEC),
	HAKO_CONST(MFD_ALLOW_SEALING),
	HAKO_CONST(AT_REMOVEDIR),
	HAKO_CONST(LOCK_SH),
	HAKO_CONST(LOCK_EX),
	HAKO_CONST(LOCK_NB),
	HAKO_CONST(LOCK_UN),
	{NULL, 0}
};

const struct hako_area hako_fd = { funcs, consts };
