/* mount.c: mounts: mount, umount2, pivot_root, and the fd-based mount API. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core.h"

/*
 * The new mount API (Linux 5.2 to 5.12) is missing from older libc headers,
 * and <linux/mount.h> clashes with <sys/mount.h> on some: define what we use.
 * Syscall numbers from 424 on are the same on every architecture.
 */
#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_fsconfig
#define SYS_fsconfig 431
#endif
#ifndef SYS_fsmount
#define SYS_fsmount 432
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#define FSMOUNT_CLOEXEC 0x00000001
#define FSCONFIG_SET_FLAG 0
#define FSCONFIG_SET_STRING 1
#define FSCONFIG_CMD_CREATE 6
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MNT_DETACH
#define MNT_DETACH 2
#endif
#ifndef UMOUNT_NOFOLLOW
#define UMOUNT_NOFOLLOW 8
#endif

struct hako_mount_attr {
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

/* mount(source, target, fstype, flags, data): source, fstype and data may be nil. */
static int core_mount(lua_State *L)
{
	const char *src = hako_opt_cstring(L, 1);
	const char *dst = hako_check_cstring(L, 2);
	const char *type = hako_opt_cstring(L, 3);
	/* Every MS_* flag fits in 32 bits, as unsigned long does on 32-bit machines. */
	unsigned long flags = (unsigned long)hako_opt_int(L, 4, 0, 0, UINT32_MAX);
	const char *data = hako_opt_cstring(L, 5);

	return hako_result(L, mount(src, dst, type, flags, data), "mount", dst);
}

static int core_umount2(lua_State *L)
{
	const char *target = hako_check_cstring(L, 1);
	int flags = (int)hako_opt_int(L, 2, 0, 0, HAKO_INT_MAX);

	return hako_result(L, umount2(target, flags), "umount2", target);
}

/* pivot_root(new_root, put_old): glibc and musl have no wrapper. */
static int core_pivot_root(lua_State *L)
{
	const char *new_root = hako_check_cstring(L, 1);
	const char *put_old = hako_check_cstring(L, 2);

	return hako_result(L, (int)syscall(SYS_pivot_root, new_root, put_old),
			   "pivot_root", new_root);
}

/*
 * mount_setattr(dirfd, path, flags, attr_set, attr_clr, propagation, userns_fd):
 * userns_fd is read by the kernel only with MOUNT_ATTR_IDMAP in attr_set.
 */
static int core_mount_setattr(lua_State *L)
{
	int dirfd = hako_check_dirfd(L, 1);
	const char *path = hako_check_cstring(L, 2);
	unsigned int flags = (unsigned int)hako_opt_int(L, 3, 0, 0, HAKO_UINT_MAX);
	struct hako_mount_attr attr = {0, 0, 0, 0};

	attr.attr_set = (uint64_t)hako_opt_int(L, 4, 0, 0, HAKO_U64_MAX);
	attr.attr_clr = (uint64_t)hako_opt_int(L, 5, 0, 0, HAKO_U64_MAX);
	attr.propagation = (uint64_t)hako_opt_int(L, 6, 0, 0, HAKO_U64_MAX);
	attr.userns_fd = (uint64_t)hako_opt_int(L, 7, 0, 0, HAKO_INT_MAX);
	return hako_result(L, (int)syscall(SYS_mount_setattr, dirfd, path, flags,
					   &attr, sizeof attr), "mount_setattr", path);
}

/* open_tree(dirfd, path, flags) -> fd of a mount (a detached copy with OPEN_TREE_CLONE). */
static int core_open_tree(lua_State *L)
{
	int dirfd = hako_check_dirfd(L, 1);
	const char *path = hako_check_cstring(L, 2);
	unsigned int flags = (unsigned int)hako_opt_int(L, 3, 0, 0, HAKO_UINT_MAX);
	int fd = (int)syscall(SYS_open_tree, dirfd, path, flags);

	if (fd == -1)
		return hako_fail(L, errno, "open_tree", path);
	lua_pushinteger(L, fd);
	return 1;
}

/* move_mount(from_dirfd, from_path, to_dirfd, to_path, flags) */
static int core_move_mount(lua_State *L)
{
	int from_fd = hako_check_dirfd(L, 1);
	const char *from = hako_check_cstring(L, 2);
	int to_fd = hako_check_dirfd(L, 3);
	const char *to = hako_check_cstring(L, 4);
	unsigned int flags = (unsigned int)hako_opt_int(L, 5, 0, 0, HAKO_UINT_MAX);

	return hako_result(L, (int)syscall(SYS_move_mount, from_fd, from, to_fd, to, flags),
			   "move_mount", to);
}

/* fsopen(fstype, flags) -> fd of a new file system context */
static int core_fsopen(lua_State *L)
{
	const char *type = hako_check_cstring(L, 1);
	unsigned int flags = (unsigned int)hako_opt_int(L, 2, 0, 0, HAKO_UINT_MAX);
	int fd = (int)syscall(SYS_fsopen, type, flags);

	if (fd == -1)
		return hako_fail(L, errno, "fsopen", type);
	lua_pushinteger(L, fd);
	return 1;
}

/* fsconfig(fd, cmd, key, value): value a string or nil, as the command needs. */
static int core_fsconfig(lua_State *L)
{
	int fd = hako_check_fd(L, 1);
	unsigned int cmd = (unsigned int)hako_check_int(L, 2, 0, HAKO_UINT_MAX);
	const char *key = hako_opt_cstring(L, 3);
	const char *value = hako_opt_cstring(L, 4);

	return hako_result(L, (int)syscall(SYS_fsconfig, fd, cmd, key, value, 0),
			   "fsconfig", key);
}

/* fsmount(fd, flags, attr_flags) -> fd of a detached mount */
static int core_fsmount(lua_State *L)
{
	int fsfd = hako_check_fd(L, 1);
	unsigned int flags = (unsigned int)hako_opt_int(L, 2, 0, 0, HAKO_UINT_MAX);
	unsigned int attrs = (unsigned int)hako_opt_int(L, 3, 0, 0, HAKO_UINT_MAX);
	int fd = (int)syscall(SYS_fsmount, fsfd, flags, attrs);

	if (fd == -1)
		return hako_fail(L, errno, "fsmount", NULL);
	lua_pushinteger(L, fd);
	return 1;
}

static const luaL_Reg funcs[] = {
	{"mount", core_mount},
	{"umount2", core_umount2},
	{"pivot_root", core_pivot_root},
	{"mount_setattr", core_mount_setattr},
	{"open_tree", core_open_tree},
	{"move_mount", core_move_mount},
	{"fsopen", core_fsopen},
	{"fsconfig", core_fsconfig},
	{"fsmount", core_fsmount},
	{NULL, NULL}
};

static const struct hako_const consts[] = {
	HAKO_CONST(MS_RDONLY),
	HAKO_CONST(MS_NOSUID),
	HAKO_CONST(MS_NODEV),
	HAKO_CONST(MS_NOEXEC),
	HAKO_CONST(MS_REMOUNT),
	HAKO_CONST(MS_BIND),
	HAKO_CONST(MS_MOVE),
	HAKO_CONST(MS_REC),
	HAKO_CONST(MS_PRIVATE),
	HAKO_CONST(MS_SLAVE),
	HAKO_CONST(MS_SHARED),
	HAKO_CONST(MS_UNBINDABLE),
	HAKO_CONST(MNT_DETACH),
	HAKO_CONST(UMOUNT_NOFOLLOW),
	HAKO_CONST(MOUNT_ATTR_RDONLY),
	HAKO_CONST(MOUNT_ATTR_NOSUID),
	HAKO_CONST(MOUNT_ATTR_NODEV),
	HAKO_CONST(MOUNT_ATTR_NOEXEC),
	HAKO_CONST(MOUNT_ATTR_IDMAP),
	HAKO_CONST(AT_RECURSIVE),
	HAKO_CONST(OPEN_TREE_CLONE),
	HAKO_CONST(MOVE_MOUNT_F_EMPTY_PATH),
	HAKO_CONST(MOVE_MOUNT_T_EMPTY_PATH),
	HAKO_CONST(OPEN_TREE_CLOEXEC),
	HAKO_CONST(FSOPEN_CLOEXEC),
	HAKO_CONST(FSMOUNT_CLOEXEC),
	HAKO_CONST(FSCONFIG_SET_FLAG),
	HAKO_CONST(FSCONFIG_SET_STRING),
	HAKO_CONST(FSCONFIG_CMD_CREATE),
	{NULL, 0}
};

const struct hako_area hako_mount = { funcs, consts };
