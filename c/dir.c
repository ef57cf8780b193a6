/* dir.c: directories and names: cwd and root, mkdir, device nodes, links, rename, umask. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "core.h"

/* readdir(path) -> array of entry names, without "." and ".." */
static int core_readdir(lua_State *L)
{
	const char *path = hako_check_cstring(L, 1);
	struct dirent *e;
	DIR *d;
	int n = 0, err;

	lua_newtable(L);
	d = opendir(path);
	if (!d)
		return hako_fail(L, errno, "opendir", path);
	errno = 0;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			lua_pushstring(L, e->d_name);
			lua_rawseti(L, -2, ++n);
		}
		errno = 0;
	}
	err = errno;
	closedir(d);
	if (err)
		return hako_fail(L, err, "readdir", path);
	return 1;
}

static int core_chdir(lua_State *L)
{
	const char *path = hako_check_cstring(L, 1);

	return hako_result(L, chdir(path), "chdir", path);
}

static int core_fchdir(lua_State *L)
{
	return hako_result(L, fchdir(hako_check_fd(L, 1)), "fchdir", NULL);
}

static int core_chroot(lua_State *L)
{
	const char *path = hako_check_cstring(L, 1);

	return hako_result(L, chroot(path), "chroot", path);
}

static int core_getcwd(lua_State *L)
{
	char buf[PATH_MAX];

	if (!getcwd(buf, sizeof buf))
		return hako_fail(L, errno, "getcwd", NULL);
	lua_pushstring(L, buf);
	return 1;
}

static int core_mkdir(lua_State *L)
{
	const char *path = hako_check_cstring(L, 1);

	return hako_result(L, mkdir(path, (mode_t)hako_opt_int(L, 2, 0755, 0, HAKO_MODE_MAX)), "mkdir", path);
}

/* mkdirat(dirfd, path, mode) */
static int core_mkdirat(lua_State *L)
{
	int dirfd = hako_check_dirfd(L, 1);
	const char *path = hako_check_cstring(L, 2);

	return hako_result(L, mkdirat(dirfd, path, (mode_t)hako_opt_int(L, 3, 0755, 0, HAKO_MODE_MAX)),
			   "mkdirat", path);
}

/* mknodat(dirfd, path, mode, major, minor): mode holds the file type (S_IFCHR...). */
static int core_mknodat(lua_State *L)
{
	int dirfd = hako_check_dirfd(L, 1);
	const char *path = hako_check_cstring(L, 2);
	mode_t mode = (mode_t)hako_check_int(L, 3, 0, HAKO_FILE_MODE_MAX);
	unsigned int major = (unsigned int)hako_opt_int(L, 4, 0, 0, HAKO_UINT_MAX);
	unsigned int minor = (unsigned int)hako_opt_int(L, 5, 0, 0, HAKO_UINT_MAX);

	return hako_result(L, mknodat(dirfd, path, mode, makedev(major, minor)), "mknodat", path);
}

/* symlinkat(target, dirfd, path) */
static int core_symlinkat(lua_State *L)
{
	const char *target = hako_check_cstring(L, 1);
	int dirfd = hako_check_dirfd(L, 2);
	const char *path = hako_check_cstring(L, 3);

	return hako_result(L, symlinkat(target, dirfd, path), "symlinkat", path);
}

/* umask(mask) -> the previous mask; it cannot fail. */
static int core_umask(lua_State *L)
{
	lua_pushinteger(L, umask((mode_t)hako_check_int(L, 1, 0, 0777)));
	return 1;
}

static int core_unlink(lua_State *L)
{
	const char *path = hako_check_cstring(L, 1);

	return hako_result(L, unlink(path), "unlink", path);
}

static int core_rename(lua_State *L)
{
	const char *from = hako_check_cstring(L, 1);
	const char *to = hako_check_cstring(L, 2);

	return hako_result(L, rename(from, to), "rename", to);
}

static const luaL_Reg funcs[] = {
	{"readdir", core_readdir},
	{"chdir", core_chdir},
	{"fchdir", core_fchdir},
	{"chroot", core_chroot},
	{"getcwd", core_getcwd},
	{"mkdir", core_mkdir},
	{"mkdirat", core_mkdirat},
	{"mknodat", core_mknodat},
	{"symlinkat", core_symlinkat},
	{"umask", core_umask},
	{"unlink", core_unlink},
	{"rename", core_rename},
	{NULL, NULL}
};

static const struct hako_const consts[] = {
	HAKO_CONST(S_IFCHR),
	{NULL, 0}
};

const struct hako_area hako_dir = { funcs, consts };
