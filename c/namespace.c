/* namespace.c: namespaces: unshare, setns, what a new UTS namespace holds, who owns one. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
/* From <linux/nsfs.h>: _IO(0xb7, 0x4) and _IO(0xb7, 0x2). */
#ifndef NS_GET_OWNER_UID
#define NS_GET_OWNER_UID 0xb704
#endif
#ifndef NS_GET_PARENT
#define NS_GET_PARENT 0xb702
#endif

static int core_unshare(lua_State *L)
{
	return hako_result(L, unshare((int)hako_check_int(L, 1, 0, HAKO_INT_MAX)), "unshare", NULL);
}

/* setns(fd, nstype): fd is a namespace file or a pidfd. */
static int core_setns(lua_State *L)
{
	int fd = hako_check_fd(L, 1);
	int nstype = (int)hako_opt_int(L, 2, 0, 0, HAKO_INT_MAX);

	return hako_result(L, setns(fd, nstype), "setns", NULL);
}

static int core_sethostname(lua_State *L)
{
	size_t len;
	const char *name = luaL_checklstring(L, 1, &len);

	return hako_result(L, sethostname(name, len), "sethostname", name);
}

/* ioctl(fd, NS_GET_OWNER_UID) -> the uid that created the user namespace file fd, as
 * our own user namespace sees it (the overflow uid if it is not mapped here). */
static int core_ns_get_owner_uid(lua_State *L)
{
	uid_t uid;

	if (ioctl(hako_check_fd(L, 1), NS_GET_OWNER_UID, &uid) == -1)
		return hako_fail(L, errno, "NS_GET_OWNER_UID", NULL);
	lua_pushinteger(L, uid);
	return 1;
}

/* ioctl(fd, NS_GET_PARENT) -> a new (close-on-exec) fd on the parent of the PID or user
 * namespace fd is; EPERM past the caller's own. */
static int core_ns_get_parent(lua_State *L)
{
	int fd = ioctl(hako_check_fd(L, 1), NS_GET_PARENT);

	if (fd == -1)
		return hako_fail(L, errno, "NS_GET_PARENT", NULL);
	lua_pushinteger(L, fd);
	return 1;
}

static const luaL_Reg funcs[] = {
	{"unshare", core_unshare},
	{"setns", core_setns},
	{"sethostname", core_sethostname},
	{"ns_get_owner_uid", core_ns_get_owner_uid},
	{"ns_get_parent", core_ns_get_parent},
	{NULL, NULL}
};

static const struct hako_const consts[] = {
	HAKO_CONST(CLONE_NEWNS),
	HAKO_CONST(CLONE_NEWPID),
	HAKO_CONST(CLONE_NEWIPC),
	HAKO_CONST(CLONE_NEWUTS),
	HAKO_CONST(CLONE_NEWNET),
	HAKO_CONST(CLONE_NEWUSER),
	HAKO_CONST(CLONE_NEWCGROUP),
	HAKO_CONST(CLONE_NEWTIME),
	HAKO_CONST(CLONE_VM),
	{NULL, 0}
};

const struct hako_area hako_namespace = { funcs, consts };
