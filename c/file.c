/* file.c: files: open/openat2, read/write, pipes, poll, stat. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef RESOLVE_NO_XDEV
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#endif
#define HAKO_STATX_BASIC 0x7ffU
#define HAKO_STATX_MNT_ID 0x1000U
#define HAKO_STATX_ATTR_MOUNT_ROOT 0x2000U

/* The kernel's struct statx and struct open_how, which older libcs lack. */
struct hako_statx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, spare0;
	uint64_t ino, size, blocks, attributes_mask;
	struct { int64_t sec; uint32_t nsec; int32_t reserved; } atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t mnt_id;
	uint64_t spare[13];
};

struct hako_open_how {
	uint64_t flags, mode, resolve;
};

static int push_fd(lua_State *L, int fd, const char *call, const char *path)
{
	if (fd == -1)
		return hako_fail(L, errno, call, path);
	lua_pushinteger(L, fd);
	return 1;
}

/* open(path, flags[, mode]) -> fd */
static int core_open(lua_State *L)
{
	const char *path = hako_check_cstring(L, 1);
	int flags = (int)hako_check_int(L, 2, 0, HAKO_INT_MAX);
	mode_t mode = (mode_t)hako_opt_int(L, 3, 0, 0, HAKO_MODE_MAX);

	return push_fd(L, open(path, flags, mode), "open", path);
}

/* openat2(dirfd, path, flags, mode, resolve) -> fd */
static int core_openat2(lua_State *L)
{
	int dirfd = hako_check_dirfd(L, 1);
	const char *path = hako_check_cstring(L, 2);
	struct hako_open_how how;

	how.flags = (uint64_t)hako_check_int(L, 3, 0, HAKO_U64_MAX);
	how.mode = (uint64_t)hako_opt_int(L, 4, 0, 0, HAKO_MODE_MAX);
	how.resolve = (uint64_t)hako_opt_int(L, 5, 0, 0, HAKO_U64_MAX);
	return push_fd(L, (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how),
		       "openat2", path);
}

static int core_close(lua_State *L)
{
	return hako_result(L, close(hako_check_fd(L, 1)), "close", NULL);
}

/* close_range(first, last, flags) */
static int core_close_range(lua_State *L)
{
	unsigned int first = (unsigned int)hako_check_int(L, 1, 0, HAKO_UINT_MAX);
	unsigned int last = (unsigned int)hako_opt_int(L, 2, UINT_MAX, 0, HAKO_UINT_MAX);
	unsigned int flags = (unsigned int)hako_opt_int(L, 3, 0, 0, HAKO_UINT_MAX);

	return hako_result(L, (int)syscall(SYS_close_range, first, last, flags),
			   "close_range", NULL);
}

/* read(fd, max) -> string, "" at end of file */
static int core_read(lua_State *L)
{
	int fd = hako_check_fd(L, 1);
	lua_Integer max = luaL_optinteger(L, 2, 4096);
	luaL_Buffer b;
	ssize_t n;
	char *p;

	luaL_argcheck(L, max > 0 && max <= 1 << 24, 2, "size out of range");
	p = luaL_buffinitsize(L, &b, (size_t)max);
	do
		n = read(fd, p, (size_t)max);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return hako_fail(L, errno, "read", NULL);
	luaL_pushresultsize(&b, (size_t)n);
	return 1;
}

/* write(fd, string) -> bytes written */
static int core_write(lua_State *L)
{
	int fd = hako_check_fd(L, 1);
	size_t len;
	const char *s = luaL_checklstring(L, 2, &len);
	ssize_t n;

	do
		n = write(fd, s, len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return hako_fail(L, errno, "write", NULL);
	lua_pushinteger(L, n);
	return 1;
}

/* pipe2(flags) -> read fd, write fd */
static int core_pipe2(lua_State *L)
{
	int fds[2];

	if (pipe2(fds, (int)hako_opt_int(L, 1, 0, 0, HAKO_INT_MAX)) == -1)
		return hako_fail(L, errno, "pipe2", NULL);
	lua_pushinteger(L, fds[0]);
	lua_pushinteger(L, fds[1]);
	return 2;
}

/* poll(fd, events, timeout_ms) -> revents (0 on timeout) */
static int core_poll(lua_State *L)
{
	struct pollfd p;
	int n;

	p.fd = hako_check_fd(L, 1);
	p.events = (short)hako_check_int(L, 2, 0, SHRT_MAX);
	p.revents = 0;
	n = poll(&p, 1, (int)hako_opt_int(L, 3, -1, -1, HAKO_INT_MAX));
	if (n == -1)
		return hako_fail(L, errno, "poll", NULL);
	lua_pushinteger(L, p.revents);
	return 1;
}

static const char *file_type(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "link";
	case S_IFCHR: return "char";
	case S_IFBLK: return "block";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	default: return "unknown";
	}
}

#define SET_INT(name, value) (lua_pushinteger(L, (lua_Integer)(value)), lua_setfield(L, -2, name))

/* statx(dirfd, path, flags) -> {type, mode, uid, gid, size, ino, dev_*, rdev_*, mnt_id, mount_root,
 * mtime_sec, mtime_nsec} */
static int core_statx(lua_State *L)
{
	int dirfd = hako_check_dirfd(L, 1);
	const char *path = hako_check_cstring(L, 2);
	int flags = (int)hako_opt_int(L, 3, 0, 0, HAKO_INT_MAX);
	struct hako_statx st;

	memset(&st, 0, sizeof st);
	if (syscall(SYS_statx, dirfd, path, flags, HAKO_STATX_BASIC | HAKO_STATX_MNT_ID, &st) == -1)
		return hako_fail(L, errno, "statx", path);
	lua_createtable(L, 0, 15);
	lua_pushstring(L, file_type(st.mode));
	lua_setfield(L, -2, "type");
	SET_INT("mode", st.mode & 07777);
	SET_INT("uid", st.uid);
	SET_INT("gid", st.gid);
	SET_INT("size", st.size);
	SET_INT("ino", st.ino);
	SET_INT("nlink", st.nlink);
	SET_INT("dev_major", st.dev_major);
	SET_INT("dev_minor", st.dev_minor);
	SET_INT("rdev_major", st.rdev_major);
	SET_INT("rdev_minor", st.rdev_minor);
	SET_INT("mnt_id", st.mnt_id);
	SET_INT("mtime_sec", st.mtime.sec);
	SET_INT("mtime_nsec", st.mtime.nsec);
	/* Only meaningful where the kernel reports it (Linux 5.8 on). */
	lua_pushboolean(L, (st.attributes_mask & HAKO_STATX_ATTR_MOUNT_ROOT) &&
			   (st.attributes & HAKO_STATX_ATTR_MOUNT_ROOT));
	lua_setfield(L, -2, "mount_root");
	return 1;
}

static const luaL_Reg funcs[] = {
	{"open", core_open},
	{"openat2", core_openat2},
	{"close", core_close},
	{"close_range", core_close_range},
	{"read", core_read},
	{"write", core_write},
	{"pipe2", core_pipe2},
	{"poll", core_poll},
	{"statx", core_statx},
	{NULL, NULL}
};

static const struct hako_const consts[] = {
	HAKO_CONST(O_RDONLY),
	HAKO_CONST(O_WRONLY),
	HAKO_CONST(O_RDWR),
	HAKO_CONST(O_CREAT),
	HAKO_CONST(O_EXCL),
	HAKO_CONST(O_TRUNC),
	HAKO_CONST(O_APPEND),
	HAKO_CONST(O_CLOEXEC),
	HAKO_CONST(O_NOFOLLOW),
	HAKO_CONST(O_DIRECTORY),
	HAKO_CONST(O_NONBLOCK),
	HAKO_CONST(O_NOCTTY),
	HAKO_CONST(O_PATH),
	HAKO_CONST(CLOSE_RANGE_CLOEXEC),
	HAKO_CONST(AT_FDCWD),
	HAKO_CONST(AT_SYMLINK_NOFOLLOW),
	HAKO_CONST(AT_EMPTY_PATH),
	HAKO_CONST(RESOLVE_NO_XDEV),
	HAKO_CONST(RESOLVE_NO_MAGICLINKS),
	HAKO_CONST(RESOLVE_NO_SYMLINKS),
	HAKO_CONST(RESOLVE_BENEATH),
	HAKO_CONST(RESOLVE_IN_ROOT),
	HAKO_CONST(POLLIN),
	HAKO_CONST(POLLHUP),
	{NULL, 0}
};

const struct hako_area hako_file = { funcs, consts };
